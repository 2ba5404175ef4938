//! Drawing the snapshot list (with the selected snapshot's details under it) and what
//! opens over any view: the environment picker and the message line of a new snapshot.

use super::{Purpose, SnapshotsPane, kind_label};
use crate::domain::environment::EnvClass;
use crate::service::{SnapshotView, Time};
use crate::tui::action::Action;
use crate::tui::list_view::{ListTitle, Wording, framed};
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, age, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

const KIND_W: u16 = 11;
const WHEN_W: u16 = 9;
const ACTOR_W: u16 = 12;
const WORKFLOWS_W: u16 = 5;
const CHANGES_W: u16 = 14;
/// Snapshot ids are `<env>/<YYYYMMDD-HHMMSS>`: columns as wide as the widest, within.
const MAX_ID: u16 = 34;
/// The selected snapshot's details under the list.
const DETAILS_HEIGHT: u16 = 3;

pub(super) fn draw_list(pane: &mut SnapshotsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let name = match &pane.env {
        Some(env) => format!("Snapshots of {env}"),
        None => "Snapshots".to_owned(),
    };
    let title = ListTitle {
        name: &name,
        counts: pane
            .loaded
            .then_some((pane.visible.len(), pane.snapshots.len())),
        unit: "",
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let empty = empty_text(pane, ui);
    let wording = Wording {
        loading: "Loading snapshots…",
        failed: "Could not load the snapshots",
        empty: &empty,
        row: "snapshot",
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
        && let Some(snapshot) = pane.selected()
    {
        let lines = details_lines(snapshot, ui.now, theme);
        let block = Block::new()
            .borders(ratatui::widgets::Borders::TOP)
            .border_style(theme.border);
        frame.render_widget(Paragraph::new(lines).block(block), details);
    }
}

/// What the list says when there is no snapshot at all.
fn empty_text(pane: &SnapshotsPane, ui: &Ui) -> String {
    let whose = pane.env.as_deref().unwrap_or("any environment");
    if ui.readonly {
        format!("No snapshots of {whose} yet.")
    } else {
        format!(
            "No snapshots of {whose} yet. {} takes one (backups and restores take theirs too).",
            ui.keymap.hint(Action::SnapshotCreate)
        )
    }
}

fn rows(pane: &mut SnapshotsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    // Narrow: the actor and the changes are in the details under the list.
    let wide = area.width >= 120;
    let changes_shown = area.width >= 100;
    let id_w = pane
        .visible
        .iter()
        .map(|&i| pane.snapshots[i].id.chars().count())
        .max()
        .map_or(12, |w| u16::try_from(w + 1).unwrap_or(MAX_ID))
        .clamp(12, MAX_ID);
    let mut widths = vec![2, id_w, KIND_W, WHEN_W];
    if wide {
        widths.push(ACTOR_W);
    }
    widths.push(WORKFLOWS_W + 1);
    if changes_shown {
        widths.push(CHANGES_W);
    }
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
    let mut header = vec![
        (String::new(), theme.muted),
        ("ID".to_owned(), theme.muted),
        ("KIND".to_owned(), theme.muted),
        ("WHEN".to_owned(), theme.muted),
    ];
    if wide {
        header.push(("BY".to_owned(), theme.muted));
    }
    header.push(("   WF".to_owned(), theme.muted));
    if changes_shown {
        header.push(("+ ~ -".to_owned(), theme.muted));
    }
    header.push(("MESSAGE".to_owned(), theme.muted));
    let mut lines = vec![line(header)];
    let height = usize::from(area.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &i) in pane.visible[range.clone()].iter().enumerate() {
        let s = &pane.snapshots[i];
        let marked = pane.marked.as_ref() == Some(&s.id);
        let mut cells = vec![
            (if marked { "*" } else { " " }.to_owned(), theme.marked),
            (s.id.clone(), if marked { theme.marked } else { theme.base }),
            (kind_label(s.kind).to_owned(), theme.accent),
            (age(s.at, ui.now), theme.muted),
        ];
        if wide {
            cells.push((s.actor.clone(), theme.muted));
        }
        cells.push((format!("{:>5}", s.workflows), theme.base));
        if changes_shown {
            cells.push((changes(s), theme.muted));
        }
        cells.push((s.message.clone(), theme.base));
        let mut row = line(cells);
        if range.start + pos == pane.cursor.selected {
            row = row.patch_style(theme.selected);
        }
        lines.push(row);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// "+3 ~2 -1" against the environment's previous recording.
pub(super) fn changes(s: &SnapshotView) -> String {
    format!("+{} ~{} -{}", s.added, s.changed, s.removed)
}

/// `2026-11-22 11:55 (5m ago)`.
pub(super) fn when(at: Time, now: Time) -> String {
    format!("{} ({})", at.format("%Y-%m-%d %H:%M"), age(at, now))
}

/// The selected snapshot in full, under the list.
fn details_lines(s: &SnapshotView, now: Time, theme: &Theme) -> Vec<Line<'static>> {
    let mut counts = format!(
        "{} workflows · {} since the previous recording · commit {}",
        s.workflows,
        changes(s),
        short_commit(&s.commit)
    );
    if let Some(job) = &s.job_id {
        counts.push_str(&format!(" · job {job}"));
    }
    vec![
        Line::from(vec![
            Span::styled(s.id.clone(), theme.accent),
            Span::styled(format!(" · {} by ", kind_label(s.kind)), theme.muted),
            Span::raw(s.actor.clone()),
            Span::styled(format!(" · {}", when(s.at, now)), theme.muted),
        ]),
        Line::from(Span::raw(s.message.clone())),
        Line::styled(counts, theme.muted),
    ]
}

pub(super) fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// The picker or the message line, over whatever is drawn.
pub(super) fn draw_overlays(pane: &mut SnapshotsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    if let Some(picker) = &pane.picker {
        let theme = ui.theme;
        let title = match &picker.purpose {
            Purpose::Restore { snapshot, .. } => format!(" Restore from {snapshot} into "),
            Purpose::Snapshot => " Snapshot which environment? ".to_owned(),
        };
        let hint = match picker.purpose {
            Purpose::Restore { .. } => " j/k choose · enter previews the restore · esc cancels ",
            Purpose::Snapshot => " j/k choose · enter · esc cancels ",
        };
        let lines: Vec<Line> = picker
            .envs
            .iter()
            .enumerate()
            .map(|(i, env)| {
                let class = pane.envs.iter().find(|e| e.name == *env).map(|e| e.class);
                let mut spans = vec![
                    Span::raw(if i == picker.selected { "› " } else { "  " }),
                    Span::raw(env.clone()),
                ];
                if let Some(class) = class {
                    spans.push(Span::raw(" "));
                    spans.push(Span::styled(format!(" {class} "), theme.class(class)));
                }
                let line = Line::from(spans);
                if i == picker.selected {
                    line.patch_style(theme.selected)
                } else {
                    line
                }
            })
            .collect();
        let width = (title.chars().count().max(hint.chars().count()) as u16 + 2)
            .max(30)
            .min(area.width);
        let height = (lines.len() as u16 + 2).min(area.height);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title))
            .title_bottom(Span::styled(hint, theme.muted));
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }
    if let Some(prompt) = &mut pane.prompt {
        let theme = ui.theme;
        let production = pane
            .envs
            .iter()
            .find(|e| e.name == prompt.env)
            .is_some_and(|e| e.class == EnvClass::Production);
        let height = 3.min(area.height);
        let rect = Rect {
            y: area.bottom().saturating_sub(height),
            height,
            ..area
        };
        frame.render_widget(Clear, rect);
        let env_style = if production {
            theme.class_production
        } else {
            theme.title
        };
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Line::from(vec![
                Span::styled(" Snapshot of ", theme.title),
                Span::styled(prompt.env.clone(), env_style),
                Span::styled(": why? (optional) ", theme.title),
            ]))
            .title_bottom(Span::styled(" enter takes it · esc cancels ", theme.muted));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        prompt.input.draw(frame, inner, theme.base);
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    Rect {
        x: area.x + area.width.saturating_sub(width) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width: width.min(area.width),
        height: height.min(area.height),
    }
}
