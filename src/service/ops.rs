//! `Ops`: every user-visible operation, one async method each. Faces (CLI, TUI, HTTP
//! server) call only this. Requests and results are serde types and nothing assumes
//! the caller shares a process with the implementation.

use super::OpsResult;
use super::Secret;
use super::events::EventStream;
use super::types::*;
use async_trait::async_trait;

#[async_trait]
pub trait Ops: Send + Sync {
    // ---- environments ----
    async fn env_add(&self, req: EnvAdd) -> OpsResult<EnvView>;
    async fn env_update(&self, req: EnvUpdate) -> OpsResult<EnvView>;
    async fn env_list(&self) -> OpsResult<Vec<EnvView>>;
    async fn env_show(&self, name: String) -> OpsResult<EnvView>;
    /// Reachability, key, version, API generation and latency. A failed test is a
    /// result (`ok: false` with the problem), not an error.
    async fn env_test(&self, name: String) -> OpsResult<ConnectionTest>;
    async fn env_remove(&self, name: String) -> OpsResult<()>;
    async fn env_inventory(&self, name: String) -> OpsResult<EnvInventory>;

    // ---- sync ----
    /// Starts a sync job; its result is a `SyncReport`.
    async fn sync(&self, req: SyncRequest) -> OpsResult<JobStarted>;

    // ---- workflows ----
    async fn workflows_list(&self, query: WorkflowQuery) -> OpsResult<Vec<WorkflowSummary>>;
    async fn workflow_get(&self, workflow: WorkflowRef) -> OpsResult<WorkflowDetail>;
    /// Workflows of `env` named by id or exact name (as people type them).
    async fn workflows_resolve(
        &self,
        env: String,
        given: Vec<String>,
    ) -> OpsResult<Vec<WorkflowRef>>;

    /// Activate, deactivate, delete or tag workflows, each checked against its
    /// environment class's policy. Per-target outcomes; only a store failure is an error.
    async fn workflow_op(&self, req: WorkflowOpRequest) -> OpsResult<WorkflowOpReport>;
    /// Creates workflows from JSON files or ZIPs of them; each rejected file gets its reason.
    async fn workflows_upload(&self, req: UploadRequest) -> OpsResult<UploadReport>;
    async fn workflows_download(&self, req: DownloadRequest) -> OpsResult<DownloadResult>;
    /// Soft-deleted workflows, newest first.
    async fn trash_list(&self, env: Option<String>) -> OpsResult<Vec<TrashedWorkflow>>;
    /// Re-creates a soft-deleted workflow in its environment (ruled like an upload).
    async fn trash_restore(&self, id: i64, confirmed: bool) -> OpsResult<WorkflowOpResult>;

    // ---- approvals ----
    async fn approvals_list(&self, query: ApprovalQuery) -> OpsResult<Vec<ApprovalView>>;
    /// Grants (and runs) or rejects a pending approval.
    async fn approval_decide(&self, decision: ApprovalDecision) -> OpsResult<ApprovalView>;

    // ---- executions ----
    /// Executions newer than the query's cursors, polled from each environment live.
    async fn executions_poll(&self, query: ExecutionsQuery) -> OpsResult<ExecutionsPage>;
    async fn execution_get(&self, execution: ExecutionRef) -> OpsResult<ExecutionDetail>;
    async fn execution_retry(&self, execution: ExecutionRef) -> OpsResult<ExecutionView>;

    // ---- diff ----
    async fn diff(&self, req: DiffRequest) -> OpsResult<DiffReport>;

    // ---- canonical state (Git) ----
    /// Live workflows (as last synced) the canonical state does not know.
    async fn untracked_list(&self, env: Option<String>) -> OpsResult<Vec<UntrackedWorkflow>>;
    /// Starts an onboarding job; its result is an `OnboardReport`.
    async fn onboard(&self, req: OnboardRequest) -> OpsResult<JobStarted>;
    /// Where Git, the recorded mappings and the live environments disagree.
    async fn reconcile(&self, req: ReconcileRequest) -> OpsResult<ReconcileReport>;
    async fn git_status(&self) -> OpsResult<GitStatus>;
    /// Pushes the branch and snapshot tags to every remote.
    async fn git_push(&self) -> OpsResult<PushReport>;
    /// Keeps (sealed) or forgets the token used for https remotes.
    async fn git_token_set(&self, token: Option<Secret>) -> OpsResult<()>;

    // ---- snapshots and restore ----
    /// Starts a job that fetches the environment and commits its complete state as a
    /// snapshot; its result is a `SnapshotView`.
    async fn snapshot_create(&self, req: SnapshotCreate) -> OpsResult<JobStarted>;
    /// Newest first.
    async fn snapshot_list(&self, env: Option<String>) -> OpsResult<Vec<SnapshotView>>;
    async fn snapshot_show(&self, id: String) -> OpsResult<SnapshotDetail>;
    async fn snapshot_diff(&self, a: String, b: String) -> OpsResult<SnapshotDiff>;
    /// Starts a job snapshotting each environment; its result is a `BackupReport`.
    async fn backup(&self, req: BackupRequest) -> OpsResult<JobStarted>;
    /// What a restore would do (fetches the environment first).
    async fn restore_plan(&self, req: RestoreRequest) -> OpsResult<RestorePlan>;
    /// Starts a restore job (needs `confirmed`); its result is a `RestoreReport`.
    async fn restore(&self, req: RestoreRequest) -> OpsResult<JobStarted>;

    // ---- drift ----
    /// Starts a drift check job; its result is a `DriftReport`.
    async fn drift_check(&self, req: DriftCheckRequest) -> OpsResult<JobStarted>;
    /// The latest stored check of each environment (or the one named).
    async fn drift_latest(&self, env: Option<String>) -> OpsResult<Vec<EnvDrift>>;

    // ---- pipelines and promotions ----
    /// Pipelines of the config and of the store, by name.
    async fn pipelines_list(&self) -> OpsResult<Vec<PipelineView>>;
    async fn pipeline_show(&self, name: String) -> OpsResult<PipelineView>;
    /// Creates or replaces a pipeline kept in the store (config ones cannot be).
    async fn pipeline_put(
        &self,
        pipeline: crate::domain::pipeline::Pipeline,
    ) -> OpsResult<PipelineView>;
    async fn pipeline_delete(&self, name: String) -> OpsResult<()>;
    /// The plan, gates, credential mapping and diffs of a promotion, changing nothing.
    async fn promotion_preflight(&self, req: PromoteRequest) -> OpsResult<Preflight>;
    /// Fetches both environments, plans, records a deployment (PENDING_APPROVAL when the
    /// stage wants approvals, else APPROVED) and runs it at once when approved and not
    /// scheduled. Refused when a drift or credentials gate fails, or nothing writes.
    async fn promote(&self, req: DeploymentCreate) -> OpsResult<DeploymentCreated>;
    /// Deployments, newest first.
    async fn deployments_list(&self, query: DeploymentQuery) -> OpsResult<Vec<DeploymentView>>;
    async fn deployment_show(&self, id: String) -> OpsResult<DeploymentDetail>;
    /// Approves or rejects the current plan; the requester's own approval is refused.
    async fn deployment_decide(&self, decision: DeploymentDecision)
    -> OpsResult<DeploymentDecided>;
    /// Cancels a deployment that has not started.
    async fn deployment_cancel(&self, id: String) -> OpsResult<DeploymentView>;
    /// Fetches both sides and recomputes a pending deployment's plan (a stale one): the
    /// approvals given on the old plan no longer count.
    async fn deployment_replan(&self, id: String) -> OpsResult<DeploymentCreated>;
    /// Rolls a COMPLETED deployment back: a new deployment putting the workflows it
    /// wrote back as its snapshot holds them (and trashing those it created).
    async fn deployment_rollback(&self, id: String) -> OpsResult<DeploymentStarted>;
    /// Finds deployments a dead process left RUNNING or ROLLING_BACK and starts their
    /// rollback to the snapshot.
    async fn deployments_recover(&self) -> OpsResult<Vec<DeploymentStarted>>;
    /// Starts scheduled deployments whose time has come (through the gates again).
    async fn deployments_run_due(&self) -> OpsResult<Vec<DeploymentStarted>>;

    // ---- credentials ----
    /// Which credentials exist in which environment, and which workflows use each.
    async fn credentials_matrix(&self) -> OpsResult<CredentialsMatrix>;

    // ---- incidents ----
    /// Worst severity first, then oldest first.
    async fn incidents_list(&self, query: IncidentQuery) -> OpsResult<Vec<IncidentView>>;
    async fn incident_show(&self, id: i64) -> OpsResult<IncidentDetail>;
    /// Acknowledges, resolves, notes, assigns or sets the severity (audited).
    async fn incident_update(&self, req: IncidentUpdate) -> OpsResult<IncidentView>;
    /// Starts a restore of the incident's workflow to its canonical state (a snapshot
    /// of the environment first); the incident resolves when it succeeds. Needs
    /// `confirmed`.
    async fn incident_revert(&self, id: i64, confirmed: bool) -> OpsResult<IncidentRemediated>;
    /// Records the live workflow as canonical (a commit naming who accepted it) and
    /// resolves the incident.
    async fn incident_accept(&self, id: i64) -> OpsResult<IncidentRemediated>;
    /// The canonical version against the live one, as a request for `diff`.
    async fn incident_diff(&self, id: i64) -> OpsResult<DiffRequest>;
    /// Where a promotion of the fix would come from; changes nothing.
    async fn incident_fix_promotion(&self, id: i64) -> OpsResult<FixPromotion>;
    /// MTTA and MTTR per environment and severity over a period.
    async fn incidents_stats(&self, query: IncidentStatsQuery) -> OpsResult<IncidentStats>;
    async fn incident_policy(&self) -> OpsResult<IncidentPolicyView>;
    /// Saves the policy edited as TOML (admins only); None goes back to the config's.
    async fn incident_policy_put(&self, toml: Option<String>) -> OpsResult<IncidentPolicyView>;
    /// One sweep now: SLA clocks, failure thresholds, retention, due notifications.
    async fn incidents_sweep(&self) -> OpsResult<SweepReport>;

    // ---- jobs, audit, events ----
    async fn jobs_list(&self, query: JobQuery) -> OpsResult<Vec<JobView>>;
    async fn job_get(&self, id: String) -> OpsResult<JobDetail>;
    async fn audit_list(&self, query: AuditQuery) -> OpsResult<Vec<AuditEntry>>;
    /// Every event from now on.
    fn subscribe(&self) -> EventStream;
}
