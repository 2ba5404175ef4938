//! What else a sync brings per environment: credentials (metadata only), tags, users
//! and recent executions. Each `replace_*` swaps an environment's whole set (and
//! writes nothing when the set is unchanged); call them inside the sync's transaction.

use super::{Context, StoreError, placeholders};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::Row;

/// Credential metadata; never the secret data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CredentialRow {
    pub n8n_id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub cred_type: String,
    /// `api` when the instance listed it, `nodes` when only workflow nodes reference it.
    pub source: String,
    /// How many workflows of the environment use it.
    pub used_by: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TagRow {
    pub n8n_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserRow {
    pub n8n_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<String>,
    pub is_pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExecutionRow {
    pub n8n_id: String,
    pub workflow_id: Option<String>,
    pub status: String,
    pub mode: Option<String>,
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    pub finished: bool,
    pub retry_of: Option<String>,
}

/// Rows per INSERT statement.
const BATCH: usize = 64;

/// Whether two row sets hold the same rows, in any order: then a replace writes nothing.
fn same_rows<T: Ord + Clone>(current: &[T], new: &[T]) -> bool {
    if current.len() != new.len() {
        return false;
    }
    let (mut a, mut b) = (current.to_vec(), new.to_vec());
    a.sort();
    b.sort();
    a == b
}

async fn clear(
    conn: &mut AnyConnection,
    table: &'static str,
    env_id: i64,
) -> Result<(), StoreError> {
    let sql: &'static str = match table {
        "credentials" => "DELETE FROM credentials WHERE env_id = $1",
        "tags" => "DELETE FROM tags WHERE env_id = $1",
        "users" => "DELETE FROM users WHERE env_id = $1",
        _ => "DELETE FROM executions WHERE env_id = $1",
    };
    sqlx::query(sql)
        .bind(env_id)
        .execute(&mut *conn)
        .await
        .context(&format!("replacing {table}"))?;
    Ok(())
}

pub async fn replace_credentials(
    conn: &mut AnyConnection,
    env_id: i64,
    rows: &[CredentialRow],
) -> Result<(), StoreError> {
    if same_rows(&credentials(conn, env_id).await?, rows) {
        return Ok(());
    }
    clear(conn, "credentials", env_id).await?;
    for batch in rows.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO credentials (env_id, n8n_id, name, cred_type, source, used_by) VALUES {}",
            placeholders(batch.len(), 6)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for c in batch {
            query = query
                .bind(env_id)
                .bind(c.n8n_id.clone())
                .bind(c.name.clone())
                .bind(c.cred_type.clone())
                .bind(c.source.clone())
                .bind(c.used_by);
        }
        query
            .execute(&mut *conn)
            .await
            .context("storing credentials")?;
    }
    Ok(())
}

pub async fn replace_tags(
    conn: &mut AnyConnection,
    env_id: i64,
    rows: &[TagRow],
) -> Result<(), StoreError> {
    if same_rows(&tags(conn, env_id).await?, rows) {
        return Ok(());
    }
    clear(conn, "tags", env_id).await?;
    for t in rows {
        sqlx::query("INSERT INTO tags (env_id, n8n_id, name) VALUES ($1, $2, $3)")
            .bind(env_id)
            .bind(t.n8n_id.clone())
            .bind(t.name.clone())
            .execute(&mut *conn)
            .await
            .context(&format!("storing tag '{}'", t.name))?;
    }
    Ok(())
}

pub async fn replace_users(
    conn: &mut AnyConnection,
    env_id: i64,
    rows: &[UserRow],
) -> Result<(), StoreError> {
    if same_rows(&users(conn, env_id).await?, rows) {
        return Ok(());
    }
    clear(conn, "users", env_id).await?;
    for u in rows {
        sqlx::query(
            "INSERT INTO users (env_id, n8n_id, email, first_name, last_name, role, is_pending)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(env_id)
        .bind(u.n8n_id.clone())
        .bind(u.email.clone())
        .bind(u.first_name.clone())
        .bind(u.last_name.clone())
        .bind(u.role.clone())
        .bind(u.is_pending)
        .execute(&mut *conn)
        .await
        .context("storing a user")?;
    }
    Ok(())
}

pub async fn replace_executions(
    conn: &mut AnyConnection,
    env_id: i64,
    rows: &[ExecutionRow],
) -> Result<(), StoreError> {
    if same_rows(&executions(conn, env_id, i64::MAX).await?, rows) {
        return Ok(());
    }
    clear(conn, "executions", env_id).await?;
    for batch in rows.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO executions (env_id, n8n_id, workflow_id, status, mode, started_at, stopped_at, finished, retry_of)
             VALUES {}",
            placeholders(batch.len(), 9)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for x in batch {
            query = query
                .bind(env_id)
                .bind(x.n8n_id.clone())
                .bind(x.workflow_id.clone())
                .bind(x.status.clone())
                .bind(x.mode.clone())
                .bind(x.started_at.clone())
                .bind(x.stopped_at.clone())
                .bind(x.finished)
                .bind(x.retry_of.clone());
        }
        query
            .execute(&mut *conn)
            .await
            .context("storing executions")?;
    }
    Ok(())
}

pub async fn credentials(
    conn: &mut AnyConnection,
    env_id: i64,
) -> Result<Vec<CredentialRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT n8n_id, name, cred_type, source, used_by FROM credentials WHERE env_id = $1 ORDER BY cred_type, name",
    )
    .bind(env_id)
    .fetch_all(&mut *conn)
    .await
    .context("listing credentials")?;
    rows.iter()
        .map(|r| {
            Ok(CredentialRow {
                n8n_id: r.try_get("n8n_id").context("reading a credential")?,
                name: r.try_get("name").context("reading a credential")?,
                cred_type: r.try_get("cred_type").context("reading a credential")?,
                source: r.try_get("source").context("reading a credential")?,
                used_by: r.try_get("used_by").context("reading a credential")?,
            })
        })
        .collect()
}

pub async fn tags(conn: &mut AnyConnection, env_id: i64) -> Result<Vec<TagRow>, StoreError> {
    let rows = sqlx::query("SELECT n8n_id, name FROM tags WHERE env_id = $1 ORDER BY name")
        .bind(env_id)
        .fetch_all(&mut *conn)
        .await
        .context("listing tags")?;
    rows.iter()
        .map(|r| {
            Ok(TagRow {
                n8n_id: r.try_get("n8n_id").context("reading a tag")?,
                name: r.try_get("name").context("reading a tag")?,
            })
        })
        .collect()
}

pub async fn users(conn: &mut AnyConnection, env_id: i64) -> Result<Vec<UserRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT n8n_id, email, first_name, last_name, role, is_pending FROM users WHERE env_id = $1 ORDER BY email",
    )
    .bind(env_id)
    .fetch_all(&mut *conn)
    .await
    .context("listing users")?;
    rows.iter()
        .map(|r| {
            Ok(UserRow {
                n8n_id: r.try_get("n8n_id").context("reading a user")?,
                email: r.try_get("email").context("reading a user")?,
                first_name: r.try_get("first_name").context("reading a user")?,
                last_name: r.try_get("last_name").context("reading a user")?,
                role: r.try_get("role").context("reading a user")?,
                is_pending: super::get_bool(r, "is_pending").context("reading a user")?,
            })
        })
        .collect()
}

pub async fn executions(
    conn: &mut AnyConnection,
    env_id: i64,
    limit: i64,
) -> Result<Vec<ExecutionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT n8n_id, workflow_id, status, mode, started_at, stopped_at, finished, retry_of
         FROM executions WHERE env_id = $1 ORDER BY started_at DESC, n8n_id DESC LIMIT $2",
    )
    .bind(env_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .context("listing executions")?;
    rows.iter()
        .map(|r| {
            Ok(ExecutionRow {
                n8n_id: r.try_get("n8n_id").context("reading an execution")?,
                workflow_id: r.try_get("workflow_id").context("reading an execution")?,
                status: r.try_get("status").context("reading an execution")?,
                mode: r.try_get("mode").context("reading an execution")?,
                started_at: r.try_get("started_at").context("reading an execution")?,
                stopped_at: r.try_get("stopped_at").context("reading an execution")?,
                finished: super::get_bool(r, "finished").context("reading an execution")?,
                retry_of: r.try_get("retry_of").context("reading an execution")?,
            })
        })
        .collect()
}

/// Row counts per environment id: credentials, tags, users, executions.
pub async fn counts(conn: &mut AnyConnection, env_id: i64) -> Result<[i64; 4], StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM credentials WHERE env_id = $1) AS c,
                (SELECT COUNT(*) FROM tags WHERE env_id = $1) AS t,
                (SELECT COUNT(*) FROM users WHERE env_id = $1) AS u,
                (SELECT COUNT(*) FROM executions WHERE env_id = $1) AS x",
    )
    .bind(env_id)
    .fetch_one(&mut *conn)
    .await
    .context("counting an environment's data")?;
    let get = |c: &str| {
        row.try_get::<i64, _>(c)
            .context("counting an environment's data")
    };
    Ok([get("c")?, get("t")?, get("u")?, get("x")?])
}
