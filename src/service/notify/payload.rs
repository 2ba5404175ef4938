//! The bodies webhooks get, built from an incident row when the notification is
//! enqueued (pure: the time is passed in).
//!
//! - Slack's incoming-webhook JSON (`text` for the notification, `blocks` for the
//!   message): a headline like `[CRITICAL] production: 'Orders' drifted — opened`,
//!   then fields (environment, workflow, state, severity, SLA deadline, assignee), the
//!   first lines of what changed, the resolution, and a context line. Mattermost,
//!   Rocket.Chat and others accept the same body.
//! - A generic JSON: `{"event", "at", "incident": IncidentView}`.

use super::super::canonical_types::DriftSummary;
use super::super::incident_types::IncidentView;
use super::super::types::time_from_ms;
use crate::config::WebhookFormat;
use crate::domain::diff::Risk;
use crate::domain::drift::DriftStatus;
use crate::domain::incident::{ClassPolicy, Clock, IncidentKind, sla_deadline};
use crate::store::incidents::IncidentRow;
use serde_json::{Value, json};

/// Lines of the change summary a Slack message shows.
const SUMMARY_LINES: usize = 5;
/// Characters of one summary line, and of a resolution note, in a Slack message.
const LINE_CHARS: usize = 200;
const NOTE_CHARS: usize = 600;

/// The body for a webhook of `format` about `event` (opened, escalated, breached,
/// resolved) of `row`, which happened at `at_ms`; `policy` is the class policy of the
/// incident's environment (its TTLs give the SLA deadline).
pub(crate) fn build(
    format: WebhookFormat,
    event: &str,
    row: &IncidentRow,
    policy: &ClassPolicy,
    at_ms: i64,
) -> Value {
    match format {
        WebhookFormat::Slack => slack(event, row, policy),
        WebhookFormat::Json => generic(event, row, policy, at_ms),
    }
}

/// `{"event": "...", "at": "<RFC 3339>", "incident": IncidentView}`.
pub(crate) fn generic(event: &str, row: &IncidentRow, policy: &ClassPolicy, at_ms: i64) -> Value {
    json!({
        "event": event,
        "at": time_from_ms(at_ms),
        "incident": incident_view(row, policy),
    })
}

/// Slack's incoming-webhook body: `{"text": headline, "blocks": [...]}`.
pub(crate) fn slack(event: &str, row: &IncidentRow, policy: &ClassPolicy) -> Value {
    let title = headline(event, row);
    let open = row.state.is_open();
    let deadline = match open {
        true => when(sla_deadline(&clock(row), policy)),
        false => "none (resolved)".to_owned(),
    };
    let severity = match row.severity_manual {
        true => format!("{} (set by hand)", row.severity),
        false => row.severity.to_string(),
    };
    let fields = [
        ("Environment", row.env.clone()),
        ("Workflow", workflow_label(row)),
        ("State", row.state.to_string()),
        ("Severity", severity),
        ("SLA deadline", deadline),
        (
            "Assignee",
            row.assignee.clone().unwrap_or_else(|| "unassigned".into()),
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
    let changes = change_lines(row);
    if !changes.is_empty() {
        let lines: Vec<String> = changes.iter().map(|l| escape(l)).collect();
        let heading = match row.kind {
            IncidentKind::Drift => "What changed",
            IncidentKind::Executions => "What failed",
        };
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn(format!("*{heading}*\n{}", lines.join("\n"))),
        }));
    }
    if !open {
        let by = row.resolved_by.as_deref().unwrap_or("someone");
        let note = row
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
        row.id,
        when(row.opened_at),
        row.opened_by
    );
    if row.escalations > 0 {
        context.push_str(&format!(" · escalated {}×", row.escalations));
    }
    if let Some(breached) = row.breached_at {
        context.push_str(&format!(" · SLA first breached {}", when(breached)));
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn(escape(&context))]}));
    json!({"text": escape(&title), "blocks": blocks})
}

/// `[CRITICAL] production: 'Orders' drifted — opened`.
pub(crate) fn headline(event: &str, row: &IncidentRow) -> String {
    let what = match (row.kind, &row.workflow) {
        (IncidentKind::Drift, _) => {
            let name = workflow_label(row);
            match drift_status(row) {
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
        row.severity.as_str().to_ascii_uppercase(),
        row.env
    )
}

/// The incident as the service's lists show it, with its SLA deadline under `policy`.
pub(crate) fn incident_view(row: &IncidentRow, policy: &ClassPolicy) -> IncidentView {
    let (summary, failures) = match row.kind {
        IncidentKind::Drift => (drift_summary(row), None),
        IncidentKind::Executions => (None, row.summary.clone()),
    };
    IncidentView {
        id: row.id,
        env: row.env.clone(),
        kind: row.kind,
        workflow: row.workflow.clone(),
        canonical_id: row.canonical_id.clone(),
        n8n_id: row.n8n_id.clone(),
        severity: row.severity,
        severity_manual: row.severity_manual,
        state: row.state,
        opened_at: time_from_ms(row.opened_at),
        sla_deadline: time_from_ms(sla_deadline(&clock(row), policy)),
        breached: row.breached_at.is_some(),
        escalations: row.escalations,
        assignee: row.assignee.clone(),
        acknowledged_by: row.acknowledged_by.clone(),
        acknowledged_at: row.acknowledged_at.map(time_from_ms),
        resolved_by: row.resolved_by.clone(),
        resolved_at: row.resolved_at.map(time_from_ms),
        resolution: row.resolution.clone(),
        drift_status: drift_status(row),
        risk: row.risk.as_deref().and_then(parse_risk),
        summary,
        failures,
        updated_at: time_from_ms(row.updated_at),
        env_class: None,
        offered: Default::default(),
    }
}

fn clock(row: &IncidentRow) -> Clock {
    Clock {
        state: row.state,
        severity: row.severity,
        sla_started_at: row.sla_started_at,
        last_activity_at: row.last_activity_at,
    }
}

fn workflow_label(row: &IncidentRow) -> String {
    match (&row.workflow, row.kind) {
        (Some(name), _) => name.clone(),
        (None, IncidentKind::Executions) => "(every workflow)".to_owned(),
        (None, IncidentKind::Drift) => row.key.clone(),
    }
}

fn drift_status(row: &IncidentRow) -> Option<DriftStatus> {
    DriftStatus::parse(row.drift_status.as_deref()?.trim())
}

fn parse_risk(text: &str) -> Option<Risk> {
    [Risk::Low, Risk::Medium, Risk::High]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(text.trim()))
}

/// The stored drift summary (None when absent or not a `DriftSummary`).
fn drift_summary(row: &IncidentRow) -> Option<DriftSummary> {
    serde_json::from_str(row.summary.as_deref()?).ok()
}

/// The first lines of what changed (drift) or failed (executions), in words.
fn change_lines(row: &IncidentRow) -> Vec<String> {
    let mut out = Vec::new();
    let (lines, total) = match row.kind {
        IncidentKind::Drift => {
            let Some(summary) = drift_summary(row) else {
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
            let total = summary.lines.len();
            (summary.lines, total)
        }
        IncidentKind::Executions => {
            let lines: Vec<String> = row
                .summary
                .as_deref()
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            let total = lines.len();
            (lines, total)
        }
    };
    out.extend(
        lines
            .iter()
            .take(SUMMARY_LINES)
            .map(|l| format!("• {}", shorten(l, LINE_CHARS))),
    );
    if total > SUMMARY_LINES {
        out.push(format!("… and {} more", total - SUMMARY_LINES));
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

/// `2024-05-01 12:00 UTC`.
fn when(ms: i64) -> String {
    time_from_ms(ms).format("%Y-%m-%d %H:%M UTC").to_string()
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

    #[test]
    fn risk_parses_any_case() {
        assert_eq!(parse_risk("HIGH"), Some(Risk::High));
        assert_eq!(parse_risk("low"), Some(Risk::Low));
        assert_eq!(parse_risk("extreme"), None);
    }
}
