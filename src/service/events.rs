//! Events: what jobs report as they run. Locally a tokio broadcast; a remote face gets
//! the same values over SSE, resuming from `seq`.

use super::types::Time;
use crate::domain::job::{JobState, LogLevel};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Increasing per service instance; a remote face resumes after the last one it saw.
    pub seq: u64,
    pub at: Time,
    pub job_id: String,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Started {
        kind: String,
        title: String,
    },
    Progress {
        phase: String,
        done: u64,
        total: u64,
    },
    Log {
        level: LogLevel,
        message: String,
    },
    Finished {
        state: JobState,
        result: Option<serde_json::Value>,
        error: Option<String>,
    },
    /// An incident opened or changed (escalated, acknowledged, resolved...); its
    /// `job_id` is `incident-<id>`.
    Incident {
        id: i64,
        env: String,
        workflow: Option<String>,
        severity: crate::domain::incident::Severity,
        state: crate::domain::incident::IncidentState,
        change: crate::domain::incident::EventKind,
    },
}

pub type EventStream = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// Fans events out to every subscriber. Slow subscribers skip what they missed
/// (the store keeps every job's final state and log).
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    seq: Arc<AtomicU64>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(4096).0,
            seq: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl EventBus {
    pub fn publish(&self, job_id: &str, body: EventBody) {
        let event = Event {
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            at: chrono::Utc::now(),
            job_id: job_id.to_owned(),
            body,
        };
        // No subscriber is fine: nobody is watching.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> EventStream {
        let receiver = self.sender.subscribe();
        Box::pin(futures_util::stream::unfold(
            receiver,
            |mut rx| async move {
                loop {
                    match rx.recv().await {
                        Ok(event) => return Some((event, rx)),
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
