//! `n8nops restore ENV`: puts an environment (or some of its workflows) back as a
//! snapshot holds it.
//!
//! The plan comes first, always, and is printed; `--dry-run` stops there. Otherwise the
//! person confirms on a terminal (without one, `--yes` is required), the restore runs
//! as a job, and each workflow's result is printed with the snapshot that rolls it
//! back. Exit 2 when any workflow was not restored and verified.

use super::context::Context;
use super::follow::follow;
use super::output;
use super::snapshot::{diff_line, plural, short_commit};
use crate::service::{Ops, RestoreAction, RestoreItem, RestorePlan, RestoreReport, RestoreRequest};
use anyhow::{Result, bail};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Environment to restore
    pub env: String,
    /// A snapshot id (`ENV/YYYYMMDD-HHMMSS`), tag or commit, or `latest` [default: the environment's latest]
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<String>,
    /// Only these workflows (canonical ids or names); the whole environment when none
    /// is named, which also moves live workflows the snapshot lacks to the trash
    #[arg(long = "workflow", short = 'w', value_name = "W", num_args = 1..)]
    pub workflows: Vec<String>,
    /// Print the plan and stop
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (needed when no terminal can ask)
    #[arg(short, long)]
    pub yes: bool,
}

pub async fn run(ctx: &Context, ops: &dyn Ops, args: RestoreArgs) -> Result<()> {
    let snapshot = args.snapshot.filter(|s| s != "latest");
    let plan = ops
        .restore_plan(RestoreRequest {
            env: args.env.clone(),
            snapshot,
            workflows: args.workflows.clone(),
            dry_run: true,
            confirmed: false,
        })
        .await?;
    if args.dry_run {
        if ctx.json {
            return output::json(&plan);
        }
        print!("{}", render_plan(&plan));
        return Ok(());
    }
    if !ctx.json {
        print!("{}", render_plan(&plan));
    } else if !args.yes {
        // Stdout is for the report; the person asked still sees the plan.
        eprint!("{}", render_plan(&plan));
    }
    if !args.yes {
        confirm(&plan)?;
    }
    let events = ops.subscribe();
    let started = ops
        .restore(RestoreRequest {
            env: args.env,
            // Exactly the snapshot the plan showed, even if another is taken meanwhile.
            snapshot: Some(plan.snapshot.id.clone()),
            workflows: args.workflows,
            dry_run: false,
            confirmed: true,
        })
        .await?;
    let finished = follow::<RestoreReport>(ctx, ops, events, &started).await?;
    if let Some(report) = &finished.result {
        if ctx.json {
            output::json(report)?;
        } else {
            print!("{}", render_report(report));
        }
    }
    let report = finished.into_result("the restore")?;
    let failed = failures(&report);
    if failed > 0 {
        bail!(
            "{failed} of {} restored in {} failed or could not be verified",
            plural(report.items.len(), "workflow"),
            report.env
        );
    }
    Ok(())
}

/// Asks on the terminal; without one, refuses and says to pass --yes.
fn confirm(plan: &RestorePlan) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to restore {} without confirmation: no terminal to ask on; pass --yes \
             (or --dry-run to see the plan only)",
            plan.env
        );
    }
    eprint!(
        "Restore {} from {}? A snapshot of {} is taken first, so this can be rolled back. [y/N] ",
        plan.env, plan.snapshot.id, plan.env
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("not confirmed: {} was not changed", plan.env);
    }
    Ok(())
}

fn action_word(action: RestoreAction) -> &'static str {
    match action {
        RestoreAction::Create => "create",
        RestoreAction::Update => "update",
        RestoreAction::Unchanged => "unchanged",
        RestoreAction::Delete => "delete",
    }
}

/// The plan: where from, a line per workflow with what would change, and a tally.
fn render_plan(plan: &RestorePlan) -> String {
    let s = &plan.snapshot;
    let mut out = format!(
        "Restore {} from snapshot {} ({}, {} UTC by {}: {})\n",
        plan.env,
        s.id,
        s.kind.as_str(),
        output::time(Some(s.at)),
        s.actor,
        s.message.lines().next().unwrap_or("").trim()
    );
    let name_width = plan
        .items
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0);
    for item in &plan.items {
        let detail = item_detail(item);
        let line = format!(
            "  {:<9}  {:<name_width$}  {detail}",
            action_word(item.action),
            item.name
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&plan_tally(&plan.items));
    out.push('\n');
    out
}

/// What one planned item does, in a few words.
fn item_detail(item: &RestoreItem) -> String {
    let id = item
        .n8n_id
        .as_ref()
        .map(|id| format!("(n8n {id})"))
        .unwrap_or_default();
    let what = match item.action {
        RestoreAction::Update => item.diff.as_ref().map(diff_line).unwrap_or_default(),
        RestoreAction::Create => "not live: created as recorded".into(),
        RestoreAction::Delete => "not in the snapshot: moved to the trash".into(),
        RestoreAction::Unchanged => String::new(),
    };
    [id, what]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("  ")
}

/// `4 workflows: 1 to update, 1 to create, 1 to delete, 1 unchanged`.
fn plan_tally(items: &[RestoreItem]) -> String {
    if items.is_empty() {
        return "Nothing in the snapshot matches: no workflows to restore.".into();
    }
    let count = |action| items.iter().filter(|i| i.action == action).count();
    let parts: Vec<String> = [
        (RestoreAction::Update, "to update"),
        (RestoreAction::Create, "to create"),
        (RestoreAction::Delete, "to delete"),
        (RestoreAction::Unchanged, "unchanged"),
    ]
    .into_iter()
    .filter_map(|(action, words)| {
        let n = count(action);
        (n > 0).then(|| format!("{n} {words}"))
    })
    .collect();
    format!("{}: {}", plural(items.len(), "workflow"), parts.join(", "))
}

/// Items that failed, or were written and not verified.
fn failures(report: &RestoreReport) -> usize {
    report
        .items
        .iter()
        .filter(|i| !i.ok || !(i.verified || i.action == RestoreAction::Delete))
        .count()
}

/// A line per workflow (ok, verified), then the commit and how to roll back.
fn render_report(report: &RestoreReport) -> String {
    let mut out = format!("Restored {} from {}:\n", report.env, report.snapshot);
    let name_width = report
        .items
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0);
    for item in &report.items {
        let (outcome, detail) = if !item.ok {
            ("FAILED", item.error.clone().unwrap_or_default())
        } else if item.action == RestoreAction::Delete {
            ("ok", "in the trash".to_owned())
        } else if item.verified {
            ("ok", "verified".to_owned())
        } else {
            (
                "UNVERIFIED",
                "re-fetched, and not equal to the snapshot's version".to_owned(),
            )
        };
        let id = item
            .n8n_id
            .as_ref()
            .map(|id| format!("  (n8n {id})"))
            .unwrap_or_default();
        let line = format!(
            "  {outcome:<10}  {:<9}  {:<name_width$}  {detail}{id}",
            action_word(item.action),
            item.name
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if let Some(commit) = &report.commit {
        out.push_str(&format!("Recorded as commit {}.\n", short_commit(commit)));
    }
    if let Some(replaced) = &report.replaced {
        out.push_str(&format!(
            "Roll back with: n8nops restore {} --snapshot {replaced}\n",
            report.env
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::snapshot::tests::{sample_diff, view};
    use crate::domain::commit::CommitKind;
    use crate::service::RestoreItemResult;

    fn item(name: &str, action: RestoreAction, n8n_id: Option<&str>) -> RestoreItem {
        RestoreItem {
            canonical_id: Some(name.to_lowercase()),
            name: name.into(),
            action,
            n8n_id: n8n_id.map(Into::into),
            diff: (action == RestoreAction::Update).then(sample_diff),
        }
    }

    fn result(name: &str, action: RestoreAction, ok: bool, verified: bool) -> RestoreItemResult {
        RestoreItemResult {
            canonical_id: Some(name.to_lowercase()),
            name: name.into(),
            action,
            n8n_id: Some("12".into()),
            ok,
            verified,
            error: (!ok).then(|| "n8n said 400: settings.foo is not allowed".into()),
        }
    }

    #[test]
    fn the_plan_says_what_happens_to_each_workflow() {
        let plan = RestorePlan {
            env: "prod".into(),
            snapshot: view("prod/20260301-101500", CommitKind::Backup),
            items: vec![
                item("Billing", RestoreAction::Unchanged, Some("3")),
                item("New thing", RestoreAction::Create, None),
                item("Old thing", RestoreAction::Delete, Some("14")),
                item("Orders", RestoreAction::Update, Some("12")),
            ],
        };
        insta::assert_snapshot!(render_plan(&plan), @r"
        Restore prod from snapshot prod/20260301-101500 (backup, 2026-03-01 10:15 UTC by alice: Before the Q3 migration)
          unchanged  Billing    (n8n 3)
          create     New thing  not live: created as recorded
          delete     Old thing  (n8n 14)  not in the snapshot: moved to the trash
          update     Orders     (n8n 12)  3 nodes +1 ~2 · risk HIGH
        4 workflows: 1 to update, 1 to create, 1 to delete, 1 unchanged
        ");
    }

    #[test]
    fn the_report_gives_each_result_and_how_to_roll_back() {
        let report = RestoreReport {
            env: "prod".into(),
            snapshot: "prod/20260301-101500".into(),
            replaced: Some("prod/20260302-090000".into()),
            commit: Some("fedcba9876543210fedcba9876543210fedcba98".into()),
            items: vec![
                result("Orders", RestoreAction::Update, true, true),
                result("Old thing", RestoreAction::Delete, true, false),
                result("Billing", RestoreAction::Update, false, false),
                result("Slack", RestoreAction::Create, true, false),
            ],
        };
        insta::assert_snapshot!(render_report(&report), @r"
        Restored prod from prod/20260301-101500:
          ok          update     Orders     verified  (n8n 12)
          ok          delete     Old thing  in the trash  (n8n 12)
          FAILED      update     Billing    n8n said 400: settings.foo is not allowed  (n8n 12)
          UNVERIFIED  create     Slack      re-fetched, and not equal to the snapshot's version  (n8n 12)
        Recorded as commit fedcba987654.
        Roll back with: n8nops restore prod --snapshot prod/20260302-090000
        ");
        assert_eq!(failures(&report), 2);
        assert!(!report.ok());
    }

    #[test]
    fn an_empty_plan_says_so() {
        assert_eq!(
            plan_tally(&[]),
            "Nothing in the snapshot matches: no workflows to restore."
        );
    }
}
