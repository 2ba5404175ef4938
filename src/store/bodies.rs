//! Workflow JSON bodies, addressed by the SHA-256 (hex) of their text: raw bodies by
//! a workflow's `raw_hash`, normalized bodies by its `fingerprint`, so identical
//! bodies across environments are kept once.
//!
//! A sync writes bodies page by page while it still fetches, each page in a short
//! transaction of its own, and claims them for its job. Nothing references them until
//! the sync's final transaction does, so a failed sync changes nothing visible; its
//! claims are released and the unreferenced bodies collected.

use super::{Context, StoreError, placeholders};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::Row;

/// A running sync of one environment, which claims the bodies it writes.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    pub job_id: &'a str,
    pub env_id: i64,
}

/// Rows per INSERT statement when storing bodies.
const BATCH: usize = 64;

/// Stores bodies (hash, text) not yet stored and claims them. Call in a
/// transaction of its own.
pub async fn put(
    conn: &mut AnyConnection,
    by: Claimant<'_>,
    bodies: Vec<(String, String)>,
) -> Result<(), StoreError> {
    let ctx = "storing workflow bodies";
    let mut rest = bodies.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<(String, String)> = rest.by_ref().take(BATCH).collect();
        // Only placeholders are generated; every value is bound.
        let claims = format!(
            "INSERT INTO body_claims (job_id, env_id, hash) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(batch.len(), 3)
        );
        let mut query = sqlx::query(AssertSqlSafe(claims));
        for (hash, _) in &batch {
            query = query
                .bind(by.job_id.to_owned())
                .bind(by.env_id)
                .bind(hash.clone());
        }
        query.execute(&mut *conn).await.context(ctx)?;
        let rows = format!(
            "INSERT INTO workflow_bodies (hash, body) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(batch.len(), 2)
        );
        let mut query = sqlx::query(AssertSqlSafe(rows));
        for (hash, body) in batch {
            query = query.bind(hash).bind(body);
        }
        query.execute(&mut *conn).await.context(ctx)?;
    }
    Ok(())
}

/// The body with this hash.
pub async fn get(conn: &mut AnyConnection, hash: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT body FROM workflow_bodies WHERE hash = $1")
        .bind(hash.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .context("reading a workflow body")?;
    row.map(|r| r.try_get("body").context("reading a workflow body"))
        .transpose()
}

/// The bodies with these hashes, by hash (absent ones are left out), in batches.
pub async fn get_many(
    conn: &mut AnyConnection,
    hashes: &[String],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let ctx = "reading workflow bodies";
    let mut found = std::collections::HashMap::with_capacity(hashes.len());
    for batch in hashes.chunks(500) {
        let list: Vec<String> = (1..=batch.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT hash, body FROM workflow_bodies WHERE hash IN ({})",
            list.join(", ")
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for hash in batch {
            query = query.bind(hash.clone());
        }
        for row in query.fetch_all(&mut *conn).await.context(ctx)? {
            found.insert(
                row.try_get("hash").context(ctx)?,
                row.try_get("body").context(ctx)?,
            );
        }
    }
    Ok(found)
}

/// Drops a sync's claims once its final transaction references what it wrote.
pub async fn release(conn: &mut AnyConnection, by: Claimant<'_>) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM body_claims WHERE job_id = $1 AND env_id = $2")
        .bind(by.job_id.to_owned())
        .bind(by.env_id)
        .execute(&mut *conn)
        .await
        .context("releasing workflow body claims")?;
    Ok(())
}

/// After a failed sync: drops its claims and the bodies only it wanted.
pub async fn abandon(conn: &mut AnyConnection, by: Claimant<'_>) -> Result<(), StoreError> {
    let claimed: Vec<String> =
        sqlx::query_scalar("SELECT hash FROM body_claims WHERE job_id = $1 AND env_id = $2")
            .bind(by.job_id.to_owned())
            .bind(by.env_id)
            .fetch_all(&mut *conn)
            .await
            .context("reading workflow body claims")?;
    release(conn, by).await?;
    collect(conn, &claimed).await
}

/// Drops claims of jobs that are no longer queued or running (a process stopped
/// mid-sync) and collects what they left; returns how many bodies went.
pub async fn release_stale(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let released = sqlx::query(
        "DELETE FROM body_claims WHERE job_id NOT IN (SELECT id FROM jobs WHERE state IN ('queued', 'running'))",
    )
    .execute(&mut *conn)
    .await
    .context("releasing stale workflow body claims")?;
    if released.rows_affected() == 0 {
        return Ok(0);
    }
    let done = sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM workflow_bodies WHERE {UNREFERENCED}"
    )))
    .execute(&mut *conn)
    .await
    .context("collecting unreferenced workflow bodies")?;
    Ok(done.rows_affected())
}

const UNREFERENCED: &str =
    "NOT EXISTS (SELECT 1 FROM workflows w WHERE w.raw_hash = workflow_bodies.hash)
      AND NOT EXISTS (SELECT 1 FROM workflows w WHERE w.fingerprint = workflow_bodies.hash)
      AND NOT EXISTS (SELECT 1 FROM body_claims c WHERE c.hash = workflow_bodies.hash)";

/// Deletes those of `candidates` that no workflow references and no running sync
/// claims: a sync passes what it wrote and what it stopped referencing, so the work
/// is proportional to what changed.
pub async fn collect(conn: &mut AnyConnection, candidates: &[String]) -> Result<(), StoreError> {
    for hash in candidates {
        sqlx::query(
            "DELETE FROM workflow_bodies WHERE hash = $1
               AND NOT EXISTS (SELECT 1 FROM workflows w WHERE w.raw_hash = $1)
               AND NOT EXISTS (SELECT 1 FROM workflows w WHERE w.fingerprint = $1)
               AND NOT EXISTS (SELECT 1 FROM body_claims c WHERE c.hash = $1)",
        )
        .bind(hash.clone())
        .execute(&mut *conn)
        .await
        .context("collecting unreferenced workflow bodies")?;
    }
    Ok(())
}
