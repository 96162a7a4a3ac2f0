//! Whole-pipeline tests over the hand-written fixtures, each under the profile it is written
//! for: one readable snapshot of the examples per fixture, and the invariants every example must
//! keep, in every output mode.

mod support;

use std::path::Path;

use svix_distill::dataset::format;
use svix_distill::extract::source::SourceFile;
use svix_distill::extract::units::Imports;
use svix_distill::pipeline::{Example, Extracted, Options, extract};
use svix_distill::profile::Profile;

use support::grounding::ungrounded;

/// The profile a fixture is written for: the test profiles in tests/profiles for event types
/// and for secret rotation.
fn profile_for(source: &SourceFile) -> Profile {
    let name = source.path.file_name().unwrap().to_str().unwrap();
    let profile = if name.starts_with("application") {
        "application-creation"
    } else if name.starts_with("event_type") {
        "tests/profiles/event-type-creation.toml"
    } else if name.starts_with("endpoint_secret") {
        "tests/profiles/secret-rotation.toml"
    } else {
        "message-creation"
    };
    Profile::load(profile).unwrap()
}

/// The pipeline on a fixture under its own profile. Every example of a fixture passes its
/// check: one left out would be a generator bug that the run itself only warns of.
fn generate(source: &SourceFile, options: &Options) -> anyhow::Result<Extracted> {
    let generated = extract(source, &profile_for(source), options)?;
    assert!(
        generated.dropped.is_empty(),
        "{}: {:#?}",
        source.path.display(),
        generated.dropped
    );
    Ok(generated)
}

/// The examples as a person reviews them: request, reasoning, and where each slice of the code
/// comes from, without the code itself (the fixture holds it).
fn readable(examples: &[Example]) -> String {
    let mut out = String::new();
    for (i, e) in examples.iter().enumerate() {
        out.push_str(&format!(
            "=== {} {} ({}, {}, variant {})\n--- request\n{}\n--- reasoning\n{}\n--- code\n",
            i + 1,
            e.unit,
            e.kind,
            e.voice.name(),
            e.variant,
            e.request,
            e.reasoning
        ));
        for slice in &e.slices {
            out.push_str(&format!(
                "{}:{}-{} (bytes {}..{})\n",
                slice.path.display(),
                slice.lines.0,
                slice.lines.1,
                slice.bytes.start,
                slice.bytes.end
            ));
        }
        out.push('\n');
    }
    out
}

fn fixture(name: &str) -> SourceFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let mut source = SourceFile::read(&path).unwrap();
    // Messages and snapshots must not depend on where the repository is checked out.
    source.path = Path::new("fixtures").join(name);
    source
}

/// The same file with CRLF line endings, as a Windows checkout would have it.
fn with_crlf(source: &SourceFile) -> SourceFile {
    let path = source.path.with_extension("crlf.rs");
    SourceFile::from_text(&path, source.text.replace('\n', "\r\n"))
}

/// The example of a given unit.
fn example<'a>(examples: &'a [Example], unit: &str) -> &'a Example {
    examples
        .iter()
        .find(|e| e.unit == unit)
        .unwrap_or_else(|| panic!("no example for {unit}"))
}

/// Every fixture, and a CRLF copy of each.
fn all_fixtures() -> Vec<SourceFile> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rs"))
            .collect();
    names.sort();
    names
        .iter()
        .map(|n| fixture(n))
        .flat_map(|f| [with_crlf(&f), f])
        .collect()
}

fn modes() -> Vec<Options> {
    let mut out = Vec::new();
    for imports in [Imports::All, Imports::Used, Imports::None] {
        for variants in [None, Some(1), Some(5)] {
            out.push(Options {
                variants,
                imports,
                ..Options::default()
            });
        }
    }
    out
}

#[test]
fn readable_snapshot_per_fixture_and_profile() {
    insta::glob!("../fixtures", "*.rs", |path| {
        let name = path.file_name().unwrap().to_str().unwrap();
        let source = fixture(name);
        let generated = generate(&source, &Options::default()).unwrap();
        insta::with_settings!({ description => format!("profile {}", profile_for(&source).name()) }, {
            insta::assert_snapshot!(readable(&generated.examples));
        });
    });
}

/// Rebuilds every code block from its provenance alone, reading the file again from disk (or
/// from the CRLF copy's text), without the generator's own check code.
#[test]
fn every_code_block_rebuilds_from_its_provenance() {
    for source in all_fixtures() {
        let on_disk = match std::fs::read_to_string(&source.path) {
            Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
            Err(_) => source.text.clone(),
        };
        let blank = if on_disk.contains("\r\n") {
            "\r\n\r\n"
        } else {
            "\n\n"
        };
        for options in modes() {
            let generated = generate(&source, &options).unwrap();
            for example in &generated.examples {
                assert!(!example.slices.is_empty());
                let rebuilt = example
                    .slices
                    .iter()
                    .map(|s| {
                        assert_eq!(s.path, source.path);
                        let text = &on_disk[s.bytes.clone()];
                        let first = on_disk[..s.bytes.start].matches('\n').count() + 1;
                        let last = first + text.trim_end_matches('\n').matches('\n').count();
                        assert_eq!(s.lines, (first, last), "{}", source.path.display());
                        text
                    })
                    .collect::<Vec<_>>()
                    .join(blank);
                assert_eq!(rebuilt, *example.code, "{}", source.path.display());
            }
        }
    }
}

#[test]
fn every_code_section_is_exact_source_slices() {
    for source in all_fixtures() {
        let file = source.parse().unwrap();
        // Item boundaries read straight from syn, independently of the selection code.
        let items: Vec<_> = file
            .items
            .iter()
            // `Spanned` prints each item again: slow, and independent of the token reading.
            .map(|item| source.with_leading_comments(source.node_range(item)))
            .collect();
        for options in modes() {
            let generated = generate(&source, &options).unwrap();
            for example in &generated.examples {
                svix_distill::dataset::check::exact_slices(
                    &example.code,
                    &source.text,
                    &items,
                    source.blank_line(),
                )
                .unwrap_or_else(|fault| {
                    panic!("{} {:?}: {fault}", source.path.display(), options.imports)
                });
            }
        }
    }
}

#[test]
fn every_line_is_grounded_and_unique() {
    for source in all_fixtures() {
        let path = source.path.display();
        for options in modes() {
            let generated =
                generate(&source, &options).unwrap_or_else(|e| panic!("{path} {options:?}: {e:#}"));
            assert!(!generated.examples.is_empty(), "{path} {options:?}");
            let mut requests = std::collections::BTreeSet::new();
            let mut reasonings = std::collections::BTreeSet::new();
            for example in &generated.examples {
                let faults = ungrounded(
                    &example.request,
                    &example.reasoning,
                    &example.code,
                    &source.text,
                );
                assert!(faults.is_empty(), "{path} {}: {faults:?}", example.unit);
                assert!(
                    requests.insert(&example.request),
                    "{path} {}: the request repeats: {}",
                    example.unit,
                    example.request
                );
                assert!(
                    reasonings.insert(&example.reasoning),
                    "{path} {}: the reasoning repeats: {}",
                    example.unit,
                    example.reasoning
                );
            }
        }
    }
}

/// A reasoning opens with what its unit is, and must go on to say something of the code: a
/// unit with nothing more to say is a unit that should not stand alone (a constant whose user
/// had joined another unit was one, and its whole reasoning read "`MAX_BYTES` is a constant
/// that goes with message creation.").
#[test]
fn every_reasoning_says_more_than_what_its_unit_is() {
    for source in all_fixtures() {
        for options in modes() {
            let generated = generate(&source, &options).unwrap();
            for example in &generated.examples {
                let paragraphs = example.reasoning.split("\n\n").count();
                assert!(
                    paragraphs >= 2,
                    "{} {}: {:?}",
                    source.path.display(),
                    example.unit,
                    example.reasoning
                );
            }
        }
    }
}

/// About 20 examples where a file has the units for it, at most two per unit otherwise: a
/// small file gives fewer examples rather than the same code explained over and over.
#[test]
fn default_plan_gives_twenty_examples_or_two_per_unit() {
    for source in all_fixtures() {
        let generated = generate(&source, &Options::default()).unwrap();
        let expected = (2 * generated.unit_count).clamp(generated.unit_count, 20);
        assert_eq!(
            generated.examples.len(),
            expected.max(generated.unit_count),
            "{}",
            source.path.display()
        );
    }
    let message = generate(&fixture("message.rs"), &Options::default()).unwrap();
    assert!((15..=25).contains(&message.examples.len()));
}

#[test]
fn variants_flag_sets_examples_per_unit() {
    let source = fixture("message.rs");
    let options = Options {
        variants: Some(2),
        ..Options::default()
    };
    let generated = generate(&source, &options).unwrap();
    assert_eq!(generated.examples.len(), 2 * generated.unit_count);
}

#[test]
fn imports_modes_keep_all_some_or_none_of_the_use_declarations() {
    let source = fixture("message.rs");
    let code_of = |imports| {
        let options = Options {
            imports,
            ..Options::default()
        };
        generate(&source, &options).unwrap().examples
    };
    let all = code_of(Imports::All);
    let used = code_of(Imports::Used);
    let none = code_of(Imports::None);
    let first_use = "use aide::axum::{";
    assert!(all.iter().all(|e| e.code.starts_with(first_use)));
    assert!(
        none.iter()
            .all(|e| !e.code.contains("\nuse ") && !e.code.starts_with("use "))
    );
    // The validator unit names `ValidationError` but nothing from aide.
    let validator = example(&used, "item:check_channel_count");
    assert!(
        validator
            .code
            .contains("use validator::{Validate, ValidationError};")
    );
    assert!(!validator.code.contains("use aide"));
    // A glob (`entity::prelude::*`) names nothing, so it keeps no declaration alive.
    assert!(!validator.code.contains("use sea_orm"));
}

#[test]
fn docs_attributes_and_comments_stay_in_the_code() {
    let source = fixture("message.rs");
    let generated = generate(&source, &Options::default()).unwrap();
    let handler = example(&generated.examples, "item:create_message");
    assert!(handler.code.contains(
        "/// Send a message to every endpoint of an application.\n///\n/// Messages are stored first"
    ));
    assert!(
        handler
            .code
            .contains("#[aide_annotate(op_id = \"v1.message.create\")]\nasync fn create_message(")
    );
    let validator = example(&generated.examples, "item:check_payload_is_object");
    assert!(
        validator
            .code
            .contains("    // Objects only: arrays and scalars are rejected.\n")
    );
}

#[test]
fn crlf_and_non_ascii_slices_are_byte_exact() {
    let lf = fixture("message_misc.rs");
    let crlf = with_crlf(&lf);
    let a = generate(&lf, &Options::default()).unwrap();
    let b = generate(&crlf, &Options::default()).unwrap();
    assert_eq!(a.examples.len(), b.examples.len());
    for (x, y) in a.examples.iter().zip(&b.examples) {
        assert_eq!(x.code.replace('\n', "\r\n"), *y.code);
    }
    assert!(
        b.examples
            .iter()
            .any(|e| e.code.contains("/// Überschrift (héadline) 🚀\r\n"))
    );
}

#[test]
fn renaming_the_handler_and_body_type_changes_no_selection() {
    let original = fixture("message.rs");
    let renamed_text = original
        .text
        .replace("create_message", "publish_message")
        .replace("MessageIn", "MsgIn");
    let renamed = SourceFile::from_text(&original.path, renamed_text);
    let rows = |source: &SourceFile| {
        generate(source, &Options::default())
            .unwrap()
            .rows
            .into_iter()
            .map(|r| format!("{} {} {:?} {}", r.kind, r.name, r.lines, r.reason))
            .collect::<Vec<_>>()
    };
    let expected: Vec<String> = rows(&original)
        .into_iter()
        .map(|r| {
            r.replace("create_message", "publish_message")
                .replace("MessageIn", "MsgIn")
        })
        .collect();
    assert_eq!(rows(&renamed), expected);
}

#[test]
fn other_handlers_and_tests_are_never_selected() {
    for source in all_fixtures() {
        let generated = generate(&source, &Options::default()).unwrap();
        for row in &generated.rows {
            for excluded in [
                "list_",
                "get_",
                "ListMessages",
                "summarize",
                "test",
                "router",
            ] {
                assert!(
                    !row.name.contains(excluded),
                    "{}: {}",
                    source.path.display(),
                    row.name
                );
            }
        }
        for example in &generated.examples {
            assert!(!example.code.contains("#[cfg(test)]"));
            assert!(!example.code.contains("fn list_"));
        }
    }
}

#[test]
fn output_is_the_same_bytes_every_time() {
    for source in all_fixtures() {
        let system = profile_for(&source).system_prompt().to_owned();
        let first = format::Format::ChatMl.to_jsonl(
            &generate(&source, &Options::default()).unwrap().examples,
            &system,
        );
        let second = format::Format::ChatMl.to_jsonl(
            &generate(&source, &Options::default()).unwrap().examples,
            &system,
        );
        assert_eq!(first, second);
    }
}

#[test]
fn each_line_has_the_chatml_shape() {
    let source = fixture("message_2022.rs");
    let system = profile_for(&source).system_prompt().to_owned();
    let jsonl = format::Format::ChatMl.to_jsonl(
        &generate(&source, &Options::default()).unwrap().examples,
        &system,
    );
    for line in jsonl.lines() {
        assert!(line.starts_with(r#"{"type":"chatml","messages":[{"role":"system","content":"You are the Svix Maintainer AI"#));
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let messages = value["messages"].as_array().unwrap();
        let roles: Vec<&str> = messages
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant"]);
        assert_eq!(messages[0]["content"], system.as_str());
        let assistant = messages[2]["content"].as_str().unwrap();
        assert!(assistant.starts_with("<think>\n"));
        let (_, code) = assistant.split_once("\n</think>\n\n").unwrap();
        assert!(!code.is_empty());
    }
    assert!(jsonl.ends_with('\n'));
}

#[test]
fn nesting_just_under_the_limit_is_parsed_whatever_the_calling_thread() {
    let depth = svix_distill::extract::source::MAX_NESTING - 2;
    let text = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let source = SourceFile::from_text(Path::new("deep.rs"), text);
    let options = Options {
        roots: vec![(
            "f".to_owned(),
            svix_distill::extract::select::Reason::RootFlag,
        )],
        ..Options::default()
    };
    let profile = Profile::load("message-creation").unwrap();
    // Test threads have small stacks; extract must not depend on the caller's.
    let generated = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || extract(&source, &profile, &options).map(|g| g.examples.len()))
        .unwrap()
        .join()
        .unwrap();
    assert!(generated.unwrap() > 0);
}

#[test]
fn non_message_profiles_never_speak_of_messages() {
    for name in ["application.rs", "event_type.rs"] {
        let source = fixture(name);
        for options in modes() {
            for example in generate(&source, &options).unwrap().examples {
                for text in [&example.request, &example.reasoning] {
                    // Quoted code and quoted docs may say anything; the prose may not.
                    let prose: String = text
                        .split('`')
                        .step_by(2)
                        .flat_map(|s| s.split('"').step_by(2))
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase();
                    for word in ["message", "content row", "dispatch", "msg"] {
                        assert!(
                            !prose.contains(word),
                            "{name} {}: {word:?} in {text}",
                            example.unit
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn each_profile_takes_only_its_own_operation() {
    let application = generate(&fixture("application.rs"), &Options::default()).unwrap();
    let names: Vec<&str> = application.rows.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"create_application"), "{names:?}");
    assert!(names.contains(&"create_app_from_app_in"), "{names:?}");
    for other in [
        "get_application",
        "delete_application",
        "router",
        "empty_names_are_rejected",
    ] {
        assert!(!names.contains(&other), "{names:?}");
    }
    let message = Profile::load("message-creation").unwrap();
    let err = extract(&fixture("application.rs"), &message, &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no message-creation route in fixtures/application.rs (it registers POST /app: try \
         --profile application-creation)"
    );
    let event_types = generate(&fixture("event_type.rs"), &Options::default()).unwrap();
    let system = profile_for(&fixture("event_type.rs"));
    assert!(system.system_prompt().contains("event type creation"));
    assert!(
        event_types
            .rows
            .iter()
            .any(|r| r.name == "create_event_type")
    );
    assert!(
        !event_types
            .rows
            .iter()
            .any(|r| r.name == "list_event_types")
    );
}

/// Word 5-gram sets, written here again rather than taken from the crate: a check that does not
/// reuse the code it checks.
fn five_grams(text: &str) -> std::collections::BTreeSet<Vec<String>> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    words.windows(5).map(<[String]>::to_vec).collect()
}

fn highest_reasoning_jaccard(examples: &[Example]) -> f64 {
    let sets: Vec<_> = examples.iter().map(|e| five_grams(&e.reasoning)).collect();
    let mut highest: f64 = 0.0;
    for (i, a) in sets.iter().enumerate() {
        for b in &sets[..i] {
            let common = a.intersection(b).count();
            let union = a.len() + b.len() - common;
            if union > 0 {
                highest = highest.max(common as f64 / union as f64);
            }
        }
    }
    highest
}

/// The variety targets of issue 9 for reasoning: by default no two reasoning blocks share half
/// their word 5-grams; with four examples per unit, none shares 70% (BigCode's near-duplicate
/// threshold).
#[test]
fn no_two_reasoning_blocks_are_near_duplicates() {
    for name in ["message.rs", "application.rs"] {
        let source = fixture(name);
        let default = generate(&source, &Options::default()).unwrap();
        let highest = highest_reasoning_jaccard(&default.examples);
        assert!(highest < 0.5, "{name}: {highest}");
        let four = Options {
            variants: Some(4),
            ..Options::default()
        };
        let generated = generate(&source, &four).unwrap();
        let highest = highest_reasoning_jaccard(&generated.examples);
        assert!(highest < 0.7, "{name} --variants 4: {highest}");
    }
}
