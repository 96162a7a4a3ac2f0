//! Directory mode on the fixture crate in fixtures/crate: what it walks, what it selects across
//! files and why, that every line is exact and grounded against its own file, and that a file
//! that does not parse stops nothing else.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::copy_dir;

use svix_distill::check;
use svix_distill::pipeline::{Extracted, Options, extract_tree};
use svix_distill::profile::Profile;
use svix_distill::source::SourceFile;
use svix_distill::tree::{self, TreeOptions};

fn crate_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/crate")
}

fn message() -> Profile {
    Profile::load("message-creation").unwrap()
}

fn defaults() -> TreeOptions {
    TreeOptions::for_profile(&message())
}

fn generate_tree(profile: &Profile, options: &TreeOptions) -> Extracted {
    extract_tree(&crate_root(), options, profile, &Options::default()).unwrap()
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

#[test]
fn walk_skips_tests_target_and_hidden_folders_unless_included() {
    let relative = |files: Vec<PathBuf>| {
        files
            .iter()
            .map(|f| f.strip_prefix(crate_root()).unwrap().display().to_string())
            .collect::<Vec<_>>()
    };
    let files = relative(tree::walk(&crate_root(), &defaults()).unwrap());
    assert!(
        files
            .iter()
            .all(|f| !f.starts_with("tests/") && !f.starts_with("target/")),
        "{files:?}"
    );
    assert!(files.contains(&"src/v1/endpoints/message.rs".to_owned()));
    let with_tests = TreeOptions {
        include: vec!["tests".to_owned()],
        exclude: vec!["**/queue/**".to_owned()],
        ..defaults()
    };
    let files = relative(tree::walk(&crate_root(), &with_tests).unwrap());
    assert!(files.contains(&"tests/it.rs".to_owned()), "{files:?}");
    assert!(!files.iter().any(|f| f.contains("queue")), "{files:?}");
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

#[test]
fn every_line_is_exact_and_grounded_against_its_own_file() {
    let profile = message();
    let generated = generate_tree(&profile, &defaults());
    let files = tree::walk(&crate_root(), &defaults()).unwrap();
    let read: Vec<SourceFile> = files.iter().map(|f| SourceFile::read(f).unwrap()).collect();
    let boundaries: Vec<_> = read.iter().map(|f| f.item_ranges().unwrap()).collect();
    let sources: Vec<check::Source> = read
        .iter()
        .zip(&boundaries)
        .map(|(file, items)| check::Source { file, items })
        .collect();
    let faults = check::example_faults(&generated.examples, &sources, &profile);
    assert!(faults.is_empty(), "{faults:?}");
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
    let options = TreeOptions::for_profile(&profile);
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
