//! Drift: how an environment's live workflows compare with its canonical mapping.

use serde::{Deserialize, Serialize};

/// A workflow's drift status in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DriftStatus {
    /// Live equals the canonical (last recorded) version.
    InSync,
    /// Live differs from the canonical version.
    Drifted,
    /// Canonical says it should be there; it is not.
    Missing,
    /// Live, unknown to the canonical state.
    Untracked,
    /// The environment could not be reached.
    Unknown,
}
