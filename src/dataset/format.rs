//! Wire formats: an `Example` as one JSONL line, and a line taken back apart. Four sibling
//! printers behind one enum (ripgrep's `Printer`): ChatML (the default, with a `type` key),
//! OpenAI chat fine-tuning (`messages` only), reasoning (the assistant's `reasoning_content`
//! apart from its `content`) and TRL's prompt-completion. Every format carries the same system
//! prompt, request, reasoning and code; formatting is the last stage, after every check has run
//! on the `Example`s.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::dataset::example::Example;

pub const THINK_OPEN: &str = "<think>\n";
pub const THINK_CLOSE: &str = "\n</think>\n\n";

/// One wire format of a JSONL line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `{"type":"chatml","messages":[system, user, assistant]}`, the reasoning in a think block
    /// before the code.
    #[default]
    ChatMl,
    /// `{"messages":[system, user, assistant]}`: only the keys OpenAI's chat fine-tuning
    /// accepts; the think block stays in the assistant content.
    OpenAi,
    /// `{"messages":[…]}` whose assistant message holds `reasoning_content` (the reasoning, no
    /// tags) and `content` (the code alone).
    Reasoning,
    /// TRL's conversational prompt-completion: `{"prompt":[system, user],"completion":[assistant]}`.
    PromptCompletion,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::ChatMl,
        Format::OpenAi,
        Format::Reasoning,
        Format::PromptCompletion,
    ];

    /// The name on the command line, in the manifest and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::ChatMl => "chatml",
            Format::OpenAi => "openai",
            Format::Reasoning => "reasoning",
            Format::PromptCompletion => "prompt-completion",
        }
    }

    /// The format a line's keys name: a `type` key is ChatML, `prompt` or `completion`
    /// prompt-completion, `messages` alone OpenAI, or reasoning when a message has
    /// `reasoning_content`. None for a line that is not a JSON object with any of these.
    pub fn detect(line: &str) -> Option<Format> {
        let value: Value = serde_json::from_str(line).ok()?;
        let object = value.as_object()?;
        if object.contains_key("type") {
            Some(Format::ChatMl)
        } else if object.contains_key("prompt") || object.contains_key("completion") {
            Some(Format::PromptCompletion)
        } else if let Some(messages) = object.get("messages") {
            let reasoning = messages.as_array().is_some_and(|messages| {
                messages
                    .iter()
                    .any(|m| m.get("reasoning_content").is_some())
            });
            Some(if reasoning {
                Format::Reasoning
            } else {
                Format::OpenAi
            })
        } else {
            None
        }
    }

    /// The format of a whole file: that of its first line whose keys name one, else ChatML.
    pub fn detect_file(text: &str) -> Format {
        text.lines()
            .find_map(Format::detect)
            .unwrap_or(Format::ChatMl)
    }

    /// One example as one line, without its newline.
    pub fn line(self, example: &Example, system: &str) -> String {
        let system = Message::new("system", system);
        let user = Message::new("user", &example.request);
        let assistant = assistant_content(example);
        let assistant_message = Message::new("assistant", &assistant);
        // Serializing plain strings into a String cannot fail.
        match self {
            Format::ChatMl => serde_json::to_string(&ChatMlLine {
                kind: "chatml",
                messages: [system, user, assistant_message],
            }),
            Format::OpenAi => serde_json::to_string(&MessagesLine {
                messages: [system, user, assistant_message],
            }),
            Format::Reasoning => serde_json::to_string(&ReasoningLine {
                messages: (
                    system,
                    user,
                    ReasoningMessage {
                        role: "assistant",
                        reasoning_content: &example.reasoning,
                        content: &example.code,
                    },
                ),
            }),
            Format::PromptCompletion => serde_json::to_string(&PromptCompletionLine {
                prompt: [system, user],
                completion: [assistant_message],
            }),
        }
        .unwrap_or_default()
    }

    /// One JSONL line per example, each ending in `\n`, all under the profile's system prompt.
    pub fn to_jsonl<'a>(
        self,
        examples: impl IntoIterator<Item = &'a Example>,
        system: &str,
    ) -> String {
        use rayon::prelude::*;
        let examples: Vec<&Example> = examples.into_iter().collect();
        // Each line stands alone: a batch at a time is made on every core and joined in order,
        // so that no more than a batch of lines is held beside the text.
        let mut out = String::new();
        for batch in examples.chunks(256) {
            let lines: Vec<String> = crate::extract::source::on_pool(|| {
                batch
                    .par_iter()
                    .map(|example| self.line(example, system))
                    .collect()
            });
            for line in lines {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Takes one line of this format apart, or says what is wrong with its shape.
    pub fn parse_line(self, number: usize, text: &str, system: &str) -> Result<Line, String> {
        self.parse_shape(number, text, system).map_err(|message| {
            // A line of another format says so: the likely fault is a mixed file.
            match Format::detect(text) {
                Some(other) if other != self => format!(
                    "{message} (this line is {}, the file is read as {})",
                    other.name(),
                    self.name()
                ),
                _ => message,
            }
        })
    }

    fn parse_shape(self, number: usize, text: &str, system: &str) -> Result<Line, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let object = value.as_object().ok_or("not a JSON object")?;
        let [system_text, request, assistant] = match self {
            Format::ChatMl => {
                expect_keys(object, &["type", "messages"], "top-level keys")?;
                if object["type"] != "chatml" {
                    return Err(format!(
                        "\"type\" must be \"chatml\", found {}",
                        object["type"]
                    ));
                }
                three_messages(&object["messages"], false)?
            }
            Format::OpenAi | Format::Reasoning => {
                expect_keys(object, &["messages"], "top-level keys")?;
                three_messages(&object["messages"], self == Format::Reasoning)?
            }
            Format::PromptCompletion => {
                expect_keys(object, &["prompt", "completion"], "top-level keys")?;
                let prompt = messages_of(&object["prompt"], "prompt", &ROLES[..2])?;
                let completion = messages_of(&object["completion"], "completion", &ROLES[2..])?;
                [
                    message(&prompt[0], "prompt message 1", "system", false)?,
                    message(&prompt[1], "prompt message 2", "user", false)?,
                    message(&completion[0], "completion message 1", "assistant", false)?,
                ]
            }
        };
        if system_text.content != system {
            return Err("the system prompt is not the expected one (see --system)".to_owned());
        }
        let (reasoning, code) = match &assistant.reasoning {
            None => split_think_block(&assistant.content)?,
            // The reasoning format: both texts were found non-empty with their message.
            Some(reasoning) => {
                if reasoning.trim_start().starts_with("<think>")
                    || reasoning.trim_end().ends_with("</think>")
                {
                    return Err(
                        "\"reasoning_content\" must hold the reasoning without the think tags"
                            .to_owned(),
                    );
                }
                if assistant.content.trim_start().starts_with("<think>") {
                    return Err(
                        "the assistant content must be the code alone: the reasoning \
                                goes in \"reasoning_content\""
                            .to_owned(),
                    );
                }
                (reasoning.as_str(), assistant.content.as_str())
            }
        };
        let mut contents = vec![system_text.content, request.content.clone()];
        contents.extend(assistant.reasoning.clone());
        contents.push(assistant.content.clone());
        Ok(Line {
            number,
            request: request.content,
            reasoning: reasoning.to_owned(),
            code: code.to_owned(),
            contents,
        })
    }
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

impl<'a> Message<'a> {
    fn new(role: &'static str, content: &'a str) -> Message<'a> {
        Message { role, content }
    }
}

/// The reasoning format's assistant message: the reasoning first, as it was thought.
#[derive(Serialize)]
struct ReasoningMessage<'a> {
    role: &'static str,
    reasoning_content: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct ChatMlLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    messages: [Message<'a>; 3],
}

#[derive(Serialize)]
struct MessagesLine<'a> {
    messages: [Message<'a>; 3],
}

#[derive(Serialize)]
struct ReasoningLine<'a> {
    messages: (Message<'a>, Message<'a>, ReasoningMessage<'a>),
}

#[derive(Serialize)]
struct PromptCompletionLine<'a> {
    prompt: [Message<'a>; 2],
    completion: [Message<'a>; 1],
}

/// The assistant turn of the think-block formats: the reasoning in a think block, then the code.
pub fn assistant_content(example: &Example) -> String {
    format!(
        "{THINK_OPEN}{}{THINK_CLOSE}{}",
        example.reasoning, example.code
    )
}

/// The reasoning and the code of a think-block assistant content.
fn split_think_block(content: &str) -> Result<(&str, &str), String> {
    let inner = content
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
    Ok((reasoning, code))
}

/// One well-formed line, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub request: String,
    pub reasoning: String,
    pub code: String,
    /// Every message content of the line, in order, as counted for tokens (the reasoning
    /// format's `reasoning_content` among them).
    pub contents: Vec<String>,
}

/// One message's texts, its role checked.
struct Content {
    content: String,
    reasoning: Option<String>,
}

fn expect_keys(object: &Map<String, Value>, expected: &[&str], what: &str) -> Result<(), String> {
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    if keys == expected {
        return Ok(());
    }
    let quoted: Vec<String> = expected.iter().map(|k| format!("\"{k}\"")).collect();
    let wanted = match quoted.as_slice() {
        [one] => format!("{one} only"),
        _ => quoted.join(" then "),
    };
    Err(format!("{what} must be {wanted}, found {keys:?}"))
}

/// The array under a key holding exactly the messages of `roles`, in order.
fn messages_of<'v>(value: &'v Value, name: &str, roles: &[&str]) -> Result<&'v [Value], String> {
    let messages = value
        .as_array()
        .ok_or_else(|| format!("\"{name}\" must be an array"))?;
    if messages.len() != roles.len() {
        return Err(format!(
            "expected {} message(s) in \"{name}\" ({}), found {}",
            roles.len(),
            roles.join(", "),
            messages.len()
        ));
    }
    Ok(messages)
}

const ROLES: [&str; 3] = ["system", "user", "assistant"];

/// The `messages` array of system, user and assistant; with `reasoning`, the assistant
/// message has `reasoning_content` between its role and its content.
fn three_messages(value: &Value, reasoning: bool) -> Result<[Content; 3], String> {
    let messages = value.as_array().ok_or("\"messages\" must be an array")?;
    if messages.len() != ROLES.len() {
        return Err(format!(
            "expected 3 messages (system, user, assistant), found {}",
            messages.len()
        ));
    }
    Ok([
        message(&messages[0], "message 1", "system", false)?,
        message(&messages[1], "message 2", "user", false)?,
        message(&messages[2], "message 3", "assistant", reasoning)?,
    ])
}

/// One message, named by its `position` in what its faults say, whose role must be `role`.
fn message(value: &Value, position: &str, role: &str, reasoning: bool) -> Result<Content, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{position} is not an object"))?;
    let expected: &[&str] = if reasoning {
        &["role", "reasoning_content", "content"]
    } else {
        &["role", "content"]
    };
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    if keys != expected {
        let wanted = expected
            .iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(" then ");
        return Err(format!(
            "{position} must have keys {wanted}, found {keys:?}"
        ));
    }
    if object["role"] != role {
        return Err(format!(
            "{position} must have role \"{role}\", found {}",
            object["role"]
        ));
    }
    let text = |key: &str, what: &str| -> Result<String, String> {
        let text = object[key]
            .as_str()
            .ok_or_else(|| format!("the {what} is not a string"))?;
        if text.trim().is_empty() {
            return Err(format!("the {what} is empty"));
        }
        Ok(text.to_owned())
    };
    let reasoning = if reasoning {
        Some(text("reasoning_content", "reasoning")?)
    } else {
        None
    };
    Ok(Content {
        content: text("content", &format!("{role} content"))?,
        reasoning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::example::{Slice, Voice};

    fn example() -> Example {
        Example {
            unit: "item:send".to_owned(),
            group: "item:send".to_owned(),
            kind: "handler",
            voice: Voice::Issue,
            variant: 0,
            request: "Add `send`.".to_owned(),
            reasoning: "I call `send` on \"the queue\".".to_owned(),
            rules: Vec::new(),
            code: "fn send() {}".into(),
            commit: None,
            before: Vec::new(),
            model: None,
            slices: vec![Slice {
                path: "a.rs".into(),
                bytes: 0..12,
                lines: (1, 1),
                commit: None,
            }],
        }
    }

    #[test]
    fn each_format_puts_the_same_texts_on_the_wire() {
        let lines: Vec<String> = Format::ALL
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.line(&example(), "Be exact.")))
            .collect();
        insta::assert_snapshot!(lines.join("\n"), @r#"
        chatml: {"type":"chatml","messages":[{"role":"system","content":"Be exact."},{"role":"user","content":"Add `send`."},{"role":"assistant","content":"<think>\nI call `send` on \"the queue\".\n</think>\n\nfn send() {}"}]}
        openai: {"messages":[{"role":"system","content":"Be exact."},{"role":"user","content":"Add `send`."},{"role":"assistant","content":"<think>\nI call `send` on \"the queue\".\n</think>\n\nfn send() {}"}]}
        reasoning: {"messages":[{"role":"system","content":"Be exact."},{"role":"user","content":"Add `send`."},{"role":"assistant","reasoning_content":"I call `send` on \"the queue\".","content":"fn send() {}"}]}
        prompt-completion: {"prompt":[{"role":"system","content":"Be exact."},{"role":"user","content":"Add `send`."}],"completion":[{"role":"assistant","content":"<think>\nI call `send` on \"the queue\".\n</think>\n\nfn send() {}"}]}
        "#);
    }

    #[test]
    fn every_format_reads_back_what_it_wrote_and_is_detected_from_its_keys() {
        for format in Format::ALL {
            let text = format.line(&example(), "Be exact.");
            assert_eq!(Format::detect(&text), Some(format));
            let line = format.parse_line(7, &text, "Be exact.").unwrap();
            assert_eq!(line.number, 7);
            assert_eq!(line.request, "Add `send`.");
            assert_eq!(line.reasoning, "I call `send` on \"the queue\".");
            assert_eq!(line.code, "fn send() {}");
            assert_eq!(
                line.contents.len(),
                3 + usize::from(format == Format::Reasoning)
            );
        }
        assert_eq!(Format::detect("{\"other\":1}"), None);
        assert_eq!(Format::detect("not json"), None);
        assert_eq!(Format::detect_file("\n{}\n"), Format::ChatMl);
    }

    #[test]
    fn a_line_of_another_format_says_so() {
        let text = Format::ChatMl.line(&example(), "Be exact.");
        let err = Format::OpenAi
            .parse_line(1, &text, "Be exact.")
            .unwrap_err();
        assert_eq!(
            err,
            "top-level keys must be \"messages\" only, found [\"type\", \"messages\"] (this line is chatml, the file is read as openai)"
        );
    }

    #[test]
    fn shape_faults_of_the_reasoning_and_prompt_completion_formats() {
        let reasoning = Format::Reasoning.line(&example(), "S");
        let completion = Format::PromptCompletion.line(&example(), "S");
        let cases = [
            (
                Format::Reasoning,
                reasoning.replace("\"reasoning_content\"", "\"thoughts\""),
            ),
            (
                Format::Reasoning,
                reasoning.replace("fn send() {}", "<think>\\nx\\n</think>\\n\\nfn send() {}"),
            ),
            (
                Format::Reasoning,
                reasoning.replace("I call `send` on \\\"the queue\\\".", " "),
            ),
            (
                Format::Reasoning,
                reasoning.replace("\"fn send() {}\"", "7"),
            ),
            (
                Format::PromptCompletion,
                completion.replace("{\"role\":\"system\",\"content\":\"S\"},", ""),
            ),
            (
                Format::PromptCompletion,
                completion.replace(
                    "\"completion\":[",
                    "\"completion\":[{\"role\":\"user\",\"content\":\"x\"},",
                ),
            ),
            (
                Format::PromptCompletion,
                completion.replace("\"role\":\"assistant\"", "\"role\":\"user\""),
            ),
            (
                Format::PromptCompletion,
                completion
                    .replace("\"prompt\":[", "\"prompt\":{\"a\":[")
                    .replace("],\"completion\"", "]},\"completion\""),
            ),
        ];
        let faults: Vec<String> = cases
            .iter()
            .map(|(format, text)| format.parse_line(1, text, "S").unwrap_err())
            .collect();
        insta::assert_snapshot!(faults.join("\n"), @r#"
        message 3 must have keys "role" then "reasoning_content" then "content", found ["role", "thoughts", "content"] (this line is openai, the file is read as reasoning)
        the assistant content must be the code alone: the reasoning goes in "reasoning_content"
        the reasoning is empty
        the assistant content is not a string
        expected 2 message(s) in "prompt" (system, user), found 1
        expected 1 message(s) in "completion" (assistant), found 2
        completion message 1 must have role "assistant", found "user"
        "prompt" must be an array
        "#);
    }
}
