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
