//! Promotions run against simulated instances: a deployment written, verified and
//! recorded; a write failing on the k-th workflow rolls the target back to its
//! snapshot; approvals bound to the plan (the requester's refused, a stale one
//! refused); a run left by a dead process recovered; the rollback of a completed
//! deployment; and every gate kind passing and failing.

use super::test_fixture::{Fixture, generated, settings, sync};
use super::*;
use crate::domain::commit::{CommitKind, CommitMessage, key};
use crate::domain::deployment::DeploymentState;
use crate::domain::environment::EnvClass;
use crate::domain::job::JobState;
use crate::domain::normalize::fingerprint;
use crate::domain::pipeline::{Gates, Pipeline, Stage, Validation, Windows};
use crate::domain::promotion::PlanAction;
use crate::domain::writable::writable_body;
use crate::sim::Fault;
use crate::store::deployments as store;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// dev and prod serving the same generated workflows, synced, prod backed up and
/// checked for drift (all IN_SYNC), so the default gates pass.
async fn twins() -> Fixture {
    let f = Fixture::builder()
        .env("dev", EnvClass::Development, generated(73, 12))
        .env("prod", EnvClass::Production, generated(73, 12))
        .build()
        .await;
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    run(
        &f.ops,
        f.ops.backup(BackupRequest {
            envs: vec!["prod".into()],
        }),
    )
    .await;
    check_drift(&f).await;
    f
}

async fn check_drift(f: &Fixture) {
    run(
        &f.ops,
        f.ops.drift_check(DriftCheckRequest {
            envs: vec!["prod".into()],
            fetch: true,
        }),
    )
    .await;
}

/// Runs a job to its end; it must succeed.
async fn run(
    ops: &LocalOps,
    start: impl std::future::Future<Output = OpsResult<JobStarted>>,
) -> JobView {
    let events = ops.subscribe();
    let started = start.await.expect("start the job");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .unwrap();
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    job
}

/// Follows a deployment's job to its end and reads its report.
async fn finish(ops: &LocalOps, job_id: &str) -> (JobView, PromotionReport) {
    let job = loop {
        let detail = ops.job_get(job_id.to_owned()).await.unwrap();
        if matches!(detail.job.state, JobState::Succeeded | JobState::Failed) {
            break detail.job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let report = serde_json::from_value(job.result.clone().unwrap_or_else(|| {
        panic!("no report: {:?}", job.error);
    }))
    .expect("a promotion report");
    (job, report)
}

fn request(workflows: &[&str]) -> PromoteRequest {
    PromoteRequest {
        from: "dev".into(),
        to: "prod".into(),
        workflows: workflows.iter().map(|w| w.to_string()).collect(),
        ..PromoteRequest::default()
    }
}

fn create(req: PromoteRequest) -> DeploymentCreate {
    DeploymentCreate {
        request: req,
        ..DeploymentCreate::default()
    }
}

fn edit_param(f: &Fixture, env: &str, name: &str, value: &str) {
    let sim = f.sim(env);
    let id = sim.workflow_id_by_name(name).unwrap();
    sim.edit_workflow(&id, |body| {
        body["nodes"][0]["parameters"]["n8nopsProbe"] = json!(value);
    })
    .unwrap();
}

/// Adds a workflow to `env` as a copy of its `n`-th one, under `name`.
fn add_copy(f: &Fixture, env: &str, n: usize, name: &str) {
    let sim = f.sim(env);
    let mut body = writable_body(&sim.workflow(&sim.workflow_ids()[n]).unwrap());
    body["name"] = json!(name);
    sim.create_workflow(&body).unwrap();
}

fn names(f: &Fixture, env: &str) -> Vec<String> {
    let sim = f.sim(env);
    sim.workflow_ids()
        .into_iter()
        .map(|id| {
            sim.workflow(&id).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Every workflow of `env` by name: fingerprint and active state.
fn state(f: &Fixture, env: &str) -> BTreeMap<String, (String, bool)> {
    let sim = f.sim(env);
    sim.workflow_ids()
        .into_iter()
        .map(|id| {
            let w = sim.workflow(&id).unwrap();
            (
                w["name"].as_str().unwrap().to_owned(),
                (fingerprint(&w), w["active"].as_bool().unwrap_or(false)),
            )
        })
        .collect()
}

fn fingerprint_of(f: &Fixture, env: &str, name: &str) -> String {
    let sim = f.sim(env);
    let id = sim.workflow_id_by_name(name).unwrap();
    fingerprint(&sim.workflow(&id).unwrap())
}

/// Another person's service on the same store and repository.
async fn as_actor(f: &Fixture, actor: &str) -> LocalOps {
    let mut s = settings(actor);
    s.git = f.ops.settings.git.clone();
    s.pipelines = f.ops.settings.pipelines.clone();
    LocalOps::new(f.store.store.clone(), s).await.unwrap()
}

fn pipeline(gates: Gates) -> Pipeline {
    Pipeline {
        name: "release".into(),
        description: String::new(),
        stages: vec![Stage {
            from: "dev".into(),
            to: "prod".into(),
            gates,
            activation: Default::default(),
            credentials: BTreeMap::new(),
        }],
    }
}

#[tokio::test]
async fn a_promotion_writes_verifies_and_records_what_it_deployed() {
    let f = twins().await;
    let all = names(&f, "dev");
    let changed = all[0].clone();
    edit_param(&f, "dev", &changed, "new in dev");
    add_copy(&f, "dev", 3, "Brand new");

    let created = f.ops.promote(create(request(&[]))).await.unwrap();
    assert_eq!(created.deployment.state, DeploymentState::Approved);
    let summary = created.preflight.plan.summary().by_action;
    assert_eq!(
        (summary.create, summary.update),
        (1, 1),
        "{:?}",
        created.preflight.plan
    );
    let job_id = created.job_id.expect("no approval needed: it runs at once");
    let (job, report) = finish(&f.ops, &job_id).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert_eq!(report.state, DeploymentState::Completed);
    assert!(report.rollback.is_none());
    assert!(report.snapshot.is_some() && report.commit.is_some());
    for item in &report.items {
        assert_eq!(item.outcome, Some(ItemOutcome::Ok), "{item:?}");
        assert!(item.target_id.is_some());
    }

    // prod now holds dev's versions, equal by fingerprint; the new one arrives inactive.
    assert_eq!(
        fingerprint_of(&f, "prod", &changed),
        fingerprint_of(&f, "dev", &changed)
    );
    assert_eq!(
        fingerprint_of(&f, "prod", "Brand new"),
        fingerprint_of(&f, "dev", "Brand new")
    );
    assert!(!state(&f, "prod")["Brand new"].1);

    // The commit says what was deployed, from where, replacing which snapshot.
    let detail = f
        .ops
        .deployment_show(report.deployment_id.clone())
        .await
        .unwrap();
    assert_eq!(detail.commit, report.commit);
    let state_now = f.ops.canonical_at(report.commit.clone()).await.unwrap();
    let prod = state_now.mapping("prod");
    assert!(prod.workflows.values().any(|w| w.name == "Brand new"));
    let git = f.ops.git().await.unwrap();
    let commit = report.commit.clone().unwrap();
    let info = tokio::task::spawn_blocking(move || git.resolve(&commit))
        .await
        .unwrap()
        .unwrap();
    let msg = CommitMessage::parse(&info.message);
    assert_eq!(msg.kind(), Some(CommitKind::Promotion), "{}", info.message);
    assert_eq!(msg.get(key::SOURCE), Some("dev"));
    assert_eq!(msg.get(key::REPLACES), report.snapshot.as_deref());
    assert!(
        info.message
            .contains(&format!("N8nops-Deployment: {}", report.deployment_id)),
        "{}",
        info.message
    );

    // Nothing left to promote.
    let again = f.ops.promote(create(request(&[]))).await.unwrap_err();
    assert!(again.message.contains("nothing to promote"), "{again}");

    let listed = f
        .ops
        .deployments_list(DeploymentQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, DeploymentState::Completed);
}

#[tokio::test]
async fn a_failure_on_the_kth_write_rolls_the_target_back_to_its_snapshot() {
    let f = twins().await;
    let all = names(&f, "dev");
    for name in &all[..6] {
        edit_param(&f, "dev", name, "release 2");
    }
    add_copy(&f, "dev", 7, "New one");
    add_copy(&f, "dev", 8, "New two");
    let before = state(&f, "prod");

    // n8n refuses the third update it is asked for (a 400 is not retried).
    f.sim("prod").set_faults(
        Fault::status(400)
            .on("/api/v1/workflows/")
            .method("PUT")
            .nth(3),
    );
    let created = f.ops.promote(create(request(&[]))).await.unwrap();
    let (job, report) = finish(&f.ops, &created.job_id.unwrap()).await;
    f.sim("prod").clear_faults();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(report.state, DeploymentState::Failed, "{:?}", job.error);
    let error = job.error.unwrap();
    assert!(error.contains("rolled back"), "{error}");
    assert!(error.contains("'prod'"), "{error}");
    let rollback = report.rollback.expect("the rollback's report");
    assert!(rollback.ok(), "{rollback:?}");
    let failed: Vec<_> = report
        .items
        .iter()
        .filter(|i| i.outcome == Some(ItemOutcome::Failed))
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", report.items);
    assert!(failed[0].error.as_deref().unwrap().contains("n8n"));
    assert!(
        report
            .items
            .iter()
            .any(|i| i.outcome == Some(ItemOutcome::RolledBack))
    );

    // prod is exactly as before: same workflows, same fingerprints, same states.
    assert_eq!(state(&f, "prod"), before);
    let shown = f.ops.deployment_show(report.deployment_id).await.unwrap();
    assert_eq!(shown.deployment.state, DeploymentState::Failed);
    assert!(shown.deployment.error.unwrap().contains("rolled back"));
}

#[tokio::test]
async fn approvals_are_bound_to_the_plan_and_never_the_requesters() {
    let mut f = twins().await;
    f.ops.settings.pipelines.push(pipeline(Gates {
        approvals: 1,
        ..Gates::default()
    }));
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "v2");
    let mut req = request(&[]);
    req.pipeline = Some("release".into());
    let created = f.ops.promote(create(req)).await.unwrap();
    let d = created.deployment;
    assert_eq!(d.state, DeploymentState::PendingApproval);
    assert!(created.job_id.is_none());
    assert_eq!(d.approvals.required, 1);

    // The requester cannot approve.
    let own = f
        .ops
        .deployment_decide(DeploymentDecision {
            id: d.id.clone(),
            approve: true,
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(own.kind, ErrorKind::Forbidden, "{own}");

    // Another person approves; then dev changes again before it runs: stale.
    let other = as_actor(&f, "reviewer").await;
    edit_param(&f, "dev", &all[0], "v3");
    let decided = other
        .deployment_decide(DeploymentDecision {
            id: d.id.clone(),
            approve: true,
            note: Some("looks right".into()),
        })
        .await
        .unwrap();
    assert_eq!(decided.deployment.state, DeploymentState::Approved);
    let (job, report) = finish(&other, &decided.job_id.unwrap()).await;
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.error.as_deref().unwrap().contains("stale"),
        "{:?}",
        job.error
    );
    assert_eq!(report.state, DeploymentState::Pending);
    assert_eq!(
        fingerprint_of(&f, "prod", &all[0]),
        fingerprint_of(&f, "prod", &all[0])
    );
    assert_ne!(
        fingerprint_of(&f, "prod", &all[0]),
        fingerprint_of(&f, "dev", &all[0])
    );

    // Replanned: the old approval no longer counts; approved again, it runs.
    let replanned = f.ops.deployment_replan(d.id.clone()).await.unwrap();
    assert_eq!(replanned.deployment.state, DeploymentState::PendingApproval);
    assert_ne!(replanned.deployment.plan_hash, d.plan_hash);
    let detail = f.ops.deployment_show(d.id.clone()).await.unwrap();
    assert!(
        detail.decisions.iter().all(|x| x.stale),
        "{:?}",
        detail.decisions
    );
    assert_eq!(
        detail.deployment.approvals.stale,
        vec!["reviewer".to_owned()]
    );
    let decided = other
        .deployment_decide(DeploymentDecision {
            id: d.id.clone(),
            approve: true,
            note: None,
        })
        .await
        .unwrap();
    let (job, report) = finish(&other, &decided.job_id.unwrap()).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert_eq!(report.state, DeploymentState::Completed);
    assert_eq!(
        fingerprint_of(&f, "prod", &all[0]),
        fingerprint_of(&f, "dev", &all[0])
    );
}

#[tokio::test]
async fn a_rejected_or_cancelled_deployment_never_runs() {
    let mut f = twins().await;
    f.ops.settings.pipelines.push(pipeline(Gates {
        approvals: 2,
        ..Gates::default()
    }));
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "v2");
    let mut req = request(&[]);
    req.pipeline = Some("release".into());
    let a = f.ops.promote(create(req.clone())).await.unwrap().deployment;
    let b = f.ops.promote(create(req)).await.unwrap().deployment;
    let other = as_actor(&f, "reviewer").await;
    let one = other
        .deployment_decide(DeploymentDecision {
            id: a.id.clone(),
            approve: true,
            note: None,
        })
        .await
        .unwrap();
    assert_eq!(one.deployment.state, DeploymentState::PendingApproval);
    assert_eq!(
        one.deployment.approvals.counted,
        vec!["reviewer".to_owned()]
    );
    let rejected = as_actor(&f, "second")
        .await
        .deployment_decide(DeploymentDecision {
            id: a.id.clone(),
            approve: false,
            note: Some("not today".into()),
        })
        .await
        .unwrap();
    assert_eq!(rejected.deployment.state, DeploymentState::Rejected);
    let cancelled = f.ops.deployment_cancel(b.id.clone()).await.unwrap();
    assert_eq!(cancelled.state, DeploymentState::Cancelled);
    let again = f.ops.deployment_cancel(b.id.clone()).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::Conflict);
    assert_ne!(
        fingerprint_of(&f, "prod", &all[0]),
        fingerprint_of(&f, "dev", &all[0])
    );
}

#[tokio::test]
async fn a_run_left_by_a_dead_process_is_rolled_back_at_startup() {
    let f = twins().await;
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "v2");
    let before = state(&f, "prod");
    // A scheduled deployment (not run now), then moved by hand as a run would: its
    // snapshot taken, one workflow written, RUNNING, by a process that is gone.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let created = f
        .ops
        .promote(DeploymentCreate {
            request: request(&[]),
            scheduled_for: Some(later),
            note: None,
            reviewed_hash: None,
            incident: None,
        })
        .await
        .unwrap();
    assert!(created.job_id.is_none());
    let id = created.deployment.id.clone();
    let snapshot = f.ops.snapshot_list(Some("prod".into())).await.unwrap()[0]
        .id
        .clone();
    // What the dead run wrote: one workflow changed.
    edit_param(&f, "prod", &all[0], "half-promoted");
    assert_ne!(state(&f, "prod"), before);
    let mut conn = f.ops.store.conn().await.unwrap();
    assert!(
        store::set_state(
            &mut conn,
            &id,
            DeploymentState::Approved,
            DeploymentState::Running,
            1
        )
        .await
        .unwrap()
    );
    store::set_snapshot(&mut conn, &id, &snapshot)
        .await
        .unwrap();
    let dead = r#"{"pid":4000000,"host":"HOST","since":"2026-01-01T00:00:00Z"}"#
        .replace("HOST", &crate::git::LockInfo::ours().host);
    store::set_runner(&mut conn, &id, Some(&dead))
        .await
        .unwrap();
    drop(conn);

    // A live runner is left alone.
    let mut conn = f.ops.store.conn().await.unwrap();
    let live = serde_json::to_string(&crate::git::LockInfo::ours()).unwrap();
    store::set_runner(&mut conn, &id, Some(&live))
        .await
        .unwrap();
    drop(conn);
    assert!(f.ops.deployments_recover().await.unwrap().is_empty());
    let mut conn = f.ops.store.conn().await.unwrap();
    store::set_runner(&mut conn, &id, Some(&dead))
        .await
        .unwrap();
    drop(conn);

    let started = f.ops.deployments_recover().await.unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].deployment_id, id);
    let (job, report) = finish(&f.ops, &started[0].job_id).await;
    assert_eq!(report.state, DeploymentState::Failed, "{:?}", job.error);
    assert!(job.error.unwrap().contains("interrupted"));
    assert_eq!(state(&f, "prod"), before);
    // Nothing more to recover.
    assert!(f.ops.deployments_recover().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_completed_deployment_rolls_back_to_its_snapshot() {
    let f = twins().await;
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "v2");
    add_copy(&f, "dev", 2, "Arrives");
    let before = state(&f, "prod");
    let created = f.ops.promote(create(request(&[]))).await.unwrap();
    let (_, report) = finish(&f.ops, &created.job_id.unwrap()).await;
    assert_eq!(report.state, DeploymentState::Completed);
    assert_ne!(state(&f, "prod"), before);

    let refused = f
        .ops
        .deployment_rollback("dep-none".into())
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::NotFound);
    let started = f
        .ops
        .deployment_rollback(report.deployment_id.clone())
        .await
        .unwrap();
    let (job, undo) = finish(&f.ops, &started.job_id).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert_eq!(undo.state, DeploymentState::Completed);
    assert_eq!(state(&f, "prod"), before);
    let shown = f.ops.deployment_show(started.deployment_id).await.unwrap();
    assert_eq!(
        shown.deployment.rollback_of.as_deref(),
        Some(report.deployment_id.as_str())
    );
    let actions: Vec<PlanAction> = shown.items.iter().map(|i| i.action).collect();
    assert!(actions.contains(&PlanAction::Delete) && actions.contains(&PlanAction::Update));
}

/// Every gate kind, passing and failing, on a promotion of one changed workflow.
#[tokio::test]
async fn every_gate_kind_passes_and_fails() {
    let mut f = twins().await;
    let all = names(&f, "dev");

    async fn attempt(
        f: &mut Fixture,
        gates: Gates,
        req: PromoteRequest,
    ) -> Result<PromotionReport, String> {
        f.ops.settings.pipelines = vec![pipeline(gates)];
        let mut req = req;
        req.pipeline = Some("release".into());
        let created = f.ops.promote(create(req)).await.map_err(|e| e.message)?;
        let (job, report) = finish(&f.ops, &created.job_id.expect("it runs")).await;
        match report.state {
            DeploymentState::Completed => Ok(report),
            _ => Err(job.error.unwrap_or_default()),
        }
    }
    let none = Gates {
        drift: false,
        credentials: false,
        ..Gates::default()
    };

    // Windows: always open passes; a deny of every minute blocks.
    edit_param(&f, "dev", &all[0], "w1");
    let open = Windows {
        timezone: "Europe/Paris".into(),
        allow: vec!["* * * * *".into()],
        deny: vec![],
    };
    attempt(
        &mut f,
        Gates {
            windows: Some(open.clone()),
            ..none.clone()
        },
        request(&[&all[0]]),
    )
    .await
    .unwrap();
    edit_param(&f, "dev", &all[0], "w2");
    let closed = Windows {
        deny: vec!["* * * * *".into()],
        ..open
    };
    let e = attempt(
        &mut f,
        Gates {
            windows: Some(closed),
            ..none.clone()
        },
        request(&[&all[0]]),
    )
    .await
    .unwrap_err();
    assert!(e.contains("windows gate"), "{e}");

    // Validation: a command exiting 0 passes, 1 fails before anything is written.
    let pass = Validation::Command {
        command: vec!["true".into()],
        timeout_secs: 10,
    };
    attempt(
        &mut f,
        Gates {
            validation: Some(pass),
            ..none.clone()
        },
        request(&[&all[0]]),
    )
    .await
    .unwrap();
    edit_param(&f, "dev", &all[0], "w3");
    let before = state(&f, "prod");
    let fail = Validation::Command {
        command: vec!["sh".into(), "-c".into(), "echo not ready; exit 1".into()],
        timeout_secs: 10,
    };
    let e = attempt(
        &mut f,
        Gates {
            validation: Some(fail),
            ..none.clone()
        },
        request(&[&all[0]]),
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("validation gate") && e.contains("not ready"),
        "{e}"
    );
    assert_eq!(state(&f, "prod"), before);

    // Credentials: a credential prod lacks blocks; mapped to one it has, it passes.
    let sim = f.sim("dev");
    let (name, cred_type) = names(&f, "dev")
        .into_iter()
        .find_map(|n| {
            let w = sim.workflow(&sim.workflow_id_by_name(&n)?)?;
            let t = w["nodes"]
                .as_array()?
                .iter()
                .find_map(|node| node.get("credentials")?.as_object()?.keys().next().cloned())?;
            Some((n, t))
        })
        .expect("a workflow with credentials");
    let id = sim.workflow_id_by_name(&name).unwrap();
    sim.edit_workflow(&id, |body| {
        for node in body["nodes"].as_array_mut().unwrap() {
            if let Some(refs) = node.get_mut("credentials").and_then(Value::as_object_mut)
                && let Some(r) = refs.get_mut(&cred_type)
            {
                *r = json!({"id": "dev-only", "name": "Only in dev"});
            }
        }
    })
    .unwrap();
    let creds = Gates {
        credentials: true,
        ..none.clone()
    };
    let e = attempt(&mut f, creds.clone(), request(&[&name]))
        .await
        .unwrap_err();
    assert!(
        e.contains("credentials gate") && e.contains("Only in dev"),
        "{e}"
    );
    let prod_sim = f.sim("prod");
    let prod_w = prod_sim
        .workflow(&prod_sim.workflow_id_by_name(&name).unwrap())
        .unwrap();
    let there = prod_w["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|n| n["credentials"].get(&cred_type).cloned())
        .unwrap();
    let mut req = request(&[&name]);
    req.credentials = BTreeMap::from([(
        format!("{cred_type}:Only in dev"),
        there["name"].as_str().unwrap().to_owned(),
    )]);
    attempt(&mut f, creds, req).await.unwrap();
    // Remapped: prod's workflow points at prod's own credential, by its id.
    let prod_sim = f.sim("prod");
    let prod_w = prod_sim
        .workflow(&prod_sim.workflow_id_by_name(&name).unwrap())
        .unwrap();
    let refs: Vec<Value> = prod_w["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["credentials"].get(&cred_type).cloned())
        .collect();
    assert!(!refs.is_empty());
    for r in refs {
        assert_eq!(r["name"], there["name"], "{r}");
        assert_eq!(r["id"], there["id"], "{r}");
    }

    // Drift: a hand change in prod blocks until acknowledged.
    check_drift(&f).await;
    run(
        &f.ops,
        f.ops.backup(BackupRequest {
            envs: vec!["prod".into()],
        }),
    )
    .await;
    edit_param(&f, "prod", &all[1], "hotfix");
    edit_param(&f, "dev", &all[1], "release");
    check_drift(&f).await;
    let drift = Gates {
        drift: true,
        ..none.clone()
    };
    let mut req = request(&[&all[1]]);
    req.hotfix_overrides = vec![all[1].clone()];
    let e = attempt(&mut f, drift.clone(), req.clone())
        .await
        .unwrap_err();
    assert!(e.contains("drift gate"), "{e}");
    req.acknowledged_drift = vec![all[1].clone()];
    attempt(&mut f, drift, req).await.unwrap();
    assert_eq!(
        fingerprint_of(&f, "prod", &all[1]),
        fingerprint_of(&f, "dev", &all[1])
    );
    // Approvals pass and fail in `approvals_are_bound_to_the_plan_and_never_the_requesters`.
}

#[tokio::test]
async fn a_scheduled_deployment_runs_at_its_time_through_the_gates() {
    let f = twins().await;
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "scheduled");
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(600);
    let created = f
        .ops
        .promote(DeploymentCreate {
            request: request(&[]),
            scheduled_for: Some(at),
            note: Some("after hours".into()),
            reviewed_hash: None,
            incident: None,
        })
        .await
        .unwrap();
    assert_eq!(created.deployment.state, DeploymentState::Approved);
    assert!(created.job_id.is_none(), "not before its time");
    assert!(f.ops.deployments_run_due().await.unwrap().is_empty());

    // The schedule (as the TUI runs it) starts it once due.
    let schedule = tokio::spawn(
        f.ops
            .clone()
            .run_deployment_schedule(std::time::Duration::from_millis(100)),
    );
    let id = created.deployment.id;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let job_id = loop {
        let d = f.ops.deployment_show(id.clone()).await.unwrap().deployment;
        if let Some(job) = d.job_id {
            break job;
        }
        assert!(std::time::Instant::now() < deadline, "it never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let (job, report) = finish(&f.ops, &job_id).await;
    // Ticks that came while it got ready did not start it again.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    schedule.abort();
    assert_eq!(report.state, DeploymentState::Completed, "{:?}", job.error);
    let runs = f
        .ops
        .jobs_list(JobQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "promote")
        .count();
    assert_eq!(runs, 1, "one run of a scheduled deployment");
    assert_eq!(
        fingerprint_of(&f, "prod", &all[0]),
        fingerprint_of(&f, "dev", &all[0])
    );
}

#[tokio::test]
async fn a_promotion_is_refused_when_the_fresh_plan_is_not_the_one_reviewed() {
    let f = twins().await;
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "reviewed");
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert_eq!(job.state, JobState::Succeeded);
    let reviewed = f.ops.promotion_preflight(request(&[])).await.unwrap();
    // dev moves on after the review.
    edit_param(&f, "dev", &all[1], "not reviewed");
    let refused = f
        .ops
        .promote(DeploymentCreate {
            request: request(&[]),
            reviewed_hash: Some(reviewed.plan.hash.clone()),
            ..DeploymentCreate::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);
    assert!(refused.message.contains("review it again"), "{refused}");
    assert!(
        f.ops
            .deployments_list(DeploymentQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_ne!(
        fingerprint_of(&f, "prod", &all[0]),
        fingerprint_of(&f, "dev", &all[0])
    );
    // Reviewed again, it goes.
    let fresh = f.ops.promotion_preflight(request(&[])).await.unwrap();
    let created = f
        .ops
        .promote(DeploymentCreate {
            request: request(&[]),
            reviewed_hash: Some(fresh.plan.hash.clone()),
            ..DeploymentCreate::default()
        })
        .await
        .unwrap();
    let (_, report) = finish(&f.ops, &created.job_id.unwrap()).await;
    assert_eq!(report.state, DeploymentState::Completed);
}

#[tokio::test]
async fn writes_that_cannot_be_verified_are_rolled_back() {
    let f = twins().await;
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0], "v2");
    add_copy(&f, "dev", 4, "Unverified");
    let before = state(&f, "prod");
    // prod's second workflow list (the re-fetch after the writes) fails; the first is
    // the fetch the plan is made from, the third the rollback's.
    f.sim("prod").set_faults(
        Fault::status(400)
            .on("/api/v1/workflows")
            .method("GET")
            .nth(2),
    );
    let created = f.ops.promote(create(request(&[]))).await.unwrap();
    let (job, report) = finish(&f.ops, &created.job_id.unwrap()).await;
    f.sim("prod").clear_faults();
    assert_eq!(report.state, DeploymentState::Failed, "{:?}", job.error);
    let error = job.error.unwrap();
    assert!(error.contains("to verify the writes failed"), "{error}");
    assert!(report.rollback.is_some_and(|r| r.ok()));
    assert_eq!(state(&f, "prod"), before);
}
