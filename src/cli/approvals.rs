//! `n8nops approvals ...`: operations the policy holds until someone grants them.

use super::Context;
use super::output::{self, table};
use crate::service::{
    ApprovalDecision, ApprovalQuery, ApprovalState, ApprovalView, OpOutcome, Ops,
};
use anyhow::{Result, bail};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Pending approvals, newest first (--all: decided ones too)
    #[command(alias = "ls")]
    List {
        /// Approved, rejected and failed ones too
        #[arg(long)]
        all: bool,
        #[arg(long)]
        env: Option<String>,
    },
    /// Grant an approval: what it holds runs now
    Approve {
        id: i64,
        /// Why, for the audit log
        #[arg(long)]
        note: Option<String>,
        /// Grant your own request, where the environment's policy permits it
        #[arg(short, long)]
        yes: bool,
    },
    /// Reject an approval: nothing runs
    Reject {
        id: i64,
        /// Why, for the audit log
        #[arg(long)]
        note: Option<String>,
    },
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: ApprovalsCommand) -> Result<()> {
    match cmd {
        ApprovalsCommand::List { all, env } => {
            let query = ApprovalQuery {
                state: (!all).then_some(ApprovalState::Pending),
                env,
            };
            let list = ops.approvals_list(query).await?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.env.clone(),
                        state_word(a.state).into(),
                        a.requested_by.clone(),
                        output::time(Some(a.requested_at)),
                        a.summary.clone(),
                    ]
                })
                .collect();
            table(&["ID", "ENV", "STATE", "BY", "REQUESTED", "WHAT"], &rows);
            Ok(())
        }
        ApprovalsCommand::Approve { id, note, yes } => {
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
        ApprovalsCommand::Reject { id, note } => {
            let decision = ApprovalDecision {
                id,
                approve: false,
                note,
                self_approve: false,
            };
            let view = ops.approval_decide(decision).await?;
            print(ctx, &view)
        }
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
    let rows: Vec<Vec<String>> = view
        .result
        .iter()
        .flat_map(|r| &r.results)
        .map(|r| {
            let (outcome, detail) = match &r.outcome {
                OpOutcome::Done => ("done", String::new()),
                OpOutcome::Failed { error } => ("failed", error.clone()),
                OpOutcome::Blocked { reason } => ("blocked", reason.clone()),
                OpOutcome::NeedsConfirmation { reason } => ("not confirmed", reason.clone()),
                OpOutcome::PendingApproval { reason, .. } => ("pending", reason.clone()),
            };
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
