//! The canonical-state operations against simulated instances: snapshots and backups,
//! untracked workflows and onboarding, reconcile, the repository's status and push,
//! and what the catalog shows of it all.

use super::test_fixture::{Fixture, generated, sync};
use super::*;
use crate::domain::canonical::{EnvMapping, mapping_path};
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::git::{Change, GitStore};
use crate::sim::SimOptions;
use crate::store::drift::{self, DriftCheckRow, DriftResultRow};
use serde::de::DeserializeOwned;
use serde_json::json;

mod git;
mod onboarding;
mod reconcile;
mod snapshots;

/// Instances registered as environments (in the order given), synced once.
async fn fixture(envs: &[(&str, EnvClass, SimOptions)]) -> Fixture {
    fixture_with(Fixture::builder(), envs).await
}

async fn fixture_with(
    mut builder: super::test_fixture::FixtureBuilder,
    envs: &[(&str, EnvClass, SimOptions)],
) -> Fixture {
    for (name, class, options) in envs {
        builder = builder.env(name, *class, options.clone());
    }
    let f = builder.build().await;
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert!(job.error.is_none(), "first sync: {:?}", job.error);
    f
}

/// Follows a job started just now (`events` taken before it) to its end.
async fn finish(f: &Fixture, events: EventStream, started: JobStarted) -> JobView {
    follow_job(&f.ops, events, &started.job_id, |_| {})
        .await
        .expect("follow the job")
}

/// A job's result as `T`.
fn result<T: DeserializeOwned>(job: &JobView) -> T {
    let value = job
        .result
        .clone()
        .unwrap_or_else(|| panic!("job {} has no result: {:?}", job.kind, job.error));
    serde_json::from_value(value).expect("the job's result")
}

/// Takes a snapshot of `env` and returns it (the job must succeed).
async fn snapshot(f: &Fixture, env: &str, message: Option<&str>) -> (SnapshotView, JobView) {
    let events = f.ops.subscribe();
    let started = f
        .ops
        .snapshot_create(SnapshotCreate {
            env: env.into(),
            message: message.map(str::to_owned),
        })
        .await
        .expect("start the snapshot");
    let job = finish(f, events, started).await;
    assert!(job.error.is_none(), "snapshot of {env}: {:?}", job.error);
    assert_eq!(job.kind, "snapshot");
    (result(&job), job)
}

/// Onboards and follows the job to its end.
async fn onboard(f: &Fixture, req: OnboardRequest) -> (OnboardReport, JobView) {
    let events = f.ops.subscribe();
    let started = f.ops.onboard(req).await.expect("start onboarding");
    let job = finish(f, events, started).await;
    assert!(job.error.is_none(), "onboarding: {:?}", job.error);
    (result(&job), job)
}

/// The repository the fixture's operations write.
async fn repo(f: &Fixture) -> GitStore {
    f.ops.git().await.expect("the canonical repository")
}

/// `env`'s mapping file at `rev` (None: the branch head), parsed.
async fn mapping_at(f: &Fixture, env: &str, rev: Option<&str>) -> EnvMapping {
    let bytes = repo(f)
        .await
        .read(rev, &mapping_path(env))
        .expect("read the mapping")
        .unwrap_or_else(|| panic!("no mapping file of {env}"));
    EnvMapping::parse(&bytes, &mapping_path(env), env).expect("a mapping file")
}

/// One commit made by hand on the branch (what a person's merged pull request does).
async fn commit_by_hand(f: &Fixture, change: Change) -> String {
    let git = repo(f).await;
    tokio::task::spawn_blocking(move || git.commit(&change))
        .await
        .expect("join")
        .expect("commit")
        .expect("a commit was made")
        .id
}

/// The audit entries of `action`, newest first.
async fn audited(f: &Fixture, action: &str) -> Vec<AuditEntry> {
    f.ops
        .audit_list(AuditQuery {
            env: None,
            limit: Some(500),
        })
        .await
        .expect("audit")
        .into_iter()
        .filter(|a| a.action == action)
        .collect()
}

async fn workflows(f: &Fixture, env: &str) -> Vec<WorkflowSummary> {
    f.ops
        .workflows_list(WorkflowQuery {
            env: Some(env.into()),
            ..Default::default()
        })
        .await
        .expect("list workflows")
}

#[tokio::test]
async fn the_catalog_shows_canonical_ids_and_the_latest_drift() {
    let f = fixture(&[
        ("dev", EnvClass::Development, generated(61, 5)),
        ("prod", EnvClass::Production, generated(62, 6)),
    ])
    .await;
    // Nothing recorded or checked yet.
    for w in f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap()
    {
        assert_eq!((w.canonical_id, w.drift), (None, None), "{}", w.name);
    }
    snapshot(&f, "prod", None).await;
    let mapping = mapping_at(&f, "prod", None).await;
    let listed = workflows(&f, "prod").await;
    let drifted = listed[2].clone();
    let check = DriftCheckRow {
        id: 0,
        env: "prod".into(),
        checked_at: crate::store::now_ms(),
        head: None,
        error: None,
        in_sync: 5,
        drifted: 1,
        missing: 0,
        untracked: 0,
        unknown: 0,
    };
    let row = DriftResultRow {
        status: DriftStatus::Drifted,
        canonical_id: None,
        n8n_id: Some(drifted.id.clone()),
        name: drifted.name.clone(),
        expected: None,
        live: None,
        summary: None,
    };
    let mut conn = f.ops.store().conn().await.unwrap();
    drift::record(&mut conn, &check, &[row]).await.unwrap();
    drop(conn);

    let all = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 11);
    let by_n8n = mapping.by_n8n_id();
    for w in &all {
        if w.env == "dev" {
            assert_eq!((&w.canonical_id, w.drift), (&None, None), "{}", w.name);
            continue;
        }
        let expected = by_n8n.get(w.id.as_str()).map(|s| s.to_string());
        assert!(expected.is_some(), "{} is mapped", w.name);
        assert_eq!(w.canonical_id, expected, "{}", w.name);
        let status = if w.id == drifted.id {
            DriftStatus::Drifted
        } else {
            DriftStatus::InSync
        };
        assert_eq!(w.drift, Some(status), "{}", w.name);
    }

    // A check that could not fetch the environment: what has no row is UNKNOWN.
    let mut conn = f.ops.store().conn().await.unwrap();
    let failed = DriftCheckRow {
        error: Some("prod: unreachable".into()),
        ..check
    };
    drift::record(&mut conn, &failed, &[]).await.unwrap();
    drop(conn);
    for w in workflows(&f, "prod").await {
        assert_eq!(w.drift, Some(DriftStatus::Unknown), "{}", w.name);
    }
}

#[tokio::test]
async fn the_catalog_works_when_the_repository_cannot_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_repo = dir.path().join("canonical.git");
    std::fs::write(&not_a_repo, "not a repository").unwrap();
    let git = crate::config::GitConfig {
        path: Some(not_a_repo),
        ..Default::default()
    };
    let f = fixture_with(
        Fixture::builder().git(git),
        &[("prod", EnvClass::Production, generated(63, 4))],
    )
    .await;
    let listed = workflows(&f, "prod").await;
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|w| w.canonical_id.is_none()));
    // The operations that need the repository say which one they could not open.
    let err = f.ops.git_status().await.unwrap_err();
    assert!(err.message.contains("canonical.git"), "{err}");
}
