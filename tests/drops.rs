//! Examples that fail their own check, through the binary: each is left out with a warning,
//! counted in the summary and listed in the manifest, and the run exits 0; `--strict` writes
//! nothing and exits 1; `--list` still lists. tests/profiles/ungrounded-doc.toml makes them
//! (its doc sentences name `api_docs` outside backticks), in generation and in history mode.
//! And the case that made this needed: a doc comment naming code in plain words.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::git::TestRepo;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    bin().current_dir(repo()).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The warnings that say an example was left out (the split warns of a coarse share too).
fn warnings(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter_map(|l| l.strip_prefix("svix-distill: warning: "))
        .filter(|l| l.contains(") left out: "))
        .map(str::to_owned)
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (unit, variant, reason) of each entry of a manifest's `dropped`.
fn dropped(manifest: &Value) -> Vec<(String, u64, String)> {
    manifest["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["unit"].as_str().unwrap().to_owned(),
                d["variant"].as_u64().unwrap(),
                d["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const UNGROUNDED: &str = "tests/profiles/ungrounded-doc.toml";
const API_DOCS: &str = "reasoning names api_docs outside backticks";

/// The four examples whose reasoning quotes a doc comment are left out, in the order they were
/// made; the undocumented unit's two are written, all on the train side (one unit left), and
/// the counts say so.
#[test]
fn examples_that_fail_their_check_are_left_out_warned_counted_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let manifest = dir.path().join("m.json");
    let output = run(&[
        "fixtures/event_type.rs",
        "-p",
        UNGROUNDED,
        "--variants",
        "2",
        "--valid",
        "0.5",
        "-o",
        out.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = [
        ("item:EventTypeIn", 0),
        ("item:EventTypeIn", 1),
        ("item:create_event_type", 0),
        ("item:create_event_type", 1),
    ];
    let warned = warnings(&output);
    assert_eq!(warned.len(), expected.len(), "{}", stderr(&output));
    for (line, (unit, variant)) in warned.iter().zip(expected) {
        let head =
            format!("{unit} (fixtures/event_type.rs, variant {variant}) left out: {API_DOCS}: \"");
        assert!(line.starts_with(&head), "{line}");
        assert!(line.contains("which api_docs publishes"), "{line}");
    }
    let summary = stderr(&output);
    assert!(
        summary.contains(&format!(
            "wrote 2 examples (1 unit) to {} and 0 examples (0 units) to {}, the manifest to {}; \
             4 examples dropped: they fail their check",
            out.display(),
            dir.path().join("out.valid.jsonl").display(),
            manifest.display()
        )),
        "{summary}"
    );
    let manifest = read_json(&manifest);
    let listed: Vec<(String, u64, String)> = expected
        .iter()
        .map(|&(unit, variant)| (unit.to_owned(), variant, API_DOCS.to_owned()))
        .collect();
    assert_eq!(dropped(&manifest), listed);
    assert_eq!(manifest["dropped"][0]["path"], "fixtures/event_type.rs");
    assert!(
        manifest["dropped"][0]["text"]
            .as_str()
            .unwrap()
            .contains("which api_docs publishes")
    );
    let units: Vec<&str> = manifest["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["item:EventTypeOut", "item:EventTypeOut"]);
    let data = std::fs::read_to_string(&out).unwrap();
    assert_eq!(data.lines().count(), 2);
    assert!(!data.contains("api_docs"));
    // Unsplit, the unit count is the run's own: the units left with no example count no more.
    let unsplit = run(&[
        "fixtures/event_type.rs",
        "-p",
        UNGROUNDED,
        "--variants",
        "2",
    ]);
    assert!(
        stderr(&unsplit).contains(
            "wrote 2 examples (1 unit) to stdout; 4 examples dropped: they fail their check"
        ),
        "{}",
        stderr(&unsplit)
    );
}

/// `--strict` is a CI gate: the warnings, an error, exit 1, and no file written at all.
#[test]
fn strict_writes_nothing_and_exits_1_when_an_example_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let manifest = dir.path().join("m.json");
    let output = run(&[
        "fixtures/event_type.rs",
        "-p",
        UNGROUNDED,
        "--strict",
        "-o",
        out.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(warnings(&output).len(), 4);
    assert!(
        stderr(&output).ends_with(
            "svix-distill: error: 4 example(s) fail their check (see the warnings above); \
             --strict: nothing written\n"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The same run without examples left out writes as usual.
    let clean = run(&[
        "fixtures/event_type.rs",
        "-p",
        "tests/profiles/event-type-creation.toml",
        "--strict",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(clean.status.success(), "{}", stderr(&clean));
    assert!(out.exists());
}

/// `--list` shows the selection whatever its examples would say.
#[test]
fn list_works_when_examples_would_be_left_out() {
    for extra in [&[][..], &["--strict"][..]] {
        let mut args = vec!["fixtures/event_type.rs", "-p", UNGROUNDED, "--list"];
        args.extend(extra);
        let output = run(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        let listed = String::from_utf8(output.stdout).unwrap();
        assert!(listed.contains("create_event_type"), "{listed}");
        assert!(listed.contains("EventTypeIn"), "{listed}");
    }
}

/// Regression: svix's `rotate_key` doc comment names `current_key` and `old_keys` in plain
/// words ("the latest 'current_key / old_keys' for the endpoint/sink,"); quoted as written, the
/// reasoning named them outside backticks, and every run reaching it ended in "internal error:
/// … fails its check", exit 2, with no workaround. The names are now backticked and nothing
/// is left out.
#[test]
fn a_doc_comment_naming_code_in_plain_words_is_quoted_with_the_names_backticked() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.json");
    for extra in [
        &[][..],
        &["--variants", "1"][..],
        &["--imports", "none"][..],
    ] {
        let mut args = vec![
            "fixtures/endpoint_secret.rs",
            "-p",
            "tests/profiles/secret-rotation.toml",
            "--strict",
            "--manifest",
            manifest.to_str().unwrap(),
        ];
        args.extend(extra);
        let output = run(&args);
        assert!(output.status.success(), "{extra:?}: {}", stderr(&output));
        assert_eq!(warnings(&output), Vec::<String>::new());
        let data = String::from_utf8(output.stdout).unwrap();
        assert!(
            data.contains(
                "Takes a `KeyRing` holding the latest '`current_key` / `old_keys`' of the endpoint,"
            ),
            "{extra:?}: {data}"
        );
        let manifest = read_json(&manifest);
        assert!(manifest.get("dropped").is_none());
        assert!(
            manifest["examples"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["unit"].as_str().unwrap().contains("rotate_key"))
        );
    }
}

const FILE: &str = "server/svix-server/src/v1/endpoints/event_type.rs";

/// History mode: a commit whose only example fails its check is dropped as such in `--list`,
/// its example is listed in the manifest with its commit, the version only it was sliced from
/// is no source, and `--strict` writes nothing.
#[test]
fn history_leaves_out_an_example_that_fails_its_check() {
    let dir = tempfile::tempdir().unwrap();
    let git = dir.path().join("repo");
    std::fs::create_dir(&git).unwrap();
    let mut test_repo = TestRepo::init(&git);
    let documented = std::fs::read_to_string(repo().join("fixtures/event_type.rs")).unwrap();
    let doc = "/// Create a new event type.\n";
    assert_eq!(documented.matches(doc).count(), 1);
    let undocumented = documented.replacen(doc, "", 1);
    let first = test_repo.commit(
        "Add the event type endpoints",
        &[(FILE, Some(&undocumented))],
    );
    let second = test_repo.commit(
        "Document the event type creation handler",
        &[(FILE, Some(&documented))],
    );
    let shorter = documented.replacen("max = 256", "max = 128", 1);
    test_repo.commit(
        "Limit event type names to 128 characters",
        &[(FILE, Some(&shorter))],
    );
    let history = |args: &[&str]| {
        let mut all = vec!["history", git.to_str().unwrap(), "-p", UNGROUNDED];
        all.extend(args);
        run(&all)
    };

    let listed = history(&["--list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed = String::from_utf8(listed.stdout).unwrap();
    let row = listed
        .lines()
        .find(|l| l.contains("Document the event type creation handler"))
        .unwrap();
    assert!(
        row.contains("dropped: its examples fail their check"),
        "{listed}"
    );

    let out = dir.path().join("out.jsonl");
    let manifest = dir.path().join("m.json");
    let output = history(&[
        "-o",
        out.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let short = &second[..9];
    assert_eq!(
        warnings(&output),
        [format!(
            "change:{short} ({short}, {FILE}, variant 0) left out: {API_DOCS}: \"…gains doc \
             comments, which api_docs publishes.\""
        )]
    );
    assert!(
        stderr(&output).contains("1 kept (1 examples), dropped 1 adds the file, 1 fails its check"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("; 1 example dropped: it fails its check"),
        "{}",
        stderr(&output)
    );
    let manifest = read_json(&manifest);
    assert_eq!(
        dropped(&manifest),
        [(format!("change:{short}"), 0, API_DOCS.to_owned())]
    );
    assert_eq!(manifest["dropped"][0]["commit"], second.as_str());
    let commits: Vec<&str> = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["commit"].as_str().unwrap())
        .collect();
    assert!(!commits.contains(&first.as_str()), "{commits:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 1);

    let strict_out = dir.path().join("strict.jsonl");
    let strict = history(&["--strict", "-o", strict_out.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    assert!(!strict_out.exists());
}

/// A documented handler alone: under the ungrounded-doc profile its every example is left out.
const ONLY_DOCUMENTED: &str = "use aide::axum::{routing::post_with, ApiRouter};
use axum::{extract::State, Json};

/// Create a new event type.
async fn create_event_type(
    State(AppState { ref db, .. }): State<AppState>,
    Json(data): Json<EventTypeIn>,
) -> Result<Json<EventTypeOut>> {
    let model = data.into_model(db).await?;
    Ok(Json(model.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route_with(\"/event-type\", post_with(create_event_type, |op| op), |op| op)
}
";

/// Every example left out is nothing to write, as in history mode: exit 1 and no file (it once
/// wrote an empty dataset and exited 0); `--allow-empty` writes the empty file and exits 0.
#[test]
fn a_run_whose_every_example_is_left_out_has_nothing_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("event_type.rs");
    std::fs::write(&input, ONLY_DOCUMENTED).unwrap();
    let out = dir.path().join("out.jsonl");
    let args = [
        input.to_str().unwrap(),
        "-p",
        UNGROUNDED,
        "-o",
        out.to_str().unwrap(),
    ];
    let refused = run(&args);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert_eq!(warnings(&refused).len(), 2, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("svix-distill: error: all 2 example(s) of "),
        "{}",
        stderr(&refused)
    );
    assert!(!out.exists(), "nothing is written");

    let allowed = run(&[&args[..], &["--allow-empty"]].concat());
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");
}
