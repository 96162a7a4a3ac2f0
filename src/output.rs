//! The wire form of a JSONL line, and the only writers in the crate: the dataset (to a file,
//! atomically, or to stdout), the `--list` table, and messages on stderr.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::{Example, ListRow};

/// The exact system prompt every line carries.
pub const SYSTEM_PROMPT: &str = "You are the Svix Maintainer AI, an expert in the internal svix-server Rust architecture, specializing in message creation endpoint operations with Axum and aide.";

#[derive(Serialize)]
struct Line<'a> {
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
        "<think>\n{}\n</think>\n\n{}",
        example.reasoning, example.code
    )
}

/// One JSONL line per example, each ending in `\n`.
pub fn to_jsonl(examples: &[Example]) -> String {
    let mut out = String::new();
    for example in examples {
        let assistant = assistant_content(example);
        let line = Line {
            kind: "chatml",
            messages: [
                Message {
                    role: "system",
                    content: SYSTEM_PROMPT,
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

/// The `--list` table: kind, name, line range, reason.
pub fn list_table(rows: &[ListRow]) -> String {
    let kind_width = rows.iter().map(|r| r.kind.len()).max().unwrap_or(0);
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let lines: Vec<String> = rows
        .iter()
        .map(|r| format!("{}-{}", r.lines.0, r.lines.1))
        .collect();
    let lines_width = lines.iter().map(String::len).max().unwrap_or(0);
    rows.iter()
        .zip(&lines)
        .map(|(r, l)| {
            format!(
                "{:kind_width$}  {:name_width$}  {:lines_width$}  {}\n",
                r.kind, r.name, l, r.reason
            )
        })
        .collect()
}

/// Writes `text` to stdout; a reader that hung up early (`| head`) is not an error.
pub fn to_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// Writes `text` to `path` through a temporary file in the same folder, renamed into place:
/// a failure leaves an existing file untouched and no partial file behind.
pub fn to_file_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        anyhow::bail!(
            "cannot write {}: folder {} does not exist",
            path.display(),
            folder.display()
        );
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".svix-distill-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    temp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// A status line on stderr.
pub fn status(message: &str) {
    eprintln!("svix-distill: {message}");
}

/// The error report: `svix-distill: error: ` and the cause chain.
pub fn error(err: &anyhow::Error) {
    eprintln!("svix-distill: error: {err:#}");
}
