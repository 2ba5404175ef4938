//! The policy matrix through the service, bulk requests, and a failing n8n that
//! leaves the store as it was.

use super::*;

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
                .workflows_upload(upload_file(
                    env,
                    "new.json",
                    &good_workflow("Uploaded in matrix"),
                ))
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
        .run_one(WorkflowAction::Activate, "dev", &w.id, false)
        .await;
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
