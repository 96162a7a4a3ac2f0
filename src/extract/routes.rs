//! The route table: every route a crate's routers register, read the way axum and aide compose
//! them. [`select::router_steps`] reads what each function registers and composes; this module
//! indexes the crate's modules (its files and their inline `mod` blocks, each with its `use`
//! declarations), resolves to functions of the crate the routers each function composes, every
//! handler and every operation, and walks from the root routers (those no other router
//! composes) to each route's full path, in the order the routers register them. Returns plain
//! data; never prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::extract::select::{
    self, HandlerRef, OperationCalls, OperationRef, Registered, RouterStep, Via,
};
use crate::extract::source::{self, Located, SourceFile};
use crate::extract::tree::{self, Interner, UseEntry};

/// How many `pub use` re-exports (or `.with(f)` hops between operation functions) are followed
/// before giving up: a chain longer than this is not written by hand.
const HOPS: usize = 4;

/// A place in the crate: a file, relative to the crate folder, and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One route of the table: a method on a full path, and what serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    /// Upper case: `POST`.
    pub method: String,
    /// The full path, with every prefix it is nested under: `/api/v1/app/{app_id}/msg`.
    pub path: String,
    /// The handler's path in the crate (`crate::v1::endpoints::message::create_message`); as
    /// written when no function of the crate has it; `<closure>` for a closure.
    pub handler: String,
    /// Where the handler is defined (the line of its name; a closure's own line); None when no
    /// function of the crate has it.
    pub defined: Option<Place>,
    /// The OpenAPI operation id: the `.id("…")` the operation beside the handler sets, where
    /// `#[aide_annotate(op_id = "…")]` on the handler generates it for `<handler>_operation`;
    /// with no operation beside the handler, the handler's own `#[aide_annotate]`. None when
    /// nothing names one.
    pub operation_id: Option<String>,
    pub via: Via,
    /// Where the route is registered: the line of its path.
    pub registered: Place,
    /// The `#[cfg(…)]` conditions on the way to it, from the root router on (a module, a
    /// function, a statement): `debug_assertions` for a router merged only in debug builds.
    pub cfg: Vec<String>,
    /// The router functions from the root router to the one that registers it.
    pub routers: Vec<String>,
}

/// Every route of a crate, in the order its routers register them.
#[derive(Debug, Default)]
pub struct RouteTable {
    pub routes: Vec<RouteRow>,
    /// What could not be followed, one sentence each, with where: a handler or a composed
    /// router that no function of the crate is, a router that composes itself.
    pub unresolved: Vec<String>,
    /// How many functions register or compose routes.
    pub routers: usize,
    /// How many files were read.
    pub files: usize,
}

/// The route table of the crate at `root`, from its `.rs` files `files` (as [`tree::walk`]
/// finds them). A file that cannot be read or parsed is an error (`path:line:col` for a syntax
/// error): a table without its routers would be wrong, not short.
pub fn route_table(root: &Path, files: &[PathBuf]) -> anyhow::Result<RouteTable> {
    Ok(read_crate(root, files, |_, _, _| ())?.0)
}

/// The route table, and every file's summary for [`tree::plan_read`] made from the same parse
/// (`outlines` as the plan will ask): a run over every route parses each file once for both.
pub fn route_table_and_summaries(
    root: &Path,
    files: &[PathBuf],
    outlines: bool,
) -> anyhow::Result<(RouteTable, Vec<tree::Unfocused>)> {
    let interner = Interner::default();
    read_crate(root, files, |source, parsed, module| {
        tree::unfocused_summary(source, parsed, module, &interner, outlines)
            .keeping_reads(source, parsed)
    })
}

/// Reads every file of the crate in parallel for the route table, calling `also` on each
/// parsed file (with its module path) too; returns the table and what `also` made, in file
/// order.
fn read_crate<T: Send>(
    root: &Path,
    files: &[PathBuf],
    also: impl Fn(&SourceFile, &source::Parsed, Vec<String>) -> T + Sync,
) -> anyhow::Result<(RouteTable, Vec<T>)> {
    let base = tree::source_base(root);
    let interner = Interner::default();
    let reads: Vec<anyhow::Result<Option<(FileRead, T)>>> = source::pool()?.install(|| {
        files
            .par_iter()
            .map(|path| {
                let Some(module) = tree::module_path(&base, path) else {
                    return Ok(None);
                };
                let read = read_file(path, module, &interner, &also);
                // Each parsed file's text stays in this thread's span table otherwise.
                proc_macro2::extra::invalidate_current_thread_spans();
                let file = path.strip_prefix(root).unwrap_or(path).to_path_buf();
                read.map(|(modules, made)| Some((FileRead { file, modules }, made)))
            })
            .collect()
    });
    let mut read = Vec::new();
    let mut made = Vec::new();
    for one in reads {
        if let Some((file, also)) = one? {
            read.push(file);
            made.push(also);
        }
    }
    Ok((Index::new(read).table(), made))
}

/// One file's modules: the file's own, then each inline `mod` block, depth first.
struct FileRead {
    file: PathBuf,
    modules: Vec<ModuleRead>,
}

/// A module's `use` declarations and functions, test code left out.
struct ModuleRead {
    path: Vec<String>,
    uses: Vec<UseEntry>,
    fns: Vec<FnRead>,
}

/// What the table needs of a function.
struct FnRead {
    name: String,
    /// The line of its name.
    line: usize,
    /// The `#[cfg(…)]` conditions of its inline modules and its own.
    cfg: Vec<String>,
    /// With `#[aide_annotate]`: its `op_id`, or its name when it gives none (as the macro does).
    aide_op_id: Option<String>,
    /// The calls in its body that can name an operation, for an operation function.
    sets: OperationCalls,
    steps: Vec<RouterStep>,
}

fn read_file<T>(
    path: &Path,
    module: Vec<String>,
    interner: &Interner,
    also: impl Fn(&SourceFile, &source::Parsed, Vec<String>) -> T,
) -> anyhow::Result<(Vec<ModuleRead>, T)> {
    let source = SourceFile::read(path)?;
    let parsed = source.parse()?;
    let made = also(&source, &parsed, module.clone());
    Ok((read_parsed(&source, &parsed, module, interner), made))
}

/// A file's modules, `module` being the file's own path in the crate.
#[cfg(test)]
fn read_source(
    source: &SourceFile,
    module: Vec<String>,
    interner: &Interner,
) -> anyhow::Result<Vec<ModuleRead>> {
    Ok(read_parsed(source, &source.parse()?, module, interner))
}

/// [`read_source`] of a file already parsed.
fn read_parsed(
    source: &SourceFile,
    parsed: &source::Parsed,
    module: Vec<String>,
    interner: &Interner,
) -> Vec<ModuleRead> {
    let mut modules = Vec::new();
    let at = Located::whole(source);
    read_module(at, &parsed.file.items, module, &[], interner, &mut modules);
    modules
}

/// Reads a module's items into `out`, then each inline module's, under `cfg`.
fn read_module(
    at: Located,
    items: &[syn::Item],
    path: Vec<String>,
    cfg: &[String],
    interner: &Interner,
    out: &mut Vec<ModuleRead>,
) {
    let mut module = ModuleRead {
        path,
        uses: Vec::new(),
        fns: Vec::new(),
    };
    let mut inline = Vec::new();
    for item in items {
        match item {
            syn::Item::Use(u) => {
                tree::use_entries(&u.tree, &mut Vec::new(), &mut module.uses, interner)
            }
            syn::Item::Fn(f) if !select::is_test_item(&f.attrs) => {
                module.fns.push(read_fn(at, f, cfg))
            }
            syn::Item::Mod(m) if !select::is_test_item(&m.attrs) => {
                if let Some((_, items)) = &m.content {
                    inline.push((m, items));
                }
            }
            _ => {}
        }
    }
    let parent = module.path.clone();
    out.push(module);
    for (m, items) in inline {
        let cfg = [cfg, &select::cfg_conditions(&m.attrs)].concat();
        let path = [parent.as_slice(), &[m.ident.to_string()]].concat();
        read_module(at, items, path, &cfg, interner, out);
    }
}

fn read_fn(at: Located, f: &syn::ItemFn, cfg: &[String]) -> FnRead {
    FnRead {
        name: f.sig.ident.to_string(),
        line: at.source.line_of(at.range(f.sig.ident.span()).start),
        cfg: [cfg, &select::cfg_conditions(&f.attrs)].concat(),
        aide_op_id: aide_operation_id(f),
        sets: select::operation_calls(&f.block),
        steps: select::router_steps(at, &f.block),
    }
}

/// The operation id `#[aide_annotate]` gives a handler: its `op_id`, else its name.
fn aide_operation_id(f: &syn::ItemFn) -> Option<String> {
    let attr = f.attrs.iter().find(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "aide_annotate")
    })?;
    let named = match &attr.meta {
        syn::Meta::List(list) => list
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated,
            )
            .ok()
            .and_then(|args| {
                args.iter()
                    .find(|arg| arg.path.is_ident("op_id"))
                    .and_then(|arg| select::str_lit(&arg.value))
            }),
        _ => None,
    };
    Some(named.unwrap_or_else(|| f.sig.ident.to_string()))
}

/// A module of the crate: a file or an inline `mod` block.
struct Module {
    path: Vec<String>,
    file: usize,
    uses: Vec<UseEntry>,
    fns: BTreeMap<String, usize>,
}

struct Function {
    module: usize,
    read: FnRead,
}

/// The crate's modules and functions, by path.
struct Index {
    files: Vec<PathBuf>,
    modules: Vec<Module>,
    /// Each module path and the modules that are it: several for the crate root when lib.rs,
    /// main.rs or a stray `src/mod.rs` all stand there, lib.rs first, then main.rs.
    by_path: BTreeMap<Vec<String>, Vec<usize>>,
    fns: Vec<Function>,
}

impl Index {
    fn new(read: Vec<FileRead>) -> Index {
        let mut index = Index {
            files: Vec::new(),
            modules: Vec::new(),
            by_path: BTreeMap::new(),
            fns: Vec::new(),
        };
        for file in read {
            let f = index.files.len();
            index.files.push(file.file);
            for module in file.modules {
                let m = index.modules.len();
                let mut fns = BTreeMap::new();
                for read in module.fns {
                    fns.entry(read.name.clone()).or_insert(index.fns.len());
                    index.fns.push(Function { module: m, read });
                }
                index
                    .by_path
                    .entry(module.path.clone())
                    .or_default()
                    .push(m);
                index.modules.push(Module {
                    path: module.path,
                    file: f,
                    uses: module.uses,
                    fns,
                });
            }
        }
        if let Some(mut roots) = index.by_path.remove(&Vec::new()) {
            roots.sort_by_key(|&m| index.file_rank(index.modules[m].file));
            index.by_path.insert(Vec::new(), roots);
        }
        index
    }

    /// Files of the crate root first: lib.rs, main.rs, any other at the root (a stray
    /// `src/mod.rs`), then the rest.
    fn file_rank(&self, file: usize) -> u8 {
        let at_root = self
            .modules
            .iter()
            .any(|m| m.file == file && m.path.is_empty());
        match self.files[file].file_name().and_then(|n| n.to_str()) {
            Some("lib.rs") if at_root => 0,
            Some("main.rs") if at_root => 1,
            _ if at_root => 2,
            _ => 3,
        }
    }

    /// `crate::a::b` for a function.
    fn path_of(&self, f: usize) -> String {
        let function = &self.fns[f];
        let module = &self.modules[function.module].path;
        std::iter::once("crate")
            .chain(module.iter().map(String::as_str))
            .chain(std::iter::once(function.read.name.as_str()))
            .collect::<Vec<_>>()
            .join("::")
    }

    fn place_of(&self, f: usize) -> Place {
        let function = &self.fns[f];
        Place {
            file: self.files[self.modules[function.module].file].clone(),
            line: function.read.line,
        }
    }

    /// The function `path` names in module `from`: a local name, a path through a child
    /// module, `crate::`, `self::`, `super::`, or a name a `use` brings in (globs too). None
    /// for anything outside the crate, and for what is not a function.
    fn resolve(&self, from: usize, path: &[String]) -> Option<usize> {
        let module = &self.modules[from];
        if let Some(absolute) = explicit(&module.path, path) {
            return self.lookup(&absolute, HOPS);
        }
        let (first, rest) = path.split_first()?;
        if rest.is_empty()
            && let Some(&f) = module.fns.get(first)
        {
            return Some(f);
        }
        let child = [module.path.as_slice(), &path[..1]].concat();
        if self.by_path.contains_key(&child) {
            return self.lookup(&[module.path.as_slice(), path].concat(), HOPS);
        }
        self.through_uses(from, path, HOPS)
    }

    /// `path` resolved through module `from`'s `use` declarations: the one that brings in its
    /// first segment, else the glob imports in order.
    fn through_uses(&self, from: usize, path: &[String], hops: usize) -> Option<usize> {
        let module = &self.modules[from];
        let (first, rest) = path.split_first()?;
        if let Some(entry) = module.uses.iter().find(|u| !u.glob && *u.alias == **first) {
            let target = self.use_target(&module.path, &entry.segments())?;
            return self.lookup(&[target.as_slice(), rest].concat(), hops);
        }
        module
            .uses
            .iter()
            .filter(|u| u.glob)
            .filter_map(|u| self.use_target(&module.path, &u.segments()))
            .find_map(|base| self.lookup(&[base.as_slice(), path].concat(), hops))
    }

    /// A `use` path made absolute from `module`: `crate::`, `self::`, `super::`, or through a
    /// child module (`use crud::create_endpoint` beside `mod crud;`). None when it leaves the
    /// crate.
    fn use_target(&self, module: &[String], segments: &[String]) -> Option<Vec<String>> {
        if let Some(absolute) = explicit(module, segments) {
            return Some(absolute);
        }
        let child = [module, segments.get(..1)?].concat();
        self.by_path
            .contains_key(&child)
            .then(|| [module, segments].concat())
    }

    /// The function at an absolute path, through `pub use` re-exports `hops` deep.
    fn lookup(&self, path: &[String], hops: usize) -> Option<usize> {
        let (name, parent) = path.split_last()?;
        let modules = self.by_path.get(parent)?;
        let direct = modules
            .iter()
            .find_map(|&m| self.modules[m].fns.get(name).copied());
        direct.or_else(|| {
            let hops = hops.checked_sub(1)?;
            modules
                .iter()
                .find_map(|&m| self.through_uses(m, std::slice::from_ref(name), hops))
        })
    }

    /// The operation id of a registration in module `module` whose handler is `handler` (see
    /// [`RouteRow::operation_id`]).
    fn operation_id(
        &self,
        module: usize,
        operation: &OperationRef,
        handler: Option<usize>,
    ) -> Option<String> {
        match operation {
            OperationRef::Path(path) => self.operation_of_path(module, path, HOPS),
            OperationRef::Closure(calls) => self.operation_of_calls(module, calls, HOPS),
            OperationRef::None => handler.and_then(|h| self.fns[h].read.aide_op_id.clone()),
        }
    }

    /// The id an operation function sets, or for a `<handler>_operation` that no function of
    /// the crate is (`#[aide_annotate]` generates it beside the handler), the handler's.
    fn operation_of_path(&self, module: usize, path: &[String], hops: usize) -> Option<String> {
        if let Some(f) = self.resolve(module, path) {
            let function = &self.fns[f];
            let hops = hops.checked_sub(1)?;
            return self.operation_of_calls(function.module, &function.read.sets, hops);
        }
        let (last, parent) = path.split_last()?;
        let handler = last.strip_suffix("_operation")?.to_owned();
        let h = self.resolve(module, &[parent, &[handler]].concat())?;
        self.fns[h].read.aide_op_id.clone()
    }

    /// The last `.id("…")` of a transform, else the id of the first function it applies that
    /// names one.
    fn operation_of_calls(
        &self,
        module: usize,
        calls: &OperationCalls,
        hops: usize,
    ) -> Option<String> {
        calls.ids.first().cloned().or_else(|| {
            calls
                .applied
                .iter()
                .find_map(|path| self.operation_of_path(module, path, hops))
        })
    }

    /// The table: each step's composed router resolved, the roots found, and each root walked
    /// (those of the crate root's file first, then in path order, each file's in line order).
    fn table(&self) -> RouteTable {
        let targets: Vec<Vec<Option<usize>>> = self
            .fns
            .iter()
            .map(|function| {
                let steps = function.read.steps.iter();
                steps
                    .map(|step| match step {
                        RouterStep::Compose(c) => self.resolve(function.module, &c.target),
                        RouterStep::Register(_) => None,
                    })
                    .collect()
            })
            .collect();
        let is_router = |f: usize| {
            let function = &self.fns[f];
            function
                .read
                .steps
                .iter()
                .any(|s| matches!(s, RouterStep::Register(_)))
                || targets[f].iter().any(Option::is_some)
        };
        let routers: Vec<usize> = (0..self.fns.len()).filter(|&f| is_router(f)).collect();
        let composed: BTreeSet<usize> = routers
            .iter()
            .flat_map(|&f| {
                targets[f]
                    .iter()
                    .flatten()
                    .copied()
                    .filter(move |&t| t != f)
            })
            .collect();
        let mut roots: Vec<usize> = routers
            .iter()
            .copied()
            .filter(|f| !composed.contains(f))
            .collect();
        roots.sort_by_key(|&f| {
            let file = self.modules[self.fns[f].module].file;
            (self.file_rank(file), file, self.fns[f].read.line)
        });
        let mut walk = Walk {
            index: self,
            targets: &targets,
            chain: Vec::new(),
            rows: Vec::new(),
            unresolved: self.unresolved_routers(&routers, &targets),
        };
        for root in roots {
            walk.walk(root, "", &[]);
        }
        RouteTable {
            routes: walk.rows,
            unresolved: walk.unresolved,
            routers: routers.len(),
            files: self.files.len(),
        }
    }

    /// A sentence for each router a router composes that no function of the crate is, when
    /// its path names a function (`routes::api()`; not `ServeDir::new()` or `Router::new()`,
    /// which are no routers of the crate's to list).
    fn unresolved_routers(&self, routers: &[usize], targets: &[Vec<Option<usize>>]) -> Vec<String> {
        let mut out = Vec::new();
        for &f in routers {
            let function = &self.fns[f];
            let file = &self.files[self.modules[function.module].file];
            for (step, target) in function.read.steps.iter().zip(&targets[f]) {
                if let (RouterStep::Compose(c), None) = (step, target)
                    && !c.target.iter().any(|s| s.starts_with(char::is_uppercase))
                {
                    out.push(format!(
                        "{}:{}: {} composes {}(), which is no function of the crate: its routes are not listed",
                        file.display(),
                        c.line,
                        self.path_of(f),
                        c.target.join("::")
                    ));
                }
            }
        }
        out
    }
}

/// A `crate::`, `self::` or `super::` path made absolute from `module`; None for any other.
fn explicit(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    match first.as_str() {
        "crate" => Some(rest.to_vec()),
        "self" => Some([module, rest].concat()),
        "super" => {
            let mut base = module.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            Some([base.as_slice(), rest].concat())
        }
        _ => None,
    }
}

/// `path` nested under `prefix`, as axum joins them: one `/` between, and a nested `/` is the
/// prefix itself (without a trailing `/`).
fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        return path.to_owned();
    }
    if path.is_empty() || path == "/" {
        let trimmed = prefix.trim_end_matches('/');
        return if trimmed.is_empty() { "/" } else { trimmed }.to_owned();
    }
    format!(
        "{}/{}",
        prefix.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// `outer`'s conditions, then those of `own` not among them.
fn merged(outer: &[String], own: &[String]) -> Vec<String> {
    let mut all = outer.to_vec();
    all.extend(own.iter().filter(|c| !outer.contains(c)).cloned());
    all
}

/// The walk from a root router down what it composes.
struct Walk<'a> {
    index: &'a Index,
    targets: &'a [Vec<Option<usize>>],
    /// The routers from the root to the one being read.
    chain: Vec<usize>,
    rows: Vec<RouteRow>,
    unresolved: Vec<String>,
}

impl Walk<'_> {
    /// Reads router `f`, nested under `prefix` with the conditions `cfg`: its routes in order,
    /// each router it composes read in its place.
    fn walk(&mut self, f: usize, prefix: &str, cfg: &[String]) {
        let index = self.index;
        let function = &index.fns[f];
        let cfg = merged(cfg, &function.read.cfg);
        self.chain.push(f);
        for (step, target) in function.read.steps.iter().zip(&self.targets[f]) {
            match (step, *target) {
                (RouterStep::Register(r), _) => {
                    let row = self.row(f, r, prefix, &cfg);
                    self.rows.push(row);
                }
                (RouterStep::Compose(c), Some(t)) if self.chain.contains(&t) => {
                    let place = Place {
                        file: index.files[index.modules[function.module].file].clone(),
                        line: c.line,
                    };
                    self.note(format!(
                        "{place}: {} composes {}, which is already composing it: not followed",
                        index.path_of(f),
                        index.path_of(t)
                    ));
                }
                (RouterStep::Compose(c), Some(t)) => {
                    let nested = c
                        .prefix
                        .iter()
                        .fold(prefix.to_owned(), |p, piece| join(&p, piece));
                    self.walk(t, &nested, &merged(&cfg, &c.cfg));
                }
                (RouterStep::Compose(_), None) => {}
            }
        }
        self.chain.pop();
    }

    fn row(&mut self, f: usize, r: &Registered, prefix: &str, cfg: &[String]) -> RouteRow {
        let index = self.index;
        let function = &index.fns[f];
        let file = &index.files[index.modules[function.module].file];
        let registered = Place {
            file: file.clone(),
            line: r.line,
        };
        let (handler, defined, handler_fn) = match &r.handler {
            HandlerRef::Path(path) => match index.resolve(function.module, path) {
                Some(h) => (index.path_of(h), Some(index.place_of(h)), Some(h)),
                None => {
                    self.note(format!(
                        "{registered}: the handler {} is no function of the crate",
                        path.join("::")
                    ));
                    (path.join("::"), None, None)
                }
            },
            HandlerRef::Inline => {
                let place = Place {
                    file: file.clone(),
                    line: r.handler_line,
                };
                ("<closure>".to_owned(), Some(place), None)
            }
        };
        RouteRow {
            method: r.method.to_uppercase(),
            path: r
                .path_pieces
                .iter()
                .fold(prefix.to_owned(), |p, piece| join(&p, piece)),
            handler,
            defined,
            operation_id: index.operation_id(function.module, &r.operation, handler_fn),
            via: r.via,
            registered,
            cfg: merged(cfg, &r.cfg),
            routers: self.chain.iter().map(|&c| index.path_of(c)).collect(),
        }
    }

    fn note(&mut self, sentence: String) {
        if !self.unresolved.contains(&sentence) {
            self.unresolved.push(sentence);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of a crate given as (path below the crate folder, text) pairs, read in path
    /// order as the walk finds them.
    fn table(files: &[(&str, &str)]) -> RouteTable {
        let interner = Interner::default();
        let mut files = files.to_vec();
        files.sort();
        let read = files
            .iter()
            .map(|(path, text)| {
                let source = SourceFile::from_text(Path::new(path), text.to_string());
                let module = tree::module_path(Path::new("src"), Path::new(path)).unwrap();
                FileRead {
                    file: PathBuf::from(path),
                    modules: read_source(&source, module, &interner).unwrap(),
                }
            })
            .collect();
        Index::new(read).table()
    }

    /// One line per route: method, path, handler, where defined, operation, via, cfg; then
    /// what could not be followed.
    fn shown(table: &RouteTable) -> String {
        let rows = table.routes.iter().map(|r| {
            let defined = r.defined.as_ref().map_or("-".to_owned(), |p| p.to_string());
            let op = r.operation_id.as_deref().unwrap_or("-");
            let cfg = r
                .cfg
                .iter()
                .map(|c| format!(" cfg({c})"))
                .collect::<String>();
            let via = r.via.label();
            format!(
                "{} {} {} {defined} {op} {via}{cfg}",
                r.method, r.path, r.handler
            )
        });
        let notes = table.unresolved.iter().map(|n| format!("! {n}"));
        rows.chain(notes).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn composed_routers_resolve_as_rust_paths_do() {
        let lib = r#"
pub mod api;
pub mod re;
use crate::api::aliased::router as aliased_router;
use crate::api::globbed::*;
pub fn app() -> Router {
    let api = api::router().with_state(State);
    Router::new()
        .nest("/api", api)
        .merge(self::api::child::router())
        .merge(crate::inner::router().into())
        .merge(aliased_router())
        .merge(globbed_router())
        .merge(re::router())
}
mod inner {
    pub fn router() -> Router { Router::new().route("/inner", get(super::api::handlers::ping)) }
}
"#;
        let api = r#"
pub mod aliased;
pub mod child;
pub mod globbed;
pub mod handlers;
pub fn router() -> ApiRouter { ApiRouter::new().api_route("/", get(handlers::ping)) }
"#;
        let child = r#"
use super::handlers;
pub fn router() -> Router { Router::new().route("/child", post(handlers::ping)) }
"#;
        let table = table(&[
            ("src/lib.rs", lib),
            ("src/api/mod.rs", api),
            (
                "src/api/aliased.rs",
                "pub fn router() -> Router { Router::new().route(\"/aliased\", get(h)) }\nasync fn h() {}",
            ),
            ("src/api/child.rs", child),
            (
                "src/api/globbed.rs",
                "pub fn globbed_router() -> Router { Router::new().route(\"/globbed\", get(h)) }\nasync fn h() {}",
            ),
            ("src/api/handlers.rs", "\npub async fn ping() {}"),
            ("src/re.rs", "pub use crate::api::aliased::router;"),
        ]);
        insta::assert_snapshot!(shown(&table), @r"
        GET /api crate::api::handlers::ping src/api/handlers.rs:2 - aide
        POST /child crate::api::handlers::ping src/api/handlers.rs:2 - axum
        GET /inner crate::api::handlers::ping src/api/handlers.rs:2 - axum
        GET /aliased crate::api::aliased::h src/api/aliased.rs:2 - axum
        GET /globbed crate::api::globbed::h src/api/globbed.rs:2 - axum
        GET /aliased crate::api::aliased::h src/api/aliased.rs:2 - axum
        ");
        assert_eq!(
            table.routes[0].routers,
            ["crate::app", "crate::api::router"],
            "the routers from the root down"
        );
    }

    /// A router built in place and bound by a `let` is registered where it is nested, under
    /// that prefix; a router built on another variable (`app.merge(…)`) carries its steps.
    #[test]
    fn a_bound_router_moves_under_the_prefix_it_is_nested_at() {
        let lib = r#"
async fn h() {}
pub fn app() -> Router {
    let sub = Router::new().route("/x", get(h)).merge(other());
    let base = Router::new().route("/a", get(h));
    let base = base.route("/b", get(h));
    Router::new().route("/first", get(h)).nest("/p/", sub).nest("/q", base)
}
fn other() -> Router { Router::new().route("/", get(h)) }
"#;
        insta::assert_snapshot!(shown(&table(&[("src/lib.rs", lib)])), @r"
        GET /first crate::h src/lib.rs:2 - axum
        GET /p/x crate::h src/lib.rs:2 - axum
        GET /p crate::h src/lib.rs:2 - axum
        GET /q/a crate::h src/lib.rs:2 - axum
        GET /q/b crate::h src/lib.rs:2 - axum
        ");
    }

    #[test]
    fn operation_ids_come_from_the_operation_else_the_handler() {
        let lib = r#"
mod other;
/// Generated: `one_operation` sets this id.
#[aide_annotate(op_id = "x.one")]
async fn one() {}
/// No op_id: the macro uses the function's name.
#[aide_annotate(op_summary = "Two")]
async fn two() {}
async fn three() {}
fn three_op(op: TransformOperation) -> TransformOperation { op.id("x.three").summary("3") }
#[aide_annotate(op_id = "x.five")]
async fn five() {}
#[aide_annotate(op_id = "x.six")]
async fn six() {}
async fn seven() {}
pub fn router() -> ApiRouter {
    ApiRouter::new()
        .api_route_with("/1", post_with(one, one_operation).get_with(two, two_operation), t)
        .api_route_with("/3", post_with(three, three_op), t)
        .api_route_with("/4", post_with(three, |op| op.id("x.four")), t)
        .api_route_with("/5", get_with(five, |op| op.description("d").with(five_operation)), t)
        .api_route_with("/5b", get_with(five, other::five_op), t)
        .api_route("/6", get(six))
        .route("/7", axum::routing::get(seven))
        .route("/8", get(tower_http::services::not_found))
}
"#;
        let other = "pub fn five_op(op: TransformOperation) -> TransformOperation { op.with(super::five_operation) }";
        insta::assert_snapshot!(shown(&table(&[("src/lib.rs", lib), ("src/other.rs", other)])), @r"
        POST /1 crate::one src/lib.rs:5 x.one aide
        GET /1 crate::two src/lib.rs:8 two aide
        POST /3 crate::three src/lib.rs:9 x.three aide
        POST /4 crate::three src/lib.rs:9 x.four aide
        GET /5 crate::five src/lib.rs:12 x.five aide
        GET /5b crate::five src/lib.rs:12 x.five aide
        GET /6 crate::six src/lib.rs:14 x.six aide
        GET /7 crate::seven src/lib.rs:15 - axum
        GET /8 tower_http::services::not_found - - axum
        ! src/lib.rs:25: the handler tower_http::services::not_found is no function of the crate
        ");
    }

    #[test]
    fn roots_cycles_and_routers_outside_the_crate() {
        // Roots: `root` and `admin` in lib.rs, then `extra`; test code has none.
        let lib = r#"
pub mod a;
async fn h() {}
pub fn root() -> Router {
    Router::new()
        .merge(a::router())
        .merge(Router::new())
        .nest_service("/files", ServeDir::new("files"))
        .merge(elsewhere::router())
}
/// Composed by no router: a root of its own, read after `root`.
pub fn admin() -> Router { Router::new().route("/admin", get(h)) }
#[cfg(test)]
mod tests {
    fn test_router() -> Router { Router::new().route("/test", get(super::h)) }
}
#[test]
fn routes_in_a_test() { Router::new().route("/test2", get(h)); }
"#;
        let a = r#"
pub fn router() -> Router { Router::new().route("/a", get(crate::h)).merge(b()) }
fn b() -> Router { Router::new().route("/b", get(crate::h)).merge(router()) }
/// A root in a file before lib.rs in path order: read after the crate root's.
pub fn extra() -> Router { Router::new().route("/extra", get(crate::h)) }
"#;
        insta::assert_snapshot!(shown(&table(&[("src/lib.rs", lib), ("src/a.rs", a)])), @r"
        GET /a crate::h src/lib.rs:3 - axum
        GET /b crate::h src/lib.rs:3 - axum
        GET /admin crate::h src/lib.rs:3 - axum
        GET /extra crate::h src/lib.rs:3 - axum
        ! src/lib.rs:9: crate::root composes elsewhere::router(), which is no function of the crate: its routes are not listed
        ! src/a.rs:3: crate::a::b composes crate::a::router, which is already composing it: not followed
        ");
    }

    /// The conditions on the way to a route: the statement that merges its router, the inline
    /// module and the function that build it, and the route's own statement.
    #[test]
    fn cfg_conditions_gather_along_the_way() {
        let lib = r#"
async fn h() {}
pub fn app(debug: bool) -> Router {
    let app = Router::new().route("/always", get(h));
    #[cfg(debug_assertions)]
    if debug {
        let dev: Router = dev::router().into();
        return app.merge(dev);
    }
    app
}
#[cfg(feature = "dev")]
mod dev {
    pub fn router() -> Router {
        let r = Router::new();
        #[cfg(unix)]
        let r = r.route("/unix", get(crate::h));
        r.route("/dev", get(crate::h))
    }
}
"#;
        insta::assert_snapshot!(shown(&table(&[("src/lib.rs", lib)])), @r#"
        GET /always crate::h src/lib.rs:2 - axum
        GET /unix crate::h src/lib.rs:2 - axum cfg(debug_assertions) cfg(feature = "dev") cfg(unix)
        GET /dev crate::h src/lib.rs:2 - axum cfg(debug_assertions) cfg(feature = "dev")
        "#);
    }

    #[test]
    fn nested_paths_join_with_one_slash() {
        assert_eq!(join("/api/v1", "/app"), "/api/v1/app");
        assert_eq!(join("/api/v1/", "/app"), "/api/v1/app");
        assert_eq!(join("/api/v1", "/"), "/api/v1");
        assert_eq!(join("/api/v1/", "/"), "/api/v1");
        assert_eq!(join("/", "/"), "/");
        assert_eq!(join("", "/"), "/");
        assert_eq!(join("/msg/{msg_id}", "content"), "/msg/{msg_id}/content");
    }
}
