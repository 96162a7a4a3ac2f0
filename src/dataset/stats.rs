//! What a dataset holds: examples, units, the mechanisms its code shows, tokens, the largest
//! example, how varied its text is, and with the manifest what became of the model writer's
//! drafts. Plain data, printed by `report.rs` as a table or JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dataset::format::{Format, Line};
use crate::dataset::quality;
use crate::dataset::tally::Tally;
use crate::dataset::validate::{Spread, spread};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_left_out_of_fact_detection() {
        let code = "use a::{b, c::{d}};\npub use e;\n\nfn f() { cache() }";
        assert_eq!(without_imports(code), "fn f() { cache() }");
        assert_eq!(without_imports("fn g() {}"), "fn g() {}");
    }
}

/// The fact kinds counted, each with what in an example's request or code (its use
/// declarations left out, since they name everything the file imports) shows it.
type Shows = fn(request: &str, code: &str) -> bool;

const FACT_KINDS: [(&str, Shows); 9] = [
    ("route", |request, _| {
        crate::dataset::check::backticked(request).any(|s| s.starts_with('/'))
    }),
    ("aide", |_, code| code.contains("#[aide_annotate")),
    ("validation", |_, code| {
        code.contains("#[validate") || code.contains(".validate()") || code.contains("Validated")
    }),
    ("transaction", |_, code| {
        code.contains(".transaction(") || code.contains(".begin()")
    }),
    ("queue", |_, code| {
        code.contains("queue") && code.contains(".send(")
    }),
    ("cache", |_, code| code.contains("cache")),
    ("409", |_, code| {
        code.contains("conflict") || code.contains("409")
    }),
    ("202", |_, code| {
        code.contains("202") || code.contains("StatusCode::ACCEPTED")
    }),
    ("permissions", |_, code| {
        code.contains("permissions::") || code.contains("Authenticated")
    }),
];

/// The code after its leading `use` declarations.
fn without_imports(code: &str) -> &str {
    let mut rest = code;
    loop {
        let trimmed = rest.trim_start();
        if !(trimmed.starts_with("use ") || trimmed.starts_with("pub use ")) {
            return trimmed;
        }
        let mut depth = 0i32;
        let end = trimmed.char_indices().find_map(|(i, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ';' if depth == 0 => return Some(i + 1),
                _ => {}
            }
            None
        });
        match end {
            Some(end) => rest = &trimmed[end..],
            None => return trimmed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Largest {
    pub line: usize,
    pub tokens: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// The wire format the lines were read in.
    pub format: String,
    pub examples: usize,
    /// Distinct code sections.
    pub units: usize,
    /// Examples whose code shows each fact kind.
    pub facts: BTreeMap<String, usize>,
    pub encoding: String,
    pub tokens: Spread,
    pub largest: Option<Largest>,
    /// The share (0 to 1) of reasoning sentences whose shape, names and numbers blanked,
    /// occurs more than once: how much of the reasoning is one template refilled.
    pub repeated_shapes: f64,
    /// Pairs of lines whose requests or reasonings have a word 5-gram Jaccard similarity of
    /// 0.7 or more (a pair alike in both counts twice).
    pub near_duplicates: usize,
    /// Distinct word 3-grams over all word 3-grams of the requests: 1 when no phrase repeats.
    pub request_distinctness: f64,
    /// Request lines that only name members (a bullet holding just a backticked field name)
    /// instead of stating a need.
    pub member_only_request_lines: usize,
    /// What became of the model writer's drafts, from the manifest (`stats --manifest`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Tally>,
}

pub fn stats(lines: &[Line], tokens: &[usize], encoding: &str, format: Format) -> Stats {
    let mut codes: Vec<&str> = lines.iter().map(|l| l.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let facts = FACT_KINDS
        .iter()
        .map(|(kind, shows)| {
            let count = lines
                .iter()
                .filter(|l| shows(&l.request, without_imports(&l.code)))
                .count();
            (kind.to_string(), count)
        })
        .collect();
    let largest = lines
        .iter()
        .zip(tokens)
        .max_by_key(|&(l, &t)| (t, std::cmp::Reverse(l.number)))
        .map(|(l, &t)| Largest {
            line: l.number,
            tokens: t,
        });
    Stats {
        format: format.name().to_owned(),
        examples: lines.len(),
        units: codes.len(),
        facts,
        encoding: encoding.to_owned(),
        tokens: spread(tokens),
        largest,
        repeated_shapes: quality::repeated_shape_share(lines),
        near_duplicates: quality::near_duplicates(lines, quality::NEAR_DUPLICATE_THRESHOLD).len(),
        request_distinctness: quality::request_distinctness(lines),
        member_only_request_lines: quality::member_only_request_lines(lines).len(),
        model: None,
    }
}
