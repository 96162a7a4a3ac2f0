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
pub mod stats;
pub mod tokens;
pub mod tree;
pub mod units;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{Cli, Command, GenerateArgs, Imports, StatsArgs, ValidateArgs};
use crate::facts::{Fact, LocalNames};
use crate::render::{Role, UnitView, Voice};
use crate::select::{Inventory, Kind, Selection};
use crate::source::SourceFile;
use crate::units::Unit;

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
    /// The file the item is in, in directory mode.
    pub file: Option<String>,
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
    /// The examples as JSONL, already checked by `validate` against the input.
    pub jsonl: String,
    /// Units that ran out of distinct phrasings before `--variants` was reached.
    pub shortfalls: Vec<Shortfall>,
    /// In directory mode, each file that could not be read or parsed, with why.
    pub skipped: Vec<String>,
}

/// A unit that got fewer examples than asked, because every further phrasing would repeat an
/// earlier request or reasoning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub unit: String,
    pub made: usize,
    pub asked: usize,
}

/// Nothing to take from the file: reported loudly, with exit code 1.
#[derive(Debug)]
pub struct EmptySelection {
    pub path: PathBuf,
    /// What was looked for and not found.
    pub why: String,
}

impl EmptySelection {
    fn in_file(path: &Path) -> EmptySelection {
        EmptySelection {
            path: path.to_path_buf(),
            why: "no function is registered for POST by a router in the file, and no --root was given".to_owned(),
        }
    }
}

impl fmt::Display for EmptySelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no message-creation handler found in {}: {} (--allow-empty writes an empty file instead)",
            self.path.display(),
            self.why
        )
    }
}

impl std::error::Error for EmptySelection {}

/// A check that ran and said no: `--check` found OUT stale or missing, or `validate` found
/// faults or too many tokens. Exit code 1, not 2: nothing went wrong with the run itself.
#[derive(Debug)]
pub struct CheckFailed {
    pub message: String,
}

impl fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CheckFailed {}

/// The exit code for an error: 1 when there was nothing to select, the check failed or the
/// dataset has faults; 2 for usage, input and output errors.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.is::<EmptySelection>() || err.is::<CheckFailed>() {
        1
    } else {
        2
    }
}

/// The whole command: generate (the default), validate or stats.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        None => run_generate(&cli.generate),
        Some(Command::Validate(args)) => run_validate(args),
        Some(Command::Stats(args)) => run_stats(args),
    }
}

fn run_validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let text = source::read_dataset(&args.file)?;
    let mut sources = Vec::new();
    for path in &args.source {
        for file in source::source_files(path)? {
            sources.push(validate::Source::new(SourceFile::read(&file)?)?);
        }
    }
    let counter = tokens::TokenCounter::new(args.encoding)?;
    let settings = validate::Settings {
        sources: &sources,
        system: args.system.as_deref().unwrap_or(output::SYSTEM_PROMPT),
        counter: Some(&counter),
        max_tokens: args.max_tokens,
    };
    let report = validate::validate(&text, &settings);
    let spread = validate::spread(&report.tokens);
    let over_budget = args.token_budget.filter(|&budget| spread.total > budget);
    output::to_stdout(&output::validate_report(
        &args.file,
        &report,
        &spread,
        counter.encoding.name(),
        over_budget,
    ))?;
    if !report.faults.is_empty() || over_budget.is_some() {
        return Err(CheckFailed {
            message: {
                let mut why = Vec::new();
                if !report.faults.is_empty() {
                    why.push(format!("{} fault(s)", report.faults.len()));
                }
                if let Some(budget) = over_budget {
                    why.push(format!(
                        "{} tokens, over the budget of {budget}",
                        spread.total
                    ));
                }
                format!("{} is not valid: {}", args.file.display(), why.join(", "))
            },
        }
        .into());
    }
    Ok(())
}

fn run_stats(args: &StatsArgs) -> anyhow::Result<()> {
    let text = source::read_dataset(&args.file)?;
    let counter = tokens::TokenCounter::new(args.encoding)?;
    let settings = validate::Settings {
        counter: Some(&counter),
        ..validate::Settings::default()
    };
    let report = validate::validate(&text, &settings);
    let stats = stats::stats(&report.lines, &report.tokens, counter.encoding.name());
    if !report.faults.is_empty() {
        output::status(&format!(
            "{}: {} line(s) with faults left out; run validate for details",
            args.file.display(),
            report.faults.len()
        ));
    }
    if args.json {
        output::to_stdout(&output::stats_json(&stats))
    } else {
        output::to_stdout(&output::stats_table(&args.file, &stats))
    }
}

/// Generating: resolve the input, generate, then list, check or write.
fn run_generate(cli: &GenerateArgs) -> anyhow::Result<()> {
    let input = match &cli.input {
        Some(path) => path.clone(),
        None => {
            let found = source::find_default_input(Path::new("."))?;
            output::status(&format!("reading {}", found.display()));
            found
        }
    };
    if let Some(out) = &cli.output
        && source::same_file(out, &input)
    {
        anyhow::bail!("refusing to write {}: it is the input file", out.display());
    }
    let options = Options {
        roots: cli.root.clone(),
        variants: cli.variants.map(usize::from),
        imports: cli.imports,
    };
    let result = if input.is_dir() {
        let tree_options = tree::TreeOptions {
            focus: cli.focus.clone(),
            include: cli.include.clone(),
            exclude: cli.exclude.clone(),
            depth: cli.depth,
        };
        generate_tree(&input, &tree_options, &options)
    } else {
        SourceFile::read(&input).and_then(|source| generate(&source, &options))
    };
    let generated = match result {
        Err(err) if cli.allow_empty && err.is::<EmptySelection>() => {
            output::status(&format!(
                "no message-creation handler found in {}; --allow-empty: no examples",
                input.display()
            ));
            Generated::default()
        }
        other => other?,
    };
    for skipped in &generated.skipped {
        output::error(&anyhow::anyhow!("{skipped}"));
    }
    let unparsed = (!generated.skipped.is_empty() && !cli.keep_going).then(|| {
        anyhow::anyhow!(
            "{} file(s) under {} could not be read or parsed and were skipped (--keep-going to accept)",
            generated.skipped.len(),
            input.display()
        )
    });
    if cli.list {
        output::to_stdout(&output::list_table(&generated.rows))?;
        return unparsed.map_or(Ok(()), Err);
    }
    for short in &generated.shortfalls {
        output::status(&format!(
            "{}: {} distinct examples, not {}: every further phrasing would repeat one",
            short.unit, short.made, short.asked
        ));
    }
    let jsonl = &generated.jsonl;
    let summary = format!(
        "wrote {} examples ({} units)",
        generated.examples.len(),
        generated.unit_count
    );
    match &cli.output {
        Some(out) if cli.check => {
            let found = output::read_existing(out)?;
            if let Some(report) = output::staleness(out, jsonl, found.as_deref()) {
                return Err(CheckFailed { message: report }.into());
            }
            output::status(&format!("{} is current", out.display()));
        }
        Some(out) => {
            output::to_file_atomically(out, jsonl)?;
            output::status(&format!("{summary} to {}", out.display()));
        }
        None => {
            output::to_stdout(jsonl)?;
            output::status(&format!("{summary} to stdout"));
        }
    }
    unparsed.map_or(Ok(()), Err)
}

/// Directory mode: walk, summarize every file in parallel, select across files, then generate
/// the focus files whole and the picked items of the others.
pub fn generate_tree(
    root: &Path,
    tree_options: &tree::TreeOptions,
    options: &Options,
) -> anyhow::Result<Generated> {
    use rayon::prelude::*;
    let files = tree::walk(root, tree_options)?;
    if files.is_empty() {
        anyhow::bail!("{} is a folder with no .rs file", root.display());
    }
    let base = tree::source_base(root);
    let focus = tree::focus_matcher(&tree_options.focus)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(source::PIPELINE_STACK)
        .build()
        .context("cannot start the parsing threads")?;
    let results: Vec<_> = pool.install(|| {
        files
            .par_iter()
            .filter_map(|path| {
                let module = tree::module_path(&base, path)?;
                let relative = path.strip_prefix(root).unwrap_or(path);
                let is_focus = focus.is_match(relative);
                let summary = tree::summarize(path, module, is_focus, &options.roots);
                // Each parsed file's text stays in this thread's span table otherwise.
                proc_macro2::extra::invalidate_current_thread_spans();
                Some((is_focus, summary))
            })
            .collect()
    });
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
    if focus_files.is_empty() {
        return Err(EmptySelection {
            path: root.to_path_buf(),
            why: format!("no file matches --focus {}", tree_options.focus),
        }
        .into());
    }
    let picks = if tree_options.depth == 0 {
        Vec::new()
    } else {
        tree::select_across_files(&summaries, &focus_files, tree_options.depth)
    };
    let mut parts: Vec<(usize, Generated)> = Vec::new();
    for &f in &focus_files {
        let source = SourceFile::read(&summaries[f].path)?;
        match generate(&source, options) {
            Ok(generated) => parts.push((f, generated)),
            Err(err) if err.is::<EmptySelection>() => continue,
            Err(err) => return Err(err),
        }
    }
    // The default plan aims the focus files at about 20 examples; each item another file
    // contributes gets one more, unless --variants says otherwise.
    let picked_options = Options {
        variants: Some(options.variants.unwrap_or(1)),
        ..options.clone()
    };
    let mut picked_files: Vec<usize> = picks.iter().map(|p| p.file).collect();
    picked_files.dedup();
    for f in picked_files {
        let mine: Vec<tree::Pick> = picks.iter().filter(|p| p.file == f).cloned().collect();
        let source = SourceFile::read(&summaries[f].path)?;
        parts.push((f, generate_picked(&source, &mine, &picked_options)?));
    }
    if parts.iter().all(|(_, g)| g.examples.is_empty()) {
        return Err(EmptySelection {
            path: root.to_path_buf(),
            why: format!(
                "the files matching --focus {} register no POST handler, and no --root was given",
                tree_options.focus
            ),
        }
        .into());
    }
    let mut combined = Generated {
        skipped,
        ..Generated::default()
    };
    for (f, part) in parts {
        let path = summaries[f]
            .path
            .strip_prefix(root)
            .unwrap_or(&summaries[f].path);
        combined.rows.extend(part.rows.into_iter().map(|mut row| {
            row.file = Some(path.display().to_string());
            row
        }));
        combined.examples.extend(part.examples);
        combined.unit_count += part.unit_count;
        combined.jsonl.push_str(&part.jsonl);
        combined.shortfalls.extend(part.shortfalls);
    }
    // Each part was checked against its own file; across parts only repeats can remain.
    let report = validate::validate(&combined.jsonl, &validate::Settings::default());
    if let Some(fault) = report.faults.first() {
        anyhow::bail!(
            "internal error: combined line {} fails validation: {}",
            fault.line,
            fault.message
        );
    }
    Ok(combined)
}

/// The pure pipeline on one file's text: parse, select, read facts, render, check.
///
/// It runs on a thread of its own with a large stack, whatever thread calls it (see
/// [`source::on_big_stack`]).
pub fn generate(source: &SourceFile, options: &Options) -> anyhow::Result<Generated> {
    source::on_big_stack(|| generate_here(source, options))?
}

fn generate_here(source: &SourceFile, options: &Options) -> anyhow::Result<Generated> {
    let file = source.parse()?;
    let inventory = Inventory::new(source, &file);
    let selection = select::select_creation_items(&inventory, &options.roots)
        .with_context(|| format!("cannot select from {}", source.path.display()))?;
    if selection.roots.is_empty() {
        return Err(EmptySelection::in_file(&source.path).into());
    }
    finish(source, &file, &inventory, &selection, options)
}

/// Directory mode's other files: the picked functions and methods of one file, as units of
/// their own, each with its file's use declarations.
pub fn generate_picked(
    source: &SourceFile,
    picks: &[tree::Pick],
    options: &Options,
) -> anyhow::Result<Generated> {
    source::on_big_stack(|| generate_picked_here(source, picks, options))?
}

fn generate_picked_here(
    source: &SourceFile,
    picks: &[tree::Pick],
    options: &Options,
) -> anyhow::Result<Generated> {
    let file = source.parse()?;
    let methods = select::impl_methods(&file);
    let inventory = Inventory::with_methods(source, &file, &methods);
    let mut items = Vec::new();
    let mut roots = Vec::new();
    for pick in picks {
        let entry = match &pick.self_ty {
            Some(ty) => inventory.method_index(ty, &pick.name),
            None => inventory.fn_index(&pick.name),
        };
        let Some(entry) = entry else {
            anyhow::bail!(
                "internal error: {} has no {} any more",
                source.path.display(),
                pick.name
            );
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
    let selection = Selection {
        routes: select::find_routes(&inventory),
        roots,
        items,
        uses: inventory.use_entries(),
    };
    finish(source, &file, &inventory, &selection, options)
}

/// The stages after selection, shared by every mode: facts, units, rendering, the check.
fn finish(
    source: &SourceFile,
    file: &syn::File,
    inventory: &Inventory,
    selection: &Selection,
    options: &Options,
) -> anyhow::Result<Generated> {
    let rows = list_rows(inventory, selection);
    let facts = read_facts(source, inventory, selection);
    let units = units::build_units(inventory, selection, &facts);
    let (examples, shortfalls) =
        render_examples(source, inventory, selection, &facts, &units, options)?;
    let jsonl = output::to_jsonl(&examples);
    check_output(source, file, &jsonl, &examples)?;
    Ok(Generated {
        rows,
        examples,
        unit_count: units.len(),
        jsonl,
        shortfalls,
        skipped: Vec::new(),
    })
}

/// The generator's own output must pass `validate` with the input as its source, as any
/// dataset would; a failure is a bug, reported with the line, and nothing is written.
fn check_output(
    source: &SourceFile,
    file: &syn::File,
    jsonl: &str,
    examples: &[Example],
) -> anyhow::Result<()> {
    let sources = [validate::Source::from_parts(
        source.clone(),
        source::item_ranges_of(source, file),
    )];
    let settings = validate::Settings {
        sources: &sources,
        ..validate::Settings::default()
    };
    let report = validate::validate(jsonl, &settings);
    match report.faults.first() {
        None => Ok(()),
        Some(fault) => {
            let unit = examples
                .get(fault.line - 1)
                .map_or("?", |e| e.unit.as_str());
            anyhow::bail!(
                "internal error: generated line {} (unit {unit}) fails validation: {}",
                fault.line,
                fault.message
            )
        }
    }
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
        // The note names the type only where the method's own code does.
        if entry.kind == Kind::Method
            && let Some(ty) = &entry.self_ty
            && source.slice(entry.range.clone()).contains(ty.as_str())
        {
            facts.push(Fact::MethodOf {
                method: entry.name.clone(),
                self_ty: ty.clone(),
            });
        }
        // A route is quoted in requests, so only one whose path stands as written in the file.
        if selection.roots.contains(&s.entry)
            && let Some(route) = selection
                .routes
                .iter()
                .find(|r| r.handler == entry.name && r.method == "post")
            && route
                .path_pieces
                .iter()
                .all(|p| !p.contains('`') && source.text.contains(&format!("\"{p}\"")))
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
) -> anyhow::Result<(Vec<Example>, Vec<Shortfall>)> {
    let types = units::type_roles(facts, inventory);
    let empty: Vec<Fact> = Vec::new();
    let facts_of = |e: usize| facts.get(&e).unwrap_or(&empty).as_slice();
    let roles: Vec<Role> = units
        .iter()
        .map(|u| units::role_of(u, inventory, selection, facts_of(u.primary), &types))
        .collect();
    let plan = units::plan_variants(&roles, options.variants);
    let mut shortfalls = Vec::new();

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
            match render_unique(&view, voice, variant, &code, &examples) {
                Some(example) => examples.push(example),
                None => {
                    shortfalls.push(Shortfall {
                        unit: key.clone(),
                        made: variant,
                        asked: count,
                    });
                    break;
                }
            }
        }
    }
    Ok((examples, shortfalls))
}

/// How many phrasings to try for one example before deciding the unit has no new one left.
const PHRASING_ATTEMPTS: usize = 512;

/// Renders one example, re-salting the phrasing until neither its request nor its reasoning
/// repeats an earlier example's; None when the templates have no unseen phrasing left.
fn render_unique(
    view: &UnitView,
    voice: Voice,
    variant: usize,
    code: &str,
    earlier: &[Example],
) -> Option<Example> {
    (0..PHRASING_ATTEMPTS).find_map(|attempt| {
        let salt = render::Salt::new(format!("{}#{attempt}", view.key), variant);
        let example = Example {
            unit: view.key.clone(),
            voice,
            request: render::render_request(view, voice, &salt),
            reasoning: render::render_reasoning(view, voice, &salt),
            code: code.to_owned(),
        };
        // A repeated request also covers a repeated (request, code) pair.
        let repeats = earlier
            .iter()
            .any(|e| e.request == example.request || e.reasoning == example.reasoning);
        (!repeats).then_some(example)
    })
}
