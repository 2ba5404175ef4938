//! Deployments: promotions recorded with their plan, approved, scheduled, cancelled,
//! replanned and rolled back. Running one is [`super::promotion`]'s work.
//!
//! A deployment is planned from freshly fetched environments. Its plan's hash binds the
//! approvals given on it: before it runs, both sides are fetched again and the plan
//! recomputed; a different hash makes it stale (back to PENDING, `replan` needed), so
//! nothing approved on one plan ever deploys another.

mod views;

use super::jobs::JobOutcome;
use super::local::LocalOps;
use super::preflight::map_keys;
use super::restore::FETCH;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::deployment::{DeploymentEvent, DeploymentState};
use crate::domain::encoding::hex;
use crate::domain::job::JobState;
use crate::domain::pipeline::GateKind;
use crate::domain::promotion::{Plan, PlanAction};
use crate::store::deployments::{self as store, ApprovalRow, Decision, ItemRow, NewDeployment};
use crate::store::environments;
use crate::store::now_ms;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
pub(super) use views::{stored_plan, view_of};

/// The audit action of a promotion's request and decisions.
pub(super) const ACTION: &str = "promote";

/// What a deployment's `plan` column holds: the request and the plan made from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredPlan {
    pub request: PromoteRequest,
    pub plan: Plan,
    /// Approvals the stage asks for.
    #[serde(default)]
    pub approvals_required: usize,
    #[serde(default)]
    pub note: Option<String>,
    /// When both environments were fetched for this plan (unix ms).
    #[serde(default)]
    pub planned_at: Option<i64>,
}

/// A run that needs no approval and starts this soon after its plan's fetch uses that
/// fetch instead of fetching both environments again: nobody had time to judge the
/// plan, so there is nothing a change could make stale.
pub(super) const FRESH_PLAN_MS: i64 = 30_000;

impl LocalOps {
    pub(super) async fn create_deployment(
        &self,
        req: DeploymentCreate,
    ) -> OpsResult<DeploymentCreated> {
        let request = req.request.clone();
        let result = self.plan_and_record(req).await;
        if let Err(e) = &result {
            self.audit_failure(ACTION, Some(&request.to), e).await;
        }
        let (id, preflight) = result?;
        let (deployment, job_id) = self.submit(&id).await?;
        Ok(DeploymentCreated {
            deployment,
            preflight,
            job_id,
        })
    }

    /// Fetches, plans, refuses what the gates block, and records a PENDING deployment
    /// (and, when it names the incident it fixes, a `promotion_started` entry on that
    /// incident's timeline in the same transaction; an incident that does not exist is
    /// refused before anything is fetched or recorded).
    async fn plan_and_record(&self, req: DeploymentCreate) -> OpsResult<(String, Preflight)> {
        if let Some(id) = req.incident {
            self.incident_fixed_by(id).await?;
        }
        let preflight = self.fresh_preflight(&req.request).await?;
        if let Some(reviewed) = &req.reviewed_hash
            && *reviewed != preflight.plan.hash
        {
            return Err(OpsError::new(
                ErrorKind::Conflict,
                format!(
                    "the plan changed since it was reviewed: '{}' or '{}' is not as the review saw it (fetched now: {}); review it again",
                    req.request.from,
                    req.request.to,
                    summary_line(&preflight.plan)
                ),
            ));
        }
        refuse_blocked(&preflight, req.scheduled_for.is_some())?;
        let (stage, named) = self.stage_of(&req.request).await?;
        let stage_index = match &named {
            Some((name, _)) => self
                .show_pipeline(name)
                .await?
                .pipeline
                .stages
                .iter()
                .position(|s| s.from == stage.from && s.to == stage.to)
                .map(|i| i as i64),
            None => None,
        };
        let id = new_deployment_id()?;
        let stored = StoredPlan {
            request: req.request.clone(),
            plan: preflight.plan.clone(),
            approvals_required: stage.gates.approvals as usize,
            note: req.note.clone(),
            planned_at: Some(now_ms()),
        };
        let new = NewDeployment {
            id: id.clone(),
            pipeline: req.request.pipeline.clone(),
            stage: stage_index,
            source_env: req.request.from.clone(),
            target_env: req.request.to.clone(),
            state: DeploymentState::Pending,
            requested_by: self.settings.actor.clone(),
            requested_at: now_ms(),
            scheduled_for: req.scheduled_for.map(|t| t.timestamp_millis()),
            plan: to_json(&stored)?,
            plan_hash: preflight.plan.hash.clone(),
            rollback_of: None,
        };
        let items = item_rows(&preflight)?;
        let summary = summary_line(&preflight.plan);
        let env = req.request.to.clone();
        let ops = self.clone();
        let fixes = req.incident;
        let fixed = self
            .audited(ACTION, Some(&env), move |tx| {
                Box::pin(async move {
                    store::insert(tx, &new, &items).await?;
                    let mut detail = format!(
                        "deployment {} requested: {} -> {}, {summary}",
                        new.id, new.source_env, new.target_env
                    );
                    let mut fixed = None;
                    if let Some(incident) = fixes {
                        let (row, named) = ops
                            .record_promotion_started(
                                tx,
                                incident,
                                &new.id,
                                &new.source_env,
                                &new.target_env,
                                new.requested_at,
                            )
                            .await?;
                        detail.push_str(&format!("; fixes {named}"));
                        fixed = Some(row);
                    }
                    Ok((fixed, Some(detail)))
                })
            })
            .await?;
        if let Some(row) = fixed {
            self.announce_promotion(&row);
        }
        Ok((id, preflight))
    }

    /// Fetches both environments (workflows, credentials, tags) in a short job of its
    /// own, awaited, then computes the preflight from what was fetched.
    pub(super) async fn fresh_preflight(&self, req: &PromoteRequest) -> OpsResult<Preflight> {
        self.fetch_pair(&req.from, &req.to).await?;
        let mut preflight = self.preflight(req.clone()).await?;
        // The preflight's note about its source said the store was not refreshed.
        if let Some(first) = preflight.notes.first_mut()
            && first.starts_with("computed from the store")
        {
            *first = format!(
                "computed from '{}' and '{}' fetched just now",
                req.from, req.to
            );
        }
        Ok(preflight)
    }

    /// Fetches both environments of a promotion, in a job ("promote-fetch") awaited here.
    async fn fetch_pair(&self, from: &str, to: &str) -> OpsResult<()> {
        if from == to {
            return Err(OpsError::invalid(format!(
                "cannot promote from '{from}' to itself"
            )));
        }
        let (source, target) = {
            let mut conn = self.store.conn().await?;
            (
                environments::get(&mut conn, from).await?,
                environments::get(&mut conn, to).await?,
            )
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ops = self.clone();
        let title = format!("fetch {from} and {to} for a promotion");
        self.jobs
            .spawn(
                "promote-fetch",
                title,
                &self.settings.actor,
                serde_json::json!({"from": from, "to": to}),
                move |ctx| async move {
                    let mut errors = Vec::new();
                    for env in [&source, &target] {
                        let report = ops.sync_env(&ctx, env, &FETCH).await;
                        if let Some(e) = report.error {
                            errors.push(format!("fetching '{}' failed: {e}", env.name));
                        }
                    }
                    let error = (!errors.is_empty()).then(|| errors.join("; "));
                    let _ = tx.send(error.clone());
                    JobOutcome {
                        result: None,
                        error,
                    }
                },
            )
            .await?;
        match rx.await {
            Ok(None) => Ok(()),
            Ok(Some(error)) => Err(OpsError::new(ErrorKind::Upstream, error)),
            Err(_) => Err(OpsError::internal(
                "fetching the environments of a promotion stopped before it ended",
            )),
        }
    }

    /// Moves a PENDING deployment on: to PENDING_APPROVAL when it needs approvals, else
    /// to APPROVED, and starts it when it is approved and due.
    async fn submit(&self, id: &str) -> OpsResult<(DeploymentView, Option<String>)> {
        let (row, stored) = self.deployment_row(id).await?;
        let event = if stored.approvals_required > 0 {
            DeploymentEvent::RequireApproval
        } else {
            DeploymentEvent::Submit
        };
        let next = self.transition(&row.id, row.state, event).await?;
        let job_id = if next == DeploymentState::Approved && is_due(row.scheduled_for) {
            Some(self.start_run(id).await?)
        } else {
            None
        };
        let view = self.show_deployment(id).await?.deployment;
        Ok((view, job_id))
    }

    /// Moves deployment `id` from `from` by `event`, by compare-and-set: an error when
    /// the transition is invalid or another process moved it first.
    pub(super) async fn transition(
        &self,
        id: &str,
        from: DeploymentState,
        event: DeploymentEvent,
    ) -> OpsResult<DeploymentState> {
        let to = from
            .next(event)
            .map_err(|e| OpsError::new(ErrorKind::Conflict, format!("deployment {id}: {e}")))?;
        let mut conn = self.store.conn().await?;
        if !store::set_state(&mut conn, id, from, to, now_ms()).await? {
            return Err(OpsError::new(
                ErrorKind::Conflict,
                format!(
                    "deployment {id} is no longer {from}: another n8nops changed it; look again"
                ),
            ));
        }
        Ok(to)
    }

    /// The stored row and its plan.
    pub(super) async fn deployment_row(
        &self,
        id: &str,
    ) -> OpsResult<(store::DeploymentRow, StoredPlan)> {
        let mut conn = self.store.conn().await?;
        let (row, _, _) = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| no_deployment(id))?;
        let stored = stored_plan(&row)?;
        Ok((row, stored))
    }

    pub(super) async fn list_deployments(
        &self,
        query: &DeploymentQuery,
    ) -> OpsResult<Vec<DeploymentView>> {
        let filter = store::DeploymentFilter {
            pipeline: query.pipeline.clone(),
            env: query.env.clone(),
            state: query.state,
            requested_by: query.requested_by.clone(),
            since: query.since.map(|t| t.timestamp_millis()),
            until: query.until.map(|t| t.timestamp_millis()),
            limit: query.limit.map(|n| n as i64),
        };
        let mut conn = self.store.conn().await?;
        let rows = store::list(&mut conn, &filter).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            // Decisions matter only while approvals are awaited.
            let decisions = if row.state == DeploymentState::PendingApproval {
                store::get(&mut conn, &row.id)
                    .await?
                    .map(|(_, _, a)| a)
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            views.push(view_of(&row, &decisions)?);
        }
        Ok(views)
    }

    pub(super) async fn show_deployment(&self, id: &str) -> OpsResult<DeploymentDetail> {
        let mut conn = self.store.conn().await?;
        let (row, items, decisions) = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| no_deployment(id))?;
        views::detail_of(&row, &items, &decisions)
    }

    pub(super) async fn decide_deployment(
        &self,
        decision: DeploymentDecision,
    ) -> OpsResult<DeploymentDecided> {
        let id = decision.id.clone();
        let (row, stored) = self.deployment_row(&id).await?;
        let actor = self.settings.actor.clone();
        let verb = if decision.approve {
            "approve"
        } else {
            "reject"
        };
        if row.state != DeploymentState::PendingApproval {
            let err = OpsError::new(
                ErrorKind::Conflict,
                format!(
                    "deployment {id} is {}, not awaiting approval: nothing to {verb}",
                    row.state
                ),
            );
            self.audit_failure(ACTION, Some(&row.target_env), &err)
                .await;
            return Err(err);
        }
        if decision.approve && actor == row.requested_by {
            let err = OpsError::new(
                ErrorKind::Forbidden,
                format!(
                    "'{actor}' requested deployment {id} and cannot approve it: approvals come from others"
                ),
            );
            self.audit_failure(ACTION, Some(&row.target_env), &err)
                .await;
            return Err(err);
        }
        let approval = ApprovalRow {
            deployment_id: id.clone(),
            actor: actor.clone(),
            decision: if decision.approve {
                Decision::Approve
            } else {
                Decision::Reject
            },
            plan_hash: row.plan_hash.clone(),
            decided_at: now_ms(),
            note: decision.note.clone(),
        };
        let target = row.target_env.clone();
        let (state, hash) = (row.state, row.plan_hash.clone());
        let required = stored.approvals_required;
        let requester = row.requested_by.clone();
        let approve = decision.approve;
        let next = self
            .audited(ACTION, Some(&target), move |tx| {
                Box::pin(async move {
                    store::record_approval(tx, &approval).await?;
                    let (_, _, all) = store::get(tx, &approval.deployment_id)
                        .await?
                        .ok_or_else(|| no_deployment(&approval.deployment_id))?;
                    let status = views::approval_status_of(&requester, required, &hash, &all);
                    let event = match (approve, status.approved) {
                        (false, _) => Some(DeploymentEvent::Reject),
                        (true, true) => Some(DeploymentEvent::Approve),
                        (true, false) => None,
                    };
                    let next = match event {
                        Some(event) => {
                            let to = state
                                .next(event)
                                .map_err(|e| OpsError::new(ErrorKind::Conflict, e.to_string()))?;
                            if !store::set_state(tx, &approval.deployment_id, state, to, now_ms())
                                .await?
                            {
                                return Err(OpsError::new(
                                    ErrorKind::Conflict,
                                    format!(
                                        "deployment {} changed while deciding; look again",
                                        approval.deployment_id
                                    ),
                                ));
                            }
                            to
                        }
                        None => state,
                    };
                    let detail = format!(
                        "deployment {}: {} by {} ({} of {} approvals of plan {}); now {next}",
                        approval.deployment_id,
                        approval.decision.as_str(),
                        approval.actor,
                        status.counted.len(),
                        required,
                        &hash[..hash.len().min(12)]
                    );
                    Ok((next, Some(detail)))
                })
            })
            .await?;
        let job_id = if next == DeploymentState::Approved && is_due(row.scheduled_for) {
            Some(self.start_run(&id).await?)
        } else {
            None
        };
        let deployment = self.show_deployment(&id).await?.deployment;
        Ok(DeploymentDecided { deployment, job_id })
    }

    pub(super) async fn cancel_deployment(&self, id: &str) -> OpsResult<DeploymentView> {
        let (row, _) = self.deployment_row(id).await?;
        if !row.state.is_cancellable() {
            let err = OpsError::new(
                ErrorKind::Conflict,
                format!(
                    "deployment {id} is {} and cannot be cancelled: only one that has not started can (roll back a completed one)",
                    row.state
                ),
            );
            self.audit_failure(ACTION, Some(&row.target_env), &err)
                .await;
            return Err(err);
        }
        let to = row
            .state
            .next(DeploymentEvent::Cancel)
            .map_err(|e| OpsError::new(ErrorKind::Conflict, e.to_string()))?;
        let (from, id_owned) = (row.state, id.to_owned());
        self.audited(ACTION, Some(&row.target_env), move |tx| {
            Box::pin(async move {
                if !store::set_state(tx, &id_owned, from, to, now_ms()).await? {
                    return Err(OpsError::new(
                        ErrorKind::Conflict,
                        format!("deployment {id_owned} changed while cancelling; look again"),
                    ));
                }
                Ok(((), Some(format!("deployment {id_owned} cancelled"))))
            })
        })
        .await?;
        Ok(self.show_deployment(id).await?.deployment)
    }

    pub(super) async fn replan_deployment(&self, id: &str) -> OpsResult<DeploymentCreated> {
        let (row, mut stored) = self.deployment_row(id).await?;
        if !row.state.is_pending() {
            return Err(OpsError::new(
                ErrorKind::Conflict,
                format!(
                    "deployment {id} is {}: only one that has not started can be replanned",
                    row.state
                ),
            ));
        }
        let preflight = self.fresh_preflight(&stored.request).await?;
        refuse_blocked(&preflight, row.scheduled_for.is_some())?;
        stored.plan = preflight.plan.clone();
        stored.planned_at = Some(now_ms());
        let items = item_rows(&preflight)?;
        let plan = to_json(&stored)?;
        let hash = preflight.plan.hash.clone();
        let (id_owned, from) = (id.to_owned(), row.state);
        let old_hash = row.plan_hash.clone();
        self.audited(ACTION, Some(&row.target_env), move |tx| {
            Box::pin(async move {
                store::replace_plan(tx, &id_owned, &plan, &hash, &items).await?;
                store::set_error(tx, &id_owned, None).await?;
                if from != DeploymentState::Pending {
                    let to = from
                        .next(DeploymentEvent::Invalidate)
                        .map_err(|e| OpsError::new(ErrorKind::Conflict, e.to_string()))?;
                    if !store::set_state(tx, &id_owned, from, to, now_ms()).await? {
                        return Err(OpsError::new(
                            ErrorKind::Conflict,
                            format!("deployment {id_owned} changed while replanning; look again"),
                        ));
                    }
                }
                let detail = format!(
                    "deployment {id_owned} replanned: plan {} replaces {} (approvals of the old plan no longer count)",
                    &hash[..hash.len().min(12)],
                    &old_hash[..old_hash.len().min(12)]
                );
                Ok(((), Some(detail)))
            })
        })
        .await?;
        let (deployment, job_id) = self.submit(id).await?;
        Ok(DeploymentCreated {
            deployment,
            preflight,
            job_id,
        })
    }

    pub(super) async fn run_due_deployments(&self) -> OpsResult<Vec<DeploymentStarted>> {
        let due = {
            let mut conn = self.store.conn().await?;
            store::due(&mut conn, now_ms()).await?
        };
        let mut started = Vec::new();
        for row in due {
            // A PENDING one went stale (or was never submitted): it waits for a replan.
            if row.state != DeploymentState::Approved {
                continue;
            }
            // Its run started already and is still getting ready (fetching, judging
            // the gates): it moves to RUNNING once ready.
            if let Some(job) = &row.job_id {
                let mut conn = self.store.conn().await?;
                let running = crate::store::jobs::get(&mut conn, job)
                    .await?
                    .is_some_and(|j| matches!(j.state, JobState::Queued | JobState::Running));
                if running {
                    continue;
                }
            }
            match self.start_run(&row.id).await {
                Ok(job_id) => started.push(DeploymentStarted {
                    deployment_id: row.id,
                    job_id,
                }),
                Err(e) => {
                    tracing::warn!(deployment = %row.id, error = %e.message, "a due deployment did not start")
                }
            }
        }
        Ok(started)
    }
}

/// Refuses a promotion the drift, credentials or incidents gate blocks (nothing a wait
/// can change), one that writes nothing, and, when it would run now, one outside its
/// time windows.
fn refuse_blocked(preflight: &Preflight, scheduled: bool) -> OpsResult<()> {
    let plan = &preflight.plan;
    let blocking: Vec<String> = preflight
        .gates
        .iter()
        .filter(|g| !g.passed)
        .filter(|g| match g.gate {
            GateKind::Drift | GateKind::Credentials | GateKind::Incidents => true,
            GateKind::Windows => !scheduled,
            GateKind::Approvals | GateKind::Validation => false,
        })
        .map(|g| format!("{} gate: {}", g.gate, g.detail))
        .collect();
    if !blocking.is_empty() {
        return Err(OpsError::new(
            ErrorKind::Conflict,
            format!(
                "the promotion from '{}' to '{}' is blocked: {}",
                plan.source_env,
                plan.target_env,
                blocking.join("; ")
            ),
        ));
    }
    if !plan.items.iter().any(|i| i.action.writes()) {
        let held = plan
            .items
            .iter()
            .filter(|i| i.action == PlanAction::Hold)
            .count();
        let why = if held > 0 {
            format!("; {held} held as TARGET_HOTFIX (overwrite one only with an explicit override)")
        } else {
            String::new()
        };
        return Err(OpsError::invalid(format!(
            "nothing to promote from '{}' to '{}': no selected workflow differs{why}",
            plan.source_env, plan.target_env
        )));
    }
    Ok(())
}

/// The plan's items as the store keeps them, each with the diff it applies.
fn item_rows(preflight: &Preflight) -> OpsResult<Vec<ItemRow>> {
    let keys = map_keys(&preflight.plan);
    preflight
        .plan
        .items
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(pos, (item, key))| {
            let diff = match preflight.diffs.get(&key) {
                Some(d) => Some(to_json(d)?),
                None => None,
            };
            Ok(ItemRow {
                pos: pos as i64,
                name: item.name.clone(),
                canonical_id: item.canonical_id.clone(),
                source_id: item.source_id.clone(),
                target_id: item.target_id.clone(),
                action: item.action.as_str().to_owned(),
                status: item.status.as_str().to_owned(),
                result: None,
                error: None,
                diff,
            })
        })
        .collect()
}

/// "2 to create, 3 to update, 1 held".
pub(super) fn summary_line(plan: &Plan) -> String {
    let s = plan.summary().by_action;
    let mut parts = vec![
        format!("{} to create", s.create),
        format!("{} to update", s.update),
    ];
    if s.delete > 0 {
        parts.push(format!("{} to delete", s.delete));
    }
    if s.hold > 0 {
        parts.push(format!("{} held", s.hold));
    }
    parts.join(", ")
}

/// Whether a deployment scheduled for `at` may run now.
fn is_due(at: Option<i64>) -> bool {
    at.is_none_or(|at| at <= now_ms())
}

pub(super) fn no_deployment(id: &str) -> OpsError {
    OpsError::not_found(format!(
        "no deployment {id} (`n8nops deployments list` shows them)"
    ))
}

pub(super) fn to_json<T: Serialize>(value: &T) -> OpsResult<String> {
    serde_json::to_string(value)
        .map_err(|e| OpsError::internal(format!("a deployment could not be written as JSON: {e}")))
}

/// Sortable and short: `dep-20261122-163812-a1b2`.
pub(super) fn new_deployment_id() -> OpsResult<String> {
    let mut bytes = [0u8; 2];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| OpsError::internal("no randomness available for a deployment id"))?;
    Ok(format!(
        "dep-{}-{}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        hex(&bytes)
    ))
}
