//! Pure types and rules: no IO, no async, time passed in.

pub mod encoding;
pub mod environment;
pub mod job;
pub mod matrix;
pub mod normalize;
pub mod policy;
pub mod sync;
pub mod workflow;
pub mod writable;
