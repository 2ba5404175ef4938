//! Requests and results of the canonical-state operations: onboarding, snapshots,
//! restores, drift, reconcile and the Git repository itself.

use super::types::{EnvProblem, Time};
use crate::domain::commit::CommitKind;
use crate::domain::diff::{DiffStatus, Risk, WorkflowDiff};
use crate::domain::drift::DriftStatus;
use serde::{Deserialize, Serialize};

// ---- untracked workflows and onboarding ----

/// A live workflow (as last synced) that the canonical state does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UntrackedWorkflow {
    pub env: String,
    pub n8n_id: String,
    pub name: String,
    pub active: bool,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardRequest {
    pub env: String,
    /// n8n ids or exact names of untracked workflows.
    pub workflows: Vec<String>,
    /// Every untracked workflow of the environment.
    pub all: bool,
}

/// The result of an onboarding job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardReport {
    pub env: String,
    pub onboarded: Vec<Onboarded>,
    /// The commit that recorded them (None when there was nothing to onboard).
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarded {
    pub canonical_id: String,
    pub n8n_id: String,
    pub name: String,
    /// Joined a canonical workflow another environment already had (same name).
    pub linked: bool,
}

// ---- snapshots and backups ----

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCreate {
    pub env: String,
    /// Why (the commit message's body); a sentence is generated when None.
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRequest {
    /// Environment names; empty means all.
    pub envs: Vec<String>,
}

/// The result of a backup job: one snapshot per environment that could be fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    pub snapshots: Vec<SnapshotView>,
    pub failures: Vec<EnvProblem>,
}

/// A snapshot: a commit holding an environment's complete state, and its tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotView {
    /// `<env>/<YYYYMMDD-HHMMSS>`; the tag is `snapshots/<id>`.
    pub id: String,
    pub env: String,
    pub commit: String,
    pub kind: CommitKind,
    /// Why it was taken.
    pub message: String,
    pub actor: String,
    pub at: Time,
    /// Workflows in the environment at that point.
    pub workflows: usize,
    /// Against the environment's previous recording.
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub job_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDetail {
    pub snapshot: SnapshotView,
    /// Sorted by name.
    pub workflows: Vec<SnapshotWorkflow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotWorkflow {
    pub canonical_id: String,
    pub name: String,
    pub n8n_id: String,
    pub fingerprint: String,
    pub active: bool,
    pub tags: Vec<String>,
}

/// Two snapshots compared, `a` the older side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotDiff {
    pub a: SnapshotView,
    pub b: SnapshotView,
    /// Every workflow of either side, sorted by name; ADDED means only in `b`.
    pub workflows: Vec<SnapshotDiffEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotDiffEntry {
    pub canonical_id: String,
    pub name: String,
    pub status: DiffStatus,
    /// `a` to `b`, where both exist and differ.
    pub diff: Option<WorkflowDiff>,
}

// ---- restore ----

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRequest {
    pub env: String,
    /// A snapshot id, tag or commit; None means the environment's latest snapshot.
    pub snapshot: Option<String>,
    /// Canonical ids or names; empty restores the whole environment (and soft-deletes
    /// live workflows the snapshot does not hold).
    pub workflows: Vec<String>,
    /// Plan only.
    pub dry_run: bool,
    /// The person saw the plan and said yes (needed to run it).
    pub confirmed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreAction {
    Create,
    Update,
    Unchanged,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreItem {
    pub canonical_id: Option<String>,
    pub name: String,
    pub action: RestoreAction,
    /// The live workflow it replaces or deletes.
    pub n8n_id: Option<String>,
    /// Live (`a`) to snapshot (`b`), for updates.
    pub diff: Option<WorkflowDiff>,
}

/// What a restore would do: the preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestorePlan {
    pub env: String,
    pub snapshot: SnapshotView,
    /// Sorted by name.
    pub items: Vec<RestoreItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreItemResult {
    pub canonical_id: Option<String>,
    pub name: String,
    pub action: RestoreAction,
    /// The workflow's n8n id after the restore.
    pub n8n_id: Option<String>,
    pub ok: bool,
    /// Re-fetched and equal by fingerprint to the snapshot's version.
    pub verified: bool,
    pub error: Option<String>,
}

/// The result of a restore job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    pub env: String,
    /// The snapshot restored from.
    pub snapshot: String,
    /// The automatic snapshot taken before: restoring it rolls this restore back.
    pub replaced: Option<String>,
    /// The commit that recorded the restore.
    pub commit: Option<String>,
    pub items: Vec<RestoreItemResult>,
}

impl RestoreReport {
    pub fn ok(&self) -> bool {
        self.items
            .iter()
            .all(|i| i.ok && (i.verified || i.action == RestoreAction::Delete))
    }
}

// ---- drift ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftCheckRequest {
    /// Environment names; empty means all.
    pub envs: Vec<String>,
    /// Fetch each environment first (a sync); false compares with the last sync.
    pub fetch: bool,
}

impl Default for DriftCheckRequest {
    fn default() -> Self {
        DriftCheckRequest {
            envs: Vec::new(),
            fetch: true,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftCounts {
    pub in_sync: usize,
    pub drifted: usize,
    pub missing: usize,
    pub untracked: usize,
    pub unknown: usize,
}

/// One workflow that is not IN_SYNC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftItem {
    pub status: DriftStatus,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    pub name: String,
    /// The canonical (last recorded) fingerprint.
    pub expected: Option<String>,
    /// The live fingerprint.
    pub live: Option<String>,
    /// For DRIFTED: what changed.
    pub summary: Option<DriftSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSummary {
    pub changes: usize,
    pub risk: Option<Risk>,
    /// The canonical name, when the live workflow was renamed.
    pub renamed_from: Option<String>,
    /// A few short lines ("node 'HTTP' parameters.url changed").
    pub lines: Vec<String>,
}

/// An environment's drift at one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvDrift {
    pub env: String,
    pub checked_at: Time,
    /// Why the environment is UNKNOWN.
    pub error: Option<String>,
    pub counts: DriftCounts,
    /// Every workflow not IN_SYNC, sorted by status then name.
    pub items: Vec<DriftItem>,
}

/// The result of a drift check job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    pub envs: Vec<EnvDrift>,
}

impl DriftReport {
    /// `--exit-code`: 0 all IN_SYNC, 1 any DRIFTED, MISSING or UNTRACKED, 2 on error
    /// or any UNKNOWN.
    pub fn exit_code(&self) -> i32 {
        let total = self.envs.iter().fold(DriftCounts::default(), |mut t, e| {
            t.drifted += e.counts.drifted;
            t.missing += e.counts.missing;
            t.untracked += e.counts.untracked;
            t.unknown += e.counts.unknown;
            t
        });
        if total.unknown > 0 || self.envs.iter().any(|e| e.error.is_some()) {
            2
        } else if total.drifted + total.missing + total.untracked > 0 {
            1
        } else {
            0
        }
    }
}

// ---- reconcile ----

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileRequest {
    /// Git -> canonical first: fetch the remote and fast-forward the branch.
    pub pull: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub head: Option<String>,
    /// What the pull did, when asked for.
    pub pulled: Option<String>,
    /// Only where Git, the recorded mappings and the live environments disagree.
    pub rows: Vec<ReconcileRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileRow {
    pub canonical_id: String,
    pub name: String,
    /// Fingerprint of `workflows/<id>.json` on the branch (None: no file).
    pub git: Option<String>,
    pub envs: Vec<ReconcileCell>,
    /// What disagrees, in words.
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileCell {
    pub env: String,
    /// Recorded in the environment's mapping file.
    pub recorded: Option<String>,
    /// As last synced.
    pub live: Option<String>,
}

// ---- the repository ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitStatus {
    pub path: String,
    pub branch: String,
    pub head: Option<String>,
    /// The head commit's subject line.
    pub head_subject: Option<String>,
    pub remotes: Vec<RemoteStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStatus {
    pub name: String,
    /// Without credentials.
    pub url: String,
    /// Local commits the remote does not have yet (None: unknown).
    pub ahead: Option<usize>,
    /// The last push's failure.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReport {
    pub remotes: Vec<RemoteStatus>,
}

impl PushReport {
    pub fn ok(&self) -> bool {
        self.remotes.iter().all(|r| r.error.is_none())
    }
}
