//! Drawing the deployment list, with the selected deployment's particulars under it,
//! and how the list and the detail write a deployment's state, route and summary.

use super::DeploymentsPane;
use super::progress::Progress;
use crate::domain::deployment::DeploymentState;
use crate::service::{DeploymentQuery, DeploymentView, Time};
use crate::tui::action::Action;
use crate::tui::list_view::{ListTitle, Wording, framed};
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, age, bar, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// "PENDING_APPROVAL" and a space.
const STATE_W: u16 = 17;
const PIPELINE_W: u16 = 14;
const BY_W: u16 = 12;
/// "REQUESTED" and a space.
const REQUESTED_W: u16 = 10;
/// Deployment ids are shown (wide screens) as wide as the widest, within.
const MAX_ID: u16 = 28;
/// Routes as wide as the widest, within.
const MAX_ROUTE: u16 = 30;
/// The selected deployment's particulars under the list.
const DETAILS_HEIGHT: u16 = 3;

/// "staging -> production".
pub(super) fn route(d: &DeploymentView) -> String {
    format!("{} -> {}", d.source_env, d.target_env)
}

pub(super) fn state_style(state: DeploymentState, theme: &Theme) -> Style {
    match state {
        DeploymentState::Completed => theme.ok,
        DeploymentState::Failed | DeploymentState::RollbackFailed => theme.error,
        DeploymentState::PendingApproval => theme.warn,
        DeploymentState::Running | DeploymentState::RollingBack => theme.info,
        DeploymentState::Rejected | DeploymentState::Cancelled => theme.muted,
        DeploymentState::Pending | DeploymentState::Approved => theme.accent,
    }
}

/// `2026-11-22 11:55`.
pub(super) fn clock(at: Time) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// `▰▰▰▱▱▱ 3/10 writing` with a bar `width` cells wide, or the phase alone (`running`
/// before any progress).
pub(super) fn progress_text(p: &Progress, width: usize) -> String {
    let phase = p.phase.as_deref().unwrap_or("running");
    if p.total == 0 {
        return phase.to_owned();
    }
    format!(
        "{} {}/{} {phase}",
        bar(p.done, p.total, width),
        p.done,
        p.total
    )
}

/// What a row says of a deployment: first what matters in its state (approvals,
/// progress, a stale plan, its error, its schedule), then what it writes
/// (`+created ~updated -deleted`, held ones).
pub(super) fn summary(d: &DeploymentView, progress: Option<&Progress>) -> String {
    let mut parts = Vec::new();
    match d.state {
        DeploymentState::PendingApproval => parts.push(format!(
            "approvals {}/{}",
            d.approvals.counted.len(),
            d.approvals.required
        )),
        DeploymentState::Pending => parts.push("stale plan: replan".to_owned()),
        DeploymentState::Running | DeploymentState::RollingBack => {
            if let Some(p) = progress {
                parts.push(progress_text(p, 6));
            }
        }
        _ => {}
    }
    if let Some(error) = &d.error {
        parts.push(error.clone());
    }
    if let Some(at) = d.scheduled_for.filter(|_| d.state.is_pending()) {
        parts.push(format!("at {}", clock(at)));
    }
    let a = &d.summary.by_action;
    parts.push(format!("+{} ~{} -{}", a.create, a.update, a.delete));
    if a.hold > 0 {
        parts.push(format!("{} held", a.hold));
    }
    if let Some(of) = &d.rollback_of {
        parts.push(format!("rolls back {of}"));
    }
    parts.join(" · ")
}

/// "Deployments · PENDING_APPROVAL · env production", what the `:` narrowing shows.
fn list_name(query: &DeploymentQuery) -> String {
    let mut name = "Deployments".to_owned();
    if let Some(state) = query.state {
        name.push_str(&format!(" · {state}"));
    }
    for (what, value) in [
        ("env", &query.env),
        ("pipeline", &query.pipeline),
        ("by", &query.requested_by),
    ] {
        if let Some(value) = value {
            name.push_str(&format!(" · {what} {value}"));
        }
    }
    name
}

pub(super) fn draw_list(pane: &mut DeploymentsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let name = list_name(&pane.query);
    let title = ListTitle {
        name: &name,
        counts: pane
            .loaded
            .then_some((pane.visible.len(), pane.deployments.len())),
        unit: "",
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let narrowed = pane.query != DeploymentQuery::default();
    let empty = if narrowed {
        "No deployment matches the narrowing (:all clears it).".to_owned()
    } else {
        format!(
            "No deployments yet. Promote workflows from the matrix or the workflows pane ({}), \
             or with n8nops promote.",
            ui.keymap.hint(Action::Promote)
        )
    };
    let wording = Wording {
        loading: "Loading deployments…",
        failed: "Could not load the deployments",
        empty: &empty,
        row: "deployment",
    };
    let Some(inner) = framed(frame, area, &title, pane.error.as_deref(), &wording, ui) else {
        return;
    };
    let details_height = if inner.height >= 8 {
        DETAILS_HEIGHT + 1
    } else {
        0
    };
    let [list, details] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(details_height)]).areas(inner);
    rows(pane, frame, list, ui);
    if !details.is_empty()
        && let Some(d) = pane.selected()
    {
        let lines = details_lines(d, ui);
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(ui.theme.border);
        frame.render_widget(Paragraph::new(lines).block(block), details);
    }
}

fn rows(pane: &mut DeploymentsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    // Narrow: the pipeline, the requester and the id are in the particulars below.
    let wide = area.width >= 120;
    let widest = |f: &dyn Fn(&DeploymentView) -> usize, min: u16, max: u16| {
        pane.visible
            .iter()
            .map(|&i| f(&pane.deployments[i]))
            .max()
            .map_or(min, |w| u16::try_from(w + 1).unwrap_or(max))
            .clamp(min, max)
    };
    let route_w = widest(&|d| route(d).chars().count(), 10, MAX_ROUTE);
    let id_w = widest(&|d| d.id.chars().count(), 4, MAX_ID);
    let mut widths = Vec::new();
    if wide {
        widths.push(id_w);
    }
    widths.extend([STATE_W, route_w]);
    if wide {
        widths.extend([PIPELINE_W, BY_W]);
    }
    widths.push(REQUESTED_W);
    let fixed: u16 = widths.iter().sum();
    widths.push(area.width.saturating_sub(fixed).max(8));
    let line = |cells: Vec<(String, Style)>| -> Line<'static> {
        Line::from(
            cells
                .into_iter()
                .zip(&widths)
                .map(|((text, style), w)| Span::styled(fit(&text, usize::from(*w)), style))
                .collect::<Vec<_>>(),
        )
    };
    let mut header = Vec::new();
    if wide {
        header.push("ID");
    }
    header.extend(["STATE", "FROM -> TO"]);
    if wide {
        header.extend(["PIPELINE", "BY"]);
    }
    header.extend(["REQUESTED", "SUMMARY"]);
    let mut lines = vec![line(
        header
            .into_iter()
            .map(|h| (h.to_owned(), theme.muted))
            .collect(),
    )];
    let height = usize::from(area.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &i) in pane.visible[range.clone()].iter().enumerate() {
        let d = &pane.deployments[i];
        let progress = d.job_id.as_deref().and_then(|j| pane.jobs.get(j));
        let mut cells = Vec::new();
        if wide {
            cells.push((d.id.clone(), theme.muted));
        }
        cells.push((d.state.as_str().to_owned(), state_style(d.state, theme)));
        cells.push((route(d), theme.base));
        if wide {
            cells.push((
                d.pipeline.clone().unwrap_or_else(|| "—".into()),
                theme.accent,
            ));
            cells.push((d.requested_by.clone(), theme.muted));
        }
        cells.push((age(d.requested_at, ui.now), theme.muted));
        let summary_style = if d.error.is_some() {
            theme.error
        } else {
            theme.base
        };
        cells.push((summary(d, progress), summary_style));
        let mut row = line(cells);
        if range.start + pos == pane.cursor.selected {
            row = row.patch_style(theme.selected);
        }
        lines.push(row);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The selected deployment in full, under the list.
fn details_lines(d: &DeploymentView, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let through = match &d.pipeline {
        Some(p) => format!(" through {p}"),
        None => " (no pipeline)".to_owned(),
    };
    let mut first = vec![
        Span::styled(d.id.clone(), theme.accent),
        Span::styled(" · ", theme.muted),
        Span::styled(d.state.as_str(), state_style(d.state, theme)),
        Span::raw(format!(" · {}{through}", route(d))),
    ];
    if let Some(at) = d.finished_at {
        first.push(Span::styled(
            format!(" · finished {}", age(at, ui.now)),
            theme.muted,
        ));
    }
    let mut second = format!(
        "requested by {} {} ({})",
        d.requested_by,
        clock(d.requested_at),
        age(d.requested_at, ui.now)
    );
    if d.approvals.required > 0 {
        second.push_str(&format!(
            " · approvals {}/{}",
            d.approvals.counted.len(),
            d.approvals.required
        ));
        if !d.approvals.counted.is_empty() {
            second.push_str(&format!(" ({})", d.approvals.counted.join(", ")));
        }
    }
    let third = match &d.error {
        Some(error) => Line::styled(error.clone(), theme.error),
        None => Line::styled(
            format!(
                "{} · plan {}",
                super::decide::writes(&d.summary),
                d.plan_hash.get(..12).unwrap_or(&d.plan_hash)
            ),
            theme.muted,
        ),
    };
    vec![Line::from(first), Line::raw(second), third]
}
