//! The one error type every `Ops` call returns: serializable, so a remote caller gets
//! the same kind and message as a local one.

use crate::n8n::N8nError;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request was wrong (bad name, URL, value).
    Invalid,
    NotFound,
    /// It clashes with what exists (a duplicate name).
    Conflict,
    /// Refused by policy (e.g. read-only mode).
    Forbidden,
    /// An n8n instance failed or refused.
    Upstream,
    /// The store failed.
    Store,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct OpsError {
    pub kind: ErrorKind,
    pub message: String,
}

pub type OpsResult<T> = Result<T, OpsError>;

impl OpsError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        OpsError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        let kind = match &e {
            StoreError::NotFound(_) => ErrorKind::NotFound,
            StoreError::Conflict(_) => ErrorKind::Conflict,
            _ => ErrorKind::Store,
        };
        OpsError::new(kind, e.to_string())
    }
}

impl From<N8nError> for OpsError {
    fn from(e: N8nError) -> Self {
        OpsError::new(ErrorKind::Upstream, e.to_string())
    }
}
