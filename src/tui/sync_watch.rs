//! Tells a pane when a sync job has just finished, so it can reload what the sync changed.

use crate::service::{Event, EventBody, SyncReport};
use std::collections::HashSet;

/// Follows the service's events: remembers the sync jobs it saw start, and knows a sync
/// by its report when it missed the start (a face that joined late).
#[derive(Debug, Default)]
pub struct SyncWatch {
    running: HashSet<String>,
}

impl SyncWatch {
    /// Takes one event; true when it is the end of a sync job.
    pub fn finished(&mut self, event: &Event) -> bool {
        match &event.body {
            EventBody::Started { kind, .. } if kind == "sync" => {
                self.running.insert(event.job_id.clone());
                false
            }
            EventBody::Finished { result, .. } => {
                self.running.remove(&event.job_id)
                    || result
                        .as_ref()
                        .is_some_and(|r| serde_json::from_value::<SyncReport>(r.clone()).is_ok())
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::job::JobState;
    use crate::tui::testing::event;
    use serde_json::json;

    fn started(job_id: &str, kind: &str) -> Event {
        let title = format!("{kind} development");
        let kind = kind.into();
        event(job_id, EventBody::Started { kind, title })
    }

    fn finished(job_id: &str, result: Option<serde_json::Value>) -> Event {
        let state = JobState::Succeeded;
        event(
            job_id,
            EventBody::Finished {
                state,
                result,
                error: None,
            },
        )
    }

    #[test]
    fn a_sync_it_saw_start_is_finished_once() {
        let mut watch = SyncWatch::default();
        assert!(!watch.finished(&started("job-1", "sync")));
        assert!(watch.finished(&finished("job-1", None)));
        assert!(!watch.finished(&finished("job-1", None)));
    }

    #[test]
    fn other_jobs_are_not_syncs() {
        let mut watch = SyncWatch::default();
        assert!(!watch.finished(&started("job-2", "upload")));
        assert!(!watch.finished(&finished("job-2", Some(json!({"uploaded": 3})))));
        assert!(!watch.finished(&finished("job-3", None)));
    }

    #[test]
    fn a_sync_report_tells_a_sync_it_did_not_see_start() {
        let mut watch = SyncWatch::default();
        assert!(watch.finished(&finished("job-4", Some(json!({"envs": []})))));
    }
}
