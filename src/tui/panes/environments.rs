//! The Environments pane: every environment with its class, URL, health, last sync,
//! drift and counts; add and edit in a form, test the connection, sync, delete (typing
//! the name), check drift (the selected, the marked or all), back up, open the
//! environment's snapshots. Rows are the shell's `ui.envs` (it reloads them when a job
//! finishes); the pane keeps its cursor, marks, test results and the latest drift checks
//! (read again whenever a job finishes).

mod draw;
mod drift;
mod form;

use crate::service::{
    BackupRequest, ConnectionTest, DriftCheckRequest, EnvDrift, EnvView, Event, EventBody,
    JobStarted, OpsResult, SyncRequest,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Confirm, Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use crossterm::event::KeyEvent;
use drift::{DriftChecks, DriftState};
use form::{EnvForm, FormEvent, FormRequest};
use ratatui::Frame;
use ratatui::layout::Rect;
use std::collections::{BTreeSet, HashMap, HashSet};

enum EnvMsg {
    Tested {
        env: String,
        result: OpsResult<ConnectionTest>,
    },
    SyncStarted {
        envs: Vec<String>,
        result: OpsResult<JobStarted>,
    },
    /// The person typed the name: remove it.
    DeleteConfirmed {
        env: String,
    },
    Removed {
        env: String,
        result: OpsResult<()>,
    },
    Saved {
        form: u64,
        result: OpsResult<EnvView>,
    },
    DriftRead {
        generation: u64,
        result: OpsResult<Vec<EnvDrift>>,
    },
    DriftCheckStarted {
        req: DriftCheckRequest,
        result: OpsResult<JobStarted>,
    },
    BackupStarted {
        req: BackupRequest,
        result: OpsResult<JobStarted>,
    },
}

/// The last connection test of an environment.
enum TestState {
    Running,
    Done(ConnectionTest),
    /// The test could not run (e.g. the environment is gone).
    Failed(String),
}

#[derive(Default)]
pub struct EnvironmentsPane {
    /// `ui.envs` as of the last draw.
    envs: Vec<EnvView>,
    /// Indexes into `envs` that pass the filter.
    visible: Vec<usize>,
    /// Index into `visible`.
    cursor: ListCursor,
    /// The name under the cursor, so it stays put when the list changes.
    selected: Option<String>,
    marks: BTreeSet<String>,
    tests: HashMap<String, TestState>,
    form: Option<EnvForm>,
    forms_opened: u64,
    filter: Filter,
    drift: DriftState,
}

impl EnvironmentsPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the shell's list when it changed, keeping the cursor on the same name.
    fn set_envs(&mut self, envs: &[EnvView]) {
        if self.envs != envs {
            self.envs = envs.to_vec();
            let names: HashSet<&str> = self.envs.iter().map(|e| e.name.as_str()).collect();
            self.marks.retain(|m| names.contains(m.as_str()));
            self.refilter();
        }
    }

    fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self
            .envs
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                filter.matches_any([e.name.as_str(), e.url.as_str(), e.class.as_str()])
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(name) = &self.selected
            && let Some(at) = self
                .visible
                .iter()
                .position(|&i| self.envs[i].name == *name)
        {
            self.cursor.selected = at;
        }
        self.cursor.clamp(self.visible.len());
        self.selected = self.current().map(|e| e.name.clone());
    }

    fn current(&self) -> Option<&EnvView> {
        self.visible
            .get(self.cursor.selected)
            .map(|&i| &self.envs[i])
    }

    /// A move of the cursor; the environment under it is the one in focus.
    fn move_cursor(&mut self, action: Action, cx: &mut Cx) {
        self.cursor.apply(action, self.visible.len());
        self.selected = self.current().map(|e| e.name.clone());
        cx.focus_env(self.selected.clone());
    }

    /// The marked environments, or else the one under the cursor.
    fn targets(&self) -> Vec<String> {
        if self.marks.is_empty() {
            self.selected.iter().cloned().collect()
        } else {
            self.marks.iter().cloned().collect()
        }
    }

    fn open_form(&mut self, editing: bool) {
        self.forms_opened += 1;
        let id = self.forms_opened;
        self.form = match (editing, self.current()) {
            (false, _) => Some(EnvForm::add(id)),
            (true, Some(env)) => Some(EnvForm::edit(id, env)),
            (true, None) => None,
        };
    }

    fn submit(&mut self, cx: &mut Cx) {
        let Some(form) = self.form.as_mut().filter(|f| !f.submitting) else {
            return;
        };
        form.submitting = true;
        let id = form.id;
        match form.request() {
            FormRequest::Add(req) => cx.spawn(move |ops| async move {
                EnvMsg::Saved {
                    form: id,
                    result: ops.env_add(req).await,
                }
            }),
            FormRequest::Update(req) => cx.spawn(move |ops| async move {
                EnvMsg::Saved {
                    form: id,
                    result: ops.env_update(req).await,
                }
            }),
        }
    }

    fn test(&mut self, cx: &mut Cx) {
        for env in self.targets() {
            self.tests.insert(env.clone(), TestState::Running);
            cx.spawn(move |ops| async move {
                let result = ops.env_test(env.clone()).await;
                EnvMsg::Tested { env, result }
            });
        }
    }

    fn sync(&mut self, cx: &mut Cx) {
        let envs = self.targets();
        if envs.is_empty() {
            return;
        }
        let req = SyncRequest {
            envs: envs.clone(),
            kinds: Vec::new(),
        };
        cx.spawn(move |ops| async move {
            EnvMsg::SyncStarted {
                envs,
                result: ops.sync(req).await,
            }
        });
    }

    fn delete(&mut self, cx: &mut Cx) {
        let Some(env) = self.current() else {
            return;
        };
        cx.confirm(Confirm {
            title: format!("Delete {}", env.name),
            message: format!(
                "Remove '{}' ({}, {}) and everything n8nops stored about it? \
                 The n8n instance itself is not touched. Type the name to confirm.",
                env.name, env.class, env.url
            ),
            type_to_confirm: Some(env.name.clone()),
            payload: Box::new(EnvMsg::DeleteConfirmed {
                env: env.name.clone(),
            }),
        });
    }

    /// Reads the latest drift check of every environment.
    fn read_drift(&mut self, cx: &mut Cx) {
        self.drift.generation += 1;
        let generation = self.drift.generation;
        cx.spawn(move |ops| async move {
            EnvMsg::DriftRead {
                generation,
                result: ops.drift_latest(None).await,
            }
        });
    }

    /// Starts a drift check of the marked or selected environments, or of all.
    fn check_drift(&mut self, all: bool, cx: &mut Cx) {
        let envs = if all { Vec::new() } else { self.targets() };
        if envs.is_empty() && !all {
            return;
        }
        let req = DriftCheckRequest { envs, fetch: true };
        cx.spawn(move |ops| async move {
            EnvMsg::DriftCheckStarted {
                result: ops.drift_check(req.clone()).await,
                req,
            }
        });
    }

    /// Snapshots the marked or selected environments, as one backup job.
    fn backup(&mut self, cx: &mut Cx) {
        let envs = self.targets();
        if envs.is_empty() {
            return;
        }
        let req = BackupRequest { envs };
        cx.spawn(move |ops| async move {
            EnvMsg::BackupStarted {
                result: ops.backup(req.clone()).await,
                req,
            }
        });
    }

    /// "dev, prod", or "every environment" for an empty list.
    fn named(envs: &[String]) -> String {
        if envs.is_empty() {
            "every environment".into()
        } else {
            envs.join(", ")
        }
    }

    fn saved(&mut self, form: u64, result: OpsResult<EnvView>, cx: &mut Cx) {
        let current = self.form.as_mut().filter(|f| f.id == form);
        match (result, current) {
            (Ok(env), current) => {
                let adding = current.as_ref().is_some_and(|f| f.editing().is_none());
                let verb = if adding { "added" } else { "saved" };
                if current.is_some() {
                    self.form = None;
                }
                cx.info(format!("{verb} {} ({}, {})", env.name, env.class, env.url));
                self.selected = Some(env.name.clone());
                cx.focus_env(Some(env.name));
                cx.refresh_envs();
            }
            (Err(e), Some(form)) => {
                if let Some(message) = form.failed(&e) {
                    cx.error(message);
                }
            }
            (Err(e), None) => cx.error(format!("environment not saved: {e}")),
        }
    }
}

/// How a finished test reads in a flash.
fn test_summary(test: &ConnectionTest) -> String {
    if test.ok {
        let mut parts = vec![format!("{}: ok", test.env)];
        if let Some(v) = &test.version {
            parts.push(format!("n8n {v}"));
        }
        if let Some(g) = &test.api_generation {
            parts.push(format!("API {g}"));
        }
        if let Some(ms) = test.latency_ms {
            parts.push(format!("{ms} ms"));
        }
        if !test.can_list_credentials {
            parts.push("credentials not listable".into());
        }
        parts.join(" · ")
    } else {
        let problem = test
            .message
            .clone()
            .unwrap_or_else(|| "the test failed".into());
        format!("{}: {problem}", test.env)
    }
}

impl Pane for EnvironmentsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Environments
    }

    fn actions(&self) -> Vec<Action> {
        if self.form.is_some() {
            return Vec::new();
        }
        let mut actions = ListCursor::MOVES.to_vec();
        actions.extend([
            Action::Enter,
            Action::Mark,
            Action::Add,
            Action::Edit,
            Action::Test,
            Action::Sync,
            Action::Delete,
            Action::DriftCheck,
            Action::DriftCheckAll,
            Action::Backup,
            Action::Snapshots,
            Action::Refresh,
        ]);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        self.set_envs(ui.envs);
        draw::draw(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if cx.readonly && action.is_mutating() {
            cx.error("read-only: environments cannot be changed");
            return;
        }
        match action {
            a if ListCursor::MOVES.contains(&a) => self.move_cursor(a, cx),
            Action::Enter => {
                if let Some(env) = self.current() {
                    cx.open(PaneKind::Workflows, Nav::Env(env.name.clone()));
                }
            }
            Action::Mark => {
                if let Some(name) = self.selected.clone()
                    && !self.marks.remove(&name)
                {
                    self.marks.insert(name);
                }
            }
            Action::Add => self.open_form(false),
            Action::Edit => self.open_form(true),
            Action::Test => self.test(cx),
            Action::Sync => self.sync(cx),
            Action::Delete => self.delete(cx),
            Action::DriftCheck => self.check_drift(false, cx),
            Action::DriftCheckAll => self.check_drift(true, cx),
            Action::Backup => self.backup(cx),
            Action::Snapshots => {
                if let Some(env) = self.current() {
                    cx.open(PaneKind::Snapshots, Nav::Env(env.name.clone()));
                }
            }
            Action::Refresh => {
                cx.refresh_envs();
                self.read_drift(cx);
            }
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<EnvMsg>() else {
            return;
        };
        match *msg {
            EnvMsg::Tested { env, result } => {
                let state = match result {
                    Ok(test) => {
                        let summary = test_summary(&test);
                        if test.ok {
                            cx.info(summary);
                        } else {
                            cx.error(summary);
                        }
                        TestState::Done(test)
                    }
                    Err(e) => {
                        cx.error(format!("{env}: not tested: {e}"));
                        TestState::Failed(e.to_string())
                    }
                };
                self.tests.insert(env, state);
            }
            EnvMsg::SyncStarted { envs, result } => match result {
                Ok(started) => {
                    self.marks.clear();
                    cx.info(format!(
                        "syncing {}: job {} (the Jobs pane shows progress)",
                        envs.join(", "),
                        started.job_id
                    ));
                }
                Err(e) => cx.error(format!("sync of {} not started: {e}", envs.join(", "))),
            },
            EnvMsg::DeleteConfirmed { env } => {
                if cx.readonly {
                    cx.error("read-only: environments cannot be changed");
                    return;
                }
                cx.spawn(move |ops| async move {
                    let result = ops.env_remove(env.clone()).await;
                    EnvMsg::Removed { env, result }
                });
            }
            EnvMsg::Removed { env, result } => match result {
                Ok(()) => {
                    self.marks.remove(&env);
                    self.tests.remove(&env);
                    cx.info(format!("removed {env}"));
                    cx.refresh_envs();
                }
                Err(e) => cx.error(format!("{env} not removed: {e}")),
            },
            EnvMsg::Saved { form, result } => self.saved(form, result, cx),
            EnvMsg::DriftRead { generation, .. } if generation != self.drift.generation => {}
            EnvMsg::DriftRead { result, .. } => {
                self.drift.checks = match result {
                    Ok(checks) => DriftChecks::Loaded(
                        checks.into_iter().map(|d| (d.env.clone(), d)).collect(),
                    ),
                    Err(e) => DriftChecks::Failed(e.to_string()),
                };
            }
            EnvMsg::DriftCheckStarted { req, result } => {
                let named = Self::named(&req.envs);
                match result {
                    Ok(started) => {
                        self.marks.clear();
                        let envs = if req.envs.is_empty() {
                            self.envs.iter().map(|e| e.name.clone()).collect()
                        } else {
                            req.envs
                        };
                        self.drift.started(started.job_id.clone(), envs);
                        cx.info(format!(
                            "checking drift of {named}: job {} (the Jobs pane shows progress)",
                            started.job_id
                        ));
                    }
                    Err(e) => cx.error(format!("drift check of {named} not started: {e}")),
                }
            }
            EnvMsg::BackupStarted { req, result } => {
                let named = Self::named(&req.envs);
                match result {
                    Ok(started) => {
                        self.marks.clear();
                        cx.info(format!(
                            "backing up {named}: job {} (the Snapshots pane lists the result)",
                            started.job_id
                        ));
                    }
                    Err(e) => cx.error(format!("backup of {named} not started: {e}")),
                }
            }
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        cx.refresh_envs();
        self.read_drift(cx);
        if self.selected.is_some() {
            cx.focus_env(self.selected.clone());
        }
    }

    /// Any finished job may have changed an environment's drift (a check, a sync, a
    /// restore): the latest checks are read again.
    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        if let EventBody::Finished { .. } = event.body {
            self.drift.finished(&event.job_id);
            self.read_drift(cx);
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    fn captures_input(&self) -> bool {
        self.form.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        match form.on_key(key) {
            FormEvent::None => {}
            FormEvent::Cancel => self.form = None,
            FormEvent::Submit => self.submit(cx),
        }
    }

    /// `esc` drops the marks first.
    fn back(&mut self) -> bool {
        let had_marks = !self.marks.is_empty();
        self.marks.clear();
        had_marks
    }
}

#[cfg(test)]
mod tests;
