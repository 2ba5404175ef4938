//! How deployments read in the terminal: lists, details, reports, each workflow's
//! diff in a few lines.

use super::super::Context;
use super::super::output::{self, columns};
use super::super::snapshot::{diff_line, plural, short_commit};
use crate::domain::deployment::DeploymentState;
use crate::domain::diff::{NodeChangeKind, WorkflowDiff};
use crate::domain::promotion::PlanSummary;
use crate::service::{
    DeploymentDetail, DeploymentItemView, DeploymentView, ItemOutcome, PromotionReport,
    RestoreReport, Time,
};
use anyhow::{Result, bail};

/// Prints a report (or with `--json`, the report as JSON).
pub fn print_report(ctx: &Context, report: &PromotionReport) -> Result<()> {
    if ctx.json {
        return output::json(report);
    }
    print!("{}", render_report(report));
    Ok(())
}

/// Fails (exit 2) when the deployment did not end COMPLETED, saying how it ended.
pub fn ensure_completed(report: &PromotionReport) -> Result<()> {
    match report.state {
        DeploymentState::Completed => Ok(()),
        DeploymentState::Failed => bail!(
            "deployment {} failed; {} was rolled back to {}",
            report.deployment_id,
            report.target_env,
            report.snapshot.as_deref().unwrap_or("its snapshot")
        ),
        DeploymentState::RollbackFailed => bail!(
            "deployment {} failed and its rollback failed too: {} may differ from {}; it needs a person",
            report.deployment_id,
            report.target_env,
            report.snapshot.as_deref().unwrap_or("its snapshot")
        ),
        state => bail!(
            "deployment {} ended {state}, not COMPLETED",
            report.deployment_id
        ),
    }
}

/// `+2 ~3 -0 hold 1`: created, updated, deleted, and held (when any).
pub fn summary_text(s: &PlanSummary) -> String {
    let a = &s.by_action;
    let mut text = format!("+{} ~{} -{}", a.create, a.update, a.delete);
    if a.hold > 0 {
        text.push_str(&format!(" hold {}", a.hold));
    }
    if s.overrides > 0 {
        text.push_str(&format!(" override {}", s.overrides));
    }
    text
}

/// `dev -> prod`.
pub fn route(d: &DeploymentView) -> String {
    format!("{} -> {}", d.source_env, d.target_env)
}

/// What a deployment waits for, or where it stands, in a sentence or two; empty when
/// its state says it all.
pub fn state_lines(d: &DeploymentView) -> String {
    let mut out = String::new();
    match d.state {
        DeploymentState::PendingApproval => {
            let a = &d.approvals;
            let who = if a.required == 1 {
                "someone other than"
            } else {
                "people other than"
            };
            out.push_str(&format!(
                "Waits for {} of {} from {who} {} ({} so far{}).\n",
                plural(a.required, "approval"),
                d.target_env,
                d.requested_by,
                a.counted.len(),
                if a.counted.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.counted.join(", "))
                }
            ));
            if !a.stale.is_empty() {
                out.push_str(&format!(
                    "Stale approvals (given on an earlier plan, not counted): {}.\n",
                    a.stale.join(", ")
                ));
            }
            out.push_str(&format!(
                "Approve with: n8nops approvals approve {}\n",
                d.id
            ));
        }
        DeploymentState::Pending => out.push_str(&format!(
            "Its plan is stale (a side changed since it was planned): \
             n8nops deployments replan {}\n",
            d.id
        )),
        DeploymentState::Rejected => out.push_str("Rejected: nothing runs.\n"),
        DeploymentState::Cancelled => out.push_str("Cancelled: nothing runs.\n"),
        DeploymentState::RollbackFailed => out.push_str(&format!(
            "The rollback failed: {} may differ from its snapshot; it needs a person.\n",
            d.target_env
        )),
        _ => {}
    }
    if let Some(at) = d.scheduled_for
        && d.state.is_pending()
    {
        out.push_str(&format!(
            "Scheduled for {} UTC: it runs then while `n8nops` (the TUI) runs, \
             or through `n8nops deployments run-due`.\n",
            output::time(Some(at))
        ));
    }
    out
}

/// One row per deployment: ID, STATE, FROM->TO, PIPELINE, BY, REQUESTED, SUMMARY.
pub(super) fn list_rows(list: &[DeploymentView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|d| {
            vec![
                d.id.clone(),
                d.state.as_str().into(),
                route(d),
                d.pipeline.clone().unwrap_or_else(|| "-".into()),
                d.requested_by.clone(),
                output::time(Some(d.requested_at)),
                summary_text(&d.summary),
            ]
        })
        .collect()
}

pub(super) fn outcome_word(outcome: Option<ItemOutcome>) -> &'static str {
    outcome.map_or("-", ItemOutcome::as_str)
}

/// One row per item: NAME, STATUS, ACTION, OUTCOME, DETAIL (the error, or the target's id).
pub(super) fn item_rows(items: &[DeploymentItemView]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|i| {
            let detail = match (&i.error, &i.target_id) {
                (Some(e), _) => e.clone(),
                (None, Some(id)) => format!("(n8n {id})"),
                (None, None) => String::new(),
            };
            vec![
                i.name.clone(),
                i.status.as_str().into(),
                i.action.as_str().into(),
                outcome_word(i.outcome).into(),
                detail,
            ]
        })
        .collect()
}

/// What a deployment's job did: each workflow, the snapshot, the commit, the rollback.
pub fn render_report(r: &PromotionReport) -> String {
    let mut out = format!(
        "Deployment {} ({} -> {}): {}\n",
        r.deployment_id, r.source_env, r.target_env, r.state
    );
    if !r.items.is_empty() {
        out.push_str(&columns(
            &["NAME", "STATUS", "ACTION", "OUTCOME", "DETAIL"],
            &item_rows(&r.items),
            "  ",
        ));
    }
    if let Some(s) = &r.snapshot {
        out.push_str(&format!("Snapshot of {} before: {s}\n", r.target_env));
    }
    if let Some(c) = &r.commit {
        out.push_str(&format!("Recorded as commit {}.\n", short_commit(c)));
    }
    if let Some(rb) = &r.rollback {
        out.push_str(&rollback_line(rb));
    }
    if r.state == DeploymentState::Completed && r.snapshot.is_some() {
        out.push_str(&format!(
            "Roll back with: n8nops deployments rollback {} --yes\n",
            r.deployment_id
        ));
    }
    out
}

/// The rollback to the snapshot in a line (and the workflows it could not restore).
pub(super) fn rollback_line(rb: &RestoreReport) -> String {
    let bad: Vec<&str> = rb
        .items
        .iter()
        .filter(|i| !i.ok || !(i.verified || i.action == crate::service::RestoreAction::Delete))
        .map(|i| i.name.as_str())
        .collect();
    if bad.is_empty() {
        format!(
            "Rolled back {} to {}: {} restored and verified.\n",
            rb.env,
            rb.snapshot,
            plural(rb.items.len(), "workflow")
        )
    } else {
        format!(
            "Rollback of {} to {}: {} of {} failed or unverified: {}\n",
            rb.env,
            rb.snapshot,
            bad.len(),
            plural(rb.items.len(), "workflow"),
            bad.join(", ")
        )
    }
}

pub(super) fn opt_time(label: &str, t: Option<Time>) -> Option<String> {
    t.map(|t| format!("{label} {} UTC", output::time(Some(t))))
}

/// A deployment with everything it did, for `deployments show`.
pub fn render_detail(detail: &DeploymentDetail, with_diff: bool) -> String {
    let d = &detail.deployment;
    let mut out = format!("Deployment {}  {}\n", d.id, d.state);
    let through = match (&d.pipeline, &d.stage) {
        (Some(p), Some(s)) => format!("  (pipeline {p}, stage {s})"),
        (Some(p), None) => format!("  (pipeline {p})"),
        _ => String::new(),
    };
    out.push_str(&format!("  {}{through}\n", route(d)));
    out.push_str(&format!(
        "  requested by {} at {} UTC\n",
        d.requested_by,
        output::time(Some(d.requested_at))
    ));
    let times: Vec<String> = [
        opt_time("scheduled for", d.scheduled_for),
        opt_time("started", d.started_at),
        opt_time("finished", d.finished_at),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !times.is_empty() {
        out.push_str(&format!("  {}\n", times.join(", ")));
    }
    out.push_str(&format!(
        "  plan {}: {}\n",
        short_commit(&d.plan_hash),
        summary_text(&d.summary)
    ));
    let a = &d.approvals;
    if a.required > 0 {
        let mut line = format!(
            "  approvals: {} of {} ({})",
            a.counted.len(),
            a.required,
            if a.approved { "approved" } else { "not yet" }
        );
        if !a.counted.is_empty() {
            line.push_str(&format!(" by {}", a.counted.join(", ")));
        }
        if !a.stale.is_empty() {
            line.push_str(&format!("; stale: {}", a.stale.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    let r = &detail.request;
    if !r.hotfix_overrides.is_empty() {
        out.push_str(&format!(
            "  hotfix overrides: {}\n",
            r.hotfix_overrides.join(", ")
        ));
    }
    if !r.acknowledged_drift.is_empty() {
        out.push_str(&format!(
            "  drift acknowledged: {}\n",
            r.acknowledged_drift.join(", ")
        ));
    }
    if r.delete_missing {
        out.push_str("  deletes target workflows the source lacks\n");
    }
    if let Some(s) = &d.snapshot {
        out.push_str(&format!("  snapshot before: {s}\n"));
    }
    if let Some(c) = &detail.commit {
        out.push_str(&format!("  commit: {}\n", short_commit(c)));
    }
    if let Some(of) = &d.rollback_of {
        out.push_str(&format!("  rolls back deployment {of}\n"));
    }
    if let Some(job) = &d.job_id {
        out.push_str(&format!("  job: {job} (`n8nops jobs show {job}`)\n"));
    }
    if let Some(e) = &d.error {
        out.push_str(&format!("  error: {e}\n"));
    }
    out.push_str(&state_lines(d));
    if detail.items.is_empty() {
        out.push_str("\nNo workflows.\n");
    } else {
        out.push_str("\nWorkflows:\n");
        out.push_str(&columns(
            &["NAME", "STATUS", "ACTION", "OUTCOME", "DETAIL"],
            &item_rows(&detail.items),
            "  ",
        ));
    }
    if !detail.decisions.is_empty() {
        out.push_str("\nDecisions:\n");
        let rows: Vec<Vec<String>> = detail
            .decisions
            .iter()
            .map(|dec| {
                let mut remark = Vec::new();
                if dec.stale {
                    remark.push(format!(
                        "STALE (plan {}, not the current one)",
                        short_commit(&dec.plan_hash)
                    ));
                }
                if let Some(note) = &dec.note {
                    remark.push(format!("\"{note}\""));
                }
                vec![
                    output::time(Some(dec.decided_at)),
                    dec.actor.clone(),
                    if dec.approve { "approved" } else { "rejected" }.into(),
                    remark.join("  "),
                ]
            })
            .collect();
        out.push_str(&columns(&[], &rows, "  "));
    }
    if with_diff {
        let diffs: Vec<(&DeploymentItemView, &WorkflowDiff)> = detail
            .items
            .iter()
            .filter_map(|i| i.diff.as_ref().map(|d| (i, d)))
            .collect();
        out.push_str(if diffs.is_empty() {
            "\nNo diffs: no workflow was written.\n"
        } else {
            "\nDiffs (target -> source):\n"
        });
        for (i, diff) in diffs {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                i.name,
                i.action,
                diff_line(diff)
            ));
            out.push_str(&diff_summary(diff));
        }
    }
    out
}

/// The changes of a workflow diff, a line each: names, nodes, connections, settings.
pub(super) fn diff_summary(d: &WorkflowDiff) -> String {
    let mut out = String::new();
    if let Some(n) = &d.name {
        let name = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => format!("'{s}'"),
            serde_json::Value::Null => "(none)".into(),
            other => other.to_string(),
        };
        out.push_str(&format!(
            "    renamed {} -> {}\n",
            name(&n.before),
            name(&n.after)
        ));
    }
    for n in d.visible_nodes(false) {
        let mark = match n.kind {
            NodeChangeKind::Added => "+",
            NodeChangeKind::Removed => "-",
            NodeChangeKind::Renamed => "»",
            NodeChangeKind::Modified => "~",
        };
        let name = match &n.old_name {
            Some(old) => format!("{old} -> {}", n.name),
            None => n.name.clone(),
        };
        let node_type = n.node_type.rsplit('.').next().unwrap_or(&n.node_type);
        out.push_str(&format!("    {mark} {name}  [{node_type}]  {}\n", n.risk));
    }
    if !d.connections.is_empty() {
        out.push_str(&format!(
            "    {}\n",
            plural(d.connections.len(), "connection change")
        ));
    }
    for s in &d.settings {
        out.push_str(&format!("    ~ setting {}\n", s.key));
    }
    out
}
