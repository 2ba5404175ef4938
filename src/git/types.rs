//! The values the Git adapter takes and returns.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

use super::remote::display_url;

/// How to open (or create) the repository.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// A BARE repository; created (`init --bare`) when absent.
    pub path: PathBuf,
    /// The branch holding the canonical state, e.g. "main".
    pub branch: String,
    /// Pushed to; "origin" (if present) is the one pulled from.
    pub remotes: Vec<RemoteSpec>,
    pub auth: GitAuth,
    pub author_name: String,
    pub author_email: String,
}

/// A remote by name and url. The url may carry credentials (`https://user:secret@host/x`):
/// `Debug` and everything the adapter shows strip them.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    pub name: String,
    pub url: String,
}

impl RemoteSpec {
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        RemoteSpec {
            name: name.into(),
            url: url.into(),
        }
    }

    /// The same remote with credentials stripped from the url.
    pub fn redacted(&self) -> RemoteSpec {
        RemoteSpec {
            name: self.name.clone(),
            url: display_url(&self.url),
        }
    }
}

impl fmt::Debug for RemoteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteSpec")
            .field("name", &self.name)
            .field("url", &display_url(&self.url))
            .finish()
    }
}

/// Credentials for remotes. ssh urls use `ssh_key` (a leading `~/` is expanded) or else the
/// ssh agent; https urls use `username` and `token` when a token is set.
#[derive(Clone, Default)]
pub struct GitAuth {
    pub ssh_key: Option<PathBuf>,
    /// The https user name sent with the token; empty means `x-access-token` (what GitHub
    /// expects with a personal access token; other forges accept any name).
    pub username: String,
    pub token: Option<String>,
}

impl fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitAuth")
            .field("ssh_key", &self.ssh_key)
            .field("username", &self.username)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One commit to make: see [`super::GitStore::commit`].
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// (path like "workflows/x.json", content); parent directories are created as needed.
    pub writes: Vec<(String, Vec<u8>)>,
    /// Paths to remove (a directory path removes the whole directory); absent ones are
    /// ignored; directories left empty disappear.
    pub deletes: Vec<String>,
    pub message: String,
    /// A lightweight tag (name under refs/tags/) made on the new commit.
    pub tag: Option<String>,
    /// Some(head) to fail with `Conflict` unless the branch is at `head` (a full commit id;
    /// None = empty branch).
    pub expected_head: Option<Option<String>>,
    /// Commit even when the tree is unchanged and there is no tag.
    pub allow_empty: bool,
    /// A restore point: the commit (on top of the branch) is made and tagged, but the
    /// branch stays where it was, so what it records is not accepted as canonical.
    /// Needs a tag.
    pub detached: bool,
}

/// A commit as the service sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// Commit time (git keeps seconds), in milliseconds since the epoch.
    pub time_ms: i64,
    /// The author's name.
    pub author: String,
    /// The full message.
    pub message: String,
}

impl CommitInfo {
    /// The message's first line.
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("").trim_end()
    }

    pub(crate) fn from_commit(commit: &git2::Commit<'_>) -> CommitInfo {
        CommitInfo {
            id: commit.id().to_string(),
            time_ms: commit.time().seconds().saturating_mul(1000),
            author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        }
    }
}

/// A tag (name without `refs/tags/`) and the commit it points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagInfo {
    pub name: String,
    pub commit: CommitInfo,
}

/// What happened when pushing to one remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub remote: String,
    /// The url without credentials.
    pub url: String,
    /// None when the push succeeded.
    pub error: Option<String>,
}

/// What `pull` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullOutcome {
    /// No "origin" remote is configured.
    NoRemote,
    /// Nothing to take: the remote has nothing new (or the branch is ahead of it).
    UpToDate,
    FastForwarded {
        from: Option<String>,
        to: String,
    },
}
