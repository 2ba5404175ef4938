//! The audit log: who did what, to which environment or workflow, when, and how it went.
//! Written in the same transaction as the change it records.

use super::{Context, StoreError, now_ms};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Error,
}

/// One audit event to write.
#[derive(Debug, Clone)]
pub struct NewAuditEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub env: Option<&'a str>,
    pub workflow: Option<&'a str>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub env: Option<String>,
    pub workflow: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

pub async fn record(conn: &mut AnyConnection, event: &NewAuditEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor, action, env, workflow, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_ms())
    .bind(event.actor.to_owned())
    .bind(event.action.to_owned())
    .bind(event.env.map(str::to_owned))
    .bind(event.workflow.map(str::to_owned))
    .bind(match event.outcome {
        Outcome::Ok => "ok",
        Outcome::Error => "error",
    })
    .bind(event.detail.clone())
    .execute(&mut *conn)
    .await
    .context(&format!("writing the audit event for {}", event.action))?;
    Ok(())
}

/// Newest first.
pub async fn list(
    conn: &mut AnyConnection,
    env: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, env, workflow, outcome, detail FROM audit_events
         WHERE ($1 IS NULL OR env = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(env.map(str::to_owned))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .context("listing audit events")?;
    rows.iter()
        .map(|r| {
            let outcome: String = r.try_get("outcome").context("reading an audit event")?;
            Ok(AuditEvent {
                id: r.try_get("id").context("reading an audit event")?,
                at: r.try_get("at").context("reading an audit event")?,
                actor: r.try_get("actor").context("reading an audit event")?,
                action: r.try_get("action").context("reading an audit event")?,
                env: r.try_get("env").context("reading an audit event")?,
                workflow: r.try_get("workflow").context("reading an audit event")?,
                outcome: if outcome == "ok" {
                    Outcome::Ok
                } else {
                    Outcome::Error
                },
                detail: r.try_get("detail").context("reading an audit event")?,
            })
        })
        .collect()
}
