//! The repository lock: `<repo>/n8nops.lock`, created exclusively (O_EXCL), holding the
//! pid, host and time of its holder, removed when the guard drops. It keeps two n8nops
//! processes from writing the repository at once. A second writer fails at once with
//! `GitError::Locked`; a lock left by a dead process on this host is taken over.

use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::GitError;

pub(crate) const LOCK_FILE: &str = "n8nops.lock";

/// A lock file whose content cannot be read is considered abandoned after this long (its
/// writer fills it right after creating it).
const UNREADABLE_GRACE: Duration = Duration::from_secs(30);

/// Who holds the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub host: String,
    /// RFC 3339 time the lock was taken.
    pub since: String,
}

impl LockInfo {
    /// This process, now.
    pub fn ours() -> LockInfo {
        LockInfo {
            pid: std::process::id(),
            host: host_name(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    pub fn describe(&self) -> String {
        format!("process {} on {} since {}", self.pid, self.host, self.since)
    }

    /// A process of this host that is no longer running (what a lock or a deployment
    /// it left behind may be taken over from). A process elsewhere cannot be checked.
    pub fn is_dead_here(&self) -> bool {
        self.host == host_name() && proc_available() && !process_alive(self.pid)
    }
}

/// Holds the repository lock until dropped.
#[derive(Debug)]
pub struct RepoLock {
    file: PathBuf,
}

impl RepoLock {
    /// Takes the lock of the repository at `repo`, or fails with `Locked` when a live
    /// process holds it.
    pub(crate) fn acquire(repo: &Path) -> Result<RepoLock, GitError> {
        let file = repo.join(LOCK_FILE);
        let ours = LockInfo::ours();
        // A few rounds: a stale lock is removed, then created again; another process may
        // win that race, and then it holds the lock.
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&file) {
                Ok(mut f) => {
                    let body = serde_json::to_vec(&ours).unwrap_or_default();
                    if let Err(source) = f.write_all(&body).and_then(|_| f.sync_all()) {
                        let _ = fs::remove_file(&file);
                        return Err(GitError::Io {
                            path: repo.to_owned(),
                            action: format!("writing the lock file {}", file.display()),
                            source,
                        });
                    }
                    return Ok(RepoLock { file });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let held = fs::read(&file);
                    let Ok(body) = held else {
                        continue; // removed in between: try again
                    };
                    match stale(&file, &body) {
                        Some(holder) => {
                            return Err(GitError::Locked {
                                path: repo.to_owned(),
                                holder,
                            });
                        }
                        None => {
                            tracing::warn!(
                                "taking over the stale lock {} of git repository {} ({})",
                                file.display(),
                                repo.display(),
                                String::from_utf8_lossy(&body).trim()
                            );
                            // Remove only what we judged stale, not a lock taken since.
                            if fs::read(&file).ok().as_deref() == Some(&body[..]) {
                                let _ = fs::remove_file(&file);
                            }
                        }
                    }
                }
                Err(source) => {
                    return Err(GitError::Io {
                        path: repo.to_owned(),
                        action: format!("creating the lock file {}", file.display()),
                        source,
                    });
                }
            }
        }
        Err(GitError::Locked {
            path: repo.to_owned(),
            holder: "another process (the lock changed hands while taking it)".to_owned(),
        })
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_file(&self.file)
            && e.kind() != ErrorKind::NotFound
        {
            tracing::warn!("cannot remove the lock file {}: {e}", self.file.display());
        }
    }
}

/// None when the lock in `file` (content `body`) is stale, else who holds it.
fn stale(file: &Path, body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<LockInfo>(body) {
        Ok(info) => {
            if info.is_dead_here() {
                None
            } else {
                Some(info.describe())
            }
        }
        Err(_) => {
            let age = fs::metadata(file)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok());
            match age {
                Some(age) if age > UNREADABLE_GRACE => None,
                _ => Some("an unknown process (the lock file is being written)".to_owned()),
            }
        }
    }
}

fn proc_available() -> bool {
    Path::new("/proc/self").exists()
}

fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// This machine's host name (for telling whether a lock's pid can be checked here).
pub(crate) fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Writes a lock file as process `pid` of this host would have (tests).
#[cfg(test)]
pub(crate) fn write_lock_for(repo: &Path, pid: u32) {
    let info = LockInfo {
        pid,
        host: host_name(),
        since: "2026-01-01T00:00:00Z".to_owned(),
    };
    fs::write(repo.join(LOCK_FILE), serde_json::to_vec(&info).unwrap()).unwrap();
}
