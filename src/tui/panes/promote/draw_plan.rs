//! Drawing steps 2 and 3: the differing workflows with marks and overrides, and the
//! review of the chosen ones with the plan's counts.

use super::PromotePane;
use super::choices::item_id;
use super::draw::{
    action_style, columns, head_and_list, pending, recheck_error, risk_cell, selected,
    status_style, text, widths,
};
use super::plan::action_with;
use super::run::summary_words;
use crate::domain::diff::{DiffStatus, WorkflowDiff};
use crate::domain::promotion::{PlanAction, PlanItem};
use crate::service::Preflight;
use crate::tui::theme::Theme;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

const STATUS_W: u16 = 14;
const RISK_W: u16 = 8;
const ACTION_W: u16 = 18;
const CANONICAL_W: u16 = 26;
const CHANGES_W: u16 = 32;
/// From this width the canonical id (workflows) and the changes (review) are shown.
const WIDE: u16 = 110;

/// The ACTION cell: what the promotion does to the workflow, overrides shown.
fn action_cell(item: &PlanItem, action: PlanAction, theme: &Theme) -> (String, Style) {
    if item.status == DiffStatus::TargetHotfix && action == PlanAction::Update {
        ("UPDATE (override)".into(), theme.error)
    } else {
        (action.as_str().into(), action_style(action, theme))
    }
}

pub(super) fn workflows(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    if let Some(lines) = pending(
        &pane.candidates,
        "Comparing the workflows of both environments…",
        "Could not compare the environments",
        ui,
    ) {
        text(frame, area, lines);
        return;
    }
    let Some(preflight) = pane.candidates.ready() else {
        return;
    };
    let plan = &preflight.plan;
    let total = plan.items.len();
    let mut head = Vec::new();
    if let Some(line) = recheck_error(&pane.candidates, ui) {
        head.push(line);
    }
    if total == 0 {
        head.push(Line::raw(format!(
            "Nothing differs between {} and {}: nothing to promote.",
            plan.source_env, plan.target_env
        )));
        text(frame, area, head);
        return;
    }
    let marks = &pane.choices.marks;
    let overrides = &pane.choices.overrides;
    let shown = if pane.visible.len() == total {
        format!("{total} workflow(s) differ")
    } else {
        format!(
            "{} of {total} differing workflow(s) shown (/{})",
            pane.visible.len(),
            pane.filter.text
        )
    };
    let marked = if marks.is_empty() {
        format!("none marked: all {total} are promoted")
    } else {
        format!("{} marked: only those are promoted", marks.len())
    };
    head.push(Line::raw(format!("{shown} · {marked}.")));
    if !overrides.is_empty() {
        head.push(Line::styled(
            format!(
                "{} hotfix override(s): the target's fix is overwritten, and the choice recorded.",
                overrides.len()
            ),
            theme.error,
        ));
    }
    if !pane.unmatched.is_empty() {
        head.push(Line::styled(
            format!(
                "Not listed (they do not differ): {}.",
                pane.unmatched.join(", ")
            ),
            theme.muted,
        ));
    }
    head.push(Line::default());
    let wide = area.width >= WIDE;
    let fixed = if wide {
        vec![2, CANONICAL_W, STATUS_W, RISK_W, ACTION_W]
    } else {
        vec![2, STATUS_W, RISK_W, ACTION_W]
    };
    let widths = widths(fixed, 1, area.width);
    let mut header = vec![
        (String::new(), theme.muted),
        ("NAME".to_owned(), theme.muted),
    ];
    if wide {
        header.push(("CANONICAL ID".into(), theme.muted));
    }
    header.extend([
        ("STATUS".into(), theme.muted),
        ("RISK".into(), theme.muted),
        ("ACTION".into(), theme.muted),
    ]);
    let visible = &pane.visible;
    head_and_list(
        frame,
        area,
        head,
        columns(header, &widths),
        &mut pane.wf_cursor,
        visible.len(),
        |row, is| {
            let Some(item) = visible.get(row).and_then(|&i| plan.items.get(i)) else {
                return Line::default();
            };
            let marked = marks.contains(&item_id(item));
            let mut cells = vec![
                (if marked { "*" } else { " " }.to_owned(), theme.marked),
                (
                    item.name.clone(),
                    if marked { theme.marked } else { theme.base },
                ),
            ];
            if wide {
                cells.push((
                    item.canonical_id.clone().unwrap_or_else(|| "-".into()),
                    theme.muted,
                ));
            }
            cells.push((
                item.status.as_str().to_owned(),
                status_style(item.status, theme),
            ));
            cells.push(risk_cell(item.risk, theme));
            cells.push(action_cell(item, action_with(item, overrides), theme));
            selected(columns(cells, &widths), is, theme)
        },
    );
}

/// The diff the preflight computed for a plan item (keyed by name, or by name and id
/// where two share a name).
pub(super) fn diff_of<'a>(preflight: &'a Preflight, item: &PlanItem) -> Option<&'a WorkflowDiff> {
    preflight.diffs.get(&item.name).or_else(|| {
        let id = item.canonical_id.as_ref().or(item.target_id.as_ref())?;
        preflight.diffs.get(&format!("{} [{id}]", item.name))
    })
}

pub(super) fn review(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
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
    let Some(preflight) = pane.chosen.ready() else {
        return;
    };
    let plan = &preflight.plan;
    let mut head = Vec::new();
    if let Some(line) = recheck_error(&pane.chosen, ui) {
        head.push(line);
    }
    let which = if pane.choices.marks.is_empty() {
        "every workflow that differs"
    } else {
        "the marked workflows"
    };
    head.push(Line::raw(format!(
        "{} workflow(s), {which}: {}.",
        plan.items.len(),
        summary_words(&plan.summary())
    )));
    let held = plan.held().count();
    if held > 0 {
        head.push(Line::styled(
            format!(
                "{held} held: {} has a hotfix there; an override (workflows step) overwrites it.",
                plan.target_env
            ),
            theme.warn,
        ));
    }
    head.push(Line::default());
    let wide = area.width >= WIDE;
    let fixed = if wide {
        vec![STATUS_W, RISK_W, ACTION_W, CHANGES_W]
    } else {
        vec![STATUS_W, RISK_W, ACTION_W]
    };
    let widths = widths(fixed, 0, area.width);
    let mut header = vec![
        ("NAME".to_owned(), theme.muted),
        ("STATUS".into(), theme.muted),
        ("RISK".into(), theme.muted),
        ("ACTION".into(), theme.muted),
    ];
    if wide {
        header.push(("CHANGES IN THE TARGET".into(), theme.muted));
    }
    head_and_list(
        frame,
        area,
        head,
        columns(header, &widths),
        &mut pane.review_cursor,
        plan.items.len(),
        |row, is| {
            let Some(item) = plan.items.get(row) else {
                return Line::default();
            };
            let mut cells = vec![
                (item.name.clone(), theme.base),
                (
                    item.status.as_str().to_owned(),
                    status_style(item.status, theme),
                ),
                risk_cell(item.risk, theme),
                action_cell(item, item.action, theme),
            ];
            if wide {
                let changes = match (item.action.writes(), diff_of(preflight, item)) {
                    (true, Some(d)) => d.brief(),
                    (true, None) => "-".to_owned(),
                    (false, _) => "not written".to_owned(),
                };
                cells.push((changes, theme.muted));
            }
            selected(columns(cells, &widths), is, theme)
        },
    );
}
