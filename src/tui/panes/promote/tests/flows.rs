//! The wizard's flows: where opening it goes, steps forward and back with every choice
//! kept, each choice reaching the request the service gets (read from the spawned
//! work, run against the harness's service), the question (by name on production),
//! read-only, stale answers dropped, and the run from promote to result.

use super::*;
use crate::domain::job::JobState;
use crate::service::{OpsError, PromotionReport};
use crate::tui::pane::Effect;
use crate::tui::testing::Harness;
use crossterm::event::{KeyCode, KeyModifiers};

fn act(pane: &mut PromotePane, h: &mut Harness, action: Action) {
    pane.on_action(action, &mut h.cx());
}

fn press(pane: &mut PromotePane, h: &mut Harness, code: KeyCode) {
    pane.on_key(KeyEvent::new(code, KeyModifiers::NONE), &mut h.cx());
}

fn type_text(pane: &mut PromotePane, h: &mut Harness, text: &str) {
    for c in text.chars() {
        press(pane, h, KeyCode::Char(c));
    }
}

fn send(pane: &mut PromotePane, h: &mut Harness, msg: Msg) {
    pane.on_msg(Box::new(msg), &mut h.cx());
}

/// Runs the spawned work against the harness's (empty) service: the messages carry
/// the requests the pane sent.
async fn run(h: &mut Harness) -> Vec<Msg> {
    h.run_spawned()
        .await
        .into_iter()
        .filter_map(|m| m.downcast::<Msg>().ok().map(|m| *m))
        .collect()
}

/// The preflight requests among `msgs`, by slot.
fn preflights(msgs: &[Msg], want: Slot) -> Vec<PromoteRequest> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Preflight { slot, req, .. } if *slot == want => Some(req.clone()),
            _ => None,
        })
        .collect()
}

/// The one preflight of `want` the pane asked for.
async fn asked(h: &mut Harness, want: Slot) -> PromoteRequest {
    let msgs = run(h).await;
    let reqs = preflights(&msgs, want);
    assert_eq!(reqs.len(), 1, "one preflight of {want:?} was asked for");
    reqs[0].clone()
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

fn answer_stages(pane: &mut PromotePane, h: &mut Harness) {
    let generation = pane.generation;
    send(
        pane,
        h,
        Msg::Stages {
            generation,
            pipelines: Ok(vec![release()]),
            envs: Ok(testing::envs()),
        },
    );
}

fn answer(pane: &mut PromotePane, h: &mut Harness, slot: Slot, result: OpsResult<Preflight>) {
    let generation = pane.generation;
    let req = match slot {
        Slot::Candidates => pane.choices.candidates_request(),
        Slot::Chosen => pane.choices.request(),
    }
    .unwrap();
    send(
        pane,
        h,
        Msg::Preflight {
            slot,
            generation,
            req,
            result,
        },
    );
}

#[tokio::test]
async fn opened_with_both_ends_it_skips_the_stage_and_marks_what_it_was_given() {
    let mut h = Harness::new().await;
    let mut pane = PromotePane::new();
    pane.on_open(
        Nav::Promote {
            from: Some("staging".into()),
            to: Some("production".into()),
            workflows: vec![
                "billing-export".into(),
                "Order sync".into(),
                "Daily report".into(),
            ],
            incident: None,
        },
        &mut h.cx(),
    );
    h.effects.clear();
    answer_stages(&mut pane, &mut h);
    assert_eq!(
        pane.step,
        Step::Workflows,
        "both ends given: the stage is chosen"
    );
    assert_eq!(
        pane.choices.route,
        Some(route()),
        "the pipeline's stage wins over the plain pair"
    );
    let req = asked(&mut h, Slot::Candidates).await;
    assert_eq!(
        req,
        PromoteRequest {
            pipeline: Some("release".into()),
            from: "staging".into(),
            to: "production".into(),
            ..PromoteRequest::default()
        },
        "everything that differs is asked for"
    );
    answer(&mut pane, &mut h, Slot::Candidates, Ok(candidates()));
    let marks: Vec<&str> = pane.choices.marks.iter().map(String::as_str).collect();
    assert_eq!(
        marks,
        ["Order sync", "billing-export"],
        "by canonical id, else name"
    );
    assert_eq!(pane.unmatched, ["Daily report"]);
}

#[tokio::test]
async fn opened_on_a_source_it_preselects_its_first_stage_and_waits() {
    let mut h = Harness::new().await;
    let mut pane = PromotePane::new();
    pane.on_open(Nav::Env("staging".into()), &mut h.cx());
    h.effects.clear();
    answer_stages(&mut pane, &mut h);
    assert_eq!(pane.step, Step::Stage);
    let rows = pane.stages.ready().unwrap();
    assert_eq!(rows[pane.stage_cursor.selected].route, route());
    assert!(
        run(&mut h).await.is_empty(),
        "nothing is asked before a choice"
    );
    // An unknown source says so and leaves the list to choose from.
    pane.on_open(Nav::Env("qa".into()), &mut h.cx());
    h.effects.clear();
    answer_stages(&mut pane, &mut h);
    assert_eq!(pane.step, Step::Stage);
    assert_eq!(flashes(&h.effects), ["No stage from qa: choose one here."]);
}

#[tokio::test]
async fn esc_steps_back_keeping_every_choice() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Workflows);
    pane.choices.marks.insert("billing-export".into());
    pane.choices.overrides.insert("error-alerts".into());
    act(&mut pane, &mut h, Action::Promote);
    assert_eq!(pane.step, Step::Review);
    h.effects.clear();
    for (step, back_to) in [
        (Step::Credentials, Step::Review),
        (Step::Gates, Step::Credentials),
        (Step::Confirm, Step::Gates),
    ] {
        pane.step = step;
        assert!(pane.back());
        assert_eq!(pane.step, back_to);
    }
    pane.step = Step::Review;
    assert!(pane.back());
    assert_eq!(pane.step, Step::Workflows);
    assert!(pane.back());
    assert_eq!(pane.step, Step::Stage);
    assert!(!pane.back(), "the first step leaves the pane");
    // The same stage again: the choices are still there.
    act(&mut pane, &mut h, Action::Enter);
    assert_eq!(pane.step, Step::Workflows);
    assert!(pane.choices.marks.contains("billing-export"));
    assert!(pane.choices.overrides.contains("error-alerts"));
    assert!(
        pane.candidates.ready().is_some(),
        "the list stays while it is rechecked"
    );
    // Another stage forgets them.
    assert!(pane.back());
    act(&mut pane, &mut h, Action::Top);
    act(&mut pane, &mut h, Action::Enter);
    assert!(pane.choices.marks.is_empty() && pane.choices.overrides.is_empty());
    assert!(pane.candidates.ready().is_none());
}

#[tokio::test]
async fn marks_and_overrides_go_into_the_review_request() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Workflows);
    pane.chosen.clear();
    pane.chosen_req = None;
    // Billing export (row 0) marked; the hotfix (row 1) overridden, so marked too.
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Edit);
    assert!(
        flashes(&h.effects)[0]
            .contains("Override recorded: 'Error alerts' overwrites the hotfix in production"),
        "{:?}",
        flashes(&h.effects)
    );
    // `e` on a row without a hotfix changes nothing.
    act(&mut pane, &mut h, Action::Down);
    h.effects.clear();
    act(&mut pane, &mut h, Action::Edit);
    assert!(flashes(&h.effects)[0].contains("only a TARGET_HOTFIX workflow needs an override"));
    assert_eq!(pane.choices.overrides.len(), 1);
    h.effects.clear();
    act(&mut pane, &mut h, Action::Promote);
    assert_eq!(pane.step, Step::Review);
    let req = asked(&mut h, Slot::Chosen).await;
    assert_eq!(req.workflows, ["billing-export", "error-alerts"]);
    assert_eq!(req.hotfix_overrides, ["error-alerts"]);
    assert_eq!(req.pipeline.as_deref(), Some("release"));

    // ctrl-a marks all, twice unmarks all; none marked asks for everything.
    pane.step = Step::Workflows;
    act(&mut pane, &mut h, Action::MarkAll);
    assert_eq!(pane.choices.marks.len(), 5);
    act(&mut pane, &mut h, Action::MarkAll);
    assert!(pane.choices.marks.is_empty());
    act(&mut pane, &mut h, Action::Promote);
    let req = asked(&mut h, Slot::Chosen).await;
    assert!(
        req.workflows.is_empty(),
        "none marked: everything that differs"
    );
    assert_eq!(req.hotfix_overrides, ["error-alerts"]);
}

#[tokio::test]
async fn the_review_is_not_asked_again_for_the_same_choices() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Workflows);
    act(&mut pane, &mut h, Action::Promote);
    assert_eq!(pane.step, Step::Review);
    assert!(
        run(&mut h).await.is_empty(),
        "already answered for these choices"
    );
    assert!(pane.back());
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Promote);
    assert!(
        pane.chosen.ready().is_none(),
        "other workflows: the old review is not shown meanwhile"
    );
    assert_eq!(
        asked(&mut h, Slot::Chosen).await.workflows,
        ["billing-export"]
    );
}

#[tokio::test]
async fn a_credential_mapping_edited_in_place_goes_into_the_request() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Credentials);
    // Rows: Billing export's postgres and slack, then Order sync's missing OpenAI.
    act(&mut pane, &mut h, Action::Bottom);
    act(&mut pane, &mut h, Action::Edit);
    assert!(pane.captures_input());
    assert!(pane.actions().is_empty(), "keys go to the line");
    let edit = pane.edit.as_ref().unwrap();
    assert_eq!(edit.key, "openAiApi:OpenAI");
    assert_eq!(
        edit.input.text(),
        "OpenAI",
        "it starts from what is looked for"
    );
    // esc leaves everything as it was.
    press(&mut pane, &mut h, KeyCode::Esc);
    assert!(!pane.captures_input() && pane.choices.credentials.is_empty());
    assert!(run(&mut h).await.is_empty());

    act(&mut pane, &mut h, Action::Edit);
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    pane.on_key(ctrl_u, &mut h.cx());
    type_text(&mut pane, &mut h, "Prod OpenAI");
    press(&mut pane, &mut h, KeyCode::Enter);
    assert!(!pane.captures_input());
    let req = asked(&mut h, Slot::Chosen).await;
    assert_eq!(
        req.credentials,
        BTreeMap::from([("openAiApi:OpenAI".to_owned(), "Prod OpenAI".to_owned())])
    );
    assert!(
        pane.chosen.ready().is_some(),
        "the last answer stays while rechecking"
    );
    // The same name again asks nothing; an empty line drops the mapping.
    act(&mut pane, &mut h, Action::Edit);
    assert_eq!(pane.edit.as_ref().unwrap().input.text(), "Prod OpenAI");
    press(&mut pane, &mut h, KeyCode::Enter);
    assert!(run(&mut h).await.is_empty());
    act(&mut pane, &mut h, Action::Edit);
    pane.on_key(ctrl_u, &mut h.cx());
    press(&mut pane, &mut h, KeyCode::Enter);
    assert!(asked(&mut h, Slot::Chosen).await.credentials.is_empty());
}

#[tokio::test]
async fn acknowledged_drift_goes_into_the_request() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Gates);
    // The rows are what the promotion overwrites: Billing export and Order sync.
    let names: Vec<String> = checks::ack_rows(pane.chosen.ready().unwrap())
        .iter()
        .map(|i| i.name.clone())
        .collect();
    assert_eq!(names, ["Billing export", "Order sync"]);
    act(&mut pane, &mut h, Action::Mark);
    let req = asked(&mut h, Slot::Chosen).await;
    assert_eq!(req.acknowledged_drift, ["billing-export"]);
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Mark);
    let req = asked(&mut h, Slot::Chosen).await;
    assert_eq!(req.acknowledged_drift, ["Order sync", "billing-export"]);
    act(&mut pane, &mut h, Action::Mark);
    let req = asked(&mut h, Slot::Chosen).await;
    assert_eq!(
        req.acknowledged_drift,
        ["billing-export"],
        "space again withdraws it"
    );
}

#[tokio::test]
async fn stale_preflights_are_dropped() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Workflows);
    pane.candidates.clear();
    act(&mut pane, &mut h, Action::Refresh);
    let first = pane.generation;
    act(&mut pane, &mut h, Action::Refresh);
    let second = pane.generation;
    let req = pane.choices.candidates_request().unwrap();
    let mut older = candidates();
    older.plan.items.truncate(1);
    send(
        &mut pane,
        &mut h,
        Msg::Preflight {
            slot: Slot::Candidates,
            generation: first,
            req: req.clone(),
            result: Ok(older),
        },
    );
    assert!(
        pane.candidates.ready().is_none(),
        "the older answer is dropped"
    );
    assert!(pane.candidates.loading);
    send(
        &mut pane,
        &mut h,
        Msg::Preflight {
            slot: Slot::Candidates,
            generation: second,
            req,
            result: Ok(candidates()),
        },
    );
    assert_eq!(pane.candidates.ready().unwrap().plan.items.len(), 5);
    assert_eq!(pane.visible.len(), 5);

    // A review answer overtaken by an edit is dropped too, even an error.
    pane.step = Step::Gates;
    act(&mut pane, &mut h, Action::Mark);
    let before_ack = pane.generation;
    act(&mut pane, &mut h, Action::Mark);
    send(
        &mut pane,
        &mut h,
        Msg::Preflight {
            slot: Slot::Chosen,
            generation: before_ack,
            req: PromoteRequest::default(),
            result: Err(OpsError::invalid("late")),
        },
    );
    assert!(pane.chosen.error.is_none() && pane.chosen.loading);
    // The answer of another slot's generation is not taken either.
    let latest = pane.generation;
    send(
        &mut pane,
        &mut h,
        Msg::Preflight {
            slot: Slot::Candidates,
            generation: latest,
            req: PromoteRequest::default(),
            result: Ok(preflight(Vec::new())),
        },
    );
    assert_eq!(pane.candidates.ready().unwrap().plan.items.len(), 5);
}

#[tokio::test]
async fn errors_show_inline() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Review);
    pane.chosen.clear();
    act(&mut pane, &mut h, Action::Refresh);
    answer(
        &mut pane,
        &mut h,
        Slot::Chosen,
        Err(OpsError::invalid("no environment 'production'")),
    );
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("The preflight failed: no environment 'production'"),
        "{screen}"
    );
    // Moving on needs an answer.
    h.effects.clear();
    act(&mut pane, &mut h, Action::Promote);
    assert_eq!(pane.step, Step::Review);
    assert_eq!(flashes(&h.effects), ["The preflight has not answered yet."]);
}

/// From the confirm step to the question; returns it.
fn question(pane: &mut PromotePane, h: &mut Harness) -> crate::tui::pane::Confirm {
    h.effects.clear();
    act(pane, h, Action::Promote);
    let confirm = match h.effects.pop() {
        Some(Effect::Confirm(confirm)) => confirm,
        _ => panic!("the promotion asks first: {:?}", flashes(&h.effects)),
    };
    assert!(h.effects.is_empty(), "nothing was sent before the answer");
    confirm
}

#[tokio::test]
async fn production_asks_for_its_name_and_a_yes_promotes_exactly_what_was_reviewed() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    let confirm = question(&mut pane, &mut h);
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("production"));
    assert_eq!(confirm.title, "Promote 3 workflow(s) to production?");
    assert!(
        confirm.message.contains("2 approval(s)"),
        "{}",
        confirm.message
    );
    assert!(
        confirm.message.contains("snapshotted first"),
        "{}",
        confirm.message
    );
    let expected = DeploymentCreate {
        request: pane.choices.request().unwrap(),
        scheduled_for: None,
        note: None,
        reviewed_hash: pane.chosen.ready().map(|p| p.plan.hash.clone()),
        incident: None,
    };
    pane.on_msg(confirm.payload, &mut h.cx());
    assert!(pane.run.is_some());
    let msgs = run(&mut h).await;
    assert_eq!(msgs.len(), 1, "one promote call");
    assert!(matches!(msgs[0], Msg::Promoted { .. }));
    // What was sent is what the review answered for.
    assert_eq!(Some(&expected.request), pane.chosen_req.as_ref());
    // A second yes while it runs promotes nothing more.
    pane.on_msg(
        Box::new(Msg::PromoteConfirmed { create: expected }),
        &mut h.cx(),
    );
    assert!(run(&mut h).await.is_empty());
}

/// The promotion a confirmation's yes asks for.
fn create_of(confirm: crate::tui::pane::Confirm) -> DeploymentCreate {
    match *confirm
        .payload
        .downcast::<Msg>()
        .expect("the wizard's message")
    {
        Msg::PromoteConfirmed { create } => create,
        _ => panic!("a confirmed promotion"),
    }
}

#[tokio::test]
async fn opened_from_an_incident_a_promotion_into_its_environment_names_it() {
    let mut h = Harness::new().await;
    let mut opened = PromotePane::new();
    opened.on_open(
        Nav::Promote {
            from: Some("staging".into()),
            to: Some("production".into()),
            workflows: vec!["Order sync".into()],
            incident: Some(12),
        },
        &mut h.cx(),
    );
    assert_eq!(
        opened.fixing,
        Some(Fixing {
            incident: 12,
            env: "production".into()
        })
    );
    let mut pane = at(Step::Confirm);
    pane.fixing = opened.fixing.clone();
    let screen = Fixture::default().render(&mut pane, WIDE);
    assert!(
        screen.contains("It fixes incident #12: the incident's timeline records the deployment."),
        "{screen}"
    );
    let confirm = question(&mut pane, &mut h);
    assert!(
        confirm.message.contains("It fixes incident #12"),
        "{}",
        confirm.message
    );
    let create = create_of(confirm);
    assert_eq!(create.incident, Some(12), "the service is told");
    assert_eq!(Some(&create.request), pane.chosen_req.as_ref());
    // Another target is no fix of it: the incident is not named.
    pane.choices.route = Some(Route {
        pipeline: Some("release".into()),
        from: "development".into(),
        to: "staging".into(),
    });
    pane.chosen_req = pane.choices.request();
    let confirm = question(&mut pane, &mut h);
    assert!(
        !confirm.message.contains("incident #12"),
        "{}",
        confirm.message
    );
    assert_eq!(create_of(confirm).incident, None);
    // Opened any other way, no incident.
    let mut other = PromotePane::new();
    other.on_open(Nav::Env("staging".into()), &mut h.cx());
    assert_eq!(other.fixing, None);
}

#[tokio::test]
async fn staging_needs_no_typed_name() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    pane.choices.route = Some(Route {
        pipeline: Some("release".into()),
        from: "development".into(),
        to: "staging".into(),
    });
    pane.chosen_req = pane.choices.request();
    let confirm = question(&mut pane, &mut h);
    assert_eq!(confirm.type_to_confirm, None);
    // An environment whose class is not known is treated as production.
    pane.envs.clear();
    let confirm = question(&mut pane, &mut h);
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("staging"));
}

#[tokio::test]
async fn read_only_previews_but_refuses_to_promote() {
    let h = Harness::new().await;
    let mut pane = at(Step::Workflows);
    let mut effects = Vec::new();
    let ops = h.ops.clone();
    let mut cx = Cx::new(&ops, true, &mut effects);
    // Every step can be walked.
    pane.on_action(Action::Promote, &mut cx);
    for _ in 0..3 {
        pane.on_action(Action::Promote, &mut cx);
    }
    assert_eq!(pane.step, Step::Confirm);
    pane.on_action(Action::Promote, &mut cx);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    assert_eq!(
        flashes(&effects),
        ["read-only: the wizard previews, nothing is promoted"]
    );
    // A yes that arrives anyway is refused.
    effects.clear();
    let create = DeploymentCreate {
        request: pane.choices.request().unwrap(),
        ..DeploymentCreate::default()
    };
    let mut cx = Cx::new(&ops, true, &mut effects);
    pane.on_msg(Box::new(Msg::PromoteConfirmed { create }), &mut cx);
    assert!(pane.run.is_none());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Spawn(_))));
    assert_eq!(flashes(&effects), ["read-only: nothing is promoted"]);
}

#[tokio::test]
async fn a_changed_choice_or_a_pending_recheck_blocks_the_question() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    pane.choices.acks.insert("billing-export".into());
    h.effects.clear();
    act(&mut pane, &mut h, Action::Promote);
    assert_eq!(
        flashes(&h.effects),
        ["The choices changed since the preflight: rechecking."]
    );
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    h.effects.clear();
    act(&mut pane, &mut h, Action::Promote);
    assert_eq!(
        flashes(&h.effects),
        ["The preflight is being rechecked: wait for it."]
    );
    // Nothing that writes: nothing to ask.
    let mut pane = at(Step::Confirm);
    let mut held = items();
    held.retain(|i| !i.action.writes());
    pane.chosen.set(preflight(held));
    h.effects.clear();
    act(&mut pane, &mut h, Action::Promote);
    assert!(flashes(&h.effects)[0].starts_with("Nothing to write to production"));
}

#[tokio::test]
async fn a_refused_promotion_stays_on_confirm_and_says_why() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    let confirm = question(&mut pane, &mut h);
    pane.on_msg(confirm.payload, &mut h.cx());
    h.effects.clear();
    let generation = pane.run.as_ref().unwrap().generation;
    send(
        &mut pane,
        &mut h,
        Msg::Promoted {
            run: generation,
            result: Err(OpsError::new(
                crate::service::ErrorKind::Conflict,
                "the drift gate fails: 'Billing export' is DRIFTED in production",
            )),
        },
    );
    assert_eq!(pane.step, Step::Confirm);
    assert!(pane.run.is_none());
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("The service refused the promotion: the drift gate fails"),
        "{screen}"
    );
    // It can be asked again.
    question(&mut pane, &mut h);
}

/// Confirmed and sent: returns the run's generation.
fn confirmed(pane: &mut PromotePane, h: &mut Harness) -> u64 {
    let confirm = question(pane, h);
    pane.on_msg(confirm.payload, &mut h.cx());
    h.effects.clear();
    pane.run.as_ref().unwrap().generation
}

#[tokio::test]
async fn the_job_is_followed_from_its_events_to_the_result() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    let generation = confirmed(&mut pane, &mut h);
    // Events before `promote` answers: kept, then replayed for the job.
    let early = testing::event(
        "job-42",
        EventBody::Progress {
            phase: "fetching".into(),
            done: 1,
            total: 2,
        },
    );
    pane.on_event(&early, &mut h.cx());
    pane.on_event(
        &testing::event(
            "job-other",
            EventBody::Log {
                level: LogLevel::Info,
                message: "another job".into(),
            },
        ),
        &mut h.cx(),
    );
    send(
        &mut pane,
        &mut h,
        Msg::Promoted {
            run: generation,
            result: Ok(created(DeploymentState::Running, Some("job-42"))),
        },
    );
    assert_eq!(pane.step, Step::Progress);
    assert!(!pane.back(), "while it runs, esc leaves the pane");
    let run_state = pane.run.as_ref().unwrap();
    assert_eq!(
        run_state.phases.len(),
        1,
        "the early event of the job, only"
    );
    assert!(run_state.log.is_empty());
    let msgs = run(&mut h).await;
    assert!(
        matches!(msgs.as_slice(), [Msg::Job { .. }]),
        "the job is read once from the store"
    );
    for body in [
        EventBody::Log {
            level: LogLevel::Info,
            message: "production: 'Billing export' written and verified".into(),
        },
        EventBody::Progress {
            phase: "writing".into(),
            done: 0,
            total: 3,
        },
        EventBody::Progress {
            phase: "Billing export".into(),
            done: 1,
            total: 3,
        },
    ] {
        pane.on_event(&testing::event("job-42", body), &mut h.cx());
    }
    let run_state = pane.run.as_ref().unwrap();
    assert!(run_state.written.contains("Billing export"));
    let writing = run_state
        .phases
        .iter()
        .find(|p| p.name == "writing")
        .unwrap();
    assert_eq!((writing.done, writing.total), (1, 3));
    assert_eq!(
        run_state.phases.len(),
        2,
        "a workflow's event is no phase of its own"
    );
    let report = PromotionReport {
        deployment_id: "dep-7".into(),
        state: DeploymentState::Completed,
        source_env: "staging".into(),
        target_env: "production".into(),
        snapshot: Some("production/20261122-115900".into()),
        commit: None,
        items: Vec::new(),
        rollback: None,
    };
    pane.on_event(
        &testing::event(
            "job-42",
            EventBody::Finished {
                state: JobState::Succeeded,
                result: Some(serde_json::to_value(&report).unwrap()),
                error: None,
            },
        ),
        &mut h.cx(),
    );
    let run_state = pane.run.as_ref().unwrap();
    assert_eq!(run_state.job_state, Some(JobState::Succeeded));
    assert_eq!(run_state.report.as_deref(), Some(&report));
    let msgs = run(&mut h).await;
    assert!(
        matches!(msgs.as_slice(), [Msg::Finished { .. }]),
        "the deployment is read when the job ends"
    );
    // An answer of an older run is dropped; this run's moves on to the result.
    send(
        &mut pane,
        &mut h,
        Msg::Finished {
            run: generation - 1,
            result: Ok(detail(DeploymentState::Completed)),
        },
    );
    assert_eq!(pane.step, Step::Progress);
    send(
        &mut pane,
        &mut h,
        Msg::Finished {
            run: generation,
            result: Ok(detail(DeploymentState::Completed)),
        },
    );
    assert_eq!(pane.step, Step::Result);
    act(&mut pane, &mut h, Action::Enter);
    assert!(matches!(
        h.effects.last(),
        Some(Effect::Open(PaneKind::Deployments, Nav::Deployment(id))) if id == "dep-7"
    ));
    // esc: a new promotion, the stage still selected.
    assert!(pane.back());
    assert_eq!(pane.step, Step::Stage);
    assert!(pane.run.is_none() && pane.choices.marks.is_empty());
    assert_eq!(pane.stage_cursor.selected, 1);
}

#[tokio::test]
async fn a_job_that_finished_before_the_wizard_listened_is_read_from_the_store() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    let generation = confirmed(&mut pane, &mut h);
    send(
        &mut pane,
        &mut h,
        Msg::Promoted {
            run: generation,
            result: Ok(created(DeploymentState::Running, Some("job-42"))),
        },
    );
    h.effects.clear();
    let job = crate::service::JobDetail {
        job: crate::service::JobView {
            id: "job-42".into(),
            kind: "promotion".into(),
            title: "promote staging -> production".into(),
            state: JobState::Failed,
            actor: "alice".into(),
            phase: Some("rolling back".into()),
            done: 0,
            total: 0,
            created_at: now(),
            started_at: Some(now()),
            finished_at: Some(now()),
            result: None,
            error: Some("'New webhook' in production: n8n refused the workflow".into()),
        },
        logs: vec![crate::service::JobLogLine {
            at: now(),
            level: LogLevel::Error,
            message: "'New webhook' in production: n8n refused the workflow".into(),
        }],
    };
    send(
        &mut pane,
        &mut h,
        Msg::Job {
            run: generation,
            result: Ok(job),
        },
    );
    let run_state = pane.run.as_ref().unwrap();
    assert_eq!(run_state.job_state, Some(JobState::Failed));
    assert_eq!(run_state.log.len(), 1);
    assert_eq!(run_state.phases[0].name, "rolling back");
    let msgs = run(&mut h).await;
    assert!(matches!(msgs.as_slice(), [Msg::Finished { .. }]));
    send(
        &mut pane,
        &mut h,
        Msg::Finished {
            run: generation,
            result: Ok(detail(DeploymentState::Failed)),
        },
    );
    assert_eq!(pane.step, Step::Result);
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("rolled back to production/20261122-115900"),
        "{screen}"
    );
}

#[tokio::test]
async fn waiting_for_approvals_offers_the_deployments_pane_and_follows_a_later_job() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    let generation = confirmed(&mut pane, &mut h);
    send(
        &mut pane,
        &mut h,
        Msg::Promoted {
            run: generation,
            result: Ok(created(DeploymentState::PendingApproval, None)),
        },
    );
    assert_eq!(pane.step, Step::Progress);
    assert!(run(&mut h).await.is_empty(), "no job to follow");
    act(&mut pane, &mut h, Action::Enter);
    assert!(matches!(
        h.effects.last(),
        Some(Effect::Open(PaneKind::Deployments, Nav::Deployment(id))) if id == "dep-7"
    ));
    // ctrl-r reads it again: approved since, its job runs and is followed.
    h.effects.clear();
    act(&mut pane, &mut h, Action::Refresh);
    assert!(matches!(
        run(&mut h).await.as_slice(),
        [Msg::Finished { .. }]
    ));
    let mut now_running = detail(DeploymentState::Running);
    now_running.deployment.error = None;
    send(
        &mut pane,
        &mut h,
        Msg::Finished {
            run: generation,
            result: Ok(now_running),
        },
    );
    assert_eq!(pane.step, Step::Progress);
    assert_eq!(pane.run.as_ref().unwrap().job_id.as_deref(), Some("job-42"));
    assert!(matches!(run(&mut h).await.as_slice(), [Msg::Job { .. }]));
    assert!(!pane.back(), "it runs now: esc leaves the pane");
}

#[tokio::test]
async fn enter_opens_the_side_by_side_diff_target_against_source() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Review);
    // Billing export: both ids known, opened at once.
    act(&mut pane, &mut h, Action::Enter);
    match h.effects.pop() {
        Some(Effect::Open(PaneKind::Diff, Nav::Diff { a, b })) => {
            assert_eq!(
                a,
                Some(WorkflowRef {
                    env: "production".into(),
                    id: "14".into()
                })
            );
            assert_eq!(
                b,
                Some(WorkflowRef {
                    env: "staging".into(),
                    id: "s14".into()
                })
            );
        }
        _ => panic!("the diff opens"),
    }
    // Order sync: the source's id is found by name first.
    pane.review_cursor.selected = 4;
    act(&mut pane, &mut h, Action::Enter);
    let msgs = run(&mut h).await;
    let [Msg::SourceResolved { name, target, .. }] = msgs.as_slice() else {
        panic!("the source is resolved");
    };
    assert_eq!(name, "Order sync");
    send(
        &mut pane,
        &mut h,
        Msg::SourceResolved {
            name: name.clone(),
            target: target.clone(),
            result: Ok(vec![WorkflowRef {
                env: "staging".into(),
                id: "s12".into(),
            }]),
        },
    );
    assert!(matches!(
        h.effects.pop(),
        Some(Effect::Open(PaneKind::Diff, Nav::Diff { a: Some(a), b: Some(b) }))
            if a.id == "12" && b.id == "s12"
    ));
    // Old cron is only in the target.
    pane.review_cursor.selected = 3;
    act(&mut pane, &mut h, Action::Enter);
    assert!(matches!(
        h.effects.pop(),
        Some(Effect::Open(
            PaneKind::Diff,
            Nav::Diff {
                a: Some(_),
                b: None
            }
        ))
    ));
    // Coming back finds the wizard as it was.
    assert_eq!(pane.step, Step::Review);
    assert_eq!(pane.review_cursor.selected, 3);
    // A failed resolution says so.
    send(
        &mut pane,
        &mut h,
        Msg::SourceResolved {
            name: "Twice".into(),
            target: None,
            result: Err(OpsError::invalid("'Twice' names 2 workflows in staging")),
        },
    );
    assert_eq!(
        flashes(&h.effects),
        ["diff of 'Twice' not opened: 'Twice' names 2 workflows in staging"]
    );
}

#[test]
fn the_footer_follows_the_step() {
    let pane = at(Step::Workflows);
    let actions = pane.actions();
    for a in [
        Action::Mark,
        Action::MarkAll,
        Action::Edit,
        Action::Enter,
        Action::Promote,
    ] {
        assert!(actions.contains(&a), "{a:?}");
    }
    let pane = at(Step::Gates);
    assert!(pane.actions().contains(&Action::Mark));
    assert!(!pane.actions().contains(&Action::Edit));
    let pane = at(Step::Confirm);
    assert!(pane.actions().contains(&Action::Promote));
    assert!(!pane.actions().contains(&Action::Mark));
    // Without a hotfix listed, `e` is not offered on the workflows.
    let mut pane = at(Step::Workflows);
    let mut no_hotfix = items();
    no_hotfix.retain(|i| i.status != DiffStatus::TargetHotfix);
    pane.candidates.set(preflight(no_hotfix));
    assert!(!pane.actions().contains(&Action::Edit));
}

#[tokio::test]
async fn opening_anew_while_a_promotion_runs_says_it_goes_on() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Confirm);
    let generation = confirmed(&mut pane, &mut h);
    send(
        &mut pane,
        &mut h,
        Msg::Promoted {
            run: generation,
            result: Ok(created(DeploymentState::Running, Some("job-42"))),
        },
    );
    h.effects.clear();
    pane.on_open(Nav::Env("staging".into()), &mut h.cx());
    assert_eq!(
        flashes(&h.effects),
        ["Deployment dep-7 keeps running: the Deployments pane follows it."]
    );
    assert!(pane.run.is_none());
    assert_eq!(pane.step, Step::Stage);
    assert!(pane.stages.loading, "the stages load again");
}

#[tokio::test]
async fn c_on_the_gates_checks_the_targets_drift_then_judges_the_gates_again() {
    let mut h = Harness::new().await;
    let mut pane = at(Step::Gates);
    assert!(pane.actions().contains(&Action::DriftCheck));
    act(&mut pane, &mut h, Action::DriftCheck);
    // The harness's service has no environment: the check is asked for, and refused.
    let msgs = run(&mut h).await;
    assert_eq!(msgs.len(), 1);
    assert!(matches!(&msgs[0], Msg::DriftStarted { result: Err(_) }));
    // Started: the gates wait for the check's end, then ask again.
    send(
        &mut pane,
        &mut h,
        Msg::DriftStarted {
            result: Ok(JobStarted {
                job_id: "job-drift".into(),
            }),
        },
    );
    let other = Event {
        seq: 1,
        at: now(),
        job_id: "job-other".into(),
        body: EventBody::Finished {
            state: JobState::Succeeded,
            result: None,
            error: None,
        },
    };
    pane.on_event(&other, &mut h.cx());
    assert!(preflights(&run(&mut h).await, Slot::Chosen).is_empty());
    let done = Event {
        job_id: "job-drift".into(),
        ..other
    };
    pane.on_event(&done, &mut h.cx());
    let req = asked(&mut h, Slot::Chosen).await;
    assert_eq!(Some(&req), pane.chosen_req.as_ref());
    // Read-only: refused before asking.
    let ops = h.ops.clone();
    let mut effects = Vec::new();
    let mut cx = Cx::new(&ops, true, &mut effects);
    pane.on_action(Action::DriftCheck, &mut cx);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Spawn(_))));
}
