//! The language-model client against a real HTTP server on 127.0.0.1 (tests/support/server.rs):
//! what it sends (the body with its JSON schema, the key only as a bearer header), what it makes
//! of each reply (a good one, 429 with `Retry-After`, 500, a timeout, a cut-off body, a 400),
//! and that N calls at a time come back in the calls' order.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use support::server::{Behaviour, Server};
use svix_distill::write::llm::cache::{Answer, Call, Message, Reply, Usage};
use svix_distill::write::llm::client::{Endpoint, fill};

fn call(text: &str, answer: Answer) -> Call {
    Call {
        model: "test-model".to_owned(),
        prompt_version: 1,
        messages: vec![
            Message {
                role: "system".to_owned(),
                content: "You write requests.".to_owned(),
            },
            Message {
                role: "user".to_owned(),
                content: text.to_owned(),
            },
        ],
        answer,
    }
}

/// An endpoint for `server` with fast retries: 10 ms backoff, a 2 s timeout.
fn endpoint(server: &Server, retries: u32) -> Endpoint {
    Endpoint {
        base_url: server.url(),
        api_key: None,
        concurrency: 1,
        timeout: Duration::from_secs(2),
        retries,
        backoff: Duration::from_millis(10),
    }
}

/// The one result of one draft call to `endpoint`.
fn one(endpoint: &Endpoint) -> Result<Reply, String> {
    let mut results = fill(endpoint, &[call("hi", Answer::Draft)], &|_, _| {});
    assert_eq!(results.len(), 1);
    results.remove(0)
}

const DRAFT: &str = r#"{"request":"Add a way to list them.","reasoning":"Because."}"#;

#[test]
fn a_good_reply_is_read_with_its_token_usage() {
    let server = Server::script(vec![Behaviour::chat_with_usage(DRAFT, 123, 45)]);
    let mut endpoint = endpoint(&server, 3);
    endpoint.base_url = format!("{}/v1/", server.url());
    let reply = one(&endpoint).unwrap();
    assert_eq!(
        reply,
        Reply {
            content: DRAFT.to_owned(),
            usage: Usage {
                prompt_tokens: 123,
                completion_tokens: 45,
            },
        }
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

#[test]
fn a_429_is_tried_again_after_its_retry_after() {
    let server = Server::script(vec![Behaviour::rate_limited(1), Behaviour::chat(DRAFT)]);
    let reply = one(&endpoint(&server, 3)).unwrap();
    assert_eq!(reply.content, DRAFT);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The backoff is 10 ms: a second try this late is the server's `Retry-After: 1` obeyed.
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
}

#[test]
fn a_500_every_time_fails_after_the_retries() {
    let server = Server::script(vec![Behaviour::error(500, "The server is overloaded")]);
    let err = one(&endpoint(&server, 2)).unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert!(err.contains("status 500"), "{err}");
    assert!(err.contains("The server is overloaded"), "{err}");
    assert!(err.contains("(3 tries)"), "{err}");
}

#[test]
fn a_reply_slower_than_the_timeout_is_an_error_after_the_retries() {
    let server = Server::script(vec![Behaviour::chat(DRAFT).after(Duration::from_secs(3))]);
    let mut endpoint = endpoint(&server, 1);
    endpoint.timeout = Duration::from_millis(300);
    let err = one(&endpoint).unwrap_err();
    assert!(err.contains("timeout"), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_timed_out_call_succeeds_when_tried_again() {
    let server = Server::script(vec![
        Behaviour::chat("late").after(Duration::from_secs(3)),
        Behaviour::chat(DRAFT),
    ]);
    let mut endpoint = endpoint(&server, 1);
    endpoint.timeout = Duration::from_millis(300);
    assert_eq!(one(&endpoint).unwrap().content, DRAFT);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_cut_off_body_is_tried_again_as_often_as_any_transient_failure() {
    // Twice: a cut-off reply is a dropped connection, not a malformed reply tried once more.
    let server = Server::script(vec![
        Behaviour::chat("cut").truncated(),
        Behaviour::chat("cut").truncated(),
        Behaviour::chat(DRAFT),
    ]);
    assert_eq!(one(&endpoint(&server, 3)).unwrap().content, DRAFT);
    assert_eq!(server.requests().len(), 3);

    let server = Server::script(vec![Behaviour::chat("cut").truncated()]);
    let err = one(&endpoint(&server, 1)).unwrap_err();
    assert!(err.contains("the reply was cut off"), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_dropped_connection_is_tried_again() {
    let server = Server::script(vec![Behaviour::hang_up(), Behaviour::chat(DRAFT)]);
    assert_eq!(one(&endpoint(&server, 3)).unwrap().content, DRAFT);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_200_that_is_no_chat_completion_is_tried_once_more_only() {
    let server = Server::script(vec![Behaviour::status(200, r#"{"object":"list"}"#)]);
    let err = one(&endpoint(&server, 3)).unwrap_err();
    assert!(err.contains("no choices[0].message.content"), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_400_fails_at_once_with_the_servers_message() {
    let server = Server::script(vec![
        Behaviour::error(400, "response_format json_schema is not supported"),
        Behaviour::chat(DRAFT),
    ]);
    let err = one(&endpoint(&server, 3)).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(err.contains("status 400"), "{err}");
    assert!(
        err.contains("response_format json_schema is not supported"),
        "{err}"
    );
}

const KEY: &str = "sk-test-0123456789abcdef";

#[test]
fn the_key_is_sent_only_as_a_bearer_header_and_only_when_set() {
    let server = Server::script(vec![Behaviour::chat(DRAFT)]);
    let mut endpoint = endpoint(&server, 0);
    one(&endpoint).unwrap();
    endpoint.api_key = Some(KEY.to_owned());
    one(&endpoint).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("authorization"), None);
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    for request in &requests {
        let elsewhere = request
            .headers
            .iter()
            .filter(|(name, _)| name != "authorization")
            .any(|(_, value)| value.contains(KEY));
        assert!(!elsewhere, "{:?}", request.headers);
        assert!(!request.body.contains(KEY), "{}", request.body);
        assert!(!request.path.contains(KEY), "{}", request.path);
    }
}

#[test]
fn an_error_quoting_the_key_does_not_repeat_it() {
    let server = Server::script(vec![Behaviour::error(
        401,
        &format!("Incorrect API key provided: {KEY}"),
    )]);
    let mut endpoint = endpoint(&server, 3);
    endpoint.api_key = Some(KEY.to_owned());
    let err = one(&endpoint).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(err.contains("status 401"), "{err}");
    assert!(err.contains("Incorrect API key provided"), "{err}");
    assert!(!err.contains(KEY), "{err}");
}

#[test]
fn four_at_a_time_the_replies_come_back_in_the_calls_order() {
    // Later calls are answered sooner, so the replies arrive out of order.
    let server = Server::new(|request| {
        let text = request.last_message().to_owned();
        let n: u64 = text.trim_start_matches("call ").parse().unwrap();
        Behaviour::chat(&format!("answer to {text}")).after(Duration::from_millis((12 - n) * 15))
    });
    let mut endpoint = endpoint(&server, 0);
    endpoint.concurrency = 4;
    let calls: Vec<Call> = (0..12)
        .map(|i| call(&format!("call {i}"), Answer::Draft))
        .collect();
    let progress = Mutex::new(Vec::new());
    let results = fill(&endpoint, &calls, &|answered, total| {
        progress.lock().unwrap().push((answered, total));
    });
    let contents: Vec<String> = results.into_iter().map(|r| r.unwrap().content).collect();
    let expected: Vec<String> = (0..12).map(|i| format!("answer to call {i}")).collect();
    assert_eq!(contents, expected);
    let progress = progress.into_inner().unwrap();
    let expected: Vec<(usize, usize)> = (1..=12).map(|answered| (answered, 12)).collect();
    assert_eq!(progress, expected);
    assert_eq!(server.requests().len(), 12);
    // Never more than four at once; more than one (a loaded machine may not start all four
    // before the first answer).
    let most = server.max_in_flight();
    assert!((2..=4).contains(&most), "{most} in flight at once");
}

#[test]
fn the_body_asks_for_each_answers_json_schema() {
    let server = Server::new(|_| Behaviour::chat("{}"));
    let calls = [
        call("draft", Answer::Draft),
        call("history", Answer::Reasoning),
        call("critic", Answer::Critic),
    ];
    for result in fill(&endpoint(&server, 0), &calls, &|_, _| {}) {
        result.unwrap();
    }
    let string = json!({"type": "string"});
    let object = |properties: serde_json::Value, required: &[&str]| {
        json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    };
    let draft = object(
        json!({"request": string, "reasoning": string}),
        &["request", "reasoning"],
    );
    let reasoning = object(json!({"reasoning": string}), &["reasoning"]);
    let flagged = object(
        json!({"sentence": string, "why": string}),
        &["sentence", "why"],
    );
    let critic = object(
        json!({"unsupported": {"type": "array", "items": flagged}}),
        &["unsupported"],
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for (request, (name, schema)) in requests.iter().zip([
        ("draft", draft),
        ("reasoning", reasoning),
        ("critic", critic),
    ]) {
        let body = &request.json;
        assert_eq!(body["model"], "test-model");
        assert_eq!(body["temperature"], 0);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["role"], "user");
        assert_eq!(
            body["response_format"],
            json!({
                "type": "json_schema",
                "json_schema": {"name": name, "strict": true, "schema": schema},
            }),
            "{}",
            request.last_message()
        );
    }
}
