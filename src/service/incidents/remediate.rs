//! Remediation from the incident itself: revert the workflow to its canonical state
//! (the restore path: snapshot first, verified by fingerprint), accept the live change
//! into the canonical state (a commit that says who accepted it), the diff to look at
//! first, and where a promotion of the fix would come from.

use super::super::canonical_state::{Recording, Scope, snapshot_view};
use super::super::jobs::JobOutcome;
use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::raise::live_print;
use super::rules::{accept_target, diffable, revert_target, workflow_name};
use super::views::Reference;
use super::{Notice, described, load, mark_resolved, record_event, save};
use crate::domain::commit::CommitKind;
use crate::domain::drift::DriftStatus;
use crate::domain::incident::EventKind;
use crate::domain::job::LogLevel;
use crate::domain::sync::SyncKind;
use crate::store::environments::{self, EnvRow};
use crate::store::incidents::IncidentRow;
use crate::store::{now_ms, workflows};
use serde_json::{Value, json};

/// The audit action of the restore a revert runs (a restore's own).
const RESTORE_ACTION: &str = "restore";

/// The trailers of an accepting commit (after the `N8nops-` prefix).
pub(in crate::service) const TRAILER_INCIDENT: &str = "Incident";
pub(in crate::service) const TRAILER_ACCEPTED_BY: &str = "Accepted-By";

/// One step of a remediation, as the timeline and the audit trail record it.
struct Step {
    kind: EventKind,
    text: String,
    /// The job or commit (`Reference` JSON).
    detail: Option<String>,
    /// Resolves the incident with this resolution (when it is still open).
    resolution: Option<String>,
    /// The end of the audit detail.
    what: String,
}

/// A commit id as timelines and labels show it.
fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// The drift status a row was raised with.
fn status_of(row: &IncidentRow) -> Option<DriftStatus> {
    row.drift_status.as_deref().and_then(DriftStatus::parse)
}

/// An empty workflow called `name`: the absent side of a diff.
fn empty_workflow(name: &str) -> Value {
    json!({"name": name, "nodes": [], "connections": {}})
}

impl LocalOps {
    /// The incident, read on a connection of its own.
    async fn incident(&self, id: i64) -> OpsResult<IncidentRow> {
        let mut conn = self.store.conn().await?;
        load(&mut conn, id).await
    }

    async fn env_row(&self, name: &str) -> OpsResult<EnvRow> {
        let mut conn = self.store.conn().await?;
        environments::get(&mut conn, name).await.map_err(|e| {
            OpsError::new(
                ErrorKind::NotFound,
                format!("environment '{name}' of the incident: {e}"),
            )
        })
    }

    /// Starts reverting the incident's workflow to its canonical version (DRIFTED: put
    /// back; MISSING: created again) as a restore job from the canonical head: the
    /// environment is snapshotted first and the result verified by fingerprint. The
    /// incident resolves when the job succeeds; a failure is noted on it and it stays
    /// open. UNTRACKED workflows have no canonical version: refused.
    pub(in crate::service) async fn revert_incident(
        &self,
        id: i64,
        confirmed: bool,
    ) -> OpsResult<IncidentRemediated> {
        let row = self.incident(id).await?;
        let canonical_id = revert_target(&row)?;
        let name = workflow_name(&row);
        if !confirmed {
            return Err(OpsError::invalid(format!(
                "reverting '{name}' in '{}' to its canonical state (incident #{id}) needs confirmation (--yes)",
                row.env
            )));
        }
        let env = self.env_row(&row.env).await?;
        let state = self.canonical_at(None).await?;
        let commit = state.commit.clone().ok_or_else(|| {
            OpsError::invalid(format!(
                "incident #{id}: there is no canonical state to revert '{name}' to"
            ))
        })?;
        if !state
            .mapping(&env.name)
            .workflows
            .contains_key(&canonical_id)
        {
            return Err(OpsError::invalid(format!(
                "incident #{id}: '{name}' ({canonical_id}) is no longer in the canonical state of '{}': check the drift again",
                env.name
            )));
        }
        let mut source = snapshot_view(&format!("canonical@{}", short(&commit.id)), &commit);
        source.env = env.name.clone();
        let request = RestoreRequest {
            env: env.name.clone(),
            snapshot: Some(commit.id.clone()),
            workflows: vec![canonical_id.clone()],
            dry_run: false,
            confirmed: true,
        };
        let title = format!(
            "revert '{name}' in {} to canonical {} (incident #{id})",
            env.name,
            short(&commit.id)
        );
        let ops = self.clone();
        let job_id = self
            .jobs
            .spawn(
                "restore",
                title,
                &self.settings.actor,
                serde_json::to_value(&request).unwrap_or_default(),
                move |ctx| async move {
                    ops.run_revert(ctx, env, source, id, canonical_id, name)
                        .await
                },
            )
            .await?;
        let row = self.incident(id).await?;
        Ok(IncidentRemediated {
            incident: self.view_of(&row).await?,
            job_id: Some(job_id),
            commit: None,
        })
    }

    /// The revert job: notes it on the incident, restores, then resolves the incident
    /// or notes why it did not.
    async fn run_revert(
        &self,
        ctx: super::super::jobs::JobCtx,
        env: EnvRow,
        source: SnapshotView,
        id: i64,
        canonical_id: String,
        name: String,
    ) -> JobOutcome {
        let job = ctx.id().to_owned();
        let actor = self.settings.actor.clone();
        let start = Step {
            kind: EventKind::Reverted,
            text: format!(
                "reverting to canonical {} (restore job {job}; the environment is snapshotted first)",
                short(&source.commit)
            ),
            detail: Some(Reference::job(&job)),
            resolution: None,
            what: format!("revert of '{name}' started: restore job {job}"),
        };
        if let Err(e) = self.incident_step(id, "incident.revert", start).await {
            let message = format!("the revert of incident #{id} did not start: {}", e.message);
            ctx.log(LogLevel::Error, message.clone()).await;
            return JobOutcome {
                result: None,
                error: Some(message),
            };
        }
        let restored = self.restore_into(&ctx, &env, source, &[canonical_id]).await;
        let (report, error) = match restored {
            Ok((report, error)) => {
                let error = error.or_else(|| {
                    (!report.ok()).then(|| "the workflow was not verified after the restore".into())
                });
                (Some(report), error)
            }
            Err(e) => (None, Some(e.message)),
        };
        self.audit_revert_restore(&env.name, &job, id, report.as_ref(), error.as_deref())
            .await;
        let result = report.and_then(|r| serde_json::to_value(&r).ok());
        let ended = match &error {
            None => {
                let resolution = format!("reverted to canonical by {actor}, restore job {job}");
                let step = Step {
                    kind: EventKind::Resolved,
                    text: resolution.clone(),
                    detail: Some(Reference::job(&job)),
                    resolution: Some(resolution),
                    what: format!("resolved by the revert of '{name}' (restore job {job})"),
                };
                self.incident_step(id, "incident.resolve", step).await
            }
            Some(e) => {
                let text =
                    format!("the revert (restore job {job}) failed: {e}; the incident stays open");
                self.audit_failure(
                    "incident.revert",
                    Some(&env.name),
                    &OpsError::new(ErrorKind::Upstream, format!("incident #{id}: {text}")),
                )
                .await;
                let step = Step {
                    kind: EventKind::Note,
                    text,
                    detail: Some(Reference::job(&job)),
                    resolution: None,
                    what: format!("the revert of '{name}' failed"),
                };
                self.incident_step(id, "incident.note", step).await
            }
        };
        if let Err(e) = ended {
            ctx.log(
                LogLevel::Error,
                format!(
                    "incident #{id} could not be updated after the revert: {}",
                    e.message
                ),
            )
            .await;
        }
        JobOutcome { result, error }
    }

    /// The `restore` audit entry of a revert's restore job, as a restore started
    /// from the snapshots writes it (the revert runs the restore itself).
    async fn audit_revert_restore(
        &self,
        env: &str,
        job: &str,
        id: i64,
        report: Option<&RestoreReport>,
        error: Option<&str>,
    ) {
        let what = match report {
            Some(r) => {
                let n = |a: RestoreAction| r.items.iter().filter(|i| i.action == a).count();
                let failed = r.items.iter().filter(|i| !(i.ok && i.verified)).count();
                format!(
                    "from {} (replacing {}): {} created, {} updated, {} deleted, {} unchanged, {failed} failed; commit {}; job {job} (revert of incident #{id})",
                    r.snapshot,
                    r.replaced.as_deref().unwrap_or("nothing"),
                    n(RestoreAction::Create),
                    n(RestoreAction::Update),
                    n(RestoreAction::Delete),
                    n(RestoreAction::Unchanged),
                    r.commit
                        .as_deref()
                        .map_or("none", |c| c.get(..12).unwrap_or(c)),
                )
            }
            None => format!("job {job} (revert of incident #{id})"),
        };
        match error {
            None => {
                let recorded = self
                    .audited(RESTORE_ACTION, Some(env), move |_| {
                        Box::pin(async move { Ok(((), Some(what))) })
                    })
                    .await;
                if let Err(e) = recorded {
                    tracing::error!(env, error = %e.message, "could not write the audit event of a revert's restore");
                }
            }
            Some(e) => {
                let err = OpsError::new(ErrorKind::Upstream, format!("{what}: {e}"));
                self.audit_failure(RESTORE_ACTION, Some(env), &err).await;
            }
        }
    }

    /// One audited step of a remediation on incident `id`: its timeline entry, and
    /// the incident resolved when the step has a resolution (and it is still open).
    async fn incident_step(
        &self,
        id: i64,
        action: &'static str,
        step: Step,
    ) -> OpsResult<IncidentRow> {
        let env = self.incident(id).await?.env;
        let ops = self.clone();
        let actor = self.settings.actor.clone();
        let now = now_ms();
        let (row, resolved) = self
            .audited(action, Some(&env), move |conn| {
                Box::pin(async move {
                    let mut row = load(conn, id).await?;
                    let resolution = step.resolution.filter(|_| row.state.is_open());
                    let resolved = resolution.is_some();
                    if let Some(resolution) = resolution {
                        mark_resolved(&mut row, &actor, now, resolution);
                    }
                    row.last_activity_at = now;
                    row.updated_at = now;
                    save(conn, &mut row).await?;
                    record_event(
                        conn,
                        &row,
                        now,
                        &actor,
                        step.kind,
                        Some(step.text),
                        step.detail,
                    )
                    .await?;
                    if resolved {
                        ops.enqueue_notice(conn, &row, Notice::Resolved).await?;
                    }
                    let detail = format!("incident #{id} {}: {}", described(&row), step.what);
                    Ok(((row, resolved), Some(detail)))
                })
            })
            .await?;
        self.announce(&[(row.clone(), step.kind)], resolved);
        Ok(row)
    }

    /// Accepts the live change into the canonical state: the environment is fetched
    /// again and, when the workflow is still as the incident saw it, recorded (a commit
    /// with `Incident` and `Accepted-By` trailers; a MISSING workflow leaves the
    /// mapping). The incident resolves.
    pub(in crate::service) async fn accept_incident(
        &self,
        id: i64,
    ) -> OpsResult<IncidentRemediated> {
        let row = self.incident(id).await?;
        let n8n_id = accept_target(&row)?;
        let name = workflow_name(&row);
        let env = self.env_row(&row.env).await?;
        self.fetch_for(&env, &format!("accepting incident #{id}"))
            .await?;
        let live = {
            let mut conn = self.store.conn().await?;
            workflows::stored_one(&mut conn, env.id, &n8n_id)
                .await?
                .map(|s| s.fingerprint)
        };
        let expected = match status_of(&row) {
            Some(DriftStatus::Missing) => None,
            _ => live_print(&row),
        };
        if live != expected {
            let err = OpsError::new(
                ErrorKind::Conflict,
                format!(
                    "incident #{id}: '{name}' in '{}' changed since it was last checked: see the diff again",
                    env.name
                ),
            );
            self.audit_failure("incident.accept", Some(&env.name), &err)
                .await;
            return Err(err);
        }
        let actor = self.settings.actor.clone();
        let why = format!(
            "Accepted the live change of '{name}' in {} (incident #{id}).",
            env.name
        );
        let mut rec = Recording::new(CommitKind::Sync, why, Scope::Only(vec![n8n_id]));
        rec.trailers = vec![
            (TRAILER_INCIDENT.to_owned(), id.to_string()),
            (TRAILER_ACCEPTED_BY.to_owned(), actor.clone()),
        ];
        let recorded = match self.record_env(&env, rec).await {
            Ok(r) => r,
            Err(e) => {
                let err = OpsError::new(
                    e.kind,
                    format!("incident #{id}: accepting '{name}' failed: {}", e.message),
                );
                self.audit_failure("incident.accept", Some(&env.name), &err)
                    .await;
                return Err(err);
            }
        };
        let commit = recorded.commit.map(|c| c.id);
        let resolution = match &commit {
            Some(c) => format!(
                "the live change was accepted into the canonical state by {actor} (commit {})",
                short(c)
            ),
            None => format!(
                "the live change was accepted by {actor}; the canonical state already held it"
            ),
        };
        let detail = commit.as_deref().map(Reference::commit);
        let step = Step {
            kind: EventKind::Accepted,
            text: resolution.clone(),
            detail,
            resolution: Some(resolution),
            what: format!("accepted the live '{name}'"),
        };
        let row = self.incident_step(id, "incident.accept", step).await?;
        Ok(IncidentRemediated {
            incident: self.view_of(&row).await?,
            job_id: None,
            commit,
        })
    }

    /// Fetches `env`'s workflows in a short job awaited here (a sync needs a job).
    async fn fetch_for(&self, env: &EnvRow, why: &str) -> OpsResult<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ops = self.clone();
        let target = env.clone();
        self.jobs
            .spawn(
                "incident-fetch",
                format!("fetch {} for {why}", env.name),
                &self.settings.actor,
                json!({"env": env.name}),
                move |ctx| async move {
                    let report = ops.sync_env(&ctx, &target, &[SyncKind::Workflows]).await;
                    let _ = tx.send(report.error.clone());
                    JobOutcome {
                        result: None,
                        error: report.error,
                    }
                },
            )
            .await?;
        match rx.await {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(OpsError::new(
                ErrorKind::Upstream,
                format!("fetching '{}' for {why} failed: {e}", env.name),
            )),
            Err(_) => Err(OpsError::internal(format!(
                "fetching '{}' for {why} stopped before it ended",
                env.name
            ))),
        }
    }

    /// The diff of a drift incident: its canonical document against the live body the
    /// store holds; an absent side is an empty workflow of that name.
    pub(in crate::service) async fn diff_of_incident(&self, id: i64) -> OpsResult<DiffRequest> {
        let row = self.incident(id).await?;
        diffable(&row)?;
        let name = workflow_name(&row);
        let state = self.canonical_if_any().await?;
        let head = state.commit.as_ref().map(|c| short(&c.id).to_owned());
        let blob = row.canonical_id.as_ref().and_then(|cid| {
            state
                .mapping(&row.env)
                .workflows
                .get(cid)
                .map(|m| m.blob.clone())
        });
        let canonical = match blob {
            Some(blob) => self
                .documents(vec![blob])
                .await?
                .into_iter()
                .next()
                .unwrap_or_else(|| empty_workflow(&name)),
            None => empty_workflow(&name),
        };
        let live = match &row.n8n_id {
            Some(n8n_id) if status_of(&row) != Some(DriftStatus::Missing) => {
                let mut conn = self.store.conn().await?;
                match workflows::get(&mut conn, &row.env, n8n_id).await? {
                    Some((_, raw, _)) => serde_json::from_str(&raw).map_err(|e| {
                        OpsError::new(
                            ErrorKind::Store,
                            format!(
                                "the stored body of '{name}' in '{}' is not JSON: {e}",
                                row.env
                            ),
                        )
                    })?,
                    None => empty_workflow(&name),
                }
            }
            _ => empty_workflow(&name),
        };
        Ok(DiffRequest::Documents {
            a: DiffDocument {
                label: match head {
                    Some(h) => format!("canonical {h}"),
                    None => "canonical (none yet)".to_owned(),
                },
                workflow: canonical,
            },
            b: DiffDocument {
                label: format!("{} (live)", row.env),
                workflow: live,
            },
            text: true,
        })
    }

    /// Where a promotion of the fix would come from: the first pipeline stage into the
    /// incident's environment (config pipelines first, then stored ones).
    pub(in crate::service) async fn fix_promotion_of(&self, id: i64) -> OpsResult<FixPromotion> {
        let mut conn = self.store.conn().await?;
        let row = load(&mut conn, id).await?;
        let pipelines = self.pipelines_in_order(&mut conn).await?;
        drop(conn);
        let stage = pipelines.iter().find_map(|p| {
            p.stages
                .iter()
                .find(|s| s.to == row.env)
                .map(|s| (p.name.clone(), s.from.clone()))
        });
        Ok(FixPromotion {
            pipeline: stage.as_ref().map(|(p, _)| p.clone()),
            from: stage.map(|(_, from)| from),
            to: row.env.clone(),
            workflows: row.workflow.clone().into_iter().collect(),
        })
    }
}
