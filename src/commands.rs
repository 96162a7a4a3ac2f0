//! One function per command, as `lib.rs::run` dispatches them: resolve the profile and the
//! inputs from the command line, call the library, and hand what it returns to `report.rs` and
//! `output.rs`. The only module besides `cli.rs` that sees clap's argument types.

use std::path::Path;

use crate::cli::{GenerateArgs, ProfilesArgs, ProfilesCommand, StatsArgs, ValidateArgs};
use crate::pipeline::{self, EmptySelection, Extracted, Options};
use crate::profile::{self, Profile};
use crate::source::{self, SourceFile};
use crate::{
    CheckFailed, format, output, report, select, stats as dataset_stats, tokens, tree,
    validate as dataset_validate,
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
    let stats = dataset_stats::stats(&report.lines, &report.tokens, counter.encoding.name());
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
    let jsonl = format::to_jsonl(&extracted.examples, profile.system_prompt());
    let summary = format!(
        "wrote {} examples ({} units)",
        extracted.examples.len(),
        extracted.unit_count
    );
    match &cli.output {
        Some(out) if cli.check => {
            let found = output::read_existing(out)?;
            if let Some(message) = report::staleness(out, &jsonl, found.as_deref()) {
                return Err(CheckFailed { message }.into());
            }
            output::status(&format!("{} is current", out.display()));
        }
        Some(out) if !source::is_stdio(out) => {
            output::to_file(out, &jsonl)?;
            output::status(&format!("{summary} to {}", out.display()));
        }
        _ => {
            output::to_stdout(&jsonl)?;
            output::status(&format!("{summary} to stdout"));
        }
    }
    unparsed.map_or(Ok(()), Err)
}
