//! Restore from a snapshot: plan (the preview), apply, verify by fingerprint, record.
//!
//! A restore puts an environment, or some of its workflows, back as a snapshot (of it
//! or of another environment) holds them:
//! 1. plan against the live state, fetched fresh ([`plan`]);
//! 2. take an automatic snapshot of the environment first: restoring it rolls the
//!    restore back;
//! 3. apply: update, create, soft delete (into the trash), then the active state and
//!    tags as recorded ([`apply`]); deletes go first, so the names and webhook paths
//!    they hold are free before anything is created or activated;
//! 4. re-fetch each restored workflow and compare its fingerprint with the snapshot's;
//! 5. fetch the environment again and commit what it now holds (kind restore, with
//!    `Source` and `Replaces` trailers).
//!
//! A workflow that fails is that item's error, named; the others go on, and the job
//! fails when any item did.

mod apply;
pub(super) mod body;
mod plan;

use super::canonical_state::{Recording, Scope};
use super::jobs::{JobCtx, JobOutcome};
use super::local::LocalOps;
use super::tagging::TagBook;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::commit::{CommitKind, key};
use crate::domain::job::LogLevel;
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::environments::{self, EnvRow};
use crate::store::inventory;
use apply::Applier;
use body::CredentialIds;
use futures_util::StreamExt;
use plan::Planned;
pub(super) use plan::{FETCH, same_tags};
use std::collections::HashMap;

/// The audit action of a restore.
const ACTION: &str = "restore";
/// How many failed workflows a job's error spells out.
const ERRORS_IN_SUMMARY: usize = 10;

impl LocalOps {
    /// What restoring would do, against the environment fetched now. The fetch is a
    /// sync, so it runs as a short job of its own ("restore-plan"), awaited here.
    pub(super) async fn plan_restore(&self, req: RestoreRequest) -> OpsResult<RestorePlan> {
        let (env, snapshot) = self.restore_source(&req).await?;
        let title = format!("restore plan: {} from {}", env.name, snapshot.id);
        let request = serde_json::to_value(&req).unwrap_or_default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ops = self.clone();
        self.jobs
            .spawn(
                "restore-plan",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move {
                    ctx.progress("planning", 0, 1).await;
                    let planned = ops.plan_in(&ctx, &env, snapshot, &req.workflows).await;
                    ctx.progress("planned", 1, 1).await;
                    let outcome = match &planned {
                        Ok(p) => JobOutcome {
                            result: Some(counts(p)),
                            error: None,
                        },
                        Err(e) => JobOutcome {
                            result: None,
                            error: Some(e.message.clone()),
                        },
                    };
                    // The caller may have gone; the job's record still says how it ended.
                    let _ = tx.send(planned.map(|p| p.plan()));
                    outcome
                },
            )
            .await?;
        rx.await
            .map_err(|_| OpsError::internal("the restore plan stopped before it was made"))?
    }

    /// Starts a restore job; its result is a `RestoreReport`.
    pub(super) async fn start_restore(&self, req: RestoreRequest) -> OpsResult<JobStarted> {
        if req.dry_run {
            return Err(OpsError::invalid(
                "a dry run changes nothing: ask for the plan instead (`n8nops restore --dry-run`)",
            ));
        }
        if !req.confirmed {
            return Err(OpsError::invalid("a restore needs confirmation (--yes)"));
        }
        let (env, snapshot) = self.restore_source(&req).await?;
        let title = format!("restore {} from {}", env.name, snapshot.id);
        let request = serde_json::to_value(&req).unwrap_or_default();
        let ops = self.clone();
        let job_id = self
            .jobs
            .spawn(
                "restore",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move { ops.run_restore(ctx, env, snapshot, req.workflows).await },
            )
            .await?;
        Ok(JobStarted { job_id })
    }

    /// The target environment and the snapshot, found before any job starts so a wrong
    /// name fails at once.
    async fn restore_source(&self, req: &RestoreRequest) -> OpsResult<(EnvRow, SnapshotView)> {
        let env = {
            let mut conn = self.store.conn().await?;
            environments::get(&mut conn, &req.env).await?
        };
        let id = req.snapshot.as_deref().unwrap_or("latest");
        let snapshot = self.find_snapshot(id, Some(&env.name)).await?;
        Ok((env, snapshot))
    }

    async fn run_restore(
        &self,
        ctx: JobCtx,
        env: EnvRow,
        snapshot: SnapshotView,
        given: Vec<String>,
    ) -> JobOutcome {
        let source = snapshot.id.clone();
        match self.restore_into(&ctx, &env, snapshot, &given).await {
            Ok((report, error)) => {
                let detail = audit_detail(&report, ctx.id());
                match &error {
                    None => self.audit_restore(&env.name, detail).await,
                    Some(e) => {
                        let err = OpsError::new(ErrorKind::Upstream, format!("{detail}: {e}"));
                        self.audit_failure(ACTION, Some(&env.name), &err).await;
                    }
                }
                JobOutcome {
                    result: serde_json::to_value(&report).ok(),
                    error,
                }
            }
            Err(e) => {
                let message = format!(
                    "the restore of '{}' from {source} did not run: {}",
                    env.name, e.message
                );
                ctx.log(LogLevel::Error, message.clone()).await;
                self.audit_failure(ACTION, Some(&env.name), &OpsError::new(e.kind, &message))
                    .await;
                JobOutcome {
                    result: None,
                    error: Some(message),
                }
            }
        }
    }

    /// Plans, snapshots, applies and records. An error means nothing was changed;
    /// once applying started, the report comes back with the job's error beside it.
    pub(super) async fn restore_into(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        snapshot: SnapshotView,
        given: &[String],
    ) -> OpsResult<(RestoreReport, Option<String>)> {
        ctx.progress("planning", 0, 0).await;
        let planned = self.plan_in(ctx, env, snapshot, given).await?;
        ctx.progress("automatic snapshot", 0, 0).await;
        let replaced = self.snapshot_before(ctx, &planned).await?;
        let items = self.apply_all(ctx, &planned, &replaced).await?;
        let mut report = RestoreReport {
            env: env.name.clone(),
            snapshot: planned.snapshot.id.clone(),
            replaced: Some(replaced.id.clone()),
            commit: None,
            items,
        };
        let mut errors = Vec::new();
        if let Some(e) = failures(&report) {
            errors.push(e);
        }
        ctx.progress("recording", 0, 0).await;
        match self.record_restore(ctx, &planned, &replaced, &report).await {
            Ok(commit) => report.commit = commit,
            Err(e) => {
                let message = format!(
                    "the restore of '{}' was applied but not recorded in Git: {}; the next snapshot or backup records the state",
                    env.name, e.message
                );
                ctx.log(LogLevel::Error, message.clone()).await;
                errors.push(message);
            }
        }
        let error = (!errors.is_empty()).then(|| errors.join("; "));
        Ok((report, error))
    }

    /// Records a restore that went through; a failure to record it is logged (what it
    /// describes is done and committed).
    async fn audit_restore(&self, env: &str, detail: String) {
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action: ACTION,
            env: Some(env),
            workflow: None,
            outcome: Outcome::Ok,
            detail: Some(detail),
        };
        let write = async {
            let mut conn = self.store.conn().await?;
            audit::record(&mut conn, &event).await
        };
        if let Err(e) = write.await {
            tracing::error!(env, error = %e, "could not write the audit event of a restore");
        }
    }

    /// The automatic snapshot of the target before anything changes (its live state was
    /// just fetched by the plan).
    async fn snapshot_before(&self, ctx: &JobCtx, planned: &Planned) -> OpsResult<SnapshotView> {
        let env = &planned.env;
        let why = format!(
            "Automatic snapshot before restoring {} into {}.",
            planned.snapshot.id, env.name
        );
        let mut rec = Recording::new(CommitKind::Snapshot, why, Scope::All);
        rec.job_id = Some(ctx.id().to_owned());
        rec.snapshot = true;
        // Restoring one workflow must not accept the environment's other drift.
        rec.restore_point = true;
        let failed = |message: String| {
            OpsError::new(
                ErrorKind::Store,
                format!(
                    "nothing was restored: the automatic snapshot of '{}' failed: {message}",
                    env.name
                ),
            )
        };
        let recorded = self
            .record_env(env, rec)
            .await
            .map_err(|e| failed(e.message))?;
        let taken = recorded
            .snapshot
            .ok_or_else(|| failed("it made no commit".into()))?;
        ctx.log(
            LogLevel::Info,
            format!(
                "{}: automatic snapshot {} taken (restoring it rolls this restore back)",
                env.name, taken.id
            ),
        )
        .await;
        Ok(taken)
    }

    /// Applies every step: deletes first, then the rest; a few at a time (the client
    /// limits concurrent writes). Results in plan order.
    async fn apply_all(
        &self,
        ctx: &JobCtx,
        planned: &Planned,
        replaced: &SnapshotView,
    ) -> OpsResult<Vec<RestoreItemResult>> {
        let env = &planned.env;
        let client = self.client(env).await?;
        let rows = {
            let mut conn = self.store.conn().await?;
            inventory::credentials(&mut conn, env.id).await?
        };
        let applier = Applier {
            ops: self,
            env,
            client,
            creds: CredentialIds::from_rows(&rows),
            book: tokio::sync::Mutex::new(TagBook::default()),
            by: format!(
                " (restore from {}; rolled back by restoring {})",
                planned.snapshot.id, replaced.id
            ),
        };
        let total = planned.steps.len() as u64;
        let concurrency = self.settings.client.max_concurrency.clamp(1, 8);
        // Indices, not references, go through the stream (a spawned job's future must
        // be Send for every lifetime).
        let (deletes, rest): (Vec<usize>, Vec<usize>) = (0..planned.steps.len())
            .partition(|&i| planned.steps[i].item.action == RestoreAction::Delete);
        let mut results: Vec<(usize, RestoreItemResult)> = Vec::with_capacity(planned.steps.len());
        ctx.progress("restoring", 0, total).await;
        for phase in [deletes, rest] {
            let steps = &planned.steps;
            let applier = &applier;
            let mut applied = futures_util::stream::iter(phase)
                .map(|i| async move { (i, applier.apply(&steps[i]).await) })
                .buffer_unordered(concurrency);
            while let Some((i, result)) = applied.next().await {
                log_item(ctx, &env.name, &result).await;
                results.push((i, result));
                ctx.progress(&planned.steps[i].item.name, results.len() as u64, total)
                    .await;
            }
        }
        results.sort_by_key(|(i, _)| *i);
        Ok(results.into_iter().map(|(_, r)| r).collect())
    }

    /// Fetches the environment again and commits what it holds now: all of it for a
    /// whole-environment restore, the restored workflows otherwise. Returns the commit.
    async fn record_restore(
        &self,
        ctx: &JobCtx,
        planned: &Planned,
        replaced: &SnapshotView,
        report: &RestoreReport,
    ) -> OpsResult<Option<String>> {
        let env = &planned.env;
        let synced = self.sync_env(ctx, env, &FETCH).await;
        if let Some(error) = synced.error {
            return Err(OpsError::new(
                ErrorKind::Upstream,
                format!("fetching it after the restore failed: {error}"),
            ));
        }
        let scope = if planned.whole {
            Scope::All
        } else {
            let mut ids: Vec<String> = report
                .items
                .iter()
                .filter(|i| i.action != RestoreAction::Delete)
                .filter_map(|i| i.n8n_id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            Scope::Only(ids)
        };
        let hints: HashMap<String, String> = report
            .items
            .iter()
            .filter(|i| i.action == RestoreAction::Create)
            .filter_map(|i| Some((i.n8n_id.clone()?, i.canonical_id.clone()?)))
            .collect();
        let n = |a: RestoreAction| report.items.iter().filter(|i| i.action == a).count();
        let failed = report.items.iter().filter(|i| !item_ok(i)).count();
        let why = format!(
            "Restore of {} from snapshot {}: {} created, {} updated, {} deleted (into the trash), {} unchanged{}. Restoring {} rolls it back.",
            env.name,
            planned.snapshot.id,
            n(RestoreAction::Create),
            n(RestoreAction::Update),
            n(RestoreAction::Delete),
            n(RestoreAction::Unchanged),
            if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            },
            replaced.id
        );
        let mut rec = Recording::new(CommitKind::Restore, why, scope);
        rec.job_id = Some(ctx.id().to_owned());
        rec.hints = hints;
        rec.trailers = vec![
            (key::SOURCE.to_owned(), planned.snapshot.id.clone()),
            (key::REPLACES.to_owned(), replaced.id.clone()),
        ];
        let recorded = self.record_env(env, rec).await?;
        let commit = recorded.commit.map(|c| c.id);
        if let Some(c) = &commit {
            ctx.log(
                LogLevel::Info,
                format!("{}: restore recorded as commit {c}", env.name),
            )
            .await;
        }
        Ok(commit)
    }
}

/// Restored as asked and verified (a delete: gone).
fn item_ok(i: &RestoreItemResult) -> bool {
    i.ok && i.verified
}

/// The job's error when any workflow was not restored: how many, and the first few
/// errors (each names its workflow).
fn failures(report: &RestoreReport) -> Option<String> {
    let failed: Vec<&RestoreItemResult> = report.items.iter().filter(|i| !item_ok(i)).collect();
    if failed.is_empty() {
        return None;
    }
    let mut listed: Vec<String> = failed
        .iter()
        .take(ERRORS_IN_SUMMARY)
        .map(|i| {
            i.error
                .clone()
                .unwrap_or_else(|| format!("'{}' in '{}': not verified", i.name, report.env))
        })
        .collect();
    if failed.len() > ERRORS_IN_SUMMARY {
        listed.push(format!("and {} more", failed.len() - ERRORS_IN_SUMMARY));
    }
    Some(format!(
        "{} of {} workflows of '{}' were not restored from {}: {}",
        failed.len(),
        report.items.len(),
        report.env,
        report.snapshot,
        listed.join("; ")
    ))
}

/// One line per workflow the restore touched (unchanged ones stay quiet).
async fn log_item(ctx: &JobCtx, env: &str, r: &RestoreItemResult) {
    if r.action == RestoreAction::Unchanged && item_ok(r) {
        return;
    }
    let done = match r.action {
        RestoreAction::Create => "created",
        RestoreAction::Update => "updated",
        RestoreAction::Delete => "moved to the trash",
        RestoreAction::Unchanged => "unchanged",
    };
    let (level, line) = match &r.error {
        None => (
            LogLevel::Info,
            format!(
                "{env}: '{}' {done}{}",
                r.name,
                if r.verified { ", verified" } else { "" }
            ),
        ),
        Some(e) => (LogLevel::Error, e.clone()),
    };
    ctx.log(level, line).await;
}

/// The counts a plan job reports as its result.
fn counts(p: &Planned) -> serde_json::Value {
    serde_json::json!({
        "env": p.env.name,
        "snapshot": p.snapshot.id,
        "create": p.count(RestoreAction::Create),
        "update": p.count(RestoreAction::Update),
        "delete": p.count(RestoreAction::Delete),
        "unchanged": p.count(RestoreAction::Unchanged),
    })
}

/// What the audit trail says of a restore.
fn audit_detail(r: &RestoreReport, job: &str) -> String {
    let n = |a: RestoreAction| r.items.iter().filter(|i| i.action == a).count();
    let failed = r.items.iter().filter(|i| !item_ok(i)).count();
    format!(
        "from {} (replacing {}): {} created, {} updated, {} deleted, {} unchanged, {} failed; commit {}; job {job}",
        r.snapshot,
        r.replaced.as_deref().unwrap_or("nothing"),
        n(RestoreAction::Create),
        n(RestoreAction::Update),
        n(RestoreAction::Delete),
        n(RestoreAction::Unchanged),
        failed,
        r.commit
            .as_deref()
            .map_or("none", |c| c.get(..12).unwrap_or(c)),
    )
}
