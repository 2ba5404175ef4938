//! `n8nops approvals ...`: what waits for someone's approval: operations the policy
//! holds (numbered) and deployments waiting in PENDING_APPROVAL (by their id).

use super::Context;
use super::deployments::{
    ensure_completed, follow_run, recover_interrupted, render_report, route, state_lines,
    summary_text,
};
use super::output::{self, table};
use crate::domain::deployment::DeploymentState;
use crate::service::{
    ApprovalDecision, ApprovalQuery, ApprovalState, ApprovalView, DeploymentDecided,
    DeploymentDecision, DeploymentQuery, DeploymentStarted, DeploymentView, HeldRequest, OpOutcome,
    Ops, Time,
};
use anyhow::{Result, bail};
use clap::Subcommand;
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Pending approvals and deployments waiting for approval, newest first (--all:
    /// decided ones too)
    #[command(alias = "ls")]
    List {
        /// Approved, rejected and failed ones too (and every deployment that needed approval)
        #[arg(long)]
        all: bool,
        /// Only this environment's (deployments: from or to it)
        #[arg(long)]
        env: Option<String>,
    },
    /// Grant an approval (what it holds runs now) or approve a deployment's current plan
    Approve {
        /// A policy approval's number, or a deployment's id
        id: String,
        /// Why, for the audit log
        #[arg(long)]
        note: Option<String>,
        /// Grant your own request, where the environment's policy permits it (policy
        /// approvals only: a deployment is never approved by its requester)
        #[arg(short, long)]
        yes: bool,
    },
    /// Reject an approval or a deployment: nothing runs
    Reject {
        /// A policy approval's number, or a deployment's id
        id: String,
        /// Why, for the audit log
        #[arg(long)]
        note: Option<String>,
    },
}

/// What an `approve`/`reject` id names: a number is a policy approval (`#12` also
/// works), anything else a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionTarget {
    Approval(i64),
    Deployment(String),
}

impl DecisionTarget {
    pub fn parse(id: &str) -> DecisionTarget {
        let id = id.trim();
        match id.strip_prefix('#').unwrap_or(id).parse::<i64>() {
            Ok(n) => DecisionTarget::Approval(n),
            Err(_) => DecisionTarget::Deployment(id.to_owned()),
        }
    }
}

/// One line of `approvals list`: a policy approval as before, or a deployment (as
/// `{"deployment": {...}}` in JSON).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Waiting {
    Approval(ApprovalView),
    Deployment { deployment: DeploymentView },
}

impl Waiting {
    fn requested_at(&self) -> Time {
        match self {
            Waiting::Approval(a) => a.requested_at,
            Waiting::Deployment { deployment } => deployment.requested_at,
        }
    }
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: ApprovalsCommand) -> Result<()> {
    match cmd {
        ApprovalsCommand::List { all, env } => {
            let query = ApprovalQuery {
                state: (!all).then_some(ApprovalState::Pending),
                env: env.clone(),
            };
            let approvals = ops.approvals_list(query).await?;
            let deployments = ops
                .deployments_list(DeploymentQuery {
                    state: (!all).then_some(DeploymentState::PendingApproval),
                    env,
                    ..DeploymentQuery::default()
                })
                .await?;
            let list = merge(approvals, deployments);
            if ctx.json {
                return output::json(&list);
            }
            table(
                &["ID", "ENV", "STATE", "BY", "REQUESTED", "WHAT"],
                &list_rows(&list),
            );
            Ok(())
        }
        ApprovalsCommand::Approve { id, note, yes } => match DecisionTarget::parse(&id) {
            DecisionTarget::Approval(id) => {
                let decision = ApprovalDecision {
                    id,
                    approve: true,
                    note,
                    self_approve: yes,
                };
                let view = ops.approval_decide(decision).await?;
                print(ctx, &view)?;
                if view.state == ApprovalState::Failed {
                    bail!("approval #{id} was granted, and running it failed");
                }
                Ok(())
            }
            DecisionTarget::Deployment(id) => decide_deployment(ctx, ops, id, true, note).await,
        },
        ApprovalsCommand::Reject { id, note } => match DecisionTarget::parse(&id) {
            DecisionTarget::Approval(id) => {
                let decision = ApprovalDecision {
                    id,
                    approve: false,
                    note,
                    self_approve: false,
                };
                let view = ops.approval_decide(decision).await?;
                print(ctx, &view)
            }
            DecisionTarget::Deployment(id) => decide_deployment(ctx, ops, id, false, note).await,
        },
    }
}

/// Approves or rejects a deployment's current plan; when the approval starts its run,
/// follows it to its report (exit 2 unless it completed).
async fn decide_deployment(
    ctx: &Context,
    ops: &dyn Ops,
    id: String,
    approve: bool,
    note: Option<String>,
) -> Result<()> {
    recover_interrupted(ctx, ops).await?;
    let events = ops.subscribe();
    let decided = ops
        .deployment_decide(DeploymentDecision { id, approve, note })
        .await?;
    if !ctx.json {
        print!("{}", render_decided(&decided));
    }
    let Some(job_id) = decided.job_id.clone() else {
        if ctx.json {
            output::json(&serde_json::json!({ "decided": decided, "report": null }))?;
        }
        return Ok(());
    };
    let started = DeploymentStarted {
        deployment_id: decided.deployment.id.clone(),
        job_id,
    };
    let report = follow_run(ctx, ops, events, &started).await?;
    if ctx.json {
        output::json(&serde_json::json!({ "decided": decided, "report": report }))?;
    } else {
        print!("{}", render_report(&report));
    }
    ensure_completed(&report)
}

/// A deployment after a decision: its state, and what it waits for or that it runs.
fn render_decided(d: &DeploymentDecided) -> String {
    let v = &d.deployment;
    let mut out = format!(
        "Deployment {} (promote {}: {}): {}\n",
        v.id,
        route(v),
        summary_text(&v.summary),
        v.state
    );
    if let Some(job) = &d.job_id {
        out.push_str(&format!("Running as job {job} ...\n"));
    }
    out.push_str(&state_lines(v));
    out
}

/// Policy approvals and deployments in one list, newest first.
fn merge(approvals: Vec<ApprovalView>, deployments: Vec<DeploymentView>) -> Vec<Waiting> {
    let mut list: Vec<Waiting> = approvals
        .into_iter()
        .map(Waiting::Approval)
        .chain(
            deployments
                .into_iter()
                // With --all: the deployments that needed an approval.
                .filter(|d| d.approvals.required > 0 || d.state == DeploymentState::PendingApproval)
                .map(|deployment| Waiting::Deployment { deployment }),
        )
        .collect();
    list.sort_by_key(|w| std::cmp::Reverse(w.requested_at()));
    list
}

fn list_rows(list: &[Waiting]) -> Vec<Vec<String>> {
    list.iter()
        .map(|w| match w {
            Waiting::Approval(a) => vec![
                a.id.to_string(),
                a.env.clone(),
                state_word(a.state).into(),
                a.requested_by.clone(),
                output::time(Some(a.requested_at)),
                a.summary.clone(),
            ],
            Waiting::Deployment { deployment: d } => vec![
                d.id.clone(),
                d.target_env.clone(),
                deployment_state_word(d.state),
                d.requested_by.clone(),
                output::time(Some(d.requested_at)),
                format!("promote {}: {}", route(d), summary_text(&d.summary)),
            ],
        })
        .collect()
}

/// A deployment's state in the words policy approvals use.
fn deployment_state_word(state: DeploymentState) -> String {
    match state {
        DeploymentState::PendingApproval => "pending".into(),
        s => s.as_str().to_lowercase(),
    }
}

fn state_word(state: ApprovalState) -> &'static str {
    match state {
        ApprovalState::Pending => "pending",
        ApprovalState::Approved => "approved",
        ApprovalState::Rejected => "rejected",
        ApprovalState::Failed => "failed",
    }
}

fn print(ctx: &Context, view: &ApprovalView) -> Result<()> {
    if ctx.json {
        return output::json(view);
    }
    println!(
        "approval #{} ({}): {}",
        view.id,
        state_word(view.state),
        view.summary
    );
    println!("  holds: {}", holds(&view.request));
    if let Some(upload) = &view.upload_result {
        for a in &upload.accepted {
            println!("  created  {}  {}  from {}", a.id, a.name, a.file);
        }
        for r in &upload.rejected {
            println!("  rejected {}: {}", r.file, r.reason);
        }
        if let Some((outcome, detail)) = outcome_words(&upload.outcome) {
            println!("  upload {outcome}: {detail}");
        }
    }
    let rows: Vec<Vec<String>> = view
        .result
        .iter()
        .flat_map(|r| &r.results)
        .map(|r| {
            let (outcome, detail) = outcome_words(&r.outcome).unwrap_or(("done", String::new()));
            vec![
                r.target.env.clone(),
                r.target.id.clone(),
                r.name.clone().unwrap_or_else(|| "-".into()),
                outcome.into(),
                detail,
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(&["ENV", "ID", "NAME", "OUTCOME", "DETAIL"], &rows);
    }
    Ok(())
}

/// An outcome in a word and its reason; None when done.
fn outcome_words(outcome: &OpOutcome) -> Option<(&'static str, String)> {
    Some(match outcome {
        OpOutcome::Done => return None,
        OpOutcome::Failed { error } => ("failed", error.clone()),
        OpOutcome::Blocked { reason } => ("blocked", reason.clone()),
        OpOutcome::NeedsConfirmation { reason } => ("not confirmed", reason.clone()),
        OpOutcome::PendingApproval { reason, .. } => ("pending", reason.clone()),
    })
}

/// What an approval holds, in a line: the workflows, the files, or the trash entry.
fn holds(request: &HeldRequest) -> String {
    match request {
        HeldRequest::WorkflowOp(op) => {
            let ids: Vec<String> = op
                .targets
                .iter()
                .map(|t| format!("{}/{}", t.env, t.id))
                .collect();
            format!("workflows {}", ids.join(", "))
        }
        HeldRequest::Upload(upload) => {
            let names: Vec<&str> = upload.files.iter().map(|f| f.name.as_str()).collect();
            format!("upload to {} of {}", upload.env, names.join(", "))
        }
        HeldRequest::Restore {
            trash_id,
            workflow_id,
            name,
        } => format!("restore of trash #{trash_id}: '{name}' (was {workflow_id})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::deployments::tests::{at, view};
    use crate::service::{
        UploadFile, UploadRequest, WorkflowAction, WorkflowOpRequest, WorkflowRef,
    };

    #[test]
    fn what_an_approval_holds_names_files_trash_entries_and_workflows() {
        let upload = HeldRequest::Upload(UploadRequest {
            env: "prod".into(),
            files: ["a.json", "b.zip"]
                .map(|name| UploadFile {
                    name: name.into(),
                    bytes: vec![],
                })
                .to_vec(),
            confirmed: false,
        });
        assert_eq!(holds(&upload), "upload to prod of a.json, b.zip");
        let restore = HeldRequest::Restore {
            trash_id: 4,
            workflow_id: "w9".into(),
            name: "Billing".into(),
        };
        assert_eq!(holds(&restore), "restore of trash #4: 'Billing' (was w9)");
        let op = HeldRequest::WorkflowOp(WorkflowOpRequest {
            action: WorkflowAction::Activate,
            targets: vec![WorkflowRef {
                env: "prod".into(),
                id: "w1".into(),
            }],
            confirmed: true,
        });
        assert_eq!(holds(&op), "workflows prod/w1");
    }

    fn parse(args: &[&str]) -> ApprovalsCommand {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(std::iter::once("n8nops").chain(args.iter().copied()))
                .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        match cli.command {
            Some(crate::cli::args::Command::Approvals(cmd)) => cmd,
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn a_number_is_a_policy_approval_anything_else_a_deployment() {
        assert_eq!(DecisionTarget::parse("12"), DecisionTarget::Approval(12));
        assert_eq!(DecisionTarget::parse("#12"), DecisionTarget::Approval(12));
        assert_eq!(
            DecisionTarget::parse("dep-01HZX3"),
            DecisionTarget::Deployment("dep-01HZX3".into())
        );
        assert_eq!(
            DecisionTarget::parse("0190c4a2-7b1e-7c3d-9f00-1a2b3c4d5e6f"),
            DecisionTarget::Deployment("0190c4a2-7b1e-7c3d-9f00-1a2b3c4d5e6f".into())
        );
        let ApprovalsCommand::Approve { id, note, yes } =
            parse(&["approvals", "approve", "dep-7", "--note", "ok"])
        else {
            panic!("approve")
        };
        assert_eq!(
            (id.as_str(), note.as_deref(), yes),
            ("dep-7", Some("ok"), false)
        );
        let ApprovalsCommand::Reject { id, .. } = parse(&["approvals", "reject", "3"]) else {
            panic!("reject")
        };
        assert_eq!(DecisionTarget::parse(&id), DecisionTarget::Approval(3));
    }

    fn approval(id: i64, minute: u32) -> ApprovalView {
        ApprovalView {
            id,
            env: "prod".into(),
            request: HeldRequest::Restore {
                trash_id: 4,
                workflow_id: "w9".into(),
                name: "Billing".into(),
            },
            summary: "restore 'Billing' from the trash".into(),
            requested_by: "bob".into(),
            requested_at: at(10, minute),
            state: ApprovalState::Pending,
            decided_by: None,
            decided_at: None,
            note: None,
            result: None,
            upload_result: None,
        }
    }

    #[test]
    fn pending_deployments_join_the_list_newest_first() {
        let mut d = view("dep-1", DeploymentState::PendingApproval);
        d.requested_at = at(10, 30);
        let mut decided = view("dep-0", DeploymentState::Completed);
        decided.approvals.required = 0;
        let list = merge(vec![approval(4, 45), approval(3, 5)], vec![d, decided]);
        let rows = list_rows(&list);
        assert_eq!(
            rows,
            [
                vec![
                    "4",
                    "prod",
                    "pending",
                    "bob",
                    "2026-03-01 10:45",
                    "restore 'Billing' from the trash"
                ],
                vec![
                    "dep-1",
                    "prod",
                    "pending",
                    "alice",
                    "2026-03-01 10:30",
                    "promote staging -> prod: +2 ~3 -0 hold 1"
                ],
                vec![
                    "3",
                    "prod",
                    "pending",
                    "bob",
                    "2026-03-01 10:05",
                    "restore 'Billing' from the trash"
                ],
            ]
        );
        // In JSON an approval keeps its shape; a deployment is under "deployment".
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json[0]["id"], 4);
        assert_eq!(json[1]["deployment"]["id"], "dep-1");
        assert_eq!(json[1]["deployment"]["state"], "PENDING_APPROVAL");
    }

    #[test]
    fn a_decision_says_where_the_deployment_stands() {
        let mut d = view("dep-1", DeploymentState::PendingApproval);
        d.approvals.required = 2;
        d.approvals.counted = vec!["bob".into()];
        let text = render_decided(&DeploymentDecided {
            deployment: d.clone(),
            job_id: None,
        });
        assert_eq!(
            text,
            "Deployment dep-1 (promote staging -> prod: +2 ~3 -0 hold 1): PENDING_APPROVAL\n\
             Waits for 2 approvals of prod from people other than alice (1 so far: bob).\n\
             Approve with: n8nops approvals approve dep-1\n"
        );
        d.state = DeploymentState::Running;
        let text = render_decided(&DeploymentDecided {
            deployment: d,
            job_id: Some("job-4".into()),
        });
        assert_eq!(
            text,
            "Deployment dep-1 (promote staging -> prod: +2 ~3 -0 hold 1): RUNNING\n\
             Running as job job-4 ...\n"
        );
    }
}
