//! `n8nops promote --from A --to B`: promotes workflows from one environment to another.
//!
//! `--dry-run` syncs both environments and prints the preflight (the plan, the gates,
//! how each credential maps, the target's policy), changing nothing else. Without it
//! the promotion needs `--yes`: it is recorded as a deployment that waits for its
//! approvals or its time, or runs at once as a job this command follows to its report.
//! Exit 2 when a deployment that ran did not end COMPLETED.

use super::Context;
use super::deployments::{
    ensure_completed, follow_run, recover_interrupted, render_report, state_lines, summary_text,
};
use super::follow::follow;
use super::output;
use super::output::columns;
use crate::domain::credential_map::{CredentialResolution, Resolution};
use crate::domain::promotion::{Plan, PlanAction};
use crate::domain::sync::SyncKind;
use crate::service::{
    DeploymentCreate, DeploymentCreated, DeploymentStarted, Ops, Preflight, PromoteRequest,
    SyncReport, SyncRequest, Time,
};
use anyhow::{Result, bail};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::Args;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// Source environment
    #[arg(long)]
    pub from: String,
    /// Target environment
    #[arg(long)]
    pub to: String,
    /// Promote through this pipeline's `from -> to` stage (its gates, activation policy
    /// and credential mapping) [default: no pipeline, the default gates]
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Only these workflows (names or canonical ids) [default: every one that differs]
    #[arg(long = "workflow", short = 'w', value_name = "W", num_args = 1..)]
    pub workflows: Vec<String>,
    /// Overwrite these workflows' hotfixes in the target (recorded with the deployment)
    #[arg(long = "override-hotfix", value_name = "W", num_args = 1..)]
    pub override_hotfix: Vec<String>,
    /// Acknowledge these drifted target workflows (for the drift gate)
    #[arg(long = "ack-drift", value_name = "W", num_args = 1..)]
    pub ack_drift: Vec<String>,
    /// Delete target workflows the source no longer has
    #[arg(long)]
    pub delete_missing: bool,
    /// Map a source credential (`type:name` or `name`) to the target credential's name,
    /// over the stage's table (repeatable)
    #[arg(long = "map", value_name = "SRC=TARGET", value_parser = parse_mapping)]
    pub map: Vec<(String, String)>,
    /// Run at this time: RFC 3339, or `YYYY-MM-DD HH:MM` in local time
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<Time>,
    /// Sync both environments and print the preflight; change nothing else
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm the promotion (required unless --dry-run)
    #[arg(short, long)]
    pub yes: bool,
    /// Why, for the deployment's record and the audit log
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

impl PromoteArgs {
    fn request(&self) -> PromoteRequest {
        PromoteRequest {
            pipeline: self.pipeline.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            workflows: self.workflows.clone(),
            hotfix_overrides: self.override_hotfix.clone(),
            acknowledged_drift: self.ack_drift.clone(),
            delete_missing: self.delete_missing,
            credentials: self.map.iter().cloned().collect::<BTreeMap<_, _>>(),
        }
    }
}

pub async fn run(ctx: &Context, ops: &dyn Ops, args: PromoteArgs) -> Result<()> {
    if args.dry_run {
        return dry_run(ctx, ops, &args).await;
    }
    if !args.yes {
        bail!(
            "a promotion of {} to {} needs confirmation (--yes); --dry-run shows the plan",
            args.from,
            args.to
        );
    }
    recover_interrupted(ctx, ops).await?;
    let events = ops.subscribe();
    let created = ops
        .promote(DeploymentCreate {
            request: args.request(),
            scheduled_for: args.at,
            note: args.note.clone(),
            reviewed_hash: None,
            incident: None,
        })
        .await?;
    if !ctx.json {
        print!("{}", render_created(&created));
    }
    let Some(job_id) = created.job_id.clone() else {
        if ctx.json {
            output::json(&serde_json::json!({ "created": created, "report": null }))?;
        }
        return Ok(());
    };
    let started = DeploymentStarted {
        deployment_id: created.deployment.id.clone(),
        job_id,
    };
    let report = follow_run(ctx, ops, events, &started).await?;
    if ctx.json {
        output::json(&serde_json::json!({ "created": created, "report": report }))?;
    } else {
        print!("{}", render_report(&report));
    }
    ensure_completed(&report)
}

/// Syncs both environments (so the plan is of their current state), then prints the
/// preflight. With `--readonly` the sync is skipped and the last synced state used.
async fn dry_run(ctx: &Context, ops: &dyn Ops, args: &PromoteArgs) -> Result<()> {
    if ctx.readonly {
        eprintln!(
            "read-only: not syncing {} and {}; the preflight reads their last synced state",
            args.from, args.to
        );
    } else {
        sync_both(ctx, ops, &args.from, &args.to).await?;
    }
    let preflight = ops.promotion_preflight(args.request()).await?;
    if ctx.json {
        return output::json(&preflight);
    }
    print!("{}", render_preflight(&preflight));
    if let Some(at) = args.at {
        println!(
            "\nWith --at it would run at {} UTC, through the gates again then.",
            output::time(Some(at))
        );
    }
    Ok(())
}

/// Fetches the workflows, credentials and tags of both environments, as `sync` does.
async fn sync_both(ctx: &Context, ops: &dyn Ops, from: &str, to: &str) -> Result<()> {
    let events = ops.subscribe();
    let started = ops
        .sync(SyncRequest {
            envs: vec![from.to_owned(), to.to_owned()],
            kinds: vec![SyncKind::Workflows, SyncKind::Credentials, SyncKind::Tags],
        })
        .await?;
    let report = follow::<SyncReport>(ctx, ops, events, &started)
        .await?
        .into_result(&format!("the sync of {from} and {to}"))?;
    let failed: Vec<String> = report
        .envs
        .iter()
        .filter(|e| !e.ok)
        .map(|e| format!("{}: {}", e.env, e.error.as_deref().unwrap_or("failed")))
        .collect();
    if !failed.is_empty() {
        bail!(
            "cannot plan the promotion: the sync failed ({})",
            failed.join("; ")
        );
    }
    Ok(())
}

/// `--map SRC=TARGET`, split at the first `=`.
pub fn parse_mapping(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_owned(), to.trim().to_owned()))
        }
        _ => Err(format!(
            "'{text}' is not SRC=TARGET (e.g. 'slackApi:Dev alerts=Prod alerts')"
        )),
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeArgError {
    #[error(
        "'{0}' is not a time: give RFC 3339 (2026-03-01T22:00:00Z) or local 'YYYY-MM-DD HH:MM'"
    )]
    Unreadable(String),
    #[error("'{0}' does not exist in the local time zone (a clock change skips it)")]
    Skipped(String),
    #[error(
        "'{0}' happens twice in the local time zone (a clock change); give RFC 3339 with an offset"
    )]
    Ambiguous(String),
}

/// A time argument: RFC 3339, or `YYYY-MM-DD HH:MM` / `YYYY-MM-DD` in local time.
pub fn parse_time(text: &str) -> Result<Time, TimeArgError> {
    parse_time_in(text, &chrono::Local)
}

/// [`parse_time`] with the wall-clock times read in `tz`.
pub fn parse_time_in<Tz: TimeZone>(text: &str, tz: &Tz) -> Result<Time, TimeArgError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| TimeArgError::Unreadable(text.to_owned()))?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(..) => Err(TimeArgError::Ambiguous(text.to_owned())),
        LocalResult::None => Err(TimeArgError::Skipped(text.to_owned())),
    }
}

/// What a plan does in a line: `dev -> prod: +1 ~2 -0 hold 1 (plan 1a2b3c4d5e6f)`.
fn plan_line(plan: &Plan) -> String {
    format!(
        "{} -> {}: {} (plan {})",
        plan.source_env,
        plan.target_env,
        summary_text(&plan.summary()),
        plan.hash.chars().take(12).collect::<String>()
    )
}

fn action_cell(item: &crate::domain::promotion::PlanItem) -> String {
    if item.hotfix_override {
        format!("{} (override)", item.action)
    } else {
        item.action.as_str().to_owned()
    }
}

fn resolution_line(r: &CredentialResolution) -> String {
    let source = format!("{}:{}", r.source.cred_type, r.source.name);
    match &r.resolution {
        Resolution::Mapped { target } => format!("{source} -> {} (mapped)", target.name),
        Resolution::SameName { target } => format!("{source} -> {} (same name)", target.name),
        Resolution::Missing { wanted: Some(w) } => {
            format!("{source} -> MISSING (mapped to '{w}', which the target lacks)")
        }
        Resolution::Missing { wanted: None } => format!("{source} -> MISSING"),
    }
}

/// The preflight for people: the plan table, the gates, the credentials, the policy and
/// the notes.
pub fn render_preflight(p: &Preflight) -> String {
    let mut out = String::from("Promote ");
    out.push_str(&plan_line(&p.plan));
    out.push('\n');
    if let Some(stage) = &p.plan.stage {
        out.push_str(&format!("Pipeline stage {stage}\n"));
    }
    if p.plan.items.is_empty() {
        out.push_str("\nNothing differs: no workflows to promote.\n");
    } else {
        let rows: Vec<Vec<String>> = p
            .plan
            .items
            .iter()
            .map(|i| {
                vec![
                    i.name.clone(),
                    i.status.as_str().into(),
                    action_cell(i),
                    i.risk.map_or("-".into(), |r| r.as_str().into()),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&columns(&["NAME", "STATUS", "ACTION", "RISK"], &rows, ""));
        let held: Vec<&str> = p
            .plan
            .items
            .iter()
            .filter(|i| i.action == PlanAction::Hold)
            .map(|i| i.name.as_str())
            .collect();
        if !held.is_empty() {
            out.push_str(&format!(
                "Held: {} changed in {} since it last matched {} (--override-hotfix W overwrites it).\n",
                held.join(", "),
                p.plan.target_env,
                p.plan.source_env
            ));
        }
    }
    if !p.gates.is_empty() {
        out.push_str("\nGates:\n");
        let rows: Vec<Vec<String>> = p
            .gates
            .iter()
            .map(|g| {
                vec![
                    if g.passed { "PASS" } else { "FAIL" }.into(),
                    g.gate.as_str().into(),
                    g.detail.clone(),
                ]
            })
            .collect();
        out.push_str(&columns(&[], &rows, "  "));
    }
    if !p.credentials.is_empty() {
        out.push_str("\nCredentials:\n");
        for (workflow, resolutions) in &p.credentials {
            if resolutions.is_empty() {
                out.push_str(&format!("  {workflow}: uses none\n"));
                continue;
            }
            out.push_str(&format!("  {workflow}\n"));
            for r in resolutions {
                out.push_str(&format!("    {}\n", resolution_line(r)));
            }
        }
    }
    if !p.policy.is_empty() {
        out.push_str("\nPolicy:\n");
        for line in &p.policy {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if !p.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for line in &p.notes {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// A deployment just recorded: its id, state and plan, and what it waits for.
pub fn render_created(c: &DeploymentCreated) -> String {
    let d = &c.deployment;
    let mut out = format!(
        "Deployment {}: {}, {}\n",
        d.id,
        d.state,
        plan_line(&c.preflight.plan)
    );
    if let Some(job) = &c.job_id {
        out.push_str(&format!("Running as job {job} ...\n"));
    }
    out.push_str(&state_lines(d));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::deployments::tests::{at, view};
    use crate::cli::snapshot::tests::sample_diff;
    use crate::domain::credential_map::{CredentialKey, TargetCredential};
    use crate::domain::deployment::{ApprovalStatus, DeploymentState};
    use crate::domain::diff::{DiffStatus, Risk};
    use crate::domain::pipeline::{GateKind, GateResult};
    use crate::domain::promotion::PlanItem;
    use chrono::FixedOffset;

    fn parse(args: &[&str]) -> Result<PromoteArgs, clap::Error> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(std::iter::once("n8nops").chain(args.iter().copied()))?;
        match cli.command {
            Some(crate::cli::args::Command::Promote(args)) => Ok(args),
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn every_flag_parses_into_the_request() {
        let args = parse(&[
            "promote",
            "--from",
            "staging",
            "--to",
            "prod",
            "--pipeline",
            "main",
            "--workflow",
            "Orders",
            "Billing",
            "-w",
            "order-sync",
            "--override-hotfix",
            "Billing",
            "--ack-drift",
            "Orders",
            "Invoices",
            "--delete-missing",
            "--map",
            "slackApi:Dev alerts=Prod alerts",
            "--map",
            "Dev DB=Prod DB",
            "--at",
            "2026-03-01T22:00:00Z",
            "--yes",
            "--note",
            "release 42",
        ])
        .unwrap();
        assert!(args.yes && !args.dry_run);
        assert_eq!(args.at, Some(at(22, 0)));
        assert_eq!(args.note.as_deref(), Some("release 42"));
        let req = args.request();
        assert_eq!(req.pipeline.as_deref(), Some("main"));
        assert_eq!((req.from.as_str(), req.to.as_str()), ("staging", "prod"));
        assert_eq!(req.workflows, ["Orders", "Billing", "order-sync"]);
        assert_eq!(req.hotfix_overrides, ["Billing"]);
        assert_eq!(req.acknowledged_drift, ["Orders", "Invoices"]);
        assert!(req.delete_missing);
        assert_eq!(
            req.credentials,
            BTreeMap::from([
                ("slackApi:Dev alerts".to_string(), "Prod alerts".to_string()),
                ("Dev DB".into(), "Prod DB".into()),
            ])
        );
    }

    #[test]
    fn from_and_to_are_required_and_values_are_checked() {
        let args = parse(&["promote", "--from", "dev", "--to", "staging"]).unwrap();
        assert!(!args.yes && !args.dry_run && args.at.is_none());
        assert_eq!(
            args.request(),
            PromoteRequest {
                from: "dev".into(),
                to: "staging".into(),
                ..PromoteRequest::default()
            }
        );
        let kind = |a: &[&str]| parse(a).unwrap_err().kind();
        assert_eq!(
            kind(&["promote", "--from", "dev"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        // A dry run may say when it would run.
        let args = parse(&[
            "promote",
            "--from",
            "a",
            "--to",
            "b",
            "--dry-run",
            "--at",
            "2026-03-01T10:00:00Z",
        ])
        .unwrap();
        assert_eq!((args.dry_run, args.at), (true, Some(at(10, 0))));
        assert_eq!(
            kind(&["promote", "--from", "a", "--to", "b", "--map", "no-equals"]),
            clap::error::ErrorKind::ValueValidation
        );
        assert_eq!(
            kind(&["promote", "--from", "a", "--to", "b", "--at", "tomorrow"]),
            clap::error::ErrorKind::ValueValidation
        );
    }

    #[test]
    fn mappings_split_at_the_first_equals() {
        assert_eq!(
            parse_mapping("a=b=c"),
            Ok(("a".to_string(), "b=c".to_string()))
        );
        assert!(parse_mapping("=b").is_err());
        assert!(parse_mapping("a=").is_err());
        assert!(parse_mapping("ab").is_err());
    }

    #[test]
    fn times_are_rfc3339_or_local_wall_clock() {
        let berlin = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(
            parse_time_in("2026-03-01T22:00:00Z", &berlin),
            Ok(at(22, 0))
        );
        assert_eq!(
            parse_time_in("2026-03-01T23:00:00+01:00", &berlin),
            Ok(at(22, 0))
        );
        // Local wall-clock times are converted to UTC.
        assert_eq!(parse_time_in("2026-03-01 23:00", &berlin), Ok(at(22, 0)));
        assert_eq!(parse_time_in("2026-03-01T11:15", &berlin), Ok(at(10, 15)));
        assert_eq!(
            parse_time_in("2026-03-02", &berlin).map(|t| t.to_rfc3339()),
            Ok("2026-03-01T23:00:00+00:00".to_string())
        );
        assert_eq!(
            parse_time_in("22:00", &berlin),
            Err(TimeArgError::Unreadable("22:00".into()))
        );
        // A time a clock change skips, or one it repeats, is refused.
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            parse_time_in("2026-03-29 02:30", &tz),
            Err(TimeArgError::Skipped("2026-03-29 02:30".into()))
        );
        assert_eq!(
            parse_time_in("2026-10-25 02:30", &tz),
            Err(TimeArgError::Ambiguous("2026-10-25 02:30".into()))
        );
    }

    fn plan_item(name: &str, status: DiffStatus, action: PlanAction) -> PlanItem {
        PlanItem {
            name: name.into(),
            canonical_id: None,
            status,
            risk: matches!(action, PlanAction::Update | PlanAction::Hold).then_some(Risk::High),
            source_fingerprint: Some("s".into()),
            target_fingerprint: Some("t".into()),
            target_id: Some("12".into()),
            source_id: Some("7".into()),
            action,
            hotfix_override: false,
        }
    }

    fn key(t: &str, n: &str) -> CredentialKey {
        CredentialKey::new(t, n)
    }

    fn target(t: &str, n: &str) -> TargetCredential {
        TargetCredential {
            cred_type: t.into(),
            name: n.into(),
            id: Some("c1".into()),
        }
    }

    fn preflight() -> Preflight {
        let mut overridden = plan_item("Invoices", DiffStatus::TargetHotfix, PlanAction::Update);
        overridden.hotfix_override = true;
        let items = vec![
            plan_item("Billing", DiffStatus::TargetHotfix, PlanAction::Hold),
            overridden,
            plan_item("New thing", DiffStatus::Added, PlanAction::Create),
            plan_item("Orders", DiffStatus::Modified, PlanAction::Update),
        ];
        Preflight {
            plan: Plan {
                stage: Some("main: staging -> prod".into()),
                source_env: "staging".into(),
                target_env: "prod".into(),
                items,
                hash: "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
            },
            stage: None,
            gates: vec![
                GateResult {
                    gate: GateKind::Drift,
                    passed: true,
                    detail: "every workflow to overwrite is in sync".into(),
                },
                GateResult {
                    gate: GateKind::Credentials,
                    passed: false,
                    detail: "missing in prod: postgres:Orders DB".into(),
                },
                GateResult {
                    gate: GateKind::Approvals,
                    passed: false,
                    detail: "0 of 1 approvals".into(),
                },
            ],
            credentials: BTreeMap::from([
                (
                    "New thing".to_string(),
                    vec![CredentialResolution {
                        source: key("slackApi", "Dev alerts"),
                        resolution: Resolution::Mapped {
                            target: target("slackApi", "Prod alerts"),
                        },
                    }],
                ),
                (
                    "Orders".to_string(),
                    vec![
                        CredentialResolution {
                            source: key("httpBasicAuth", "API"),
                            resolution: Resolution::SameName {
                                target: target("httpBasicAuth", "API"),
                            },
                        },
                        CredentialResolution {
                            source: key("postgres", "Orders DB"),
                            resolution: Resolution::Missing { wanted: None },
                        },
                        CredentialResolution {
                            source: key("postgres", "Reports"),
                            resolution: Resolution::Missing {
                                wanted: Some("Prod reports".into()),
                            },
                        },
                    ],
                ),
                ("Invoices".to_string(), vec![]),
            ]),
            policy: vec!["prod is production: new workflows arrive inactive".into()],
            diffs: BTreeMap::from([("Orders".to_string(), sample_diff())]),
            notes: vec!["staging synced 2026-03-01 10:14 UTC, prod 2026-03-01 10:14 UTC".into()],
        }
    }

    #[test]
    fn the_preflight_shows_plan_gates_credentials_policy_and_notes() {
        insta::assert_snapshot!("promote_preflight", render_preflight(&preflight()));
    }

    #[test]
    fn an_empty_plan_says_nothing_differs() {
        let mut p = preflight();
        p.plan.items.clear();
        p.gates.clear();
        p.credentials.clear();
        let text = render_preflight(&p);
        assert!(
            text.contains("Nothing differs: no workflows to promote."),
            "{text}"
        );
        assert!(!text.contains("NAME"), "{text}");
        assert!(!text.contains("Gates:"), "{text}");
    }

    #[test]
    fn a_created_deployment_says_what_it_waits_for() {
        let mut d = view("dep-9", DeploymentState::PendingApproval);
        d.approvals = ApprovalStatus {
            required: 1,
            ..ApprovalStatus::default()
        };
        let created = DeploymentCreated {
            deployment: d,
            preflight: preflight(),
            job_id: None,
        };
        assert_eq!(
            render_created(&created),
            "Deployment dep-9: PENDING_APPROVAL, staging -> prod: +1 ~2 -0 hold 1 override 1 (plan a1b2c3d4e5f6)\n\
             Waits for 1 approval of prod from someone other than alice (0 so far).\n\
             Approve with: n8nops approvals approve dep-9\n"
        );
        let mut running = created.clone();
        running.deployment.state = DeploymentState::Running;
        running.job_id = Some("job-3".into());
        assert_eq!(
            render_created(&running),
            "Deployment dep-9: RUNNING, staging -> prod: +1 ~2 -0 hold 1 override 1 (plan a1b2c3d4e5f6)\n\
             Running as job job-3 ...\n"
        );
        let mut scheduled = created;
        scheduled.deployment.state = DeploymentState::Approved;
        scheduled.deployment.scheduled_for = Some(at(22, 0));
        assert!(
            render_created(&scheduled).ends_with(
                "Scheduled for 2026-03-01 22:00 UTC: it runs then while `n8nops` (the TUI) runs, \
                 or through `n8nops deployments run-due`.\n"
            ),
            "{}",
            render_created(&scheduled)
        );
    }
}
