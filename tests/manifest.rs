//! The manifest and the validation split through the binary: every code block rebuilt from the
//! manifest alone (reading the files from disk, not through the crate), the hashes checked with
//! sha2 directly, `--check` on the manifest, and whole units on each side of the split.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::git::TestRepo;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    bin().current_dir(cwd).args(args).output().unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files of a folder as repo-relative paths (with `/`) and contents, in path order.
fn files_under(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((relative.replace('\\', "/"), text));
            }
        }
    }
    files.sort();
    files
}

/// A git work tree in `dir` holding the fixture crate, committed twice (the second commit
/// changes only the README, so the sources' commit is the second, not the last one to touch
/// them). Returns the work tree and the second commit's id.
fn committed_crate(dir: &Path) -> (PathBuf, String) {
    let root = dir.join("checkout");
    std::fs::create_dir(&root).unwrap();
    let mut repo = TestRepo::init(&root);
    let files = files_under(&repo_path("fixtures/crate"));
    let changes: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), Some(text.as_str())))
        .collect();
    repo.commit("The fixture crate", &changes);
    let head = repo.commit("Notes", &[("README.md", Some("notes\n"))]);
    (root, head)
}

fn repo_path(relative: &str) -> PathBuf {
    repo().join(relative)
}

/// The code of each ChatML line of a data file.
fn codes(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            let assistant = value["messages"][2]["content"].as_str().unwrap();
            let (_, code) = assistant.split_once("\n</think>\n\n").unwrap();
            code.to_owned()
        })
        .collect()
}

/// Rebuilds every example's code from the manifest alone, the files read from disk, and
/// compares it with the line the manifest points at. Returns how many were rebuilt.
fn rebuild_from_manifest(cwd: &Path, manifest_path: &Path) -> usize {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(manifest_path).unwrap()).unwrap();
    let input = cwd.join(manifest["input"]["path"].as_str().unwrap());
    let crate_mode = manifest["input"]["mode"] == "crate";
    let file_of = |path: &str| {
        if crate_mode {
            input.join(path)
        } else {
            cwd.join(path)
        }
    };
    for source in manifest["sources"].as_array().unwrap() {
        let bytes = std::fs::read(file_of(source["path"].as_str().unwrap())).unwrap();
        assert_eq!(source["sha256"].as_str().unwrap(), sha256(&bytes));
    }
    let data = |key: &str| -> Vec<String> {
        match manifest[key]["path"].as_str() {
            Some(path) => {
                let path = cwd.join(path);
                let bytes = std::fs::read(&path).unwrap();
                assert_eq!(manifest[key]["sha256"].as_str().unwrap(), sha256(&bytes));
                let codes = codes(&path);
                assert_eq!(manifest[key]["examples"], codes.len());
                codes
            }
            None => Vec::new(),
        }
    };
    let (train, valid) = (data("output"), data("valid"));
    let examples = manifest["examples"].as_array().unwrap();
    assert_eq!(examples.len(), train.len() + valid.len());
    for example in examples {
        let line = example["line"].as_u64().unwrap() as usize;
        let expected = match example["split"].as_str().unwrap() {
            "train" => &train[line - 1],
            "valid" => &valid[line - 1],
            other => panic!("split {other}"),
        };
        let mut rebuilt = Vec::new();
        let mut blank = "\n\n";
        for slice in example["slices"].as_array().unwrap() {
            let bytes = std::fs::read(file_of(slice["path"].as_str().unwrap())).unwrap();
            let text = String::from_utf8(bytes).unwrap();
            let at = |key: &str| slice[key].as_u64().unwrap() as usize;
            let piece = &text[at("start_byte")..at("end_byte")];
            let first_line = text[..at("start_byte")].matches('\n').count() + 1;
            assert_eq!(at("start_line"), first_line);
            assert_eq!(
                at("end_line"),
                first_line + piece.trim_end_matches('\n').matches('\n').count()
            );
            let first_break = text.find('\n').unwrap_or(0);
            if first_break > 0 && text.as_bytes()[first_break - 1] == b'\r' {
                blank = "\r\n\r\n";
            }
            rebuilt.push(piece.to_owned());
        }
        assert_eq!(&rebuilt.join(blank), expected, "{example}");
        assert!(example["commit"].is_null());
    }
    examples.len()
}

#[test]
fn every_code_block_rebuilds_from_the_manifest_alone() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of the message fixture with a byte-order mark and CRLF line endings.
    let plain = std::fs::read_to_string(repo().join("fixtures/message.rs")).unwrap();
    let odd = dir.path().join("bom_crlf.rs");
    std::fs::write(&odd, format!("\u{feff}{}", plain.replace('\n', "\r\n"))).unwrap();
    std::fs::write(dir.path().join("crlf.rs"), plain.replace('\n', "\r\n")).unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let cases: Vec<(PathBuf, Vec<String>)> = vec![
        (
            repo(),
            vec![
                "fixtures/message.rs".into(),
                "--variants".into(),
                "4".into(),
            ],
        ),
        (
            repo(),
            vec!["fixtures/message.rs".into(), "--valid".into(), "0.3".into()],
        ),
        (dir.path().to_path_buf(), vec!["bom_crlf.rs".into()]),
        (dir.path().to_path_buf(), vec!["crlf.rs".into()]),
        (repo().join("fixtures"), vec!["crate".into()]),
        (
            repo(),
            vec![
                "fixtures/crate".into(),
                "-p".into(),
                "endpoint-creation".into(),
            ],
        ),
    ];
    for (i, (cwd, args)) in cases.iter().enumerate() {
        let data = out(&format!("data{i}.jsonl"));
        let manifest = out(&format!("manifest{i}.json"));
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["-o", &data, "--manifest", &manifest]);
        let output = run(cwd, &all);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let rebuilt = rebuild_from_manifest(cwd, Path::new(&manifest));
        assert!(rebuilt > 0, "{args:?}");
    }
    // The BOM copy's offsets are those of the same file without one, 3 bytes further on.
    let starts = |name: &str| -> Vec<u64> {
        let text = std::fs::read_to_string(out(name)).unwrap();
        let manifest: Value = serde_json::from_str(&text).unwrap();
        manifest["examples"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["slices"].as_array().unwrap().clone())
            .map(|s| s["start_byte"].as_u64().unwrap())
            .collect()
    };
    let without: Vec<u64> = starts("manifest3.json").iter().map(|b| b + 3).collect();
    assert_eq!(starts("manifest2.json"), without);
}

#[test]
fn the_manifest_names_the_run_and_its_sources() {
    let dir = tempfile::tempdir().unwrap();
    let (checkout, head) = committed_crate(dir.path());
    let data = dir.path().join("d.jsonl");
    let manifest = dir.path().join("d.manifest.json");
    let output = bin()
        .current_dir(dir.path())
        .args(["checkout", "--format", "openai", "--depth", "2"])
        .args(["--exclude", "**/nothing/**", "--root", "not_found"])
        .arg("-o")
        .arg(&data)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.ends_with(&format!(", the manifest to {}\n", manifest.display())),
        "{stderr}"
    );
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(value["tool"], "svix-distill");
    assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["profile"], "message-creation");
    assert_eq!(value["format"], "openai");
    assert_eq!(
        value["options"].to_string(),
        r#"{"imports":"all","variants":null,"roots":["not_found"],"valid":null,"focus":"**/endpoints/message.rs","include":[],"exclude":["**/nothing/**"],"depth":2}"#
    );
    assert!(value["valid"].is_null());
    let sources: Vec<&str> = value["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        sources.contains(&"src/v1/endpoints/message.rs"),
        "{sources:?}"
    );
    // Every source is read at the commit checked out in the work tree that holds it.
    for source in value["sources"].as_array().unwrap() {
        assert_eq!(source["commit"], head.as_str(), "{source}");
    }
    assert!(checkout.join(".git").is_dir());
    let first = &value["examples"][0];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "line", "split", "unit", "kind", "voice", "variant", "commit", "rules", "slices"
        ]
    );
    let slice_keys: Vec<&String> = first["slices"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        slice_keys,
        ["path", "start_byte", "end_byte", "start_line", "end_line"]
    );
}

/// A single INPUT carries the commit of the work tree that holds it, and none outside one.
#[test]
fn a_source_carries_the_commit_of_the_work_tree_holding_it() {
    let dir = tempfile::tempdir().unwrap();
    let (checkout, head) = committed_crate(dir.path());
    let inside = checkout.join("src/v1/endpoints/message.rs");
    let outside = dir.path().join("message.rs");
    std::fs::copy(&inside, &outside).unwrap();
    for (input, commit) in [(inside, Value::from(head)), (outside, Value::Null)] {
        let manifest = dir.path().join("m.json");
        let output = bin()
            .arg(&input)
            .arg("-o")
            .arg(dir.path().join("d.jsonl"))
            .arg("--manifest")
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let value: Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        let sources = value["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 1, "{sources:?}");
        assert_eq!(sources[0]["commit"], commit, "{}", input.display());
    }
}

#[test]
fn check_compares_the_manifest_and_names_the_version_that_made_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    let manifest = dir.path().join("m.json");
    let generate = |check: bool| {
        let mut command = bin();
        command
            .arg(repo().join("fixtures/message.rs"))
            .arg("-o")
            .arg(&data)
            .arg("--manifest")
            .arg(&manifest);
        if check {
            command.arg("--check");
        }
        let output = command.output().unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    assert_eq!(generate(false).0, Some(0));
    let written = std::fs::read_to_string(&manifest).unwrap();
    let (code, stderr) = generate(true);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "svix-distill: {} is current\nsvix-distill: {} is current\n",
            data.display(),
            manifest.display()
        )
    );

    std::fs::remove_file(&manifest).unwrap();
    let (code, stderr) = generate(true);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "svix-distill: error: {} does not exist; run without --check to write it\n",
            manifest.display()
        )
    );
    assert!(!manifest.exists());

    let old = written.replacen(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"0.0.1\"",
        1,
    );
    assert_ne!(old, written);
    std::fs::write(&manifest, &old).unwrap();
    let (code, stderr) = generate(true);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with(&format!(
            "svix-distill: error: {} is stale: first difference at line 3\n",
            manifest.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "\n  made by svix-distill 0.0.1, this is {}\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), old);
}

#[test]
fn valid_split_keeps_units_whole_and_code_apart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.jsonl");
    let valid = dir.path().join("data.valid.jsonl");
    let manifest = dir.path().join("data.manifest.json");
    let output = bin()
        .arg(repo().join("fixtures/message.rs"))
        .args(["--variants", "4", "--valid", "0.2", "-o"])
        .arg(&data)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    let (train_codes, valid_codes) = (codes(&data), codes(&valid));
    assert!(!train_codes.is_empty() && !valid_codes.is_empty());
    let train_set: BTreeSet<&String> = train_codes.iter().collect();
    let valid_set: BTreeSet<&String> = valid_codes.iter().collect();
    assert!(train_set.is_disjoint(&valid_set));

    // The two files together are the unsplit run's lines, each side in its order.
    let whole = bin()
        .arg(repo().join("fixtures/message.rs"))
        .args(["--variants", "4"])
        .output()
        .unwrap()
        .stdout;
    let whole = String::from_utf8(whole).unwrap();
    let (train_text, valid_text) = (
        std::fs::read_to_string(&data).unwrap(),
        std::fs::read_to_string(&valid).unwrap(),
    );
    let mut train_lines = train_text.lines().peekable();
    let mut valid_lines = valid_text.lines().peekable();
    for line in whole.lines() {
        if train_lines.peek() == Some(&line) {
            train_lines.next();
        } else {
            assert_eq!(valid_lines.next(), Some(line));
        }
    }
    assert!(train_lines.next().is_none() && valid_lines.next().is_none());

    // Every unit on one side, and the summary and the manifest give the counts.
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let units = |split: &str| -> BTreeSet<String> {
        value["examples"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["split"] == split)
            .map(|e| e["unit"].as_str().unwrap().to_owned())
            .collect()
    };
    let (train_units, valid_units) = (units("train"), units("valid"));
    assert!(train_units.is_disjoint(&valid_units));
    // No item's code stands on both sides either: a function that is a unit of its own and
    // part of its handler's chain goes with the chain. The file's `use` run, which every
    // example carries, is the one slice both sides share.
    let slices = |split: &str| -> BTreeSet<(u64, u64)> {
        value["examples"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["split"] == split)
            .flat_map(|e| e["slices"].as_array().unwrap().iter().skip(1))
            .map(|s| {
                (
                    s["start_byte"].as_u64().unwrap(),
                    s["end_byte"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert!(slices("train").is_disjoint(&slices("valid")));
    assert_eq!(value["output"]["examples"], train_codes.len());
    assert_eq!(value["valid"]["examples"], valid_codes.len());
    assert_eq!(value["options"]["valid"], 0.2);
    let counted = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    // Then the shares the split came to: fixtures/message.rs makes 8 groups of 11 units.
    let total = train_codes.len() + valid_codes.len();
    assert_eq!(
        stderr,
        format!(
            "svix-distill: wrote {} ({}) to {} and {} ({}) to {}, the manifest to {}\n\
             svix-distill: valid: {} of {total} examples ({:.2}), 2 of 8 groups\n",
            counted(train_codes.len(), "example"),
            counted(train_units.len(), "unit"),
            data.display(),
            counted(valid_codes.len(), "example"),
            counted(valid_units.len(), "unit"),
            valid.display(),
            manifest.display(),
            valid_codes.len(),
            valid_codes.len() as f64 / total as f64,
        )
    );
    let (code, stderr) = {
        let output = bin()
            .arg(repo().join("fixtures/message.rs"))
            .args(["--variants", "4", "--valid", "0.2", "-o"])
            .arg(&data)
            .arg("--check")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("data.valid.jsonl is current"), "{stderr}");
}

/// Two groups can only split half and half, whatever is asked: the summary says what came of
/// it, and that so few groups make any fraction coarse.
#[test]
fn few_groups_give_the_share_obtained_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    let output = bin()
        .arg(repo().join("tests/cmd/checkout/server/svix-server/src/v1/endpoints/message.rs"))
        .args(["--valid", "0.3", "-o"])
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "svix-distill: valid: 2 of 4 examples (0.50), 1 of 2 groups",
            "svix-distill: warning: 2 groups of examples only: the validation side takes whole \
             groups, so --valid 0.3 can only be met coarsely",
        ]
    );
}

#[test]
fn valid_needs_an_output_and_a_fraction_between_0_and_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.jsonl").display().to_string();
    for (args, says) in [
        (vec!["--valid", "0.2"], "give -o OUT or --valid-output PATH"),
        (vec!["--valid", "0", "-o", &out], "between 0 and 1"),
        (vec!["--valid", "1", "-o", &out], "between 0 and 1"),
        (vec!["--valid", "half", "-o", &out], "between 0 and 1"),
    ] {
        let output = run(&repo(), &[&["fixtures/message.rs"], &args[..]].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_manifest_is_never_the_input_or_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.jsonl").display().to_string();
    for (manifest, says) in [
        ("fixtures/message.rs", "it is the input file"),
        (out.as_str(), "twice"),
    ] {
        let output = run(
            &repo(),
            &["fixtures/message.rs", "-o", &out, "--manifest", manifest],
        );
        assert_eq!(output.status.code(), Some(2), "{manifest}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(says), "{stderr}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A new commit that leaves the sources' bytes alone changes no example: `--check` compares
/// the manifest without the sources' commits, so a CI job on every commit stays green until the
/// code itself changes.
#[test]
fn check_ignores_a_new_commit_of_unchanged_sources() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    let manifest = dir.path().join("m.json");
    let run = |check: bool| {
        let mut command = bin();
        command
            .arg(repo().join("fixtures/message.rs"))
            .arg("-o")
            .arg(&data)
            .arg("--manifest")
            .arg(&manifest);
        if check {
            command.arg("--check");
        }
        command.output().unwrap()
    };
    assert!(run(false).status.success());
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    for source in value["sources"].as_array_mut().unwrap() {
        source["commit"] = Value::String("0".repeat(40));
    }
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&value).unwrap() + "\n",
    )
    .unwrap();
    let checked = run(true);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // A changed sha256 is a changed source: stale.
    for source in value["sources"].as_array_mut().unwrap() {
        source["sha256"] = Value::String("0".repeat(64));
    }
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&value).unwrap() + "\n",
    )
    .unwrap();
    assert_eq!(run(true).status.code(), Some(1));
}
