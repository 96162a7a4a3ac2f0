//! Directory mode: a crate's `.rs` files walked (the `ignore` crate, as ripgrep walks), parsed in
//! parallel into plain summaries, an index of modules and `use` declarations, and the selection
//! of message-creation items across files. Returns plain data; never prints.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::extract::facts::{self, Fact};
use crate::extract::select::{self, Inventory, Kind, Reason, Reference, RootRule};
use crate::extract::source::{self, Located, LocatedError, Outline, SourceFile};

/// Folders left out of a walk unless `--include` names them; hidden ones (`.name`) too.
pub const SKIPPED_FOLDERS: [&str; 4] = ["target", "tests", "benches", "examples"];

/// How a directory is walked and how far selection reaches.
#[derive(Debug, Clone)]
pub struct TreeOptions {
    /// The files whose routers are searched for roots: a glob below the walk root.
    pub focus: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub depth: usize,
    /// Told as files are parsed.
    pub progress: ProgressHook,
}

/// Told how many of a walk's files are parsed, as (done, total), from the parsing threads: a
/// crate run's progress goes out through it, and the library never draws anything itself.
#[derive(Clone, Default)]
pub struct ProgressHook(Option<Arc<dyn Fn(usize, usize) + Send + Sync>>);

impl ProgressHook {
    pub fn new(report: impl Fn(usize, usize) + Send + Sync + 'static) -> ProgressHook {
        ProgressHook(Some(Arc::new(report)))
    }

    pub fn report(&self, done: usize, total: usize) {
        if let Some(report) = &self.0 {
            report(done, total);
        }
    }
}

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressHook(set)"
        } else {
            "ProgressHook(none)"
        })
    }
}

impl TreeOptions {
    /// The focus files (a profile's `inputs.focus` glob), everything else by default.
    pub fn for_focus(focus: &str) -> TreeOptions {
        TreeOptions {
            focus: focus.to_owned(),
            include: Vec::new(),
            exclude: Vec::new(),
            depth: 1,
            progress: ProgressHook::default(),
        }
    }
}

fn glob_set(patterns: &[String], what: &str) -> anyhow::Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(Glob::new(pattern).map_err(|e| anyhow::anyhow!("{what} {pattern}: {e}"))?);
    }
    builder.build().map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

/// The `.rs` files under `root`, sorted, as paths that start with `root`.
pub fn walk(root: &Path, options: &TreeOptions) -> anyhow::Result<Vec<PathBuf>> {
    let include = glob_set(&options.include, "--include")?;
    let exclude = glob_set(&options.exclude, "--exclude")?;
    let found = Mutex::new(Vec::new());
    // Hidden entries are left out here, not by the walker, which would leave them out before
    // `--include` could open one.
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                let path = entry.path();
                let relative = path.strip_prefix(root).unwrap_or(path);
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                let name = entry.file_name().to_string_lossy();
                let hidden = name.starts_with('.');
                if is_dir {
                    let skipped = hidden || SKIPPED_FOLDERS.contains(&name.as_ref());
                    // `--include tests` and `--include 'tests/**'` both open the folder.
                    let included =
                        include.is_match(relative) || include.is_match(relative.join("any.rs"));
                    if skipped && entry.depth() > 0 && !included {
                        return ignore::WalkState::Skip;
                    }
                    return ignore::WalkState::Continue;
                }
                if hidden && entry.depth() > 0 && !include.is_match(relative) {
                    return ignore::WalkState::Continue;
                }
                let is_rust = path.extension().is_some_and(|x| x == "rs");
                if is_rust
                    && !exclude.is_match(relative)
                    && let Ok(mut found) = found.lock()
                {
                    found.push(path.to_path_buf());
                }
                ignore::WalkState::Continue
            })
        });
    let mut files = found.into_inner().unwrap_or_default();
    files.sort();
    Ok(files)
}

/// The folder module paths are counted from: `root/src` when there is one.
pub fn source_base(root: &Path) -> PathBuf {
    let src = root.join("src");
    if src.is_dir() {
        src
    } else {
        root.to_path_buf()
    }
}

/// A crate, as cargo lays one out: a folder with a Cargo.toml and a src/.
pub fn is_crate(folder: &Path) -> bool {
    folder.join("Cargo.toml").is_file() && folder.join("src").is_dir()
}

/// Which folder a crate run reads, and the crates that could have been read instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateChoice {
    /// INPUT itself, or the crate below it that holds a focus file.
    pub root: PathBuf,
    /// Every crate below INPUT holding a focus file, in path order (`root` among them); empty
    /// when INPUT is read as it is.
    pub candidates: Vec<PathBuf>,
}

/// The folder a crate run reads for INPUT: INPUT when it has a src/ (a crate, or a folder laid
/// out like one); otherwise (a repository root, a workspace, a crate's src/) the crate below it that holds a file matching `focus` (relative to that
/// crate, as a run on the crate matches it), so that module paths count from that crate's src/
/// and the run gives the bytes a run on the crate gives. Of several, the first of `preferred`
/// (the profile's default crate folders, relative to INPUT), else the shallowest, else the first
/// in path order. With none, INPUT as it is.
pub fn locate_crate(
    input: &Path,
    focus: &str,
    preferred: &[String],
) -> anyhow::Result<CrateChoice> {
    let as_is = CrateChoice {
        root: input.to_path_buf(),
        candidates: Vec::new(),
    };
    // Module paths count from src/ already: no walk to pay for.
    if input.join("src").is_dir() {
        return Ok(as_is);
    }
    let walk_options = TreeOptions {
        focus: focus.to_owned(),
        include: Vec::new(),
        exclude: Vec::new(),
        depth: 0,
        progress: ProgressHook::default(),
    };
    let matcher = focus_matcher(focus)?;
    let mut known: BTreeMap<PathBuf, bool> = BTreeMap::new();
    let mut candidates: BTreeSet<PathBuf> = BTreeSet::new();
    for file in walk(input, &walk_options)? {
        // The nearest crate above the file, below INPUT.
        let Some(found) = file
            .ancestors()
            .skip(1)
            .take_while(|folder| *folder != input && folder.starts_with(input))
            .find(|folder| {
                *known
                    .entry(folder.to_path_buf())
                    .or_insert_with(|| is_crate(folder))
            })
        else {
            continue;
        };
        let in_src = file.starts_with(found.join("src"));
        if in_src && matcher.is_match(file.strip_prefix(found).unwrap_or(&file)) {
            candidates.insert(found.to_path_buf());
        }
    }
    let candidates: Vec<PathBuf> = candidates.into_iter().collect();
    let chosen = preferred
        .iter()
        .map(|p| input.join(p))
        .find(|p| candidates.contains(p))
        .or_else(|| {
            candidates
                .iter()
                .min_by_key(|c| c.components().count())
                .cloned()
        });
    let Some(chosen) = chosen else {
        return Ok(as_is);
    };
    // `./server/svix-server` reads as `server/svix-server`.
    let tidy = |p: &Path| {
        p.strip_prefix(".")
            .map(Path::to_path_buf)
            .unwrap_or(p.to_path_buf())
    };
    Ok(CrateChoice {
        root: tidy(&chosen),
        candidates: candidates.iter().map(|c| tidy(c)).collect(),
    })
}

/// `src/v1/endpoints/message.rs` → `["v1", "endpoints", "message"]`; `mod.rs`, `lib.rs` and
/// `main.rs` name their folder's module. None for files outside `base`.
pub fn module_path(base: &Path, file: &Path) -> Option<Vec<String>> {
    let relative = file.strip_prefix(base).ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    let is_root = parts.is_empty() && (stem == "lib" || stem == "main");
    if stem != "mod" && !is_root {
        parts.push(stem.to_owned());
    }
    Some(parts)
}

/// A `use` leaf: the name it brings in and the path it names, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseEntry {
    pub alias: Arc<str>,
    /// The path it brings in, its segments joined by `::`: one string per entry, since every
    /// file's entries are kept until selection across files is done.
    pub target: Arc<str>,
    pub glob: bool,
}

impl UseEntry {
    /// The target's segments.
    pub fn segments(&self) -> Vec<String> {
        if self.target.is_empty() {
            return Vec::new();
        }
        self.target.split("::").map(str::to_owned).collect()
    }
}

/// `prefix` and then `last`, joined by `::`.
fn joined_path(prefix: &[String], last: Option<&str>) -> String {
    let mut parts: Vec<&str> = prefix.iter().map(String::as_str).collect();
    parts.extend(last);
    parts.join("::")
}

/// Flattens a `use` tree into its leaves, `prefix` holding the segments above `tree`.
pub(crate) fn use_entries(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<UseEntry>,
    interner: &Interner,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_entries(&p.tree, prefix, out, interner);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let (alias, target) = if name == "self" {
                (
                    prefix.last().cloned().unwrap_or_default(),
                    joined_path(prefix, None),
                )
            } else {
                let target = joined_path(prefix, Some(&name));
                (name, target)
            };
            out.push(UseEntry {
                alias: interner.intern(alias),
                target: interner.intern(target),
                glob: false,
            });
        }
        syn::UseTree::Rename(r) => {
            let ident = r.ident.to_string();
            let last = (ident != "self").then_some(ident.as_str());
            out.push(UseEntry {
                alias: interner.intern(r.rename.to_string()),
                target: interner.intern(joined_path(prefix, last)),
                glob: false,
            });
        }
        syn::UseTree::Glob(_) => out.push(UseEntry {
            alias: interner.intern(String::new()),
            target: interner.intern(joined_path(prefix, None)),
            glob: true,
        }),
        syn::UseTree::Group(g) => g
            .items
            .iter()
            .for_each(|t| use_entries(t, prefix, out, interner)),
    }
}

/// One top-level function, type or impl method of a file, with what its code names. Kept for
/// every file of a crate until selection across files is done, so every text in it is one
/// shared copy ([`Interner`]): names and paths stand in many files.
#[derive(Debug, Clone)]
pub struct ItemSummary {
    pub name: Arc<str>,
    pub kind: Kind,
    pub self_ty: Option<Arc<str>>,
    /// The paths its code names, each as written with `::`, once each.
    pub refs: Box<[Arc<str>]>,
    /// When outlines were asked for: a function's or method's signature, a type's whole
    /// definition (see [`Outline::head`]); else empty.
    pub head: Range<usize>,
}

/// One impl block of a file, outlined for a brief's context (kept only when asked for).
#[derive(Debug, Clone)]
pub struct ImplSummary {
    /// `impl From<MessageIn> for Model`, `impl MessageOut`.
    pub label: String,
    pub self_ty: String,
    /// The type names in its trait's generic arguments (`From<MessageIn>` → `MessageIn`).
    pub trait_args: Vec<String>,
    pub outline: Outline,
}

/// Everything selection needs from one file, as plain data: no syn, no spans.
#[derive(Debug, Clone)]
pub struct FileSummary {
    pub path: PathBuf,
    pub module: Vec<String>,
    pub uses: Vec<UseEntry>,
    pub items: Vec<ItemSummary>,
    /// (HTTP method, handler) for every route the file's router registers.
    pub routes: Vec<(String, String)>,
    /// For a focus file: the names (and self types) of what single-file selection takes.
    pub selected: Vec<(String, Option<String>)>,
    /// For each of `selected`, the names of the roots that reach it in the file
    /// ([`select::roots_reaching`]).
    pub reached_by: Vec<Vec<String>>,
    /// For a focus file: the creation functions proper, the roots and what they call directly.
    /// A handler elsewhere that calls one of these is part of the operation too; one that only
    /// shares a helper further down (a validation check) is not.
    pub creation: Vec<String>,
    /// For a focus file: root routes whose handler is named through another module
    /// (`crud::create_endpoint`), as (handler path, the route's reason).
    pub foreign_roots: Vec<(String, Reason)>,
    /// When outlines were asked for, the file's impl blocks (test code aside); else empty.
    pub impls: Vec<ImplSummary>,
    /// For a focus file: whether single-file selection would find a root in it (or fail, on a
    /// root named that is no function of it). A file without may be left unread.
    pub has_roots: bool,
}

/// One copy of each path text the summaries of a crate hold, shared by every file that names
/// it; dropped with the plan.
#[derive(Default)]
pub struct Interner(std::sync::Mutex<std::collections::HashSet<Arc<str>>>);

impl Interner {
    fn intern(&self, text: String) -> Arc<str> {
        // A poisoned lock only means another thread panicked mid-insert: the set is still a set.
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = set.get(text.as_str()) {
            return found.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        set.insert(shared.clone());
        shared
    }
}

/// Reads and parses one file into its summary; runs where the file was parsed. With
/// `outlines`, the summary also says where each item's outline stands (for briefs' context).
pub fn summarize(
    path: &Path,
    module: Vec<String>,
    is_focus: bool,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    interner: &Interner,
    outlines: bool,
) -> Result<FileSummary, TreeError> {
    let source = SourceFile::read(path).map_err(|e| TreeError::Read(format!("{e:#}")))?;
    let focus = Focus {
        is_focus,
        root_rules,
        roots,
    };
    summarize_source(&source, module, &focus, interner, outlines)
}

/// Whether a file is a focus file, and what makes a root in it.
pub struct Focus<'a> {
    pub is_focus: bool,
    pub root_rules: &'a [RootRule],
    /// Roots routed from another file's router, each with why.
    pub roots: &'a [(String, Reason)],
}

/// [`summarize`] of a file already read (history mode reads its files out of git).
pub fn summarize_source(
    source: &SourceFile,
    module: Vec<String>,
    focus: &Focus,
    interner: &Interner,
    outlines: bool,
) -> Result<FileSummary, TreeError> {
    let file = source.parse().map_err(TreeError::Parse)?;
    let unfocused = unfocused_summary(source, &file, module, interner, outlines);
    let inventory = || Inventory::new(source, &file);
    Ok(focus_summary(unfocused, inventory, focus, interner))
}

/// A file's summary before its focus selection, which needs the profile's root rules: what
/// the route table's reading of a crate makes of each file on the way ([`Unfocused`]).
#[derive(Debug)]
pub struct Unfocused {
    summary: FileSummary,
    /// The (method, path) of each route the file's router registers.
    routes: Vec<(String, String)>,
    /// For a file that registers routes, its items as [`Inventory::new`] reads them: its focus
    /// selection is made from them rather than from a second parse.
    reads: Vec<crate::extract::select::ItemRead>,
    /// Beside `reads`, each item's facts of its own code (none for test code): under
    /// `--all-routes` nearly every item of such a file is selected, and reading them here, off
    /// the tree at hand, spares the file a second parse ([`Unfocused::kept_read`]).
    facts: Vec<Vec<Fact>>,
}

/// Summarizes a parsed file, its focus selection left for [`focus_summary`].
pub fn unfocused_summary(
    source: &SourceFile,
    file: &crate::extract::source::Parsed,
    module: Vec<String>,
    interner: &Interner,
    outlines: bool,
) -> Unfocused {
    // Straight from the tree: byte ranges (which cost a re-serialization of every item) are
    // only worked out later, for the few files that contribute examples.
    let mut uses = Vec::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            use_entries(&u.tree, &mut Vec::new(), &mut uses, interner);
        }
    }
    let outlined = outlines.then(|| Located::whole(source));
    let (items, impls) = item_summaries(file, Some(&uses), interner, outlined);
    let found = select::find_routes_in(file);
    let routes = found.iter().map(|r| (r.method.clone(), r.path())).collect();
    Unfocused {
        summary: FileSummary {
            path: source.path.to_path_buf(),
            module,
            uses,
            items,
            routes: found.into_iter().map(|r| (r.method, r.handler)).collect(),
            selected: Vec::new(),
            reached_by: Vec::new(),
            creation: Vec::new(),
            foreign_roots: Vec::new(),
            impls,
            has_roots: false,
        },
        routes,
        reads: Vec::new(),
        facts: Vec::new(),
    }
}

impl Unfocused {
    /// Keeps, for a file that registers routes, the reads its focus selection is made from, so
    /// that a plan made later ([`plan_read`]) need not parse it again.
    pub fn keeping_reads(mut self, source: &SourceFile, file: &source::Parsed) -> Unfocused {
        if !self.routes.is_empty() {
            self = self.with_reads(source, file);
        }
        self
    }

    /// Keeps the file's reads and its items' facts of their own code, whatever it registers.
    fn with_reads(mut self, source: &SourceFile, file: &source::Parsed) -> Unfocused {
        self.reads = Inventory::reads(source, file);
        self.facts = own_facts(source, file, &self.reads);
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.summary.path
    }

    /// For a file whose reads were kept ([`Unfocused::keeping_reads`]): its items as
    /// [`Inventory::new`] reads them, and each one's facts of its own code, by item.
    pub fn kept_read(&self) -> Option<(&[select::ItemRead], &[Vec<Fact>])> {
        (!self.reads.is_empty()).then_some((&self.reads, &self.facts))
    }

    /// Whether a focus file's selection has anything to start from: a route a rule makes a
    /// root, or roots routed to it.
    fn needs_focus(&self, focus: &Focus) -> bool {
        let has_root = self.routes.iter().any(|(method, path)| {
            focus
                .root_rules
                .iter()
                .any(|rule| rule.matches(method, path))
        });
        focus.is_focus && (has_root || !focus.roots.is_empty())
    }
}

/// Each item's facts of its own code as [`facts::item_facts`] reads them, by item, with the
/// file's local names: none for test code.
fn own_facts(
    source: &SourceFile,
    file: &source::Parsed,
    reads: &[select::ItemRead],
) -> Vec<Vec<Fact>> {
    let names = facts::LocalNames::of_reads(reads);
    let at = Located::whole(source);
    file.file
        .items
        .iter()
        .zip(reads)
        .map(|(item, read)| match read.entry() {
            Some(entry) => facts::item_facts(&at, item, entry.node.clone(), &names),
            None => Vec::new(),
        })
        .collect()
}

/// The summary of a file whose tree is at hand, with its focus selection.
fn focus_summary(
    unfocused: Unfocused,
    inventory: impl FnOnce() -> Inventory,
    focus: &Focus,
    interner: &Interner,
) -> FileSummary {
    let needs_focus = unfocused.needs_focus(focus);
    let mut summary = unfocused.summary;
    // Only a focus file with a root needs the full inventory, for single-file selection: with
    // none, that selection takes nothing.
    let selection = if needs_focus {
        let inventory = inventory();
        focus_selection(
            &inventory,
            focus.root_rules,
            focus.roots,
            interner,
            &mut summary.items,
        )
    } else {
        FocusSelection::default()
    };
    // Summaries are kept for every file until selection across files is done: the spare
    // capacity that pushing leaves in each list would be a third of them.
    summary.uses.shrink_to_fit();
    summary.items.shrink_to_fit();
    summary.selected = selection.selected;
    summary.reached_by = selection.reached_by;
    summary.creation = selection.creation;
    summary.foreign_roots = selection.foreign_roots;
    summary.has_roots = selection.has_roots;
    summary
}

/// The summary of a file the route table's reading already summarized: the file is read and
/// parsed again only when its focus selection needs an inventory that reading did not keep.
fn focus_unfocused(
    unfocused: &Unfocused,
    focus: &Focus,
    interner: &Interner,
) -> Result<FileSummary, TreeError> {
    if !unfocused.needs_focus(focus) {
        let mut summary = unfocused.summary.clone();
        summary.uses.shrink_to_fit();
        summary.items.shrink_to_fit();
        return Ok(summary);
    }
    if !unfocused.reads.is_empty() {
        let again = Unfocused {
            summary: unfocused.summary.clone(),
            routes: unfocused.routes.clone(),
            reads: Vec::new(),
            facts: Vec::new(),
        };
        let inventory = || Inventory::from_items(unfocused.reads.iter().cloned());
        return Ok(focus_summary(again, inventory, focus, interner));
    }
    let source =
        SourceFile::read(&unfocused.summary.path).map_err(|e| TreeError::Read(format!("{e:#}")))?;
    let file = source.parse().map_err(TreeError::Parse)?;
    let again = Unfocused {
        summary: unfocused.summary.clone(),
        routes: unfocused.routes.clone(),
        reads: Vec::new(),
        facts: Vec::new(),
    };
    let summary = focus_summary(again, || Inventory::new(&source, &file), focus, interner);
    proc_macro2::extra::invalidate_current_thread_spans();
    Ok(summary)
}

/// Whether a path whose first segment is `first` could lead into another module of the crate,
/// given the file's `use` entries: through `crate`, `self` or `super`, or a name a `use` brings
/// in (any name, when a glob import could bring it in).
struct LeadsOut<'a> {
    imported: BTreeSet<&'a str>,
    has_glob: bool,
}

impl<'a> LeadsOut<'a> {
    fn of(uses: &'a [UseEntry]) -> LeadsOut<'a> {
        LeadsOut {
            imported: uses.iter().filter(|u| !u.glob).map(|u| &*u.alias).collect(),
            has_glob: uses.iter().any(|u| u.glob),
        }
    }

    fn keeps(&self, first: &str) -> bool {
        self.has_glob
            || matches!(first, "crate" | "self" | "super")
            || self.imported.contains(first)
    }
}

/// What one piece of a file (a run of whole top-level items, cut where
/// [`crate::extract::pieces::cut_points`] cuts) says toward the file's summary, read alone:
/// its `use` entries, its items with every path they name, its routes, and whether one of them
/// is a root. A history reads many versions of a file that share most of their items: each
/// distinct piece is parsed once.
#[derive(Debug, Clone)]
pub struct PieceSummary {
    uses: Vec<UseEntry>,
    items: Vec<ItemSummary>,
    routes: Vec<(String, String)>,
    has_root: bool,
    /// Each item read for selection, an impl's methods as entries of their own (its byte
    /// ranges count from the piece's start: selection reads none of them). The methods are
    /// dropped where no method is picked ([`PieceSummary::reads_at`]).
    reads: Vec<select::ItemRead>,
}

/// Where a file is cut into pieces that parse alone: after each top-level item
/// ([`crate::extract::pieces::cut_points`]), moved on to the start of the next line, so that
/// a piece's lines are whole lines of the file (and a comment after a closing brace stays with
/// the item it ends). Covers the file; a cut at the end of the text makes no empty piece.
pub fn piece_bounds(text: &str) -> Vec<Range<usize>> {
    let mut bounds = vec![0];
    for cut in crate::extract::pieces::cut_points(text) {
        let at = text[cut..].find('\n').map_or(text.len(), |i| cut + i + 1);
        if at > *bounds.last().unwrap_or(&0) && at < text.len() {
            bounds.push(at);
        }
    }
    bounds.push(text.len());
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// A piece of one version of a file, read before: where it starts in the file and what it
/// holds.
#[derive(Debug, Clone, Copy)]
pub struct PieceAt<'a> {
    pub start: usize,
    pub summary: &'a PieceSummary,
}

impl PieceSummary {
    /// Its items' reads placed in the file (see [`select::ItemRead::placed`]), as the file's
    /// `piece`th piece starting at `start`, on line `first_line`; with `methods`, an impl's
    /// methods as entries of their own.
    pub fn reads_at(
        &self,
        start: usize,
        first_line: usize,
        piece: usize,
        methods: bool,
    ) -> impl Iterator<Item = select::ItemRead> + '_ {
        self.reads
            .iter()
            .map(move |read| read.placed(start, first_line, piece, methods))
    }
}

/// Parses a piece of a file alone and reads what [`summary_of_pieces`] needs of it.
pub fn summarize_piece(
    text: &str,
    root_rules: &[RootRule],
    interner: &Interner,
) -> Result<PieceSummary, TreeError> {
    let source = SourceFile::from_text(Path::new("piece.rs"), text.to_owned());
    let file = source.parse().map_err(TreeError::Parse)?;
    let mut uses = Vec::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            use_entries(&u.tree, &mut Vec::new(), &mut uses, interner);
        }
    }
    let (items, _) = item_summaries(&file, None, interner, None);
    let at = Located::whole(&source);
    let reads = crate::extract::parse::ItemKey::of_piece(&file, 0)
        .map(|(key, item, range)| select::read_item(at, key, item, range, true, false))
        .collect();
    let found = select::find_routes_in(&file);
    let has_root = found.iter().any(|r| {
        root_rules
            .iter()
            .any(|rule| rule.matches(&r.method, &r.path()))
    });
    Ok(PieceSummary {
        uses,
        items,
        routes: found.into_iter().map(|r| (r.method, r.handler)).collect(),
        has_root,
        reads,
    })
}

/// A file's summary put together from its pieces' (in file order): what [`summarize_source`]
/// makes of the file, the selection of a focus file with a root made from the pieces' items.
pub fn summary_of_pieces(
    path: &Path,
    module: Vec<String>,
    pieces: &[&PieceSummary],
    focus: &Focus,
    interner: &Interner,
) -> FileSummary {
    let uses: Vec<UseEntry> = pieces.iter().flat_map(|p| p.uses.iter().cloned()).collect();
    let leads_out = LeadsOut::of(&uses);
    let mut items: Vec<ItemSummary> = pieces
        .iter()
        .flat_map(|p| &p.items)
        .map(|item| ItemSummary {
            refs: item
                .refs
                .iter()
                .filter(|r| leads_out.keeps(r.split("::").next().unwrap_or_default()))
                .cloned()
                .collect(),
            ..item.clone()
        })
        .collect();
    let has_root = pieces.iter().any(|p| p.has_root);
    let selection = if focus.is_focus && (has_root || !focus.roots.is_empty()) {
        // Items are numbered as in one piece: selection reads names, never places.
        let reads = pieces
            .iter()
            .flat_map(|p| p.reads.iter().map(select::ItemRead::without_methods));
        let inventory = Inventory::from_items(reads);
        focus_selection(
            &inventory,
            focus.root_rules,
            focus.roots,
            interner,
            &mut items,
        )
    } else {
        FocusSelection::default()
    };
    FileSummary {
        path: path.to_path_buf(),
        module,
        items,
        routes: pieces
            .iter()
            .flat_map(|p| p.routes.iter().cloned())
            .collect(),
        uses,
        selected: selection.selected,
        reached_by: selection.reached_by,
        creation: selection.creation,
        foreign_roots: selection.foreign_roots,
        has_roots: selection.has_roots,
        impls: Vec::new(),
    }
}

/// The file's functions, types and methods, each with the paths it names that could lead into
/// another module of the crate (given its `uses`; every path, with none); with `outlines`
/// (where the file stands), also where each one's outline stands, and the file's impl blocks
/// outlined.
fn item_summaries(
    file: &source::Parsed,
    uses: Option<&[UseEntry]>,
    interner: &Interner,
    outlines: Option<Located>,
) -> (Vec<ItemSummary>, Vec<ImplSummary>) {
    // Keep only what could lead into another module of the crate. Local names and std paths
    // are most of what code names, and held for every file they would dominate memory.
    let leads_out = uses.map(LeadsOut::of);
    let kept_refs = |references: Vec<Reference>| -> Box<[Arc<str>]> {
        shared_paths(references, interner, |first| {
            leads_out.as_ref().is_none_or(|l| l.keeps(first))
        })
    };
    let mut items = Vec::new();
    let mut impls = Vec::new();
    for (item, node) in file.items.iter().zip(&file.ranges) {
        let head = || outlines.map_or(0..0, |at| at.outline(item, node.clone()).head);
        let summary = |name: String, kind: Kind, refs: Vec<Reference>| ItemSummary {
            name: interner.intern(name),
            kind,
            self_ty: None,
            refs: kept_refs(refs),
            head: head(),
        };
        match item {
            syn::Item::Fn(f) if !select::is_test_item(&f.attrs) => items.push(summary(
                f.sig.ident.to_string(),
                Kind::Fn,
                select::path_references(item),
            )),
            syn::Item::Struct(s) => {
                items.push(summary(s.ident.to_string(), Kind::Struct, Vec::new()))
            }
            syn::Item::Enum(e) => items.push(summary(e.ident.to_string(), Kind::Enum, Vec::new())),
            syn::Item::Type(t) => items.push(summary(t.ident.to_string(), Kind::Type, Vec::new())),
            syn::Item::Impl(imp) if !select::is_test_item(&imp.attrs) => {
                let Some(ty) = crate::extract::parse::type_name(&imp.self_ty) else {
                    continue;
                };
                for inner in &imp.items {
                    if let syn::ImplItem::Fn(f) = inner {
                        items.push(ItemSummary {
                            name: interner.intern(f.sig.ident.to_string()),
                            kind: Kind::Method,
                            self_ty: Some(interner.intern(ty.clone())),
                            refs: kept_refs(select::method_path_references(f)),
                            head: outlines.map_or(0..0, |at| at.signature(f)),
                        });
                    }
                }
                if let Some(at) = outlines {
                    impls.push(ImplSummary {
                        label: select::impl_label(imp).0,
                        self_ty: ty,
                        trait_args: select::trait_arg_names(imp),
                        outline: at.outline(item, node.clone()),
                    });
                }
            }
            _ => {}
        }
    }
    (items, impls)
}

/// What single-file selection takes in a focus file (see [`FileSummary`]'s fields of the same
/// names); empty for any other file.
#[derive(Default)]
struct FocusSelection {
    has_roots: bool,
    selected: Vec<(String, Option<String>)>,
    reached_by: Vec<Vec<String>>,
    creation: Vec<String>,
    foreign_roots: Vec<(String, Reason)>,
}

/// Selects in a focus file as single-file mode does: the roots routed elsewhere, what is
/// selected, the creation functions proper. Selected impl blocks join `items`, so that what
/// they name is followed too.
fn focus_selection(
    inventory: &Inventory,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    interner: &Interner,
    items: &mut Vec<ItemSummary>,
) -> FocusSelection {
    let mut focus = FocusSelection::default();
    let Ok(selection) = select::select_creation_items(inventory, root_rules, roots) else {
        // Selection proper fails on this file: it is read, to say why.
        focus.has_roots = true;
        return focus;
    };
    focus.has_roots = !selection.roots.is_empty();
    for route in &selection.foreign_roots {
        focus.foreign_roots.push((
            route.handler_path.join("::"),
            Reason::Root {
                method: route.method.clone(),
                path: route.path(),
            },
        ));
    }
    for s in &selection.items {
        let e = &inventory.entries[s.entry];
        if e.kind == Kind::Impl {
            items.push(ItemSummary {
                name: interner.intern(e.name.clone()),
                kind: Kind::Impl,
                self_ty: e.self_ty.clone().map(|ty| interner.intern(ty)),
                refs: shared_paths(select::paths_named(e), interner, |_| true),
                head: 0..0,
            });
        }
    }
    let root_names: Vec<&str> = selection
        .roots
        .iter()
        .map(|&r| inventory.entries[r].name.as_str())
        .collect();
    let reaching = select::roots_reaching(inventory, &selection);
    for (s, roots) in selection.items.iter().zip(reaching) {
        let e = &inventory.entries[s.entry];
        focus.selected.push((e.name.clone(), e.self_ty.clone()));
        focus.reached_by.push(
            roots
                .into_iter()
                .map(|r| root_names[r].to_owned())
                .collect(),
        );
        let direct = match &s.reason {
            Reason::CalledBy(by) => root_names.contains(&by.as_str()),
            _ => selection.roots.contains(&s.entry),
        };
        if direct && e.kind == Kind::Fn {
            focus.creation.push(e.name.clone());
        }
    }
    focus
}

#[derive(Debug, Clone)]
pub enum TreeError {
    Read(String),
    Parse(LocatedError),
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::Read(message) => f.write_str(message),
            TreeError::Parse(located) => write!(f, "{located}"),
        }
    }
}

/// One item taken from a file other than the focus files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub file: usize,
    pub name: String,
    pub self_ty: Option<String>,
    pub reason: Reason,
    pub root: bool,
    /// The roots (handlers, by name) whose items reach it, each once, in name order; a routed
    /// handler picked as a root is its own.
    pub reached_by: Vec<String>,
}

/// An item of a crate: its file, name and self type.
type ItemKey = (usize, String, Option<String>);

/// Where a resolved reference lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its file's place among the summaries.
    pub file: usize,
    pub name: String,
    pub self_ty: Option<String>,
}

/// What a path may resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// A function, or a method named through its type (`Type::method`).
    Callable,
    /// A struct, enum or type alias.
    Type,
}

/// Each module path of a crate and the file that defines it.
pub type Modules = BTreeMap<Vec<String>, usize>;

/// The crate's modules and items, by path.
pub struct CrateIndex<'a> {
    files: &'a [FileSummary],
    modules: std::borrow::Cow<'a, Modules>,
}

impl<'a> CrateIndex<'a> {
    pub fn new(files: &'a [FileSummary]) -> CrateIndex<'a> {
        CrateIndex {
            files,
            modules: std::borrow::Cow::Owned(modules_of(files)),
        }
    }

    /// The index of `files` whose modules were worked out already ([`modules_of`]).
    pub fn with_modules(files: &'a [FileSummary], modules: &'a Modules) -> CrateIndex<'a> {
        CrateIndex {
            files,
            modules: std::borrow::Cow::Borrowed(modules),
        }
    }

    /// A `use` or path's segments made absolute from `module`; None when it leaves the crate.
    fn absolute(&self, module: &[String], segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        match first.as_str() {
            "crate" => Some(segments[1..].to_vec()),
            "self" => Some([module, &segments[1..]].concat()),
            "super" => {
                let mut base = module.to_vec();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
                Some([base.as_slice(), rest].concat())
            }
            _ => {
                // A child module of this one (2015-style paths and `mod` children).
                let child = [module, &segments[..1]].concat();
                if self.modules.contains_key(&child) {
                    Some([module, segments].concat())
                } else {
                    None
                }
            }
        }
    }

    /// Resolves an absolute path to what is `wanted`, following `pub use` re-exports a few
    /// hops.
    fn lookup(&self, path: &[String], hops: usize, wanted: Wanted) -> Option<Target> {
        for split in (0..path.len()).rev() {
            let Some(&file) = self.modules.get(&path[..split]) else {
                continue;
            };
            let name = path.get(split)?;
            let rest = &path[split + 1..];
            let summary = &self.files[file];
            let has = |kind: &[Kind]| {
                summary
                    .items
                    .iter()
                    .any(|i| *i.name == **name && i.self_ty.is_none() && kind.contains(&i.kind))
            };
            let kinds: &[Kind] = match wanted {
                Wanted::Callable => &[Kind::Fn],
                Wanted::Type => &[Kind::Struct, Kind::Enum, Kind::Type],
            };
            if rest.is_empty() && has(kinds) {
                return Some(Target {
                    file,
                    name: name.clone(),
                    self_ty: None,
                });
            }
            if let [method] = rest
                && wanted == Wanted::Callable
                && has(&[Kind::Struct, Kind::Enum, Kind::Type])
            {
                let found = summary.items.iter().any(|i| {
                    i.kind == Kind::Method
                        && *i.name == **method
                        && i.self_ty.as_deref() == Some(name.as_str())
                });
                return found.then(|| Target {
                    file,
                    name: method.clone(),
                    self_ty: Some(name.clone()),
                });
            }
            // A re-export: `pub use inner::Name;` in this module.
            if hops > 0
                && let Some(entry) = summary.uses.iter().find(|u| !u.glob && *u.alias == **name)
                && let Some(target) = self.absolute(&summary.module, &entry.segments())
            {
                return self.lookup(&[target.as_slice(), rest].concat(), hops - 1, wanted);
            }
            return None;
        }
        None
    }

    /// Resolves a reference made in file `from` to an item of another file.
    fn resolve(&self, from: usize, path: &str) -> Option<Target> {
        self.resolve_wanted(from, path, Wanted::Callable)
    }

    /// Resolves a reference made in file `from` to what is `wanted` in another file.
    pub fn resolve_wanted(&self, from: usize, path: &str, wanted: Wanted) -> Option<Target> {
        let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
        let segments = segments.as_slice();
        let summary = &self.files[from];
        let first = segments.first()?;
        let local = summary
            .items
            .iter()
            .any(|i| *i.name == **first && i.self_ty.is_none());
        let absolute = if matches!(first.as_str(), "crate" | "self" | "super") {
            self.absolute(&summary.module, segments)?
        } else if local {
            return None;
        } else if let Some(entry) = summary.uses.iter().find(|u| !u.glob && *u.alias == **first) {
            let base = self.absolute(&summary.module, &entry.segments())?;
            [base.as_slice(), &segments[1..]].concat()
        } else if let Some(child) = self
            .absolute(&summary.module, segments)
            .filter(|path| self.lookup(path, 2, wanted).is_some())
        {
            // A path through a child module: `crud::create_endpoint` beside `mod crud;`.
            child
        } else {
            // Glob imports: the first module that has the name.
            summary
                .uses
                .iter()
                .filter(|u| u.glob)
                .filter_map(|u| self.absolute(&summary.module, &u.segments()))
                .map(|base| [base.as_slice(), segments].concat())
                .find(|path| self.lookup(path, 2, wanted).is_some())?
        };
        self.lookup(&absolute, 2, wanted).filter(|t| t.file != from)
    }
}

/// Each module path of `files` and the file that defines it.
pub fn modules_of(files: &[FileSummary]) -> Modules {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect()
}

/// Path references as `a::b` strings, once each, as the interner's shared copies: only those
/// whose first segment `keep` takes are joined at all.
fn shared_paths(
    references: Vec<Reference>,
    interner: &Interner,
    keep: impl Fn(&str) -> bool,
) -> Box<[Arc<str>]> {
    let mut out: Vec<Arc<str>> = Vec::new();
    let mut seen: std::collections::HashSet<Arc<str>> = std::collections::HashSet::new();
    for reference in references {
        if let Reference::Path { path, .. } = reference
            && path.split("::").next().is_some_and(&keep)
        {
            let path = interner.intern(path.into_string());
            if seen.insert(path.clone()) {
                out.push(path);
            }
        }
    }
    out.into_boxed_slice()
}

/// Which files are focus files, by `--focus` against their path below the walk root.
pub fn focus_matcher(pattern: &str) -> anyhow::Result<GlobSet> {
    glob_set(&[pattern.to_owned()], "--focus")
}

/// The items other files contribute: functions and methods the focus selection reaches (up to
/// `depth` hops), and routed handlers elsewhere that call a focus-selected function.
pub fn select_across_files(files: &[FileSummary], focus: &[usize], depth: usize) -> Vec<Pick> {
    let index = CrateIndex::new(files);
    // Items of one file name the same paths over and over (a type, a helper): each path is
    // resolved once per file.
    let mut resolved: HashMap<(usize, Arc<str>), Option<Target>> = HashMap::new();
    let mut resolve = |file: usize, path: &Arc<str>| -> Option<Target> {
        resolved
            .entry((file, path.clone()))
            .or_insert_with(|| index.resolve(file, path))
            .clone()
    };
    let mut picks: Vec<Pick> = Vec::new();
    let mut taken: BTreeSet<ItemKey> = BTreeSet::new();
    let mut queue: VecDeque<(usize, String, Option<String>, usize)> = VecDeque::new();
    let mut creation: BTreeSet<(usize, String)> = BTreeSet::new();
    // Which roots reach each item: the focus items' own, then along every edge followed.
    let mut reached: BTreeMap<ItemKey, BTreeSet<String>> = BTreeMap::new();
    let mut edges: Vec<(ItemKey, ItemKey)> = Vec::new();
    for &f in focus {
        for (i, (name, self_ty)) in files[f].selected.iter().enumerate() {
            let key = (f, name.clone(), self_ty.clone());
            let roots = files[f].reached_by.get(i).into_iter().flatten().cloned();
            reached.entry(key.clone()).or_default().extend(roots);
            taken.insert(key);
            queue.push_back((f, name.clone(), self_ty.clone(), 0));
        }
        for name in &files[f].creation {
            creation.insert((f, name.clone()));
        }
    }
    let module_name = |file: usize| {
        let m = &files[file].module;
        if m.is_empty() {
            "crate".to_owned()
        } else {
            format!("crate::{}", m.join("::"))
        }
    };
    while let Some((file, name, self_ty, hops)) = queue.pop_front() {
        if hops >= depth {
            continue;
        }
        let Some(item) = files[file]
            .items
            .iter()
            .find(|i| *i.name == *name && i.self_ty.as_deref() == self_ty.as_deref())
        else {
            continue;
        };
        for reference in &item.refs {
            let Some(target) = resolve(file, reference) else {
                continue;
            };
            let key = (target.file, target.name.clone(), target.self_ty.clone());
            edges.push(((file, name.clone(), self_ty.clone()), key.clone()));
            if !taken.insert(key) {
                continue;
            }
            picks.push(Pick {
                file: target.file,
                name: target.name.clone(),
                self_ty: target.self_ty.clone(),
                reason: Reason::ReachedFrom {
                    by: name.clone(),
                    module: module_name(file),
                },
                root: false,
                reached_by: Vec::new(),
            });
            queue.push_back((target.file, target.name, target.self_ty, hops + 1));
        }
    }
    for (h, summary) in files.iter().enumerate() {
        if focus.contains(&h) {
            continue;
        }
        for (_, handler) in &summary.routes {
            if taken.contains(&(h, handler.clone(), None)) {
                continue;
            }
            let Some(item) = summary
                .items
                .iter()
                .find(|i| *i.name == **handler && i.kind == Kind::Fn)
            else {
                continue;
            };
            let calls = item.refs.iter().find_map(|r| {
                let target = resolve(h, r)?;
                creation
                    .contains(&(target.file, target.name.clone()))
                    .then_some(target.name)
            });
            if let Some(callee) = calls {
                taken.insert((h, handler.clone(), None));
                picks.push(Pick {
                    file: h,
                    name: handler.clone(),
                    self_ty: None,
                    reason: Reason::CallsSelected(callee),
                    root: true,
                    reached_by: vec![handler.clone()],
                });
            }
        }
    }
    spread_roots(&mut reached, &edges);
    for pick in picks.iter_mut().filter(|p| !p.root) {
        let key = (pick.file, pick.name.clone(), pick.self_ty.clone());
        pick.reached_by = reached
            .remove(&key)
            .unwrap_or_default()
            .into_iter()
            .collect();
    }
    picks.sort_by(|a, b| (a.file, &a.name).cmp(&(b.file, &b.name)));
    picks
}

/// Every item reached along `edges` is reached by the roots that reach where the edge starts,
/// until nothing more spreads (a few passes: the edges are the few hops selection followed).
fn spread_roots(reached: &mut BTreeMap<ItemKey, BTreeSet<String>>, edges: &[(ItemKey, ItemKey)]) {
    loop {
        let mut grew = false;
        for (from, to) in edges {
            let Some(roots) = reached.get(from).filter(|r| !r.is_empty()).cloned() else {
                continue;
            };
            let into = reached.entry(to.clone()).or_default();
            let before = into.len();
            into.extend(roots);
            grew |= into.len() > before;
        }
        if !grew {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan made from the route table's reading is the plan made by parsing every file, and
    /// it keeps the reads of a file routed from another's router (endpoint/mod.rs routes to
    /// endpoint/crud.rs), so that its extraction does not parse it again.
    #[test]
    fn a_plan_from_the_route_tables_reading_keeps_what_routed_files_read() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/crate");
        let options = TreeOptions {
            focus: "**/endpoints/endpoint/mod.rs".to_owned(),
            include: Vec::new(),
            exclude: Vec::new(),
            depth: 2,
            progress: ProgressHook::default(),
        };
        let profiles = crate::profile::built_ins().unwrap();
        let endpoint = profiles
            .iter()
            .find(|p| p.name() == "endpoint-creation")
            .unwrap();
        let rules = &endpoint.file.roots;
        let files = walk(&root, &options).unwrap();
        let (_, read) =
            crate::extract::routes::route_table_and_summaries(&root, &files, false).unwrap();
        let parsed = plan(&root, &files, &options, rules, &[], false).unwrap();
        let from_read = plan_read(&root, &read, &options, rules, &[], false).unwrap();
        assert_eq!(
            format!("{:?}", from_read.root_files),
            format!("{:?}", parsed.root_files)
        );
        assert_eq!(
            format!("{:?}", from_read.picked),
            format!("{:?}", parsed.picked)
        );
        let crud = root.join("src/v1/endpoints/endpoint/crud.rs");
        assert!(
            parsed
                .root_files
                .iter()
                .any(|r| r.path == crud && r.has_roots)
        );
        let kept: Vec<&Path> = from_read.kept.iter().map(Unfocused::path).collect();
        assert_eq!(kept, [crud.as_path()]);
        assert!(from_read.kept[0].kept_read().is_some());
        assert!(parsed.kept.is_empty());
    }

    #[test]
    fn module_paths_follow_rusts_rules() {
        let base = Path::new("crate/src");
        let table = [
            ("crate/src/lib.rs", Some(vec![])),
            ("crate/src/main.rs", Some(vec![])),
            ("crate/src/core/mod.rs", Some(vec!["core"])),
            (
                "crate/src/v1/endpoints/message.rs",
                Some(vec!["v1", "endpoints", "message"]),
            ),
            (
                "crate/src/v1/endpoints/endpoint/mod.rs",
                Some(vec!["v1", "endpoints", "endpoint"]),
            ),
            ("crate/src/core/lib.rs", Some(vec!["core", "lib"])),
            ("crate/build.rs", None),
        ];
        for (file, expected) in table {
            let expected =
                expected.map(|v: Vec<&str>| v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(module_path(base, Path::new(file)), expected, "{file}");
        }
    }

    /// Every fixture file, summarized whole and put together from its pieces, gives the same
    /// summary, as a focus file or not, with and without a root routed to it, for every
    /// built-in profile's roots: history mode relies on the pieces (each parsed once across a
    /// file's versions) standing for the file.
    #[test]
    fn a_summary_put_together_from_pieces_is_the_whole_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        assert!(files.len() > 10, "{files:?}");
        let interner = Interner::default();
        let routed = [("create_endpoint".to_owned(), Reason::RootFlag)];
        let mut focus_files = 0;
        for name in [
            "message-creation",
            "application-creation",
            "endpoint-creation",
        ] {
            let profile = crate::profile::Profile::load(name).unwrap();
            for path in &files {
                let source = SourceFile::read(path).unwrap();
                let Ok(_) = source.parse() else { continue };
                let pieces: Vec<PieceSummary> = piece_bounds(&source.text)
                    .into_iter()
                    .map(|r| {
                        summarize_piece(&source.text[r], &profile.file.roots, &interner).unwrap()
                    })
                    .collect();
                let pieces: Vec<&PieceSummary> = pieces.iter().collect();
                for (is_focus, roots) in [(true, &[][..]), (false, &[]), (true, &routed[..])] {
                    let focus = Focus {
                        is_focus,
                        root_rules: &profile.file.roots,
                        roots,
                    };
                    let module = vec!["m".to_owned()];
                    let whole = summarize_source(&source, module.clone(), &focus, &interner, false)
                        .unwrap();
                    let put_together =
                        summary_of_pieces(&source.path, module, &pieces, &focus, &interner);
                    focus_files += usize::from(!whole.selected.is_empty());
                    assert_eq!(
                        format!("{put_together:?}"),
                        format!("{whole:?}"),
                        "{} ({name}, {roots:?})",
                        path.display()
                    );
                }
            }
        }
        assert!(focus_files >= 6, "{focus_files}");
    }

    /// Items other files contribute know which roots reach them: every root whose items name
    /// them (a helper two handlers call is reached by both, though selection took it through
    /// the first), and a routed handler that calls a creation function is its own root.
    #[test]
    fn picked_items_know_the_roots_that_reach_them() {
        let routes = r#"
async fn create_one() { crate::b::only_one(); crate::b::shared(); }
async fn create_two() { crate::b::shared(); }
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route("/app/{app_id}/msg", post(create_one))
        .api_route("/v2/app/{app_id}/msg", post(create_two))
}
"#;
        let helpers = r#"
pub fn only_one() {}
pub fn shared() {}
pub fn unused() {}
async fn send_example() { crate::a::create_one(); }
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/example", post(send_example))
}
"#;
        let profile = crate::profile::Profile::load("message-creation").unwrap();
        let interner = Interner::default();
        let focus = Focus {
            is_focus: true,
            root_rules: &profile.file.roots,
            roots: &[],
        };
        let files: Vec<FileSummary> = [("a", routes), ("b", helpers)]
            .into_iter()
            .map(|(module, text)| {
                let path = PathBuf::from(format!("src/{module}.rs"));
                let source = SourceFile::from_text(&path, text.to_owned());
                summarize_source(&source, vec![module.to_owned()], &focus, &interner, false)
                    .unwrap()
            })
            .collect();
        let shown: Vec<String> = select_across_files(&files, &[0], 1)
            .iter()
            .map(|p| format!("{} <- {}", p.name, p.reached_by.join(" ")))
            .collect();
        assert_eq!(
            shown,
            [
                "only_one <- create_one",
                "send_example <- send_example",
                "shared <- create_one create_two",
            ]
        );
    }

    #[test]
    fn use_trees_flatten_with_renames_groups_and_globs() {
        let file: syn::File = syn::parse_str(
            "use super::message::{create_message_inner as create_inner, MessageIn};\nuse crate::queue::{self, *};",
        )
        .unwrap();
        let mut out = Vec::new();
        let interner = Interner::default();
        for item in &file.items {
            if let syn::Item::Use(u) = item {
                use_entries(&u.tree, &mut Vec::new(), &mut out, &interner);
            }
        }
        let shown: Vec<String> = out
            .iter()
            .map(|u| {
                format!(
                    "{} = {}{}",
                    u.alias,
                    u.target,
                    if u.glob { "::*" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "create_inner = super::message::create_message_inner",
                "MessageIn = super::message::MessageIn",
                "queue = crate::queue",
                " = crate::queue::*",
            ]
        );
    }
}

/// What crate mode runs the pipeline on: the files with roots (focus files, and files a focus
/// file's router reaches through a module path), each with the roots found for it elsewhere,
/// and the items other files contribute.
#[derive(Debug, Default)]
pub struct Plan {
    pub root_files: Vec<RootFile>,
    /// Files and the items picked from them, in path order.
    pub picked: Vec<(PathBuf, Vec<Pick>)>,
    /// Files that could not be read or parsed, with why.
    pub skipped: Vec<String>,
    /// When outlines were asked for, every file's summary (what a unit's context resolves
    /// across files); else empty, dropped with the plan's other inputs.
    pub summaries: Vec<FileSummary>,
    /// For a plan made from the route table's reading ([`plan_read`]): the files routed from
    /// another file's router that the reading did not keep the reads of, read here (their
    /// focus selection needs a tree) and kept, so that their extraction need not parse them a
    /// third time ([`Unfocused::kept_read`]).
    pub kept: Vec<Unfocused>,
}

#[derive(Debug, Clone)]
pub struct RootFile {
    pub path: PathBuf,
    /// Whether single-file selection finds a root in it (see [`FileSummary::has_roots`]).
    pub has_roots: bool,
    /// Roots routed from another file's router, with the route that names them.
    pub roots: Vec<(String, Reason)>,
    /// The files whose routers register those roots: a request may quote their routes.
    pub routers: Vec<PathBuf>,
}

/// Summarizes every file [`walk`] found under `root` in parallel, follows root routes into the
/// modules that define their handlers, and selects across files. With `outlines`, the plan
/// keeps every file's summary, outlined, for briefs' context ([`Plan::summaries`]).
pub fn plan(
    root: &Path,
    files: &[PathBuf],
    options: &TreeOptions,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    outlines: bool,
) -> anyhow::Result<Plan> {
    if files.is_empty() {
        anyhow::bail!("{} is a folder with no .rs file", root.display());
    }
    let interner = Interner::default();
    let summarized = summarize_all(root, files, options, root_rules, roots, &interner, outlines)?;
    plan_of(
        summarized, None, options, root_rules, roots, &interner, outlines,
    )
}

/// [`plan`] over the files the route table's reading summarized
/// ([`crate::extract::routes::route_table_and_summaries`], with the same `outlines`): only the
/// focus files whose selection needs a tree are parsed again.
pub fn plan_read(
    root: &Path,
    read: &[Unfocused],
    options: &TreeOptions,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    outlines: bool,
) -> anyhow::Result<Plan> {
    if read.is_empty() {
        anyhow::bail!("{} is a folder with no .rs file", root.display());
    }
    let interner = Interner::default();
    let summarized = focus_all(root, read, options, root_rules, roots, &interner)?;
    plan_of(
        summarized,
        Some(read),
        options,
        root_rules,
        roots,
        &interner,
        outlines,
    )
}

/// The plan from every file's summary: the files with roots, those routed from another file's
/// router summarized again with their roots (from what the route table's reading `read` kept
/// of them, when it did), and the picks across files.
fn plan_of(
    summarized: Summaries,
    read: Option<&[Unfocused]>,
    options: &TreeOptions,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    interner: &Interner,
    outlines: bool,
) -> anyhow::Result<Plan> {
    let Summaries {
        mut summaries,
        mut focus_files,
        skipped,
    } = summarized;
    let mut root_files: Vec<RootFile> = focus_files
        .iter()
        .map(|&f| RootFile {
            path: summaries[f].path.clone(),
            has_roots: summaries[f].has_roots,
            roots: Vec::new(),
            routers: Vec::new(),
        })
        .collect();
    let routed = routed_files(&summaries, &focus_files);
    let kept: HashMap<&Path, &Unfocused> = read
        .unwrap_or_default()
        .iter()
        .filter(|u| !u.reads.is_empty())
        .map(|u| (u.path(), u))
        .collect();
    // The files routed to are summarized again, side by side, with the roots routed to them.
    let again: Vec<Result<(FileSummary, Option<Unfocused>), TreeError>> =
        crate::extract::source::on_pool(|| {
            use rayon::prelude::*;
            routed
                .par_iter()
                .map(|(&file, routed_file)| {
                    let summary = &summaries[file];
                    let found: Vec<_> = routed_file.roots.iter().chain(roots).cloned().collect();
                    let focus = Focus {
                        is_focus: true,
                        root_rules,
                        roots: &found,
                    };
                    if let Some(unfocused) = kept.get(summary.path.as_path()) {
                        return focus_unfocused(unfocused, &focus, interner).map(|s| (s, None));
                    }
                    if read.is_some() {
                        return read_routed(summary, &focus, interner, outlines)
                            .map(|(s, u)| (s, Some(u)));
                    }
                    let made = summarize(
                        &summary.path,
                        summary.module.clone(),
                        true,
                        root_rules,
                        &found,
                        interner,
                        outlines,
                    );
                    proc_macro2::extra::invalidate_current_thread_spans();
                    made.map(|s| (s, None))
                })
                .collect()
        });
    let mut kept = Vec::new();
    for ((file, routed_file), summary) in routed.into_iter().zip(again) {
        let (summary, read) = summary.map_err(|e| anyhow::anyhow!("{e}"))?;
        summaries[file] = summary;
        kept.extend(read);
        match root_files.iter_mut().find(|r| r.path == routed_file.path) {
            Some(existing) => {
                existing.has_roots = summaries[file].has_roots;
                existing.roots.extend(routed_file.roots);
                existing.routers.extend(routed_file.routers);
            }
            None => {
                focus_files.push(file);
                root_files.push(routed_file);
            }
        }
    }
    let picks = if options.depth == 0 {
        Vec::new()
    } else {
        select_across_files(&summaries, &focus_files, options.depth)
    };
    Ok(Plan {
        root_files,
        picked: picked_by_file(&summaries, picks),
        skipped,
        summaries: if outlines { summaries } else { Vec::new() },
        kept,
    })
}

/// A file routed from another file's router, whose reads the route table's reading did not
/// keep: parsed once more, summarized with the roots `focus` gives it, and its reads kept.
fn read_routed(
    summary: &FileSummary,
    focus: &Focus,
    interner: &Interner,
    outlines: bool,
) -> Result<(FileSummary, Unfocused), TreeError> {
    let source = SourceFile::read(&summary.path).map_err(|e| TreeError::Read(format!("{e:#}")))?;
    let file = source.parse().map_err(TreeError::Parse)?;
    let read = unfocused_summary(&source, &file, summary.module.clone(), interner, outlines)
        .with_reads(&source, &file);
    drop(file);
    proc_macro2::extra::invalidate_current_thread_spans();
    let focused = focus_unfocused(&read, focus, interner)?;
    // The summary lives on in the plan's own list; only the reads are wanted of this one.
    let kept = Unfocused {
        summary: FileSummary {
            items: Vec::new(),
            uses: Vec::new(),
            impls: Vec::new(),
            routes: Vec::new(),
            ..read.summary
        },
        routes: Vec::new(),
        ..read
    };
    Ok((focused, kept))
}

/// Every file of a crate summarized: the summaries, which of them are focus files, and the
/// files that could not be read or parsed, with why.
struct Summaries {
    summaries: Vec<FileSummary>,
    focus_files: Vec<usize>,
    skipped: Vec<String>,
}

/// [`summarize_all`] for files the route table's reading summarized: each focus selection
/// that needs a tree parses its file again, in parallel on the large-stack pool.
fn focus_all(
    root: &Path,
    read: &[Unfocused],
    options: &TreeOptions,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    interner: &Interner,
) -> anyhow::Result<Summaries> {
    use rayon::prelude::*;
    let focus = focus_matcher(&options.focus)?;
    let pool = source::pool()?;
    let done = AtomicUsize::new(0);
    options.progress.report(0, read.len());
    let results: Vec<_> = pool.install(|| {
        read.par_iter()
            .map(|unfocused| {
                let path = &unfocused.summary.path;
                let relative = path.strip_prefix(root).unwrap_or(path);
                let is_focus = focus.is_match(relative);
                let file_focus = Focus {
                    is_focus,
                    root_rules,
                    roots,
                };
                let summary = focus_unfocused(unfocused, &file_focus, interner);
                let done = done.fetch_add(1, Ordering::Relaxed) + 1;
                options.progress.report(done, read.len());
                (is_focus, summary)
            })
            .collect()
    });
    Ok(gathered(results))
}

/// Summarizes `files` in parallel on the large-stack pool, reporting progress as each is done.
fn summarize_all(
    root: &Path,
    files: &[PathBuf],
    options: &TreeOptions,
    root_rules: &[RootRule],
    roots: &[(String, Reason)],
    interner: &Interner,
    outlines: bool,
) -> anyhow::Result<Summaries> {
    use rayon::prelude::*;
    let base = source_base(root);
    let focus = focus_matcher(&options.focus)?;
    let pool = source::pool()?;
    let parsed = AtomicUsize::new(0);
    options.progress.report(0, files.len());
    let results: Vec<_> = pool.install(|| {
        files
            .par_iter()
            .filter_map(|path| {
                let result = module_path(&base, path).map(|module| {
                    let relative = path.strip_prefix(root).unwrap_or(path);
                    let is_focus = focus.is_match(relative);
                    let summary = summarize(
                        path, module, is_focus, root_rules, roots, interner, outlines,
                    );
                    // Each parsed file's text stays in this thread's span table otherwise.
                    proc_macro2::extra::invalidate_current_thread_spans();
                    (is_focus, summary)
                });
                let done = parsed.fetch_add(1, Ordering::Relaxed) + 1;
                options.progress.report(done, files.len());
                result
            })
            .collect()
    });
    Ok(gathered(results))
}

/// Each file's summary, or why it has none, gathered in file order.
fn gathered(results: Vec<(bool, Result<FileSummary, TreeError>)>) -> Summaries {
    let mut summaries = Vec::new();
    let mut focus_files = Vec::new();
    let mut skipped = Vec::new();
    for (is_focus, result) in results {
        match result {
            Ok(summary) => {
                if is_focus {
                    focus_files.push(summaries.len());
                }
                summaries.push(summary);
            }
            Err(err) => skipped.push(err.to_string()),
        }
    }
    Summaries {
        summaries,
        focus_files,
        skipped,
    }
}

/// A focus router that registers a handler of another module makes that module's file a file
/// with roots; its summary is made again with them, so that selection across files starts
/// from what the handler reaches. Returns those files, by index, with the roots routed to them
/// and the routers that route them.
pub fn routed_files(summaries: &[FileSummary], focus_files: &[usize]) -> BTreeMap<usize, RootFile> {
    let mut routed: BTreeMap<usize, RootFile> = BTreeMap::new();
    let index = CrateIndex::new(summaries);
    for &f in focus_files {
        for (path, reason) in &summaries[f].foreign_roots {
            if let Some(target) = index.resolve(f, path)
                && target.self_ty.is_none()
            {
                let entry = routed.entry(target.file).or_insert_with(|| RootFile {
                    path: summaries[target.file].path.clone(),
                    // Roots routed to it are roots of its selection, or an error to show.
                    has_roots: true,
                    roots: Vec::new(),
                    routers: Vec::new(),
                });
                entry.roots.push((target.name, reason.clone()));
                if !entry.routers.contains(&summaries[f].path) {
                    entry.routers.push(summaries[f].path.clone());
                }
            }
        }
    }
    routed
}

/// The picks grouped by file, in the order they come (path order).
fn picked_by_file(summaries: &[FileSummary], picks: Vec<Pick>) -> Vec<(PathBuf, Vec<Pick>)> {
    let mut picked: Vec<(PathBuf, Vec<Pick>)> = Vec::new();
    for pick in picks {
        let path = &summaries[pick.file].path;
        match picked.last_mut() {
            Some((last, list)) if last == path => list.push(pick),
            _ => picked.push((path.clone(), vec![pick])),
        }
    }
    picked
}
