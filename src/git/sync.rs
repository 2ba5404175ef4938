//! The store and its remotes: push (per remote, failures recorded and retried by the next
//! push), the status of each remote, and pull (fetch origin, fast-forward only).

use git2::{ErrorCode, Oid, Repository};

use super::error::{GitContext, GitError, clean_message};
use super::push_status::PushStatus;
use super::remote::{self, Incoming, display_url};
use super::store::GitStore;
use super::types::{PullOutcome, PushOutcome, RemoteSpec};

/// One remote's state: (spec with credentials stripped from the url, commits ahead of the
/// last pushed state or None when unknown, last push error).
pub type RemoteState = (RemoteSpec, Option<usize>, Option<String>);

impl GitStore {
    /// A handle of its own for network work, so reads are not held up meanwhile.
    fn network_handle(&self) -> Result<Repository, GitError> {
        Repository::open_bare(&self.path).map_err(|e| GitError::Open {
            path: self.path.clone(),
            message: clean_message(e.message()),
        })
    }

    fn tracking_ref(&self, remote: &str) -> String {
        format!("refs/remotes/{remote}/{}", self.branch)
    }

    /// Pushes the branch and every tag under refs/tags/snapshots/ to each remote (or only
    /// those named). A failure is per remote (`PushOutcome::error`) and never loses the
    /// local commit; it is recorded in `<repo>/n8nops-push.json` so `remote_status` reports
    /// it, and cleared by the next successful push. On success refs/remotes/<name>/<branch>
    /// is moved to what was pushed.
    pub fn push(&self, only: Option<&[String]>) -> Result<Vec<PushOutcome>, GitError> {
        if let Some(only) = only
            && let Some(unknown) = only
                .iter()
                .find(|n| !self.remotes.iter().any(|r| &r.name == *n))
        {
            return Err(GitError::NotFound {
                path: self.path.clone(),
                what: format!("remote {unknown}"),
            });
        }
        let targets: Vec<&RemoteSpec> = self
            .remotes
            .iter()
            .filter(|r| only.is_none_or(|only| only.contains(&r.name)))
            .collect();

        let _locks = self.write_lock()?;
        let repo = self.network_handle()?;
        let head = self.branch_oid(&repo)?;
        let mut refspecs = vec![format!("{0}:{0}", self.branch_ref)];
        for tag in repo
            .references_glob("refs/tags/snapshots/*")
            .ctx(&self.path, "listing snapshot tags")?
        {
            let tag = tag.ctx(&self.path, "listing snapshot tags")?;
            if let Ok(name) = tag.name() {
                refspecs.push(format!("{name}:{name}"));
            }
        }

        let mut status = PushStatus::load(&self.path);
        let mut outcomes = Vec::new();
        for spec in targets {
            let error = match head {
                // Nothing committed yet: nothing to push.
                None => None,
                Some(head) => {
                    let result = remote::push(&repo, spec, &self.auth, &refspecs, &self.branch_ref);
                    let branch_pushed = match &result {
                        Ok(()) => true,
                        Err((_, branch_ok)) => *branch_ok,
                    };
                    if branch_pushed
                        && let Err(e) = repo.reference(
                            &self.tracking_ref(&spec.name),
                            head,
                            true,
                            "n8nops: pushed",
                        )
                    {
                        tracing::warn!(
                            "git repository {}: cannot record what was pushed to {}: {}",
                            self.path.display(),
                            spec.name,
                            e.message()
                        );
                    }
                    result.err().map(|(message, _)| message)
                }
            };
            match &error {
                Some(message) => {
                    tracing::warn!("git repository {}: {message}", self.path.display());
                    status.record(&spec.name, message);
                }
                None => status.clear(&spec.name),
            }
            outcomes.push(PushOutcome {
                remote: spec.name.clone(),
                url: display_url(&spec.url),
                error,
            });
        }
        if let Err(e) = status.save(&self.path) {
            tracing::warn!("{e}");
        }
        Ok(outcomes)
    }

    /// Per remote: (spec with credentials stripped from the url, commits ahead of the last
    /// pushed (or fetched) state or None when unknown, last push error). A remote never
    /// pushed to counts every commit of the branch as ahead.
    pub fn remote_status(&self) -> Result<Vec<RemoteState>, GitError> {
        let status = PushStatus::load(&self.path);
        let repo = self.repo();
        let head = self.branch_oid(&repo)?;
        let mut out = Vec::new();
        for spec in &self.remotes {
            let ahead = match head {
                None => Some(0),
                Some(head) => match repo.refname_to_id(&self.tracking_ref(&spec.name)) {
                    Ok(pushed) => repo.graph_ahead_behind(head, pushed).ok().map(|(a, _)| a),
                    Err(e) if e.code() == ErrorCode::NotFound => count_commits(&repo, head),
                    Err(_) => None,
                },
            };
            out.push((spec.redacted(), ahead, status.error(&spec.name)));
        }
        Ok(out)
    }

    /// Fetches "origin" and fast-forwards the branch, taking the remote's snapshot tags
    /// this repository lacks. Diverged history is an error that says so (nothing changed).
    /// NoRemote when there is no origin.
    pub fn pull(&self) -> Result<PullOutcome, GitError> {
        let Some(origin) = self.origin() else {
            return Ok(PullOutcome::NoRemote);
        };
        let _locks = self.write_lock()?;
        let repo = self.network_handle()?;
        let incoming =
            remote::fetch(&repo, origin, &self.auth, &self.branch).map_err(|message| {
                GitError::Fetch {
                    path: self.path.clone(),
                    remote: origin.name.clone(),
                    url: display_url(&origin.url),
                    message,
                }
            })?;
        let Some(theirs) = incoming.branch else {
            // The remote does not have the branch yet.
            return Ok(PullOutcome::UpToDate);
        };
        if let Err(e) = repo.reference(
            &self.tracking_ref(&origin.name),
            theirs,
            true,
            "n8nops: fetched",
        ) {
            tracing::warn!(
                "git repository {}: cannot record what was fetched from {}: {}",
                self.path.display(),
                origin.name,
                e.message()
            );
        }

        let ours = self.branch_oid(&repo)?;
        let fast_forward = match ours {
            None => true,
            Some(ours) if ours == theirs => false,
            Some(ours) => {
                let descends = |a, b| {
                    repo.graph_descendant_of(a, b)
                        .ctx(&self.path, "comparing local and remote history")
                };
                if descends(theirs, ours)? {
                    true
                } else if descends(ours, theirs)? {
                    false // local is ahead: nothing to take
                } else {
                    let (ahead, behind) = repo
                        .graph_ahead_behind(ours, theirs)
                        .ctx(&self.path, "comparing local and remote history")?;
                    return Err(GitError::Diverged {
                        path: self.path.clone(),
                        branch: self.branch.clone(),
                        remote: origin.name.clone(),
                        url: display_url(&origin.url),
                        ahead,
                        behind,
                    });
                }
            }
        };
        let new_branch = fast_forward.then_some(theirs);
        self.take(&repo, ours, new_branch, &incoming)?;
        Ok(match new_branch {
            Some(to) => PullOutcome::FastForwarded {
                from: ours.map(|id| id.to_string()),
                to: to.to_string(),
            },
            None => PullOutcome::UpToDate,
        })
    }

    /// Moves the branch from `ours` to `new_branch` (if Some) and makes the incoming tags
    /// this repository lacks, in one ref transaction. A local tag of the same name pointing
    /// elsewhere is kept (warned).
    fn take(
        &self,
        repo: &Repository,
        ours: Option<Oid>,
        new_branch: Option<Oid>,
        incoming: &Incoming,
    ) -> Result<(), GitError> {
        let mut new_tags = Vec::new();
        for (name, target) in &incoming.tags {
            let tag_ref = format!("refs/tags/{name}");
            match repo.refname_to_id(&tag_ref) {
                Ok(local) if local == *target => {}
                Ok(_) => tracing::warn!(
                    "git repository {}: keeping local tag {name}, which differs from the remote's",
                    self.path.display()
                ),
                Err(_) => new_tags.push((tag_ref, *target)),
            }
        }
        if new_branch.is_none() && new_tags.is_empty() {
            return Ok(());
        }
        let action = format!("taking the fetched state into branch {}", self.branch);
        let sig = self.signature()?;
        let mut tx = repo.transaction().ctx(&self.path, &action)?;
        if let Some(new) = new_branch {
            tx.lock_ref(&self.branch_ref)
                .ctx(&self.path, format!("locking branch {}", self.branch))?;
            let now = self.branch_oid(repo)?;
            if now != ours {
                return Err(GitError::Conflict {
                    path: self.path.clone(),
                    branch: self.branch.clone(),
                    expected: ours.map(|id| id.to_string()),
                    actual: now.map(|id| id.to_string()),
                });
            }
            tx.set_target(
                &self.branch_ref,
                new,
                Some(&sig),
                "n8nops: pull (fast-forward)",
            )
            .ctx(&self.path, &action)?;
        }
        for (tag_ref, target) in &new_tags {
            tx.lock_ref(tag_ref)
                .ctx(&self.path, format!("locking {tag_ref}"))?;
            tx.set_target(tag_ref, *target, Some(&sig), "n8nops: pull")
                .ctx(&self.path, &action)?;
        }
        if let Err(e) = tx.commit() {
            if let Some(new) = new_branch {
                self.undo_refs(repo, ours, new, None);
            }
            for (tag_ref, target) in &new_tags {
                if let Ok(mut r) = repo.find_reference(tag_ref)
                    && r.target() == Some(*target)
                {
                    let _ = r.delete();
                }
            }
            return Err(e).ctx(&self.path, action);
        }
        Ok(())
    }
}

/// How many commits `head` reaches (all of them count as ahead of a remote never pushed to).
fn count_commits(repo: &Repository, head: Oid) -> Option<usize> {
    let mut walk = repo.revwalk().ok()?;
    walk.push(head).ok()?;
    let mut n = 0;
    for id in walk {
        id.ok()?;
        n += 1;
    }
    Some(n)
}
