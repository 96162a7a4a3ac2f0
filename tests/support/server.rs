//! A small real OpenAI-compatible HTTP server on 127.0.0.1, for the tests of the language-model
//! writer: the client under test talks to it over TCP as it would to vLLM or OpenAI, so the
//! wire (headers, bodies, statuses, cut-off replies, slow replies) is tested, not a mock.
//!
//! It is scripted: each request is recorded, then answered by a [`Behaviour`] the test chose,
//! from a list in order ([`Server::script`]) or from a function of the request ([`Server::new`]).
//! HTTP/1.1 as far as a client needs: the request line, headers, a `Content-Length` body; every
//! answer says `Content-Length` and `Connection: close`. Dropping the server stops it, and cuts
//! short any reply still waiting out a delay.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target, as `/v1/chat/completions`.
    pub path: String,
    /// Header names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body parsed as JSON; `Null` when it is not JSON.
    pub json: serde_json::Value,
    /// When the request had been read.
    pub at: Instant,
}

impl RecordedRequest {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The content of the last message of a chat request (the user's turn), or "".
    pub fn last_message(&self) -> &str {
        self.json["messages"]
            .as_array()
            .and_then(|messages| messages.last())
            .and_then(|message| message["content"].as_str())
            .unwrap_or("")
    }
}

/// How the server answers one request.
#[derive(Debug, Clone)]
pub struct Behaviour {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
    /// Send only this many bytes of the body (the headers promise all of it), then close.
    cut_at: Option<usize>,
    /// Close the connection without a byte of answer.
    hang_up: bool,
}

impl Behaviour {
    /// A 200 chat completion whose message is `content`, with some token usage.
    pub fn chat(content: &str) -> Behaviour {
        Behaviour::chat_with_usage(content, 10, 5)
    }

    /// A 200 chat completion whose message is `content`, counting the tokens given.
    pub fn chat_with_usage(content: &str, prompt_tokens: u64, completion_tokens: u64) -> Behaviour {
        let body = serde_json::json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "test-model",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        });
        Behaviour::status(200, &body.to_string())
    }

    /// Any status with this body (sent as JSON).
    pub fn status(status: u16, body: &str) -> Behaviour {
        Behaviour {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            delay: Duration::ZERO,
            cut_at: None,
            hang_up: false,
        }
    }

    /// A status with an OpenAI-style error body, `{"error":{"message":…,"type":…}}`.
    pub fn error(status: u16, message: &str) -> Behaviour {
        let body = serde_json::json!({
            "error": {"message": message, "type": "test_error", "code": null},
        });
        Behaviour::status(status, &body.to_string())
    }

    /// A 429 asking the client to wait `seconds` (`Retry-After: seconds`).
    pub fn rate_limited(seconds: u64) -> Behaviour {
        Behaviour::error(429, "Rate limit reached").header("Retry-After", &seconds.to_string())
    }

    /// Closes the connection as soon as the request is read, answering nothing.
    pub fn hang_up() -> Behaviour {
        Behaviour {
            hang_up: true,
            ..Behaviour::status(500, "")
        }
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Behaviour {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same answer, sent only after `delay` (longer than a client's timeout: a timeout).
    pub fn after(mut self, delay: Duration) -> Behaviour {
        self.delay = delay;
        self
    }

    /// The same answer cut off halfway through its body: `Content-Length` says the whole
    /// body, half of it is sent, then the connection closes.
    pub fn truncated(mut self) -> Behaviour {
        self.cut_at = Some(self.body.len() / 2);
        self
    }
}

type Handler = dyn Fn(&RecordedRequest) -> Behaviour + Send + Sync;

/// The server's state, shared with its threads.
struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<RecordedRequest>>,
    stopping: Mutex<bool>,
    stopped: Condvar,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

/// A running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server answering each request with `handler(request)`.
    pub fn new(handler: impl Fn(&RecordedRequest) -> Behaviour + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            stopping: Mutex::new(false),
            stopped: Condvar::new(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            connections: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        let accept = std::thread::spawn(move || accept_loop(&listener, &accepting));
        Server {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// Starts a server answering the n-th request with the n-th behaviour, and every request
    /// after the list with its last behaviour (so `[500]` is "500 always").
    pub fn script(behaviours: Vec<Behaviour>) -> Server {
        assert!(!behaviours.is_empty(), "a script needs a behaviour");
        let next = AtomicUsize::new(0);
        Server::new(move |_| {
            let n = next.fetch_add(1, Ordering::SeqCst);
            behaviours[n.min(behaviours.len() - 1)].clone()
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (no `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request read so far, in the order they were read.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The most requests that were being answered at one time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        *self.shared.stopping.lock().unwrap() = true;
        self.shared.stopped.notify_all();
        // Wakes the accept loop, blocked in `accept`, so it sees it is stopping.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let connections = std::mem::take(&mut *self.shared.connections.lock().unwrap());
        for connection in connections {
            let _ = connection.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if *shared.stopping.lock().unwrap() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let serving = Arc::clone(shared);
        let connection = std::thread::spawn(move || serve(stream, &serving));
        shared.connections.lock().unwrap().push(connection);
    }
}

/// Reads one request, records it and answers it as the handler says.
fn serve(mut stream: TcpStream, shared: &Shared) {
    // A client that stops sending must not hold the server's drop forever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    shared.requests.lock().unwrap().push(request.clone());
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let behaviour = (shared.handler)(&request);
    if wait_unless_stopped(shared, behaviour.delay) {
        let _ = write_answer(&mut stream, &behaviour);
    }
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
}

/// Waits `delay`; false when the server was stopped meanwhile.
fn wait_unless_stopped(shared: &Shared, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    let mut stopping = shared.stopping.lock().unwrap();
    while !*stopping {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        stopping = shared.stopped.wait_timeout(stopping, left).unwrap().0;
    }
    false
}

/// The request line, headers and `Content-Length` body; `None` for a connection that closed
/// or sent something else.
fn read_request(stream: &TcpStream) -> Option<RecordedRequest> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(Some(0), |(_, value)| value.parse().ok())?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let body = String::from_utf8(body).ok()?;
    Some(RecordedRequest {
        method,
        path,
        headers,
        json: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        body,
        at: Instant::now(),
    })
}

fn write_answer(stream: &mut TcpStream, behaviour: &Behaviour) -> std::io::Result<()> {
    if behaviour.hang_up {
        return stream.shutdown(std::net::Shutdown::Both);
    }
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        behaviour.status,
        reason(behaviour.status),
        behaviour.body.len()
    );
    for (name, value) in &behaviour.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let body = behaviour.body.as_bytes();
    let sent = &body[..behaviour.cut_at.unwrap_or(body.len()).min(body.len())];
    stream.write_all(head.as_bytes())?;
    stream.write_all(sent)?;
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Both)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
