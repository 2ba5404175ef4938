//! Workflow operations from the list: targets, confirmations, policy answers,
//! readonly mode, upload, download and diff.

use super::*;

#[tokio::test]
async fn marking_then_a_bulk_action_sends_one_request_with_every_marked_target() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    // Sorted by name, then environment: Customer onboarding, Invoice export x2, ...
    act(&mut pane, &mut h, Action::Mark); // development/Customer onboarding
    act(&mut pane, &mut h, Action::Down); // skip development/Invoice export
    act(&mut pane, &mut h, Action::Mark); // production/Invoice export
    act(&mut pane, &mut h, Action::Mark); // development/Order intake
    assert_eq!(pane.catalog.marks.len(), 3);
    act(&mut pane, &mut h, Action::Activate);
    assert_eq!(spawned(&h.effects), 1, "one request for the whole batch");
    let messages = h.run_spawned().await;
    let Msg::Ran { request, .. } = msg(&messages[0]) else {
        panic!("not an operation's answer");
    };
    assert_eq!(request.action, WorkflowAction::Activate);
    assert!(!request.confirmed);
    let targets: Vec<(&str, &str)> = request
        .targets
        .iter()
        .map(|t| (t.env.as_str(), t.id.as_str()))
        .collect();
    assert_eq!(
        targets,
        vec![
            ("development", "d4"),
            ("production", "p2"),
            ("development", "d1")
        ]
    );
}

#[tokio::test]
async fn without_marks_the_row_under_the_cursor_is_the_target() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    act(&mut pane, &mut h, Action::Bottom);
    act(&mut pane, &mut h, Action::Deactivate);
    let messages = h.run_spawned().await;
    let Msg::Ran { request, .. } = msg(&messages[0]) else {
        panic!("not an operation's answer");
    };
    assert_eq!(request.action, WorkflowAction::Deactivate);
    assert_eq!(
        request.targets,
        vec![WorkflowRef {
            env: "production".into(),
            id: "p5".into()
        }]
    );
}

#[tokio::test]
async fn needs_confirmation_asks_and_the_yes_resends_confirmed() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let target = |env: &str, id: &str| WorkflowRef {
        env: env.into(),
        id: id.into(),
    };
    let request = WorkflowOpRequest {
        action: WorkflowAction::Deactivate,
        targets: vec![target("staging", "s1"), target("development", "d1")],
        confirmed: false,
    };
    let report = WorkflowOpReport {
        results: vec![
            WorkflowOpResult {
                target: target("staging", "s1"),
                name: Some("Order intake".into()),
                outcome: OpOutcome::NeedsConfirmation {
                    reason: "staging asks to confirm a deactivate".into(),
                },
            },
            WorkflowOpResult {
                target: target("development", "d1"),
                name: Some("Order intake".into()),
                outcome: OpOutcome::Done,
            },
        ],
    };
    pane.on_msg(
        Box::new(Msg::Ran {
            request,
            result: Ok(report),
        }),
        &mut h.cx(),
    );
    let (info, _) = flashes(&h.effects);
    assert_eq!(info, vec!["Deactivated 'Order intake' in development"]);
    let confirm = take_confirm(&mut h);
    assert_eq!(confirm.title, "Deactivate 'Order intake' in staging?");
    assert_eq!(confirm.message, "staging asks to confirm a deactivate");
    assert_eq!(confirm.type_to_confirm, None);
    let Msg::Send(again) = msg(&confirm.payload) else {
        panic!("the payload resends");
    };
    assert!(again.confirmed);
    assert_eq!(again.targets, vec![target("staging", "s1")]);

    // "Yes": the payload comes back and goes out confirmed.
    h.effects.clear();
    pane.on_msg(confirm.payload, &mut h.cx());
    let messages = h.run_spawned().await;
    let Msg::Ran { request, .. } = msg(&messages[0]) else {
        panic!("not an operation's answer");
    };
    assert!(request.confirmed);
    assert_eq!(request.targets, vec![target("staging", "s1")]);
}

#[tokio::test]
async fn approvals_blocks_and_failures_are_flashed() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let target = WorkflowRef {
        env: "production".into(),
        id: "p1".into(),
    };
    let request = WorkflowOpRequest {
        action: WorkflowAction::Activate,
        targets: vec![target.clone()],
        confirmed: false,
    };
    let report = |outcome| WorkflowOpReport {
        results: vec![WorkflowOpResult {
            target: target.clone(),
            name: None,
            outcome,
        }],
    };
    let send = |pane: &mut WorkflowsPane, h: &mut Harness, outcome| {
        h.effects.clear();
        pane.on_msg(
            Box::new(Msg::Ran {
                request: request.clone(),
                result: Ok(report(outcome)),
            }),
            &mut h.cx(),
        );
        flashes(&h.effects)
    };
    let (info, _) = send(
        &mut pane,
        &mut h,
        OpOutcome::PendingApproval {
            approval_id: 42,
            reason: "production requires approval".into(),
        },
    );
    assert_eq!(
        info,
        vec!["Approval #42 requested to activate 'Order intake' in production"]
    );
    let (_, errors) = send(
        &mut pane,
        &mut h,
        OpOutcome::Blocked {
            reason: "upload is blocked in production".into(),
        },
    );
    assert_eq!(
        errors,
        vec!["'Order intake' in production: blocked: upload is blocked in production"]
    );
    let (_, errors) = send(
        &mut pane,
        &mut h,
        OpOutcome::Failed {
            error: "n8n answered 500".into(),
        },
    );
    assert_eq!(
        errors,
        vec!["'Order intake' in production: could not activate: n8n answered 500"]
    );

    h.effects.clear();
    pane.on_msg(
        Box::new(Msg::Ran {
            request,
            result: Err(OpsError::internal("the store is gone")),
        }),
        &mut h.cx(),
    );
    let (_, errors) = flashes(&h.effects);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("Could not activate 'Order intake' in production"));
}

#[tokio::test]
async fn delete_asks_first_and_delete_for_good_wants_the_environment_typed() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    act(&mut pane, &mut h, Action::Delete);
    assert_eq!(spawned(&h.effects), 0, "nothing is deleted before the yes");
    let confirm = take_confirm(&mut h);
    assert_eq!(confirm.type_to_confirm, None);
    let Msg::Send(request) = msg(&confirm.payload) else {
        panic!("the payload sends");
    };
    assert_eq!(request.action, WorkflowAction::Delete { hard: false });

    act(&mut pane, &mut h, Action::HardDelete);
    let confirm = take_confirm(&mut h);
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("development"));
    let Msg::Send(request) = msg(&confirm.payload) else {
        panic!("the payload sends");
    };
    assert_eq!(request.action, WorkflowAction::Delete { hard: true });

    // Marked across environments: refused.
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Mark);
    h.effects.clear();
    act(&mut pane, &mut h, Action::HardDelete);
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    let (_, errors) = flashes(&h.effects);
    assert_eq!(errors.len(), 1);
}

#[tokio::test]
async fn readonly_offers_and_runs_no_mutating_action() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let mut effects = Vec::new();
    let mut cx = Cx::new(&h.ops, true, &mut effects);
    pane.on_open(Nav::Show, &mut cx);
    for action in [
        Action::Activate,
        Action::Deactivate,
        Action::Delete,
        Action::HardDelete,
        Action::Tag,
        Action::Upload,
    ] {
        pane.on_action(action, &mut cx);
    }
    assert!(pane.prompt.is_none());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    assert_eq!(spawned(&effects), 1, "only the list's load");
    let offered = pane.actions();
    assert!(offered.iter().all(|a| !a.is_mutating()), "{offered:?}");
    assert!(offered.contains(&Action::Download));
    pane.show_detail(detail_of("production", "p1", order_intake()));
    assert!(pane.actions().iter().all(|a| !a.is_mutating()));

    // Drawn read-only too.
    let fixture = Fixture {
        readonly: true,
        ..Fixture::default()
    };
    let mut pane = loaded();
    fixture.render(&mut pane, NARROW);
    assert!(pane.actions().iter().all(|a| !a.is_mutating()));
    // Writable: they are offered.
    let mut pane = loaded();
    act(&mut pane, &mut h, Action::Down);
    assert!(pane.actions().contains(&Action::Activate));
}

#[tokio::test]
async fn upload_reads_the_typed_paths_and_reports_unreadable_files() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    act(&mut pane, &mut h, Action::Upload);
    assert!(pane.captures_input());
    let missing = std::env::temp_dir().join("n8nops-no-such-dir/none.json");
    type_text(&mut pane, &mut h, &missing.display().to_string());
    pane.on_key(key(KeyCode::Enter), &mut h.cx());
    assert!(!pane.captures_input());
    let messages = h.run_spawned().await;
    let Msg::Uploaded {
        request,
        unreadable,
        result,
    } = msg(&messages[0])
    else {
        panic!("not an upload's answer");
    };
    // The environment of the row under the cursor.
    assert_eq!(request.env, "development");
    assert!(result.is_none(), "nothing readable, nothing sent");
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0].reason.starts_with("cannot be read"));
    for m in messages {
        pane.on_msg(m, &mut h.cx());
    }
    let (_, errors) = flashes(&h.effects);
    assert_eq!(
        errors,
        vec!["Nothing uploaded to development: no file could be read."]
    );
    assert!(pane.report.is_some());
}

#[tokio::test]
async fn upload_needing_confirmation_resends_confirmed_with_the_same_files() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let request = UploadRequest {
        env: "staging".into(),
        files: vec![UploadFile {
            name: "a.json".into(),
            bytes: b"{}".to_vec(),
        }],
        confirmed: false,
    };
    let report = UploadReport {
        env: "staging".into(),
        outcome: OpOutcome::NeedsConfirmation {
            reason: "staging asks to confirm an upload".into(),
        },
        accepted: Vec::new(),
        rejected: Vec::new(),
    };
    pane.on_msg(
        Box::new(Msg::Uploaded {
            request: request.clone(),
            unreadable: Vec::new(),
            result: Some(Ok(report)),
        }),
        &mut h.cx(),
    );
    let confirm = take_confirm(&mut h);
    let Msg::SendUpload { request: again, .. } = msg(&confirm.payload) else {
        panic!("the payload resends the upload");
    };
    assert!(again.confirmed);
    assert_eq!(again.files, request.files);
}

#[tokio::test]
async fn download_offers_a_dated_path_and_never_overwrites() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    Fixture::default().render(&mut pane, NARROW);
    act(&mut pane, &mut h, Action::Download);
    let Some(prompt) = &pane.prompt else {
        panic!("no prompt");
    };
    assert_eq!(prompt.text(), "./n8nops-development-2026-11-22.zip");

    let dir = tempfile::tempdir().expect("temp dir");
    let existing = dir.path().join("taken.zip");
    std::fs::write(&existing, b"keep me").expect("write");
    let msg = download(h.ops.clone(), Vec::new(), existing.display().to_string()).await;
    // The service may refuse first (not built yet, nothing to download); either way
    // the existing file is untouched.
    let Msg::Downloaded { result, .. } = msg else {
        panic!("not a download's answer");
    };
    assert!(result.is_err());
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");
}

#[tokio::test]
async fn diff_pairs_with_the_next_environment_in_class_order() {
    let mut h = Harness::new().await;
    for (name, class) in [
        ("prod", EnvClass::Production),
        ("dev", EnvClass::Development),
        ("stage", EnvClass::Staging),
    ] {
        h.ops
            .env_add(EnvAdd {
                name: name.into(),
                url: "http://127.0.0.1:9".into(),
                class,
                api_key: Secret::new("key"),
                git_repo: None,
                git_branch: None,
            })
            .await
            .expect("env added");
    }
    let this = |env: &str| WorkflowRef {
        env: env.into(),
        id: "w1".into(),
    };
    let pair = diff_partner(h.ops.clone(), this("dev"), "Orders".into())
        .await
        .expect("paired");
    assert_eq!(pair, Some((Some(this("dev")), None)));
    let pair = diff_partner(h.ops.clone(), this("prod"), "Orders".into())
        .await
        .expect("paired");
    assert_eq!(pair, Some((None, Some(this("prod")))));

    let mut pane = loaded();
    pane.on_msg(
        Box::new(Msg::DiffWith(Ok(Some((Some(this("dev")), None))))),
        &mut h.cx(),
    );
    assert!(h.effects.iter().any(|e| matches!(
        e,
        Effect::Open(PaneKind::Diff, Nav::Diff { a: Some(a), b: None }) if *a == this("dev")
    )));
}
