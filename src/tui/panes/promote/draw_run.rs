//! Drawing steps 6 to 8: what the promotion will do, the job as it runs (or the
//! approvals it waits for), and the deployment as it ended.

use super::PromotePane;
use super::draw::{action_style, columns, head_and_list, pending, selected, text, widths, wrapped};
use super::run::{Run, what_happens};
use crate::domain::deployment::DeploymentState;
use crate::domain::job::LogLevel;
use crate::service::{DeploymentView, ItemOutcome};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, bar, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const PHASE_W: usize = 14;
const BAR_W: usize = 20;

pub(super) fn confirm(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    if let Some(lines) = pending(
        &pane.chosen,
        "Preflight of the chosen workflows…",
        "The preflight failed",
        ui,
    ) {
        text(frame, area, lines);
        return;
    }
    let (Some(preflight), Some(route)) = (pane.chosen.ready(), pane.choices.route.as_ref()) else {
        return;
    };
    let mut lines: Vec<Line<'static>> = what_happens(route, preflight, pane.fixes())
        .into_iter()
        .map(Line::raw)
        .collect();
    if pane.is_production(&route.to) {
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", route.to), theme.class_production),
            Span::raw(" is production: you will type its name to confirm."),
        ]));
    }
    lines.push(Line::default());
    if ui.readonly {
        lines.push(Line::styled(
            "Read-only: this is a preview; nothing can be promoted.",
            theme.error,
        ));
    } else if pane.run.is_some() {
        lines.push(Line::styled(
            "Promoting… (the service fetches both environments and plans again)",
            theme.accent,
        ));
    } else if let Some(e) = &pane.promote_error {
        lines.push(Line::styled(
            format!("The service refused the promotion: {e}"),
            theme.error,
        ));
    } else if preflight.plan.writes().next().is_none() {
        lines.push(Line::styled(
            "Nothing to write: every chosen workflow is held or left as it is.",
            theme.warn,
        ));
    } else {
        lines.push(Line::from(vec![
            Span::styled(ui.keymap.hint(Action::Promote), theme.key),
            Span::raw(" promotes, after one more question."),
        ]));
    }
    lines.push(Line::default());
    for item in preflight.plan.writes() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<8}", item.action.as_str()),
                action_style(item.action, theme),
            ),
            Span::raw(item.name.clone()),
        ]));
    }
    text(frame, area, lines);
}

fn state_style(state: DeploymentState, theme: &Theme) -> Style {
    match state {
        DeploymentState::Completed => theme.ok,
        DeploymentState::Failed | DeploymentState::RollbackFailed => theme.error,
        DeploymentState::RollingBack | DeploymentState::PendingApproval => theme.warn,
        DeploymentState::Rejected | DeploymentState::Cancelled => theme.muted,
        _ => theme.accent,
    }
}

/// "Deployment dep-7 · RUNNING · job job-42 · requested by alice".
fn deployment_line(d: &DeploymentView, theme: &Theme) -> Line<'static> {
    let mut spans = vec![
        Span::styled("Deployment ", theme.muted),
        Span::styled(d.id.clone(), theme.accent),
        Span::styled(" · ", theme.muted),
        Span::styled(d.state.as_str(), state_style(d.state, theme)),
    ];
    if let Some(job) = &d.job_id {
        spans.push(Span::styled(format!(" · job {job}"), theme.muted));
    }
    spans.push(Span::styled(
        format!(" · requested by {}", d.requested_by),
        theme.muted,
    ));
    Line::from(spans)
}

fn level_style(level: LogLevel, theme: &Theme) -> Style {
    match level {
        LogLevel::Info => theme.base,
        LogLevel::Warn => theme.warn,
        LogLevel::Error => theme.error,
    }
}

pub(super) fn progress(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let Some(run) = &pane.run else {
        return;
    };
    let Some(created) = &run.created else {
        text(frame, area, vec![Line::styled("Promoting…", theme.accent)]);
        return;
    };
    let d = &created.deployment;
    let mut lines = vec![deployment_line(d, theme)];
    match d.state {
        DeploymentState::PendingApproval => {
            let a = &d.approvals;
            let mut wait = format!(
                "Waiting for approvals: {} of {} from people other than you",
                a.counted.len(),
                a.required
            );
            if !a.counted.is_empty() {
                wait.push_str(&format!(" (approved by {})", a.counted.join(", ")));
            }
            lines.push(Line::styled(format!("{wait}."), theme.warn));
            lines.push(Line::raw(format!(
                "It runs once approved. {} opens it in the Deployments pane, where approvers decide.",
                ui.keymap.hint(Action::Enter)
            )));
        }
        _ if run.job_id.is_none() => {
            let when = d
                .scheduled_for
                .map(|t| format!("scheduled for {}", t.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_else(|| "not started".to_owned());
            lines.push(Line::raw(format!("No job runs yet: {when}.")));
        }
        _ => {}
    }
    if let Some(state) = run.job_state {
        let mut done = format!("The job {}", state.as_str());
        if let Some(e) = &run.job_error {
            done.push_str(&format!(": {e}"));
        }
        lines.push(Line::styled(done, theme.muted));
        match &run.result.error {
            Some(e) => lines.push(Line::styled(
                format!(
                    "Could not read the deployment: {e} ({} tries again).",
                    ui.keymap.hint(Action::Refresh)
                ),
                theme.error,
            )),
            None => lines.push(Line::styled("Reading the deployment…", theme.muted)),
        }
    }
    for p in &run.phases {
        lines.push(Line::from(vec![
            Span::styled(fit(&p.name, PHASE_W), theme.muted),
            Span::styled(bar(p.done, p.total, BAR_W), theme.accent),
            Span::raw(format!(" {}/{}", p.done, p.total)),
        ]));
    }
    // What is said above wraps; the workflows and the log below are cut to the width.
    let top_height = wrapped(&lines, area.width).min(area.height);
    let [top, rest] =
        Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(area);
    text(frame, top, lines);
    let height = usize::from(rest.height);
    let mut lines = Vec::new();
    let writes: Vec<_> = created.preflight.plan.writes().collect();
    if !writes.is_empty() && height > 1 {
        // Half the room for the workflows (the log gets the rest).
        let shown = writes.len().min((height - 1).div_ceil(2));
        lines.push(Line::default());
        for item in writes.iter().take(shown) {
            let done = run.written.contains(&item.name);
            let mut spans = vec![
                Span::styled(
                    if done { "✓ " } else { "· " },
                    if done { theme.ok } else { theme.muted },
                ),
                Span::styled(
                    format!("{:<8}", item.action.as_str()),
                    action_style(item.action, theme),
                ),
                Span::raw(fit(&item.name, 28)),
            ];
            if let Some((level, message)) = run.last_word_on(&item.name) {
                spans.push(Span::styled(message.clone(), level_style(*level, theme)));
            }
            lines.push(Line::from(spans));
        }
        if shown < writes.len() {
            lines.push(Line::styled(
                format!("  … and {} more", writes.len() - shown),
                theme.muted,
            ));
        }
    }
    let room = height.saturating_sub(lines.len() + 1);
    if room > 0 && !run.log.is_empty() {
        lines.push(Line::styled("Log", theme.title));
        let skip = run.log.len().saturating_sub(room);
        for (level, message) in run.log.iter().skip(skip) {
            lines.push(Line::styled(message.clone(), level_style(*level, theme)));
        }
    }
    frame.render_widget(Paragraph::new(lines), rest);
}

/// Whether and how the target was rolled back, in words.
fn rollback_words(run: &Run, d: &DeploymentView) -> Option<(String, bool)> {
    let snapshot = d.snapshot.as_deref().unwrap_or("its snapshot");
    if let Some(r) = run.report.as_ref().and_then(|r| r.rollback.as_ref()) {
        return Some(if r.ok() {
            (
                format!(
                    "Rolled back: {} restored from {} and verified.",
                    r.env, r.snapshot
                ),
                true,
            )
        } else {
            (
                format!(
                    "The rollback of {} from {} did not verify: it needs a person.",
                    r.env, r.snapshot
                ),
                true,
            )
        });
    }
    match d.state {
        DeploymentState::Failed => Some((
            format!(
                "Failed, and {} was rolled back to {snapshot} (verified).",
                d.target_env
            ),
            true,
        )),
        DeploymentState::RollbackFailed => Some((
            format!(
                "The rollback FAILED: {} may differ from {snapshot}; it needs a person (Deployments).",
                d.target_env
            ),
            true,
        )),
        DeploymentState::Completed => Some((
            "Every workflow written and verified: no rollback.".to_owned(),
            false,
        )),
        _ => None,
    }
}

fn outcome_cell(outcome: Option<ItemOutcome>, theme: &Theme) -> (String, Style) {
    match outcome {
        Some(ItemOutcome::Ok) => ("ok".into(), theme.ok),
        Some(ItemOutcome::Failed) => ("FAILED".into(), theme.error),
        Some(ItemOutcome::RolledBack) => ("rolled back".into(), theme.warn),
        Some(ItemOutcome::NotRun) => ("not run".into(), theme.muted),
        None => ("-".into(), theme.muted),
    }
}

pub(super) fn result(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let Some(run) = &pane.run else {
        return;
    };
    if let Some(lines) = pending(
        &run.result,
        "Reading the deployment…",
        "Could not read the deployment",
        ui,
    ) {
        text(frame, area, lines);
        return;
    }
    let Some(detail) = run.result.ready() else {
        return;
    };
    let d = &detail.deployment;
    let mut head = vec![
        Line::from(vec![
            Span::styled(d.state.as_str(), state_style(d.state, theme)),
            Span::styled(" · deployment ", theme.muted),
            Span::styled(d.id.clone(), theme.accent),
            Span::styled(
                format!(" · {} → {}", d.source_env, d.target_env),
                theme.muted,
            ),
        ]),
        Line::from(vec![
            Span::styled("snapshot ", theme.muted),
            Span::raw(d.snapshot.clone().unwrap_or_else(|| "-".into())),
            Span::styled(" · commit ", theme.muted),
            Span::raw(
                detail
                    .commit
                    .as_deref()
                    .map(|c| c.get(..12).unwrap_or(c).to_owned())
                    .unwrap_or_else(|| "-".into()),
            ),
        ]),
    ];
    if let Some((words, bad)) = rollback_words(run, d) {
        head.push(Line::styled(
            words,
            if bad { theme.error } else { theme.ok },
        ));
    }
    if let Some(e) = &d.error {
        head.push(Line::styled(format!("error: {e}"), theme.error));
    }
    head.push(Line::default());
    let name_w = if area.width >= 120 { 40 } else { 26 };
    let widths = widths(vec![name_w, 9, 13], 3, area.width);
    let header = columns(
        vec![
            ("NAME".into(), theme.muted),
            ("ACTION".into(), theme.muted),
            ("OUTCOME".into(), theme.muted),
            ("ERROR".into(), theme.muted),
        ],
        &widths,
    );
    let items = &detail.items;
    let mut cursor = pane.result_cursor;
    head_and_list(
        frame,
        area,
        head,
        header,
        &mut cursor,
        items.len(),
        |i, is| {
            let Some(item) = items.get(i) else {
                return Line::default();
            };
            let cells = vec![
                (item.name.clone(), theme.base),
                (
                    item.action.as_str().to_owned(),
                    action_style(item.action, theme),
                ),
                outcome_cell(item.outcome, theme),
                (item.error.clone().unwrap_or_default(), theme.error),
            ];
            selected(columns(cells, &widths), is, theme)
        },
    );
    pane.result_cursor = cursor;
}
