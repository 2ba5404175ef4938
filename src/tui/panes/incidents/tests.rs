//! Tests of the incidents pane: shared data and the snapshot tests of the list, the
//! detail, the note editor, the metrics and the policy editor here (their snapshot
//! names follow this module's path), the flows against the service beside it.

mod flows;

use super::detail::DetailState;
use super::*;
use crate::domain::diff::Risk;
use crate::domain::drift::DriftStatus;
use crate::domain::incident::{
    EventKind, IncidentKind, IncidentPolicy, IncidentState, Spread, StatsRow,
};
use crate::service::{DeliveryView, DriftSummary, IncidentEventView};
use crate::tui::testing::{self, Fixture, Harness, NARROW, WIDE, now};
use chrono::Duration;
use crossterm::event::{KeyCode, KeyModifiers};

/// An open drift incident of `workflow` in `env`, opened `minutes_ago`, its SLA ending
/// `sla_minutes` from now (negative: breached).
pub(crate) fn incident(
    id: i64,
    severity: Severity,
    env: &str,
    workflow: Option<&str>,
    minutes_ago: i64,
    sla_minutes: i64,
) -> IncidentView {
    IncidentView {
        id,
        env: env.into(),
        kind: IncidentKind::Drift,
        workflow: workflow.map(str::to_owned),
        canonical_id: workflow.map(|w| w.to_lowercase().replace(' ', "-")),
        n8n_id: Some(format!("{}", id * 7)),
        severity,
        severity_manual: false,
        state: IncidentState::Open,
        opened_at: now() - Duration::minutes(minutes_ago),
        sla_deadline: now() + Duration::minutes(sla_minutes),
        breached: sla_minutes < 0,
        escalations: 0,
        assignee: None,
        acknowledged_by: None,
        acknowledged_at: None,
        resolved_by: None,
        resolved_at: None,
        resolution: None,
        drift_status: Some(DriftStatus::Drifted),
        risk: Some(Risk::Medium),
        summary: Some(DriftSummary {
            changes: 1,
            risk: Some(Risk::Medium),
            renamed_from: None,
            lines: vec!["node 'Set' parameters.values changed".into()],
        }),
        failures: None,
        updated_at: now() - Duration::minutes(5),
        env_class: testing::envs()
            .into_iter()
            .find(|e| e.name == env)
            .map(|e| e.class),
        offered: Default::default(),
    }
    .offering()
}

/// Fixtures with what the service would offer for them (its rules are tested there):
/// the pane shows and acts on exactly these.
trait Offering {
    fn offering(self) -> Self;
}

impl Offering for IncidentView {
    fn offering(mut self) -> IncidentView {
        let open = self.state.is_open();
        let drift = self.kind == IncidentKind::Drift;
        let known =
            self.canonical_id.is_some() && self.drift_status != Some(DriftStatus::Untracked);
        self.offered = crate::service::Offered {
            acknowledge: self.state == IncidentState::Open,
            resolve: open,
            note: true,
            assign: open,
            severity: open,
            revert: drift && open && known,
            accept: drift && open,
            promote: open && self.workflow.is_some(),
            diff: drift,
        };
        self
    }
}

/// Six incidents, worst first then oldest first, as the service lists them.
fn sample() -> Vec<IncidentView> {
    let mut orders = incident(
        12,
        Severity::Critical,
        "production",
        Some("Order sync"),
        180,
        -125,
    );
    orders.risk = Some(Risk::High);
    orders.escalations = 1;
    orders.summary = Some(DriftSummary {
        changes: 3,
        risk: Some(Risk::High),
        renamed_from: None,
        lines: vec![
            "node 'HTTP Request' parameters.url changed".into(),
            "node 'Slack' credentials changed".into(),
            "connection 'IF' -> 'Slack' added".into(),
        ],
    });
    let mut billing = incident(
        9,
        Severity::High,
        "production",
        Some("Billing export"),
        300,
        23 * 60 + 12,
    );
    billing.drift_status = Some(DriftStatus::Missing);
    billing.risk = Some(Risk::High);
    billing.state = IncidentState::Acknowledged;
    billing.acknowledged_by = Some("alice".into());
    billing.acknowledged_at = Some(now() - Duration::minutes(200));
    billing.assignee = Some("alice".into());
    billing.summary = Some(DriftSummary {
        changes: 1,
        risk: Some(Risk::High),
        renamed_from: None,
        lines: vec!["the workflow is gone from production".into()],
    });
    let mut alerts = incident(15, Severity::High, "staging", Some("Error alerts"), 90, 40);
    alerts.kind = IncidentKind::Executions;
    alerts.drift_status = None;
    alerts.risk = None;
    alerts.summary = None;
    alerts.canonical_id = None;
    alerts.failures = Some("7 failed executions within 30 min (threshold 5)".into());
    alerts.state = IncidentState::Acknowledged;
    alerts.acknowledged_by = Some("bob".into());
    alerts.acknowledged_at = Some(now() - Duration::minutes(30));
    alerts.assignee = Some("bob".into());
    let mut everything = incident(20, Severity::Medium, "production", None, 45, 71 * 60);
    everything.kind = IncidentKind::Executions;
    everything.drift_status = None;
    everything.risk = None;
    everything.summary = None;
    everything.failures = Some("31 failed executions across production within 30 min".into());
    let mut scratch = incident(
        7,
        Severity::Medium,
        "staging",
        Some("Scratch copy of Lead intake"),
        20,
        2 * 1_440 + 3 * 60 + 30,
    );
    scratch.drift_status = Some(DriftStatus::Untracked);
    scratch.canonical_id = None;
    let mut leads = incident(
        3,
        Severity::Low,
        "development",
        Some("Lead intake"),
        2 * 1_440,
        6 * 1_440,
    );
    leads.risk = Some(Risk::Low);
    [orders, billing, alerts, everything, scratch, leads]
        .into_iter()
        .map(Offering::offering)
        .collect()
}

fn listed() -> IncidentsPane {
    let mut pane = IncidentsPane::new();
    pane.listed(sample());
    pane
}

/// The critical incident in full: escalated once, a multi-line note, two notifications.
fn critical_detail() -> IncidentDetail {
    let incident = sample().remove(0);
    let summary = incident.summary.clone();
    let at = |minutes_ago: i64| now() - Duration::minutes(minutes_ago);
    IncidentDetail {
        timeline: vec![
            IncidentEventView {
                at: at(180),
                actor: "n8nops".into(),
                kind: EventKind::Opened,
                text: Some("drift check of production found 'Order sync' DRIFTED".into()),
                summary,
                reference: None,
            },
            IncidentEventView {
                at: at(125),
                actor: "n8nops".into(),
                kind: EventKind::Escalated,
                text: Some(
                    "SLA breached after 48 h at high: escalated from high to critical".into(),
                ),
                summary: None,
                reference: None,
            },
            IncidentEventView {
                at: at(60),
                actor: "alice".into(),
                kind: EventKind::Note,
                text: Some(
                    "Looked at it with Bob: someone changed the URL by hand during last \
                     night's outage of the invoicing API.\n\nWe revert after the 13:00 call.\n- \
                     check the Slack credentials too"
                        .into(),
                ),
                summary: None,
                reference: None,
            },
        ],
        deliveries: vec![
            DeliveryView {
                event: "opened".into(),
                target: "ops-slack".into(),
                status: crate::store::incidents::DeliveryStatus::Delivered,
                attempts: 1,
                last_error: None,
                created_at: at(180),
                delivered_at: Some(at(180)),
            },
            DeliveryView {
                event: "escalated".into(),
                target: "pager".into(),
                status: crate::store::incidents::DeliveryStatus::Failed,
                attempts: 6,
                last_error: Some("webhook 'pager' answered 500 Internal Server Error".into()),
                created_at: at(125),
                delivered_at: None,
            },
        ],
        incident,
    }
}

fn opened(detail: IncidentDetail) -> IncidentsPane {
    let mut pane = listed();
    let mut view = DetailView::new(detail.incident.id);
    view.show(detail);
    pane.detail = Some(view);
    pane
}

fn both(name: &str, pane: &mut IncidentsPane) -> (String, String) {
    let fixture = Fixture::default();
    let narrow = fixture.render(pane, NARROW);
    let wide = fixture.render(pane, WIDE);
    insta::assert_snapshot!(format!("{name}_narrow"), narrow);
    insta::assert_snapshot!(format!("{name}_wide"), wide);
    (narrow, wide)
}

fn key(pane: &mut IncidentsPane, h: &mut Harness, code: KeyCode) {
    pane.on_key(KeyEvent::new(code, KeyModifiers::NONE), &mut h.cx());
}

fn type_text(pane: &mut IncidentsPane, h: &mut Harness, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => key(pane, h, KeyCode::Enter),
            c => key(pane, h, KeyCode::Char(c)),
        }
    }
}

fn ctrl_s(pane: &mut IncidentsPane, h: &mut Harness) {
    pane.on_key(
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
        &mut h.cx(),
    );
}

#[test]
fn snapshot_list() {
    let mut pane = listed();
    pane.cursor.selected = 1;
    let (narrow, wide) = both("list", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Incidents 6 open"), "{screen}");
        for column in [
            "SEVERITY", "ENV", "WORKFLOW", "STATE", "AGE", "SLA", "ASSIGNEE",
        ] {
            assert!(screen.contains(column), "{column}: {screen}");
        }
        assert!(screen.contains("CRITICAL"), "{screen}");
        assert!(screen.contains("BREACHED +2h05m"), "{screen}");
        assert!(screen.contains("23h12m"), "{screen}");
        assert!(screen.contains("2d3h"), "{screen}");
        // The selected (acknowledged) incident's particulars under the list.
        assert!(screen.contains("#9 'Billing export' in production · drift MISSING"));
        assert!(screen.contains("acked by alice"), "{screen}");
    }
    assert!(narrow.contains("ACKED"), "{narrow}");
    for column in ["ID", "KIND", "WHAT"] {
        assert!(wide.contains(column), "{column}: {wide}");
    }
    assert!(
        wide.contains("ACKNOWLEDGED") && wide.contains("#12"),
        "{wide}"
    );
    assert!(narrow.contains("(all workflows)"), "{narrow}");
    assert!(wide.contains("DRIFTED · HIGH · node 'HTTP Request' parameters.url changed"));
    assert!(wide.contains("7 failed executions within 30 min"), "{wide}");
}

#[test]
fn the_list_keeps_the_service_order_and_critical_is_unmistakable() {
    let mut pane = listed();
    let theme = crate::tui::theme::Theme::default();
    let fixture = Fixture::default();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    let ui = fixture.ui();
    terminal
        .draw(|f| {
            let area = f.area();
            pane.draw(f, area, &ui);
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    // Row 2 is the first incident (row 0 the border, row 1 the header): its severity
    // cell is white on red, even under the cursor; the SLA column is in the risk colour.
    let text: String = (0..80).map(|x| buffer[(x, 2)].symbol()).collect();
    assert!(
        text.contains("CRITICAL") && text.contains("Order sync"),
        "{text}"
    );
    let at = text.find("CRITICAL").unwrap() as u16;
    assert_eq!(buffer[(at, 2)].fg, theme.class_production.fg.unwrap());
    assert_eq!(buffer[(at, 2)].bg, theme.class_production.bg.unwrap());
    let breached = text.find("BREACHED").unwrap() as u16;
    assert_eq!(buffer[(breached, 2)].fg, theme.risk_high.fg.unwrap());
    let order: Vec<i64> = pane.visible.iter().map(|&i| pane.incidents[i].id).collect();
    assert_eq!(order, [12, 9, 15, 20, 7, 3]);
}

#[test]
fn snapshot_list_loading_error_empty_and_filtered() {
    let mut pane = IncidentsPane::new();
    pane.loading = true;
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("loading_narrow", screen);
    assert!(screen.contains("Loading incidents…"));
    pane.loading = false;
    pane.error = Some("incidents are being built".into());
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("error_narrow", screen);
    assert!(screen.contains("Could not load the incidents: incidents are being built"));
    pane.listed(Vec::new());
    let (narrow, _) = both("empty", &mut pane);
    assert!(narrow.contains("No open incidents."), "{narrow}");
    let mut pane = listed();
    pane.set_filter(Filter::parse("state:resolved"));
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("No open incident (:all lists resolved ones too) matches /state:resolved."),
        "{screen}"
    );
    pane.set_filter(Filter::parse("sev:high+ env:prod"));
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("filtered_narrow", screen);
    assert!(
        screen.contains("Incidents 2 of 6 open /sev:high+ env:prod"),
        "{screen}"
    );
}

#[test]
fn snapshot_detail() {
    let mut pane = opened(critical_detail());
    let (narrow, wide) = both("detail", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Incident #12  CRITICAL  OPEN"), "{screen}");
        assert!(
            screen.contains("escalated 1× · breached its SLA"),
            "{screen}"
        );
        assert!(
            screen.contains("BREACHED +2h05m (was due 2026-11-22 09:55)"),
            "{screen}"
        );
        assert!(screen.contains("nobody"), "{screen}");
        assert!(
            screen.contains("What changed 3 changes · risk HIGH"),
            "{screen}"
        );
        assert!(
            screen.contains("node 'Slack' credentials changed"),
            "{screen}"
        );
    }
    // The wide screen has room for the whole timeline: the note whole, its lines kept.
    assert!(wide.contains("note by alice"), "{wide}");
    assert!(wide.contains("We revert after the 13:00 call."), "{wide}");
    assert!(wide.contains("- check the Slack credentials too"), "{wide}");
    assert!(
        wide.contains("escalated → pager FAILED · 6 attempts"),
        "{wide}"
    );
    assert!(wide.contains("webhook 'pager' answered 500"), "{wide}");
    assert!(wide.contains(
        "a ack · r resolve · n note · o assign · d diff · R revert · A accept live · p promote · esc back"
    ));
}

#[tokio::test]
async fn the_detail_scrolls_to_its_end_on_a_small_screen() {
    let mut pane = opened(critical_detail());
    let fixture = Fixture::default();
    let mut h = Harness::new().await;
    fixture.render(&mut pane, NARROW);
    pane.on_action(Action::Bottom, &mut h.cx());
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("detail_end_narrow", screen);
    assert!(screen.contains("webhook 'pager' answered 500"), "{screen}");
    assert!(
        screen.contains("check the Slack credentials too"),
        "{screen}"
    );
}

#[test]
fn snapshot_detail_loading_and_failed() {
    let mut pane = listed();
    pane.detail = Some(DetailView::new(42));
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("Incident #42") && screen.contains("Loading the incident…"));
    pane.detail.as_mut().unwrap().state = DetailState::Failed("no incident #42".into());
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("detail_failed_narrow", screen);
    assert!(
        screen.contains("Could not load it: no incident #42"),
        "{screen}"
    );
}

#[tokio::test]
async fn snapshot_note_editor() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.on_action(Action::Resolve, &mut h.cx());
    assert!(pane.captures_input(), "the editor takes the keys");
    assert_eq!(pane.input_hints()[0], ("ctrl-s", "resolve"));
    // Empty: refused in place, nothing sent.
    ctrl_s(&mut pane, &mut h);
    assert!(h.effects.is_empty(), "nothing is sent");
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("note_refused_narrow", screen);
    assert!(screen.contains("A resolution needs a note"), "{screen}");
    type_text(
        &mut pane,
        &mut h,
        "Reverted the URL by hand.\nChecked the last 20 orders: all went through.",
    );
    let (narrow, wide) = both("note_editor", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Resolve incident #12 'Order sync' in production"));
        assert!(screen.contains("How was it resolved?"), "{screen}");
        assert!(screen.contains("Reverted the URL by hand."), "{screen}");
        assert!(screen.contains("Checked the last 20 orders"), "{screen}");
        assert!(screen.contains("ctrl-s resolve · esc cancels"), "{screen}");
        assert!(
            !screen.contains("A resolution needs a note"),
            "typing clears it"
        );
    }
}

fn stats_row(
    env: &str,
    severity: Severity,
    opened: usize,
    resolved: usize,
    ack: Option<i64>,
    fix: Option<i64>,
) -> StatsRow {
    let spread = |ms: i64| Spread {
        count: opened,
        mean_ms: ms,
        p50_ms: ms * 4 / 5,
        p90_ms: ms * 2,
    };
    StatsRow {
        env: env.into(),
        severity,
        opened,
        resolved,
        mtta: ack.map(spread),
        mttr: fix.map(spread),
    }
}

#[test]
fn snapshot_metrics() {
    const MIN: i64 = 60_000;
    let mut pane = listed();
    let mut view = MetricsView::new();
    view.loaded(Ok(IncidentStats {
        from: now() - Duration::days(30),
        to: now(),
        rows: vec![
            stats_row(
                "production",
                Severity::Critical,
                3,
                3,
                Some(4 * MIN),
                Some(95 * MIN),
            ),
            stats_row(
                "production",
                Severity::High,
                5,
                4,
                Some(22 * MIN),
                Some(26 * 60 * MIN),
            ),
            stats_row(
                "staging",
                Severity::Medium,
                9,
                9,
                None,
                Some(3 * 1_440 * MIN),
            ),
            stats_row("development", Severity::Low, 2, 0, None, None),
        ],
        totals: vec![
            stats_row("", Severity::Critical, 3, 3, Some(4 * MIN), Some(95 * MIN)),
            stats_row(
                "",
                Severity::High,
                5,
                4,
                Some(22 * MIN),
                Some(26 * 60 * MIN),
            ),
            stats_row("", Severity::Medium, 9, 9, None, Some(3 * 1_440 * MIN)),
            stats_row("", Severity::Low, 2, 0, None, None),
        ],
    }));
    pane.metrics = Some(view);
    let (narrow, wide) = both("metrics", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Incident metrics last 30 days"), "{screen}");
        assert!(screen.contains("MTTA to acknowledge") && screen.contains("MTTR to resolve"));
        assert!(screen.contains("mean") && screen.contains("p50") && screen.contains("p90"));
        assert!(screen.contains("1h35m"), "{screen}");
        assert!(screen.contains("3d0h"), "{screen}");
        assert!(screen.contains("t period 7/30/90 days"), "{screen}");
    }
    assert!(wide.contains("all"), "{wide}");
    assert_eq!(
        pane.actions(),
        [
            ListCursor::MOVES.to_vec(),
            vec![Action::Period, Action::Refresh]
        ]
        .concat()
    );
}

fn policy_view(editable: bool) -> IncidentPolicyView {
    let policy = IncidentPolicy::default();
    IncidentPolicyView {
        toml: policy.to_toml(),
        policy,
        source: "store".into(),
        updated_by: Some("alice".into()),
        updated_at: Some(now() - Duration::hours(3)),
        editable,
    }
}

#[tokio::test]
async fn snapshot_policy_editor() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.on_action(Action::Policy, &mut h.cx());
    let editor = pane.policy.as_mut().expect("the editor opens");
    editor.show(policy_view(true), false);
    assert!(pane.captures_input(), "an admin edits");
    // A value of the wrong type: refused with its line, nothing sent.
    for _ in 0..3 {
        key(&mut pane, &mut h, KeyCode::Down);
    }
    key(&mut pane, &mut h, KeyCode::End);
    type_text(&mut pane, &mut h, "x");
    h.effects.clear();
    ctrl_s(&mut pane, &mut h);
    assert!(
        h.effects.is_empty(),
        "a text that does not parse is not sent"
    );
    let error = pane
        .policy
        .as_ref()
        .unwrap()
        .error
        .clone()
        .expect("an error");
    assert_eq!(error.line, Some(4), "{error:?}");
    let (narrow, wide) = both("policy_editor", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Incident policy modified"), "{screen}");
        assert!(screen.contains("saved by alice 3h ago"), "{screen}");
        assert!(screen.contains("not saved"), "{screen}");
        assert!(screen.contains("line 4, column"), "{screen}");
        assert!(
            screen.contains("ttl_hours") || screen.contains("retention_days"),
            "{screen}"
        );
    }
}

#[tokio::test]
async fn the_policy_is_read_only_for_others_with_the_reason() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.on_action(Action::Policy, &mut h.cx());
    pane.policy
        .as_mut()
        .unwrap()
        .show(policy_view(false), false);
    assert!(
        !pane.captures_input(),
        "keys move through the text, nothing edits"
    );
    let before = pane.policy.as_ref().unwrap().text();
    pane.on_key(
        KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
        &mut h.cx(),
    );
    ctrl_s(&mut pane, &mut h);
    assert_eq!(pane.policy.as_ref().unwrap().text(), before);
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("policy_read_only_narrow", screen);
    assert!(
        screen.contains("read-only: only the people in incidents.admins"),
        "{screen}"
    );
    assert!(pane.back(), "esc closes it");
    assert!(pane.policy.is_none());
    // --readonly: read-only whoever asks.
    pane.on_action(Action::Policy, &mut h.cx());
    pane.policy.as_mut().unwrap().show(policy_view(true), true);
    assert!(!pane.captures_input());
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("read-only: n8nops was started with --readonly"),
        "{screen}"
    );
}

#[test]
fn readonly_hides_the_changes_in_the_detail() {
    let mut pane = opened(critical_detail());
    let fixture = Fixture {
        readonly: true,
        ..Fixture::default()
    };
    let screen = fixture.render(&mut pane, WIDE);
    assert!(
        screen.contains(" d diff · p promote · esc back "),
        "{screen}"
    );
    assert!(!screen.contains("a ack"), "{screen}");
}
