//! Small git repositories built in process with gix, commit by commit, for history-mode tests:
//! blobs, nested trees, commits and refs are written directly, so no `git` binary, identity or
//! network is needed and every commit id is the same on every run.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::actor::Signature;
use gix::date::Time;
use gix::date::parse::TimeBuf;
use gix::objs::Tree;
use gix::objs::tree::{Entry, EntryKind};
use gix::refs::transaction::{PreviousValue, RefEdit};

/// The branch HEAD points at, whatever `init.defaultBranch` says on the machine.
const MAIN: &str = "refs/heads/main";

/// Commit time of the first commit (2023-11-14 22:13:20 UTC); each later commit is a minute on.
const BASE_TIME: i64 = 1_700_000_000;

/// Paths to file contents: a commit's whole tree.
type Files = BTreeMap<String, String>;

/// A git repository built commit by commit for history-mode tests.
pub struct TestRepo {
    path: PathBuf,
    repo: gix::Repository,
    /// The commit HEAD's branch points at; `None` until the first commit.
    head: Option<ObjectId>,
    /// HEAD's tree as paths to contents, which the next commit's changes apply to.
    files: Files,
    /// Every commit made here with its tree, so `reset_head` can restore the file map.
    snapshots: HashMap<ObjectId, Files>,
    /// Commits made so far, which sets the next commit's time.
    commits: i64,
}

impl TestRepo {
    /// A new non-bare repository (work tree with .git) in `dir` (which exists and is empty).
    pub fn init(dir: &Path) -> TestRepo {
        TestRepo::create(dir, gix::create::Kind::WithWorktree)
    }

    /// A new bare repository in `dir`.
    pub fn init_bare(dir: &Path) -> TestRepo {
        TestRepo::create(dir, gix::create::Kind::Bare)
    }

    fn create(dir: &Path, kind: gix::create::Kind) -> TestRepo {
        // Isolated: the user's and system's git config (init.defaultBranch, core.* settings) must
        // not shape the repository, or ids and the branch name would depend on the machine.
        let repo = gix::ThreadSafeRepository::init_opts(
            dir,
            kind,
            gix::create::Options::default(),
            gix::open::Options::isolated(),
        )
        .unwrap_or_else(|e| panic!("init a git repository in {}: {e:?}", dir.display()))
        .to_thread_local();
        let head = repo
            .head_name()
            .expect("read HEAD")
            .expect("a new repository's HEAD names a branch");
        assert_eq!(head.as_bstr(), MAIN);
        TestRepo {
            path: dir.to_path_buf(),
            repo,
            head: None,
            files: Files::new(),
            snapshots: HashMap::new(),
            commits: 0,
        }
    }

    /// The folder given to `init` or `init_bare`: the work tree, or the bare repository.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commits on top of HEAD (first commit has no parent): `changes` sets file contents by
    /// repo-relative path with `/` separators (Some(text)) or deletes them (None); every other
    /// file stays as in the parent. Returns the new commit's full hex id. Author and committer
    /// are fixed ("Test <test@example.com>") and the time is a fixed base plus one minute per
    /// commit, so ids are the same on every run. Updates HEAD's branch (refs/heads/main).
    /// The message is stored as given (git itself would end it with a newline).
    pub fn commit(&mut self, message: &str, changes: &[(&str, Option<&str>)]) -> String {
        self.commit_onto_head(message, None, changes)
    }

    /// A merge commit with two parents: HEAD and `other` (a commit id returned earlier), the
    /// tree being HEAD's tree with `changes` applied.
    pub fn merge(
        &mut self,
        message: &str,
        other: &str,
        changes: &[(&str, Option<&str>)],
    ) -> String {
        assert!(self.head.is_some(), "merge needs a commit on HEAD first");
        let other = self.known_commit(other);
        self.commit_onto_head(message, Some(other), changes)
    }

    /// Creates (or moves) the branch `refs/heads/<name>` to `commit`, an id returned earlier, so
    /// that commits stay reachable once HEAD's branch moves elsewhere.
    pub fn branch(&self, name: &str, commit: &str) {
        let id = self.known_commit(commit);
        let name = format!("refs/heads/{name}");
        self.update_ref(&name, id, false, &format!("branch: Created from {commit}"));
    }

    /// Moves HEAD's branch to `commit`, an id returned earlier, like `git reset --hard`: the
    /// next commit's parent and starting tree are that commit's, and a work tree is rewritten to
    /// match. With `branch`, this builds a side branch: keep the tip with `branch`, reset to
    /// the fork point, commit, then `merge` the kept tip.
    pub fn reset_head(&mut self, commit: &str) {
        let id = self.known_commit(commit);
        // Deref: the edit goes through HEAD to the branch it names, and HEAD stays symbolic.
        self.update_ref("HEAD", id, true, &format!("reset: moving to {commit}"));
        let files = self.snapshots[&id].clone();
        self.sync_worktree(&files);
        self.files = files;
        self.head = Some(id);
    }

    /// Writes a commit whose parents are HEAD (if any) then `merged`, and moves HEAD's branch.
    fn commit_onto_head(
        &mut self,
        message: &str,
        merged: Option<ObjectId>,
        changes: &[(&str, Option<&str>)],
    ) -> String {
        let mut files = self.files.clone();
        for &(path, content) in changes {
            check_path(path);
            match content {
                Some(text) => {
                    files.insert(path.to_owned(), text.to_owned());
                }
                None => assert!(
                    files.remove(path).is_some(),
                    "cannot delete {path}: HEAD has no such file"
                ),
            }
        }
        let tree = self.write_tree(&files);
        let parents: Vec<ObjectId> = self.head.into_iter().chain(merged).collect();

        let signature = self.signature();
        let mut time = TimeBuf::default();
        let signature = signature.to_ref(&mut time);
        // "HEAD" writes through to refs/heads/main, checking that it still is the first parent.
        let id = self
            .repo
            .commit_as(signature, signature, "HEAD", message, tree, parents)
            .unwrap_or_else(|e| panic!("commit {message:?}: {e:?}"))
            .detach();

        self.commits += 1;
        self.sync_worktree(&files);
        self.snapshots.insert(id, files.clone());
        self.files = files;
        self.head = Some(id);
        id.to_string()
    }

    /// Writes every file's blob and the tree objects of all folders; returns the root tree's id.
    fn write_tree(&self, files: &Files) -> ObjectId {
        let mut root = BTreeMap::new();
        for (path, content) in files {
            let blob = self.repo.write_blob(content).expect("write blob").detach();
            insert(&mut root, path, blob);
        }
        self.write_folder(&root)
    }

    fn write_folder(&self, folder: &BTreeMap<String, Node>) -> ObjectId {
        let mut entries: Vec<Entry> = folder
            .iter()
            .map(|(name, node)| {
                let (mode, oid) = match node {
                    Node::File(blob) => (EntryKind::Blob, *blob),
                    Node::Folder(children) => (EntryKind::Tree, self.write_folder(children)),
                };
                Entry {
                    mode: mode.into(),
                    filename: name.as_str().into(),
                    oid,
                }
            })
            .collect();
        // The map's order is plain byte order, but git compares a folder as if its name ended
        // in '/' ("a.rs" < "a/" < "a0"); `Entry`'s `Ord` is that order, and git (fsck) rejects
        // a tree in any other.
        entries.sort();
        self.repo
            .write_object(&Tree { entries })
            .expect("write tree")
            .detach()
    }

    /// The fixed author and committer, at the next commit's time.
    fn signature(&self) -> Signature {
        Signature {
            name: "Test".into(),
            email: "test@example.com".into(),
            time: Time::new(BASE_TIME + 60 * self.commits, 0),
        }
    }

    /// Points `name` at `id` whatever it pointed at before, logging as the fixed identity.
    fn update_ref(&self, name: &str, id: ObjectId, deref: bool, log_message: &str) {
        let full_name = name.try_into().expect("valid reference name");
        let edit =
            RefEdit::update(full_name, id, PreviousValue::Any, log_message).with_deref(deref);
        let signature = self.signature();
        let mut time = TimeBuf::default();
        // The reflog needs a committer, and the isolated config has none.
        self.repo
            .edit_references_as(Some(edit), Some(signature.to_ref(&mut time)))
            .unwrap_or_else(|e| panic!("update {name}: {e:?}"));
    }

    /// The id of a commit made here; panics on anything else, which is a mistake in the test.
    fn known_commit(&self, hex: &str) -> ObjectId {
        let id = ObjectId::from_hex(hex.as_bytes())
            .unwrap_or_else(|e| panic!("{hex:?} is not a full commit id: {e:?}"));
        assert!(
            self.snapshots.contains_key(&id),
            "{hex} is not a commit of this repository"
        );
        id
    }

    /// Makes a work tree hold `files` in place of `self.files`; a bare repository has none.
    fn sync_worktree(&self, files: &Files) {
        let Some(root) = self.repo.workdir() else {
            return;
        };
        // Deletions first: a deleted file may be where a new file's folder goes.
        for path in self.files.keys().filter(|path| !files.contains_key(*path)) {
            let file = root.join(path);
            std::fs::remove_file(&file)
                .unwrap_or_else(|e| panic!("remove {}: {e}", file.display()));
            // Drop the folders this emptied, as git does; `remove_dir` refuses a non-empty one.
            let mut folder = file.parent();
            while let Some(dir) = folder.filter(|dir| *dir != root) {
                if std::fs::remove_dir(dir).is_err() {
                    break;
                }
                folder = dir.parent();
            }
        }
        for (path, content) in files {
            if self.files.get(path) == Some(content) {
                continue;
            }
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().expect("a file has a folder"))
                .unwrap_or_else(|e| panic!("create the folder of {}: {e}", file.display()));
            std::fs::write(&file, content)
                .unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
        }
    }
}

/// A folder's entry while building trees: a file's blob, or a subfolder's entries by name.
enum Node {
    File(ObjectId),
    Folder(BTreeMap<String, Node>),
}

/// Files `blob` at `path` in `root`, creating the folders on the way.
fn insert(root: &mut BTreeMap<String, Node>, path: &str, blob: ObjectId) {
    let (folders, name) = match path.rsplit_once('/') {
        Some((folders, name)) => (Some(folders), name),
        None => (None, path),
    };
    let mut folder = root;
    for part in folders.into_iter().flat_map(|folders| folders.split('/')) {
        let node = folder
            .entry(part.to_owned())
            .or_insert_with(|| Node::Folder(BTreeMap::new()));
        folder = match node {
            Node::Folder(children) => children,
            Node::File(_) => panic!("{path}: {part} is a file, not a folder"),
        };
    }
    if let Some(Node::Folder(_)) = folder.insert(name.to_owned(), Node::File(blob)) {
        panic!("{path} is a folder, not a file");
    }
}

/// Rejects paths git would not store: empty parts, `.`, `..`, `.git`, a leading `/`, `\`, NUL.
fn check_path(path: &str) {
    let valid = path
        .split('/')
        .all(|part| !matches!(part, "" | "." | ".." | ".git") && !part.contains(['\\', '\0']));
    assert!(
        valid,
        "{path:?} is not a repo-relative path with / separators"
    );
}
