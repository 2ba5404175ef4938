//! Requests and results of pipelines, promotion preflights and the credentials matrix.

use super::types::Time;
use crate::domain::credential_map::CredentialResolution;
use crate::domain::diff::WorkflowDiff;
use crate::domain::pipeline::{GateResult, Pipeline, Stage};
use crate::domain::promotion::Plan;
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
