//! Incidents raised by failing executions (checked by the sweep).
//!
//! Per environment, the executions that failed within `executions.window_mins` are
//! counted from n8n (the list filtered to status error, newest first, read until past
//! the window). A workflow with at least `per_workflow` of them has an open executions
//! incident keyed `n8n:<workflow id>`; the environment with at least
//! `per_environment` in all has one keyed `*`. Failures from before the last
//! resolution of a key are not counted again: an incident resolved by hand stays
//! resolved until new failures reach the threshold. Below the threshold again, the
//! incident is resolved by n8nops. A threshold of 0 is off. An environment that cannot
//! be reached is skipped (the sweep's report names it): its incidents stay as they
//! are until it can be.
//!
//! An open incident keeps the latest count; its timeline gets a `changed` entry only
//! when the count moves into another band of the threshold (3 -> 6 with a threshold of
//! 3), so a steady trickle of failures does not fill it.

use super::super::local::LocalOps;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::{
    Announced, Notice, SYSTEM, class_of, mark_resolved, record_event, save, try_again, when,
};
use crate::domain::environment::EnvClass;
use crate::domain::incident::{
    EventKind, FailureThresholds, IncidentKind, IncidentPolicy, IncidentState, executions_severity,
};
use crate::n8n::{ExecutionFilter, ExecutionStatus};
use crate::store::environments::{self, EnvRow};
use crate::store::incidents::{self as store, IncidentFilter, NewIncident};
use crate::store::workflows;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The key of the whole-environment incident.
const WHOLE: &str = "*";
/// Failed executions read at most per environment and sweep (n8n lists 250 a page).
const MAX_READ: usize = 20_000;

/// What the failure thresholds did in one sweep.
#[derive(Debug, Default)]
pub(super) struct FailureSweep {
    /// Incidents opened, or changed into another band.
    pub opened: usize,
    pub resolved: usize,
    /// Environments that could not be checked, each naming it and why.
    pub failures: Vec<String>,
}

/// The executions of one environment that failed within the window, and from when
/// each key counts them.
#[derive(Debug, Default)]
struct Failures {
    /// (workflow id, when it started, ms), newest first.
    seen: Vec<(String, i64)>,
    /// The start of the window.
    window_start: i64,
    /// Key -> its last resolution (ms): failures up to it are not counted again.
    resolved: HashMap<String, i64>,
}

impl Failures {
    /// From when the failures of `key` count.
    fn since(&self, key: &str) -> i64 {
        match self.resolved.get(key) {
            Some(at) => self.window_start.max(at.saturating_add(1)),
            None => self.window_start,
        }
    }

    /// The counted failures of workflow `id`.
    fn of(&self, id: &str) -> u64 {
        let since = self.since(&workflow_key(id));
        self.seen
            .iter()
            .filter(|(w, at)| w == id && *at >= since)
            .count() as u64
    }

    /// The counted failures of every workflow together, and how many workflows they
    /// are of.
    fn total(&self) -> (u64, usize) {
        let since = self.since(WHOLE);
        let counted: Vec<&(String, i64)> =
            self.seen.iter().filter(|(_, at)| *at >= since).collect();
        let workflows: BTreeSet<&str> = counted.iter().map(|(w, _)| w.as_str()).collect();
        (counted.len() as u64, workflows.len())
    }

    /// The counted failures per workflow.
    fn per_workflow(&self) -> BTreeMap<String, u64> {
        let ids: BTreeSet<&str> = self.seen.iter().map(|(w, _)| w.as_str()).collect();
        ids.into_iter()
            .map(|id| (id.to_owned(), self.of(id)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The counted failures an incident's `key` is about.
    fn of_key(&self, key: &str) -> u64 {
        if key == WHOLE {
            self.total().0
        } else {
            self.of(key.strip_prefix("n8n:").unwrap_or(key))
        }
    }
}

/// The key of a workflow's executions incident.
fn workflow_key(id: &str) -> String {
    format!("n8n:{id}")
}

/// The band of `count` under `threshold`: a timeline entry marks a move between bands.
fn band(count: u64, threshold: u64) -> u64 {
    count / threshold.max(1)
}

/// An executions incident that should be open, and why.
struct Wanted {
    key: String,
    workflow: Option<String>,
    n8n_id: Option<String>,
    count: u64,
    threshold: u64,
    summary: String,
}

impl LocalOps {
    /// Checks the thresholds in every environment. An environment that fails is
    /// logged, named in the result's failures, and skipped.
    pub(super) async fn failure_thresholds(
        &self,
        policy: &IncidentPolicy,
        classes: &HashMap<String, EnvClass>,
        now: i64,
    ) -> FailureSweep {
        let mut sweep = FailureSweep::default();
        let envs = async {
            let mut conn = self.store.conn().await?;
            Ok::<_, OpsError>(environments::list(&mut conn).await?)
        };
        let envs = match envs.await {
            Ok(envs) => envs,
            Err(e) => {
                tracing::warn!(error = %e.message, "failing executions not checked: the environments could not be read");
                sweep.failures.push(format!(
                    "failing executions not checked: the environments could not be read: {}",
                    e.message
                ));
                return sweep;
            }
        };
        for env in envs {
            let class = class_of(classes, &env.name);
            match self
                .env_failures(&env, class, &policy.executions, now)
                .await
            {
                Ok((o, r)) => {
                    sweep.opened += o;
                    sweep.resolved += r;
                }
                Err(e) => {
                    tracing::warn!(env = %env.name, error = %e.message, "failing executions not checked in this environment");
                    sweep.failures.push(format!(
                        "failing executions not checked in '{}': {}",
                        env.name, e.message
                    ));
                }
            }
        }
        sweep
    }

    /// One environment: opens, updates and resolves its executions incidents (again
    /// when another process changed one of them meanwhile).
    async fn env_failures(
        &self,
        env: &EnvRow,
        class: EnvClass,
        t: &FailureThresholds,
        now: i64,
    ) -> OpsResult<(usize, usize)> {
        let on = t.per_workflow > 0 || t.per_environment > 0;
        let any_open = {
            let mut conn = self.store.conn().await?;
            store::open(&mut conn, Some(&env.name))
                .await?
                .iter()
                .any(|r| r.kind == IncidentKind::Executions)
        };
        if !on && !any_open {
            return Ok((0, 0));
        }
        let mut failures = if on {
            self.count_failures(env, t.window_mins, now).await?
        } else {
            Failures::default()
        };
        let mut attempt = 1;
        loop {
            failures.resolved = self.last_resolutions(env, failures.window_start).await?;
            let wanted = self.wanted(env, t, &failures).await?;
            match self
                .failures_once(env, class, t, now, &failures, &wanted)
                .await
            {
                Err(e)
                    if try_again(
                        &e,
                        attempt,
                        &format!("the executions incidents of '{}'", env.name),
                    ) =>
                {
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// When each executions incident key of `env` was last resolved, for resolutions
    /// within the window (older ones end before it and change nothing).
    async fn last_resolutions(
        &self,
        env: &EnvRow,
        window_start: i64,
    ) -> OpsResult<HashMap<String, i64>> {
        let filter = IncidentFilter {
            states: vec![IncidentState::Resolved],
            env: Some(env.name.clone()),
            kind: Some(IncidentKind::Executions),
            ..IncidentFilter::default()
        };
        let mut conn = self.store.conn().await?;
        let mut last: HashMap<String, i64> = HashMap::new();
        for row in store::list(&mut conn, &filter).await? {
            let Some(at) = row.resolved_at.filter(|at| *at >= window_start) else {
                continue;
            };
            let kept = last.entry(row.key).or_insert(at);
            *kept = (*kept).max(at);
        }
        Ok(last)
    }

    /// One try of the changes of one environment, in one transaction.
    async fn failures_once(
        &self,
        env: &EnvRow,
        class: EnvClass,
        t: &FailureThresholds,
        now: i64,
        failures: &Failures,
        wanted: &[Wanted],
    ) -> OpsResult<(usize, usize)> {
        let on = t.per_workflow > 0 || t.per_environment > 0;
        let mut tx = self.store.begin().await?;
        let mut announced: Vec<Announced> = Vec::new();
        let (mut opened, mut resolved) = (0, 0);
        let mut notified = false;
        for w in wanted {
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
                    let before = row
                        .fingerprint
                        .as_deref()
                        .and_then(|f| f.parse::<u64>().ok());
                    let moved =
                        before.is_none_or(|b| band(b, w.threshold) != band(w.count, w.threshold));
                    row.fingerprint = Some(count);
                    row.summary = Some(w.summary.clone());
                    row.workflow = w.workflow.clone().or(row.workflow.take());
                    row.updated_at = now;
                    save(&mut tx, &mut row).await?;
                    if moved {
                        let text = Some(w.summary.clone());
                        record_event(&mut tx, &row, now, SYSTEM, EventKind::Changed, text, None)
                            .await?;
                        opened += 1;
                        announced.push((row, EventKind::Changed));
                    }
                }
            }
        }
        for row in store::open(&mut tx, Some(&env.name)).await? {
            if row.kind != IncidentKind::Executions || wanted.iter().any(|w| w.key == row.key) {
                continue;
            }
            let mut row = row;
            let failed = failures.of_key(&row.key);
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
            mark_resolved(&mut row, SYSTEM, now, note.clone());
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
        let window_start = now.saturating_sub(
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
        let mut failures = Failures {
            window_start,
            ..Failures::default()
        };
        'pages: while let Some(page) = pager.next_page().await? {
            for e in page.items {
                if failures.seen.len() >= MAX_READ {
                    tracing::warn!(env = %env.name, "more than {MAX_READ} failed executions: counted the newest only");
                    break 'pages;
                }
                let Some(at) = e.started_at.or(e.stopped_at) else {
                    continue;
                };
                let at = at.timestamp_millis();
                // Newest first: the first one before the window ends the count.
                if at < window_start {
                    break 'pages;
                }
                failures.seen.push((e.workflow_id, at));
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
            let over: Vec<(String, u64)> = failures
                .per_workflow()
                .into_iter()
                .filter(|(_, n)| *n >= t.per_workflow)
                .collect();
            let names = if over.is_empty() {
                HashMap::new()
            } else {
                let ids: Vec<String> = over.iter().map(|(id, _)| id.clone()).collect();
                let mut conn = self.store.conn().await?;
                workflows::names(&mut conn, env.id, &ids).await?
            };
            for (id, count) in over {
                let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
                wanted.push(Wanted {
                    key: workflow_key(&id),
                    summary: format!(
                        "{count} failed executions of '{name}' in '{}' within {window} min (threshold {})",
                        env.name, t.per_workflow
                    ),
                    workflow: Some(name),
                    n8n_id: Some(id),
                    count,
                    threshold: t.per_workflow,
                });
            }
        }
        let (total, across) = failures.total();
        if t.per_environment > 0 && total >= t.per_environment {
            wanted.push(Wanted {
                key: WHOLE.to_owned(),
                workflow: None,
                n8n_id: None,
                count: total,
                threshold: t.per_environment,
                summary: format!(
                    "{total} failed executions in '{}' within {window} min across {across} workflows (threshold {})",
                    env.name, t.per_environment
                ),
            });
        }
        Ok(wanted)
    }
}
