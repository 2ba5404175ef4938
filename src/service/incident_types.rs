//! Request and result types of the incident operations.

use super::canonical_types::DriftSummary;
use super::types::Time;
use crate::domain::diff::Risk;
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{
    EventKind, IncidentKind, IncidentPolicy, IncidentState, Severity, StatsRow,
};
use crate::store::incidents::DeliveryStatus;
use serde::{Deserialize, Serialize};

/// One incident as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: i64,
    pub env: String,
    pub kind: IncidentKind,
    /// The workflow's name; None for a whole-environment executions incident.
    pub workflow: Option<String>,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    pub severity: Severity,
    /// Set by hand (the drift no longer changes it).
    pub severity_manual: bool,
    pub state: IncidentState,
    pub opened_at: Time,
    /// When its SLA ends (TTL of its severity from its last start).
    pub sla_deadline: Time,
    /// Past its SLA at least once.
    pub breached: bool,
    pub escalations: i64,
    pub assignee: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Time>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<Time>,
    pub resolution: Option<String>,
    /// DRIFTED, MISSING or UNTRACKED (drift incidents).
    pub drift_status: Option<DriftStatus>,
    pub risk: Option<Risk>,
    /// What changed at the last observation (drift incidents).
    pub summary: Option<DriftSummary>,
    /// For an executions incident: what failed, in words.
    pub failures: Option<String>,
    pub updated_at: Time,
    /// The environment's class; None when the environment is gone (treat it as
    /// production: confirm with its name).
    pub env_class: Option<EnvClass>,
    /// What may be done to it now, as the service rules (faces offer only these).
    pub offered: Offered,
}

/// The changes an incident accepts in its current state (and kind, and status).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offered {
    pub acknowledge: bool,
    pub resolve: bool,
    pub note: bool,
    pub assign: bool,
    pub severity: bool,
    /// A drift incident with a canonical version to go back to (DRIFTED, MISSING).
    pub revert: bool,
    /// A drift incident whose live state can become canonical.
    pub accept: bool,
    /// A promotion of the fix: a pipeline stage leads into its environment.
    pub promote: bool,
    /// The canonical against the live version (drift incidents).
    pub diff: bool,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentEventView {
    pub at: Time,
    pub actor: String,
    pub kind: EventKind,
    /// A note (multi-line), a resolution, or what happened in words.
    pub text: Option<String>,
    /// The drift at a change (opened, changed).
    pub summary: Option<DriftSummary>,
    /// The job (revert) or commit (accept) of a remediation.
    pub reference: Option<String>,
}

/// One notification sent (or to be sent) about an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// opened, escalated, breached, resolved.
    pub event: String,
    /// The webhook's name.
    pub target: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Time,
    pub delivered_at: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub incident: IncidentView,
    /// Oldest first; notes are the `note` entries.
    pub timeline: Vec<IncidentEventView>,
    pub deliveries: Vec<DeliveryView>,
}

/// Which incidents to list: without states, the open ones (OPEN and ACKNOWLEDGED).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentQuery {
    pub states: Vec<IncidentState>,
    pub severities: Vec<Severity>,
    pub env: Option<String>,
    /// Case-insensitive: in the workflow name, environment or assignee.
    pub text: Option<String>,
    /// Every state, resolved ones included (`states` is then ignored).
    pub all: bool,
    pub limit: Option<usize>,
}

/// Acknowledge, resolve, note, assign: who does it comes from the service's actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub id: i64,
    pub change: IncidentChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentChange {
    /// OPEN -> ACKNOWLEDGED, with an optional note.
    Acknowledge { note: Option<String> },
    /// -> RESOLVED; the note is required (it says how).
    Resolve { note: String },
    /// A note on the timeline (multi-line); counts as activity.
    Note { text: String },
    /// None unassigns.
    Assign { user: Option<String> },
    /// Sets the severity by hand (the SLA restarts at the new level).
    Severity { severity: Severity },
}

/// Where the fix of an incident would be promoted from: the pipeline stage into the
/// incident's environment, and the workflow to mark. Changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixPromotion {
    pub pipeline: Option<String>,
    /// The stage's source (None when no pipeline leads into the environment).
    pub from: Option<String>,
    pub to: String,
    /// The workflow's name (what the wizard marks).
    pub workflows: Vec<String>,
}

/// The period of the metrics: the last `days` days up to now by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentStatsQuery {
    pub from: Option<Time>,
    pub to: Option<Time>,
    pub env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentStats {
    pub from: Time,
    pub to: Time,
    /// Per environment and severity (worst first); MTTA and MTTR in milliseconds.
    pub rows: Vec<StatsRow>,
    /// Every environment together, per severity.
    pub totals: Vec<StatsRow>,
}

/// The policy in force, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPolicyView {
    pub policy: IncidentPolicy,
    /// The policy as TOML (what the editor shows).
    pub toml: String,
    /// "config", or "store" when edited from the TUI.
    pub source: String,
    pub updated_by: Option<String>,
    pub updated_at: Option<Time>,
    /// Whether this actor may edit it (`incidents.admins`).
    pub editable: bool,
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    pub escalated: usize,
    pub reopened: usize,
    /// Executions incidents opened (or changed) and resolved by the failure thresholds.
    pub failures_opened: usize,
    pub failures_resolved: usize,
    /// Resolved incidents and drift checks removed by retention.
    pub purged_incidents: u64,
    pub purged_checks: u64,
    pub delivered: usize,
    pub delivery_failures: usize,
    /// What the sweep could not do, each naming the incident or environment (empty
    /// when it all went through).
    #[serde(default)]
    pub failures: Vec<String>,
}

/// What a remediation started or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRemediated {
    pub incident: IncidentView,
    /// The restore job of a revert (its result is a `RestoreReport`; the incident
    /// resolves when it succeeds).
    pub job_id: Option<String>,
    /// The canonical-state commit of an accept.
    pub commit: Option<String>,
}
