//! Drawing the views that open over the snapshot list: one snapshot's detail, two
//! compared, one workflow's changes, and the preview of a restore.

use super::draw::{changes, short_commit, when};
use super::restore::Tally;
use super::{
    ChangeView, DetailView, DiffView, Load, RestoreView, View, ViewKind, change, kind_label,
};
use crate::domain::diff::DiffStatus;
use crate::service::{RestoreAction, SnapshotView};
use crate::tui::action::Action;
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub(super) fn draw(view: &mut View, frame: &mut Frame, area: Rect, ui: &Ui) {
    match &mut view.kind {
        ViewKind::Detail(v) => detail(v, frame, area, ui),
        ViewKind::Diff(v) => diff(v, frame, area, ui),
        ViewKind::Change(v) => change_view(v, frame, area, ui),
        ViewKind::Restore(v) => restore(v, frame, area, ui),
    }
}

/// The view's frame, with its title and the keys that work in it; returns the inside.
fn framed(frame: &mut Frame, area: Rect, title: Line<'static>, hint: String, ui: &Ui) -> Rect {
    let block = Block::bordered()
        .border_style(ui.theme.border_focus)
        .title(title)
        .title_bottom(Span::styled(hint, ui.theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// What a view shows while it loads or after its load failed; None once ready.
fn pending<T>(state: &Load<T>, loading: &str, failed: &str, ui: &Ui) -> Option<Vec<Line<'static>>> {
    match state {
        Load::Ready(_) => None,
        Load::Loading => Some(vec![Line::styled(loading.to_owned(), ui.theme.muted)]),
        Load::Failed(e) => Some(vec![
            Line::styled(format!("{failed}: {e}"), ui.theme.error),
            Line::styled(
                format!("{} tries again.", ui.keymap.hint(Action::Refresh)),
                ui.theme.muted,
            ),
        ]),
    }
}

fn title(parts: Vec<(String, Style)>) -> Line<'static> {
    Line::from(
        parts
            .into_iter()
            .map(|(t, s)| Span::styled(t, s))
            .collect::<Vec<_>>(),
    )
}

/// Draws `head` then a list of `rows` under a header line, scrolled to the cursor.
fn head_and_rows(
    frame: &mut Frame,
    inner: Rect,
    head: Vec<Line<'static>>,
    header: Line<'static>,
    cursor: &mut ListCursor,
    len: usize,
    row: impl Fn(usize, bool) -> Line<'static>,
) {
    let head_height = u16::try_from(head.len())
        .unwrap_or(u16::MAX)
        .min(inner.height);
    let [top, rest] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    let height = usize::from(rest.height.saturating_sub(1));
    let range = cursor.window(height, len);
    let mut lines = vec![header];
    for i in range {
        lines.push(row(i, i == cursor.selected));
    }
    frame.render_widget(Paragraph::new(lines), rest);
}

/// The cells, without those at `wide_only` when the screen is not wide.
fn keep(cells: Vec<(String, Style)>, wide: bool, wide_only: &[usize]) -> Vec<(String, Style)> {
    cells
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wide || !wide_only.contains(i))
        .map(|(_, cell)| cell)
        .collect()
}

fn columns(cells: Vec<(String, Style)>, widths: &[u16]) -> Line<'static> {
    Line::from(
        cells
            .into_iter()
            .zip(widths)
            .map(|((text, style), w)| Span::styled(fit(&text, usize::from(*w)), style))
            .collect::<Vec<_>>(),
    )
}

/// "backup · 2026-11-22 11:55 (5m ago) · by alice · 12 workflows · +3 ~2 -1".
fn about(s: &SnapshotView, ui: &Ui) -> String {
    format!(
        "{} · {} · by {} · {} workflows · {}",
        kind_label(s.kind),
        when(s.at, ui.now),
        s.actor,
        s.workflows,
        changes(s)
    )
}

fn detail(v: &mut DetailView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let mut hint = format!(" {} back ", ui.keymap.hint(Action::Back));
    if !ui.readonly {
        hint = format!(
            " {} marks workflows to restore alone · {} restores · {} back ",
            ui.keymap.hint(Action::Mark),
            ui.keymap.hint(Action::Restore),
            ui.keymap.hint(Action::Back)
        );
    }
    let inner = framed(
        frame,
        area,
        title(vec![
            (" Snapshot ".into(), theme.title),
            (format!("{} ", v.id), theme.accent),
        ]),
        hint,
        ui,
    );
    if let Some(lines) = pending(&v.state, "Loading the snapshot…", "Could not load it", ui) {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let Some(d) = v.state.ready() else {
        return;
    };
    let s = &d.snapshot;
    let label = |t: &str| Span::styled(format!("{t:<9}"), theme.muted);
    let mut head = vec![
        Line::from(vec![label("taken"), Span::raw(about(s, ui))]),
        Line::from(vec![label("why"), Span::raw(s.message.clone())]),
        Line::from(vec![
            label("commit"),
            Span::raw(short_commit(&s.commit).to_owned()),
            Span::styled(
                s.job_id
                    .as_ref()
                    .map(|j| format!(" · job {j}"))
                    .unwrap_or_default(),
                theme.muted,
            ),
        ]),
    ];
    if !v.marks.is_empty() {
        head.push(Line::styled(
            format!("{} marked: r restores only those", v.marks.len()),
            theme.marked,
        ));
    }
    head.push(Line::default());
    let wide = inner.width >= 120;
    let widths: Vec<u16> = if wide {
        vec![2, 40, 30, 20, 8, inner.width.saturating_sub(100)]
    } else {
        let name = inner.width.saturating_sub(2 + 22 + 8).max(10);
        vec![2, name, 22, 8]
    };
    let mut header = vec![
        (String::new(), theme.muted),
        ("NAME".into(), theme.muted),
        ("CANONICAL ID".into(), theme.muted),
    ];
    if wide {
        header.push(("N8N ID".into(), theme.muted));
    }
    header.push(("ACTIVE".into(), theme.muted));
    if wide {
        header.push(("TAGS".into(), theme.muted));
    }
    let marks = &v.marks;
    head_and_rows(
        frame,
        inner,
        head,
        columns(header, &widths),
        &mut v.cursor,
        d.workflows.len(),
        |i, selected| {
            let w = &d.workflows[i];
            let marked = marks.contains(&w.canonical_id);
            let mut cells = vec![
                (if marked { "*" } else { " " }.into(), theme.marked),
                (w.name.clone(), theme.base),
                (w.canonical_id.clone(), theme.muted),
            ];
            if wide {
                cells.push((w.n8n_id.clone(), theme.muted));
            }
            cells.push((
                if w.active { "active" } else { "-" }.into(),
                if w.active { theme.ok } else { theme.muted },
            ));
            if wide {
                cells.push((w.tags.join(", "), theme.muted));
            }
            let line = columns(cells, &widths);
            if selected {
                line.patch_style(theme.selected)
            } else {
                line
            }
        },
    );
}

fn status_style(status: DiffStatus, theme: &Theme) -> Style {
    match status {
        DiffStatus::Added => theme.added,
        DiffStatus::Deleted => theme.removed,
        DiffStatus::Modified => theme.changed,
        DiffStatus::TargetHotfix => theme.error,
        DiffStatus::Unchanged => theme.muted,
    }
}

fn diff(v: &mut DiffView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let inner = framed(
        frame,
        area,
        title(vec![
            (" Compare ".into(), theme.title),
            (format!("{} → {} ", v.a, v.b), theme.accent),
        ]),
        format!(
            " {} shows a workflow's changes · {} back ",
            ui.keymap.hint(Action::Enter),
            ui.keymap.hint(Action::Back)
        ),
        ui,
    );
    if let Some(lines) = pending(
        &v.state,
        "Comparing the snapshots…",
        "Could not compare them",
        ui,
    ) {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let Some(d) = v.state.ready() else {
        return;
    };
    let count = |status: DiffStatus| d.workflows.iter().filter(|w| w.status == status).count();
    let tally: Vec<Span> = [
        (DiffStatus::Added, "added"),
        (DiffStatus::Modified, "modified"),
        (DiffStatus::TargetHotfix, "changed on both sides"),
        (DiffStatus::Deleted, "deleted"),
        (DiffStatus::Unchanged, "unchanged"),
    ]
    .into_iter()
    .filter_map(|(status, word)| {
        let n = count(status);
        (n > 0).then(|| Span::styled(format!("{n} {word}  "), status_style(status, theme)))
    })
    .collect();
    let head = vec![
        Line::from(vec![
            Span::styled("a  ", theme.muted),
            Span::styled(d.a.id.clone(), theme.accent),
            Span::styled(format!("  {}", about(&d.a, ui)), theme.muted),
        ]),
        Line::from(vec![
            Span::styled("b  ", theme.muted),
            Span::styled(d.b.id.clone(), theme.accent),
            Span::styled(format!("  {}", about(&d.b, ui)), theme.muted),
        ]),
        if tally.is_empty() {
            Line::styled("Neither holds any workflow.", theme.muted)
        } else {
            Line::from(tally)
        },
        Line::default(),
    ];
    // Narrow: no canonical id column.
    let wide = inner.width >= 100;
    let name = inner.width.saturating_sub(14 + 24 + 24).max(12);
    let widths: Vec<u16> = if wide {
        vec![14, name, 24, 24]
    } else {
        vec![14, inner.width.saturating_sub(14 + 24).max(12), 24]
    };
    let header = columns(
        keep(
            vec![
                ("STATUS".into(), theme.muted),
                ("NAME".into(), theme.muted),
                ("CANONICAL ID".into(), theme.muted),
                ("CHANGES".into(), theme.muted),
            ],
            wide,
            &[2],
        ),
        &widths,
    );
    let order = &v.order;
    head_and_rows(
        frame,
        inner,
        head,
        header,
        &mut v.cursor,
        order.len(),
        |i, selected| {
            let w = &d.workflows[order[i]];
            let cells = vec![
                (w.status.as_str().to_owned(), status_style(w.status, theme)),
                (w.name.clone(), theme.base),
                (w.canonical_id.clone(), theme.muted),
                (
                    w.diff
                        .as_ref()
                        .map(|d| d.brief_with_risk())
                        .unwrap_or_default(),
                    theme.muted,
                ),
            ];
            let line = columns(keep(cells, wide, &[2]), &widths);
            if selected {
                line.patch_style(theme.selected)
            } else {
                line
            }
        },
    );
}

fn change_view(v: &mut ChangeView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let inner = framed(
        frame,
        area,
        title(vec![
            (" Changes ".into(), theme.title),
            (format!("{} ", v.title), theme.accent),
        ]),
        format!(" {} back ", ui.keymap.hint(Action::Back)),
        ui,
    );
    let lines = change::lines(v, theme);
    v.len = lines.len();
    let page = usize::from(inner.height);
    v.cursor.page = page;
    let top = v.cursor.selected.min(lines.len().saturating_sub(page));
    v.cursor.selected = top;
    let shown: Vec<Line> = lines.into_iter().skip(top).take(page).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn action_style(action: RestoreAction, theme: &Theme) -> Style {
    match action {
        RestoreAction::Create => theme.added,
        RestoreAction::Update => theme.changed,
        RestoreAction::Delete => theme.removed,
        RestoreAction::Unchanged => theme.muted,
    }
}

fn action_label(action: RestoreAction) -> &'static str {
    match action {
        RestoreAction::Create => "CREATE",
        RestoreAction::Update => "UPDATE",
        RestoreAction::Delete => "DELETE",
        RestoreAction::Unchanged => "UNCHANGED",
    }
}

fn restore(v: &mut RestoreView, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let env = v.req.env.clone();
    let from = v
        .req
        .snapshot
        .clone()
        .unwrap_or_else(|| "the latest snapshot".into());
    let production = ui
        .envs
        .iter()
        .find(|e| e.name == env)
        .map(|e| theme.class(e.class))
        .unwrap_or(theme.accent);
    let hint = if ui.readonly || v.state.ready().is_none() {
        format!(" {} cancels ", ui.keymap.hint(Action::Back))
    } else {
        format!(
            " {} restores (asks first) · {} shows an update's changes · {} cancels ",
            ui.keymap.hint(Action::Restore),
            ui.keymap.hint(Action::Enter),
            ui.keymap.hint(Action::Back)
        )
    };
    let inner = framed(
        frame,
        area,
        title(vec![
            (" Restore ".into(), theme.title),
            (format!(" {env} "), production),
            (format!(" from {from} "), theme.accent),
        ]),
        hint,
        ui,
    );
    let loading = format!("Planning the restore of {env} from {from}… ({env} is fetched first)");
    if let Some(lines) = pending(&v.state, &loading, "Could not plan the restore", ui) {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let Some(plan) = v.state.ready() else {
        return;
    };
    let tally = Tally::of(plan);
    let scope = if v.req.workflows.is_empty() {
        format!("all of {env} (what the snapshot lacks goes to the trash)")
    } else {
        format!("{} workflows of {env} only", v.req.workflows.len())
    };
    let label = |t: &str| Span::styled(format!("{t:<9}"), theme.muted);
    let head = vec![
        Line::from(vec![
            label("from"),
            Span::raw(format!(
                "{} · {}",
                plan.snapshot.id,
                about(&plan.snapshot, ui)
            )),
        ]),
        Line::from(vec![label("restores"), Span::raw(scope)]),
        Line::from(vec![
            label("plan"),
            Span::styled(
                tally.words(),
                if tally.changes() == 0 {
                    theme.ok
                } else {
                    theme.warn
                },
            ),
        ]),
        Line::default(),
    ];
    // Narrow: no canonical and live id columns.
    let wide = inner.width >= 100;
    let widths: Vec<u16> = if wide {
        let name = inner.width.saturating_sub(11 + 24 + 14 + 24).max(12);
        vec![11, name, 24, 14, 24]
    } else {
        vec![11, inner.width.saturating_sub(11 + 24).max(12), 24]
    };
    let header = columns(
        keep(
            vec![
                ("ACTION".into(), theme.muted),
                ("NAME".into(), theme.muted),
                ("CANONICAL ID".into(), theme.muted),
                ("LIVE ID".into(), theme.muted),
                ("CHANGES".into(), theme.muted),
            ],
            wide,
            &[2, 3],
        ),
        &widths,
    );
    let order = &v.order;
    head_and_rows(
        frame,
        inner,
        head,
        header,
        &mut v.cursor,
        order.len(),
        |i, selected| {
            let item = &plan.items[order[i]];
            let cells = vec![
                (
                    action_label(item.action).to_owned(),
                    action_style(item.action, theme),
                ),
                (item.name.clone(), theme.base),
                (item.canonical_id.clone().unwrap_or_default(), theme.muted),
                (item.n8n_id.clone().unwrap_or_default(), theme.muted),
                (
                    item.diff
                        .as_ref()
                        .map(|d| d.brief_with_risk())
                        .unwrap_or_default(),
                    theme.muted,
                ),
            ];
            let line = columns(keep(cells, wide, &[2, 3]), &widths);
            if selected {
                line.patch_style(theme.selected)
            } else {
                line
            }
        },
    );
}
