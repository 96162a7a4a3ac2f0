//! Directory mode on the fixture crate in fixtures/crate: what it walks, what it selects across
//! files and why, that every line is exact and grounded against its own file, and that a file
//! that does not parse stops nothing else.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::copy_dir;
use support::grounding::ungrounded;

use svix_distill::extract::source::SourceFile;
use svix_distill::extract::tree::{self, TreeOptions};
use svix_distill::pipeline::{Extracted, Options, extract_tree};
use svix_distill::profile::Profile;

fn crate_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/crate")
}

fn message() -> Profile {
    Profile::load("message-creation").unwrap()
}

fn defaults() -> TreeOptions {
    TreeOptions::for_focus(&message().file.inputs.focus)
}

/// The fixture crate's examples; none may be left out for failing its check.
fn generate_tree(profile: &Profile, options: &TreeOptions) -> Extracted {
    let generated = extract_tree(&crate_root(), options, profile, &Options::default()).unwrap();
    assert!(generated.dropped.is_empty(), "{:#?}", generated.dropped);
    generated
}

fn listing(options: &TreeOptions) -> String {
    listing_for(&message(), options)
}

fn listing_for(profile: &Profile, options: &TreeOptions) -> String {
    let generated = generate_tree(profile, options);
    generated
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} :: {}",
                r.file.as_deref().unwrap_or("?"),
                r.kind,
                r.name,
                r.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the fixture crate plants for the walk to leave out: the `--include` that opens it, the
/// file, and the handler that file would add to the selection if it were read.
const SKIPPED: [(&str, &str, &str); 6] = [
    ("tests", "tests/it.rs", "post_from_test"),
    ("target", "target/debug/generated.rs", "generated"),
    (
        "src/benches",
        "src/benches/endpoints/message.rs",
        "create_message_for_bench",
    ),
    (
        "**/examples",
        "src/examples/endpoints/message.rs",
        "create_message_example",
    ),
    (
        "src/.history",
        "src/.history/v1/endpoints/message.rs",
        "create_message_draft",
    ),
    (
        "**/.message_draft.rs",
        "src/v1/endpoints/.message_draft.rs",
        "send_draft",
    ),
];

fn walked(options: &TreeOptions) -> Vec<String> {
    tree::walk(&crate_root(), options)
        .unwrap()
        .iter()
        .map(|f| f.strip_prefix(crate_root()).unwrap().display().to_string())
        .collect()
}

#[test]
fn walk_skips_tests_target_benches_examples_and_hidden_entries_unless_included() {
    let files = walked(&defaults());
    assert!(files.contains(&"src/v1/endpoints/message.rs".to_owned()));
    for (_, file, _) in SKIPPED {
        assert!(
            crate_root().join(file).is_file(),
            "the fixture crate has no {file}"
        );
        assert!(!files.contains(&file.to_owned()), "{files:?}");
    }
    for (include, file, _) in SKIPPED {
        let with_it = TreeOptions {
            include: vec![include.to_owned()],
            exclude: vec!["**/queue/**".to_owned()],
            ..defaults()
        };
        let files = walked(&with_it);
        assert!(files.contains(&file.to_owned()), "{include}: {files:?}");
        assert!(!files.iter().any(|f| f.contains("queue")), "{files:?}");
        // Only what is named is opened.
        for (_, other, _) in SKIPPED.iter().filter(|(_, other, _)| *other != file) {
            assert!(!files.contains(&other.to_string()), "{include}: {files:?}");
        }
    }
}

/// What the walk leaves out under src/ would be selected if read: by default none of it is;
/// each `--include` brings its own in. (Outside src/ a file has no module path, so nothing of
/// tests/ or target/ is selected even when walked.)
#[test]
fn skipped_entries_change_the_selection_only_when_included() {
    let listing_default = listing(&defaults());
    for (include, file, handler) in SKIPPED {
        assert!(
            !listing_default.contains(handler),
            "{handler} in\n{listing_default}"
        );
        if !file.starts_with("src/") {
            continue;
        }
        let with_it = TreeOptions {
            include: vec![include.to_owned()],
            ..defaults()
        };
        let listing = listing(&with_it);
        assert!(
            listing.contains(&format!("{file} fn {handler} :: ")),
            "{include}:\n{listing}"
        );
    }
}

#[test]
fn selection_follows_calls_across_files_with_reasons() {
    insta::assert_snapshot!(listing(&defaults()), @r"
    src/v1/endpoints/message.rs struct MessageIn :: type of a parameter of create_message
    src/v1/endpoints/message.rs fn create_message :: root: POST /app/{app_id}/msg
    src/v1/endpoints/message.rs fn create_message_inner :: called by create_message
    src/v1/endpoints/message.rs fn not_found :: called by create_message_inner
    src/core/message_app.rs method CreateMessageApp::layered_fetch :: called by create_message_inner (crate::v1::endpoints::message)
    src/queue/mod.rs method MessageTaskBatch::new_task :: called by create_message_inner (crate::v1::endpoints::message)
    src/v1/endpoints/endpoint/mod.rs fn send_example :: calls create_message_inner
    ");
}

#[test]
fn depth_zero_keeps_to_the_focus_files() {
    let options = TreeOptions {
        depth: 0,
        ..defaults()
    };
    let listing = listing(&options);
    assert!(
        listing
            .lines()
            .all(|l| l.starts_with("src/v1/endpoints/message.rs ")),
        "{listing}"
    );
}

/// Every code block rebuilt from its slices alone, each file read again from disk, and its
/// text grounded in it (`support::grounding`, not `check`, which extract_tree already ran).
#[test]
fn every_line_is_exact_and_grounded_against_its_own_file() {
    let profile = message();
    let generated = generate_tree(&profile, &defaults());
    assert!(
        generated.examples.len() >= 7,
        "{}",
        generated.examples.len()
    );
    for example in &generated.examples {
        let path = &example.slices[0].path;
        assert!(
            example.slices.iter().all(|s| s.path == *path),
            "{}: slices of several files",
            example.unit
        );
        let file = std::fs::read_to_string(crate_root().join(path)).unwrap();
        let blank = if file.contains("\r\n") {
            "\r\n\r\n"
        } else {
            "\n\n"
        };
        let rebuilt: Vec<&str> = example
            .slices
            .iter()
            .map(|s| &file[s.bytes.clone()])
            .collect();
        assert_eq!(rebuilt.join(blank), *example.code, "{}", example.unit);
        // Each slice starts where an item starts and ends where one ends.
        let items = SourceFile::read(&crate_root().join(path))
            .unwrap()
            .item_ranges()
            .unwrap();
        for slice in &example.slices {
            assert!(
                items.iter().any(|i| i.start == slice.bytes.start)
                    && items.iter().any(|i| i.end == slice.bytes.end),
                "{}: {:?} is not on item boundaries",
                example.unit,
                slice.bytes
            );
        }
        let faults = ungrounded(&example.request, &example.reasoning, &example.code, &file);
        assert!(faults.is_empty(), "{}: {faults:?}", example.unit);
    }
    // A cross-file unit carries its own file's use declarations, not the focus file's.
    let layered = generated
        .examples
        .iter()
        .find(|e| e.code.contains("pub async fn layered_fetch"))
        .unwrap();
    assert!(
        layered
            .code
            .starts_with("use std::time::Duration;\n\nuse super::Cache;\n\n")
    );
    assert!(!layered.code.contains("use axum"));
    // A method taken out of its impl starts at the start of its line, so its doc comment and
    // signature keep the indentation its body has (it used to start at column 0).
    assert!(
        layered.code.contains(
            "\n\n    /// Reads a [`CreateMessageApp`] from the cache, or builds it and caches it for `ttl`.\n    pub async fn layered_fetch("
        ),
        "{}",
        layered.code
    );
}

#[test]
fn other_handlers_and_crud_are_not_taken() {
    let listing = listing(&defaults());
    for excluded in [
        "list_messages",
        "create_endpoint",
        "list_endpoints",
        "purge",
        "matching_endpoints",
        "post_from_test",
        "generated",
    ] {
        assert!(!listing.contains(excluded), "{excluded} in\n{listing}");
    }
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("crate");
    copy_dir(&crate_root(), &root);
    std::fs::write(root.join("src/broken.rs"), "fn broken( {\n").unwrap();
    let out = dir.path().join("out.jsonl");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_svix-distill"))
            .arg(&root)
            .arg("-o")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    let stderr = String::from_utf8(first.stderr).unwrap();
    assert_eq!(first.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("src/broken.rs:1:"), "{stderr}");
    assert!(stderr.contains("1 file(s) under"), "{stderr}");
    // The others were still read: the dataset was written.
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("send_example"));
    let second = run(&["--keep-going"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
}

#[test]
fn endpoint_creation_follows_the_router_into_the_module_that_defines_the_handler() {
    let profile = Profile::load("endpoint-creation").unwrap();
    let options = TreeOptions::for_focus(&profile.file.inputs.focus);
    insta::assert_snapshot!(listing_for(&profile, &options), @r"
    src/v1/endpoints/endpoint/crud.rs fn check_endpoint_url :: called by create_endpoint
    src/v1/endpoints/endpoint/crud.rs fn insert_endpoint :: called by create_endpoint
    src/v1/endpoints/endpoint/crud.rs fn create_endpoint :: root: POST /app/{app_id}/endpoint
    ");
    let generated = generate_tree(&profile, &options);
    assert!(
        generated
            .examples
            .iter()
            .all(|e| !e.code.contains("fn list_endpoints") && !e.code.contains("fn send_example"))
    );
    // The route is in endpoint/mod.rs, not in the handler's file; the request quotes it all
    // the same (a root routed from another file's router carries the router as context).
    assert!(
        generated
            .examples
            .iter()
            .any(|e| e.request.contains("`/app/{app_id}/endpoint`")),
        "no request names the route"
    );
}

/// A svix-webhooks-like checkout in a scratch folder: the fixture crate at
/// server/svix-server (with its Cargo.toml), a workspace Cargo.toml in server/, a root
/// Cargo.toml with no src/, and other folders with Rust in them.
fn checkout(dir: &Path) -> PathBuf {
    let root = dir.join("svix-webhooks");
    let server = root.join("server/svix-server");
    copy_dir(&crate_root(), &server);
    std::fs::write(
        server.join("Cargo.toml"),
        "[package]\nname = \"svix-server\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("server/Cargo.toml"),
        "[workspace]\nmembers = [\"svix-server\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\n").unwrap();
    let bridge = root.join("bridge/svix-bridge");
    std::fs::create_dir_all(bridge.join("src")).unwrap();
    std::fs::write(
        bridge.join("Cargo.toml"),
        "[package]\nname = \"svix-bridge\"\n",
    )
    .unwrap();
    std::fs::write(bridge.join("src/lib.rs"), "pub fn bridge() {}\n").unwrap();
    std::fs::create_dir_all(root.join("rust/src")).unwrap();
    std::fs::write(root.join("rust/src/lib.rs"), "pub mod api;\n").unwrap();
    root
}

fn run_in(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

/// `svix-distill .` at a checkout's root counted module paths from the root
/// (`server::svix-server::src::v1::…`), so no `crate::` path resolved and it gave fewer examples
/// than a run on server/svix-server. It now reads the crate that holds the focus file.
#[test]
fn a_run_at_a_repository_root_gives_the_bytes_of_a_run_on_the_crate() {
    let dir = tempfile::tempdir().unwrap();
    let root = checkout(dir.path());
    for profile in ["message-creation", "endpoint-creation"] {
        let on_crate = run_in(&root, &["server/svix-server", "-p", profile]);
        assert!(on_crate.status.success(), "{profile}");
        assert_eq!(
            String::from_utf8_lossy(&on_crate.stderr).lines().count(),
            1,
            "{profile}: a run on the crate itself names no crate"
        );
        let focus = Profile::load(profile).unwrap().file.inputs.focus;
        for (cwd, input) in [
            (root.clone(), "."),
            (dir.path().to_path_buf(), "svix-webhooks"),
        ] {
            let at_root = run_in(&cwd, &[input, "-p", profile]);
            let stderr = String::from_utf8(at_root.stderr).unwrap();
            assert!(at_root.status.success(), "{profile} {input}: {stderr}");
            assert_eq!(at_root.stdout, on_crate.stdout, "{profile} {input}");
            let crate_path = Path::new(input).join("server/svix-server");
            let crate_path = crate_path.strip_prefix(".").unwrap_or(&crate_path);
            assert_eq!(
                stderr.lines().next().unwrap(),
                format!(
                    "svix-distill: reading the crate {}, whose files match --focus {focus}",
                    crate_path.display()
                ),
                "{profile} {input}"
            );
            let quiet = run_in(&cwd, &[input, "-p", profile, "-q"]);
            assert!(quiet.stderr.is_empty(), "{profile} {input}");
            assert_eq!(quiet.stdout, on_crate.stdout, "{profile} {input}");
        }
    }
}

#[test]
fn of_several_crates_holding_the_focus_file_the_profiles_own_is_read_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = checkout(dir.path());
    // A second crate with a message endpoint, shallower than server/svix-server.
    let other = root.join("mock");
    copy_dir(&crate_root(), &other);
    std::fs::write(other.join("Cargo.toml"), "[package]\nname = \"mock\"\n").unwrap();
    let on_crate = run_in(&root, &["server/svix-server"]);
    let at_root = run_in(&root, &["."]);
    assert!(at_root.status.success());
    assert_eq!(at_root.stdout, on_crate.stdout);
    assert_eq!(
        String::from_utf8(at_root.stderr)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
        "svix-distill: 2 crates under . have files matching --focus **/endpoints/message.rs \
         (mock, server/svix-server): reading server/svix-server"
    );
    // With no default crate of the profile's among them, the shallowest.
    let choice = tree::locate_crate(&root, "**/endpoints/message.rs", &[]).unwrap();
    assert_eq!(choice.root, other);
    assert_eq!(
        choice.candidates,
        [other.clone(), root.join("server/svix-server")]
    );
    // A crate folder is read as it is, and so is a folder holding no crate.
    let server = root.join("server/svix-server");
    let as_is = tree::locate_crate(&server, "**/endpoints/message.rs", &[]).unwrap();
    assert_eq!((as_is.root, as_is.candidates), (server, Vec::new()));
    let plain = tree::locate_crate(&crate_root(), "**/endpoints/message.rs", &[]).unwrap();
    assert_eq!((plain.root, plain.candidates), (crate_root(), Vec::new()));
}

/// Regression: the same module twice in a crate (a copied `v1` as `v2`) made every unit twice,
/// and the run failed with "internal error: … repeats the request of example 1" after all the
/// work. Each unit is now made once, from the first file, and the copies are reported.
#[test]
fn a_module_copied_into_the_crate_gives_each_unit_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("crate");
    copy_dir(&crate_root(), &root);
    copy_dir(&root.join("src/v1"), &root.join("src/v2"));
    let lib = root.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{text}pub mod v2;\n")).unwrap();
    let profile = message();
    let once = generate_tree(&profile, &defaults());
    let twice = extract_tree(&root, &defaults(), &profile, &Options::default()).unwrap();
    assert!(twice.dropped.is_empty(), "{:#?}", twice.dropped);
    // The same examples as the crate without the copy: none lost, none repeated.
    let codes =
        |e: &Extracted| -> Vec<String> { e.examples.iter().map(|x| x.code.to_string()).collect() };
    assert_eq!(codes(&once), codes(&twice));
    assert_eq!(once.unit_count, twice.unit_count);
    let left_out: Vec<(&str, &str)> = twice
        .duplicates
        .iter()
        .map(|d| (d.unit.as_str(), d.file.as_str()))
        .collect();
    assert!(
        left_out.contains(&("item:create_message", "src/v2/endpoints/message.rs")),
        "{left_out:?}"
    );
    assert!(
        twice
            .duplicates
            .iter()
            .all(|d| d.kept.starts_with("src/v1/"))
    );
    let marked = twice
        .rows
        .iter()
        .filter(|r| r.reason.contains("(duplicate of src/v1/"))
        .count();
    assert!(marked >= 4, "{:#?}", twice.rows);
}
