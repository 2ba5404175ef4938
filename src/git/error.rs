//! What can go wrong in the Git adapter. Every message names the repository path (and the
//! remote, with credentials stripped from its url); none ever carries a token.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum GitError {
    #[error("cannot open the git repository {}: {message}", path.display())]
    Open { path: PathBuf, message: String },

    /// A libgit2 operation failed; `action` says what the adapter was doing.
    #[error("git repository {}: {action} failed: {message}", path.display())]
    Git {
        path: PathBuf,
        action: String,
        message: String,
    },

    /// A file operation of the adapter itself (lock file, push status) failed.
    #[error("git repository {}: {action} failed: {source}", path.display())]
    Io {
        path: PathBuf,
        action: String,
        source: std::io::Error,
    },

    /// Another writer holds the repository lock (`<repo>/n8nops.lock`).
    #[error(
        "git repository {} is locked by {holder}; try again when it has finished \
         (if that process is gone, remove {})",
        path.display(),
        path.join(super::lock::LOCK_FILE).display()
    )]
    Locked { path: PathBuf, holder: String },

    #[error("git repository {}: {what} not found", path.display())]
    NotFound { path: PathBuf, what: String },

    /// The branch moved since the caller read it (optimistic concurrency).
    #[error(
        "git repository {}: branch {branch} is at {} but the change was made on {}; \
         someone else committed first: reload and retry",
        path.display(),
        show_head(actual),
        show_head(expected)
    )]
    Conflict {
        path: PathBuf,
        branch: String,
        expected: Option<String>,
        actual: Option<String>,
    },

    #[error("git repository {}: tag {tag} already exists", path.display())]
    TagExists { path: PathBuf, tag: String },

    /// A file path given to `commit`, `read` or `entries` is not a clean relative path.
    #[error("git repository {}: invalid file path `{file}`: {reason}", path.display())]
    InvalidPath {
        path: PathBuf,
        file: String,
        reason: &'static str,
    },

    /// A branch, tag or remote name git does not accept.
    #[error("git repository {}: invalid {kind} name `{name}`", path.display())]
    InvalidName {
        path: PathBuf,
        kind: &'static str,
        name: String,
    },

    /// Local and remote history both have commits the other lacks; nothing was changed.
    #[error(
        "git repository {}: branch {branch} has diverged from remote {remote} ({url}): \
         {ahead} local and {behind} remote commits the other side lacks; nothing was changed, \
         reconcile the histories by hand",
        path.display()
    )]
    Diverged {
        path: PathBuf,
        branch: String,
        remote: String,
        url: String,
        ahead: usize,
        behind: usize,
    },

    #[error("git repository {}: fetch from remote {remote} ({url}) failed: {message}", path.display())]
    Fetch {
        path: PathBuf,
        remote: String,
        url: String,
        message: String,
    },
}

fn show_head(head: &Option<String>) -> String {
    match head {
        Some(id) => short(id).to_owned(),
        None => "no commit (empty branch)".to_owned(),
    }
}

/// The first 12 characters of a commit id, for messages.
pub(crate) fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Adds the repository path and what the adapter was doing to a libgit2 error.
pub(crate) trait GitContext<T> {
    fn ctx(self, path: &Path, action: impl Display) -> Result<T, GitError>;
}

impl<T> GitContext<T> for Result<T, git2::Error> {
    fn ctx(self, path: &Path, action: impl Display) -> Result<T, GitError> {
        self.map_err(|e| GitError::Git {
            path: path.to_owned(),
            action: action.to_string(),
            message: clean_message(e.message()),
        })
    }
}

/// A libgit2 message without the dangling ": " it leaves when the OS gave no text.
pub(crate) fn clean_message(message: &str) -> String {
    message.trim_end_matches([':', ' ', '\n']).to_owned()
}
