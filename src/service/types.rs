//! Requests and results of `Ops` calls: plain serde types, so a remote face sends them
//! over HTTP unchanged. Times are RFC 3339 in UTC.

use super::Secret;
use crate::domain::environment::EnvClass;
use crate::domain::job::{JobState, LogLevel};
use crate::domain::sync::{Change, SyncKind};
use crate::domain::workflow::CredentialRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::canonical_types::*;
pub use super::credentials_matrix::{
    CredentialCell, CredentialSource, CredentialsMatrix, CredentialsMatrixRow,
};
pub use super::diff::{DiffDocument, DiffEntry, DiffReport, DiffRequest};
pub use super::incident_types::*;
pub use super::promotion_types::*;

pub type Time = DateTime<Utc>;

/// Unix milliseconds (the store's clock) as a time.
pub fn time_from_ms(ms: i64) -> Time {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

// ---- environments ----

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvAdd {
    pub name: String,
    pub url: String,
    pub class: EnvClass,
    pub api_key: Secret,
    pub git_repo: Option<String>,
    pub git_branch: Option<String>,
}

/// A change to an environment; absent fields stay as they are. For the Git fields,
/// `Some(None)` clears them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnvUpdate {
    pub name: String,
    pub url: Option<String>,
    pub class: Option<EnvClass>,
    pub api_key: Option<Secret>,
    pub git_repo: Option<Option<String>>,
    pub git_branch: Option<Option<String>>,
}

/// An environment as faces see it. It never holds the API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvView {
    pub name: String,
    pub url: String,
    pub class: EnvClass,
    pub git_repo: Option<String>,
    pub git_branch: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub last_sync_at: Option<Time>,
    pub counts: EnvCounts,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvCounts {
    pub workflows: i64,
    pub active: i64,
    pub credentials: i64,
    pub tags: i64,
    pub users: i64,
    pub executions: i64,
}

/// What kind of failure a connection test met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionProblem {
    Unreachable,
    Timeout,
    Tls,
    WrongKey,
    NotN8n,
    Other,
}

/// The result of testing an environment's connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionTest {
    pub env: String,
    pub url: String,
    pub ok: bool,
    pub reachable: bool,
    pub key_accepted: bool,
    /// n8n's version where the instance reveals it.
    pub version: Option<String>,
    /// "1.x" or "2.x".
    pub api_generation: Option<String>,
    pub can_list_credentials: bool,
    pub latency_ms: Option<u64>,
    pub problem: Option<ConnectionProblem>,
    pub message: Option<String>,
}

// ---- sync ----

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Environment names; empty means all.
    pub envs: Vec<String>,
    /// What to fetch; empty means everything.
    pub kinds: Vec<SyncKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStarted {
    pub job_id: String,
}

/// The result of a sync job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    pub envs: Vec<EnvSyncReport>,
}

/// One environment's sync. Counts are None for kinds that were not synced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvSyncReport {
    pub env: String,
    pub ok: bool,
    pub error: Option<String>,
    pub workflows: Option<usize>,
    pub credentials: Option<usize>,
    pub tags: Option<usize>,
    pub users: Option<usize>,
    pub executions: Option<usize>,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub seconds: f64,
}

// ---- workflows ----

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkflowQuery {
    pub env: Option<String>,
    /// Matches names and node types, case-insensitively.
    pub search: Option<String>,
    pub tag: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    pub env: String,
    pub id: String,
    pub name: String,
    pub active: bool,
    pub tags: Vec<String>,
    pub nodes: i64,
    pub fingerprint: String,
    pub updated_at: Option<String>,
    /// When the sync that stored this version of it ran.
    pub stored_at: Time,
    /// How it changed in the last sync of its environment.
    pub change: Change,
    /// Its canonical workflow, when the canonical state maps it (None: untracked).
    #[serde(default)]
    pub canonical_id: Option<String>,
    /// Its status at the environment's latest drift check (None: never checked).
    #[serde(default)]
    pub drift: Option<crate::domain::drift::DriftStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRef {
    pub env: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDetail {
    pub summary: WorkflowSummary,
    pub node_types: Vec<String>,
    pub credentials: Vec<CredentialRef>,
    /// As n8n returned it.
    pub raw: serde_json::Value,
    pub normalized: serde_json::Value,
}

/// What a sync stored about an environment besides its workflows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvInventory {
    pub env: String,
    pub credentials: Vec<crate::store::inventory::CredentialRow>,
    pub tags: Vec<crate::store::inventory::TagRow>,
    pub users: Vec<crate::store::inventory::UserRow>,
    pub executions: Vec<crate::store::inventory::ExecutionRow>,
}

// ---- jobs, audit ----

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobQuery {
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub state: JobState,
    pub actor: String,
    pub phase: Option<String>,
    pub done: i64,
    pub total: i64,
    pub created_at: Time,
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobLogLine {
    pub at: Time,
    pub level: LogLevel,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub job: JobView,
    pub logs: Vec<JobLogLine>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    pub env: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Time,
    pub actor: String,
    pub action: String,
    pub env: Option<String>,
    pub workflow: Option<String>,
    pub outcome: crate::store::audit::Outcome,
    pub detail: Option<String>,
}

// ---- workflow operations (policy-checked) ----

/// What to do to the targeted workflows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkflowAction {
    Activate,
    Deactivate,
    /// Soft delete keeps the workflow in the store's trash, restorable; hard does not.
    Delete {
        hard: bool,
    },
    Tag {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowOpRequest {
    pub action: WorkflowAction,
    pub targets: Vec<WorkflowRef>,
    /// The person confirmed where the policy says "warn".
    pub confirmed: bool,
}

/// What happened to one target (or one upload): the policy's ruling or the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    Done,
    /// The policy says "warn": ask, then send again with `confirmed`.
    NeedsConfirmation {
        reason: String,
    },
    /// Recorded; it runs when someone grants the approval.
    PendingApproval {
        approval_id: i64,
        reason: String,
    },
    Blocked {
        reason: String,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowOpResult {
    pub target: WorkflowRef,
    pub name: Option<String>,
    pub outcome: OpOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowOpReport {
    pub results: Vec<WorkflowOpResult>,
}

/// One file to upload: a workflow JSON, or a ZIP of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadFile {
    pub name: String,
    /// Base64 in JSON: compact over the wire and in a held approval.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

mod base64_bytes {
    use crate::domain::encoding::{base64_decode, base64_encode};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64_encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64_decode(&text).ok_or_else(|| D::Error::custom("file bytes are not valid base64"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    pub env: String,
    pub files: Vec<UploadFile>,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAccepted {
    /// The file (for a ZIP: `archive.zip/inner.json`).
    pub file: String,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRejected {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReport {
    pub env: String,
    /// The policy's ruling: `Done` when the upload ran.
    pub outcome: OpOutcome,
    pub accepted: Vec<UploadAccepted>,
    pub rejected: Vec<UploadRejected>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadRequest {
    pub targets: Vec<WorkflowRef>,
}

/// A ZIP of the workflows as n8n returned them, one `<env>/<name>.json` each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadResult {
    pub file_name: String,
    pub zip: Vec<u8>,
    pub workflows: usize,
}

/// A soft-deleted workflow kept in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashedWorkflow {
    pub id: i64,
    pub env: String,
    pub workflow_id: String,
    pub name: String,
    pub deleted_at: Time,
    pub deleted_by: String,
}

// ---- approvals ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Rejected,
    /// Approved, and running the action failed.
    Failed,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApprovalQuery {
    pub state: Option<ApprovalState>,
    pub env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: i64,
    pub env: String,
    /// What will run once granted.
    pub request: HeldRequest,
    pub summary: String,
    pub requested_by: String,
    pub requested_at: Time,
    pub state: ApprovalState,
    pub decided_by: Option<String>,
    pub decided_at: Option<Time>,
    pub note: Option<String>,
    /// What running a held workflow operation or restore did.
    pub result: Option<WorkflowOpReport>,
    /// What running a held upload did.
    #[serde(default)]
    pub upload_result: Option<UploadReport>,
}

/// What an approval holds: the request that runs when someone grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "held", rename_all = "snake_case")]
pub enum HeldRequest {
    WorkflowOp(WorkflowOpRequest),
    Upload(UploadRequest),
    /// A restore from the trash; the workflow's id and name as it was trashed.
    Restore {
        trash_id: i64,
        workflow_id: String,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalDecision {
    pub id: i64,
    pub approve: bool,
    pub note: Option<String>,
    /// The requester grants their own request, where the class's policy permits it.
    pub self_approve: bool,
}

// ---- executions ----

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionsQuery {
    /// Environments to poll; empty means all.
    pub envs: Vec<String>,
    /// Per environment, the newest execution id already seen: only newer ones come back.
    pub after: std::collections::BTreeMap<String, String>,
    /// Most executions per environment on a first poll (no cursor); a poll with a
    /// cursor catches up on everything newer, up to a cap (see `gaps`).
    pub limit: usize,
    pub status: Option<String>,
    pub workflow_id: Option<String>,
    /// Per environment, executions the caller holds as unfinished (running,
    /// waiting, new), id -> status: the page carries those whose status changed,
    /// so a long run is updated when it ends.
    #[serde(default)]
    pub unfinished: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionView {
    pub env: String,
    pub id: String,
    pub workflow_id: Option<String>,
    pub workflow_name: Option<String>,
    pub status: String,
    pub mode: Option<String>,
    pub started_at: Option<Time>,
    pub stopped_at: Option<Time>,
    pub retry_of: Option<String>,
}

/// Newest first across environments, with the cursors for the next poll and the
/// environments that could not be polled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionsPage {
    /// New executions, running ones, and held ones whose status changed.
    pub executions: Vec<ExecutionView>,
    pub cursors: std::collections::BTreeMap<String, String>,
    pub errors: Vec<EnvProblem>,
    /// Bursts too large to catch up on in one poll: older executions left out.
    #[serde(default)]
    pub gaps: Vec<ExecutionGap>,
    /// Executions the caller held as unfinished that n8n no longer has.
    #[serde(default)]
    pub gone: Vec<ExecutionRef>,
}

/// Executions of `env` after id `after` up to and including `until` that a poll
/// left out, the burst being larger than it catches up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionGap {
    pub env: String,
    pub after: String,
    pub until: String,
    /// How many at most, when ids are numbers (some ids may be running, deleted
    /// or filtered out).
    pub at_most: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvProblem {
    pub env: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionRef {
    pub env: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionDetail {
    pub execution: ExecutionView,
    pub failing_node: Option<String>,
    pub error_message: Option<String>,
    /// Nodes that ran, in order, with their status.
    pub nodes: Vec<ExecutionNodeRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionNodeRun {
    pub node: String,
    pub status: String,
    pub duration_ms: Option<i64>,
    pub items: Option<i64>,
}
