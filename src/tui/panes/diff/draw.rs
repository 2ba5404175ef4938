//! Drawing the diff: the title, the summary (only the items on screen), the text
//! (only the lines on screen, each cut to the width it has).

use super::{DiffPane, Focus, Item, State, View};
use crate::domain::diff::text::{Row, RowKind, Shown};
use crate::domain::diff::{ConnectionChange, DiffStatus, NodeChangeKind, Risk};
use crate::tui::theme::Theme;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(pane: &mut DiffPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(title(pane, theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let message = match &pane.state {
        State::Empty => Some(vec![
            Line::styled("Nothing to compare yet.", theme.muted),
            Line::styled(
                "Press = on a workflow in the Matrix (or mark two cells with space) to open its diff.",
                theme.muted,
            ),
        ]),
        State::Loading => Some(vec![Line::styled("Loading the diff…", theme.muted)]),
        State::Failed(error) => Some(vec![
            Line::styled(format!("Could not load the diff: {error}"), theme.error),
            Line::styled(
                format!(
                    "{} tries again.",
                    ui.keymap.hint(crate::tui::action::Action::Refresh)
                ),
                theme.muted,
            ),
        ]),
        State::Ready(_) => None,
    };
    if let Some(lines) = message {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let State::Ready(view) = &pane.state else {
        return;
    };
    let items = view.items.len();
    let summary_height = if items == 0 {
        1
    } else {
        (items as u16 + 1).min((inner.height / 3).max(4))
    };
    let [summary, rule, text] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let focus = pane.focus;
    let range = pane
        .summary
        .window(usize::from(summary_height.saturating_sub(1)), items);
    let view: &View = view;
    draw_summary(
        view,
        range,
        pane.summary.selected,
        focus,
        frame,
        summary,
        theme,
    );
    let layout = view.layout(pane.drawn_unified);
    let height = usize::from(text.height);
    pane.page = height;
    pane.top = pane.top.min(layout.shown.len().saturating_sub(height));
    let top = pane.top;
    frame.render_widget(
        Paragraph::new(rule_line(
            view,
            pane.drawn_unified,
            top,
            layout,
            rule.width,
            theme,
        )),
        rule,
    );
    let shown = &layout.shown[top..(top + height).min(layout.shown.len())];
    let lines: Vec<Line> = if pane.drawn_unified {
        unified_lines(view, shown, pane.left, text.width, theme)
    } else {
        side_by_side_lines(view, shown, pane.left, text.width, theme)
    };
    frame.render_widget(Paragraph::new(lines), text);
}

fn title<'a>(pane: &'a DiffPane, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(" Diff ", theme.title)];
    if let State::Ready(view) = &pane.state {
        spans.push(Span::raw(format!("{} ", view.entry.name)));
        spans.push(Span::styled(
            format!("{} → {} ", view.a, view.b),
            theme.muted,
        ));
        spans.push(Span::styled(
            format!("{} ", view.entry.status),
            status_style(view.entry.status, theme),
        ));
        if let Some(risk) = view.diff.risk {
            spans.push(Span::styled("risk ", theme.muted));
            spans.push(Span::styled(format!("{risk} "), theme.risk(risk)));
        }
    }
    Line::from(spans)
}

fn status_style(status: DiffStatus, theme: &Theme) -> Style {
    match status {
        DiffStatus::Added => theme.added,
        DiffStatus::Deleted => theme.removed,
        DiffStatus::Unchanged => theme.ok,
        DiffStatus::Modified => theme.changed,
        DiffStatus::TargetHotfix => theme.error.add_modifier(Modifier::BOLD),
    }
}

fn draw_summary(
    view: &View,
    range: std::ops::Range<usize>,
    selected: usize,
    focus: Focus,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let mut lines = vec![tally(view, theme)];
    let width = range
        .clone()
        .map(|i| item_name(view, view.items[i]).chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    for i in range {
        let mut line = item_line(view, view.items[i], width, theme);
        if i == selected {
            line = match focus {
                Focus::Summary => line.style(theme.selected),
                Focus::Text => line.style(Style::new().add_modifier(Modifier::BOLD)),
            };
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn tally<'a>(view: &'a View, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::raw(view.tally.clone())];
    if view.entry.status == DiffStatus::TargetHotfix {
        spans.push(Span::styled(
            format!(" · {} changed since it last matched {}", view.a, view.b),
            theme.error,
        ));
    }
    if view.text.degraded {
        spans.push(Span::styled(
            " · text simplified (too large to finish in time)",
            theme.warn,
        ));
    }
    Line::from(spans)
}

fn item_name(view: &View, item: Item) -> String {
    match item {
        Item::Name => "workflow name".into(),
        Item::Connections => "connections".into(),
        Item::Settings => "settings".into(),
        Item::Node(_) => view.node(item).map_or_else(String::new, |n| n.name.clone()),
    }
}

fn item_line<'a>(view: &View, item: Item, width: usize, theme: &Theme) -> Line<'a> {
    let (mark, mark_style, risk, detail) = match item {
        Item::Name => {
            let n = view.diff.name.as_ref();
            let detail = n.map_or_else(String::new, |n| format!("{} → {}", n.before, n.after));
            ("»", theme.accent, Risk::Low, detail)
        }
        Item::Connections => {
            let count = |f: fn(&ConnectionChange) -> bool| {
                view.diff.connections.iter().filter(|c| f(c)).count()
            };
            let added = count(|c| matches!(c, ConnectionChange::Added { .. }));
            let removed = count(|c| matches!(c, ConnectionChange::Removed { .. }));
            let other = view.diff.connections.len() - added - removed;
            let mut detail = format!("+{added} -{removed}");
            if other > 0 {
                detail.push_str(&format!(" ~{other}"));
            }
            let risk = view
                .diff
                .connections
                .iter()
                .map(ConnectionChange::risk)
                .max()
                .unwrap_or(Risk::High);
            ("~", theme.changed, risk, format!("links {detail}"))
        }
        Item::Settings => {
            let keys: Vec<&str> = view.diff.settings.iter().map(|s| s.key.as_str()).collect();
            ("~", theme.changed, Risk::Medium, keys.join(", "))
        }
        Item::Node(_) => {
            let Some(n) = view.node(item) else {
                return Line::default();
            };
            let (mark, style) = match n.kind {
                NodeChangeKind::Added => ("+", theme.added),
                NodeChangeKind::Removed => ("-", theme.removed),
                NodeChangeKind::Renamed => ("»", theme.accent),
                NodeChangeKind::Modified => ("~", theme.changed),
            };
            let mut detail = n.why.label().to_owned();
            if let Some(old) = &n.old_name {
                detail.push_str(&format!(" · was {old}"));
            }
            // The path of the change that gave the node its risk, and how many more.
            let paths: Vec<&crate::domain::diff::FieldChange> =
                n.changes.iter().filter(|c| c.path != "name").collect();
            let top = paths
                .iter()
                .find(|c| (c.risk, c.why) == (n.risk, n.why))
                .or(paths.first());
            if let Some(top) = top {
                detail.push_str(&format!(" · {}", top.path));
                if paths.len() > 1 {
                    detail.push_str(&format!(" +{}", paths.len() - 1));
                }
            }
            (mark, style, n.risk, detail)
        }
    };
    let name: String = item_name(view, item).chars().take(width).collect();
    Line::from(vec![
        Span::styled(format!("{mark} "), mark_style),
        Span::styled(format!("{name:<width$}  "), mark_style),
        Span::styled(format!("{:<6} ", risk.as_str()), theme.risk(risk)),
        Span::styled(detail, theme.muted),
    ])
}

/// The line between summary and text: the sides, and which hunk is on top.
fn rule_line<'a>(
    view: &View,
    unified: bool,
    top: usize,
    layout: &super::Layout,
    width: u16,
    theme: &Theme,
) -> Line<'a> {
    let hunks = layout.hunk_starts.len();
    let at = layout
        .hunk_starts
        .partition_point(|&s| s <= top + super::JUMP_MARGIN);
    let position = if hunks == 0 {
        "no changes in the text".to_owned()
    } else {
        format!("hunk {}/{hunks}", at.max(1))
    };
    let text = if unified {
        format!("─ - {}  + {} ─ {position} ", view.a, view.b)
    } else {
        let half = usize::from(width.saturating_sub(1)) / 2;
        let left = format!("─ - {} ─ {position} ", view.a);
        let pad = half.saturating_sub(left.chars().count());
        format!("{left}{} + {} ", "─".repeat(pad + 1), view.b)
    };
    let fill = usize::from(width).saturating_sub(text.chars().count());
    Line::styled(format!("{text}{}", "─".repeat(fill)), theme.border)
}

/// Digits of the largest line number.
fn gutter(view: &View) -> usize {
    let most = view.text.old.len().max(view.text.new.len());
    most.to_string().len()
}

fn side_by_side_lines<'a>(
    view: &'a View,
    shown: &[Shown],
    left: usize,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let digits = gutter(view);
    let half = usize::from(width.saturating_sub(1)) / 2;
    let text_width = half.saturating_sub(digits + 3);
    shown
        .iter()
        .map(|s| match *s {
            Shown::Fold { len, .. } => fold_line(len, theme),
            s => {
                let row = &view.text.rows[s.row()];
                let mut spans = half_line(view, row, true, digits, text_width, left, theme);
                spans.push(Span::styled("│", theme.border));
                spans.extend(half_line(view, row, false, digits, text_width, left, theme));
                Line::from(spans)
            }
        })
        .collect()
}

/// One side of a side-by-side row, padded to its half of the width.
fn half_line<'a>(
    view: &'a View,
    row: &Row,
    old: bool,
    digits: usize,
    width: usize,
    left: usize,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let (line, words, lines) = if old {
        (row.old, &row.old_words, &view.text.old)
    } else {
        (row.new, &row.new_words, &view.text.new)
    };
    let Some(index) = line else {
        return vec![Span::raw(" ".repeat(digits + 3 + width))];
    };
    let (mark, style) = match (row.kind, old) {
        (RowKind::Equal, _) => (' ', theme.base),
        (_, true) => ('-', theme.removed),
        (_, false) => ('+', theme.added),
    };
    let mut spans = vec![
        Span::styled(format!("{:>digits$} ", index + 1), theme.muted),
        Span::styled(format!("{mark} "), style),
    ];
    let text = lines.get(index as usize).map_or("", String::as_str);
    spans.extend(styled_text(text, words, left, width, style, true));
    spans
}

fn unified_lines<'a>(
    view: &'a View,
    shown: &[Shown],
    left: usize,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let digits = gutter(view);
    let text_width = usize::from(width).saturating_sub(2 * digits + 4);
    let number = |n: Option<u32>| match n {
        Some(n) => format!("{:>digits$}", n + 1),
        None => " ".repeat(digits),
    };
    shown
        .iter()
        .map(|s| {
            let (row, old) = match *s {
                Shown::Fold { len, .. } => return fold_line(len, theme),
                Shown::Row(r) => (&view.text.rows[r], None),
                Shown::Old(r) => (&view.text.rows[r], Some(true)),
                Shown::New(r) => (&view.text.rows[r], Some(false)),
            };
            let (mark, style, numbers, text, words) = match old {
                None => (
                    ' ',
                    theme.base,
                    (row.old, row.new),
                    row.new.map(|i| &view.text.new[i as usize]),
                    &row.new_words,
                ),
                Some(true) => (
                    '-',
                    theme.removed,
                    (row.old, None),
                    row.old.map(|i| &view.text.old[i as usize]),
                    &row.old_words,
                ),
                Some(false) => (
                    '+',
                    theme.added,
                    (None, row.new),
                    row.new.map(|i| &view.text.new[i as usize]),
                    &row.new_words,
                ),
            };
            let mut spans = vec![
                Span::styled(
                    format!("{} {} ", number(numbers.0), number(numbers.1)),
                    theme.muted,
                ),
                Span::styled(format!("{mark} "), style),
            ];
            let text = text.map_or("", String::as_str);
            spans.extend(styled_text(text, words, left, text_width, style, false));
            Line::from(spans)
        })
        .collect()
}

fn fold_line<'a>(len: usize, theme: &Theme) -> Line<'a> {
    let s = if len == 1 { "" } else { "s" };
    Line::styled(format!("  ⋯ {len} unchanged line{s} ⋯"), theme.muted)
}

/// `text` from column `left`, at most `width` columns, the changed `words` (byte
/// ranges) emphasized; padded to `width` when `pad`.
fn styled_text<'a>(
    text: &str,
    words: &[(u32, u32)],
    left: usize,
    width: usize,
    style: Style,
    pad: bool,
) -> Vec<Span<'a>> {
    let emphasis = style.add_modifier(Modifier::REVERSED);
    let mut spans: Vec<Span> = Vec::new();
    let mut current = String::new();
    let mut current_emph = false;
    let mut used = 0;
    for (at, c) in text.char_indices().skip(left) {
        if used == width {
            break;
        }
        let emph = words
            .iter()
            .any(|&(s, e)| (s as usize) <= at && at < e as usize);
        if emph != current_emph && !current.is_empty() {
            let st = if current_emph { emphasis } else { style };
            spans.push(Span::styled(std::mem::take(&mut current), st));
        }
        current_emph = emph;
        current.push(c);
        used += 1;
    }
    if !current.is_empty() {
        let st = if current_emph { emphasis } else { style };
        spans.push(Span::styled(current, st));
    }
    if pad && used < width {
        spans.push(Span::raw(" ".repeat(width - used)));
    }
    spans
}
