//! One workflow in detail: a summary, then what `domain::analysis` read off it (nodes,
//! connections, triggers, HTTP calls, code, credentials, complexity) as a scrollable
//! document, or its node graph. Built once when it loads (off the UI thread); drawing
//! styles only the lines on screen.

use super::catalog::iso_age;
use super::graph::{GraphView, fit};
use crate::domain::analysis::{Analysis, ComplexityLevel, analyze, short_type};
use crate::service::{WorkflowDetail, WorkflowRef, WorkflowSummary};
use crate::tui::theme::Theme;
use crate::tui::ui::Ui;
use crate::tui::ui::age;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

/// From this width the document is drawn in two columns.
const TWO_COLUMNS: u16 = 140;

/// What a piece of text is, so its style comes from the theme at draw time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    Base,
    Muted,
    Heading,
    Accent,
    Error,
    Warn,
    Ok,
}

impl Tone {
    fn style(self, theme: &Theme) -> Style {
        match self {
            Tone::Base => theme.base,
            Tone::Muted => theme.muted,
            Tone::Heading => theme.title,
            Tone::Accent => theme.accent,
            Tone::Error => theme.error,
            Tone::Warn => theme.warn,
            Tone::Ok => theme.ok,
        }
    }
}

/// A line of the document as plain data.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct DocLine(Vec<(String, Tone)>);

impl DocLine {
    pub fn push(mut self, text: impl Into<String>, tone: Tone) -> DocLine {
        self.0.push((text.into(), tone));
        self
    }

    pub fn to_line(&self, theme: &Theme) -> Line<'_> {
        Line::from(
            self.0
                .iter()
                .map(|(text, tone)| Span::styled(text.as_str(), tone.style(theme)))
                .collect::<Vec<_>>(),
        )
    }
}

/// A loaded workflow, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub summary: WorkflowSummary,
    pub analysis: Analysis,
    /// Summary facts: complexity, triggers, HTTP calls, code nodes, credentials.
    facts: Vec<DocLine>,
    /// The structure: nodes and connections.
    structure: Vec<DocLine>,
    pub graph: GraphView,
}

impl Detail {
    pub fn build(detail: WorkflowDetail) -> Detail {
        let analysis = analyze(&detail.raw);
        Detail {
            facts: facts(&analysis),
            structure: structure(&analysis),
            graph: GraphView::build(&analysis),
            summary: detail.summary,
            analysis,
        }
    }

    pub fn target(&self) -> WorkflowRef {
        WorkflowRef {
            env: self.summary.env.clone(),
            id: self.summary.id.clone(),
        }
    }

    fn lines(&self, width: u16) -> usize {
        if width >= TWO_COLUMNS {
            self.facts.len().max(self.structure.len())
        } else {
            self.facts.len() + 1 + self.structure.len()
        }
    }
}

/// Where the detail view is.
#[derive(Debug)]
pub(super) enum DetailState {
    Loading,
    Failed(String),
    Ready(Box<Detail>),
}

#[derive(Debug)]
pub(super) struct DetailView {
    pub target: WorkflowRef,
    pub state: DetailState,
    /// Bumped per load; older answers are dropped.
    pub generation: u64,
    pub scroll: usize,
    pub graph_mode: bool,
    /// The body's size at the last draw, for page moves and scroll limits.
    pub body: (u16, u16),
}

impl DetailView {
    pub fn new(target: WorkflowRef, generation: u64) -> DetailView {
        DetailView {
            target,
            state: DetailState::Loading,
            generation,
            scroll: 0,
            graph_mode: false,
            body: (0, 0),
        }
    }

    pub fn ready(&self) -> Option<&Detail> {
        match &self.state {
            DetailState::Ready(d) => Some(d),
            _ => None,
        }
    }

    /// Moves the document, or the graph in graph mode, by (columns, rows).
    pub fn scroll_by(&mut self, dx: i32, dy: i32) {
        let body = self.body;
        let DetailState::Ready(detail) = &mut self.state else {
            return;
        };
        if self.graph_mode {
            detail.graph.scroll_by(dx, dy, body);
        } else {
            let max = detail.lines(body.0).saturating_sub(usize::from(body.1));
            let to = i64::try_from(self.scroll).unwrap_or(i64::MAX) + i64::from(dy);
            self.scroll = usize::try_from(to.max(0)).unwrap_or(0).min(max);
        }
    }

    pub fn page(&self) -> i32 {
        i32::from(self.body.1.saturating_sub(1).max(1))
    }
}

fn heading(title: &str, count: Option<String>) -> DocLine {
    let line = DocLine::default().push(title, Tone::Heading);
    match count {
        Some(c) => line.push(format!("  {c}"), Tone::Muted),
        None => line,
    }
}

fn none() -> DocLine {
    DocLine::default().push("  none", Tone::Muted)
}

/// `text` padded to `width` cells (cut with an ellipsis when longer).
fn cell(text: &str, width: usize) -> String {
    let text = fit(text, width);
    let pad = width.saturating_sub(Span::raw(text.as_str()).width());
    format!("{text}{}", " ".repeat(pad))
}

fn widest<'a>(texts: impl Iterator<Item = &'a str>, cap: usize) -> usize {
    texts
        .map(|t| Span::raw(t).width())
        .max()
        .unwrap_or(0)
        .min(cap)
}

fn facts(a: &Analysis) -> Vec<DocLine> {
    let mut out = Vec::new();
    let c = &a.complexity;
    let (tone, level) = match c.level() {
        ComplexityLevel::Low => (Tone::Ok, "low"),
        ComplexityLevel::Medium => (Tone::Warn, "medium"),
        ComplexityLevel::High => (Tone::Error, "high"),
    };
    out.push(
        DocLine::default()
            .push("Complexity  ", Tone::Heading)
            .push(c.score.to_string(), tone)
            .push(format!(" {level}"), tone),
    );
    out.push(DocLine::default().push(
        format!(
            "  {} nodes + 2×{} extra paths + 3×{} code nodes",
            c.nodes, c.extra_paths, c.code_nodes
        ),
        Tone::Muted,
    ));
    out.push(DocLine::default().push(
        format!(
            "  + {} for {} lines of code (1 per 20) + {} HTTP calls",
            c.code_lines.div_ceil(20),
            c.code_lines,
            c.http_calls
        ),
        Tone::Muted,
    ));
    out.push(DocLine::default());

    out.push(heading("Triggers", Some(a.triggers.len().to_string())));
    if a.triggers.is_empty() {
        out.push(DocLine::default().push("  none: it runs only when called", Tone::Muted));
    }
    let width = widest(a.triggers.iter().map(|t| t.node.as_str()), 32);
    for t in &a.triggers {
        let mut line = DocLine::default()
            .push(format!("  {}  ", cell(&t.node, width)), Tone::Base)
            .push(short_type(&t.node_type), Tone::Muted);
        if t.disabled {
            line = line.push("  disabled", Tone::Warn);
        }
        out.push(line);
    }
    out.push(DocLine::default());

    out.push(heading("HTTP calls", Some(a.http_calls.len().to_string())));
    if a.http_calls.is_empty() {
        out.push(none());
    }
    for h in &a.http_calls {
        let mut line = DocLine::default().push(format!("  {:<6} ", h.method), Tone::Accent);
        line = if h.url.is_empty() {
            line.push("(no URL)", Tone::Warn)
        } else if h.expression {
            line.push(h.url.clone(), Tone::Base)
                .push("  expression", Tone::Muted)
        } else {
            line.push(h.url.clone(), Tone::Base)
        };
        out.push(line.push(format!("  in {}", h.node), Tone::Muted));
    }
    out.push(DocLine::default());

    let lines: usize = a.code_nodes.iter().map(|c| c.lines).sum();
    out.push(heading(
        "Code nodes",
        Some(format!("{} · {lines} lines", a.code_nodes.len())),
    ));
    if a.code_nodes.is_empty() {
        out.push(none());
    }
    let width = widest(a.code_nodes.iter().map(|c| c.node.as_str()), 32);
    for c in &a.code_nodes {
        out.push(
            DocLine::default()
                .push(format!("  {}  ", cell(&c.node, width)), Tone::Base)
                .push(
                    format!("{:<10} {:>5} lines", c.language.as_str(), c.lines),
                    Tone::Muted,
                ),
        );
    }
    out.push(DocLine::default());

    out.push(heading(
        "Credentials",
        Some(a.credentials.len().to_string()),
    ));
    if a.credentials.is_empty() {
        out.push(none());
    }
    let width = widest(a.credentials.iter().map(|c| c.cred_type.as_str()), 28);
    for c in &a.credentials {
        let mut line = DocLine::default()
            .push(format!("  {}  ", cell(&c.cred_type, width)), Tone::Muted)
            .push(c.name.clone(), Tone::Base);
        if let Some(id) = &c.id {
            line = line.push(format!("  id {id}"), Tone::Muted);
        }
        out.push(line);
    }
    out
}

fn structure(a: &Analysis) -> Vec<DocLine> {
    let mut out = Vec::new();
    let notes = a.nodes.iter().filter(|n| n.is_sticky_note()).count();
    let working = a.nodes.len() - notes;
    let count = if notes > 0 {
        let s = if notes == 1 { "" } else { "s" };
        format!("{working} · {notes} sticky note{s} not listed")
    } else {
        working.to_string()
    };
    out.push(heading("Nodes", Some(count)));
    if working == 0 {
        out.push(none());
    }
    let width = widest(a.nodes.iter().map(|n| n.name.as_str()), 32);
    for n in a.nodes.iter().filter(|n| !n.is_sticky_note()) {
        let node_type = n
            .node_type
            .strip_prefix("n8n-nodes-base.")
            .unwrap_or(&n.node_type);
        let mut line = DocLine::default()
            .push(format!("  {}  ", cell(&n.name, width)), Tone::Base)
            .push(node_type.to_owned(), Tone::Muted);
        if n.disabled {
            line = line.push("  disabled", Tone::Warn);
        }
        out.push(line);
    }
    out.push(DocLine::default());

    let dangling = a.dangling_count();
    let count = if dangling > 0 {
        format!("{} · {dangling} dangling", a.connections.len())
    } else {
        a.connections.len().to_string()
    };
    out.push(heading("Connections", Some(count)));
    if a.connections.is_empty() {
        out.push(none());
    }
    for c in &a.connections {
        let end_tone = |missing: bool| if missing { Tone::Error } else { Tone::Base };
        let mut line = DocLine::default()
            .push("  ", Tone::Base)
            .push(c.from.clone(), end_tone(c.from_missing));
        let mut via = Vec::new();
        if c.kind != "main" {
            via.push(c.kind.clone());
        }
        if c.output > 0 {
            via.push(format!("out {}", c.output));
        }
        if c.input > 0 {
            via.push(format!("in {}", c.input));
        }
        let arrow = if via.is_empty() {
            " → ".to_string()
        } else {
            format!(" ─{}→ ", via.join(" "))
        };
        line = line
            .push(arrow, Tone::Muted)
            .push(c.to.clone(), end_tone(c.to_missing));
        if c.is_dangling() {
            let what = match (c.from_missing, c.to_missing) {
                (true, true) => "neither end is a node",
                (true, false) => "no node has the source's name",
                _ => "no node has the target's name",
            };
            line = line.push(format!("  ⚠ dangling: {what}"), Tone::Error);
        }
        out.push(line);
    }
    out
}

/// Draws the detail view into `area` (inside the pane's border).
pub(super) fn draw(view: &mut DetailView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let buf = frame.buffer_mut();
    let detail = match &mut view.state {
        DetailState::Loading => {
            Paragraph::new(Line::styled(
                format!(
                    "Loading workflow {} from {}…",
                    view.target.id, view.target.env
                ),
                theme.muted,
            ))
            .render(area, buf);
            return;
        }
        DetailState::Failed(error) => {
            Paragraph::new(vec![
                Line::styled(
                    format!(
                        "Could not load workflow {} from {}: {error}",
                        view.target.id, view.target.env
                    ),
                    theme.error,
                ),
                Line::styled(
                    format!(
                        "{} tries again, {} goes back.",
                        ui.keymap.hint(crate::tui::action::Action::Refresh),
                        ui.keymap.hint(crate::tui::action::Action::Back)
                    ),
                    theme.muted,
                ),
            ])
            .wrap(Wrap { trim: true })
            .render(area, buf);
            return;
        }
        DetailState::Ready(detail) => detail,
    };
    let [head, body] = Layout::vertical([Constraint::Length(3), Constraint::Fill(1)]).areas(area);
    summary(detail, head, buf, ui);
    view.body = (body.width, body.height);
    if view.graph_mode {
        draw_graph(detail, body, buf, ui);
    } else {
        let scroll = view.scroll;
        draw_document(detail, scroll, body, buf, theme);
    }
}

/// Name, where, state, tags and size, then a rule.
fn summary(detail: &Detail, area: Rect, buf: &mut ratatui::buffer::Buffer, ui: &Ui) {
    let theme = ui.theme;
    let s = &detail.summary;
    let class = ui
        .envs
        .iter()
        .find(|e| e.name == s.env)
        .map_or(theme.accent, |e| theme.class(e.class));
    let (state, state_style) = if s.active {
        ("● active", theme.ok)
    } else {
        ("○ inactive", theme.muted)
    };
    let first = Line::from(vec![
        Span::styled(s.name.as_str(), theme.title),
        Span::raw("  "),
        Span::styled(format!(" {} ", s.env), class),
        Span::styled(format!("  id {}  ", s.id), theme.muted),
        Span::styled(state, state_style),
    ]);
    let tags = if s.tags.is_empty() {
        "no tags".to_string()
    } else {
        s.tags
            .iter()
            .map(|t| format!("#{t}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let a = &detail.analysis;
    let second = Line::from(vec![
        Span::styled(format!("{} nodes", s.nodes), theme.base),
        Span::styled(
            format!(
                " · complexity {} · updated {} · {} {} · ",
                a.complexity.score,
                iso_age(s.updated_at.as_deref(), ui.now),
                s.change.as_str(),
                age(s.stored_at, ui.now),
            ),
            theme.muted,
        ),
        Span::styled(tags, theme.accent),
    ]);
    let rule = Line::styled("─".repeat(usize::from(area.width)), theme.border);
    for (i, line) in [first, second, rule].iter().enumerate() {
        let y = area.y + u16::try_from(i).unwrap_or(0);
        if y < area.bottom() {
            buf.set_line(area.x, y, line, area.width);
        }
    }
}

fn draw_document(
    detail: &Detail,
    scroll: usize,
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
    theme: &Theme,
) {
    let height = usize::from(area.height);
    let mut column = |lines: &mut dyn Iterator<Item = &DocLine>, area: Rect| {
        for (i, line) in lines.skip(scroll).take(height).enumerate() {
            let y = area.y + u16::try_from(i).unwrap_or(0);
            buf.set_line(area.x, y, &line.to_line(theme), area.width);
        }
    };
    if area.width >= TWO_COLUMNS {
        let [left, _, right] = Layout::horizontal([
            Constraint::Percentage(50),
            Constraint::Length(2),
            Constraint::Fill(1),
        ])
        .areas(area);
        column(&mut detail.structure.iter(), left);
        column(&mut detail.facts.iter(), right);
    } else {
        let blank = DocLine::default();
        let mut all = detail
            .facts
            .iter()
            .chain(std::iter::once(&blank))
            .chain(&detail.structure);
        column(&mut all, area);
    }
}

fn draw_graph(detail: &mut Detail, area: Rect, buf: &mut ratatui::buffer::Buffer, ui: &Ui) {
    let theme = ui.theme;
    let graph = &mut detail.graph;
    let canvas = if graph.dangling > 0 {
        let mut text = format!("⚠ {} dangling connections", graph.dangling);
        if graph.unplaced_dangling > 0 {
            text.push_str(&format!(
                " · {} between missing names: see the detail ({})",
                graph.unplaced_dangling,
                ui.keymap.hint(crate::tui::action::Action::Graph)
            ));
        }
        let [note, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        buf.set_line(note.x, note.y, &Line::styled(text, theme.error), note.width);
        rest
    } else {
        area
    };
    if graph.is_empty() {
        Paragraph::new(Line::styled("No nodes to draw.", theme.muted)).render(canvas, buf);
        return;
    }
    graph.draw(canvas, buf, theme);
}

/// The block around the detail view.
pub(super) fn block<'a>(view: &DetailView, theme: &Theme) -> Block<'a> {
    let mode = if view.graph_mode { "graph" } else { "detail" };
    Block::bordered()
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(" Workflow ", theme.title),
            Span::styled(format!("{mode} "), theme.muted),
        ]))
}
