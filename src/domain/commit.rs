//! Canonical-state commit messages: what changed and why, with metadata as trailers
//! (`N8nops-Environment: prod`) that `git log` shows and `parse` reads back.

use serde::{Deserialize, Serialize};

/// Why a commit was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitKind {
    /// An environment's state recorded as canonical (`reconcile --record`).
    Sync,
    /// A manual or automatic snapshot.
    Snapshot,
    /// `n8nops backup`.
    Backup,
    Promotion,
    Restore,
    Onboarding,
}
