//! Incidents end to end against a real n8n 1.123.0 (scripts/test.sh starts it): the
//! instance (N8NOPS_E2E_N8N_URL) is registered as "prod" (production) in a throw-away
//! store and repository, with a webhook receiver of the test as the notification target.
//!
//! A workflow of the test's own is created and the whole instance snapshotted as its
//! canonical state. Then the workflow is changed by hand through n8n's API (its
//! connection removed: a HIGH-risk change), the drift schedule starts (a configured
//! minute lasting two seconds), and its first check must open one critical incident;
//! the receiver gets the notification. The incident is acknowledged, then reverted from
//! the incident: the workflow is back to its canonical body on the instance (by
//! fingerprint, through the API), the incident resolves, and the receiver hears that.
//!
//! Other test binaries use the same instance (one at a time): this test asserts only
//! about its own workflow, and deletes it at the end, even when it fails.

#[path = "support/n8n_api.rs"]
mod n8n_api;
#[path = "support/real_n8n.rs"]
mod real_n8n;
#[path = "support/webhook_receiver.rs"]
mod webhook_receiver;
#[path = "support/workflows.rs"]
mod workflows;

use futures_util::FutureExt;
use n8n_api::Api;
use n8nops::config::{WebhookConfig, WebhookFormat};
use n8nops::domain::environment::EnvClass;
use n8nops::domain::incident::{IncidentKind, IncidentState, Severity};
use n8nops::domain::job::JobState;
use n8nops::domain::normalize::fingerprint;
use n8nops::service::{
    EnvAdd, IncidentChange, IncidentQuery, IncidentUpdate, IncidentView, JobQuery, LocalOps, Ops,
    Secret, Settings, SnapshotCreate, follow_job,
};
use n8nops::store::{SecretBox, Store};
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};
use webhook_receiver::Receiver;

const PROD: &str = "prod";
/// The length of a configured minute in this test: prod is checked every "minute".
const MINUTE: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_change_in_production_is_raised_notified_and_reverted_from_its_incident() {
    let Some((url, key)) = real_n8n::real_n8n() else {
        return;
    };
    let api = Api::new(&url, &key);
    let name = format!("n8nops-e2e-incident-{}", run_mark());
    let created = api
        .create(&workflows::manual_workflow(&name))
        .await
        .expect("create the test's workflow");
    let id = created["id"].as_str().expect("an id").to_owned();
    let outcome = AssertUnwindSafe(scenario(&api, &url, &key, &name, &id))
        .catch_unwind()
        .await;
    api.delete(&id).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(api: &Api, url: &str, key: &str, name: &str, id: &str) {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_sqlite(&dir.path().join("n8nops.db"), SecretBox::from_key(&[7; 32]))
        .await
        .expect("store");
    let mut settings = Settings::from_config(&Default::default());
    settings.actor = "oncall".into();
    settings.git.path = Some(dir.path().join("canonical.git"));
    settings.drift.production_mins = 1;
    settings.drift.jitter = 0.0;
    settings.incidents.webhooks = vec![WebhookConfig {
        name: "receiver".into(),
        url: receiver.url.clone(),
        format: WebhookFormat::Slack,
    }];
    let ops = LocalOps::new(store, settings).await.expect("ops");
    ops.env_add(EnvAdd {
        name: PROD.into(),
        url: url.into(),
        class: EnvClass::Production,
        api_key: Secret::new(key.to_owned()),
        git_repo: None,
        git_branch: None,
    })
    .await
    .expect("add prod");

    // The canonical state: the whole instance, the test's workflow in it.
    let canonical = fingerprint(&api.get(id).await.expect("the workflow"));
    let started = ops
        .snapshot_create(SnapshotCreate {
            env: PROD.into(),
            message: Some("the e2e incident test's baseline".into()),
        })
        .await
        .expect("start the snapshot");
    let job = follow_job(&ops, ops.subscribe(), &started.job_id, |_| {})
        .await
        .expect("follow the snapshot");
    assert_eq!(job.state, JobState::Succeeded, "snapshot: {:?}", job.error);

    // By hand, in production: the workflow's only connection removed.
    let mut changed: Value = api.get(id).await.expect("the workflow");
    changed["connections"] = serde_json::json!({});
    api.put(id, &changed).await;
    assert_ne!(
        fingerprint(&api.get(id).await.expect("the workflow")),
        canonical
    );

    // The schedules, as the TUI runs them.
    let schedule_start = Instant::now();
    let drift = ops.spawn_drift_schedule_scaled(MINUTE);
    let sweeps = ops.spawn_incident_schedule();
    let notifier = ops.spawn_notifier();
    let aborts = [drift, sweeps, notifier];
    let result = AssertUnwindSafe(async {
        let incident = wait_for_incident(&ops, name, Duration::from_secs(120)).await;
        let waited = schedule_start.elapsed();
        eprintln!("incident #{} opened after {waited:?}", incident.id);
        assert_eq!(incident.severity, Severity::Critical, "{incident:?}");
        assert_eq!(incident.kind, IncidentKind::Drift);
        assert_eq!(incident.state, IncidentState::Open);
        // Within one interval: the first scheduled check raised it.
        let mut checks: Vec<_> = ops
            .jobs_list(JobQuery::default())
            .await
            .expect("jobs")
            .into_iter()
            .filter(|j| j.kind == "drift")
            .collect();
        checks.sort_by_key(|j| j.created_at);
        let first = checks.first().expect("a scheduled drift check ran");
        let first_done = first.finished_at.expect("the first check finished");
        assert!(
            incident.opened_at <= first_done,
            "the first scheduled check (finished {first_done}) opens the incident (opened {})",
            incident.opened_at
        );
        let all = ops
            .incidents_list(IncidentQuery {
                text: Some(name.to_owned()),
                ..IncidentQuery::default()
            })
            .await
            .expect("incidents");
        assert_eq!(all.len(), 1, "one incident for the workflow: {all:?}");

        let opened = receiver
            .wait_for(Duration::from_secs(30), |b| mentions(b, name))
            .await
            .expect("the receiver is notified of the incident");
        assert_eq!(opened.path, "/hook/T0KEN-secret");
        assert!(
            opened.body.to_string().to_lowercase().contains("critical"),
            "{}",
            opened.body
        );

        let acked = ops
            .incident_update(IncidentUpdate {
                id: incident.id,
                change: IncidentChange::Acknowledge {
                    note: Some("looking".into()),
                },
            })
            .await
            .expect("acknowledge");
        assert_eq!(acked.state, IncidentState::Acknowledged);
        assert_eq!(acked.acknowledged_by.as_deref(), Some("oncall"));

        let reverted = ops
            .incident_revert(incident.id, true)
            .await
            .expect("revert from the incident");
        let job_id = reverted.job_id.expect("a restore job");
        let job = follow_job(&ops, ops.subscribe(), &job_id, |_| {})
            .await
            .expect("follow the revert");
        assert_eq!(job.state, JobState::Succeeded, "revert: {:?}", job.error);
        assert_eq!(
            fingerprint(&api.get(id).await.expect("the workflow")),
            canonical,
            "the workflow is back to its canonical body on the instance"
        );

        let resolved = wait_for_state(&ops, incident.id, IncidentState::Resolved).await;
        assert_eq!(resolved.state, IncidentState::Resolved, "{resolved:?}");
        let notices = receiver.received();
        assert!(
            notices.len() >= 2
                && notices.iter().skip(1).any(|r| r
                    .body
                    .to_string()
                    .to_lowercase()
                    .contains("resolved")),
            "the receiver hears of the resolution: {notices:?}"
        );
        let detail = ops.incident_show(incident.id).await.expect("show");
        let kinds: Vec<&str> = detail.timeline.iter().map(|e| e.kind.as_str()).collect();
        for kind in ["opened", "acknowledged", "reverted"] {
            assert!(kinds.contains(&kind), "{kind} in the timeline: {kinds:?}");
        }
    })
    .catch_unwind()
    .await;
    for handle in aborts {
        handle.abort();
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn mentions(body: &Value, name: &str) -> bool {
    body.to_string().contains(name)
}

async fn wait_for_incident(ops: &LocalOps, name: &str, within: Duration) -> IncidentView {
    let deadline = Instant::now() + within;
    loop {
        let found = ops
            .incidents_list(IncidentQuery {
                text: Some(name.to_owned()),
                ..IncidentQuery::default()
            })
            .await
            .expect("list incidents");
        if let Some(i) = found.into_iter().next() {
            return i;
        }
        assert!(
            Instant::now() < deadline,
            "no incident for '{name}' within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn wait_for_state(ops: &LocalOps, id: i64, state: IncidentState) -> IncidentView {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view = ops.incident_show(id).await.expect("show").incident;
        if view.state == state || Instant::now() >= deadline {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A mark unique to this run.
fn run_mark() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or_default();
    format!("{:08x}", nanos ^ std::process::id().rotate_left(16))
}
