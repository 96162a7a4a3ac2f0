//! The driver of a run with the model writer: passes over the whole run until every call it
//! needs is in the cache. Each pass writes what the cache allows and collects the calls it
//! missed; the misses are answered from a Batch API output file (`--llm-import`), or live
//! (`--llm-url`), and the run passes again, one round of calls further. Misses nothing can
//! answer leave as a Batch API input file (`--llm-export`), fall back to the templates
//! (`--llm-fallback template`), or stop the run with their count.
//!
//! A pass is the whole pipeline, which is cheap beside a model call; doing it again keeps the
//! writer a plain function of the brief and the cache, so a rerun from a full cache makes the
//! same bytes without a network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use super::cache::{self, BatchOutput, Cache, Call};
use super::client::{self, Endpoint};
use super::writer::{OnMiss, Session, Settings};
use crate::dataset::output;

/// How a run's misses are answered.
#[derive(Debug, Clone)]
pub struct Plan {
    pub settings: Settings,
    /// The cache file, read first and written back whenever a call is answered.
    pub cache: PathBuf,
    pub live: Option<Endpoint>,
    pub export: Option<PathBuf>,
    pub import: Option<PathBuf>,
    /// `--check`: the cache is not written and no call is made; a miss is an error.
    pub check: bool,
    /// Whether the templates could stand in for a missing reply (`--llm-fallback template`):
    /// a run of the writer, not review's. Said when the run stops on missing replies.
    pub fallback_offered: bool,
}

/// How a driven run ended.
#[derive(Debug)]
pub enum Driven<T> {
    /// Every call the run needs was answered (or fell back): the last pass's result.
    Done(T),
    /// The misses were written to a Batch API input file: nothing else is written.
    Exported { path: PathBuf, calls: usize },
}

/// The run stopped on calls nothing could answer: exit 1, with how to answer them.
#[derive(Debug)]
pub struct MissingReplies {
    pub calls: usize,
    pub cache: PathBuf,
    /// Whether to say `--llm-fallback template` among the ways out.
    pub fallback_offered: bool,
}

impl std::fmt::Display for MissingReplies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} model call(s) are not in the cache {}: answer them live (--llm-url)",
            self.calls,
            self.cache.display()
        )?;
        if self.fallback_offered {
            f.write_str(
                ", through a Batch API file (--llm-export, then --llm-import), or let the \
                 templates write those examples (--llm-fallback template)",
            )
        } else {
            f.write_str(" or through a Batch API file (--llm-export, then --llm-import)")
        }
    }
}

impl std::error::Error for MissingReplies {}

/// No writer makes more calls for one brief than a draft, a revision, a critic, a second
/// revision and a second critic; a pass more is a bug.
const MOST_PASSES: usize = 8;

/// Runs `pass` until every call it asks for is answered, as `plan` says.
pub fn drive<T>(
    plan: &Plan,
    mut pass: impl FnMut(&Arc<Session>) -> anyhow::Result<T>,
) -> anyhow::Result<Driven<T>> {
    let mut cache = Cache::open(&plan.cache)?;
    let mut batch = match &plan.import {
        Some(path) => Some(Imports::read(path)?),
        None => None,
    };
    let mut failed = BTreeMap::new();
    let mut changed = false;
    // Misses wait to be answered; only once nothing can answer them may the templates stand in.
    let mut on_miss = OnMiss::Wait;
    for _ in 0..MOST_PASSES {
        let settings = Settings {
            on_miss,
            ..plan.settings.clone()
        };
        let session = Arc::new(Session::new(settings, cache, failed));
        let result = pass(&session);
        let misses = session.take_misses();
        (cache, failed) = Arc::try_unwrap(session)
            .map_err(|_| anyhow::anyhow!("internal error: a writer outlived its pass"))?
            .into_parts();
        let result = result?;
        if misses.is_empty() {
            if changed && !plan.check {
                cache.save()?;
            }
            if let Some(batch) = &batch {
                batch.report(&cache);
            }
            return Ok(Driven::Done(result));
        }
        if let Some(batch) = &mut batch
            && batch.answer(&misses, &mut cache) > 0
        {
            changed = true;
            continue;
        }
        if let Some(endpoint) = plan.live.as_ref().filter(|_| !plan.check) {
            answer_live(endpoint, &misses, &mut cache, &mut failed)?;
            changed = true;
            continue;
        }
        if changed && !plan.check {
            cache.save()?;
        }
        if let Some(path) = plan.export.as_ref().filter(|_| !plan.check) {
            let lines: String = misses.iter().map(cache::batch_request_line).collect();
            output::to_file(path, &lines)?;
            return Ok(Driven::Exported {
                path: path.clone(),
                calls: misses.len(),
            });
        }
        if plan.settings.on_miss == OnMiss::Wait {
            return Err(MissingReplies {
                calls: misses.len(),
                cache: plan.cache.clone(),
                fallback_offered: plan.fallback_offered,
            }
            .into());
        }
        on_miss = OnMiss::Template;
    }
    anyhow::bail!("internal error: the model writer still misses calls after {MOST_PASSES} passes")
}

/// Answers `misses` live, N at a time with a progress bar; what the server will not answer
/// falls back for this run (and is tried again on the next). The cache is saved after, so an
/// interrupted run keeps what it paid for.
fn answer_live(
    endpoint: &Endpoint,
    misses: &[Call],
    cache: &mut Cache,
    failed: &mut BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let progress = output::Progress::of("asking the model {pos}/{len} calls");
    let results = client::fill(endpoint, misses, &|done, total| progress.files(done, total));
    progress.finish();
    let mut failures = 0;
    for (call, result) in misses.iter().zip(results) {
        match result {
            Ok(reply) => cache.insert(call, reply),
            Err(why) => {
                if failures == 0 {
                    output::warning(&format!("a model call failed: {why}"));
                }
                failures += 1;
                failed.insert(call.key(), why);
            }
        }
    }
    if failures > 1 {
        output::warning(&format!(
            "{failures} model calls failed; their examples keep the templates' text"
        ));
    }
    cache.save()
}

/// The lines of a Batch API output file, given to the passes whose misses they answer.
struct Imports {
    path: PathBuf,
    lines: Vec<BatchOutput>,
    used: BTreeSet<String>,
    failed: Vec<(String, String)>,
}

impl Imports {
    fn read(path: &Path) -> anyhow::Result<Imports> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Imports {
            path: path.to_path_buf(),
            lines: cache::read_batch_output(path, &text)?,
            used: BTreeSet::new(),
            failed: Vec::new(),
        })
    }

    /// Adds to `cache` the replies the file holds for `misses`; how many.
    fn answer(&mut self, misses: &[Call], cache: &mut Cache) -> usize {
        let keys: BTreeSet<String> = misses.iter().map(Call::key).collect();
        let lines: Vec<BatchOutput> = self
            .lines
            .iter()
            .filter(|line| keys.contains(&line.custom_id) && !self.used.contains(&line.custom_id))
            .cloned()
            .collect();
        self.used.extend(lines.iter().map(|l| l.custom_id.clone()));
        let imported = cache.import(misses, lines);
        self.failed.extend(imported.failed);
        imported.added
    }

    /// Says what became of lines that answered nothing (a line whose call an earlier run
    /// already cached is no news).
    fn report(&self, cache: &Cache) {
        let unused = self
            .lines
            .iter()
            .filter(|l| !self.used.contains(&l.custom_id) && !cache.has_key(&l.custom_id))
            .count();
        if unused > 0 {
            output::warning(&format!(
                "{unused} line(s) of {} answer no call of this run (another run's batch, or a \
                 brief that changed)",
                self.path.display()
            ));
        }
        if let Some((id, why)) = self.failed.first() {
            output::warning(&format!(
                "{} line(s) of {} carry an error instead of a reply (first: {id}: {why}); \
                 export again to retry them",
                self.failed.len(),
                self.path.display()
            ));
        }
    }
}
