//! The prompts: the messages of every call the writer makes (a draft, a revision, a critic
//! round), built from a `Brief` and the profile's [`Prompts`], and the strict parsing of the
//! model's JSON replies. Prompts are data: their wording lives in `prompts.toml` (a profile's
//! `[llm]` table overrides it) with a version that is part of every call's cache key.
//!
//! STUB: the interface is fixed; the wording and the brief's rendering are being written.

use serde::Deserialize;

use super::cache::Message;
use crate::write::{Brief, Text};

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

impl Prompts {
    /// The built-in prompts (STUB until the wording lands).
    pub fn builtin() -> Prompts {
        Prompts {
            version: 0,
            system: String::new(),
            draft: String::new(),
            revise: String::new(),
            critic_system: String::new(),
            critic: String::new(),
        }
    }
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
pub fn draft_messages(prompts: &Prompts, brief: &Brief, hints: Option<&Text>) -> Vec<Message> {
    let _ = hints;
    vec![
        Message {
            role: "system".into(),
            content: prompts.system.clone(),
        },
        Message {
            role: "user".into(),
            content: format!(
                "{}\n{}\nvariant {}",
                prompts.draft, brief.code, brief.variant
            ),
        },
    ]
}

/// The messages sending `draft` back once: the draft call's messages, the draft as the
/// assistant's reply, and a user message listing `failures` (verification's, or the critic's
/// flagged sentences).
pub fn revise_messages(
    prompts: &Prompts,
    brief: &Brief,
    hints: Option<&Text>,
    reply: &str,
    failures: &[String],
) -> Vec<Message> {
    let mut messages = draft_messages(prompts, brief, hints);
    messages.push(Message {
        role: "assistant".into(),
        content: reply.to_owned(),
    });
    messages.push(Message {
        role: "user".into(),
        content: format!("{}\n{}", prompts.revise, failures.join("\n")),
    });
    messages
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
    vec![
        Message {
            role: "system".into(),
            content: prompts.critic_system.clone(),
        },
        Message {
            role: "user".into(),
            content: format!(
                "{}\n{source}\n{code}\n{request}\n{reasoning}",
                prompts.critic
            ),
        },
    ]
}

/// A draft reply parsed strictly: one JSON object with `request` and `reasoning` strings
/// (`history`: `reasoning` only), nothing else. Err says what is wrong, for the revision.
pub fn parse_draft(reply: &str, history: bool) -> Result<Draft, String> {
    let value: serde_json::Value = serde_json::from_str(reply).map_err(|e| e.to_string())?;
    let field = |name: &str| {
        value[name]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("no {name}"))
    };
    Ok(Draft {
        request: if history {
            String::new()
        } else {
            field("request")?
        },
        reasoning: field("reasoning")?,
    })
}

/// A critic reply parsed strictly: `{"unsupported": [{"sentence": …, "why": …}, …]}`.
pub fn parse_critic(reply: &str) -> Result<Vec<Flag>, String> {
    let value: serde_json::Value = serde_json::from_str(reply).map_err(|e| e.to_string())?;
    let list = value["unsupported"]
        .as_array()
        .ok_or("no unsupported list")?;
    Ok(list
        .iter()
        .map(|f| Flag {
            sentence: f["sentence"].as_str().unwrap_or_default().to_owned(),
            why: f["why"].as_str().unwrap_or_default().to_owned(),
        })
        .collect())
}
