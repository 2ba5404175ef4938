//! Running jobs: long work returns a job id at once, runs on the tokio runtime, and
//! reports progress and log lines as events while the store keeps its record.

use super::events::{EventBody, EventBus};
use super::{OpsError, OpsResult};
use crate::domain::encoding::hex;
use crate::domain::job::{JobState, LogLevel};
use crate::store::{Store, jobs, now_ms};
use ring::rand::{SecureRandom, SystemRandom};
use std::future::Future;

/// How a job ended: a result, an error, or both (e.g. a sync where one environment of
/// three failed). A job with an error is failed.
#[derive(Debug, Default)]
pub struct JobOutcome {
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

/// Handed to a job's work to report through.
#[derive(Clone)]
pub struct JobCtx {
    id: String,
    store: Store,
    bus: EventBus,
    /// When progress was last written to the store (events go out every time).
    last_stored: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// The store's copy of a job's progress is for other processes and after a
/// crash; a few updates a second are plenty.
const PROGRESS_STORE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

impl JobCtx {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub async fn progress(&self, phase: &str, done: u64, total: u64) {
        self.bus.publish(
            &self.id,
            EventBody::Progress {
                phase: phase.to_owned(),
                done,
                total,
            },
        );
        {
            let mut last = self.last_stored.lock().unwrap_or_else(|p| p.into_inner());
            let now = std::time::Instant::now();
            let finished_env = total > 0 && done == total;
            if !finished_env
                && last.is_some_and(|t| now.duration_since(t) < PROGRESS_STORE_INTERVAL)
            {
                return;
            }
            *last = Some(now);
        }
        let write = async {
            let mut conn = self.store.conn().await?;
            jobs::set_progress(&mut conn, &self.id, phase, done as i64, total as i64).await
        };
        if let Err(e) = write.await {
            tracing::warn!(job = %self.id, error = %e, "could not record job progress");
        }
    }

    pub async fn log(&self, level: LogLevel, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(job = %self.id, level = level.as_str(), "{message}");
        let write = async {
            let mut conn = self.store.conn().await?;
            jobs::log(&mut conn, &self.id, level, &message, now_ms()).await
        };
        if let Err(e) = write.await {
            tracing::warn!(job = %self.id, error = %e, "could not record a job log line");
        }
        self.bus
            .publish(&self.id, EventBody::Log { level, message });
    }
}

/// Starts jobs.
#[derive(Clone)]
pub struct Jobs {
    store: Store,
    bus: EventBus,
}

impl Jobs {
    pub fn new(store: Store, bus: EventBus) -> Self {
        Jobs { store, bus }
    }

    /// Records the job, starts `work` in the background and returns the job's id.
    pub async fn spawn<F, Fut>(
        &self,
        kind: &str,
        title: String,
        actor: &str,
        request: serde_json::Value,
        work: F,
    ) -> OpsResult<String>
    where
        F: FnOnce(JobCtx) -> Fut + Send + 'static,
        Fut: Future<Output = JobOutcome> + Send + 'static,
    {
        let id = new_job_id()?;
        let row = jobs::JobRow {
            id: id.clone(),
            kind: kind.to_owned(),
            title: title.clone(),
            state: JobState::Queued,
            actor: actor.to_owned(),
            request,
            phase: None,
            done: 0,
            total: 0,
            created_at: now_ms(),
            started_at: None,
            finished_at: None,
            result: None,
            error: None,
        };
        let mut conn = self.store.conn().await?;
        let runner = serde_json::to_string(&crate::git::LockInfo::ours()).ok();
        jobs::insert(&mut conn, &row, runner.as_deref()).await?;
        drop(conn);
        self.bus.publish(
            &id,
            EventBody::Started {
                kind: kind.to_owned(),
                title,
            },
        );

        let ctx = JobCtx {
            id: id.clone(),
            store: self.store.clone(),
            bus: self.bus.clone(),
            last_stored: Default::default(),
        };
        tokio::spawn(async move {
            if let Err(e) = mark(&ctx.store, &ctx.id, JobState::Running).await {
                tracing::warn!(job = %ctx.id, error = %e, "could not mark the job running");
            }
            let outcome = work(ctx.clone()).await;
            let state = if outcome.error.is_some() {
                JobState::Failed
            } else {
                JobState::Succeeded
            };
            let write = async {
                let mut conn = ctx.store.conn().await?;
                jobs::finish(
                    &mut conn,
                    &ctx.id,
                    state,
                    outcome.result.as_ref(),
                    outcome.error.as_deref(),
                    now_ms(),
                )
                .await
            };
            if let Err(e) = write.await {
                tracing::error!(job = %ctx.id, error = %e, "could not record the end of the job");
            }
            ctx.bus.publish(
                &ctx.id,
                EventBody::Finished {
                    state,
                    result: outcome.result,
                    error: outcome.error,
                },
            );
        });
        Ok(id)
    }
}

async fn mark(store: &Store, id: &str, state: JobState) -> Result<(), crate::store::StoreError> {
    let mut conn = store.conn().await?;
    jobs::set_state(&mut conn, id, state, now_ms()).await
}

/// Sortable and short: `20261122-163812-a1b2c3`.
fn new_job_id() -> OpsResult<String> {
    let mut bytes = [0u8; 3];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| OpsError::internal("no randomness available for a job id"))?;
    Ok(format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        hex(&bytes)
    ))
}
