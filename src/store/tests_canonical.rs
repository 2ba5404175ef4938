//! The canonical-state tables (drift checks and results, named secrets), on every backend
//! available (see test_support).

use super::drift::{self, DriftCheckRow, DriftResultRow};
use super::environments::{self, NewEnv};
use super::secrets;
use super::test_support::all;
use super::{StoreError, Tx};
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use sqlx::Row;

fn check(env: &str, checked_at: i64, counts: [i64; 5]) -> DriftCheckRow {
    let [in_sync, drifted, missing, untracked, unknown] = counts;
    DriftCheckRow {
        id: 0,
        env: env.into(),
        checked_at,
        head: Some(format!("{checked_at:040x}")),
        error: None,
        in_sync,
        drifted,
        missing,
        untracked,
        unknown,
    }
}

fn result(status: DriftStatus, n: usize) -> DriftResultRow {
    let tracked = status != DriftStatus::Untracked;
    let live = !matches!(status, DriftStatus::Missing | DriftStatus::Unknown);
    DriftResultRow {
        status,
        canonical_id: tracked.then(|| format!("workflow-{n}")),
        n8n_id: Some(format!("{n}")),
        name: format!("Workflow {n}"),
        expected: tracked.then(|| format!("fp-expected-{n}")),
        live: live.then(|| format!("fp-live-{n}")),
        summary: (status == DriftStatus::Drifted)
            .then(|| format!(r#"{{"changes":{n},"lines":["node 'HTTP' changed"]}}"#)),
    }
}

/// Records in a transaction, as the service does.
async fn record(store: &super::Store, check: &DriftCheckRow, results: &[DriftResultRow]) -> i64 {
    let mut tx: Tx = store.begin().await.unwrap();
    let id = drift::record(&mut tx, check, results).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn count_results(conn: &mut sqlx::AnyConnection, check_id: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM drift_results WHERE check_id = $1")
        .bind(check_id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[test]
fn drift_status_text_is_its_serde_form() {
    for status in DriftStatus::ALL {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
        assert_eq!(DriftStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(DriftStatus::parse("in_sync"), None);
    assert_eq!(DriftStatus::parse(""), None);
}

#[tokio::test]
async fn drift_checks_round_trip_replacing_results_and_keeping_history() {
    for t in all().await {
        let s = &t.store;
        let first_results = vec![
            result(DriftStatus::InSync, 1),
            result(DriftStatus::Drifted, 2),
            result(DriftStatus::Untracked, 3),
            result(DriftStatus::Missing, 4),
        ];
        let first = check("prod", 1_000, [1, 1, 1, 1, 0]);
        let first_id = record(s, &first, &first_results).await;
        let dev_results = vec![result(DriftStatus::Unknown, 9)];
        let mut dev = check("dev", 1_500, [0, 0, 0, 0, 1]);
        dev.head = None;
        dev.error = Some("cannot reach dev: connection refused".into());
        let dev_id = record(s, &dev, &dev_results).await;

        let mut conn = s.conn().await.unwrap();
        let latest = drift::latest(&mut conn, None).await.unwrap();
        let with_id = |mut c: DriftCheckRow, id| {
            c.id = id;
            c
        };
        assert_eq!(
            latest,
            vec![
                (with_id(dev.clone(), dev_id), dev_results.clone()),
                (with_id(first.clone(), first_id), first_results.clone()),
            ],
            "{}",
            t.label
        );

        // A second check of prod replaces prod's results, not dev's, and keeps the
        // first check's counts as history.
        let second_results = vec![result(DriftStatus::Drifted, 2)];
        let second = check("prod", 2_000, [3, 1, 0, 0, 0]);
        let second_id = record(s, &second, &second_results).await;
        assert!(second_id > first_id, "{}", t.label);
        let prod = drift::latest(&mut conn, Some("prod")).await.unwrap();
        assert_eq!(
            prod,
            vec![(with_id(second.clone(), second_id), second_results)],
            "{}",
            t.label
        );
        assert_eq!(count_results(&mut conn, first_id).await, 0, "{}", t.label);
        assert_eq!(count_results(&mut conn, dev_id).await, 1, "{}", t.label);

        let history = drift::history(&mut conn, "prod", 10).await.unwrap();
        assert_eq!(
            history,
            vec![with_id(second.clone(), second_id), with_id(first, first_id)],
            "{}",
            t.label
        );
        let newest = drift::history(&mut conn, "prod", 1).await.unwrap();
        assert_eq!(newest, vec![with_id(second, second_id)], "{}", t.label);
        assert!(
            drift::history(&mut conn, "qa", 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            drift::latest(&mut conn, Some("qa"))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn removing_an_environment_keeps_its_drift_history() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let env = NewEnv {
            name: "prod".into(),
            base_url: "http://127.0.0.1:5678".into(),
            api_key: "k".into(),
            class: EnvClass::Production,
            git_repo: None,
            git_branch: None,
        };
        environments::insert(&mut conn, s.secrets(), &env)
            .await
            .unwrap();
        drop(conn);
        let id = record(
            s,
            &check("prod", 1_000, [1, 0, 0, 0, 0]),
            &[result(DriftStatus::InSync, 1)],
        )
        .await;
        let mut conn = s.conn().await.unwrap();
        environments::delete(&mut conn, "prod").await.unwrap();
        let latest = drift::latest(&mut conn, Some("prod")).await.unwrap();
        assert_eq!(latest.len(), 1, "{}", t.label);
        assert_eq!((latest[0].0.id, latest[0].1.len()), (id, 1), "{}", t.label);
    }
}

#[tokio::test]
async fn ten_thousand_results_are_stored_and_read_back_in_order() {
    for t in all().await {
        let results: Vec<DriftResultRow> = (0..10_000)
            .map(|n| result(DriftStatus::ALL[n % DriftStatus::ALL.len()], n))
            .collect();
        let id = record(&t.store, &check("prod", 1_000, [2_000; 5]), &results).await;
        let mut conn = t.store.conn().await.unwrap();
        assert_eq!(count_results(&mut conn, id).await, 10_000, "{}", t.label);
        let latest = drift::latest(&mut conn, Some("prod")).await.unwrap();
        assert_eq!(latest.len(), 1, "{}", t.label);
        assert_eq!(latest[0].0.id, id);
        assert!(latest[0].1 == results, "{}: results differ", t.label);
    }
}

#[tokio::test]
async fn an_unknown_status_in_the_store_is_an_error_naming_it() {
    for t in all().await {
        let id = record(
            &t.store,
            &check("prod", 1_000, [0, 1, 0, 0, 0]),
            &[result(DriftStatus::Drifted, 1)],
        )
        .await;
        let mut conn = t.store.conn().await.unwrap();
        sqlx::query("UPDATE drift_results SET status = 'SIDEWAYS' WHERE check_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
        let err = drift::latest(&mut conn, None).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(_)),
            "{}: {err:?}",
            t.label
        );
        let message = err.to_string();
        assert!(
            message.contains("'SIDEWAYS'") && message.contains("'prod'"),
            "{}: {message}",
            t.label
        );
        // The counts alone still read.
        assert_eq!(drift::history(&mut conn, "prod", 5).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn secrets_are_sealed_overwritten_and_cleared() {
    for t in all().await {
        let s = &t.store;
        let mut conn = s.conn().await.unwrap();
        let token = "ghp_TopSecretToken0123456789";
        assert_eq!(
            secrets::get(&mut conn, s.secrets(), "git-token")
                .await
                .unwrap(),
            None,
            "{}",
            t.label
        );
        secrets::set(&mut conn, s.secrets(), "git-token", token)
            .await
            .unwrap();
        assert_eq!(
            secrets::get(&mut conn, s.secrets(), "git-token")
                .await
                .unwrap()
                .as_deref(),
            Some(token),
            "{}",
            t.label
        );

        // Never stored in clear.
        let row = sqlx::query("SELECT value_enc FROM secrets WHERE name = 'git-token'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let raw: Vec<u8> = row.try_get("value_enc").unwrap();
        assert!(raw.len() > token.len(), "{}", t.label);
        assert!(
            !raw.windows(token.len()).any(|w| w == token.as_bytes()),
            "{}: the token is in clear",
            t.label
        );

        // Bound to its name: the same ciphertext under another name does not open.
        sqlx::query("INSERT INTO secrets (name, value_enc, updated_at) VALUES ('other', $1, 0)")
            .bind(raw)
            .execute(&mut *conn)
            .await
            .unwrap();
        let err = secrets::get(&mut conn, s.secrets(), "other")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("secret:other"),
            "{}: {err}",
            t.label
        );

        let rotated = "ghp_Rotated9876543210";
        secrets::set(&mut conn, s.secrets(), "git-token", rotated)
            .await
            .unwrap();
        assert_eq!(
            secrets::get(&mut conn, s.secrets(), "git-token")
                .await
                .unwrap()
                .as_deref(),
            Some(rotated),
            "{}",
            t.label
        );
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE name = 'git-token'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(rows, 1, "{}", t.label);

        assert!(secrets::clear(&mut conn, "git-token").await.unwrap());
        assert!(!secrets::clear(&mut conn, "git-token").await.unwrap());
        assert_eq!(
            secrets::get(&mut conn, s.secrets(), "git-token")
                .await
                .unwrap(),
            None,
            "{}",
            t.label
        );
    }
}
