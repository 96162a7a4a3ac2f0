//! A stand-in for a language model, for the tests and the benchmark of the model writer: it
//! answers a chat request as a model given the writer's prompts would, from what the request
//! holds (the JSON schema it names, the code in its prompt), with a draft that passes every
//! check, or a critic's empty list.

use serde_json::{Value, json};

use super::server::{Behaviour, RecordedRequest};

/// What a reply must be, from the JSON schema the request names.
pub fn kind(request: &RecordedRequest) -> &str {
    request.json["response_format"]["json_schema"]["name"]
        .as_str()
        .unwrap_or("")
}

/// Whether the request sends a draft back (it carries the model's earlier reply).
pub fn is_revision(request: &RecordedRequest) -> bool {
    request.json["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["role"] == "assistant"))
}

/// The first item the prompt's code defines (`fn NAME`, `struct NAME`, `enum NAME`): a name
/// the example's code surely holds.
pub fn defined_name(prompt: &str) -> String {
    for keyword in ["fn ", "struct ", "enum "] {
        if let Some(at) = prompt.find(keyword) {
            let rest = &prompt[at + keyword.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 {
                return rest[..end].to_owned();
            }
        }
    }
    panic!("no item in the prompt:\n{prompt}")
}

/// A word standing for the request's text, so that no two drafts repeat.
pub fn tag(request: &RecordedRequest) -> String {
    let hash = request
        .body
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    (0..6)
        .map(|i| char::from(b'a' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

/// A draft that passes every check: plain words and one name of the code.
pub fn good_draft(request: &RecordedRequest) -> Value {
    let prompt = user_prompt(request);
    let name = defined_name(&prompt);
    let tag = tag(request);
    json!({
        "request": format!(
            "Could we give the message API a home for `{name}`? Callers keep asking for it \
             and the current flow makes them guess ({tag})."
        ),
        "reasoning": format!(
            "Keeping `{name}` in one place means the route stays short and every caller \
             goes through the same checks, which is easier to review and to test than \
             scattering the same logic across handlers. Marker {tag} for this draft."
        ),
    })
}

/// The first user message: the brief.
pub fn user_prompt(request: &RecordedRequest) -> String {
    request.json["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned()
}

pub fn chat(value: &Value) -> Behaviour {
    Behaviour::chat_with_usage(&value.to_string(), 120, 40)
}

pub fn clean_critic() -> Value {
    json!({"unsupported": []})
}

/// A model that answers every draft with a good one and every critic with nothing flagged,
/// each after `latency`.
pub fn agreeable(latency: std::time::Duration) -> super::server::Server {
    super::server::Server::new(move |request| {
        let reply = match kind(request) {
            "critic" => chat(&clean_critic()),
            _ => chat(&good_draft(request)),
        };
        reply.after(latency)
    })
}
