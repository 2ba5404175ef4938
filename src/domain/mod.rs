//! Pure types and rules: no IO, no async, time passed in.

pub mod analysis;
pub mod canonical;
pub mod commit;
pub mod credential_map;
pub mod deployment;
pub mod diff;
pub mod drift;
pub mod encoding;
pub mod environment;
pub mod graph;
pub mod incident;
pub mod job;
pub mod matrix;
pub mod normalize;
pub mod pipeline;
pub mod policy;
pub mod promotion;
pub mod sync;
pub mod transfer;
pub mod workflow;
pub mod writable;
