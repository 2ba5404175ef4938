//! The repository as the faces see it: status, push, the https token.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

/// Placeholder until this part is built.
fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn git_status_view(&self) -> OpsResult<GitStatus> {
        Err(not_built("git status"))
    }

    pub(super) async fn push_git(&self) -> OpsResult<PushReport> {
        Err(not_built("git push"))
    }

    pub(super) async fn set_git_token(&self, _token: Option<super::Secret>) -> OpsResult<()> {
        Err(not_built("git token"))
    }
}
