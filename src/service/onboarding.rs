//! Untracked workflows and onboarding them into the canonical state.
//!
//! Untracked: live (as last synced) in an environment whose mapping at the branch head
//! does not name its n8n id. Onboarding records the chosen ones (only those) in one
//! commit: each gets a canonical id, or joins the canonical workflow another environment
//! already maps under the same name.

use super::canonical_state::{Recording, Scope};
use super::jobs::{JobCtx, JobOutcome};
use super::local::LocalOps;
use super::snapshots::short;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::domain::commit::CommitKind;
use crate::domain::job::LogLevel;
use crate::domain::workflow::resolve_ids;
use crate::store::environments::{self, EnvRow};
use crate::store::workflows;
use std::collections::{HashMap, HashSet};

/// The audit action of an onboarding.
const ONBOARD_ACTION: &str = "onboard";

impl LocalOps {
    /// Untracked workflows of `env` (all environments when None), sorted by environment
    /// then name.
    pub(super) async fn list_untracked(
        &self,
        env: Option<&str>,
    ) -> OpsResult<Vec<UntrackedWorkflow>> {
        if let Some(env) = env {
            let mut conn = self.store.conn().await?;
            environments::get(&mut conn, env).await?;
        }
        let state = self.canonical_if_any().await?;
        let tracked: HashMap<&str, HashSet<&str>> = state
            .mappings
            .iter()
            .map(|(env, m)| {
                let ids = m.workflows.values().map(|w| w.n8n_id.as_str()).collect();
                (env.as_str(), ids)
            })
            .collect();
        let filter = workflows::Filter {
            env: env.map(str::to_owned),
            active: None,
        };
        let mut out = Vec::new();
        let mut conn = self.store.conn().await?;
        workflows::visit(&mut conn, &filter, |row| {
            let known = tracked
                .get(row.env.as_str())
                .is_some_and(|ids| ids.contains(row.n8n_id.as_str()));
            if !known {
                out.push(UntrackedWorkflow {
                    env: row.env,
                    n8n_id: row.n8n_id,
                    name: row.name,
                    active: row.active,
                    fingerprint: row.fingerprint,
                });
            }
        })
        .await?;
        out.sort_by(|a, b| (&a.env, &a.name, &a.n8n_id).cmp(&(&b.env, &b.name, &b.n8n_id)));
        Ok(out)
    }

    /// Checks what to onboard against the untracked workflows now (an unknown or
    /// tracked one is refused before anything starts), then starts the job.
    pub(super) async fn start_onboard(&self, req: OnboardRequest) -> OpsResult<JobStarted> {
        let mut conn = self.store.conn().await?;
        let env = environments::get(&mut conn, &req.env).await?;
        drop(conn);
        if !req.all && req.workflows.is_empty() {
            return Err(OpsError::invalid(format!(
                "name the untracked workflows of '{}' to onboard, or ask for all of them",
                env.name
            )));
        }
        let untracked = self.list_untracked(Some(&env.name)).await?;
        let ids = if req.all {
            untracked.iter().map(|w| w.n8n_id.clone()).collect()
        } else {
            self.pick_untracked(&env, &req.workflows, &untracked)
                .await?
        };
        let title = format!("onboard {} ({})", env.name, ids.len());
        let request = serde_json::to_value(&req).unwrap_or_default();
        let ops = self.clone();
        let job_id = self
            .jobs
            .spawn(
                "onboard",
                title,
                &self.settings.actor,
                request,
                move |ctx| async move { ops.run_onboard(ctx, env, ids).await },
            )
            .await?;
        Ok(JobStarted { job_id })
    }

    /// The n8n ids of the untracked workflows `given` names (by id or exact name, the
    /// catalog's rule); every name that is unknown, ambiguous or already tracked is
    /// reported in one error.
    async fn pick_untracked(
        &self,
        env: &EnvRow,
        given: &[String],
        untracked: &[UntrackedWorkflow],
    ) -> OpsResult<Vec<String>> {
        let pairs = untracked
            .iter()
            .map(|w| (w.n8n_id.as_str(), w.name.as_str()));
        let ids = resolve_ids(&env.name, given, pairs).map_err(OpsError::invalid)?;
        let open: HashSet<&str> = untracked.iter().map(|w| w.n8n_id.as_str()).collect();
        let refused: Vec<&String> = given
            .iter()
            .zip(&ids)
            .filter(|(_, id)| !open.contains(id.as_str()))
            .map(|(g, _)| g)
            .collect();
        if !refused.is_empty() {
            // Tell "already tracked" from "not there at all".
            let mut conn = self.store.conn().await?;
            let held = workflows::list(
                &mut conn,
                &workflows::Filter {
                    env: Some(env.name.clone()),
                    active: None,
                },
            )
            .await?;
            let (tracked, unknown): (Vec<&String>, Vec<&String>) = refused
                .into_iter()
                .partition(|g| held.iter().any(|w| &&w.n8n_id == g || &&w.name == g));
            let list = |names: &[&String]| {
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut problems = Vec::new();
            if !tracked.is_empty() {
                problems.push(format!("already tracked: {}", list(&tracked)));
            }
            if !unknown.is_empty() {
                problems.push(format!(
                    "no such workflow (as last synced): {}",
                    list(&unknown)
                ));
            }
            return Err(OpsError::invalid(format!(
                "cannot onboard in '{}': {}; `n8nops untracked list {}` shows what can be",
                env.name,
                problems.join("; "),
                env.name
            )));
        }
        let mut seen = HashSet::new();
        Ok(ids
            .into_iter()
            .filter(|id| seen.insert(id.clone()))
            .collect())
    }

    async fn run_onboard(&self, ctx: JobCtx, env: EnvRow, ids: Vec<String>) -> JobOutcome {
        let total = ids.len() as u64;
        ctx.progress("onboarding", 0, total).await;
        let done = self.onboard_ids(&ctx, &env, ids).await;
        ctx.progress("onboarding", total, total).await;
        match done {
            Ok(report) => JobOutcome {
                result: serde_json::to_value(report).ok(),
                error: None,
            },
            Err(e) => {
                ctx.log(LogLevel::Error, e.message.clone()).await;
                self.audit_failure(ONBOARD_ACTION, Some(&env.name), &e)
                    .await;
                JobOutcome {
                    result: None,
                    error: Some(e.message),
                }
            }
        }
    }

    /// One commit for all of them, however many.
    async fn onboard_ids(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        ids: Vec<String>,
    ) -> OpsResult<OnboardReport> {
        if ids.is_empty() {
            ctx.log(
                LogLevel::Info,
                format!("{}: nothing untracked to onboard", env.name),
            )
            .await;
            return Ok(OnboardReport {
                env: env.name.clone(),
                onboarded: Vec::new(),
                commit: None,
            });
        }
        let why = format!(
            "Onboarded {} of {}.",
            plural(ids.len(), "workflow"),
            env.name
        );
        let mut rec = Recording::new(CommitKind::Onboarding, why, Scope::Only(ids));
        rec.job_id = Some(ctx.id().to_owned());
        let recorded = self.record_env(env, rec).await.map_err(|e| {
            OpsError::new(
                e.kind,
                format!("onboarding in '{}' failed: {}", env.name, e.message),
            )
        })?;
        let commit = recorded.commit.map(|c| c.id);
        let linked = recorded.onboarded.iter().filter(|o| o.linked).count();
        let detail = format!(
            "{} onboarded ({linked} linked to other environments' workflows), commit {}, job {}",
            plural(recorded.onboarded.len(), "workflow"),
            commit.as_deref().map_or("none", short),
            ctx.id()
        );
        ctx.log(LogLevel::Info, format!("{}: {detail}", env.name))
            .await;
        self.audit_committed(ONBOARD_ACTION, &env.name, detail)
            .await;
        Ok(OnboardReport {
            env: env.name.clone(),
            onboarded: recorded.onboarded,
            commit,
        })
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
