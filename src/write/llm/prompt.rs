//! The prompts: the messages of every call the writer makes (a draft, a revision, a critic
//! round), built from a `Brief` and the profile's [`Prompts`], and the strict parsing of the
//! model's JSON replies. Prompts are data: their wording lives in `prompts.toml` (a profile's
//! `[llm]` table overrides it) with a version that is part of every call's cache key.
//!
//! STUB: the interface is fixed; the wording and the brief's rendering are being written.

use serde::Deserialize;

use super::cache::Message;
use crate::write::Brief;

/// The prompt texts and their version, as the profile holds them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    /// Part of every call's cache key and of the manifest: a change of wording is a new version.
    pub version: u32,
    /// The writer's system message.
    pub system: String,
    /// The user message asking for a draft: placeholders `{brief}`, `{voice}`, …
    pub draft: String,
    /// The user message sending a draft back with its failures: `{failures}`.
    pub revise: String,
    /// The critic's system message and user message: `{source}`, `{request}`, `{reasoning}`.
    pub critic_system: String,
    pub critic: String,
}

/// A draft as the model returned it, parsed: in history mode `request` is empty (the request
/// stays the commit's own message, the model writes only the reasoning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub request: String,
    pub reasoning: String,
}

/// One sentence the critic says the code does not support, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub sentence: String,
    pub why: String,
}

/// The messages asking for the first draft of `brief`'s text.
pub fn draft_messages(prompts: &Prompts, brief: &Brief) -> Vec<Message> {
    let _ = (prompts, brief);
    todo!("prompt::draft_messages")
}

/// The messages sending `draft` back once: the draft call's messages, the draft as the
/// assistant's reply, and a user message listing `failures` (verification's, or the critic's
/// flagged sentences).
pub fn revise_messages(
    prompts: &Prompts,
    brief: &Brief,
    reply: &str,
    failures: &[String],
) -> Vec<Message> {
    let _ = (prompts, brief, reply, failures);
    todo!("prompt::revise_messages")
}

/// The messages asking the critic which sentences of a request and reasoning `source` (the
/// whole file, or the crate's relevant files) does not support; `code` is the example's code.
pub fn critic_messages(
    prompts: &Prompts,
    source: &str,
    code: &str,
    request: &str,
    reasoning: &str,
) -> Vec<Message> {
    let _ = (prompts, source, code, request, reasoning);
    todo!("prompt::critic_messages")
}

/// A draft reply parsed strictly: one JSON object with `request` and `reasoning` strings
/// (`history`: `reasoning` only), nothing else. Err says what is wrong, for the revision.
pub fn parse_draft(reply: &str, history: bool) -> Result<Draft, String> {
    let _ = (reply, history);
    todo!("prompt::parse_draft")
}

/// A critic reply parsed strictly: `{"unsupported": [{"sentence": …, "why": …}, …]}`.
pub fn parse_critic(reply: &str) -> Result<Vec<Flag>, String> {
    let _ = reply;
    todo!("prompt::parse_critic")
}
