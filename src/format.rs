//! Wire formats: an `Example` as one JSONL line, and a line taken back apart. Today's one
//! format is ChatML (`{"type":"chatml","messages":[system, user, assistant]}`) with the
//! reasoning in a think block before the code. Formatting is the last stage: checks run on
//! `Example`s before anything is put on the wire.

use serde::Serialize;

use crate::example::Example;

pub const THINK_OPEN: &str = "<think>\n";
pub const THINK_CLOSE: &str = "\n</think>\n\n";

#[derive(Serialize)]
struct WireLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    messages: [Message<'a>; 3],
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

/// The assistant turn: the reasoning in a think block, then the code.
pub fn assistant_content(example: &Example) -> String {
    format!(
        "{THINK_OPEN}{}{THINK_CLOSE}{}",
        example.reasoning, example.code
    )
}

/// One JSONL line per example, each ending in `\n`, all under the profile's system prompt.
pub fn to_jsonl(examples: &[Example], system: &str) -> String {
    let mut out = String::new();
    for example in examples {
        let assistant = assistant_content(example);
        let line = WireLine {
            kind: "chatml",
            messages: [
                Message {
                    role: "system",
                    content: system,
                },
                Message {
                    role: "user",
                    content: &example.request,
                },
                Message {
                    role: "assistant",
                    content: &assistant,
                },
            ],
        };
        // Serializing plain strings into a String cannot fail.
        out.push_str(&serde_json::to_string(&line).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// One well-formed line, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub request: String,
    pub reasoning: String,
    pub code: String,
    /// All message contents, as counted for tokens.
    pub contents: [String; 3],
}

/// Takes one line apart, or says what is wrong with its shape.
pub fn parse_line(number: usize, text: &str, system: &str) -> Result<Line, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    if keys != ["type", "messages"] {
        return Err(format!(
            "top-level keys must be \"type\" then \"messages\", found {keys:?}"
        ));
    }
    if object["type"] != "chatml" {
        return Err(format!(
            "\"type\" must be \"chatml\", found {}",
            object["type"]
        ));
    }
    let messages = object["messages"]
        .as_array()
        .ok_or("\"messages\" must be an array")?;
    let roles = ["system", "user", "assistant"];
    if messages.len() != roles.len() {
        return Err(format!(
            "expected 3 messages (system, user, assistant), found {}",
            messages.len()
        ));
    }
    let mut contents: [String; 3] = Default::default();
    for (i, (message, role)) in messages.iter().zip(roles).enumerate() {
        let message = message
            .as_object()
            .ok_or_else(|| format!("message {} is not an object", i + 1))?;
        let keys: Vec<&str> = message.keys().map(String::as_str).collect();
        if keys != ["role", "content"] {
            return Err(format!(
                "message {} must have keys \"role\" then \"content\", found {keys:?}",
                i + 1
            ));
        }
        if message["role"] != role {
            return Err(format!(
                "message {} must have role \"{role}\", found {}",
                i + 1,
                message["role"]
            ));
        }
        let content = message["content"]
            .as_str()
            .ok_or_else(|| format!("the {role} content is not a string"))?;
        if content.trim().is_empty() {
            return Err(format!("the {role} content is empty"));
        }
        contents[i] = content.to_owned();
    }
    if contents[0] != system {
        return Err("the system prompt is not the expected one (see --system)".to_owned());
    }
    let assistant = &contents[2];
    let inner = assistant
        .strip_prefix(THINK_OPEN)
        .ok_or("the assistant content must start with \"<think>\\n\"")?;
    let (reasoning, code) = inner
        .split_once(THINK_CLOSE)
        .ok_or("the assistant content must close its think block with \"\\n</think>\\n\\n\"")?;
    if reasoning.trim().is_empty() {
        return Err("the think block is empty".to_owned());
    }
    if code.trim().is_empty() {
        return Err("no code after the think block".to_owned());
    }
    Ok(Line {
        number,
        request: contents[1].clone(),
        reasoning: reasoning.to_owned(),
        code: code.to_owned(),
        contents: contents.clone(),
    })
}
