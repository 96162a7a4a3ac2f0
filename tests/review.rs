//! `svix-distill review`: the critic on a hand-written dataset, offline. The calls leave as a
//! Batch API input file (`--llm-export`), the test answers them as the model would (a Batch API
//! output file it writes), and they come back with `--llm-import`: the report, its JSON form,
//! the exit codes, the count of replies still missing, and the outputs refused when they are a
//! file the run reads.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

const SYSTEM: &str = "Answer as a Svix maintainer.";

const SOURCE: &str = "pub async fn send(queue_tx: Queue, msg: Msg) -> Result<()> {
    queue_tx.send(msg).await
}

pub fn limit() -> usize {
    64
}
";

const SEND: &str = "pub async fn send(queue_tx: Queue, msg: Msg) -> Result<()> {
    queue_tx.send(msg).await
}";

const LIMIT: &str = "pub fn limit() -> usize {
    64
}";

/// The sentence the test's critic flags wherever it reads it.
const FALSE: &str = "It retries when the queue is full.";

/// Two examples, as (request, reasoning, code): the second says something its code lacks.
fn examples() -> [(&'static str, String, &'static str); 2] {
    [
        (
            "Messages should reach the workers without the handler waiting on them.",
            "The handler hands the message to `queue_tx` and returns.".to_owned(),
            SEND,
        ),
        (
            "Give the queue a fixed size.",
            format!("A fixed size keeps memory bounded. {FALSE}"),
            LIMIT,
        ),
    ]
}

/// One line of a hand-written dataset in `format` (chatml or prompt-completion).
fn line(format: &str, request: &str, reasoning: &str, code: &str) -> String {
    let system = json!({"role": "system", "content": SYSTEM});
    let user = json!({"role": "user", "content": request});
    let assistant = json!({
        "role": "assistant",
        "content": format!("<think>\n{reasoning}\n</think>\n\n{code}"),
    });
    let value = match format {
        "chatml" => json!({"type": "chatml", "messages": [system, user, assistant]}),
        "prompt-completion" => json!({"prompt": [system, user], "completion": [assistant]}),
        other => panic!("no such format {other}"),
    };
    format!("{value}\n")
}

/// A folder holding `queue.rs` and `data.jsonl` (the examples in `format`).
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(format: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("queue.rs"), SOURCE).unwrap();
        let data: String = examples()
            .iter()
            .map(|(request, reasoning, code)| line(format, request, reasoning, code))
            .collect();
        std::fs::write(dir.path().join("data.jsonl"), data).unwrap();
        Case { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `review data.jsonl --source queue.rs --system … --llm-model m` and `args`, run in the
    /// folder.
    fn review(&self, args: &[&str]) -> Output {
        bin()
            .current_dir(self.dir.path())
            .args([
                "review",
                "data.jsonl",
                "--source",
                "queue.rs",
                "--system",
                SYSTEM,
            ])
            .args(["--llm-model", "m"])
            .args(args)
            .output()
            .unwrap()
    }

    /// The names in the folder, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The user messages of each Batch API input line, joined.
fn asked(batch: &str) -> Vec<(String, String)> {
    batch
        .lines()
        .map(|l| {
            let value: Value = serde_json::from_str(l).unwrap();
            assert_eq!(value["method"], "POST");
            assert_eq!(value["url"], "/v1/chat/completions");
            assert_eq!(value["body"]["model"], "m");
            let text: String = value["body"]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n");
            (value["custom_id"].as_str().unwrap().to_owned(), text)
        })
        .collect()
}

/// The Batch API output file answering `batch` as `critic` says for each call's messages.
fn answered(batch: &str, critic: impl Fn(&str) -> String) -> String {
    asked(batch)
        .into_iter()
        .enumerate()
        .map(|(i, (id, text))| {
            let line = json!({
                "id": format!("batch_req_{i}"),
                "custom_id": id,
                "response": {"status_code": 200, "body": {
                    "choices": [{"message": {"role": "assistant", "content": critic(&text)}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 10},
                }},
                "error": null,
            });
            format!("{line}\n")
        })
        .collect()
}

/// A critic that flags [`FALSE`] wherever the messages hold it.
fn flagging(text: &str) -> String {
    let unsupported = if text.contains(FALSE) {
        json!([{"sentence": FALSE, "why": "the code has no retry"}])
    } else {
        json!([])
    };
    json!({ "unsupported": unsupported }).to_string()
}

fn clean(_: &str) -> String {
    json!({"unsupported": []}).to_string()
}

/// Exports the calls of `case`, answers them with `critic`, and returns the output file's name.
fn export_and_answer(case: &Case, critic: impl Fn(&str) -> String) -> &'static str {
    let export = case.review(&["--llm-export", "calls.jsonl"]);
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    let batch = std::fs::read_to_string(case.path("calls.jsonl")).unwrap();
    std::fs::write(case.path("replies.jsonl"), answered(&batch, critic)).unwrap();
    "replies.jsonl"
}

const FLAGGED_REPORT: &str = "line 1: 0 unsupported
line 2: 1 unsupported
  - \"It retries when the queue is full.\"
    why: the code has no retry
";

#[test]
fn a_flagged_sentence_is_reported_and_fails_the_run_in_two_formats() {
    for format in ["chatml", "prompt-completion"] {
        let case = Case::new(format);
        let replies = export_and_answer(&case, flagging);
        let run = case.review(&["--llm-import", replies, "-o", "report.txt"]);
        assert_eq!(run.status.code(), Some(1), "{format}: {}", stderr(&run));
        let report = std::fs::read_to_string(case.path("report.txt")).unwrap();
        assert_eq!(report, FLAGGED_REPORT, "{format}");
        assert!(
            stderr(&run).contains("data.jsonl: 1 line(s) with 1 unsupported sentence(s)"),
            "{format}: {}",
            stderr(&run)
        );
        // The replies are in the cache beside the dataset: a second run needs no import and
        // gives the same report, to stdout here.
        let cache = std::fs::read_to_string(case.path("data.llm-cache.jsonl")).unwrap();
        assert_eq!(cache.lines().count(), 2, "{format}");
        let again = case.review(&[]);
        assert_eq!(again.status.code(), Some(1), "{format}: {}", stderr(&again));
        assert_eq!(stdout(&again), FLAGGED_REPORT, "{format}");
        let json = case.review(&["--json"]);
        assert_eq!(json.status.code(), Some(1));
        assert_eq!(
            stdout(&json),
            "{\"line\":1,\"unsupported\":[]}\n\
             {\"line\":2,\"unsupported\":[{\"sentence\":\"It retries when the queue is full.\",\
             \"why\":\"the code has no retry\"}]}\n",
            "{format}"
        );
    }
}

#[test]
fn a_dataset_the_critic_finds_clean_passes_and_a_line_not_read_fails() {
    let case = Case::new("chatml");
    let replies = export_and_answer(&case, clean);
    let run = case.review(&["--llm-import", replies]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        stdout(&run),
        "line 1: 0 unsupported\nline 2: 0 unsupported\n"
    );
    // A line the reader cannot take apart is reported in its place, and fails the run.
    let mut data = std::fs::read_to_string(case.path("data.jsonl")).unwrap();
    data.push_str("{not json\n");
    std::fs::write(case.path("data.jsonl"), data).unwrap();
    let run = case.review(&[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let report = stdout(&run);
    assert!(
        report.starts_with("line 1: 0 unsupported\nline 2: 0 unsupported\nline 3: not read: "),
        "{report}"
    );
    assert!(
        stderr(&run).contains("1 line(s) not read"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn a_reply_the_critic_cannot_be_understood_for_fails_its_line() {
    let case = Case::new("chatml");
    let replies = export_and_answer(&case, |text| {
        if text.contains(FALSE) {
            "The sentence about retries is wrong.".to_owned()
        } else {
            clean(text)
        }
    });
    let run = case.review(&["--llm-import", replies, "--json"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let lines: Vec<Value> = stdout(&run)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0], json!({"line": 1, "unsupported": []}));
    assert_eq!(lines[1]["line"], 2);
    let error = lines[1]["error"].as_str().unwrap();
    assert!(
        error.starts_with("the critic's reply is not understood: "),
        "{error}"
    );
    assert!(
        stderr(&run).contains("1 line(s) with no verdict from the critic"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn an_export_writes_one_call_per_line_and_nothing_else() {
    let case = Case::new("chatml");
    let run = case.review(&["--llm-export", "calls.jsonl", "-o", "report.txt"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("wrote 2 model call(s) the cache lacks to calls.jsonl"),
        "{}",
        stderr(&run)
    );
    assert_eq!(stdout(&run), "");
    assert_eq!(case.files(), ["calls.jsonl", "data.jsonl", "queue.rs"]);
    let calls = asked(&std::fs::read_to_string(case.path("calls.jsonl")).unwrap());
    assert_eq!(calls.len(), 2);
    // Each line has a call (the file lists them in key order) carrying its request,
    // reasoning and code, and the whole source file.
    for (request, reasoning, code) in examples() {
        let (_, text) = calls
            .iter()
            .find(|(_, text)| text.contains(request))
            .unwrap_or_else(|| panic!("no call for {request:?}"));
        for part in [reasoning.as_str(), code, SOURCE] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
    }
}

#[test]
fn without_a_source_the_critic_reads_the_lines_code_and_with_two_each_is_named() {
    let case = Case::new("chatml");
    let export = |args: &[&str]| {
        let run = bin()
            .current_dir(case.dir.path())
            .args([
                "review",
                "data.jsonl",
                "--system",
                SYSTEM,
                "--llm-model",
                "m",
            ])
            .args(["--llm-export", "calls.jsonl"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        asked(&std::fs::read_to_string(case.path("calls.jsonl")).unwrap())
    };
    let alone = export(&[]);
    let first = alone
        .iter()
        .find(|(_, text)| text.contains(SEND))
        .expect("a call for the first line");
    assert!(!first.1.contains("pub fn limit"), "{}", first.1);
    assert!(!first.1.contains("// file: "), "{}", first.1);
    std::fs::write(case.path("other.rs"), "pub struct Queue;\n").unwrap();
    let two = export(&["--source", "queue.rs", "--source", "other.rs"]);
    for (_, text) in &two {
        let named = format!("// file: queue.rs\n{SOURCE}\n// file: other.rs\npub struct Queue;\n");
        assert!(text.contains(&named), "{text}");
    }
}

#[test]
fn a_missing_reply_stops_the_run_with_the_count() {
    let case = Case::new("chatml");
    let run = case.review(&["-o", "report.txt"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("2 model call(s) are not in the cache data.llm-cache.jsonl"),
        "{}",
        stderr(&run)
    );
    assert!(!stderr(&run).contains("--llm-fallback"), "{}", stderr(&run));
    assert_eq!(case.files(), ["data.jsonl", "queue.rs"]);
    // One reply of two: the cache keeps it, and one call is still missing.
    let replies = export_and_answer(&case, clean);
    let text = std::fs::read_to_string(case.path(replies)).unwrap();
    let first = text.lines().next().unwrap();
    std::fs::write(case.path(replies), format!("{first}\n")).unwrap();
    let run = case.review(&["--llm-import", replies, "-o", "report.txt"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("1 model call(s) are not in the cache"),
        "{}",
        stderr(&run)
    );
    let cache = std::fs::read_to_string(case.path("data.llm-cache.jsonl")).unwrap();
    assert_eq!(cache.lines().count(), 1);
    assert!(!case.path("report.txt").exists());
}

#[test]
fn the_cache_the_batch_file_and_the_report_may_not_be_a_file_the_run_reads() {
    let case = Case::new("chatml");
    let data = std::fs::read(case.path("data.jsonl")).unwrap();
    let refused = |args: &[&str], message: &str| {
        let run = case.review(args);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {}", stderr(&run));
        assert_eq!(
            stderr(&run),
            format!("svix-distill: error: {message}\n"),
            "{args:?}"
        );
    };
    refused(
        &["--llm-cache", "data.jsonl"],
        "refusing to write the model cache data.jsonl: it is the dataset data.jsonl",
    );
    refused(
        &["--llm-cache", "./queue.rs"],
        "refusing to write the model cache ./queue.rs: it is the source file queue.rs",
    );
    refused(
        &["--llm-export", "data.jsonl"],
        "refusing to write the batch file data.jsonl: it is the dataset data.jsonl",
    );
    refused(
        &["-o", "queue.rs"],
        "refusing to write queue.rs: it is the source file queue.rs",
    );
    refused(
        &["-o", "c.jsonl", "--llm-cache", "c.jsonl"],
        "refusing to write c.jsonl twice: OUT and the model cache need paths of their own",
    );
    assert_eq!(std::fs::read(case.path("data.jsonl")).unwrap(), data);
    assert_eq!(
        std::fs::read_to_string(case.path("queue.rs")).unwrap(),
        SOURCE
    );
    assert_eq!(case.files(), ["data.jsonl", "queue.rs"]);
    // From stdin there is no folder to put the cache beside.
    let run = bin()
        .args(["review", "-", "--llm-model", "m"])
        .stdin(std::fs::File::open(case.path("data.jsonl")).unwrap())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("give --llm-cache PATH"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn review_needs_a_model() {
    let case = Case::new("chatml");
    let run = bin()
        .current_dir(case.dir.path())
        .args(["review", "data.jsonl"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("--llm-model <NAME>"),
        "{}",
        stderr(&run)
    );
}
