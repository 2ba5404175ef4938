//! Drawing the Jobs pane: the list with the selected job's live log under it, and an
//! opened job with its full log.

use super::{DetailState, JobsPane};
use crate::domain::job::{JobState, LogLevel};
use crate::service::{JobLogLine, JobView, Time};
use crate::tui::action::Action;
use crate::tui::list_view::{ListTitle, Wording, framed};
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use std::collections::VecDeque;

pub(super) fn draw_list(pane: &mut JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let title = ListTitle {
        name: "Jobs",
        counts: pane.loaded.then_some((pane.visible.len(), pane.jobs.len())),
        unit: "",
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let wording = Wording {
        loading: "Loading jobs…",
        failed: "Could not load the jobs",
        empty: "No jobs yet. Syncs and other long work show here as they run, with their logs.",
        row: "job",
    };
    let Some(inner) = framed(frame, area, &title, pane.error.as_deref(), &wording, ui) else {
        return;
    };

    let log_height = (inner.height * 2 / 5)
        .max(3)
        .min(inner.height.saturating_sub(2));
    let [list, log] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(log_height)]).areas(inner);
    draw_rows(pane, frame, list, ui);
    draw_live_log(pane, frame, log, ui);
}

/// Column widths: state, title, progress, started, then on wide screens phase, actor, id.
struct Columns {
    title: u16,
    wide: bool,
}

const STATE_W: u16 = 12;
const PROGRESS_W: u16 = 16;
const STARTED_W: u16 = 9;
const PHASE_W: u16 = 14;
const ACTOR_W: u16 = 10;
const ID_W: u16 = 23;

impl Columns {
    fn new(width: u16) -> Columns {
        let wide = width >= 120;
        let fixed =
            STATE_W + PROGRESS_W + STARTED_W + if wide { PHASE_W + ACTOR_W + ID_W } else { 0 };
        Columns {
            title: width.saturating_sub(fixed + 1).max(8),
            wide,
        }
    }

    fn line<'a>(&self, cells: Vec<(String, Style)>) -> Line<'a> {
        let widths = self.widths();
        Line::from(
            cells
                .into_iter()
                .zip(widths)
                .map(|((text, style), w)| Span::styled(fit(&text, usize::from(w)), style))
                .collect::<Vec<_>>(),
        )
    }

    fn widths(&self) -> Vec<u16> {
        let mut w = vec![STATE_W, self.title, PROGRESS_W];
        if self.wide {
            w.push(PHASE_W);
        }
        w.push(STARTED_W);
        if self.wide {
            w.extend([ACTOR_W, ID_W]);
        }
        w
    }
}

fn draw_rows(pane: &mut JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let cols = Columns::new(area.width);
    let mut header = vec![
        ("STATE".to_owned(), theme.muted),
        ("TITLE".to_owned(), theme.muted),
        ("PROGRESS".to_owned(), theme.muted),
    ];
    if cols.wide {
        header.push(("PHASE".to_owned(), theme.muted));
    }
    header.push(("STARTED".to_owned(), theme.muted));
    if cols.wide {
        header.extend([
            ("ACTOR".to_owned(), theme.muted),
            ("ID".to_owned(), theme.muted),
        ]);
    }
    let mut lines = vec![cols.line(header)];
    let height = usize::from(area.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &i) in pane.visible[range.clone()].iter().enumerate() {
        let job = &pane.jobs[i];
        let (icon, style) = state_look(job.state, theme);
        let mut cells = vec![
            (format!("{icon} {}", job.state.as_str()), style),
            (job.title.clone(), theme.base),
            (progress(job), theme.accent),
        ];
        if cols.wide {
            cells.push((job.phase.clone().unwrap_or_default(), theme.muted));
        }
        cells.push((
            crate::tui::ui::age(job.started_at.unwrap_or(job.created_at), ui.now),
            theme.muted,
        ));
        if cols.wide {
            cells.extend([
                (job.actor.clone(), theme.muted),
                (job.id.clone(), theme.muted),
            ]);
        }
        let mut line = cols.line(cells);
        if range.start + pos == pane.cursor.selected {
            line = line.patch_style(theme.selected);
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_live_log(pane: &JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let Some(job) = pane.selected() else {
        return;
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(" Log ", theme.title),
            Span::styled(format!("{} ", job.title), theme.muted),
        ]))
        .title_bottom(Span::styled(
            format!(" {} full log ", ui.keymap.hint(Action::Enter)),
            theme.muted,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let empty = VecDeque::new();
    let log = pane.logs.get(&job.id).unwrap_or(&empty);
    let lines: Vec<Line> = if log.is_empty() {
        let text = if pane.fetching.contains(&job.id) {
            "Reading the log…"
        } else {
            "No log lines yet."
        };
        vec![Line::styled(text, theme.muted)]
    } else {
        let rows = usize::from(inner.height);
        log.iter()
            .skip(log.len().saturating_sub(rows))
            .map(|l| log_line(l, theme))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

pub(super) fn draw_detail(pane: &mut JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let Some(detail) = &mut pane.detail else {
        return;
    };
    let listed = pane.jobs.iter().find(|j| j.id == detail.job_id);
    let title = match (&detail.state, listed) {
        (DetailState::Loaded(d), _) => d.job.title.clone(),
        (_, Some(job)) => job.title.clone(),
        _ => detail.job_id.clone(),
    };
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(vec![
            Span::styled(" Job ", theme.title),
            Span::styled(format!("{title} "), theme.accent),
        ]))
        .title_bottom(Span::styled(
            format!(" {} back ", ui.keymap.hint(Action::Back)),
            theme.muted,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let d = match &detail.state {
        DetailState::Loading => {
            frame.render_widget(
                Paragraph::new(Line::styled("Loading the job…", theme.muted)),
                inner,
            );
            return;
        }
        DetailState::Failed(error) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("Could not load job {}: {error}", detail.job_id),
                    theme.error,
                ))
                .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        DetailState::Loaded(d) => d,
    };
    let job = &d.job;
    let (icon, style) = state_look(job.state, theme);
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.muted),
            Span::raw(value),
        ])
    };
    let mut head = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "state"), theme.muted),
            Span::styled(format!("{icon} {}", job.state.as_str()), style),
            Span::styled(format!("   {}", progress(job)), theme.accent),
            Span::styled(
                job.phase
                    .as_ref()
                    .map(|p| format!("  {p}"))
                    .unwrap_or_default(),
                theme.muted,
            ),
        ]),
        field("id", format!("{} ({})", job.id, job.kind)),
        field(
            "by",
            if job.actor.is_empty() {
                "-".into()
            } else {
                job.actor.clone()
            },
        ),
        field(
            "ran",
            format!(
                "{} → {}",
                time(job.started_at.unwrap_or(job.created_at)),
                job.finished_at.map_or_else(|| "…".into(), time)
            ),
        ),
    ];
    if let Some(error) = &job.error {
        head.push(Line::from(vec![
            Span::styled(format!("{:<10}", "error"), theme.muted),
            Span::styled(error.clone(), theme.error),
        ]));
    }
    head.push(Line::styled(
        format!("── log: {} lines ──", d.logs.len()),
        theme.muted,
    ));
    let head_height = (head.len() as u16).min(inner.height);
    let [top, rest] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    let page = usize::from(rest.height);
    detail.page = page;
    detail.scroll = detail.scroll.min(d.logs.len().saturating_sub(page));
    let lines: Vec<Line> = d
        .logs
        .iter()
        .skip(detail.scroll)
        .take(page)
        .map(|l| log_line(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), rest);
}

fn log_line<'a>(line: &JobLogLine, theme: &Theme) -> Line<'a> {
    let style = match line.level {
        LogLevel::Info => theme.base,
        LogLevel::Warn => theme.warn,
        LogLevel::Error => theme.error,
    };
    Line::from(vec![
        Span::styled(line.at.format("%H:%M:%S ").to_string(), theme.muted),
        Span::styled(format!("{:<5} ", line.level.as_str()), style),
        Span::styled(line.message.clone(), style),
    ])
}

fn state_look(state: JobState, theme: &Theme) -> (&'static str, Style) {
    match state {
        JobState::Queued => ("◷", theme.muted),
        JobState::Running => ("⟳", theme.accent),
        JobState::Succeeded => ("✔", theme.ok),
        JobState::Failed => ("✖", theme.error),
        JobState::Interrupted => ("!", theme.warn),
    }
}

/// `▰▰▰▱▱▱▱▱  37%`, or the count when there is no total yet.
fn progress(job: &JobView) -> String {
    if job.total <= 0 {
        return match job.state {
            JobState::Succeeded => "done".into(),
            JobState::Running | JobState::Queued => "…".into(),
            _ => String::new(),
        };
    }
    let done = job.done.clamp(0, job.total) as u64;
    let total = job.total as u64;
    let pct = done * 100 / total;
    format!("{} {pct:>3}%", crate::tui::ui::bar(done, total, 10))
}

fn time(t: Time) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}
