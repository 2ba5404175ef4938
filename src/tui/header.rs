//! The two header rows: the environment in focus (production unmistakable), every
//! environment's heartbeat, open incidents (a new one flashing), running jobs with
//! progress; then the pane tabs.

pub mod incidents;

pub use incidents::{IncidentIndicator, IncidentNotice, severity_style};

use super::pane::PaneKind;
use super::ui::{Health, Ui, bar, shorten};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A job the header shows while it runs, kept from service events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningJob {
    pub id: String,
    pub title: String,
    pub done: u64,
    pub total: u64,
}

/// What the header shows besides what `Ui` holds.
pub struct HeaderInfo<'a> {
    pub focus: Option<&'a str>,
    /// Oldest first.
    pub jobs: &'a [RunningJob],
    /// Jobs that finished since the jobs pane was last looked at.
    pub unseen: usize,
    pub panes: &'a [PaneKind],
    pub current: usize,
    pub incidents: &'a IncidentIndicator,
}

/// Rows the header takes.
pub const HEIGHT: u16 = 2;

pub fn draw(frame: &mut Frame, area: Rect, ui: &Ui, info: &HeaderInfo) {
    let theme = ui.theme;
    frame.render_widget(Paragraph::new("").style(theme.header), area);
    let top = Rect { height: 1, ..area };
    let right = Line::from(right_spans(ui, info)).style(theme.header);
    let right_width = (right.width() as u16).min(top.width);
    let mut left = left_spans(ui, info, top.width >= 100);
    let room = top.width.saturating_sub(right_width + 1);
    truncate(&mut left, room);
    frame.render_widget(Paragraph::new(Line::from(left)), top);
    frame.render_widget(
        Paragraph::new(right),
        Rect {
            x: top.right() - right_width,
            width: right_width,
            ..top
        },
    );
    if area.height > 1 {
        let tabs = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        frame.render_widget(Paragraph::new(tab_line(ui, info)), tabs);
    }
}

/// `wide`: room for each environment's latency.
fn left_spans<'a>(ui: &Ui, info: &HeaderInfo, wide: bool) -> Vec<Span<'a>> {
    let theme = ui.theme;
    let mut spans = vec![Span::styled(" n8nops ", theme.title)];
    let focus = info
        .focus
        .and_then(|name| ui.envs.iter().find(|e| e.name == name));
    match focus {
        Some(env) => {
            let class = env.class.as_str().to_uppercase();
            let text = if env.name.eq_ignore_ascii_case(&class) {
                format!(" {class} ")
            } else {
                format!(" {class} {} ", env.name)
            };
            spans.push(Span::styled(text, theme.class(env.class)));
        }
        None => spans.push(Span::styled(" all environments ", theme.muted)),
    }
    spans.push(Span::raw(" "));
    for env in ui.envs {
        let (symbol, style, detail) = match ui.health.get(&env.name) {
            Some(Health::Up { latency_ms, .. }) => ("●", theme.ok, format!(" {latency_ms}ms")),
            Some(Health::Down { .. }) => ("✖", theme.error, " down".to_owned()),
            Some(Health::Unknown) | None => ("○", theme.muted, String::new()),
        };
        spans.push(Span::styled(format!(" {symbol} "), style));
        spans.push(Span::styled(env.name.clone(), theme.header));
        if wide && !detail.is_empty() {
            spans.push(Span::styled(detail, theme.muted));
        }
    }
    spans
}

fn right_spans<'a>(ui: &Ui, info: &HeaderInfo) -> Vec<Span<'a>> {
    let theme = ui.theme;
    let mut spans = info.incidents.spans(theme);
    if let Some(job) = info.jobs.first() {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled("⟳ ", theme.accent));
        spans.push(Span::styled(shorten(&job.title, 24), theme.header));
        if job.total > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(bar(job.done, job.total, 5), theme.accent));
            spans.push(Span::styled(
                format!(" {}/{}", job.done, job.total),
                theme.muted,
            ));
        }
        if info.jobs.len() > 1 {
            spans.push(Span::styled(
                format!(" · {} running", info.jobs.len()),
                theme.muted,
            ));
        }
    }
    if info.unseen > 0 {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted));
        }
        let jobs = if info.unseen == 1 { "job" } else { "jobs" };
        spans.push(Span::styled(
            format!("{} {jobs} done", info.unseen),
            theme.info,
        ));
    }
    if ui.readonly {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            " READ-ONLY ",
            theme.warn.add_modifier(Modifier::REVERSED),
        ));
    }
    spans.push(Span::raw(" "));
    spans
}

fn tab_line<'a>(ui: &Ui, info: &HeaderInfo) -> Line<'a> {
    let theme = ui.theme;
    let mut spans = Vec::new();
    for (i, kind) in info.panes.iter().enumerate() {
        let number = if i < 9 {
            format!(" {}", i + 1)
        } else {
            "  ".into()
        };
        spans.push(Span::styled(number, theme.key));
        let style = if i == info.current {
            theme.selected.add_modifier(Modifier::BOLD)
        } else {
            theme.muted
        };
        spans.push(Span::styled(format!(" {} ", kind.title()), style));
    }
    Line::from(spans)
}

/// Drops spans (and cuts the last) so the line fits `width` cells, `…` at the cut.
fn truncate(spans: &mut Vec<Span>, width: u16) {
    let width = usize::from(width);
    let mut used = 0;
    for i in 0..spans.len() {
        let w = spans[i].width();
        if used + w > width {
            let room = width.saturating_sub(used);
            let cut = shorten(&spans[i].content, room);
            spans[i].content = cut.into();
            spans.truncate(i + 1);
            return;
        }
        used += w;
    }
}
