//! The Snapshots pane: every environment's snapshots (or one environment's), newest
//! first, with who took them, when, why and what changed. `enter` opens one (its
//! metadata and workflows); `space` marks one and `d` on another compares the two
//! (`enter` on a workflow there shows what changed in it); `r` restores an environment
//! from the selected snapshot after a preview and a confirmation (on production, by
//! typing its name); `c` takes a snapshot, with an optional message.
//!
//! What opens over the list is a stack of views (`esc` pops one); each view's load
//! carries a generation, so answers to views closed meanwhile are dropped. The list
//! reloads whenever a job finishes (a snapshot, a backup or a restore adds one).

mod change;
mod draw;
mod draw_views;
mod restore;

use crate::domain::commit::CommitKind;
use crate::domain::diff::WorkflowDiff;
use crate::service::{
    EnvView, Event, EventBody, JobStarted, OpsResult, RestorePlan, RestoreRequest, SnapshotCreate,
    SnapshotDetail, SnapshotDiff, SnapshotView,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::input_line::InputLine;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::collections::BTreeSet;

/// Results of spawned work and confirmed actions.
enum Msg {
    Listed {
        generation: u64,
        result: OpsResult<Vec<SnapshotView>>,
    },
    Detail {
        generation: u64,
        result: OpsResult<SnapshotDetail>,
    },
    Diff {
        generation: u64,
        result: OpsResult<SnapshotDiff>,
    },
    /// The preview of a restore (`req` is the dry run that asked for it).
    Planned {
        generation: u64,
        req: RestoreRequest,
        result: OpsResult<RestorePlan>,
    },
    /// The person said yes to the preview: run it (`req` is confirmed).
    RestoreConfirmed { req: RestoreRequest },
    RestoreStarted {
        req: RestoreRequest,
        result: OpsResult<JobStarted>,
    },
    SnapshotStarted {
        req: SnapshotCreate,
        result: OpsResult<JobStarted>,
    },
}

/// Something loading for a view.
enum Load<T> {
    Loading,
    Failed(String),
    Ready(Box<T>),
}

impl<T> Load<T> {
    fn ready(&self) -> Option<&T> {
        match self {
            Load::Ready(t) => Some(t),
            _ => None,
        }
    }

    fn from(result: OpsResult<T>) -> Load<T> {
        match result {
            Ok(t) => Load::Ready(Box::new(t)),
            Err(e) => Load::Failed(e.to_string()),
        }
    }
}

/// One snapshot opened: its metadata and workflows. Marked workflows (by canonical id)
/// are what `r` restores; none marked restores the whole environment.
struct DetailView {
    id: String,
    state: Load<SnapshotDetail>,
    cursor: ListCursor,
    marks: BTreeSet<String>,
}

/// Two snapshots compared, `a` the older.
struct DiffView {
    a: String,
    b: String,
    state: Load<SnapshotDiff>,
    /// Indexes into the comparison's workflows in the order shown: differences first.
    order: Vec<usize>,
    cursor: ListCursor,
}

/// What changed in one workflow: a diff entry or a restore item, opened.
struct ChangeView {
    /// The workflow's name.
    title: String,
    /// Between what it is (the two snapshots, live and the snapshot).
    note: String,
    diff: Option<WorkflowDiff>,
    /// `cursor.selected` is the first line on screen.
    cursor: ListCursor,
    /// Lines at the last draw.
    len: usize,
}

/// The preview of a restore, then the question.
struct RestoreView {
    /// The dry run that asked for the plan; confirmed and run as is.
    req: RestoreRequest,
    state: Load<RestorePlan>,
    /// Indexes into the plan's items in the order shown: changes first.
    order: Vec<usize>,
    cursor: ListCursor,
}

enum ViewKind {
    Detail(DetailView),
    Diff(DiffView),
    Change(ChangeView),
    Restore(RestoreView),
}

/// A view over the list, with the generation of its load.
struct View {
    generation: u64,
    kind: ViewKind,
}

/// Where a chosen environment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Purpose {
    /// Restore it from this snapshot (these workflows; none means all).
    Restore {
        snapshot: String,
        workflows: Vec<String>,
    },
    /// Take a snapshot of it.
    Snapshot,
}

/// The environment picker `r` and `c` open (keys come to it raw).
struct Picker {
    purpose: Purpose,
    envs: Vec<String>,
    selected: usize,
}

/// The message of a new snapshot, typed in a line (keys come to it raw).
struct MessagePrompt {
    env: String,
    input: InputLine,
}

#[derive(Default)]
pub struct SnapshotsPane {
    /// Only this environment's snapshots; None: every environment's.
    env: Option<String>,
    /// Newest first.
    snapshots: Vec<SnapshotView>,
    /// Indexes into `snapshots` the filter lets through.
    visible: Vec<usize>,
    loaded: bool,
    loading: bool,
    error: Option<String>,
    generation: u64,
    cursor: ListCursor,
    filter: Filter,
    /// The snapshot marked to compare with another, by id.
    marked: Option<String>,
    views: Vec<View>,
    view_generation: u64,
    /// The environments as of the last draw: restore targets and their classes.
    envs: Vec<EnvView>,
    picker: Option<Picker>,
    prompt: Option<MessagePrompt>,
}

impl SnapshotsPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `snapshots` as a finished load does (the pane's own loads and tests).
    fn listed(&mut self, snapshots: Vec<SnapshotView>) {
        let selected = self.selected().map(|s| s.id.clone());
        self.snapshots = snapshots;
        self.loaded = true;
        self.error = None;
        if let Some(marked) = &self.marked
            && !self.snapshots.iter().any(|s| s.id == *marked)
        {
            self.marked = None;
        }
        self.refilter();
        if let Some(id) = selected
            && let Some(at) = self
                .visible
                .iter()
                .position(|&i| self.snapshots[i].id == id)
        {
            self.cursor.selected = at;
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        let generation = self.generation;
        let env = self.env.clone();
        cx.spawn(move |ops| async move {
            Msg::Listed {
                generation,
                result: ops.snapshot_list(env).await,
            }
        });
    }

    fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self
            .snapshots
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                filter.matches_any([
                    s.id.as_str(),
                    s.env.as_str(),
                    kind_label(s.kind),
                    s.actor.as_str(),
                    s.message.as_str(),
                ])
            })
            .map(|(i, _)| i)
            .collect();
        self.cursor.clamp(self.visible.len());
    }

    fn selected(&self) -> Option<&SnapshotView> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.snapshots.get(i))
    }

    /// Lists one environment's snapshots, or every environment's.
    fn scope(&mut self, env: Option<String>, cx: &mut Cx) {
        if self.env != env {
            self.env = env;
            self.snapshots.clear();
            self.visible.clear();
            self.loaded = false;
            self.error = None;
            self.marked = None;
            self.cursor = ListCursor::default();
        }
        self.views.clear();
        self.load(cx);
    }

    fn next_generation(&mut self) -> u64 {
        self.view_generation += 1;
        self.view_generation
    }

    fn open_detail(&mut self, cx: &mut Cx) {
        let Some(id) = self.selected().map(|s| s.id.clone()) else {
            return;
        };
        let generation = self.next_generation();
        self.views.push(View {
            generation,
            kind: ViewKind::Detail(DetailView {
                id: id.clone(),
                state: Load::Loading,
                cursor: ListCursor::default(),
                marks: BTreeSet::new(),
            }),
        });
        cx.spawn(move |ops| async move {
            Msg::Detail {
                generation,
                result: ops.snapshot_show(id).await,
            }
        });
    }

    fn toggle_mark(&mut self) {
        let Some(id) = self.selected().map(|s| s.id.clone()) else {
            return;
        };
        self.marked = if self.marked.as_ref() == Some(&id) {
            None
        } else {
            Some(id)
        };
    }

    /// The marked snapshot against the selected one, the older as `a`.
    fn compare(&mut self, cx: &mut Cx) {
        let Some(selected) = self.selected().cloned() else {
            return;
        };
        let Some(marked) = self.marked.clone() else {
            cx.info("Mark a snapshot (space), then compare it with another one (d)");
            return;
        };
        if marked == selected.id {
            cx.info("That is the marked snapshot: move to another one to compare them");
            return;
        }
        let marked_at = self.snapshots.iter().find(|s| s.id == marked).map(|s| s.at);
        let (a, b) = match marked_at {
            Some(at) if at > selected.at => (selected.id, marked),
            _ => (marked, selected.id),
        };
        let generation = self.next_generation();
        self.views.push(View {
            generation,
            kind: ViewKind::Diff(DiffView {
                a: a.clone(),
                b: b.clone(),
                state: Load::Loading,
                order: Vec::new(),
                cursor: ListCursor::default(),
            }),
        });
        self.marked = None;
        cx.spawn(move |ops| async move {
            Msg::Diff {
                generation,
                result: ops.snapshot_diff(a, b).await,
            }
        });
    }

    /// `enter` in a view: a diff entry's or a restore item's changes.
    fn open_change(&mut self) {
        let change = match self.views.last().map(|v| &v.kind) {
            Some(ViewKind::Diff(view)) => view.state.ready().and_then(|d| {
                let &i = view.order.get(view.cursor.selected)?;
                let entry = d.workflows.get(i)?;
                Some(change::of_entry(entry, &d.a.id, &d.b.id))
            }),
            Some(ViewKind::Restore(view)) => view.state.ready().and_then(|plan| {
                let &i = view.order.get(view.cursor.selected)?;
                Some(change::of_item(
                    plan.items.get(i)?,
                    &plan.env,
                    &plan.snapshot.id,
                ))
            }),
            _ => None,
        };
        if let Some(change) = change {
            let generation = self.next_generation();
            self.views.push(View {
                generation,
                kind: ViewKind::Change(change),
            });
        }
    }

    /// The cursor of the top view and how many rows it moves over.
    fn view_cursor(&mut self) -> Option<(&mut ListCursor, usize)> {
        let view = self.views.last_mut()?;
        Some(match &mut view.kind {
            ViewKind::Detail(v) => {
                let len = v.state.ready().map_or(0, |d| d.workflows.len());
                (&mut v.cursor, len)
            }
            ViewKind::Diff(v) => (&mut v.cursor, v.order.len()),
            ViewKind::Change(v) => {
                // The "rows" are the possible first lines on screen.
                let len = v.len.saturating_sub(v.cursor.page) + 1;
                (&mut v.cursor, len)
            }
            ViewKind::Restore(v) => (&mut v.cursor, v.order.len()),
        })
    }

    /// Reloads what the top view shows.
    fn reload_view(&mut self, cx: &mut Cx) {
        let generation = self.next_generation();
        let Some(view) = self.views.last_mut() else {
            return;
        };
        view.generation = generation;
        match &mut view.kind {
            ViewKind::Detail(v) => {
                v.state = Load::Loading;
                let id = v.id.clone();
                cx.spawn(move |ops| async move {
                    Msg::Detail {
                        generation,
                        result: ops.snapshot_show(id).await,
                    }
                });
            }
            ViewKind::Diff(v) => {
                v.state = Load::Loading;
                v.order.clear();
                let (a, b) = (v.a.clone(), v.b.clone());
                cx.spawn(move |ops| async move {
                    Msg::Diff {
                        generation,
                        result: ops.snapshot_diff(a, b).await,
                    }
                });
            }
            ViewKind::Restore(v) => {
                v.state = Load::Loading;
                v.order.clear();
                restore::spawn_plan(v.req.clone(), generation, cx);
            }
            ViewKind::Change(_) => {}
        }
    }

    /// The top view with this generation, if it is still open.
    fn view_mut(&mut self, generation: u64) -> Option<&mut ViewKind> {
        self.views
            .iter_mut()
            .find(|v| v.generation == generation)
            .map(|v| &mut v.kind)
    }
}

/// A commit kind as the list shows it.
fn kind_label(kind: CommitKind) -> &'static str {
    match kind {
        CommitKind::Sync => "sync",
        CommitKind::Snapshot => "snapshot",
        CommitKind::Backup => "backup",
        CommitKind::Promotion => "promotion",
        CommitKind::Restore => "restore",
        CommitKind::Onboarding => "onboarding",
    }
}

impl Pane for SnapshotsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Snapshots
    }

    fn actions(&self) -> Vec<Action> {
        if self.picker.is_some() || self.prompt.is_some() {
            return Vec::new();
        }
        let mut actions = ListCursor::MOVES.to_vec();
        match self.views.last().map(|v| &v.kind) {
            None => actions.extend([
                Action::Enter,
                Action::Mark,
                Action::Compare,
                Action::Restore,
                Action::SnapshotCreate,
                Action::Refresh,
            ]),
            Some(ViewKind::Detail(_)) => {
                actions.extend([Action::Mark, Action::Restore, Action::Refresh])
            }
            Some(ViewKind::Diff(_)) => actions.extend([Action::Enter, Action::Refresh]),
            Some(ViewKind::Change(_)) => {}
            Some(ViewKind::Restore(_)) => {
                actions.extend([Action::Enter, Action::Restore, Action::Refresh])
            }
        }
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        if self.envs != ui.envs {
            self.envs = ui.envs.to_vec();
        }
        match self.views.last_mut() {
            Some(view) => draw_views::draw(view, frame, area, ui),
            None => draw::draw_list(self, frame, area, ui),
        }
        draw::draw_overlays(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if cx.readonly && action.is_mutating() {
            cx.error("read-only: nothing is snapshotted or restored");
            return;
        }
        if !self.views.is_empty() {
            if let Some((cursor, len)) = self.view_cursor()
                && cursor.apply(action, len)
            {
                return;
            }
            match action {
                Action::Enter => self.open_change(),
                Action::Mark => self.mark_workflow(),
                Action::Restore => self.restore_from_view(cx),
                Action::Refresh => self.reload_view(cx),
                _ => {}
            }
            return;
        }
        if self.cursor.apply(action, self.visible.len()) {
            return;
        }
        match action {
            Action::Enter => self.open_detail(cx),
            Action::Mark => self.toggle_mark(),
            Action::Compare => self.compare(cx),
            Action::Restore => self.start_restore(cx),
            Action::SnapshotCreate => self.start_snapshot(cx),
            Action::Refresh => self.load(cx),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Msg>() else {
            return;
        };
        match *msg {
            Msg::Listed { generation, .. } if generation != self.generation => {}
            Msg::Listed { result, .. } => {
                self.loading = false;
                match result {
                    Ok(snapshots) => self.listed(snapshots),
                    Err(e) if self.loaded => cx.error(format!("snapshots not refreshed: {e}")),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Msg::Detail { generation, result } => {
                if let Some(ViewKind::Detail(view)) = self.view_mut(generation) {
                    view.state = Load::from(result);
                }
            }
            Msg::Diff { generation, result } => {
                if let Some(ViewKind::Diff(view)) = self.view_mut(generation) {
                    if let Ok(diff) = &result {
                        let (differ, same): (Vec<usize>, Vec<usize>) = (0..diff.workflows.len())
                            .partition(|&i| diff.workflows[i].status.differs());
                        view.order = differ.into_iter().chain(same).collect();
                    }
                    view.state = Load::from(result);
                }
            }
            Msg::Planned {
                generation,
                req,
                result,
            } => self.planned(generation, req, result),
            Msg::RestoreConfirmed { req } => self.run_restore(req, cx),
            Msg::RestoreStarted { req, result } => self.restore_started(req, result, cx),
            Msg::SnapshotStarted { req, result } => match result {
                Ok(started) => cx.info(format!(
                    "snapshotting {}: job {} (listed here when it is done)",
                    req.env, started.job_id
                )),
                Err(e) => cx.error(format!("snapshot of {} not started: {e}", req.env)),
            },
        }
    }

    fn on_open(&mut self, nav: Nav, cx: &mut Cx) {
        match nav {
            // `:snap all` shows every environment (unless one is called "all").
            Nav::Env(env) if env == "all" && !self.envs.iter().any(|e| e.name == env) => {
                self.scope(None, cx)
            }
            Nav::Env(env) => self.scope(Some(env), cx),
            _ if !self.loading => self.load(cx),
            _ => {}
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        if matches!(event.body, EventBody::Finished { .. }) && (self.loaded || self.loading) {
            self.load(cx);
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    fn captures_input(&self) -> bool {
        self.picker.is_some() || self.prompt.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        if self.prompt.is_some() {
            self.prompt_key(key, cx);
        } else if self.picker.is_some() {
            self.picker_key(key, cx);
        }
    }

    /// `esc` closes the top view, then drops the mark.
    fn back(&mut self) -> bool {
        if self.views.pop().is_some() {
            return true;
        }
        self.marked.take().is_some()
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![("all", "every environment's snapshots")]
    }

    fn on_command(&mut self, name: &str, _arg: &str, cx: &mut Cx) {
        if name == "all" {
            self.scope(None, cx);
        }
    }
}

#[cfg(test)]
mod tests;
