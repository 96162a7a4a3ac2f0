//! The model writer end to end, the binary against a real OpenAI-compatible server on
//! 127.0.0.1 (tests/support/server.rs) playing the model: a good draft is kept; a draft naming
//! what the code lacks, listing the answer's members, holding fenced code or not JSON at all
//! goes back once and, failing again, leaves the templates' text; 429 with `Retry-After`, a
//! cut-off body, 500 and a timeout; a critic's flag sends the draft back. Then the cache: a
//! second run without the server gives the same bytes and `--check` passes; a run missing
//! calls stops with their count; the Batch API round trip, with output files the test writes.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use support::model::{chat, clean_critic, good_draft, is_revision, kind, user_prompt};
use support::server::{Behaviour, RecordedRequest, Server};

const FIXTURE: &str = "fixtures/message.rs";

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_svix-distill"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SVIX_DISTILL_API_KEY")
        .env_remove("OPENAI_API_KEY");
    command
}

/// The tool on the fixture with the model writer, one example per unit, into `dir`.
fn command(dir: &Path, extra: &[&str]) -> Command {
    let mut command = bin();
    command
        .args([
            FIXTURE,
            "--variants",
            "1",
            "--writer",
            "llm",
            "--llm-model",
            "m",
        ])
        .arg("-o")
        .arg(dir.join("out.jsonl"))
        .arg("--manifest")
        .arg(dir.join("out.manifest.json"))
        .args(extra);
    command
}

fn run(dir: &Path, extra: &[&str]) -> Output {
    command(dir, extra).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A model that answers every draft with `first` (then a good draft once sent back) and
/// every critic with nothing flagged.
fn model(first: impl Fn(&RecordedRequest) -> Value + Send + Sync + 'static) -> Server {
    Server::new(move |request| match kind(request) {
        "critic" => chat(&clean_critic()),
        _ if is_revision(request) => chat(&good_draft(request)),
        _ => chat(&first(request)),
    })
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("out.manifest.json")).unwrap()).unwrap()
}

/// Each example's outcome in the manifest, with its fallback reason.
fn outcomes(dir: &Path) -> Vec<(String, Option<String>)> {
    manifest(dir)["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap_or("none").to_owned(),
                e["fallback"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn out_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("out.jsonl")).unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn good_drafts_are_kept_and_a_rerun_from_the_cache_needs_no_server() {
    let dir = tempdir();
    let server = model(good_draft);
    let first = run(dir.path(), &["--llm-url", &server.url()]);
    assert!(first.status.success(), "{}", stderr(&first));
    let outcomes = outcomes(dir.path());
    assert!(!outcomes.is_empty());
    assert!(outcomes.iter().all(|(o, _)| o == "first"), "{outcomes:?}");
    let data = out_of(dir.path());
    // The model's words are in the data, the templates' are not.
    assert!(data.contains("Marker "), "{data}");
    let asked = server.requests().len();
    // A draft and a critic per example.
    assert_eq!(asked, 2 * outcomes.len());
    drop(server);
    let cache = std::fs::read_to_string(dir.path().join("out.llm-cache.jsonl")).unwrap();
    assert_eq!(cache.lines().count(), asked);
    let summary = stderr(&first);
    assert!(
        summary.contains(&format!("model: {} accepted first", outcomes.len())),
        "{summary}"
    );
    // No server now: every call is in the cache.
    let again = run(dir.path(), &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(out_of(dir.path()), data);
    let check = run(dir.path(), &["--check"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn the_manifest_records_who_wrote_each_example() {
    let dir = tempdir();
    let server = model(good_draft);
    let output = run(dir.path(), &["--llm-url", &server.url()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = manifest(dir.path());
    let example = &manifest["examples"][0];
    assert_eq!(example["writer"], "llm");
    assert_eq!(example["model"], "m");
    assert_eq!(example["rounds"], 1);
    assert!(example["prompt_version"].as_u64().is_some());
    // The key is the sha256 of a call in the cache.
    let key = example["cache_key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    let cache = std::fs::read_to_string(dir.path().join("out.llm-cache.jsonl")).unwrap();
    assert!(cache.contains(&format!("\"key\":\"{key}\"")));
    // Tokens: a draft and a critic, 120 sent and 40 received each.
    assert_eq!(example["prompt_tokens"], 240);
    assert_eq!(example["completion_tokens"], 80);
}

/// Runs with a model whose first drafts are `first`, and returns the outcomes and requests.
fn with_first_drafts(
    first: impl Fn(&RecordedRequest) -> Value + Send + Sync + 'static,
) -> (Vec<(String, Option<String>)>, Vec<RecordedRequest>) {
    let dir = tempdir();
    let server = model(first);
    let output = run(dir.path(), &["--llm-url", &server.url()]);
    assert!(output.status.success(), "{}", stderr(&output));
    (outcomes(dir.path()), server.requests())
}

#[test]
fn a_draft_naming_what_the_code_lacks_goes_back_with_the_name() {
    let (outcomes, requests) = with_first_drafts(|request| {
        let mut draft = good_draft(request);
        draft["reasoning"] = json!(format!(
            "{} It also calls `no_such_helper_anywhere` first.",
            draft["reasoning"].as_str().unwrap()
        ));
        draft
    });
    assert!(outcomes.iter().all(|(o, _)| o == "revised"), "{outcomes:?}");
    let revision = requests.iter().find(|r| is_revision(r)).unwrap();
    assert!(
        revision.last_message().contains("no_such_helper_anywhere"),
        "{}",
        revision.last_message()
    );
}

/// A model whose every draft is `draft`, sent back or not.
fn stubborn(draft: impl Fn(&RecordedRequest) -> Value + Send + Sync + 'static) -> Server {
    Server::new(move |request| match kind(request) {
        "critic" => chat(&clean_critic()),
        _ => chat(&draft(request)),
    })
}

/// Runs with `server` and returns the outcomes, the data and stderr.
fn outcomes_with(server: &Server, extra: &[&str]) -> (Vec<(String, Option<String>)>, String) {
    let dir = tempdir();
    let mut args = vec!["--llm-url", server.url().leak() as &str];
    args.extend_from_slice(extra);
    let output = run(dir.path(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    (outcomes(dir.path()), stderr(&output))
}

fn assert_fallback(outcomes: &[(String, Option<String>)], why: &str) {
    assert!(!outcomes.is_empty());
    for (outcome, reason) in outcomes {
        assert_eq!(outcome, "fallback");
        let reason = reason.as_deref().unwrap_or("");
        assert!(reason.contains(why), "{reason:?} does not say {why:?}");
    }
}

/// Every item the prompt shows defined (`fn NAME`, `struct NAME`, `enum NAME`), in order.
fn defined_names(prompt: &str) -> Vec<String> {
    let words: Vec<&str> = prompt
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for pair in words.windows(2) {
        if matches!(pair[0], "fn" | "struct" | "enum") && !names.iter().any(|n| n == pair[1]) {
            names.push(pair[1].to_owned());
        }
    }
    names
}

#[test]
fn a_draft_listing_the_members_falls_back_after_its_revision() {
    let server = stubborn(|request| {
        let mut draft = good_draft(request);
        let names: Vec<String> = defined_names(&user_prompt(request))
            .iter()
            .map(|n| format!("`{n}`"))
            .collect();
        draft["request"] = json!(format!(
            "Please add {} to the message API.",
            names.join(", ")
        ));
        draft
    });
    let dir = tempdir();
    let output = run(dir.path(), &["--llm-url", &server.url()]);
    assert!(output.status.success(), "{}", stderr(&output));
    // A chain of three functions or more: its request names them all.
    let manifest = manifest(dir.path());
    let examples = manifest["examples"].as_array().unwrap();
    let large: Vec<&Value> = examples
        .iter()
        .filter(|e| {
            let unit = e["unit"].as_str().unwrap();
            unit.starts_with("chain:") && unit.split('+').count() >= 3
        })
        .collect();
    assert!(!large.is_empty());
    for example in large {
        assert_eq!(example["outcome"], "fallback", "{example}");
        let why = example["fallback"].as_str().unwrap();
        assert!(why.contains("lists the answer"), "{why}");
    }
}

#[test]
fn a_draft_with_fenced_code_falls_back() {
    let server = stubborn(|request| {
        let mut draft = good_draft(request);
        draft["reasoning"] = json!(format!(
            "{}\n\n```rust\nfn f() {{}}\n```",
            draft["reasoning"].as_str().unwrap()
        ));
        draft
    });
    let (outcomes, _) = outcomes_with(&server, &[]);
    assert_fallback(&outcomes, "verify");
}

#[test]
fn a_reply_that_is_not_json_falls_back() {
    let server = Server::new(|request| match kind(request) {
        "critic" => chat(&clean_critic()),
        _ => Behaviour::chat("Sure! Here is the request: add a handler."),
    });
    let (outcomes, _) = outcomes_with(&server, &[]);
    assert_fallback(&outcomes, "reply");
}

#[test]
fn a_rate_limit_is_waited_out_and_a_cut_off_reply_is_asked_again() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = Server::new(move |request| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        match (n, kind(request)) {
            (0, _) => Behaviour::rate_limited(0),
            (1, _) => chat(&good_draft(request)).truncated(),
            (_, "critic") => chat(&clean_critic()),
            _ => chat(&good_draft(request)),
        }
    });
    let (outcomes, _) = outcomes_with(&server, &["--llm-concurrency", "1"]);
    assert!(outcomes.iter().all(|(o, _)| o == "first"), "{outcomes:?}");
    // The two failed tries came on top of a draft and a critic per example.
    assert_eq!(server.requests().len(), 2 * outcomes.len() + 2);
}

#[test]
fn a_server_error_leaves_the_templates_text_and_says_why() {
    let server = Server::script(vec![Behaviour::error(500, "the model is down")]);
    let (outcomes, summary) = outcomes_with(&server, &["--llm-retries", "1"]);
    assert_fallback(&outcomes, "call failed");
    assert!(summary.contains("the model is down"), "{summary}");
    // Every call tried twice.
    assert_eq!(server.requests().len(), 2 * outcomes.len());
}

#[test]
fn a_call_that_times_out_falls_back() {
    let server = Server::script(vec![chat(&clean_critic()).after(Duration::from_secs(3))]);
    let (outcomes, _) = outcomes_with(
        &server,
        &[
            "--llm-retries",
            "0",
            "--llm-timeout",
            "1",
            "--llm-concurrency",
            "8",
        ],
    );
    assert_fallback(&outcomes, "call failed");
}

#[test]
fn a_flagged_sentence_sends_the_draft_back_naming_it() {
    const CLAIM: &str = "Callers keep asking for it";
    let server = Server::new(|request| match kind(request) {
        // The critic flags the claim wherever it reads it.
        "critic" if request.last_message().contains(CLAIM) => chat(&json!({
            "unsupported": [{"sentence": CLAIM, "why": "nothing in the code says so"}]
        })),
        "critic" => chat(&clean_critic()),
        // Sent back, the model drops the claim.
        _ if is_revision(request) => {
            let mut draft = good_draft(request);
            let request_text = draft["request"]
                .as_str()
                .unwrap()
                .replace(CLAIM, "It is unclear");
            draft["request"] = json!(request_text);
            chat(&draft)
        }
        _ => chat(&good_draft(request)),
    });
    let (outcomes, _) = outcomes_with(&server, &[]);
    assert!(outcomes.iter().all(|(o, _)| o == "revised"), "{outcomes:?}");
    let requests = server.requests();
    let revision = requests.iter().find(|r| is_revision(r)).unwrap();
    assert!(
        revision.last_message().contains(CLAIM),
        "{}",
        revision.last_message()
    );
    // A draft, a critic, a revision and a second critic per example.
    assert_eq!(requests.len(), 4 * outcomes.len());
}

#[test]
fn missing_replies_stop_the_run_with_their_count_and_write_nothing() {
    let dir = tempdir();
    let output = run(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("model call(s) are not in the cache"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("out.jsonl").exists());
    // With the fallback, the templates write them.
    let fallback = run(dir.path(), &["--llm-fallback", "template"]);
    assert!(fallback.status.success(), "{}", stderr(&fallback));
    assert_fallback(&outcomes(dir.path()), "not in the cache");
}

/// Answers a Batch API input file as the Batch API would, each line by `answer`.
fn answer_batch(input: &Path, output: &Path, answer: impl Fn(&RecordedRequest) -> Value) {
    let mut lines = String::new();
    for line in std::fs::read_to_string(input).unwrap().lines() {
        let request: Value = serde_json::from_str(line).unwrap();
        assert_eq!(request["url"], "/v1/chat/completions");
        let body = request["body"].to_string();
        let recorded = RecordedRequest {
            method: "POST".to_owned(),
            path: "/v1/chat/completions".to_owned(),
            headers: Vec::new(),
            json: request["body"].clone(),
            body,
            at: std::time::Instant::now(),
        };
        let reply = json!({
            "id": "batch_req_1",
            "custom_id": request["custom_id"],
            "response": {"status_code": 200, "body": {
                "choices": [{"index": 0, "message": {"role": "assistant",
                    "content": answer(&recorded).to_string()}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 30},
            }},
            "error": null,
        });
        lines.push_str(&format!("{reply}\n"));
    }
    std::fs::write(output, lines).unwrap();
}

#[test]
fn a_batch_round_trip_fills_the_cache_one_round_at_a_time() {
    let dir = tempdir();
    let batch = |n: usize| -> PathBuf { dir.path().join(format!("batch-{n}.jsonl")) };
    let answers = |n: usize| -> PathBuf { dir.path().join(format!("answers-{n}.jsonl")) };
    // Round 1: the drafts.
    let export = run(dir.path(), &["--llm-export", batch(1).to_str().unwrap()]);
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(
        stderr(&export).contains("--llm-import"),
        "{}",
        stderr(&export)
    );
    assert!(!dir.path().join("out.jsonl").exists());
    let drafts = std::fs::read_to_string(batch(1)).unwrap().lines().count();
    answer_batch(&batch(1), &answers(1), good_draft);
    // Round 2: the critics of those drafts.
    let export = run(
        dir.path(),
        &[
            "--llm-import",
            answers(1).to_str().unwrap(),
            "--llm-export",
            batch(2).to_str().unwrap(),
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let critics = std::fs::read_to_string(batch(2)).unwrap();
    assert_eq!(critics.lines().count(), drafts);
    assert!(critics.contains("\"name\":\"critic\""));
    answer_batch(&batch(2), &answers(2), |_| clean_critic());
    // Done: every call answered, the data written.
    let done = run(dir.path(), &["--llm-import", answers(2).to_str().unwrap()]);
    assert!(done.status.success(), "{}", stderr(&done));
    let outcomes = outcomes(dir.path());
    assert_eq!(outcomes.len(), drafts);
    assert!(outcomes.iter().all(|(o, _)| o == "first"));
    let cache = std::fs::read_to_string(dir.path().join("out.llm-cache.jsonl")).unwrap();
    assert_eq!(cache.lines().count(), 2 * drafts);
    assert!(run(dir.path(), &["--check"]).status.success());
    // Importing a file again whose lines are all cached is no news; a line of another run is.
    let again = run(dir.path(), &["--llm-import", answers(1).to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        !stderr(&again).contains("answer no call"),
        "{}",
        stderr(&again)
    );
    let mut stray = std::fs::read_to_string(answers(1)).unwrap();
    stray.push_str(
        &stray
            .lines()
            .next()
            .unwrap()
            .replace("\"custom_id\":\"", "\"custom_id\":\"0"),
    );
    stray.push('\n');
    std::fs::write(answers(3), stray).unwrap();
    let stray = run(dir.path(), &["--llm-import", answers(3).to_str().unwrap()]);
    assert!(
        stderr(&stray).contains("1 line(s) of"),
        "{}",
        stderr(&stray)
    );
}

#[test]
fn the_key_never_reaches_the_cache_the_manifest_or_the_output() {
    let dir = tempdir();
    let server = model(good_draft);
    let secret = "sk-test-do-not-leak-1234567890";
    let output = command(dir.path(), &["--llm-url", &server.url()])
        .env("SVIX_DISTILL_API_KEY", secret)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {secret}")))
    );
    for file in ["out.jsonl", "out.manifest.json", "out.llm-cache.jsonl"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!text.contains(secret), "{file} holds the key");
    }
    assert!(!stderr(&output).contains(secret));
}

#[test]
fn the_model_writers_options_need_the_model_writer() {
    let output = bin()
        .args([FIXTURE, "--llm-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("add --writer llm"),
        "{}",
        stderr(&output)
    );
    let output = bin().args([FIXTURE, "--writer", "llm"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--llm-model"),
        "{}",
        stderr(&output)
    );
    let output = bin()
        .args([FIXTURE, "--writer", "llm", "--llm-model", "m"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--llm-cache"),
        "{}",
        stderr(&output)
    );
}
