//! Drawing the catalog view: its title with the filters in force, the empty, loading
//! and error states, and the report panel an upload leaves.

use super::WorkflowsPane;
use crate::tui::action::Action;
use crate::tui::list_view::first_load;
use crate::tui::theme::Theme;
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

impl WorkflowsPane {
    fn title(&self, theme: &Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(" Workflows ", theme.title)];
        let (shown, total) = (self.catalog.visible.len(), self.catalog.rows.len());
        if self.loaded && total > 0 {
            let count = if shown == total {
                format!("all {total} ")
            } else {
                format!("{shown} of {total} ")
            };
            spans.push(Span::styled(count, theme.muted));
        }
        let c = &self.catalog;
        let mut chips = Vec::new();
        if let Some(env) = &c.env {
            chips.push(format!("env {env}"));
        }
        if let Some(tag) = &c.tag {
            chips.push(format!("#{tag}"));
        }
        match c.active {
            Some(true) => chips.push("active".into()),
            Some(false) => chips.push("inactive".into()),
            None => {}
        }
        if !c.filter.is_empty() {
            chips.push(format!("/{}", c.filter.text));
        }
        for chip in chips {
            spans.push(Span::styled(format!("[{chip}] "), theme.accent));
        }
        if !c.marks.is_empty() {
            spans.push(Span::styled(
                format!("{} marked ", c.marks.len()),
                theme.marked,
            ));
        }
        if self.loading && self.loaded {
            spans.push(Span::styled("refreshing… ", theme.muted));
        }
        Line::from(spans)
    }

    pub(super) fn draw_list(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let block = Block::bordered()
            .border_style(theme.border)
            .title(self.title(theme));
        let inner = block.inner(area);
        let buf = frame.buffer_mut();
        block.render(area, buf);
        let hint = |a: Action| ui.keymap.hint(a);
        let message = if !self.loaded {
            Some(first_load(
                self.error.as_deref(),
                "Loading workflows…",
                "Could not load workflows",
                ui,
            ))
        } else if self.catalog.rows.is_empty() {
            let text = if ui.readonly {
                "No workflows stored yet.".to_string()
            } else {
                format!(
                    "No workflows stored yet: sync an environment ({} in the Environments pane) or upload some ({}).",
                    hint(Action::Sync),
                    hint(Action::Upload)
                )
            };
            Some(vec![Line::styled(text, theme.muted)])
        } else if self.catalog.visible.is_empty() {
            Some(vec![Line::styled(
                "No workflow matches the filters (:all clears them).",
                theme.muted,
            )])
        } else {
            None
        };
        match message {
            Some(lines) => Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .render(inner, buf),
            None => self.catalog.draw(inner, buf, ui),
        }
    }

    pub(super) fn draw_report(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let Some(report) = &self.report else {
            return;
        };
        let theme = ui.theme;
        let want = u16::try_from(report.lines.len() + 2).unwrap_or(u16::MAX);
        let height = want.min(area.height / 2).max(3).min(area.height);
        let keys = Line::from(vec![
            Span::styled(format!(" {}", ui.keymap.hint(Action::Back)), theme.key),
            Span::styled(" close ", theme.muted),
        ]);
        let inner = bottom_panel(area, height, &report.title, keys, buf, theme);
        for (i, line) in report
            .lines
            .iter()
            .take(usize::from(inner.height))
            .enumerate()
        {
            let y = inner.y + u16::try_from(i).unwrap_or(0);
            buf.set_line(inner.x, y, &line.to_line(theme), inner.width);
        }
    }
}

/// Clears `height` rows at the bottom of `area` and frames them as a focused panel
/// titled `title`, with `keys` along the bottom border; returns the inside.
pub(super) fn bottom_panel(
    area: Rect,
    height: u16,
    title: &str,
    keys: Line<'static>,
    buf: &mut Buffer,
    theme: &Theme,
) -> Rect {
    let rect = Rect {
        y: area.bottom() - height,
        height,
        ..area
    };
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Span::styled(format!(" {title} "), theme.title))
        .title_bottom(keys);
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}
