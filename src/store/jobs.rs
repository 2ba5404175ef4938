//! Jobs and their log lines, so that a job can be looked at after it ran (or after
//! the process that ran it stopped).

use super::{Context, StoreError};
use crate::domain::job::{JobState, LogLevel};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub state: JobState,
    pub actor: String,
    pub request: serde_json::Value,
    pub phase: Option<String>,
    pub done: i64,
    pub total: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobLogRow {
    pub at: i64,
    pub level: LogLevel,
    pub message: String,
}

fn parse_json(text: Option<String>, what: &str) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("jobs.{what}: {e}")))
    })
    .transpose()
}

fn from_row(r: &AnyRow) -> Result<JobRow, StoreError> {
    let ctx = "reading a job";
    let state: String = r.try_get("state").context(ctx)?;
    Ok(JobRow {
        id: r.try_get("id").context(ctx)?,
        kind: r.try_get("kind").context(ctx)?,
        title: r.try_get("title").context(ctx)?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown job state '{state}'")))?,
        actor: r.try_get("actor").context(ctx)?,
        request: parse_json(r.try_get("request").context(ctx)?, "request")?.unwrap_or_default(),
        phase: r.try_get("phase").context(ctx)?,
        done: r.try_get("done").context(ctx)?,
        total: r.try_get("total").context(ctx)?,
        created_at: r.try_get("created_at").context(ctx)?,
        started_at: r.try_get("started_at").context(ctx)?,
        finished_at: r.try_get("finished_at").context(ctx)?,
        result: parse_json(r.try_get("result").context(ctx)?, "result")?,
        error: r.try_get("error").context(ctx)?,
    })
}

/// Records a job; `runner` names the process running it (see [`mark_interrupted`]).
pub async fn insert(
    conn: &mut AnyConnection,
    job: &JobRow,
    runner: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, title, state, actor, request, phase, done, total, created_at, started_at, finished_at, result, error, runner)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(job.id.clone())
    .bind(job.kind.clone())
    .bind(job.title.clone())
    .bind(job.state.as_str())
    .bind(job.actor.clone())
    .bind(job.request.to_string())
    .bind(job.phase.clone())
    .bind(job.done)
    .bind(job.total)
    .bind(job.created_at)
    .bind(job.started_at)
    .bind(job.finished_at)
    .bind(job.result.as_ref().map(|v| v.to_string()))
    .bind(job.error.clone())
    .bind(runner.map(str::to_owned))
    .execute(&mut *conn)
    .await
    .context(&format!("recording job {}", job.id))?;
    Ok(())
}

pub async fn set_progress(
    conn: &mut AnyConnection,
    id: &str,
    phase: &str,
    done: i64,
    total: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE jobs SET phase = $1, done = $2, total = $3 WHERE id = $4")
        .bind(phase.to_owned())
        .bind(done)
        .bind(total)
        .bind(id.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("recording the progress of job {id}"))?;
    Ok(())
}

pub async fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    state: JobState,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE jobs SET state = $1, started_at = COALESCE(started_at, $2) WHERE id = $3")
        .bind(state.as_str())
        .bind(at)
        .bind(id.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("recording the state of job {id}"))?;
    Ok(())
}

pub async fn finish(
    conn: &mut AnyConnection,
    id: &str,
    state: JobState,
    result: Option<&serde_json::Value>,
    error: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET state = $1, result = $2, error = $3, finished_at = $4 WHERE id = $5",
    )
    .bind(state.as_str())
    .bind(result.map(|v| v.to_string()))
    .bind(error.map(str::to_owned))
    .bind(at)
    .bind(id.to_owned())
    .execute(&mut *conn)
    .await
    .context(&format!("recording the end of job {id}"))?;
    Ok(())
}

pub async fn log(
    conn: &mut AnyConnection,
    id: &str,
    level: LogLevel,
    message: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO job_logs (job_id, at, level, message) VALUES ($1, $2, $3, $4)")
        .bind(id.to_owned())
        .bind(at)
        .bind(level.as_str())
        .bind(message.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("writing a log line of job {id}"))?;
    Ok(())
}

/// Newest first.
pub async fn list(conn: &mut AnyConnection, limit: i64) -> Result<Vec<JobRow>, StoreError> {
    let sql = "SELECT id, kind, title, state, actor, request, phase, done, total, created_at, started_at, finished_at, result, error
               FROM jobs ORDER BY created_at DESC, id DESC LIMIT $1";
    let rows = sqlx::query(sql)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .context("listing jobs")?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<JobRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, kind, title, state, actor, request, phase, done, total, created_at, started_at, finished_at, result, error
         FROM jobs WHERE id = $1",
    )
    .bind(id.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .context(&format!("reading job {id}"))?;
    row.as_ref().map(from_row).transpose()
}

pub async fn logs(conn: &mut AnyConnection, id: &str) -> Result<Vec<JobLogRow>, StoreError> {
    let rows = sqlx::query("SELECT at, level, message FROM job_logs WHERE job_id = $1 ORDER BY id")
        .bind(id.to_owned())
        .fetch_all(&mut *conn)
        .await
        .context(&format!("reading the log of job {id}"))?;
    rows.iter()
        .map(|r| {
            let level: String = r.try_get("level").context("reading a job log")?;
            Ok(JobLogRow {
                at: r.try_get("at").context("reading a job log")?,
                level: LogLevel::parse(&level),
                message: r.try_get("message").context("reading a job log")?,
            })
        })
        .collect()
}

/// Marks interrupted the queued and running jobs whose process is gone: those whose
/// `runner` (as `insert` recorded it; None for jobs recorded before runners were) the
/// caller's `gone` says is no longer running. Jobs of live processes are left alone.
pub async fn mark_interrupted(
    conn: &mut AnyConnection,
    at: i64,
    gone: impl Fn(Option<&str>) -> bool,
) -> Result<u64, StoreError> {
    let rows = sqlx::query("SELECT id, runner FROM jobs WHERE state IN ('queued', 'running')")
        .fetch_all(&mut *conn)
        .await
        .context("listing running jobs")?;
    let mut marked = 0;
    for row in rows {
        let id: String = row.try_get("id").context("listing running jobs")?;
        let runner: Option<String> = row.try_get("runner").context("listing running jobs")?;
        if !gone(runner.as_deref()) {
            continue;
        }
        let done = sqlx::query(
            "UPDATE jobs SET state = 'interrupted', finished_at = $1, error = 'the process running this job stopped before it finished'
             WHERE id = $2 AND state IN ('queued', 'running')",
        )
        .bind(at)
        .bind(id.clone())
        .execute(&mut *conn)
        .await
        .context(&format!("marking job {id} interrupted"))?;
        marked += done.rows_affected();
    }
    Ok(marked)
}
