//! Tests of the snapshots pane: shared data and the snapshot tests of every view here
//! (their snapshot names follow this module's path), the flows by theme beside it.

mod flows;

use super::*;
use crate::domain::diff::{
    ConnectionChange, DiffStatus, Field, FieldChange, Link, NodeChangeKind, NodeDiff, Risk, Why,
};
use crate::service::{RestoreAction, RestoreItem, SnapshotDiffEntry, SnapshotWorkflow};
use crate::tui::pane::Effect;
use crate::tui::testing::{self, Fixture, Harness, NARROW, WIDE, now};
use chrono::Duration;
use serde_json::json;

#[allow(clippy::too_many_arguments)]
fn snapshot(
    id: &str,
    kind: CommitKind,
    actor: &str,
    minutes_ago: i64,
    workflows: usize,
    (added, changed, removed): (usize, usize, usize),
    message: &str,
) -> SnapshotView {
    let env = id.split('/').next().unwrap_or_default().to_owned();
    SnapshotView {
        id: id.into(),
        env,
        commit: format!("{:0<40}", format!("{:x}", minutes_ago * 0x9e37_79b9)),
        kind,
        message: message.into(),
        actor: actor.into(),
        at: now() - Duration::minutes(minutes_ago),
        workflows,
        added,
        changed,
        removed,
        job_id: Some(format!("job-{minutes_ago}")),
    }
}

/// Four snapshots of three environments, newest first.
fn sample() -> Vec<SnapshotView> {
    vec![
        snapshot(
            "production/20261122-115500",
            CommitKind::Backup,
            "alice",
            5,
            55,
            (0, 2, 0),
            "Nightly backup.",
        ),
        snapshot(
            "production/20261121-090000",
            CommitKind::Snapshot,
            "bob",
            1620,
            55,
            (1, 0, 1),
            "Automatic snapshot before restoring production from production/20261120-080000.",
        ),
        snapshot(
            "staging/20261120-101500",
            CommitKind::Snapshot,
            "carol",
            2985,
            58,
            (3, 5, 0),
            "Before the Q4 release.",
        ),
        snapshot(
            "development/20261119-170000",
            CommitKind::Backup,
            "alice",
            3900,
            60,
            (60, 0, 0),
            "Nightly backup.",
        ),
    ]
}

fn listed() -> SnapshotsPane {
    let mut pane = SnapshotsPane::new();
    pane.envs = testing::envs();
    pane.listed(sample());
    pane
}

fn workflow(
    canonical: &str,
    name: &str,
    n8n_id: &str,
    active: bool,
    tags: &[&str],
) -> SnapshotWorkflow {
    SnapshotWorkflow {
        canonical_id: canonical.into(),
        name: name.into(),
        n8n_id: n8n_id.into(),
        fingerprint: format!("{canonical}-fp"),
        active,
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn detail() -> SnapshotDetail {
    SnapshotDetail {
        snapshot: sample().remove(0),
        workflows: vec![
            workflow("billing-export", "Billing export", "14", true, &["billing"]),
            workflow("error-alerts", "Error alerts", "3", false, &[]),
            workflow("order-sync", "Order sync", "12", true, &["orders", "crm"]),
        ],
    }
}

/// The API URL of an HTTP node moved to v2, and a link added.
fn url_change() -> WorkflowDiff {
    WorkflowDiff {
        name: None,
        nodes: vec![NodeDiff {
            kind: NodeChangeKind::Modified,
            name: "HTTP Request".into(),
            old_name: None,
            node_type: "n8n-nodes-base.httpRequest".into(),
            old_index: Some(1),
            new_index: Some(1),
            changes: vec![FieldChange {
                field: Field::Parameter,
                path: "parameters.url".into(),
                before: Some(json!("https://api.example/v1/invoices")),
                after: Some(json!("https://api.example/v2/invoices")),
                risk: Risk::High,
                why: Why::HttpRequest,
                cosmetic: false,
            }],
            risk: Risk::High,
            why: Why::HttpRequest,
            cosmetic: false,
        }],
        connections: vec![ConnectionChange::Added {
            link: Link {
                from: "HTTP Request".into(),
                output_type: "main".into(),
                output: 0,
                to: "Slack".into(),
                input_type: "main".into(),
                input: 0,
            },
        }],
        settings: Vec::new(),
        risk: Some(Risk::High),
    }
}

fn entry(
    canonical: &str,
    name: &str,
    status: DiffStatus,
    diff: Option<WorkflowDiff>,
) -> SnapshotDiffEntry {
    SnapshotDiffEntry {
        canonical_id: canonical.into(),
        name: name.into(),
        status,
        diff,
    }
}

fn comparison() -> SnapshotDiff {
    let all = sample();
    SnapshotDiff {
        a: all[1].clone(),
        b: all[0].clone(),
        workflows: vec![
            entry(
                "billing-export",
                "Billing export",
                DiffStatus::Modified,
                Some(url_change()),
            ),
            entry("new-webhook", "New webhook", DiffStatus::Added, None),
            entry("old-cron", "Old cron", DiffStatus::Deleted, None),
            entry("order-sync", "Order sync", DiffStatus::Unchanged, None),
        ],
    }
}

fn item(
    canonical: Option<&str>,
    name: &str,
    action: RestoreAction,
    n8n_id: Option<&str>,
) -> RestoreItem {
    RestoreItem {
        canonical_id: canonical.map(str::to_owned),
        name: name.into(),
        action,
        n8n_id: n8n_id.map(str::to_owned),
        diff: (action == RestoreAction::Update).then(url_change),
    }
}

fn plan(env: &str) -> RestorePlan {
    RestorePlan {
        env: env.into(),
        snapshot: sample().remove(1),
        items: vec![
            item(
                Some("billing-export"),
                "Billing export",
                RestoreAction::Update,
                Some("14"),
            ),
            item(None, "Hand-made copy", RestoreAction::Delete, Some("31")),
            item(Some("old-cron"), "Old cron", RestoreAction::Create, None),
            item(
                Some("order-sync"),
                "Order sync",
                RestoreAction::Unchanged,
                Some("12"),
            ),
        ],
    }
}

fn dry_run(env: &str) -> RestoreRequest {
    RestoreRequest {
        env: env.into(),
        snapshot: Some("production/20261121-090000".into()),
        workflows: Vec::new(),
        dry_run: true,
        confirmed: false,
    }
}

/// A view pushed as the pane does, with `state` already answered.
fn push(pane: &mut SnapshotsPane, kind: ViewKind) {
    let generation = pane.next_generation();
    pane.views.push(View { generation, kind });
}

fn restore_view(state: Load<RestorePlan>) -> ViewKind {
    let mut view = RestoreView {
        req: dry_run("production"),
        state: Load::Loading,
        order: Vec::new(),
        cursor: ListCursor::default(),
    };
    if let Load::Ready(plan) = state {
        view.order = vec![0, 1, 2, 3];
        view.state = Load::Ready(plan);
    } else {
        view.state = state;
    }
    ViewKind::Restore(view)
}

fn both(name: &str, pane: &mut SnapshotsPane) -> (String, String) {
    let fixture = Fixture::default();
    let narrow = fixture.render(pane, NARROW);
    let wide = fixture.render(pane, WIDE);
    insta::assert_snapshot!(format!("{name}_narrow"), narrow);
    insta::assert_snapshot!(format!("{name}_wide"), wide);
    (narrow, wide)
}

#[test]
fn snapshot_list() {
    let mut pane = listed();
    pane.cursor.selected = 1;
    pane.marked = Some("production/20261122-115500".into());
    let (narrow, wide) = both("list", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Snapshots 4"), "{screen}");
        assert!(screen.contains("* production/20261122-115500"), "{screen}");
        assert!(
            screen.contains("+1 ~0 -1 since the previous recording"),
            "{screen}"
        );
        // The selected snapshot's message in full under the list.
        assert!(screen.contains("Automatic snapshot before restoring production"));
    }
    assert!(wide.contains("carol") && wide.contains("Before the Q4 release."));
}

#[test]
fn snapshot_list_of_one_environment_empty_loading_and_error() {
    let mut pane = SnapshotsPane::new();
    pane.loading = true;
    let (narrow, _) = both("loading", &mut pane);
    assert!(narrow.contains("Loading snapshots…"));
    pane.loading = false;
    pane.error = Some("the canonical repository is locked by another writer".into());
    let (narrow, _) = both("error", &mut pane);
    assert!(narrow.contains("Could not load the snapshots: the canonical repository"));
    pane.env = Some("production".into());
    pane.error = None;
    pane.listed(Vec::new());
    let (narrow, _) = both("empty", &mut pane);
    assert!(narrow.contains("Snapshots of production"), "{narrow}");
    assert!(
        narrow.contains("No snapshots of production yet. c takes one"),
        "{narrow}"
    );
    let fixture = Fixture {
        readonly: true,
        ..Fixture::default()
    };
    let screen = fixture.render(&mut pane, NARROW);
    assert!(!screen.contains("c takes one"), "{screen}");
}

#[test]
fn snapshot_detail() {
    let mut pane = listed();
    let mut marks = BTreeSet::new();
    marks.insert("order-sync".to_owned());
    push(
        &mut pane,
        ViewKind::Detail(DetailView {
            id: "production/20261122-115500".into(),
            state: Load::Ready(Box::new(detail())),
            cursor: ListCursor {
                selected: 2,
                ..ListCursor::default()
            },
            marks,
        }),
    );
    let (narrow, wide) = both("detail", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Snapshot production/20261122-115500"));
        assert!(screen.contains("backup · 2026-11-22 11:55 (5m ago) · by alice · 55 workflows"));
        assert!(screen.contains("Nightly backup."));
        assert!(screen.contains("1 marked: r restores only those"));
        assert!(screen.contains("* Order sync"), "{screen}");
    }
    assert!(wide.contains("orders, crm"), "{wide}");
}

#[test]
fn snapshot_detail_loading_and_failed() {
    let mut pane = listed();
    push(
        &mut pane,
        ViewKind::Detail(DetailView {
            id: "production/20261122-115500".into(),
            state: Load::Loading,
            cursor: ListCursor::default(),
            marks: BTreeSet::new(),
        }),
    );
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("detail_loading_narrow", screen);
    assert!(screen.contains("Loading the snapshot…"));
    if let Some(View {
        kind: ViewKind::Detail(view),
        ..
    }) = pane.views.last_mut()
    {
        view.state = Load::Failed("no snapshot production/20261122-115500".into());
    }
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("detail_failed_narrow", screen);
    assert!(
        screen.contains("Could not load it: no snapshot") && screen.contains("ctrl-r tries again")
    );
}

#[test]
fn snapshot_diff_and_a_workflows_changes() {
    let mut pane = listed();
    push(
        &mut pane,
        ViewKind::Diff(DiffView {
            a: "production/20261121-090000".into(),
            b: "production/20261122-115500".into(),
            state: Load::Ready(Box::new(comparison())),
            order: vec![0, 1, 2, 3],
            cursor: ListCursor::default(),
        }),
    );
    let (narrow, wide) = both("diff", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Compare production/20261121-090000 → production/20261122-115500"));
        assert!(screen.contains("1 added") && screen.contains("1 modified"));
        assert!(screen.contains("1 deleted") && screen.contains("1 unchanged"));
        assert!(screen.contains("MODIFIED") && screen.contains("1 node · 1 link · HIGH"));
    }
    pane.open_change();
    let (narrow, wide) = both("change", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Changes Billing export"));
        assert!(screen.contains("~ HTTP Request  HIGH  HTTP request"));
        assert!(screen.contains("parameters.url: \"https://api.example/v1/invoices\" →"));
        assert!(screen.contains("+ HTTP Request main[0] -> Slack"));
    }
}

#[test]
fn snapshot_diff_loading() {
    let mut pane = listed();
    push(
        &mut pane,
        ViewKind::Diff(DiffView {
            a: "a".into(),
            b: "b".into(),
            state: Load::Loading,
            order: Vec::new(),
            cursor: ListCursor::default(),
        }),
    );
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("diff_loading_narrow", screen);
    assert!(screen.contains("Comparing the snapshots…"));
}

#[test]
fn snapshot_restore_preview_planning_and_failed() {
    let mut pane = listed();
    push(&mut pane, restore_view(Load::Loading));
    let (narrow, _) = both("restore_planning", &mut pane);
    assert!(
        narrow.contains("Planning the restore of production from"),
        "{narrow}"
    );
    pane.views.clear();
    push(
        &mut pane,
        restore_view(Load::Ready(Box::new(plan("production")))),
    );
    let (narrow, wide) = both("restore_preview", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("Restore  production  from production/20261121-090000"),
            "{screen}"
        );
        assert!(
            screen.contains("1 to create · 1 to update · 1 to delete (to the trash) · 1 unchanged"),
            "{screen}"
        );
        for action in ["UPDATE", "DELETE", "CREATE", "UNCHANGED"] {
            assert!(screen.contains(action), "{action}: {screen}");
        }
    }
    assert!(wide.contains("r restores (asks first)"), "{wide}");
    pane.views.clear();
    push(
        &mut pane,
        restore_view(Load::Failed("production: connection refused".into())),
    );
    let (narrow, _) = both("restore_failed", &mut pane);
    assert!(narrow.contains("Could not plan the restore: production: connection refused"));
}

#[test]
fn snapshot_picker_and_message_prompt() {
    let mut pane = listed();
    pane.picker = Some(Picker {
        purpose: Purpose::Restore {
            snapshot: "production/20261121-090000".into(),
            workflows: Vec::new(),
        },
        envs: vec!["development".into(), "staging".into(), "production".into()],
        selected: 2,
    });
    let (narrow, _) = both("picker", &mut pane);
    assert!(
        narrow.contains("Restore from production/20261121-090000 into"),
        "{narrow}"
    );
    assert!(narrow.contains("› production"), "{narrow}");
    pane.picker = None;
    let mut input = InputLine::default();
    input.set_text("before the Q4 release");
    pane.prompt = Some(MessagePrompt {
        env: "staging".into(),
        input,
    });
    let (narrow, _) = both("prompt", &mut pane);
    assert!(
        narrow.contains("Snapshot of staging: why? (optional)"),
        "{narrow}"
    );
    assert!(narrow.contains("before the Q4 release"));
}

#[test]
fn tiny_screens_do_not_break_the_drawing() {
    let fixture = Fixture::default();
    let mut pane = listed();
    for size in [(1, 1), (4, 3), (20, 6), (40, 10)] {
        fixture.render(&mut pane, size);
    }
    push(
        &mut pane,
        restore_view(Load::Ready(Box::new(plan("production")))),
    );
    pane.picker = Some(Picker {
        purpose: Purpose::Snapshot,
        envs: vec!["production".into()],
        selected: 0,
    });
    for size in [(1, 1), (4, 3), (20, 6), (40, 10)] {
        fixture.render(&mut pane, size);
    }
    pane.open_change();
    pane.picker = None;
    pane.prompt = Some(MessagePrompt {
        env: "production".into(),
        input: InputLine::default(),
    });
    for size in [(1, 1), (4, 3), (20, 6), (40, 10)] {
        fixture.render(&mut pane, size);
    }
}
