//! The command line, as clap derive: doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::tokens::Encoding;

/// Which `use` declarations an example's code carries as context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Imports {
    /// The file's use declarations, as one exact slice.
    #[default]
    All,
    /// Only the whole use declarations that name something the unit uses.
    Used,
    /// No use declarations.
    None,
}

/// Turn svix-server's message-creation code into exact, grounded ChatML training examples.
///
/// Parses a message.rs with syn, selects the POST-routed handlers and the same-file items they
/// reach, reads facts off the syntax tree and writes one JSONL line per example: a request, the
/// reasoning behind the code, and the code itself as exact slices of the source.
#[derive(Debug, Parser)]
#[command(
    name = "svix-distill",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes:\n  0  examples written, listed, or found current by --check; a dataset valid\n  1  OUT stale or missing under --check, no message-creation handler found (see --root,\n     --allow-empty), or faults found by validate\n  2  usage, input or output error"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub generate: GenerateArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that a JSONL dataset is well-formed, exact and grounded, and count its tokens.
    ///
    /// Reports every fault as FILE:LINE: message and exits 1 if there is any.
    Validate(ValidateArgs),
    /// Summarize a JSONL dataset: examples, units, voices, mechanisms shown, tokens.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The JSONL file to check.
    pub file: PathBuf,

    /// A Rust file, or a folder of them, that the code must be sliced from. Repeatable. With it,
    /// every code section must be exact item slices of one source, and the text grounded.
    #[arg(long, value_name = "PATH")]
    pub source: Vec<PathBuf>,

    /// The system prompt every line must carry, instead of svix-distill's.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,

    /// The tokenizer the counts are for.
    #[arg(long, value_enum, default_value_t = Encoding::O200kBase)]
    pub encoding: Encoding,

    /// Warn about lines with more tokens than this.
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    pub max_tokens: usize,

    /// Fail when the whole file has more tokens than this.
    #[arg(long, value_name = "N")]
    pub token_budget: Option<usize>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The JSONL file to summarize.
    pub file: PathBuf,

    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,

    /// The tokenizer the counts are for.
    #[arg(long, value_enum, default_value_t = Encoding::O200kBase)]
    pub encoding: Encoding,
}

/// Generating examples from a message.rs: the command without a subcommand.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The Rust file to read, or a crate folder (or its src/) to follow message creation
    /// across. Without it, looks under the current folder for
    /// server/svix-server/src/v1/endpoints/message.rs, then svix-server/src/v1/endpoints/message.rs,
    /// then src/v1/endpoints/message.rs.
    pub input: Option<PathBuf>,

    /// Write the JSONL here (atomically) instead of to stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Print the selected items (kind, name, lines, why) instead of JSONL.
    #[arg(long, conflicts_with = "check")]
    pub list: bool,

    /// Generate in memory and compare with OUT instead of writing it: exit 0 when OUT is
    /// current, 1 when it is stale or missing.
    #[arg(long, requires = "output")]
    pub check: bool,

    /// When the file has no message-creation handler, write an empty file and exit 0 instead
    /// of failing (for CI jobs on files that may lose their handlers).
    #[arg(long)]
    pub allow_empty: bool,

    /// With a folder as INPUT: the files whose POST handlers are the roots.
    #[arg(long, value_name = "GLOB", default_value = "**/endpoints/message.rs")]
    pub focus: String,

    /// With a folder: also walk paths matching GLOB (target/, tests/, benches/, examples/ and
    /// hidden folders are skipped otherwise). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// With a folder: leave out files matching GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// With a folder: how many calls away from the focus files to follow (0 keeps to them).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub depth: usize,

    /// With a folder: exit 0 even when some files could not be parsed (they are reported and
    /// skipped either way).
    #[arg(long)]
    pub keep_going: bool,

    /// Also treat this function as a root, besides the POST-routed handlers. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub root: Vec<String>,

    /// Examples per unit. By default chosen so a typical message.rs gives about 20 examples.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub variants: Option<u16>,

    /// Which use declarations each example's code carries.
    #[arg(long, value_enum, default_value_t = Imports::All)]
    pub imports: Imports,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
