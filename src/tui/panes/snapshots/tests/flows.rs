//! The pane's flows against the service: restore (picker, dry-run preview, the
//! question, and only then a confirmed run), compare, snapshot with a message, scope
//! and reloads.

use super::*;
use crate::domain::job::JobState;
use crossterm::event::{KeyCode, KeyModifiers};

fn act(pane: &mut SnapshotsPane, h: &mut Harness, action: Action) {
    pane.on_action(action, &mut h.cx());
}

fn press(pane: &mut SnapshotsPane, h: &mut Harness, code: KeyCode) {
    pane.on_key(KeyEvent::new(code, KeyModifiers::NONE), &mut h.cx());
}

fn type_text(pane: &mut SnapshotsPane, h: &mut Harness, text: &str) {
    for c in text.chars() {
        press(pane, h, KeyCode::Char(c));
    }
}

fn spawned(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Spawn(_)))
        .count()
}

/// Runs the spawned work against the harness's service and returns the messages.
async fn run(h: &mut Harness) -> Vec<Msg> {
    h.run_spawned()
        .await
        .into_iter()
        .filter_map(|m| m.downcast::<Msg>().ok().map(|m| *m))
        .collect()
}

fn flashes(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Info(m) | Effect::Error(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// The generation of the top view.
fn top_generation(pane: &SnapshotsPane) -> u64 {
    pane.views
        .last()
        .map(|v| v.generation)
        .expect("a view is open")
}

/// From the list to a restore preview of `target` (picked with `moves` down from the
/// snapshot's own environment, up when negative): returns the dry run the pane sent.
async fn preview(pane: &mut SnapshotsPane, h: &mut Harness, moves: i32) -> RestoreRequest {
    pane.cursor.selected = 1;
    act(pane, h, Action::Restore);
    assert!(pane.captures_input(), "the picker takes the keys");
    assert_eq!(
        spawned(&h.effects),
        0,
        "nothing is asked before a target is picked"
    );
    let key = if moves < 0 {
        KeyCode::Up
    } else {
        KeyCode::Down
    };
    for _ in 0..moves.unsigned_abs() {
        press(pane, h, key);
    }
    press(pane, h, KeyCode::Enter);
    assert!(!pane.captures_input());
    let msgs = run(h).await;
    let [
        Msg::Planned {
            req, generation, ..
        },
    ] = msgs.as_slice()
    else {
        panic!("one plan was asked for");
    };
    assert_eq!(*generation, top_generation(pane));
    req.clone()
}

#[tokio::test]
async fn restore_previews_a_dry_run_asks_by_name_on_production_then_runs_confirmed() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    let sent = preview(&mut pane, &mut h, 0).await;
    assert_eq!(sent, dry_run("production"), "a dry run, not confirmed");
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("Planning the restore"), "{screen}");

    // The plan arrives; `r` asks, and nothing runs before the answer.
    let generation = top_generation(&pane);
    let answer: PaneMsg = Box::new(Msg::Planned {
        generation,
        req: sent.clone(),
        result: Ok(plan("production")),
    });
    pane.on_msg(answer, &mut h.cx());
    h.effects.clear();
    act(&mut pane, &mut h, Action::Restore);
    let confirm = match h.effects.pop() {
        Some(Effect::Confirm(confirm)) => confirm,
        _ => panic!("the restore asks first"),
    };
    assert!(h.effects.is_empty(), "nothing was sent before the answer");
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("production"));
    assert!(
        confirm
            .title
            .contains("Restore production from production/20261121-090000")
    );
    assert!(
        confirm.message.contains("1 to delete (to the trash)"),
        "{}",
        confirm.message
    );
    assert!(confirm.message.contains("snapshotted first"));

    // Yes: the restore is sent, confirmed and no longer a dry run.
    pane.on_msg(confirm.payload, &mut h.cx());
    let msgs = run(&mut h).await;
    let [Msg::RestoreStarted { req, .. }] = msgs.as_slice() else {
        panic!("one restore was started");
    };
    assert_eq!(
        *req,
        RestoreRequest {
            dry_run: false,
            confirmed: true,
            ..sent
        }
    );

    // Started: the preview closes and the Jobs pane shows the job.
    let started: PaneMsg = Box::new(Msg::RestoreStarted {
        req: req.clone(),
        result: Ok(JobStarted {
            job_id: "job-42".into(),
        }),
    });
    pane.on_msg(started, &mut h.cx());
    assert!(pane.views.is_empty());
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::Open(PaneKind::Jobs, Nav::Show)))
    );
    assert_eq!(
        flashes(&h.effects),
        ["restoring production from production/20261121-090000: job job-42"]
    );
}

#[tokio::test]
async fn restoring_another_environment_asks_yes_or_no_and_no_sends_nothing() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    // From production's snapshot into staging (one up in the picker).
    let sent = preview(&mut pane, &mut h, -1).await;
    assert_eq!(sent.env, "staging");
    assert_eq!(sent.snapshot.as_deref(), Some("production/20261121-090000"));
    let generation = top_generation(&pane);
    let answer: PaneMsg = Box::new(Msg::Planned {
        generation,
        req: sent,
        result: Ok(plan("staging")),
    });
    pane.on_msg(answer, &mut h.cx());
    act(&mut pane, &mut h, Action::Restore);
    let confirm = match h.effects.pop() {
        Some(Effect::Confirm(confirm)) => confirm,
        _ => panic!("the restore asks first"),
    };
    assert_eq!(confirm.type_to_confirm, None, "staging: y or n");
    // "No" is the shell dropping the payload: the pane never hears of it.
    drop(confirm);
    assert!(run(&mut h).await.is_empty());
    assert_eq!(pane.views.len(), 1, "the preview stays open");
}

#[tokio::test]
async fn a_plan_with_nothing_to_change_does_not_ask() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    let mut nothing = plan("production");
    nothing
        .items
        .retain(|i| i.action == RestoreAction::Unchanged);
    push(&mut pane, restore_view(Load::Ready(Box::new(nothing))));
    act(&mut pane, &mut h, Action::Restore);
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    assert!(flashes(&h.effects)[0].contains("nothing to restore"));
}

#[tokio::test]
async fn readonly_refuses_a_restore_even_when_confirmed() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    let req = RestoreRequest {
        dry_run: false,
        confirmed: true,
        ..dry_run("production")
    };
    let payload: PaneMsg = Box::new(Msg::RestoreConfirmed { req });
    pane.on_msg(payload, &mut Cx::new(&h.ops, true, &mut h.effects));
    assert_eq!(spawned(&h.effects), 0);
    assert!(flashes(&h.effects)[0].contains("read-only"));
    h.effects.clear();
    pane.on_action(Action::Restore, &mut Cx::new(&h.ops, true, &mut h.effects));
    assert!(pane.picker.is_none());
    for action in [Action::Restore, Action::SnapshotCreate] {
        assert!(action.is_mutating(), "{action:?}");
    }
    assert!(!Action::Compare.is_mutating());
}

#[tokio::test]
async fn the_detail_restores_only_the_marked_workflows() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Enter);
    let msgs = run(&mut h).await;
    let [Msg::Detail { generation, .. }] = msgs.as_slice() else {
        panic!("the detail was asked for");
    };
    assert_eq!(*generation, top_generation(&pane));
    let answer: PaneMsg = Box::new(Msg::Detail {
        generation: *generation,
        result: Ok(detail()),
    });
    pane.on_msg(answer, &mut h.cx());
    act(&mut pane, &mut h, Action::Bottom);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Top);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Restore);
    press(&mut pane, &mut h, KeyCode::Enter);
    let msgs = run(&mut h).await;
    let [Msg::Planned { req, .. }] = msgs.as_slice() else {
        panic!("one plan was asked for");
    };
    assert_eq!(req.env, "production");
    assert_eq!(req.snapshot.as_deref(), Some("production/20261122-115500"));
    assert_eq!(req.workflows, ["billing-export", "order-sync"]);
    assert!(req.dry_run && !req.confirmed);
    // esc goes back through the views, then to the list.
    assert!(pane.back() && pane.back() && !pane.back());
}

#[tokio::test]
async fn compare_takes_the_marked_and_the_selected_older_first() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Compare);
    assert!(flashes(&h.effects)[0].contains("Mark a snapshot"));
    assert!(pane.views.is_empty());
    h.effects.clear();
    // Mark the newest, compare with the second: the second is older, so it is `a`.
    act(&mut pane, &mut h, Action::Mark);
    assert_eq!(pane.marked.as_deref(), Some("production/20261122-115500"));
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Compare);
    let Some(View {
        kind: ViewKind::Diff(view),
        ..
    }) = pane.views.last()
    else {
        panic!("the comparison opened");
    };
    assert_eq!(
        (view.a.as_str(), view.b.as_str()),
        ("production/20261121-090000", "production/20261122-115500")
    );
    assert!(pane.marked.is_none(), "the mark is spent");
    assert_eq!(run(&mut h).await.len(), 1);
    // The answer orders differences first; `enter` opens the changed one.
    let generation = top_generation(&pane);
    let mut diff = comparison();
    diff.workflows.reverse();
    pane.on_msg(
        Box::new(Msg::Diff {
            generation,
            result: Ok(diff),
        }),
        &mut h.cx(),
    );
    let Some(View {
        kind: ViewKind::Diff(view),
        ..
    }) = pane.views.last()
    else {
        panic!("still open");
    };
    assert_eq!(view.order, [1, 2, 3, 0], "the unchanged one last");
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Enter);
    let Some(View {
        kind: ViewKind::Change(change),
        ..
    }) = pane.views.last()
    else {
        panic!("the changes opened");
    };
    assert_eq!(change.title, "Billing export");
    assert!(change.diff.is_some());
}

#[tokio::test]
async fn answers_for_closed_views_are_dropped() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Enter);
    let generation = top_generation(&pane);
    assert!(pane.back());
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Enter);
    let late: PaneMsg = Box::new(Msg::Detail {
        generation,
        result: Ok(detail()),
    });
    pane.on_msg(late, &mut h.cx());
    let Some(View {
        kind: ViewKind::Detail(view),
        ..
    }) = pane.views.last()
    else {
        panic!("the second detail is open");
    };
    assert_eq!(view.id, "production/20261121-090000");
    assert!(
        matches!(view.state, Load::Loading),
        "the late answer was dropped"
    );
}

#[tokio::test]
async fn a_snapshot_of_the_listed_environment_takes_an_optional_message() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.env = Some("staging".into());
    act(&mut pane, &mut h, Action::SnapshotCreate);
    assert!(pane.captures_input(), "the message line is open");
    type_text(&mut pane, &mut h, "  before the Q4 release ");
    press(&mut pane, &mut h, KeyCode::Enter);
    assert!(!pane.captures_input());
    let msgs = run(&mut h).await;
    let [Msg::SnapshotStarted { req, .. }] = msgs.as_slice() else {
        panic!("one snapshot was started");
    };
    assert_eq!(
        *req,
        SnapshotCreate {
            env: "staging".into(),
            message: Some("before the Q4 release".into()),
        }
    );
    // Every environment listed: pick one first; an empty message sends none.
    pane.env = None;
    act(&mut pane, &mut h, Action::SnapshotCreate);
    assert!(pane.picker.is_some());
    press(&mut pane, &mut h, KeyCode::Enter);
    assert!(pane.prompt.is_some());
    press(&mut pane, &mut h, KeyCode::Enter);
    let msgs = run(&mut h).await;
    let [Msg::SnapshotStarted { req, .. }] = msgs.as_slice() else {
        panic!("one snapshot was started");
    };
    assert_eq!(
        *req,
        SnapshotCreate {
            env: "production".into(),
            message: None,
        }
    );
    // esc cancels the line and sends nothing.
    act(&mut pane, &mut h, Action::SnapshotCreate);
    press(&mut pane, &mut h, KeyCode::Esc);
    assert!(pane.picker.is_none() && run(&mut h).await.is_empty());
}

#[tokio::test]
async fn opening_on_an_environment_scopes_the_list_and_jobs_reload_it() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.on_open(Nav::Env("staging".into()), &mut h.cx());
    assert_eq!(pane.env.as_deref(), Some("staging"));
    assert!(
        pane.loading && !pane.loaded,
        "the other environments' rows are gone"
    );
    // The service answers (today: an error, shown as the first load's failure).
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
    assert!(!pane.loading);
    pane.on_command("all", "", &mut h.cx());
    assert_eq!(pane.env, None);
    h.effects.clear();
    pane.listed(sample());
    pane.on_event(
        &testing::event(
            "job-9",
            EventBody::Finished {
                state: JobState::Succeeded,
                result: None,
                error: None,
            },
        ),
        &mut h.cx(),
    );
    assert!(pane.loading && spawned(&h.effects) == 1);
    pane.on_open(Nav::Env("all".into()), &mut h.cx());
    assert_eq!(pane.env, None, ":snap all lists every environment");
}

#[tokio::test]
async fn the_filter_matches_every_column() {
    let mut pane = listed();
    pane.set_filter(Filter::parse("carol"));
    assert_eq!(pane.visible, [2]);
    pane.set_filter(Filter::parse("backup"));
    assert_eq!(pane.visible, [0, 3]);
    pane.set_filter(Filter::parse("!production"));
    assert_eq!(pane.visible, [2, 3]);
}
