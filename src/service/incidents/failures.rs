//! Incidents raised by failing executions (checked by the sweep).
//!
//! Per environment, the executions that failed within `executions.window_mins` are
//! counted from n8n (the list filtered to status error, newest first, read until past
//! the window). A workflow with at least `per_workflow` of them has an open executions
//! incident keyed `n8n:<workflow id>`; the environment with at least
//! `per_environment` in all has one keyed `*`. Below the threshold again, the incident
//! is resolved by n8nops. A threshold of 0 is off. An environment that cannot be
//! reached is skipped: its incidents stay as they are until it can be.

use super::super::local::LocalOps;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::{Announced, Notice, SYSTEM, class_of, record_event, save, when};
use crate::domain::environment::EnvClass;
use crate::domain::incident::{
    EventKind, FailureThresholds, IncidentKind, IncidentPolicy, IncidentState, executions_severity,
};
use crate::n8n::{ExecutionFilter, ExecutionStatus};
use crate::store::environments::{self, EnvRow};
use crate::store::incidents::{self as store, NewIncident};
use crate::store::workflows;
use std::collections::{BTreeMap, HashMap};

/// The key of the whole-environment incident.
const WHOLE: &str = "*";
/// Failed executions read at most per environment and sweep (n8n lists 250 a page).
const MAX_READ: usize = 20_000;

/// The failed executions of one environment within the window.
#[derive(Debug, Default)]
struct Failures {
    /// Workflow id -> failed executions.
    per_workflow: BTreeMap<String, u64>,
    total: u64,
}

/// An executions incident that should be open, and why.
struct Wanted {
    key: String,
    workflow: Option<String>,
    n8n_id: Option<String>,
    count: u64,
    summary: String,
}

impl LocalOps {
    /// Checks the thresholds in every environment: (incidents opened or changed,
    /// resolved). An environment that fails is logged and skipped.
    pub(super) async fn failure_thresholds(
        &self,
        policy: &IncidentPolicy,
        classes: &HashMap<String, EnvClass>,
        now: i64,
    ) -> (usize, usize) {
        let envs = async {
            let mut conn = self.store.conn().await?;
            Ok::<_, OpsError>(environments::list(&mut conn).await?)
        };
        let envs = match envs.await {
            Ok(envs) => envs,
            Err(e) => {
                tracing::warn!(error = %e.message, "failing executions not checked: the environments could not be read");
                return (0, 0);
            }
        };
        let (mut opened, mut resolved) = (0, 0);
        for env in envs {
            let class = class_of(classes, &env.name);
            match self
                .env_failures(&env, class, &policy.executions, now)
                .await
            {
                Ok((o, r)) => {
                    opened += o;
                    resolved += r;
                }
                Err(e) => {
                    tracing::warn!(env = %env.name, error = %e.message, "failing executions not checked in this environment");
                }
            }
        }
        (opened, resolved)
    }

    /// One environment: opens, updates and resolves its executions incidents.
    async fn env_failures(
        &self,
        env: &EnvRow,
        class: EnvClass,
        t: &FailureThresholds,
        now: i64,
    ) -> OpsResult<(usize, usize)> {
        let on = t.per_workflow > 0 || t.per_environment > 0;
        let open: Vec<_> = {
            let mut conn = self.store.conn().await?;
            store::open(&mut conn, Some(&env.name))
                .await?
                .into_iter()
                .filter(|r| r.kind == IncidentKind::Executions)
                .collect()
        };
        if !on && open.is_empty() {
            return Ok((0, 0));
        }
        let failures = if on {
            self.count_failures(env, t.window_mins, now).await?
        } else {
            Failures::default()
        };
        let wanted = self.wanted(env, t, &failures).await?;
        let mut tx = self.store.begin().await?;
        let mut announced: Vec<Announced> = Vec::new();
        let (mut opened, mut resolved) = (0, 0);
        let mut notified = false;
        for w in &wanted {
            let count = w.count.to_string();
            match store::open_by_key(&mut tx, &env.name, IncidentKind::Executions, &w.key).await? {
                None => {
                    let new = NewIncident {
                        env: env.name.clone(),
                        kind: IncidentKind::Executions,
                        key: w.key.clone(),
                        canonical_id: None,
                        n8n_id: w.n8n_id.clone(),
                        workflow: w.workflow.clone(),
                        severity: executions_severity(class),
                        opened_at: now,
                        opened_by: SYSTEM.to_owned(),
                        drift_status: None,
                        risk: None,
                        fingerprint: Some(count),
                        summary: Some(w.summary.clone()),
                    };
                    let id = store::insert(&mut tx, &new).await?;
                    let row = store::get(&mut tx, id).await?;
                    let text = Some(w.summary.clone());
                    record_event(&mut tx, &row, now, SYSTEM, EventKind::Opened, text, None).await?;
                    self.enqueue_notice(&mut tx, &row, Notice::Opened).await?;
                    notified = true;
                    opened += 1;
                    announced.push((row, EventKind::Opened));
                }
                Some(mut row) => {
                    if row.fingerprint.as_deref() == Some(count.as_str()) {
                        continue;
                    }
                    row.fingerprint = Some(count);
                    row.summary = Some(w.summary.clone());
                    row.workflow = w.workflow.clone().or(row.workflow.take());
                    row.updated_at = now;
                    save(&mut tx, &mut row).await?;
                    let text = Some(w.summary.clone());
                    record_event(&mut tx, &row, now, SYSTEM, EventKind::Changed, text, None)
                        .await?;
                    opened += 1;
                    announced.push((row, EventKind::Changed));
                }
            }
        }
        for mut row in open {
            if wanted.iter().any(|w| w.key == row.key) {
                continue;
            }
            // Read again in this transaction: the loop above may not have seen it.
            row = super::load(&mut tx, row.id).await?;
            if row.state == IncidentState::Resolved {
                continue;
            }
            let failed = if row.key == WHOLE {
                failures.total
            } else {
                let id = row.key.strip_prefix("n8n:").unwrap_or(&row.key);
                failures.per_workflow.get(id).copied().unwrap_or(0)
            };
            let note = if on {
                format!(
                    "the failures went below the threshold: {failed} failed within the last {} min at the sweep of {}",
                    t.window_mins,
                    when(now)
                )
            } else {
                format!(
                    "the failing-execution thresholds were turned off (sweep of {})",
                    when(now)
                )
            };
            row.state = IncidentState::Resolved;
            row.resolved_at = Some(now);
            row.resolved_by = Some(SYSTEM.to_owned());
            row.resolution = Some(note.clone());
            row.updated_at = now;
            save(&mut tx, &mut row).await?;
            record_event(
                &mut tx,
                &row,
                now,
                SYSTEM,
                EventKind::AutoResolved,
                Some(note),
                None,
            )
            .await?;
            self.enqueue_notice(&mut tx, &row, Notice::Resolved).await?;
            notified = true;
            resolved += 1;
            announced.push((row, EventKind::AutoResolved));
        }
        tx.commit().await.map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!("committing the executions incidents of '{}': {e}", env.name),
            )
        })?;
        self.announce(&announced, notified);
        Ok((opened, resolved))
    }

    /// The executions of `env` that failed within the last `window_mins` before `now`.
    async fn count_failures(
        &self,
        env: &EnvRow,
        window_mins: u64,
        now: i64,
    ) -> OpsResult<Failures> {
        let since = now.saturating_sub(
            i64::try_from(window_mins)
                .unwrap_or(i64::MAX)
                .saturating_mul(60_000),
        );
        let client = self.client(env).await?;
        let filter = ExecutionFilter {
            status: Some(ExecutionStatus::Error),
            ..ExecutionFilter::default()
        };
        let mut pager = client.executions(&filter);
        let mut failures = Failures::default();
        let mut read = 0;
        'pages: while let Some(page) = pager.next_page().await? {
            for e in page.items {
                read += 1;
                if read > MAX_READ {
                    tracing::warn!(env = %env.name, "more than {MAX_READ} failed executions: counted the newest only");
                    break 'pages;
                }
                let Some(at) = e.started_at.or(e.stopped_at) else {
                    continue;
                };
                // Newest first: the first one before the window ends the count.
                if at.timestamp_millis() < since {
                    break 'pages;
                }
                *failures.per_workflow.entry(e.workflow_id).or_default() += 1;
                failures.total += 1;
            }
        }
        Ok(failures)
    }

    /// The executions incidents `failures` call for, with their words.
    async fn wanted(
        &self,
        env: &EnvRow,
        t: &FailureThresholds,
        failures: &Failures,
    ) -> OpsResult<Vec<Wanted>> {
        let mut wanted = Vec::new();
        let window = t.window_mins;
        if t.per_workflow > 0 {
            let over: Vec<String> = failures
                .per_workflow
                .iter()
                .filter(|(_, n)| **n >= t.per_workflow)
                .map(|(id, _)| id.clone())
                .collect();
            let names = if over.is_empty() {
                HashMap::new()
            } else {
                let mut conn = self.store.conn().await?;
                workflows::names(&mut conn, env.id, &over).await?
            };
            for id in over {
                let count = failures.per_workflow.get(&id).copied().unwrap_or(0);
                let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
                wanted.push(Wanted {
                    key: format!("n8n:{id}"),
                    summary: format!(
                        "{count} failed executions of '{name}' in '{}' within {window} min (threshold {})",
                        env.name, t.per_workflow
                    ),
                    workflow: Some(name),
                    n8n_id: Some(id),
                    count,
                });
            }
        }
        if t.per_environment > 0 && failures.total >= t.per_environment {
            wanted.push(Wanted {
                key: WHOLE.to_owned(),
                workflow: None,
                n8n_id: None,
                count: failures.total,
                summary: format!(
                    "{} failed executions in '{}' within {window} min across {} workflows (threshold {})",
                    failures.total,
                    env.name,
                    failures.per_workflow.len(),
                    t.per_environment
                ),
            });
        }
        Ok(wanted)
    }
}
