//! The one API all faces use: `Ops` (implemented locally by `LocalOps`, later remotely
//! over HTTP), its request and result types, jobs and their events.

mod approvals;
mod catalog;
mod diff;
mod environments;
mod error;
pub mod events;
mod executions;
mod fetch;
mod jobs;
mod local;
mod ops;
mod redact;
mod sync;
pub mod types;
mod wait;
mod workflow_ops;

pub use error::{ErrorKind, OpsError, OpsResult};
pub use events::{Event, EventBody, EventStream};
pub use local::{LocalOps, Settings};
pub use ops::Ops;
pub use redact::Secret;
pub use types::*;
pub use wait::follow_job;

#[cfg(test)]
mod tests;
