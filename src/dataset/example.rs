//! The `Example`: one training example as plain data, before any wire format, with the
//! provenance of every slice of its code. The pipeline makes them, `check.rs` checks them
//! (leaving out, as `Dropped`, those whose text fails), `format.rs` puts them on the wire.

use std::ops::Range;
use std::path::PathBuf;

/// One slice of an example's code: where it stands in its source file. Byte offsets count in
/// the file's text as read, a leading byte-order mark left out; lines are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub path: PathBuf,
    pub bytes: Range<usize>,
    pub lines: (usize, usize),
    /// The commit whose version of the file the offsets refer to (history mode); None for the
    /// file as it is on disk.
    pub commit: Option<String>,
}

/// One training example before it is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The unit's stable key (`item:MessageIn`, `chain:create_message+…`).
    pub unit: String,
    /// The key of the first unit of its group: units that share an item (a function that is a
    /// unit of its own and part of a handler's chain) form one group, which the validation
    /// split keeps on one side.
    pub group: String,
    /// What the unit is: `handler`, `body`, `trait_impl`, ….
    pub kind: &'static str,
    pub voice: Voice,
    /// Which of the unit's examples this is, from 0.
    pub variant: usize,
    pub request: String,
    pub reasoning: String,
    /// The ids of the reasoning rules the reasoning drew on, in order.
    pub rules: Vec<String>,
    /// The slices joined by one blank line in the file's own line ending; one copy for all of
    /// a unit's examples.
    pub code: std::sync::Arc<str>,
    pub slices: Vec<Slice>,
    /// History mode: the commit the example is made from.
    pub commit: Option<String>,
    /// History mode: the slices of the code as it was before the commit, which the request
    /// quotes (joined like `code`); empty when the request quotes no code.
    pub before: Vec<Slice>,
    /// How a language model took part in the text; `None` for the template writer alone.
    pub model: Option<ModelNote>,
}

/// What the manifest records of an example whose text the language-model writer was asked
/// for: which model and prompt, the cache key of the draft the text came from, how many
/// drafts it took, and what became of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelNote {
    pub model: String,
    pub prompt_version: u32,
    /// The key of the cached call whose reply is the example's text (for a fallback, of the
    /// last draft refused).
    pub cache_key: String,
    /// The drafts asked for: 1 when the first was accepted.
    pub rounds: u32,
    pub outcome: Outcome,
    /// Tokens sent and received over every call made for this example, critic rounds included.
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// What became of a model's drafts for one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The first draft passed verification and the critic.
    First,
    /// A draft sent back once (for its failures or the critic's flags) passed.
    Revised,
    /// No draft passed: the template writer's text stands, and why (the check that failed
    /// last, e.g. `verify: ungrounded name` or `critic: 2 unsupported sentences`).
    Fallback(String),
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::First => "first",
            Outcome::Revised => "revised",
            Outcome::Fallback(_) => "fallback",
        }
    }
}

/// An example left out because its text fails its own check (a name outside backticks, a
/// quotation its code does not hold, a repeat): the run goes on without it, and says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub unit: String,
    pub variant: usize,
    /// The file its code comes from (its first slice's).
    pub path: Option<PathBuf>,
    /// History mode: the commit it was made from.
    pub commit: Option<String>,
    /// The check that failed (the first, when several did).
    pub reason: String,
    /// The words at fault, on their line of the request or reasoning.
    pub excerpt: String,
}

impl Dropped {
    /// An example left out, with why.
    pub fn of(example: &Example, reason: String, excerpt: String) -> Dropped {
        Dropped {
            unit: example.unit.clone(),
            variant: example.variant,
            path: example.slices.first().map(|s| s.path.clone()),
            commit: example.commit.clone(),
            reason,
            excerpt,
        }
    }
}

/// Whose words a request is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Voice {
    Issue,
    Feature,
    Chat,
    Review,
    /// A commit's own message (history mode): the maintainer's words, not a template's.
    Commit,
}

impl Voice {
    pub const ALL: [Voice; 4] = [Voice::Issue, Voice::Feature, Voice::Chat, Voice::Review];

    pub fn name(self) -> &'static str {
        match self {
            Voice::Issue => "issue",
            Voice::Feature => "feature",
            Voice::Chat => "chat",
            Voice::Review => "review",
            Voice::Commit => "commit",
        }
    }
}
