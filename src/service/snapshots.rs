//! Snapshots and backups: an environment fetched and committed, with a tag; and reading
//! them back (list, show, the diff of two).
//!
//! A snapshot records the environment's complete live state (Scope::All), so every live
//! workflow gets a canonical id and the mapping becomes exactly the live set.

use super::canonical_state::{Recording, Scope};
use super::jobs::{JobCtx, JobOutcome};
use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::canonical::MappedWorkflow;
use crate::domain::commit::CommitKind;
use crate::domain::diff::{DiffStatus, Side, WorkflowDiff, diff};
use crate::domain::job::LogLevel;
use crate::domain::normalize::normalize;
use crate::domain::sync::SyncKind;
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::environments::{self, EnvRow};
use std::collections::{BTreeSet, HashMap};

/// The audit action of a manual snapshot.
const SNAPSHOT_ACTION: &str = "snapshot.create";
/// The audit action of one environment's backup.
const BACKUP_ACTION: &str = "backup";

impl LocalOps {
    pub(super) async fn start_snapshot(&self, req: SnapshotCreate) -> OpsResult<JobStarted> {
        let env = self
            .pick_envs(std::slice::from_ref(&req.env))
            .await?
            .remove(0);
        let why = req
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!("Snapshot of {} taken by {}.", env.name, self.settings.actor)
            });
        let title = format!("snapshot {}", env.name);
        let request = serde_json::to_value(&req).unwrap_or_default();
        let ops = self.clone();
        let job_id = self
            .jobs
            .spawn(
                "snapshot",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move {
                    ctx.progress("snapshot", 0, 1).await;
                    let taken = ops
                        .take_snapshot(&ctx, &env, CommitKind::Snapshot, why, SNAPSHOT_ACTION)
                        .await;
                    ctx.progress("snapshot", 1, 1).await;
                    match taken {
                        Ok(view) => JobOutcome {
                            result: serde_json::to_value(view).ok(),
                            error: None,
                        },
                        Err(e) => JobOutcome {
                            result: None,
                            error: Some(e.message),
                        },
                    }
                },
            )
            .await?;
        Ok(JobStarted { job_id })
    }

    /// Every snapshot (of `env`), newest first.
    pub(super) async fn list_snapshots(&self, env: Option<&str>) -> OpsResult<Vec<SnapshotView>> {
        self.snapshots(env).await
    }

    /// A snapshot's metadata and the workflows it holds, sorted by name.
    pub(super) async fn show_snapshot(&self, id: &str) -> OpsResult<SnapshotDetail> {
        let snapshot = self.find_snapshot(id, None).await?;
        let state = self.canonical_at(Some(snapshot.commit.clone())).await?;
        let mut workflows: Vec<SnapshotWorkflow> = state
            .mapping(&snapshot.env)
            .workflows
            .into_iter()
            .map(|(canonical_id, m)| SnapshotWorkflow {
                canonical_id,
                name: m.name,
                n8n_id: m.n8n_id,
                fingerprint: m.fingerprint,
                active: m.active,
                tags: m.tags,
            })
            .collect();
        workflows.sort_by(|a, b| (&a.name, &a.canonical_id).cmp(&(&b.name, &b.canonical_id)));
        Ok(SnapshotDetail {
            snapshot,
            workflows,
        })
    }

    /// Two snapshots (possibly of different environments) compared by canonical id, the
    /// older one as `a`.
    pub(super) async fn diff_snapshots(&self, a: &str, b: &str) -> OpsResult<SnapshotDiff> {
        let mut a = self.find_snapshot(a, None).await?;
        let mut b = self.find_snapshot(b, None).await?;
        if age(&a) > age(&b) {
            std::mem::swap(&mut a, &mut b);
        }
        let side_a = self
            .canonical_at(Some(a.commit.clone()))
            .await?
            .mapping(&a.env)
            .workflows;
        let side_b = self
            .canonical_at(Some(b.commit.clone()))
            .await?
            .mapping(&b.env)
            .workflows;
        let ids: BTreeSet<&String> = side_a.keys().chain(side_b.keys()).collect();
        // Both documents of each modified workflow, loaded in one go.
        let modified: Vec<(&String, &MappedWorkflow, &MappedWorkflow)> = ids
            .iter()
            .filter_map(|id| Some((*id, side_a.get(*id)?, side_b.get(*id)?)))
            .filter(|(_, x, y)| x.fingerprint != y.fingerprint)
            .collect();
        let blobs: Vec<String> = modified
            .iter()
            .flat_map(|(_, x, y)| [x.blob.clone(), y.blob.clone()])
            .collect();
        let docs = self.documents(blobs).await?;
        let mut diffs: HashMap<&String, WorkflowDiff> = HashMap::new();
        for ((id, _, _), pair) in modified.iter().zip(docs.chunks(2)) {
            if let [old, new] = pair {
                let sides = (
                    Side::new(normalize(old), Some(old)),
                    Side::new(normalize(new), Some(new)),
                );
                diffs.insert(id, diff(&sides.0, &sides.1));
            }
        }
        let mut workflows: Vec<SnapshotDiffEntry> = ids
            .into_iter()
            .map(|id| {
                let (old, new) = (side_a.get(id), side_b.get(id));
                let name = new.or(old).map(|m| m.name.clone()).unwrap_or_default();
                let status = match (old, new) {
                    (None, _) => DiffStatus::Added,
                    (Some(_), None) => DiffStatus::Deleted,
                    (Some(x), Some(y)) if x.fingerprint == y.fingerprint => DiffStatus::Unchanged,
                    (Some(_), Some(_)) => DiffStatus::Modified,
                };
                SnapshotDiffEntry {
                    canonical_id: id.clone(),
                    name,
                    status,
                    diff: diffs.remove(id),
                }
            })
            .collect();
        workflows.sort_by(|x, y| (&x.name, &x.canonical_id).cmp(&(&y.name, &y.canonical_id)));
        Ok(SnapshotDiff { a, b, workflows })
    }

    pub(super) async fn start_backup(&self, req: BackupRequest) -> OpsResult<JobStarted> {
        let envs = self.pick_envs(&req.envs).await?;
        let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
        let title = format!("backup {}", names.join(", "));
        let request = serde_json::to_value(&req).unwrap_or_default();
        let ops = self.clone();
        let job_id = self
            .jobs
            .spawn(
                "backup",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move { ops.run_backup_job(ctx, envs).await },
            )
            .await?;
        Ok(JobStarted { job_id })
    }

    /// Each environment in turn: one failing does not stop the others.
    async fn run_backup_job(&self, ctx: JobCtx, envs: Vec<EnvRow>) -> JobOutcome {
        let total = envs.len() as u64;
        ctx.progress("starting", 0, total).await;
        let mut report = BackupReport {
            snapshots: Vec::new(),
            failures: Vec::new(),
        };
        for (i, env) in envs.iter().enumerate() {
            let why = format!("Backup of {} taken by {}.", env.name, self.settings.actor);
            match self
                .take_snapshot(&ctx, env, CommitKind::Backup, why, BACKUP_ACTION)
                .await
            {
                Ok(view) => report.snapshots.push(view),
                Err(e) => report.failures.push(EnvProblem {
                    env: env.name.clone(),
                    message: e.message,
                }),
            }
            ctx.progress(&format!("{} done", env.name), i as u64 + 1, total)
                .await;
        }
        let error = (!report.failures.is_empty()).then(|| {
            report
                .failures
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        JobOutcome {
            result: serde_json::to_value(&report).ok(),
            error,
        }
    }

    /// Fetches `env` and records its complete state as a snapshot of `kind`; audited as
    /// `action`. Nothing is committed when the fetch fails.
    pub(super) async fn take_snapshot(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        kind: CommitKind,
        why: String,
        action: &str,
    ) -> OpsResult<SnapshotView> {
        let taken = self.fetch_and_snapshot(ctx, env, kind, why).await;
        match &taken {
            Ok(view) => {
                let detail = format!(
                    "snapshot {} (commit {}): {} workflows (+{} ~{} -{}), job {}",
                    view.id,
                    short(&view.commit),
                    view.workflows,
                    view.added,
                    view.changed,
                    view.removed,
                    ctx.id()
                );
                ctx.log(LogLevel::Info, format!("{}: {detail}", env.name))
                    .await;
                self.audit_committed(action, &env.name, detail).await;
            }
            Err(e) => {
                ctx.log(LogLevel::Error, e.message.clone()).await;
                self.audit_failure(action, Some(&env.name), e).await;
            }
        }
        taken
    }

    async fn fetch_and_snapshot(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        kind: CommitKind,
        why: String,
    ) -> OpsResult<SnapshotView> {
        let synced = self.sync_env(ctx, env, &SyncKind::ALL).await;
        if let Some(error) = synced.error {
            return Err(OpsError::new(
                ErrorKind::Upstream,
                format!(
                    "no {kind} of '{}' was taken: fetching it failed: {error}",
                    env.name
                ),
            ));
        }
        let mut rec = Recording::new(kind, why, Scope::All);
        rec.job_id = Some(ctx.id().to_owned());
        rec.snapshot = true;
        let recorded = self.record_env(env, rec).await.map_err(|e| {
            OpsError::new(
                e.kind,
                format!("no {kind} of '{}' was taken: {}", env.name, e.message),
            )
        })?;
        recorded.snapshot.ok_or_else(|| {
            OpsError::internal(format!(
                "the {kind} of '{}' made no commit although one was asked for",
                env.name
            ))
        })
    }

    /// Records a successful operation outside a store transaction; a failure to record
    /// it is logged (the Git commit it describes is made and cannot be rolled back).
    pub(super) async fn audit_committed(&self, action: &str, env: &str, detail: String) {
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action,
            env: Some(env),
            workflow: None,
            outcome: Outcome::Ok,
            detail: Some(detail),
        };
        let write = async {
            let mut conn = self.store.conn().await?;
            audit::record(&mut conn, &event).await
        };
        if let Err(e) = write.await {
            tracing::error!(action, error = %e, "could not write the audit event of an operation");
        }
    }

    /// The named environments in the order given, without repeats (all when `names` is
    /// empty); an unknown name is an error, and so is having none.
    pub(super) async fn pick_envs(&self, names: &[String]) -> OpsResult<Vec<EnvRow>> {
        let mut conn = self.store.conn().await?;
        let all = environments::list(&mut conn).await?;
        let envs: Vec<EnvRow> = if names.is_empty() {
            all
        } else {
            let mut picked: Vec<EnvRow> = Vec::new();
            for name in names {
                let env = all
                    .iter()
                    .find(|e| &e.name == name)
                    .ok_or_else(|| OpsError::not_found(format!("no environment named '{name}'")))?;
                if !picked.iter().any(|p| p.id == env.id) {
                    picked.push(env.clone());
                }
            }
            picked
        };
        if envs.is_empty() {
            return Err(OpsError::invalid(
                "no environment configured: add one with `n8nops env add`",
            ));
        }
        Ok(envs)
    }
}

/// What orders snapshots by age: the commit time (git keeps seconds), then the time in
/// the id (when it was taken) and its suffix (`-2` for the second within one second).
fn age(s: &SnapshotView) -> (Time, &str, u32) {
    let taken = s.id.rsplit('/').next().unwrap_or("");
    let (stamp, suffix) = match (taken.get(..STAMP_LEN), taken.get(STAMP_LEN..)) {
        (Some(stamp), Some(suffix)) => (stamp, suffix),
        _ => (taken, ""),
    };
    let n = suffix
        .strip_prefix('-')
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    (s.at, stamp, n)
}

/// `YYYYMMDD-HHMMSS`
const STAMP_LEN: usize = 15;

/// A commit id as people read it.
pub(super) fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
