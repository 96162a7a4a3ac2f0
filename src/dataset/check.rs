//! The invariants every example must keep, checked independently of how it was made: its code
//! is exact source slices on item boundaries, and its text is grounded in that code. The
//! generator checks its `Example`s with [`example_faults`]; `validate` checks a dataset's lines
//! with the same rules.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::dataset::example::Example;
use crate::extract::source::SourceFile;
use crate::extract::text::code_names;

/// A word that names a mechanism, and what in an example's code must show for the reasoning to
/// use it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanism {
    pub word: String,
    pub signs: Vec<String>,
}

/// HTTP statuses a reasoning may only state when the code shows them.
const STATUS_CODES: [&str; 11] = [
    "200", "201", "202", "204", "400", "401", "403", "404", "409", "422", "500",
];

/// Checks that `code` is made only of slices of `text`, each starting at the start of an item in
/// `items` and ending at the end of one, joined by exactly `separator`.
pub fn exact_slices(
    code: &str,
    text: &str,
    items: &[Range<usize>],
    separator: &str,
) -> Result<(), String> {
    let mut position = 0;
    loop {
        let rest = &code[position..];
        let longest = items
            .iter()
            .filter(|start| rest.starts_with(&text[start.start..start.end]))
            .flat_map(|start| {
                items
                    .iter()
                    .filter(move |end| end.end >= start.end)
                    .map(move |end| start.start..end.end)
            })
            .filter(|range| rest.starts_with(&text[range.clone()]))
            .map(|range| range.len())
            .max();
        let Some(len) = longest else {
            return Err(format!(
                "code at byte {position} is not a source item: {:?}",
                rest.chars().take(40).collect::<String>()
            ));
        };
        position += len;
        if position == code.len() {
            return Ok(());
        }
        if !code[position..].starts_with(separator) {
            return Err(format!(
                "code at byte {position} does not continue with one blank line"
            ));
        }
        position += separator.len();
    }
}

/// `haystack.contains(needle)`, with memchr's vectorized search: a reasoning's quotations are
/// looked for in a code block of a few thousand bytes each.
fn contains(haystack: &str, needle: &str) -> bool {
    memchr::memmem::find(haystack.as_bytes(), needle.as_bytes()).is_some()
}

/// Backticked spans of a text, in order.
pub fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// Identifier-like words outside backticks and quotations (snake_case, paths, camelCase; see
/// [`code_names`]), with where each starts in `text`.
pub(crate) fn unquoted_identifiers(text: &str) -> Vec<(&str, usize)> {
    let mut found = Vec::new();
    let mut offset = 0;
    for (i, segment) in text.split('`').enumerate() {
        let mut at = offset;
        offset += segment.len() + 1;
        if i % 2 == 1 {
            continue;
        }
        for (j, part) in segment.split('"').enumerate() {
            let start = at;
            at += part.len() + 1;
            if j % 2 == 1 {
                continue; // a quotation of the code's own text
            }
            found.extend(
                code_names(part)
                    .into_iter()
                    .map(|r| (&part[r.clone()], start + r.start)),
            );
        }
    }
    found
}

/// Every way the texts of one example break the grounding rules; a request's spans may stand in
/// any of `sources`.
///
/// A mechanism word of the profile (queue, cache, transaction) may stand in the reasoning only
/// when the code shows one of its signs.
pub fn grounding_faults(
    request: &str,
    reasoning: &str,
    code: &str,
    sources: &[&str],
    mechanisms: &[Mechanism],
) -> Vec<String> {
    grounding(request, reasoning, code, sources, mechanisms)
        .into_iter()
        .map(|fault| fault.message)
        .collect()
}

/// One grounding fault, with the text around it.
struct Grounding {
    message: String,
    /// The words around the fault, on its line of the request or reasoning.
    excerpt: String,
}

/// [`grounding_faults`], each with where it stands.
fn grounding<'t>(
    request: &'t str,
    reasoning: &'t str,
    code: &str,
    sources: &[&str],
    mechanisms: &[Mechanism],
) -> Vec<Grounding> {
    let mut faults = Vec::new();
    let mut fault = |message: String, text: &str, at: usize| {
        faults.push(Grounding {
            message,
            excerpt: excerpt(text, at),
        })
    };
    // A text quotes the same names again and again: each is searched for once.
    let mut searched: std::collections::HashMap<&'t str, bool> = std::collections::HashMap::new();
    let mut in_code = |span: &'t str| *searched.entry(span).or_insert_with(|| contains(code, span));
    for (span, at) in backticked_at(reasoning) {
        if !in_code(span) {
            fault(
                format!("reasoning quotes `{span}`, which is not in the code"),
                reasoning,
                at,
            );
        }
    }
    for (span, at) in backticked_at(request) {
        // Most spans stand in the example's own code; the whole sources are searched only for
        // the rest (a route path from the router).
        if !in_code(span) && !sources.iter().any(|s| contains(s, span)) {
            fault(
                format!("request quotes `{span}`, which is not in the source"),
                request,
                at,
            );
        }
    }
    for (word, at) in unquoted_identifiers(reasoning) {
        fault(
            format!("reasoning names {word} outside backticks"),
            reasoning,
            at,
        );
    }
    let lower_reasoning = reasoning.to_lowercase();
    for (mechanism, at) in unshown_mechanisms(&lower_reasoning, code, mechanisms) {
        // Lowercasing may change a text's length: the excerpt is of the lowercased text.
        fault(
            format!(
                "reasoning speaks of a {} the code does not show",
                mechanism.word
            ),
            &lower_reasoning,
            at,
        );
    }
    // Which status numbers the code shows is worked out once, not per line.
    let unshown: Vec<&str> = STATUS_CODES
        .into_iter()
        .filter(|status| contains(reasoning, status) && !contains(code, status))
        .collect();
    if !unshown.is_empty() {
        let mut offset = 0;
        for (i, line) in reasoning.split('\n').enumerate() {
            for status in &unshown {
                if let Some(at) = line.find(status) {
                    fault(
                        format!(
                            "reasoning paragraph {} states status {status}, which the code does not show",
                            i + 1
                        ),
                        reasoning,
                        offset + at,
                    );
                }
            }
            offset += line.len() + 1;
        }
    }
    faults
}

/// The mechanisms `lower_text` (a text, lowercased) speaks of while `code` shows none of their
/// signs, each with where its word first stands in `lower_text`.
pub(crate) fn unshown_mechanisms<'m>(
    lower_text: &str,
    code: &str,
    mechanisms: &'m [Mechanism],
) -> Vec<(&'m Mechanism, usize)> {
    // The code is lowercased only when the text speaks of a mechanism at all.
    let lower_code = std::cell::OnceCell::new();
    mechanisms
        .iter()
        .filter_map(|mechanism| {
            let at = lower_text.find(mechanism.word.as_str())?;
            let shown = mechanism.signs.iter().any(|s| {
                lower_code
                    .get_or_init(|| code.to_lowercase())
                    .contains(s.as_str())
            });
            (!shown).then_some((mechanism, at))
        })
        .collect()
}

/// Backticked spans of a text, with where each starts (its opening backtick).
pub(crate) fn backticked_at(text: &str) -> impl Iterator<Item = (&str, usize)> {
    let mut offset = 0;
    text.split('`').enumerate().filter_map(move |(i, span)| {
        let at = offset;
        offset += span.len() + 1;
        (i % 2 == 1).then_some((span, at.saturating_sub(1)))
    })
}

/// How many characters an excerpt shows on either side of a fault.
const EXCERPT_REACH: usize = 40;

/// The text around byte `at` of `text`, on its line: up to [`EXCERPT_REACH`] characters either
/// side, an ellipsis where it is cut.
pub(crate) fn excerpt(text: &str, at: usize) -> String {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let before: Vec<(usize, char)> = text[line_start..at].char_indices().collect();
    // A cut falls between words where there is a space to cut at.
    let from = match before.len().checked_sub(EXCERPT_REACH) {
        None => line_start,
        Some(k) => {
            let cut = line_start + before[k].0;
            text[cut..at].find(' ').map_or(cut, |i| cut + i + 1)
        }
    };
    let to = match text[at..line_end].char_indices().nth(EXCERPT_REACH) {
        None => line_end,
        Some((i, _)) => text[at..at + i]
            .rfind(' ')
            .filter(|&j| j > 0)
            .map_or(at + i, |j| at + j),
    };
    format!(
        "{}{}{}",
        if from > line_start { "…" } else { "" },
        &text[from..to],
        if to < line_end { "…" } else { "" }
    )
}

/// A source file examples are sliced from, with where its items start and end.
pub struct Source<'a> {
    pub file: &'a SourceFile,
    pub items: &'a [Range<usize>],
    /// The commit this version of the file is from, in history mode.
    pub commit: Option<&'a str>,
}

/// One fault of one example (0-based index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFault {
    pub example: usize,
    pub message: String,
    pub kind: FaultKind,
    /// The words at fault, on their line of the request or reasoning; empty for a fault of
    /// the code.
    pub excerpt: String,
}

/// Whether a fault is in an example's code (its slices do not rebuild it: a bug of the
/// generator, whatever the example says) or in its text (a name outside backticks, a
/// quotation the code does not hold, a repeat: that one example's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Code,
    Text,
}

/// Every fault of a run's examples: each code block rebuilt from its slices' byte ranges must be
/// the code, each slice must start and end on item boundaries of its file, the text must be
/// grounded ([`own_faults`]), and no request or reasoning may repeat ([`repeat_faults`]). With
/// no sources only the repeats are checked.
pub fn example_faults(
    examples: &[Example],
    sources: &[Source],
    mechanisms: &[Mechanism],
) -> Vec<ExampleFault> {
    let mut faults = own_faults(examples, sources, mechanisms);
    faults.extend(repeat_faults(&examples.iter().collect::<Vec<_>>()));
    faults.sort_by_key(|f| f.example);
    faults
}

/// The faults each example has on its own: its code rebuilt from its slices' byte ranges, on
/// item boundaries of their files, and its text grounded. None without sources.
pub fn own_faults(
    examples: &[Example],
    sources: &[Source],
    mechanisms: &[Mechanism],
) -> Vec<ExampleFault> {
    use rayon::prelude::*;
    let texts: Vec<&str> = sources.iter().map(|s| s.file.text.as_str()).collect();
    let bounds: Vec<Bounds> = sources.iter().map(Bounds::of).collect();
    let code_fault = |message: String| (message, FaultKind::Code, String::new());
    let text_fault = |g: Grounding| (g.message, FaultKind::Text, g.excerpt);
    // Each example is checked on its own, on every core; the faults keep the examples' order.
    let own_faults = |example: &Example| -> Vec<(String, FaultKind, String)> {
        let mut faults = Vec::new();
        match rebuilt_code(&example.slices, sources, &bounds) {
            Ok(code) if *code == *example.code => {}
            Ok(_) => faults.push(code_fault(
                "the code is not its slices joined by one blank line".to_owned(),
            )),
            Err(why) => faults.push(code_fault(why)),
        }
        if example.commit.is_none() {
            faults.extend(
                grounding(
                    &example.request,
                    &example.reasoning,
                    &example.code,
                    &texts,
                    mechanisms,
                )
                .into_iter()
                .map(text_fault),
            );
            return faults;
        }
        // History: the request is the maintainer's message, quoted as written, then the code
        // before the commit, which the reasoning may name as well as the code after.
        let before = match rebuilt_code(&example.before, sources, &bounds) {
            Ok(before) => before,
            Err(why) => {
                faults.push(code_fault(format!("before the commit: {why}")));
                return faults;
            }
        };
        if !example.request.contains(&before) {
            faults.push(code_fault(
                "the request does not quote the code before the commit".to_owned(),
            ));
        }
        let both = format!("{before}\n{}", example.code);
        faults.extend(
            grounding("", &example.reasoning, &both, &texts, mechanisms)
                .into_iter()
                .map(text_fault),
        );
        faults
    };
    let own: Vec<Vec<(String, FaultKind, String)>> = if sources.is_empty() {
        Vec::new()
    } else {
        crate::extract::source::on_pool(|| examples.par_iter().map(own_faults).collect())
    };
    own.into_iter()
        .enumerate()
        .flat_map(|(example, faults)| {
            faults
                .into_iter()
                .map(move |(message, kind, excerpt)| ExampleFault {
                    example,
                    message,
                    kind,
                    excerpt,
                })
        })
        .collect()
}

/// Each example whose request or reasoning repeats an earlier example's, word for word.
pub fn repeat_faults(examples: &[&Example]) -> Vec<ExampleFault> {
    let mut faults = Vec::new();
    let mut requests: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reasonings: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, example) in examples.iter().enumerate() {
        let mut push = |message: String, text: &str| {
            faults.push(ExampleFault {
                example: i,
                message,
                kind: FaultKind::Text,
                excerpt: excerpt(text, 0),
            })
        };
        if let Some(&first) = requests.get(example.request.as_str()) {
            push(
                format!(
                    "repeats the request of an earlier example of {}",
                    examples[first].unit
                ),
                &example.request,
            );
        }
        if let Some(&first) = reasonings.get(example.reasoning.as_str()) {
            push(
                format!(
                    "repeats the reasoning of an earlier example of {}",
                    examples[first].unit
                ),
                &example.reasoning,
            );
        }
        requests.entry(&example.request).or_insert(i);
        reasonings.entry(&example.reasoning).or_insert(i);
    }
    faults
}

/// A code block made again from its slices' provenance alone: each slice's bytes from its file,
/// joined by that file's blank line; or why a slice does not fit its file.
/// Where a source's items start and end, for lookups in constant time.
struct Bounds {
    starts: std::collections::HashSet<usize>,
    ends: std::collections::HashSet<usize>,
}

impl Bounds {
    fn of(source: &Source) -> Bounds {
        Bounds {
            starts: source.items.iter().map(|r| r.start).collect(),
            ends: source.items.iter().map(|r| r.end).collect(),
        }
    }
}

fn rebuilt_code(
    slices: &[crate::dataset::example::Slice],
    sources: &[Source],
    bounds: &[Bounds],
) -> Result<String, String> {
    let mut parts = Vec::new();
    let mut separator = "\n\n";
    for slice in slices {
        let index = sources
            .iter()
            .position(|s| s.file.path == slice.path && s.commit == slice.commit.as_deref())
            .ok_or_else(|| format!("slice of {}, which is not a source", slice.path.display()))?;
        let source = &sources[index];
        let starts = bounds[index].starts.contains(&slice.bytes.start);
        let ends = bounds[index].ends.contains(&slice.bytes.end);
        if !starts || !ends {
            return Err(format!(
                "slice {}..{} of {} is not on item boundaries",
                slice.bytes.start,
                slice.bytes.end,
                slice.path.display()
            ));
        }
        let text = source
            .file
            .text
            .get(slice.bytes.clone())
            .ok_or_else(|| format!("slice {:?} is outside its file", slice.bytes))?;
        parts.push(text);
        separator = source.file.blank_line();
    }
    Ok(parts.join(separator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_slices_accepts_items_and_runs_of_items() {
        let text = "use a;\nuse b;\n\nfn f() {}\n\nfn g() {}\n";
        let items = [0..6, 7..13, 15..24, 26..35];
        assert_eq!(
            exact_slices("use a;\nuse b;\n\nfn g() {}", text, &items, "\n\n"),
            Ok(())
        );
        assert_eq!(exact_slices("fn f() {}", text, &items, "\n\n"), Ok(()));
        assert!(exact_slices("fn f() {}\nfn g() {}", text, &items, "\n\n").is_err());
        assert!(exact_slices("fn f() { }", text, &items, "\n\n").is_err());
        assert!(exact_slices("fn f() {}\n\n", text, &items, "\n\n").is_err());
    }

    /// A warning shows the words around a fault on its own line, cut between words, an
    /// ellipsis where it is cut; a fault at the start of a short line shows the line.
    #[test]
    fn an_excerpt_is_the_line_around_the_fault() {
        let text = "First.\n\nThe doc comment of `rotate_key` reads as follows: it takes the latest 'current_key / old_keys' for the endpoint, and so on.\nLast.";
        let at = text.find("current_key").unwrap();
        assert_eq!(
            excerpt(text, at),
            "…reads as follows: it takes the latest 'current_key / old_keys' for the…"
        );
        assert_eq!(excerpt(text, 0), "First.");
        let wide = "é".repeat(50) + " naïve_name";
        let at = wide.find("naïve").unwrap();
        assert_eq!(excerpt(&wide, at), "…naïve_name");
    }

    #[test]
    fn grounding_catches_each_kind_of_fault() {
        let profile = crate::profile::Profile::load(crate::profile::DEFAULT).unwrap();
        let code = "fn send(queue_tx: Q) { queue_tx.send(x) }";
        let source: &str = code;
        assert!(
            grounding_faults(
                "Add `send`.",
                "It calls `queue_tx`, the queue.",
                code,
                &[source],
                &profile.file.mechanisms
            )
            .is_empty()
        );
        let faults = grounding_faults(
            "Add `publish`.",
            "It uses `cache` and calls queue_tx with a transaction; returns 202.",
            code,
            &[source],
            &profile.file.mechanisms,
        );
        insta::assert_debug_snapshot!(faults, @r#"
        [
            "reasoning quotes `cache`, which is not in the code",
            "request quotes `publish`, which is not in the source",
            "reasoning names queue_tx outside backticks",
            "reasoning speaks of a cache the code does not show",
            "reasoning speaks of a transaction the code does not show",
            "reasoning paragraph 1 states status 202, which the code does not show",
        ]
        "#);
    }
}
