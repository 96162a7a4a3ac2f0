//! History mode on a repository the test builds itself (with gix, no `git` binary): commits
//! that add, change, reformat and rename a handler, a side branch and its merge, a revert, a
//! short message, a path-only edit, an edit of another handler and a move of the file, so that
//! every kept and dropped case shows in one `--list` and in the examples.

mod support;

use std::path::{Path, PathBuf};
use support::cli::{ok, read_json, readable, run, stdout};
use support::edit;
use support::git::TestRepo;

const FILE: &str = "server/svix-server/src/v1/endpoints/message.rs";
const MOVED: &str = "server/svix-server/src/v1/endpoints/message/mod.rs";

/// The fixture as it stood before the history below: no conflict mapping on the insert, no
/// retention field, the implementation under its old name.
fn first_version() -> String {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/message.rs"))
            .unwrap();
    let text = edit(
        &text,
        "msg.insert(txn).await.map_err(http_error_on_conflict)?",
        "msg.insert(txn).await?",
    );
    let text = edit(
        &text,
        "    #[validate(range(min = 1, max = 30))]\n    #[serde(default = \"default_retention_days\")]\n    pub retention_days: i64,\n",
        "",
    );
    let text = edit(
        &text,
        "fn default_retention_days() -> i64 {\n    14\n}\n\n",
        "",
    );
    let text = edit(
        &text,
        "Duration::days(data.retention_days)",
        "Duration::days(14)",
    );
    text.replace("create_message_inner", "create_message_impl")
}

/// The commits, oldest first, each with the ids the test needs later.
struct Built {
    repo: TestRepo,
    /// The commit before the fix, for `--since`.
    before_fix: String,
}

fn build(repo: TestRepo) -> Built {
    let mut repo = repo;
    let v1 = first_version();
    repo.commit("Add the message endpoints (#1)", &[(FILE, Some(&v1))]);
    let before_fix = repo.commit(
        "Add a README",
        &[("README.md", Some("Webhooks, done right.\n"))],
    );
    let v2 = edit(
        &v1,
        "msg.insert(txn).await?",
        "msg.insert(txn).await.map_err(http_error_on_conflict)?",
    );
    repo.commit(
        "Return 409 on duplicate message insert (#1466)\n\nEnsure that we don't return a 5xx when user attempts to insert a duplicate message\n(i.e., due to msg-uid conflict).\n\nFixes #1433\n\nSigned-off-by: A Maintainer <maintainer@example.com>\n",
        &[(FILE, Some(&v2))],
    );
    // rustfmt's 2024 style: the call's arguments on their own lines, with a trailing comma.
    let v3 = edit(
        &v2,
        "    let out = create_message_impl(db, queue_tx, cache, with_content, data, org_id, app_id).await?;",
        "    let out = create_message_impl(\n        db,\n        queue_tx,\n        cache,\n        with_content,\n        data,\n        org_id,\n        app_id,\n    )\n    .await?;",
    );
    repo.commit(
        "fmt: switch server to 2024 style edition (#2178)",
        &[(FILE, Some(&v3))],
    );
    let v4 = v3.replace("create_message_impl", "create_message_inner");
    let renamed = repo.commit(
        "Rename create_message_impl to create_message_inner",
        &[(FILE, Some(&v4))],
    );
    // Main changes another handler while a side branch adds the retention period; a merge
    // brings both together.
    let newest_first = |text: &str| {
        edit(
            text,
            "secure_find(app.id).all(db)",
            "secure_find(app.id).order_by_desc(message::Column::CreatedAt).all(db)",
        )
    };
    let main_tip = repo.commit(
        "List messages newest first",
        &[(FILE, Some(&newest_first(&v4)))],
    );
    repo.reset_head(&renamed);
    let v5 = edit(
        &edit(
            &edit(
                &v4,
                "    /// Creates the application on the fly",
                "    #[validate(range(min = 1, max = 30))]\n    #[serde(default = \"default_retention_days\")]\n    pub retention_days: i64,\n    /// Creates the application on the fly",
            ),
            "fn default_true() -> bool {",
            "fn default_retention_days() -> i64 {\n    14\n}\n\nfn default_true() -> bool {",
        ),
        "Duration::days(14)",
        "Duration::days(data.retention_days)",
    );
    let side = repo.commit(
        "Support `retentionDays` for messages (#405)\n\nThe payload is kept for this many days.",
        &[(FILE, Some(&v5))],
    );
    repo.branch("retention", &side);
    repo.reset_head(&main_tip);
    let v6 = newest_first(&v5);
    repo.merge("Merge branch 'retention'", &side, &[(FILE, Some(&v6))]);
    let v7 = edit(
        &v6,
        "The application uid must match the one in the path",
        "The application's uid must match the one in the path",
    );
    let fix = repo.commit("fix", &[(FILE, Some(&v7))]);
    repo.commit(
        &format!("Revert \"fix\"\n\nThis reverts commit {fix}."),
        &[(FILE, Some(&v6))],
    );
    let v8 = edit(
        &v6,
        "return Err(HttpError::not_found(",
        "return Err(crate::error::HttpError::not_found(",
    );
    repo.commit("Spell out the error type's path", &[(FILE, Some(&v8))]);
    repo.commit(
        "Move the message endpoints into a folder of their own",
        &[(FILE, None), (MOVED, Some(&v8))],
    );
    Built { repo, before_fix }
}

fn built_in(dir: &Path) -> Built {
    build(TestRepo::init(dir))
}

#[test]
fn every_kept_and_dropped_case_in_one_list() {
    let dir = tempfile::tempdir().unwrap();
    let built = built_in(dir.path());
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let list = stdout(run(&["history", &repo, "--list"]));
    insta::assert_snapshot!("history_list", list);
    // The file's new home leads back to the same commits, through the move.
    let moved = stdout(run(&["history", &repo, "--path", MOVED, "--list"]));
    insta::assert_snapshot!("history_list_moved", moved);
}

#[test]
fn examples_read_as_a_reviewer_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let built = built_in(dir.path());
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let data = out.join("history.jsonl");
    let manifest = out.join("history.manifest.json");
    let run_once = || {
        ok(run(&[
            "history",
            &repo,
            "--format",
            "reasoning",
            "-o",
            data.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ]));
        std::fs::read(&data).unwrap()
    };
    let first = run_once();
    assert_eq!(first, run_once(), "two runs give the same bytes");
    let text = String::from_utf8(first).unwrap();
    insta::assert_snapshot!("history_examples", readable(&text));
    let manifest = read_json(&manifest);
    assert_eq!(manifest["input"]["mode"], "history");
    for example in manifest["examples"].as_array().unwrap() {
        let commit = example["commit"].as_str().unwrap();
        assert_eq!(commit.len(), 40);
        for slice in example["slices"].as_array().unwrap() {
            assert_eq!(slice["commit"], commit);
        }
    }
    // The request of a change example quotes the code before it, from the parent.
    let change = manifest["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["request_slices"].is_array())
        .expect("a change example");
    assert_ne!(change["request_slices"][0]["commit"], change["commit"]);
}

#[test]
fn every_request_holds_its_subject_without_the_pr_number_and_cleaned_body() {
    let dir = tempfile::tempdir().unwrap();
    let built = built_in(dir.path());
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let text = stdout(run(&["history", &repo, "--format", "openai"]));
    let requests: Vec<String> = text
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["messages"][1]["content"].as_str().unwrap().to_owned()
        })
        .collect();
    let fix = requests
        .iter()
        .find(|r| r.starts_with("Return 409 on duplicate message insert\n\n"))
        .expect("the fix's request");
    assert!(!fix.contains("#1466") && !fix.contains("Fixes") && !fix.contains("Signed-off-by"));
    assert!(fix.contains("due to msg-uid conflict"));
    assert!(
        fix.contains("```rust\n"),
        "a change quotes the code as it stood"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("Support `retentionDays` for messages\n\nThe payload is kept")),
        "{requests:#?}"
    );
    assert!(!requests.iter().any(|r| r.contains("Merge branch")));
}

#[test]
fn since_keeps_only_later_commits_and_a_bare_repository_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let built = built_in(&dir.path().join("work"));
    let work = built.repo.path().to_str().unwrap().to_owned();
    let bare_dir = dir.path().join("bare.git");
    let bare = build(TestRepo::init_bare(&bare_dir));
    let bare_path = bare.repo.path().to_str().unwrap().to_owned();
    assert_eq!(
        stdout(run(&["history", &work])),
        stdout(run(&["history", &bare_path]))
    );
    let all = stdout(run(&["history", &work, "--list"]));
    let since = stdout(run(&[
        "history",
        &work,
        "--list",
        "--since",
        &built.before_fix,
    ]));
    assert!(all.lines().count() > since.lines().count());
    assert!(!since.contains("Add the message endpoints"));
    assert!(since.contains("Return 409 on duplicate message insert"));
    assert!(
        all.ends_with(&since),
        "--since lists the tail of the whole list"
    );
}

#[test]
fn validate_repo_checks_every_slice_against_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut built = built_in(&dir.path().join("work"));
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let data = dir.path().join("h.jsonl");
    let manifest = dir.path().join("h.manifest.json");
    let (data_s, manifest_s) = (data.to_str().unwrap(), manifest.to_str().unwrap());
    // The file's home at HEAD, so that a commit made below is one this history reads.
    let history = |extra: &[&str]| {
        let args = [
            &[
                "history",
                &repo,
                "--path",
                MOVED,
                "-o",
                data_s,
                "--manifest",
                manifest_s,
            ],
            extra,
        ]
        .concat();
        run(&args)
    };
    ok(history(&[]));
    let validate = |file: &Path| {
        run(&[
            "validate",
            file.to_str().unwrap(),
            "--repo",
            &repo,
            "--manifest",
            manifest_s,
        ])
    };
    let good = stdout(validate(&data));
    assert!(good.contains("no faults"), "{good}");
    // One byte of one line's code changed: that line, and only it, is reported.
    let text = std::fs::read_to_string(&data).unwrap();
    let tampered = text.replacen(
        "map_err(http_error_on_conflict)",
        "map_err(http_error_on_kon)",
        1,
    );
    assert_ne!(text, tampered);
    let bad_path: PathBuf = dir.path().join("tampered.jsonl");
    std::fs::write(&bad_path, tampered).unwrap();
    let bad = validate(&bad_path);
    assert_eq!(bad.status.code(), Some(1));
    let report = String::from_utf8(bad.stdout).unwrap();
    assert!(
        report.contains("the code is not the slices its manifest entry names")
            || report.contains("the request does not quote the code before the commit"),
        "{report}"
    );
    // --check finds the data current, then stale once a commit changes the handler.
    ok(history(&["--check"]));
    let moved = std::fs::read_to_string(built.repo.path().join(MOVED)).unwrap();
    built.repo.commit(
        "Keep the application view for two minutes",
        &[(
            MOVED,
            Some(&edit(&moved, "from_secs(60)", "from_secs(120)")),
        )],
    );
    let stale = history(&["--check"]);
    assert_eq!(stale.status.code(), Some(1));
}

#[test]
fn a_folder_that_is_no_repository_and_an_unknown_revision_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let plain = run(&["history", dir.path().to_str().unwrap()]);
    assert_eq!(plain.status.code(), Some(2));
    let stderr = String::from_utf8(plain.stderr).unwrap();
    assert!(stderr.starts_with("svix-distill: error: "), "{stderr}");
    assert!(stderr.contains("is not in a git repository"), "{stderr}");
    let built = built_in(&dir.path().join("work"));
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let unknown = run(&["history", &repo, "--since", "no-such-branch"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert!(
        stderr.contains("unknown revision no-such-branch"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Writes every history example's text itself: the commit's message (with, for a change, the
/// code before it, which the check requires the request to quote), and the unit's name in
/// backticks.
struct CommitWriter(std::sync::Mutex<Vec<String>>);

impl svix_distill::write::Writer for CommitWriter {
    fn write(
        &self,
        brief: &svix_distill::write::Brief,
    ) -> anyhow::Result<svix_distill::write::Text> {
        let history = brief.history.expect("a history brief");
        // A change brief carries what changed, one change per item; a new-items one none.
        let changes = history.change.map_or(0, |c| c.changes.len());
        assert_eq!(
            brief.key.starts_with("change:"),
            changes == brief.items.len()
        );
        let mut seen = self.0.lock().unwrap();
        seen.push(brief.key.clone());
        Ok(svix_distill::write::Text {
            request: match history.change {
                Some(change) => format!(
                    "From the writer: {}\n\n```rust\n{}\n```",
                    history.message, change.before_code
                ),
                None => format!("From the writer: {}", history.message),
            },
            reasoning: format!(
                "The writer speaks of `{}` in {}.",
                brief.name,
                brief.key.len()
            ),
            rules: Vec::new(),
            model: None,
        })
    }
}

#[test]
fn history_mode_takes_its_text_from_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let built = built_in(dir.path());
    let repo = svix_distill::history::git::Repo::open(built.repo.path()).unwrap();
    let profile = svix_distill::profile::Profile::load("message-creation").unwrap();
    let options = svix_distill::history::HistoryOptions {
        paths: vec![FILE.to_owned()],
        since: None,
        until: "HEAD".to_owned(),
        imports: svix_distill::extract::units::Imports::None,
        context_for_writer: false,
    };
    let writer = CommitWriter(std::sync::Mutex::new(Vec::new()));
    let history = svix_distill::pipeline::extract_history(
        &repo,
        &profile,
        &options,
        &Default::default(),
        &writer,
    )
    .unwrap();
    let asked = writer.0.into_inner().unwrap();
    assert!(history.examples.len() >= 2, "{:#?}", history.rows);
    // Every example is one the writer was asked for, with its text.
    assert_eq!(
        history.examples.iter().map(|e| &e.unit).collect::<Vec<_>>(),
        asked.iter().collect::<Vec<_>>()
    );
    for example in &history.examples {
        assert!(
            example.request.starts_with("From the writer: "),
            "{}",
            example.request
        );
        assert!(example.reasoning.starts_with("The writer speaks of `"));
    }
}

/// Regression (blind fact-check of history examples): a commit that only renamed an operation
/// id was explained as annotating the handler ("I annotate `create_message` with
/// `#[aide_annotate(..)]`, so its OpenAPI operation takes its description from the doc
/// comment"), as though the annotation were new. The change of the id is said instead.
#[test]
fn a_renamed_operation_id_is_a_change_not_a_new_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::init(&dir.path().join("work"));
    let v1 = first_version();
    repo.commit("Add the message endpoints (#1)", &[(FILE, Some(&v1))]);
    let v2 = edit(
        &v1,
        "op_id = \"v1.message.create\"",
        "op_id = \"v1.message.create-message\"",
    );
    repo.commit("Rename the operation id (#2)", &[(FILE, Some(&v2))]);
    let out = dir.path().join("h.jsonl");
    ok(run(&[
        "history",
        repo.path().to_str().unwrap(),
        "--path",
        FILE,
        "-o",
        out.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&out).unwrap();
    let renamed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Rename the operation id"))
        .collect();
    assert!(!renamed.is_empty(), "no example of the rename:\n{text}");
    for line in renamed {
        let example: serde_json::Value = serde_json::from_str(line).unwrap();
        let answer = example["messages"][2]["content"].as_str().unwrap();
        let reasoning = answer.split("</think>").next().unwrap();
        assert!(!reasoning.contains("I annotate"), "{reasoning}");
        assert!(
            reasoning.contains("`v1.message.create` to `v1.message.create-message`")
                || reasoning.contains("`v1.message.create-message` instead of `v1.message.create`"),
            "the change of the id is not said: {reasoning}"
        );
    }
}
