//! The prompts: the messages of every call the writer makes (a draft, a revision, a critic
//! round), built from a `Brief` and the profile's [`Prompts`], and the strict parsing of the
//! model's JSON replies. Prompts are data: their wording lives in `prompts.toml` (a profile's
//! `[llm]` table overrides any of it) with a version that names it in the manifest.
//!
//! Every placeholder a prompt names is checked when the profile loads, and the vocabulary is
//! filled in then; the rest is filled in one pass when a call is made, so a code text holding
//! `{brief}` is never filled again.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::brief_text::{brief_text, fenced};
use super::cache::Message;
use crate::dataset::example::Voice;
use crate::write::template::render::{self, Templates};
use crate::write::{Brief, Text};

/// The prompt texts and their version, as the profile holds them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    /// Names the wording in the manifest; every call's cache key holds it (and the messages,
    /// so a change of wording is a new key whatever the version).
    pub version: u32,
    /// The writer's system message.
    pub system: String,
    /// The user message asking for a draft: `{brief}`, `{voice}`, `{variant}`.
    pub draft: String,
    /// The user message asking for a history example's reasoning: `{brief}`.
    pub history: String,
    /// The user message sending a draft back with its failures: `{failures}`.
    pub revise: String,
    /// The critic's system message and user message: `{source}`, `{code}`, `{request}`,
    /// `{reasoning}`.
    pub critic_system: String,
    pub critic: String,
    /// What `{voice}` says for each kind of request: `issue`, `feature`, `chat`, `review`.
    pub voices: BTreeMap<String, String>,
}

/// A profile's `[llm]` table: any of [`Prompts`]' keys, laid over the built-in prompts
/// (`voices` key by key). A table that changes any wording must give `version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PromptsTable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revise: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critic_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critic: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub voices: BTreeMap<String, String>,
}

/// The built-in prompts as TOML: an `[llm]` table, as a profile would write it
/// (`profiles show` prints it after a built-in profile).
pub const BUILT_IN: &str = include_str!("prompts.toml");

/// The built-in prompts, parsed once; the vocabulary is not filled in yet.
fn built_in() -> &'static Prompts {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        llm: Prompts,
    }
    static PROMPTS: LazyLock<Prompts> = LazyLock::new(|| {
        toml::from_str::<File>(BUILT_IN)
            .expect("prompts.toml parses (a test loads it)")
            .llm
    });
    &PROMPTS
}

/// Each prompt's key in `[llm]`, the placeholders filled in it besides the vocabulary, and
/// those it must name (a draft prompt without `{brief}` would show the model no code).
const FIELDS: [(&str, &[&str], &[&str]); 6] = [
    ("system", &[], &[]),
    ("draft", &["brief", "voice", "variant"], &["brief"]),
    ("history", &["brief"], &["brief"]),
    ("revise", &["failures"], &["failures"]),
    ("critic_system", &[], &[]),
    (
        "critic",
        &["source", "code", "request", "reasoning"],
        &["source", "request", "reasoning"],
    ),
];

/// Why a profile's `[llm]` table does not load: the key it is about, below `llm`
/// (`["draft"]`, `["voices", "chat"]`), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptsError {
    pub key: Vec<String>,
    pub message: String,
}

impl Prompts {
    /// The built-in prompts with `table` laid over them, checked, the vocabulary filled in.
    pub fn load(
        table: Option<&PromptsTable>,
        vocabulary: &BTreeMap<String, String>,
    ) -> Result<Prompts, PromptsError> {
        let mut prompts = built_in().clone();
        if let Some(table) = table {
            prompts.overlay(table)?;
        }
        prompts.check(vocabulary)?;
        let Prompts {
            system,
            draft,
            history,
            revise,
            critic_system,
            critic,
            voices,
            ..
        } = &mut prompts;
        Templates::fill_vocabulary(
            [system, draft, history, revise, critic_system, critic]
                .into_iter()
                .chain(voices.values_mut()),
            vocabulary,
        );
        Ok(prompts)
    }

    fn overlay(&mut self, table: &PromptsTable) -> Result<(), PromptsError> {
        let refuse = |key: &[&str], message: String| PromptsError {
            key: key.iter().map(|k| k.to_string()).collect(),
            message,
        };
        let changes_wording = *table
            != PromptsTable {
                version: table.version,
                ..PromptsTable::default()
            };
        match table.version {
            Some(version) => self.version = version,
            None if changes_wording => {
                return Err(refuse(
                    &[],
                    format!(
                        "changes the prompts but gives no `version` (the built-in prompts are \
                         version {}): a new number names the new wording in the manifest",
                        self.version
                    ),
                ));
            }
            None => {}
        }
        for (own, built_in) in [
            (&table.system, &mut self.system),
            (&table.draft, &mut self.draft),
            (&table.history, &mut self.history),
            (&table.revise, &mut self.revise),
            (&table.critic_system, &mut self.critic_system),
            (&table.critic, &mut self.critic),
        ] {
            if let Some(own) = own {
                built_in.clone_from(own);
            }
        }
        for (voice, text) in &table.voices {
            if !Voice::ALL.iter().any(|v| v.name() == voice) {
                return Err(refuse(
                    &["voices", voice],
                    format!(
                        "not a kind of request ({})",
                        Voice::ALL.map(Voice::name).join(", ")
                    ),
                ));
            }
            self.voices.insert(voice.clone(), text.clone());
        }
        Ok(())
    }

    /// Every prompt non-empty, naming only placeholders it is filled with and all it needs.
    fn check(&self, vocabulary: &BTreeMap<String, String>) -> Result<(), PromptsError> {
        let refuse = |key: &[&str], message: String| PromptsError {
            key: key.iter().map(|k| k.to_string()).collect(),
            message,
        };
        for (key, fills, needs) in FIELDS {
            let text = self.field(key);
            if text.trim().is_empty() {
                return Err(refuse(&[key], "empty".to_owned()));
            }
            if let Some(unknown) = render::unknown_placeholder(text, fills, vocabulary) {
                let with = match fills {
                    [] => String::new(),
                    fills => format!("{} and ", fills.join(", ")),
                };
                return Err(refuse(
                    &[key],
                    format!(
                        "unknown placeholder {{{unknown}}}: it is filled with {with}the vocabulary"
                    ),
                ));
            }
            if let Some(missing) = needs
                .iter()
                .find(|need| !render::placeholders(text).any(|p| p == **need))
            {
                return Err(refuse(
                    &[key],
                    format!("never names {{{missing}}}: the model would not be shown it"),
                ));
            }
        }
        for voice in Voice::ALL {
            let text = self.voices.get(voice.name()).map_or("", String::as_str);
            if text.trim().is_empty() {
                return Err(refuse(&["voices", voice.name()], "empty".to_owned()));
            }
            if let Some(unknown) = render::unknown_placeholder(text, &[], vocabulary) {
                return Err(refuse(
                    &["voices", voice.name()],
                    format!("unknown placeholder {{{unknown}}}: it is filled with the vocabulary"),
                ));
            }
        }
        Ok(())
    }

    fn field(&self, key: &str) -> &str {
        match key {
            "system" => &self.system,
            "draft" => &self.draft,
            "history" => &self.history,
            "revise" => &self.revise,
            "critic_system" => &self.critic_system,
            "critic" => &self.critic,
            _ => unreachable!("FIELDS names only Prompts' texts"),
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

fn message(role: &str, content: String) -> Message {
    Message {
        role: role.to_owned(),
        content: content.trim().to_owned(),
    }
}

/// `template` with each `{name}` of `values` replaced, in one pass: a value is never read for
/// placeholders itself.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|v| v.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = values.iter().find(|(n, _)| *n == name)?;
            Some((close, value))
        });
        match value {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The messages asking for the first draft of `brief`'s text; `hints` is the template writer's
/// text for the same brief, whose reasoning the model is shown as hints.
pub fn draft_messages(prompts: &Prompts, brief: &Brief, hints: Option<&Text>) -> Vec<Message> {
    let shown = brief_text(brief, hints);
    let user = match brief.history {
        Some(_) => fill(&prompts.history, &[("brief", &shown)]),
        None => {
            let voice = prompts
                .voices
                .get(brief.voice.name())
                .map_or(brief.voice.name(), String::as_str);
            let variant = (brief.variant + 1).to_string();
            fill(
                &prompts.draft,
                &[("brief", &shown), ("voice", voice), ("variant", &variant)],
            )
        }
    };
    vec![
        message("system", prompts.system.clone()),
        message("user", user),
    ]
}

/// The messages sending `reply` back once: the draft call's messages, the reply as the
/// assistant's, and a user message listing `failures` (verification's, or the critic's
/// flagged sentences).
pub fn revise_messages(
    prompts: &Prompts,
    brief: &Brief,
    hints: Option<&Text>,
    reply: &str,
    failures: &[String],
) -> Vec<Message> {
    let mut messages = draft_messages(prompts, brief, hints);
    messages.push(message("assistant", reply.to_owned()));
    let listed: Vec<String> = failures.iter().map(|f| format!("- {}", f.trim())).collect();
    messages.push(message(
        "user",
        fill(&prompts.revise, &[("failures", &listed.join("\n"))]),
    ));
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
    let user = fill(
        &prompts.critic,
        &[
            ("source", &fenced("rust", source)),
            ("code", &fenced("rust", code)),
            ("request", &fenced("text", request.trim())),
            ("reasoning", &fenced("text", reasoning.trim())),
        ],
    );
    vec![
        message("system", prompts.critic_system.clone()),
        message("user", user),
    ]
}

/// A draft reply parsed strictly: one JSON object with `request` and `reasoning` strings
/// (`history`: `reasoning` only), nothing else. Err says what is wrong, for the revision.
pub fn parse_draft(reply: &str, history: bool) -> Result<Draft, String> {
    let wanted: &[&str] = if history {
        &["reasoning"]
    } else {
        &["request", "reasoning"]
    };
    let shape = if history {
        r#"{"reasoning": "..."}"#
    } else {
        r#"{"request": "...", "reasoning": "..."}"#
    };
    let entries = object_entries(reply, shape)?;
    let mut strings: BTreeMap<&str, String> = BTreeMap::new();
    for (key, value) in entries {
        let Some(&field) = wanted.iter().find(|w| **w == key) else {
            return Err(format!(
                "the object has a field \"{key}\"; give only {}",
                quoted_list(wanted)
            ));
        };
        let serde_json::Value::String(text) = value else {
            return Err(format!(
                "\"{field}\" must be a string, not {}",
                kind(&value)
            ));
        };
        strings.insert(field, text);
    }
    if let Some(missing) = wanted.iter().find(|w| !strings.contains_key(*w)) {
        return Err(format!(
            "the object has no \"{missing}\" field: give {shape}"
        ));
    }
    Ok(Draft {
        request: strings.remove("request").unwrap_or_default(),
        reasoning: strings.remove("reasoning").unwrap_or_default(),
    })
}

/// A critic reply parsed strictly: `{"unsupported": [{"sentence": …, "why": …}, …]}`.
pub fn parse_critic(reply: &str) -> Result<Vec<Flag>, String> {
    let shape = r#"{"unsupported": [{"sentence": "...", "why": "..."}]}"#;
    let mut list = None;
    for (key, value) in object_entries(reply, shape)? {
        if key != "unsupported" {
            return Err(format!(
                "the object has a field \"{key}\"; give only \"unsupported\""
            ));
        }
        let serde_json::Value::Array(items) = value else {
            return Err(format!(
                "\"unsupported\" must be a list, not {}",
                kind(&value)
            ));
        };
        list = Some(items);
    }
    let items =
        list.ok_or_else(|| format!("the object has no \"unsupported\" field: give {shape}"))?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| flag(i, item))
        .collect()
}

/// One entry of the critic's list: exactly a `sentence` and a `why`, both non-empty strings.
fn flag(index: usize, item: serde_json::Value) -> Result<Flag, String> {
    let at = format!("entry {} of \"unsupported\"", index + 1);
    let serde_json::Value::Object(fields) = item else {
        return Err(format!(
            "{at} must be an object {{\"sentence\": ..., \"why\": ...}}, not {}",
            kind(&item)
        ));
    };
    let mut sentence = None;
    let mut why = None;
    for (key, value) in fields {
        let slot = match key.as_str() {
            "sentence" => &mut sentence,
            "why" => &mut why,
            _ => {
                return Err(format!(
                    "{at} has a field \"{key}\"; give only \"sentence\" and \"why\""
                ));
            }
        };
        match value {
            serde_json::Value::String(text) if !text.trim().is_empty() => *slot = Some(text),
            serde_json::Value::String(_) => return Err(format!("{at} has an empty \"{key}\"")),
            other => {
                return Err(format!(
                    "{at}: \"{key}\" must be a string, not {}",
                    kind(&other)
                ));
            }
        }
    }
    match (sentence, why) {
        (Some(sentence), Some(why)) => Ok(Flag { sentence, why }),
        (None, _) => Err(format!("{at} has no \"sentence\"")),
        (_, None) => Err(format!("{at} has no \"why\"")),
    }
}

/// The top-level entries of a reply that must be one JSON object and nothing else, in order,
/// a repeated key refused. Whitespace around it and one ```json fence wrapping the whole reply
/// are allowed: models add them unasked.
fn object_entries(reply: &str, shape: &str) -> Result<Vec<(String, serde_json::Value)>, String> {
    let text = unfenced(reply.trim())?;
    if !text.starts_with('{') {
        return Err(format!(
            "the reply must be one JSON object and nothing else, starting with {{: give {shape}"
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let Entries(entries) =
        Entries::deserialize(&mut deserializer).map_err(|e| match e.is_eof() {
            true => format!("the reply ends before its JSON object is closed: give {shape}"),
            false => format!(
                "the reply is not one valid JSON object ({}): give {shape}",
                e.to_string().replace(" at line 1 column", " at column")
            ),
        })?;
    deserializer.end().map_err(|_| {
        format!("the reply goes on after the JSON object: give the object {shape} and nothing else")
    })?;
    Ok(entries)
}

/// The reply inside one fence that wraps all of it (```` ```json ```` or bare ```` ``` ````),
/// or the reply itself when it has none.
fn unfenced(text: &str) -> Result<&str, String> {
    let Some(opened) = text.strip_prefix("```") else {
        return Ok(text);
    };
    let (lang, body) = opened.split_once('\n').unwrap_or((opened, ""));
    let closed = body.trim_end().strip_suffix("```");
    match closed {
        Some(inner) if matches!(lang.trim(), "" | "json") && !inner.contains("```") => {
            Ok(inner.trim())
        }
        _ => Err(
            "the reply must be one JSON object and nothing else: at most one ```json fence around \
             the whole of it"
                .to_owned(),
        ),
    }
}

/// A JSON object's entries in order; a key given twice is an error (serde_json's map would
/// keep the last silently).
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries: Vec<(String, serde_json::Value)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!(
                            "the field \"{key}\" is given twice"
                        )));
                    }
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

fn quoted_list(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    quoted.join(" and ")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::extract::facts::{Change, DocsChange, ExtractorRole, Fact};
    use crate::extract::units::Role;
    use crate::write::{BriefItem, ChangeBrief, ContextItem, HistoryBrief};

    fn vocabulary() -> BTreeMap<String, String> {
        [
            ("resource", "widget"),
            ("resources", "widgets"),
            ("a_resource", "a widget"),
            ("operation", "widget creation"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into()
    }

    fn prompts() -> Prompts {
        Prompts::load(None, &vocabulary()).unwrap()
    }

    const CODE: &str = "#[aide_annotate(op_id = \"v1.widget.create\")]\nasync fn create_widget(\n    permissions::Organization { org_id }: permissions::Organization,\n    ValidatedJson(data): ValidatedJson<WidgetIn>,\n) -> Result<JsonStatus<201, WidgetOut>> {\n    Ok(JsonStatus(insert_widget(org_id, data).await?))\n}";

    fn facts() -> Vec<Fact> {
        vec![
            Fact::Route {
                method: "post".into(),
                path_pieces: vec!["/widget/".into()],
            },
            Fact::AideAnnotate {
                item: "create_widget".into(),
                op_id: "v1.widget.create".into(),
                attr: "#[aide_annotate(op_id = \"v1.widget.create\")]".into(),
            },
            Fact::Permission {
                ty: "permissions::Organization".into(),
                fields: vec!["org_id".into()],
            },
            Fact::Extractor {
                role: ExtractorRole::Body,
                wrapper: "ValidatedJson".into(),
                ty: "WidgetIn".into(),
                binding: Some("data".into()),
                fields: Vec::new(),
            },
            Fact::Returns {
                ty: "Result<JsonStatus<201, WidgetOut>>".into(),
                status: Some("201".into()),
                body: Some("WidgetOut".into()),
            },
            Fact::Delegates {
                callee: "insert_widget".into(),
                whole_body: false,
                args: Vec::new(),
            },
        ]
    }

    fn hints() -> Text {
        Text {
            request: "Add `create_widget` with `org_id` and `data`.".into(),
            reasoning: "The handler takes `permissions::Organization`, so only the organization \
                        is checked. `ValidatedJson` rejects a bad `WidgetIn` before the body runs."
                .into(),
            rules: Vec::new(),
            model: None,
        }
    }

    /// Runs `check` on a brief for [`CODE`], the handler of `POST /widget/`, with one callee in
    /// its context; `history` makes it a commit's change to it.
    fn with_brief(history: Option<HistoryBrief>, check: impl FnOnce(&Brief)) {
        let vocabulary = vocabulary();
        let facts = facts();
        let brief = Brief {
            vocabulary: &vocabulary,
            key: "item:create_widget".into(),
            role: Role::Handler,
            name: "create_widget".into(),
            items: vec![BriefItem {
                name: "create_widget",
                facts: &facts,
            }],
            primary: 0,
            callees: Vec::new(),
            route: facts.first(),
            called_by_root: false,
            field_of: None,
            file_facts: vec![facts.clone()].into(),
            code: CODE,
            file_text: CODE,
            path: Path::new("src/widget.rs"),
            context: vec![ContextItem {
                kind: "callee",
                name: "insert_widget".into(),
                path: PathBuf::from("src/db.rs"),
                line: 12,
                text: "pub async fn insert_widget(org_id: OrganizationId, data: WidgetIn) -> Result<WidgetOut>".into(),
            }],
            variant: 1,
            voice: Voice::Chat,
            history,
        };
        check(&brief);
    }

    fn shown(messages: &[Message]) -> String {
        messages
            .iter()
            .map(|m| format!("=== {}\n{}\n", m.role, m.content))
            .collect()
    }

    #[test]
    fn the_draft_carries_the_code_its_context_facts_hints_voice_and_variant() {
        with_brief(None, |brief| {
            insta::assert_snapshot!(shown(&draft_messages(&prompts(), brief, Some(&hints()))), @r#"
                === system
                You are a senior maintainer of svix-server, Svix's Rust webhook server (axum, aide, validator, serde, schemars, sea-orm). You write training data about widget creation for a coding assistant: for real svix-server code, the request a maintainer would have made for it and the reasoning behind it. You claim only what the code and context you are shown support, and you answer with one JSON object only.
                === user
                The unit: `create_widget`, a handler (the function a route calls), in src/widget.rs.
                The router registers it for POST /widget/.

                The code:
                ```rust
                #[aide_annotate(op_id = "v1.widget.create")]
                async fn create_widget(
                    permissions::Organization { org_id }: permissions::Organization,
                    ValidatedJson(data): ValidatedJson<WidgetIn>,
                ) -> Result<JsonStatus<201, WidgetOut>> {
                    Ok(JsonStatus(insert_widget(org_id, data).await?))
                }
                ```

                What the code reaches elsewhere in the crate (context, not part of the example):
                ```rust
                // callee insert_widget, src/db.rs:12
                pub async fn insert_widget(org_id: OrganizationId, data: WidgetIn) -> Result<WidgetOut>
                ```

                Facts read off the code:
                - `create_widget`: aide operation id `v1.widget.create`; permission `permissions::Organization`; body extracted by `ValidatedJson` as `WidgetIn`; returns `Result<JsonStatus<201, WidgetOut>>` with status `201`; calls `insert_widget`

                Hints:
                - The handler takes `permissions::Organization`, so only the organization is checked.
                - `ValidatedJson` rejects a bad `WidgetIn` before the body runs.

                Write the training example this code answers, as JSON: {"request": "...", "reasoning": "..."}
                - request: what a Svix maintainer who needs this code, and does not have it yet, writes as a chat message to a colleague: informal, one to three sentences.
                - reasoning: the expert's answer to that request: why the code is written this way.
                This is variant 2: a different maintainer and a different angle from any other variant.

                Rules:
                1. The request states a need and its motivation, not the solution: it names at most two items the code defines, and none of their fields, parameters, methods or steps.
                2. The reasoning explains why, not what: the trade-offs, the constraints axum, aide, validator, serde, schemars or sea-orm impose, the svix conventions followed. One connected argument, the most important reason first; no walk through the code.
                3. Claim only what the code and context show, in both texts. Invent no circumstances (customers, incidents, numbers, other services); leave out a reason you cannot see rather than guess. Name no status code, HTTP method, path, crate, type, function or field they do not contain.
                4. Put every code name in backticks, spelled as in the code. No fenced code; copy no line of the code.
                5. The hints come from rules that read the code; some are trivial or incomplete. Use the few that matter for the why, checked against the code, in your own words.
                6. Never mention the hints, the facts or these instructions.
                7. Plain prose: the request at most 4 sentences, the reasoning 3 to 8.
                8. Reply with the JSON object only.
                "#);
        });
    }

    #[test]
    fn a_revision_is_the_draft_the_reply_and_the_failures() {
        with_brief(None, |brief| {
            let prompts = prompts();
            let messages = revise_messages(
                &prompts,
                brief,
                Some(&hints()),
                "{\"request\": \"r\", \"reasoning\": \"`insert_row` does it.\"}",
                &[
                    "reasoning names `insert_row`, which is not in the code or its context".into(),
                    "the request lists `org_id` and `data`".into(),
                ],
            );
            assert_eq!(
                messages[..2],
                draft_messages(&prompts, brief, Some(&hints()))
            );
            insta::assert_snapshot!(shown(&messages[2..]), @r#"
                === assistant
                {"request": "r", "reasoning": "`insert_row` does it."}
                === user
                Your answer fails these checks:
                - reasoning names `insert_row`, which is not in the code or its context
                - the request lists `org_id` and `data`

                Answer again: fix every point above, keep what was right, follow the same rules, and reply with the JSON object only.
                "#);
        });
    }

    #[test]
    fn variants_and_voices_make_different_draft_calls() {
        let prompts = prompts();
        with_brief(None, |brief| {
            let mut seen = Vec::new();
            for variant in 0..3 {
                for voice in Voice::ALL {
                    let brief = Brief {
                        variant,
                        voice,
                        ..brief.clone()
                    };
                    let messages = draft_messages(&prompts, &brief, None);
                    assert!(!seen.contains(&messages), "variant {variant}, {voice:?}");
                    seen.push(messages);
                }
            }
        });
    }

    #[test]
    fn a_history_draft_shows_both_versions_and_the_changes() {
        let changes = [Change {
            name: "create_widget".into(),
            renamed_from: None,
            before: &[],
            new_names: vec!["insert_widget".into()],
            gone_names: (0..10).map(|i| format!("old_{i}")).collect(),
            new_literals: Vec::new(),
            gone_literals: vec!["\"widget\"".into()],
            docs: Some(DocsChange::Added),
            visibility_only: false,
            pub_delta: 0,
            borrow_only: None,
        }];
        let history = HistoryBrief {
            message: "Move the insert out of the handler\n\nSo that the import can share it.",
            change: Some(ChangeBrief {
                before_code: "async fn create_widget() -> Result<()> {\n    todo!()\n}",
                changes: &changes,
            }),
        };
        with_brief(Some(history), |brief| {
            let messages = draft_messages(&prompts(), brief, Some(&hints()));
            insta::assert_snapshot!(shown(&messages[1..]), @r#"
                === user
                A commit to `create_widget` in src/widget.rs. Its message:
                ```text
                Move the insert out of the handler

                So that the import can share it.
                ```

                The changed items before the commit:
                ```rust
                async fn create_widget() -> Result<()> {
                    todo!()
                }
                ```

                After the commit (the example's code):
                ```rust
                #[aide_annotate(op_id = "v1.widget.create")]
                async fn create_widget(
                    permissions::Organization { org_id }: permissions::Organization,
                    ValidatedJson(data): ValidatedJson<WidgetIn>,
                ) -> Result<JsonStatus<201, WidgetOut>> {
                    Ok(JsonStatus(insert_widget(org_id, data).await?))
                }
                ```

                What changed:
                - `create_widget`: new names `insert_widget`; names gone `old_0`, `old_1`, `old_2`, `old_3`, `old_4`, `old_5`, `old_6`, `old_7` and 2 more; literals gone `"widget"`; doc comments added

                What the code reaches elsewhere in the crate (context, not part of the example):
                ```rust
                // callee insert_widget, src/db.rs:12
                pub async fn insert_widget(org_id: OrganizationId, data: WidgetIn) -> Result<WidgetOut>
                ```

                Facts read off the code:
                - `create_widget`: aide operation id `v1.widget.create`; permission `permissions::Organization`; body extracted by `ValidatedJson` as `WidgetIn`; returns `Result<JsonStatus<201, WidgetOut>>` with status `201`; calls `insert_widget`

                Hints:
                - The handler takes `permissions::Organization`, so only the organization is checked.
                - `ValidatedJson` rejects a bad `WidgetIn` before the body runs.

                Write the reasoning of the training example this commit makes, as JSON: {"reasoning": "..."}
                The commit's message is the example's request and the code after the commit its answer: explain why the commit made this change, as an expert would to a maintainer reading the history.

                Rules:
                1. Explain why: what was missing or wrong before, what the change makes possible or prevents, the trade-off it makes; for added items, why they exist and take this shape. One connected argument, the most important reason first; no walk through the diff.
                2. Name a constraint of axum, aide, validator, serde, schemars or sea-orm, or a svix convention, only where the code shows it.
                3. Claim only what the message, the code and the changes show. Invent no circumstances (customers, incidents, numbers, other services); leave out a reason you cannot see rather than guess. Name no status code, HTTP method, path, crate, type, function or field they do not contain.
                4. Put every code name in backticks, spelled as in the code. No fenced code; copy no line of either version; do not repeat the commit's message.
                5. The hints come from rules that read the code; some are trivial or incomplete. Use the few that matter for the why, checked against the code, in your own words.
                6. Never mention the hints, the facts or these instructions.
                7. Plain prose, 3 to 8 sentences.
                8. Reply with the JSON object only.
                "#);
        });
    }

    #[test]
    fn the_critic_sees_the_source_the_code_and_the_text() {
        let source = "//! Widgets.\n/// ```\n/// let w = 1;\n/// ```\nfn a() {}\n";
        let messages = critic_messages(
            &prompts(),
            source,
            "fn a() {}",
            "Add `a`.",
            "`a` returns 404. It does nothing.",
        );
        insta::assert_snapshot!(shown(&messages), @r#"
            === system
            You are a strict fact-checker for svix-server, a Rust webhook server built on axum, aide, validator, serde, schemars and sea-orm. You compare what is said about code with the code itself, and trust nothing else. You answer with one JSON object and nothing else.
            === user
            The source:

            ````rust
            //! Widgets.
            /// ```
            /// let w = 1;
            /// ```
            fn a() {}
            ````

            An example made from it. Its code, taken from the source:

            ```rust
            fn a() {}
            ```

            Its request:

            ```text
            Add `a`.
            ```

            Its reasoning:

            ```text
            `a` returns 404. It does nothing.
            ```

            List every sentence of the request and of the reasoning that the source does not support.

            1. A sentence is unsupported when it is false, or when it claims what the source does not show: a behaviour, a status code, a path, a caller, a crate, a reason the code does not bear out.
            2. A request states a need; it is supported when the code meets that need. Flag it only when it says something about the code that is not so.
            3. Judge against the source alone, not against what you know of Svix from elsewhere.
            4. Quote each sentence exactly and whole, as it stands in the request or the reasoning, and say in a few words why the source does not support it.
            5. Answer with one JSON object and nothing else: {"unsupported": [{"sentence": "...", "why": "..."}]}. The list is empty when every sentence is supported.
            "#);
    }

    #[test]
    fn a_code_text_naming_a_placeholder_is_not_filled_again() {
        let filled = fill(
            "{brief} / {voice}",
            &[("brief", "x {voice} y"), ("voice", "chat")],
        );
        assert_eq!(filled, "x {voice} y / chat");
        assert_eq!(fill("{\"a\": 1} {nope}", &[]), "{\"a\": 1} {nope}");
    }

    #[test]
    fn drafts_are_parsed_strictly() {
        let ok = |reply: &str, history: bool| parse_draft(reply, history).unwrap();
        let good = Draft {
            request: "Need it.".into(),
            reasoning: "Because `a`.".into(),
        };
        for reply in [
            r#"{"request": "Need it.", "reasoning": "Because `a`."}"#,
            "\n  {\"reasoning\": \"Because `a`.\", \"request\": \"Need it.\"}\n",
            "```json\n{\"request\": \"Need it.\", \"reasoning\": \"Because `a`.\"}\n```",
            "```\n{\"request\": \"Need it.\", \"reasoning\": \"Because `a`.\"}\n```\n",
        ] {
            assert_eq!(ok(reply, false), good, "{reply}");
        }
        let history = Draft {
            request: String::new(),
            ..good.clone()
        };
        assert_eq!(ok(r#"{"reasoning": "Because `a`."}"#, true), history);

        let refused = [
            (
                r#"{"request": "x"}"#,
                false,
                "the object has no \"reasoning\" field: give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
            (
                r#"{"request": "x", "reasoning": "y", "notes": "z"}"#,
                false,
                "the object has a field \"notes\"; give only \"request\" and \"reasoning\"",
            ),
            (
                r#"{"request": "x", "reasoning": "y"}"#,
                true,
                "the object has a field \"request\"; give only \"reasoning\"",
            ),
            (
                r#"{"request": "x", "reasoning": ["y"]}"#,
                false,
                "\"reasoning\" must be a string, not a list",
            ),
            (
                r#"{"request": "x", "request": "z", "reasoning": "y"}"#,
                false,
                "the reply is not one valid JSON object (the field \"request\" is given twice at column 31): give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
            (
                r#"{"request": "x", "reasoning": "y"} {"request": "x"}"#,
                false,
                "the reply goes on after the JSON object: give the object {\"request\": \"...\", \"reasoning\": \"...\"} and nothing else",
            ),
            (
                r#"Here it is: {"request": "x", "reasoning": "y"}"#,
                false,
                "the reply must be one JSON object and nothing else, starting with {: give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
            (
                r#"["x", "y"]"#,
                false,
                "the reply must be one JSON object and nothing else, starting with {: give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
            (
                "{\"request\": \"x\", \"reasoning\": \"y\"",
                false,
                "the reply ends before its JSON object is closed: give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
            (
                "{\"request\": \"x\",\n\"reasoning\": \"y\",}",
                false,
                "the reply is not one valid JSON object (trailing comma at line 2 column 18): give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
            (
                "```json\n{\"request\": \"x\", \"reasoning\": \"y\"}\n```\nDone.",
                false,
                "the reply must be one JSON object and nothing else: at most one ```json fence around the whole of it",
            ),
            (
                "```rust\n{\"request\": \"x\", \"reasoning\": \"y\"}\n```",
                false,
                "the reply must be one JSON object and nothing else: at most one ```json fence around the whole of it",
            ),
            (
                "```json\n```json\n{\"request\": \"x\", \"reasoning\": \"y\"}\n```\n```",
                false,
                "the reply must be one JSON object and nothing else: at most one ```json fence around the whole of it",
            ),
            (
                "",
                false,
                "the reply must be one JSON object and nothing else, starting with {: give {\"request\": \"...\", \"reasoning\": \"...\"}",
            ),
        ];
        for (reply, history, why) in refused {
            assert_eq!(parse_draft(reply, history), Err(why.to_owned()), "{reply}");
        }
    }

    #[test]
    fn critic_replies_are_parsed_strictly() {
        assert_eq!(parse_critic(r#"{"unsupported": []}"#), Ok(Vec::new()));
        assert_eq!(
            parse_critic(
                "```json\n{\"unsupported\": [{\"sentence\": \"It returns 404.\", \"why\": \"no 404 in the code\"}]}\n```"
            ),
            Ok(vec![Flag {
                sentence: "It returns 404.".into(),
                why: "no 404 in the code".into(),
            }])
        );
        let refused = [
            (
                r#"{}"#,
                "the object has no \"unsupported\" field: give {\"unsupported\": [{\"sentence\": \"...\", \"why\": \"...\"}]}",
            ),
            (
                r#"{"unsupported": null}"#,
                "\"unsupported\" must be a list, not null",
            ),
            (
                r#"{"unsupported": [], "ok": true}"#,
                "the object has a field \"ok\"; give only \"unsupported\"",
            ),
            (
                r#"{"unsupported": ["It returns 404."]}"#,
                "entry 1 of \"unsupported\" must be an object {\"sentence\": ..., \"why\": ...}, not a string",
            ),
            (
                r#"{"unsupported": [{"sentence": "a", "why": "b"}, {"sentence": "c"}]}"#,
                "entry 2 of \"unsupported\" has no \"why\"",
            ),
            (
                r#"{"unsupported": [{"sentence": " ", "why": "b"}]}"#,
                "entry 1 of \"unsupported\" has an empty \"sentence\"",
            ),
            (
                r#"{"unsupported": [{"sentence": "a", "why": "b", "fix": "c"}]}"#,
                "entry 1 of \"unsupported\" has a field \"fix\"; give only \"sentence\" and \"why\"",
            ),
            (
                r#"{"unsupported": [{"sentence": 1, "why": "b"}]}"#,
                "entry 1 of \"unsupported\": \"sentence\" must be a string, not a number",
            ),
            (
                "None of them.",
                "the reply must be one JSON object and nothing else, starting with {: give {\"unsupported\": [{\"sentence\": \"...\", \"why\": \"...\"}]}",
            ),
        ];
        for (reply, why) in refused {
            assert_eq!(parse_critic(reply), Err(why.to_owned()), "{reply}");
        }
    }

    #[test]
    fn the_built_in_prompts_load_with_the_vocabulary_filled_in() {
        let prompts = prompts();
        assert_eq!(prompts.version, 1);
        assert!(
            prompts
                .system
                .contains("training data about widget creation for"),
            "{}",
            prompts.system
        );
        assert_eq!(
            prompts.voices.keys().collect::<Vec<_>>(),
            ["chat", "feature", "issue", "review"]
        );
    }

    fn refusal(table: &str) -> PromptsError {
        let table: PromptsTable = toml::from_str(table).unwrap();
        Prompts::load(Some(&table), &vocabulary()).unwrap_err()
    }

    #[test]
    fn a_table_laid_over_the_built_in_prompts_changes_only_what_it_names() {
        let table: PromptsTable = toml::from_str(
            "version = 7\ncritic_system = \"Check {resources}.\"\n[voices]\nchat = \"a note\"\n",
        )
        .unwrap();
        let own = Prompts::load(Some(&table), &vocabulary()).unwrap();
        let built_in = prompts();
        assert_eq!(own.version, 7);
        assert_eq!(own.critic_system, "Check widgets.");
        assert_eq!(own.voices["chat"], "a note");
        assert_eq!(
            Prompts {
                version: 1,
                critic_system: built_in.critic_system.clone(),
                voices: built_in.voices.clone(),
                ..own
            },
            built_in
        );
    }

    #[test]
    fn a_table_is_refused_for_what_would_go_wrong_in_a_run() {
        let refused = [
            (
                "draft = \"{brief}\"",
                vec![],
                "changes the prompts but gives no `version` (the built-in prompts are version 1): a new number names the new wording in the manifest",
            ),
            (
                "version = 2\ndraft = \"{brief} in {tone}\"",
                vec!["draft"],
                "unknown placeholder {tone}: it is filled with brief, voice, variant and the vocabulary",
            ),
            (
                "version = 2\nsystem = \"About {brief}.\"",
                vec!["system"],
                "unknown placeholder {brief}: it is filled with the vocabulary",
            ),
            (
                "version = 2\ndraft = \"Write it in the {voice}.\"",
                vec!["draft"],
                "never names {brief}: the model would not be shown it",
            ),
            (
                "version = 2\ncritic = \"{source} {request}\"",
                vec!["critic"],
                "never names {reasoning}: the model would not be shown it",
            ),
            ("version = 2\nrevise = \" \"", vec!["revise"], "empty"),
            (
                "version = 2\n[voices]\nmemo = \"a memo\"",
                vec!["voices", "memo"],
                "not a kind of request (issue, feature, chat, review)",
            ),
            (
                "version = 2\n[voices]\nchat = \"\"",
                vec!["voices", "chat"],
                "empty",
            ),
        ];
        for (table, key, message) in refused {
            assert_eq!(
                refusal(table),
                PromptsError {
                    key: key.into_iter().map(str::to_owned).collect(),
                    message: message.to_owned(),
                },
                "{table}"
            );
        }
        // A table that only numbers the built-in wording needs nothing else.
        let table: PromptsTable = toml::from_str("version = 3").unwrap();
        assert_eq!(
            Prompts::load(Some(&table), &vocabulary()).unwrap().version,
            3
        );
    }
}
