//! `n8nops approvals ...`: operations the policy holds until someone grants them.

use super::Context;
use super::output::{self, table};
use crate::service::{
    ApprovalDecision, ApprovalQuery, ApprovalState, ApprovalView, HeldRequest, OpOutcome, Ops,
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
}
