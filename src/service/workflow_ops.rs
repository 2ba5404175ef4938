//! Policy-checked workflow operations: activate, deactivate, delete (soft or hard), tag,
//! upload, download, and the trash that soft deletes fill.

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};

impl LocalOps {
    pub(super) async fn run_workflow_op(
        &self,
        _req: WorkflowOpRequest,
    ) -> OpsResult<WorkflowOpReport> {
        Err(OpsError::internal("workflow operations are not built yet"))
    }

    pub(super) async fn upload_workflows(&self, _req: UploadRequest) -> OpsResult<UploadReport> {
        Err(OpsError::internal("upload is not built yet"))
    }

    pub(super) async fn download_workflows(
        &self,
        _req: DownloadRequest,
    ) -> OpsResult<DownloadResult> {
        Err(OpsError::internal("download is not built yet"))
    }

    pub(super) async fn list_trash(&self, _env: Option<&str>) -> OpsResult<Vec<TrashedWorkflow>> {
        Err(OpsError::internal("the trash is not built yet"))
    }

    pub(super) async fn restore_from_trash(
        &self,
        _id: i64,
        _confirmed: bool,
    ) -> OpsResult<WorkflowOpResult> {
        Err(OpsError::internal("the trash is not built yet"))
    }
}
