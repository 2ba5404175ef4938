//! Scheduled drift checks: per environment class, an interval with jitter.
