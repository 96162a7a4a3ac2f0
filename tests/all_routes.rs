//! `--all-routes -o DIR` on the fixture crate in fixtures/operations (its README says what it
//! holds): one dataset per operation named by its operation id, an item two operations reach
//! in the first one's dataset only and listed as shared in the other's, a GET and a HEAD on one
//! handler as one operation, the validation split made across every operation (no group on
//! both sides), the dataset card's YAML configs, the manifest, the same bytes on a rerun,
//! `--check`, `validate DIR`, and the refusals (a file as INPUT, DIR over a crate file, the
//! model writer's files onto a crate file or another output).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
        .current_dir(repo())
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "svix-distill-all-routes-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap()
}

fn operation<'m>(manifest: &'m serde_json::Value, name: &str) -> &'m serde_json::Value {
    manifest["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == name)
        .unwrap_or_else(|| panic!("no operation {name} in the manifest"))
}

/// The units of an operation's examples, as its manifest lists them.
fn units(operation: &serde_json::Value) -> BTreeSet<String> {
    operation["dataset"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn one_dataset_per_operation_and_a_shared_item_in_the_first_only() {
    let dir = scratch("datasets");
    let out = run(&[
        "fixtures/operations",
        "--all-routes",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "README.md",
        "manifest.json",
        "v1.app.create.jsonl",
        "v1.app.get.jsonl",
        "v1.app.update.jsonl",
        "v1.ping.get.jsonl",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, expected);
    let manifest = manifest(&dir);
    // find_app: reached by get (first in route order) and update; its unit is get's alone.
    let get = operation(&manifest, "v1.app.get");
    let update = operation(&manifest, "v1.app.update");
    assert!(units(get).contains("item:find_app"), "{:?}", units(get));
    assert!(units(update).iter().all(|u| !u.contains("find_app")));
    let shared = update["shared"].as_array().unwrap();
    assert!(
        shared
            .iter()
            .any(|s| s["item"] == "find_app" && s["in"] == "v1.app.get"),
        "{shared:?}"
    );
    // No unit is in two datasets.
    let mut seen = BTreeSet::new();
    for op in manifest["operations"].as_array().unwrap() {
        for unit in units(op) {
            assert!(seen.insert(unit.clone()), "{unit} is in two datasets");
        }
    }
    // GET and HEAD on one handler are one operation.
    let ping = operation(&manifest, "v1.ping.get");
    assert_eq!(
        ping["routes"],
        serde_json::json!(["GET /api/v1/ping", "HEAD /api/v1/ping"])
    );
    // Each dataset's lines carry its own operation's system prompt.
    let line = read(&dir.join("v1.app.update.jsonl"));
    let first: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("app update endpoint"), "{system}");
    // The summary table names every operation.
    let err = stderr(&out);
    for name in [
        "v1.app.create",
        "v1.app.get",
        "v1.app.update",
        "v1.ping.get",
    ] {
        assert!(err.contains(name), "{err}");
    }
    // Same bytes again; --check finds the folder current; validate takes it whole.
    let again = scratch("again");
    let out = run(&[
        "fixtures/operations",
        "--all-routes",
        "-o",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in &expected {
        if name != "manifest.json" {
            assert_eq!(read(&dir.join(name)), read(&again.join(name)), "{name}");
        }
    }
    let check = run(&[
        "fixtures/operations",
        "--all-routes",
        "--check",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(check.status.success(), "{}", stderr(&check));
    std::fs::write(dir.join("v1.app.get.jsonl"), "").unwrap();
    let stale = run(&[
        "fixtures/operations",
        "--all-routes",
        "--check",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
    let validate = run(&["validate", again.to_str().unwrap()]);
    assert!(validate.status.success(), "{}", stderr(&validate));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}

#[test]
fn the_validation_split_keeps_each_group_on_one_side_across_operations() {
    let dir = scratch("valid");
    let out = run(&[
        "fixtures/operations",
        "--all-routes",
        "--valid",
        "0.3",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = manifest(&dir);
    let mut sides: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    let mut valid = 0;
    for op in manifest["operations"].as_array().unwrap() {
        for example in op["dataset"]["examples"].as_array().unwrap() {
            let side = example["split"].as_str().unwrap().to_owned();
            valid += usize::from(side == "valid");
            sides
                .entry(example["unit"].as_str().unwrap().to_owned())
                .or_default()
                .insert(side);
        }
    }
    assert!(valid > 0);
    for (unit, on) in &sides {
        assert_eq!(on.len(), 1, "{unit} is on both sides");
    }
    // The card lists, for each operation, the files that exist, as Hugging Face configs.
    let card = read(&dir.join("README.md"));
    let front = card
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(front, _)| front)
        .unwrap();
    let yaml: serde_json::Value = yaml_serde::from_str(front).unwrap();
    assert_eq!(yaml["license"], "other");
    let configs = yaml["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 4);
    for config in configs {
        let files = config["data_files"].as_array().unwrap();
        assert!(!files.is_empty(), "{config:?}");
        for file in files {
            let path = dir.join(file["path"].as_str().unwrap());
            assert!(!read(&path).is_empty(), "{}", path.display());
            let split = file["split"].as_str().unwrap();
            assert!(split == "train" || split == "validation");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refused_before_anything_is_written() {
    // A file as INPUT.
    let dir = scratch("refused");
    let out = run(&[
        "fixtures/operations/src/lib.rs",
        "--all-routes",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("fixtures/operations/src/lib.rs"));
    assert!(!dir.exists());
    // A README.md in DIR that is no card of ours is never replaced.
    let other = scratch("readme");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("README.md"), "# my project\n").unwrap();
    let out = run(&[
        "fixtures/operations",
        "--all-routes",
        "-o",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("README.md"), "{}", stderr(&out));
    assert_eq!(read(&other.join("README.md")), "# my project\n");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(&other);
    // The model writer's files are outputs too: never onto a crate file, never onto another
    // output. On a copy of the crate, so that a regression cannot write onto the fixture.
    let copy = scratch("model-files");
    support::copy_dir(&repo().join("fixtures/operations"), &copy.join("crate"));
    let source = copy.join("crate/src/lib.rs");
    let before = read(&source);
    let out_dir = copy.join("out");
    let cache = copy.join("model.cache");
    let model = ["--writer", "llm", "--llm-model", "m", "--llm-cache"];
    let crate_dir = copy.join("crate");
    let common = [crate_dir.to_str().unwrap(), "--all-routes", "-o"];
    let out = run(&[
        &common[..],
        &[out_dir.to_str().unwrap()],
        &model[..],
        &[
            cache.to_str().unwrap(),
            "--llm-export",
            source.to_str().unwrap(),
        ],
    ]
    .concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the batch file"), "{}", stderr(&out));
    assert_eq!(read(&source), before);
    let manifest = out_dir.join("manifest.json");
    let out = run(&[
        &common[..],
        &[out_dir.to_str().unwrap()],
        &model[..],
        &[manifest.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("twice"), "{}", stderr(&out));
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&copy);
}

/// A folder is written whole or not at all: when one of its files cannot be written (here a
/// validation file's name is taken by a folder), the rerun fails naming it, and every file of
/// the folder is as the run before left it, with no temporary file behind. Each file used to
/// take its name as soon as it was flushed, so the manifest, the card and the first dataset
/// were replaced while the second could not be.
#[test]
fn a_file_that_cannot_be_written_leaves_the_whole_folder_as_it_was() {
    let dir = scratch("whole-or-nothing");
    let first = run(&[
        "fixtures/operations",
        "--all-routes",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    let files = |dir: &Path| -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    read(&p),
                )
            })
            .collect();
        found.sort();
        found
    };
    let before = files(&dir);
    assert!(before.len() >= 4, "{before:?}");
    let taken = dir.join("v1.app.get.valid.jsonl");
    std::fs::create_dir(&taken).unwrap();
    let args = [
        "fixtures/operations",
        "--all-routes",
        "--valid",
        "0.5",
        "-o",
    ];
    let out = run(&[&args[..], &[dir.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("v1.app.get.valid.jsonl"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files(&dir), before);
    let _ = std::fs::remove_dir_all(&dir);
}
