//! The contract between the shell and its panes. A pane is plain state that draws
//! itself and turns actions into state changes or service calls. It never blocks: work
//! is spawned through `Cx`, and its result comes back to the same pane as a message.

use super::action::Action;
use super::filter::Filter;
use super::ui::Ui;
use crate::service::{DiffRequest, Ops, WorkflowRef};
use crossterm::event::KeyEvent;
use futures_util::future::BoxFuture;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::any::Any;
use std::sync::Arc;

/// Which pane. The order here is the order of `tab` and of the `1-9` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneKind {
    Environments,
    Workflows,
    Matrix,
    Executions,
    Jobs,
    Audit,
    Diff,
    Snapshots,
    Deployments,
    /// The promotion wizard.
    Promote,
    Pipelines,
    /// Incident triage, its metrics and policy.
    Incidents,
}

impl PaneKind {
    pub fn title(self) -> &'static str {
        match self {
            PaneKind::Environments => "Environments",
            PaneKind::Workflows => "Workflows",
            PaneKind::Matrix => "Matrix",
            PaneKind::Executions => "Executions",
            PaneKind::Jobs => "Jobs",
            PaneKind::Audit => "Audit",
            PaneKind::Diff => "Diff",
            PaneKind::Snapshots => "Snapshots",
            PaneKind::Deployments => "Deployments",
            PaneKind::Promote => "Promote",
            PaneKind::Pipelines => "Pipelines",
            PaneKind::Incidents => "Incidents",
        }
    }
}

/// A message a pane sent itself: the result of spawned work, or a confirmed action.
/// Each pane downcasts to its own message type.
pub type PaneMsg = Box<dyn Any + Send>;

/// Where to go when opening a pane.
#[derive(Debug, Clone, PartialEq)]
pub enum Nav {
    /// Just show the pane.
    Show,
    /// The workflows pane, on one workflow's detail.
    Workflow(WorkflowRef),
    /// A pane of one environment: the workflows pane filtered to it, the snapshots
    /// pane listing its snapshots.
    Env(String),
    /// The diff pane, on two workflows (either may be absent on its side).
    Diff {
        a: Option<WorkflowRef>,
        b: Option<WorkflowRef>,
    },
    /// The diff pane, on any comparison the service makes (an incident's canonical
    /// document against its live body). Boxed: documents are large.
    Compare(Box<DiffRequest>),
    /// The promotion wizard, started from a source (and maybe a target) with the
    /// workflows (names or canonical ids) marked where it was opened.
    Promote {
        from: Option<String>,
        to: Option<String>,
        workflows: Vec<String>,
        /// The incident the promotion fixes (opened from it with `p`): a promotion into
        /// its environment names it, and its timeline records the deployment.
        incident: Option<i64>,
    },
    /// The deployments pane, on one deployment's detail.
    Deployment(String),
}

/// A modal question; on "yes" the `payload` comes back to the pane as a message.
pub struct Confirm {
    pub title: String,
    pub message: String,
    /// The person must type this (an environment's name) to confirm.
    pub type_to_confirm: Option<String>,
    pub payload: PaneMsg,
}

/// What a pane asks the shell to do; the shell applies them after the pane returns.
pub enum Effect {
    Spawn(BoxFuture<'static, PaneMsg>),
    Info(String),
    Error(String),
    Confirm(Confirm),
    Open(PaneKind, Nav),
    /// The environment the header shows as in focus.
    FocusEnv(Option<String>),
    /// Environments changed (added, edited, removed): reload them.
    RefreshEnvs,
    Quit,
}

/// The pane's handle on the world for the length of one call.
pub struct Cx<'a> {
    pub ops: &'a Arc<dyn Ops>,
    pub readonly: bool,
    pub effects: &'a mut Vec<Effect>,
}

impl<'a> Cx<'a> {
    pub fn new(ops: &'a Arc<dyn Ops>, readonly: bool, effects: &'a mut Vec<Effect>) -> Self {
        Cx {
            ops,
            readonly,
            effects,
        }
    }

    /// Runs `work` with the service; its output comes back to this pane as a message.
    pub fn spawn<F, Fut, T>(&mut self, work: F)
    where
        F: FnOnce(Arc<dyn Ops>) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let fut = work(self.ops.clone());
        self.effects.push(Effect::Spawn(Box::pin(async move {
            Box::new(fut.await) as PaneMsg
        })));
    }

    pub fn info(&mut self, message: impl Into<String>) {
        self.effects.push(Effect::Info(message.into()));
    }

    pub fn error(&mut self, message: impl Into<String>) {
        self.effects.push(Effect::Error(message.into()));
    }

    pub fn confirm(&mut self, confirm: Confirm) {
        self.effects.push(Effect::Confirm(confirm));
    }

    pub fn open(&mut self, pane: PaneKind, nav: Nav) {
        self.effects.push(Effect::Open(pane, nav));
    }

    pub fn focus_env(&mut self, env: Option<String>) {
        self.effects.push(Effect::FocusEnv(env));
    }

    pub fn refresh_envs(&mut self) {
        self.effects.push(Effect::RefreshEnvs);
    }
}

/// One pane of the TUI.
pub trait Pane: Send {
    fn kind(&self) -> PaneKind;

    /// Actions that work here right now (besides the shell's own). The footer lists
    /// them; keys resolve only among them, so one key can mean different things in
    /// different panes. Mutating ones are dropped by the shell in `--readonly`.
    fn actions(&self) -> Vec<Action>;

    /// Draws into `area`. Only rows that are visible are built.
    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui);

    fn on_action(&mut self, action: Action, cx: &mut Cx);

    /// A message this pane sent itself (spawned work finished, a confirmation said yes).
    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx);

    /// The pane became visible, possibly with somewhere to go: load what it shows.
    fn on_open(&mut self, nav: Nav, cx: &mut Cx);

    /// A service event (job progress, logs, finish).
    fn on_event(&mut self, _event: &crate::service::Event, _cx: &mut Cx) {}

    /// Called about every second while the pane is open.
    fn on_tick(&mut self, _cx: &mut Cx) {}

    /// The filter typed after `/`, remembered per pane by the shell.
    fn set_filter(&mut self, _filter: Filter) {}

    /// While true (a form or an inline editor is open), keys come raw to `on_key`
    /// instead of through the keymap; `esc` included.
    fn captures_input(&self) -> bool {
        false
    }

    fn on_key(&mut self, _key: KeyEvent, _cx: &mut Cx) {}

    /// While `captures_input`: the keys the open form or editor answers (`("ctrl-s",
    /// "save")`), for the footer.
    fn input_hints(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// `esc` in the pane: true when it went back a level (closed a detail), false when
    /// already at the top (the shell then goes back to the previous pane).
    fn back(&mut self) -> bool {
        false
    }

    /// Extra `:` commands this pane answers (name, help), e.g. `("differs", "...")`.
    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Runs one of `commands()`; the argument is the rest of the command line.
    fn on_command(&mut self, _name: &str, _arg: &str, _cx: &mut Cx) {}
}
