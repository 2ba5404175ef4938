//! Snapshots and backups: an environment fetched and committed, with a tag.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};

/// Placeholder until this part is built.
fn not_built(what: &str) -> OpsError {
    OpsError::new(ErrorKind::Internal, format!("{what} is not built yet"))
}

impl LocalOps {
    pub(super) async fn start_snapshot(&self, _req: SnapshotCreate) -> OpsResult<JobStarted> {
        Err(not_built("snapshot"))
    }

    pub(super) async fn list_snapshots(&self, _env: Option<&str>) -> OpsResult<Vec<SnapshotView>> {
        Err(not_built("snapshot list"))
    }

    pub(super) async fn show_snapshot(&self, _id: &str) -> OpsResult<SnapshotDetail> {
        Err(not_built("snapshot show"))
    }

    pub(super) async fn diff_snapshots(&self, _a: &str, _b: &str) -> OpsResult<SnapshotDiff> {
        Err(not_built("snapshot diff"))
    }

    pub(super) async fn start_backup(&self, _req: BackupRequest) -> OpsResult<JobStarted> {
        Err(not_built("backup"))
    }
}
