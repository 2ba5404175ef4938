//! Fetching an environment's workflows for a sync: pages arrive on a task of their
//! own; each workflow is hashed, and only those whose raw body the store does not
//! already hold are parsed, normalized and fingerprinted; their bodies are written
//! page by page while later pages are still on their way.

use super::jobs::JobCtx;
use super::{OpsError, OpsResult};
use crate::domain::normalize::{canonical_json, fingerprint_canonical, normalize};
use crate::domain::sync::Change;
use crate::domain::workflow::{CredentialRef, credential_refs, node_count, node_types};
use crate::n8n::{N8nClient, WorkflowRecord};
use crate::store::Store;
use crate::store::bodies::{self, Claimant};
use crate::store::environments::EnvRow;
use crate::store::workflows::{NewWorkflow, Stored};
use std::collections::HashMap;

/// A fetched workflow. `row` is None when its raw body is byte for byte what the
/// store holds: then nothing is re-read or rewritten.
pub(super) struct FetchedWorkflow {
    pub(super) id: String,
    pub(super) fingerprint: String,
    pub(super) credentials: Vec<CredentialRef>,
    pub(super) row: Option<NewWorkflow>,
}

/// Pages of workflows as they arrive, fetched by a task of their own so that the
/// next page is on its way while this one is processed.
pub(super) struct WorkflowPages {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<WorkflowRecord>, crate::n8n::N8nError>>,
    producer: tokio::task::JoinHandle<()>,
}

pub(super) fn workflow_pages(client: &N8nClient) -> WorkflowPages {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let mut pager = client.workflows(&Default::default());
    let producer = tokio::spawn(async move {
        loop {
            let page = match pager.next_page().await {
                Ok(Some(page)) => Ok(page.items),
                Ok(None) => return,
                Err(e) => Err(e),
            };
            let failed = page.is_err();
            if tx.send(page).await.is_err() || failed {
                return;
            }
        }
    });
    WorkflowPages { rx, producer }
}

/// Takes the pages in: a workflow whose raw body hashes as the stored one is taken
/// as stored; others are normalized and fingerprinted, and their bodies written to
/// the store page by page while later pages are still on their way.
pub(super) async fn fetch_workflows(
    ctx: &JobCtx,
    store: &Store,
    env_row: &EnvRow,
    mut pages: WorkflowPages,
    stored: &HashMap<String, Stored>,
) -> OpsResult<Vec<FetchedWorkflow>> {
    let env = env_row.name.as_str();
    let claimant = Claimant {
        job_id: ctx.id(),
        env_id: env_row.id,
    };
    let mut out = Vec::new();
    // One page's bodies are written while the next page is processed.
    let mut writing: Option<tokio::task::JoinHandle<OpsResult<()>>> = None;
    let taken_in = async {
        while let Some(page) = pages.rx.recv().await {
            let mut new_bodies = Vec::new();
            for rec in page? {
                let (fetched, page_bodies) = fetched_workflow(env, rec, stored)?;
                out.push(fetched);
                new_bodies.extend(page_bodies);
            }
            if let Some(previous) = writing.take() {
                join_write(env, previous).await?;
            }
            if !new_bodies.is_empty() {
                writing = Some(spawn_write(store, claimant, env, new_bodies));
            }
            ctx.progress(&format!("{env}: {} workflows fetched", out.len()), 0, 0)
                .await;
        }
        Ok::<(), OpsError>(())
    }
    .await;
    // Whatever happened, no write may land after this returns (a failed sync
    // cleans up what it wrote).
    let written = match writing.take() {
        Some(last) => join_write(env, last).await,
        None => Ok(()),
    };
    taken_in?;
    written?;
    pages
        .producer
        .await
        .map_err(|e| OpsError::internal(format!("{env}: the workflow fetch stopped: {e}")))?;
    Ok(out)
}

fn spawn_write(
    store: &Store,
    by: Claimant<'_>,
    env: &str,
    new_bodies: Vec<(String, String)>,
) -> tokio::task::JoinHandle<OpsResult<()>> {
    let (store, job_id, env_id, env) = (
        store.clone(),
        by.job_id.to_owned(),
        by.env_id,
        env.to_owned(),
    );
    tokio::spawn(async move {
        let mut tx = store.begin().await?;
        bodies::put(
            &mut tx,
            Claimant {
                job_id: &job_id,
                env_id,
            },
            new_bodies,
        )
        .await?;
        tx.commit().await.map_err(|e| {
            OpsError::new(
                super::ErrorKind::Store,
                format!("{env}: storing workflow bodies: {e}"),
            )
        })
    })
}

async fn join_write(env: &str, write: tokio::task::JoinHandle<OpsResult<()>>) -> OpsResult<()> {
    write
        .await
        .map_err(|e| OpsError::internal(format!("{env}: storing workflow bodies stopped: {e}")))?
}

/// A fetched workflow, and the bodies (hash, text) to store for it: none when its
/// raw body is the stored one.
pub(super) fn fetched_workflow(
    env: &str,
    rec: WorkflowRecord,
    stored: &HashMap<String, Stored>,
) -> OpsResult<(FetchedWorkflow, Vec<(String, String)>)> {
    let raw_hash = fingerprint_canonical(rec.raw_json());
    if let Some(known) = stored.get(&rec.id).filter(|s| s.raw_hash == raw_hash) {
        let fetched = FetchedWorkflow {
            id: rec.id,
            fingerprint: known.fingerprint.clone(),
            credentials: known.credentials.clone(),
            row: None,
        };
        return Ok((fetched, Vec::new()));
    }
    let value = rec.value().map_err(|e| {
        OpsError::new(
            super::ErrorKind::Upstream,
            format!("{env}: workflow {} is not valid JSON: {e}", rec.id),
        )
    })?;
    let normalized_json = canonical_json(&normalize(&value));
    let fingerprint = fingerprint_canonical(&normalized_json);
    let page_bodies = vec![
        (raw_hash.clone(), String::from(rec.raw.get())),
        (fingerprint.clone(), normalized_json),
    ];
    let row = new_workflow(rec, &value, raw_hash, fingerprint);
    let fetched = FetchedWorkflow {
        id: row.n8n_id.clone(),
        fingerprint: row.fingerprint.clone(),
        credentials: row.credentials.clone(),
        row: Some(row),
    };
    Ok((fetched, page_bodies))
}

/// The row of one fetched workflow; its bodies are stored apart, by hash.
fn new_workflow(
    rec: WorkflowRecord,
    value: &serde_json::Value,
    raw_hash: String,
    fingerprint: String,
) -> NewWorkflow {
    NewWorkflow {
        fingerprint,
        node_count: node_count(value),
        node_types: node_types(value),
        credentials: credential_refs(value),
        updated_at: rec
            .updated_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        raw_hash,
        n8n_id: rec.id,
        name: rec.name,
        active: rec.active,
        tags: rec.tags,
        change: Change::Added,
    }
}
