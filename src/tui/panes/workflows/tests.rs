//! Tests of the workflows pane: shared helpers and the snapshot tests here (their
//! snapshot names follow this module's path), the rest by theme beside it.

mod detail;
mod list;
mod operations;
mod simulator;

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
        canonical_id: None,
        drift: None,
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
