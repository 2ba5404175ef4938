//! Workflow operations from the pane: the inline inputs (tags, upload paths, download
//! path) and what each answer of the service turns into: a flash, a confirmation that
//! resends the request confirmed, a report of an upload's files.

use super::detail::{DocLine, Tone};
use crate::service::{
    OpOutcome, UploadRejected, UploadReport, WorkflowAction, WorkflowOpReport, WorkflowOpRequest,
    WorkflowRef,
};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};
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
        let height = 3.min(area.height);
        let rect = Rect {
            y: area.bottom() - height,
            height,
            ..area
        };
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_style(theme.border_focus)
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(Line::from(vec![
                Span::styled(" enter", theme.key),
                Span::styled(" ok  ", theme.muted),
                Span::styled("esc", theme.key),
                Span::styled(" cancel ", theme.muted),
            ]));
        let inner = block.inner(rect);
        block.render(rect, buf);
        self.input.set_style(theme.base);
        self.input.set_cursor_line_style(theme.base);
        self.input.set_placeholder_style(theme.muted);
        (&self.input).render(inner, buf);
    }
}

/// "1 workflow", "3 workflows".
pub(super) fn count(n: usize) -> String {
    if n == 1 {
        "1 workflow".into()
    } else {
        format!("{n} workflows")
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

/// "activate", "delete for good"...
pub(super) fn verb(action: &WorkflowAction) -> &'static str {
    match action {
        WorkflowAction::Activate => "activate",
        WorkflowAction::Deactivate => "deactivate",
        WorkflowAction::Delete { hard: false } => "delete",
        WorkflowAction::Delete { hard: true } => "delete for good",
        WorkflowAction::Tag { .. } => "tag",
    }
}

fn past(action: &WorkflowAction) -> &'static str {
    match action {
        WorkflowAction::Activate => "activated",
        WorkflowAction::Deactivate => "deactivated",
        WorkflowAction::Delete { hard: false } => "deleted (kept in the trash)",
        WorkflowAction::Delete { hard: true } => "deleted for good",
        WorkflowAction::Tag { .. } => "tagged",
    }
}

/// What the pane does with a report of `workflow_op`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Answer {
    /// A flash: what went through.
    pub info: Vec<String>,
    /// A flash in the error style: what was blocked or failed.
    pub errors: Vec<String>,
    /// The targets the policy wants confirmed, with its reasons (deduplicated).
    pub confirm: Option<(WorkflowOpRequest, Vec<String>)>,
    /// Something changed (or was queued): reload what is shown.
    pub reload: bool,
}

impl Answer {
    /// One message for the flash: errors win, as they need reading.
    pub fn flash(&self) -> Option<(bool, String)> {
        if !self.errors.is_empty() {
            let all: Vec<&str> = self
                .errors
                .iter()
                .chain(&self.info)
                .map(String::as_str)
                .collect();
            Some((true, all.join(" · ")))
        } else if !self.info.is_empty() {
            Some((false, self.info.join(" · ")))
        } else {
            None
        }
    }
}

/// Sorts a report into flashes, a confirmation to ask and whether to reload.
/// `name` names a target for messages.
pub(super) fn answer(
    request: &WorkflowOpRequest,
    report: WorkflowOpReport,
    name: impl Fn(&WorkflowRef, Option<&str>) -> String,
) -> Answer {
    let mut answer = Answer::default();
    let mut done = Vec::new();
    let mut confirm_targets = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    for r in report.results {
        let who = name(&r.target, r.name.as_deref());
        match r.outcome {
            OpOutcome::Done => done.push(who),
            OpOutcome::NeedsConfirmation { reason } => {
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
                confirm_targets.push(r.target);
            }
            OpOutcome::PendingApproval {
                approval_id,
                reason,
            } => {
                answer.reload = true;
                answer.info.push(format!(
                    "approval #{approval_id} requested for {who}: {reason}"
                ));
            }
            OpOutcome::Blocked { reason } => {
                answer.errors.push(format!("{who}: blocked: {reason}"));
            }
            OpOutcome::Failed { error } => {
                answer.errors.push(format!(
                    "{who}: could not {}: {error}",
                    verb(&request.action)
                ));
            }
        }
    }
    if !done.is_empty() {
        answer.reload = true;
        let what = match done.as_slice() {
            [one] => one.clone(),
            many => count(many.len()),
        };
        answer
            .info
            .insert(0, format!("{} {what}", capitalized(past(&request.action))));
    }
    if !confirm_targets.is_empty() {
        let again = WorkflowOpRequest {
            action: request.action.clone(),
            targets: confirm_targets,
            confirmed: true,
        };
        answer.confirm = Some((again, reasons));
    }
    answer
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What an upload did, file by file, for the report panel.
pub(super) fn upload_lines(report: &UploadReport, unreadable: &[UploadRejected]) -> Vec<DocLine> {
    let mut lines = Vec::new();
    for a in &report.accepted {
        lines.push(
            DocLine::default()
                .push("✓ ", Tone::Ok)
                .push(a.file.clone(), Tone::Base)
                .push(format!("  → '{}' (id {})", a.name, a.id), Tone::Muted),
        );
    }
    for r in unreadable.iter().chain(&report.rejected) {
        lines.push(
            DocLine::default()
                .push("✗ ", Tone::Error)
                .push(r.file.clone(), Tone::Base)
                .push(format!("  {}", r.reason), Tone::Error),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::WorkflowOpResult;

    fn target(id: &str) -> WorkflowRef {
        WorkflowRef {
            env: "staging".into(),
            id: id.into(),
        }
    }

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

    #[test]
    fn a_report_sorts_into_flashes_and_one_confirmation() {
        let request = WorkflowOpRequest {
            action: WorkflowAction::Activate,
            targets: vec![target("1"), target("2"), target("3"), target("4")],
            confirmed: false,
        };
        let result = |id: &str, outcome| WorkflowOpResult {
            target: target(id),
            name: Some(format!("W{id}")),
            outcome,
        };
        let report = WorkflowOpReport {
            results: vec![
                result("1", OpOutcome::Done),
                result(
                    "2",
                    OpOutcome::NeedsConfirmation {
                        reason: "staging warns".into(),
                    },
                ),
                result(
                    "3",
                    OpOutcome::Blocked {
                        reason: "production is closed".into(),
                    },
                ),
                result(
                    "4",
                    OpOutcome::PendingApproval {
                        approval_id: 7,
                        reason: "needs a second person".into(),
                    },
                ),
            ],
        };
        let a = answer(&request, report, |t, n| {
            format!("'{}' in {}", n.unwrap_or(&t.id), t.env)
        });
        assert!(a.reload);
        assert_eq!(
            a.info,
            vec![
                "Activated 'W1' in staging",
                "approval #7 requested for 'W4' in staging: needs a second person"
            ]
        );
        assert_eq!(
            a.errors,
            vec!["'W3' in staging: blocked: production is closed"]
        );
        let (again, reasons) = a.confirm.clone().expect("a confirmation");
        assert_eq!(again.targets, vec![target("2")]);
        assert!(again.confirmed);
        assert_eq!(reasons, vec!["staging warns"]);
        assert_eq!(a.flash().map(|f| f.0), Some(true));
    }
}
