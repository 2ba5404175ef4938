//! Drift checks: live workflows against the canonical mapping, stored with their diffs.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

/// Placeholder until this part is built.
fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn start_drift_check(&self, _req: DriftCheckRequest) -> OpsResult<JobStarted> {
        Err(not_built("drift check"))
    }

    pub(super) async fn latest_drift(&self, _env: Option<&str>) -> OpsResult<Vec<EnvDrift>> {
        Err(not_built("drift"))
    }
}
