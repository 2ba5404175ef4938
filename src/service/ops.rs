//! `Ops`: every user-visible operation, one async method each. Faces (CLI, TUI, HTTP
//! server) call only this. Requests and results are serde types and nothing assumes
//! the caller shares a process with the implementation.

use super::OpsResult;
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

    // ---- jobs, audit, events ----
    async fn jobs_list(&self, query: JobQuery) -> OpsResult<Vec<JobView>>;
    async fn job_get(&self, id: String) -> OpsResult<JobDetail>;
    async fn audit_list(&self, query: AuditQuery) -> OpsResult<Vec<AuditEntry>>;
    /// Every event from now on.
    fn subscribe(&self) -> EventStream;
}
