//! One function per command, as `lib.rs::run` dispatches them: resolve the profile and the
//! inputs from the command line, call the library, and hand what it returns to `report.rs` and
//! `output.rs`. The only module besides `cli.rs` that sees clap's argument types.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::Context as _;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::{
    GenerateArgs, HistoryArgs, ProfilesArgs, ProfilesCommand, ReviewArgs, RoutesArgs, StatsArgs,
    ValidateArgs, WriteArgs,
};
use crate::dataset::split::{self, Side};
use crate::dataset::{
    format, manifest, output, provenance, stats as dataset_stats, tally, tokens,
    validate as dataset_validate,
};
use crate::extract::source::{self, SourceFile};
use crate::extract::{routes as route_table, select, tree};
use crate::history::git;
use crate::history::{self, HistoryOptions};
use crate::model;
use crate::pipeline::{self, EmptySelection, Extracted, Options};
use crate::profile::{self, Profile};
use crate::protected::{self, Protected, Role};
use crate::report;
use crate::write::llm::review::{self, Reviewed, Verdict};
use crate::write::llm::rounds::{self, Driven};

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

/// A run that found nothing to write: history mode with no example (no new commit, or every
/// commit dropped) and no `--allow-empty`. Exit code 1, as an empty selection.
#[derive(Debug)]
pub struct NothingToWrite {
    pub message: String,
}

impl fmt::Display for NothingToWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (--allow-empty writes an empty file instead)",
            self.message
        )
    }
}

impl std::error::Error for NothingToWrite {}

/// `routes` on a crate that registers no route. Exit code 1, as an empty selection.
#[derive(Debug)]
pub struct NoRoutes {
    pub root: PathBuf,
    pub files: usize,
}

impl fmt::Display for NoRoutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no route in {}: none of its {} .rs file(s) registers one (with route, api_route or \
             api_route_with)",
            self.root.display(),
            self.files
        )
    }
}

impl std::error::Error for NoRoutes {}

/// Routes: the crate's route table, each route with the built-in profile whose root it is, to
/// stdout or OUT, as aligned columns or JSON lines; what could not be followed as warnings.
pub(crate) fn routes(args: &RoutesArgs) -> anyhow::Result<()> {
    let input = args.krate.clone().unwrap_or_else(|| PathBuf::from("."));
    let root = routes_crate(&input)?;
    let files = tree::walk(&root, &tree::TreeOptions::for_focus(""))?;
    if files.is_empty() {
        anyhow::bail!("{} is a folder with no .rs file", root.display());
    }
    let out = args.output.as_deref().unwrap_or(Path::new("-"));
    let mut protected = Protected::new();
    for file in &files {
        protected.file(Role::CrateSource, file);
    }
    protected.check(&[("", out)])?;
    let table = route_table::route_table(&root, &files)?;
    for sentence in &table.unresolved {
        output::warning(sentence);
    }
    if table.routes.is_empty() {
        return Err(NoRoutes {
            root,
            files: table.files,
        }
        .into());
    }
    let profiles = profile::built_in_files()?;
    let covering: Vec<Option<&str>> = table
        .routes
        .iter()
        .map(|r| {
            let covers = profiles
                .iter()
                .find(|p| p.is_root_route(&r.method, &r.path));
            covers.map(|p| p.name.as_str())
        })
        .collect();
    let text = if args.json {
        report::routes_json(&table.routes, &covering)
    } else {
        report::routes_table(&table.routes, &covering)
    };
    output::to_file(out, &text)?;
    let destination = args.output.as_deref().filter(|p| !source::is_stdio(p));
    output::status(&report::routes_summary(&table, destination));
    Ok(())
}

/// The crate a route is looked up in for INPUT: a folder as `routes` finds its crate; a file,
/// the crate folder above it that holds it under `src/`, or else the file alone.
fn crate_of_input(input: &Path) -> anyhow::Result<(PathBuf, Vec<PathBuf>)> {
    if input.is_dir() {
        let root = routes_crate(input)?;
        let files = tree::walk(&root, &tree::TreeOptions::for_focus(""))?;
        return Ok((root, files));
    }
    let absolute = std::path::absolute(input).unwrap_or_else(|_| input.to_path_buf());
    for folder in absolute.ancestors().skip(1) {
        if folder.join("src").is_dir() && absolute.starts_with(folder.join("src")) {
            let files = tree::walk(folder, &tree::TreeOptions::for_focus(""))?;
            return Ok((folder.to_path_buf(), files));
        }
    }
    let root = input.parent().map_or(PathBuf::from("."), Path::to_path_buf);
    Ok((root, vec![input.to_path_buf()]))
}

/// The one route of the crate at `input` that `route` names: `METHOD PATH` (a path pattern, as
/// a profile's root takes it) or an operation id.
fn find_route(route: &str, input: &Path) -> anyhow::Result<route_table::RouteRow> {
    let (root, files) = crate_of_input(input)?;
    let table = route_table::route_table(&root, &files)?;
    let wanted = |row: &route_table::RouteRow| match route.trim().split_once(char::is_whitespace) {
        Some((method, path)) => {
            row.method.eq_ignore_ascii_case(method) && select::paths_match(path.trim(), &row.path)
        }
        None => row.operation_id.as_deref() == Some(route.trim()),
    };
    let found: Vec<&route_table::RouteRow> = table.routes.iter().filter(|r| wanted(r)).collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => anyhow::bail!(
            "no route of {} is {route} (`svix-distill routes {}` lists them)",
            root.display(),
            root.display()
        ),
        many => anyhow::bail!(
            "{route} names {} routes of {}: {}; give the whole path",
            many.len(),
            root.display(),
            many.iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The named route of a route-table row, its files `/`-separated. A route whose handler is no
/// function of the crate (a closure) has no code to distill: no route of its profile (exit 1).
fn named_route(row: &route_table::RouteRow, input: &Path) -> anyhow::Result<(String, String)> {
    let defined = row.defined.as_ref().ok_or_else(|| EmptySelection {
        profile: format!("{} {}", row.method, row.path),
        path: input.to_path_buf(),
        why: format!(": its handler {} is no function of the crate", row.handler),
    })?;
    let slashes = |p: &Path| p.to_string_lossy().replace('\\', "/");
    Ok((slashes(&defined.file), slashes(&row.registered.file)))
}

/// The profile `--route` runs with, as TOML, and whether it is a built-in one that covers the
/// route (then its own TOML as shipped).
fn route_profile_text(route: &str, input: &Path) -> anyhow::Result<(String, Option<String>)> {
    let row = find_route(route, input)?;
    if let Some(built_in) = profile::built_in_files()?
        .into_iter()
        .find(|p| p.is_root_route(&row.method, &row.path))
    {
        let name = built_in.name;
        let text = profile::built_in_text(&name).unwrap_or_default().to_owned();
        return Ok((text, Some(name)));
    }
    let (handler_file, router_file) = named_route(&row, input)?;
    let derived = crate::route_profile::derived(&crate::route_profile::NamedRoute {
        method: &row.method,
        path: &row.path,
        operation_id: row.operation_id.as_deref(),
        handler: &row.handler,
        handler_file: &handler_file,
        router_file: &router_file,
    });
    let text = format!(
        "# Derived by svix-distill from {} {} ({router_file}); edit freely.\n{}",
        row.method,
        row.path,
        toml::to_string(&derived)?
    );
    Ok((text, None))
}

/// The profile of a run: `--route`'s (a built-in that covers the route, or one derived from
/// it), or `--profile`'s.
fn load_profile(cli: &GenerateArgs) -> anyhow::Result<Profile> {
    let Some(route) = &cli.route else {
        return Profile::load(&cli.profile);
    };
    let input = cli.input.clone().unwrap_or_else(|| PathBuf::from("."));
    let (text, built_in) = route_profile_text(route, &input)?;
    match built_in {
        Some(name) => {
            output::status(&format!("{route}: the built-in profile {name} covers it"));
            Profile::load(&name)
        }
        None => Profile::from_toml(&text, &format!("the profile derived from {route}")),
    }
}

/// The crate `routes` reads for CRATE: a folder with a src/ as it is, a crate's src/ as its
/// crate, and any other folder (a repository root) searched for crates as generation searches
/// one, the built-in profiles' default crate folders first (server/svix-server), else the
/// shallowest.
fn routes_crate(input: &Path) -> anyhow::Result<PathBuf> {
    if !input.exists() {
        anyhow::bail!("cannot read {}: no such folder", input.display());
    }
    if !input.is_dir() {
        anyhow::bail!(
            "{} is not a folder: routes reads a crate folder, its src/, or a folder holding the \
             crate",
            input.display()
        );
    }
    // A crate's src/ (named so, or a folder inside a crate named src, as `.` there): module
    // paths count from it either way, but files are named from the crate folder.
    if !input.join("src").is_dir() {
        if input.ends_with("src") {
            return Ok(match input.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            });
        }
        let canonical = input.canonicalize().unwrap_or(input.to_path_buf());
        if canonical.ends_with("src") && canonical.parent().is_some_and(tree::is_crate) {
            return Ok(input.join(".."));
        }
    }
    let preferred = profile::built_in_crate_folders()?;
    let choice = tree::locate_crate(input, "**/*.rs", &preferred)?;
    if let Some(note) = report::routes_crate_choice(input, &choice) {
        output::status(&note);
    }
    Ok(choice.root)
}

pub(crate) fn profiles(args: &ProfilesArgs) -> anyhow::Result<()> {
    match &args.command {
        Some(ProfilesCommand::Show {
            route: Some(route),
            krate,
            ..
        }) => {
            let input = krate.clone().unwrap_or_else(|| PathBuf::from("."));
            let (text, _) = route_profile_text(route, &input)?;
            output::to_stdout(&text)
        }
        Some(ProfilesCommand::Show {
            name: Some(name), ..
        }) => match profile::shown_text(name) {
            Some(text) => output::to_stdout(&text),
            None => {
                Profile::load(name)?;
                anyhow::bail!("{name} is not a built-in profile")
            }
        },
        Some(ProfilesCommand::Show { .. }) => {
            anyhow::bail!("profiles show needs a profile's name or --route")
        }
        None => output::to_stdout(&report::profiles_table(&profile::built_ins()?)),
    }
}

/// The operation a dataset was made for, as `validate` and `stats` check it: the system prompt
/// its lines carry and the mechanism words its checker watches.
struct Operation {
    /// `message-creation`, or `event type update` for a profile derived from a route.
    name: String,
    system_prompt: String,
    mechanisms: Vec<profile::Mechanism>,
}

impl Operation {
    fn of_profile(profile: Profile) -> Operation {
        Operation {
            name: profile.name().to_owned(),
            system_prompt: profile.file.system_prompt,
            mechanisms: profile.file.mechanisms,
        }
    }
}

/// Which operation `dataset` (whose text is `text`) was made for: the profile given; else the
/// built-in one its manifest (`<stem>.manifest.json` beside it) names; else the one whose system
/// prompt its first line carries, a built-in's or one derived from a route; else the default
/// profile, as before any of this. Says on stderr which it found and how, when it is not the
/// default (unless --quiet).
fn operation_of(dataset: &Path, text: &str, given: Option<&str>) -> anyhow::Result<Operation> {
    if let Some(name) = given {
        return Ok(Operation::of_profile(Profile::load(name)?));
    }
    let shown = source::shown(dataset);
    // The default profile is what a run without --profile always checked against; another
    // is news.
    let say = |operation: &Operation, how: &str| {
        if operation.name != profile::DEFAULT {
            output::status(&format!(
                "{}: made for {} ({how})",
                shown.display(),
                operation.name
            ));
        }
    };
    let manifest = dataset.with_extension("manifest.json");
    if let Ok(manifest_text) = std::fs::read_to_string(&manifest)
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(&manifest_text)
        && let Some(name) = value["profile"].as_str()
        && profile::built_in_text(name).is_some()
    {
        let operation = Operation::of_profile(Profile::load(name)?);
        say(
            &operation,
            &format!("named by {}", source::shown(&manifest).display()),
        );
        return Ok(operation);
    }
    let system = text.lines().find_map(system_prompt_of);
    if let Some(system) = &system {
        if let Some(profile) = profile::built_ins()?
            .into_iter()
            .find(|profile| profile.system_prompt() == system)
        {
            let operation = Operation::of_profile(profile);
            say(&operation, "its system prompt");
            return Ok(operation);
        }
        if let Some(name) = crate::route_profile::operation_of(system) {
            let operation = Operation {
                name: name.to_owned(),
                system_prompt: system.clone(),
                mechanisms: crate::route_profile::mechanisms(),
            };
            say(&operation, "its system prompt, a route's");
            return Ok(operation);
        }
    }
    // Nothing tells: the default profile, whose system prompt the lines then fail to carry
    // (or --system stands in for it).
    Ok(Operation::of_profile(Profile::load(profile::DEFAULT)?))
}

/// The datasets `paths` name: a file as it is, a folder (an `--all-routes` one) as the `.jsonl`
/// files directly in it, by name, model caches left out.
fn dataset_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|file| {
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                file.is_file() && name.ends_with(".jsonl") && !name.ends_with(".llm-cache.jsonl")
            })
            .collect();
        if found.is_empty() {
            anyhow::bail!("{} holds no .jsonl file", path.display());
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// The system message of a dataset line in any of the four formats.
fn system_prompt_of(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let first = value
        .get("messages")
        .or_else(|| value.get("prompt"))?
        .get(0)?;
    (first["role"] == "system")
        .then(|| first["content"].as_str().map(str::to_owned))
        .flatten()
}

/// Validates each file in turn, its report on stdout; every file that is not valid gets one
/// error line, and the run exits 1 when there is any. Without --profile, each file's operation
/// is found on its own ([`operation_of`]).
pub(crate) fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let mut sources = Vec::new();
    for path in &args.source {
        for file in source::source_files(path)? {
            sources.push(dataset_validate::Source::new(SourceFile::read(&file)?)?);
        }
    }
    let counter = tokens::TokenCounter::new(args.encoding)?;
    let mut invalid: Vec<String> = Vec::new();
    for file in &dataset_files(&args.files)? {
        let text = source::read_dataset(file)?;
        let operation = operation_of(file, &text, args.profile.as_deref())?;
        let settings = dataset_validate::Settings {
            sources: &sources,
            system: args.system.as_deref(),
            counter: Some(&counter),
            max_tokens: args.max_tokens,
            strict: args.strict,
            format: args.format.map(format::Format::from),
            ..dataset_validate::Settings::new(&operation.system_prompt, &operation.mechanisms)
        };
        if let Some(message) = validate_file(file, &text, args, &settings, &counter)? {
            invalid.push(message);
        }
    }
    let Some(last) = invalid.pop() else {
        return Ok(());
    };
    for message in invalid {
        output::error(&anyhow::anyhow!(message));
    }
    Err(CheckFailed { message: last }.into())
}

/// One file's report; why it is not valid, if it is not.
fn validate_file(
    file: &Path,
    text: &str,
    args: &ValidateArgs,
    settings: &dataset_validate::Settings,
    counter: &tokens::TokenCounter,
) -> anyhow::Result<Option<String>> {
    let name = source::shown(file);
    let mut report = dataset_validate::validate(text, settings);
    if let (Some(repo), Some(manifest)) = (&args.repo, &args.manifest) {
        let faults = history_faults(repo, manifest, text, &report, settings.mechanisms)?;
        report.faults.extend(faults);
        report.faults.sort_by_key(|f| f.line);
    }
    let spread = dataset_validate::spread(&report.tokens);
    let over_budget = args.token_budget.filter(|&budget| spread.total > budget);
    output::to_stdout(&report::validate_report(
        name,
        &report,
        &spread,
        counter.encoding.name(),
        over_budget,
    ))?;
    let mut why = Vec::new();
    if !report.faults.is_empty() {
        why.push(format!("{} fault(s)", report.faults.len()));
    }
    if report.lines.is_empty() {
        why.push("no valid line".to_owned());
    }
    if let Some(budget) = over_budget {
        why.push(format!(
            "{} tokens, over the budget of {budget}",
            spread.total
        ));
    }
    Ok((!why.is_empty()).then(|| format!("{} is not valid: {}", name.display(), why.join(", "))))
}

/// `validate --repo`: the history dataset's code checked against the files at the commits its
/// manifest names, read from the repository (each file at a commit read and parsed once).
fn history_faults(
    repo: &Path,
    manifest: &Path,
    text: &str,
    report: &dataset_validate::Report,
    mechanisms: &[profile::Mechanism],
) -> anyhow::Result<Vec<dataset_validate::Fault>> {
    use std::rc::Rc;
    let repository = git::Repo::open(repo)?;
    let manifest_text = std::fs::read_to_string(manifest)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", manifest.display()))?;
    let mut cache: BTreeMap<(String, String), Rc<dataset_validate::CommitFile>> = BTreeMap::new();
    let mut read = |path: &str, commit: &str| -> Result<Rc<dataset_validate::CommitFile>, String> {
        let key = (path.to_owned(), commit.to_owned());
        if let Some(file) = cache.get(&key) {
            return Ok(file.clone());
        }
        let text = repository
            .file_at(commit, path)
            .map_err(|e| format!("{e:#}"))?
            .ok_or_else(|| format!("{path} is not in commit {commit}"))?;
        let source = SourceFile::from_text(Path::new(path), text);
        let items = source::on_big_stack(|| source.item_ranges())
            .map_err(|e| format!("{e:#}"))?
            .map_err(|e| format!("{e}"))?;
        let file = Rc::new(dataset_validate::CommitFile {
            blank_line: source.blank_line(),
            text: source.text,
            items,
        });
        cache.insert(key, file.clone());
        Ok(file)
    };
    dataset_validate::repo_faults(
        report,
        &manifest_text,
        &provenance::sha256_hex(text.as_bytes()),
        mechanisms,
        &mut read,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", manifest.display()))
}

pub(crate) fn stats(args: &StatsArgs) -> anyhow::Result<()> {
    let text = source::read_dataset(&args.file)?;
    let operation = operation_of(&args.file, &text, args.profile.as_deref())?;
    let counter = tokens::TokenCounter::new(args.encoding)?;
    let settings = dataset_validate::Settings {
        counter: Some(&counter),
        format: args.format.map(format::Format::from),
        ..dataset_validate::Settings::new(&operation.system_prompt, &operation.mechanisms)
    };
    let report = dataset_validate::validate(&text, &settings);
    let name = source::shown(&args.file);
    if report.lines.is_empty() {
        let message = if report.faults.is_empty() {
            format!(
                "{}: no line to summarize: the file is empty",
                name.display()
            )
        } else {
            format!(
                "{}: no valid line to summarize: {} line(s) with faults; run validate for details",
                name.display(),
                report.faults.len()
            )
        };
        return Err(CheckFailed { message }.into());
    }
    let mut stats = dataset_stats::stats(
        &report.lines,
        &report.tokens,
        counter.encoding.name(),
        report.format,
    );
    if let Some(path) = &args.manifest {
        let manifest_text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let notes = manifest::model_notes(&manifest_text, &provenance::sha256_hex(text.as_bytes()))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        stats.model = Some(tally::Tally::of_notes(&notes));
    }
    if !report.faults.is_empty() {
        output::status(&format!(
            "{}: {} line(s) with faults left out; run validate for details",
            name.display(),
            report.faults.len()
        ));
    }
    if args.json {
        output::to_stdout(&report::stats_json(&stats))
    } else {
        output::to_stdout(&report::stats_table(name, &stats))
    }
}

/// Review: the critic on every line of a dataset, through the model's cache; the report to
/// stdout or OUT, exit 1 when a sentence is flagged or a line has no verdict.
pub(crate) fn review(args: &ReviewArgs) -> anyhow::Result<()> {
    let plan = model::review_plan(&args.model, &args.dataset)?;
    let out = args.output.as_deref().unwrap_or(Path::new("-"));
    let mut named: Vec<(&'static str, &Path)> = vec![("", out), ("the model cache ", &plan.cache)];
    if let Some(export) = &plan.export {
        named.push(("the batch file ", export));
    }
    refuse_twice(&named)?;
    let mut protected = Protected::new();
    protected.profile(&args.profile);
    if source::is_stdio(&args.dataset) {
        protected.input(&args.dataset);
    } else {
        protected.file(Role::Dataset, &args.dataset);
    }
    let mut files = Vec::new();
    for path in &args.source {
        files.extend(source::source_files(path)?);
    }
    for file in &files {
        protected.file(Role::Source, file);
    }
    protected.check(&named)?;
    let profile = Profile::load(&args.profile)?;
    let text = source::read_dataset(&args.dataset)?;
    let name = source::shown(&args.dataset);
    if text.is_empty() {
        return Err(CheckFailed {
            message: format!("{}: no line to review: the file is empty", name.display()),
        }
        .into());
    }
    let mut sources = Vec::new();
    for file in &files {
        sources.push((file.display().to_string(), SourceFile::read(file)?.text));
    }
    let source = (!sources.is_empty()).then(|| review::joined_source(&sources));
    let settings = dataset_validate::Settings {
        system: args.system.as_deref(),
        format: args.format.map(format::Format::from),
        ..dataset_validate::Settings::new(profile.system_prompt(), &profile.file.mechanisms)
    };
    let read = dataset_validate::validate(&text, &settings);
    let driven = rounds::drive(&plan, |session| {
        Ok(review::review(session, &profile.llm, source.as_deref(), &read.lines).ok())
    })?;
    let mut done = match driven {
        Driven::Done(Some(done)) => done,
        Driven::Done(None) => anyhow::bail!("internal error: review waits for no call"),
        Driven::Exported { path, calls } => return exported(&path, calls),
    };
    // A line the reader could not take apart has a fault and no line; its first fault says why.
    let read_lines: BTreeSet<usize> = read.lines.iter().map(|l| l.number).collect();
    let mut not_read: BTreeMap<usize, &str> = BTreeMap::new();
    for fault in read.faults.iter().filter(|f| !read_lines.contains(&f.line)) {
        not_read.entry(fault.line).or_insert(&fault.message);
    }
    done.lines
        .extend(not_read.into_iter().map(|(line, why)| Reviewed {
            line,
            verdict: Verdict::NotRead(why.to_owned()),
        }));
    done.lines.sort_by_key(|r| r.line);
    let report_text = if args.json {
        report::review_json(&done.lines)
    } else {
        report::review_report(&done.lines)
    };
    output::to_file(out, &report_text)?;
    review_outcome(name, &done)
}

/// Review's summary on stderr, and exit 1 when any line is flagged or has no verdict.
fn review_outcome(name: &Path, done: &review::Review) -> anyhow::Result<()> {
    let count =
        |wanted: fn(&Verdict) -> bool| done.lines.iter().filter(|r| wanted(&r.verdict)).count();
    let flagged = count(|v| matches!(v, Verdict::Flagged(flags) if !flags.is_empty()));
    let sentences: usize = done
        .lines
        .iter()
        .map(|r| match &r.verdict {
            Verdict::Flagged(flags) => flags.len(),
            _ => 0,
        })
        .sum();
    let not_read = count(|v| matches!(v, Verdict::NotRead(_)));
    let no_verdict = count(|v| matches!(v, Verdict::NoVerdict(_)));
    output::status(&format!(
        "reviewed {} line(s) of {}: {flagged} with unsupported sentences ({sentences} in all), \
         {not_read} not read, {no_verdict} with no verdict; {}",
        done.lines.len(),
        name.display(),
        crate::dataset::tally::tokens(done.prompt_tokens, done.completion_tokens)
    ));
    let mut why = Vec::new();
    if flagged > 0 {
        why.push(format!(
            "{flagged} line(s) with {sentences} unsupported sentence(s)"
        ));
    }
    if not_read > 0 {
        why.push(format!("{not_read} line(s) not read"));
    }
    if no_verdict > 0 {
        why.push(format!(
            "{no_verdict} line(s) with no verdict from the critic"
        ));
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(CheckFailed {
        message: format!("{}: {}", name.display(), why.join(", ")),
    }
    .into())
}

/// Generating: resolve the profile and the input, run the pipeline, then list, check or write.
pub(crate) fn generate(cli: &GenerateArgs) -> anyhow::Result<()> {
    // The worker threads start now, while the input is read and the profile loads.
    source::pool()?;
    if cli.all_routes {
        return generate_all_routes(cli);
    }
    let options = generate_options(cli);
    // Where the outputs go is settled first, and checked against what the run reads as soon as
    // that is known: a refused run does no work and writes nothing.
    let plan = model::plan(&cli.llm, cli.write.output.as_deref(), cli.write.check)?;
    let destinations = Destinations::new(&cli.write, plan.as_ref())?;
    let mut protected = Protected::new();
    protected.profile(&cli.profile);
    let named_file = cli
        .input
        .clone()
        .filter(|path| source::is_stdio(path) || !path.is_dir());
    // With `-` and --manifest: what stdin held, as the manifest names a source.
    let mut stdin = None;
    let run = |options: &Options| match &named_file {
        Some(input) => {
            let (profile, result) = run_on_named_file(
                cli,
                input,
                options,
                &destinations,
                &mut protected,
                &mut stdin,
            )?;
            Ok((profile, input.clone(), result))
        }
        None => run_on_found_input(cli, options, &destinations, &mut protected),
    };
    let Some((profile, input, result)) = with_model_rounds(plan.as_ref(), &options, run)? else {
        return Ok(());
    };
    let extracted = allowing_empty(cli.allow_empty, result)?;
    for skipped in &extracted.skipped {
        output::error(&anyhow::anyhow!("{skipped}"));
    }
    let unparsed = (!extracted.skipped.is_empty() && !cli.keep_going).then(|| {
        anyhow::anyhow!(
            "{} file(s) under {} could not be read or parsed and were skipped (--keep-going to accept)",
            extracted.skipped.len(),
            input.display()
        )
    });
    if cli.list {
        put_list(destinations.out, &report::list_table(&extracted.rows))?;
        return unparsed.map_or(Ok(()), Err);
    }
    report_units_short(&extracted);
    if let Some(refused) = left_out(&extracted.dropped, &input, cli.write.strict) {
        // Files left unparsed are the graver fault: their error decides the exit code.
        return Err(match unparsed {
            Some(unparsed) => {
                output::error(&refused);
                unparsed
            }
            None => refused,
        });
    }
    // Every example left out is nothing to write, as in history mode, not an empty dataset.
    if extracted.examples.is_empty() && !extracted.dropped.is_empty() {
        let why = format!(
            "all {} example(s) of {} fail their check (see the warnings above)",
            extracted.dropped.len(),
            input.display()
        );
        nothing_to_write(cli.allow_empty, why)?;
    }
    let outputs = Outputs::new(
        &destinations,
        format::Format::from(cli.write.format),
        &profile,
        &extracted.examples,
        extracted.unit_count,
        extracted.dropped.len(),
        |sides, data, valid| {
            let read = ManifestInput {
                path: &input,
                stdin: stdin.as_ref(),
            };
            manifest_json(cli, &profile, read, &extracted, sides, data, valid)
        },
    )?;
    if let Some(tally) = tally::Tally::of(&extracted.examples) {
        output::status(&tally.line());
    }
    put_out(&outputs, cli.write.check)?;
    unparsed.map_or(Ok(()), Err)
}

/// A generating run, `run` with the templates, or with the model writer in as many passes as
/// the plan's rounds take; None when the run stopped to export its model calls (said).
fn with_model_rounds<T>(
    plan: Option<&rounds::Plan>,
    options: &Options,
    mut run: impl FnMut(&Options) -> anyhow::Result<T>,
) -> anyhow::Result<Option<T>> {
    let Some(plan) = plan else {
        return run(options).map(Some);
    };
    let driven = rounds::drive(plan, |session| {
        run(&Options {
            writer: model::writers(session),
            ..options.clone()
        })
    })?;
    match driven {
        Driven::Done(done) => Ok(Some(done)),
        Driven::Exported { path, calls } => exported(&path, calls).map(|()| None),
    }
}

/// A run that stopped to have its model calls answered through a Batch API file.
fn exported(path: &Path, calls: usize) -> anyhow::Result<()> {
    output::status(&format!(
        "wrote {calls} model call(s) the cache lacks to {}: run them with the OpenAI Batch API \
         (or vLLM's run_batch), then run this command again with --llm-import OUTPUT \
         (add --llm-export again for the next round of calls); nothing else was written",
        path.display()
    ));
    Ok(())
}

/// The pipeline's options from the command line.
fn generate_options(cli: &GenerateArgs) -> Options {
    Options {
        roots: cli
            .root
            .iter()
            .map(|name| (name.clone(), select::Reason::RootFlag))
            .collect(),
        variants: cli.variants.map(usize::from),
        imports: cli.imports.into(),
        context: Vec::new(),
        writer: pipeline::Writers::Templates,
        // The templates read no context; the model reads it.
        context_for_writer: cli.llm.writer == crate::cli::WriterArg::Llm,
        crate_items: None,
    }
}

/// A file named on the command line (or `-`) is parsed while the profile loads; the errors
/// still come in the order the steps would run one after the other. Returns the profile and
/// the run's result; an error here (the outputs refused, the profile not loaded) ends the run.
fn run_on_named_file(
    cli: &GenerateArgs,
    input: &Path,
    options: &Options,
    destinations: &Destinations,
    protected: &mut Protected,
    stdin: &mut Option<provenance::FileFacts>,
) -> anyhow::Result<(Profile, anyhow::Result<Extracted>)> {
    protected.input(input);
    protected.check(&destinations.named())?;
    // Kept here, so that it outlives a run that fails after it loaded.
    let loaded = std::sync::OnceLock::new();
    // A route's profile reads the crate's route table on the worker threads: it is found
    // before the file is parsed on them, not beside it.
    if cli.route.is_some() {
        let _ = loaded.set(load_profile(cli)?);
    }
    let load = || -> anyhow::Result<&Profile> {
        if let Some(profile) = loaded.get() {
            return Ok(profile);
        }
        let profile = load_profile(cli)?;
        Ok(loaded.get_or_init(|| profile))
    };
    let result = match SourceFile::read(input) {
        Ok(source) => {
            if source::is_stdio(input) && destinations.manifest.is_some() {
                *stdin = Some(stdin_facts(&source));
            }
            pipeline::extract_loading(&source, load, options)
        }
        Err(err) => load().and(Err(err)),
    };
    // No profile means the run stopped at it: its error is the result.
    let Some(profile) = loaded.into_inner() else {
        return Err(match result {
            Err(err) => err,
            Ok(_) => anyhow::anyhow!("internal error: a run without its profile"),
        });
    };
    Ok((profile, result))
}

/// The profile loaded first, then the input: the folder or file given, or the profile's default
/// input found from here. A folder is walked, and its files protected, before the run.
/// Returns the profile, the input and the run's result.
fn run_on_found_input(
    cli: &GenerateArgs,
    options: &Options,
    destinations: &Destinations,
    protected: &mut Protected,
) -> anyhow::Result<(Profile, PathBuf, anyhow::Result<Extracted>)> {
    let profile = load_profile(cli)?;
    let input = match &cli.input {
        Some(path) => path.clone(),
        None => {
            let inputs = &profile.file.inputs;
            let found = source::find_default_input(Path::new("."), &inputs.files, &inputs.crates)?;
            output::status(&format!("reading {}", found.display()));
            found
        }
    };
    let result = if input.is_dir() {
        let guard = |walked: &[PathBuf]| {
            for file in walked {
                protected.file(Role::CrateSource, file);
            }
            protected.check(&destinations.named())
        };
        extract_crate(cli, &profile, &input, options, guard)
    } else {
        protected.input(&input);
        protected.check(&destinations.named())?;
        SourceFile::read(&input).and_then(|source| pipeline::extract(&source, &profile, options))
    };
    Ok((profile, input, result))
}

/// The run's result, where an empty selection under `--allow-empty` is no examples (said on
/// stderr) rather than an error.
fn allowing_empty(
    allow_empty: bool,
    result: anyhow::Result<Extracted>,
) -> anyhow::Result<Extracted> {
    match result {
        Err(err) if allow_empty && err.is::<EmptySelection>() => {
            let summary = err
                .downcast_ref::<EmptySelection>()
                .map(EmptySelection::summary);
            output::status(&format!(
                "{}; --allow-empty: no examples",
                summary.unwrap_or_default()
            ));
            Ok(Extracted::default())
        }
        other => other,
    }
}

/// Says which units were left out for repeating another's code, and which gave fewer distinct
/// examples than asked.
fn report_units_short(extracted: &Extracted) {
    for duplicate in &extracted.duplicates {
        output::status(&format!(
            "{} in {} is left out: {} has the same code",
            duplicate.unit, duplicate.file, duplicate.kept
        ));
    }
    for short in &extracted.shortfalls {
        output::status(&format!(
            "{}: {} distinct examples, not {}: every further phrasing would repeat one",
            short.unit, short.made, short.asked
        ));
    }
}

/// Warns of each example left out because its text fails the check; under `--strict`, the
/// error that refuses to write anything when there is one.
fn left_out(
    dropped: &[crate::dataset::example::Dropped],
    input: &Path,
    strict: bool,
) -> Option<anyhow::Error> {
    for one in dropped {
        output::warning(&report::dropped_line(one, input));
    }
    (strict && !dropped.is_empty()).then(|| {
        CheckFailed {
            message: format!(
                "{} example(s) fail their check (see the warnings above); --strict: nothing written",
                dropped.len()
            ),
        }
        .into()
    })
}

/// What stdin held, as the manifest gives a source: the sha256 of its bytes as read (a
/// byte-order mark put back), no commit.
fn stdin_facts(source: &SourceFile) -> provenance::FileFacts {
    let bom = if source.bom { "\u{feff}" } else { "" };
    provenance::FileFacts {
        sha256: provenance::sha256_hex([bom, source.text.as_str()].concat().as_bytes()),
        bom: source.bom,
        commit: None,
    }
}

/// `--list`'s table: to stdout, or to OUT as any output is written.
fn put_list(out: Option<&Path>, table: &str) -> anyhow::Result<()> {
    match out {
        Some(path) if !source::is_stdio(path) => {
            output::to_file(path, table)?;
            output::status(&format!("wrote the list to {}", path.display()));
            Ok(())
        }
        _ => output::to_stdout(table),
    }
}

/// Crate mode: the crate INPUT holds (or is), walked with a progress bar on a terminal.
/// `guard` is shown every file the walk found before any is parsed, and may stop the run.
fn extract_crate(
    cli: &GenerateArgs,
    profile: &Profile,
    input: &Path,
    options: &Options,
    guard: impl FnOnce(&[PathBuf]) -> anyhow::Result<()>,
) -> anyhow::Result<Extracted> {
    let focus = cli
        .focus
        .clone()
        .unwrap_or(profile.file.inputs.focus.clone());
    let choice = tree::locate_crate(input, &focus, &profile.file.inputs.crate_folders())?;
    if let Some(note) = report::crate_choice(input, &choice, &focus) {
        output::status(&note);
    }
    let progress = output::Progress::start();
    let reporter = progress.clone();
    let tree_options = tree::TreeOptions {
        focus,
        include: cli.include.clone(),
        exclude: cli.exclude.clone(),
        depth: cli.depth,
        progress: tree::ProgressHook::new(move |done, total| reporter.files(done, total)),
    };
    let files = tree::walk(&choice.root, &tree_options)?;
    guard(&files)?;
    let result = pipeline::extract_walked(&choice.root, &files, &tree_options, profile, options);
    progress.finish();
    result
}

/// Writes a run's outputs, or under `--check` compares them, and says so on stderr.
fn put_out(outputs: &Outputs, check: bool) -> anyhow::Result<()> {
    match outputs.out {
        Some(_) if check => {
            outputs.check()?;
            for (path, _) in outputs.files() {
                output::status(&format!("{} is current", path.display()));
            }
        }
        Some(out) => {
            // The data, its validation file and the manifest: all replaced, or none.
            output::to_files(outputs.files())?;
            output::status(&outputs.summary(&output::shown(out)));
            if let Some(split) = &outputs.split {
                output::status(&split.shares());
                if let Some(warning) = split.coarseness() {
                    output::status(&warning);
                }
            }
        }
        None => {
            output::to_stdout(&outputs.data)?;
            output::to_files(outputs.files())?;
            output::status(&outputs.summary("stdout"));
        }
    }
    Ok(())
}

/// Where a run's outputs go, settled from the command line before any work: OUT (None:
/// stdout), the validation file with the share it takes under `--valid`, the manifest.
struct Destinations<'a> {
    out: Option<&'a Path>,
    valid: Option<(f64, PathBuf)>,
    manifest: Option<&'a Path>,
    /// The model writer's files: its cache, and the Batch API file it may export.
    model: Vec<(&'static str, PathBuf)>,
}

impl<'a> Destinations<'a> {
    /// Refuses a validation file with no place to go and two outputs on one file.
    fn new(write: &'a WriteArgs, plan: Option<&rounds::Plan>) -> anyhow::Result<Destinations<'a>> {
        let out = write.output.as_deref();
        let valid = match write.valid {
            Some(fraction) => Some((fraction, valid_file(out, write.valid_output.as_deref())?)),
            None => None,
        };
        let destinations = Destinations {
            out,
            valid,
            manifest: write.manifest.as_deref(),
            model: model_outputs(plan),
        };
        refuse_twice(&destinations.named())?;
        Ok(destinations)
    }

    /// Every output with what messages call it ("" for OUT): the validation file, OUT (`-` for
    /// stdout), the manifest.
    fn named(&self) -> Vec<(&'static str, &Path)> {
        let mut named: Vec<(&'static str, &Path)> = Vec::new();
        if let Some((_, path)) = &self.valid {
            named.push(("the validation file ", path));
        }
        named.push(("", self.out.unwrap_or(Path::new("-"))));
        if let Some(path) = self.manifest {
            named.push(("the manifest ", path));
        }
        for (what, path) in &self.model {
            named.push((what, path));
        }
        named
    }
}

/// Refuses two outputs on one file: `named` as [`Destinations::named`] gives them. Each path
/// is looked up on disk once, however many outputs there are (an `--all-routes` folder has
/// two for every operation).
fn refuse_twice(named: &[(&'static str, &Path)]) -> anyhow::Result<()> {
    let places: Vec<OutputPlace> = named
        .iter()
        .map(|&(_, path)| OutputPlace::of(path))
        .collect();
    for (i, &(what, path)) in named.iter().enumerate() {
        if let Some(o) = places[..i].iter().position(|o| o.same(&places[i])) {
            let noun = |what: &'static str| match what.trim_end() {
                "" => "OUT",
                noun => noun,
            };
            anyhow::bail!(
                "refusing to write {} twice: {} and {} need paths of their own",
                output::shown(path),
                noun(named[o].0),
                noun(what)
            );
        }
    }
    Ok(())
}

/// Where `--valid` puts the validation share: `--valid-output`, else beside OUT; stdout and a
/// FIFO or device have no folder to put it beside.
fn valid_file(out: Option<&Path>, chosen: Option<&Path>) -> anyhow::Result<PathBuf> {
    match (chosen, out) {
        (Some(path), _) => Ok(path.to_path_buf()),
        (None, Some(out)) if !output::is_stream(out) => Ok(split::valid_path(out)),
        (None, Some(out)) if !source::is_stdio(out) => anyhow::bail!(
            "--valid: {} is written in place (a FIFO, a device or a descriptor), with no folder \
             to put the validation file in; give --valid-output PATH",
            out.display()
        ),
        (None, _) => anyhow::bail!(
            "--valid: the data goes to stdout, with no folder to put the validation file in; \
             give -o OUT or --valid-output PATH"
        ),
    }
}

/// Where an output lands, read once: two outputs land on one file or stream when both are
/// stdout, their paths are equal, they lead to one file once links are followed, or they are
/// two names of one file.
struct OutputPlace<'a> {
    path: &'a Path,
    stdio: bool,
    resolved: Option<PathBuf>,
    id: Option<protected::FileId>,
}

impl<'a> OutputPlace<'a> {
    fn of(path: &'a Path) -> OutputPlace<'a> {
        let stdio = source::is_stdio(path);
        OutputPlace {
            path,
            stdio,
            // None for stdout, as for a FIFO or a device.
            resolved: protected::resolved(path),
            // `-` is no file to stat.
            id: if stdio {
                None
            } else {
                protected::file_id(path)
            },
        }
    }

    fn same(&self, other: &OutputPlace) -> bool {
        if self.stdio || other.stdio {
            return self.stdio && other.stdio;
        }
        self.path == other.path
            || self.resolved.is_some() && self.resolved == other.resolved
            || self.id.is_some() && self.id == other.id
    }
}

/// What a generating run puts out: the data in its wire format, the validation share under
/// `--valid`, the manifest under `--manifest`, with the counts the summary gives.
struct Outputs<'a> {
    out: Option<&'a Path>,
    data: String,
    valid: Option<(PathBuf, String)>,
    manifest: Option<(&'a Path, String)>,
    /// Examples and units on each side, train first.
    counts: [(usize, usize); 2],
    /// Examples left out because their text fails the check.
    dropped: usize,
    /// Under `--valid`: the sides and the shares they came to.
    split: Option<split::Split>,
}

impl<'a> Outputs<'a> {
    /// `manifest` makes the manifest's text from each example's side, the data and the
    /// validation file.
    fn new(
        destinations: &Destinations<'a>,
        format: format::Format,
        profile: &Profile,
        examples: &[crate::dataset::example::Example],
        unit_count: usize,
        dropped: usize,
        manifest: impl FnOnce(&[Side], &str, &Option<(PathBuf, String)>) -> anyhow::Result<String>,
    ) -> anyhow::Result<Outputs<'a>> {
        let system = profile.system_prompt();
        let fraction = destinations.valid.as_ref().map(|(f, _)| *f);
        // Without --valid every example trains.
        let split = fraction.map(|fraction| split::assign(examples, fraction));
        let sides = match &split {
            Some(split) => split.sides.clone(),
            None => vec![Side::Train; examples.len()],
        };
        let side = |wanted: Side| on_side(examples, &sides, wanted);
        let count = |wanted: Side| {
            let units: BTreeSet<&str> = side(wanted).map(|e| e.unit.as_str()).collect();
            (side(wanted).count(), units.len())
        };
        let counts = match fraction {
            Some(_) => [count(Side::Train), count(Side::Valid)],
            None => [(examples.len(), unit_count), (0, 0)],
        };
        let data = format.to_jsonl(side(Side::Train), system);
        let valid = destinations
            .valid
            .as_ref()
            .map(|(_, path)| (path.clone(), format.to_jsonl(side(Side::Valid), system)));
        let manifest = match destinations.manifest {
            Some(path) => Some((path, manifest(&sides, &data, &valid)?)),
            None => None,
        };
        Ok(Outputs {
            out: destinations.out,
            data,
            valid,
            manifest,
            counts,
            dropped,
            split,
        })
    }

    /// Every file to write or compare, with its text: the validation file, OUT, the manifest.
    fn files(&self) -> Vec<(&Path, &str)> {
        let mut files: Vec<(&Path, &str)> = Vec::new();
        if let Some((path, text)) = &self.valid {
            files.push((path, text));
        }
        if let Some(out) = self.out {
            files.push((out, &self.data));
        }
        if let Some((path, text)) = &self.manifest {
            files.push((path, text));
        }
        files
    }

    /// `--check`: every file current, or each stale one said; a manifest made by another
    /// version says which.
    fn check(&self) -> anyhow::Result<()> {
        let mut stale = Vec::new();
        for (path, expected) in self.files() {
            let found = output::read_existing(path)?;
            let is_manifest = self.manifest.as_ref().is_some_and(|(m, _)| *m == path);
            let difference = if is_manifest {
                let found = found.as_deref().map(manifest::comparable);
                report::staleness(path, &manifest::comparable(expected), found.as_deref())
            } else {
                report::staleness(path, expected, found.as_deref())
            };
            let Some(mut message) = difference else {
                continue;
            };
            if is_manifest
                && let Some(version) = found.as_deref().and_then(manifest::version_of)
                && version != manifest::VERSION
            {
                message.push_str(&format!(
                    "\n  made by svix-distill {version}, this is {}",
                    manifest::VERSION
                ));
            }
            stale.push(message);
        }
        if stale.is_empty() {
            return Ok(());
        }
        Err(CheckFailed {
            message: stale.join("\n"),
        }
        .into())
    }

    /// The summary line, the data having gone to `destination`.
    fn summary(&self, destination: &str) -> String {
        let [(examples, units), (valid_examples, valid_units)] = self.counts;
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let mut summary = format!(
            "wrote {} ({}) to {destination}",
            plural(examples, "example"),
            plural(units, "unit")
        );
        if let Some((path, _)) = &self.valid {
            summary.push_str(&format!(
                " and {} ({}) to {}",
                plural(valid_examples, "example"),
                plural(valid_units, "unit"),
                path.display()
            ));
        }
        if let Some((path, _)) = &self.manifest {
            summary.push_str(&format!(", the manifest to {}", path.display()));
        }
        if self.dropped > 0 {
            summary.push_str(&format!(
                "; {} dropped: {}",
                plural(self.dropped, "example"),
                if self.dropped == 1 {
                    "it fails its check"
                } else {
                    "they fail their check"
                }
            ));
        }
        summary
    }
}

/// INPUT as the manifest describes it: its path, and with `-` what stdin held (which cannot be
/// read again).
struct ManifestInput<'a> {
    path: &'a Path,
    stdin: Option<&'a provenance::FileFacts>,
}

/// The manifest of a generating run, as the JSON text to write or compare.
fn manifest_json(
    cli: &GenerateArgs,
    profile: &Profile,
    read: ManifestInput,
    extracted: &Extracted,
    sides: &[Side],
    jsonl: &str,
    valid: &Option<(PathBuf, String)>,
) -> anyhow::Result<String> {
    let input = read.path;
    let crate_mode = input.is_dir();
    // Every file a slice comes from, and in single-file mode the input even with no example.
    let mut paths: Vec<&Path> = extracted
        .examples
        .iter()
        .flat_map(|e| e.slices.iter().map(|s| s.path.as_path()))
        .collect();
    if !crate_mode {
        paths.push(source::shown(input));
    }
    let mut files = BTreeMap::new();
    for path in paths {
        if let std::collections::btree_map::Entry::Vacant(entry) =
            files.entry((path.to_path_buf(), None))
        {
            let facts = match read.stdin {
                Some(stdin) if path == Path::new(source::STDIN) => stdin.clone(),
                _ => provenance::read(path)?,
            };
            entry.insert(facts);
        }
    }
    let options = manifest::RunOptions {
        imports: imports_name(cli.imports),
        variants: cli.variants.map(usize::from),
        roots: cli.root.clone(),
        valid: cli.write.valid,
        tree: crate_mode.then(|| manifest::TreeOptions {
            focus: cli
                .focus
                .clone()
                .unwrap_or(profile.file.inputs.focus.clone()),
            include: cli.include.clone(),
            exclude: cli.exclude.clone(),
            depth: cli.depth,
        }),
        history: None,
    };
    let run = manifest::Run {
        profile: profile.name(),
        format: cli.write.format.into(),
        input,
        mode: if crate_mode {
            manifest::Mode::Crate
        } else {
            manifest::Mode::File
        },
        options,
        output: manifest::Written::new(cli.write.output.as_deref(), jsonl),
        valid: valid
            .as_ref()
            .map(|(path, text)| manifest::Written::new(Some(path), text)),
    };
    let built = manifest::build(run, &extracted.examples, sides, &files, &extracted.dropped);
    Ok(manifest::to_json(&built))
}

/// History mode: read the repository's history of the profile's file (or `--path`), pair each
/// commit's message with the items it changed, then list, check or write.
pub(crate) fn history(args: &HistoryArgs) -> anyhow::Result<()> {
    if args.all_routes {
        return history_all_routes(args);
    }
    let plan = model::plan(&args.llm, args.write.output.as_deref(), args.write.check)?;
    let destinations = Destinations::new(&args.write, plan.as_ref())?;
    let repo = git::Repo::open(&args.repo)?;
    let (profile, route_folders) = match &args.route {
        None => (Profile::load(&args.profile)?, Vec::new()),
        Some(route) => history_route_profile(&repo, route, &args.until)?,
    };
    let paths = history_paths(args, &profile, route_folders)?;
    // Before the history is read: no output may be a file the repository holds.
    let mut protected = Protected::new();
    protected.profile(&args.profile);
    protected.repository(&repo)?;
    protected.check(&destinations.named())?;
    let options = HistoryOptions {
        paths: paths.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        imports: args.imports.into(),
        // The templates read no context; the model reads it.
        context_for_writer: plan.is_some(),
    };
    let read_history = |writer: &dyn crate::write::Writer| {
        let progress = output::Progress::start();
        let reporter = progress.clone();
        let hook = tree::ProgressHook::new(move |done, total| reporter.files(done, total));
        let result = pipeline::extract_history(&repo, &profile, &options, &hook, writer);
        progress.finish();
        result
    };
    let history = match &plan {
        None => read_history(&pipeline::template_writer(&profile))?,
        Some(plan) => {
            let driven = rounds::drive(plan, |session| {
                read_history(&model::writer(session, &profile))
            })?;
            match driven {
                Driven::Done(history) => history,
                Driven::Exported { path, calls } => return exported(&path, calls),
            }
        }
    };
    if history.rows.is_empty() && args.since.is_none() {
        anyhow::bail!(
            "no commit up to {} in {} changed {} (is the path relative to the repository's root?)",
            args.until,
            args.repo.display(),
            paths.join(", ")
        );
    }
    let none_after = args
        .since
        .as_ref()
        .filter(|_| history.rows.is_empty())
        .map(|since| format!("no commit after {since} changed {}", paths.join(", ")));
    if args.list {
        if let Some(why) = none_after {
            nothing_to_write(args.allow_empty, why)?;
        }
        return put_list(destinations.out, &report::history_table(&history.rows));
    }
    if !history.rows.is_empty() {
        output::status(&report::history_summary(&history));
    }
    if let Some(refused) = left_out(&history.dropped, &args.repo, args.write.strict) {
        return Err(refused);
    }
    say_when_no_version_has_items(&history, &paths, &profile);
    if history.examples.is_empty() {
        let why = none_after.unwrap_or_else(|| {
            format!(
                "none of the {} commit(s) that changed {} gave an example",
                history.rows.len(),
                paths.join(", ")
            )
        });
        nothing_to_write(args.allow_empty, why)?;
    }
    let units = history
        .examples
        .iter()
        .map(|e| e.unit.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    let outputs = Outputs::new(
        &destinations,
        format::Format::from(args.write.format),
        &profile,
        &history.examples,
        units,
        history.dropped.len(),
        |sides, data, valid| {
            Ok(history_manifest(
                args, &profile, &paths, &history, sides, data, valid,
            ))
        },
    )?;
    if let Some(tally) = tally::Tally::of(&history.examples) {
        output::status(&tally.line());
    }
    put_out(&outputs, args.write.check)
}

/// The crate of a repository at a revision, written out to a temporary folder (its `.rs` files
/// and `Cargo.toml`s), for the route table, which reads files from disk: the table of the
/// newest revision a history reads, whatever the work tree holds (or a bare repository).
struct CrateAt {
    /// Dropped with the value: the folder goes.
    _dir: tempfile::TempDir,
    /// The crate's folder in the temporary folder.
    root: PathBuf,
    /// The crate's folder relative to the repository's root, with `/` (empty for the root).
    prefix: String,
    files: Vec<PathBuf>,
    /// `REPO at REV`, for messages.
    shown: String,
}

impl CrateAt {
    /// The route table's file (relative to the crate) relative to the repository's root.
    fn in_repo(&self, file: &Path) -> String {
        let file = file.to_string_lossy().replace('\\', "/");
        match self.prefix.is_empty() {
            true => file,
            false => format!("{}/{file}", self.prefix),
        }
    }

    /// An error about the temporary folder, naming the crate as the repository holds it.
    fn named(&self, err: anyhow::Error) -> anyhow::Error {
        let text = format!("{err:#}").replace(&self.root.display().to_string(), &self.shown);
        anyhow::anyhow!("{text}")
    }

    /// Its route table (exit 1 when it registers no route).
    fn route_table(&self) -> anyhow::Result<route_table::RouteTable> {
        let table = route_table::route_table(&self.root, &self.files).map_err(|e| self.named(e))?;
        if table.routes.is_empty() {
            return Err(self.named(
                NoRoutes {
                    root: self.root.clone(),
                    files: table.files,
                }
                .into(),
            ));
        }
        Ok(table)
    }
}

/// The crate `repo` holds at `until`: the first of the built-in profiles' default crate
/// folders (server/svix-server), else the shallowest crate, as `routes` picks one.
fn crate_at(repo: &git::Repo, until: &str) -> anyhow::Result<CrateAt> {
    let commit = repo.resolve(until)?;
    let preferred = profile::built_in_crate_folders()?;
    let skip = |name: &str| name.starts_with('.') || tree::SKIPPED_FOLDERS.contains(&name);
    let wanted =
        |path: &str| path.ends_with(".rs") || path.rsplit('/').next() == Some("Cargo.toml");
    // The preferred crates alone first: unless the root is a crate itself (a `src/` of its
    // own), `locate_crate` takes the first of them that is a crate with sources, and whether
    // one is depends only on its own files, so the choice is the one a copy of the whole tree
    // gives, without writing the repository's other crates (svix-webhooks: 83 files of 461).
    // Else the whole tree.
    let in_preferred = |path: &str| {
        preferred.iter().any(|folder| {
            path.strip_prefix(folder.as_str())
                .is_some_and(|p| p.starts_with('/'))
        })
    };
    let mut dir = tempfile::tempdir().context("cannot make a temporary folder")?;
    let mut choice = None;
    if !repo.is_folder_at(commit, "src")? {
        repo.copy_out(commit, dir.path(), &skip, &|path| {
            wanted(path) && in_preferred(path)
        })?;
        let found = tree::locate_crate(dir.path(), "**/*.rs", &preferred)?;
        let is_preferred = preferred.iter().any(|f| found.root == dir.path().join(f));
        choice = is_preferred.then_some(found);
    }
    let choice = match choice {
        Some(choice) => choice,
        None => {
            dir = tempfile::tempdir().context("cannot make a temporary folder")?;
            repo.copy_out(commit, dir.path(), &skip, &wanted)?;
            tree::locate_crate(dir.path(), "**/*.rs", &preferred)?
        }
    };
    let prefix = choice
        .root
        .strip_prefix(dir.path())
        .unwrap_or(Path::new(""))
        .to_string_lossy()
        .replace('\\', "/");
    let shown = match prefix.is_empty() {
        true => format!("{} at {until}", repo.shown.display()),
        false => format!("{prefix} in {} at {until}", repo.shown.display()),
    };
    let files = tree::walk(&choice.root, &tree::TreeOptions::for_focus(""))?;
    Ok(CrateAt {
        root: choice.root,
        _dir: dir,
        prefix,
        files,
        shown,
    })
}

/// What a history follows for `files` (relative to the repository's root): the folder that
/// holds most of them (`src/v1/endpoints`, with its subfolders), and the folder of each other
/// one; but a file whose folder holds that main folder (a handler in the crate's `lib.rs`) is
/// followed alone, not with the whole crate below it. None inside another.
fn covering_folders(files: impl IntoIterator<Item = String>) -> Vec<String> {
    let files: BTreeSet<String> = files.into_iter().collect();
    let folder_of = |f: &str| {
        f.rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_owned())
    };
    let within =
        |inner: &str, outer: &str| outer.is_empty() || inner.starts_with(&format!("{outer}/"));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        *counts.entry(folder_of(file)).or_default() += 1;
    }
    // The first of the folders with most files, in path order: the shallowest of equals.
    let main = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(folder, _)| folder.clone())
        .unwrap_or_default();
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for file in &files {
        let folder = folder_of(file);
        let holds_main = folder != main && within(&main, &folder);
        paths.insert(if holds_main { file.clone() } else { folder });
    }
    let all: Vec<String> = paths.iter().cloned().collect();
    paths.retain(|p| !all.iter().any(|o| o != p && within(p, o)));
    paths.into_iter().collect()
}

/// `history --route ROUTE`: the profile generation's `--route` gives the route, looked up in the
/// crate at `until`, and the folders of its handler and router files.
fn history_route_profile(
    repo: &git::Repo,
    route: &str,
    until: &str,
) -> anyhow::Result<(Profile, Vec<String>)> {
    let at = crate_at(repo, until)?;
    let row = find_route(route, &at.root).map_err(|e| at.named(e))?;
    let (text, built_in) = route_profile_text(route, &at.root).map_err(|e| at.named(e))?;
    let profile = match built_in {
        Some(name) => {
            output::status(&format!("{route}: the built-in profile {name} covers it"));
            Profile::load(&name)?
        }
        None => Profile::from_toml(&text, &format!("the profile derived from {route}"))?,
    };
    let mut files = vec![at.in_repo(&row.registered.file)];
    files.extend(row.defined.as_ref().map(|d| at.in_repo(&d.file)));
    Ok((profile, covering_folders(files)))
}

/// `history --all-routes -o DIR`: every operation of the repository's crate (its route table at
/// `--until`), over one reading of the handler files' folders' history, each commit's items
/// split by operation; written as generation's `--all-routes` writes its folder.
fn history_all_routes(args: &HistoryArgs) -> anyhow::Result<()> {
    let counter = tokens::Warming::start(tokens::Encoding::O200kBase);
    let dir = operations_dir(args.write.output.as_deref())?;
    let repo = git::Repo::open(&args.repo)?;
    let at = crate_at(&repo, &args.until)?;
    let table = at.route_table()?;
    let (operations, without) = route_operations(&table)?;
    let handler_files = operations
        .iter()
        .flat_map(|o| &o.handlers)
        .map(|(file, _)| at.in_repo(file));
    let paths = history_paths(
        args,
        &operations[0].profile,
        covering_folders(handler_files),
    )?;
    output::status(&format!(
        "{} operations of {}; following {}",
        operations.len(),
        at.shown,
        paths.join(", ")
    ));
    let plan = model::plan_for_operations(&args.llm, &dir, args.write.check)?;
    let mut protected = Protected::new();
    protected.repository(&repo)?;
    check_operation_outputs(&protected, &dir, &operations, &args.write, plan.as_ref())?;
    let union = union_profile(&operations, Path::new(&at.shown))?;
    let options = HistoryOptions {
        paths: paths.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        imports: args.imports.into(),
        context_for_writer: plan.is_some(),
    };
    let history_operations: Vec<pipeline::HistoryOperation> = operations
        .iter()
        .map(|o| pipeline::HistoryOperation {
            profile: &o.profile,
            handlers: o.handlers.iter().map(|(_, name)| name.clone()).collect(),
        })
        .collect();
    let read_history = |writers: &[&dyn crate::write::Writer]| {
        let progress = output::Progress::start();
        let reporter = progress.clone();
        let hook = tree::ProgressHook::new(move |done, total| reporter.files(done, total));
        let result = pipeline::extract_history_operations(
            &repo,
            &union,
            &history_operations,
            &options,
            &hook,
            writers,
        );
        progress.finish();
        result
    };
    let (rows, parts) = match &plan {
        None => {
            let made: Vec<_> = operations
                .iter()
                .map(|o| pipeline::template_writer(&o.profile))
                .collect();
            let writers: Vec<&dyn crate::write::Writer> = made
                .iter()
                .map(|w| w as &dyn crate::write::Writer)
                .collect();
            read_history(&writers)?
        }
        Some(plan) => {
            let driven = rounds::drive(plan, |session| {
                let made: Vec<_> = operations
                    .iter()
                    .map(|o| model::writer(session, &o.profile))
                    .collect();
                let writers: Vec<&dyn crate::write::Writer> = made
                    .iter()
                    .map(|w| w as &dyn crate::write::Writer)
                    .collect();
                read_history(&writers)
            })?;
            match driven {
                Driven::Done(done) => done,
                Driven::Exported { path, calls } => return exported(&path, calls),
            }
        }
    };
    let summary = history::History {
        folder: true,
        rows,
        examples: parts
            .iter()
            .flat_map(|p| p.checked.examples.iter().cloned())
            .collect(),
        ..Default::default()
    };
    if !summary.rows.is_empty() {
        output::status(&report::history_summary(&summary));
    }
    for part in &parts {
        if let Some(refused) = left_out(&part.checked.dropped, &args.repo, args.write.strict) {
            return Err(refused);
        }
    }
    let datasets: Vec<OperationDataset> = parts
        .iter()
        .map(|part| OperationDataset {
            examples: &part.checked.examples,
            dropped: &part.checked.dropped,
            shared: &part.shared,
            sources: history_sources(&part.checked.sources),
        })
        .collect();
    let folder = history_folder(args, &repo, &dir, &paths)?;
    let written = write_operations(&folder, &operations, &datasets, without, counter);
    drop((datasets, history_operations));
    source::drop_aside((parts, summary, operations, union, table));
    written
}

/// A history's sources as a manifest names them: each file at its commit.
fn history_sources(
    sources: &BTreeMap<(String, String), SourceFile>,
) -> BTreeMap<manifest::FileKey, provenance::FileFacts> {
    sources
        .iter()
        .map(|((path, commit), file)| {
            (
                (PathBuf::from(path), Some(commit.clone())),
                provenance::FileFacts {
                    sha256: provenance::sha256_hex(file.text.as_bytes()),
                    bom: false,
                    commit: Some(commit.clone()),
                },
            )
        })
        .collect()
}

/// What a history run follows: `--path` (a folder as shell completion ends it, `/`, is the
/// folder), else `--route`'s folders, else the profile's first default file.
fn history_paths(
    args: &HistoryArgs,
    profile: &Profile,
    route_folders: Vec<String>,
) -> anyhow::Result<Vec<String>> {
    if !args.path.is_empty() {
        // Git's paths never end in `/`.
        return Ok(args
            .path
            .iter()
            .map(|p| p.trim_end_matches('/').to_owned())
            .collect());
    }
    if !route_folders.is_empty() {
        return Ok(route_folders);
    }
    match profile.file.inputs.files.first() {
        Some(file) => Ok(vec![file.clone()]),
        None => anyhow::bail!(
            "profile {} names no default file: give --path FILE or --path FOLDER",
            profile.name()
        ),
    }
}

/// The options of a history run, as its manifest gives them.
fn history_run_options(args: &HistoryArgs, paths: &[String]) -> manifest::RunOptions {
    manifest::RunOptions {
        imports: imports_name(args.imports),
        variants: None,
        roots: Vec::new(),
        valid: args.write.valid,
        tree: None,
        history: Some(manifest::HistoryOptions {
            paths: paths.to_vec(),
            since: args.since.clone(),
            until: args.until.clone(),
        }),
    }
}

/// What a history's `--all-routes` folder says of its run: the options, the card.
fn history_folder<'a>(
    args: &'a HistoryArgs,
    repo: &git::Repo,
    dir: &'a Path,
    paths: &[String],
) -> anyhow::Result<OperationsFolder<'a>> {
    let options = history_run_options(args, paths);
    let mut command_line = vec!["history".to_owned(), "--all-routes".to_owned()];
    for path in &args.path {
        command_line.extend(["--path".to_owned(), path.clone()]);
    }
    if let Some(since) = &args.since {
        command_line.extend(["--since".to_owned(), since.clone()]);
    }
    command_line.extend(shaping_options(
        &args.write,
        &args.llm,
        None,
        (args.imports, crate::cli::ImportsArg::Used),
    ));
    let work_tree = repo.dirs().work_tree.unwrap_or_else(|| args.repo.clone());
    let folder = OperationsFolder {
        dir,
        format: args.write.format,
        valid: args.write.valid,
        check: args.write.check,
        input: &args.repo,
        mode: manifest::Mode::History,
        options,
        card: crate::dataset::card::Card {
            repository: provenance::source_repository(&work_tree),
            commit: Some(repo.resolve(&args.until)?.to_string()),
            license: source_license(&work_tree),
            tool_version: manifest::VERSION.to_owned(),
            options: command_line,
            configs: Vec::new(),
        },
        none_reached: "no commit read changed an item it reaches",
    };
    Ok(folder)
}

/// A history whose versions hold none of the profile's items says so on stderr: the root
/// routes exist nowhere it looked (for one file, perhaps in another file's router).
fn say_when_no_version_has_items(history: &history::History, paths: &[String], profile: &Profile) {
    let no_items = history.rows.iter().all(|r| {
        r.added.is_empty() && r.changed.is_empty() && r.removed.is_empty() && r.moved.is_empty()
    });
    if !history.rows.is_empty() && no_items {
        output::status(&match history.folder {
            true => format!(
                "no version of {} registers a {} route",
                paths.join(", "),
                profile.describe_roots()
            ),
            false => format!(
                "no version of {} has a {} route of its own: history mode reads one file, so a \
                 handler routed from another file's router is not found (give their folder to \
                 --path)",
                paths.join(", "),
                profile.describe_roots()
            ),
        });
    }
}

/// A history run with no example: exit 1 saying why, or under `--allow-empty` a note, and the
/// run goes on to write an empty file.
fn nothing_to_write(allow_empty: bool, why: String) -> anyhow::Result<()> {
    if !allow_empty {
        return Err(NothingToWrite {
            message: format!("{why}: nothing to write"),
        }
        .into());
    }
    output::status(&format!("{why}; --allow-empty: no examples"));
    Ok(())
}

/// `--imports` as the command line spells it.
fn imports_name(imports: crate::cli::ImportsArg) -> String {
    use clap::ValueEnum as _;
    imports
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// The manifest of a history run: every source is a file at a commit.
fn history_manifest(
    args: &HistoryArgs,
    profile: &Profile,
    paths: &[String],
    history: &history::History,
    sides: &[Side],
    jsonl: &str,
    valid: &Option<(PathBuf, String)>,
) -> String {
    let files = history_sources(&history.sources);
    let options = history_run_options(args, paths);
    let run = manifest::Run {
        profile: profile.name(),
        format: args.write.format.into(),
        input: &args.repo,
        mode: manifest::Mode::History,
        options,
        output: manifest::Written::new(args.write.output.as_deref(), jsonl),
        valid: valid
            .as_ref()
            .map(|(path, text)| manifest::Written::new(Some(path), text)),
    };
    manifest::to_json(&manifest::build(
        run,
        &history.examples,
        sides,
        &files,
        &history.dropped,
    ))
}

/// One operation of `--all-routes`: the routes of one operation id (or one route without an
/// id), the profile they run with.
struct RouteOperation {
    /// The dataset's name: `v1.message.create`.
    name: String,
    /// `METHOD /full/path`, each route of the operation.
    routes: Vec<String>,
    profile: Profile,
    /// The built-in profile that covers it, if one does.
    built_in: Option<String>,
    handlers: Vec<(PathBuf, String)>,
}

/// Routes that gave no dataset, and why: `METHOD /path` (or several, comma-separated), the
/// reason.
type NoDataset = (String, String);

/// The operations of a route table, in route order: routes of one operation id together; a
/// route whose handler is no function of the crate is left out, with why.
fn route_operations(
    table: &route_table::RouteTable,
) -> anyhow::Result<(Vec<RouteOperation>, Vec<NoDataset>)> {
    // Which built-in covers a route is read off their TOML; only those that run are loaded.
    let built_ins = profile::built_in_files()?;
    let mut operations: Vec<PendingOperation> = Vec::new();
    let mut left_out = Vec::new();
    for row in &table.routes {
        let route = format!("{} {}", row.method, row.path);
        let Some(defined) = &row.defined else {
            left_out.push((
                route,
                format!("its handler {} is no function of the crate", row.handler),
            ));
            continue;
        };
        let slashes = |p: &Path| p.to_string_lossy().replace('\\', "/");
        let (handler_file, router_file) = (slashes(&defined.file), slashes(&row.registered.file));
        let named = crate::route_profile::NamedRoute {
            method: &row.method,
            path: &row.path,
            operation_id: row.operation_id.as_deref(),
            handler: &row.handler,
            handler_file: &handler_file,
            router_file: &router_file,
        };
        let name = named.name();
        let handler_name = row.handler.rsplit("::").next().unwrap_or(&row.handler);
        let handler = (defined.file.clone(), handler_name.to_owned());
        if let Some(known) = operations.iter_mut().find(|o| o.name == name) {
            known.routes.push(route);
            if !known.handlers.contains(&handler) {
                known.handlers.push(handler);
            }
            continue;
        }
        let covering = built_ins
            .iter()
            .find(|p| p.is_root_route(&row.method, &row.path));
        let source = match covering {
            Some(built_in) => OperationProfile::BuiltIn(built_in.name.clone()),
            None => OperationProfile::Derived {
                text: toml::to_string(&crate::route_profile::derived(&named))?,
                route: route.clone(),
            },
        };
        operations.push(PendingOperation {
            name,
            routes: vec![route],
            profile: source,
            handlers: vec![handler],
        });
    }
    // Each profile builds its templates with its own vocabulary: side by side, on the pool.
    let profiles: Vec<anyhow::Result<Profile>> = source::on_pool(|| {
        use rayon::prelude::*;
        operations.par_iter().map(|o| o.profile.load()).collect()
    });
    let mut loaded = Vec::new();
    for (operation, profile) in operations.into_iter().zip(profiles) {
        loaded.push(RouteOperation {
            profile: profile?,
            built_in: match operation.profile {
                OperationProfile::BuiltIn(name) => Some(name),
                OperationProfile::Derived { .. } => None,
            },
            name: operation.name,
            routes: operation.routes,
            handlers: operation.handlers,
        });
    }
    Ok((loaded, left_out))
}

/// Where an operation of a route sweep takes its profile from, before it is loaded.
enum OperationProfile {
    BuiltIn(String),
    /// A profile derived from the operation's first route, as TOML.
    Derived {
        text: String,
        route: String,
    },
}

impl OperationProfile {
    fn load(&self) -> anyhow::Result<Profile> {
        match self {
            OperationProfile::BuiltIn(name) => Profile::load(name),
            OperationProfile::Derived { text, route } => {
                Profile::from_toml(text, &format!("the profile derived from {route}"))
            }
        }
    }
}

/// An operation of a route sweep whose profile is not yet loaded.
struct PendingOperation {
    name: String,
    routes: Vec<String>,
    profile: OperationProfile,
    handlers: Vec<(PathBuf, String)>,
}

/// The license of the source, as the Hub names it, from the LICENSE file of the crate or the
/// first folder above it that has one: `mit`, `apache-2.0`, else `other`.
fn source_license(root: &Path) -> String {
    let absolute = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let work_tree = provenance::git_dirs(root).map(|dirs| dirs.work_tree);
    for folder in absolute.ancestors() {
        for name in [
            "LICENSE",
            "LICENSE.md",
            "LICENSE.txt",
            "LICENSE-MIT",
            "COPYING",
        ] {
            if let Ok(text) = std::fs::read_to_string(folder.join(name)) {
                let head: String = text.lines().take(5).collect::<Vec<_>>().join(" ");
                return if head.contains("MIT License") || head.contains("The MIT License") {
                    "mit".to_owned()
                } else if head.contains("Apache License") {
                    "apache-2.0".to_owned()
                } else {
                    "other".to_owned()
                };
            }
        }
        if work_tree.as_deref() == Some(folder) {
            break;
        }
    }
    "other".to_owned()
}

/// `--all-routes -o DIR`: every operation of the crate, each into its own dataset in DIR, with
/// one manifest and a dataset card; `--valid` splits across all of them at once.
fn generate_all_routes(cli: &GenerateArgs) -> anyhow::Result<()> {
    let counter = tokens::Warming::start(tokens::Encoding::O200kBase);
    let dir = operations_dir(cli.write.output.as_deref())?;
    let input = cli.input.clone().unwrap_or_else(|| PathBuf::from("."));
    if source::is_stdio(&input) || !input.is_dir() {
        anyhow::bail!(
            "{}: --all-routes reads a crate folder (or its src/, or a folder holding the crate), \
             not a file",
            input.display()
        );
    }
    let root = routes_crate(&input)?;
    let tree_options = tree::TreeOptions {
        focus: "**/*.rs".to_owned(),
        include: cli.include.clone(),
        exclude: cli.exclude.clone(),
        depth: cli.depth,
        progress: tree::ProgressHook::default(),
    };
    let files = tree::walk(&root, &tree_options)?;
    if files.is_empty() {
        anyhow::bail!("{} is a folder with no .rs file", root.display());
    }
    // The route table's reading of the crate summarizes each file for the plan on the way,
    // as the run's writer needs it: every file is parsed once for both.
    let outlines = generate_options(cli).context_for_writer;
    let (table, summaries) = route_table::route_table_and_summaries(&root, &files, outlines)?;
    let read = pipeline::CrateRead {
        summaries,
        outlines,
    };
    if table.routes.is_empty() {
        return Err(NoRoutes {
            root,
            files: table.files,
        }
        .into());
    }
    let (operations, without) = route_operations(&table)?;
    let plan = model::plan_for_operations(&cli.llm, &dir, cli.write.check)?;
    let mut protected = Protected::new();
    for file in &files {
        protected.file(Role::CrateSource, file);
    }
    check_operation_outputs(&protected, &dir, &operations, &cli.write, plan.as_ref())?;
    let union = union_profile(&operations, &root)?;
    let pipeline_operations: Vec<pipeline::Operation> = operations
        .iter()
        .map(|o| pipeline::Operation {
            profile: &o.profile,
            handlers: o.handlers.clone(),
        })
        .collect();
    let options = generate_options(cli);
    let run = |options: &Options| {
        pipeline::extract_operations(
            &root,
            &files,
            Some(&read),
            &tree_options,
            &union,
            &pipeline_operations,
            options,
        )
    };
    let Some((parts, skipped)) = with_model_rounds(plan.as_ref(), &options, run)? else {
        return Ok(());
    };
    for skipped in &skipped {
        output::error(&anyhow::anyhow!("{skipped}"));
    }
    for part in &parts {
        if let Some(refused) = left_out(&part.extracted.dropped, &root, cli.write.strict) {
            return Err(refused);
        }
    }
    let datasets = crate_datasets(&parts)?;
    let commit = provenance::git_commit(&root);
    let folder = OperationsFolder {
        dir: &dir,
        format: cli.write.format,
        valid: cli.write.valid,
        check: cli.write.check,
        input: &root,
        mode: manifest::Mode::Crate,
        options: all_routes_options(cli),
        card: crate::dataset::card::Card {
            repository: provenance::source_repository(&root),
            commit,
            license: source_license(&root),
            tool_version: manifest::VERSION.to_owned(),
            options: all_routes_command_line(cli),
            configs: Vec::new(),
        },
        none_reached: "no item of the crate to distill (its handler is not read)",
    };
    let written = write_operations(&folder, &operations, &datasets, without, counter);
    drop((datasets, pipeline_operations));
    source::drop_aside((parts, read, operations, union, table));
    written
}

/// The folder `-o` names for an `--all-routes` run: required, and not a file.
fn operations_dir(output: Option<&Path>) -> anyhow::Result<PathBuf> {
    let Some(dir) = output else {
        anyhow::bail!("--all-routes needs -o DIR, the folder its datasets go to");
    };
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "{} is not a folder: --all-routes writes one dataset per operation into the folder \
             -o names",
            dir.display()
        );
    }
    // The card's name is a common one: a README.md that is not a card of ours stays.
    let card = dir.join("README.md");
    if let Some(found) = output::read_existing(&card)?
        && !crate::dataset::card::is_card(&found)
    {
        anyhow::bail!(
            "{} is not a dataset card svix-distill wrote: refusing to replace it (give -o a \
             folder of its own)",
            card.display()
        );
    }
    Ok(dir.to_path_buf())
}

/// Generation's operations to write, each with the crate files its slices are cut from.
fn crate_datasets(parts: &[pipeline::OperationPart]) -> anyhow::Result<Vec<OperationDataset<'_>>> {
    let mut datasets = Vec::new();
    // Each file read and hashed once, however many operations slice it.
    let mut read: HashMap<&Path, provenance::FileFacts> = HashMap::new();
    for part in parts {
        let mut sources = BTreeMap::new();
        for path in part
            .extracted
            .examples
            .iter()
            .flat_map(|e| e.slices.iter().map(|s| &s.path))
        {
            if let std::collections::btree_map::Entry::Vacant(entry) =
                sources.entry((path.clone(), None))
            {
                let facts = match read.entry(path) {
                    std::collections::hash_map::Entry::Occupied(known) => known.get().clone(),
                    std::collections::hash_map::Entry::Vacant(new) => {
                        new.insert(provenance::read(path)?).clone()
                    }
                };
                entry.insert(facts);
            }
        }
        datasets.push(OperationDataset {
            examples: &part.extracted.examples,
            dropped: &part.extracted.dropped,
            shared: &part.shared,
            sources,
        });
    }
    Ok(datasets)
}

/// Every file an `--all-routes` run writes into `dir`, each with the word its refusal names it
/// by: a dataset per operation (and its validation file with `--valid`), the manifest, the card.
fn operation_outputs(
    dir: &Path,
    operations: &[RouteOperation],
    valid: bool,
) -> Vec<(&'static str, PathBuf)> {
    let mut named: Vec<(&'static str, PathBuf)> = Vec::new();
    for operation in operations {
        named.push(("", dataset_path(dir, &operation.name, false)));
        if valid {
            named.push(("--valid ", dataset_path(dir, &operation.name, true)));
        }
    }
    named.push(("the manifest ", dir.join("manifest.json")));
    named.push(("the dataset card ", dir.join("README.md")));
    named
}

/// Refuses an `--all-routes` run before any work when one of its outputs would land on an
/// input `protected` holds, or two of them on one file: every operation's dataset and
/// validation file, the manifest, the card, and the model writer's cache and batch file.
fn check_operation_outputs(
    protected: &Protected,
    dir: &Path,
    operations: &[RouteOperation],
    write: &WriteArgs,
    plan: Option<&rounds::Plan>,
) -> anyhow::Result<()> {
    let mut named = operation_outputs(dir, operations, write.valid.is_some());
    named.extend(model_outputs(plan));
    let shown: Vec<(&'static str, &Path)> = named.iter().map(|(w, p)| (*w, p.as_path())).collect();
    refuse_twice(&shown)?;
    protected.check(&shown)
}

/// The model writer's outputs with what messages call them: its cache, and the Batch API file
/// it may export.
fn model_outputs(plan: Option<&rounds::Plan>) -> Vec<(&'static str, PathBuf)> {
    plan.map_or_else(Vec::new, |plan| {
        std::iter::once(("the model cache ", plan.cache.clone()))
            .chain(plan.export.clone().map(|p| ("the batch file ", p)))
            .collect()
    })
}

/// An operation's dataset in an `--all-routes` folder, or its validation file.
fn dataset_path(dir: &Path, name: &str, valid: bool) -> PathBuf {
    dir.join(match valid {
        true => format!("{name}.valid.jsonl"),
        false => format!("{name}.jsonl"),
    })
}

/// One profile whose roots are every operation's: the input is read once for all of them.
fn union_profile(operations: &[RouteOperation], root: &Path) -> anyhow::Result<Profile> {
    let mut union_file = operations
        .first()
        .map(|o| o.profile.file.clone())
        .ok_or_else(|| anyhow::anyhow!("no route of {} has a handler", root.display()))?;
    union_file.roots = operations
        .iter()
        .flat_map(|o| o.profile.file.roots.clone())
        .collect();
    Profile::from_toml(&toml::to_string(&union_file)?, "every route's profile")
}

/// What an `--all-routes` run made of one operation, to write: its examples, those left out,
/// the items an earlier operation holds, and the sources its slices are cut from.
struct OperationDataset<'a> {
    examples: &'a [crate::dataset::example::Example],
    dropped: &'a [crate::dataset::example::Dropped],
    shared: &'a [pipeline::SharedItem],
    sources: BTreeMap<manifest::FileKey, provenance::FileFacts>,
}

/// The folder an `--all-routes` run writes (generation's or history's) and what its manifest
/// and card say of the run.
struct OperationsFolder<'a> {
    dir: &'a Path,
    format: crate::cli::FormatArg,
    valid: Option<f64>,
    check: bool,
    /// The crate, or the repository.
    input: &'a Path,
    mode: manifest::Mode,
    options: manifest::RunOptions,
    /// The card, its configs empty: one is added per operation with examples.
    card: crate::dataset::card::Card,
    /// Why an operation that reaches no item has no dataset.
    none_reached: &'a str,
}

/// Writes an `--all-routes` folder: each operation's dataset (`DIR/<op>.jsonl`, and with
/// `--valid` its validation file, the split made across every operation at once), one
/// manifest and the dataset card; or with `--check`, says whether the folder is current.
/// `datasets` are the operations', in the same order.
fn write_operations(
    folder: &OperationsFolder,
    operations: &[RouteOperation],
    datasets: &[OperationDataset],
    mut without: Vec<NoDataset>,
    counter: tokens::Warming,
) -> anyhow::Result<()> {
    let dir = folder.dir;
    let dropped: usize = datasets.iter().map(|d| d.dropped.len()).sum();
    // The validation split, across every operation at once: a group of units never has
    // examples on both sides, whichever datasets they are in.
    let all: Vec<crate::dataset::example::Example> = datasets
        .iter()
        .flat_map(|d| d.examples.iter().cloned())
        .collect();
    let split = folder.valid.map(|fraction| split::assign(&all, fraction));
    let texts = dataset_texts(folder, operations, datasets, split.as_ref());
    // With no example anywhere there is nothing to write, and no folder to make.
    if !folder.check && texts.iter().any(Option::is_some) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    // The datasets' files are written and flushed under temporary names while the tokens are
    // counted and the manifest made; all of them take their names once every one is made.
    std::thread::scope(|scope| {
        let files: Vec<(&Path, &str)> = match folder.check {
            true => Vec::new(),
            false => texts.iter().flatten().flat_map(|t| t.files()).collect(),
        };
        let staging = stage_files(scope, &files);
        let counter = counter.ready()?;
        let token_counts = operation_tokens(&counter, datasets);
        // Each dataset's units, counted once for its manifest entry and its card and row.
        let units: Vec<usize> = datasets
            .iter()
            .map(|d| {
                let units: BTreeSet<&str> = d.examples.iter().map(|e| e.unit.as_str()).collect();
                units.len()
            })
            .collect();
        let counts: Vec<(usize, usize)> = units.into_iter().zip(token_counts).collect();
        let made = operation_entries(folder, operations, datasets, &texts, &counts);
        let mut card = folder.card.clone();
        let mut entries = Vec::new();
        let mut rows = Vec::new();
        let format = format::Format::from(folder.format);
        for ((((operation, part), &(units, token_count)), texts), entry) in operations
            .iter()
            .zip(datasets)
            .zip(&counts)
            .zip(&texts)
            .zip(made)
        {
            let (Some(texts), Some(entry)) = (texts, entry) else {
                let why = no_dataset_why(part.shared, operations, folder.none_reached);
                without.push((operation.routes.join(", "), why));
                continue;
            };
            entries.push(entry?);
            let examples = part.examples;
            let written = (texts.train.0.as_path(), texts.train.1.as_str());
            let valid_written = texts.valid.as_ref().map(|(p, t)| (p.as_path(), t.as_str()));
            card.configs.push(crate::dataset::card::Config {
                name: operation.name.clone(),
                route: operation.routes.join(", "),
                train: named_if_any(written.0, written.1),
                valid: valid_written.and_then(|(path, text)| named_if_any(path, text)),
                examples: examples.len(),
                units,
                tokens: token_count,
                shared: part.shared.len(),
            });
            rows.push(report::OperationRow {
                name: operation.name.clone(),
                examples: examples.len(),
                units,
                shared: part.shared.len(),
                tokens: token_count,
            });
        }
        if card.configs.is_empty() {
            return nothing_to_write(
                false,
                format!("no route of {} gave an example", folder.input.display()),
            );
        }
        let manifest_text =
            folder_manifest(folder, format, entries, &without, card.commit.clone())?;
        let last = [
            (dir.join("manifest.json"), manifest_text),
            (dir.join("README.md"), card.render()),
        ];
        for (route, why) in &without {
            output::status(&format!("{route}: no dataset: {why}"));
        }
        if folder.check {
            let every: Vec<(&Path, &str)> = texts
                .iter()
                .flatten()
                .flat_map(|t| t.files())
                .chain(last.iter().map(|(p, t)| (p.as_path(), t.as_str())))
                .collect();
            return check_folder(dir, &every);
        }
        put_in_place(staging, &last)?;
        output::status(&report::operations_table(&rows));
        say_written(dir, &rows, split.as_ref().map(|s| s.shares()), dropped);
        Ok(())
    })
}

/// A folder's files being staged: how many, and the threads staging them, each giving back
/// its files' places in the list and their staged writes.
type Staging<'s, 'd> = (
    usize,
    Vec<std::thread::ScopedJoinHandle<'s, Vec<(usize, anyhow::Result<output::Staged<'d>>)>>>,
);

/// Threads that write and flush `files` under temporary names ([`output::stage`]) while the
/// caller goes on: four, each taking every fourth file. A write's time is mostly the wait for
/// the disk's flush, which four overlap well enough; a thread per file (90 for svix-server)
/// took about as long to start as the writes took.
fn stage_files<'s, 'd: 's>(
    scope: &'s std::thread::Scope<'s, '_>,
    files: &[(&'d Path, &'d str)],
) -> Staging<'s, 'd> {
    /// Measured on svix-server's 90 files: 4 a little ahead of 8, both 6 to 8 ms ahead of 90.
    const THREADS: usize = 4;
    let writers = (0..THREADS.min(files.len()))
        .map(|first| {
            let mine: Vec<(usize, (&'d Path, &'d str))> = files
                .iter()
                .copied()
                .enumerate()
                .skip(first)
                .step_by(THREADS)
                .collect();
            scope.spawn(move || {
                mine.into_iter()
                    .map(|(at, (path, text))| (at, output::stage(path, text)))
                    .collect()
            })
        })
        .collect();
    (files.len(), writers)
}

/// Puts a folder's files in place once every one is made: the datasets' staged writes (from
/// their threads), then `last` (the manifest and the card). The first failure in file order is
/// the one reported, and every staged file goes with it.
fn put_in_place<'d: 'l, 'l>(
    staging: Staging<'_, 'd>,
    last: &'l [(PathBuf, String)],
) -> anyhow::Result<()> {
    let (count, writers) = staging;
    let mut placed: Vec<Option<anyhow::Result<output::Staged<'l>>>> =
        std::iter::repeat_with(|| None).take(count).collect();
    for writer in writers {
        if let Ok(done) = writer.join() {
            for (at, file) in done {
                placed[at] = Some(file);
            }
        }
    }
    // A file its thread never gave back is one whose thread panicked.
    let mut staged: Vec<anyhow::Result<output::Staged<'l>>> = placed
        .into_iter()
        .map(|file| {
            file.unwrap_or_else(|| Err(anyhow::anyhow!("internal error: a writer panicked")))
        })
        .collect();
    staged.extend(last.iter().map(|(path, text)| output::stage(path, text)));
    output::commit_all(staged)
}

/// An operation's dataset files as text: the training file and, with `--valid`, the
/// validation file (each at its path), and the side of each of its examples.
struct DatasetTexts {
    train: (PathBuf, String),
    valid: Option<(PathBuf, String)>,
    sides: Vec<Side>,
}

impl DatasetTexts {
    /// The files to write: a side with no example is no file (an empty split would fail to
    /// load).
    fn files(&self) -> impl Iterator<Item = (&Path, &str)> {
        std::iter::once(&self.train)
            .chain(&self.valid)
            .filter(|(_, text)| !text.is_empty())
            .map(|(path, text)| (path.as_path(), text.as_str()))
    }
}

/// Each operation's dataset texts, in order; None for one with no example.
fn dataset_texts(
    folder: &OperationsFolder,
    operations: &[RouteOperation],
    datasets: &[OperationDataset],
    split: Option<&split::Split>,
) -> Vec<Option<DatasetTexts>> {
    let format = format::Format::from(folder.format);
    let mut sides_left: &[Side] = split.map_or(&[], |s| s.sides.as_slice());
    let mut sides_of = Vec::new();
    for part in datasets {
        let examples = part.examples.len();
        sides_of.push(match split {
            Some(_) => {
                let (mine, rest) = sides_left.split_at(examples);
                sides_left = rest;
                mine.to_vec()
            }
            None => vec![Side::Train; examples],
        });
    }
    // Each dataset's lines are made side by side.
    source::on_pool(|| {
        use rayon::prelude::*;
        operations
            .par_iter()
            .zip(datasets)
            .zip(sides_of)
            .map(|((operation, part), sides)| {
                let examples = part.examples;
                if examples.is_empty() {
                    return None;
                }
                let system = operation.profile.system_prompt();
                let on = |wanted: Side| on_side(examples, &sides, wanted);
                let train = (
                    dataset_path(folder.dir, &operation.name, false),
                    format.to_jsonl(on(Side::Train), system),
                );
                let valid = split.map(|_| {
                    (
                        dataset_path(folder.dir, &operation.name, true),
                        format.to_jsonl(on(Side::Valid), system),
                    )
                });
                Some(DatasetTexts {
                    train,
                    valid,
                    sides,
                })
            })
            .collect()
    })
}

/// The examples the split puts on side `wanted` (`sides[i]` is `examples[i]`'s), in order.
fn on_side<'e>(
    examples: &'e [crate::dataset::example::Example],
    sides: &'e [Side],
    wanted: Side,
) -> impl Iterator<Item = &'e crate::dataset::example::Example> {
    examples
        .iter()
        .zip(sides)
        .filter(move |&(_, &s)| s == wanted)
        .map(|(e, _)| e)
}

/// The last line of an `--all-routes` run: what it wrote where, the split, what the check left
/// out.
fn say_written(dir: &Path, rows: &[report::OperationRow], shares: Option<String>, dropped: usize) {
    let examples: usize = rows.iter().map(|r| r.examples).sum();
    let mut summary = format!(
        "wrote {examples} examples of {} operations to {}",
        rows.len(),
        dir.display()
    );
    if let Some(shares) = shares {
        summary.push_str(&format!(" ({shares})"));
    }
    if dropped > 0 {
        summary.push_str(&format!("; {dropped} dropped: they fail their check"));
    }
    output::status(&summary);
}

/// The o200k_base tokens of each operation's examples (requests, reasonings and code), counted
/// on the pool's threads: the last stage before writing, nothing else runs beside it. A unit's
/// variants share its code, so each code is counted once.
fn operation_tokens(counter: &tokens::TokenCounter, datasets: &[OperationDataset]) -> Vec<usize> {
    use rayon::prelude::*;
    let mut seen = HashSet::new();
    let codes: Vec<&str> = datasets
        .iter()
        .flat_map(|d| d.examples.iter())
        .map(|e| &*e.code)
        .filter(|code| seen.insert(*code))
        .collect();
    source::on_pool(|| {
        let code_tokens: HashMap<&str, usize> = codes
            .par_iter()
            .map(|code| (*code, counter.count(code)))
            .collect();
        let count = |e: &crate::dataset::example::Example| {
            counter.count(&e.request) + counter.count(&e.reasoning) + code_tokens[&*e.code]
        };
        datasets
            .par_iter()
            .map(|d| d.examples.par_iter().map(count).sum())
            .collect()
    })
}

/// A dataset file as the card names it (within the folder), when it holds any example.
fn named_if_any(path: &Path, text: &str) -> Option<String> {
    (!text.is_empty()).then(|| within(path).to_string_lossy().into_owned())
}

/// A file of an `--all-routes` folder, named within it.
fn within(path: &Path) -> PathBuf {
    PathBuf::from(path.file_name().unwrap_or_default())
}

/// Each operation's manifest entry (see [`operation_entry`]; its examples, sources and files
/// hashed, with `counts[o]` its units and tokens), side by side; none for an operation with no
/// dataset.
fn operation_entries(
    folder: &OperationsFolder,
    operations: &[RouteOperation],
    datasets: &[OperationDataset],
    texts: &[Option<DatasetTexts>],
    counts: &[(usize, usize)],
) -> Vec<Option<anyhow::Result<serde_json::Value>>> {
    source::on_pool(|| {
        use rayon::prelude::*;
        operations
            .par_iter()
            .zip(datasets)
            .zip(texts)
            .zip(counts)
            .map(|(((operation, part), texts), &counts)| {
                let texts = texts.as_ref()?;
                let written = (texts.train.0.as_path(), texts.train.1.as_str());
                let valid = texts.valid.as_ref().map(|(p, t)| (p.as_path(), t.as_str()));
                let entry = (operation, part, shared_json(part.shared, operations));
                Some(operation_entry(
                    folder,
                    entry,
                    &texts.sides,
                    written,
                    valid,
                    counts,
                ))
            })
            .collect()
    })
}

/// One operation's entry in an `--all-routes` folder's manifest: its dataset's manifest, the
/// run's options hoisted out of it; `written` and `valid` are its files (path, text);
/// `counts` its units and tokens.
fn operation_entry(
    folder: &OperationsFolder,
    (operation, part, shared): (&RouteOperation, &OperationDataset, Vec<serde_json::Value>),
    sides: &[Side],
    written: (&Path, &str),
    valid: Option<(&Path, &str)>,
    (units, token_count): (usize, usize),
) -> anyhow::Result<serde_json::Value> {
    let manifest_run = manifest::Run {
        profile: operation.profile.name(),
        format: folder.format.into(),
        input: folder.input,
        mode: folder.mode,
        options: folder.options.clone(),
        // Named within DIR, which may be moved as a whole.
        output: manifest::Written::new(Some(&within(written.0)), written.1),
        valid: valid
            .as_ref()
            .map(|(path, text)| manifest::Written::new(Some(&within(path)), text)),
    };
    let built = manifest::build(
        manifest_run,
        part.examples,
        sides,
        &part.sources,
        part.dropped,
    );
    let mut value = serde_json::to_value(&built)?;
    if let Some(object) = value.as_object_mut() {
        for hoisted in ["tool", "version", "format", "input", "options"] {
            object.remove(hoisted);
        }
    }
    Ok(serde_json::json!({
        "operation": operation.name,
        "routes": operation.routes,
        "built_in": operation.built_in,
        "units": units,
        "tokens": token_count,
        "shared": shared,
        "dataset": value,
    }))
}

/// The items an operation reaches that an earlier one holds, as the manifest lists them.
fn shared_json(
    shared: &[pipeline::SharedItem],
    operations: &[RouteOperation],
) -> Vec<serde_json::Value> {
    shared
        .iter()
        .map(|s| {
            serde_json::json!({
                "item": s.item,
                "file": s.file.to_string_lossy().replace('\\', "/"),
                "in": operations[s.owner].name,
            })
        })
        .collect()
}

/// Why an operation has no dataset: every item it reaches is an earlier operation's, or
/// `none_reached`.
fn no_dataset_why(
    shared: &[pipeline::SharedItem],
    operations: &[RouteOperation],
    none_reached: &str,
) -> String {
    if shared.is_empty() {
        return none_reached.to_owned();
    }
    format!(
        "every item it reaches is held by an earlier operation ({})",
        shared
            .iter()
            .map(|s| operations[s.owner].name.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// An `--all-routes` folder's manifest: the run, then each operation's entry, then the routes
/// with no dataset and why.
fn folder_manifest(
    folder: &OperationsFolder,
    format: format::Format,
    entries: Vec<serde_json::Value>,
    without: &[NoDataset],
    commit: Option<String>,
) -> anyhow::Result<String> {
    let mode = serde_json::to_value(folder.mode)?;
    let value = serde_json::json!({
        "tool": manifest::TOOL,
        "version": manifest::VERSION,
        "format": format.name(),
        "input": {"path": folder.input.display().to_string(), "mode": mode, "commit": commit},
        "options": folder.options,
        "operations": entries,
        "left_out": without
            .iter()
            .map(|(route, why)| serde_json::json!({"routes": route, "why": why}))
            .collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value)?;
    text.push('\n');
    Ok(text)
}

/// `--check` of an `--all-routes` folder: whether every file it would write is there as it
/// would be written.
fn check_folder(dir: &Path, files: &[(&Path, &str)]) -> anyhow::Result<()> {
    let mut stale = Vec::new();
    for (path, text) in files {
        let found = output::read_existing(path)?;
        if let Some(message) = report::staleness(path, text, found.as_deref()) {
            stale.push(message);
        }
    }
    if !stale.is_empty() {
        return Err(CheckFailed {
            message: stale.join("\n"),
        }
        .into());
    }
    output::status(&format!("{} is current", dir.display()));
    Ok(())
}

/// The options of an `--all-routes` run, as each operation's manifest gives them.
fn all_routes_options(cli: &GenerateArgs) -> manifest::RunOptions {
    manifest::RunOptions {
        imports: imports_name(cli.imports),
        variants: cli.variants.map(usize::from),
        roots: Vec::new(),
        valid: cli.write.valid,
        tree: Some(manifest::TreeOptions {
            focus: "**/*.rs".to_owned(),
            include: cli.include.clone(),
            exclude: cli.exclude.clone(),
            depth: cli.depth,
        }),
        history: None,
    }
}

/// The options that shape the data, as a command line would give them (for the card).
fn all_routes_command_line(cli: &GenerateArgs) -> Vec<String> {
    let mut line = vec!["--all-routes".to_owned()];
    line.extend(shaping_options(
        &cli.write,
        &cli.llm,
        cli.variants.map(usize::from),
        (cli.imports, crate::cli::ImportsArg::All),
    ));
    line
}

/// The options that shape an `--all-routes` run's data, as a command line gives them:
/// `--valid`, `--variants`, `--imports` when not its default (`imports`: given, default),
/// `--format` when not ChatML, `--writer llm`.
fn shaping_options(
    write: &WriteArgs,
    llm: &crate::cli::LlmArgs,
    variants: Option<usize>,
    imports: (crate::cli::ImportsArg, crate::cli::ImportsArg),
) -> Vec<String> {
    let mut line = Vec::new();
    if let Some(valid) = write.valid {
        line.extend(["--valid".to_owned(), valid.to_string()]);
    }
    if let Some(variants) = variants {
        line.extend(["--variants".to_owned(), variants.to_string()]);
    }
    if imports.0 != imports.1 {
        line.extend(["--imports".to_owned(), imports_name(imports.0)]);
    }
    if write.format != crate::cli::FormatArg::ChatMl {
        line.extend([
            "--format".to_owned(),
            format::Format::from(write.format).name().to_owned(),
        ]);
    }
    if llm.writer == crate::cli::WriterArg::Llm {
        line.extend(["--writer".to_owned(), "llm".to_owned()]);
    }
    line
}
