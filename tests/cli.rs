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
        stderr.starts_with("svix-distill: wrote 20 examples (15 units) to "),
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
