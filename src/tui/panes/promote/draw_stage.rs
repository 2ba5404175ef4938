//! Drawing step 1: the pipelines' stages and the pairs of environments.

use super::PromotePane;
use super::draw::{columns, env_span, head_and_list, pending, selected, text, widths};
use super::stage::gates_summary;
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const PIPELINE_W: u16 = 12;
const ROUTE_W: u16 = 31;

pub(super) fn draw(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    if let Some(lines) = pending(
        &pane.stages,
        "Loading pipelines and environments…",
        "Could not list the stages",
        ui,
    ) {
        text(frame, area, lines);
        return;
    }
    let Some(rows) = pane.stages.ready() else {
        return;
    };
    let mut head = vec![Line::raw(
        "A pipeline's stage (its gates), or any source and target (default gates).",
    )];
    if let Some(e) = &pane.pipelines_error {
        head.push(Line::styled(
            format!("The pipelines could not be listed ({e}): only pairs of environments below."),
            theme.error,
        ));
    }
    if rows.is_empty() {
        head.push(Line::styled(
            "No environment to promote between: add two in the Environments pane.",
            theme.muted,
        ));
        text(frame, area, head);
        return;
    }
    head.push(Line::default());
    let widths = widths(vec![2, PIPELINE_W, ROUTE_W], 3, area.width);
    let header = columns(
        vec![
            (String::new(), theme.muted),
            ("PIPELINE".into(), theme.muted),
            ("FROM → TO".into(), theme.muted),
            ("GATES".into(), theme.muted),
        ],
        &widths,
    );
    let chosen = pane.choices.route.clone();
    let pane_ref: &PromotePane = pane;
    let lines: Vec<Line<'static>> = rows
        .iter()
        .map(|row| {
            let is_chosen = chosen.as_ref() == Some(&row.route);
            let route_w = usize::from(widths[2]);
            let from = env_span(&row.route.from, pane_ref, theme);
            let to = env_span(&row.route.to, pane_ref, theme);
            let used = from.width() + 3 + to.width();
            let mut spans = vec![
                Span::styled(if is_chosen { "› " } else { "  " }, theme.accent),
                Span::styled(
                    fit(
                        row.route.pipeline.as_deref().unwrap_or("any"),
                        usize::from(PIPELINE_W),
                    ),
                    if row.route.pipeline.is_some() {
                        theme.base
                    } else {
                        theme.muted
                    },
                ),
                from,
                Span::styled(" → ", theme.muted),
                to,
                Span::raw(" ".repeat(route_w.saturating_sub(used).max(1))),
            ];
            let gates = match &row.stage {
                Some(stage) => Span::styled(gates_summary(stage), theme.base),
                None => Span::styled("default: drift · credentials", theme.muted),
            };
            spans.push(gates);
            Line::from(spans)
        })
        .collect();
    let len = lines.len();
    head_and_list(
        frame,
        area,
        head,
        header,
        &mut pane.stage_cursor,
        len,
        |i, is| selected(lines[i].clone(), is, theme),
    );
}
