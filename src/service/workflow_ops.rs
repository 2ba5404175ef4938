//! Policy-checked workflow operations: activate, deactivate, delete (soft or hard) and
//! tag, on one workflow or many across environments: the policy ruling and the runner.
//! Tagging is in `tagging.rs`, deletes and the trash in `trash.rs`.
//!
//! Each target is ruled by its own environment's class. What runs is audited with its
//! workflow, failures and refusals too, and the store is kept as n8n now holds each
//! workflow: the change lands in the same transaction as its audit event, so a failed
//! operation leaves the stored data as it was.

use super::fetch::fetched_workflow;
use super::local::LocalOps;
use super::tagging::{MAX_TAG_NAME, TagBook, trim_tag_names};
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::policy::{Decision, PolicyAction};
use crate::domain::sync::Change;
use crate::n8n::{N8nClient, WorkflowRecord};
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::bodies::{self, Claimant};
use crate::store::environments::{self, EnvRow};
use crate::store::inventory::{self, TagRow};
use crate::store::now_ms;
use crate::store::trash;
use crate::store::workflows::{self, Removed};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

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
pub(super) fn after_change(done: &str, env: &str, err: OpsError) -> OpsError {
    OpsError::new(
        err.kind,
        format!(
            "{done} in n8n, but {}; the store shows the old state until the next sync of '{env}'",
            err.message
        ),
    )
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
