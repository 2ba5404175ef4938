//! The shell without a terminal: keys fed in, screens drawn into a `TestBackend`,
//! over probe panes that record what reaches them.

use super::*;
use crate::domain::job::JobState;
use crate::service::{Event, EventBody};
use crate::tui::pane::Confirm;
use crate::tui::pane::Cx;
use crate::tui::testing::{self, Harness, NARROW, WIDE};
use crossterm::event::KeyModifiers;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Mutex;

type Log = Arc<Mutex<Vec<String>>>;

/// A pane that records every call and draws only its title.
struct Probe {
    kind: PaneKind,
    log: Log,
    captures: bool,
}

impl Probe {
    fn record(&self, what: String) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}: {what}", self.kind.title()));
    }
}

impl Pane for Probe {
    fn kind(&self) -> PaneKind {
        self.kind
    }

    fn actions(&self) -> Vec<Action> {
        vec![
            Action::Down,
            Action::Up,
            Action::Enter,
            Action::Mark,
            Action::Activate,
            Action::Delete,
            Action::Diff,
            Action::Refresh,
        ]
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        let block = ratatui::widgets::Block::bordered()
            .border_style(ui.theme.border)
            .title(format!(" {} ", self.kind.title()));
        frame.render_widget(
            ratatui::widgets::Paragraph::new("(the pane draws here)").block(block),
            area,
        );
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        self.record(format!("action {}", action.name()));
        match action {
            Action::Enter => cx.spawn(|_ops| async { "loaded".to_owned() }),
            Action::Delete => cx.confirm(Confirm {
                title: "Delete workflows".into(),
                message: "Delete 2 workflows from production? They stay restorable from the trash."
                    .into(),
                type_to_confirm: Some("production".into()),
                payload: Box::new("delete confirmed".to_owned()),
            }),
            Action::Diff => cx.confirm(Confirm {
                title: "Activate".into(),
                message: "Activate 1 workflow in staging?".into(),
                type_to_confirm: None,
                payload: Box::new("activate confirmed".to_owned()),
            }),
            Action::Refresh => cx.open(PaneKind::Diff, Nav::Show),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, _cx: &mut Cx) {
        let text = msg
            .downcast::<String>()
            .map(|s| *s)
            .unwrap_or_else(|_| "?".into());
        self.record(format!("msg {text}"));
    }

    fn on_open(&mut self, nav: Nav, _cx: &mut Cx) {
        self.record(format!("open {nav:?}"));
    }

    fn on_event(&mut self, event: &Event, _cx: &mut Cx) {
        self.record(format!("event {}", event.job_id));
    }

    fn set_filter(&mut self, filter: Filter) {
        self.record(format!("filter {}", filter.text));
    }

    fn captures_input(&self) -> bool {
        self.captures
    }

    fn on_key(&mut self, key: KeyEvent, _cx: &mut Cx) {
        self.record(format!("key {:?}", key.code));
    }

    fn back(&mut self) -> bool {
        self.record("back".into());
        false
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![("differs", "rows that differ somewhere")]
    }

    fn on_command(&mut self, name: &str, arg: &str, _cx: &mut Cx) {
        self.record(format!("command {name} {arg}"));
    }
}

const KINDS: [PaneKind; 7] = [
    PaneKind::Environments,
    PaneKind::Workflows,
    PaneKind::Matrix,
    PaneKind::Executions,
    PaneKind::Jobs,
    PaneKind::Audit,
    PaneKind::Diff,
];

async fn app(readonly: bool) -> (App, Log, Harness) {
    let h = Harness::new().await;
    let log = Log::default();
    let panes: Vec<Box<dyn Pane>> = KINDS
        .iter()
        .map(|&kind| {
            Box::new(Probe {
                kind,
                log: log.clone(),
                captures: false,
            }) as Box<dyn Pane>
        })
        .collect();
    let mut app = App::new(
        h.ops.clone(),
        AppOptions {
            readonly,
            theme: Theme::default(),
            keymap: Keymap::default(),
            heartbeat: Duration::from_secs(5),
        },
        panes,
    );
    app.start();
    (app, log, h)
}

/// What the panes recorded since the last call.
fn drain(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn flash(app: &App) -> Option<(&str, bool)> {
    app.flash.as_ref().map(|f| (f.text.as_str(), f.error))
}

/// The fixture's environments and health, as if loaded; production in focus.
fn populate(app: &mut App) {
    app.envs = testing::envs();
    app.health = testing::health();
    app.focus = Some("production".into());
}

fn render(app: &mut App, (width, height): (u16, u16)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.draw(f, testing::now())).unwrap();
    testing::screen_text(terminal.backend())
}

#[tokio::test]
async fn keys_reach_the_pane_through_the_keymap() {
    let (mut app, log, _h) = app(false).await;
    assert_eq!(drain(&log), ["Environments: open Show"]);
    press(&mut app, "jkA");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "z");
    assert_eq!(
        drain(&log),
        [
            "Environments: action down",
            "Environments: action up",
            "Environments: action activate",
            "Environments: action enter",
        ],
        "z is bound to nothing here"
    );
}

#[tokio::test]
async fn readonly_refuses_mutating_actions_with_a_flash() {
    let (mut app, log, _h) = app(true).await;
    drain(&log);
    press(&mut app, "Ad");
    assert!(
        drain(&log).is_empty(),
        "neither activate nor delete reached the pane"
    );
    let (text, error) = flash(&app).expect("a flash");
    assert!(
        error && text.contains("Read-only") && text.contains("delete"),
        "{text}"
    );
    press(&mut app, "j=");
    assert_eq!(
        drain(&log),
        ["Environments: action down", "Environments: action diff"]
    );
}

#[tokio::test]
async fn spawned_work_comes_back_to_the_pane_that_spawned_it() {
    let (mut app, log, _h) = app(false).await;
    press(&mut app, "3");
    key(&mut app, KeyCode::Enter);
    let spawned = app.take_spawned();
    let pane_work: Vec<Spawned> = spawned
        .into_iter()
        .filter(|s| s.target != Target::Shell)
        .collect();
    assert_eq!(pane_work.len(), 1);
    drain(&log);
    for s in pane_work {
        assert_eq!(s.target, Target::Pane(2));
        let msg = s.work.await;
        app.deliver(s.target, msg);
    }
    assert_eq!(drain(&log), ["Matrix: msg loaded"]);
}

#[tokio::test]
async fn tab_digits_and_esc_move_between_panes_opening_each_once() {
    let (mut app, log, _h) = app(false).await;
    drain(&log);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.current_kind(), Some(PaneKind::Workflows));
    press(&mut app, "5");
    assert_eq!(app.current_kind(), Some(PaneKind::Jobs));
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.current_kind(), Some(PaneKind::Executions));
    press(&mut app, "2");
    assert_eq!(
        drain(&log),
        [
            "Workflows: open Show",
            "Jobs: open Show",
            "Executions: open Show"
        ],
        "the second visit to Workflows does not open it again"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.current_kind(), Some(PaneKind::Executions));
    assert_eq!(drain(&log), ["Workflows: back"], "the pane is asked first");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.current_kind(), Some(PaneKind::Workflows));
    press(&mut app, "8");
    assert_eq!(app.current_kind(), Some(PaneKind::Workflows), "no 8th pane");
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.should_quit());
}

#[tokio::test]
async fn the_filter_is_remembered_per_pane_and_esc_puts_it_back() {
    let (mut app, log, _h) = app(false).await;
    press(&mut app, "/sla");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        drain(&log)[1..],
        [
            "Environments: filter s",
            "Environments: filter sl",
            "Environments: filter sla"
        ]
    );
    press(&mut app, "2/!prod");
    key(&mut app, KeyCode::Enter);
    assert!(app.filters[1].invert);
    press(&mut app, "1");
    assert_eq!(app.filters[0].text, "sla");
    press(&mut app, "/x");
    let screen = render(&mut app, NARROW);
    assert!(
        screen.contains("/slax"),
        "the line opens with the pane's filter:\n{screen}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filters[0].text, "sla", "esc cancels the edit");
    assert_eq!(
        drain(&log).last().map(String::as_str),
        Some("Environments: filter sla")
    );
    let screen = render(&mut app, NARROW);
    assert!(screen.contains("filter /sla"), "{screen}");
    // j is text while the line is open, a move once it is closed.
    press(&mut app, "/");
    press(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filters[0].text, "slaj");
}

#[tokio::test]
async fn commands_aliases_and_pane_commands() {
    let (mut app, log, _h) = app(false).await;
    for (line, kind) in [
        (":wf", PaneKind::Workflows),
        (":matrix", PaneKind::Matrix),
        (":exec", PaneKind::Executions),
        (":jobs", PaneKind::Jobs),
        (":audit", PaneKind::Audit),
        (":diff", PaneKind::Diff),
        (":env", PaneKind::Environments),
        (":environments", PaneKind::Environments),
        (":workflows", PaneKind::Workflows),
    ] {
        press(&mut app, line);
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.current_kind(), Some(kind), "{line}");
    }
    drain(&log);
    press(&mut app, ":wf production");
    key(&mut app, KeyCode::Enter);
    press(&mut app, ":differs only");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        drain(&log),
        [
            "Workflows: open Env(\"production\")",
            "Workflows: command differs only"
        ]
    );
    press(&mut app, ":launch");
    key(&mut app, KeyCode::Enter);
    let (text, error) = flash(&app).expect("a flash");
    assert!(error && text.contains(":launch"), "{text}");
    press(&mut app, ":matrix now");
    key(&mut app, KeyCode::Enter);
    assert!(flash(&app).is_some_and(|(t, _)| t.contains("takes no argument")));
    press(&mut app, ":help");
    key(&mut app, KeyCode::Enter);
    assert!(app.help.is_some());
    key(&mut app, KeyCode::Esc);
    assert!(app.help.is_none());
    press(&mut app, ":ma");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.current_kind(),
        Some(PaneKind::Matrix),
        "tab completed :ma"
    );
    press(&mut app, ":q");
    key(&mut app, KeyCode::Enter);
    assert!(app.should_quit());
}

#[tokio::test]
async fn confirmations_send_the_payload_back_on_yes_only() {
    let (mut app, log, _h) = app(false).await;
    press(&mut app, "=");
    press(&mut app, "jn");
    assert!(app.confirms.is_empty());
    press(&mut app, "=y");
    press(&mut app, "d");
    press(&mut app, "y");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.confirms.len(), 1, "y is not the name");
    key(&mut app, KeyCode::Backspace);
    press(&mut app, "production");
    key(&mut app, KeyCode::Enter);
    assert!(app.confirms.is_empty());
    assert_eq!(
        drain(&log)[1..],
        [
            "Environments: action diff",
            "Environments: action diff",
            "Environments: msg activate confirmed",
            "Environments: action delete",
            "Environments: msg delete confirmed",
        ],
        "keys under the modal never reached the pane"
    );
}

#[tokio::test]
async fn panes_capturing_input_get_every_key_raw() {
    let (mut app, log, _h) = app(false).await;
    drain(&log);
    // The environments pane opens a form.
    let probe = Probe {
        kind: PaneKind::Environments,
        log: log.clone(),
        captures: true,
    };
    app.panes[0] = Box::new(probe);
    press(&mut app, "q:");
    key(&mut app, KeyCode::Esc);
    assert!(!app.should_quit());
    assert_eq!(
        drain(&log),
        [
            "Environments: key Char('q')",
            "Environments: key Char(':')",
            "Environments: key Esc"
        ]
    );
}

#[tokio::test]
async fn effects_open_panes_and_events_reach_header_and_panes() {
    let (mut app, log, _h) = app(false).await;
    app.take_spawned();
    app.on_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    assert_eq!(app.current_kind(), Some(PaneKind::Diff));
    drain(&log);

    app.on_event(&testing::event(
        "j1",
        EventBody::Started {
            kind: "sync".into(),
            title: "Sync all environments".into(),
        },
    ));
    app.on_event(&testing::event(
        "j1",
        EventBody::Progress {
            phase: "workflows".into(),
            done: 1,
            total: 3,
        },
    ));
    assert_eq!(app.jobs.len(), 1);
    assert_eq!((app.jobs[0].done, app.jobs[0].total), (1, 3));
    assert_eq!(drain(&log).len(), 14, "both events went to all seven panes");
    app.on_event(&testing::event(
        "j1",
        EventBody::Finished {
            state: JobState::Failed,
            result: None,
            error: Some("production: connection refused".into()),
        },
    ));
    assert!(app.jobs.is_empty());
    assert_eq!(app.unseen, 1);
    let (text, error) = flash(&app).expect("a flash");
    assert!(
        error && text.contains("Sync all environments failed"),
        "{text}"
    );
    assert!(
        app.take_spawned().iter().any(|s| s.target == Target::Shell),
        "environments reload when a job finishes"
    );
    press(&mut app, "5");
    assert_eq!(app.unseen, 0, "looking at the jobs pane clears the count");
}

#[tokio::test]
async fn a_job_that_started_before_the_shell_is_named_from_the_store() {
    let (mut app, _log, h) = app(false).await;
    run_shell_work(&mut app).await;
    add_unreachable_env(&h).await;
    let started = h
        .ops
        .sync(crate::service::SyncRequest::default())
        .await
        .unwrap();
    let mut job = None;
    for _ in 0..1000 {
        let j = h.ops.job_get(started.job_id.clone()).await.unwrap().job;
        if j.state.is_finished() {
            job = Some(j);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let job = job.expect("the sync finishes");
    let finished = |id: &str| {
        testing::event(
            id,
            EventBody::Finished {
                state: JobState::Failed,
                result: None,
                error: Some("development: connection refused".into()),
            },
        )
    };
    app.on_event(&finished(&started.job_id));
    run_shell_work(&mut app).await;
    let (text, error) = flash(&app).expect("a flash");
    assert!(error && text.starts_with(&job.title), "{text}");

    app.on_event(&finished("no-such-job"));
    run_shell_work(&mut app).await;
    let (text, _) = flash(&app).expect("a flash");
    assert!(text.contains("could not be read"), "{text}");
    assert!(app.jobs.is_empty());
}

async fn add_unreachable_env(h: &Harness) {
    h.ops
        .env_add(crate::service::EnvAdd {
            name: "development".into(),
            url: "http://127.0.0.1:9".into(),
            class: crate::domain::environment::EnvClass::Development,
            api_key: crate::service::Secret::new("key".to_owned()),
            git_repo: None,
            git_branch: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn environments_load_and_every_one_gets_a_heartbeat() {
    let (mut app, _log, h) = app(false).await;
    add_unreachable_env(&h).await;
    app.take_spawned();
    app.load_envs();
    run_shell_work(&mut app).await;
    assert_eq!(app.envs.len(), 1);
    assert!(
        matches!(app.health.get("development"), Some(Health::Down { .. })),
        "{:?}",
        app.health
    );
    // A tick within the interval checks nothing; after it, every environment again.
    // Each heartbeat also counts the open incidents for the header (one more piece of
    // shell work).
    let t0 = Instant::now();
    app.on_tick(t0);
    assert_eq!(shell_work(&mut app), 1 + 1, "the first tick checks at once");
    app.checking.clear();
    app.on_tick(t0 + Duration::from_secs(1));
    assert_eq!(shell_work(&mut app), 0);
    app.on_tick(t0 + Duration::from_secs(6));
    assert_eq!(shell_work(&mut app), 1 + 1);
    app.on_tick(t0 + Duration::from_secs(12));
    assert_eq!(
        shell_work(&mut app),
        1,
        "the last check is still running: only the incidents are counted"
    );
}

fn shell_work(app: &mut App) -> usize {
    app.take_spawned()
        .iter()
        .filter(|s| s.target == Target::Shell)
        .count()
}

/// Runs the shell's work (and what it spawns) to the end.
async fn run_shell_work(app: &mut App) {
    loop {
        let work: Vec<Spawned> = app
            .take_spawned()
            .into_iter()
            .filter(|s| s.target == Target::Shell)
            .collect();
        if work.is_empty() {
            return;
        }
        for s in work {
            let msg = s.work.await;
            app.deliver(s.target, msg);
        }
    }
}

// ---- whole screens ----

#[tokio::test]
async fn snapshot_the_shell() {
    let (mut app, _log, _h) = app(false).await;
    populate(&mut app);
    press(&mut app, "3");
    app.on_event(&testing::event(
        "j1",
        EventBody::Started {
            kind: "sync".into(),
            title: "Sync all environments".into(),
        },
    ));
    app.on_event(&testing::event(
        "j1",
        EventBody::Progress {
            phase: "workflows".into(),
            done: 2,
            total: 3,
        },
    ));
    app.unseen = 2;
    insta::assert_snapshot!("shell_narrow", render(&mut app, NARROW));
    insta::assert_snapshot!("shell_wide", render(&mut app, WIDE));
}

#[tokio::test]
async fn snapshot_the_help_overlay() {
    let (mut app, _log, _h) = app(false).await;
    populate(&mut app);
    press(&mut app, "?");
    insta::assert_snapshot!("help_narrow", render(&mut app, NARROW));
    insta::assert_snapshot!("help_wide", render(&mut app, WIDE));
    // Page sizes come from the last draw.
    render(&mut app, NARROW);
    press(&mut app, "G");
    let screen = render(&mut app, NARROW);
    assert!(
        screen.contains("ctrl-u clears"),
        "scrolled to the end:\n{screen}"
    );
}

#[tokio::test]
async fn snapshot_the_command_line_with_completion() {
    let (mut app, _log, _h) = app(false).await;
    populate(&mut app);
    press(&mut app, ":e");
    insta::assert_snapshot!("command_narrow", render(&mut app, NARROW));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("command_cycled_wide", render(&mut app, WIDE));
}

#[tokio::test]
async fn snapshot_the_confirm_modals() {
    let (mut app, _log, _h) = app(false).await;
    populate(&mut app);
    press(&mut app, "d");
    press(&mut app, "prod");
    insta::assert_snapshot!("confirm_typed_narrow", render(&mut app, NARROW));
    insta::assert_snapshot!("confirm_typed_wide", render(&mut app, WIDE));
    key(&mut app, KeyCode::Esc);
    press(&mut app, "=");
    insta::assert_snapshot!("confirm_yes_no_narrow", render(&mut app, NARROW));
}

#[tokio::test]
async fn snapshot_readonly_and_a_flash() {
    let (mut app, _log, _h) = app(true).await;
    populate(&mut app);
    app.focus = Some("staging".into());
    press(&mut app, "A");
    let screen = render(&mut app, NARROW);
    assert!(
        !screen.contains("activate  "),
        "no mutating hint:\n{screen}"
    );
    insta::assert_snapshot!("readonly_narrow", screen);
    insta::assert_snapshot!("readonly_wide", render(&mut app, WIDE));
}

#[tokio::test]
async fn snapshot_the_filter_line() {
    let (mut app, _log, _h) = app(false).await;
    populate(&mut app);
    app.focus = None;
    press(&mut app, "/!slack");
    insta::assert_snapshot!("filter_line_narrow", render(&mut app, NARROW));
}

#[tokio::test]
async fn tiny_terminals_draw_without_panicking() {
    let (mut app, _log, _h) = app(false).await;
    populate(&mut app);
    for size in [(1, 1), (10, 3), (20, 7), (30, 8)] {
        render(&mut app, size);
        press(&mut app, "?");
        render(&mut app, size);
        key(&mut app, KeyCode::Esc);
        press(&mut app, ":e");
        render(&mut app, size);
        key(&mut app, KeyCode::Esc);
        press(&mut app, "d");
        render(&mut app, size);
        key(&mut app, KeyCode::Esc);
    }
}
