//! Where a Rust file can be cut into pieces that parse on their own: after a top-level `;` or
//! `}` that ends an item, where the next token starts another. One pass over the bytes with a
//! lexer that knows only what can hide a brace or a semicolon (comments, string, raw string and
//! character literals); it never allocates per token. A cut it gets wrong leaves a piece that
//! fails to parse, and the caller then parses the file whole, so it can cost time, never output.

use std::ops::Range;

/// Words that begin a top-level item (or its visibility or qualifiers).
const ITEM_WORDS: [&str; 19] = [
    "pub",
    "fn",
    "async",
    "const",
    "unsafe",
    "safe",
    "extern",
    "struct",
    "enum",
    "union",
    "impl",
    "trait",
    "type",
    "use",
    "mod",
    "static",
    "macro_rules",
    "default",
    "auto",
];

/// The file cut into consecutive pieces of at least `target` bytes each (the last may be
/// shorter), covering it whole. A file with no cut point is one piece.
pub fn pieces(text: &str, target: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cut_points(text) {
        if cut - start >= target && text.len() - cut >= target / 2 {
            out.push(start..cut);
            start = cut;
        }
    }
    out.push(start..text.len());
    out
}

/// Every offset just after a top-level `;` or `}` where the next token starts an item.
pub fn cut_points(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut cuts = Vec::new();
    let mut depth: usize = 0;
    // A shebang line is not Rust; an inner attribute (`#![...]`) is.
    let mut i = if text.starts_with("#!") && !text[2..].trim_start().starts_with('[') {
        text.find('\n').unwrap_or(text.len())
    } else {
        0
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = block_comment_end(bytes, i),
            b'"' => i = string_end(bytes, i + 1),
            b'\'' => i = quote_end(text, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if b == b'}' && depth == 0 && starts_item(bytes, i) {
                    cuts.push(i);
                }
            }
            b';' => {
                i += 1;
                if depth == 0 && starts_item(bytes, i) {
                    cuts.push(i);
                }
            }
            _ if is_ident_start(b) => i = word_end(bytes, i),
            _ => i += 1,
        }
    }
    cuts
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The end of the word at `i`; a raw string (`r"…"`, `br#"…"#`, `cr"…"`) that the word
/// prefixes is skipped whole, and a plain string after `b` or `c` is left for the caller.
fn word_end(bytes: &[u8], i: usize) -> usize {
    let mut end = i;
    while end < bytes.len() && is_ident_byte(bytes[end]) {
        end += 1;
    }
    let word = &bytes[i..end];
    if matches!(word, b"r" | b"br" | b"cr") {
        let mut hashes = 0;
        while bytes.get(end + hashes) == Some(&b'#') {
            hashes += 1;
        }
        if bytes.get(end + hashes) == Some(&b'"') {
            return raw_string_end(bytes, end + hashes + 1, hashes);
        }
        // `r#ident`, a raw identifier: its `#` and name are a word.
        if hashes == 1 {
            return word_end(bytes, end + 1);
        }
    }
    end
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p)
}

/// Block comments nest.
fn block_comment_end(bytes: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < bytes.len() {
        if bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    bytes.len()
}

/// The end of a string whose body starts at `i`: escapes skip the byte after the backslash.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of a raw string whose body starts at `i`, closed by `"` and `hashes` hashes.
fn raw_string_end(bytes: &[u8], mut i: usize, hashes: usize) -> usize {
    while i < bytes.len() {
        if bytes[i] == b'"' && bytes[i + 1..].iter().take(hashes).all(|&b| b == b'#') {
            let end = i + 1 + hashes;
            if end <= bytes.len() {
                return end;
            }
        }
        i += 1;
    }
    bytes.len()
}

/// After a `'` at `i`: the end of a character literal (`'a'`, `'\''`, `'é'`), or just past the
/// quote of a lifetime or label (`'a`, `'static`), whose name is a word.
fn quote_end(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    if bytes.get(i + 1) == Some(&b'\\') {
        // An escape: the closing quote is the first after the escaped byte.
        let after = i + 3;
        return bytes
            .get(after..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\''))
            .map_or(bytes.len(), |p| after + p + 1);
    }
    let Some(c) = text.get(i + 1..).and_then(|rest| rest.chars().next()) else {
        return bytes.len();
    };
    let after = i + 1 + c.len_utf8();
    if bytes.get(after) == Some(&b'\'') {
        after + 1
    } else {
        i + 1
    }
}

/// Whether the first token at or after `i`, past whitespace and plain comments, starts an item:
/// an outer attribute, a doc comment or one of [`ITEM_WORDS`].
fn starts_item(bytes: &[u8], mut i: usize) -> bool {
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &bytes[i..];
        if rest.starts_with(b"///") && !rest.starts_with(b"////") || rest.starts_with(b"/**") {
            return !rest.starts_with(b"/**/");
        }
        if rest.starts_with(b"//") {
            i = line_end(bytes, i);
        } else if rest.starts_with(b"/*") {
            i = block_comment_end(bytes, i);
        } else {
            break;
        }
    }
    let rest = &bytes[i..];
    if rest.first() == Some(&b'#') {
        return rest.get(1) != Some(&b'!');
    }
    let end = rest
        .iter()
        .position(|&b| !is_ident_byte(b))
        .unwrap_or(rest.len());
    ITEM_WORDS.iter().any(|w| w.as_bytes() == &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text after each cut point, up to its line's end.
    fn cuts_of(text: &str) -> Vec<&str> {
        cut_points(text)
            .into_iter()
            .map(|c| {
                let rest = text[c..].trim_start();
                rest.lines().next().unwrap_or("")
            })
            .collect()
    }

    #[test]
    fn cuts_between_items_only() {
        let text = r#"#![allow(dead_code)]
use a::b;
use c::{d, e};

/// Doc.
#[derive(Debug)]
pub struct S { x: u8 }

const C: S = S { x: 1 };
static T: [u8; 2] = [1, 2];

impl S {
    fn f(&self) -> u8 { if self.x > 0 { 1 } else { 2 } }
}
// a plain comment
fn g() {}
macro_rules! m { ($x:expr) => { $x }; }
mod inner;
"#;
        insta::assert_debug_snapshot!(cuts_of(text), @r#"
        [
            "use c::{d, e};",
            "/// Doc.",
            "const C: S = S { x: 1 };",
            "static T: [u8; 2] = [1, 2];",
            "impl S {",
            "// a plain comment",
            "macro_rules! m { ($x:expr) => { $x }; }",
            "mod inner;",
        ]
        "#);
    }

    #[test]
    fn braces_and_semicolons_inside_literals_and_comments_are_not_cuts() {
        let text = r##"fn a() { let s = "}; fn x() {"; }
fn b() { let r = r#"}; "fn" {"#; let c = '}'; let q = '"'; let l: &'static str = "x"; }
fn c() { /* }; /* nested */ fn y() { */ let e = '\''; let u = 'é'; }
fn d() { let raw = r#type; let bytes = br"}"; let k = b'}'; }
fn e() {}
"##;
        assert_eq!(
            cuts_of(text),
            [
                "fn b() { let r = r#\"}; \"fn\" {\"#; let c = '}'; let q = '\"'; let l: &'static str = \"x\"; }",
                "fn c() { /* }; /* nested */ fn y() { */ let e = '\\''; let u = 'é'; }",
                "fn d() { let raw = r#type; let bytes = br\"}\"; let k = b'}'; }",
                "fn e() {}"
            ]
        );
    }

    #[test]
    fn a_brace_followed_by_more_of_the_item_is_not_a_cut() {
        let text = "const X: u8 = unsafe { 1 } as u8;\nfn f() {}\n";
        assert_eq!(cuts_of(text), ["fn f() {}"]);
    }

    #[test]
    fn pieces_cover_the_file_and_respect_the_target() {
        let text = "fn a() {}\nfn b() {}\nfn c() {}\nfn d() {}\n";
        let pieces = pieces(text, 15);
        assert_eq!(pieces, [0..19, 19..text.len()]);
        assert_eq!(self::pieces(text, 1000), vec![(0..text.len())]);
        assert_eq!(self::pieces("", 10), vec![(0..0)]);
    }
}
