//! Pipelines edited in the TUI, one row per name. The definition is the pipeline as the
//! domain defines it, serialized as JSON and kept opaque here. Pipelines from the config
//! are not stored.

use super::{Context, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineRow {
    pub name: String,
    /// The pipeline as JSON.
    pub definition: String,
    pub updated_at: i64,
    pub updated_by: String,
}

fn from_row(row: &AnyRow) -> Result<PipelineRow, StoreError> {
    let ctx = "reading a pipeline";
    Ok(PipelineRow {
        name: row.try_get("name").context(ctx)?,
        definition: row.try_get("definition").context(ctx)?,
        updated_at: row.try_get("updated_at").context(ctx)?,
        updated_by: row.try_get("updated_by").context(ctx)?,
    })
}

/// Stores the pipeline `name`, replacing any earlier definition.
pub async fn put(
    conn: &mut AnyConnection,
    name: &str,
    definition_json: &str,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO pipelines (name, definition, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, name) DO UPDATE SET definition = excluded.definition,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(name.to_owned())
    .bind(definition_json.to_owned())
    .bind(at)
    .bind(actor.to_owned())
    .execute(&mut *conn)
    .await
    .context(&format!("storing the pipeline '{name}'"))?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<PipelineRow>, StoreError> {
    let row = sqlx::query(
        "SELECT name, definition, updated_at, updated_by FROM pipelines WHERE name = $1",
    )
    .bind(name.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .context(&format!("reading the pipeline '{name}'"))?;
    row.as_ref().map(from_row).transpose()
}

/// Every stored pipeline, by name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<PipelineRow>, StoreError> {
    let rows =
        sqlx::query("SELECT name, definition, updated_at, updated_by FROM pipelines ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .context("listing pipelines")?;
    rows.iter().map(from_row).collect()
}

/// Removes the pipeline; false when none is stored under `name`. Deployments name their
/// pipeline, so they keep it after it is removed.
pub async fn delete(conn: &mut AnyConnection, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM pipelines WHERE name = $1")
        .bind(name.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("removing the pipeline '{name}'"))?;
    Ok(done.rows_affected() > 0)
}
