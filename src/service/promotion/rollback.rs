//! Undoing deployments: the rollback of a failed run to its snapshot, the recovery of
//! runs a dead process left behind, and the rollback of a completed deployment.

use crate::domain::commit::CommitKind;
use crate::domain::deployment::{DeploymentEvent, DeploymentState, StartupAction};
use crate::domain::diff::DiffStatus;
use crate::domain::job::LogLevel;
use crate::domain::promotion::{Plan, PlanAction, PlanItem};
use crate::git::LockInfo;
use crate::service::canonical_state::{Recording, Scope};
use crate::service::deployments::{ACTION, StoredPlan, new_deployment_id, no_deployment, to_json};
use crate::service::jobs::{JobCtx, JobOutcome};
use crate::service::local::LocalOps;
use crate::service::types::*;
use crate::service::{ErrorKind, OpsError, OpsResult};
use crate::store::deployments::{self as store, DeploymentRow, ItemResult, ItemRow, NewDeployment};
use crate::store::environments;
use crate::store::now_ms;

impl LocalOps {
    /// Restores the target of deployment `row` (ROLLING_BACK) to `snapshot` and verifies
    /// it: FAILED when every workflow is back, ROLLBACK_FAILED otherwise. `cause` is why
    /// it rolls back (the deployment's error).
    pub(super) async fn roll_back_to(
        &self,
        ctx: &JobCtx,
        row: &DeploymentRow,
        snapshot: &str,
        cause: Option<String>,
    ) -> JobOutcome {
        let id = &row.id;
        ctx.progress("rolling back", 0, 0).await;
        ctx.log(
            LogLevel::Warn,
            format!("{}: rolling back to snapshot {snapshot}", row.target_env),
        )
        .await;
        let restored = async {
            let env = {
                let mut conn = self.store.conn().await?;
                environments::get(&mut conn, &row.target_env).await?
            };
            let view = self.find_snapshot(snapshot, Some(&env.name)).await?;
            self.restore_into(ctx, &env, view, &[]).await
        }
        .await;
        let (report, problem) = match restored {
            Ok((report, error)) => {
                let problem = error.or_else(|| {
                    (!report.ok()).then(|| "some workflows were not restored".to_owned())
                });
                (Some(report), problem)
            }
            Err(e) => (None, Some(e.message)),
        };
        // Git may lag behind when only the recording failed: the instance is what counts.
        let verified = report.as_ref().is_some_and(|r| r.ok());
        let (event, message) = if verified {
            (DeploymentEvent::RolledBack, cause.clone())
        } else {
            let why = problem.unwrap_or_else(|| "the rollback did not verify".into());
            (
                DeploymentEvent::RollbackFailed,
                Some(format!(
                    "{}the rollback to {snapshot} did not complete: {why}; '{}' may differ from its snapshot: restore it (`n8nops restore {} --snapshot {snapshot}`)",
                    cause.map(|c| format!("{c}; ")).unwrap_or_default(),
                    row.target_env,
                    row.target_env
                )),
            )
        };
        if let Some(m) = &message {
            self.note_error(id, m).await;
        }
        if verified {
            self.mark_rolled_back(id).await;
        }
        if let Err(e) = self
            .transition(id, DeploymentState::RollingBack, event)
            .await
        {
            return JobOutcome {
                result: None,
                error: Some(e.message),
            };
        }
        if let Ok(mut conn) = self.store.conn().await {
            let _ = store::set_runner(&mut conn, id, None).await;
        }
        let err = OpsError::new(
            ErrorKind::Upstream,
            message
                .clone()
                .unwrap_or_else(|| format!("deployment {id} rolled back")),
        );
        self.audit_failure(ACTION, Some(&row.target_env), &err)
            .await;
        self.outcome(id, report, message).await
    }

    /// Items written before the failure are now undone.
    async fn mark_rolled_back(&self, id: &str) {
        let write = async {
            let mut conn = self.store.conn().await?;
            let Some((_, items, _)) = store::get(&mut conn, id).await? else {
                return Ok(());
            };
            for item in items.iter().filter(|i| i.result.as_deref() == Some("ok")) {
                let result = ItemResult {
                    result: ItemOutcome::RolledBack.as_str(),
                    ..Default::default()
                };
                store::set_item_result(&mut conn, id, item.pos, &result).await?;
            }
            Ok::<_, OpsError>(())
        };
        if let Err(e) = write.await {
            tracing::error!(deployment = id, error = %e.message, "could not mark rolled-back workflows");
        }
    }

    pub(in crate::service) async fn recover_deployments(
        &self,
    ) -> OpsResult<Vec<DeploymentStarted>> {
        let rows = {
            let mut conn = self.store.conn().await?;
            store::running(&mut conn).await?
        };
        let mut started = Vec::new();
        for row in rows {
            if row.state.on_startup() != StartupAction::Rollback {
                continue;
            }
            // Only a run whose process is gone is taken over.
            let runner: Option<LockInfo> = row
                .runner
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok());
            if let Some(runner) = &runner
                && !runner.is_dead_here()
            {
                tracing::info!(deployment = %row.id, runner = %runner.describe(), "a deployment is running elsewhere");
                continue;
            }
            let from = row.state;
            if self
                .transition(&row.id, from, DeploymentEvent::Interrupted)
                .await
                .is_err()
            {
                continue;
            }
            let mine = serde_json::to_string(&LockInfo::ours()).unwrap_or_default();
            {
                let mut conn = self.store.conn().await?;
                store::set_runner(&mut conn, &row.id, Some(&mine)).await?;
            }
            let ops = self.clone();
            let title = format!(
                "recover {} -> {} ({}): roll back",
                row.source_env, row.target_env, row.id
            );
            let id = row.id.clone();
            let job_id = self
                .jobs
                .spawn(
                    "promote-recover",
                    title,
                    &self.settings.actor,
                    serde_json::json!({ "deployment": id }),
                    move |ctx| async move { ops.recover_one(ctx, row).await },
                )
                .await?;
            let mut conn = self.store.conn().await?;
            store::set_job(&mut conn, &id, &job_id).await?;
            started.push(DeploymentStarted {
                deployment_id: id,
                job_id,
            });
        }
        Ok(started)
    }

    async fn recover_one(&self, ctx: JobCtx, row: DeploymentRow) -> JobOutcome {
        let cause = format!(
            "deployment {} was interrupted (n8nops stopped while it ran) and is rolled back",
            row.id
        );
        ctx.log(LogLevel::Warn, cause.clone()).await;
        match row.snapshot.clone() {
            Some(snapshot) => self.roll_back_to(&ctx, &row, &snapshot, Some(cause)).await,
            None => {
                // Stopped before its snapshot: nothing was written.
                let message =
                    format!("{cause}: it stopped before its snapshot, nothing was written");
                self.note_error(&row.id, &message).await;
                if let Err(e) = self
                    .transition(
                        &row.id,
                        DeploymentState::RollingBack,
                        DeploymentEvent::RolledBack,
                    )
                    .await
                {
                    return JobOutcome {
                        result: None,
                        error: Some(e.message),
                    };
                }
                self.outcome(&row.id, None, Some(message)).await
            }
        }
    }

    /// Rolls a COMPLETED deployment back: a new deployment (APPROVED, run at once) that
    /// puts the workflows it updated or deleted back as its snapshot holds them and moves
    /// those it created to the trash.
    pub(in crate::service) async fn rollback_deployment(
        &self,
        id: &str,
    ) -> OpsResult<DeploymentStarted> {
        let (row, stored) = self.deployment_row(id).await?;
        let snapshot = match (row.state, &row.snapshot) {
            (DeploymentState::Completed, Some(s)) => s.clone(),
            (DeploymentState::Completed, None) => {
                return Err(OpsError::new(
                    ErrorKind::Conflict,
                    format!("deployment {id} has no snapshot to roll back to"),
                ));
            }
            (state, _) => {
                return Err(OpsError::new(
                    ErrorKind::Conflict,
                    format!(
                        "deployment {id} is {state}: only a COMPLETED one can be rolled back (a failed one already was)"
                    ),
                ));
            }
        };
        let items = {
            let mut conn = self.store.conn().await?;
            store::get(&mut conn, id)
                .await?
                .ok_or_else(|| no_deployment(id))?
                .1
        };
        let undo: Vec<PlanItem> = items
            .iter()
            .filter(|i| i.result.as_deref() == Some(ItemOutcome::Ok.as_str()))
            .filter_map(|i| {
                let action = match PlanAction::parse(&i.action)? {
                    PlanAction::Create => PlanAction::Delete,
                    PlanAction::Update => PlanAction::Update,
                    PlanAction::Delete => PlanAction::Create,
                    _ => return None,
                };
                Some(PlanItem {
                    name: i.name.clone(),
                    canonical_id: i.canonical_id.clone(),
                    status: DiffStatus::Modified,
                    risk: None,
                    source_fingerprint: None,
                    target_fingerprint: None,
                    target_id: i.target_id.clone(),
                    source_id: None,
                    action,
                    hotfix_override: false,
                })
            })
            .collect();
        let new_id = new_deployment_id()?;
        let plan = Plan {
            stage: None,
            source_env: format!("snapshot {snapshot}"),
            target_env: row.target_env.clone(),
            items: undo.clone(),
            hash: format!("rollback of {id}"),
        };
        let record = StoredPlan {
            request: PromoteRequest {
                from: row.target_env.clone(),
                to: row.target_env.clone(),
                ..stored.request.clone()
            },
            plan: plan.clone(),
            approvals_required: 0,
            note: Some(format!(
                "rollback of deployment {id} to snapshot {snapshot}"
            )),
            planned_at: None,
        };
        let new = NewDeployment {
            id: new_id.clone(),
            pipeline: row.pipeline.clone(),
            stage: row.stage,
            source_env: row.target_env.clone(),
            target_env: row.target_env.clone(),
            state: DeploymentState::Approved,
            requested_by: self.settings.actor.clone(),
            requested_at: now_ms(),
            scheduled_for: None,
            plan: to_json(&record)?,
            plan_hash: plan.hash.clone(),
            rollback_of: Some(id.to_owned()),
        };
        let rows: Vec<ItemRow> = undo
            .iter()
            .enumerate()
            .map(|(pos, i)| ItemRow {
                pos: pos as i64,
                name: i.name.clone(),
                canonical_id: i.canonical_id.clone(),
                source_id: None,
                target_id: i.target_id.clone(),
                action: i.action.as_str().to_owned(),
                status: i.status.as_str().to_owned(),
                result: None,
                error: None,
                diff: None,
            })
            .collect();
        let env = row.target_env.clone();
        self.audited(ACTION, Some(&env), move |tx| {
            Box::pin(async move {
                store::insert(tx, &new, &rows).await?;
                store::set_snapshot(tx, &new.id, &snapshot).await?;
                let detail = format!(
                    "deployment {} rolls back deployment {} to snapshot {snapshot}",
                    new.id,
                    new.rollback_of.as_deref().unwrap_or_default()
                );
                Ok(((), Some(detail)))
            })
        })
        .await?;
        let ops = self.clone();
        let title = format!("roll back deployment {id} in {}", row.target_env);
        let run_id = new_id.clone();
        let job_id = self
            .jobs
            .spawn(
                "promote-rollback",
                title,
                &self.settings.actor,
                serde_json::json!({ "deployment": new_id, "rollback_of": id }),
                move |ctx| async move { ops.run_undo(ctx, run_id).await },
            )
            .await?;
        let mut conn = self.store.conn().await?;
        store::set_job(&mut conn, &new_id, &job_id).await?;
        Ok(DeploymentStarted {
            deployment_id: new_id,
            job_id,
        })
    }

    /// Runs a rollback deployment: restore the updated and deleted workflows from the
    /// snapshot, trash the created ones, record, COMPLETED (else ROLLBACK_FAILED).
    async fn run_undo(&self, ctx: JobCtx, id: String) -> JobOutcome {
        let fail = |m: String| JobOutcome {
            result: None,
            error: Some(m),
        };
        let (row, stored) = match self.deployment_row(&id).await {
            Ok(r) => r,
            Err(e) => return fail(e.message),
        };
        let Some(snapshot) = row.snapshot.clone() else {
            return fail(format!("deployment {id} has no snapshot"));
        };
        if let Err(e) = self
            .transition(&id, DeploymentState::Approved, DeploymentEvent::Start)
            .await
        {
            return fail(e.message);
        }
        let mine = serde_json::to_string(&LockInfo::ours()).unwrap_or_default();
        if let Ok(mut conn) = self.store.conn().await {
            let _ = store::set_runner(&mut conn, &id, Some(&mine)).await;
        }
        let result = self.undo_items(&ctx, &row, &stored, &snapshot).await;
        let (event_chain, message, report): (&[DeploymentEvent], Option<String>, _) = match result {
            Ok((report, None)) => (&[DeploymentEvent::Complete], None, report),
            Ok((report, Some(problem))) => (
                &[DeploymentEvent::Fail, DeploymentEvent::RollbackFailed],
                Some(format!(
                    "the rollback of {} did not complete: {problem}",
                    row.rollback_of.as_deref().unwrap_or_default()
                )),
                report,
            ),
            Err(e) => (
                &[DeploymentEvent::Fail, DeploymentEvent::RollbackFailed],
                Some(format!("the rollback did not run: {}", e.message)),
                None,
            ),
        };
        if let Some(m) = &message {
            ctx.log(LogLevel::Error, m.clone()).await;
            self.note_error(&id, m).await;
        }
        let mut state = DeploymentState::Running;
        for event in event_chain {
            match self.transition(&id, state, *event).await {
                Ok(next) => state = next,
                Err(e) => return fail(e.message),
            }
        }
        if let Ok(mut conn) = self.store.conn().await {
            let _ = store::set_runner(&mut conn, &id, None).await;
        }
        match &message {
            None => {
                self.audit_committed(
                    ACTION,
                    &row.target_env,
                    format!(
                        "deployment {id} rolled back deployment {} to snapshot {snapshot}",
                        row.rollback_of.as_deref().unwrap_or_default()
                    ),
                )
                .await
            }
            Some(m) => {
                let err = OpsError::new(ErrorKind::Upstream, m.clone());
                self.audit_failure(ACTION, Some(&row.target_env), &err)
                    .await
            }
        }
        self.outcome(&id, report, message).await
    }

    /// The undo itself; the error is what did not go back.
    async fn undo_items(
        &self,
        ctx: &JobCtx,
        row: &DeploymentRow,
        stored: &StoredPlan,
        snapshot: &str,
    ) -> OpsResult<(Option<RestoreReport>, Option<String>)> {
        let env = {
            let mut conn = self.store.conn().await?;
            environments::get(&mut conn, &row.target_env).await?
        };
        let view = self.find_snapshot(snapshot, Some(&env.name)).await?;
        let at = self.canonical_at(Some(view.commit.clone())).await?;
        let mapping = at.mapping(&view.env);
        let ids = mapping.by_n8n_id();
        let items = &stored.plan.items;
        let mut problems = Vec::new();
        // Put back what the deployment updated or deleted, by the snapshot's own ids.
        let given: Vec<String> = items
            .iter()
            .filter(|i| i.action != PlanAction::Delete)
            .filter_map(|i| {
                let canonical = i.target_id.as_deref().and_then(|t| ids.get(t));
                match canonical {
                    Some(c) => Some(c.to_string()),
                    None => {
                        problems.push(format!("'{}' is not in snapshot {snapshot}", i.name));
                        None
                    }
                }
            })
            .collect();
        let mut report = None;
        if !given.is_empty() {
            let (r, error) = self.restore_into(ctx, &env, view.clone(), &given).await?;
            if let Some(e) = error {
                problems.push(e);
            }
            report = Some(r);
        }
        // Trash what it created.
        let created: Vec<&PlanItem> = items
            .iter()
            .filter(|i| i.action == PlanAction::Delete)
            .collect();
        if !created.is_empty() {
            let client = self.client(&env).await?;
            let by = format!(
                " (rollback of deployment {})",
                row.rollback_of.as_deref().unwrap_or_default()
            );
            let mut gone = Vec::new();
            for (pos, item) in items.iter().enumerate() {
                if item.action != PlanAction::Delete {
                    continue;
                }
                let Some(tid) = item.target_id.as_deref() else {
                    continue;
                };
                let outcome = match self.delete(&env, &client, tid, false, &by).await {
                    Ok(_) => {
                        gone.push(tid.to_owned());
                        ItemOutcome::Ok
                    }
                    Err(e) => {
                        problems.push(format!(
                            "'{}' in '{}' could not be moved to the trash: {}",
                            item.name, env.name, e.message
                        ));
                        ItemOutcome::Failed
                    }
                };
                let mut conn = self.store.conn().await?;
                let result = ItemResult {
                    result: outcome.as_str(),
                    ..Default::default()
                };
                store::set_item_result(&mut conn, &row.id, pos as i64, &result).await?;
            }
            if !gone.is_empty() {
                let why = format!(
                    "Rollback of deployment {}: {} workflows it created moved to the trash.",
                    row.rollback_of.as_deref().unwrap_or_default(),
                    gone.len()
                );
                let mut rec = Recording::new(CommitKind::Restore, why, Scope::Only(gone));
                rec.job_id = Some(ctx.id().to_owned());
                if let Err(e) = self.record_env(&env, rec).await {
                    ctx.log(
                        LogLevel::Warn,
                        format!(
                            "the trashed workflows were not recorded in Git: {}",
                            e.message
                        ),
                    )
                    .await;
                }
            }
        }
        // Results of the restored ones.
        if let Some(r) = &report {
            let mut conn = self.store.conn().await?;
            for (pos, item) in items.iter().enumerate() {
                if item.action == PlanAction::Delete {
                    continue;
                }
                let back = r.items.iter().find(|x| {
                    x.canonical_id.as_deref()
                        == item
                            .target_id
                            .as_deref()
                            .and_then(|t| ids.get(t).map(|c| &**c))
                });
                let ok = back.is_some_and(|x| x.ok && x.verified);
                let result = ItemResult {
                    result: if ok {
                        ItemOutcome::Ok.as_str()
                    } else {
                        ItemOutcome::Failed.as_str()
                    },
                    error: back.and_then(|x| x.error.as_deref()),
                    target_id: back.and_then(|x| x.n8n_id.as_deref()),
                    diff: None,
                };
                store::set_item_result(&mut conn, &row.id, pos as i64, &result).await?;
            }
        }
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        Ok((report, problem))
    }
}
