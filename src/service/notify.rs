//! Webhook notifications of incidents: an outbox in the store, filled in the
//! transaction of the change that notifies (`notify`), emptied by a dispatcher in the
//! background (`spawn_notifier`, and the sweep through `deliver_due`), never in the
//! caller's path. A short-lived process (a CLI verb) has no dispatcher: it sends what
//! it enqueued before it exits (`flush_notifications`).
//!
//! Each configured webhook (`[[incidents.webhooks]]`) gets its own delivery, with the
//! body built when it is enqueued (Slack or generic JSON, see `payload`). A delivery
//! is POSTed when due: a 2xx answer marks it delivered; anything else counts an
//! attempt and tries again after `backoff_secs * 2^(attempts-1)`, until
//! `max_attempts` attempts have failed (then it is failed for good). Every attempt's
//! outcome is recorded on the delivery; the error names the webhook and its origin,
//! never the URL's path or query.
//!
//! Every sender claims a delivery before it POSTs it (`store::incidents::
//! claim_delivery`, a compare-and-set that leases it for `LEASE_MS`): of the senders
//! on one store (the sweep and the dispatcher of a process, a TUI, a team server, a
//! cron `incidents sweep`) only one sends it. A sender that dies between its POST and
//! the record leaves the delivery due again when the lease ends: delivery is at least
//! once, and twice only then.

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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Deliveries POSTed at once.
const CONCURRENCY: usize = 4;
/// Deliveries read from the outbox per round.
const BATCH: i64 = 50;
/// Rounds one `deliver_due` runs at most (each a full batch).
const MAX_ROUNDS: usize = 20;
/// The dispatcher's longest sleep when `sweep_secs` is 0.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// How long a claimed delivery is its sender's: well past one POST (`POST_TIMEOUT`,
/// 10 s) and the record of its outcome.
const LEASE_MS: i64 = 60_000;
/// Tries at recording an attempt's outcome (a delivery sent but not recorded is sent
/// again when its lease ends), and the pause before the first retry (then doubled).
const RECORD_TRIES: u32 = 3;
const RECORD_PAUSE: Duration = Duration::from_millis(200);

/// The dispatcher's state, one per service (`LocalOps::notifier`, shared by its
/// clones).
#[derive(Debug, Default)]
pub(super) struct Notifier {
    /// Wakes the dispatcher (a spurious wake costs one outbox query).
    wake: Notify,
    /// Held while a round sends: the sweep and the dispatcher of one service take
    /// turns (the claim keeps them from sending one delivery twice; this keeps them
    /// from racing for it).
    sending: Mutex<()>,
    /// This service enqueued a notification since its last flush.
    enqueued: AtomicBool,
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
    Retry {
        at: i64,
    },
    GaveUp,
    /// Not sent: another sender claimed it first, or the flush's time was up.
    Skipped,
}

impl LocalOps {
    /// Enqueues the notification of `event` (opened, escalated, breached, resolved)
    /// about `incident`, one delivery per configured webhook, when the incident's
    /// severity reaches `notify_at` of its environment's class; returns how many were
    /// enqueued. Runs on the caller's connection, inside its transaction, so the
    /// notification exists exactly when the change does; `incident` must be the row
    /// as it now is (its `updated_at` is the event's time). The class policy is that
    /// of the environment's class in the policy in force. Errors are the store's.
    ///
    /// Nothing is sent here: call [`LocalOps::wake_notifier`] once the transaction is
    /// committed.
    pub(super) async fn notify(
        &self,
        conn: &mut AnyConnection,
        incident: &IncidentRow,
        event: &str,
    ) -> OpsResult<usize> {
        if self.settings.incidents.webhooks.is_empty() {
            return Ok(0);
        }
        let class = env_class(conn, &incident.env).await?;
        let (policy, _) = self.policy_in_force(conn).await?;
        let policy = policy.class(class.unwrap_or(EnvClass::Production));
        self.enqueue_notification(conn, incident, policy, class, event)
            .await
    }

    /// One delivery per webhook when `policy` notifies at the incident's severity;
    /// `class` is its environment's (None: gone).
    async fn enqueue_notification(
        &self,
        conn: &mut AnyConnection,
        incident: &IncidentRow,
        policy: &ClassPolicy,
        class: Option<EnvClass>,
        event: &str,
    ) -> OpsResult<usize> {
        let webhooks = &self.settings.incidents.webhooks;
        if !notifies(policy, incident.severity) {
            return Ok(0);
        }
        // Due at once, also when the caller's clock is ahead (an injected one).
        let created_at = incident.updated_at.min(now_ms());
        for hook in webhooks {
            let body = payload::build(
                hook.format,
                event,
                incident,
                policy,
                class,
                incident.updated_at,
            );
            let delivery = NewDelivery {
                incident_id: incident.id,
                event: event.to_owned(),
                target: hook.name.clone(),
                payload: body.to_string(),
                created_at,
            };
            incidents::enqueue(conn, &delivery).await?;
        }
        // Set even if the caller's transaction rolls back: a flush then finds nothing.
        self.notifier.enqueued.store(true, Ordering::Release);
        Ok(webhooks.len())
    }

    /// Wakes this service's dispatcher (`spawn_notifier`) to send what was just
    /// enqueued. Call it after the transaction that enqueued commits.
    pub(super) fn wake_notifier(&self) {
        self.notifier.wake.notify_waiters();
    }

    /// Sends the deliveries due at `now_ms`, four at a time, and records each
    /// attempt. Returns (delivered, failed attempts). Problems with the store are
    /// logged (the deliveries stay due); nothing here panics on an answer.
    ///
    /// `now_ms` is the clock of the rounds (the sweep's, injected in tests); the times
    /// recorded after each attempt are `max(now_ms, the clock then)`, so a long round
    /// never schedules retries from its start.
    pub(super) async fn deliver_due(&self, now_ms: i64) -> (usize, usize) {
        let rounds = self.deliver_rounds(now_ms, None).await;
        (rounds.delivered, rounds.failed)
    }

    /// Sends the deliveries due now before a short-lived process (a CLI verb) ends:
    /// no dispatcher runs there, and what it enqueued would otherwise wait for another
    /// n8nops process. Does nothing unless this service (or a clone) enqueued a
    /// notification since its last flush, or when it runs read-only. No delivery is
    /// claimed after `within`, and a POST still unanswered then is cut short and
    /// recorded as a failed attempt (retried by the next sender): it returns within
    /// about `within`. Retries not yet due are left to the next sender. Returns
    /// (delivered, failed attempts).
    pub async fn flush_notifications(&self, within: Duration) -> (usize, usize) {
        if self.settings.readonly || !self.notifier.enqueued.swap(false, Ordering::AcqRel) {
            return (0, 0);
        }
        let deadline = Instant::now() + within;
        let mut done = (0, 0);
        loop {
            let rounds = self.deliver_rounds(now_ms(), Some(deadline)).await;
            done = (done.0 + rounds.delivered, done.1 + rounds.failed);
            if !rounds.more || Instant::now() >= deadline {
                break;
            }
        }
        if done != (0, 0) {
            tracing::info!(
                delivered = done.0,
                failed = done.1,
                "notifications sent before exiting"
            );
        }
        done
    }

    /// Up to `MAX_ROUNDS` rounds of (read a batch of due deliveries, claim, POST and
    /// record each); no claim after `deadline`.
    async fn deliver_rounds(&self, now: i64, deadline: Option<Instant>) -> Rounds {
        let _sending = self.notifier.sending.lock().await;
        let mut total = Rounds::default();
        for _ in 0..MAX_ROUNDS {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let due = match self.due_deliveries(now.max(now_ms())).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "notifications: cannot read the due deliveries");
                    break;
                }
            };
            let full = i64::try_from(due.len()).unwrap_or(i64::MAX) >= BATCH;
            let outcomes: Vec<Result<Attempt, StoreError>> = futures_util::stream::iter(due)
                .map(|delivery| self.attempt(delivery, now, deadline))
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
                    Ok(Attempt::Skipped) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "notifications: cannot claim or record an attempt");
                        recorded = false;
                    }
                }
            }
            // A store that fails now would fail the next round too.
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

    /// Claims one delivery, POSTs it and records the outcome; the times are
    /// `max(now, the clock then)`.
    async fn attempt(
        &self,
        delivery: DeliveryRow,
        now: i64,
        deadline: Option<Instant>,
    ) -> Result<Attempt, StoreError> {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Attempt::Skipped);
        }
        let lease = now.max(now_ms()).saturating_add(LEASE_MS);
        let mut conn = self.store.conn().await?;
        if !incidents::claim_delivery(&mut conn, &delivery, lease).await? {
            tracing::debug!(
                delivery = delivery.id,
                "notification claimed by another sender"
            );
            return Ok(Attempt::Skipped);
        }
        // No connection held while the webhook answers.
        drop(conn);
        let cfg = &self.settings.incidents;
        let sent = match find_hook(&cfg.webhooks, &delivery.target) {
            Some(hook) => match deadline {
                None => send::post(hook, &delivery.payload).await,
                Some(deadline) => {
                    tokio::time::timeout_at(deadline, send::post(hook, &delivery.payload))
                        .await
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "webhook '{}' ({}): no answer before n8nops exited",
                                hook.name,
                                hook.origin()
                            ))
                        })
                }
            },
            None => Err(format!(
                "webhook '{}' is not in this n8nops' config ([[incidents.webhooks]])",
                delivery.target
            )),
        };
        let at = now.max(now_ms());
        let attempts = delivery.attempts.saturating_add(1);
        let (status, next, error, outcome) = match sent {
            Ok(()) => (DeliveryStatus::Delivered, at, None, Attempt::Delivered),
            Err(error) if attempts >= i64::from(cfg.max_attempts.max(1)) => {
                tracing::warn!(incident = delivery.incident_id, attempts, %error, "notification given up");
                (DeliveryStatus::Failed, at, Some(error), Attempt::GaveUp)
            }
            Err(error) => {
                let retry = at.saturating_add(backoff_ms(cfg.backoff_secs, attempts));
                tracing::info!(incident = delivery.incident_id, attempts, %error, "notification failed: will retry");
                (
                    DeliveryStatus::Pending,
                    retry,
                    Some(error),
                    Attempt::Retry { at: retry },
                )
            }
        };
        let delivered_at = matches!(outcome, Attempt::Delivered).then_some(at);
        let mut pause = RECORD_PAUSE;
        for tried in 1..=RECORD_TRIES {
            let recorded = async {
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
                .await
            }
            .await;
            match recorded {
                Ok(()) => return Ok(outcome),
                // Purged with its incident while it was sent: nothing left to record.
                Err(StoreError::NotFound(_)) => {
                    tracing::info!(
                        incident = delivery.incident_id,
                        webhook = %delivery.target,
                        event = %delivery.event,
                        "a notification's incident was purged while it was sent: its outcome is not kept"
                    );
                    return Ok(outcome);
                }
                Err(e) if tried == RECORD_TRIES => return Err(e),
                Err(e) => {
                    tracing::warn!(incident = delivery.incident_id, error = %e, "notifications: recording an attempt failed: trying again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
        Ok(outcome)
    }

    /// Starts the dispatcher in the background: it sends what is due, then sleeps
    /// until woken (`wake_notifier` of this service or a clone), until the earliest
    /// retry it scheduled, or `sweep_secs` at most (60 s when 0), and again. Off when
    /// read-only. Abort the handle to stop it.
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
        let notifier = self.notifier.clone();
        loop {
            // Listening before the round reads the outbox: a wake during the round
            // (something enqueued meanwhile) is not lost.
            let woken = notifier.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let rounds = self.deliver_rounds(now_ms(), None).await;
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

/// The class of the environment `env`; None when it is no longer known (it then gets
/// production's rules, the strictest, as in the incident views).
async fn env_class(conn: &mut AnyConnection, env: &str) -> OpsResult<Option<EnvClass>> {
    Ok(environments::find(conn, env).await?.map(|row| row.class))
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
