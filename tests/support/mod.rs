//! Helpers shared by the tests and the benchmark.

// Every test crate that declares `mod support;` compiles all of it but uses only some helpers.
#![allow(dead_code)]

pub mod git;
pub mod grounding;

use std::path::Path;

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
