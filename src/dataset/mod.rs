//! Dataset: what an example is and what every example keeps, whoever wrote its text. This stage
//! owns the `Example` ([`example`]), the checks it must pass ([`check`]), the wire formats
//! ([`format`](mod@format)), writing ([`output`]), the manifest and the provenance behind it
//! ([`manifest`], [`provenance`]), the validation split ([`split`]), token counts ([`tokens`]),
//! checking a dataset line by line ([`validate`]), how varied its text is (`quality`), its
//! figures ([`stats`]) and what became of the model writer's drafts ([`tally`]).
//!
//! It takes `Example`s and hands on bytes: JSONL lines, a manifest, reports as plain data.
//! Invariants: no example is formatted before it is checked; it imports only from `extract/`.

pub mod card;
pub mod check;
pub mod example;
pub mod format;
pub mod manifest;
pub mod output;
pub mod provenance;
pub(crate) mod quality;
pub mod split;
pub mod stats;
pub mod tally;
pub mod tokens;
pub mod validate;
