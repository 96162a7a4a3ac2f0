//! The model writer wired to the commands: the driver's plan from the command line, the
//! writers of each pass, and the tally of what became of the drafts for the run's summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{FallbackArg, LlmArgs, Switch, WriterArg};
use crate::dataset::example::{Example, Outcome};
use crate::dataset::output;
use crate::pipeline::{self, Writers};
use crate::profile::Profile;
use crate::write::Writer;
use crate::write::llm::client::{self, Endpoint};
use crate::write::llm::rounds::Plan;
use crate::write::llm::writer::{LlmWriter, OnMiss, Session, Settings};

/// The driver's plan for a run writing to `out` (None: stdout), or None with the templates.
/// The flags of the model writer are refused without it, and a cache is needed somewhere.
pub fn plan(args: &LlmArgs, out: Option<&Path>, check: bool) -> anyhow::Result<Option<Plan>> {
    if args.writer == WriterArg::Template {
        let given = [
            ("--llm-model", args.llm_model.is_some()),
            ("--llm-cache", args.llm_cache.is_some()),
            ("--llm-url", args.llm_url.is_some()),
            ("--llm-export", args.llm_export.is_some()),
            ("--llm-import", args.llm_import.is_some()),
            ("--llm-fallback", args.llm_fallback != FallbackArg::None),
            ("--llm-critic", args.llm_critic != Switch::On),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
            anyhow::bail!("{flag} is an option of the model writer: add --writer llm");
        }
        return Ok(None);
    }
    let Some(model) = args.llm_model.clone() else {
        anyhow::bail!("--writer llm needs --llm-model NAME (part of every call's cache key)");
    };
    let cache = cache_path(args.llm_cache.as_deref(), out)?;
    Ok(Some(Plan {
        settings: Settings {
            model,
            critic: args.llm_critic == Switch::On,
            on_miss: match args.llm_fallback {
                FallbackArg::None => OnMiss::Wait,
                FallbackArg::Template => OnMiss::Template,
            },
        },
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
    }))
}

/// `--llm-cache`, else `<OUT stem>.llm-cache.jsonl` beside OUT.
fn cache_path(given: Option<&Path>, out: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    match out.filter(|out| !output::is_stream(out)) {
        Some(out) => {
            let stem = out.file_stem().unwrap_or_default().to_string_lossy();
            Ok(out.with_file_name(format!("{stem}.llm-cache.jsonl")))
        }
        None => anyhow::bail!(
            "--writer llm: the data goes to stdout (or a stream), with no folder to keep the \
             model's cache in; give --llm-cache PATH"
        ),
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

/// What became of the drafts of a run's examples: for the summary and `stats`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub first: usize,
    pub revised: usize,
    /// The examples whose text is the templates', by why (the check that failed last).
    pub fallback: std::collections::BTreeMap<String, usize>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Tally {
    pub fn of(examples: &[Example]) -> Option<Tally> {
        let mut tally = Tally::default();
        let mut any = false;
        for note in examples.iter().filter_map(|e| e.model.as_ref()) {
            any = true;
            match &note.outcome {
                Outcome::First => tally.first += 1,
                Outcome::Revised => tally.revised += 1,
                Outcome::Fallback(why) => {
                    *tally.fallback.entry(reason_kind(why)).or_default() += 1;
                }
            }
            tally.prompt_tokens += note.prompt_tokens;
            tally.completion_tokens += note.completion_tokens;
        }
        any.then_some(tally)
    }

    /// One line for the summary: `model: 14 accepted first, 3 after revision, 2 fallen back
    /// (verify: ungrounded name 1, critic 1); 41,200 tokens sent, 5,310 received`.
    pub fn line(&self) -> String {
        let fallen: usize = self.fallback.values().sum();
        let why = if fallen == 0 {
            String::new()
        } else {
            let parts: Vec<String> = self
                .fallback
                .iter()
                .map(|(why, n)| format!("{why} {n}"))
                .collect();
            format!(" ({})", parts.join(", "))
        };
        format!(
            "model: {} accepted first, {} after revision, {fallen} fallen back to the templates{why}; \
             {} tokens sent, {} received",
            self.first, self.revised, self.prompt_tokens, self.completion_tokens
        )
    }
}

/// The kind of a fallback's reason, without the words at fault: `verify: ungrounded name`,
/// `critic`, `call failed`.
fn reason_kind(why: &str) -> String {
    let mut parts = why.splitn(3, ": ");
    match (parts.next(), parts.next()) {
        (Some("verify"), Some(check)) => format!("verify: {check}"),
        (Some(kind), _) => kind.to_owned(),
        (None, _) => why.to_owned(),
    }
}
