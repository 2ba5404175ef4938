//! The semantic diff of n8n workflows: it speaks in nodes, not in JSON lines.
//!
//! - [`structural::diff`]: nodes added, removed, renamed and modified (field by field,
//!   with the JSON path of each changed parameter), connections, settings, each with
//!   its [`Risk`]; cosmetic changes (positions, notes, sticky notes) flagged.
//! - [`status::status`]: ADDED, DELETED, UNCHANGED, MODIFIED or TARGET_HOTFIX between a
//!   source and a target.
//! - [`text::text_diff`]: the canonical JSON of both sides, line by line, with changed
//!   words marked, within a deadline.
//!
//! Everything works on the normalized form (`domain::normalize`); node ids and
//! positions, which normalization drops, come from the raw JSON through [`Side`].

pub mod model;
pub mod mutate;
pub mod risk;
pub mod side;
pub mod status;
pub mod structural;
pub mod text;
mod values;

#[cfg(test)]
mod tests;

pub use model::*;
pub use side::Side;
pub use status::{DiffStatus, last_common_fingerprint, status};
pub use structural::diff;
pub use text::{TextDiff, text_diff};

/// The structural diff of two workflows as n8n (or a file) has them.
pub fn diff_raw(old: &serde_json::Value, new: &serde_json::Value) -> WorkflowDiff {
    diff(&Side::from_raw(old), &Side::from_raw(new))
}
