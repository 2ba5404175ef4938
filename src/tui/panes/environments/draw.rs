//! Drawing the environments: a table, the selected environment's details under it,
//! and the form over both when it is open. Narrow screens trade the credential and
//! execution counts (still in the details) for the drift column.

use super::{EnvironmentsPane, TestState};
use crate::domain::environment::EnvClass;
use crate::service::{EnvView, Time};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::ui::{Health, Ui};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

/// Below this width the URL column goes (it is in the details) and labels shorten: the
/// wide columns need about 135 cells besides the name and the URL.
const WIDE: u16 = 160;
/// Below this height there is no room for the details.
const DETAILS_FROM_HEIGHT: u16 = 14;
/// The drift column: the long form on wide screens, the short one otherwise.
const DRIFT_WIDE: u16 = 36;
const DRIFT_NARROW: u16 = 13;

pub(super) fn draw(pane: &mut EnvironmentsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    if pane.envs.is_empty() {
        empty(frame, area, ui);
    } else {
        let lines = pane.current().map(|env| details_lines(pane, env, ui));
        let [table_area, details_area] = match &lines {
            Some(lines) if area.height >= DETAILS_FROM_HEIGHT => {
                let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
                Layout::vertical([Constraint::Min(3), Constraint::Length(height)]).areas(area)
            }
            _ => [area, Rect::default()],
        };
        table(pane, frame, table_area, ui);
        if !details_area.is_empty()
            && let (Some(env), Some(lines)) = (pane.current(), lines)
        {
            details(env, lines, frame, details_area, ui);
        }
    }
    if let Some(form) = pane.form.as_mut() {
        form.draw(frame, area, theme);
    }
}

fn empty(frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(" Environments ", theme.title));
    let mut lines = vec![Line::styled("No environments yet.", theme.muted)];
    if ui.readonly {
        lines.push(Line::styled(
            "Read-only: environments are added without --readonly.",
            theme.muted,
        ));
    } else {
        lines.push(Line::from(vec![
            Span::styled("Press ", theme.muted),
            Span::styled(ui.keymap.hint(Action::Add), theme.key),
            Span::styled(
                " to add one: its URL and an API key (n8n: Settings > n8n API).",
                theme.muted,
            ),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

fn table(pane: &mut EnvironmentsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let wide = area.width >= WIDE;
    let mut title = vec![Span::styled(" Environments ", theme.title)];
    if pane.visible.len() != pane.envs.len() {
        title.push(Span::styled(
            format!("{} of {} ", pane.visible.len(), pane.envs.len()),
            theme.muted,
        ));
    }
    if !pane.filter.is_empty() {
        title.push(Span::styled(
            format!("/{} ", pane.filter.text),
            theme.accent,
        ));
    }
    if !pane.marks.is_empty() {
        title.push(Span::styled(
            format!("{} marked ", pane.marks.len()),
            theme.marked,
        ));
    }
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(title));

    let number = |n: i64| Cell::from(Line::from(n.to_string()).right_aligned());
    let rows = pane.visible.iter().map(|&i| {
        let env = &pane.envs[i];
        let marked = pane.marks.contains(&env.name);
        let mut cells = vec![
            Cell::from(if marked { "*" } else { " " }).style(theme.marked),
            Cell::from(env.name.as_str()),
            Cell::from(Span::styled(
                class_label(env.class, wide),
                theme.class(env.class),
            )),
        ];
        if wide {
            cells.push(Cell::from(env.url.as_str()).style(theme.muted));
        }
        let (drift, drift_style) = pane.drift.cell(&env.name, wide, ui.now, theme);
        cells.extend([
            Cell::from(health_line(ui.health.get(&env.name), wide, theme)),
            Cell::from(age(env.last_sync_at, ui.now)).style(if env.last_sync_at.is_some() {
                theme.base
            } else {
                theme.muted
            }),
            Cell::from(Span::styled(drift, drift_style)),
            number(env.counts.workflows),
            number(env.counts.active),
        ]);
        if wide {
            cells.extend([
                number(env.counts.credentials),
                number(env.counts.executions),
            ]);
        }
        let row = Row::new(cells);
        if marked { row.style(theme.marked) } else { row }
    });

    let right = |s: &'static str| Cell::from(Line::from(s).right_aligned());
    let mut header = vec![Cell::from(""), Cell::from("NAME"), Cell::from("CLASS")];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(if wide { 11 } else { 7 }),
    ];
    if wide {
        header.push(Cell::from("URL"));
        widths.push(Constraint::Fill(2));
    }
    let counts: [(&str, &str, u16); 4] = [
        ("WORKFLOWS", "WF", 9),
        ("ACTIVE", "ACT", 6),
        ("CREDENTIALS", "CRED", 11),
        ("EXECUTIONS", "EXEC", 10),
    ];
    header.extend([
        Cell::from("HEALTH"),
        Cell::from(if wide { "LAST SYNC" } else { "SYNCED" }),
        Cell::from("DRIFT"),
    ]);
    widths.extend([
        Constraint::Length(if wide { 28 } else { 16 }),
        Constraint::Length(9),
        Constraint::Length(if wide { DRIFT_WIDE } else { DRIFT_NARROW }),
    ]);
    // Narrow: the workflow counts only (the details hold the rest).
    let counts = if wide { &counts[..] } else { &counts[..2] };
    for &(long, short, width) in counts {
        header.push(right(if wide { long } else { short }));
        widths.push(Constraint::Length(if wide { width } else { 5 }));
    }

    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.muted))
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected)
        .highlight_symbol("›");
    // Inside the borders, below the header row.
    let rows = usize::from(area.height.saturating_sub(3));
    let window = pane.cursor.window(rows, pane.visible.len());
    let mut state = TableState::default()
        .with_offset(window.start)
        .with_selected(Some(pane.cursor.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The selected environment in a box of its details.
fn details(env: &EnvView, lines: Vec<Line<'static>>, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(format!(" {} ", env.name), theme.title),
            Span::styled(format!("{} ", env.class), theme.class(env.class)),
        ]));
    let inner_height = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = lines.into_iter().take(inner_height).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The selected environment in full: URL, Git, health, last test, drift, counts.
fn details_lines(pane: &EnvironmentsPane, env: &EnvView, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let label = |text: &'static str| Span::styled(format!("{text:<8}"), theme.muted);
    let git = match (&env.git_repo, &env.git_branch) {
        (Some(repo), Some(branch)) => Span::raw(format!("{repo} @ {branch}")),
        (Some(repo), None) => Span::raw(repo.clone()),
        (None, Some(branch)) => Span::raw(format!("branch {branch}, no repository")),
        (None, None) => Span::styled("not linked", theme.muted),
    };
    let health = match ui.health.get(&env.name) {
        Some(Health::Down { problem }) => Span::styled(format!("down: {problem}"), theme.error),
        other => health_line(other, true, theme)
            .spans
            .into_iter()
            .next()
            .unwrap_or_default(),
    };
    let test = match pane.tests.get(&env.name) {
        None => Line::from(vec![
            label("Test"),
            Span::styled(
                format!(
                    "not run ({} tests the connection)",
                    ui.keymap.hint(Action::Test)
                ),
                theme.muted,
            ),
        ]),
        Some(TestState::Running) => {
            Line::from(vec![label("Test"), Span::styled("testing…", theme.muted)])
        }
        Some(TestState::Failed(e)) => {
            Line::from(vec![label("Test"), Span::styled(e.clone(), theme.error)])
        }
        Some(TestState::Done(t)) => {
            let style = if t.ok { theme.ok } else { theme.error };
            let text = super::test_summary(t);
            let text = text
                .strip_prefix(&format!("{}: ", env.name))
                .unwrap_or(&text)
                .to_owned();
            Line::from(vec![label("Test"), Span::styled(text, style)])
        }
    };
    let (drift, drift_style, drift_items) = pane.drift.detail(&env.name, ui.now, theme);
    let mut drift_line = vec![label("Drift"), Span::styled(drift, drift_style)];
    if !ui.readonly && !pane.drift.checking.contains(&env.name) {
        drift_line.push(Span::styled(
            format!(" ({} checks it)", ui.keymap.hint(Action::DriftCheck)),
            theme.muted,
        ));
    }
    let counts = &env.counts;
    let mut lines = vec![
        Line::from(vec![label("URL"), Span::raw(env.url.clone())]),
        Line::from(vec![label("Git"), git]),
        Line::from(vec![label("Health"), health]),
        test,
        Line::from(drift_line),
    ];
    if let Some(items) = drift_items {
        lines.push(Line::from(vec![label(""), Span::styled(items, theme.warn)]));
    }
    lines.push(Line::from(vec![
        label("Holds"),
        Span::raw(format!(
            "{} workflows ({} active), {} credentials, {} tags, {} users, {} executions",
            counts.workflows,
            counts.active,
            counts.credentials,
            counts.tags,
            counts.users,
            counts.executions
        )),
    ]));
    lines
}

fn class_label(class: EnvClass, wide: bool) -> &'static str {
    match (class, wide) {
        (_, true) => class.as_str(),
        (EnvClass::Development, false) => "dev",
        (EnvClass::Staging, false) => "staging",
        (EnvClass::Production, false) => "prod",
    }
}

fn health_line<'a>(health: Option<&Health>, wide: bool, theme: &Theme) -> Line<'a> {
    let span = match health {
        None | Some(Health::Unknown) => Span::styled("unknown", theme.muted),
        Some(Health::Up {
            latency_ms,
            version,
        }) => {
            let text = match version {
                Some(v) if wide => format!("up {latency_ms} ms · n8n {v}"),
                _ => format!("up {latency_ms} ms"),
            };
            Span::styled(text, theme.ok)
        }
        Some(Health::Down { problem }) => Span::styled(format!("down: {problem}"), theme.error),
    };
    Line::from(span)
}

/// "5m ago", "3h ago", "never".
fn age(at: Option<Time>, now: Time) -> String {
    at.map_or_else(|| "never".into(), |at| crate::tui::ui::age(at, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_that_never_ran_reads_never() {
        let now = crate::tui::testing::now();
        assert_eq!(age(Some(now - chrono::Duration::minutes(5)), now), "5m ago");
        assert_eq!(age(None, now), "never");
    }
}
