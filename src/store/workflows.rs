//! Workflows per environment: as n8n returned them, normalized, and fingerprinted.

use super::{Context, StoreError, placeholders};
use crate::domain::sync::Change;
use crate::domain::workflow::CredentialRef;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A workflow as a sync stores it.
#[derive(Debug, Clone)]
pub struct NewWorkflow {
    pub n8n_id: String,
    pub name: String,
    pub active: bool,
    pub tags: Vec<String>,
    pub node_count: usize,
    pub node_types: Vec<String>,
    pub credentials: Vec<CredentialRef>,
    /// Hash of the raw body (stored in `bodies`): unchanged, nothing is re-read or rewritten.
    pub raw_hash: String,
    /// Hash of the normalized body (stored in `bodies`).
    pub fingerprint: String,
    pub updated_at: Option<String>,
    pub change: Change,
}

/// A stored workflow without its JSON bodies (what lists need).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRow {
    pub env: String,
    pub n8n_id: String,
    pub name: String,
    pub active: bool,
    pub tags: Vec<String>,
    pub node_count: i64,
    pub node_types: Vec<String>,
    pub fingerprint: String,
    pub updated_at: Option<String>,
    /// When the sync that stored this version of it ran.
    pub stored_at: i64,
    pub change: Change,
}

/// What the store knows of a workflow, to tell what a sync must rewrite.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub name: String,
    pub fingerprint: String,
    pub raw_hash: String,
    pub credentials: Vec<CredentialRef>,
}

/// A workflow removed by a sync, for the change history.
#[derive(Debug, Clone)]
pub struct Removed {
    pub n8n_id: String,
    pub name: String,
    pub fingerprint: String,
}

/// Filters applied in SQL (environment, activation); text and tags are matched by the caller.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub env: Option<String>,
    pub active: Option<bool>,
}

fn json_list(row: &AnyRow, col: &str) -> Result<Vec<String>, StoreError> {
    let text: String = row.try_get(col).context("reading a workflow")?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("workflows.{col}: {e}")))
}

fn parse_change(text: &str) -> Result<Change, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("unknown workflow change '{text}'")))
}

fn from_row(row: &AnyRow) -> Result<WorkflowRow, StoreError> {
    let change: String = row.try_get("change").context("reading a workflow")?;
    Ok(WorkflowRow {
        env: row.try_get("env").context("reading a workflow")?,
        n8n_id: row.try_get("n8n_id").context("reading a workflow")?,
        name: row.try_get("name").context("reading a workflow")?,
        active: super::get_bool(row, "active").context("reading a workflow")?,
        tags: json_list(row, "tags")?,
        node_count: row.try_get("node_count").context("reading a workflow")?,
        node_types: json_list(row, "node_types")?,
        fingerprint: row.try_get("fingerprint").context("reading a workflow")?,
        updated_at: row.try_get("updated_at").context("reading a workflow")?,
        stored_at: row.try_get("stored_at").context("reading a workflow")?,
        change: parse_change(&change)?,
    })
}

/// n8n id -> what the store holds of each workflow of an environment.
pub async fn stored(
    conn: &mut AnyConnection,
    env_id: i64,
) -> Result<HashMap<String, Stored>, StoreError> {
    let ctx = "reading stored workflows";
    let rows = sqlx::query(
        "SELECT n8n_id, name, fingerprint, raw_hash, credentials FROM workflows WHERE env_id = $1",
    )
    .bind(env_id)
    .fetch_all(&mut *conn)
    .await
    .context(ctx)?;
    rows.iter()
        .map(|r| {
            let credentials: String = r.try_get("credentials").context(ctx)?;
            let stored = Stored {
                name: r.try_get("name").context(ctx)?,
                fingerprint: r.try_get("fingerprint").context(ctx)?,
                raw_hash: r.try_get("raw_hash").context(ctx)?,
                credentials: serde_json::from_str(&credentials)
                    .map_err(|e| StoreError::Corrupt(format!("workflows.credentials: {e}")))?,
            };
            Ok((r.try_get("n8n_id").context(ctx)?, stored))
        })
        .collect()
}

/// What the store holds of one workflow, if anything.
pub async fn stored_one(
    conn: &mut AnyConnection,
    env_id: i64,
    n8n_id: &str,
) -> Result<Option<Stored>, StoreError> {
    let ctx = format!("reading stored workflow {n8n_id}");
    let row = sqlx::query(
        "SELECT name, fingerprint, raw_hash, credentials FROM workflows WHERE env_id = $1 AND n8n_id = $2",
    )
    .bind(env_id)
    .bind(n8n_id.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .context(&ctx)?;
    let Some(r) = row else { return Ok(None) };
    let credentials: String = r.try_get("credentials").context(&ctx)?;
    Ok(Some(Stored {
        name: r.try_get("name").context(&ctx)?,
        fingerprint: r.try_get("fingerprint").context(&ctx)?,
        raw_hash: r.try_get("raw_hash").context(&ctx)?,
        credentials: serde_json::from_str(&credentials)
            .map_err(|e| StoreError::Corrupt(format!("workflows.credentials: {e}")))?,
    }))
}

/// n8n id -> name of those of `ids` the store holds for an environment.
pub async fn names(
    conn: &mut AnyConnection,
    env_id: i64,
    ids: &[String],
) -> Result<HashMap<String, String>, StoreError> {
    let ctx = "reading workflow names";
    let mut names = HashMap::new();
    for batch in ids.chunks(500) {
        let list: Vec<String> = (2..batch.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT n8n_id, name FROM workflows WHERE env_id = $1 AND n8n_id IN ({})",
            list.join(", ")
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(env_id);
        for id in batch {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&mut *conn).await.context(ctx)? {
            let id: String = row.try_get("n8n_id").context(ctx)?;
            names.insert(id, row.try_get("name").context(ctx)?);
        }
    }
    Ok(names)
}

/// Applies a sync to an environment's stored workflows: `written` are inserted or
/// replaced, `removed` deleted, every other row is marked unchanged, and each
/// addition, change and removal is recorded. Call inside a transaction: either all
/// of it lands or none.
pub async fn apply_sync(
    conn: &mut AnyConnection,
    env_id: i64,
    job_id: Option<&str>,
    written: Vec<NewWorkflow>,
    removed: &[Removed],
    at: i64,
) -> Result<(), StoreError> {
    // Only rows that changed last time need their mark reset.
    sqlx::query(
        "UPDATE workflows SET change = 'unchanged' WHERE env_id = $1 AND change <> 'unchanged'",
    )
    .bind(env_id)
    .execute(&mut *conn)
    .await
    .context("storing synced workflows")?;
    apply_changes(conn, env_id, job_id, written, removed, at).await
}

/// Writes some workflows of an environment and deletes others, recording each
/// addition, change and removal, and leaves every other row as it is: what a sync
/// does after resetting its marks, and what one workflow operation (activate, tag,
/// upload, delete) does on its own. Call inside a transaction.
pub async fn apply_changes(
    conn: &mut AnyConnection,
    env_id: i64,
    job_id: Option<&str>,
    written: Vec<NewWorkflow>,
    removed: &[Removed],
    at: i64,
) -> Result<(), StoreError> {
    let ctx = "storing workflows";
    for r in removed {
        sqlx::query("DELETE FROM workflows WHERE env_id = $1 AND n8n_id = $2")
            .bind(env_id)
            .bind(r.n8n_id.clone())
            .execute(&mut *conn)
            .await
            .context(ctx)?;
    }
    let changes: Vec<(String, String, Change, String)> = removed
        .iter()
        .map(|r| {
            (
                r.n8n_id.clone(),
                r.name.clone(),
                Change::Removed,
                r.fingerprint.clone(),
            )
        })
        .chain(
            written
                .iter()
                .filter(|w| w.change != Change::Unchanged)
                .map(|w| {
                    (
                        w.n8n_id.clone(),
                        w.name.clone(),
                        w.change,
                        w.fingerprint.clone(),
                    )
                }),
        )
        .collect();
    let mut rows = written.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<NewWorkflow> = rows.by_ref().take(UPSERT_BATCH).collect();
        upsert_batch(conn, env_id, batch, at).await?;
    }
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let batch: Vec<_> = changes.by_ref().take(UPSERT_BATCH).collect();
        record_changes(conn, env_id, job_id, batch, at).await?;
    }
    Ok(())
}

/// Rows per INSERT statement: fewer round trips on a first sync of thousands.
const UPSERT_BATCH: usize = 32;

async fn upsert_batch(
    conn: &mut AnyConnection,
    env_id: i64,
    batch: Vec<NewWorkflow>,
    at: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO workflows (env_id, n8n_id, name, active, tags, node_count, node_types, credentials,
             raw_hash, fingerprint, updated_at, stored_at, change)
         VALUES {}
         ON CONFLICT (env_id, n8n_id) DO UPDATE SET name = excluded.name, active = excluded.active,
             tags = excluded.tags, node_count = excluded.node_count, node_types = excluded.node_types,
             credentials = excluded.credentials, raw_hash = excluded.raw_hash,
             fingerprint = excluded.fingerprint, updated_at = excluded.updated_at,
             stored_at = excluded.stored_at, change = excluded.change",
        placeholders(batch.len(), 13)
    );
    let first = batch
        .first()
        .map(|w| format!("'{}' ({})", w.name, w.n8n_id))
        .unwrap_or_default();
    // Only placeholders are generated; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for w in batch {
        query = query
            .bind(env_id)
            .bind(w.n8n_id)
            .bind(w.name)
            .bind(w.active)
            .bind(to_json(&w.tags))
            .bind(w.node_count as i64)
            .bind(to_json(&w.node_types))
            .bind(serde_json::to_string(&w.credentials).unwrap_or_else(|_| "[]".into()))
            .bind(w.raw_hash)
            .bind(w.fingerprint)
            .bind(w.updated_at)
            .bind(at)
            .bind(w.change.as_str());
    }
    query.execute(&mut *conn).await.context(&format!(
        "storing workflows (a batch starting with {first})"
    ))?;
    Ok(())
}

/// Records (n8n id, name, change, fingerprint) rows in the change history.
async fn record_changes(
    conn: &mut AnyConnection,
    env_id: i64,
    job_id: Option<&str>,
    batch: Vec<(String, String, Change, String)>,
    at: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO workflow_changes (env_id, job_id, n8n_id, name, change, fingerprint, at) VALUES {}",
        placeholders(batch.len(), 7)
    );
    // Only placeholders are generated; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (id, name, change, fingerprint) in batch {
        query = query
            .bind(env_id)
            .bind(job_id.map(str::to_owned))
            .bind(id)
            .bind(name)
            .bind(change.as_str())
            .bind(fingerprint)
            .bind(at);
    }
    query
        .execute(&mut *conn)
        .await
        .context("recording workflow changes")?;
    Ok(())
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Stored workflows, ordered by name then environment.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
) -> Result<Vec<WorkflowRow>, StoreError> {
    let mut rows = Vec::new();
    visit(conn, filter, |row| rows.push(row)).await?;
    Ok(rows)
}

/// Streams the workflows `filter` selects to `each`, one row at a time, so a caller
/// that keeps only part of each (the catalog, the matrix) never holds them all twice.
pub async fn visit(
    conn: &mut AnyConnection,
    filter: &Filter,
    mut each: impl FnMut(WorkflowRow),
) -> Result<(), StoreError> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT e.name AS env, w.n8n_id, w.name, w.active, w.tags, w.node_count, w.node_types,
                w.fingerprint, w.updated_at, w.stored_at, w.change
         FROM workflows w JOIN environments e ON e.id = w.env_id
         WHERE ($1 IS NULL OR e.name = $1) AND ($2 IS NULL OR w.active = $2)
         ORDER BY w.name, e.name, w.n8n_id",
    )
    .bind(filter.env.clone())
    .bind(filter.active)
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.context("listing workflows")? {
        each(from_row(&row)?);
    }
    Ok(())
}

/// One workflow with its raw and normalized JSON.
pub async fn get(
    conn: &mut AnyConnection,
    env: &str,
    n8n_id: &str,
) -> Result<Option<(WorkflowRow, String, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT e.name AS env, w.n8n_id, w.name, w.active, w.tags, w.node_count, w.node_types,
                w.fingerprint, w.updated_at, w.stored_at, w.change, r.body AS raw_json, n.body AS normalized_json
         FROM workflows w JOIN environments e ON e.id = w.env_id
         JOIN workflow_bodies r ON r.hash = w.raw_hash
         JOIN workflow_bodies n ON n.hash = w.fingerprint
         WHERE e.name = $1 AND w.n8n_id = $2",
    )
    .bind(env.to_owned())
    .bind(n8n_id.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .context(&format!("reading workflow {n8n_id} of '{env}'"))?;
    let Some(row) = row else { return Ok(None) };
    let raw: String = row.try_get("raw_json").context("reading a workflow")?;
    let normalized: String = row
        .try_get("normalized_json")
        .context("reading a workflow")?;
    Ok(Some((from_row(&row)?, raw, normalized)))
}

/// Workflow counts per environment id: (total, active).
pub async fn counts(conn: &mut AnyConnection) -> Result<HashMap<i64, (i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT env_id, COUNT(*) AS total, SUM(CASE WHEN active THEN 1 ELSE 0 END) AS active
         FROM workflows GROUP BY env_id",
    )
    .fetch_all(&mut *conn)
    .await
    .context("counting workflows")?;
    rows.iter()
        .map(|r| {
            let env_id: i64 = r.try_get("env_id").context("counting workflows")?;
            let total: i64 = r.try_get("total").context("counting workflows")?;
            let active: i64 = r.try_get("active").context("counting workflows")?;
            Ok((env_id, (total, active)))
        })
        .collect()
}
