//! The add/edit form of an environment: name, URL, class, API key (masked), Git repo and
//! branch. It owns only what was typed; the service checks it, and its errors are shown
//! next to the field they name.

use crate::domain::environment::EnvClass;
use crate::service::{EnvAdd, EnvUpdate, EnvView, ErrorKind, OpsError, Secret};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui_textarea::{Input, TextArea};

/// The mask drawn instead of each character of the API key.
pub const MASK: char = '•';
const LABEL_WIDTH: u16 = 13;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Url,
    Class,
    Key,
    Repo,
    Branch,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Name,
        Field::Url,
        Field::Class,
        Field::Key,
        Field::Repo,
        Field::Branch,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Url => "URL",
            Field::Class => "Class",
            Field::Key => "API key",
            Field::Repo => "Git repo",
            Field::Branch => "Git branch",
        }
    }

    /// The field an error message of the service is about, when it names one.
    fn named_by(error: &OpsError) -> Option<Field> {
        let message = error.message.to_lowercase();
        if error.kind == ErrorKind::Conflict || message.contains("environment name") {
            Some(Field::Name)
        } else if message.contains("url") {
            Some(Field::Url)
        } else if message.contains("api key") {
            Some(Field::Key)
        } else if message.contains("branch") {
            Some(Field::Branch)
        } else if message.contains("repo") {
            Some(Field::Repo)
        } else if message.contains("class") {
            Some(Field::Class)
        } else {
            None
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    None,
    Submit,
    Cancel,
}

/// What the form asks the service to do.
pub enum FormRequest {
    Add(EnvAdd),
    Update(EnvUpdate),
}

pub struct EnvForm {
    /// Tells the answer to this form's submission from one to an earlier form.
    pub id: u64,
    /// The environment being edited; None when adding.
    original: Option<EnvView>,
    name: TextArea<'static>,
    url: TextArea<'static>,
    class: EnvClass,
    key: TextArea<'static>,
    repo: TextArea<'static>,
    branch: TextArea<'static>,
    focus: Field,
    errors: Vec<(Field, String)>,
    /// Sent, no answer yet.
    pub submitting: bool,
}

impl EnvForm {
    pub fn add(id: u64) -> EnvForm {
        let mut form = EnvForm::with(id, None);
        form.url.set_placeholder_text("http://localhost:5678");
        form.key
            .set_placeholder_text("from n8n: Settings > n8n API");
        form
    }

    pub fn edit(id: u64, env: &EnvView) -> EnvForm {
        let mut form = EnvForm::with(id, Some(env.clone()));
        form.name = text(&env.name);
        form.url = text(&env.url);
        form.class = env.class;
        form.key.set_placeholder_text("empty keeps the current key");
        form.repo = text(env.git_repo.as_deref().unwrap_or(""));
        form.branch = text(env.git_branch.as_deref().unwrap_or(""));
        form.focus = Field::Url;
        form
    }

    fn with(id: u64, original: Option<EnvView>) -> EnvForm {
        let mut key = text("");
        key.set_mask_char(MASK);
        let mut repo = text("");
        repo.set_placeholder_text("optional");
        let mut branch = text("");
        branch.set_placeholder_text("optional");
        EnvForm {
            id,
            original,
            name: text(""),
            url: text(""),
            class: EnvClass::Development,
            key,
            repo,
            branch,
            focus: Field::Name,
            errors: Vec::new(),
            submitting: false,
        }
    }

    pub fn editing(&self) -> Option<&str> {
        self.original.as_ref().map(|e| e.name.as_str())
    }

    /// Fields the cursor visits: an environment is not renamed.
    fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        Field::ALL
            .into_iter()
            .filter(|f| *f != Field::Name || self.original.is_none())
    }

    fn step(&mut self, forward: bool) {
        let fields: Vec<Field> = self.fields().collect();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.focus = fields[next];
    }

    fn input(&mut self, field: Field) -> Option<&mut TextArea<'static>> {
        match field {
            Field::Name => Some(&mut self.name),
            Field::Url => Some(&mut self.url),
            Field::Key => Some(&mut self.key),
            Field::Repo => Some(&mut self.repo),
            Field::Branch => Some(&mut self.branch),
            Field::Class => None,
        }
    }

    fn input_ref(&self, field: Field) -> Option<&TextArea<'static>> {
        match field {
            Field::Name => Some(&self.name),
            Field::Url => Some(&self.url),
            Field::Key => Some(&self.key),
            Field::Repo => Some(&self.repo),
            Field::Branch => Some(&self.branch),
            Field::Class => None,
        }
    }

    /// A field's text, trimmed.
    pub fn value(&self, field: Field) -> String {
        match self.input_ref(field) {
            Some(input) => input.lines().concat().trim().to_owned(),
            None => self.class.to_string(),
        }
    }

    pub fn error(&self, field: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn on_key(&mut self, key: KeyEvent) -> FormEvent {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => return FormEvent::Cancel,
            KeyCode::Enter => return FormEvent::Submit,
            KeyCode::Tab | KeyCode::Down => self.step(true),
            KeyCode::BackTab | KeyCode::Up => self.step(false),
            KeyCode::Char(' ') | KeyCode::Right | KeyCode::Char('l')
                if self.focus == Field::Class && plain =>
            {
                self.class = cycle(self.class, true)
            }
            KeyCode::Left | KeyCode::Char('h') if self.focus == Field::Class && plain => {
                self.class = cycle(self.class, false)
            }
            _ => {
                let field = self.focus;
                if let Some(input) = self.input(field)
                    && input.input(Input::from(key))
                {
                    keep_one_line(input);
                    self.errors.retain(|(f, _)| *f != field);
                }
            }
        }
        FormEvent::None
    }

    /// The request this form sends. When editing, only what changed is sent, and an
    /// empty key field keeps the current key.
    pub fn request(&self) -> FormRequest {
        let optional = |field| Some(self.value(field)).filter(|v| !v.is_empty());
        let key = self.value(Field::Key);
        match &self.original {
            None => FormRequest::Add(EnvAdd {
                name: self.value(Field::Name),
                url: self.value(Field::Url),
                class: self.class,
                api_key: Secret::new(key),
                git_repo: optional(Field::Repo),
                git_branch: optional(Field::Branch),
            }),
            Some(env) => {
                let url = self.value(Field::Url);
                let (repo, branch) = (optional(Field::Repo), optional(Field::Branch));
                FormRequest::Update(EnvUpdate {
                    name: env.name.clone(),
                    url: (url != env.url).then_some(url),
                    class: (self.class != env.class).then_some(self.class),
                    api_key: (!key.is_empty()).then(|| Secret::new(key)),
                    git_repo: (repo != env.git_repo).then_some(repo),
                    git_branch: (branch != env.git_branch).then_some(branch),
                })
            }
        }
    }

    /// Shows the service's refusal next to the field it names and moves there; returns
    /// the message when it names no field (the pane flashes it instead).
    pub fn failed(&mut self, error: &OpsError) -> Option<String> {
        self.submitting = false;
        match Field::named_by(error) {
            Some(field) if self.fields().any(|f| f == field) => {
                self.errors.retain(|(f, _)| *f != field);
                self.errors.push((field, error.message.clone()));
                self.focus = field;
                None
            }
            _ => Some(error.message.clone()),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.saturating_sub(4).min(76);
        let input_width = width.saturating_sub(LABEL_WIDTH + 2);
        let error_rows: u16 = self
            .errors
            .iter()
            .map(|(_, e)| error_height(e, input_width))
            .sum();
        let rows = Field::ALL.len() as u16 + error_rows + 2;
        let height = (rows + 2).min(area.height);
        let popup = Rect {
            x: area.x + (area.width.saturating_sub(width)) / 2,
            y: area.y + (area.height.saturating_sub(height)) / 2,
            width,
            height,
        };
        let title = match &self.original {
            None => " Add environment ".to_string(),
            Some(env) => format!(" Edit {} ", env.name),
        };
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title));
        let inner = block.inner(popup);
        frame.render_widget(Clear, popup);
        frame.render_widget(block, popup);

        let input_x = inner.x + LABEL_WIDTH;
        let input_width = inner.width.saturating_sub(LABEL_WIDTH);
        let mut y = inner.y;
        for field in Field::ALL {
            if y >= inner.bottom() {
                return;
            }
            let focused = field == self.focus;
            let label_style = if focused { theme.accent } else { theme.muted };
            let marker = if focused { "›" } else { " " };
            frame.render_widget(
                Paragraph::new(format!("{marker} {}", field.label())).style(label_style),
                Rect::new(inner.x, y, LABEL_WIDTH, 1),
            );
            let input_area = Rect::new(input_x, y, input_width, 1);
            match field {
                Field::Class => {
                    let line = Line::from(vec![
                        Span::styled("‹ ", label_style),
                        Span::styled(self.class.as_str(), theme.class(self.class)),
                        Span::styled(" ›", label_style),
                        Span::styled(
                            if focused {
                                "  space or ←/→ to change"
                            } else {
                                ""
                            },
                            theme.muted,
                        ),
                    ]);
                    frame.render_widget(Paragraph::new(line), input_area);
                }
                Field::Name if self.original.is_some() => {
                    let line = Line::from(vec![
                        Span::raw(self.value(Field::Name)),
                        Span::styled("  (not renamed)", theme.muted),
                    ]);
                    frame.render_widget(Paragraph::new(line), input_area);
                }
                _ => {
                    let (base, accent, muted) = (theme.base, theme.accent, theme.muted);
                    if let Some(input) = self.input(field) {
                        style_input(input, focused, base, accent, muted);
                        if input.is_empty() && !focused {
                            // The widget puts a cursor cell before its placeholder.
                            let hint = input.placeholder_text().to_owned();
                            frame.render_widget(Paragraph::new(hint).style(muted), input_area);
                        } else {
                            frame.render_widget(&*input, input_area);
                        }
                    }
                }
            }
            y += 1;
            if let Some(error) = self.error(field)
                && y < inner.bottom()
            {
                let height = error_height(error, input_width).min(inner.bottom() - y);
                frame.render_widget(
                    Paragraph::new(format!("↳ {error}"))
                        .style(theme.error)
                        .wrap(Wrap { trim: true }),
                    Rect::new(input_x, y, input_width, height),
                );
                y += height;
            }
        }
        let hint = if self.submitting {
            Line::styled("saving…", theme.muted)
        } else {
            Line::from(vec![
                Span::styled("tab", theme.key),
                Span::styled(" next field  ", theme.muted),
                Span::styled("enter", theme.key),
                Span::styled(" save  ", theme.muted),
                Span::styled("esc", theme.key),
                Span::styled(" cancel", theme.muted),
            ])
        };
        if y < inner.bottom() {
            let hint_y = inner.bottom() - 1;
            frame.render_widget(
                Paragraph::new(hint),
                Rect::new(inner.x, hint_y, inner.width, 1),
            );
        }
    }
}

/// Rows an error message takes under its field (wrapped, at most three).
fn error_height(error: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let (mut lines, mut column) = (1, 0);
    for word in format!("↳ {error}").split(' ') {
        let w = word.chars().count();
        if column == 0 {
            column = w;
        } else if column + 1 + w <= width {
            column += 1 + w;
        } else {
            lines += 1;
            column = w;
        }
        while column > width {
            lines += 1;
            column -= width;
        }
    }
    lines.min(3) as u16
}

fn text(value: &str) -> TextArea<'static> {
    let mut input = TextArea::new(vec![value.to_owned()]);
    input.move_cursor(ratatui_textarea::CursorMove::End);
    input
}

/// Only the focused input shows its cursor; none underlines its line.
fn style_input(input: &mut TextArea, focused: bool, base: Style, accent: Style, muted: Style) {
    input.set_style(if focused { base.patch(accent) } else { base });
    input.set_cursor_line_style(Style::default());
    input.set_placeholder_style(muted);
    input.set_cursor_style(if focused {
        Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        Style::default()
    });
}

/// A pasted newline joins the lines: every field is one line.
fn keep_one_line(input: &mut TextArea) {
    if input.lines().len() > 1 {
        let joined = input.lines().concat();
        let mut replaced = TextArea::new(vec![joined]);
        replaced.move_cursor(ratatui_textarea::CursorMove::End);
        if let Some(mask) = input.mask_char() {
            replaced.set_mask_char(mask);
        }
        replaced.set_placeholder_text(input.placeholder_text().to_owned());
        *input = replaced;
    }
}

fn cycle(class: EnvClass, forward: bool) -> EnvClass {
    let all = EnvClass::ALL;
    let at = all.iter().position(|c| *c == class).unwrap_or(0);
    let next = if forward {
        (at + 1) % all.len()
    } else {
        (at + all.len() - 1) % all.len()
    };
    all[next]
}
