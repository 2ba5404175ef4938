//! The metrics view: MTTA (time to acknowledge) and MTTR (time to resolve), mean,
//! median and 90th percentile, per environment and severity, then every environment
//! together, over the last 7, 30 or 90 days (`t` steps through them).

use super::format::{clock, duration, wrap};
use crate::domain::incident::{Spread, StatsRow};
use crate::service::{IncidentStats, IncidentStatsQuery, OpsResult};
use crate::tui::action::Action;
use crate::tui::header::severity_style;
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The periods `t` steps through, in days.
pub(super) const PERIODS: [i64; 3] = [7, 30, 90];
/// The period shown first.
pub(super) const DEFAULT_DAYS: i64 = 30;

const ENV_W: usize = 12;
const SEV_W: usize = 9;
const COUNT_W: usize = 7;
const TIME_W: usize = 7;

pub(super) enum MetricsState {
    Loading,
    Failed(String),
    Ready(IncidentStats),
}

pub(super) struct MetricsView {
    pub days: i64,
    /// Of the load in flight; older answers are dropped.
    pub generation: u64,
    pub state: MetricsState,
    /// `selected` is the first row on screen.
    pub scroll: ListCursor,
    /// Rows at the last draw.
    len: usize,
}

impl MetricsView {
    pub fn new() -> MetricsView {
        MetricsView {
            days: DEFAULT_DAYS,
            generation: 0,
            state: MetricsState::Loading,
            scroll: ListCursor::default(),
            len: 0,
        }
    }

    /// The next period after this one (90 days wraps to 7).
    pub fn next_period(&mut self) {
        let at = PERIODS.iter().position(|d| *d == self.days).unwrap_or(0);
        self.days = PERIODS[(at + 1) % PERIODS.len()];
    }

    /// The query of the period, up to now.
    pub fn query(&self) -> IncidentStatsQuery {
        IncidentStatsQuery {
            from: Some(chrono::Utc::now() - chrono::Duration::days(self.days)),
            to: None,
            env: None,
        }
    }

    pub fn loaded(&mut self, result: OpsResult<IncidentStats>) {
        self.state = match result {
            Ok(stats) => MetricsState::Ready(stats),
            Err(e) => MetricsState::Failed(e.to_string()),
        };
    }

    /// The possible first rows on screen, for the moves.
    pub fn scroll_len(&self) -> usize {
        self.len.saturating_sub(self.scroll.page) + 1
    }
}

fn spread_cells(spread: &Option<Spread>) -> [String; 3] {
    match spread {
        Some(s) => [duration(s.mean_ms), duration(s.p50_ms), duration(s.p90_ms)],
        None => ["—".into(), "—".into(), "—".into()],
    }
}

fn row_line(env: &str, row: &StatsRow, theme: &Theme) -> Line<'static> {
    let mut spans = vec![
        Span::styled(fit(env, ENV_W), theme.base),
        Span::styled(
            fit(row.severity.as_str(), SEV_W),
            severity_style(row.severity, theme),
        ),
        Span::raw(format!("{:>w$} ", row.opened, w = COUNT_W - 1)),
        Span::raw(format!("{:>w$} ", row.resolved, w = COUNT_W - 1)),
    ];
    for (i, spread) in [&row.mtta, &row.mttr].into_iter().enumerate() {
        if i == 1 {
            spans.push(Span::styled("│", theme.border));
        }
        for cell in spread_cells(spread) {
            spans.push(Span::raw(format!("{cell:>w$} ", w = TIME_W - 1)));
        }
    }
    Line::from(spans)
}

fn header_lines(theme: &Theme) -> Vec<Line<'static>> {
    let lead = ENV_W + SEV_W + 2 * COUNT_W;
    let group = 3 * TIME_W;
    let times = |style: Style| {
        ["mean", "p50", "p90"]
            .iter()
            .map(|h| Span::styled(format!("{h:>w$} ", w = TIME_W - 1), style))
            .collect::<Vec<_>>()
    };
    let mut second = vec![
        Span::styled(fit("ENVIRONMENT", ENV_W), theme.muted),
        Span::styled(fit("SEVERITY", SEV_W), theme.muted),
        Span::styled(format!("{:>w$} ", "OPENED", w = COUNT_W - 1), theme.muted),
        Span::styled(format!("{:>w$} ", "SOLVED", w = COUNT_W - 1), theme.muted),
    ];
    second.extend(times(theme.muted));
    second.push(Span::styled("│", theme.border));
    second.extend(times(theme.muted));
    vec![
        Line::from(vec![
            Span::raw(" ".repeat(lead)),
            Span::styled(
                format!("{:>w$} ", "MTTA to acknowledge", w = group - 1),
                theme.accent,
            ),
            Span::styled("│", theme.border),
            Span::styled(
                format!("{:>w$} ", "MTTR to resolve", w = group - 1),
                theme.accent,
            ),
        ]),
        Line::from(second),
    ]
}

pub(super) fn draw(view: &mut MetricsView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let mut title = vec![Span::styled(" Incident metrics ", theme.title)];
    title.push(Span::styled(
        format!("last {} days ", view.days),
        theme.accent,
    ));
    if let MetricsState::Ready(stats) = &view.state {
        title.push(Span::styled(
            format!("({} – {}) ", clock(stats.from), clock(stats.to)),
            theme.muted,
        ));
    }
    let hint = format!(
        " {} period 7/30/90 days · {} back ",
        ui.keymap.hint(Action::Period),
        ui.keymap.hint(Action::Back)
    );
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(title))
        .title_bottom(Span::styled(hint, theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let stats = match &view.state {
        MetricsState::Ready(stats) => stats,
        MetricsState::Loading => {
            frame.render_widget(
                Paragraph::new(Line::styled("Loading the metrics…", theme.muted)),
                inner,
            );
            return;
        }
        MetricsState::Failed(e) => {
            let lines = vec![
                Line::styled(format!("Could not load the metrics: {e}"), theme.error),
                Line::styled(
                    format!("{} tries again.", ui.keymap.hint(Action::Refresh)),
                    theme.muted,
                ),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
            return;
        }
    };
    let mut lines = header_lines(theme);
    if stats.rows.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("No incident opened in the last {} days.", view.days),
            theme.muted,
        ));
    }
    for row in &stats.rows {
        lines.push(row_line(&row.env, row, theme));
    }
    if !stats.totals.is_empty() {
        lines.push(Line::styled(
            "─".repeat(usize::from(inner.width)),
            theme.border,
        ));
        for row in &stats.totals {
            lines.push(row_line("all", row, theme));
        }
    }
    lines.push(Line::raw(""));
    let legend = "Of the incidents opened in the period: SOLVED, how many are resolved; the \
                  times run from opening to the first acknowledgement (MTTA) and to the \
                  resolution (MTTR).";
    for text in wrap(legend, usize::from(inner.width)) {
        lines.push(Line::styled(text, theme.muted));
    }
    // The two header rows stay; the rest scrolls.
    let header = 2.min(lines.len());
    let body: Vec<Line> = lines.split_off(header);
    view.len = body.len();
    let height = usize::from(inner.height).saturating_sub(header);
    view.scroll.page = height;
    view.scroll.clamp(view.scroll_len());
    let top = view.scroll.selected;
    lines.extend(body.into_iter().skip(top).take(height));
    frame.render_widget(Paragraph::new(lines), inner);
}
