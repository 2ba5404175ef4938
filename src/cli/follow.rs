//! Following a job a verb started to its end: a progress line on a terminal, the job's
//! log lines above it (not with `--json`), then its typed result.

use super::context::Context;
use super::output::Progress;
use crate::service::{EventBody, EventStream, JobStarted, JobView, Ops, follow_job};
use anyhow::{Result, anyhow, bail};
use serde::de::DeserializeOwned;

/// A finished job and its result, when it left one.
pub struct Finished<T> {
    pub job: JobView,
    pub result: Option<T>,
}

impl<T> Finished<T> {
    /// The result, or the job's error ("`what` failed: ...") when it has none.
    pub fn into_result(self, what: &str) -> Result<T> {
        match (self.result, self.job.error) {
            (Some(result), _) => Ok(result),
            (None, Some(error)) => bail!("{what} failed: {error}"),
            (None, None) => bail!("{what} (job {}) finished without a result", self.job.id),
        }
    }
}

/// Follows `started` to its end. `events` must come from `ops.subscribe()` taken before
/// the job was started, so that no event is missed.
pub async fn follow<T: DeserializeOwned>(
    ctx: &Context,
    ops: &dyn Ops,
    events: EventStream,
    started: &JobStarted,
) -> Result<Finished<T>> {
    let mut progress = Progress::new();
    let job = follow_job(ops, events, &started.job_id, |event| match &event.body {
        EventBody::Progress { phase, done, total } => progress.update(*done, *total, phase),
        EventBody::Log { message, .. } if !ctx.json => progress.line(message),
        _ => {}
    })
    .await;
    progress.finish();
    let job = job?;
    let result = match job.result.clone() {
        Some(value) => Some(serde_json::from_value(value).map_err(|e| {
            anyhow!(
                "job {} ({}) left a result this version cannot read: {e}",
                job.id,
                job.title
            )
        })?),
        None => None,
    };
    Ok(Finished { job, result })
}
