//! Writing a deployment's workflows into the target, as many at once as the client's
//! `max_concurrent_writes` lets through (1 by default: n8n's legacy SQLite takes one
//! write at a time), the bodies prepared meanwhile. Each write says what the target must then hold: its
//! fingerprint, active state and tags, checked by [`super::verify`] on one re-fetch of
//! the target. The first failure stops new writes (those in flight finish): the
//! deployment is rolled back anyway, and every write avoided is one less to undo.

use super::Ready;
use crate::domain::credential_map::{expected_fingerprint, remap};
use crate::domain::job::LogLevel;
use crate::domain::pipeline::Activation;
use crate::domain::promotion::{PlanAction, PlanItem};
use crate::n8n::{N8nClient, N8nError};
use crate::service::jobs::JobCtx;
use crate::service::local::LocalOps;
use crate::service::restore::body::{CredentialIds, restore_body};
use crate::service::restore::same_tags;
use crate::service::tagging::{TagBook, file_tag_names};
use crate::service::types::ItemOutcome;
use crate::service::{OpsError, OpsResult};
use crate::store::deployments::{self as store, ItemResult};
use crate::store::workflows;
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a written workflow must look like when the target is fetched again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::service) struct Expected {
    pub fingerprint: String,
    pub active: bool,
    pub tags: Vec<String>,
}

/// What writing one workflow did.
#[derive(Debug, Clone)]
pub(in crate::service) struct Written {
    pub pos: usize,
    pub name: String,
    pub canonical_id: Option<String>,
    /// Its id in the target after the write.
    pub target_id: Option<String>,
    pub deleted: bool,
    /// Attempted (false: skipped because an earlier write failed).
    pub done: bool,
    /// What the target must hold once written (creates and updates).
    pub expected: Option<Expected>,
    /// What went wrong, naming the workflow and the environment.
    pub error: Option<String>,
}

/// The error of a write given up because another failed first.
const STOPPED: &str = "not written: another workflow failed first";

pub(super) struct Writer<'a> {
    ops: &'a LocalOps,
    ready: &'a Ready,
    client: N8nClient,
    keys: Vec<String>,
    book: tokio::sync::Mutex<TagBook>,
    stop: AtomicBool,
}

impl<'a> Writer<'a> {
    pub async fn new(ops: &'a LocalOps, ready: &'a Ready) -> OpsResult<Writer<'a>> {
        Ok(Writer {
            ops,
            ready,
            client: ops.client(&ready.target).await?,
            keys: ready.keys(),
            book: tokio::sync::Mutex::new(TagBook::default()),
            stop: AtomicBool::new(false),
        })
    }

    /// Writes every item that writes (deletes first, so the names and webhook paths
    /// they hold are free), recording each result on deployment `id`. In plan order.
    pub async fn write_all(&self, ctx: &JobCtx, id: &str) -> Vec<Written> {
        let items = &self.ready.preflight.plan.items;
        let (deletes, rest): (Vec<usize>, Vec<usize>) = (0..items.len())
            .filter(|&i| items[i].action.writes())
            .partition(|&i| items[i].action == PlanAction::Delete);
        let total = (deletes.len() + rest.len()) as u64;
        let concurrency = self.ops.settings.client.max_concurrency.clamp(1, 8);
        let mut out: Vec<Written> = Vec::with_capacity(total as usize);
        ctx.progress("writing", 0, total).await;
        for phase in [deletes, rest] {
            let mut running = futures_util::stream::iter(phase)
                .map(|i| async move {
                    // Recorded here, so the next writes go on meanwhile.
                    let w = self.write_one(i).await;
                    self.record(ctx, id, &w).await;
                    w
                })
                .buffer_unordered(concurrency);
            while let Some(w) = running.next().await {
                out.push(w);
                let name = out.last().map(|w| w.name.clone()).unwrap_or_default();
                ctx.progress(&name, out.len() as u64, total).await;
            }
        }
        out.sort_by_key(|w| w.pos);
        out
    }

    async fn record(&self, ctx: &JobCtx, id: &str, w: &Written) {
        let env = &self.ready.target.name;
        let outcome = match (w.done, &w.error) {
            (false, _) => ItemOutcome::NotRun,
            (true, None) => ItemOutcome::Ok,
            (true, Some(_)) => ItemOutcome::Failed,
        };
        match (&w.error, w.done) {
            (Some(e), _) => ctx.log(LogLevel::Error, e.clone()).await,
            (None, true) => {
                let verb = if w.deleted {
                    "moved to the trash"
                } else {
                    "written"
                };
                ctx.log(LogLevel::Info, format!("{env}: '{}' {verb}", w.name))
                    .await
            }
            (None, false) => {}
        }
        let result = ItemResult {
            result: outcome.as_str(),
            error: w.error.as_deref(),
            target_id: w.target_id.as_deref(),
            diff: None,
        };
        let write = async {
            let mut conn = self.ops.store.conn().await?;
            store::set_item_result(&mut conn, id, w.pos as i64, &result).await
        };
        if let Err(e) = write.await {
            tracing::error!(deployment = id, error = %e, "could not record a workflow's result");
        }
    }

    async fn write_one(&self, i: usize) -> Written {
        let item = &self.ready.preflight.plan.items[i];
        let mut w = Written {
            pos: i,
            name: item.name.clone(),
            canonical_id: item.canonical_id.clone(),
            target_id: item.target_id.clone(),
            deleted: item.action == PlanAction::Delete,
            done: false,
            expected: None,
            error: None,
        };
        if self.stop.load(Ordering::SeqCst) {
            return w;
        }
        w.done = true;
        let result = match item.action {
            PlanAction::Delete => self.delete(item).await,
            _ => self.write(i, item).await.map(|(id, expected)| {
                w.target_id = Some(id);
                w.expected = Some(expected);
            }),
        };
        if let Err(problem) = &result
            && problem == STOPPED
        {
            w.done = false;
            return w;
        }
        if let Err(problem) = result {
            self.stop.store(true, Ordering::SeqCst);
            w.error = Some(format!(
                "'{}' in '{}': {problem}",
                item.name, self.ready.target.name
            ));
        }
        w
    }

    /// A soft delete (into the trash); the re-fetch checks n8n no longer has it.
    async fn delete(&self, item: &PlanItem) -> Result<(), String> {
        let Some(id) = item.target_id.as_deref() else {
            return Err("nothing to delete: the plan names no target workflow".into());
        };
        let by = format!(" (promotion from {})", self.ready.source.name);
        self.ops
            .delete(&self.ready.target, &self.client, id, false, &by)
            .await
            .map(|_| ())
            .map_err(|e| format!("it could not be moved to the trash: {}", e.message))
    }

    /// Creates or updates it (credentials remapped), sets its tags and active state.
    /// Returns its id in the target and what the target must then hold.
    async fn write(&self, i: usize, item: &PlanItem) -> Result<(String, Expected), String> {
        let source = self
            .stored(&self.ready.source.name, item.source_id.as_deref())
            .await?
            .ok_or("the source no longer has it (fetched just before)")?;
        let live = self
            .stored(&self.ready.target.name, item.target_id.as_deref())
            .await?;
        let resolutions = self
            .ready
            .preflight
            .credentials
            .get(&self.keys[i])
            .cloned()
            .unwrap_or_default();
        let remapped = remap(&source.raw, &resolutions);
        let expected = expected_fingerprint(&remapped);
        // Node ids of the target's version are kept (n8n keys webhooks by them).
        let body = restore_body(
            &remapped,
            &CredentialIds::default(),
            live.as_ref().map(|l| &l.raw),
        );
        // Another write failed while this one was prepared: it is not sent.
        if self.stop.load(Ordering::SeqCst) {
            return Err(STOPPED.into());
        }
        let written = match (&item.action, &item.target_id) {
            (PlanAction::Update, Some(id)) => self.client.update_workflow(id, &body).await,
            _ => self.client.create_workflow(&body).await,
        }
        .map_err(|e| refusal(item.action, e))?;
        let id = written.id.clone();

        let tags = file_tag_names(&source.raw);
        if !same_tags(&written.tags, &tags) {
            let set = if tags.is_empty() {
                self.client
                    .set_workflow_tags(&id, &[])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            } else {
                self.book
                    .lock()
                    .await
                    .tag_as_file(&self.client, &id, &source.raw)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.message)
            };
            set.map_err(|e| format!("its tags could not be set: {e}"))?;
        }

        let active = match self.ready.stage.activation {
            Activation::KeepTarget => live.as_ref().is_some_and(|l| l.active),
            Activation::FollowSource => source.active,
        };
        if written.active != active {
            let toggled = if active {
                self.client.activate_workflow(&id).await
            } else {
                self.client.deactivate_workflow(&id).await
            };
            toggled.map_err(|e| refusal_to(if active { "activate" } else { "deactivate" }, e))?;
        }

        Ok((
            id,
            Expected {
                fingerprint: expected,
                active,
                tags,
            },
        ))
    }

    /// A workflow as the store holds it after the fetch that started the run.
    async fn stored(&self, env: &str, id: Option<&str>) -> Result<Option<Stored>, String> {
        let Some(id) = id else { return Ok(None) };
        let found = async {
            let mut conn = self.ops.store.conn().await?;
            workflows::get(&mut conn, env, id)
                .await
                .map_err(OpsError::from)
        };
        let Some((row, raw, _)) = found
            .await
            .map_err(|e| format!("reading it from the store failed: {}", e.message))?
        else {
            return Ok(None);
        };
        let raw: Value = serde_json::from_str(&raw)
            .map_err(|e| format!("its stored body in '{env}' is not JSON: {e}"))?;
        Ok(Some(Stored {
            raw,
            active: row.active,
        }))
    }
}

struct Stored {
    raw: Value,
    active: bool,
}

fn refusal(action: PlanAction, e: N8nError) -> String {
    let what = if action == PlanAction::Update {
        "update"
    } else {
        "create"
    };
    refusal_to(what, e)
}

/// Why n8n did not do `what`, in its own words where it gave some.
fn refusal_to(what: &str, e: N8nError) -> String {
    match e {
        N8nError::Validation { message, .. } | N8nError::Rejected { message, .. } => {
            format!("n8n refused to {what} it: {message}")
        }
        other => format!("n8n did not {what} it: {other}"),
    }
}
