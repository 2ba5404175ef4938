//! Where running deployments' jobs are: their progress and last log line from service
//! events (seeded by one read of the job when a running deployment is opened), and
//! which finished jobs were deployments' (the pane then reloads).

use crate::service::{Event, EventBody, JobDetail};
use std::collections::{HashMap, HashSet};

/// One job's latest progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Progress {
    pub phase: Option<String>,
    pub done: u64,
    pub total: u64,
    pub last_log: Option<String>,
}

/// Job kinds that run deployments (a promotion, its rollback, a recovery).
fn runs_deployments(kind: &str) -> bool {
    ["promot", "deploy", "rollback"]
        .iter()
        .any(|k| kind.contains(k))
}

#[derive(Debug, Default)]
pub(super) struct JobProgress {
    /// Jobs under way; a job leaves when it finishes.
    running: HashMap<String, Progress>,
    /// Jobs known to run deployments that the list may not show yet: seen starting
    /// with such a kind, or started from this pane.
    watched: HashSet<String>,
}

impl JobProgress {
    pub fn get(&self, job_id: &str) -> Option<&Progress> {
        self.running.get(job_id)
    }

    pub fn knows(&self, job_id: &str) -> bool {
        self.running.contains_key(job_id)
    }

    pub fn watch(&mut self, job_id: String) {
        self.watched.insert(job_id);
    }

    /// Fills in a job read from the service, unless events already told more.
    pub fn seed(&mut self, job_id: &str, detail: &JobDetail) {
        if self.running.contains_key(job_id) || detail.job.finished_at.is_some() {
            return;
        }
        self.running.insert(
            job_id.to_owned(),
            Progress {
                phase: detail.job.phase.clone(),
                done: u64::try_from(detail.job.done).unwrap_or(0),
                total: u64::try_from(detail.job.total).unwrap_or(0),
                last_log: detail.logs.last().map(|l| l.message.clone()),
            },
        );
    }

    /// Takes one event; true when a deployment's job finished: one watched, or one
    /// `listed` says a deployment shown has.
    pub fn on_event(&mut self, event: &Event, listed: impl Fn(&str) -> bool) -> bool {
        let id = event.job_id.as_str();
        match &event.body {
            EventBody::Started { kind, .. } => {
                if runs_deployments(kind) {
                    self.watched.insert(id.to_owned());
                }
                self.running.entry(id.to_owned()).or_default();
                false
            }
            EventBody::Progress { phase, done, total } => {
                let p = self.running.entry(id.to_owned()).or_default();
                p.phase = Some(phase.clone());
                p.done = *done;
                p.total = *total;
                false
            }
            EventBody::Log { message, .. } => {
                self.running.entry(id.to_owned()).or_default().last_log = Some(message.clone());
                false
            }
            EventBody::Finished { .. } => {
                self.running.remove(id);
                self.watched.remove(id) || listed(id)
            }
            EventBody::Incident { .. } => false,
        }
    }
}
