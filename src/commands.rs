//! One function per command, as `lib.rs::run` dispatches them: resolve the profile and the
//! inputs from the command line, call the library, and hand what it returns to `report.rs` and
//! `output.rs`. The only module besides `cli.rs` that sees clap's argument types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cli::{GenerateArgs, ProfilesArgs, ProfilesCommand, StatsArgs, ValidateArgs};
use crate::pipeline::{self, EmptySelection, Extracted, Options};
use crate::profile::{self, Profile};
use crate::source::{self, SourceFile};
use crate::split::{self, Side};
use crate::{
    CheckFailed, format, manifest, output, provenance, report, select, stats as dataset_stats,
    tokens, tree, validate as dataset_validate,
};

pub(crate) fn profiles(args: &ProfilesArgs) -> anyhow::Result<()> {
    match &args.command {
        Some(ProfilesCommand::Show { name }) => match profile::built_in_text(name) {
            Some(text) => output::to_stdout(text),
            None => {
                Profile::load(name)?;
                anyhow::bail!("{name} is not a built-in profile")
            }
        },
        None => output::to_stdout(&report::profiles_table(&profile::built_ins()?)),
    }
}

/// Validates each file in turn, its report on stdout; every file that is not valid gets one
/// error line, and the run exits 1 when there is any.
pub(crate) fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let profile = Profile::load(&args.profile)?;
    let mut sources = Vec::new();
    for path in &args.source {
        for file in source::source_files(path)? {
            sources.push(dataset_validate::Source::new(SourceFile::read(&file)?)?);
        }
    }
    let counter = tokens::TokenCounter::new(args.encoding)?;
    let settings = dataset_validate::Settings {
        sources: &sources,
        system: args.system.as_deref(),
        counter: Some(&counter),
        max_tokens: args.max_tokens,
        strict: args.strict,
        format: args.format.map(format::Format::from),
        ..dataset_validate::Settings::new(&profile)
    };
    let mut invalid: Vec<String> = Vec::new();
    for file in &args.files {
        if let Some(message) = validate_file(file, args, &settings, &counter)? {
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
    args: &ValidateArgs,
    settings: &dataset_validate::Settings,
    counter: &tokens::TokenCounter,
) -> anyhow::Result<Option<String>> {
    let text = source::read_dataset(file)?;
    let name = source::shown(file);
    let report = dataset_validate::validate(&text, settings);
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

pub(crate) fn stats(args: &StatsArgs) -> anyhow::Result<()> {
    let profile = Profile::load(&args.profile)?;
    let text = source::read_dataset(&args.file)?;
    let counter = tokens::TokenCounter::new(args.encoding)?;
    let settings = dataset_validate::Settings {
        counter: Some(&counter),
        format: args.format.map(format::Format::from),
        ..dataset_validate::Settings::new(&profile)
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
    let stats = dataset_stats::stats(
        &report.lines,
        &report.tokens,
        counter.encoding.name(),
        report.format,
    );
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

/// Generating: resolve the profile and the input, run the pipeline, then list, check or write.
pub(crate) fn generate(cli: &GenerateArgs) -> anyhow::Result<()> {
    let profile = Profile::load(&cli.profile)?;
    let input = match &cli.input {
        Some(path) => path.clone(),
        None => {
            let inputs = &profile.file.inputs;
            let found = source::find_default_input(Path::new("."), &inputs.files, &inputs.crates)?;
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
        roots: cli
            .root
            .iter()
            .map(|name| (name.clone(), select::Reason::RootFlag))
            .collect(),
        variants: cli.variants.map(usize::from),
        imports: cli.imports.into(),
        context: Vec::new(),
    };
    let result = if input.is_dir() && !source::is_stdio(&input) {
        let focus = cli
            .focus
            .clone()
            .unwrap_or(profile.file.inputs.focus.clone());
        let choice = tree::locate_crate(&input, &focus, &profile.file.inputs.crate_folders())?;
        if let Some(note) = report::crate_choice(&input, &choice, &focus) {
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
        let result = pipeline::extract_tree(&choice.root, &tree_options, &profile, &options);
        progress.finish();
        result
    } else {
        SourceFile::read(&input).and_then(|source| pipeline::extract(&source, &profile, &options))
    };
    let extracted = match result {
        Err(err) if cli.allow_empty && err.is::<EmptySelection>() => {
            let summary = err
                .downcast_ref::<EmptySelection>()
                .map(EmptySelection::summary);
            output::status(&format!(
                "{}; --allow-empty: no examples",
                summary.unwrap_or_default()
            ));
            Extracted::default()
        }
        other => other?,
    };
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
        output::to_stdout(&report::list_table(&extracted.rows))?;
        return unparsed.map_or(Ok(()), Err);
    }
    for short in &extracted.shortfalls {
        output::status(&format!(
            "{}: {} distinct examples, not {}: every further phrasing would repeat one",
            short.unit, short.made, short.asked
        ));
    }
    let outputs = Outputs::new(cli, &profile, &input, &extracted)?;
    match &cli.output {
        Some(_) if cli.check => {
            outputs.check()?;
            for (path, _) in outputs.files() {
                output::status(&format!("{} is current", path.display()));
            }
        }
        Some(out) => {
            for (path, text) in outputs.files() {
                output::to_file(path, text)?;
            }
            let shown = if source::is_stdio(out) {
                "stdout".to_owned()
            } else {
                out.display().to_string()
            };
            output::status(&outputs.summary(&shown));
        }
        None => {
            output::to_stdout(&outputs.data)?;
            for (path, text) in outputs.files() {
                output::to_file(path, text)?;
            }
            output::status(&outputs.summary("stdout"));
        }
    }
    unparsed.map_or(Ok(()), Err)
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
}

impl<'a> Outputs<'a> {
    fn new(
        cli: &'a GenerateArgs,
        profile: &Profile,
        input: &Path,
        extracted: &Extracted,
    ) -> anyhow::Result<Outputs<'a>> {
        let format = format::Format::from(cli.format);
        let system = profile.system_prompt();
        let examples = &extracted.examples;
        // Without --valid every example trains.
        let sides = match cli.valid {
            Some(fraction) => split::assign(examples, fraction),
            None => vec![Side::Train; examples.len()],
        };
        let side = |wanted: Side| {
            examples
                .iter()
                .zip(&sides)
                .filter(move |&(_, &s)| s == wanted)
                .map(|(e, _)| e)
        };
        let count = |wanted: Side| {
            let units: BTreeSet<&str> = side(wanted).map(|e| e.unit.as_str()).collect();
            (side(wanted).count(), units.len())
        };
        let counts = match cli.valid {
            Some(_) => [count(Side::Train), count(Side::Valid)],
            None => [(examples.len(), extracted.unit_count), (0, 0)],
        };
        let data = format.to_jsonl(side(Side::Train), system);
        let valid = match (&cli.output, cli.valid) {
            (Some(out), Some(_)) => Some((
                split::valid_path(out),
                format.to_jsonl(side(Side::Valid), system),
            )),
            _ => None,
        };
        let manifest = match &cli.manifest {
            Some(path) => {
                let text = manifest_json(cli, profile, input, extracted, &sides, &data, &valid)?;
                Some((path.as_path(), text))
            }
            None => None,
        };
        let outputs = Outputs {
            out: cli.output.as_deref(),
            data,
            valid,
            manifest,
            counts,
        };
        let files = outputs.files();
        for (i, (path, _)) in files.iter().enumerate() {
            if source::same_file(path, input) {
                anyhow::bail!("refusing to write {}: it is the input file", path.display());
            }
            if files[..i]
                .iter()
                .any(|(other, _)| other == path || source::same_file(other, path))
            {
                anyhow::bail!(
                    "refusing to write {} twice: give the manifest a path of its own",
                    path.display()
                );
            }
        }
        Ok(outputs)
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
        summary
    }
}

/// The manifest of a generating run, as the JSON text to write or compare.
fn manifest_json(
    cli: &GenerateArgs,
    profile: &Profile,
    input: &Path,
    extracted: &Extracted,
    sides: &[Side],
    jsonl: &str,
    valid: &Option<(PathBuf, String)>,
) -> anyhow::Result<String> {
    use clap::ValueEnum as _;
    let crate_mode = input.is_dir();
    // Every file a slice comes from, and in single-file mode the input even with no example.
    let mut paths: Vec<&Path> = extracted
        .examples
        .iter()
        .flat_map(|e| e.slices.iter().map(|s| s.path.as_path()))
        .collect();
    if !crate_mode {
        paths.push(input);
    }
    let mut files = BTreeMap::new();
    for path in paths {
        if !files.contains_key(path) {
            files.insert(path.to_path_buf(), provenance::read(path)?);
        }
    }
    let options = manifest::RunOptions {
        imports: cli
            .imports
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default(),
        variants: cli.variants.map(usize::from),
        roots: cli.root.clone(),
        valid: cli.valid,
        tree: crate_mode.then(|| manifest::TreeOptions {
            focus: cli
                .focus
                .clone()
                .unwrap_or(profile.file.inputs.focus.clone()),
            include: cli.include.clone(),
            exclude: cli.exclude.clone(),
            depth: cli.depth,
        }),
    };
    let run = manifest::Run {
        profile: profile.name(),
        format: cli.format.into(),
        input,
        mode: if crate_mode {
            manifest::Mode::Crate
        } else {
            manifest::Mode::File
        },
        options,
        output: manifest::Written::new(cli.output.as_deref(), jsonl),
        valid: valid
            .as_ref()
            .map(|(path, text)| manifest::Written::new(Some(path), text)),
    };
    let built = manifest::build(run, &extracted.examples, sides, &files);
    Ok(manifest::to_json(&built))
}
