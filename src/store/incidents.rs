//! Incidents, their timelines, the notification outbox and the stored incident policy.
//!
//! One open incident per environment, kind and workflow key: a partial unique index
//! (`WHERE state <> 'RESOLVED'`) makes a second insert a conflict. Rows change by
//! compare-and-set on `version`, so two processes never both escalate or resolve one
//! incident. Events are the timeline, oldest first. Deliveries are the outbox of
//! webhook notifications: each attempt's outcome is recorded on its row.
//!
//! Functions that write several rows should run inside a transaction.

use super::StoreError;
use crate::domain::incident::{EventKind, IncidentKind, IncidentState, Lived, Severity};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// An incident to record (state OPEN, version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIncident {
    pub env: String,
    pub kind: IncidentKind,
    /// What makes it unique among the environment's open incidents of its kind: the
    /// canonical id of a DRIFTED or MISSING workflow, `n8n:<id>` of an UNTRACKED one or
    /// of an executions incident, `*` for a whole-environment executions incident.
    pub key: String,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    /// The workflow's name (None for a whole environment).
    pub workflow: Option<String>,
    pub severity: Severity,
    pub opened_at: i64,
    pub opened_by: String,
    /// DRIFTED, MISSING, UNTRACKED (drift incidents).
    pub drift_status: Option<String>,
    /// LOW, MEDIUM, HIGH.
    pub risk: Option<String>,
    /// The live fingerprint it was raised on (drift), or the failure count as text.
    pub fingerprint: Option<String>,
    /// What changed, as JSON (the service's `DriftSummary`), or the failures.
    pub summary: Option<String>,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: i64,
    pub env: String,
    pub kind: IncidentKind,
    pub key: String,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    pub workflow: Option<String>,
    pub severity: Severity,
    /// Set by hand: the drift no longer changes it (escalation still does).
    pub severity_manual: bool,
    pub state: IncidentState,
    pub opened_at: i64,
    pub opened_by: String,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    /// The first acknowledgement ever (MTTA), kept through reopens.
    pub first_acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<String>,
    /// The resolving note.
    pub resolution: Option<String>,
    pub assignee: Option<String>,
    /// When the current TTL started: opened, or the last escalation.
    pub sla_started_at: i64,
    /// The first SLA breach.
    pub breached_at: Option<i64>,
    pub escalations: i64,
    /// When someone last acted on it (the acknowledgement timeout counts from here).
    pub last_activity_at: i64,
    pub drift_status: Option<String>,
    pub risk: Option<String>,
    pub fingerprint: Option<String>,
    pub summary: Option<String>,
    pub updated_at: i64,
    /// Bumped by every update; `update` compares it.
    pub version: i64,
}

/// A timeline entry to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    pub incident_id: i64,
    pub at: i64,
    pub actor: String,
    pub kind: EventKind,
    /// A note, a resolution, what changed in words.
    pub text: Option<String>,
    /// JSON: the drift summary at a change, the job or commit of a remediation.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub incident_id: i64,
    pub at: i64,
    pub actor: String,
    pub kind: EventKind,
    pub text: Option<String>,
    pub detail: Option<String>,
}

/// Which incidents to list. Empty lists mean any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub states: Vec<IncidentState>,
    pub severities: Vec<Severity>,
    pub env: Option<String>,
    pub kind: Option<IncidentKind>,
    /// Case-insensitive substring of the workflow name, environment or assignee.
    pub text: Option<String>,
    /// Opened at or after / before (ms).
    pub opened_from: Option<i64>,
    pub opened_to: Option<i64>,
    pub limit: Option<i64>,
}

/// A webhook notification to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDelivery {
    pub incident_id: i64,
    /// opened, escalated, breached, resolved.
    pub event: String,
    /// The webhook's name in the config.
    pub target: String,
    /// The JSON body to POST.
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not sent yet, or to be tried again at `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub incident_id: i64,
    pub event: String,
    pub target: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// The policy edited in the TUI (TOML), replacing the config's while it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub body: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// Records a new open incident; returns its id. A second open incident with the same
/// environment, kind and key is `StoreError::Conflict`.
pub async fn insert(conn: &mut AnyConnection, new: &NewIncident) -> Result<i64, StoreError> {
    let _ = (conn, new);
    todo!("store/incidents.rs: insert")
}

/// The incident `id`; `StoreError::NotFound` naming it when there is none.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<IncidentRow, StoreError> {
    let _ = (conn, id);
    todo!("store/incidents.rs: get")
}

/// The open (OPEN or ACKNOWLEDGED) incident of `env`, `kind` and `key`, if any.
pub async fn open_by_key(
    conn: &mut AnyConnection,
    env: &str,
    kind: IncidentKind,
    key: &str,
) -> Result<Option<IncidentRow>, StoreError> {
    let _ = (conn, env, kind, key);
    todo!("store/incidents.rs: open_by_key")
}

/// Every open incident (of `env` when given), oldest first.
pub async fn open(
    conn: &mut AnyConnection,
    env: Option<&str>,
) -> Result<Vec<IncidentRow>, StoreError> {
    let _ = (conn, env);
    todo!("store/incidents.rs: open")
}

/// Incidents matching `filter`, worst severity first, then oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &IncidentFilter,
) -> Result<Vec<IncidentRow>, StoreError> {
    let _ = (conn, filter);
    todo!("store/incidents.rs: list")
}

/// Writes every mutable field of `row` (all but id, env, kind, key, opened_*) if its
/// stored version is still `row.version`, and bumps the version. False when someone
/// changed it meanwhile (nothing written).
pub async fn update(conn: &mut AnyConnection, row: &IncidentRow) -> Result<bool, StoreError> {
    let _ = (conn, row);
    todo!("store/incidents.rs: update")
}

pub async fn add_event(conn: &mut AnyConnection, event: &NewEvent) -> Result<i64, StoreError> {
    let _ = (conn, event);
    todo!("store/incidents.rs: add_event")
}

/// The timeline of `incident_id`, oldest first.
pub async fn events(
    conn: &mut AnyConnection,
    incident_id: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let _ = (conn, incident_id);
    todo!("store/incidents.rs: events")
}

/// What the MTTA/MTTR maths need of the incidents opened in `[from, to)` (of `env`).
pub async fn lived(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    env: Option<&str>,
) -> Result<Vec<Lived>, StoreError> {
    let _ = (conn, from, to, env);
    todo!("store/incidents.rs: lived")
}

/// Deletes incidents resolved before `before` with their events and deliveries;
/// returns how many incidents went.
pub async fn purge_resolved(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    let _ = (conn, before);
    todo!("store/incidents.rs: purge_resolved")
}

pub async fn enqueue(conn: &mut AnyConnection, new: &NewDelivery) -> Result<i64, StoreError> {
    let _ = (conn, new);
    todo!("store/incidents.rs: enqueue")
}

/// Pending deliveries whose `next_attempt_at` has come, oldest first, at most `limit`.
pub async fn due_deliveries(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let _ = (conn, now, limit);
    todo!("store/incidents.rs: due_deliveries")
}

/// Records an attempt: its status, attempts so far, when to try again (Pending), the
/// error, and when it was delivered.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    id: i64,
    status: DeliveryStatus,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<&str>,
    delivered_at: Option<i64>,
) -> Result<(), StoreError> {
    let _ = (
        conn,
        id,
        status,
        attempts,
        next_attempt_at,
        last_error,
        delivered_at,
    );
    todo!("store/incidents.rs: record_attempt")
}

/// The deliveries of `incident_id`, oldest first.
pub async fn deliveries(
    conn: &mut AnyConnection,
    incident_id: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let _ = (conn, incident_id);
    todo!("store/incidents.rs: deliveries")
}

pub async fn policy_get(conn: &mut AnyConnection) -> Result<Option<StoredPolicy>, StoreError> {
    let _ = conn;
    todo!("store/incidents.rs: policy_get")
}

pub async fn policy_put(conn: &mut AnyConnection, policy: &StoredPolicy) -> Result<(), StoreError> {
    let _ = (conn, policy);
    todo!("store/incidents.rs: policy_put")
}

/// Forgets the stored policy: the config's applies again.
pub async fn policy_clear(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let _ = conn;
    todo!("store/incidents.rs: policy_clear")
}
