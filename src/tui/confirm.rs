//! The confirmation modal a pane asks for (`Effect::Confirm`): `y` or `enter` says yes,
//! `n` or `esc` no; with type-to-confirm, only the environment's name typed in full
//! and `enter` say yes.

use super::input_line::InputLine;
use super::pane::{Confirm, PaneMsg};
use super::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// What a key did to the modal.
pub enum Answer {
    /// Still open.
    Pending,
    /// Closed without doing anything.
    No,
    /// Closed: the payload goes back to the pane that asked.
    Yes(PaneMsg),
}

pub struct ConfirmModal {
    /// The pane that asked (an index into the shell's panes).
    pub pane: usize,
    title: String,
    message: String,
    type_to_confirm: Option<String>,
    typed: InputLine,
    /// Enter was pressed with the wrong name: say so.
    mismatch: bool,
    payload: Option<PaneMsg>,
}

impl ConfirmModal {
    pub fn new(pane: usize, confirm: Confirm) -> ConfirmModal {
        ConfirmModal {
            pane,
            title: confirm.title,
            message: confirm.message,
            type_to_confirm: confirm.type_to_confirm,
            typed: InputLine::default(),
            mismatch: false,
            payload: Some(confirm.payload),
        }
    }

    pub fn needs_typing(&self) -> bool {
        self.type_to_confirm.is_some()
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Answer {
        match (&self.type_to_confirm, key.code) {
            (_, KeyCode::Esc) => Answer::No,
            (Some(name), KeyCode::Enter) => {
                if self.typed.text() == name {
                    self.yes()
                } else {
                    self.mismatch = true;
                    Answer::Pending
                }
            }
            (Some(_), _) => {
                if self.typed.input(key) {
                    self.mismatch = false;
                }
                Answer::Pending
            }
            (None, KeyCode::Enter | KeyCode::Char('y' | 'Y')) => self.yes(),
            (None, KeyCode::Char('n' | 'N')) => Answer::No,
            (None, _) => Answer::Pending,
        }
    }

    fn yes(&mut self) -> Answer {
        match self.payload.take() {
            Some(payload) => Answer::Yes(payload),
            None => Answer::No,
        }
    }

    /// A box in the middle of `screen`.
    pub fn draw(&mut self, frame: &mut Frame, screen: Rect, theme: &Theme) {
        let width = screen
            .width
            .saturating_sub(4)
            .clamp(20, 64)
            .min(screen.width);
        let inner_width = width.saturating_sub(4).max(1);
        let mut lines = vec![Line::raw(self.message.clone())];
        let mut height = wrapped_height(&self.message, inner_width);
        let border = if self.type_to_confirm.is_some() {
            theme.error
        } else {
            theme.warn
        };
        let input_row;
        match &self.type_to_confirm {
            Some(name) => {
                lines.push(Line::raw(""));
                lines.push(Line::from(vec![
                    Span::raw("Type "),
                    Span::styled(name.clone(), theme.accent),
                    Span::raw(" to confirm:"),
                ]));
                input_row = height + 2;
                lines.push(Line::raw(""));
                lines.push(if self.mismatch {
                    Line::styled("That is not the name.", theme.error)
                } else {
                    Line::raw("")
                });
                lines.push(hints(&[("enter", "confirm"), ("esc", "cancel")], theme));
                height += 5;
            }
            None => {
                input_row = 0;
                lines.push(Line::raw(""));
                lines.push(hints(&[("y", "yes"), ("n", "no")], theme));
                height += 2;
            }
        }
        let height = (height + 2).min(screen.height);
        let area = Rect::new(
            screen.x + (screen.width - width) / 2,
            screen.y + screen.height.saturating_sub(height) / 2,
            width,
            height,
        );
        frame.render_widget(Clear, area);
        let block = Block::bordered()
            .border_style(border)
            .title(Span::styled(format!(" {} ", self.title), theme.title));
        let inner = block.inner(area).inner(ratatui::layout::Margin::new(1, 0));
        frame.render_widget(block, area);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        if self.type_to_confirm.is_some() && input_row < inner.height {
            let input = Rect::new(inner.x, inner.y + input_row, inner.width, 1);
            self.typed.draw(frame, input, theme.accent);
        }
    }
}

fn hints(keys: &[(&str, &str)], theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (key, label) in keys {
        spans.push(Span::styled((*key).to_owned(), theme.key));
        spans.push(Span::styled(format!(" {label}   "), theme.muted));
    }
    Line::from(spans)
}

/// Rows `text` takes wrapped at `width` (a close estimate: words are not split).
fn wrapped_height(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    text.lines()
        .map(|line| {
            let mut rows = 1;
            let mut used = 0;
            for word in line.split(' ') {
                let w = Span::raw(word).width();
                if used > 0 && used + 1 + w > width {
                    rows += 1;
                    used = w;
                } else {
                    used += w + usize::from(used > 0);
                }
            }
            rows
        })
        .sum::<u16>()
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn modal(type_to_confirm: Option<&str>) -> ConfirmModal {
        ConfirmModal::new(
            2,
            Confirm {
                title: "Delete".into(),
                message: "Delete 3 workflows?".into(),
                type_to_confirm: type_to_confirm.map(str::to_owned),
                payload: Box::new(42u32),
            },
        )
    }

    #[test]
    fn y_says_yes_and_returns_the_payload() {
        let mut m = modal(None);
        assert!(matches!(m.on_key(key(KeyCode::Char('x'))), Answer::Pending));
        match m.on_key(key(KeyCode::Char('y'))) {
            Answer::Yes(payload) => assert_eq!(payload.downcast_ref::<u32>(), Some(&42)),
            _ => panic!("y must confirm"),
        }
        assert!(matches!(
            modal(None).on_key(key(KeyCode::Char('n'))),
            Answer::No
        ));
        assert!(matches!(modal(None).on_key(key(KeyCode::Esc)), Answer::No));
    }

    #[test]
    fn type_to_confirm_needs_the_exact_name() {
        let mut m = modal(Some("production"));
        assert!(matches!(m.on_key(key(KeyCode::Char('y'))), Answer::Pending));
        assert!(matches!(m.on_key(key(KeyCode::Enter)), Answer::Pending));
        assert!(m.mismatch);
        m.on_key(key(KeyCode::Backspace));
        for c in "production".chars() {
            assert!(matches!(m.on_key(key(KeyCode::Char(c))), Answer::Pending));
        }
        assert!(matches!(m.on_key(key(KeyCode::Enter)), Answer::Yes(_)));
        assert!(matches!(
            modal(Some("p")).on_key(key(KeyCode::Esc)),
            Answer::No
        ));
    }
}
