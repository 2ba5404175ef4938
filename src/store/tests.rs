//! The store suite, run on every backend available (see test_support).

use super::audit::{self, NewAuditEvent, Outcome};
use super::bodies;
use super::environments::{self, EnvPatch, NewEnv};
use super::inventory::{self, CredentialRow, ExecutionRow, TagRow, UserRow};
use super::jobs::{self, JobRow};
use super::test_support::all;
use super::workflows::{self, NewWorkflow, Removed};
use super::*;
use crate::domain::environment::EnvClass;
use crate::domain::job::{JobState, LogLevel};
use crate::domain::sync::Change;
use crate::domain::workflow::CredentialRef;

fn new_env(name: &str) -> NewEnv {
    NewEnv {
        name: name.into(),
        base_url: "http://127.0.0.1:5678".into(),
        api_key: "secret-key-123".into(),
        class: EnvClass::Production,
        git_repo: None,
        git_branch: Some("main".into()),
    }
}

fn wf(id: &str, name: &str, fp: &str, active: bool) -> NewWorkflow {
    NewWorkflow {
        n8n_id: id.into(),
        name: name.into(),
        active,
        tags: vec!["billing".into()],
        node_count: 3,
        node_types: vec!["n8n-nodes-base.webhook".into()],
        credentials: vec![CredentialRef {
            id: Some("c1".into()),
            name: "Slack".into(),
            cred_type: "slackApi".into(),
        }],
        raw_hash: format!("h-{fp}"),
        fingerprint: fp.into(),
        updated_at: Some("2026-01-01T00:00:00.000Z".into()),
        change: Change::Added,
    }
}

#[tokio::test]
async fn environments_round_trip_with_sealed_keys() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let env = environments::insert(&mut conn, s.secrets(), &new_env("prod"))
            .await
            .unwrap();
        assert_eq!(env.name, "prod", "{}", t.label);
        assert_eq!(env.class, EnvClass::Production);
        assert_eq!(env.git_branch.as_deref(), Some("main"));
        let dup = environments::insert(&mut conn, s.secrets(), &new_env("prod"))
            .await
            .unwrap_err();
        assert!(
            dup.to_string().contains("'prod' already exists"),
            "{}: {dup}",
            t.label
        );
        assert_eq!(
            environments::api_key(&mut conn, s.secrets(), "prod")
                .await
                .unwrap(),
            "secret-key-123"
        );

        let raw: Vec<u8> =
            sqlx::query_scalar("SELECT api_key_enc FROM environments WHERE name = 'prod'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains("secret-key-123"),
            "{}: key stored in clear",
            t.label
        );

        let patch = EnvPatch {
            class: Some(EnvClass::Staging),
            api_key: Some("k2".into()),
            ..Default::default()
        };
        let updated = environments::update(&mut conn, s.secrets(), "prod", &patch)
            .await
            .unwrap();
        assert_eq!(updated.class, EnvClass::Staging);
        assert_eq!(updated.base_url, env.base_url);
        assert_eq!(
            environments::api_key(&mut conn, s.secrets(), "prod")
                .await
                .unwrap(),
            "k2"
        );

        assert_eq!(environments::list(&mut conn).await.unwrap().len(), 1);
        environments::delete(&mut conn, "prod").await.unwrap();
        let gone = environments::get(&mut conn, "prod").await.unwrap_err();
        assert!(
            gone.to_string().contains("no environment named 'prod'"),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn workflows_replace_list_and_changes() {
    for t in all().await {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let env = environments::insert(&mut tx, s.secrets(), &new_env("dev"))
            .await
            .unwrap();
        let set = vec![wf("1", "Alpha", "f1", true), wf("2", "Beta", "f2", false)];
        let claimant = bodies::Claimant {
            job_id: "job-1",
            env_id: env.id,
        };
        let texts = [
            ("h-f1", r#"{"id":"1"}"#),
            ("f1", r#"{"name":"Alpha"}"#),
            ("h-f2", r#"{"id":"2"}"#),
            ("f2", r#"{"name":"Beta"}"#),
        ];
        let texts = texts
            .iter()
            .map(|(h, b)| (h.to_string(), b.to_string()))
            .collect();
        bodies::put(&mut tx, claimant, texts).await.unwrap();
        workflows::apply_sync(&mut tx, env.id, Some("job-1"), set, &[], 10)
            .await
            .unwrap();
        bodies::release(&mut tx, claimant).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = s.conn().await.unwrap();
        let stored = workflows::stored(&mut conn, env.id).await.unwrap();
        assert_eq!(
            (stored["1"].name.as_str(), stored["1"].fingerprint.as_str()),
            ("Alpha", "f1"),
            "{}",
            t.label
        );
        assert_eq!(stored["1"].raw_hash, "h-f1");
        assert_eq!(stored["1"].credentials[0].name, "Slack");
        let active = workflows::list(
            &mut conn,
            &workflows::Filter {
                env: Some("dev".into()),
                active: Some(true),
            },
        )
        .await
        .unwrap();
        assert_eq!(active.len(), 1, "{}", t.label);
        assert_eq!(active[0].name, "Alpha");
        assert!(active[0].active);
        assert_eq!(active[0].tags, vec!["billing"]);
        let all_rows = workflows::list(&mut conn, &workflows::Filter::default())
            .await
            .unwrap();
        assert_eq!(all_rows.len(), 2);
        assert_eq!(workflows::counts(&mut conn).await.unwrap()[&env.id], (2, 1));
        let (row, raw, normalized) = workflows::get(&mut conn, "dev", "2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.name, "Beta");
        assert!(raw.contains(r#""id":"2""#) && normalized.contains("Beta"));

        let mut changed = wf("1", "Alpha", "f1b", true);
        changed.change = Change::Changed;
        let removed = [Removed {
            n8n_id: "2".into(),
            name: "Beta".into(),
            fingerprint: "f2".into(),
        }];
        workflows::apply_sync(
            &mut conn,
            env.id,
            Some("job-2"),
            vec![changed],
            &removed,
            20,
        )
        .await
        .unwrap();
        let rows = workflows::list(&mut conn, &workflows::Filter::default())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].change,
                rows[0].fingerprint.as_str(),
                rows[0].stored_at
            ),
            (Change::Changed, "f1b", 20)
        );

        // A sync that writes nothing marks what changed last time as unchanged.
        workflows::apply_sync(&mut conn, env.id, Some("job-3"), vec![], &[], 30)
            .await
            .unwrap();
        let rows = workflows::list(&mut conn, &workflows::Filter::default())
            .await
            .unwrap();
        assert_eq!(
            (rows[0].change, rows[0].stored_at),
            (Change::Unchanged, 20),
            "{}",
            t.label
        );
        let history: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM workflow_changes WHERE job_id = 'job-2'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(history, 2, "{}: one changed + one removed", t.label);
    }
}

#[tokio::test]
async fn bodies_are_kept_while_claimed_or_referenced() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let env = environments::insert(&mut conn, s.secrets(), &new_env("prod"))
            .await
            .unwrap();
        let a = bodies::Claimant {
            job_id: "ja",
            env_id: env.id,
        };
        let b = bodies::Claimant {
            job_id: "jb",
            env_id: env.id,
        };
        let body = |h: &str| vec![(h.to_string(), format!("body of {h}"))];
        bodies::put(&mut conn, a, body("h-f1")).await.unwrap();
        bodies::put(&mut conn, a, body("f1")).await.unwrap();
        bodies::put(&mut conn, b, body("shared")).await.unwrap();
        bodies::put(&mut conn, a, body("shared")).await.unwrap();
        workflows::apply_sync(
            &mut conn,
            env.id,
            None,
            vec![wf("1", "One", "f1", false)],
            &[],
            1,
        )
        .await
        .unwrap();
        bodies::release(&mut conn, a).await.unwrap();
        let all_hashes = ["h-f1".to_string(), "f1".into(), "shared".into()];
        bodies::collect(&mut conn, &all_hashes).await.unwrap();
        assert!(
            bodies::get(&mut conn, "h-f1").await.unwrap().is_some(),
            "{}: referenced",
            t.label
        );
        assert!(
            bodies::get(&mut conn, "shared").await.unwrap().is_some(),
            "{}: claimed by jb",
            t.label
        );
        bodies::abandon(&mut conn, b).await.unwrap();
        assert!(
            bodies::get(&mut conn, "shared").await.unwrap().is_none(),
            "{}: abandoned",
            t.label
        );
        let (_, raw, normalized) = workflows::get(&mut conn, "prod", "1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (raw.as_str(), normalized.as_str()),
            ("body of h-f1", "body of f1")
        );
    }
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_nothing() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let env = environments::insert(&mut conn, s.secrets(), &new_env("stg"))
            .await
            .unwrap();
        workflows::apply_sync(
            &mut conn,
            env.id,
            None,
            vec![wf("1", "Keep", "f1", false)],
            &[],
            1,
        )
        .await
        .unwrap();
        drop(conn);
        {
            let mut tx = s.begin().await.unwrap();
            let removed = [Removed {
                n8n_id: "1".into(),
                name: "Keep".into(),
                fingerprint: "f1".into(),
            }];
            workflows::apply_sync(
                &mut tx,
                env.id,
                None,
                vec![wf("9", "New", "f9", false)],
                &removed,
                2,
            )
            .await
            .unwrap();
            tx.rollback().await.unwrap();
        }
        let mut conn = s.conn().await.unwrap();
        let rows = workflows::list(&mut conn, &workflows::Filter::default())
            .await
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            vec!["Keep"],
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn inventory_replaces_per_environment() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let a = environments::insert(&mut conn, s.secrets(), &new_env("a"))
            .await
            .unwrap();
        let b = environments::insert(&mut conn, s.secrets(), &new_env("b"))
            .await
            .unwrap();
        let cred = CredentialRow {
            n8n_id: None,
            name: "Slack".into(),
            cred_type: "slackApi".into(),
            source: "nodes".into(),
            used_by: 2,
        };
        let tag = TagRow {
            n8n_id: "t1".into(),
            name: "ops".into(),
        };
        let user = UserRow {
            n8n_id: "u1".into(),
            email: Some("owner@example.test".into()),
            first_name: None,
            last_name: None,
            role: Some("global:owner".into()),
            is_pending: false,
        };
        let exec = ExecutionRow {
            n8n_id: "41".into(),
            workflow_id: Some("1".into()),
            status: "error".into(),
            mode: Some("trigger".into()),
            started_at: Some("2026-01-01T00:00:00Z".into()),
            stopped_at: None,
            finished: false,
            retry_of: None,
        };
        for env in [a.id, b.id] {
            inventory::replace_credentials(&mut conn, env, std::slice::from_ref(&cred))
                .await
                .unwrap();
            inventory::replace_tags(&mut conn, env, std::slice::from_ref(&tag))
                .await
                .unwrap();
            inventory::replace_users(&mut conn, env, std::slice::from_ref(&user))
                .await
                .unwrap();
            inventory::replace_executions(&mut conn, env, std::slice::from_ref(&exec))
                .await
                .unwrap();
        }
        inventory::replace_tags(&mut conn, a.id, &[]).await.unwrap();
        assert_eq!(
            inventory::counts(&mut conn, a.id).await.unwrap(),
            [1, 0, 1, 1],
            "{}",
            t.label
        );
        assert_eq!(
            inventory::counts(&mut conn, b.id).await.unwrap(),
            [1, 1, 1, 1],
            "{}",
            t.label
        );
        assert_eq!(
            inventory::credentials(&mut conn, b.id).await.unwrap(),
            vec![cred.clone()]
        );
        assert_eq!(
            inventory::users(&mut conn, b.id).await.unwrap(),
            vec![user.clone()]
        );
        assert_eq!(
            inventory::executions(&mut conn, b.id, 10).await.unwrap(),
            vec![exec.clone()]
        );
        assert_eq!(
            inventory::tags(&mut conn, b.id).await.unwrap(),
            vec![tag.clone()]
        );
        environments::delete(&mut conn, "b").await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM executions")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            left, 1,
            "{}: removing an environment removes its data",
            t.label
        );
    }
}

#[tokio::test]
async fn jobs_and_logs() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let job = JobRow {
            id: "j1".into(),
            kind: "sync".into(),
            title: "sync prod".into(),
            state: JobState::Queued,
            actor: "ops".into(),
            request: serde_json::json!({"envs": ["prod"]}),
            phase: None,
            done: 0,
            total: 0,
            created_at: 5,
            started_at: None,
            finished_at: None,
            result: None,
            error: None,
        };
        jobs::insert(&mut conn, &job, None).await.unwrap();
        jobs::set_state(&mut conn, "j1", JobState::Running, 6)
            .await
            .unwrap();
        jobs::set_progress(&mut conn, "j1", "workflows", 3, 10)
            .await
            .unwrap();
        jobs::log(&mut conn, "j1", LogLevel::Warn, "slow page", 7)
            .await
            .unwrap();
        let got = jobs::get(&mut conn, "j1").await.unwrap().unwrap();
        assert_eq!(
            (got.state, got.done, got.total, got.started_at),
            (JobState::Running, 3, 10, Some(6)),
            "{}",
            t.label
        );
        jobs::finish(
            &mut conn,
            "j1",
            JobState::Succeeded,
            Some(&serde_json::json!({"ok": 1})),
            None,
            8,
        )
        .await
        .unwrap();
        let got = jobs::get(&mut conn, "j1").await.unwrap().unwrap();
        assert_eq!(got.result, Some(serde_json::json!({"ok": 1})));
        assert_eq!(
            jobs::logs(&mut conn, "j1").await.unwrap()[0].message,
            "slow page"
        );
        // j2 and j3 run; only the one whose runner is gone is interrupted.
        for (id, runner) in [("j2", "dead"), ("j3", "alive")] {
            jobs::insert(
                &mut conn,
                &JobRow {
                    id: id.into(),
                    created_at: 9,
                    ..job.clone()
                },
                Some(runner),
            )
            .await
            .unwrap();
        }
        assert_eq!(
            jobs::mark_interrupted(&mut conn, 10, |r| r == Some("dead"))
                .await
                .unwrap(),
            1,
            "{}",
            t.label
        );
        let list = jobs::list(&mut conn, 10).await.unwrap();
        let of = |id: &str| list.iter().find(|j| j.id == id).unwrap().state;
        assert_eq!(of("j2"), JobState::Interrupted);
        assert_ne!(
            of("j3"),
            JobState::Interrupted,
            "a live process's job goes on"
        );
    }
}

#[tokio::test]
async fn audit_events_newest_first_and_filtered() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        for (env, outcome) in [
            (Some("prod"), Outcome::Ok),
            (Some("dev"), Outcome::Error),
            (None, Outcome::Ok),
        ] {
            let event = NewAuditEvent {
                actor: "ops",
                action: "env.add",
                env,
                workflow: None,
                outcome,
                detail: None,
            };
            audit::record(&mut conn, &event).await.unwrap();
        }
        let prod = audit::list(&mut conn, Some("prod"), 10).await.unwrap();
        assert_eq!(prod.len(), 1, "{}", t.label);
        let all_events = audit::list(&mut conn, None, 2).await.unwrap();
        assert_eq!(all_events.len(), 2);
        assert_eq!(all_events[0].env, None);
        assert_eq!(all_events[1].outcome, Outcome::Error);
    }
}

#[tokio::test]
async fn reopening_keeps_data_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    {
        let s = Store::open_sqlite(&path, SecretBox::from_key(&[1; 32]))
            .await
            .unwrap();
        let mut c = s.conn().await.unwrap();
        environments::insert(&mut c, s.secrets(), &new_env("keep"))
            .await
            .unwrap();
        drop(c);
        s.close().await;
    }
    let s = Store::open_sqlite(&path, SecretBox::from_key(&[1; 32]))
        .await
        .unwrap();
    let mut c = s.conn().await.unwrap();
    assert_eq!(environments::list(&mut c).await.unwrap().len(), 1);
    let other = SecretBox::from_key(&[2; 32]);
    let err = environments::api_key(&mut c, &other, "keep")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("api-key:keep") && err.contains("wrong master key"),
        "{err}"
    );
}

#[test]
fn urls_are_redacted() {
    assert_eq!(
        redact_url("postgres://u:pw@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
}

#[test]
fn placeholders_number_every_value() {
    assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    assert_eq!(placeholders(1, 1), "($1)");
}
