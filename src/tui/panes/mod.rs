//! The panes, one file each.

pub mod audit;
pub mod diff;
pub mod environments;
pub mod executions;
pub mod jobs;
pub mod matrix;
pub mod snapshots;
pub mod workflows;
