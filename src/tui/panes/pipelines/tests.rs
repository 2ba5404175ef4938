//! Tests of the pipelines pane: the snapshot tests of the list, the detail and the
//! editor here (their snapshot names follow this module's path), the flows beside it.

mod flows;

use super::*;
use crate::domain::pipeline::{Activation, Gates, Pipeline, Stage, Validation, Windows};
use crate::tui::testing::{self, Fixture, NARROW, WIDE, now};
use chrono::Duration;
use crossterm::event::{KeyCode, KeyModifiers};
use std::collections::BTreeMap;

fn stage(from: &str, to: &str) -> Stage {
    Stage {
        from: from.into(),
        to: to.into(),
        gates: Gates::default(),
        activation: Activation::KeepTarget,
        credentials: BTreeMap::new(),
    }
}

/// `release` (store): development -> staging -> production, the last stage with every
/// gate; `hotfix` (config): staging -> production; `regions` (store): a fan-out.
fn sample() -> Vec<PipelineView> {
    let mut to_prod = stage("staging", "production");
    to_prod.gates = Gates {
        drift: true,
        credentials: true,
        approvals: 2,
        windows: Some(Windows {
            timezone: "Europe/Berlin".into(),
            allow: vec!["* 9-16 * * mon-thu".into()],
            deny: vec!["* * 24-26 12 *".into()],
        }),
        validation: Some(Validation::Http {
            url: "https://ci.example/ready".into(),
            method: "GET".into(),
            expect_status: 204,
            timeout_secs: 10,
        }),
    };
    to_prod.activation = Activation::FollowSource;
    to_prod.credentials = BTreeMap::from([
        (
            "slackApi:Dev alerts".to_owned(),
            "Production alerts".to_owned(),
        ),
        ("Stripe test".to_owned(), "Stripe live".to_owned()),
    ]);
    let mut hotfix = stage("staging", "production");
    hotfix.gates.drift = false;
    hotfix.gates.validation = Some(Validation::Command {
        command: vec!["./smoke.sh".into(), "--quick".into()],
        timeout_secs: 30,
    });
    vec![
        PipelineView {
            pipeline: Pipeline {
                name: "hotfix".into(),
                description: "Straight to production, for fixes".into(),
                stages: vec![hotfix],
            },
            source: PipelineSource::Config,
            updated_by: None,
            updated_at: None,
        },
        PipelineView {
            pipeline: Pipeline {
                name: "regions".into(),
                description: String::new(),
                stages: vec![stage("staging", "prod-eu"), stage("staging", "prod-us")],
            },
            source: PipelineSource::Store,
            updated_by: Some("bob".into()),
            updated_at: Some(now() - Duration::days(3)),
        },
        PipelineView {
            pipeline: Pipeline {
                name: "release".into(),
                description: "The weekly release".into(),
                stages: vec![stage("development", "staging"), to_prod],
            },
            source: PipelineSource::Store,
            updated_by: Some("alice".into()),
            updated_at: Some(now() - Duration::hours(2)),
        },
    ]
}

fn listed() -> PipelinesPane {
    let mut pane = PipelinesPane::new();
    pane.envs = testing::envs();
    pane.listed(sample());
    pane
}

fn press(pane: &mut PipelinesPane, h: &mut testing::Harness, code: KeyCode) {
    pane.on_key(KeyEvent::new(code, KeyModifiers::NONE), &mut h.cx());
}

fn ctrl_s(pane: &mut PipelinesPane, h: &mut testing::Harness) {
    pane.on_key(
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
        &mut h.cx(),
    );
}

fn both(name: &str, pane: &mut PipelinesPane) -> (String, String) {
    let fixture = Fixture::default();
    let narrow = fixture.render(pane, NARROW);
    let wide = fixture.render(pane, WIDE);
    insta::assert_snapshot!(format!("{name}_narrow"), narrow);
    insta::assert_snapshot!(format!("{name}_wide"), wide);
    (narrow, wide)
}

#[test]
fn snapshot_list() {
    let mut pane = listed();
    pane.cursor.selected = 2;
    let (narrow, wide) = both("list", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Pipelines 3"), "{screen}");
        assert!(screen.contains("NAME") && screen.contains("SOURCE") && screen.contains("STAGES"));
        assert!(
            screen.contains("development -> staging -> production"),
            "{screen}"
        );
        assert!(
            screen.contains("staging -> prod-eu, staging -> prod-us"),
            "{screen}"
        );
        assert!(screen.contains("config") && screen.contains("store"));
    }
    assert!(wide.contains("alice 2h ago") && wide.contains("The weekly release"));
}

#[test]
fn snapshot_list_loading_error_and_empty() {
    let mut pane = PipelinesPane::new();
    pane.loading = true;
    let (narrow, _) = both("loading", &mut pane);
    assert!(narrow.contains("Loading pipelines…"));
    pane.loading = false;
    pane.error = Some("the stored pipeline 'x' is corrupt".into());
    let (narrow, _) = both("error", &mut pane);
    assert!(narrow.contains("Could not load the pipelines: the stored pipeline 'x' is corrupt"));
    pane.listed(Vec::new());
    let (narrow, _) = both("empty", &mut pane);
    assert!(
        narrow.contains("No pipelines yet. a adds one here"),
        "{narrow}"
    );
}

#[test]
fn snapshot_detail() {
    let mut pane = listed();
    pane.detail = Some(DetailView::new("release".into()));
    let (narrow, wide) = both("detail", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Pipeline release · store"), "{screen}");
        assert!(screen.contains("kept in the n8nops store · saved by alice 2h ago"));
        assert!(screen.contains("stages development -> staging -> production"));
        assert!(screen.contains("2. staging -> production"), "{screen}");
        assert!(screen.contains("2 from people other than the requester"));
        assert!(screen.contains("in Europe/Berlin"));
        assert!(screen.contains("allow * 9-16 * * mon-thu"));
        assert!(screen.contains("deny * * 24-26 12 * (a deny beats an allow)"));
        assert!(screen.contains("GET https://ci.example/ready expects 204 (timeout 10s)"));
        assert!(screen.contains("follow staging's state"));
    }
    // The mapping table is further down: all on the wide screen, scrolled to narrow.
    assert!(wide.contains("slackApi:Dev alerts") && wide.contains("Production alerts"));
    assert!(wide.contains("e edit · d delete · esc back"), "{wide}");
}

#[test]
fn snapshot_detail_of_a_config_pipeline_says_where_to_edit_it() {
    let mut pane = listed();
    pane.detail = Some(DetailView::new("hotfix".into()));
    let (narrow, _) = both("detail_config", &mut pane);
    assert!(
        narrow.contains("defined in the config file; edit it there (read-only here)"),
        "{narrow}"
    );
    assert!(narrow.contains("command './smoke.sh --quick' exits 0 (timeout 30s)"));
    assert!(narrow.contains("drift        off"), "{narrow}");
    assert!(!narrow.contains("e edit"), "{narrow}");
}

#[tokio::test]
async fn snapshot_editor_new_and_with_an_error() {
    let mut h = testing::Harness::new().await;
    let mut pane = listed();
    pane.on_action(Action::Add, &mut h.cx());
    let (narrow, wide) = both("editor_new", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("New pipeline"), "{screen}");
        assert!(screen.contains("name = \"release\""), "{screen}");
        assert!(screen.contains("ctrl-s saves · esc closes"), "{screen}");
        // Line numbers.
        assert!(screen.contains(" 1 # A promotion pipeline"), "{screen}");
    }
    // A typo: the error shows under the text with its line, the text stays.
    press(&mut pane, &mut h, KeyCode::Char('['));
    ctrl_s(&mut pane, &mut h);
    assert!(h.effects.is_empty(), "nothing is sent");
    let (narrow, wide) = both("editor_error", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("New pipeline modified"), "{screen}");
        assert!(screen.contains("not saved"), "{screen}");
        assert!(
            screen.contains("line 1, column 2: unquoted keys cannot be empty"),
            "{screen}"
        );
    }
}
