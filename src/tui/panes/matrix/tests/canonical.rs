//! The matrix over canonical state: rows by canonical identity, untracked rows marked
//! apart, drift marks in the cells, the untracked and drifted filters, onboarding.

use super::*;
use crate::domain::job::JobState;

fn tracked(
    env: &str,
    id: &str,
    canonical: &str,
    name: &str,
    fingerprint: &str,
    drift: DriftStatus,
) -> WorkflowSummary {
    WorkflowSummary {
        canonical_id: Some(canonical.into()),
        drift: Some(drift),
        ..summary(env, id, name, fingerprint, true)
    }
}

fn untracked(env: &str, id: &str, name: &str, fingerprint: &str) -> WorkflowSummary {
    WorkflowSummary {
        drift: Some(DriftStatus::Untracked),
        ..summary(env, id, name, fingerprint, false)
    }
}

/// Order sync renamed and drifted in development; Billing export unknown in production
/// (unreachable at the last check); Error alerts missing in production; two untracked
/// workflows, one a hand-made copy in production named like a canonical one.
fn workflows() -> Vec<WorkflowSummary> {
    use DriftStatus::*;
    vec![
        tracked(
            "development",
            "d1",
            "order-sync",
            "Order sync v2",
            "f2",
            Drifted,
        ),
        tracked("staging", "s1", "order-sync", "Order sync", "f1", InSync),
        tracked("production", "p1", "order-sync", "Order sync", "f1", InSync),
        tracked(
            "development",
            "d2",
            "billing-export",
            "Billing export",
            "b",
            InSync,
        ),
        tracked(
            "staging",
            "s2",
            "billing-export",
            "Billing export",
            "b",
            InSync,
        ),
        tracked(
            "production",
            "p2",
            "billing-export",
            "Billing export",
            "b",
            Unknown,
        ),
        tracked(
            "development",
            "d3",
            "error-alerts",
            "Error alerts",
            "e",
            InSync,
        ),
        tracked("staging", "s3", "error-alerts", "Error alerts", "e", InSync),
        untracked("development", "d7", "Scratch test", "x"),
        untracked("production", "p9", "Order sync", "f1"),
    ]
}

fn canonical() -> MatrixPane {
    let mut pane = MatrixPane::new();
    pane.show(Grid::build(&testing::envs(), &workflows()));
    pane
}

/// The visible row of `id` (a canonical id, or an untracked name with `?` in front).
fn row_at(pane: &MatrixPane, id: &str) -> usize {
    let wanted = match id.strip_prefix('?') {
        Some(name) => RowId::Untracked(name.into()),
        None => RowId::Canonical(id.into()),
    };
    pane.visible
        .iter()
        .position(|&i| pane.grid.rows[i].id == wanted)
        .unwrap_or_else(|| panic!("no visible row {id}"))
}

fn line_of<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle}:\n{screen}"))
}

/// The onboarding requests of the spawned work (run against the harness's service).
async fn onboard_requests(h: &mut Harness) -> Vec<OnboardRequest> {
    let mut out = Vec::new();
    for msg in h.run_spawned().await {
        if let Ok(msg) = msg.downcast::<MatrixMsg>()
            && let MatrixMsg::Onboarding { req, .. } = *msg
        {
            out.push(req);
        }
    }
    out
}

#[test]
fn snapshot_canonical_rows_untracked_and_drift() {
    let fixture = Fixture::default();
    let mut pane = canonical();
    // On Order sync in development: renamed there and drifted.
    pane.select(row_at(&pane, "order-sync"), 0);
    let narrow = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("canonical_narrow", narrow);
    let wide = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("canonical_wide", wide);

    // The renamed workflow stays on its row, named as most environments name it.
    let order = line_of(&wide, "  Order sync  ");
    assert!(!order.contains('?'), "tracked: no untracked mark: {order}");
    assert!(
        order.contains("◆a!") && order.matches("◆b").count() == 2,
        "{order}"
    );
    // The hand-made copy is an untracked row of its own, marked in its gutter and cell.
    let copy = wide
        .lines()
        .find(|l| l.contains("? Order sync"))
        .unwrap_or_else(|| panic!("no untracked Order sync row:\n{wide}"));
    assert!(copy.contains("○?"), "{copy}");
    let scratch = line_of(&wide, "Scratch test");
    assert!(scratch.contains("? Scratch test") && scratch.contains("○?"));
    assert!(line_of(&wide, "Billing export").contains("●~"), "unknown");
    assert!(
        line_of(&wide, "Error alerts").contains('·'),
        "missing in prod"
    );
    // The status line says what the cell is.
    let status = line_of(&wide, " in development: ");
    for part in [
        "named 'Order sync v2' here",
        "DRIFTED",
        "canonical order-sync",
    ] {
        assert!(status.contains(part), "{part}: {status}");
    }
    // The legend explains the marks at both sizes.
    for screen in [&narrow, &wide] {
        let legend = screen.lines().last().unwrap();
        for mark in ["! drift", "? untracked", "~ unknown"] {
            assert!(legend.contains(mark), "{mark}: {legend}");
        }
    }
}

#[test]
fn snapshot_untracked_only() {
    let fixture = Fixture::default();
    let mut pane = canonical();
    pane.untracked_only = true;
    pane.refilter();
    assert_eq!(names(&pane), ["Order sync", "Scratch test"]);
    pane.select(1, 0);
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("untracked_only_narrow", screen);
    assert!(screen.contains("[untracked only]"), "{screen}");
    assert!(line_of(&screen, " in development: ").contains("UNTRACKED"));
    insta::assert_snapshot!("untracked_only_wide", fixture.render(&mut pane, WIDE));
}

#[test]
fn a_store_without_canonical_state_keeps_its_rows_all_marked_untracked() {
    let plain = vec![
        summary("development", "d1", "Alpha", "f1", true),
        summary("production", "p1", "Alpha", "f1", true),
        summary("development", "d2", "Beta", "f2", true),
    ];
    let mut pane = MatrixPane::new();
    pane.show(Grid::build(&testing::envs(), &plain));
    assert_eq!(names(&pane), ["Alpha", "Beta"]);
    assert!(pane.grid.rows.iter().all(|r| r.is_untracked()));
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(line_of(&screen, "Alpha").contains("? Alpha"), "{screen}");
    // Never drift-checked: no drift marks.
    assert!(!line_of(&screen, "Alpha").contains("●?"), "{screen}");
}

#[tokio::test]
async fn filters_for_untracked_and_drifted_rows() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    assert_eq!(pane.visible.len(), 5);
    act(&mut pane, &mut h, Action::ToggleUntracked);
    assert_eq!(names(&pane), ["Order sync", "Scratch test"]);
    assert!(pane.current_row().unwrap().is_untracked());
    act(&mut pane, &mut h, Action::ToggleUntracked);
    assert_eq!(pane.visible.len(), 5);
    pane.on_command("drifted", "", &mut h.cx());
    assert_eq!(names(&pane), ["Order sync"]);
    assert_eq!(
        pane.current_row().unwrap().canonical_id(),
        Some("order-sync")
    );
    pane.on_command("untracked", "", &mut h.cx());
    assert_eq!(names(&pane), ["Order sync", "Scratch test"]);
    pane.on_command("all", "", &mut h.cx());
    assert_eq!(pane.visible.len(), 5);
    // The `/` filter finds a row by its canonical id too.
    pane.set_filter(Filter::parse("billing-exp"));
    assert_eq!(names(&pane), ["Billing export"]);
}

#[test]
fn the_cursor_follows_a_canonical_row_through_a_rename_everywhere() {
    let mut pane = canonical();
    pane.select(row_at(&pane, "order-sync"), 1);
    let renamed: Vec<WorkflowSummary> = workflows()
        .into_iter()
        .map(|mut w| {
            if w.canonical_id.as_deref() == Some("order-sync") {
                w.name = "Orders to CRM".into();
            }
            w
        })
        .collect();
    pane.show(Grid::build(&testing::envs(), &renamed));
    let row = pane.current_row().unwrap();
    assert_eq!(row.canonical_id(), Some("order-sync"));
    assert_eq!(row.name, "Orders to CRM");
    // The untracked copy keeps its own row and name.
    assert!(names(&pane).contains(&"Order sync"));
}

#[tokio::test]
async fn onboard_sends_the_untracked_cell_under_the_cursor() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    pane.select(row_at(&pane, "?Scratch test"), 0);
    act(&mut pane, &mut h, Action::Onboard);
    let sent = onboard_requests(&mut h).await;
    assert_eq!(
        sent,
        [OnboardRequest {
            env: "development".into(),
            workflows: vec!["d7".into()],
            all: false,
        }]
    );
}

#[tokio::test]
async fn onboard_flashes_the_job_or_the_error() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    let req = OnboardRequest {
        env: "production".into(),
        workflows: vec!["p9".into()],
        all: false,
    };
    let answer = |result| -> PaneMsg {
        Box::new(MatrixMsg::Onboarding {
            req: req.clone(),
            what: "'Order sync'".into(),
            result,
        })
    };
    pane.on_msg(
        answer(Ok(JobStarted {
            job_id: "job-7".into(),
        })),
        &mut h.cx(),
    );
    pane.on_msg(
        answer(Err(OpsError::internal("the repository is locked"))),
        &mut h.cx(),
    );
    let flashes: Vec<(bool, String)> = h
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Info(m) => Some((false, m.clone())),
            Effect::Error(m) => Some((true, m.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        flashes,
        [
            (
                false,
                "onboarding 'Order sync' in production: job job-7 (the Jobs pane shows progress)"
                    .to_string()
            ),
            (
                true,
                "'Order sync' in production not onboarded: the repository is locked".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn onboard_skips_tracked_and_missing_cells_and_groups_marks_by_environment() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    // A tracked row: nothing is sent, the flash says why.
    pane.select(row_at(&pane, "order-sync"), 0);
    act(&mut pane, &mut h, Action::Onboard);
    assert!(
        matches!(&h.effects[..], [Effect::Info(m)] if m.contains("tracked already (canonical id order-sync)")),
        "{:?}",
        h.effects.len()
    );
    h.effects.clear();
    // An untracked row where this environment has nothing.
    pane.select(row_at(&pane, "?Scratch test"), 2);
    act(&mut pane, &mut h, Action::Onboard);
    assert!(matches!(&h.effects[..], [Effect::Info(m)] if m.contains("not in production")));
    h.effects.clear();
    // Marks: the untracked cells of two environments, and a tracked one (skipped).
    pane.select(row_at(&pane, "?Scratch test"), 0);
    act(&mut pane, &mut h, Action::Mark);
    pane.select(row_at(&pane, "?Order sync"), 2);
    act(&mut pane, &mut h, Action::Mark);
    pane.select(row_at(&pane, "billing-export"), 1);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Onboard);
    assert!(pane.marks.is_empty(), "the marks are spent");
    let sent = onboard_requests(&mut h).await;
    assert_eq!(
        sent,
        [
            OnboardRequest {
                env: "development".into(),
                workflows: vec!["d7".into()],
                all: false,
            },
            OnboardRequest {
                env: "production".into(),
                workflows: vec!["p9".into()],
                all: false,
            },
        ]
    );
}

#[tokio::test]
async fn onboard_all_asks_first_then_sends_all_for_the_cursors_environment() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    pane.select(0, 2);
    act(&mut pane, &mut h, Action::OnboardAll);
    let confirm = match h.effects.pop() {
        Some(Effect::Confirm(confirm)) => confirm,
        _ => panic!("onboarding everything asks first"),
    };
    assert!(h.effects.is_empty(), "nothing is sent before the answer");
    assert_eq!(
        confirm.title,
        "Onboard the untracked workflow of production?"
    );
    assert!(confirm.type_to_confirm.is_none());
    pane.on_msg(confirm.payload, &mut h.cx());
    let sent = onboard_requests(&mut h).await;
    assert_eq!(
        sent,
        [OnboardRequest {
            env: "production".into(),
            workflows: Vec::new(),
            all: true,
        }]
    );
    // Staging has no untracked workflow: nothing to ask.
    pane.select(0, 1);
    act(&mut pane, &mut h, Action::OnboardAll);
    assert!(
        matches!(&h.effects[..], [Effect::Info(m)] if m.contains("No untracked workflow in staging"))
    );
}

#[tokio::test]
async fn readonly_refuses_a_confirmed_onboard_all() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    let payload: PaneMsg = Box::new(MatrixMsg::OnboardAllConfirmed {
        env: "production".into(),
    });
    pane.on_msg(payload, &mut Cx::new(&h.ops, true, &mut h.effects));
    assert!(matches!(&h.effects[..], [Effect::Error(m)] if m.contains("read-only")));
    assert!(Action::Onboard.is_mutating() && Action::OnboardAll.is_mutating());
    assert!(!Action::ToggleUntracked.is_mutating());
}

#[tokio::test]
async fn drift_and_onboarding_jobs_reload_the_matrix_when_they_finish() {
    let mut h = Harness::new().await;
    let mut pane = canonical();
    let finished = |job: &str| {
        testing::event(
            job,
            EventBody::Finished {
                state: JobState::Succeeded,
                result: None,
                error: None,
            },
        )
    };
    for (job, kind, reloads) in [
        ("job-1", "drift", true),
        ("job-2", "onboard", true),
        ("job-3", "upload", false),
    ] {
        let title = format!("{kind} production");
        let started = testing::event(
            job,
            EventBody::Started {
                kind: kind.into(),
                title,
            },
        );
        pane.on_event(&started, &mut h.cx());
        pane.loading = false;
        pane.on_event(&finished(job), &mut h.cx());
        assert_eq!(pane.loading, reloads, "{kind}");
        h.effects.clear();
    }
}
