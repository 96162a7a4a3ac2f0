//! Write: turning a unit's plain data (its role, items, code and facts, the rules that fire)
//! into a request and a reasoning. Today one writer, templates and rules ([`template`]); the
//! `Writer` seam that lets a second one in comes next.
//!
//! It hands on text, which the checks in `dataset/` then judge as they judge any writer's.
//! Invariant: it imports only from `extract/` and `dataset/`, never from the top.

pub mod template;
