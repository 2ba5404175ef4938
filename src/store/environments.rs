//! Environments: one row per connected n8n instance. The API key is sealed with the
//! store's `SecretBox` and only ever opened for the n8n client.

use super::{Context, SecretBox, StoreError, now_ms};
use crate::domain::environment::EnvClass;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An environment as stored, without its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvRow {
    pub id: i64,
    pub name: String,
    pub base_url: String,
    pub class: EnvClass,
    pub git_repo: Option<String>,
    pub git_branch: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_sync_at: Option<i64>,
}

/// What it takes to add an environment.
#[derive(Debug, Clone)]
pub struct NewEnv {
    pub name: String,
    pub base_url: String,
    pub api_key: String,
    pub class: EnvClass,
    pub git_repo: Option<String>,
    pub git_branch: Option<String>,
}

/// A change to an environment; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EnvPatch {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub class: Option<EnvClass>,
    pub git_repo: Option<Option<String>>,
    pub git_branch: Option<Option<String>>,
}

fn key_aad(name: &str) -> String {
    format!("api-key:{name}")
}

fn from_row(row: &AnyRow) -> Result<EnvRow, StoreError> {
    let class: String = row.try_get("class").context("reading an environment")?;
    Ok(EnvRow {
        id: row.try_get("id").context("reading an environment")?,
        name: row.try_get("name").context("reading an environment")?,
        base_url: row.try_get("base_url").context("reading an environment")?,
        class: class.parse().map_err(StoreError::Corrupt)?,
        git_repo: row.try_get("git_repo").context("reading an environment")?,
        git_branch: row
            .try_get("git_branch")
            .context("reading an environment")?,
        created_at: row
            .try_get("created_at")
            .context("reading an environment")?,
        updated_at: row
            .try_get("updated_at")
            .context("reading an environment")?,
        last_sync_at: row
            .try_get("last_sync_at")
            .context("reading an environment")?,
    })
}

pub async fn insert(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    env: &NewEnv,
) -> Result<EnvRow, StoreError> {
    if find(conn, &env.name).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "environment '{}' already exists",
            env.name
        )));
    }
    let sealed = secrets.seal(env.api_key.as_bytes(), &key_aad(&env.name))?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO environments (name, base_url, api_key_enc, class, git_repo, git_branch, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(env.name.clone())
    .bind(env.base_url.clone())
    .bind(sealed)
    .bind(env.class.as_str())
    .bind(env.git_repo.clone())
    .bind(env.git_branch.clone())
    .bind(now)
    .execute(&mut *conn)
    .await
    .context(&format!("adding environment '{}'", env.name))?;
    get(conn, &env.name).await
}

pub async fn update(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    name: &str,
    patch: &EnvPatch,
) -> Result<EnvRow, StoreError> {
    let current = get(conn, name).await?;
    let ctx = format!("updating environment '{name}'");
    if let Some(key) = &patch.api_key {
        let sealed = secrets.seal(key.as_bytes(), &key_aad(name))?;
        sqlx::query("UPDATE environments SET api_key_enc = $1 WHERE id = $2")
            .bind(sealed)
            .bind(current.id)
            .execute(&mut *conn)
            .await
            .context(&ctx)?;
    }
    sqlx::query(
        "UPDATE environments SET base_url = $1, class = $2, git_repo = $3, git_branch = $4, updated_at = $5
         WHERE id = $6",
    )
    .bind(patch.base_url.clone().unwrap_or(current.base_url))
    .bind(patch.class.unwrap_or(current.class).as_str())
    .bind(patch.git_repo.clone().unwrap_or(current.git_repo))
    .bind(patch.git_branch.clone().unwrap_or(current.git_branch))
    .bind(now_ms())
    .bind(current.id)
    .execute(&mut *conn)
    .await
    .context(&ctx)?;
    get(conn, name).await
}

pub async fn find(conn: &mut AnyConnection, name: &str) -> Result<Option<EnvRow>, StoreError> {
    let sql = "SELECT id, name, base_url, class, git_repo, git_branch, created_at, updated_at, last_sync_at
               FROM environments WHERE name = $1";
    let row = sqlx::query(sql)
        .bind(name.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .context(&format!("reading environment '{name}'"))?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<EnvRow, StoreError> {
    find(conn, name)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no environment named '{name}'")))
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<EnvRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, base_url, class, git_repo, git_branch, created_at, updated_at, last_sync_at
         FROM environments ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .context("listing environments")?;
    rows.iter().map(from_row).collect()
}

/// The decrypted API key, for the n8n client only.
pub async fn api_key(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    name: &str,
) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT api_key_enc FROM environments WHERE name = $1")
        .bind(name.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .context(&format!("reading the key of environment '{name}'"))?
        .ok_or_else(|| StoreError::NotFound(format!("no environment named '{name}'")))?;
    let sealed: Vec<u8> = row.try_get("api_key_enc").context("reading an API key")?;
    let plain = secrets.open(&sealed, &key_aad(name))?;
    String::from_utf8(plain)
        .map_err(|_| StoreError::Corrupt(format!("the API key of '{name}' is not text")))
}

/// Deletes an environment and, by cascade, everything synced from it.
pub async fn delete(conn: &mut AnyConnection, name: &str) -> Result<EnvRow, StoreError> {
    let env = get(conn, name).await?;
    let ctx = format!("removing environment '{name}'");
    // Explicit deletes keep this independent of SQLite's foreign_keys pragma.
    for sql in [
        "DELETE FROM workflows WHERE env_id = $1",
        "DELETE FROM workflow_changes WHERE env_id = $1",
        "DELETE FROM credentials WHERE env_id = $1",
        "DELETE FROM tags WHERE env_id = $1",
        "DELETE FROM users WHERE env_id = $1",
        "DELETE FROM executions WHERE env_id = $1",
        "DELETE FROM environments WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(env.id)
            .execute(&mut *conn)
            .await
            .context(&ctx)?;
    }
    Ok(env)
}

pub async fn set_last_sync(
    conn: &mut AnyConnection,
    env_id: i64,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE environments SET last_sync_at = $1 WHERE id = $2")
        .bind(at)
        .bind(env_id)
        .execute(&mut *conn)
        .await
        .context("recording the sync time")?;
    Ok(())
}
