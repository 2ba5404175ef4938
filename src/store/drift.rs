//! Drift checks: one row per check of an environment (its counts, kept as history) and
//! the per-workflow results of each environment's latest check. Rows name their
//! environment, so they outlive its removal.

use super::{Context, StoreError, placeholders};
use crate::domain::drift::DriftStatus;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One check of one environment, counts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftCheckRow {
    /// 0 for a check not stored yet.
    pub id: i64,
    pub env: String,
    pub checked_at: i64,
    /// The canonical commit compared against (None when there was none).
    pub head: Option<String>,
    /// Why the environment could not be checked (its workflows are then UNKNOWN).
    pub error: Option<String>,
    pub in_sync: i64,
    pub drifted: i64,
    pub missing: i64,
    pub untracked: i64,
    pub unknown: i64,
}

/// One workflow's status at a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftResultRow {
    pub status: DriftStatus,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    pub name: String,
    /// The canonical (last recorded) fingerprint.
    pub expected: Option<String>,
    /// The live fingerprint.
    pub live: Option<String>,
    /// What changed, as JSON (the service's `DriftSummary`).
    pub summary: Option<String>,
}

/// Result rows per INSERT statement: 8 values each, far below both backends' limits on
/// bound parameters.
const BATCH: usize = 500;

const CHECK_COLUMNS: &str =
    "id, env, checked_at, head, error, in_sync, drifted, missing, untracked, unknown";

const RESULT_COLUMNS: &str = "status, canonical_id, n8n_id, name, expected, live, summary";

fn check_from_row(row: &AnyRow) -> Result<DriftCheckRow, StoreError> {
    let ctx = "reading a drift check";
    Ok(DriftCheckRow {
        id: row.try_get("id").context(ctx)?,
        env: row.try_get("env").context(ctx)?,
        checked_at: row.try_get("checked_at").context(ctx)?,
        head: row.try_get("head").context(ctx)?,
        error: row.try_get("error").context(ctx)?,
        in_sync: row.try_get("in_sync").context(ctx)?,
        drifted: row.try_get("drifted").context(ctx)?,
        missing: row.try_get("missing").context(ctx)?,
        untracked: row.try_get("untracked").context(ctx)?,
        unknown: row.try_get("unknown").context(ctx)?,
    })
}

fn result_from_row(row: &AnyRow, check: &DriftCheckRow) -> Result<DriftResultRow, StoreError> {
    let ctx = format!("reading the drift results of '{}'", check.env);
    let status: String = row.try_get("status").context(&ctx)?;
    let status = DriftStatus::parse(&status).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "drift check {} of '{}' has a result with unknown status '{status}'",
            check.id, check.env
        ))
    })?;
    Ok(DriftResultRow {
        status,
        canonical_id: row.try_get("canonical_id").context(&ctx)?,
        n8n_id: row.try_get("n8n_id").context(&ctx)?,
        name: row.try_get("name").context(&ctx)?,
        expected: row.try_get("expected").context(&ctx)?,
        live: row.try_get("live").context(&ctx)?,
        summary: row.try_get("summary").context(&ctx)?,
    })
}

/// Stores a check and its results in one go (call inside a transaction); the results of
/// the environment's earlier checks are deleted (their check rows stay as history).
/// `check.id` is ignored; returns the new check's id.
pub async fn record(
    conn: &mut AnyConnection,
    check: &DriftCheckRow,
    results: &[DriftResultRow],
) -> Result<i64, StoreError> {
    let env = &check.env;
    sqlx::query(
        "DELETE FROM drift_results WHERE check_id IN (SELECT id FROM drift_checks WHERE env = $1)",
    )
    .bind(env.clone())
    .execute(&mut *conn)
    .await
    .context(&format!("clearing the earlier drift results of '{env}'"))?;

    let id: i64 = sqlx::query_scalar(
        "INSERT INTO drift_checks (env, checked_at, head, error, in_sync, drifted, missing, untracked, unknown)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(env.clone())
    .bind(check.checked_at)
    .bind(check.head.clone())
    .bind(check.error.clone())
    .bind(check.in_sync)
    .bind(check.drifted)
    .bind(check.missing)
    .bind(check.untracked)
    .bind(check.unknown)
    .fetch_one(&mut *conn)
    .await
    .context(&format!("recording a drift check of '{env}'"))?;

    let ctx = format!("recording the drift results of '{env}'");
    let mut pos: i64 = 0;
    for batch in results.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO drift_results (check_id, pos, {RESULT_COLUMNS}) VALUES {}",
            placeholders(batch.len(), 9)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for r in batch {
            query = query
                .bind(id)
                .bind(pos)
                .bind(r.status.as_str())
                .bind(r.canonical_id.clone())
                .bind(r.n8n_id.clone())
                .bind(r.name.clone())
                .bind(r.expected.clone())
                .bind(r.live.clone())
                .bind(r.summary.clone());
            pos += 1;
        }
        query.execute(&mut *conn).await.context(&ctx)?;
    }
    Ok(id)
}

/// The latest check of each environment (or only `env`), with its results in the order
/// they were recorded, sorted by environment name.
pub async fn latest(
    conn: &mut AnyConnection,
    env: Option<&str>,
) -> Result<Vec<(DriftCheckRow, Vec<DriftResultRow>)>, StoreError> {
    let sql = format!(
        "SELECT {CHECK_COLUMNS} FROM drift_checks WHERE id IN
           (SELECT MAX(id) FROM drift_checks WHERE ($1 IS NULL OR env = $1) GROUP BY env)
         ORDER BY env"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(env.map(str::to_owned))
        .fetch_all(&mut *conn)
        .await
        .context(&match env {
            Some(env) => format!("reading the latest drift check of '{env}'"),
            None => "reading the latest drift checks".to_owned(),
        })?;
    let checks: Vec<DriftCheckRow> = rows.iter().map(check_from_row).collect::<Result<_, _>>()?;

    let sql =
        format!("SELECT {RESULT_COLUMNS} FROM drift_results WHERE check_id = $1 ORDER BY pos");
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        let rows = sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(check.id)
            .fetch_all(&mut *conn)
            .await
            .context(&format!("reading the drift results of '{}'", check.env))?;
        let results = rows
            .iter()
            .map(|row| result_from_row(row, &check))
            .collect::<Result<Vec<_>, _>>()?;
        out.push((check, results));
    }
    Ok(out)
}

/// The last `limit` checks of an environment, newest first (counts only).
pub async fn history(
    conn: &mut AnyConnection,
    env: &str,
    limit: i64,
) -> Result<Vec<DriftCheckRow>, StoreError> {
    let sql = format!(
        "SELECT {CHECK_COLUMNS} FROM drift_checks WHERE env = $1 ORDER BY id DESC LIMIT $2"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(env.to_owned())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .context(&format!("reading the drift history of '{env}'"))?;
    rows.iter().map(check_from_row).collect()
}

/// Deletes the drift checks (with their results) made before `before` (ms), except each
/// environment's latest check, which is kept however old; returns how many checks went.
pub async fn purge_before(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    const GONE: &str = "SELECT id FROM drift_checks WHERE checked_at < $1
           AND id NOT IN (SELECT MAX(id) FROM drift_checks GROUP BY env)";
    let ctx = "purging old drift checks";
    // The foreign key cascades too; deleting the results first does not depend on it.
    let sql = format!("DELETE FROM drift_results WHERE check_id IN ({GONE})");
    sqlx::query(AssertSqlSafe(sql))
        .bind(before)
        .execute(&mut *conn)
        .await
        .context(ctx)?;
    let sql = format!("DELETE FROM drift_checks WHERE id IN ({GONE})");
    let done = sqlx::query(AssertSqlSafe(sql))
        .bind(before)
        .execute(&mut *conn)
        .await
        .context(ctx)?;
    Ok(done.rows_affected())
}
