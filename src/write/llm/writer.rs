//! The language-model writer: one brief's text as a short, fixed sequence of model calls, each
//! a cache lookup. A draft is asked for; it is parsed and verified, and a failing draft goes
//! back once with its failures; the critic then reads it against the whole source, and a
//! flagged draft goes back once naming the sentences, to be verified and read again. A draft
//! that still fails leaves the template writer's text standing, and says why.
//!
//! Every step is a pure function of the brief and the replies before it, so a run that finds
//! every call in the cache makes the same text every time, and a run that misses one returns
//! [`Pending`] for the brief and records the call: the driver ([`super::rounds`]) has the
//! misses answered and runs again, one round of calls further each time.

use std::collections::BTreeMap;
use std::sync::{Mutex, RwLock};

use super::cache::{Answer, Cache, Call, Reply};
use super::prompt::{self, Draft, Prompts};
use super::verify;
use crate::dataset::check::{self, Mechanism};
use crate::dataset::example::{ModelNote, Outcome};
use crate::write::{Brief, Pending, Text, Writer};

/// How a run uses the model: which one, whether the critic reads the drafts, and what a call
/// not in the cache becomes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model: String,
    pub critic: bool,
    /// A call not in the cache: wait for it ([`Pending`], so the driver can have it answered),
    /// or let the template writer's text stand for the example (`--llm-fallback template`).
    pub on_miss: OnMiss,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMiss {
    Wait,
    Template,
}

/// What the writers of one pass over the run share: the cache as it stood when the pass
/// began, the calls the pass missed, and the calls this run tried live and could not have
/// answered (their examples fall back).
#[derive(Debug)]
pub struct Session {
    pub settings: Settings,
    cache: RwLock<Cache>,
    failed: BTreeMap<String, String>,
    misses: Mutex<BTreeMap<String, Call>>,
}

impl Session {
    pub fn new(settings: Settings, cache: Cache, failed: BTreeMap<String, String>) -> Session {
        Session {
            settings,
            cache: RwLock::new(cache),
            failed,
            misses: Mutex::new(BTreeMap::new()),
        }
    }

    /// The calls the pass missed, in key order (one each, however many briefs asked).
    pub fn take_misses(&self) -> Vec<Call> {
        std::mem::take(
            &mut *self
                .misses
                .lock()
                .expect("no writer panics holding the lock"),
        )
        .into_values()
        .collect()
    }

    /// The cache back, when the pass is over.
    pub fn into_parts(self) -> (Cache, BTreeMap<String, String>) {
        (
            self.cache
                .into_inner()
                .expect("no writer panics holding the lock"),
            self.failed,
        )
    }

    /// The reply to `call`, or why this run has none (a live call that failed, or under
    /// `--llm-fallback template` a miss); [`Pending`] after recording a miss the driver can
    /// still have answered.
    pub fn lookup(&self, call: &Call) -> Result<Result<Reply, String>, Pending> {
        Ok(match self.ask(call)? {
            Asked::Reply(reply) => Ok(reply),
            Asked::Failed(why) => Err(why),
        })
    }

    fn ask(&self, call: &Call) -> Result<Asked, Pending> {
        let key = call.key();
        if let Some(reply) = self.cache.read().expect("no panic holds it").get(call) {
            return Ok(Asked::Reply(reply.clone()));
        }
        if let Some(why) = self.failed.get(&key) {
            return Ok(Asked::Failed(why.clone()));
        }
        match self.settings.on_miss {
            OnMiss::Template => Ok(Asked::Failed("not in the cache".to_owned())),
            OnMiss::Wait => {
                self.misses
                    .lock()
                    .expect("no writer panics holding the lock")
                    .entry(key)
                    .or_insert_with(|| call.clone());
                Err(Pending)
            }
        }
    }
}

/// A cache lookup's answer.
enum Asked {
    Reply(Reply),
    /// No reply this run will get: the text falls back.
    Failed(String),
}

/// The model writer of one profile's briefs, the templates beside it for hints and fallback.
pub struct LlmWriter<'p> {
    session: std::sync::Arc<Session>,
    prompts: &'p Prompts,
    mechanisms: &'p [Mechanism],
    templates: Box<dyn Writer + 'p>,
    /// The requests and reasonings accepted so far: a draft that repeats one word for word
    /// goes back, since the check would leave the example out.
    said: Mutex<Said>,
}

#[derive(Default)]
struct Said {
    requests: std::collections::BTreeSet<String>,
    reasonings: std::collections::BTreeSet<String>,
}

impl<'p> LlmWriter<'p> {
    pub fn new(
        session: std::sync::Arc<Session>,
        prompts: &'p Prompts,
        mechanisms: &'p [Mechanism],
        templates: Box<dyn Writer + 'p>,
    ) -> LlmWriter<'p> {
        LlmWriter {
            session,
            prompts,
            mechanisms,
            templates,
            said: Mutex::new(Said::default()),
        }
    }

    fn call(&self, messages: Vec<super::cache::Message>, answer: Answer) -> Call {
        Call {
            model: self.session.settings.model.clone(),
            prompt_version: self.prompts.version,
            messages,
            answer,
        }
    }

    /// Asks, counting the tokens of what came back into `note`.
    fn ask(&self, call: &Call, note: &mut ModelNote) -> Result<Result<Reply, String>, Pending> {
        Ok(match self.session.ask(call)? {
            Asked::Reply(reply) => {
                note.prompt_tokens += reply.usage.prompt_tokens;
                note.completion_tokens += reply.usage.completion_tokens;
                Ok(reply)
            }
            Asked::Failed(why) => Err(why),
        })
    }

    /// Every reason `reply` is not an acceptable draft for `brief`: it does not parse, it
    /// fails verification, or it fails the grounding every example's text meets.
    fn faults(&self, reply: &str, brief: &Brief, template: &Text) -> Result<Draft, Vec<String>> {
        let history = brief.history.is_some();
        let draft =
            prompt::parse_draft(reply, history).map_err(|why| vec![format!("reply: {why}")])?;
        let mut faults: Vec<String> = verify::verify(&draft, brief, self.mechanisms)
            .into_iter()
            .map(|f| format!("{}: {}", f.check, f.detail))
            .collect();
        let request = if history {
            &template.request
        } else {
            &draft.request
        };
        faults.extend(
            check::grounding_faults(
                request,
                &draft.reasoning,
                brief.code,
                &[brief.file_text],
                self.mechanisms,
            )
            .into_iter()
            .map(|fault| format!("grounding: {fault}")),
        );
        let said = self.said.lock().expect("no writer panics holding the lock");
        if !history && said.requests.contains(&draft.request) {
            faults.push("repeat: the request is word for word an earlier example's".to_owned());
        }
        if said.reasonings.contains(&draft.reasoning) {
            faults.push("repeat: the reasoning is word for word an earlier example's".to_owned());
        }
        if faults.is_empty() {
            Ok(draft)
        } else {
            Err(faults)
        }
    }

    /// The critic's flags on `draft`, as lines to send back; empty when it found nothing.
    fn critique(
        &self,
        brief: &Brief,
        request: &str,
        draft: &Draft,
        note: &mut ModelNote,
    ) -> Result<Result<Vec<String>, String>, Pending> {
        let messages = prompt::critic_messages(
            self.prompts,
            brief.file_text,
            brief.code,
            request,
            &draft.reasoning,
        );
        let call = self.call(messages, Answer::Critic);
        Ok(match self.ask(&call, note)? {
            Err(why) => Err(format!("critic call failed: {why}")),
            Ok(reply) => match prompt::parse_critic(&reply.content) {
                Err(why) => Err(format!("critic reply not understood: {why}")),
                Ok(flags) => Ok(flags
                    .into_iter()
                    .map(|f| format!("unsupported: \"{}\" ({})", f.sentence, f.why))
                    .collect()),
            },
        })
    }

    /// The drafts for one brief, through revision and the critic: the accepted draft, or why
    /// none was.
    fn rounds(
        &self,
        brief: &Brief,
        template: &Text,
        note: &mut ModelNote,
    ) -> Result<Result<Draft, String>, Pending> {
        let answer = if brief.history.is_some() {
            Answer::Reasoning
        } else {
            Answer::Draft
        };
        let hints = Some(template);
        let draft_call = self.call(prompt::draft_messages(self.prompts, brief, hints), answer);
        note.cache_key = draft_call.key();
        let mut reply = match self.ask(&draft_call, note)? {
            Ok(reply) => reply,
            Err(why) => return Ok(Err(format!("call failed: {why}"))),
        };
        note.rounds = 1;
        // Sends the current draft back once with `failures`, and checks what comes back.
        let revise = |reply: &Reply,
                      failures: &[String],
                      note: &mut ModelNote|
         -> Result<Result<(Reply, Draft), String>, Pending> {
            let messages =
                prompt::revise_messages(self.prompts, brief, hints, &reply.content, failures);
            let call = self.call(messages, answer);
            let key = call.key();
            let revised = match self.ask(&call, note)? {
                Ok(revised) => revised,
                Err(why) => return Ok(Err(format!("call failed: {why}"))),
            };
            note.rounds += 1;
            note.cache_key = key;
            Ok(match self.faults(&revised.content, brief, template) {
                Ok(draft) => Ok((revised, draft)),
                Err(faults) => Err(format!("verify: {}", faults[0])),
            })
        };
        let mut draft = match self.faults(&reply.content, brief, template) {
            Ok(draft) => draft,
            Err(faults) => match revise(&reply, &faults, note)? {
                Ok((revised, draft)) => {
                    reply = revised;
                    draft
                }
                Err(why) => return Ok(Err(why)),
            },
        };
        if !self.session.settings.critic {
            return Ok(Ok(draft));
        }
        let request = |draft: &Draft| -> String {
            if brief.history.is_some() {
                template.request.clone()
            } else {
                draft.request.clone()
            }
        };
        let flags = match self.critique(brief, &request(&draft), &draft, note)? {
            Ok(flags) => flags,
            Err(why) => return Ok(Err(why)),
        };
        if flags.is_empty() {
            return Ok(Ok(draft));
        }
        draft = match revise(&reply, &flags, note)? {
            Ok((_, draft)) => draft,
            Err(why) => return Ok(Err(why)),
        };
        Ok(
            match self.critique(brief, &request(&draft), &draft, note)? {
                Ok(flags) if flags.is_empty() => Ok(draft),
                Ok(flags) => Err(format!(
                    "critic: {} unsupported sentence(s) after revision, first {}",
                    flags.len(),
                    flags[0]
                )),
                Err(why) => Err(why),
            },
        )
    }
}

impl Writer for LlmWriter<'_> {
    fn write(&self, brief: &Brief) -> anyhow::Result<Text> {
        // The templates' text comes first, whatever the model says: the hints of the prompt,
        // the request of a history example, and the text that stands when no draft passes.
        let template = self.templates.write(brief)?;
        let mut note = ModelNote {
            model: self.session.settings.model.clone(),
            prompt_version: self.prompts.version,
            cache_key: String::new(),
            rounds: 0,
            outcome: Outcome::First,
            prompt_tokens: 0,
            completion_tokens: 0,
        };
        let drafted = self.rounds(brief, &template, &mut note)?;
        Ok(match drafted {
            Ok(draft) => {
                let mut said = self.said.lock().expect("no writer panics holding the lock");
                if brief.history.is_none() {
                    said.requests.insert(draft.request.clone());
                }
                said.reasonings.insert(draft.reasoning.clone());
                drop(said);
                note.outcome = if note.rounds > 1 {
                    Outcome::Revised
                } else {
                    Outcome::First
                };
                Text {
                    request: if brief.history.is_some() {
                        template.request
                    } else {
                        draft.request
                    },
                    reasoning: draft.reasoning,
                    rules: Vec::new(),
                    model: Some(note),
                }
            }
            Err(why) => {
                note.outcome = Outcome::Fallback(why);
                Text {
                    model: Some(note),
                    ..template
                }
            }
        })
    }
}
