//! Where the bytes go and where they come from: every kind of OUT (a new or existing regular
//! file, a symbolic link, a FIFO, a character device, a descriptor link, `-`), `-` as INPUT, and
//! what `-q` leaves on stderr. Every node is made in a scratch folder: no test run as root
//! names a real device, which a broken build would replace with a regular file. (Unprivileged,
//! the character device is /dev/null itself, which such a run cannot replace.)

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod support;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    repo().join("fixtures/message.rs")
}

/// The umask every run in this file gets, set in the child only (the test process's own is
/// shared by every test thread): a new file must come out 0666 less it, 0640.
const UMASK: libc::mode_t = 0o027;

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_svix-distill"));
    // SAFETY: umask is async-signal-safe and touches nothing but the child's own mask.
    unsafe {
        command.pre_exec(|| {
            libc::umask(UMASK);
            Ok(())
        });
    }
    command
}

/// The fixture's dataset, as a run to stdout gives it.
fn expected() -> Vec<u8> {
    let run = bin().arg(fixture()).output().unwrap();
    assert!(run.status.success());
    assert!(!run.stdout.is_empty());
    run.stdout
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// One kind of OUT: how to make it in a scratch folder (an error says why this machine cannot,
/// and fails the test: a row left out would pass), and what must hold after a run wrote
/// `expected` to it (`stdout` is the run's stdout).
struct WriteTarget {
    name: &'static str,
    make: fn(&Path) -> Result<PathBuf, &'static str>,
    check: fn(dir: &Path, out: &Path, expected: &[u8], stdout: &[u8]),
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn existing(dir: &Path, name: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, "old contents\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

const WRITE_TARGETS: &[WriteTarget] = &[
    WriteTarget {
        name: "a new regular file gets 0666 less the umask",
        make: |dir| Ok(dir.join("new.jsonl")),
        check: |dir, out, expected, _| {
            assert_eq!(std::fs::read(out).unwrap(), expected);
            assert_eq!(mode(out), 0o666 & !UMASK);
            assert_eq!(names_in(dir), ["new.jsonl"]);
        },
    },
    WriteTarget {
        name: "an existing 0644 file keeps its mode",
        make: |dir| Ok(existing(dir, "shared.jsonl", 0o644)),
        check: |dir, out, expected, _| {
            assert_eq!(std::fs::read(out).unwrap(), expected);
            assert_eq!(mode(out), 0o644);
            assert_eq!(names_in(dir), ["shared.jsonl"]);
        },
    },
    WriteTarget {
        name: "an existing 0600 file stays private",
        make: |dir| Ok(existing(dir, "private.jsonl", 0o600)),
        check: |dir, out, expected, _| {
            assert_eq!(std::fs::read(out).unwrap(), expected);
            assert_eq!(mode(out), 0o600);
            assert_eq!(names_in(dir), ["private.jsonl"]);
        },
    },
    WriteTarget {
        name: "a symbolic link is kept and its target replaced",
        make: |dir| {
            std::fs::create_dir(dir.join("data")).unwrap();
            existing(&dir.join("data"), "real.jsonl", 0o644);
            let link = dir.join("link.jsonl");
            std::os::unix::fs::symlink("data/real.jsonl", &link).unwrap();
            Ok(link)
        },
        check: |dir, out, expected, _| {
            assert!(std::fs::symlink_metadata(out).unwrap().is_symlink());
            assert_eq!(
                std::fs::read_link(out).unwrap(),
                Path::new("data/real.jsonl")
            );
            let target = dir.join("data/real.jsonl");
            assert_eq!(std::fs::read(&target).unwrap(), expected);
            assert_eq!(mode(&target), 0o644);
            assert_eq!(names_in(dir), ["data", "link.jsonl"]);
            assert_eq!(names_in(&dir.join("data")), ["real.jsonl"]);
        },
    },
    WriteTarget {
        name: "a dangling symbolic link is kept and the file it names made",
        make: |dir| {
            let link = dir.join("link.jsonl");
            std::os::unix::fs::symlink("made.jsonl", &link).unwrap();
            Ok(link)
        },
        check: |dir, out, expected, _| {
            assert!(std::fs::symlink_metadata(out).unwrap().is_symlink());
            assert_eq!(std::fs::read(dir.join("made.jsonl")).unwrap(), expected);
            assert_eq!(mode(&dir.join("made.jsonl")), 0o666 & !UMASK);
            assert_eq!(names_in(dir), ["link.jsonl", "made.jsonl"]);
        },
    },
    WriteTarget {
        name: "a FIFO is written in place",
        make: |dir| {
            let fifo = dir.join("pipe");
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o600) }, 0);
            Ok(fifo)
        },
        // The bytes the reader thread received are checked by the caller.
        check: |dir, out, _, _| {
            assert!(std::fs::metadata(out).unwrap().file_type().is_fifo());
            assert_eq!(names_in(dir), ["pipe"]);
        },
    },
    WriteTarget {
        name: "a character device is written in place",
        make: |dir| {
            // Making a device node needs root. Without root, /dev/null is the device: a broken
            // build could not replace it with a regular file, as /dev is not writable then.
            if !is_root() {
                return Ok(PathBuf::from("/dev/null"));
            }
            let null = dir.join("null");
            // SAFETY: a valid NUL-terminated path; (1, 3) is the null device.
            let made = unsafe {
                libc::mknod(
                    c_path(&null).as_ptr(),
                    libc::S_IFCHR | 0o666,
                    libc::makedev(1, 3),
                )
            };
            if made != 0 {
                return Err("mknod is refused to root here (a container without CAP_MKNOD?)");
            }
            Ok(null)
        },
        check: |dir, out, _, _| {
            let meta = std::fs::symlink_metadata(out).unwrap();
            assert!(meta.file_type().is_char_device());
            assert_eq!(meta.rdev(), libc::makedev(1, 3));
            let beside: &[&str] = if out.starts_with(dir) { &["null"] } else { &[] };
            assert_eq!(names_in(dir), beside);
        },
    },
    WriteTarget {
        name: "a link to a descriptor (as /dev/stdout is) writes to that descriptor",
        make: |dir| {
            let link = dir.join("stdout");
            std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
            Ok(link)
        },
        check: |dir, out, expected, stdout| {
            assert_eq!(stdout, expected);
            assert_eq!(
                std::fs::read_link(out).unwrap(),
                Path::new("/proc/self/fd/1")
            );
            assert_eq!(names_in(dir), ["stdout"]);
        },
    },
    WriteTarget {
        name: "- is stdout",
        make: |_| Ok(PathBuf::from("-")),
        check: |dir, _, expected, stdout| {
            assert_eq!(stdout, expected);
            assert!(names_in(dir).is_empty());
        },
    },
];

#[test]
fn every_write_target_gets_the_bytes_and_keeps_what_it_is() {
    let expected = expected();
    for row in WRITE_TARGETS {
        let dir = tempfile::tempdir().unwrap();
        let out = match (row.make)(dir.path()) {
            Ok(out) => out,
            Err(why) => panic!("{}: cannot be made here: {why}", row.name),
        };
        // Not following links: the descriptor link would lead to this test's own stdout, a
        // pipe too, and the reader would wait on it forever.
        let is_fifo = std::fs::symlink_metadata(&out).is_ok_and(|m| m.file_type().is_fifo());
        let reader = is_fifo.then(|| {
            let fifo = out.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        });
        let run = bin()
            .arg(fixture())
            .arg("-o")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{}: {stderr}", row.name);
        let shown = if out == Path::new("-") {
            "stdout".to_owned()
        } else {
            out.display().to_string()
        };
        assert_eq!(
            stderr,
            format!("svix-distill: wrote 20 examples (11 units) to {shown}\n"),
            "{}",
            row.name
        );
        if let Some(reader) = reader {
            assert_eq!(reader.join().unwrap(), expected, "{}", row.name);
        }
        (row.check)(dir.path(), &out, &expected, &run.stdout);
    }
}

/// A failed run must leave a link's target alone too, and put nothing beside it.
#[test]
fn a_failed_run_leaves_a_links_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = existing(dir.path(), "real.jsonl", 0o644);
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink("real.jsonl", &link).unwrap();
    let run = bin()
        .arg(repo().join("tests/cmd/inputs/syntax_error.rs"))
        .arg("-o")
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old contents\n");
    assert_eq!(names_in(dir.path()), ["link.jsonl", "real.jsonl"]);
}

/// OUT, its validation file and the manifest are replaced together or not at all: with a
/// folder where the manifest goes, the run fails naming it and OUT keeps its old contents, no
/// validation file appears and no temporary file stays. Each used to be written in turn, so
/// OUT was replaced and the validation file made before the manifest failed.
#[test]
fn outputs_are_replaced_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let out = existing(dir.path(), "data.jsonl", 0o644);
    let manifest = dir.path().join("run.json");
    std::fs::create_dir(&manifest).unwrap();
    let run = bin()
        .arg(fixture())
        .arg("-o")
        .arg(&out)
        .args(["--valid", "0.2", "--manifest"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8(run.stderr).unwrap().contains("run.json"),
        "names the manifest"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old contents\n");
    assert_eq!(names_in(dir.path()), ["data.jsonl", "run.json"]);
}

#[test]
fn a_folder_as_out_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let run = bin()
        .arg(fixture())
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(run.stderr).unwrap(),
        format!(
            "svix-distill: error: cannot write {}: it is a folder, not a regular file, a FIFO or \
             a character device\n",
            dir.path().display()
        )
    );
}

#[test]
fn check_compares_only_with_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o600) }, 0);
    for (out, message) in [
        (
            fifo.clone(),
            format!(
                "--check compares with a regular file; {} is not one",
                fifo.display()
            ),
        ),
        (
            PathBuf::from("-"),
            "--check compares with a file; - (stdout) cannot be read back".to_owned(),
        ),
    ] {
        let run = bin()
            .arg(fixture())
            .arg("-o")
            .arg(&out)
            .arg("--check")
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2));
        assert_eq!(
            String::from_utf8(run.stderr).unwrap(),
            format!("svix-distill: error: {message}\n")
        );
        assert!(run.stdout.is_empty());
    }
}

fn with_stdin(command: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn dash_as_input_reads_stdin_and_names_it_in_errors() {
    let source = std::fs::read(fixture()).unwrap();
    let run = with_stdin(bin().arg("-"), &source);
    assert!(run.status.success());
    assert_eq!(run.stdout, expected());

    let broken = with_stdin(bin().arg("-"), b"fn f() {\n    let = 1;\n}\n");
    assert_eq!(broken.status.code(), Some(2));
    let stderr = String::from_utf8(broken.stderr).unwrap();
    assert!(
        stderr.starts_with("svix-distill: error: <stdin>:2:9: expected one of: identifier"),
        "{stderr}"
    );

    let empty = with_stdin(bin().arg("-"), b"");
    assert_eq!(empty.status.code(), Some(1));
    let stderr = String::from_utf8(empty.stderr).unwrap();
    assert!(
        stderr.starts_with("svix-distill: error: no message-creation route in <stdin>"),
        "{stderr}"
    );
}

#[test]
fn dash_reads_a_dataset_from_stdin_for_stats_and_validate() {
    let dataset = expected();
    let stats = with_stdin(bin().args(["stats", "-"]), &dataset);
    assert!(stats.status.success());
    let table = String::from_utf8(stats.stdout).unwrap();
    assert!(
        table.starts_with("<stdin>\n  format          chatml\n  examples        20\n"),
        "{table}"
    );

    let validate = with_stdin(bin().args(["validate", "-"]), &dataset);
    assert!(validate.status.success());
    let report = String::from_utf8(validate.stdout).unwrap();
    assert!(
        report.starts_with("<stdin>: 20 examples (chatml), no faults\n"),
        "{report}"
    );
}

#[test]
fn quiet_silences_status_lines_but_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let crate_root = repo().join("fixtures/crate");
    let fixture = fixture();
    let runs: [(&str, Vec<&std::ffi::OsStr>); 3] = [
        (
            "a file",
            vec![fixture.as_os_str(), "-o".as_ref(), out.as_os_str()],
        ),
        ("a crate", vec![crate_root.as_os_str()]),
        (
            "--allow-empty",
            vec!["-".as_ref(), "--allow-empty".as_ref()],
        ),
    ];
    for (name, args) in runs {
        let loud = with_stdin(bin().args(&args), b"");
        assert!(loud.status.success(), "{name}");
        assert!(!loud.stderr.is_empty(), "{name}");
        for flag in ["-q", "--quiet"] {
            let quiet = with_stdin(bin().args(&args).arg(flag), b"");
            assert!(quiet.status.success(), "{name}");
            assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "{name} {flag}");
            assert_eq!(quiet.stdout, loud.stdout, "{name} {flag}");
        }
    }
    let failed = bin()
        .args(["-q", "absent.rs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(failed.stderr).unwrap(),
        "svix-distill: error: cannot read absent.rs: No such file or directory (os error 2)\n"
    );
    // A subcommand takes it too.
    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "not json\n").unwrap();
    let stats = bin().args(["stats", "-q"]).arg(&garbage).output().unwrap();
    assert_eq!(stats.status.code(), Some(1));
    assert!(
        String::from_utf8(stats.stderr)
            .unwrap()
            .starts_with("svix-distill: error: "),
    );
}

// No output replaces a file the run reads.

/// A run, set up in a scratch folder, that reads `read`; and the paths an output may name it by.
struct Reads {
    /// The run's arguments before any output option.
    args: Vec<PathBuf>,
    /// The file stdin is redirected from.
    stdin: Option<PathBuf>,
    /// The file that must come through the refused run byte for byte.
    read: PathBuf,
    /// Ways to name `read`: itself, through a symbolic link, through `..`, by a hard link.
    names: Vec<PathBuf>,
    /// How the refusal names it: the end of "it is …".
    it_is: String,
}

/// One kind of file a run reads, in one mode.
struct ReadCase {
    name: &'static str,
    make: fn(&Path) -> Reads,
}

const HISTORY_FILE: &str = "server/svix-server/src/v1/endpoints/message.rs";

/// The fixture's history committed to `repo`: added without its conflict mapping,
/// then given it (a commit that makes examples), then a README.
fn history_repo(repo: support::git::TestRepo) -> support::git::TestRepo {
    let mut repo = repo;
    let fixture = std::fs::read_to_string(fixture()).unwrap();
    let mapped = "msg.insert(txn).await.map_err(http_error_on_conflict)?";
    assert_eq!(fixture.matches(mapped).count(), 1);
    let first = fixture.replace(mapped, "msg.insert(txn).await?");
    repo.commit("Add the message endpoints", &[(HISTORY_FILE, Some(&first))]);
    repo.commit(
        "Return 409 on a duplicate message insert",
        &[(HISTORY_FILE, Some(&fixture))],
    );
    repo.commit(
        "Add a README for the server",
        &[("README.md", Some("Webhooks, done right.\n"))],
    );
    repo
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap()
}

fn tracked(repo: &Path, file: &str) -> String {
    format!(
        "the tracked file {} of the repository {}, which history mode reads",
        canonical(repo).join(file).display(),
        repo.display()
    )
}

const READ_CASES: &[ReadCase] = &[
    ReadCase {
        name: "the input file",
        make: |dir| {
            std::fs::create_dir_all(dir.join("in/sub")).unwrap();
            let input = dir.join("in/message.rs");
            std::fs::copy(fixture(), &input).unwrap();
            std::os::unix::fs::symlink("in/message.rs", dir.join("link.rs")).unwrap();
            std::fs::hard_link(&input, dir.join("hard.rs")).unwrap();
            Reads {
                args: vec![input.clone()],
                stdin: None,
                names: vec![
                    input.clone(),
                    dir.join("in/sub/../message.rs"),
                    dir.join("link.rs"),
                    dir.join("hard.rs"),
                ],
                it_is: format!("the input file {}", input.display()),
                read: input,
            }
        },
    },
    ReadCase {
        name: "the file stdin is redirected from",
        make: |dir| {
            let input = dir.join("message.rs");
            std::fs::copy(fixture(), &input).unwrap();
            Reads {
                args: vec!["-".into()],
                stdin: Some(input.clone()),
                names: vec![input.clone()],
                it_is: format!("the input file <stdin> ({})", canonical(&input).display()),
                read: input,
            }
        },
    },
    ReadCase {
        name: "a source file of the crate that gives no example",
        make: |dir| {
            let root = dir.join("crate");
            support::copy_dir(&repo().join("fixtures/crate"), &root);
            let lib = root.join("src/lib.rs");
            std::fs::hard_link(&lib, dir.join("hard.rs")).unwrap();
            Reads {
                args: vec![root],
                stdin: None,
                names: vec![lib.clone(), dir.join("hard.rs")],
                it_is: format!("the crate source file {}", lib.display()),
                read: lib,
            }
        },
    },
    ReadCase {
        name: "the profile",
        make: |dir| {
            let profile = dir.join("mine.toml");
            std::fs::copy(repo().join("profiles/message-creation.toml"), &profile).unwrap();
            Reads {
                args: vec![fixture(), "-p".into(), profile.clone()],
                stdin: None,
                names: vec![profile.clone()],
                it_is: format!("the profile file {}", profile.display()),
                read: profile,
            }
        },
    },
    ReadCase {
        name: "a file git tracks in the work tree history mode reads",
        make: |dir| {
            let work_tree = dir.join("repo");
            std::fs::create_dir(&work_tree).unwrap();
            history_repo(support::git::TestRepo::init(&work_tree));
            let readme = work_tree.join("README.md");
            std::fs::hard_link(&readme, dir.join("hard.md")).unwrap();
            Reads {
                args: vec!["history".into(), work_tree.clone()],
                stdin: None,
                names: vec![readme.clone(), dir.join("hard.md")],
                it_is: tracked(&work_tree, "README.md"),
                read: readme,
            }
        },
    },
    ReadCase {
        name: "a file staged in the index, not yet committed",
        make: |dir| {
            let work_tree = dir.join("repo");
            std::fs::create_dir(&work_tree).unwrap();
            let mut repo = history_repo(support::git::TestRepo::init(&work_tree));
            let head = git_head(&work_tree);
            let staged = repo.commit("Stage a file", &[("notes.md", Some("staged\n"))]);
            repo.branch("staged", &staged);
            repo.reset_head(&head);
            // The index holds the staged commit's tree; HEAD does not have the file.
            let git = gix::open(&work_tree).unwrap();
            let tree = git
                .find_commit(gix::ObjectId::from_hex(staged.as_bytes()).unwrap())
                .unwrap()
                .tree_id()
                .unwrap();
            git.index_from_tree(&tree)
                .unwrap()
                .write(Default::default())
                .unwrap();
            let notes = work_tree.join("notes.md");
            std::fs::write(&notes, "staged\n").unwrap();
            Reads {
                args: vec!["history".into(), work_tree.clone()],
                stdin: None,
                names: vec![notes.clone()],
                it_is: tracked(&work_tree, "notes.md"),
                read: notes,
            }
        },
    },
    ReadCase {
        name: "the git directory history mode reads",
        make: |dir| {
            let work_tree = dir.join("repo");
            std::fs::create_dir(&work_tree).unwrap();
            history_repo(support::git::TestRepo::init(&work_tree));
            let head = work_tree.join(".git/HEAD");
            Reads {
                args: vec!["history".into(), work_tree.clone()],
                stdin: None,
                names: vec![head.clone()],
                it_is: format!(
                    "inside the git directory {} of the repository {}, which history mode reads",
                    canonical(&work_tree.join(".git")).display(),
                    work_tree.display()
                ),
                read: head,
            }
        },
    },
    ReadCase {
        name: "a bare repository, all git directory",
        make: |dir| {
            let bare = dir.join("repo.git");
            std::fs::create_dir(&bare).unwrap();
            history_repo(support::git::TestRepo::init_bare(&bare));
            let config = bare.join("config");
            Reads {
                args: vec!["history".into(), bare.clone()],
                stdin: None,
                names: vec![config.clone()],
                it_is: format!(
                    "inside the git directory {} of the repository {}, which history mode reads",
                    canonical(&bare).display(),
                    bare.display()
                ),
                read: config,
            }
        },
    },
];

/// HEAD's commit id in a work tree built by `history_repo`.
fn git_head(work_tree: &Path) -> String {
    let git = gix::open(work_tree).unwrap();
    git.head_id().unwrap().to_string()
}

/// The three outputs, as the options that name `target` as one of them (a fresh OUT in `out`
/// for the other two), and what the refusal calls it.
fn output_options(target: &Path, out: &Path) -> [(Vec<PathBuf>, &'static str); 3] {
    let data = out.join("d.jsonl");
    [
        (vec!["-o".into(), target.into()], ""),
        (
            vec![
                "-o".into(),
                data.clone(),
                "--manifest".into(),
                target.into(),
            ],
            "the manifest ",
        ),
        (
            vec![
                "-o".into(),
                data,
                "--valid".into(),
                "0.5".into(),
                "--valid-output".into(),
                target.into(),
            ],
            "the validation file ",
        ),
    ]
}

/// In every mode, OUT, the manifest and the validation file are each refused when they name a
/// file the run reads, however they name it, with --check or without: exit 2, one line naming
/// both, the file's bytes unchanged and no other output written. Crate and history runs used to
/// replace crud.rs, lib.rs or message.rs with JSONL and exit 0.
#[test]
fn no_output_replaces_a_file_the_run_reads() {
    for case in READ_CASES {
        let dir = tempfile::tempdir().unwrap();
        let reads = (case.make)(dir.path());
        let before = std::fs::read(&reads.read).unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        for name in &reads.names {
            for (options, what) in output_options(name, &out) {
                for check in [false, true] {
                    let mut command = bin();
                    command.args(&reads.args).args(&options);
                    if check {
                        command.arg("--check");
                    }
                    match &reads.stdin {
                        Some(file) => command.stdin(std::fs::File::open(file).unwrap()),
                        None => command.stdin(Stdio::null()),
                    };
                    let run = command.output().unwrap();
                    let said = format!("{}: {what}{} (check: {check})", case.name, name.display());
                    assert_eq!(
                        String::from_utf8_lossy(&run.stderr),
                        format!(
                            "svix-distill: error: refusing to write {what}{}: it is {}\n",
                            name.display(),
                            reads.it_is
                        ),
                        "{said}"
                    );
                    assert_eq!(run.status.code(), Some(2), "{said}");
                    assert!(run.stdout.is_empty(), "{said}");
                    assert_eq!(std::fs::read(&reads.read).unwrap(), before, "{said}");
                    assert!(names_in(&out).is_empty(), "{said}: {:?}", names_in(&out));
                }
            }
        }
    }
}

/// Stdout is an output too: a shell may have sent it onto the input (`>> message.rs`).
#[test]
fn stdout_appended_to_the_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("message.rs");
    std::fs::copy(fixture(), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let appending = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    let run = bin().arg(&input).stdout(appending).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(run.stderr).unwrap(),
        format!(
            "svix-distill: error: refusing to write stdout: it is the input file {}\n",
            input.display()
        )
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

/// `--list -o FILE` used to print the list on stdout and leave FILE alone.
#[test]
fn list_goes_to_out_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let work_tree = dir.path().join("repo");
    std::fs::create_dir(&work_tree).unwrap();
    history_repo(support::git::TestRepo::init(&work_tree));
    let runs: [Vec<PathBuf>; 2] = [
        vec![fixture(), "--list".into()],
        vec!["history".into(), work_tree, "--list".into()],
    ];
    for args in runs {
        let printed = bin().args(&args).output().unwrap();
        assert!(printed.status.success(), "{args:?}");
        assert!(!printed.stdout.is_empty(), "{args:?}");
        let out = dir.path().join("list.txt");
        let written = bin().args(&args).arg("-o").arg(&out).output().unwrap();
        assert!(written.status.success(), "{args:?}");
        assert!(written.stdout.is_empty(), "{args:?}");
        assert_eq!(std::fs::read(&out).unwrap(), printed.stdout, "{args:?}");
        assert!(
            String::from_utf8(written.stderr)
                .unwrap()
                .ends_with(&format!(
                    "svix-distill: wrote the list to {}\n",
                    out.display()
                )),
            "{args:?}"
        );
        std::fs::remove_file(&out).unwrap();
    }
}

/// `-` with --manifest used to fail with "cannot read <stdin>": the manifest names the source
/// `<stdin>` with the sha256 of the bytes as read, a byte-order mark among them, and the
/// slices' offsets in those bytes.
#[test]
fn stdin_has_a_manifest_with_the_sha256_of_its_bytes() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(std::fs::read(fixture()).unwrap());
    let data = dir.path().join("d.jsonl");
    let manifest = dir.path().join("m.json");
    let run = with_stdin(
        bin()
            .args(["-", "-o"])
            .arg(&data)
            .arg("--manifest")
            .arg(&manifest),
        &bytes,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(std::fs::read(&data).unwrap(), expected());
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        value["sources"],
        serde_json::json!([{"path": "<stdin>", "sha256": sha256, "commit": null}])
    );
    assert_eq!(value["input"]["path"], "-");
    for example in value["examples"].as_array().unwrap() {
        for slice in example["slices"].as_array().unwrap() {
            assert_eq!(slice["path"], "<stdin>");
            let (start, end) = (
                slice["start_byte"].as_u64().unwrap() as usize,
                slice["end_byte"].as_u64().unwrap() as usize,
            );
            assert!(std::str::from_utf8(&bytes[start..end]).is_ok());
            assert!(start >= 3, "the offsets count the byte-order mark");
        }
    }
}

/// `-o - --valid 0.5` used to write a file named `-.valid`, and a FIFO as OUT a regular file
/// beside it: --valid needs --valid-output unless OUT is a file with a folder; --valid-output
/// also moves the validation file of a regular OUT.
#[test]
fn valid_goes_beside_a_regular_out_or_where_valid_output_says() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c_path(&at("pipe")).as_ptr(), 0o600) },
        0
    );
    let stdout_said = "--valid: the data goes to stdout, with no folder to put the validation file in; give -o \
         OUT or --valid-output PATH";
    let fifo_said = format!(
        "--valid: {} is written in place (a FIFO, a device or a descriptor), with no folder to \
         put the validation file in; give --valid-output PATH",
        at("pipe").display()
    );
    let refused: [(Vec<PathBuf>, &str); 3] = [
        (vec![], stdout_said),
        (vec!["-o".into(), "-".into()], stdout_said),
        (vec!["-o".into(), at("pipe")], &fifo_said),
    ];
    for (args, said) in refused {
        // A reader on the FIFO, so that a run that wrongly writes to it does not hang.
        let fifo = at("pipe");
        let drain = std::thread::spawn(move || std::fs::read(fifo).unwrap());
        // In the scratch folder: a `-.valid` would land there.
        let run = bin()
            .current_dir(dir.path())
            .arg(fixture())
            .args(["--valid", "0.3"])
            .args(&args)
            .output()
            .unwrap();
        // A writer that writes nothing ends the reader's wait: it got nothing from the run.
        while !drain.is_finished() {
            use std::os::unix::fs::OpenOptionsExt as _;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(at("pipe"));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(drain.join().unwrap().is_empty(), "{args:?}");
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8(run.stderr).unwrap(),
            format!("svix-distill: error: {said}\n"),
        );
        assert!(run.stdout.is_empty(), "{args:?}");
        assert_eq!(names_in(dir.path()), ["pipe"], "{args:?}");
    }
    // Beside a regular OUT, the default: the reference for the runs below.
    let split = bin()
        .arg(fixture())
        .args(["--valid", "0.3", "-o"])
        .arg(at("d.jsonl"))
        .output()
        .unwrap();
    assert!(split.status.success());
    let train = std::fs::read(at("d.jsonl")).unwrap();
    let valid = std::fs::read(at("d.valid.jsonl")).unwrap();
    assert!(!train.is_empty() && !valid.is_empty());
    for name in ["d.jsonl", "d.valid.jsonl"] {
        std::fs::remove_file(at(name)).unwrap();
    }
    let to_stdout = bin()
        .arg(fixture())
        .args(["--valid", "0.3", "-o", "-", "--valid-output"])
        .arg(at("v.jsonl"))
        .output()
        .unwrap();
    assert!(to_stdout.status.success());
    assert_eq!(to_stdout.stdout, train);
    assert_eq!(std::fs::read(at("v.jsonl")).unwrap(), valid);
    let fifo = at("pipe");
    let reader = std::thread::spawn(move || std::fs::read(fifo).unwrap());
    let to_fifo = bin()
        .arg(fixture())
        .args(["--valid", "0.3", "-o"])
        .arg(at("pipe"))
        .arg("--valid-output")
        .arg(at("w.jsonl"))
        .output()
        .unwrap();
    assert!(to_fifo.status.success());
    assert_eq!(reader.join().unwrap(), train);
    assert_eq!(std::fs::read(at("w.jsonl")).unwrap(), valid);
    let moved = bin()
        .arg(fixture())
        .args(["--valid", "0.3", "-o"])
        .arg(at("d.jsonl"))
        .arg("--valid-output")
        .arg(at("elsewhere.jsonl"))
        .output()
        .unwrap();
    assert!(moved.status.success());
    assert_eq!(std::fs::read(at("d.jsonl")).unwrap(), train);
    assert_eq!(std::fs::read(at("elsewhere.jsonl")).unwrap(), valid);
    assert_eq!(
        names_in(dir.path()),
        ["d.jsonl", "elsewhere.jsonl", "pipe", "v.jsonl", "w.jsonl"]
    );
}

/// History mode with nothing to write used to exit 0 with an empty file where generation mode
/// exits 1: now it exits 1 saying why, or with --allow-empty writes the empty file.
#[test]
fn history_with_nothing_to_write_exits_1_unless_allow_empty() {
    let dir = tempfile::tempdir().unwrap();
    let work_tree = dir.path().join("repo");
    std::fs::create_dir(&work_tree).unwrap();
    let mut repo = support::git::TestRepo::init(&work_tree);
    let fixture_text = std::fs::read_to_string(fixture()).unwrap();
    // The commit that brings the whole file in is dropped: no example.
    let head = repo.commit(
        "Add the message endpoints",
        &[(HISTORY_FILE, Some(&fixture_text))],
    );
    let out = dir.path().join("out.jsonl");
    let cases: [(&[&str], String); 2] = [
        (
            &[],
            format!(
                "none of the 1 commit(s) that changed {HISTORY_FILE} gave an example: nothing to \
                 write"
            ),
        ),
        (
            &["--since", &head],
            format!("no commit after {head} changed {HISTORY_FILE}: nothing to write"),
        ),
    ];
    for (args, why) in cases {
        let failed = bin()
            .arg("history")
            .arg(&work_tree)
            .args(args)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(failed.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8(failed.stderr).unwrap();
        assert!(
            stderr.ends_with(&format!(
                "svix-distill: error: {why} (--allow-empty writes an empty file instead)\n"
            )),
            "{stderr}"
        );
        assert!(!out.exists(), "{args:?}");
        let allowed = bin()
            .arg("history")
            .arg(&work_tree)
            .args(args)
            .args(["--allow-empty", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8(allowed.stderr).unwrap();
        assert!(allowed.status.success(), "{stderr}");
        assert!(
            stderr.contains(&why.replace(": nothing to write", "; --allow-empty: no examples")),
            "{stderr}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"");
        std::fs::remove_file(&out).unwrap();
    }
}
