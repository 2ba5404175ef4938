//! Incidents: raised from drift checks and failing executions, their lifecycle,
//! remediation, SLA sweeps, notifications and metrics. (Being built: see the issue.)

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};

fn unbuilt<T>() -> OpsResult<T> {
    Err(OpsError::internal("incidents are being built"))
}

impl LocalOps {
    pub(super) async fn list_incidents(&self, _q: &IncidentQuery) -> OpsResult<Vec<IncidentView>> {
        unbuilt()
    }
    pub(super) async fn show_incident(&self, _id: i64) -> OpsResult<IncidentDetail> {
        unbuilt()
    }
    pub(super) async fn update_incident(&self, _req: IncidentUpdate) -> OpsResult<IncidentView> {
        unbuilt()
    }
    pub(super) async fn revert_incident(
        &self,
        _id: i64,
        _confirmed: bool,
    ) -> OpsResult<IncidentRemediated> {
        unbuilt()
    }
    pub(super) async fn accept_incident(&self, _id: i64) -> OpsResult<IncidentRemediated> {
        unbuilt()
    }
    pub(super) async fn diff_of_incident(&self, _id: i64) -> OpsResult<DiffRequest> {
        unbuilt()
    }
    pub(super) async fn fix_promotion_of(&self, _id: i64) -> OpsResult<FixPromotion> {
        unbuilt()
    }
    pub(super) async fn incident_stats(&self, _q: &IncidentStatsQuery) -> OpsResult<IncidentStats> {
        unbuilt()
    }
    pub(super) async fn policy_view(&self) -> OpsResult<IncidentPolicyView> {
        unbuilt()
    }
    pub(super) async fn put_policy(&self, _toml: Option<String>) -> OpsResult<IncidentPolicyView> {
        unbuilt()
    }
    pub(super) async fn sweep_incidents(&self) -> OpsResult<SweepReport> {
        unbuilt()
    }
}
