//! Credentials across environments: which exist where, and which workflows use each.

use super::local::LocalOps;
use super::{ErrorKind, OpsError, OpsResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsMatrix {
    pub envs: Vec<String>,
    pub rows: Vec<CredentialsMatrixRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsMatrixRow {
    pub cred_type: String,
    pub name: String,
}

impl LocalOps {
    pub(super) async fn build_credentials_matrix(&self) -> OpsResult<CredentialsMatrix> {
        Err(OpsError::new(
            ErrorKind::Internal,
            "the credentials matrix is not built yet",
        ))
    }
}
