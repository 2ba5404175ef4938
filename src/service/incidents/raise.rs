//! Incidents raised by a drift check of an environment that was reached.
//!
//! One open drift incident per workflow, keyed by its canonical id (DRIFTED, MISSING)
//! or `n8n:<id>` (UNTRACKED). A drifting workflow without one opens it; one whose
//! canonical or live fingerprint, or status, changed since is updated, its severity
//! following the drift unless someone set it by hand (and never below what escalation
//! reached), the new summary kept on the timeline; a severity that rises restarts the
//! SLA at the new level and notifies (`escalated`). An open drift incident whose
//! workflow no longer drifts is resolved by n8nops, saying so. All of one check in one
//! transaction, done again when another process changed one of its incidents
//! meanwhile.

use super::super::local::LocalOps;
use super::super::types::DriftSummary;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::{Announced, Notice, SYSTEM, mark_resolved, record_event, save, try_again, when};
use crate::domain::drift::{Compared, DriftStatus};
use crate::domain::incident::{EventKind, IncidentKind, drift_severity};
use crate::store::environments::EnvRow;
use crate::store::incidents::{self as store, IncidentRow, NewIncident};
use sqlx::AnyConnection;
use std::collections::HashSet;

/// What a check did to the incidents of its environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::service) struct DriftIncidents {
    pub opened: usize,
    pub changed: usize,
    pub resolved: usize,
    /// Of the changed, those whose severity rose (notified as escalated).
    pub escalated: usize,
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
            "incidents: {} opened, {} changed",
            self.opened, self.changed
        )?;
        if self.escalated > 0 {
            write!(f, " ({} more severe)", self.escalated)?;
        }
        write!(f, ", {} auto-resolved", self.resolved)
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

/// What a drift incident's `fingerprint` keeps: `expected:live`, the canonical and the
/// live fingerprints at the last observation (either empty when absent: MISSING has no
/// live side, UNTRACKED no canonical one), so a canonical version that moves while the
/// live one stays is a change too.
fn drift_print(c: &Compared) -> String {
    format!(
        "{}:{}",
        c.expected.as_deref().unwrap_or_default(),
        c.live.as_deref().unwrap_or_default()
    )
}

/// The live fingerprint a drift incident last saw (None: the workflow was gone).
/// Rows raised before the canonical side was kept hold the live fingerprint alone.
pub(super) fn live_print(row: &IncidentRow) -> Option<String> {
    let kept = row.fingerprint.as_deref()?;
    let live = kept.split_once(':').map_or(kept, |(_, live)| live);
    (!live.is_empty()).then(|| live.to_owned())
}

/// Whether `row` already saw the drift of `c` (same fingerprints, same status).
fn already_seen(row: &IncidentRow, c: &Compared) -> bool {
    let same = match row.fingerprint.as_deref() {
        Some(kept) if kept.contains(':') => kept == drift_print(c),
        // Raised before the canonical side was kept: the live side only.
        kept => kept == c.live.as_deref(),
    };
    same && row.drift_status.as_deref() == Some(c.status.as_str())
}

/// One drifting workflow as a check saw it.
struct Seen<'a> {
    c: &'a Compared,
    key: String,
    summary: DriftSummary,
    json: String,
    text: String,
}

impl LocalOps {
    /// Opens, updates and auto-resolves the drift incidents of `env` after a check made
    /// at `checked_at` that reached it; `compared` and `summaries` side by side, as the
    /// check made them. UNKNOWN workflows change nothing (call this only when the
    /// environment was reached and has a canonical state). When another process
    /// changed one of the incidents meanwhile, the whole is read and done again.
    #[cfg(test)]
    pub(in crate::service) async fn raise_from_drift(
        &self,
        env: &EnvRow,
        checked_at: i64,
        compared: &[Compared],
        summaries: &[Option<DriftSummary>],
    ) -> OpsResult<DriftIncidents> {
        self.raise_from_drift_among(env, checked_at, compared, summaries, None)
            .await
    }

    /// [`Self::raise_from_drift`], where an UNTRACKED workflow without an open incident
    /// opens one only when `new_untracked` holds its n8n id (None: every one may): the
    /// workflows that appeared since the previous check, not those left untracked on
    /// purpose.
    pub(in crate::service) async fn raise_from_drift_among(
        &self,
        env: &EnvRow,
        checked_at: i64,
        compared: &[Compared],
        summaries: &[Option<DriftSummary>],
        new_untracked: Option<&HashSet<String>>,
    ) -> OpsResult<DriftIncidents> {
        let mut seen = Vec::new();
        for (c, made) in compared.iter().zip(summaries) {
            let Some(key) = key_of(c) else { continue };
            let summary = summary_of(c, &env.name, made.as_ref());
            let json = serde_json::to_string(&summary).map_err(|e| {
                OpsError::internal(format!("the drift summary of '{}' as JSON: {e}", c.name))
            })?;
            let text = told(c.status, &summary);
            seen.push(Seen {
                c,
                key,
                summary,
                json,
                text,
            });
        }
        let mut attempt = 1;
        loop {
            match self.raise_once(env, checked_at, &seen, new_untracked).await {
                Err(e)
                    if try_again(
                        &e,
                        attempt,
                        &format!("the drift incidents of '{}'", env.name),
                    ) =>
                {
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// One try of [`Self::raise_from_drift`], in one transaction.
    async fn raise_once(
        &self,
        env: &EnvRow,
        checked_at: i64,
        seen: &[Seen<'_>],
        new_untracked: Option<&HashSet<String>>,
    ) -> OpsResult<DriftIncidents> {
        let mut tx = self.store.begin().await?;
        let mut done = DriftIncidents::default();
        let mut announced: Vec<Announced> = Vec::new();
        let mut drifting: HashSet<&str> = HashSet::new();
        for s in seen {
            drifting.insert(&s.key);
            match store::open_by_key(&mut tx, &env.name, IncidentKind::Drift, &s.key).await? {
                None if s.c.status == DriftStatus::Untracked
                    && new_untracked.is_some_and(|new| {
                        !s.c.n8n_id.as_ref().is_some_and(|id| new.contains(id))
                    }) => {}
                None => {
                    let row = self.open_drift(&mut tx, env, checked_at, s).await?;
                    done.opened += 1;
                    announced.push((row, EventKind::Opened));
                }
                Some(row) if already_seen(&row, s.c) => {}
                Some(row) => {
                    let (row, rose) = self.drift_changed(&mut tx, env, row, checked_at, s).await?;
                    done.changed += 1;
                    done.escalated += usize::from(rose);
                    announced.push((row, EventKind::Changed));
                }
            }
        }
        for row in store::open(&mut tx, Some(&env.name)).await? {
            if row.kind != IncidentKind::Drift || drifting.contains(row.key.as_str()) {
                continue;
            }
            let row = self.auto_resolve_drift(&mut tx, row, checked_at).await?;
            done.resolved += 1;
            announced.push((row, EventKind::AutoResolved));
        }
        tx.commit().await.map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!("committing the incidents of '{}': {e}", env.name),
            )
        })?;
        self.announce(&announced, done.opened + done.resolved + done.escalated > 0);
        Ok(done)
    }

    /// Opens the incident of a drifting workflow that has none.
    async fn open_drift(
        &self,
        conn: &mut AnyConnection,
        env: &EnvRow,
        checked_at: i64,
        s: &Seen<'_>,
    ) -> OpsResult<IncidentRow> {
        let c = s.c;
        let new = NewIncident {
            env: env.name.clone(),
            kind: IncidentKind::Drift,
            key: s.key.clone(),
            canonical_id: c.canonical_id.clone(),
            n8n_id: c.n8n_id.clone(),
            workflow: Some(c.name.clone()),
            severity: drift_severity(env.class, c.status, s.summary.risk),
            opened_at: checked_at,
            opened_by: SYSTEM.to_owned(),
            drift_status: Some(c.status.as_str().to_owned()),
            risk: s.summary.risk.map(|r| r.as_str().to_owned()),
            fingerprint: Some(drift_print(c)),
            summary: Some(s.json.clone()),
        };
        let id = store::insert(conn, &new).await?;
        let row = store::get(conn, id).await?;
        record_event(
            conn,
            &row,
            checked_at,
            SYSTEM,
            EventKind::Opened,
            Some(s.text.clone()),
            Some(s.json.clone()),
        )
        .await?;
        self.enqueue_notice(conn, &row, Notice::Opened).await?;
        Ok(row)
    }

    /// Updates an open incident whose drift changed: the new summary on the row and
    /// the timeline, the severity following it (unless set by hand, and never below
    /// what escalation reached). A severity that rises restarts the SLA at the new
    /// level and notifies `escalated`. Returns the row and whether it rose.
    async fn drift_changed(
        &self,
        conn: &mut AnyConnection,
        env: &EnvRow,
        mut row: IncidentRow,
        checked_at: i64,
        s: &Seen<'_>,
    ) -> OpsResult<(IncidentRow, bool)> {
        let c = s.c;
        let was = row.severity;
        row.workflow = Some(c.name.clone());
        row.n8n_id = c.n8n_id.clone().or(row.n8n_id.take());
        row.drift_status = Some(c.status.as_str().to_owned());
        row.risk = s.summary.risk.map(|r| r.as_str().to_owned());
        row.fingerprint = Some(drift_print(c));
        row.summary = Some(s.json.clone());
        if !row.severity_manual {
            let derived = drift_severity(env.class, c.status, s.summary.risk);
            row.severity = if row.escalations > 0 {
                derived.max(row.severity)
            } else {
                derived
            };
        }
        let rose = row.severity > was;
        let mut text = s.text.clone();
        if rose {
            row.sla_started_at = checked_at;
            text.push_str(&format!(
                "; severity up from {was} to {} (its SLA starts again)",
                row.severity
            ));
        } else if row.severity < was {
            text.push_str(&format!("; severity down from {was} to {}", row.severity));
        }
        row.updated_at = checked_at;
        save(conn, &mut row).await?;
        record_event(
            conn,
            &row,
            checked_at,
            SYSTEM,
            EventKind::Changed,
            Some(text),
            Some(s.json.clone()),
        )
        .await?;
        if rose {
            self.enqueue_notice(conn, &row, Notice::Escalated).await?;
        }
        Ok((row, rose))
    }

    /// Resolves a drift incident whose workflow was in sync at the check of `at`.
    async fn auto_resolve_drift(
        &self,
        conn: &mut AnyConnection,
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
        mark_resolved(&mut row, SYSTEM, at, note.clone());
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
