//! What people do to an incident: acknowledge, resolve (with a note saying how), note,
//! assign, set the severity. Each is a compare-and-set update, a timeline entry and an
//! audit event in one transaction; each counts as activity (the acknowledgement
//! timeout starts again). A resolved incident only takes notes.

use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{OpsError, OpsResult};
use super::{Notice, described, load, mark_resolved, record_event, rules, save};
use crate::domain::incident::{Action, EventKind};
use crate::store::incidents::IncidentRow;
use crate::store::now_ms;
use sqlx::AnyConnection;

/// What one change did: its timeline entry, whether it enqueued notifications, and
/// the audit detail's end.
struct Changed {
    kind: EventKind,
    notified: bool,
    what: String,
}

/// The audit action of a change.
fn action_of(change: &IncidentChange) -> &'static str {
    match change {
        IncidentChange::Acknowledge { .. } => "incident.ack",
        IncidentChange::Resolve { .. } => "incident.resolve",
        IncidentChange::Note { .. } => "incident.note",
        IncidentChange::Assign { .. } => "incident.assign",
        IncidentChange::Severity { .. } => "incident.severity",
    }
}

/// The lifecycle action of a change.
fn action_kind(change: &IncidentChange) -> Action {
    match change {
        IncidentChange::Acknowledge { .. } => Action::Acknowledge,
        IncidentChange::Resolve { .. } => Action::Resolve,
        IncidentChange::Note { .. } => Action::Note,
        IncidentChange::Assign { .. } => Action::Assign,
        IncidentChange::Severity { .. } => Action::SetSeverity,
    }
}

/// `text` trimmed, None when nothing is left.
fn given(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl LocalOps {
    pub(in crate::service) async fn update_incident(
        &self,
        req: IncidentUpdate,
    ) -> OpsResult<IncidentView> {
        self.update_incident_at(req, now_ms()).await
    }

    /// Applies `req` at `now` (ms) as this service's actor.
    pub(in crate::service) async fn update_incident_at(
        &self,
        req: IncidentUpdate,
        now: i64,
    ) -> OpsResult<IncidentView> {
        let action = action_of(&req.change);
        let found = async {
            let mut conn = self.store.conn().await?;
            load(&mut conn, req.id).await
        };
        let env = match found.await {
            Ok(row) => row.env,
            Err(e) => {
                self.audit_failure(action, None, &e).await;
                return Err(e);
            }
        };
        let ops = self.clone();
        let actor = self.settings.actor.clone();
        let (row, changed) = self
            .audited(action, Some(&env), move |conn| {
                Box::pin(async move {
                    let mut row = load(conn, req.id).await?;
                    let changed = ops.change(conn, &mut row, &req.change, &actor, now).await?;
                    let detail =
                        format!("incident #{} {}: {}", row.id, described(&row), changed.what);
                    Ok(((row, changed), Some(detail)))
                })
            })
            .await?;
        self.announce(&[(row.clone(), changed.kind)], changed.notified);
        self.view_of(&row).await
    }

    /// Applies one change to `row` (read in this transaction) and records it. What
    /// the lifecycle refuses (`rules::lifecycle`) is refused before anything changes.
    async fn change(
        &self,
        conn: &mut AnyConnection,
        row: &mut IncidentRow,
        change: &IncidentChange,
        actor: &str,
        now: i64,
    ) -> OpsResult<Changed> {
        let name = || rules::named(row);
        let next = rules::lifecycle(row, action_kind(change))?;
        let (kind, text, what) = match change {
            IncidentChange::Acknowledge { note } => {
                row.state = next;
                row.acknowledged_at = Some(now);
                row.acknowledged_by = Some(actor.to_owned());
                row.first_acknowledged_at.get_or_insert(now);
                (
                    EventKind::Acknowledged,
                    given(note.as_deref()),
                    "acknowledged".to_owned(),
                )
            }
            IncidentChange::Resolve { note } => {
                let note = given(Some(note)).ok_or_else(|| {
                    OpsError::invalid(format!(
                        "resolving {} needs a note saying how it was resolved",
                        name()
                    ))
                })?;
                mark_resolved(row, actor, now, note.clone());
                (EventKind::Resolved, Some(note), "resolved".to_owned())
            }
            IncidentChange::Note { text } => {
                let text = given(Some(text)).ok_or_else(|| {
                    OpsError::invalid(format!("a note on {} needs some text", name()))
                })?;
                (EventKind::Note, Some(text), "noted".to_owned())
            }
            IncidentChange::Assign { user } => {
                let user = given(user.as_deref());
                row.assignee = user.clone();
                let what = match &user {
                    Some(u) => format!("assigned to {u}"),
                    None => "unassigned".to_owned(),
                };
                (EventKind::Assigned, Some(what.clone()), what)
            }
            IncidentChange::Severity { severity } => {
                let what = format!("severity set to {severity} (was {})", row.severity);
                row.severity = *severity;
                row.severity_manual = true;
                row.sla_started_at = now;
                (EventKind::SeverityChanged, Some(what.clone()), what)
            }
        };
        row.last_activity_at = now;
        row.updated_at = now;
        save(conn, row).await?;
        record_event(conn, row, now, actor, kind, text, None).await?;
        let notified = kind == EventKind::Resolved;
        if notified {
            self.enqueue_notice(conn, row, Notice::Resolved).await?;
        }
        Ok(Changed {
            kind,
            notified,
            what,
        })
    }
}
