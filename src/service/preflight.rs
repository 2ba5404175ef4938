//! Promotion preflight: the plan, gate results, credential mapping and diffs.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

impl LocalOps {
    pub(super) async fn preflight(&self, _req: PromoteRequest) -> OpsResult<Preflight> {
        Err(OpsError::new(
            ErrorKind::Internal,
            "preflight is not built yet",
        ))
    }
}
