//! The shell: panes, header, footer, overlays and the routing of keys, service events,
//! results of spawned work and ticks. Plain state without a terminal: `run` feeds it
//! and draws it; tests do the same with a `TestBackend` and key events.

use super::action::Action;
use super::command_line::{self, CommandLine, ShellVerb, Suggestion};
use super::confirm::{Answer, ConfirmModal};
use super::filter::Filter;
use super::footer::{self, Flash, Hint};
use super::header::{self, HeaderInfo, RunningJob};
use super::help::{self, Help, Section};
use super::input_line::InputLine;
use super::keymap::Keymap;
use super::pane::{Cx, Effect, Nav, Pane, PaneKind, PaneMsg};
use super::theme::Theme;
use super::ui::{Health, Ui};
use crate::domain::job::JobState;
use crate::service::{
    ConnectionTest, EnvView, Event, EventBody, JobDetail, JobQuery, JobView, Ops, OpsResult, Time,
};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};
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
/// Finished jobs remembered, so a late answer cannot bring one back to the header.
const FINISHED_KEPT: usize = 64;

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

/// Results of the shell's own work.
enum ShellMsg {
    Envs {
        generation: u64,
        result: OpsResult<Vec<EnvView>>,
    },
    Health {
        env: String,
        result: OpsResult<ConnectionTest>,
    },
    /// Jobs already running when the shell started (their start event came before).
    Jobs(OpsResult<Vec<JobView>>),
    /// A job the shell never saw start, read after it finished.
    Finished(OpsResult<JobDetail>),
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

    /// The result of spawned work, to whoever spawned it.
    pub fn deliver(&mut self, target: Target, msg: PaneMsg) {
        match target {
            Target::Pane(index) if index < self.panes.len() => {
                self.with_pane(index, |pane, cx| pane.on_msg(msg, cx));
            }
            Target::Pane(_) => {}
            Target::Shell => {
                if let Ok(msg) = msg.downcast::<ShellMsg>() {
                    self.on_shell_msg(*msg);
                }
            }
        }
    }

    /// Spawned work panicked instead of answering (the panic is in the log).
    pub fn work_panicked(&mut self, target: Target) {
        let whose = match target {
            Target::Pane(index) => self.kinds.get(index).map_or("a pane", |kind| kind.title()),
            Target::Shell => "the shell",
        };
        self.flash_error(format!(
            "Background work of {whose} failed unexpectedly; the log has the details."
        ));
    }

    pub fn on_terminal_event(&mut self, event: TermEvent) {
        if let TermEvent::Key(key) = event {
            self.on_key(key);
        }
        // Resizes only need a redraw, which every terminal event gets.
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        if let Some(modal) = self.confirms.front_mut() {
            let pane = modal.pane;
            match modal.on_key(key) {
                Answer::Pending => {}
                Answer::No => {
                    self.confirms.pop_front();
                    self.flash_info("Cancelled.");
                }
                Answer::Yes(payload) => {
                    self.confirms.pop_front();
                    self.with_pane(pane, |p, cx| p.on_msg(payload, cx));
                }
            }
            return;
        }
        if self.help.is_some() {
            self.help_key(key);
            return;
        }
        if let Some(mode) = self.input.take() {
            self.input_key(mode, key);
            return;
        }
        let Some(pane) = self.panes.get(self.current) else {
            return;
        };
        if pane.captures_input() {
            let current = self.current;
            self.with_pane(current, |p, cx| p.on_key(key, cx));
            return;
        }
        let shell = self.shell_actions();
        let mut candidates = shell.clone();
        candidates.extend(pane.actions());
        let Some(action) = self.keymap.resolve(&key, &candidates) else {
            return;
        };
        if shell.contains(&action) {
            self.shell_action(action);
        } else if self.readonly && action.is_mutating() {
            self.flash_error(format!(
                "Read-only: “{}” is turned off (n8nops was started with --readonly).",
                action.label()
            ));
        } else {
            let current = self.current;
            self.with_pane(current, |p, cx| p.on_action(action, cx));
        }
    }

    /// A service event: the header's jobs, then every pane.
    pub fn on_event(&mut self, event: &Event) {
        match &event.body {
            EventBody::Started { title, .. } => {
                if !self.jobs.iter().any(|j| j.id == event.job_id) {
                    self.jobs.push(RunningJob {
                        id: event.job_id.clone(),
                        title: title.clone(),
                        done: 0,
                        total: 0,
                    });
                }
            }
            EventBody::Progress { done, total, .. } => {
                match self.jobs.iter_mut().find(|j| j.id == event.job_id) {
                    Some(job) => {
                        job.done = *done;
                        job.total = *total;
                    }
                    // Its start was missed (the event stream lagged).
                    None => self.jobs.push(RunningJob {
                        id: event.job_id.clone(),
                        title: format!("job {}", event.job_id),
                        done: *done,
                        total: *total,
                    }),
                }
            }
            EventBody::Log { .. } => {}
            EventBody::Finished { state, error, .. } => {
                let known = self.jobs.iter().position(|j| j.id == event.job_id);
                match known {
                    Some(i) => {
                        let title = self.jobs.remove(i).title;
                        self.job_finished(&title, *state, error.as_deref());
                    }
                    // Started before the shell was watching: its title is in the store.
                    None => {
                        let (ops, id) = (self.ops.clone(), event.job_id.clone());
                        self.spawn_shell(async move { ShellMsg::Finished(ops.job_get(id).await) });
                    }
                }
                if self.current_kind() != Some(PaneKind::Jobs) {
                    self.unseen += 1;
                }
                self.finished.push_back(event.job_id.clone());
                if self.finished.len() > FINISHED_KEPT {
                    self.finished.pop_front();
                }
                self.load_envs();
            }
        }
        for index in 0..self.panes.len() {
            self.with_pane(index, |p, cx| p.on_event(event, cx));
        }
    }

    /// About every second: flashes expire, heartbeats fall due, opened panes tick.
    pub fn on_tick(&mut self, now: Instant) {
        if self.flash.as_ref().is_some_and(|f| f.until <= now) {
            self.flash = None;
        }
        if self
            .last_heartbeat
            .is_none_or(|last| now.saturating_duration_since(last) >= self.heartbeat)
        {
            self.last_heartbeat = Some(now);
            let names: Vec<String> = self.envs.iter().map(|e| e.name.clone()).collect();
            for name in names {
                self.check(name);
            }
        }
        for index in 0..self.panes.len() {
            if self.opened[index] {
                self.with_pane(index, |p, cx| p.on_tick(cx));
            }
        }
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

    // ---- keys ----

    /// The shell's actions, with as many pane keys as there are panes.
    fn shell_actions(&self) -> Vec<Action> {
        let mut actions = vec![
            Action::Quit,
            Action::Help,
            Action::Command,
            Action::Filter,
            Action::Back,
            Action::NextPane,
            Action::PrevPane,
        ];
        actions.extend(
            Action::ALL
                .iter()
                .copied()
                .filter(|a| a.pane_index().is_some_and(|i| i < self.panes.len())),
        );
        actions
    }

    fn shell_action(&mut self, action: Action) {
        let n = self.panes.len();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = Some(Help::default()),
            Action::Command => self.input = Some(InputMode::Command(CommandLine::default())),
            Action::Filter => {
                let before = self.filters[self.current].clone();
                self.input = Some(InputMode::Filter {
                    input: InputLine::new(&before.text),
                    before,
                });
            }
            Action::Back => self.back(),
            Action::NextPane => self.show((self.current + 1) % n, Nav::Show),
            Action::PrevPane => self.show((self.current + n - 1) % n, Nav::Show),
            other => {
                if let Some(index) = other.pane_index().filter(|i| *i < n) {
                    self.show(index, Nav::Show);
                }
            }
        }
    }

    fn help_key(&mut self, key: KeyEvent) {
        let actions = [
            Action::Back,
            Action::Help,
            Action::Quit,
            Action::Down,
            Action::Up,
            Action::PageDown,
            Action::PageUp,
            Action::Top,
            Action::Bottom,
        ];
        let Some(help) = &mut self.help else {
            return;
        };
        match self.keymap.resolve(&key, &actions) {
            Some(Action::Back | Action::Help | Action::Quit) => self.help = None,
            Some(Action::Down) => help.scroll_by(1),
            Some(Action::Up) => help.scroll_by(-1),
            Some(Action::PageDown) => help.scroll_by(help.page()),
            Some(Action::PageUp) => help.scroll_by(-help.page()),
            Some(Action::Top) => help.scroll = 0,
            Some(Action::Bottom) => help.scroll_by(isize::MAX),
            _ => {}
        }
    }

    /// A key while a line is open; the line is put back unless the key closed it.
    fn input_key(&mut self, mode: InputMode, key: KeyEvent) {
        match mode {
            InputMode::Command(mut line) => match key.code {
                KeyCode::Esc => {}
                KeyCode::Enter => self.run_command(line.text().to_owned()),
                KeyCode::Tab => {
                    line.complete(&self.suggestions());
                    self.input = Some(InputMode::Command(line));
                }
                _ => {
                    line.input(key);
                    self.input = Some(InputMode::Command(line));
                }
            },
            InputMode::Filter { mut input, before } => match key.code {
                KeyCode::Esc => self.set_filter(self.current, before),
                KeyCode::Enter => {}
                _ => {
                    if input.input(key) {
                        self.set_filter(self.current, Filter::parse(input.text()));
                    }
                    self.input = Some(InputMode::Filter { input, before });
                }
            },
        }
    }

    fn set_filter(&mut self, index: usize, filter: Filter) {
        if self.filters[index] != filter {
            self.filters[index] = filter.clone();
            self.panes[index].set_filter(filter);
        }
    }

    fn run_command(&mut self, text: String) {
        let Some((name, arg)) = command_line::parse(&text) else {
            return;
        };
        if let Some(command) = command_line::shell_command(name) {
            match command.verb {
                ShellVerb::Quit => self.quit = true,
                ShellVerb::Help => self.help = Some(Help::default()),
                ShellVerb::Open(PaneKind::Workflows) if !arg.is_empty() => {
                    self.open(PaneKind::Workflows, Nav::Env(arg.to_owned()));
                }
                ShellVerb::Open(_) if !arg.is_empty() => {
                    self.flash_error(format!(":{name} takes no argument (got “{arg}”)."));
                }
                ShellVerb::Open(kind) => self.open(kind, Nav::Show),
            }
            return;
        }
        let current = self.current;
        let known = self.panes[current]
            .commands()
            .iter()
            .any(|(command, _)| *command == name);
        if known {
            let (name, arg) = (name.to_owned(), arg.to_owned());
            self.with_pane(current, |p, cx| p.on_command(&name, &arg, cx));
        } else {
            self.flash_error(format!(
                "Unknown command :{name} (tab completes; :help lists every command)."
            ));
        }
    }

    fn back(&mut self) {
        if self.panes[self.current].back() {
            return;
        }
        if let Some(previous) = self.history.pop() {
            self.current = previous;
            self.seen_pane();
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

    /// Calls into one pane and applies what it asked for.
    fn with_pane(&mut self, index: usize, call: impl FnOnce(&mut dyn Pane, &mut Cx)) {
        let mut effects = Vec::new();
        let mut cx = Cx::new(&self.ops, self.readonly, &mut effects);
        call(self.panes[index].as_mut(), &mut cx);
        self.apply(index, effects);
    }

    fn apply(&mut self, index: usize, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Spawn(work) => self.spawned.push(Spawned {
                    target: Target::Pane(index),
                    work,
                }),
                Effect::Info(text) => self.flash_info(text),
                Effect::Error(text) => self.flash_error(text),
                Effect::Confirm(confirm) => {
                    self.confirms.push_back(ConfirmModal::new(index, confirm));
                }
                Effect::Open(kind, nav) => self.open(kind, nav),
                Effect::FocusEnv(env) => self.focus = env,
                Effect::RefreshEnvs => self.load_envs(),
                Effect::Quit => self.quit = true,
            }
        }
    }

    // ---- environments and their health ----

    fn spawn_shell(&mut self, work: impl Future<Output = ShellMsg> + Send + 'static) {
        self.spawned.push(Spawned {
            target: Target::Shell,
            work: Box::pin(async move { Box::new(work.await) as PaneMsg }),
        });
    }

    fn load_envs(&mut self) {
        self.envs_generation += 1;
        let generation = self.envs_generation;
        let ops = self.ops.clone();
        self.spawn_shell(async move {
            ShellMsg::Envs {
                generation,
                result: ops.env_list().await,
            }
        });
    }

    /// Tests one environment's connection unless a test of it is still running.
    fn check(&mut self, env: String) {
        if !self.checking.insert(env.clone()) {
            return;
        }
        let ops = self.ops.clone();
        self.spawn_shell(async move {
            let result = ops.env_test(env.clone()).await;
            ShellMsg::Health { env, result }
        });
    }

    fn on_shell_msg(&mut self, msg: ShellMsg) {
        match msg {
            ShellMsg::Envs { generation, .. } if generation != self.envs_generation => {}
            ShellMsg::Envs {
                result: Ok(envs), ..
            } => {
                let new: Vec<String> = envs
                    .iter()
                    .filter(|e| !self.health.contains_key(&e.name))
                    .map(|e| e.name.clone())
                    .collect();
                self.health
                    .retain(|name, _| envs.iter().any(|e| &e.name == name));
                if let Some(focus) = &self.focus
                    && !envs.iter().any(|e| &e.name == focus)
                {
                    self.focus = None;
                }
                self.envs = envs;
                for name in new {
                    self.health.insert(name.clone(), Health::Unknown);
                    self.check(name);
                }
            }
            ShellMsg::Envs { result: Err(e), .. } => {
                self.flash_error(format!("Could not load the environments: {e}"));
            }
            ShellMsg::Jobs(Ok(jobs)) => {
                // Newest first: the header lists them oldest first.
                for job in jobs.into_iter().rev() {
                    let known =
                        self.jobs.iter().any(|j| j.id == job.id) || self.finished.contains(&job.id);
                    if !job.state.is_finished() && !known {
                        self.jobs.push(RunningJob {
                            id: job.id,
                            title: job.title,
                            done: u64::try_from(job.done).unwrap_or(0),
                            total: u64::try_from(job.total).unwrap_or(0),
                        });
                    }
                }
            }
            ShellMsg::Finished(Ok(detail)) => {
                let job = detail.job;
                self.job_finished(&job.title, job.state, job.error.as_deref());
            }
            ShellMsg::Finished(Err(e)) => {
                self.flash_error(format!("A job finished but could not be read: {e}"));
            }
            ShellMsg::Jobs(Err(e)) => {
                self.flash_error(format!("Could not list the running jobs: {e}"));
            }
            ShellMsg::Health { env, result } => {
                self.checking.remove(&env);
                if !self.envs.iter().any(|e| e.name == env) {
                    return;
                }
                let health = match result {
                    Ok(test) if test.ok => Health::Up {
                        latency_ms: test.latency_ms.unwrap_or(0),
                        version: test.version,
                    },
                    Ok(test) => Health::Down {
                        problem: test
                            .message
                            .unwrap_or_else(|| "the connection test failed".into()),
                    },
                    Err(e) => Health::Down { problem: e.message },
                };
                self.health.insert(env, health);
            }
        }
    }

    // ---- what the chrome shows ----

    fn job_finished(&mut self, title: &str, state: JobState, error: Option<&str>) {
        match error {
            Some(error) => self.flash_error(format!("{title} {}: {error}", state.as_str())),
            None => self.flash_info(format!("{title}: {}", state.as_str())),
        }
    }

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
            return (Vec::new(), Vec::new());
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

#[cfg(test)]
mod tests;
