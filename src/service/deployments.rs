//! Deployments: promotions recorded with their plan, approved, scheduled, run, cancelled
//! and rolled back. Running one is `promotion`'s work.

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};

impl LocalOps {
    pub(super) async fn create_deployment(
        &self,
        _req: DeploymentCreate,
    ) -> OpsResult<DeploymentCreated> {
        Err(OpsError::internal("promote: not built yet"))
    }

    pub(super) async fn list_deployments(
        &self,
        _query: &DeploymentQuery,
    ) -> OpsResult<Vec<DeploymentView>> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn show_deployment(&self, _id: &str) -> OpsResult<DeploymentDetail> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn decide_deployment(
        &self,
        _decision: DeploymentDecision,
    ) -> OpsResult<DeploymentDecided> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn cancel_deployment(&self, _id: &str) -> OpsResult<DeploymentView> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn replan_deployment(&self, _id: &str) -> OpsResult<DeploymentCreated> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn rollback_deployment(&self, _id: &str) -> OpsResult<DeploymentStarted> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn recover_deployments(&self) -> OpsResult<Vec<DeploymentStarted>> {
        Err(OpsError::internal("deployments: not built yet"))
    }

    pub(super) async fn run_due_deployments(&self) -> OpsResult<Vec<DeploymentStarted>> {
        Err(OpsError::internal("deployments: not built yet"))
    }
}
