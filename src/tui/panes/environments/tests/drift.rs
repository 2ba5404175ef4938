//! The drift column and line, drift checks, backups and the way to snapshots.

use super::*;

fn env_drift(env: &str, counts: DriftCounts, error: Option<&str>, minutes_ago: i64) -> EnvDrift {
    EnvDrift {
        env: env.into(),
        checked_at: crate::tui::testing::now() - chrono::Duration::minutes(minutes_ago),
        error: error.map(str::to_owned),
        counts,
        items: Vec::new(),
    }
}

/// Development drifted (with the workflows named), staging in sync, production
/// unreachable at its last check.
fn drift_checks() -> Vec<EnvDrift> {
    let mut development = env_drift(
        "development",
        DriftCounts {
            in_sync: 56,
            drifted: 3,
            untracked: 1,
            ..DriftCounts::default()
        },
        None,
        12,
    );
    development.items = ["Order sync", "Billing export", "Error alerts", "Scratch"]
        .iter()
        .enumerate()
        .map(|(i, name)| DriftItem {
            status: if i < 3 {
                DriftStatus::Drifted
            } else {
                DriftStatus::Untracked
            },
            canonical_id: None,
            n8n_id: Some(format!("d{i}")),
            name: (*name).into(),
            expected: None,
            live: None,
            summary: None,
        })
        .collect();
    vec![
        development,
        env_drift(
            "staging",
            DriftCounts {
                in_sync: 58,
                ..DriftCounts::default()
            },
            None,
            2,
        ),
        env_drift(
            "production",
            DriftCounts::default(),
            Some("connection refused"),
            30,
        ),
    ]
}

fn drift_read(pane: &mut EnvironmentsPane, h: &mut Harness, result: OpsResult<Vec<EnvDrift>>) {
    pane.drift.generation += 1;
    let generation = pane.drift.generation;
    pane.on_msg(
        Box::new(EnvMsg::DriftRead { generation, result }),
        &mut h.cx(),
    );
}

#[tokio::test]
async fn snapshot_drift_in_each_form() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    drift_read(&mut pane, &mut h, Ok(drift_checks()));
    // Development drifted, with its workflows named in the details.
    let narrow = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("drift_narrow", narrow);
    let wide = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("drift_wide", wide);
    let row = |screen: &str, env: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!(" {env} ")) && l.contains("ago"))
            .unwrap_or_else(|| panic!("no row {env}:\n{screen}"))
            .to_owned()
    };
    assert!(row(&narrow, "development").contains("4 out of sync"));
    assert!(row(&narrow, "staging").contains("in sync"));
    assert!(row(&narrow, "production").contains("unknown"));
    assert!(row(&wide, "development").contains("3 drifted · 1 untracked · 12m ago"));
    assert!(row(&wide, "staging").contains("in sync · 2m ago"));
    assert!(row(&wide, "production").contains("unknown: connection refused"));
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Drift   3 drifted · 1 untracked · 12m ago (c checks it)"));
        assert!(screen.contains("        Order sync (drifted) · Billing export (drifted)"));
    }
    assert!(wide.contains("Error alerts (drifted) · 1 more"), "{wide}");
    // Staging in sync; production unknown; a new environment never checked.
    pane.cursor.selected = 1;
    pane.selected = Some("staging".into());
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("drift_in_sync_narrow", screen);
    assert!(screen.contains("Drift   in sync · 2m ago"), "{screen}");
    pane.cursor.selected = 2;
    pane.selected = Some("production".into());
    let screen = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("drift_unknown_wide", screen);
    assert!(
        screen.contains("Drift   unknown: connection refused"),
        "{screen}"
    );
    drift_read(&mut pane, &mut h, Ok(Vec::new()));
    let narrow = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("drift_never_narrow", narrow);
    let wide = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("drift_never_wide", wide);
    assert!(row(&narrow, "staging").contains("never"));
    assert!(
        wide.contains("Drift   never checked (c checks it)"),
        "{wide}"
    );
}

#[tokio::test]
async fn snapshot_drift_checking_and_unreadable() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    drift_read(&mut pane, &mut h, Ok(drift_checks()));
    pane.drift
        .started("job-7".into(), vec!["development".into()]);
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("drift_checking_narrow", screen);
    assert!(screen.contains("checking…"), "{screen}");
    assert!(
        screen.contains("Drift   checking now… (last: 3 drifted"),
        "{screen}"
    );
    drift_read(
        &mut pane,
        &mut h,
        Err(crate::service::OpsError::internal(
            "the canonical repository is missing",
        )),
    );
    pane.drift.finished("job-7");
    let screen = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("drift_unreadable_wide", screen);
    assert!(
        screen.contains("Drift   could not be read: the canonical repository is missing"),
        "{screen}"
    );
}

#[tokio::test]
async fn drift_check_keys_start_a_check_of_the_selected_the_marked_or_all() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    let sent = |msgs: Vec<PaneMsg>| -> Vec<DriftCheckRequest> {
        msgs.into_iter()
            .filter_map(|m| match *m.downcast::<EnvMsg>().ok()? {
                EnvMsg::DriftCheckStarted { req, .. } => Some(req),
                _ => None,
            })
            .collect()
    };
    act(&mut pane, &mut h, Action::DriftCheck);
    assert_eq!(
        sent(h.run_spawned().await),
        [DriftCheckRequest {
            envs: vec!["development".into()],
            fetch: true,
        }]
    );
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Bottom);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::DriftCheck);
    assert_eq!(
        sent(h.run_spawned().await)[0].envs,
        ["development", "production"]
    );
    act(&mut pane, &mut h, Action::DriftCheckAll);
    assert_eq!(
        sent(h.run_spawned().await),
        [DriftCheckRequest {
            envs: Vec::new(),
            fetch: true,
        }]
    );
}

#[tokio::test]
async fn a_started_check_shows_until_its_job_finishes_then_drift_is_read_again() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    let started: PaneMsg = Box::new(EnvMsg::DriftCheckStarted {
        req: DriftCheckRequest::default(),
        result: Ok(JobStarted {
            job_id: "job-3".into(),
        }),
    });
    pane.on_msg(started, &mut h.cx());
    assert_eq!(
        flashes(&h.effects).0,
        ["checking drift of every environment: job job-3 (the Jobs pane shows progress)"]
    );
    assert_eq!(pane.drift.checking.len(), 3, "all: every environment");
    h.effects.clear();
    let finished = crate::tui::testing::event(
        "job-3",
        crate::service::EventBody::Finished {
            state: crate::domain::job::JobState::Succeeded,
            result: None,
            error: None,
        },
    );
    pane.on_event(&finished, &mut h.cx());
    assert!(pane.drift.checking.is_empty());
    let read = h.run_spawned().await;
    assert!(
        matches!(read.into_iter().next().map(|m| m.downcast::<EnvMsg>()), Some(Ok(m)) if matches!(*m, EnvMsg::DriftRead { .. })),
        "the latest checks are read again"
    );
    // A failed start says why, naming the environments.
    let failed: PaneMsg = Box::new(EnvMsg::DriftCheckStarted {
        req: DriftCheckRequest {
            envs: vec!["staging".into()],
            fetch: true,
        },
        result: Err(crate::service::OpsError::internal("no canonical state yet")),
    });
    pane.on_msg(failed, &mut h.cx());
    assert_eq!(
        flashes(&h.effects).1,
        ["drift check of staging not started: no canonical state yet"]
    );
}

#[tokio::test]
async fn backup_snapshots_the_selected_and_s_opens_its_snapshots() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Backup);
    let msgs = h.run_spawned().await;
    let reqs: Vec<BackupRequest> = msgs
        .into_iter()
        .filter_map(|m| match *m.downcast::<EnvMsg>().ok()? {
            EnvMsg::BackupStarted { req, .. } => Some(req),
            _ => None,
        })
        .collect();
    assert_eq!(
        reqs,
        [BackupRequest {
            envs: vec!["staging".into()],
        }]
    );
    h.effects.clear();
    act(&mut pane, &mut h, Action::Snapshots);
    assert!(matches!(
        &h.effects[..],
        [Effect::Open(PaneKind::Snapshots, Nav::Env(env))] if env == "staging"
    ));
}

#[tokio::test]
async fn readonly_refuses_drift_checks_and_backups() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    for action in [Action::DriftCheck, Action::DriftCheckAll, Action::Backup] {
        assert!(action.is_mutating(), "{action:?}");
        pane.on_action(action, &mut Cx::new(&h.ops, true, &mut h.effects));
    }
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Spawn(_))));
    assert!(!Action::Snapshots.is_mutating());
}
