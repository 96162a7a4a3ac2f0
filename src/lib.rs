//! svix-distill turns svix-server's code into exact, grounded training examples (ChatML, OpenAI,
//! reasoning or prompt-completion lines), one operation at a time, as a profile describes it.
//!
//! The tree follows the pipeline, one folder per stage; imports point down only (top → write →
//! dataset → extract; history → dataset, extract), with no cycle, which `tests/imports.rs`
//! checks:
//! - [`extract`]: code in, plain data out: source files, pieces, parse, selection in a file or
//!   across a crate, a crate's route table, units and their facts. No syn type leaves it.
//! - [`write`](mod@write): a unit's plain data into a request and a reasoning, through one seam
//!   (a `Brief` in, a `Text` out, the `Writer` trait); today the template writer
//!   ([`write::template`]: render, rules, variety).
//! - [`dataset`]: the `Example`, the checks every example keeps whoever wrote it, wire formats,
//!   output, manifest, provenance, the validation split, tokens, validate, quality and stats.
//! - [`history`]: git, commit messages, and pairing two versions' items into plain pairs.
//! - at the top: `main.rs` (the binary), this file (the module tree, the dispatch in [`run`] and
//!   the one place exit codes are decided), [`cli`] (clap types), `commands.rs` (one function
//!   per command), [`report`] (tables and messages), [`profile`] (the `Profile`, composed from
//!   each stage's own types), [`pipeline`] (the stages wired together, history mode's writing
//!   included) and [`protected`] (the files a run reads, which no output may replace).
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
mod commands;
pub mod dataset;
pub mod extract;
pub mod history;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod protected;
pub mod report;
pub mod route_profile;
pub mod write;

use crate::cli::{Cli, Command};
use crate::commands::{CheckFailed, NoRoutes, NothingToWrite};
use crate::pipeline::EmptySelection;

/// The exit code for an error: 1 when there was nothing to select or write, the check failed,
/// the dataset has faults, review flagged a sentence, model calls are missing or a crate has no
/// route; 2 for usage, input and output errors (and internal errors).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.is::<EmptySelection>()
        || err.is::<NothingToWrite>()
        || err.is::<CheckFailed>()
        || err.is::<NoRoutes>()
        || err.is::<write::llm::rounds::MissingReplies>()
    {
        1
    } else {
        2
    }
}

/// The whole command: generate (the default), history, validate, stats, review, profiles or
/// routes.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    dataset::output::set_quiet(cli.quiet);
    match &cli.command {
        None => commands::generate(&cli.generate),
        Some(Command::Validate(args)) => commands::validate(args),
        Some(Command::Stats(args)) => commands::stats(args),
        Some(Command::Profiles(args)) => commands::profiles(args),
        Some(Command::History(args)) => commands::history(args),
        Some(Command::Review(args)) => commands::review(args),
        Some(Command::Routes(args)) => commands::routes(args),
    }
}
