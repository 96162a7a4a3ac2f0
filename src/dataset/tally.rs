//! What became of the model writer's drafts, counted: accepted first, after revision, fallen
//! back to the templates (by the check that failed last), and the tokens sent and received.
//! Built from a run's examples for its summary, or from a manifest's entries for `stats`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dataset::example::{Example, ModelNote, Outcome};

/// The outcomes of the drafts of a set of examples.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub first: usize,
    pub revised: usize,
    /// The examples whose text is the templates', by why (the check that failed last).
    pub fallback: BTreeMap<String, usize>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Tally {
    /// The tally of a run's examples; None when the model wrote none of them.
    pub fn of(examples: &[Example]) -> Option<Tally> {
        let notes: Vec<&ModelNote> = examples.iter().filter_map(|e| e.model.as_ref()).collect();
        (!notes.is_empty()).then(|| Tally::of_notes(notes))
    }

    /// The tally of the model writer's notes (zero for none).
    pub fn of_notes<'a>(notes: impl IntoIterator<Item = &'a ModelNote>) -> Tally {
        let mut tally = Tally::default();
        for note in notes {
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
        tally
    }

    /// One line for the summary: `model: 14 accepted first, 3 after revision, 2 fallen back
    /// (verify: ungrounded name 1, critic 1); 41200 tokens sent, 5310 received`.
    pub fn line(&self) -> String {
        format!("model: {}", self.counts())
    }

    /// The line without its `model: ` (a row of `stats`).
    pub fn counts(&self) -> String {
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
        let tokens = tokens(self.prompt_tokens, self.completion_tokens);
        format!(
            "{} accepted first, {} after revision, {fallen} fallen back to the templates{why}; \
             {tokens}",
            self.first, self.revised
        )
    }
}

/// `41200 tokens sent, 5310 received`; a Batch API output file or a server may leave `usage`
/// out, and zero tokens would claim the calls cost nothing.
pub fn tokens(sent: u64, received: u64) -> String {
    if sent == 0 && received == 0 {
        "no token usage reported".to_owned()
    } else {
        format!("{sent} tokens sent, {received} received")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn note(outcome: Outcome, tokens: u64) -> ModelNote {
        ModelNote {
            model: "m".to_owned(),
            prompt_version: 1,
            cache_key: "k".to_owned(),
            rounds: 1,
            outcome,
            prompt_tokens: tokens,
            completion_tokens: 1,
        }
    }

    #[test]
    fn replies_without_usage_are_not_said_to_cost_nothing() {
        let tally = Tally::of_notes(&[note(Outcome::First, 0)].map(|mut n| {
            n.completion_tokens = 0;
            n
        }));
        assert_eq!(
            tally.line(),
            "model: 1 accepted first, 0 after revision, 0 fallen back to the templates; no token usage reported"
        );
    }

    #[test]
    fn fallbacks_are_counted_by_the_kind_of_check_that_failed() {
        let notes = [
            note(Outcome::First, 10),
            note(Outcome::Revised, 20),
            note(
                Outcome::Fallback("verify: ungrounded name: `x`".to_owned()),
                30,
            ),
            note(
                Outcome::Fallback("verify: ungrounded name: `y`".to_owned()),
                30,
            ),
            note(
                Outcome::Fallback("critic: 2 unsupported sentence(s)".to_owned()),
                40,
            ),
        ];
        let tally = Tally::of_notes(&notes);
        assert_eq!(
            tally.line(),
            "model: 1 accepted first, 1 after revision, 3 fallen back to the templates \
             (critic 1, verify: ungrounded name 2); 130 tokens sent, 5 received"
        );
    }
}
