//! Client options: timeouts, concurrency and retry policy.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Whole-request budget for one attempt, from connecting to the last
    /// byte of the body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Requests in flight at once against this instance (at least 1).
    pub max_concurrency: usize,
    /// Writes (anything but GET and HEAD) in flight at once, within
    /// `max_concurrency`. Default 1: n8n 1.123 on SQLite interleaves
    /// concurrent write transactions on its one connection, acknowledging
    /// creates it then loses and, at worst, failing every later write until
    /// restarted. Raise it only for instances on PostgreSQL.
    pub max_concurrent_writes: usize,
    /// Retries after the first attempt, for idempotent requests only.
    pub max_retries: u32,
    /// First backoff delay; doubled on each retry, with jitter.
    pub backoff_base: Duration,
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_concurrency: 4,
            max_concurrent_writes: 1,
            max_retries: 3,
            backoff_base: Duration::from_millis(250),
            user_agent: concat!("n8nops/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}
