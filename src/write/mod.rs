//! Write: the one seam through which text enters an example. The pipeline fills a [`Brief`]
//! (plain data: the profile's vocabulary, the unit's key, role and items with their facts, its
//! exact code, the context it reaches, which example of the unit this is, and in history mode
//! the commit's message and what it changed) and asks a [`Writer`] for a [`Text`]: a request
//! and a reasoning. Generation and history mode reach text only through this trait; today's one
//! writer is the templates and rules of [`template`].
//!
//! What a writer may assume: the brief's facts are verbatim readings of its code (every quoted
//! text is an exact slice of it), the code is exactly what the example will carry, and the
//! briefs of one writer value come in the order the examples are made (one file's units in
//! generation, a whole history in history mode), so a writer may remember what it already
//! said to vary what it says next. It sees no syntax tree and no file but the text the brief
//! carries.
//!
//! What the pipeline checks afterwards, whoever wrote the text (`dataset/check.rs`): every
//! backticked span of a reasoning stands in its code and of a request in a source, no code name
//! is left outside backticks, no status code or mechanism the code does not show is named, and
//! no request or reasoning repeats another. A text that fails is left out with a warning and a
//! manifest entry (`--strict` fails the run); being a writer earns no trust. One duty is a
//! writer's own: a history change's request quotes the code before the commit verbatim
//! ([`ChangeBrief::before_code`]), since the check rebuilds that code from the slices.
//!
//! Invariant: it imports only from `extract/` and `dataset/`, never from the top.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::dataset::example::{ModelNote, Voice};
/// A brief's context is made in `extract/` (where the code is read), as this plain data.
pub use crate::extract::context::ContextItem;
use crate::extract::facts::{Change, Fact};
use crate::extract::units::Role;

pub mod llm;
pub mod template;

/// Everything a writer is told about one example, as plain data borrowed from the pipeline for
/// the length of one [`Writer::write`] call.
///
/// A unit's own code is its `items`; what it reaches beyond them (callee signatures, the types
/// it takes or returns, the impls of those and of the types it defines, in its file or, in
/// crate mode, in other files) is in `context` when the run asks for it, and `file_text` holds
/// the rest of its file.
#[derive(Debug, Clone)]
pub struct Brief<'a> {
    /// The profile's vocabulary (`operation`, `resource`, …): the words the text names the
    /// operation with.
    pub vocabulary: &'a BTreeMap<String, String>,
    /// The unit's stable key (`item:MessageIn`, `chain:create_message+…`, `change:1a2b3c4`).
    pub key: String,
    pub role: Role,
    /// The name of the item the unit is about.
    pub name: String,
    /// The unit's items in source order, each with its facts.
    pub items: Vec<BriefItem<'a>>,
    /// Index in `items` of the item the unit is about.
    pub primary: usize,
    /// For a chain, the functions after the root, in source order.
    pub callees: Vec<String>,
    /// The route of a root handler, when the router names one.
    pub route: Option<&'a Fact>,
    /// Whether a root handler calls the unit's primary item.
    pub called_by_root: bool,
    /// The type whose field has the unit's primary item as its type, when that is why it was
    /// selected.
    pub field_of: Option<String>,
    /// The facts of every item selected in the file: what the unit reaches beyond itself.
    /// One `Arc` serves every brief of a file, so a writer may index it once (`Arc::ptr_eq`
    /// tells it the file is the same).
    pub file_facts: FileFacts,
    /// The example's code, exactly as it will be shown (the slices joined).
    pub code: &'a str,
    /// The whole text of the file the code comes from (in history mode, at the commit).
    pub file_text: &'a str,
    /// The path of that file as the examples' provenance names it.
    pub path: &'a std::path::Path,
    /// What the unit reaches beyond its own code, as exact text of the crate: the types it
    /// takes, returns or holds, callee signatures, and the impls of those types and of the
    /// types it defines (headers with their members' signatures), most relevant first, cut to
    /// a budget its code sets. A writer may name what is here; it is not part of the
    /// example's code. Empty unless the run asked for it (`Options::context_for_writer`, and
    /// `HistoryOptions::context_for_writer`): the templates read none.
    pub context: Vec<ContextItem>,
    /// Which example of the unit this is (0 for the first), and the voice its request takes.
    pub variant: usize,
    pub voice: Voice,
    /// History mode: the commit this example is made from.
    pub history: Option<HistoryBrief<'a>>,
}

/// The facts of every item selected in one file, in file order, shared by its briefs.
pub type FileFacts = Arc<[Vec<Fact>]>;

/// One item of a unit: its name and what its code shows.
#[derive(Debug, Clone, Copy)]
pub struct BriefItem<'a> {
    pub name: &'a str,
    pub facts: &'a [Fact],
}

/// What history mode adds to a brief: the commit's message, and for a change to existing
/// items their code before the commit and what changed (for items the commit added: `None`).
#[derive(Debug, Clone, Copy)]
pub struct HistoryBrief<'a> {
    /// The commit's message, cleaned: the request the example is built on.
    pub message: &'a str,
    pub change: Option<ChangeBrief<'a>>,
}

/// A commit's change to existing items: `changes[i]` is about `items[i]` of the brief, whose
/// facts are those after the commit. The request must quote `before_code` verbatim: the check
/// rebuilds it from the example's slices before the commit and requires it in the request (its
/// absence is a fault of the code, an internal error, not a text left out).
#[derive(Debug, Clone, Copy)]
pub struct ChangeBrief<'a> {
    /// The items' code at the commit's parent, the slices joined.
    pub before_code: &'a str,
    pub changes: &'a [Change<'a>],
}

/// What a writer returns for one brief.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub request: String,
    pub reasoning: String,
    /// The ids of the reasoning rules the text drew on, in the order their sentences appear
    /// (the manifest records them; a writer without rules returns none).
    pub rules: Vec<String>,
    /// How a language model took part; `None` for the template writer.
    pub model: Option<ModelNote>,
}

/// Turns a brief into a text. One value serves the briefs of one file (generation) or of one
/// history, in order; it may keep what it said before behind `&self` (a lock), so the pipeline
/// can share it across its threads.
pub trait Writer: Send + Sync {
    /// The example's text; [`Exhausted`] when the writer has nothing new left to say about
    /// this unit (the pipeline then makes no more examples of it and counts the shortfall).
    /// Any other error stops the run.
    fn write(&self, brief: &Brief) -> anyhow::Result<Text>;
}

/// A writer's answer when the text depends on a model call not answered yet (not in the
/// cache). The pipeline makes no example of the brief this time and goes on; the run's driver
/// collects the calls, has them answered (live, or through a Batch API file) and runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending;

impl std::fmt::Display for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the text waits for a model call not answered yet")
    }
}

impl std::error::Error for Pending {}

/// A writer's answer when it has no text for a brief that would not repeat one it gave before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted;

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the writer has no new text left for this unit")
    }
}

impl std::error::Error for Exhausted {}
