//! The Diff pane: two workflows side by side (or unified), in their canonical JSON,
//! under a summary of what changed node by node with the risk of each.
//!
//! The summary and the text are two regions: `j k` move in the one in focus; `enter`
//! on a summary item jumps the text to it (and focuses the text), `esc` goes back to
//! the summary. `n N` jump between hunks, `] [` between changed nodes, `u` toggles
//! unified and side by side (narrow terminals are always unified), `c` shows or hides
//! cosmetic changes. The screen lines of both views are laid out once per diff; a frame
//! builds only the lines on screen, so drawing costs the same whatever the diff's size.

mod draw;
#[cfg(test)]
mod tests;

use crate::domain::diff::text::{Shown, TextSide};
use crate::domain::diff::{NodeDiff, TextDiff, WorkflowDiff};
use crate::service::{DiffEntry, DiffReport, DiffRequest, OpsResult, WorkflowRef};
use crate::tui::action::Action;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;

/// Unchanged lines kept each side of a change when a run is folded.
const CONTEXT: usize = 3;
/// Below this width the side-by-side view has no room: unified it is.
pub const SIDE_BY_SIDE_FROM: u16 = 100;
/// Lines kept above a hunk or node the text jumps to.
const JUMP_MARGIN: usize = 2;
/// Columns a horizontal move shifts the text by.
const SHIFT: usize = 8;

/// The result of a load.
struct Loaded {
    generation: u64,
    result: OpsResult<DiffReport>,
}

enum State {
    /// Nothing asked yet.
    Empty,
    Loading,
    Failed(String),
    Ready(Box<View>),
}

/// One line of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// The workflow was renamed.
    Name,
    /// `WorkflowDiff::nodes[i]`.
    Node(usize),
    Connections,
    Settings,
}

/// The screen lines of one view of the text, and where its hunks start.
#[derive(Debug, Default)]
struct Layout {
    shown: Vec<Shown>,
    /// Index in `shown` of each hunk's first line.
    hunk_starts: Vec<usize>,
}

impl Layout {
    fn build(text: &TextDiff, unified: bool) -> Layout {
        let shown = if unified {
            text.unified(CONTEXT)
        } else {
            text.side_by_side(CONTEXT)
        };
        let mut hunk_starts = Vec::with_capacity(text.hunks.len());
        let mut next = text.hunks.iter().peekable();
        for (i, s) in shown.iter().enumerate() {
            if matches!(s, Shown::Fold { .. }) {
                continue;
            }
            while let Some(&&(start, end)) = next.peek() {
                if s.row() >= end {
                    next.next();
                } else {
                    if s.row() >= start {
                        hunk_starts.push(i);
                        next.next();
                    }
                    break;
                }
            }
        }
        Layout { shown, hunk_starts }
    }

    /// The screen line that shows `row` (the fold holding it, if folded).
    fn line_of_row(&self, row: usize) -> usize {
        self.shown
            .iter()
            .position(|s| match *s {
                Shown::Fold { start, len } => row < start + len,
                s => s.row() >= row,
            })
            .unwrap_or(self.shown.len().saturating_sub(1))
    }
}

/// A loaded diff and how it is being looked at.
struct View {
    entry: DiffEntry,
    diff: WorkflowDiff,
    text: TextDiff,
    /// The labels of the old and new sides.
    a: String,
    b: String,
    items: Vec<Item>,
    /// The summary's first line: counts of what changed.
    tally: String,
    side_by_side: Layout,
    unified: Layout,
}

impl View {
    fn new(report: DiffReport) -> Option<View> {
        let a = report.a;
        let b = report.b;
        let mut entry = report.workflows.into_iter().next()?;
        let diff = entry.diff.take().unwrap_or_default();
        let text = entry.text.take().unwrap_or_default();
        Some(View {
            side_by_side: Layout::build(&text, false),
            unified: Layout::build(&text, true),
            entry,
            diff,
            text,
            a,
            b,
            items: Vec::new(),
            tally: String::new(),
        })
    }

    fn layout(&self, unified: bool) -> &Layout {
        if unified {
            &self.unified
        } else {
            &self.side_by_side
        }
    }

    /// The summary: nodes (cosmetic ones when asked for), then links and settings.
    fn summarize(&mut self, cosmetic: bool) {
        let mut items = Vec::new();
        if self.diff.name.is_some() {
            items.push(Item::Name);
        }
        items.extend(
            self.diff
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| cosmetic || !n.cosmetic)
                .map(|(i, _)| Item::Node(i)),
        );
        if !self.diff.connections.is_empty() {
            items.push(Item::Connections);
        }
        if !self.diff.settings.is_empty() {
            items.push(Item::Settings);
        }
        self.items = items;
        self.tally = tally(&self.diff, cosmetic);
    }

    fn node(&self, item: Item) -> Option<&NodeDiff> {
        match item {
            Item::Node(i) => self.diff.nodes.get(i),
            _ => None,
        }
    }

    /// The text row an item is at.
    fn row_of(&self, item: Item) -> Option<usize> {
        let key_line = |key: &str| {
            let prefix = format!("  \"{key}\": ");
            let find = |side: TextSide| {
                let line = self
                    .text
                    .lines(side)
                    .iter()
                    .position(|l| l.starts_with(&prefix))?;
                Some(self.text.row_of_line(side, line as u32))
            };
            find(TextSide::New).or_else(|| find(TextSide::Old))
        };
        match item {
            Item::Name => key_line("name"),
            Item::Connections => key_line("connections"),
            Item::Settings => key_line("settings"),
            Item::Node(i) => {
                let n = self.diff.nodes.get(i)?;
                n.new_index
                    .and_then(|j| self.text.row_of_node(TextSide::New, j))
                    .or_else(|| {
                        n.old_index
                            .and_then(|j| self.text.row_of_node(TextSide::Old, j))
                    })
            }
        }
    }
}

/// `3 nodes +1 ~2 · 2 link changes · 1 setting · 4 cosmetic hidden`.
fn tally(diff: &WorkflowDiff, cosmetic: bool) -> String {
    let c = diff.node_counts(cosmetic);
    let nodes = c.added + c.removed + c.renamed + c.modified;
    let mut parts = Vec::new();
    if nodes > 0 {
        // The marks of the summary's lines: added, removed, renamed, modified.
        let kinds: Vec<String> = [
            (c.added, "+"),
            (c.removed, "-"),
            (c.renamed, "»"),
            (c.modified, "~"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, mark)| format!("{mark}{n}"))
        .collect();
        let s = if nodes == 1 { "" } else { "s" };
        parts.push(format!("{nodes} node{s} {}", kinds.join(" ")));
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if !diff.connections.is_empty() {
        parts.push(plural(diff.connections.len(), "link change"));
    }
    if !diff.settings.is_empty() {
        parts.push(plural(diff.settings.len(), "setting"));
    }
    let hidden = diff.cosmetic_count();
    if !cosmetic && hidden > 0 {
        parts.push(format!("{hidden} cosmetic hidden"));
    }
    if parts.is_empty() {
        return if diff.is_empty() {
            "No meaningful changes.".into()
        } else {
            "The workflow's name changed.".into()
        };
    }
    parts.join(" · ")
}

/// Two stored workflows, with the text view.
fn workflows(a: Option<WorkflowRef>, b: Option<WorkflowRef>) -> DiffRequest {
    DiffRequest::Workflows { a, b, text: true }
}

/// The request asking for the text view too (the pane shows it).
fn with_text(request: DiffRequest) -> DiffRequest {
    match request {
        DiffRequest::Workflows { a, b, .. } => DiffRequest::Workflows { a, b, text: true },
        DiffRequest::Documents { a, b, .. } => DiffRequest::Documents { a, b, text: true },
        envs @ DiffRequest::Envs { .. } => envs,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Summary,
    Text,
}

pub struct DiffPane {
    /// What was asked (always with its text view), for loads and `ctrl-r`.
    request: Option<DiffRequest>,
    generation: u64,
    state: State,
    /// The person asked for the unified view (narrow screens get it anyway).
    unified: bool,
    /// Whether the last draw was unified (what moves and jumps work on).
    drawn_unified: bool,
    cosmetic: bool,
    focus: Focus,
    summary: ListCursor,
    /// The first screen line of the text, and how many the last draw showed.
    top: usize,
    page: usize,
    /// Columns the text is shifted left by.
    left: usize,
}

impl Default for DiffPane {
    fn default() -> Self {
        Self::new()
    }
}

impl DiffPane {
    pub fn new() -> Self {
        DiffPane {
            request: None,
            generation: 0,
            state: State::Empty,
            unified: false,
            drawn_unified: false,
            cosmetic: false,
            focus: Focus::Summary,
            summary: ListCursor::default(),
            top: 0,
            page: 1,
            left: 0,
        }
    }

    /// A pane showing a diff already in hand (the first workflow of `report`; it
    /// needs its text view).
    pub fn with_report(report: DiffReport) -> Self {
        let mut pane = DiffPane::new();
        pane.show(Ok(report));
        pane
    }

    fn load(&mut self, cx: &mut Cx) {
        let Some(request) = self.request.clone() else {
            return;
        };
        self.generation += 1;
        let generation = self.generation;
        self.state = State::Loading;
        cx.spawn(move |ops| async move {
            let result = ops.diff(request).await;
            Loaded { generation, result }
        });
    }

    fn show(&mut self, result: OpsResult<DiffReport>) {
        self.state = match result {
            Err(e) => State::Failed(e.message),
            Ok(report) => match View::new(report) {
                None => State::Failed("the service returned no workflow to compare".into()),
                Some(mut view) => {
                    view.summarize(self.cosmetic);
                    self.focus = if view.items.is_empty() {
                        Focus::Text
                    } else {
                        Focus::Summary
                    };
                    State::Ready(Box::new(view))
                }
            },
        };
        self.summary = ListCursor::default();
        self.top = 0;
        self.left = 0;
    }

    fn view(&self) -> Option<&View> {
        match &self.state {
            State::Ready(v) => Some(v),
            _ => None,
        }
    }

    fn lines(&self) -> usize {
        self.view()
            .map_or(0, |v| v.layout(self.drawn_unified).shown.len())
    }

    fn scroll_to(&mut self, line: usize) {
        let last = self.lines().saturating_sub(self.page.max(1));
        self.top = line.min(last);
    }

    /// Shows `item`'s place in the text near the top.
    fn jump_to_item(&mut self, item: Item) {
        let Some(view) = self.view() else { return };
        let Some(row) = view.row_of(item) else { return };
        let line = view.layout(self.drawn_unified).line_of_row(row);
        self.scroll_to(line.saturating_sub(JUMP_MARGIN));
    }

    fn jump_hunk(&mut self, forward: bool) {
        let Some(view) = self.view() else { return };
        let starts = &view.layout(self.drawn_unified).hunk_starts;
        let here = self.top + JUMP_MARGIN;
        let target = if forward {
            starts.iter().find(|&&s| s > here)
        } else {
            starts.iter().rev().find(|&&s| s < here)
        };
        if let Some(&s) = target {
            self.scroll_to(s.saturating_sub(JUMP_MARGIN));
        }
    }

    /// Selects the next (or previous) node in the summary and shows it.
    fn jump_node(&mut self, forward: bool) {
        let Some(view) = self.view() else { return };
        let nodes: Vec<usize> = (0..view.items.len())
            .filter(|&i| matches!(view.items[i], Item::Node(_)))
            .collect();
        let here = self.summary.selected;
        let target = if forward {
            nodes.iter().find(|&&i| i > here).or(nodes.first())
        } else {
            nodes.iter().rev().find(|&&i| i < here).or(nodes.last())
        };
        let Some(&i) = target else { return };
        let item = view.items[i];
        self.summary.selected = i;
        self.jump_to_item(item);
    }

    /// Re-lays the summary after `c`, keeping the selected item where it can.
    fn toggle_cosmetic(&mut self) {
        self.cosmetic = !self.cosmetic;
        let cosmetic = self.cosmetic;
        let selected = self.summary.selected;
        if let State::Ready(view) = &mut self.state {
            let item = view.items.get(selected).copied();
            view.summarize(cosmetic);
            self.summary.selected = item
                .and_then(|it| view.items.iter().position(|&x| x == it))
                .unwrap_or(0);
        }
    }

    /// Switches the view the text is drawn in, keeping the same row on top.
    fn relayout(&mut self, unified: bool) {
        if unified == self.drawn_unified {
            return;
        }
        let Some(view) = self.view() else {
            self.drawn_unified = unified;
            return;
        };
        let row = view
            .layout(self.drawn_unified)
            .shown
            .get(self.top)
            .map_or(0, |s| s.row());
        let line = view.layout(unified).line_of_row(row);
        self.drawn_unified = unified;
        self.top = line;
    }
}

impl Pane for DiffPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Diff
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.view().is_some() {
            actions.extend(ListCursor::MOVES);
            actions.extend([
                Action::Enter,
                Action::NextHunk,
                Action::PrevHunk,
                Action::NextNode,
                Action::PrevNode,
                Action::ToggleUnified,
                Action::ToggleCosmetic,
                Action::Left,
                Action::Right,
            ]);
        }
        if self.request.is_some() {
            actions.push(Action::Refresh);
        }
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        self.relayout(self.unified || area.width < SIDE_BY_SIDE_FROM);
        draw::draw(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        match action {
            Action::Refresh => return self.load(cx),
            Action::NextHunk => return self.jump_hunk(true),
            Action::PrevHunk => return self.jump_hunk(false),
            Action::NextNode => return self.jump_node(true),
            Action::PrevNode => return self.jump_node(false),
            Action::ToggleCosmetic => return self.toggle_cosmetic(),
            Action::ToggleUnified => {
                self.unified = !self.unified;
                return;
            }
            Action::Left => {
                self.left = self.left.saturating_sub(SHIFT);
                return;
            }
            Action::Right => {
                self.left += SHIFT;
                return;
            }
            _ => {}
        }
        let Some(view) = self.view() else { return };
        let items = view.items.len();
        match self.focus {
            Focus::Summary if action == Action::Enter => {
                if let Some(&item) = view.items.get(self.summary.selected) {
                    self.jump_to_item(item);
                    self.focus = Focus::Text;
                }
            }
            Focus::Summary => {
                self.summary.apply(action, items);
            }
            Focus::Text => {
                let page = self.page.max(1);
                let top = match action {
                    Action::Down => self.top + 1,
                    Action::Up => self.top.saturating_sub(1),
                    Action::Top => 0,
                    Action::Bottom => usize::MAX,
                    Action::PageDown => self.top + page / 2,
                    Action::PageUp => self.top.saturating_sub(page / 2),
                    _ => return,
                };
                self.scroll_to(top);
            }
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, _cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Loaded>() else {
            return;
        };
        if msg.generation == self.generation {
            self.show(msg.result);
        }
    }

    fn on_open(&mut self, nav: Nav, cx: &mut Cx) {
        match nav {
            Nav::Diff { a, b } => {
                if a.is_none() && b.is_none() {
                    cx.error("nothing to compare: neither side is given");
                    return;
                }
                self.request = Some(workflows(a, b));
                self.load(cx);
            }
            Nav::Compare(request) => {
                self.request = Some(with_text(*request));
                self.load(cx);
            }
            _ => {}
        }
    }

    fn back(&mut self) -> bool {
        if self.focus == Focus::Text && self.view().is_some_and(|v| !v.items.is_empty()) {
            self.focus = Focus::Summary;
            return true;
        }
        false
    }
}
