//! The two footer rows: a status line (a flash message, else the pane's filter), then
//! the keys that work here, generated from the keymap.

use super::action::Action;
use super::filter::Filter;
use super::keymap::Keymap;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::Instant;

/// Rows the footer takes.
pub const HEIGHT: u16 = 2;

/// A message shown for a while on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub until: Instant,
}

/// One key hint: `key label`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub key: String,
    pub label: String,
}

impl Hint {
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Hint {
        Hint {
            key: key.into(),
            label: label.into(),
        }
    }

    fn width(&self) -> usize {
        Span::raw(self.key.as_str()).width() + 1 + Span::raw(self.label.as_str()).width() + 2
    }
}

/// Moves are in every list pane and in `?` help; the footer keeps its room for the rest.
fn is_move(action: Action) -> bool {
    matches!(
        action,
        Action::Down
            | Action::Up
            | Action::Top
            | Action::Bottom
            | Action::PageDown
            | Action::PageUp
            | Action::Left
            | Action::Right
    )
}

/// Hints for `actions` (in their order), mutating ones dropped in read-only mode.
pub fn hints(keymap: &Keymap, actions: &[Action], readonly: bool) -> Vec<Hint> {
    actions
        .iter()
        .filter(|a| !is_move(**a))
        .filter(|a| !(readonly && a.is_mutating()))
        .filter(|a| !keymap.keys(**a).is_empty())
        .map(|&a| Hint::new(keymap.hint(a), a.label()))
        .collect()
}

/// The pane's hints from the left, as many as fit; the shell's at the right, always.
pub fn draw_hints(frame: &mut Frame, area: Rect, pane: &[Hint], shell: &[Hint], theme: &Theme) {
    let shell_width: usize = shell.iter().map(Hint::width).sum();
    let room = usize::from(area.width).saturating_sub(shell_width + 1);
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for hint in pane {
        if used + hint.width() > room {
            break;
        }
        used += hint.width();
        push_hint(&mut spans, hint, theme);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.footer), area);
    let mut spans = Vec::new();
    for hint in shell {
        push_hint(&mut spans, hint, theme);
    }
    let width = (shell_width as u16).min(area.width);
    frame.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect {
            x: area.right() - width,
            width,
            ..area
        },
    );
}

fn push_hint(spans: &mut Vec<Span<'static>>, hint: &Hint, theme: &Theme) {
    spans.push(Span::styled(hint.key.clone(), theme.key));
    spans.push(Span::styled(format!(" {}  ", hint.label), theme.footer));
}

/// The status line when no input line is open: the flash, else the pane's filter.
pub fn draw_status(
    frame: &mut Frame,
    area: Rect,
    flash: Option<&Flash>,
    filter: &Filter,
    theme: &Theme,
) {
    let line = match flash {
        Some(flash) => Line::from(vec![
            Span::raw(" "),
            Span::styled(
                flash.text.clone(),
                if flash.error { theme.error } else { theme.info },
            ),
        ]),
        None if !filter.is_empty() => Line::from(vec![
            Span::styled(" filter ", theme.muted),
            Span::styled(format!("/{}", filter.text), theme.accent),
            Span::styled(
                if filter.invert {
                    "  (rows NOT matching)"
                } else {
                    ""
                },
                theme.muted,
            ),
        ]),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line).style(theme.footer), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_skip_moves_and_mutating_actions_in_readonly() {
        let keymap = Keymap::default();
        let actions = [Action::Down, Action::Enter, Action::Activate, Action::Diff];
        let labels = |readonly| -> Vec<String> {
            hints(&keymap, &actions, readonly)
                .into_iter()
                .map(|h| format!("{} {}", h.key, h.label))
                .collect()
        };
        assert_eq!(labels(false), ["enter open", "A activate", "= diff"]);
        assert_eq!(labels(true), ["enter open", "= diff"]);
    }
}
