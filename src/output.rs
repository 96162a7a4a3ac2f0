//! Writing: the dataset to a file (atomically) or to stdout, the current contents of OUT for
//! `--check`, and status and error lines on stderr. With `report.rs` and `main.rs`, the only
//! module that does I/O.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};
use std::path::Path;

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

/// Writes `text` to `path` through a temporary file in the same folder, renamed into place:
/// a failure leaves an existing file untouched and no partial file behind.
pub fn to_file_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        anyhow::bail!(
            "cannot write {}: folder {} does not exist",
            path.display(),
            folder.display()
        );
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".svix-distill-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    temp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// The current contents of OUT for `--check`, or None when it does not exist.
pub fn read_existing(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// A status line on stderr.
pub fn status(message: &str) {
    eprintln!("svix-distill: {message}");
}

/// The error report: `svix-distill: error: ` and the cause chain.
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
        to_file_atomically(&out, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
        assert_eq!(names_in(dir.path()), ["out.jsonl"]);
    }

    #[test]
    fn a_missing_folder_is_named_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("absent").join("out.jsonl");
        let err = to_file_atomically(&out, "x").unwrap_err().to_string();
        assert!(err.ends_with("absent does not exist"), "{err}");
        assert!(names_in(dir.path()).is_empty());
    }

    #[test]
    fn read_existing_tells_a_missing_file_from_an_unreadable_one() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_existing(&dir.path().join("none")).unwrap(), None);
        let err = read_existing(dir.path()).unwrap_err().to_string();
        assert!(err.starts_with("cannot read "), "{err}");
    }
}
