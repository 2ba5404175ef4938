//! Against the simulator, through the real service.

use super::*;

const SIM_KEY: &str = "workflows-pane-test-key";

/// Runs spawned work and delivers its messages until none is left; returns every
/// other effect (flashes, confirmations, opens) in order.
async fn settle(pane: &mut WorkflowsPane, h: &mut Harness) -> Vec<Effect> {
    let mut others = Vec::new();
    loop {
        let mut work = Vec::new();
        for effect in std::mem::take(&mut h.effects) {
            match effect {
                Effect::Spawn(fut) => work.push(fut),
                other => others.push(other),
            }
        }
        if work.is_empty() {
            return others;
        }
        for fut in work {
            let message = fut.await;
            pane.on_msg(message, &mut h.cx());
        }
    }
}

fn row_in(pane: &WorkflowsPane, env: &str) -> usize {
    pane.catalog
        .visible
        .iter()
        .position(|&i| pane.catalog.rows[i].env == env)
        .expect("a workflow in the environment")
}

/// Three simulated instances, one per class, synced; then the pane loads them, and
/// each answer of the policy reaches the person: done, confirm then done, an
/// approval requested, blocked.
#[tokio::test]
async fn against_the_simulator_every_policy_answer_reaches_the_person() {
    let mut h = Harness::new().await;
    let mut sims = Vec::new();
    for (i, (name, class)) in [
        ("dev", EnvClass::Development),
        ("stage", EnvClass::Staging),
        ("prod", EnvClass::Production),
    ]
    .into_iter()
    .enumerate()
    {
        let sim = crate::sim::start(crate::sim::SimOptions {
            api_key: SIM_KEY.into(),
            seed: 11 + i as u64,
            workflows: crate::sim::generator::generate(11, 4),
            ..crate::sim::SimOptions::default()
        })
        .await
        .expect("start the simulator");
        h.ops
            .env_add(EnvAdd {
                name: name.into(),
                url: sim.url.clone(),
                class,
                api_key: Secret::new(SIM_KEY),
                git_repo: None,
                git_branch: None,
            })
            .await
            .expect("add env");
        sims.push(sim);
    }
    let events = h.ops.subscribe();
    let job = h
        .ops
        .sync(crate::service::SyncRequest::default())
        .await
        .expect("start sync");
    let job = crate::service::follow_job(&*h.ops, events, &job.job_id, |_| {})
        .await
        .expect("sync");
    assert_eq!(
        job.state,
        crate::domain::job::JobState::Succeeded,
        "{:?}",
        job.error
    );

    let mut pane = WorkflowsPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    settle(&mut pane, &mut h).await;
    assert_eq!(pane.catalog.rows.len(), 12);

    // The detail of a real stored workflow.
    act(&mut pane, &mut h, Action::Enter);
    settle(&mut pane, &mut h).await;
    let detail = pane
        .detail
        .as_ref()
        .and_then(|v| v.ready())
        .expect("detail loaded");
    assert!(!detail.analysis.nodes.is_empty());
    assert!(!detail.graph.is_empty());
    assert!(pane.back());

    // Development: allowed.
    pane.catalog.cursor.selected = row_in(&pane, "dev");
    act(&mut pane, &mut h, Action::Deactivate);
    let (info, errors) = flashes(&settle(&mut pane, &mut h).await);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(info[0].starts_with("Deactivated '"), "{info:?}");

    // Staging: tagging is a direct edit, which warns: confirm, then done.
    pane.catalog.cursor.selected = row_in(&pane, "stage");
    act(&mut pane, &mut h, Action::Tag);
    type_text(&mut pane, &mut h, "+reviewed");
    pane.on_key(key(KeyCode::Enter), &mut h.cx());
    let mut effects = settle(&mut pane, &mut h).await;
    let at = effects
        .iter()
        .position(|e| matches!(e, Effect::Confirm(_)))
        .expect("the policy asks to confirm");
    let Effect::Confirm(confirm) = effects.remove(at) else {
        unreachable!()
    };
    pane.on_msg(confirm.payload, &mut h.cx());
    let (info, errors) = flashes(&settle(&mut pane, &mut h).await);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(info[0].starts_with("Tagged '"), "{info:?}");
    let tagged = pane
        .catalog
        .rows
        .iter()
        .filter(|w| w.tags.iter().any(|t| t == "reviewed"))
        .count();
    assert_eq!(tagged, 1, "the reload shows the new tag");

    // Production: activating needs an approval.
    pane.catalog.cursor.selected = row_in(&pane, "prod");
    act(&mut pane, &mut h, Action::Activate);
    let (info, _) = flashes(&settle(&mut pane, &mut h).await);
    assert!(info.iter().any(|m| m.starts_with("Approval #")), "{info:?}");

    // Production: uploads are blocked.
    pane.on_command("env", "prod", &mut h.cx());
    act(&mut pane, &mut h, Action::Upload);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("new.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({"name": "New", "nodes": [], "connections": {}, "settings": {}}))
            .expect("json"),
    )
    .expect("write");
    type_text(&mut pane, &mut h, &file.display().to_string());
    pane.on_key(key(KeyCode::Enter), &mut h.cx());
    let (_, errors) = flashes(&settle(&mut pane, &mut h).await);
    assert!(
        errors
            .iter()
            .any(|m| m.starts_with("Upload to prod blocked")),
        "{errors:?}"
    );
    drop(sims);
}
