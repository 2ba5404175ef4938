//! The incident tables (incidents, timelines, the notification outbox, the stored policy)
//! and the drift history's retention, on every backend available (see test_support).

use super::drift::{self, DriftCheckRow, DriftResultRow};
use super::incidents::{
    self, DeliveryStatus, IncidentFilter, IncidentRow, NewDelivery, NewEvent, NewIncident,
    StoredPolicy,
};
use super::test_support::all;
use super::{Store, StoreError, Tx};
use crate::domain::drift::DriftStatus;
use crate::domain::incident::{EventKind, IncidentKind, IncidentState, Lived, Severity};
use sqlx::AnyConnection;

fn new(env: &str, key: &str, severity: Severity, opened_at: i64) -> NewIncident {
    NewIncident {
        env: env.into(),
        kind: IncidentKind::Drift,
        key: key.into(),
        canonical_id: Some(key.into()),
        n8n_id: Some(format!("n8n-{key}")),
        workflow: Some(format!("Workflow {key}")),
        severity,
        opened_at,
        opened_by: "n8nops".into(),
        drift_status: Some("DRIFTED".into()),
        risk: Some("HIGH".into()),
        fingerprint: Some(format!("fp-{key}-{opened_at}")),
        summary: Some(format!(r#"{{"changes":1,"key":"{key}"}}"#)),
    }
}

/// The row `get` should return for a freshly inserted incident.
fn row_of(id: i64, n: &NewIncident) -> IncidentRow {
    IncidentRow {
        id,
        env: n.env.clone(),
        kind: n.kind,
        key: n.key.clone(),
        canonical_id: n.canonical_id.clone(),
        n8n_id: n.n8n_id.clone(),
        workflow: n.workflow.clone(),
        severity: n.severity,
        severity_manual: false,
        state: IncidentState::Open,
        opened_at: n.opened_at,
        opened_by: n.opened_by.clone(),
        acknowledged_at: None,
        acknowledged_by: None,
        first_acknowledged_at: None,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
        assignee: None,
        sla_started_at: n.opened_at,
        breached_at: None,
        escalations: 0,
        last_activity_at: n.opened_at,
        drift_status: n.drift_status.clone(),
        risk: n.risk.clone(),
        fingerprint: n.fingerprint.clone(),
        summary: n.summary.clone(),
        updated_at: n.opened_at,
        version: 1,
    }
}

/// Inserts in a transaction, as the service does.
async fn insert(store: &Store, n: &NewIncident) -> i64 {
    let mut tx: Tx = store.begin().await.unwrap();
    let id = incidents::insert(&mut tx, n).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Resolves `id` at `at` through a CAS update.
async fn resolve(conn: &mut AnyConnection, id: i64, at: i64) {
    let mut row = incidents::get(conn, id).await.unwrap();
    row.state = IncidentState::Resolved;
    row.resolved_at = Some(at);
    row.resolved_by = Some("alice".into());
    row.resolution = Some("fixed".into());
    row.updated_at = at;
    assert!(incidents::update(conn, &row).await.unwrap());
}

async fn ids(conn: &mut AnyConnection, filter: &IncidentFilter) -> Vec<i64> {
    incidents::list(conn, filter)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect()
}

async fn count(conn: &mut AnyConnection, table: &str, incident_id: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE incident_id = $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(incident_id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

fn event(incident_id: i64, at: i64, kind: EventKind, text: &str) -> NewEvent {
    NewEvent {
        incident_id,
        at,
        actor: "alice".into(),
        kind,
        text: Some(text.into()),
        detail: None,
    }
}

fn delivery(incident_id: i64, event: &str, target: &str, created_at: i64) -> NewDelivery {
    NewDelivery {
        incident_id,
        event: event.into(),
        target: target.into(),
        payload: format!(r#"{{"event":"{event}","incident":{incident_id}}}"#),
        created_at,
    }
}

/// Every event kind (the match fails to compile when one is added and not listed here).
fn all_event_kinds() -> Vec<EventKind> {
    use EventKind::*;
    let all = vec![
        Opened,
        Changed,
        Acknowledged,
        Reopened,
        Escalated,
        SeverityChanged,
        Assigned,
        Note,
        Reverted,
        Accepted,
        PromotionStarted,
        Resolved,
        AutoResolved,
    ];
    for k in &all {
        match k {
            Opened | Changed | Acknowledged | Reopened | Escalated | SeverityChanged | Assigned
            | Note | Reverted | Accepted | PromotionStarted | Resolved | AutoResolved => {}
        }
    }
    all
}

#[test]
fn delivery_status_text_is_its_serde_form() {
    for status in [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ] {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
        assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(DeliveryStatus::parse("Pending"), None);
    assert_eq!(DeliveryStatus::parse(""), None);
}

#[tokio::test]
async fn an_incident_round_trips_every_field() {
    for t in all().await {
        let s = &t.store;
        let n = new("prod", "orders", Severity::Critical, 1_000);
        let id = insert(s, &n).await;
        let mut conn = s.conn().await.unwrap();
        let row = incidents::get(&mut conn, id).await.unwrap();
        assert_eq!(row, row_of(id, &n), "{}", t.label);

        // A whole-environment executions incident: no workflow, ids or drift fields.
        let bare = NewIncident {
            env: "dev".into(),
            kind: IncidentKind::Executions,
            key: "*".into(),
            canonical_id: None,
            n8n_id: None,
            workflow: None,
            severity: Severity::Low,
            opened_at: 2_000,
            opened_by: "n8nops".into(),
            drift_status: None,
            risk: None,
            fingerprint: None,
            summary: None,
        };
        let bare_id = insert(s, &bare).await;
        assert_ne!(bare_id, id);
        assert_eq!(
            incidents::get(&mut conn, bare_id).await.unwrap(),
            row_of(bare_id, &bare),
            "{}",
            t.label
        );

        // Every mutable field written by update, then read back.
        let changed = IncidentRow {
            canonical_id: Some("orders-2".into()),
            n8n_id: Some("n8n-9".into()),
            workflow: Some("Orders (renamed)".into()),
            severity: Severity::High,
            severity_manual: true,
            state: IncidentState::Acknowledged,
            acknowledged_at: Some(1_100),
            acknowledged_by: Some("bob".into()),
            first_acknowledged_at: Some(1_050),
            resolved_at: Some(1_900),
            resolved_by: Some("carol".into()),
            resolution: Some("line one\nline two".into()),
            assignee: Some("dave".into()),
            sla_started_at: 1_200,
            breached_at: Some(1_300),
            escalations: 2,
            last_activity_at: 1_400,
            drift_status: Some("MISSING".into()),
            risk: Some("LOW".into()),
            fingerprint: Some("fp-new".into()),
            summary: Some(r#"{"changes":7}"#.into()),
            updated_at: 1_500,
            ..row.clone()
        };
        assert!(incidents::update(&mut conn, &changed).await.unwrap());
        let got = incidents::get(&mut conn, id).await.unwrap();
        assert_eq!(
            got,
            IncidentRow {
                version: 2,
                ..changed.clone()
            },
            "{}",
            t.label
        );

        // The fields update does not write stay as they were.
        let sneaky = IncidentRow {
            env: "staging".into(),
            kind: IncidentKind::Executions,
            key: "other".into(),
            opened_at: 5,
            opened_by: "mallory".into(),
            ..got.clone()
        };
        assert!(incidents::update(&mut conn, &sneaky).await.unwrap());
        let got = incidents::get(&mut conn, id).await.unwrap();
        assert_eq!(
            (
                got.env.as_str(),
                got.kind,
                got.key.as_str(),
                got.opened_at,
                got.opened_by.as_str(),
                got.version
            ),
            ("prod", IncidentKind::Drift, "orders", 1_000, "n8nops", 3),
            "{}",
            t.label
        );

        let err = incidents::get(&mut conn, 999_999).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound(m) if m == "no incident #999999"),
            "{}: {err}",
            t.label
        );
    }
}

#[tokio::test]
async fn one_open_incident_per_environment_kind_and_key() {
    for t in all().await {
        let s = &t.store;
        let first = insert(s, &new("prod", "orders", Severity::High, 1_000)).await;
        let mut conn = s.conn().await.unwrap();

        let err = incidents::insert(&mut conn, &new("prod", "orders", Severity::Low, 2_000))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m)
                if m.contains("'prod'") && m.contains("Workflow orders") && m.contains(&format!("#{first}"))),
            "{}: {err}",
            t.label
        );
        // Acknowledged is still open.
        let mut row = incidents::get(&mut conn, first).await.unwrap();
        row.state = IncidentState::Acknowledged;
        assert!(incidents::update(&mut conn, &row).await.unwrap());
        assert!(matches!(
            incidents::insert(&mut conn, &new("prod", "orders", Severity::Low, 2_000)).await,
            Err(StoreError::Conflict(_))
        ));

        // Another environment, kind or key is another incident.
        insert(s, &new("staging", "orders", Severity::High, 1_000)).await;
        insert(s, &new("prod", "billing", Severity::High, 1_000)).await;
        let mut executions = new("prod", "orders", Severity::High, 1_000);
        executions.kind = IncidentKind::Executions;
        insert(s, &executions).await;

        // Once resolved, the key is free again; the resolved one stays.
        resolve(&mut conn, first, 3_000).await;
        let second = insert(s, &new("prod", "orders", Severity::Medium, 4_000)).await;
        assert_ne!(second, first, "{}", t.label);
        let open = incidents::open_by_key(&mut conn, "prod", IncidentKind::Drift, "orders")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(open.id, second, "{}", t.label);
        assert_eq!(
            incidents::get(&mut conn, first).await.unwrap().state,
            IncidentState::Resolved
        );

        // The index itself refuses a second open one: reopening the resolved incident
        // while another is open on its key is a conflict, and nothing changes.
        let mut reopen = incidents::get(&mut conn, first).await.unwrap();
        reopen.state = IncidentState::Open;
        let err = incidents::update(&mut conn, &reopen).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m)
                if m.contains(&format!("#{first}")) && m.contains("'prod'") && m.contains("Workflow orders")),
            "{}: {err}",
            t.label
        );
        assert_eq!(
            incidents::get(&mut conn, first).await.unwrap().state,
            IncidentState::Resolved,
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn open_incidents_by_key_and_by_environment() {
    for t in all().await {
        let s = &t.store;
        let a = insert(s, &new("prod", "a", Severity::Low, 3_000)).await;
        let b = insert(s, &new("prod", "b", Severity::Critical, 1_000)).await;
        let c = insert(s, &new("staging", "c", Severity::High, 2_000)).await;
        let d = insert(s, &new("prod", "d", Severity::High, 500)).await;
        let mut conn = s.conn().await.unwrap();
        resolve(&mut conn, d, 4_000).await;

        let ids = |rows: Vec<IncidentRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(incidents::open(&mut conn, None).await.unwrap()),
            [b, c, a],
            "{}: oldest first, resolved left out",
            t.label
        );
        assert_eq!(
            ids(incidents::open(&mut conn, Some("prod")).await.unwrap()),
            [b, a],
            "{}",
            t.label
        );
        assert!(
            incidents::open(&mut conn, Some("qa"))
                .await
                .unwrap()
                .is_empty()
        );

        let found = incidents::open_by_key(&mut conn, "prod", IncidentKind::Drift, "a")
            .await
            .unwrap();
        assert_eq!(found.map(|r| r.id), Some(a), "{}", t.label);
        for (env, kind, key) in [
            ("prod", IncidentKind::Drift, "d"),
            ("prod", IncidentKind::Executions, "a"),
            ("staging", IncidentKind::Drift, "a"),
            ("prod", IncidentKind::Drift, "zzz"),
        ] {
            assert!(
                incidents::open_by_key(&mut conn, env, kind, key)
                    .await
                    .unwrap()
                    .is_none(),
                "{}: {env} {kind:?} {key}",
                t.label
            );
        }
    }
}

#[tokio::test]
async fn list_filters_each_narrow_and_the_worst_oldest_comes_first() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        // Inserted out of order on purpose.
        let low = insert(s, &new("dev", "low", Severity::Low, 1_000)).await;
        let mut n = new("prod", "crit_new", Severity::Critical, 5_000);
        n.workflow = Some("Orders_Sync".into());
        let crit_new = insert(s, &n).await;
        let med = insert(s, &new("staging", "med", Severity::Medium, 2_000)).await;
        let crit_old = insert(s, &new("prod", "crit_old", Severity::Critical, 3_000)).await;
        let mut n = new("prod", "high", Severity::High, 4_000);
        n.kind = IncidentKind::Executions;
        n.workflow = Some("Billing 100%".into());
        let high = insert(s, &n).await;
        // Two opened at the same time: by id.
        let crit_tie = insert(s, &new("staging", "crit_tie", Severity::Critical, 3_000)).await;

        let mut row = incidents::get(&mut conn, med).await.unwrap();
        row.assignee = Some("Alice Martin".into());
        row.state = IncidentState::Acknowledged;
        assert!(incidents::update(&mut conn, &row).await.unwrap());
        resolve(&mut conn, low, 6_000).await;

        let f = IncidentFilter::default;
        assert_eq!(
            ids(&mut conn, &f()).await,
            [crit_old, crit_tie, crit_new, high, med, low],
            "{}: worst first, then oldest, then id",
            t.label
        );

        let states = IncidentFilter {
            states: vec![IncidentState::Open, IncidentState::Acknowledged],
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &states).await,
            [crit_old, crit_tie, crit_new, high, med],
            "{}",
            t.label
        );
        let acked = IncidentFilter {
            states: vec![IncidentState::Acknowledged],
            ..f()
        };
        assert_eq!(ids(&mut conn, &acked).await, [med], "{}", t.label);
        let resolved = IncidentFilter {
            states: vec![IncidentState::Resolved],
            ..f()
        };
        assert_eq!(ids(&mut conn, &resolved).await, [low], "{}", t.label);

        let severities = IncidentFilter {
            severities: vec![Severity::High, Severity::Low],
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &severities).await,
            [high, low],
            "{}",
            t.label
        );

        let env = IncidentFilter {
            env: Some("staging".into()),
            ..f()
        };
        assert_eq!(ids(&mut conn, &env).await, [crit_tie, med], "{}", t.label);
        let kind = IncidentFilter {
            kind: Some(IncidentKind::Executions),
            ..f()
        };
        assert_eq!(ids(&mut conn, &kind).await, [high], "{}", t.label);

        // Text: the workflow, the environment or the assignee, any case.
        let text = |t: &str| IncidentFilter {
            text: Some(t.into()),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &text("orders")).await,
            [crit_new],
            "{}",
            t.label
        );
        assert_eq!(ids(&mut conn, &text("ALICE")).await, [med], "{}", t.label);
        assert_eq!(
            ids(&mut conn, &text("Stag")).await,
            [crit_tie, med],
            "{}: environment",
            t.label
        );
        assert_eq!(
            ids(&mut conn, &text("workflow crit")).await,
            [crit_old, crit_tie],
            "{}",
            t.label
        );
        // LIKE's wildcards are plain characters.
        assert_eq!(
            ids(&mut conn, &text("_")).await,
            [crit_old, crit_tie, crit_new],
            "{}: '_' matches only an underscore",
            t.label
        );
        assert_eq!(
            ids(&mut conn, &text("%")).await,
            [high],
            "{}: '%' matches only a percent sign",
            t.label
        );
        assert!(ids(&mut conn, &text("nothing like it")).await.is_empty());
        assert_eq!(
            ids(&mut conn, &text("")).await.len(),
            6,
            "{}: empty text is no filter",
            t.label
        );

        // Period: [from, to).
        let period = IncidentFilter {
            opened_from: Some(2_000),
            opened_to: Some(4_000),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &period).await,
            [crit_old, crit_tie, med],
            "{}: from inclusive, to exclusive",
            t.label
        );

        let limit = IncidentFilter {
            limit: Some(2),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &limit).await,
            [crit_old, crit_tie],
            "{}",
            t.label
        );

        let combined = IncidentFilter {
            states: vec![IncidentState::Open],
            severities: vec![Severity::Critical],
            env: Some("prod".into()),
            kind: Some(IncidentKind::Drift),
            text: Some("workflow".into()),
            opened_from: Some(1_000),
            opened_to: Some(10_000),
            limit: Some(5),
        };
        assert_eq!(ids(&mut conn, &combined).await, [crit_old], "{}", t.label);
    }
}

#[tokio::test]
async fn update_is_compare_and_set_on_the_version() {
    for t in all().await {
        let s = &t.store;
        let id = insert(s, &new("prod", "orders", Severity::High, 1_000)).await;
        let mut conn = s.conn().await.unwrap();

        // Two sweeps read version 1; the first escalation lands, the second is refused.
        let read = incidents::get(&mut conn, id).await.unwrap();
        let first = IncidentRow {
            severity: Severity::Critical,
            escalations: 1,
            breached_at: Some(2_000),
            updated_at: 2_000,
            ..read.clone()
        };
        let second = IncidentRow {
            state: IncidentState::Resolved,
            resolved_at: Some(2_100),
            updated_at: 2_100,
            ..read.clone()
        };
        assert!(incidents::update(&mut conn, &first).await.unwrap());
        assert!(
            !incidents::update(&mut conn, &second).await.unwrap(),
            "{}: a stale version is refused",
            t.label
        );
        let got = incidents::get(&mut conn, id).await.unwrap();
        assert_eq!(
            got,
            IncidentRow {
                version: 2,
                ..first
            },
            "{}: the stale write changed nothing",
            t.label
        );

        // Re-read and retry: it lands.
        let retry = IncidentRow {
            state: IncidentState::Resolved,
            resolved_at: Some(2_200),
            ..got
        };
        assert!(incidents::update(&mut conn, &retry).await.unwrap());
        let got = incidents::get(&mut conn, id).await.unwrap();
        assert_eq!((got.state, got.version), (IncidentState::Resolved, 3));

        // A missing incident writes nothing either.
        let ghost = IncidentRow { id: 999_999, ..got };
        assert!(!incidents::update(&mut conn, &ghost).await.unwrap());
    }
}

#[tokio::test]
async fn events_are_the_timeline_oldest_first() {
    for t in all().await {
        let s = &t.store;
        let id = insert(s, &new("prod", "orders", Severity::High, 1_000)).await;
        let other = insert(s, &new("prod", "billing", Severity::High, 1_000)).await;
        let mut conn = s.conn().await.unwrap();

        // Every kind round trips; recorded out of time order, read back by time, and in
        // the order recorded at equal times.
        let kinds = all_event_kinds();
        let mut expected = Vec::new();
        for (i, kind) in kinds.iter().enumerate().rev() {
            let at = 10_000 + (i as i64 / 2) * 100;
            let mut e = event(id, at, *kind, &format!("entry {i}\nsecond line"));
            if i % 3 == 0 {
                e.text = None;
                e.detail = Some(format!(r#"{{"i":{i}}}"#));
            }
            let eid = incidents::add_event(&mut conn, &e).await.unwrap();
            expected.push((eid, e));
        }
        incidents::add_event(&mut conn, &event(other, 1, EventKind::Note, "elsewhere"))
            .await
            .unwrap();
        expected.sort_by_key(|(eid, e)| (e.at, *eid));

        let got = incidents::events(&mut conn, id).await.unwrap();
        assert_eq!(got.len(), kinds.len(), "{}", t.label);
        for (row, (eid, e)) in got.iter().zip(&expected) {
            assert_eq!(row.id, *eid, "{}", t.label);
            assert_eq!(
                (
                    row.incident_id,
                    row.at,
                    &row.actor,
                    row.kind,
                    &row.text,
                    &row.detail
                ),
                (e.incident_id, e.at, &e.actor, e.kind, &e.text, &e.detail),
                "{}",
                t.label
            );
        }
        let mut seen: Vec<EventKind> = got.iter().map(|r| r.kind).collect();
        seen.sort_by_key(|k| k.as_str());
        let mut all = kinds.clone();
        all.sort_by_key(|k| k.as_str());
        assert_eq!(seen, all, "{}: every kind read back", t.label);
        assert!(
            incidents::events(&mut conn, 999_999)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn lived_gives_the_metrics_facts_of_the_period() {
    for t in all().await {
        let s = &t.store;
        let a = insert(s, &new("prod", "a", Severity::Critical, 1_000)).await;
        let b = insert(s, &new("staging", "b", Severity::Low, 2_000)).await;
        insert(s, &new("prod", "c", Severity::High, 3_000)).await;
        insert(s, &new("prod", "early", Severity::High, 999)).await;
        insert(s, &new("prod", "late", Severity::High, 4_000)).await;
        let mut conn = s.conn().await.unwrap();

        // Acknowledged, reopened, acknowledged again and resolved: the first counts.
        let mut row = incidents::get(&mut conn, a).await.unwrap();
        row.state = IncidentState::Resolved;
        row.first_acknowledged_at = Some(1_100);
        row.acknowledged_at = Some(1_500);
        row.resolved_at = Some(1_900);
        assert!(incidents::update(&mut conn, &row).await.unwrap());
        resolve(&mut conn, b, 2_500).await;

        let lived = incidents::lived(&mut conn, 1_000, 4_000, None)
            .await
            .unwrap();
        let l = |env: &str, severity, opened_at, ack, res| Lived {
            env: env.into(),
            severity,
            opened_at,
            acknowledged_at: ack,
            resolved_at: res,
        };
        assert_eq!(
            lived,
            [
                l("prod", Severity::Critical, 1_000, Some(1_100), Some(1_900)),
                l("staging", Severity::Low, 2_000, None, Some(2_500)),
                l("prod", Severity::High, 3_000, None, None),
            ],
            "{}: [from, to), first acknowledgement",
            t.label
        );
        let prod = incidents::lived(&mut conn, 0, 10_000, Some("prod"))
            .await
            .unwrap();
        assert_eq!(
            prod.iter().map(|l| l.opened_at).collect::<Vec<_>>(),
            [999, 1_000, 3_000, 4_000],
            "{}",
            t.label
        );
        assert!(
            incidents::lived(&mut conn, 5_000, 6_000, None)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn purge_resolved_removes_old_resolved_incidents_with_their_rows() {
    for t in all().await {
        let s = &t.store;
        let old = insert(s, &new("prod", "old", Severity::High, 1_000)).await;
        let recent = insert(s, &new("prod", "recent", Severity::High, 1_000)).await;
        let open = insert(s, &new("prod", "open", Severity::High, 1_000)).await;
        let mut conn = s.conn().await.unwrap();
        for id in [old, recent, open] {
            incidents::add_event(&mut conn, &event(id, 1_000, EventKind::Opened, "opened"))
                .await
                .unwrap();
            incidents::enqueue(&mut conn, &delivery(id, "opened", "slack", 1_000))
                .await
                .unwrap();
        }
        resolve(&mut conn, old, 2_000).await;
        resolve(&mut conn, recent, 5_000).await;

        let mut tx: Tx = s.begin().await.unwrap();
        let gone = incidents::purge_resolved(&mut tx, 5_000).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(gone, 1, "{}: resolved at 5000 is not before 5000", t.label);
        assert!(matches!(
            incidents::get(&mut conn, old).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            count(&mut conn, "incident_events", old).await,
            0,
            "{}",
            t.label
        );
        assert_eq!(
            count(&mut conn, "incident_deliveries", old).await,
            0,
            "{}",
            t.label
        );
        for id in [recent, open] {
            incidents::get(&mut conn, id).await.unwrap();
            assert_eq!(
                count(&mut conn, "incident_events", id).await,
                1,
                "{}",
                t.label
            );
            assert_eq!(
                count(&mut conn, "incident_deliveries", id).await,
                1,
                "{}",
                t.label
            );
        }

        // Much later: the other resolved one goes, the open one never does.
        let gone = incidents::purge_resolved(&mut conn, i64::MAX)
            .await
            .unwrap();
        assert_eq!(gone, 1, "{}", t.label);
        assert_eq!(
            incidents::open(&mut conn, None)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            [open]
        );
        assert_eq!(
            incidents::purge_resolved(&mut conn, i64::MAX)
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn the_outbox_hands_out_due_deliveries_and_records_attempts() {
    for t in all().await {
        let s = &t.store;
        let id = insert(s, &new("prod", "orders", Severity::Critical, 1_000)).await;
        let other = insert(s, &new("prod", "billing", Severity::Critical, 1_000)).await;
        let mut conn = s.conn().await.unwrap();
        let slack = incidents::enqueue(&mut conn, &delivery(id, "opened", "slack", 1_000))
            .await
            .unwrap();
        let hook = incidents::enqueue(&mut conn, &delivery(id, "opened", "pager", 1_000))
            .await
            .unwrap();
        let later = incidents::enqueue(&mut conn, &delivery(other, "escalated", "slack", 3_000))
            .await
            .unwrap();

        let got = incidents::deliveries(&mut conn, id).await.unwrap();
        assert_eq!(
            got[0],
            incidents::DeliveryRow {
                id: slack,
                incident_id: id,
                event: "opened".into(),
                target: "slack".into(),
                payload: format!(r#"{{"event":"opened","incident":{id}}}"#),
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: 1_000,
                last_error: None,
                created_at: 1_000,
                delivered_at: None,
            },
            "{}",
            t.label
        );
        assert_eq!(got.iter().map(|d| d.id).collect::<Vec<_>>(), [slack, hook]);

        let due = |rows: Vec<incidents::DeliveryRow>| rows.iter().map(|d| d.id).collect::<Vec<_>>();
        assert!(
            incidents::due_deliveries(&mut conn, 999, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}: nothing before its time",
            t.label
        );
        assert_eq!(
            due(incidents::due_deliveries(&mut conn, 1_000, 10)
                .await
                .unwrap()),
            [slack, hook],
            "{}",
            t.label
        );
        assert_eq!(
            due(incidents::due_deliveries(&mut conn, 5_000, 10)
                .await
                .unwrap()),
            [slack, hook, later]
        );
        assert_eq!(
            due(incidents::due_deliveries(&mut conn, 5_000, 1)
                .await
                .unwrap()),
            [slack],
            "{}: at most limit",
            t.label
        );

        // Slack answered 500: try again at 4000. The pager got it.
        incidents::record_attempt(
            &mut conn,
            slack,
            DeliveryStatus::Pending,
            1,
            4_000,
            Some("webhook 'slack': HTTP 500"),
            None,
        )
        .await
        .unwrap();
        incidents::record_attempt(
            &mut conn,
            hook,
            DeliveryStatus::Delivered,
            1,
            1_000,
            None,
            Some(1_010),
        )
        .await
        .unwrap();
        assert_eq!(
            due(incidents::due_deliveries(&mut conn, 3_500, 10)
                .await
                .unwrap()),
            [later],
            "{}: retried later, delivered never again",
            t.label
        );
        assert_eq!(
            due(incidents::due_deliveries(&mut conn, 4_000, 10)
                .await
                .unwrap()),
            [later, slack],
            "{}: oldest due first",
            t.label
        );
        let got = incidents::deliveries(&mut conn, id).await.unwrap();
        assert_eq!(
            (
                got[0].status,
                got[0].attempts,
                got[0].next_attempt_at,
                got[0].last_error.as_deref()
            ),
            (
                DeliveryStatus::Pending,
                1,
                4_000,
                Some("webhook 'slack': HTTP 500")
            ),
            "{}",
            t.label
        );
        assert_eq!(
            (
                got[1].status,
                got[1].attempts,
                got[1].delivered_at,
                got[1].last_error.as_deref()
            ),
            (DeliveryStatus::Delivered, 1, Some(1_010), None),
            "{}",
            t.label
        );

        // Given up: failed rows are never due again.
        incidents::record_attempt(
            &mut conn,
            slack,
            DeliveryStatus::Failed,
            6,
            4_000,
            Some("webhook 'slack': HTTP 500"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            due(incidents::due_deliveries(&mut conn, i64::MAX, 10)
                .await
                .unwrap()),
            [later],
            "{}",
            t.label
        );
        assert_eq!(
            incidents::deliveries(&mut conn, id).await.unwrap()[0].status,
            DeliveryStatus::Failed
        );

        let err = incidents::record_attempt(
            &mut conn,
            999_999,
            DeliveryStatus::Delivered,
            1,
            0,
            None,
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound(m)
                if m.contains("notification 999999") && m.contains("purged")),
            "{}: {err}",
            t.label
        );
    }
}

#[tokio::test]
async fn a_due_delivery_is_claimed_once_and_leased_until_its_attempt_is_recorded() {
    for t in all().await {
        let s = &t.store;
        let id = insert(s, &new("prod", "orders", Severity::Critical, 1_000)).await;
        let mut conn = s.conn().await.unwrap();
        let did = incidents::enqueue(&mut conn, &delivery(id, "opened", "slack", 1_000))
            .await
            .unwrap();
        let read = incidents::due_deliveries(&mut conn, 1_000, 10)
            .await
            .unwrap();
        assert_eq!(read.len(), 1, "{}", t.label);
        let read = read.into_iter().next().unwrap();

        // Two senders read it due; the first claim wins, the second (same row read) loses.
        assert!(
            incidents::claim_delivery(&mut conn, &read, 61_000)
                .await
                .unwrap(),
            "{}",
            t.label
        );
        assert!(
            !incidents::claim_delivery(&mut conn, &read, 61_000)
                .await
                .unwrap(),
            "{}: claimed twice",
            t.label
        );
        // Leased: not due to anyone until the lease ends (a sender that died).
        assert!(
            incidents::due_deliveries(&mut conn, 60_999, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            t.label
        );
        let again = incidents::due_deliveries(&mut conn, 61_000, 10)
            .await
            .unwrap();
        assert_eq!(
            again
                .iter()
                .map(|d| (d.id, d.next_attempt_at, d.attempts))
                .collect::<Vec<_>>(),
            [(did, 61_000, 0)],
            "{}: due again when the lease ends",
            t.label
        );

        // The attempt recorded (a retry at 4000): a claim from the row read before fails.
        incidents::record_attempt(
            &mut conn,
            did,
            DeliveryStatus::Pending,
            1,
            4_000,
            Some("webhook 'slack': answered 500"),
            None,
        )
        .await
        .unwrap();
        assert!(
            !incidents::claim_delivery(&mut conn, &read, 61_000)
                .await
                .unwrap(),
            "{}: stale read",
            t.label
        );
        let retry = incidents::due_deliveries(&mut conn, 4_000, 10)
            .await
            .unwrap()
            .remove(0);
        assert!(
            incidents::claim_delivery(&mut conn, &retry, 64_000)
                .await
                .unwrap(),
            "{}",
            t.label
        );
        incidents::record_attempt(
            &mut conn,
            did,
            DeliveryStatus::Delivered,
            2,
            64_000,
            None,
            Some(4_010),
        )
        .await
        .unwrap();
        let mut delivered = retry.clone();
        delivered.next_attempt_at = 64_000;
        delivered.attempts = 2;
        assert!(
            !incidents::claim_delivery(&mut conn, &delivered, 99_000)
                .await
                .unwrap(),
            "{}: a delivered row is never claimed",
            t.label
        );
        drop(conn);

        // Racing on two connections: exactly one wins.
        let mut conn = s.conn().await.unwrap();
        let raced = incidents::enqueue(&mut conn, &delivery(id, "escalated", "slack", 2_000))
            .await
            .unwrap();
        let row = incidents::deliveries(&mut conn, id)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.id == raced)
            .unwrap();
        drop(conn);
        let claim = |lease: i64| {
            let row = row.clone();
            async move {
                let mut conn = s.conn().await.unwrap();
                incidents::claim_delivery(&mut conn, &row, lease)
                    .await
                    .unwrap()
            }
        };
        let (a, b) = tokio::join!(claim(62_000), claim(63_000));
        assert!(a ^ b, "{}: one claim of two wins ({a}, {b})", t.label);
    }
}

#[tokio::test]
async fn the_policy_is_stored_replaced_and_cleared() {
    for t in all().await {
        let mut conn = t.store.conn().await.unwrap();
        assert_eq!(
            incidents::policy_get(&mut conn).await.unwrap(),
            None,
            "{}",
            t.label
        );
        let first = StoredPolicy {
            body: "retention_days = 30\n".into(),
            updated_by: "alice".into(),
            updated_at: 1_000,
        };
        incidents::policy_put(&mut conn, &first).await.unwrap();
        assert_eq!(
            incidents::policy_get(&mut conn).await.unwrap().as_ref(),
            Some(&first),
            "{}",
            t.label
        );
        let second = StoredPolicy {
            body: "retention_days = 7\n[production]\nnotify_at = \"low\"\n".into(),
            updated_by: "bob".into(),
            updated_at: 2_000,
        };
        incidents::policy_put(&mut conn, &second).await.unwrap();
        assert_eq!(
            incidents::policy_get(&mut conn).await.unwrap().as_ref(),
            Some(&second),
            "{}: replaced, one row",
            t.label
        );
        incidents::policy_clear(&mut conn).await.unwrap();
        assert_eq!(
            incidents::policy_get(&mut conn).await.unwrap(),
            None,
            "{}",
            t.label
        );
        // Clearing nothing is fine.
        incidents::policy_clear(&mut conn).await.unwrap();
    }
}

#[tokio::test]
async fn unknown_text_read_back_is_an_error_naming_the_incident() {
    for t in all().await {
        let s = &t.store;
        let id = insert(s, &new("prod", "orders", Severity::High, 1_000)).await;
        let mut conn = s.conn().await.unwrap();
        for (column, value) in [
            ("severity", "HIGH"),
            ("severity", "dire"),
            ("state", "open"),
            ("kind", "vibes"),
        ] {
            let sql = format!("UPDATE incidents SET {column} = $1 WHERE id = $2");
            let good = incidents::get(&mut conn, id).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(value)
                .bind(id)
                .execute(&mut *conn)
                .await
                .unwrap();
            let err = incidents::get(&mut conn, id).await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Corrupt(m)
                    if m.contains(&format!("#{id}")) && m.contains("Workflow orders")
                        && m.contains("'prod'") && m.contains(value)),
                "{}: {column} = {value}: {err}",
                t.label
            );
            assert!(
                incidents::list(&mut conn, &IncidentFilter::default())
                    .await
                    .is_err()
            );
            if column == "severity" {
                let err = incidents::lived(&mut conn, 0, 10_000, None)
                    .await
                    .unwrap_err();
                assert!(err.to_string().contains(value), "{}: {err}", t.label);
            }
            // Put it back.
            let back = match column {
                "severity" => good.severity.as_str(),
                "state" => good.state.as_str(),
                _ => good.kind.as_str(),
            };
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(back)
                .bind(id)
                .execute(&mut *conn)
                .await
                .unwrap();
            assert_eq!(incidents::get(&mut conn, id).await.unwrap(), good);
        }

        let eid = incidents::add_event(&mut conn, &event(id, 1, EventKind::Note, "n"))
            .await
            .unwrap();
        sqlx::query("UPDATE incident_events SET kind = 'shrug' WHERE id = $1")
            .bind(eid)
            .execute(&mut *conn)
            .await
            .unwrap();
        let err = incidents::events(&mut conn, id).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m) if m.contains(&format!("#{id}")) && m.contains("shrug")),
            "{}: {err}",
            t.label
        );

        let did = incidents::enqueue(&mut conn, &delivery(id, "opened", "slack", 1))
            .await
            .unwrap();
        sqlx::query("UPDATE incident_deliveries SET status = 'lost' WHERE id = $1")
            .bind(did)
            .execute(&mut *conn)
            .await
            .unwrap();
        let err = incidents::deliveries(&mut conn, id).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m)
                if m.contains(&format!("#{id}")) && m.contains("slack") && m.contains("lost")),
            "{}: {err}",
            t.label
        );
    }
}

fn check(env: &str, checked_at: i64) -> DriftCheckRow {
    DriftCheckRow {
        id: 0,
        env: env.into(),
        checked_at,
        head: None,
        error: None,
        in_sync: 1,
        drifted: 1,
        missing: 0,
        untracked: 0,
        unknown: 0,
    }
}

fn drifted(n: usize) -> DriftResultRow {
    DriftResultRow {
        status: DriftStatus::Drifted,
        canonical_id: Some(format!("workflow-{n}")),
        n8n_id: Some(format!("{n}")),
        name: format!("Workflow {n}"),
        expected: Some("fp-a".into()),
        live: Some("fp-b".into()),
        summary: None,
    }
}

#[tokio::test]
async fn drift_purge_keeps_each_environments_latest_check() {
    for t in all().await {
        let s = &t.store;
        let mut tx: Tx = s.begin().await.unwrap();
        // prod: checks at 1000, 2000, 3000; dev: one old check only; qa: 500 and 9000.
        for (env, at) in [
            ("prod", 1_000),
            ("dev", 1_500),
            ("prod", 2_000),
            ("qa", 500),
            ("prod", 3_000),
            ("qa", 9_000),
        ] {
            drift::record(&mut tx, &check(env, at), &[drifted(1), drifted(2)])
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut conn = s.conn().await.unwrap();
        let history =
            |rows: Vec<DriftCheckRow>| rows.iter().map(|c| c.checked_at).collect::<Vec<_>>();

        let mut tx: Tx = s.begin().await.unwrap();
        let gone = drift::purge_before(&mut tx, 2_500).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(gone, 3, "{}: prod 1000 and 2000, qa 500", t.label);
        assert_eq!(
            history(drift::history(&mut conn, "prod", 10).await.unwrap()),
            [3_000],
            "{}",
            t.label
        );
        assert_eq!(
            history(drift::history(&mut conn, "dev", 10).await.unwrap()),
            [1_500],
            "{}: the latest check is kept however old",
            t.label
        );
        assert_eq!(
            history(drift::history(&mut conn, "qa", 10).await.unwrap()),
            [9_000],
            "{}",
            t.label
        );
        let latest = drift::latest(&mut conn, None).await.unwrap();
        assert_eq!(latest.len(), 3, "{}", t.label);
        for (c, results) in &latest {
            assert_eq!(results.len(), 2, "{}: {} keeps its results", t.label, c.env);
        }
        let orphans: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM drift_results WHERE check_id NOT IN (SELECT id FROM drift_checks)",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(orphans, 0, "{}", t.label);

        // Everything older than the end of time: only the latest of each stays.
        assert_eq!(drift::purge_before(&mut conn, i64::MAX).await.unwrap(), 0);
        assert_eq!(drift::latest(&mut conn, None).await.unwrap().len(), 3);
    }
}
