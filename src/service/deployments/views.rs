//! Deployment rows as the faces see them.

use super::StoredPlan;
use crate::domain::deployment::{Approval, ApprovalStatus, DeploymentState, approval_status};
use crate::domain::diff::DiffStatus;
use crate::domain::promotion::PlanAction;
use crate::service::types::*;
use crate::service::{ErrorKind, OpsError, OpsResult};
use crate::store::deployments::{ApprovalRow, Decision, DeploymentRow, ItemRow};

/// The plan column of `row`, read back.
pub(in crate::service) fn stored_plan(row: &DeploymentRow) -> OpsResult<StoredPlan> {
    serde_json::from_str(&row.plan).map_err(|e| {
        OpsError::new(
            ErrorKind::Store,
            format!("the stored plan of deployment {} is damaged: {e}", row.id),
        )
    })
}

/// The approval rule over stored decisions: approvals count, rejections do not.
pub(super) fn approval_status_of(
    requester: &str,
    required: usize,
    plan_hash: &str,
    decisions: &[ApprovalRow],
) -> ApprovalStatus {
    let approvals: Vec<Approval> = decisions
        .iter()
        .filter(|d| d.decision == Decision::Approve)
        .map(|d| Approval {
            approver: d.actor.clone(),
            plan_hash: d.plan_hash.clone(),
        })
        .collect();
    approval_status(requester, required, plan_hash, &approvals)
}

pub(in crate::service) fn view_of(
    row: &DeploymentRow,
    decisions: &[ApprovalRow],
) -> OpsResult<DeploymentView> {
    let stored = stored_plan(row)?;
    let mut approvals = approval_status_of(
        &row.requested_by,
        stored.approvals_required,
        &row.plan_hash,
        decisions,
    );
    // Past the approval step, the rule was met (or never asked for).
    if !matches!(
        row.state,
        DeploymentState::Pending | DeploymentState::PendingApproval | DeploymentState::Rejected
    ) {
        approvals.approved = true;
    }
    Ok(DeploymentView {
        id: row.id.clone(),
        pipeline: row.pipeline.clone(),
        stage: row
            .pipeline
            .as_ref()
            .map(|_| format!("{} -> {}", row.source_env, row.target_env)),
        source_env: row.source_env.clone(),
        target_env: row.target_env.clone(),
        state: row.state,
        requested_by: row.requested_by.clone(),
        requested_at: time_from_ms(row.requested_at),
        scheduled_for: row.scheduled_for.map(time_from_ms),
        plan_hash: row.plan_hash.clone(),
        summary: stored.plan.summary(),
        snapshot: row.snapshot.clone(),
        job_id: row.job_id.clone(),
        started_at: row.started_at.map(time_from_ms),
        finished_at: row.finished_at.map(time_from_ms),
        error: row.error.clone(),
        rollback_of: row.rollback_of.clone(),
        approvals,
    })
}

pub(super) fn detail_of(
    row: &DeploymentRow,
    items: &[ItemRow],
    decisions: &[ApprovalRow],
) -> OpsResult<DeploymentDetail> {
    let stored = stored_plan(row)?;
    let items = items
        .iter()
        .map(|i| item_view(row, i))
        .collect::<OpsResult<Vec<_>>>()?;
    let decisions_rows = decisions;
    let decisions = decisions
        .iter()
        .map(|d| DeploymentDecisionView {
            actor: d.actor.clone(),
            approve: d.decision == Decision::Approve,
            stale: d.plan_hash != row.plan_hash,
            plan_hash: d.plan_hash.clone(),
            decided_at: time_from_ms(d.decided_at),
            note: d.note.clone(),
        })
        .collect();
    Ok(DeploymentDetail {
        deployment: view_of(row, decisions_rows)?,
        request: stored.request,
        plan: stored.plan,
        items,
        decisions,
        commit: row.commit_id.clone(),
    })
}

fn item_view(row: &DeploymentRow, i: &ItemRow) -> OpsResult<DeploymentItemView> {
    let damaged = |what: &str| {
        OpsError::new(
            ErrorKind::Store,
            format!(
                "workflow '{}' of deployment {} has an unknown {what}",
                i.name, row.id
            ),
        )
    };
    let action = PlanAction::parse(&i.action).ok_or_else(|| damaged("action"))?;
    let status = DiffStatus::parse(&i.status).ok_or_else(|| damaged("status"))?;
    let outcome = match &i.result {
        Some(r) => Some(ItemOutcome::parse(r).ok_or_else(|| damaged("result"))?),
        None => None,
    };
    let diff = match &i.diff {
        Some(d) => Some(serde_json::from_str(d).map_err(|_| damaged("diff"))?),
        None => None,
    };
    Ok(DeploymentItemView {
        pos: i.pos,
        name: i.name.clone(),
        canonical_id: i.canonical_id.clone(),
        source_id: i.source_id.clone(),
        target_id: i.target_id.clone(),
        action,
        status,
        outcome,
        error: i.error.clone(),
        diff,
    })
}
