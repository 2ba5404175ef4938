//! Untracked workflows and onboarding them into the canonical state.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

/// Placeholder until this part is built.
fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn list_untracked(&self, _env: Option<&str>) -> OpsResult<Vec<UntrackedWorkflow>> {
        Err(not_built("untracked"))
    }

    pub(super) async fn start_onboard(&self, _req: OnboardRequest) -> OpsResult<JobStarted> {
        Err(not_built("onboard"))
    }
}
