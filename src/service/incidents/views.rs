//! What faces see of incidents: the list, one incident with its timeline and
//! notifications, and the conversions from the store's rows.

use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{OpsError, OpsResult};
use super::{class_of, classes, clock, load, parse_risk};
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{
    ClassPolicy, EventKind, IncidentKind, IncidentPolicy, IncidentState, sla_deadline,
};
use crate::store::incidents::{self as store, DeliveryRow, EventRow, IncidentFilter, IncidentRow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a remediation's timeline entry keeps as its detail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Reference {
    pub fn job(id: &str) -> String {
        json(&Reference {
            job_id: Some(id.to_owned()),
            commit: None,
        })
    }

    pub fn commit(id: &str) -> String {
        json(&Reference {
            job_id: None,
            commit: Some(id.to_owned()),
        })
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The summary kept as JSON on a row or an event; what this version cannot read is
/// left out (logged).
pub(super) fn parse_summary(id: i64, text: Option<&str>) -> Option<DriftSummary> {
    let text = text?;
    serde_json::from_str(text)
        .map_err(|e| tracing::warn!(incident = id, error = %e, "unreadable drift summary"))
        .ok()
}

/// An incident as faces show it, its SLA deadline under `policy`.
pub(super) fn view(row: &IncidentRow, policy: &ClassPolicy) -> IncidentView {
    let drift = row.kind == IncidentKind::Drift;
    IncidentView {
        id: row.id,
        env: row.env.clone(),
        kind: row.kind,
        workflow: row.workflow.clone(),
        canonical_id: row.canonical_id.clone(),
        n8n_id: row.n8n_id.clone(),
        severity: row.severity,
        severity_manual: row.severity_manual,
        state: row.state,
        opened_at: time_from_ms(row.opened_at),
        sla_deadline: time_from_ms(sla_deadline(&clock(row), policy)),
        breached: row.breached_at.is_some(),
        escalations: row.escalations,
        assignee: row.assignee.clone(),
        acknowledged_by: row.acknowledged_by.clone(),
        acknowledged_at: row.acknowledged_at.map(time_from_ms),
        resolved_by: row.resolved_by.clone(),
        resolved_at: row.resolved_at.map(time_from_ms),
        resolution: row.resolution.clone(),
        drift_status: row.drift_status.as_deref().and_then(DriftStatus::parse),
        risk: row.risk.as_deref().and_then(parse_risk),
        summary: if drift {
            parse_summary(row.id, row.summary.as_deref())
        } else {
            None
        },
        failures: if drift { None } else { row.summary.clone() },
        updated_at: time_from_ms(row.updated_at),
        env_class: None,
        offered: Default::default(),
    }
}

fn event_view(e: EventRow) -> IncidentEventView {
    let (summary, reference) = match e.kind {
        EventKind::Opened | EventKind::Changed => {
            (parse_summary(e.incident_id, e.detail.as_deref()), None)
        }
        _ => {
            let r: Option<Reference> = e
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok());
            (None, r.and_then(|r| r.job_id.or(r.commit)))
        }
    };
    IncidentEventView {
        at: time_from_ms(e.at),
        actor: e.actor,
        kind: e.kind,
        text: e.text,
        summary,
        reference,
    }
}

fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        event: d.event,
        target: d.target,
        status: d.status,
        attempts: d.attempts,
        last_error: d.last_error,
        created_at: time_from_ms(d.created_at),
        delivered_at: d.delivered_at.map(time_from_ms),
    }
}

/// The views of `rows` under `policy`, each by its environment's class.
pub(super) fn views(
    rows: &[IncidentRow],
    policy: &IncidentPolicy,
    classes: &HashMap<String, EnvClass>,
) -> Vec<IncidentView> {
    rows.iter()
        .map(|r| view(r, policy.class(class_of(classes, &r.env))))
        .collect()
}

impl LocalOps {
    /// Incidents matching `q` (the open ones when it names no state), worst first,
    /// then oldest first.
    pub(in crate::service) async fn list_incidents(
        &self,
        q: &IncidentQuery,
    ) -> OpsResult<Vec<IncidentView>> {
        let states = if q.all {
            Vec::new()
        } else if q.states.is_empty() {
            vec![IncidentState::Open, IncidentState::Acknowledged]
        } else {
            q.states.clone()
        };
        let filter = IncidentFilter {
            states,
            severities: q.severities.clone(),
            env: q.env.clone(),
            kind: None,
            text: q
                .text
                .as_ref()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            opened_from: None,
            opened_to: None,
            limit: q.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)),
        };
        let mut conn = self.store.conn().await?;
        let rows = store::list(&mut conn, &filter).await?;
        let (policy, _) = self.policy_in_force(&mut conn).await?;
        let classes = classes(&mut conn).await?;
        Ok(views(&rows, &policy, &classes))
    }

    /// One incident with its timeline (oldest first) and notifications.
    pub(in crate::service) async fn show_incident(&self, id: i64) -> OpsResult<IncidentDetail> {
        let mut conn = self.store.conn().await?;
        let row = load(&mut conn, id).await?;
        let events = store::events(&mut conn, id).await?;
        let deliveries = store::deliveries(&mut conn, id).await?;
        let incident = self.view_in(&mut conn, &row).await?;
        Ok(IncidentDetail {
            incident,
            timeline: events.into_iter().map(event_view).collect(),
            deliveries: deliveries.into_iter().map(delivery_view).collect(),
        })
    }

    /// The view of one row under the policy in force.
    pub(super) async fn view_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        row: &IncidentRow,
    ) -> OpsResult<IncidentView> {
        let (policy, _) = self.policy_in_force(conn).await?;
        let classes = classes(conn).await?;
        Ok(view(row, policy.class(class_of(&classes, &row.env))))
    }

    /// The view of one row, read on a connection of its own.
    pub(super) async fn view_of(&self, row: &IncidentRow) -> OpsResult<IncidentView> {
        let mut conn = self.store.conn().await?;
        self.view_in(&mut conn, row).await
    }
}

/// The error of an operation on a kind of incident it does not apply to.
pub(super) fn not_for(row: &IncidentRow, what: &str) -> OpsError {
    OpsError::invalid(format!(
        "incident #{} {} is about failing executions: it cannot be {what}",
        row.id,
        super::described(row)
    ))
}
