//! The pre-tokenizer: where tiktoken cuts text into pieces before byte-pair merging, under
//! each encoding's pattern.
//!
//! tiktoken's patterns end in `\s+(?!\S)`, a look-ahead the `regex` crate lacks (tiktoken-rs
//! runs them on fancy-regex's backtracking engine). Here that alternative is left out and put
//! back by hand: a run of whitespace the pattern's last alternative took whole, with no line
//! break in it and a non-space after it, gives its last character back to the next piece, as
//! the look-ahead would have. Everything else is the pattern as tiktoken wrote it (cl100k's
//! possessive quantifiers become greedy ones: no alternative they guard can match after giving
//! a character back).

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

/// o200k_base's pattern, `\s+(?!\S)|` left out before its last alternative.
pub const O200K: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"|\s*[\r\n]+",
    r"|\s+",
);

/// cl100k_base's pattern, `\s+(?!\S)|\s` become `\s+`, possessive quantifiers greedy.
pub const CL100K: &str = concat!(
    r"'(?i:[sdmt]|ll|ve|re)",
    r"|[^\r\n\p{L}\p{N}]?\p{L}+",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*",
    r"|\s+$",
    r"|\s*[\r\n]",
    r"|\s+",
);

/// Calls `each` with every piece of `text`, in order.
///
/// Every character starts a match of either pattern (each has an alternative for letters,
/// numbers, whitespace and anything else), so the next piece starts where the last one ended:
/// the search is anchored there, which spares the reverse scan an unanchored search runs to find
/// where its match starts. The leftmost match, were the anchored search ever to find none, is
/// searched for as before.
pub fn for_each_piece(pattern: &Regex, text: &str, mut each: impl FnMut(&[u8])) {
    let mut at = 0;
    while at < text.len() {
        let anchored = Input::new(text).range(at..).anchored(Anchored::Yes);
        let Some(found) = pattern
            .search(&anchored)
            .or_else(|| pattern.search(&Input::new(text).range(at..)))
        else {
            break;
        };
        let piece = &text[found.start()..found.end()];
        let end = found.start() + kept_of_whitespace_run(piece, found.end() == text.len());
        each(&text.as_bytes()[found.start()..end]);
        at = end;
    }
}

/// [`for_each_piece`] under o200k_base's pattern for text that is all ASCII, without the
/// regex: the same pieces, from the pattern's alternatives worked out for ASCII characters (no
/// letter there is titlecase, modifier, other or a mark, no number but `0`-`9`, and `\s` is
/// tab, line feed, vertical tab, form feed, carriage return and space).
///
/// At each place the pattern takes the first alternative that matches, each quantifier
/// greedy, giving back only what a later part needs; for ASCII that comes to:
/// - letters, after one optional character that is no line break, letter or digit: the
///   uppercase run, then the lowercase run after it, then a contraction (`'s`, `'LL`, ...);
/// - one to three digits;
/// - an optional space, then a run of what is no whitespace, letter or digit, then any line
///   breaks and slashes;
/// - whitespace up to its last line break, when it has one; else the whole run (then given
///   back by a character as for the regex's pieces).
pub fn for_each_ascii_o200k_piece(text: &str, mut each: impl FnMut(&[u8])) {
    debug_assert!(text.is_ascii());
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let end = ascii_o200k_match(bytes, at);
        // A piece of ASCII is cut at a character boundary wherever it ends.
        let piece = &text[at..end];
        let end = at + kept_of_whitespace_run(piece, end == bytes.len());
        each(&bytes[at..end]);
        at = end;
    }
}

/// Where o200k_base's pattern (its look-ahead left out) ends a match that starts at `at`.
fn ascii_o200k_match(bytes: &[u8], at: usize) -> usize {
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
    let is_other = |b: u8| !is_space(b) && !b.is_ascii_alphanumeric();
    let run = |from: usize, keep: &dyn Fn(u8) -> bool| {
        from + bytes[from..].iter().take_while(|&&b| keep(b)).count()
    };
    let c = bytes[at];
    let next = bytes.get(at + 1).copied();
    // Letters, maybe after one character that is no line break, letter or digit.
    let leads_letters = c != b'\r' && c != b'\n' && !c.is_ascii_alphanumeric();
    let letters = match c.is_ascii_alphabetic() {
        true => Some(at),
        false => (leads_letters && next.is_some_and(|n| n.is_ascii_alphabetic())).then_some(at + 1),
    };
    if let Some(start) = letters {
        let upper = run(start, &|b| b.is_ascii_uppercase());
        let lower = run(upper, &|b| b.is_ascii_lowercase());
        return lower + contraction(&bytes[lower..]);
    }
    if c.is_ascii_digit() {
        return run(at, &|b| b.is_ascii_digit()).min(at + 3);
    }
    let others = match c {
        b' ' if next.is_some_and(is_other) => Some(at + 1),
        _ if is_other(c) => Some(at),
        _ => None,
    };
    if let Some(start) = others {
        let end = run(start, &is_other);
        return run(end, &|b| matches!(b, b'\r' | b'\n' | b'/'));
    }
    let spaces = run(at, &is_space);
    match bytes[at..spaces]
        .iter()
        .rposition(|&b| b == b'\r' || b == b'\n')
    {
        Some(last_break) => at + last_break + 1,
        None => spaces,
    }
}

/// The length of the contraction `rest` starts with (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`,
/// `'d`, in any case), or 0.
fn contraction(rest: &[u8]) -> usize {
    let lower = |i: usize| rest.get(i).map(u8::to_ascii_lowercase);
    if rest.first() != Some(&b'\'') {
        return 0;
    }
    match (lower(1), lower(2)) {
        (Some(b's' | b't' | b'm' | b'd'), _) => 2,
        (Some(b'r' | b'v'), Some(b'e')) | (Some(b'l'), Some(b'l')) => 3,
        _ => 0,
    }
}

/// How many bytes of `piece` tiktoken's pattern keeps: all of them, unless the piece is a
/// whitespace run with no line break, of two characters or more, with text after it; then
/// its last character goes back (`\s+(?!\S)` stops short of the space before a word).
fn kept_of_whitespace_run(piece: &str, at_end: bool) -> usize {
    if at_end {
        return piece.len();
    }
    let mut chars = piece.char_indices().rev();
    match (chars.next(), chars.next()) {
        (Some((last, c)), Some(_)) if c.is_whitespace() && c != '\r' && c != '\n' => last,
        _ => piece.len(),
    }
}
