//! Webhook notifications of incidents: an outbox in the store, filled in the
//! transaction of the change that notifies (`notify`), emptied by a dispatcher in the
//! background (`spawn_notifier`, and the sweep through `deliver_due`), never in the
//! caller's path.
//!
//! Each configured webhook (`[[incidents.webhooks]]`) gets its own delivery, with the
//! body built when it is enqueued (Slack or generic JSON, see `payload`). A delivery
//! is POSTed when due: a 2xx answer marks it delivered; anything else counts an
//! attempt and tries again after `backoff_secs * 2^(attempts-1)`, until
//! `max_attempts` attempts have failed (then it is failed for good). Every attempt's
//! outcome is recorded on the delivery; the error names the webhook and its origin,
//! never the URL's path or query.
//!
//! Within one process deliveries are sent by one round at a time (the sweep and the
//! dispatcher never send the same delivery twice). Two processes on one store
//! (a TUI and a team server) may both pick a due delivery: the outbox has no claim yet.

pub(super) mod payload;
mod send;

use super::OpsResult;
use super::local::LocalOps;
use crate::config::WebhookConfig;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{ClassPolicy, notifies};
use crate::store::incidents::{self, DeliveryRow, DeliveryStatus, IncidentRow, NewDelivery};
use crate::store::{StoreError, environments, now_ms};
use futures_util::StreamExt;
use sqlx::AnyConnection;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;

/// Deliveries POSTed at once.
const CONCURRENCY: usize = 4;
/// Deliveries read from the outbox per round.
const BATCH: i64 = 50;
/// Rounds one `deliver_due` runs at most (each a full batch).
const MAX_ROUNDS: usize = 20;
/// The dispatcher's longest sleep when `sweep_secs` is 0.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// Wakes the dispatcher: one per process, whatever the store (a spurious wake costs
/// one outbox query).
fn wake() -> &'static Notify {
    static WAKE: OnceLock<Notify> = OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

/// Held while a round sends, so the sweep and the dispatcher of one process never
/// pick the same due delivery.
fn sending() -> &'static Mutex<()> {
    static SENDING: OnceLock<Mutex<()>> = OnceLock::new();
    SENDING.get_or_init(|| Mutex::new(()))
}

/// What delivery rounds did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Rounds {
    delivered: usize,
    /// Attempts that failed (retried later or given up).
    failed: usize,
    /// The earliest retry these rounds scheduled.
    next_retry: Option<i64>,
    /// The last round was a full batch that could not be followed (more may be due).
    more: bool,
}

/// The outcome of one attempt, as recorded.
enum Attempt {
    Delivered,
    Retry { at: i64 },
    GaveUp,
}

impl LocalOps {
    /// Enqueues the notification of `event` (opened, escalated, breached, resolved)
    /// about `incident`, one delivery per configured webhook, when the incident's
    /// severity reaches `notify_at` of its environment's class; returns how many were
    /// enqueued. Runs on the caller's connection, inside its transaction, so the
    /// notification exists exactly when the change does; `incident` must be the row
    /// as it now is (its `updated_at` is the event's time). The class policy is that
    /// of the environment's class in the policy in force; a caller that has it
    /// already may give it to [`LocalOps::notify_with_policy`]. Errors are the store's.
    ///
    /// Nothing is sent here: call [`LocalOps::wake_notifier`] once the transaction is
    /// committed.
    pub(super) async fn notify(
        &self,
        conn: &mut AnyConnection,
        incident: &IncidentRow,
        event: &str,
    ) -> OpsResult<usize> {
        let policy = self.notify_policy(conn, &incident.env).await?;
        self.notify_with_policy(conn, incident, &policy, event)
            .await
    }

    /// [`LocalOps::notify`] with the class policy of the incident's environment given.
    pub(super) async fn notify_with_policy(
        &self,
        conn: &mut AnyConnection,
        incident: &IncidentRow,
        policy: &ClassPolicy,
        event: &str,
    ) -> OpsResult<usize> {
        let webhooks = &self.settings.incidents.webhooks;
        if webhooks.is_empty() || !notifies(policy, incident.severity) {
            return Ok(0);
        }
        // Due at once, also when the caller's clock is ahead (an injected one).
        let created_at = incident.updated_at.min(now_ms());
        for hook in webhooks {
            let body = payload::build(hook.format, event, incident, policy, incident.updated_at);
            let delivery = NewDelivery {
                incident_id: incident.id,
                event: event.to_owned(),
                target: hook.name.clone(),
                payload: body.to_string(),
                created_at,
            };
            incidents::enqueue(conn, &delivery).await?;
        }
        Ok(webhooks.len())
    }

    /// The class policy of `env` under the policy in force (`policy_in_force`: the
    /// stored one when it parses, else the config's). An environment no longer known
    /// gets production's rules (the strictest), as in the incident views.
    async fn notify_policy(&self, conn: &mut AnyConnection, env: &str) -> OpsResult<ClassPolicy> {
        let class = match environments::find(conn, env).await? {
            Some(row) => row.class,
            None => EnvClass::Production,
        };
        let (policy, _) = self.policy_in_force(conn).await?;
        Ok(policy.class(class).clone())
    }

    /// Wakes the dispatcher (`spawn_notifier`) to send what was just enqueued. Call it
    /// after the transaction that enqueued commits.
    pub(super) fn wake_notifier(&self) {
        wake().notify_waiters();
    }

    /// Sends the deliveries due at `now_ms`, four at a time, and records each
    /// attempt. Returns (delivered, failed attempts). Problems with the store are
    /// logged (the deliveries stay due); nothing here panics on an answer.
    pub(super) async fn deliver_due(&self, now_ms: i64) -> (usize, usize) {
        let rounds = self.deliver_rounds(now_ms).await;
        (rounds.delivered, rounds.failed)
    }

    async fn deliver_rounds(&self, now: i64) -> Rounds {
        let _sending = sending().lock().await;
        let mut total = Rounds::default();
        for _ in 0..MAX_ROUNDS {
            let due = match self.due_deliveries(now).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "notifications: cannot read the due deliveries");
                    break;
                }
            };
            let full = i64::try_from(due.len()).unwrap_or(i64::MAX) >= BATCH;
            let outcomes: Vec<Result<Attempt, StoreError>> = futures_util::stream::iter(due)
                .map(|delivery| self.attempt(delivery, now))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let mut recorded = true;
            for outcome in outcomes {
                match outcome {
                    Ok(Attempt::Delivered) => total.delivered += 1,
                    Ok(Attempt::Retry { at }) => {
                        total.failed += 1;
                        total.next_retry = Some(total.next_retry.map_or(at, |t| t.min(at)));
                    }
                    Ok(Attempt::GaveUp) => total.failed += 1,
                    Err(e) => {
                        tracing::warn!(error = %e, "notifications: cannot record an attempt");
                        recorded = false;
                    }
                }
            }
            // A delivery whose attempt was not recorded would be picked again at once.
            total.more = full && recorded;
            if !total.more {
                return total;
            }
        }
        total
    }

    async fn due_deliveries(&self, now: i64) -> Result<Vec<DeliveryRow>, StoreError> {
        let mut conn = self.store.conn().await?;
        incidents::due_deliveries(&mut conn, now, BATCH).await
    }

    /// POSTs one delivery and records the outcome.
    async fn attempt(&self, delivery: DeliveryRow, now: i64) -> Result<Attempt, StoreError> {
        let cfg = &self.settings.incidents;
        let sent = match find_hook(&cfg.webhooks, &delivery.target) {
            Some(hook) => send::post(hook, &delivery.payload).await,
            None => Err(format!(
                "webhook '{}' is not in this n8nops' config ([[incidents.webhooks]])",
                delivery.target
            )),
        };
        let attempts = delivery.attempts.saturating_add(1);
        let (status, next, error, outcome) = match sent {
            Ok(()) => (
                DeliveryStatus::Delivered,
                delivery.next_attempt_at,
                None,
                Attempt::Delivered,
            ),
            Err(error) if attempts >= i64::from(cfg.max_attempts.max(1)) => {
                tracing::warn!(incident = delivery.incident_id, attempts, %error, "notification given up");
                (
                    DeliveryStatus::Failed,
                    delivery.next_attempt_at,
                    Some(error),
                    Attempt::GaveUp,
                )
            }
            Err(error) => {
                let at = now.saturating_add(backoff_ms(cfg.backoff_secs, attempts));
                tracing::info!(incident = delivery.incident_id, attempts, %error, "notification failed: will retry");
                (
                    DeliveryStatus::Pending,
                    at,
                    Some(error),
                    Attempt::Retry { at },
                )
            }
        };
        let delivered_at = matches!(outcome, Attempt::Delivered).then_some(now);
        let mut conn = self.store.conn().await?;
        incidents::record_attempt(
            &mut conn,
            delivery.id,
            status,
            attempts,
            next,
            error.as_deref(),
            delivered_at,
        )
        .await?;
        Ok(outcome)
    }

    /// Starts the dispatcher in the background: it sends what is due, then sleeps
    /// until woken (`wake_notifier`), until the earliest retry it scheduled, or
    /// `sweep_secs` at most (60 s when 0), and again. Off when read-only. Abort the
    /// handle to stop it.
    pub fn spawn_notifier(&self) -> JoinHandle<()> {
        let ops = self.clone();
        tokio::spawn(async move { ops.run_notifier().await })
    }

    async fn run_notifier(self) {
        if self.settings.readonly {
            tracing::info!("incident notifications are off: n8nops runs read-only");
            return;
        }
        let longest = match self.settings.incidents.sweep_secs {
            0 => DEFAULT_WAIT,
            secs => Duration::from_secs(secs),
        };
        loop {
            // Listening before the round reads the outbox: a wake during the round
            // (something enqueued meanwhile) is not lost.
            let woken = wake().notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let rounds = self.deliver_rounds(now_ms()).await;
            if rounds.more {
                continue;
            }
            let wait = rounds
                .next_retry
                .map(|at| {
                    Duration::from_millis(u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0))
                })
                .map_or(longest, |until| until.min(longest));
            tokio::select! {
                _ = &mut woken => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// The configured webhook named `name`.
fn find_hook<'a>(hooks: &'a [WebhookConfig], name: &str) -> Option<&'a WebhookConfig> {
    hooks.iter().find(|h| h.name == name)
}

/// The wait before the next attempt after `attempts` failed ones:
/// `backoff_secs * 2^(attempts-1)` seconds, in milliseconds.
pub(super) fn backoff_ms(backoff_secs: u64, attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1).max(0)).unwrap_or(u32::MAX);
    i64::try_from(backoff_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000)
        .saturating_mul(2i64.saturating_pow(exponent))
}
