//! Reconcile: where Git, the recorded mappings and the live environments disagree.
//!
//! For each canonical id, three views: the document on the branch
//! (`workflows/<id>.json`), each environment's recorded fingerprint (its mapping file)
//! and each environment's live fingerprint (as last synced). Environments differing from
//! one another is normal (a promotion not made yet); a row is reported only where a
//! view disagrees with what it should match.

use super::canonical_state::CanonicalState;
use super::local::LocalOps;
use super::snapshots::short;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::domain::canonical::{self, WORKFLOWS_DIR};
use crate::domain::normalize::fingerprint;
use crate::git::PullOutcome;
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::{environments, workflows};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The audit action of a pull.
const PULL_ACTION: &str = "git.pull";

/// The document of one canonical id on the branch, as far as reconcile needs it.
#[derive(Debug, Clone)]
enum GitDoc {
    /// Its fingerprint, and its name when the file was read.
    Read {
        fingerprint: String,
        name: Option<String>,
    },
    /// The file is not a workflow document.
    Broken(String),
}

impl LocalOps {
    pub(super) async fn run_reconcile(&self, req: ReconcileRequest) -> OpsResult<ReconcileReport> {
        let pulled = if req.pull {
            Some(self.pull_canonical().await?)
        } else {
            None
        };
        let state = self.canonical_at(None).await?;
        let docs = self.branch_documents(&state).await?;
        let live = self.live_fingerprints().await?;
        Ok(ReconcileReport {
            head: state.commit.as_ref().map(|c| c.id.clone()),
            pulled,
            rows: compare(&state, &docs, &live),
        })
    }

    /// Fetches the remote and fast-forwards the branch; says what happened.
    async fn pull_canonical(&self) -> OpsResult<String> {
        let pulled = self.with_git(|git| Ok(git.pull()?)).await;
        let said = match &pulled {
            Ok(PullOutcome::NoRemote) => "no remote configured".to_owned(),
            Ok(PullOutcome::UpToDate) => "already up to date".to_owned(),
            Ok(PullOutcome::FastForwarded { from: Some(f), to }) => {
                format!("fast-forwarded from {} to {}", short(f), short(to))
            }
            Ok(PullOutcome::FastForwarded { from: None, to }) => {
                format!(
                    "took the remote branch at {} (it was empty here)",
                    short(to)
                )
            }
            Err(e) => {
                self.audit_failure(PULL_ACTION, None, e).await;
                return Err(e.clone());
            }
        };
        if matches!(pulled, Ok(PullOutcome::FastForwarded { .. })) {
            let event = NewAuditEvent {
                actor: &self.settings.actor,
                action: PULL_ACTION,
                env: None,
                workflow: None,
                outcome: Outcome::Ok,
                detail: Some(said.clone()),
            };
            let mut conn = self.store.conn().await?;
            audit::record(&mut conn, &event).await?;
        }
        Ok(said)
    }

    /// The fingerprint of every document on the branch. A document whose blob is one a
    /// mapping recorded has that mapping's fingerprint; only the others are read.
    async fn branch_documents(&self, state: &CanonicalState) -> OpsResult<HashMap<String, GitDoc>> {
        let mut known: HashMap<&str, &str> = HashMap::new();
        for m in state.mappings.values() {
            for w in m.workflows.values() {
                known.insert(w.blob.as_str(), w.fingerprint.as_str());
            }
        }
        let mut docs = HashMap::with_capacity(state.documents.len());
        let mut to_read = Vec::new();
        for (id, blob) in &state.documents {
            match known.get(blob.as_str()) {
                Some(fp) => {
                    let doc = GitDoc::Read {
                        fingerprint: (*fp).to_owned(),
                        name: None,
                    };
                    docs.insert(id.clone(), doc);
                }
                None => to_read.push((id.clone(), blob.clone())),
            }
        }
        if to_read.is_empty() {
            return Ok(docs);
        }
        let read = self
            .with_git(move |git| {
                let mut out = Vec::with_capacity(to_read.len());
                for (id, blob) in to_read {
                    let path = canonical::workflow_path(&id);
                    let doc = match canonical::parse_document(&git.blob(&blob)?, &path) {
                        Ok(doc) => GitDoc::Read {
                            fingerprint: fingerprint(&doc),
                            name: doc.get("name").and_then(Value::as_str).map(str::to_owned),
                        },
                        Err(e) => GitDoc::Broken(e.to_string()),
                    };
                    out.push((id, doc));
                }
                Ok(out)
            })
            .await?;
        docs.extend(read);
        Ok(docs)
    }

    /// Live fingerprints by environment and n8n id, of the environments synced at least
    /// once (of the others nothing is known live).
    async fn live_fingerprints(&self) -> OpsResult<HashMap<String, HashMap<String, String>>> {
        let mut conn = self.store.conn().await?;
        let mut live: HashMap<String, HashMap<String, String>> = environments::list(&mut conn)
            .await?
            .into_iter()
            .filter(|e| e.last_sync_at.is_some())
            .map(|e| (e.name, HashMap::new()))
            .collect();
        workflows::visit(&mut conn, &workflows::Filter::default(), |row| {
            if let Some(env) = live.get_mut(&row.env) {
                env.insert(row.n8n_id, row.fingerprint);
            }
        })
        .await
        .map_err(OpsError::from)?;
        Ok(live)
    }
}

/// The rows where something disagrees, sorted by name.
fn compare(
    state: &CanonicalState,
    docs: &HashMap<String, GitDoc>,
    live: &HashMap<String, HashMap<String, String>>,
) -> Vec<ReconcileRow> {
    let ids: BTreeSet<&String> = state
        .documents
        .keys()
        .chain(state.mappings.values().flat_map(|m| m.workflows.keys()))
        .collect();
    let mut rows = Vec::new();
    for id in ids {
        let mut problems = Vec::new();
        let mut cells = Vec::new();
        let mut name = None;
        for (env, mapping) in &state.mappings {
            let Some(m) = mapping.workflows.get(id) else {
                continue;
            };
            name.get_or_insert_with(|| m.name.clone());
            let live_fp = live.get(env).map(|l| l.get(&m.n8n_id));
            match live_fp {
                Some(None) => problems.push(format!("missing in {env}")),
                Some(Some(fp)) if *fp != m.fingerprint => {
                    problems.push(format!("{env}: live differs from recorded (drift)"))
                }
                _ => {}
            }
            cells.push(ReconcileCell {
                env: env.clone(),
                recorded: Some(m.fingerprint.clone()),
                live: live_fp.flatten().cloned(),
            });
        }
        let git = match docs.get(id.as_str()) {
            None => {
                problems.push(format!("no {WORKFLOWS_DIR}/{id}.json"));
                None
            }
            Some(GitDoc::Broken(why)) => {
                problems.push(why.clone());
                None
            }
            Some(GitDoc::Read {
                fingerprint,
                name: doc_name,
            }) => {
                if cells.is_empty() {
                    problems.push("in Git only: no environment maps it".to_owned());
                } else if !cells
                    .iter()
                    .any(|c| c.recorded.as_ref() == Some(fingerprint))
                {
                    problems.push("edited in Git, not deployed anywhere".to_owned());
                }
                if name.is_none() {
                    name = doc_name.clone();
                }
                Some(fingerprint.clone())
            }
        };
        if problems.is_empty() {
            continue;
        }
        rows.push(ReconcileRow {
            canonical_id: id.clone(),
            name: name.unwrap_or_else(|| id.clone()),
            git,
            envs: cells,
            problem: problems.join("; "),
        });
    }
    rows.sort_by(|a, b| (&a.name, &a.canonical_id).cmp(&(&b.name, &b.canonical_id)));
    rows
}
