//! Restoring and snapshotting from the pane: the environment picker, the preview of a
//! restore (its plan, asked for as a dry run), the confirmation (on production, by
//! typing the environment's name) and only then the confirmed run; the message line of
//! a new snapshot.

use super::{
    Load, MessagePrompt, Msg, Picker, Purpose, RestoreView, SnapshotsPane, View, ViewKind,
};
use crate::domain::environment::EnvClass;
use crate::service::{
    JobStarted, OpsResult, RestoreAction, RestorePlan, RestoreRequest, SnapshotCreate,
};
use crate::tui::input_line::InputLine;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Confirm, Cx, Nav, PaneKind};
use crossterm::event::{KeyCode, KeyEvent};

impl SnapshotsPane {
    /// `r` on the list: restore from the selected snapshot, into an environment picked
    /// (the snapshot's own first).
    pub(super) fn start_restore(&mut self, cx: &mut Cx) {
        let Some(snapshot) = self.selected() else {
            return;
        };
        let (id, env) = (snapshot.id.clone(), snapshot.env.clone());
        let purpose = Purpose::Restore {
            snapshot: id,
            workflows: Vec::new(),
        };
        self.pick(purpose, Some(&env), cx);
    }

    /// `r` in a view: in a snapshot's detail, restore from it (only the marked
    /// workflows, if any are); in a preview, ask to run it.
    pub(super) fn restore_from_view(&mut self, cx: &mut Cx) {
        let (purpose, env) = match self.views.last().map(|v| &v.kind) {
            Some(ViewKind::Detail(view)) => {
                let Some(detail) = view.state.ready() else {
                    cx.info("The snapshot is still loading.");
                    return;
                };
                let purpose = Purpose::Restore {
                    snapshot: detail.snapshot.id.clone(),
                    workflows: view.marks.iter().cloned().collect(),
                };
                (purpose, detail.snapshot.env.clone())
            }
            Some(ViewKind::Restore(_)) => {
                self.confirm_restore(cx);
                return;
            }
            _ => return,
        };
        self.pick(purpose, Some(&env), cx);
    }

    /// `space` in a snapshot's detail: marks a workflow to restore alone.
    pub(super) fn mark_workflow(&mut self) {
        let Some(View {
            kind: ViewKind::Detail(view),
            ..
        }) = self.views.last_mut()
        else {
            return;
        };
        let Some(workflow) = view
            .state
            .ready()
            .and_then(|d| d.workflows.get(view.cursor.selected))
        else {
            return;
        };
        let id = workflow.canonical_id.clone();
        if !view.marks.remove(&id) {
            view.marks.insert(id);
        }
    }

    /// `c`: a snapshot of the listed environment, or of one picked.
    pub(super) fn start_snapshot(&mut self, cx: &mut Cx) {
        match self.env.clone() {
            Some(env) => self.prompt = Some(prompt(env)),
            None => {
                let preferred = self.selected().map(|s| s.env.clone());
                self.pick(Purpose::Snapshot, preferred.as_deref(), cx);
            }
        }
    }

    /// Opens the picker on `preferred`; without environments to pick from, takes it.
    fn pick(&mut self, purpose: Purpose, preferred: Option<&str>, cx: &mut Cx) {
        let envs: Vec<String> = self.envs.iter().map(|e| e.name.clone()).collect();
        if envs.is_empty() {
            match preferred {
                Some(env) => self.picked(purpose, env.to_owned(), cx),
                None => cx.error("No environment to choose: add one in the Environments pane."),
            }
            return;
        }
        let selected = preferred
            .and_then(|p| envs.iter().position(|e| e == p))
            .unwrap_or(0);
        self.picker = Some(Picker {
            purpose,
            envs,
            selected,
        });
    }

    fn picked(&mut self, purpose: Purpose, env: String, cx: &mut Cx) {
        match purpose {
            Purpose::Snapshot => self.prompt = Some(prompt(env)),
            Purpose::Restore {
                snapshot,
                workflows,
            } => {
                let req = RestoreRequest {
                    env,
                    snapshot: Some(snapshot),
                    workflows,
                    dry_run: true,
                    confirmed: false,
                };
                let generation = self.next_generation();
                self.views.push(View {
                    generation,
                    kind: ViewKind::Restore(RestoreView {
                        req: req.clone(),
                        state: Load::Loading,
                        order: Vec::new(),
                        cursor: ListCursor::default(),
                    }),
                });
                spawn_plan(req, generation, cx);
            }
        }
    }

    pub(super) fn picker_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(picker) = &mut self.picker else {
            return;
        };
        let last = picker.envs.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => self.picker = None,
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                picker.selected = (picker.selected + 1).min(last);
            }
            KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => {
                picker.selected = picker.selected.saturating_sub(1);
            }
            KeyCode::Enter => {
                if let Some(picker) = self.picker.take()
                    && let Some(env) = picker.envs.get(picker.selected).cloned()
                {
                    self.picked(picker.purpose, env, cx);
                }
            }
            _ => {}
        }
    }

    pub(super) fn prompt_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Enter => {
                let Some(prompt) = self.prompt.take() else {
                    return;
                };
                if cx.readonly {
                    cx.error("read-only: nothing is snapshotted");
                    return;
                }
                let message = prompt.input.text().trim();
                let req = SnapshotCreate {
                    env: prompt.env,
                    message: (!message.is_empty()).then(|| message.to_owned()),
                };
                cx.spawn(move |ops| async move {
                    Msg::SnapshotStarted {
                        result: ops.snapshot_create(req.clone()).await,
                        req,
                    }
                });
            }
            _ => {
                prompt.input.input(key);
            }
        }
    }

    /// The preview arrived: changes first, then what stays as it is.
    pub(super) fn planned(
        &mut self,
        generation: u64,
        req: RestoreRequest,
        result: OpsResult<RestorePlan>,
    ) {
        let Some(ViewKind::Restore(view)) = self.view_mut(generation) else {
            return;
        };
        if let Ok(plan) = &result {
            let (changes, unchanged): (Vec<usize>, Vec<usize>) = (0..plan.items.len())
                .partition(|&i| plan.items[i].action != RestoreAction::Unchanged);
            view.order = changes.into_iter().chain(unchanged).collect();
        }
        view.req = req;
        view.state = Load::from(result);
    }

    /// `r` on the preview: the question, whose yes runs the restore confirmed.
    fn confirm_restore(&mut self, cx: &mut Cx) {
        let Some(View {
            kind: ViewKind::Restore(view),
            ..
        }) = self.views.last()
        else {
            return;
        };
        let Some(plan) = view.state.ready() else {
            cx.info("The preview is not ready yet.");
            return;
        };
        let tally = Tally::of(plan);
        let env = view.req.env.clone();
        if tally.changes() == 0 {
            cx.info(format!(
                "{env} already matches {}: nothing to restore.",
                plan.snapshot.id
            ));
            return;
        }
        // Production, or an environment this pane does not know the class of.
        let production = self
            .envs
            .iter()
            .find(|e| e.name == env)
            .is_none_or(|e| e.class == EnvClass::Production);
        let req = RestoreRequest {
            dry_run: false,
            confirmed: true,
            ..view.req.clone()
        };
        let mut message = format!(
            "{}. {env} is snapshotted first, so this restore can itself be rolled back.",
            tally.words()
        );
        if production {
            message.push_str(&format!(" Type {env} to confirm."));
        }
        cx.confirm(Confirm {
            title: format!("Restore {env} from {}?", plan.snapshot.id),
            message,
            type_to_confirm: production.then(|| env.clone()),
            payload: Box::new(Msg::RestoreConfirmed { req }),
        });
    }

    /// The person said yes: the restore runs, confirmed.
    pub(super) fn run_restore(&mut self, req: RestoreRequest, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only: nothing is restored");
            return;
        }
        if !req.confirmed {
            return;
        }
        cx.spawn(move |ops| async move {
            Msg::RestoreStarted {
                result: ops.restore(req.clone()).await,
                req,
            }
        });
    }

    /// The restore job started: its preview closes and the Jobs pane shows it running.
    pub(super) fn restore_started(
        &mut self,
        req: RestoreRequest,
        result: OpsResult<JobStarted>,
        cx: &mut Cx,
    ) {
        let from = req.snapshot.as_deref().unwrap_or("its latest snapshot");
        match result {
            Ok(started) => {
                self.views.retain(|v| match &v.kind {
                    ViewKind::Restore(r) => r.req.env != req.env,
                    _ => true,
                });
                cx.info(format!(
                    "restoring {} from {from}: job {}",
                    req.env, started.job_id
                ));
                cx.open(PaneKind::Jobs, Nav::Show);
            }
            Err(e) => cx.error(format!("restore of {} not started: {e}", req.env)),
        }
    }
}

fn prompt(env: String) -> MessagePrompt {
    MessagePrompt {
        env,
        input: InputLine::default(),
    }
}

/// Asks for the plan of `req` (a dry run); the answer goes to the view of `generation`.
pub(super) fn spawn_plan(req: RestoreRequest, generation: u64, cx: &mut Cx) {
    cx.spawn(move |ops| async move {
        Msg::Planned {
            generation,
            result: ops.restore_plan(req.clone()).await,
            req,
        }
    });
}

/// How many workflows a plan creates, updates, deletes and leaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
}

impl Tally {
    pub fn of(plan: &RestorePlan) -> Tally {
        let mut t = Tally::default();
        for item in &plan.items {
            match item.action {
                RestoreAction::Create => t.create += 1,
                RestoreAction::Update => t.update += 1,
                RestoreAction::Delete => t.delete += 1,
                RestoreAction::Unchanged => t.unchanged += 1,
            }
        }
        t
    }

    pub fn changes(&self) -> usize {
        self.create + self.update + self.delete
    }

    /// "2 to create · 3 to update · 1 to delete (to the trash) · 40 unchanged".
    pub fn words(&self) -> String {
        let parts: Vec<String> = [
            (self.create, "to create"),
            (self.update, "to update"),
            (self.delete, "to delete (to the trash)"),
            (self.unchanged, "unchanged"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
        if parts.is_empty() {
            "nothing in the snapshot".into()
        } else {
            parts.join(" · ")
        }
    }
}
