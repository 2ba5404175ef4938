//! Drawing the stream (only the rows on screen are built) and one execution's detail.

use super::{Detail, DetailState, ExecutionsPane};
use crate::service::{ExecutionDetail, ExecutionView, short_duration};
use crate::tui::theme::Theme;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

/// From this width on, the table also shows execution ids and retries.
const WIDE_FROM: u16 = 120;
/// Most lines given to environment problems under the table.
const MAX_PROBLEM_LINES: usize = 3;

pub fn draw(pane: &mut ExecutionsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    if let Some(detail) = &pane.detail {
        draw_detail(detail, frame, area, ui);
    } else {
        draw_stream(pane, frame, area, ui);
    }
}

fn draw_stream(pane: &mut ExecutionsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let visible = pane.visible();
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(title(pane, visible.len(), theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let problems = problem_lines(pane, theme);
    let [body, footer] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(problems.len() as u16),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(problems), footer);

    if visible.is_empty() {
        frame.render_widget(
            Paragraph::new(empty_message(pane, ui))
                .style(theme.muted)
                .wrap(Wrap { trim: true }),
            body,
        );
        return;
    }
    let height = usize::from(body.height.saturating_sub(1)).max(1);
    pane.cursor.reveal(height);
    let wide = area.width >= WIDE_FROM;
    let rows = visible
        .iter()
        .enumerate()
        .skip(pane.cursor.offset)
        .take(height)
        .filter_map(|(position, &index)| {
            let e = pane.rows.get(index)?;
            let row = execution_row(e, wide, ui);
            Some(if position == pane.cursor.selected {
                row.style(theme.selected)
            } else {
                row
            })
        });
    let mut widths = vec![Constraint::Length(11), Constraint::Length(12)];
    let mut headers = vec!["TIME", "ENV"];
    if wide {
        widths.push(Constraint::Length(9));
        headers.push("ID");
    }
    widths.push(Constraint::Fill(1));
    headers.push("WORKFLOW");
    widths.extend([Constraint::Length(8), Constraint::Length(8)]);
    headers.extend(["STATUS", "MODE"]);
    if wide {
        widths.push(Constraint::Length(9));
        headers.push("RETRY OF");
    }
    widths.push(Constraint::Length(8));
    headers.push("DURATION");
    let header = Row::new(headers).style(theme.title);
    frame.render_widget(Table::new(rows, widths).header(header), body);
}

/// `Executions · following · 42` with the count, the mode and any `:` filters.
fn title<'a>(pane: &ExecutionsPane, shown: usize, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(" Executions ", theme.title)];
    if pane.paused {
        spans.push(Span::styled("· paused ", theme.warn));
        if pane.unseen > 0 {
            spans.push(Span::styled(format!("· {} new ", pane.unseen), theme.warn));
        }
    } else {
        spans.push(Span::styled("· following ", theme.ok));
    }
    let count = if shown == pane.rows.len() {
        format!("· {shown} ")
    } else {
        format!("· {shown} of {} ", pane.rows.len())
    };
    spans.push(Span::styled(count, theme.muted));
    let only = &pane.only;
    let filters: Vec<String> = [
        only.status.as_ref().map(|s| format!("status={s}")),
        only.env.as_ref().map(|e| format!("env={e}")),
        only.workflow
            .as_ref()
            .map(|w| format!("workflow={}", w.text)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !filters.is_empty() {
        spans.push(Span::styled(
            format!("· {} ", filters.join(" ")),
            theme.accent,
        ));
    }
    Line::from(spans)
}

fn problem_lines<'a>(pane: &ExecutionsPane, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = Vec::new();
    if let Some(failure) = &pane.failure {
        lines.push(Line::styled(format!("! {failure}"), theme.error));
    }
    for p in &pane.problems {
        lines.push(Line::from(vec![
            Span::styled(format!("! {}: ", p.env), theme.error.bold()),
            Span::styled(p.message.clone(), theme.error),
        ]));
    }
    for (env, at_most) in &pane.skipped {
        let count = at_most.map_or_else(
            || "older executions".into(),
            |n| format!("up to {n} older executions"),
        );
        lines.push(Line::from(vec![
            Span::styled(format!("~ {env}: "), theme.warn.bold()),
            Span::styled(format!("{count} skipped (too many at once)"), theme.warn),
        ]));
    }
    if lines.len() > MAX_PROBLEM_LINES {
        let more = lines.len() - (MAX_PROBLEM_LINES - 1);
        lines.truncate(MAX_PROBLEM_LINES - 1);
        lines.push(Line::styled(
            format!("! and {more} more problems with environments"),
            theme.error,
        ));
    }
    lines
}

fn empty_message(pane: &ExecutionsPane, ui: &Ui) -> String {
    let every = pane.poll_every.as_secs().max(1);
    if !pane.polled_once {
        "Polling the environments for executions...".into()
    } else if pane.failure.is_some() {
        "No executions: polling failed (see below); trying again.".into()
    } else if ui.envs.is_empty() {
        "No environments yet: add one in the Environments pane.".into()
    } else if pane.rows.is_empty() {
        format!(
            "No executions yet. Watching {} environments, every {every}s.",
            ui.envs.len()
        )
    } else {
        format!(
            "No execution matches the filters ({} buffered). `:clear` drops them.",
            pane.rows.len()
        )
    }
}

fn execution_row<'a>(e: &ExecutionView, wide: bool, ui: &Ui) -> Row<'a> {
    let theme = ui.theme;
    let mut cells = vec![
        Cell::from(when(e, ui)),
        Cell::from(Span::styled(e.env.clone(), env_style(&e.env, ui))),
    ];
    if wide {
        cells.push(Cell::from(e.id.clone()).style(theme.muted));
    }
    cells.push(Cell::from(workflow_label(e)));
    cells.push(Cell::from(e.status.clone()).style(status_style(&e.status, theme)));
    cells.push(Cell::from(e.mode.clone().unwrap_or_default()).style(theme.muted));
    if wide {
        cells.push(Cell::from(e.retry_of.clone().unwrap_or_default()).style(theme.muted));
    }
    cells.push(Cell::from(
        e.duration_ms().map_or_else(|| "-".into(), short_duration),
    ));
    Row::new(cells)
}

/// `HH:MM:SS` today (UTC), `MM-DD HH:MM` before.
fn when(e: &ExecutionView, ui: &Ui) -> String {
    match e.started_at {
        Some(t) if t.date_naive() == ui.now.date_naive() => t.format("%H:%M:%S").to_string(),
        Some(t) => t.format("%m-%d %H:%M").to_string(),
        None => "-".into(),
    }
}

fn workflow_label(e: &ExecutionView) -> String {
    match (&e.workflow_name, &e.workflow_id) {
        (Some(name), _) => name.clone(),
        (None, Some(id)) => format!("({id})"),
        (None, None) => "-".into(),
    }
}

/// The environment's class colour; plain when the environment is not known.
fn env_style(env: &str, ui: &Ui) -> Style {
    ui.envs
        .iter()
        .find(|v| v.name == env)
        .map_or(ui.theme.base, |v| ui.theme.class(v.class))
}

fn status_style(status: &str, theme: &Theme) -> Style {
    match status {
        "success" => theme.ok,
        "error" | "crashed" => theme.error,
        "running" | "waiting" | "new" => theme.info,
        "canceled" => theme.warn,
        _ => theme.muted,
    }
}

fn draw_detail(detail: &Detail, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let e = &detail.execution;
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(vec![
            Span::styled(format!(" Execution {} ", e.id), theme.title),
            Span::styled(format!(" {} ", e.env), env_style(&e.env, ui)),
            Span::raw(" "),
        ]));
    let lines = match &detail.state {
        DetailState::Loading => {
            let mut lines = summary(e, ui);
            lines.push(Line::raw(""));
            lines.push(Line::styled("Loading the execution's data...", theme.muted));
            lines
        }
        DetailState::Failed(message) => {
            let mut lines = summary(e, ui);
            lines.push(Line::raw(""));
            lines.push(Line::styled(format!("! {message}"), theme.error));
            lines
        }
        DetailState::Loaded(loaded) => detail_lines(loaded, ui),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((detail.scroll, 0)),
        area,
    );
}

/// What the list already knew: workflow, status, mode, times.
fn summary<'a>(e: &ExecutionView, ui: &Ui) -> Vec<Line<'a>> {
    let theme = ui.theme;
    let label = |text: &str| Span::styled(format!("{text:<10}"), theme.muted);
    let workflow = match (&e.workflow_name, &e.workflow_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        _ => workflow_label(e),
    };
    let started = e.started_at.map_or_else(
        || "-".into(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    let mut lines = vec![
        Line::from(vec![label("workflow"), Span::raw(workflow)]),
        Line::from(vec![
            label("status"),
            Span::styled(e.status.clone(), status_style(&e.status, theme)),
            Span::styled("   mode ", theme.muted),
            Span::raw(e.mode.clone().unwrap_or_else(|| "-".into())),
        ]),
        Line::from(vec![
            label("started"),
            Span::raw(started),
            Span::styled("   took ", theme.muted),
            Span::raw(e.duration_ms().map_or_else(|| "-".into(), short_duration)),
        ]),
    ];
    if let Some(original) = &e.retry_of {
        lines.push(Line::from(vec![
            label("retry of"),
            Span::raw(original.clone()),
        ]));
    }
    lines
}

fn detail_lines<'a>(d: &ExecutionDetail, ui: &Ui) -> Vec<Line<'a>> {
    let theme = ui.theme;
    let mut lines = summary(&d.execution, ui);
    lines.push(Line::raw(""));
    if let Some(node) = &d.failing_node {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "failed at"), theme.muted),
            Span::styled(node.clone(), theme.error.bold()),
        ]));
    }
    if let Some(message) = &d.error_message {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "error"), theme.muted),
            Span::styled(message.clone(), theme.error),
        ]));
    }
    if d.failing_node.is_some() || d.error_message.is_some() {
        lines.push(Line::raw(""));
    }
    if d.nodes.is_empty() {
        lines.push(Line::styled("No node runs recorded.", theme.muted));
        return lines;
    }
    let width = d
        .nodes
        .iter()
        .map(|n| n.node.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    lines.push(Line::styled(
        format!(
            "{:>3}  {:<width$}  {:<8}  {:>7}  {:>5}",
            "#", "NODE", "STATUS", "TIME", "ITEMS"
        ),
        theme.title,
    ));
    for (i, n) in d.nodes.iter().enumerate() {
        let name: String = n.node.chars().take(width).collect();
        let time = n.duration_ms.map_or_else(|| "-".into(), short_duration);
        let items = n.items.map_or_else(|| "-".into(), |i| i.to_string());
        lines.push(Line::from(vec![
            Span::raw(format!("{:>3}  {name:<width$}  ", i + 1)),
            Span::styled(format!("{:<8}", n.status), status_style(&n.status, theme)),
            Span::raw(format!("  {time:>7}  {items:>5}")),
        ]));
    }
    lines
}
