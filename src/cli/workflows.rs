//! `n8nops workflows ...`: the catalog, and the policy-checked operations on workflows.
//!
//! Where the policy warns, the person is asked (y/N on a terminal; refused otherwise
//! unless `--yes`). Where it requires an approval, one is recorded; `--yes` grants it
//! at once where the class permits self-approval. Exit 2 when any target was not done
//! (failed, blocked, or left unconfirmed); a pending approval is not a failure.

use super::args::{WorkflowsCommand, WorkflowsListArgs};
use super::context::Context;
use super::output::{self, table};
use crate::service::{
    ApprovalDecision, ApprovalView, DownloadRequest, OpOutcome, Ops, UploadFile, UploadReport,
    UploadRequest, WorkflowAction, WorkflowOpReport, WorkflowOpRequest, WorkflowQuery, WorkflowRef,
};
use anyhow::{Context as _, Result, bail};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The workflows an operation acts on.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Environment
    pub env: String,
    /// Workflow ids or exact names
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Confirm where the policy warns, and grant your own approval where it permits
    #[arg(short, long)]
    pub yes: bool,
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: WorkflowsCommand) -> Result<()> {
    match cmd {
        WorkflowsCommand::List(args) => list(ctx, ops, args).await,
        WorkflowsCommand::Show { env, id } => show(ctx, ops, env, id).await,
        WorkflowsCommand::Activate(t) => operate(ctx, ops, WorkflowAction::Activate, t).await,
        WorkflowsCommand::Deactivate(t) => operate(ctx, ops, WorkflowAction::Deactivate, t).await,
        WorkflowsCommand::Delete { targets, hard } => {
            operate(ctx, ops, WorkflowAction::Delete { hard }, targets).await
        }
        WorkflowsCommand::Tag {
            targets,
            add,
            remove,
        } => operate(ctx, ops, WorkflowAction::Tag { add, remove }, targets).await,
        WorkflowsCommand::Upload { env, files, yes } => upload(ctx, ops, env, &files, yes).await,
        WorkflowsCommand::Download { env, ids, output } => {
            download(ctx, ops, env, ids, output).await
        }
        WorkflowsCommand::Trash { env } => trash(ctx, ops, env).await,
        WorkflowsCommand::Restore { trash_id, yes } => restore(ctx, ops, trash_id, yes).await,
    }
}

async fn show(ctx: &Context, ops: &dyn Ops, env: String, id: String) -> Result<()> {
    let detail = ops.workflow_get(WorkflowRef { env, id }).await?;
    if ctx.json {
        return output::json(&detail);
    }
    let s = &detail.summary;
    println!("{} ({} in {})", s.name, s.id, s.env);
    println!("active:       {}", s.active);
    println!("tags:         {}", s.tags.join(", "));
    println!("nodes:        {}", s.nodes);
    println!("fingerprint:  {}", s.fingerprint);
    println!("updated:      {}", s.updated_at.as_deref().unwrap_or("-"));
    println!("node types:   {}", detail.node_types.join(", "));
    for c in &detail.credentials {
        println!("credential:   {} ({})", c.name, c.cred_type);
    }
    Ok(())
}

async fn list(ctx: &Context, ops: &dyn Ops, args: WorkflowsListArgs) -> Result<()> {
    let active = match (args.active, args.inactive) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let list = ops
        .workflows_list(WorkflowQuery {
            env: args.env,
            search: args.search,
            tag: args.tag,
            active,
        })
        .await?;
    if ctx.json {
        return output::json(&list);
    }
    let rows = list
        .iter()
        .map(|w| {
            vec![
                w.env.clone(),
                w.id.clone(),
                w.name.clone(),
                if w.active { "yes".into() } else { "no".into() },
                w.nodes.to_string(),
                w.fingerprint[..12.min(w.fingerprint.len())].to_string(),
                w.tags.join(","),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &[
            "ENV",
            "ID",
            "NAME",
            "ACTIVE",
            "NODES",
            "FINGERPRINT",
            "TAGS",
        ],
        &rows,
    );
    eprintln!("{} workflows", list.len());
    Ok(())
}

async fn resolve_in(ops: &dyn Ops, env: &str, given: &[String]) -> Result<Vec<WorkflowRef>> {
    Ok(ops
        .workflows_resolve(env.to_owned(), given.to_vec())
        .await?)
}

/// Asks a yes/no question on the terminal; false when there is none to ask on.
fn ask(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

async fn operate(
    ctx: &Context,
    ops: &dyn Ops,
    action: WorkflowAction,
    args: TargetArgs,
) -> Result<()> {
    let targets = resolve_in(ops, &args.env, &args.ids).await?;
    let mut report = ops
        .workflow_op(WorkflowOpRequest {
            action: action.clone(),
            targets,
            confirmed: args.yes,
        })
        .await?;
    confirm_warnings(ops, &action, &mut report).await?;
    if args.yes {
        self_approve(ops, &mut report).await;
    }
    if ctx.json {
        output::json(&report)?;
    } else {
        print_report(&report);
    }
    exit_status(&report)
}

/// Asks once about every target the policy warns on, and runs those if the answer is yes.
async fn confirm_warnings(
    ops: &dyn Ops,
    action: &WorkflowAction,
    report: &mut WorkflowOpReport,
) -> Result<()> {
    let warned: Vec<usize> = (0..report.results.len())
        .filter(|&i| {
            matches!(
                report.results[i].outcome,
                OpOutcome::NeedsConfirmation { .. }
            )
        })
        .collect();
    if warned.is_empty() {
        return Ok(());
    }
    for &i in &warned {
        if let OpOutcome::NeedsConfirmation { reason } = &report.results[i].outcome {
            eprintln!(
                "{} ({}): {reason}",
                label(&report.results[i]),
                report.results[i].target.id
            );
        }
    }
    if !ask(&format!("Go ahead with {} workflows?", warned.len()))? {
        return Ok(());
    }
    let again = ops
        .workflow_op(WorkflowOpRequest {
            action: action.clone(),
            targets: warned
                .iter()
                .map(|&i| report.results[i].target.clone())
                .collect(),
            confirmed: true,
        })
        .await?;
    for (i, result) in warned.into_iter().zip(again.results) {
        report.results[i] = result;
    }
    Ok(())
}

/// Grants the approvals this report asked for where the requester may (`--yes`); the
/// others stay pending, with a note saying why.
async fn self_approve(ops: &dyn Ops, report: &mut WorkflowOpReport) {
    let mut approvals: Vec<i64> = report
        .results
        .iter()
        .filter_map(|r| match r.outcome {
            OpOutcome::PendingApproval { approval_id, .. } => Some(approval_id),
            _ => None,
        })
        .collect();
    approvals.sort_unstable();
    approvals.dedup();
    for id in approvals {
        let Some(view) = self_approve_one(ops, id).await else {
            continue;
        };
        for ran in view.result.into_iter().flat_map(|r| r.results) {
            if let Some(slot) = report.results.iter_mut().find(|r| r.target == ran.target) {
                *slot = ran;
            }
        }
    }
}

/// Grants one approval the requester asked for just now (`--yes`), where they may; it
/// stays pending otherwise, with a note saying why.
async fn self_approve_one(ops: &dyn Ops, id: i64) -> Option<ApprovalView> {
    let decision = ApprovalDecision {
        id,
        approve: true,
        note: None,
        self_approve: true,
    };
    match ops.approval_decide(decision).await {
        Ok(view) => Some(view),
        Err(e) => {
            eprintln!("approval #{id} stays pending: {}", e.message);
            None
        }
    }
}

fn label(result: &crate::service::WorkflowOpResult) -> String {
    result
        .name
        .clone()
        .unwrap_or_else(|| format!("workflow {}", result.target.id))
}

/// The outcome in a few words.
fn outcome_words(outcome: &OpOutcome) -> (String, String) {
    match outcome {
        OpOutcome::Done => ("done".into(), String::new()),
        OpOutcome::NeedsConfirmation { reason } => {
            ("not confirmed".into(), format!("{reason}: pass --yes"))
        }
        OpOutcome::PendingApproval {
            approval_id,
            reason,
        } => (format!("approval #{approval_id}"), reason.clone()),
        OpOutcome::Blocked { reason } => ("blocked".into(), reason.clone()),
        OpOutcome::Failed { error } => ("failed".into(), error.clone()),
    }
}

fn print_report(report: &WorkflowOpReport) {
    let rows: Vec<Vec<String>> = report
        .results
        .iter()
        .map(|r| {
            let (outcome, detail) = outcome_words(&r.outcome);
            vec![
                r.target.env.clone(),
                r.target.id.clone(),
                r.name.clone().unwrap_or_else(|| "-".into()),
                outcome,
                detail,
            ]
        })
        .collect();
    table(&["ENV", "ID", "NAME", "OUTCOME", "DETAIL"], &rows);
    let pending = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, OpOutcome::PendingApproval { .. }))
        .count();
    if pending > 0 {
        eprintln!(
            "{pending} waiting for approval: someone else grants it with `n8nops approvals approve ID`"
        );
    }
}

/// Exit 2 (an error) when any target was not done and is not waiting for approval.
fn exit_status(report: &WorkflowOpReport) -> Result<()> {
    let not_done = report
        .results
        .iter()
        .filter(|r| {
            !matches!(
                r.outcome,
                OpOutcome::Done | OpOutcome::PendingApproval { .. }
            )
        })
        .count();
    if not_done > 0 {
        bail!(
            "{not_done} of {} workflows were not done",
            report.results.len()
        );
    }
    Ok(())
}

async fn upload(
    ctx: &Context,
    ops: &dyn Ops,
    env: String,
    paths: &[PathBuf],
    yes: bool,
) -> Result<()> {
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        files.push(UploadFile { name, bytes });
    }
    let request = UploadRequest {
        env,
        files,
        confirmed: yes,
    };
    let mut report = ops.workflows_upload(request.clone()).await?;
    if let OpOutcome::NeedsConfirmation { reason } = &report.outcome {
        eprintln!("{reason}");
        if ask(&format!("Upload to {}?", report.env))? {
            report = ops
                .workflows_upload(UploadRequest {
                    confirmed: true,
                    ..request
                })
                .await?;
        }
    }
    if let OpOutcome::PendingApproval { approval_id, .. } = report.outcome
        && yes
        && let Some(view) = self_approve_one(ops, approval_id).await
        && let Some(ran) = view.upload_result
    {
        report = ran;
    }
    if ctx.json {
        output::json(&report)?;
    } else {
        print_upload(&report);
    }
    if let OpOutcome::PendingApproval {
        approval_id,
        reason,
    } = &report.outcome
    {
        eprintln!(
            "{reason}: approval #{approval_id} holds the upload; someone else grants it with `n8nops approvals approve {approval_id}`"
        );
        return Ok(());
    }
    if report.outcome != OpOutcome::Done || !report.rejected.is_empty() {
        let (outcome, detail) = outcome_words(&report.outcome);
        if report.outcome != OpOutcome::Done {
            bail!("upload to {} {outcome}: {detail}", report.env);
        }
        bail!("{} files rejected", report.rejected.len());
    }
    Ok(())
}

fn print_upload(report: &UploadReport) {
    for a in &report.accepted {
        println!("created  {}  {}  from {}", a.id, a.name, a.file);
    }
    for r in &report.rejected {
        println!("rejected {}: {}", r.file, r.reason);
    }
    eprintln!(
        "{}: {} created, {} rejected",
        report.env,
        report.accepted.len(),
        report.rejected.len()
    );
}

async fn download(
    ctx: &Context,
    ops: &dyn Ops,
    env: String,
    ids: Vec<String>,
    output: Option<PathBuf>,
) -> Result<()> {
    let targets = if ids.is_empty() {
        ops.workflows_list(WorkflowQuery {
            env: Some(env.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|w| WorkflowRef {
            env: w.env,
            id: w.id,
        })
        .collect()
    } else {
        resolve_in(ops, &env, &ids).await?
    };
    if targets.is_empty() {
        bail!("no workflows stored for {env}: sync it first");
    }
    let result = ops.workflows_download(DownloadRequest { targets }).await?;
    let path = output.unwrap_or_else(|| PathBuf::from(&result.file_name));
    write_new_or_replace(&path, &result.zip)?;
    if ctx.json {
        return output::json(&serde_json::json!({
            "file": path.display().to_string(),
            "workflows": result.workflows,
            "bytes": result.zip.len(),
        }));
    }
    eprintln!(
        "{} workflows written to {}",
        result.workflows,
        path.display()
    );
    Ok(())
}

/// Writes through a temporary file beside `path`, so a failed write never leaves half
/// an archive where a whole file was.
fn write_new_or_replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir, path)?;
    let written = tmp
        .1
        .write_all(bytes)
        .and_then(|()| tmp.1.sync_all())
        .and_then(|()| std::fs::rename(&tmp.0, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp.0);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

fn tempfile_in(dir: &Path, path: &Path) -> Result<(PathBuf, std::fs::File)> {
    let stem = path
        .file_name()
        .map_or_else(|| "download".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{stem}.{}.part", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    Ok((tmp, file))
}

async fn trash(ctx: &Context, ops: &dyn Ops, env: Option<String>) -> Result<()> {
    let list = ops.trash_list(env).await?;
    if ctx.json {
        return output::json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.env.clone(),
                t.workflow_id.clone(),
                output::time(Some(t.deleted_at)),
                t.deleted_by.clone(),
                t.name.clone(),
            ]
        })
        .collect();
    table(&["TRASH", "ENV", "WAS", "DELETED", "BY", "NAME"], &rows);
    eprintln!(
        "{} in the trash: restore one with `n8nops workflows restore TRASH`",
        list.len()
    );
    Ok(())
}

async fn restore(ctx: &Context, ops: &dyn Ops, trash_id: i64, yes: bool) -> Result<()> {
    let mut result = ops.trash_restore(trash_id, yes).await?;
    if let OpOutcome::NeedsConfirmation { reason } = &result.outcome {
        eprintln!("{reason}");
        if ask(&format!("Restore {}?", label(&result)))? {
            result = ops.trash_restore(trash_id, true).await?;
        }
    }
    if let OpOutcome::PendingApproval { approval_id, .. } = result.outcome
        && yes
        && let Some(view) = self_approve_one(ops, approval_id).await
        && let Some(ran) = view.result.and_then(|r| r.results.into_iter().next())
    {
        result = ran;
    }
    let report = WorkflowOpReport {
        results: vec![result],
    };
    if ctx.json {
        output::json(&report.results[0])?;
    } else {
        print_report(&report);
    }
    exit_status(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_refusals_and_unconfirmed_targets_fail_the_command() {
        let result = |outcome| crate::service::WorkflowOpResult {
            target: WorkflowRef {
                env: "prod".into(),
                id: "1".into(),
            },
            name: None,
            outcome,
        };
        let ok = WorkflowOpReport {
            results: vec![
                result(OpOutcome::Done),
                result(OpOutcome::PendingApproval {
                    approval_id: 1,
                    reason: "r".into(),
                }),
            ],
        };
        assert!(exit_status(&ok).is_ok());
        for bad in [
            OpOutcome::Blocked { reason: "r".into() },
            OpOutcome::Failed { error: "e".into() },
            OpOutcome::NeedsConfirmation { reason: "r".into() },
        ] {
            let report = WorkflowOpReport {
                results: vec![result(OpOutcome::Done), result(bad)],
            };
            assert_eq!(
                exit_status(&report).unwrap_err().to_string(),
                "1 of 2 workflows were not done"
            );
        }
    }
}
