//! Random edits of the fixtures (deleted lines, stray braces, quotes and backticks, non-ASCII
//! and CR bytes): the tool either refuses the file with a clean error or gives lines whose code
//! is exact. An error that starts with "internal error", or an example left out for failing
//! its check, is the generator failing its own checks: a bug.

mod support;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use svix_distill::dataset::check;
use svix_distill::extract::source::SourceFile;
use svix_distill::pipeline::Options;

use support::grounding::ungrounded;

/// The pipeline under the default profile (message creation), as the CLI runs it.
fn generate(
    source: &SourceFile,
    options: &Options,
) -> anyhow::Result<svix_distill::pipeline::Extracted> {
    let profile = svix_distill::profile::Profile::load(svix_distill::profile::DEFAULT)?;
    let generated = svix_distill::pipeline::extract(source, &profile, options)?;
    // An example left out for failing its check is the generator failing it, as much a bug here
    // as an internal error: the run goes on without it, but these tests must not.
    if let Some(dropped) = generated.dropped.first() {
        anyhow::bail!(
            "internal error: {} left out: {}: {}",
            dropped.unit,
            dropped.reason,
            dropped.excerpt
        );
    }
    Ok(generated)
}

const FIXTURES: [&str; 3] = [
    include_str!("../fixtures/message.rs"),
    include_str!("../fixtures/message_2022.rs"),
    include_str!("../fixtures/message_misc.rs"),
];

const INSERTIONS: [&str; 11] = [
    "{", "}", "(", ")", "é", "🚀", "\r", "\u{feff}", "\r\n", "`", "\"",
];

#[derive(Debug, Clone)]
enum Edit {
    DeleteLine(usize),
    Insert(usize, &'static str),
    DuplicateLine(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::DeleteLine),
        (any::<usize>(), prop::sample::select(&INSERTIONS[..]))
            .prop_map(|(at, text)| Edit::Insert(at, text)),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

fn char_boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edit: &Edit) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    match *edit {
        Edit::DeleteLine(n) if !lines.is_empty() => {
            let n = n % lines.len();
            lines
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != n)
                .map(|(_, l)| *l)
                .collect()
        }
        Edit::DuplicateLine(n) if !lines.is_empty() => {
            let n = n % lines.len();
            let mut out = String::new();
            for (i, line) in lines.iter().enumerate() {
                out.push_str(line);
                if i == n {
                    out.push_str(line);
                }
            }
            out
        }
        Edit::Insert(at, piece) => {
            let at = char_boundary(text, at);
            format!("{}{piece}{}", &text[..at], &text[at..])
        }
        _ => text.to_owned(),
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 160,
        rng_seed: RngSeed::Fixed(0x5_71C5),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn edited_fixtures_error_cleanly_or_stay_exact(
        fixture in 0..FIXTURES.len(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let text = edits.iter().fold(FIXTURES[fixture].to_owned(), |t, e| apply(&t, e));
        let source = SourceFile::from_text(Path::new("edited.rs"), text);
        match generate(&source, &Options::default()) {
            Ok(generated) => {
                let file = source.parse().expect("generate parsed it");
                let items: Vec<_> = file
                    .items
                    .iter()
                    .map(|i| source.with_leading_comments(source.node_range(i)))
                    .collect();
                for example in &generated.examples {
                    let exact = check::exact_slices(
                        &example.code,
                        &source.text,
                        &items,
                        source.blank_line(),
                    );
                    prop_assert!(exact.is_ok(), "{:?}", exact);
                }
            }
            Err(err) => {
                let message = format!("{err:#}");
                prop_assert!(!message.starts_with("internal error"), "{}", message);
            }
        }
    }
}

/// The examples of an edited fixture, as many as the unedited fixture gives (the edit loses no
/// unit), five per unit so that every phrasing has a chance to show.
fn examples_of(edited: &str, original: &str) -> Vec<svix_distill::pipeline::Example> {
    let options = Options {
        variants: Some(5),
        ..Options::default()
    };
    let run = |text: &str| {
        let source = SourceFile::from_text(Path::new("edited.rs"), text.to_owned());
        generate(&source, &options)
            .unwrap_or_else(|err| panic!("{err:#}"))
            .examples
    };
    assert_ne!(edited, original, "the edit changed nothing");
    let examples = run(edited);
    assert_eq!(examples.len(), run(original).len());
    examples
}

/// Every example's text grounded in its code ([`ungrounded`]), the request's in the file.
fn assert_grounded(examples: &[svix_distill::pipeline::Example], file: &str) {
    for example in examples {
        let faults = ungrounded(&example.request, &example.reasoning, &example.code, file);
        assert!(faults.is_empty(), "{}: {faults:?}", example.unit);
    }
}

/// Regression: with the `..` of `State(AppState { ref db, queue_tx, cache, .. })` deleted, the
/// reasoning still said the rest was ignored "with `..`", quoting code that was no longer there
/// (the check let it through: the handler's code has a `..` elsewhere).
#[test]
fn state_pattern_without_rest_does_not_quote_dot_dot() {
    let text = FIXTURES[0].replacen("        cache,\n        ..\n", "        cache,\n", 1);
    let examples = examples_of(&text, FIXTURES[0]);
    assert_grounded(&examples, &text);
    let state_sentences: Vec<&str> = examples
        .iter()
        .flat_map(|e| e.reasoning.split(". "))
        .filter(|sentence| sentence.contains("`AppState`") && sentence.contains("`cache`"))
        .collect();
    assert!(
        !state_sentences.is_empty(),
        "no reasoning destructures `AppState`"
    );
    for sentence in state_sentences {
        assert!(!sentence.contains("`..`"), "{sentence}");
    }
}

/// Regression: a CRLF inside `#[serde(default = "…")]` is read as LF, so the parsed function
/// name was quoted though the code never spells it that way.
#[test]
fn line_break_inside_an_attribute_string_is_not_quoted() {
    let text = FIXTURES[0].replacen(
        "\"default_retention_days\"",
        "\"d\r\nefault_retention_days\"",
        1,
    );
    assert_grounded(&examples_of(&text, FIXTURES[0]), &text);
}

/// Regression: a CRLF inside the route's path string made the request quote a path the file
/// does not contain as written.
#[test]
fn line_break_inside_a_route_path_is_not_quoted() {
    let text = FIXTURES[2].replacen("\"/app/{app_id}/msg\"", "\"/app\r\n/{app_id}/msg\"", 1);
    let examples = examples_of(&text, FIXTURES[2]);
    assert_grounded(&examples, &text);
    for example in &examples {
        assert!(
            !example.request.contains("{app_id}/msg"),
            "{}",
            example.request
        );
    }
}

/// Regression: a line break inside a path (`NoteOut::\r\nof`) made the reasoning quote the
/// joined path `NoteOut::of`, which is not in the code.
#[test]
fn line_break_inside_a_call_path_is_not_quoted() {
    let text = FIXTURES[2].replacen("NoteOut::of(&note)", "NoteOut::\r\nof(&note)", 1);
    let examples = examples_of(&text, FIXTURES[2]);
    assert_grounded(&examples, &text);
    for example in &examples {
        assert!(
            !example.reasoning.contains("`NoteOut::of`"),
            "{}",
            example.reasoning
        );
    }
}

/// Regression (found by the fuzzer): a backtick inside an attribute string
/// (`default = "default_b`ody"`) was quoted in backticks and closed the code span early.
#[test]
fn a_backtick_inside_an_attribute_string_is_not_quoted() {
    let text = FIXTURES[2].replacen("\"default_body\"", "\"default_b`ody\"", 1);
    assert_grounded(&examples_of(&text, FIXTURES[2]), &text);
}

/// Regression (found by the fuzzer): a doc comment with a `"` in it was quoted as `"…"`, the
/// inner quote ended the quotation early, and a name in the doc read as a bare identifier.
#[test]
fn a_doc_comment_with_quotes_is_not_quoted() {
    let text = FIXTURES[2].replacen("Deutsch.\nconst MAX_BYTES", "Deutsch.\")onst MAX_BYTES", 1);
    let examples = examples_of(&text, FIXTURES[2]);
    assert_grounded(&examples, &text);
    for example in &examples {
        assert!(
            !example.reasoning.contains("Deutsch"),
            "{}",
            example.reasoning
        );
    }
}
