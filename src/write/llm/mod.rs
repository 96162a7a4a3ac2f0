//! The language-model writer of issue 20, being built piece by piece. What is here so far is the
//! part every model call goes through whichever way it is answered: the [`cache`] of calls and
//! replies (a run with every call cached needs no network and gives the same bytes), and the
//! OpenAI Batch API files a run exports its misses to and imports the answers from.
//!
//! Not yet here: the prompt built from a `Brief`, the live client, the verification and critic
//! rounds, and the `Writer` itself; nothing outside this folder calls it yet.

pub mod cache;
