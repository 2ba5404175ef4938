//! The pane's flows against the service: what is loaded and narrowed, which actions a
//! state offers, the questions asked before acting and the requests sent after, the
//! detail's diffs, and reloads on job events.

use super::*;
use crate::domain::job::JobState;
use crate::service::{DeploymentDecided, DeploymentStarted, OpsError, WorkflowRef};
use crate::tui::pane::{Confirm, Effect};
use crate::tui::testing::Harness;
use decide::Verb;

fn act(pane: &mut DeploymentsPane, h: &mut Harness, action: Action) {
    pane.on_action(action, &mut h.cx());
}

fn spawned(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Spawn(_)))
        .count()
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

/// Runs the spawned work against the harness's service and returns the messages.
async fn run(h: &mut Harness) -> Vec<Msg> {
    h.run_spawned()
        .await
        .into_iter()
        .filter_map(|m| m.downcast::<Msg>().ok().map(|m| *m))
        .collect()
}

/// The confirmation asked last.
fn asked(h: &mut Harness) -> Confirm {
    let at = h
        .effects
        .iter()
        .rposition(|e| matches!(e, Effect::Confirm(_)))
        .expect("a question was asked");
    match h.effects.remove(at) {
        Effect::Confirm(c) => c,
        _ => unreachable!(),
    }
}

/// The request a confirmation's yes sends.
fn request_of(confirm: Confirm) -> Request {
    match *confirm
        .payload
        .downcast::<Msg>()
        .expect("the pane's message")
    {
        Msg::Confirmed(request) => request,
        _ => panic!("a confirmed request"),
    }
}

/// The queries of the list loads among `msgs`.
fn queries(msgs: &[Msg]) -> Vec<DeploymentQuery> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Listed { query, .. } => Some(query.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn opening_lists_and_commands_narrow_what_the_service_lists() {
    let mut h = Harness::new().await;
    let mut pane = DeploymentsPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    let sent = queries(&run(&mut h).await);
    assert_eq!(
        sent,
        [DeploymentQuery {
            limit: Some(LIMIT),
            ..DeploymentQuery::default()
        }]
    );

    pane.on_command("state", " Pending-Approval ", &mut h.cx());
    pane.on_command("environment", "production", &mut h.cx());
    pane.on_command("by", "alice", &mut h.cx());
    let sent = queries(&run(&mut h).await);
    let last = sent.last().expect("each command reloads");
    assert_eq!(sent.len(), 3);
    assert_eq!(last.state, Some(DeploymentState::PendingApproval));
    assert_eq!(last.env.as_deref(), Some("production"));
    assert_eq!(last.requested_by.as_deref(), Some("alice"));

    // Alone, a command clears its own narrowing.
    pane.on_command("environment", "staging", &mut h.cx());
    pane.on_command("state", "", &mut h.cx());
    let last = queries(&run(&mut h).await).pop().unwrap();
    assert_eq!(last.env.as_deref(), Some("staging"));
    assert_eq!(last.state, None);

    pane.on_command("state", "exploded", &mut h.cx());
    assert_eq!(spawned(&h.effects), 0, "an unknown state asks nothing");
    let said = flashes(&h.effects);
    assert!(
        said[0].contains("no deployment state 'exploded'"),
        "{said:?}"
    );
    assert!(said[0].contains("pending_approval"), "{said:?}");
    h.effects.clear();

    pane.on_command("all", "", &mut h.cx());
    let last = queries(&run(&mut h).await).pop().unwrap();
    assert_eq!(
        last,
        DeploymentQuery {
            limit: Some(LIMIT),
            ..DeploymentQuery::default()
        }
    );
}

#[tokio::test]
async fn answers_to_older_loads_are_dropped_and_the_cursor_stays_put() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.cursor.selected = 2;
    act(&mut pane, &mut h, Action::Refresh);
    act(&mut pane, &mut h, Action::Refresh);
    let stale: PaneMsg = Box::new(Msg::Listed {
        generation: pane.generation - 1,
        query: DeploymentQuery::default(),
        result: Ok(Vec::new()),
    });
    pane.on_msg(stale, &mut h.cx());
    assert_eq!(pane.deployments.len(), 6, "the older answer is dropped");
    let mut fresh = sample();
    fresh.insert(
        0,
        deployment(
            "dep-0007",
            DeploymentState::Approved,
            ("development", "staging"),
            "erin",
            1,
        ),
    );
    let answer: PaneMsg = Box::new(Msg::Listed {
        generation: pane.generation,
        query: DeploymentQuery::default(),
        result: Ok(fresh),
    });
    pane.on_msg(answer, &mut h.cx());
    assert_eq!(pane.selected().map(|d| d.id.as_str()), Some("dep-0004"));
    // A failed refresh keeps what is shown and says so.
    let failed: PaneMsg = Box::new(Msg::Listed {
        generation: pane.generation,
        query: DeploymentQuery::default(),
        result: Err(OpsError::internal("the store is gone")),
    });
    pane.on_msg(failed, &mut h.cx());
    assert_eq!(pane.deployments.len(), 7);
    assert!(flashes(&h.effects)[0].contains("deployments not refreshed: the store is gone"));
}

#[test]
fn the_filter_matches_every_column() {
    let mut pane = listed();
    let shown = |pane: &DeploymentsPane| -> Vec<String> {
        pane.visible
            .iter()
            .map(|&i| pane.deployments[i].id.clone())
            .collect()
    };
    pane.set_filter(Filter::parse("dave"));
    assert_eq!(shown(&pane), ["dep-0002"]);
    pane.set_filter(Filter::parse("rollback_failed"));
    assert_eq!(shown(&pane), ["dep-0002"]);
    pane.set_filter(Filter::parse("development -> staging"));
    assert_eq!(shown(&pane), ["dep-0005", "dep-0003", "dep-0001"]);
    pane.set_filter(Filter::parse("400 bad request"));
    assert_eq!(shown(&pane), ["dep-0003"]);
    pane.set_filter(Filter::parse("approvals 1/2"));
    assert_eq!(shown(&pane), ["dep-0006"]);
    pane.set_filter(Filter::parse("!release"));
    assert_eq!(shown(&pane), ["dep-0004"], "the one without a pipeline");
}

#[test]
fn only_what_the_state_allows_is_offered() {
    let mut pane = listed();
    let offered = |pane: &DeploymentsPane| -> Vec<Action> {
        pane.actions()
            .into_iter()
            .filter(|a| a.is_mutating())
            .collect()
    };
    let at = |pane: &mut DeploymentsPane, id: &str| {
        pane.cursor.selected = pane
            .visible
            .iter()
            .position(|&i| pane.deployments[i].id == id)
            .unwrap();
    };
    at(&mut pane, "dep-0006");
    assert_eq!(
        offered(&pane),
        [
            Action::Approve,
            Action::Reject,
            Action::CancelDeployment,
            Action::Replan
        ]
    );
    at(&mut pane, "dep-0005");
    assert!(offered(&pane).is_empty(), "a running one: nothing");
    at(&mut pane, "dep-0004");
    assert_eq!(offered(&pane), [Action::Rollback]);
    for id in ["dep-0003", "dep-0002", "dep-0001"] {
        at(&mut pane, id);
        assert!(offered(&pane).is_empty(), "{id}");
    }
    let approved = deployment("x", DeploymentState::Approved, ("a", "b"), "z", 1);
    assert_eq!(
        decide::allowed(approved.state),
        [Action::CancelDeployment, Action::Replan]
    );
    assert_eq!(
        decide::allowed(DeploymentState::Pending),
        [Action::CancelDeployment, Action::Replan]
    );
}

#[tokio::test]
async fn approving_asks_then_sends_the_decision_and_watches_the_run() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    // One of two approvals so far: yours is the second, so it runs at once, in
    // production: the name is typed.
    act(&mut pane, &mut h, Action::Approve);
    assert_eq!(spawned(&h.effects), 0, "nothing is sent before the answer");
    let confirm = asked(&mut h);
    assert_eq!(confirm.title, "Approve deployment dep-0006");
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("production"));
    assert!(
        confirm
            .message
            .contains("Approve promoting staging -> production (1 to create, 2 to update)"),
        "{}",
        confirm.message
    );
    assert!(
        confirm
            .message
            .contains("it runs at once, writing to production")
    );

    let request = request_of(confirm);
    assert_eq!(
        (request.verb, request.id.as_str()),
        (Verb::Approve, "dep-0006")
    );
    pane.on_msg(Box::new(Msg::Confirmed(request.clone())), &mut h.cx());
    let msgs = run(&mut h).await;
    let [Msg::Done { request: sent, .. }] = msgs.as_slice() else {
        panic!("one decision was sent");
    };
    assert_eq!(*sent, request);

    // It started the run: said, watched, and the pane reloads.
    let mut approved = sample().remove(0);
    approved.state = DeploymentState::Running;
    let done: PaneMsg = Box::new(Msg::Done {
        request: request.clone(),
        outcome: Box::new(Outcome::Decided(Ok(DeploymentDecided {
            deployment: approved,
            job_id: Some("job-77".into()),
        }))),
    });
    pane.on_msg(done, &mut h.cx());
    assert_eq!(
        flashes(&h.effects),
        ["approved deployment dep-0006: promoting staging -> production as job job-77"]
    );
    assert_eq!(spawned(&h.effects), 1, "the list reloads");
    h.effects.clear();
    // That job's end reloads again, though no listed deployment names it yet.
    let end = testing::event(
        "job-77",
        EventBody::Finished {
            state: JobState::Succeeded,
            result: None,
            error: None,
        },
    );
    pane.on_event(&end, &mut h.cx());
    assert_eq!(spawned(&h.effects), 1);
}

#[tokio::test]
async fn an_approval_that_does_not_complete_the_rule_asks_yes_or_no() {
    let mut h = Harness::new().await;
    let mut d = sample().remove(0);
    d.approvals.counted.clear();
    let mut pane = DeploymentsPane::new();
    pane.envs = testing::envs();
    pane.listed(vec![d]);
    act(&mut pane, &mut h, Action::Approve);
    let confirm = asked(&mut h);
    assert_eq!(confirm.type_to_confirm, None);
    assert!(
        confirm.message.contains("1 of 2 approvals with yours."),
        "{}",
        confirm.message
    );
    // "No" drops the payload: nothing is ever sent.
    drop(confirm);
    assert!(run(&mut h).await.is_empty());
}

#[tokio::test]
async fn rolling_back_production_asks_for_its_name_and_elsewhere_yes_or_no() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.cursor.selected = 2; // dep-0004, COMPLETED into production
    act(&mut pane, &mut h, Action::Rollback);
    let confirm = asked(&mut h);
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("production"));
    assert!(
        confirm
            .message
            .contains("back as snapshot production/20261122-102600 holds them"),
        "{}",
        confirm.message
    );
    let request = request_of(confirm);
    assert_eq!(request.verb, Verb::Rollback);

    let mut staging = sample().remove(2);
    staging.target_env = "staging".into();
    let mut pane = DeploymentsPane::new();
    pane.envs = testing::envs();
    pane.listed(vec![staging]);
    act(&mut pane, &mut h, Action::Rollback);
    assert_eq!(asked(&mut h).type_to_confirm, None);

    // Started: the new deployment and its job are named, and the job is watched.
    let done: PaneMsg = Box::new(Msg::Done {
        request,
        outcome: Box::new(Outcome::RolledBack(Ok(DeploymentStarted {
            deployment_id: "dep-0008".into(),
            job_id: "job-rb".into(),
        }))),
    });
    pane.on_msg(done, &mut h.cx());
    assert!(flashes(&h.effects)[0].contains(
        "rolling back deployment dep-0004 (staging -> production): deployment dep-0008, job job-rb"
    ));
    assert!(pane.jobs.on_event(
        &testing::event(
            "job-rb",
            EventBody::Finished {
                state: JobState::Succeeded,
                result: None,
                error: None
            }
        ),
        |_| false
    ));
}

#[tokio::test]
async fn cancel_and_reject_ask_and_failures_name_the_deployment() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::CancelDeployment);
    let confirm = asked(&mut h);
    assert_eq!(confirm.title, "Cancel deployment dep-0006");
    assert!(confirm.message.contains("Nothing was written"));
    assert_eq!(request_of(confirm).verb, Verb::Cancel);
    act(&mut pane, &mut h, Action::Reject);
    let confirm = asked(&mut h);
    assert_eq!(confirm.type_to_confirm, None);
    let request = request_of(confirm);
    assert_eq!(request.verb, Verb::Reject);
    let done: PaneMsg = Box::new(Msg::Done {
        request,
        outcome: Box::new(Outcome::Decided(Err(OpsError::new(
            crate::service::ErrorKind::Forbidden,
            "alice requested deployment dep-0006 and cannot decide it",
        )))),
    });
    pane.on_msg(done, &mut h.cx());
    assert_eq!(
        flashes(&h.effects),
        [
            "could not reject deployment dep-0006 (staging -> production): alice requested deployment dep-0006 and cannot decide it"
        ]
    );
}

#[tokio::test]
async fn replan_asks_only_when_approvals_would_be_lost() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Replan);
    let confirm = asked(&mut h);
    assert!(
        confirm
            .message
            .contains("The 1 approval given so far no longer counts."),
        "{}",
        confirm.message
    );
    let mut d = sample().remove(0);
    d.approvals.counted.clear();
    let mut pane = DeploymentsPane::new();
    pane.listed(vec![d]);
    h.effects.clear();
    act(&mut pane, &mut h, Action::Replan);
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    let msgs = run(&mut h).await;
    let [Msg::Done { request, .. }] = msgs.as_slice() else {
        panic!("sent at once");
    };
    assert_eq!(request.verb, Verb::Replan);
}

#[tokio::test]
async fn readonly_refuses_actions_and_confirmed_requests() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.on_action(Action::Approve, &mut Cx::new(&h.ops, true, &mut h.effects));
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    let request = Request {
        verb: Verb::Cancel,
        id: "dep-0006".into(),
        route: "staging -> production".into(),
    };
    pane.on_msg(
        Box::new(Msg::Confirmed(request)),
        &mut Cx::new(&h.ops, true, &mut h.effects),
    );
    assert_eq!(spawned(&h.effects), 0);
    assert!(flashes(&h.effects).iter().all(|m| m.contains("read-only")));
}

#[tokio::test]
async fn enter_opens_the_detail_and_a_workflow_opens_its_diff() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Enter);
    let msgs = run(&mut h).await;
    let [Msg::Detail { generation, .. }] = msgs.as_slice() else {
        panic!("the detail was asked for");
    };
    let view = pane.detail.as_ref().expect("the detail opened");
    assert_eq!(
        (view.id.as_str(), view.generation),
        ("dep-0006", *generation)
    );
    // An answer to an older load is dropped.
    let stale: PaneMsg = Box::new(Msg::Detail {
        generation: generation - 1,
        result: Ok(Box::new(failed_detail())),
    });
    pane.on_msg(stale, &mut h.cx());
    assert!(pane.detail.as_ref().unwrap().ready().is_none());
    let answer: PaneMsg = Box::new(Msg::Detail {
        generation: *generation,
        result: Ok(Box::new(pending_detail())),
    });
    pane.on_msg(answer, &mut h.cx());
    // Its actions are the deployment's; the cursor is over its workflows.
    assert!(pane.actions().contains(&Action::Approve));
    act(&mut pane, &mut h, Action::Bottom);
    act(&mut pane, &mut h, Action::Enter);
    let opened = h.effects.iter().find_map(|e| match e {
        Effect::Open(kind, nav) => Some((*kind, nav.clone())),
        _ => None,
    });
    assert_eq!(
        opened,
        Some((
            PaneKind::Diff,
            Nav::Diff {
                a: Some(WorkflowRef {
                    env: "staging".into(),
                    id: "12".into()
                }),
                b: Some(WorkflowRef {
                    env: "production".into(),
                    id: "21".into()
                }),
            }
        ))
    );
    // A created workflow has only its source side.
    h.effects.clear();
    act(&mut pane, &mut h, Action::Up);
    act(&mut pane, &mut h, Action::Enter);
    assert!(h.effects.iter().any(|e| matches!(
        e,
        Effect::Open(
            PaneKind::Diff,
            Nav::Diff {
                a: Some(_),
                b: None
            }
        )
    )));
    assert!(pane.back() && !pane.back());
}

#[tokio::test]
async fn a_workflow_in_neither_environment_points_to_its_stored_diff() {
    let mut h = Harness::new().await;
    let mut pane = opened(failed_detail());
    pane.detail.as_mut().unwrap().cursor.selected = 2;
    act(&mut pane, &mut h, Action::Enter);
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Open(..))));
    assert!(
        flashes(&h.effects)[0].contains("'Gone workflow' is in neither environment now"),
        "{:?}",
        flashes(&h.effects)
    );
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("not in development · not in staging"),
        "{screen}"
    );
    assert!(screen.contains("applied: 1 node · HIGH"), "{screen}");
}

#[tokio::test]
async fn opening_on_a_deployment_shows_its_detail() {
    let mut h = Harness::new().await;
    let mut pane = DeploymentsPane::new();
    pane.on_open(Nav::Deployment("dep-0042".into()), &mut h.cx());
    assert_eq!(
        pane.detail.as_ref().map(|v| v.id.as_str()),
        Some("dep-0042")
    );
    let msgs = run(&mut h).await;
    assert!(msgs.iter().any(|m| matches!(m, Msg::Detail { .. })));
    assert_eq!(queries(&msgs).len(), 1, "the list loads too");
}

#[tokio::test]
async fn a_deployments_job_ending_reloads_and_others_do_not() {
    let mut h = Harness::new().await;
    let mut pane = listed();
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
    pane.on_event(&finished("job-sync"), &mut h.cx());
    assert_eq!(spawned(&h.effects), 0, "a sync is not a deployment's");
    pane.on_event(&finished("job-run"), &mut h.cx());
    assert_eq!(spawned(&h.effects), 1, "dep-0005's job ended");
    h.effects.clear();
    // A promotion started elsewhere (the wizard) is watched from its start.
    let started = testing::event(
        "job-new",
        EventBody::Started {
            kind: "promotion".into(),
            title: "promote staging -> production".into(),
        },
    );
    pane.on_event(&started, &mut h.cx());
    assert_eq!(spawned(&h.effects), 0);
    pane.on_event(&finished("job-new"), &mut h.cx());
    assert_eq!(spawned(&h.effects), 1);
}

#[tokio::test]
async fn a_running_deployment_opened_reads_its_job_once() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.detail = Some(DetailView::new("dep-0005".into()));
    pane.load_detail(&mut h.cx());
    h.effects.clear();
    let generation = pane.detail.as_ref().unwrap().generation;
    let answer: PaneMsg = Box::new(Msg::Detail {
        generation,
        result: Ok(Box::new(detail_of(sample().remove(1), Vec::new()))),
    });
    pane.on_msg(answer, &mut h.cx());
    let msgs = run(&mut h).await;
    let [Msg::JobRead { job_id, .. }] = msgs.as_slice() else {
        panic!("the job was read");
    };
    assert_eq!(job_id, "job-run");
    // Once events told where it is, a reload does not read it again.
    progress(
        &mut pane,
        "job-run",
        EventBody::Progress {
            phase: "writing".into(),
            done: 1,
            total: 3,
        },
    );
    pane.load_detail(&mut h.cx());
    h.effects.clear();
    let generation = pane.detail.as_ref().unwrap().generation;
    let answer: PaneMsg = Box::new(Msg::Detail {
        generation,
        result: Ok(Box::new(detail_of(sample().remove(1), Vec::new()))),
    });
    pane.on_msg(answer, &mut h.cx());
    assert_eq!(spawned(&h.effects), 0);
}
