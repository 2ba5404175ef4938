//! One incident opened: its fields (severity, state, SLA, who acknowledged, who it is
//! assigned to, how it was resolved), what changed at the last observation, the whole
//! timeline (notes whole, over as many lines as they take, with the drift at each
//! change) and the notifications sent. The lines are built at each draw, wrapped to
//! the width, and scrolled with the list moves.

use super::act::offered;
use super::format::{clock, sla, state_style, wrap};
use crate::domain::incident::{EventKind, IncidentKind};
use crate::service::{
    DeliveryView, DriftSummary, IncidentDetail, IncidentEventView, IncidentView, Time,
};
use crate::tui::action::Action;
use crate::tui::header::severity_style;
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, age, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// The field names' column.
const LABEL_W: usize = 14;
/// Indent of what a timeline entry says under its first line.
const INDENT: usize = 6;

pub(super) enum DetailState {
    Loading,
    Failed(String),
    Ready(Box<IncidentDetail>),
}

pub(super) struct DetailView {
    pub id: i64,
    /// Of the load in flight; older answers are dropped.
    pub generation: u64,
    pub state: DetailState,
    /// `selected` is the first line on screen.
    pub scroll: ListCursor,
    /// Lines at the last draw.
    len: usize,
}

impl DetailView {
    pub fn new(id: i64) -> DetailView {
        DetailView {
            id,
            generation: 0,
            state: DetailState::Loading,
            scroll: ListCursor::default(),
            len: 0,
        }
    }

    pub fn ready(&self) -> Option<&IncidentDetail> {
        match &self.state {
            DetailState::Ready(d) => Some(d),
            _ => None,
        }
    }

    pub fn show(&mut self, detail: IncidentDetail) {
        self.state = DetailState::Ready(Box::new(detail));
    }

    /// A failed load: shown only while nothing loaded before.
    pub fn failed(&mut self, error: String) {
        if self.ready().is_none() {
            self.state = DetailState::Failed(error);
        }
    }

    /// The possible first lines on screen, for the moves.
    pub fn scroll_len(&self) -> usize {
        self.len.saturating_sub(self.scroll.page) + 1
    }
}

fn field(label: &str, value: Vec<Span<'static>>, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(fit(label, LABEL_W), theme.muted)];
    spans.extend(value);
    Line::from(spans)
}

/// `text` wrapped under a field or an entry, `indent` columns in.
fn indented(lines: &mut Vec<Line<'static>>, text: &str, indent: usize, width: usize, style: Style) {
    let pad = " ".repeat(indent);
    for l in wrap(text, width.saturating_sub(indent)) {
        lines.push(Line::styled(format!("{pad}{l}"), style));
    }
}

/// `3 changes · risk HIGH · renamed from 'Old'`.
fn summary_head(s: &DriftSummary) -> String {
    let mut parts = vec![match s.changes {
        1 => "1 change".to_owned(),
        n => format!("{n} changes"),
    }];
    if let Some(risk) = s.risk {
        parts.push(format!("risk {}", risk.as_str()));
    }
    if let Some(old) = &s.renamed_from {
        parts.push(format!("renamed from '{old}'"));
    }
    parts.join(" · ")
}

fn kind_word(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Opened => "opened",
        EventKind::Changed => "changed",
        EventKind::Acknowledged => "acknowledged",
        EventKind::Reopened => "reopened",
        EventKind::Escalated => "escalated",
        EventKind::SeverityChanged => "severity set",
        EventKind::Assigned => "assigned",
        EventKind::Note => "note",
        EventKind::Reverted => "reverted",
        EventKind::Accepted => "accepted",
        EventKind::PromotionStarted => "promotion",
        EventKind::Resolved => "resolved",
        EventKind::AutoResolved => "auto-resolved",
    }
}

fn kind_style(kind: EventKind, theme: &Theme) -> Style {
    match kind {
        EventKind::Opened | EventKind::Escalated | EventKind::Reopened => theme.warn,
        EventKind::Resolved | EventKind::AutoResolved | EventKind::Accepted => theme.ok,
        EventKind::Reverted | EventKind::PromotionStarted => theme.info,
        EventKind::Note => theme.accent,
        _ => theme.base,
    }
}

fn fields(i: &IncidentView, ui: &Ui, width: usize) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let now = ui.now;
    let mut lines = Vec::new();
    let mut first = vec![Span::styled(i.env.clone(), theme.accent)];
    if let Some(class) = i.env_class {
        first = vec![Span::styled(format!(" {} ", i.env), theme.class(class))];
    }
    first.push(Span::raw(format!(" · {}", super::format::workflow(i))));
    let what = match (i.kind, i.drift_status, i.risk) {
        (IncidentKind::Drift, Some(status), Some(risk)) => {
            format!(" · drift: {}, risk {}", status.as_str(), risk.as_str())
        }
        (IncidentKind::Drift, Some(status), None) => format!(" · drift: {}", status.as_str()),
        (kind, _, _) => format!(" · {}", kind.as_str()),
    };
    first.push(Span::styled(what, theme.muted));
    lines.push(Line::from(first));
    lines.push(Line::raw(""));

    let mut severity = vec![Span::styled(
        i.severity.as_str().to_uppercase(),
        severity_style(i.severity, theme),
    )];
    let mut notes = Vec::new();
    if i.severity_manual {
        notes.push("set by hand".to_owned());
    }
    if i.escalations > 0 {
        notes.push(format!("escalated {}×", i.escalations));
    }
    if i.breached {
        notes.push("breached its SLA".to_owned());
    }
    if !notes.is_empty() {
        severity.push(Span::styled(format!(" {}", notes.join(" · ")), theme.muted));
    }
    lines.push(field("severity", severity, theme));
    lines.push(field(
        "state",
        vec![Span::styled(
            i.state.as_str().to_owned(),
            state_style(i.state, theme),
        )],
        theme,
    ));
    if i.state.is_open() {
        let (left, style) = sla(i, now, theme);
        let due = if i.sla_deadline < now {
            format!(" (was due {})", clock(i.sla_deadline))
        } else {
            format!(" left (due {})", clock(i.sla_deadline))
        };
        lines.push(field(
            "SLA",
            vec![Span::styled(left, style), Span::styled(due, theme.muted)],
            theme,
        ));
    }
    let when = |at: Time| format!("{} ({})", clock(at), age(at, now));
    lines.push(field("opened", vec![Span::raw(when(i.opened_at))], theme));
    if let (Some(by), Some(at)) = (&i.acknowledged_by, i.acknowledged_at) {
        lines.push(field(
            "acknowledged",
            vec![Span::raw(format!("{by} {}", when(at)))],
            theme,
        ));
    }
    let assignee = match &i.assignee {
        Some(who) => Span::raw(who.clone()),
        None => Span::styled("nobody", theme.muted),
    };
    lines.push(field("assignee", vec![assignee], theme));
    if let Some(at) = i.resolved_at {
        let by = i.resolved_by.as_deref().unwrap_or("?");
        lines.push(field(
            "resolved",
            vec![Span::raw(format!("by {by} {}", when(at)))],
            theme,
        ));
        if let Some(resolution) = &i.resolution {
            indented(&mut lines, resolution, LABEL_W, width, theme.base);
        }
    }
    let mut ids = Vec::new();
    if let Some(c) = &i.canonical_id {
        ids.push(format!("canonical {c}"));
    }
    if let Some(n) = &i.n8n_id {
        ids.push(format!("n8n {n}"));
    }
    if !ids.is_empty() {
        lines.push(field(
            "ids",
            vec![Span::styled(ids.join(" · "), theme.muted)],
            theme,
        ));
    }
    lines
}

/// What changed at the last observation: the drift's summary lines, or the failures.
fn changes(i: &IncidentView, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match (&i.summary, &i.failures) {
        (Some(s), _) => {
            lines.push(Line::from(vec![
                Span::styled("What changed ", theme.title),
                Span::styled(summary_head(s), theme.muted),
            ]));
            if s.lines.is_empty() {
                lines.push(Line::styled("  (no details kept)", theme.muted));
            }
            for l in &s.lines {
                indented(&mut lines, l, 2, width, theme.base);
            }
        }
        (None, Some(failures)) => {
            lines.push(Line::styled("What failed", theme.title));
            indented(&mut lines, failures, 2, width, theme.base);
        }
        (None, None) => {}
    }
    lines
}

fn timeline(events: &[IncidentEventView], ui: &Ui, width: usize) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let mut lines = vec![Line::styled("Timeline", theme.title)];
    if events.is_empty() {
        lines.push(Line::styled("  nothing recorded yet", theme.muted));
    }
    for e in events {
        let mut head = vec![
            Span::styled(format!("  {} ", clock(e.at)), theme.muted),
            Span::styled(kind_word(e.kind).to_owned(), kind_style(e.kind, theme)),
            Span::styled(format!(" by {}", e.actor), theme.muted),
        ];
        if let Some(reference) = &e.reference {
            let what = match e.kind {
                EventKind::Accepted => "commit",
                _ => "job",
            };
            head.push(Span::styled(format!(" · {what} {reference}"), theme.muted));
        }
        lines.push(Line::from(head));
        if let Some(text) = &e.text {
            indented(&mut lines, text, INDENT, width, theme.base);
        }
        if let Some(s) = &e.summary {
            indented(&mut lines, &summary_head(s), INDENT, width, theme.muted);
            for l in &s.lines {
                indented(&mut lines, l, INDENT + 2, width, theme.muted);
            }
        }
    }
    lines
}

fn deliveries(deliveries: &[DeliveryView], ui: &Ui, width: usize) -> Vec<Line<'static>> {
    let theme = ui.theme;
    if deliveries.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::styled("Notifications", theme.title)];
    for d in deliveries {
        let status = d.status.as_str();
        let style = match status {
            "delivered" => theme.ok,
            "failed" => theme.error,
            _ => theme.warn,
        };
        let attempts = match d.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        let when = d.delivered_at.unwrap_or(d.created_at);
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", clock(when)), theme.muted),
            Span::raw(format!("{} → {} ", d.event, d.target)),
            Span::styled(status.to_uppercase(), style),
            Span::styled(format!(" · {attempts}"), theme.muted),
        ]));
        if let Some(error) = &d.last_error {
            indented(&mut lines, error, INDENT, width, theme.error);
        }
    }
    lines
}

/// Every line of the incident, wrapped to `width`.
fn all_lines(detail: &IncidentDetail, ui: &Ui, width: usize) -> Vec<Line<'static>> {
    let i = &detail.incident;
    let mut lines = fields(i, ui, width);
    for section in [
        changes(i, ui.theme, width),
        timeline(&detail.timeline, ui, width),
        deliveries(&detail.deliveries, ui, width),
    ] {
        if !section.is_empty() {
            lines.push(Line::raw(""));
            lines.extend(section);
        }
    }
    lines
}

/// The keys that work on this incident now, at the frame's foot (`esc back` alone
/// when they do not fit in `width`: the footer lists them too).
fn hint(detail: Option<&IncidentDetail>, ui: &Ui, width: u16) -> String {
    let mut parts = Vec::new();
    if let Some(d) = detail {
        for action in offered(&d.incident) {
            if ui.readonly && action.is_mutating() {
                continue;
            }
            parts.push(format!("{} {}", ui.keymap.hint(action), action.label()));
        }
    }
    let back = format!("{} back", ui.keymap.hint(Action::Back));
    parts.push(back.clone());
    let all = format!(" {} ", parts.join(" · "));
    if all.chars().count() + 4 <= usize::from(width) {
        all
    } else {
        format!(" {back} ")
    }
}

pub(super) fn draw(view: &mut DetailView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let mut title = vec![
        Span::styled(" Incident ", theme.title),
        Span::styled(format!("#{} ", view.id), theme.accent),
    ];
    if let Some(d) = view.ready() {
        let i = &d.incident;
        title.push(Span::styled(
            format!(" {} ", i.severity.as_str().to_uppercase()),
            severity_style(i.severity, theme),
        ));
        title.push(Span::styled(
            format!(" {} ", i.state.as_str()),
            state_style(i.state, theme),
        ));
    }
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(title))
        .title_bottom(Span::styled(
            hint(view.ready(), ui, area.width),
            theme.muted,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let detail = match &view.state {
        DetailState::Ready(d) => d,
        DetailState::Loading => {
            frame.render_widget(
                Paragraph::new(Line::styled("Loading the incident…", theme.muted)),
                inner,
            );
            return;
        }
        DetailState::Failed(e) => {
            let lines = vec![
                Line::styled(format!("Could not load it: {e}"), theme.error),
                Line::styled(
                    format!("{} tries again.", ui.keymap.hint(Action::Refresh)),
                    theme.muted,
                ),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
            return;
        }
    };
    let lines = all_lines(detail, ui, usize::from(inner.width));
    view.len = lines.len();
    let height = usize::from(inner.height);
    view.scroll.page = height;
    view.scroll.clamp(view.scroll_len());
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(view.scroll.selected)
        .take(height)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
