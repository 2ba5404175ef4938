//! Incidents raised by a drift check of an environment that was reached.
//!
//! One open drift incident per workflow, keyed by its canonical id (DRIFTED, MISSING)
//! or `n8n:<id>` (UNTRACKED). A drifting workflow without one opens it; one whose live
//! fingerprint or status changed since is updated, its severity following the drift
//! unless someone set it by hand (and never below what escalation reached), the new
//! summary kept on the timeline; an open drift incident whose workflow no longer
//! drifts is resolved by n8nops, saying so. All of one check in one transaction.

use super::super::local::LocalOps;
use super::super::types::DriftSummary;
use super::super::{OpsError, OpsResult};
use super::{Announced, Notice, SYSTEM, record_event, save, when};
use crate::domain::drift::{Compared, DriftStatus};
use crate::domain::incident::{EventKind, IncidentKind, IncidentState, drift_severity};
use crate::store::environments::EnvRow;
use crate::store::incidents::{self as store, IncidentRow, NewIncident};
use std::collections::HashSet;

/// What a check did to the incidents of its environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::service) struct DriftIncidents {
    pub opened: usize,
    pub changed: usize,
    pub resolved: usize,
}

impl DriftIncidents {
    pub fn any(&self) -> bool {
        self.opened + self.changed + self.resolved > 0
    }
}

impl std::fmt::Display for DriftIncidents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "incidents: {} opened, {} changed, {} auto-resolved",
            self.opened, self.changed, self.resolved
        )
    }
}

/// The key of the incident a compared workflow raises; None when it does not drift.
fn key_of(c: &Compared) -> Option<String> {
    match c.status {
        DriftStatus::Drifted | DriftStatus::Missing => c.canonical_id.clone(),
        DriftStatus::Untracked => c.n8n_id.as_ref().map(|id| format!("n8n:{id}")),
        DriftStatus::InSync | DriftStatus::Unknown => None,
    }
}

/// The summary kept for a workflow: the check's, or a line saying what its status
/// means when the check made none (MISSING, UNTRACKED, or a summary that failed).
fn summary_of(c: &Compared, env: &str, made: Option<&DriftSummary>) -> DriftSummary {
    if let Some(s) = made {
        return s.clone();
    }
    let line = match c.status {
        DriftStatus::Missing => format!("'{}' is gone from '{env}'", c.name),
        DriftStatus::Untracked => {
            format!("'{}' is in '{env}' but not in the canonical state", c.name)
        }
        _ => format!(
            "'{}' in '{env}' differs from its canonical version (no summary could be made)",
            c.name
        ),
    };
    DriftSummary {
        changes: 0,
        risk: None,
        renamed_from: None,
        lines: vec![line],
    }
}

/// The timeline's words for a drift: `DRIFTED: 3 changes, HIGH risk: <first line>`.
fn told(status: DriftStatus, summary: &DriftSummary) -> String {
    let mut text = status.as_str().to_owned();
    if status == DriftStatus::Drifted && summary.changes > 0 {
        let s = if summary.changes == 1 { "" } else { "s" };
        text.push_str(&format!(": {} change{s}", summary.changes));
        if let Some(risk) = summary.risk {
            text.push_str(&format!(", {risk} risk"));
        }
    }
    if let Some(first) = summary.lines.first() {
        text.push_str(&format!(" ({first})"));
    }
    text
}

impl LocalOps {
    /// Opens, updates and auto-resolves the drift incidents of `env` after a check made
    /// at `checked_at` that reached it; `compared` and `summaries` side by side, as the
    /// check made them. UNKNOWN workflows change nothing (call this only when the
    /// environment was reached).
    pub(in crate::service) async fn raise_from_drift(
        &self,
        env: &EnvRow,
        checked_at: i64,
        compared: &[Compared],
        summaries: &[Option<DriftSummary>],
    ) -> OpsResult<DriftIncidents> {
        let mut tx = self.store.begin().await?;
        let mut done = DriftIncidents::default();
        let mut announced: Vec<Announced> = Vec::new();
        let mut drifting: HashSet<String> = HashSet::new();
        for (c, made) in compared.iter().zip(summaries) {
            let Some(key) = key_of(c) else { continue };
            drifting.insert(key.clone());
            let summary = summary_of(c, &env.name, made.as_ref());
            let risk = made.as_ref().and_then(|s| s.risk);
            let severity = drift_severity(env.class, c.status, risk);
            let json = serde_json::to_string(&summary).map_err(|e| {
                OpsError::internal(format!("the drift summary of '{}' as JSON: {e}", c.name))
            })?;
            let text = told(c.status, &summary);
            match store::open_by_key(&mut tx, &env.name, IncidentKind::Drift, &key).await? {
                None => {
                    let new = NewIncident {
                        env: env.name.clone(),
                        kind: IncidentKind::Drift,
                        key,
                        canonical_id: c.canonical_id.clone(),
                        n8n_id: c.n8n_id.clone(),
                        workflow: Some(c.name.clone()),
                        severity,
                        opened_at: checked_at,
                        opened_by: SYSTEM.to_owned(),
                        drift_status: Some(c.status.as_str().to_owned()),
                        risk: risk.map(|r| r.as_str().to_owned()),
                        fingerprint: c.live.clone(),
                        summary: Some(json.clone()),
                    };
                    let id = store::insert(&mut tx, &new).await?;
                    let row = store::get(&mut tx, id).await?;
                    record_event(
                        &mut tx,
                        &row,
                        checked_at,
                        SYSTEM,
                        EventKind::Opened,
                        Some(text),
                        Some(json),
                    )
                    .await?;
                    self.enqueue_notice(&mut tx, &row, Notice::Opened).await?;
                    done.opened += 1;
                    announced.push((row, EventKind::Opened));
                }
                Some(mut row) => {
                    let status = c.status.as_str();
                    if row.fingerprint == c.live && row.drift_status.as_deref() == Some(status) {
                        continue;
                    }
                    row.workflow = Some(c.name.clone());
                    row.n8n_id = c.n8n_id.clone().or(row.n8n_id.take());
                    row.drift_status = Some(status.to_owned());
                    row.risk = risk.map(|r| r.as_str().to_owned());
                    row.fingerprint = c.live.clone();
                    row.summary = Some(json.clone());
                    if !row.severity_manual {
                        row.severity = if row.escalations > 0 {
                            severity.max(row.severity)
                        } else {
                            severity
                        };
                    }
                    row.updated_at = checked_at;
                    save(&mut tx, &mut row).await?;
                    record_event(
                        &mut tx,
                        &row,
                        checked_at,
                        SYSTEM,
                        EventKind::Changed,
                        Some(text),
                        Some(json),
                    )
                    .await?;
                    done.changed += 1;
                    announced.push((row, EventKind::Changed));
                }
            }
        }
        for row in store::open(&mut tx, Some(&env.name)).await? {
            if row.kind != IncidentKind::Drift || drifting.contains(&row.key) {
                continue;
            }
            let row = self.auto_resolve_drift(&mut tx, row, checked_at).await?;
            done.resolved += 1;
            announced.push((row, EventKind::AutoResolved));
        }
        tx.commit().await.map_err(|e| {
            OpsError::new(
                super::ErrorKind::Store,
                format!("committing the incidents of '{}': {e}", env.name),
            )
        })?;
        self.announce(&announced, done.opened + done.resolved > 0);
        Ok(done)
    }

    /// Resolves a drift incident whose workflow was in sync at the check of `at`.
    async fn auto_resolve_drift(
        &self,
        conn: &mut sqlx::AnyConnection,
        mut row: IncidentRow,
        at: i64,
    ) -> OpsResult<IncidentRow> {
        let note = format!(
            "the drift went away: {} was no longer drifting at the check of {}",
            row.workflow
                .as_deref()
                .map_or_else(|| "the workflow".to_owned(), |w| format!("'{w}'")),
            when(at)
        );
        row.state = IncidentState::Resolved;
        row.resolved_at = Some(at);
        row.resolved_by = Some(SYSTEM.to_owned());
        row.resolution = Some(note.clone());
        row.updated_at = at;
        save(conn, &mut row).await?;
        record_event(
            conn,
            &row,
            at,
            SYSTEM,
            EventKind::AutoResolved,
            Some(note),
            None,
        )
        .await?;
        self.enqueue_notice(conn, &row, Notice::Resolved).await?;
        Ok(row)
    }
}
