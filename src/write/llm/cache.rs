//! The cache every model call goes through: one JSON line per call, keyed by the sha256 of the
//! model, the prompt's version and the messages, holding the messages, the reply and its token
//! usage. A key never depends on where or how the call was answered (live or by a batch), and
//! the file holds no credential: nothing but what was asked and what came back.
//!
//! Misses leave a run as OpenAI Batch API input lines ([`batch_request_line`]: `custom_id`,
//! `method`, `url`, `body`; vLLM's `run_batch` reads the same file) and come back as Batch API
//! output lines ([`read_batch_output`]), matched to the calls by `custom_id`, which is the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::dataset::{output, provenance};

/// The endpoint every call is made to, relative to an OpenAI-compatible base URL.
pub const CHAT_COMPLETIONS: &str = "/v1/chat/completions";

/// One message of a chat call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// One call to a model: what makes its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub model: String,
    pub prompt_version: u32,
    pub messages: Vec<Message>,
    /// The shape of reply asked for (the request's `response_format`). Not part of the key:
    /// the messages already say what they ask.
    #[serde(skip)]
    pub answer: Answer,
}

/// What a call's reply must be: a draft (`{request, reasoning}`), a history draft
/// (`{reasoning}`) or a critic's list (`{unsupported: [{sentence, why}]}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Answer {
    #[default]
    Draft,
    Reasoning,
    Critic,
}

impl Call {
    /// The sha256 (hex) of the call as one compact JSON object, `{"model":…,
    /// "prompt_version":…,"messages":[{"role":…,"content":…},…]}`, keys in that order.
    pub fn key(&self) -> String {
        let json = serde_json::to_string(self).expect("a call is plain strings and numbers");
        provenance::sha256_hex(json.as_bytes())
    }
}

/// Tokens a call cost, as the server counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// What the model answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub content: String,
    pub usage: Usage,
}

/// One line of the cache file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    #[serde(flatten)]
    call: Call,
    reply: Reply,
}

/// The calls answered so far, read from and written to one JSONL file.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
}

impl Cache {
    /// Reads the cache at `path`; a file that does not exist yet is an empty cache. A line that
    /// is not an entry, or whose key is not its call's, is an error naming `path:line`.
    pub fn open(path: &Path) -> anyhow::Result<Cache> {
        let text = output::read_existing(path)?.unwrap_or_default();
        let mut entries = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let at = || format!("{}:{}", path.display(), i + 1);
            if line.trim().is_empty() {
                continue;
            }
            let entry: Entry = serde_json::from_str(line)
                .with_context(|| format!("{}: not a cache entry", at()))?;
            if entry.key != entry.call.key() {
                anyhow::bail!(
                    "{}: the key {} is not the sha256 of the entry's call (edited by hand?)",
                    at(),
                    entry.key
                );
            }
            entries.insert(entry.key.clone(), entry);
        }
        Ok(Cache {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The reply to `call`, if it was answered.
    pub fn get(&self, call: &Call) -> Option<&Reply> {
        self.entries.get(&call.key()).map(|entry| &entry.reply)
    }

    /// Records the reply to `call`; a call answered again keeps its first reply, so that a
    /// rerun never changes what the data was made from.
    pub fn insert(&mut self, call: &Call, reply: Reply) {
        let key = call.key();
        self.entries.entry(key.clone()).or_insert(Entry {
            key,
            call: call.clone(),
            reply,
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the call with this key was answered.
    pub fn has_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file's text: one line per entry, in key order, so the same calls give the same bytes.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for entry in self.entries.values() {
            out.push_str(&serde_json::to_string(entry).expect("an entry is plain data"));
            out.push('\n');
        }
        out
    }

    /// Writes the cache back where it was read from (atomically, as every output).
    pub fn save(&self) -> anyhow::Result<()> {
        output::to_file(&self.path, &self.to_jsonl())
    }

    /// Adds the answers of a Batch API output file to the cache: each line whose `custom_id` is
    /// the key of one of `calls` (the calls a run exported) and which carries a reply. Returns
    /// what became of the lines.
    pub fn import(&mut self, calls: &[Call], outputs: Vec<BatchOutput>) -> Imported {
        let by_key: BTreeMap<String, &Call> = calls.iter().map(|c| (c.key(), c)).collect();
        let mut imported = Imported::default();
        for line in outputs {
            match (by_key.get(&line.custom_id), line.result) {
                (None, _) => imported.unknown.push(line.custom_id),
                (Some(_), Err(why)) => imported.failed.push((line.custom_id, why)),
                (Some(call), Ok(reply)) => {
                    self.insert(call, reply);
                    imported.added += 1;
                }
            }
        }
        imported
    }
}

/// What an import did with a Batch API output file's lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Replies added to the cache.
    pub added: usize,
    /// Lines the batch answered with an error, with the error.
    pub failed: Vec<(String, String)>,
    /// Lines for no call of this run (another run's batch, or a call whose brief changed).
    pub unknown: Vec<String>,
}

/// One Batch API input line for `call`: `{"custom_id":KEY,"method":"POST","url":
/// "/v1/chat/completions","body":{"model":…,"messages":[…]}}`, and a newline.
pub fn batch_request_line(call: &Call) -> String {
    let line = serde_json::json!({
        "custom_id": call.key(),
        "method": "POST",
        "url": CHAT_COMPLETIONS,
        "body": super::client::request_body(call),
    });
    format!("{line}\n")
}

/// One line of a Batch API output file: its `custom_id`, and the reply or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutput {
    pub custom_id: String,
    pub result: Result<Reply, String>,
}

/// Reads a Batch API output file (`custom_id`, then `response.body.choices[0].message.content`
/// with `response.body.usage`, or `error`). A line that is not JSON or has no `custom_id` is an
/// error naming `path:line`; a line the batch failed is kept with why.
pub fn read_batch_output(path: &Path, text: &str) -> anyhow::Result<Vec<BatchOutput>> {
    let mut outputs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}: not a Batch API output line", at()))?;
        let Some(custom_id) = value["custom_id"].as_str() else {
            anyhow::bail!("{}: no custom_id", at());
        };
        outputs.push(BatchOutput {
            custom_id: custom_id.to_owned(),
            result: batch_result(&value),
        });
    }
    Ok(outputs)
}

/// The reply a Batch API output line carries, or why it carries none.
fn batch_result(value: &serde_json::Value) -> Result<Reply, String> {
    if !value["error"].is_null() {
        let error = &value["error"];
        return Err(error["message"]
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned));
    }
    let response = &value["response"];
    if let Some(status) = response["status_code"].as_u64()
        && status != 200
    {
        return Err(format!("status {status}"));
    }
    let body = &response["body"];
    let Some(content) = body["choices"][0]["message"]["content"].as_str() else {
        return Err("no choices[0].message.content in the response body".to_owned());
    };
    let tokens = |name: &str| body["usage"][name].as_u64().unwrap_or(0);
    Ok(Reply {
        content: content.to_owned(),
        usage: Usage {
            prompt_tokens: tokens("prompt_tokens"),
            completion_tokens: tokens("completion_tokens"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(content: &str) -> Call {
        Call {
            model: "gpt-4o-mini".to_owned(),
            prompt_version: 1,
            messages: vec![
                Message {
                    role: "system".to_owned(),
                    content: "You write requests.".to_owned(),
                },
                Message {
                    role: "user".to_owned(),
                    content: content.to_owned(),
                },
            ],
            answer: Answer::Draft,
        }
    }

    fn reply(content: &str) -> Reply {
        Reply {
            content: content.to_owned(),
            usage: Usage {
                prompt_tokens: 12,
                completion_tokens: 3,
            },
        }
    }

    /// The key, pinned: worked out apart from this code, as Python's
    /// `hashlib.sha256(b'{"model":"gpt-4o-mini","prompt_version":1,"messages":[{"role":
    /// "system","content":"You write requests."},{"role":"user","content":"hi"}]}').hexdigest()`
    /// (the JSON on one line, no spaces).
    #[test]
    fn a_calls_key_is_the_sha256_of_its_compact_json() {
        assert_eq!(call("hi").key(), KEY_OF_HI);
        assert_ne!(call("hi").key(), call("hi!").key());
        let mut other_version = call("hi");
        other_version.prompt_version = 2;
        assert_ne!(other_version.key(), call("hi").key());
    }

    const KEY_OF_HI: &str = "c405097dcf8b4163e2b75d975136c1a72351b646190cab778616b2c3ff6a4354";

    #[test]
    fn a_cache_saves_and_reads_back_the_same_bytes_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.llm-cache.jsonl");
        let mut cache = Cache::open(&path).unwrap();
        assert!(cache.is_empty());
        cache.insert(&call("b"), reply("B"));
        cache.insert(&call("a"), reply("A"));
        // A call answered again keeps its first reply.
        cache.insert(&call("a"), reply("other"));
        cache.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let again = Cache::open(&path).unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again.get(&call("a")), Some(&reply("A")));
        assert_eq!(again.get(&call("c")), None);
        assert_eq!(again.to_jsonl(), text);
        let keys: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["key"].to_string())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(text.starts_with(r#"{"key":""#), "{text}");
        assert!(
            text.contains(
                r#","model":"gpt-4o-mini","prompt_version":1,"messages":[{"role":"system""#
            ),
            "{text}"
        );
    }

    #[test]
    fn a_bad_cache_line_is_an_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut cache = Cache::open(&path).unwrap();
        cache.insert(&call("a"), reply("A"));
        let good = cache.to_jsonl();
        std::fs::write(&path, format!("{good}{{not json\n")).unwrap();
        let err = format!("{:#}", Cache::open(&path).unwrap_err());
        assert!(
            err.starts_with(&format!("{}:2: not a cache entry", path.display())),
            "{err}"
        );
        // An entry whose messages were edited no longer matches its key.
        std::fs::write(&path, good.replace("You write requests.", "Edited.")).unwrap();
        let err = format!("{:#}", Cache::open(&path).unwrap_err());
        assert!(
            err.starts_with(&format!("{}:1: the key ", path.display())),
            "{err}"
        );
    }

    #[test]
    fn a_batch_request_line_is_what_the_batch_api_reads() {
        let line = batch_request_line(&call("hi"));
        assert_eq!(
            line,
            format!(
                concat!(
                    r#"{{"custom_id":"{KEY_OF_HI}","method":"POST","url":"/v1/chat/completions","#,
                    r#""body":{{"model":"gpt-4o-mini","messages":[{{"role":"system","content":"You write requests."}},{{"role":"user","content":"hi"}}],"#,
                    r#""temperature":0,"response_format":{{"type":"json_schema","json_schema":{{"name":"draft","strict":true,"#,
                    r#""schema":{{"type":"object","properties":{{"request":{{"type":"string"}},"reasoning":{{"type":"string"}}}},"#,
                    r#""required":["request","reasoning"],"additionalProperties":false}}}}}}}}}}"#,
                    "\n"
                ),
                KEY_OF_HI = KEY_OF_HI
            )
        );
    }

    #[test]
    fn batch_outputs_are_read_matched_and_imported() {
        let text = format!(
            concat!(
                r#"{{"id":"r1","custom_id":"{hi}","response":{{"status_code":200,"body":{{"choices":[{{"message":{{"role":"assistant","content":"hello"}}}}],"usage":{{"prompt_tokens":9,"completion_tokens":1}}}}}},"error":null}}"#,
                "\n",
                r#"{{"id":"r2","custom_id":"{yo}","response":null,"error":{{"code":"server_error","message":"overloaded"}}}}"#,
                "\n",
                r#"{{"id":"r3","custom_id":"elsewhere","response":{{"status_code":200,"body":{{"choices":[{{"message":{{"content":"x"}}}}]}}}},"error":null}}"#,
                "\n"
            ),
            hi = call("hi").key(),
            yo = call("yo").key()
        );
        let outputs = read_batch_output(Path::new("out.jsonl"), &text).unwrap();
        assert_eq!(outputs.len(), 3);
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join("c.jsonl")).unwrap();
        let imported = cache.import(&[call("hi"), call("yo")], outputs);
        assert_eq!(
            imported,
            Imported {
                added: 1,
                failed: vec![(call("yo").key(), "overloaded".to_owned())],
                unknown: vec!["elsewhere".to_owned()],
            }
        );
        assert_eq!(
            cache.get(&call("hi")),
            Some(&Reply {
                content: "hello".to_owned(),
                usage: Usage {
                    prompt_tokens: 9,
                    completion_tokens: 1
                }
            })
        );
        assert_eq!(cache.get(&call("yo")), None);
    }

    #[test]
    fn a_broken_batch_output_line_is_an_error_naming_its_line() {
        let err = read_batch_output(Path::new("out.jsonl"), "\n{\"custom_id\": 3}\n").unwrap_err();
        assert_eq!(format!("{err:#}"), "out.jsonl:2: no custom_id");
        let err = read_batch_output(Path::new("out.jsonl"), "{\"custom_id\":\"a\"").unwrap_err();
        assert!(format!("{err:#}").starts_with("out.jsonl:1: not a Batch API output line"));
        // A line without a message is kept, with why.
        let outputs = read_batch_output(
            Path::new("o"),
            r#"{"custom_id":"a","response":{"status_code":200,"body":{}}}"#,
        )
        .unwrap();
        assert_eq!(
            outputs[0].result,
            Err("no choices[0].message.content in the response body".to_owned())
        );
    }
}
