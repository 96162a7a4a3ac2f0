//! The in-process git repositories of `support::git`: the history a test builds is the one git
//! sees (parents, contents, a valid object graph), and it is the same on every run. Reading back
//! with gix, and with the `git` binary (the tests fail, saying so, where git is not installed).

mod support;

use std::path::Path;
use std::process::Command;

use support::git::TestRepo;

const OLD: &str = "server/svix-server/src/v1/endpoints/message.rs";
const NEW: &str = "server/svix-server/src/core/message.rs";
/// A file beside the `endpoints` folder whose name sorts differently in git's tree order.
const MODULE: &str = "server/svix-server/src/v1/endpoints.rs";
const V1: &str = "pub fn create_message() {}\n";
const V2: &str = "pub fn create_message() {\n    validate();\n}\n";

/// The merge commit `build` makes, as git itself computes it for the same history (built with
/// `git update-index`, `write-tree` and `commit-tree` at the same times). It changes only if
/// `build` changes, or if something else (the clock, the machine's git config) leaks in.
const MERGE_ID: &str = "7a97cbe98e5c39754d17d7352f5ccb7859c6df37";

/// The four commits of every test: add a file in a nested folder, change it on a side branch,
/// rename it on main, and merge the side branch back with both edits.
fn build(repo: &mut TestRepo) -> [String; 4] {
    let added = repo.commit(
        "Add the message endpoint",
        &[(OLD, Some(V1)), (MODULE, Some("pub mod message;\n"))],
    );
    let changed = repo.commit("Validate messages", &[(OLD, Some(V2))]);
    // Keep the change on a side branch, and build main again from the first commit.
    repo.branch("validate", &changed);
    repo.reset_head(&added);
    let renamed = repo.commit("Move message to core", &[(OLD, None), (NEW, Some(V1))]);
    let merged = repo.merge("Merge branch 'validate'", &changed, &[(NEW, Some(V2))]);
    [added, changed, renamed, merged]
}

#[test]
fn history_reads_back_with_gix() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::init(dir.path());
    let [added, changed, renamed, merged] = build(&mut repo);

    let gix_repo = gix::open_opts(repo.path(), gix::open::Options::isolated()).unwrap();
    assert_eq!(
        gix_repo.head_name().unwrap().unwrap().as_bstr(),
        "refs/heads/main"
    );
    let head = gix_repo.head_commit().unwrap();
    assert_eq!(head.id.to_string(), merged);
    let parents = |commit: &gix::Commit<'_>| -> Vec<String> {
        commit.parent_ids().map(|id| id.to_string()).collect()
    };
    assert_eq!(parents(&head), [renamed.as_str(), changed.as_str()]);
    let commit = |hex: &str| {
        gix_repo
            .find_commit(gix::ObjectId::from_hex(hex.as_bytes()).unwrap())
            .unwrap()
    };
    assert_eq!(parents(&commit(&renamed)), [added.as_str()]);
    assert_eq!(parents(&commit(&changed)), [added.as_str()]);
    assert!(parents(&commit(&added)).is_empty());
    let side = gix_repo.find_reference("refs/heads/validate").unwrap();
    assert_eq!(side.id().to_string(), changed);

    let blob = |commit: &gix::Commit<'_>, path: &str| -> Option<String> {
        let entry = commit.tree().unwrap().lookup_entry_by_path(path).unwrap()?;
        Some(String::from_utf8(entry.object().unwrap().data.clone()).unwrap())
    };
    assert_eq!(blob(&head, NEW).as_deref(), Some(V2));
    assert_eq!(blob(&head, OLD), None);
    assert_eq!(blob(&commit(&changed), OLD).as_deref(), Some(V2));
    assert_eq!(blob(&commit(&renamed), NEW).as_deref(), Some(V1));

    // Git's order, not byte order: a folder sorts as if its name ended in '/'.
    let v1 = commit(&added)
        .tree()
        .unwrap()
        .lookup_entry_by_path("server/svix-server/src/v1")
        .unwrap()
        .unwrap()
        .object()
        .unwrap()
        .into_tree();
    let names: Vec<String> = v1
        .iter()
        .map(|entry| entry.unwrap().filename().to_string())
        .collect();
    assert_eq!(names, ["endpoints.rs", "endpoints"]);
    // The rename emptied the `endpoints` folder, so the tree no longer has it.
    assert!(
        head.tree()
            .unwrap()
            .lookup_entry_by_path("server/svix-server/src/v1/endpoints")
            .unwrap()
            .is_none()
    );

    // The work tree holds HEAD's files, and no folder the rename emptied.
    let root = dir.path();
    assert_eq!(std::fs::read_to_string(root.join(NEW)).unwrap(), V2);
    assert!(!root.join(OLD).exists());
    assert!(!root.join("server/svix-server/src/v1/endpoints").exists());
    assert!(root.join(MODULE).is_file());
}

#[test]
fn history_is_what_git_sees() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::init(dir.path());
    let [added, changed, renamed, merged] = build(&mut repo);
    let log = git(repo.path(), &["log", "--format=%H%x20%P", "--all"]);
    // Newest first: each commit is a minute after the one before.
    let expected = [
        format!("{merged} {renamed} {changed}"),
        format!("{renamed} {added}"),
        format!("{changed} {added}"),
        format!("{added} "),
    ];
    assert_eq!(log.lines().collect::<Vec<_>>(), expected);
    assert_eq!(git(repo.path(), &["show", &format!("HEAD:{NEW}")]), V2);
    assert_eq!(git(repo.path(), &["show", &format!("{changed}:{OLD}")]), V2);
    assert_eq!(
        git(repo.path(), &["symbolic-ref", "HEAD"]),
        "refs/heads/main\n"
    );
    assert_eq!(
        git(repo.path(), &["log", "-1", "--format=%an <%ae> %cn <%ce>"]),
        "Test <test@example.com> Test <test@example.com>\n"
    );
    // fsck rejects, among others, trees whose entries are out of git's order.
    git(repo.path(), &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn bare_history_is_what_git_sees() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::init_bare(dir.path());
    let [.., merged] = build(&mut repo);
    // A bare repository has no work tree to write to.
    assert!(!dir.path().join("server").exists());

    let gix_repo = gix::open_opts(repo.path(), gix::open::Options::isolated()).unwrap();
    assert!(gix_repo.is_bare());
    assert_eq!(gix_repo.head_id().unwrap().to_string(), merged);

    let bare = git(repo.path(), &["rev-parse", "--is-bare-repository"]);
    assert_eq!(bare, "true\n");
    assert_eq!(git(repo.path(), &["show", &format!("HEAD:{NEW}")]), V2);
    git(repo.path(), &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn ids_are_the_same_on_every_run() {
    let build_in = |bare: bool| {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = if bare {
            TestRepo::init_bare(dir.path())
        } else {
            TestRepo::init(dir.path())
        };
        build(&mut repo)
    };
    let first = build_in(false);
    assert_eq!(build_in(false), first);
    assert_eq!(build_in(true), first);
    // Across runs too: two builds a moment apart would agree even if the time were the clock's.
    assert_eq!(first[3], MERGE_ID);
}

/// Runs the system git in `dir` and returns its output; panics, saying so, where git is not
/// installed (a skip would pass). The user's and system's config are ignored, so their settings
/// cannot change the output.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        // Set when the tests run inside a git hook, and would point git at the wrong repository.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap_or_else(|e| panic!("this test needs the git CLI on PATH: {e}"));
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
