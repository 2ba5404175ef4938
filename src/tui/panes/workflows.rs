//! The Workflows pane: the catalog of every stored workflow (search by name and node
//! type; filters by environment, tag and active), one workflow's detail and node graph,
//! and the policy-checked operations on the selected or marked workflows. Every
//! operation is one `Ops` call; what the policy answers (done, confirm, approval,
//! blocked) comes back per workflow and is shown as such.

mod catalog;
mod detail;
mod draw;
mod graph;
mod operations;
mod prompt;

pub use detail::Detail;

use crate::service::{
    Event, OpsResult, UploadRejected, UploadReport, UploadRequest, WorkflowAction,
    WorkflowOpReport, WorkflowOpRequest, WorkflowQuery, WorkflowRef, WorkflowSummary,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::sync_watch::SyncWatch;
use crate::tui::ui::Ui;
use catalog::{Catalog, NodeHits};
use crossterm::event::KeyEvent;
use detail::{DetailState, DetailView, DocLine};
use prompt::{Prompt, PromptEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Block;
use std::collections::HashSet;

/// What spawned work and confirmations send back.
enum Msg {
    Listed {
        generation: u64,
        result: OpsResult<Vec<WorkflowSummary>>,
    },
    /// The service's search (names and node types) for the `/` filter's text.
    NodeHits {
        needle: String,
        generation: u64,
        result: OpsResult<Vec<WorkflowSummary>>,
    },
    Detail {
        generation: u64,
        result: OpsResult<Box<Detail>>,
    },
    /// Send this (confirmed where it needed it).
    Send(WorkflowOpRequest),
    Ran {
        request: WorkflowOpRequest,
        result: OpsResult<WorkflowOpReport>,
    },
    /// Send this upload again, confirmed.
    SendUpload {
        request: UploadRequest,
        unreadable: Vec<UploadRejected>,
    },
    Uploaded {
        request: UploadRequest,
        unreadable: Vec<UploadRejected>,
        /// None when no file could be read, so nothing was sent.
        result: Option<OpsResult<UploadReport>>,
    },
    Downloaded {
        path: String,
        result: Result<usize, String>,
    },
    DiffWith(OpsResult<Option<(Option<WorkflowRef>, Option<WorkflowRef>)>>),
}

/// A panel at the bottom listing what an operation did file by file; `esc` closes it.
struct Report {
    title: String,
    lines: Vec<DocLine>,
}

#[derive(Default)]
pub struct WorkflowsPane {
    catalog: Catalog,
    /// A load finished at least once: the catalog is real data.
    loaded: bool,
    loading: bool,
    /// Why the last load failed, when there is no data to show instead.
    error: Option<String>,
    /// Bumped per load request; older answers are dropped.
    generation: u64,
    /// The search text a node-type search is running for.
    searching: Option<String>,
    /// The list generation the node-type matches were asked at.
    hits_generation: u64,
    detail: Option<DetailView>,
    detail_generation: u64,
    prompt: Option<Prompt>,
    report: Option<Report>,
    /// Sync jobs seen starting: the catalog reloads when one finishes.
    syncs: SyncWatch,
    readonly: bool,
    /// Environment names at the last draw, to check `:env NAME`.
    env_names: Vec<String>,
    today: Option<chrono::NaiveDate>,
}

impl WorkflowsPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `rows` as a finished load does (the pane's own loads and tests).
    pub fn show(&mut self, rows: Vec<WorkflowSummary>) {
        self.loaded = true;
        self.error = None;
        self.catalog.show(rows);
    }

    /// Shows `detail` as its finished load does (tests).
    pub fn show_detail(&mut self, detail: Detail) {
        self.detail_generation += 1;
        let mut view = DetailView::new(detail.target(), self.detail_generation);
        view.state = DetailState::Ready(Box::new(detail));
        self.detail = Some(view);
    }

    fn request_load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        let generation = self.generation;
        cx.spawn(move |ops| async move {
            Msg::Listed {
                generation,
                result: ops.workflows_list(WorkflowQuery::default()).await,
            }
        });
        self.maybe_search(cx);
    }

    /// Asks the service which workflows match the filter's text by node type, once per
    /// text and load. `set_filter` has no `Cx`, so this runs at the next chance.
    fn maybe_search(&mut self, cx: &mut Cx) {
        let needle = self.catalog.needle();
        let fresh = self
            .catalog
            .node_hits
            .as_ref()
            .is_some_and(|h| h.needle == needle && self.hits_generation == self.generation);
        if needle.is_empty() || fresh || self.searching.as_deref() == Some(needle.as_str()) {
            return;
        }
        self.searching = Some(needle.clone());
        let generation = self.generation;
        cx.spawn(move |ops| async move {
            let query = WorkflowQuery {
                search: Some(needle.clone()),
                ..WorkflowQuery::default()
            };
            Msg::NodeHits {
                result: ops.workflows_list(query).await,
                needle,
                generation,
            }
        });
    }

    fn open_detail(&mut self, target: WorkflowRef, cx: &mut Cx) {
        self.detail_generation += 1;
        self.detail = Some(DetailView::new(target, self.detail_generation));
        self.load_detail(cx);
    }

    /// (Re)loads the open detail; what it shows stays until the answer comes.
    fn load_detail(&mut self, cx: &mut Cx) {
        let Some(view) = &mut self.detail else {
            return;
        };
        self.detail_generation += 1;
        view.generation = self.detail_generation;
        let (generation, target) = (view.generation, view.target.clone());
        cx.spawn(move |ops| async move {
            let result = ops
                .workflow_get(target)
                .await
                .map(|d| Box::new(Detail::build(d)));
            Msg::Detail { generation, result }
        });
    }

    /// The workflows an operation applies to, with their names: the open detail's, or
    /// the marked rows, or the row under the cursor.
    fn targets(&self) -> Vec<(WorkflowRef, String)> {
        if let Some(view) = &self.detail {
            let name = view
                .ready()
                .map(|d| d.summary.name.clone())
                .unwrap_or_else(|| view.target.id.clone());
            return vec![(view.target.clone(), name)];
        }
        self.catalog.targets()
    }

    /// How messages name a workflow: `'Orders' in staging`.
    fn describe(&self, target: &WorkflowRef, name: Option<&str>) -> String {
        let name = name
            .map(str::to_owned)
            .or_else(|| self.catalog.name_of(target).map(str::to_owned))
            .or_else(|| {
                self.detail
                    .as_ref()
                    .and_then(|v| v.ready())
                    .filter(|d| d.target() == *target)
                    .map(|d| d.summary.name.clone())
            })
            .unwrap_or_else(|| format!("workflow {}", target.id));
        format!("'{name}' in {}", target.env)
    }

    fn describe_all(&self, targets: &[(WorkflowRef, String)]) -> String {
        match targets {
            [(target, name)] => self.describe(target, Some(name)),
            many => format!("{} workflows", many.len()),
        }
    }

    fn set_env(&mut self, env: Option<String>, cx: &mut Cx) {
        if let Some(name) = &env
            && !self.env_names.is_empty()
            && !self.env_names.contains(name)
        {
            cx.error(format!(
                "No environment named '{name}' (there are: {}).",
                self.env_names.join(", ")
            ));
            return;
        }
        self.catalog.env = env.clone();
        self.catalog.refilter();
        cx.focus_env(env);
    }

    /// `p`: the promotion wizard from the open detail's environment (or the one the
    /// catalog is narrowed to, or the cursor row's) with the marked (or selected)
    /// workflows' names.
    fn promote(&self, cx: &mut Cx) {
        let from = match &self.detail {
            Some(view) => Some(view.target.env.clone()),
            None => self
                .catalog
                .env
                .clone()
                .or_else(|| self.catalog.current().map(|w| w.env.clone())),
        };
        let Some(from) = from else {
            return;
        };
        let mut workflows: Vec<String> = Vec::new();
        for (_, name) in self.targets() {
            if !workflows.contains(&name) {
                workflows.push(name);
            }
        }
        cx.open(
            PaneKind::Promote,
            Nav::Promote {
                from: Some(from),
                to: None,
                workflows,
                incident: None,
            },
        );
    }

    fn detail_action(&mut self, action: Action, cx: &mut Cx) -> bool {
        let Some(view) = &mut self.detail else {
            return false;
        };
        let page = view.page();
        match action {
            Action::Down => view.scroll_by(0, if view.graph_mode { 2 } else { 1 }),
            Action::Up => view.scroll_by(0, if view.graph_mode { -2 } else { -1 }),
            Action::Left => view.scroll_by(-8, 0),
            Action::Right => view.scroll_by(8, 0),
            Action::PageDown => view.scroll_by(0, page),
            Action::PageUp => view.scroll_by(0, -page),
            Action::Top => view.scroll_by(-i32::from(u16::MAX), -i32::MAX / 2),
            Action::Bottom => view.scroll_by(0, i32::MAX / 2),
            Action::Graph => view.graph_mode = !view.graph_mode,
            Action::Refresh => {
                self.load_detail(cx);
                self.request_load(cx);
            }
            _ => return false,
        }
        true
    }
}

impl Pane for WorkflowsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Workflows
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = ListCursor::MOVES.to_vec();
        match &self.detail {
            Some(view) => {
                if view.graph_mode {
                    actions.extend([Action::Left, Action::Right]);
                }
                actions.extend([
                    Action::Graph,
                    Action::Diff,
                    Action::Promote,
                    Action::Refresh,
                    Action::Activate,
                    Action::Deactivate,
                    Action::Tag,
                    Action::Delete,
                    Action::HardDelete,
                    Action::Download,
                ]);
            }
            None => actions.extend([
                Action::Enter,
                Action::Mark,
                Action::MarkAll,
                Action::Diff,
                Action::Promote,
                Action::Refresh,
                Action::Activate,
                Action::Deactivate,
                Action::Tag,
                Action::Delete,
                Action::HardDelete,
                Action::Upload,
                Action::Download,
            ]),
        }
        if self.readonly {
            actions.retain(|a| !a.is_mutating());
        }
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        self.readonly = ui.readonly;
        self.today = Some(ui.now.date_naive());
        if self.env_names.len() != ui.envs.len()
            || self
                .env_names
                .iter()
                .zip(ui.envs)
                .any(|(a, b)| *a != b.name)
        {
            self.env_names = ui.envs.iter().map(|e| e.name.clone()).collect();
        }
        let inner = match &mut self.detail {
            Some(view) => {
                let block = detail::block(view, ui.theme);
                let inner = block.inner(area);
                frame.render_widget(block, area);
                detail::draw(view, frame, inner, ui);
                inner
            }
            None => {
                self.draw_list(frame, area, ui);
                Block::bordered().inner(area)
            }
        };
        self.draw_report(inner, frame.buffer_mut(), ui);
        if let Some(prompt) = &mut self.prompt {
            prompt.draw(inner, frame.buffer_mut(), ui.theme);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        self.readonly = cx.readonly;
        self.maybe_search(cx);
        if action.is_mutating() && cx.readonly {
            cx.error(format!("Read-only: '{}' is not available.", action.label()));
            return;
        }
        if self.detail_action(action, cx) {
            return;
        }
        if self.catalog.apply(action) {
            return;
        }
        match action {
            Action::Enter => {
                if let Some(w) = self.catalog.current() {
                    let target = WorkflowRef {
                        env: w.env.clone(),
                        id: w.id.clone(),
                    };
                    self.open_detail(target, cx);
                }
            }
            Action::Mark if self.detail.is_none() => self.catalog.toggle_mark(),
            Action::MarkAll if self.detail.is_none() => self.catalog.toggle_mark_all(),
            Action::Refresh => self.request_load(cx),
            Action::Activate | Action::Deactivate => {
                let targets = self.targets().into_iter().map(|(t, _)| t).collect();
                let op = if action == Action::Activate {
                    WorkflowAction::Activate
                } else {
                    WorkflowAction::Deactivate
                };
                self.run(op, targets, cx);
            }
            Action::Delete => self.confirm_delete(false, cx),
            Action::HardDelete => self.confirm_delete(true, cx),
            Action::Tag | Action::Upload | Action::Download => self.open_prompt(action, cx),
            Action::Diff => self.open_diff(cx),
            Action::Promote => self.promote(cx),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Msg>() else {
            return;
        };
        match *msg {
            Msg::Listed { generation, result } => {
                if generation != self.generation {
                    return;
                }
                self.loading = false;
                match result {
                    Ok(rows) => self.show(rows),
                    Err(e) if self.loaded => cx.error(format!("Workflows not refreshed: {e}")),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Msg::NodeHits {
                needle,
                generation,
                result,
            } => {
                if self.searching.as_deref() == Some(needle.as_str()) {
                    self.searching = None;
                }
                if needle != self.catalog.needle() {
                    return;
                }
                // A failed search is not retried until the text or the data changes:
                // names still match meanwhile.
                let keys = match result {
                    Ok(rows) => rows.into_iter().map(|w| (w.env, w.id)).collect(),
                    Err(e) => {
                        cx.error(format!("Search by node type failed: {e}"));
                        HashSet::new()
                    }
                };
                self.hits_generation = generation;
                self.catalog.node_hits = Some(NodeHits { needle, keys });
                self.catalog.refilter();
            }
            Msg::Detail { generation, result } => {
                let Some(view) = &mut self.detail else {
                    return;
                };
                if view.generation != generation {
                    return;
                }
                view.state = match (
                    result,
                    std::mem::replace(&mut view.state, DetailState::Loading),
                ) {
                    (Ok(mut new), DetailState::Ready(old)) => {
                        new.graph.scroll = old.graph.scroll;
                        DetailState::Ready(new)
                    }
                    (Ok(new), _) => DetailState::Ready(new),
                    (Err(e), DetailState::Ready(old)) => {
                        cx.error(format!("Workflow not refreshed: {e}"));
                        DetailState::Ready(old)
                    }
                    (Err(e), _) => DetailState::Failed(e.to_string()),
                };
            }
            Msg::Send(request) => {
                if cx.readonly {
                    return;
                }
                self.send(request, cx);
            }
            Msg::Ran { request, result } => match result {
                Ok(report) => self.on_ran(request, report, cx),
                Err(e) => cx.error(format!(
                    "Could not {} {}: {e}",
                    operations::verb(&request.action),
                    match request.targets.as_slice() {
                        [one] => self.describe(one, None),
                        many => format!("{} workflows", many.len()),
                    }
                )),
            },
            Msg::SendUpload {
                request,
                unreadable,
            } => {
                if cx.readonly {
                    return;
                }
                cx.spawn(move |ops| async move {
                    Msg::Uploaded {
                        result: Some(ops.workflows_upload(request.clone()).await),
                        request,
                        unreadable,
                    }
                });
            }
            Msg::Uploaded {
                request,
                unreadable,
                result,
            } => self.on_uploaded(request, unreadable, result, cx),
            Msg::Downloaded { path, result } => match result {
                Ok(n) => cx.info(format!("Downloaded {} to {path}", operations::count(n))),
                Err(e) => cx.error(e),
            },
            Msg::DiffWith(result) => match result {
                Ok(Some((a, b))) => cx.open(PaneKind::Diff, Nav::Diff { a, b }),
                Ok(None) => cx.info("There is no other environment to compare with."),
                Err(e) => cx.error(format!("Could not find what to compare with: {e}")),
            },
        }
    }

    fn on_open(&mut self, nav: Nav, cx: &mut Cx) {
        self.readonly = cx.readonly;
        match nav {
            Nav::Workflow(target) => self.open_detail(target, cx),
            Nav::Env(env) => {
                self.detail = None;
                // `:wf all` (the shell's) shows every environment.
                let all = env == "all" && !self.env_names.contains(&env);
                self.set_env((!all).then_some(env), cx);
            }
            Nav::Show
            | Nav::Diff { .. }
            | Nav::Compare(_)
            | Nav::Promote { .. }
            | Nav::Deployment(_) => {}
        }
        if !self.loading {
            self.request_load(cx);
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        if self.syncs.finished(event) && (self.loaded || self.loading) {
            self.request_load(cx);
            self.load_detail(cx);
        }
    }

    fn on_tick(&mut self, cx: &mut Cx) {
        self.maybe_search(cx);
    }

    fn set_filter(&mut self, filter: Filter) {
        self.catalog.filter = filter;
        self.catalog.refilter();
    }

    fn captures_input(&self) -> bool {
        self.prompt.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        match prompt.on_key(key) {
            PromptEvent::None => {}
            PromptEvent::Cancel => self.prompt = None,
            PromptEvent::Submit(text) => {
                if let Some(prompt) = self.prompt.take() {
                    self.submit_prompt(prompt.kind, text, cx);
                }
            }
        }
    }

    fn back(&mut self) -> bool {
        if self.prompt.take().is_some() || self.report.take().is_some() {
            return true;
        }
        match &mut self.detail {
            Some(view) if view.graph_mode => view.graph_mode = false,
            Some(_) => self.detail = None,
            None => return false,
        }
        true
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "env",
                "env NAME: one environment's workflows; env all: every environment's",
            ),
            ("tag", "tag T: only workflows tagged T; tag alone clears it"),
            ("active", "only active workflows"),
            ("inactive", "only inactive workflows"),
            ("all", "clear the environment, tag and active filters"),
        ]
    }

    fn on_command(&mut self, name: &str, arg: &str, cx: &mut Cx) {
        let arg = arg.trim();
        match name {
            "env" if arg.is_empty() || arg == "all" => self.set_env(None, cx),
            "env" => self.set_env(Some(arg.to_owned()), cx),
            "tag" => {
                let tag = arg.trim_start_matches('#');
                self.catalog.tag = (!tag.is_empty()).then(|| tag.to_owned());
                self.catalog.refilter();
            }
            "active" | "inactive" => {
                self.catalog.active = Some(name == "active");
                self.catalog.refilter();
            }
            "all" => {
                self.catalog.tag = None;
                self.catalog.active = None;
                self.set_env(None, cx);
            }
            _ => {}
        }
        self.detail = None;
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod promote_tests {
    use super::*;
    use crate::domain::sync::Change;
    use crate::tui::pane::Effect;
    use crate::tui::testing::{self, Harness};

    fn summary(env: &str, id: &str, name: &str) -> WorkflowSummary {
        WorkflowSummary {
            env: env.into(),
            id: id.into(),
            name: name.into(),
            active: true,
            tags: Vec::new(),
            nodes: 3,
            fingerprint: format!("fp-{id}"),
            updated_at: None,
            stored_at: testing::now(),
            change: Change::Unchanged,
            canonical_id: None,
            drift: None,
        }
    }

    fn opened(effects: &[Effect]) -> Vec<Nav> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Open(PaneKind::Promote, nav) => Some(nav.clone()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn p_opens_the_wizard_with_the_marked_or_selected_workflows() {
        let mut h = Harness::new().await;
        let mut pane = WorkflowsPane::new();
        pane.show(vec![
            summary("development", "d1", "Alpha sync"),
            summary("development", "d2", "Billing export"),
            summary("staging", "s1", "Alpha sync"),
        ]);
        pane.on_command("env", "development", &mut h.cx());
        h.effects.clear();
        assert!(pane.actions().contains(&Action::Promote));
        // Nothing marked: the selected workflow, from the environment in focus.
        let selected = pane.catalog.current().map(|w| w.name.clone()).unwrap();
        pane.on_action(Action::Promote, &mut h.cx());
        assert_eq!(
            opened(&h.effects),
            [Nav::Promote {
                from: Some("development".into()),
                to: None,
                workflows: vec![selected],
                incident: None,
            }]
        );
        h.effects.clear();
        // Everything marked: every name, once.
        pane.on_action(Action::MarkAll, &mut h.cx());
        pane.on_action(Action::Promote, &mut h.cx());
        let navs = opened(&h.effects);
        let [
            Nav::Promote {
                from, workflows, ..
            },
        ] = navs.as_slice()
        else {
            panic!("the wizard opened");
        };
        assert_eq!(from.as_deref(), Some("development"));
        let mut names = workflows.clone();
        names.sort();
        assert_eq!(names, ["Alpha sync", "Billing export"]);
    }
}
