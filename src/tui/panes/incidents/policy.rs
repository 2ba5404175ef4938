//! The policy editor: the incident policy in force as TOML (TTL per severity, the
//! acknowledgement timeout, the severity that blocks promotions and the one that
//! notifies, per environment class; the failure thresholds; retention). Admins edit it:
//! `ctrl-s` reads the text as the service will (`IncidentPolicy::from_toml_at`: a parse
//! error shows under it with its line, the cursor moved there; a value the policy
//! refuses, with its key) and the pane sends it; the service's refusal shows the same
//! way, and nothing typed is lost. Others, and `--readonly`, get it read-only with the reason.

use super::format::wrap;
use crate::domain::incident::IncidentPolicy;
use crate::service::IncidentPolicyView;
use crate::tui::action::Action;
use crate::tui::ui::{Ui, age};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui_textarea::{CursorMove, TextArea};

/// Why the text is not a policy (yet), and where when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextError {
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based.
    pub column: Option<usize>,
    pub message: String,
}

impl TextError {
    /// `line 7, column 3: invalid type: string "x", expected u64`.
    pub fn describe(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: {}", self.message),
            (Some(l), None) => format!("line {l}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// The text as a policy, as the service will read it (`IncidentPolicy::from_toml`'s
/// rules), or where it is wrong.
pub(super) fn parse(text: &str) -> Result<IncidentPolicy, TextError> {
    IncidentPolicy::from_toml_at(text).map_err(|(message, at)| TextError {
        line: at.map(|(line, _)| line),
        column: at.map(|(_, column)| column),
        message,
    })
}

/// A refusal of the service: at the line it names (`... at line 7 ...`), if any.
pub(super) fn refusal(message: &str) -> TextError {
    let line = message.split("line ").skip(1).find_map(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    });
    TextError {
        line,
        column: None,
        message: message.to_owned(),
    }
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PolicyEvent {
    None,
    /// `ctrl-s` and the text parsed: send it.
    Save(String),
    /// `esc` with nothing changed.
    Close,
    /// `esc` with changes: ask before dropping them.
    AskDiscard,
}

/// The policy as loaded, and whether it may be changed here.
pub(super) struct Loaded {
    pub view: IncidentPolicyView,
    /// Why it is shown read-only; None when the editor takes keys.
    pub read_only: Option<String>,
    area: TextArea<'static>,
    original: Vec<String>,
}

pub(super) enum PolicyState {
    Loading,
    Failed(String),
    Ready(Box<Loaded>),
}

pub(super) struct PolicyEditor {
    /// Tells the answer to this editor's save from one to an earlier editor.
    pub id: u64,
    /// Of the load in flight; older answers are dropped.
    pub generation: u64,
    pub state: PolicyState,
    pub error: Option<TextError>,
    pub saving: bool,
}

impl PolicyEditor {
    pub fn new(id: u64) -> PolicyEditor {
        PolicyEditor {
            id,
            generation: 0,
            state: PolicyState::Loading,
            error: None,
            saving: false,
        }
    }

    /// The policy in force came: editable unless `--readonly` or not an admin.
    pub fn show(&mut self, view: IncidentPolicyView, readonly: bool) {
        let read_only = if readonly {
            Some("read-only: n8nops was started with --readonly".to_owned())
        } else if !view.editable {
            Some(
                "read-only: only the people in incidents.admins (the config) may change the \
                 policy"
                    .to_owned(),
            )
        } else {
            None
        };
        let lines: Vec<String> = view.toml.lines().map(str::to_owned).collect();
        let mut area = TextArea::new(lines.clone());
        area.set_hard_tab_indent(false);
        area.set_tab_length(2);
        self.state = PolicyState::Ready(Box::new(Loaded {
            view,
            read_only,
            area,
            original: lines,
        }));
    }

    pub fn failed(&mut self, error: String) {
        if !matches!(self.state, PolicyState::Ready(_)) {
            self.state = PolicyState::Failed(error);
        }
    }

    fn loaded(&self) -> Option<&Loaded> {
        match &self.state {
            PolicyState::Ready(l) => Some(l),
            _ => None,
        }
    }

    /// Keys go to the text (an admin editing it).
    pub fn editing(&self) -> bool {
        self.loaded().is_some_and(|l| l.read_only.is_none())
    }

    pub fn text(&self) -> String {
        self.loaded()
            .map(|l| l.area.lines().join("\n"))
            .unwrap_or_default()
    }

    pub fn is_modified(&self) -> bool {
        self.loaded()
            .is_some_and(|l| l.area.lines() != l.original.as_slice())
    }

    /// Shows `error` and moves the cursor to where it is, when known.
    pub fn fail(&mut self, error: TextError) {
        self.saving = false;
        if let (Some(line), PolicyState::Ready(l)) = (error.line, &mut self.state) {
            let row = u16::try_from(line.saturating_sub(1)).unwrap_or(u16::MAX);
            let col = u16::try_from(error.column.unwrap_or(1).saturating_sub(1)).unwrap_or(0);
            l.area.move_cursor(CursorMove::Jump(row, col));
        }
        self.error = Some(error);
    }

    /// A move of the read-only view: the cursor (and so the view) goes with it.
    pub fn scroll(&mut self, down: bool, by: u16) {
        if let PolicyState::Ready(l) = &mut self.state {
            for _ in 0..by.max(1) {
                l.area.move_cursor(if down {
                    CursorMove::Down
                } else {
                    CursorMove::Up
                });
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> PolicyEvent {
        if key.kind == KeyEventKind::Release {
            return PolicyEvent::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc if self.is_modified() => PolicyEvent::AskDiscard,
            KeyCode::Esc => PolicyEvent::Close,
            KeyCode::Char('s') if ctrl => {
                if self.saving || !self.editing() {
                    return PolicyEvent::None;
                }
                let text = self.text();
                match parse(&text) {
                    Ok(_) => {
                        self.saving = true;
                        self.error = None;
                        PolicyEvent::Save(text)
                    }
                    Err(e) => {
                        self.fail(e);
                        PolicyEvent::None
                    }
                }
            }
            _ => {
                if let PolicyState::Ready(l) = &mut self.state
                    && l.read_only.is_none()
                {
                    l.area.input(key);
                }
                PolicyEvent::None
            }
        }
    }

    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("ctrl-s", "save"),
            ("esc", "close (asks before dropping changes)"),
        ]
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        frame.render_widget(Clear, area);
        let modified = self.is_modified();
        let hint = match &self.state {
            _ if self.saving => " saving… ".to_owned(),
            PolicyState::Ready(l) if l.read_only.is_none() => {
                " ctrl-s saves · esc closes (asks before dropping changes) ".to_owned()
            }
            _ => format!(
                " {}/{} scroll · {} back ",
                ui.keymap.hint(Action::Down),
                ui.keymap.hint(Action::Up),
                ui.keymap.hint(Action::Back)
            ),
        };
        let mut title = vec![Span::styled(" Incident policy ", theme.title)];
        if modified {
            title.push(Span::styled("modified ", theme.warn));
        }
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Line::from(title))
            .title_bottom(Span::styled(hint, theme.muted));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let loaded = match &mut self.state {
            PolicyState::Ready(l) => l,
            PolicyState::Loading => {
                frame.render_widget(
                    Paragraph::new(Line::styled("Loading the policy…", theme.muted)),
                    inner,
                );
                return;
            }
            PolicyState::Failed(e) => {
                frame.render_widget(
                    Paragraph::new(Line::styled(
                        format!("Could not load the policy: {e}"),
                        theme.error,
                    ))
                    .wrap(Wrap { trim: true }),
                    inner,
                );
                return;
            }
        };
        let v = &loaded.view;
        let mut source = match v.source.as_str() {
            "store" => "in force: edited here (kept in the n8nops store)".to_owned(),
            _ => "in force: the config file's [incidents.policy]".to_owned(),
        };
        if let Some(by) = &v.updated_by {
            source.push_str(&format!(" · saved by {by}"));
        }
        if let Some(at) = v.updated_at {
            source.push_str(&format!(" {}", age(at, ui.now)));
        }
        let width = usize::from(inner.width);
        let mut head: Vec<Line> = wrap(&source, width)
            .into_iter()
            .map(|l| Line::styled(l, theme.muted))
            .collect();
        if let Some(reason) = &loaded.read_only {
            head.extend(
                wrap(reason, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.warn)),
            );
        }
        let error_height = match &self.error {
            Some(_) => 3.min(inner.height / 3),
            None => 0,
        };
        let [top, text, below] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Min(1),
            Constraint::Length(error_height),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(head), top);
        let area_style = if loaded.read_only.is_some() {
            theme.muted
        } else {
            theme.base
        };
        loaded.area.set_style(area_style);
        loaded.area.set_cursor_line_style(Style::default());
        loaded.area.set_line_number_style(theme.muted);
        let cursor = if loaded.read_only.is_some() {
            area_style
        } else {
            theme.base.add_modifier(Modifier::REVERSED)
        };
        loaded.area.set_cursor_style(cursor);
        frame.render_widget(&loaded.area, text);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_and_refusals_name_their_line() {
        let text = IncidentPolicy::default().to_toml();
        assert!(parse(&text).is_ok(), "the policy's own TOML reads back");
        let broken = text.replacen("retention_days = 90", "retention_days = \"ninety\"", 1);
        assert_ne!(broken, text, "the default writes retention_days = 90");
        let at = broken
            .lines()
            .position(|l| l.starts_with("retention_days"))
            .unwrap()
            + 1;
        let e = parse(&broken).unwrap_err();
        assert_eq!(e.line, Some(at), "{e:?}");
        assert!(
            e.describe().starts_with(&format!("line {at}, column ")),
            "{e:?}"
        );
        // What the types cannot say is refused too, naming the key.
        let zero = text.replacen("critical = 24", "critical = 0", 1);
        assert_ne!(zero, text, "the default TTL of critical is 24 hours");
        let e = parse(&zero).unwrap_err();
        assert!(e.message.contains("ttl_hours.critical is 0"), "{e:?}");
        let r = refusal("invalid policy: TOML parse error at line 12, column 3");
        assert_eq!(r.line, Some(12));
        assert_eq!(refusal("alice may not edit the incident policy").line, None);
    }
}
