//! Tests of the matrix pane: shared helpers, the name-keyed rows of a store without
//! canonical state and the pane's moves here; canonical rows, drift and onboarding in
//! `canonical`.

mod canonical;

use super::*;
use crate::domain::sync::Change;
use crate::service::{EnvCounts, EventBody, OpsError};
use crate::tui::pane::Effect;
use crate::tui::testing::{self, Fixture, Harness, NARROW, WIDE};

pub(super) fn summary(
    env: &str,
    id: &str,
    name: &str,
    fingerprint: &str,
    active: bool,
) -> WorkflowSummary {
    WorkflowSummary {
        env: env.into(),
        id: id.into(),
        name: name.into(),
        active,
        tags: Vec::new(),
        nodes: 3,
        fingerprint: fingerprint.into(),
        updated_at: None,
        stored_at: testing::now(),
        change: Change::Unchanged,
        canonical_id: None,
        drift: None,
    }
}

/// Five workflows over development, staging and production: one the same everywhere,
/// one changed in production, one only in development, one that differs and is
/// missing, one the same and inactive.
fn workflows() -> Vec<WorkflowSummary> {
    vec![
        summary("development", "d1", "Alpha sync", "f1", true),
        summary("staging", "s1", "Alpha sync", "f1", true),
        summary("production", "p1", "Alpha sync", "f1", true),
        summary("development", "d2", "Billing export", "f2", true),
        summary("staging", "s2", "Billing export", "f2", true),
        summary("production", "p2", "Billing export", "f3", true),
        summary("development", "d3", "Customer onboarding", "f4", false),
        summary("development", "d4", "Daily report", "f5", false),
        summary("staging", "s4", "Daily report", "f6", true),
        summary("development", "d5", "Error alerts", "f7", false),
        summary("staging", "s5", "Error alerts", "f7", false),
        summary("production", "p5", "Error alerts", "f7", false),
    ]
}

fn populated() -> MatrixPane {
    let mut pane = MatrixPane::new();
    // Given out of class order: the columns still come development, staging, production.
    let mut envs = testing::envs();
    envs.reverse();
    pane.show(Grid::build(&envs, &workflows()));
    pane
}

pub(super) fn names(pane: &MatrixPane) -> Vec<&str> {
    pane.visible
        .iter()
        .map(|&i| pane.grid.rows[i].name.as_str())
        .collect()
}

/// `n` environments `env-01`... alternating classes, and `rows` workflows in each,
/// some missing, some differing.
fn large(rows: usize, n: usize) -> Grid {
    let classes = [
        EnvClass::Development,
        EnvClass::Staging,
        EnvClass::Production,
    ];
    let envs: Vec<EnvView> = (0..n)
        .map(|i| EnvView {
            name: format!("env-{:02}", i + 1),
            class: classes[i % 3],
            url: format!("http://10.0.0.{i}:5678"),
            git_repo: None,
            git_branch: None,
            created_at: testing::now(),
            updated_at: testing::now(),
            last_sync_at: None,
            counts: EnvCounts::default(),
        })
        .collect();
    let mut workflows = Vec::with_capacity(rows * n);
    for r in 0..rows {
        let name = format!("Workflow {r:05} of the fleet");
        for (e, env) in envs.iter().enumerate() {
            if (r + e) % 11 == 0 {
                continue;
            }
            let fingerprint = if r % 4 == 0 && e == n - 1 {
                "new"
            } else {
                "old"
            };
            workflows.push(summary(
                &env.name,
                &format!("{r}-{e}"),
                &name,
                fingerprint,
                r % 3 != 0,
            ));
        }
    }
    Grid::build(&envs, &workflows)
}

pub(super) fn act(pane: &mut MatrixPane, harness: &mut Harness, action: Action) {
    pane.on_action(action, &mut harness.cx());
}

pub(super) fn opened(effects: &[Effect]) -> Vec<(PaneKind, Nav)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Open(kind, nav) => Some((*kind, nav.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn errors(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Error(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn wf(env: &str, id: &str) -> Option<WorkflowRef> {
    Some(WorkflowRef {
        env: env.into(),
        id: id.into(),
    })
}

#[test]
fn snapshot_populated() {
    let fixture = Fixture::default();
    let mut pane = populated();
    pane.select(1, 2);
    insta::assert_snapshot!("populated_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("populated_wide", fixture.render(&mut pane, WIDE));
}

#[test]
fn snapshot_filtered_and_marked() {
    let fixture = Fixture::default();
    let mut pane = populated();
    pane.set_filters(true, false);
    pane.set_filter(Filter::parse("!alpha"));
    pane.select(0, 0);
    pane.toggle_mark();
    insta::assert_snapshot!("filtered_marked_narrow", fixture.render(&mut pane, NARROW));
}

#[test]
fn snapshot_no_match() {
    let fixture = Fixture::default();
    let mut pane = populated();
    pane.set_filter(Filter::parse("nothing like this"));
    insta::assert_snapshot!("no_match_narrow", fixture.render(&mut pane, NARROW));
}

#[test]
fn snapshot_loading_and_error() {
    let fixture = Fixture::default();
    let mut pane = MatrixPane::new();
    pane.loading = true;
    insta::assert_snapshot!("loading_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("loading_wide", fixture.render(&mut pane, WIDE));
    pane.loading = false;
    pane.error = Some("the store failed: database is locked".into());
    insta::assert_snapshot!("error_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("error_wide", fixture.render(&mut pane, WIDE));
}

#[test]
fn snapshot_empty() {
    let mut fixture = Fixture::default();
    let mut pane = MatrixPane::new();
    pane.show(Grid::build(&[], &[]));
    insta::assert_snapshot!("no_envs_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("no_envs_wide", fixture.render(&mut pane, WIDE));
    pane.show(Grid::build(&testing::envs(), &[]));
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("no_workflows_narrow", screen);
    insta::assert_snapshot!("no_workflows_wide", fixture.render(&mut pane, WIDE));
    // Read-only: the hint to sync is not offered.
    assert!(screen.contains("sync an environment (s"), "{screen}");
    fixture.readonly = true;
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("no_workflows_readonly_narrow", screen);
    assert!(!screen.contains("sync"), "{screen}");
}

#[test]
fn snapshot_columns_scroll_sideways() {
    let fixture = Fixture::default();
    let mut pane = MatrixPane::new();
    pane.show(large(30, 10));
    pane.select(3, 9);
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("ten_envs_scrolled_narrow", screen);
    assert!(
        screen.contains("env-10") && !screen.contains("env-01"),
        "{screen}"
    );
    assert!(screen.contains('‹'));
    pane.select(3, 0);
    let screen = fixture.render(&mut pane, NARROW);
    assert!(
        screen.contains("env-01") && screen.contains('›'),
        "{screen}"
    );
    // Wide enough for every column: no arrows.
    let screen = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("ten_envs_wide", screen);
    assert!(!screen.contains('‹') && !screen.contains('›'));
}

#[test]
fn columns_follow_class_order_and_cells_tell_state() {
    let pane = populated();
    let columns: Vec<_> = pane.grid.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["development", "staging", "production"]);
    let screen = Fixture::default().render(&mut populated(), WIDE);
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no row {name}:\n{screen}"))
            .to_string()
    };
    assert!(line("Alpha sync").matches('●').count() == 3);
    let billing = line("Billing export");
    assert!(
        billing.contains("◆a") && billing.contains("◆b"),
        "{billing}"
    );
    let onboarding = line("Customer onboarding");
    assert!(onboarding.contains('○') && onboarding.matches('·').count() == 2);
    let daily = line("Daily report");
    assert!(daily.contains("◇a") && daily.contains("◆b") && daily.contains('·'));
}

#[tokio::test]
async fn filters_narrow_the_rows_and_commands_set_them() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    assert_eq!(names(&pane).len(), 5);
    act(&mut pane, &mut h, Action::ToggleDiffers);
    assert_eq!(names(&pane), ["Billing export", "Daily report"]);
    act(&mut pane, &mut h, Action::ToggleMissing);
    assert_eq!(names(&pane), ["Daily report"]);
    act(&mut pane, &mut h, Action::ToggleDiffers);
    assert_eq!(names(&pane), ["Customer onboarding", "Daily report"]);
    pane.on_command("differs", "", &mut h.cx());
    assert_eq!(names(&pane), ["Billing export", "Daily report"]);
    pane.on_command("missing", "", &mut h.cx());
    assert_eq!(names(&pane), ["Customer onboarding", "Daily report"]);
    pane.on_command("all", "", &mut h.cx());
    assert_eq!(names(&pane).len(), 5);
    pane.set_filter(Filter::parse("OR"));
    assert_eq!(
        names(&pane),
        ["Billing export", "Daily report", "Error alerts"]
    );
    pane.set_filter(Filter::parse("!or"));
    assert_eq!(names(&pane), ["Alpha sync", "Customer onboarding"]);
    let commands: Vec<_> = pane.commands().iter().map(|(c, _)| *c).collect();
    assert_eq!(
        commands,
        ["differs", "missing", "untracked", "drifted", "all"]
    );
}

#[tokio::test]
async fn the_cursor_stays_on_its_row_through_filter_changes() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    pane.select(3, 0);
    assert_eq!(pane.current_row().unwrap().name, "Daily report");
    act(&mut pane, &mut h, Action::ToggleDiffers);
    assert_eq!(pane.current_row().unwrap().name, "Daily report");
    act(&mut pane, &mut h, Action::ToggleDiffers);
    assert_eq!(pane.current_row().unwrap().name, "Daily report");
}

#[tokio::test]
async fn cells_are_navigated_and_opened() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    act(&mut pane, &mut h, Action::Left);
    assert_eq!(pane.col, 0);
    for _ in 0..5 {
        act(&mut pane, &mut h, Action::Right);
    }
    assert_eq!(pane.col, 2, "the cursor stops at the last environment");
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Enter);
    assert_eq!(
        opened(&h.effects),
        [(
            PaneKind::Workflows,
            Nav::Workflow(WorkflowRef {
                env: "production".into(),
                id: "p2".into()
            })
        )]
    );
    h.effects.clear();
    // Customer onboarding is missing in production: nothing opens.
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Enter);
    assert!(opened(&h.effects).is_empty());
    assert!(
        matches!(&h.effects[..], [Effect::Info(m)] if m.contains("missing in production")),
        "an info flash says it is missing"
    );
    act(&mut pane, &mut h, Action::Bottom);
    assert_eq!(pane.current_row().unwrap().name, "Error alerts");
    act(&mut pane, &mut h, Action::Top);
    assert_eq!(pane.current_row().unwrap().name, "Alpha sync");
    pane.cursor.page = 3;
    act(&mut pane, &mut h, Action::PageDown);
    assert_eq!(pane.cursor.selected, 3);
    act(&mut pane, &mut h, Action::PageUp);
    assert_eq!(pane.cursor.selected, 0);
}

#[tokio::test]
async fn diff_of_two_marked_cells_opens_them_left_to_right() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    // Billing export: mark production, then development.
    pane.select(1, 2);
    act(&mut pane, &mut h, Action::Mark);
    pane.select(1, 0);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Diff);
    assert_eq!(
        opened(&h.effects),
        [(
            PaneKind::Diff,
            Nav::Diff {
                a: wf("development", "d2"),
                b: wf("production", "p2")
            }
        )]
    );
    assert!(pane.marks.is_empty(), "marks are spent by the diff");
}

#[tokio::test]
async fn diff_without_marks_takes_the_first_two_differing_cells() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    pane.select(3, 2);
    act(&mut pane, &mut h, Action::Diff);
    assert_eq!(
        opened(&h.effects),
        [(
            PaneKind::Diff,
            Nav::Diff {
                a: wf("development", "d4"),
                b: wf("staging", "s4")
            }
        )]
    );
    h.effects.clear();
    // Alpha sync is the same everywhere: nothing to compare.
    pane.select(0, 0);
    act(&mut pane, &mut h, Action::Diff);
    assert!(opened(&h.effects).is_empty());
}

#[tokio::test]
async fn diff_refuses_marks_across_rows_and_a_mark_toggles() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    pane.select(0, 0);
    act(&mut pane, &mut h, Action::Mark);
    pane.select(1, 1);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Diff);
    assert!(opened(&h.effects).is_empty());
    let errors = errors(&h.effects);
    assert!(errors[0].contains("Alpha sync") && errors[0].contains("Billing export"));
    act(&mut pane, &mut h, Action::Mark);
    assert_eq!(pane.marks.len(), 1, "marking again unmarks");
    // A missing cell may be one side of the diff.
    pane.select(2, 1);
    act(&mut pane, &mut h, Action::Mark);
    pane.select(2, 0);
    act(&mut pane, &mut h, Action::Mark);
    h.effects.clear();
    act(&mut pane, &mut h, Action::Diff);
    assert_eq!(errors_len(&h.effects), 1, "three marks are refused");
    assert!(pane.back(), "esc drops the marks");
    assert!(!pane.back());
    pane.select(2, 1);
    act(&mut pane, &mut h, Action::Mark);
    pane.select(2, 0);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Diff);
    assert_eq!(
        opened(&h.effects),
        [(
            PaneKind::Diff,
            Nav::Diff {
                a: wf("development", "d3"),
                b: None
            }
        )]
    );
}

fn errors_len(effects: &[Effect]) -> usize {
    errors(effects).len()
}

#[tokio::test]
async fn loads_through_the_service_and_drops_stale_answers() {
    let mut h = Harness::new().await;
    let mut pane = MatrixPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    assert!(pane.loading);
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("Loading workflows"), "{screen}");
    let msgs = h.run_spawned().await;
    // A refresh asked meanwhile makes the first answer stale.
    act(&mut pane, &mut h, Action::Refresh);
    for msg in msgs {
        pane.on_msg(msg, &mut h.cx());
    }
    assert!(pane.loading && !pane.loaded, "the stale answer was dropped");
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
    assert!(pane.loaded && !pane.loading);
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("No environments yet"), "{screen}");
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_rows_and_flashes() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    pane.on_open(Nav::Show, &mut h.cx());
    h.effects.clear();
    let generation = pane.generation;
    let msg: PaneMsg = Box::new(MatrixMsg::Loaded {
        generation,
        result: Err(OpsError::internal("the store is gone")),
    });
    pane.on_msg(msg, &mut h.cx());
    assert_eq!(names(&pane).len(), 5);
    assert!(errors(&h.effects)[0].contains("the store is gone"));
}

#[tokio::test]
async fn a_finished_sync_reloads() {
    let mut h = Harness::new().await;
    let mut pane = populated();
    pane.on_event(
        &testing::event(
            "job-1",
            EventBody::Started {
                kind: "sync".into(),
                title: "sync development".into(),
            },
        ),
        &mut h.cx(),
    );
    assert!(h.effects.is_empty());
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
    assert!(pane.loading);
    assert_eq!(h.run_spawned().await.len(), 1);
}

#[test]
fn tiny_screens_do_not_break_the_drawing() {
    let fixture = Fixture::default();
    let mut pane = MatrixPane::new();
    pane.show(large(40, 10));
    pane.select(3, 9);
    for size in [(1, 1), (3, 3), (8, 4), (20, 5), (30, 2), (40, 10)] {
        fixture.render(&mut pane, size);
    }
    let mut pane = populated();
    pane.set_filter(Filter::parse("none such"));
    for size in [(1, 1), (5, 3), (12, 4)] {
        fixture.render(&mut pane, size);
    }
}

#[test]
fn ten_thousand_rows_by_ten_environments_build_and_draw() {
    let fixture = Fixture::default();
    let mut pane = MatrixPane::new();
    pane.show(large(10_000, 10));
    assert_eq!(pane.grid.rows.len(), 10_000);
    assert_eq!(pane.visible.len(), 10_000);
    let screen = fixture.render(&mut pane, WIDE);
    assert!(screen.contains("Workflow 00000") && screen.contains("env-10"));
    pane.select(usize::MAX, 9);
    let screen = fixture.render(&mut pane, WIDE);
    assert!(screen.contains("Workflow 09999"), "{screen}");
    pane.select(5_000, 4);
    let screen = fixture.render(&mut pane, NARROW);
    assert!(screen.contains("Workflow 05000"), "{screen}");
    pane.set_filters(true, false);
    assert_eq!(
        pane.visible.len(),
        pane.grid.rows.iter().filter(|r| r.differs()).count()
    );
    assert!(pane.visible.len() > 1_000);
}
