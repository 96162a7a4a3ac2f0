//! The template writer: wording kept in `templates/` and the profile, picked by the facts a unit
//! shows. [`render`] decides which section applies and fills it; [`rules`] holds the reasoning
//! rules that take more than one fact to see.
//!
//! It hands on a request and a reasoning per unit, as plain strings.

pub mod render;
pub mod rules;
