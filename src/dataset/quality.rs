//! How varied a dataset's text is: sentence shapes that recur, near-duplicate lines, repeated
//! request wording, and request lines that only name a member. Pure measurements over parsed
//! lines, which `validate` turns into warnings or faults and `stats` into figures.
//!
//! Two tokenizations serve them, chosen to be simple enough to state in a sentence:
//! - **sentences** (of the reasoning): a line break ends one, and so does `.`, `?` or `!`
//!   followed by a space or the end of the line, unless it is inside a backticked (`` `…` ``) or
//!   double-quoted (`"…"`) span; the ending mark is dropped, empty sentences are skipped. A
//!   backtick or quote with no partner later on its line is plain text.
//! - **words** (for n-grams): the text lowercased and split on whitespace, punctuation left
//!   attached (`object.` and `object` differ). Names are not blanked here, unlike in shapes,
//!   so two texts about different items do not look alike only because one template made them.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::dataset::format::Line;
use crate::extract::text::stable_hash;

/// Word 5-gram Jaccard similarity from which two lines count as near-duplicates.
pub(crate) const NEAR_DUPLICATE_THRESHOLD: f64 = 0.7;

/// The n of the word n-grams compared between lines: long enough that shared template
/// openers alone do not make two lines alike.
const SHINGLE_WORDS: usize = 5;

/// The n of the word n-grams counted for request distinctness: short enough to catch a
/// repeated stock phrase.
const PHRASE_WORDS: usize = 3;

/// What `shape` puts in place of a backticked span, a double-quoted span and a number.
const CODE_PLACEHOLDER: &str = "<code>";
const QUOTE_PLACEHOLDER: &str = "<text>";
const NUMBER_PLACEHOLDER: &str = "<n>";

/// Words a request line may hold besides backticked names and still only name members.
const MEMBER_FILLER: [&str; 22] = [
    "the",
    "a",
    "an",
    "and",
    "or",
    "its",
    "plus",
    "field",
    "fields",
    "method",
    "methods",
    "function",
    "functions",
    "variant",
    "variants",
    "type",
    "types",
    "member",
    "members",
    "constant",
    "constants",
    "impl",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Prose,
    Code,
    Quote,
}

/// `line` cut into prose, backticked and double-quoted spans (delimiters included), covering
/// it whole. Whichever delimiter comes first wins: a quote inside backticks is code.
fn spans(line: &str) -> Spans<'_> {
    Spans {
        bytes: line.as_bytes(),
        prose_start: 0,
        i: 0,
        pending: None,
    }
}

/// The spans of a line, as [`spans`] cuts them, one at a time.
struct Spans<'t> {
    bytes: &'t [u8],
    /// Where the prose before the next delimited span starts.
    prose_start: usize,
    /// Where the search for the next delimiter goes on.
    i: usize,
    /// A delimited span found after some prose, given out after it.
    pending: Option<(Range<usize>, Span)>,
}

impl Iterator for Spans<'_> {
    type Item = (Range<usize>, Span);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(span) = self.pending.take() {
            return Some(span);
        }
        let bytes = self.bytes;
        while let Some(found) = memchr::memchr2(b'`', b'"', &bytes[self.i..]) {
            let i = self.i + found;
            let kind = if bytes[i] == b'`' {
                Span::Code
            } else {
                Span::Quote
            };
            // Both delimiters are ASCII, so byte offsets around them are char boundaries.
            let Some(close) = memchr::memchr(bytes[i], &bytes[i + 1..]) else {
                self.i = i + 1;
                continue;
            };
            let end = i + 1 + close + 1;
            let prose = self.prose_start..i;
            self.prose_start = end;
            self.i = end;
            if prose.is_empty() {
                return Some((i..end, kind));
            }
            self.pending = Some((i..end, kind));
            return Some((prose, Span::Prose));
        }
        if self.prose_start < bytes.len() {
            let prose = self.prose_start..bytes.len();
            self.prose_start = bytes.len();
            return Some((prose, Span::Prose));
        }
        None
    }
}

/// The sentences of a reasoning text, as the module documentation defines them, trimmed.
pub(crate) fn sentences(text: &str) -> Vec<&str> {
    sentence_pieces(text)
        .into_iter()
        .map(|piece| piece.sentence)
        .filter(|sentence| !sentence.is_empty())
        .collect()
}

/// A reasoning text cut where its sentences end, for the variety search to measure piece by
/// piece: each piece is the text from where a sentence starts to its end mark, or to the end
/// of its line, with that sentence (trimmed, possibly empty). The pieces' words, in order, are
/// the text's words, and their non-empty sentences are [`sentences`].
pub(crate) fn sentence_pieces(text: &str) -> Vec<SentencePiece<'_>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut start = 0;
        for (range, kind) in spans(line) {
            if kind != Span::Prose {
                continue;
            }
            for found in memchr::memchr3_iter(b'.', b'?', b'!', &bytes[range.clone()]) {
                let i = range.start + found;
                if bytes.get(i + 1).is_none_or(|&next| next == b' ') {
                    out.push(SentencePiece {
                        text: &line[start..=i],
                        ended: true,
                        sentence: line[start..i].trim(),
                    });
                    start = i + 1;
                }
            }
        }
        out.push(SentencePiece {
            text: &line[start..],
            ended: false,
            sentence: line[start..].trim(),
        });
    }
    out
}

/// One piece of [`sentence_pieces`].
pub(crate) struct SentencePiece<'t> {
    pub text: &'t str,
    /// Whether the piece ends with its sentence's end mark (else it ends its line).
    pub ended: bool,
    pub sentence: &'t str,
}

/// The hashes of a text's words, as [`word_grams`] reads them.
pub(crate) fn words_of(text: &str) -> Vec<u64> {
    word_hashes(text)
}

/// [`shingles`] from the text's word hashes, when it has at least a shingle's worth of words.
pub(crate) fn shingles_of_words(words: &[u64]) -> Option<Vec<u64>> {
    let mut grams = grams_of(words, SHINGLE_WORDS);
    if grams.is_empty() {
        return None;
    }
    grams.sort_unstable();
    grams.dedup();
    Some(grams)
}

/// A sentence with its names blanked: backticked spans, double-quoted spans and numbers become
/// placeholders, whitespace is folded to single spaces, and the rest is lowercased. Two
/// sentences with one shape are one template filled in with different names.
pub(crate) fn shape(sentence: &str) -> String {
    let mut blanked = String::with_capacity(sentence.len());
    blank(sentence, &mut |text| blanked.push_str(text));
    // Words joined by one space and lowercased, in one pass.
    let mut shape = String::with_capacity(blanked.len());
    for word in blanked.split_whitespace() {
        if !shape.is_empty() {
            shape.push(' ');
        }
        shape.extend(word.chars().flat_map(char::to_lowercase));
    }
    shape
}

/// `stable_hash(&[&shape(sentence)])`, worked out as the shape is read, without making it.
pub(crate) fn shape_hash(sentence: &str) -> u64 {
    let mut folded = Folded {
        hash: crate::extract::text::StableHash::new(),
        words: false,
        space: false,
    };
    blank(sentence, &mut |text: &str| {
        if text.is_ascii() {
            for &b in text.as_bytes() {
                folded.ascii(b);
            }
        } else {
            for c in text.chars() {
                match u8::try_from(c) {
                    Ok(b) if b.is_ascii() => folded.ascii(b),
                    _ => folded.other(c),
                }
            }
        }
    });
    folded.hash.end_part();
    folded.hash.finish()
}

/// A shape hashed as it is made: whitespace folds to one space between words (none at the
/// ends), and the rest is lowercased.
struct Folded {
    hash: crate::extract::text::StableHash,
    /// Whether a word has begun, and whether whitespace came after it.
    words: bool,
    space: bool,
}

impl Folded {
    #[inline]
    fn ascii(&mut self, b: u8) {
        // The ASCII characters `char::is_whitespace` takes.
        if matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            self.space = self.words;
            return;
        }
        self.word_byte();
        self.hash.byte(b.to_ascii_lowercase());
    }

    fn other(&mut self, c: char) {
        if c.is_whitespace() {
            self.space = self.words;
            return;
        }
        self.word_byte();
        let mut buffer = [0; 4];
        for lower in c.to_lowercase() {
            self.hash.bytes(lower.encode_utf8(&mut buffer).as_bytes());
        }
    }

    #[inline]
    fn word_byte(&mut self) {
        if self.space {
            self.hash.byte(b' ');
            self.space = false;
        }
        self.words = true;
    }
}

/// Hands `out` a sentence piece by piece with backticked spans, double-quoted spans and
/// numbers replaced by their placeholders.
fn blank(sentence: &str, out: &mut impl FnMut(&str)) {
    for (range, kind) in spans(sentence) {
        match kind {
            Span::Code => out(CODE_PLACEHOLDER),
            Span::Quote => out(QUOTE_PLACEHOLDER),
            Span::Prose => blank_numbers(&sentence[range], out),
        }
    }
}

/// Hands `out` the prose piece by piece with each number made a placeholder. A number is a
/// run of ASCII digits, possibly with single `.` or `,` between digits (`16,384`, `2.5`),
/// that is not part of a word: `o200k` and `v1` stay as they are.
fn blank_numbers(prose: &str, out: &mut impl FnMut(&str)) {
    // Most prose has no digit at all.
    if !prose.bytes().any(|b| b.is_ascii_digit()) {
        out(prose);
        return;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let chars: Vec<(usize, char)> = prose.char_indices().collect();
    let mut copied = 0;
    let mut k = 0;
    while k < chars.len() {
        let (start, c) = chars[k];
        let after_word = k > 0 && is_word(chars[k - 1].1);
        if !c.is_ascii_digit() || after_word {
            k += 1;
            continue;
        }
        let mut end = k + 1;
        while end < chars.len() {
            let digit = chars[end].1.is_ascii_digit();
            let separator = matches!(chars[end].1, '.' | ',')
                && chars.get(end + 1).is_some_and(|&(_, d)| d.is_ascii_digit());
            if !(digit || separator) {
                break;
            }
            end += 1;
        }
        if chars.get(end).is_some_and(|&(_, next)| is_word(next)) {
            k = end;
            continue;
        }
        let stop = chars.get(end).map_or(prose.len(), |&(i, _)| i);
        out(&prose[copied..start]);
        out(NUMBER_PLACEHOLDER);
        copied = stop;
        k = end;
    }
    out(&prose[copied..]);
}

/// Of all reasoning sentences in the dataset, the share whose shape occurs more than once
/// (in the same line or another). 0 when there is no sentence.
pub(crate) fn repeated_shape_share(lines: &[Line]) -> f64 {
    let shapes: Vec<String> = lines
        .iter()
        .flat_map(|line| sentences(&line.reasoning))
        .map(shape)
        .collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for shape in &shapes {
        *counts.entry(shape).or_default() += 1;
    }
    let repeated = shapes.iter().filter(|s| counts[s.as_str()] > 1).count();
    share(repeated, shapes.len(), 0.0)
}

/// `part / whole`, or `empty` when there is no whole.
fn share(part: usize, whole: usize, empty: f64) -> f64 {
    if whole == 0 {
        empty
    } else {
        part as f64 / whole as f64
    }
}

/// The stable hashes of `text`'s word n-grams, in text order, repeats kept. A text of fewer
/// than `n` words has none.
pub(crate) fn word_grams(text: &str, n: usize) -> Vec<u64> {
    grams_of(&word_hashes(text), n)
}

/// The hashes of the n-grams of a sequence of word hashes (each word hashed once, lowercased
/// as it is hashed): a window's hash combines its words' hashes in order.
fn grams_of(words: &[u64], n: usize) -> Vec<u64> {
    words
        .windows(n)
        .map(|window| {
            let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
            for &w in window {
                h = (h.rotate_left(23) ^ w).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            }
            h ^ (h >> 29)
        })
        .collect()
}

/// `stable_hash(&[&word.to_lowercase()])` of each word of `text` (split on whitespace), in
/// order: byte by byte for an ASCII text, with no copy made.
fn word_hashes(text: &str) -> Vec<u64> {
    if !text.is_ascii() {
        return text.split_whitespace().map(lowercase_hash).collect();
    }
    // The ASCII characters `char::is_whitespace` takes.
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let bytes = text.as_bytes();
    let mut words = Vec::with_capacity(bytes.len() / 5);
    let mut i = 0;
    loop {
        while i < bytes.len() && space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            return words;
        }
        let mut hash = crate::extract::text::StableHash::new();
        while i < bytes.len() && !space(bytes[i]) {
            hash.byte(bytes[i].to_ascii_lowercase());
            i += 1;
        }
        hash.end_part();
        words.push(hash.finish());
    }
}

/// `stable_hash(&[&word.to_lowercase()])`, without making the lowercase copy of an ASCII word.
fn lowercase_hash(word: &str) -> u64 {
    if word.is_ascii() {
        let mut hash = crate::extract::text::StableHash::new();
        for &byte in word.as_bytes() {
            hash.byte(byte.to_ascii_lowercase());
        }
        hash.end_part();
        hash.finish()
    } else {
        stable_hash(&[&word.to_lowercase()])
    }
}

/// Distinct word 3-grams over all word 3-grams of all requests (no 3-gram spans two
/// requests). 1 means no three words ever repeat in that order; 1 too when there is none.
pub(crate) fn request_distinctness(lines: &[Line]) -> f64 {
    let mut grams: Vec<u64> = lines
        .iter()
        .flat_map(|line| word_grams(&line.request, PHRASE_WORDS))
        .collect();
    let total = grams.len();
    grams.sort_unstable();
    grams.dedup();
    share(grams.len(), total, 1.0)
}

/// Request lines that only name members: after an optional bullet (`-`, `*`, `+`, `1.`,
/// `1)`), nothing but backticked names and filler words such as "field", "method", "the" and
/// "and", with at least one name. Such a line lists the answer instead of stating a need.
/// Each comes with its dataset line number and its text, trimmed.
pub(crate) fn member_only_request_lines(lines: &[Line]) -> Vec<(usize, String)> {
    lines
        .iter()
        .flat_map(|line| {
            line.request
                .lines()
                .filter(|text| names_only_members(text))
                .map(|text| (line.number, text.trim().to_owned()))
        })
        .collect()
}

fn names_only_members(text: &str) -> bool {
    let body = without_bullet(text.trim());
    let mut names = 0;
    for (range, kind) in spans(body) {
        match kind {
            Span::Code => names += 1,
            Span::Quote => return false,
            Span::Prose => {
                let filler_only = body[range]
                    .split(|c: char| c.is_whitespace() || ",;:.".contains(c))
                    .filter(|word| !word.is_empty())
                    .all(|word| MEMBER_FILLER.contains(&word.to_lowercase().as_str()));
                if !filler_only {
                    return false;
                }
            }
        }
    }
    names > 0
}

fn without_bullet(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix(['-', '*', '+'])
        && rest.starts_with(char::is_whitespace)
    {
        return rest.trim_start();
    }
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0
        && let Some(rest) = text[digits..].strip_prefix(['.', ')'])
        && rest.starts_with(char::is_whitespace)
    {
        return rest.trim_start();
    }
    text
}

/// Which text of two lines is alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    Request,
    Reasoning,
}

impl Part {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Part::Request => "request",
            Part::Reasoning => "reasoning",
        }
    }
}

/// Two lines whose request or reasoning share most of their word 5-grams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NearDuplicate {
    /// The earlier line's number.
    pub first: usize,
    pub second: usize,
    pub what: Part,
    pub jaccard: f64,
}

/// A text's set of word 5-gram hashes, sorted and without repeats, so that two sets compare in
/// one merge. A text of one to four words is a single gram of all its words, so that such
/// texts still compare (equal or not) instead of having nothing in common with anything.
pub(crate) fn shingles(text: &str) -> Vec<u64> {
    let mut grams = word_grams(text, SHINGLE_WORDS);
    if grams.is_empty() {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        if !words.is_empty() {
            grams.push(stable_hash(&words));
        }
    }
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The Jaccard similarity of two sets of `a` and `b` elements that share `common`.
pub(crate) fn jaccard_of_counts(common: usize, a: usize, b: usize) -> f64 {
    share(common, a + b - common, 0.0)
}

/// |a ∩ b| / |a ∪ b| of two sorted sets without repeats; 0 when both are empty.
pub(crate) fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    jaccard_of_counts(common, a.len(), b.len())
}

/// Every pair of lines whose requests, or whose reasonings, have a word 5-gram Jaccard
/// similarity of at least `threshold`, ordered by the later line, then the earlier, request
/// before reasoning. Identical texts are included (at 1.0).
///
/// Each text's set is built once; pairs are compared exactly, which suits datasets of a few
/// hundred lines. A pair whose set sizes alone rule the threshold out (the Jaccard similarity
/// is at most the smaller size over the larger) is not merged at all.
pub(crate) fn near_duplicates(lines: &[Line], threshold: f64) -> Vec<NearDuplicate> {
    let sets: Vec<[Vec<u64>; 2]> = lines
        .iter()
        .map(|line| [shingles(&line.request), shingles(&line.reasoning)])
        .collect();
    let mut pairs = Vec::new();
    for (j, second) in sets.iter().enumerate() {
        for (i, first) in sets[..j].iter().enumerate() {
            for (k, what) in [Part::Request, Part::Reasoning].into_iter().enumerate() {
                let (a, b) = (&first[k], &second[k]);
                let (small, large) = (a.len().min(b.len()), a.len().max(b.len()));
                if large == 0 || share(small, large, 0.0) < threshold {
                    continue;
                }
                let jaccard = jaccard(a, b);
                if jaccard >= threshold {
                    pairs.push(NearDuplicate {
                        first: lines[i].number,
                        second: lines[j].number,
                        what,
                        jaccard,
                    });
                }
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: usize, request: &str, reasoning: &str) -> Line {
        Line {
            number,
            request: request.to_owned(),
            reasoning: reasoning.to_owned(),
            code: "fn f() {}".to_owned(),
            contents: Default::default(),
        }
    }

    fn text_jaccard(a: &str, b: &str) -> f64 {
        jaccard(&shingles(a), &shingles(b))
    }

    /// A reasoning of 41 words, `word` the seventeenth.
    fn long_reasoning(word: &str) -> String {
        format!(
            "The handler takes the application from the path and the body from the request, \
             checks the {word} before anything else so that a bad payload never reaches the \
             database, and answers with the created message once the queue has accepted it."
        )
    }

    #[test]
    fn shape_blanks_names_quotes_and_numbers() {
        assert_eq!(
            shape("`MessageIn`   derives `Clone`: \"Raw JSON\" is kept for 30 days."),
            "<code> derives <code>: <text> is kept for <n> days."
        );
        assert_eq!(
            shape("Answers 202 with 16,384 tokens or 2.5x, not o200k or v1"),
            "answers <n> with <n> tokens or 2.5x, not o200k or v1"
        );
        assert_eq!(
            shape("A `Foo` here"),
            shape("a   `Bar::baz(1)` here"),
            "one template with other names is one shape"
        );
        assert_eq!(shape("an unclosed ` stays"), "an unclosed ` stays");
    }

    #[test]
    fn words_hash_alike_by_bytes_and_by_characters() {
        for text in [
            "One two\tTHREE\n\x0bfour\x0c five\r six ",
            "  ",
            "Straße `Ωmega` two",
        ] {
            let expected: Vec<u64> = text.split_whitespace().map(lowercase_hash).collect();
            assert_eq!(word_hashes(text), expected, "{text:?}");
            let by_chars: Vec<u64> = text
                .split_whitespace()
                .map(|w| stable_hash(&[&w.to_lowercase()]))
                .collect();
            assert_eq!(expected, by_chars, "{text:?}");
        }
    }

    #[test]
    fn sentence_pieces_hold_the_texts_words() {
        let texts = [
            "It calls `self.0.get()`. Is it \"done. Really\"? Yes! Then\nnext line\n\n`1..=10` bounds it. e.g. this splits.",
            "One. Two.  Three.\r\n  Four five six seven eight nine. ",
            "",
            "no end mark at all",
            "Ends with a mark.",
        ];
        for text in texts {
            let pieces = sentence_pieces(text);
            let words: Vec<u64> = pieces.iter().flat_map(|p| words_of(p.text)).collect();
            assert_eq!(words, words_of(text), "{text:?}");
            if let Some(shingles) = shingles_of_words(&words) {
                assert_eq!(shingles, self::shingles(text), "{text:?}");
            }
        }
    }

    #[test]
    fn a_shape_hash_is_the_hash_of_the_shape() {
        let sentences = [
            "`MessageIn`   derives `Clone`: \"Raw JSON\" is kept for 30 days.",
            "Answers 202 with 16,384 tokens or 2.5x, not o200k or v1",
            "  Leading and trailing\twhitespace\n ",
            "ÉCOLE Straße İstanbul `Ωmega` ΣΑΣ",
            "",
            "   ",
            "`a``b` \"q\"\"r\" 1 2 3",
        ];
        for sentence in sentences {
            assert_eq!(
                shape_hash(sentence),
                stable_hash(&[&shape(sentence)]),
                "{sentence:?}"
            );
        }
    }

    #[test]
    fn sentences_split_outside_backticks_and_quotes() {
        let text = "It calls `self.0.get()`. Is it \"done. Really\"? Yes! Then\nnext line\n\n\
                    `1..=10` bounds it. e.g. this splits.";
        assert_eq!(
            sentences(text),
            [
                "It calls `self.0.get()`",
                "Is it \"done. Really\"",
                "Yes",
                "Then",
                "next line",
                "`1..=10` bounds it",
                "e.g",
                "this splits",
            ]
        );
        assert_eq!(
            sentences("a.b and 1.5 stay whole."),
            ["a.b and 1.5 stay whole"]
        );
    }

    #[test]
    fn repeated_shapes_count_sentences_whose_template_recurs() {
        let lines = [
            line(1, "r1", "It validates `a`. Unique one here."),
            line(2, "r2", "It validates `b`. Another sentence entirely."),
        ];
        // Four sentences, two of which share the shape "it validates <code>".
        assert_eq!(repeated_shape_share(&lines), 0.5);
        assert_eq!(repeated_shape_share(&[]), 0.0);
    }

    #[test]
    fn jaccard_of_identical_disjoint_and_overlapping_texts() {
        let text = "one two three four five six seven";
        assert_eq!(text_jaccard(text, text), 1.0);
        assert_eq!(
            text_jaccard(text, "ONE  two three four five six seven"),
            1.0
        );
        assert_eq!(
            text_jaccard(text, "alpha beta gamma delta epsilon zeta eta"),
            0.0
        );
        // Three 5-grams each, the first two shared.
        assert_eq!(text_jaccard(text, "one two three four five six eight"), 0.5);
        assert_eq!(text_jaccard("short text", "short text"), 1.0);
        assert_eq!(text_jaccard("short text", "short texts"), 0.0);
        assert_eq!(text_jaccard("", ""), 0.0);
    }

    #[test]
    fn request_distinctness_is_distinct_over_all_word_trigrams() {
        let lines = [
            line(1, "Please add the type", "x"),
            line(2, "please add the field", "x"),
            line(3, "ok", "x"),
        ];
        // 2 + 2 trigrams, "please add the" twice.
        assert_eq!(request_distinctness(&lines), 0.75);
        assert_eq!(request_distinctness(&lines[2..]), 1.0);
    }

    #[test]
    fn member_only_lines_are_found_and_plain_needs_are_not() {
        let request = "Please add `MessageIn`.\n\
                       Scope:\n\
                       - field `uid`\n\
                       - `name`\n  \
                       * method `eq`\n\
                       1. the `from` and `into` methods\n\
                       - reject payloads that are not objects\n\
                       - `uid` (sent as `eventId`)\n\
                       - field \"uid\"\n\
                       - field";
        let lines = [line(1, "Add `send`.", "x"), line(7, request, "x")];
        assert_eq!(
            member_only_request_lines(&lines),
            [
                (7, "- field `uid`".to_owned()),
                (7, "- `name`".to_owned()),
                (7, "* method `eq`".to_owned()),
                (7, "1. the `from` and `into` methods".to_owned()),
            ]
        );
    }

    #[test]
    fn near_duplicates_name_both_lines() {
        let lines = [
            line(3, "Add the validator.", &long_reasoning("payload")),
            line(5, "Something else entirely.", "A different reasoning."),
            line(12, "Add the validator.", &long_reasoning("body")),
        ];
        let pairs = near_duplicates(&lines, NEAR_DUPLICATE_THRESHOLD);
        let found: Vec<(usize, usize, Part)> =
            pairs.iter().map(|p| (p.first, p.second, p.what)).collect();
        assert_eq!(
            found,
            [(3, 12, Part::Request), (3, 12, Part::Reasoning)],
            "{pairs:?}"
        );
        assert_eq!(pairs[0].jaccard, 1.0);
        // One word changed: 5 of the 37 grams differ on each side.
        assert_eq!(pairs[1].jaccard, 32.0 / 42.0);
        assert!(
            near_duplicates(&lines, 0.8)
                .iter()
                .all(|p| p.what == Part::Request)
        );
    }
}
