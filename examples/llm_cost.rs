//! What the model writer's calls cost against the code they are about: for each example of a
//! run's manifest, the prompt tokens (o200k_base, message contents only) of its first draft,
//! and of every call made for it (the first draft, revisions, critic rounds), each over the
//! tokens of the example's code (its slices, read from the sources the manifest names).
//!
//! An example's calls are found in the cache: its accepted draft by the manifest's
//! `cache_key`; the first draft is the first two messages of that call (a revision carries the
//! conversation before it); a critic call is one whose reply is a critic's list and whose
//! messages quote the accepted request. Nothing is asserted.
//! `cargo run --release --example llm_cost -- MANIFEST CACHE`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;
use svix_distill::dataset::tokens::{Encoding, TokenCounter};
use svix_distill::write::llm::cache::{Call, Message};

/// Where the built-in critic prompt turns from the source to the example.
const CRITIC_EXAMPLE: &str = "An example made from it.";

struct Entry {
    call: Call,
    reply: String,
}

fn read_cache(path: &Path) -> anyhow::Result<Vec<(String, Entry)>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let mut entries = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let value: Value = serde_json::from_str(line)?;
        let call = Call {
            model: value["model"].as_str().unwrap_or_default().to_owned(),
            prompt_version: value["prompt_version"].as_u64().unwrap_or_default() as u32,
            messages: serde_json::from_value(value["messages"].clone())?,
            answer: Default::default(),
        };
        let key = value["key"].as_str().unwrap_or_default().to_owned();
        let reply = value["reply"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        entries.push((key, Entry { call, reply }));
    }
    Ok(entries)
}

fn prompt_tokens(counter: &TokenCounter, messages: &[Message]) -> usize {
    messages.iter().map(|m| counter.count(&m.content)).sum()
}

/// The source file a manifest's slice path names: the input itself in file mode, under it in
/// crate mode.
fn source(manifest: &Value, slice_path: &str) -> PathBuf {
    let input = PathBuf::from(manifest["input"]["path"].as_str().unwrap_or_default());
    if manifest["input"]["mode"] == "crate" {
        input.join(slice_path)
    } else {
        input
    }
}

fn run(manifest_path: &Path, cache_path: &Path) -> anyhow::Result<()> {
    let counter = TokenCounter::new(Encoding::O200kBase)?;
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest_path)
            .with_context(|| manifest_path.display().to_string())?,
    )?;
    let cache = read_cache(cache_path)?;
    let critics: Vec<&Entry> = cache
        .iter()
        .map(|(_, entry)| entry)
        .filter(|entry| {
            serde_json::from_str::<Value>(&entry.reply)
                .is_ok_and(|reply| reply.get("unsupported").is_some())
        })
        .collect();
    let examples = manifest["examples"].as_array().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    for example in &examples {
        let Some(key) = example["cache_key"].as_str() else {
            continue;
        };
        let Some((_, accepted)) = cache.iter().find(|(k, _)| k == key) else {
            continue;
        };
        let mut code = 0;
        for slice in example["slices"].as_array().into_iter().flatten() {
            let path = source(&manifest, slice["path"].as_str().unwrap_or_default());
            let bytes = std::fs::read(&path).with_context(|| path.display().to_string())?;
            let (start, end) = (
                slice["start_byte"].as_u64().unwrap_or_default() as usize,
                slice["end_byte"].as_u64().unwrap_or_default() as usize,
            );
            code += counter.count(&String::from_utf8_lossy(&bytes[start..end]));
        }
        let first = prompt_tokens(&counter, &accepted.call.messages[..2]);
        let mut all = prompt_tokens(&counter, &accepted.call.messages);
        // Every draft call before the accepted one is a prefix of it: the first two messages,
        // then each revision's four, six...
        for end in (2..accepted.call.messages.len()).step_by(2) {
            all += prompt_tokens(&counter, &accepted.call.messages[..end]);
        }
        let request = serde_json::from_str::<Value>(&accepted.reply)
            .ok()
            .and_then(|reply| reply["request"].as_str().map(str::to_owned));
        if let Some(request) = request {
            for critic in critics.iter().filter(|critic| {
                critic
                    .call
                    .messages
                    .iter()
                    .any(|m| m.content.contains(&request))
            }) {
                all += prompt_tokens(&counter, &critic.call.messages);
            }
        }
        rows.push((
            example["line"].as_u64().unwrap_or_default(),
            code,
            first,
            all,
        ));
    }
    // A critic call opens with the whole source, the same for every critic call on one file:
    // a prefix a provider's prompt cache (OpenAI's, vLLM's prefix caching) serves once.
    let (mut critic_tokens, mut prefix_tokens) = (0, 0);
    for critic in &critics {
        critic_tokens += prompt_tokens(&counter, &critic.call.messages);
        if let [system, user, ..] = critic.call.messages.as_slice() {
            let example_at = user.content.find(CRITIC_EXAMPLE).unwrap_or(0);
            prefix_tokens +=
                counter.count(&system.content) + counter.count(&user.content[..example_at]);
        }
    }
    if rows.is_empty() {
        anyhow::bail!(
            "{}: no example with a cached model draft",
            manifest_path.display()
        );
    }
    println!("line  code  first-draft (×code)  all calls (×code)");
    for &(line, code, first, all) in &rows {
        println!(
            "{line:>4} {code:>5} {first:>7} ({:>4.2}) {all:>12} ({:>5.2})",
            first as f64 / code as f64,
            all as f64 / code as f64
        );
    }
    let ratios = |pick: fn(&(u64, usize, usize, usize)) -> usize| {
        let ratios: Vec<f64> = rows
            .iter()
            .map(|row| pick(row) as f64 / row.1 as f64)
            .collect();
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let max = ratios.iter().cloned().fold(0.0, f64::max);
        let over = ratios.iter().filter(|&&r| r > 4.0).count();
        (mean, max, over)
    };
    for (name, (mean, max, over)) in [
        ("first draft", ratios(|row| row.2)),
        ("all calls", ratios(|row| row.3)),
    ] {
        println!(
            "{name}: mean {mean:.2}× the code, max {max:.2}×, {over} of {} over 4×",
            rows.len()
        );
    }
    if critic_tokens > 0 {
        println!(
            "critic calls in the cache: {}, {critic_tokens} prompt tokens, {prefix_tokens} ({:.0}%) of them the system prompt and source every critic call on the same file opens with",
            critics.len(),
            100.0 * prefix_tokens as f64 / critic_tokens as f64
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(manifest), Some(cache), None) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: llm_cost MANIFEST CACHE");
        return ExitCode::from(2);
    };
    match run(Path::new(&manifest), Path::new(&cache)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("llm_cost: {err:#}");
            ExitCode::FAILURE
        }
    }
}
