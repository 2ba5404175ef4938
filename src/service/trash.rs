//! The trash soft deletes fill: deleting a workflow (kept in the trash first, or hard),
//! listing the trash, and restoring an entry by creating the workflow again.

use super::local::LocalOps;
use super::tagging::TagBook;
use super::types::*;
use super::workflow_ops::{Asked, CreateRuling, OpEvent, StoreChange, after_change, granted_by};
use super::{ErrorKind, OpsError, OpsResult};
use crate::n8n::N8nClient;
use crate::store::environments::{self, EnvRow};
use crate::store::now_ms;
use crate::store::trash::{self, NewTrash};

impl LocalOps {
    pub(super) async fn delete(
        &self,
        env: &EnvRow,
        client: &N8nClient,
        id: &str,
        hard: bool,
        by: &str,
    ) -> OpsResult<String> {
        if hard {
            let gone = client.delete_workflow(id).await?;
            let event = OpEvent {
                action: "workflow.delete",
                workflow: Some(id),
                detail: format!("hard delete of '{}'{by}: not kept", gone.name),
            };
            let change = StoreChange {
                remove: Some(id.to_owned()),
                ..StoreChange::default()
            };
            self.commit_change(env, change, event)
                .await
                .map_err(|e| after_change(&format!("'{}' was deleted", gone.name), &env.name, e))?;
            return Ok(gone.name);
        }
        // Into the trash first: once n8n deletes it, the trash is the only copy.
        let whole = client.get_workflow(id).await?;
        let trash_id = {
            let mut conn = self.store.conn().await?;
            let entry = NewTrash {
                env: &env.name,
                workflow_id: id,
                name: &whole.name,
                active: whole.active,
                body: whole.raw_json(),
                deleted_by: &self.settings.actor,
            };
            trash::insert(&mut conn, &entry, now_ms()).await?
        };
        if let Err(e) = client.delete_workflow(id).await {
            self.forget_trash(trash_id).await;
            return Err(e.into());
        }
        let event = OpEvent {
            action: "workflow.delete",
            workflow: Some(id),
            detail: format!(
                "soft delete of '{}'{by}: kept in the trash as #{trash_id}",
                whole.name
            ),
        };
        let change = StoreChange {
            remove: Some(id.to_owned()),
            ..StoreChange::default()
        };
        self.commit_change(env, change, event).await.map_err(|e| {
            after_change(
                &format!("'{}' was deleted (trash #{trash_id})", whole.name),
                &env.name,
                e,
            )
        })?;
        Ok(whole.name)
    }

    /// Takes back a trash entry whose delete did not happen.
    async fn forget_trash(&self, trash_id: i64) {
        let removed = async {
            let mut conn = self.store.conn().await?;
            trash::remove(&mut conn, trash_id).await
        };
        if let Err(e) = removed.await {
            tracing::error!(trash_id, error = %e, "could not take back the trash entry of a failed delete");
        }
    }

    pub(super) async fn list_trash(&self, env: Option<&str>) -> OpsResult<Vec<TrashedWorkflow>> {
        let mut conn = self.store.conn().await?;
        let rows = trash::list(&mut conn, env).await?;
        Ok(rows
            .into_iter()
            .map(|r| TrashedWorkflow {
                id: r.id,
                env: r.env,
                workflow_id: r.workflow_id,
                name: r.name,
                deleted_at: time_from_ms(r.deleted_at),
                deleted_by: r.deleted_by,
            })
            .collect())
    }

    /// Re-creates a trashed workflow (n8n gives it a new id), with its tags, and
    /// activates it when it was active and n8n agrees. Ruled like an upload: where
    /// uploads require approval, an approval holding the restore is recorded instead.
    pub(super) async fn restore_from_trash(
        &self,
        id: i64,
        confirmed: bool,
    ) -> OpsResult<WorkflowOpResult> {
        self.restore_as(id, Asked::Now { confirmed }).await
    }

    /// A restore, asked now or run by a granted approval.
    pub(super) async fn restore_as(&self, id: i64, asked: Asked) -> OpsResult<WorkflowOpResult> {
        const ACTION: &str = "workflow.restore";
        let mut conn = self.store.conn().await?;
        let (entry, body) = trash::get(&mut conn, id)
            .await?
            .ok_or_else(|| OpsError::not_found(format!("no trash entry #{id}")))?;
        let Some(env) = environments::find(&mut conn, &entry.env).await? else {
            let err = OpsError::not_found(format!(
                "trash entry #{id} belongs to '{}', which no longer exists: add it again to restore",
                entry.env
            ));
            self.audit_refusal(ACTION, &entry.env, Some(&entry.workflow_id), &err.message)
                .await;
            return Err(err);
        };
        drop(conn);
        let result = |outcome| WorkflowOpResult {
            target: WorkflowRef {
                env: env.name.clone(),
                id: entry.workflow_id.clone(),
            },
            name: Some(entry.name.clone()),
            outcome,
        };
        let wf = Some(entry.workflow_id.as_str());
        match self.upload_ruling(&env, asked) {
            CreateRuling::Go => {}
            CreateRuling::Hold { reason } => {
                let held = HeldRequest::Restore {
                    trash_id: id,
                    workflow_id: entry.workflow_id.clone(),
                    name: entry.name.clone(),
                };
                let summary = format!(
                    "restore '{}' (trash #{id}, was {}) in {}",
                    entry.name, entry.workflow_id, env.name
                );
                let approval_id = self.hold(&env, &held, &summary, wf).await?;
                return Ok(result(OpOutcome::PendingApproval {
                    approval_id,
                    reason,
                }));
            }
            CreateRuling::Refuse(outcome) => {
                if let OpOutcome::Blocked { reason } = &outcome {
                    self.audit_refusal(ACTION, &env.name, wf, &format!("blocked: {reason}"))
                        .await;
                }
                return Ok(result(outcome));
            }
        }
        let workflow: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!("trash entry #{id} ('{}') is damaged: {e}", entry.name),
            )
        })?;
        match self.recreate(&env, id, &entry, &workflow, asked).await {
            Ok((new_id, name)) => Ok(WorkflowOpResult {
                target: WorkflowRef {
                    env: env.name.clone(),
                    id: new_id,
                },
                name: Some(name),
                outcome: OpOutcome::Done,
            }),
            Err(err) => {
                self.audit_refusal(ACTION, &env.name, wf, &err.message)
                    .await;
                Ok(result(OpOutcome::Failed { error: err.message }))
            }
        }
    }

    /// Creates the trashed workflow again, then its tags and active state; returns the
    /// new id and name. Once it exists in n8n the trash entry goes, whatever follows.
    async fn recreate(
        &self,
        env: &EnvRow,
        trash_id: i64,
        entry: &trash::TrashRow,
        workflow: &serde_json::Value,
        asked: Asked,
    ) -> OpsResult<(String, String)> {
        let client = self.client(env).await?;
        let created = client.create_workflow(workflow).await?;
        let new_id = created.id.clone();
        let mut notes = Vec::new();
        let mut book = TagBook::default();
        if let Err(e) = book.tag_as_file(&client, &new_id, workflow).await {
            notes.push(format!("its tags could not be set: {}", e.message));
        }
        if entry.active {
            match client.activate_workflow(&new_id).await {
                Ok(_) => notes.push("activated again".into()),
                Err(e) => notes.push(format!("it stays inactive: {e}")),
            }
        }
        let now = client.get_workflow(&new_id).await.unwrap_or(created);
        let name = now.name.clone();
        let mut detail = format!(
            "restored '{name}' from trash #{trash_id} (was {}) as {new_id}{}",
            entry.workflow_id,
            granted_by(asked)
        );
        for note in &notes {
            detail.push_str("; ");
            detail.push_str(note);
        }
        let event = OpEvent {
            action: "workflow.restore",
            workflow: Some(&new_id),
            detail,
        };
        let change = StoreChange {
            put: Some(now),
            tags: book.rows_if_created(),
            untrash: Some(trash_id),
            ..StoreChange::default()
        };
        self.commit_change(env, change, event).await.map_err(|e| {
            after_change(&format!("'{name}' was restored as {new_id}"), &env.name, e)
        })?;
        Ok((new_id, name))
    }
}
