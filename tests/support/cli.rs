//! Running the built binary and reading what it wrote, as the history tests do.

use std::path::Path;
use std::process::{Command, Output};

/// The binary cargo built for these tests.
pub fn bin() -> Command {
    // Cargo sets it for integration tests only: the examples that share this folder
    // (`#[path]`) compile these helpers but run no binary.
    match option_env!("CARGO_BIN_EXE_svix-distill") {
        Some(path) => Command::new(path),
        None => panic!("CARGO_BIN_EXE_svix-distill is set for integration tests only"),
    }
}

/// Runs the binary with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// `output`, once it is known to have succeeded; else panics with its stderr.
pub fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The stdout of a run that succeeded.
pub fn stdout(output: Output) -> String {
    String::from_utf8(ok(output).stdout).unwrap()
}

/// A JSON file the run wrote (a manifest).
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The commit of each example a manifest lists, in its order.
pub fn example_commits(manifest: &serde_json::Value) -> Vec<String> {
    manifest["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["commit"].as_str().unwrap().to_owned())
        .collect()
}

/// Each example of a `reasoning` dataset as a reviewer reads it: request, reasoning, code.
pub fn readable(text: &str) -> String {
    let mut readable = String::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let messages = value["messages"].as_array().unwrap();
        readable.push_str(&format!(
            "=== request\n{}\n--- reasoning\n{}\n--- code\n{}\n\n",
            messages[1]["content"].as_str().unwrap(),
            messages[2]["reasoning_content"].as_str().unwrap(),
            messages[2]["content"].as_str().unwrap(),
        ));
    }
    readable
}
