//! Which words of prose are names from code (snake_case, camelCase): the check finds them
//! outside backticks in a reasoning, and the facts put them in backticks before a doc comment's
//! text is quoted. One definition for both, so that what the facts quote passes the check.

use std::ops::Range;

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
}
