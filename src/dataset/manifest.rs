//! The manifest: one JSON document beside the data saying what made it (tool, version,
//! profile, format, every option that changes the output), what was written (each file's path,
//! sha256 and example count), from what (each source file's sha256 and commit), and where every
//! example's code comes from: byte and line ranges in the files as they are on disk, so that the
//! code can be rebuilt from the manifest alone. Plain data, with no time stamp: the same run
//! gives the same bytes, which is what `--check` compares.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dataset::example::{Dropped, Example, ModelNote, Outcome};
use crate::dataset::format::Format;
use crate::dataset::provenance::{FileFacts, sha256_hex};
use crate::dataset::split::Side;

pub const TOOL: &str = "svix-distill";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub profile: String,
    pub format: &'static str,
    pub input: Input,
    pub options: RunOptions,
    /// OUT, or the train side when the data is split.
    pub output: Written,
    /// The validation file, under `--valid`.
    pub valid: Option<Written>,
    pub sources: Vec<SourceEntry>,
    /// One per written line, OUT's first, then the validation file's.
    pub examples: Vec<ExampleEntry>,
    /// The examples left out because their text fails the check, in the order they were
    /// made; absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<DroppedEntry>,
}

/// An example left out: which, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedEntry {
    pub unit: String,
    pub variant: usize,
    /// The file its code would have come from, shown as the sources are.
    pub path: Option<String>,
    /// History: the commit it was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The check that failed.
    pub reason: String,
    /// The words at fault.
    pub text: String,
}

/// INPUT as given, and whether it was read as one file or as a crate folder (whose files the
/// slice paths are relative to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Input {
    pub path: String,
    pub mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    File,
    Crate,
    /// A git repository's history of one or more files.
    History,
}

/// Every option that changes the output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunOptions {
    pub imports: String,
    pub variants: Option<usize>,
    pub roots: Vec<String>,
    /// The `--valid` fraction.
    pub valid: Option<f64>,
    #[serde(flatten)]
    pub tree: Option<TreeOptions>,
    #[serde(flatten)]
    pub history: Option<HistoryOptions>,
}

/// The options of history mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryOptions {
    pub paths: Vec<String>,
    pub since: Option<String>,
    pub until: String,
}

/// The options of crate mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeOptions {
    pub focus: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub depth: usize,
}

/// One file written: its path as given (None for stdout), the sha256 of its bytes, its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    pub path: Option<String>,
    pub sha256: String,
    pub examples: usize,
}

impl Written {
    pub fn new(path: Option<&Path>, text: &str) -> Written {
        Written {
            path: path.map(|p| p.display().to_string()),
            sha256: sha256_hex(text.as_bytes()),
            examples: text.lines().count(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceEntry {
    pub path: String,
    pub sha256: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExampleEntry {
    /// 1-based, in the file of its split.
    pub line: usize,
    pub split: Side,
    pub unit: String,
    pub kind: &'static str,
    pub voice: &'static str,
    pub variant: usize,
    /// The commit the example's code was taken at; only history runs have one.
    pub commit: Option<String>,
    pub rules: Vec<String>,
    pub slices: Vec<SliceEntry>,
    /// History: the code the request quotes, as it was in the commit's parent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_slices: Vec<SliceEntry>,
    /// With the model writer: who wrote the text and how (absent for the templates alone, so
    /// a template run's manifest is what it always was).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelEntry>,
}

/// What the model writer did for one example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelEntry {
    /// `llm`, or `template` when no draft passed and the templates' text stands.
    pub writer: &'static str,
    pub model: String,
    pub prompt_version: u32,
    pub cache_key: String,
    pub rounds: u32,
    /// `first`, `revised` or `fallback`.
    pub outcome: &'static str,
    /// Why the drafts were refused, for a fallback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl ModelEntry {
    fn of(note: &ModelNote) -> ModelEntry {
        let fallback = match &note.outcome {
            Outcome::Fallback(why) => Some(why.clone()),
            _ => None,
        };
        ModelEntry {
            writer: if fallback.is_some() {
                "template"
            } else {
                "llm"
            },
            model: note.model.clone(),
            prompt_version: note.prompt_version,
            cache_key: note.cache_key.clone(),
            rounds: note.rounds,
            outcome: note.outcome.name(),
            fallback,
            prompt_tokens: note.prompt_tokens,
            completion_tokens: note.completion_tokens,
        }
    }
}

/// Where one slice of an example's code stands in its file as it is on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SliceEntry {
    pub path: String,
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_line: usize,
    pub end_line: usize,
    /// History: the commit whose version of the file the offsets index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// The run a manifest describes, besides its examples.
pub struct Run<'a> {
    pub profile: &'a str,
    pub format: Format,
    pub input: &'a Path,
    pub mode: Mode,
    pub options: RunOptions,
    pub output: Written,
    pub valid: Option<Written>,
}

/// A file's path as the manifest shows it: as given for a single file, relative to the crate
/// folder (with `/`) in crate mode.
fn shown(run: &Run, path: &Path) -> String {
    match run.mode {
        Mode::File | Mode::History => path.display().to_string(),
        Mode::Crate => {
            let relative = path.strip_prefix(run.input).unwrap_or(path);
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        }
    }
}

/// A source file's key: the path the pipeline read it under, and in history mode the commit
/// whose version of it was read.
pub type FileKey = (PathBuf, Option<String>);

/// The manifest of a run: `sides[i]` is the side of `examples[i]`; `files` holds every source
/// file the examples are sliced from (and the input file); `dropped` the examples left out.
pub fn build(
    run: Run,
    examples: &[Example],
    sides: &[Side],
    files: &BTreeMap<FileKey, FileFacts>,
    dropped: &[Dropped],
) -> Manifest {
    let mut sources: Vec<SourceEntry> = files
        .iter()
        .map(|((path, _), facts)| SourceEntry {
            path: shown(&run, path),
            sha256: facts.sha256.clone(),
            commit: facts.commit.clone(),
        })
        .collect();
    sources.sort_by(|a, b| (&a.path, &a.commit).cmp(&(&b.path, &b.commit)));
    let entries_of = |slices: &[crate::dataset::example::Slice]| -> Vec<SliceEntry> {
        slices
            .iter()
            .map(|slice| {
                // The pipeline's offsets leave a byte-order mark out; the file has it.
                let key = (slice.path.clone(), slice.commit.clone());
                let bom = files.get(&key).is_some_and(|f| f.bom);
                let shift = if bom { 3 } else { 0 };
                SliceEntry {
                    path: shown(&run, &slice.path),
                    start_byte: slice.bytes.start + shift,
                    end_byte: slice.bytes.end + shift,
                    start_line: slice.lines.0,
                    end_line: slice.lines.1,
                    commit: slice.commit.clone(),
                }
            })
            .collect()
    };
    let mut entries = Vec::new();
    for side in [Side::Train, Side::Valid] {
        let on_side = examples
            .iter()
            .zip(sides)
            .filter(|&(_, &s)| s == side)
            .map(|(e, _)| e);
        for (index, example) in on_side.enumerate() {
            entries.push(ExampleEntry {
                line: index + 1,
                split: side,
                unit: example.unit.clone(),
                kind: example.kind,
                voice: example.voice.name(),
                variant: example.variant,
                commit: example.commit.clone(),
                rules: example.rules.clone(),
                slices: entries_of(&example.slices),
                request_slices: entries_of(&example.before),
                model: example.model.as_ref().map(ModelEntry::of),
            });
        }
    }
    let dropped = dropped
        .iter()
        .map(|d| DroppedEntry {
            unit: d.unit.clone(),
            variant: d.variant,
            path: d.path.as_deref().map(|p| shown(&run, p)),
            commit: d.commit.clone(),
            reason: d.reason.clone(),
            text: d.excerpt.clone(),
        })
        .collect();
    Manifest {
        tool: TOOL,
        version: VERSION,
        profile: run.profile.to_owned(),
        format: run.format.name(),
        input: Input {
            path: run.input.display().to_string(),
            mode: run.mode,
        },
        options: run.options,
        output: run.output,
        valid: run.valid,
        sources,
        examples: entries,
        dropped,
    }
}

/// The manifest as written: pretty JSON, so that a diff shows what changed, and a newline.
pub fn to_json(manifest: &Manifest) -> String {
    // Strings, numbers and lists always serialize.
    serde_json::to_string_pretty(manifest).unwrap_or_default() + "\n"
}

/// A manifest's text as `--check` compares it: the sources' commits left out, since a new
/// commit that leaves the sources' bytes alone (their sha256 says so) changes no example. Text
/// that is not a manifest is compared as it is.
pub fn comparable(text: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_owned();
    };
    if let Some(sources) = value.get_mut("sources").and_then(|s| s.as_array_mut()) {
        for source in sources {
            if let Some(commit) = source.get_mut("commit") {
                *commit = serde_json::Value::Null;
            }
        }
    }
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// What the model writer recorded of each example of one data file, read back from the
/// manifest of the run that wrote it (for `stats`). `data_sha256` says which file it is: the
/// manifest's output or its validation file; a manifest of neither is an error. An example
/// with no model entry (the templates alone) gives no note.
pub fn model_notes(manifest_text: &str, data_sha256: &str) -> Result<Vec<ModelNote>, String> {
    let manifest: NotedManifest = serde_json::from_str(manifest_text)
        .map_err(|e| format!("not a manifest of svix-distill: {e}"))?;
    let side = if manifest.output.sha256 == data_sha256 {
        "train"
    } else if manifest.valid.is_some_and(|v| v.sha256 == data_sha256) {
        "valid"
    } else {
        let why = "it describes another file (neither its output's sha256 nor its validation \
                   file's is this file's)";
        return Err(why.to_owned());
    };
    let mut notes = Vec::new();
    for entry in manifest.examples.into_iter().filter(|e| e.split == side) {
        let Some(outcome) = entry.outcome else {
            continue;
        };
        let outcome = match (outcome.as_str(), entry.fallback) {
            ("first", _) => Outcome::First,
            ("revised", _) => Outcome::Revised,
            ("fallback", why) => Outcome::Fallback(why.unwrap_or_default()),
            (other, _) => {
                return Err(format!(
                    "example at line {} of the {side} file: unknown outcome {other:?}",
                    entry.line
                ));
            }
        };
        notes.push(ModelNote {
            model: entry.model,
            prompt_version: entry.prompt_version,
            cache_key: entry.cache_key,
            rounds: entry.rounds,
            outcome,
            prompt_tokens: entry.prompt_tokens,
            completion_tokens: entry.completion_tokens,
        });
    }
    Ok(notes)
}

/// A manifest as [`model_notes`] reads it.
#[derive(serde::Deserialize)]
struct NotedManifest {
    output: NotedFile,
    valid: Option<NotedFile>,
    examples: Vec<NotedExample>,
}

#[derive(serde::Deserialize)]
struct NotedFile {
    sha256: String,
}

/// An example entry with its [`ModelEntry`] fields, absent for the templates alone.
#[derive(serde::Deserialize)]
struct NotedExample {
    line: usize,
    split: String,
    outcome: Option<String>,
    fallback: Option<String>,
    #[serde(default)]
    model: String,
    #[serde(default)]
    prompt_version: u32,
    #[serde(default)]
    cache_key: String,
    #[serde(default)]
    rounds: u32,
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

/// The `version` a manifest's text names, when it is a manifest at all.
pub fn version_of(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("version")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::example::{Slice, Voice};

    fn example(unit: &str, path: &str, bytes: std::ops::Range<usize>) -> Example {
        Example {
            unit: unit.to_owned(),
            group: unit.to_owned(),
            kind: "handler",
            voice: Voice::Review,
            variant: 1,
            request: "r".to_owned(),
            reasoning: "why".to_owned(),
            rules: vec!["rule-a".to_owned()],
            code: "code".into(),
            commit: None,
            before: Vec::new(),
            model: None,
            slices: vec![Slice {
                path: path.into(),
                bytes,
                lines: (2, 3),
                commit: None,
            }],
        }
    }

    #[test]
    fn crate_paths_are_relative_and_bom_files_shift_their_offsets() {
        let facts = |bom| FileFacts {
            sha256: "00".repeat(32),
            bom,
            commit: None,
        };
        let files = BTreeMap::from([
            ((PathBuf::from("top/src/b.rs"), None), facts(true)),
            ((PathBuf::from("top/src/a.rs"), None), facts(false)),
        ]);
        let examples = [
            example("item:b", "top/src/b.rs", 10..20),
            example("item:a", "top/src/a.rs", 0..5),
        ];
        let run = Run {
            profile: "message-creation",
            format: Format::OpenAi,
            input: Path::new("top"),
            mode: Mode::Crate,
            options: RunOptions {
                imports: "all".to_owned(),
                variants: None,
                roots: Vec::new(),
                valid: Some(0.5),
                tree: Some(TreeOptions {
                    focus: "**/a.rs".to_owned(),
                    include: Vec::new(),
                    exclude: Vec::new(),
                    depth: 1,
                }),
                history: None,
            },
            output: Written::new(Some(Path::new("d.jsonl")), "x\n"),
            valid: Some(Written::new(Some(Path::new("d.valid.jsonl")), "y\n")),
        };
        let manifest = build(run, &examples, &[Side::Valid, Side::Train], &files, &[]);
        let sources: Vec<&str> = manifest.sources.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(sources, ["src/a.rs", "src/b.rs"]);
        // The train side first, each side numbered from 1.
        let lines: Vec<(usize, Side, &str)> = manifest
            .examples
            .iter()
            .map(|e| (e.line, e.split, e.unit.as_str()))
            .collect();
        assert_eq!(
            lines,
            [(1, Side::Train, "item:a"), (1, Side::Valid, "item:b")]
        );
        let b = &manifest.examples[1].slices[0];
        assert_eq!(
            (b.path.as_str(), b.start_byte, b.end_byte),
            ("src/b.rs", 13, 23)
        );
        let json = to_json(&manifest);
        assert_eq!(version_of(&json).as_deref(), Some(VERSION));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "tool", "version", "profile", "format", "input", "options", "output", "valid",
                "sources", "examples"
            ]
        );
        assert_eq!(
            value["options"].to_string(),
            r#"{"imports":"all","variants":null,"roots":[],"valid":0.5,"focus":"**/a.rs","include":[],"exclude":[],"depth":1}"#
        );
        assert_eq!(
            value["input"].to_string(),
            r#"{"path":"top","mode":"crate"}"#
        );
    }
}
