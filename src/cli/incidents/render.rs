//! How incidents read in the terminal: the triage list (with its SLA countdown), one
//! incident with its timeline and notifications, the metrics, a sweep, a remediation.
//! Every function takes `now`, so the output is the same whenever it is rendered.
//! Durations and the SLA countdown read as the domain writes them everywhere
//! (`short_duration`, `sla_countdown`): `23h12m`, `3d4h`, `BREACHED +2h00m`.

use super::super::output::{self, columns};
use super::super::snapshot::plural;
use crate::domain::incident::{
    IncidentKind, IncidentState, Spread, StatsRow, short_duration, sla_countdown,
};
use crate::service::{
    DeliveryView, IncidentDetail, IncidentEventView, IncidentPolicyView, IncidentStats,
    IncidentView, RestoreReport, SweepReport, Time,
};

fn ms_between(from: Time, to: Time) -> i64 {
    (to - from).num_milliseconds()
}

/// The SLA cell: time left (`23h12m`), `BREACHED +2h00m` once past the deadline, `-`
/// for a resolved incident.
pub fn sla_cell(i: &IncidentView, now: Time) -> String {
    if !i.state.is_open() {
        return "-".into();
    }
    sla_countdown(ms_between(now, i.sla_deadline))
}

/// The workflow an incident is about, or the whole environment's.
pub fn workflow_cell(i: &IncidentView) -> String {
    match &i.workflow {
        Some(w) => w.clone(),
        None => "(all workflows)".into(),
    }
}

/// One row per incident: ID, SEV, ENV, WORKFLOW, STATE, AGE, SLA, ASSIGNEE.
pub fn list_rows(list: &[IncidentView], now: Time) -> Vec<Vec<String>> {
    list.iter()
        .map(|i| {
            let sev = if i.severity_manual {
                format!("{}*", i.severity)
            } else {
                i.severity.to_string()
            };
            vec![
                i.id.to_string(),
                sev,
                i.env.clone(),
                workflow_cell(i),
                i.state.as_str().into(),
                short_duration(ms_between(i.opened_at, now)),
                sla_cell(i, now),
                i.assignee.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect()
}

/// The list as `incidents list` prints it (headers included).
pub fn render_list(list: &[IncidentView], now: Time) -> String {
    let mut out = columns(
        &[
            "ID", "SEV", "ENV", "WORKFLOW", "STATE", "AGE", "SLA", "ASSIGNEE",
        ],
        &list_rows(list, now),
        "",
    );
    if list.iter().any(|i| i.severity_manual) {
        out.push_str("* severity set by hand\n");
    }
    out
}

/// `DRIFTED, risk HIGH` for a drift incident; `executions` with what failed otherwise.
fn cause(i: &IncidentView) -> String {
    match i.kind {
        IncidentKind::Drift => {
            let mut parts = vec!["drift".to_owned()];
            if let Some(s) = i.drift_status {
                parts.push(s.as_str().to_owned());
            }
            if let Some(r) = i.risk {
                parts.push(format!("risk {r}"));
            }
            parts.join(", ")
        }
        IncidentKind::Executions => "failing executions".into(),
    }
}

fn at(t: Time) -> String {
    format!("{} UTC", output::time(Some(t)))
}

/// Indents every line of `text` by `indent` (a blank line stays blank).
fn indented(text: &str, indent: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                "\n".to_owned()
            } else {
                format!("{indent}{l}\n")
            }
        })
        .collect()
}

/// The incident's facts, a line each.
pub fn render_incident(i: &IncidentView, now: Time) -> String {
    let mut out = format!(
        "Incident #{}  {}{}  {}  ({})\n",
        i.id,
        i.severity,
        if i.severity_manual {
            " (set by hand)"
        } else {
            ""
        },
        i.state,
        cause(i)
    );
    let ids: Vec<String> = [
        i.canonical_id.as_ref().map(|c| format!("canonical {c}")),
        i.n8n_id.as_ref().map(|n| format!("n8n {n}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let ids = if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
    };
    match &i.workflow {
        Some(w) => out.push_str(&format!("  workflow '{w}' in {}{ids}\n", i.env)),
        None => out.push_str(&format!("  every workflow of {}\n", i.env)),
    }
    out.push_str(&format!(
        "  opened {} ({} ago)\n",
        at(i.opened_at),
        short_duration(ms_between(i.opened_at, now))
    ));
    if i.state.is_open() {
        let left = ms_between(now, i.sla_deadline);
        let sla = sla_countdown(left);
        let sla = if left < 0 { sla } else { format!("{sla} left") };
        out.push_str(&format!("  SLA: {sla} (deadline {})\n", at(i.sla_deadline)));
    }
    if i.escalations > 0 || i.breached {
        out.push_str(&format!(
            "  escalated {}{}\n",
            plural(usize::try_from(i.escalations).unwrap_or(0), "time"),
            if i.breached {
                ", past its SLA at least once"
            } else {
                ""
            }
        ));
    }
    if let (Some(by), Some(t)) = (&i.acknowledged_by, i.acknowledged_at) {
        out.push_str(&format!("  acknowledged by {by} at {}\n", at(t)));
    }
    out.push_str(&format!(
        "  assignee: {}\n",
        i.assignee.as_deref().unwrap_or("nobody")
    ));
    if i.state == IncidentState::Resolved {
        let by = i.resolved_by.as_deref().unwrap_or("?");
        let when = i.resolved_at.map(at).unwrap_or_else(|| "?".into());
        out.push_str(&format!("  resolved by {by} at {when}:\n"));
        if let Some(r) = &i.resolution {
            out.push_str(&indented(r, "    "));
        }
    }
    if let Some(s) = &i.summary {
        let mut head = format!("  {}", plural(s.changes, "change"));
        if let Some(r) = s.risk {
            head.push_str(&format!(", risk {r}"));
        }
        if let Some(from) = &s.renamed_from {
            head.push_str(&format!(", renamed from '{from}'"));
        }
        out.push_str(&format!("{head} (at the last check)\n"));
        for l in &s.lines {
            out.push_str(&format!("    {l}\n"));
        }
    }
    if let Some(f) = &i.failures {
        out.push_str(&indented(f, "  "));
    }
    out
}

/// One timeline entry: when, who, what; then its text whole (a note keeps its lines),
/// the drift it saw and the job or commit it refers to.
fn render_event(e: &IncidentEventView) -> String {
    let mut out = format!(
        "  {}  {}  {}\n",
        output::time(Some(e.at)),
        e.actor,
        e.kind.as_str().replace('_', " ")
    );
    if let Some(t) = &e.text {
        out.push_str(&indented(t, "      "));
    }
    if let Some(s) = &e.summary {
        // The text usually says the count and risk already; the lines it lacks follow.
        if e.text.is_none() {
            let risk = s.risk.map(|r| format!(", risk {r}")).unwrap_or_default();
            out.push_str(&format!("      {}{risk}\n", plural(s.changes, "change")));
        }
        let said = e.text.as_deref().unwrap_or("");
        for l in s.lines.iter().filter(|l| !said.contains(l.as_str())) {
            out.push_str(&format!("        {l}\n"));
        }
    }
    if let Some(r) = &e.reference {
        out.push_str(&format!("      ({r})\n"));
    }
    out
}

fn delivery_rows(list: &[DeliveryView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|d| {
            vec![
                d.event.clone(),
                d.target.clone(),
                d.status.as_str().into(),
                d.attempts.to_string(),
                output::time(Some(d.created_at)),
                output::time(d.delivered_at),
                d.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// `incidents show`: the incident, its timeline (oldest first), its notifications.
pub fn render_detail(d: &IncidentDetail, now: Time) -> String {
    let mut out = render_incident(&d.incident, now);
    out.push_str("\nTimeline:\n");
    if d.timeline.is_empty() {
        out.push_str("  (empty)\n");
    }
    for e in &d.timeline {
        out.push_str(&render_event(e));
    }
    if d.deliveries.is_empty() {
        out.push_str("\nNo notifications.\n");
    } else {
        out.push_str("\nNotifications:\n");
        out.push_str(&columns(
            &[
                "EVENT",
                "WEBHOOK",
                "STATUS",
                "ATTEMPTS",
                "CREATED",
                "DELIVERED",
                "ERROR",
            ],
            &delivery_rows(&d.deliveries),
            "  ",
        ));
    }
    out
}

/// `12m / 10m / 30m` (mean, p50, p90), or `-` without any.
fn spread_cell(s: Option<&Spread>) -> String {
    s.map_or_else(
        || "-".into(),
        |s| {
            format!(
                "{} / {} / {}",
                short_duration(s.mean_ms),
                short_duration(s.p50_ms),
                short_duration(s.p90_ms)
            )
        },
    )
}

fn stats_rows(rows: &[StatsRow], env: Option<&str>) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                env.map_or_else(|| r.env.clone(), str::to_owned),
                r.severity.to_string(),
                r.opened.to_string(),
                r.resolved.to_string(),
                spread_cell(r.mtta.as_ref()),
                spread_cell(r.mttr.as_ref()),
            ]
        })
        .collect()
}

/// `incidents stats`: MTTA and MTTR per environment and severity, then every
/// environment together.
pub fn render_stats(s: &IncidentStats) -> String {
    let mut out = format!(
        "Incidents opened from {} to {}\n\
         MTTA: time to acknowledge, MTTR: time to resolve (mean / p50 / p90)\n",
        at(s.from),
        at(s.to)
    );
    if s.rows.is_empty() {
        out.push_str("No incident was opened in that period.\n");
        return out;
    }
    let headers = ["ENV", "SEV", "OPENED", "RESOLVED", "MTTA", "MTTR"];
    let mut rows = stats_rows(&s.rows, None);
    if !s.totals.is_empty() {
        rows.extend(stats_rows(&s.totals, Some("(all)")));
    }
    out.push_str(&columns(&headers, &rows, ""));
    out
}

/// `incidents policy`: where the policy comes from, then its TOML.
pub fn render_policy(p: &IncidentPolicyView) -> String {
    let from = match (p.source.as_str(), &p.updated_by, p.updated_at) {
        ("store", Some(by), Some(t)) => format!("edited in n8nops by {by} at {}", at(t)),
        ("store", _, _) => "edited in n8nops".into(),
        _ => "the config file's [incidents.policy]".into(),
    };
    let mut out = format!("# The incident policy in force: {from}.\n");
    out.push_str(if p.editable {
        "# You may edit it (from the TUI).\n"
    } else {
        "# Only incidents.admins may edit it.\n"
    });
    out.push_str(&p.toml);
    if !p.toml.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `incidents sweep`: what one sweep did, then what it could not do, a line each.
pub fn render_sweep(r: &SweepReport) -> String {
    let mut out = format!(
        "Swept: {} escalated, {} reopened; failure thresholds opened {} and resolved {}; \
         retention removed {} and {}; notifications: {} delivered, {} failed.\n",
        r.escalated,
        r.reopened,
        plural(r.failures_opened, "incident"),
        r.failures_resolved,
        plural(
            usize::try_from(r.purged_incidents).unwrap_or(usize::MAX),
            "resolved incident"
        ),
        plural(
            usize::try_from(r.purged_checks).unwrap_or(usize::MAX),
            "drift check"
        ),
        r.delivered,
        r.delivery_failures
    );
    if !r.failures.is_empty() {
        out.push_str(&format!("{}:\n", plural(r.failures.len(), "failure")));
        for failure in &r.failures {
            out.push_str(&format!("  {}\n", failure.replace('\n', " ")));
        }
    }
    out
}

/// What `revert ID` without `--yes` would do: changes nothing.
pub fn render_revert_plan(i: &IncidentView) -> String {
    let name = workflow_cell(i);
    let what = match i.drift_status {
        Some(crate::domain::drift::DriftStatus::Missing) => "created again",
        _ => "put back",
    };
    format!(
        "Reverting incident #{id} would restore '{name}' in {env} to its canonical version \
         ({canonical}): {env} is snapshotted first (so it can be rolled back), the workflow is \
         {what} and verified by fingerprint, and the incident resolves when that succeeds.\n\
         Nothing was changed. To do it: n8nops incidents revert {id} --yes\n",
        id = i.id,
        env = i.env,
        canonical = i.canonical_id.as_deref().unwrap_or("?"),
    )
}

/// The restore a revert ran, in a few lines.
pub fn render_restore(r: &RestoreReport) -> String {
    let mut out = format!("Restored {} from {}:\n", r.env, r.snapshot);
    for i in &r.items {
        let outcome = if !i.ok {
            format!("FAILED: {}", i.error.as_deref().unwrap_or("no error given"))
        } else if i.verified {
            "verified".into()
        } else {
            "written, NOT verified".into()
        };
        out.push_str(&format!("  '{}': {outcome}\n", i.name));
    }
    if let Some(s) = &r.replaced {
        out.push_str(&format!(
            "Snapshot before: {s} (roll back with: n8nops restore {} --snapshot {s})\n",
            r.env
        ));
    }
    out
}

/// A line saying where an incident stands after a change.
pub fn render_changed(i: &IncidentView) -> String {
    let assignee = match &i.assignee {
        Some(a) => format!("assigned to {a}"),
        None => "unassigned".into(),
    };
    format!(
        "Incident #{} ({} '{}' in {}): {}, {assignee}.\n",
        i.id,
        i.severity,
        workflow_cell(i),
        i.env,
        i.state
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::diff::Risk;
    use crate::domain::drift::DriftStatus;
    use crate::domain::incident::{EventKind, Severity};
    use crate::service::DriftSummary;
    use crate::store::incidents::DeliveryStatus;
    use chrono::TimeZone;

    fn t(d: u32, h: u32, m: u32) -> Time {
        chrono::Utc
            .with_ymd_and_hms(2026, 3, d, h, m, 0)
            .single()
            .unwrap()
    }

    pub fn view(id: i64, severity: Severity, workflow: Option<&str>) -> IncidentView {
        IncidentView {
            id,
            env: "prod".into(),
            kind: IncidentKind::Drift,
            workflow: workflow.map(str::to_owned),
            canonical_id: Some("c-orders".into()),
            n8n_id: Some("12".into()),
            severity,
            severity_manual: false,
            state: IncidentState::Open,
            opened_at: t(1, 10, 0),
            sla_deadline: t(2, 10, 0),
            breached: false,
            escalations: 0,
            assignee: None,
            acknowledged_by: None,
            acknowledged_at: None,
            resolved_by: None,
            resolved_at: None,
            resolution: None,
            drift_status: Some(DriftStatus::Drifted),
            risk: Some(Risk::High),
            summary: None,
            failures: None,
            updated_at: t(1, 10, 0),
            env_class: None,
            offered: Default::default(),
        }
    }

    #[test]
    fn the_sla_counts_down_then_says_breached() {
        let i = view(4, Severity::Critical, Some("Orders"));
        assert_eq!(sla_cell(&i, t(1, 10, 48)), "23h12m");
        assert_eq!(sla_cell(&i, t(2, 12, 0)), "BREACHED +2h00m");
        assert_eq!(sla_cell(&i, t(2, 10, 0)), "0s", "due now, not yet past");
        assert_eq!(sla_cell(&i, t(2, 10, 1)), "BREACHED +1m");
        let shown = render_incident(&i, t(2, 12, 0));
        assert!(
            shown.contains("  SLA: BREACHED +2h00m (deadline "),
            "{shown}"
        );
        let shown = render_incident(&i, t(1, 10, 48));
        assert!(shown.contains("  SLA: 23h12m left (deadline "), "{shown}");
        let mut done = i.clone();
        done.state = IncidentState::Resolved;
        assert_eq!(sla_cell(&done, t(2, 12, 0)), "-");
    }

    #[test]
    fn the_list_has_its_columns() {
        let mut acked = view(7, Severity::High, None);
        acked.kind = IncidentKind::Executions;
        acked.state = IncidentState::Acknowledged;
        acked.assignee = Some("carol".into());
        acked.opened_at = t(1, 6, 30);
        acked.sla_deadline = t(1, 11, 0);
        acked.severity_manual = true;
        let list = [view(4, Severity::Critical, Some("Orders")), acked];
        insta::assert_snapshot!("incidents_list", render_list(&list, t(1, 12, 0)));
    }

    #[test]
    fn show_keeps_notes_whole_and_lists_deliveries() {
        let mut i = view(4, Severity::Critical, Some("Orders"));
        i.state = IncidentState::Resolved;
        i.acknowledged_by = Some("bob".into());
        i.acknowledged_at = Some(t(1, 10, 20));
        i.assignee = Some("bob".into());
        i.resolved_by = Some("bob".into());
        i.resolved_at = Some(t(1, 11, 0));
        i.resolution = Some("reverted by hand\nafter checking with the owner".into());
        i.escalations = 1;
        i.breached = true;
        i.summary = Some(DriftSummary {
            changes: 2,
            risk: Some(Risk::High),
            renamed_from: None,
            lines: vec![
                "node 'HTTP' parameters.url changed".into(),
                "node 'Set' added".into(),
            ],
        });
        let event = |at, actor: &str, kind, text: Option<&str>| IncidentEventView {
            at,
            actor: actor.into(),
            kind,
            text: text.map(str::to_owned),
            summary: None,
            reference: None,
        };
        let mut opened = event(
            t(1, 10, 0),
            "n8nops",
            EventKind::Opened,
            Some("DRIFTED: 2 changes, HIGH risk (node 'HTTP' parameters.url changed)"),
        );
        opened.summary = i.summary.clone();
        let mut changed = event(t(1, 10, 10), "n8nops", EventKind::Changed, None);
        changed.summary = i.summary.clone();
        let detail = IncidentDetail {
            incident: i,
            timeline: vec![
                opened,
                changed,
                event(t(1, 10, 20), "bob", EventKind::Acknowledged, None),
                event(
                    t(1, 10, 30),
                    "bob",
                    EventKind::Note,
                    Some("first line\n\nthird line, after a blank one"),
                ),
                event(
                    t(1, 11, 0),
                    "bob",
                    EventKind::Resolved,
                    Some("reverted by hand\nafter checking with the owner"),
                ),
            ],
            deliveries: vec![
                DeliveryView {
                    event: "opened".into(),
                    target: "ops-slack".into(),
                    status: DeliveryStatus::Delivered,
                    attempts: 1,
                    last_error: None,
                    created_at: t(1, 10, 0),
                    delivered_at: Some(t(1, 10, 0)),
                },
                DeliveryView {
                    event: "resolved".into(),
                    target: "pager".into(),
                    status: DeliveryStatus::Pending,
                    attempts: 2,
                    last_error: Some("webhook 'pager' answered 503".into()),
                    created_at: t(1, 11, 0),
                    delivered_at: None,
                },
            ],
        };
        let text = render_detail(&detail, t(1, 12, 0));
        assert!(
            text.contains("      first line\n\n      third line, after a blank one\n"),
            "{text}"
        );
        insta::assert_snapshot!("incident_show", text);
    }

    #[test]
    fn stats_print_mean_p50_p90_per_env_and_severity() {
        let spread = |mean, p50, p90| Spread {
            count: 3,
            mean_ms: mean,
            p50_ms: p50,
            p90_ms: p90,
        };
        let row = |env: &str, severity, mtta, mttr| StatsRow {
            env: env.into(),
            severity,
            opened: 3,
            resolved: 2,
            mtta,
            mttr,
        };
        let stats = IncidentStats {
            from: t(1, 0, 0),
            to: t(31, 0, 0),
            rows: vec![
                row(
                    "prod",
                    Severity::Critical,
                    Some(spread(12 * 60_000, 10 * 60_000, 30 * 60_000)),
                    Some(spread(3_600_000 + 30 * 60_000, 3_600_000, 5 * 3_600_000)),
                ),
                row("staging", Severity::Low, None, None),
            ],
            totals: vec![row(
                "",
                Severity::Critical,
                Some(spread(12 * 60_000, 10 * 60_000, 30 * 60_000)),
                None,
            )],
        };
        let text = render_stats(&stats);
        assert!(text.contains("12m / 10m / 30m"), "{text}");
        assert!(text.contains("1h30m / 1h00m / 5h00m"), "{text}");
        insta::assert_snapshot!("incidents_stats", text);
        let empty = IncidentStats {
            rows: vec![],
            totals: vec![],
            ..stats
        };
        assert!(render_stats(&empty).contains("No incident was opened"));
    }

    #[test]
    fn a_sweep_lists_its_failures_a_line_each() {
        let mut report = SweepReport {
            escalated: 1,
            delivered: 2,
            ..SweepReport::default()
        };
        let clean = render_sweep(&report);
        assert!(
            clean.starts_with("Swept: 1 escalated, 0 reopened;"),
            "{clean}"
        );
        assert_eq!(clean.lines().count(), 1, "{clean}");
        report.failures = vec![
            "environment 'prod': the failed executions could not be read: connection refused"
                .into(),
            "incident #4 'Orders' in prod: not escalated:\nthe store is locked".into(),
        ];
        let text = render_sweep(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "2 failures:",
                "  environment 'prod': the failed executions could not be read: connection refused",
                "  incident #4 'Orders' in prod: not escalated: the store is locked",
            ],
            "{text}"
        );
    }

    #[test]
    fn a_revert_plan_says_what_it_would_do() {
        let text = render_revert_plan(&view(4, Severity::Critical, Some("Orders")));
        assert!(
            text.contains("restore 'Orders' in prod to its canonical version (c-orders)"),
            "{text}"
        );
        assert!(text.contains("Nothing was changed"), "{text}");
        assert!(text.contains("n8nops incidents revert 4 --yes"), "{text}");
    }
}
