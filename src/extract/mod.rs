//! Extract: code in, plain data out. This stage owns reading Rust files ([`source`]), cutting
//! them into pieces that parse alone ([`pieces`]), parsing them ([`parse`]), choosing the items
//! an operation needs in one file ([`select`]) or across a crate ([`tree`]), listing a crate's
//! routes ([`routes`]), grouping them into units ([`units`]) and reading each unit's facts
//! ([`facts`]) and, for a writer that asks, what each unit reaches beyond its own code
//! ([`context`]); `text` holds the leaf helpers on prose and code names every later stage
//! shares.
//!
//! It hands on plain data: `Unit`s, `Fact`s, selections and the exact source text.
//! Invariants: no syn type leaves this folder, and nothing here imports from outside it.

pub mod context;
pub mod facts;
pub mod parse;
pub mod pieces;
pub mod routes;
pub mod select;
pub mod source;
pub(crate) mod text;
pub mod tree;
pub mod units;
