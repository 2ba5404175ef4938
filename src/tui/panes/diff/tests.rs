//! The diff pane's moves, jumps and toggles, stale results, and its snapshots at
//! 80x24 (unified, as narrow screens get) and wide (side by side), loading and failed.

use super::*;
use crate::domain::diff::NodeChangeKind;
use crate::service::{DiffDocument, ErrorKind};
use crate::tui::testing::{Fixture, Harness, NARROW, WIDE};
use serde_json::{Value, json};

fn node(id: &str, name: &str, kind: &str, x: i64, parameters: Value) -> Value {
    json!({"id": id, "name": name, "type": format!("n8n-nodes-base.{kind}"), "typeVersion": 1,
           "position": [x, 0], "parameters": parameters})
}

/// Orders sync as production has it, and as staging has it now.
fn sides() -> (Value, Value) {
    let production = json!({
        "name": "Orders sync",
        "nodes": [
            node("1", "Webhook", "webhook", 0, json!({"path": "orders", "httpMethod": "POST"})),
            node("2", "Fetch order", "httpRequest", 200, json!({"url": "https://shop.example.com/api/orders", "method": "GET",
                "options": {"timeout": 10000}})),
            node("3", "Set fields", "set", 400, json!({"values": {"string": [{"name": "status", "value": "new"}]}})),
            node("4", "Old logger", "noOp", 600, json!({})),
            node("5", "Sticky Note", "stickyNote", 0, json!({"content": "Orders come in here"})),
        ],
        "connections": {
            "Webhook": {"main": [[{"node": "Fetch order", "type": "main", "index": 0}]]},
            "Fetch order": {"main": [[{"node": "Set fields", "type": "main", "index": 0}]]},
            "Set fields": {"main": [[{"node": "Old logger", "type": "main", "index": 0}]]}
        },
        "settings": {"executionOrder": "v1", "executionTimeout": 300}
    });
    let mut staging = production.clone();
    staging["nodes"][1]["parameters"]["url"] = json!("={{ $json.orderUrl }}");
    staging["nodes"][1]["parameters"]["options"]["timeout"] = json!(30000);
    staging["nodes"][2]["name"] = json!("Map fields");
    staging["nodes"][4]["position"] = json!([40, 80]);
    let nodes = staging["nodes"].as_array_mut().unwrap();
    nodes.remove(3);
    nodes.push(
        json!({"id": "6", "name": "Notify Slack", "type": "n8n-nodes-base.slack", "typeVersion": 2,
        "position": [600, 0], "parameters": {"channel": "#orders", "text": "New order"},
        "credentials": {"slackApi": {"id": "9", "name": "Ops Slack"}}}),
    );
    staging["connections"] = json!({
        "Webhook": {"main": [[{"node": "Fetch order", "type": "main", "index": 0}]]},
        "Fetch order": {"main": [[{"node": "Map fields", "type": "main", "index": 0}]]},
        "Map fields": {"main": [[{"node": "Notify Slack", "type": "main", "index": 0}]]}
    });
    staging["settings"]["executionTimeout"] = json!(600);
    (production, staging)
}

fn report() -> DiffReport {
    let (a, b) = sides();
    let doc = |label: &str, workflow| DiffDocument {
        label: label.into(),
        workflow,
    };
    let mut report = DiffReport::of_documents(&doc("production", a), &doc("staging", b), true);
    report.a = "production".into();
    report.b = "staging".into();
    report
}

fn loaded() -> DiffPane {
    DiffPane::with_report(report())
}

fn view(pane: &DiffPane) -> &View {
    pane.view().expect("a loaded diff")
}

#[test]
fn snapshot_loaded_narrow_is_unified() {
    let mut pane = loaded();
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(pane.drawn_unified);
    insta::assert_snapshot!("diff_loaded_narrow", screen);
}

#[test]
fn snapshot_loaded_wide_is_side_by_side() {
    let mut pane = loaded();
    let screen = Fixture::default().render(&mut pane, WIDE);
    assert!(!pane.drawn_unified);
    insta::assert_snapshot!("diff_loaded_wide", screen);
}

#[tokio::test]
async fn snapshot_wide_unified_after_a_jump_with_cosmetics() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let fixture = Fixture::default();
    fixture.render(&mut pane, WIDE);
    pane.on_action(Action::ToggleUnified, &mut h.cx());
    pane.on_action(Action::ToggleCosmetic, &mut h.cx());
    pane.on_action(Action::NextNode, &mut h.cx());
    let screen = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("diff_unified_cosmetic_wide", screen);
}

#[tokio::test]
async fn snapshot_loading_and_failed() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = DiffPane::new();
    insta::assert_snapshot!("diff_empty_narrow", fixture.render(&mut pane, NARROW));
    let production = |id: &str| WorkflowRef {
        env: "production".into(),
        id: id.into(),
    };
    pane.on_open(
        Nav::Diff {
            a: Some(production("aB3")),
            b: Some(WorkflowRef {
                env: "staging".into(),
                id: "q9".into(),
            }),
        },
        &mut h.cx(),
    );
    insta::assert_snapshot!("diff_loading_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("diff_loading_wide", fixture.render(&mut pane, WIDE));
    // The store of the harness holds no environment: the load fails, naming it.
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
    let State::Failed(error) = &pane.state else {
        panic!("the load should have failed");
    };
    assert!(error.contains("production"), "{error}");
    insta::assert_snapshot!("diff_failed_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("diff_failed_wide", fixture.render(&mut pane, WIDE));
}

#[test]
fn the_summary_speaks_in_nodes_with_their_risk() {
    let pane = loaded();
    let v = view(&pane);
    let nodes: Vec<(NodeChangeKind, &str, Risk)> = v
        .items
        .iter()
        .filter_map(|&i| v.node(i))
        .map(|n| (n.kind, n.name.as_str(), n.risk))
        .collect();
    assert_eq!(
        nodes,
        vec![
            (NodeChangeKind::Modified, "Fetch order", Risk::High),
            (NodeChangeKind::Renamed, "Map fields", Risk::Low),
            (NodeChangeKind::Added, "Notify Slack", Risk::High),
            (NodeChangeKind::Removed, "Old logger", Risk::Medium),
        ]
    );
    assert_eq!(v.items.last(), Some(&Item::Settings));
    assert!(v.tally.contains("1 cosmetic hidden"), "{}", v.tally);
}

use crate::domain::diff::Risk;

#[tokio::test]
async fn enter_jumps_to_the_node_and_esc_returns_to_the_summary() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let fixture = Fixture::default();
    fixture.render(&mut pane, NARROW);
    assert_eq!(pane.focus, Focus::Summary);
    pane.on_action(Action::Down, &mut h.cx());
    pane.on_action(Action::Down, &mut h.cx());
    pane.on_action(Action::Enter, &mut h.cx());
    assert_eq!(pane.focus, Focus::Text);
    // The first change of "Notify Slack" (its credentials: the name follows them) is
    // at the top of the text, below the margin.
    let screen = fixture.render(&mut pane, NARROW);
    let text_top: Vec<&str> = screen.lines().skip(9).take(JUMP_MARGIN + 1).collect();
    assert!(
        text_top[JUMP_MARGIN].contains("+       \"credentials\": {"),
        "{screen}"
    );
    // Side by side, the end of the text stops the jump: it is on screen all the same.
    fixture.render(&mut pane, WIDE);
    pane.focus = Focus::Summary;
    pane.on_action(Action::Enter, &mut h.cx());
    let screen = fixture.render(&mut pane, WIDE);
    assert!(screen.contains("\"Notify Slack\""), "{screen}");
    // k scrolls the text now (j stops at the end); esc goes back to the summary.
    let top = pane.top;
    assert!(top > 0);
    pane.on_action(Action::Down, &mut h.cx());
    assert_eq!(pane.top, top);
    pane.on_action(Action::Up, &mut h.cx());
    assert_eq!(pane.top, top - 1);
    assert!(pane.back());
    assert_eq!(pane.focus, Focus::Summary);
    assert!(!pane.back());
}

#[tokio::test]
async fn hunks_and_nodes_are_jumped_to_in_order() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    Fixture::default().render(&mut pane, WIDE);
    let starts = view(&pane).side_by_side.hunk_starts.clone();
    assert!(starts.len() >= 3, "{starts:?}");
    let mut tops = Vec::new();
    for _ in 0..starts.len() + 1 {
        pane.on_action(Action::NextHunk, &mut h.cx());
        tops.push(pane.top);
    }
    assert!(tops.windows(2).all(|w| w[0] <= w[1]), "{tops:?}");
    assert!(tops.iter().any(|&t| t > 0));
    pane.on_action(Action::PrevHunk, &mut h.cx());
    assert!(pane.top < *tops.last().unwrap() || pane.top == 0);

    pane.summary.selected = 0;
    pane.on_action(Action::NextNode, &mut h.cx());
    assert_eq!(pane.summary.selected, 1);
    pane.on_action(Action::PrevNode, &mut h.cx());
    pane.on_action(Action::PrevNode, &mut h.cx());
    // Wraps to the last node (before the links and settings items).
    let v = view(&pane);
    let last_node = v.items.iter().rposition(|i| matches!(i, Item::Node(_)));
    assert_eq!(Some(pane.summary.selected), last_node);
    assert_eq!(pane.summary.selected, v.items.len() - 3);
}

#[tokio::test]
async fn toggles_keep_the_place() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    let fixture = Fixture::default();
    fixture.render(&mut pane, WIDE);
    let items = view(&pane).items.len();
    pane.on_action(Action::ToggleCosmetic, &mut h.cx());
    assert_eq!(view(&pane).items.len(), items + 1);
    pane.on_action(Action::ToggleCosmetic, &mut h.cx());
    assert_eq!(view(&pane).items.len(), items);

    pane.focus = Focus::Text;
    pane.on_action(Action::NextHunk, &mut h.cx());
    pane.on_action(Action::NextHunk, &mut h.cx());
    let row = view(&pane).side_by_side.shown[pane.top].row();
    pane.on_action(Action::ToggleUnified, &mut h.cx());
    fixture.render(&mut pane, WIDE);
    assert!(pane.drawn_unified);
    assert_eq!(view(&pane).unified.shown[pane.top].row(), row);
    pane.on_action(Action::Right, &mut h.cx());
    assert_eq!(pane.left, SHIFT);
    pane.on_action(Action::Left, &mut h.cx());
    pane.on_action(Action::Left, &mut h.cx());
    assert_eq!(pane.left, 0);
}

#[tokio::test]
async fn stale_results_are_dropped() {
    let mut h = Harness::new().await;
    let mut pane = DiffPane::new();
    let nav = |id: &str| Nav::Diff {
        a: Some(WorkflowRef {
            env: "production".into(),
            id: id.into(),
        }),
        b: None,
    };
    pane.on_open(nav("first"), &mut h.cx());
    let first = h.run_spawned().await;
    pane.on_open(nav("second"), &mut h.cx());
    for msg in first {
        pane.on_msg(msg, &mut h.cx());
    }
    assert!(matches!(pane.state, State::Loading));
    pane.on_msg(
        Box::new(Loaded {
            generation: pane.generation,
            result: Err(crate::service::OpsError::new(ErrorKind::NotFound, "gone")),
        }),
        &mut h.cx(),
    );
    assert!(matches!(pane.state, State::Failed(_)));
}

#[tokio::test]
async fn nothing_mutates_and_nothing_is_offered_before_a_diff() {
    let mut h = Harness::new().await;
    let mut pane = DiffPane::new();
    assert!(pane.actions().is_empty());
    pane.on_open(Nav::Diff { a: None, b: None }, &mut h.cx());
    assert!(matches!(pane.state, State::Empty));
    let pane = loaded();
    assert!(pane.actions().iter().all(|a| !a.is_mutating()));
    assert!(pane.actions().contains(&Action::ToggleUnified));
}

#[test]
fn a_large_diff_draws_only_what_is_on_screen() {
    let big = |n: usize, salt: &str| {
        json!({"name": "Big", "nodes": (0..n).map(|i| node(&i.to_string(), &format!("Node {i:04}"), "set", i as i64,
            json!({"value": format!("{salt}{}", i % 7)}))).collect::<Vec<_>>(), "connections": {}, "settings": {}})
    };
    let doc = |label: &str, workflow| DiffDocument {
        label: label.into(),
        workflow,
    };
    let report = DiffReport::of_documents(&doc("a", big(700, "x")), &doc("b", big(700, "y")), true);
    let mut pane = DiffPane::with_report(report);
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert_eq!(screen.lines().count(), 24);
    assert!(view(&pane).text.new.len() > 5000);
}
