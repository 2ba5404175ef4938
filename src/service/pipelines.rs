//! Pipelines: the config's and the store's, listed, shown, saved and deleted.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn list_pipelines(&self) -> OpsResult<Vec<PipelineView>> {
        Err(not_built("pipelines"))
    }

    pub(super) async fn show_pipeline(&self, _name: &str) -> OpsResult<PipelineView> {
        Err(not_built("pipelines"))
    }

    pub(super) async fn put_pipeline(
        &self,
        _pipeline: crate::domain::pipeline::Pipeline,
    ) -> OpsResult<PipelineView> {
        Err(not_built("pipelines"))
    }

    pub(super) async fn delete_pipeline(&self, _name: &str) -> OpsResult<()> {
        Err(not_built("pipelines"))
    }
}
