//! The live execution tail: incremental polls of every environment, detail and retry.

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};

impl LocalOps {
    pub(super) async fn poll_executions(
        &self,
        _query: ExecutionsQuery,
    ) -> OpsResult<ExecutionsPage> {
        Err(OpsError::internal("the execution tail is not built yet"))
    }

    pub(super) async fn get_execution(
        &self,
        _execution: &ExecutionRef,
    ) -> OpsResult<ExecutionDetail> {
        Err(OpsError::internal("execution detail is not built yet"))
    }

    pub(super) async fn retry_execution(
        &self,
        _execution: &ExecutionRef,
    ) -> OpsResult<ExecutionView> {
        Err(OpsError::internal("execution retry is not built yet"))
    }
}
