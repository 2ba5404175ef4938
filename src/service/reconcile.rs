//! Reconcile: where Git, the recorded mappings and the live environments disagree.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

/// Placeholder until this part is built.
fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn run_reconcile(&self, _req: ReconcileRequest) -> OpsResult<ReconcileReport> {
        Err(not_built("reconcile"))
    }
}
