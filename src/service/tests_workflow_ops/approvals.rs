//! Approvals: granted by someone else or, where the class permits, by the requester;
//! held uploads; a granted run that fails.

use super::*;

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

        let pending = f.approvals(Some(ApprovalState::Pending)).await;
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
                .approval_decide(grant(id, self_approve))
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
            .run_one(
                WorkflowAction::Delete { hard: true },
                "prod",
                &first.id,
                false,
            )
            .await;
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
        .run_one(WorkflowAction::Activate, "stage", &w.id, false)
        .await;
    let id = approval_id(&report.results[0]);
    let err = f.ops.approval_decide(grant(id, false)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(err.message.contains("self-approve"), "{}", err.message);
    let granted = f.ops.approval_decide(grant(id, true)).await.unwrap();
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
        .run_one(WorkflowAction::Activate, "prod", &w.id, false)
        .await;
    let id = approval_id(&report.results[0]);
    f.sim("prod").set_faults(Fault::status(500));
    let decided = f
        .as_actor("bob")
        .await
        .approval_decide(grant(id, false))
        .await
        .unwrap();
    f.sim("prod").clear_faults();
    assert_eq!(decided.state, ApprovalState::Failed);
    assert_eq!(kinds(decided.result.as_ref().unwrap()), ["failed"]);
    assert!(!f.served_active("prod", &w.id));
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
        let id = held_upload(&report);
        assert!(report.accepted.is_empty() && report.rejected.is_empty());
        assert!(
            served_named(f.sim("prod"), "Held upload").is_empty(),
            "{label}"
        );

        let pending = f.approvals(None).await;
        assert_eq!(pending.len(), 1, "{label}");
        assert_eq!(pending[0].summary, "upload 'Held upload.json' to prod");
        let HeldRequest::Upload(held) = &pending[0].request else {
            panic!("{label}: an upload is held, not {:?}", pending[0].request);
        };
        assert_eq!(held.files[0].name, "Held upload.json");

        let granted = f
            .as_actor("bob")
            .await
            .approval_decide(grant(id, false))
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
        let all = f.approvals(None).await;
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
    let id = held_upload(&report);
    let err = f.ops.approval_decide(grant(id, true)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden, "{}", err.message);
    assert!(
        err.message.contains("self-approval is not permitted"),
        "{}",
        err.message
    );
    assert!(served_named(f.sim("prod"), "Self approved").is_empty());
    let pending = f.approvals(Some(ApprovalState::Pending)).await;
    assert_eq!(pending.len(), 1);
}
