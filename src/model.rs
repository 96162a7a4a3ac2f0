//! The model writer wired to the commands: the driver's plan from the command line (a
//! generating run's, or review's) and the writers of each pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{FallbackArg, LlmArgs, ModelArgs, Switch, WriterArg};
use crate::dataset::output;
use crate::extract::source;
use crate::pipeline::{self, Writers};
use crate::profile::Profile;
use crate::write::Writer;
use crate::write::llm::client::{self, Endpoint};
use crate::write::llm::rounds::Plan;
use crate::write::llm::writer::{LlmWriter, OnMiss, Session, Settings};

/// The driver's plan for a run writing to `out` (None: stdout), or None with the templates.
/// The flags of the model writer are refused without it, and a cache is needed somewhere.
pub fn plan(args: &LlmArgs, out: Option<&Path>, check: bool) -> anyhow::Result<Option<Plan>> {
    let calls = &args.model;
    if args.writer == WriterArg::Template {
        let given = [
            ("--llm-model", calls.llm_model.is_some()),
            ("--llm-cache", calls.llm_cache.is_some()),
            ("--llm-url", calls.llm_url.is_some()),
            ("--llm-export", calls.llm_export.is_some()),
            ("--llm-import", calls.llm_import.is_some()),
            ("--llm-fallback", args.llm_fallback != FallbackArg::None),
            ("--llm-critic", args.llm_critic != Switch::On),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
            anyhow::bail!("{flag} is an option of the model writer: add --writer llm");
        }
        return Ok(None);
    }
    let Some(model) = calls.llm_model.clone() else {
        anyhow::bail!("--writer llm needs --llm-model NAME (part of every call's cache key)");
    };
    let cache = match (&calls.llm_cache, out.filter(|out| !output::is_stream(out))) {
        (Some(path), _) => path.clone(),
        (None, Some(out)) => cache_beside(out),
        (None, None) => anyhow::bail!(
            "--writer llm: the data goes to stdout (or a stream), with no folder to keep the \
             model's cache in; give --llm-cache PATH"
        ),
    };
    let settings = Settings {
        model,
        critic: args.llm_critic == Switch::On,
        on_miss: match args.llm_fallback {
            FallbackArg::None => OnMiss::Wait,
            FallbackArg::Template => OnMiss::Template,
        },
    };
    Ok(Some(calls_plan(calls, settings, cache, check, true)))
}

/// The driver's plan for a run writing one dataset per operation into `dir` (generation's and
/// history's `--all-routes`): one cache for all of them, `dir/all-routes.llm-cache.jsonl`
/// by default.
pub fn plan_for_operations(
    args: &LlmArgs,
    dir: &Path,
    check: bool,
) -> anyhow::Result<Option<Plan>> {
    plan(args, Some(&dir.join("all-routes.jsonl")), check)
}

/// Review's plan: the critic's calls on `dataset`, cached by default beside it where the model
/// writer keeps the calls that made it (the same name), so that a review of the model writer's
/// output finds its critic's answers there. A call nothing answers stops the run.
pub fn review_plan(args: &ModelArgs, dataset: &Path) -> anyhow::Result<Plan> {
    let Some(model) = args.llm_model.clone() else {
        anyhow::bail!("review needs --llm-model NAME (part of every call's cache key)");
    };
    let cache = match &args.llm_cache {
        Some(path) => path.clone(),
        None if !output::is_stream(dataset) => cache_beside(dataset),
        None => anyhow::bail!(
            "review: the dataset {} is a stream (stdin, a FIFO or a device), with no folder to \
             keep the model's cache in; give --llm-cache PATH",
            source::shown(dataset).display()
        ),
    };
    let settings = Settings {
        model,
        critic: true,
        on_miss: OnMiss::Wait,
    };
    Ok(calls_plan(args, settings, cache, false, false))
}

/// `<stem>.llm-cache.jsonl` beside `data`.
fn cache_beside(data: &Path) -> PathBuf {
    let stem = data.file_stem().unwrap_or_default().to_string_lossy();
    data.with_file_name(format!("{stem}.llm-cache.jsonl"))
}

/// How the calls are answered, as `args` say; `fallback_offered` for the model writer, whose
/// examples the templates can write instead.
fn calls_plan(
    args: &ModelArgs,
    settings: Settings,
    cache: PathBuf,
    check: bool,
    fallback_offered: bool,
) -> Plan {
    Plan {
        settings,
        cache,
        live: args.llm_url.as_ref().map(|url| Endpoint {
            concurrency: usize::from(args.llm_concurrency),
            timeout: Duration::from_secs(args.llm_timeout),
            retries: args.llm_retries,
            ..Endpoint::new(url, client::api_key())
        }),
        export: args.llm_export.clone(),
        import: args.llm_import.clone(),
        check,
        fallback_offered,
    }
}

/// The writers of one pass: for each file's profile, the model writer with the templates
/// beside it.
pub fn writers(session: &Arc<Session>) -> Writers {
    let session = session.clone();
    Writers::Given(Arc::new(move |profile: &Profile| -> Box<dyn Writer + '_> {
        Box::new(writer(&session, profile))
    }))
}

/// The model writer for `profile`'s briefs in one pass.
pub fn writer<'p>(session: &Arc<Session>, profile: &'p Profile) -> LlmWriter<'p> {
    LlmWriter::new(
        session.clone(),
        &profile.llm,
        &profile.file.mechanisms,
        Box::new(pipeline::template_writer(profile)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        llm: LlmArgs,
    }

    /// Generation's and history's `--all-routes` keep every operation's calls in one cache in
    /// their folder, unless told where.
    #[test]
    fn a_run_over_every_operation_caches_its_calls_in_its_folder() {
        let flags = Flags::parse_from(["t", "--writer", "llm", "--llm-model", "m"]);
        let plan = plan_for_operations(&flags.llm, Path::new("out"), false).unwrap();
        assert_eq!(
            plan.unwrap().cache,
            Path::new("out").join("all-routes.llm-cache.jsonl")
        );
        let flags = Flags::parse_from(["t"]);
        assert!(
            plan_for_operations(&flags.llm, Path::new("out"), false)
                .unwrap()
                .is_none()
        );
    }
}
