//! Verification: the deterministic checks every model draft meets before it is accepted,
//! beside those `dataset/check.rs` applies to every writer's text.
//!
//! STUB: the interface is fixed; the checks are being written.

use super::prompt::Draft;
use crate::dataset::check::Mechanism;
use crate::write::Brief;

/// One check a draft fails: which (a short stable name, e.g. `ungrounded name`) and the
/// words at fault, said so that the model can fix them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub check: &'static str,
    pub detail: String,
}

/// Every check `draft` fails for `brief`; empty when it passes.
pub fn verify(draft: &Draft, brief: &Brief, mechanisms: &[Mechanism]) -> Vec<Failure> {
    let _ = (draft, brief, mechanisms);
    Vec::new()
}
