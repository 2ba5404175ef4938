//! Requests and results of pipelines, promotion preflights and the credentials matrix.

use super::types::{RestoreReport, Time};
use crate::domain::credential_map::CredentialResolution;
use crate::domain::deployment::{ApprovalStatus, DeploymentState};
use crate::domain::diff::{DiffStatus, WorkflowDiff};
use crate::domain::pipeline::{GateResult, Pipeline, Stage};
use crate::domain::promotion::{Plan, PlanAction, PlanSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a pipeline is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineSource {
    /// The config file (read-only from n8nops).
    Config,
    /// The store (created or edited in n8nops).
    Store,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineView {
    pub pipeline: Pipeline,
    pub source: PipelineSource,
    pub updated_by: Option<String>,
    pub updated_at: Option<Time>,
}

/// What to promote: a pipeline's stage (or a source and target) and workflows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoteRequest {
    pub pipeline: Option<String>,
    pub from: String,
    pub to: String,
    /// Names or canonical ids; empty means everything that differs.
    pub workflows: Vec<String>,
    /// Workflows whose TARGET_HOTFIX may be overwritten (an explicit, recorded choice).
    pub hotfix_overrides: Vec<String>,
    /// Drifted target workflows the requester acknowledged (for the drift gate).
    pub acknowledged_drift: Vec<String>,
    /// Delete target workflows the source no longer has.
    pub delete_missing: bool,
    /// Credential mappings for this promotion, over the stage's table: `"type:name"` or
    /// `"name"` of a source credential -> the target credential's name.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
}

/// Everything a person needs before promoting: the plan, the gates, the credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preflight {
    pub plan: Plan,
    /// The pipeline stage, when the request named a pipeline.
    pub stage: Option<Stage>,
    pub gates: Vec<GateResult>,
    /// Per workflow that writes: how each credential it uses maps to the target.
    pub credentials: BTreeMap<String, Vec<CredentialResolution>>,
    /// What the target class's policy says of a promotion into it.
    pub policy: Vec<String>,
    /// Per workflow that writes: what changes in the target.
    pub diffs: BTreeMap<String, WorkflowDiff>,
    /// What the preflight was computed from and what it could not judge (the synced
    /// state it read, a target never checked for drift, a validation not run).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Start a promotion: fetch both environments, plan, record a deployment and, when no
/// approval is needed and it is not scheduled, run it at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentCreate {
    pub request: PromoteRequest,
    /// Run at this time (through the gates again then); None: as soon as approved.
    pub scheduled_for: Option<Time>,
    /// Why, for the audit log and the deployment's record.
    pub note: Option<String>,
    /// The hash of the plan the person reviewed: when the plan made from the fresh
    /// fetch differs, nothing is recorded and the promotion is refused (review again).
    #[serde(default)]
    pub reviewed_hash: Option<String>,
    /// The incident this promotion fixes: its timeline records the deployment.
    #[serde(default)]
    pub incident: Option<i64>,
}

/// A deployment just recorded (or replanned): its view, the preflight it was planned
/// from and the job running it, when it started at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentCreated {
    pub deployment: DeploymentView,
    pub preflight: Preflight,
    pub job_id: Option<String>,
}

/// Which deployments to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentQuery {
    pub pipeline: Option<String>,
    /// From or to this environment.
    pub env: Option<String>,
    pub state: Option<DeploymentState>,
    pub requested_by: Option<String>,
    /// Requested at or after.
    pub since: Option<Time>,
    /// Requested before.
    pub until: Option<Time>,
    pub limit: Option<usize>,
}

/// One deployment, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentView {
    pub id: String,
    pub pipeline: Option<String>,
    /// "from -> to" of the pipeline stage, when it runs through one.
    pub stage: Option<String>,
    pub source_env: String,
    pub target_env: String,
    pub state: DeploymentState,
    pub requested_by: String,
    pub requested_at: Time,
    pub scheduled_for: Option<Time>,
    pub plan_hash: String,
    /// Counts of the plan's actions and statuses.
    pub summary: PlanSummary,
    /// The target's automatic snapshot, once taken.
    pub snapshot: Option<String>,
    pub job_id: Option<String>,
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
    pub error: Option<String>,
    /// The deployment this one rolls back.
    pub rollback_of: Option<String>,
    /// Where its approvals stand against the current plan (required 0 when none are).
    pub approvals: ApprovalStatus,
}

/// What running a deployment did to one workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Written and verified by fingerprint (a delete: gone).
    Ok,
    /// Writing or verifying it failed (its error says which).
    Failed,
    /// Written, then undone by the rollback.
    RolledBack,
    /// Not written: the deployment stopped before it, or the plan skips it.
    NotRun,
}

impl ItemOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Ok => "ok",
            ItemOutcome::Failed => "failed",
            ItemOutcome::RolledBack => "rolled_back",
            ItemOutcome::NotRun => "not_run",
        }
    }

    pub fn parse(text: &str) -> Option<ItemOutcome> {
        [
            ItemOutcome::Ok,
            ItemOutcome::Failed,
            ItemOutcome::RolledBack,
            ItemOutcome::NotRun,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// One workflow of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentItemView {
    pub pos: i64,
    pub name: String,
    pub canonical_id: Option<String>,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    pub action: PlanAction,
    pub status: DiffStatus,
    pub outcome: Option<ItemOutcome>,
    pub error: Option<String>,
    /// The diff applied (target -> source), for workflows that write.
    pub diff: Option<WorkflowDiff>,
}

/// One decision on a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentDecisionView {
    pub actor: String,
    pub approve: bool,
    /// The plan it was given on; `stale` when that is not the current plan.
    pub plan_hash: String,
    pub stale: bool,
    pub decided_at: Time,
    pub note: Option<String>,
}

/// A deployment with everything it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentDetail {
    pub deployment: DeploymentView,
    /// What was asked (workflows, overrides, acknowledgements).
    pub request: PromoteRequest,
    pub plan: Plan,
    pub items: Vec<DeploymentItemView>,
    pub decisions: Vec<DeploymentDecisionView>,
    /// The canonical-state commit recording what it deployed, once completed.
    pub commit: Option<String>,
}

/// Approve or reject a deployment's current plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentDecision {
    pub id: String,
    pub approve: bool,
    pub note: Option<String>,
}

/// A deployment after a decision, with the job running it when the decision approved
/// it and it was not scheduled for later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentDecided {
    pub deployment: DeploymentView,
    pub job_id: Option<String>,
}

/// A deployment whose job started (a run, a rollback, a recovery).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStarted {
    pub deployment_id: String,
    pub job_id: String,
}

/// What a deployment's job reports as its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionReport {
    pub deployment_id: String,
    pub state: DeploymentState,
    pub source_env: String,
    pub target_env: String,
    /// The target's automatic snapshot taken before the first write.
    pub snapshot: Option<String>,
    /// The canonical-state commit recording what was deployed (completed only).
    pub commit: Option<String>,
    pub items: Vec<DeploymentItemView>,
    /// The rollback to the snapshot, when one ran.
    pub rollback: Option<RestoreReport>,
}
