//! Which words of prose are names from code (snake_case, camelCase): the check finds them
//! outside backticks in a reasoning, and the facts put them in backticks before a doc comment's
//! text is quoted. One definition for both, so that what the facts quote passes the check.

use std::ops::Range;

/// The words of code as written, runs of letters, digits and `_`:
/// `Result<JsonStatus<202, MessageOut>>` → `Result`, `JsonStatus`, `202`, `MessageOut`.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
}

/// A character of an identifier (or a number).
pub fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `word` stands in `hay` as a whole word: no identifier character on either side.
pub fn has_word(hay: &str, word: &str) -> bool {
    !word.is_empty()
        && memchr::memmem::find_iter(hay.as_bytes(), word.as_bytes()).any(|at| {
            let before = hay[..at].chars().next_back();
            let after = hay[at + word.len()..].chars().next();
            !before.is_some_and(is_identifier_char) && !after.is_some_and(is_identifier_char)
        })
}

/// Words with inner capitals that are prose, not code.
const PROSE_WORDS: [&str; 3] = ["OpenAPI", "ChatML", "JSONL"];

/// Where words end in prose.
fn breaks(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | ':' | '.' | '!' | '?')
}

/// The byte ranges of the code names in `text`, read as plain prose: a word (between spaces
/// and punctuation, stripped of surrounding quote marks and the like) in snake_case, or with a
/// capital after a lower-case letter (`MessageIn`, `eventType`), and not a prose word.
pub fn code_names(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        if !breaks(c) {
            continue;
        }
        let word = &text[start..at];
        let word_start = start;
        start = at + c.len_utf8();
        // Only an underscore or a capital can make a word a name: most prose words have
        // neither and are passed over at once.
        if !word.bytes().any(|b| b == b'_' || b.is_ascii_uppercase()) {
            continue;
        }
        let outside = |c: char| !c.is_alphanumeric() && c != '_';
        let trimmed = word.trim_matches(outside);
        let snake = trimmed.contains('_')
            && trimmed.chars().any(|c| c.is_ascii_alphabetic())
            && trimmed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        let camel = trimmed.char_indices().skip(1).any(|(k, c)| {
            c.is_ascii_uppercase() && trimmed[..k].ends_with(|p: char| p.is_ascii_lowercase())
        });
        if (snake || camel) && !PROSE_WORDS.contains(&trimmed) {
            let from = word_start + (word.len() - word.trim_start_matches(outside).len());
            found.push(from..from + trimmed.len());
        }
    }
    found
}

/// FNV-1a with a splitmix64 finish: a stable hash, so phrasing choices never depend on the
/// process or the platform. The finish matters: FNV-1a's low bits are barely mixed (its lowest
/// bit is the parity of the input's bytes), and choices are taken modulo small numbers.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash = StableHash::new();
    for part in parts {
        for &byte in part.as_bytes() {
            hash.byte(byte);
        }
        hash.end_part();
    }
    hash.finish()
}

/// [`stable_hash`] fed a byte at a time, for a caller that transforms the text as it hashes.
#[derive(Debug, Clone)]
pub(crate) struct StableHash(u64);

impl StableHash {
    pub(crate) fn new() -> StableHash {
        StableHash(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.byte(byte);
        }
    }

    /// The end of a part: a byte no UTF-8 text has.
    pub(crate) fn end_part(&mut self) {
        self.byte(0xff);
    }

    /// FNV-1a's state through splitmix64's finish, so that nearby inputs land far apart.
    pub(crate) fn finish(self) -> u64 {
        let mut hash = self.0;
        hash ^= hash >> 30;
        hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        hash ^= hash >> 27;
        hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
        hash ^ (hash >> 31)
    }
}

/// Words of Rust that are never news when they come or go.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "Ok", "Err", "Some", "None", "doc",
];

/// Whether a word is Rust's own, never news when it comes or goes.
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The entries of `ours` not in `theirs`, in order.
pub fn missing(ours: &[String], theirs: &[String]) -> Vec<String> {
    ours.iter()
        .filter(|n| !theirs.contains(n))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        code_names(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn snake_and_camel_words_are_names_and_prose_is_not() {
        assert_eq!(
            names("the latest 'current_key / old_keys' for the endpoint/sink, (MessageIn)."),
            ["current_key", "old_keys", "MessageIn"]
        );
        assert_eq!(
            names("An OpenAPI spec, HTTP 202, e-mail, 2_000 and snake_case's"),
            Vec::<&str>::new()
        );
        assert_eq!(names("é eventType:"), ["eventType"]);
    }

    /// The values pinned here were worked out apart from this code (FNV-1a over the bytes, 0xff
    /// after each part, splitmix64's finish, in Python): a change to the hash changes every
    /// phrasing choice, and so every dataset, on every machine.
    #[test]
    fn stable_hash_is_stable() {
        assert_eq!(stable_hash(&[]), 0xf52a_15e9_a9b5_e89b);
        assert_eq!(stable_hash(&[""]), 0x4f2d_b50f_1240_40cd);
        assert_eq!(stable_hash(&["a", "b"]), 0xb912_458b_53ec_5105);
        assert_eq!(stable_hash(&["ab", ""]), 0xb426_6e7e_880c_77d8);
        assert_eq!(
            stable_hash(&["message-creation", "item:MessageIn"]),
            0xa13a_b6cf_3344_cb64
        );
        // Fed a byte at a time, the same.
        let mut hash = StableHash::new();
        hash.bytes(b"a");
        hash.end_part();
        hash.bytes(b"b");
        hash.end_part();
        assert_eq!(hash.finish(), 0xb912_458b_53ec_5105);
    }
}
