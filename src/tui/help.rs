//! The `?` overlay: every key of the shell and of the pane, and every `:` command,
//! generated from the keymap and the command lists.

use super::action::Action;
use super::command_line::Suggestion;
use super::keymap::Keymap;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// A titled group of actions.
pub struct Section {
    pub title: String,
    pub actions: Vec<Action>,
}

/// The widest key column before it is cut.
const KEYS_WIDTH: usize = 16;

/// The help text: each section's actions (keys, label, config name), then the commands.
/// Mutating actions are left out in read-only mode.
pub fn lines(
    keymap: &Keymap,
    readonly: bool,
    sections: &[Section],
    commands: &[Suggestion],
    theme: &Theme,
) -> Vec<Line<'static>> {
    /// One help row: keys, label, the name in the config's `[keys]`.
    type Row = (String, String, String);
    let mut rows: Vec<(String, Vec<Row>)> = Vec::new();
    for section in sections {
        let mut entries = Vec::new();
        let mut panes = Vec::new();
        for &action in &section.actions {
            if readonly && action.is_mutating() {
                continue;
            }
            if action.pane_index().is_some() {
                panes.push(action);
                continue;
            }
            let keys = keymap
                .keys(action)
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            entries.push((keys, action.label().to_owned(), action.name().to_owned()));
        }
        if let (Some(first), Some(last)) = (panes.first(), panes.last()) {
            let keys = panes
                .iter()
                .map(|a| keymap.hint(*a))
                .collect::<Vec<_>>()
                .join(",");
            entries.push((
                keys,
                format!("go to pane 1-{}", panes.len()),
                format!("{} … {}", first.name(), last.name()),
            ));
        }
        if !entries.is_empty() {
            rows.push((section.title.clone(), entries));
        }
    }
    let label_width = rows
        .iter()
        .flat_map(|(_, e)| e.iter().map(|(_, label, _)| label.chars().count()))
        .max()
        .unwrap_or(0);

    let mut out = Vec::new();
    for (title, entries) in rows {
        out.push(Line::styled(format!(" {title}"), theme.title));
        for (keys, label, name) in entries {
            out.push(Line::from(vec![
                Span::styled(format!("   {:<KEYS_WIDTH$} ", cut(&keys)), theme.key),
                Span::styled(format!("{label:<label_width$}  "), theme.base),
                Span::styled(name, theme.muted),
            ]));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled(" Commands (:)", theme.title));
    let word_width = commands
        .iter()
        .map(|c| c.word.chars().count() + 1)
        .max()
        .unwrap_or(0)
        .max(KEYS_WIDTH);
    for c in commands {
        out.push(Line::from(vec![
            Span::styled(
                format!("   {:<word_width$} ", format!(":{}", c.word)),
                theme.key,
            ),
            Span::styled(c.help.clone(), theme.base),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(" Lines", theme.title));
    for text in [
        "/text keeps the rows matching text; /!text the rows that do not",
        "enter runs or keeps, esc cancels, tab completes a command",
        "ctrl-u clears the line, ctrl-w deletes a word",
    ] {
        out.push(Line::styled(format!("   {text}"), theme.base));
    }
    out
}

fn cut(keys: &str) -> String {
    if keys.chars().count() <= KEYS_WIDTH {
        keys.to_owned()
    } else {
        keys.chars().take(KEYS_WIDTH - 1).chain(['…']).collect()
    }
}

/// The open overlay.
#[derive(Debug, Default)]
pub struct Help {
    pub scroll: usize,
    /// Rows on screen at the last draw, for page moves and clamping.
    page: usize,
    total: usize,
}

impl Help {
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.total.saturating_sub(self.page);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }

    pub fn page(&self) -> isize {
        self.page.max(1) as isize
    }

    pub fn draw(
        &mut self,
        frame: &mut Frame,
        screen: Rect,
        lines: Vec<Line<'static>>,
        theme: &Theme,
    ) {
        let width = screen.width.saturating_sub(2).min(96);
        let height = screen.height.saturating_sub(2).min(lines.len() as u16 + 2);
        let area = Rect::new(
            screen.x + (screen.width - width) / 2,
            screen.y + (screen.height - height) / 2,
            width,
            height,
        );
        self.page = usize::from(height.saturating_sub(2));
        self.total = lines.len();
        self.scroll = self.scroll.min(self.total.saturating_sub(self.page));
        let more = if self.scroll + self.page < self.total {
            " j/k scroll · esc close "
        } else {
            " esc close "
        };
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines)
                .scroll((u16::try_from(self.scroll).unwrap_or(u16::MAX), 0))
                .style(theme.base)
                .block(
                    Block::bordered()
                        .border_style(theme.border_focus)
                        .title(Span::styled(" Help ", theme.title))
                        .title_bottom(Span::styled(more, theme.muted)),
                ),
            area,
        );
    }
}
