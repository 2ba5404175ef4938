//! The pipeline editor: the pipeline as TOML in a text area. `ctrl-s` reads the text
//! (a parse error shows under it with its line, the cursor moved there) and the pane
//! sends it; the service's refusal shows the same way. Nothing typed is lost on an
//! error: the editor stays open until a save succeeds or the person drops the changes.

use super::toml_text::{self, TextError};
use crate::domain::pipeline::Pipeline;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui_textarea::{CursorMove, TextArea};

/// Rows the error under the text takes at most.
const ERROR_ROWS: u16 = 4;

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum EditorEvent {
    None,
    /// `ctrl-s` and the text parsed: send this.
    Save(Pipeline),
    /// `esc` with nothing changed.
    Close,
    /// `esc` with changes: ask before dropping them.
    AskDiscard,
}

pub(super) struct Editor {
    /// Tells the answer to this editor's save from one to an earlier editor.
    pub id: u64,
    /// The pipeline edited (its name); None for a new one.
    pub editing: Option<String>,
    area: TextArea<'static>,
    /// The text as opened, to tell whether anything changed.
    original: Vec<String>,
    pub error: Option<TextError>,
    /// Sent, no answer yet.
    pub saving: bool,
}

impl Editor {
    pub fn new(id: u64, editing: Option<String>, text: &str) -> Editor {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut area = TextArea::new(lines.clone());
        area.set_hard_tab_indent(false);
        area.set_tab_length(2);
        Editor {
            id,
            editing,
            area,
            original: lines,
            error: None,
            saving: false,
        }
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_modified(&self) -> bool {
        self.area.lines() != self.original.as_slice()
    }

    /// Shows `error` and moves the cursor to where it is, when known.
    pub fn fail(&mut self, error: TextError) {
        self.saving = false;
        if let Some(line) = error.line {
            let row = u16::try_from(line.saturating_sub(1)).unwrap_or(u16::MAX);
            let col = u16::try_from(error.column.unwrap_or(1).saturating_sub(1)).unwrap_or(0);
            self.area.move_cursor(CursorMove::Jump(row, col));
        }
        self.error = Some(error);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> EditorEvent {
        if key.kind == KeyEventKind::Release {
            return EditorEvent::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc if self.is_modified() => EditorEvent::AskDiscard,
            KeyCode::Esc => EditorEvent::Close,
            KeyCode::Char('s') if ctrl => {
                if self.saving {
                    return EditorEvent::None;
                }
                match toml_text::parse(&self.text()) {
                    Ok(pipeline) => {
                        self.saving = true;
                        self.error = None;
                        EditorEvent::Save(pipeline)
                    }
                    Err(e) => {
                        self.fail(e);
                        EditorEvent::None
                    }
                }
            }
            _ => {
                self.area.input(key);
                EditorEvent::None
            }
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        frame.render_widget(Clear, area);
        let mut title = vec![Span::styled(
            match &self.editing {
                Some(name) => format!(" Edit pipeline {name} "),
                None => " New pipeline ".to_owned(),
            },
            theme.title,
        )];
        if self.is_modified() {
            title.push(Span::styled("modified ", theme.warn));
        }
        let hint = if self.saving {
            " saving… ".to_owned()
        } else {
            " ctrl-s saves · esc closes (asks before dropping changes) ".to_owned()
        };
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Line::from(title))
            .title_bottom(Span::styled(hint, theme.muted));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let error_height = match &self.error {
            Some(e) => error_rows(&e.describe(), inner.width).min(inner.height / 2) + 1,
            None => 0,
        };
        let [text, below] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(error_height)]).areas(inner);
        self.area.set_style(theme.base);
        self.area.set_cursor_line_style(Style::default());
        self.area.set_line_number_style(theme.muted);
        self.area
            .set_cursor_style(theme.base.add_modifier(Modifier::REVERSED));
        frame.render_widget(&self.area, text);
        if let Some(e) = &self.error
            && !below.is_empty()
        {
            let block = Block::new()
                .borders(Borders::TOP)
                .border_style(theme.error)
                .title(Span::styled(" not saved ", theme.error));
            frame.render_widget(
                Paragraph::new(e.describe())
                    .style(theme.error)
                    .wrap(Wrap { trim: true })
                    .block(block),
                below,
            );
        }
    }
}

/// Rows `text` wraps to in `width` (roughly: words wrap a little short of the width),
/// at most `ERROR_ROWS`.
fn error_rows(text: &str, width: u16) -> u16 {
    let width = usize::from(width.saturating_sub(6).max(1));
    let rows = text.chars().count().div_ceil(width).max(1);
    u16::try_from(rows).unwrap_or(u16::MAX).min(ERROR_ROWS)
}
