//! Keys: the confirm modal, help and open lines first, then the shell's actions, then the
//! current pane's; `:` commands and the `/` filter.

use super::{App, InputMode};
use crate::tui::action::Action;
use crate::tui::command_line::{self, CommandLine, ShellVerb};
use crate::tui::confirm::Answer;
use crate::tui::filter::Filter;
use crate::tui::help::Help;
use crate::tui::input_line::InputLine;
use crate::tui::pane::{Nav, PaneKind};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};

impl App {
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

    /// The shell's actions, with as many pane keys as there are panes.
    pub(super) fn shell_actions(&self) -> Vec<Action> {
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

    pub(super) fn shell_action(&mut self, action: Action) {
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

    pub(super) fn help_key(&mut self, key: KeyEvent) {
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
    pub(super) fn input_key(&mut self, mode: InputMode, key: KeyEvent) {
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

    pub(super) fn set_filter(&mut self, index: usize, filter: Filter) {
        if self.filters[index] != filter {
            self.filters[index] = filter.clone();
            self.panes[index].set_filter(filter);
        }
    }

    pub(super) fn run_command(&mut self, text: String) {
        let Some((name, arg)) = command_line::parse(&text) else {
            return;
        };
        if let Some(command) = command_line::shell_command(name) {
            match command.verb {
                ShellVerb::Quit => self.quit = true,
                ShellVerb::Help => self.help = Some(Help::default()),
                ShellVerb::Open(kind @ (PaneKind::Workflows | PaneKind::Snapshots))
                    if !arg.is_empty() =>
                {
                    self.open(kind, Nav::Env(arg.to_owned()));
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

    pub(super) fn back(&mut self) {
        if self.panes[self.current].back() {
            return;
        }
        if let Some(previous) = self.history.pop() {
            self.current = previous;
            self.seen_pane();
        }
    }
}
