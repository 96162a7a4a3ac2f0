//! svix-distill turns svix-server's message-creation code into exact, grounded ChatML examples.
//!
//! The pipeline is a chain of pure stages: read ([`source`]) → parse → select ([`select`]) →
//! facts ([`facts`]) → units ([`units`]) → render ([`render`]) → check ([`check`]) → write
//! ([`output`]). This file wires them; only `main.rs` and `output.rs` do I/O.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod check;
pub mod cli;
pub mod facts;
pub mod output;
pub mod render;
pub mod select;
pub mod source;
pub mod units;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use quote::ToTokens as _;

use crate::cli::{Cli, Imports};
use crate::facts::{Fact, LocalNames};
use crate::render::{Role, UnitView, Voice};
use crate::select::{Inventory, Kind, Selection};
use crate::source::SourceFile;
use crate::units::{Unit, UnitKind};

/// Where a svix-webhooks checkout keeps the file, tried in order under the current folder.
pub const DEFAULT_INPUTS: [&str; 3] = [
    "server/svix-server/src/v1/endpoints/message.rs",
    "svix-server/src/v1/endpoints/message.rs",
    "src/v1/endpoints/message.rs",
];

/// The default plan aims at about this many examples per file.
const TARGET_EXAMPLES: usize = 20;

/// Parsing and the visitors recurse; they run on a thread with this much stack.
const PIPELINE_STACK: usize = 64 << 20;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub roots: Vec<String>,
    pub variants: Option<usize>,
    pub imports: Imports,
}

/// One training example before it is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub unit: String,
    pub voice: Voice,
    pub request: String,
    pub reasoning: String,
    pub code: String,
}

/// One row of `--list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub kind: String,
    pub name: String,
    pub lines: (usize, usize),
    pub reason: String,
}

#[derive(Debug)]
pub struct Generated {
    pub rows: Vec<ListRow>,
    pub examples: Vec<Example>,
    pub unit_count: usize,
}

/// Nothing to take from the file: reported loudly, with exit code 1.
#[derive(Debug)]
pub struct EmptySelection {
    pub path: PathBuf,
}

impl fmt::Display for EmptySelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no message-creation handler found in {}: no function is registered for POST by a router in the file, and no --root was given",
            self.path.display()
        )
    }
}

impl std::error::Error for EmptySelection {}

/// The exit code for an error: 1 when there was nothing to select, 2 otherwise.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<EmptySelection>().is_some() {
        1
    } else {
        2
    }
}

/// The whole command: resolve the input, generate, write.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    let input = match &cli.input {
        Some(path) => path.clone(),
        None => {
            let found = find_default_input(Path::new("."))?;
            output::status(&format!("reading {}", found.display()));
            found
        }
    };
    if input.is_dir() {
        anyhow::bail!(
            "{} is a folder; give the message.rs file to read",
            input.display()
        );
    }
    let source = SourceFile::read(&input)?;
    if let Some(out) = &cli.output
        && same_file(out, &input)
    {
        anyhow::bail!("refusing to write {}: it is the input file", out.display());
    }
    let options = Options {
        roots: cli.root.clone(),
        variants: cli.variants.map(usize::from),
        imports: cli.imports,
    };
    let generated = generate_on_big_stack(source, options)?;
    if cli.list {
        return output::to_stdout(&output::list_table(&generated.rows));
    }
    let jsonl = output::to_jsonl(&generated.examples);
    let summary = format!(
        "wrote {} examples ({} units)",
        generated.examples.len(),
        generated.unit_count
    );
    match &cli.output {
        Some(out) => {
            output::to_file_atomically(out, &jsonl)?;
            output::status(&format!("{summary} to {}", out.display()));
        }
        None => {
            output::to_stdout(&jsonl)?;
            output::status(&format!("{summary} to stdout"));
        }
    }
    Ok(())
}

fn find_default_input(cwd: &Path) -> anyhow::Result<PathBuf> {
    DEFAULT_INPUTS
        .iter()
        .map(|p| cwd.join(p))
        .find(|p| p.is_file())
        .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no INPUT given and none of {} exists under the current folder",
                DEFAULT_INPUTS.join(", ")
            )
        })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn generate_on_big_stack(source: SourceFile, options: Options) -> anyhow::Result<Generated> {
    std::thread::Builder::new()
        .name("pipeline".to_owned())
        .stack_size(PIPELINE_STACK)
        .spawn(move || generate(&source, &options))
        .context("cannot start the pipeline thread")?
        .join()
        .map_err(|_| anyhow::anyhow!("internal error: the pipeline panicked"))?
}

/// The pure pipeline on one file's text: parse, select, read facts, render, check.
pub fn generate(source: &SourceFile, options: &Options) -> anyhow::Result<Generated> {
    let file = source.parse()?;
    let inventory = Inventory::new(source, &file);
    let selection = select::select_creation_items(&inventory, &options.roots)
        .with_context(|| format!("cannot select from {}", source.path.display()))?;
    if selection.roots.is_empty() {
        return Err(EmptySelection {
            path: source.path.clone(),
        }
        .into());
    }
    let rows = list_rows(&inventory, &selection);
    let facts = read_facts(source, &inventory, &selection);
    let units = units::build_units(&inventory, &selection, &facts);
    let examples = render_examples(source, &inventory, &selection, &facts, &units, options)?;
    Ok(Generated {
        rows,
        examples,
        unit_count: units.len(),
    })
}

fn list_rows(inventory: &Inventory, selection: &Selection) -> Vec<ListRow> {
    selection
        .items
        .iter()
        .map(|s| {
            let e = &inventory.entries[s.entry];
            ListRow {
                kind: e.kind.label().to_owned(),
                name: e.name.clone(),
                lines: e.lines,
                reason: s.reason.to_string(),
            }
        })
        .collect()
}

fn read_facts(
    source: &SourceFile,
    inventory: &Inventory,
    selection: &Selection,
) -> BTreeMap<usize, Vec<Fact>> {
    let mut names = LocalNames::default();
    for e in &inventory.entries {
        match e.kind {
            Kind::Fn => names.fns.push(e.name.clone()),
            Kind::Struct | Kind::Enum | Kind::Type | Kind::Trait => {
                names.types.push(e.name.clone())
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for s in &selection.items {
        let entry = &inventory.entries[s.entry];
        let mut facts = Vec::new();
        if let select::Reason::Root { .. } = &s.reason
            && let Some(route) = selection
                .routes
                .iter()
                .find(|r| r.handler == entry.name && r.method == "post")
        {
            facts.push(Fact::Route {
                method: route.method.clone(),
                path_pieces: route.path_pieces.clone(),
            });
        }
        facts.extend(facts::item_facts(source, entry.item, &names));
        out.insert(s.entry, facts);
    }
    out
}

/// Local struct names that the selected functions take as body or query, or return.
struct TypeRoles {
    body: BTreeSet<String>,
    query: BTreeSet<String>,
    response: BTreeSet<String>,
}

fn type_roles(facts: &BTreeMap<usize, Vec<Fact>>, inventory: &Inventory) -> TypeRoles {
    let mut roles = TypeRoles {
        body: BTreeSet::new(),
        query: BTreeSet::new(),
        response: BTreeSet::new(),
    };
    for fact in facts.values().flatten() {
        match fact {
            Fact::Extractor { role, ty, .. } => match role {
                facts::ExtractorRole::Body => {
                    roles.body.insert(ty.clone());
                }
                facts::ExtractorRole::Query => {
                    roles.query.insert(ty.clone());
                }
                facts::ExtractorRole::Path => {}
            },
            Fact::Returns { ty, .. } => {
                for e in &inventory.entries {
                    if e.kind == Kind::Struct && contains_word(ty, &e.name) {
                        roles.response.insert(e.name.clone());
                    }
                }
            }
            _ => {}
        }
    }
    roles
}

fn contains_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == word)
}

fn role_of(
    unit: &Unit,
    inventory: &Inventory,
    selection: &Selection,
    facts: &[Fact],
    types: &TypeRoles,
) -> Role {
    let entry = &inventory.entries[unit.primary];
    if unit.kind == UnitKind::Chain {
        return Role::Chain;
    }
    match entry.kind {
        Kind::Fn if selection.roots.contains(&unit.primary) => Role::Handler,
        Kind::Fn => {
            if facts.iter().any(|f| matches!(f, Fact::ValidatorFn { .. })) {
                Role::Validator
            } else if matches!(
                selection.reason(unit.primary),
                Some(select::Reason::NamedInAttribute(_))
            ) {
                Role::AttrHelper
            } else if facts
                .iter()
                .any(|f| matches!(f, Fact::Returns { ty, .. } if ty.contains("<()") || ty == "()"))
            {
                Role::Check
            } else {
                Role::Helper
            }
        }
        Kind::Impl => {
            if facts.iter().any(|f| matches!(f, Fact::InherentImpl { .. })) {
                Role::InherentImpl
            } else {
                Role::TraitImpl
            }
        }
        _ if types.body.contains(&entry.name) => Role::Body,
        _ if types.query.contains(&entry.name) => Role::Query,
        _ if types.response.contains(&entry.name) => Role::Response,
        _ => Role::Model,
    }
}

/// How many examples each unit gets: `--variants N` for all, or a plan that reaches about
/// `TARGET_EXAMPLES`, giving the extra ones to the most valuable units first.
fn plan_variants(roles: &[Role], requested: Option<usize>) -> Vec<usize> {
    if let Some(n) = requested {
        return vec![n; roles.len()];
    }
    let count = roles.len().max(1);
    let base = (TARGET_EXAMPLES / count).max(1);
    let mut plan = vec![base; roles.len()];
    let mut extra = TARGET_EXAMPLES.saturating_sub(base * roles.len());
    let mut order: Vec<usize> = (0..roles.len()).collect();
    order.sort_by_key(|&i| (roles[i].priority(), i));
    for i in order {
        if extra == 0 {
            break;
        }
        plan[i] += 1;
        extra -= 1;
    }
    plan
}

fn use_runs(source: &SourceFile, inventory: &Inventory, keep: &[usize]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for &u in keep {
        let range = inventory.entries[u].range.clone();
        match runs.last_mut() {
            Some(last)
                if source.text[last.end..range.start].trim().is_empty()
                    && inventory.entries[..u]
                        .iter()
                        .rev()
                        .take_while(|e| e.range.end > last.end)
                        .all(|e| e.kind == Kind::Use) =>
            {
                last.end = range.end;
            }
            _ => runs.push(range),
        }
    }
    runs
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

fn idents(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

fn unit_code(
    source: &SourceFile,
    inventory: &Inventory,
    selection: &Selection,
    unit: &Unit,
    imports: Imports,
) -> String {
    let kept_uses: Vec<usize> = match imports {
        Imports::None => Vec::new(),
        Imports::All => selection.uses.clone(),
        Imports::Used => {
            let mut used = BTreeSet::new();
            for &e in &unit.entries {
                idents(inventory.entries[e].item.to_token_stream(), &mut used);
            }
            selection
                .uses
                .iter()
                .copied()
                .filter(|&u| {
                    let syn::Item::Use(item) = inventory.entries[u].item else {
                        return false;
                    };
                    let mut leaves = Vec::new();
                    use_leaves(&item.tree, &mut leaves);
                    leaves
                        .iter()
                        .any(|leaf| leaf.as_ref().is_none_or(|name| used.contains(name)))
                })
                .collect()
        }
    };
    let mut slices: Vec<&str> = use_runs(source, inventory, &kept_uses)
        .into_iter()
        .map(|r| source.slice(r))
        .collect();
    slices.extend(
        unit.entries
            .iter()
            .map(|&e| source.slice(inventory.entries[e].range.clone())),
    );
    slices.join(source.blank_line())
}

fn render_examples(
    source: &SourceFile,
    inventory: &Inventory,
    selection: &Selection,
    facts: &BTreeMap<usize, Vec<Fact>>,
    units: &[Unit],
    options: &Options,
) -> anyhow::Result<Vec<Example>> {
    let types = type_roles(facts, inventory);
    let empty: Vec<Fact> = Vec::new();
    let facts_of = |e: usize| facts.get(&e).unwrap_or(&empty).as_slice();
    let roles: Vec<Role> = units
        .iter()
        .map(|u| role_of(u, inventory, selection, facts_of(u.primary), &types))
        .collect();
    let plan = plan_variants(&roles, options.variants);
    let item_ranges: Vec<Range<usize>> =
        inventory.entries.iter().map(|e| e.range.clone()).collect();

    let mut examples: Vec<Example> = Vec::new();
    for ((unit, &role), &count) in units.iter().zip(&roles).zip(&plan) {
        let key = unit.key(inventory);
        let primary = &inventory.entries[unit.primary];
        let view = UnitView {
            key: key.clone(),
            role,
            name: primary.name.clone(),
            callees: unit
                .entries
                .iter()
                .filter(|&&e| e != unit.primary)
                .map(|&e| inventory.entries[e].name.clone())
                .collect(),
            items: unit
                .entries
                .iter()
                .map(|&e| (inventory.entries[e].name.clone(), facts_of(e)))
                .collect(),
            primary: unit
                .entries
                .iter()
                .position(|&e| e == unit.primary)
                .unwrap_or(0),
            route: facts_of(unit.primary)
                .iter()
                .find(|f| matches!(f, Fact::Route { .. })),
        };
        let code = unit_code(source, inventory, selection, unit, options.imports);
        let first_voice = render::stable_hash(&[&key]) as usize;
        for variant in 0..count {
            let voice = Voice::ALL[(first_voice + variant) % Voice::ALL.len()];
            let example = render_unique(&view, voice, variant, &code, &examples);
            check_example(source, &item_ranges, &example)?;
            examples.push(example);
        }
    }
    Ok(examples)
}

/// Renders one example, re-salting the phrasing until neither its request nor its reasoning
/// repeats an earlier example's.
fn render_unique(
    view: &UnitView,
    voice: Voice,
    variant: usize,
    code: &str,
    earlier: &[Example],
) -> Example {
    let mut attempt = 0usize;
    loop {
        let salt = render::Salt::new(format!("{}#{attempt}", view.key), variant);
        let example = Example {
            unit: view.key.clone(),
            voice,
            request: render::render_request(view, voice, &salt),
            reasoning: render::render_reasoning(view, voice, &salt),
            code: code.to_owned(),
        };
        let repeats = earlier
            .iter()
            .any(|e| e.request == example.request || e.reasoning == example.reasoning);
        if !repeats || attempt >= 64 {
            return example;
        }
        attempt += 1;
    }
}

/// The generator's own output must pass the checks a reviewer would make; a failure is a bug.
fn check_example(
    source: &SourceFile,
    item_ranges: &[Range<usize>],
    example: &Example,
) -> anyhow::Result<()> {
    check::exact_slices(
        &example.code,
        &source.text,
        item_ranges,
        source.blank_line(),
    )
    .map_err(|fault| {
        anyhow::anyhow!(
            "internal error: example for {} has inexact code: {fault}",
            example.unit
        )
    })?;
    let faults = check::grounding_faults(
        &example.request,
        &example.reasoning,
        &example.code,
        &source.text,
    );
    if let Some(fault) = faults.first() {
        anyhow::bail!(
            "internal error: example for {} is not grounded: {fault}",
            example.unit
        );
    }
    Ok(())
}
