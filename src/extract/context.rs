//! A unit's context: what its code reaches beyond itself, quoted from the crate's own text for
//! a writer that needs it (a language model, which would otherwise guess what a callee does or
//! what a type holds). Three kinds, in this order: the definitions of the crate types the unit
//! takes, returns or has as fields; the signatures (no body) of the functions and methods it
//! calls; the impl blocks of those types and of the types it defines, each as its header with
//! its members' signatures. Nothing the unit's own code holds is repeated.
//!
//! It owns the reading of what an item reaches ([`reach`], done while selection's inputs are
//! still held), the crate-wide lookup of crate mode ([`CrateItems`]: the plan's summaries,
//! resolved by `tree`'s paths-across-modules rules, other files read once when first quoted)
//! and the rendering of [`ContextItem`]s. Every text is a slice of its file, cut by the byte
//! ranges read off the item's tokens as it was parsed ([`crate::extract::source::Outline`]);
//! only the indentation of a nested item's lines is moved left. How much of the context a
//! prompt has room for is the caller's choice: the items come most relevant first.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::extract::select::{Context, Inventory, Kind, Reference};
use crate::extract::source::{Outline, SourceFile};
use crate::extract::tree::{
    CrateIndex, FileSummary, ImplSummary, ItemSummary, Modules, Target, Wanted,
};

/// One piece of a brief's context: an item's signature or outline, as it stands in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextItem {
    /// What it is to the unit: `type` (taken, returned or a field's), `callee`, or `impl` (of
    /// a type the unit defines, takes or returns).
    pub kind: &'static str,
    /// The item's name (`MessageOut`, `impl From<…> for MessageOut`, `create_message_inner`,
    /// `MessageOut::from_msg_and_payload`).
    pub name: String,
    /// Where it stands: the file (as the provenance names it) and its first line, 1-based.
    pub path: PathBuf,
    pub line: usize,
    /// Its text: a function's signature without its body; a type's whole definition; an
    /// impl's header with the signatures of its methods (each ending in `;`), in braces.
    pub text: String,
}

/// Something an item's code reaches, as far as its own file tells.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Reached {
    /// An entry of the file's inventory: a function or a type; for a method, the impl block
    /// that defines `member`.
    Local {
        entry: usize,
        member: Option<String>,
    },
    /// A path that names nothing the file defines: crate mode looks for it in other modules.
    Foreign(Box<str>),
}

/// What one selected item's code reaches beyond itself, each once, in the order first named.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Types it takes or returns (parameters, return type, fields; an impl's or method's self
    /// type).
    types: Vec<Reached>,
    /// Functions and methods it calls or passes on as values, and those its attributes name.
    callees: Vec<Reached>,
}

/// Reads what `entry` of `inventory` reaches, from the references selection read of its code:
/// call before [`Inventory::forget_selection_inputs`].
pub fn reach(inventory: &Inventory, entry: usize) -> Reach {
    let e = &inventory.entries[entry];
    let mut reach = Reach::default();
    // Each once, in the order first named: a set beside each list keeps that linear.
    let mut seen: BTreeSet<Reached> = BTreeSet::from([local(entry, None)]);
    let mut push = |list: &mut Vec<Reached>, reached: Reached| {
        if seen.insert(reached.clone()) {
            list.push(reached);
        }
    };
    let self_ty = e.self_ty.as_deref();
    if matches!(e.kind, Kind::Impl | Kind::Method)
        && let Some(t) = self_ty.and_then(|ty| inventory.type_index(ty))
    {
        push(&mut reach.types, local(t, None));
    }
    for reference in &e.code.references {
        match reference {
            Reference::Method(name) => {
                for imp in inventory.inherent_impls_with_method(name) {
                    push(&mut reach.callees, local(imp, Some(name)));
                }
            }
            Reference::Path {
                path,
                context,
                call,
            } => match context {
                Context::Param | Context::Return | Context::Field => {
                    if let Some(reached) = type_reached(inventory, self_ty, path) {
                        push(&mut reach.types, reached);
                    }
                }
                Context::Body | Context::Attribute => {
                    if let Some(reached) = callee_reached(inventory, self_ty, path, *context, *call)
                    {
                        push(&mut reach.callees, reached);
                    }
                }
            },
        }
    }
    reach
}

/// The type a path in a signature or a field names: an entry of the file, or a path to
/// resolve across modules. Only a name written as a type's is one (`T`'s generic parameters
/// aside, which resolve nowhere).
fn type_reached(inventory: &Inventory, self_ty: Option<&str>, path: &str) -> Option<Reached> {
    let segments: Vec<&str> = path.split("::").collect();
    if let [one] = segments.as_slice()
        && let Some(t) = named(one, self_ty).and_then(|ty| inventory.type_index(ty))
    {
        return Some(local(t, None));
    }
    let last = segments.last()?;
    (*last != "Self" && starts_upper(last)).then(|| Reached::Foreign(path.into()))
}

/// The function or method a path in code or an attribute names: a function of the file, a
/// method of an impl block of the file (`Type::method`, `Self::method`), or (in code) a path
/// to resolve across modules. Calls are taken, and functions passed on as values
/// (`.map(Type::from_model)`); `Ok(…)`, variants and constants are no functions.
fn callee_reached(
    inventory: &Inventory,
    self_ty: Option<&str>,
    path: &str,
    context: Context,
    call: bool,
) -> Option<Reached> {
    let segments: Vec<&str> = path.split("::").collect();
    match segments.as_slice() {
        [one] => match inventory.fn_index(one) {
            Some(f) => Some(local(f, None)),
            None => (call && !starts_upper(one)).then(|| Reached::Foreign(path.into())),
        },
        _ if context == Context::Attribute => None,
        [ty, member] if !starts_upper(member) => {
            let defined = named(ty, self_ty).and_then(|ty| {
                inventory.type_index(ty)?;
                inventory.impl_defining(ty, member, false)
            });
            Some(match defined {
                Some(imp) => local(imp, Some(member)),
                None => Reached::Foreign(path.into()),
            })
        }
        [.., last] if call || !starts_upper(last) => Some(Reached::Foreign(path.into())),
        _ => None,
    }
}

/// The type a path segment names: `Self` is the item's self type.
fn named<'a>(segment: &'a str, self_ty: Option<&'a str>) -> Option<&'a str> {
    if segment == "Self" {
        self_ty
    } else {
        Some(segment)
    }
}

fn local(entry: usize, member: Option<&str>) -> Reached {
    Reached::Local {
        entry,
        member: member.map(str::to_owned),
    }
}

/// Whether a path segment is written as a type's (or a variant's, or a constant's) name.
fn starts_upper(segment: &str) -> bool {
    segment.chars().next().is_some_and(char::is_uppercase)
}

/// Crate mode's view of every file, for resolving what a unit reaches in another module and
/// quoting it: the plan's summaries (outlined), the modules they define, and the text of each
/// file quoted, read once, when first needed.
#[derive(Debug)]
pub struct CrateItems {
    files: Vec<FileSummary>,
    modules: Modules,
    by_path: BTreeMap<PathBuf, usize>,
    /// Files read so far, by index (None: it could not be read).
    texts: Mutex<BTreeMap<usize, Option<Arc<SourceFile>>>>,
}

impl CrateItems {
    /// The crate's summaries, each outlined (`tree::plan` with outlines).
    pub fn new(files: Vec<FileSummary>) -> CrateItems {
        let modules = crate::extract::tree::modules_of(&files);
        let by_path = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i))
            .collect();
        CrateItems {
            files,
            modules,
            by_path,
            texts: Mutex::new(BTreeMap::new()),
        }
    }

    /// The place of the file at `path` among the summaries.
    pub fn file_index(&self, path: &Path) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    fn resolve(&self, from: usize, path: &str, wanted: Wanted) -> Option<Target> {
        CrateIndex::with_modules(&self.files, &self.modules).resolve_wanted(from, path, wanted)
    }

    /// The text of file `file`, read on first use.
    fn text(&self, file: usize) -> Option<Arc<SourceFile>> {
        // A poisoned lock only means another thread panicked mid-insert: the map is still a map.
        let mut texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        texts
            .entry(file)
            .or_insert_with(|| SourceFile::read(&self.files[file].path).ok().map(Arc::new))
            .clone()
    }
}

/// What a file's units reach, ready to be quoted: its text and inventory, each selected
/// item's [`Reach`], and in crate mode the crate and this file's place in it.
pub struct FileContext<'a> {
    pub source: &'a SourceFile,
    pub inventory: &'a Inventory,
    pub reach: &'a BTreeMap<usize, Reach>,
    pub crate_items: Option<(&'a CrateItems, usize)>,
}

/// The context of the unit made of `entries` (inventory indices), ordered: types taken,
/// returned or held, then callees, then impls; each once, none the unit's own code holds.
pub fn unit_context(file: &FileContext, entries: &[usize]) -> Vec<ContextItem> {
    let own_ranges: Vec<Range<usize>> = entries
        .iter()
        .map(|&e| file.inventory.entries[e].node.clone())
        .collect();
    let mut quoted = Quoted {
        own_ranges: &own_ranges,
        seen: BTreeSet::new(),
        items: Vec::new(),
    };
    let unit = Unit {
        file,
        entries,
        own: entries.iter().copied().collect(),
    };
    let types = unit.quote_types(&mut quoted);
    unit.quote_callees(&mut quoted);
    unit.quote_impls(&types, &mut quoted);
    quoted.items
}

/// One unit's entries among its file's.
struct Unit<'f, 'a> {
    file: &'f FileContext<'a>,
    entries: &'f [usize],
    own: BTreeSet<usize>,
}

/// The types a unit's context quoted: those of its file (by entry), and those of other files
/// of the crate (with the file's text, its place, and the type's name).
#[derive(Default)]
struct QuotedTypes {
    here: Vec<usize>,
    there: Vec<(Arc<SourceFile>, usize, String)>,
}

impl Unit<'_, '_> {
    /// What the unit's items reach of one kind, each once, in order.
    fn reached(&self, pick: fn(&Reach) -> &Vec<Reached>) -> Vec<&Reached> {
        let mut all: Vec<&Reached> = Vec::new();
        let mut seen: BTreeSet<&Reached> = BTreeSet::new();
        for reach in self.entries.iter().filter_map(|e| self.file.reach.get(e)) {
            all.extend(pick(reach).iter().filter(|r| seen.insert(r)));
        }
        all
    }

    /// Crate mode: the item `path` names from the unit's file, when it is `wanted`, with its
    /// file's text and summary.
    fn resolve(
        &self,
        path: &str,
        wanted: Wanted,
    ) -> Option<(Target, Arc<SourceFile>, &ItemSummary)> {
        let (items, from) = self.file.crate_items?;
        let target = items.resolve(from, path, wanted)?;
        let kinds: &[Kind] = match wanted {
            Wanted::Type => &[Kind::Struct, Kind::Enum, Kind::Type],
            Wanted::Callable => &[Kind::Fn, Kind::Method],
        };
        let found = items.files[target.file].items.iter().find(|i| {
            *i.name == *target.name
                && i.self_ty.as_deref() == target.self_ty.as_deref()
                && kinds.contains(&i.kind)
        })?;
        let text = items.text(target.file)?;
        Some((target, text, found))
    }

    /// Quotes the definitions of the types the unit takes, returns or holds.
    fn quote_types(&self, quoted: &mut Quoted) -> QuotedTypes {
        let inventory = self.file.inventory;
        let mut types = QuotedTypes::default();
        for r in self.reached(|r| &r.types) {
            match r {
                Reached::Local { entry, .. } if !self.own.contains(entry) => {
                    let e = &inventory.entries[*entry];
                    quoted.push(
                        Quoting::Here(self.file.source),
                        "type",
                        &e.name,
                        &e.outline.head,
                    );
                    types.here.push(*entry);
                }
                Reached::Local { .. } => {}
                Reached::Foreign(path) => {
                    let Some((target, text, found)) = self.resolve(path, Wanted::Type) else {
                        continue;
                    };
                    quoted.push(Quoting::There(text.clone()), "type", path, &found.head);
                    types.there.push((text, target.file, target.name));
                }
            }
        }
        types
    }

    /// Quotes the signatures of the functions and methods the unit calls.
    fn quote_callees(&self, quoted: &mut Quoted) {
        let here = Quoting::Here(self.file.source);
        for r in self.reached(|r| &r.callees) {
            match r {
                Reached::Local { entry, member } if !self.own.contains(entry) => {
                    let e = &self.file.inventory.entries[*entry];
                    let Some(member) = member else {
                        quoted.push(here.clone(), "callee", &e.name, &e.outline.head);
                        continue;
                    };
                    let ty = e.self_ty.as_deref().unwrap_or("Self");
                    if let Some((_, range)) = e.outline.members.iter().find(|(n, _)| n == member) {
                        quoted.push(here.clone(), "callee", &format!("{ty}::{member}"), range);
                    }
                }
                Reached::Local { .. } => {}
                Reached::Foreign(path) => {
                    if let Some((_, text, found)) = self.resolve(path, Wanted::Callable) {
                        quoted.push(Quoting::There(text), "callee", path, &found.head);
                    }
                }
            }
        }
    }

    /// Quotes the impl blocks of the types the unit defines, takes or returns: in its file,
    /// then (crate mode) in the file of each type from another module. Impls are found by the
    /// type's name, so only in the file that defines the type: elsewhere a `Model` may be
    /// another module's.
    fn quote_impls(&self, types: &QuotedTypes, quoted: &mut Quoted) {
        let inventory = self.file.inventory;
        let defined = self.entries.iter().filter(|&&e| {
            matches!(
                inventory.entries[e].kind,
                Kind::Struct | Kind::Enum | Kind::Type
            )
        });
        let mut impls: Vec<usize> = Vec::new();
        let mut taken: BTreeSet<usize> = self.own.clone();
        for &t in defined.chain(&types.here) {
            let name = &inventory.entries[t].name;
            for imp in inventory
                .impls_of(name)
                .iter()
                .copied()
                .chain(inventory.trait_arg_impls_of(name))
            {
                if taken.insert(imp) {
                    impls.push(imp);
                }
            }
        }
        for imp in impls {
            let e = &inventory.entries[imp];
            quoted.push_impl(Quoting::Here(self.file.source), &e.name, &e.outline);
        }
        let Some((items, _)) = self.file.crate_items else {
            return;
        };
        for (text, at, name) in &types.there {
            let of_type =
                |i: &&ImplSummary| i.self_ty == *name || i.trait_args.iter().any(|a| a == name);
            for imp in items.files[*at].impls.iter().filter(of_type) {
                quoted.push_impl(Quoting::There(text.clone()), &imp.label, &imp.outline);
            }
        }
    }
}

/// The file a context item is quoted from: the unit's, or another of the crate.
#[derive(Clone)]
enum Quoting<'a> {
    Here(&'a SourceFile),
    There(Arc<SourceFile>),
}

impl Quoting<'_> {
    fn source(&self) -> &SourceFile {
        match self {
            Quoting::Here(source) => source,
            Quoting::There(source) => source,
        }
    }

    fn is_here(&self) -> bool {
        matches!(self, Quoting::Here(_))
    }
}

/// The context being gathered: the items so far, and what not to quote again.
struct Quoted<'r> {
    /// The unit's own items in its file: nothing inside them is quoted.
    own_ranges: &'r [Range<usize>],
    /// (file, first byte) of every item quoted.
    seen: BTreeSet<(PathBuf, usize)>,
    items: Vec<ContextItem>,
}

impl Quoted<'_> {
    /// Whether `range` of `from` is the unit's own code.
    fn is_own(&self, from: &Quoting, range: &Range<usize>) -> bool {
        from.is_here()
            && self
                .own_ranges
                .iter()
                .any(|own| own.start <= range.start && range.end <= own.end)
    }

    /// Quotes `range` of `from`, unless it is empty, the unit's own, or quoted already.
    fn push(&mut self, from: Quoting, kind: &'static str, name: &str, range: &Range<usize>) {
        let source = from.source();
        if range.is_empty() || self.is_own(&from, range) {
            return;
        }
        let Some(text) = quote(source, range) else {
            return;
        };
        if self.seen.insert((source.path.clone(), range.start)) {
            self.items.push(ContextItem {
                kind,
                name: name.to_owned(),
                path: source.path.clone(),
                line: source.line_of(range.start),
                text,
            });
        }
    }

    /// Quotes an impl block as its header and its members' signatures, those of the unit's
    /// own methods and those quoted already left out (and the block with them, when none is
    /// left).
    fn push_impl(&mut self, from: Quoting, label: &str, outline: &Outline) {
        let source = from.source();
        let head = &outline.head;
        if head.is_empty() || self.seen.contains(&(source.path.clone(), head.start)) {
            return;
        }
        let Some(mut text) = quote(source, head) else {
            return;
        };
        // A member quoted already (as a callee) is not quoted again.
        let members: Vec<&Range<usize>> = outline
            .members
            .iter()
            .map(|(_, range)| range)
            .filter(|range| {
                !self.is_own(&from, range)
                    && !self.seen.contains(&(source.path.clone(), range.start))
            })
            .collect();
        if members.is_empty() && !outline.members.is_empty() {
            return;
        }
        if members.is_empty() {
            text.push_str(" {}");
        } else {
            text.push_str(" {");
            for range in members {
                let Some(member) = text_at(source, range, "    ") else {
                    return;
                };
                text.push('\n');
                text.push_str(&member);
                if !member.ends_with(';') {
                    text.push(';');
                }
            }
            text.push_str("\n}");
        }
        self.seen.insert((source.path.clone(), head.start));
        self.items.push(ContextItem {
            kind: "impl",
            name: label.to_owned(),
            path: source.path.clone(),
            line: source.line_of(head.start),
            text,
        });
    }
}

/// The text of `range` in `source`, its lines moved left by the column it starts at.
fn quote(source: &SourceFile, range: &Range<usize>) -> Option<String> {
    text_at(source, range, "")
}

/// The text of `range` in `source` (None when the range does not fall on the text's
/// characters: a file changed since it was summarized), each line moved left by the column
/// the range starts at (as far as it is indented) and put after `indent`.
fn text_at(source: &SourceFile, range: &Range<usize>, indent: &str) -> Option<String> {
    let text = source.text.get(range.clone())?;
    let line_start = source.text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let column = range.start - line_start;
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if i == 0 {
            line
        } else {
            out.push('\n');
            let indented = line.len() - line.trim_start_matches([' ', '\t']).len();
            &line[indented.min(column)..]
        };
        if !line.is_empty() {
            out.push_str(indent);
        }
        out.push_str(line);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse::ItemKey;
    use crate::extract::source::Located;
    use crate::extract::{select, tree};

    /// A handler that takes one local type and returns another, calls a helper of its file, a
    /// method of one of those types and a function imported from another module.
    const HANDLERS: &str = r#"use crate::db::{insert_row, Row};

/// What a caller sends.
#[derive(Deserialize)]
pub struct MessageIn {
    pub name: String,
}

pub struct MessageOut {
    pub id: u64,
}

impl MessageOut {
    pub fn from_row(
        row: Row,
        with_name: bool,
    ) -> Self {
        MessageOut { id: row.id }
    }

    fn unused(&self) {}
}

impl From<MessageIn> for Model {
    fn from(m: MessageIn) -> Self {
        Model
    }
}

impl Eq for MessageOut {}

/// Creates a message.
pub async fn create(Json(data): Json<MessageIn>) -> Result<MessageOut, Error> {
    check(&data)?;
    let row = insert_row(&data.name).await?;
    Ok(MessageOut::from_row(row, true))
}

#[tracing::instrument]
pub(crate) fn check(data: &MessageIn) -> Result<(), Error>
where
    Error: Send,
{
    Ok(())
}
"#;

    /// The module `db` that `HANDLERS` imports from.
    const DB: &str = r#"/// A stored row.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: u64,
}

impl Row {
    pub fn new(id: u64) -> Self {
        Row { id }
    }
}

impl From<u64> for Row {
    fn from(id: u64) -> Self {
        Row::new(id)
    }
}

/// Inserts a row.
pub async fn insert_row(
    name: &str,
) -> Result<Row, Error> {
    todo!()
}
"#;

    /// The context of the unit made of the items named `unit` in `source`, one block per
    /// item: its kind, name and place (paths below `root`), then its text.
    fn context_of(
        source: &SourceFile,
        unit: &[&str],
        crate_items: Option<(&CrateItems, usize)>,
        root: &Path,
    ) -> String {
        let parsed = source.parse().unwrap();
        let at = Located::whole(source);
        let inventory = Inventory::from_items(
            ItemKey::of_piece(&parsed, 0)
                .map(|(key, item, node)| select::read_item(at, key, item, node, false, true)),
        );
        let reach: BTreeMap<usize, Reach> = (0..inventory.entries.len())
            .map(|e| (e, super::reach(&inventory, e)))
            .collect();
        let entries: Vec<usize> = unit
            .iter()
            .map(|name| {
                inventory
                    .entries
                    .iter()
                    .position(|e| e.name == *name)
                    .unwrap()
            })
            .collect();
        let file = FileContext {
            source,
            inventory: &inventory,
            reach: &reach,
            crate_items,
        };
        unit_context(&file, &entries)
            .iter()
            .map(|item| {
                let path = item.path.strip_prefix(root).unwrap_or(&item.path);
                let place = format!("{}:{}", path.display(), item.line);
                format!("{} {} ({place})\n{}", item.kind, item.name, item.text)
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    fn single_file(unit: &[&str]) -> String {
        let source = SourceFile::from_text(Path::new("handlers.rs"), HANDLERS.to_owned());
        context_of(&source, unit, None, Path::new(""))
    }

    /// A handler's context: the types it takes and returns, whole; the signatures of the
    /// helper and the method it calls (no attribute, no body); the impls of its types, each
    /// a header with its members' signatures (an inherent impl, a `From` impl naming the type
    /// it takes, a marker impl), a member quoted already as a callee left out.
    #[test]
    fn a_handler_reaches_its_types_callees_and_their_impls() {
        insta::assert_snapshot!(single_file(&["create"]), @r"
        type MessageIn (handlers.rs:3)
        /// What a caller sends.
        #[derive(Deserialize)]
        pub struct MessageIn {
            pub name: String,
        }

        type MessageOut (handlers.rs:9)
        pub struct MessageOut {
            pub id: u64,
        }

        callee check (handlers.rs:40)
        pub(crate) fn check(data: &MessageIn) -> Result<(), Error>
        where
            Error: Send,

        callee MessageOut::from_row (handlers.rs:14)
        pub fn from_row(
            row: Row,
            with_name: bool,
        ) -> Self

        impl impl From<MessageIn> for Model (handlers.rs:24)
        impl From<MessageIn> for Model {
            fn from(m: MessageIn) -> Self;
        }

        impl impl MessageOut (handlers.rs:13)
        impl MessageOut {
            fn unused(&self);
        }

        impl impl Eq for MessageOut (handlers.rs:30)
        impl Eq for MessageOut {}
        ");
    }

    /// Nothing the unit's code holds is quoted again: a chain's helper is no callee of it, a
    /// type's impls joined to its unit are not its context, and an impl's own methods are not
    /// quoted as what it reaches.
    #[test]
    fn the_context_leaves_out_the_units_own_items() {
        insta::assert_snapshot!(single_file(&["create", "check"]), @r"
        type MessageIn (handlers.rs:3)
        /// What a caller sends.
        #[derive(Deserialize)]
        pub struct MessageIn {
            pub name: String,
        }

        type MessageOut (handlers.rs:9)
        pub struct MessageOut {
            pub id: u64,
        }

        callee MessageOut::from_row (handlers.rs:14)
        pub fn from_row(
            row: Row,
            with_name: bool,
        ) -> Self

        impl impl From<MessageIn> for Model (handlers.rs:24)
        impl From<MessageIn> for Model {
            fn from(m: MessageIn) -> Self;
        }

        impl impl MessageOut (handlers.rs:13)
        impl MessageOut {
            fn unused(&self);
        }

        impl impl Eq for MessageOut (handlers.rs:30)
        impl Eq for MessageOut {}
        ");
        insta::assert_snapshot!(
            single_file(&["MessageOut", "impl MessageOut", "impl Eq for MessageOut"]),
            @""
        );
        insta::assert_snapshot!(single_file(&["impl MessageOut"]), @r"
        type MessageOut (handlers.rs:9)
        pub struct MessageOut {
            pub id: u64,
        }

        impl impl Eq for MessageOut (handlers.rs:30)
        impl Eq for MessageOut {}
        ");
    }

    /// Crate mode: what a unit reaches in another module is quoted from that module's file (a
    /// function's signature; a type's definition and its impls), beside what it reaches in its
    /// own file.
    #[test]
    fn a_handler_reaches_a_function_and_a_type_of_another_file() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let interner = tree::Interner::default();
        let mut files = Vec::new();
        for (name, text) in [("handlers.rs", HANDLERS), ("db.rs", DB)] {
            let path = src.join(name);
            std::fs::write(&path, text).unwrap();
            let module = tree::module_path(&src, &path).unwrap();
            files.push(tree::summarize(&path, module, false, &[], &[], &interner, true).unwrap());
        }
        let items = CrateItems::new(files);
        let source = SourceFile::read(&src.join("handlers.rs")).unwrap();
        let from = items.file_index(&source.path).unwrap();
        let context = context_of(&source, &["create"], Some((&items, from)), dir.path());
        insta::assert_snapshot!(context, @r"
        type MessageIn (src/handlers.rs:3)
        /// What a caller sends.
        #[derive(Deserialize)]
        pub struct MessageIn {
            pub name: String,
        }

        type MessageOut (src/handlers.rs:9)
        pub struct MessageOut {
            pub id: u64,
        }

        callee check (src/handlers.rs:40)
        pub(crate) fn check(data: &MessageIn) -> Result<(), Error>
        where
            Error: Send,

        callee insert_row (src/db.rs:20)
        pub async fn insert_row(
            name: &str,
        ) -> Result<Row, Error>

        callee MessageOut::from_row (src/handlers.rs:14)
        pub fn from_row(
            row: Row,
            with_name: bool,
        ) -> Self

        impl impl From<MessageIn> for Model (src/handlers.rs:24)
        impl From<MessageIn> for Model {
            fn from(m: MessageIn) -> Self;
        }

        impl impl MessageOut (src/handlers.rs:13)
        impl MessageOut {
            fn unused(&self);
        }

        impl impl Eq for MessageOut (src/handlers.rs:30)
        impl Eq for MessageOut {}
        ");
        // A method that takes a type of the other module: the type and its impls, from there.
        let context = context_of(
            &source,
            &["impl MessageOut"],
            Some((&items, from)),
            dir.path(),
        );
        insta::assert_snapshot!(context, @r"
        type MessageOut (src/handlers.rs:9)
        pub struct MessageOut {
            pub id: u64,
        }

        type Row (src/db.rs:1)
        /// A stored row.
        #[derive(Debug, Clone)]
        pub struct Row {
            pub id: u64,
        }

        impl impl Eq for MessageOut (src/handlers.rs:30)
        impl Eq for MessageOut {}

        impl impl Row (src/db.rs:7)
        impl Row {
            pub fn new(id: u64) -> Self;
        }

        impl impl From<u64> for Row (src/db.rs:13)
        impl From<u64> for Row {
            fn from(id: u64) -> Self;
        }
        ");
    }
}
