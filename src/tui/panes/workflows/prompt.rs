//! The inline inputs of the pane: tags to add and remove, paths to upload, the path
//! to download to. One line at the bottom of the pane; while one is open it takes
//! every key.

use super::draw::bottom_panel;
use super::operations::count;
use crate::service::WorkflowRef;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui_textarea::TextArea;

/// What an inline input is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PromptKind {
    Tag { targets: Vec<WorkflowRef> },
    Upload { env: String },
    Download { targets: Vec<WorkflowRef> },
}

/// A one-line input drawn at the bottom of the pane.
#[derive(Debug)]
pub(super) struct Prompt {
    pub kind: PromptKind,
    pub input: TextArea<'static>,
    title: String,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PromptEvent {
    None,
    Submit(String),
    Cancel,
}

impl Prompt {
    pub fn tag(targets: Vec<WorkflowRef>) -> Prompt {
        let title = format!("Tags for {}: +add -remove", count(targets.len()));
        Prompt::with(PromptKind::Tag { targets }, title, "", "+billing -legacy")
    }

    pub fn upload(env: String) -> Prompt {
        let title = format!("Upload to {env}: paths of .json or .zip files");
        Prompt::with(
            PromptKind::Upload { env },
            title,
            "",
            "./orders.json ./exports.zip",
        )
    }

    pub fn download(targets: Vec<WorkflowRef>, default_path: &str) -> Prompt {
        let title = format!("Download {} as a ZIP to", count(targets.len()));
        Prompt::with(PromptKind::Download { targets }, title, default_path, "")
    }

    fn with(kind: PromptKind, title: String, text: &str, placeholder: &str) -> Prompt {
        let mut input = TextArea::new(vec![text.to_owned()]);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        input.set_placeholder_text(placeholder);
        Prompt { kind, input, title }
    }

    pub fn text(&self) -> String {
        self.input.lines().concat().trim().to_owned()
    }

    pub fn on_key(&mut self, key: KeyEvent) -> PromptEvent {
        match key.code {
            KeyCode::Esc => PromptEvent::Cancel,
            KeyCode::Enter => PromptEvent::Submit(self.text()),
            _ => {
                self.input.input(key);
                PromptEvent::None
            }
        }
    }

    /// Three rows at the bottom of `area`: a border with the title, the input.
    pub fn draw(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let keys = Line::from(vec![
            Span::styled(" enter", theme.key),
            Span::styled(" ok  ", theme.muted),
            Span::styled("esc", theme.key),
            Span::styled(" cancel ", theme.muted),
        ]);
        let inner = bottom_panel(area, 3.min(area.height), &self.title, keys, buf, theme);
        self.input.set_style(theme.base);
        self.input.set_cursor_line_style(theme.base);
        self.input.set_placeholder_style(theme.muted);
        (&self.input).render(inner, buf);
    }
}

/// `+a -b c`: tags to add (with `+` or bare) and to remove (with `-`).
pub(super) fn parse_tags(text: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for word in text.split_whitespace() {
        if let Some(tag) = word.strip_prefix('-') {
            if !tag.is_empty() {
                remove.push(tag.to_owned());
            }
        } else {
            let tag = word.strip_prefix('+').unwrap_or(word);
            if !tag.is_empty() {
                add.push(tag.to_owned());
            }
        }
    }
    if add.is_empty() && remove.is_empty() {
        return Err("type tags to add (+tag) or remove (-tag)".into());
    }
    Ok((add, remove))
}

/// Paths separated by spaces; "double quotes" keep a path with spaces whole.
pub(super) fn split_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    paths.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        paths.push(current);
    }
    paths
}

/// The default download path: `./n8nops-<env>-<date>.zip`.
pub(super) fn default_download_path(env: &str, date: chrono::NaiveDate) -> String {
    format!("./n8nops-{env}-{}.zip", date.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_into_added_and_removed() {
        assert_eq!(
            parse_tags("+billing -legacy ops  -"),
            Ok((vec!["billing".into(), "ops".into()], vec!["legacy".into()]))
        );
        assert!(parse_tags("  + - ").is_err());
    }

    #[test]
    fn paths_split_on_spaces_unless_quoted() {
        assert_eq!(
            split_paths(r#"a.json  "my exports/b.zip" c.json"#),
            vec!["a.json", "my exports/b.zip", "c.json"]
        );
        assert!(split_paths("   ").is_empty());
    }
}
