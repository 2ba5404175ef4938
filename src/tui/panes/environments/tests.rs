use super::form::{Field, MASK};
use super::*;
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::service::{ConnectionProblem, DriftCounts, DriftItem, EnvAdd, Secret};
use crate::sim::{self, SimOptions};
use crate::tui::pane::Effect;
use crate::tui::testing::{Fixture, Harness, NARROW, WIDE};
use crossterm::event::{KeyCode, KeyModifiers};

const KEY: &str = "n8n_api_s3cr3t_value_123";

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn type_text(pane: &mut EnvironmentsPane, h: &mut Harness, text: &str) {
    for c in text.chars() {
        pane.on_key(key(KeyCode::Char(c)), &mut h.cx());
    }
}

fn press(pane: &mut EnvironmentsPane, h: &mut Harness, code: KeyCode) {
    pane.on_key(key(code), &mut h.cx());
}

fn act(pane: &mut EnvironmentsPane, h: &mut Harness, action: Action) {
    pane.on_action(action, &mut h.cx());
}

/// Runs the spawned work and hands each answer back to the pane.
async fn settle(pane: &mut EnvironmentsPane, h: &mut Harness) {
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
}

fn with_envs(envs: &[EnvView]) -> EnvironmentsPane {
    let mut pane = EnvironmentsPane::new();
    pane.set_envs(envs);
    pane
}

fn flashes(effects: &[Effect]) -> (Vec<String>, Vec<String>) {
    let mut info = Vec::new();
    let mut errors = Vec::new();
    for effect in effects {
        match effect {
            Effect::Info(m) => info.push(m.clone()),
            Effect::Error(m) => errors.push(m.clone()),
            _ => {}
        }
    }
    (info, errors)
}

fn refreshed(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::RefreshEnvs))
}

/// Fills the add form: name, URL, class (cycled to staging), key.
fn fill_add_form(pane: &mut EnvironmentsPane, h: &mut Harness, name: &str, url: &str) {
    act(pane, h, Action::Add);
    assert!(pane.captures_input());
    type_text(pane, h, name);
    press(pane, h, KeyCode::Tab);
    type_text(pane, h, url);
    press(pane, h, KeyCode::Tab);
    press(pane, h, KeyCode::Char(' '));
    press(pane, h, KeyCode::Tab);
    type_text(pane, h, KEY);
}

async fn store_env(h: &Harness, name: &str, url: &str, class: EnvClass) -> EnvView {
    h.ops
        .env_add(EnvAdd {
            name: name.into(),
            url: url.into(),
            class,
            api_key: Secret::new(KEY),
            git_repo: None,
            git_branch: None,
        })
        .await
        .expect("add an environment")
}

#[test]
fn every_width_between_narrow_and_wide_shows_the_names() {
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    for width in [80, 100, 120, 140, 159, 160, 180, 200] {
        let screen = fixture.render(&mut pane, (width, 30));
        for name in ["development", "staging", "production"] {
            assert!(
                screen
                    .lines()
                    .nth(2)
                    .is_some_and(|l| l.contains("development"))
                    && screen.contains(name),
                "at {width} columns the list lost '{name}':\n{screen}"
            );
        }
    }
}

#[test]
fn snapshot_populated() {
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    pane.cursor.selected = 1;
    pane.selected = Some("staging".into());
    pane.marks.insert("development".into());
    insta::assert_snapshot!("populated_narrow", fixture.render(&mut pane, NARROW));
    let screen = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("populated_wide", screen);
    assert!(
        screen.contains("http://127.0.0.1:5679") && screen.contains("down: connection refused")
    );
}

#[test]
fn snapshot_empty_and_readonly() {
    let mut fixture = Fixture {
        envs: Vec::new(),
        ..Fixture::default()
    };
    let mut pane = EnvironmentsPane::new();
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("empty_narrow", screen);
    assert!(screen.contains("Press a to add one"), "{screen}");
    insta::assert_snapshot!("empty_wide", fixture.render(&mut pane, WIDE));
    fixture.readonly = true;
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("empty_readonly_narrow", screen);
    assert!(!screen.contains("Press a"), "{screen}");
}

#[test]
fn snapshot_test_running_and_failed() {
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    pane.tests.insert("development".into(), TestState::Running);
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("testing_narrow", screen);
    assert!(screen.contains("testing…"));
    pane.tests.insert(
        "development".into(),
        TestState::Done(ConnectionTest {
            env: "development".into(),
            url: "http://127.0.0.1:5678".into(),
            ok: false,
            reachable: true,
            key_accepted: false,
            version: None,
            api_generation: None,
            can_list_credentials: false,
            latency_ms: None,
            problem: Some(ConnectionProblem::WrongKey),
            message: Some("development: the API key was refused (401)".into()),
        }),
    );
    insta::assert_snapshot!("test_failed_narrow", fixture.render(&mut pane, NARROW));
    insta::assert_snapshot!("test_failed_wide", fixture.render(&mut pane, WIDE));
}

#[tokio::test]
async fn snapshot_form_masks_the_key() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    fill_add_form(&mut pane, &mut h, "qa-eu", "https://qa.example");
    let narrow = fixture.render(&mut pane, NARROW);
    let wide = fixture.render(&mut pane, WIDE);
    insta::assert_snapshot!("form_add_narrow", narrow);
    insta::assert_snapshot!("form_add_wide", wide);
    for screen in [&narrow, &wide] {
        assert!(
            !screen.contains(KEY) && !screen.contains("s3cr3t"),
            "{screen}"
        );
        assert!(
            screen.contains(&MASK.to_string().repeat(KEY.len())),
            "{screen}"
        );
        assert!(screen.contains("qa-eu") && screen.contains("staging"));
    }
}

#[tokio::test]
async fn snapshot_form_edit() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    pane.cursor.selected = 2;
    act(&mut pane, &mut h, Action::Edit);
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("form_edit_narrow", screen);
    assert!(screen.contains("Edit production") && screen.contains("empty keeps the current key"));
}

#[tokio::test]
async fn form_errors_name_their_field_and_keep_what_was_typed() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    fill_add_form(&mut pane, &mut h, "qa-eu", "ftp://qa.example");
    press(&mut pane, &mut h, KeyCode::Enter);
    settle(&mut pane, &mut h).await;

    let form = pane.form.as_ref().expect("the form stays open");
    assert!(!form.submitting);
    assert!(
        form.error(Field::Url)
            .is_some_and(|e| e.contains("http://"))
    );
    assert_eq!(form.value(Field::Name), "qa-eu");
    assert_eq!(form.value(Field::Url), "ftp://qa.example");
    assert_eq!(form.value(Field::Class), "staging");
    assert_eq!(form.value(Field::Key), KEY);
    assert!(!refreshed(&h.effects));
    let screen = fixture.render(&mut pane, NARROW);
    insta::assert_snapshot!("form_url_error_narrow", screen);
    assert!(screen.contains("↳ invalid URL"), "{screen}");
    assert!(!screen.contains(KEY));

    // Editing the field clears its error; a bad name is then put on the name.
    for _ in 0.."ftp".len() {
        press(&mut pane, &mut h, KeyCode::Home);
    }
    for _ in 0.."ftp".len() {
        press(&mut pane, &mut h, KeyCode::Delete);
    }
    type_text(&mut pane, &mut h, "http");
    let form = pane.form.as_ref().unwrap();
    assert_eq!(form.value(Field::Url), "http://qa.example");
    assert!(form.error(Field::Url).is_none());
    press(&mut pane, &mut h, KeyCode::BackTab);
    type_text(&mut pane, &mut h, " x");
    press(&mut pane, &mut h, KeyCode::Enter);
    settle(&mut pane, &mut h).await;
    let form = pane.form.as_ref().expect("still open");
    assert!(
        form.error(Field::Name)
            .is_some_and(|e| e.contains("qa-eu x"))
    );
    assert_eq!(form.value(Field::Url), "http://qa.example");
}

#[tokio::test]
async fn a_duplicate_name_is_shown_on_the_name_field() {
    let mut h = Harness::new().await;
    store_env(&h, "qa", "http://127.0.0.1:9", EnvClass::Staging).await;
    let mut pane = EnvironmentsPane::new();
    fill_add_form(&mut pane, &mut h, "qa", "http://127.0.0.1:10");
    press(&mut pane, &mut h, KeyCode::Enter);
    settle(&mut pane, &mut h).await;
    let form = pane.form.as_ref().expect("the form stays open");
    assert!(
        form.error(Field::Name)
            .is_some_and(|e| e.contains("already exists"))
    );
}

#[tokio::test]
async fn a_valid_form_adds_the_environment_and_closes() {
    let mut h = Harness::new().await;
    let mut pane = EnvironmentsPane::new();
    fill_add_form(&mut pane, &mut h, "qa-eu", "http://127.0.0.1:9/api/v1/");
    press(&mut pane, &mut h, KeyCode::Enter);
    assert!(pane.form.as_ref().unwrap().submitting);
    // A second enter while saving sends nothing more.
    press(&mut pane, &mut h, KeyCode::Enter);
    settle(&mut pane, &mut h).await;
    assert!(pane.form.is_none() && !pane.captures_input());
    assert!(refreshed(&h.effects));
    let env = h.ops.env_show("qa-eu".into()).await.expect("stored");
    assert_eq!(env.class, EnvClass::Staging);
    assert_eq!(env.url, "http://127.0.0.1:9");
    assert_eq!(h.ops.env_list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn editing_sends_only_changes_and_an_empty_key_keeps_the_key() {
    let mut h = Harness::new().await;
    let env = store_env(&h, "qa", "http://127.0.0.1:9", EnvClass::Staging).await;
    let mut pane = with_envs(std::slice::from_ref(&env));
    act(&mut pane, &mut h, Action::Edit);
    type_text(&mut pane, &mut h, "0");
    let FormRequest::Update(update) = pane.form.as_ref().unwrap().request() else {
        panic!("an edit sends an update");
    };
    assert_eq!(update.url.as_deref(), Some("http://127.0.0.1:90"));
    assert!(update.api_key.is_none() && update.class.is_none());
    assert!(update.git_repo.is_none() && update.git_branch.is_none());
    // Tab to the repo and fill it: it is sent, the key still is not.
    for _ in 0..3 {
        press(&mut pane, &mut h, KeyCode::Tab);
    }
    type_text(&mut pane, &mut h, "git@example:flows.git");
    press(&mut pane, &mut h, KeyCode::Enter);
    settle(&mut pane, &mut h).await;
    assert!(pane.form.is_none());
    let stored = h.ops.env_show("qa".into()).await.unwrap();
    assert_eq!(stored.url, "http://127.0.0.1:90");
    assert_eq!(stored.git_repo.as_deref(), Some("git@example:flows.git"));
}

#[tokio::test]
async fn esc_cancels_the_form() {
    let mut h = Harness::new().await;
    let mut pane = EnvironmentsPane::new();
    fill_add_form(&mut pane, &mut h, "qa", "http://x");
    press(&mut pane, &mut h, KeyCode::Esc);
    assert!(pane.form.is_none());
    assert!(h.run_spawned().await.is_empty());
}

#[tokio::test]
async fn delete_asks_for_the_exact_name_then_removes() {
    let mut h = Harness::new().await;
    let env = store_env(&h, "staging", "http://127.0.0.1:9", EnvClass::Staging).await;
    let mut pane = with_envs(&[env]);
    act(&mut pane, &mut h, Action::Delete);
    let confirm = match h.effects.pop() {
        Some(Effect::Confirm(confirm)) => confirm,
        _ => panic!("delete asks first"),
    };
    assert_eq!(confirm.type_to_confirm.as_deref(), Some("staging"));
    assert!(h.effects.is_empty(), "nothing runs before the answer");
    assert!(h.ops.env_show("staging".into()).await.is_ok());
    // The shell hands the payload back once the name was typed.
    pane.on_msg(confirm.payload, &mut h.cx());
    settle(&mut pane, &mut h).await;
    assert!(refreshed(&h.effects));
    assert!(h.ops.env_show("staging".into()).await.is_err());
}

#[tokio::test]
async fn readonly_refuses_changes_but_allows_looking() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    for action in [Action::Add, Action::Edit, Action::Delete, Action::Sync] {
        pane.on_action(action, &mut Cx::new(&h.ops, true, &mut h.effects));
    }
    assert!(pane.form.is_none());
    assert!(
        !h.effects
            .iter()
            .any(|e| matches!(e, Effect::Confirm(_) | Effect::Spawn(_)))
    );
    assert_eq!(flashes(&h.effects).1.len(), 4);
    h.effects.clear();
    pane.on_action(Action::Enter, &mut Cx::new(&h.ops, true, &mut h.effects));
    assert!(matches!(
        &h.effects[..],
        [Effect::Open(PaneKind::Workflows, Nav::Env(name))] if name == "development"
    ));
}

#[tokio::test]
async fn moving_sets_the_focus_and_marks_pick_the_targets() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Bottom);
    let focus: Vec<_> = h
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::FocusEnv(env) => env.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(focus, ["staging", "production"]);
    assert_eq!(pane.targets(), ["production"]);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Top);
    act(&mut pane, &mut h, Action::Mark);
    assert_eq!(pane.targets(), ["development", "production"]);
    act(&mut pane, &mut h, Action::Mark);
    assert_eq!(pane.targets(), ["production"]);
    assert!(pane.back() && !pane.back());
    // The filter keeps the cursor on its environment.
    pane.set_filter(Filter::parse("prod"));
    assert_eq!(pane.visible.len(), 1);
    assert_eq!(pane.current().unwrap().name, "production");
}

#[tokio::test]
async fn sync_of_the_marked_environments_flashes_the_job() {
    let mut h = Harness::new().await;
    let a = store_env(&h, "dev", "http://127.0.0.1:9", EnvClass::Development).await;
    let b = store_env(&h, "prod", "http://127.0.0.1:9", EnvClass::Production).await;
    let mut pane = with_envs(&[a, b]);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Down);
    act(&mut pane, &mut h, Action::Mark);
    act(&mut pane, &mut h, Action::Sync);
    h.effects.retain(|e| matches!(e, Effect::Spawn(_)));
    settle(&mut pane, &mut h).await;
    let (info, errors) = flashes(&h.effects);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(info[0].starts_with("syncing dev, prod: job "), "{info:?}");
    assert!(pane.marks.is_empty());
}

#[tokio::test]
async fn test_reports_version_api_and_latency() {
    let sim = sim::start(SimOptions {
        api_key: KEY.into(),
        ..SimOptions::default()
    })
    .await
    .expect("start the simulator");
    let mut h = Harness::new().await;
    let env = store_env(&h, "dev", &sim.url, EnvClass::Development).await;
    let mut pane = with_envs(&[env]);
    act(&mut pane, &mut h, Action::Test);
    assert!(matches!(pane.tests.get("dev"), Some(TestState::Running)));
    settle(&mut pane, &mut h).await;
    let (info, errors) = flashes(&h.effects);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        info[0].starts_with("dev: ok · n8n 1.123.0 · API 1.x · ") && info[0].contains(" ms"),
        "{info:?}"
    );
    assert!(matches!(pane.tests.get("dev"), Some(TestState::Done(t)) if t.ok));
    sim.shutdown().await;
}

#[tokio::test]
async fn tiny_screens_do_not_break_the_drawing() {
    let mut h = Harness::new().await;
    let fixture = Fixture::default();
    let mut pane = with_envs(&fixture.envs);
    pane.marks.insert("staging".into());
    for size in [(1, 1), (4, 3), (20, 6), (40, 13)] {
        fixture.render(&mut pane, size);
    }
    fill_add_form(&mut pane, &mut h, "qa", "ftp://x");
    press(&mut pane, &mut h, KeyCode::Enter);
    settle(&mut pane, &mut h).await;
    for size in [(1, 1), (4, 3), (20, 6), (40, 13)] {
        fixture.render(&mut pane, size);
    }
}

mod drift;
