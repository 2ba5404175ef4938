//! The list: filters, commands, opening, stale answers and reloads.

use super::*;

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
