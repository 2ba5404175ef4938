//! Approvals: operations the policy holds until someone grants them. A row keeps the
//! exact request (JSON) that runs when granted; its state moves once from `pending` to
//! `approved` or `rejected`, and an approved one to `failed` when running it failed.

use super::{Context, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
pub const FAILED: &str = "failed";

/// An approval to record.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    pub env: &'a str,
    /// The request, as JSON, that runs when granted.
    pub request: &'a str,
    pub summary: &'a str,
    pub requested_by: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRow {
    pub id: i64,
    pub env: String,
    pub request: String,
    pub summary: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub note: Option<String>,
    /// What running it did (JSON), once it ran.
    pub result: Option<String>,
}

/// A decision on a pending approval.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    /// `APPROVED` or `REJECTED`.
    pub state: &'a str,
    pub decided_by: &'a str,
    pub note: Option<&'a str>,
}

const COLUMNS: &str = "id, env, request, summary, requested_by, requested_at, state, decided_by, decided_at, note, result";

fn from_row(row: &AnyRow) -> Result<ApprovalRow, StoreError> {
    let ctx = "reading an approval";
    Ok(ApprovalRow {
        id: row.try_get("id").context(ctx)?,
        env: row.try_get("env").context(ctx)?,
        request: row.try_get("request").context(ctx)?,
        summary: row.try_get("summary").context(ctx)?,
        requested_by: row.try_get("requested_by").context(ctx)?,
        requested_at: row.try_get("requested_at").context(ctx)?,
        state: row.try_get("state").context(ctx)?,
        decided_by: row.try_get("decided_by").context(ctx)?,
        decided_at: row.try_get("decided_at").context(ctx)?,
        note: row.try_get("note").context(ctx)?,
        result: row.try_get("result").context(ctx)?,
    })
}

/// Records a pending approval; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    approval: &NewApproval<'_>,
    at: i64,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO approvals (env, request, summary, requested_by, requested_at, state)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(approval.env.to_owned())
    .bind(approval.request.to_owned())
    .bind(approval.summary.to_owned())
    .bind(approval.requested_by.to_owned())
    .bind(at)
    .bind(PENDING)
    .fetch_one(&mut *conn)
    .await
    .context(&format!("recording an approval for '{}'", approval.env))
}

/// Approvals in a state (or any), of an environment (or all), newest first.
pub async fn list(
    conn: &mut AnyConnection,
    state: Option<&str>,
    env: Option<&str>,
) -> Result<Vec<ApprovalRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM approvals
         WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR env = $2) ORDER BY id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(state.map(str::to_owned))
        .bind(env.map(str::to_owned))
        .fetch_all(&mut *conn)
        .await
        .context("listing approvals")?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<ApprovalRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM approvals WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context(&format!("reading approval {id}"))?;
    row.as_ref().map(from_row).transpose()
}

/// Decides a pending approval. False when it is no longer pending (someone else
/// decided it first): at most one decision ever lands.
pub async fn decide(
    conn: &mut AnyConnection,
    id: i64,
    decision: &Decision<'_>,
    at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3, note = $4
         WHERE id = $5 AND state = $6",
    )
    .bind(decision.state.to_owned())
    .bind(decision.decided_by.to_owned())
    .bind(at)
    .bind(decision.note.map(str::to_owned))
    .bind(id)
    .bind(PENDING)
    .execute(&mut *conn)
    .await
    .context(&format!("deciding approval {id}"))?;
    Ok(done.rows_affected() == 1)
}

/// Records what running a granted approval did: its final state (`APPROVED` or
/// `FAILED`) and the result as JSON.
pub async fn finish(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    result: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE approvals SET state = $1, result = $2 WHERE id = $3")
        .bind(state.to_owned())
        .bind(result.to_owned())
        .bind(id)
        .execute(&mut *conn)
        .await
        .context(&format!("recording the result of approval {id}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::all;

    #[tokio::test]
    async fn an_approval_is_decided_once_and_keeps_its_result() {
        for t in all().await {
            let mut conn = t.store.conn().await.unwrap();
            let new = |env| NewApproval {
                env,
                request: r#"{"action":{"kind":"activate"},"targets":[],"confirmed":true}"#,
                summary: "activate 'Sync' in prod",
                requested_by: "alice",
            };
            let id = insert(&mut conn, &new("prod"), 1_000).await.unwrap();
            let other = insert(&mut conn, &new("dev"), 2_000).await.unwrap();
            let row = get(&mut conn, id).await.unwrap().unwrap();
            assert_eq!(row.state, PENDING, "{}", t.label);
            assert_eq!(row.requested_at, 1_000);
            assert_eq!(row.decided_by, None);

            let pending = list(&mut conn, Some(PENDING), None).await.unwrap();
            let ids: Vec<i64> = pending.iter().map(|r| r.id).collect();
            assert_eq!(ids, [other, id], "newest first");
            assert_eq!(list(&mut conn, None, Some("dev")).await.unwrap().len(), 1);

            let grant = Decision {
                state: APPROVED,
                decided_by: "bob",
                note: Some("ok"),
            };
            assert!(decide(&mut conn, id, &grant, 3_000).await.unwrap());
            let reject = Decision {
                state: REJECTED,
                decided_by: "carol",
                note: None,
            };
            assert!(
                !decide(&mut conn, id, &reject, 4_000).await.unwrap(),
                "{}: a second decision does not land",
                t.label
            );
            finish(&mut conn, id, FAILED, r#"{"results":[]}"#)
                .await
                .unwrap();
            let row = get(&mut conn, id).await.unwrap().unwrap();
            assert_eq!(row.state, FAILED);
            assert_eq!(row.decided_by.as_deref(), Some("bob"));
            assert_eq!(row.decided_at, Some(3_000));
            assert_eq!(row.note.as_deref(), Some("ok"));
            assert_eq!(row.result.as_deref(), Some(r#"{"results":[]}"#));
            assert_eq!(list(&mut conn, Some(PENDING), None).await.unwrap().len(), 1);
            assert!(get(&mut conn, 999_999).await.unwrap().is_none());
        }
    }
}
