//! Running a deployment, atomic for its set of workflows:
//! 1. fetch both environments and recompute the plan: a different hash is a stale plan
//!    (the deployment goes back to PENDING and nothing is written);
//! 2. judge every gate again, with the approvals of this plan and the custom validation
//!    run now;
//! 3. APPROVED -> RUNNING (compare-and-set: one runner only), recording this process as
//!    its runner;
//! 4. an automatic snapshot of the target;
//! 5. write each workflow ([`write`]): credentials remapped, tags, activation by the
//!    stage's policy, then re-fetched and verified by fingerprint; a failure stops new
//!    writes;
//! 6. all verified: fetch the target, commit what was deployed (kind promotion) and
//!    COMPLETED. Anything failed: ROLLING_BACK, the target restored to the snapshot and
//!    verified ([`rollback`]), then FAILED (or ROLLBACK_FAILED when the rollback itself
//!    could not complete).
//!
//! A process killed in step 4 to 6 leaves the deployment RUNNING with its runner's pid:
//! the next n8nops to start finds that process gone and completes the rollback.

mod rollback;
mod write;

use super::canonical_state::{Recording, Scope};
use super::deployments::{StoredPlan, summary_line};
use super::jobs::{JobCtx, JobOutcome};
use super::local::LocalOps;
use super::preflight::{GateInputs, map_keys};
use super::restore::{FETCH, same_tags};
use super::types::*;
use super::validation::run_validation;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::commit::{CommitKind, key};
use crate::domain::deployment::{DeploymentEvent, DeploymentState};
use crate::domain::job::LogLevel;
use crate::domain::pipeline::all_passed;
use crate::git::LockInfo;
use crate::store::deployments::{self as store, Decision, DeploymentRow, ItemResult};
use crate::store::environments::{self, EnvRow};
use crate::store::now_ms;
use crate::store::workflows;
use std::collections::HashMap;
use write::{Writer, Written};

/// The job kind of a deployment's run.
const JOB_KIND: &str = "promote";

/// Why a run stopped before writing anything: the deployment keeps its state (or goes
/// back to PENDING when stale), with this as its error.
struct NotStarted(String);

impl LocalOps {
    /// Starts the job running deployment `id` (APPROVED); returns the job's id.
    pub(super) async fn start_run(&self, id: &str) -> OpsResult<String> {
        let (row, _) = self.deployment_row(id).await?;
        let title = format!("promote {} -> {} ({id})", row.source_env, row.target_env);
        let ops = self.clone();
        let id_owned = id.to_owned();
        let job_id = self
            .jobs
            .spawn(
                JOB_KIND,
                title,
                &self.settings.actor,
                serde_json::json!({ "deployment": id }),
                move |ctx| async move { ops.run_deployment(ctx, id_owned).await },
            )
            .await?;
        let mut conn = self.store.conn().await?;
        store::set_job(&mut conn, id, &job_id).await?;
        Ok(job_id)
    }

    async fn run_deployment(&self, ctx: JobCtx, id: String) -> JobOutcome {
        let (row, stored) = match self.deployment_row(&id).await {
            Ok(found) => found,
            Err(e) => return failed_outcome(e.message),
        };
        match self.prepare(&ctx, &row, &stored).await {
            Ok(ready) => self.execute(&ctx, row, ready).await,
            Err(NotStarted(message)) => {
                ctx.log(LogLevel::Error, message.clone()).await;
                self.note_error(&id, &message).await;
                // A scheduled deployment that cannot run at its time does not wait on.
                if row.scheduled_for.is_some()
                    && let Ok((now, _)) = self.deployment_row(&id).await
                    && now.state.is_cancellable()
                {
                    let _ = self
                        .transition(&id, now.state, DeploymentEvent::Cancel)
                        .await;
                }
                let err = OpsError::new(ErrorKind::Conflict, message.clone());
                self.audit_failure(super::deployments::ACTION, Some(&row.target_env), &err)
                    .await;
                self.outcome(&id, None, Some(message)).await
            }
        }
    }

    /// Steps 1 to 3: fresh facts, the same plan, every gate passed, RUNNING.
    async fn prepare(
        &self,
        ctx: &JobCtx,
        row: &DeploymentRow,
        stored: &StoredPlan,
    ) -> Result<Ready, NotStarted> {
        let id = &row.id;
        if row.state != DeploymentState::Approved {
            return Err(NotStarted(format!(
                "deployment {id} is {}, not APPROVED: it does not run",
                row.state
            )));
        }
        let envs = async {
            let mut conn = self.store.conn().await?;
            Ok::<_, OpsError>((
                environments::get(&mut conn, &row.source_env).await?,
                environments::get(&mut conn, &row.target_env).await?,
            ))
        };
        let (source, target) = envs
            .await
            .map_err(|e| NotStarted(format!("deployment {id} cannot run: {}", e.message)))?;
        let fresh = stored.approvals_required == 0
            && stored
                .planned_at
                .is_some_and(|at| now_ms() - at < super::deployments::FRESH_PLAN_MS);
        let to_fetch: &[&EnvRow] = if fresh {
            ctx.log(
                LogLevel::Info,
                "using the fetch its plan was made from, moments ago",
            )
            .await;
            &[]
        } else {
            &[&source, &target]
        };
        ctx.progress("fetching", 0, to_fetch.len() as u64).await;
        for (n, env) in to_fetch.iter().enumerate() {
            let report = self.sync_env(ctx, env, &FETCH).await;
            if let Some(e) = report.error {
                return Err(NotStarted(format!(
                    "deployment {id} did not start: fetching '{}' failed: {e}",
                    env.name
                )));
            }
            ctx.progress("fetching", n as u64 + 1, to_fetch.len() as u64)
                .await;
        }

        ctx.progress("checking the plan and gates", 0, 0).await;
        let (stage, _) = self
            .stage_of(&stored.request)
            .await
            .map_err(|e| NotStarted(format!("deployment {id} cannot run: {}", e.message)))?;
        let validation = match &stage.gates.validation {
            Some(v) => {
                ctx.log(
                    LogLevel::Info,
                    format!("running the validation: {}", v.describe()),
                )
                .await;
                Some(run_validation(v).await)
            }
            None => None,
        };
        let approvers = self
            .approvers_of(id, &row.plan_hash)
            .await
            .map_err(|e| NotStarted(format!("deployment {id} cannot run: {}", e.message)))?;
        let inputs = GateInputs {
            requester: Some(row.requested_by.clone()),
            approvers,
            validation,
        };
        let preflight = self
            .preflight_with(stored.request.clone(), inputs)
            .await
            .map_err(|e| NotStarted(format!("deployment {id} cannot run: {}", e.message)))?;
        if preflight.plan.hash != row.plan_hash {
            let back = self
                .transition(id, DeploymentState::Approved, DeploymentEvent::Invalidate)
                .await;
            let moved = if back.is_ok() {
                " It is PENDING again."
            } else {
                ""
            };
            return Err(NotStarted(format!(
                "deployment {id} did not run: its plan is stale ('{}' or '{}' changed since it was planned and approved; {}).{moved} Replan it (`n8nops deployments replan {id}`) and approve the new plan.",
                row.source_env,
                row.target_env,
                summary_line(&preflight.plan)
            )));
        }
        if !all_passed(&preflight.gates) {
            let failed: Vec<String> = preflight
                .gates
                .iter()
                .filter(|g| !g.passed)
                .map(|g| format!("{} gate: {}", g.gate, g.detail))
                .collect();
            return Err(NotStarted(format!(
                "deployment {id} did not start: {}",
                failed.join("; ")
            )));
        }
        for g in &preflight.gates {
            ctx.log(
                LogLevel::Info,
                format!("{} gate passed: {}", g.gate, g.detail),
            )
            .await;
        }

        self.transition(id, DeploymentState::Approved, DeploymentEvent::Start)
            .await
            .map_err(|e| NotStarted(e.message))?;
        let runner = serde_json::to_string(&LockInfo::ours()).unwrap_or_default();
        if let Ok(mut conn) = self.store.conn().await {
            let _ = store::set_runner(&mut conn, id, Some(&runner)).await;
        }
        Ok(Ready {
            source,
            target,
            stage,
            preflight,
        })
    }

    /// Who approved plan `hash` of deployment `id`.
    async fn approvers_of(&self, id: &str, hash: &str) -> OpsResult<Vec<String>> {
        let mut conn = self.store.conn().await?;
        let (_, _, decisions) = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| super::deployments::no_deployment(id))?;
        Ok(decisions
            .into_iter()
            .filter(|d| d.decision == Decision::Approve && d.plan_hash == hash)
            .map(|d| d.actor)
            .collect())
    }

    /// Steps 4 to 6, from RUNNING to COMPLETED, FAILED or ROLLBACK_FAILED.
    async fn execute(&self, ctx: &JobCtx, row: DeploymentRow, ready: Ready) -> JobOutcome {
        let id = row.id.clone();
        let target = ready.target.clone();
        ctx.progress("automatic snapshot", 0, 0).await;
        let snapshot = match self.snapshot_target(ctx, &row, &target).await {
            Ok(s) => s,
            Err(e) => {
                let message = format!(
                    "deployment {id}: nothing was written: the automatic snapshot of '{}' failed: {}",
                    target.name, e.message
                );
                return self.fail_unwritten(ctx, &row, message).await;
            }
        };

        let writer = match Writer::new(self, &ready).await {
            Ok(w) => w,
            Err(e) => {
                let message = format!("deployment {id}: nothing was written: {}", e.message);
                return self.fail_unwritten(ctx, &row, message).await;
            }
        };
        let mut written = writer.write_all(ctx, &id).await;
        if written.iter().all(|w| w.done && w.error.is_none())
            && let Err(e) = self.verify(ctx, &ready, &id, &mut written).await
        {
            for w in &mut written {
                w.error.get_or_insert_with(|| e.clone());
            }
        }
        let failures: Vec<String> = written.iter().filter_map(|w| w.error.clone()).collect();
        if !failures.is_empty() || written.iter().any(|w| !w.done) {
            let mut why = failures;
            if why.is_empty() {
                why.push("the run stopped before every workflow was written".into());
            }
            let message = format!(
                "deployment {id} failed and was rolled back to {}: {}",
                snapshot.id,
                why.join("; ")
            );
            ctx.log(LogLevel::Error, message.clone()).await;
            if let Err(e) = self
                .transition(&id, DeploymentState::Running, DeploymentEvent::Fail)
                .await
            {
                return failed_outcome(e.message);
            }
            return self
                .roll_back_to(ctx, &row, &snapshot.id, Some(message))
                .await;
        }

        // Step 6: record what was deployed, then COMPLETED.
        ctx.progress("recording", 0, 0).await;
        let commit = match self
            .record_promotion(ctx, &row, &ready, &written, &snapshot)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                let message = format!(
                    "deployment {id} was written and verified but not recorded in Git: {}; the next snapshot or backup of '{}' records it",
                    e.message, target.name
                );
                ctx.log(LogLevel::Warn, message.clone()).await;
                self.note_error(&id, &message).await;
                None
            }
        };
        if let Err(e) = self
            .transition(&id, DeploymentState::Running, DeploymentEvent::Complete)
            .await
        {
            return failed_outcome(e.message);
        }
        if let Ok(mut conn) = self.store.conn().await {
            let _ = store::set_runner(&mut conn, &id, None).await;
            if let Some(c) = &commit {
                let _ = store::set_commit(&mut conn, &id, c).await;
            }
        }
        let detail = format!(
            "deployment {id} completed: {} -> {}, {} written and verified, snapshot {}",
            row.source_env,
            row.target_env,
            written.len(),
            snapshot.id
        );
        self.audit_committed(super::deployments::ACTION, &row.target_env, detail)
            .await;
        self.outcome(&id, None, None).await
    }

    /// Fetches the target once and checks each written workflow against what its write
    /// expects: fingerprint, active state and tags; a deleted one must be gone. A
    /// mismatch is that workflow's error (recorded); a failed fetch is the error.
    async fn verify(
        &self,
        ctx: &JobCtx,
        ready: &Ready,
        id: &str,
        written: &mut [Written],
    ) -> Result<(), String> {
        let target = &ready.target.name;
        ctx.progress("verifying", 0, written.len() as u64).await;
        let synced = self.sync_env(ctx, &ready.target, &FETCH).await;
        if let Some(e) = synced.error {
            return Err(format!(
                "re-fetching '{target}' to verify the writes failed: {e}"
            ));
        }
        let mut live: HashMap<String, (String, bool, Vec<String>)> = HashMap::new();
        let read = async {
            let mut conn = self.store.conn().await?;
            let filter = workflows::Filter {
                env: Some(target.clone()),
                active: None,
            };
            workflows::visit(&mut conn, &filter, |row| {
                live.insert(row.n8n_id, (row.fingerprint, row.active, row.tags));
            })
            .await
        };
        read.await
            .map_err(|e| format!("reading '{target}' back from the store failed: {e}"))?;
        let (mut checked, total) = (0, written.len() as u64);
        for w in written.iter_mut() {
            let problem = match (&w.target_id, &w.expected, w.deleted) {
                (Some(tid), _, true) => live
                    .contains_key(tid)
                    .then(|| "n8n still has it after the delete".to_owned()),
                (Some(tid), Some(want), false) => match live.get(tid) {
                    None => Some("re-fetched, n8n does not have it".to_owned()),
                    Some((fp, _, _)) if *fp != want.fingerprint => Some(format!(
                        "re-fetched, it differs from what was written (fingerprint {} instead of {})",
                        short(fp),
                        short(&want.fingerprint)
                    )),
                    Some((_, active, _)) if *active != want.active => Some(format!(
                        "re-fetched, it is {} instead of {}",
                        word(*active),
                        word(want.active)
                    )),
                    Some((_, _, tags)) if !same_tags(tags, &want.tags) => Some(format!(
                        "re-fetched, its tags are [{}] instead of [{}]",
                        tags.join(", "),
                        want.tags.join(", ")
                    )),
                    Some(_) => None,
                },
                _ => Some("nothing to verify: the write gave no id".to_owned()),
            };
            checked += 1;
            if let Some(p) = problem {
                let message = format!("'{}' in '{target}': {p}", w.name);
                ctx.log(LogLevel::Error, message.clone()).await;
                let result = ItemResult {
                    result: ItemOutcome::Failed.as_str(),
                    error: Some(&message),
                    ..Default::default()
                };
                if let Ok(mut conn) = self.store.conn().await {
                    let _ = store::set_item_result(&mut conn, id, w.pos as i64, &result).await;
                }
                w.error = Some(message);
            }
            ctx.progress("verifying", checked, total).await;
        }
        let bad = written.iter().filter(|w| w.error.is_some()).count();
        if bad == 0 {
            ctx.log(
                LogLevel::Info,
                format!(
                    "{target}: {} workflow(s) re-fetched and verified",
                    written.len()
                ),
            )
            .await;
        }
        Ok(())
    }

    /// The automatic snapshot of the target, just fetched; recorded on the deployment.
    async fn snapshot_target(
        &self,
        ctx: &JobCtx,
        row: &DeploymentRow,
        target: &EnvRow,
    ) -> OpsResult<SnapshotView> {
        let why = format!(
            "Automatic snapshot before deployment {} ({} -> {}). Restoring it rolls the deployment back.",
            row.id, row.source_env, row.target_env
        );
        let mut rec = Recording::new(CommitKind::Snapshot, why, Scope::All);
        rec.job_id = Some(ctx.id().to_owned());
        rec.snapshot = true;
        // The target's drift stays drift: the snapshot is only a point to roll back to.
        rec.restore_point = true;
        let recorded = self.record_env(target, rec).await?;
        let taken = recorded
            .snapshot
            .ok_or_else(|| OpsError::internal("the snapshot made no commit"))?;
        let mut conn = self.store.conn().await?;
        store::set_snapshot(&mut conn, &row.id, &taken.id).await?;
        ctx.log(
            LogLevel::Info,
            format!("{}: automatic snapshot {} taken", target.name, taken.id),
        )
        .await;
        Ok(taken)
    }

    /// Commits the workflows written (kind promotion), as the verification fetched them.
    async fn record_promotion(
        &self,
        ctx: &JobCtx,
        row: &DeploymentRow,
        ready: &Ready,
        written: &[Written],
        snapshot: &SnapshotView,
    ) -> OpsResult<Option<String>> {
        // The store holds the target as `verify` just fetched it.
        let mut ids: Vec<String> = written
            .iter()
            .filter(|w| !w.deleted)
            .filter_map(|w| w.target_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        // A created workflow takes the canonical id it has in the source.
        let hints: HashMap<String, String> = written
            .iter()
            .filter_map(|w| Some((w.target_id.clone()?, w.canonical_id.clone()?)))
            .collect();
        let why = format!(
            "Deployment {} from {} to {}: {}. Restoring snapshot {} rolls it back.",
            row.id,
            row.source_env,
            row.target_env,
            summary_line(&ready.preflight.plan),
            snapshot.id
        );
        let mut rec = Recording::new(CommitKind::Promotion, why, Scope::Only(ids));
        rec.job_id = Some(ctx.id().to_owned());
        rec.hints = hints;
        rec.trailers = vec![
            (key::SOURCE.to_owned(), row.source_env.clone()),
            (key::REPLACES.to_owned(), snapshot.id.clone()),
            ("Deployment".to_owned(), row.id.clone()),
        ];
        let recorded = self.record_env(&ready.target, rec).await?;
        Ok(recorded.commit.map(|c| c.id))
    }

    /// A run that failed before its first write: FAILED at once (nothing to roll back).
    async fn fail_unwritten(
        &self,
        ctx: &JobCtx,
        row: &DeploymentRow,
        message: String,
    ) -> JobOutcome {
        ctx.log(LogLevel::Error, message.clone()).await;
        self.note_error(&row.id, &message).await;
        for event in [DeploymentEvent::Fail, DeploymentEvent::RolledBack] {
            let from = match self.deployment_row(&row.id).await {
                Ok((r, _)) => r.state,
                Err(e) => return failed_outcome(e.message),
            };
            if let Err(e) = self.transition(&row.id, from, event).await {
                return failed_outcome(e.message);
            }
        }
        let err = OpsError::new(ErrorKind::Upstream, message.clone());
        self.audit_failure(super::deployments::ACTION, Some(&row.target_env), &err)
            .await;
        self.outcome(&row.id, None, Some(message)).await
    }

    /// Records `message` as the deployment's error; a failure to is logged.
    pub(super) async fn note_error(&self, id: &str, message: &str) {
        let write = async {
            let mut conn = self.store.conn().await?;
            store::set_error(&mut conn, id, Some(message)).await
        };
        if let Err(e) = write.await {
            tracing::error!(deployment = id, error = %e, "could not record a deployment's error");
        }
    }

    /// The job's outcome: the deployment's report, and `error` (the job fails with it).
    pub(super) async fn outcome(
        &self,
        id: &str,
        rollback: Option<RestoreReport>,
        error: Option<String>,
    ) -> JobOutcome {
        let report = match self.show_deployment(id).await {
            Ok(detail) => PromotionReport {
                deployment_id: id.to_owned(),
                state: detail.deployment.state,
                source_env: detail.deployment.source_env.clone(),
                target_env: detail.deployment.target_env.clone(),
                snapshot: detail.deployment.snapshot.clone(),
                commit: detail.commit.clone(),
                items: detail.items,
                rollback,
            },
            Err(e) => return failed_outcome(e.message),
        };
        let error = error.or_else(|| {
            (report.state != DeploymentState::Completed)
                .then(|| format!("deployment {id} ended {}", report.state))
        });
        JobOutcome {
            result: serde_json::to_value(&report).ok(),
            error,
        }
    }
}

/// What a run needs once it may write.
pub(super) struct Ready {
    pub source: EnvRow,
    pub target: EnvRow,
    pub stage: crate::domain::pipeline::Stage,
    pub preflight: Preflight,
}

impl Ready {
    /// The preflight's key of each plan item (for its credentials and diff).
    fn keys(&self) -> Vec<String> {
        map_keys(&self.preflight.plan)
    }
}

fn failed_outcome(message: String) -> JobOutcome {
    JobOutcome {
        result: None,
        error: Some(message),
    }
}

fn word(active: bool) -> &'static str {
    if active { "active" } else { "inactive" }
}

/// A fingerprint as people read it.
fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}
