//! What panes ask for and what their spawned work answers: effects applied, results
//! delivered to whoever spawned the work.

use super::events::ShellMsg;
use super::{App, Spawned, Target};
use crate::tui::confirm::ConfirmModal;
use crate::tui::pane::{Cx, Effect, Pane, PaneMsg};

impl App {
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

    /// Calls into one pane and applies what it asked for.
    pub(super) fn with_pane(&mut self, index: usize, call: impl FnOnce(&mut dyn Pane, &mut Cx)) {
        let mut effects = Vec::new();
        let mut cx = Cx::new(&self.ops, self.readonly, &mut effects);
        call(self.panes[index].as_mut(), &mut cx);
        self.apply(index, effects);
    }

    pub(super) fn apply(&mut self, index: usize, effects: Vec<Effect>) {
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
}
