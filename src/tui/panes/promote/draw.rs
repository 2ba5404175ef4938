//! The wizard's frame: the route in the title, the step bar, the keys of the step at
//! the bottom; each step's body is drawn by its own module. Shared pieces: columns,
//! the styles of statuses, risks and actions, a scrolled list under a header, and
//! what a step says while its preflight loads or after it failed.

use super::fetch::Fetch;
use super::{PromotePane, Step, draw_checks, draw_plan, draw_run, draw_stage};
use crate::domain::diff::{DiffStatus, Risk};
use crate::domain::promotion::PlanAction;
use crate::tui::action::Action;
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Inner width from which the step bar names every step.
const FULL_BAR: u16 = 96;

pub(super) fn draw(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(title(pane, ui))
        .title_bottom(Span::styled(hints(pane, ui), theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }
    let [bar, _gap, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(inner.height > 12)),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(step_bar(pane.step, inner.width, theme)), bar);
    match pane.step {
        Step::Stage => draw_stage::draw(pane, frame, body, ui),
        Step::Workflows => draw_plan::workflows(pane, frame, body, ui),
        Step::Review => draw_plan::review(pane, frame, body, ui),
        Step::Credentials => draw_checks::credentials(pane, frame, body, ui),
        Step::Gates => draw_checks::gates(pane, frame, body, ui),
        Step::Confirm => draw_run::confirm(pane, frame, body, ui),
        Step::Progress => draw_run::progress(pane, frame, body, ui),
        Step::Result => draw_run::result(pane, frame, body, ui),
    }
    if pane.edit.is_some() {
        draw_checks::edit_line(pane, frame, area, ui);
    }
}

/// ` Promote  staging → production  via release  rechecking… `
fn title(pane: &PromotePane, ui: &Ui) -> Line<'static> {
    let theme = ui.theme;
    let mut spans = vec![Span::styled(" Promote ", theme.title)];
    if let Some(route) = &pane.choices.route {
        spans.push(Span::raw(" "));
        spans.push(env_span(&route.from, pane, theme));
        spans.push(Span::styled(" → ", theme.muted));
        spans.push(env_span(&route.to, pane, theme));
        if let Some(p) = &route.pipeline {
            spans.push(Span::styled(format!("  via {p}"), theme.muted));
        }
        spans.push(Span::raw(" "));
    }
    let busy = match pane.step {
        Step::Stage => pane.stages.loading && pane.stages.ready().is_some(),
        Step::Workflows => pane.candidates.loading && pane.candidates.ready().is_some(),
        Step::Review | Step::Credentials | Step::Gates | Step::Confirm => {
            pane.chosen.loading && pane.chosen.ready().is_some()
        }
        Step::Progress | Step::Result => false,
    };
    if busy {
        spans.push(Span::styled(" rechecking… ", theme.muted));
    }
    Line::from(spans)
}

/// An environment's name in its class's colour (production unmistakable).
pub(super) fn env_span(env: &str, pane: &PromotePane, theme: &Theme) -> Span<'static> {
    match pane.envs.iter().find(|e| e.name == env) {
        Some(e) => Span::styled(format!(" {env} "), theme.class(e.class)),
        None => Span::styled(env.to_owned(), theme.accent),
    }
}

fn step_bar(current: Step, width: u16, theme: &Theme) -> Line<'static> {
    if width < FULL_BAR {
        let mut spans = vec![
            Span::styled(format!("Step {} of 8 · ", current.number()), theme.muted),
            Span::styled(current.title(), theme.title),
        ];
        if let Some(next) = current.next() {
            spans.push(Span::styled(
                format!(" · next: {}", next.title()),
                theme.muted,
            ));
        }
        return Line::from(spans);
    }
    let mut spans = Vec::new();
    for (i, step) in Step::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" › ", theme.muted));
        }
        let style = if *step == current {
            theme.title
        } else if *step < current {
            theme.base
        } else {
            theme.muted
        };
        spans.push(Span::styled(
            format!("{} {}", step.number(), step.title()),
            style,
        ));
    }
    Line::from(spans)
}

/// The keys of the step, in words, for the frame's bottom.
fn hints(pane: &PromotePane, ui: &Ui) -> String {
    let key = |a: Action| ui.keymap.hint(a);
    let next = |step: Step| {
        step.next()
            .map(|n| format!("{} next: {}", key(Action::Promote), n.title()))
            .unwrap_or_default()
    };
    let back = format!("{} back", key(Action::Back));
    let mut parts: Vec<String> = match pane.step {
        Step::Stage => vec![
            format!("{} chooses", key(Action::Enter)),
            format!("{} reloads", key(Action::Refresh)),
        ],
        Step::Workflows => {
            let mut p = vec![
                format!("{} marks", key(Action::Mark)),
                format!("{} all", key(Action::MarkAll)),
            ];
            if !ui.readonly && pane.candidates.ready().is_some_and(super::plan::has_hotfix) {
                p.push(format!("{} overrides a hotfix", key(Action::Edit)));
            }
            p.push(format!("{} diff", key(Action::Enter)));
            p.push(next(pane.step));
            p.push(back);
            p
        }
        Step::Review => vec![
            format!("{} diff", key(Action::Enter)),
            next(pane.step),
            back,
        ],
        Step::Credentials => {
            let mut p = Vec::new();
            if !ui.readonly {
                p.push(format!("{} maps the credential", key(Action::Edit)));
            }
            p.extend([next(pane.step), back]);
            p
        }
        Step::Gates => vec![
            format!("{} acknowledges drift", key(Action::Mark)),
            format!("{} checks drift", key(Action::DriftCheck)),
            next(pane.step),
            back,
        ],
        Step::Confirm if ui.readonly => vec!["read-only: preview only".to_owned(), back],
        Step::Confirm => vec![
            format!("{} promotes (asks first)", key(Action::Promote)),
            back,
        ],
        Step::Progress => {
            let mut p = vec![format!("{} opens it in Deployments", key(Action::Enter))];
            if pane.run.as_ref().is_some_and(super::run::Run::is_running) {
                p.push(format!("{} leaves (it keeps running)", key(Action::Back)));
            } else {
                p.push(format!("{} new promotion", key(Action::Back)));
            }
            p
        }
        Step::Result => vec![
            format!("{} opens it in Deployments", key(Action::Enter)),
            format!("{} new promotion", key(Action::Back)),
        ],
    };
    parts.retain(|p| !p.is_empty());
    format!(" {} ", parts.join(" · "))
}

/// What a step shows instead of its data: loading, or the error and how to retry;
/// None once there is data.
pub(super) fn pending<T>(
    fetch: &Fetch<T>,
    loading: &str,
    failed: &str,
    ui: &Ui,
) -> Option<Vec<Line<'static>>> {
    if fetch.ready().is_some() {
        return None;
    }
    Some(match &fetch.error {
        Some(e) => vec![
            Line::styled(format!("{failed}: {e}"), ui.theme.error),
            Line::styled(
                format!("{} tries again.", ui.keymap.hint(Action::Refresh)),
                ui.theme.muted,
            ),
        ],
        None if fetch.loading => vec![Line::styled(loading.to_owned(), ui.theme.muted)],
        None => vec![Line::styled(
            format!("{} asks again.", ui.keymap.hint(Action::Refresh)),
            ui.theme.muted,
        )],
    })
}

/// The error of a recheck whose earlier answer is still shown.
pub(super) fn recheck_error<T>(fetch: &Fetch<T>, ui: &Ui) -> Option<Line<'static>> {
    fetch.error.as_ref().map(|e| {
        Line::styled(
            format!(
                "The recheck failed: {e} ({} tries again). Shown: the last answer.",
                ui.keymap.hint(Action::Refresh)
            ),
            ui.theme.error,
        )
    })
}

/// Draws wrapped `lines` over the whole area.
pub(super) fn text(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

pub(super) fn columns(cells: Vec<(String, Style)>, widths: &[u16]) -> Line<'static> {
    Line::from(
        cells
            .into_iter()
            .zip(widths)
            .map(|((text, style), w)| Span::styled(fit(&text, usize::from(*w)), style))
            .collect::<Vec<_>>(),
    )
}

/// A flexible column before others is at most this wide, so a wide screen keeps the
/// table's columns together.
const FLEX_MAX: u16 = 48;

/// Widths for fixed columns, the one at `flex` taking what is left (at least 8; at most
/// `FLEX_MAX` unless it is the last).
pub(super) fn widths(mut fixed: Vec<u16>, flex: usize, total: u16) -> Vec<u16> {
    let used: u16 = fixed.iter().sum();
    let mut rest = total.saturating_sub(used).max(8);
    if flex < fixed.len() {
        rest = rest.min(FLEX_MAX);
    }
    fixed.insert(flex.min(fixed.len()), rest);
    fixed
}

/// Rows `lines` take wrapped at `width` (close enough: wrapping by words may take a
/// row more, which the area then cuts).
pub(super) fn wrapped(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// `head` lines (wrapped), then a header and the rows around the cursor under it.
pub(super) fn head_and_list(
    frame: &mut Frame,
    area: Rect,
    head: Vec<Line<'static>>,
    header: Line<'static>,
    cursor: &mut ListCursor,
    len: usize,
    row: impl Fn(usize, bool) -> Line<'static>,
) {
    // The head wraps, but leaves the list at least a header and a row.
    let head_height = wrapped(&head, area.width).min(area.height.saturating_sub(2));
    let [top, rest] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(0)]).areas(area);
    text(frame, top, head);
    if rest.is_empty() {
        return;
    }
    let height = usize::from(rest.height.saturating_sub(1));
    let range = cursor.window(height, len);
    let mut lines = vec![header];
    for i in range {
        lines.push(row(i, i == cursor.selected));
    }
    frame.render_widget(Paragraph::new(lines), rest);
}

pub(super) fn selected(line: Line<'static>, is: bool, theme: &Theme) -> Line<'static> {
    if is {
        line.patch_style(theme.selected)
    } else {
        line
    }
}

pub(super) fn status_style(status: DiffStatus, theme: &Theme) -> Style {
    match status {
        DiffStatus::Added => theme.added,
        DiffStatus::Deleted => theme.removed,
        DiffStatus::Modified => theme.changed,
        DiffStatus::TargetHotfix => theme.error,
        DiffStatus::Unchanged => theme.muted,
    }
}

pub(super) fn risk_cell(risk: Option<Risk>, theme: &Theme) -> (String, Style) {
    match risk {
        Some(Risk::Low) => ("LOW".into(), theme.risk_low),
        Some(Risk::Medium) => ("MEDIUM".into(), theme.risk_medium),
        Some(Risk::High) => ("HIGH".into(), theme.risk_high),
        None => ("-".into(), theme.muted),
    }
}

pub(super) fn action_style(action: PlanAction, theme: &Theme) -> Style {
    match action {
        PlanAction::Create => theme.added,
        PlanAction::Update => theme.changed,
        PlanAction::Delete => theme.removed,
        PlanAction::Hold => theme.warn,
        PlanAction::Skip => theme.muted,
    }
}
