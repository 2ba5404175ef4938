//! The pane's flows: the requests its keys send (through the real service, over a temp
//! store holding incidents), what a state offers, the questions asked first, the
//! filter, the promotion of a fix and the diff.

use super::*;
use crate::domain::environment::EnvClass;
use crate::domain::pipeline::{Activation, Gates, Pipeline, Stage};
use crate::service::{EnvAdd, LocalOps, Ops, Secret, Settings};
use crate::store::incidents::{self as store_incidents, NewIncident};
use crate::store::test_support::{self, TestStore};
use crate::tui::pane::{Confirm, Effect};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A real service over a temp store with three environments (one per class) and the
/// `release` pipeline development -> staging -> production; incidents are recorded
/// straight into the store, as a drift check would.
struct Rig {
    ops: Arc<dyn Ops>,
    store: TestStore,
    effects: Vec<Effect>,
    readonly: bool,
}

fn stage(from: &str, to: &str) -> Stage {
    Stage {
        from: from.into(),
        to: to.into(),
        gates: Gates::default(),
        activation: Activation::KeepTarget,
        credentials: BTreeMap::new(),
    }
}

impl Rig {
    async fn new() -> Rig {
        let store = test_support::sqlite().await;
        let mut settings = Settings::from_config(&Default::default());
        settings.actor = "tester".into();
        settings.pipelines = vec![Pipeline {
            name: "release".into(),
            description: String::new(),
            stages: vec![
                stage("development", "staging"),
                stage("staging", "production"),
            ],
        }];
        let ops = LocalOps::new(store.store.clone(), settings)
            .await
            .expect("local ops");
        for (name, class) in [
            ("development", EnvClass::Development),
            ("staging", EnvClass::Staging),
            ("production", EnvClass::Production),
        ] {
            ops.env_add(EnvAdd {
                name: name.into(),
                url: format!("http://127.0.0.1:9/{name}"),
                class,
                api_key: Secret::new("test-key"),
                git_repo: None,
                git_branch: None,
            })
            .await
            .expect("add the environment");
        }
        Rig {
            ops: Arc::new(ops),
            store,
            effects: Vec::new(),
            readonly: false,
        }
    }

    /// Records an open drift incident of `workflow` in `env`; its id.
    async fn incident(&self, env: &str, workflow: &str, severity: Severity, hours_ago: i64) -> i64 {
        let mut conn = self.store.store.conn().await.unwrap();
        let canonical = workflow.to_lowercase().replace(' ', "-");
        let summary = DriftSummary {
            changes: 1,
            risk: Some(Risk::High),
            renamed_from: None,
            lines: vec!["node 'HTTP Request' parameters.url changed".into()],
        };
        store_incidents::insert(
            &mut conn,
            &NewIncident {
                env: env.into(),
                kind: IncidentKind::Drift,
                key: canonical.clone(),
                canonical_id: Some(canonical),
                n8n_id: Some("17".into()),
                workflow: Some(workflow.into()),
                severity,
                opened_at: crate::store::now_ms() - hours_ago * 3_600_000,
                opened_by: "n8nops".into(),
                drift_status: Some("DRIFTED".into()),
                risk: Some("HIGH".into()),
                fingerprint: Some("f".repeat(64)),
                summary: Some(serde_json::to_string(&summary).unwrap()),
            },
        )
        .await
        .expect("record the incident")
    }

    fn cx(&mut self) -> Cx<'_> {
        Cx::new(&self.ops, self.readonly, &mut self.effects)
    }

    /// Runs the spawned work and returns the pane's messages.
    async fn run(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        for effect in std::mem::take(&mut self.effects) {
            if let Effect::Spawn(work) = effect
                && let Ok(msg) = work.await.downcast::<Msg>()
            {
                out.push(*msg);
            }
        }
        out
    }

    /// Runs the spawned work and hands every answer to the pane, until it asks nothing
    /// more; the effects other than spawned work are kept.
    async fn settle(&mut self, pane: &mut IncidentsPane) {
        for _ in 0..8 {
            let spawned: Vec<_> = {
                let (work, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.effects)
                    .into_iter()
                    .partition(|e| matches!(e, Effect::Spawn(_)));
                self.effects = rest;
                work
            };
            if spawned.is_empty() {
                return;
            }
            for effect in spawned {
                if let Effect::Spawn(work) = effect {
                    let msg = work.await;
                    pane.on_msg(msg, &mut self.cx());
                }
            }
        }
    }

    fn said(&self) -> Vec<String> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Info(m) | Effect::Error(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// The confirmation asked last.
    fn asked(&mut self) -> Confirm {
        let at = self
            .effects
            .iter()
            .rposition(|e| matches!(e, Effect::Confirm(_)))
            .expect("a question was asked");
        match self.effects.remove(at) {
            Effect::Confirm(c) => c,
            _ => unreachable!(),
        }
    }
}

fn act(pane: &mut IncidentsPane, rig: &mut Rig, action: Action) {
    pane.on_action(action, &mut rig.cx());
}

fn press(pane: &mut IncidentsPane, rig: &mut Rig, code: KeyCode, modifiers: KeyModifiers) {
    pane.on_key(KeyEvent::new(code, modifiers), &mut rig.cx());
}

/// The pane opened on the rig's service, its first load in.
async fn opened_on(rig: &mut Rig) -> IncidentsPane {
    let mut pane = IncidentsPane::new();
    pane.on_open(Nav::Show, &mut rig.cx());
    rig.settle(&mut pane).await;
    assert!(pane.loaded, "the list loaded: {:?}", pane.error);
    pane
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

#[tokio::test]
async fn a_acknowledges_the_selected_incident() {
    let mut rig = Rig::new().await;
    let critical = rig
        .incident("production", "Order sync", Severity::Critical, 3)
        .await;
    let high = rig
        .incident("staging", "Billing export", Severity::High, 1)
        .await;
    let mut pane = opened_on(&mut rig).await;
    let ids: Vec<i64> = pane.visible.iter().map(|&i| pane.incidents[i].id).collect();
    assert_eq!(ids, [critical, high], "worst first");
    act(&mut pane, &mut rig, Action::Down);
    act(&mut pane, &mut rig, Action::Acknowledge);
    let sent = rig.run().await;
    let [Msg::Done { request, outcome }] = &sent[..] else {
        panic!("one request is sent");
    };
    assert_eq!((request.id, &request.verb), (high, &Verb::Acknowledge));
    assert!(
        matches!(&**outcome, Outcome::Updated(Ok(i)) if i.state == IncidentState::Acknowledged)
    );
    let shown = rig.ops.incident_show(high).await.unwrap().incident;
    assert_eq!(shown.state, IncidentState::Acknowledged);
    assert_eq!(shown.acknowledged_by.as_deref(), Some("tester"));
    let other = rig.ops.incident_show(critical).await.unwrap().incident;
    assert_eq!(other.state, IncidentState::Open, "only the selected one");
    // Acknowledged: `a` is no longer offered for it.
    for msg in sent {
        pane.on_msg(Box::new(msg), &mut rig.cx());
    }
    rig.settle(&mut pane).await;
    assert!(
        rig.said()
            .iter()
            .any(|s| s.starts_with("acknowledged incident #")),
        "{:?}",
        rig.said()
    );
    assert_eq!(
        pane.selected().map(|i| i.id),
        Some(high),
        "the cursor stays on it"
    );
    assert!(!pane.actions().contains(&Action::Acknowledge));
    assert!(pane.actions().contains(&Action::Resolve));
}

#[tokio::test]
async fn r_refuses_an_empty_note_and_resolves_with_one() {
    let mut rig = Rig::new().await;
    let id = rig
        .incident("staging", "Billing export", Severity::High, 1)
        .await;
    let mut pane = opened_on(&mut rig).await;
    act(&mut pane, &mut rig, Action::Resolve);
    assert!(pane.captures_input());
    // Spaces and blank lines are no note.
    press(&mut pane, &mut rig, KeyCode::Char(' '), KeyModifiers::NONE);
    press(&mut pane, &mut rig, KeyCode::Enter, KeyModifiers::NONE);
    press(
        &mut pane,
        &mut rig,
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    );
    assert!(rig.effects.is_empty(), "nothing is sent");
    let note = pane.note.as_ref().expect("the editor stays open");
    assert!(note.error.as_deref().unwrap().contains("needs a note"));
    assert_eq!(
        rig.ops.incident_show(id).await.unwrap().incident.state,
        IncidentState::Open
    );
    for c in "Put the URL back by hand.\nOrders checked: none lost.".chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        press(&mut pane, &mut rig, code, KeyModifiers::NONE);
    }
    press(
        &mut pane,
        &mut rig,
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    );
    rig.settle(&mut pane).await;
    assert!(
        pane.note.is_none(),
        "the editor closes once resolved: {:?}",
        rig.said()
    );
    let detail = rig.ops.incident_show(id).await.unwrap();
    assert_eq!(detail.incident.state, IncidentState::Resolved);
    assert_eq!(detail.incident.resolved_by.as_deref(), Some("tester"));
    let resolution = detail.incident.resolution.unwrap_or_default();
    assert!(
        resolution.contains("Put the URL back by hand.\nOrders checked: none lost."),
        "the note whole, its lines kept: {resolution}"
    );
    assert!(pane.incidents.is_empty(), "the open list no longer has it");
}

#[tokio::test]
async fn a_refused_note_stays_in_the_editor_with_the_reason() {
    let mut rig = Rig::new().await;
    let mut pane = listed();
    // Incident #12 is not in this store: the service refuses, the text stays.
    act(&mut pane, &mut rig, Action::Note);
    for c in "Called the vendor.".chars() {
        press(&mut pane, &mut rig, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(
        &mut pane,
        &mut rig,
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    );
    rig.settle(&mut pane).await;
    let note = pane.note.as_ref().expect("still open");
    assert!(!note.sending);
    assert!(note.error.is_some(), "the refusal shows in the editor");
    assert_eq!(note.text(), "Called the vendor.");
}

#[tokio::test]
async fn revert_asks_first_and_production_by_its_name() {
    let mut rig = Rig::new().await;
    let mut pane = listed();
    // #12: production, DRIFTED.
    act(&mut pane, &mut rig, Action::Revert);
    let asked = rig.asked();
    assert_eq!(asked.type_to_confirm.as_deref(), Some("production"));
    assert!(
        asked
            .message
            .contains("'Order sync' is put back in production"),
        "{}",
        asked.message
    );
    assert!(
        asked.message.contains("snapshotted first"),
        "{}",
        asked.message
    );
    assert!(rig.effects.is_empty(), "nothing is sent before the answer");
    let request = request_of(asked);
    assert_eq!((request.id, request.verb), (12, Verb::Revert));
    // #7: staging, UNTRACKED: nothing to revert to, not offered.
    pane.cursor.selected = 4;
    assert_eq!(pane.selected().unwrap().id, 7);
    assert!(!pane.actions().contains(&Action::Revert));
    act(&mut pane, &mut rig, Action::Revert);
    assert!(rig.effects.is_empty());
    // #3: development: a yes is enough.
    pane.cursor.selected = 5;
    act(&mut pane, &mut rig, Action::Revert);
    assert_eq!(rig.asked().type_to_confirm, None);
    // Accept asks with a yes.
    act(&mut pane, &mut rig, Action::Accept);
    let asked = rig.asked();
    assert_eq!(asked.type_to_confirm, None);
    assert!(
        asked.message.contains("canonical state"),
        "{}",
        asked.message
    );
    // An environment whose class the service does not know (it is gone) is taken
    // for production: its name is asked, whatever the shell's list of environments.
    let mut gone = sample().remove(5);
    gone.env = "development".into();
    gone.env_class = None;
    pane.listed(vec![gone]);
    act(&mut pane, &mut rig, Action::Revert);
    assert_eq!(
        rig.asked().type_to_confirm.as_deref(),
        Some("development"),
        "a class not known asks for the name"
    );
}

#[tokio::test]
async fn only_what_the_service_offers_is_offered_and_done() {
    let mut rig = Rig::new().await;
    let mut pane = IncidentsPane::new();
    // An open, revertible-looking drift incident the service offers only notes on.
    let mut i = sample().remove(0);
    i.offered = crate::service::Offered {
        note: true,
        ..Default::default()
    };
    pane.listed(vec![i.clone()]);
    let offered: Vec<Action> = pane
        .actions()
        .into_iter()
        .filter(|a| act::offered(&sample()[0]).contains(a))
        .collect();
    assert_eq!(offered, [Action::Note], "{:?}", pane.actions());
    for action in [
        Action::Acknowledge,
        Action::Resolve,
        Action::Assign,
        Action::IncidentDiff,
        Action::Revert,
        Action::Accept,
        Action::Promote,
    ] {
        act(&mut pane, &mut rig, action);
    }
    assert!(rig.effects.is_empty(), "nothing asked or sent");
    assert!(pane.note.is_none() && pane.assign.is_none());
    pane.on_command("severity", "low", &mut rig.cx());
    assert!(
        !rig.effects.iter().any(|e| matches!(e, Effect::Spawn(_))),
        "the severity is not offered: not sent"
    );
    assert!(
        rig.said()[0].contains("cannot be set now"),
        "{:?}",
        rig.said()
    );
    // The same incident offering everything: the footer's order.
    i.offered = crate::service::Offered {
        acknowledge: true,
        resolve: true,
        note: true,
        assign: true,
        severity: true,
        revert: true,
        accept: true,
        promote: true,
        diff: true,
    };
    assert_eq!(
        act::offered(&i),
        [
            Action::Acknowledge,
            Action::Resolve,
            Action::Note,
            Action::Assign,
            Action::IncidentDiff,
            Action::Revert,
            Action::Accept,
            Action::Promote,
        ]
    );
}

#[tokio::test]
async fn readonly_refuses_changes() {
    let mut rig = Rig::new().await;
    rig.readonly = true;
    let mut pane = listed();
    for action in [
        Action::Acknowledge,
        Action::Resolve,
        Action::Revert,
        Action::Assign,
    ] {
        act(&mut pane, &mut rig, action);
    }
    assert!(pane.note.is_none() && pane.assign.is_none());
    let said = rig.said();
    assert_eq!(said.len(), 4, "{said:?}");
    assert!(said.iter().all(|s| s.starts_with("read-only")), "{said:?}");
    // A confirmation answered before the switch is refused too.
    rig.effects.clear();
    let request = Request::new(&sample()[0], Verb::Revert);
    pane.on_msg(Box::new(Msg::Confirmed(request)), &mut rig.cx());
    assert!(!rig.effects.iter().any(|e| matches!(e, Effect::Spawn(_))));
}

#[test]
fn the_filter_narrows_by_tokens_and_text() {
    let mut pane = listed();
    let shown = |pane: &mut IncidentsPane, text: &str| -> Vec<i64> {
        pane.set_filter(Filter::parse(text));
        pane.visible.iter().map(|&i| pane.incidents[i].id).collect()
    };
    assert_eq!(shown(&mut pane, "sev:critical"), [12]);
    assert_eq!(shown(&mut pane, "sev:high+"), [12, 9, 15]);
    assert_eq!(shown(&mut pane, "sev:medium,low"), [20, 7, 3]);
    assert_eq!(shown(&mut pane, "state:ack"), [9, 15]);
    assert_eq!(shown(&mut pane, "state:open env:prod"), [12, 20]);
    assert_eq!(shown(&mut pane, "kind:executions"), [15, 20]);
    assert_eq!(shown(&mut pane, "assignee:none env:staging"), [7]);
    assert_eq!(shown(&mut pane, "assignee:bob"), [15]);
    assert_eq!(shown(&mut pane, "billing"), [9]);
    assert_eq!(shown(&mut pane, "untracked"), [7]);
    assert_eq!(shown(&mut pane, "parameters.url"), [12], "what changed");
    assert_eq!(shown(&mut pane, "#15"), [15]);
    assert_eq!(
        shown(&mut pane, "!env:prod"),
        [15, 7, 3],
        "! inverts the whole"
    );
    assert_eq!(shown(&mut pane, "sev:awful"), Vec::<i64>::new());
    assert_eq!(shown(&mut pane, "Lead intake"), [7, 3], "words all match");
    assert_eq!(shown(&mut pane, ""), [12, 9, 15, 20, 7, 3]);
}

#[tokio::test]
async fn p_opens_the_wizard_on_the_stage_into_the_environment() {
    let mut rig = Rig::new().await;
    let id = rig
        .incident("production", "Order sync", Severity::Critical, 3)
        .await;
    let mut pane = opened_on(&mut rig).await;
    assert!(pane.actions().contains(&Action::Promote));
    act(&mut pane, &mut rig, Action::Promote);
    rig.settle(&mut pane).await;
    let opened: Vec<&Nav> = rig
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Open(PaneKind::Promote, nav) => Some(nav),
            _ => None,
        })
        .collect();
    assert_eq!(
        opened,
        [&Nav::Promote {
            from: Some("staging".into()),
            to: Some("production".into()),
            workflows: vec!["Order sync".into()],
            incident: Some(id),
        }],
        "{:?}",
        rig.said()
    );
}

#[tokio::test]
async fn d_opens_the_diff_pane_on_what_the_service_compares() {
    let mut rig = Rig::new().await;
    let mut pane = listed();
    act(&mut pane, &mut rig, Action::IncidentDiff);
    let msgs = rig.run().await;
    let [Msg::Diff { id, .. }] = &msgs[..] else {
        panic!("the diff is asked for");
    };
    assert_eq!(*id, 12);
    let request = DiffRequest::Envs {
        a: "staging".into(),
        b: "production".into(),
        workflow: Some("Order sync".into()),
    };
    pane.on_msg(
        Box::new(Msg::Diff {
            id: 12,
            result: Ok(request.clone()),
        }),
        &mut rig.cx(),
    );
    assert!(
        rig.effects.iter().any(|e| matches!(
            e,
            Effect::Open(PaneKind::Diff, Nav::Compare(r)) if **r == request
        )),
        "the diff pane opens on it"
    );
}

#[tokio::test]
async fn o_assigns_and_an_empty_name_unassigns() {
    let mut rig = Rig::new().await;
    let id = rig
        .incident("production", "Order sync", Severity::Critical, 3)
        .await;
    let mut pane = opened_on(&mut rig).await;
    act(&mut pane, &mut rig, Action::Assign);
    for c in "carol".chars() {
        press(&mut pane, &mut rig, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut pane, &mut rig, KeyCode::Enter, KeyModifiers::NONE);
    assert!(pane.assign.is_none());
    rig.settle(&mut pane).await;
    let shown = rig.ops.incident_show(id).await.unwrap().incident;
    assert_eq!(shown.assignee.as_deref(), Some("carol"));
    assert_eq!(pane.selected().unwrap().assignee.as_deref(), Some("carol"));
    act(&mut pane, &mut rig, Action::Assign);
    press(
        &mut pane,
        &mut rig,
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    );
    press(&mut pane, &mut rig, KeyCode::Enter, KeyModifiers::NONE);
    rig.settle(&mut pane).await;
    assert_eq!(
        rig.ops.incident_show(id).await.unwrap().incident.assignee,
        None
    );
}

#[tokio::test]
async fn an_incident_event_reloads_at_the_next_tick() {
    let mut rig = Rig::new().await;
    let mut pane = listed();
    pane.loading = false;
    pane.on_event(
        &testing::event(
            "incident-30",
            EventBody::Incident {
                id: 30,
                env: "production".into(),
                workflow: Some("Order sync".into()),
                severity: Severity::Critical,
                state: IncidentState::Open,
                change: EventKind::Opened,
            },
        ),
        &mut rig.cx(),
    );
    assert!(rig.effects.is_empty(), "not at once: events come in bursts");
    pane.on_tick(&mut rig.cx());
    let loads = rig
        .run()
        .await
        .into_iter()
        .filter(|m| matches!(m, Msg::Listed { .. }))
        .count();
    assert_eq!(loads, 1);
    pane.on_tick(&mut rig.cx());
    assert!(rig.effects.is_empty(), "once");
}

#[tokio::test]
async fn all_lists_resolved_incidents_too() {
    let mut rig = Rig::new().await;
    let mut pane = listed();
    pane.on_command("all", "", &mut rig.cx());
    let queries: Vec<IncidentQuery> = rig
        .run()
        .await
        .into_iter()
        .filter_map(|m| match m {
            Msg::Listed { query, .. } => Some(query),
            _ => None,
        })
        .collect();
    assert_eq!(queries.len(), 1);
    assert!(queries[0].all);
    pane.on_command("open", "", &mut rig.cx());
    let Some(Msg::Listed { query, .. }) = rig.run().await.pop() else {
        panic!("a load");
    };
    assert!(!query.all);
}

/// The diff pane takes what `d` asks the service for (`Nav::Compare`), with its text
/// view whatever the request said.
#[tokio::test]
async fn the_diff_pane_shows_a_compared_pair_of_documents() {
    use crate::service::DiffDocument;
    use crate::tui::panes::diff::DiffPane;
    let mut rig = Rig::new().await;
    let workflow = |url: &str| {
        serde_json::json!({
            "name": "Order sync",
            "nodes": [{
                "id": "1", "name": "HTTP Request", "type": "n8n-nodes-base.httpRequest",
                "typeVersion": 4, "position": [0, 0], "parameters": {"url": url}
            }],
            "connections": {},
            "settings": {}
        })
    };
    let request = DiffRequest::Documents {
        a: DiffDocument {
            label: "canonical 1a2b3c4".into(),
            workflow: workflow("https://api.example/v1/orders"),
        },
        b: DiffDocument {
            label: "production (live)".into(),
            workflow: workflow("https://api.example/v2/orders"),
        },
        text: false,
    };
    let mut diff = DiffPane::new();
    diff.on_open(Nav::Compare(Box::new(request)), &mut rig.cx());
    for effect in std::mem::take(&mut rig.effects) {
        if let Effect::Spawn(work) = effect {
            let msg = work.await;
            diff.on_msg(msg, &mut rig.cx());
        }
    }
    let screen = Fixture::default().render(&mut diff, WIDE);
    assert!(
        screen.contains("canonical 1a2b3c4") && screen.contains("production (live)"),
        "{screen}"
    );
    assert!(screen.contains("HTTP Request"), "{screen}");
    assert!(
        screen.contains("v1/orders") && screen.contains("v2/orders"),
        "the text view: {screen}"
    );
}

#[tokio::test]
async fn a_revert_says_which_job_it_started() {
    let mut rig = Rig::new().await;
    let incident = sample().remove(0);
    let request = Request::new(&incident, Verb::Revert);
    let outcome = Outcome::Remediated(Ok(crate::service::IncidentRemediated {
        incident,
        job_id: Some("job-41".into()),
        commit: None,
    }));
    act::answered(&request, outcome, &mut rig.cx()).unwrap();
    let said = rig.said();
    assert_eq!(said.len(), 1);
    assert!(
        said[0].starts_with(
            "reverting incident #12 'Order sync' in production to canonical: restore job job-41"
        ),
        "{said:?}"
    );
}

#[tokio::test]
async fn m_shows_the_metrics_and_t_changes_the_period() {
    let mut rig = Rig::new().await;
    rig.incident("production", "Order sync", Severity::Critical, 3)
        .await;
    let mut pane = opened_on(&mut rig).await;
    act(&mut pane, &mut rig, Action::Metrics);
    rig.settle(&mut pane).await;
    let view = pane.metrics.as_ref().expect("the metrics are open");
    assert_eq!(view.days, 30);
    let metrics::MetricsState::Ready(stats) = &view.state else {
        panic!("the service answered: {:?}", rig.said());
    };
    let days = (stats.to - stats.from).num_days();
    assert_eq!(days, 30, "the period asked for");
    let production: Vec<&StatsRow> = stats
        .rows
        .iter()
        .filter(|r| r.env == "production")
        .collect();
    assert_eq!(production.len(), 1, "{:?}", stats.rows);
    assert_eq!(
        (production[0].severity, production[0].opened),
        (Severity::Critical, 1)
    );
    act(&mut pane, &mut rig, Action::Period);
    rig.settle(&mut pane).await;
    let view = pane.metrics.as_ref().unwrap();
    assert_eq!(view.days, 90);
    let metrics::MetricsState::Ready(stats) = &view.state else {
        panic!("reloaded");
    };
    assert_eq!((stats.to - stats.from).num_days(), 90);
    act(&mut pane, &mut rig, Action::Period);
    assert_eq!(pane.metrics.as_ref().unwrap().days, 7, "90 wraps to 7");
    assert!(pane.back(), "esc closes the metrics");
    assert!(pane.metrics.is_none());
}

#[tokio::test]
async fn p_upper_edits_the_policy_and_saves_it_through_the_service() {
    let mut rig = Rig::new().await;
    let mut pane = opened_on(&mut rig).await;
    act(&mut pane, &mut rig, Action::Policy);
    rig.settle(&mut pane).await;
    assert!(pane.captures_input(), "nobody is named admin: anyone edits");
    let text = pane.policy.as_ref().unwrap().text();
    let at = text
        .lines()
        .position(|l| l.starts_with("retention_days"))
        .expect("the policy names its retention");
    for _ in 0..at {
        press(&mut pane, &mut rig, KeyCode::Down, KeyModifiers::NONE);
    }
    press(&mut pane, &mut rig, KeyCode::End, KeyModifiers::NONE);
    for _ in 0..4 {
        press(&mut pane, &mut rig, KeyCode::Backspace, KeyModifiers::NONE);
    }
    for c in "= 45".chars() {
        press(&mut pane, &mut rig, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert!(
        pane.policy
            .as_ref()
            .unwrap()
            .text()
            .contains("retention_days = 45"),
        "{}",
        pane.policy.as_ref().unwrap().text()
    );
    press(
        &mut pane,
        &mut rig,
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    );
    rig.settle(&mut pane).await;
    assert!(pane.policy.is_none(), "closed once saved: {:?}", rig.said());
    assert!(
        rig.said()
            .iter()
            .any(|s| s.starts_with("saved the incident policy"))
    );
    let policy = rig.ops.incident_policy().await.unwrap();
    assert_eq!(policy.policy.retention_days, 45);
    assert_eq!(policy.source, "store");
    assert_eq!(policy.updated_by.as_deref(), Some("tester"));
}
