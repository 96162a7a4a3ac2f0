//! Helpers shared by the tests and the benchmark.

// Every test crate that declares `mod support;` compiles all of it but uses only some helpers.
#![allow(dead_code)]

pub mod cli;
pub mod git;
pub mod grounding;
pub mod model;
pub mod server;

use std::path::Path;

/// `text` with `from` (which must stand exactly once) replaced by `to`: a fixture's next
/// version, in a history test.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must stand once");
    text.replacen(from, to, 1)
}

/// Copies a folder tree, files and subfolders.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every `.rs` file under `dir`, sorted, as (path relative to `root`, text): what the house
/// rules (`tests/imports.rs`, `tests/house.rs`) read of `src/`.
pub fn rust_files(dir: &Path, root: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    read_rust_files(dir, root, &mut files);
    files
}

fn read_rust_files(dir: &Path, root: &Path, files: &mut Vec<(std::path::PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_rust_files(&path, root, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            files.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}
