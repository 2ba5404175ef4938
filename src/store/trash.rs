//! The trash: workflows soft-deleted from an instance, kept as n8n returned them so
//! they can be re-created. Rows name their environment, so they outlive its removal.

use super::{Context, StoreError, get_bool};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A workflow to put in the trash.
#[derive(Debug, Clone)]
pub struct NewTrash<'a> {
    pub env: &'a str,
    pub workflow_id: &'a str,
    pub name: &'a str,
    pub active: bool,
    /// The workflow's JSON as n8n returned it.
    pub body: &'a str,
    pub deleted_by: &'a str,
}

/// A trashed workflow without its body (what lists need).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashRow {
    pub id: i64,
    pub env: String,
    pub workflow_id: String,
    pub name: String,
    /// Whether it was active when it was deleted.
    pub active: bool,
    pub deleted_at: i64,
    pub deleted_by: String,
}

const COLUMNS: &str = "id, env, workflow_id, name, active, deleted_at, deleted_by";

fn from_row(row: &AnyRow) -> Result<TrashRow, StoreError> {
    let ctx = "reading a trashed workflow";
    Ok(TrashRow {
        id: row.try_get("id").context(ctx)?,
        env: row.try_get("env").context(ctx)?,
        workflow_id: row.try_get("workflow_id").context(ctx)?,
        name: row.try_get("name").context(ctx)?,
        active: get_bool(row, "active").context(ctx)?,
        deleted_at: row.try_get("deleted_at").context(ctx)?,
        deleted_by: row.try_get("deleted_by").context(ctx)?,
    })
}

/// Puts a workflow in the trash; returns its trash id.
pub async fn insert(
    conn: &mut AnyConnection,
    entry: &NewTrash<'_>,
    at: i64,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO trash (env, workflow_id, name, active, body, deleted_at, deleted_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(entry.env.to_owned())
    .bind(entry.workflow_id.to_owned())
    .bind(entry.name.to_owned())
    .bind(entry.active)
    .bind(entry.body.to_owned())
    .bind(at)
    .bind(entry.deleted_by.to_owned())
    .fetch_one(&mut *conn)
    .await
    .context(&format!(
        "putting workflow {} of '{}' in the trash",
        entry.workflow_id, entry.env
    ))
}

/// Trashed workflows of one environment or all, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    env: Option<&str>,
) -> Result<Vec<TrashRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM trash WHERE ($1 IS NULL OR env = $1) ORDER BY id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(env.map(str::to_owned))
        .fetch_all(&mut *conn)
        .await
        .context("listing the trash")?;
    rows.iter().map(from_row).collect()
}

/// One trashed workflow with its body.
pub async fn get(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<(TrashRow, String)>, StoreError> {
    let sql = format!("SELECT {COLUMNS}, body FROM trash WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context(&format!("reading trash entry {id}"))?;
    let Some(row) = row else { return Ok(None) };
    let body: String = row
        .try_get("body")
        .context(&format!("reading trash entry {id}"))?;
    Ok(Some((from_row(&row)?, body)))
}

/// Takes an entry out of the trash; false when there was none.
pub async fn remove(conn: &mut AnyConnection, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM trash WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .context(&format!("removing trash entry {id}"))?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::all;

    #[tokio::test]
    async fn the_trash_keeps_bodies_and_lists_newest_first() {
        for t in all().await {
            let mut conn = t.store.conn().await.unwrap();
            let body = r#"{"id":"w1","name":"Sync","active":true,"nodes":[]}"#;
            let entry = |env, workflow_id, name| NewTrash {
                env,
                workflow_id,
                name,
                active: true,
                body,
                deleted_by: "alice",
            };
            let first = insert(&mut conn, &entry("prod", "w1", "Sync"), 1_000)
                .await
                .unwrap();
            let second = insert(&mut conn, &entry("dev", "w2", "Other"), 2_000)
                .await
                .unwrap();
            assert!(second > first, "{}", t.label);

            let listed = list(&mut conn, None).await.unwrap();
            let ids: Vec<i64> = listed.iter().map(|r| r.id).collect();
            assert_eq!(ids, [second, first], "{}", t.label);
            assert_eq!(
                listed[1],
                TrashRow {
                    id: first,
                    env: "prod".into(),
                    workflow_id: "w1".into(),
                    name: "Sync".into(),
                    active: true,
                    deleted_at: 1_000,
                    deleted_by: "alice".into(),
                }
            );
            let prod = list(&mut conn, Some("prod")).await.unwrap();
            assert_eq!(prod.len(), 1);

            let (row, kept) = get(&mut conn, first).await.unwrap().unwrap();
            assert_eq!((row.id, kept.as_str()), (first, body), "{}", t.label);
            assert!(get(&mut conn, 999_999).await.unwrap().is_none());

            assert!(remove(&mut conn, first).await.unwrap());
            assert!(!remove(&mut conn, first).await.unwrap());
            assert_eq!(list(&mut conn, None).await.unwrap().len(), 1);
        }
    }
}
