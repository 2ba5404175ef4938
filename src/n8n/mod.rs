//! The n8n public API v1 client (`/api/v1`, header `X-N8N-API-KEY`).
//!
//! One [`N8nClient`] per instance: bounded concurrency, timeouts, retries
//! with backoff for idempotent requests only, cursor pagination, and typed
//! errors that name the environment and the endpoint but never the key.
//! Workflows come back as [`WorkflowRecord`]s holding n8n's exact JSON text;
//! writes go through [`writable_body`]. See ../shared/n8n/README.md for the
//! API's behaviour this follows.

mod audit;
mod classify;
mod client;
mod credentials;
mod error;
mod executions;
mod options;
mod paginate;
mod probe;
mod record;
mod retry;
mod tags;
mod transport;
mod types;
mod users;
mod workflows;

#[cfg(test)]
mod e2e;
#[cfg(test)]
mod testkit;

pub use crate::domain::writable::writable_body;
pub use audit::AuditOptions;
pub use client::N8nClient;
pub use error::{Endpoint, N8nError, N8nErrorKind};
pub use executions::ExecutionFilter;
pub use options::ClientOptions;
pub use paginate::{PAGE_LIMIT, Page, Pager};
pub use probe::{ApiGeneration, ProbeReport};
pub use record::WorkflowRecord;
pub use types::{Credential, Execution, ExecutionFailure, ExecutionStatus, Tag, User};
pub use workflows::WorkflowFilter;
