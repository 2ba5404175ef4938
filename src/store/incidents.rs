//! Incidents, their timelines, the notification outbox and the stored incident policy.
//!
//! One open incident per environment, kind and workflow key: a partial unique index
//! (`WHERE state <> 'RESOLVED'`) makes a second insert a conflict. Rows change by
//! compare-and-set on `version`, so two processes never both escalate or resolve one
//! incident. Events are the timeline, oldest first. Deliveries are the outbox of
//! webhook notifications: each attempt's outcome is recorded on its row.
//!
//! Functions that write several rows should run inside a transaction.

use super::{Context, StoreError, get_bool};
use crate::domain::incident::{EventKind, IncidentKind, IncidentState, Lived, Severity};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// An incident to record (state OPEN, version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIncident {
    pub env: String,
    pub kind: IncidentKind,
    /// What makes it unique among the environment's open incidents of its kind: the
    /// canonical id of a DRIFTED or MISSING workflow, `n8n:<id>` of an UNTRACKED one or
    /// of an executions incident, `*` for a whole-environment executions incident.
    pub key: String,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    /// The workflow's name (None for a whole environment).
    pub workflow: Option<String>,
    pub severity: Severity,
    pub opened_at: i64,
    pub opened_by: String,
    /// DRIFTED, MISSING, UNTRACKED (drift incidents).
    pub drift_status: Option<String>,
    /// LOW, MEDIUM, HIGH.
    pub risk: Option<String>,
    /// The live fingerprint it was raised on (drift), or the failure count as text.
    pub fingerprint: Option<String>,
    /// What changed, as JSON (the service's `DriftSummary`), or the failures.
    pub summary: Option<String>,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: i64,
    pub env: String,
    pub kind: IncidentKind,
    pub key: String,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    pub workflow: Option<String>,
    pub severity: Severity,
    /// Set by hand: the drift no longer changes it (escalation still does).
    pub severity_manual: bool,
    pub state: IncidentState,
    pub opened_at: i64,
    pub opened_by: String,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    /// The first acknowledgement ever (MTTA), kept through reopens.
    pub first_acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<String>,
    /// The resolving note.
    pub resolution: Option<String>,
    pub assignee: Option<String>,
    /// When the current TTL started: opened, or the last escalation.
    pub sla_started_at: i64,
    /// The first SLA breach.
    pub breached_at: Option<i64>,
    pub escalations: i64,
    /// When someone last acted on it (the acknowledgement timeout counts from here).
    pub last_activity_at: i64,
    pub drift_status: Option<String>,
    pub risk: Option<String>,
    pub fingerprint: Option<String>,
    pub summary: Option<String>,
    pub updated_at: i64,
    /// Bumped by every update; `update` compares it.
    pub version: i64,
}

/// A timeline entry to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    pub incident_id: i64,
    pub at: i64,
    pub actor: String,
    pub kind: EventKind,
    /// A note, a resolution, what changed in words.
    pub text: Option<String>,
    /// JSON: the drift summary at a change, the job or commit of a remediation.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub incident_id: i64,
    pub at: i64,
    pub actor: String,
    pub kind: EventKind,
    pub text: Option<String>,
    pub detail: Option<String>,
}

/// Which incidents to list. Empty lists mean any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub states: Vec<IncidentState>,
    pub severities: Vec<Severity>,
    pub env: Option<String>,
    pub kind: Option<IncidentKind>,
    /// Case-insensitive substring of the workflow name, environment or assignee.
    pub text: Option<String>,
    /// Opened at or after / before (ms).
    pub opened_from: Option<i64>,
    pub opened_to: Option<i64>,
    pub limit: Option<i64>,
}

/// A webhook notification to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDelivery {
    pub incident_id: i64,
    /// opened, escalated, breached, resolved.
    pub event: String,
    /// The webhook's name in the config.
    pub target: String,
    /// The JSON body to POST.
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not sent yet, or to be tried again at `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

impl DeliveryStatus {
    /// `pending`, `delivered`, `failed` (the serde form, as stored).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub incident_id: i64,
    pub event: String,
    pub target: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// The policy edited in the TUI (TOML), replacing the config's while it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub body: String,
    pub updated_by: String,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, env, kind, incident_key, canonical_id, n8n_id, workflow, severity, \
     severity_manual, state, opened_at, opened_by, acknowledged_at, acknowledged_by, \
     first_acknowledged_at, resolved_at, resolved_by, resolution, assignee, sla_started_at, \
     breached_at, escalations, last_activity_at, drift_status, risk, fingerprint, summary, \
     updated_at, version";

const EVENT_COLUMNS: &str = "id, incident_id, at, actor, kind, text, detail";

const DELIVERY_COLUMNS: &str = "id, incident_id, event, target, payload, status, attempts, \
     next_attempt_at, last_error, created_at, delivered_at";

/// Worst severity first, as an SQL expression over `severity`.
const SEVERITY_RANK: &str = "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 \
     WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END";

/// An incident in words, for messages: `drift incident #4 on 'Orders' in 'prod'`.
fn describe(id: i64, row: &AnyRow) -> String {
    let env: String = row.try_get("env").unwrap_or_default();
    let workflow: Option<String> = row.try_get("workflow").unwrap_or_default();
    match workflow {
        Some(w) => format!("incident #{id} on '{w}' in '{env}'"),
        None => format!("incident #{id} in '{env}'"),
    }
}

fn from_row(row: &AnyRow) -> Result<IncidentRow, StoreError> {
    let id: i64 = row.try_get("id").context("reading an incident")?;
    let ctx = format!("reading incident #{id}");
    let corrupt = |what: &str, text: &str| {
        StoreError::Corrupt(format!(
            "{} has an unknown {what} '{text}'",
            describe(id, row)
        ))
    };
    let kind: String = row.try_get("kind").context(&ctx)?;
    let kind = IncidentKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?;
    let severity: String = row.try_get("severity").context(&ctx)?;
    let severity = Severity::parse(&severity)
        .filter(|s| s.as_str() == severity)
        .ok_or_else(|| corrupt("severity", &severity))?;
    let state: String = row.try_get("state").context(&ctx)?;
    let state = IncidentState::ALL
        .into_iter()
        .find(|s| s.as_str() == state)
        .ok_or_else(|| corrupt("state", &state))?;
    Ok(IncidentRow {
        id,
        env: row.try_get("env").context(&ctx)?,
        kind,
        key: row.try_get("incident_key").context(&ctx)?,
        canonical_id: row.try_get("canonical_id").context(&ctx)?,
        n8n_id: row.try_get("n8n_id").context(&ctx)?,
        workflow: row.try_get("workflow").context(&ctx)?,
        severity,
        severity_manual: get_bool(row, "severity_manual").context(&ctx)?,
        state,
        opened_at: row.try_get("opened_at").context(&ctx)?,
        opened_by: row.try_get("opened_by").context(&ctx)?,
        acknowledged_at: row.try_get("acknowledged_at").context(&ctx)?,
        acknowledged_by: row.try_get("acknowledged_by").context(&ctx)?,
        first_acknowledged_at: row.try_get("first_acknowledged_at").context(&ctx)?,
        resolved_at: row.try_get("resolved_at").context(&ctx)?,
        resolved_by: row.try_get("resolved_by").context(&ctx)?,
        resolution: row.try_get("resolution").context(&ctx)?,
        assignee: row.try_get("assignee").context(&ctx)?,
        sla_started_at: row.try_get("sla_started_at").context(&ctx)?,
        breached_at: row.try_get("breached_at").context(&ctx)?,
        escalations: row.try_get("escalations").context(&ctx)?,
        last_activity_at: row.try_get("last_activity_at").context(&ctx)?,
        drift_status: row.try_get("drift_status").context(&ctx)?,
        risk: row.try_get("risk").context(&ctx)?,
        fingerprint: row.try_get("fingerprint").context(&ctx)?,
        summary: row.try_get("summary").context(&ctx)?,
        updated_at: row.try_get("updated_at").context(&ctx)?,
        version: row.try_get("version").context(&ctx)?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<EventRow, StoreError> {
    let ctx = "reading an incident's timeline";
    let id: i64 = row.try_get("id").context(ctx)?;
    let incident_id: i64 = row.try_get("incident_id").context(ctx)?;
    let kind: String = row.try_get("kind").context(ctx)?;
    let kind = EventKind::parse(&kind).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "incident #{incident_id} has a timeline entry ({id}) of unknown kind '{kind}'"
        ))
    })?;
    Ok(EventRow {
        id,
        incident_id,
        at: row.try_get("at").context(ctx)?,
        actor: row.try_get("actor").context(ctx)?,
        kind,
        text: row.try_get("text").context(ctx)?,
        detail: row.try_get("detail").context(ctx)?,
    })
}

fn delivery_from_row(row: &AnyRow) -> Result<DeliveryRow, StoreError> {
    let ctx = "reading an incident notification";
    let id: i64 = row.try_get("id").context(ctx)?;
    let incident_id: i64 = row.try_get("incident_id").context(ctx)?;
    let target: String = row.try_get("target").context(ctx)?;
    let status: String = row.try_get("status").context(ctx)?;
    let status = DeliveryStatus::parse(&status).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "notification {id} of incident #{incident_id} to '{target}' has an unknown status '{status}'"
        ))
    })?;
    Ok(DeliveryRow {
        id,
        incident_id,
        event: row.try_get("event").context(ctx)?,
        target,
        payload: row.try_get("payload").context(ctx)?,
        status,
        attempts: row.try_get("attempts").context(ctx)?,
        next_attempt_at: row.try_get("next_attempt_at").context(ctx)?,
        last_error: row.try_get("last_error").context(ctx)?,
        created_at: row.try_get("created_at").context(ctx)?,
        delivered_at: row.try_get("delivered_at").context(ctx)?,
    })
}

/// Whether a database error is a unique-index violation (on either backend).
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The message of a second open incident with the same environment, kind and key.
fn already_open(env: &str, kind: IncidentKind, key: &str, workflow: Option<&str>) -> String {
    let what = match workflow {
        Some(w) => format!("'{w}' ({key})"),
        None => format!("'{key}'"),
    };
    format!(
        "environment '{env}' already has an open {} incident on {what}",
        kind.as_str()
    )
}

/// Records a new open incident; returns its id. Its SLA, last activity and update time
/// start at `opened_at`. A second open incident with the same environment, kind and key
/// is `StoreError::Conflict`, naming them and the open one.
pub async fn insert(conn: &mut AnyConnection, new: &NewIncident) -> Result<i64, StoreError> {
    let workflow = new.workflow.as_deref();
    if let Some(open) = open_by_key(conn, &new.env, new.kind, &new.key).await? {
        return Err(StoreError::Conflict(format!(
            "{} (#{})",
            already_open(&new.env, new.kind, &new.key, workflow),
            open.id
        )));
    }
    let done = sqlx::query_scalar(
        "INSERT INTO incidents (env, kind, incident_key, canonical_id, n8n_id, workflow, severity,
           severity_manual, state, opened_at, opened_by, sla_started_at, escalations,
           last_activity_at, drift_status, risk, fingerprint, summary, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, 0, $10, $12, $13, $14, $15,
           $10, 1)
         RETURNING id",
    )
    .bind(new.env.clone())
    .bind(new.kind.as_str())
    .bind(new.key.clone())
    .bind(new.canonical_id.clone())
    .bind(new.n8n_id.clone())
    .bind(new.workflow.clone())
    .bind(new.severity.as_str())
    .bind(false)
    .bind(IncidentState::Open.as_str())
    .bind(new.opened_at)
    .bind(new.opened_by.clone())
    .bind(new.drift_status.clone())
    .bind(new.risk.clone())
    .bind(new.fingerprint.clone())
    .bind(new.summary.clone())
    .fetch_one(&mut *conn)
    .await;
    match done {
        Ok(id) => Ok(id),
        // Another process opened it between the check and the insert.
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(already_open(
            &new.env, new.kind, &new.key, workflow,
        ))),
        Err(e) => Err(e).context(&format!(
            "recording a {} incident on '{}' in '{}'",
            new.kind.as_str(),
            workflow.unwrap_or(&new.key),
            new.env
        )),
    }
}

/// The incident `id`; `StoreError::NotFound` naming it when there is none.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<IncidentRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM incidents WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context(&format!("reading incident #{id}"))?;
    match row {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound(format!("no incident #{id}"))),
    }
}

/// The open (OPEN or ACKNOWLEDGED) incident of `env`, `kind` and `key`, if any.
pub async fn open_by_key(
    conn: &mut AnyConnection,
    env: &str,
    kind: IncidentKind,
    key: &str,
) -> Result<Option<IncidentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents
         WHERE env = $1 AND kind = $2 AND incident_key = $3 AND state <> 'RESOLVED'"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(env.to_owned())
        .bind(kind.as_str())
        .bind(key.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .context(&format!(
            "looking for an open {} incident on '{key}' in '{env}'",
            kind.as_str()
        ))?;
    row.as_ref().map(from_row).transpose()
}

/// Every open incident (of `env` when given), oldest first.
pub async fn open(
    conn: &mut AnyConnection,
    env: Option<&str>,
) -> Result<Vec<IncidentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents
         WHERE state <> 'RESOLVED' AND ($1 IS NULL OR env = $1)
         ORDER BY opened_at, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(env.map(str::to_owned))
        .fetch_all(&mut *conn)
        .await
        .context(&match env {
            Some(env) => format!("listing the open incidents of '{env}'"),
            None => "listing the open incidents".to_owned(),
        })?;
    rows.iter().map(from_row).collect()
}

/// A value bound to a generated query.
enum Arg {
    Text(String),
    Int(i64),
}

/// `text` as a LIKE pattern matching it anywhere, lowercased, with `\`, `%` and `_`
/// escaped (the query says `ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Incidents matching `filter`, worst severity first, then oldest first (then by id).
/// The text filter matches the workflow name, environment or assignee, ignoring case
/// (on SQLite, only ASCII letters fold).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &IncidentFilter,
) -> Result<Vec<IncidentRow>, StoreError> {
    let mut args: Vec<Arg> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    let next = |args: &mut Vec<Arg>, arg: Arg| {
        args.push(arg);
        format!("${}", args.len())
    };
    if !filter.states.is_empty() {
        let marks: Vec<String> = filter
            .states
            .iter()
            .map(|s| next(&mut args, Arg::Text(s.as_str().to_owned())))
            .collect();
        conds.push(format!("state IN ({})", marks.join(", ")));
    }
    if !filter.severities.is_empty() {
        let marks: Vec<String> = filter
            .severities
            .iter()
            .map(|s| next(&mut args, Arg::Text(s.as_str().to_owned())))
            .collect();
        conds.push(format!("severity IN ({})", marks.join(", ")));
    }
    if let Some(env) = &filter.env {
        let m = next(&mut args, Arg::Text(env.clone()));
        conds.push(format!("env = {m}"));
    }
    if let Some(kind) = filter.kind {
        let m = next(&mut args, Arg::Text(kind.as_str().to_owned()));
        conds.push(format!("kind = {m}"));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
        let m = next(&mut args, Arg::Text(contains_pattern(text)));
        conds.push(format!(
            "(LOWER(COALESCE(workflow, '')) LIKE {m} ESCAPE '\\' \
             OR LOWER(env) LIKE {m} ESCAPE '\\' \
             OR LOWER(COALESCE(assignee, '')) LIKE {m} ESCAPE '\\')"
        ));
    }
    if let Some(from) = filter.opened_from {
        let m = next(&mut args, Arg::Int(from));
        conds.push(format!("opened_at >= {m}"));
    }
    if let Some(to) = filter.opened_to {
        let m = next(&mut args, Arg::Int(to));
        conds.push(format!("opened_at < {m}"));
    }
    let limit = next(&mut args, Arg::Int(filter.limit.unwrap_or(i64::MAX).max(0)));
    let conds = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents {conds}
         ORDER BY {SEVERITY_RANK}, opened_at, id LIMIT {limit}"
    );
    // Only placeholders and fixed text are generated; every value is bound.
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for arg in args {
        query = match arg {
            Arg::Text(t) => query.bind(t),
            Arg::Int(i) => query.bind(i),
        };
    }
    let rows = query
        .fetch_all(&mut *conn)
        .await
        .context("listing incidents")?;
    rows.iter().map(from_row).collect()
}

/// Writes every mutable field of `row` (all but id, env, kind, key, opened_*) if its
/// stored version is still `row.version`, and bumps the version. False when someone
/// changed it meanwhile, or it no longer exists (nothing written). Reopening a resolved
/// incident while another is open on its key is `StoreError::Conflict`.
pub async fn update(conn: &mut AnyConnection, row: &IncidentRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE incidents SET canonical_id = $1, n8n_id = $2, workflow = $3, severity = $4,
           severity_manual = $5, state = $6, acknowledged_at = $7, acknowledged_by = $8,
           first_acknowledged_at = $9, resolved_at = $10, resolved_by = $11, resolution = $12,
           assignee = $13, sla_started_at = $14, breached_at = $15, escalations = $16,
           last_activity_at = $17, drift_status = $18, risk = $19, fingerprint = $20,
           summary = $21, updated_at = $22, version = version + 1
         WHERE id = $23 AND version = $24",
    )
    .bind(row.canonical_id.clone())
    .bind(row.n8n_id.clone())
    .bind(row.workflow.clone())
    .bind(row.severity.as_str())
    .bind(row.severity_manual)
    .bind(row.state.as_str())
    .bind(row.acknowledged_at)
    .bind(row.acknowledged_by.clone())
    .bind(row.first_acknowledged_at)
    .bind(row.resolved_at)
    .bind(row.resolved_by.clone())
    .bind(row.resolution.clone())
    .bind(row.assignee.clone())
    .bind(row.sla_started_at)
    .bind(row.breached_at)
    .bind(row.escalations)
    .bind(row.last_activity_at)
    .bind(row.drift_status.clone())
    .bind(row.risk.clone())
    .bind(row.fingerprint.clone())
    .bind(row.summary.clone())
    .bind(row.updated_at)
    .bind(row.id)
    .bind(row.version)
    .execute(&mut *conn)
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "cannot reopen incident #{}: {}",
            row.id,
            already_open(&row.env, row.kind, &row.key, row.workflow.as_deref())
        ))),
        Err(e) => Err(e).context(&format!("updating incident #{}", row.id)),
    }
}

/// Adds an entry to the timeline of `event.incident_id`; returns its id.
pub async fn add_event(conn: &mut AnyConnection, event: &NewEvent) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO incident_events (incident_id, at, actor, kind, text, detail)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(event.incident_id)
    .bind(event.at)
    .bind(event.actor.clone())
    .bind(event.kind.as_str())
    .bind(event.text.clone())
    .bind(event.detail.clone())
    .fetch_one(&mut *conn)
    .await
    .context(&format!(
        "recording the {} entry of incident #{}",
        event.kind.as_str(),
        event.incident_id
    ))
}

/// The timeline of `incident_id`, oldest first (in the order recorded at equal times).
pub async fn events(
    conn: &mut AnyConnection,
    incident_id: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM incident_events WHERE incident_id = $1 ORDER BY at, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(incident_id)
        .fetch_all(&mut *conn)
        .await
        .context(&format!("reading the timeline of incident #{incident_id}"))?;
    rows.iter().map(event_from_row).collect()
}

/// What the MTTA/MTTR maths need of the incidents opened in `[from, to)` (of `env`),
/// oldest first. `acknowledged_at` is the first acknowledgement, kept through reopens.
pub async fn lived(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    env: Option<&str>,
) -> Result<Vec<Lived>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, env, workflow, severity, opened_at, first_acknowledged_at, resolved_at
         FROM incidents
         WHERE opened_at >= $1 AND opened_at < $2 AND ($3 IS NULL OR env = $3)
         ORDER BY opened_at, id",
    )
    .bind(from)
    .bind(to)
    .bind(env.map(str::to_owned))
    .fetch_all(&mut *conn)
    .await
    .context("reading incidents for their metrics")?;
    rows.iter()
        .map(|row| {
            let ctx = "reading incidents for their metrics";
            let id: i64 = row.try_get("id").context(ctx)?;
            let severity: String = row.try_get("severity").context(ctx)?;
            let severity = Severity::parse(&severity)
                .filter(|s| s.as_str() == severity)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "{} has an unknown severity '{severity}'",
                        describe(id, row)
                    ))
                })?;
            Ok(Lived {
                env: row.try_get("env").context(ctx)?,
                severity,
                opened_at: row.try_get("opened_at").context(ctx)?,
                acknowledged_at: row.try_get("first_acknowledged_at").context(ctx)?,
                resolved_at: row.try_get("resolved_at").context(ctx)?,
            })
        })
        .collect()
}

/// Deletes incidents resolved before `before` with their events and deliveries;
/// returns how many incidents went. Open incidents are never touched.
pub async fn purge_resolved(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    const GONE: &str = "SELECT id FROM incidents WHERE state = 'RESOLVED' AND resolved_at < $1";
    let ctx = "purging resolved incidents";
    // The foreign keys cascade too; deleting the children first does not depend on it.
    for table in ["incident_events", "incident_deliveries"] {
        let sql = format!("DELETE FROM {table} WHERE incident_id IN ({GONE})");
        sqlx::query(AssertSqlSafe(sql))
            .bind(before)
            .execute(&mut *conn)
            .await
            .context(ctx)?;
    }
    let done = sqlx::query("DELETE FROM incidents WHERE state = 'RESOLVED' AND resolved_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await
        .context(ctx)?;
    Ok(done.rows_affected())
}

/// Adds a notification to the outbox, pending and due at once (`created_at`); returns
/// its id.
pub async fn enqueue(conn: &mut AnyConnection, new: &NewDelivery) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO incident_deliveries (incident_id, event, target, payload, status, attempts,
           next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(new.incident_id)
    .bind(new.event.clone())
    .bind(new.target.clone())
    .bind(new.payload.clone())
    .bind(DeliveryStatus::Pending.as_str())
    .bind(new.created_at)
    .fetch_one(&mut *conn)
    .await
    .context(&format!(
        "queueing the '{}' notification of incident #{} to '{}'",
        new.event, new.incident_id, new.target
    ))
}

/// Pending deliveries whose `next_attempt_at` has come, oldest first, at most `limit`.
pub async fn due_deliveries(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM incident_deliveries
         WHERE status = $1 AND next_attempt_at <= $2
         ORDER BY next_attempt_at, id LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now)
        .bind(limit.max(0))
        .fetch_all(&mut *conn)
        .await
        .context("reading the notifications due")?;
    rows.iter().map(delivery_from_row).collect()
}

/// Claims `delivery` (as `due_deliveries` read it) for one attempt by compare-and-set:
/// its `next_attempt_at` moves to `lease_until` only while it is still pending, at the
/// same `attempts` and due at the same time as read. True when this caller won it:
/// it alone sends it, then records the outcome with `record_attempt` (a sender that
/// dies first leaves it due again at `lease_until`). False when another sender (a
/// second process on the store, or a second round) claimed or recorded it meanwhile.
pub async fn claim_delivery(
    conn: &mut AnyConnection,
    delivery: &DeliveryRow,
    lease_until: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE incident_deliveries SET next_attempt_at = $1
         WHERE id = $2 AND status = $3 AND attempts = $4 AND next_attempt_at = $5",
    )
    .bind(lease_until)
    .bind(delivery.id)
    .bind(DeliveryStatus::Pending.as_str())
    .bind(delivery.attempts)
    .bind(delivery.next_attempt_at)
    .execute(&mut *conn)
    .await
    .context(&format!(
        "claiming the '{}' notification of incident #{} to '{}'",
        delivery.event, delivery.incident_id, delivery.target
    ))?;
    Ok(done.rows_affected() == 1)
}

/// Records an attempt: its status, attempts so far, when to try again (Pending), the
/// error, and when it was delivered. NotFound when there is no such delivery (its
/// incident was purged meanwhile).
pub async fn record_attempt(
    conn: &mut AnyConnection,
    id: i64,
    status: DeliveryStatus,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<&str>,
    delivered_at: Option<i64>,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE incident_deliveries SET status = $1, attempts = $2, next_attempt_at = $3,
           last_error = $4, delivered_at = $5
         WHERE id = $6",
    )
    .bind(status.as_str())
    .bind(attempts)
    .bind(next_attempt_at)
    .bind(last_error.map(str::to_owned))
    .bind(delivered_at)
    .bind(id)
    .execute(&mut *conn)
    .await
    .context(&format!("recording an attempt of notification {id}"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "notification {id} is no longer in the outbox (its incident was purged)"
        )));
    }
    Ok(())
}

/// The deliveries of `incident_id`, oldest first.
pub async fn deliveries(
    conn: &mut AnyConnection,
    incident_id: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM incident_deliveries WHERE incident_id = $1
         ORDER BY created_at, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(incident_id)
        .fetch_all(&mut *conn)
        .await
        .context(&format!(
            "reading the notifications of incident #{incident_id}"
        ))?;
    rows.iter().map(delivery_from_row).collect()
}

/// The policy edited in the TUI, if one is stored.
pub async fn policy_get(conn: &mut AnyConnection) -> Result<Option<StoredPolicy>, StoreError> {
    let ctx = "reading the stored incident policy";
    let row = sqlx::query(
        "SELECT body, updated_by, updated_at FROM incident_policy WHERE tenant_id = 'default'",
    )
    .fetch_optional(&mut *conn)
    .await
    .context(ctx)?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(StoredPolicy {
        body: row.try_get("body").context(ctx)?,
        updated_by: row.try_get("updated_by").context(ctx)?,
        updated_at: row.try_get("updated_at").context(ctx)?,
    }))
}

/// Stores the policy, replacing the one stored before.
pub async fn policy_put(conn: &mut AnyConnection, policy: &StoredPolicy) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO incident_policy (tenant_id, body, updated_by, updated_at)
         VALUES ('default', $1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(policy.body.clone())
    .bind(policy.updated_by.clone())
    .bind(policy.updated_at)
    .execute(&mut *conn)
    .await
    .context(&format!(
        "storing the incident policy edited by '{}'",
        policy.updated_by
    ))?;
    Ok(())
}

/// Forgets the stored policy: the config's applies again.
pub async fn policy_clear(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM incident_policy WHERE tenant_id = 'default'")
        .execute(&mut *conn)
        .await
        .context("forgetting the stored incident policy")?;
    Ok(())
}
