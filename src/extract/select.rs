//! Which items of a file are taken, and why: the handlers the file's router registers for the
//! profile's root routes, and the closure of same-file items they reach. Returns plain data;
//! never prints.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::ops::Range;

use syn::visit::{self, Visit};
use syn::{Expr, Item};

use crate::extract::parse::{method_as_fn, type_name};
use crate::extract::source::{Located, Outline, SourceFile};

/// The kind of a top-level item, as `--list` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Fn,
    Struct,
    Enum,
    Impl,
    Const,
    Static,
    Type,
    Trait,
    Use,
    /// A method of an impl block, taken on its own (directory mode's cross-file picks).
    Method,
    Other,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Fn => "fn",
            Kind::Struct => "struct",
            Kind::Enum => "enum",
            Kind::Impl => "impl",
            Kind::Const => "const",
            Kind::Static => "static",
            Kind::Type => "type",
            Kind::Trait => "trait",
            Kind::Use => "use",
            Kind::Method => "method",
            Kind::Other => "item",
        }
    }
}

/// One top-level item of the file that is not test code (or, in crate mode, a method of an
/// impl block taken on its own): plain data, read off the syntax tree where it was parsed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    /// The item's name; for an impl block, `impl Trait for Type` or `impl Type`.
    pub name: String,
    /// For an impl block, the name of its self type.
    pub self_ty: Option<String>,
    /// Byte range in the source text, docs, attributes and a directly preceding `//` block included.
    pub range: Range<usize>,
    /// The item's own tokens: `range` without the `//` block above it.
    pub node: Range<usize>,
    /// 1-based first and last line.
    pub lines: (usize, usize),
    /// Which top-level item of the file it is; for a method, its impl block.
    pub item: crate::extract::parse::ItemKey,
    /// For a method taken on its own, its place among the impl block's items.
    pub method: Option<usize>,
    /// What selection and units read of its code.
    pub code: Code,
    /// What a brief's context quotes of it, when the run asked for outlines (else empty).
    pub outline: Outline,
}

/// What selection and units read of an item's code, worked out as it was parsed.
#[derive(Debug, Clone, Default)]
pub struct Code {
    /// Every path and method call it names, each once, in the order first named.
    pub(crate) references: Vec<Reference>,
    /// For a function, the routes its body registers (companions not yet resolved).
    routes: Vec<Route>,
    /// For an impl block, the names of the functions and constants it defines, in order.
    members: Vec<String>,
    /// For an impl block, whether it implements no trait.
    inherent: bool,
    /// For a trait impl, the type names in the trait's generic arguments (`From<MessageIn>`).
    trait_args: Vec<String>,
    /// For a function, how many statements its body has.
    statements: Option<usize>,
    /// Whether it is an empty trait impl (`impl Eq for T {}`).
    marker: bool,
    /// For a `use` declaration, the names it brings in; a glob names nothing (None).
    use_names: Vec<Option<String>>,
}

impl Code {
    fn of(item: &Item) -> Code {
        let mut code = Code {
            references: distinct(references(item)),
            ..Code::default()
        };
        match item {
            Item::Fn(f) => {
                let mut finder = RouteFinder::default();
                finder.visit_block(&f.block);
                code.routes = finder.routes;
                code.statements = Some(f.block.stmts.len());
            }
            Item::Impl(imp) => {
                code.inherent = imp.trait_.is_none();
                code.marker = imp.trait_.is_some() && imp.items.is_empty();
                code.trait_args = trait_arg_names(imp);
                code.members = imp
                    .items
                    .iter()
                    .filter_map(|it| match it {
                        syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                        syn::ImplItem::Const(c) => Some(c.ident.to_string()),
                        _ => None,
                    })
                    .collect();
            }
            Item::Use(u) => use_leaves(&u.tree, &mut code.use_names),
            _ => {}
        }
        code
    }
}

/// References without repeats, in the order first seen: a repeat reaches nothing new.
fn distinct(found: Vec<Reference>) -> Vec<Reference> {
    let mut seen = std::collections::HashSet::new();
    found
        .into_iter()
        .filter(|r| seen.insert(r.clone()))
        .collect()
}

fn use_leaves(tree: &syn::UseTree, out: &mut Vec<Option<String>>) {
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, out),
        syn::UseTree::Name(n) => out.push(Some(n.ident.to_string())),
        syn::UseTree::Rename(r) => out.push(Some(r.rename.to_string())),
        syn::UseTree::Glob(_) => out.push(None),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_leaves(t, out)),
    }
}

/// What one top-level item contributes to an [`Inventory`]: its entry (none for test code),
/// its methods as entries of their own when asked for, and where slices may start and end.
#[derive(Debug, Default, Clone)]
pub struct ItemRead {
    entry: Option<Entry>,
    methods: Vec<Entry>,
    boundaries: Vec<Range<usize>>,
    /// The functions an impl block defines, as `Type::name`, whatever else is read.
    impl_fns: Vec<String>,
}

impl ItemRead {
    /// The read without the item's methods as entries of their own, as if it were read
    /// without them.
    pub fn without_methods(&self) -> ItemRead {
        ItemRead {
            entry: self.entry.clone(),
            methods: Vec::new(),
            boundaries: self.boundaries.clone(),
            impl_fns: self.impl_fns.clone(),
        }
    }

    /// Where slices may start and end in the item: the item, and each function of an impl.
    pub fn boundaries(&self) -> &[Range<usize>] {
        &self.boundaries
    }

    /// The item's entry: none for test code.
    pub fn entry(&self) -> Option<&Entry> {
        self.entry.as_ref()
    }

    /// The item's entry, then its methods' when they were read.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entry.iter().chain(&self.methods)
    }

    /// The functions an impl block defines, as `Type::name`.
    pub fn impl_fns(&self) -> &[String] {
        &self.impl_fns
    }

    /// The read of an item of a piece read alone, placed in its file: the piece starts at byte
    /// `start` and on line `first_line` (1-based) of the file, and is its `piece`th piece; its
    /// methods as entries of their own only with `methods`. Outlines are not moved: a piece is
    /// read without them.
    pub fn placed(&self, start: usize, first_line: usize, piece: usize, methods: bool) -> ItemRead {
        let bytes = |r: &Range<usize>| r.start + start..r.end + start;
        let place = |e: &Entry| Entry {
            range: bytes(&e.range),
            node: bytes(&e.node),
            lines: (e.lines.0 + first_line - 1, e.lines.1 + first_line - 1),
            item: crate::extract::parse::ItemKey {
                piece,
                index: e.item.index,
            },
            ..e.clone()
        };
        ItemRead {
            entry: self.entry.as_ref().map(place),
            methods: match methods {
                true => self.methods.iter().map(place).collect(),
                false => Vec::new(),
            },
            boundaries: self.boundaries.iter().map(bytes).collect(),
            impl_fns: self.impl_fns.clone(),
        }
    }
}

/// Reads the `index`th top-level item of a file, `node` being its byte range; with `outlines`,
/// also what a brief's context would quote of it (a brief's context is only asked for by some
/// writers, and only they pay for it).
pub fn read_item(
    at: Located,
    index: crate::extract::parse::ItemKey,
    item: &Item,
    node: Range<usize>,
    with_methods: bool,
    outlines: bool,
) -> ItemRead {
    let source = at.source;
    let mut read = ItemRead::default();
    read.boundaries
        .push(source.with_leading_comments(node.clone()));
    if let Item::Impl(imp) = item {
        let ty = type_name(&imp.self_ty);
        for inner in &imp.items {
            if let syn::ImplItem::Fn(f) = inner {
                read.boundaries
                    .extend(crate::extract::source::method_boundaries(
                        source,
                        at.method_range(f),
                    ));
                if let Some(ty) = &ty {
                    read.impl_fns.push(format!("{ty}::{}", f.sig.ident));
                }
            }
        }
    }
    if is_test_item(item_attrs(item)) {
        return read;
    }
    let (kind, name, self_ty) = match item {
        Item::Fn(f) => (Kind::Fn, f.sig.ident.to_string(), None),
        Item::Struct(s) => (Kind::Struct, s.ident.to_string(), None),
        Item::Enum(e) => (Kind::Enum, e.ident.to_string(), None),
        Item::Impl(i) => {
            let (label, self_ty) = impl_label(i);
            (Kind::Impl, label, self_ty)
        }
        Item::Const(c) => (Kind::Const, c.ident.to_string(), None),
        Item::Static(s) => (Kind::Static, s.ident.to_string(), None),
        Item::Type(t) => (Kind::Type, t.ident.to_string(), None),
        Item::Trait(t) => (Kind::Trait, t.ident.to_string(), None),
        Item::Use(_) => (Kind::Use, "use".to_owned(), None),
        _ => (Kind::Other, String::new(), None),
    };
    let range = source.with_leading_comments(node.clone());
    let outline = if outlines {
        at.outline(item, node.clone())
    } else {
        Outline::default()
    };
    read.entry = Some(Entry {
        kind,
        name,
        self_ty,
        lines: source.line_span(range.clone()),
        range,
        node,
        item: index,
        method: None,
        code: Code::of(item),
        outline,
    });
    if with_methods
        && let Item::Impl(imp) = item
        && let Some(ty) = type_name(&imp.self_ty)
    {
        for (position, inner) in imp.items.iter().enumerate() {
            let syn::ImplItem::Fn(f) = inner else {
                continue;
            };
            let node = at.method_range(f);
            let range = source.method_slice(node.clone());
            let outline = Outline {
                head: if outlines { at.signature(f) } else { 0..0 },
                members: Vec::new(),
            };
            read.methods.push(Entry {
                kind: Kind::Method,
                name: f.sig.ident.to_string(),
                self_ty: Some(ty.clone()),
                lines: source.line_span(range.clone()),
                range,
                node,
                item: index,
                method: Some(position),
                code: Code::of(&method_as_fn(f)),
                outline,
            });
        }
    }
    read
}

/// The file's items, indexed by name. Test modules and test functions are not in it; in crate
/// mode's other files the methods of impl blocks follow the items, as entries of their own.
#[derive(Debug)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    /// Where slices of the file may start and end: every top-level item and every function
    /// inside an impl block, test code included.
    boundaries: Vec<Range<usize>>,
    fns: BTreeMap<String, usize>,
    types: BTreeMap<String, usize>,
    values: BTreeMap<String, usize>,
    /// self type name → its impl blocks
    impls: BTreeMap<String, Vec<usize>>,
    /// type name → impl blocks whose trait names it (`impl From<MessageIn> for Model`)
    trait_arg_impls: BTreeMap<String, Vec<usize>>,
    /// method or associated const name → the first inherent impl of each local type that
    /// defines it, by type name: made on first use, so a call `x.name(..)` is one lookup
    /// rather than a scan of every impl.
    inherent_methods: std::sync::OnceLock<BTreeMap<String, Vec<usize>>>,
    /// Every function the file's impl blocks define, as `Type::name`.
    pub impl_fns: std::collections::BTreeSet<String>,
}
/// A POST (or other) route the file's router registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    /// The path pieces as they stand in the source: a nested router contributes its prefix first.
    pub path_pieces: Vec<String>,
    pub handler: String,
    /// The handler's path as written (`crud::create_endpoint`); one segment for a local name.
    pub handler_path: Vec<String>,
    /// Local items named in the same method-router call, beside the handler.
    pub companions: Vec<String>,
    /// Whether the router registers it through aide (`api_route`, `api_route_with`), which
    /// puts it in the OpenAPI document; `route` is axum's own and leaves it out.
    pub documented: bool,
    /// Whether the registration hides the operation from the published docs
    /// (`op.hidden(true)` in aide's transform, in the same call).
    pub hidden: bool,
    /// The method router as written (`axum::routing::get`, `post_with`, `post`).
    pub method_router: String,
}

impl Route {
    pub fn path(&self) -> String {
        self.path_pieces.concat()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Root {
        method: String,
        path: String,
    },
    RootFlag,
    /// A routed handler in another file whose body calls a selected creation function.
    CallsSelected(String),
    /// Reached from an item of another module, through that module's `use` declarations.
    ReachedFrom {
        by: String,
        module: String,
    },
    CalledBy(String),
    MethodCalledBy(String),
    ParamType(String),
    ReturnType(String),
    FieldType(String),
    UsedBy(String),
    NamedInAttribute(String),
    NamedInRouterBeside(String),
    ImplOf(String),
    SelfTypeOf(String),
}

impl Reason {
    /// The name of the item whose code led here, if another item did.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Reason::Root { .. } | Reason::RootFlag | Reason::CallsSelected(_) => None,
            Reason::ReachedFrom { by, .. } => Some(by),
            Reason::CalledBy(s)
            | Reason::MethodCalledBy(s)
            | Reason::ParamType(s)
            | Reason::ReturnType(s)
            | Reason::FieldType(s)
            | Reason::UsedBy(s)
            | Reason::NamedInAttribute(s)
            | Reason::NamedInRouterBeside(s)
            | Reason::ImplOf(s)
            | Reason::SelfTypeOf(s) => Some(s),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Root { method, path } => write!(f, "root: {} {path}", method.to_uppercase()),
            Reason::RootFlag => write!(f, "root: --root"),
            Reason::CallsSelected(callee) => write!(f, "calls {callee}"),
            Reason::ReachedFrom { by, module } => write!(f, "called by {by} ({module})"),
            Reason::CalledBy(by) => write!(f, "called by {by}"),
            Reason::MethodCalledBy(by) => write!(f, "method called by {by}"),
            Reason::ParamType(by) => write!(f, "type of a parameter of {by}"),
            Reason::ReturnType(by) => write!(f, "return type of {by}"),
            Reason::FieldType(by) => write!(f, "type of a field of {by}"),
            Reason::UsedBy(by) => write!(f, "used by {by}"),
            Reason::NamedInAttribute(by) => write!(f, "named in an attribute of {by}"),
            Reason::NamedInRouterBeside(by) => write!(f, "named in the router beside {by}"),
            Reason::ImplOf(ty) => write!(f, "impl of {ty}"),
            Reason::SelfTypeOf(imp) => write!(f, "self type of {imp}"),
        }
    }
}

/// One selected item: an index into `Inventory::entries` and the first reason it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub entry: usize,
    pub reason: Reason,
}

/// The outcome of selection: roots first found, then everything in source order.
#[derive(Debug)]
pub struct Selection {
    pub routes: Vec<Route>,
    /// Entry indices of the roots, in the order they were found.
    pub roots: Vec<usize>,
    /// Root routes whose handler is defined in another module (`crud::create_endpoint`, or a
    /// bare name a `use` brings in): crate mode follows them there.
    pub foreign_roots: Vec<Route>,
    /// Every selected item, in source order.
    pub items: Vec<Selected>,
    /// Entry indices of the file's `use` declarations, in source order.
    pub uses: Vec<usize>,
}

impl Selection {
    pub fn reason(&self, entry: usize) -> Option<&Reason> {
        // Items are in source order, so by entry; a search that misses falls back to a scan.
        match self.items.binary_search_by_key(&entry, |s| s.entry) {
            Ok(i) => Some(&self.items[i].reason),
            Err(_) => self
                .items
                .iter()
                .find(|s| s.entry == entry)
                .map(|s| &s.reason),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// `--root NAME` names no function in the file.
    UnknownRoot(String),
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::UnknownRoot(name) => write!(f, "--root {name}: no function of that name"),
        }
    }
}

impl std::error::Error for SelectError {}

pub fn is_test_item(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        let last = path.segments.last().map(|s| s.ident.to_string());
        if last.as_deref() == Some("test") {
            return true;
        }
        if path.is_ident("cfg")
            && let syn::Meta::List(list) = &attr.meta
        {
            return list
                .tokens
                .clone()
                .into_iter()
                .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "test"));
        }
        false
    })
}

fn item_attrs(item: &Item) -> &[syn::Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Type names in the generic arguments of an impl's trait: `From<MessageIn>` → `MessageIn`.
pub(crate) fn trait_arg_names(imp: &syn::ItemImpl) -> Vec<String> {
    let Some((path, _)) = &imp.trait_ else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for segment in &path.segments {
        if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
            for arg in &args.args {
                if let syn::GenericArgument::Type(ty) = arg {
                    names.extend(type_name(ty));
                }
            }
        }
    }
    names
}

/// A path as people write it: `message::ActiveModel`, `From<MessageIn>`.
fn path_label(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| {
            let mut text = s.ident.to_string();
            if let syn::PathArguments::AngleBracketed(args) = &s.arguments {
                let args: Vec<String> = args
                    .args
                    .iter()
                    .map(|a| match a {
                        syn::GenericArgument::Type(ty) => type_label(ty),
                        other => other.to_token_stream().to_string(),
                    })
                    .collect();
                text.push_str(&format!("<{}>", args.join(", ")));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("::")
}

/// A type as people write it: paths through `path_label`, tuples and references of them.
fn type_label(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => path_label(&p.path),
        syn::Type::Tuple(t) => format!(
            "({})",
            t.elems
                .iter()
                .map(type_label)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        syn::Type::Reference(r) => format!("&{}", type_label(&r.elem)),
        other => other.to_token_stream().to_string(),
    }
}

pub(crate) fn impl_label(imp: &syn::ItemImpl) -> (String, Option<String>) {
    let self_ty = type_name(&imp.self_ty);
    let ty = match &*imp.self_ty {
        syn::Type::Path(p) => path_label(&p.path),
        _ => self_ty.clone().unwrap_or_else(|| "_".to_owned()),
    };
    let generics = generics_label(&imp.generics);
    let label = match &imp.trait_ {
        Some((path, _)) => format!("impl{generics} {} for {ty}", path_label(path)),
        None => format!("impl{generics} {ty}"),
    };
    (label, self_ty)
}

/// An impl's own parameters as the code writes them when they carry no bounds (`<'de>`,
/// `<T>`), so a label quoted from a text stands in the code; empty when there are none.
fn generics_label(generics: &syn::Generics) -> String {
    if generics.params.is_empty() {
        return String::new();
    }
    let params: Vec<String> = generics
        .params
        .iter()
        .map(|param| match param {
            syn::GenericParam::Lifetime(l) if l.bounds.is_empty() => l.lifetime.to_string(),
            syn::GenericParam::Type(t) if t.bounds.is_empty() && t.default.is_none() => {
                t.ident.to_string()
            }
            other => other.to_token_stream().to_string(),
        })
        .collect();
    format!("<{}>", params.join(", "))
}

impl Inventory {
    /// The inventory of a file parsed whole.
    pub fn new(source: &SourceFile, parsed: &crate::extract::source::Parsed) -> Inventory {
        Inventory::of_parsed(source, parsed, false)
    }

    /// The file's items, and also each method of its impl blocks as an entry of kind `Method`.
    pub fn with_methods(source: &SourceFile, parsed: &crate::extract::source::Parsed) -> Inventory {
        Inventory::of_parsed(source, parsed, true)
    }

    fn of_parsed(
        source: &SourceFile,
        parsed: &crate::extract::source::Parsed,
        with_methods: bool,
    ) -> Inventory {
        Inventory::from_items(Inventory::reads_of(source, parsed, with_methods))
    }

    /// The reads [`Inventory::new`] makes its inventory of, to make it later without the tree.
    pub fn reads(source: &SourceFile, parsed: &crate::extract::source::Parsed) -> Vec<ItemRead> {
        Inventory::reads_of(source, parsed, false)
    }

    fn reads_of(
        source: &SourceFile,
        parsed: &crate::extract::source::Parsed,
        with_methods: bool,
    ) -> Vec<ItemRead> {
        let at = Located::whole(source);
        crate::extract::parse::ItemKey::of_piece(parsed, 0)
            .map(|(key, item, range)| read_item(at, key, item, range, with_methods, false))
            .collect()
    }

    /// The inventory of a file's items, read one at a time in file order.
    pub fn from_items(items: impl IntoIterator<Item = ItemRead>) -> Inventory {
        let mut inv = Inventory {
            entries: Vec::new(),
            boundaries: Vec::new(),
            fns: BTreeMap::new(),
            types: BTreeMap::new(),
            values: BTreeMap::new(),
            impls: BTreeMap::new(),
            trait_arg_impls: BTreeMap::new(),
            inherent_methods: std::sync::OnceLock::new(),
            impl_fns: Default::default(),
        };
        let mut methods = Vec::new();
        for read in items {
            inv.boundaries.extend(read.boundaries);
            inv.impl_fns.extend(read.impl_fns);
            methods.extend(read.methods);
            let Some(entry) = read.entry else { continue };
            let index = inv.entries.len();
            let name = entry.name.clone();
            match entry.kind {
                Kind::Fn => {
                    inv.fns.entry(name).or_insert(index);
                }
                Kind::Struct | Kind::Enum | Kind::Type | Kind::Trait => {
                    inv.types.entry(name).or_insert(index);
                }
                Kind::Const | Kind::Static => {
                    inv.values.entry(name).or_insert(index);
                }
                Kind::Impl => {
                    if let Some(ty) = &entry.self_ty {
                        inv.impls.entry(ty.clone()).or_default().push(index);
                    }
                    for name in &entry.code.trait_args {
                        inv.trait_arg_impls
                            .entry(name.clone())
                            .or_default()
                            .push(index);
                    }
                }
                _ => {}
            }
            inv.entries.push(entry);
        }
        inv.entries.extend(methods);
        inv
    }

    /// Where slices of the file may start and end: every top-level item and every function
    /// inside an impl block, test code included (see [`crate::extract::source::item_ranges_of`]).
    pub fn boundaries(&self) -> &[Range<usize>] {
        &self.boundaries
    }

    /// Forgets what only selection reads (references and routes): held for every item of a
    /// large file, they would otherwise stay until its examples are written.
    pub fn forget_selection_inputs(&mut self) {
        for entry in &mut self.entries {
            entry.code.references = Vec::new();
            entry.code.routes = Vec::new();
        }
    }

    /// For a function entry, how many statements its body has.
    pub fn statement_count(&self, entry: usize) -> Option<usize> {
        self.entries[entry].code.statements
    }

    /// Whether an entry is an empty trait impl (`impl Eq for T {}`).
    pub fn is_marker_impl(&self, entry: usize) -> bool {
        self.entries[entry].code.marker
    }

    /// For a `use` entry, the names it brings in; a glob names nothing (None), so it keeps no
    /// declaration alive.
    pub fn names_brought_in(&self, entry: usize) -> &[Option<String>] {
        &self.entries[entry].code.use_names
    }

    /// Entry indices of the file's `use` declarations, in source order.
    pub fn use_entries(&self) -> Vec<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == Kind::Use)
            .map(|(i, _)| i)
            .collect()
    }

    /// The entry of method `name` of type `ty`, when methods were taken in.
    pub fn method_index(&self, ty: &str, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| {
            e.kind == Kind::Method && e.name == name && e.self_ty.as_deref() == Some(ty)
        })
    }

    pub fn fn_index(&self, name: &str) -> Option<usize> {
        self.fns.get(name).copied()
    }

    pub fn type_index(&self, name: &str) -> Option<usize> {
        self.types.get(name).copied()
    }

    pub fn impls_of(&self, ty: &str) -> &[usize] {
        self.impls.get(ty).map_or(&[], Vec::as_slice)
    }

    /// Impls of foreign types whose trait names `ty` in its generic arguments
    /// (`impl From<MessageIn> for message::ActiveModel`). An impl for a local type is not one:
    /// it comes with its own type when that is selected, and does not pull it in
    /// (`impl From<MessageAttemptOut> for MessageAttemptEndpointOut` is no reason to select
    /// `MessageAttemptEndpointOut` for an operation that never uses it).
    pub fn trait_arg_impls_of(&self, ty: &str) -> impl Iterator<Item = usize> + '_ {
        self.trait_arg_impls
            .get(ty)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|&i| {
                self.entries[i]
                    .self_ty
                    .as_deref()
                    .is_none_or(|own| self.type_index(own).is_none())
            })
    }

    /// The impl block of local type `ty` that defines associated item `name`.
    pub(crate) fn impl_defining(&self, ty: &str, name: &str, inherent_only: bool) -> Option<usize> {
        self.impls_of(ty).iter().copied().find(|&i| {
            let code = &self.entries[i].code;
            (!inherent_only || code.inherent) && code.members.iter().any(|m| m == name)
        })
    }

    /// Inherent impls of local types that define a method called `name`, for `x.name(..)`:
    /// for each type (in name order) the first of its inherent impls that does.
    pub(crate) fn inherent_impls_with_method(&self, name: &str) -> Vec<usize> {
        let index = self.inherent_methods.get_or_init(|| {
            let mut index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for impls in self.impls.values() {
                let mut seen: Vec<&str> = Vec::new();
                for &i in impls {
                    let code = &self.entries[i].code;
                    if !code.inherent {
                        continue;
                    }
                    for defined in &code.members {
                        if !seen.contains(&defined.as_str()) {
                            index.entry(defined.clone()).or_default().push(i);
                            seen.push(defined);
                        }
                    }
                }
            }
            index
        });
        index.get(name).cloned().unwrap_or_default()
    }
}

/// Adds every identifier an item's code names to `out`.
pub fn identifiers(item: &Item, out: &mut BTreeSet<String>) {
    fn walk(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    walk(item.to_token_stream(), out);
}

/// Where a reference was seen, which decides the reason given for what it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Context {
    Param,
    Return,
    Field,
    Body,
    Attribute,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Reference {
    /// A path (its segments joined by `::`: one allocation, since every item of a file keeps
    /// its references until selection is done), in the given context; `call` when it is the
    /// callee of a call expression.
    Path {
        path: Box<str>,
        context: Context,
        call: bool,
    },
    Method(Box<str>),
}

/// A path's segments joined by `::`.
fn joined(segments: impl Iterator<Item = String>) -> Box<str> {
    let mut path = String::new();
    for (i, segment) in segments.enumerate() {
        if i > 0 {
            path.push_str("::");
        }
        path.push_str(&segment);
    }
    path.into_boxed_str()
}

#[derive(Default)]
struct ReferenceCollector {
    context: Option<Context>,
    found: Vec<Reference>,
}

impl ReferenceCollector {
    fn context(&self) -> Context {
        self.context.unwrap_or(Context::Body)
    }

    fn push_path(&mut self, path: &syn::Path, call: bool) {
        self.found.push(Reference::Path {
            path: joined(path.segments.iter().map(|s| s.ident.to_string())),
            context: self.context(),
            call,
        });
    }

    /// Attribute arguments name functions in strings (`custom = "f"`, `default = "f"`) or bare
    /// (`custom(function = f)`); both are taken, in token order.
    fn scan_attribute_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Group(g) => self.scan_attribute_tokens(g.stream()),
                proc_macro2::TokenTree::Ident(i) => self.found.push(Reference::Path {
                    path: i.to_string().into_boxed_str(),
                    context: Context::Attribute,
                    call: false,
                }),
                proc_macro2::TokenTree::Literal(lit) => {
                    if let Ok(syn::Lit::Str(s)) = syn::parse2::<syn::Lit>(lit.into_token_stream())
                        && let Ok(path) = syn::parse_str::<syn::Path>(&s.value())
                    {
                        self.found.push(Reference::Path {
                            path: joined(path.segments.iter().map(|s| s.ident.to_string())),
                            context: Context::Attribute,
                            call: false,
                        });
                    }
                }
                proc_macro2::TokenTree::Punct(_) => {}
            }
        }
    }
}

use quote::ToTokens;

impl<'ast> Visit<'ast> for ReferenceCollector {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        let path = attr.path();
        if path.is_ident("doc") || path.is_ident("derive") {
            return;
        }
        if let syn::Meta::List(list) = &attr.meta {
            self.scan_attribute_tokens(list.tokens.clone());
        } else if let syn::Meta::NameValue(nv) = &attr.meta {
            self.scan_attribute_tokens(nv.value.to_token_stream());
        }
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*call.func {
            self.push_path(&p.path, true);
            for arg in &call.args {
                self.visit_expr(arg);
            }
        } else {
            visit::visit_expr_call(self, call);
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.found
            .push(Reference::Method(call.method.to_string().into_boxed_str()));
        visit::visit_expr_method_call(self, call);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.push_path(path, false);
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        // Macro bodies are opaque to syn: read them as comma-separated expressions where they
        // are, else take their identifiers as plain names.
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        match syn::parse::Parser::parse2(parser, mac.tokens.clone()) {
            Ok(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            Err(_) => scan_macro_idents(self, mac.tokens.clone()),
        }
    }

    fn visit_signature(&mut self, sig: &'ast syn::Signature) {
        let outer = self.context;
        self.context = Some(Context::Param);
        for input in &sig.inputs {
            self.visit_fn_arg(input);
        }
        self.context = Some(Context::Return);
        self.visit_return_type(&sig.output);
        self.context = outer;
        self.visit_generics(&sig.generics);
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        for attr in &field.attrs {
            self.visit_attribute(attr);
        }
        let outer = self.context;
        self.context = Some(Context::Field);
        self.visit_type(&field.ty);
        self.context = outer;
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let outer = self.context;
        self.context = Some(Context::Body);
        visit::visit_block(self, block);
        self.context = outer;
    }
}

fn scan_macro_idents(collector: &mut ReferenceCollector, tokens: proc_macro2::TokenStream) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Group(g) => scan_macro_idents(collector, g.stream()),
            proc_macro2::TokenTree::Ident(i) => collector.found.push(Reference::Path {
                path: i.to_string().into_boxed_str(),
                context: Context::Body,
                call: false,
            }),
            _ => {}
        }
    }
}

pub(crate) fn references(item: &Item) -> Vec<Reference> {
    let mut collector = ReferenceCollector::default();
    collector.visit_item(item);
    collector.found
}

/// The paths an impl method names (directory mode resolves them across files); method calls
/// and repeats are left out, since only paths can be resolved without types.
pub(crate) fn method_path_references(f: &syn::ImplItemFn) -> Vec<Reference> {
    let mut collector = ReferenceCollector::default();
    collector.visit_impl_item_fn(f);
    distinct_paths(collector.found)
}

/// The distinct path references of an entry's code, for directory mode's summaries.
pub(crate) fn paths_named(entry: &Entry) -> Vec<Reference> {
    entry
        .code
        .references
        .iter()
        .filter(|r| matches!(r, Reference::Path { .. }))
        .cloned()
        .collect()
}

/// The distinct path references of an item, for directory mode's summaries.
pub(crate) fn path_references(item: &Item) -> Vec<Reference> {
    distinct_paths(references(item))
}

fn distinct_paths(found: Vec<Reference>) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    for reference in found {
        if matches!(reference, Reference::Path { .. }) && !out.contains(&reference) {
            out.push(reference);
        }
    }
    out
}

/// The routes registered by the functions of a parsed file, test code left out, without
/// resolving companions (directory mode's summaries need only method and handler).
pub fn find_routes_in(file: &syn::File) -> Vec<Route> {
    let mut finder = RouteFinder::default();
    for item in &file.items {
        if let Item::Fn(f) = item
            && !is_test_item(&f.attrs)
        {
            finder.visit_block(&f.block);
        }
    }
    finder.routes
}

/// What a function's body registers and composes, in the order its router is built (a
/// receiver before the calls on it, statements in order), with the prefixes of `nest` calls
/// around each. `at` is where the body stands (for lines). Unlike selection, it keeps a
/// handler written in place (a closure), the operation beside each handler, how each route
/// is registered, the routers composed with `merge`, `nest`, `nest_api_service` and
/// `nest_service` (through `let` bindings in the body too), and the `#[cfg(…)]` conditions
/// of the statements around each.
pub fn router_steps(at: Located, block: &syn::Block) -> Vec<RouterStep> {
    let mut finder = RouteFinder {
        detail: Some(Detail {
            at,
            steps: Vec::new(),
            bindings: BTreeMap::new(),
            cfg: Vec::new(),
        }),
        ..RouteFinder::default()
    };
    finder.visit_block(block);
    finder
        .detail
        .map(|detail| detail.steps.into_iter().flatten().collect())
        .unwrap_or_default()
}

/// Finds the routes a file's router functions register, with nested prefixes applied.
pub fn find_routes(inventory: &Inventory) -> Vec<Route> {
    let mut routes: Vec<Route> = inventory
        .entries
        .iter()
        .flat_map(|e| e.code.routes.iter().cloned())
        .collect();
    let local = |name: &String| {
        inventory.fns.contains_key(name)
            || inventory.values.contains_key(name)
            || inventory.types.contains_key(name)
    };
    for route in &mut routes {
        route.companions.retain(local);
    }
    routes
}

#[derive(Default)]
struct RouteFinder<'a> {
    prefix: Vec<String>,
    routes: Vec<Route>,
    /// Set by [`router_steps`], which reads a router in detail (the route table); selection
    /// reads only `routes`, and leaves it None.
    detail: Option<Detail<'a>>,
}

pub(crate) fn str_lit(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        Expr::Reference(r) => str_lit(&r.expr),
        Expr::Group(g) => str_lit(&g.expr),
        _ => None,
    }
}

pub(crate) const HTTP_METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace",
];

fn http_method(name: &str) -> Option<&'static str> {
    let base = name.strip_suffix("_with").unwrap_or(name);
    HTTP_METHODS.iter().copied().find(|m| *m == base)
}

pub(crate) fn path_segments(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Path(p) => Some(
            p.path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect(),
        ),
        Expr::Reference(r) => path_segments(&r.expr),
        _ => None,
    }
}

fn last_ident(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Reference(r) => last_ident(&r.expr),
        _ => None,
    }
}

fn idents_in(expr: &Expr) -> Vec<String> {
    let mut collector = ReferenceCollector::default();
    collector.visit_expr(expr);
    collector
        .found
        .into_iter()
        .filter_map(|r| match r {
            Reference::Path { path, .. } if !path.contains("::") => Some(path.into_string()),
            _ => None,
        })
        .collect()
}

/// A method router's registration: HTTP method, handler path, other arguments' local names,
/// the method router's path as written.
type Registration = (String, Vec<String>, Vec<String>, String);

/// One method a method router registers: `post_with(h, op)` is `post`, `h` and `[op]`.
struct MethodRoute<'e> {
    method: &'static str,
    handler: &'e Expr,
    /// The arguments after the handler.
    rest: Vec<&'e Expr>,
    /// The method router as written: `axum::routing::post`, or `post_with` chained.
    written: String,
}

/// `post(h)`, `post_with(h, op)`, `x.get(l).post(h)`: each method with its handler and the
/// other arguments, whatever the handler is (a path, a closure).
/// Whether an expression calls aide's `hidden(true)` anywhere inside it (a transform closure
/// `|op| op.tag("Admin").hidden(true)`).
fn hides(expr: &Expr) -> bool {
    struct Hides(bool);
    impl<'ast> Visit<'ast> for Hides {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            if call.method == "hidden"
                && matches!(call.args.first(), Some(Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. })) if b.value)
            {
                self.0 = true;
            }
            visit::visit_expr_method_call(self, call);
        }
    }
    let mut found = Hides(false);
    found.visit_expr(expr);
    found.0
}

fn method_routes<'e>(expr: &'e Expr, out: &mut Vec<MethodRoute<'e>>) {
    let (name, args, written) = match expr {
        Expr::Call(call) => match last_ident(&call.func) {
            Some(name) => (
                name,
                &call.args,
                path_segments(&call.func).unwrap_or_default().join("::"),
            ),
            None => return,
        },
        Expr::MethodCall(call) => {
            method_routes(&call.receiver, out);
            let name = call.method.to_string();
            (name.clone(), &call.args, name)
        }
        Expr::Paren(p) => return method_routes(&p.expr, out),
        Expr::Group(g) => return method_routes(&g.expr, out),
        _ => return,
    };
    if let (Some(method), Some(handler)) = (http_method(&name), args.first()) {
        out.push(MethodRoute {
            method,
            handler,
            rest: args.iter().skip(1).collect(),
            written,
        });
    }
}

/// The registrations of [`method_routes`] whose handler is a path, as selection reads them:
/// the other arguments' local names beside it.
fn method_handlers(found: &[MethodRoute]) -> Vec<Registration> {
    found
        .iter()
        .filter_map(|route| {
            let handler = path_segments(route.handler)?;
            let extra = route.rest.iter().flat_map(|e| idents_in(e)).collect();
            Some((
                route.method.to_owned(),
                handler,
                extra,
                route.written.clone(),
            ))
        })
        .collect()
}

impl<'ast> Visit<'ast> for RouteFinder<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let method = call.method.to_string();
        let args: Vec<&Expr> = call.args.iter().collect();
        let path = args.first().and_then(|e| str_lit(e));
        match (method.as_str(), path) {
            ("nest" | "nest_api_service" | "nest_service", Some(prefix)) if args.len() >= 2 => {
                self.visit_expr(&call.receiver);
                self.prefix.push(prefix);
                if !self.compose(args[1]) {
                    self.visit_expr(args[1]);
                }
                self.prefix.pop();
            }
            ("merge", None) if args.len() == 1 && self.detail.is_some() => {
                self.visit_expr(&call.receiver);
                if !self.compose(args[0]) {
                    self.visit_expr(args[0]);
                }
            }
            (m, Some(path)) if m.starts_with("route") || m.starts_with("api_route") => {
                self.visit_expr(&call.receiver);
                if let Some(router) = args.get(1) {
                    let mut found = Vec::new();
                    method_routes(router, &mut found);
                    let mut pieces = self.prefix.clone();
                    pieces.push(path);
                    if let Some(detail) = &mut self.detail {
                        detail.register(m, args[0], &pieces, &found);
                    }
                    for (method, handler_path, companions, method_router) in method_handlers(&found)
                    {
                        let Some(handler) = handler_path.last().cloned() else {
                            continue;
                        };
                        self.routes.push(Route {
                            method,
                            path_pieces: pieces.clone(),
                            handler,
                            handler_path,
                            companions,
                            documented: m.starts_with("api_route"),
                            hidden: args[1..].iter().any(|a| hides(a)),
                            method_router,
                        });
                    }
                }
            }
            _ => visit::visit_expr_method_call(self, call),
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        let Some(detail) = &mut self.detail else {
            return visit::visit_expr(self, expr);
        };
        let outer = detail.cfg.len();
        detail.cfg.extend(cfg_conditions(expr_attrs(expr)));
        visit::visit_expr(self, expr);
        if let Some(detail) = &mut self.detail {
            detail.cfg.truncate(outer);
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let (Some(detail), Some(name), Some(init)) =
            (&mut self.detail, bound_name(&local.pat), &local.init)
        else {
            return visit::visit_local(self, local);
        };
        let outer = detail.cfg.len();
        detail.cfg.extend(cfg_conditions(&local.attrs));
        let first_step = detail.steps.len();
        visit::visit_local(self, local);
        if let Some(detail) = &mut self.detail {
            detail.bind(name, &init.expr, first_step);
            detail.cfg.truncate(outer);
        }
    }
}

impl RouteFinder<'_> {
    /// In detail, `nest`'s or `merge`'s router argument when it is a router function's result
    /// (`endpoints::health::router()`, also through `.with_state(..)` or `.into()`) or a
    /// variable bound to one or to a router built in place: the composition is recorded (the
    /// steps of a router built in place move here, under the prefix). False otherwise, and
    /// always for selection: the argument is then visited as it stands.
    fn compose(&mut self, arg: &Expr) -> bool {
        let Some(detail) = &mut self.detail else {
            return false;
        };
        let (name, binding) = match router_source(arg) {
            Some(RouterSource::Call(target)) => (None, Binding::Call(target)),
            Some(RouterSource::Name(name)) => match detail.bindings.get(&name) {
                Some(binding) => (Some(name), binding.clone()),
                None => return false,
            },
            None => return false,
        };
        match binding {
            Binding::Call(target) => {
                let step = RouterStep::Compose(Composed {
                    prefix: self.prefix.clone(),
                    target,
                    line: detail.line_of(arg),
                    cfg: detail.cfg.clone(),
                });
                detail.steps.push(Some(step));
            }
            Binding::Steps(indices) => {
                let mut moved = Vec::new();
                for i in indices {
                    if let Some(step) = detail.steps.get_mut(i).and_then(Option::take) {
                        moved.push(detail.steps.len());
                        let step = step.under(&self.prefix, &detail.cfg);
                        detail.steps.push(Some(step));
                    }
                }
                if let Some(name) = name {
                    detail.bindings.insert(name, Binding::Steps(moved));
                }
            }
        }
        true
    }
}

/// How a route is registered: through aide (`api_route`, `api_route_with`), which puts it in
/// the OpenAPI document, or through axum's `route` (on an axum `Router`, or an aide one),
/// which keeps it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Aide,
    Axum,
}

impl Via {
    pub fn label(self) -> &'static str {
        match self {
            Via::Aide => "aide",
            Via::Axum => "axum",
        }
    }
}

/// A route's handler, as its method router names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerRef {
    /// A path, as written: `create_message`, `crud::create_endpoint`.
    Path(Vec<String>),
    /// A closure, or any other expression written in place: `|| async { … }`.
    Inline,
}

/// What a method router passes beside a handler to describe its OpenAPI operation
/// (`post_with(handler, op)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OperationRef {
    /// Nothing: `post(handler)`, and every axum method router.
    #[default]
    None,
    /// A function, by its path as written: `create_message_operation`, `logout_operation`.
    Path(Vec<String>),
    /// A closure (`|op| op.response::<204, ()>().with(health_operation)`), by the calls in it
    /// that can name an operation.
    Closure(OperationCalls),
}

/// The calls in a transform's code that can name an operation: the string of each
/// `.id("…")`, and the path of each function applied with `.with(f)`, outermost call first
/// (so the `.id` applied last comes first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperationCalls {
    pub ids: Vec<String>,
    pub applied: Vec<Vec<String>>,
}

/// The calls that can name an operation in a function's body (see [`OperationCalls`]).
pub fn operation_calls(block: &syn::Block) -> OperationCalls {
    let mut reader = OperationReader::default();
    reader.visit_block(block);
    reader.0
}

#[derive(Default)]
struct OperationReader(OperationCalls);

impl<'ast> Visit<'ast> for OperationReader {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let first = call.args.first();
        match call.method.to_string().as_str() {
            "id" => self.0.ids.extend(first.and_then(str_lit)),
            "with" => self.0.applied.extend(first.and_then(path_segments)),
            _ => {}
        }
        visit::visit_expr_method_call(self, call);
    }
}

/// One method registered on a path, as [`router_steps`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Lowercase, as the method router names it: `post`.
    pub method: &'static str,
    /// The prefixes of the `nest` calls around it in the function, then its own path.
    pub path_pieces: Vec<String>,
    pub handler: HandlerRef,
    /// 1-based line of the handler expression (where a closure stands).
    pub handler_line: usize,
    /// 1-based line of the path literal.
    pub line: usize,
    pub via: Via,
    pub operation: OperationRef,
    /// The `#[cfg(…)]` conditions of the statements around it, as written (`debug_assertions`).
    pub cfg: Vec<String>,
}

/// A router another function returns, composed into this one: `.merge(health::router())`,
/// `.nest("/api/v1", v1_router)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The prefixes of the `nest` calls around it, its own last; none for `merge`.
    pub prefix: Vec<String>,
    /// The path of the function whose router it is, as written: `endpoints::health::router`.
    pub target: Vec<String>,
    /// 1-based line of the router argument.
    pub line: usize,
    pub cfg: Vec<String>,
}

/// One step of building a function's router, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterStep {
    Register(Registered),
    Compose(Composed),
}

impl RouterStep {
    /// The step as it stands when its router is nested under `prefix`, in a statement under
    /// `cfg`.
    fn under(self, prefix: &[String], cfg: &[String]) -> RouterStep {
        let outer = |pieces: Vec<String>| [prefix, &pieces].concat();
        let more = |mut own: Vec<String>| {
            own.extend(
                cfg.iter()
                    .filter(|c| !own.contains(c))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            own
        };
        match self {
            RouterStep::Register(r) => RouterStep::Register(Registered {
                path_pieces: outer(r.path_pieces),
                cfg: more(r.cfg),
                ..r
            }),
            RouterStep::Compose(c) => RouterStep::Compose(Composed {
                prefix: outer(c.prefix),
                cfg: more(c.cfg),
                ..c
            }),
        }
    }
}

/// What [`router_steps`] keeps beside selection's routes.
struct Detail<'a> {
    at: Located<'a>,
    /// The steps so far; a router built in place and bound to a variable moves to where it is
    /// nested, leaving None.
    steps: Vec<Option<RouterStep>>,
    /// What each `let` of the body bound, when it is a router.
    bindings: BTreeMap<String, Binding>,
    /// The `#[cfg(…)]` conditions of the statements being read.
    cfg: Vec<String>,
}

/// What a variable of a router function holds.
#[derive(Debug, Clone)]
enum Binding {
    /// A router function's result: `let api = v1::router(cfg).with_state(state);`.
    Call(Vec<String>),
    /// A router built in place, by the steps it took: `let app = Router::new().merge(…);`.
    Steps(Vec<usize>),
}

impl Detail<'_> {
    fn line_of(&self, node: &impl syn::spanned::Spanned) -> usize {
        self.at.source.line_of(self.at.node_range(node).start)
    }

    /// Records each method `found` in a method router registered by `router_method`
    /// (`api_route_with`, `route`) on `path`.
    fn register(
        &mut self,
        router_method: &str,
        path: &Expr,
        pieces: &[String],
        found: &[MethodRoute],
    ) {
        let via = if router_method.starts_with("api_route") {
            Via::Aide
        } else {
            Via::Axum
        };
        let line = self.line_of(path);
        for route in found {
            let operation = match route.rest.first() {
                Some(Expr::Closure(closure)) => {
                    let mut reader = OperationReader::default();
                    reader.visit_expr(&closure.body);
                    OperationRef::Closure(reader.0)
                }
                Some(other) => path_segments(other).map_or(OperationRef::None, OperationRef::Path),
                None => OperationRef::None,
            };
            let step = RouterStep::Register(Registered {
                method: route.method,
                path_pieces: pieces.to_vec(),
                handler: path_segments(route.handler).map_or(HandlerRef::Inline, HandlerRef::Path),
                handler_line: self.line_of(route.handler),
                line,
                via,
                operation,
                cfg: self.cfg.clone(),
            });
            self.steps.push(Some(step));
        }
    }

    /// Remembers what `let name = init;` bound, the steps from `first_step` on being those its
    /// initializer took: a router function's result, the router of another variable, or a
    /// router built in place (with the steps of the variable it was built on, `app.merge(…)`).
    /// Anything else forgets the name, as shadowing does.
    fn bind(&mut self, name: String, init: &Expr, first_step: usize) {
        let binding = match router_source(init) {
            Some(RouterSource::Call(target)) => Some(Binding::Call(target)),
            Some(RouterSource::Name(other)) => self.bindings.get(&other).cloned(),
            None => {
                let mut steps = match receiver_root(init).and_then(|n| self.bindings.get(&n)) {
                    Some(Binding::Steps(steps)) => steps.clone(),
                    _ => Vec::new(),
                };
                steps.extend(first_step..self.steps.len());
                (!steps.is_empty()).then_some(Binding::Steps(steps))
            }
        };
        match binding {
            Some(binding) => self.bindings.insert(name, binding),
            None => self.bindings.remove(&name),
        };
    }
}

/// Where a router argument comes from, when it is not built in place.
enum RouterSource {
    /// A function's result: `health::router()`, `v1::router(cfg).with_state(state)`.
    Call(Vec<String>),
    /// A variable.
    Name(String),
}

/// Whether a method call registers or composes routes: the calls [`RouteFinder`] reads.
fn builds_router(method: &str) -> bool {
    ["route", "api_route", "nest"]
        .iter()
        .any(|prefix| method.starts_with(prefix))
        || method == "merge"
}

/// Where a router argument comes from, looking through method calls that only wrap it
/// (`.with_state(..)`, `.into()`, `.layer(..)`), parentheses and references.
fn router_source(expr: &Expr) -> Option<RouterSource> {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) if p.qself.is_none() => {
                Some(RouterSource::Call(path_segments(&call.func)?))
            }
            _ => None,
        },
        Expr::MethodCall(call) if !builds_router(&call.method.to_string()) => {
            router_source(&call.receiver)
        }
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(RouterSource::Name(p.path.segments[0].ident.to_string()))
        }
        Expr::Paren(p) => router_source(&p.expr),
        Expr::Group(g) => router_source(&g.expr),
        Expr::Reference(r) => router_source(&r.expr),
        _ => None,
    }
}

/// The variable a chain of method calls starts from: `app` in `app.merge(x).layer(y)`.
fn receiver_root(expr: &Expr) -> Option<String> {
    match expr {
        Expr::MethodCall(call) => receiver_root(&call.receiver),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        Expr::Paren(p) => receiver_root(&p.expr),
        _ => None,
    }
}

/// The name a `let` binds: `x` in `let x = …` and `let x: T = …`.
fn bound_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(i) if i.subpat.is_none() => Some(i.ident.to_string()),
        syn::Pat::Type(t) => bound_name(&t.pat),
        _ => None,
    }
}

/// The conditions of an item's or statement's `#[cfg(…)]` attributes, as written.
pub fn cfg_conditions(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::List(list) => Some(list.tokens.to_string()),
            _ => None,
        })
        .collect()
}

/// The attributes of the expressions a statement can start with: `#[cfg(…)] if …`.
fn expr_attrs(expr: &Expr) -> &[syn::Attribute] {
    match expr {
        Expr::If(e) => &e.attrs,
        Expr::Block(e) => &e.attrs,
        Expr::MethodCall(e) => &e.attrs,
        Expr::Call(e) => &e.attrs,
        Expr::Return(e) => &e.attrs,
        Expr::Match(e) => &e.attrs,
        Expr::Unsafe(e) => &e.attrs,
        Expr::Assign(e) => &e.attrs,
        _ => &[],
    }
}

impl Route {
    /// Whether the handler is named through another module (`crud::create_endpoint`), so that
    /// its definition is not in this file.
    pub fn handler_is_foreign(&self) -> bool {
        self.handler_path.len() > 1
            && !matches!(self.handler_path[0].as_str(), "self" | "Self" | "crate")
    }
}

/// Which routes are roots: a router registration for `method` whose path ends in the literal
/// segment `last_segment` (`/app/{app_id}/msg`, `/app/:app_id/msg/` and a nested `"/msg/"`
/// under `"/app/:app_id"` all end in `msg`; `/app/{app_id}/msg/{msg_id}` does not), or whose
/// path is the pattern `path` (see [`paths_match`]); a rule giving both needs both.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RootRule {
    pub method: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_segment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl RootRule {
    /// Whether a route registered for `method` on `path` (its pieces joined) is a root.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if !method.eq_ignore_ascii_case(&self.method) {
            return false;
        }
        let last_segment = self.last_segment.is_empty()
            || path
                .split('/')
                .rfind(|segment| !segment.is_empty())
                .is_some_and(|last| last == self.last_segment);
        let pattern = self
            .path
            .as_deref()
            .is_none_or(|pattern| paths_match(pattern, path));
        last_segment && pattern
    }

    /// `POST …/msg`, or `POST /app/{app_id}/msg` for a rule with a path, for messages.
    pub fn describe(&self) -> String {
        match &self.path {
            Some(path) => format!("{} {path}", self.method.to_uppercase()),
            None => format!("{} …/{}", self.method.to_uppercase(), self.last_segment),
        }
    }
}

/// A path's segments, a parameter (`{app_id}`, `:app_id`, `{*rest}`) as `None`: empty segments
/// (a trailing or doubled slash) left out.
fn route_segments(path: &str) -> Vec<Option<&str>> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let parameter = segment.starts_with(':')
                || (segment.starts_with('{') && segment.ends_with('}'))
                || segment.starts_with('*');
            (!parameter).then_some(segment)
        })
        .collect()
}

/// Whether a route registered on `path` is the one `pattern` names: the same segments, a
/// parameter matching any parameter (`{app_id}` and `:app_id` alike, whatever the name), a
/// trailing slash ignored; either may leave out the prefixes the other is nested under
/// (`/app/{app_id}/msg` names `/api/v1/app/{app_id}/msg`, and a router's own `/msg` under a
/// `nest` this file does not show is named by `/api/v1/app/{app_id}/msg`).
pub fn paths_match(pattern: &str, path: &str) -> bool {
    let (pattern, path) = (route_segments(pattern), route_segments(path));
    let (short, long) = if pattern.len() <= path.len() {
        (&pattern, &path)
    } else {
        (&path, &pattern)
    };
    // `/` names only itself: an empty pattern is no suffix of every path.
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}

/// Selects a profile's operations: the handlers the file's router registers for one of the
/// profile's root routes (`root_rules`, plus `extra_roots`), and every same-file item they reach.
pub fn select_creation_items(
    inventory: &Inventory,
    root_rules: &[RootRule],
    extra_roots: &[(String, Reason)],
) -> Result<Selection, SelectError> {
    let routes = find_routes(inventory);
    let mut queue: VecDeque<(usize, Reason)> = VecDeque::new();
    let mut roots = Vec::new();
    let mut foreign_roots = Vec::new();
    let is_root = |r: &Route| {
        root_rules
            .iter()
            .any(|rule| rule.matches(&r.method, &r.path()))
    };
    for route in routes.iter().filter(|r| is_root(r)) {
        // A handler named through a module, or by a bare name the file only imports
        // (`use super::utils::api_not_implemented`), is defined elsewhere: crate mode follows it.
        let local = (!route.handler_is_foreign())
            .then(|| inventory.fn_index(&route.handler))
            .flatten();
        let Some(i) = local else {
            foreign_roots.push(route.clone());
            continue;
        };
        queue.push_back((
            i,
            Reason::Root {
                method: route.method.clone(),
                path: route.path(),
            },
        ));
        if !roots.contains(&i) {
            roots.push(i);
        }
        for companion in &route.companions {
            let target = inventory
                .values
                .get(companion)
                .or_else(|| inventory.fns.get(companion))
                .copied();
            if let Some(t) = target {
                queue.push_back((t, Reason::NamedInRouterBeside(route.handler.clone())));
            }
        }
    }
    for (name, reason) in extra_roots {
        let i = inventory
            .fn_index(name)
            .ok_or_else(|| SelectError::UnknownRoot(name.clone()))?;
        queue.push_back((i, reason.clone()));
        if !roots.contains(&i) {
            roots.push(i);
        }
    }
    let other_handlers = other_handlers(inventory, &routes, &roots);
    let reasons = closure(inventory, queue, &other_handlers);
    let uses = inventory.use_entries();
    Ok(Selection {
        routes,
        roots,
        foreign_roots,
        items: reasons
            .into_iter()
            .map(|(entry, reason)| Selected { entry, reason })
            .collect(),
        uses,
    })
}

/// The handlers routed for other operations than the roots: never reached through the closure.
fn other_handlers(inventory: &Inventory, routes: &[Route], roots: &[usize]) -> BTreeSet<usize> {
    routes
        .iter()
        .filter_map(|r| inventory.fn_index(&r.handler))
        .filter(|i| !roots.contains(i))
        .collect()
}

/// For each item of `selection` (in its order), the roots whose own closure holds it, as
/// indices into `selection.roots`: which operations reach it, so that a caller can tell one
/// root's items from another's. A root holds itself, and what the router names beside it.
pub fn roots_reaching(inventory: &Inventory, selection: &Selection) -> Vec<Vec<usize>> {
    let mut reached = vec![Vec::new(); selection.items.len()];
    let other_handlers = other_handlers(inventory, &selection.routes, &selection.roots);
    for (r, &root) in selection.roots.iter().enumerate() {
        let name = &inventory.entries[root].name;
        let mut queue = VecDeque::from([(root, Reason::RootFlag)]);
        for route in selection
            .routes
            .iter()
            .filter(|route| route.handler == *name)
        {
            for companion in &route.companions {
                let target = inventory.values.get(companion);
                if let Some(&t) = target.or_else(|| inventory.fns.get(companion)) {
                    queue.push_back((t, Reason::NamedInRouterBeside(name.clone())));
                }
            }
        }
        for entry in closure(inventory, queue, &other_handlers).into_keys() {
            if let Ok(i) = selection.items.binary_search_by_key(&entry, |s| s.entry) {
                reached[i].push(r);
            }
        }
    }
    reached
}

/// Everything reachable from `queue`'s items within the file, each with the first reason it
/// was reached by, never through another operation's handler.
fn closure(
    inventory: &Inventory,
    mut queue: VecDeque<(usize, Reason)>,
    other_handlers: &BTreeSet<usize>,
) -> BTreeMap<usize, Reason> {
    let mut reasons: BTreeMap<usize, Reason> = BTreeMap::new();
    while let Some((index, reason)) = queue.pop_front() {
        if reasons.contains_key(&index) {
            continue;
        }
        reasons.insert(index, reason);
        let entry = &inventory.entries[index];
        let by = entry.name.clone();
        if let Some(ty) = &entry.self_ty
            && let Some(t) = inventory.type_index(ty)
        {
            queue.push_back((t, Reason::SelfTypeOf(by.clone())));
        }
        if matches!(entry.kind, Kind::Struct | Kind::Enum | Kind::Type) {
            let impls = inventory.impls_of(&entry.name).iter().copied();
            for imp in impls.chain(inventory.trait_arg_impls_of(&entry.name)) {
                queue.push_back((imp, Reason::ImplOf(by.clone())));
            }
        }
        for reference in &entry.code.references {
            for (target, reason) in resolve(inventory, entry, reference) {
                if target != index && !other_handlers.contains(&target) {
                    queue.push_back((target, reason));
                }
            }
        }
    }
    reasons
}

fn resolve(inventory: &Inventory, from: &Entry, reference: &Reference) -> Vec<(usize, Reason)> {
    let by = || from.name.clone();
    match reference {
        Reference::Method(name) => inventory
            .inherent_impls_with_method(name)
            .into_iter()
            .map(|i| (i, Reason::MethodCalledBy(by())))
            .collect(),
        Reference::Path {
            path,
            context,
            call,
        } => {
            let mut out = Vec::new();
            let mut segments = path.split("::");
            let Some(first) = segments.next() else {
                return out;
            };
            let second = segments.next();
            if second.is_none() {
                if let Some(f) = inventory.fn_index(first) {
                    let reason = match context {
                        Context::Attribute => Reason::NamedInAttribute(by()),
                        _ if *call => Reason::CalledBy(by()),
                        _ => Reason::UsedBy(by()),
                    };
                    out.push((f, reason));
                }
                if let Some(v) = inventory.values.get(first) {
                    out.push((*v, Reason::UsedBy(by())));
                }
            }
            let ty_name = if first == "Self" {
                from.self_ty.clone()
            } else {
                Some(first.to_owned())
            };
            if let Some(ty_name) = ty_name {
                if let Some(t) = inventory.type_index(&ty_name) {
                    let reason = match context {
                        Context::Param => Reason::ParamType(by()),
                        Context::Return => Reason::ReturnType(by()),
                        Context::Field => Reason::FieldType(by()),
                        Context::Attribute => Reason::NamedInAttribute(by()),
                        Context::Body => Reason::UsedBy(by()),
                    };
                    out.push((t, reason));
                }
                if let Some(assoc) = second
                    && let Some(imp) = inventory.impl_defining(&ty_name, assoc, false)
                {
                    out.push((imp, Reason::CalledBy(by())));
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use std::path::Path;

    fn listing(text: &str, roots: &[&str]) -> String {
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let inventory = Inventory::new(&source, &file);
        let roots: Vec<(String, Reason)> = roots
            .iter()
            .map(|s| (s.to_string(), Reason::RootFlag))
            .collect();
        let profile = Profile::load(crate::profile::DEFAULT).unwrap();
        let selection = select_creation_items(&inventory, &profile.file.roots, &roots).unwrap();
        selection
            .items
            .iter()
            .map(|s| {
                let e = &inventory.entries[s.entry];
                format!("{} {} :: {}", e.kind.label(), e.name, s.reason)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    const MODERN: &str = r#"
use axum::Json;

fn default_true() -> bool { true }
fn check_payload(p: &Payload) -> Result<(), ValidationError> { Ok(()) }

#[derive(Deserialize, Validate)]
pub struct Payload(pub Box<RawValue>);
impl Payload { fn bytes(&self) -> Vec<u8> { vec![] } }
impl PartialEq for Payload { fn eq(&self, o: &Self) -> bool { true } }

#[derive(Deserialize, Validate)]
pub struct MsgIn {
    #[validate(custom(function = "check_payload"))]
    payload: Payload,
}

#[derive(Deserialize, Validate)]
pub struct Query { #[serde(default = "default_true")] with_content: bool }
#[derive(Deserialize)]
pub struct ListQuery { #[serde(default = "default_true")] with_content: bool }

pub struct MsgOut { id: String }
impl MsgOut { fn build(p: Vec<u8>) -> Self { MsgOut { id: String::new() } } }

/// Publish.
#[aide_annotate(op_id = "v1.message.create")]
async fn publish_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedQuery(Query { with_content }): ValidatedQuery<Query>,
    ValidatedJson(data): ValidatedJson<MsgIn>,
) -> Result<JsonStatus<202, MsgOut>> {
    Ok(JsonStatus(publish_inner(db, data).await?))
}

pub(crate) async fn publish_inner(db: &Db, data: MsgIn) -> Result<MsgOut> {
    let bytes = data.payload.bytes();
    Ok(MsgOut::build(bytes))
}

async fn list_messages(ValidatedQuery(q): ValidatedQuery<ListQuery>) -> Result<Json<MsgOut>> {
    todo!()
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route_with(
        "/app/{app_id}/msg",
        post_with(publish_message, publish_message_operation).get_with(list_messages, list_messages_operation),
        tag,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn t() { super::publish_inner(); }
}
"#;

    /// A history text quotes an impl by its label, and the check finds every quote in the code:
    /// the label of a generic impl keeps its parameters as written.
    #[test]
    fn an_impl_label_is_written_as_the_code_writes_it() {
        let label = |text: &str| super::impl_label(&syn::parse_str(text).unwrap()).0;
        assert_eq!(
            label("impl<'de> Deserialize<'de> for EndpointMessageOut {}"),
            "impl<'de> Deserialize<'de> for EndpointMessageOut"
        );
        assert_eq!(label("impl<T> Wrapper<T> {}"), "impl<T> Wrapper<T>");
        assert_eq!(
            label("impl From<MessageIn> for Row {}"),
            "impl From<MessageIn> for Row"
        );
    }

    #[test]
    fn selection_follows_structure_not_names() {
        insta::assert_snapshot!(listing(MODERN, &[]), @r"
        fn default_true :: named in an attribute of Query
        fn check_payload :: named in an attribute of MsgIn
        struct Payload :: type of a field of MsgIn
        impl impl Payload :: method called by publish_inner
        impl impl PartialEq for Payload :: impl of Payload
        struct MsgIn :: type of a parameter of publish_message
        struct Query :: type of a parameter of publish_message
        struct MsgOut :: return type of publish_message
        impl impl MsgOut :: impl of MsgOut
        fn publish_message :: root: POST /app/{app_id}/msg
        fn publish_inner :: called by publish_message
        ");
    }

    #[test]
    fn nested_router_and_extension_era() {
        let text = r#"
struct MessageIn { x: u8 }
async fn create_message(Extension(ref db): Extension<DatabaseConnection>, ValidatedJson(data): ValidatedJson<MessageIn>) -> Result<(StatusCode, Json<u8>)> { todo!() }
async fn get_message() {}
pub fn router() -> Router {
    Router::new().nest(
        "/app/:app_id",
        Router::new()
            .route("/msg/", get(get_message))
            .route("/msg/", post(create_message)),
    )
}
"#;
        insta::assert_snapshot!(listing(text, &[]), @r"
        struct MessageIn :: type of a parameter of create_message
        fn create_message :: root: POST /app/:app_id/msg/
        ");
    }

    /// `impl From<A> for B` comes with `B` when `B` is selected, and never selects `B` because
    /// `A` is; an impl for a foreign type (`message::ActiveModel`) comes with `A`.
    #[test]
    fn a_conversion_into_a_local_type_does_not_select_that_type() {
        let text = r#"
struct A { x: u8 }
struct B { a: A }
impl From<A> for B { fn from(a: A) -> Self { Self { a } } }
impl From<A> for message::ActiveModel { fn from(a: A) -> Self { todo!() } }
fn a() -> A { todo!() }
"#;
        insta::assert_snapshot!(listing(text, &["a"]), @r"
        struct A :: return type of a
        impl impl From<A> for message::ActiveModel :: impl of A
        fn a :: root: --root
        ");
    }

    #[test]
    fn root_flag_adds_roots_and_rejects_unknown_names() {
        let text = "fn a() { b() }\nfn b() {}\nfn c() {}\n";
        insta::assert_snapshot!(listing(text, &["a"]), @r"
        fn a :: root: --root
        fn b :: called by a
        ");
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let inventory = Inventory::new(&source, &file);
        let profile = Profile::load(crate::profile::DEFAULT).unwrap();
        let err = select_creation_items(
            &inventory,
            &profile.file.roots,
            &[("zzz".to_owned(), Reason::RootFlag)],
        )
        .unwrap_err();
        assert_eq!(err, SelectError::UnknownRoot("zzz".into()));
    }

    /// A bare handler name the file imports (`post_with(api_not_implemented, op)` after `use
    /// super::utils::api_not_implemented`) was dropped: not a root here, and not a foreign
    /// root either, so crate mode never looked for it and said nothing was registered.
    #[test]
    fn an_imported_handler_is_a_foreign_root() {
        let text = r#"
use crate::v1::utils::{api_not_implemented, openapi_tag};
fn logout_operation(op: TransformOperation<'_>) -> TransformOperation<'_> { op }
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route_with("/app/{app_id}/msg", post_with(api_not_implemented, logout_operation), tag)
}
"#;
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let inventory = Inventory::new(&source, &file);
        let profile = Profile::load(crate::profile::DEFAULT).unwrap();
        let selection = select_creation_items(&inventory, &profile.file.roots, &[]).unwrap();
        assert!(selection.roots.is_empty());
        let foreign: Vec<&str> = selection
            .foreign_roots
            .iter()
            .map(|r| r.handler.as_str())
            .collect();
        assert_eq!(foreign, ["api_not_implemented"]);
    }

    #[test]
    fn calls_inside_macros_are_followed() {
        let text =
            "fn a() { ctx!(b(1)); tracing::info!(\"{}\", c()); }\nfn b(x: u8) {}\nfn c() {}\n";
        insta::assert_snapshot!(listing(text, &["a"]), @r"
        fn a :: root: --root
        fn b :: called by a
        fn c :: called by a
        ");
    }

    /// Each selected item is attributed to the roots whose own closure holds it: a helper two
    /// handlers share to both, each handler's own to it alone, and nothing to a handler of
    /// another operation.
    #[test]
    fn each_item_knows_the_roots_that_reach_it() {
        let text = r#"
fn shared() {}
fn only_a() { shared(); }
fn only_b() { shared(); }
async fn create_a() { only_a(); }
async fn create_b() { only_b(); }
async fn list() { shared(); }
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route("/app/{app_id}/msg", post(create_a).get(list))
        .api_route("/v2/app/{app_id}/msg/", post(create_b))
}
"#;
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let inventory = Inventory::new(&source, &file);
        let profile = Profile::load(crate::profile::DEFAULT).unwrap();
        let selection = select_creation_items(&inventory, &profile.file.roots, &[]).unwrap();
        let reached = roots_reaching(&inventory, &selection);
        let name = |entry: usize| inventory.entries[entry].name.as_str();
        let shown: Vec<String> = selection
            .items
            .iter()
            .zip(&reached)
            .map(|(s, roots)| {
                let roots: Vec<&str> = roots.iter().map(|&r| name(selection.roots[r])).collect();
                format!("{} <- {}", name(s.entry), roots.join(" "))
            })
            .collect();
        assert_eq!(
            shown,
            [
                "shared <- create_a create_b",
                "only_a <- create_a",
                "only_b <- create_b",
                "create_a <- create_a",
                "create_b <- create_b",
            ]
        );
    }
}
