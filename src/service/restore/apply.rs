//! Applying one planned step to the target instance, then re-fetching the workflow to
//! verify it by fingerprint against the snapshot's version.

use super::super::local::LocalOps;
use super::super::tagging::TagBook;
use super::super::types::*;
use super::body::{CredentialIds, restore_body};
use super::plan::{Step, same_tags};
use crate::domain::normalize::fingerprint;
use crate::n8n::{N8nClient, N8nError, WorkflowRecord};
use crate::store::environments::EnvRow;
use serde_json::json;

/// What applying steps into one environment needs, shared by the steps.
pub(super) struct Applier<'a> {
    pub ops: &'a LocalOps,
    pub env: &'a EnvRow,
    pub client: N8nClient,
    /// The target's credential ids by type and name, for the bodies written.
    pub creds: CredentialIds,
    /// The target's tags, read once and grown as tags are created.
    pub book: tokio::sync::Mutex<TagBook>,
    /// Says in the audit of a soft delete what did it: ` (restore from prod/...)`.
    pub by: String,
}

impl Applier<'_> {
    /// Applies `step`; never fails as a whole: what went wrong is the item's error,
    /// naming the workflow and the environment.
    pub async fn apply(&self, step: &Step) -> RestoreItemResult {
        let item = &step.item;
        let mut result = RestoreItemResult {
            canonical_id: item.canonical_id.clone(),
            name: item.name.clone(),
            action: item.action,
            n8n_id: item.n8n_id.clone(),
            ok: false,
            verified: false,
            error: None,
        };
        let problems = match item.action {
            RestoreAction::Unchanged => {
                // Equal by fingerprint, active state and tags at the fetch just made.
                result.ok = true;
                result.verified = true;
                Vec::new()
            }
            RestoreAction::Delete => self.delete(step, &mut result).await,
            RestoreAction::Create | RestoreAction::Update => self.write(step, &mut result).await,
        };
        if !problems.is_empty() {
            result.error = Some(format!(
                "'{}' in '{}': {}",
                item.name,
                self.env.name,
                problems.join("; ")
            ));
        }
        result
    }

    /// A soft delete (into the trash, so nothing is lost), verified by n8n no longer
    /// having the workflow.
    async fn delete(&self, step: &Step, result: &mut RestoreItemResult) -> Vec<String> {
        let Some(id) = step.item.n8n_id.as_deref() else {
            return vec!["nothing to delete: the plan names no live workflow".into()];
        };
        if let Err(e) = self
            .ops
            .delete(self.env, &self.client, id, false, &self.by)
            .await
        {
            return vec![format!("it could not be moved to the trash: {}", e.message)];
        }
        result.ok = true;
        match self.client.get_workflow(id).await {
            Err(N8nError::NotFound { .. }) => {
                result.verified = true;
                Vec::new()
            }
            Ok(_) => vec!["n8n still has it after the delete".into()],
            Err(e) => vec![format!("it could not be checked after the delete: {e}")],
        }
    }

    /// A create or an update, then the active state and tags as recorded, then the
    /// check by fingerprint.
    async fn write(&self, step: &Step, result: &mut RestoreItemResult) -> Vec<String> {
        let Some(wanted) = &step.wanted else {
            return vec!["the plan holds no snapshot version of it".into()];
        };
        let recorded = &wanted.mapped;
        let body = || restore_body(&wanted.document, &self.creds, step.live_raw.as_ref());
        let written = match &step.live {
            None => self
                .client
                .create_workflow(&body())
                .await
                .map(State::of)
                .map_err(|e| refusal("create", e)),
            Some(live) if live.fingerprint != recorded.fingerprint => self
                .client
                .update_workflow(&live.n8n_id, &body())
                .await
                .map(State::of)
                .map_err(|e| refusal("update", e)),
            // Only the active state or the tags differ: nothing to write.
            Some(live) => Ok(State {
                id: live.n8n_id.clone(),
                active: live.active,
                tags: live.tags.clone(),
            }),
        };
        let now = match written {
            Ok(now) => now,
            Err(problem) => return vec![problem],
        };
        result.n8n_id = Some(now.id.clone());
        let mut problems = Vec::new();
        if now.active != recorded.active {
            let toggled = if recorded.active {
                self.client.activate_workflow(&now.id).await
            } else {
                self.client.deactivate_workflow(&now.id).await
            };
            if let Err(e) = toggled {
                let verb = if recorded.active {
                    "activate"
                } else {
                    "deactivate"
                };
                problems.push(refusal(verb, e));
            }
        }
        if !same_tags(&now.tags, &recorded.tags)
            && let Err(e) = self.set_tags(&now.id, &recorded.tags).await
        {
            problems.push(format!("its tags could not be set: {e}"));
        }
        result.ok = problems.is_empty();
        match self.client.get_workflow(&now.id).await.map(|r| r.value()) {
            Ok(Ok(value)) => {
                let live = fingerprint(&value);
                if live == recorded.fingerprint {
                    result.verified = true;
                } else {
                    problems.push(format!(
                        "re-fetched, it differs from the snapshot's version (fingerprint {} instead of {})",
                        short(&live),
                        short(&recorded.fingerprint)
                    ));
                }
            }
            Ok(Err(e)) => problems.push(format!("re-fetched, its body is not JSON: {e}")),
            Err(e) => problems.push(format!("it could not be re-fetched to verify it: {e}")),
        }
        problems
    }

    /// Gives workflow `id` exactly these tags (by name, created when missing).
    async fn set_tags(&self, id: &str, names: &[String]) -> Result<(), String> {
        if names.is_empty() {
            return self
                .client
                .set_workflow_tags(id, &[])
                .await
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
        let file = json!({ "tags": names });
        self.book
            .lock()
            .await
            .tag_as_file(&self.client, id, &file)
            .await
            .map(|_| ())
            .map_err(|e| e.message)
    }
}

/// Why n8n did not do `what`, in its own words where it gave some.
fn refusal(what: &str, e: N8nError) -> String {
    match e {
        N8nError::Validation { message, .. } | N8nError::Rejected { message, .. } => {
            format!("n8n refused to {what} it: {message}")
        }
        other => format!("n8n did not {what} it: {other}"),
    }
}

/// What n8n holds of a workflow after the write: what the active state and tags are
/// compared with.
struct State {
    id: String,
    active: bool,
    tags: Vec<String>,
}

impl State {
    fn of(rec: WorkflowRecord) -> State {
        State {
            id: rec.id,
            active: rec.active,
            tags: rec.tags,
        }
    }
}

/// A fingerprint as people read it.
fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}
