//! `Ops::diff` between two environments on the simulator: statuses from the store's
//! history, structural and text diffs of stored workflows, and errors that name what
//! is missing.

use super::super::*;
use crate::domain::diff::{DiffStatus, NodeChangeKind};
use crate::domain::environment::EnvClass;
use crate::sim::{self, SimHandle, SimOptions};
use crate::store::test_support;
use serde_json::json;
use std::time::Duration;

const KEY: &str = "sim-diff-key-1234";

struct Fixture {
    ops: LocalOps,
    /// The target of promotions: the old side, `a`.
    prod: SimHandle,
    /// Their source: the new side, `b`.
    staging: SimHandle,
    _store: test_support::TestStore,
}

async fn fixture() -> Fixture {
    let start = |seed| {
        sim::start(SimOptions {
            api_key: KEY.into(),
            seed,
            workflows: sim::generator::generate(11, 12),
            ..SimOptions::default()
        })
    };
    let prod = start(1).await.expect("start the production simulator");
    let staging = start(2).await.expect("start the staging simulator");
    let store = test_support::sqlite().await;
    let mut settings = Settings::from_config(&Default::default());
    settings.actor = "tester".into();
    settings.client.timeout = Duration::from_secs(5);
    let ops = LocalOps::new(store.store.clone(), settings)
        .await
        .expect("ops");
    for (name, sim, class) in [
        ("prod", &prod, EnvClass::Production),
        ("staging", &staging, EnvClass::Staging),
    ] {
        ops.env_add(EnvAdd {
            name: name.into(),
            url: sim.url.clone(),
            class,
            api_key: Secret::new(KEY),
            git_repo: None,
            git_branch: None,
        })
        .await
        .expect("add env");
    }
    Fixture {
        ops,
        prod,
        staging,
        _store: store,
    }
}

async fn sync(ops: &LocalOps) {
    let events = ops.subscribe();
    let started = ops.sync(SyncRequest::default()).await.expect("start sync");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("follow sync");
    assert!(job.error.is_none(), "sync failed: {:?}", job.error);
}

async fn envs_diff(ops: &LocalOps, workflow: Option<&str>) -> DiffReport {
    ops.diff(DiffRequest::Envs {
        a: "prod".into(),
        b: "staging".into(),
        workflow: workflow.map(str::to_owned),
    })
    .await
    .expect("diff environments")
}

fn status_of(report: &DiffReport, name: &str) -> DiffStatus {
    report
        .workflows
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("'{name}' is not in the report"))
        .status
}

fn edit(sim: &SimHandle, name: &str, value: serde_json::Value) {
    let id = sim
        .workflow_id_by_name(name)
        .expect("workflow in the simulator");
    sim.edit_workflow(&id, |wf| wf["nodes"][0]["parameters"]["edited"] = value)
        .expect("edit");
}

#[tokio::test]
async fn environments_diff_with_every_status() {
    let f = fixture().await;
    sync(&f.ops).await;
    let same = envs_diff(&f.ops, None).await;
    assert_eq!(same.workflows.len(), 12);
    assert!(!same.differs(), "{same:?}");
    assert!(same.workflows.iter().all(|w| w.diff.is_none()));

    let names: Vec<String> = same.workflows.iter().map(|w| w.name.clone()).collect();
    // Staging moves on; production gets a fix of its own; one workflow is new in
    // staging and one was removed from it.
    edit(&f.staging, &names[0], json!("in staging"));
    edit(&f.prod, &names[1], json!("hotfix in production"));
    edit(&f.staging, &names[1], json!("in staging"));
    let new = json!({"name": "Brand new", "nodes": [{"name": "Start", "type": "n8n-nodes-base.manualTrigger",
        "typeVersion": 1, "position": [0, 0], "parameters": {}}], "connections": {}, "settings": {}});
    f.staging.create_workflow(&new).expect("create");
    let gone = f.staging.workflow_id_by_name(&names[2]).expect("workflow");
    assert!(f.staging.delete_workflow(&gone));
    sync(&f.ops).await;

    let report = envs_diff(&f.ops, None).await;
    assert!(report.differs());
    assert_eq!(status_of(&report, &names[0]), DiffStatus::Modified);
    assert_eq!(status_of(&report, &names[1]), DiffStatus::TargetHotfix);
    assert_eq!(status_of(&report, "Brand new"), DiffStatus::Added);
    assert_eq!(status_of(&report, &names[2]), DiffStatus::Deleted);
    assert_eq!(status_of(&report, &names[3]), DiffStatus::Unchanged);
    let modified = report
        .workflows
        .iter()
        .find(|w| w.name == names[0])
        .unwrap();
    let d = modified.diff.as_ref().expect("a structural diff");
    assert_eq!(d.nodes.len(), 1, "{d:?}");
    assert_eq!(d.nodes[0].kind, NodeChangeKind::Modified);
    assert_eq!(d.nodes[0].changes[0].path, "parameters.edited");
    assert!(modified.last_common.is_some());
    assert_eq!(modified.a_fingerprint, modified.last_common);

    // One workflow by name.
    let one = envs_diff(&f.ops, Some(&names[1])).await;
    assert_eq!(one.workflows.len(), 1);
    assert_eq!(one.workflows[0].status, DiffStatus::TargetHotfix);
}

#[tokio::test]
async fn two_stored_workflows_with_their_text() {
    let f = fixture().await;
    sync(&f.ops).await;
    let list = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    let name = list[0].name.clone();
    edit(&f.staging, &name, json!("={{ $json.changed }}"));
    sync(&f.ops).await;
    let r = |env: &str| {
        let w = list
            .iter()
            .find(|w| w.env == env && w.name == name)
            .unwrap();
        WorkflowRef {
            env: env.into(),
            id: w.id.clone(),
        }
    };
    let report = f
        .ops
        .diff(DiffRequest::Workflows {
            a: Some(r("prod")),
            b: Some(r("staging")),
            text: true,
        })
        .await
        .unwrap();
    let entry = &report.workflows[0];
    assert_eq!(entry.status, DiffStatus::Modified);
    let d = entry.diff.as_ref().unwrap();
    assert_eq!(d.risk, Some(crate::domain::diff::Risk::High));
    let text = entry.text.as_ref().expect("the text view");
    assert_eq!(text.hunks.len(), 1);
    assert!(text.new.iter().any(|l| l.contains("$json.changed")));

    // One side absent: everything is added.
    let report = f
        .ops
        .diff(DiffRequest::Workflows {
            a: None,
            b: Some(r("staging")),
            text: false,
        })
        .await
        .unwrap();
    assert_eq!(report.workflows[0].status, DiffStatus::Added);
    let d = report.workflows[0].diff.as_ref().unwrap();
    assert!(d.nodes.iter().all(|n| n.kind == NodeChangeKind::Added));
    drop(f.prod);
}

#[tokio::test]
async fn errors_name_what_is_missing() {
    let f = fixture().await;
    let err = f
        .ops
        .diff(DiffRequest::Envs {
            a: "prod".into(),
            b: "nowhere".into(),
            workflow: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("nowhere"), "{err}");
    let err = f
        .ops
        .diff(DiffRequest::Workflows {
            a: Some(WorkflowRef {
                env: "prod".into(),
                id: "missing-id".into(),
            }),
            b: None,
            text: false,
        })
        .await
        .unwrap_err();
    assert!(
        err.message.contains("missing-id") && err.message.contains("prod"),
        "{err}"
    );
    let err = f
        .ops
        .diff(DiffRequest::Envs {
            a: "prod".into(),
            b: "staging".into(),
            workflow: Some("No such workflow".into()),
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("No such workflow"), "{err}");
}

#[test]
fn pairing_by_name_handles_repeated_names() {
    #[derive(Debug, PartialEq)]
    struct W(&'static str, &'static str, &'static str);
    impl super::Named for W {
        fn name(&self) -> &str {
            self.0
        }
        fn id(&self) -> &str {
            self.1
        }
        fn fingerprint(&self) -> &str {
            self.2
        }
    }
    let pairs = super::pair_by_name(
        vec![W("x", "1", "f"), W("x", "2", "g"), W("y", "3", "h")],
        vec![W("x", "9", "g"), W("z", "8", "k")],
    );
    let shape: Vec<(&str, Option<&str>, Option<&str>)> = pairs
        .iter()
        .map(|(n, a, b)| (n.as_str(), a.as_ref().map(|w| w.1), b.as_ref().map(|w| w.1)))
        .collect();
    assert_eq!(
        shape,
        vec![
            ("x", Some("2"), Some("9")),
            ("x", Some("1"), None),
            ("y", Some("3"), None),
            ("z", None, Some("8")),
        ]
    );
}
