//! The shell: panes, header, footer, overlays and the routing of keys, service events,
//! results of spawned work and ticks. Plain state without a terminal: `run` feeds it
//! and draws it; tests do the same with a `TestBackend` and key events.

use super::action::Action;
use super::command_line::{self, CommandLine, Suggestion};
use super::confirm::ConfirmModal;
use super::filter::Filter;
use super::footer::{self, Flash, Hint};
use super::header::{self, HeaderInfo, IncidentIndicator, RunningJob};
use super::help::{self, Help, Section};
use super::input_line::InputLine;
use super::keymap::Keymap;
use super::pane::{Nav, Pane, PaneKind, PaneMsg};
use super::theme::Theme;
use super::ui::{Health, Ui};
use crate::service::{EnvView, JobQuery, Ops, Time};
use events::ShellMsg;
use futures_util::future::BoxFuture;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a flash stays on the status line.
const INFO_FOR: Duration = Duration::from_secs(4);
const ERROR_FOR: Duration = Duration::from_secs(8);
/// Panes `esc` can go back through.
const HISTORY: usize = 32;

/// Who gets the result of spawned work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Shell,
    /// An index into the panes.
    Pane(usize),
}

/// Work to run off the loop; its output goes back to `target` through `App::deliver`.
pub struct Spawned {
    pub target: Target,
    pub work: BoxFuture<'static, PaneMsg>,
}

/// What the shell is configured with.
pub struct AppOptions {
    pub readonly: bool,
    pub theme: Theme,
    pub keymap: Keymap,
    /// Time between connection checks of every environment.
    pub heartbeat: Duration,
}

/// The line open in the footer.
enum InputMode {
    Command(CommandLine),
    /// The `/` filter, applied as it is typed; `esc` puts `before` back.
    Filter {
        input: InputLine,
        before: Filter,
    },
}

pub struct App {
    ops: Arc<dyn Ops>,
    readonly: bool,
    theme: Theme,
    keymap: Keymap,
    heartbeat: Duration,
    panes: Vec<Box<dyn Pane>>,
    kinds: Vec<PaneKind>,
    current: usize,
    /// Panes whose `on_open` ran.
    opened: Vec<bool>,
    /// Panes shown before, for `esc`.
    history: Vec<usize>,
    /// Each pane's `/` filter.
    filters: Vec<Filter>,
    input: Option<InputMode>,
    help: Option<Help>,
    confirms: VecDeque<ConfirmModal>,
    flash: Option<Flash>,
    envs: Vec<EnvView>,
    envs_generation: u64,
    health: HashMap<String, Health>,
    /// Environments whose connection check is running.
    checking: HashSet<String>,
    last_heartbeat: Option<Instant>,
    focus: Option<String>,
    /// Running jobs, oldest first.
    jobs: Vec<RunningJob>,
    /// Jobs that finished since the jobs pane was last shown.
    unseen: usize,
    /// The last jobs seen finishing.
    finished: VecDeque<String>,
    /// Open incidents for the header, and a new one flashing.
    incidents: IncidentIndicator,
    /// Of the last load of the open incidents: older answers are dropped.
    incidents_generation: u64,
    spawned: Vec<Spawned>,
    quit: bool,
}

impl App {
    pub fn new(ops: Arc<dyn Ops>, options: AppOptions, panes: Vec<Box<dyn Pane>>) -> App {
        let n = panes.len();
        App {
            ops,
            readonly: options.readonly,
            theme: options.theme,
            keymap: options.keymap,
            heartbeat: options.heartbeat,
            kinds: panes.iter().map(|p| p.kind()).collect(),
            panes,
            current: 0,
            opened: vec![false; n],
            history: Vec::new(),
            filters: vec![Filter::default(); n],
            input: None,
            help: None,
            confirms: VecDeque::new(),
            flash: None,
            envs: Vec::new(),
            envs_generation: 0,
            health: HashMap::new(),
            checking: HashSet::new(),
            last_heartbeat: None,
            focus: None,
            jobs: Vec::new(),
            unseen: 0,
            finished: VecDeque::new(),
            incidents: IncidentIndicator::default(),
            incidents_generation: 0,
            spawned: Vec::new(),
            quit: false,
        }
    }

    /// Loads the environments and the running jobs, and opens the first pane.
    pub fn start(&mut self) {
        self.load_envs();
        let ops = self.ops.clone();
        self.spawn_shell(async move {
            ShellMsg::Jobs(ops.jobs_list(JobQuery { limit: Some(50) }).await)
        });
        self.load_incidents();
        if !self.panes.is_empty() {
            self.show(0, Nav::Show);
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn current_kind(&self) -> Option<PaneKind> {
        self.kinds.get(self.current).copied()
    }

    /// Work spawned since the last call, to run off the loop.
    pub fn take_spawned(&mut self) -> Vec<Spawned> {
        std::mem::take(&mut self.spawned)
    }

    pub fn draw(&mut self, frame: &mut Frame, now: Time) {
        let screen = frame.area();
        // The theme's own background and text colours under everything.
        frame.render_widget(
            ratatui::widgets::Block::new().style(self.theme.base),
            screen,
        );
        let chrome = screen.height >= 8;
        let (header_area, body, status, hints) = if chrome {
            let body_height = screen.height - header::HEIGHT - footer::HEIGHT;
            (
                Rect {
                    height: header::HEIGHT,
                    ..screen
                },
                Rect {
                    y: screen.y + header::HEIGHT,
                    height: body_height,
                    ..screen
                },
                Rect {
                    y: screen.bottom() - 2,
                    height: 1,
                    ..screen
                },
                Rect {
                    y: screen.bottom() - 1,
                    height: 1,
                    ..screen
                },
            )
        } else {
            (Rect::default(), screen, Rect::default(), Rect::default())
        };

        let help_lines = self.help.is_some().then(|| self.help_lines());
        let suggestions = match &self.input {
            Some(InputMode::Command(_)) => self.suggestions(),
            _ => Vec::new(),
        };
        let (pane_hints, shell_hints) = self.hints();
        let ui = Ui {
            theme: &self.theme,
            keymap: &self.keymap,
            readonly: self.readonly,
            now,
            envs: &self.envs,
            health: &self.health,
        };
        if let Some(pane) = self.panes.get_mut(self.current) {
            pane.draw(frame, body, &ui);
        }
        if chrome {
            header::draw(
                frame,
                header_area,
                &ui,
                &HeaderInfo {
                    focus: self.focus.as_deref(),
                    jobs: &self.jobs,
                    unseen: self.unseen,
                    panes: &self.kinds,
                    current: self.current,
                    incidents: &self.incidents,
                },
            );
            match &mut self.input {
                Some(InputMode::Command(line)) => {
                    line.draw(frame, status, &self.theme);
                    line.draw_matches(frame, screen, status.y, &suggestions, &self.theme);
                }
                Some(InputMode::Filter { input, .. }) => {
                    command_line::draw_prompt(frame, status, "/", &self.theme);
                    let area = Rect {
                        x: status.x + 1,
                        width: status.width.saturating_sub(1),
                        ..status
                    };
                    input.draw(frame, area, self.theme.footer);
                }
                None => {
                    let filter = self.filters.get(self.current).cloned().unwrap_or_default();
                    footer::draw_status(frame, status, self.flash.as_ref(), &filter, &self.theme);
                }
            }
            footer::draw_hints(frame, hints, &pane_hints, &shell_hints, &self.theme);
        }
        if let (Some(help), Some(lines)) = (&mut self.help, help_lines) {
            help.draw(frame, screen, lines, &self.theme);
        }
        if let Some(modal) = self.confirms.front_mut() {
            modal.draw(frame, screen, &self.theme);
        }
    }

    // ---- panes ----

    fn open(&mut self, kind: PaneKind, nav: Nav) {
        match self.kinds.iter().position(|k| *k == kind) {
            Some(index) => self.show(index, nav),
            None => self.flash_error(format!("There is no {} pane here.", kind.title())),
        }
    }

    /// Shows a pane; `on_open` runs the first time and whenever there is somewhere to go.
    fn show(&mut self, index: usize, nav: Nav) {
        if index != self.current {
            self.history.push(self.current);
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
            self.current = index;
        }
        self.seen_pane();
        if !self.opened[index] || nav != Nav::Show {
            self.opened[index] = true;
            self.with_pane(index, |p, cx| p.on_open(nav, cx));
        }
    }

    fn seen_pane(&mut self) {
        if self.current_kind() == Some(PaneKind::Jobs) {
            self.unseen = 0;
        }
    }

    // ---- what the chrome shows ----

    fn flash_info(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            error: false,
            until: Instant::now() + INFO_FOR,
        });
    }

    fn flash_error(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::info!("shown to the user: {text}");
        self.flash = Some(Flash {
            text,
            error: true,
            until: Instant::now() + ERROR_FOR,
        });
    }

    fn suggestions(&self) -> Vec<Suggestion> {
        let pane_commands = self
            .panes
            .get(self.current)
            .map(|p| p.commands())
            .unwrap_or_default();
        command_line::suggestions(&pane_commands)
    }

    fn help_lines(&self) -> Vec<ratatui::text::Line<'static>> {
        let mut sections = vec![Section {
            title: "Shell".into(),
            actions: self.shell_actions(),
        }];
        if let Some(pane) = self.panes.get(self.current) {
            sections.push(Section {
                title: format!("This pane: {}", pane.kind().title()),
                actions: pane.actions(),
            });
        }
        help::lines(
            &self.keymap,
            self.readonly,
            &sections,
            &self.suggestions(),
            &self.theme,
        )
    }

    /// The footer's hints for what is open: the pane's keys, then the shell's.
    fn hints(&self) -> (Vec<Hint>, Vec<Hint>) {
        let fixed = |pairs: &[(&str, &str)]| -> Vec<Hint> {
            pairs.iter().map(|(k, l)| Hint::new(*k, *l)).collect()
        };
        if let Some(modal) = self.confirms.front() {
            return if modal.needs_typing() {
                (
                    fixed(&[
                        ("type", "the name"),
                        ("enter", "confirm"),
                        ("esc", "cancel"),
                    ]),
                    Vec::new(),
                )
            } else {
                (fixed(&[("y", "yes"), ("n", "no")]), Vec::new())
            };
        }
        if self.help.is_some() {
            return (
                fixed(&[("esc", "close"), ("j/k", "scroll"), ("ctrl-d/u", "page")]),
                Vec::new(),
            );
        }
        match &self.input {
            Some(InputMode::Command(_)) => {
                return (
                    fixed(&[("enter", "run"), ("tab", "complete"), ("esc", "cancel")]),
                    Vec::new(),
                );
            }
            Some(InputMode::Filter { .. }) => {
                return (
                    fixed(&[
                        ("enter", "keep"),
                        ("esc", "cancel"),
                        ("!", "in front inverts"),
                    ]),
                    Vec::new(),
                );
            }
            None => {}
        }
        let Some(pane) = self.panes.get(self.current) else {
            return (Vec::new(), Vec::new());
        };
        if pane.captures_input() {
            return (fixed(&pane.input_hints()), Vec::new());
        }
        let shell = footer::hints(
            &self.keymap,
            &[Action::Help, Action::Command, Action::Filter, Action::Quit],
            self.readonly,
        );
        (
            footer::hints(&self.keymap, &pane.actions(), self.readonly),
            shell,
        )
    }
}

mod effects;
mod events;
mod keys;

#[cfg(test)]
mod tests;
