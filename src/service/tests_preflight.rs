//! Promotion preflights against simulated instances: statuses and actions per kind of
//! hand edit, hotfixes held unless overridden, credentials resolved (same name, mapped,
//! missing), the drift gate, the incidents gate, pipeline stages from the config and
//! the store, refusals, and that a preflight changes nothing.

use super::test_fixture::{Fixture, generated, sync};
use super::*;
use crate::domain::credential_map::Resolution;
use crate::domain::diff::DiffStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{IncidentKind, IncidentState, Severity};
use crate::domain::job::JobState;
use crate::domain::pipeline::{GateKind, GateResult, Gates, Pipeline, Stage};
use crate::domain::promotion::{PlanAction, PlanItem};
use crate::domain::writable::writable_body;
use crate::store::incidents::{self as incidents_store, NewIncident};
use crate::store::{audit, inventory, now_ms, workflows};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// dev and prod serving the same generated workflows, synced.
async fn twins() -> Fixture {
    let f = Fixture::builder()
        .env("dev", EnvClass::Development, generated(73, 12))
        .env("prod", EnvClass::Production, generated(73, 12))
        .build()
        .await;
    resync(&f).await;
    f
}

async fn resync(f: &Fixture) {
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
}

fn request(workflows: &[&str]) -> PromoteRequest {
    PromoteRequest {
        from: "dev".into(),
        to: "prod".into(),
        workflows: workflows.iter().map(|w| w.to_string()).collect(),
        ..PromoteRequest::default()
    }
}

fn has_credentials(w: &Value) -> bool {
    w["nodes"].as_array().into_iter().flatten().any(|n| {
        n.get("credentials")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty())
    })
}

/// Names of the sim's workflows, in list order, with whether each uses credentials.
fn names(f: &Fixture, env: &str) -> Vec<(String, bool)> {
    let sim = f.sim(env);
    sim.workflow_ids()
        .into_iter()
        .map(|id| {
            let w = sim.workflow(&id).unwrap();
            (w["name"].as_str().unwrap().to_owned(), has_credentials(&w))
        })
        .collect()
}

/// Adds a parameter to the first node of `name` in `env`'s simulator.
fn edit_param(f: &Fixture, env: &str, name: &str, value: &str) {
    let sim = f.sim(env);
    let id = sim.workflow_id_by_name(name).unwrap();
    sim.edit_workflow(&id, |body| {
        body["nodes"][0]["parameters"]["n8nopsProbe"] = json!(value);
    })
    .unwrap();
}

fn item<'a>(p: &'a Preflight, name: &str) -> &'a PlanItem {
    p.plan
        .items
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no item {name} in {:?}", p.plan.items))
}

fn gate(p: &Preflight, kind: GateKind) -> &GateResult {
    p.gates
        .iter()
        .find(|g| g.gate == kind)
        .unwrap_or_else(|| panic!("no {kind} gate in {:?}", p.gates))
}

#[tokio::test]
async fn statuses_and_actions_follow_each_kind_of_edit() {
    let f = twins().await;
    // Identical sides: nothing differs.
    let p = f.ops.promotion_preflight(request(&[])).await.unwrap();
    assert!(p.plan.items.is_empty(), "{:?}", p.plan.items);
    assert!(p.diffs.is_empty() && p.credentials.is_empty());
    assert!(p.stage.is_none());
    assert!(
        p.notes[0].contains("nothing was fetched") && p.notes[0].contains("'prod' as last synced"),
        "{:?}",
        p.notes
    );

    let all = names(&f, "dev");
    let (changed, hotfixed, same) = (&all[0].0, &all[1].0, &all[2].0);
    edit_param(&f, "dev", changed, "new in dev");
    edit_param(&f, "prod", hotfixed, "fixed in prod");
    let sim = f.sim("dev");
    let mut body = writable_body(&sim.workflow(&sim.workflow_ids()[3]).unwrap());
    body["name"] = json!("Brand new");
    sim.create_workflow(&body).unwrap();
    resync(&f).await;

    let p = f.ops.promotion_preflight(request(&[])).await.unwrap();
    let got: Vec<(&str, DiffStatus, PlanAction)> = p
        .plan
        .items
        .iter()
        .map(|i| (i.name.as_str(), i.status, i.action))
        .collect();
    let mut want = vec![
        ("Brand new", DiffStatus::Added, PlanAction::Create),
        (changed.as_str(), DiffStatus::Modified, PlanAction::Update),
        (
            hotfixed.as_str(),
            DiffStatus::TargetHotfix,
            PlanAction::Hold,
        ),
    ];
    want.sort_by_key(|w| w.0);
    assert_eq!(got, want);
    assert!(item(&p, changed).risk.is_some());
    assert!(item(&p, changed).target_id.is_some());
    // Diffs and credentials only for what writes; the diff runs target -> source.
    let keys: Vec<&String> = p.diffs.keys().collect();
    let mut want_keys = vec!["Brand new", changed.as_str()];
    want_keys.sort();
    assert_eq!(keys, want_keys);
    let d = &p.diffs[changed];
    let modified = d
        .nodes
        .iter()
        .find(|n| !n.is_layout_only())
        .expect("the edited node");
    assert!(
        format!("{modified:?}").contains("new in dev"),
        "{modified:?}"
    );
    assert!(p.credentials.keys().all(|k| p.diffs.contains_key(k)));
    // The target was never checked for drift: what is overwritten is UNKNOWN.
    let drift = gate(&p, GateKind::Drift);
    assert!(
        !drift.passed && drift.detail.contains(changed.as_str()),
        "{drift:?}"
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("no drift check of 'prod'"))
    );
    // Production's policy, in words.
    assert!(
        p.policy
            .iter()
            .any(|l| l == "direct edits in prod (production) are blocked by policy: promotion is the way to change workflows there"),
        "{:?}",
        p.policy
    );

    // The hotfix is overwritten only when asked for it, by name or canonical id.
    let mut req = request(&[]);
    req.hotfix_overrides = vec![hotfixed.clone()];
    let over = f.ops.promotion_preflight(req).await.unwrap();
    let h = item(&over, hotfixed);
    assert_eq!(
        (h.status, h.action, h.hotfix_override),
        (DiffStatus::TargetHotfix, PlanAction::Update, true)
    );
    assert!(over.diffs.contains_key(hotfixed.as_str()));
    assert_ne!(over.plan.hash, p.plan.hash);

    // Named explicitly, an unchanged workflow is planned as a skip.
    let only = f.ops.promotion_preflight(request(&[same])).await.unwrap();
    assert_eq!(only.plan.items.len(), 1);
    let s = item(&only, same);
    assert_eq!(
        (s.status, s.action),
        (DiffStatus::Unchanged, PlanAction::Skip)
    );
    assert!(only.diffs.is_empty());
}

#[tokio::test]
async fn credentials_resolve_and_a_missing_one_fails_the_gate() {
    let mut f = twins().await;
    let (name, _) = names(&f, "dev")
        .into_iter()
        .find(|(_, creds)| *creds)
        .expect("a workflow with credentials");
    let sim = f.sim("dev");
    let id = sim.workflow_id_by_name(&name).unwrap();
    let mut cred_type = String::new();
    sim.edit_workflow(&id, |body| {
        for node in body["nodes"].as_array_mut().unwrap() {
            if let Some(creds) = node.get_mut("credentials").and_then(Value::as_object_mut) {
                let (t, reference) = creds.iter_mut().next().unwrap();
                cred_type = t.clone();
                *reference = json!({"id": "n8nops-dev-only", "name": "Only in dev"});
                break;
            }
        }
    })
    .unwrap();
    resync(&f).await;

    let p = f.ops.promotion_preflight(request(&[&name])).await.unwrap();
    assert_eq!(item(&p, &name).action, PlanAction::Update);
    let res = &p.credentials[&name];
    let missing: Vec<_> = res
        .iter()
        .filter(|r| r.resolution.target().is_none())
        .collect();
    assert_eq!(missing.len(), 1, "{res:?}");
    assert_eq!(missing[0].source.name, "Only in dev");
    assert_eq!(missing[0].source.cred_type, cred_type);
    assert_eq!(missing[0].resolution, Resolution::Missing { wanted: None });
    // The others exist in prod under the same name, with prod's ids.
    for r in res.iter().filter(|r| r.source.name != "Only in dev") {
        match &r.resolution {
            Resolution::SameName { target } => {
                assert_eq!(target.name, r.source.name);
                assert!(target.id.is_some(), "{r:?}");
            }
            other => panic!("{r:?}: {other:?}"),
        }
    }
    let creds = gate(&p, GateKind::Credentials);
    assert!(!creds.passed);
    assert!(
        creds.detail.contains(&format!("{cred_type} 'Only in dev'")),
        "{creds:?}"
    );

    // A config pipeline whose stage maps it to a credential prod has.
    let mut conn = f.ops.store.conn().await.unwrap();
    let prod = crate::store::environments::get(&mut conn, "prod")
        .await
        .unwrap();
    let prod_creds = inventory::credentials(&mut conn, prod.id).await.unwrap();
    drop(conn);
    let there = prod_creds
        .iter()
        .find(|c| c.cred_type == cred_type)
        .expect("prod has a credential of that type");
    let stage = Stage {
        from: "dev".into(),
        to: "prod".into(),
        gates: Gates {
            drift: false,
            approvals: 1,
            ..Gates::default()
        },
        activation: Default::default(),
        credentials: BTreeMap::from([(format!("{cred_type}:Only in dev"), there.name.clone())]),
    };
    f.ops.settings.pipelines.push(Pipeline {
        name: "release".into(),
        description: String::new(),
        stages: vec![stage.clone()],
    });
    let mut req = request(&[&name]);
    req.pipeline = Some("release".into());
    let p = f.ops.promotion_preflight(req).await.unwrap();
    assert_eq!(p.stage.as_ref(), Some(&stage));
    assert_eq!(p.plan.stage.as_deref(), Some("release: dev -> prod"));
    let mapped = p.credentials[&name]
        .iter()
        .find(|r| r.source.name == "Only in dev")
        .unwrap();
    match &mapped.resolution {
        Resolution::Mapped { target } => {
            assert_eq!(target.name, there.name);
            assert_eq!(target.id, there.n8n_id);
        }
        other => panic!("{other:?}"),
    }
    let kinds: Vec<GateKind> = p.gates.iter().map(|g| g.gate).collect();
    // The drift gate is off: production's incidents gate comes first.
    assert_eq!(
        kinds,
        [
            GateKind::Incidents,
            GateKind::Credentials,
            GateKind::Approvals
        ]
    );
    assert!(gate(&p, GateKind::Credentials).passed, "{:?}", p.gates);
    let approvals = gate(&p, GateKind::Approvals);
    assert!(!approvals.passed && approvals.detail == "0 of 1 approval(s)");
    assert!(p.policy.iter().any(|l| l.contains("needs 1 approval(s)")));
}

#[tokio::test]
async fn a_drifted_target_fails_the_drift_gate_unless_acknowledged() {
    let f = twins().await;
    // Record prod, then change it by hand: the drift check finds it DRIFTED.
    let events = f.ops.subscribe();
    let started = f
        .ops
        .backup(BackupRequest {
            envs: vec!["prod".into()],
        })
        .await
        .unwrap();
    let job = follow_job(&f.ops, events, &started.job_id, |_| {})
        .await
        .unwrap();
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let all = names(&f, "dev");
    let (drifted, clean) = (&all[0].0, &all[1].0);
    edit_param(&f, "prod", drifted, "hot in prod");
    edit_param(&f, "dev", clean, "new in dev");
    resync(&f).await;
    let events = f.ops.subscribe();
    let started = f
        .ops
        .drift_check(DriftCheckRequest {
            envs: vec!["prod".into()],
            fetch: false,
        })
        .await
        .unwrap();
    let job = follow_job(&f.ops, events, &started.job_id, |_| {})
        .await
        .unwrap();
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);

    // Only the clean one written: in sync.
    let p = f.ops.promotion_preflight(request(&[clean])).await.unwrap();
    assert!(gate(&p, GateKind::Drift).passed, "{:?}", p.gates);
    assert!(!p.notes.iter().any(|n| n.contains("no drift check")));

    // The drifted one overwritten (its hotfix overridden): blocked, then acknowledged.
    let mut req = request(&[clean, drifted]);
    req.hotfix_overrides = vec![drifted.clone()];
    let p = f.ops.promotion_preflight(req.clone()).await.unwrap();
    assert_eq!(item(&p, drifted).action, PlanAction::Update);
    let g = gate(&p, GateKind::Drift);
    assert!(!g.passed, "{g:?}");
    assert!(g.detail.contains(&format!("{drifted} (DRIFTED)")), "{g:?}");
    req.acknowledged_drift = vec![drifted.clone()];
    let p = f.ops.promotion_preflight(req).await.unwrap();
    let g = gate(&p, GateKind::Drift);
    assert!(g.passed, "{g:?}");
    assert_eq!(g.detail, "in sync, 1 drifted workflow(s) acknowledged");
}

#[tokio::test]
async fn refusals_name_what_is_wrong() {
    let f = twins().await;
    let err = f
        .ops
        .promotion_preflight(request(&["No such flow", "Nor this"]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("'No such flow', 'Nor this'"),
        "{}",
        err.message
    );
    let mut req = request(&[]);
    req.to = "dev".into();
    assert_eq!(
        f.ops.promotion_preflight(req).await.unwrap_err().kind,
        ErrorKind::Invalid
    );
    let mut req = request(&[]);
    req.to = "qa".into();
    let err = f.ops.promotion_preflight(req).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("qa"), "{}", err.message);
    let mut req = request(&[]);
    req.pipeline = Some("nightly".into());
    let err = f.ops.promotion_preflight(req).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("'nightly'"), "{}", err.message);

    // A stored pipeline without that stage.
    let stored = Pipeline {
        name: "nightly".into(),
        description: String::new(),
        stages: vec![Stage {
            from: "prod".into(),
            to: "dev".into(),
            gates: Gates::default(),
            activation: Default::default(),
            credentials: BTreeMap::new(),
        }],
    };
    let mut conn = f.ops.store.conn().await.unwrap();
    crate::store::pipelines::put(
        &mut conn,
        "nightly",
        &serde_json::to_string(&stored).unwrap(),
        "tester",
        1,
    )
    .await
    .unwrap();
    drop(conn);
    let mut req = request(&[]);
    req.pipeline = Some("nightly".into());
    let err = f.ops.promotion_preflight(req).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.message, "pipeline 'nightly' has no stage dev -> prod");
    // Its stage the other way is found.
    let req = PromoteRequest {
        pipeline: Some("nightly".into()),
        from: "prod".into(),
        to: "dev".into(),
        ..PromoteRequest::default()
    };
    let p = f.ops.promotion_preflight(req).await.unwrap();
    assert_eq!(p.stage, Some(stored.stages[0].clone()));
}

#[tokio::test]
async fn a_preflight_changes_nothing() {
    let f = twins().await;
    let all = names(&f, "dev");
    edit_param(&f, "dev", &all[0].0, "new in dev");
    edit_param(&f, "prod", &all[1].0, "fixed in prod");
    resync(&f).await;

    async fn state(f: &Fixture) -> (Vec<workflows::WorkflowRow>, usize, Vec<Option<Value>>) {
        let mut conn = f.ops.store.conn().await.unwrap();
        let rows = workflows::list(
            &mut conn,
            &workflows::Filter {
                env: None,
                active: None,
            },
        )
        .await
        .unwrap();
        let audit = audit::list(&mut conn, None, 10_000).await.unwrap().len();
        let bodies = f
            .sims
            .iter()
            .flat_map(|s| s.workflow_ids().into_iter().map(move |id| s.workflow(&id)))
            .collect();
        (rows, audit, bodies)
    }
    let before = state(&f).await;
    let requests: Vec<u64> = f.sims.iter().map(|s| s.request_count()).collect();
    let mut req = request(&[]);
    req.hotfix_overrides = vec![all[1].0.clone()];
    req.delete_missing = true;
    let p = f.ops.promotion_preflight(req).await.unwrap();
    assert_eq!(p.plan.writes().count(), 2);
    assert_eq!(state(&f).await, before);
    let after: Vec<u64> = f.sims.iter().map(|s| s.request_count()).collect();
    assert_eq!(after, requests, "a preflight reaches no instance");
}

/// Records an open drift incident on `name` in prod (as a drift check would).
async fn open_incident(f: &Fixture, name: &str, severity: Severity) -> i64 {
    let sim = f.sim("prod");
    let id = sim.workflow_id_by_name(name).unwrap();
    let mut conn = f.ops.store.conn().await.unwrap();
    incidents_store::insert(
        &mut conn,
        &NewIncident {
            env: "prod".into(),
            kind: IncidentKind::Drift,
            key: format!("n8n:{id}"),
            canonical_id: None,
            n8n_id: Some(id),
            workflow: Some(name.to_owned()),
            severity,
            opened_at: now_ms(),
            opened_by: "n8nops".into(),
            drift_status: Some("DRIFTED".into()),
            risk: Some("HIGH".into()),
            fingerprint: None,
            summary: None,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn open_incidents_of_the_target_block_unless_the_promotion_writes_them() {
    let mut f = twins().await;
    let all = names(&f, "dev");
    let (promoted, other, minor) = (&all[0].0, &all[1].0, &all[2].0);
    edit_param(&f, "dev", promoted, "the fix");
    resync(&f).await;

    // None open: the gate passes, right after the drift gate.
    let p = f
        .ops
        .promotion_preflight(request(&[promoted]))
        .await
        .unwrap();
    let kinds: Vec<GateKind> = p.gates.iter().map(|g| g.gate).collect();
    assert_eq!(
        kinds,
        [GateKind::Drift, GateKind::Incidents, GateKind::Credentials]
    );
    let g = gate(&p, GateKind::Incidents);
    assert!(g.passed, "{g:?}");
    assert_eq!(g.detail, "no open incident at or above high in the target");

    // A critical one on the promoted workflow: the promotion is its fix. A medium one
    // elsewhere is below production's level (high).
    let on_promoted = open_incident(&f, promoted, Severity::Critical).await;
    open_incident(&f, minor, Severity::Medium).await;
    let p = f
        .ops
        .promotion_preflight(request(&[promoted]))
        .await
        .unwrap();
    let g = gate(&p, GateKind::Incidents);
    assert!(g.passed, "{g:?}");
    assert!(
        g.detail.contains("1 on workflow(s) this promotion writes")
            && g.detail.contains("1 below high"),
        "{g:?}"
    );

    // A critical one on another workflow of production blocks, named.
    let blocking = open_incident(&f, other, Severity::Critical).await;
    let p = f
        .ops
        .promotion_preflight(request(&[promoted]))
        .await
        .unwrap();
    let g = gate(&p, GateKind::Incidents);
    assert!(!g.passed, "{g:?}");
    assert!(
        g.detail
            .contains(&format!("#{blocking} critical '{other}' (drift)")),
        "{g:?}"
    );
    assert!(!g.detail.contains(&format!("#{on_promoted} ")), "{g:?}");

    // It blocks `promote` like the drift gate (a stage without the drift and
    // credentials gates, so only this one fails).
    f.ops.settings.pipelines.push(Pipeline {
        name: "release".into(),
        description: String::new(),
        stages: vec![Stage {
            from: "dev".into(),
            to: "prod".into(),
            gates: Gates {
                drift: false,
                credentials: false,
                ..Gates::default()
            },
            activation: Default::default(),
            credentials: BTreeMap::new(),
        }],
    });
    let mut req = request(&[promoted]);
    req.pipeline = Some("release".into());
    let err = f
        .ops
        .promote(DeploymentCreate {
            request: req.clone(),
            scheduled_for: None,
            note: None,
            reviewed_hash: None,
            incident: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{}", err.message);
    assert!(
        err.message.contains("incidents gate: ")
            && err.message.contains(&format!("'{other}'"))
            && !err.message.contains("drift gate"),
        "{}",
        err.message
    );

    // Resolved, it no longer counts.
    let mut conn = f.ops.store.conn().await.unwrap();
    let mut row = incidents_store::get(&mut conn, blocking).await.unwrap();
    row.state = IncidentState::Resolved;
    row.resolved_at = Some(now_ms());
    row.resolved_by = Some("tester".into());
    row.resolution = Some("fixed by hand".into());
    assert!(incidents_store::update(&mut conn, &row).await.unwrap());
    drop(conn);
    let p = f.ops.promotion_preflight(req).await.unwrap();
    assert!(gate(&p, GateKind::Incidents).passed, "{:?}", p.gates);

    // A class that blocks at no severity has no incidents gate, whatever is open.
    open_incident(&f, other, Severity::Critical).await;
    assert!(
        !gate(
            &f.ops
                .promotion_preflight(request(&[promoted]))
                .await
                .unwrap(),
            GateKind::Incidents
        )
        .passed
    );
    f.ops
        .settings
        .incidents
        .policy
        .production
        .block_promotions_at = None;
    let p = f
        .ops
        .promotion_preflight(request(&[promoted]))
        .await
        .unwrap();
    assert!(
        p.gates.iter().all(|g| g.gate != GateKind::Incidents),
        "{:?}",
        p.gates
    );
}

#[tokio::test]
async fn a_run_judges_the_incidents_gate_again() {
    let mut f = twins().await;
    let all = names(&f, "dev");
    let (promoted, other) = (&all[0].0, &all[1].0);
    edit_param(&f, "dev", promoted, "the fix");
    resync(&f).await;
    f.ops.settings.pipelines.push(Pipeline {
        name: "release".into(),
        description: String::new(),
        stages: vec![Stage {
            from: "dev".into(),
            to: "prod".into(),
            gates: Gates {
                drift: false,
                credentials: false,
                ..Gates::default()
            },
            activation: Default::default(),
            credentials: BTreeMap::new(),
        }],
    });
    let mut req = request(&[promoted]);
    req.pipeline = Some("release".into());
    // Scheduled while nothing is open: recorded.
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let created = f
        .ops
        .promote(DeploymentCreate {
            request: req,
            scheduled_for: Some(at),
            note: None,
            reviewed_hash: None,
            incident: None,
        })
        .await
        .unwrap();
    assert!(created.job_id.is_none(), "not before its time");

    // An incident opens meanwhile: at its time the run does not start.
    let blocking = open_incident(&f, other, Severity::High).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let events = f.ops.subscribe();
    let started = f.ops.deployments_run_due().await.unwrap();
    assert_eq!(started.len(), 1, "{started:?}");
    let job = follow_job(&f.ops, events, &started[0].job_id, |_| {})
        .await
        .unwrap();
    assert_eq!(job.state, JobState::Failed);
    let error = job.error.unwrap_or_default();
    assert!(
        error.contains("incidents gate: ")
            && error.contains(&format!("#{blocking} high '{other}'")),
        "{error}"
    );
    // Nothing was written to prod.
    let sim = f.sim("prod");
    let id = sim.workflow_id_by_name(promoted).unwrap();
    assert_eq!(
        sim.workflow(&id).unwrap()["nodes"][0]["parameters"]["n8nopsProbe"],
        Value::Null
    );
}

#[tokio::test]
async fn a_promotion_that_fixes_an_incident_is_recorded_on_its_timeline() {
    let mut f = twins().await;
    let all = names(&f, "dev");
    let promoted = &all[0].0;
    edit_param(&f, "dev", promoted, "the fix");
    resync(&f).await;
    f.ops.settings.pipelines.push(Pipeline {
        name: "release".into(),
        description: String::new(),
        stages: vec![Stage {
            from: "dev".into(),
            to: "prod".into(),
            gates: Gates {
                drift: false,
                credentials: false,
                ..Gates::default()
            },
            activation: Default::default(),
            credentials: BTreeMap::new(),
        }],
    });
    let mut req = request(&[promoted]);
    req.pipeline = Some("release".into());
    let incident = open_incident(&f, promoted, Severity::High).await;

    // An incident that does not exist: refused, naming it, before anything is recorded.
    let err = f
        .ops
        .promote(DeploymentCreate {
            request: req.clone(),
            scheduled_for: None,
            note: None,
            reviewed_hash: None,
            incident: Some(incident + 1000),
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{}", err.message);
    assert!(
        err.message
            .contains(&format!("incident #{}", incident + 1000)),
        "{}",
        err.message
    );
    let none = f
        .ops
        .deployments_list(DeploymentQuery::default())
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");

    // The fix of an open incident: its timeline names the deployment.
    let created = f
        .ops
        .promote(DeploymentCreate {
            request: req,
            scheduled_for: None,
            note: None,
            reviewed_hash: None,
            incident: Some(incident),
        })
        .await
        .unwrap();
    let deployment = created.deployment.id.clone();
    let detail = f.ops.incident_show(incident).await.unwrap();
    let started: Vec<&IncidentEventView> = detail
        .timeline
        .iter()
        .filter(|e| e.kind == crate::domain::incident::EventKind::PromotionStarted)
        .collect();
    assert_eq!(started.len(), 1, "{:?}", detail.timeline);
    assert_eq!(started[0].reference.as_deref(), Some(deployment.as_str()));
    assert_eq!(started[0].actor, f.ops.settings.actor);
    let text = started[0].text.as_deref().unwrap_or_default();
    assert!(
        text.contains(&deployment) && text.contains("from dev to prod"),
        "{text}"
    );
    // The promotion's audit entry says which incident it fixes.
    let mut conn = f.ops.store.conn().await.unwrap();
    let entries = audit::list(&mut conn, Some("prod"), 10_000).await.unwrap();
    drop(conn);
    let requested = entries
        .iter()
        .find(|e| {
            e.action == "promote"
                && e.detail
                    .as_deref()
                    .is_some_and(|d| d.contains(&format!("deployment {deployment} requested")))
        })
        .expect("the promotion's audit entry");
    let said = requested.detail.as_deref().unwrap();
    assert!(
        said.contains(&format!(
            "fixes incident #{incident} ('{promoted}' in 'prod')"
        )),
        "{said}"
    );
}
