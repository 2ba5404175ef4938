//! `n8nops deployments ...`: promotions recorded with their plan, and what they did.
//!
//! Also what `promote` and `approvals` share about deployments: following a run's job
//! to its [`PromotionReport`], printing it, a deployment's state in words, and
//! [`recover_interrupted`], which every verb that can write calls first so that a
//! deployment a dead process left half-done is rolled back before anything else runs.

mod render;

use super::Context;
use super::follow::{Finished, follow};
use super::output::{self, table};
use super::promote::parse_time;
use super::snapshot::plural;
use crate::domain::deployment::DeploymentState;
use crate::service::{
    DeploymentQuery, DeploymentStarted, EventStream, JobStarted, Ops, PromotionReport, Time,
};
use anyhow::{Result, bail};
use clap::Subcommand;
pub use render::*;
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum DeploymentsCommand {
    /// Deployments, newest first
    #[command(alias = "ls")]
    List(ListArgs),
    /// One deployment: its plan, each workflow's outcome, the decisions on it
    Show {
        id: String,
        /// Each workflow's diff (what the deployment applied) in a few lines
        #[arg(long)]
        diff: bool,
    },
    /// Cancel a deployment that has not started (pending, waiting for approval or scheduled)
    Cancel { id: String },
    /// Roll a completed deployment back: its target as the snapshot taken before it
    Rollback {
        id: String,
        /// Confirm (required: a rollback writes to the target)
        #[arg(short, long)]
        yes: bool,
    },
    /// Fetch both sides and plan a pending deployment again (its approvals then lapse)
    Replan { id: String },
    /// Start the scheduled deployments whose time has come, and follow each
    RunDue,
    /// Roll back deployments an interrupted n8nops left running (every writing verb does this first)
    Recover,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long)]
    pub pipeline: Option<String>,
    /// From or to this environment
    #[arg(long)]
    pub env: Option<String>,
    /// PENDING, PENDING_APPROVAL, APPROVED, RUNNING, COMPLETED, FAILED, REJECTED,
    /// CANCELLED, ROLLING_BACK or ROLLBACK_FAILED (any case, `-` for `_`)
    #[arg(long, value_parser = parse_state)]
    pub state: Option<DeploymentState>,
    /// Requested by this user
    #[arg(long, value_name = "USER")]
    pub by: Option<String>,
    /// Requested at or after: RFC 3339, or `YYYY-MM-DD[ HH:MM]` in local time
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<Time>,
    /// Requested before: RFC 3339, or `YYYY-MM-DD[ HH:MM]` in local time
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Time>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: DeploymentsCommand) -> Result<()> {
    match cmd {
        DeploymentsCommand::List(args) => {
            let query = DeploymentQuery {
                pipeline: args.pipeline,
                env: args.env,
                state: args.state,
                requested_by: args.by,
                since: args.since,
                until: args.until,
                limit: Some(args.limit),
            };
            let list = ops.deployments_list(query).await?;
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                println!("No deployments match. `n8nops promote --from A --to B` starts one.");
                return Ok(());
            }
            table(
                &[
                    "ID",
                    "STATE",
                    "FROM->TO",
                    "PIPELINE",
                    "BY",
                    "REQUESTED",
                    "SUMMARY",
                ],
                &list_rows(&list),
            );
            Ok(())
        }
        DeploymentsCommand::Show { id, diff } => {
            let detail = ops.deployment_show(id).await?;
            if ctx.json {
                return output::json(&detail);
            }
            print!("{}", render_detail(&detail, diff));
            Ok(())
        }
        DeploymentsCommand::Cancel { id } => {
            recover_interrupted(ctx, ops).await?;
            let view = ops.deployment_cancel(id).await?;
            if ctx.json {
                return output::json(&view);
            }
            println!("Deployment {} ({}): {}.", view.id, route(&view), view.state);
            Ok(())
        }
        DeploymentsCommand::Rollback { id, yes } => {
            if !yes {
                bail!(
                    "rolling deployment {id} back writes to its target and needs confirmation \
                     (--yes); `n8nops deployments show {id}` shows what it deployed"
                );
            }
            recover_interrupted(ctx, ops).await?;
            let events = ops.subscribe();
            let started = ops.deployment_rollback(id.clone()).await?;
            if !ctx.json {
                println!(
                    "Rolling deployment {id} back as deployment {} (job {}).",
                    started.deployment_id, started.job_id
                );
            }
            let report = follow_run(ctx, ops, events, &started).await?;
            print_report(ctx, &report)?;
            ensure_completed(&report)
        }
        DeploymentsCommand::Replan { id } => {
            recover_interrupted(ctx, ops).await?;
            let created = ops.deployment_replan(id).await?;
            if ctx.json {
                return output::json(&created);
            }
            print!("{}", super::promote::render_preflight(&created.preflight));
            println!();
            print!("{}", super::promote::render_created(&created));
            Ok(())
        }
        DeploymentsCommand::RunDue => {
            recover_interrupted(ctx, ops).await?;
            let events = ops.subscribe();
            let started = ops.deployments_run_due().await?;
            if started.is_empty() && !ctx.json {
                println!("No scheduled deployment is due.");
            }
            run_each(ctx, ops, events, started, "due; starting it").await
        }
        DeploymentsCommand::Recover => run_recover(ctx, ops).await,
    }
}

/// `deployments recover`: the interrupted deployments rolled back, each one's report;
/// exit 2 unless every one ended FAILED (rolled back and verified).
async fn run_recover(ctx: &Context, ops: &dyn Ops) -> Result<()> {
    let ran = recover(ctx, ops).await?;
    if ctx.json {
        output::json(&ran)?;
    } else if ran.is_empty() {
        println!("No interrupted deployment: nothing to recover.");
    } else {
        for r in &ran {
            match &r.report {
                Some(report) => print!("{}", render_report(report)),
                None => println!(
                    "deployment {}: {}",
                    r.deployment_id,
                    r.error.as_deref().unwrap_or("no report")
                ),
            }
        }
    }
    let stuck = not_rolled_back(&ran);
    if !stuck.is_empty() {
        bail!(
            "the rollback of {} did not end verified: {}",
            plural(stuck.len(), "interrupted deployment"),
            stuck.join(", ")
        );
    }
    Ok(())
}

/// The recovered deployments that did not end FAILED (rolled back and verified).
fn not_rolled_back(ran: &[Ran]) -> Vec<&str> {
    ran.iter()
        .filter(|r| {
            r.report
                .as_ref()
                .is_none_or(|rep| rep.state != DeploymentState::Failed)
        })
        .map(|r| r.deployment_id.as_str())
        .collect()
}

/// One job of a deployment followed to its end.
#[derive(Debug, Serialize)]
pub struct Ran {
    pub deployment_id: String,
    pub job_id: String,
    pub report: Option<PromotionReport>,
    /// The job's error when it left no report.
    pub error: Option<String>,
}

/// Rolls back the deployments an interrupted process left RUNNING or ROLLING_BACK
/// (`ops.deployments_recover()`), following each job and saying on stderr what
/// happened to it. Every verb that can write calls this first; with `--readonly` it
/// does nothing (the service would refuse the rollback, and the verb is refused anyway).
pub async fn recover_interrupted(ctx: &Context, ops: &dyn Ops) -> Result<()> {
    if !ctx.readonly {
        recover(ctx, ops).await?;
    }
    Ok(())
}

/// `deployments_recover`, and each rollback it starts followed to its end.
async fn recover(ctx: &Context, ops: &dyn Ops) -> Result<Vec<Ran>> {
    let mut events = Some(ops.subscribe());
    let started = ops.deployments_recover().await?;
    let mut ran = Vec::new();
    for s in started {
        eprintln!(
            "deployment {} was interrupted; rolling it back (job {}) ...",
            s.deployment_id, s.job_id
        );
        // Only the first job can use the stream taken before the call; the others are
        // followed from a new one (`follow_job` also polls, so none is missed).
        let stream = events.take().unwrap_or_else(|| ops.subscribe());
        let finished = follow::<PromotionReport>(ctx, ops, stream, &job(&s)).await?;
        eprintln!(
            "deployment {}: {}",
            s.deployment_id,
            recovery_outcome(&finished)
        );
        ran.push(Ran {
            deployment_id: s.deployment_id,
            job_id: s.job_id,
            error: finished.job.error.clone(),
            report: finished.result,
        });
    }
    Ok(ran)
}

/// What the recovery of one deployment ended as, in a line.
fn recovery_outcome(finished: &Finished<PromotionReport>) -> String {
    let Some(report) = &finished.result else {
        return format!(
            "the rollback job ended without a report: {}",
            finished.job.error.as_deref().unwrap_or("no error given")
        );
    };
    let snapshot = report.snapshot.as_deref().unwrap_or("its snapshot");
    match report.state {
        DeploymentState::Failed => format!(
            "{} rolled back to {snapshot} and verified",
            report.target_env
        ),
        DeploymentState::RollbackFailed => format!(
            "ROLLBACK FAILED: {} may differ from {snapshot}; it needs a person \
             (`n8nops deployments show {}`)",
            report.target_env, report.deployment_id
        ),
        state => format!("ended {state}"),
    }
}

fn job(started: &DeploymentStarted) -> JobStarted {
    JobStarted {
        job_id: started.job_id.clone(),
    }
}

/// Follows a deployment's job (a run or a rollback) to its [`PromotionReport`].
pub async fn follow_run(
    ctx: &Context,
    ops: &dyn Ops,
    events: EventStream,
    started: &DeploymentStarted,
) -> Result<PromotionReport> {
    follow::<PromotionReport>(ctx, ops, events, &job(started))
        .await?
        .into_result(&format!("deployment {}", started.deployment_id))
}

/// Follows each started deployment in turn, prints its report, and fails when any did
/// not complete.
async fn run_each(
    ctx: &Context,
    ops: &dyn Ops,
    events: EventStream,
    started: Vec<DeploymentStarted>,
    what: &str,
) -> Result<()> {
    let mut events = Some(events);
    let mut ran = Vec::new();
    let mut failed = Vec::new();
    for s in started {
        if !ctx.json {
            println!(
                "Deployment {} is {what} (job {}) ...",
                s.deployment_id, s.job_id
            );
        }
        let stream = events.take().unwrap_or_else(|| ops.subscribe());
        let finished = follow::<PromotionReport>(ctx, ops, stream, &job(&s)).await?;
        match &finished.result {
            Some(report) if !ctx.json => print!("{}", render_report(report)),
            Some(_) => {}
            None if !ctx.json => println!(
                "deployment {}: {}",
                s.deployment_id,
                finished.job.error.as_deref().unwrap_or("no report")
            ),
            None => {}
        }
        if finished
            .result
            .as_ref()
            .is_none_or(|r| r.state != DeploymentState::Completed)
        {
            failed.push(s.deployment_id.clone());
        }
        ran.push(Ran {
            deployment_id: s.deployment_id,
            job_id: s.job_id,
            error: finished.job.error.clone(),
            report: finished.result,
        });
    }
    if ctx.json {
        output::json(&ran)?;
    }
    if !failed.is_empty() {
        bail!(
            "{} did not complete: {}",
            plural(failed.len(), "deployment"),
            failed.join(", ")
        );
    }
    Ok(())
}

/// `--state`: a state by its name, in any case, with `-` or `_`.
pub fn parse_state(text: &str) -> Result<DeploymentState, String> {
    let wanted = text.trim().replace('-', "_");
    DeploymentState::ALL
        .into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(&wanted))
        .ok_or_else(|| {
            let names: Vec<&str> = DeploymentState::ALL.iter().map(|s| s.as_str()).collect();
            format!("no deployment state '{text}'; one of {}", names.join(", "))
        })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::cli::output::columns;
    use crate::cli::snapshot::tests::sample_diff;
    use crate::domain::deployment::ApprovalStatus;
    use crate::domain::diff::DiffStatus;
    use crate::domain::promotion::PlanSummary;
    use crate::domain::promotion::{ActionCounts, PlanAction};
    use crate::service::{
        DeploymentDecisionView, PromoteRequest, RestoreAction, RestoreItemResult,
    };
    use crate::service::{
        DeploymentDetail, DeploymentItemView, DeploymentView, ItemOutcome, RestoreReport,
    };
    use chrono::TimeZone;

    pub fn at(h: u32, m: u32) -> Time {
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 1, h, m, 0)
            .single()
            .unwrap()
    }

    pub fn summary(create: usize, update: usize, delete: usize, hold: usize) -> PlanSummary {
        PlanSummary {
            by_action: ActionCounts {
                create,
                update,
                delete,
                skip: 0,
                hold,
            },
            ..PlanSummary::default()
        }
    }

    pub fn view(id: &str, state: DeploymentState) -> DeploymentView {
        DeploymentView {
            id: id.into(),
            pipeline: Some("main".into()),
            stage: Some("staging -> prod".into()),
            source_env: "staging".into(),
            target_env: "prod".into(),
            state,
            requested_by: "alice".into(),
            requested_at: at(10, 15),
            scheduled_for: None,
            plan_hash: "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
            summary: summary(2, 3, 0, 1),
            snapshot: None,
            job_id: None,
            started_at: None,
            finished_at: None,
            error: None,
            rollback_of: None,
            approvals: ApprovalStatus::default(),
        }
    }

    pub fn item(
        name: &str,
        status: DiffStatus,
        action: PlanAction,
        outcome: Option<ItemOutcome>,
    ) -> DeploymentItemView {
        DeploymentItemView {
            pos: 0,
            name: name.into(),
            canonical_id: Some(name.to_lowercase()),
            source_id: Some("s1".into()),
            target_id: (status != DiffStatus::Added).then(|| "12".into()),
            action,
            status,
            outcome,
            error: (outcome == Some(ItemOutcome::Failed))
                .then(|| "n8n said 400: settings.foo is not allowed".into()),
            diff: (action == PlanAction::Update).then(sample_diff),
        }
    }

    pub fn report(state: DeploymentState) -> PromotionReport {
        PromotionReport {
            deployment_id: "dep-7".into(),
            state,
            source_env: "staging".into(),
            target_env: "prod".into(),
            snapshot: Some("prod/20260301-101600".into()),
            commit: (state == DeploymentState::Completed)
                .then(|| "fedcba9876543210fedcba9876543210fedcba98".into()),
            items: vec![
                item(
                    "Orders",
                    DiffStatus::Modified,
                    PlanAction::Update,
                    Some(ItemOutcome::Ok),
                ),
                item(
                    "New thing",
                    DiffStatus::Added,
                    PlanAction::Create,
                    Some(ItemOutcome::Ok),
                ),
                item(
                    "Billing",
                    DiffStatus::TargetHotfix,
                    PlanAction::Hold,
                    Some(ItemOutcome::NotRun),
                ),
            ],
            rollback: None,
        }
    }

    fn parse(args: &[&str]) -> Result<DeploymentsCommand, clap::Error> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(std::iter::once("n8nops").chain(args.iter().copied()))?;
        match cli.command {
            Some(crate::cli::args::Command::Deployments(cmd)) => Ok(cmd),
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn list_parses_every_filter() {
        let DeploymentsCommand::List(args) = parse(&[
            "deployments",
            "list",
            "--pipeline",
            "main",
            "--env",
            "prod",
            "--state",
            "pending-approval",
            "--by",
            "bob",
            "--since",
            "2026-03-01T10:00:00Z",
            "--until",
            "2026-03-02T00:00:00+01:00",
            "--limit",
            "5",
        ])
        .unwrap() else {
            panic!("deployments list")
        };
        assert_eq!(args.pipeline.as_deref(), Some("main"));
        assert_eq!(args.env.as_deref(), Some("prod"));
        assert_eq!(args.state, Some(DeploymentState::PendingApproval));
        assert_eq!(args.by.as_deref(), Some("bob"));
        assert_eq!(args.since, Some(at(10, 0)));
        assert_eq!(
            args.until.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-01T23:00:00+00:00")
        );
        assert_eq!(args.limit, 5);
        let DeploymentsCommand::List(args) = parse(&["deployments", "ls"]).unwrap() else {
            panic!("deployments ls")
        };
        assert_eq!((args.state, args.limit), (None, 50));
        let e = parse(&["deployments", "list", "--state", "done"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(e.to_string().contains("ROLLBACK_FAILED"), "{e}");
    }

    #[test]
    fn the_other_verbs_parse() {
        assert!(matches!(
            parse(&["deployments", "show", "dep-1", "--diff"]).unwrap(),
            DeploymentsCommand::Show { id, diff: true } if id == "dep-1"
        ));
        assert!(matches!(
            parse(&["deployments", "cancel", "dep-1"]).unwrap(),
            DeploymentsCommand::Cancel { .. }
        ));
        assert!(matches!(
            parse(&["deployments", "rollback", "dep-1"]).unwrap(),
            DeploymentsCommand::Rollback { yes: false, .. }
        ));
        assert!(matches!(
            parse(&["deployments", "rollback", "dep-1", "--yes"]).unwrap(),
            DeploymentsCommand::Rollback { yes: true, .. }
        ));
        assert!(matches!(
            parse(&["deployments", "replan", "dep-1"]).unwrap(),
            DeploymentsCommand::Replan { .. }
        ));
        assert!(matches!(
            parse(&["deployments", "run-due"]).unwrap(),
            DeploymentsCommand::RunDue
        ));
        assert!(matches!(
            parse(&["deployments", "recover"]).unwrap(),
            DeploymentsCommand::Recover
        ));
        assert_eq!(
            parse(&["deployments", "show"]).unwrap_err().kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn states_parse_in_any_case() {
        for s in DeploymentState::ALL {
            assert_eq!(parse_state(s.as_str()), Ok(s));
            assert_eq!(parse_state(&s.as_str().to_lowercase()), Ok(s));
        }
        assert_eq!(
            parse_state("rolling-back"),
            Ok(DeploymentState::RollingBack)
        );
        assert!(parse_state("DONE").is_err());
    }

    #[test]
    fn the_summary_counts_writes_and_holds() {
        assert_eq!(summary_text(&summary(2, 3, 0, 1)), "+2 ~3 -0 hold 1");
        assert_eq!(summary_text(&summary(0, 1, 2, 0)), "+0 ~1 -2");
        let mut s = summary(0, 1, 0, 0);
        s.overrides = 1;
        assert_eq!(summary_text(&s), "+0 ~1 -0 override 1");
    }

    #[test]
    fn list_rows_give_route_pipeline_and_summary() {
        let mut other = view("dep-2", DeploymentState::Completed);
        other.pipeline = None;
        let rows = list_rows(&[view("dep-1", DeploymentState::PendingApproval), other]);
        assert_eq!(
            rows[0],
            [
                "dep-1",
                "PENDING_APPROVAL",
                "staging -> prod",
                "main",
                "alice",
                "2026-03-01 10:15",
                "+2 ~3 -0 hold 1"
            ]
        );
        assert_eq!(rows[1][3], "-");
    }

    #[test]
    fn pending_approval_says_who_and_how() {
        let mut d = view("dep-1", DeploymentState::PendingApproval);
        d.approvals = ApprovalStatus {
            approved: false,
            required: 2,
            counted: vec!["bob".into()],
            stale: vec!["carol".into()],
            self_approved: false,
        };
        d.scheduled_for = Some(at(22, 0));
        assert_eq!(
            state_lines(&d),
            "Waits for 2 approvals of prod from people other than alice (1 so far: bob).\n\
             Stale approvals (given on an earlier plan, not counted): carol.\n\
             Approve with: n8nops approvals approve dep-1\n\
             Scheduled for 2026-03-01 22:00 UTC: it runs then while `n8nops` (the TUI) runs, \
             or through `n8nops deployments run-due`.\n"
        );
        assert_eq!(state_lines(&view("d", DeploymentState::Completed)), "");
        // A schedule no longer matters once it ran.
        let mut done = view("d", DeploymentState::Completed);
        done.scheduled_for = Some(at(22, 0));
        assert_eq!(state_lines(&done), "");
    }

    #[test]
    fn a_completed_report_says_how_to_roll_back() {
        insta::assert_snapshot!(
            "deployment_report_completed",
            render_report(&report(DeploymentState::Completed))
        );
        assert!(ensure_completed(&report(DeploymentState::Completed)).is_ok());
    }

    #[test]
    fn a_failed_report_gives_the_error_and_the_rollback() {
        let mut r = report(DeploymentState::Failed);
        r.items[0].outcome = Some(ItemOutcome::RolledBack);
        r.items[1].outcome = Some(ItemOutcome::Failed);
        r.items[1].error = Some("n8n said 400: settings.foo is not allowed".into());
        r.rollback = Some(RestoreReport {
            env: "prod".into(),
            snapshot: "prod/20260301-101600".into(),
            replaced: None,
            commit: None,
            items: vec![RestoreItemResult {
                canonical_id: Some("orders".into()),
                name: "Orders".into(),
                action: RestoreAction::Update,
                n8n_id: Some("12".into()),
                ok: true,
                verified: true,
                error: None,
            }],
        });
        insta::assert_snapshot!("deployment_report_failed", render_report(&r));
        let e = ensure_completed(&r).unwrap_err().to_string();
        assert_eq!(
            e,
            "deployment dep-7 failed; prod was rolled back to prod/20260301-101600"
        );
        r.state = DeploymentState::RollbackFailed;
        r.rollback.as_mut().unwrap().items[0].verified = false;
        assert!(render_report(&r).contains("1 of 1 workflow failed or unverified: Orders"));
        assert!(
            ensure_completed(&r)
                .unwrap_err()
                .to_string()
                .contains("needs a person")
        );
    }

    #[test]
    fn show_gives_header_items_decisions_and_diffs() {
        let mut d = view("dep-7", DeploymentState::Completed);
        d.snapshot = Some("prod/20260301-101600".into());
        d.job_id = Some("job-9".into());
        d.started_at = Some(at(10, 16));
        d.finished_at = Some(at(10, 17));
        d.approvals = ApprovalStatus {
            approved: true,
            required: 1,
            counted: vec!["bob".into()],
            stale: vec!["carol".into()],
            self_approved: false,
        };
        let r = report(DeploymentState::Completed);
        let detail = DeploymentDetail {
            plan: crate::domain::promotion::Plan {
                stage: Some("main: staging -> prod".into()),
                source_env: "staging".into(),
                target_env: "prod".into(),
                items: Vec::new(),
                hash: d.plan_hash.clone(),
            },
            deployment: d,
            request: PromoteRequest {
                pipeline: Some("main".into()),
                from: "staging".into(),
                to: "prod".into(),
                hotfix_overrides: vec!["Invoices".into()],
                acknowledged_drift: vec!["Orders".into()],
                ..PromoteRequest::default()
            },
            items: r.items,
            decisions: vec![
                DeploymentDecisionView {
                    actor: "carol".into(),
                    approve: true,
                    plan_hash: "0000111122223333".into(),
                    stale: true,
                    decided_at: at(10, 20),
                    note: None,
                },
                DeploymentDecisionView {
                    actor: "bob".into(),
                    approve: true,
                    plan_hash: "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
                    stale: false,
                    decided_at: at(10, 25),
                    note: Some("looks right".into()),
                },
            ],
            commit: r.commit,
        };
        let mut detail = detail;
        if let Some(d) = detail.items[0].diff.as_mut() {
            d.name = Some(crate::domain::diff::NameChange {
                before: serde_json::json!("Orders"),
                after: serde_json::json!("Orders v2"),
            });
        }
        let plain = render_detail(&detail, false);
        insta::assert_snapshot!("deployment_show", plain);
        let with_diff = render_detail(&detail, true);
        assert!(with_diff.starts_with(&plain), "--diff only adds");
        insta::assert_snapshot!(
            "deployment_show_diff",
            with_diff.strip_prefix(&plain).unwrap()
        );
    }

    #[test]
    fn a_recovery_is_done_only_when_rolled_back() {
        let ran = |id: &str, state: Option<DeploymentState>| Ran {
            deployment_id: id.into(),
            job_id: "j".into(),
            report: state.map(report),
            error: None,
        };
        let list = [
            ran("a", Some(DeploymentState::Failed)),
            ran("b", Some(DeploymentState::RollbackFailed)),
            ran("c", None),
        ];
        assert_eq!(not_rolled_back(&list), ["b", "c"]);
        assert!(not_rolled_back(&list[..1]).is_empty());
    }

    #[test]
    fn columns_align_like_the_table() {
        let text = columns(
            &["A", "LONGER"],
            &[
                vec!["wide cell".into(), "x".into()],
                vec!["y".into(), "".into()],
            ],
            "  ",
        );
        assert_eq!(text, "  A          LONGER\n  wide cell  x\n  y\n");
        let text = columns(
            &[],
            &[vec!["a".into(), "b".into()], vec!["ccc".into(), "d".into()]],
            "",
        );
        assert_eq!(text, "a    b\nccc  d\n");
    }
}
