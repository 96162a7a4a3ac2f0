//! The critic on a dataset (`svix-distill review`): each line's request and reasoning read by
//! the model against the source, as the model writer's critic reads a draft, each call a
//! lookup in the same cache. Plain data out: per line, the sentences flagged and why, or why
//! there is no verdict; `report.rs` prints it.

use super::cache::{Answer, Call};
use super::prompt::{self, Flag, Prompts};
use super::writer::Session;
use crate::dataset::format::Line;
use crate::write::Pending;

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The sentences the code does not support: none for a clean line.
    Flagged(Vec<Flag>),
    /// The line could not be taken apart into a request, a reasoning and code: why.
    NotRead(String),
    /// The critic gave no verdict: its call failed, or its reply was not understood.
    NoVerdict(String),
}

/// One line's verdict, the line numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    pub line: usize,
    pub verdict: Verdict,
}

/// A review of a dataset's lines, with the tokens its calls cost.
#[derive(Debug, Default)]
pub struct Review {
    pub lines: Vec<Reviewed>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// The source files as the critic reads them: one file's text alone (as the model writer's
/// critic is given its file, so that a review of its output finds those calls in the cache),
/// several each under a `// file: PATH` line.
pub fn joined_source(files: &[(String, String)]) -> String {
    match files {
        [(_, text)] => text.clone(),
        _ => files
            .iter()
            .map(|(path, text)| format!("// file: {path}\n{text}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The critic's call for `line`: against `source`, or with none against the line's code.
pub fn critic_call(model: &str, prompts: &Prompts, source: Option<&str>, line: &Line) -> Call {
    Call {
        model: model.to_owned(),
        prompt_version: prompts.version,
        messages: prompt::critic_messages(
            prompts,
            source.unwrap_or(&line.code),
            &line.code,
            &line.request,
            &line.reasoning,
        ),
        answer: Answer::Critic,
    }
}

/// One pass over `lines`: every line's call is looked up, so that one pass records every miss;
/// [`Pending`] when any is not answered yet.
pub fn review(
    session: &Session,
    prompts: &Prompts,
    source: Option<&str>,
    lines: &[Line],
) -> Result<Review, Pending> {
    let mut review = Review::default();
    let mut pending = false;
    for line in lines {
        let call = critic_call(&session.settings.model, prompts, source, line);
        let verdict = match session.lookup(&call) {
            Err(Pending) => {
                pending = true;
                continue;
            }
            Ok(Err(why)) => Verdict::NoVerdict(format!("the critic call failed: {why}")),
            Ok(Ok(reply)) => {
                review.prompt_tokens += reply.usage.prompt_tokens;
                review.completion_tokens += reply.usage.completion_tokens;
                match prompt::parse_critic(&reply.content) {
                    Ok(flags) => Verdict::Flagged(flags),
                    Err(why) => {
                        Verdict::NoVerdict(format!("the critic's reply is not understood: {why}"))
                    }
                }
            }
        };
        review.lines.push(Reviewed {
            line: line.number,
            verdict,
        });
    }
    if pending { Err(Pending) } else { Ok(review) }
}
