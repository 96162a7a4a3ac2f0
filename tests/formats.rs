//! The four wire formats as a consumer meets them: OpenAI's lines pass the format checks of
//! OpenAI's cookbook (reimplemented here, not the crate's validate), every format carries the
//! ChatML lines' request, reasoning and code, and validate and stats read each of them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FORMATS: [&str; 4] = ["chatml", "openai", "reasoning", "prompt-completion"];

/// Each fixture run with its profile, and the fixture crate.
fn runs() -> Vec<Vec<&'static str>> {
    vec![
        vec!["fixtures/message.rs", "--variants", "4"],
        vec!["fixtures/message_2022.rs"],
        vec!["fixtures/message_misc.rs"],
        vec!["fixtures/application.rs", "-p", "application-creation"],
        vec![
            "fixtures/event_type.rs",
            "-p",
            "tests/profiles/event-type-creation.toml",
        ],
        vec!["fixtures/crate"],
        vec!["fixtures/crate", "-p", "endpoint-creation"],
    ]
}

/// The JSONL a run writes to stdout in `format`.
fn generate(args: &[&str], format: &str) -> String {
    let out = bin()
        .current_dir(repo())
        .args(args)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The format checks of OpenAI's cookbook, "Data preparation and analysis for chat model
/// fine-tuning", on parsed lines: each error kind with how many times it was found.
fn cookbook_format_errors(dataset: &[Value]) -> BTreeMap<&'static str, usize> {
    let mut errors: BTreeMap<&'static str, usize> = BTreeMap::new();
    for example in dataset {
        let Some(example) = example.as_object() else {
            *errors.entry("data_type").or_default() += 1;
            continue;
        };
        let messages = match example.get("messages").and_then(Value::as_array) {
            Some(messages) if !messages.is_empty() => messages,
            _ => {
                *errors.entry("missing_messages_list").or_default() += 1;
                continue;
            }
        };
        for message in messages {
            let message = message.as_object().cloned().unwrap_or_default();
            if !message.contains_key("role") || !message.contains_key("content") {
                *errors.entry("message_missing_key").or_default() += 1;
            }
            let known = ["role", "content", "name", "function_call", "weight"];
            if message.keys().any(|k| !known.contains(&k.as_str())) {
                *errors.entry("message_unrecognized_key").or_default() += 1;
            }
            let role = message.get("role").and_then(Value::as_str);
            if !matches!(role, Some("system" | "user" | "assistant" | "function")) {
                *errors.entry("unrecognized_role").or_default() += 1;
            }
            let content = message.get("content");
            let empty_content = match content {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(_) => false,
            };
            let function_call = message
                .get("function_call")
                .is_some_and(|f| !f.is_null() && f != &Value::Bool(false));
            let is_string = content.is_some_and(Value::is_string);
            if (empty_content && !function_call) || !is_string {
                *errors.entry("missing_content").or_default() += 1;
            }
        }
        if !messages
            .iter()
            .any(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        {
            *errors
                .entry("example_missing_assistant_message")
                .or_default() += 1;
        }
    }
    errors
}

#[test]
fn the_cookbook_check_finds_what_it_should() {
    let lines: Vec<Value> = [
        r#"[1]"#,
        r#"{"messages":[]}"#,
        r#"{"messages":[{"role":"user","content":"a","extra":1}]}"#,
        r#"{"messages":[{"role":"tool","content":""},{"role":"assistant"}]}"#,
    ]
    .iter()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let found = cookbook_format_errors(&lines);
    let expected = BTreeMap::from([
        ("data_type", 1),
        ("missing_messages_list", 1),
        ("message_unrecognized_key", 1),
        ("example_missing_assistant_message", 1),
        ("unrecognized_role", 1),
        ("missing_content", 2),
        ("message_missing_key", 1),
    ]);
    assert_eq!(found, expected);
}

#[test]
fn openai_lines_pass_the_cookbook_format_checks() {
    let mut total = 0;
    for args in runs() {
        let jsonl = generate(&args, "openai");
        let dataset: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!dataset.is_empty(), "{args:?}");
        let errors = cookbook_format_errors(&dataset);
        println!(
            "{}: {} examples, {}",
            args.join(" "),
            dataset.len(),
            if errors.is_empty() {
                "No errors found".to_owned()
            } else {
                format!("Found errors: {errors:?}")
            }
        );
        assert!(errors.is_empty(), "{args:?}: {errors:?}");
        // Beyond the cookbook: exactly the keys the fine-tuning API documents, no `type`.
        for line in &dataset {
            let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["messages"]);
            for message in line["messages"].as_array().unwrap() {
                let keys: Vec<&String> = message.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["role", "content"]);
            }
        }
        total += dataset.len();
    }
    println!("{total} examples in all");
}

/// The texts of one line, taken apart here by hand for each format.
fn texts(line: &str, format: &str) -> [String; 4] {
    let value: Value = serde_json::from_str(line).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let think = |assistant: &Value| {
        let content = text(assistant);
        let inner = content.strip_prefix("<think>\n").unwrap();
        let (reasoning, code) = inner.split_once("\n</think>\n\n").unwrap();
        (reasoning.to_owned(), code.to_owned())
    };
    let (messages, assistant): (Vec<&Value>, &Value) = match format {
        "prompt-completion" => {
            let prompt = value["prompt"].as_array().unwrap();
            let completion = value["completion"].as_array().unwrap();
            assert_eq!(completion.len(), 1);
            (prompt.iter().collect(), &completion[0])
        }
        _ => {
            let messages = value["messages"].as_array().unwrap();
            (messages[..2].iter().collect(), &messages[2])
        }
    };
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[1]["role"], "user");
    assert_eq!(assistant["role"], "assistant");
    let (reasoning, code) = match format {
        "reasoning" => (
            text(&assistant["reasoning_content"]),
            text(&assistant["content"]),
        ),
        _ => think(&assistant["content"]),
    };
    [
        text(&messages[0]["content"]),
        text(&messages[1]["content"]),
        reasoning,
        code,
    ]
}

#[test]
fn every_format_holds_the_chatml_lines_request_reasoning_and_code() {
    for args in runs() {
        let chatml: Vec<[String; 4]> = generate(&args, "chatml")
            .lines()
            .map(|l| texts(l, "chatml"))
            .collect();
        for format in &FORMATS[1..] {
            let other: Vec<[String; 4]> = generate(&args, format)
                .lines()
                .map(|l| texts(l, format))
                .collect();
            assert_eq!(other, chatml, "{args:?} {format}");
        }
        // The reasoning format carries no think tag at all.
        let reasoning = generate(&args, "reasoning");
        assert!(!reasoning.contains("<think>") && !reasoning.contains("</think>"));
    }
}

#[test]
fn chatml_is_the_default_format() {
    let args = ["fixtures/message.rs"];
    let out = bin().current_dir(repo()).args(args).output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        generate(&args, "chatml")
    );
}

/// validate and stats read every format, detected from the first line or named.
#[test]
fn validate_and_stats_read_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut stats_by_format = Vec::new();
    for format in FORMATS {
        let path = dir.path().join(format!("{format}.jsonl"));
        std::fs::write(&path, generate(&["fixtures/message.rs"], format)).unwrap();
        for named in [None, Some(format)] {
            let mut validate = bin();
            validate
                .current_dir(repo())
                .arg("validate")
                .arg(&path)
                .args(["--source", "fixtures/message.rs"]);
            if let Some(named) = named {
                validate.args(["--format", named]);
            }
            let out = validate.output().unwrap();
            let stdout = String::from_utf8(out.stdout).unwrap();
            assert!(out.status.success(), "{format}: {stdout}");
            assert!(
                stdout.starts_with(&format!(
                    "{}: 20 examples ({format}), no faults\n",
                    path.display()
                )),
                "{stdout}"
            );
        }
        let out = bin()
            .arg("stats")
            .arg(&path)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut stats: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(stats["format"], format);
        let object = stats.as_object_mut().unwrap();
        // Token counts differ only where the think tags are gone.
        for key in ["format", "tokens", "largest"] {
            object.remove(key);
        }
        stats_by_format.push(stats);
    }
    for stats in &stats_by_format[1..] {
        assert_eq!(stats, &stats_by_format[0]);
    }
    // A file read as another format than its own fails, and says what it holds.
    let openai = dir.path().join("openai.jsonl");
    let out = bin()
        .arg("validate")
        .arg(&openai)
        .args(["--format", "chatml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!(
            "{}:1: top-level keys must be \"type\" then \"messages\", found [\"messages\"] (this line is openai, the file is read as chatml)\n",
            openai.display()
        )),
        "{stdout}"
    );
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let out = bin()
        .args(["fixtures/message.rs", "--format", "jsonl"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("[possible values: chatml, openai, reasoning, prompt-completion]"),
        "{stderr}"
    );
}
