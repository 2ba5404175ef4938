//! Drawing one deployment: its particulars, where its approvals stand, a running job's
//! progress, its workflows (action, status, outcome) and, under them, the selected
//! workflow's error and the diff the deployment stored for it.

use super::decide::{allowed, writes};
use super::detail::{DetailState, DetailView};
use super::draw::{clock, progress_text, route, state_style};
use super::progress::JobProgress;
use crate::domain::deployment::DeploymentState;
use crate::domain::diff::NodeChangeKind;
use crate::service::{DeploymentDetail, DeploymentItemView, ItemOutcome};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, age, fit, shorten};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

const ACTION_W: u16 = 7;
/// "TARGET_HOTFIX" and a space.
const STATUS_W: u16 = 14;
/// "rolled_back" and a space.
const OUTCOME_W: u16 = 12;
const RISK_W: u16 = 7;
/// The selected workflow under the list: a rule and this many lines.
const ITEM_HEIGHT: u16 = 4;
/// Decisions listed in the head at most (the newest).
const DECISIONS_SHOWN: usize = 3;

pub(super) fn draw(
    view: &mut DetailView,
    jobs: &JobProgress,
    frame: &mut Frame,
    area: Rect,
    ui: &Ui,
) {
    let theme = ui.theme;
    let mut title = vec![
        Span::styled(" Deployment ", theme.title),
        Span::styled(format!("{} ", view.id), theme.accent),
    ];
    if let Some(d) = view.ready() {
        let state = d.deployment.state;
        title.push(Span::styled(format!("{state} "), state_style(state, theme)));
    }
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(title))
        .title_bottom(Span::styled(hint(view, ui), theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let detail = match &view.state {
        DetailState::Ready(d) => d,
        DetailState::Loading => {
            frame.render_widget(
                Paragraph::new(Line::styled("Loading the deployment…", theme.muted)),
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
    let head = head_lines(detail, jobs, ui);
    let item_height = if inner.height >= 16 { ITEM_HEIGHT } else { 0 };
    let head_height = u16::try_from(wrapped_height(&head, inner.width))
        .unwrap_or(u16::MAX)
        .min(inner.height.saturating_sub(item_height + 2));
    let [top, list, bottom] = Layout::vertical([
        Constraint::Length(head_height),
        Constraint::Min(1),
        Constraint::Length(item_height),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);
    let wide = list.width >= 120;
    let item_lines = items(detail, &mut view.cursor, list, wide, theme);
    frame.render_widget(Paragraph::new(item_lines), list);
    if !bottom.is_empty()
        && let Some(item) = detail.items.get(view.cursor.selected)
    {
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(theme.border);
        frame.render_widget(
            Paragraph::new(item_lines_of(item, detail, theme)).block(block),
            bottom,
        );
    }
}

/// Rows `lines` take wrapped at `width` (a wrapped line may take one more row than
/// its length says: words move whole).
fn wrapped_height(lines: &[Line], width: u16) -> usize {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .map(|l| match l.width() {
            w if w <= width => 1,
            w => w.div_ceil(width) + 1,
        })
        .sum()
}

/// The keys that work on this deployment now, at the frame's foot.
fn hint(view: &DetailView, ui: &Ui) -> String {
    let mut parts = Vec::new();
    if view.items_len() > 0 {
        parts.push(format!("{} diff", ui.keymap.hint(Action::Enter)));
    }
    if let Some(d) = view.ready() {
        for action in allowed(d.deployment.state) {
            if !ui.readonly {
                parts.push(format!("{} {}", ui.keymap.hint(action), action.label()));
            }
        }
    }
    parts.push(format!("{} back", ui.keymap.hint(Action::Back)));
    format!(" {} ", parts.join(" · "))
}

fn head_lines(detail: &DeploymentDetail, jobs: &JobProgress, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let d = &detail.deployment;
    let mut lines = Vec::new();

    let mut first = vec![Span::styled(route(d), theme.base)];
    match &d.pipeline {
        Some(p) => first.push(Span::styled(format!(" · pipeline {p}"), theme.muted)),
        None => first.push(Span::styled(" · no pipeline", theme.muted)),
    }
    if let Some(of) = &d.rollback_of {
        first.push(Span::styled(format!(" · rolls back {of}"), theme.warn));
    }
    lines.push(Line::from(first));

    let mut when = format!(
        "requested by {} {} ({})",
        d.requested_by,
        clock(d.requested_at),
        age(d.requested_at, ui.now)
    );
    if let Some(at) = d.scheduled_for {
        when.push_str(&format!(" · scheduled for {}", clock(at)));
    }
    if let Some(at) = d.started_at {
        when.push_str(&format!(" · started {}", clock(at)));
    }
    if let Some(at) = d.finished_at {
        when.push_str(&format!(" · finished {}", clock(at)));
    }
    lines.push(Line::styled(when, theme.muted));

    let a = &d.summary.by_action;
    let mut plan = format!(
        "plan {} · {}",
        d.plan_hash.get(..12).unwrap_or(&d.plan_hash),
        writes(&d.summary)
    );
    if a.hold > 0 {
        plan.push_str(&format!(" · {} held (target hotfix)", a.hold));
    }
    if d.summary.overrides > 0 {
        plan.push_str(&format!(" · {} hotfix overridden", d.summary.overrides));
    }
    lines.push(Line::styled(plan, theme.muted));
    let mut recorded = Vec::new();
    if let Some(s) = &d.snapshot {
        recorded.push(format!("snapshot {s}"));
    }
    if let Some(c) = &detail.commit {
        recorded.push(format!("commit {}", c.get(..12).unwrap_or(c)));
    }
    if !recorded.is_empty() {
        lines.push(Line::styled(recorded.join(" · "), theme.muted));
    }

    lines.push(approvals_line(detail, theme));
    let decisions = detail
        .decisions
        .iter()
        .rev()
        .filter(|x| !x.approve || x.note.is_some())
        .take(DECISIONS_SHOWN);
    for x in decisions {
        let (mark, style, verb) = if x.approve {
            ("✓", theme.ok, "approved")
        } else {
            ("✗", theme.error, "rejected")
        };
        let mut spans = vec![
            Span::styled(format!("  {mark} "), style),
            Span::raw(format!("{} {verb} {}", x.actor, age(x.decided_at, ui.now))),
        ];
        if x.stale {
            spans.push(Span::styled(" (an older plan)", theme.muted));
        }
        if let Some(note) = &x.note {
            spans.push(Span::styled(format!(": {note}"), theme.muted));
        }
        lines.push(Line::from(spans));
    }

    if let Some(error) = &d.error {
        lines.push(Line::styled(error.clone(), theme.error));
    }
    if matches!(
        d.state,
        DeploymentState::Running | DeploymentState::RollingBack
    ) {
        let job = d.job_id.as_deref().unwrap_or("?");
        let mut spans = vec![Span::styled(format!("job {job}: "), theme.info)];
        match d.job_id.as_deref().and_then(|j| jobs.get(j)) {
            Some(p) => {
                spans.push(Span::raw(progress_text(p, 10)));
                if let Some(log) = &p.last_log {
                    spans.push(Span::styled(format!(" · {log}"), theme.muted));
                }
            }
            None => spans.push(Span::styled(
                "running (no progress reported yet)",
                theme.muted,
            )),
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// "approvals 1 of 2: bob · stale: carol · alice's own does not count".
fn approvals_line(detail: &DeploymentDetail, theme: &Theme) -> Line<'static> {
    let d = &detail.deployment;
    let st = &d.approvals;
    if st.required == 0 {
        return Line::styled("no approvals required", theme.muted);
    }
    let style = if st.approved { theme.ok } else { theme.warn };
    let mut spans = vec![Span::styled(
        format!("approvals {} of {}", st.counted.len(), st.required),
        style,
    )];
    if !st.counted.is_empty() {
        spans.push(Span::raw(format!(": {}", st.counted.join(", "))));
    }
    if !st.stale.is_empty() {
        spans.push(Span::styled(
            format!(" · stale (approved an older plan): {}", st.stale.join(", ")),
            theme.warn,
        ));
    }
    if st.self_approved {
        spans.push(Span::styled(
            format!(" · {}'s own approval does not count", d.requested_by),
            theme.muted,
        ));
    }
    Line::from(spans)
}

fn outcome_style(outcome: Option<ItemOutcome>, theme: &Theme) -> Style {
    match outcome {
        Some(ItemOutcome::Ok) => theme.ok,
        Some(ItemOutcome::Failed) => theme.error,
        Some(ItemOutcome::RolledBack) => theme.warn,
        Some(ItemOutcome::NotRun) | None => theme.muted,
    }
}

/// The workflows under a header, scrolled to the cursor.
fn items(
    detail: &DeploymentDetail,
    cursor: &mut crate::tui::list_cursor::ListCursor,
    area: Rect,
    wide: bool,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut widths = vec![ACTION_W, STATUS_W, OUTCOME_W, RISK_W];
    let rest = area.width.saturating_sub(widths.iter().sum());
    if wide {
        let name_w = (rest / 2).max(8);
        widths.extend([name_w, rest.saturating_sub(name_w)]);
    } else {
        widths.push(rest.max(8));
    }
    let line = |cells: Vec<(String, Style)>| -> Line<'static> {
        Line::from(
            cells
                .into_iter()
                .zip(&widths)
                .map(|((text, style), w)| Span::styled(fit(&text, usize::from(*w)), style))
                .collect::<Vec<_>>(),
        )
    };
    let mut header = vec!["ACTION", "STATUS", "OUTCOME", "RISK", "WORKFLOW"];
    if wide {
        header.push("ERROR");
    }
    let mut lines = vec![line(
        header
            .into_iter()
            .map(|h| (h.to_owned(), theme.muted))
            .collect(),
    )];
    if detail.items.is_empty() {
        lines.push(Line::styled(
            "No workflows in this deployment.",
            theme.muted,
        ));
        return lines;
    }
    let height = usize::from(area.height.saturating_sub(1));
    let range = cursor.window(height, detail.items.len());
    for i in range {
        let item = &detail.items[i];
        let risk = item.diff.as_ref().and_then(|d| d.risk);
        let action_style = if item.action.writes() {
            theme.base
        } else {
            theme.muted
        };
        let mut cells = vec![
            (item.action.as_str().to_owned(), action_style),
            (item.status.as_str().to_owned(), theme.accent),
            (
                item.outcome.map_or("—", |o| o.as_str()).to_owned(),
                outcome_style(item.outcome, theme),
            ),
            (
                risk.map_or("", |r| r.as_str()).to_owned(),
                risk.map_or(theme.muted, |r| theme.risk(r)),
            ),
            (item.name.clone(), theme.base),
        ];
        if wide {
            cells.push((item.error.clone().unwrap_or_default(), theme.error));
        }
        let mut row = line(cells);
        if i == cursor.selected {
            row = row.patch_style(theme.selected);
        }
        lines.push(row);
    }
    lines
}

/// The selected workflow: who it is on both sides, its error, and what the
/// deployment applied to it (the first nodes changed, with their changed paths).
fn item_lines_of(
    item: &DeploymentItemView,
    detail: &DeploymentDetail,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let d = &detail.deployment;
    let side = |env: &str, id: &Option<String>| match id {
        Some(id) => format!("{env} #{id}"),
        None => format!("not in {env}"),
    };
    let mut name = vec![Span::styled(item.name.clone(), theme.accent)];
    if let Some(c) = &item.canonical_id {
        name.push(Span::styled(format!(" ({c})"), theme.muted));
    }
    name.push(Span::styled(
        format!(
            " · {} · {}",
            side(&d.source_env, &item.source_id),
            side(&d.target_env, &item.target_id)
        ),
        theme.muted,
    ));
    let mut lines = vec![Line::from(name)];
    if let Some(error) = &item.error {
        lines.push(Line::styled(error.clone(), theme.error));
    }
    match &item.diff {
        Some(diff) => {
            lines.push(Line::from(vec![
                Span::styled("applied: ", theme.muted),
                Span::raw(diff.brief_with_risk()),
            ]));
            for node in diff.visible_nodes(false).take(2) {
                let (mark, style) = match node.kind {
                    NodeChangeKind::Added => ("+", theme.added),
                    NodeChangeKind::Removed => ("-", theme.removed),
                    NodeChangeKind::Renamed => ("»", theme.accent),
                    NodeChangeKind::Modified => ("~", theme.changed),
                };
                let paths: Vec<&str> = node.changes.iter().map(|c| c.path.as_str()).collect();
                lines.push(Line::from(vec![
                    Span::styled(format!("  {mark} {}  ", node.name), style),
                    Span::styled(node.risk.as_str(), theme.risk(node.risk)),
                    Span::styled(format!("  {}", shorten(&paths.join(", "), 60)), theme.muted),
                ]));
            }
        }
        None if item.action.writes() => {
            lines.push(Line::styled("no diff stored", theme.muted));
        }
        None => lines.push(Line::styled(
            format!("not written ({})", item.action),
            theme.muted,
        )),
    }
    lines
}
