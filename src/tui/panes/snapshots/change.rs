//! What changed in one workflow, as lines: the diff of a snapshot comparison's entry or
//! of a restore's update. The Diff pane needs both documents' text, which neither holds,
//! so this shows the structural diff: node by node with its risk, each changed value,
//! links and settings.

use super::ChangeView;
use crate::domain::diff::{ConnectionChange, NodeChangeKind, WorkflowDiff};
use crate::service::{RestoreAction, RestoreItem, SnapshotDiffEntry};
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::shorten;
use ratatui::text::{Line, Span};
use serde_json::Value;

/// A changed value is cut to this many characters.
const VALUE_CHARS: usize = 60;

/// A comparison's entry, `a` the older snapshot.
pub(super) fn of_entry(entry: &SnapshotDiffEntry, a: &str, b: &str) -> ChangeView {
    let note = match (&entry.diff, entry.status.differs()) {
        (_, false) => format!("The same in {a} and {b}."),
        (Some(_), true) => format!("{a} → {b}"),
        (None, true) => format!(
            "{} ({}): only in one of {a} and {b}, nothing to compare it with.",
            entry.status, entry.canonical_id
        ),
    };
    view(entry.name.clone(), note, entry.diff.clone())
}

/// A restore's item: what the restore does to the live workflow.
pub(super) fn of_item(item: &RestoreItem, env: &str, snapshot: &str) -> ChangeView {
    let note = match item.action {
        RestoreAction::Update => format!("live in {env} → as in {snapshot}"),
        RestoreAction::Create => format!("Not in {env}: created as in {snapshot}."),
        RestoreAction::Delete => {
            format!("Not in {snapshot}: deleted from {env} (kept in the trash).")
        }
        RestoreAction::Unchanged => format!("Already as in {snapshot}: left as it is."),
    };
    view(item.name.clone(), note, item.diff.clone())
}

fn view(title: String, note: String, diff: Option<WorkflowDiff>) -> ChangeView {
    ChangeView {
        title,
        note,
        diff,
        cursor: ListCursor::default(),
        len: 0,
    }
}

/// Every line of the view: the note, then what changed.
pub(super) fn lines(view: &ChangeView, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::styled(view.note.clone(), theme.muted),
        Line::default(),
    ];
    let Some(diff) = &view.diff else {
        return lines;
    };
    if diff.is_empty() {
        lines.push(Line::styled(
            "Nothing changed but the layout (node positions).",
            theme.muted,
        ));
        return lines;
    }
    if let Some(name) = &diff.name {
        lines.push(Line::from(vec![
            Span::styled("» ", theme.accent),
            Span::styled("workflow name  ", theme.accent),
            Span::raw(format!(
                "{} → {}",
                value(Some(&name.before)),
                value(Some(&name.after))
            )),
        ]));
    }
    for node in &diff.nodes {
        let (mark, style) = match node.kind {
            NodeChangeKind::Added => ("+", theme.added),
            NodeChangeKind::Removed => ("-", theme.removed),
            NodeChangeKind::Renamed => ("»", theme.accent),
            NodeChangeKind::Modified => ("~", theme.changed),
        };
        let mut head = vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(node.name.clone(), style),
            Span::raw("  "),
            Span::styled(node.risk.as_str(), theme.risk(node.risk)),
            Span::styled(
                format!("  {} · {}", node.why.label(), node.node_type),
                theme.muted,
            ),
        ];
        if let Some(old) = &node.old_name {
            head.push(Span::styled(format!(" · was {old}"), theme.muted));
        }
        if node.cosmetic {
            head.push(Span::styled(" · cosmetic", theme.muted));
        }
        lines.push(Line::from(head));
        for change in &node.changes {
            lines.push(Line::from(vec![
                Span::styled(format!("    {}: ", change.path), theme.muted),
                Span::raw(format!(
                    "{} → {}",
                    value(change.before.as_ref()),
                    value(change.after.as_ref())
                )),
            ]));
        }
    }
    if !diff.connections.is_empty() {
        lines.push(Line::styled("links", theme.accent));
        for change in &diff.connections {
            let (mark, style, text) = match change {
                ConnectionChange::Added { link } => ("+", theme.added, link.to_string()),
                ConnectionChange::Removed { link } => ("-", theme.removed, link.to_string()),
                ConnectionChange::Reordered {
                    from,
                    output_type,
                    output,
                } => (
                    "~",
                    theme.changed,
                    format!("{from} {output_type}[{output}] runs its links in another order"),
                ),
                ConnectionChange::Malformed { from, .. } => (
                    "~",
                    theme.changed,
                    format!("{from}: connections in an unusual shape changed"),
                ),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {mark} "), style),
                Span::raw(text),
            ]));
        }
    }
    for setting in &diff.settings {
        lines.push(Line::from(vec![
            Span::styled(format!("setting {}: ", setting.key), theme.accent),
            Span::raw(format!(
                "{} → {}",
                value(setting.before.as_ref()),
                value(setting.after.as_ref())
            )),
        ]));
    }
    lines
}

/// A value as compact JSON, cut; "(none)" where absent.
fn value(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => shorten(&v.to_string(), VALUE_CHARS),
    }
}
