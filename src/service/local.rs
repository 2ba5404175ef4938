//! `LocalOps`: the operations run in this process, over the store and n8n clients.

use super::Secret;
use super::events::{EventBus, EventStream};
use super::jobs::Jobs;
use super::ops::Ops;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::config::Config;
use crate::n8n::{ClientOptions, N8nClient};
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::{Store, environments};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What `LocalOps` needs besides the store: who acts, and how to talk to n8n.
#[derive(Debug, Clone)]
pub struct Settings {
    pub actor: String,
    pub client: ClientOptions,
    pub sync_concurrency: usize,
    pub executions_limit: usize,
    /// What workflow operations may do in each environment class.
    pub policy: crate::domain::policy::Policy,
    /// Refuse every operation that changes an instance or the store (`--readonly`).
    pub readonly: bool,
    /// The canonical state's repository; `git.path` must be set before Git is used
    /// (faces set it to `canonical.git` in the data dir when the config does not).
    pub git: crate::config::GitConfig,
    /// Scheduled drift checks.
    pub drift: crate::config::DriftConfig,
    /// Promotion pipelines from the config (the store may hold more).
    pub pipelines: Vec<crate::domain::pipeline::Pipeline>,
    /// Incidents: the config's policy (the store may override it), webhooks, admins.
    pub incidents: crate::config::IncidentsConfig,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        let actor = config
            .actor
            .clone()
            .or_else(|| {
                ["USER", "LOGNAME"]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            })
            .unwrap_or_else(|| "local".into());
        let client = ClientOptions {
            timeout: Duration::from_secs(config.n8n.timeout_secs),
            connect_timeout: Duration::from_secs(config.n8n.connect_timeout_secs),
            max_concurrency: config.n8n.max_concurrency,
            max_concurrent_writes: config.n8n.max_concurrent_writes,
            max_retries: config.n8n.max_retries,
            ..ClientOptions::default()
        };
        Settings {
            actor,
            client,
            sync_concurrency: config.sync.concurrency,
            executions_limit: config.sync.executions_limit,
            policy: config.policy,
            readonly: false,
            git: config.git.clone(),
            drift: config.drift.clone(),
            pipelines: config.pipelines.clone(),
            incidents: config.incidents.clone(),
        }
    }
}

#[derive(Clone)]
pub struct LocalOps {
    pub(super) store: Store,
    pub(super) settings: Settings,
    pub(super) bus: EventBus,
    pub(super) jobs: Jobs,
    /// One sync at a time per environment (by id), so two cannot interleave.
    sync_locks: Arc<std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
    /// n8n clients by environment id, so connections are reused between calls.
    clients: Arc<std::sync::Mutex<HashMap<i64, CachedClient>>>,
    /// The notification dispatcher's wake-up and send lock (see notify.rs): one per
    /// service, shared by its clones, so two services in one process never couple.
    pub(super) notifier: Arc<super::notify::Notifier>,
}

/// A client and the environment row it was built for: `updated_at` changes with
/// any change of URL or key, so a row that differs means the client is stale.
struct CachedClient {
    updated_at: i64,
    name: String,
    base_url: String,
    client: N8nClient,
}

impl CachedClient {
    fn fits(&self, env: &environments::EnvRow) -> bool {
        self.updated_at == env.updated_at && self.name == env.name && self.base_url == env.base_url
    }
}

impl LocalOps {
    /// Jobs a previous process left running are marked interrupted, and what their
    /// syncs had written but not referenced is collected.
    pub async fn new(store: Store, settings: Settings) -> OpsResult<LocalOps> {
        let mut conn = store.conn().await?;
        // Jobs of other live n8nops processes go on; those of dead ones stopped.
        crate::store::jobs::mark_interrupted(&mut conn, crate::store::now_ms(), runner_gone)
            .await?;
        let collected = crate::store::bodies::release_stale(&mut conn).await?;
        if collected > 0 {
            tracing::info!(
                collected,
                "collected workflow bodies left by an interrupted sync"
            );
        }
        drop(conn);
        let bus = EventBus::default();
        let jobs = Jobs::new(store.clone(), bus.clone());
        Ok(LocalOps {
            store,
            settings,
            bus,
            jobs,
            sync_locks: Arc::default(),
            clients: Arc::default(),
            notifier: Arc::default(),
        })
    }

    /// Refuses `what` when this service runs read-only.
    fn writable(&self, what: &str) -> OpsResult<()> {
        if self.settings.readonly {
            return Err(OpsError::new(
                super::ErrorKind::Forbidden,
                format!("{what} is refused: n8nops runs read-only (--readonly)"),
            ));
        }
        Ok(())
    }

    /// The lock that serializes syncs of one environment.
    pub(super) fn sync_lock(&self, env_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .sync_locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(env_id).or_default().clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The n8n client of a stored environment: built once (its key opened only for
    /// the client) and reused, with its connections, until the environment changes.
    pub(super) async fn client(&self, env: &environments::EnvRow) -> OpsResult<N8nClient> {
        let cached = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&env.id)
            .filter(|c| c.fits(env))
            .map(|c| c.client.clone());
        if let Some(client) = cached {
            return Ok(client);
        }
        let mut conn = self.store.conn().await?;
        let key = environments::api_key(&mut conn, self.store.secrets(), &env.name).await?;
        drop(conn);
        let client = N8nClient::new(&env.name, &env.base_url, &key, self.settings.client.clone())?;
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A caller holding an older row must not evict the client of a newer one.
        if clients
            .get(&env.id)
            .is_none_or(|c| c.updated_at <= env.updated_at)
        {
            let entry = CachedClient {
                updated_at: env.updated_at,
                name: env.name.clone(),
                base_url: env.base_url.clone(),
                client: client.clone(),
            };
            clients.insert(env.id, entry);
        }
        Ok(client)
    }

    /// Drops the cached client of an environment that was changed or removed (its
    /// row's `updated_at` may not have moved within the same millisecond).
    pub(super) fn forget_client(&self, env_name: &str) {
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|_, c| c.name != env_name);
    }

    /// Runs a change and its audit event in one transaction. On failure the change is
    /// rolled back and the failure is audited on its own.
    pub(super) async fn audited<T, F>(
        &self,
        action: &str,
        env: Option<&str>,
        change: F,
    ) -> OpsResult<T>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, OpsResult<(T, Option<String>)>>
            + Send,
    {
        let mut tx = self.store.begin().await?;
        match change(&mut tx).await {
            Ok((value, detail)) => {
                let event = NewAuditEvent {
                    actor: &self.settings.actor,
                    action,
                    env,
                    workflow: None,
                    outcome: Outcome::Ok,
                    detail,
                };
                audit::record(&mut tx, &event).await?;
                tx.commit().await.map_err(|e| {
                    OpsError::new(super::ErrorKind::Store, format!("committing {action}: {e}"))
                })?;
                Ok(value)
            }
            Err(err) => {
                let _ = tx.rollback().await;
                self.audit_failure(action, env, &err).await;
                Err(err)
            }
        }
    }

    /// Records a failed operation; a failure to record it is logged, not raised over the
    /// original error.
    pub(super) async fn audit_failure(&self, action: &str, env: Option<&str>, err: &OpsError) {
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action,
            env,
            workflow: None,
            outcome: Outcome::Error,
            detail: Some(err.message.clone()),
        };
        let write = async {
            let mut conn = self.store.conn().await?;
            audit::record(&mut conn, &event).await
        };
        if let Err(e) = write.await {
            tracing::error!(action, error = %e, "could not write the audit event of a failed operation");
        }
    }
}

#[async_trait]
impl Ops for LocalOps {
    async fn env_add(&self, req: EnvAdd) -> OpsResult<EnvView> {
        self.writable("adding an environment")?;
        self.add_env(req).await
    }

    async fn env_update(&self, req: EnvUpdate) -> OpsResult<EnvView> {
        self.writable("editing an environment")?;
        self.update_env(req).await
    }

    async fn env_list(&self) -> OpsResult<Vec<EnvView>> {
        self.list_envs().await
    }

    async fn env_show(&self, name: String) -> OpsResult<EnvView> {
        self.show_env(&name).await
    }

    async fn env_test(&self, name: String) -> OpsResult<ConnectionTest> {
        self.test_env(&name).await
    }

    async fn env_remove(&self, name: String) -> OpsResult<()> {
        self.writable("removing an environment")?;
        self.remove_env(&name).await
    }

    async fn env_inventory(&self, name: String) -> OpsResult<EnvInventory> {
        self.inventory(&name).await
    }

    async fn sync(&self, req: SyncRequest) -> OpsResult<JobStarted> {
        self.writable("a sync")?;
        self.start_sync(req).await
    }

    async fn workflows_list(&self, query: WorkflowQuery) -> OpsResult<Vec<WorkflowSummary>> {
        self.list_workflows(&query).await
    }

    async fn workflow_get(&self, workflow: WorkflowRef) -> OpsResult<WorkflowDetail> {
        self.get_workflow(&workflow).await
    }

    async fn workflows_resolve(
        &self,
        env: String,
        given: Vec<String>,
    ) -> OpsResult<Vec<WorkflowRef>> {
        self.resolve_workflows(&env, &given).await
    }

    async fn workflow_op(&self, req: WorkflowOpRequest) -> OpsResult<WorkflowOpReport> {
        self.writable("a workflow operation")?;
        self.run_workflow_op(req).await
    }

    async fn workflows_upload(&self, req: UploadRequest) -> OpsResult<UploadReport> {
        self.writable("an upload")?;
        self.upload_workflows(req).await
    }

    async fn workflows_download(&self, req: DownloadRequest) -> OpsResult<DownloadResult> {
        self.download_workflows(req).await
    }

    async fn trash_list(&self, env: Option<String>) -> OpsResult<Vec<TrashedWorkflow>> {
        self.list_trash(env.as_deref()).await
    }

    async fn trash_restore(&self, id: i64, confirmed: bool) -> OpsResult<WorkflowOpResult> {
        self.writable("a restore from the trash")?;
        self.restore_from_trash(id, confirmed).await
    }

    async fn approvals_list(&self, query: ApprovalQuery) -> OpsResult<Vec<ApprovalView>> {
        self.list_approvals(&query).await
    }

    async fn approval_decide(&self, decision: ApprovalDecision) -> OpsResult<ApprovalView> {
        self.writable("deciding an approval")?;
        self.decide_approval(decision).await
    }

    async fn executions_poll(&self, query: ExecutionsQuery) -> OpsResult<ExecutionsPage> {
        self.poll_executions(query).await
    }

    async fn execution_get(&self, execution: ExecutionRef) -> OpsResult<ExecutionDetail> {
        self.get_execution(&execution).await
    }

    async fn execution_retry(&self, execution: ExecutionRef) -> OpsResult<ExecutionView> {
        self.writable("retrying an execution")?;
        self.retry_execution(&execution).await
    }

    async fn diff(&self, req: DiffRequest) -> OpsResult<DiffReport> {
        self.run_diff(req).await
    }

    async fn untracked_list(&self, env: Option<String>) -> OpsResult<Vec<UntrackedWorkflow>> {
        self.list_untracked(env.as_deref()).await
    }

    async fn onboard(&self, req: OnboardRequest) -> OpsResult<JobStarted> {
        self.writable("onboarding")?;
        self.start_onboard(req).await
    }

    async fn reconcile(&self, req: ReconcileRequest) -> OpsResult<ReconcileReport> {
        if req.pull {
            self.writable("pulling the canonical state")?;
        }
        self.run_reconcile(req).await
    }

    async fn git_status(&self) -> OpsResult<GitStatus> {
        self.git_status_view().await
    }

    async fn git_push(&self) -> OpsResult<PushReport> {
        self.writable("a push")?;
        self.push_git().await
    }

    async fn git_token_set(&self, token: Option<Secret>) -> OpsResult<()> {
        self.writable("setting the Git token")?;
        self.set_git_token(token).await
    }

    async fn snapshot_create(&self, req: SnapshotCreate) -> OpsResult<JobStarted> {
        self.writable("a snapshot")?;
        self.start_snapshot(req).await
    }

    async fn snapshot_list(&self, env: Option<String>) -> OpsResult<Vec<SnapshotView>> {
        self.list_snapshots(env.as_deref()).await
    }

    async fn snapshot_show(&self, id: String) -> OpsResult<SnapshotDetail> {
        self.show_snapshot(&id).await
    }

    async fn snapshot_diff(&self, a: String, b: String) -> OpsResult<SnapshotDiff> {
        self.diff_snapshots(&a, &b).await
    }

    async fn backup(&self, req: BackupRequest) -> OpsResult<JobStarted> {
        self.writable("a backup")?;
        self.start_backup(req).await
    }

    async fn restore_plan(&self, req: RestoreRequest) -> OpsResult<RestorePlan> {
        // The preview fetches the environment into the store first.
        self.writable("a restore preview")?;
        self.plan_restore(req).await
    }

    async fn restore(&self, req: RestoreRequest) -> OpsResult<JobStarted> {
        self.writable("a restore")?;
        self.start_restore(req).await
    }

    async fn drift_check(&self, req: DriftCheckRequest) -> OpsResult<JobStarted> {
        self.writable("a drift check")?;
        self.start_drift_check(req).await
    }

    async fn drift_latest(&self, env: Option<String>) -> OpsResult<Vec<EnvDrift>> {
        self.latest_drift(env.as_deref()).await
    }

    async fn pipelines_list(&self) -> OpsResult<Vec<PipelineView>> {
        self.list_pipelines().await
    }

    async fn pipeline_show(&self, name: String) -> OpsResult<PipelineView> {
        self.show_pipeline(&name).await
    }

    async fn pipeline_put(
        &self,
        pipeline: crate::domain::pipeline::Pipeline,
    ) -> OpsResult<PipelineView> {
        self.writable("saving a pipeline")?;
        self.put_pipeline(pipeline).await
    }

    async fn pipeline_delete(&self, name: String) -> OpsResult<()> {
        self.writable("deleting a pipeline")?;
        self.delete_pipeline(&name).await
    }

    async fn promotion_preflight(&self, req: PromoteRequest) -> OpsResult<Preflight> {
        self.preflight(req).await
    }

    async fn promote(&self, req: DeploymentCreate) -> OpsResult<DeploymentCreated> {
        self.writable("promoting")?;
        self.create_deployment(req).await
    }

    async fn deployments_list(&self, query: DeploymentQuery) -> OpsResult<Vec<DeploymentView>> {
        self.list_deployments(&query).await
    }

    async fn deployment_show(&self, id: String) -> OpsResult<DeploymentDetail> {
        self.show_deployment(&id).await
    }

    async fn deployment_decide(
        &self,
        decision: DeploymentDecision,
    ) -> OpsResult<DeploymentDecided> {
        self.writable("deciding on a deployment")?;
        self.decide_deployment(decision).await
    }

    async fn deployment_cancel(&self, id: String) -> OpsResult<DeploymentView> {
        self.writable("cancelling a deployment")?;
        self.cancel_deployment(&id).await
    }

    async fn deployment_replan(&self, id: String) -> OpsResult<DeploymentCreated> {
        self.writable("replanning a deployment")?;
        self.replan_deployment(&id).await
    }

    async fn deployment_rollback(&self, id: String) -> OpsResult<DeploymentStarted> {
        self.writable("rolling a deployment back")?;
        self.rollback_deployment(&id).await
    }

    async fn deployments_recover(&self) -> OpsResult<Vec<DeploymentStarted>> {
        self.writable("recovering interrupted deployments")?;
        self.recover_deployments().await
    }

    async fn deployments_run_due(&self) -> OpsResult<Vec<DeploymentStarted>> {
        self.writable("running scheduled deployments")?;
        self.run_due_deployments().await
    }

    async fn credentials_matrix(&self) -> OpsResult<CredentialsMatrix> {
        self.build_credentials_matrix().await
    }

    async fn incidents_list(&self, query: IncidentQuery) -> OpsResult<Vec<IncidentView>> {
        self.list_incidents(&query).await
    }

    async fn incident_show(&self, id: i64) -> OpsResult<IncidentDetail> {
        self.show_incident(id).await
    }

    async fn incident_update(&self, req: IncidentUpdate) -> OpsResult<IncidentView> {
        self.writable("changing an incident")?;
        self.update_incident(req).await
    }

    async fn incident_revert(&self, id: i64, confirmed: bool) -> OpsResult<IncidentRemediated> {
        self.writable("reverting an incident")?;
        self.revert_incident(id, confirmed).await
    }

    async fn incident_accept(&self, id: i64) -> OpsResult<IncidentRemediated> {
        self.writable("accepting an incident's change")?;
        self.accept_incident(id).await
    }

    async fn incident_diff(&self, id: i64) -> OpsResult<DiffRequest> {
        self.diff_of_incident(id).await
    }

    async fn incident_fix_promotion(&self, id: i64) -> OpsResult<FixPromotion> {
        self.fix_promotion_of(id).await
    }

    async fn incidents_stats(&self, query: IncidentStatsQuery) -> OpsResult<IncidentStats> {
        self.incident_stats(&query).await
    }

    async fn incident_policy(&self) -> OpsResult<IncidentPolicyView> {
        self.policy_view().await
    }

    async fn incident_policy_put(&self, toml: Option<String>) -> OpsResult<IncidentPolicyView> {
        self.writable("editing the incident policy")?;
        self.put_policy(toml).await
    }

    async fn incidents_sweep(&self) -> OpsResult<SweepReport> {
        self.writable("an incident sweep")?;
        self.sweep_incidents().await
    }

    async fn jobs_list(&self, query: JobQuery) -> OpsResult<Vec<JobView>> {
        self.list_jobs(&query).await
    }

    async fn job_get(&self, id: String) -> OpsResult<JobDetail> {
        self.get_job(&id).await
    }

    async fn audit_list(&self, query: AuditQuery) -> OpsResult<Vec<AuditEntry>> {
        self.list_audit(&query).await
    }

    fn subscribe(&self) -> EventStream {
        self.bus.subscribe()
    }
}

/// Whether the process recorded as a job's runner is gone: one of this host that no
/// longer runs, or none recorded (a job from before runners were recorded).
fn runner_gone(runner: Option<&str>) -> bool {
    match runner.map(serde_json::from_str::<crate::git::LockInfo>) {
        None | Some(Err(_)) => true,
        Some(Ok(info)) => info.is_dead_here(),
    }
}

#[cfg(test)]
mod runner_tests {
    use super::runner_gone;
    use crate::git::LockInfo;

    #[test]
    fn only_a_job_whose_process_is_gone_counts_as_interrupted() {
        let ours = serde_json::to_string(&LockInfo::ours()).unwrap();
        assert!(!runner_gone(Some(&ours)), "this process runs");
        let mut dead = LockInfo::ours();
        dead.pid = 4_000_000;
        assert!(runner_gone(Some(&serde_json::to_string(&dead).unwrap())));
        let mut elsewhere = LockInfo::ours();
        elsewhere.host = "another-host".into();
        elsewhere.pid = 4_000_000;
        assert!(
            !runner_gone(Some(&serde_json::to_string(&elsewhere).unwrap())),
            "a process elsewhere cannot be checked: left alone"
        );
        assert!(runner_gone(None));
        assert!(runner_gone(Some("not json")));
    }
}
