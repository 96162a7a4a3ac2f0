//! History mode's own stage: a file's commits → (parent, child) versions → the profile's items
//! each commit added or changed, paired with the commit's own message. This stage owns reading
//! git ([`git`]), cleaning commit messages ([`commit_message`]), pairing the items of two
//! versions and telling what changed and why a commit gives no example. A folder's history
//! ([`folder`]) pairs items across the files a commit touched, so that an item moved to
//! another file keeps its past.
//!
//! It hands on plain pairs ([`Pair`]: the message, the items changed (each with the version it
//! stands in) with the code as it stood and what changed, the items added); `pipeline.rs` reads
//! each version (parse, select, facts) and writes each pair's text. Every item carries the root
//! handlers that reach it ([`VersionItem::reached_by`]), the seam by which a run over every
//! route can split a commit's items by operation. Invariant: nothing here writes text or
//! imports from the top or from `write/`.

pub mod commit_message;
pub mod folder;
pub mod git;

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

use gix::ObjectId;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::example::{Example, Slice};
use crate::extract::context::ContextItem;
use crate::extract::facts::{Change, DocsChange, Fact};
use crate::extract::source::{self, SourceFile};
use crate::extract::text::{is_keyword, missing};
use crate::extract::tree;
use crate::extract::units::{Imports, Role};
use crate::history::git::{FileCommit, Repo};

/// What a history run reads.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The files to follow, relative to the repository's root, with `/`.
    pub paths: Vec<String>,
    /// Only commits after this revision.
    pub since: Option<String>,
    /// The newest commit to read (`HEAD` by default).
    pub until: String,
    pub imports: Imports,
    /// Whether each brief carries its items' context (see `pipeline::Options`): for a writer
    /// that reads it.
    pub context_for_writer: bool,
}

/// What history mode keeps of a commit, beyond the changes to the operation's items.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryRules {
    /// A cleaned message with fewer words than this says too little to be a request.
    #[serde(default = "default_min_words")]
    pub min_words: usize,
    /// Edits of form that change no behaviour; a commit whose items change only so is dropped.
    /// `paths`: only how paths are qualified (`crate::core::types::MessageId` becomes
    /// `MessageId`).
    #[serde(default = "default_mechanical")]
    pub mechanical: Vec<Mechanical>,
}

impl Default for HistoryRules {
    fn default() -> HistoryRules {
        HistoryRules {
            min_words: default_min_words(),
            mechanical: default_mechanical(),
        }
    }
}

fn default_min_words() -> usize {
    3
}

fn default_mechanical() -> Vec<Mechanical> {
    vec![Mechanical::Paths]
}

/// An edit of form a profile can name as mechanical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanical {
    /// Only the qualification of paths changed.
    Paths,
}

/// One selected item of one version of a file, as history mode compares and renders it: plain
/// data, no syn.
#[derive(Debug, Clone)]
pub struct VersionItem {
    /// `fn`, `struct`, `impl`, … as `--list` names it.
    pub kind: &'static str,
    /// The name; an impl block's is `impl Trait for Type`.
    pub name: String,
    /// An impl block's type, or a method's (picked from another file in a folder's history).
    pub self_ty: Option<String>,
    pub role: Role,
    /// The root handlers whose selection holds it (a root holds itself), by name, each once,
    /// in name order: which operations reach it. One profile's roots are one operation; a run
    /// over every route splits a commit's items by these.
    pub reached_by: Vec<String>,
    pub root: bool,
    /// Whether a root handler calls it.
    pub called_by_root: bool,
    pub bytes: std::ops::Range<usize>,
    pub lines: (usize, usize),
    /// The item's tokens as text, a trailing comma in a list left out: equal tokens mean no
    /// change, whatever the formatting (rustfmt adds and drops trailing commas) or the
    /// comments.
    pub tokens: String,
    /// Every identifier the item names, to keep the `use` declarations it needs.
    pub idents: std::collections::BTreeSet<String>,
    /// The names worth saying when they come or go, in order of first appearance: types,
    /// paths, snake_case names, and whatever is called or invoked as a macro.
    pub names: Vec<String>,
    /// Its short one-line string and number literals, as written, in order.
    pub literals: Vec<String>,
    /// The text of every doc comment in it (its own and its fields'), in order.
    pub docs: Vec<String>,
    pub facts: Vec<Fact>,
    /// What it reaches beyond itself in its file, when context was asked for (else empty).
    pub context: Vec<ContextItem>,
}

/// A `use` declaration of one version: where it is and what it brings in.
#[derive(Debug, Clone)]
pub struct VersionUse {
    pub bytes: std::ops::Range<usize>,
    /// The names it brings in; a glob brings in none that can be named.
    pub names: Vec<String>,
}

/// What history mode needs of one version of a file: its text, its selected items with their
/// facts, its `use` declarations and where slices may start and end.
#[derive(Debug)]
pub struct Version {
    pub source: SourceFile,
    pub items: Vec<VersionItem>,
    pub uses: Vec<VersionUse>,
    pub boundaries: Vec<std::ops::Range<usize>>,
}

impl Version {
    /// The byte ranges of the `use` declarations `keep` holds; adjacent ones as one run, as a
    /// unit's code carries them.
    pub fn use_runs_for(&self, keep: impl Fn(&VersionUse) -> bool) -> Vec<std::ops::Range<usize>> {
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        for u in self.uses.iter().filter(|u| keep(u)) {
            match runs.last_mut() {
                Some(last) if self.source.text[last.end..u.bytes.start].trim().is_empty() => {
                    last.end = u.bytes.end;
                }
                _ => runs.push(u.bytes.clone()),
            }
        }
        runs
    }
}

/// Why a commit gave no example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    Merge,
    Revert,
    /// None of the profile's items changed: formatting, comments, imports, other handlers.
    Unchanged,
    /// The items changed only in a way the profile names as mechanical.
    Mechanical(&'static str),
    /// The cleaned message has fewer words than the profile asks for.
    ShortMessage(usize),
    /// A version of the file could not be read or parsed.
    Unreadable(String),
    /// Its examples would repeat an earlier commit's request or reasoning.
    Repeats,
    /// The commit brought the whole file in (an import or a squash): its message speaks of
    /// that, not of the code.
    AddsFile,
    /// The commit deleted the file (or moved it where `--path` does not follow).
    RemovesFile,
    /// The commit brought the whole followed folder in: every file of it is new.
    AddsFolder,
    /// The commit deleted every file of the followed folder.
    RemovesFolder,
    /// The commit only moved items to other files, unchanged (a module split in two): the
    /// items' past goes on in their new files, and the move itself teaches nothing.
    Moved,
    /// Every example it gave fails its own check and was left out.
    FailsCheck,
    /// A run over every route: no root handler that reaches its items is a handler of a route
    /// at the newest revision read (a handler since renamed or removed).
    NoOperation,
}

impl Dropped {
    /// The reason's name, as the summary counts it.
    pub fn name(&self) -> &'static str {
        match self {
            Dropped::Merge => "merge",
            Dropped::Revert => "revert",
            Dropped::Unchanged => "unchanged",
            Dropped::Mechanical(_) => "mechanical",
            Dropped::ShortMessage(_) => "short message",
            Dropped::Unreadable(_) => "unreadable",
            Dropped::Repeats => "repeats",
            Dropped::AddsFile => "adds the file",
            Dropped::RemovesFile => "removes the file",
            Dropped::AddsFolder => "adds the folder",
            Dropped::RemovesFolder => "removes the folder",
            Dropped::Moved => "moved",
            Dropped::FailsCheck => "fails its check",
            Dropped::NoOperation => "no operation",
        }
    }
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dropped::Merge => f.write_str("merge commit"),
            Dropped::Revert => f.write_str("revert"),
            Dropped::Unchanged => f.write_str("no creation item changed"),
            Dropped::Mechanical(how) => write!(f, "mechanical: {how} only"),
            Dropped::ShortMessage(words) => write!(f, "message of {words} word(s)"),
            Dropped::Unreadable(why) => write!(f, "unreadable: {why}"),
            Dropped::Repeats => f.write_str("repeats an earlier commit's example"),
            Dropped::AddsFile => f.write_str("adds the whole file"),
            Dropped::RemovesFile => f.write_str("removes the file"),
            Dropped::AddsFolder => f.write_str("adds the whole folder"),
            Dropped::RemovesFolder => f.write_str("removes the folder"),
            Dropped::Moved => f.write_str("moves items to other files unchanged"),
            Dropped::FailsCheck => f.write_str("its examples fail their check"),
            Dropped::NoOperation => f.write_str("its items' handlers serve no route today"),
        }
    }
}

/// One commit as `--list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRow {
    pub short: String,
    /// The cleaned subject.
    pub subject: String,
    pub path: String,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Items moved to another file unchanged (a folder's history); a moved item that changed
    /// is among `changed`.
    pub moved: Vec<String>,
    /// How many examples it gave, or why none.
    pub outcome: Result<usize, Dropped>,
}

/// What a history run produced.
#[derive(Debug, Default)]
pub struct History {
    /// Whether it followed folders (the commits that changed a `.rs` file in them), not files.
    pub folder: bool,
    pub rows: Vec<CommitRow>,
    pub examples: Vec<Example>,
    /// Every version an example is sliced from, by (path, commit).
    pub sources: BTreeMap<(String, String), SourceFile>,
    /// Examples left out because their text fails the check, oldest commit first.
    pub dropped: Vec<crate::dataset::example::Dropped>,
}

impl History {
    /// Dropped commits counted by reason, in a stable order.
    pub fn dropped_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for row in &self.rows {
            if let Err(why) = &row.outcome {
                *counts.entry(why.name()).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// A version's key: the file's path and its blob.
pub type VersionKey = (String, ObjectId);

/// The commits that changed each path, oldest first, and every version they name read with
/// `summarize` (which parses and selects the profile's items): each version once, in parallel;
/// a merge is never parsed.
#[allow(clippy::type_complexity)]
pub fn read_versions(
    repo: &Repo,
    options: &HistoryOptions,
    progress: &tree::ProgressHook,
    summarize: impl Fn(SourceFile) -> anyhow::Result<Version> + Sync,
) -> anyhow::Result<(
    Vec<FileCommit>,
    BTreeMap<VersionKey, Result<Version, String>>,
)> {
    let until = repo.resolve(&options.until)?;
    let since = options
        .since
        .as_deref()
        .map(|rev| repo.resolve(rev))
        .transpose()?;
    let mut commits: Vec<FileCommit> = Vec::new();
    for path in &options.paths {
        commits.extend(repo.file_history(path, until, since)?);
    }
    // Each version is read and parsed once, in parallel; a merge is never parsed.
    let mut wanted: BTreeMap<VersionKey, ObjectId> = BTreeMap::new();
    for commit in commits.iter().filter(|c| !c.is_merge()) {
        if let Some(blob) = commit.blob {
            wanted.insert((commit.path.clone(), blob), commit.id);
        }
        if let (Some(blob), Some(&parent)) = (commit.parent_blob, commit.parents.first()) {
            wanted.insert((commit.parent_path.clone(), blob), parent);
        }
    }
    let mut texts = Vec::new();
    for ((path, blob), commit) in &wanted {
        let text = repo.text(*blob, path, commit);
        texts.push(((path.clone(), *blob), *commit, text));
    }
    let total = texts.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pool = source::pool()?;
    let versions: BTreeMap<VersionKey, Result<Version, String>> = pool.install(|| {
        texts
            .into_par_iter()
            .map(|(key, commit, text)| {
                let shown = format!("{}:{}", git::short(&commit), key.0);
                let version = text.map_err(|e| format!("{e:#}")).and_then(|text| {
                    let file = SourceFile::from_text(std::path::Path::new(&key.0), text);
                    summarize(file).map_err(|e| format!("{shown}: {e:#}"))
                });
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.report(n, total);
                (key, version)
            })
            .collect()
    });
    Ok((commits, versions))
}

/// The items of a commit's two versions paired up: by kind and name, then an unmatched item
/// with an unmatched one of the same kind whose tokens are mostly the same (a rename).
struct Pairing {
    /// (before, after) indices; before is None for an item the commit added.
    pairs: Vec<(Option<usize>, usize)>,
    removed: Vec<usize>,
}

fn pair_items(before: &[VersionItem], after: &[VersionItem]) -> Pairing {
    let mut taken = vec![false; before.len()];
    let (mut pairs, unmatched) = pair_by_name(before, after, &mut taken);
    pairs.extend(pair_renamed(before, after, &unmatched, &mut taken));
    pairs.sort_by_key(|&(_, a)| a);
    Pairing {
        pairs,
        removed: (0..before.len()).filter(|&b| !taken[b]).collect(),
    }
}

/// Whether two items are the same by kind and name (and type, for an impl or a method).
fn same_item(a: &VersionItem, b: &VersionItem) -> bool {
    a.kind == b.kind && a.name == b.name && a.self_ty == b.self_ty
}

/// The items of `after` paired with the first untaken item of `before` of the same kind and
/// name (marked taken), and the indices of those with none. Items or references to them: a
/// folder's history pairs the items of one file among a side's without copying them.
fn pair_by_name<I: Borrow<VersionItem>>(
    before: &[I],
    after: &[I],
    taken: &mut [bool],
) -> (Vec<(Option<usize>, usize)>, Vec<usize>) {
    let mut pairs = Vec::new();
    let mut unmatched = Vec::new();
    for (a, item) in after.iter().enumerate() {
        match before
            .iter()
            .position(|b| same_item(b.borrow(), item.borrow()))
        {
            Some(b) => {
                taken[b] = true;
                pairs.push((Some(b), a));
            }
            None => unmatched.push(a),
        }
    }
    (pairs, unmatched)
}

/// Each of the `unmatched` items of `after` paired with the untaken item of `before` of its
/// kind whose tokens are most alike, if alike enough (a rename); else `None` (an item added).
fn pair_renamed<I: Borrow<VersionItem>>(
    before: &[I],
    after: &[I],
    unmatched: &[usize],
    taken: &mut [bool],
) -> Vec<(Option<usize>, usize)> {
    let mut pairs = Vec::new();
    for &a in unmatched {
        let new = after[a].borrow();
        let best = before
            .iter()
            .map(Borrow::borrow)
            .enumerate()
            .filter(|(b, item)| !taken[*b] && item.kind == new.kind)
            .map(|(b, item)| (b, token_similarity(&item.tokens, &new.tokens)))
            .filter(|(_, score)| *score >= RENAME_SIMILARITY)
            .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)));
        match best {
            Some((b, _)) => {
                taken[b] = true;
                pairs.push((Some(b), a));
            }
            None => pairs.push((None, a)),
        }
    }
    pairs
}

/// How alike two items' tokens must be for an item under a new name to be the old one renamed.
const RENAME_SIMILARITY: f64 = 0.6;

/// Jaccard similarity of two token texts' sets of adjacent token pairs.
fn token_similarity(a: &str, b: &str) -> f64 {
    fn bigrams(text: &str) -> std::collections::BTreeSet<(&str, &str)> {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        tokens.windows(2).map(|w| (w[0], w[1])).collect()
    }
    let (a, b) = (bigrams(a), bigrams(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// A token text with every path qualification taken out (`crate :: core :: X` → `X`), to tell
/// an edit of paths alone.
fn without_path_prefixes(tokens: &str) -> String {
    let tokens: Vec<&str> = tokens.split_whitespace().collect();
    let mut kept = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if *token == "::" || tokens.get(i + 1) == Some(&"::") {
            continue;
        }
        kept.push(*token);
    }
    kept.join(" ")
}

/// A token text with every visibility taken out (`pub`, `pub (crate)`, `pub (super)`),
/// to tell a change of visibility alone.
fn without_visibility(tokens: &str) -> String {
    let tokens: Vec<&str> = tokens.split_whitespace().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "pub" {
            i += 1;
            // `pub (crate)` prints its group as one token, `pub (in a :: b)` as several.
            if tokens.get(i).is_some_and(|t| t.starts_with('(')) {
                while i < tokens.len() && !tokens[i].ends_with(')') {
                    i += 1;
                }
                i += 1;
            }
            continue;
        }
        kept.push(tokens[i]);
        i += 1;
    }
    kept.join(" ")
}

/// How many more `&` a token text has than another, when taking every `&` out of both makes
/// them equal: a change of borrowing alone.
fn borrow_only(old: &str, new: &str) -> Option<isize> {
    let count = |t: &str| t.split_whitespace().filter(|w| *w == "&").count() as isize;
    let without = |t: &str| {
        t.split_whitespace()
            .filter(|w| *w != "&")
            .collect::<Vec<_>>()
            .join(" ")
    };
    let delta = count(new) - count(old);
    (delta != 0 && without(old) == without(new)).then_some(delta)
}

/// How many `pub` markers a token text holds.
fn pub_markers(tokens: &str) -> isize {
    tokens.split_whitespace().filter(|t| *t == "pub").count() as isize
}

/// How doc comments changed between two versions of an item, if they did.
fn docs_change(old: &[String], new: &[String]) -> Option<DocsChange> {
    if old == new {
        return None;
    }
    let within = |a: &[String], b: &[String]| {
        let mut rest: Vec<&String> = b.iter().collect();
        a.iter()
            .all(|line| match rest.iter().position(|r| *r == line) {
                Some(i) => {
                    rest.remove(i);
                    true
                }
                None => false,
            })
    };
    Some(if within(old, new) {
        DocsChange::Added
    } else if within(new, old) {
        DocsChange::Removed
    } else {
        DocsChange::Reworded
    })
}

/// The names `ours` uses and `theirs` does not: the salient ones, or when none is, any
/// identifier (a new argument `expiration` is news even if it is a plain word). A name
/// `theirs` has anywhere, even where it was not salient, is not news.
fn names_that_came(ours: &VersionItem, theirs: &VersionItem) -> Vec<String> {
    let salient: Vec<String> = missing(&ours.names, &theirs.names)
        .into_iter()
        .filter(|n| !theirs.idents.contains(n))
        .collect();
    if !salient.is_empty() {
        return salient;
    }
    ours.idents
        .iter()
        .filter(|i| !theirs.idents.contains(*i) && !is_keyword(i))
        .cloned()
        .collect()
}

/// One commit's row for `--list`, and what it did to the profile's items, or why it gives no
/// example.
pub fn pair_commit<'v>(
    commit: &FileCommit,
    versions: &'v BTreeMap<VersionKey, Result<Version, String>>,
    rules: &HistoryRules,
) -> (CommitRow, Result<Pair<'v>, Dropped>) {
    let message = commit_message::clean(&commit.message);
    let mut row = CommitRow {
        short: commit.short_id(),
        subject: message.subject.clone(),
        path: commit.path.clone(),
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
    let (before, after) = match commit_versions(commit, versions) {
        Ok(both) => both,
        Err(why) => return (row, Err(why)),
    };
    let no_items: &[VersionItem] = &[];
    let before_items = before.map_or(no_items, |v| v.items.as_slice());
    let after_items = after.map_or(no_items, |v| v.items.as_slice());
    let diff = ItemDiff::of(before_items, after_items);
    diff.fill_row(&mut row, before_items, after_items);
    let after = match why_dropped(before, after, &diff, &message, rules) {
        Ok(after) => after,
        Err(why) => return (row, Err(why)),
    };
    // A change has a first parent: `before` is its version.
    let parent_hex = commit
        .parents
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let placed = |version: &'v Version, i: usize| Placed {
        version,
        item: &version.items[i],
    };
    let changes = match (diff.changed.is_empty(), before) {
        (false, Some(before)) => {
            let pairs: Vec<_> = diff
                .changed
                .iter()
                .map(|&(b, a)| (placed(before, b), placed(after, a)))
                .collect();
            Some(changed_items(&pairs, &parent_hex))
        }
        _ => None,
    };
    let pair = Pair {
        text: message.text(),
        commit: commit.id.to_string(),
        parent: parent_hex,
        changed: changes,
        added: diff.added.iter().map(|&a| placed(after, a)).collect(),
    };
    (row, Ok(pair))
}

/// The file's versions before and after a commit (None where the file is absent), or why one
/// cannot be read.
fn commit_versions<'v>(
    commit: &FileCommit,
    versions: &'v BTreeMap<VersionKey, Result<Version, String>>,
) -> Result<(Option<&'v Version>, Option<&'v Version>), Dropped> {
    let version = |path: &str, blob: Option<ObjectId>| -> Result<Option<&Version>, Dropped> {
        let Some(blob) = blob else { return Ok(None) };
        match versions.get(&(path.to_owned(), blob)) {
            Some(Ok(version)) => Ok(Some(version)),
            Some(Err(why)) => Err(Dropped::Unreadable(why.clone())),
            None => Err(Dropped::Unreadable(format!("{path} was not read"))),
        }
    };
    match (
        version(&commit.parent_path, commit.parent_blob),
        version(&commit.path, commit.blob),
    ) {
        (Ok(before), Ok(after)) => Ok((before, after)),
        (Err(why), _) | (_, Err(why)) => Err(why),
    }
}

/// What a commit did to a file's items, as indices: items changed (before, after), added
/// (after) and removed (before).
struct ItemDiff {
    changed: Vec<(usize, usize)>,
    added: Vec<usize>,
    removed: Vec<usize>,
}

impl ItemDiff {
    /// Pairs the items of two versions; a pair whose tokens or name differ is a change.
    fn of(before_items: &[VersionItem], after_items: &[VersionItem]) -> ItemDiff {
        let pairing = pair_items(before_items, after_items);
        let changed: Vec<(usize, usize)> = pairing
            .pairs
            .iter()
            .filter_map(|&(b, a)| b.map(|b| (b, a)))
            .filter(|&(b, a)| {
                before_items[b].tokens != after_items[a].tokens
                    || before_items[b].name != after_items[a].name
            })
            .collect();
        let added: Vec<usize> = pairing
            .pairs
            .iter()
            .filter(|(b, _)| b.is_none())
            .map(|&(_, a)| a)
            .collect();
        ItemDiff {
            changed,
            added,
            removed: pairing.removed,
        }
    }

    /// The `--list` row's names: changed (`old→new` when renamed), added, removed.
    fn fill_row(
        &self,
        row: &mut CommitRow,
        before_items: &[VersionItem],
        after_items: &[VersionItem],
    ) {
        row.changed = self
            .changed
            .iter()
            .map(
                |&(b, a)| match (&before_items[b].name, &after_items[a].name) {
                    (old, new) if old != new => format!("{old}→{new}"),
                    (_, new) => new.clone(),
                },
            )
            .collect();
        row.added = self
            .added
            .iter()
            .map(|&a| after_items[a].name.clone())
            .collect();
        row.removed = self
            .removed
            .iter()
            .map(|&b| before_items[b].name.clone())
            .collect();
    }
}

/// Why a readable commit gives no example: it removes or adds the file, changes no item, only
/// moves paths (when the rules say so), or its message is too short. Else the version after it.
fn why_dropped<'v>(
    before: Option<&Version>,
    after: Option<&'v Version>,
    diff: &ItemDiff,
    message: &commit_message::Cleaned,
    rules: &HistoryRules,
) -> Result<&'v Version, Dropped> {
    let Some(after) = after else {
        return Err(Dropped::RemovesFile);
    };
    if diff.changed.is_empty() && diff.added.is_empty() {
        return Err(Dropped::Unchanged);
    }
    let Some(before) = before else {
        return Err(Dropped::AddsFile);
    };
    if diff.added.is_empty()
        && rules.mechanical.contains(&Mechanical::Paths)
        && diff.changed.iter().all(|&(b, a)| {
            let (old, new) = (&before.items[b], &after.items[a]);
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
    Ok(after)
}

/// The items a commit changed, each (before, after) with the version it stands in: as they
/// are after it, their code at the parent (`parent_hex`), and what changed in each.
fn changed_items<'v>(pairs: &[(Placed<'v>, Placed<'v>)], parent_hex: &str) -> Changed<'v> {
    let before: Vec<Placed> = pairs.iter().map(|(b, _)| *b).collect();
    let before_slices: Vec<Slice> = before
        .iter()
        .map(|b| slice_of(b.version, b.item.bytes.clone(), parent_hex))
        .collect();
    let before_code = joined(before.iter().map(|b| b.version).zip(&before_slices));
    Changed {
        items: pairs.iter().map(|(_, a)| *a).collect(),
        before,
        before_slices,
        before_code,
        changes: pairs
            .iter()
            .map(|(b, a)| change_of(b.item, a.item))
            .collect(),
    }
}

/// What changed in one item, `old` before the commit and `new` after it.
fn change_of<'v>(old: &'v VersionItem, new: &VersionItem) -> Change<'v> {
    Change {
        name: new.name.clone(),
        renamed_from: (old.name != new.name).then(|| old.name.clone()),
        before: &old.facts,
        new_names: names_that_came(new, old),
        gone_names: names_that_came(old, new),
        new_literals: missing(&new.literals, &old.literals),
        gone_literals: missing(&old.literals, &new.literals),
        docs: docs_change(&old.docs, &new.docs),
        visibility_only: without_visibility(&old.tokens) == without_visibility(&new.tokens),
        pub_delta: pub_markers(&new.tokens) - pub_markers(&old.tokens),
        borrow_only: borrow_only(&old.tokens, &new.tokens),
    }
}

/// What a commit did to the profile's items, as plain data: the request's words, the items it
/// changed (with the code as it stood and what changed) and those it added, each with the
/// version of its file it stands in (one file's, or in a folder's history several). The top
/// renders each into an example.
#[derive(Debug)]
pub struct Pair<'v> {
    /// The commit's message, cleaned.
    pub text: String,
    /// The commit's full id.
    pub commit: String,
    /// Its first parent's full id (empty for a root commit).
    pub parent: String,
    /// The items it changed, when it changed some.
    pub changed: Option<Changed<'v>>,
    /// The items it added, in the versions after it, by path and then in file order.
    pub added: Vec<Placed<'v>>,
}

impl<'v> Pair<'v> {
    /// The version a slice of this pair's examples is cut from: `path` at `commit` (the
    /// commit's own, or its parent's for the code before a change).
    pub fn version_at(&self, path: &std::path::Path, commit: &str) -> Option<&'v Version> {
        let after = self
            .changed
            .iter()
            .flat_map(|c| &c.items)
            .chain(&self.added);
        let before = self.changed.iter().flat_map(|c| &c.before);
        let candidates: Vec<&Placed<'v>> = if commit == self.commit {
            after.collect()
        } else if commit == self.parent {
            before.collect()
        } else {
            Vec::new()
        };
        candidates
            .into_iter()
            .find(|p| p.version.source.path == path)
            .map(|p| p.version)
    }

    /// Every root handler that reaches an item the commit changed or added, each once, in name
    /// order: the operations the commit is about (see [`VersionItem::reached_by`]).
    pub fn operations(&self) -> Vec<&'v str> {
        let items = self
            .changed
            .iter()
            .flat_map(|c| &c.items)
            .chain(&self.added);
        let names: std::collections::BTreeSet<&'v str> = items
            .flat_map(|p| p.item.reached_by.iter().map(String::as_str))
            .collect();
        names.into_iter().collect()
    }

    /// The part of the pair one operation is about: the items it changed and added that
    /// `handler` reaches, their code before joined again; None when it reaches none.
    pub fn for_operation(&self, handler: &str) -> Option<Pair<'v>> {
        self.part(|p| p.item.reached_by.iter().any(|r| r == handler))
    }

    /// The part of the pair whose items `keep` holds: those it changed (with their code before,
    /// joined again) and added; None when it holds none. A run over every route writes each
    /// operation's examples of a commit from the part that operation holds.
    pub fn part(&self, keep: impl Fn(&Placed<'v>) -> bool) -> Option<Pair<'v>> {
        let changed = self.changed.as_ref().and_then(|c| {
            let kept: Vec<usize> = (0..c.items.len()).filter(|&i| keep(&c.items[i])).collect();
            (!kept.is_empty()).then(|| {
                let before: Vec<Placed<'v>> = kept.iter().map(|&i| c.before[i]).collect();
                let before_slices: Vec<Slice> =
                    kept.iter().map(|&i| c.before_slices[i].clone()).collect();
                Changed {
                    items: kept.iter().map(|&i| c.items[i]).collect(),
                    before_code: joined(before.iter().map(|b| b.version).zip(&before_slices)),
                    before,
                    before_slices,
                    changes: kept.iter().map(|&i| c.changes[i].clone()).collect(),
                }
            })
        });
        let added: Vec<Placed<'v>> = self.added.iter().filter(|p| keep(p)).copied().collect();
        (changed.is_some() || !added.is_empty()).then(|| Pair {
            text: self.text.clone(),
            commit: self.commit.clone(),
            parent: self.parent.clone(),
            changed,
            added,
        })
    }

    /// Every item the commit changed or added, as it stands after it.
    pub fn items(&self) -> impl Iterator<Item = &Placed<'v>> {
        self.changed
            .iter()
            .flat_map(|c| &c.items)
            .chain(&self.added)
    }
}

/// One selected item and the version of its file it stands in.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'v> {
    pub version: &'v Version,
    pub item: &'v VersionItem,
}

/// The items a commit changed: as they are after it, as they were before it (an item moved to
/// another file stands in the old file then), their code before it, and what changed.
#[derive(Debug)]
pub struct Changed<'v> {
    pub items: Vec<Placed<'v>>,
    /// The same items at the commit's parent, in the same order.
    pub before: Vec<Placed<'v>>,
    /// Where the items stood before the commit, at its parent.
    pub before_slices: Vec<Slice>,
    /// Their code before the commit, the slices joined.
    pub before_code: String,
    pub changes: Vec<Change<'v>>,
}

/// A slice of one version at a commit.
pub fn slice_of(version: &Version, bytes: std::ops::Range<usize>, commit: &str) -> Slice {
    Slice {
        path: version.source.path.clone(),
        lines: version.source.line_span(bytes.clone()),
        bytes,
        commit: Some(commit.to_owned()),
    }
}

/// The slices' text, each cut from its version, joined by one blank line in the line ending of
/// the last one's file (as the check and `validate --repo` rebuild code from slices).
pub fn joined<'s>(parts: impl IntoIterator<Item = (&'s Version, &'s Slice)>) -> String {
    let mut texts = Vec::new();
    let mut separator = "\n\n";
    for (version, slice) in parts {
        texts.push(version.source.slice(slice.bytes.clone()));
        separator = version.source.blank_line();
    }
    texts.join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(code: &str) -> String {
        let file: syn::File = syn::parse_str(code).unwrap();
        crate::pipeline::token_text(quote::ToTokens::to_token_stream(&file.items[0]))
    }

    #[test]
    fn trailing_commas_and_layout_are_not_changes() {
        assert_eq!(
            tokens("fn f(a: &A, b: &B) -> Result<()> { g(a, b) }"),
            tokens("fn f(\n    a: &A,\n    b: &B,\n) -> Result<()> {\n    g(a, b,)\n}")
        );
        assert_ne!(tokens("fn f() { g(a) }"), tokens("fn f() { g(&a) }"));
    }

    /// Each edit of form is told apart: two sources whose tokens differ only by that edit are
    /// equal once it is taken out, and a near miss that changes more is not.
    #[test]
    fn edits_of_form_are_told_apart() {
        type Normalize = fn(&str) -> String;
        let cases: [(&str, Normalize, &str, &str, &str); 2] = [
            (
                "visibility",
                without_visibility,
                "pub(super) struct S { pub(crate) a: u8 }",
                "struct S { a: u8 }",
                "fn f() -> u8 { 2 }",
            ),
            (
                "path qualification",
                without_path_prefixes,
                "fn f() -> crate::core::types::MessageId { x::y() }",
                "fn f() -> MessageId { y() }",
                "fn f() -> MessageId { x::z() }",
            ),
        ];
        for (edit, normalize, before, after, near_miss) in cases {
            let (before, after) = (tokens(before), tokens(after));
            assert_ne!(before, after, "{edit}");
            assert_eq!(normalize(&before), normalize(&after), "{edit}");
            assert_ne!(normalize(&before), normalize(&tokens(near_miss)), "{edit}");
        }
        let (moved, lent) = (
            tokens("fn f() { g(cache) }"),
            tokens("fn f() { g(&cache) }"),
        );
        assert_eq!(borrow_only(&moved, &lent), Some(1));
        assert_eq!(borrow_only(&lent, &moved), Some(-1));
        assert_eq!(borrow_only(&moved, &tokens("fn f() { g(&other) }")), None);
        assert_eq!(borrow_only(&moved, &moved), None);
    }

    #[test]
    fn renamed_items_pair_by_their_tokens() {
        let item = |name: &str, tokens: &str| VersionItem {
            kind: "fn",
            name: name.to_owned(),
            self_ty: None,
            reached_by: Vec::new(),
            role: Role::Helper,
            root: false,
            called_by_root: false,
            bytes: 0..0,
            lines: (1, 1),
            tokens: tokens.to_owned(),
            idents: Default::default(),
            names: Vec::new(),
            literals: Vec::new(),
            docs: Vec::new(),
            context: Vec::new(),
            facts: Vec::new(),
        };
        let body = "{ let a = b ( c ) ; d . e ( a ) ? ; Ok ( a ) }";
        let before = [
            item("old_name", &format!("fn old_name ( ) {body}")),
            item("kept", "fn kept ( ) { }"),
        ];
        let after = [
            item("kept", "fn kept ( ) { x }"),
            item("new_name", &format!("fn new_name ( ) {body}")),
            item("fresh", "fn fresh ( ) { totally different code here }"),
        ];
        let pairing = pair_items(&before, &after);
        assert_eq!(pairing.pairs, [(Some(1), 0), (Some(0), 1), (None, 2)]);
        assert!(pairing.removed.is_empty());
    }
}
