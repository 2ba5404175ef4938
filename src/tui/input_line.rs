//! A one-line text input (the `:` command line, the `/` filter, type-to-confirm), over
//! ratatui-textarea with newlines and tabs kept out.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, TextArea};

#[derive(Debug, Clone)]
pub struct InputLine {
    area: TextArea<'static>,
}

impl Default for InputLine {
    fn default() -> Self {
        InputLine::new("")
    }
}

impl InputLine {
    pub fn new(text: &str) -> InputLine {
        let mut area = TextArea::new(vec![one_line(text)]);
        area.set_cursor_line_style(Style::new());
        area.move_cursor(CursorMove::End);
        InputLine { area }
    }

    pub fn text(&self) -> &str {
        self.area.lines().first().map(String::as_str).unwrap_or("")
    }

    /// Replaces the text, cursor at the end.
    pub fn set_text(&mut self, text: &str) {
        let style = self.area.style();
        *self = InputLine::new(text);
        self.area.set_style(style);
    }

    /// Edits with the key (emacs-style keys work: ctrl-a/e/u/w, alt-b/f). Enter and
    /// tab are not text here: the caller decides what they mean. True when the text
    /// changed.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let newline = matches!(key.code, KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab)
            || matches!(key.code, KeyCode::Char('\n' | '\r' | '\t'))
            || (ctrl && matches!(key.code, KeyCode::Char('m' | 'j')));
        if newline {
            return false;
        }
        let before = self.text().to_owned();
        if ctrl && key.code == KeyCode::Char('u') {
            // As in a shell (the text area would undo).
            self.area.delete_line_by_head();
        } else {
            self.area.input(key);
        }
        self.text() != before
    }

    /// Draws the text with a block cursor, in `style`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, style: Style) {
        self.area.set_style(style);
        self.area
            .set_cursor_style(style.add_modifier(Modifier::REVERSED));
        frame.render_widget(&self.area, area);
    }
}

fn one_line(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '\n' | '\r')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn types_and_deletes_but_never_takes_a_newline() {
        let mut line = InputLine::new("ma");
        assert!(line.input(key(KeyCode::Char('t'))));
        assert!(!line.input(key(KeyCode::Enter)));
        assert!(!line.input(key(KeyCode::Tab)));
        assert_eq!(line.text(), "mat");
        assert!(line.input(key(KeyCode::Backspace)));
        assert_eq!(line.text(), "ma");
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        line.input(ctrl_u);
        assert_eq!(line.text(), "");
        line.set_text("a\nb");
        assert_eq!(line.text(), "ab");
    }
}
