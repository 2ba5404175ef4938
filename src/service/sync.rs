//! Sync: fetch an environment's state from n8n (workflows through `fetch`) and replace
//! what the store holds of it in one transaction. A failure anywhere (a dropped
//! connection on page 7, a 500, a truncated body) leaves the stored data exactly as it
//! was, and the error names the environment.

use super::fetch::{FetchedWorkflow, fetch_workflows, workflow_pages};
use super::jobs::{JobCtx, JobOutcome};
use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::domain::job::LogLevel;
use crate::domain::sync::{Change, ChangeCounts, SyncKind, classify_changes};
use crate::n8n::{Credential, Execution, N8nClient, Tag, User};
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::bodies::{self, Claimant};
use crate::store::environments::{self, EnvRow};
use crate::store::inventory::{self, CredentialRow, ExecutionRow, TagRow, UserRow};
use crate::store::now_ms;
use crate::store::workflows::{self, NewWorkflow, Removed, Stored};
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Everything fetched from one environment, ready to store.
#[derive(Default)]
struct Fetched {
    workflows: Option<Vec<FetchedWorkflow>>,
    credentials: Option<Vec<CredentialRow>>,
    tags: Option<Vec<TagRow>>,
    users: Option<Vec<UserRow>>,
    executions: Option<Vec<ExecutionRow>>,
}

impl LocalOps {
    pub(super) async fn start_sync(&self, req: SyncRequest) -> OpsResult<JobStarted> {
        let mut conn = self.store.conn().await?;
        let all = environments::list(&mut conn).await?;
        drop(conn);
        let envs: Vec<EnvRow> = if req.envs.is_empty() {
            all
        } else {
            let mut picked = Vec::new();
            for name in &req.envs {
                let env = all
                    .iter()
                    .find(|e| &e.name == name)
                    .ok_or_else(|| OpsError::not_found(format!("no environment named '{name}'")))?;
                if !picked.iter().any(|p: &EnvRow| p.id == env.id) {
                    picked.push(env.clone());
                }
            }
            picked
        };
        if envs.is_empty() {
            return Err(OpsError::invalid(
                "no environment to sync: add one with `n8nops env add`",
            ));
        }
        let mut kinds = if req.kinds.is_empty() {
            SyncKind::ALL.to_vec()
        } else {
            req.kinds.clone()
        };
        kinds.sort();
        kinds.dedup();
        let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
        let title = format!("sync {}", names.join(", "));
        let request = serde_json::to_value(&req).unwrap_or_default();
        let ops = self.clone();
        let job_id = self
            .jobs
            .spawn(
                "sync",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move { ops.run_sync(ctx, envs, kinds).await },
            )
            .await?;
        Ok(JobStarted { job_id })
    }

    async fn run_sync(&self, ctx: JobCtx, envs: Vec<EnvRow>, kinds: Vec<SyncKind>) -> JobOutcome {
        let total = envs.len() as u64;
        ctx.progress("starting", 0, total).await;
        // Progress is written inside each environment's future: written after
        // `buffer_unordered`, it would stop polling the others while it waits for the
        // store, and one of them may hold the store's write lock.
        let done = std::sync::atomic::AtomicU64::new(0);
        let mut reports: Vec<EnvSyncReport> = futures_util::stream::iter(envs)
            .map(|env| {
                let ctx = ctx.clone();
                let kinds = kinds.clone();
                let done = &done;
                async move {
                    let report = self.sync_env(&ctx, &env, &kinds).await;
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    ctx.progress(&format!("{} done", report.env), n, total)
                        .await;
                    report
                }
            })
            .buffer_unordered(self.settings.sync_concurrency.max(1))
            .collect()
            .await;
        reports.sort_by(|a, b| a.env.cmp(&b.env));
        let failed: Vec<String> = reports.iter().filter_map(|r| r.error.clone()).collect();
        let error = (!failed.is_empty()).then(|| failed.join("; "));
        JobOutcome {
            result: serde_json::to_value(SyncReport { envs: reports }).ok(),
            error,
        }
    }

    pub(super) async fn sync_env(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        kinds: &[SyncKind],
    ) -> EnvSyncReport {
        let started = Instant::now();
        let mut report = EnvSyncReport {
            env: env.name.clone(),
            ok: false,
            error: None,
            workflows: None,
            credentials: None,
            tags: None,
            users: None,
            executions: None,
            added: 0,
            changed: 0,
            removed: 0,
            seconds: 0.0,
        };
        let lock = self.sync_lock(env.id);
        let _serialized = lock.lock().await;
        ctx.log(
            LogLevel::Info,
            format!("{}: sync started ({})", env.name, kinds_list(kinds)),
        )
        .await;
        match self.fetch_and_store(ctx, env, kinds).await {
            Ok((counts, fetched_counts)) => {
                report.ok = true;
                report.added = counts.added;
                report.changed = counts.changed;
                report.removed = counts.removed;
                [
                    report.workflows,
                    report.credentials,
                    report.tags,
                    report.users,
                    report.executions,
                ] = fetched_counts;
                report.seconds = started.elapsed().as_secs_f64();
                ctx.log(
                    LogLevel::Info,
                    format!("{}: {}", env.name, summary_line(&report)),
                )
                .await;
            }
            Err(err) => {
                let message = if err.message.contains(&env.name) {
                    err.message.clone()
                } else {
                    format!("{}: {}", env.name, err.message)
                };
                let claimant = Claimant {
                    job_id: ctx.id(),
                    env_id: env.id,
                };
                if let Err(e) = self.abandon_bodies(claimant).await {
                    tracing::warn!(env = %env.name, error = %e, "could not clean up after a failed sync");
                }
                ctx.log(
                    LogLevel::Error,
                    format!("{message}; stored data left unchanged"),
                )
                .await;
                self.audit_failure(
                    "sync",
                    Some(&env.name),
                    &OpsError::new(err.kind, message.clone()),
                )
                .await;
                report.error = Some(message);
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        report
    }

    async fn abandon_bodies(&self, by: Claimant<'_>) -> Result<(), crate::store::StoreError> {
        let mut tx = self.store.begin().await?;
        bodies::abandon(&mut tx, by).await?;
        tx.commit()
            .await
            .map_err(|source| crate::store::StoreError::Database {
                context: "cleaning up after a failed sync".into(),
                source,
            })
    }

    /// Fetches everything asked for, then replaces the stored state in one transaction.
    async fn fetch_and_store(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        kinds: &[SyncKind],
    ) -> OpsResult<(ChangeCounts, [Option<usize>; 5])> {
        let client = self.client(env).await?;
        let wants = |k| kinds.contains(&k);
        let need_workflows = wants(SyncKind::Workflows) || wants(SyncKind::Credentials);
        let limit = self.settings.executions_limit;
        // Page 1 is on its way while the store is read.
        let pages = need_workflows.then(|| workflow_pages(&client));
        let mut conn = self.store.conn().await?;
        let stored = workflows::stored(&mut conn, env.id).await?;
        drop(conn);

        let name = env.name.as_str();
        let (workflows, tags, users, executions, listed_credentials) = tokio::try_join!(
            timed(name, "workflows", async {
                match pages {
                    Some(pages) => fetch_workflows(ctx, &self.store, env, pages, &stored)
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            }),
            timed(name, "tags", async {
                if wants(SyncKind::Tags) {
                    fetch_all(client.tags()).await.map(Some)
                } else {
                    Ok(None)
                }
            }),
            timed(name, "users", async {
                if wants(SyncKind::Users) {
                    fetch_all(client.users()).await.map(Some)
                } else {
                    Ok(None)
                }
            }),
            timed(name, "executions", async {
                if wants(SyncKind::Executions) {
                    fetch_executions(&client, limit).await.map(Some)
                } else {
                    Ok(None)
                }
            }),
            timed(name, "credentials", async {
                if wants(SyncKind::Credentials) {
                    client.list_credentials().await.map_err(OpsError::from)
                } else {
                    Ok(None)
                }
            }),
        )?;

        let mut fetched = Fetched::default();
        if wants(SyncKind::Credentials) {
            fetched.credentials = Some(credential_rows(
                listed_credentials,
                workflows.as_deref().unwrap_or_default(),
            ));
        }
        fetched.tags = tags.map(|t: Vec<Tag>| {
            t.into_iter()
                .map(|t| TagRow {
                    n8n_id: t.id,
                    name: t.name,
                })
                .collect()
        });
        fetched.users = users.map(|u: Vec<User>| u.into_iter().map(user_row).collect());
        fetched.executions = executions.map(|x| x.into_iter().map(execution_row).collect());
        if wants(SyncKind::Workflows) {
            fetched.workflows = workflows;
        }
        let stored_at = Instant::now();
        let result = self.store_fetched(ctx, env, &stored, fetched).await;
        tracing::debug!(env = %env.name, ms = stored_at.elapsed().as_millis() as u64, "stored");
        result
    }

    async fn store_fetched(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        stored: &HashMap<String, Stored>,
        fetched: Fetched,
    ) -> OpsResult<(ChangeCounts, [Option<usize>; 5])> {
        let mut counts = ChangeCounts::default();
        let at = now_ms();
        let sizes = [
            fetched.workflows.as_ref().map(Vec::len),
            fetched.credentials.as_ref().map(Vec::len),
            fetched.tags.as_ref().map(Vec::len),
            fetched.users.as_ref().map(Vec::len),
            fetched.executions.as_ref().map(Vec::len),
        ];
        let mut tx = self.store.begin().await?;
        if let Some(list) = fetched.workflows {
            let previous: HashMap<String, String> = stored
                .iter()
                .map(|(id, s)| (id.clone(), s.fingerprint.clone()))
                .collect();
            let (changes, c) = classify_changes(
                &previous,
                list.iter().map(|w| (w.id.as_str(), w.fingerprint.as_str())),
            );
            counts = c;
            let by_id: HashMap<&str, Change> =
                changes.iter().map(|(id, ch)| (id.as_str(), *ch)).collect();
            let removed: Vec<Removed> = changes
                .iter()
                .filter(|(_, ch)| *ch == Change::Removed)
                .filter_map(|(id, _)| {
                    stored.get(id).map(|s| Removed {
                        n8n_id: id.clone(),
                        name: s.name.clone(),
                        fingerprint: s.fingerprint.clone(),
                    })
                })
                .collect();
            let written: Vec<NewWorkflow> = list
                .into_iter()
                .filter_map(|w| {
                    let change = by_id
                        .get(w.id.as_str())
                        .copied()
                        .unwrap_or(Change::Unchanged);
                    w.row.map(|row| NewWorkflow { change, ..row })
                })
                .collect();
            // Bodies the old versions of rewritten or removed workflows referenced.
            let replaced: Vec<String> = written
                .iter()
                .map(|w| w.n8n_id.as_str())
                .chain(removed.iter().map(|r| r.n8n_id.as_str()))
                .filter_map(|id| stored.get(id))
                .flat_map(|s| [s.raw_hash.clone(), s.fingerprint.clone()])
                .collect();
            workflows::apply_sync(&mut tx, env.id, Some(ctx.id()), written, &removed, at).await?;
            let claimant = Claimant {
                job_id: ctx.id(),
                env_id: env.id,
            };
            bodies::release(&mut tx, claimant).await?;
            bodies::collect(&mut tx, &replaced).await?;
        }
        if let Some(rows) = &fetched.credentials {
            inventory::replace_credentials(&mut tx, env.id, rows).await?;
        }
        if let Some(rows) = &fetched.tags {
            inventory::replace_tags(&mut tx, env.id, rows).await?;
        }
        if let Some(rows) = &fetched.users {
            inventory::replace_users(&mut tx, env.id, rows).await?;
        }
        if let Some(rows) = &fetched.executions {
            inventory::replace_executions(&mut tx, env.id, rows).await?;
        }
        environments::set_last_sync(&mut tx, env.id, at).await?;
        let detail = format!(
            "job {}: {} (added {}, changed {}, removed {})",
            ctx.id(),
            sizes_line(&sizes),
            counts.added,
            counts.changed,
            counts.removed
        );
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action: "sync",
            env: Some(&env.name),
            workflow: None,
            outcome: Outcome::Ok,
            detail: Some(detail),
        };
        audit::record(&mut tx, &event).await?;
        tx.commit().await.map_err(|e| {
            OpsError::new(
                super::ErrorKind::Store,
                format!("{}: committing the sync: {e}", env.name),
            )
        })?;
        Ok((counts, sizes))
    }
}

/// Awaits `work` and logs how long it took (debug level), for profiling a sync.
async fn timed<T>(env: &str, what: &str, work: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = work.await;
    tracing::debug!(
        env,
        what,
        ms = started.elapsed().as_millis() as u64,
        "fetched"
    );
    out
}

async fn fetch_all<T>(pager: crate::n8n::Pager<T>) -> OpsResult<Vec<T>> {
    Ok(pager.collect_all().await?)
}

async fn fetch_executions(client: &N8nClient, limit: usize) -> OpsResult<Vec<Execution>> {
    let mut pager = client
        .executions(&Default::default())
        .with_limit(limit.max(1));
    let mut out = Vec::new();
    while out.len() < limit {
        match pager.next_page().await? {
            Some(page) => out.extend(page.items),
            None => break,
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// Credentials listed by the API where the instance can (2.x), with how many workflows
/// use each; otherwise what the workflows' nodes reference (n8n 1.x cannot list them).
fn credential_rows(
    listed: Option<Vec<Credential>>,
    workflows: &[FetchedWorkflow],
) -> Vec<CredentialRow> {
    // (type, name) -> (id, workflows using it)
    let mut used: BTreeMap<(String, String), (Option<String>, i64)> = BTreeMap::new();
    for w in workflows {
        for r in w.credentials.iter().cloned() {
            let entry = used.entry((r.cred_type, r.name)).or_insert((None, 0));
            entry.0 = entry.0.take().or(r.id);
            entry.1 += 1;
        }
    }
    match listed {
        Some(list) => list
            .into_iter()
            .map(|c| {
                let used_by = used
                    .get(&(c.kind.clone(), c.name.clone()))
                    .map_or(0, |u| u.1);
                CredentialRow {
                    n8n_id: Some(c.id),
                    name: c.name,
                    cred_type: c.kind,
                    source: "api".into(),
                    used_by,
                }
            })
            .collect(),
        None => used
            .into_iter()
            .map(|((cred_type, name), (id, used_by))| CredentialRow {
                n8n_id: id,
                name,
                cred_type,
                source: "nodes".into(),
                used_by,
            })
            .collect(),
    }
}

fn user_row(u: User) -> UserRow {
    UserRow {
        n8n_id: u.id,
        email: (!u.email.is_empty()).then_some(u.email),
        first_name: u.first_name,
        last_name: u.last_name,
        role: u.role,
        is_pending: u.is_pending,
    }
}

fn execution_row(x: Execution) -> ExecutionRow {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    };
    ExecutionRow {
        n8n_id: x.id,
        workflow_id: (!x.workflow_id.is_empty()).then_some(x.workflow_id),
        status: x.status.as_str().to_owned(),
        mode: (!x.mode.is_empty()).then_some(x.mode),
        started_at: time(x.started_at),
        stopped_at: time(x.stopped_at),
        finished: x.finished,
        retry_of: x.retry_of,
    }
}

fn kinds_list(kinds: &[SyncKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn sizes_line(sizes: &[Option<usize>; 5]) -> String {
    SyncKind::ALL
        .iter()
        .zip(sizes)
        .filter_map(|(k, n)| n.map(|n| format!("{n} {k}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary_line(r: &EnvSyncReport) -> String {
    let sizes = [r.workflows, r.credentials, r.tags, r.users, r.executions];
    format!(
        "{} (added {}, changed {}, removed {}) in {:.2}s",
        sizes_line(&sizes),
        r.added,
        r.changed,
        r.removed,
        r.seconds
    )
}
