//! The Matrix pane: every workflow against every environment, each cell telling
//! whether the workflow is there, active, the same version as elsewhere, and what the
//! last drift check said of it. Rows are canonical workflows (a renamed workflow stays
//! on its row) and, marked apart, untracked ones grouped by name; `o` onboards those.
//! Rows are built once per load and the filtered list once per filter change; drawing
//! touches only the rows and columns on screen, so 10,000 x 10 scrolls freely.

mod draw;
mod onboard;

use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::matrix::{self, Entry, Placed, Row, RowId};
use crate::service::{
    EnvView, Event, EventBody, JobStarted, OnboardRequest, Ops, OpsResult, WorkflowQuery,
    WorkflowRef, WorkflowSummary,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::sync_watch::SyncWatch;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::collections::HashSet;
use std::sync::Arc;

/// An environment's column.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    class: EnvClass,
}

/// What one load produced: columns in class order, rows sorted by name.
#[derive(Debug, Default)]
pub struct Grid {
    columns: Vec<Column>,
    rows: Vec<Row>,
    /// The widest workflow name, in terminal cells.
    name_width: u16,
}

impl Grid {
    /// Columns in class order (development, staging, production), then by name.
    pub fn build(envs: &[EnvView], workflows: &[WorkflowSummary]) -> Grid {
        let mut columns: Vec<Column> = envs
            .iter()
            .map(|e| Column {
                name: e.name.clone(),
                class: e.class,
            })
            .collect();
        columns.sort_by(|a, b| a.class.cmp(&b.class).then_with(|| a.name.cmp(&b.name)));
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let rows = matrix::build(
            &names,
            workflows.iter().map(|w| Placed {
                entry: Entry {
                    env: &w.env,
                    name: &w.name,
                    id: &w.id,
                    fingerprint: &w.fingerprint,
                    active: w.active,
                },
                canonical: w.canonical_id.as_deref(),
                drift: w.drift,
            }),
        );
        let name_width = rows
            .iter()
            .map(|r| Span::raw(r.name.as_str()).width())
            .max()
            .unwrap_or(0);
        Grid {
            columns,
            rows,
            name_width: u16::try_from(name_width).unwrap_or(u16::MAX),
        }
    }
}

async fn load(ops: Arc<dyn Ops>) -> OpsResult<Grid> {
    let envs = ops.env_list().await?;
    let workflows = ops.workflows_list(WorkflowQuery::default()).await?;
    Ok(Grid::build(&envs, &workflows))
}

enum MatrixMsg {
    Loaded {
        generation: u64,
        result: OpsResult<Grid>,
    },
    /// An onboarding job was asked for; `what` names the workflows for the flash.
    Onboarding {
        req: OnboardRequest,
        what: String,
        result: OpsResult<JobStarted>,
    },
    /// The person said yes to onboarding every untracked workflow of `env`.
    OnboardAllConfirmed { env: String },
}

/// A marked cell, by row identity and environment, so it survives reloads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mark {
    row: RowId,
    env: String,
}

/// Job kinds whose end changes what the matrix shows: workflows, their canonical
/// identity or their drift.
const RELOAD_AFTER: &[&str] = &["sync", "drift", "onboard", "snapshot", "backup", "restore"];

#[derive(Debug, Default)]
pub struct MatrixPane {
    grid: Grid,
    /// Indexes into `grid.rows` of the rows the filters let through, ascending.
    visible: Vec<usize>,
    /// A load finished at least once: `grid` is real data.
    loaded: bool,
    loading: bool,
    /// Why the last load failed, when there is no data to show instead.
    error: Option<String>,
    /// Bumped per load request; older answers are dropped.
    generation: u64,
    filter: Filter,
    differs_only: bool,
    missing_only: bool,
    untracked_only: bool,
    drifted_only: bool,
    /// The row under the cursor, as an index into `visible`.
    cursor: ListCursor,
    /// The column under the cursor.
    col: usize,
    /// First column on screen.
    col_offset: usize,
    marks: Vec<Mark>,
    /// Sync jobs seen starting: the matrix reloads when one finishes.
    syncs: SyncWatch,
    /// Other jobs seen starting that change what the matrix shows (`RELOAD_AFTER`).
    changing: HashSet<String>,
}

impl MatrixPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `grid` as a finished load does (the pane's own loads, tests, benchmarks).
    pub fn show(&mut self, grid: Grid) {
        let current = self.current_row().map(|r| r.id.clone());
        self.grid = grid;
        self.loaded = true;
        self.error = None;
        self.col = self.col.min(self.grid.columns.len().saturating_sub(1));
        // Old indexes mean nothing in the new rows: the cursor is put back by identity.
        self.visible.clear();
        self.refilter();
        if let Some(id) = current
            && let Some(row) = self.grid.rows.iter().position(|r| r.id == id)
        {
            self.cursor.selected = self.visible.binary_search(&row).unwrap_or_else(|i| i);
        }
        self.cursor.clamp(self.visible.len());
    }

    /// Puts the cursor on a visible row and a column (both clamped).
    pub fn select(&mut self, row: usize, col: usize) {
        self.cursor.selected = row;
        self.col = col.min(self.grid.columns.len().saturating_sub(1));
        self.cursor.clamp(self.visible.len());
    }

    fn request_load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        let generation = self.generation;
        cx.spawn(move |ops| async move {
            MatrixMsg::Loaded {
                generation,
                result: load(ops).await,
            }
        });
    }

    /// Recomputes the filtered rows, keeping the cursor on the same row when it stays.
    fn refilter(&mut self) {
        let current = self.visible.get(self.cursor.selected).copied();
        let (differs, missing, filter) = (self.differs_only, self.missing_only, &self.filter);
        let (untracked, drifted) = (self.untracked_only, self.drifted_only);
        self.visible = self
            .grid
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !differs || r.differs())
            .filter(|(_, r)| !missing || r.is_missing_somewhere())
            .filter(|(_, r)| !untracked || r.is_untracked())
            .filter(|(_, r)| !drifted || r.has_drift(DriftStatus::Drifted))
            .filter(|(_, r)| match r.canonical_id() {
                Some(id) if !filter.is_empty() => filter.matches_any([r.name.as_str(), id]),
                _ => filter.matches(&r.name),
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(row) = current {
            self.cursor.selected = self.visible.binary_search(&row).unwrap_or_else(|i| i);
        }
        self.cursor.clamp(self.visible.len());
    }

    fn current_row(&self) -> Option<&Row> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.grid.rows.get(i))
    }

    fn current_env(&self) -> Option<&str> {
        self.grid.columns.get(self.col).map(|c| c.name.as_str())
    }

    /// The workflow in `row` at the column of environment `env`, if present there.
    fn cell_ref(&self, row: &Row, env: &str) -> Option<WorkflowRef> {
        let col = self.grid.columns.iter().position(|c| c.name == env)?;
        let present = row.cells.get(col)?.present()?;
        Some(WorkflowRef {
            env: env.to_owned(),
            id: present.id.clone(),
        })
    }

    fn is_marked(&self, row: &RowId, env: &str) -> bool {
        self.marks.iter().any(|m| m.row == *row && m.env == env)
    }

    fn open_cell(&self, cx: &mut Cx) {
        let (Some(row), Some(env)) = (self.current_row(), self.current_env()) else {
            return;
        };
        match self.cell_ref(row, env) {
            Some(workflow) => cx.open(PaneKind::Workflows, Nav::Workflow(workflow)),
            None => cx.info(format!("'{}' is missing in {env}", row.name)),
        }
    }

    fn toggle_mark(&mut self) {
        let (Some(row), Some(env)) = (self.current_row(), self.current_env()) else {
            return;
        };
        let mark = Mark {
            row: row.id.clone(),
            env: env.to_owned(),
        };
        match self.marks.iter().position(|m| *m == mark) {
            Some(i) => {
                self.marks.remove(i);
            }
            None => self.marks.push(mark),
        }
    }

    /// Two marked cells of one row, or else the first two differing cells of the row
    /// under the cursor.
    fn open_diff(&mut self, cx: &mut Cx) {
        if self.marks.is_empty() {
            let Some(row) = self.current_row() else {
                return;
            };
            match row.first_difference() {
                Some((a, b)) => {
                    let side = |col: usize| self.cell_ref(row, &self.grid.columns[col].name);
                    cx.open(
                        PaneKind::Diff,
                        Nav::Diff {
                            a: side(a),
                            b: side(b),
                        },
                    );
                }
                None => cx.info(format!(
                    "'{}' is the same wherever it exists: mark two cells (space) to compare them",
                    row.name
                )),
            }
            return;
        }
        let [first, second] = self.marks.as_slice() else {
            cx.error(format!(
                "{} cells marked: mark two cells of one workflow to compare them",
                self.marks.len()
            ));
            return;
        };
        let row_name = |id: &RowId| {
            let stored = self.grid.rows.iter().find(|r| r.id == *id);
            stored.map_or_else(|| row_id_name(id).to_owned(), |r| r.name.clone())
        };
        if first.row != second.row {
            cx.error(format!(
                "the marked cells are of two workflows ('{}', '{}'): mark two cells of one row",
                row_name(&first.row),
                row_name(&second.row)
            ));
            return;
        }
        let Some(row) = self.grid.rows.iter().find(|r| r.id == first.row) else {
            cx.error(format!("'{}' is no longer stored", row_id_name(&first.row)));
            self.marks.clear();
            return;
        };
        let column = |env: &str| self.grid.columns.iter().position(|c| c.name == env);
        let (mut a, mut b) = (first, second);
        if column(&a.env) > column(&b.env) {
            std::mem::swap(&mut a, &mut b);
        }
        let (a, b) = (self.cell_ref(row, &a.env), self.cell_ref(row, &b.env));
        if a.is_none() && b.is_none() {
            cx.error(format!(
                "'{}' is missing in both marked environments",
                row.name
            ));
            return;
        }
        cx.open(PaneKind::Diff, Nav::Diff { a, b });
        self.marks.clear();
    }

    /// `p`: the promotion wizard from the cursor's environment with the marked cells'
    /// workflows (or the cursor's); marks in exactly one other environment name the
    /// target.
    fn promote(&self, cx: &mut Cx) {
        let Some(from) = self.current_env().map(str::to_owned) else {
            return;
        };
        let mut workflows: Vec<String> = Vec::new();
        for mark in &self.marks {
            let name = self
                .grid
                .rows
                .iter()
                .find(|r| r.id == mark.row)
                .map_or_else(|| row_id_name(&mark.row).to_owned(), |r| r.name.clone());
            if !workflows.contains(&name) {
                workflows.push(name);
            }
        }
        if workflows.is_empty() {
            workflows.extend(self.current_row().map(|r| r.name.clone()));
        }
        let others: std::collections::BTreeSet<&str> = self
            .marks
            .iter()
            .map(|m| m.env.as_str())
            .filter(|env| *env != from)
            .collect();
        let to = match others.into_iter().collect::<Vec<_>>().as_slice() {
            [only] => Some((*only).to_owned()),
            _ => None,
        };
        cx.open(
            PaneKind::Promote,
            Nav::Promote {
                from: Some(from),
                to,
                workflows,
                incident: None,
            },
        );
    }

    fn set_filters(&mut self, differs: bool, missing: bool) {
        self.differs_only = differs;
        self.missing_only = missing;
        self.refilter();
    }

    /// Whether a finished job changed what the matrix shows.
    fn reloads_after(&mut self, event: &Event) -> bool {
        let sync = self.syncs.finished(event);
        match &event.body {
            EventBody::Started { kind, .. } if RELOAD_AFTER.iter().any(|k| kind.starts_with(k)) => {
                self.changing.insert(event.job_id.clone());
                false
            }
            EventBody::Finished { .. } => self.changing.remove(&event.job_id) || sync,
            _ => sync,
        }
    }
}

/// What a row is called when it is no longer stored: its canonical id or its name.
fn row_id_name(id: &RowId) -> &str {
    match id {
        RowId::Canonical(id) | RowId::Untracked(id) => id,
    }
}

impl Pane for MatrixPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Matrix
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = ListCursor::MOVES.to_vec();
        actions.extend([
            Action::Left,
            Action::Right,
            Action::Enter,
            Action::Mark,
            Action::Diff,
            Action::Promote,
            Action::ToggleDiffers,
            Action::ToggleMissing,
            Action::ToggleUntracked,
            Action::Onboard,
            Action::OnboardAll,
            Action::Refresh,
        ]);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        draw::draw(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if self.cursor.apply(action, self.visible.len()) {
            return;
        }
        match action {
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => {
                self.col = (self.col + 1).min(self.grid.columns.len().saturating_sub(1))
            }
            Action::Enter => self.open_cell(cx),
            Action::Mark => self.toggle_mark(),
            Action::Diff => self.open_diff(cx),
            Action::Promote => self.promote(cx),
            Action::ToggleDiffers => self.set_filters(!self.differs_only, self.missing_only),
            Action::ToggleMissing => self.set_filters(self.differs_only, !self.missing_only),
            Action::ToggleUntracked => {
                self.untracked_only = !self.untracked_only;
                self.refilter();
            }
            Action::Onboard => self.onboard(cx),
            Action::OnboardAll => self.confirm_onboard_all(cx),
            Action::Refresh => self.request_load(cx),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<MatrixMsg>() else {
            return;
        };
        match *msg {
            MatrixMsg::Loaded { generation, result } => {
                if generation != self.generation {
                    return;
                }
                self.loading = false;
                match result {
                    Ok(grid) => self.show(grid),
                    Err(e) if self.loaded => cx.error(format!("matrix not refreshed: {e}")),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            MatrixMsg::Onboarding { req, what, result } => self.onboarding(req, what, result, cx),
            MatrixMsg::OnboardAllConfirmed { env } => self.onboard_all(env, cx),
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        if !self.loading {
            self.request_load(cx);
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        if self.reloads_after(event) && (self.loaded || self.loading) {
            self.request_load(cx);
        }
    }

    /// `esc` drops the marks first.
    fn back(&mut self) -> bool {
        let had_marks = !self.marks.is_empty();
        self.marks.clear();
        had_marks
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "differs",
                "only workflows whose versions differ between environments",
            ),
            ("missing", "only workflows missing from some environment"),
            (
                "untracked",
                "only workflows the canonical state does not know",
            ),
            (
                "drifted",
                "only workflows that drifted from the canonical state somewhere",
            ),
            ("all", "every workflow"),
        ]
    }

    fn on_command(&mut self, name: &str, _arg: &str, _cx: &mut Cx) {
        let (differs, missing, untracked, drifted) = match name {
            "differs" => (true, false, false, false),
            "missing" => (false, true, false, false),
            "untracked" => (false, false, true, false),
            "drifted" => (false, false, false, true),
            "all" => (false, false, false, false),
            _ => return,
        };
        self.untracked_only = untracked;
        self.drifted_only = drifted;
        self.set_filters(differs, missing);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod promote_tests {
    use super::tests::summary;
    use super::*;
    use crate::tui::pane::Effect;
    use crate::tui::testing::{self, Harness};

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
    async fn p_opens_the_wizard_from_the_cursors_environment_with_the_marked_workflows() {
        let mut h = Harness::new().await;
        let mut pane = MatrixPane::new();
        let workflows = [
            summary("development", "d1", "Alpha sync", "f1", true),
            summary("production", "p1", "Alpha sync", "f0", true),
            summary("development", "d2", "Billing export", "f2", true),
            summary("production", "p2", "Billing export", "f3", true),
        ];
        pane.show(Grid::build(&testing::envs(), &workflows));
        // Nothing marked: the cursor's cell.
        pane.select(1, 0);
        pane.on_action(Action::Promote, &mut h.cx());
        assert_eq!(
            opened(&h.effects),
            [Nav::Promote {
                from: Some("development".into()),
                to: None,
                workflows: vec!["Billing export".into()],
                incident: None,
            }]
        );
        h.effects.clear();
        // Both rows marked in development, one in production: the target is production.
        pane.select(0, 0);
        pane.on_action(Action::Mark, &mut h.cx());
        pane.select(1, 0);
        pane.on_action(Action::Mark, &mut h.cx());
        pane.select(1, 2);
        pane.on_action(Action::Mark, &mut h.cx());
        pane.select(0, 0);
        pane.on_action(Action::Promote, &mut h.cx());
        assert_eq!(
            opened(&h.effects),
            [Nav::Promote {
                from: Some("development".into()),
                to: Some("production".into()),
                workflows: vec!["Alpha sync".into(), "Billing export".into()],
                incident: None,
            }]
        );
        assert!(pane.actions().contains(&Action::Promote));
    }
}
