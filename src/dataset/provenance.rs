//! What the inputs were, for the manifest: each file's sha256 as it is on disk, whether it
//! starts with a byte-order mark (which `source.rs` leaves out of the text, so offsets on disk
//! are 3 bytes later), and the commit checked out in the git work tree that holds it, read from
//! `.git` without running git; and, for a dataset card, the `origin` URL of that repository.
//! One search finds the repository for both (`git_dirs`): a `.git` folder or file upward.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One input file as it is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub sha256: String,
    /// Whether the file starts with a UTF-8 byte-order mark.
    pub bom: bool,
    /// HEAD's commit in the work tree holding the file; None outside one.
    pub commit: Option<String>,
}

/// The sha256 of `bytes`, as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads `path` once for its hash and its first bytes, and finds its work tree's commit.
pub fn read(path: &Path) -> anyhow::Result<FileFacts> {
    let bytes =
        fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(FileFacts {
        sha256: sha256_hex(&bytes),
        bom: bytes.starts_with(b"\xef\xbb\xbf"),
        commit: git_commit(path),
    })
}

/// The git repository holding a path, as `.git` shows it: the work tree, the repository's own
/// folder (the work tree's `.git`, or where a `.git` file `gitdir: …` points, as in linked
/// worktrees and submodules), and the folder its branches and config live in (the main
/// repository's for a linked worktree, named by `commondir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitDirs {
    pub work_tree: PathBuf,
    pub git_dir: PathBuf,
    pub common_dir: PathBuf,
}

/// The git repository holding `path` (a file, or a folder: the folder itself may be the work
/// tree's root): the nearest `.git` upward. None outside a work tree, or where a `.git` file
/// names no folder.
pub fn git_dirs(path: &Path) -> Option<GitDirs> {
    let absolute = path.canonicalize().ok()?;
    let (work_tree, dot_git) = absolute
        .ancestors()
        .map(|folder| (folder, folder.join(".git")))
        .find(|(_, dot_git)| dot_git.exists())?;
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        let text = fs::read_to_string(&dot_git).ok()?;
        // A relative `gitdir:` (submodules write `../.git/modules/NAME`) is from the work tree.
        work_tree.join(text.strip_prefix("gitdir:")?.trim())
    };
    if !git_dir.is_dir() {
        return None;
    }
    let common_dir = match fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => git_dir.join(text.trim()),
        Err(_) => git_dir.clone(),
    };
    Some(GitDirs {
        work_tree: work_tree.to_path_buf(),
        git_dir,
        common_dir,
    })
}

/// The commit checked out in the git work tree holding `path` (see [`git_dirs`]): its HEAD,
/// and the branch HEAD names resolved through loose refs and `packed-refs`. None outside a
/// work tree, or on a branch with no commit yet.
pub fn git_commit(path: &Path) -> Option<String> {
    head_commit(&git_dirs(path)?)
}

/// Where the source at `root` comes from, for a dataset card: the `origin` remote's URL of the
/// git repository holding it, else that repository's work tree, else `root` itself.
pub fn source_repository(root: &Path) -> String {
    let Some(dirs) = git_dirs(root) else {
        let absolute = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        return absolute.display().to_string();
    };
    origin_url(&dirs.common_dir).unwrap_or_else(|| dirs.work_tree.display().to_string())
}

/// The `url` of `[remote "origin"]` in a repository's config.
fn origin_url(common_dir: &Path) -> Option<String> {
    let text = fs::read_to_string(common_dir.join("config")).ok()?;
    let mut in_origin = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_origin = line == "[remote \"origin\"]";
        } else if in_origin
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "url"
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

/// HEAD of a git folder: a detached commit, or the commit of the branch it names.
fn head_commit(dirs: &GitDirs) -> Option<String> {
    // A linked worktree keeps its own HEAD, and its branches in the common folder.
    let (git_dir, common) = (&dirs.git_dir, &dirs.common_dir);
    let mut content = fs::read_to_string(git_dir.join("HEAD")).ok()?;
    // A symbolic ref may name another; a few hops are all git itself follows in practice.
    for _ in 0..5 {
        let trimmed = content.trim();
        let Some(name) = trimmed.strip_prefix("ref:") else {
            return is_object_id(trimmed).then(|| trimmed.to_owned());
        };
        let name = name.trim();
        let loose = [git_dir, common]
            .iter()
            .find_map(|base| fs::read_to_string(base.join(name)).ok());
        content = match loose {
            Some(text) => text,
            None => return packed_ref(common, name),
        };
    }
    None
}

/// A ref's commit from `packed-refs`.
fn packed_ref(common: &Path, name: &str) -> Option<String> {
    let packed = fs::read_to_string(common.join("packed-refs")).ok()?;
    packed
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with('^'))
        .find_map(|line| {
            let (id, ref_name) = line.split_once(' ')?;
            (ref_name.trim() == name && is_object_id(id)).then(|| id.to_owned())
        })
}

/// A SHA-1 or SHA-256 object id in hex.
fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: PathBuf, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn head_is_followed_through_loose_and_packed_refs_and_detached() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let file = repo.join("src/lib.rs");
        write(file.clone(), "fn f() {}\n");
        write(repo.join(".git/HEAD"), "ref: refs/heads/main\n");
        // No commit yet on the branch.
        assert_eq!(git_commit(&file), None);
        write(
            repo.join(".git/packed-refs"),
            &format!("# pack-refs\n{B} refs/heads/other\n{A} refs/heads/main\n^{B}\n"),
        );
        assert_eq!(git_commit(&file).as_deref(), Some(A));
        write(repo.join(".git/refs/heads/main"), &format!("{B}\n"));
        assert_eq!(git_commit(&file).as_deref(), Some(B));
        write(repo.join(".git/HEAD"), &format!("{A}\n"));
        assert_eq!(git_commit(&file).as_deref(), Some(A));
        let outside = dir.path().join("loose.rs");
        write(outside.clone(), "");
        assert_eq!(git_commit(&outside), None);
        assert!(read(&outside).unwrap().commit.is_none());
    }

    #[test]
    fn a_linked_worktree_reads_its_own_head_and_the_common_branches() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        write(main.join(".git/HEAD"), "ref: refs/heads/main\n");
        write(main.join(".git/refs/heads/main"), &format!("{A}\n"));
        write(main.join(".git/refs/heads/topic"), &format!("{B}\n"));
        let admin = main.join(".git/worktrees/topic");
        write(admin.join("HEAD"), "ref: refs/heads/topic\n");
        write(admin.join("commondir"), "../..\n");
        let tree = dir.path().join("topic");
        write(tree.join(".git"), &format!("gitdir: {}\n", admin.display()));
        write(tree.join("a.rs"), "");
        assert_eq!(git_commit(&tree.join("a.rs")).as_deref(), Some(B));
    }

    #[test]
    fn a_byte_order_mark_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bom.rs");
        fs::write(&path, b"\xef\xbb\xbffn f() {}").unwrap();
        let facts = read(&path).unwrap();
        assert!(facts.bom);
        // The hash of the bytes on disk, mark included, as `sha256sum` gives it (without the
        // mark it would be 6a8ff5ba…).
        assert_eq!(
            facts.sha256,
            "7cf477ac38fc372d50bbcce41d6f7723436cf4507a455f707ae944e2ba559f7d"
        );
        fs::write(&path, b"fn f() {}\xef\xbb\xbf").unwrap();
        assert!(!read(&path).unwrap().bom, "a mark further on is not one");
    }

    /// Runs the git CLI in `dir` with the user's and system's config ignored and a fixed
    /// identity, and returns its stdout; panics, naming what failed, where git is missing.
    fn git(dir: &Path, args: &[&str]) -> String {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            // Set when the tests run inside a git hook, and would point git elsewhere.
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
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Cross-checked against git itself, in repositories git makes here: a branch's loose ref,
    /// the same ref once packed, a detached HEAD, a linked worktree on its own branch, and a
    /// SHA-256 repository.
    #[test]
    fn the_commit_is_the_one_git_reports() {
        let dir = tempfile::tempdir().unwrap();
        for format in ["sha1", "sha256"] {
            let repo = dir.path().join(format);
            write(repo.join("src/lib.rs"), "fn f() {}\n");
            git(
                dir.path(),
                &[
                    "init",
                    "-q",
                    "-b",
                    "main",
                    "--object-format",
                    format,
                    format,
                ],
            );
            git(&repo, &["add", "."]);
            git(&repo, &["commit", "-q", "-m", "first"]);
            let file = repo.join("src/lib.rs");
            let head = git(&repo, &["rev-parse", "HEAD"]);
            assert_eq!(head.len(), if format == "sha1" { 40 } else { 64 });
            assert_eq!(git_commit(&file).as_deref(), Some(head.as_str()), "loose");
            git(&repo, &["pack-refs", "--all"]);
            assert!(!repo.join(".git/refs/heads/main").exists());
            assert_eq!(git_commit(&file).as_deref(), Some(head.as_str()), "packed");

            git(&repo, &["commit", "-q", "--allow-empty", "-m", "second"]);
            let second = git(&repo, &["rev-parse", "HEAD"]);
            assert_ne!(second, head);
            assert_eq!(git_commit(&file).as_deref(), Some(second.as_str()), "moved");
            git(&repo, &["checkout", "-q", "--detach", &head]);
            assert_eq!(
                git_commit(&file).as_deref(),
                Some(head.as_str()),
                "detached"
            );

            let linked = dir.path().join(format!("{format}-topic"));
            let linked_arg = linked.display().to_string();
            git(
                &repo,
                &["worktree", "add", "-q", "-b", "topic", &linked_arg, &second],
            );
            git(&linked, &["commit", "-q", "--allow-empty", "-m", "topic"]);
            let topic = git(&linked, &["rev-parse", "HEAD"]);
            let linked_file = linked.join("src/lib.rs");
            assert_eq!(
                git_commit(&linked_file).as_deref(),
                Some(topic.as_str()),
                "worktree"
            );
            assert_eq!(
                git_commit(&file).as_deref(),
                Some(head.as_str()),
                "main tree"
            );
        }
    }

    /// The card's repository URL comes from the config of the repository found the way the
    /// commit is: from a subfolder, through a linked worktree's `.git` file to the main
    /// repository's config, and through a submodule's relative `gitdir:` to its own config.
    /// (It read `.git/config` by hand, so a linked worktree or a submodule got a folder path.)
    #[test]
    fn the_card_repository_follows_a_git_file_to_the_config_that_names_origin() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        let config = "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://example.com/fork\n\
                      [remote \"origin\"]\n\turl = https://example.com/main.git\n";
        write(main.join(".git/config"), config);
        write(main.join(".git/HEAD"), "ref: refs/heads/main\n");
        write(main.join("server/src/lib.rs"), "");
        let origin = "https://example.com/main.git";
        assert_eq!(source_repository(&main), origin, "work tree root");
        assert_eq!(
            source_repository(&main.join("server/src")),
            origin,
            "subfolder"
        );

        let admin = main.join(".git/worktrees/topic");
        write(admin.join("HEAD"), &format!("{A}\n"));
        write(admin.join("commondir"), "../..\n");
        let topic = dir.path().join("topic");
        write(
            topic.join(".git"),
            &format!("gitdir: {}\n", admin.display()),
        );
        write(topic.join("server/src/lib.rs"), "");
        assert_eq!(
            source_repository(&topic.join("server")),
            origin,
            "linked worktree"
        );

        let modules = main.join(".git/modules/vendored");
        write(modules.join("HEAD"), &format!("{B}\n"));
        write(
            modules.join("config"),
            "[remote \"origin\"]\n\turl = https://example.com/vendored.git\n",
        );
        let submodule = main.join("vendored");
        write(submodule.join(".git"), "gitdir: ../.git/modules/vendored\n");
        write(submodule.join("src/lib.rs"), "");
        assert_eq!(
            source_repository(&submodule.join("src")),
            "https://example.com/vendored.git",
            "submodule"
        );
        assert_eq!(
            git_commit(&submodule.join("src/lib.rs")).as_deref(),
            Some(B)
        );

        // No origin: the work tree's folder, found from below as well.
        let bare_config = dir.path().join("plain");
        write(bare_config.join(".git/HEAD"), "ref: refs/heads/main\n");
        write(bare_config.join("src/lib.rs"), "");
        let plain = bare_config.canonicalize().unwrap().display().to_string();
        assert_eq!(source_repository(&bare_config.join("src")), plain);
    }

    /// A crate at the root of its work tree: its own `.git` holds the commit (the search
    /// started at the folder's parent, so a root crate had no commit on its card).
    #[test]
    fn a_folder_at_the_work_tree_root_has_its_commit() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        write(repo.join(".git/HEAD"), &format!("{A}\n"));
        write(repo.join("src/lib.rs"), "");
        assert_eq!(git_commit(&repo).as_deref(), Some(A));
    }
}
