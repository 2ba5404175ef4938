//! The one API all faces use: `Ops` (implemented locally by `LocalOps`, later remotely
//! over HTTP), its request and result types, jobs and their events.

mod approvals;
mod archive;
mod canonical_state;
mod canonical_types;
mod catalog;
mod credentials_matrix;
mod deployment_schedule;
mod deployments;
mod diff;
mod drift;
mod drift_schedule;
mod environments;
mod error;
pub mod events;
mod executions;
mod fetch;
mod git_ops;
mod incident_schedule;
mod incident_types;
mod incidents;
mod jobs;
mod local;
mod notify;
mod onboarding;
mod ops;
mod pipelines;
mod preflight;
mod promotion;
mod promotion_types;
mod reconcile;
mod redact;
mod restore;
mod snapshots;
mod sync;
mod tagging;
mod transfer;
mod trash;
pub mod types;
mod validation;
mod wait;
mod workflow_ops;

pub use error::{ErrorKind, OpsError, OpsResult};
pub use events::{Event, EventBody, EventStream};
pub use executions::{newest_first, short_duration};
pub use local::{LocalOps, Settings};
pub use ops::Ops;
pub use redact::Secret;
pub use types::*;
pub use wait::follow_job;

#[cfg(test)]
mod test_fixture;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_canonical;
#[cfg(test)]
mod tests_drift;
#[cfg(test)]
mod tests_executions;
#[cfg(test)]
mod tests_incidents;
#[cfg(test)]
mod tests_notify;
#[cfg(test)]
mod tests_pipelines;
#[cfg(test)]
mod tests_preflight;
#[cfg(test)]
mod tests_promotion;
#[cfg(test)]
mod tests_restore;
#[cfg(test)]
mod tests_workflow_ops;
