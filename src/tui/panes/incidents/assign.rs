//! The assign prompt: one line at the foot of the pane, holding the assignee as it is.
//! `enter` assigns to what is typed (nothing typed unassigns), `esc` cancels.

use super::format::named;
use crate::service::IncidentView;
use crate::tui::input_line::InputLine;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear, Paragraph};

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AssignEvent {
    None,
    /// `enter`: assign to this person, or unassign (None).
    Send(Option<String>),
    Cancel,
}

pub(super) struct AssignPrompt {
    pub incident: IncidentView,
    input: InputLine,
}

impl AssignPrompt {
    pub fn new(incident: IncidentView) -> AssignPrompt {
        let input = InputLine::new(incident.assignee.as_deref().unwrap_or(""));
        AssignPrompt { incident, input }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> AssignEvent {
        if key.kind == KeyEventKind::Release {
            return AssignEvent::None;
        }
        match key.code {
            KeyCode::Esc => AssignEvent::Cancel,
            KeyCode::Enter => {
                let who = self.input.text().trim();
                AssignEvent::Send((!who.is_empty()).then(|| who.to_owned()))
            }
            _ => {
                self.input.input(key);
                AssignEvent::None
            }
        }
    }

    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("enter", "assign (empty unassigns)"),
            ("esc", "cancel"),
            ("ctrl-u", "clear"),
        ]
    }

    /// Three rows at the foot of `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let height = 3.min(area.height);
        let area = Rect {
            y: area.bottom() - height,
            height,
            ..area
        };
        frame.render_widget(Clear, area);
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Span::styled(
                format!(" Assign incident {} ", named(&self.incident)),
                theme.title,
            ))
            .title_bottom(Span::styled(
                " enter assigns · empty unassigns · esc cancels ",
                theme.muted,
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let label = "to: ";
        frame.render_widget(Paragraph::new(Span::styled(label, theme.muted)), inner);
        let input = Rect {
            x: inner.x + label.len() as u16,
            width: inner.width.saturating_sub(label.len() as u16),
            ..inner
        };
        self.input.draw(frame, input, theme.accent);
    }
}
