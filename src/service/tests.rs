//! Service tests against the simulator: sync, change tracking, connection tests, and
//! every fault the simulator can inject. After a failed sync the store must hold
//! exactly what it held before, and the error must name the environment.

use super::test_fixture::{Fixture, KEY, generated, sync};
use super::*;
use crate::domain::environment::EnvClass;
use crate::domain::job::JobState;
use crate::domain::normalize::fingerprint;
use crate::sim::{self, Fault, PageFailure, SimOptions};
use std::time::Duration;

/// Rows in the body tables: a failed sync must leave none of its own behind.
async fn body_rows(f: &Fixture) -> (i64, i64) {
    let pool = f.store.store.pool();
    let bodies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workflow_bodies")
        .fetch_one(pool)
        .await
        .unwrap();
    let claims: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM body_claims")
        .fetch_one(pool)
        .await
        .unwrap();
    (bodies, claims)
}

/// `prod`: a simulator of `workflows` generated workflows and 40 past executions.
async fn fixture(workflows: usize) -> Fixture {
    let prod = SimOptions {
        seed_executions: 40,
        ..generated(3, workflows)
    };
    Fixture::builder()
        .env("prod", EnvClass::Production, prod)
        .build()
        .await
}

fn report(job: &JobView) -> SyncReport {
    serde_json::from_value(job.result.clone().expect("a sync result")).expect("a sync report")
}

/// Everything a sync writes, to compare before and after a failure.
async fn snapshot(ops: &LocalOps) -> (Vec<WorkflowSummary>, EnvInventory, Option<Time>) {
    let workflows = ops.workflows_list(WorkflowQuery::default()).await.unwrap();
    let inventory = ops.env_inventory("prod".into()).await.unwrap();
    let env = ops.env_show("prod".into()).await.unwrap();
    (workflows, inventory, env.last_sync_at)
}

#[tokio::test]
async fn sync_stores_everything_and_tracks_changes() {
    let f = fixture(600).await;
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let r = &report(&job).envs[0];
    assert!(r.ok);
    assert_eq!(r.workflows, Some(600));
    assert_eq!((r.added, r.changed, r.removed), (600, 0, 0));
    assert!(r.users.unwrap() >= 1 && r.executions.unwrap() > 0 && r.credentials.unwrap() > 0);

    // Stored fingerprints are those of what the instance serves.
    let stored = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    assert_eq!(stored.len(), 600);
    for w in &stored {
        let served = f.sim("prod").workflow(&w.id).expect("served workflow");
        assert_eq!(w.fingerprint, fingerprint(&served), "workflow {}", w.name);
    }

    // A second sync changes nothing; then an edit, a deletion and a new workflow.
    let again = report(&sync(&f.ops, SyncRequest::default()).await)
        .envs
        .remove(0);
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0));
    let edited = stored[0].id.clone();
    let deleted = stored[1].id.clone();
    f.sim("prod")
        .edit_workflow(&edited, |wf| {
            wf["nodes"][0]["parameters"]["edited"] = serde_json::json!(true)
        })
        .unwrap();
    assert!(f.sim("prod").delete_workflow(&deleted));
    f.sim("prod")
        .create_workflow(&crate::domain::writable::writable_body(
            &sim::generator::generate(99, 1)[0],
        ))
        .unwrap();
    let third = report(&sync(&f.ops, SyncRequest::default()).await)
        .envs
        .remove(0);
    assert_eq!((third.added, third.changed, third.removed), (1, 1, 1));
    let list = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    let changed = list.iter().find(|w| w.id == edited).unwrap();
    assert_eq!(changed.change, crate::domain::sync::Change::Changed);
    assert!(list.iter().all(|w| w.id != deleted));

    // Activation changes the raw body but not the fingerprint: stored anew, counted unchanged.
    let toggled = list
        .iter()
        .find(|w| !w.active && w.id != edited)
        .expect("an inactive workflow")
        .clone();
    f.sim("prod")
        .set_active(&toggled.id, true)
        .expect("a generated workflow has a trigger");
    let fourth = report(&sync(&f.ops, SyncRequest::default()).await)
        .envs
        .remove(0);
    assert_eq!((fourth.added, fourth.changed, fourth.removed), (0, 0, 0));
    let list = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    let now = list.iter().find(|w| w.id == toggled.id).unwrap();
    assert!(now.active, "the new raw body was stored");
    assert_eq!(now.fingerprint, toggled.fingerprint);
    assert_eq!(
        list.iter().find(|w| w.id == edited).unwrap().change,
        crate::domain::sync::Change::Unchanged
    );

    // Selective sync touches only what it names.
    let only = report(
        &sync(
            &f.ops,
            SyncRequest {
                envs: vec!["prod".into()],
                kinds: vec![crate::domain::sync::SyncKind::Tags],
            },
        )
        .await,
    );
    assert_eq!(only.envs[0].workflows, None);
    assert!(only.envs[0].tags.is_some());
    assert_eq!(
        f.ops
            .workflows_list(WorkflowQuery::default())
            .await
            .unwrap()
            .len(),
        600
    );
}

#[tokio::test]
async fn catalog_search_and_filters() {
    let f = fixture(80).await;
    sync(&f.ops, SyncRequest::default()).await;
    let all = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    let http = f
        .ops
        .workflows_list(WorkflowQuery {
            search: Some("httprequest".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!http.is_empty() && http.len() < all.len());
    let active = f
        .ops
        .workflows_list(WorkflowQuery {
            active: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(active.iter().all(|w| w.active));
    let detail = f
        .ops
        .workflow_get(WorkflowRef {
            env: "prod".into(),
            id: all[0].id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(detail.summary.fingerprint, all[0].fingerprint);
    let missing = f
        .ops
        .workflows_list(WorkflowQuery {
            env: Some("nope".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
}

/// Each fault after a good sync: the sync fails naming the environment, the store is
/// exactly as before, and the failure is audited.
#[tokio::test]
async fn faults_leave_the_store_unchanged() {
    let f = fixture(600).await;
    assert_eq!(
        sync(&f.ops, SyncRequest::default()).await.state,
        JobState::Succeeded
    );
    let before = snapshot(&f.ops).await;
    let bodies_before = body_rows(&f).await;
    assert_eq!(
        bodies_before,
        (1200, 0),
        "a raw and a normalized body per workflow, no claims"
    );
    f.sim("prod")
        .edit_workflow(&before.0[0].id, |wf| {
            wf["name"] = serde_json::json!("renamed by someone")
        })
        .unwrap();

    let cases: Vec<(&str, Fault)> = vec![
        ("500 on every request", Fault::status(500)),
        (
            "503 on the workflow list",
            Fault::status(503).on("/api/v1/workflows"),
        ),
        (
            "connection dropped at page 2",
            Fault::fail_at_page(2, PageFailure::DropConnection),
        ),
        (
            "500 at page 3",
            Fault::fail_at_page(3, PageFailure::ServerError),
        ),
        (
            "connection dropped after 5000 bytes",
            Fault::drop_after(5000),
        ),
        ("truncated JSON", Fault::truncate(5000)),
        (
            "latency beyond the timeout",
            Fault::latency(Duration::from_secs(3)),
        ),
    ];
    for (what, faults) in cases {
        f.sim("prod").set_faults(faults);
        let job = sync(&f.ops, SyncRequest::default()).await;
        f.sim("prod").clear_faults();
        assert_eq!(job.state, JobState::Failed, "{what}: the sync should fail");
        let error = job.error.clone().unwrap_or_default();
        assert!(
            error.contains("prod"),
            "{what}: the error must name the environment: {error}"
        );
        let r = &report(&job).envs[0];
        assert!(!r.ok && r.error.is_some(), "{what}");
        assert_eq!(snapshot(&f.ops).await, before, "{what}: the store changed");
        assert_eq!(
            body_rows(&f).await,
            bodies_before,
            "{what}: bodies left behind"
        );
    }
    let audit = f
        .ops
        .audit_list(AuditQuery {
            env: Some("prod".into()),
            limit: Some(50),
        })
        .await
        .unwrap();
    let failures = audit
        .iter()
        .filter(|a| a.action == "sync" && a.outcome == crate::store::audit::Outcome::Error)
        .count();
    assert_eq!(failures, 7);

    // With the faults gone the next sync sees the rename.
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert_eq!(report(&job).envs[0].changed, 1);
}

#[tokio::test]
async fn one_failing_environment_does_not_stop_the_others() {
    let f = fixture(30).await;
    let broken = sim::start(SimOptions {
        api_key: KEY.into(),
        workflows: sim::generator::generate(5, 10),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    f.ops
        .env_add(EnvAdd {
            name: "stg".into(),
            url: broken.url.clone(),
            class: EnvClass::Staging,
            api_key: Secret::new("wrong-key"),
            git_repo: None,
            git_branch: None,
        })
        .await
        .unwrap();
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert_eq!(job.state, JobState::Failed);
    let r = report(&job);
    let prod = r.envs.iter().find(|e| e.env == "prod").unwrap();
    let stg = r.envs.iter().find(|e| e.env == "stg").unwrap();
    assert!(prod.ok && prod.workflows == Some(30));
    assert!(!stg.ok);
    assert!(
        stg.error.as_deref().unwrap().contains("stg"),
        "{:?}",
        stg.error
    );
    let logs = f.ops.job_get(job.id.clone()).await.unwrap().logs;
    assert!(
        logs.iter()
            .any(|l| l.message.contains("stg") && l.message.contains("unchanged"))
    );
}

#[tokio::test]
async fn connection_tests_tell_problems_apart() {
    let f = fixture(3).await;
    let ok = f.ops.env_test("prod".into()).await.unwrap();
    assert!(ok.ok, "{:?}", ok.message);
    assert_eq!(ok.version.as_deref(), Some("1.123.0"));
    assert_eq!(ok.api_generation.as_deref(), Some("1.x"));
    assert!(!ok.can_list_credentials);
    assert!(ok.latency_ms.is_some());

    let add = |name: &str, url: String, key: &str| EnvAdd {
        name: name.into(),
        url,
        class: EnvClass::Development,
        api_key: Secret::new(key),
        git_repo: None,
        git_branch: None,
    };
    f.ops
        .env_add(add("badkey", f.sim("prod").url.clone(), "not-the-key"))
        .await
        .unwrap();
    let t = f.ops.env_test("badkey".into()).await.unwrap();
    assert_eq!(
        t.problem,
        Some(ConnectionProblem::WrongKey),
        "{:?}",
        t.message
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    f.ops
        .env_add(add("nowhere", format!("http://{closed}"), "k"))
        .await
        .unwrap();
    let t = f.ops.env_test("nowhere".into()).await.unwrap();
    assert_eq!(
        t.problem,
        Some(ConnectionProblem::Unreachable),
        "{:?}",
        t.message
    );
    assert!(t.message.unwrap().contains("nowhere"));

    let html = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let html_url = format!("http://{}", html.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(|| async {
            axum::response::Html("<html><body>Welcome to nginx!</body></html>")
        });
        let _ = axum::serve(html, app).await;
    });
    f.ops
        .env_add(add("webserver", html_url, "k"))
        .await
        .unwrap();
    let t = f.ops.env_test("webserver".into()).await.unwrap();
    assert_eq!(
        t.problem,
        Some(ConnectionProblem::NotN8n),
        "{:?}",
        t.message
    );
}

#[tokio::test]
async fn environments_are_validated_audited_and_never_reveal_the_key() {
    let f = fixture(1).await;
    let bad = |name: &str, url: &str, key: &str| EnvAdd {
        name: name.into(),
        url: url.into(),
        class: EnvClass::Staging,
        api_key: Secret::new(key),
        git_repo: None,
        git_branch: None,
    };
    for (req, needle) in [
        (bad("bad name", "http://x", "k"), "bad name"),
        (bad("ok", "ftp://x", "k"), "ftp://x"),
        (bad("ok", "http://x", "  "), "API key"),
    ] {
        let err = f.ops.env_add(req).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert!(err.message.contains(needle), "{err}");
    }
    let dup = f
        .ops
        .env_add(bad("prod", "http://x", "k"))
        .await
        .unwrap_err();
    assert_eq!(dup.kind, ErrorKind::Conflict);
    assert_eq!(
        f.ops.env_show("prod".into()).await.unwrap().url,
        f.sim("prod").url,
        "a failed add changes nothing"
    );

    let updated = f
        .ops
        .env_update(EnvUpdate {
            name: "prod".into(),
            class: Some(EnvClass::Staging),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(updated.class, EnvClass::Staging);

    let audit = f.ops.audit_list(AuditQuery::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "env.add" && a.outcome == crate::store::audit::Outcome::Ok)
    );
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "env.add" && a.outcome == crate::store::audit::Outcome::Error)
            .count(),
        4
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "env.update" && a.env.as_deref() == Some("prod"))
    );

    // The key appears in no result a face can see.
    let everything = serde_json::json!({
        "envs": f.ops.env_list().await.unwrap(),
        "audit": audit,
        "test": f.ops.env_test("prod".into()).await.unwrap(),
    })
    .to_string();
    assert!(!everything.contains(KEY));
    assert!(
        !format!(
            "{:?}",
            EnvAdd {
                api_key: Secret::new(KEY),
                ..bad("x", "http://x", "k")
            }
        )
        .contains(KEY)
    );

    f.ops.env_remove("prod".into()).await.unwrap();
    assert_eq!(
        f.ops.env_show("prod".into()).await.unwrap_err().kind,
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn jobs_stream_progress_and_are_recorded() {
    let f = fixture(300).await;
    let events = f.ops.subscribe();
    let started = f.ops.sync(SyncRequest::default()).await.unwrap();
    let mut seen = Vec::new();
    let job = follow_job(&f.ops, events, &started.job_id, |e| {
        seen.push(e.body.clone())
    })
    .await
    .unwrap();
    assert_eq!(job.state, JobState::Succeeded);
    assert!(seen.iter().any(|b| matches!(b, EventBody::Progress { .. })));
    assert!(seen.iter().any(|b| matches!(b, EventBody::Log { .. })));
    assert!(matches!(
        seen.last(),
        Some(EventBody::Finished {
            state: JobState::Succeeded,
            ..
        })
    ));
    let listed = f.ops.jobs_list(JobQuery::default()).await.unwrap();
    assert_eq!(listed[0].id, started.job_id);
    assert!(listed[0].finished_at.is_some());
    assert!(!f.ops.job_get(started.job_id).await.unwrap().logs.is_empty());
}

#[tokio::test]
async fn a_readonly_service_refuses_every_change_and_still_reads() {
    let f = fixture(5).await;
    sync(&f.ops, SyncRequest::default()).await;
    let mut settings = f.ops.settings.clone();
    settings.readonly = true;
    let ro = LocalOps::new(f.store.store.clone(), settings)
        .await
        .expect("ops");
    let first = ro.workflows_list(WorkflowQuery::default()).await.unwrap()[0].clone();
    let target = WorkflowRef {
        env: first.env.clone(),
        id: first.id.clone(),
    };
    let refusals = [
        ro.sync(SyncRequest::default()).await.map(drop),
        ro.env_remove("prod".into()).await,
        ro.workflow_op(WorkflowOpRequest {
            action: WorkflowAction::Deactivate,
            targets: vec![target.clone()],
            confirmed: true,
        })
        .await
        .map(drop),
        ro.trash_restore(1, true).await.map(drop),
        ro.execution_retry(ExecutionRef {
            env: "prod".into(),
            id: "1".into(),
        })
        .await
        .map(drop),
    ];
    for refusal in refusals {
        let err = refusal.expect_err("a read-only service must refuse");
        assert_eq!(err.kind, ErrorKind::Forbidden, "{err}");
        assert!(err.message.contains("read-only"), "{err}");
    }
    // Nothing changed, and reading still works.
    let after = ro.workflow_get(target).await.expect("read");
    assert_eq!(after.summary, first);
    assert_eq!(ro.env_list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_catalog_lists_each_name_in_promotion_order() {
    // Names chosen so alphabetical order is not promotion order.
    let f = Fixture::builder()
        .env("zz-dev", EnvClass::Development, generated(5, 4))
        .env("aa-prod", EnvClass::Production, generated(5, 4))
        .env("mm-stage", EnvClass::Staging, generated(5, 4))
        .build()
        .await;
    sync(&f.ops, SyncRequest::default()).await;
    let all = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 12);
    for chunk in all.chunks(3) {
        let envs: Vec<&str> = chunk.iter().map(|w| w.env.as_str()).collect();
        assert_eq!(envs, ["zz-dev", "mm-stage", "aa-prod"], "{}", chunk[0].name);
        assert!(chunk.iter().all(|w| w.name == chunk[0].name));
    }
}
