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
