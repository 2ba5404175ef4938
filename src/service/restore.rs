//! Restore from a snapshot: plan (the preview), apply, verify by fingerprint, record.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

/// Placeholder until this part is built.
fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn plan_restore(&self, _req: RestoreRequest) -> OpsResult<RestorePlan> {
        Err(not_built("restore"))
    }

    pub(super) async fn start_restore(&self, _req: RestoreRequest) -> OpsResult<JobStarted> {
        Err(not_built("restore"))
    }
}
