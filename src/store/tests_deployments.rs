//! The pipeline and deployment tables, on every backend available (see test_support).

use super::deployments::{
    self, ApprovalRow, Decision, DeploymentFilter, DeploymentRow, ItemResult, ItemRow,
    NewDeployment, parse_state, state_text,
};
use super::pipelines;
use super::test_support::all;
use super::{Store, StoreError, Tx};
use crate::domain::deployment::DeploymentState::{self, *};
use sqlx::AnyConnection;

const ALL_STATES: [DeploymentState; 8] = [
    Pending,
    PendingApproval,
    Approved,
    Running,
    Completed,
    Failed,
    Rejected,
    Cancelled,
];

fn new(id: &str, source: &str, target: &str, requested_at: i64) -> NewDeployment {
    NewDeployment {
        id: id.into(),
        pipeline: Some("main".into()),
        stage: Some(0),
        source_env: source.into(),
        target_env: target.into(),
        state: Pending,
        requested_by: "alice".into(),
        requested_at,
        scheduled_for: None,
        plan: format!(r#"{{"id":"{id}","workflows":2}}"#),
        plan_hash: format!("hash-{id}-1"),
        rollback_of: None,
    }
}

fn item(pos: i64, action: &str) -> ItemRow {
    ItemRow {
        pos,
        name: format!("Workflow {pos}"),
        canonical_id: Some(format!("workflow-{pos}")),
        source_id: Some(format!("src{pos}")),
        target_id: (action != "ADDED").then(|| format!("tgt{pos}")),
        action: action.into(),
        status: "PENDING".into(),
        result: None,
        error: None,
        diff: None,
    }
}

/// The row `get` should return for a freshly inserted deployment.
fn row_of(n: &NewDeployment) -> DeploymentRow {
    DeploymentRow {
        id: n.id.clone(),
        pipeline: n.pipeline.clone(),
        stage: n.stage,
        source_env: n.source_env.clone(),
        target_env: n.target_env.clone(),
        state: n.state,
        requested_by: n.requested_by.clone(),
        requested_at: n.requested_at,
        scheduled_for: n.scheduled_for,
        plan: n.plan.clone(),
        plan_hash: n.plan_hash.clone(),
        snapshot: None,
        job_id: None,
        started_at: None,
        finished_at: None,
        error: None,
        rollback_of: n.rollback_of.clone(),
        runner: None,
        commit_id: None,
    }
}

fn approval(id: &str, actor: &str, decision: Decision, hash: &str, at: i64) -> ApprovalRow {
    ApprovalRow {
        deployment_id: id.into(),
        actor: actor.into(),
        decision,
        plan_hash: hash.into(),
        decided_at: at,
        note: None,
    }
}

/// Inserts in a transaction, as the service does.
async fn insert(store: &Store, n: &NewDeployment, items: &[ItemRow]) {
    let mut tx: Tx = store.begin().await.unwrap();
    deployments::insert(&mut tx, n, items).await.unwrap();
    tx.commit().await.unwrap();
}

async fn ids(conn: &mut AnyConnection, filter: &DeploymentFilter) -> Vec<String> {
    deployments::list(conn, filter)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect()
}

async fn count(conn: &mut AnyConnection, table: &str, id: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE deployment_id = $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[test]
fn deployment_state_text_is_its_serde_form() {
    for state in ALL_STATES {
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(json, format!("\"{}\"", state_text(state)));
        assert_eq!(parse_state(&state_text(state)), Some(state));
    }
    assert_eq!(state_text(PendingApproval), "PENDING_APPROVAL");
    assert_eq!(parse_state("pending"), None);
    assert_eq!(parse_state(""), None);
    assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
    assert_eq!(
        Decision::parse(Decision::Reject.as_str()),
        Some(Decision::Reject)
    );
    assert_eq!(Decision::parse("Approve"), None);
}

#[tokio::test]
async fn a_deployment_round_trips_with_items_and_results() {
    for t in all().await {
        let s = &t.store;
        let mut n = new("d1", "dev", "prod", 1_000);
        n.scheduled_for = Some(5_000);
        n.rollback_of = Some("d0".into());
        let items = vec![item(0, "ADDED"), item(1, "MODIFIED"), item(2, "DELETED")];
        insert(s, &n, &items).await;
        let mut conn = s.conn().await.unwrap();

        let (row, got_items, approvals) = deployments::get(&mut conn, "d1").await.unwrap().unwrap();
        assert_eq!(row, row_of(&n), "{}", t.label);
        assert_eq!(got_items, items, "{}", t.label);
        assert!(approvals.is_empty(), "{}", t.label);
        assert!(deployments::get(&mut conn, "nope").await.unwrap().is_none());

        // A deployment without pipeline, stage or items.
        let mut bare = new("d2", "staging", "prod", 2_000);
        bare.pipeline = None;
        bare.stage = None;
        insert(s, &bare, &[]).await;
        let (row, got_items, _) = deployments::get(&mut conn, "d2").await.unwrap().unwrap();
        assert_eq!(row, row_of(&bare), "{}", t.label);
        assert!(got_items.is_empty());

        // Snapshot, job, error, item results.
        deployments::set_snapshot(&mut conn, "d1", "snap-9")
            .await
            .unwrap();
        deployments::set_job(&mut conn, "d1", "job-3")
            .await
            .unwrap();
        deployments::set_error(&mut conn, "d1", Some("prod: 502 on 'Workflow 1'"))
            .await
            .unwrap();
        deployments::set_runner(&mut conn, "d1", Some(r#"{"pid":7}"#))
            .await
            .unwrap();
        deployments::set_commit(&mut conn, "d1", "c0ffee")
            .await
            .unwrap();
        let ok = ItemResult {
            result: "ok",
            target_id: Some("tgt-new-0"),
            diff: Some(r#"{"added":true}"#),
            ..Default::default()
        };
        deployments::set_item_result(&mut conn, "d1", 0, &ok)
            .await
            .unwrap();
        let failed = ItemResult {
            result: "failed",
            error: Some("502 Bad Gateway"),
            ..Default::default()
        };
        deployments::set_item_result(&mut conn, "d1", 1, &failed)
            .await
            .unwrap();
        let (row, got_items, _) = deployments::get(&mut conn, "d1").await.unwrap().unwrap();
        assert_eq!(row.snapshot.as_deref(), Some("snap-9"), "{}", t.label);
        assert_eq!(row.job_id.as_deref(), Some("job-3"));
        assert_eq!(row.error.as_deref(), Some("prod: 502 on 'Workflow 1'"));
        assert_eq!(row.runner.as_deref(), Some(r#"{"pid":7}"#));
        assert_eq!(row.commit_id.as_deref(), Some("c0ffee"));
        let mut expected = items.clone();
        expected[0].result = Some("ok".into());
        expected[0].target_id = Some("tgt-new-0".into());
        expected[0].diff = Some(r#"{"added":true}"#.into());
        expected[1].result = Some("failed".into());
        expected[1].error = Some("502 Bad Gateway".into());
        assert_eq!(
            got_items, expected,
            "{}: None keeps target_id and diff",
            t.label
        );
        deployments::set_error(&mut conn, "d1", None).await.unwrap();
        let (row, _, _) = deployments::get(&mut conn, "d1").await.unwrap().unwrap();
        assert_eq!(row.error, None);

        // Missing rows are NotFound, naming what is missing.
        let err = deployments::set_item_result(&mut conn, "d1", 7, &ok)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound(m) if m.contains("d1") && m.contains('7')),
            "{}: {err}",
            t.label
        );
        let err = deployments::set_snapshot(&mut conn, "nope", "x")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound(m) if m.contains("nope")),
            "{err}"
        );

        // The same id twice is refused.
        let mut tx: Tx = s.begin().await.unwrap();
        assert!(
            deployments::insert(&mut tx, &n, &[]).await.is_err(),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn list_filters_each_narrow_and_newest_comes_first() {
    for t in all().await {
        let s = &t.store;
        let mut a = new("a", "dev", "staging", 1_000);
        a.requested_by = "bob".into();
        let b = new("b", "staging", "prod", 2_000);
        let mut c = new("c", "dev", "staging", 3_000);
        c.pipeline = Some("hotfix".into());
        let mut d = new("d", "dev", "qa", 4_000);
        d.pipeline = None;
        d.state = Completed;
        for n in [&a, &b, &c, &d] {
            insert(s, n, &[item(0, "MODIFIED")]).await;
        }
        let mut conn = s.conn().await.unwrap();
        let f = DeploymentFilter::default;
        assert_eq!(
            ids(&mut conn, &f()).await,
            ["d", "c", "b", "a"],
            "{}",
            t.label
        );

        let by_pipeline = DeploymentFilter {
            pipeline: Some("main".into()),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &by_pipeline).await,
            ["b", "a"],
            "{}",
            t.label
        );
        let by_env = DeploymentFilter {
            env: Some("staging".into()),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &by_env).await,
            ["c", "b", "a"],
            "source or target"
        );
        let by_target = DeploymentFilter {
            env: Some("prod".into()),
            ..f()
        };
        assert_eq!(ids(&mut conn, &by_target).await, ["b"]);
        let by_state = DeploymentFilter {
            state: Some(Completed),
            ..f()
        };
        assert_eq!(ids(&mut conn, &by_state).await, ["d"], "{}", t.label);
        let by_who = DeploymentFilter {
            requested_by: Some("bob".into()),
            ..f()
        };
        assert_eq!(ids(&mut conn, &by_who).await, ["a"]);
        let since = DeploymentFilter {
            since: Some(2_000),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &since).await,
            ["d", "c", "b"],
            "since is inclusive"
        );
        let until = DeploymentFilter {
            until: Some(3_000),
            ..f()
        };
        assert_eq!(
            ids(&mut conn, &until).await,
            ["b", "a"],
            "until is exclusive"
        );
        let limit = DeploymentFilter {
            limit: Some(2),
            ..f()
        };
        assert_eq!(ids(&mut conn, &limit).await, ["d", "c"]);
        let combined = DeploymentFilter {
            env: Some("dev".into()),
            state: Some(Pending),
            since: Some(1_000),
            until: Some(4_000),
            limit: Some(1),
            ..f()
        };
        assert_eq!(ids(&mut conn, &combined).await, ["c"], "{}", t.label);
        let nothing = DeploymentFilter {
            pipeline: Some("none".into()),
            ..f()
        };
        assert!(ids(&mut conn, &nothing).await.is_empty());
    }
}

#[tokio::test]
async fn set_state_is_compare_and_set_and_stamps_start_and_end() {
    for t in all().await {
        let s = &t.store;
        insert(s, &new("d1", "dev", "prod", 1_000), &[]).await;
        let mut conn = s.conn().await.unwrap();
        let state = |row: (DeploymentRow, _, _)| row.0;

        assert!(
            deployments::set_state(&mut conn, "d1", Pending, Approved, 1_500)
                .await
                .unwrap()
        );
        // Two processes starting it: only the first lands.
        assert!(
            deployments::set_state(&mut conn, "d1", Approved, Running, 2_000)
                .await
                .unwrap()
        );
        assert!(
            !deployments::set_state(&mut conn, "d1", Approved, Running, 2_100)
                .await
                .unwrap(),
            "{}: a wrong expected state is refused",
            t.label
        );
        let row = state(deployments::get(&mut conn, "d1").await.unwrap().unwrap());
        assert_eq!(row.state, Running, "{}", t.label);
        assert_eq!(row.started_at, Some(2_000), "{}", t.label);
        assert_eq!(row.finished_at, None);

        // Refused: nothing changes.
        assert!(
            !deployments::set_state(&mut conn, "d1", Pending, Cancelled, 2_500)
                .await
                .unwrap()
        );
        let row = state(deployments::get(&mut conn, "d1").await.unwrap().unwrap());
        assert_eq!((row.state, row.finished_at), (Running, None), "{}", t.label);

        assert!(
            deployments::set_state(&mut conn, "d1", Running, Failed, 3_000)
                .await
                .unwrap()
        );
        let row = state(deployments::get(&mut conn, "d1").await.unwrap().unwrap());
        assert_eq!(row.state, Failed);
        assert_eq!(row.started_at, Some(2_000), "{}", t.label);
        assert_eq!(row.finished_at, Some(3_000), "{}", t.label);
        assert!(
            !deployments::set_state(&mut conn, "nope", Pending, Running, 1)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn approvals_are_one_per_actor_per_plan_hash_and_survive_a_new_plan() {
    for t in all().await {
        let s = &t.store;
        let n = new("d1", "dev", "prod", 1_000);
        insert(s, &n, &[item(0, "MODIFIED"), item(1, "ADDED")]).await;
        let mut conn = s.conn().await.unwrap();
        let h1 = n.plan_hash.clone();

        let mut first = approval("d1", "bob", Decision::Reject, &h1, 2_000);
        first.note = Some("not yet".into());
        deployments::record_approval(&mut conn, &first)
            .await
            .unwrap();
        let carol = approval("d1", "carol", Decision::Approve, &h1, 2_500);
        deployments::record_approval(&mut conn, &carol)
            .await
            .unwrap();
        // Bob decides again on the same plan: it replaces his first decision.
        let again = approval("d1", "bob", Decision::Approve, &h1, 3_000);
        deployments::record_approval(&mut conn, &again)
            .await
            .unwrap();
        let (_, _, approvals) = deployments::get(&mut conn, "d1").await.unwrap().unwrap();
        assert_eq!(approvals, vec![carol.clone(), again.clone()], "{}", t.label);

        // The plan is recomputed: new hash and items, old approvals kept but stale.
        let new_items = vec![
            item(0, "MODIFIED"),
            item(1, "TARGET_HOTFIX"),
            item(2, "DELETED"),
        ];
        let mut tx: Tx = s.begin().await.unwrap();
        deployments::replace_plan(&mut tx, "d1", r#"{"v":2}"#, "hash-2", &new_items)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (row, items, approvals) = deployments::get(&mut conn, "d1").await.unwrap().unwrap();
        assert_eq!(row.plan, r#"{"v":2}"#, "{}", t.label);
        assert_eq!(row.plan_hash, "hash-2");
        assert_eq!(items, new_items, "{}", t.label);
        assert_eq!(approvals, vec![carol.clone(), again.clone()], "{}", t.label);
        assert!(approvals.iter().all(|a| a.plan_hash != row.plan_hash));

        // Bob approves the new plan: kept beside his decision on the old one.
        let on_new = approval("d1", "bob", Decision::Approve, "hash-2", 4_000);
        deployments::record_approval(&mut conn, &on_new)
            .await
            .unwrap();
        let (_, _, approvals) = deployments::get(&mut conn, "d1").await.unwrap().unwrap();
        assert_eq!(approvals, vec![carol, again, on_new], "{}", t.label);

        let err = deployments::replace_plan(&mut conn, "nope", "{}", "h", &[])
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound(m) if m.contains("nope")),
            "{err}"
        );
        // A decision on a deployment that does not exist is refused.
        let orphan = approval("nope", "bob", Decision::Approve, "h", 1);
        assert!(
            deployments::record_approval(&mut conn, &orphan)
                .await
                .is_err(),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn running_and_due_find_what_recovery_and_the_scheduler_need() {
    for t in all().await {
        let s = &t.store;
        let mut at = 0;
        let mut add = async |id: &str, state, scheduled_for| {
            at += 1_000;
            let mut n = new(id, "dev", "prod", at);
            n.state = state;
            n.scheduled_for = scheduled_for;
            insert(s, &n, &[]).await;
        };
        add("run-1", Running, None).await;
        add("run-2", Running, Some(1)).await;
        add("rolling-back", RollingBack, None).await;
        add("rollback-failed", RollbackFailed, None).await;
        add("due-pending", Pending, Some(9_000)).await;
        add("due-approved", Approved, Some(8_000)).await;
        add("later", Approved, Some(20_000)).await;
        add("waiting-approval", PendingApproval, Some(8_000)).await;
        add("cancelled", Cancelled, Some(8_000)).await;
        add("unscheduled", Approved, None).await;
        let mut conn = s.conn().await.unwrap();

        let running = deployments::running(&mut conn).await.unwrap();
        let running: Vec<&str> = running.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(running, ["run-1", "run-2", "rolling-back"], "{}", t.label);

        let due = deployments::due(&mut conn, 10_000).await.unwrap();
        let due: Vec<&str> = due.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            due,
            ["due-approved", "due-pending"],
            "{}: soonest first",
            t.label
        );
        let due = deployments::due(&mut conn, 9_000).await.unwrap();
        assert_eq!(
            due.len(),
            2,
            "{}: the scheduled time itself is due",
            t.label
        );
        assert!(deployments::due(&mut conn, 7_999).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn deleting_a_deployment_removes_its_items_and_approvals() {
    for t in all().await {
        let s = &t.store;
        let n = new("d1", "dev", "prod", 1_000);
        insert(s, &n, &[item(0, "ADDED"), item(1, "MODIFIED")]).await;
        insert(s, &new("d2", "dev", "prod", 2_000), &[item(0, "ADDED")]).await;
        let mut conn = s.conn().await.unwrap();
        let a = approval("d1", "bob", Decision::Approve, &n.plan_hash, 1_500);
        deployments::record_approval(&mut conn, &a).await.unwrap();
        assert_eq!(count(&mut conn, "deployment_items", "d1").await, 2);
        assert_eq!(count(&mut conn, "deployment_approvals", "d1").await, 1);

        assert!(
            deployments::delete(&mut conn, "d1").await.unwrap(),
            "{}",
            t.label
        );
        assert!(!deployments::delete(&mut conn, "d1").await.unwrap());
        assert!(deployments::get(&mut conn, "d1").await.unwrap().is_none());
        assert_eq!(
            count(&mut conn, "deployment_items", "d1").await,
            0,
            "{}",
            t.label
        );
        assert_eq!(
            count(&mut conn, "deployment_approvals", "d1").await,
            0,
            "{}",
            t.label
        );
        assert_eq!(
            count(&mut conn, "deployment_items", "d2").await,
            1,
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn an_unknown_state_read_back_is_an_error_naming_it() {
    for t in all().await {
        let s = &t.store;
        insert(s, &new("d1", "dev", "prod", 1_000), &[]).await;
        let mut conn = s.conn().await.unwrap();
        sqlx::query("UPDATE deployments SET state = 'HALF_DONE' WHERE id = 'd1'")
            .execute(&mut *conn)
            .await
            .unwrap();
        let err = deployments::get(&mut conn, "d1").await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m) if m.contains("d1") && m.contains("HALF_DONE")),
            "{}: {err}",
            t.label
        );
        let err = deployments::list(&mut conn, &DeploymentFilter::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("HALF_DONE"), "{}: {err}", t.label);
    }
}

#[tokio::test]
async fn pipelines_are_put_read_listed_and_deleted() {
    for t in all().await {
        let mut conn = t.store.conn().await.unwrap();
        let def = r#"{"name":"main","stages":[{"from":"dev","to":"prod"}]}"#;
        pipelines::put(&mut conn, "main", def, "alice", 1_000)
            .await
            .unwrap();
        pipelines::put(&mut conn, "hotfix", "{}", "bob", 2_000)
            .await
            .unwrap();
        let main = pipelines::get(&mut conn, "main").await.unwrap().unwrap();
        assert_eq!(
            main,
            pipelines::PipelineRow {
                name: "main".into(),
                definition: def.into(),
                updated_at: 1_000,
                updated_by: "alice".into(),
            },
            "{}",
            t.label
        );
        assert!(pipelines::get(&mut conn, "none").await.unwrap().is_none());

        // Putting again replaces.
        pipelines::put(&mut conn, "main", r#"{"v":2}"#, "carol", 3_000)
            .await
            .unwrap();
        let list = pipelines::list(&mut conn).await.unwrap();
        let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["hotfix", "main"], "{}: by name", t.label);
        assert_eq!(list[1].definition, r#"{"v":2}"#);
        assert_eq!(
            (list[1].updated_at, list[1].updated_by.as_str()),
            (3_000, "carol")
        );

        assert!(
            pipelines::delete(&mut conn, "main").await.unwrap(),
            "{}",
            t.label
        );
        assert!(!pipelines::delete(&mut conn, "main").await.unwrap());
        assert!(pipelines::get(&mut conn, "main").await.unwrap().is_none());
        assert_eq!(pipelines::list(&mut conn).await.unwrap().len(), 1);
    }
}
