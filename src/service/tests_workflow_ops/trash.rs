//! The trash: soft delete, restore (ruled like an upload) and hard delete.

use super::*;

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
            .run_one(WorkflowAction::Delete { hard: false }, "dev", &w.id, false)
            .await;
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
            .run_one(WorkflowAction::Delete { hard: true }, "dev", &new_id, false)
            .await;
        assert_eq!(kinds(&report), ["done"]);
        assert!(f.sim("dev").workflow(&new_id).is_none());
        assert!(f.stored_one("dev", &new_id).await.is_none());
        assert!(
            f.ops.trash_list(None).await.unwrap().is_empty(),
            "{label}: nothing kept"
        );
        let delete = f.audited("workflow.delete").await;
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
        .run_one(WorkflowAction::Delete { hard: false }, "prod", &w.id, false)
        .await;
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

/// Where uploads require approval, a restore from the trash waits for one too and
/// runs when granted: the workflow comes back and leaves the trash.
#[tokio::test]
async fn a_restore_held_for_approval_runs_when_granted() {
    let mut policy = Policy::default();
    policy.staging.upload = Rule::RequiresApproval;
    let f = fixture(test_support::sqlite().await, policy).await;
    let w = f.pick("stage", false, &[]).await;
    let report = f
        .run_one(WorkflowAction::Delete { hard: false }, "stage", &w.id, true)
        .await;
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

    let pending = f.approvals(None).await;
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
        .approval_decide(grant(id, false))
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
    let restore = f.audited("workflow.restore").await;
    assert_eq!(restore.actor, "bob");
    assert!(restore.detail.unwrap().contains(&format!("approval #{id}")));
}
