//! svix-distill: turn svix-server's message-creation code into exact, grounded ChatML examples.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod select;
pub mod source;
