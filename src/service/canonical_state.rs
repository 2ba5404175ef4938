//! The canonical state in Git: opening the repository, reading mappings and documents,
//! and recording an environment (the one way every commit of workflows is made).
//!
//! Recording writes the environment's documents into `workflows/` and its mapping file,
//! in one atomic commit (optionally tagged as a snapshot), then pushes when configured.
//! A failed push keeps the commit: it is reported and retried by the next push.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::canonical::{
    self, EnvMapping, MappedWorkflow, WORKFLOWS_DIR, assign_id, mapping_path, workflow_path,
};
use crate::domain::commit::{CommitKind, CommitMessage, TAG_PREFIX, key, snapshot_id};
use crate::git::{Change, CommitInfo, GitAuth, GitError, GitOptions, GitStore, RemoteSpec};
use crate::store::environments::{self, EnvRow};
use crate::store::{bodies, now_ms, secrets, workflows};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The secret name the https token is sealed under.
pub(super) const GIT_TOKEN: &str = "git.token";
/// What the repository's README says.
const README: &str = "# n8nops canonical state\n\n\
This repository is written by n8nops. It holds the canonical state of the n8n\n\
workflows it operates:\n\n\
- `workflows/<id>.json`: one canonical workflow per file, normalized (no instance ids,\n\
  versions or timestamps), pretty and key-sorted, so a change reads well in a review.\n\
  The id is the workflow's first name as a slug and stays through renames.\n\
- `environments/<env>.json`: per environment, which n8n workflow each canonical one is\n\
  (`n8nId`), and the fingerprint and document (`blob`) last deployed there.\n\n\
Commit messages say what changed and why; `N8nops-*` trailers carry the environment,\n\
the counts and the job. Snapshots are tags under `snapshots/<env>/`.\n";

/// The canonical state at one commit.
#[derive(Debug, Clone, Default)]
pub(super) struct CanonicalState {
    pub commit: Option<CommitInfo>,
    /// Each environment's mapping, by name (environments without a file are absent).
    pub mappings: BTreeMap<String, EnvMapping>,
    /// The documents on the branch: canonical id -> blob id.
    pub documents: BTreeMap<String, String>,
}

impl CanonicalState {
    /// Every canonical id in use: documents and mapped ids.
    pub fn ids(&self) -> HashSet<String> {
        let mut ids: HashSet<String> = self.documents.keys().cloned().collect();
        for m in self.mappings.values() {
            ids.extend(m.workflows.keys().cloned());
        }
        ids
    }

    /// The mapping of `env`, empty when it has none.
    pub fn mapping(&self, env: &str) -> EnvMapping {
        self.mappings
            .get(env)
            .cloned()
            .unwrap_or_else(|| EnvMapping::new(env))
    }
}

/// Which live workflows a recording covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every live workflow: the mapping becomes exactly the live set.
    All,
    /// These n8n ids only; other entries stay as they were. An id no longer live
    /// leaves the mapping.
    Only(Vec<String>),
}

/// What to record, and why.
#[derive(Debug, Clone)]
pub(super) struct Recording {
    pub kind: CommitKind,
    /// The commit message's body (the user's message or a generated sentence).
    pub why: String,
    pub job_id: Option<String>,
    /// Tag the commit as a snapshot.
    pub snapshot: bool,
    pub scope: Scope,
    /// n8n id -> canonical id to give it (a restore knows what it created).
    pub hints: HashMap<String, String>,
    /// More trailers: (key without prefix, value).
    pub trailers: Vec<(String, String)>,
    /// A restore point (with `snapshot`): the snapshot is tagged but the branch does not
    /// move, so the drift it holds is not accepted as canonical.
    pub restore_point: bool,
}

impl Recording {
    pub fn new(kind: CommitKind, why: impl Into<String>, scope: Scope) -> Recording {
        Recording {
            kind,
            why: why.into(),
            job_id: None,
            snapshot: false,
            scope,
            hints: HashMap::new(),
            trailers: Vec::new(),
            restore_point: false,
        }
    }
}

/// What a recording did.
#[derive(Debug, Clone, Default)]
pub(super) struct Recorded {
    /// None when nothing changed (and no snapshot was asked for).
    pub commit: Option<CommitInfo>,
    pub snapshot: Option<SnapshotView>,
    /// Workflows that got a canonical id in this environment.
    pub onboarded: Vec<Onboarded>,
}

impl From<GitError> for OpsError {
    fn from(e: GitError) -> Self {
        let kind = match &e {
            GitError::NotFound { .. } => ErrorKind::NotFound,
            GitError::Locked { .. } | GitError::Conflict { .. } | GitError::TagExists { .. } => {
                ErrorKind::Conflict
            }
            GitError::InvalidPath { .. } => ErrorKind::Invalid,
            _ => ErrorKind::Store,
        };
        OpsError::new(kind, e.to_string())
    }
}

impl From<canonical::CanonicalError> for OpsError {
    fn from(e: canonical::CanonicalError) -> Self {
        OpsError::new(ErrorKind::Store, format!("canonical state: {e}"))
    }
}

impl LocalOps {
    /// The repository (created on first use), with its remotes and credentials.
    pub(super) async fn git(&self) -> OpsResult<GitStore> {
        let cfg = &self.settings.git;
        let path = cfg.path.clone().ok_or_else(|| {
            OpsError::invalid("no Git repository is configured: set [git] path in the config")
        })?;
        let mut conn = self.store.conn().await?;
        let token = secrets::get(&mut conn, self.store.secrets(), GIT_TOKEN).await?;
        let envs = environments::list(&mut conn).await?;
        drop(conn);
        let mut remotes = Vec::new();
        if let Some(url) = cfg.remote.clone().filter(|u| !u.trim().is_empty()) {
            remotes.push(RemoteSpec {
                name: "origin".into(),
                url,
            });
        }
        for env in envs {
            if let Some(url) = env.git_repo.filter(|u| !u.trim().is_empty()) {
                remotes.push(RemoteSpec {
                    name: format!("env-{}", env.name),
                    url,
                });
            }
        }
        let opts = GitOptions {
            path,
            branch: cfg.branch.clone(),
            remotes,
            auth: GitAuth {
                ssh_key: cfg.ssh_key.clone(),
                username: cfg.username.clone(),
                token,
            },
            author_name: self.settings.actor.clone(),
            author_email: cfg.author_email.clone(),
        };
        blocking(move || GitStore::open(opts)).await
    }

    /// Runs blocking Git work off the async threads.
    pub(super) async fn with_git<T, F>(&self, work: F) -> OpsResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&GitStore) -> Result<T, OpsError> + Send + 'static,
    {
        let git = self.git().await?;
        tokio::task::spawn_blocking(move || work(&git))
            .await
            .map_err(|e| OpsError::internal(format!("git work stopped: {e}")))?
    }

    /// The canonical state at `rev` (None: the branch head).
    pub(super) async fn canonical_at(&self, rev: Option<String>) -> OpsResult<CanonicalState> {
        self.with_git(move |git| read_state(git, rev.as_deref()))
            .await
    }

    /// The canonical state at the branch head for reading only: empty when no
    /// repository exists yet, because opening one creates it (and may fetch a remote),
    /// which a read must not do.
    pub(super) async fn canonical_if_any(&self) -> OpsResult<CanonicalState> {
        let exists = self.settings.git.path.as_ref().is_some_and(|p| p.exists());
        if !exists {
            return Ok(CanonicalState::default());
        }
        self.canonical_at(None).await
    }

    /// The documents of these blob ids, parsed, in order.
    pub(super) async fn documents(&self, blobs: Vec<String>) -> OpsResult<Vec<Value>> {
        self.with_git(move |git| {
            blobs
                .iter()
                .map(|b| {
                    let bytes = git.blob(b)?;
                    Ok(canonical::parse_document(&bytes, &format!("blob {b}"))?)
                })
                .collect()
        })
        .await
    }

    /// Records `env`'s workflows as the store holds them now (sync first) as its
    /// canonical state: one commit, tagged when `rec.snapshot`, then a push.
    pub(super) async fn record_env(&self, env: &EnvRow, rec: Recording) -> OpsResult<Recorded> {
        let live = self.live_documents(env, &rec.scope).await?;
        let env_name = env.name.clone();
        let actor = self.settings.actor.clone();
        let at = now_ms();
        let recorded = self
            .with_git(move |git| commit_recording(git, &env_name, &actor, at, rec, live))
            .await?;
        if recorded.commit.is_some() {
            self.push_after_commit(&env.name).await;
        }
        Ok(recorded)
    }

    /// Pushes when the config says so; a failure is logged and kept for `git status`,
    /// never raised: the commit is safe locally and the next push retries it.
    pub(super) async fn push_after_commit(&self, env: &str) {
        if !self.settings.git.push {
            return;
        }
        let env = env.to_owned();
        let pushed = self
            .with_git(move |git| {
                let wanted: Vec<String> = git
                    .remote_status()?
                    .into_iter()
                    .map(|(spec, _, _)| spec.name)
                    .filter(|n| n == "origin" || *n == format!("env-{env}"))
                    .collect();
                if wanted.is_empty() {
                    return Ok(Vec::new());
                }
                Ok(git.push(Some(&wanted))?)
            })
            .await;
        match pushed {
            Ok(outcomes) => {
                for o in outcomes.iter().filter(|o| o.error.is_some()) {
                    tracing::warn!(remote = %o.remote, url = %o.url, error = ?o.error, "push failed; the commit is kept and the next push retries it");
                }
            }
            Err(e) => tracing::warn!(error = %e, "push failed; the commit is kept"),
        }
    }

    /// The in-scope live workflows of `env` with their documents, from the store.
    async fn live_documents(&self, env: &EnvRow, scope: &Scope) -> OpsResult<Vec<LiveDoc>> {
        // No sync of this environment may commit between the reads below.
        let lock = self.sync_lock(env.id);
        let _serialized = lock.lock().await;
        let mut conn = self.store.conn().await?;
        let stored = workflows::stored(&mut conn, env.id).await?;
        let filter = workflows::Filter {
            env: Some(env.name.clone()),
            active: None,
        };
        let wanted: Option<HashSet<&str>> = match scope {
            Scope::All => None,
            Scope::Only(ids) => Some(ids.iter().map(String::as_str).collect()),
        };
        let mut rows = Vec::new();
        workflows::visit(&mut conn, &filter, |row| {
            if wanted
                .as_ref()
                .is_none_or(|w| w.contains(row.n8n_id.as_str()))
            {
                rows.push(row);
            }
        })
        .await?;
        let hashes: Vec<String> = rows
            .iter()
            .filter_map(|r| stored.get(&r.n8n_id).map(|s| s.raw_hash.clone()))
            .collect();
        let raws = bodies::get_many(&mut conn, &hashes).await?;
        drop(conn);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(s) = stored.get(&row.n8n_id) else {
                continue;
            };
            let raw = raws.get(&s.raw_hash).ok_or_else(|| {
                OpsError::new(
                    ErrorKind::Store,
                    format!(
                        "the stored body of workflow '{}' ({}) in '{}' is missing: sync again",
                        row.name, row.n8n_id, env.name
                    ),
                )
            })?;
            let raw: Value = serde_json::from_str(raw).map_err(|e| {
                OpsError::new(
                    ErrorKind::Store,
                    format!(
                        "the stored body of workflow '{}' in '{}' is not JSON: {e}",
                        row.name, env.name
                    ),
                )
            })?;
            out.push(LiveDoc {
                n8n_id: row.n8n_id,
                name: row.name,
                fingerprint: row.fingerprint,
                active: row.active,
                tags: row.tags,
                text: canonical::render(&canonical::document(&raw)),
            });
        }
        Ok(out)
    }

    /// A snapshot by id (`prod/20261122-101500`), tag, commit or `latest` of `env`.
    pub(super) async fn find_snapshot(
        &self,
        id: &str,
        env: Option<&str>,
    ) -> OpsResult<SnapshotView> {
        let id = id.to_owned();
        let env = env.map(str::to_owned);
        self.with_git(move |git| find_snapshot(git, &id, env.as_deref()))
            .await
    }

    /// Every snapshot (of `env`), newest first.
    pub(super) async fn snapshots(&self, env: Option<&str>) -> OpsResult<Vec<SnapshotView>> {
        let prefix = match env {
            Some(e) => format!("{TAG_PREFIX}{e}/"),
            None => TAG_PREFIX.to_owned(),
        };
        self.with_git(move |git| {
            Ok(git
                .tags(&prefix)?
                .into_iter()
                .map(|t| snapshot_view(&t.name, &t.commit))
                .collect())
        })
        .await
    }
}

/// A live workflow ready to record.
#[derive(Debug, Clone)]
struct LiveDoc {
    n8n_id: String,
    name: String,
    fingerprint: String,
    active: bool,
    tags: Vec<String>,
    /// The rendered document.
    text: String,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, GitError> + Send + 'static,
) -> OpsResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| OpsError::internal(format!("git work stopped: {e}")))?
        .map_err(OpsError::from)
}

/// Reads the mapping files and the document list at `rev`.
pub(super) fn read_state(git: &GitStore, rev: Option<&str>) -> OpsResult<CanonicalState> {
    let commit = match rev {
        Some(r) => Some(git.resolve(r)?),
        None => git.head()?,
    };
    let Some(commit) = commit else {
        return Ok(CanonicalState::default());
    };
    let at = Some(commit.id.as_str());
    let mut mappings = BTreeMap::new();
    for (file, _) in git.entries(at, canonical::ENVIRONMENTS_DIR)? {
        let Some(env) = file.strip_suffix(".json") else {
            continue;
        };
        let path = mapping_path(env);
        if let Some(bytes) = git.read(at, &path)? {
            mappings.insert(env.to_owned(), EnvMapping::parse(&bytes, &path, env)?);
        }
    }
    let documents = git
        .entries(at, WORKFLOWS_DIR)?
        .into_iter()
        .filter_map(|(file, blob)| Some((canonical::id_of_file(&file)?.to_owned(), blob)))
        .collect();
    Ok(CanonicalState {
        commit: Some(commit),
        mappings,
        documents,
    })
}

/// Builds and makes the commit of one recording (blocking; under the repository lock
/// that `commit` takes, and against the head it read, so a concurrent writer makes
/// this fail with a conflict instead of losing either change).
fn commit_recording(
    git: &GitStore,
    env: &str,
    actor: &str,
    at: i64,
    rec: Recording,
    live: Vec<LiveDoc>,
) -> OpsResult<Recorded> {
    let state = read_state(git, None)?;
    let before = state.mapping(env);
    let mut after = match rec.scope {
        Scope::All => EnvMapping::new(env),
        Scope::Only(_) => before.clone(),
    };
    if let Scope::Only(ids) = &rec.scope {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        after
            .workflows
            .retain(|_, m| !wanted.contains(m.n8n_id.as_str()));
    }
    let by_n8n: HashMap<&str, &str> = before.by_n8n_id();
    // Names of canonical workflows other environments map, to link the same workflow.
    let mut by_name: HashMap<&str, &str> = HashMap::new();
    for (other, m) in &state.mappings {
        if other == env {
            continue;
        }
        for (id, w) in &m.workflows {
            by_name.entry(w.name.as_str()).or_insert(id.as_str());
        }
    }
    let mut taken = state.ids();
    // Ids are given in three passes, so that no workflow takes an id another one of
    // this environment holds: a restore's hints first, then ids the mapping already
    // gives (unless a hint took it), then new ones: linked by name to a canonical
    // workflow of another environment that is still free here, or a new slug.
    let mut ids: Vec<Option<String>> = vec![None; live.len()];
    let mut used: HashSet<String> = after.workflows.keys().cloned().collect();
    for (slot, doc) in ids.iter_mut().zip(&live) {
        if let Some(id) = rec
            .hints
            .get(&doc.n8n_id)
            .filter(|id| used.insert((*id).clone()))
        {
            *slot = Some(id.clone());
        }
    }
    for (slot, doc) in ids.iter_mut().zip(&live) {
        if slot.is_none()
            && let Some(id) = by_n8n.get(doc.n8n_id.as_str())
            && used.insert((*id).to_owned())
        {
            *slot = Some((*id).to_owned());
        }
    }
    let mut onboarded = Vec::new();
    for (slot, doc) in ids.iter_mut().zip(&live) {
        if slot.is_some() {
            continue;
        }
        let linked = by_name
            .get(doc.name.as_str())
            .filter(|id| !used.contains(**id))
            .map(|id| id.to_string());
        let id = linked
            .clone()
            .unwrap_or_else(|| assign_id(&doc.name, |s| taken.contains(s) || used.contains(s)));
        used.insert(id.clone());
        taken.insert(id.clone());
        onboarded.push(Onboarded {
            canonical_id: id.clone(),
            n8n_id: doc.n8n_id.clone(),
            name: doc.name.clone(),
            linked: linked.is_some(),
        });
        *slot = Some(id);
    }
    let mut writes = Vec::new();
    let (mut added, mut changed) = (0, 0);
    for (id, doc) in ids.into_iter().zip(&live) {
        let Some(id) = id else { continue };
        taken.insert(id.clone());
        let blob = GitStore::blob_id(doc.text.as_bytes());
        if state.documents.get(&id) != Some(&blob) {
            writes.push((workflow_path(&id), doc.text.clone().into_bytes()));
        }
        match before.workflows.get(&id) {
            None => added += 1,
            Some(m) if m.fingerprint != doc.fingerprint || m.blob != blob => changed += 1,
            Some(_) => {}
        }
        after.workflows.insert(
            id,
            MappedWorkflow {
                n8n_id: doc.n8n_id.clone(),
                name: doc.name.clone(),
                fingerprint: doc.fingerprint.clone(),
                blob,
                active: doc.active,
                tags: doc.tags.clone(),
            },
        );
    }
    let gone: Vec<&String> = before
        .workflows
        .keys()
        .filter(|id| !after.workflows.contains_key(*id))
        .collect();
    let removed = gone.len();
    // A document no environment maps any more leaves the branch (history keeps it, and
    // mappings at older commits still find it by blob).
    let deletes: Vec<String> = gone
        .into_iter()
        .filter(|id| {
            state.documents.contains_key(*id)
                && !state
                    .mappings
                    .iter()
                    .any(|(other, m)| other != env && m.workflows.contains_key(*id))
        })
        .map(|id| workflow_path(id))
        .collect();
    let mapping_text = after.render();
    let mapping_file = mapping_path(env);
    let mapping_changed = git
        .read(None, &mapping_file)?
        .is_none_or(|old| old != mapping_text.as_bytes());
    if mapping_changed {
        writes.push((mapping_file, mapping_text.into_bytes()));
    }
    if state.commit.is_none() {
        writes.push(("README.md".into(), README.as_bytes().to_vec()));
    }
    let count = after.workflows.len();
    let snapshot = rec
        .snapshot
        .then(|| unique_snapshot_id(git, env, at))
        .transpose()?;
    let what = format!("{count} workflows (+{added} ~{changed} -{removed})");
    let mut message = CommitMessage::new(rec.kind, env, &what, &rec.why)
        .trailer(key::WORKFLOWS, count)
        .trailer(key::ADDED, added)
        .trailer(key::CHANGED, changed)
        .trailer(key::REMOVED, removed)
        .trailer(key::ACTOR, actor);
    if let Some(job) = &rec.job_id {
        message = message.trailer(key::JOB, job);
    }
    if let Some(id) = &snapshot {
        message = message.trailer(key::SNAPSHOT, id);
    }
    for (k, v) in &rec.trailers {
        message = message.trailer(k, v);
    }
    let change = Change {
        writes,
        deletes,
        message: message.render(),
        tag: snapshot.as_ref().map(|id| format!("{TAG_PREFIX}{id}")),
        expected_head: Some(state.commit.as_ref().map(|c| c.id.clone())),
        allow_empty: snapshot.is_some(),
        detached: rec.restore_point && snapshot.is_some(),
    };
    let commit = git.commit(&change)?;
    let snapshot = match (&snapshot, &commit) {
        (Some(id), Some(c)) => Some(snapshot_view(&format!("{TAG_PREFIX}{id}"), c)),
        _ => None,
    };
    Ok(Recorded {
        commit,
        snapshot,
        onboarded,
    })
}

/// A snapshot id for `env` at `at` not taken yet (`-2`, `-3` within one second).
fn unique_snapshot_id(git: &GitStore, env: &str, at: i64) -> OpsResult<String> {
    let base = snapshot_id(env, at);
    let taken: HashSet<String> = git
        .tags(&format!("{TAG_PREFIX}{base}"))?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let free = |id: &str| !taken.contains(&format!("{TAG_PREFIX}{id}"));
    if free(&base) {
        return Ok(base);
    }
    Ok((2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| free(id))
        .unwrap_or(base))
}

/// The snapshot view of a tag and its commit.
pub(super) fn snapshot_view(tag: &str, commit: &CommitInfo) -> SnapshotView {
    let m = CommitMessage::parse(&commit.message);
    let id = tag.strip_prefix(TAG_PREFIX).unwrap_or(tag).to_owned();
    SnapshotView {
        env: m
            .get(key::ENVIRONMENT)
            .map(str::to_owned)
            .or_else(|| crate::domain::commit::snapshot_env(&id).map(str::to_owned))
            .unwrap_or_default(),
        id,
        commit: commit.id.clone(),
        kind: m.kind().unwrap_or(CommitKind::Snapshot),
        message: if m.why.is_empty() {
            m.subject.clone()
        } else {
            m.why.clone()
        },
        actor: m
            .get(key::ACTOR)
            .map(str::to_owned)
            .unwrap_or_else(|| commit.author.clone()),
        at: time_from_ms(commit.time_ms),
        workflows: m.count(key::WORKFLOWS),
        added: m.count(key::ADDED),
        changed: m.count(key::CHANGED),
        removed: m.count(key::REMOVED),
        job_id: m.get(key::JOB).map(str::to_owned),
    }
}

/// Finds a snapshot by id, tag, `latest` (of `env`) or the commit of a snapshot tag.
fn find_snapshot(git: &GitStore, id: &str, env: Option<&str>) -> OpsResult<SnapshotView> {
    let id = id.trim();
    if id.is_empty() || id == "latest" {
        let env = env.ok_or_else(|| OpsError::invalid("`latest` needs an environment"))?;
        let tags = git.tags(&format!("{TAG_PREFIX}{env}/"))?;
        let newest = tags.first().ok_or_else(|| {
            OpsError::not_found(format!(
                "environment '{env}' has no snapshot yet: take one with `n8nops snapshot create {env}` or `n8nops backup {env}`"
            ))
        })?;
        return Ok(snapshot_view(&newest.name, &newest.commit));
    }
    let tag = if id.starts_with(TAG_PREFIX) {
        id.to_owned()
    } else {
        format!("{TAG_PREFIX}{id}")
    };
    let tags = git.tags(TAG_PREFIX)?;
    if let Some(t) = tags.iter().find(|t| t.name == tag) {
        return Ok(snapshot_view(&t.name, &t.commit));
    }
    // A commit id (or prefix) of a snapshot.
    if id.len() >= 4 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        let commit = git.resolve(id).map_err(|_| no_snapshot(id))?;
        if let Some(t) = tags.iter().find(|t| t.commit.id == commit.id) {
            return Ok(snapshot_view(&t.name, &t.commit));
        }
    }
    Err(no_snapshot(id))
}

fn no_snapshot(id: &str) -> OpsError {
    OpsError::not_found(format!(
        "no snapshot '{id}': `n8nops snapshot list` shows them"
    ))
}
