//! The one client: calls an OpenAI-compatible `/v1/chat/completions` for the misses of a
//! run, N at a time, with one retry policy (backoff on 429, 5xx, timeouts and cut-off bodies,
//! `Retry-After` honoured), and the one place the API key is read from the environment.
//!
//! The key goes out only as the `Authorization` header: it is never in a request body (so
//! never in a Batch API file, which shares [`request_body`]), and an error that would quote it
//! (a server echoing a bad key back) has it masked before it leaves this module.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::cache::{Answer, CHAT_COMPLETIONS, Call, Reply, Usage};

/// The whole of one call, connection to last byte of the reply: a draft from a slow local
/// model takes tens of seconds, one that takes minutes is stuck.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Tries after the first, for a call that failed in a way worth trying again.
pub const DEFAULT_RETRIES: u32 = 3;
/// Calls in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The first wait before a retry; it doubles with each retry, up to [`MAX_BACKOFF`].
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two tries when the server does not say how long to wait.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest `Retry-After` obeyed: a server asking for more is waited on this long, so a
/// run never sleeps for an hour on one header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

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
    /// The first wait before a retry, doubled for each further one (capped at
    /// [`MAX_BACKOFF`]); a `Retry-After` from the server takes its place.
    pub backoff: Duration,
}

impl Endpoint {
    /// An endpoint with the default concurrency, timeout, retries and backoff.
    pub fn new(base_url: &str, api_key: Option<String>) -> Endpoint {
        Endpoint {
            base_url: base_url.to_owned(),
            api_key,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
        }
    }
}

/// The API key: `SVIX_DISTILL_API_KEY`, else `OPENAI_API_KEY`, else none (local servers).
pub fn api_key() -> Option<String> {
    key_from(|name| std::env::var(name).ok())
}

/// [`api_key`] over any environment: an empty variable counts as unset, so that
/// `SVIX_DISTILL_API_KEY=` can silence an `OPENAI_API_KEY` meant for something else.
fn key_from(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["SVIX_DISTILL_API_KEY", "OPENAI_API_KEY"]
        .into_iter()
        .find_map(|name| var(name).filter(|value| !value.trim().is_empty()))
}

/// The JSON body of `call`'s request, shared by the live client and the Batch API file: the
/// model, the messages, temperature 0 (the same brief should give the same draft as far as
/// the server allows) and the reply's JSON schema, strict, so a server that constrains its
/// output cannot answer outside it.
pub fn request_body(call: &Call) -> serde_json::Value {
    let (name, schema) = reply_schema(call.answer);
    serde_json::json!({
        "model": call.model,
        "messages": call.messages,
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": true, "schema": schema},
        },
    })
}

/// The name and JSON schema of the reply `answer` asks for. Strict mode wants every property
/// required and no other property allowed, on every object.
fn reply_schema(answer: Answer) -> (&'static str, serde_json::Value) {
    let object = |fields: &[(&str, serde_json::Value)]| {
        let properties: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
            .collect();
        let required: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
        serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    };
    let string = || serde_json::json!({"type": "string"});
    match answer {
        Answer::Draft => (
            "draft",
            object(&[("request", string()), ("reasoning", string())]),
        ),
        Answer::Reasoning => ("reasoning", object(&[("reasoning", string())])),
        Answer::Critic => {
            let flagged = object(&[("sentence", string()), ("why", string())]);
            let list = serde_json::json!({"type": "array", "items": flagged});
            ("critic", object(&[("unsupported", list)]))
        }
    }
}

/// The chat completions URL under `base`, which may end in `/`, `/v1` or the whole path.
fn chat_url(base: &str) -> String {
    let mut base = base.trim().trim_end_matches('/');
    for tail in ["/chat/completions", "/v1"] {
        base = base
            .strip_suffix(tail)
            .unwrap_or(base)
            .trim_end_matches('/');
    }
    format!("{base}{CHAT_COMPLETIONS}")
}

/// Answers `calls`, `endpoint.concurrency` at a time; `done(answered, total)` after each.
/// One result per call, in `calls`' order: the reply, or why there is none after the retries.
pub fn fill(
    endpoint: &Endpoint,
    calls: &[Call],
    done: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Result<Reply, String>> {
    let client = Client::new(endpoint);
    let next = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Reply, String>>>> = Mutex::new(vec![None; calls.len()]);
    let workers = endpoint.concurrency.clamp(1, calls.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(call) = calls.get(i) else { break };
                    let result = client.answer(call);
                    let mut results = results.lock().unwrap_or_else(|e| e.into_inner());
                    results[i] = Some(result);
                    // Counted and reported under the lock: two workers finishing at once
                    // must not report 8 before 7.
                    done(answered.fetch_add(1, Ordering::Relaxed) + 1, calls.len());
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|result| result.expect("every call is taken by one worker"))
        .collect()
}

/// One endpoint's connection pool, URL and retry policy, shared by the workers.
struct Client<'a> {
    endpoint: &'a Endpoint,
    agent: ureq::Agent,
    url: String,
}

/// Why one try failed, and whether to try again.
enum Failure {
    /// Worth trying again (429, 5xx, a timeout, a dropped connection, a cut-off body), after
    /// the server's `Retry-After` when it gave one.
    Transient(String, Option<Duration>),
    /// A 200 that is not a chat completion: usually a reply cut short, so tried once more,
    /// but a server that always answers so will not mend.
    Malformed(String),
    /// Trying again would get the same answer (a 4xx other than 429, a bad URL, TLS).
    Final(String),
}

impl<'a> Client<'a> {
    fn new(endpoint: &'a Endpoint) -> Client<'a> {
        let url = chat_url(&endpoint.base_url);
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(endpoint.timeout))
            // Statuses are read here, with the server's message, not turned into bare errors.
            .http_status_as_error(false)
            // A POST redirected would be re-sent as a GET, or not at all: say the status.
            .max_redirects(0)
            .user_agent(concat!("svix-distill/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&url) {
            // A model served on this machine is never reached through an HTTP proxy.
            config = config.proxy(None);
        }
        Client {
            endpoint,
            agent: config.build().new_agent(),
            url,
        }
    }

    /// One call with the retry policy; the error never holds the key.
    fn answer(&self, call: &Call) -> Result<Reply, String> {
        let body = request_body(call).to_string();
        let mut malformed_seen = false;
        let mut tries = 0;
        let why = loop {
            tries += 1;
            let (why, wait) = match self.try_once(&body) {
                Ok(reply) => return Ok(reply),
                Err(Failure::Final(why)) => break why,
                Err(Failure::Malformed(why)) if malformed_seen => break why,
                Err(Failure::Malformed(why)) => {
                    malformed_seen = true;
                    (why, None)
                }
                Err(Failure::Transient(why, retry_after)) => (why, retry_after),
            };
            if tries > self.endpoint.retries {
                break why;
            }
            std::thread::sleep(wait_before_retry(tries, self.endpoint.backoff, wait));
        };
        let tried = if tries == 1 {
            String::new()
        } else {
            format!(" ({tries} tries)")
        };
        Err(self.masked(&format!("{}: {why}{tried}", self.url)))
    }

    /// One request and its reply.
    fn try_once(&self, body: &str) -> Result<Reply, Failure> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(key) = &self.endpoint.api_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let mut response = request.send(body).map_err(transport_failure)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(retry_after_seconds);
        let text = response.body_mut().read_to_string();
        if status != 200 {
            let said = text.as_deref().map(server_message).unwrap_or_default();
            let why = format!("status {status}{said}");
            return Err(if status == 429 || (500..600).contains(&status) {
                Failure::Transient(why, retry_after)
            } else {
                Failure::Final(why)
            });
        }
        let text = text.map_err(|error| match error {
            ureq::Error::Io(_) | ureq::Error::Protocol(_) => {
                Failure::Transient(format!("the reply was cut off ({error})"), None)
            }
            other => transport_failure(other),
        })?;
        parse_reply(&text).map_err(Failure::Malformed)
    }

    /// `text` with the key, wherever it appears, replaced by `[API key]`.
    fn masked(&self, text: &str) -> String {
        match &self.endpoint.api_key {
            Some(key) if !key.is_empty() => text.replace(key.as_str(), "[API key]"),
            _ => text.to_owned(),
        }
    }
}

/// What a failed request (no status read) means for the retry.
fn transport_failure(error: ureq::Error) -> Failure {
    let why = error.to_string();
    match error {
        ureq::Error::Timeout(_)
        | ureq::Error::Io(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::Protocol(_) => Failure::Transient(why, None),
        _ => Failure::Final(why),
    }
}

/// `Retry-After` in its seconds form (`2`, or `1.5` as some servers send); the date form is
/// left to the backoff.
fn retry_after_seconds(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    // NaN fails the comparison; `min` keeps a huge value from overflowing a Duration. The cap
    // is [`wait_before_retry`]'s.
    (seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(f64::from(u32::MAX))))
}

/// The wait after the `tries`-th failed try: the server's `Retry-After` (capped) when it
/// gave one, else `base` doubled for each try before, capped at [`MAX_BACKOFF`].
fn wait_before_retry(tries: u32, base: Duration, retry_after: Option<Duration>) -> Duration {
    if let Some(after) = retry_after {
        return after.min(MAX_RETRY_AFTER);
    }
    let doublings = tries.saturating_sub(1).min(16);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// The server's own words on a failed call, as `: message`: an OpenAI-style
/// `{"error":{"message":…}}` (or `{"error":"…"}`, as some local servers send), else the body's
/// first 200 characters; nothing for an empty body.
fn server_message(body: &str) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let said = json
        .as_ref()
        .and_then(|json| {
            let error = &json["error"];
            error["message"].as_str().or(error.as_str())
        })
        .unwrap_or(body);
    let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
    let said: String = said.chars().take(200).collect();
    if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    }
}

/// The reply a chat completion carries: `choices[0].message.content`, and the usage (0 for a
/// count the server left out).
fn parse_reply(text: &str) -> Result<Reply, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the reply is not JSON ({e}), cut off?"))?;
    let Some(content) = json["choices"][0]["message"]["content"].as_str() else {
        return Err("the reply has no choices[0].message.content".to_owned());
    };
    let tokens = |name: &str| json["usage"][name].as_u64().unwrap_or(0);
    Ok(Reply {
        content: content.to_owned(),
        usage: Usage {
            prompt_tokens: tokens("prompt_tokens"),
            completion_tokens: tokens("completion_tokens"),
        },
    })
}

/// Whether `url`'s host is this machine (`localhost`, `127.0.0.1`, `[::1]`).
fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    match uri.host() {
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_url_accepts_a_base_with_or_without_v1_and_slashes() {
        for base in [
            "http://localhost:11434",
            "http://localhost:11434/",
            "http://localhost:11434/v1",
            "http://localhost:11434/v1/",
            "http://localhost:11434/v1/chat/completions",
        ] {
            assert_eq!(
                chat_url(base),
                "http://localhost:11434/v1/chat/completions",
                "{base}"
            );
        }
        assert_eq!(
            chat_url("https://example.com/openai/v1"),
            "https://example.com/openai/v1/chat/completions"
        );
    }

    #[test]
    fn the_key_comes_from_svix_distill_then_openai_and_empty_is_unset() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(key_from(env(&[])), None);
        assert_eq!(
            key_from(env(&[("OPENAI_API_KEY", "sk-o")])).as_deref(),
            Some("sk-o")
        );
        assert_eq!(
            key_from(env(&[
                ("SVIX_DISTILL_API_KEY", "sk-s"),
                ("OPENAI_API_KEY", "sk-o")
            ]))
            .as_deref(),
            Some("sk-s")
        );
        assert_eq!(
            key_from(env(&[
                ("SVIX_DISTILL_API_KEY", ""),
                ("OPENAI_API_KEY", "sk-o")
            ]))
            .as_deref(),
            Some("sk-o")
        );
        assert_eq!(key_from(env(&[("OPENAI_API_KEY", " ")])), None);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_retry_after_wins_up_to_its_own() {
        let base = Duration::from_secs(1);
        let waits: Vec<u64> = (1..=7)
            .map(|tries| wait_before_retry(tries, base, None).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(
            wait_before_retry(1000, base, None),
            MAX_BACKOFF,
            "no overflow"
        );
        let after = |s: &str| wait_before_retry(3, base, retry_after_seconds(s));
        assert_eq!(after("0"), Duration::ZERO);
        assert_eq!(after("7"), Duration::from_secs(7));
        assert_eq!(after("1.5"), Duration::from_millis(1500));
        assert_eq!(after("3600"), MAX_RETRY_AFTER);
        assert_eq!(
            after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Duration::from_secs(4)
        );
        assert_eq!(after("-1"), Duration::from_secs(4));
        assert_eq!(after("NaN"), Duration::from_secs(4));
        assert_eq!(after("inf"), MAX_RETRY_AFTER);
    }

    #[test]
    fn the_servers_message_is_read_from_the_usual_shapes() {
        assert_eq!(
            server_message(r#"{"error":{"message":"bad model","type":"invalid"}}"#),
            ": bad model"
        );
        assert_eq!(
            server_message(r#"{"error":"model not found"}"#),
            ": model not found"
        );
        assert_eq!(server_message("Bad\n  Gateway"), ": Bad Gateway");
        assert_eq!(server_message(""), "");
        assert_eq!(server_message(&"x".repeat(500)).len(), 202);
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("http://localhost:11434/v1/chat/completions"));
        assert!(is_loopback("http://127.0.0.1:8000/v1/chat/completions"));
        assert!(is_loopback("http://[::1]:8000/v1/chat/completions"));
        assert!(!is_loopback("https://api.openai.com/v1/chat/completions"));
    }
}
