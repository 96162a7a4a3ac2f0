//! Reading history out of a git repository with gix, in process (no `git` binary): the commits
//! that changed one file, oldest first, following renames as `git log --follow` does, or that
//! changed a `.rs` file under some folders (with those files at each commit and its parent);
//! the text of a blob; and the paths git tracks, which no output may replace.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use gix::ObjectId;

/// An open repository: a work tree (or a folder inside one) or a bare git directory.
pub struct Repo {
    repo: gix::Repository,
    /// As the user gave it, for messages.
    pub shown: PathBuf,
}

/// Where a repository lives on disk.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub git_dir: PathBuf,
    /// The git directory shared by linked work trees (the git directory itself otherwise).
    pub common_dir: PathBuf,
    /// None for a bare repository.
    pub work_tree: Option<PathBuf>,
}

/// One commit that changed the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCommit {
    pub id: ObjectId,
    /// Every parent, the first one first.
    pub parents: Vec<ObjectId>,
    /// The whole message as committed.
    pub message: String,
    /// The file's path in this commit.
    pub path: String,
    /// The file's blob in this commit; None when the commit deleted it.
    pub blob: Option<ObjectId>,
    /// The file's path in the first parent: another one when this commit renamed it.
    pub parent_path: String,
    /// The file's blob in the first parent; None when this commit added it.
    pub parent_blob: Option<ObjectId>,
}

impl FileCommit {
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    pub fn short_id(&self) -> String {
        short(&self.id)
    }
}

/// The `.rs` files under the followed paths at one commit: path → blob.
pub type Listing = BTreeMap<String, ObjectId>;

/// One commit that changed a `.rs` file under the followed folders (see
/// [`Repo::folder_history`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderCommit {
    pub id: ObjectId,
    /// Every parent, the first one first.
    pub parents: Vec<ObjectId>,
    /// The whole message as committed.
    pub message: String,
    /// The `.rs` files under the followed paths in this commit; shared by every commit whose
    /// files are the same.
    pub files: Arc<Listing>,
    /// The same in the first parent (empty for a root commit).
    pub parent_files: Arc<Listing>,
    /// The paths whose blob differs from the first parent's (added, changed or deleted), in
    /// path order. Empty for a merge.
    pub touched: Vec<String>,
}

impl FolderCommit {
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    pub fn short_id(&self) -> String {
        short(&self.id)
    }
}

/// The first nine hex digits of an id, as svix-webhooks' own history shows them.
pub fn short(id: &ObjectId) -> String {
    id.to_hex_with_len(9).to_string()
}

/// How similar a deleted file must be to an added one to count as its old name: git's default
/// for `--follow` is 50%.
const RENAME_SIMILARITY: f64 = 0.5;

/// The decoded-object cache: enough for the trees along one path in a few hundred commits.
const OBJECT_CACHE_BYTES: usize = 8 << 20;

impl Repo {
    /// Opens the repository at `path`, or the one whose work tree holds it.
    pub fn open(path: &Path) -> anyhow::Result<Repo> {
        let mut repo = gix::discover(path)
            .with_context(|| format!("{} is not in a git repository", path.display()))?;
        // Consecutive commits share most of their trees; a cache of decoded objects saves
        // inflating them again for the parent's lookup.
        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
        Ok(Repo {
            repo,
            shown: path.to_path_buf(),
        })
    }

    pub fn dirs(&self) -> Dirs {
        Dirs {
            git_dir: self.repo.git_dir().to_path_buf(),
            common_dir: self.repo.common_dir().to_path_buf(),
            work_tree: self.repo.workdir().map(Path::to_path_buf),
        }
    }

    /// Every path git tracks, relative to the work tree with `/`: the index's entries and
    /// HEAD's tree's files (a repository with no commit yet has none of the latter, one that
    /// never staged anything none of the former).
    pub fn tracked_paths(&self) -> anyhow::Result<BTreeSet<String>> {
        let fail = || {
            format!(
                "cannot list the files git tracks in {}",
                self.shown.display()
            )
        };
        let mut paths = BTreeSet::new();
        let index = self.repo.index_or_empty().with_context(fail)?;
        for entry in index.entries() {
            paths.insert(entry.path(&index).to_string());
        }
        let head = self.repo.head_tree_id_or_empty().with_context(fail)?;
        self.tree_files(head.detach(), "", &mut paths)
            .with_context(fail)?;
        Ok(paths)
    }

    /// The files (blobs and links) of a tree and its subtrees, as `prefix` + their paths.
    fn tree_files(
        &self,
        tree: ObjectId,
        prefix: &str,
        out: &mut BTreeSet<String>,
    ) -> anyhow::Result<()> {
        let tree = self.repo.find_tree(tree)?;
        let decoded = tree.decode()?;
        for entry in &decoded.entries {
            let path = format!("{prefix}{}", entry.filename);
            if entry.mode.is_tree() {
                self.tree_files(entry.oid.to_owned(), &format!("{path}/"), out)?;
            } else if !entry.mode.is_commit() {
                out.insert(path);
            }
        }
        Ok(())
    }

    /// Writes the files of `commit`'s tree that `keep` wants (by their path from the root, with
    /// `/`) under `dest`, at the same paths: a revision's crates, read as a work tree is, by
    /// code that reads files from disk (the route table). Folders `skip_folder` names are not
    /// entered. Returns how many files it wrote.
    pub fn copy_out(
        &self,
        commit: ObjectId,
        dest: &Path,
        skip_folder: &impl Fn(&str) -> bool,
        keep: &impl Fn(&str) -> bool,
    ) -> anyhow::Result<usize> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree_id().map(|t| t.detach()))
            .with_context(|| format!("cannot read the tree of commit {}", short(&commit)))?;
        self.copy_tree(tree, "", dest, skip_folder, keep)
            .with_context(|| format!("cannot copy out commit {}", short(&commit)))
    }

    fn copy_tree(
        &self,
        tree: ObjectId,
        prefix: &str,
        dest: &Path,
        skip_folder: &impl Fn(&str) -> bool,
        keep: &impl Fn(&str) -> bool,
    ) -> anyhow::Result<usize> {
        let tree = self.repo.find_tree(tree)?;
        let decoded = tree.decode()?;
        let mut written = 0;
        for entry in &decoded.entries {
            let name = entry.filename.to_string();
            let path = format!("{prefix}{name}");
            if entry.mode.is_tree() {
                if !skip_folder(&name) {
                    let sub = format!("{path}/");
                    written +=
                        self.copy_tree(entry.oid.to_owned(), &sub, dest, skip_folder, keep)?;
                }
            } else if entry.mode.is_blob() && keep(&path) {
                let data = self.repo.find_object(entry.oid)?.detach().data;
                let target = dest.join(&path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(&target, data)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                written += 1;
            }
        }
        Ok(written)
    }

    /// A revision (`HEAD`, a branch, a tag, a full or short commit id) to its commit.
    pub fn resolve(&self, rev: &str) -> anyhow::Result<ObjectId> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .with_context(|| format!("{}: unknown revision {rev}", self.shown.display()))?;
        let commit = id
            .object()
            .with_context(|| format!("{}: cannot read {rev}", self.shown.display()))?
            .peel_to_commit()
            .with_context(|| format!("{}: {rev} is not a commit", self.shown.display()))?;
        Ok(commit.id)
    }

    /// The blob of `path` in `commit`'s tree, if the path is a file there.
    fn blob_at(&self, commit: ObjectId, path: &str) -> anyhow::Result<Option<ObjectId>> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("cannot read the tree of commit {}", short(&commit)))?;
        let entry = tree
            .lookup_entry_by_path(path)
            .with_context(|| format!("cannot read {path} at commit {}", short(&commit)))?;
        Ok(entry.filter(|e| e.mode().is_blob()).map(|e| e.object_id()))
    }

    /// The text of a blob, which must be UTF-8.
    pub fn text(&self, blob: ObjectId, path: &str, commit: &ObjectId) -> anyhow::Result<String> {
        let object = self
            .repo
            .find_object(blob)
            .with_context(|| format!("cannot read {path} at commit {}", short(commit)))?;
        String::from_utf8(object.detach().data).map_err(|e| {
            anyhow::anyhow!(
                "{path} at commit {} is not UTF-8 (invalid byte at offset {})",
                short(commit),
                e.utf8_error().valid_up_to()
            )
        })
    }

    /// The texts of many blobs (each with its path and a commit that holds it, for messages),
    /// in the order given: read by as many threads as the machine has cores, each with a
    /// handle of its own on the repository.
    pub fn texts(&self, wanted: &[(ObjectId, &str, ObjectId)]) -> Vec<anyhow::Result<String>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = wanted.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let reading: Vec<_> = wanted
                .chunks(chunk)
                .map(|part| {
                    let repo = Repo {
                        repo: self.repo.clone(),
                        shown: self.shown.clone(),
                    };
                    scope.spawn(move || {
                        part.iter()
                            .map(|(blob, path, commit)| repo.text(*blob, path, commit))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            reading
                .into_iter()
                .flat_map(|thread| match thread.join() {
                    Ok(texts) => texts,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }

    /// The text of `path` at a revision, if the path is a file there.
    pub fn file_at(&self, rev: &str, path: &str) -> anyhow::Result<Option<String>> {
        let commit = self.resolve(rev)?;
        match self.blob_at(commit, path)? {
            Some(blob) => Ok(Some(self.text(blob, path, &commit)?)),
            None => Ok(None),
        }
    }

    /// The commits reachable from `until` but not from `since` that changed `path`, oldest
    /// first: a commit changed it when its blob differs from its first parent's (a merge, when
    /// it differs from every parent's). Where a commit added the path and deleted a file of
    /// similar content, the walk goes on under that file's name.
    pub fn file_history(
        &self,
        path: &str,
        until: ObjectId,
        since: Option<ObjectId>,
    ) -> anyhow::Result<Vec<FileCommit>> {
        let mut walk =
            self.repo
                .rev_walk([until])
                .sorting(gix::revision::walk::Sorting::ByCommitTime(
                    Default::default(),
                ));
        if let Some(since) = since {
            walk = walk.with_hidden([since]);
        }
        let walk = walk
            .all()
            .with_context(|| format!("cannot walk the history of {}", self.shown.display()))?;
        let mut blobs: HashMap<(ObjectId, String), Option<ObjectId>> = HashMap::new();
        let mut blob_of = |repo: &Repo, commit: ObjectId, path: &str| {
            if let Some(found) = blobs.get(&(commit, path.to_owned())) {
                return Ok(*found);
            }
            let found = repo.blob_at(commit, path)?;
            blobs.insert((commit, path.to_owned()), found);
            anyhow::Ok(found)
        };
        let mut path = path.to_owned();
        let mut found = Vec::new();
        for info in walk {
            let info = info
                .with_context(|| format!("cannot walk the history of {}", self.shown.display()))?;
            let id = info.id;
            let parents: Vec<ObjectId> = info.parent_ids.iter().copied().collect();
            let blob = blob_of(self, id, &path)?;
            let mut parent_blobs = Vec::new();
            for parent in &parents {
                parent_blobs.push(blob_of(self, *parent, &path)?);
            }
            let changed = if parents.is_empty() {
                blob.is_some()
            } else {
                parent_blobs.iter().all(|p| *p != blob)
            };
            if !changed {
                continue;
            }
            let mut parent_path = path.clone();
            let mut parent_blob = parent_blobs.first().copied().flatten();
            if let (Some(blob), None, Some(&parent)) = (blob, parent_blob, parents.first())
                && let Some((old_path, old_blob)) = self.renamed_from(parent, id, blob)?
            {
                parent_path = old_path;
                parent_blob = Some(old_blob);
            }
            let message = self
                .repo
                .find_commit(id)
                .map(|c| String::from_utf8_lossy(c.message_raw_sloppy()).into_owned())
                .with_context(|| format!("cannot read commit {}", short(&id)))?;
            found.push(FileCommit {
                id,
                parents,
                message,
                path: path.clone(),
                blob,
                parent_path: parent_path.clone(),
                parent_blob,
            });
            path = parent_path;
        }
        found.reverse();
        Ok(found)
    }

    /// The tree or blob at `path` in `commit`'s tree, if there is one.
    fn entry_at(&self, commit: ObjectId, path: &str) -> anyhow::Result<Option<ObjectId>> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("cannot read the tree of commit {}", short(&commit)))?;
        let entry = tree
            .lookup_entry_by_path(path)
            .with_context(|| format!("cannot read {path} at commit {}", short(&commit)))?;
        Ok(entry
            .filter(|e| e.mode().is_tree() || e.mode().is_blob())
            .map(|e| e.object_id()))
    }

    /// Whether `path` is a folder at `commit`.
    pub fn is_folder_at(&self, commit: ObjectId, path: &str) -> anyhow::Result<bool> {
        let Some(id) = self.entry_at(commit, path)? else {
            return Ok(false);
        };
        Ok(self.repo.find_object(id)?.kind == gix::object::Kind::Tree)
    }

    /// The commits reachable from `until` but not from `since` that changed a `.rs` file under
    /// `paths` (folders, or files), oldest first: as [`Repo::file_history`] tells a change, by
    /// the paths' ids against every parent's, and then only when a `.rs` file below differs
    /// (a change to a README alone is none). Folders `tree::SKIPPED_FOLDERS` names and hidden
    /// ones are left out, as crate mode's walk leaves them. A folder is not followed across a
    /// rename of itself.
    pub fn folder_history(
        &self,
        paths: &[String],
        until: ObjectId,
        since: Option<ObjectId>,
        skip_folder: impl Fn(&str) -> bool,
    ) -> anyhow::Result<Vec<FolderCommit>> {
        let walk_failed = || format!("cannot walk the history of {}", self.shown.display());
        let mut walk =
            self.repo
                .rev_walk([until])
                .sorting(gix::revision::walk::Sorting::ByCommitTime(
                    Default::default(),
                ));
        if let Some(since) = since {
            walk = walk.with_hidden([since]);
        }
        let mut ids: HashMap<ObjectId, Vec<Option<ObjectId>>> = HashMap::new();
        let mut listings: HashMap<Vec<Option<ObjectId>>, Arc<Listing>> = HashMap::new();
        let mut found = Vec::new();
        for info in walk.all().with_context(walk_failed)? {
            let info = info.with_context(walk_failed)?;
            let parents: Vec<ObjectId> = info.parent_ids.iter().copied().collect();
            let mut ids_of = |commit: ObjectId| -> anyhow::Result<Vec<Option<ObjectId>>> {
                if let Some(known) = ids.get(&commit) {
                    return Ok(known.clone());
                }
                let mut at = Vec::new();
                for path in paths {
                    at.push(self.entry_at(commit, path)?);
                }
                ids.insert(commit, at.clone());
                Ok(at)
            };
            let own = ids_of(info.id)?;
            let theirs = parents
                .iter()
                .map(|&p| ids_of(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let changed = match theirs.is_empty() {
                true => own.iter().any(Option::is_some),
                false => theirs.iter().all(|t| *t != own),
            };
            if !changed {
                continue;
            }
            let mut listing_of = |at: Vec<Option<ObjectId>>| -> anyhow::Result<Arc<Listing>> {
                if let Some(known) = listings.get(&at) {
                    return Ok(known.clone());
                }
                let mut files = Listing::new();
                for (path, id) in paths.iter().zip(&at) {
                    if let Some(id) = id {
                        self.rust_files(*id, path, &skip_folder, &mut files)?;
                    }
                }
                let files = Arc::new(files);
                listings.insert(at, files.clone());
                Ok(files)
            };
            let files = listing_of(own)?;
            let mut parent_listings = Vec::new();
            for at in theirs {
                parent_listings.push(listing_of(at)?);
            }
            // A change below the folder that touches no `.rs` file is no change of its code.
            if !parent_listings.is_empty() && parent_listings.contains(&files) {
                continue;
            }
            if parent_listings.is_empty() && files.is_empty() {
                continue;
            }
            let parent_files = parent_listings.first().cloned().unwrap_or_default();
            let touched = match parents.len() {
                0 | 1 => touched_paths(&parent_files, &files),
                _ => Vec::new(),
            };
            let message = self
                .repo
                .find_commit(info.id)
                .map(|c| String::from_utf8_lossy(c.message_raw_sloppy()).into_owned())
                .with_context(|| format!("cannot read commit {}", short(&info.id)))?;
            found.push(FolderCommit {
                id: info.id,
                parents,
                message,
                files,
                parent_files,
                touched,
            });
        }
        found.reverse();
        Ok(found)
    }

    /// The `.rs` files of the tree or blob `id` standing at `path`, into `out`; folders
    /// `skip_folder` names are left out.
    fn rust_files(
        &self,
        id: ObjectId,
        path: &str,
        skip_folder: &impl Fn(&str) -> bool,
        out: &mut Listing,
    ) -> anyhow::Result<()> {
        let object = self.repo.find_object(id)?;
        if object.kind != gix::object::Kind::Tree {
            if path.ends_with(".rs") {
                out.insert(path.to_owned(), id);
            }
            return Ok(());
        }
        let tree = object.into_tree();
        let decoded = tree.decode()?;
        for entry in &decoded.entries {
            let name = entry.filename.to_string();
            let full = format!("{path}/{name}");
            if entry.mode.is_tree() {
                if !skip_folder(&name) {
                    self.rust_files(entry.oid.to_owned(), &full, skip_folder, out)?;
                }
            } else if entry.mode.is_blob() && name.ends_with(".rs") && !name.starts_with('.') {
                out.insert(full, entry.oid.to_owned());
            }
        }
        Ok(())
    }

    /// The file `commit` deleted that its new file `blob` was renamed from: of the
    /// files in `parent` and not in `commit`, the one most like it, if alike enough.
    fn renamed_from(
        &self,
        parent: ObjectId,
        commit: ObjectId,
        blob: ObjectId,
    ) -> anyhow::Result<Option<(String, ObjectId)>> {
        let tree_of = |c: ObjectId| -> anyhow::Result<ObjectId> {
            Ok(self.repo.find_commit(c)?.tree_id()?.detach())
        };
        let mut deleted = Vec::new();
        self.deleted_files(tree_of(parent)?, Some(tree_of(commit)?), "", &mut deleted)?;
        if deleted.is_empty() {
            return Ok(None);
        }
        let new_text = self.repo.find_object(blob)?.detach().data;
        let mut best: Option<(f64, String, ObjectId)> = None;
        for (old_path, old_blob) in deleted {
            let old_text = self.repo.find_object(old_blob)?.detach().data;
            let score = line_similarity(&old_text, &new_text);
            if score >= RENAME_SIMILARITY && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, old_path, old_blob));
            }
        }
        Ok(best.map(|(_, p, b)| (p, b)))
    }

    /// Files of tree `old` missing from tree `new`, descending only into subtrees that differ.
    fn deleted_files(
        &self,
        old: ObjectId,
        new: Option<ObjectId>,
        prefix: &str,
        out: &mut Vec<(String, ObjectId)>,
    ) -> anyhow::Result<()> {
        let entries = |id: ObjectId| -> anyhow::Result<Vec<(String, ObjectId, bool)>> {
            let tree = self.repo.find_tree(id)?;
            let decoded = tree.decode()?;
            Ok(decoded
                .entries
                .iter()
                .filter(|e| e.mode.is_tree() || e.mode.is_blob())
                .map(|e| (e.filename.to_string(), e.oid.to_owned(), e.mode.is_tree()))
                .collect())
        };
        let new_entries = match new {
            Some(id) => entries(id)?,
            None => Vec::new(),
        };
        for (name, id, is_tree) in entries(old)? {
            let full = format!("{prefix}{name}");
            let counterpart = new_entries
                .iter()
                .find(|(n, _, t)| *n == name && *t == is_tree);
            match (is_tree, counterpart) {
                (_, Some((_, other, _))) if *other == id => {}
                (true, other) => {
                    self.deleted_files(id, other.map(|o| o.1), &format!("{full}/"), out)?
                }
                (false, Some(_)) => {}
                (false, None) => out.push((full, id)),
            }
        }
        Ok(())
    }
}

/// The paths whose blob differs between two listings, in path order.
fn touched_paths(before: &Listing, after: &Listing) -> Vec<String> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect()
}

/// The share of lines two texts have in common (as multisets), over the longer one's count.
fn line_similarity(a: &[u8], b: &[u8]) -> f64 {
    let mut counts: HashMap<&[u8], isize> = HashMap::new();
    let a_lines: Vec<&[u8]> = a.split(|&c| c == b'\n').collect();
    let b_lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    for line in &a_lines {
        *counts.entry(line).or_insert(0) += 1;
    }
    let mut common = 0;
    for line in &b_lines {
        if let Some(n) = counts.get_mut(line)
            && *n > 0
        {
            *n -= 1;
            common += 1;
        }
    }
    common as f64 / a_lines.len().max(b_lines.len()).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_counts_shared_lines_over_the_longer_text() {
        assert_eq!(line_similarity(b"a\nb\nc\nd", b"a\nb\nc\nd"), 1.0);
        assert_eq!(line_similarity(b"a\nb\nc\nd", b"a\nb\nx\ny"), 0.5);
        assert_eq!(line_similarity(b"a\na\na\na", b"a\nb\nc\nd"), 0.25);
        assert_eq!(line_similarity(b"", b""), 1.0);
    }
}
