//! The one client: calls an OpenAI-compatible `/v1/chat/completions` for the misses of a
//! run, N at a time, with one retry policy (backoff on 429, 5xx, timeouts and cut-off bodies,
//! `Retry-After` honoured), and the one place the API key is read from the environment.
//!
//! STUB: the interface is fixed; the client is being written.

use std::time::Duration;

use super::cache::{Call, Reply};

/// Where and how the calls go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The base URL (`http://localhost:11434`, `https://api.openai.com`); a trailing `/v1`
    /// or slash is accepted.
    pub base_url: String,
    /// From [`api_key`]; sent as a bearer token, never printed or stored.
    pub api_key: Option<String>,
    pub concurrency: usize,
    pub timeout: Duration,
    /// Tries after the first, for a call that failed in a way worth trying again.
    pub retries: u32,
}

/// The API key: `SVIX_DISTILL_API_KEY`, else `OPENAI_API_KEY`, else none (local servers).
pub fn api_key() -> Option<String> {
    None
}

/// The JSON body of `call`'s request, shared by the live client and the Batch API file.
pub fn request_body(call: &Call) -> serde_json::Value {
    serde_json::json!({
        "model": call.model,
        "messages": call.messages,
    })
}

/// Answers `calls`, `endpoint.concurrency` at a time; `done(answered, total)` after each.
/// One result per call, in `calls`' order: the reply, or why there is none after the retries.
pub fn fill(
    endpoint: &Endpoint,
    calls: &[Call],
    done: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Result<Reply, String>> {
    let _ = (endpoint, done);
    calls
        .iter()
        .map(|_| Err("the live client is not written yet".to_owned()))
        .collect()
}
