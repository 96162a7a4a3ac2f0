//! Writing: the dataset to stdout or to OUT (a regular file replaced atomically, a FIFO or a
//! device written in place), the current contents of OUT for `--check`, the progress bar of a
//! crate run, and status and error lines on stderr. With `report.rs` and `main.rs`, the only
//! module that does I/O.
#![allow(clippy::print_stderr)]

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::extract::source::is_stdio;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// `-q`: no status, summary or progress on stderr; errors still print. Process-wide, as
/// ripgrep keeps its message switches, so that no stage has to carry it.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes `text` to stdout; a reader that hung up early (`| head`) is not an error.
pub fn to_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// Where OUT's bytes go, from what OUT is on disk.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A regular file, or none yet: a temporary file beside it, renamed over it. `mode` is the
    /// existing file's, to keep; a new file gets 0666 less the umask.
    Replace { path: PathBuf, mode: Option<u32> },
    /// A FIFO, a character device, or a descriptor link such as `/dev/stdout`: opened and
    /// written where it is. Renaming a file over it would take its place instead.
    InPlace(PathBuf),
}

/// Symbolic links followed before giving up, as Linux's own limit.
const MAX_LINKS: usize = 40;

/// What writing to `path` means: a symbolic link is followed to its target (a dangling one to
/// the file it names), so that the link stays and the target is what changes.
fn target(path: &Path) -> anyhow::Result<Target> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::Replace {
                    path: current,
                    mode: None,
                });
            }
            Err(e) => anyhow::bail!("cannot write {}: {e}", path.display()),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            // `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`: the link names an open descriptor
            // (a pipe, a terminal, or the file a shell redirected to), not a path to replace.
            if is_descriptor_link(&current) {
                return Ok(Target::InPlace(current));
            }
            let link = fs::read_link(&current)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            current = current.parent().unwrap_or(Path::new("")).join(link);
        } else if kind.is_file() {
            return Ok(Target::Replace {
                path: current,
                mode: Some(meta.permissions().mode() & 0o7777),
            });
        } else if kind.is_fifo() || kind.is_char_device() {
            return Ok(Target::InPlace(current));
        } else {
            let what = if kind.is_dir() {
                "a folder"
            } else if kind.is_block_device() {
                "a block device"
            } else {
                "a socket"
            };
            anyhow::bail!(
                "cannot write {}: it is {what}, not a regular file, a FIFO or a character device",
                path.display()
            );
        }
    }
    anyhow::bail!(
        "cannot write {}: more than {MAX_LINKS} symbolic links to follow",
        path.display()
    )
}

/// The regular file a write to `path` replaces, links followed (it may not exist yet); None for
/// a FIFO, a device or a descriptor link, written in place, and for what cannot be written.
pub fn replaced_file(path: &Path) -> Option<PathBuf> {
    match target(path) {
        Ok(Target::Replace { path, .. }) => Some(path),
        _ => None,
    }
}

/// Whether writing to `path` goes into a stream rather than a file: stdout (`-`), a FIFO, a
/// device, a descriptor link. Such a path has no folder to put a sibling file in.
pub fn is_stream(path: &Path) -> bool {
    is_stdio(path) || matches!(target(path), Ok(Target::InPlace(_)))
}

/// Whether a link lives in a process's descriptor folder (`/proc/<pid>/fd`, which `/dev/fd`
/// and `/proc/self/fd` lead to).
fn is_descriptor_link(link: &Path) -> bool {
    let Some(folder) = link.parent().and_then(|p| fs::canonicalize(p).ok()) else {
        return false;
    };
    let parts: Vec<_> = folder.iter().collect();
    matches!(parts.as_slice(), [root, proc, _, fd] if *root == "/" && *proc == "proc" && *fd == "fd")
}

/// Writes `text` to OUT: `-` is stdout; a regular file (or a missing one) is replaced through a
/// temporary file in its folder renamed into place, so a failure leaves it untouched and no
/// partial file behind, and it keeps its mode (a new one gets 0666 less the umask); a symbolic
/// link is followed and its target replaced the same way; a FIFO or a character device (or
/// `/dev/stdout`) is opened and written in place.
pub fn to_file(path: &Path, text: &str) -> anyhow::Result<()> {
    stage(path, text)?.commit()
}

/// A write of [`to_file`] made but not yet seen: a regular file's text written and flushed to
/// disk under a temporary name in its folder, which [`Staged::commit`] renames into place (and
/// which is removed if it is dropped instead); a stream's text, written by `commit`. A run that
/// writes several files stages them all, the flushes side by side with its other work, and
/// puts them in place only once every one is made, so a failure leaves none of them changed.
pub struct Staged<'t> {
    shown: PathBuf,
    how: StagedAs<'t>,
}

enum StagedAs<'t> {
    Temp {
        temp: tempfile::NamedTempFile,
        path: PathBuf,
    },
    Stdout(&'t str),
    InPlace(PathBuf, &'t str),
}

/// Stages the write of `text` to `path` (see [`Staged`]).
pub fn stage<'t>(path: &Path, text: &'t str) -> anyhow::Result<Staged<'t>> {
    let how = if is_stdio(path) {
        StagedAs::Stdout(text)
    } else {
        match target(path)? {
            Target::Replace { path: file, mode } => StagedAs::Temp {
                temp: replacement(path, &file, mode, text)?,
                path: file,
            },
            Target::InPlace(file) => StagedAs::InPlace(file, text),
        }
    };
    Ok(Staged {
        shown: path.to_path_buf(),
        how,
    })
}

impl Staged<'_> {
    /// Puts the write in place.
    pub fn commit(self) -> anyhow::Result<()> {
        match self.how {
            StagedAs::Temp { temp, path } => {
                temp.persist(&path).map_err(|e| {
                    anyhow::anyhow!("cannot write {}: {}", self.shown.display(), e.error)
                })?;
                Ok(())
            }
            StagedAs::Stdout(text) => to_stdout(text),
            StagedAs::InPlace(file, text) => write_in_place(&self.shown, &file, text),
        }
    }
}

/// Puts staged writes in place once every one is made: the first failure, in the order given,
/// is the one reported, and every file staged before it goes with it, so none is changed.
pub fn commit_all<'t>(
    staged: impl IntoIterator<Item = anyhow::Result<Staged<'t>>>,
) -> anyhow::Result<()> {
    let staged = staged.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    for file in staged {
        file.commit()?;
    }
    Ok(())
}

/// Writes several files as [`to_file`] does, all or none (see [`commit_all`]).
pub fn to_files<'t>(files: impl IntoIterator<Item = (&'t Path, &'t str)>) -> anyhow::Result<()> {
    commit_all(files.into_iter().map(|(path, text)| stage(path, text)))
}

/// The atomic write of a regular file up to its rename: the temporary file beside it, written
/// and flushed; `shown` is OUT as the user spelled it, for messages.
fn replacement(
    shown: &Path,
    path: &Path,
    mode: Option<u32>,
    text: &str,
) -> anyhow::Result<tempfile::NamedTempFile> {
    let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot write {}: {e}", shown.display());
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        anyhow::bail!(
            "cannot write {}: folder {} does not exist",
            shown.display(),
            folder.display()
        );
    }
    // The kernel takes the umask off the mode a file is created with: 0666 gives what a shell's
    // `>` would make. An existing file's mode is set outright instead, umask or not, on a
    // temporary file made private first so that no one opens it in between.
    let created = if mode.is_some() { 0o600 } else { 0o666 };
    let mut temp = tempfile::Builder::new()
        .prefix(".svix-distill-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(created))
        .tempfile_in(folder)
        .map_err(|e| fail(&e))?;
    if let Some(mode) = mode {
        let file = temp.as_file();
        // Keep the owner where allowed (as root, or a group the user is in); a file the user
        // may replace but not give away becomes theirs, as with any editor's atomic save.
        if let Ok(meta) = fs::metadata(path) {
            let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
        }
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| fail(&e))?;
    }
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| fail(&e))?;
    Ok(temp)
}

/// A FIFO, a device or a descriptor: opened for appending (so that a shell's `>>` behind
/// `/dev/stdout` is kept) and written; a reader that hung up early is not an error.
fn write_in_place(shown: &Path, path: &Path, text: &str) -> anyhow::Result<()> {
    let result = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()).and_then(|()| file.flush()));
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write {}: {e}", shown.display()))
        }
        _ => Ok(()),
    }
}

/// The current contents of OUT for `--check`, or None when it does not exist. Only a regular
/// file (or a link to one) can be compared: reading a FIFO would take a writer's bytes.
pub fn read_existing(path: &Path) -> anyhow::Result<Option<String>> {
    if is_stdio(path) {
        anyhow::bail!("--check compares with a file; - (stdout) cannot be read back");
    }
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => anyhow::bail!(
            "--check compares with a regular file; {} is not one",
            path.display()
        ),
        _ => {}
    }
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// How long a crate run goes before its progress bar is drawn: shorter runs stay silent.
const PROGRESS_DELAY: Duration = Duration::from_secs(1);

/// The progress of a long step on stderr: files parsed out of files walked, or model calls
/// answered out of those asked. Drawn only once the step has taken a second, only on a
/// terminal, and never under `-q`; cleared when done.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    pub fn start() -> Progress {
        Progress::of("parsing {pos}/{len} files")
    }

    /// A bar saying `what` (an indicatif template: `{pos}`, `{len}`).
    pub fn of(what: &str) -> Progress {
        let drawn = !quiet() && io::stderr().is_terminal();
        let bar = drawn.then(|| {
            let style = ProgressStyle::with_template(&format!(
                "svix-distill: {what} {{wide_bar}} {{elapsed}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
                .with_style(style)
                .with_finish(ProgressFinish::AndClear)
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    /// `done` of `total` files parsed (or calls answered); called from the working threads.
    pub fn files(&self, done: usize, total: usize) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if bar.is_hidden() && self.started.elapsed() >= PROGRESS_DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Clears the bar, before any summary or error line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// An output as messages name it: `stdout` for `-`, else its path.
pub fn shown(path: &Path) -> String {
    if is_stdio(path) {
        "stdout".to_owned()
    } else {
        path.display().to_string()
    }
}

/// A status line on stderr (a summary, a note), unless `-q`.
pub fn status(message: &str) {
    if !quiet() {
        eprintln!("svix-distill: {message}");
    }
}

/// A warning on stderr: something the run left out that the user should know of. Printed
/// even under `-q`, like an error, since it means data is missing.
pub fn warning(message: &str) {
    eprintln!("svix-distill: warning: {message}");
}

/// The error report: `svix-distill: error: ` and the cause chain. Printed even under `-q`.
pub fn error(err: &anyhow::Error) {
    eprintln!("svix-distill: error: {err:#}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        std::fs::write(&out, "old contents, longer than the new ones\n").unwrap();
        to_file(&out, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
        assert_eq!(names_in(dir.path()), ["out.jsonl"]);
    }

    #[test]
    fn a_missing_folder_is_named_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("absent").join("out.jsonl");
        let err = to_file(&out, "x").unwrap_err().to_string();
        assert!(err.ends_with("absent does not exist"), "{err}");
        assert!(names_in(dir.path()).is_empty());
    }

    #[test]
    fn read_existing_tells_a_missing_file_from_one_it_cannot_compare() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_existing(&dir.path().join("none")).unwrap(), None);
        let err = read_existing(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with(" is not one"), "{err}");
    }

    #[test]
    fn links_are_followed_to_what_they_name_and_descriptor_links_are_not() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        std::fs::write(at("file"), "").unwrap();
        std::fs::set_permissions(at("file"), fs::Permissions::from_mode(0o640)).unwrap();
        symlink("file", at("to-file")).unwrap();
        symlink("to-file", at("to-link")).unwrap();
        symlink("absent", at("dangling")).unwrap();
        symlink("/proc/self/fd/1", at("to-stdout")).unwrap();
        symlink("loop-b", at("loop-a")).unwrap();
        symlink("loop-a", at("loop-b")).unwrap();
        let replace = |name: &str, mode| {
            Ok::<_, String>(Target::Replace {
                path: at(name),
                mode,
            })
        };
        let table: [(&str, Result<Target, String>); 7] = [
            ("new", replace("new", None)),
            ("file", replace("file", Some(0o640))),
            ("to-file", replace("file", Some(0o640))),
            ("to-link", replace("file", Some(0o640))),
            ("dangling", replace("absent", None)),
            (
                "to-stdout",
                Ok(Target::InPlace(PathBuf::from("/proc/self/fd/1"))),
            ),
            (
                "loop-a",
                Err("more than 40 symbolic links to follow".to_owned()),
            ),
        ];
        for (name, expected) in table {
            let found = target(&at(name)).map_err(|e| {
                let e = e.to_string();
                e.rsplit(": ").next().unwrap_or_default().to_owned()
            });
            assert_eq!(found, expected, "{name}");
        }
    }
}
