//! Incidents: raised from drift checks ([`raise`]) and failing executions
//! ([`failures`]), their lifecycle ([`lifecycle`]), remediation from the incident
//! ([`remediate`]) and promotions of its fix ([`promotion`]), what may be done to one
//! ([`rules`]: the operations refuse and the views offer by the same rules), the SLA
//! sweep ([`sweep`]), the metrics ([`stats`]), the policy in force ([`policy`]) and
//! what faces see of them ([`views`]).
//!
//! Every change of an incident is a compare-and-set update of its row, a timeline
//! entry and the notifications it calls for, in one transaction; once that is
//! committed an `EventBody::Incident` goes out on the bus (job id `incident-<id>`) and
//! the notification dispatcher is woken. The core of each operation takes `now` (ms),
//! so tests drive the clock.

mod failures;
mod lifecycle;
mod policy;
mod promotion;
mod raise;
mod remediate;
mod rules;
mod stats;
mod sweep;
pub(in crate::service) mod views;

use super::events::EventBody;
use super::local::LocalOps;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::diff::Risk;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{Clock, EventKind, IncidentState};
use crate::store::StoreError;
use crate::store::environments;
use crate::store::incidents::{self as store, IncidentRow, NewEvent};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Who the incidents' own changes are made by (opened, auto-resolved, escalated).
const SYSTEM: &str = "n8nops";

/// One day in milliseconds.
const DAY_MS: i64 = 24 * crate::domain::incident::HOUR_MS;

/// What a notification is about: the delivery's `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    Opened,
    Escalated,
    /// Past its SLA again while already critical.
    Breached,
    Resolved,
}

impl Notice {
    fn as_str(self) -> &'static str {
        match self {
            Notice::Opened => "opened",
            Notice::Escalated => "escalated",
            Notice::Breached => "breached",
            Notice::Resolved => "resolved",
        }
    }
}

/// A change committed, to announce on the bus.
type Announced = (IncidentRow, EventKind);

/// The incident `id`; NotFound "no incident #N" when there is none.
async fn load(conn: &mut AnyConnection, id: i64) -> OpsResult<IncidentRow> {
    match store::get(conn, id).await {
        Ok(row) => Ok(row),
        Err(StoreError::NotFound(_)) => Err(no_incident(id)),
        Err(e) => Err(e.into()),
    }
}

fn no_incident(id: i64) -> OpsError {
    OpsError::not_found(format!("no incident #{id}"))
}

/// How many times the incident changes of one environment (a drift check's, a
/// sweep's failing executions) are tried: another process changing one of its
/// incidents meanwhile makes a save a Conflict, and the whole transaction is read and
/// done again.
pub(in crate::service) const ATTEMPTS: usize = 3;

/// Whether `attempt` (from 1), which failed with `e`, is tried again; logs why.
fn try_again(e: &OpsError, attempt: usize, what: &str) -> bool {
    let again = e.kind == ErrorKind::Conflict && attempt < ATTEMPTS;
    if again {
        tracing::info!(attempt, error = %e.message, "{what}: changed meanwhile, trying again");
    }
    again
}

#[cfg(test)]
tokio::task_local! {
    /// Tests: how many of the next saves in this task find their row changed
    /// meanwhile, as another process's commit between the read and the save would.
    pub(in crate::service) static CONFLICTS: std::cell::Cell<usize>;
}

/// Whether a test asked this save to find its row changed meanwhile.
#[cfg(test)]
fn conflict_injected() -> bool {
    CONFLICTS
        .try_with(|left| {
            let n = left.get();
            left.set(n.saturating_sub(1));
            n > 0
        })
        .unwrap_or(false)
}

#[cfg(not(test))]
fn conflict_injected() -> bool {
    false
}

/// Writes every mutable field of `row` if nobody changed it since it was read (then
/// its version moves on); Conflict naming the incident otherwise.
async fn save(conn: &mut AnyConnection, row: &mut IncidentRow) -> OpsResult<()> {
    let written = !conflict_injected() && store::update(conn, row).await?;
    if !written {
        return Err(OpsError::new(
            ErrorKind::Conflict,
            format!(
                "incident #{} {} was changed by someone else meanwhile: look at it again",
                row.id,
                described(row)
            ),
        ));
    }
    row.version += 1;
    Ok(())
}

/// Adds a timeline entry to `row`.
async fn record_event(
    conn: &mut AnyConnection,
    row: &IncidentRow,
    at: i64,
    actor: &str,
    kind: EventKind,
    text: Option<String>,
    detail: Option<String>,
) -> OpsResult<()> {
    let event = NewEvent {
        incident_id: row.id,
        at,
        actor: actor.to_owned(),
        kind,
        text,
        detail,
    };
    store::add_event(conn, &event).await?;
    Ok(())
}

/// `'Orders' in prod`, or `in prod` for a whole-environment incident: how messages
/// name an incident after its number.
fn described(row: &IncidentRow) -> String {
    match &row.workflow {
        Some(w) => format!("('{w}' in '{}')", row.env),
        None => format!("(environment '{}')", row.env),
    }
}

/// Marks `row` resolved by `by` at `at` with `resolution` (the note saying how): the
/// one place a row becomes RESOLVED. Saving it and its timeline entry are the
/// caller's.
fn mark_resolved(row: &mut IncidentRow, by: &str, at: i64, resolution: String) {
    row.state = IncidentState::Resolved;
    row.resolved_at = Some(at);
    row.resolved_by = Some(by.to_owned());
    row.resolution = Some(resolution);
    row.updated_at = at;
}

/// The clock facts of a row.
pub(in crate::service) fn clock(row: &IncidentRow) -> Clock {
    Clock {
        state: row.state,
        severity: row.severity,
        sla_started_at: row.sla_started_at,
        last_activity_at: row.last_activity_at,
    }
}

/// `LOW`, `MEDIUM`, `HIGH` (as stored; any case, spaces around ignored) back to a
/// risk.
pub(in crate::service) fn parse_risk(text: &str) -> Option<Risk> {
    [Risk::Low, Risk::Medium, Risk::High]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(text.trim()))
}

/// The class of every stored environment by name.
async fn classes(conn: &mut AnyConnection) -> OpsResult<HashMap<String, EnvClass>> {
    Ok(environments::list(conn)
        .await?
        .into_iter()
        .map(|e| (e.name, e.class))
        .collect())
}

/// The class of `env`; an environment removed since its incidents were raised gets
/// production's rules (the strictest).
fn class_of(classes: &HashMap<String, EnvClass>, env: &str) -> EnvClass {
    classes.get(env).copied().unwrap_or(EnvClass::Production)
}

/// A time (ms) as people read it in a timeline: `2026-11-22 16:38 UTC`.
pub(in crate::service) fn when(ms: i64) -> String {
    super::types::time_from_ms(ms)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

impl LocalOps {
    /// Announces a committed change of an incident on the bus.
    fn publish_incident(&self, row: &IncidentRow, change: EventKind) {
        self.bus.publish(
            &format!("incident-{}", row.id),
            EventBody::Incident {
                id: row.id,
                env: row.env.clone(),
                workflow: row.workflow.clone(),
                severity: row.severity,
                state: row.state,
                change,
            },
        );
    }

    /// Announces every change of a committed transaction, and wakes the notification
    /// dispatcher when any of them enqueued a delivery.
    fn announce(&self, changes: &[Announced], notified: bool) {
        for (row, change) in changes {
            self.publish_incident(row, *change);
        }
        if notified {
            self.wake_deliveries();
        }
    }

    /// Enqueues the notifications of `notice` about `row` (as it now is), in the
    /// caller's transaction; notify.rs decides from the policy and the webhooks
    /// whether any go.
    async fn enqueue_notice(
        &self,
        conn: &mut AnyConnection,
        row: &IncidentRow,
        notice: Notice,
    ) -> OpsResult<()> {
        self.notify(conn, row, notice.as_str()).await?;
        Ok(())
    }

    /// Wakes the notification dispatcher: what was just enqueued goes out now.
    fn wake_deliveries(&self) {
        self.wake_notifier();
    }
}
