//! Read operations over what the store holds: workflows, jobs, the audit log.

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::domain::drift::DriftStatus;
use crate::domain::workflow::{credential_refs, matches_search, resolve_ids};
use crate::store::drift::{self, DriftCheckRow, DriftResultRow};
use crate::store::{audit, environments, jobs, workflows};
use std::collections::HashMap;

const DEFAULT_LIMIT: usize = 100;

impl LocalOps {
    /// The catalog: stored workflows with their canonical ids and drift.
    pub(super) async fn list_workflows(
        &self,
        q: &WorkflowQuery,
    ) -> OpsResult<Vec<WorkflowSummary>> {
        let mut summaries = self.stored_summaries(q).await?;
        let mut conn = self.store.conn().await?;
        let checks = drift::latest(&mut conn, q.env.as_deref()).await?;
        drop(conn);
        fill_drift(&mut summaries, checks);
        self.fill_canonical_ids(&mut summaries).await;
        Ok(summaries)
    }

    /// Stored workflows as the store holds them (no canonical ids, no drift).
    async fn stored_summaries(&self, q: &WorkflowQuery) -> OpsResult<Vec<WorkflowSummary>> {
        let mut conn = self.store.conn().await?;
        if let Some(env) = &q.env {
            environments::get(&mut conn, env).await?;
        }
        let filter = workflows::Filter {
            env: q.env.clone(),
            active: q.active,
        };
        let search = q.search.as_deref().unwrap_or("");
        let wanted = |r: &workflows::WorkflowRow| {
            matches_search(&r.name, &r.node_types, search)
                && q.tag
                    .as_ref()
                    .is_none_or(|t| r.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
        };
        let mut summaries = Vec::new();
        workflows::visit(&mut conn, &filter, |row| {
            if wanted(&row) {
                summaries.push(summary(row));
            }
        })
        .await?;
        // The store orders by name then environment name; within a name, promotion
        // order (development, staging, production) reads better.
        let classes: HashMap<String, _> = environments::list(&mut conn)
            .await?
            .into_iter()
            .map(|e| (e.name, e.class))
            .collect();
        summaries.sort_by(|a, b| {
            (&a.name, classes.get(&a.env), &a.env).cmp(&(&b.name, classes.get(&b.env), &b.env))
        });
        Ok(summaries)
    }

    /// Each workflow's canonical id, from the mappings at the branch head. Without a
    /// readable repository the ids stay None (logged): the catalog works without Git.
    async fn fill_canonical_ids(&self, summaries: &mut [WorkflowSummary]) {
        if summaries.is_empty() {
            return;
        }
        let state = match self.canonical_if_any().await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, "the catalog shows no canonical ids: the canonical state cannot be read");
                return;
            }
        };
        let by_env: HashMap<&str, HashMap<&str, &str>> = state
            .mappings
            .iter()
            .map(|(env, m)| (env.as_str(), m.by_n8n_id()))
            .collect();
        for s in summaries {
            s.canonical_id = by_env
                .get(s.env.as_str())
                .and_then(|ids| ids.get(s.id.as_str()))
                .map(|id| (*id).to_owned());
        }
    }

    pub(super) async fn resolve_workflows(
        &self,
        env: &str,
        given: &[String],
    ) -> OpsResult<Vec<WorkflowRef>> {
        let held = self
            .stored_summaries(&WorkflowQuery {
                env: Some(env.to_owned()),
                ..Default::default()
            })
            .await?;
        let ids = resolve_ids(
            env,
            given,
            held.iter().map(|w| (w.id.as_str(), w.name.as_str())),
        )
        .map_err(OpsError::invalid)?;
        Ok(ids
            .into_iter()
            .map(|id| WorkflowRef {
                env: env.to_owned(),
                id,
            })
            .collect())
    }

    pub(super) async fn get_workflow(&self, w: &WorkflowRef) -> OpsResult<WorkflowDetail> {
        let mut conn = self.store.conn().await?;
        environments::get(&mut conn, &w.env).await?;
        let (row, raw, normalized) =
            workflows::get(&mut conn, &w.env, &w.id)
                .await?
                .ok_or_else(|| {
                    OpsError::not_found(format!("no workflow with id {} in '{}'", w.id, w.env))
                })?;
        let parse = |text: &str, what: &str| {
            serde_json::from_str(text).map_err(|e| {
                OpsError::new(
                    super::ErrorKind::Store,
                    format!(
                        "stored {what} JSON of workflow {} in '{}' is damaged: {e}",
                        w.id, w.env
                    ),
                )
            })
        };
        let raw: serde_json::Value = parse(&raw, "raw")?;
        let normalized = parse(&normalized, "normalized")?;
        Ok(WorkflowDetail {
            node_types: row.node_types.clone(),
            credentials: credential_refs(&raw),
            summary: summary(row),
            raw,
            normalized,
        })
    }

    pub(super) async fn list_jobs(&self, q: &JobQuery) -> OpsResult<Vec<JobView>> {
        let mut conn = self.store.conn().await?;
        let rows = jobs::list(&mut conn, q.limit.unwrap_or(DEFAULT_LIMIT) as i64).await?;
        Ok(rows.into_iter().map(job_view).collect())
    }

    pub(super) async fn get_job(&self, id: &str) -> OpsResult<JobDetail> {
        let mut conn = self.store.conn().await?;
        let row = jobs::get(&mut conn, id)
            .await?
            .ok_or_else(|| OpsError::not_found(format!("no job with id {id}")))?;
        let logs = jobs::logs(&mut conn, id)
            .await?
            .into_iter()
            .map(|l| JobLogLine {
                at: time_from_ms(l.at),
                level: l.level,
                message: l.message,
            })
            .collect();
        Ok(JobDetail {
            job: job_view(row),
            logs,
        })
    }

    pub(super) async fn list_audit(&self, q: &AuditQuery) -> OpsResult<Vec<AuditEntry>> {
        let mut conn = self.store.conn().await?;
        let rows = audit::list(
            &mut conn,
            q.env.as_deref(),
            q.limit.unwrap_or(DEFAULT_LIMIT) as i64,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|a| AuditEntry {
                id: a.id,
                at: time_from_ms(a.at),
                actor: a.actor,
                action: a.action,
                env: a.env,
                workflow: a.workflow,
                outcome: a.outcome,
                detail: a.detail,
            })
            .collect())
    }
}

/// Each workflow's status at its environment's latest drift check: a workflow of a
/// checked environment without a result row was IN_SYNC (UNKNOWN when the environment
/// could not be fetched); environments never checked stay None.
fn fill_drift(
    summaries: &mut [WorkflowSummary],
    checks: Vec<(DriftCheckRow, Vec<DriftResultRow>)>,
) {
    if checks.is_empty() {
        return;
    }
    let by_env: HashMap<String, (DriftStatus, HashMap<String, DriftStatus>)> = checks
        .into_iter()
        .map(|(check, results)| {
            let default = if check.error.is_some() {
                DriftStatus::Unknown
            } else {
                DriftStatus::InSync
            };
            let statuses = results
                .into_iter()
                .filter_map(|r| Some((r.n8n_id?, r.status)))
                .collect();
            (check.env, (default, statuses))
        })
        .collect();
    for s in summaries {
        if let Some((default, statuses)) = by_env.get(&s.env) {
            s.drift = Some(statuses.get(&s.id).copied().unwrap_or(*default));
        }
    }
}

fn summary(r: workflows::WorkflowRow) -> WorkflowSummary {
    WorkflowSummary {
        env: r.env,
        id: r.n8n_id,
        name: r.name,
        active: r.active,
        tags: r.tags,
        nodes: r.node_count,
        fingerprint: r.fingerprint,
        updated_at: r.updated_at,
        stored_at: time_from_ms(r.stored_at),
        change: r.change,
        canonical_id: None,
        drift: None,
    }
}

fn job_view(j: jobs::JobRow) -> JobView {
    JobView {
        id: j.id,
        kind: j.kind,
        title: j.title,
        state: j.state,
        actor: j.actor,
        phase: j.phase,
        done: j.done,
        total: j.total,
        created_at: time_from_ms(j.created_at),
        started_at: j.started_at.map(time_from_ms),
        finished_at: j.finished_at.map(time_from_ms),
        result: j.result,
        error: j.error,
    }
}
