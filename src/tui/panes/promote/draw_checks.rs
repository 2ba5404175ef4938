//! Drawing steps 4 and 5: the credentials with how each resolves in the target (and
//! the line editing a mapping), the gates with policy and notes over the workflows
//! whose drift can be acknowledged.

use super::PromotePane;
use super::checks::{ack_rows, blocks_drift, cred_rows};
use super::choices::item_id;
use super::draw::{
    action_style, columns, head_and_list, pending, recheck_error, selected, text, widths, wrapped,
};
use crate::domain::credential_map::{Resolution, mapping_key};
use crate::domain::pipeline::GateKind;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};
use std::collections::BTreeSet;

const CRED_W: u16 = 22;
const TYPE_W: u16 = 22;
const TARGET_W: u16 = 22;
const HOW_W: u16 = 14;
const WIDE: u16 = 110;

pub(super) fn credentials(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
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
    let to = preflight.plan.target_env.clone();
    let rows = cred_rows(preflight);
    let mut head = Vec::new();
    if let Some(line) = recheck_error(&pane.chosen, ui) {
        head.push(line);
    }
    if rows.is_empty() {
        head.push(Line::raw(
            "The workflows that write use no credential: nothing to map.",
        ));
        text(frame, area, head);
        return;
    }
    let missing = rows
        .iter()
        .filter(|(_, r)| r.resolution.target().is_none())
        .count();
    let workflows: BTreeSet<&str> = rows.iter().map(|(w, _)| *w).collect();
    let mut summary = vec![Span::raw(format!(
        "{} credential use(s) in {} workflow(s) · ",
        rows.len(),
        workflows.len()
    ))];
    if missing > 0 {
        summary.push(Span::styled(
            format!("{missing} missing in {to}"),
            theme.error,
        ));
    } else {
        summary.push(Span::styled(format!("all found in {to}"), theme.ok));
    }
    head.push(Line::from(summary));
    let own = &pane.choices.credentials;
    if !own.is_empty() {
        head.push(Line::styled(
            format!(
                "{} mapping(s) of this promotion, over the stage's table.",
                own.len()
            ),
            theme.muted,
        ));
    }
    head.push(Line::default());
    let wide = area.width >= WIDE;
    let fixed = if wide {
        vec![CRED_W, TYPE_W, TARGET_W, HOW_W]
    } else {
        vec![CRED_W, TARGET_W, HOW_W]
    };
    let widths = widths(fixed, 0, area.width);
    let mut header = vec![
        ("WORKFLOW".to_owned(), theme.muted),
        ("CREDENTIAL".into(), theme.muted),
    ];
    if wide {
        header.push(("TYPE".into(), theme.muted));
    }
    header.extend([
        (format!("IN {}", to.to_uppercase()), theme.muted),
        ("HOW".into(), theme.muted),
    ]);
    head_and_list(
        frame,
        area,
        head,
        columns(header, &widths),
        &mut pane.cred_cursor,
        rows.len(),
        |i, is| {
            let Some((workflow, r)) = rows.get(i) else {
                return Line::default();
            };
            let here = own.contains_key(&mapping_key(&r.source.cred_type, &r.source.name));
            let (target, how) = match &r.resolution {
                Resolution::Mapped { target } => (
                    (target.name.clone(), theme.base),
                    (
                        if here { "mapped here" } else { "mapped" }.to_owned(),
                        theme.accent,
                    ),
                ),
                Resolution::SameName { target } => (
                    (target.name.clone(), theme.base),
                    ("same name".to_owned(), theme.muted),
                ),
                Resolution::Missing { wanted } => (
                    (
                        format!("✗ {}", wanted.as_deref().unwrap_or(&r.source.name)),
                        theme.error,
                    ),
                    ("MISSING".to_owned(), theme.error),
                ),
            };
            let mut cells = vec![
                ((*workflow).to_owned(), theme.base),
                (r.source.name.clone(), theme.base),
            ];
            if wide {
                cells.push((r.source.cred_type.clone(), theme.muted));
            }
            cells.extend([target, how]);
            selected(columns(cells, &widths), is, theme)
        },
    );
}

pub(super) fn gates(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
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
    let mut top = Vec::new();
    if let Some(line) = recheck_error(&pane.chosen, ui) {
        top.push(line);
    }
    if preflight.gates.is_empty() {
        top.push(Line::styled("No gates on this stage.", theme.muted));
    }
    for g in &preflight.gates {
        let (word, style) = match (g.passed, g.gate) {
            (true, _) => ("PASS", theme.ok),
            // Approvals come after the request: at preflight there are none yet.
            (false, GateKind::Approvals) => ("WAIT", theme.warn),
            (false, _) => ("FAIL", theme.error),
        };
        top.push(Line::from(vec![
            Span::styled(format!("{word:<5}"), style),
            Span::styled(format!("{:<12}", g.gate.as_str()), theme.title),
            Span::raw(g.detail.clone()),
        ]));
    }
    for p in &preflight.policy {
        top.push(Line::from(vec![
            Span::styled("policy ", theme.accent),
            Span::raw(p.clone()),
        ]));
    }
    for n in &preflight.notes {
        top.push(Line::styled(format!("note   {n}"), theme.muted));
    }
    let rows = ack_rows(preflight);
    let list_min = if rows.is_empty() {
        2
    } else {
        (u16::try_from(rows.len()).unwrap_or(u16::MAX) + 2).min(6)
    };
    let top_height = wrapped(&top, area.width).min(area.height.saturating_sub(list_min));
    let [top_area, list_area] =
        Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(area);
    text(frame, top_area, top);
    if rows.is_empty() {
        text(
            frame,
            list_area,
            vec![
                Line::default(),
                Line::styled(
                    "The promotion overwrites no workflow in the target: no drift to acknowledge.",
                    theme.muted,
                ),
            ],
        );
        return;
    }
    let acks = &pane.choices.acks;
    let head = vec![
        Line::default(),
        Line::styled(
            format!(
                "Overwritten in {}: {} acknowledges a workflow's drift there.",
                preflight.plan.target_env,
                ui.keymap.hint(crate::tui::action::Action::Mark)
            ),
            theme.muted,
        ),
    ];
    let widths = widths(vec![6, 10, 20], 1, list_area.width);
    let header = columns(
        vec![
            ("ACK".into(), theme.muted),
            ("NAME".into(), theme.muted),
            ("ACTION".into(), theme.muted),
            ("DRIFT".into(), theme.muted),
        ],
        &widths,
    );
    head_and_list(
        frame,
        list_area,
        head,
        header,
        &mut pane.gate_cursor,
        rows.len(),
        |i, is| {
            let Some(item) = rows.get(i) else {
                return Line::default();
            };
            let acked = acks.contains(&item_id(item));
            let drift = if blocks_drift(preflight, item) {
                ("blocks the gate".to_owned(), theme.error)
            } else if acked {
                ("acknowledged".to_owned(), theme.ok)
            } else {
                ("-".to_owned(), theme.muted)
            };
            let cells = vec![
                (if acked { "[x]" } else { "[ ]" }.to_owned(), theme.marked),
                (item.name.clone(), theme.base),
                (
                    item.action.as_str().to_owned(),
                    action_style(item.action, theme),
                ),
                drift,
            ];
            selected(columns(cells, &widths), is, theme)
        },
    );
}

/// The line mapping a credential, over the bottom of the pane.
pub(super) fn edit_line(pane: &mut PromotePane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let to = pane
        .choices
        .route
        .as_ref()
        .map_or_else(|| "the target".to_owned(), |r| r.to.clone());
    let Some(edit) = &mut pane.edit else {
        return;
    };
    let height = 3.min(area.height);
    let rect = Rect {
        y: area.bottom().saturating_sub(height),
        height,
        ..area
    };
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(
                " Map {} '{}' to which credential of {to}? ",
                edit.source.cred_type, edit.source.name
            ),
            theme.title,
        ))
        .title_bottom(Span::styled(
            " enter maps · empty: the stage's table or the same name · esc cancels ",
            theme.muted,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    edit.input.draw(frame, inner, theme.base);
}
