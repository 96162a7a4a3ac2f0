//! `stats --manifest`: what became of the model writer's drafts, read from the manifest of the
//! run that made the file: accepted first, after revision, fallen back (by the check that
//! failed), and the tokens. The manifest is a real one (a template run's, split with --valid),
//! its example entries given the model writer's fields by hand, as `--writer llm` writes them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/message.rs")
}

fn stats(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .arg("stats")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The model writer's fields of one manifest entry.
fn model_fields(outcome: &str, fallback: Option<&str>, prompt_tokens: u64) -> Value {
    let mut fields = json!({
        "writer": if fallback.is_some() { "template" } else { "llm" },
        "model": "m",
        "prompt_version": 1,
        "cache_key": "ab".repeat(32),
        "rounds": if outcome == "first" { 1 } else { 2 },
        "outcome": outcome,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": 10,
    });
    if let Some(why) = fallback {
        fields["fallback"] = json!(why);
    }
    fields
}

/// Writes d.jsonl, d.valid.jsonl and m.json in `dir`, the manifest's train entries given, in
/// turn, first, revised, a fallback on verification and one on the critic; its validation
/// entries all revised. Returns how many train and validation entries there are.
fn model_run(dir: &Path) -> (usize, usize) {
    let run = bin()
        .current_dir(dir)
        .arg(fixture())
        .args(["-o", "d.jsonl", "--valid", "0.3", "--manifest", "m.json"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("m.json")).unwrap()).unwrap();
    let (mut train, mut valid) = (0, 0);
    for entry in manifest["examples"].as_array_mut().unwrap() {
        let fields = if entry["split"] == "valid" {
            valid += 1;
            model_fields("revised", None, 200)
        } else {
            train += 1;
            match train % 4 {
                1 => model_fields("first", None, 100),
                2 => model_fields("revised", None, 100),
                3 => model_fields(
                    "fallback",
                    Some("verify: ungrounded name: `no_such_name`"),
                    100,
                ),
                _ => model_fields(
                    "fallback",
                    Some("critic: 1 unsupported sentence(s) after revision, first …"),
                    100,
                ),
            }
        };
        for (key, value) in fields.as_object().unwrap() {
            entry[key] = value.clone();
        }
    }
    std::fs::write(dir.join("m.json"), manifest.to_string()).unwrap();
    (train, valid)
}

#[test]
fn stats_counts_the_model_writers_outcomes_from_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (train, valid) = model_run(dir.path());
    assert!(train >= 8 && valid >= 2, "{train} train, {valid} valid");
    let quarter = |k: usize| (train + 4 - k) / 4;
    let (first, revised, verify, critic) = (quarter(1), quarter(2), quarter(3), quarter(4));
    let table = stats(dir.path(), &["d.jsonl", "--manifest", "m.json"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let table = String::from_utf8(table.stdout).unwrap();
    let row = format!(
        "  model           {first} accepted first, {revised} after revision, {} fallen back to \
         the templates (critic {critic}, verify: ungrounded name {verify}); {} tokens sent, {} \
         received\n",
        verify + critic,
        100 * train,
        10 * train
    );
    assert!(table.ends_with(&row), "{row:?} ending {table}");
    let json = stats(dir.path(), &["d.jsonl", "--manifest", "m.json", "--json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        value["model"],
        json!({
            "first": first,
            "revised": revised,
            "fallback": {"critic": critic, "verify: ungrounded name": verify},
            "prompt_tokens": 100 * train,
            "completion_tokens": 10 * train,
        })
    );
    // The validation file's entries are its own.
    let json = stats(
        dir.path(),
        &["d.valid.jsonl", "--manifest", "m.json", "--json"],
    );
    assert!(json.status.success(), "{}", stderr(&json));
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["model"]["first"], 0);
    assert_eq!(value["model"]["revised"], valid);
    assert_eq!(value["model"]["prompt_tokens"], 200 * valid);
    // Without the manifest, no model row and no model key.
    let plain = stats(dir.path(), &["d.jsonl"]);
    assert!(!String::from_utf8(plain.stdout).unwrap().contains("model"));
    let plain = stats(dir.path(), &["d.jsonl", "--json"]);
    let value: Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(value.get("model").is_none(), "{value}");
}

#[test]
fn a_template_runs_manifest_counts_nothing_and_another_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = bin()
        .current_dir(dir.path())
        .arg(fixture())
        .args(["-o", "d.jsonl", "--manifest", "m.json"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let json = stats(dir.path(), &["d.jsonl", "--manifest", "m.json", "--json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        value["model"],
        json!({"first": 0, "revised": 0, "fallback": {}, "prompt_tokens": 0, "completion_tokens": 0})
    );
    // A manifest of other data says so, and stops the run.
    let data = std::fs::read_to_string(dir.path().join("d.jsonl")).unwrap();
    let fewer: String = data.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("e.jsonl"), fewer).unwrap();
    let other = stats(dir.path(), &["e.jsonl", "--manifest", "m.json"]);
    assert_eq!(other.status.code(), Some(2));
    assert_eq!(
        stderr(&other),
        "svix-distill: error: m.json: it describes another file (neither its output's sha256 \
         nor its validation file's is this file's)\n"
    );
    let missing = stats(dir.path(), &["d.jsonl", "--manifest", "none.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read none.json"),
        "{}",
        stderr(&missing)
    );
}
