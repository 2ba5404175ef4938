//! Webhook notifications of incidents: the payloads (snapshots), the outbox filled by
//! `notify`, and deliveries sent to a real HTTP receiver started by each test, with
//! the clock of retries injected through `deliver_due(now)`; several services on one
//! store, each delivery sent once; the flush before a CLI process exits.

use super::local::LocalOps;
use super::notify::{backoff_ms, payload};
use super::test_fixture;
use crate::config::{Config, IncidentsConfig, WebhookConfig, WebhookFormat};
use crate::domain::environment::EnvClass;
use crate::domain::incident::{ClassPolicy, IncidentKind, IncidentPolicy, IncidentState, Severity};
use crate::store::environments::{self, NewEnv};
use crate::store::incidents::{self, DeliveryRow, DeliveryStatus, IncidentRow, NewIncident};
use crate::store::test_support::{self, TestStore};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// 2023-11-14 22:13:20 UTC: the incidents' "now".
const T0: i64 = 1_700_000_000_000;
/// 2100-01-01 00:00:00 UTC: the injected clock of delivery rounds. Ahead of the real
/// one, so the times rounds record (`max(now, the clock then)`) are exactly it.
const LATER: i64 = 4_102_444_800_000;
/// The class of the payload tests' environment.
const PROD: Option<EnvClass> = Some(EnvClass::Production);

// ---- fixtures ----

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    path_and_query: String,
    content_type: Option<String>,
    body: String,
}

#[derive(Clone, Default)]
struct Script {
    /// Statuses to answer, in order; 200 once they are used up.
    statuses: Arc<Mutex<Vec<u16>>>,
    got: Arc<Mutex<Vec<Received>>>,
    /// How long each answer takes.
    delay: Duration,
}

/// A local HTTP/1.1 server recording every request and answering `statuses` in order
/// (then 200).
struct Receiver {
    base: String,
    script: Script,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        Receiver::slow(statuses, Duration::ZERO).await
    }

    /// A receiver taking `delay` to answer each request.
    async fn slow(statuses: &[u16], delay: Duration) -> Receiver {
        let script = Script {
            statuses: Arc::new(Mutex::new(statuses.iter().rev().copied().collect())),
            got: Arc::default(),
            delay,
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { base, script, task }
    }

    fn got(&self) -> Vec<Received> {
        self.script.got.lock().unwrap().clone()
    }

    /// Waits (up to 5 s) until `n` requests arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            if self.got().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.got()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    State(script): State<Script>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    script.got.lock().unwrap().push(Received {
        path_and_query: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        content_type,
        body,
    });
    let status = script.statuses.lock().unwrap().pop().unwrap_or(200);
    tokio::time::sleep(script.delay).await;
    StatusCode::from_u16(status).unwrap()
}

fn hook(name: &str, url: &str, format: WebhookFormat) -> WebhookConfig {
    WebhookConfig {
        name: name.into(),
        url: url.into(),
        format,
    }
}

/// A `LocalOps` on a fresh SQLite store with `incidents` as its `[incidents]`, and
/// environments "prod" (production) and "dev" (development).
async fn ops_with(incidents: IncidentsConfig) -> (LocalOps, TestStore) {
    let store = test_support::sqlite().await;
    let mut settings = test_fixture::settings("tester");
    settings.incidents = incidents;
    let ops = LocalOps::new(store.store.clone(), settings).await.unwrap();
    let mut conn = store.store.conn().await.unwrap();
    for (name, class) in [
        ("prod", EnvClass::Production),
        ("dev", EnvClass::Development),
    ] {
        let env = NewEnv {
            name: name.into(),
            base_url: format!("http://{name}.invalid"),
            api_key: "key".into(),
            class,
            git_repo: None,
            git_branch: None,
        };
        environments::insert(&mut conn, store.store.secrets(), &env)
            .await
            .unwrap();
    }
    (ops, store)
}

fn config(webhooks: Vec<WebhookConfig>) -> IncidentsConfig {
    IncidentsConfig {
        webhooks,
        backoff_secs: 1,
        max_attempts: 6,
        ..IncidentsConfig::default()
    }
}

fn summary_json(lines: usize) -> String {
    json!({
        "changes": lines,
        "risk": "high",
        "renamed_from": null,
        "lines": (1..=lines).map(|i| format!("node 'HTTP {i}' parameters.url changed")).collect::<Vec<_>>(),
    })
    .to_string()
}

/// A drift incident of `env`'s 'Orders' at `severity`, opened at T0.
async fn incident(store: &TestStore, env: &str, severity: Severity) -> IncidentRow {
    let mut conn = store.store.conn().await.unwrap();
    let new = NewIncident {
        env: env.into(),
        kind: IncidentKind::Drift,
        key: format!("wf-orders-{}", severity.as_str()),
        canonical_id: Some("wf-orders".into()),
        n8n_id: Some("17".into()),
        workflow: Some("Orders".into()),
        severity,
        opened_at: T0,
        opened_by: "n8nops".into(),
        drift_status: Some("DRIFTED".into()),
        risk: Some("HIGH".into()),
        fingerprint: Some("f-live".into()),
        summary: Some(summary_json(2)),
    };
    let id = incidents::insert(&mut conn, &new).await.unwrap();
    incidents::get(&mut conn, id).await.unwrap()
}

/// `ops.notify` in a transaction of its own; how many deliveries it enqueued.
async fn notify(ops: &LocalOps, row: &IncidentRow, event: &str) -> usize {
    let mut tx = ops.store.begin().await.unwrap();
    let n = ops.notify(&mut tx, row, event).await.unwrap();
    tx.commit().await.unwrap();
    n
}

async fn deliveries(store: &TestStore, incident_id: i64) -> Vec<DeliveryRow> {
    let mut conn = store.store.conn().await.unwrap();
    incidents::deliveries(&mut conn, incident_id).await.unwrap()
}

/// An incident row as the store would hold it (for the pure payload tests).
fn row(kind: IncidentKind, state: IncidentState) -> IncidentRow {
    IncidentRow {
        id: 42,
        env: "production".into(),
        kind,
        key: "wf-orders".into(),
        canonical_id: Some("wf-orders".into()),
        n8n_id: Some("17".into()),
        workflow: Some("Orders".into()),
        severity: Severity::Critical,
        severity_manual: false,
        state,
        opened_at: T0,
        opened_by: "n8nops".into(),
        acknowledged_at: None,
        acknowledged_by: None,
        first_acknowledged_at: None,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
        assignee: Some("alice".into()),
        sla_started_at: T0,
        breached_at: None,
        escalations: 0,
        last_activity_at: T0,
        drift_status: Some("DRIFTED".into()),
        risk: Some("HIGH".into()),
        fingerprint: Some("f-live".into()),
        summary: Some(summary_json(7)),
        updated_at: T0,
        version: 1,
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

// ---- payloads ----

#[test]
fn slack_payload_of_an_opened_drift() {
    let row = row(IncidentKind::Drift, IncidentState::Open);
    let policy = ClassPolicy::default_for(EnvClass::Production);
    let body = payload::build(WebhookFormat::Slack, "opened", &row, &policy, PROD, T0);
    assert_eq!(
        body["text"],
        "[CRITICAL] production: 'Orders' drifted — opened"
    );
    // 7 change lines: the first 5 shown, the rest counted.
    let text = pretty(&body);
    assert!(
        text.contains("HTTP 5") && !text.contains("HTTP 6"),
        "{text}"
    );
    assert!(text.contains("… and 2 more"), "{text}");
    // The SLA deadline: opened + 24 h (critical in production).
    assert!(text.contains("2023-11-15 22:13 UTC"), "{text}");
    insta::assert_snapshot!("slack_opened_drift", text);
}

#[test]
fn json_payload_of_an_opened_drift() {
    let row = row(IncidentKind::Drift, IncidentState::Open);
    let policy = ClassPolicy::default_for(EnvClass::Production);
    let body = payload::build(
        WebhookFormat::Json,
        "opened",
        &row,
        &policy,
        PROD,
        T0 + 1_000,
    );
    assert_eq!(body["event"], "opened");
    assert_eq!(body["at"], "2023-11-14T22:13:21Z");
    assert_eq!(body["incident"]["id"], 42);
    assert_eq!(body["incident"]["sla_deadline"], "2023-11-15T22:13:20Z");
    assert_eq!(body["incident"]["drift_status"], "DRIFTED");
    assert_eq!(body["incident"]["risk"], "high");
    assert_eq!(
        body["incident"]["summary"]["lines"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    insta::assert_snapshot!("json_opened_drift", pretty(&body));
}

#[test]
fn slack_payload_of_a_resolved_environment_wide_executions_incident() {
    let mut row = row(IncidentKind::Executions, IncidentState::Resolved);
    row.key = "*".into();
    row.workflow = None;
    row.canonical_id = None;
    row.n8n_id = None;
    row.drift_status = None;
    row.risk = None;
    row.severity = Severity::High;
    row.severity_manual = true;
    row.escalations = 1;
    row.breached_at = Some(T0 + 48 * 3_600_000);
    row.resolved_at = Some(T0 + 50 * 3_600_000);
    row.resolved_by = Some("bob".into());
    row.resolution = Some("Rolled back <the> credential & restarted".into());
    row.summary = Some("23 failed executions in 60 min\n'Orders': 12\n'Invoices': 11".into());
    let policy = ClassPolicy::default_for(EnvClass::Production);
    let body = payload::build(WebhookFormat::Slack, "resolved", &row, &policy, PROD, T0);
    assert_eq!(
        body["text"],
        "[HIGH] production: executions are failing — resolved"
    );
    let text = pretty(&body);
    // Slack reads `<...>` as a link: the note is escaped.
    assert!(
        text.contains("Rolled back &lt;the&gt; credential &amp; restarted"),
        "{text}"
    );
    assert!(
        text.contains("none (resolved)") && text.contains("high (set by hand)"),
        "{text}"
    );
    insta::assert_snapshot!("slack_resolved_executions", text);

    let generic = payload::build(WebhookFormat::Json, "resolved", &row, &policy, PROD, T0);
    assert_eq!(
        generic["incident"]["failures"],
        row.summary.clone().unwrap()
    );
    assert_eq!(generic["incident"]["summary"], Value::Null);
    assert_eq!(generic["incident"]["breached"], true);
}

#[test]
fn headlines_say_what_happened() {
    let policy = ClassPolicy::default_for(EnvClass::Production);
    let headline = |event: &str, row: &IncidentRow| {
        payload::build(WebhookFormat::Slack, event, row, &policy, PROD, T0)["text"].clone()
    };
    let mut row = row(IncidentKind::Drift, IncidentState::Open);
    row.drift_status = Some("MISSING".into());
    assert_eq!(
        headline("breached", &row),
        "[CRITICAL] production: 'Orders' is missing — SLA breached"
    );
    row.drift_status = Some("UNTRACKED".into());
    row.severity = Severity::Medium;
    assert_eq!(
        headline("escalated", &row),
        "[MEDIUM] production: 'Orders' is untracked — escalated"
    );
    row.workflow = None;
    assert_eq!(
        headline("opened", &row),
        "[MEDIUM] production: 'wf-orders' is untracked — opened",
        "a drift without a name shows its key"
    );
    row.workflow = Some("Orders".into());
    row.kind = IncidentKind::Executions;
    assert_eq!(
        headline("opened", &row),
        "[MEDIUM] production: 'Orders' executions are failing — opened"
    );
}

#[test]
fn backoff_doubles_and_saturates() {
    assert_eq!(backoff_ms(10, 1), 10_000);
    assert_eq!(backoff_ms(10, 2), 20_000);
    assert_eq!(backoff_ms(10, 3), 40_000);
    assert_eq!(backoff_ms(10, 0), 10_000);
    assert_eq!(backoff_ms(10, 1_000), i64::MAX);
    assert_eq!(backoff_ms(u64::MAX, 1), i64::MAX);
}

// ---- the config example ----

#[test]
fn the_example_incidents_section_documents_the_defaults_and_its_webhooks_parse() {
    let example = include_str!("../../config.example.toml");
    let start = example
        .find("\n[incidents]\n")
        .expect("config.example.toml has an [incidents] section");
    let section = &example[start..];
    let parsed = Config::parse(section, Path::new("config.example.toml")).unwrap();
    assert_eq!(parsed.incidents, IncidentsConfig::default());
    // Every key of the policy is written out (not left to the defaults).
    for key in [
        "sweep_secs",
        "admins",
        "max_attempts",
        "backoff_secs",
        "retention_days",
        "drift_history_days",
        "ttl_hours",
        "ack_timeout_mins",
        "block_promotions_at",
        "notify_at",
        "per_workflow",
        "per_environment",
        "window_mins",
        "[incidents.policy.production]",
        "[incidents.policy.staging]",
        "[incidents.policy.development]",
        "[incidents.policy.executions]",
    ] {
        assert!(section.contains(key), "the example does not show {key}");
    }
    // The commented webhooks, uncommented.
    let uncommented: String = section
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[[incidents.webhooks]]")
                    || ["name = ", "url = ", "format = "]
                        .iter()
                        .any(|k| rest.starts_with(k)) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let parsed = Config::parse(&uncommented, Path::new("config.example.toml")).unwrap();
    let hooks = &parsed.incidents.webhooks;
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert_eq!(hooks[0].format, WebhookFormat::Slack);
    assert_eq!(hooks[1].format, WebhookFormat::Json);
    assert_eq!(
        parsed.incidents.policy.development.block_promotions_at, None,
        "development's \"never\""
    );
}

// ---- notify: the outbox ----

#[tokio::test]
async fn notify_enqueues_one_delivery_per_webhook_at_or_above_notify_at() {
    let hooks = vec![
        hook("slack", "http://127.0.0.1:9/a", WebhookFormat::Slack),
        hook("json", "http://127.0.0.1:9/b", WebhookFormat::Json),
    ];
    let (ops, store) = ops_with(config(hooks)).await;

    // Production notifies from medium: low is silent.
    let low = incident(&store, "prod", Severity::Low).await;
    assert_eq!(notify(&ops, &low, "opened").await, 0);
    assert!(deliveries(&store, low.id).await.is_empty());

    let medium = incident(&store, "prod", Severity::Medium).await;
    assert_eq!(notify(&ops, &medium, "opened").await, 2);
    let queued = deliveries(&store, medium.id).await;
    let targets: Vec<&str> = queued.iter().map(|d| d.target.as_str()).collect();
    assert_eq!(targets, ["slack", "json"]);
    for d in &queued {
        assert_eq!(
            (d.status, d.attempts, d.event.as_str()),
            (DeliveryStatus::Pending, 0, "opened")
        );
        assert!(d.next_attempt_at <= crate::store::now_ms());
    }
    let slack: Value = serde_json::from_str(&queued[0].payload).unwrap();
    assert_eq!(slack["text"], "[MEDIUM] prod: 'Orders' drifted — opened");
    let generic: Value = serde_json::from_str(&queued[1].payload).unwrap();
    assert_eq!(generic["event"], "opened");
    assert_eq!(generic["incident"]["id"], medium.id);

    // Development notifies from critical only.
    let high = incident(&store, "dev", Severity::High).await;
    assert_eq!(notify(&ops, &high, "escalated").await, 0);
    let critical = incident(&store, "dev", Severity::Critical).await;
    assert_eq!(notify(&ops, &critical, "escalated").await, 2);

    // A stored policy wins over the config's: production now notifies critical only.
    let mut policy = IncidentPolicy::default();
    policy.production.notify_at = Severity::Critical;
    let mut conn = store.store.conn().await.unwrap();
    let stored = incidents::StoredPolicy {
        body: policy.to_toml(),
        updated_by: "admin".into(),
        updated_at: T0,
    };
    incidents::policy_put(&mut conn, &stored).await.unwrap();
    drop(conn);
    assert_eq!(notify(&ops, &medium, "escalated").await, 0);
    assert_eq!(deliveries(&store, medium.id).await.len(), 2);
}

#[tokio::test]
async fn without_webhooks_nothing_is_enqueued() {
    let (ops, store) = ops_with(config(Vec::new())).await;
    let critical = incident(&store, "prod", Severity::Critical).await;
    assert_eq!(notify(&ops, &critical, "opened").await, 0);
    assert!(deliveries(&store, critical.id).await.is_empty());
}

#[tokio::test]
async fn notify_only_enqueues_it_never_waits_for_the_webhook() {
    // A receiver that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(Mutex::new(0usize));
    let count = accepted.clone();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            held.push(socket);
        }
    });
    let url = format!("http://{addr}/hook");
    let (ops, store) = ops_with(config(vec![hook("slow", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    let enqueued = tokio::time::timeout(Duration::from_secs(2), notify(&ops, &row, "opened"))
        .await
        .expect("notify returns without waiting for the webhook");
    assert_eq!(enqueued, 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(*accepted.lock().unwrap(), 0, "notify sent nothing itself");
    let queued = deliveries(&store, row.id).await;
    assert_eq!(
        (queued[0].status, queued[0].attempts),
        (DeliveryStatus::Pending, 0)
    );
    silent.abort();
}

// ---- deliveries ----

#[tokio::test]
async fn a_2xx_answer_delivers_the_json_body() {
    let receiver = Receiver::start(&[200, 204]).await;
    let hooks = vec![
        hook(
            "ops-slack",
            &format!("{}/services/T0/B0/SECRET", receiver.base),
            WebhookFormat::Slack,
        ),
        hook(
            "router",
            &format!("{}/json?token=abc", receiver.base),
            WebhookFormat::Json,
        ),
    ];
    let (ops, store) = ops_with(config(hooks)).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    assert_eq!(notify(&ops, &row, "opened").await, 2);

    assert_eq!(ops.deliver_due(LATER).await, (2, 0));
    let mut got = receiver.got();
    got.sort_by(|a, b| a.path_and_query.cmp(&b.path_and_query));
    let paths: Vec<&str> = got.iter().map(|r| r.path_and_query.as_str()).collect();
    assert_eq!(paths, ["/json?token=abc", "/services/T0/B0/SECRET"]);
    let queued = deliveries(&store, row.id).await;
    for r in &got {
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let target = if r.path_and_query.starts_with("/json") {
            "router"
        } else {
            "ops-slack"
        };
        let sent = queued.iter().find(|d| d.target == target).unwrap();
        assert_eq!(r.body, sent.payload, "the body POSTed is the one enqueued");
    }
    let slack: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(slack["text"], "[CRITICAL] prod: 'Orders' drifted — opened");
    let generic: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(generic["incident"]["workflow"], "Orders");
    for d in &queued {
        assert_eq!(d.status, DeliveryStatus::Delivered);
        assert_eq!(
            (d.attempts, d.delivered_at, d.last_error.as_deref()),
            (1, Some(LATER), None)
        );
    }
    // Delivered once: nothing is due any more.
    assert_eq!(ops.deliver_due(LATER + 3_600_000).await, (0, 0));
    assert_eq!(receiver.got().len(), 2);
}

#[tokio::test]
async fn failed_attempts_are_retried_with_a_doubling_backoff() {
    let receiver = Receiver::start(&[500, 503]).await;
    let url = format!("{}/hooks/TOKEN123", receiver.base);
    let (ops, store) = ops_with(config(vec![hook("hook", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::High).await;
    notify(&ops, &row, "opened").await;

    assert_eq!(ops.deliver_due(LATER).await, (0, 1));
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Pending, 1, LATER + 1_000)
    );
    let error = d.last_error.clone().unwrap();
    assert!(
        error.contains("webhook 'hook'") && error.contains("500"),
        "{error}"
    );
    assert!(
        !error.contains("TOKEN123") && !error.contains("/hooks"),
        "{error}"
    );

    // Not before the backoff (1 s), then again; the next wait is twice as long.
    assert_eq!(ops.deliver_due(LATER + 999).await, (0, 0));
    assert_eq!(ops.deliver_due(LATER + 1_000).await, (0, 1));
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Pending, 2, LATER + 3_000)
    );
    assert!(d.last_error.as_deref().unwrap().contains("503"), "{d:?}");
    assert_eq!(ops.deliver_due(LATER + 2_999).await, (0, 0));
    assert_eq!(ops.deliver_due(LATER + 3_000).await, (1, 0));
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!(d.status, DeliveryStatus::Delivered);
    assert_eq!((d.attempts, d.delivered_at), (3, Some(LATER + 3_000)));
    assert_eq!(receiver.got().len(), 3);
}

#[tokio::test]
async fn a_delivery_is_given_up_after_max_attempts() {
    let receiver = Receiver::start(&[500; 10]).await;
    let url = format!("{}/hook", receiver.base);
    let mut cfg = config(vec![hook("hook", &url, WebhookFormat::Slack)]);
    cfg.max_attempts = 3;
    let (ops, store) = ops_with(cfg).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;

    assert_eq!(ops.deliver_due(LATER).await, (0, 1));
    assert_eq!(ops.deliver_due(LATER + 1_000).await, (0, 1));
    assert_eq!(ops.deliver_due(LATER + 3_000).await, (0, 1));
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Failed, 3));
    assert!(d.last_error.as_deref().unwrap().contains("500"), "{d:?}");
    // Given up: never sent again.
    assert_eq!(ops.deliver_due(LATER + 86_400_000).await, (0, 0));
    assert_eq!(receiver.got().len(), 3);
}

#[tokio::test]
async fn an_unreachable_webhook_records_an_error_without_its_path_or_query() {
    let url = "http://127.0.0.1:1/services/T0/B0/TOPSECRET?token=hunter22";
    let (ops, store) = ops_with(config(vec![hook("down", url, WebhookFormat::Slack)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;

    assert_eq!(ops.deliver_due(LATER).await, (0, 1));
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 1));
    let error = d.last_error.clone().unwrap();
    assert!(
        error.contains("webhook 'down' (http://127.0.0.1:1)"),
        "{error}"
    );
    assert!(error.contains("connect"), "{error}");
    for secret in ["TOPSECRET", "hunter22", "/services", "token"] {
        assert!(!error.contains(secret), "{secret} in {error}");
    }
}

#[tokio::test]
async fn a_delivery_to_a_webhook_no_longer_configured_fails_naming_it() {
    let (ops, store) = ops_with(config(vec![hook(
        "old",
        "http://127.0.0.1:1/x",
        WebhookFormat::Json,
    )]))
    .await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;
    let mut settings = ops.settings.clone();
    settings.incidents.webhooks.clear();
    let ops = LocalOps::new(store.store.clone(), settings).await.unwrap();
    assert_eq!(ops.deliver_due(LATER).await, (0, 1));
    let d = &deliveries(&store, row.id).await[0];
    let error = d.last_error.as_deref().unwrap();
    assert!(
        error.contains("webhook 'old' is not in this n8nops' config"),
        "{error}"
    );
}

// ---- the dispatcher ----

/// Waits (up to 5 s) until the deliveries of `incident_id` are all delivered.
async fn all_delivered(store: &TestStore, incident_id: i64) -> Vec<DeliveryRow> {
    for _ in 0..100 {
        let got = deliveries(store, incident_id).await;
        if got.iter().all(|d| d.status == DeliveryStatus::Delivered) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    deliveries(store, incident_id).await
}

#[tokio::test]
async fn the_notifier_sends_at_once_when_its_own_service_wakes_it() {
    let receiver = Receiver::start(&[]).await;
    let url = format!("{}/hook", receiver.base);
    let mut cfg = config(vec![hook("hook", &url, WebhookFormat::Json)]);
    // Without the wake it would sleep an hour.
    cfg.sweep_secs = 3_600;
    let (ops, store) = ops_with(cfg).await;
    let notifier = ops.spawn_notifier();
    // Let its first round (nothing due) pass.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;

    // Another service of this process (here on the same store) wakes its own
    // dispatcher only: this one sleeps on.
    let other = LocalOps::new(store.store.clone(), ops.settings.clone())
        .await
        .unwrap();
    other.wake_notifier();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.got().is_empty(), "woken by another service");
    assert_eq!(
        deliveries(&store, row.id).await[0].status,
        DeliveryStatus::Pending
    );

    // A clone of its service (as the incident code holds) wakes it.
    ops.clone().wake_notifier();
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1, "the woken notifier delivered");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["event"], "opened");
    assert_eq!(
        all_delivered(&store, row.id).await[0].status,
        DeliveryStatus::Delivered
    );
    notifier.abort();
}

/// Critical drift incidents of "prod" keyed `wf-<i>` for each i of `keys`, opened at T0.
async fn incidents_n(store: &TestStore, keys: std::ops::Range<usize>) -> Vec<IncidentRow> {
    let mut rows = Vec::new();
    let mut conn = store.store.conn().await.unwrap();
    for i in keys {
        let new = NewIncident {
            env: "prod".into(),
            kind: IncidentKind::Drift,
            key: format!("wf-{i}"),
            canonical_id: Some(format!("wf-{i}")),
            n8n_id: Some(i.to_string()),
            workflow: Some(format!("Flow {i}")),
            severity: Severity::Critical,
            opened_at: T0,
            opened_by: "n8nops".into(),
            drift_status: Some("DRIFTED".into()),
            risk: None,
            fingerprint: None,
            summary: None,
        };
        let id = incidents::insert(&mut conn, &new).await.unwrap();
        rows.push(incidents::get(&mut conn, id).await.unwrap());
    }
    rows
}

/// Each (path, incident id) the receiver got, with how many times.
fn sends(got: &[Received]) -> std::collections::BTreeMap<(String, i64), usize> {
    let mut out = std::collections::BTreeMap::new();
    for r in got {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        let id = body["incident"]["id"].as_i64().unwrap();
        *out.entry((r.path_and_query.clone(), id)).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn two_services_on_one_store_send_each_notification_once() {
    // Slow answers, so both services hold the same due batch while the other sends.
    let receiver = Receiver::slow(&[], Duration::from_millis(30)).await;
    let hooks = vec![
        hook("a", &format!("{}/a", receiver.base), WebhookFormat::Json),
        hook("b", &format!("{}/b", receiver.base), WebhookFormat::Json),
    ];
    let mut cfg = config(hooks);
    cfg.sweep_secs = 3_600;
    let (first, store) = ops_with(cfg).await;
    // A second process on the store: its own service, its own dispatcher.
    let second = LocalOps::new(store.store.clone(), first.settings.clone())
        .await
        .unwrap();
    let rows = incidents_n(&store, 0..10).await;
    for row in &rows {
        assert_eq!(notify(&first, row, "opened").await, 2);
    }

    // Two sweeps at once.
    let (a, b) = tokio::join!(first.deliver_due(LATER), second.deliver_due(LATER));
    assert_eq!((a.0 + b.0, a.1 + b.1), (20, 0), "{a:?} {b:?}");
    let got = receiver.got();
    assert_eq!(got.len(), 20, "{:?}", sends(&got));
    let counted = sends(&got);
    assert_eq!(counted.len(), 20);
    assert!(counted.values().all(|&n| n == 1), "{counted:?}");
    for row in &rows {
        for d in deliveries(&store, row.id).await {
            assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 1));
        }
    }

    // Two dispatchers, both woken.
    let more = incidents_n(&store, 10..20).await;
    for row in &more {
        notify(&second, row, "opened").await;
    }
    let dispatchers = [first.spawn_notifier(), second.spawn_notifier()];
    first.wake_notifier();
    second.wake_notifier();
    for _ in 0..100 {
        if receiver.got().len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a second send, were there one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let counted = sends(&got);
    assert_eq!((got.len(), counted.len()), (40, 40), "{counted:?}");
    for row in &more {
        for d in all_delivered(&store, row.id).await {
            assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 1));
        }
    }
    for d in dispatchers {
        d.abort();
    }
}

#[tokio::test]
async fn a_delivery_claimed_by_a_sender_that_died_waits_for_its_lease() {
    let receiver = Receiver::start(&[]).await;
    let url = format!("{}/hook", receiver.base);
    let (ops, store) = ops_with(config(vec![hook("hook", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;
    // Another process claimed it at LATER, then stopped (killed mid-POST).
    let mut conn = store.store.conn().await.unwrap();
    let due = incidents::due_deliveries(&mut conn, LATER, 10)
        .await
        .unwrap();
    assert!(
        incidents::claim_delivery(&mut conn, &due[0], LATER + 60_000)
            .await
            .unwrap()
    );
    drop(conn);

    assert_eq!(ops.deliver_due(LATER).await, (0, 0));
    assert_eq!(ops.deliver_due(LATER + 59_999).await, (0, 0));
    assert!(
        receiver.got().is_empty(),
        "sent while another sender held it"
    );
    assert_eq!(ops.deliver_due(LATER + 60_000).await, (1, 0));
    assert_eq!(receiver.got().len(), 1);
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!(
        (d.status, d.attempts, d.delivered_at),
        (DeliveryStatus::Delivered, 1, Some(LATER + 60_000))
    );
}

#[tokio::test]
async fn a_retry_is_scheduled_from_when_the_attempt_ended() {
    // The webhook takes 400 ms to answer 500; the round's clock is the real one.
    let receiver = Receiver::slow(&[500], Duration::from_millis(400)).await;
    let url = format!("{}/hook", receiver.base);
    let (ops, store) = ops_with(config(vec![hook("hook", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;
    let started = crate::store::now_ms();
    assert_eq!(ops.deliver_due(started).await, (0, 1));
    let ended = crate::store::now_ms();
    let d = &deliveries(&store, row.id).await[0];
    // backoff_secs = 1: one second after the answer, not after the round began.
    assert!(
        d.next_attempt_at >= started + 400 + 1_000 && d.next_attempt_at <= ended + 1_000,
        "retry at {} for a round from {started} to {ended}",
        d.next_attempt_at
    );
}

// ---- the flush before a CLI process exits ----

#[tokio::test]
async fn a_cli_process_sends_what_it_enqueued_before_it_exits() {
    let receiver = Receiver::start(&[]).await;
    let url = format!("{}/hook", receiver.base);
    let (ops, store) = ops_with(config(vec![hook("hook", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    // No dispatcher runs: enqueued, and waiting.
    notify(&ops, &row, "opened").await;
    ops.wake_notifier();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.got().is_empty());

    assert_eq!(
        ops.clone()
            .flush_notifications(Duration::from_secs(10))
            .await,
        (1, 0)
    );
    assert_eq!(receiver.got().len(), 1);
    assert_eq!(
        deliveries(&store, row.id).await[0].status,
        DeliveryStatus::Delivered
    );
    // Flushed: a second flush has nothing of its own to send.
    assert_eq!(
        ops.flush_notifications(Duration::from_secs(10)).await,
        (0, 0)
    );
}

#[tokio::test]
async fn a_process_that_enqueued_nothing_or_is_read_only_flushes_nothing() {
    let receiver = Receiver::start(&[]).await;
    let url = format!("{}/hook", receiver.base);
    let (ops, store) = ops_with(config(vec![hook("hook", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;

    // Another process (a `workflows list`): the due delivery is not its to wait for.
    let other = LocalOps::new(store.store.clone(), ops.settings.clone())
        .await
        .unwrap();
    assert_eq!(
        other.flush_notifications(Duration::from_secs(10)).await,
        (0, 0)
    );
    // Read-only: never sends, whatever it holds.
    // (A clone of the service that enqueued: its flag says there is something.)
    let mut readonly = ops.clone();
    readonly.settings.readonly = true;
    assert_eq!(
        readonly.flush_notifications(Duration::from_secs(10)).await,
        (0, 0)
    );
    assert!(receiver.got().is_empty());
    assert_eq!(
        deliveries(&store, row.id).await[0].status,
        DeliveryStatus::Pending
    );
}

#[tokio::test]
async fn the_flush_stops_waiting_for_a_silent_webhook_at_its_deadline() {
    // A webhook that accepts the connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let url = format!("http://{addr}/hook/SECRET");
    let (ops, store) = ops_with(config(vec![hook("slow", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;

    let started = std::time::Instant::now();
    assert_eq!(
        ops.flush_notifications(Duration::from_millis(300)).await,
        (0, 1)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Recorded as a failed attempt, retried by the next sender.
    let d = &deliveries(&store, row.id).await[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 1));
    let error = d.last_error.as_deref().unwrap();
    assert_eq!(
        error,
        format!("webhook 'slow' (http://{addr}): no answer before n8nops exited")
    );
    silent.abort();
}

#[tokio::test]
async fn the_notifier_is_off_when_read_only() {
    let receiver = Receiver::start(&[]).await;
    let url = format!("{}/hook", receiver.base);
    let (ops, store) = ops_with(config(vec![hook("hook", &url, WebhookFormat::Json)])).await;
    let row = incident(&store, "prod", Severity::Critical).await;
    notify(&ops, &row, "opened").await;
    let mut settings = ops.settings.clone();
    settings.readonly = true;
    let readonly = LocalOps::new(store.store.clone(), settings).await.unwrap();
    let notifier = readonly.spawn_notifier();
    tokio::time::timeout(Duration::from_secs(2), notifier)
        .await
        .expect("a read-only notifier ends at once")
        .unwrap();
    assert!(receiver.got().is_empty());
    assert_eq!(
        deliveries(&store, row.id).await[0].status,
        DeliveryStatus::Pending
    );
}
