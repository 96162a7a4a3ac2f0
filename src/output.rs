//! The wire form of a JSONL line, and the only writers in the crate: the dataset (to a file,
//! atomically, or to stdout), the `--list` table, and messages on stderr.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::stats::Stats;
use crate::validate::{Report, Spread};
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

/// The `--list` table: kind, name, line range, reason; in directory mode the file first.
pub fn list_table(rows: &[ListRow]) -> String {
    let file_width = rows
        .iter()
        .filter_map(|r| r.file.as_ref().map(String::len))
        .max();
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
            let file = match (file_width, &r.file) {
                (Some(width), Some(file)) => format!("{file:width$}  "),
                _ => String::new(),
            };
            format!(
                "{file}{:kind_width$}  {:name_width$}  {:lines_width$}  {}\n",
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

/// The current contents of OUT for `--check`, or None when it does not exist.
pub fn read_existing(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// Why OUT does not hold `expected`: missing, or the first line that differs with a short
/// excerpt of both sides. None when it is current.
pub fn staleness(path: &Path, expected: &str, found: Option<&str>) -> Option<String> {
    let Some(found) = found else {
        return Some(format!(
            "{} does not exist; run without --check to write it",
            path.display()
        ));
    };
    if found == expected {
        return None;
    }
    let mut expected_lines = expected.split_inclusive('\n');
    let mut found_lines = found.split_inclusive('\n');
    let mut line = 1;
    loop {
        let (e, f) = (expected_lines.next(), found_lines.next());
        if e != f {
            let e = e.unwrap_or("");
            let f = f.unwrap_or("");
            let column = e.chars().zip(f.chars()).take_while(|(a, b)| a == b).count();
            return Some(format!(
                "{} is stale: first difference at line {line}\n  expected: {}\n  found:    {}",
                path.display(),
                excerpt(e, column),
                excerpt(f, column),
            ));
        }
        line += 1;
    }
}

/// About 60 characters of `line` around character `column`, marked where it was cut.
fn excerpt(line: &str, column: usize) -> String {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.is_empty() {
        return "(nothing)".to_owned();
    }
    let start = column.saturating_sub(20);
    let text: String = line.chars().skip(start).take(60).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if line.chars().count() > start + 60 {
        "…"
    } else {
        ""
    };
    format!("{before}{text}{after}")
}

/// `validate`'s report: each fault as `FILE:LINE: message`, warnings likewise, then a summary
/// and the token figures.
pub fn validate_report(
    path: &Path,
    report: &Report,
    tokens: &Spread,
    encoding: &str,
    over_budget: Option<usize>,
) -> String {
    let file = path.display();
    let mut out = String::new();
    for fault in &report.faults {
        out.push_str(&format!("{file}:{}: {}\n", fault.line, fault.message));
    }
    for warning in &report.warnings {
        out.push_str(&format!(
            "{file}:{}: warning: {}\n",
            warning.line, warning.message
        ));
    }
    let lines = report.lines.len();
    if report.faults.is_empty() {
        out.push_str(&format!("{file}: {lines} examples, no faults\n"));
    } else {
        out.push_str(&format!(
            "{file}: {} fault(s) in {} line(s) read\n",
            report.faults.len(),
            lines
                + report
                    .faults
                    .iter()
                    .filter(|f| !report.lines.iter().any(|l| l.number == f.line))
                    .count()
        ));
    }
    out.push_str(&format!(
        "tokens ({encoding}, message contents): min {}, median {}, max {}, total {}\n",
        tokens.min, tokens.median, tokens.max, tokens.total
    ));
    if let Some(budget) = over_budget {
        out.push_str(&format!(
            "{file}: {} tokens, over the --token-budget of {budget}\n",
            tokens.total
        ));
    }
    out
}

/// `stats` as a short table.
pub fn stats_table(path: &Path, stats: &Stats) -> String {
    let mut out = format!("{}\n", path.display());
    let row = |out: &mut String, key: &str, value: String| {
        out.push_str(&format!("  {key:<12} {value}\n"));
    };
    row(&mut out, "examples", stats.examples.to_string());
    row(&mut out, "units", stats.units.to_string());
    let voices: Vec<String> = stats
        .voices
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    row(&mut out, "voices", voices.join(", "));
    let facts: Vec<String> = stats
        .facts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    row(&mut out, "facts", facts.join(", "));
    row(
        &mut out,
        "tokens",
        format!(
            "min {}, median {}, max {}, total {} ({})",
            stats.tokens.min,
            stats.tokens.median,
            stats.tokens.max,
            stats.tokens.total,
            stats.encoding
        ),
    );
    if let Some(largest) = &stats.largest {
        row(
            &mut out,
            "largest",
            format!("line {} ({} tokens)", largest.line, largest.tokens),
        );
    }
    out
}

/// `stats --json`: one JSON object and a newline.
pub fn stats_json(stats: &Stats) -> String {
    // A struct of strings and numbers always serializes.
    serde_json::to_string(stats).unwrap_or_default() + "\n"
}

/// A status line on stderr.
pub fn status(message: &str) {
    eprintln!("svix-distill: {message}");
}

/// The error report: `svix-distill: error: ` and the cause chain.
pub fn error(err: &anyhow::Error) {
    eprintln!("svix-distill: error: {err:#}");
}
