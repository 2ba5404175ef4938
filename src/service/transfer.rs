//! Workflows in and out as files: upload JSON files or ZIPs of them (each file checked,
//! each rejection with its reason), download a ZIP of workflows as last synced.

use super::archive::{Limits, Unpacker, write_zip};
use super::local::LocalOps;
use super::tagging::TagBook;
use super::types::*;
use super::workflow_ops::{Asked, CreateRuling, OpEvent, StoreChange, granted_by};
use super::{OpsError, OpsResult};
use crate::domain::normalize::pretty_json;
use crate::domain::transfer::{archive_paths, safe_stem, workflows_in};
use crate::n8n::N8nError;
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::{environments, workflows};
use std::collections::HashSet;

const UPLOAD: &str = "workflow.upload";
const DOWNLOAD: &str = "workflow.download";

/// Why n8n refused a workflow, in its own words where it gave some.
fn refusal(e: N8nError) -> String {
    match e {
        N8nError::Validation { message, .. } | N8nError::Rejected { message, .. } => {
            format!("n8n refused it: {message}")
        }
        other => other.to_string(),
    }
}

/// How many file names an upload's summary spells out.
const FILES_IN_SUMMARY: usize = 3;

/// `upload a.json to prod`, `upload 5 files to prod: 'a.json', 'b.zip', 'c.json' and 2 more`.
pub(super) fn upload_summary(files: &[UploadFile], env: &str) -> String {
    if let [file] = files {
        return format!("upload '{}' to {env}", file.name);
    }
    let mut names = files
        .iter()
        .take(FILES_IN_SUMMARY)
        .map(|f| format!("'{}'", f.name))
        .collect::<Vec<_>>()
        .join(", ");
    let rest = files.len().saturating_sub(FILES_IN_SUMMARY);
    if rest > 0 {
        names.push_str(&format!(" and {rest} more"));
    }
    format!("upload {} files to {env}: {names}", files.len())
}

impl LocalOps {
    pub(super) async fn upload_workflows(&self, req: UploadRequest) -> OpsResult<UploadReport> {
        let asked = Asked::Now {
            confirmed: req.confirmed,
        };
        self.upload_as(req, asked).await
    }

    /// An upload, asked now or run by a granted approval. Where the policy requires
    /// approval, an approval holding the files is recorded and nothing is created.
    pub(super) async fn upload_as(
        &self,
        req: UploadRequest,
        asked: Asked,
    ) -> OpsResult<UploadReport> {
        if req.files.is_empty() {
            return Err(OpsError::invalid("no file to upload"));
        }
        let env = {
            let mut conn = self.store.conn().await?;
            environments::get(&mut conn, &req.env).await?
        };
        let mut report = UploadReport {
            env: env.name.clone(),
            outcome: OpOutcome::Done,
            accepted: Vec::new(),
            rejected: Vec::new(),
        };
        match self.upload_ruling(&env, asked) {
            CreateRuling::Go => {}
            CreateRuling::Hold { reason } => {
                let summary = upload_summary(&req.files, &env.name);
                let approval_id = self
                    .hold(&env, &HeldRequest::Upload(req), &summary, None)
                    .await?;
                report.outcome = OpOutcome::PendingApproval {
                    approval_id,
                    reason,
                };
                return Ok(report);
            }
            CreateRuling::Refuse(outcome) => {
                if let OpOutcome::Blocked { reason } = &outcome {
                    self.audit_refusal(UPLOAD, &env.name, None, &format!("blocked: {reason}"))
                        .await;
                }
                report.outcome = outcome;
                return Ok(report);
            }
        }
        let by = granted_by(asked);
        let mut unpacker = Unpacker::new(Limits::default());
        for file in req.files {
            unpacker.add(file);
        }
        report.rejected = std::mem::take(&mut unpacker.rejected);
        let client = match self.client(&env).await {
            Ok(client) => client,
            Err(err) => {
                self.audit_refusal(UPLOAD, &env.name, None, &err.message)
                    .await;
                return Err(err);
            }
        };
        let mut book = TagBook::default();
        for file in unpacker.files {
            for (label, checked) in workflows_in(&file.file, &file.bytes) {
                let workflow = match checked {
                    Ok(workflow) => workflow,
                    Err(reason) => {
                        report.rejected.push(UploadRejected {
                            file: label,
                            reason,
                        });
                        continue;
                    }
                };
                let created = match client.create_workflow(&workflow).await {
                    Ok(created) => created,
                    Err(e) => {
                        report.rejected.push(UploadRejected {
                            file: label,
                            reason: refusal(e),
                        });
                        continue;
                    }
                };
                // n8n creates without tags: the file's are set after.
                let mut detail = String::new();
                let created = match book.tag_as_file(&client, &created.id, &workflow).await {
                    Ok(false) => created,
                    Ok(true) => match client.get_workflow(&created.id).await {
                        Ok(tagged) => tagged,
                        Err(_) => created,
                    },
                    Err(e) => {
                        detail = format!("; its tags could not be set: {}", e.message);
                        created
                    }
                };
                let accepted = UploadAccepted {
                    file: label,
                    id: created.id.clone(),
                    name: created.name.clone(),
                };
                let event = OpEvent {
                    action: UPLOAD,
                    workflow: Some(&accepted.id),
                    detail: format!("'{}' from {}{by}{detail}", accepted.name, accepted.file),
                };
                let change = StoreChange {
                    put: Some(created),
                    tags: book.rows_if_created(),
                    ..StoreChange::default()
                };
                // It exists in n8n whatever the store says: accepted either way.
                if let Err(err) = self.commit_change(&env, change, event).await {
                    let detail = format!(
                        "'{}' was created as {} from {}, but storing it failed: {}",
                        accepted.name, accepted.id, accepted.file, err.message
                    );
                    self.audit_refusal(UPLOAD, &env.name, Some(&accepted.id), &detail)
                        .await;
                }
                report.accepted.push(accepted);
            }
        }
        for r in &report.rejected {
            let detail = format!("{}: {}", r.file, r.reason);
            self.audit_refusal(UPLOAD, &env.name, None, &detail).await;
        }
        Ok(report)
    }

    /// A ZIP of the targets as last synced, each as n8n returned it (pretty-printed).
    pub(super) async fn download_workflows(
        &self,
        req: DownloadRequest,
    ) -> OpsResult<DownloadResult> {
        let Some(first) = req.targets.first() else {
            return Err(OpsError::invalid("no workflow to download"));
        };
        let env = first.env.clone();
        let result = self.zip_workflows(&req.targets).await;
        if let Err(err) = &result {
            self.audit_refusal(DOWNLOAD, &env, None, &err.message).await;
        }
        result
    }

    async fn zip_workflows(&self, targets: &[WorkflowRef]) -> OpsResult<DownloadResult> {
        let mut conn = self.store.conn().await?;
        let mut seen = HashSet::new();
        let mut known_envs = HashSet::new();
        let mut docs: Vec<(String, String, String, String)> = Vec::new();
        for t in targets {
            if !seen.insert((t.env.as_str(), t.id.as_str())) {
                continue;
            }
            if known_envs.insert(t.env.as_str()) {
                environments::get(&mut conn, &t.env).await?;
            }
            let (row, raw, _) =
                workflows::get(&mut conn, &t.env, &t.id)
                    .await?
                    .ok_or_else(|| {
                        OpsError::not_found(format!(
                            "no workflow {} in '{}' in the store: sync it, or check the id",
                            t.id, t.env
                        ))
                    })?;
            let value: serde_json::Value = serde_json::from_str(&raw).map_err(|e| {
                OpsError::new(
                    super::ErrorKind::Store,
                    format!(
                        "stored JSON of workflow {} in '{}' is damaged: {e}",
                        t.id, t.env
                    ),
                )
            })?;
            docs.push((row.env, row.name, row.n8n_id, pretty_json(&value)));
        }
        let paths = archive_paths(
            docs.iter()
                .map(|(env, name, id, _)| (env.as_str(), name.as_str(), id.as_str())),
        );
        let zip = write_zip(
            paths
                .iter()
                .zip(&docs)
                .map(|(path, doc)| (path.as_str(), doc.3.as_bytes())),
        )
        .map_err(|e| OpsError::internal(format!("writing the download archive: {e}")))?;
        let envs: Vec<&str> = {
            let mut envs: Vec<&str> = docs.iter().map(|d| d.0.as_str()).collect();
            envs.sort_unstable();
            envs.dedup();
            envs
        };
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let file_name = match envs.as_slice() {
            [env] => format!("{}-workflows-{stamp}.zip", safe_stem(env)),
            _ => format!("workflows-{stamp}.zip"),
        };
        let single_env = (envs.len() == 1).then(|| envs[0]);
        let single_wf = (docs.len() == 1).then(|| docs[0].2.as_str());
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action: DOWNLOAD,
            env: single_env,
            workflow: single_wf,
            outcome: Outcome::Ok,
            detail: Some(format!(
                "{} workflows from {} as {file_name}",
                docs.len(),
                envs.join(", ")
            )),
        };
        audit::record(&mut conn, &event).await?;
        Ok(DownloadResult {
            file_name,
            workflows: docs.len(),
            zip,
        })
    }
}
