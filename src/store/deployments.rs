//! Deployments (promotions): one row per deployment with its plan, the workflows it moves
//! (items, in plan order) and the approvals given on it. Approvals are bound to the plan
//! hash they were given on: recomputing the plan keeps them recorded, but they no longer
//! match. States move by compare-and-set, so two processes cannot both start one
//! deployment. Rows name their pipeline and environments, so they outlive them.
//!
//! Functions that write several rows (`insert`, `replace_plan`) should run inside a
//! transaction.

use super::{Context, StoreError, placeholders};
use crate::domain::deployment::DeploymentState;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A deployment to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeployment {
    pub id: String,
    pub pipeline: Option<String>,
    /// The stage's index in its pipeline.
    pub stage: Option<i64>,
    pub source_env: String,
    pub target_env: String,
    pub state: DeploymentState,
    pub requested_by: String,
    pub requested_at: i64,
    /// When it should run (unix ms); None to run when started.
    pub scheduled_for: Option<i64>,
    /// The plan, as JSON.
    pub plan: String,
    /// What approvals are bound to.
    pub plan_hash: String,
    /// The completed deployment this one rolls back.
    pub rollback_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRow {
    pub id: String,
    pub pipeline: Option<String>,
    pub stage: Option<i64>,
    pub source_env: String,
    pub target_env: String,
    pub state: DeploymentState,
    pub requested_by: String,
    pub requested_at: i64,
    pub scheduled_for: Option<i64>,
    pub plan: String,
    pub plan_hash: String,
    /// The id of the target's automatic snapshot, once taken.
    pub snapshot: Option<String>,
    pub job_id: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
    pub rollback_of: Option<String>,
    /// The process running it, as JSON (`{pid, host, since}`), while it runs.
    pub runner: Option<String>,
    /// The canonical-state commit recording what it deployed.
    pub commit_id: Option<String>,
}

/// One workflow of a deployment. `pos` is its place in the plan, unique within the
/// deployment; `action` and `status` are the domain's text, kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRow {
    pub pos: i64,
    pub name: String,
    pub canonical_id: Option<String>,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    pub action: String,
    pub status: String,
    /// What happened to it: ok, failed, rolled_back, ...
    pub result: Option<String>,
    pub error: Option<String>,
    /// The diff that was applied, as JSON.
    pub diff: Option<String>,
}

/// What running a deployment did to one of its workflows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemResult<'a> {
    pub result: &'a str,
    pub error: Option<&'a str>,
    /// The workflow's id in the target, once known (None keeps the one recorded).
    pub target_id: Option<&'a str>,
    /// The diff that was applied, as JSON (None keeps the one recorded).
    pub diff: Option<&'a str>,
}

/// A decision on a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        match text {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// One actor's decision on one plan (hash) of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRow {
    pub deployment_id: String,
    pub actor: String,
    pub decision: Decision,
    /// The plan the decision was made on; it counts only while the plan is unchanged.
    pub plan_hash: String,
    pub decided_at: i64,
    pub note: Option<String>,
}

/// Which deployments `list` returns; every field narrows, None ones do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentFilter {
    pub pipeline: Option<String>,
    /// Deployments from or to this environment.
    pub env: Option<String>,
    pub state: Option<DeploymentState>,
    pub requested_by: Option<String>,
    /// Requested at or after (unix ms).
    pub since: Option<i64>,
    /// Requested before (unix ms).
    pub until: Option<i64>,
    pub limit: Option<i64>,
}

/// The state's text in the store: its serde form (`PENDING_APPROVAL`).
pub fn state_text(state: DeploymentState) -> String {
    match serde_json::to_value(state) {
        Ok(serde_json::Value::String(text)) => text,
        // A unit variant always serializes to a string.
        other => unreachable!("DeploymentState serialized to {other:?}"),
    }
}

/// The state named by `text` (its serde form), or None.
pub fn parse_state(text: &str) -> Option<DeploymentState> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

const COLUMNS: &str = "id, pipeline, stage, source_env, target_env, state, requested_by, \
     requested_at, scheduled_for, plan, plan_hash, snapshot, job_id, started_at, finished_at, \
     error, rollback_of, runner, commit_id";

const ITEM_COLUMNS: &str =
    "pos, name, canonical_id, source_id, target_id, action, status, result, error, diff";

/// Item rows per INSERT statement: 11 values each, far below both backends' limits on
/// bound parameters.
const BATCH: usize = 500;

fn from_row(row: &AnyRow) -> Result<DeploymentRow, StoreError> {
    let ctx = "reading a deployment";
    let id: String = row.try_get("id").context(ctx)?;
    let state: String = row.try_get("state").context(ctx)?;
    let state = parse_state(&state).ok_or_else(|| {
        StoreError::Corrupt(format!("deployment {id} has an unknown state '{state}'"))
    })?;
    let ctx = format!("reading deployment {id}");
    Ok(DeploymentRow {
        pipeline: row.try_get("pipeline").context(&ctx)?,
        stage: row.try_get("stage").context(&ctx)?,
        source_env: row.try_get("source_env").context(&ctx)?,
        target_env: row.try_get("target_env").context(&ctx)?,
        state,
        requested_by: row.try_get("requested_by").context(&ctx)?,
        requested_at: row.try_get("requested_at").context(&ctx)?,
        scheduled_for: row.try_get("scheduled_for").context(&ctx)?,
        plan: row.try_get("plan").context(&ctx)?,
        plan_hash: row.try_get("plan_hash").context(&ctx)?,
        snapshot: row.try_get("snapshot").context(&ctx)?,
        job_id: row.try_get("job_id").context(&ctx)?,
        started_at: row.try_get("started_at").context(&ctx)?,
        finished_at: row.try_get("finished_at").context(&ctx)?,
        error: row.try_get("error").context(&ctx)?,
        rollback_of: row.try_get("rollback_of").context(&ctx)?,
        runner: row.try_get("runner").context(&ctx)?,
        commit_id: row.try_get("commit_id").context(&ctx)?,
        id,
    })
}

fn item_from_row(row: &AnyRow, id: &str) -> Result<ItemRow, StoreError> {
    let ctx = format!("reading the workflows of deployment {id}");
    Ok(ItemRow {
        pos: row.try_get("pos").context(&ctx)?,
        name: row.try_get("name").context(&ctx)?,
        canonical_id: row.try_get("canonical_id").context(&ctx)?,
        source_id: row.try_get("source_id").context(&ctx)?,
        target_id: row.try_get("target_id").context(&ctx)?,
        action: row.try_get("action").context(&ctx)?,
        status: row.try_get("status").context(&ctx)?,
        result: row.try_get("result").context(&ctx)?,
        error: row.try_get("error").context(&ctx)?,
        diff: row.try_get("diff").context(&ctx)?,
    })
}

fn approval_from_row(row: &AnyRow) -> Result<ApprovalRow, StoreError> {
    let ctx = "reading a deployment approval";
    let deployment_id: String = row.try_get("deployment_id").context(ctx)?;
    let actor: String = row.try_get("actor").context(ctx)?;
    let decision: String = row.try_get("decision").context(ctx)?;
    let decision = Decision::parse(&decision).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "deployment {deployment_id} has a decision by '{actor}' of unknown kind '{decision}'"
        ))
    })?;
    Ok(ApprovalRow {
        decision,
        plan_hash: row.try_get("plan_hash").context(ctx)?,
        decided_at: row.try_get("decided_at").context(ctx)?,
        note: row.try_get("note").context(ctx)?,
        deployment_id,
        actor,
    })
}

async fn insert_items(
    conn: &mut AnyConnection,
    id: &str,
    items: &[ItemRow],
) -> Result<(), StoreError> {
    let ctx = format!("recording the workflows of deployment {id}");
    for batch in items.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO deployment_items (deployment_id, {ITEM_COLUMNS}) VALUES {}",
            placeholders(batch.len(), 11)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for item in batch {
            query = query
                .bind(id.to_owned())
                .bind(item.pos)
                .bind(item.name.clone())
                .bind(item.canonical_id.clone())
                .bind(item.source_id.clone())
                .bind(item.target_id.clone())
                .bind(item.action.clone())
                .bind(item.status.clone())
                .bind(item.result.clone())
                .bind(item.error.clone())
                .bind(item.diff.clone());
        }
        query.execute(&mut *conn).await.context(&ctx)?;
    }
    Ok(())
}

/// Records a deployment and its workflows (each at its `pos`).
pub async fn insert(
    conn: &mut AnyConnection,
    new: &NewDeployment,
    items: &[ItemRow],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deployments (id, pipeline, stage, source_env, target_env, state, requested_by,
           requested_at, scheduled_for, plan, plan_hash, rollback_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new.id.clone())
    .bind(new.pipeline.clone())
    .bind(new.stage)
    .bind(new.source_env.clone())
    .bind(new.target_env.clone())
    .bind(state_text(new.state))
    .bind(new.requested_by.clone())
    .bind(new.requested_at)
    .bind(new.scheduled_for)
    .bind(new.plan.clone())
    .bind(new.plan_hash.clone())
    .bind(new.rollback_of.clone())
    .execute(&mut *conn)
    .await
    .context(&format!(
        "recording deployment {} from '{}' to '{}'",
        new.id, new.source_env, new.target_env
    ))?;
    insert_items(conn, &new.id, items).await
}

/// The deployment with its workflows (by `pos`) and every decision on it (oldest
/// first), or None.
#[allow(clippy::type_complexity)]
pub async fn get(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(DeploymentRow, Vec<ItemRow>, Vec<ApprovalRow>)>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM deployments WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .context(&format!("reading deployment {id}"))?;
    let Some(row) = row else { return Ok(None) };
    let deployment = from_row(&row)?;

    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM deployment_items WHERE deployment_id = $1 ORDER BY pos"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_all(&mut *conn)
        .await
        .context(&format!("reading the workflows of deployment {id}"))?;
    let items = rows
        .iter()
        .map(|row| item_from_row(row, id))
        .collect::<Result<Vec<_>, _>>()?;

    let rows = sqlx::query(
        "SELECT deployment_id, actor, decision, plan_hash, decided_at, note
         FROM deployment_approvals WHERE deployment_id = $1 ORDER BY decided_at, actor",
    )
    .bind(id.to_owned())
    .fetch_all(&mut *conn)
    .await
    .context(&format!("reading the approvals of deployment {id}"))?;
    let approvals = rows
        .iter()
        .map(approval_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((deployment, items, approvals)))
}

/// Deployments matching the filter, newest (by request time) first.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &DeploymentFilter,
) -> Result<Vec<DeploymentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deployments
         WHERE ($1 IS NULL OR pipeline = $1)
           AND ($2 IS NULL OR source_env = $2 OR target_env = $2)
           AND ($3 IS NULL OR state = $3)
           AND ($4 IS NULL OR requested_by = $4)
           AND ($5 IS NULL OR requested_at >= $5)
           AND ($6 IS NULL OR requested_at < $6)
         ORDER BY requested_at DESC, id DESC LIMIT $7"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(filter.pipeline.clone())
        .bind(filter.env.clone())
        .bind(filter.state.map(state_text))
        .bind(filter.requested_by.clone())
        .bind(filter.since)
        .bind(filter.until)
        .bind(filter.limit.unwrap_or(i64::MAX).max(0))
        .fetch_all(&mut *conn)
        .await
        .context("listing deployments")?;
    rows.iter().map(from_row).collect()
}

/// Moves the deployment from `expected` to `new`; false (and nothing changed) when it was
/// not in `expected` or does not exist. Entering RUNNING records `at` as its start (the
/// first time); entering COMPLETED, FAILED, REJECTED or CANCELLED records `at` as its end.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    expected: DeploymentState,
    new: DeploymentState,
    at: i64,
) -> Result<bool, StoreError> {
    use DeploymentState::*;
    let started = matches!(new, Running);
    let finished = matches!(new, Completed | Failed | Rejected | Cancelled);
    let done = sqlx::query(
        "UPDATE deployments SET state = $1,
           started_at = CASE WHEN $2 = 1 THEN COALESCE(started_at, $4) ELSE started_at END,
           finished_at = CASE WHEN $3 = 1 THEN $4 ELSE finished_at END
         WHERE id = $5 AND state = $6",
    )
    .bind(state_text(new))
    .bind(i64::from(started))
    .bind(i64::from(finished))
    .bind(at)
    .bind(id.to_owned())
    .bind(state_text(expected))
    .execute(&mut *conn)
    .await
    .context(&format!(
        "moving deployment {id} from {} to {}",
        state_text(expected),
        state_text(new)
    ))?;
    Ok(done.rows_affected() == 1)
}

/// Runs one UPDATE of one deployment; NotFound when there is no such deployment.
async fn update_one(
    conn: &mut AnyConnection,
    id: &str,
    sql: &'static str,
    value: Option<&str>,
    what: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query(sql)
        .bind(value.map(str::to_owned))
        .bind(id.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("recording the {what} of deployment {id}"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("no deployment {id}")));
    }
    Ok(())
}

/// Records the id of the target's automatic snapshot taken before running.
pub async fn set_snapshot(
    conn: &mut AnyConnection,
    id: &str,
    snapshot: &str,
) -> Result<(), StoreError> {
    let sql = "UPDATE deployments SET snapshot = $1 WHERE id = $2";
    update_one(conn, id, sql, Some(snapshot), "snapshot").await
}

/// Records (or, with None, clears) the process running the deployment.
pub async fn set_runner(
    conn: &mut AnyConnection,
    id: &str,
    runner: Option<&str>,
) -> Result<(), StoreError> {
    let sql = "UPDATE deployments SET runner = $1 WHERE id = $2";
    update_one(conn, id, sql, runner, "runner").await
}

/// Records the canonical-state commit of a completed deployment.
pub async fn set_commit(
    conn: &mut AnyConnection,
    id: &str,
    commit: &str,
) -> Result<(), StoreError> {
    let sql = "UPDATE deployments SET commit_id = $1 WHERE id = $2";
    update_one(conn, id, sql, Some(commit), "commit").await
}

/// Records the job running the deployment.
pub async fn set_job(conn: &mut AnyConnection, id: &str, job_id: &str) -> Result<(), StoreError> {
    let sql = "UPDATE deployments SET job_id = $1 WHERE id = $2";
    update_one(conn, id, sql, Some(job_id), "job").await
}

/// Records (or, with None, clears) why the deployment failed.
pub async fn set_error(
    conn: &mut AnyConnection,
    id: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let sql = "UPDATE deployments SET error = $1 WHERE id = $2";
    update_one(conn, id, sql, error, "error").await
}

/// Records what running the deployment did to its workflow at `pos`; NotFound when the
/// deployment has no workflow there.
pub async fn set_item_result(
    conn: &mut AnyConnection,
    id: &str,
    pos: i64,
    result: &ItemResult<'_>,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE deployment_items SET result = $1, error = $2,
           target_id = COALESCE($3, target_id), diff = COALESCE($4, diff)
         WHERE deployment_id = $5 AND pos = $6",
    )
    .bind(result.result.to_owned())
    .bind(result.error.map(str::to_owned))
    .bind(result.target_id.map(str::to_owned))
    .bind(result.diff.map(str::to_owned))
    .bind(id.to_owned())
    .bind(pos)
    .execute(&mut *conn)
    .await
    .context(&format!(
        "recording the result of workflow {pos} of deployment {id}"
    ))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "deployment {id} has no workflow at position {pos}"
        )));
    }
    Ok(())
}

/// Records a decision: one per actor per plan hash, so deciding again on the same plan
/// replaces the earlier decision, and a decision on another plan is kept beside it.
pub async fn record_approval(
    conn: &mut AnyConnection,
    approval: &ApprovalRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deployment_approvals (deployment_id, actor, decision, plan_hash, decided_at, note)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (deployment_id, actor, plan_hash) DO UPDATE SET decision = excluded.decision,
           decided_at = excluded.decided_at, note = excluded.note",
    )
    .bind(approval.deployment_id.clone())
    .bind(approval.actor.clone())
    .bind(approval.decision.as_str())
    .bind(approval.plan_hash.clone())
    .bind(approval.decided_at)
    .bind(approval.note.clone())
    .execute(&mut *conn)
    .await
    .context(&format!(
        "recording the decision of '{}' on deployment {}",
        approval.actor, approval.deployment_id
    ))?;
    Ok(())
}

/// Replaces a recomputed plan and its workflows. Earlier decisions stay recorded, bound
/// to the old hash, so they no longer count. NotFound when there is no such deployment.
pub async fn replace_plan(
    conn: &mut AnyConnection,
    id: &str,
    plan: &str,
    plan_hash: &str,
    items: &[ItemRow],
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE deployments SET plan = $1, plan_hash = $2 WHERE id = $3")
        .bind(plan.to_owned())
        .bind(plan_hash.to_owned())
        .bind(id.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("replacing the plan of deployment {id}"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("no deployment {id}")));
    }
    sqlx::query("DELETE FROM deployment_items WHERE deployment_id = $1")
        .bind(id.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("clearing the workflows of deployment {id}"))?;
    insert_items(conn, id, items).await
}

/// Removes a deployment with its workflows and decisions; false when there was none.
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM deployments WHERE id = $1")
        .bind(id.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("removing deployment {id}"))?;
    Ok(done.rows_affected() > 0)
}

/// Deployments left RUNNING or ROLLING_BACK (a process died in them: recovery rolls
/// them back, see `DeploymentState::on_startup`), oldest first.
pub async fn running(conn: &mut AnyConnection) -> Result<Vec<DeploymentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deployments WHERE state IN ($1, $2) ORDER BY requested_at, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(state_text(DeploymentState::Running))
        .bind(state_text(DeploymentState::RollingBack))
        .fetch_all(&mut *conn)
        .await
        .context("listing running deployments")?;
    rows.iter().map(from_row).collect()
}

/// Scheduled deployments whose time has come (`scheduled_for <= now`) and that are still
/// waiting to run: PENDING (gates not yet passed) or APPROVED. Soonest first.
pub async fn due(conn: &mut AnyConnection, now: i64) -> Result<Vec<DeploymentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deployments
         WHERE state IN ($1, $2) AND scheduled_for IS NOT NULL AND scheduled_for <= $3
         ORDER BY scheduled_for, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(state_text(DeploymentState::Pending))
        .bind(state_text(DeploymentState::Approved))
        .bind(now)
        .fetch_all(&mut *conn)
        .await
        .context("listing deployments due to run")?;
    rows.iter().map(from_row).collect()
}
