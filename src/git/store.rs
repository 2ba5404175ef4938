//! The repository: opening it, reading files and commits, and making commits. Remotes
//! (push, pull, status) are in `sync.rs`.
//!
//! Concurrency: reads share one repository handle behind a mutex (they are short).
//! Writers (commit, push, pull) are serialized inside the process by a second mutex and
//! across processes by the lock file (`lock.rs`), which fails at once when another process
//! holds it. Push and pull use their own handle so reads are not held up by the network.

use git2::{ErrorCode, ObjectType, Oid, Reference, Repository, RepositoryInitOptions, Signature};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::error::{GitContext, GitError, clean_message, short};
use super::lock::RepoLock;
use super::remote::configure_libgit2;
use super::tree_edit::{DirEdit, split};
use super::types::{Change, CommitInfo, GitAuth, GitOptions, RemoteSpec, TagInfo};

/// The canonical-state repository (bare) and the branch it keeps.
pub struct GitStore {
    pub(crate) path: PathBuf,
    pub(crate) branch: String,
    pub(crate) branch_ref: String,
    pub(crate) remotes: Vec<RemoteSpec>,
    pub(crate) auth: GitAuth,
    author_name: String,
    author_email: String,
    repo: Mutex<Repository>,
    pub(crate) writer: Mutex<()>,
}

impl fmt::Debug for GitStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitStore")
            .field("path", &self.path)
            .field("branch", &self.branch)
            .field("remotes", &self.remotes)
            .finish_non_exhaustive()
    }
}

impl GitStore {
    /// Opens the repository, creating it when absent. When absent and an "origin" remote is
    /// configured, tries to fetch its branch and tags first so a new machine starts from the
    /// team's state; if that fails, starts empty and logs a warning.
    pub fn open(opts: GitOptions) -> Result<GitStore, GitError> {
        configure_libgit2();
        let path = opts.path;
        let branch_ref = format!("refs/heads/{}", opts.branch);
        if opts.branch.is_empty() || !Reference::is_valid_name(&branch_ref) {
            return Err(GitError::InvalidName {
                path,
                kind: "branch",
                name: opts.branch,
            });
        }
        for (i, remote) in opts.remotes.iter().enumerate() {
            let duplicate = opts.remotes[..i].iter().any(|r| r.name == remote.name);
            if duplicate || !git2::Remote::is_valid_name(&remote.name) {
                return Err(GitError::InvalidName {
                    path,
                    kind: if duplicate {
                        "duplicate remote"
                    } else {
                        "remote"
                    },
                    name: remote.name.clone(),
                });
            }
        }

        let absent = is_absent(&path);
        let repo = if absent {
            let mut init = RepositoryInitOptions::new();
            init.bare(true).mkpath(true).initial_head(&opts.branch);
            Repository::init_opts(&path, &init).map_err(|e| GitError::Open {
                path: path.clone(),
                message: format!("cannot create it: {}", e.message()),
            })?
        } else {
            Repository::open_bare(&path).map_err(|e| GitError::Open {
                path: path.clone(),
                message: clean_message(e.message()),
            })?
        };

        let store = GitStore {
            path,
            branch: opts.branch,
            branch_ref,
            remotes: opts.remotes,
            auth: opts.auth,
            author_name: opts.author_name,
            author_email: opts.author_email,
            repo: Mutex::new(repo),
            writer: Mutex::new(()),
        };
        if absent && store.origin().is_some() {
            match store.pull() {
                Ok(outcome) => tracing::info!(
                    "new git repository {} started from origin: {outcome:?}",
                    store.path.display()
                ),
                Err(e) => tracing::warn!("new git repository starts empty: {e}"),
            }
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The configured remotes (urls as given, credentials included: do not show them).
    pub fn remotes(&self) -> &[RemoteSpec] {
        &self.remotes
    }

    pub(crate) fn origin(&self) -> Option<&RemoteSpec> {
        self.remotes.iter().find(|r| r.name == "origin")
    }

    /// The read handle.
    pub(crate) fn repo(&self) -> MutexGuard<'_, Repository> {
        self.repo
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The writers' in-process mutex, then the repository lock file.
    pub(crate) fn write_lock(&self) -> Result<WriteGuard<'_>, GitError> {
        let mutex = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let lock = RepoLock::acquire(&self.path)?;
        Ok(WriteGuard {
            _lock: lock,
            _mutex: mutex,
        })
    }

    /// Takes the repository lock as a writer would, and holds it until the value drops.
    /// For callers that need several operations without another process in between (and
    /// for tests). Commit, push and pull on this store wait for it to be dropped.
    pub fn lock(&self) -> Result<RepoLock, GitError> {
        RepoLock::acquire(&self.path)
    }

    /// The configured author, now.
    pub(crate) fn signature(&self) -> Result<Signature<'static>, GitError> {
        Signature::now(&self.author_name, &self.author_email).ctx(
            &self.path,
            format!(
                "making the author signature from `{}` <{}>",
                self.author_name, self.author_email
            ),
        )
    }

    /// The branch's commit id, None when the branch has no commit.
    pub(crate) fn branch_oid(&self, repo: &Repository) -> Result<Option<Oid>, GitError> {
        match repo.refname_to_id(&self.branch_ref) {
            Ok(id) => Ok(Some(id)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).ctx(&self.path, format!("reading branch {}", self.branch)),
        }
    }

    /// None on an empty branch.
    pub fn head(&self) -> Result<Option<CommitInfo>, GitError> {
        let repo = self.repo();
        let Some(id) = self.branch_oid(&repo)? else {
            return Ok(None);
        };
        let commit = repo.find_commit(id).ctx(
            &self.path,
            format!("reading the head of branch {}", self.branch),
        )?;
        Ok(Some(CommitInfo::from_commit(&commit)))
    }

    /// A full or abbreviated commit id, a tag name (`snapshots/prod/20261122-101500`), or a
    /// ref; NotFound naming what was asked otherwise.
    pub fn resolve(&self, rev: &str) -> Result<CommitInfo, GitError> {
        let repo = self.repo();
        let commit = self.resolve_in(&repo, rev)?;
        Ok(CommitInfo::from_commit(&commit))
    }

    fn resolve_in<'r>(
        &self,
        repo: &'r Repository,
        rev: &str,
    ) -> Result<git2::Commit<'r>, GitError> {
        let not_found = |what: String| GitError::NotFound {
            path: self.path.clone(),
            what,
        };
        if rev.trim().is_empty() {
            return Err(not_found("revision `` (empty)".to_owned()));
        }
        let object = match repo.revparse_single(rev) {
            Ok(object) => object,
            Err(e) => {
                return match e.code() {
                    ErrorCode::Ambiguous => Err(not_found(format!(
                        "revision `{rev}` (ambiguous: give more of the id)"
                    ))),
                    ErrorCode::NotFound | ErrorCode::InvalidSpec => {
                        Err(not_found(format!("revision `{rev}`")))
                    }
                    _ => Err(e).ctx(&self.path, format!("resolving `{rev}`")),
                };
            }
        };
        object.peel_to_commit().map_err(|_| {
            let kind = object.kind().map_or("object", |k| k.str());
            not_found(format!("commit `{rev}` (it names a {kind})"))
        })
    }

    /// The tree at `commit` (None = branch head); None on an empty branch.
    fn tree_at<'r>(
        &self,
        repo: &'r Repository,
        commit: Option<&str>,
    ) -> Result<Option<git2::Tree<'r>>, GitError> {
        let commit = match commit {
            Some(rev) => self.resolve_in(repo, rev)?,
            None => match self.branch_oid(repo)? {
                Some(id) => repo.find_commit(id).ctx(
                    &self.path,
                    format!("reading the head of branch {}", self.branch),
                )?,
                None => return Ok(None),
            },
        };
        let id = commit.id();
        commit
            .tree()
            .ctx(
                &self.path,
                format!("reading the tree of commit {}", short(&id.to_string())),
            )
            .map(Some)
    }

    fn check_path(&self, file: &str) -> Result<(), GitError> {
        split(file)
            .map(|_| ())
            .map_err(|reason| GitError::InvalidPath {
                path: self.path.clone(),
                file: file.to_owned(),
                reason,
            })
    }

    /// A file's bytes at `commit` (None = branch head); Ok(None) if no such file or empty
    /// branch.
    pub fn read(&self, commit: Option<&str>, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        self.check_path(path)?;
        let repo = self.repo();
        let Some(tree) = self.tree_at(&repo, commit)? else {
            return Ok(None);
        };
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e).ctx(&self.path, format!("looking up {path}")),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = repo
            .find_blob(entry.id())
            .ctx(&self.path, format!("reading {path}"))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// Files directly in `dir` ("" = the top) at `commit`: (file name, blob id), sorted by
    /// name; empty if none.
    pub fn entries(
        &self,
        commit: Option<&str>,
        dir: &str,
    ) -> Result<Vec<(String, String)>, GitError> {
        let dir = dir.trim_matches('/');
        if !dir.is_empty() {
            self.check_path(dir)?;
        }
        let repo = self.repo();
        let Some(root) = self.tree_at(&repo, commit)? else {
            return Ok(Vec::new());
        };
        let tree = if dir.is_empty() {
            root
        } else {
            let entry = match root.get_path(Path::new(dir)) {
                Ok(entry) => entry,
                Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e).ctx(&self.path, format!("looking up {dir}/")),
            };
            if entry.kind() != Some(ObjectType::Tree) {
                return Ok(Vec::new());
            }
            repo.find_tree(entry.id())
                .ctx(&self.path, format!("reading {dir}/"))?
        };
        let mut files: Vec<(String, String)> = tree
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .map(|e| {
                (
                    String::from_utf8_lossy(e.name_bytes()).into_owned(),
                    e.id().to_string(),
                )
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// A blob's bytes by id (full, or abbreviated to at least 4 hex digits).
    pub fn blob(&self, id: &str) -> Result<Vec<u8>, GitError> {
        let not_found = |why: &str| GitError::NotFound {
            path: self.path.clone(),
            what: format!("blob {id}{why}"),
        };
        if id.len() < 4 || id.len() > 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found(" (not an object id)"));
        }
        let repo = self.repo();
        let object = if id.len() == 40 {
            let oid = Oid::from_str(id).map_err(|_| not_found(" (not an object id)"))?;
            repo.find_object(oid, Some(ObjectType::Blob))
        } else {
            repo.find_object_by_prefix(id, Some(ObjectType::Blob))
        };
        match object {
            Ok(object) => match object.as_blob() {
                Some(blob) => Ok(blob.content().to_vec()),
                None => Err(not_found(" (not a file)")),
            },
            Err(e) if e.code() == ErrorCode::NotFound => Err(not_found("")),
            Err(e) if e.code() == ErrorCode::Ambiguous => Err(not_found(" (ambiguous)")),
            Err(e) => Err(e).ctx(&self.path, format!("reading blob {id}")),
        }
    }

    /// The blob id `bytes` would get (`git hash-object`), without writing.
    pub fn blob_id(bytes: &[u8]) -> String {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(format!("blob {}\0", bytes.len()).as_bytes());
        ctx.update(bytes);
        ctx.finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// One atomic commit on the branch, under the repository lock: `writes` and `deletes`
    /// (paths like "workflows/x.json", nested dirs created/removed as needed) applied to the
    /// head's tree (or an empty tree), then the branch moves and, if asked, the tag is made,
    /// both in one ref transaction. If `expected_head` is Some(h) and the head is not h
    /// (None = empty branch), fail with `Conflict` and change nothing. If the tree is
    /// unchanged and there is no tag, still commit only when `allow_empty`; else return
    /// Ok(None). Any failure leaves the branch (and tags) exactly where they were.
    pub fn commit(&self, change: &Change) -> Result<Option<CommitInfo>, GitError> {
        let edit = DirEdit::plan(&change.writes, &change.deletes).map_err(|(file, reason)| {
            GitError::InvalidPath {
                path: self.path.clone(),
                file,
                reason,
            }
        })?;
        if change.detached && change.tag.is_none() {
            return Err(GitError::InvalidName {
                path: self.path.clone(),
                kind: "tag",
                name: "(none: a restore point needs a tag)".into(),
            });
        }
        let tag_ref = match &change.tag {
            Some(tag) => {
                let name = format!("refs/tags/{tag}");
                if tag.is_empty() || !Reference::is_valid_name(&name) {
                    return Err(GitError::InvalidName {
                        path: self.path.clone(),
                        kind: "tag",
                        name: tag.clone(),
                    });
                }
                Some(name)
            }
            None => None,
        };

        let _locks = self.write_lock()?;
        let repo = self.repo();
        let old = self.branch_oid(&repo)?;
        self.check_expected(change, old)?;
        if let Some(tag_ref) = &tag_ref {
            self.check_tag_free(&repo, tag_ref, change)?;
        }

        let old_commit = match old {
            Some(id) => Some(repo.find_commit(id).ctx(
                &self.path,
                format!("reading the head of branch {}", self.branch),
            )?),
            None => None,
        };
        let old_tree = match &old_commit {
            Some(c) => Some(c.tree().ctx(
                &self.path,
                format!("reading the tree of branch {}", self.branch),
            )?),
            None => None,
        };
        let new_tree_id = edit
            .apply(&repo, old_tree.as_ref())
            .ctx(&self.path, "writing the changed files")?;
        let unchanged = new_tree_id == old_tree.as_ref().map(|t| t.id())
            || (old_tree.is_none() && new_tree_id.is_none());
        if unchanged && tag_ref.is_none() && !change.allow_empty {
            return Ok(None);
        }
        let new_tree_id = match new_tree_id {
            Some(id) => id,
            None => repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .ctx(&self.path, "writing the empty tree")?,
        };
        let tree = repo
            .find_tree(new_tree_id)
            .ctx(&self.path, "reading the new tree")?;
        let sig = self.signature()?;
        let message = git2::message_prettify(&change.message, None)
            .ctx(&self.path, "cleaning up the commit message")?;
        let parents: Vec<&git2::Commit<'_>> = old_commit.iter().collect();
        let new = repo
            .commit(None, &sig, &sig, &message, &tree, &parents)
            .ctx(&self.path, "writing the commit")?;

        self.move_refs(&repo, old, new, tag_ref.as_deref(), &sig, change)?;
        let commit = repo
            .find_commit(new)
            .ctx(&self.path, "reading the new commit")?;
        Ok(Some(CommitInfo::from_commit(&commit)))
    }

    fn check_expected(&self, change: &Change, actual: Option<Oid>) -> Result<(), GitError> {
        let Some(expected) = &change.expected_head else {
            return Ok(());
        };
        let actual = actual.map(|id| id.to_string());
        let same = match (expected, &actual) {
            (None, None) => true,
            (Some(e), Some(a)) => e.eq_ignore_ascii_case(a),
            _ => false,
        };
        if same {
            Ok(())
        } else {
            Err(GitError::Conflict {
                path: self.path.clone(),
                branch: self.branch.clone(),
                expected: expected.clone(),
                actual,
            })
        }
    }

    fn check_tag_free(
        &self,
        repo: &Repository,
        tag_ref: &str,
        change: &Change,
    ) -> Result<(), GitError> {
        match repo.find_reference(tag_ref) {
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e).ctx(&self.path, format!("looking up {tag_ref}")),
            Ok(_) => Err(GitError::TagExists {
                path: self.path.clone(),
                tag: change.tag.clone().unwrap_or_default(),
            }),
        }
    }

    /// Moves the branch from `old` to `new` and makes the tag, in one ref transaction. On
    /// failure whatever already moved is put back.
    fn move_refs(
        &self,
        repo: &Repository,
        old: Option<Oid>,
        new: Oid,
        tag_ref: Option<&str>,
        sig: &Signature<'_>,
        change: &Change,
    ) -> Result<(), GitError> {
        let action = format!("moving branch {}", self.branch);
        let mut tx = repo.transaction().ctx(&self.path, &action)?;
        tx.lock_ref(&self.branch_ref)
            .ctx(&self.path, format!("locking branch {}", self.branch))?;
        if let Some(tag_ref) = tag_ref {
            tx.lock_ref(tag_ref)
                .ctx(&self.path, format!("locking tag {tag_ref}"))?;
        }
        // Under the ref locks: someone outside n8nops (git itself) may have moved it.
        let now = self.branch_oid(repo)?;
        if now != old {
            return Err(GitError::Conflict {
                path: self.path.clone(),
                branch: self.branch.clone(),
                expected: old.map(|id| id.to_string()),
                actual: now.map(|id| id.to_string()),
            });
        }
        if let Some(tag_ref) = tag_ref {
            self.check_tag_free(repo, tag_ref, change)?;
        }
        let subject = change.message.lines().next().unwrap_or("");
        let reflog = format!("n8nops: {subject}");
        if !change.detached {
            tx.set_target(&self.branch_ref, new, Some(sig), &reflog)
                .ctx(&self.path, &action)?;
        }
        if let Some(tag_ref) = tag_ref {
            tx.set_target(tag_ref, new, Some(sig), &reflog)
                .ctx(&self.path, format!("making tag {tag_ref}"))?;
        }
        if let Err(e) = tx.commit() {
            self.undo_refs(repo, old, new, tag_ref);
            return Err(e).ctx(&self.path, format!("{action} and its tag"));
        }
        Ok(())
    }

    /// After a failed transaction: puts the branch back to `old` and removes the tag if they
    /// were already moved to `new` (libgit2 applies a transaction ref by ref).
    pub(crate) fn undo_refs(
        &self,
        repo: &Repository,
        old: Option<Oid>,
        new: Oid,
        tag_ref: Option<&str>,
    ) {
        if let Ok(Some(now)) = self.branch_oid(repo)
            && now == new
        {
            let undone = match old {
                Some(old) => repo
                    .reference(&self.branch_ref, old, true, "n8nops: undo a failed update")
                    .map(|_| ()),
                None => repo
                    .find_reference(&self.branch_ref)
                    .and_then(|mut r| r.delete()),
            };
            if let Err(e) = undone {
                tracing::error!(
                    "git repository {}: cannot put branch {} back after a failed update: {}",
                    self.path.display(),
                    self.branch,
                    e.message()
                );
            }
        }
        if let Some(tag_ref) = tag_ref
            && let Ok(mut r) = repo.find_reference(tag_ref)
            && r.target() == Some(new)
            && let Err(e) = r.delete()
        {
            tracing::error!(
                "git repository {}: cannot remove {tag_ref} after a failed update: {}",
                self.path.display(),
                e.message()
            );
        }
    }

    /// Tags whose name starts with `prefix`, newest commit first (then by name, newest
    /// first, which orders same-second snapshot suffixes).
    pub fn tags(&self, prefix: &str) -> Result<Vec<TagInfo>, GitError> {
        // Ref names cannot hold glob characters; a prefix with them matches nothing.
        if prefix.contains(['*', '?', '[', '\\']) {
            return Ok(Vec::new());
        }
        let repo = self.repo();
        let refs = repo
            .references_glob(&format!("refs/tags/{prefix}*"))
            .ctx(&self.path, "listing tags")?;
        let mut tags = Vec::new();
        for reference in refs {
            let reference = reference.ctx(&self.path, "listing tags")?;
            let Some(name) = reference
                .name()
                .ok()
                .and_then(|n| n.strip_prefix("refs/tags/"))
            else {
                continue;
            };
            let name = name.to_owned();
            match reference.peel_to_commit() {
                Ok(commit) => tags.push(TagInfo {
                    name,
                    commit: CommitInfo::from_commit(&commit),
                }),
                Err(e) => tracing::warn!(
                    "git repository {}: tag {name} does not name a commit: {}",
                    self.path.display(),
                    e.message()
                ),
            }
        }
        let rank = tie_ranks(&repo, &tags);
        let rank_of = |t: &TagInfo| rank.get(&t.commit.id).copied().unwrap_or(0);
        tags.sort_by(|a, b| {
            b.commit
                .time_ms
                .cmp(&a.commit.time_ms)
                .then_with(|| rank_of(a).cmp(&rank_of(b)))
                .then_with(|| b.name.cmp(&a.name))
        });
        Ok(tags)
    }
}

/// Git keeps commit times in seconds, so several commits can share one. For those, a rank
/// from a topological walk (children first: 0 is the newest) orders them.
fn tie_ranks(repo: &Repository, tags: &[TagInfo]) -> HashMap<String, usize> {
    let mut by_time: HashMap<i64, HashSet<&str>> = HashMap::new();
    for t in tags {
        by_time
            .entry(t.commit.time_ms)
            .or_default()
            .insert(t.commit.id.as_str());
    }
    let tied: HashSet<&str> = by_time
        .into_values()
        .filter(|ids| ids.len() > 1)
        .flatten()
        .collect();
    let mut ranks = HashMap::new();
    if tied.is_empty() {
        return ranks;
    }
    let Ok(mut walk) = repo.revwalk() else {
        return ranks;
    };
    if walk
        .set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
        .is_err()
    {
        return ranks;
    }
    for id in &tied {
        if let Ok(oid) = Oid::from_str(id) {
            let _ = walk.push(oid);
        }
    }
    for (i, oid) in walk.flatten().enumerate() {
        let id = oid.to_string();
        if tied.contains(id.as_str()) {
            ranks.insert(id, i);
            if ranks.len() == tied.len() {
                break;
            }
        }
    }
    ranks
}

/// A writer's turn. Fields drop in order: the lock file goes before the mutex lets the
/// next writer of this process in, so it never finds our lock file.
pub(crate) struct WriteGuard<'a> {
    _lock: RepoLock,
    _mutex: MutexGuard<'a, ()>,
}

/// True when `path` does not exist or is an empty directory (a repository is created there).
fn is_absent(path: &Path) -> bool {
    match fs::read_dir(path) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => !path.exists(),
    }
}
