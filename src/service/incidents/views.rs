//! What faces see of incidents: the list, one incident with its timeline and
//! notifications, and the conversions from the store's rows. [`view`] is the one
//! conversion (webhook payloads use it too); [`Facts`] reads what it needs beside the
//! rows once per answer.

use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::{classes, clock, load, parse_risk, rules};
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{
    ClassPolicy, EventKind, IncidentKind, IncidentPolicy, IncidentState, sla_deadline,
};
use crate::domain::pipeline::Pipeline;
use crate::store::environments;
use crate::store::incidents::{self as store, DeliveryRow, EventRow, IncidentFilter, IncidentRow};
use crate::store::pipelines;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a remediation's timeline entry keeps as its detail: the job (revert), the
/// commit (accept) or the deployment (promotion of the fix) it refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
}

impl Reference {
    pub fn job(id: &str) -> String {
        json(&Reference {
            job_id: Some(id.to_owned()),
            ..Reference::default()
        })
    }

    pub fn commit(id: &str) -> String {
        json(&Reference {
            commit: Some(id.to_owned()),
            ..Reference::default()
        })
    }

    pub fn deployment(id: &str) -> String {
        json(&Reference {
            deployment: Some(id.to_owned()),
            ..Reference::default()
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

/// An incident as faces (and webhook payloads) show it: its SLA deadline under
/// `policy` (the class policy of its environment), `env_class` None when its
/// environment is gone (faces then treat it as production), and what may be done to
/// it by the service's rules; `promotable`: a pipeline stage leads into its
/// environment.
pub(in crate::service) fn view(
    row: &IncidentRow,
    policy: &ClassPolicy,
    env_class: Option<EnvClass>,
    promotable: bool,
) -> IncidentView {
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
        env_class,
        offered: rules::offered(row, promotable),
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
            (None, r.and_then(|r| r.job_id.or(r.commit).or(r.deployment)))
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

/// What the views of incidents need beside their rows: the policy in force, the
/// class of each environment, and the environments a pipeline stage leads into.
pub(super) struct Facts {
    pub policy: IncidentPolicy,
    pub classes: HashMap<String, EnvClass>,
    pub promotable: HashSet<String>,
}

impl Facts {
    /// The view of `row`; an environment that is gone gets production's policy.
    pub fn view(&self, row: &IncidentRow) -> IncidentView {
        let class = self.classes.get(&row.env).copied();
        let policy = self.policy.class(class.unwrap_or(EnvClass::Production));
        view(row, policy, class, self.promotable.contains(&row.env))
    }
}

impl LocalOps {
    /// Reads what views need beside the rows.
    pub(super) async fn facts(&self, conn: &mut sqlx::AnyConnection) -> OpsResult<Facts> {
        let (policy, _) = self.policy_in_force(conn).await?;
        let classes = classes(conn).await?;
        let promotable = self
            .pipelines_in_order(conn)
            .await?
            .iter()
            .flat_map(|p| p.stages.iter().map(|s| s.to.clone()))
            .collect();
        Ok(Facts {
            policy,
            classes,
            promotable,
        })
    }

    /// Every pipeline: the config's in their order, then the stored ones by name (one
    /// a config pipeline hides, or one that no longer reads, is left out).
    pub(super) async fn pipelines_in_order(
        &self,
        conn: &mut sqlx::AnyConnection,
    ) -> OpsResult<Vec<Pipeline>> {
        let mut all: Vec<Pipeline> = self.settings.pipelines.clone();
        for row in pipelines::list(conn).await? {
            if all.iter().any(|p| p.name == row.name) {
                continue;
            }
            match serde_json::from_str::<Pipeline>(&row.definition) {
                Ok(p) => all.push(p),
                Err(e) => {
                    tracing::warn!(pipeline = %row.name, error = %e, "a stored pipeline does not read: left out of the incidents' fix promotions");
                }
            }
        }
        Ok(all)
    }

    /// NotFound naming `env` when no environment has that name and `found` is empty
    /// (incidents of an environment removed since still list under its name).
    async fn known_env(
        &self,
        conn: &mut sqlx::AnyConnection,
        env: Option<&str>,
        found: bool,
    ) -> OpsResult<()> {
        let Some(env) = env else { return Ok(()) };
        if found || environments::find(conn, env).await?.is_some() {
            return Ok(());
        }
        Err(OpsError::new(
            ErrorKind::NotFound,
            format!("no environment named '{env}' (n8nops env list shows them)"),
        ))
    }

    /// Incidents matching `q` (the open ones when it names no state), worst first,
    /// then oldest first. An environment that is not known is NotFound, naming it.
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
        self.known_env(&mut conn, q.env.as_deref(), !rows.is_empty())
            .await?;
        let facts = self.facts(&mut conn).await?;
        Ok(rows.iter().map(|r| facts.view(r)).collect())
    }

    /// Whether the metrics of `env` have anything to say: NotFound naming it when no
    /// environment has that name and it had no incidents.
    pub(super) async fn stats_env_known(&self, env: Option<&str>, found: bool) -> OpsResult<()> {
        let mut conn = self.store.conn().await?;
        self.known_env(&mut conn, env, found).await
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
        Ok(self.facts(conn).await?.view(row))
    }

    /// The view of one row, read on a connection of its own.
    pub(super) async fn view_of(&self, row: &IncidentRow) -> OpsResult<IncidentView> {
        let mut conn = self.store.conn().await?;
        self.view_in(&mut conn, row).await
    }
}
