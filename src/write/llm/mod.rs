//! The language-model writer (issue 20). Every model call goes through the [`cache`]; a
//! call not in it is a miss, answered live by the [`client`] or through a Batch API file, and
//! the run is made again until every call it needs is cached. A draft is untrusted input:
//! parsed strictly ([`prompt`]), verified ([`verify`]), sent back once with its failures, read
//! by a critic, and when it still fails the template writer's text stands. The same critic
//! reads any dataset's lines ([`review`]).

mod brief_text;
pub mod cache;
pub mod client;
pub mod prompt;
pub mod review;
pub mod rounds;
pub mod verify;
pub mod writer;
