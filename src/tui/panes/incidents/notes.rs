//! The note editor: a multi-line text area for a resolution or a timeline note, over
//! the lower part of the pane. `ctrl-s` sends it (an empty note is refused here, in
//! place, with nothing lost); `esc` cancels, asking first when something was typed.
//! A refusal of the service shows the same way and the text stays.

use super::format::named;
use crate::service::IncidentView;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

/// Rows the editor takes at least (when the pane has them).
const MIN_HEIGHT: u16 = 10;

/// What the note is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Resolving the incident: the note says how (required).
    Resolve,
    /// A note on the timeline.
    Note,
}

impl Purpose {
    /// The save key's label in the footer and the frame.
    pub fn verb(self) -> &'static str {
        match self {
            Purpose::Resolve => "resolve",
            Purpose::Note => "add the note",
        }
    }
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NoteEvent {
    None,
    /// `ctrl-s` with text: send it.
    Send(String),
    /// `esc` with nothing typed.
    Cancel,
    /// `esc` with text: ask before dropping it.
    AskDiscard,
}

pub(super) struct NoteEditor {
    /// Tells answers to this editor from answers to an earlier one.
    pub id: u64,
    pub incident: IncidentView,
    pub purpose: Purpose,
    area: TextArea<'static>,
    /// Why the last `ctrl-s` did not go through.
    pub error: Option<String>,
    /// Sent, no answer yet.
    pub sending: bool,
}

impl NoteEditor {
    pub fn new(id: u64, incident: IncidentView, purpose: Purpose) -> NoteEditor {
        NoteEditor {
            id,
            incident,
            purpose,
            area: TextArea::default(),
            error: None,
            sending: false,
        }
    }

    /// The note as typed, without trailing blank lines or spaces.
    pub fn text(&self) -> String {
        self.area.lines().join("\n").trim_end().to_owned()
    }

    /// The service refused it: say why, keep the text.
    pub fn fail(&mut self, error: String) {
        self.sending = false;
        self.error = Some(error);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> NoteEvent {
        if key.kind == KeyEventKind::Release {
            return NoteEvent::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc if self.text().trim().is_empty() => NoteEvent::Cancel,
            KeyCode::Esc => NoteEvent::AskDiscard,
            KeyCode::Char('s') if ctrl => {
                if self.sending {
                    return NoteEvent::None;
                }
                let text = self.text();
                if text.trim().is_empty() {
                    self.error = Some(match self.purpose {
                        Purpose::Resolve => {
                            "A resolution needs a note: say how it was resolved.".to_owned()
                        }
                        Purpose::Note => "The note is empty: type it first.".to_owned(),
                    });
                    return NoteEvent::None;
                }
                self.error = None;
                self.sending = true;
                NoteEvent::Send(text)
            }
            _ => {
                if self.area.input(key) {
                    self.error = None;
                }
                NoteEvent::None
            }
        }
    }

    /// The footer's keys while it is open.
    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("ctrl-s", self.purpose.verb()),
            ("esc", "cancel"),
            ("enter", "new line"),
        ]
    }

    /// Over the lower part of `area` (all of it when small).
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let height = (area.height * 3 / 5).max(MIN_HEIGHT).min(area.height);
        let area = Rect {
            y: area.bottom() - height,
            height,
            ..area
        };
        frame.render_widget(Clear, area);
        let title = match self.purpose {
            Purpose::Resolve => format!(" Resolve incident {} ", named(&self.incident)),
            Purpose::Note => format!(" Note on incident {} ", named(&self.incident)),
        };
        let hint = if self.sending {
            " sending… ".to_owned()
        } else {
            format!(" ctrl-s {} · esc cancels ", self.purpose.verb())
        };
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title))
            .title_bottom(Span::styled(hint, theme.muted));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let prompt = match self.purpose {
            Purpose::Resolve => "How was it resolved? Required; it goes on the timeline as typed.",
            Purpose::Note => "A note for the timeline; its lines are kept as typed.",
        };
        let error_height = match &self.error {
            Some(_) => 2,
            None => 0,
        };
        let [head, text, below] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(error_height),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(Line::styled(prompt, theme.muted)), head);
        self.area.set_style(theme.base);
        self.area.set_cursor_line_style(Style::default());
        self.area
            .set_cursor_style(theme.base.add_modifier(Modifier::REVERSED));
        frame.render_widget(&self.area, text);
        if let Some(error) = &self.error
            && !below.is_empty()
        {
            let block = Block::new().borders(Borders::TOP).border_style(theme.error);
            frame.render_widget(
                Paragraph::new(error.as_str())
                    .style(theme.error)
                    .wrap(Wrap { trim: true })
                    .block(block),
                below,
            );
        }
    }
}
