//! Drift checks against simulated instances: a recorded environment is all IN_SYNC;
//! each kind of hand edit is found as exactly what it is, with a summary that names
//! it; an unreachable environment is UNKNOWN; results are stored; the whole corpus
//! gives zero false drift; and the schedule runs checks on its own.

use super::test_fixture::{Fixture, KEY, backup, drift_check, generated, sync};
use super::*;
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::job::JobState;
use crate::domain::writable::writable_body;
use crate::sim::{self, Fault, SimOptions};
use crate::store::audit::Outcome;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// One environment's drift as (status, name) pairs, in report order.
fn statuses(e: &EnvDrift) -> Vec<(DriftStatus, String)> {
    e.items.iter().map(|i| (i.status, i.name.clone())).collect()
}

/// The first workflow of `sim` (in list order) that `pick` accepts and `skip` does not
/// hold: its id and GET view.
fn pick(sim: &sim::SimHandle, skip: &[String], accept: impl Fn(&Value) -> bool) -> (String, Value) {
    sim.workflow_ids()
        .into_iter()
        .filter(|id| !skip.contains(id))
        .find_map(|id| {
            let w = sim.workflow(&id)?;
            accept(&w).then_some((id, w))
        })
        .expect("a workflow to edit")
}

fn has_credentials(w: &Value) -> bool {
    w["nodes"].as_array().into_iter().flatten().any(|n| {
        n.get("credentials")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty())
    })
}

fn name_of(w: &Value) -> String {
    w["name"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_recorded_environment_is_in_sync_and_each_hand_edit_is_found() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(41, 30))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    backup(&f.ops, "prod").await;

    let (job, report) = drift_check(&f.ops, &["prod"], true).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert_eq!(job.kind, "drift");
    assert_eq!(report.envs.len(), 1);
    let prod = &report.envs[0];
    assert_eq!(prod.counts.in_sync, 30, "{:?}", prod.items);
    assert!(prod.items.is_empty() && prod.error.is_none());
    assert_eq!(report.exit_code(), 0);

    // Edits by hand in the instance.
    let sim = f.sim("prod");
    let mut used = Vec::new();
    let (param_id, param) = pick(sim, &used, |_| true);
    used.push(param_id.clone());
    let param_node = param["nodes"][0]["name"].as_str().unwrap().to_owned();
    sim.edit_workflow(&param_id, |body| {
        body["nodes"][0]["parameters"]["n8nopsProbe"] = json!("edited by hand");
    })
    .unwrap();
    let (cred_id, _) = pick(sim, &used, has_credentials);
    used.push(cred_id.clone());
    sim.edit_workflow(&cred_id, |body| {
        for node in body["nodes"].as_array_mut().unwrap() {
            if let Some(creds) = node.get_mut("credentials").and_then(Value::as_object_mut) {
                // Another credential (n8n keeps a reference whose id and name it
                // does not know as sent; a known id would get its own name back).
                for reference in creds.values_mut() {
                    *reference = json!({"id": "n8nops-other", "name": "Someone else's account"});
                }
            }
        }
    })
    .unwrap();
    let (renamed_id, renamed) = pick(sim, &used, |_| true);
    used.push(renamed_id.clone());
    let old_name = name_of(&renamed);
    let new_name = format!("{old_name} (renamed by hand)");
    sim.edit_workflow(&renamed_id, |body| body["name"] = json!(new_name))
        .unwrap();
    let (deleted_id, deleted) = pick(sim, &used, |_| true);
    used.push(deleted_id.clone());
    assert!(sim.delete_workflow(&deleted_id));
    let mut body = writable_body(&sim.workflow(&used[0]).unwrap());
    body["name"] = json!("Made by hand");
    let created_id = sim.create_workflow(&body).unwrap();

    // Without a fetch, the check compares with the last sync: nothing changed there,
    // and the instance is not asked.
    let requests = sim.request_count();
    let (_, stale) = drift_check(&f.ops, &["prod"], false).await;
    assert_eq!(stale.exit_code(), 0, "{:?}", stale.envs[0].items);
    assert_eq!(sim.request_count(), requests);

    let (job, report) = drift_check(&f.ops, &[], true).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let prod = &report.envs[0];
    assert_eq!(
        prod.counts,
        DriftCounts {
            in_sync: 26,
            drifted: 3,
            missing: 1,
            untracked: 1,
            unknown: 0
        }
    );
    assert_eq!(report.exit_code(), 1);
    let by_id = |id: &str| {
        prod.items
            .iter()
            .find(|i| i.n8n_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("workflow {id} in {:#?}", prod.items))
    };
    let summary = |id: &str| by_id(id).summary.clone().expect("a summary");

    let edited = by_id(&param_id);
    assert_eq!(edited.status, DriftStatus::Drifted);
    assert!(edited.canonical_id.is_some());
    assert_ne!(edited.expected, edited.live);
    assert!(
        summary(&param_id).lines.contains(&format!(
            "node '{param_node}' changed: parameters.n8nopsProbe"
        )),
        "{:?}",
        summary(&param_id)
    );
    assert_eq!(by_id(&cred_id).status, DriftStatus::Drifted);
    let cred_summary = summary(&cred_id);
    assert!(
        cred_summary
            .lines
            .iter()
            .any(|l| l.contains("changed: credentials.")),
        "{cred_summary:?}"
    );
    assert_eq!(cred_summary.risk, Some(crate::domain::diff::Risk::High));
    assert_eq!(by_id(&renamed_id).status, DriftStatus::Drifted);
    assert_eq!(by_id(&renamed_id).name, new_name);
    let rename = summary(&renamed_id);
    assert_eq!(rename.renamed_from.as_deref(), Some(old_name.as_str()));
    assert_eq!(
        rename.lines,
        vec![format!("renamed from {old_name} to {new_name}")]
    );
    let missing = by_id(&deleted_id);
    assert_eq!(missing.status, DriftStatus::Missing);
    assert_eq!(missing.name, name_of(&deleted));
    assert!(missing.live.is_none() && missing.summary.is_none());
    let untracked = by_id(&created_id);
    assert_eq!(untracked.status, DriftStatus::Untracked);
    assert_eq!(untracked.name, "Made by hand");
    assert!(untracked.canonical_id.is_none() && untracked.expected.is_none());
    // Sorted by status, then name.
    let order: Vec<DriftStatus> = prod.items.iter().map(|i| i.status).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    // Stored: the latest check reads back as it was reported.
    let latest = f.ops.drift_latest(Some("prod".into())).await.unwrap();
    assert_eq!(latest, report.envs);
    assert_eq!(f.ops.drift_latest(None).await.unwrap(), report.envs);
    let mut conn = f.ops.store.conn().await.unwrap();
    let history = crate::store::drift::history(&mut conn, "prod", 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].drifted, 3);
    assert!(history[0].head.is_some());
    drop(conn);

    // A check without a fetch now compares with the sync the last check made.
    let (_, again) = drift_check(&f.ops, &["prod"], false).await;
    assert_eq!(statuses(&again.envs[0]), statuses(prod));
    assert_eq!(again.envs[0].items, prod.items);

    // Audited with the counts.
    let audit = f
        .ops
        .audit_list(AuditQuery {
            env: Some("prod".into()),
            limit: Some(50),
        })
        .await
        .unwrap();
    let checks: Vec<&AuditEntry> = audit.iter().filter(|a| a.action == "drift.check").collect();
    assert_eq!(checks.len(), 4);
    assert!(checks.iter().all(|a| a.outcome == Outcome::Ok));
    assert!(
        checks.iter().any(|a| a
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("26 in sync · 3 drifted · 1 missing · 1 untracked"))),
        "{checks:?}"
    );
}

#[tokio::test]
async fn an_unreachable_environment_is_unknown_and_the_others_are_checked() {
    let f = Fixture::builder()
        .env("stage", EnvClass::Staging, generated(42, 12))
        .env("prod", EnvClass::Production, generated(43, 10))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    backup(&f.ops, "stage").await;
    backup(&f.ops, "prod").await;
    f.sim("prod").set_faults(Fault::status(500));

    let (job, report) = drift_check(&f.ops, &["prod", "stage"], true).await;
    // The check itself worked: what it found is that prod is UNKNOWN.
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert_eq!(report.exit_code(), 2);
    let names: Vec<&str> = report.envs.iter().map(|e| e.env.as_str()).collect();
    assert_eq!(names, ["prod", "stage"]);
    let prod = &report.envs[0];
    let error = prod.error.as_deref().expect("why prod is unknown");
    assert!(error.contains("prod"), "{error}");
    assert_eq!(prod.counts.unknown, 10);
    assert_eq!(prod.items.len(), 10);
    assert!(
        prod.items.iter().all(|i| i.status == DriftStatus::Unknown
            && i.canonical_id.is_some()
            && i.live.is_none())
    );
    let stage = &report.envs[1];
    assert_eq!((stage.counts.in_sync, stage.items.len()), (12, 0));

    let latest = f.ops.drift_latest(Some("prod".into())).await.unwrap();
    assert_eq!(latest, vec![prod.clone()]);

    // Reachable again: back in sync, and the stored results are the new ones.
    f.sim("prod").clear_faults();
    let (_, report) = drift_check(&f.ops, &["prod"], true).await;
    assert_eq!(report.exit_code(), 0);
    let latest = f.ops.drift_latest(Some("prod".into())).await.unwrap();
    assert!(latest[0].items.is_empty() && latest[0].error.is_none());
}

#[tokio::test]
async fn without_a_canonical_state_everything_is_untracked() {
    let f = Fixture::builder()
        .env("dev", EnvClass::Development, generated(44, 7))
        .build()
        .await;
    let (job, report) = drift_check(&f.ops, &["dev"], true).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let dev = &report.envs[0];
    assert_eq!(dev.counts.untracked, 7);
    assert!(dev.items.iter().all(|i| i.status == DriftStatus::Untracked));
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn unknown_environments_are_refused_before_anything_starts() {
    let f = Fixture::builder()
        .env("dev", EnvClass::Development, generated(45, 3))
        .build()
        .await;
    let err = f
        .ops
        .drift_check(DriftCheckRequest {
            envs: vec!["dev".into(), "nope".into()],
            fetch: true,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("'nope'"), "{}", err.message);
    assert!(
        f.ops
            .jobs_list(JobQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let err = f.ops.drift_latest(Some("nope".into())).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        f.ops
            .drift_latest(Some("dev".into()))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Zero false drift: every workflow of the corpus, recorded then fetched again
/// unchanged, is IN_SYNC.
#[tokio::test]
async fn the_whole_corpus_recorded_and_fetched_again_is_in_sync() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED the_whole_corpus_recorded_and_fetched_again_is_in_sync: {} does not exist",
            dir.display()
        );
        return;
    }
    let seed = sim::load_seed_dir(&dir).unwrap();
    let count = seed.workflows.len();
    assert!(count > 2_000, "{count} workflows seeded");
    let options = SimOptions {
        api_key: KEY.into(),
        workflows: seed.workflows,
        ..SimOptions::default()
    };
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, options)
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    backup(&f.ops, "prod").await;
    let (job, report) = drift_check(&f.ops, &["prod"], true).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let prod = &report.envs[0];
    let not_in_sync: Vec<(DriftStatus, String)> = statuses(prod).into_iter().take(10).collect();
    assert_eq!(
        prod.counts.in_sync, count,
        "first ones not in sync: {not_in_sync:?}"
    );
    assert!(prod.items.is_empty());
    assert_eq!(report.exit_code(), 0);
}

#[tokio::test]
async fn the_schedule_checks_scheduled_classes_on_its_own() {
    let f = Fixture::builder()
        .env("dev", EnvClass::Development, generated(46, 4))
        .env("prod", EnvClass::Production, generated(47, 5))
        .build()
        .await;
    assert!(sync(&f.ops, SyncRequest::default()).await.error.is_none());
    backup(&f.ops, "prod").await;
    let mut ops = f.ops.clone();
    ops.settings.drift = crate::config::DriftConfig {
        development_mins: 0,
        staging_mins: 0,
        production_mins: 1,
        jitter: 0.1,
    };
    // A "minute" of 100 ms.
    let schedule = tokio::spawn(
        ops.clone()
            .run_drift_schedule(Duration::from_millis(100), sim::Rng::new(5)),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let checks = loop {
        let mut conn = ops.store.conn().await.unwrap();
        let history = crate::store::drift::history(&mut conn, "prod", 10)
            .await
            .unwrap();
        drop(conn);
        if history.len() >= 2 || tokio::time::Instant::now() > deadline {
            break history;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    schedule.abort();
    assert!(
        checks.len() >= 2,
        "prod was checked again and again: {checks:?}"
    );
    assert!(checks.iter().all(|c| c.in_sync == 5 && c.error.is_none()));
    assert!(
        ops.drift_latest(Some("dev".into()))
            .await
            .unwrap()
            .is_empty()
    );
    let jobs = ops.jobs_list(JobQuery::default()).await.unwrap();
    let drift: Vec<&JobView> = jobs.iter().filter(|j| j.kind == "drift").collect();
    assert!(!drift.is_empty());
    assert!(
        drift
            .iter()
            .all(|j| j.title == "scheduled drift check prod"),
        "{drift:?}"
    );
}

#[tokio::test]
async fn a_read_only_service_schedules_nothing() {
    let f = Fixture::builder()
        .env("prod", EnvClass::Production, generated(48, 2))
        .build()
        .await;
    let mut ops = f.ops.clone();
    ops.settings.readonly = true;
    ops.settings.drift.production_mins = 1;
    let ended = tokio::time::timeout(
        Duration::from_secs(5),
        ops.run_drift_schedule(Duration::from_millis(10), sim::Rng::new(1)),
    )
    .await;
    assert!(ended.is_ok(), "the schedule returned at once");
}

#[tokio::test]
async fn an_unreadable_canonical_state_fails_the_job_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_repo = dir.path().join("canonical.git");
    std::fs::write(&not_a_repo, "not a repository").unwrap();
    let f = Fixture::builder()
        .git(crate::config::GitConfig {
            path: Some(not_a_repo),
            ..Default::default()
        })
        .env("prod", EnvClass::Production, generated(49, 3))
        .build()
        .await;
    let (job, report) = {
        let events = f.ops.subscribe();
        let started = f
            .ops
            .drift_check(DriftCheckRequest::default())
            .await
            .unwrap();
        let job = follow_job(&f.ops, events, &started.job_id, |_| {})
            .await
            .unwrap();
        (job.clone(), job.result)
    };
    assert_eq!(job.state, JobState::Failed);
    let error = job.error.unwrap();
    assert!(error.contains("canonical state"), "{error}");
    assert!(report.is_none());
    assert!(f.ops.drift_latest(None).await.unwrap().is_empty());
    let audit = f.ops.audit_list(AuditQuery::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "drift.check" && a.outcome == Outcome::Error)
    );
}
