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

/// Every action in every class with the default policy, one bulk request over the
/// three environments each: each target is ruled by its own environment's class.
#[tokio::test]
async fn the_policy_matrix_through_the_service() {
    for store in test_support::all().await {
        let label = store.label;
        let f = fixture(store, Policy::default()).await;

        // Activate and deactivate: allowed, allowed, requires approval.
        let inactive: Vec<WorkflowSummary> =
            futures_util::future::join_all(["dev", "stage", "prod"].map(|e| f.pick(e, false, &[])))
                .await;
        let targets: Vec<WorkflowRef> = inactive.iter().map(|w| target(&w.env, &w.id)).collect();
        let report = f
            .ops
            .workflow_op(op(WorkflowAction::Activate, targets.clone(), false))
            .await
            .unwrap();
        assert_eq!(
            kinds(&report),
            ["done", "done", "pending"],
            "{label}: {report:?}"
        );
        assert_eq!(
            report.results[0].name.as_deref(),
            Some(inactive[0].name.as_str())
        );
        for (w, active) in inactive.iter().zip([true, true, false]) {
            assert_eq!(f.served_active(&w.env, &w.id), active, "{label}: {}", w.env);
            let stored = f.stored_one(&w.env, &w.id).await.unwrap();
            assert_eq!(stored.active, active, "{label}: the store follows n8n");
            assert_eq!(stored.fingerprint, w.fingerprint);
        }
        let report = f
            .ops
            .workflow_op(op(WorkflowAction::Deactivate, targets, false))
            .await
            .unwrap();
        assert_eq!(
            kinds(&report),
            ["done", "done", "pending"],
            "{label}: {report:?}"
        );
        assert!(!f.served_active("dev", &inactive[0].id));

        // Delete: allowed, warn, requires approval.
        let doomed: Vec<WorkflowSummary> =
            futures_util::future::join_all(["dev", "stage", "prod"].map(|e| f.pick(e, true, &[])))
                .await;
        let targets: Vec<WorkflowRef> = doomed.iter().map(|w| target(&w.env, &w.id)).collect();
        let delete = WorkflowAction::Delete { hard: false };
        let report = f
            .ops
            .workflow_op(op(delete.clone(), targets.clone(), false))
            .await
            .unwrap();
        assert_eq!(kinds(&report), ["done", "confirm", "pending"], "{label}");
        let OpOutcome::NeedsConfirmation { reason } = &report.results[1].outcome else {
            unreachable!()
        };
        assert_eq!(reason, "delete in stage (staging) needs confirmation");
        assert!(f.sim("dev").workflow(&doomed[0].id).is_none());
        assert!(f.stored_one("dev", &doomed[0].id).await.is_none());
        assert!(f.sim("stage").workflow(&doomed[1].id).is_some());
        let confirmed = f
            .ops
            .workflow_op(op(delete, vec![targets[1].clone()], true))
            .await
            .unwrap();
        assert_eq!(kinds(&confirmed), ["done"], "{label}");
        assert!(f.sim("stage").workflow(&doomed[1].id).is_none());
        assert!(f.stored_one("stage", &doomed[1].id).await.is_none());

        // Tag (a direct edit): allowed, warn, blocked.
        let tagged: Vec<WorkflowSummary> =
            futures_util::future::join_all(["dev", "stage", "prod"].map(|e| f.pick(e, false, &[])))
                .await;
        let targets: Vec<WorkflowRef> = tagged.iter().map(|w| target(&w.env, &w.id)).collect();
        let tag = WorkflowAction::Tag {
            add: vec!["reviewed".into()],
            remove: vec![],
        };
        let report = f
            .ops
            .workflow_op(op(tag.clone(), targets.clone(), false))
            .await
            .unwrap();
        assert_eq!(kinds(&report), ["done", "confirm", "blocked"], "{label}");
        let OpOutcome::Blocked { reason } = &report.results[2].outcome else {
            unreachable!()
        };
        assert_eq!(
            reason,
            "direct edit is blocked in prod (production) by policy"
        );
        assert!(
            f.stored_one("dev", &tagged[0].id)
                .await
                .unwrap()
                .tags
                .contains(&"reviewed".to_string())
        );
        let confirmed = f
            .ops
            .workflow_op(op(tag, vec![targets[1].clone()], true))
            .await
            .unwrap();
        assert_eq!(kinds(&confirmed), ["done"], "{label}");

        // Upload: allowed, allowed, blocked.
        for (env, want) in [
            ("dev", OpOutcome::Done),
            ("stage", OpOutcome::Done),
            (
                "prod",
                OpOutcome::Blocked {
                    reason: "upload is blocked in prod (production) by policy".into(),
                },
            ),
        ] {
            let report = f
                .ops
                .workflows_upload(UploadRequest {
                    env: env.into(),
                    files: vec![UploadFile {
                        name: "new.json".into(),
                        bytes: good_workflow("Uploaded in matrix").to_string().into_bytes(),
                    }],
                    confirmed: false,
                })
                .await
                .unwrap();
            assert_eq!(report.outcome, want, "{label}: upload to {env}");
            assert_eq!(report.accepted.len(), usize::from(want == OpOutcome::Done));
        }

        // Refusals are audited with their workflow.
        let audit = f.audit().await;
        let blocked = audit
            .iter()
            .find(|a| a.action == "workflow.tag" && a.outcome == Outcome::Error)
            .expect("the blocked tag is audited");
        assert_eq!(blocked.workflow.as_deref(), Some(tagged[2].id.as_str()));
        assert_eq!(blocked.env.as_deref(), Some("prod"));
        let activated = audit
            .iter()
            .find(|a| a.action == "workflow.activate" && a.env.as_deref() == Some("dev"))
            .expect("the activation is audited");
        assert_eq!(activated.workflow.as_deref(), Some(inactive[0].id.as_str()));
        assert_eq!(activated.actor, "alice");
    }
}

/// A production activation waits for an approval; the requester cannot grant it
/// there, someone else can, and it then runs exactly what was asked.
#[tokio::test]
async fn an_approval_granted_by_someone_else_runs_the_request() {
    for store in test_support::all().await {
        let label = store.label;
        let f = fixture(store, Policy::default()).await;
        let first = f.pick("prod", false, &[]).await;
        let second = f.pick("prod", false, std::slice::from_ref(&first.id)).await;
        let report = f
            .ops
            .workflow_op(op(
                WorkflowAction::Activate,
                vec![target("prod", &first.id), target("prod", &second.id)],
                false,
            ))
            .await
            .unwrap();
        assert_eq!(kinds(&report), ["pending", "pending"], "{label}");
        let id = approval_id(&report.results[0]);
        assert_eq!(
            approval_id(&report.results[1]),
            id,
            "one approval per environment"
        );

        let pending = f
            .ops
            .approvals_list(ApprovalQuery {
                state: Some(ApprovalState::Pending),
                env: None,
            })
            .await
            .unwrap();
        assert_eq!(pending.len(), 1, "{label}");
        let approval = &pending[0];
        assert_eq!(approval.env, "prod");
        assert_eq!(approval.requested_by, "alice");
        let HeldRequest::WorkflowOp(request) = &approval.request else {
            panic!(
                "{label}: a workflow operation is held, not {:?}",
                approval.request
            );
        };
        assert_eq!(request.action, WorkflowAction::Activate);
        assert_eq!(request.targets.len(), 2);
        assert_eq!(
            approval.summary,
            format!(
                "activate 2 workflows in prod: '{}', '{}'",
                first.name, second.name
            )
        );

        // The requester may not grant it in production, even on purpose.
        for self_approve in [false, true] {
            let err = f
                .ops
                .approval_decide(ApprovalDecision {
                    id,
                    approve: true,
                    note: None,
                    self_approve,
                })
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::Forbidden, "{label}: {}", err.message);
        }
        assert!(!f.served_active("prod", &first.id));

        let bob = f.as_actor("bob").await;
        let granted = bob
            .approval_decide(ApprovalDecision {
                id,
                approve: true,
                note: Some("checked with the owners".into()),
                self_approve: false,
            })
            .await
            .unwrap();
        assert_eq!(granted.state, ApprovalState::Approved, "{label}");
        assert_eq!(granted.decided_by.as_deref(), Some("bob"));
        assert_eq!(granted.note.as_deref(), Some("checked with the owners"));
        let result = granted.result.expect("what running it did");
        assert_eq!(kinds(&result), ["done", "done"]);
        for w in [&first, &second] {
            assert!(f.served_active("prod", &w.id), "{label}");
            assert!(f.stored_one("prod", &w.id).await.unwrap().active);
        }

        // Decided once only.
        let again = bob
            .approval_decide(ApprovalDecision {
                id,
                approve: false,
                note: None,
                self_approve: false,
            })
            .await
            .unwrap_err();
        assert_eq!(again.kind, ErrorKind::Conflict);

        // A rejected approval runs nothing.
        let report = f
            .ops
            .workflow_op(op(
                WorkflowAction::Delete { hard: true },
                vec![target("prod", &first.id)],
                false,
            ))
            .await
            .unwrap();
        let rejected = bob
            .approval_decide(ApprovalDecision {
                id: approval_id(&report.results[0]),
                approve: false,
                note: Some("not during the freeze".into()),
                self_approve: false,
            })
            .await
            .unwrap();
        assert_eq!(rejected.state, ApprovalState::Rejected);
        assert!(rejected.result.is_none());
        assert!(f.sim("prod").workflow(&first.id).is_some());

        let audit = f.audit().await;
        let actions: Vec<(&str, &str)> = audit
            .iter()
            .filter(|a| a.env.as_deref() == Some("prod"))
            .map(|a| (a.actor.as_str(), a.action.as_str()))
            .collect();
        for want in [
            ("alice", "approval.request"),
            ("bob", "approval.grant"),
            ("bob", "workflow.activate"),
            ("bob", "approval.reject"),
        ] {
            assert!(actions.contains(&want), "{label}: {want:?} in {actions:?}");
        }
        let ran = audit
            .iter()
            .find(|a| a.action == "workflow.activate" && a.env.as_deref() == Some("prod"))
            .unwrap();
        assert!(
            ran.detail
                .as_deref()
                .unwrap_or("")
                .contains(&format!("approval #{id}")),
            "{:?}",
            ran.detail
        );
        let refused = audit
            .iter()
            .filter(|a| a.action == "approval.grant" && a.outcome == Outcome::Error)
            .count();
        assert_eq!(
            refused, 2,
            "{label}: both refused self-approvals are audited"
        );
    }
}

/// Where the class permits self-approval, the requester grants their own request, but
/// only on purpose.
#[tokio::test]
async fn self_approval_where_the_policy_permits_it() {
    let mut policy = Policy::default();
    policy.staging.activate = Rule::RequiresApproval;
    assert!(policy.staging.self_approval);
    let f = fixture(test_support::sqlite().await, policy).await;
    let w = f.pick("stage", false, &[]).await;
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Activate,
            vec![target("stage", &w.id)],
            false,
        ))
        .await
        .unwrap();
    let id = approval_id(&report.results[0]);
    let err = f
        .ops
        .approval_decide(ApprovalDecision {
            id,
            approve: true,
            note: None,
            self_approve: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(err.message.contains("self-approve"), "{}", err.message);
    let granted = f
        .ops
        .approval_decide(ApprovalDecision {
            id,
            approve: true,
            note: None,
            self_approve: true,
        })
        .await
        .unwrap();
    assert_eq!(granted.state, ApprovalState::Approved);
    assert_eq!(granted.decided_by.as_deref(), Some("alice"));
    assert!(f.served_active("stage", &w.id));
}

/// A granted approval whose run fails is marked failed, with the reason kept.
#[tokio::test]
async fn a_granted_approval_that_fails_is_marked_failed() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let w = f.pick("prod", false, &[]).await;
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Activate,
            vec![target("prod", &w.id)],
            false,
        ))
        .await
        .unwrap();
    let id = approval_id(&report.results[0]);
    f.sim("prod").set_faults(Fault::status(500));
    let decided = f
        .as_actor("bob")
        .await
        .approval_decide(ApprovalDecision {
            id,
            approve: true,
            note: None,
            self_approve: false,
        })
        .await
        .unwrap();
    f.sim("prod").clear_faults();
    assert_eq!(decided.state, ApprovalState::Failed);
    assert_eq!(kinds(decided.result.as_ref().unwrap()), ["failed"]);
    assert!(!f.served_active("prod", &w.id));
}

/// A soft delete keeps the workflow; restoring it gives back the same workflow
/// (fingerprint, tags, active state) under a new id. A hard delete keeps nothing.
#[tokio::test]
async fn soft_delete_then_restore_and_hard_delete() {
    for store in test_support::all().await {
        let label = store.label;
        let f = fixture(store, Policy::default()).await;
        let w = f.pick("dev", true, &[]).await;
        let tags = f.sim("dev").workflow(&w.id).unwrap()["tags"].clone();
        let report = f
            .ops
            .workflow_op(op(
                WorkflowAction::Delete { hard: false },
                vec![target("dev", &w.id)],
                false,
            ))
            .await
            .unwrap();
        assert_eq!(kinds(&report), ["done"], "{label}");
        assert!(f.sim("dev").workflow(&w.id).is_none());
        let trash = f.ops.trash_list(Some("dev".into())).await.unwrap();
        assert_eq!(trash.len(), 1, "{label}");
        assert_eq!(
            (trash[0].workflow_id.as_str(), trash[0].name.as_str()),
            (w.id.as_str(), w.name.as_str())
        );
        assert_eq!(trash[0].deleted_by, "alice");
        assert!(
            f.ops
                .trash_list(Some("prod".into()))
                .await
                .unwrap()
                .is_empty()
        );

        let restored = f.ops.trash_restore(trash[0].id, false).await.unwrap();
        assert_eq!(restored.outcome, OpOutcome::Done, "{label}: {restored:?}");
        let new_id = restored.target.id.clone();
        assert_ne!(new_id, w.id, "n8n gives it a new id");
        let served = f.sim("dev").workflow(&new_id).expect("re-created");
        assert_eq!(fingerprint(&served), w.fingerprint, "{label}");
        assert_eq!(served["active"], json!(true), "{label}: active again");
        let names = |t: &Value| -> Vec<String> {
            t.as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(names(&served["tags"]), names(&tags), "{label}: tags again");
        let stored = f.stored_one("dev", &new_id).await.expect("stored");
        assert_eq!(stored.fingerprint, w.fingerprint);
        assert!(stored.active);
        assert!(f.ops.trash_list(None).await.unwrap().is_empty());
        let again = f.ops.trash_restore(trash[0].id, false).await.unwrap_err();
        assert_eq!(again.kind, ErrorKind::NotFound);

        let report = f
            .ops
            .workflow_op(op(
                WorkflowAction::Delete { hard: true },
                vec![target("dev", &new_id)],
                false,
            ))
            .await
            .unwrap();
        assert_eq!(kinds(&report), ["done"]);
        assert!(f.sim("dev").workflow(&new_id).is_none());
        assert!(f.stored_one("dev", &new_id).await.is_none());
        assert!(
            f.ops.trash_list(None).await.unwrap().is_empty(),
            "{label}: nothing kept"
        );
        let delete = f
            .audit()
            .await
            .into_iter()
            .find(|a| a.action == "workflow.delete")
            .unwrap();
        assert!(delete.detail.unwrap().contains("hard delete"));
    }
}

/// Restoring is ruled like an upload: refused where uploads are blocked.
#[tokio::test]
async fn a_restore_is_ruled_like_an_upload() {
    let mut policy = Policy::default();
    policy.production.delete = Rule::Allowed;
    let f = fixture(test_support::sqlite().await, policy).await;
    let w = f.pick("prod", false, &[]).await;
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Delete { hard: false },
            vec![target("prod", &w.id)],
            false,
        ))
        .await
        .unwrap();
    assert_eq!(kinds(&report), ["done"]);
    let trash = f.ops.trash_list(None).await.unwrap();
    let restored = f.ops.trash_restore(trash[0].id, true).await.unwrap();
    assert_eq!(
        restored.outcome,
        OpOutcome::Blocked {
            reason: "upload is blocked in prod (production) by policy".into()
        }
    );
    assert_eq!(
        f.ops.trash_list(None).await.unwrap().len(),
        1,
        "still in the trash"
    );
}

/// Uploads of a JSON file and of a ZIP with good and bad entries: each bad one is
/// rejected with its reason, named `archive.zip/inner.json`; n8n's refusals in its words.
#[tokio::test]
async fn an_uploaded_file_keeps_the_tags_it_names() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let mut wf = good_workflow("Tagged upload");
    wf["tags"] = json!([{ "id": "x1", "name": "billing" }, " ops ", { "name": "billing" }, ""]);
    let report = f
        .ops
        .workflows_upload(UploadRequest {
            env: "dev".into(),
            files: vec![UploadFile {
                name: "tagged.json".into(),
                bytes: wf.to_string().into_bytes(),
            }],
            confirmed: false,
        })
        .await
        .unwrap();
    assert_eq!(report.rejected, []);
    let id = &report.accepted[0].id;
    let served = f.sim("dev").workflow(id).expect("created");
    let mut in_n8n: Vec<&str> = served["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    in_n8n.sort();
    assert_eq!(in_n8n, ["billing", "ops"]);
    let mut stored = f.stored_one("dev", id).await.expect("stored").tags;
    stored.sort();
    assert_eq!(stored, ["billing", "ops"]);
}

#[tokio::test]
async fn upload_of_json_and_a_zip_with_good_and_bad_entries() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let mut refused_by_n8n = good_workflow("Refused by n8n");
    refused_by_n8n["nodes"][0]["unknownField"] = json!(1);
    let zip = super::archive::write_zip([
        (
            "flows/one.json",
            good_workflow("From the zip").to_string().as_bytes(),
        ),
        (
            "flows/shape.json",
            br#"{"name": "No nodes", "connections": {}}"#.as_slice(),
        ),
        ("flows/broken.json", b"{\"name\": ".as_slice()),
        ("flows/notes.txt", b"hello".as_slice()),
        ("flows/refused.json", refused_by_n8n.to_string().as_bytes()),
        (
            "flows/two.json",
            json!([
                good_workflow("Listed first"),
                good_workflow("Listed second")
            ])
            .to_string()
            .as_bytes(),
        ),
    ])
    .unwrap();
    let report = f
        .ops
        .workflows_upload(UploadRequest {
            env: "dev".into(),
            files: vec![
                UploadFile {
                    name: "single.json".into(),
                    bytes: good_workflow("From a file").to_string().into_bytes(),
                },
                UploadFile {
                    name: "bundle.zip".into(),
                    bytes: zip,
                },
            ],
            confirmed: false,
        })
        .await
        .unwrap();
    assert_eq!(report.outcome, OpOutcome::Done);
    let accepted: Vec<(&str, &str)> = report
        .accepted
        .iter()
        .map(|a| (a.file.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        accepted,
        [
            ("single.json", "From a file"),
            ("bundle.zip/flows/one.json", "From the zip"),
            ("bundle.zip/flows/two.json#1", "Listed first"),
            ("bundle.zip/flows/two.json#2", "Listed second"),
        ]
    );
    let rejected: Vec<(&str, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.file.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        rejected[0],
        ("bundle.zip/flows/notes.txt", "not a .json file")
    );
    assert_eq!(
        rejected[1],
        ("bundle.zip/flows/shape.json", "no `nodes` array")
    );
    assert_eq!(rejected[2].0, "bundle.zip/flows/broken.json");
    assert!(
        rejected[2].1.starts_with("not valid JSON"),
        "{}",
        rejected[2].1
    );
    assert_eq!(rejected[3].0, "bundle.zip/flows/refused.json");
    assert!(
        rejected[3].1.starts_with("n8n refused it: ")
            && rejected[3]
                .1
                .contains("must NOT have additional properties"),
        "{}",
        rejected[3].1
    );
    assert_eq!(rejected.len(), 4);

    // Each accepted workflow is in n8n and in the store, fingerprinted the same.
    for a in &report.accepted {
        let served = f.sim("dev").workflow(&a.id).expect("created");
        let stored = f.stored_one("dev", &a.id).await.expect("stored");
        assert_eq!(stored.fingerprint, fingerprint(&served));
        assert_eq!(stored.change, crate::domain::sync::Change::Added);
    }
    let audit = f.audit().await;
    let uploads: Vec<&AuditEntry> = audit
        .iter()
        .filter(|a| a.action == "workflow.upload")
        .collect();
    assert_eq!(
        uploads.iter().filter(|a| a.outcome == Outcome::Ok).count(),
        4
    );
    assert_eq!(
        uploads
            .iter()
            .filter(|a| a.outcome == Outcome::Error)
            .count(),
        4
    );
    assert!(
        uploads
            .iter()
            .any(|a| a.workflow.as_deref() == Some(report.accepted[0].id.as_str()))
    );
}

/// A download is a ZIP of `<env>/<name>.json`, each the stored JSON; uploading it
/// elsewhere gives the same workflows.
#[tokio::test]
async fn download_zip_round_trip() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let dev = f.stored("dev").await;
    let targets: Vec<WorkflowRef> = dev.iter().take(5).map(|w| target("dev", &w.id)).collect();
    let download = f
        .ops
        .workflows_download(DownloadRequest {
            targets: targets.clone(),
        })
        .await
        .unwrap();
    assert_eq!(download.workflows, 5);
    assert!(
        download.file_name.starts_with("dev-workflows-") && download.file_name.ends_with(".zip")
    );
    let entries = unzip(&download.zip);
    assert_eq!(entries.len(), 5);
    for ((path, text), w) in entries.iter().zip(&dev) {
        assert_eq!(
            path,
            &format!("dev/{}.json", crate::domain::transfer::safe_stem(&w.name))
        );
        let detail = f.ops.workflow_get(target("dev", &w.id)).await.unwrap();
        let parsed: Value = serde_json::from_str(text).unwrap();
        assert_eq!(parsed, detail.raw, "as n8n returned it");
        assert!(text.contains("\n  "), "pretty-printed");
    }

    let report = f
        .ops
        .workflows_upload(UploadRequest {
            env: "stage".into(),
            files: vec![UploadFile {
                name: download.file_name.clone(),
                bytes: download.zip,
            }],
            confirmed: false,
        })
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let mut uploaded: Vec<String> = Vec::new();
    for a in &report.accepted {
        uploaded.push(f.stored_one("stage", &a.id).await.unwrap().fingerprint);
    }
    let mut originals: Vec<String> = dev.iter().take(5).map(|w| w.fingerprint.clone()).collect();
    uploaded.sort();
    originals.sort();
    assert_eq!(uploaded, originals);

    let missing = f
        .ops
        .workflows_download(DownloadRequest {
            targets: vec![target("dev", "no-such-id")],
        })
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    assert!(
        missing.message.contains("no-such-id"),
        "{}",
        missing.message
    );
}

/// Tags are added (created when new) and removed; n8n, the stored workflow and the
/// stored tag list follow.
#[tokio::test]
async fn tags_are_added_and_removed() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let w = f
        .stored("dev")
        .await
        .into_iter()
        .find(|w| !w.tags.is_empty())
        .expect("a tagged workflow");
    let old = w.tags[0].clone();
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Tag {
                add: vec!["brand-new".into()],
                remove: vec![old.clone()],
            },
            vec![target("dev", &w.id)],
            false,
        ))
        .await
        .unwrap();
    assert_eq!(kinds(&report), ["done"]);
    let served: Vec<String> = f.sim("dev").workflow(&w.id).unwrap()["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(served.contains(&"brand-new".to_string()) && !served.contains(&old));
    let stored = f.stored_one("dev", &w.id).await.unwrap();
    assert_eq!(stored.tags, served);
    assert_eq!(stored.fingerprint, w.fingerprint, "tags are not content");
    let inventory = f.ops.env_inventory("dev".into()).await.unwrap();
    assert!(inventory.tags.iter().any(|t| t.name == "brand-new"));

    for (add, remove) in [
        (vec![], vec![]),
        (vec!["x".repeat(25)], vec![]),
        (vec!["a".into()], vec!["a".into()]),
    ] {
        let err = f
            .ops
            .workflow_op(op(
                WorkflowAction::Tag { add, remove },
                vec![target("dev", &w.id)],
                false,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "{}", err.message);
    }
}

/// Bulk over marked rows: many targets in one environment, one of them gone.
#[tokio::test]
async fn bulk_over_marked_targets() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let mut marked: Vec<WorkflowRef> = f
        .stored("dev")
        .await
        .iter()
        .filter(|w| w.active)
        .take(6)
        .map(|w| target("dev", &w.id))
        .collect();
    assert_eq!(marked.len(), 6);
    marked.push(target("dev", "gone"));
    marked.push(target("nowhere", "1"));
    marked.push(marked[0].clone());
    let report = f
        .ops
        .workflow_op(op(WorkflowAction::Deactivate, marked.clone(), false))
        .await
        .unwrap();
    assert_eq!(
        kinds(&report),
        [
            "done", "done", "done", "done", "done", "done", "failed", "failed"
        ],
        "a repeated target runs once"
    );
    let OpOutcome::Failed { error } = &report.results[6].outcome else {
        unreachable!()
    };
    assert!(error.contains("dev") && error.contains("404"), "{error}");
    assert_eq!(
        report.results[7].outcome,
        OpOutcome::Failed {
            error: "no environment named 'nowhere'".into()
        }
    );
    for t in &marked[..6] {
        assert!(!f.served_active("dev", &t.id));
        assert!(!f.stored_one("dev", &t.id).await.unwrap().active);
    }
    let err = f
        .ops
        .workflow_op(op(WorkflowAction::Activate, vec![], false))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
}

/// A failing n8n leaves the store as it was, and the failure is audited with its
/// workflow. When n8n made the change but reading it back fails, the outcome says so.
#[tokio::test]
async fn a_failing_n8n_leaves_the_store_as_it_was() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let w = f.pick("dev", false, &[]).await;
    let before = f.stored("dev").await;
    let path = format!("/api/v1/workflows/{}", w.id);
    let cases: Vec<(&str, WorkflowAction, Fault)> = vec![
        (
            "activate refused",
            WorkflowAction::Activate,
            Fault::status(500).on(&path),
        ),
        (
            "soft delete: the delete fails after the read",
            WorkflowAction::Delete { hard: false },
            Fault::status(503).on(&path).after(1),
        ),
        (
            "tag: the connection drops",
            WorkflowAction::Tag {
                add: vec!["x".into()],
                remove: vec![],
            },
            Fault::drop_after(10).on(&path),
        ),
    ];
    for (what, action, fault) in cases {
        f.sim("dev").set_faults(fault);
        let report = f
            .ops
            .workflow_op(op(action, vec![target("dev", &w.id)], true))
            .await
            .unwrap();
        f.sim("dev").clear_faults();
        assert_eq!(kinds(&report), ["failed"], "{what}");
        let OpOutcome::Failed { error } = &report.results[0].outcome else {
            unreachable!()
        };
        assert!(error.starts_with("dev: "), "{what}: {error}");
        assert_eq!(f.stored("dev").await, before, "{what}: store unchanged");
        assert!(
            f.ops.trash_list(None).await.unwrap().is_empty(),
            "{what}: no trash left"
        );
        assert!(f.sim("dev").workflow(&w.id).is_some());
    }

    // n8n activates, then the read-back fails: the store still shows it inactive,
    // and the outcome says the change happened.
    f.sim("dev")
        .set_faults(Fault::status(500).on(&path).after(1));
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Activate,
            vec![target("dev", &w.id)],
            false,
        ))
        .await
        .unwrap();
    f.sim("dev").clear_faults();
    let OpOutcome::Failed { error } = &report.results[0].outcome else {
        panic!("{report:?}")
    };
    assert!(error.contains("was activated in n8n, but"), "{error}");
    assert!(f.served_active("dev", &w.id));
    assert_eq!(f.stored("dev").await, before);

    let failures: Vec<AuditEntry> = f
        .audit()
        .await
        .into_iter()
        .filter(|a| a.outcome == Outcome::Error)
        .collect();
    assert_eq!(failures.len(), 4);
    assert!(
        failures
            .iter()
            .all(|a| a.workflow.as_deref() == Some(w.id.as_str()))
    );
}

/// One workflow file to upload.
fn upload_of(env: &str, name: &str) -> UploadRequest {
    UploadRequest {
        env: env.into(),
        files: vec![UploadFile {
            name: format!("{name}.json"),
            bytes: good_workflow(name).to_string().into_bytes(),
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

/// Where uploads require approval, an upload creates nothing until someone else
/// grants it; then it runs as it would have, audited with the approval.
#[tokio::test]
async fn an_upload_held_for_approval_runs_when_someone_else_grants_it() {
    for store in test_support::all().await {
        let label = store.label;
        let mut policy = Policy::default();
        policy.production.upload = Rule::RequiresApproval;
        let f = fixture(store, policy).await;
        let report = f
            .ops
            .workflows_upload(upload_of("prod", "Held upload"))
            .await
            .unwrap();
        let OpOutcome::PendingApproval {
            approval_id: id, ..
        } = report.outcome
        else {
            panic!("{label}: held, not {:?}", report.outcome);
        };
        assert!(report.accepted.is_empty() && report.rejected.is_empty());
        assert!(
            served_named(f.sim("prod"), "Held upload").is_empty(),
            "{label}"
        );

        let pending = f
            .ops
            .approvals_list(ApprovalQuery::default())
            .await
            .unwrap();
        assert_eq!(pending.len(), 1, "{label}");
        assert_eq!(pending[0].summary, "upload 'Held upload.json' to prod");
        let HeldRequest::Upload(held) = &pending[0].request else {
            panic!("{label}: an upload is held, not {:?}", pending[0].request);
        };
        assert_eq!(held.files[0].name, "Held upload.json");

        let granted = f
            .as_actor("bob")
            .await
            .approval_decide(ApprovalDecision {
                id,
                approve: true,
                note: None,
                self_approve: false,
            })
            .await
            .unwrap();
        assert_eq!(granted.state, ApprovalState::Approved, "{label}");
        assert!(granted.result.is_none());
        let ran = granted.upload_result.expect("the upload's report");
        assert_eq!(ran.outcome, OpOutcome::Done, "{label}");
        assert_eq!(ran.accepted.len(), 1, "{label}: {ran:?}");
        let created = &ran.accepted[0];
        assert_eq!(created.name, "Held upload");
        assert_eq!(
            served_named(f.sim("prod"), "Held upload"),
            std::slice::from_ref(&created.id)
        );
        assert!(f.stored_one("prod", &created.id).await.is_some(), "{label}");

        // Read back from the store, the view keeps the report.
        let all = f
            .ops
            .approvals_list(ApprovalQuery::default())
            .await
            .unwrap();
        assert_eq!(all[0].upload_result.as_ref(), Some(&ran));
        let audit = f.audit().await;
        let upload = audit
            .iter()
            .find(|a| a.action == "workflow.upload")
            .expect("the upload is audited");
        assert_eq!(upload.actor, "bob");
        assert!(
            upload
                .detail
                .as_deref()
                .unwrap_or("")
                .contains(&format!("approval #{id}")),
            "{label}: {:?}",
            upload.detail
        );
        assert!(
            audit
                .iter()
                .any(|a| a.action == "approval.request" && a.actor == "alice")
        );
    }
}

/// Where uploads require approval, a restore from the trash waits for one too and
/// runs when granted: the workflow comes back and leaves the trash.
#[tokio::test]
async fn a_restore_held_for_approval_runs_when_granted() {
    let mut policy = Policy::default();
    policy.staging.upload = Rule::RequiresApproval;
    let f = fixture(test_support::sqlite().await, policy).await;
    let w = f.pick("stage", false, &[]).await;
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Delete { hard: false },
            vec![target("stage", &w.id)],
            true,
        ))
        .await
        .unwrap();
    assert_eq!(kinds(&report), ["done"]);
    let trash_id = f.ops.trash_list(None).await.unwrap()[0].id;
    let held = f.ops.trash_restore(trash_id, true).await.unwrap();
    let id = approval_id(&held);
    assert_eq!(held.target, target("stage", &w.id));
    assert_eq!(
        f.ops.trash_list(None).await.unwrap().len(),
        1,
        "still in the trash"
    );
    assert!(served_named(f.sim("stage"), &w.name).is_empty());

    let pending = f
        .ops
        .approvals_list(ApprovalQuery::default())
        .await
        .unwrap();
    assert_eq!(
        pending[0].request,
        HeldRequest::Restore {
            trash_id,
            workflow_id: w.id.clone(),
            name: w.name.clone(),
        }
    );
    assert_eq!(
        pending[0].summary,
        format!(
            "restore '{}' (trash #{trash_id}, was {}) in stage",
            w.name, w.id
        )
    );

    let granted = f
        .as_actor("bob")
        .await
        .approval_decide(ApprovalDecision {
            id,
            approve: true,
            note: None,
            self_approve: false,
        })
        .await
        .unwrap();
    assert_eq!(granted.state, ApprovalState::Approved);
    let result = granted.result.expect("what the restore did");
    assert_eq!(kinds(&result), ["done"]);
    let new_id = &result.results[0].target.id;
    assert_ne!(new_id, &w.id);
    let served = f.sim("stage").workflow(new_id).expect("re-created");
    assert_eq!(fingerprint(&served), w.fingerprint);
    assert!(f.ops.trash_list(None).await.unwrap().is_empty());
    let restore = f
        .audit()
        .await
        .into_iter()
        .find(|a| a.action == "workflow.restore")
        .expect("audited");
    assert_eq!(restore.actor, "bob");
    assert!(restore.detail.unwrap().contains(&format!("approval #{id}")));
}

/// The requester may not grant their own held upload where the class forbids
/// self-approval, even on purpose; nothing is created and it stays pending.
#[tokio::test]
async fn a_held_upload_is_not_self_approved_where_the_class_forbids_it() {
    let mut policy = Policy::default();
    policy.production.upload = Rule::RequiresApproval;
    assert!(!policy.production.self_approval);
    let f = fixture(test_support::sqlite().await, policy).await;
    let report = f
        .ops
        .workflows_upload(upload_of("prod", "Self approved"))
        .await
        .unwrap();
    let OpOutcome::PendingApproval {
        approval_id: id, ..
    } = report.outcome
    else {
        panic!("held, not {:?}", report.outcome);
    };
    let err = f
        .ops
        .approval_decide(ApprovalDecision {
            id,
            approve: true,
            note: None,
            self_approve: true,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden, "{}", err.message);
    assert!(
        err.message.contains("self-approval is not permitted"),
        "{}",
        err.message
    );
    assert!(served_named(f.sim("prod"), "Self approved").is_empty());
    let pending = f
        .ops
        .approvals_list(ApprovalQuery {
            state: Some(ApprovalState::Pending),
            env: None,
        })
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
}
