//! The bodies webhooks get, built from an incident row when the notification is
//! enqueued (pure: the time is passed in).
//!
//! - Slack's incoming-webhook JSON (`text` for the notification, `blocks` for the
//!   message): a headline like `[CRITICAL] production: 'Orders' drifted — opened`,
//!   then fields (environment, workflow, state, severity, SLA deadline, assignee), the
//!   first lines of what changed, the resolution, and a context line. Mattermost,
//!   Rocket.Chat and others accept the same body.
//! - A generic JSON: `{"event", "at", "incident": IncidentView}`.

use super::super::incident_types::IncidentView;
use super::super::incidents::views::view;
use super::super::incidents::when;
use super::super::types::time_from_ms;
use crate::config::WebhookFormat;
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{ClassPolicy, IncidentKind};
use crate::store::incidents::IncidentRow;
use serde_json::{Value, json};

/// Lines of the change summary a Slack message shows.
const SUMMARY_LINES: usize = 5;
/// Characters of one summary line, and of a resolution note, in a Slack message.
const LINE_CHARS: usize = 200;
const NOTE_CHARS: usize = 600;

/// The body for a webhook of `format` about `event` (opened, escalated, breached,
/// resolved) of `row`, which happened at `at_ms`; `policy` is the class policy of the
/// incident's environment (its TTLs give the SLA deadline), `env_class` its class
/// (None: the environment is gone). Both bodies are built from the incident as the
/// service shows it (`incidents::view`); what it offers leaves out promotions (a
/// notification does not look up pipelines).
pub(crate) fn build(
    format: WebhookFormat,
    event: &str,
    row: &IncidentRow,
    policy: &ClassPolicy,
    env_class: Option<EnvClass>,
    at_ms: i64,
) -> Value {
    let view = view(row, policy, env_class, false);
    match format {
        WebhookFormat::Slack => slack(event, row, &view),
        WebhookFormat::Json => generic(event, &view, at_ms),
    }
}

/// `{"event": "...", "at": "<RFC 3339>", "incident": IncidentView}`.
fn generic(event: &str, view: &IncidentView, at_ms: i64) -> Value {
    json!({
        "event": event,
        "at": time_from_ms(at_ms),
        "incident": view,
    })
}

/// Slack's incoming-webhook body: `{"text": headline, "blocks": [...]}`; `row` gives
/// what the view leaves out (the key, who opened it, the first breach).
fn slack(event: &str, row: &IncidentRow, view: &IncidentView) -> Value {
    let title = headline(event, row, view);
    let open = view.state.is_open();
    let deadline = match open {
        true => when(view.sla_deadline.timestamp_millis()),
        false => "none (resolved)".to_owned(),
    };
    let severity = match view.severity_manual {
        true => format!("{} (set by hand)", view.severity),
        false => view.severity.to_string(),
    };
    let fields = [
        ("Environment", view.env.clone()),
        ("Workflow", workflow_label(row, view)),
        ("State", view.state.to_string()),
        ("Severity", severity),
        ("SLA deadline", deadline),
        (
            "Assignee",
            view.assignee.clone().unwrap_or_else(|| "unassigned".into()),
        ),
    ];
    let mut blocks = vec![
        json!({"type": "section", "text": mrkdwn(format!("*{}*", escape(&title)))}),
        json!({
            "type": "section",
            "fields": fields
                .iter()
                .map(|(name, value)| mrkdwn(format!("*{name}*\n{}", escape(value))))
                .collect::<Vec<_>>(),
        }),
    ];
    let changes = change_lines(view);
    if !changes.is_empty() {
        let lines: Vec<String> = changes.iter().map(|l| escape(l)).collect();
        let heading = match view.kind {
            IncidentKind::Drift => "What changed",
            IncidentKind::Executions => "What failed",
        };
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn(format!("*{heading}*\n{}", lines.join("\n"))),
        }));
    }
    if !open {
        let by = view.resolved_by.as_deref().unwrap_or("someone");
        let note = view
            .resolution
            .as_deref()
            .map(|n| format!(": {}", escape(&shorten(n.trim(), NOTE_CHARS))))
            .unwrap_or_default();
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn(format!("*Resolved* by {}{note}", escape(by))),
        }));
    }
    let mut context = format!(
        "n8nops incident #{} · opened {} by {}",
        view.id,
        when(row.opened_at),
        row.opened_by
    );
    if view.escalations > 0 {
        context.push_str(&format!(" · escalated {}×", view.escalations));
    }
    if let Some(breached) = row.breached_at {
        context.push_str(&format!(" · SLA first breached {}", when(breached)));
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn(escape(&context))]}));
    json!({"text": escape(&title), "blocks": blocks})
}

/// `[CRITICAL] production: 'Orders' drifted — opened`.
fn headline(event: &str, row: &IncidentRow, view: &IncidentView) -> String {
    let what = match (view.kind, &view.workflow) {
        (IncidentKind::Drift, _) => {
            let name = workflow_label(row, view);
            match view.drift_status {
                Some(DriftStatus::Missing) => format!("'{name}' is missing"),
                Some(DriftStatus::Untracked) => format!("'{name}' is untracked"),
                _ => format!("'{name}' drifted"),
            }
        }
        (IncidentKind::Executions, Some(name)) => format!("'{name}' executions are failing"),
        (IncidentKind::Executions, None) => "executions are failing".to_owned(),
    };
    let event = match event {
        "breached" => "SLA breached",
        other => other,
    };
    format!(
        "[{}] {}: {what} — {event}",
        view.severity.as_str().to_ascii_uppercase(),
        view.env
    )
}

/// The workflow's name; for a whole-environment executions incident "(every
/// workflow)", for a drift incident without a name its key.
fn workflow_label(row: &IncidentRow, view: &IncidentView) -> String {
    match (&view.workflow, view.kind) {
        (Some(name), _) => name.clone(),
        (None, IncidentKind::Executions) => "(every workflow)".to_owned(),
        (None, IncidentKind::Drift) => row.key.clone(),
    }
}

/// The first lines of what changed (drift) or failed (executions), in words.
fn change_lines(view: &IncidentView) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<String> = match view.kind {
        IncidentKind::Drift => {
            let Some(summary) = &view.summary else {
                return out;
            };
            let mut head = format!(
                "{} change{}",
                summary.changes,
                if summary.changes == 1 { "" } else { "s" }
            );
            if let Some(risk) = summary.risk {
                head.push_str(&format!(", risk {risk}"));
            }
            if let Some(old) = &summary.renamed_from {
                head.push_str(&format!(", renamed from '{old}'"));
            }
            out.push(head);
            summary.lines.clone()
        }
        IncidentKind::Executions => view
            .failures
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    out.extend(
        lines
            .iter()
            .take(SUMMARY_LINES)
            .map(|l| format!("• {}", shorten(l, LINE_CHARS))),
    );
    if lines.len() > SUMMARY_LINES {
        out.push(format!("… and {} more", lines.len() - SUMMARY_LINES));
    }
    out
}

fn mrkdwn(text: String) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

/// Slack's escaping of `&`, `<` and `>` (else `<...>` would be read as a link).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, an ellipsis marking the cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("ééééé", 3), "ééé…");
        assert_eq!(shorten("abc", 3), "abc");
    }

    #[test]
    fn escape_keeps_slack_from_reading_links() {
        assert_eq!(escape("<a&b>"), "&lt;a&amp;b&gt;");
    }
}
