//! Drift checks: live workflows against the canonical mapping, stored with their diffs.
//!
//! A check reads the canonical state once (the branch head), then per environment:
//! fetches it when asked (a workflows-only sync), compares the mapping with the store's
//! rows of that environment (`domain::drift::compare`: one query per environment),
//! summarizes each DRIFTED workflow (the recorded document against the live body: the
//! only per-workflow reads), and stores the check with its results in one audited
//! transaction. An environment that cannot be fetched has every mapped workflow
//! UNKNOWN: that is a result, stored like any other. The job fails only when an
//! environment could not be checked at all (the canonical state or the store failed).

use super::canonical_state::CanonicalState;
use super::jobs::{JobCtx, JobOutcome};
use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::domain::canonical::{self, EnvMapping};
use crate::domain::diff::{Side, diff};
use crate::domain::drift::{self, Compared, DriftStatus, Live};
use crate::domain::job::LogLevel;
use crate::domain::sync::SyncKind;
use crate::store::drift::{self as drift_store, DriftCheckRow, DriftResultRow};
use crate::store::environments::{self, EnvRow};
use crate::store::{now_ms, workflows};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// Lines of a DRIFTED workflow's summary, at most.
const SUMMARY_LINES: usize = 8;

/// How a drift job ended, for whoever started it in-process (the schedule).
#[derive(Debug, Clone)]
pub(super) struct DriftDone {
    pub job_id: String,
    pub report: Option<DriftReport>,
    pub error: Option<String>,
}

/// A DRIFTED workflow waiting for its summary.
struct Pending {
    /// Its index in the compared list.
    index: usize,
    n8n_id: String,
    /// The recorded document's blob.
    blob: String,
}

/// What the summary of a DRIFTED workflow is made from.
struct SummaryInput {
    index: usize,
    /// The recorded document, or why it could not be read.
    document: Result<Value, String>,
    /// The live raw and normalized JSON, or why they could not be read.
    live: Result<(Value, Value), String>,
}

impl LocalOps {
    pub(super) async fn start_drift_check(&self, req: DriftCheckRequest) -> OpsResult<JobStarted> {
        let envs = self.pick_envs(&req.envs).await?;
        let job_id = self.spawn_drift_job(envs, req, "drift check", None).await?;
        Ok(JobStarted { job_id })
    }

    /// Starts a drift job over `envs` (titled `what` and the names); `done` hears how
    /// it ended. The one way checks run, asked for or scheduled.
    pub(super) async fn spawn_drift_job(
        &self,
        envs: Vec<EnvRow>,
        req: DriftCheckRequest,
        what: &str,
        done: Option<oneshot::Sender<DriftDone>>,
    ) -> OpsResult<String> {
        let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
        let title = format!("{what} {}", names.join(", "));
        let request = serde_json::to_value(&req).unwrap_or_default();
        let fetch = req.fetch;
        let ops = self.clone();
        self.jobs
            .spawn(
                "drift",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move {
                    let job_id = ctx.id().to_owned();
                    let (report, error) = ops.run_drift(ctx, envs, fetch).await;
                    if let Some(done) = done {
                        let _ = done.send(DriftDone {
                            job_id,
                            report: report.clone(),
                            error: error.clone(),
                        });
                    }
                    JobOutcome {
                        result: report.and_then(|r| serde_json::to_value(r).ok()),
                        error,
                    }
                },
            )
            .await
    }

    /// The job's work: the report (None when the canonical state could not be read)
    /// and the error that fails the job.
    async fn run_drift(
        &self,
        ctx: JobCtx,
        envs: Vec<EnvRow>,
        fetch: bool,
    ) -> (Option<DriftReport>, Option<String>) {
        let total = envs.len() as u64;
        ctx.progress("reading the canonical state", 0, total).await;
        let state = match self.canonical_at(None).await {
            Ok(state) => Arc::new(state),
            Err(e) => {
                let message = format!("cannot read the canonical state: {}", e.message);
                ctx.log(LogLevel::Error, message.clone()).await;
                self.audit_failure("drift.check", None, &OpsError::new(e.kind, message.clone()))
                    .await;
                return (None, Some(message));
            }
        };
        // Progress is reported inside each environment's future, never by a stage
        // after the buffer: a stage that waits (for SQLite's write lock) would stop
        // the buffer from polling the environment whose transaction holds that lock.
        let done = AtomicU64::new(0);
        let mut checked: Vec<(EnvDrift, Option<String>)> = futures_util::stream::iter(envs)
            .map(|env| {
                let ctx = ctx.clone();
                let state = state.clone();
                let done = &done;
                async move {
                    let checked = self.check_env(&ctx, &env, &state, fetch).await;
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    ctx.progress(&format!("{} checked", env.name), n, total)
                        .await;
                    checked
                }
            })
            .buffer_unordered(self.settings.sync_concurrency.max(1))
            .collect()
            .await;
        checked.sort_by(|a, b| a.0.env.cmp(&b.0.env));
        let failed: Vec<String> = checked.iter().filter_map(|(_, e)| e.clone()).collect();
        let error = (!failed.is_empty()).then(|| failed.join("; "));
        let report = DriftReport {
            envs: checked.into_iter().map(|(e, _)| e).collect(),
        };
        (Some(report), error)
    }

    /// One environment: its drift, and the error when it could not be checked at all
    /// (the drift then only carries that error).
    async fn check_env(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        state: &CanonicalState,
        fetch: bool,
    ) -> (EnvDrift, Option<String>) {
        let mapping = state.mapping(&env.name);
        let head = state.commit.as_ref().map(|c| c.id.clone());
        let fetched = if fetch {
            let report = self.sync_env(ctx, env, &[SyncKind::Workflows]).await;
            match report.error {
                Some(error) => Err(error),
                None => Ok(()),
            }
        } else {
            Ok(())
        };
        // Syncs of this environment wait while its rows are read and the check stored,
        // so both see one state, and checks of one environment never interleave.
        let lock = self.sync_lock(env.id);
        let _serialized = lock.lock().await;
        let checked_at = now_ms();
        let outcome = match fetched {
            Err(error) => {
                let unknown = drift::unknown(&mapping);
                let summaries = vec![None; unknown.len()];
                Ok((unknown, summaries, Some(error)))
            }
            Ok(()) => self
                .compare_env(env, &mapping)
                .await
                .map(|(compared, summaries)| (compared, summaries, None)),
        };
        let (compared, summaries, error) = match outcome {
            Ok(outcome) => outcome,
            Err(e) => return self.not_checked(ctx, env, checked_at, e).await,
        };
        // Read before this check replaces the previous one's results.
        let head_ms = state.commit.as_ref().map(|c| c.time_ms);
        let new_untracked = self.untracked_appeared(env, head_ms, &compared).await;
        let check = check_row(&env.name, checked_at, head, error, &compared);
        let results = result_rows(&compared, &summaries);
        let detail = detail_line(&check);
        let record = {
            let check = check.clone();
            let detail = detail.clone();
            self.audited("drift.check", Some(&env.name), move |conn| {
                Box::pin(async move {
                    drift_store::record(conn, &check, &results).await?;
                    Ok(((), Some(detail)))
                })
            })
            .await
        };
        if let Err(e) = record {
            // `audited` has recorded the failure.
            let message = named(
                &env.name,
                &format!("storing the drift check failed: {}", e.message),
            );
            ctx.log(LogLevel::Error, message.clone()).await;
            return (failed_drift(&env.name, checked_at, &message), Some(message));
        }
        let level = if check.error.is_some() {
            LogLevel::Warn
        } else {
            LogLevel::Info
        };
        ctx.log(level, format!("{}: {detail}", env.name)).await;
        if check.error.is_none() {
            // Without a canonical state every live workflow is UNTRACKED: that is an
            // environment not recorded yet, not one incident per workflow.
            let canonical = state.commit.is_some() && !mapping.workflows.is_empty();
            self.incidents_after_check(
                ctx,
                env,
                checked_at,
                canonical,
                (&compared, &summaries),
                &new_untracked,
            )
            .await;
        }
        let drift = EnvDrift {
            env: env.name.clone(),
            checked_at: time_from_ms(checked_at),
            error: check.error.clone(),
            counts: counts_of(&check),
            items: compared
                .into_iter()
                .zip(summaries)
                .filter(|(c, _)| c.status != DriftStatus::InSync)
                .map(|(c, summary)| item(c, summary))
                .collect(),
        };
        (drift, None)
    }

    /// Raises, updates and resolves the environment's drift incidents from a stored
    /// check that reached it; a failure is logged (the check itself stands). When the
    /// environment has no canonical state (no head, or nothing mapped in it) nothing
    /// is raised: the log says so.
    async fn incidents_after_check(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        checked_at: i64,
        canonical: bool,
        (compared, summaries): (&[Compared], &[Option<DriftSummary>]),
        new_untracked: &HashSet<String>,
    ) {
        if !canonical {
            let message = format!(
                "{}: no canonical state recorded for it yet: no incidents raised (a backup records it)",
                env.name
            );
            tracing::info!(env = %env.name, "no canonical state: drift incidents not raised");
            ctx.log(LogLevel::Info, message).await;
            return;
        }
        match self
            .raise_from_drift_among(env, checked_at, compared, summaries, Some(new_untracked))
            .await
        {
            Ok(done) if done.any() => {
                ctx.log(LogLevel::Info, format!("{}: {done}", env.name))
                    .await
            }
            Ok(_) => {}
            Err(e) => {
                let message = named(
                    &env.name,
                    &format!(
                        "the drift was stored but its incidents were not updated: {}",
                        e.message
                    ),
                );
                ctx.log(LogLevel::Warn, message).await;
            }
        }
    }

    /// The UNTRACKED workflows of `compared` that appeared since the environment's
    /// previous check (by n8n id): those may open incidents. Without a previous check
    /// that reached the environment, those created or changed after the canonical
    /// state's head (`head_ms`). Workflows left untracked on purpose (a partial
    /// onboarding) open none. A store failure is logged and opens none.
    async fn untracked_appeared(
        &self,
        env: &EnvRow,
        head_ms: Option<i64>,
        compared: &[Compared],
    ) -> HashSet<String> {
        let now: HashSet<&str> = compared
            .iter()
            .filter(|c| c.status == DriftStatus::Untracked)
            .filter_map(|c| c.n8n_id.as_deref())
            .collect();
        if now.is_empty() {
            return HashSet::new();
        }
        let read = async {
            let mut conn = self.store.conn().await?;
            let previous = drift_store::latest(&mut conn, Some(&env.name)).await?;
            if let Some((check, results)) = previous.into_iter().next()
                && check.error.is_none()
            {
                let before: HashSet<String> = results
                    .into_iter()
                    .filter(|r| r.status == DriftStatus::Untracked)
                    .filter_map(|r| r.n8n_id)
                    .collect();
                return Ok::<_, OpsError>(
                    now.iter()
                        .filter(|id| !before.contains(**id))
                        .map(|id| (*id).to_owned())
                        .collect(),
                );
            }
            let Some(head_ms) = head_ms else {
                return Ok(HashSet::new());
            };
            let filter = workflows::Filter {
                env: Some(env.name.clone()),
                active: None,
            };
            let mut appeared = HashSet::new();
            workflows::visit(&mut conn, &filter, |row| {
                let changed_ms = row
                    .updated_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis());
                if now.contains(row.n8n_id.as_str()) && changed_ms.is_some_and(|t| t > head_ms) {
                    appeared.insert(row.n8n_id);
                }
            })
            .await?;
            Ok(appeared)
        };
        match read.await {
            Ok(appeared) => appeared,
            Err(e) => {
                tracing::warn!(env = %env.name, error = %e.message, "drift: which untracked workflows are new is unknown: none opens an incident");
                HashSet::new()
            }
        }
    }

    /// Reports (and audits) an environment that could not be checked at all.
    async fn not_checked(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        checked_at: i64,
        e: OpsError,
    ) -> (EnvDrift, Option<String>) {
        let message = named(
            &env.name,
            &format!("drift could not be checked: {}", e.message),
        );
        ctx.log(LogLevel::Error, message.clone()).await;
        self.audit_failure(
            "drift.check",
            Some(&env.name),
            &OpsError::new(e.kind, message.clone()),
        )
        .await;
        (failed_drift(&env.name, checked_at, &message), Some(message))
    }

    /// Compares `env`'s stored workflows with its mapping; each compared workflow's
    /// summary beside it (Some for DRIFTED ones whose summary could be made).
    async fn compare_env(
        &self,
        env: &EnvRow,
        mapping: &EnvMapping,
    ) -> OpsResult<(Vec<Compared>, Vec<Option<DriftSummary>>)> {
        let mut conn = self.store.conn().await?;
        let filter = workflows::Filter {
            env: Some(env.name.clone()),
            active: None,
        };
        let mut rows: Vec<(String, String, String)> = Vec::new();
        workflows::visit(&mut conn, &filter, |row| {
            rows.push((row.n8n_id, row.name, row.fingerprint));
        })
        .await?;
        let live: Vec<Live<'_>> = rows
            .iter()
            .map(|(n8n_id, name, fingerprint)| Live {
                n8n_id,
                name,
                fingerprint,
            })
            .collect();
        let compared = drift::compare(mapping, &live);

        let pending: Vec<Pending> = compared
            .iter()
            .enumerate()
            .filter(|(_, c)| c.status == DriftStatus::Drifted)
            .filter_map(|(index, c)| {
                let mapped = mapping.workflows.get(c.canonical_id.as_deref()?)?;
                Some(Pending {
                    index,
                    n8n_id: mapped.n8n_id.clone(),
                    blob: mapped.blob.clone(),
                })
            })
            .collect();
        let mut summaries: Vec<Option<DriftSummary>> = vec![None; compared.len()];
        if pending.is_empty() {
            return Ok((compared, summaries));
        }
        let mut lives = Vec::with_capacity(pending.len());
        for p in &pending {
            let live = workflows::get(&mut conn, &env.name, &p.n8n_id)
                .await?
                .ok_or_else(|| format!("workflow {} is no longer stored", p.n8n_id))
                .and_then(|(_, raw, normalized)| {
                    let parse = |text: &str| {
                        serde_json::from_str::<Value>(text).map_err(|e| {
                            format!("the stored body of workflow {} is not JSON: {e}", p.n8n_id)
                        })
                    };
                    Ok((parse(&raw)?, parse(&normalized)?))
                });
            lives.push(live);
        }
        drop(conn);
        let blobs: Vec<String> = pending.iter().map(|p| p.blob.clone()).collect();
        let documents = self
            .with_git(move |git| {
                Ok(blobs
                    .iter()
                    .map(|b| {
                        let bytes = git.blob(b).map_err(|e| e.to_string())?;
                        canonical::parse_document(&bytes, &format!("blob {b}"))
                            .map_err(|e| e.to_string())
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let inputs: Vec<SummaryInput> = pending
            .iter()
            .zip(documents)
            .zip(lives)
            .map(|((p, document), live)| SummaryInput {
                index: p.index,
                document,
                live,
            })
            .collect();
        let env_name = env.name.clone();
        let made = tokio::task::spawn_blocking(move || {
            inputs
                .into_iter()
                .map(|input| match (input.document, input.live) {
                    (Ok(doc), Ok((raw, normalized))) => {
                        (input.index, Ok(summary_of(&doc, &raw, normalized)))
                    }
                    (Err(e), _) | (_, Err(e)) => (input.index, Err(e)),
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| {
            OpsError::internal(format!(
                "summarizing the drift of '{env_name}' stopped: {e}"
            ))
        })?;
        for (index, summary) in made {
            match summary {
                Ok(summary) => summaries[index] = Some(summary),
                // The status stands; only its explanation is missing.
                Err(e) => {
                    tracing::warn!(env = %env.name, workflow = %compared[index].name, error = %e, "no drift summary")
                }
            }
        }
        Ok((compared, summaries))
    }

    pub(super) async fn latest_drift(&self, env: Option<&str>) -> OpsResult<Vec<EnvDrift>> {
        let mut conn = self.store.conn().await?;
        let latest = drift_store::latest(&mut conn, env).await?;
        if let Some(name) = env
            && latest.is_empty()
            && environments::find(&mut conn, name).await?.is_none()
        {
            return Err(OpsError::not_found(format!(
                "no environment named '{name}'"
            )));
        }
        Ok(latest
            .into_iter()
            .map(|(check, results)| EnvDrift {
                env: check.env.clone(),
                checked_at: time_from_ms(check.checked_at),
                error: check.error.clone(),
                counts: counts_of(&check),
                items: results
                    .into_iter()
                    .map(|r| stored_item(&check.env, r))
                    .collect(),
            })
            .collect())
    }
}

/// What changed from the recorded document (old side) to the live workflow (new side).
fn summary_of(document: &Value, raw: &Value, normalized: Value) -> DriftSummary {
    let old = Side::from_raw(document);
    let new = Side::new(normalized, Some(raw));
    let s = drift::summarize(&diff(&old, &new), SUMMARY_LINES);
    DriftSummary {
        changes: s.changes,
        risk: s.risk,
        renamed_from: s.renamed_from,
        lines: s.lines,
    }
}

fn check_row(
    env: &str,
    checked_at: i64,
    head: Option<String>,
    error: Option<String>,
    compared: &[Compared],
) -> DriftCheckRow {
    let count = |s: DriftStatus| compared.iter().filter(|c| c.status == s).count() as i64;
    DriftCheckRow {
        id: 0,
        env: env.to_owned(),
        checked_at,
        head,
        error,
        in_sync: count(DriftStatus::InSync),
        drifted: count(DriftStatus::Drifted),
        missing: count(DriftStatus::Missing),
        untracked: count(DriftStatus::Untracked),
        unknown: count(DriftStatus::Unknown),
    }
}

/// The rows stored of a check: every workflow not IN_SYNC, in compared order.
fn result_rows(compared: &[Compared], summaries: &[Option<DriftSummary>]) -> Vec<DriftResultRow> {
    compared
        .iter()
        .zip(summaries)
        .filter(|(c, _)| c.status != DriftStatus::InSync)
        .map(|(c, summary)| DriftResultRow {
            status: c.status,
            canonical_id: c.canonical_id.clone(),
            n8n_id: c.n8n_id.clone(),
            name: c.name.clone(),
            expected: c.expected.clone(),
            live: c.live.clone(),
            summary: summary.as_ref().and_then(|s| serde_json::to_string(s).ok()),
        })
        .collect()
}

fn counts_of(check: &DriftCheckRow) -> DriftCounts {
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    DriftCounts {
        in_sync: n(check.in_sync),
        drifted: n(check.drifted),
        missing: n(check.missing),
        untracked: n(check.untracked),
        unknown: n(check.unknown),
    }
}

/// The audit detail and log line of a check.
fn detail_line(check: &DriftCheckRow) -> String {
    let mut line = format!(
        "{} in sync · {} drifted · {} missing · {} untracked · {} unknown",
        check.in_sync, check.drifted, check.missing, check.untracked, check.unknown
    );
    match (&check.error, &check.head) {
        (Some(error), _) => line.push_str(&format!(" (not fetched: {error})")),
        (None, Some(head)) => line.push_str(&format!(" (canonical {})", short(head))),
        (None, None) => line.push_str(" (no canonical state yet)"),
    }
    line
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

fn item(c: Compared, summary: Option<DriftSummary>) -> DriftItem {
    DriftItem {
        status: c.status,
        canonical_id: c.canonical_id,
        n8n_id: c.n8n_id,
        name: c.name,
        expected: c.expected,
        live: c.live,
        summary,
    }
}

/// A stored result as an item; a summary this version cannot read is left out.
fn stored_item(env: &str, r: DriftResultRow) -> DriftItem {
    let summary = r.summary.as_deref().and_then(|text| {
        serde_json::from_str::<DriftSummary>(text)
            .map_err(|e| {
                tracing::warn!(env, workflow = %r.name, error = %e, "unreadable stored drift summary");
            })
            .ok()
    });
    DriftItem {
        status: r.status,
        canonical_id: r.canonical_id,
        n8n_id: r.n8n_id,
        name: r.name,
        expected: r.expected,
        live: r.live,
        summary,
    }
}

/// The drift of an environment that could not be checked: only the error.
fn failed_drift(env: &str, checked_at: i64, message: &str) -> EnvDrift {
    EnvDrift {
        env: env.to_owned(),
        checked_at: time_from_ms(checked_at),
        error: Some(message.to_owned()),
        counts: DriftCounts::default(),
        items: Vec::new(),
    }
}

/// `message`, prefixed with the environment unless it names it already.
fn named(env: &str, message: &str) -> String {
    if message.contains(&format!("'{env}'")) || message.starts_with(&format!("{env}:")) {
        message.to_owned()
    } else {
        format!("{env}: {message}")
    }
}
