//! Incidents against simulated instances: raised by drift checks (one per workflow,
//! updated as the drift changes, auto-resolved when it goes), their lifecycle with who
//! and when, the SLA sweep with an injected clock, retention, remediation (revert,
//! accept, diff, fix promotion), the metrics, the policy, and failing-execution
//! thresholds.

use super::test_fixture::{Fixture, backup, drift_check, generated, sync};
use super::*;
use crate::config::{WebhookConfig, WebhookFormat};
use crate::domain::commit::CommitMessage;
use crate::domain::diff::Risk;
use crate::domain::drift::{Compared, DriftStatus};
use crate::domain::environment::EnvClass;
use crate::domain::incident::{EventKind, HOUR_MS, IncidentKind, IncidentState, Severity};
use crate::domain::job::JobState;
use crate::domain::writable::writable_body;
use crate::sim::{self, ExecutionStatus as SimStatus};
use crate::store::audit::Outcome;
use crate::store::environments::EnvRow;
use crate::store::incidents::{self as store, IncidentRow, NewIncident};
use crate::store::now_ms;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::cell::Cell;
use std::time::Duration;

const MIN_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Runs a drift check of `env` (fetched) to its end; its drift.
async fn check(ops: &LocalOps, env: &str) -> EnvDrift {
    let (job, report) = drift_check(ops, &[env], true).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    report
        .envs
        .into_iter()
        .next()
        .expect("the environment's drift")
}

/// A synced and recorded production environment of `n` generated workflows.
async fn production(seed: u64, n: usize) -> Fixture {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(seed, n))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    backup(&f.ops, "prod").await;
    f
}

fn has_credentials(w: &Value) -> bool {
    w["nodes"].as_array().into_iter().flatten().any(|n| {
        n.get("credentials")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty())
    })
}

/// The first workflow of `sim` that `accept` takes and `skip` does not hold.
fn pick(sim: &sim::SimHandle, skip: &[&str], accept: impl Fn(&Value) -> bool) -> (String, Value) {
    sim.workflow_ids()
        .into_iter()
        .filter(|id| !skip.contains(&id.as_str()))
        .find_map(|id| {
            let w = sim.workflow(&id)?;
            accept(&w).then_some((id, w))
        })
        .expect("a workflow to edit")
}

/// Points every credential of the workflow at another account (a HIGH risk change).
fn swap_credentials(body: &mut Value) {
    for node in body["nodes"].as_array_mut().unwrap() {
        if let Some(creds) = node.get_mut("credentials").and_then(Value::as_object_mut) {
            for reference in creds.values_mut() {
                *reference = json!({"id": "n8nops-other", "name": "Someone else's account"});
            }
        }
    }
}

/// Sets a parameter of the first node (a LOW or MEDIUM risk change).
fn probe(value: &str) -> impl FnOnce(&mut Value) + '_ {
    move |body: &mut Value| body["nodes"][0]["parameters"]["n8nopsProbe"] = json!(value)
}

async fn open_incidents(ops: &LocalOps) -> Vec<IncidentView> {
    ops.incidents_list(IncidentQuery::default()).await.unwrap()
}

async fn row(f: &Fixture, id: i64) -> IncidentRow {
    let mut conn = f.ops.store.conn().await.unwrap();
    store::get(&mut conn, id).await.unwrap()
}

/// The open incident of "prod" with this kind and key.
async fn by_key(f: &Fixture, kind: IncidentKind, key: &str) -> Option<i64> {
    let mut conn = f.ops.store.conn().await.unwrap();
    store::open_by_key(&mut conn, "prod", kind, key)
        .await
        .unwrap()
        .map(|r| r.id)
}

async fn timeline(ops: &LocalOps, id: i64) -> Vec<IncidentEventView> {
    ops.incident_show(id).await.unwrap().timeline
}

fn kinds(timeline: &[IncidentEventView]) -> Vec<EventKind> {
    timeline.iter().map(|e| e.kind).collect()
}

/// An open drift incident of `env` recorded directly, opened at `at` (ms).
async fn insert(f: &Fixture, env: &str, key: &str, severity: Severity, at: i64) -> i64 {
    let mut conn = f.ops.store.conn().await.unwrap();
    let new = NewIncident {
        env: env.into(),
        kind: IncidentKind::Drift,
        key: key.into(),
        canonical_id: Some(key.into()),
        n8n_id: Some(format!("id-{key}")),
        workflow: Some(format!("Workflow {key}")),
        severity,
        opened_at: at,
        opened_by: "n8nops".into(),
        drift_status: Some("DRIFTED".into()),
        risk: Some("MEDIUM".into()),
        fingerprint: Some("fp".into()),
        summary: None,
    };
    store::insert(&mut conn, &new).await.unwrap()
}

async fn update(
    ops: &LocalOps,
    id: i64,
    change: IncidentChange,
    at: i64,
) -> OpsResult<IncidentView> {
    ops.update_incident_at(IncidentUpdate { id, change }, at)
        .await
}

/// The ops of `f` with a webhook configured (the notifications then have a target).
fn with_webhook(f: &Fixture) -> LocalOps {
    let mut ops = f.ops.clone();
    ops.settings.incidents.webhooks = vec![WebhookConfig {
        name: "on-call".into(),
        // Nothing listens there: deliveries are enqueued and fail to send.
        url: "http://127.0.0.1:9/hook".into(),
        format: WebhookFormat::Json,
    }];
    ops
}

/// Incident events seen on `events` until none came for a while.
async fn incident_events(events: &mut EventStream) -> Vec<EventBody> {
    let mut seen = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), events.next()).await
    {
        if matches!(event.body, EventBody::Incident { .. }) {
            assert!(event.job_id.starts_with("incident-"), "{}", event.job_id);
            seen.push(event.body);
        }
    }
    seen
}

#[tokio::test]
async fn a_hand_change_in_production_opens_one_critical_incident_updated_then_auto_resolved() {
    let f = production(71, 12).await;
    let sim = f.sim("prod");
    let (id, original) = pick(sim, &[], has_credentials);
    let name = original["name"].as_str().unwrap().to_owned();
    let mut events = f.ops.subscribe();
    sim.edit_workflow(&id, swap_credentials).unwrap();

    let drift = check(&f.ops, "prod").await;
    let item = &drift.items[0];
    assert_eq!((item.status, drift.items.len()), (DriftStatus::Drifted, 1));
    let open = open_incidents(&f.ops).await;
    assert_eq!(open.len(), 1, "{open:#?}");
    let incident = &open[0];
    assert_eq!(incident.severity, Severity::Critical);
    assert_eq!(incident.kind, IncidentKind::Drift);
    assert_eq!(incident.state, IncidentState::Open);
    assert_eq!(incident.workflow.as_deref(), Some(name.as_str()));
    assert_eq!(incident.drift_status, Some(DriftStatus::Drifted));
    assert_eq!(incident.risk, Some(Risk::High));
    assert_eq!(incident.summary, item.summary);
    assert_eq!(incident.canonical_id, item.canonical_id);
    // Keyed by its canonical id.
    let mut conn = f.ops.store.conn().await.unwrap();
    let key = item.canonical_id.clone().unwrap();
    let stored = store::open_by_key(&mut conn, "prod", IncidentKind::Drift, &key)
        .await
        .unwrap()
        .expect("keyed by the canonical id");
    drop(conn);
    assert_eq!(stored.id, incident.id);
    assert_eq!(stored.opened_by, "n8nops");
    // 24 h to resolve a critical incident.
    assert_eq!(
        incident.sla_deadline - incident.opened_at,
        chrono::Duration::hours(24)
    );
    let opened = incident_events(&mut events).await;
    assert!(
        opened.contains(&EventBody::Incident {
            id: incident.id,
            env: "prod".into(),
            workflow: Some(name.clone()),
            severity: Severity::Critical,
            state: IncidentState::Open,
            change: EventKind::Opened,
        }),
        "{opened:?}"
    );
    let first = timeline(&f.ops, incident.id).await;
    assert_eq!(kinds(&first), [EventKind::Opened]);
    assert_eq!(first[0].summary, item.summary);
    assert_eq!(first[0].actor, "n8nops");

    // The same drift again: nothing new.
    check(&f.ops, "prod").await;
    let again = open_incidents(&f.ops).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, incident.id);
    assert_eq!(timeline(&f.ops, incident.id).await.len(), 1);

    // A further change: the same incident, changed, with the new summary.
    sim.edit_workflow(&id, probe("and more by hand")).unwrap();
    let drift = check(&f.ops, "prod").await;
    let open = open_incidents(&f.ops).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, incident.id);
    assert_eq!(open[0].summary, drift.items[0].summary);
    let changed = timeline(&f.ops, incident.id).await;
    assert_eq!(kinds(&changed), [EventKind::Opened, EventKind::Changed]);
    let summary = changed[1].summary.clone().expect("the new summary");
    assert!(
        summary.lines.iter().any(|l| l.contains("n8nopsProbe")),
        "{summary:?}"
    );
    assert_eq!(open[0].severity, Severity::Critical);

    // Fixed by hand: resolved by n8nops, saying why.
    sim.edit_workflow(&id, |body| {
        body["nodes"] = original["nodes"].clone();
    })
    .unwrap();
    let drift = check(&f.ops, "prod").await;
    assert!(drift.items.is_empty(), "{:?}", drift.items);
    assert!(open_incidents(&f.ops).await.is_empty());
    let detail = f.ops.incident_show(incident.id).await.unwrap();
    let resolved = &detail.incident;
    assert_eq!(resolved.state, IncidentState::Resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some("n8nops"));
    let resolution = resolved.resolution.as_deref().unwrap();
    assert!(
        resolution.contains("the drift went away") && resolution.contains(&name),
        "{resolution}"
    );
    assert_eq!(
        kinds(&detail.timeline).last(),
        Some(&EventKind::AutoResolved)
    );
    let all = f
        .ops
        .incidents_list(IncidentQuery {
            all: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn missing_and_untracked_workflows_get_incidents_of_their_own() {
    let f = production(72, 8).await;
    let sim = f.sim("prod");
    let (gone, deleted) = pick(sim, &[], |_| true);
    let mut body = writable_body(&sim.workflow(&sim.workflow_ids()[1]).unwrap());
    assert!(sim.delete_workflow(&gone));
    body["name"] = json!("Made by hand");
    let made = sim.create_workflow(&body).unwrap();

    let drift = check(&f.ops, "prod").await;
    assert_eq!((drift.counts.missing, drift.counts.untracked), (1, 1));
    let open = open_incidents(&f.ops).await;
    assert_eq!(open.len(), 2, "{open:#?}");
    // Worst first: MISSING counts as HIGH risk (critical in production), UNTRACKED as
    // MEDIUM (high).
    let missing = &open[0];
    assert_eq!(missing.drift_status, Some(DriftStatus::Missing));
    assert_eq!(missing.severity, Severity::Critical);
    assert_eq!(missing.workflow.as_deref(), deleted["name"].as_str());
    assert_eq!(missing.n8n_id.as_deref(), Some(gone.as_str()));
    let untracked = &open[1];
    assert_eq!(untracked.drift_status, Some(DriftStatus::Untracked));
    assert_eq!(untracked.severity, Severity::High);
    assert_eq!(untracked.workflow.as_deref(), Some("Made by hand"));
    assert!(untracked.canonical_id.is_none());

    let key = missing.canonical_id.clone().unwrap();
    assert_eq!(
        by_key(&f, IncidentKind::Drift, &key).await,
        Some(missing.id)
    );
    assert_eq!(
        by_key(&f, IncidentKind::Drift, &format!("n8n:{made}")).await,
        Some(untracked.id)
    );
    let said = |id: i64| {
        let ops = f.ops.clone();
        async move { timeline(&ops, id).await[0].summary.clone().unwrap().lines }
    };
    assert!(said(missing.id).await[0].contains("is gone from 'prod'"));
    assert!(said(untracked.id).await[0].contains("not in the canonical state"));

    // An environment that cannot be reached is UNKNOWN: its incidents stay as they are.
    sim.set_faults(sim::Fault::status(500));
    let unknown = check(&f.ops, "prod").await;
    assert!(unknown.error.is_some());
    let still: Vec<i64> = open_incidents(&f.ops).await.iter().map(|i| i.id).collect();
    assert_eq!(still, [missing.id, untracked.id]);
    assert_eq!(timeline(&f.ops, missing.id).await.len(), 1);
}

#[tokio::test]
async fn people_acknowledge_note_assign_set_the_severity_and_resolve_with_who_and_when() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(73, 2))
        .build()
        .await;
    let t0 = now_ms() - DAY_MS;
    let id = insert(&f, "prod", "orders", Severity::High, t0).await;

    let missing = update(&f.ops, 999, IncidentChange::Note { text: "x".into() }, t0)
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    assert_eq!(missing.message, "no incident #999");

    let acked = update(
        &f.ops,
        id,
        IncidentChange::Acknowledge {
            note: Some("looking".into()),
        },
        t0 + MIN_MS,
    )
    .await
    .unwrap();
    assert_eq!(acked.state, IncidentState::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("tester"));
    assert_eq!(acked.acknowledged_at, Some(time_from_ms(t0 + MIN_MS)));
    let twice = update(
        &f.ops,
        id,
        IncidentChange::Acknowledge { note: None },
        t0 + 2 * MIN_MS,
    )
    .await
    .unwrap_err();
    assert_eq!(twice.kind, ErrorKind::Conflict);
    assert!(
        twice.message.contains("already acknowledged by tester"),
        "{}",
        twice.message
    );

    let note = "first line\nsecond line";
    update(
        &f.ops,
        id,
        IncidentChange::Note { text: note.into() },
        t0 + 3 * MIN_MS,
    )
    .await
    .unwrap();
    let assigned = update(
        &f.ops,
        id,
        IncidentChange::Assign {
            user: Some("alice".into()),
        },
        t0 + 4 * MIN_MS,
    )
    .await
    .unwrap();
    assert_eq!(assigned.assignee.as_deref(), Some("alice"));
    let raised = update(
        &f.ops,
        id,
        IncidentChange::Severity {
            severity: Severity::Critical,
        },
        t0 + 5 * MIN_MS,
    )
    .await
    .unwrap();
    assert_eq!(raised.severity, Severity::Critical);
    assert!(raised.severity_manual);
    // The SLA starts again at the new level.
    assert_eq!(
        raised.sla_deadline,
        time_from_ms(t0 + 5 * MIN_MS + 24 * HOUR_MS)
    );
    let stored = row(&f, id).await;
    assert_eq!(stored.last_activity_at, t0 + 5 * MIN_MS);

    let unnoted = update(
        &f.ops,
        id,
        IncidentChange::Resolve { note: "  ".into() },
        t0 + 6 * MIN_MS,
    )
    .await
    .unwrap_err();
    assert_eq!(unnoted.kind, ErrorKind::Invalid);
    assert!(
        unnoted.message.contains("needs a note"),
        "{}",
        unnoted.message
    );
    assert!(
        unnoted.message.contains(&format!("#{id}")),
        "{}",
        unnoted.message
    );
    assert_eq!(row(&f, id).await.state, IncidentState::Acknowledged);

    let resolved = update(
        &f.ops,
        id,
        IncidentChange::Resolve {
            note: "reverted by hand".into(),
        },
        t0 + 7 * MIN_MS,
    )
    .await
    .unwrap();
    assert_eq!(resolved.state, IncidentState::Resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some("tester"));
    assert_eq!(resolved.resolved_at, Some(time_from_ms(t0 + 7 * MIN_MS)));
    assert_eq!(resolved.resolution.as_deref(), Some("reverted by hand"));
    assert_eq!(row(&f, id).await.first_acknowledged_at, Some(t0 + MIN_MS));

    // Resolved: only notes.
    let refused = update(
        &f.ops,
        id,
        IncidentChange::Assign { user: None },
        t0 + 8 * MIN_MS,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);
    assert!(
        refused.message.contains(&format!("incident #{id}"))
            && refused.message.contains("resolved"),
        "{}",
        refused.message
    );
    update(
        &f.ops,
        id,
        IncidentChange::Note {
            text: "postmortem: done".into(),
        },
        t0 + 9 * MIN_MS,
    )
    .await
    .unwrap();

    let detail = f.ops.incident_show(id).await.unwrap();
    let entries: Vec<(EventKind, &str, Option<&str>, i64)> = detail
        .timeline
        .iter()
        .map(|e| {
            (
                e.kind,
                e.actor.as_str(),
                e.text.as_deref(),
                e.at.timestamp_millis(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                EventKind::Acknowledged,
                "tester",
                Some("looking"),
                t0 + MIN_MS
            ),
            (EventKind::Note, "tester", Some(note), t0 + 3 * MIN_MS),
            (
                EventKind::Assigned,
                "tester",
                Some("assigned to alice"),
                t0 + 4 * MIN_MS
            ),
            (
                EventKind::SeverityChanged,
                "tester",
                Some("severity set to critical (was high)"),
                t0 + 5 * MIN_MS
            ),
            (
                EventKind::Resolved,
                "tester",
                Some("reverted by hand"),
                t0 + 7 * MIN_MS
            ),
            (
                EventKind::Note,
                "tester",
                Some("postmortem: done"),
                t0 + 9 * MIN_MS
            ),
        ]
    );

    let audit = f
        .ops
        .audit_list(AuditQuery {
            env: None,
            limit: Some(100),
        })
        .await
        .unwrap();
    let rows: Vec<(&str, Outcome)> = audit
        .iter()
        .rev()
        .filter(|a| a.action.starts_with("incident."))
        .map(|a| (a.action.as_str(), a.outcome))
        .collect();
    assert_eq!(
        rows,
        [
            ("incident.note", Outcome::Error),
            ("incident.ack", Outcome::Ok),
            ("incident.ack", Outcome::Error),
            ("incident.note", Outcome::Ok),
            ("incident.assign", Outcome::Ok),
            ("incident.severity", Outcome::Ok),
            ("incident.resolve", Outcome::Error),
            ("incident.resolve", Outcome::Ok),
            ("incident.assign", Outcome::Error),
            ("incident.note", Outcome::Ok),
        ]
    );
    let ack = audit
        .iter()
        .find(|a| a.action == "incident.ack" && a.outcome == Outcome::Ok)
        .unwrap();
    assert_eq!(ack.actor, "tester");
    assert_eq!(ack.env.as_deref(), Some("prod"));
    let detail = ack.detail.as_deref().unwrap();
    assert!(
        detail.contains(&format!("incident #{id}")) && detail.contains("Workflow orders"),
        "{detail}"
    );
}

#[tokio::test]
async fn past_its_ttl_an_incident_escalates_one_level_per_sweep_and_notifies() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(74, 2))
        .build()
        .await;
    let ops = with_webhook(&f);
    let t0 = now_ms() - 10 * DAY_MS;
    let id = insert(&f, "prod", "orders", Severity::High, t0).await;
    let high_ttl = 48 * HOUR_MS;

    let early = ops.sweep_at(t0 + high_ttl - 1).await.unwrap();
    assert_eq!((early.escalated, early.reopened), (0, 0));
    assert_eq!(row(&f, id).await.severity, Severity::High);

    let mut events = ops.subscribe();
    let swept = ops.sweep_at(t0 + high_ttl).await.unwrap();
    assert_eq!(swept.escalated, 1);
    let up = row(&f, id).await;
    assert_eq!(up.severity, Severity::Critical);
    assert_eq!(up.escalations, 1);
    assert_eq!(up.breached_at, Some(t0 + high_ttl));
    assert_eq!(up.sla_started_at, t0 + high_ttl);
    let seen = incident_events(&mut events).await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            EventBody::Incident {
                change: EventKind::Escalated,
                severity: Severity::Critical,
                ..
            }
        )),
        "{seen:?}"
    );
    let detail = ops.incident_show(id).await.unwrap();
    assert!(detail.incident.breached);
    let last = detail.timeline.last().unwrap();
    assert_eq!(last.kind, EventKind::Escalated);
    assert_eq!(
        last.text.as_deref(),
        Some("SLA breached after 48 h: escalated from high to critical")
    );
    let escalated: Vec<&DeliveryView> = detail
        .deliveries
        .iter()
        .filter(|d| d.event == "escalated")
        .collect();
    assert_eq!(escalated.len(), 1, "{:?}", detail.deliveries);
    assert_eq!(escalated[0].target, "on-call");

    // The TTL started again at critical: one level per sweep, never two at once.
    let after = ops.sweep_at(t0 + high_ttl + 1).await.unwrap();
    assert_eq!(after.escalated, 0);
    let again = ops.sweep_at(t0 + high_ttl + 24 * HOUR_MS).await.unwrap();
    assert_eq!(again.escalated, 1);
    let top = row(&f, id).await;
    assert_eq!((top.severity, top.escalations), (Severity::Critical, 2));
    assert_eq!(
        top.breached_at,
        Some(t0 + high_ttl),
        "the first breach is kept"
    );
    let detail = ops.incident_show(id).await.unwrap();
    assert_eq!(
        detail.timeline.last().unwrap().text.as_deref(),
        Some("SLA breached after 24 h at critical")
    );
    assert!(
        detail.deliveries.iter().any(|d| d.event == "breached"),
        "{:?}",
        detail.deliveries
    );
}

#[tokio::test]
async fn an_acknowledgement_left_alone_times_out_and_the_incident_reopens() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(75, 2))
        .build()
        .await;
    let t0 = now_ms() - 10 * DAY_MS;
    let id = insert(&f, "prod", "orders", Severity::High, t0).await;
    let acked_at = t0 + MIN_MS;
    update(
        &f.ops,
        id,
        IncidentChange::Acknowledge { note: None },
        acked_at,
    )
    .await
    .unwrap();
    let timeout = 240 * MIN_MS;
    let early = f.ops.sweep_at(acked_at + timeout - 1).await.unwrap();
    assert_eq!(early.reopened, 0);
    let swept = f.ops.sweep_at(acked_at + timeout).await.unwrap();
    assert_eq!((swept.reopened, swept.escalated), (1, 0));
    let reopened = row(&f, id).await;
    assert_eq!(reopened.state, IncidentState::Open);
    assert_eq!(reopened.acknowledged_by, None);
    assert_eq!(reopened.first_acknowledged_at, Some(acked_at));
    let last = timeline(&f.ops, id).await.pop().unwrap();
    assert_eq!(last.kind, EventKind::Reopened);
    assert!(
        last.text
            .as_deref()
            .unwrap()
            .starts_with("acknowledgement timed out after 240 min"),
        "{:?}",
        last.text
    );
}

#[tokio::test]
async fn retention_purges_old_resolved_incidents_only() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(76, 2))
        .build()
        .await;
    let t0 = now_ms() - 200 * DAY_MS;
    let old = insert(&f, "prod", "old", Severity::Low, t0).await;
    let recent = insert(&f, "prod", "recent", Severity::Low, t0).await;
    let open = insert(&f, "prod", "open", Severity::Low, t0).await;
    let resolve = |id: i64, at: i64| {
        update(
            &f.ops,
            id,
            IncidentChange::Resolve {
                note: "done".into(),
            },
            at,
        )
    };
    resolve(old, t0 + HOUR_MS).await.unwrap();
    resolve(recent, t0 + 100 * DAY_MS).await.unwrap();
    let now = t0 + 91 * DAY_MS + HOUR_MS + 1;
    let swept = f.ops.sweep_at(now).await.unwrap();
    assert_eq!(swept.purged_incidents, 1);
    let gone = f.ops.incident_show(old).await.unwrap_err();
    assert_eq!(gone.kind, ErrorKind::NotFound);
    assert!(f.ops.incident_show(recent).await.is_ok());
    assert!(f.ops.incident_show(open).await.is_ok());
}

#[tokio::test]
async fn reverting_from_the_incident_restores_the_canonical_workflow_and_resolves_it() {
    let f = production(77, 6).await;
    let sim = f.sim("prod");
    let (id, _) = pick(sim, &[], |_| true);
    sim.edit_workflow(&id, probe("edited by hand")).unwrap();
    let mut body = writable_body(&sim.workflow(&id).unwrap());
    body["name"] = json!("Made by hand");
    sim.create_workflow(&body).unwrap();
    let before = check(&f.ops, "prod").await;
    let canonical = before
        .items
        .iter()
        .find(|i| i.n8n_id.as_deref() == Some(id.as_str()))
        .and_then(|i| i.expected.clone())
        .expect("the canonical fingerprint");
    let open = open_incidents(&f.ops).await;
    let drifted = open
        .iter()
        .find(|i| i.drift_status == Some(DriftStatus::Drifted))
        .unwrap();
    let untracked = open
        .iter()
        .find(|i| i.drift_status == Some(DriftStatus::Untracked))
        .unwrap();

    let refused = f.ops.incident_revert(untracked.id, true).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Invalid);
    assert!(
        refused.message.contains("accept it instead, or delete it"),
        "{}",
        refused.message
    );
    let unconfirmed = f.ops.incident_revert(drifted.id, false).await.unwrap_err();
    assert!(
        unconfirmed.message.contains("needs confirmation"),
        "{}",
        unconfirmed.message
    );
    let snapshots_before = f
        .ops
        .snapshot_list(Some("prod".into()))
        .await
        .unwrap()
        .len();

    let events = f.ops.subscribe();
    let started = f.ops.incident_revert(drifted.id, true).await.unwrap();
    let job_id = started.job_id.clone().expect("a restore job");
    let job = follow_job(&f.ops, events, &job_id, |_| {}).await.unwrap();
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let report: RestoreReport = serde_json::from_value(job.result.unwrap()).unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.replaced.is_some(), "a snapshot was taken first");
    assert_eq!(
        f.ops
            .snapshot_list(Some("prod".into()))
            .await
            .unwrap()
            .len(),
        snapshots_before + 1
    );
    // Back to canonical on the instance: the probe is gone, and fetched again its
    // fingerprint is the canonical one.
    assert!(
        sim.workflow(&id).unwrap()["nodes"][0]["parameters"]
            .get("n8nopsProbe")
            .is_none()
    );
    let drift = check(&f.ops, "prod").await;
    assert_eq!(drift.counts.drifted, 0, "{:?}", drift.items);
    let stored = {
        let mut conn = f.ops.store.conn().await.unwrap();
        let env = crate::store::environments::get(&mut conn, "prod")
            .await
            .unwrap();
        crate::store::workflows::stored_one(&mut conn, env.id, &id)
            .await
            .unwrap()
            .expect("still there")
    };
    assert_eq!(stored.fingerprint, canonical);

    let detail = f.ops.incident_show(drifted.id).await.unwrap();
    assert_eq!(detail.incident.state, IncidentState::Resolved);
    assert_eq!(detail.incident.resolved_by.as_deref(), Some("tester"));
    assert_eq!(
        detail.incident.resolution.as_deref(),
        Some(format!("reverted to canonical by tester, restore job {job_id}").as_str())
    );
    let reverted = detail
        .timeline
        .iter()
        .find(|e| e.kind == EventKind::Reverted)
        .expect("a reverted entry");
    assert_eq!(reverted.reference.as_deref(), Some(job_id.as_str()));
    let audit = f.ops.audit_list(AuditQuery::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "incident.revert" && a.outcome == Outcome::Ok)
    );
    // The restore it ran is audited as a restore too.
    let restore = audit
        .iter()
        .find(|a| a.action == "restore")
        .expect("the restore's audit entry");
    assert_eq!(restore.outcome, Outcome::Ok);
    assert_eq!(restore.env.as_deref(), Some("prod"));
    let said = restore.detail.as_deref().unwrap_or_default();
    assert!(
        said.contains(&format!(
            "job {job_id} (revert of incident #{})",
            drifted.id
        )) && said.contains("1 updated")
            && said.contains("0 failed"),
        "{said}"
    );
}

#[tokio::test]
async fn accepting_records_the_live_change_with_who_accepted_it() {
    let f = production(78, 6).await;
    let sim = f.sim("prod");
    let (first, _) = pick(sim, &[], |_| true);
    let (second, _) = pick(sim, &[&first], |_| true);
    sim.edit_workflow(&first, probe("keep this")).unwrap();
    sim.edit_workflow(&second, probe("look at this")).unwrap();
    check(&f.ops, "prod").await;
    let open = open_incidents(&f.ops).await;
    let incident = |n8n: &str| {
        open.iter()
            .find(|i| i.n8n_id.as_deref() == Some(n8n))
            .unwrap()
            .id
    };
    let (kept, moved) = (incident(&first), incident(&second));

    let accepted = f.ops.incident_accept(kept).await.unwrap();
    let commit = accepted.commit.clone().expect("a commit");
    assert_eq!(accepted.incident.state, IncidentState::Resolved);
    assert_eq!(accepted.incident.resolved_by.as_deref(), Some("tester"));
    let message = f
        .ops
        .with_git({
            let commit = commit.clone();
            move |git| Ok(git.resolve(&commit)?.message)
        })
        .await
        .unwrap();
    let parsed = CommitMessage::parse(&message);
    assert_eq!(parsed.get("Incident"), Some(kept.to_string().as_str()));
    assert_eq!(parsed.get("Accepted-By"), Some("tester"));
    assert!(
        parsed.why.contains(&format!("(incident #{kept})")),
        "{message}"
    );
    let accepted_entry = timeline(&f.ops, kept).await.pop().unwrap();
    assert_eq!(accepted_entry.kind, EventKind::Accepted);
    assert_eq!(accepted_entry.reference.as_deref(), Some(commit.as_str()));

    // Changed again since the check: refused, still open.
    sim.edit_workflow(&second, probe("and again")).unwrap();
    let refused = f.ops.incident_accept(moved).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);
    assert!(
        refused.message.contains("see the diff again"),
        "{}",
        refused.message
    );
    assert_eq!(row(&f, moved).await.state, IncidentState::Open);

    // The accepted change is the canonical state now.
    let drift = check(&f.ops, "prod").await;
    assert_eq!(drift.counts.drifted, 1);
    assert_eq!(drift.items[0].n8n_id.as_deref(), Some(second.as_str()));
    let audit = f.ops.audit_list(AuditQuery::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "incident.accept" && a.outcome == Outcome::Ok)
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "incident.accept" && a.outcome == Outcome::Error)
    );
}

#[tokio::test]
async fn the_diff_of_an_incident_is_canonical_against_live() {
    let f = production(79, 5).await;
    let sim = f.sim("prod");
    let (edited, _) = pick(sim, &[], |_| true);
    let (gone, deleted) = pick(sim, &[&edited], |_| true);
    sim.edit_workflow(&edited, probe("edited by hand")).unwrap();
    assert!(sim.delete_workflow(&gone));
    check(&f.ops, "prod").await;
    let open = open_incidents(&f.ops).await;
    let of = |status: DriftStatus| {
        open.iter()
            .find(|i| i.drift_status == Some(status))
            .unwrap()
            .id
    };

    let DiffRequest::Documents { a, b, text } =
        f.ops.incident_diff(of(DriftStatus::Drifted)).await.unwrap()
    else {
        panic!("two documents");
    };
    assert!(text);
    assert!(a.label.starts_with("canonical "), "{}", a.label);
    assert_eq!(b.label, "prod (live)");
    assert!(
        a.workflow["nodes"][0]["parameters"]
            .get("n8nopsProbe")
            .is_none()
    );
    assert_eq!(
        b.workflow["nodes"][0]["parameters"]["n8nopsProbe"],
        "edited by hand"
    );
    let report = f
        .ops
        .diff(DiffRequest::Documents { a, b, text: true })
        .await
        .unwrap();
    assert!(report.differs());

    let DiffRequest::Documents { a, b, .. } =
        f.ops.incident_diff(of(DriftStatus::Missing)).await.unwrap()
    else {
        panic!("two documents");
    };
    assert_eq!(a.workflow["name"], deleted["name"]);
    assert!(!a.workflow["nodes"].as_array().unwrap().is_empty());
    assert_eq!(
        b.workflow,
        json!({"name": deleted["name"], "nodes": [], "connections": {}})
    );
}

#[tokio::test]
async fn a_fix_is_promoted_from_the_stage_that_leads_into_the_environment() {
    let f = Fixture::builder()
        .env("stage", EnvClass::Staging, generated(80, 2))
        .env("prod", EnvClass::Production, generated(81, 2))
        .build()
        .await;
    let mut ops = f.ops.clone();
    ops.settings.pipelines = vec![
        serde_json::from_value(
            json!({"name": "main", "stages": [{"from": "stage", "to": "prod"}]}),
        )
        .unwrap(),
    ];
    let id = insert(&f, "prod", "orders", Severity::High, now_ms()).await;
    let fix = ops.incident_fix_promotion(id).await.unwrap();
    assert_eq!(
        fix,
        FixPromotion {
            pipeline: Some("main".into()),
            from: Some("stage".into()),
            to: "prod".into(),
            workflows: vec!["Workflow orders".into()],
        }
    );
    let other = insert(&f, "stage", "orders", Severity::High, now_ms()).await;
    let none = ops.incident_fix_promotion(other).await.unwrap();
    assert_eq!((none.pipeline, none.from), (None, None));
}

#[tokio::test]
async fn metrics_give_the_time_to_acknowledge_and_to_resolve_over_a_period() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(82, 2))
        .env("stage", EnvClass::Staging, generated(83, 2))
        .build()
        .await;
    let t0 = now_ms() - 5 * DAY_MS;
    let a = insert(&f, "prod", "a", Severity::Critical, t0).await;
    let b = insert(&f, "prod", "b", Severity::Critical, t0 + HOUR_MS).await;
    let c = insert(&f, "stage", "c", Severity::Critical, t0 + 2 * HOUR_MS).await;
    let outside = insert(&f, "prod", "old", Severity::Critical, t0 - 40 * DAY_MS).await;
    let ack = |id, at| update(&f.ops, id, IncidentChange::Acknowledge { note: None }, at);
    let resolve = |id, at| {
        update(
            &f.ops,
            id,
            IncidentChange::Resolve {
                note: "done".into(),
            },
            at,
        )
    };
    ack(a, t0 + 10 * MIN_MS).await.unwrap();
    resolve(a, t0 + 60 * MIN_MS).await.unwrap();
    ack(b, t0 + HOUR_MS + 30 * MIN_MS).await.unwrap();
    resolve(b, t0 + 4 * HOUR_MS).await.unwrap();
    ack(c, t0 + 2 * HOUR_MS + 20 * MIN_MS).await.unwrap();
    resolve(outside, t0).await.unwrap();

    let stats = f
        .ops
        .stats_at(&IncidentStatsQuery::default(), now_ms())
        .await
        .unwrap();
    assert_eq!(
        stats.to.timestamp_millis() - stats.from.timestamp_millis(),
        30 * DAY_MS
    );
    let prod = stats.rows.iter().find(|r| r.env == "prod").unwrap();
    assert_eq!(
        (prod.severity, prod.opened, prod.resolved),
        (Severity::Critical, 2, 2)
    );
    let mtta = prod.mtta.unwrap();
    assert_eq!((mtta.count, mtta.mean_ms), (2, 20 * MIN_MS));
    let mttr = prod.mttr.unwrap();
    assert_eq!(mttr.mean_ms, (60 * MIN_MS + 3 * HOUR_MS) / 2);
    assert_eq!(mttr.p90_ms, 3 * HOUR_MS);
    let total = &stats.totals[0];
    assert_eq!(
        (total.env.as_str(), total.opened, total.resolved),
        ("all", 3, 2)
    );
    assert_eq!(total.mtta.unwrap().count, 3);

    let only_stage = f
        .ops
        .incidents_stats(IncidentStatsQuery {
            env: Some("stage".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(only_stage.rows.len(), 1);
    assert_eq!(only_stage.rows[0].mttr, None);
    let empty = f
        .ops
        .incidents_stats(IncidentStatsQuery {
            from: Some(time_from_ms(t0)),
            to: Some(time_from_ms(t0)),
            env: None,
        })
        .await
        .unwrap_err();
    assert_eq!(empty.kind, ErrorKind::Invalid);
}

#[tokio::test]
async fn the_policy_is_the_configs_until_an_admin_edits_it() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(84, 2))
        .build()
        .await;
    let view = f.ops.incident_policy().await.unwrap();
    assert_eq!(view.source, "config");
    assert!(view.editable, "no admins: anyone may edit");
    assert_eq!(view.policy, f.ops.settings.incidents.policy);

    let mut outsider = f.ops.clone();
    outsider.settings.incidents.admins = vec!["boss".into()];
    assert!(!outsider.incident_policy().await.unwrap().editable);
    let refused = outsider
        .incident_policy_put(Some("retention_days = 7\n".into()))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Forbidden);
    assert!(refused.message.contains("'tester'"), "{}", refused.message);

    let mut admin = f.ops.clone();
    admin.settings.incidents.admins = vec!["boss".into(), "tester".into()];
    let bad = admin
        .incident_policy_put(Some(
            "retention_days = 7\ndrift_history_days = \"often\"\n".into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.kind, ErrorKind::Invalid);
    assert!(bad.message.contains("line 2"), "{}", bad.message);

    let text = "retention_days = 7\n\n[production]\nack_timeout_mins = 30\n";
    let stored = admin.incident_policy_put(Some(text.into())).await.unwrap();
    assert_eq!(stored.source, "store");
    assert_eq!(stored.toml, text);
    assert_eq!(stored.updated_by.as_deref(), Some("tester"));
    assert_eq!(stored.policy.retention_days, 7);
    assert_eq!(stored.policy.production.ack_timeout_mins, 30);
    assert_eq!(f.ops.incident_policy().await.unwrap().policy, stored.policy);

    let cleared = admin.incident_policy_put(None).await.unwrap();
    assert_eq!(cleared.source, "config");
    let audit = f.ops.audit_list(AuditQuery::default()).await.unwrap();
    let policy: Vec<Outcome> = audit
        .iter()
        .rev()
        .filter(|a| a.action == "incident.policy")
        .map(|a| a.outcome)
        .collect();
    assert_eq!(
        policy,
        [Outcome::Error, Outcome::Error, Outcome::Ok, Outcome::Ok]
    );
}

#[tokio::test]
async fn failing_executions_past_a_threshold_open_an_incident_that_resolves_below_it() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(85, 4))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    let mut ops = f.ops.clone();
    ops.settings.incidents.policy.executions.per_workflow = 3;
    ops.settings.incidents.policy.executions.per_environment = 5;
    ops.settings.incidents.policy.executions.window_mins = 60;
    let sim = f.sim("prod");
    let ids = sim.workflow_ids();
    for _ in 0..3 {
        sim.add_execution(&ids[0], SimStatus::Error).unwrap();
    }
    for _ in 0..2 {
        sim.add_execution(&ids[1], SimStatus::Error).unwrap();
    }
    sim.add_execution(&ids[2], SimStatus::Success).unwrap();

    let now = now_ms();
    let swept = ops.sweep_at(now).await.unwrap();
    assert_eq!((swept.failures_opened, swept.failures_resolved), (2, 0));
    let open = open_incidents(&ops).await;
    assert_eq!(open.len(), 2, "{open:#?}");
    assert!(
        open.iter()
            .all(|i| i.kind == IncidentKind::Executions && i.severity == Severity::High)
    );
    let name = sim.workflow(&ids[0]).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = open.iter().find(|i| i.workflow.is_some()).unwrap();
    assert_eq!(one.workflow.as_deref(), Some(name.as_str()));
    assert_eq!(one.n8n_id.as_deref(), Some(ids[0].as_str()));
    assert!(
        one.failures
            .as_deref()
            .unwrap()
            .starts_with("3 failed executions"),
        "{:?}",
        one.failures
    );
    let whole = open.iter().find(|i| i.workflow.is_none()).unwrap();
    assert!(
        whole
            .failures
            .as_deref()
            .unwrap()
            .starts_with("5 failed executions in 'prod'")
    );
    for key in [format!("n8n:{}", ids[0]), "*".to_owned()] {
        assert!(
            by_key(&f, IncidentKind::Executions, &key).await.is_some(),
            "{key}"
        );
    }

    // The same failures again: nothing new.
    let again = ops.sweep_at(now + MIN_MS).await.unwrap();
    assert_eq!((again.failures_opened, again.failures_resolved), (0, 0));

    assert!(again.failures.is_empty(), "{:?}", again.failures);

    // An hour later they are out of the window: resolved by n8nops, also when
    // another process changed the first one meanwhile (the environment is done again).
    let later = super::incidents::CONFLICTS
        .scope(Cell::new(1), ops.sweep_at(now + 61 * MIN_MS))
        .await
        .unwrap();
    assert_eq!(later.failures_resolved, 2);
    assert!(later.failures.is_empty(), "{:?}", later.failures);
    assert!(open_incidents(&ops).await.is_empty());
    let detail = ops.incident_show(one.id).await.unwrap();
    assert_eq!(detail.incident.resolved_by.as_deref(), Some("n8nops"));
    assert_eq!(
        detail.timeline.last().unwrap().kind,
        EventKind::AutoResolved
    );

    // An environment that cannot be reached is skipped.
    sim.set_faults(sim::Fault::status(500));
    for _ in 0..3 {
        sim.add_execution(&ids[0], SimStatus::Error).unwrap();
    }
    let skipped = ops.sweep_at(now_ms()).await.unwrap();
    assert_eq!((skipped.failures_opened, skipped.failures_resolved), (0, 0));
    assert_eq!(skipped.failures.len(), 1, "{:?}", skipped.failures);
    assert!(
        skipped.failures[0].contains("failing executions not checked in 'prod'"),
        "{:?}",
        skipped.failures
    );
}

#[tokio::test]
async fn the_schedule_sweeps_on_its_own_and_not_when_read_only() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(86, 2))
        .build()
        .await;
    let id = insert(
        &f,
        "prod",
        "orders",
        Severity::Critical,
        now_ms() - 30 * HOUR_MS,
    )
    .await;
    let mut readonly = f.ops.clone();
    readonly.settings.readonly = true;
    let ended = tokio::time::timeout(
        Duration::from_secs(5),
        readonly.run_incident_schedule(Duration::from_millis(10)),
    )
    .await;
    assert!(ended.is_ok(), "a read-only schedule returns at once");
    assert_eq!(row(&f, id).await.escalations, 0);

    let schedule = tokio::spawn(
        f.ops
            .clone()
            .run_incident_schedule(Duration::from_millis(50)),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while row(&f, id).await.escalations == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    schedule.abort();
    assert_eq!(row(&f, id).await.escalations, 1, "the schedule swept");
}

/// The environment's row.
async fn env_row(f: &Fixture, name: &str) -> EnvRow {
    let mut conn = f.ops.store.conn().await.unwrap();
    crate::store::environments::get(&mut conn, name)
        .await
        .unwrap()
}

/// A DRIFTED workflow keyed `key` with these canonical and live fingerprints.
fn drifted(key: &str, expected: &str, live: &str) -> Compared {
    Compared {
        status: DriftStatus::Drifted,
        canonical_id: Some(key.into()),
        n8n_id: Some(format!("id-{key}")),
        name: format!("Workflow {key}"),
        expected: Some(expected.into()),
        live: Some(live.into()),
    }
}

fn said(risk: Risk, line: &str) -> Option<DriftSummary> {
    Some(DriftSummary {
        changes: 1,
        risk: Some(risk),
        renamed_from: None,
        lines: vec![line.into()],
    })
}

async fn deliveries(ops: &LocalOps, id: i64) -> Vec<String> {
    let detail = ops.incident_show(id).await.unwrap();
    detail.deliveries.into_iter().map(|d| d.event).collect()
}

#[tokio::test]
async fn an_environment_without_a_canonical_state_raises_no_incidents() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(90, 4))
        .env("stage", EnvClass::Staging, generated(91, 3))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    // No canonical state at all: every workflow is UNTRACKED, and no incident opens.
    let drift = check(&f.ops, "prod").await;
    assert_eq!(drift.counts.untracked, 4, "{:?}", drift.counts);
    assert!(open_incidents(&f.ops).await.is_empty());

    // A canonical state that maps another environment only: the same.
    backup(&f.ops, "prod").await;
    let drift = check(&f.ops, "stage").await;
    assert_eq!(drift.counts.untracked, 3, "{:?}", drift.counts);
    assert!(open_incidents(&f.ops).await.is_empty());

    // Once it is recorded, a workflow made by hand does open one.
    backup(&f.ops, "stage").await;
    let sim = f.sim("stage");
    let mut body = writable_body(&sim.workflow(&sim.workflow_ids()[0]).unwrap());
    body["name"] = json!("Made by hand");
    sim.create_workflow(&body).unwrap();
    check(&f.ops, "stage").await;
    let open = open_incidents(&f.ops).await;
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].workflow.as_deref(), Some("Made by hand"));
}

#[tokio::test]
async fn a_moved_canonical_version_updates_the_incident_and_a_worse_drift_notifies() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(92, 2))
        .build()
        .await;
    let ops = with_webhook(&f);
    let env = env_row(&f, "prod").await;
    let t0 = now_ms() - HOUR_MS;
    let first = ops
        .raise_from_drift(
            &env,
            t0,
            &[drifted("orders", "e1", "l")],
            &[said(Risk::Low, "a note changed")],
        )
        .await
        .unwrap();
    assert_eq!(first.opened, 1);
    let id = by_key(&f, IncidentKind::Drift, "orders").await.unwrap();
    let opened = row(&f, id).await;
    assert_eq!(opened.fingerprint.as_deref(), Some("e1:l"));
    assert_eq!(opened.severity, Severity::Medium, "production, LOW risk");

    // The same drift again: nothing.
    let same = ops
        .raise_from_drift(
            &env,
            t0 + MIN_MS,
            &[drifted("orders", "e1", "l")],
            &[said(Risk::Low, "a note changed")],
        )
        .await
        .unwrap();
    assert!(!same.any(), "{same}");

    // The canonical version moved while the live one stayed: a change, and a worse
    // one (HIGH risk): the severity rises, its SLA starts again, and it notifies.
    let t2 = t0 + 2 * MIN_MS;
    let moved = ops
        .raise_from_drift(
            &env,
            t2,
            &[drifted("orders", "e2", "l")],
            &[said(Risk::High, "the canonical version moved")],
        )
        .await
        .unwrap();
    assert_eq!((moved.changed, moved.escalated), (1, 1));
    let now = row(&f, id).await;
    assert_eq!(now.fingerprint.as_deref(), Some("e2:l"));
    assert_eq!(now.risk.as_deref(), Some("HIGH"));
    assert_eq!(now.severity, Severity::Critical);
    assert_eq!(now.sla_started_at, t2);
    let entries = timeline(&ops, id).await;
    assert_eq!(kinds(&entries), [EventKind::Opened, EventKind::Changed]);
    let text = entries[1].text.as_deref().unwrap();
    assert!(
        text.contains("severity up from medium to critical"),
        "{text}"
    );
    assert_eq!(deliveries(&ops, id).await, ["opened", "escalated"]);

    // Better again (LOW): down, no notification.
    let better = ops
        .raise_from_drift(
            &env,
            t2 + MIN_MS,
            &[drifted("orders", "e3", "l")],
            &[said(Risk::Low, "mostly fixed")],
        )
        .await
        .unwrap();
    assert_eq!((better.changed, better.escalated), (1, 0));
    assert_eq!(row(&f, id).await.severity, Severity::Medium);
    assert_eq!(deliveries(&ops, id).await, ["opened", "escalated"]);

    // A row raised before the canonical side was kept compares the live side only.
    let legacy = insert(&f, "prod", "legacy", Severity::High, t0).await;
    let kept = ops
        .raise_from_drift(
            &env,
            t2 + 2 * MIN_MS,
            &[drifted("orders", "e3", "l"), drifted("legacy", "e", "fp")],
            &[
                said(Risk::Low, "mostly fixed"),
                said(Risk::Medium, "legacy"),
            ],
        )
        .await
        .unwrap();
    assert!(!kept.any(), "{kept}");
    assert_eq!(row(&f, legacy).await.version, 1);
}

#[tokio::test]
async fn a_check_whose_incident_was_changed_meanwhile_is_done_again() {
    use super::incidents::{ATTEMPTS, CONFLICTS};
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(93, 2))
        .build()
        .await;
    let env = env_row(&f, "prod").await;
    let t0 = now_ms() - HOUR_MS;
    f.ops
        .raise_from_drift(
            &env,
            t0,
            &[drifted("orders", "e", "l1")],
            &[said(Risk::Low, "one")],
        )
        .await
        .unwrap();
    let id = by_key(&f, IncidentKind::Drift, "orders").await.unwrap();

    // The first save finds the row changed by another process: the whole check's
    // transaction is read and done again, once.
    let done = CONFLICTS
        .scope(
            Cell::new(1),
            f.ops.raise_from_drift(
                &env,
                t0 + MIN_MS,
                &[drifted("orders", "e", "l2")],
                &[said(Risk::Low, "two")],
            ),
        )
        .await
        .unwrap();
    assert_eq!(done.changed, 1);
    let changed = row(&f, id).await;
    assert_eq!(changed.fingerprint.as_deref(), Some("e:l2"));
    assert_eq!(changed.version, 2, "written once");
    assert_eq!(
        kinds(&timeline(&f.ops, id).await),
        [EventKind::Opened, EventKind::Changed],
        "the failed try left nothing"
    );

    // Changed meanwhile at every try: a Conflict naming the incident, nothing written.
    let err = CONFLICTS
        .scope(
            Cell::new(ATTEMPTS),
            f.ops.raise_from_drift(
                &env,
                t0 + 2 * MIN_MS,
                &[drifted("orders", "e", "l3")],
                &[said(Risk::Low, "three")],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert!(
        err.message.contains(&format!("incident #{id}")),
        "{}",
        err.message
    );
    assert_eq!(row(&f, id).await, changed);
    assert_eq!(timeline(&f.ops, id).await.len(), 2);
}

#[tokio::test]
async fn an_executions_incident_resolved_by_hand_stays_resolved_and_bands_mark_its_timeline() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(94, 3))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    let mut ops = f.ops.clone();
    ops.settings.incidents.policy.executions.per_workflow = 3;
    ops.settings.incidents.policy.executions.per_environment = 0;
    ops.settings.incidents.policy.executions.window_mins = 60;
    let sim = f.sim("prod");
    let wf = sim.workflow_ids()[0].clone();
    let fail = |n: usize| {
        for _ in 0..n {
            sim.add_execution(&wf, SimStatus::Error).unwrap();
        }
    };
    fail(3);
    let swept = ops.sweep_at(now_ms()).await.unwrap();
    assert_eq!(swept.failures_opened, 1);
    let id = open_incidents(&ops).await[0].id;

    // One more failure: the count moves, the timeline does not (same band).
    fail(1);
    let swept = ops.sweep_at(now_ms()).await.unwrap();
    assert_eq!(swept.failures_opened, 0);
    let view = ops.incident_show(id).await.unwrap();
    assert!(
        view.incident
            .failures
            .as_deref()
            .unwrap()
            .starts_with("4 failed executions"),
        "{:?}",
        view.incident.failures
    );
    assert_eq!(kinds(&view.timeline), [EventKind::Opened]);
    // Twice the threshold: a timeline entry.
    fail(2);
    let swept = ops.sweep_at(now_ms()).await.unwrap();
    assert_eq!(swept.failures_opened, 1);
    assert_eq!(
        kinds(&timeline(&ops, id).await),
        [EventKind::Opened, EventKind::Changed]
    );

    // Resolved by hand: the failures still in the window do not open it again.
    let resolved_at = now_ms();
    update(
        &ops,
        id,
        IncidentChange::Resolve {
            note: "the API key was renewed".into(),
        },
        resolved_at,
    )
    .await
    .unwrap();
    let swept = ops.sweep_at(resolved_at + 1_000).await.unwrap();
    assert_eq!((swept.failures_opened, swept.failures_resolved), (0, 0));
    assert!(open_incidents(&ops).await.is_empty());
    assert!(swept.failures.is_empty(), "{:?}", swept.failures);

    // New failures after the resolution count: a new incident at the threshold.
    tokio::time::sleep(Duration::from_millis(20)).await;
    fail(2);
    assert_eq!(ops.sweep_at(now_ms()).await.unwrap().failures_opened, 0);
    fail(1);
    let swept = ops.sweep_at(now_ms()).await.unwrap();
    assert_eq!(swept.failures_opened, 1);
    let open = open_incidents(&ops).await;
    assert_eq!(open.len(), 1);
    assert_ne!(open[0].id, id);
    assert!(
        open[0]
            .failures
            .as_deref()
            .unwrap()
            .starts_with("3 failed executions"),
        "{:?}",
        open[0].failures
    );
}

#[tokio::test]
async fn a_policy_with_a_ttl_of_zero_is_refused_naming_the_key() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(95, 2))
        .build()
        .await;
    let err = f
        .ops
        .incident_policy_put(Some("[staging.ttl_hours]\nhigh = 0\n".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("staging.ttl_hours.high is 0"),
        "{}",
        err.message
    );
    assert_eq!(f.ops.incident_policy().await.unwrap().source, "config");
}

#[tokio::test]
async fn an_unknown_environment_is_named_by_the_list_and_the_metrics() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(96, 2))
        .build()
        .await;
    let list = f
        .ops
        .incidents_list(IncidentQuery {
            env: Some("nosuch".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(list.kind, ErrorKind::NotFound);
    assert!(list.message.contains("'nosuch'"), "{}", list.message);
    let stats = f
        .ops
        .incidents_stats(IncidentStatsQuery {
            env: Some("nosuch".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stats.kind, ErrorKind::NotFound);
    assert!(stats.message.contains("'nosuch'"), "{}", stats.message);
    // A known environment without incidents is an empty answer.
    let known = IncidentQuery {
        env: Some("prod".into()),
        ..Default::default()
    };
    assert!(f.ops.incidents_list(known).await.unwrap().is_empty());
    // An environment removed since its incidents were raised still lists them, as
    // production (its class is unknown).
    insert(&f, "gone", "orders", Severity::Low, now_ms()).await;
    let gone = f
        .ops
        .incidents_list(IncidentQuery {
            env: Some("gone".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].env_class, None);
    assert_eq!(
        gone[0].sla_deadline - gone[0].opened_at,
        chrono::Duration::hours(168),
        "production's TTL for low"
    );
}

#[tokio::test]
async fn views_offer_what_the_service_allows() {
    let f = Fixture::builder()
        .env("stage", EnvClass::Staging, generated(97, 2))
        .env("prod", EnvClass::Production, generated(98, 2))
        .build()
        .await;
    let mut ops = f.ops.clone();
    ops.settings.pipelines = vec![
        serde_json::from_value(
            json!({"name": "main", "stages": [{"from": "stage", "to": "prod"}]}),
        )
        .unwrap(),
    ];
    let t0 = now_ms();
    let drift = insert(&f, "prod", "orders", Severity::High, t0).await;
    let show = |id: i64| {
        let ops = ops.clone();
        async move { ops.incident_show(id).await.unwrap().incident }
    };
    let open = show(drift).await;
    assert_eq!(open.env_class, Some(EnvClass::Production));
    assert_eq!(
        open.offered,
        Offered {
            acknowledge: true,
            resolve: true,
            note: true,
            assign: true,
            severity: true,
            revert: true,
            accept: true,
            promote: true,
            diff: true,
        }
    );
    // Acknowledged: not again.
    update(
        &ops,
        drift,
        IncidentChange::Acknowledge { note: None },
        t0 + 1,
    )
    .await
    .unwrap();
    let acked = show(drift).await;
    assert!(!acked.offered.acknowledge && acked.offered.resolve);
    let again = update(
        &ops,
        drift,
        IncidentChange::Acknowledge { note: None },
        t0 + 2,
    )
    .await
    .unwrap_err();
    assert_eq!(again.kind, ErrorKind::Conflict);
    // Resolved: notes and the diff only, and the service refuses the rest.
    update(
        &ops,
        drift,
        IncidentChange::Resolve {
            note: "done".into(),
        },
        t0 + 3,
    )
    .await
    .unwrap();
    let resolved = show(drift).await;
    assert_eq!(
        resolved.offered,
        Offered {
            note: true,
            diff: true,
            ..Offered::default()
        }
    );
    let refused = ops.incident_revert(drift, true).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);
    let refused = ops.incident_accept(drift).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);

    // UNTRACKED: no canonical version to revert to.
    let untracked = {
        let mut conn = f.ops.store.conn().await.unwrap();
        let new = NewIncident {
            env: "stage".into(),
            kind: IncidentKind::Drift,
            key: "n8n:made".into(),
            canonical_id: None,
            n8n_id: Some("made".into()),
            workflow: Some("Made by hand".into()),
            severity: Severity::Medium,
            opened_at: t0,
            opened_by: "n8nops".into(),
            drift_status: Some("UNTRACKED".into()),
            risk: None,
            fingerprint: Some(":live".into()),
            summary: None,
        };
        store::insert(&mut conn, &new).await.unwrap()
    };
    let view = show(untracked).await;
    assert_eq!(view.env_class, Some(EnvClass::Staging));
    assert!(!view.offered.revert && view.offered.accept && view.offered.diff);
    assert!(!view.offered.promote, "no stage leads into stage");
    let refused = ops.incident_revert(untracked, true).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Invalid);

    // Failing executions: no revert, accept or diff.
    let executions = {
        let mut conn = f.ops.store.conn().await.unwrap();
        let new = NewIncident {
            env: "prod".into(),
            kind: IncidentKind::Executions,
            key: "*".into(),
            canonical_id: None,
            n8n_id: None,
            workflow: None,
            severity: Severity::High,
            opened_at: t0,
            opened_by: "n8nops".into(),
            drift_status: None,
            risk: None,
            fingerprint: Some("20".into()),
            summary: Some("20 failed executions".into()),
        };
        store::insert(&mut conn, &new).await.unwrap()
    };
    let view = show(executions).await;
    assert!(!view.offered.revert && !view.offered.accept && !view.offered.diff);
    assert!(view.offered.acknowledge && view.offered.promote);
    let refused = ops.incident_diff(executions).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Invalid);
    // The list offers the same as one incident.
    let listed = ops.incidents_list(IncidentQuery::default()).await.unwrap();
    let same = listed.iter().find(|v| v.id == executions).unwrap();
    assert_eq!(same.offered, view.offered);
}

#[tokio::test]
async fn an_untracked_workflow_opens_an_incident_once_when_it_appears() {
    let f = production(74, 6).await;
    let sim = f.sim("prod");
    let mut body = writable_body(&sim.workflow(&sim.workflow_ids()[0]).unwrap());
    body["name"] = json!("Kept by hand");
    sim.create_workflow(&body).unwrap();

    // Created after the canonical state was recorded: it appeared, so it is raised.
    check(&f.ops, "prod").await;
    let open = open_incidents(&f.ops).await;
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].workflow.as_deref(), Some("Kept by hand"));
    // Someone decides it stays untracked.
    let note = "known: it stays outside the canonical state".to_owned();
    f.ops
        .incident_update(IncidentUpdate {
            id: open[0].id,
            change: IncidentChange::Resolve { note },
        })
        .await
        .unwrap();

    // Still untracked at the next check, as at the previous one: nothing new opens.
    let again = check(&f.ops, "prod").await;
    assert_eq!(again.counts.untracked, 1);
    assert!(open_incidents(&f.ops).await.is_empty());

    // A workflow that appears after that check opens its own.
    body["name"] = json!("New by hand");
    sim.create_workflow(&body).unwrap();
    let third = check(&f.ops, "prod").await;
    assert_eq!(third.counts.untracked, 2);
    let open = open_incidents(&f.ops).await;
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].workflow.as_deref(), Some("New by hand"));
}
