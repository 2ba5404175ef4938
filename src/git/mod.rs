//! The Git adapter: the canonical state's bare repository, its commits, tags and remotes
//! (git2). It knows files, commits, tags and remotes, nothing about workflows: the service
//! decides what to write. Every call blocks; the service runs them in `spawn_blocking`.

mod error;
mod lock;
mod push_status;
mod remote;
mod store;
mod sync;
mod tree_edit;
mod types;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_faults;
#[cfg(test)]
mod tests_remote;

pub use error::GitError;
pub use lock::{LockInfo, RepoLock};
pub use remote::{configure_libgit2, display_url};
pub use store::GitStore;
pub use sync::RemoteState;
pub use types::{
    Change, CommitInfo, GitAuth, GitOptions, PullOutcome, PushOutcome, RemoteSpec, TagInfo,
};
