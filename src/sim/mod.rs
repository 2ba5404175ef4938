//! A simulated n8n 1.123.0 public API, served by n8nops itself.
//!
//! It reproduces what a real n8n does (validation with the same messages,
//! pagination and cursors, ids, version ids, activation rules, credential
//! reference repair, execution shapes and quirks, all checked against a real
//! 1.123.0) and adds what a real one cannot give: thousands of workflows,
//! deterministic execution traffic, and injected faults.
//!
//! ```no_run
//! # async fn demo() -> Result<(), n8nops::sim::SimError> {
//! use n8nops::sim::{self, Fault, SimOptions};
//! let handle = sim::start(SimOptions {
//!     workflows: sim::generator::generate(7, 50),
//!     seed_executions: 200,
//!     ..SimOptions::default()
//! })
//! .await?;
//! // GET {handle.url}/api/v1/workflows with header X-N8N-API-KEY: {handle.api_key}
//! handle.set_faults(Fault::status(503).on("/api/v1/workflows").nth(2));
//! handle.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Files, one idea each: `server` (start, handle, options), `routes` (HTTP),
//! `store` (state and operations), `validate` (n8n's write validation),
//! `workflows`, `executions`, `runs` (what a run looked like), `tags`,
//! `credentials`, `users`, `audit`, `query` and `cursor` (lists and pages),
//! `faults`, `activity` (execution traffic), `seed` (importing exports),
//! `generator` (realistic workflows and fleets), `rng`, `json`, `error`.

mod activity;
mod audit;
mod credentials;
mod cursor;
mod error;
mod executions;
mod faults;
pub mod generator;
mod json;
mod query;
mod rng;
mod routes;
mod runs;
mod seed;
mod server;
mod store;
mod tags;
mod users;
mod validate;
mod workflows;

#[cfg(test)]
mod tests;

pub use error::SimError;
pub use executions::Status as ExecutionStatus;
pub use faults::{Fault, FaultKind, Faults, PageFailure, When};
pub use generator::{Drift, DriftKind, Fleet};
pub use rng::Rng;
pub use seed::{SeedReport, check as check_export, cut_down, load_seed_dir};
pub use server::{SimHandle, SimOptions, serve, start};
pub use users::SimUser;
pub use validate::workflow_body as validate_workflow_body;
