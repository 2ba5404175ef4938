//! Workflow operations from the pane: each is one `Ops` call over the selected or
//! marked workflows, and each answer of the policy becomes what the person sees: a
//! flash, a confirmation that resends the request confirmed, an approval's number, a
//! report of an upload's files.

use super::detail::{DocLine, Tone};
use super::prompt::{self, Prompt, PromptKind};
use super::{Msg, Report, WorkflowsPane};
use crate::domain::environment::EnvClass;
use crate::service::{
    DownloadRequest, OpOutcome, Ops, OpsResult, UploadFile, UploadRejected, UploadReport,
    UploadRequest, WorkflowAction, WorkflowOpReport, WorkflowOpRequest, WorkflowQuery, WorkflowRef,
};
use crate::tui::action::Action;
use crate::tui::pane::{Confirm, Cx};
use std::sync::Arc;

impl WorkflowsPane {
    pub(super) fn send(&mut self, request: WorkflowOpRequest, cx: &mut Cx) {
        cx.spawn(move |ops| async move {
            Msg::Ran {
                result: ops.workflow_op(request.clone()).await,
                request,
            }
        });
    }

    /// Activate, deactivate or tag: sent at once; the policy may ask to confirm.
    pub(super) fn run(&mut self, action: WorkflowAction, targets: Vec<WorkflowRef>, cx: &mut Cx) {
        if targets.is_empty() {
            cx.info("No workflow selected.");
            return;
        }
        self.send(
            WorkflowOpRequest {
                action,
                targets,
                confirmed: false,
            },
            cx,
        );
    }

    /// Deleting always asks first; for good, by typing the environment's name.
    pub(super) fn confirm_delete(&mut self, hard: bool, cx: &mut Cx) {
        let targets = self.targets();
        let Some((first, _)) = targets.first() else {
            cx.info("No workflow selected.");
            return;
        };
        let what = self.describe_all(&targets);
        let request = WorkflowOpRequest {
            action: WorkflowAction::Delete { hard },
            targets: targets.iter().map(|(t, _)| t.clone()).collect(),
            confirmed: true,
        };
        let confirm = if hard {
            let env = first.env.clone();
            if targets.iter().any(|(t, _)| t.env != env) {
                cx.error("Delete for good works on one environment at a time: mark workflows of one environment.");
                return;
            }
            Confirm {
                title: format!("Delete {what} for good?"),
                message: format!(
                    "{what} will be deleted from {env} and not kept in the trash. This cannot be undone. Type {env} to confirm."
                ),
                type_to_confirm: Some(env),
                payload: Box::new(Msg::Send(request)),
            }
        } else {
            Confirm {
                title: format!("Delete {what}?"),
                message: format!(
                    "{what} will be deleted from n8n. The store keeps a copy in the trash, from where it can be restored."
                ),
                type_to_confirm: None,
                payload: Box::new(Msg::Send(request)),
            }
        };
        cx.confirm(confirm);
    }

    /// The environment an upload goes to: the one the catalog shows, else the one of
    /// the row under the cursor.
    fn focus_env(&self) -> Option<String> {
        self.catalog
            .env
            .clone()
            .or_else(|| self.catalog.current().map(|w| w.env.clone()))
    }

    pub(super) fn open_prompt(&mut self, action: Action, cx: &mut Cx) {
        let targets: Vec<WorkflowRef> = self.targets().into_iter().map(|(t, _)| t).collect();
        let prompt = match action {
            Action::Tag if !targets.is_empty() => Prompt::tag(targets),
            Action::Download if !targets.is_empty() => {
                let env = match targets.first() {
                    Some(first) if targets.iter().all(|t| t.env == first.env) => first.env.clone(),
                    _ => "all".to_string(),
                };
                let today = self
                    .today
                    .unwrap_or_else(|| chrono::Utc::now().date_naive());
                let path = prompt::default_download_path(&env, today);
                Prompt::download(targets, &path)
            }
            Action::Upload => match self.focus_env() {
                Some(env) => Prompt::upload(env),
                None => {
                    cx.error("Choose the environment to upload to first (:wf NAME).");
                    return;
                }
            },
            _ => {
                cx.info("No workflow selected.");
                return;
            }
        };
        self.prompt = Some(prompt);
    }

    pub(super) fn submit_prompt(&mut self, kind: PromptKind, text: String, cx: &mut Cx) {
        match kind {
            PromptKind::Tag { targets } => match prompt::parse_tags(&text) {
                Ok((add, remove)) => self.run(WorkflowAction::Tag { add, remove }, targets, cx),
                Err(e) => cx.error(e),
            },
            PromptKind::Upload { env } => {
                let paths = prompt::split_paths(&text);
                if paths.is_empty() {
                    cx.error(format!(
                        "Type the paths of .json or .zip files to upload to {env}."
                    ));
                    return;
                }
                cx.spawn(move |ops| upload(ops, env, paths));
            }
            PromptKind::Download { targets } => {
                if text.is_empty() {
                    cx.error("Type the path of the ZIP file to write.");
                    return;
                }
                cx.spawn(move |ops| download(ops, targets, text));
            }
        }
    }

    /// The diff of this workflow against the same-named one in the next environment
    /// in class order (or the previous, from the last).
    pub(super) fn open_diff(&mut self, cx: &mut Cx) {
        let current = match &self.detail {
            Some(_) => self.targets().into_iter().next(),
            None => self.catalog.current().map(|w| {
                let target = WorkflowRef {
                    env: w.env.clone(),
                    id: w.id.clone(),
                };
                (target, w.name.clone())
            }),
        };
        let Some((this, name)) = current else {
            cx.info("No workflow selected.");
            return;
        };
        cx.spawn(move |ops| async move { Msg::DiffWith(diff_partner(ops, this, name).await) });
    }

    pub(super) fn on_ran(
        &mut self,
        request: WorkflowOpRequest,
        report: WorkflowOpReport,
        cx: &mut Cx,
    ) {
        let done: Vec<WorkflowRef> = report
            .results
            .iter()
            .filter(|r| r.outcome == OpOutcome::Done)
            .map(|r| r.target.clone())
            .collect();
        let answer = answer(&request, report, |t, n| self.describe(t, n));
        if let Some((is_error, text)) = answer.flash() {
            if is_error {
                cx.error(text);
            } else {
                cx.info(text);
            }
        }
        for t in &done {
            self.catalog.marks.remove(&(t.env.clone(), t.id.clone()));
        }
        if let Some((again, reasons)) = answer.confirm {
            let targets: Vec<(WorkflowRef, String)> = again
                .targets
                .iter()
                .map(|t| (t.clone(), self.describe(t, None)))
                .collect();
            let what = match targets.as_slice() {
                [(_, one)] => one.clone(),
                many => format!("{} workflows", many.len()),
            };
            cx.confirm(Confirm {
                title: format!("{} {what}?", capitalized(verb(&again.action))),
                message: reasons.join("\n"),
                type_to_confirm: None,
                payload: Box::new(Msg::Send(again)),
            });
        }
        if answer.reload {
            self.request_load(cx);
            if matches!(request.action, WorkflowAction::Delete { .. })
                && self
                    .detail
                    .as_ref()
                    .is_some_and(|v| done.contains(&v.target))
            {
                self.detail = None;
            } else {
                self.load_detail(cx);
            }
        }
    }

    pub(super) fn on_uploaded(
        &mut self,
        request: UploadRequest,
        unreadable: Vec<UploadRejected>,
        result: Option<OpsResult<UploadReport>>,
        cx: &mut Cx,
    ) {
        let env = request.env.clone();
        let report = match result {
            None => {
                cx.error(format!("Nothing uploaded to {env}: no file could be read."));
                self.report = Some(Report {
                    title: format!("Upload to {env}"),
                    lines: upload_lines(
                        &UploadReport {
                            env: env.clone(),
                            outcome: OpOutcome::Done,
                            accepted: Vec::new(),
                            rejected: Vec::new(),
                        },
                        &unreadable,
                    ),
                });
                return;
            }
            Some(Err(e)) => {
                cx.error(format!("Upload to {env} failed: {e}"));
                return;
            }
            Some(Ok(report)) => report,
        };
        match &report.outcome {
            OpOutcome::Done => {
                let rejected = report.rejected.len() + unreadable.len();
                let text = format!(
                    "Uploaded {} to {env}{}",
                    count(report.accepted.len()),
                    if rejected > 0 {
                        format!(", {rejected} files rejected")
                    } else {
                        String::new()
                    }
                );
                if rejected > 0 {
                    cx.error(text);
                } else {
                    cx.info(text);
                }
                self.report = Some(Report {
                    title: format!("Upload to {env}"),
                    lines: upload_lines(&report, &unreadable),
                });
                self.request_load(cx);
            }
            OpOutcome::NeedsConfirmation { reason } => cx.confirm(Confirm {
                title: format!("Upload {} files to {env}?", request.files.len()),
                message: reason.clone(),
                type_to_confirm: None,
                payload: Box::new(Msg::SendUpload {
                    request: UploadRequest {
                        confirmed: true,
                        ..request
                    },
                    unreadable,
                }),
            }),
            OpOutcome::PendingApproval {
                approval_id,
                reason,
            } => cx.info(format!(
                "Approval #{approval_id} requested to upload to {env}: {reason}"
            )),
            OpOutcome::Blocked { reason } => {
                cx.error(format!("Upload to {env} blocked: {reason}"));
            }
            OpOutcome::Failed { error } => cx.error(format!("Upload to {env} failed: {error}")),
        }
    }
}

/// Reads the files, then sends them; a file that cannot be read is reported, not sent.
pub(super) async fn upload(ops: Arc<dyn Ops>, env: String, paths: Vec<String>) -> Msg {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in paths {
        match tokio::fs::read(&path).await {
            Ok(bytes) => files.push(UploadFile { name: path, bytes }),
            Err(e) => unreadable.push(UploadRejected {
                file: path,
                reason: format!("cannot be read: {e}"),
            }),
        }
    }
    let request = UploadRequest {
        env,
        files,
        confirmed: false,
    };
    let result = if request.files.is_empty() {
        None
    } else {
        Some(ops.workflows_upload(request.clone()).await)
    };
    Msg::Uploaded {
        request,
        unreadable,
        result,
    }
}

/// Downloads the ZIP and writes it to `path`, never over an existing file.
pub(super) async fn download(ops: Arc<dyn Ops>, targets: Vec<WorkflowRef>, path: String) -> Msg {
    let result = async {
        let zip = ops
            .workflows_download(DownloadRequest { targets })
            .await
            .map_err(|e| format!("download failed: {e}"))?;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    format!("{path} exists already: type another path")
                }
                _ => format!("cannot write {path}: {e}"),
            })?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &zip.zip)
            .await
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        Ok(zip.workflows)
    }
    .await;
    Msg::Downloaded { path, result }
}

/// The two sides of the diff of `this` (named `name`): it and the same-named workflow
/// in the environment after its own in class order, or before it from the last one.
/// None when there is only one environment.
pub(super) async fn diff_partner(
    ops: Arc<dyn Ops>,
    this: WorkflowRef,
    name: String,
) -> OpsResult<Option<(Option<WorkflowRef>, Option<WorkflowRef>)>> {
    let mut envs: Vec<(EnvClass, String)> = ops
        .env_list()
        .await?
        .into_iter()
        .map(|e| (e.class, e.name))
        .collect();
    envs.sort();
    let Some(at) = envs.iter().position(|(_, n)| *n == this.env) else {
        return Ok(None);
    };
    let (other, this_first) = match (envs.get(at + 1), at.checked_sub(1)) {
        (Some((_, next)), _) => (next.clone(), true),
        (None, Some(prev)) => (envs[prev].1.clone(), false),
        (None, None) => return Ok(None),
    };
    let same = ops
        .workflows_list(WorkflowQuery {
            env: Some(other.clone()),
            search: Some(name.clone()),
            ..WorkflowQuery::default()
        })
        .await?
        .into_iter()
        .find(|w| w.name == name)
        .map(|w| WorkflowRef {
            env: w.env,
            id: w.id,
        });
    Ok(Some(if this_first {
        (Some(this), same)
    } else {
        (same, Some(this))
    }))
}

/// "1 workflow", "3 workflows".
pub(super) fn count(n: usize) -> String {
    if n == 1 {
        "1 workflow".into()
    } else {
        format!("{n} workflows")
    }
}

/// "activate", "delete for good"...
pub(super) fn verb(action: &WorkflowAction) -> &'static str {
    match action {
        WorkflowAction::Activate => "activate",
        WorkflowAction::Deactivate => "deactivate",
        WorkflowAction::Delete { hard: false } => "delete",
        WorkflowAction::Delete { hard: true } => "delete for good",
        WorkflowAction::Tag { .. } => "tag",
    }
}

fn past(action: &WorkflowAction) -> &'static str {
    match action {
        WorkflowAction::Activate => "activated",
        WorkflowAction::Deactivate => "deactivated",
        WorkflowAction::Delete { hard: false } => "deleted (kept in the trash)",
        WorkflowAction::Delete { hard: true } => "deleted for good",
        WorkflowAction::Tag { .. } => "tagged",
    }
}

/// What the pane does with a report of `workflow_op`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Answer {
    /// A flash: what went through.
    pub info: Vec<String>,
    /// A flash in the error style: what was blocked or failed.
    pub errors: Vec<String>,
    /// The targets the policy wants confirmed, with its reasons (deduplicated).
    pub confirm: Option<(WorkflowOpRequest, Vec<String>)>,
    /// Something changed (or was queued): reload what is shown.
    pub reload: bool,
}

impl Answer {
    /// One message for the flash: errors win, as they need reading.
    pub fn flash(&self) -> Option<(bool, String)> {
        if !self.errors.is_empty() {
            let all: Vec<&str> = self
                .errors
                .iter()
                .chain(&self.info)
                .map(String::as_str)
                .collect();
            Some((true, all.join(" · ")))
        } else if !self.info.is_empty() {
            Some((false, self.info.join(" · ")))
        } else {
            None
        }
    }
}

/// Sorts a report into flashes, a confirmation to ask and whether to reload.
/// `name` names a target for messages.
pub(super) fn answer(
    request: &WorkflowOpRequest,
    report: WorkflowOpReport,
    name: impl Fn(&WorkflowRef, Option<&str>) -> String,
) -> Answer {
    let mut answer = Answer::default();
    let mut done = Vec::new();
    let mut pending: Vec<(i64, String)> = Vec::new();
    let mut confirm_targets = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    for r in report.results {
        let who = name(&r.target, r.name.as_deref());
        match r.outcome {
            OpOutcome::Done => done.push(who),
            OpOutcome::NeedsConfirmation { reason } => {
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
                confirm_targets.push(r.target);
            }
            OpOutcome::PendingApproval { approval_id, .. } => pending.push((approval_id, who)),
            OpOutcome::Blocked { reason } => {
                answer.errors.push(format!("{who}: blocked: {reason}"));
            }
            OpOutcome::Failed { error } => {
                answer.errors.push(format!(
                    "{who}: could not {}: {error}",
                    verb(&request.action)
                ));
            }
        }
    }
    if !done.is_empty() {
        answer.reload = true;
        let what = match done.as_slice() {
            [one] => one.clone(),
            many => count(many.len()),
        };
        answer
            .info
            .insert(0, format!("{} {what}", capitalized(past(&request.action))));
    }
    if !pending.is_empty() {
        answer.reload = true;
        let (ids, what) = match pending.as_slice() {
            [(id, one)] => (format!("Approval #{id}"), one.clone()),
            many => {
                let ids: Vec<String> = many.iter().map(|(id, _)| format!("#{id}")).collect();
                (format!("Approvals {}", ids.join(", ")), count(many.len()))
            }
        };
        answer.info.push(format!(
            "{ids} requested to {} {what}",
            verb(&request.action)
        ));
    }
    if !confirm_targets.is_empty() {
        let again = WorkflowOpRequest {
            action: request.action.clone(),
            targets: confirm_targets,
            confirmed: true,
        };
        answer.confirm = Some((again, reasons));
    }
    answer
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What an upload did, file by file, for the report panel.
pub(super) fn upload_lines(report: &UploadReport, unreadable: &[UploadRejected]) -> Vec<DocLine> {
    let mut lines = Vec::new();
    for a in &report.accepted {
        lines.push(
            DocLine::default()
                .push("✓ ", Tone::Ok)
                .push(a.file.clone(), Tone::Base)
                .push(format!("  → '{}' (id {})", a.name, a.id), Tone::Muted),
        );
    }
    for r in unreadable.iter().chain(&report.rejected) {
        lines.push(
            DocLine::default()
                .push("✗ ", Tone::Error)
                .push(r.file.clone(), Tone::Base)
                .push(format!("  {}", r.reason), Tone::Error),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::WorkflowOpResult;

    fn target(id: &str) -> WorkflowRef {
        WorkflowRef {
            env: "staging".into(),
            id: id.into(),
        }
    }

    #[test]
    fn a_report_sorts_into_flashes_and_one_confirmation() {
        let request = WorkflowOpRequest {
            action: WorkflowAction::Activate,
            targets: vec![target("1"), target("2"), target("3"), target("4")],
            confirmed: false,
        };
        let result = |id: &str, outcome| WorkflowOpResult {
            target: target(id),
            name: Some(format!("W{id}")),
            outcome,
        };
        let report = WorkflowOpReport {
            results: vec![
                result("1", OpOutcome::Done),
                result(
                    "2",
                    OpOutcome::NeedsConfirmation {
                        reason: "staging warns".into(),
                    },
                ),
                result(
                    "3",
                    OpOutcome::Blocked {
                        reason: "production is closed".into(),
                    },
                ),
                result(
                    "4",
                    OpOutcome::PendingApproval {
                        approval_id: 7,
                        reason: "needs a second person".into(),
                    },
                ),
            ],
        };
        let a = answer(&request, report, |t, n| {
            format!("'{}' in {}", n.unwrap_or(&t.id), t.env)
        });
        assert!(a.reload);
        assert_eq!(
            a.info,
            vec![
                "Activated 'W1' in staging",
                "Approval #7 requested to activate 'W4' in staging"
            ]
        );
        assert_eq!(
            a.errors,
            vec!["'W3' in staging: blocked: production is closed"]
        );
        let (again, reasons) = a.confirm.clone().expect("a confirmation");
        assert_eq!(again.targets, vec![target("2")]);
        assert!(again.confirmed);
        assert_eq!(reasons, vec!["staging warns"]);
        assert_eq!(a.flash().map(|f| f.0), Some(true));
    }
}
