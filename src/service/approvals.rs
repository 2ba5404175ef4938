//! Approvals: operations the policy holds until someone grants them.

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};

impl LocalOps {
    pub(super) async fn list_approvals(
        &self,
        _query: &ApprovalQuery,
    ) -> OpsResult<Vec<ApprovalView>> {
        Err(OpsError::internal("approvals are not built yet"))
    }

    pub(super) async fn decide_approval(
        &self,
        _decision: ApprovalDecision,
    ) -> OpsResult<ApprovalView> {
        Err(OpsError::internal("approvals are not built yet"))
    }
}
