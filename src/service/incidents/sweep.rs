//! The sweep: what the clock does to incidents. Each open incident past its TTL
//! escalates one level (a fresh TTL at the new level, a notification); an
//! acknowledged one left untouched past the acknowledgement timeout reopens. Then the
//! failing-execution thresholds are checked, retention removes old resolved incidents
//! and drift history, and the notifications that are due go out.
//!
//! A sweep that runs late still escalates one level at a time: the next level's TTL
//! starts at the sweep, so two levels are never skipped at once.

use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{ErrorKind, OpsResult};
use super::{
    Announced, DAY_MS, Notice, SYSTEM, class_of, classes, clock, load, record_event, rules, save,
    when,
};
use crate::domain::incident::{ClassPolicy, Due, EventKind, HOUR_MS, IncidentState, due};
use crate::store::incidents::{self as store, IncidentRow};
use crate::store::now_ms;
use sqlx::AnyConnection;

/// `days` before `now` (ms); None when `days` is 0 (kept forever).
fn cutoff(now: i64, days: u64) -> Option<i64> {
    (days > 0).then(|| {
        now.saturating_sub(
            i64::try_from(days)
                .unwrap_or(i64::MAX)
                .saturating_mul(DAY_MS),
        )
    })
}

impl LocalOps {
    pub(in crate::service) async fn sweep_incidents(&self) -> OpsResult<SweepReport> {
        self.sweep_at(now_ms()).await
    }

    /// One sweep at `now` (ms). An incident or environment that fails is logged, named
    /// in the report's failures, and the sweep goes on (an incident someone changed
    /// meanwhile is no failure: the next sweep looks again); only a store that cannot
    /// be read fails it.
    pub(in crate::service) async fn sweep_at(&self, now: i64) -> OpsResult<SweepReport> {
        let mut report = SweepReport::default();
        let mut conn = self.store.conn().await?;
        let (policy, _) = self.policy_in_force(&mut conn).await?;
        let classes = classes(&mut conn).await?;
        let open = store::open(&mut conn, None).await?;
        drop(conn);
        for row in open {
            let class_policy = policy.class(class_of(&classes, &row.env));
            if due(&clock(&row), class_policy, now).is_none() {
                continue;
            }
            let id = row.id;
            match self.clock_due(id, class_policy, now).await {
                Ok(Some(Due::Breach { .. })) => report.escalated += 1,
                Ok(Some(Due::Reopen)) => report.reopened += 1,
                Ok(None) => {}
                Err(e) if e.kind == ErrorKind::Conflict => {
                    tracing::info!(
                        incident = id,
                        "changed meanwhile: the next sweep looks again"
                    );
                }
                Err(e) => {
                    tracing::warn!(incident = id, error = %e.message, "the sweep could not update an incident");
                    report.failures.push(format!(
                        "{}: not swept: {}",
                        rules::named(&row),
                        e.message
                    ));
                }
            }
        }
        let thresholds = self.failure_thresholds(&policy, &classes, now).await;
        report.failures_opened = thresholds.opened;
        report.failures_resolved = thresholds.resolved;
        report.failures.extend(thresholds.failures);
        let mut tx = self.store.begin().await?;
        if let Some(before) = cutoff(now, policy.retention_days) {
            report.purged_incidents = store::purge_resolved(&mut tx, before).await?;
        }
        if let Some(before) = cutoff(now, policy.drift_history_days) {
            report.purged_checks = crate::store::drift::purge_before(&mut tx, before).await?;
        }
        tx.commit().await.map_err(|e| {
            super::OpsError::new(
                ErrorKind::Store,
                format!("committing the incident retention: {e}"),
            )
        })?;
        let (delivered, failed) = self.deliver_due(now).await;
        report.delivered = delivered;
        report.delivery_failures = failed;
        Ok(report)
    }

    /// Applies what the clock says is due for incident `id` at `now` (read again in
    /// the transaction); what it did, if anything.
    async fn clock_due(&self, id: i64, policy: &ClassPolicy, now: i64) -> OpsResult<Option<Due>> {
        let mut tx = self.store.begin().await?;
        let mut row = load(&mut tx, id).await?;
        let Some(what) = due(&clock(&row), policy, now) else {
            return Ok(None);
        };
        let (announced, notified) = match what {
            Due::Breach { to } => self.breach(&mut tx, &mut row, to, policy, now).await?,
            Due::Reopen => {
                let text = format!(
                    "acknowledgement timed out after {} min (acknowledged by {} at {})",
                    policy.ack_timeout_mins,
                    row.acknowledged_by.as_deref().unwrap_or("someone"),
                    row.acknowledged_at.map(when).unwrap_or_default()
                );
                row.state = IncidentState::Open;
                row.acknowledged_at = None;
                row.acknowledged_by = None;
                row.updated_at = now;
                save(&mut tx, &mut row).await?;
                record_event(
                    &mut tx,
                    &row,
                    now,
                    SYSTEM,
                    EventKind::Reopened,
                    Some(text),
                    None,
                )
                .await?;
                ((row, EventKind::Reopened), false)
            }
        };
        tx.commit().await.map_err(|e| {
            super::OpsError::new(
                ErrorKind::Store,
                format!("committing the sweep of incident #{id}: {e}"),
            )
        })?;
        self.announce(&[announced], notified);
        Ok(Some(what))
    }

    /// Past its TTL: up to `to` (the same when already critical), breached, a fresh
    /// TTL from `now`, and a notification (escalated, or breached again).
    async fn breach(
        &self,
        conn: &mut AnyConnection,
        row: &mut IncidentRow,
        to: crate::domain::incident::Severity,
        policy: &ClassPolicy,
        now: i64,
    ) -> OpsResult<(Announced, bool)> {
        let from = row.severity;
        let hours = policy.ttl_hours.ms(from) / HOUR_MS;
        let (text, notice) = if to > from {
            (
                format!("SLA breached after {hours} h: escalated from {from} to {to}"),
                Notice::Escalated,
            )
        } else {
            (
                format!("SLA breached after {hours} h at {from}"),
                Notice::Breached,
            )
        };
        row.severity = to;
        row.escalations += 1;
        row.breached_at.get_or_insert(now);
        row.sla_started_at = now;
        row.updated_at = now;
        save(conn, row).await?;
        record_event(
            conn,
            row,
            now,
            SYSTEM,
            EventKind::Escalated,
            Some(text),
            None,
        )
        .await?;
        self.enqueue_notice(conn, row, notice).await?;
        Ok(((row.clone(), EventKind::Escalated), true))
    }
}
