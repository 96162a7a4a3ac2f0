//! svix-distill turns svix-server's code into exact, grounded training examples (ChatML, OpenAI,
//! reasoning or prompt-completion lines), one operation at a time, as a profile describes it.
//!
//! The pipeline ([`pipeline`]) is a chain of pure stages: read and parse ([`source`]) → select
//! ([`select`], across a crate [`tree`]) → facts ([`facts`]) → units ([`units`]) → render
//! ([`render`]) → check ([`check`]); then the validation split ([`split`]), a wire format
//! ([`format`]), the manifest ([`manifest`], from [`provenance`]) and the writers ([`output`],
//! [`report`]). This file is the dispatch, and the one place exit codes are
//! decided; `commands.rs` has one function per command.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
mod commands;
pub mod dataset;
pub mod extract;
pub mod history;
pub mod pipeline;
pub mod profile;
pub mod protected;
pub mod report;
pub mod write;

use crate::cli::{Cli, Command};
use crate::commands::{CheckFailed, NothingToWrite};
use crate::pipeline::EmptySelection;

/// The exit code for an error: 1 when there was nothing to select or write, the check failed
/// or the dataset has faults; 2 for usage, input and output errors (and internal errors).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.is::<EmptySelection>() || err.is::<NothingToWrite>() || err.is::<CheckFailed>() {
        1
    } else {
        2
    }
}

/// The whole command: generate (the default), history, validate, stats or profiles.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    dataset::output::set_quiet(cli.quiet);
    match &cli.command {
        None => commands::generate(&cli.generate),
        Some(Command::Validate(args)) => commands::validate(args),
        Some(Command::Stats(args)) => commands::stats(args),
        Some(Command::Profiles(args)) => commands::profiles(args),
        Some(Command::History(args)) => commands::history(args),
    }
}
