//! The panes, one file each.

pub mod audit;
pub mod deployments;
pub mod diff;
pub mod environments;
pub mod executions;
pub mod incidents;
pub mod jobs;
pub mod matrix;
pub mod pipelines;
pub mod promote;
pub mod snapshots;
pub mod workflows;
