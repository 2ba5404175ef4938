use super::operations::{diff_partner, download};
use super::*;
use crate::domain::environment::EnvClass;
use crate::domain::sync::Change;
use crate::domain::workflow::{credential_refs, node_types};
use crate::service::{
    EnvAdd, EventBody, OpOutcome, OpsError, Secret, UploadFile, WorkflowAction, WorkflowDetail,
    WorkflowOpResult,
};
use crate::tui::pane::Confirm;
use crate::tui::pane::Effect;
use crate::tui::testing::{self, Fixture, Harness, NARROW, WIDE};
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::{Value, json};

fn summary(env: &str, id: &str, name: &str, active: bool, tags: &[&str]) -> WorkflowSummary {
    WorkflowSummary {
        env: env.into(),
        id: id.into(),
        name: name.into(),
        active,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        nodes: 4 + id.len() as i64,
        fingerprint: format!("fp-{name}"),
        updated_at: Some("2026-11-20T09:30:00.000Z".into()),
        stored_at: testing::now() - chrono::Duration::minutes(5),
        change: if id.ends_with('2') {
            Change::Changed
        } else {
            Change::Unchanged
        },
    }
}

fn rows() -> Vec<WorkflowSummary> {
    vec![
        summary("development", "d1", "Order intake", true, &["orders"]),
        summary("staging", "s1", "Order intake", true, &["orders"]),
        summary("production", "p1", "Order intake", true, &["orders"]),
        summary("development", "d2", "Invoice export", false, &["billing"]),
        summary(
            "production",
            "p2",
            "Invoice export",
            true,
            &["billing", "nightly"],
        ),
        summary("staging", "s3", "Slack alerts", false, &[]),
        summary("development", "d4", "Customer onboarding", true, &["crm"]),
        summary(
            "production",
            "p5",
            "Weekly report to management",
            false,
            &["reports"],
        ),
    ]
}

fn loaded() -> WorkflowsPane {
    let mut pane = WorkflowsPane::new();
    pane.show(rows());
    pane
}

fn names(pane: &WorkflowsPane) -> Vec<String> {
    pane.catalog
        .visible
        .iter()
        .map(|&i| {
            let w = &pane.catalog.rows[i];
            format!("{}/{}", w.env, w.name)
        })
        .collect()
}

/// A webhook that routes orders to two HTTP calls and answers; with code, a
/// credential and a sticky note. Shaped like the corpus workflows.
fn order_intake() -> Value {
    json!({
        "name": "Order intake",
        "nodes": [
            {"name": "Webhook", "type": "n8n-nodes-base.webhook", "parameters": {"path": "orders"}},
            {"name": "Prepare", "type": "n8n-nodes-base.code",
             "parameters": {"jsCode": "const order = $json;\n\nreturn [{ json: order }];"}},
            {"name": "Route", "type": "n8n-nodes-base.switch"},
            {"name": "Create invoice", "type": "n8n-nodes-base.httpRequest",
             "parameters": {"method": "POST", "url": "https://billing.example.com/invoices"},
             "credentials": {"httpHeaderAuth": {"id": "12", "name": "Billing API"}}},
            {"name": "Notify shop", "type": "n8n-nodes-base.httpRequest",
             "parameters": {"url": "={{ $json.callbackUrl }}"}},
            {"name": "Merge", "type": "n8n-nodes-base.merge"},
            {"name": "Respond", "type": "n8n-nodes-base.respondToWebhook"},
            {"name": "Old step", "type": "n8n-nodes-base.set", "disabled": true},
            {"name": "Sticky Note", "type": "n8n-nodes-base.stickyNote"}
        ],
        "connections": {
            "Webhook": {"main": [[{"node": "Prepare", "type": "main", "index": 0}]]},
            "Prepare": {"main": [[{"node": "Route", "type": "main", "index": 0}]]},
            "Route": {"main": [
                [{"node": "Create invoice", "type": "main", "index": 0}],
                [{"node": "Notify shop", "type": "main", "index": 0}]
            ]},
            "Create invoice": {"main": [[{"node": "Merge", "type": "main", "index": 0}]]},
            "Notify shop": {"main": [[{"node": "Merge", "type": "main", "index": 1}]]},
            "Merge": {"main": [[{"node": "Respond", "type": "main", "index": 0}]]}
        }
    })
}

/// `order_intake` with a connection to a node that was renamed away and one between
/// two names that are no node.
fn with_dangling() -> Value {
    let mut wf = order_intake();
    wf["connections"]["Respond"] =
        json!({"main": [[{"node": "Audit log", "type": "main", "index": 0}]]});
    wf["connections"]["Ghost"] =
        json!({"main": [[{"node": "Phantom", "type": "main", "index": 0}]]});
    wf
}

fn detail_of(env: &str, id: &str, raw: Value) -> Detail {
    let name = raw["name"].as_str().unwrap_or("Unnamed").to_owned();
    let mut s = summary(env, id, &name, true, &["orders"]);
    s.nodes = raw["nodes"].as_array().map_or(0, |n| n.len() as i64);
    Detail::build(WorkflowDetail {
        summary: s,
        node_types: node_types(&raw),
        credentials: credential_refs(&raw),
        normalized: raw.clone(),
        raw,
    })
}

fn act(pane: &mut WorkflowsPane, h: &mut Harness, action: Action) {
    pane.on_action(action, &mut h.cx());
}

fn spawned(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Spawn(_)))
        .count()
}

fn flashes(effects: &[Effect]) -> (Vec<String>, Vec<String>) {
    let mut info = Vec::new();
    let mut errors = Vec::new();
    for e in effects {
        match e {
            Effect::Info(m) => info.push(m.clone()),
            Effect::Error(m) => errors.push(m.clone()),
            _ => {}
        }
    }
    (info, errors)
}

fn take_confirm(h: &mut Harness) -> Confirm {
    let at = h
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Confirm(_)))
        .expect("a confirmation");
    match h.effects.remove(at) {
        Effect::Confirm(c) => c,
        _ => unreachable!(),
    }
}

fn msg(m: &PaneMsg) -> &Msg {
    m.downcast_ref::<Msg>().expect("a workflows message")
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn type_text(pane: &mut WorkflowsPane, h: &mut Harness, text: &str) {
    for c in text.chars() {
        pane.on_key(key(KeyCode::Char(c)), &mut h.cx());
    }
}

// ---- snapshots ----

fn snap(name: &str, pane: &mut WorkflowsPane) {
    let fixture = Fixture::default();
    for (size, label) in [(NARROW, "narrow"), (WIDE, "wide")] {
        insta::assert_snapshot!(format!("{name}_{label}"), fixture.render(pane, size));
    }
}

#[test]
fn snapshot_loading() {
    snap("loading", &mut WorkflowsPane::new());
}

#[test]
fn snapshot_error() {
    let mut pane = WorkflowsPane::new();
    pane.error = Some("the store is locked by another process".into());
    snap("error", &mut pane);
}

#[test]
fn snapshot_empty() {
    let mut pane = WorkflowsPane::new();
    pane.show(Vec::new());
    snap("empty", &mut pane);
}

#[test]
fn snapshot_list() {
    let mut pane = loaded();
    pane.catalog.apply(Action::Down);
    pane.catalog.apply(Action::Down);
    pane.catalog.toggle_mark();
    pane.catalog.toggle_mark();
    snap("list", &mut pane);
}

#[tokio::test]
async fn snapshot_list_filtered() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.on_command("env", "production", &mut h.cx());
    pane.set_filter(Filter::parse("invoice"));
    snap("list_filtered", &mut pane);
    pane.on_command("env", "all", &mut h.cx());
    pane.set_filter(Filter::parse(""));
    pane.on_command("tag", "nothing-has-this", &mut h.cx());
    snap("list_filtered_to_nothing", &mut pane);
}

#[test]
fn snapshot_detail() {
    let mut pane = loaded();
    pane.show_detail(detail_of("production", "p1", order_intake()));
    snap("detail", &mut pane);
}

#[test]
fn snapshot_detail_loading_and_failed() {
    let mut pane = loaded();
    pane.detail = Some(DetailView::new(
        WorkflowRef {
            env: "staging".into(),
            id: "s1".into(),
        },
        1,
    ));
    snap("detail_loading", &mut pane);
    if let Some(view) = &mut pane.detail {
        view.state = DetailState::Failed("no workflow with id s1 in 'staging'".into());
    }
    snap("detail_failed", &mut pane);
}

#[test]
fn snapshot_graph() {
    let mut pane = loaded();
    pane.show_detail(detail_of("production", "p1", order_intake()));
    if let Some(view) = &mut pane.detail {
        view.graph_mode = true;
    }
    snap("graph", &mut pane);
}

#[test]
fn snapshot_graph_with_dangling_connections() {
    let mut pane = loaded();
    pane.show_detail(detail_of("staging", "s1", with_dangling()));
    if let Some(view) = &mut pane.detail {
        view.graph_mode = true;
    }
    snap("graph_dangling", &mut pane);
}

/// A real workflow of the corpus: a webhook fanning out to two HTTP calls and merging.
#[test]
fn snapshot_graph_of_a_real_workflow() {
    let Some(raw) = crate::domain::analysis::corpus::workflow(
        "snapshot_graph_of_a_real_workflow",
        "Templates/9003_FanOut_Broadcast_and_Merge_Webhook.json",
    ) else {
        return;
    };
    let mut pane = loaded();
    pane.show_detail(detail_of("development", "d9", raw));
    if let Some(view) = &mut pane.detail {
        view.graph_mode = true;
    }
    snap("graph_corpus_fan_out", &mut pane);
}

/// A corpus workflow whose connections all name nodes by id: every one dangles.
#[test]
fn snapshot_graph_of_a_real_workflow_with_dangling_connections() {
    let test = "snapshot_graph_of_a_real_workflow_with_dangling_connections";
    let Some(raw) = crate::domain::analysis::corpus::workflow(
        test,
        "Github/0876_GitHub_Aggregate_Create_Webhook.json",
    ) else {
        return;
    };
    let mut pane = loaded();
    pane.show_detail(detail_of("development", "d8", raw));
    if let Some(view) = &mut pane.detail {
        view.graph_mode = true;
    }
    snap("graph_corpus_dangling", &mut pane);
}

#[tokio::test]
async fn snapshot_inline_inputs() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.on_command("env", "staging", &mut h.cx());
    act(&mut pane, &mut h, Action::Upload);
    type_text(&mut pane, &mut h, "./exports/orders.json ./all.zip");
    snap("upload_input", &mut pane);
    pane.on_key(key(KeyCode::Esc), &mut h.cx());
    act(&mut pane, &mut h, Action::Tag);
    type_text(&mut pane, &mut h, "+billing -legacy");
    snap("tag_input", &mut pane);
}

#[tokio::test]
async fn snapshot_upload_report() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let request = UploadRequest {
        env: "staging".into(),
        files: vec![UploadFile {
            name: "./orders.zip".into(),
            bytes: Vec::new(),
        }],
        confirmed: false,
    };
    let report = UploadReport {
        env: "staging".into(),
        outcome: OpOutcome::Done,
        accepted: vec![crate::service::UploadAccepted {
            file: "./orders.zip/intake.json".into(),
            id: "k3Jd9".into(),
            name: "Order intake".into(),
        }],
        rejected: vec![UploadRejected {
            file: "./orders.zip/broken.json".into(),
            reason: "not JSON: expected value at line 1 column 1".into(),
        }],
    };
    let unreadable = vec![UploadRejected {
        file: "./missing.json".into(),
        reason: "cannot be read: No such file or directory (os error 2)".into(),
    }];
    pane.on_msg(
        Box::new(Msg::Uploaded {
            request,
            unreadable,
            result: Some(Ok(report)),
        }),
        &mut h.cx(),
    );
    let (_, errors) = flashes(&h.effects);
    assert_eq!(
        errors,
        vec!["Uploaded 1 workflow to staging, 2 files rejected"]
    );
    snap("upload_report", &mut pane);
    assert!(pane.back(), "esc closes the report");
    assert!(pane.report.is_none());
}

// ---- behaviour ----

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
async fn the_filter_matches_names_and_node_types_through_the_service() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.set_filter(Filter::parse("slack"));
    assert_eq!(names(&pane), vec!["staging/Slack alerts"]);
    pane.on_tick(&mut h.cx());
    assert_eq!(spawned(&h.effects), 1, "the node-type search");
    pane.on_tick(&mut h.cx());
    assert_eq!(spawned(&h.effects), 1, "asked once per text");
    h.effects.clear();
    // The service found "Order intake" in production by a Slack node.
    pane.on_msg(
        Box::new(Msg::NodeHits {
            needle: "slack".into(),
            generation: pane.generation,
            result: Ok(vec![
                summary("production", "p1", "Order intake", true, &[]),
                summary("staging", "s3", "Slack alerts", false, &[]),
            ]),
        }),
        &mut h.cx(),
    );
    assert_eq!(
        names(&pane),
        vec!["production/Order intake", "staging/Slack alerts"]
    );
    pane.set_filter(Filter::parse("!slack"));
    assert_eq!(names(&pane).len(), rows().len() - 2);
    assert!(!names(&pane).contains(&"production/Order intake".to_string()));
    // An answer for an older text is ignored.
    pane.set_filter(Filter::parse("invoice"));
    pane.on_msg(
        Box::new(Msg::NodeHits {
            needle: "slack".into(),
            generation: pane.generation,
            result: Ok(vec![summary("production", "p5", "x", true, &[])]),
        }),
        &mut h.cx(),
    );
    assert_eq!(
        names(&pane),
        vec!["development/Invoice export", "production/Invoice export"]
    );
}

#[tokio::test]
async fn commands_filter_by_environment_tag_and_active() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    // The environments are known once drawn.
    Fixture::default().render(&mut pane, NARROW);
    pane.on_command("env", "staging", &mut h.cx());
    assert_eq!(
        names(&pane),
        vec!["staging/Order intake", "staging/Slack alerts"]
    );
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::FocusEnv(Some(env)) if env == "staging"))
    );
    pane.on_command("active", "", &mut h.cx());
    assert_eq!(names(&pane), vec!["staging/Order intake"]);
    pane.on_command("all", "", &mut h.cx());
    assert_eq!(names(&pane).len(), rows().len());
    pane.on_command("tag", "#Billing", &mut h.cx());
    assert_eq!(
        names(&pane),
        vec!["development/Invoice export", "production/Invoice export"]
    );
    pane.on_command("inactive", "", &mut h.cx());
    assert_eq!(names(&pane), vec!["development/Invoice export"]);
    pane.on_command("tag", "", &mut h.cx());
    pane.on_command("active", "", &mut h.cx());
    assert_eq!(names(&pane).len(), 5);

    h.effects.clear();
    pane.on_command("env", "nowhere", &mut h.cx());
    let (_, errors) = flashes(&h.effects);
    assert_eq!(
        errors,
        vec!["No environment named 'nowhere' (there are: development, staging, production)."]
    );
    assert_eq!(pane.catalog.env, None);
}

#[tokio::test]
async fn opening_on_an_environment_or_a_workflow_loads_what_it_shows() {
    let mut h = Harness::new().await;
    let mut pane = WorkflowsPane::new();
    pane.on_open(Nav::Env("production".into()), &mut h.cx());
    assert_eq!(pane.catalog.env.as_deref(), Some("production"));
    assert_eq!(spawned(&h.effects), 1);
    // `:wf all` comes as an environment named "all".
    pane.on_open(Nav::Env("all".into()), &mut h.cx());
    assert_eq!(pane.catalog.env, None);
    pane.on_open(Nav::Env("production".into()), &mut h.cx());
    h.effects.clear();
    let target = WorkflowRef {
        env: "staging".into(),
        id: "s1".into(),
    };
    pane.on_open(Nav::Workflow(target.clone()), &mut h.cx());
    assert!(matches!(
        pane.detail.as_ref().map(|v| &v.state),
        Some(DetailState::Loading)
    ));
    // The empty store has no such workflow: the detail says so.
    let messages = h.run_spawned().await;
    for m in messages {
        pane.on_msg(m, &mut h.cx());
    }
    assert!(matches!(
        pane.detail.as_ref().map(|v| &v.state),
        Some(DetailState::Failed(_))
    ));
    assert!(pane.back(), "esc closes the detail");
    assert!(pane.detail.is_none());
    assert!(!pane.back(), "then the shell goes back");
}

#[tokio::test]
async fn stale_answers_are_dropped() {
    let mut h = Harness::new().await;
    let mut pane = WorkflowsPane::new();
    act(&mut pane, &mut h, Action::Refresh);
    act(&mut pane, &mut h, Action::Refresh);
    pane.on_msg(
        Box::new(Msg::Listed {
            generation: 1,
            result: Ok(rows()),
        }),
        &mut h.cx(),
    );
    assert!(!pane.loaded, "the first answer is stale");
    pane.on_msg(
        Box::new(Msg::Listed {
            generation: 2,
            result: Err(OpsError::internal("disk full")),
        }),
        &mut h.cx(),
    );
    assert_eq!(pane.error.as_deref(), Some("disk full"));
}

#[tokio::test]
async fn the_detail_toggles_its_graph_and_scrolls_it() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.show_detail(detail_of("production", "p1", order_intake()));
    assert!(!pane.actions().contains(&Action::Left));
    act(&mut pane, &mut h, Action::Graph);
    assert!(pane.actions().contains(&Action::Left));
    Fixture::default().render(&mut pane, NARROW);
    act(&mut pane, &mut h, Action::Right);
    act(&mut pane, &mut h, Action::Right);
    let scroll = |p: &WorkflowsPane| {
        p.detail
            .as_ref()
            .and_then(|v| v.ready())
            .map(|d| d.graph.scroll)
    };
    assert_eq!(scroll(&pane), Some((16, 0)));
    act(&mut pane, &mut h, Action::Top);
    assert_eq!(scroll(&pane), Some((0, 0)));
    act(&mut pane, &mut h, Action::Left);
    assert_eq!(scroll(&pane), Some((0, 0)), "never before the start");
    assert!(pane.back(), "esc leaves the graph");
    assert!(pane.detail.as_ref().is_some_and(|v| !v.graph_mode));
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

#[tokio::test]
async fn a_finished_sync_reloads_the_catalog() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.on_event(
        &testing::event(
            "job-1",
            EventBody::Started {
                kind: "sync".into(),
                title: "sync all".into(),
            },
        ),
        &mut h.cx(),
    );
    assert_eq!(spawned(&h.effects), 0);
    pane.on_event(
        &testing::event(
            "job-1",
            EventBody::Finished {
                state: crate::domain::job::JobState::Succeeded,
                result: None,
                error: None,
            },
        ),
        &mut h.cx(),
    );
    assert_eq!(spawned(&h.effects), 1);
}

// ---- against the simulator, through the real service ----

const SIM_KEY: &str = "workflows-pane-test-key";

/// Runs spawned work and delivers its messages until none is left; returns every
/// other effect (flashes, confirmations, opens) in order.
async fn settle(pane: &mut WorkflowsPane, h: &mut Harness) -> Vec<Effect> {
    let mut others = Vec::new();
    loop {
        let mut work = Vec::new();
        for effect in std::mem::take(&mut h.effects) {
            match effect {
                Effect::Spawn(fut) => work.push(fut),
                other => others.push(other),
            }
        }
        if work.is_empty() {
            return others;
        }
        for fut in work {
            let message = fut.await;
            pane.on_msg(message, &mut h.cx());
        }
    }
}

fn row_in(pane: &WorkflowsPane, env: &str) -> usize {
    pane.catalog
        .visible
        .iter()
        .position(|&i| pane.catalog.rows[i].env == env)
        .expect("a workflow in the environment")
}

/// Three simulated instances, one per class, synced; then the pane loads them, and
/// each answer of the policy reaches the person: done, confirm then done, an
/// approval requested, blocked.
#[tokio::test]
async fn against_the_simulator_every_policy_answer_reaches_the_person() {
    let mut h = Harness::new().await;
    let mut sims = Vec::new();
    for (i, (name, class)) in [
        ("dev", EnvClass::Development),
        ("stage", EnvClass::Staging),
        ("prod", EnvClass::Production),
    ]
    .into_iter()
    .enumerate()
    {
        let sim = crate::sim::start(crate::sim::SimOptions {
            api_key: SIM_KEY.into(),
            seed: 11 + i as u64,
            workflows: crate::sim::generator::generate(11, 4),
            ..crate::sim::SimOptions::default()
        })
        .await
        .expect("start the simulator");
        h.ops
            .env_add(EnvAdd {
                name: name.into(),
                url: sim.url.clone(),
                class,
                api_key: Secret::new(SIM_KEY),
                git_repo: None,
                git_branch: None,
            })
            .await
            .expect("add env");
        sims.push(sim);
    }
    let events = h.ops.subscribe();
    let job = h
        .ops
        .sync(crate::service::SyncRequest::default())
        .await
        .expect("start sync");
    let job = crate::service::follow_job(&*h.ops, events, &job.job_id, |_| {})
        .await
        .expect("sync");
    assert_eq!(
        job.state,
        crate::domain::job::JobState::Succeeded,
        "{:?}",
        job.error
    );

    let mut pane = WorkflowsPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    settle(&mut pane, &mut h).await;
    assert_eq!(pane.catalog.rows.len(), 12);

    // The detail of a real stored workflow.
    act(&mut pane, &mut h, Action::Enter);
    settle(&mut pane, &mut h).await;
    let detail = pane
        .detail
        .as_ref()
        .and_then(|v| v.ready())
        .expect("detail loaded");
    assert!(!detail.analysis.nodes.is_empty());
    assert!(!detail.graph.is_empty());
    assert!(pane.back());

    // Development: allowed.
    pane.catalog.cursor.selected = row_in(&pane, "dev");
    act(&mut pane, &mut h, Action::Deactivate);
    let (info, errors) = flashes(&settle(&mut pane, &mut h).await);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(info[0].starts_with("Deactivated '"), "{info:?}");

    // Staging: tagging is a direct edit, which warns: confirm, then done.
    pane.catalog.cursor.selected = row_in(&pane, "stage");
    act(&mut pane, &mut h, Action::Tag);
    type_text(&mut pane, &mut h, "+reviewed");
    pane.on_key(key(KeyCode::Enter), &mut h.cx());
    let mut effects = settle(&mut pane, &mut h).await;
    let at = effects
        .iter()
        .position(|e| matches!(e, Effect::Confirm(_)))
        .expect("the policy asks to confirm");
    let Effect::Confirm(confirm) = effects.remove(at) else {
        unreachable!()
    };
    pane.on_msg(confirm.payload, &mut h.cx());
    let (info, errors) = flashes(&settle(&mut pane, &mut h).await);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(info[0].starts_with("Tagged '"), "{info:?}");
    let tagged = pane
        .catalog
        .rows
        .iter()
        .filter(|w| w.tags.iter().any(|t| t == "reviewed"))
        .count();
    assert_eq!(tagged, 1, "the reload shows the new tag");

    // Production: activating needs an approval.
    pane.catalog.cursor.selected = row_in(&pane, "prod");
    act(&mut pane, &mut h, Action::Activate);
    let (info, _) = flashes(&settle(&mut pane, &mut h).await);
    assert!(info.iter().any(|m| m.starts_with("Approval #")), "{info:?}");

    // Production: uploads are blocked.
    pane.on_command("env", "prod", &mut h.cx());
    act(&mut pane, &mut h, Action::Upload);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("new.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({"name": "New", "nodes": [], "connections": {}, "settings": {}}))
            .expect("json"),
    )
    .expect("write");
    type_text(&mut pane, &mut h, &file.display().to_string());
    pane.on_key(key(KeyCode::Enter), &mut h.cx());
    let (_, errors) = flashes(&settle(&mut pane, &mut h).await);
    assert!(
        errors
            .iter()
            .any(|m| m.starts_with("Upload to prod blocked")),
        "{errors:?}"
    );
    drop(sims);
}

#[tokio::test]
async fn a_failed_node_type_search_is_flashed_once_not_retried_every_tick() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.set_filter(Filter::parse("slack"));
    pane.on_tick(&mut h.cx());
    assert_eq!(spawned(&h.effects), 1);
    h.effects.clear();
    pane.on_msg(
        Box::new(Msg::NodeHits {
            needle: "slack".into(),
            generation: pane.generation,
            result: Err(OpsError::internal("the store is busy")),
        }),
        &mut h.cx(),
    );
    let (_, errors) = flashes(&h.effects);
    assert_eq!(
        errors,
        vec!["Search by node type failed: the store is busy"]
    );
    h.effects.clear();
    pane.on_tick(&mut h.cx());
    assert_eq!(spawned(&h.effects), 0);
    assert_eq!(
        names(&pane),
        vec!["staging/Slack alerts"],
        "names still match"
    );
}
