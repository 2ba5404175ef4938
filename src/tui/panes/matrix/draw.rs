//! Drawing the matrix: a header of environments, the rows on screen, a status line for
//! the cell under the cursor. Only the visible rows and columns are touched.
//!
//! A row of untracked workflows has `?` in its gutter; a cell carries its drift status
//! after its glyph: `!` drifted, `?` untracked, `~` unknown (in sync carries nothing,
//! missing is the missing cell itself).

use super::{Column, MatrixPane};
use crate::domain::drift::DriftStatus;
use crate::domain::matrix::{Cell, Row};
use crate::tui::action::Action;
use crate::tui::list_view::first_load;
use crate::tui::theme::Theme;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Widget, Wrap};

/// Environment columns are as wide as their names, within these bounds (the widest
/// cell is a mark, a glyph, a version letter and a drift mark: `*◆a!`).
const MIN_COLUMN: u16 = 4;
const MAX_COLUMN: u16 = 12;
/// The name column never takes more, and gives way to environments down to this.
const MAX_NAME: u16 = 48;
const MIN_NAME: u16 = 24;
/// The cells before a row's name holding the untracked mark.
const GUTTER: u16 = 2;
/// From this inner width the legend spells every mark out.
const FULL_LEGEND: u16 = 100;

pub(super) fn draw(pane: &mut MatrixPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let block = Block::bordered()
        .border_style(theme.border)
        .padding(Padding::horizontal(1))
        .title(title(pane, theme))
        .title_bottom(legend(theme, area.width.saturating_sub(2) >= FULL_LEGEND));
    let inner = block.inner(area);
    let buf = frame.buffer_mut();
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }

    let message = if !pane.loaded {
        Some(Paragraph::new(first_load(
            pane.error.as_deref(),
            "Loading workflows…",
            "Could not load the matrix",
            ui,
        )))
    } else if pane.grid.columns.is_empty() {
        Some(Paragraph::new(Line::styled(
            "No environments yet: add one in the Environments pane.",
            theme.muted,
        )))
    } else if pane.grid.rows.is_empty() {
        let text = if ui.readonly {
            "No workflows stored yet.".to_string()
        } else {
            format!(
                "No workflows stored yet: sync an environment ({} in the Environments pane).",
                ui.keymap.hint(Action::Sync)
            )
        };
        Some(Paragraph::new(Line::styled(text, theme.muted)))
    } else {
        None
    };
    if let Some(message) = message {
        message.wrap(Wrap { trim: true }).render(inner, buf);
        return;
    }

    let layout = Layout::new(pane, inner);
    pane.col_offset = layout.col_offset;
    header(pane, &layout, inner.y, buf, theme);
    let rows_area = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(2),
        ..inner
    };
    if pane.visible.is_empty() {
        let mut lines = vec![Line::styled(
            "No workflow matches these filters.",
            theme.muted,
        )];
        if pane.differs_only || pane.missing_only || pane.untracked_only || pane.drifted_only {
            lines.push(Line::styled(
                ":all shows every workflow again.",
                theme.muted,
            ));
        }
        if !pane.filter.is_empty() {
            lines.push(Line::styled(
                format!(
                    "{} changes the name filter.",
                    ui.keymap.hint(Action::Filter)
                ),
                theme.muted,
            ));
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .render(rows_area, buf);
        return;
    }
    let window = pane
        .cursor
        .window(usize::from(rows_area.height), pane.visible.len());
    for (y, i) in (rows_area.y..).zip(window) {
        let row = pane.visible[i];
        let selected = i == pane.cursor.selected;
        draw_row(pane, &pane.grid.rows[row], selected, &layout, y, buf, theme);
    }
    if inner.height >= 3 {
        status(pane, inner.x, inner.bottom() - 1, inner.width, buf, theme);
    }
}

/// Where things go across the screen, fixed for one frame.
struct Layout {
    x: u16,
    /// Just past the last usable cell.
    right: u16,
    name_width: u16,
    /// (column index, x, width) of the environment columns on screen.
    columns: Vec<(usize, u16, u16)>,
    col_offset: usize,
    more_right: bool,
}

impl Layout {
    fn new(pane: &MatrixPane, inner: Rect) -> Layout {
        let widths: Vec<u16> = pane.grid.columns.iter().map(column_width).collect();
        let all = widths.iter().fold(0u16, |sum, w| sum.saturating_add(w + 1));
        let want = pane
            .grid
            .name_width
            .saturating_add(GUTTER + 2)
            .clamp(12, MAX_NAME);
        let name_width = if want + all <= inner.width {
            want
        } else {
            want.min(inner.width.saturating_sub(all).max(MIN_NAME))
                .min(inner.width.saturating_sub(MIN_COLUMN + 2))
        };
        // One cell at the right edge is kept for the "more columns" arrow.
        let room = inner.width.saturating_sub(name_width + 1);
        let fits = |from: usize| {
            let mut used = 0;
            widths[from..]
                .iter()
                .take_while(|w| {
                    used += *w + 1;
                    used <= room
                })
                .count()
                .max(1)
        };
        let mut col_offset = pane.col_offset.min(pane.col);
        while pane.col >= col_offset + fits(col_offset) {
            col_offset += 1;
        }
        let mut x = inner.x + name_width;
        let mut columns = Vec::new();
        for (i, &w) in widths
            .iter()
            .enumerate()
            .skip(col_offset)
            .take(fits(col_offset))
        {
            if x >= inner.right() {
                break;
            }
            columns.push((i, x, w.min(inner.right() - x)));
            x = x.saturating_add(w + 1);
        }
        let more_right = col_offset + columns.len() < widths.len();
        Layout {
            x: inner.x,
            right: inner.right(),
            name_width,
            columns,
            col_offset,
            more_right,
        }
    }

    fn right_edge(&self) -> u16 {
        self.columns
            .last()
            .map_or(self.x + self.name_width, |&(_, x, w)| x + w)
    }
}

fn column_width(column: &Column) -> u16 {
    let width = u16::try_from(Span::raw(column.name.as_str()).width()).unwrap_or(MAX_COLUMN);
    width.clamp(MIN_COLUMN, MAX_COLUMN)
}

/// Environment names in their class colours over their columns; the cursor's column
/// underlined; arrows where columns are scrolled off either side.
fn header(pane: &MatrixPane, layout: &Layout, y: u16, buf: &mut Buffer, theme: &Theme) {
    let label = Style::new().add_modifier(Modifier::BOLD);
    buf.set_stringn(
        layout.x + GUTTER.min(layout.name_width),
        y,
        "WORKFLOW",
        usize::from(layout.name_width.saturating_sub(GUTTER + 2)),
        theme.muted.patch(label),
    );
    for &(col, x, width) in &layout.columns {
        let column = &pane.grid.columns[col];
        let mut style = theme.class(column.class);
        if col == pane.col {
            style = style.add_modifier(Modifier::UNDERLINED);
        }
        let name_width = u16::try_from(Span::raw(column.name.as_str()).width()).unwrap_or(width);
        let start = x + width.saturating_sub(name_width) / 2;
        buf.set_stringn(start, y, &column.name, usize::from(width), style);
    }
    if layout.col_offset > 0 && layout.name_width > 0 {
        buf.set_string(layout.x + layout.name_width - 1, y, "‹", theme.accent);
    }
    if layout.more_right && layout.right_edge() < layout.right {
        buf.set_string(layout.right_edge(), y, "›", theme.accent);
    }
}

fn draw_row(
    pane: &MatrixPane,
    row: &Row,
    selected: bool,
    layout: &Layout,
    y: u16,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let name_area = Rect::new(layout.x, y, layout.name_width.saturating_sub(1), 1);
    let name_style = if selected { theme.selected } else { theme.base };
    buf.set_style(name_area, name_style);
    if row.is_untracked() && name_area.width > 0 {
        buf.set_string(name_area.x, y, "?", name_style.patch(theme.info));
    }
    buf.set_stringn(
        name_area.x + GUTTER.min(name_area.width),
        y,
        &row.name,
        usize::from(name_area.width.saturating_sub(GUTTER)),
        name_style,
    );
    let mut text = String::with_capacity(8);
    for &(col, x, width) in &layout.columns {
        let Some(cell) = row.cells.get(col) else {
            continue;
        };
        let env = &pane.grid.columns[col].name;
        let marked = !pane.marks.is_empty() && pane.is_marked(&row.id, env);
        text.clear();
        if marked {
            text.push('*');
        }
        let mut style = match cell {
            Cell::Missing => {
                text.push('·');
                theme.cell_missing
            }
            Cell::Present(p) if row.differs() => {
                text.push(if p.active { '◆' } else { '◇' });
                text.push(variant_letter(p.variant));
                theme.cell_differs
            }
            Cell::Present(p) => {
                text.push(if p.active { '●' } else { '○' });
                theme.cell_same
            }
        };
        if marked {
            style = style.patch(theme.marked);
        }
        let drift = cell.drift().and_then(|d| drift_mark(d, theme));
        let cursor = selected && col == pane.col;
        if cursor {
            style = style.patch(theme.selected);
            buf.set_style(Rect::new(x, y, width, 1), theme.selected);
        }
        let len = text.chars().count() as u16 + u16::from(drift.is_some());
        let start = x + width.saturating_sub(len) / 2;
        let (end, _) = buf.set_stringn(start, y, &text, usize::from(width), style);
        if let Some((mark, mut mark_style)) = drift
            && end < x + width
        {
            if cursor {
                mark_style = mark_style.patch(theme.selected);
            }
            buf.set_string(end, y, mark, mark_style);
        }
    }
}

/// The mark a drift status puts after a cell's glyph, and its colour; None for in sync
/// (and missing, which is the missing cell itself).
fn drift_mark(status: DriftStatus, theme: &Theme) -> Option<(&'static str, Style)> {
    match status {
        DriftStatus::Drifted => Some(("!", theme.error.add_modifier(Modifier::BOLD))),
        DriftStatus::Untracked => Some(("?", theme.info)),
        DriftStatus::Unknown => Some(("~", theme.warn)),
        DriftStatus::InSync | DriftStatus::Missing => None,
    }
}

/// Versions of one row are lettered a, b, c... in column order.
fn variant_letter(variant: usize) -> char {
    u8::try_from(variant)
        .ok()
        .filter(|v| *v < 26)
        .map_or('+', |v| char::from(b'a' + v))
}

fn title<'a>(pane: &MatrixPane, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(" Matrix ", theme.title)];
    if pane.loaded {
        let total = pane.grid.rows.len();
        let shown = pane.visible.len();
        let count = if shown == total {
            format!("· {} workflows ", thousands(total))
        } else {
            format!("· {} of {} workflows ", thousands(shown), thousands(total))
        };
        spans.push(Span::styled(count, theme.muted));
    }
    for (on, label) in [
        (pane.differs_only, "differs only"),
        (pane.missing_only, "missing somewhere"),
        (pane.untracked_only, "untracked only"),
        (pane.drifted_only, "drifted only"),
    ] {
        if on {
            spans.push(Span::styled(format!("[{label}] "), theme.accent));
        }
    }
    if !pane.filter.is_empty() {
        spans.push(Span::styled(
            format!("/{} ", pane.filter.text),
            theme.accent,
        ));
    }
    if pane.loading && pane.loaded {
        spans.push(Span::styled("refreshing… ", theme.muted));
    }
    Line::from(spans)
}

/// What the marks mean; short words when the pane is narrow.
fn legend<'a>(theme: &Theme, full: bool) -> Line<'a> {
    let gap = if full { "  " } else { " " };
    let word = |long: &str, short: &str| {
        let text = if full { long } else { short };
        Span::styled(format!("{text}{gap}"), theme.muted)
    };
    Line::from(vec![
        Span::raw(" "),
        Span::styled("●", theme.cell_same),
        word(" same", " same"),
        Span::styled(if full { "◆a ◆b" } else { "◆a◆b" }, theme.cell_differs),
        word(" differ", " differ"),
        Span::styled("·", theme.cell_missing),
        word(" missing", " missing"),
        Span::styled(if full { "○ ◇" } else { "○◇" }, theme.muted),
        word(" inactive", " off"),
        Span::styled("!", theme.error.add_modifier(Modifier::BOLD)),
        word(" drifted", " drift"),
        Span::styled("?", theme.info),
        word(" untracked", " untracked"),
        Span::styled("~", theme.warn),
        word(" unknown", " unknown"),
        Span::styled("*", theme.marked),
        Span::styled(" marked ", theme.muted),
    ])
}

/// What the cell under the cursor holds, on the last inner row.
fn status(pane: &MatrixPane, x: u16, y: u16, width: u16, buf: &mut Buffer, theme: &Theme) {
    let (Some(row), Some(column)) = (pane.current_row(), pane.grid.columns.get(pane.col)) else {
        return;
    };
    let mut spans = vec![
        Span::styled(row.name.clone(), theme.accent),
        Span::styled(" in ", theme.muted),
        Span::styled(column.name.clone(), theme.class(column.class)),
        Span::styled(": ", theme.muted),
    ];
    // What the drift check said, or that the canonical state does not know it, first:
    // narrow screens cut the end of the line.
    let drift = row.cells.get(pane.col).and_then(Cell::drift);
    match drift {
        Some(drift) => {
            let style = drift_mark(drift, theme).map_or(theme.ok, |(_, style)| style);
            spans.push(Span::styled(drift.as_str(), style));
            spans.push(Span::styled(" · ", theme.muted));
        }
        None if row.is_untracked() => {
            spans.push(Span::styled("untracked", theme.info));
            spans.push(Span::styled(" · ", theme.muted));
        }
        None => {}
    }
    match row.cells.get(pane.col) {
        Some(Cell::Present(p)) => {
            let state = if p.active { "active" } else { "inactive" };
            let version = if row.differs() {
                format!("version {} of {}", variant_letter(p.variant), row.variants)
            } else {
                "same wherever present".into()
            };
            spans.push(Span::raw(format!("id {} · {state} · {version}", p.id)));
            if let Some(name) = &p.name {
                spans.push(Span::styled(format!(" · named '{name}' here"), theme.muted));
            }
        }
        _ => spans.push(Span::styled("missing", theme.cell_missing)),
    }
    if let Some(id) = row.canonical_id() {
        spans.push(Span::styled(format!(" · canonical {id}"), theme.muted));
    }
    if !pane.marks.is_empty() {
        spans.push(Span::styled(
            format!(" · {} marked", pane.marks.len()),
            theme.marked,
        ));
    }
    buf.set_line(x, y, &Line::from(spans), width);
}

/// 12345 as "12,345".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
