//! The pipeline every mode shares: parse → select → facts → units → brief → write → check,
//! turning one source file and a profile into `Example`s (plain data: request, reasoning, code
//! and the provenance of every slice of that code). Crate mode runs it per file; history mode
//! ([`extract_history`]) reads each version of a file through it and writes the pairs
//! `history/` makes. Formatting to a wire format comes after, in `dataset/format.rs`.
//!
//! Text comes only from a [`Writer`]: this module fills each example's [`Brief`] and takes the
//! writer's [`Text`](crate::write::Text), whoever the writer is ([`Options::writer`]; the
//! profile's templates by default), and the check then judges it.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::dataset::check;
use crate::dataset::example::Voice;
use crate::extract::context::{self, ContextItem};
use crate::extract::facts::{self, Fact, LocalNames, LocalNamesKey};
use crate::extract::parse;
use crate::extract::select::{self, Inventory, Kind, Route, Selection};
use crate::extract::source::{self, SourceFile};
use crate::extract::text::{is_keyword, stable_hash};
use crate::extract::tree;
use crate::extract::units::Role;
use crate::extract::units::{self, Imports, Unit};
use crate::history::git::Repo;
use crate::history::{self, CommitRow, History, HistoryOptions, Version, VersionItem, VersionUse};
use crate::profile::{self, Profile};
use crate::write::template::TemplateWriter;
use crate::write::{self, Brief, BriefItem, ChangeBrief, Exhausted, HistoryBrief, Pending, Writer};

pub use crate::dataset::example::{Dropped, Example, Slice};

/// What shapes the examples besides the profile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Functions taken as roots besides the routed ones (`--root`, or routed from another
    /// file's router in crate mode), each with why.
    pub roots: Vec<(String, select::Reason)>,
    /// Examples per unit; by default a plan that reaches about 20 per file.
    pub variants: Option<usize>,
    pub imports: Imports,
    /// Other files whose text a request may quote: the router that registers a root defined
    /// in the file at hand (crate mode).
    pub context: Vec<SourceFile>,
    /// Who writes the text: the profile's templates unless told otherwise.
    pub writer: Writers,
    /// Whether each brief carries its unit's context ([`Brief::context`]): for a writer that
    /// reads it (the language model's). Off, nothing of it is read or kept, and a run costs
    /// what it did before.
    pub context_for_writer: bool,
    /// Crate mode, with context asked for: every file of the crate, to quote what a unit
    /// reaches in another module (set by [`extract_walked`]).
    pub crate_items: Option<std::sync::Arc<context::CrateItems>>,
}

/// Makes the writer of one file's examples from the run's profile (generation makes one per
/// file, so what a writer remembers of what it said stays within a file).
pub type MakeWriter = dyn for<'p> Fn(&'p Profile) -> Box<dyn Writer + 'p> + Send + Sync;

/// Which writer a run's text comes from.
#[derive(Clone, Default)]
pub enum Writers {
    /// The profile's templates and rules ([`TemplateWriter`]).
    #[default]
    Templates,
    /// Another writer, made for each file.
    Given(std::sync::Arc<MakeWriter>),
}

impl Writers {
    /// A fresh writer for `profile`.
    pub fn make<'p>(&self, profile: &'p Profile) -> Box<dyn Writer + 'p> {
        match self {
            Writers::Templates => Box::new(template_writer(profile)),
            Writers::Given(make) => make(profile),
        }
    }
}

impl fmt::Debug for Writers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Writers::Templates => f.write_str("Templates"),
            Writers::Given(_) => f.write_str("Given(..)"),
        }
    }
}

/// The profile's templates and rules as a writer, nothing said yet.
pub fn template_writer(profile: &Profile) -> TemplateWriter<'_> {
    TemplateWriter::new(&profile.templates, &profile.rules)
}

/// One row of `--list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The file the item is in, in crate mode.
    pub file: Option<String>,
    pub kind: String,
    pub name: String,
    pub lines: (usize, usize),
    pub reason: String,
}

/// What a run produced, before any formatting.
#[derive(Debug, Default)]
pub struct Extracted {
    pub rows: Vec<ListRow>,
    pub examples: Vec<Example>,
    pub unit_count: usize,
    /// Units that ran out of distinct phrasings before `--variants` was reached.
    pub shortfalls: Vec<Shortfall>,
    /// In crate mode, each file that could not be read or parsed, with why.
    pub skipped: Vec<String>,
    /// In crate mode, units whose code stands identically in an earlier file (a copied
    /// module, a vendored crate): made once, from the first file.
    pub duplicates: Vec<Duplicate>,
    /// Examples left out because their text fails the check, in the order they were made.
    pub dropped: Vec<Dropped>,
}

/// A unit left out because an earlier file has the same unit with the same code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub unit: String,
    pub file: String,
    /// The file whose copy was kept.
    pub kept: String,
}

/// A unit that got fewer examples than asked, because every further phrasing would repeat an
/// earlier request or reasoning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub unit: String,
    pub made: usize,
    pub asked: usize,
}

/// Nothing to take from the input: reported loudly, with exit code 1.
#[derive(Debug)]
pub struct EmptySelection {
    pub profile: String,
    pub path: PathBuf,
    /// What was looked for and not found, or which other profile the input is for.
    pub why: String,
}

impl EmptySelection {
    /// The first half of the message: what was not found where.
    pub fn summary(&self) -> String {
        format!("no {} route in {}", self.profile, self.path.display())
    }
}

impl fmt::Display for EmptySelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.summary(), self.why)?;
        // A file that is for another profile wants that profile, not an empty dataset.
        if !self.why.starts_with(" (") {
            f.write_str(" (--allow-empty writes an empty file instead)")?;
        }
        Ok(())
    }
}

impl std::error::Error for EmptySelection {}

/// The generator's own check found a fault in an example: a bug, never written.
#[derive(Debug)]
pub struct InternalError(pub String);

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal error: {}", self.0)
    }
}

impl std::error::Error for InternalError {}

/// Why a file gave no root: the profile's routes it lacks, a root handler defined in another
/// module, or another built-in profile whose routes it does register.
fn why_empty(profile: &Profile, routes: &[Route], foreign: &[Route]) -> String {
    if let Some(route) = foreign.first() {
        return format!(
            ": its router registers {} {} with `{}`, which is defined in another module; give \
             the crate folder to follow it there",
            route.method.to_uppercase(),
            route.path(),
            route.handler_path.join("::")
        );
    }
    let others = profile::built_in_files().unwrap_or_default();
    for other in others.iter().filter(|p| p.name != profile.name()) {
        if let Some(route) = routes
            .iter()
            .find(|r| other.is_root_route(&r.method, &r.path()))
        {
            return format!(
                " (it registers {} {}: try --profile {})",
                route.method.to_uppercase(),
                route.path(),
                other.name
            );
        }
    }
    format!(
        ": nothing is registered for {} by a router in the file, and no --root was given",
        profile.describe_roots()
    )
}

/// The pure pipeline on one file's text: parse, select, read facts, write, check.
///
/// The syntax tree is read on threads with a large stack ([`parse::two_passes`]); what comes
/// back is plain data, written and checked on the calling thread.
pub fn extract(
    source: &SourceFile,
    profile: &Profile,
    options: &Options,
) -> anyhow::Result<Extracted> {
    extract_loading(source, || Ok(profile), options)
}

/// [`extract`], with the profile loaded by `load` while the file is parsed (a load error
/// wins over a parse error).
pub fn extract_loading<P: Borrow<Profile> + Send + Sync>(
    source: &SourceFile,
    load: impl FnOnce() -> anyhow::Result<P>,
    options: &Options,
) -> anyhow::Result<Extracted> {
    let read = read_selected(source, load, options, false, |profile, inventory| {
        let selection =
            select::select_creation_items(inventory, &profile.file.roots, &options.roots)
                .with_context(|| format!("cannot select from {}", source.path.display()))?;
        if selection.roots.is_empty() {
            return Err(EmptySelection {
                profile: profile.name().to_owned(),
                path: source.path.clone(),
                why: why_empty(profile, &selection.routes, &selection.foreign_roots),
            }
            .into());
        }
        Ok(selection)
    })?;
    finish(source, &read, options)
}

/// Crate mode's other files: the picked functions and methods of one file, as units of their
/// own, each with its file's use declarations.
pub fn extract_picked(
    source: &SourceFile,
    picks: &[tree::Pick],
    profile: &Profile,
    options: &Options,
) -> anyhow::Result<Extracted> {
    let read = read_selected(
        source,
        || Ok(profile),
        options,
        true,
        |_, inventory| picked_selection(source, inventory, picks),
    )?;
    finish(source, &read, options)
}

/// The selection of a file's picked functions and methods: each pick's entry (a root when the
/// pick is one), in entry order, beside the file's routes and `use` declarations.
fn picked_selection(
    source: &SourceFile,
    inventory: &Inventory,
    picks: &[tree::Pick],
) -> anyhow::Result<Selection> {
    let mut items = Vec::new();
    let mut roots = Vec::new();
    for pick in picks {
        let entry = match &pick.self_ty {
            Some(ty) => inventory.method_index(ty, &pick.name),
            None => inventory.fn_index(&pick.name),
        };
        let Some(entry) = entry else {
            return Err(InternalError(format!(
                "{} has no {} any more",
                source.path.display(),
                pick.name
            ))
            .into());
        };
        if pick.root {
            roots.push(entry);
        }
        items.push(select::Selected {
            entry,
            reason: pick.reason.clone(),
        });
    }
    items.sort_by_key(|s| s.entry);
    Ok(Selection {
        routes: select::find_routes(inventory),
        roots,
        foreign_roots: Vec::new(),
        items,
        uses: inventory.use_entries(),
    })
}

/// A file's inventory, what was selected from it, and what the syntax tree says of each
/// selected item: everything the stages after selection read, as plain data.
struct Read<P> {
    profile: P,
    /// Shared, so that a run over every route reads a file once for all its operations.
    inventory: std::sync::Arc<Inventory>,
    selection: Selection,
    /// By entry: the facts of each selected item, and (for `--imports used`) the identifiers
    /// its code names.
    facts: BTreeMap<usize, Vec<Fact>>,
    identifiers: BTreeMap<usize, BTreeSet<String>>,
    /// By entry, what each selected item reaches, when context is asked for (else empty).
    reach: BTreeMap<usize, context::Reach>,
}

impl<P> Read<P> {
    /// The facts of a selected item (none for another).
    fn facts_of(&self, entry: usize) -> &[Fact] {
        self.facts.get(&entry).map_or(&[], Vec::as_slice)
    }
}

/// Parses, inventories and selects (`select` chooses from the inventory), then reads the facts
/// of the selected items off their syntax trees. The profile comes from `load`, run while the
/// file is parsed.
fn read_selected<P: Borrow<Profile> + Send + Sync>(
    source: &SourceFile,
    load: impl FnOnce() -> anyhow::Result<P>,
    options: &Options,
    with_methods: bool,
    select: impl FnOnce(&Profile, &Inventory) -> anyhow::Result<Selection>,
) -> anyhow::Result<Read<P>> {
    let (profile, seen) = read_once(source, load, options, with_methods, |profile: P, inv| {
        let selection = select(profile.borrow(), inv)?;
        Ok((profile, selection))
    })?;
    Ok(read_of_seen(source, profile, seen, options))
}

/// [`read_selected`] of a file whose items and facts the route table's reading kept
/// ([`tree::Unfocused::kept_read`]: `facts` holds each item's facts of its own code, by item),
/// so that nothing is parsed again. Not for a run that reads context or keeps only the `use`
/// declarations an example names: those read more off the tree.
fn read_kept<P: Borrow<Profile>>(
    source: &SourceFile,
    (reads, facts): (&[select::ItemRead], &[Vec<Fact>]),
    profile: P,
    options: &Options,
    select: impl FnOnce(&Profile, &Inventory) -> anyhow::Result<Selection>,
) -> anyhow::Result<Read<P>> {
    let mut inventory = Inventory::from_items(reads.iter().cloned());
    let selection = select(profile.borrow(), &inventory)?;
    let seen = selection
        .items
        .iter()
        .map(|s| {
            let entry = &inventory.entries[s.entry];
            let own = facts.get(entry.item.index).cloned().unwrap_or_default();
            (s.entry, (own, BTreeSet::new()))
        })
        .collect();
    inventory.forget_selection_inputs();
    let seen = FileSeen {
        inventory,
        selection,
        seen,
        reach: BTreeMap::new(),
    };
    Ok(read_of_seen(source, profile, seen, options))
}

/// A file's [`Read`] from what its syntax tree said: the placed facts added to each selected
/// item's own.
fn read_of_seen<P: Borrow<Profile>>(
    source: &SourceFile,
    profile: P,
    seen: FileSeen,
    options: &Options,
) -> Read<P> {
    let facts = placed_facts(
        source,
        &seen.inventory,
        &seen.selection,
        profile.borrow(),
        &options.context,
    );
    let FileSeen {
        inventory,
        selection,
        seen,
        reach,
    } = seen;
    let (facts, identifiers) = with_seen(facts, seen);
    Read {
        profile,
        inventory: std::sync::Arc::new(inventory),
        selection,
        facts,
        identifiers,
        reach,
    }
}

/// A file parsed once, its selection, and what the syntax tree says of each selected item: its
/// own facts and identifiers (not yet those that come from where it stands, which depend on the
/// profile and on which items are roots).
struct FileSeen {
    inventory: Inventory,
    selection: Selection,
    /// In selection order, by entry: the facts of each selected item's own code, and (for
    /// `--imports used`) the identifiers it names.
    seen: Vec<(usize, ItemSeen)>,
    /// By entry, what each selected item reaches, when context is asked for (else empty).
    reach: BTreeMap<usize, context::Reach>,
}

/// [`read_selected`] up to the placed facts: parses, inventories, selects with what `load`
/// made (run while the file is parsed), and visits the selected items. Returns what `select`
/// kept beside its selection.
fn read_once<P: Send, Q: Send + Sync>(
    source: &SourceFile,
    load: impl FnOnce() -> anyhow::Result<P>,
    options: &Options,
    with_methods: bool,
    select: impl FnOnce(P, &Inventory) -> anyhow::Result<(Q, Selection)>,
) -> anyhow::Result<(Q, FileSeen)> {
    let names_needed = options.imports == Imports::Used;
    let outlines = options.context_for_writer;
    let ((made, mut inventory, selection, _names), seen) = parse::two_passes(
        source,
        load,
        |at, i, item, node| select::read_item(at, i, item, node, with_methods, outlines),
        |made, reads| {
            let inventory = Inventory::from_items(reads);
            let (made, selection) = select(made, &inventory)?;
            let chosen = chosen_items(&inventory, &selection);
            let names = LocalNames::of_inventory(&inventory);
            Ok(((made, inventory, selection, names), chosen))
        },
        |(_, inventory, selection, names), k, at, item| {
            let entry = &inventory.entries[selection.items[k].entry];
            let facts = facts::item_facts(&at, item, entry.node.clone(), names);
            let mut identifiers = BTreeSet::new();
            if names_needed {
                select::identifiers(item, &mut identifiers);
            }
            (facts, identifiers)
        },
    )?;
    let reach = if outlines {
        selection
            .items
            .iter()
            .map(|s| (s.entry, context::reach(&inventory, s.entry)))
            .collect()
    } else {
        BTreeMap::new()
    };
    inventory.forget_selection_inputs();
    let seen = selection.items.iter().map(|s| s.entry).zip(seen).collect();
    let file = FileSeen {
        inventory,
        selection,
        seen,
        reach,
    };
    Ok((made, file))
}

/// What a selected item's own code says: its facts, and the identifiers it names.
type ItemSeen = (Vec<Fact>, BTreeSet<String>);

/// Each selected item's facts, its placed ones (`placed`) first and then those of its own code
/// (`seen`, by entry), and the identifiers it names.
fn with_seen(
    mut placed: BTreeMap<usize, Vec<Fact>>,
    seen: impl IntoIterator<Item = (usize, ItemSeen)>,
) -> (
    BTreeMap<usize, Vec<Fact>>,
    BTreeMap<usize, BTreeSet<String>>,
) {
    let mut identifiers = BTreeMap::new();
    for (entry, (own, names)) in seen {
        placed.entry(entry).or_default().extend(own);
        identifiers.insert(entry, names);
    }
    (placed, identifiers)
}

/// The selected items, to be visited again: each entry's item, or its method.
fn chosen_items(inventory: &Inventory, selection: &Selection) -> Vec<parse::Chosen> {
    selection
        .items
        .iter()
        .map(|s| {
            let e = &inventory.entries[s.entry];
            parse::Chosen {
                item: e.item,
                method: e.method,
            }
        })
        .collect()
}

/// The stages after selection, shared by every mode: units, writing, the check.
fn finish<P: Borrow<Profile> + Sync>(
    source: &SourceFile,
    read: &Read<P>,
    options: &Options,
) -> anyhow::Result<Extracted> {
    let Read {
        inventory,
        selection,
        facts,
        ..
    } = read;
    let profile = read.profile.borrow();
    let rows = list_rows(inventory, selection);
    let units = units::build_units(inventory, selection, facts);
    let writer = options.writer.make(profile);
    let (examples, shortfalls) =
        write_examples(source, read, &units, profile, options, writer.as_ref())?;
    // The context files only ground quotations; no slice comes from them.
    let sources: Vec<check::Source> = std::iter::once(check::Source {
        file: source,
        items: inventory.boundaries(),
        commit: None,
    })
    .chain(options.context.iter().map(|file| check::Source {
        file,
        items: &[],
        commit: None,
    }))
    .collect();
    let (examples, dropped) = check_examples(examples, &sources, profile)?;
    Ok(Extracted {
        rows,
        unit_count: units.len().saturating_sub(emptied(&dropped, &examples)),
        examples,
        shortfalls,
        skipped: Vec::new(),
        duplicates: Vec::new(),
        dropped,
    })
}

/// Every invariant of the examples, before anything is formatted. An example whose text fails
/// is left out, its first fault saying why: one example's words never sink a run. A fault of
/// the code (slices that do not rebuild it, or not on item boundaries) is a bug of the
/// generator, whatever the example says: an internal error, and nothing is written. Returns
/// the examples kept, in order, and those left out, in the order they were made.
pub fn check_examples(
    examples: Vec<Example>,
    sources: &[check::Source],
    profile: &Profile,
) -> anyhow::Result<(Vec<Example>, Vec<Dropped>)> {
    let (kept, dropped) = check_numbered(examples, sources, profile)?;
    Ok((
        kept.into_iter().map(|(_, e)| e).collect(),
        dropped.into_iter().map(|(_, d)| d).collect(),
    ))
}

/// [`check_examples`], each example kept or left out with its position in `examples`.
#[allow(clippy::type_complexity)]
pub fn check_numbered(
    examples: Vec<Example>,
    sources: &[check::Source],
    profile: &Profile,
) -> anyhow::Result<(Vec<(usize, Example)>, Vec<(usize, Dropped)>)> {
    let own = check::own_faults(&examples, sources, &profile.file.mechanisms);
    if let Some(fault) = own.iter().find(|f| f.kind == check::FaultKind::Code) {
        return Err(InternalError(format!(
            "example {} (unit {}) fails its check: {}",
            fault.example + 1,
            examples.get(fault.example).map_or("?", |e| e.unit.as_str()),
            fault.message
        ))
        .into());
    }
    let (kept, mut dropped) = leave_out(examples.into_iter().enumerate().collect(), &own);
    // Repeats are looked for among the examples kept, so that none is left out for repeating
    // one that was left out itself.
    let repeats = check::repeat_faults(&kept.iter().map(|(_, e)| e).collect::<Vec<_>>());
    let (kept, repeats) = leave_out(kept, &repeats);
    dropped.extend(repeats);
    dropped.sort_by_key(|&(i, _)| i);
    Ok((kept, dropped))
}

/// Splits numbered examples into those without a fault and those with one (`faults` index
/// `examples` by position), each left out for its first fault.
#[allow(clippy::type_complexity)]
fn leave_out(
    examples: Vec<(usize, Example)>,
    faults: &[check::ExampleFault],
) -> (Vec<(usize, Example)>, Vec<(usize, Dropped)>) {
    let mut first: BTreeMap<usize, &check::ExampleFault> = BTreeMap::new();
    for fault in faults {
        first.entry(fault.example).or_insert(fault);
    }
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (position, (number, example)) in examples.into_iter().enumerate() {
        match first.get(&position) {
            Some(fault) => dropped.push((
                number,
                Dropped::of(&example, fault.message.clone(), fault.excerpt.clone()),
            )),
            None => kept.push((number, example)),
        }
    }
    (kept, dropped)
}

/// The units a run's examples belong to: a unit key in its file (crate mode may have one key in
/// several files) at its commit (history). A unit whose examples were all left out counts no
/// more.
pub fn units_of(examples: &[Example]) -> BTreeSet<(&str, Option<&Path>, Option<&str>)> {
    examples
        .iter()
        .map(|e| {
            (
                e.unit.as_str(),
                e.slices.first().map(|s| s.path.as_path()),
                e.commit.as_deref(),
            )
        })
        .collect()
}

/// How many units had an example left out and have none kept.
pub fn emptied(dropped: &[Dropped], kept: &[Example]) -> usize {
    let left: BTreeSet<(&str, Option<&Path>, Option<&str>)> = dropped
        .iter()
        .map(|d| (d.unit.as_str(), d.path.as_deref(), d.commit.as_deref()))
        .collect();
    left.difference(&units_of(kept)).count()
}

fn list_rows(inventory: &Inventory, selection: &Selection) -> Vec<ListRow> {
    selection
        .items
        .iter()
        .map(|s| {
            let e = &inventory.entries[s.entry];
            ListRow {
                file: None,
                kind: e.kind.label().to_owned(),
                name: match (&e.self_ty, e.kind) {
                    (Some(ty), Kind::Method) => format!("{ty}::{}", e.name),
                    _ => e.name.clone(),
                },
                lines: e.lines,
                reason: s.reason.to_string(),
            }
        })
        .collect()
}

/// The facts of each selected item that come from where it stands rather than from its own
/// syntax: the type a method belongs to, and the route a root is registered under.
fn placed_facts(
    source: &SourceFile,
    inventory: &Inventory,
    selection: &Selection,
    profile: &Profile,
    context: &[SourceFile],
) -> BTreeMap<usize, Vec<Fact>> {
    // Whether a route piece stands in the file as a string literal, searched once per piece: a
    // file of many routers registers the same paths again and again.
    let mut literal_seen: BTreeMap<String, bool> = BTreeMap::new();
    let mut written = |piece: &str| -> bool {
        *literal_seen
            .entry(piece.to_owned())
            .or_insert_with(|| source.text.contains(&format!("\"{piece}\"")))
    };
    let roots: HashSet<usize> = selection.roots.iter().copied().collect();
    // Each root handler's first route of the profile.
    let mut root_routes: HashMap<&str, &Route> = HashMap::new();
    for route in &selection.routes {
        if profile.is_root_route(&route.method, &route.path()) {
            root_routes.entry(route.handler.as_str()).or_insert(route);
        }
    }
    let mut out = BTreeMap::new();
    for s in &selection.items {
        let entry = &inventory.entries[s.entry];
        let mut facts = Vec::new();
        // A sentence may name the type only where the method's own code does.
        if entry.kind == Kind::Method
            && let Some(ty) = &entry.self_ty
        {
            facts.push(Fact::MethodOf {
                method: entry.name.clone(),
                self_ty: ty.clone(),
                named: names_word(source.slice(entry.range.clone()), ty),
            });
        }
        let root = roots.contains(&s.entry);
        // A route is quoted in requests, so only one whose path stands as written in the file.
        if root
            && let Some(route) = root_routes.get(entry.name.as_str())
            && route
                .path_pieces
                .iter()
                .all(|p| !p.contains('`') && written(p))
        {
            facts.push(Fact::Route {
                method: route.method.clone(),
                path_pieces: route.path_pieces.clone(),
            });
            // axum's own `route` beside aide's `api_route`: left out of the OpenAPI document.
            if !route.documented
                && selection.routes.iter().any(|r| r.documented)
                && !route.method_router.is_empty()
                && source.text.contains(route.method_router.as_str())
            {
                facts.push(Fact::OutsideOpenApi {
                    via: route.method_router.clone(),
                });
            }
            if route.hidden {
                facts.push(Fact::HiddenFromDocs);
            }
        }
        // A root routed from another file's router: its route stands in that file.
        if root
            && !facts.iter().any(|f| matches!(f, Fact::Route { .. }))
            && let select::Reason::Root { method, path } = &s.reason
            && !path.contains('`')
            && context
                .iter()
                .any(|c| c.text.contains(&format!("\"{path}\"")))
        {
            facts.push(Fact::Route {
                method: method.clone(),
                path_pieces: vec![path.clone()],
            });
        }
        out.insert(s.entry, facts);
    }
    out
}

/// Whether `text` names `word` as a whole identifier (`HttpError` in `HttpError::conflict`, not
/// in `HttpErrorBody`).
fn names_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word)
        .any(|(at, _)| !text[..at].ends_with(ident) && !text[at + word.len()..].starts_with(ident))
}

/// What the roles, sizes and variant plan of a file's units come to.
struct Planned {
    roles: Vec<Role>,
    /// Examples asked of each unit.
    counts: Vec<usize>,
}

/// Each unit's role, and how many examples it gets.
fn plan_units<P>(read: &Read<P>, units: &[Unit], options: &Options) -> Planned {
    let Read {
        inventory,
        selection,
        facts,
        ..
    } = read;
    let types = units::type_roles(facts, inventory, &selection.roots);
    let roles: Vec<Role> = units
        .iter()
        .map(|u| units::role_of(u, inventory, selection, read.facts_of(u.primary), &types))
        .collect();
    let sizes: Vec<usize> = units
        .iter()
        .map(|u| {
            u.entries
                .iter()
                .map(|&e| {
                    let (first, last) = inventory.entries[e].lines;
                    last - first + 1
                })
                .sum()
        })
        .collect();
    let counts = units::plan_variants(&roles, &sizes, options.variants);
    Planned { roles, counts }
}

/// A unit's slices of the file and its code, the slices joined.
fn unit_code<P>(
    source: &SourceFile,
    read: &Read<P>,
    unit: &Unit,
    options: &Options,
) -> (Vec<Slice>, std::sync::Arc<str>) {
    let slices: Vec<Slice> = units::unit_slices(
        source,
        &read.inventory,
        &read.selection,
        unit,
        &read.identifiers,
        options.imports,
    )
    .into_iter()
    .map(|bytes| Slice {
        path: source.path.clone(),
        lines: source.line_span(bytes.clone()),
        commit: None,
        bytes,
    })
    .collect();
    let code = slices
        .iter()
        .map(|s| source.slice(s.bytes.clone()))
        .collect::<Vec<_>>()
        .join(source.blank_line())
        .into();
    (slices, code)
}

/// What the writer is told of a unit: its items and facts, its code and its file. The variant
/// and voice are set for each example, the context when it is asked for.
fn unit_brief<'a, P>(
    source: &'a SourceFile,
    read: &'a Read<P>,
    unit: &Unit,
    role: Role,
    code: &'a str,
    file_facts: &write::FileFacts,
    profile: &'a Profile,
) -> Brief<'a> {
    let Read {
        inventory,
        selection,
        ..
    } = read;
    let primary = &inventory.entries[unit.primary];
    Brief {
        vocabulary: &profile.file.vocabulary,
        key: unit.key(inventory),
        role,
        name: primary.name.clone(),
        items: unit
            .entries
            .iter()
            .map(|&e| BriefItem {
                name: &inventory.entries[e].name,
                facts: read.facts_of(e),
            })
            .collect(),
        primary: unit
            .entries
            .iter()
            .position(|&e| e == unit.primary)
            .unwrap_or(0),
        callees: unit
            .entries
            .iter()
            .filter(|&&e| e != unit.primary)
            .map(|&e| inventory.entries[e].name.clone())
            .collect(),
        route: read
            .facts_of(unit.primary)
            .iter()
            .find(|f| matches!(f, Fact::Route { .. })),
        called_by_root: matches!(
            selection.reason(unit.primary),
            Some(select::Reason::CalledBy(by))
                if selection.roots.iter().any(|&r| inventory.entries[r].name == *by)
        ),
        field_of: match selection.reason(unit.primary) {
            Some(select::Reason::FieldType(by)) => Some(by.clone()),
            _ => None,
        },
        file_facts: file_facts.clone(),
        code,
        file_text: &source.text,
        path: &source.path,
        context: Vec::new(),
        variant: 0,
        voice: Voice::ALL[0],
        history: None,
    }
}

/// A prompt's context has room for this many bytes per ten bytes of the unit's code (the
/// issue's cost target is a whole prompt of at most four times the code's tokens: the code
/// itself, its context, its facts and the instructions; context and code are both Rust, so
/// bytes measure them alike, and counting tokens would double a file's time)…
const CONTEXT_BYTES_PER_TEN_CODE_BYTES: usize = 15;

/// …and never less than this (about 200 tokens), so that a short unit still gets the types it
/// takes.
const CONTEXT_BYTES_AT_LEAST: usize = 800;

/// A unit's context (see [`context::unit_context`]), as much of it as fits the budget its code
/// sets.
fn unit_context<P>(
    source: &SourceFile,
    read: &Read<P>,
    unit: &Unit,
    code: &str,
    options: &Options,
) -> Vec<ContextItem> {
    let crate_items = options
        .crate_items
        .as_deref()
        .and_then(|items| Some((items, items.file_index(&source.path)?)));
    let file = context::FileContext {
        source,
        inventory: &read.inventory,
        reach: &read.reach,
        crate_items,
    };
    within_budget(context::unit_context(&file, &unit.entries), code)
}

/// The items of a context that fit the budget `code` sets, taken in order (most relevant
/// first); one too large for what is left is passed over for the smaller ones after it.
fn within_budget(all: Vec<ContextItem>, code: &str) -> Vec<ContextItem> {
    let budget = (code.len() * CONTEXT_BYTES_PER_TEN_CODE_BYTES / 10).max(CONTEXT_BYTES_AT_LEAST);
    let mut left = budget;
    all.into_iter()
        .filter(|item| {
            let cost = item.text.len();
            let fits = cost <= left;
            if fits {
                left -= cost;
            }
            fits
        })
        .collect()
}

/// Every unit's examples, their text from `writer`: as many as the plan asks, fewer (and a
/// shortfall) when the writer has nothing new left to say.
fn write_examples<P: Sync>(
    source: &SourceFile,
    read: &Read<P>,
    units: &[Unit],
    profile: &Profile,
    options: &Options,
    writer: &dyn Writer,
) -> anyhow::Result<(Vec<Example>, Vec<Shortfall>)> {
    let Planned { roles, counts } = plan_units(read, units, options);
    // Every selected item with its facts: what the writer may look up beyond a unit.
    let file_facts: write::FileFacts = read
        .selection
        .items
        .iter()
        .map(|s| read.facts_of(s.entry).to_vec())
        .collect();
    let groups = unit_groups(units, &read.inventory);
    let mut examples: Vec<Example> = Vec::new();
    let mut shortfalls = Vec::new();
    // On a thread of the pool, so that a writer working in parallel (the templates weigh two
    // phrasings at a time) costs a task each, not a wake-up of a sleeping thread.
    let write_all = || -> anyhow::Result<()> {
        for (((unit, &role), &count), group) in units.iter().zip(&roles).zip(&counts).zip(&groups) {
            let (slices, code) = unit_code(source, read, unit, options);
            let mut brief = unit_brief(source, read, unit, role, &code, &file_facts, profile);
            if options.context_for_writer {
                brief.context = unit_context(source, read, unit, &code, options);
            }
            let first_voice = stable_hash(&[&brief.key]) as usize;
            for variant in 0..count {
                brief.variant = variant;
                brief.voice = Voice::ALL[(first_voice + variant) % Voice::ALL.len()];
                let text = match writer.write(&brief) {
                    Ok(text) => text,
                    Err(err) if err.is::<Exhausted>() => {
                        shortfalls.push(Shortfall {
                            unit: brief.key.clone(),
                            made: variant,
                            asked: count,
                        });
                        break;
                    }
                    // No example this time; the driver has the call answered and runs again.
                    Err(err) if err.is::<Pending>() => continue,
                    Err(err) => return Err(err),
                };
                examples.push(Example {
                    unit: brief.key.clone(),
                    group: group.clone(),
                    kind: units::kind_name(role, read.facts_of(unit.primary)),
                    voice: brief.voice,
                    variant,
                    request: text.request,
                    reasoning: text.reasoning,
                    rules: text.rules,
                    code: code.clone(),
                    commit: None,
                    before: Vec::new(),
                    model: text.model,
                    slices: slices.clone(),
                });
            }
        }
        Ok(())
    };
    source::on_pool(write_all)?;
    Ok((examples, shortfalls))
}

/// For each unit, the key of the first unit it shares an item with, through any chain of
/// sharing: the groups the validation split keeps whole.
fn unit_groups(units: &[Unit], inventory: &Inventory) -> Vec<String> {
    let mut parent: Vec<usize> = (0..units.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<usize, usize> = BTreeMap::new();
    for (u, unit) in units.iter().enumerate() {
        for &entry in &unit.entries {
            match owner.get(&entry) {
                Some(&first) => {
                    let (a, b) = (root(&mut parent, first), root(&mut parent, u));
                    // The earlier unit stays the root, so a group is named by its first unit.
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(entry, u);
                }
            }
        }
    }
    (0..units.len())
        .map(|u| {
            let r = root(&mut parent, u);
            units[r].key(inventory)
        })
        .collect()
}

/// The item names in a unit key (`chain:create_message+create_message_inner`).
fn unit_names(unit: &str) -> impl Iterator<Item = &str> {
    unit.split_once(':')
        .map_or(unit, |(_, names)| names)
        .split('+')
}

/// Crate mode: walk, summarize every file in parallel, select across files, then run the
/// pipeline on the files with roots and on the picked items of the others.
pub fn extract_tree(
    root: &Path,
    tree_options: &tree::TreeOptions,
    profile: &Profile,
    options: &Options,
) -> anyhow::Result<Extracted> {
    let files = tree::walk(root, tree_options)?;
    extract_walked(root, &files, tree_options, profile, options)
}

/// [`extract_tree`] on the files a walk of `root` already found (so a caller can look at them
/// before any is parsed, and the crate is walked once).
pub fn extract_walked(
    root: &Path,
    files: &[PathBuf],
    tree_options: &tree::TreeOptions,
    profile: &Profile,
    options: &Options,
) -> anyhow::Result<Extracted> {
    let (plan, options) = crate_plan(root, files, tree_options, &profile.file.roots, options)?;
    let options = &options;
    if plan.root_files.is_empty() {
        return Err(EmptySelection {
            profile: profile.name().to_owned(),
            path: root.to_path_buf(),
            why: format!(": no file matches --focus {}", tree_options.focus),
        }
        .into());
    }
    let parts = extract_parts(&plan, profile, options)?;
    if parts.iter().all(|(_, part)| part.examples.is_empty()) {
        return Err(EmptySelection {
            profile: profile.name().to_owned(),
            path: root.to_path_buf(),
            why: format!(
                ": the files matching --focus {} register nothing for {}, and no --root was given",
                tree_options.focus,
                profile.describe_roots()
            ),
        }
        .into());
    }
    let mut combined = combine_parts(root, parts);
    combined.skipped = plan.skipped;
    // Each part was checked against its own file; across parts only repeats can remain.
    let made = std::mem::take(&mut combined.examples);
    let (kept, dropped) = check_examples(made, &[], profile)?;
    combined.unit_count = combined.unit_count.saturating_sub(emptied(&dropped, &kept));
    combined.examples = kept;
    combined.dropped.extend(dropped);
    Ok(combined)
}

/// Crate mode's plan for `root_rules`, and the options its files run with: with a writer that
/// reads context, the crate's summaries moved out of the plan into the options' index.
fn crate_plan(
    root: &Path,
    files: &[PathBuf],
    tree_options: &tree::TreeOptions,
    root_rules: &[crate::profile::RootRule],
    options: &Options,
) -> anyhow::Result<(tree::Plan, Options)> {
    crate_plan_of(root, files, None, tree_options, root_rules, options)
}

/// [`crate_plan`], from the summaries the route table's reading made when they were made as
/// these options need them.
fn crate_plan_of(
    root: &Path,
    files: &[PathBuf],
    read: Option<&CrateRead>,
    tree_options: &tree::TreeOptions,
    root_rules: &[crate::profile::RootRule],
    options: &Options,
) -> anyhow::Result<(tree::Plan, Options)> {
    let outlines = options.context_for_writer;
    let mut plan = match read.filter(|read| read.outlines == outlines) {
        Some(read) => tree::plan_read(
            root,
            &read.summaries,
            tree_options,
            root_rules,
            &options.roots,
            outlines,
        )?,
        None => tree::plan(
            root,
            files,
            tree_options,
            root_rules,
            &options.roots,
            outlines,
        )?,
    };
    let crate_items = options.context_for_writer.then(|| {
        std::sync::Arc::new(context::CrateItems::new(std::mem::take(
            &mut plan.summaries,
        )))
    });
    let options = Options {
        crate_items,
        ..options.clone()
    };
    Ok((plan, options))
}

/// A file with roots, read, and the options its run takes: its roots added, and the routers
/// that route to it read as context.
fn root_file_input(
    target: &tree::RootFile,
    options: &Options,
) -> anyhow::Result<(SourceFile, Options)> {
    let source = SourceFile::read(&target.path)?;
    let context = target
        .routers
        .iter()
        .map(|path| SourceFile::read(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let options = Options {
        roots: [options.roots.clone(), target.roots.clone()].concat(),
        context,
        ..options.clone()
    };
    Ok((source, options))
}

/// The pipeline run on each file of the plan: the files with roots (routed from their own
/// router or another's), then the picked items of the others.
fn extract_parts(
    plan: &tree::Plan,
    profile: &Profile,
    options: &Options,
) -> anyhow::Result<Vec<(PathBuf, Extracted)>> {
    let mut parts: Vec<(PathBuf, Extracted)> = Vec::new();
    for target in &plan.root_files {
        let (source, options) = root_file_input(target, options)?;
        match extract(&source, profile, &options) {
            Ok(part) => parts.push((target.path.clone(), part)),
            Err(err) if err.is::<EmptySelection>() => continue,
            Err(err) => return Err(err),
        }
    }
    // The default plan aims the files with roots at about 20 examples; each item another file
    // contributes gets one more, unless --variants says otherwise.
    let picked_options = Options {
        variants: Some(options.variants.unwrap_or(1)),
        ..options.clone()
    };
    for (path, picks) in &plan.picked {
        let source = SourceFile::read(path)?;
        parts.push((
            path.clone(),
            extract_picked(&source, picks, profile, &picked_options)?,
        ));
    }
    Ok(parts)
}

/// The parts of a crate as one run: rows named by file, and a unit whose code another file
/// already gave left out as a duplicate of it.
fn combine_parts(root: &Path, parts: Vec<(PathBuf, Extracted)>) -> Extracted {
    let mut combined = Extracted::default();
    // Where each unit's code was first seen: (unit key, code) → file. A later file with the same
    // unit and the same code would only repeat its examples.
    let mut first_seen: std::collections::HashMap<(String, std::sync::Arc<str>), String> =
        std::collections::HashMap::new();
    for (path, part) in parts {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let mut duplicated: Vec<(String, String)> = Vec::new();
        let mut units = std::collections::BTreeSet::new();
        for example in part.examples {
            let key = (example.unit.clone(), example.code.clone());
            match first_seen.get(&key) {
                Some(kept) if *kept != shown => {
                    if !duplicated.iter().any(|(unit, _)| *unit == example.unit) {
                        duplicated.push((example.unit.clone(), kept.clone()));
                    }
                }
                _ => {
                    first_seen.insert(key, shown.clone());
                    units.insert(example.unit.clone());
                    combined.examples.push(example);
                }
            }
        }
        combined.rows.extend(part.rows.into_iter().map(|mut row| {
            // A row of a left-out unit says which file's copy was kept.
            if let Some((_, kept)) = duplicated
                .iter()
                .find(|(unit, _)| unit_names(unit).any(|n| n == row.name))
            {
                row.reason = format!("{} (duplicate of {kept})", row.reason);
            }
            row.file = Some(shown.clone());
            row
        }));
        combined.unit_count += part.unit_count.saturating_sub(duplicated.len());
        combined.shortfalls.extend(part.shortfalls);
        combined.dropped.extend(part.dropped);
        combined
            .duplicates
            .extend(duplicated.into_iter().map(|(unit, kept)| Duplicate {
                unit,
                file: shown.clone(),
                kept,
            }));
    }
    combined
}

/// A crate read once for its route table ([`crate::extract::routes::route_table_and_summaries`]):
/// every file's summary but its focus selection, made with outlines or without. A run over
/// every route plans from it rather than parsing the crate again.
pub struct CrateRead {
    pub summaries: Vec<tree::Unfocused>,
    pub outlines: bool,
}

/// One operation of a run over every route: its profile, and its roots, the handlers of its
/// routes (the file that defines each, relative to the crate folder, and the function's name).
pub struct Operation<'p> {
    pub profile: &'p Profile,
    pub handlers: Vec<(PathBuf, String)>,
}

/// What a run over every route made of one operation: its examples, as a crate run of its
/// profile would give them, but only of the items it reaches first in route order; and the
/// items it reaches that an earlier operation holds.
#[derive(Default)]
pub struct OperationPart {
    pub extracted: Extracted,
    pub shared: Vec<SharedItem>,
}

/// An item an operation reaches that is a unit of an earlier operation's dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedItem {
    pub item: String,
    /// Relative to the crate folder.
    pub file: PathBuf,
    /// The operation that holds it, by its place in the run's list.
    pub owner: usize,
}

/// Crate mode for every operation at once, over one reading of the crate: the walk's files are
/// summarized once with every operation's roots, each file with roots is parsed and its facts
/// read once for all of them, and each selected item goes to the first operation (in the
/// order given) whose roots reach it; each operation's units are then built, written with its
/// own profile and checked as a crate run of that profile would. `union` is a profile whose
/// roots are every operation's.
pub fn extract_operations(
    root: &Path,
    files: &[PathBuf],
    read: Option<&CrateRead>,
    tree_options: &tree::TreeOptions,
    union: &Profile,
    operations: &[Operation],
    options: &Options,
) -> anyhow::Result<(Vec<OperationPart>, Vec<String>)> {
    let roots = &union.file.roots;
    let (plan, options) = crate_plan_of(root, files, read, tree_options, roots, options)?;
    let options = &options;
    // The files whose items and facts the route table's reading kept (or the plan's, for a
    // file routed from another's router) are not parsed again, unless the run reads more off
    // their trees than that reading did.
    let kept: HashMap<&Path, KeptRead> = match read {
        Some(read) if !options.context_for_writer && options.imports != Imports::Used => read
            .summaries
            .iter()
            .chain(&plan.kept)
            .filter_map(|u| Some((u.path(), u.kept_read()?)))
            .collect(),
        _ => HashMap::new(),
    };
    // A file in which the plan's summary found no root gives no operation anything: it is not
    // read again. The others are read, written and checked side by side, each with writers of
    // its own, and gathered in the plan's order.
    let targets: Vec<&tree::RootFile> = plan.root_files.iter().filter(|t| t.has_roots).collect();
    let by_file: Vec<anyhow::Result<FileOperations>> = source::on_pool(|| {
        use rayon::prelude::*;
        targets
            .par_iter()
            .map(|target| {
                let kept = kept.get(target.path.as_path()).copied();
                operations_in_file(root, target, kept, union, operations, options)
            })
            .collect()
    });
    let mut parts: Vec<Vec<(PathBuf, Extracted)>> =
        (0..operations.len()).map(|_| Vec::new()).collect();
    let mut shared: Vec<Vec<SharedItem>> = (0..operations.len()).map(|_| Vec::new()).collect();
    for file in by_file {
        let file = file?;
        for (o, path, part) in file.parts {
            parts[o].push((path, part));
        }
        for (o, item) in file.shared {
            shared[o].push(item);
        }
    }
    picked_by_operation(
        root,
        &plan.picked,
        operations,
        options,
        &mut parts,
        &mut shared,
    )?;
    Ok((
        combine_operations(root, operations, parts, shared)?,
        plan.skipped,
    ))
}

/// What the route table's reading kept of a file: its items, and each one's facts of its own
/// code ([`tree::Unfocused::kept_read`]).
type KeptRead<'a> = (&'a [select::ItemRead], &'a [Vec<Fact>]);

/// One file with roots, read for every operation at once: each operation's part of it, and
/// the items an operation reaches that an earlier one holds, in operation order.
struct FileOperations {
    parts: Vec<(usize, PathBuf, Extracted)>,
    shared: Vec<(usize, SharedItem)>,
}

/// Reads a file with roots once with every operation's roots (from what the route table's
/// reading `kept` of it, else parsing it), gives each selected item to the first operation
/// whose roots reach it, and writes and checks each operation's part with its own profile.
fn operations_in_file(
    root: &Path,
    target: &tree::RootFile,
    kept: Option<KeptRead>,
    union: &Profile,
    operations: &[Operation],
    options: &Options,
) -> anyhow::Result<FileOperations> {
    let mut out = FileOperations {
        parts: Vec::new(),
        shared: Vec::new(),
    };
    let (source, file_options) = root_file_input(target, options)?;
    // Which roots reach each item, read before the inventory forgets the references.
    let mut reaching = Vec::new();
    let select = |profile: &Profile, inv: &Inventory| {
        let selection =
            select::select_creation_items(inv, &profile.file.roots, &file_options.roots)
                .with_context(|| format!("cannot select from {}", source.path.display()))?;
        reaching = select::roots_reaching(inv, &selection);
        Ok(selection)
    };
    let read = match kept {
        Some(kept) => read_kept(&source, kept, union, &file_options, select)?,
        None => read_selected(&source, || Ok(union), &file_options, false, select)?,
    };
    if read.selection.roots.is_empty() {
        return Ok(out);
    }
    let file = target.path.strip_prefix(root).unwrap_or(&target.path);
    let root_ops: Vec<Vec<usize>> = read
        .selection
        .roots
        .iter()
        .map(|&r| claimed_by(operations, Some(file), &read.inventory.entries[r].name))
        .collect();
    // Each item's operations, the first of which holds it.
    let item_ops: Vec<BTreeSet<usize>> = reaching
        .iter()
        .map(|roots| roots.iter().flat_map(|&r| root_ops[r].clone()).collect())
        .collect();
    for (o, operation) in operations.iter().enumerate() {
        let mut items = Vec::new();
        for (s, ops) in read.selection.items.iter().zip(&item_ops) {
            match ops.first() {
                Some(&owner) if owner == o => items.push(s.clone()),
                Some(&owner) if ops.contains(&o) => out.shared.push((
                    o,
                    SharedItem {
                        item: read.inventory.entries[s.entry].name.clone(),
                        file: file.to_path_buf(),
                        owner,
                    },
                )),
                _ => {}
            }
        }
        if items.is_empty() {
            continue;
        }
        let roots: Vec<usize> = read
            .selection
            .roots
            .iter()
            .zip(&root_ops)
            .filter(|(_, ops)| ops.first() == Some(&o))
            .map(|(&r, _)| r)
            .collect();
        let own = read_of_operation(&read, operation.profile, items, roots);
        let part = finish(&source, &own, &file_options)?;
        out.parts.push((o, target.path.clone(), part));
    }
    Ok(out)
}

/// Each operation's parts as one run, checked across its files as a crate run is.
fn combine_operations(
    root: &Path,
    operations: &[Operation],
    parts: Vec<Vec<(PathBuf, Extracted)>>,
    shared: Vec<Vec<SharedItem>>,
) -> anyhow::Result<Vec<OperationPart>> {
    let mut out = Vec::new();
    for ((operation, parts), shared) in operations.iter().zip(parts).zip(shared) {
        let mut combined = combine_parts(root, parts);
        let made = std::mem::take(&mut combined.examples);
        let (kept, dropped) = check_examples(made, &[], operation.profile)?;
        combined.unit_count = combined.unit_count.saturating_sub(emptied(&dropped, &kept));
        combined.examples = kept;
        combined.dropped.extend(dropped);
        out.push(OperationPart {
            extracted: combined,
            shared,
        });
    }
    Ok(out)
}

/// One operation's part of a file read for every operation: `items` and `roots` its own, the
/// facts, identifiers and reach of those items only.
fn read_of_operation<'p, P>(
    read: &Read<P>,
    profile: &'p Profile,
    items: Vec<select::Selected>,
    roots: Vec<usize>,
) -> Read<&'p Profile> {
    let entries: BTreeSet<usize> = items.iter().map(|s| s.entry).collect();
    let kept = |entry: &usize| entries.contains(entry);
    Read {
        profile,
        inventory: read.inventory.clone(),
        selection: Selection {
            routes: read.selection.routes.clone(),
            roots,
            foreign_roots: Vec::new(),
            uses: read.selection.uses.clone(),
            items,
        },
        facts: read
            .facts
            .iter()
            .filter(|(e, _)| kept(e))
            .map(|(e, f)| (*e, f.clone()))
            .collect(),
        identifiers: read
            .identifiers
            .iter()
            .filter(|(e, _)| kept(e))
            .map(|(e, i)| (*e, i.clone()))
            .collect(),
        reach: read
            .reach
            .iter()
            .filter(|(e, _)| kept(e))
            .map(|(e, r)| (*e, r.clone()))
            .collect(),
    }
}

/// The operations whose roots a handler named `name` (of `file`, when given) is, in order.
fn claimed_by(operations: &[Operation], file: Option<&Path>, name: &str) -> Vec<usize> {
    operations
        .iter()
        .enumerate()
        .filter(|(_, op)| {
            op.handlers
                .iter()
                .any(|(f, n)| n == name && file.is_none_or(|file| f == file))
        })
        .map(|(o, _)| o)
        .collect()
}

/// The items other files contribute, each to the first operation whose roots reach it (and
/// listed as shared by the others that reach it), as parts of those operations.
fn picked_by_operation(
    root: &Path,
    picked: &[(PathBuf, Vec<tree::Pick>)],
    operations: &[Operation],
    options: &Options,
    parts: &mut [Vec<(PathBuf, Extracted)>],
    shared: &mut [Vec<SharedItem>],
) -> anyhow::Result<()> {
    let picked_options = Options {
        variants: Some(options.variants.unwrap_or(1)),
        ..options.clone()
    };
    let mut files: Vec<(&PathBuf, BTreeMap<usize, Vec<tree::Pick>>)> = Vec::new();
    for (path, picks) in picked {
        let mut by_operation: BTreeMap<usize, Vec<tree::Pick>> = BTreeMap::new();
        for pick in picks {
            let ops: BTreeSet<usize> = pick
                .reached_by
                .iter()
                .flat_map(|name| claimed_by(operations, None, name))
                .collect();
            let Some(&owner) = ops.first() else {
                continue;
            };
            for &o in ops.iter().skip(1) {
                shared[o].push(SharedItem {
                    item: pick.name.clone(),
                    file: path.strip_prefix(root).unwrap_or(path).to_path_buf(),
                    owner,
                });
            }
            by_operation.entry(owner).or_default().push(pick.clone());
        }
        if !by_operation.is_empty() {
            files.push((path, by_operation));
        }
    }
    // The files side by side, their parts gathered in order.
    let made: Vec<anyhow::Result<Vec<(usize, Extracted)>>> = source::on_pool(|| {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|(path, by_operation)| {
                let source = SourceFile::read(path)?;
                picked_parts(&source, by_operation, operations, &picked_options)
            })
            .collect()
    });
    for ((path, _), file_parts) in files.iter().zip(made) {
        for (o, part) in file_parts? {
            parts[o].push((path.to_path_buf(), part));
        }
    }
    Ok(())
}

/// The parts of the operations that pick items in one file (`by_operation`: each one's picks),
/// the file parsed and its picked items visited once for all of them; each part as
/// [`extract_picked`] makes it with that operation's picks and profile.
fn picked_parts(
    source: &SourceFile,
    by_operation: &BTreeMap<usize, Vec<tree::Pick>>,
    operations: &[Operation],
    options: &Options,
) -> anyhow::Result<Vec<(usize, Extracted)>> {
    let (selections, seen) = read_once(
        source,
        || Ok(()),
        options,
        true,
        |(), inventory| {
            let mut selections = Vec::new();
            for picks in by_operation.values() {
                selections.push(picked_selection(source, inventory, picks)?);
            }
            // Every operation's items, each visited once.
            let mut items: Vec<select::Selected> = selections
                .iter()
                .flat_map(|s| s.items.iter().cloned())
                .collect();
            items.sort_by_key(|s| s.entry);
            items.dedup_by_key(|s| s.entry);
            let all = Selection {
                routes: Vec::new(),
                roots: Vec::new(),
                foreign_roots: Vec::new(),
                items,
                uses: Vec::new(),
            };
            Ok((selections, all))
        },
    )?;
    let FileSeen {
        inventory,
        seen,
        reach,
        ..
    } = seen;
    let inventory = std::sync::Arc::new(inventory);
    let seen: BTreeMap<usize, ItemSeen> = seen.into_iter().collect();
    let mut parts = Vec::new();
    for ((&o, _), selection) in by_operation.iter().zip(selections) {
        let profile = operations[o].profile;
        let placed = placed_facts(source, &inventory, &selection, profile, &options.context);
        let own = selection
            .items
            .iter()
            .map(|s| (s.entry, seen.get(&s.entry).cloned().unwrap_or_default()));
        let (facts, identifiers) = with_seen(placed, own);
        let read = Read {
            profile,
            inventory: inventory.clone(),
            reach: selection
                .items
                .iter()
                .filter_map(|s| reach.get(&s.entry).map(|r| (s.entry, r.clone())))
                .collect(),
            selection,
            facts,
            identifiers,
        };
        parts.push((o, finish(source, &read, options)?));
    }
    Ok(parts)
}

/// Reads one version of a file for history mode: parse, select, facts and roles, and with
/// `context` what each item reaches in the file. A version with no root of the profile has no
/// items (the handler did not exist yet, or was moved out).
pub fn summarize_version(
    source: SourceFile,
    profile: &Profile,
    context: bool,
) -> anyhow::Result<Version> {
    summarize_chosen(
        source,
        profile,
        context,
        &history::folder::FileChoice::default(),
    )
}

/// [`summarize_version`] of one file of a folder's version: besides the roots its own router
/// registers, the roots another file's router routes to it and the items other files reach in
/// it (`choice`, from selection across the folder), as crate mode selects them.
pub fn summarize_chosen(
    source: SourceFile,
    profile: &Profile,
    context: bool,
    choice: &history::folder::FileChoice,
) -> anyhow::Result<Version> {
    let with_methods = choice.picks.iter().any(|p| p.self_ty.is_some());
    let (chosen, seen) = parse::two_passes(
        &source,
        || Ok(()),
        |at, i, item, node| select::read_item(at, i, item, node, with_methods, context),
        |(), reads| choose_in(&source, profile, choice, Inventory::from_items(reads)),
        see_item,
    )?;
    Ok(version_of(source, chosen, seen, profile, context, choice))
}

/// [`summarize_chosen`] of a file version whose pieces were read before (a folder's history
/// reads each distinct piece once across versions): the items' reads are the pieces', placed
/// in the file, and only the selected items are parsed again; with `methods` (a pick of a
/// method in the file), each impl's methods are entries of their own, as the pieces read them.
/// Not for a run that reads context (its reads need outlines, which pieces are read without).
pub fn summarize_pieced(
    source: SourceFile,
    profile: &Profile,
    choice: &history::folder::FileChoice,
    pieces: &[tree::PieceAt],
    seen_before: &SeenItems,
    methods: bool,
) -> anyhow::Result<Version> {
    let reads = pieces.iter().enumerate().flat_map(|(i, piece)| {
        let first_line = source.line_of(piece.start);
        piece.summary.reads_at(piece.start, first_line, i, methods)
    });
    let (chosen, picked) = choose_in(&source, profile, choice, Inventory::from_items(reads))?;
    let seen = if picked.is_empty() {
        Vec::new()
    } else {
        seen_items(&source, &chosen, seen_before)?
    };
    Ok(version_of(source, chosen, seen, profile, false, choice))
}

/// What was seen of the selected items of a folder's versions: an item whose text (its
/// leading comments included) is the same, in a file that defines the same local names among
/// those the item mentions (its functions, types and impl methods: all that facts read of the
/// file beyond the item, see [`LocalNames::key_for`]), is seen the same, so consecutive
/// versions parse again only the items that changed.
#[derive(Default)]
pub struct SeenItems(std::sync::Mutex<HashMap<SeenKey, Seen>>);

/// An item as [`SeenItems`] knows it: its kind, where its own tokens start within its text,
/// its text, and the local names of its file that it mentions.
type SeenKey = (&'static str, usize, String, LocalNamesKey);

/// What is seen of each selected item of a version: from `seen_before` where the same item was
/// seen with the same local names among those it mentions, else parsed again on its own.
fn seen_items(
    source: &SourceFile,
    chosen: &Chosen,
    seen_before: &SeenItems,
) -> anyhow::Result<Vec<Seen>> {
    let (inventory, selection, names) = chosen;
    let keys: Vec<SeenKey> = selection
        .items
        .iter()
        .map(|s| {
            let e = &inventory.entries[s.entry];
            let text = source.slice(e.range.clone());
            let names = names.key_for(text);
            (
                e.kind.label(),
                e.node.start - e.range.start,
                text.to_owned(),
                names,
            )
        })
        .collect();
    // A poisoned lock only means another thread panicked mid-insert: the map is still a map.
    let lock = || seen_before.0.lock().unwrap_or_else(|e| e.into_inner());
    let missing: Vec<usize> = {
        let known = lock();
        (0..keys.len())
            .filter(|&k| !known.contains_key(&keys[k]))
            .collect()
    };
    let nodes: Vec<std::ops::Range<usize>> = missing
        .iter()
        .map(|&k| inventory.entries[selection.items[k].entry].node.clone())
        .collect();
    let fresh = parse::visit_again(source, chosen, &nodes, |c, i, at, item| {
        see_item(c, missing[i], at, item)
    })?;
    let mut known = lock();
    for (&k, seen) in missing.iter().zip(fresh) {
        known.insert(keys[k].clone(), seen);
    }
    Ok(keys.iter().map(|key| known[key].clone()).collect())
}

/// A version's inventory, its selection and its local names.
type Chosen = (Inventory, Selection, LocalNames);

/// Selects in a version's inventory: the profile's roots and those `choice` routes to it, what
/// they reach, and the items other files reach in it; and which items to visit (none with no
/// root and no pick).
fn choose_in(
    source: &SourceFile,
    profile: &Profile,
    choice: &history::folder::FileChoice,
    inventory: Inventory,
) -> anyhow::Result<(Chosen, Vec<parse::Chosen>)> {
    let selection = select::select_creation_items(&inventory, &profile.file.roots, &choice.roots)
        .with_context(|| format!("cannot select from {}", source.path.display()))?;
    let selection = with_picks(&inventory, selection, &choice.picks)
        .with_context(|| format!("cannot select from {}", source.path.display()))?;
    let chosen = if selection.roots.is_empty() && choice.picks.is_empty() {
        Vec::new()
    } else {
        chosen_items(&inventory, &selection)
    };
    let names = LocalNames::of_inventory(&inventory);
    Ok(((inventory, selection, names), chosen))
}

/// What history mode reads off one selected item's syntax tree (the `k`th selected).
fn see_item(
    (inventory, selection, names): &Chosen,
    k: usize,
    at: source::Located,
    item: &syn::Item,
) -> Seen {
    use quote::ToTokens as _;
    let entry = &inventory.entries[selection.items[k].entry];
    let facts = facts::item_facts(&at, item, entry.node.clone(), names);
    let mut idents = BTreeSet::new();
    let mut said = Salient::default();
    let mut tokens = String::new();
    if entry.kind != Kind::Use {
        select::identifiers(item, &mut idents);
        let stream = item.to_token_stream();
        salient_tokens(stream.clone(), &mut said);
        tokens = token_text(stream);
    }
    Seen {
        facts,
        idents,
        tokens,
        said,
    }
}

/// A version from its selection and what was seen of each selected item: the items with their
/// facts and roles, the `use` declarations, where slices may start and end.
fn version_of(
    source: SourceFile,
    (inventory, selection, _): Chosen,
    seen: Vec<Seen>,
    profile: &Profile,
    context: bool,
    choice: &history::folder::FileChoice,
) -> Version {
    let uses = inventory
        .use_entries()
        .into_iter()
        .map(|u| VersionUse {
            bytes: inventory.entries[u].range.clone(),
            names: inventory
                .names_brought_in(u)
                .iter()
                .flatten()
                .cloned()
                .collect(),
        })
        .collect();
    let items = if selection.roots.is_empty() && choice.picks.is_empty() {
        Vec::new()
    } else {
        let reached_by = reached_by(&inventory, &selection, &choice.picks);
        let read = VersionRead {
            source: &source,
            inventory: &inventory,
            selection: &selection,
            reached_by,
        };
        version_items(&read, seen, profile, context)
    };
    let boundaries = inventory.boundaries().to_vec();
    Version {
        source,
        items,
        uses,
        boundaries,
    }
}

/// A selection with the items other files reach in the file added (each picked function or
/// method, a routed handler that calls a creation function as a root), in entry order.
fn with_picks(
    inventory: &Inventory,
    mut selection: Selection,
    picks: &[tree::Pick],
) -> anyhow::Result<Selection> {
    for pick in picks {
        let entry = match &pick.self_ty {
            Some(ty) => inventory.method_index(ty, &pick.name),
            None => inventory.fn_index(&pick.name),
        };
        let Some(entry) = entry else {
            return Err(InternalError(format!("no {} to pick any more", pick.name)).into());
        };
        if pick.root && !selection.roots.contains(&entry) {
            selection.roots.push(entry);
        }
        if selection.items.iter().all(|s| s.entry != entry) {
            selection.items.push(select::Selected {
                entry,
                reason: pick.reason.clone(),
            });
        }
    }
    selection.items.sort_by_key(|s| s.entry);
    Ok(selection)
}

/// For each selected item, the root handlers that reach it: in the file
/// ([`select::roots_reaching`]), and for an item another file reaches, the roots selection
/// across files says reach it. Names, each once, in name order.
fn reached_by(
    inventory: &Inventory,
    selection: &Selection,
    picks: &[tree::Pick],
) -> BTreeMap<usize, Vec<String>> {
    let mut by: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let reaching = select::roots_reaching(inventory, selection);
    for (s, roots) in selection.items.iter().zip(reaching) {
        let names = roots
            .into_iter()
            .map(|r| inventory.entries[selection.roots[r]].name.clone());
        by.entry(s.entry).or_default().extend(names);
    }
    for pick in picks {
        let entry = match &pick.self_ty {
            Some(ty) => inventory.method_index(ty, &pick.name),
            None => inventory.fn_index(&pick.name),
        };
        if let Some(entry) = entry {
            by.entry(entry)
                .or_default()
                .extend(pick.reached_by.iter().cloned());
        }
    }
    by.into_iter()
        .map(|(entry, names)| (entry, names.into_iter().collect()))
        .collect()
}

/// One version's selection, as [`version_items`] reads it.
struct VersionRead<'a> {
    source: &'a SourceFile,
    inventory: &'a Inventory,
    selection: &'a Selection,
    /// By entry: the root handlers that reach each selected item.
    reached_by: BTreeMap<usize, Vec<String>>,
}

/// What the syntax tree says of one selected item of a version.
#[derive(Clone)]
struct Seen {
    facts: Vec<Fact>,
    idents: BTreeSet<String>,
    tokens: String,
    said: Salient,
}

/// A version's selected items (its `use` declarations aside), each with its facts, role,
/// tokens and the names and literals worth saying when they change.
fn version_items(
    read: &VersionRead,
    seen: Vec<Seen>,
    profile: &Profile,
    context: bool,
) -> Vec<VersionItem> {
    let VersionRead {
        source,
        inventory,
        selection,
        ..
    } = *read;
    let reach: BTreeMap<usize, context::Reach> = if context {
        selection
            .items
            .iter()
            .map(|s| (s.entry, context::reach(inventory, s.entry)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let file = context::FileContext {
        source,
        inventory,
        reach: &reach,
        crate_items: None,
    };
    let mut items = Vec::new();
    let mut facts = placed_facts(source, inventory, selection, profile, &[]);
    let mut seen_of = BTreeMap::new();
    for (s, mut one) in selection.items.iter().zip(seen) {
        facts
            .entry(s.entry)
            .or_default()
            .extend(std::mem::take(&mut one.facts));
        seen_of.insert(s.entry, one);
    }
    let types = units::type_roles(&facts, inventory, &selection.roots);
    let empty = Vec::new();
    let called_by_roots: Vec<&str> = selection
        .roots
        .iter()
        .flat_map(|r| facts.get(r).into_iter().flatten())
        .filter_map(|f| match f.on_any_path() {
            Fact::Delegates { callee, .. } => Some(callee.as_str()),
            _ => None,
        })
        .collect();
    for s in &selection.items {
        let entry = &inventory.entries[s.entry];
        if entry.kind == Kind::Use {
            continue;
        }
        let own = facts.get(&s.entry).unwrap_or(&empty);
        let alone = Unit {
            kind: units::UnitKind::Item,
            primary: s.entry,
            entries: vec![s.entry],
        };
        let Some(one) = seen_of.remove(&s.entry) else {
            continue;
        };
        items.push(VersionItem {
            kind: entry.kind.label(),
            name: entry.name.clone(),
            self_ty: entry.self_ty.clone(),
            reached_by: read.reached_by.get(&s.entry).cloned().unwrap_or_default(),
            role: units::role_of(&alone, inventory, selection, own, &types),
            root: selection.roots.contains(&s.entry),
            called_by_root: called_by_roots.contains(&entry.name.as_str()),
            bytes: entry.range.clone(),
            lines: entry.lines,
            tokens: one.tokens,
            idents: one.idents,
            names: one.said.names,
            literals: one.said.literals,
            docs: one.said.docs,
            facts: own.clone(),
            context: if context {
                context::unit_context(&file, &[s.entry])
            } else {
                Vec::new()
            },
        });
    }
    items
}

/// A token stream as text, one space between tokens, without the comma that may end a list
/// (`f(a, b,)` reads as `f(a, b)`). A one-element tuple `(a,)` reads as `(a)`, a difference
/// this gives up for rustfmt's sake.
pub fn token_text(tokens: proc_macro2::TokenStream) -> String {
    use proc_macro2::{Delimiter, TokenTree};
    fn write(tokens: proc_macro2::TokenStream, out: &mut String) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let last = tokens.len().saturating_sub(1);
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Punct(p) if i == last && p.as_char() == ',' => {}
                // `::`, `->`, `=>` stay one word.
                TokenTree::Punct(p) if p.spacing() == proc_macro2::Spacing::Joint => {
                    out.push(p.as_char());
                }
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    out.push_str(open);
                    out.push(' ');
                    write(g.stream(), out);
                    out.push_str(close);
                    out.push(' ');
                }
                other => {
                    out.push_str(&other.to_string());
                    out.push(' ');
                }
            }
        }
    }
    let mut out = String::new();
    write(tokens, &mut out);
    out
}

/// What of an item's tokens is worth saying when it comes or goes.
#[derive(Default, Clone)]
struct Salient {
    names: Vec<String>,
    literals: Vec<String>,
    docs: Vec<String>,
}

/// The names and literals of a token stream worth saying when they come or go (see
/// [`VersionItem::names`]), each once, in order of first appearance; and its doc texts.
fn salient_tokens(tokens: proc_macro2::TokenStream, said: &mut Salient) {
    use proc_macro2::{Delimiter, TokenTree};
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                let called = match tokens.get(i + 1) {
                    Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Parenthesis,
                    Some(TokenTree::Punct(p)) => p.as_char() == '!',
                    _ => false,
                };
                let upper = name.chars().any(|c| c.is_uppercase());
                // `Eq` is a name worth saying; `id` or `db` is not.
                let salient = name.len() >= if upper { 2 } else { 3 }
                    && !is_keyword(name.as_str())
                    && (called || upper || name.contains('_'));
                if salient && !said.names.contains(&name) {
                    said.names.push(name);
                }
            }
            TokenTree::Literal(literal) => {
                let text = literal.to_string();
                let short = text.len() <= 100 && !text.contains(['\n', '`', '\\']);
                // A doc comment's text is said as a doc comment, not as a literal.
                let doc = i >= 2 && matches!(&tokens[i - 2], TokenTree::Ident(d) if d == "doc");
                if doc {
                    said.docs.push(text);
                } else if short && !said.literals.contains(&text) {
                    said.literals.push(text);
                }
            }
            TokenTree::Group(group) => salient_tokens(group.stream(), said),
            TokenTree::Punct(_) => {}
        }
    }
}

/// History mode: reads the history of each path (history/) and turns every commit that changed
/// the profile's items into examples, oldest first, written by `writer` (one value for the
/// whole history, so that it can vary what it says across commits) and checked as every
/// example is. Given a folder, the commits that changed a `.rs` file in it, with selection run
/// over the folder's files at each version ([`history::folder`]).
pub fn extract_history(
    repo: &Repo,
    profile: &Profile,
    options: &HistoryOptions,
    progress: &tree::ProgressHook,
    writer: &dyn Writer,
) -> anyhow::Result<History> {
    let rules = &profile.file.history;
    if history::folder::follows_folders(repo, options)? {
        let seen_before = SeenItems::default();
        let read = read_folder_of(repo, profile, options, progress, &seen_before)?;
        let shown = options.paths.join(", ");
        let pairs = read
            .commits
            .iter()
            .map(|commit| history::folder::pair_commit(commit, &read, rules, &shown));
        let mut history = history_of(pairs, profile, options, writer)?;
        history.folder = true;
        source::drop_aside((read, seen_before));
        return Ok(history);
    }
    let (commits, versions) = history::read_versions(repo, options, progress, |file| {
        summarize_version(file, profile, options.context_for_writer)
    })?;
    let pairs = commits
        .iter()
        .map(|commit| history::pair_commit(commit, &versions, rules));
    let history = history_of(pairs, profile, options, writer)?;
    source::drop_aside((commits, versions));
    Ok(history)
}

/// A folder's history read with `profile`'s selection (see [`history::folder::read_folder`]):
/// each file version from its pieces where it can be, else parsed whole.
fn read_folder_of(
    repo: &Repo,
    profile: &Profile,
    options: &HistoryOptions,
    progress: &tree::ProgressHook,
    seen_before: &SeenItems,
) -> anyhow::Result<history::folder::FolderVersions> {
    history::folder::read_folder(
        repo,
        options,
        progress,
        &profile.file.roots,
        |file, choice, pieces| {
            let context = options.context_for_writer;
            let methods = choice.picks.iter().any(|p| p.self_ty.is_some());
            match pieces {
                Some(pieces) if !context => {
                    summarize_pieced(file, profile, choice, pieces, seen_before, methods)
                }
                _ => summarize_chosen(file, profile, context, choice),
            }
        },
    )
}

/// The examples of each commit's pair (or why it has none), in order, and the versions they
/// are sliced from; then the check.
fn history_of<'v>(
    pairs: impl Iterator<Item = (CommitRow, Result<history::Pair<'v>, history::Dropped>)>,
    profile: &Profile,
    options: &HistoryOptions,
    writer: &dyn Writer,
) -> anyhow::Result<History> {
    let mut history = History::default();
    let mut collected = Collected::default();
    for (row, pair) in pairs {
        let made = match &pair {
            Ok(pair) => history_examples_of(&row.short, pair, profile, options, writer)?,
            Err(why) => Err(why.clone()),
        };
        let outcome = match (made, &pair) {
            (Ok(made), _) if made.is_empty() => Err(history::Dropped::Repeats),
            (Ok(made), Ok(pair)) => {
                let count = made.len();
                collected.add(pair, made, history.rows.len());
                Ok(count)
            }
            (Ok(_), Err(why)) => Err(why.clone()),
            (Err(why), _) => Err(why),
        };
        history.rows.push(CommitRow { outcome, ..row });
    }
    let checked = collected.checked(&mut history.rows, profile)?;
    history.examples = checked.examples;
    history.sources = checked.sources;
    history.dropped = checked.dropped;
    Ok(history)
}

/// A history's examples as they are made, commit by commit: the versions they are sliced from
/// and the row of each one's commit, for the check.
#[derive(Default)]
struct Collected<'v> {
    examples: Vec<Example>,
    /// The versions the examples are sliced from, by (path, commit).
    used: BTreeMap<(String, String), &'v Version>,
    /// The row of each example's commit, by the example's position.
    row_of: Vec<usize>,
}

/// A history's examples once checked, the versions they are sliced from, and those left out.
#[derive(Debug, Default)]
pub struct CheckedHistory {
    pub examples: Vec<Example>,
    pub sources: BTreeMap<(String, String), SourceFile>,
    pub dropped: Vec<Dropped>,
}

impl<'v> Collected<'v> {
    /// `made`, the examples of `pair`, whose commit is row `row`.
    fn add(&mut self, pair: &history::Pair<'v>, made: Vec<Example>, row: usize) {
        for slice in made.iter().flat_map(|e| e.slices.iter().chain(&e.before)) {
            let commit = slice.commit.clone().unwrap_or_default();
            if let Some(version) = pair.version_at(&slice.path, &commit) {
                let path = slice.path.to_string_lossy().into_owned();
                self.used.insert((path, commit), version);
            }
        }
        self.row_of.extend(std::iter::repeat_n(row, made.len()));
        self.examples.extend(made);
    }

    /// The generator's own check of the examples, with `profile`'s: every example's code, and
    /// the code its request quotes, rebuilt from the versions at the commits its slices name,
    /// on item boundaries; the reasoning grounded. An example whose text fails is left out (its
    /// commit's row in `rows` counts one example less, and a commit left with none is dropped
    /// as failing its check); a fault of the code is a bug, and nothing is written.
    fn checked(self, rows: &mut [CommitRow], profile: &Profile) -> anyhow::Result<CheckedHistory> {
        let (checked, dropped_rows) = self.checked_apart(profile)?;
        left_out_of_rows(rows, &dropped_rows);
        Ok(checked)
    }

    /// [`Collected::checked`] apart from the rows: the examples checked, and the row of each
    /// one left out.
    fn checked_apart(self, profile: &Profile) -> anyhow::Result<(CheckedHistory, Vec<usize>)> {
        let mut sources: BTreeMap<(String, String), SourceFile> = self
            .used
            .iter()
            .map(|(key, version)| (key.clone(), version.source.clone()))
            .collect();
        let checked_sources: Vec<check::Source> = sources
            .iter()
            .map(|(key, file)| check::Source {
                file,
                items: self.used.get(key).map_or(&[], |v| v.boundaries.as_slice()),
                commit: Some(key.1.as_str()),
            })
            .collect();
        let (kept, dropped) = check_numbered(self.examples, &checked_sources, profile)?;
        drop(checked_sources);
        let dropped_rows = dropped.iter().map(|&(n, _)| self.row_of[n]).collect();
        let examples: Vec<Example> = kept.into_iter().map(|(_, e)| e).collect();
        let dropped: Vec<Dropped> = dropped.into_iter().map(|(_, d)| d).collect();
        if !dropped.is_empty() {
            // A version only a left-out example was sliced from is no source of the data.
            let sliced: BTreeSet<(String, String)> = examples
                .iter()
                .flat_map(|e| e.slices.iter().chain(&e.before))
                .map(|s| {
                    let path = s.path.to_string_lossy().into_owned();
                    (path, s.commit.clone().unwrap_or_default())
                })
                .collect();
            sources.retain(|key, _| sliced.contains(key));
        }
        let checked = CheckedHistory {
            examples,
            sources,
            dropped,
        };
        Ok((checked, dropped_rows))
    }
}

/// Counts an example left out by the check off its commit's row (`rows[n]` for each `n` of
/// `dropped_rows`): a commit left with none is dropped as failing its check.
fn left_out_of_rows(rows: &mut [CommitRow], dropped_rows: &[usize]) {
    for &number in dropped_rows {
        let row = &mut rows[number];
        if let Ok(count) = &mut row.outcome {
            *count -= 1;
            if *count == 0 {
                row.outcome = Err(history::Dropped::FailsCheck);
            }
        }
    }
}

/// One operation of a history over every route: its profile, and the names of its root
/// handlers (the items of a commit that these reach are its).
pub struct HistoryOperation<'p> {
    pub profile: &'p Profile,
    pub handlers: Vec<String>,
}

/// What a history over every route made of one operation: its examples, checked with its
/// profile, the versions they are sliced from, those left out, and the items of its commits
/// an earlier operation's dataset holds.
#[derive(Debug, Default)]
pub struct OperationHistory {
    pub checked: CheckedHistory,
    pub shared: Vec<SharedItem>,
}

/// History mode for every operation at once, over one reading of the folders' history: the
/// folders are read with `union` (a profile whose roots are every operation's), each commit's
/// items paired once, and each changed or added item goes to the first operation (in the order
/// given) one of whose handlers reaches it; the later ones count it as shared. Each operation's
/// part of a commit is written with its own profile and writer (`writers`, one per operation,
/// each one value for the whole history) and checked with its profile. The rows count every
/// operation's examples of a commit.
pub fn extract_history_operations(
    repo: &Repo,
    union: &Profile,
    operations: &[HistoryOperation],
    options: &HistoryOptions,
    progress: &tree::ProgressHook,
    writers: &[&dyn Writer],
) -> anyhow::Result<(Vec<CommitRow>, Vec<OperationHistory>)> {
    if !history::folder::follows_folders(repo, options)? {
        anyhow::bail!(
            "a history over every route follows folders: none of {} is a folder at {}",
            options.paths.join(", "),
            options.until
        );
    }
    let seen_before = SeenItems::default();
    let read = read_folder_of(repo, union, options, progress, &seen_before)?;
    let shown = options.paths.join(", ");
    let rules = &union.file.history;
    // The operations whose handlers reach an item, in order: the first holds it.
    let operations_of = |placed: &history::Placed| -> Vec<usize> {
        (0..operations.len())
            .filter(|&o| {
                let handlers = &operations[o].handlers;
                placed.item.reached_by.iter().any(|r| handlers.contains(r))
            })
            .collect()
    };
    // Each commit's items paired, side by side; then, in commit order, each item's owner.
    let paired: Vec<_> = source::on_pool(|| {
        use rayon::prelude::*;
        read.commits
            .par_iter()
            .map(|commit| history::folder::pair_commit(commit, &read, rules, &shown))
            .collect()
    });
    let mut rows: Vec<CommitRow> = Vec::new();
    // Each operation's parts of the commits, with their rows, in commit order.
    let mut owned: Vec<Vec<(usize, history::Pair)>> =
        operations.iter().map(|_| Vec::new()).collect();
    let mut shared: Vec<BTreeSet<(String, PathBuf, usize)>> =
        operations.iter().map(|_| BTreeSet::new()).collect();
    for (row, pair) in paired {
        let pair = match pair {
            Ok(pair) => pair,
            Err(why) => {
                rows.push(CommitRow {
                    outcome: Err(why),
                    ..row
                });
                continue;
            }
        };
        let mut owners: BTreeSet<usize> = BTreeSet::new();
        for placed in pair.items() {
            let ops = operations_of(placed);
            let Some(&owner) = ops.first() else { continue };
            owners.insert(owner);
            for &o in &ops[1..] {
                let file = placed.version.source.path.clone();
                shared[o].insert((placed.item.name.clone(), file, owner));
            }
        }
        for &o in &owners {
            if let Some(part) = pair.part(|p| operations_of(p).first() == Some(&o)) {
                owned[o].push((rows.len(), part));
            }
        }
        // Counted below; a commit no operation owns stays dropped.
        let outcome = match owners.is_empty() {
            true => Err(history::Dropped::NoOperation),
            false => Ok(0),
        };
        rows.push(CommitRow { outcome, ..row });
    }
    let written = write_owned(owned, &rows, operations, options, writers);
    let mut out = Vec::new();
    let mut dropped = Vec::new();
    for (written, shared) in written.into_iter().zip(shared) {
        let OperationWritten {
            checked,
            counts,
            dropped_rows,
        } = written?;
        for (number, count) in counts {
            if let Ok(total) = &mut rows[number].outcome {
                *total += count;
            }
        }
        dropped.push(dropped_rows);
        let shared = shared
            .into_iter()
            .map(|(item, file, owner)| SharedItem { item, file, owner })
            .collect();
        out.push(OperationHistory { checked, shared });
    }
    for row in &mut rows {
        if matches!(row.outcome, Ok(0)) {
            row.outcome = Err(history::Dropped::Repeats);
        }
    }
    for dropped_rows in &dropped {
        left_out_of_rows(&mut rows, dropped_rows);
    }
    source::drop_aside((read, seen_before));
    Ok((rows, out))
}

/// One operation's part of a history over every route, written and checked.
struct OperationWritten {
    checked: CheckedHistory,
    /// How many examples each row got, by row.
    counts: Vec<(usize, usize)>,
    /// The row of each example the check left out.
    dropped_rows: Vec<usize>,
}

/// Each operation's parts of the commits (`owned[o]`, with their rows, in commit order) written
/// in that order with its own writer and checked with its profile, the operations side by
/// side: each one's examples checked, how many each row got, and the row of each one the check
/// left out.
fn write_owned(
    owned: Vec<Vec<(usize, history::Pair)>>,
    rows: &[CommitRow],
    operations: &[HistoryOperation],
    options: &HistoryOptions,
    writers: &[&dyn Writer],
) -> Vec<anyhow::Result<OperationWritten>> {
    source::on_pool(|| {
        use rayon::prelude::*;
        owned
            .into_par_iter()
            .enumerate()
            .map(|(o, parts)| {
                let profile = operations[o].profile;
                let mut collected = Collected::default();
                let mut counts = Vec::new();
                for (number, part) in parts {
                    let short = &rows[number].short;
                    if let Ok(made) =
                        history_examples_of(short, &part, profile, options, writers[o])?
                    {
                        counts.push((number, made.len()));
                        collected.add(&part, made, number);
                    }
                }
                let (checked, dropped_rows) = collected.checked_apart(profile)?;
                Ok(OperationWritten {
                    checked,
                    counts,
                    dropped_rows,
                })
            })
            .collect()
    })
}

/// One commit's examples (`short` its short id): a change example for the items it changed,
/// a new example for those it added; none where the writer has nothing new.
fn history_examples_of(
    short: &str,
    pair: &history::Pair,
    profile: &Profile,
    options: &HistoryOptions,
    writer: &dyn Writer,
) -> anyhow::Result<Result<Vec<Example>, history::Dropped>> {
    let mut made: Vec<Example> = Vec::new();
    let about = |key: String, items, change| CommitExample {
        key,
        items,
        history: HistoryBrief {
            message: &pair.text,
            change,
        },
        commit: &pair.commit,
    };
    if let Some(changed) = &pair.changed {
        let change = ChangeBrief {
            before_code: &changed.before_code,
            changes: &changed.changes,
        };
        let key = format!("change:{short}");
        let example = write_history_example(
            &about(key, &changed.items, Some(change)),
            options.imports,
            profile,
            writer,
        )?;
        if let Some(mut example) = example {
            example.before = changed.before_slices.clone();
            made.push(example);
        }
    }
    if !pair.added.is_empty() {
        let key = format!("new:{short}");
        let about = about(key, &pair.added, None);
        made.extend(write_history_example(
            &about,
            options.imports,
            profile,
            writer,
        )?);
    }
    Ok(Ok(made))
}

/// One history example to write: `items` (each with its version), at `commit`.
struct CommitExample<'v> {
    key: String,
    items: &'v [history::Placed<'v>],
    history: HistoryBrief<'v>,
    commit: &'v str,
}

/// One example about `about.items`: its code (for each file in turn, the `use` declarations
/// `imports` keeps for its items, then the items), and the writer's text; none when the writer
/// has nothing that repeats no earlier example.
fn write_history_example(
    about: &CommitExample,
    imports: Imports,
    profile: &Profile,
    writer: &dyn Writer,
) -> anyhow::Result<Option<Example>> {
    let CommitExample {
        key,
        items,
        history,
        commit,
    } = about;
    let primary = items.iter().position(|i| i.item.root).unwrap_or(0);
    let main = items[primary].version;
    let mut parts: Vec<(&Version, Slice)> = Vec::new();
    for group in items.chunk_by(|a, b| std::ptr::eq(a.version, b.version)) {
        let version = group[0].version;
        let mut idents = std::collections::BTreeSet::new();
        for placed in group {
            idents.extend(placed.item.idents.iter().cloned());
        }
        let uses = match imports {
            Imports::None => Vec::new(),
            Imports::Used => version.use_runs_for(|u| u.names.iter().any(|n| idents.contains(n))),
            Imports::All => version.use_runs_for(|_| true),
        };
        let ranges = uses
            .into_iter()
            .chain(group.iter().map(|p| p.item.bytes.clone()));
        parts.extend(ranges.map(|bytes| (version, history::slice_of(version, bytes, commit))));
    }
    let code = history::joined(parts.iter().map(|(v, s)| (*v, s)));
    let slices: Vec<Slice> = parts.into_iter().map(|(_, s)| s).collect();
    let file_facts: write::FileFacts = main.items.iter().map(|i| i.facts.clone()).collect();
    let item_list: Vec<&VersionItem> = items.iter().map(|p| p.item).collect();
    let primary_item = item_list[primary];
    let brief = Brief {
        vocabulary: &profile.file.vocabulary,
        key: key.clone(),
        role: primary_item.role,
        name: primary_item.name.clone(),
        items: item_list
            .iter()
            .map(|i| BriefItem {
                name: &i.name,
                facts: &i.facts,
            })
            .collect(),
        primary,
        callees: Vec::new(),
        route: None,
        called_by_root: primary_item.called_by_root,
        field_of: None,
        file_facts,
        code: &code,
        file_text: &main.source.text,
        path: &main.source.path,
        context: history_context(&item_list, &code),
        variant: 0,
        voice: Voice::Commit,
        history: Some(*history),
    };
    let text = match writer.write(&brief) {
        Ok(text) => text,
        Err(err) if err.is::<Exhausted>() || err.is::<Pending>() => return Ok(None),
        Err(err) => return Err(err),
    };
    Ok(Some(Example {
        unit: key.clone(),
        group: format!("item:{}", primary_item.name),
        kind: units::kind_name(primary_item.role, &primary_item.facts),
        voice: Voice::Commit,
        variant: 0,
        request: text.request,
        reasoning: text.reasoning,
        rules: text.rules,
        code: code.into(),
        slices,
        commit: Some((*commit).to_owned()),
        before: Vec::new(),
        model: text.model,
    }))
}

/// The context of a history example about `items` (each item's, as its version was read): each
/// piece once, none that stands within one of the items, as much as fits the budget `code`
/// sets. Empty when context was not asked for.
fn history_context(items: &[&VersionItem], code: &str) -> Vec<ContextItem> {
    let mut all: Vec<ContextItem> = Vec::new();
    let mut seen: BTreeSet<(usize, &str, &str)> = BTreeSet::new();
    for item in items {
        for piece in &item.context {
            let within = items
                .iter()
                .any(|i| i.lines.0 <= piece.line && piece.line <= i.lines.1);
            if !within && seen.insert((piece.line, piece.kind, &piece.name)) {
                all.push(piece.clone());
            }
        }
    }
    // Types first, then callees, then impls, as one unit's context is ordered.
    let rank = |kind: &str| ["type", "callee", "impl"].iter().position(|k| *k == kind);
    all.sort_by_key(|piece| rank(piece.kind));
    within_budget(all, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every piece of `source` summarized on its own, with where it starts.
    fn read_pieces(
        source: &SourceFile,
        profile: &Profile,
        interner: &tree::Interner,
    ) -> Vec<(usize, tree::PieceSummary)> {
        tree::piece_bounds(&source.text)
            .into_iter()
            .map(|r| {
                let piece = &source.text[r.clone()];
                let summary = tree::summarize_piece(piece, &profile.file.roots, interner);
                (r.start, summary.unwrap())
            })
            .collect()
    }

    /// Every fixture file read from its pieces (as a folder's history reads file versions)
    /// gives the version read whole: the same items, facts, roles, slices' places and `use`
    /// declarations, for every built-in profile, with and without a root routed to it.
    #[test]
    fn a_version_read_from_its_pieces_is_the_version_read_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        let interner = tree::Interner::default();
        let mut with_items = 0;
        let mut with_method = 0;
        for name in [
            "message-creation",
            "application-creation",
            "endpoint-creation",
        ] {
            let profile = Profile::load(name).unwrap();
            for path in &files {
                let source = SourceFile::read(path).unwrap();
                if source.parse().is_err() {
                    continue;
                }
                let read = read_pieces(&source, &profile, &interner);
                let pieces: Vec<tree::PieceAt> = read
                    .iter()
                    .map(|(start, summary)| tree::PieceAt {
                        start: *start,
                        summary,
                    })
                    .collect();
                let routed = history::folder::FileChoice {
                    roots: vec![("create_endpoint".to_owned(), select::Reason::RootFlag)],
                    picks: Vec::new(),
                };
                // A method another file reaches: the file is read with its methods.
                let method = history::folder::FileChoice {
                    roots: Vec::new(),
                    picks: vec![tree::Pick {
                        file: 0,
                        name: "from_model".to_owned(),
                        self_ty: Some("MessageOut".to_owned()),
                        reason: select::Reason::ReachedFrom {
                            by: "create_message".to_owned(),
                            module: "v1::endpoints::message".to_owned(),
                        },
                        root: false,
                        reached_by: vec!["create_message".to_owned()],
                    }],
                };
                for choice in [history::folder::FileChoice::default(), routed, method] {
                    let whole = summarize_chosen(source.clone(), &profile, false, &choice);
                    let seen_before = SeenItems::default();
                    let methods = choice.picks.iter().any(|p| p.self_ty.is_some());
                    let pieced = summarize_pieced(
                        source.clone(),
                        &profile,
                        &choice,
                        &pieces,
                        &seen_before,
                        methods,
                    );
                    let (whole, pieced) = match (whole, pieced) {
                        (Ok(whole), Ok(pieced)) => (whole, pieced),
                        (Err(a), Err(b)) => {
                            assert_eq!(format!("{a:#}"), format!("{b:#}"));
                            continue;
                        }
                        (a, b) => panic!("{}: {a:?} {b:?}", path.display()),
                    };
                    with_items += usize::from(!whole.items.is_empty());
                    with_method +=
                        usize::from(methods && whole.items.iter().any(|i| i.name == "from_model"));
                    assert_eq!(
                        format!("{pieced:#?}"),
                        format!("{whole:#?}"),
                        "{} ({name}, {:?})",
                        path.display(),
                        choice.roots
                    );
                }
            }
        }
        assert!(with_items >= 6, "{with_items}");
        assert!(with_method >= 2, "{with_method}");
    }

    /// Regression: [`SeenItems`] keyed an item by its file's functions and types but not its
    /// impl methods, so a handler seen in a version that defines `EndpointOut::from_model` was
    /// reused, with its `LocalAssoc` fact, in a version that defines the same functions and
    /// types but not the method (moved to another file).
    #[test]
    fn an_item_seen_where_a_method_was_local_is_seen_again_where_it_is_not() {
        const TYPE: &str = "pub struct EndpointOut {\n    pub id: String,\n}\n";
        const METHOD: &str = "impl EndpointOut {\n    pub fn from_model(endp: endpoint::Model) -> Self {\n        Self { id: endp.id }\n    }\n}\n";
        const HANDLER: &str = "async fn create_endpoint(\n    State(AppState { ref db, .. }): State<AppState>,\n) -> Result<Json<EndpointOut>> {\n    let endp = endpoint::ActiveModel::new().insert(db).await?;\n    Ok(Json(EndpointOut::from_model(endp)))\n}\n";
        const ROUTER: &str = "pub fn router() -> ApiRouter<AppState> {\n    ApiRouter::new().api_route(\"/app/{app_id}/endpoint\", post(create_endpoint))\n}\n";
        let profile = Profile::load("endpoint-creation").unwrap();
        let interner = tree::Interner::default();
        let choice = history::folder::FileChoice::default();
        let local_assoc = |version: &Version| -> bool {
            let handler = version.items.iter().find(|i| i.name == "create_endpoint");
            handler
                .unwrap()
                .facts
                .iter()
                .any(|f| matches!(f, Fact::LocalAssoc { .. }))
        };
        let seen_before = SeenItems::default();
        // The last version adds a function the handler never mentions: read from the cache.
        const UNRELATED: &str = "fn delete_endpoint() {}\n";
        for (parts, local) in [
            (&[TYPE, METHOD, HANDLER, ROUTER][..], true),
            (&[TYPE, HANDLER, ROUTER][..], false),
            (&[TYPE, METHOD, HANDLER, ROUTER, UNRELATED][..], true),
        ] {
            let source = SourceFile::from_text(Path::new("endpoint.rs"), parts.join("\n"));
            let read = read_pieces(&source, &profile, &interner);
            let pieces: Vec<tree::PieceAt> = read
                .iter()
                .map(|(start, summary)| tree::PieceAt {
                    start: *start,
                    summary,
                })
                .collect();
            let whole = summarize_chosen(source.clone(), &profile, false, &choice).unwrap();
            let pieced =
                summarize_pieced(source, &profile, &choice, &pieces, &seen_before, false).unwrap();
            assert_eq!(local_assoc(&whole), local);
            assert_eq!(local_assoc(&pieced), local, "read from the cache");
            assert_eq!(format!("{pieced:#?}"), format!("{whole:#?}"));
        }
    }

    /// Examples of `fn f() {}` and `fn g() {}`, each with its request and reasoning.
    fn checked(
        texts: &[(&str, &str, &str)],
        code_of_f: &str,
    ) -> anyhow::Result<(Vec<Example>, Vec<Dropped>)> {
        let profile = Profile::load(profile::DEFAULT).unwrap();
        let file = SourceFile::from_text(Path::new("t.rs"), "fn f() {}\n\nfn g() {}\n".to_owned());
        let items = [0..9, 11..20];
        let sources = [check::Source {
            file: &file,
            items: &items,
            commit: None,
        }];
        let examples = texts
            .iter()
            .enumerate()
            .map(|(variant, &(name, request, reasoning))| {
                let bytes = if name == "f" { 0..9 } else { 11..20 };
                let code = if name == "f" { code_of_f } else { "fn g() {}" };
                Example {
                    unit: format!("item:{name}"),
                    group: format!("item:{name}"),
                    kind: "helper",
                    voice: Voice::Chat,
                    variant,
                    request: request.to_owned(),
                    reasoning: reasoning.to_owned(),
                    rules: Vec::new(),
                    code: code.into(),
                    slices: vec![Slice {
                        path: file.path.clone(),
                        bytes,
                        lines: (1, 1),
                        commit: None,
                    }],
                    commit: None,
                    before: Vec::new(),
                    model: None,
                }
            })
            .collect();
        check_examples(examples, &sources, &profile)
    }

    /// A text fault leaves its example out and the run goes on; a repeat of an example left out
    /// is no repeat; only a unit with no example left counts as emptied.
    #[test]
    fn an_example_whose_text_fails_is_left_out_with_why() {
        let (kept, dropped) = checked(
            &[
                ("f", "Add `f`.", "`f` does nothing."),
                ("g", "Add `g`.", "`g` does nothing."),
                ("g", "Add `g`.", "`g` is empty."),
                ("g", "Fix `g`.", "It calls g_helper first."),
                ("f", "Fix `g`.", "`f` is left as it is."),
            ],
            "fn f() {}",
        )
        .unwrap();
        let kept: Vec<usize> = kept.iter().map(|e| e.variant).collect();
        assert_eq!(kept, [0, 1, 4]);
        let dropped: Vec<(&str, usize, &str, &str)> = dropped
            .iter()
            .map(|d| {
                (
                    d.unit.as_str(),
                    d.variant,
                    d.reason.as_str(),
                    d.excerpt.as_str(),
                )
            })
            .collect();
        assert_eq!(
            dropped,
            [
                (
                    "item:g",
                    2,
                    "repeats the request of an earlier example of item:g",
                    "Add `g`."
                ),
                (
                    "item:g",
                    3,
                    "reasoning names g_helper outside backticks",
                    "It calls g_helper first."
                ),
            ]
        );
        let (kept, dropped) = checked(
            &[
                ("f", "Add `f`.", "`f` does nothing."),
                ("g", "Add `g`.", "See g_x."),
            ],
            "fn f() {}",
        )
        .unwrap();
        assert_eq!((kept.len(), emptied(&dropped, &kept)), (1, 1));
    }

    /// A context is cut to 1.5 bytes per byte of its unit's code, at least 800: items in
    /// order while they fit, one that does not passed over for a smaller one after it.
    #[test]
    fn a_units_context_is_cut_to_its_budget() {
        let item = |name: &str, bytes: usize| ContextItem {
            kind: "type",
            name: name.to_owned(),
            path: PathBuf::from("t.rs"),
            line: 1,
            text: "a".repeat(bytes),
        };
        let items = vec![
            item("first", 400),
            item("second", 360),
            item("too_large", 400),
            item("small", 20),
        ];
        let kept = |code: &str| -> Vec<String> {
            within_budget(items.clone(), code)
                .into_iter()
                .map(|i| i.name)
                .collect()
        };
        // A short unit: the floor of 800.
        assert_eq!(kept("fn f() {}"), ["first", "second", "small"]);
        // 800 bytes of code: 1200 for its context.
        assert_eq!(
            kept(&"a".repeat(800)),
            ["first", "second", "too_large", "small"]
        );
    }

    /// Code that its slices do not rebuild is the generator's bug, whatever the text says.
    #[test]
    fn a_fault_of_the_code_is_an_internal_error() {
        let err = checked(&[("f", "Add `f`.", "`f` does nothing.")], "fn f() { }").unwrap_err();
        assert!(err.is::<InternalError>());
        assert_eq!(
            err.to_string(),
            "internal error: example 1 (unit item:f) fails its check: the code is not its slices \
             joined by one blank line"
        );
    }
}
