//! The files a run reads, which none of its outputs may replace: the input file (or the file
//! stdin is redirected from), every `.rs` file a crate walk found, a profile given as a path,
//! review's dataset and sources, and in history mode every file git tracks in the repository's
//! work tree and everything in its git directory. An output is the same file as one of them
//! when both stat to the same device and inode (through symbolic links, `..` and hard links
//! alike); a tracked file is matched by its path in the work tree, which need not exist. Built
//! before the run's expensive work, and checked before anything is written, so that a refused
//! run writes nothing at all.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::dataset::output;
use crate::extract::source::{self, is_stdio};

/// Why a run reads a file, as the refusal says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// INPUT, named on the command line or found by default.
    Input,
    /// A `.rs` file the crate walk found (and parsed, or would have).
    CrateSource,
    /// `--profile PATH`.
    Profile,
    /// The dataset review reads.
    Dataset,
    /// A `--source` file review reads the lines against.
    Source,
}

impl Role {
    fn describe(self) -> &'static str {
        match self {
            Role::Input => "the input file",
            Role::CrateSource => "the crate source file",
            Role::Profile => "the profile file",
            Role::Dataset => "the dataset",
            Role::Source => "the source file",
        }
    }
}

/// A file's identity on disk: its device and inode.
pub type FileId = (u64, u64);

/// The identity of what `path` leads to, through every symbolic link; None when nothing is
/// there (or it cannot be looked at, which the read or the write then reports).
pub fn file_id(path: &Path) -> Option<FileId> {
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The file a standard stream is attached to, as `/proc` (or `/dev`) names it.
fn stream(fd: u8) -> PathBuf {
    PathBuf::from(format!("/dev/fd/{fd}"))
}

/// `path` as it would be written: symbolic links followed to the file they name (existing or
/// not), the folder made absolute; None for stdout, a FIFO, a device or a descriptor link, and
/// for a path whose folder does not exist (the write reports it).
pub fn resolved(path: &Path) -> Option<PathBuf> {
    if is_stdio(path) {
        return None;
    }
    let target = output::replaced_file(path)?;
    let name = target.file_name()?;
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(fs::canonicalize(folder).ok()?.join(name))
}

/// The repository history mode reads.
#[derive(Debug)]
struct Repository {
    /// As the user named it, for messages.
    shown: PathBuf,
    /// Canonical; None for a bare repository.
    work_tree: Option<PathBuf>,
    /// The git directory and, for a linked work tree, the common one: canonical.
    git_dirs: Vec<PathBuf>,
    /// Paths relative to the work tree, with `/`.
    tracked: BTreeSet<String>,
}

/// Everything a run reads, to check its outputs against.
#[derive(Debug, Default)]
pub struct Protected {
    /// Each file with why it is read, its path as shown.
    files: Vec<(Role, PathBuf)>,
    /// `-` as INPUT: stdin, which may be redirected from a file.
    stdin: bool,
    repository: Option<Repository>,
}

impl Protected {
    pub fn new() -> Protected {
        Protected::default()
    }

    /// INPUT: a file, or `-` (stdin, which protects the file it is redirected from).
    pub fn input(&mut self, path: &Path) {
        if is_stdio(path) {
            self.stdin = true;
        } else {
            self.files.push((Role::Input, path.to_path_buf()));
        }
    }

    pub fn file(&mut self, role: Role, path: &Path) {
        self.files.push((role, path.to_path_buf()));
    }

    /// `--profile`: a path when it names no built-in profile.
    pub fn profile(&mut self, name_or_path: &str) {
        if crate::profile::built_in_text(name_or_path).is_none() {
            self.file(Role::Profile, Path::new(name_or_path));
        }
    }

    /// History mode's repository: its work tree's tracked files and its git directories.
    pub fn repository(&mut self, repo: &crate::history::git::Repo) -> anyhow::Result<()> {
        let canonical = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let dirs = repo.dirs();
        let mut git_dirs = vec![canonical(&dirs.git_dir)];
        let common = canonical(&dirs.common_dir);
        if !git_dirs.contains(&common) {
            git_dirs.push(common);
        }
        let (work_tree, tracked) = match &dirs.work_tree {
            Some(tree) => (Some(canonical(tree)), repo.tracked_paths()?),
            None => (None, BTreeSet::new()),
        };
        self.repository = Some(Repository {
            shown: repo.shown.clone(),
            work_tree,
            git_dirs,
            tracked,
        });
        Ok(())
    }

    /// Refuses the first output that would replace a file the run reads: `outputs` are each
    /// output's name in messages ("", "the manifest ", "the validation file ") and its path.
    pub fn check(&self, outputs: &[(&str, &Path)]) -> anyhow::Result<()> {
        // The read files' identities, looked up once and only if some output exists.
        let read_ids = std::cell::OnceCell::new();
        for &(what, path) in outputs {
            if let Some(why) = self.conflict(path, &read_ids) {
                anyhow::bail!(
                    "refusing to write {what}{}: it is {why}",
                    output::shown(path)
                );
            }
        }
        Ok(())
    }

    /// What `path` would replace, said as the rest of the refusal.
    fn conflict(
        &self,
        path: &Path,
        read_ids: &std::cell::OnceCell<Vec<Option<FileId>>>,
    ) -> Option<String> {
        // `-` is stdout, which a shell may have redirected onto a file the run reads.
        let written = if is_stdio(path) {
            stream(1)
        } else {
            path.to_path_buf()
        };
        let id = file_id(&written);
        if let Some(id) = id {
            let ids = read_ids.get_or_init(|| self.files.iter().map(|(_, f)| file_id(f)).collect());
            for ((role, read), read_id) in self.files.iter().zip(ids) {
                if *read_id == Some(id) {
                    return Some(format!("{} {}", role.describe(), read.display()));
                }
            }
            if self.stdin && file_id(&stream(0)) == Some(id) {
                let from = fs::read_link("/proc/self/fd/0")
                    .map(|p| format!(" ({})", p.display()))
                    .unwrap_or_default();
                return Some(format!("the input file {}{from}", source::STDIN));
            }
        }
        let repository = self.repository.as_ref()?;
        repository.conflict(path, id)
    }
}

impl Repository {
    fn conflict(&self, path: &Path, id: Option<FileId>) -> Option<String> {
        if let Some(target) = resolved(path) {
            if let Some(dir) = self.git_dirs.iter().find(|d| target.starts_with(d)) {
                return Some(format!(
                    "inside the git directory {} of the repository {}, which history mode reads",
                    dir.display(),
                    self.shown.display()
                ));
            }
            if let Some(tree) = &self.work_tree
                && let Ok(relative) = target.strip_prefix(tree)
                && let Some(key) = slashed(relative)
                && self.tracked.contains(&key)
            {
                return Some(self.tracked_file(tree, &key));
            }
        }
        // A hard link to a tracked file from elsewhere: only a file with more than one name
        // can be one, so the tracked files are looked at only then.
        let tree = self.work_tree.as_ref()?;
        let id = id?;
        let links = fs::metadata(path).map(|m| m.nlink()).unwrap_or(1);
        if links < 2 {
            return None;
        }
        self.tracked
            .iter()
            .find(|key| file_id(&tree.join(key)) == Some(id))
            .map(|key| self.tracked_file(tree, key))
    }

    fn tracked_file(&self, tree: &Path, key: &str) -> String {
        format!(
            "the tracked file {} of the repository {}, which history mode reads",
            tree.join(key).display(),
            self.shown.display()
        )
    }
}

/// A relative path as git spells it, `/` between its parts; None if a part is not UTF-8.
fn slashed(relative: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = relative.iter().map(|p| p.to_str()).collect();
    Some(parts?.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_a_dotted_path_and_a_hard_link_are_the_file_they_lead_to() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        std::fs::create_dir(at("sub")).unwrap();
        std::fs::write(at("input.rs"), "fn f() {}\n").unwrap();
        std::os::unix::fs::symlink("input.rs", at("link.rs")).unwrap();
        std::fs::hard_link(at("input.rs"), at("hard.rs")).unwrap();
        let mut protected = Protected::new();
        protected.input(&at("input.rs"));
        for name in ["input.rs", "link.rs", "hard.rs", "sub/../input.rs"] {
            let err = protected
                .check(&[("the manifest ", &at(name))])
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!(
                    "refusing to write the manifest {}: it is the input file {}",
                    at(name).display(),
                    at("input.rs").display()
                ),
                "{name}"
            );
        }
        for name in ["new.jsonl", "sub"] {
            protected.check(&[("", &at(name))]).unwrap();
        }
    }
}
