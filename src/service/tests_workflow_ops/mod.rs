//! Policy-checked workflow operations against three simulated instances (dev,
//! staging, production): the policy matrix through the service, approvals granted by
//! a second person on the same store, the trash, uploads, downloads, tags, and faults
//! that must leave the store as it was.

use super::test_fixture::{Fixture, generated, settings, sync};
use super::*;
use crate::domain::environment::EnvClass;
use crate::domain::normalize::fingerprint;
use crate::domain::policy::{Policy, Rule};
use crate::sim::{self, Fault, SimHandle};
use crate::store::audit::Outcome;
use crate::store::test_support::{self, TestStore};
use serde_json::{Value, json};
use std::io::Read;

mod approvals;
mod policy;
mod tagging;
mod transfer;
mod trash;

const ENVS: [(&str, EnvClass); 3] = [
    ("dev", EnvClass::Development),
    ("stage", EnvClass::Staging),
    ("prod", EnvClass::Production),
];

struct Fx {
    ops: LocalOps,
    sims: Vec<SimHandle>,
    /// Per environment (in `ENVS` order), workflows n8n agrees to activate.
    activatable: Vec<Vec<String>>,
    store: TestStore,
}

/// Three instances of 40 generated workflows each, registered and synced, operated
/// by "alice". In each, some of the workflows that were active are deactivated first,
/// so there are both active and inactive ones n8n agrees to activate.
async fn fixture(store: TestStore, policy: Policy) -> Fx {
    let mut builder = Fixture::builder()
        .actor("alice")
        .policy(policy)
        .store(store);
    for (i, (name, class)) in ENVS.into_iter().enumerate() {
        builder = builder.env(name, class, generated(20 + i as u64, 40));
    }
    let Fixture {
        ops, sims, store, ..
    } = builder.build().await;
    let mut activatable = Vec::new();
    for ((name, _), sim) in ENVS.iter().zip(&sims) {
        let active: Vec<String> = sim
            .workflow_ids()
            .into_iter()
            .filter(|id| sim.workflow(id).is_some_and(|w| w["active"] == json!(true)))
            .collect();
        assert!(active.len() >= 8, "{name}: enough active workflows");
        for id in &active[..4] {
            sim.set_active(id, false).expect("deactivate");
        }
        activatable.push(active);
    }
    let job = sync(&ops, SyncRequest::default()).await;
    assert!(job.error.is_none(), "{:?}", job.error);
    Fx {
        ops,
        sims,
        activatable,
        store,
    }
}

impl Fx {
    fn index(env: &str) -> usize {
        ENVS.iter().position(|(n, _)| *n == env).expect("known env")
    }

    fn sim(&self, env: &str) -> &SimHandle {
        &self.sims[Self::index(env)]
    }

    /// Someone else working on the same store.
    async fn as_actor(&self, actor: &str) -> LocalOps {
        let settings = Settings {
            policy: self.ops.settings.policy,
            ..settings(actor)
        };
        LocalOps::new(self.store.store.clone(), settings)
            .await
            .expect("ops")
    }

    async fn stored(&self, env: &str) -> Vec<WorkflowSummary> {
        self.ops
            .workflows_list(WorkflowQuery {
                env: Some(env.into()),
                ..Default::default()
            })
            .await
            .expect("list workflows")
    }

    async fn stored_one(&self, env: &str, id: &str) -> Option<WorkflowSummary> {
        self.stored(env).await.into_iter().find(|w| w.id == id)
    }

    /// A stored workflow of `env` that has a trigger and is (in)active; `skip` left out.
    async fn pick(&self, env: &str, active: bool, skip: &[String]) -> WorkflowSummary {
        self.stored(env)
            .await
            .into_iter()
            .find(|w| {
                w.active == active
                    && !skip.contains(&w.id)
                    && self.activatable[Self::index(env)].contains(&w.id)
            })
            .unwrap_or_else(|| panic!("{env} has an activatable workflow with active={active}"))
    }

    fn served_active(&self, env: &str, id: &str) -> bool {
        self.sim(env).workflow(id).expect("served")["active"] == json!(true)
    }

    /// Runs `action` on one workflow of `env`.
    async fn run_one(
        &self,
        action: WorkflowAction,
        env: &str,
        id: &str,
        confirmed: bool,
    ) -> WorkflowOpReport {
        self.ops
            .workflow_op(op(action, vec![target(env, id)], confirmed))
            .await
            .unwrap()
    }

    /// The approvals in `state`, or all of them.
    async fn approvals(&self, state: Option<ApprovalState>) -> Vec<ApprovalView> {
        self.ops
            .approvals_list(ApprovalQuery { state, env: None })
            .await
            .unwrap()
    }

    /// The first audit event of `action`.
    async fn audited(&self, action: &str) -> AuditEntry {
        self.audit()
            .await
            .into_iter()
            .find(|a| a.action == action)
            .unwrap_or_else(|| panic!("{action} is audited"))
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        self.ops
            .audit_list(AuditQuery {
                env: None,
                limit: Some(1000),
            })
            .await
            .expect("audit")
    }
}

fn target(env: &str, id: &str) -> WorkflowRef {
    WorkflowRef {
        env: env.into(),
        id: id.into(),
    }
}

fn op(action: WorkflowAction, targets: Vec<WorkflowRef>, confirmed: bool) -> WorkflowOpRequest {
    WorkflowOpRequest {
        action,
        targets,
        confirmed,
    }
}

/// Each outcome as one word, for compact asserts.
fn kinds(report: &WorkflowOpReport) -> Vec<&'static str> {
    report
        .results
        .iter()
        .map(|r| match &r.outcome {
            OpOutcome::Done => "done",
            OpOutcome::NeedsConfirmation { .. } => "confirm",
            OpOutcome::PendingApproval { .. } => "pending",
            OpOutcome::Blocked { .. } => "blocked",
            OpOutcome::Failed { .. } => "failed",
        })
        .collect()
}

fn approval_id(result: &WorkflowOpResult) -> i64 {
    match &result.outcome {
        OpOutcome::PendingApproval { approval_id, .. } => *approval_id,
        other => panic!("expected a pending approval, got {other:?}"),
    }
}

/// Approval `id` granted, by its requester only when `self_approve`.
fn grant(id: i64, self_approve: bool) -> ApprovalDecision {
    ApprovalDecision {
        id,
        approve: true,
        note: None,
        self_approve,
    }
}

/// The approval an upload is held for.
fn held_upload(report: &UploadReport) -> i64 {
    match &report.outcome {
        OpOutcome::PendingApproval { approval_id, .. } => *approval_id,
        other => panic!("the upload is held, not {other:?}"),
    }
}

fn good_workflow(name: &str) -> Value {
    let mut wf = sim::generator::generate(77, 1).remove(0);
    wf["name"] = json!(name);
    wf
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            (entry.name().unwrap().into_owned(), text)
        })
        .collect()
}
/// One workflow file to upload.
fn upload_of(env: &str, name: &str) -> UploadRequest {
    upload_file(env, &format!("{name}.json"), &good_workflow(name))
}

/// `workflow` uploaded to `env` as the file `file`.
fn upload_file(env: &str, file: &str, workflow: &Value) -> UploadRequest {
    UploadRequest {
        env: env.into(),
        files: vec![UploadFile {
            name: file.into(),
            bytes: workflow.to_string().into_bytes(),
        }],
        confirmed: false,
    }
}

fn served_named(sim: &SimHandle, name: &str) -> Vec<String> {
    sim.workflow_ids()
        .into_iter()
        .filter(|id| sim.workflow(id).is_some_and(|w| w["name"] == json!(name)))
        .collect()
}
