//! The command line as a user meets it: trycmd cases in tests/cmd/, and the file-system
//! guarantees (no partial or clobbered output, same bytes from any folder) checked directly.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}

#[test]
fn same_bytes_from_any_folder_and_path_spelling() {
    let runs = [
        (repo(), "fixtures/message.rs".to_owned()),
        (repo().join("fixtures"), "message.rs".to_owned()),
        (repo().join("tests"), "../fixtures/./message.rs".to_owned()),
        (
            std::env::temp_dir(),
            repo().join("fixtures/message.rs").display().to_string(),
        ),
    ];
    let outputs: Vec<Vec<u8>> = runs
        .iter()
        .map(|(cwd, path)| {
            let out = bin().current_dir(cwd).arg(path).output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        })
        .collect();
    assert!(!outputs[0].is_empty());
    for other in &outputs[1..] {
        assert_eq!(&outputs[0], other);
    }
}

#[test]
fn writes_the_file_and_says_how_many_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("message_creation.jsonl");
    let run = bin()
        .arg(repo().join("fixtures/message.rs"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success());
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.starts_with("svix-distill: wrote 20 examples (11 units) to "),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 20);
    assert_eq!(leftovers(dir.path()), ["message_creation.jsonl"]);
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_run_leaves_an_existing_output_untouched_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    std::fs::write(&out, "previous contents\n").unwrap();
    for input in [
        "tests/cmd/inputs/syntax_error.rs",
        "tests/cmd/inputs/no_handlers.rs",
    ] {
        let run = bin()
            .current_dir(repo())
            .arg(input)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!run.status.success());
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "previous contents\n"
        );
        assert_eq!(leftovers(dir.path()), ["out.jsonl"]);
    }
}

#[test]
fn a_failed_run_creates_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let run = bin()
        .current_dir(repo())
        .args(["tests/cmd/inputs/latin1.rs", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_closed_stdout_is_a_quiet_exit() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = bin()
        .current_dir(repo())
        .args(["fixtures/message.rs", "--variants", "40"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then hang up, as `| head -c1` would.
    let mut stdout = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    stdout.read_exact(&mut byte).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}

/// What a bad-input row of the table in issue 3 needs: a name, the input to make in a scratch
/// folder, extra arguments, the exit code and a piece of the message.
struct BadInput {
    name: &'static str,
    make: fn(&Path) -> PathBuf,
    extra: &'static [&'static str],
    code: i32,
    message: &'static str,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const BAD_INPUTS: &[BadInput] = &[
    BadInput {
        name: "path does not exist",
        make: |dir| dir.join("absent.rs"),
        extra: &[],
        code: 2,
        message: "absent.rs: No such file or directory",
    },
    BadInput {
        name: "folder with no .rs file",
        make: |dir| {
            let folder = dir.join("empty-folder");
            std::fs::create_dir(&folder).unwrap();
            write(&folder, "notes.txt", b"not rust");
            folder
        },
        extra: &[],
        code: 2,
        message: "empty-folder is a folder with no .rs file",
    },
    BadInput {
        name: "folder whose files match no --focus",
        make: |dir| {
            let folder = dir.join("crate");
            std::fs::create_dir(&folder).unwrap();
            write(&folder, "lib.rs", b"fn f() {}");
            folder
        },
        extra: &[],
        code: 1,
        message: "crate: no file matches --focus **/endpoints/message.rs",
    },
    BadInput {
        name: "not UTF-8",
        make: |dir| write(dir, "latin1.rs", b"fn f() {}\n// caf\xe9\n"),
        extra: &[],
        code: 2,
        message: "latin1.rs is not UTF-8 (invalid byte at offset 16)",
    },
    BadInput {
        name: "syntax error",
        make: |dir| write(dir, "broken.rs", b"fn f() {\n    let = 1;\n}\n"),
        extra: &[],
        code: 2,
        message: "broken.rs:2:9: expected one of: identifier",
    },
    BadInput {
        name: "empty file",
        make: |dir| write(dir, "empty.rs", b""),
        extra: &[],
        code: 1,
        message: "no message-creation route in",
    },
    BadInput {
        name: "no POST handler",
        make: |dir| {
            write(
                dir,
                "get_only.rs",
                b"async fn list() {}\nfn router() -> Router { Router::new().route(\"/m\", get(list)) }\n",
            )
        },
        extra: &[],
        code: 1,
        message: "nothing is registered for POST …/msg by a router in the file, and no --root was given",
    },
    BadInput {
        name: "a file for another profile",
        make: |dir| {
            write(
                dir,
                "application.rs",
                b"async fn create_application() {}\nfn router() -> Router { Router::new().route(\"/app\", post(create_application)) }\n",
            )
        },
        extra: &[],
        code: 1,
        message: "application.rs (it registers POST /app: try --profile application-creation)",
    },
    BadInput {
        name: "a root handler defined in another module",
        make: |dir| {
            write(
                dir,
                "mod.rs",
                b"mod crud;\nfn router() -> Router { Router::new().route(\"/app/{app_id}/endpoint\", post(crud::create_endpoint)) }\n",
            )
        },
        extra: &["--profile", "endpoint-creation"],
        code: 1,
        message: "its router registers POST /app/{app_id}/endpoint with `crud::create_endpoint`, which is defined in another module; give the crate folder to follow it there",
    },
    BadInput {
        name: "an unknown profile",
        make: |dir| write(dir, "m.rs", b"fn f() {}\n"),
        extra: &["--profile", "messages"],
        code: 2,
        message: "no profile named messages (built-in: message-creation, application-creation, endpoint-creation; or give a path to a .toml file)",
    },
    BadInput {
        name: "a profile file that is not a profile",
        make: |dir| {
            write(dir, "bad.toml", b"name = 3\n");
            write(dir, "m.rs", b"fn f() {}\n")
        },
        extra: &["--profile", "bad.toml"],
        code: 2,
        message: "bad.toml: not a valid profile: TOML parse error at line 1, column 8",
    },
    BadInput {
        name: "pathological nesting",
        make: |dir| {
            let body = format!(
                "fn f() {{ {}{} }}\n",
                "(".repeat(60_000),
                ")".repeat(60_000)
            );
            write(dir, "deep.rs", body.as_bytes())
        },
        extra: &[],
        code: 2,
        message: "deep.rs:1:",
    },
    BadInput {
        name: "generic arguments nested beyond what a parse can take",
        make: |dir| {
            let body = format!(
                "type T = {}u8{};\n",
                "A<".repeat(50_000),
                ">".repeat(50_000)
            );
            write(dir, "generics.rs", body.as_bytes())
        },
        extra: &[],
        code: 2,
        message: "generics.rs:1:665: generic arguments, operators or one expression nested too deeply",
    },
    BadInput {
        name: "unknown flag",
        make: |dir| write(dir, "ok.rs", b"fn f() {}"),
        extra: &["--frobnicate"],
        code: 2,
        message: "unexpected argument '--frobnicate'",
    },
];

#[test]
fn every_bad_input_fails_cleanly_and_writes_nothing() {
    for row in BAD_INPUTS {
        let dir = tempfile::tempdir().unwrap();
        let input = (row.make)(dir.path());
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).unwrap();
        // From the temporary folder, so that a relative --profile names a file written there.
        let run = bin()
            .current_dir(dir.path())
            .arg(&input)
            .arg("-o")
            .arg(out_dir.join("out.jsonl"))
            .args(row.extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert_eq!(run.status.code(), Some(row.code), "{}: {stderr}", row.name);
        assert!(stderr.contains(row.message), "{}: {stderr}", row.name);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", row.name);
        if !row.extra.contains(&"--frobnicate") {
            assert!(
                stderr.starts_with("svix-distill: error: "),
                "{}: {stderr}",
                row.name
            );
        }
        assert!(
            leftovers(&out_dir).is_empty(),
            "{}: wrote {:?}",
            row.name,
            leftovers(&out_dir)
        );
    }
}

#[test]
fn unreadable_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "secret.rs", b"fn f() {}");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file, so as root the run drops to an unprivileged user; the scratch
    // folder must let that user in.
    let is_root = std::fs::read(&input).is_ok();
    let mut command = if is_root {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_svix-distill"));
        c
    } else {
        bin()
    };
    let run = command
        .arg(&input)
        .arg("-o")
        .arg(out_dir.join("out.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "svix-distill: error: cannot read {}: Permission denied (os error 13)\n",
            input.display()
        )
    );
    assert!(leftovers(&out_dir).is_empty());
}

#[test]
fn allow_empty_writes_an_empty_file_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "empty.rs", b"");
    let out = dir.path().join("out.jsonl");
    let run = bin()
        .arg(&input)
        .args(["--allow-empty", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(run.status.success(), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "svix-distill: no message-creation route in {}; --allow-empty: no examples\n\
             svix-distill: wrote 0 examples (0 units) to {}\n",
            input.display(),
            out.display()
        )
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"");
}

#[test]
fn a_byte_order_mark_is_accepted_and_slices_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(repo().join("fixtures/message.rs")).unwrap();
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend_from_slice(&plain);
    let input = write(dir.path(), "bom.rs", &with_bom);
    let a = bin()
        .arg(repo().join("fixtures/message.rs"))
        .output()
        .unwrap();
    let b = bin().arg(&input).output().unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(a.stdout, b.stdout);
}

fn check(out: &Path) -> (Option<i32>, String) {
    let run = bin()
        .arg(repo().join("fixtures/message.rs"))
        .arg("-o")
        .arg(out)
        .arg("--check")
        .output()
        .unwrap();
    (run.status.code(), String::from_utf8(run.stderr).unwrap())
}

#[test]
fn check_passes_on_a_current_file_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let written = bin()
        .arg(repo().join("fixtures/message.rs"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(written.success());
    let before = std::fs::metadata(&out).unwrap().modified().unwrap();
    let (code, stderr) = check(&out);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("out.jsonl is current\n"), "{stderr}");
    assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), before);
    assert_eq!(leftovers(dir.path()), ["out.jsonl"]);
}

#[test]
fn check_reports_the_first_stale_line_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let current = bin()
        .arg(repo().join("fixtures/message.rs"))
        .output()
        .unwrap()
        .stdout;
    let current = String::from_utf8(current).unwrap();
    let mut lines: Vec<&str> = current.lines().collect();
    let edited = lines[2].replacen("RawPayload", "OldPayload", 1);
    lines[2] = &edited;
    let stale = lines.join("\n") + "\n";
    std::fs::write(&out, &stale).unwrap();
    let (code, stderr) = check(&out);
    assert_eq!(code, Some(1), "{stderr}");
    let mut report = stderr.lines();
    assert_eq!(
        report.next().unwrap(),
        format!(
            "svix-distill: error: {} is stale: first difference at line 3",
            out.display()
        )
    );
    assert!(
        report.next().unwrap().starts_with("  expected: …"),
        "{stderr}"
    );
    let found = report.next().unwrap();
    assert!(
        found.starts_with("  found:    …") && found.contains("OldPayload"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stale);
}

#[test]
fn check_fails_when_the_file_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let (code, stderr) = check(&out);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "svix-distill: error: {} does not exist; run without --check to write it\n",
            out.display()
        )
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn check_needs_an_output_file() {
    let run = bin()
        .arg(repo().join("fixtures/message.rs"))
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(stderr.contains("--output <OUT>"), "{stderr}");
}

fn generated(dir: &Path) -> PathBuf {
    let out = dir.join("dataset.jsonl");
    let status = bin()
        .arg(repo().join("fixtures/message.rs"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[test]
fn validate_accepts_the_generator_output_with_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = generated(dir.path());
    for source in [repo().join("fixtures/message.rs"), repo().join("fixtures")] {
        let run = bin()
            .arg("validate")
            .arg(&dataset)
            .arg("--source")
            .arg(&source)
            .output()
            .unwrap();
        let stdout = String::from_utf8(run.stdout).unwrap();
        assert!(run.status.success(), "{stdout}");
        let mut lines = stdout.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("{}: 20 examples (chatml), no faults", dataset.display())
        );
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("tokens (o200k_base, message contents): min "),
            "{stdout}"
        );
    }
}

#[test]
fn validate_reports_faults_by_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = generated(dir.path());
    let text = std::fs::read_to_string(&dataset).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[4] = lines[4].replacen("use aide::axum::{", "use aide::axum::{ ", 1);
    lines[6] = lines[0].clone();
    std::fs::write(&dataset, lines.join("\n") + "\n").unwrap();
    let run = bin()
        .arg("validate")
        .arg(&dataset)
        .arg("--source")
        .arg(repo().join("fixtures/message.rs"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8(run.stdout).unwrap();
    let name = dataset.display().to_string();
    assert!(
        stdout.contains(&format!(
            "{name}:5: the code is not made of exact item slices of any source"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{name}:7: repeats the request of line 1")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{name}:7: repeats the reasoning of line 1")),
        "{stdout}"
    );
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("svix-distill: error: {name} is not valid: ")),
        "{stderr}"
    );
}

#[test]
fn validate_enforces_a_token_budget() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = generated(dir.path());
    let run = bin()
        .arg("validate")
        .arg(&dataset)
        .args(["--token-budget", "100", "--encoding", "cl100k_base"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.contains("tokens (cl100k_base, message contents)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("over the --token-budget of 100"),
        "{stdout}"
    );
}

/// `stats` on a file with no valid line used to print `examples 0` and exit 0: a CI job
/// summarizing a broken or empty dataset passed.
#[test]
fn stats_fails_on_a_file_with_no_valid_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "garbage.jsonl",
            "not json\n{\"type\":\"chatml\"}\n",
            "no valid line to summarize: 2 line(s) with faults; run validate for details",
        ),
        ("empty.jsonl", "", "no line to summarize: the file is empty"),
    ];
    for (name, text, message) in cases {
        let file = write(dir.path(), name, text.as_bytes());
        for json in [false, true] {
            let mut command = bin();
            command.arg("stats").arg(&file);
            if json {
                command.arg("--json");
            }
            let run = command.output().unwrap();
            assert_eq!(run.status.code(), Some(1), "{name}");
            assert!(run.stdout.is_empty(), "{name}");
            assert_eq!(
                String::from_utf8(run.stderr).unwrap(),
                format!("svix-distill: error: {}: {message}\n", file.display())
            );
        }
    }
}

#[test]
fn validate_reports_each_of_several_files_and_fails_if_any_is_not_valid() {
    let dir = tempfile::tempdir().unwrap();
    let good = generated(dir.path());
    let garbage = write(dir.path(), "garbage.jsonl", b"not json\n");
    let empty = write(dir.path(), "empty.jsonl", b"");
    let run = bin()
        .arg("validate")
        .args([&good, &garbage, &empty])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8(run.stdout).unwrap();
    let summaries: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("tokens "))
        .collect();
    assert_eq!(
        summaries,
        [
            format!("{}: 20 examples (chatml), no faults", good.display()),
            format!(
                "{}:1: not JSON: expected ident at line 1 column 2",
                garbage.display()
            ),
            format!(
                "{}: 1 fault(s) in 1 line(s) read as chatml",
                garbage.display()
            ),
            format!("{}: empty, no examples", empty.display()),
        ]
    );
    assert_eq!(
        String::from_utf8(run.stderr).unwrap(),
        format!(
            "svix-distill: error: {} is not valid: 1 fault(s), no valid line\n\
             svix-distill: error: {} is not valid: no valid line\n",
            garbage.display(),
            empty.display()
        )
    );
    let both_good = bin().arg("validate").args([&good, &good]).output().unwrap();
    assert_eq!(both_good.status.code(), Some(0));
    let none = bin().arg("validate").output().unwrap();
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn stats_as_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = generated(dir.path());
    let table = bin().arg("stats").arg(&dataset).output().unwrap();
    assert!(table.status.success());
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("  examples        20\n  units           11\n"),
        "{table}"
    );
    assert!(table.contains("  facts           "), "{table}");
    for row in [
        "  repeated shapes ",
        "  near-duplicates 0 pair(s) of requests or reasonings (word 5-gram Jaccard >= 0.7)\n",
        "  distinctness    0.",
        "  member-only     ",
    ] {
        assert!(table.contains(row), "{row:?} in {table}");
    }
    let json = bin()
        .arg("stats")
        .arg(&dataset)
        .arg("--json")
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["examples"], 20);
    assert_eq!(value["units"], 11);
    assert_eq!(value["encoding"], "o200k_base");
    for kind in [
        "route",
        "aide",
        "validation",
        "transaction",
        "queue",
        "cache",
        "409",
        "202",
        "permissions",
    ] {
        assert!(
            value["facts"][kind].as_u64().unwrap() > 0,
            "{kind}: {value}"
        );
    }
    assert!(value["tokens"]["total"].as_u64().unwrap() > 0);
    assert!(value["largest"]["line"].as_u64().unwrap() >= 1);
    // The variety targets of the text (issue 9) on the message fixture's default run: at most
    // 15% of reasoning sentences share a shape, requests at least 0.85 distinct in their word
    // 3-grams, no near-duplicate, no request line that only names a member.
    let repeated = value["repeated_shapes"].as_f64().unwrap();
    assert!(repeated <= 0.15, "{value}");
    assert_eq!(value["near_duplicates"], 0);
    let distinctness = value["request_distinctness"].as_f64().unwrap();
    assert!(distinctness >= 0.85, "{value}");
    assert_eq!(value["member_only_request_lines"], 0, "{value}");
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "format",
            "examples",
            "units",
            "facts",
            "encoding",
            "tokens",
            "largest",
            "repeated_shapes",
            "near_duplicates",
            "request_distinctness",
            "member_only_request_lines",
        ]
    );
}

/// Two lines whose reasonings differ by one word: a warning, and exit 1 under `--strict`.
#[test]
fn validate_strict_fails_on_near_duplicate_reasoning() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = dir.path().join("near.jsonl");
    let line = |request: &str, word: &str| {
        let reasoning = format!(
            "The handler reads the body, checks the {word} first and only then writes the \
             row, so that nothing half-valid ever reaches the database. It answers with the \
             created row once the queue has accepted the message."
        );
        serde_json::json!({
            "type": "chatml",
            "messages": [
                {"role": "system", "content": "You write Rust."},
                {"role": "user", "content": request},
                {"role": "assistant", "content": format!("<think>\n{reasoning}\n</think>\n\nfn f() {{}}")},
            ]
        })
        .to_string()
    };
    let text = [
        line("Add the handler.", "payload"),
        line("Check the body.", "channels"),
    ];
    std::fs::write(&dataset, text.join("\n") + "\n").unwrap();
    let name = dataset.display().to_string();
    let expected =
        format!("{name}:2: reasoning is a near-duplicate of line 1 (word 5-gram Jaccard 0.73)\n");
    let validate = |strict: bool| {
        let mut command = bin();
        command
            .arg("validate")
            .arg(&dataset)
            .args(["--system", "You write Rust."]);
        if strict {
            command.arg("--strict");
        }
        command.output().unwrap()
    };

    let lenient = validate(false);
    let stdout = String::from_utf8(lenient.stdout).unwrap();
    assert_eq!(lenient.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with(&expected.replace(":2: ", ":2: warning: ")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{name}: 2 examples (chatml), no faults\n")),
        "{stdout}"
    );

    let strict = validate(true);
    let stdout = String::from_utf8(strict.stdout).unwrap();
    assert_eq!(strict.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(
        stdout.contains(&format!("{name}: 1 fault(s) in 2 line(s) read as chatml\n")),
        "{stdout}"
    );
    let stderr = String::from_utf8(strict.stderr).unwrap();
    assert_eq!(
        stderr,
        format!("svix-distill: error: {name} is not valid: 1 fault(s)\n")
    );
}

/// A root given as a whole path picks one of two routes whose last segments are alike, and
/// takes the prefix a `routes` table prints.
#[test]
fn a_root_path_tells_apart_routes_with_the_same_last_segment() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("auth.rs");
    std::fs::write(
        &source,
        r#"use axum::routing::post;

async fn portal_access(Path(app_id): Path<String>) -> Result<Json<AccessOut>> {
    Ok(Json(AccessOut::new(app_id)))
}

async fn dashboard_access(Path(app_id): Path<String>) -> Result<Json<AccessOut>> {
    Ok(Json(AccessOut::new(app_id)))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .route("/auth/dashboard-access/{app_id}", post(dashboard_access))
        .api_route("/auth/portal-access/{app_id}", post(portal_access))
}
"#,
    )
    .unwrap();
    let shown = bin()
        .args(["profiles", "show", "message-creation"])
        .output()
        .unwrap();
    let toml = String::from_utf8(shown.stdout).unwrap().replace(
        "last_segment = \"msg\"",
        "path = \"/api/v1/auth/portal-access/:id/\"",
    );
    let profile = dir.path().join("portal.toml");
    std::fs::write(&profile, toml).unwrap();
    let listed = bin()
        .arg(&source)
        .arg("--list")
        .arg("-p")
        .arg(&profile)
        .output()
        .unwrap();
    let stdout = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(stdout.contains("portal_access"), "{stdout}");
    assert!(!stdout.contains("dashboard_access"), "{stdout}");
}

/// validate and stats need no --profile for a dataset of another operation: a built-in one's
/// system prompt names it, and so does one in the form of a profile derived from a route.
#[test]
fn validate_and_stats_tell_the_operation_by_the_system_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let shown = bin()
        .args(["profiles", "show", "message-creation"])
        .output()
        .unwrap();
    let toml = String::from_utf8(shown.stdout).unwrap();
    let start = toml.find("system_prompt = ").unwrap();
    let end = start + toml[start..].find('\n').unwrap();
    let derived = format!(
        "{}system_prompt = \"You are the Svix Maintainer AI, an expert in the internal \
         svix-server Rust architecture, specializing in message update endpoint operations \
         with Axum and aide.\"{}",
        &toml[..start],
        &toml[end..]
    );
    let profile = dir.path().join("derived.toml");
    std::fs::write(&profile, derived).unwrap();
    let cases = [
        (
            "application.rs",
            "application-creation",
            "made for application-creation (its system prompt)",
        ),
        (
            "message.rs",
            profile.to_str().unwrap(),
            "made for message update (its system prompt, a route's)",
        ),
    ];
    for (fixture, profile, said) in cases {
        let source = repo().join("fixtures").join(fixture);
        let dataset = dir.path().join(format!("{fixture}.jsonl"));
        let made = bin()
            .arg(&source)
            .args(["-p", profile, "-o"])
            .arg(&dataset)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let validated = bin()
            .arg("validate")
            .arg(&dataset)
            .arg("--source")
            .arg(&source)
            .output()
            .unwrap();
        let stderr = String::from_utf8(validated.stderr).unwrap();
        assert_eq!(validated.status.code(), Some(0), "{fixture}: {stderr}");
        assert!(stderr.contains(said), "{stderr}");
        let stats = bin().arg("stats").arg(&dataset).output().unwrap();
        assert_eq!(
            stats.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&stats.stderr)
        );
    }
}

/// A folder given to validate is the datasets in it, each reported on its own; model caches and
/// other files are no datasets.
#[test]
fn validate_takes_a_folder_of_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let good = generated(dir.path());
    std::fs::write(dir.path().join("notes.txt"), "not a dataset").unwrap();
    std::fs::write(dir.path().join("dataset.llm-cache.jsonl"), "{}\n").unwrap();
    std::fs::write(dir.path().join("broken.jsonl"), "not json\n").unwrap();
    let run = bin().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.contains(&format!("{}: ", good.display())),
        "{stdout}"
    );
    assert!(stdout.contains("broken.jsonl:1: "), "{stdout}");
    assert!(!stdout.contains("llm-cache"), "{stdout}");
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "svix-distill: error: {} is not valid: 1 fault(s), no valid line\n",
            dir.path().join("broken.jsonl").display()
        )
    );
    let empty = tempfile::tempdir().unwrap();
    let run = bin().arg("validate").arg(empty.path()).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
}

/// `-q` is global: before the subcommand it means what it means after it. (clap refused
/// `svix-distill -q routes CRATE` as a subcommand after a top-level option, a usage error.)
/// An option of generation's own before a subcommand still is one.
#[test]
fn quiet_stands_before_or_after_a_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated(dir.path());
    let data = data.to_str().unwrap();
    let cases: [&[&str]; 3] = [
        &["routes", "fixtures/routes"],
        &["validate", data, "--source", "fixtures/message.rs"],
        &["profiles"],
    ];
    for args in cases {
        let run = |args: Vec<&str>| {
            let out = bin().current_dir(repo()).args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (out.stdout, String::from_utf8(out.stderr).unwrap())
        };
        let (after, after_stderr) = run([args, &["-q"]].concat());
        let (before, before_stderr) = run([&["-q"], args].concat());
        let (long, long_stderr) = run([&["--quiet"], args].concat());
        assert!(!after.is_empty(), "{args:?}");
        assert_eq!(before, after, "{args:?}");
        assert_eq!(long, after, "{args:?}");
        for stderr in [after_stderr, before_stderr, long_stderr] {
            assert_eq!(
                stderr, "",
                "{args:?}: nothing but errors on stderr under -q"
            );
        }
    }
    let conflict = bin()
        .current_dir(repo())
        .args(["--profile", "message-creation", "routes", "fixtures/routes"])
        .output()
        .unwrap();
    assert_eq!(conflict.status.code(), Some(2));
}
