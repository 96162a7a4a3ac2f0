//! Checking a JSONL dataset line by line, whoever made it and in whichever wire format (named, or
//! detected from the keys of its first line): the exact schema, the system prompt, the think
//! block or the reasoning apart, duplicates, and with sources the exactness and grounding of every
//! line; near-duplicate requests and reasonings (warnings, or faults when strict); plus token
//! counts. The generator runs the same checks on its own output, all but the near-duplicate one.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::Serialize;

use crate::dataset::check::{self, Mechanism};
use crate::dataset::format::{Format, Line};
use crate::dataset::quality::{self, NEAR_DUPLICATE_THRESHOLD, Part};
use crate::dataset::tokens::TokenCounter;
use crate::extract::source::SourceFile;

/// One fault, tied to a line of the file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub line: usize,
    pub message: String,
}

/// A source file the dataset's code may be sliced from, with its item boundaries.
pub struct Source {
    pub file: SourceFile,
    items: Vec<Range<usize>>,
}

impl Source {
    /// Parses the file once to learn where its items start and end.
    pub fn new(file: SourceFile) -> anyhow::Result<Source> {
        let items = crate::extract::source::on_big_stack(|| file.item_ranges())??;
        Ok(Source { file, items })
    }

    /// A source whose item boundaries are already known.
    pub fn from_parts(file: SourceFile, items: Vec<Range<usize>>) -> Source {
        Source { file, items }
    }
}

pub struct Settings<'a> {
    /// The profile's system prompt, expected unless `system` says otherwise.
    pub system_prompt: &'a str,
    /// The profile's mechanism words, which the reasonings are checked against.
    pub mechanisms: &'a [Mechanism],
    pub sources: &'a [Source],
    /// A system prompt to expect instead of the profile's.
    pub system: Option<&'a str>,
    /// The wire format every line must have; None reads it from the first line's keys.
    pub format: Option<Format>,
    pub counter: Option<&'a TokenCounter>,
    pub max_tokens: usize,
    /// Word 5-gram Jaccard similarity from which two requests or two reasonings are reported
    /// as near-duplicates.
    pub near_duplicate_threshold: f64,
    /// Near-duplicates are faults, not warnings.
    pub strict: bool,
}

impl<'a> Settings<'a> {
    /// Checks of shape, system prompt and repeats only, under a profile's system prompt and
    /// mechanism words.
    pub fn new(system_prompt: &'a str, mechanisms: &'a [Mechanism]) -> Settings<'a> {
        Settings {
            system_prompt,
            mechanisms,
            sources: &[],
            system: None,
            format: None,
            counter: None,
            max_tokens: 16_384,
            near_duplicate_threshold: NEAR_DUPLICATE_THRESHOLD,
            strict: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    /// The format the lines were read as.
    pub format: Format,
    pub lines: Vec<Line>,
    pub faults: Vec<Fault>,
    pub warnings: Vec<Fault>,
    /// Tokens per well-formed line, in line order, when a counter was given.
    pub tokens: Vec<usize>,
}

fn duplicate_faults(lines: &[Line]) -> Vec<Fault> {
    let mut faults = Vec::new();
    let mut requests: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reasonings: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pairs: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for line in lines {
        if let Some(first) = requests.insert(&line.request, line.number) {
            faults.push(Fault {
                line: line.number,
                message: format!("repeats the request of line {first}"),
            });
            requests.insert(&line.request, first);
        }
        if let Some(first) = reasonings.insert(&line.reasoning, line.number) {
            faults.push(Fault {
                line: line.number,
                message: format!("repeats the reasoning of line {first}"),
            });
            reasonings.insert(&line.reasoning, first);
        }
        if let Some(first) = pairs.insert((&line.request, &line.code), line.number) {
            faults.push(Fault {
                line: line.number,
                message: format!("repeats the request and code of line {first}"),
            });
            pairs.insert((&line.request, &line.code), first);
        }
    }
    faults
}

/// Each line whose request or reasoning nearly repeats an earlier line's, once per part,
/// naming the earliest such line: one message per text to rewrite, as for exact repeats. A
/// text that exactly repeats an earlier one is already a fault and is not reported again.
fn near_duplicate_messages(lines: &[Line], threshold: f64) -> Vec<Fault> {
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for line in lines {
        for (what, text) in [
            (Part::Request, &line.request),
            (Part::Reasoning, &line.reasoning),
        ] {
            if !seen.insert((what, text)) {
                reported.insert((line.number, what));
            }
        }
    }
    let mut messages = Vec::new();
    for pair in quality::near_duplicates(lines, threshold) {
        if reported.insert((pair.second, pair.what)) {
            messages.push(Fault {
                line: pair.second,
                message: format!(
                    "{} is a near-duplicate of line {} (word 5-gram Jaccard {:.2})",
                    pair.what.name(),
                    pair.first,
                    pair.jaccard
                ),
            });
        }
    }
    messages
}

/// Faults of one line against the sources: exact slices of one of them, grounded text.
fn source_faults(line: &Line, sources: &[Source], mechanisms: &[Mechanism]) -> Vec<String> {
    let mut faults = Vec::new();
    // Each source is tried once; when none fits, the first one's reason is reported.
    let mut first_why = None;
    let exact = sources.iter().any(|s| {
        match check::exact_slices(&line.code, &s.file.text, &s.items, s.file.blank_line()) {
            Ok(()) => true,
            Err(why) => {
                first_why.get_or_insert(why);
                false
            }
        }
    });
    if !exact {
        faults.push(format!(
            "the code is not made of exact item slices of any source ({})",
            first_why.unwrap_or_default()
        ));
    }
    let texts: Vec<&str> = sources.iter().map(|s| s.file.text.as_str()).collect();
    faults.extend(check::grounding_faults(
        &line.request,
        &line.reasoning,
        &line.code,
        &texts,
        mechanisms,
    ));
    faults
}

/// Checks a whole JSONL text.
pub fn validate(text: &str, settings: &Settings) -> Report {
    let format = settings.format.unwrap_or_else(|| Format::detect_file(text));
    let mut report = Report {
        format,
        ..Report::default()
    };
    // The newline ending the last line ends it; it does not start an empty one.
    let body = text.strip_suffix('\n').unwrap_or(text);
    let raw_lines = (!text.is_empty()).then(|| body.split('\n'));
    for (index, raw) in raw_lines.into_iter().flatten().enumerate() {
        let number = index + 1;
        let system = settings.system.unwrap_or(settings.system_prompt);
        match format.parse_line(number, raw, system) {
            Ok(line) => report.lines.push(line),
            Err(message) => report.faults.push(Fault {
                line: number,
                message,
            }),
        }
    }
    report.faults.extend(duplicate_faults(&report.lines));
    let near = near_duplicate_messages(&report.lines, settings.near_duplicate_threshold);
    if settings.strict {
        report.faults.extend(near);
    } else {
        report.warnings.extend(near);
    }
    if !settings.sources.is_empty() {
        for line in &report.lines {
            for message in source_faults(line, settings.sources, settings.mechanisms) {
                report.faults.push(Fault {
                    line: line.number,
                    message,
                });
            }
        }
    }
    if let Some(counter) = settings.counter {
        for line in &report.lines {
            let tokens: usize = line.contents.iter().map(|c| counter.count(c)).sum();
            if tokens > settings.max_tokens {
                report.warnings.push(Fault {
                    line: line.number,
                    message: format!("{tokens} tokens, over --max-tokens {}", settings.max_tokens),
                });
            }
            report.tokens.push(tokens);
        }
    }
    report.faults.sort_by_key(|f| f.line);
    report.warnings.sort_by_key(|f| f.line);
    report
}

/// min, median, max and total of a list of counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Spread {
    pub min: usize,
    pub median: usize,
    pub max: usize,
    pub total: usize,
}

pub fn spread(counts: &[usize]) -> Spread {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    match sorted.as_slice() {
        [] => Spread::default(),
        s => Spread {
            min: s[0],
            median: s[s.len() / 2],
            max: s[s.len() - 1],
            total: s.iter().sum(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static PROFILE: LazyLock<crate::profile::Profile> =
        LazyLock::new(|| crate::profile::Profile::load(crate::profile::DEFAULT).unwrap());
    use std::path::Path;

    fn line(user: &str, assistant: &str) -> String {
        serde_json::json!({
            "type": "chatml",
            "messages": [
                {"role": "system", "content": PROFILE.system_prompt()},
                {"role": "user", "content": user},
                {"role": "assistant", "content": assistant},
            ]
        })
        .to_string()
    }

    fn faults(text: &str, settings: &Settings) -> String {
        validate(text, settings)
            .faults
            .iter()
            .map(|f| format!("{}: {}", f.line, f.message))
            .collect::<Vec<_>>()
            .join("\n")
    }

    const CODE: &str = "fn send(queue_tx: Q) {\n    queue_tx.send(x)\n}";

    #[test]
    fn a_good_line_has_no_fault() {
        let text = line(
            "Add `send`.",
            &format!("<think>\nI call `send`.\n</think>\n\n{CODE}"),
        ) + "\n";
        assert_eq!(
            faults(
                &text,
                &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
            ),
            ""
        );
    }

    #[test]
    fn each_shape_fault_names_its_line() {
        let good = |n: usize| {
            line(
                &format!("ask {n}"),
                &format!("<think>\nwhy {n}\n</think>\n\ncode {n}"),
            )
        };
        let lines = [
            good(1),
            "{not json".to_owned(),
            r#"{"messages":[],"type":"chatml"}"#.to_owned(),
            good(4).replace("\"chatml\"", "\"openai\""),
            r#"{"type":"chatml","messages":[{"role":"system","content":"x"}]}"#.to_owned(),
            good(6).replace(
                r#"{"role":"user","content""#,
                r#"{"content":"x","role":"user","extra""#,
            ),
            good(7).replace(r#""role":"user""#, r#""role":"tool""#),
            good(8).replace("ask 8", " "),
            good(9).replace("You are the Svix Maintainer AI", "You are a bot"),
            line("ask 10", "why 10\n\ncode"),
            line("ask 11", "<think>\nwhy 11 and no close"),
            line("ask 12", "<think>\nwhy 12\n</think>\n\n  "),
        ];
        let text = lines.join("\n") + "\n";
        insta::assert_snapshot!(faults(&text, &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)), @r#"
        2: not JSON: key must be a string at line 1 column 2
        3: top-level keys must be "type" then "messages", found ["messages", "type"]
        4: "type" must be "chatml", found "openai"
        5: expected 3 messages (system, user, assistant), found 1
        6: message 2 must have keys "role" then "content", found ["content", "role", "extra"]
        7: message 2 must have role "user", found "tool"
        8: the user content is empty
        9: the system prompt is not the expected one (see --system)
        10: the assistant content must start with "<think>\n"
        11: the assistant content must close its think block with "\n</think>\n\n"
        12: no code after the think block
        "#);
    }

    #[test]
    fn only_the_final_newline_is_not_a_line() {
        let good = line("a", "<think>\nb\n</think>\n\nc");
        assert_eq!(
            validate(
                "",
                &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
            )
            .lines
            .len(),
            0
        );
        assert_eq!(
            validate(
                &good,
                &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
            )
            .lines
            .len(),
            1
        );
        assert_eq!(
            validate(
                &format!("{good}\n"),
                &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
            )
            .lines
            .len(),
            1
        );
        let blank_inside = validate(
            &format!("{good}\n\n{good}\n"),
            &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms),
        );
        assert_eq!(blank_inside.faults[0].line, 2);
        assert!(blank_inside.faults[0].message.starts_with("not JSON"));
    }

    #[test]
    fn another_system_prompt_can_be_required() {
        let text = line("a", "<think>\nb\n</think>\n\nc");
        let settings = Settings {
            system: Some("other"),
            ..Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
        };
        assert_eq!(
            faults(&text, &settings),
            "1: the system prompt is not the expected one (see --system)"
        );
    }

    #[test]
    fn near_duplicates_warn_or_fail_under_strict_and_exact_repeats_are_not_reported_twice() {
        let reasoning = |word: &str| {
            format!(
                "<think>\nThe handler reads the body, checks the {word} first and only then \
                 writes the row, so that nothing half-valid ever reaches the database. It \
                 answers with the created row once the queue has accepted the message.\n\
                 </think>\n\ncode"
            )
        };
        let text = [
            line("ask one", &reasoning("payload")),
            line("ask two", &reasoning("channels")),
            line("ask three", &reasoning("payload")),
        ]
        .join("\n");
        let messages = |faults: &[Fault]| {
            faults
                .iter()
                .map(|f| format!("{}: {}", f.line, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let report = validate(
            &text,
            &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms),
        );
        // Line 3 repeats line 1 exactly: a fault already, so no near-duplicate warning.
        insta::assert_snapshot!(messages(&report.faults), @"3: repeats the reasoning of line 1");
        insta::assert_snapshot!(messages(&report.warnings), @"2: reasoning is a near-duplicate of line 1 (word 5-gram Jaccard 0.73)");
        let strict = Settings {
            strict: true,
            ..Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
        };
        let report = validate(&text, &strict);
        insta::assert_snapshot!(messages(&report.faults), @r"
        2: reasoning is a near-duplicate of line 1 (word 5-gram Jaccard 0.73)
        3: repeats the reasoning of line 1
        ");
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn duplicates_name_both_lines() {
        let a = line("same ask", "<think>\nreason one\n</think>\n\ncode one");
        let b = line("same ask", "<think>\nreason two\n</think>\n\ncode one");
        let c = line("other ask", "<think>\nreason one\n</think>\n\ncode three");
        let text = [a, b, c].join("\n");
        insta::assert_snapshot!(faults(&text, &Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)), @r"
        2: repeats the request of line 1
        2: repeats the request and code of line 1
        3: repeats the reasoning of line 1
        ");
    }

    /// A source with a queue send, and the exact slice of its `use` line and `send`.
    const QUEUE_SOURCE: &str =
        "use q::Q;\n\nfn send(queue_tx: Q) {\n    queue_tx.send(x)\n}\n\nfn other() {}\n";
    const QUEUE_EXACT: &str = "use q::Q;\n\nfn send(queue_tx: Q) {\n    queue_tx.send(x)\n}";

    fn queue_sources() -> [Source; 1] {
        let file = SourceFile::from_text(Path::new("src.rs"), QUEUE_SOURCE.to_owned());
        [Source::new(file).unwrap()]
    }

    #[test]
    fn with_a_source_code_must_be_exact_and_text_grounded() {
        let sources = queue_sources();
        let settings = Settings {
            sources: &sources,
            ..Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
        };
        let exact = QUEUE_EXACT;
        let lines = [
            line(
                "Add `send`.",
                &format!("<think>\nI call `send` on `queue_tx`, the queue.\n</think>\n\n{exact}"),
            ),
            line(
                "Add `send` now.",
                "<think>\nI write `send`.\n</think>\n\nfn send(queue_tx: Q) { queue_tx.send(x) }",
            ),
            line(
                "Add `publish`.",
                &format!("<think>\nIt uses `publish`.\n</think>\n\n{exact}"),
            ),
            line(
                "Add `other`.",
                "<think>\nIt opens a transaction.\n</think>\n\nfn other() {}",
            ),
            line(
                "Add them both.",
                "<think>\nTwo items, `send` and `other`.\n</think>\n\nfn send(queue_tx: Q) {\n    queue_tx.send(x)\n}\nfn other() {}",
            ),
        ];
        insta::assert_snapshot!(faults(&lines.join("\n"), &settings), @r#"
        2: the code is not made of exact item slices of any source (code at byte 0 is not a source item: "fn send(queue_tx: Q) { queue_tx.send(x) ")
        3: reasoning quotes `publish`, which is not in the code
        3: request quotes `publish`, which is not in the source
        4: reasoning speaks of a transaction the code does not show
        5: the code is not made of exact item slices of any source (code at byte 45 does not continue with one blank line)
        "#);
    }

    #[test]
    fn tokens_are_counted_per_line_and_long_lines_warned() {
        let counter = TokenCounter::new(crate::dataset::tokens::Encoding::O200kBase).unwrap();
        let text = [
            line("short", "<think>\nx\n</think>\n\ny"),
            line(&"word ".repeat(50), "<think>\nx x\n</think>\n\ny"),
        ]
        .join("\n");
        let settings = Settings {
            counter: Some(&counter),
            max_tokens: 80,
            ..Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
        };
        let report = validate(&text, &settings);
        assert_eq!(report.tokens.len(), 2);
        assert!(
            report.tokens[1] > 80 && report.tokens[0] < 80,
            "{:?}",
            report.tokens
        );
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].line, 2);
        let spread = spread(&report.tokens);
        assert_eq!(spread.total, report.tokens.iter().sum::<usize>());
        assert_eq!(
            (spread.min, spread.max),
            (report.tokens[0], report.tokens[1])
        );
    }

    /// Each fault kind, put on the wire in each format: the same lines fail for the same
    /// reasons, only the shape messages naming the format's own keys.
    #[test]
    fn every_fault_kind_is_caught_in_every_format() {
        use crate::dataset::example::{Example, Voice};
        let sources = queue_sources();
        let settings = Settings {
            sources: &sources,
            ..Settings::new(PROFILE.system_prompt(), &PROFILE.file.mechanisms)
        };
        let exact = QUEUE_EXACT;
        let example = |request: &str, reasoning: &str, code: &str| Example {
            unit: "item:send".to_owned(),
            group: "item:send".to_owned(),
            kind: "handler",
            voice: Voice::Chat,
            variant: 0,
            request: request.to_owned(),
            reasoning: reasoning.to_owned(),
            rules: Vec::new(),
            code: code.into(),
            commit: None,
            before: Vec::new(),
            model: None,
            slices: Vec::new(),
        };
        let long = |word: &str| {
            format!(
                "The handler reads the body, checks the {word} first and only then writes the \
                 row, so that nothing half-valid ever reaches the database. It answers with the \
                 created row once the queue has accepted the message."
            )
        };
        let system = PROFILE.system_prompt();
        let mut report = String::new();
        for format in Format::ALL {
            let line = |e: &Example| format.line(e, system);
            let good = example("Add `send`.", "I call `send` on `queue_tx`.", exact);
            let mut extra_key: serde_json::Value = serde_json::from_str(&line(&good)).unwrap();
            extra_key["weight"] = 1.into();
            let broken_think = match format {
                Format::Reasoning => line(&example(
                    "Add `send` again.",
                    "<think>\nI send.\n</think>",
                    exact,
                )),
                _ => line(&example("Add `send` again.", "I send.", exact))
                    .replace("<think>\\n", "<thinking>\\n"),
            };
            let lines = [
                line(&good),
                extra_key.to_string(),
                format.line(&good, "You are a bot."),
                broken_think,
                line(&good),
                line(&example("Check the body.", &long("payload"), exact)),
                line(&example("Check the channels.", &long("channels"), exact)),
                line(&example(
                    "Add `send` now.",
                    "I write `send`.",
                    "fn send(queue_tx: Q) { queue_tx.send(x) }",
                )),
                line(&example("Add `publish`.", "It uses `publish`.", exact)),
            ];
            let checked = validate(&(lines.join("\n") + "\n"), &settings);
            assert_eq!(checked.format, format, "detected from the first line");
            report.push_str(&format!("--- {}\n", format.name()));
            for (kind, faults) in [("", &checked.faults), ("warning: ", &checked.warnings)] {
                for fault in faults {
                    report.push_str(&format!("{}: {kind}{}\n", fault.line, fault.message));
                }
            }
        }
        insta::assert_snapshot!(report, @r#"
        --- chatml
        2: top-level keys must be "type" then "messages", found ["type", "messages", "weight"]
        3: the system prompt is not the expected one (see --system)
        4: the assistant content must start with "<think>\n"
        5: repeats the request of line 1
        5: repeats the reasoning of line 1
        5: repeats the request and code of line 1
        8: the code is not made of exact item slices of any source (code at byte 0 is not a source item: "fn send(queue_tx: Q) { queue_tx.send(x) ")
        9: reasoning quotes `publish`, which is not in the code
        9: request quotes `publish`, which is not in the source
        7: warning: reasoning is a near-duplicate of line 6 (word 5-gram Jaccard 0.73)
        --- openai
        2: top-level keys must be "messages" only, found ["messages", "weight"]
        3: the system prompt is not the expected one (see --system)
        4: the assistant content must start with "<think>\n"
        5: repeats the request of line 1
        5: repeats the reasoning of line 1
        5: repeats the request and code of line 1
        8: the code is not made of exact item slices of any source (code at byte 0 is not a source item: "fn send(queue_tx: Q) { queue_tx.send(x) ")
        9: reasoning quotes `publish`, which is not in the code
        9: request quotes `publish`, which is not in the source
        7: warning: reasoning is a near-duplicate of line 6 (word 5-gram Jaccard 0.73)
        --- reasoning
        2: top-level keys must be "messages" only, found ["messages", "weight"]
        3: the system prompt is not the expected one (see --system)
        4: "reasoning_content" must hold the reasoning without the think tags
        5: repeats the request of line 1
        5: repeats the reasoning of line 1
        5: repeats the request and code of line 1
        8: the code is not made of exact item slices of any source (code at byte 0 is not a source item: "fn send(queue_tx: Q) { queue_tx.send(x) ")
        9: reasoning quotes `publish`, which is not in the code
        9: request quotes `publish`, which is not in the source
        7: warning: reasoning is a near-duplicate of line 6 (word 5-gram Jaccard 0.73)
        --- prompt-completion
        2: top-level keys must be "prompt" then "completion", found ["prompt", "completion", "weight"]
        3: the system prompt is not the expected one (see --system)
        4: the assistant content must start with "<think>\n"
        5: repeats the request of line 1
        5: repeats the reasoning of line 1
        5: repeats the request and code of line 1
        8: the code is not made of exact item slices of any source (code at byte 0 is not a source item: "fn send(queue_tx: Q) { queue_tx.send(x) ")
        9: reasoning quotes `publish`, which is not in the code
        9: request quotes `publish`, which is not in the source
        7: warning: reasoning is a near-duplicate of line 6 (word 5-gram Jaccard 0.73)
        "#);
    }
}

/// One slice as a history manifest names it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ManifestSlice {
    pub path: String,
    pub start_byte: usize,
    pub end_byte: usize,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct ManifestExample {
    line: usize,
    split: String,
    slices: Vec<ManifestSlice>,
    #[serde(default)]
    request_slices: Vec<ManifestSlice>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct ManifestWritten {
    sha256: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct HistoryManifest {
    #[serde(default)]
    output: Option<ManifestWritten>,
    valid: Option<ManifestWritten>,
    examples: Vec<ManifestExample>,
}

/// An `--all-routes` folder's manifest: one dataset's manifest per operation.
#[derive(Debug, Clone, serde::Deserialize)]
struct FolderManifest {
    operations: Vec<FolderOperation>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct FolderOperation {
    dataset: HistoryManifest,
}

/// The manifest of the file whose sha256 is `file_sha256`: a dataset's own, or in an
/// `--all-routes` folder's manifest the operation whose train or validation file it is.
fn manifest_of(manifest_text: &str, file_sha256: &str) -> Result<HistoryManifest, String> {
    let not_ours = |e: serde_json::Error| format!("not a manifest of svix-distill: {e}");
    let value: serde_json::Value = serde_json::from_str(manifest_text).map_err(not_ours)?;
    if value.get("operations").is_none() {
        return serde_json::from_value(value).map_err(not_ours);
    }
    let folder: FolderManifest = serde_json::from_value(value).map_err(not_ours)?;
    let is_it = |w: &Option<ManifestWritten>| w.as_ref().is_some_and(|w| w.sha256 == file_sha256);
    folder
        .operations
        .into_iter()
        .map(|o| o.dataset)
        .find(|d| is_it(&d.output) || is_it(&d.valid))
        .ok_or_else(|| "no operation of this --all-routes manifest wrote this file".to_owned())
}

/// Reads a file at a commit for `validate --repo`: (path, commit) to the file, or why not.
pub type ReadAtCommit<'a> = dyn FnMut(&str, &str) -> Result<std::rc::Rc<CommitFile>, String> + 'a;

/// A file at a commit, as `validate --repo` reads it: its text and item boundaries.
pub struct CommitFile {
    pub text: String,
    pub items: Vec<Range<usize>>,
    /// What joins two of its slices ([`SourceFile::blank_line`]).
    pub blank_line: &'static str,
}

/// `validate --repo`: each line's code, and the code its request quotes, rebuilt from the
/// files at the commits its manifest entry names, on item boundaries, and its reasoning
/// grounded in both. `file_sha256` tells which side of a split the file is; `read` gives a
/// file at a commit (path, commit).
pub fn repo_faults(
    report: &Report,
    manifest_text: &str,
    file_sha256: &str,
    mechanisms: &[Mechanism],
    read: &mut ReadAtCommit,
) -> Result<Vec<Fault>, String> {
    let manifest = manifest_of(manifest_text, file_sha256)?;
    let side = match &manifest.valid {
        Some(valid) if valid.sha256 == file_sha256 => "valid",
        _ => "train",
    };
    let entries: BTreeMap<usize, &ManifestExample> = manifest
        .examples
        .iter()
        .filter(|e| e.split == side)
        .map(|e| (e.line, e))
        .collect();
    let mut faults = Vec::new();
    for line in &report.lines {
        let mut fault = |message: String| {
            faults.push(Fault {
                line: line.number,
                message,
            })
        };
        let Some(entry) = entries.get(&line.number) else {
            fault("the manifest has no entry for this line".to_owned());
            continue;
        };
        let mut rebuild = |slices: &[ManifestSlice]| -> Result<(String, Vec<String>), String> {
            let mut parts = Vec::new();
            let mut texts = Vec::new();
            let mut separator = "\n\n";
            for slice in slices {
                let commit = slice
                    .commit
                    .as_deref()
                    .ok_or_else(|| format!("a slice of {} names no commit", slice.path))?;
                let file = read(&slice.path, commit)?;
                let range = slice.start_byte..slice.end_byte;
                let text = file.text.get(range.clone()).ok_or_else(|| {
                    format!("slice {range:?} is outside {} at {commit}", slice.path)
                })?;
                if !file.items.iter().any(|r| r.start == range.start)
                    || !file.items.iter().any(|r| r.end == range.end)
                {
                    return Err(format!(
                        "slice {range:?} of {} at {commit} is not on item boundaries",
                        slice.path
                    ));
                }
                separator = file.blank_line;
                parts.push(text.to_owned());
                texts.push(file.text.clone());
            }
            Ok((parts.join(separator), texts))
        };
        let after = match rebuild(&entry.slices) {
            Ok((code, _)) if code != line.code => {
                fault("the code is not the slices its manifest entry names".to_owned());
                continue;
            }
            Ok((code, _)) => code,
            Err(why) => {
                fault(why);
                continue;
            }
        };
        let before = match rebuild(&entry.request_slices) {
            Ok((code, _)) => code,
            Err(why) => {
                fault(format!("the request's code: {why}"));
                continue;
            }
        };
        if !line.request.contains(&before) {
            fault("the request does not quote the code before the commit".to_owned());
        }
        let both = format!("{before}\n{after}");
        for message in check::grounding_faults("", &line.reasoning, &both, &[], mechanisms) {
            fault(message);
        }
    }
    Ok(faults)
}
