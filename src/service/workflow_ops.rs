//! Policy-checked workflow operations: activate, deactivate, delete (soft or hard) and
//! tag, on one workflow or many across environments, and the trash soft deletes fill.
//!
//! Each target is ruled by its own environment's class. What runs is audited with its
//! workflow, failures and refusals too, and the store is kept as n8n now holds each
//! workflow: the change lands in the same transaction as its audit event, so a failed
//! operation leaves the stored data as it was.

use super::fetch::fetched_workflow;
use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::policy::{Decision, PolicyAction};
use crate::domain::sync::Change;
use crate::n8n::{N8nClient, N8nError, Tag, WorkflowRecord};
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::bodies::{self, Claimant};
use crate::store::environments::{self, EnvRow};
use crate::store::inventory::{self, TagRow};
use crate::store::now_ms;
use crate::store::trash::{self, NewTrash};
use crate::store::workflows::{self, Removed};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

/// n8n's longest tag name.
const MAX_TAG_NAME: usize = 24;

/// Who asks for an operation: a person now, or an approval someone granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Asked {
    /// `confirmed` answers the policy's "warn".
    Now { confirmed: bool },
    /// The approval stands for the policy's permission; only "blocked" still refuses.
    Granted { approval: i64 },
}

/// The policy's name for an action.
pub(super) fn policy_action(action: &WorkflowAction) -> PolicyAction {
    match action {
        WorkflowAction::Activate => PolicyAction::Activate,
        WorkflowAction::Deactivate => PolicyAction::Deactivate,
        WorkflowAction::Delete { .. } => PolicyAction::Delete,
        WorkflowAction::Tag { .. } => PolicyAction::DirectEdit,
    }
}

/// The audit log's name for an action.
fn audit_name(action: &WorkflowAction) -> &'static str {
    match action {
        WorkflowAction::Activate => "workflow.activate",
        WorkflowAction::Deactivate => "workflow.deactivate",
        WorkflowAction::Delete { .. } => "workflow.delete",
        WorkflowAction::Tag { .. } => "workflow.tag",
    }
}

/// An action in words: `activate`, `soft delete`, `tag (+ops, -old)`.
pub(super) fn describe(action: &WorkflowAction) -> String {
    match action {
        WorkflowAction::Activate => "activate".into(),
        WorkflowAction::Deactivate => "deactivate".into(),
        WorkflowAction::Delete { hard: false } => "soft delete".into(),
        WorkflowAction::Delete { hard: true } => "hard delete".into(),
        WorkflowAction::Tag { add, remove } => {
            let changes: Vec<String> = add
                .iter()
                .map(|t| format!("+{t}"))
                .chain(remove.iter().map(|t| format!("-{t}")))
                .collect();
            format!("tag ({})", changes.join(", "))
        }
    }
}

/// Refuses requests that could never run: no targets, a tag change with no tags, tag
/// names n8n refuses.
fn validate(req: &WorkflowOpRequest) -> OpsResult<()> {
    if req.targets.is_empty() {
        return Err(OpsError::invalid("no workflow to act on"));
    }
    if let WorkflowAction::Tag { add, remove } = &req.action {
        if add.is_empty() && remove.is_empty() {
            return Err(OpsError::invalid(
                "a tag change needs a tag to add or remove",
            ));
        }
        for name in add.iter().chain(remove) {
            if name.trim().is_empty() {
                return Err(OpsError::invalid("a tag name is empty"));
            }
            if name.chars().count() > MAX_TAG_NAME {
                return Err(OpsError::invalid(format!(
                    "tag '{name}' is longer than the {MAX_TAG_NAME} characters n8n allows"
                )));
            }
        }
        if let Some(both) = add.iter().find(|t| remove.contains(t)) {
            return Err(OpsError::invalid(format!(
                "tag '{both}' is both added and removed"
            )));
        }
    }
    Ok(())
}

/// Tag names as n8n keeps them: n8n trims a name before it looks it up or stores it,
/// so " ops " means the tag "ops". Trimmed, each name once.
fn trim_tag_names(action: &mut WorkflowAction) {
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

/// A name for the body claims of one operation, unique across processes and calls.
/// The claims live only inside the operation's transaction.
fn claim_id(at: i64) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("op-{}-{at}-{n}", std::process::id())
}

/// What an operation changes in the store besides its audit event.
#[derive(Default)]
pub(super) struct StoreChange {
    /// The workflow as n8n now holds it.
    pub put: Option<WorkflowRecord>,
    /// The id of a workflow n8n no longer holds.
    pub remove: Option<String>,
    /// The environment's tags, when the operation created some.
    pub tags: Option<Vec<TagRow>>,
    /// A trash entry the operation restored.
    pub untrash: Option<i64>,
}

/// One audit event of an operation on a workflow.
pub(super) struct OpEvent<'a> {
    pub action: &'a str,
    pub workflow: Option<&'a str>,
    pub detail: String,
}

/// Prefixes the error of a step that followed a change n8n already made, so the person
/// knows the change happened and only the store lags.
fn after_change(done: &str, env: &str, err: OpsError) -> OpsError {
    OpsError::new(
        err.kind,
        format!(
            "{done} in n8n, but {}; the store shows the old state until the next sync of '{env}'",
            err.message
        ),
    )
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
    pub(super) async fn run_workflow_op(
        &self,
        mut req: WorkflowOpRequest,
    ) -> OpsResult<WorkflowOpReport> {
        trim_tag_names(&mut req.action);
        validate(&req)?;
        // The same workflow twice is one target.
        let mut seen = std::collections::HashSet::new();
        req.targets
            .retain(|t| seen.insert((t.env.clone(), t.id.clone())));
        let asked = Asked::Now {
            confirmed: req.confirmed,
        };
        self.rule_and_run(&req.action, req.targets, asked).await
    }

    /// Rules on each target by its environment's class, records one approval per
    /// environment for those the policy holds, and runs the rest.
    pub(super) async fn rule_and_run(
        &self,
        action: &WorkflowAction,
        targets: Vec<WorkflowRef>,
        asked: Asked,
    ) -> OpsResult<WorkflowOpReport> {
        let envs = self.envs_of(&targets).await?;
        let names = self.stored_names(&envs, &targets).await?;
        let name_of = |t: &WorkflowRef| names.get(&(t.env.clone(), t.id.clone())).cloned();
        let mut outcomes: Vec<Option<OpOutcome>> = vec![None; targets.len()];
        let mut held: BTreeMap<&str, (String, Vec<usize>)> = BTreeMap::new();
        let mut to_run: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let audit_action = audit_name(action);
        for (i, target) in targets.iter().enumerate() {
            let Some(env) = envs.get(&target.env) else {
                let error = format!("no environment named '{}'", target.env);
                self.audit_refusal(audit_action, &target.env, Some(&target.id), &error)
                    .await;
                outcomes[i] = Some(OpOutcome::Failed { error });
                continue;
            };
            let decision = self
                .settings
                .policy
                .decide(policy_action(action), &env.name, env.class);
            match (decision, asked) {
                (Decision::Blocked { reason }, _) => {
                    let detail = format!("blocked: {reason}");
                    self.audit_refusal(audit_action, &env.name, Some(&target.id), &detail)
                        .await;
                    outcomes[i] = Some(OpOutcome::Blocked { reason });
                }
                (Decision::Allowed, _)
                | (_, Asked::Granted { .. })
                | (Decision::Warn { .. }, Asked::Now { confirmed: true }) => {
                    to_run.entry(env.name.as_str()).or_default().push(i);
                }
                (Decision::Warn { reason }, _) => {
                    outcomes[i] = Some(OpOutcome::NeedsConfirmation { reason });
                }
                (Decision::RequiresApproval { reason }, _) => {
                    held.entry(env.name.as_str())
                        .or_insert_with(|| (reason, Vec::new()))
                        .1
                        .push(i);
                }
            }
        }
        for (env, (reason, indexes)) in held {
            let held_targets: Vec<WorkflowRef> =
                indexes.iter().map(|&i| targets[i].clone()).collect();
            let held_names: Vec<Option<String>> = held_targets.iter().map(&name_of).collect();
            let approval_id = self
                .request_approval(&envs[env], action, held_targets, &held_names)
                .await?;
            for i in indexes {
                outcomes[i] = Some(OpOutcome::PendingApproval {
                    approval_id,
                    reason: reason.clone(),
                });
            }
        }
        let mut found_names: HashMap<usize, String> = HashMap::new();
        for (env, indexes) in to_run {
            let ids: Vec<&str> = indexes.iter().map(|&i| targets[i].id.as_str()).collect();
            let ran = self.run_in_env(&envs[env], action, &ids, asked).await;
            for (i, (outcome, name)) in indexes.into_iter().zip(ran) {
                outcomes[i] = Some(outcome);
                if let Some(name) = name {
                    found_names.insert(i, name);
                }
            }
        }
        let results = targets
            .into_iter()
            .zip(outcomes)
            .enumerate()
            .map(|(i, (target, outcome))| WorkflowOpResult {
                name: found_names.remove(&i).or_else(|| name_of(&target)),
                target,
                outcome: outcome.unwrap_or_else(|| OpOutcome::Failed {
                    error: "not run".into(),
                }),
            })
            .collect();
        Ok(WorkflowOpReport { results })
    }

    /// The stored environments the targets name, by name; unknown names are left out.
    async fn envs_of(&self, targets: &[WorkflowRef]) -> OpsResult<HashMap<String, EnvRow>> {
        let mut conn = self.store.conn().await?;
        let mut envs = HashMap::new();
        for t in targets {
            if envs.contains_key(&t.env) {
                continue;
            }
            if let Some(env) = environments::find(&mut conn, &t.env).await? {
                envs.insert(t.env.clone(), env);
            }
        }
        Ok(envs)
    }

    /// (env, id) -> name of the targets the store holds.
    async fn stored_names(
        &self,
        envs: &HashMap<String, EnvRow>,
        targets: &[WorkflowRef],
    ) -> OpsResult<HashMap<(String, String), String>> {
        let mut conn = self.store.conn().await?;
        let mut names = HashMap::new();
        for env in envs.values() {
            let ids: Vec<String> = targets
                .iter()
                .filter(|t| t.env == env.name)
                .map(|t| t.id.clone())
                .collect();
            for (id, name) in workflows::names(&mut conn, env.id, &ids).await? {
                names.insert((env.name.clone(), id), name);
            }
        }
        Ok(names)
    }

    /// Runs an action on workflows of one environment, one after the other (n8n takes
    /// writes one at a time anyway); each gets its outcome and, when known, its name.
    async fn run_in_env(
        &self,
        env: &EnvRow,
        action: &WorkflowAction,
        ids: &[&str],
        asked: Asked,
    ) -> Vec<(OpOutcome, Option<String>)> {
        let audit_action = audit_name(action);
        let client = match self.client(env).await {
            Ok(client) => client,
            Err(err) => {
                let mut out = Vec::new();
                for id in ids {
                    self.audit_refusal(audit_action, &env.name, Some(id), &err.message)
                        .await;
                    out.push((
                        OpOutcome::Failed {
                            error: err.message.clone(),
                        },
                        None,
                    ));
                }
                return out;
            }
        };
        let by = granted_by(asked);
        let mut tags = TagBook::default();
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let done = match action {
                WorkflowAction::Activate => self.set_active(env, &client, id, true, &by).await,
                WorkflowAction::Deactivate => self.set_active(env, &client, id, false, &by).await,
                WorkflowAction::Delete { hard } => self.delete(env, &client, id, *hard, &by).await,
                WorkflowAction::Tag { add, remove } => {
                    self.retag(env, &client, &mut tags, id, add, remove, &by)
                        .await
                }
            };
            match done {
                Ok(name) => out.push((OpOutcome::Done, Some(name))),
                Err(err) => {
                    self.audit_refusal(audit_action, &env.name, Some(id), &err.message)
                        .await;
                    out.push((OpOutcome::Failed { error: err.message }, None));
                }
            }
        }
        out
    }

    async fn set_active(
        &self,
        env: &EnvRow,
        client: &N8nClient,
        id: &str,
        active: bool,
        by: &str,
    ) -> OpsResult<String> {
        let (action, done) = if active {
            ("workflow.activate", "activated")
        } else {
            ("workflow.deactivate", "deactivated")
        };
        let changed = if active {
            client.activate_workflow(id).await
        } else {
            client.deactivate_workflow(id).await
        }?;
        let name = changed.name.clone();
        // What (de)activation answers lacks the tags: read the whole workflow again.
        let stored = async {
            let now = client.get_workflow(id).await?;
            let event = OpEvent {
                action,
                workflow: Some(id),
                detail: format!("{done} '{name}'{by}"),
            };
            let change = StoreChange {
                put: Some(now),
                ..StoreChange::default()
            };
            self.commit_change(env, change, event).await
        };
        stored
            .await
            .map_err(|e| after_change(&format!("'{name}' was {done}"), &env.name, e))?;
        Ok(name)
    }

    async fn delete(
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

    #[allow(clippy::too_many_arguments)]
    async fn retag(
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

    /// Writes what an operation changed, with its audit event, in one transaction.
    /// Waits for a sync of the environment running now, so a sync that read the
    /// workflow before the change cannot overwrite it afterwards.
    pub(super) async fn commit_change(
        &self,
        env: &EnvRow,
        change: StoreChange,
        event: OpEvent<'_>,
    ) -> OpsResult<()> {
        let put = match change.put {
            Some(rec) => {
                let (fetched, new_bodies) = fetched_workflow(&env.name, rec, &HashMap::new())?;
                let row = fetched.row.ok_or_else(|| {
                    OpsError::internal(format!("{}: a workflow without a stored form", env.name))
                })?;
                Some((row, new_bodies))
            }
            None => None,
        };
        let lock = self.sync_lock(env.id);
        let _no_sync = lock.lock().await;
        let at = now_ms();
        let claim = claim_id(at);
        let claimant = Claimant {
            job_id: &claim,
            env_id: env.id,
        };
        let mut tx = self.store.begin().await?;
        let mut replaced = Vec::new();
        let mut written = Vec::new();
        let mut removed = Vec::new();
        if let Some((mut row, new_bodies)) = put {
            let before = workflows::stored_one(&mut tx, env.id, &row.n8n_id).await?;
            row.change = match &before {
                None => Change::Added,
                Some(s) if s.fingerprint == row.fingerprint => Change::Unchanged,
                Some(_) => Change::Changed,
            };
            replaced.extend(before.into_iter().flat_map(|s| [s.raw_hash, s.fingerprint]));
            bodies::put(&mut tx, claimant, new_bodies).await?;
            written.push(row);
        }
        let gone = match &change.remove {
            Some(id) => workflows::stored_one(&mut tx, env.id, id)
                .await?
                .map(|s| (id.clone(), s)),
            None => None,
        };
        if let Some((id, s)) = gone {
            replaced.extend([s.raw_hash.clone(), s.fingerprint.clone()]);
            removed.push(Removed {
                n8n_id: id,
                name: s.name,
                fingerprint: s.fingerprint,
            });
        }
        workflows::apply_changes(&mut tx, env.id, None, written, &removed, at).await?;
        bodies::release(&mut tx, claimant).await?;
        bodies::collect(&mut tx, &replaced).await?;
        if let Some(tags) = &change.tags {
            inventory::replace_tags(&mut tx, env.id, tags).await?;
        }
        if let Some(trash_id) = change.untrash {
            trash::remove(&mut tx, trash_id).await?;
        }
        let record = NewAuditEvent {
            actor: &self.settings.actor,
            action: event.action,
            env: Some(&env.name),
            workflow: event.workflow,
            outcome: Outcome::Ok,
            detail: Some(event.detail),
        };
        audit::record(&mut tx, &record).await?;
        tx.commit().await.map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!("{}: committing {}: {e}", env.name, event.action),
            )
        })
    }

    /// Records an operation that failed or was refused. A failure to record it is
    /// logged, not raised over the outcome it records.
    pub(super) async fn audit_refusal(
        &self,
        action: &str,
        env: &str,
        workflow: Option<&str>,
        detail: &str,
    ) {
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action,
            env: Some(env),
            workflow,
            outcome: Outcome::Error,
            detail: Some(detail.to_owned()),
        };
        let write = async {
            let mut conn = self.store.conn().await?;
            audit::record(&mut conn, &event).await
        };
        if let Err(e) = write.await {
            tracing::error!(action, env, error = %e, "could not write the audit event of a failed operation");
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

    /// The policy on creating workflows in an environment (uploads and restores). A
    /// granted approval stands for the policy's permission; only "blocked" still refuses.
    pub(super) fn upload_ruling(&self, env: &EnvRow, asked: Asked) -> CreateRuling {
        let decision = self
            .settings
            .policy
            .decide(PolicyAction::Upload, &env.name, env.class);
        match (decision, asked) {
            (Decision::Blocked { reason }, _) => {
                CreateRuling::Refuse(OpOutcome::Blocked { reason })
            }
            (Decision::Allowed, _)
            | (_, Asked::Granted { .. })
            | (Decision::Warn { .. }, Asked::Now { confirmed: true }) => CreateRuling::Go,
            (Decision::Warn { reason }, _) => {
                CreateRuling::Refuse(OpOutcome::NeedsConfirmation { reason })
            }
            (Decision::RequiresApproval { reason }, _) => CreateRuling::Hold { reason },
        }
    }
}

/// The policy's ruling on creating workflows (an upload or a restore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CreateRuling {
    Go,
    /// Record an approval holding the request.
    Hold {
        reason: String,
    },
    /// Answer with this outcome instead.
    Refuse(OpOutcome),
}

/// ` (approval #7)` for what a granted approval runs, for audit details.
pub(super) fn granted_by(asked: Asked) -> String {
    match asked {
        Asked::Now { .. } => String::new(),
        Asked::Granted { approval } => format!(" (approval #{approval})"),
    }
}

/// The tag names a workflow file carries, as n8n exports them (`[{"name": ...}]`) or
/// as plain strings; trimmed as n8n trims them, blanks and repeats dropped.
fn file_tag_names(workflow: &serde_json::Value) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_op(add: &[&str], remove: &[&str]) -> WorkflowOpRequest {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        WorkflowOpRequest {
            action: WorkflowAction::Tag {
                add: names(add),
                remove: names(remove),
            },
            targets: vec![WorkflowRef {
                env: "dev".into(),
                id: "w1".into(),
            }],
            confirmed: false,
        }
    }

    /// The request as `run_workflow_op` checks it.
    fn checked(mut req: WorkflowOpRequest) -> OpsResult<WorkflowAction> {
        trim_tag_names(&mut req.action);
        validate(&req).map(|()| req.action)
    }

    #[test]
    fn tag_names_are_trimmed_as_n8n_trims_them() {
        let action = checked(tag_op(&[" ops ", "ops", "eu\t"], &[" old"])).unwrap();
        assert_eq!(
            action,
            WorkflowAction::Tag {
                add: vec!["ops".into(), "eu".into()],
                remove: vec!["old".into()],
            }
        );
        // 24 characters once trimmed: n8n accepts it.
        let padded = format!("  {}  ", "x".repeat(MAX_TAG_NAME));
        assert!(checked(tag_op(&[&padded], &[])).is_ok());
        assert!(checked(tag_op(&[&"x".repeat(MAX_TAG_NAME + 1)], &[])).is_err());
        assert!(checked(tag_op(&["  "], &[])).is_err());
        let both = checked(tag_op(&["ops "], &[" ops"])).unwrap_err();
        assert!(both.message.contains("both added and removed"), "{both}");
    }
}
