//! A folder's history: the commits that changed a `.rs` file under the followed folders, each
//! commit's versions of every file it touched, the profile's selection run over the whole
//! folder at each version (as crate mode runs it over a crate), and the items paired across the
//! files a commit touched, so that an item moved to another file (a module split in two) is
//! followed as the same item.
//!
//! Selection at a version: every file's router is searched for the profile's roots (the focus
//! glob names today's file, and a history must find the router wherever it stood then); a root
//! routed to another module's handler makes that module's file a file with roots; from the
//! files with roots, selection follows resolved calls one hop into the folder's other files
//! ([`tree::select_across_files`]). Each file's summary is made once per blob, each file's items
//! once per blob and selection, all in parallel.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;
use rayon::prelude::*;

use crate::extract::select::{Reason, RootRule};
use crate::extract::source::{self, SourceFile};
use crate::extract::tree::{self, FileSummary, Pick};
use crate::history::git::{FolderCommit, Listing, Repo};
use crate::history::{
    CommitRow, Dropped, HistoryOptions, HistoryRules, Mechanical, Pair, Placed, Version,
    VersionItem, changed_items, commit_message, pair_by_name, pair_renamed, same_item,
    token_similarity, without_path_prefixes, without_visibility,
};

/// How alike (Jaccard similarity of adjacent-token pairs) an item deleted from one file must be
/// to one of the same kind and name added to another in the same commit to be that item moved.
/// Measured on svix-server: in the split of the endpoint module (56ec5a338) the 30 items of
/// `endpoint.rs` that reappear by kind and name in its five new files score 0.67 (`router`,
/// which gained routes as it moved) to 1.0 (18 unchanged; 11 at 0.96 to 0.985, whose only edit
/// is `pub(super)`), and no other commit of `v1/endpoints`' history deletes an item from one
/// file and adds its namesake to another; unrelated namesakes, the `router` functions of two
/// endpoint modules at HEAD, score 0.08 to 0.39. Half keeps every move and no namesake.
pub const MOVE_SIMILARITY: f64 = 0.5;

/// A file version: its path and blob.
type FileKey = (String, ObjectId);

/// Each file version's items under each selection it was read with.
type ReadItems = BTreeMap<FileKey, Vec<(FileChoice, Result<Version, String>)>>;

/// What one file of a folder's version contributes to selection besides the roots its own
/// router registers: the roots another file's router routes to it, and the items other files
/// reach in it (each pick's `file` is 0: it names no place in a list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChoice {
    pub roots: Vec<(String, Reason)>,
    pub picks: Vec<Pick>,
}

/// A folder's commits and every file version they name, read.
pub struct FolderVersions {
    pub commits: Vec<FolderCommit>,
    /// For each version of the folder, what each of its files contributes to selection; a file
    /// that contributes nothing (no root of its own, none routed to it, nothing picked) is not
    /// in it.
    choices: BTreeMap<Arc<Listing>, BTreeMap<String, FileChoice>>,
    versions: ReadItems,
    /// File versions that could not be read or parsed, with why.
    unreadable: BTreeMap<FileKey, String>,
}

/// Whether the run follows folders: some `--path` is a folder at `--until`.
pub fn follows_folders(repo: &Repo, options: &HistoryOptions) -> anyhow::Result<bool> {
    let until = repo.resolve(&options.until)?;
    for path in &options.paths {
        if repo.is_folder_at(until, path)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The folder's commits (see [`Repo::folder_history`]), selection run over the folder at each
/// version before and after them, and the items of every file they touched read with
/// `summarize` (parse, select with the file's [`FileChoice`], facts; given the file's pieces
/// read before when they all parse alone), each once, in parallel.
pub fn read_folder(
    repo: &Repo,
    options: &HistoryOptions,
    progress: &tree::ProgressHook,
    root_rules: &[RootRule],
    summarize: impl Fn(SourceFile, &FileChoice, Option<&[tree::PieceAt]>) -> anyhow::Result<Version>
    + Sync,
) -> anyhow::Result<FolderVersions> {
    let until = repo.resolve(&options.until)?;
    let since = options
        .since
        .as_deref()
        .map(|rev| repo.resolve(rev))
        .transpose()?;
    let skip = |name: &str| name.starts_with('.') || tree::SKIPPED_FOLDERS.contains(&name);
    let commits = repo.folder_history(&options.paths, until, since, skip)?;
    let states: BTreeSet<Arc<Listing>> = commits
        .iter()
        .filter(|c| !c.is_merge())
        .flat_map(|c| [c.files.clone(), c.parent_files.clone()])
        .collect();
    let texts = read_texts(repo, &commits)?;
    let summarizer = Summarizer::new(&texts, root_rules, progress)?;
    let keys: Vec<Summarized> = texts.keys().map(|k| (k, &[][..])).collect();
    let made = summarizer.summaries(&keys)?;
    let summaries: BTreeMap<FileKey, Result<FileSummary, String>> =
        keys.iter().map(|(k, _)| (*k).clone()).zip(made).collect();
    let mut unreadable: BTreeMap<FileKey, String> = BTreeMap::new();
    for (key, summary) in &summaries {
        if let Err(why) = summary {
            unreadable.insert(key.clone(), why.clone());
        }
    }
    let choices = select_in_states(&states, &summaries, &summarizer)?;
    drop(summaries);
    let versions = read_items(&commits, &choices, &summarizer, progress, &summarize)?;
    Ok(FolderVersions {
        commits,
        choices,
        versions,
        unreadable,
    })
}

/// A file version's text, or why it cannot be read; keyed by (path, blob).
type Texts = BTreeMap<FileKey, Result<SourceFile, String>>;

/// Every file version the commits name (at each commit and its first parent; a merge's none),
/// read once.
fn read_texts(repo: &Repo, commits: &[FolderCommit]) -> anyhow::Result<Texts> {
    let mut wanted: BTreeMap<FileKey, ObjectId> = BTreeMap::new();
    for commit in commits.iter().filter(|c| !c.is_merge()) {
        for (path, blob) in commit.files.iter() {
            wanted.insert((path.clone(), *blob), commit.id);
        }
        if let Some(&parent) = commit.parents.first() {
            for (path, blob) in commit.parent_files.iter() {
                wanted.entry((path.clone(), *blob)).or_insert(parent);
            }
        }
    }
    let asked: Vec<(ObjectId, &str, ObjectId)> = wanted
        .iter()
        .map(|((path, blob), commit)| (*blob, path.as_str(), *commit))
        .collect();
    let read = repo.texts(&asked);
    drop(asked);
    let mut texts = Texts::new();
    for (((path, blob), _), text) in wanted.into_iter().zip(read) {
        let text = text
            .map(|text| SourceFile::from_text(std::path::Path::new(&path), text))
            .map_err(|e| format!("{e:#}"));
        texts.insert((path, blob), text);
    }
    Ok(texts)
}

/// The module path of a file of the folder: counted from the last `src` folder above it, as
/// crate mode counts from the crate's `src/`; from its own folder when there is none.
fn module_of(path: &str) -> Vec<String> {
    let file = std::path::Path::new(path);
    let base = file
        .ancestors()
        .skip(1)
        .find(|folder| folder.file_name().is_some_and(|n| n == "src"))
        .or_else(|| file.parent())
        .unwrap_or(std::path::Path::new(""));
    tree::module_path(base, file).unwrap_or_default()
}

/// Roots routed to a file from another file's router, each with why.
type Roots = Vec<(String, Reason)>;

/// A file version to summarize, and the roots routed to it from another file's router.
type Summarized<'a> = (&'a FileKey, &'a [(String, Reason)]);

/// Makes file versions' summaries (as focus files', see [`tree::summarize_source`]) out of
/// their pieces (runs of whole items, see [`tree::summarize_piece`]): a history reads many
/// versions of a file that share most of their items, and each distinct piece is parsed once.
/// A file one of whose pieces does not parse alone is summarized whole.
struct Summarizer<'a> {
    texts: &'a Texts,
    root_rules: &'a [RootRule],
    interner: tree::Interner,
    /// Every distinct piece read (None: it does not parse alone).
    pieces: Vec<Option<tree::PieceSummary>>,
    /// Each file version's pieces, in file order: where each starts, and which it is.
    of_file: BTreeMap<&'a FileKey, Vec<(usize, usize)>>,
}

impl<'a> Summarizer<'a> {
    /// Cuts every file version into pieces and reads each distinct one, in parallel.
    fn new(
        texts: &'a Texts,
        root_rules: &'a [RootRule],
        progress: &tree::ProgressHook,
    ) -> anyhow::Result<Summarizer<'a>> {
        let pool = source::pool()?;
        // Where each version is cut, side by side; then each distinct piece numbered, in order.
        let cut: Vec<(&FileKey, &str, Vec<std::ops::Range<usize>>)> = pool.install(|| {
            texts
                .par_iter()
                .filter_map(|(key, file)| {
                    let text = file.as_ref().ok()?.text.as_str();
                    Some((key, text, tree::piece_bounds(text)))
                })
                .collect()
        });
        let mut distinct: std::collections::HashMap<&str, usize> = Default::default();
        let mut pieces: Vec<&str> = Vec::new();
        let mut of_file = BTreeMap::new();
        for (key, text, bounds) in cut {
            let ids = bounds
                .into_iter()
                .map(|range| {
                    let start = range.start;
                    let piece = &text[range];
                    let id = *distinct.entry(piece).or_insert_with(|| {
                        pieces.push(piece);
                        pieces.len() - 1
                    });
                    (start, id)
                })
                .collect();
            of_file.insert(key, ids);
        }
        let interner = tree::Interner::default();
        let total = pieces.len();
        let done = AtomicUsize::new(0);
        let read = pool.install(|| {
            pieces
                .par_iter()
                .map(|text| {
                    let piece = tree::summarize_piece(text, root_rules, &interner).ok();
                    // Each parsed text stays in this thread's span table otherwise.
                    proc_macro2::extra::invalidate_current_thread_spans();
                    progress.report(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    piece
                })
                .collect()
        });
        Ok(Summarizer {
            texts,
            root_rules,
            interner,
            pieces: read,
            of_file,
        })
    }

    /// The summaries of file versions, in the order given, in parallel; a file that cannot be
    /// read or parsed gives why.
    fn summaries(&self, keys: &[Summarized]) -> anyhow::Result<Vec<Result<FileSummary, String>>> {
        Ok(source::pool()?.install(|| {
            keys.par_iter()
                .map(|&(key, roots)| self.summary(key, roots))
                .collect()
        }))
    }

    /// A file version's pieces, if every one of them parses alone.
    fn pieces_of(&self, key: &FileKey) -> Option<Vec<tree::PieceAt<'_>>> {
        let ids = self.of_file.get(key)?;
        ids.iter()
            .map(|&(start, id)| {
                let summary = self.pieces[id].as_ref()?;
                Some(tree::PieceAt { start, summary })
            })
            .collect()
    }

    fn summary(&self, key: &FileKey, roots: &[(String, Reason)]) -> Result<FileSummary, String> {
        let file = self.texts[key].as_ref().map_err(Clone::clone)?;
        let focus = tree::Focus {
            is_focus: true,
            root_rules: self.root_rules,
            roots,
        };
        let module = module_of(&key.0);
        let pieces: Option<Vec<&tree::PieceSummary>> = self
            .pieces_of(key)
            .map(|pieces| pieces.iter().map(|p| p.summary).collect());
        match pieces {
            Some(pieces) => Ok(tree::summary_of_pieces(
                &file.path,
                module,
                &pieces,
                &focus,
                &self.interner,
            )),
            None => {
                let summary = tree::summarize_source(file, module, &focus, &self.interner, false);
                proc_macro2::extra::invalidate_current_thread_spans();
                summary.map_err(|e| e.to_string())
            }
        }
    }
}

/// One version of the folder's readable files (their keys and summaries, in path order) and
/// the roots its routers route to each, by index.
type StateFiles = (Vec<FileKey>, Vec<FileSummary>, BTreeMap<usize, Roots>);

/// Selection over each version of the folder: what each file contributes ([`FileChoice`]).
fn select_in_states(
    states: &BTreeSet<Arc<Listing>>,
    summaries: &BTreeMap<FileKey, Result<FileSummary, String>>,
    summarizer: &Summarizer,
) -> anyhow::Result<BTreeMap<Arc<Listing>, BTreeMap<String, FileChoice>>> {
    let states: Vec<&Arc<Listing>> = states.iter().collect();
    let pool = source::pool()?;
    // First the roots each version's routers route to another file, whose summaries are then
    // made again with them (each file version and its roots once).
    let plain: Vec<StateFiles> = pool.install(|| {
        states
            .par_iter()
            .map(|state| {
                let (keys, list): (Vec<FileKey>, Vec<FileSummary>) =
                    readable(state, summaries).into_iter().unzip();
                let routed = tree::routed_files(&list, &with_roots(&list))
                    .into_iter()
                    .map(|(file, routed)| (file, routed.roots))
                    .collect();
                (keys, list, routed)
            })
            .collect()
    });
    let mut again: Vec<(FileKey, Roots)> = Vec::new();
    for (keys, _, routed) in &plain {
        for (&file, roots) in routed {
            let key = (keys[file].clone(), roots.clone());
            if !again.contains(&key) {
                again.push(key);
            }
        }
    }
    let keys: Vec<Summarized> = again.iter().map(|(k, r)| (k, r.as_slice())).collect();
    let made = summarizer.summaries(&keys)?;
    let rooted: Vec<Rooted> = keys.into_iter().zip(made).collect();
    let chosen: Vec<BTreeMap<String, FileChoice>> = pool.install(|| {
        plain
            .into_par_iter()
            .map(|(keys, list, routed)| choices_in(keys, list, &routed, &rooted))
            .collect()
    });
    Ok(states.into_iter().cloned().zip(chosen).collect())
}

/// The summaries of a version's files that could be read, in path order.
fn readable(
    state: &Listing,
    summaries: &BTreeMap<FileKey, Result<FileSummary, String>>,
) -> Vec<(FileKey, FileSummary)> {
    state
        .iter()
        .filter_map(|(path, blob)| {
            let key = (path.clone(), *blob);
            match summaries.get(&key) {
                Some(Ok(summary)) => Some((key, summary.clone())),
                _ => None,
            }
        })
        .collect()
}

/// The files whose router registers a root (their own handler, or another module's).
fn with_roots(files: &[FileSummary]) -> Vec<usize> {
    (0..files.len())
        .filter(|&f| !files[f].selected.is_empty() || !files[f].foreign_roots.is_empty())
        .collect()
}

/// A file version summarized again with the roots routed to it.
type Rooted<'a> = (Summarized<'a>, Result<FileSummary, String>);

/// What each file of one version contributes, given the roots routed into it and the
/// summaries made again with them.
fn choices_in(
    keys: Vec<FileKey>,
    mut list: Vec<FileSummary>,
    routed: &BTreeMap<usize, Roots>,
    rooted: &[Rooted],
) -> BTreeMap<String, FileChoice> {
    let mut focus = with_roots(&list);
    for (&file, roots) in routed {
        let again = rooted
            .iter()
            .find(|((k, r), _)| **k == keys[file] && *r == roots.as_slice());
        if let Some((_, Ok(summary))) = again {
            list[file] = summary.clone();
        }
        if !focus.contains(&file) {
            focus.push(file);
        }
    }
    focus.sort_unstable();
    let picks = tree::select_across_files(&list, &focus, 1);
    let mut choices: BTreeMap<String, FileChoice> = BTreeMap::new();
    for (file, key) in keys.iter().enumerate() {
        let mut choice = FileChoice {
            roots: routed.get(&file).cloned().unwrap_or_default(),
            picks: Vec::new(),
        };
        for pick in picks.iter().filter(|p| p.file == file) {
            choice.picks.push(Pick {
                file: 0,
                ..pick.clone()
            });
        }
        if !list[file].selected.is_empty() || !choice.roots.is_empty() || !choice.picks.is_empty() {
            choices.insert(key.0.clone(), choice);
        }
    }
    choices
}

/// The items of every file version a commit touched, on both sides, read with `summarize`
/// under the selection of the folder's version it stands in; each (file version, selection)
/// once, in parallel.
fn read_items(
    commits: &[FolderCommit],
    choices: &BTreeMap<Arc<Listing>, BTreeMap<String, FileChoice>>,
    summarizer: &Summarizer,
    progress: &tree::ProgressHook,
    summarize: &(
         impl Fn(SourceFile, &FileChoice, Option<&[tree::PieceAt]>) -> anyhow::Result<Version> + Sync
     ),
) -> anyhow::Result<ReadItems> {
    let mut wanted: Vec<(FileKey, &FileChoice)> = Vec::new();
    for commit in commits.iter().filter(|c| !c.is_merge()) {
        for state in [&commit.parent_files, &commit.files] {
            for path in &commit.touched {
                let (Some(blob), Some(choice)) = (state.get(path), choice_of(choices, state, path))
                else {
                    continue;
                };
                let key = (path.clone(), *blob);
                if !wanted.iter().any(|(k, c)| *k == key && *c == choice) {
                    wanted.push((key, choice));
                }
            }
        }
    }
    let total = wanted.len();
    let done = AtomicUsize::new(0);
    let pool = source::pool()?;
    let read: Vec<(FileKey, FileChoice, Result<Version, String>)> = pool.install(|| {
        wanted
            .into_par_iter()
            .map(|(key, choice)| {
                let pieces = summarizer.pieces_of(&key);
                let version = match &summarizer.texts[&key] {
                    Ok(file) => summarize(file.clone(), choice, pieces.as_deref())
                        .map_err(|e| format!("{e:#}")),
                    Err(why) => Err(why.clone()),
                };
                proc_macro2::extra::invalidate_current_thread_spans();
                progress.report(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                (key, choice.clone(), version)
            })
            .collect()
    });
    let mut versions = ReadItems::new();
    for (key, choice, version) in read {
        versions.entry(key).or_default().push((choice, version));
    }
    Ok(versions)
}

/// What `path` contributes to selection in the folder's version `state`, if anything.
fn choice_of<'c>(
    choices: &'c BTreeMap<Arc<Listing>, BTreeMap<String, FileChoice>>,
    state: &Arc<Listing>,
    path: &str,
) -> Option<&'c FileChoice> {
    choices.get(state).and_then(|files| files.get(path))
}

impl FolderVersions {
    /// The version of `path` in the folder's version `state` with its selected items; None
    /// when the file is absent there or contributes nothing to selection; why it cannot be
    /// read otherwise.
    fn version(&self, state: &Arc<Listing>, path: &str) -> Result<Option<&Version>, Dropped> {
        let Some(blob) = state.get(path) else {
            return Ok(None);
        };
        let key = (path.to_owned(), *blob);
        if let Some(why) = self.unreadable.get(&key) {
            return Err(Dropped::Unreadable(why.clone()));
        }
        let Some(choice) = choice_of(&self.choices, state, path) else {
            return Ok(None);
        };
        let read = self
            .versions
            .get(&key)
            .and_then(|all| all.iter().find(|(c, _)| c == choice));
        match read {
            Some((_, Ok(version))) => Ok(Some(version)),
            Some((_, Err(why))) => Err(Dropped::Unreadable(why.clone())),
            None => Err(Dropped::Unreadable(format!("{path} was not read"))),
        }
    }
}

/// One side of a commit: every selected item of the files it touched, each with its version,
/// by path and then in file order.
fn side<'v>(
    read: &'v FolderVersions,
    state: &Arc<Listing>,
    touched: &[String],
) -> Result<Vec<Placed<'v>>, Dropped> {
    let mut placed = Vec::new();
    for path in touched {
        if let Some(version) = read.version(state, path)? {
            placed.extend(version.items.iter().map(|item| Placed { version, item }));
        }
    }
    Ok(placed)
}

/// What a commit did to the folder's items, as indices into its two sides.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FolderDiff {
    /// (before, after): same file, tokens or name changed; or moved to another file and changed.
    pub changed: Vec<(usize, usize)>,
    /// (before, after): moved to another file unchanged.
    pub moved: Vec<(usize, usize)>,
    pub added: Vec<usize>,
    pub removed: Vec<usize>,
}

/// Pairs the items of a commit's two sides: in each file by kind and name; then an item gone
/// from one file with one of the same kind and name come into another whose tokens are alike
/// ([`MOVE_SIMILARITY`]), the most alike first (a move); then in each file a rename. A move
/// whose tokens are equal, or differ only in visibility (and with `paths_mechanical`, in how
/// paths are qualified), is unchanged: moving code between modules does both.
pub(crate) fn diff(before: &[Placed], after: &[Placed], paths_mechanical: bool) -> FolderDiff {
    let path_of = |p: &Placed| p.version.source.path.clone();
    let paths: BTreeSet<std::path::PathBuf> = before.iter().chain(after).map(path_of).collect();
    let mut taken = vec![false; before.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut unmatched: BTreeMap<&std::path::PathBuf, Vec<usize>> = BTreeMap::new();
    for path in &paths {
        let (b_at, b_items) = in_file(before, path);
        let (a_at, a_items) = in_file(after, path);
        let mut file_taken = vec![false; b_items.len()];
        let (found, left) = pair_by_name(&b_items, &a_items, &mut file_taken);
        for (b, a) in found {
            let b = b_at[b.unwrap_or_default()];
            taken[b] = true;
            pairs.push((b, a_at[a]));
        }
        unmatched.insert(path, left.into_iter().map(|a| a_at[a]).collect());
    }
    let mut moves = moved_items(before, after, &unmatched, &mut taken);
    let moved_to: BTreeSet<usize> = moves.iter().map(|&(_, a)| a).collect();
    let mut added = Vec::new();
    for (path, left) in &unmatched {
        let (b_at, b_items) = in_file(before, path);
        let (a_at, a_items) = in_file(after, path);
        let left: Vec<usize> = left
            .iter()
            .filter(|a| !moved_to.contains(a))
            .copied()
            .collect();
        let local: Vec<usize> = left
            .iter()
            .map(|a| a_at.iter().position(|x| x == a).unwrap_or_default())
            .collect();
        let mut file_taken: Vec<bool> = b_at.iter().map(|&b| taken[b]).collect();
        for (b, a) in pair_renamed(&b_items, &a_items, &local, &mut file_taken) {
            match b {
                Some(b) => {
                    taken[b_at[b]] = true;
                    pairs.push((b_at[b], a_at[a]));
                }
                None => added.push(a_at[a]),
            }
        }
    }
    // Moving an item into another module widens its visibility and requalifies its paths;
    // neither changes what it does.
    let form = |tokens: &str| {
        let tokens = without_visibility(tokens);
        match paths_mechanical {
            true => without_path_prefixes(&tokens),
            false => tokens,
        }
    };
    let unchanged = |b: usize, a: usize| {
        let (old, new) = (before[b].item, after[a].item);
        old.tokens == new.tokens || form(&old.tokens) == form(&new.tokens)
    };
    let (kept, changed_moves): (Vec<_>, Vec<_>) =
        moves.drain(..).partition(|&(b, a)| unchanged(b, a));
    let mut changed: Vec<(usize, usize)> = pairs
        .into_iter()
        .filter(|&(b, a)| {
            let (old, new) = (before[b].item, after[a].item);
            old.tokens != new.tokens || old.name != new.name
        })
        .chain(changed_moves)
        .collect();
    changed.sort_by_key(|&(_, a)| a);
    added.sort_unstable();
    let mut moved = kept;
    moved.sort_by_key(|&(_, a)| a);
    FolderDiff {
        changed,
        moved,
        added,
        removed: (0..before.len()).filter(|&b| !taken[b]).collect(),
    }
}

/// The items of one file among a side's, with their indices in the side.
fn in_file<'v>(side: &[Placed<'v>], path: &std::path::Path) -> (Vec<usize>, Vec<&'v VersionItem>) {
    side.iter()
        .enumerate()
        .filter(|(_, p)| p.version.source.path == path)
        .map(|(i, p)| (i, p.item))
        .unzip()
}

/// Items gone from one file paired with items of the same kind and name come into another:
/// every candidate pair alike enough, the most alike first, each item in one pair.
fn moved_items(
    before: &[Placed],
    after: &[Placed],
    unmatched: &BTreeMap<&std::path::PathBuf, Vec<usize>>,
    taken: &mut [bool],
) -> Vec<(usize, usize)> {
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for (path, left) in unmatched {
        for &a in left {
            for (b, old) in before.iter().enumerate() {
                if taken[b]
                    || old.version.source.path == **path
                    || !same_item(old.item, after[a].item)
                {
                    continue;
                }
                let score = token_similarity(&old.item.tokens, &after[a].item.tokens);
                if score >= MOVE_SIMILARITY {
                    candidates.push((score, b, a));
                }
            }
        }
    }
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let mut moved_to = BTreeSet::new();
    let mut moves = Vec::new();
    for (_, b, a) in candidates {
        if !taken[b] && moved_to.insert(a) {
            taken[b] = true;
            moves.push((b, a));
        }
    }
    moves
}

/// One commit's row for `--list` (`shown`: the followed paths), and what it did to the
/// profile's items across the files it touched, or why it gives no example.
pub fn pair_commit<'v>(
    commit: &FolderCommit,
    read: &'v FolderVersions,
    rules: &HistoryRules,
    shown: &str,
) -> (CommitRow, Result<Pair<'v>, Dropped>) {
    let message = commit_message::clean(&commit.message);
    let mut row = CommitRow {
        short: commit.short_id(),
        subject: message.subject.clone(),
        path: shown.to_owned(),
        added: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
        moved: Vec::new(),
        outcome: Ok(0),
    };
    if commit.is_merge() {
        return (row, Err(Dropped::Merge));
    }
    if commit_message::is_revert(&commit.message) {
        return (row, Err(Dropped::Revert));
    }
    let sides = side(read, &commit.parent_files, &commit.touched)
        .and_then(|b| Ok((b, side(read, &commit.files, &commit.touched)?)));
    let (before, after) = match sides {
        Ok(sides) => sides,
        Err(why) => return (row, Err(why)),
    };
    let paths_mechanical = rules.mechanical.contains(&Mechanical::Paths);
    let diff = diff(&before, &after, paths_mechanical);
    fill_row(&mut row, &diff, &before, &after);
    if let Err(why) = why_dropped(commit, &diff, &before, &after, &message, rules) {
        return (row, Err(why));
    }
    let parent = commit
        .parents
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let changed = (!diff.changed.is_empty()).then(|| {
        let mut pairs: Vec<(Placed, Placed)> = diff
            .changed
            .iter()
            .map(|&(b, a)| (before[b], after[a]))
            .collect();
        pairs.sort_by_key(|(_, a)| place(a));
        changed_items(&pairs, &parent)
    });
    let mut added: Vec<Placed> = diff.added.iter().map(|&a| after[a]).collect();
    added.sort_by_key(place);
    let pair = Pair {
        text: message.text(),
        commit: commit.id.to_string(),
        parent,
        changed,
        added,
    };
    (row, Ok(pair))
}

/// Where an item stands: its file, then its offset.
fn place(p: &Placed) -> (std::path::PathBuf, usize) {
    (p.version.source.path.clone(), p.item.bytes.start)
}

/// The `--list` row's names: changed (`old→new` when renamed), added, removed, moved.
fn fill_row(row: &mut CommitRow, diff: &FolderDiff, before: &[Placed], after: &[Placed]) {
    let name = |p: &Placed| p.item.name.clone();
    row.changed = diff
        .changed
        .iter()
        .map(|&(b, a)| match (name(&before[b]), name(&after[a])) {
            (old, new) if old != new => format!("{old}→{new}"),
            (_, new) => new,
        })
        .collect();
    row.added = diff.added.iter().map(|&a| name(&after[a])).collect();
    row.removed = diff.removed.iter().map(|&b| name(&before[b])).collect();
    row.moved = diff.moved.iter().map(|&(_, a)| name(&after[a])).collect();
}

/// Why a commit whose files could be read gives no example: it removes every file of the
/// folder, changes and adds no item (only moves them, or not even that), brings the whole
/// folder in, only requalifies paths (when the rules say so), or its message is too short.
fn why_dropped(
    commit: &FolderCommit,
    diff: &FolderDiff,
    before: &[Placed],
    after: &[Placed],
    message: &commit_message::Cleaned,
    rules: &HistoryRules,
) -> Result<(), Dropped> {
    if commit.files.is_empty() {
        return Err(Dropped::RemovesFolder);
    }
    if diff.changed.is_empty() && diff.added.is_empty() {
        return Err(match diff.moved.is_empty() {
            true => Dropped::Unchanged,
            false => Dropped::Moved,
        });
    }
    if commit.parent_files.is_empty() {
        return Err(Dropped::AddsFolder);
    }
    if diff.added.is_empty()
        && rules.mechanical.contains(&Mechanical::Paths)
        && diff.changed.iter().all(|&(b, a)| {
            let (old, new) = (before[b].item, after[a].item);
            old.name == new.name
                && without_path_prefixes(&old.tokens) == without_path_prefixes(&new.tokens)
        })
    {
        return Err(Dropped::Mechanical("paths"));
    }
    let words = commit_message::word_count(message);
    if words < rules.min_words {
        return Err(Dropped::ShortMessage(words));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::units::Role;

    /// A version of `path` holding `items` (each `(name, code)`, a function), with its tokens.
    fn version(path: &str, items: &[(&str, &str)]) -> Version {
        let items = items
            .iter()
            .map(|(name, code)| {
                let file: syn::File = syn::parse_str(code).unwrap();
                let tokens = quote::ToTokens::to_token_stream(&file.items[0]);
                VersionItem {
                    kind: "fn",
                    name: (*name).to_owned(),
                    self_ty: None,
                    reached_by: Vec::new(),
                    role: Role::Helper,
                    root: false,
                    called_by_root: false,
                    bytes: 0..0,
                    lines: (1, 1),
                    tokens: crate::pipeline::token_text(tokens),
                    idents: Default::default(),
                    names: Vec::new(),
                    literals: Vec::new(),
                    docs: Vec::new(),
                    facts: Vec::new(),
                    context: Vec::new(),
                }
            })
            .collect();
        Version {
            source: SourceFile::from_text(std::path::Path::new(path), String::new()),
            items,
            uses: Vec::new(),
            boundaries: Vec::new(),
        }
    }

    fn placed(versions: &[Version]) -> Vec<Placed<'_>> {
        versions
            .iter()
            .flat_map(|version| {
                version
                    .items
                    .iter()
                    .map(move |item| Placed { version, item })
            })
            .collect()
    }

    /// Names of a side's items at `indices`, each as `file:name`.
    fn named(side: &[Placed], indices: impl IntoIterator<Item = usize>) -> Vec<String> {
        indices
            .into_iter()
            .map(|i| {
                let path = side[i].version.source.path.display().to_string();
                format!("{path}:{}", side[i].item.name)
            })
            .collect()
    }

    const BODY: &str = "{ let a = b(c); d.e(a)?; let f = g(&a, h)?; Ok(f.into()) }";
    const ROUTER_A: &str = "fn router() -> ApiRouter { ApiRouter::new().api_route(\"/app/{app_id}/endpoint\", post(create_endpoint).get(list_endpoints)) }";
    const ROUTER_B: &str = "fn router() -> ApiRouter { ApiRouter::new().route(\"/health\", get(health)).layer(TraceLayer::new()) }";

    #[test]
    fn items_moved_to_another_file_pair_across_files() {
        let before = [version(
            "a.rs",
            &[
                ("kept", &format!("fn kept() {BODY}")),
                ("moved", &format!("fn moved() {BODY}")),
                (
                    "moved_and_changed",
                    &format!("fn moved_and_changed() {BODY}"),
                ),
                ("router", ROUTER_A),
                (
                    "old_name",
                    "fn old_name(x: u8) -> u8 { let y = x + 1; y * 2 }",
                ),
            ],
        )];
        let after = [
            version(
                "a.rs",
                &[
                    ("kept", "fn kept() { other() }"),
                    (
                        "new_name",
                        "fn new_name(x: u8) -> u8 { let y = x + 1; y * 2 }",
                    ),
                ],
            ),
            version(
                "b.rs",
                &[
                    // Only its visibility changed, as a split module's items' does.
                    ("moved", &format!("pub(super) fn moved() {BODY}")),
                    (
                        "moved_and_changed",
                        "fn moved_and_changed() { let a = b(c); d.e(a)?; let f = g(&a, h)?; Ok(f) }",
                    ),
                ],
            ),
            // A namesake of another module: not the router that went away.
            version("c.rs", &[("router", ROUTER_B)]),
        ];
        let (before, after) = (placed(&before), placed(&after));
        let diff = diff(&before, &after, true);
        let pairs = |list: &[(usize, usize)]| -> Vec<String> {
            list.iter()
                .map(|&(b, a)| format!("{} → {}", named(&before, [b])[0], named(&after, [a])[0]))
                .collect()
        };
        assert_eq!(
            pairs(&diff.changed),
            [
                "a.rs:kept → a.rs:kept",
                "a.rs:old_name → a.rs:new_name",
                "a.rs:moved_and_changed → b.rs:moved_and_changed",
            ]
        );
        assert_eq!(pairs(&diff.moved), ["a.rs:moved → b.rs:moved"]);
        assert_eq!(named(&after, diff.added.clone()), ["c.rs:router"]);
        assert_eq!(named(&before, diff.removed.clone()), ["a.rs:router"]);
    }

    #[test]
    fn a_move_that_only_requalifies_paths_is_unchanged_when_paths_are_mechanical() {
        let before = [version("a.rs", &[("f", "fn f() { g(); h::i(); }")])];
        let after = [version(
            "b.rs",
            &[("f", "fn f() { super::g(); super::h::i(); }")],
        )];
        let (before, after) = (placed(&before), placed(&after));
        let mechanical = diff(&before, &after, true);
        assert_eq!((mechanical.moved.len(), mechanical.changed.len()), (1, 0));
        let strict = diff(&before, &after, false);
        assert_eq!((strict.moved.len(), strict.changed.len()), (0, 1));
    }
}
