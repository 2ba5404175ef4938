//! Tags on workflows: the tag book of an environment (tags read once, created when
//! missing), retagging a workflow, and the tag names a workflow file carries.

use super::local::LocalOps;
use super::types::*;
use super::workflow_ops::{OpEvent, StoreChange, after_change, describe};
use super::{ErrorKind, OpsError, OpsResult};
use crate::n8n::{N8nClient, N8nError, Tag};
use crate::store::environments::EnvRow;
use crate::store::inventory::TagRow;

/// n8n's longest tag name.
pub(super) const MAX_TAG_NAME: usize = 24;

/// Tag names as n8n keeps them: n8n trims a name before it looks it up or stores it,
/// so " ops " means the tag "ops". Trimmed, each name once.
pub(super) fn trim_tag_names(action: &mut WorkflowAction) {
    if let WorkflowAction::Tag { add, remove } = action {
        for names in [add, remove] {
            let mut seen = std::collections::HashSet::new();
            *names = names
                .iter()
                .map(|name| name.trim().to_owned())
                .filter(|name| seen.insert(name.clone()))
                .collect();
        }
    }
}

/// The tags of an environment, read once per bulk operation and grown as tags are
/// created.
#[derive(Default)]
pub(super) struct TagBook {
    all: Option<Vec<Tag>>,
    created: bool,
}

impl TagBook {
    /// The id of the tag with this name, created when missing.
    async fn id_of(&mut self, client: &N8nClient, name: &str) -> OpsResult<String> {
        if self.all.is_none() {
            self.all = Some(client.all_tags().await?);
        }
        let find = |all: &Option<Vec<Tag>>| {
            all.iter()
                .flatten()
                .find(|t| t.name == name)
                .map(|t| t.id.clone())
        };
        if let Some(id) = find(&self.all) {
            return Ok(id);
        }
        match client.create_tag(name).await {
            Ok(tag) => {
                let id = tag.id.clone();
                self.all.get_or_insert_default().push(tag);
                self.created = true;
                Ok(id)
            }
            // Someone created it since the list was read.
            Err(N8nError::Rejected { status: 409, .. }) => {
                self.all = Some(client.all_tags().await?);
                self.created = true;
                find(&self.all).ok_or_else(|| {
                    OpsError::new(
                        ErrorKind::Upstream,
                        format!("{}: tag '{name}' exists but is not listed", client.env()),
                    )
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every tag of the environment as the store keeps them, when this book created some.
    /// Gives a just-created workflow the tags its file names. Returns whether it set any.
    pub(super) async fn tag_as_file(
        &mut self,
        client: &N8nClient,
        id: &str,
        workflow: &serde_json::Value,
    ) -> OpsResult<bool> {
        let names = file_tag_names(workflow);
        if names.is_empty() {
            return Ok(false);
        }
        let mut ids = Vec::with_capacity(names.len());
        for name in &names {
            ids.push(self.id_of(client, name).await?);
        }
        client.set_workflow_tags(id, &ids).await?;
        Ok(true)
    }

    pub(super) fn rows_if_created(&self) -> Option<Vec<TagRow>> {
        let all = self.all.as_ref().filter(|_| self.created)?;
        Some(
            all.iter()
                .map(|t| TagRow {
                    n8n_id: t.id.clone(),
                    name: t.name.clone(),
                })
                .collect(),
        )
    }
}

impl LocalOps {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn retag(
        &self,
        env: &EnvRow,
        client: &N8nClient,
        book: &mut TagBook,
        id: &str,
        add: &[String],
        remove: &[String],
        by: &str,
    ) -> OpsResult<String> {
        let current = client.get_workflow_tags(id).await?;
        let mut ids: Vec<String> = current
            .iter()
            .filter(|t| !remove.contains(&t.name))
            .map(|t| t.id.clone())
            .collect();
        for name in add {
            if !current.iter().any(|t| &t.name == name) {
                ids.push(book.id_of(client, name).await?);
            }
        }
        client.set_workflow_tags(id, &ids).await?;
        let detail = format!(
            "{}{by}",
            describe(&WorkflowAction::Tag {
                add: add.to_vec(),
                remove: remove.to_vec(),
            })
        );
        let stored = async {
            let now = client.get_workflow(id).await?;
            let name = now.name.clone();
            let event = OpEvent {
                action: "workflow.tag",
                workflow: Some(id),
                detail: format!("{detail} on '{name}'"),
            };
            let change = StoreChange {
                put: Some(now),
                tags: book.rows_if_created(),
                ..StoreChange::default()
            };
            self.commit_change(env, change, event).await?;
            Ok::<_, OpsError>(name)
        };
        stored
            .await
            .map_err(|e| after_change(&format!("the tags of workflow {id} were set"), &env.name, e))
    }
}

/// The tag names a workflow file carries, as n8n exports them (`[{"name": ...}]`) or
/// as plain strings; trimmed as n8n trims them, blanks and repeats dropped.
pub(super) fn file_tag_names(workflow: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let listed = workflow.get("tags").and_then(|t| t.as_array());
    for tag in listed.into_iter().flatten() {
        let name = tag
            .get("name")
            .and_then(|n| n.as_str())
            .or_else(|| tag.as_str());
        if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty())
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    names
}
