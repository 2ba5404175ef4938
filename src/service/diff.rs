//! Diffs between workflows, environments or files, on the normalized form.

use super::local::LocalOps;
use super::{OpsError, OpsResult};
use serde::{Deserialize, Serialize};

/// What to compare. (Shape to be settled by the diff engine work.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffRequest {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffReport {}

impl LocalOps {
    pub(super) async fn run_diff(&self, _req: DiffRequest) -> OpsResult<DiffReport> {
        Err(OpsError::internal("diff is not built yet"))
    }
}
