//! The TUI's one loop: `tokio::select!` over terminal input, service events, results
//! of spawned work and a tick. Frames are drawn only when something changed, at most
//! 60 a second, each wrapped in a synchronized update so SSH sessions never tear.

use super::app::{App, AppOptions, Spawned, Target};
use super::keymap::Keymap;
use super::pane::{Pane, PaneMsg};
use super::panes::{
    audit::AuditPane, deployments::DeploymentsPane, diff::DiffPane, environments::EnvironmentsPane,
    executions::ExecutionsPane, incidents::IncidentsPane, jobs::JobsPane, matrix::MatrixPane,
    pipelines::PipelinesPane, promote::PromotePane, snapshots::SnapshotsPane,
    workflows::WorkflowsPane,
};
use super::terminal::{self, Term};
use super::theme::{self, Theme};
use crate::config::Config;
use crate::service::Ops;
use anyhow::{Context as _, Result};
use crossterm::event::EventStream;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use futures_util::{FutureExt, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

/// The shortest time between two frames (60 fps).
const FRAME: Duration = Duration::from_millis(16);
/// Panes tick, flashes expire and heartbeats fall due this often.
const TICK: Duration = Duration::from_secs(1);

/// Everything the TUI is started with.
pub struct TuiOptions {
    pub readonly: bool,
    pub theme: Theme,
    pub keymap: Keymap,
    /// Time between connection checks of every environment.
    pub heartbeat: Duration,
    /// Executions the tail keeps in memory.
    pub executions_buffer: usize,
    /// Time between polls of each environment's executions.
    pub executions_poll: Duration,
}

impl TuiOptions {
    /// From the config's `[tui]` and `[keys]`; NO_COLOR wins over the theme. Errors
    /// name the key or theme file at fault.
    pub fn from_config(config: &Config, readonly: bool) -> Result<TuiOptions> {
        let keymap = Keymap::with_overrides(&config.keys).map_err(anyhow::Error::msg)?;
        let theme = Theme::resolve(&config.tui.theme, theme::no_color_requested())?;
        Ok(TuiOptions {
            readonly,
            theme,
            keymap,
            heartbeat: Duration::from_secs(config.tui.heartbeat_secs.max(1)),
            executions_buffer: config.tui.executions_buffer,
            executions_poll: Duration::from_secs(config.tui.executions_poll_secs.max(1)),
        })
    }
}

/// The panes in tab and `1-9` order.
pub fn panes(options: &TuiOptions) -> Vec<Box<dyn Pane>> {
    vec![
        Box::new(EnvironmentsPane::new()),
        Box::new(WorkflowsPane::new()),
        Box::new(MatrixPane::new()),
        Box::new(ExecutionsPane::new(
            options.executions_buffer,
            options.executions_poll,
        )),
        Box::new(JobsPane::new()),
        Box::new(AuditPane::new()),
        Box::new(DiffPane::new()),
        Box::new(SnapshotsPane::new()),
        Box::new(DeploymentsPane::new()),
        Box::new(PromotePane::new()),
        Box::new(PipelinesPane::new()),
        Box::new(IncidentsPane::new()),
    ]
}

/// Runs the TUI until the person quits. The terminal is given back however it ends.
pub async fn run(ops: Arc<dyn Ops>, options: TuiOptions) -> Result<()> {
    let panes = panes(&options);
    let app = App::new(
        ops.clone(),
        AppOptions {
            readonly: options.readonly,
            theme: options.theme,
            keymap: options.keymap,
            heartbeat: options.heartbeat,
        },
        panes,
    );
    let mut guard = terminal::enter().context("setting up the terminal")?;
    let result = event_loop(&mut guard.terminal, ops, app).await;
    drop(guard);
    result
}

/// What comes back from work run off the loop.
enum Done {
    Finished(Target, PaneMsg),
    Panicked(Target),
}

async fn event_loop(terminal: &mut Term, ops: Arc<dyn Ops>, mut app: App) -> Result<()> {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let mut input = EventStream::new();
    let mut service_events = ops.subscribe();
    let mut events_open = true;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    app.start();
    let mut dirty = true;
    let mut next_frame = Instant::now();
    loop {
        for spawned in app.take_spawned() {
            spawn(spawned, done_tx.clone());
        }
        if app.should_quit() {
            return Ok(());
        }
        if dirty && Instant::now() >= next_frame {
            draw(terminal, &mut app).context("drawing to the terminal")?;
            dirty = false;
            next_frame = Instant::now() + FRAME;
        }
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => {
                    app.on_terminal_event(event);
                    dirty = true;
                }
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => return Ok(()),
            },
            event = service_events.next(), if events_open => match event {
                Some(event) => {
                    app.on_event(&event);
                    dirty = true;
                }
                None => events_open = false,
            },
            Some(done) = done_rx.recv() => {
                match done {
                    Done::Finished(target, msg) => app.deliver(target, msg),
                    Done::Panicked(target) => app.work_panicked(target),
                }
                dirty = true;
            }
            _ = tick.tick() => {
                app.on_tick(std::time::Instant::now());
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
}

fn spawn(spawned: Spawned, done: mpsc::UnboundedSender<Done>) {
    let Spawned { target, work } = spawned;
    tokio::spawn(async move {
        let outcome = match AssertUnwindSafe(work).catch_unwind().await {
            Ok(msg) => Done::Finished(target, msg),
            Err(_) => Done::Panicked(target),
        };
        // The loop has ended when nobody receives: nothing to do.
        let _ = done.send(outcome);
    });
}

fn draw(terminal: &mut Term, app: &mut App) -> std::io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| app.draw(frame, chrono::Utc::now()))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use std::collections::HashMap;

    /// In every pane as it opens, no key means two things: the shell's keys (tried
    /// first) and the pane's actions are all told apart by their default keys.
    #[test]
    fn no_default_key_means_two_actions_in_one_pane() {
        let options = TuiOptions {
            readonly: false,
            theme: Theme::default(),
            keymap: Keymap::default(),
            heartbeat: Duration::from_secs(5),
            executions_buffer: 100,
            executions_poll: Duration::from_secs(2),
        };
        let panes = panes(&options);
        let mut shell = vec![
            Action::Quit,
            Action::Help,
            Action::Command,
            Action::Filter,
            Action::Back,
            Action::NextPane,
            Action::PrevPane,
        ];
        shell.extend(
            Action::ALL
                .iter()
                .filter(|a| a.pane_index().is_some_and(|i| i < panes.len())),
        );
        for pane in &panes {
            let mut seen: HashMap<&str, Action> = HashMap::new();
            for action in shell.iter().copied().chain(pane.actions()) {
                for key in action.default_keys() {
                    if let Some(other) = seen.insert(key, action) {
                        assert_eq!(
                            other,
                            action,
                            "in {}, `{key}` is both {} and {}",
                            pane.kind().title(),
                            other.name(),
                            action.name()
                        );
                    }
                }
            }
        }
        let kinds: Vec<_> = panes.iter().map(|p| p.kind()).collect();
        assert!(kinds.contains(&crate::tui::pane::PaneKind::Snapshots));
    }
}
