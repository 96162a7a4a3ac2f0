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

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{Cli, Imports};
use crate::facts::{Fact, LocalNames};
use crate::render::{Role, UnitView, Voice};
use crate::select::{Inventory, Kind, Selection};
use crate::source::SourceFile;
use crate::units::Unit;

/// Where a svix-webhooks checkout keeps the file, tried in order under the current folder.
pub const DEFAULT_INPUTS: [&str; 3] = [
    "server/svix-server/src/v1/endpoints/message.rs",
    "svix-server/src/v1/endpoints/message.rs",
    "src/v1/endpoints/message.rs",
];

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

#[derive(Debug, Default)]
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
            "no message-creation handler found in {}: no function is registered for POST by a router in the file, and no --root was given (--allow-empty writes an empty file instead)",
            self.path.display()
        )
    }
}

impl std::error::Error for EmptySelection {}

/// `--check` found OUT stale or missing: exit code 1.
#[derive(Debug)]
pub struct StaleOutput {
    pub report: String,
}

impl fmt::Display for StaleOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

impl std::error::Error for StaleOutput {}

/// The exit code for an error: 1 when there was nothing to select or the check failed,
/// 2 for usage, input and output errors.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.is::<EmptySelection>() || err.is::<StaleOutput>() {
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
    let generated = match generate(&source, &options) {
        Err(err) if cli.allow_empty && err.is::<EmptySelection>() => {
            output::status(&format!(
                "no message-creation handler found in {}; --allow-empty: no examples",
                input.display()
            ));
            Generated::default()
        }
        other => other?,
    };
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
        Some(out) if cli.check => {
            let found = output::read_existing(out)?;
            if let Some(report) = output::staleness(out, &jsonl, found.as_deref()) {
                return Err(StaleOutput { report }.into());
            }
            output::status(&format!("{} is current", out.display()));
        }
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

/// The pure pipeline on one file's text: parse, select, read facts, render, check.
///
/// It runs on a thread of its own with a large stack, whatever thread calls it: syn and the
/// visitors recurse once per nesting level, and the spans they leave behind are only valid on
/// the thread that parsed, so the whole pipeline stays there and only plain data comes back.
pub fn generate(source: &SourceFile, options: &Options) -> anyhow::Result<Generated> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pipeline".to_owned())
            .stack_size(PIPELINE_STACK)
            .spawn_scoped(scope, || generate_here(source, options))
            .context("cannot start the pipeline thread")?
            .join()
            .map_err(|_| anyhow::anyhow!("internal error: the pipeline panicked"))?
    })
}

fn generate_here(source: &SourceFile, options: &Options) -> anyhow::Result<Generated> {
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
        // A route is quoted in requests, so only one whose path stands as written in the file.
        if let select::Reason::Root { .. } = &s.reason
            && let Some(route) = selection
                .routes
                .iter()
                .find(|r| r.handler == entry.name && r.method == "post")
            && route
                .path_pieces
                .iter()
                .all(|p| source.text.contains(&format!("\"{p}\"")))
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

fn render_examples(
    source: &SourceFile,
    inventory: &Inventory,
    selection: &Selection,
    facts: &BTreeMap<usize, Vec<Fact>>,
    units: &[Unit],
    options: &Options,
) -> anyhow::Result<Vec<Example>> {
    let types = units::type_roles(facts, inventory);
    let empty: Vec<Fact> = Vec::new();
    let facts_of = |e: usize| facts.get(&e).unwrap_or(&empty).as_slice();
    let roles: Vec<Role> = units
        .iter()
        .map(|u| units::role_of(u, inventory, selection, facts_of(u.primary), &types))
        .collect();
    let plan = units::plan_variants(&roles, options.variants);
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
        let code = units::unit_code(source, inventory, selection, unit, options.imports);
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
