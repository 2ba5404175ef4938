//! Helpers for pane tests: a fixed `Ui`, a real (empty) service over a temp SQLite
//! store for `Cx`, and rendering to text for insta snapshots.

use super::keymap::Keymap;
use super::pane::{Cx, Effect, Pane, PaneMsg};
use super::theme::Theme;
use super::ui::{Health, Ui};
use crate::domain::environment::EnvClass;
use crate::service::{EnvCounts, EnvView, Event, EventBody, LocalOps, Ops, Settings, Time};
use crate::store::test_support::{self, TestStore};
use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::sync::Arc;

/// The two sizes every pane is snapshotted at.
pub const NARROW: (u16, u16) = (80, 24);
pub const WIDE: (u16, u16) = (200, 50);

/// A fixed "now" so ages and countdowns in snapshots never change.
pub fn now() -> Time {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// An event of job `job_id`, as the service sends it to panes.
pub fn event(job_id: &str, body: EventBody) -> Event {
    Event {
        seq: 1,
        at: now(),
        job_id: job_id.into(),
        body,
    }
}

/// Three environments, one per class, as the header and panes see them.
pub fn envs() -> Vec<EnvView> {
    [
        ("development", EnvClass::Development, 60),
        ("staging", EnvClass::Staging, 58),
        ("production", EnvClass::Production, 55),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (name, class, workflows))| EnvView {
        name: name.into(),
        class,
        url: format!("http://127.0.0.1:{}", 5678 + i),
        git_repo: None,
        git_branch: None,
        created_at: now() - chrono::Duration::days(3),
        updated_at: now() - chrono::Duration::days(1),
        last_sync_at: Some(now() - chrono::Duration::minutes(5 + i as i64)),
        counts: EnvCounts {
            workflows,
            active: workflows / 3,
            ..EnvCounts::default()
        },
    })
    .collect()
}

pub fn health() -> HashMap<String, Health> {
    HashMap::from([
        (
            "development".to_string(),
            Health::Up {
                latency_ms: 12,
                version: Some("1.123.0".into()),
            },
        ),
        (
            "staging".to_string(),
            Health::Up {
                latency_ms: 31,
                version: Some("1.123.0".into()),
            },
        ),
        (
            "production".to_string(),
            Health::Down {
                problem: "connection refused".into(),
            },
        ),
    ])
}

/// Everything a `Ui` borrows, owned.
pub struct Fixture {
    pub theme: Theme,
    pub keymap: Keymap,
    pub envs: Vec<EnvView>,
    pub health: HashMap<String, Health>,
    pub readonly: bool,
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture {
            theme: Theme::default(),
            keymap: Keymap::default(),
            envs: envs(),
            health: health(),
            readonly: false,
        }
    }
}

impl Fixture {
    pub fn ui(&self) -> Ui<'_> {
        Ui {
            theme: &self.theme,
            keymap: &self.keymap,
            readonly: self.readonly,
            now: now(),
            envs: &self.envs,
            health: &self.health,
        }
    }

    /// Draws the pane over the whole screen and returns the screen as text.
    pub fn render(&self, pane: &mut dyn Pane, (width, height): (u16, u16)) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        let ui = self.ui();
        terminal
            .draw(|frame| {
                let area = frame.area();
                pane.draw(frame, area, &ui);
            })
            .expect("draw");
        screen_text(terminal.backend())
    }
}

/// The screen's characters, one line per row, trailing spaces trimmed.
pub fn screen_text(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let width = buffer.area.width as usize;
    let mut out = String::new();
    for row in buffer.content.chunks(width) {
        let line: String = row.iter().map(|cell| cell.symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A real service over an empty temp SQLite store, for `Cx`. Spawned work is only
/// collected by `Harness`, not run, unless a test runs it.
pub struct Harness {
    pub ops: Arc<dyn Ops>,
    pub effects: Vec<Effect>,
    _store: TestStore,
}

impl Harness {
    pub async fn new() -> Harness {
        let store = test_support::sqlite().await;
        let mut settings = Settings::from_config(&Default::default());
        settings.actor = "tester".into();
        let ops = LocalOps::new(store.store.clone(), settings)
            .await
            .expect("local ops");
        Harness {
            ops: Arc::new(ops),
            effects: Vec::new(),
            _store: store,
        }
    }

    pub fn cx(&mut self) -> Cx<'_> {
        Cx::new(&self.ops, false, &mut self.effects)
    }

    /// Runs every spawned future and returns their messages (clearing other effects).
    pub async fn run_spawned(&mut self) -> Vec<PaneMsg> {
        let mut out = Vec::new();
        for effect in std::mem::take(&mut self.effects) {
            if let Effect::Spawn(fut) = effect {
                out.push(fut.await);
            }
        }
        out
    }
}
