//! The last push error per remote, kept in `<repo>/n8nops-push.json` so that a failed push
//! is still reported after a restart, until the next successful push clears it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::GitError;

pub(crate) const PUSH_STATUS_FILE: &str = "n8nops-push.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PushStatus {
    /// remote name -> its last failure.
    #[serde(default)]
    pub remotes: BTreeMap<String, PushFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PushFailure {
    pub error: String,
    /// RFC 3339 time of the failed push.
    pub at: String,
}

impl PushStatus {
    /// Reads the file; absent or unreadable means no failure recorded (the latter warned).
    pub(crate) fn load(repo: &Path) -> PushStatus {
        let file = repo.join(PUSH_STATUS_FILE);
        match fs::read(&file) {
            Ok(body) => serde_json::from_slice(&body).unwrap_or_else(|e| {
                tracing::warn!("ignoring unreadable push status {}: {e}", file.display());
                PushStatus::default()
            }),
            Err(_) => PushStatus::default(),
        }
    }

    pub(crate) fn record(&mut self, remote: &str, error: &str) {
        self.remotes.insert(
            remote.to_owned(),
            PushFailure {
                error: error.to_owned(),
                at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
        );
    }

    pub(crate) fn clear(&mut self, remote: &str) {
        self.remotes.remove(remote);
    }

    pub(crate) fn error(&self, remote: &str) -> Option<String> {
        self.remotes.get(remote).map(|f| f.error.clone())
    }

    /// Writes the file (through a temporary file and a rename), or removes it when empty.
    pub(crate) fn save(&self, repo: &Path) -> Result<(), GitError> {
        let file = repo.join(PUSH_STATUS_FILE);
        let io = |action: &str, source| GitError::Io {
            path: repo.to_owned(),
            action: format!("{action} {}", file.display()),
            source,
        };
        if self.remotes.is_empty() {
            return match fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("removing", e)),
                _ => Ok(()),
            };
        }
        let body = serde_json::to_vec_pretty(self).unwrap_or_default();
        let tmp = repo.join(format!("{PUSH_STATUS_FILE}.tmp"));
        fs::write(&tmp, body).map_err(|e| io("writing", e))?;
        fs::rename(&tmp, &file).map_err(|e| io("writing", e))
    }
}
