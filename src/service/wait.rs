//! Following a job to its end from any face, local or remote.

use super::OpsResult;
use super::events::{Event, EventBody};
use super::ops::Ops;
use super::types::JobView;
use futures_util::StreamExt;
use std::time::Duration;

/// Calls `on_event` with each event of job `job_id` until it finishes, then returns its
/// final record. Pass a stream from `subscribe()` taken *before* the job was started,
/// so no event is missed; the store is also polled, so a lagging stream cannot hang it.
pub async fn follow_job(
    ops: &dyn Ops,
    mut events: super::EventStream,
    job_id: &str,
    mut on_event: impl FnMut(&Event),
) -> OpsResult<JobView> {
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(event) if event.job_id == job_id => {
                    on_event(&event);
                    if matches!(event.body, EventBody::Finished { .. }) {
                        break;
                    }
                }
                Some(_) => {}
                None => {
                    // The stream ended: fall back to polling.
                    events = Box::pin(futures_util::stream::pending());
                }
            },
            _ = poll.tick() => {
                if ops.job_get(job_id.to_owned()).await?.job.state.is_finished() {
                    break;
                }
            }
        }
    }
    Ok(ops.job_get(job_id.to_owned()).await?.job)
}
