//! Canonical-state commit messages: what changed and why, with metadata as trailers
//! (`N8nops-Environment: prod`) that `git log` shows and `parse` reads back.

use serde::{Deserialize, Serialize};

/// Why a commit was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitKind {
    /// An environment's state recorded as canonical (`reconcile --record`).
    Sync,
    /// A manual or automatic snapshot.
    Snapshot,
    /// `n8nops backup`.
    Backup,
    Promotion,
    Restore,
    Onboarding,
}

impl CommitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitKind::Sync => "sync",
            CommitKind::Snapshot => "snapshot",
            CommitKind::Backup => "backup",
            CommitKind::Promotion => "promotion",
            CommitKind::Restore => "restore",
            CommitKind::Onboarding => "onboarding",
        }
    }

    pub fn parse(text: &str) -> Option<CommitKind> {
        [
            CommitKind::Sync,
            CommitKind::Snapshot,
            CommitKind::Backup,
            CommitKind::Promotion,
            CommitKind::Restore,
            CommitKind::Onboarding,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for CommitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every trailer key starts with this.
pub const TRAILER_PREFIX: &str = "N8nops-";
/// Snapshot tags are `snapshots/<snapshot id>`.
pub const TAG_PREFIX: &str = "snapshots/";

/// Trailer keys (without the prefix).
pub mod key {
    pub const KIND: &str = "Kind";
    pub const ENVIRONMENT: &str = "Environment";
    pub const WORKFLOWS: &str = "Workflows";
    pub const ADDED: &str = "Added";
    pub const CHANGED: &str = "Changed";
    pub const REMOVED: &str = "Removed";
    pub const JOB: &str = "Job";
    pub const ACTOR: &str = "Actor";
    /// The snapshot this commit is.
    pub const SNAPSHOT: &str = "Snapshot";
    /// A restore's automatic snapshot taken before it.
    pub const REPLACES: &str = "Replaces";
    /// The snapshot a restore restored from.
    pub const SOURCE: &str = "Source";
}

/// A commit message: `<kind>: <env>, <what>`, the why, then `N8nops-*` trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMessage {
    pub subject: String,
    pub why: String,
    /// Keys without the prefix, in order.
    pub trailers: Vec<(String, String)>,
}

impl CommitMessage {
    /// A message of `kind` about `env`; `what` ends the subject line.
    pub fn new(kind: CommitKind, env: &str, what: &str, why: &str) -> CommitMessage {
        CommitMessage {
            subject: one_line(&format!("{kind}: {env}, {what}")),
            why: why.trim().to_owned(),
            trailers: vec![
                (key::KIND.into(), kind.as_str().into()),
                (key::ENVIRONMENT.into(), env.into()),
            ],
        }
    }

    pub fn trailer(mut self, key: &str, value: impl std::fmt::Display) -> CommitMessage {
        self.trailers
            .push((key.into(), one_line(&value.to_string())));
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.trailers
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn kind(&self) -> Option<CommitKind> {
        self.get(key::KIND).and_then(CommitKind::parse)
    }

    pub fn count(&self, key: &str) -> usize {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub fn render(&self) -> String {
        let mut text = self.subject.clone();
        text.push_str("\n\n");
        if !self.why.is_empty() {
            text.push_str(&self.why);
            text.push_str("\n\n");
        }
        for (k, v) in &self.trailers {
            text.push_str(&format!("{TRAILER_PREFIX}{k}: {v}\n"));
        }
        text
    }

    /// Reads any commit message: the trailers are the last paragraph's `N8nops-` lines;
    /// a message without them has none.
    pub fn parse(text: &str) -> CommitMessage {
        let text = text.trim_end();
        let (subject, rest) = text.split_once('\n').unwrap_or((text, ""));
        let paragraphs: Vec<&str> = rest.trim().split("\n\n").collect();
        let parse_trailers = |p: &str| -> Option<Vec<(String, String)>> {
            p.lines()
                .map(|l| {
                    let (k, v) = l.strip_prefix(TRAILER_PREFIX)?.split_once(": ")?;
                    Some((k.to_owned(), v.to_owned()))
                })
                .collect()
        };
        let (why, trailers) = match paragraphs.split_last() {
            Some((last, before)) => match parse_trailers(last) {
                Some(t) if !last.is_empty() => (before.join("\n\n"), t),
                _ => (paragraphs.join("\n\n"), Vec::new()),
            },
            None => (String::new(), Vec::new()),
        };
        CommitMessage {
            subject: subject.trim().to_owned(),
            why: why.trim().to_owned(),
            trailers,
        }
    }
}

/// A snapshot's id: `<env>/<YYYYMMDD-HHMMSS>` in UTC.
pub fn snapshot_id(env: &str, at_ms: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
    format!("{env}/{}", at.format("%Y%m%d-%H%M%S"))
}

/// The environment a snapshot id names.
pub fn snapshot_env(id: &str) -> Option<&str> {
    id.strip_prefix(TAG_PREFIX)
        .unwrap_or(id)
        .split_once('/')
        .map(|(env, _)| env)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_render_and_parse_back() {
        let m = CommitMessage::new(
            CommitKind::Snapshot,
            "prod",
            "2,053 workflows",
            "Before the\nrelease.",
        )
        .trailer(key::WORKFLOWS, 2053)
        .trailer(key::JOB, "job-1")
        .trailer(key::SNAPSHOT, "prod/20261122-101500");
        let text = m.render();
        assert!(text.starts_with("snapshot: prod, 2,053 workflows\n\nBefore the\nrelease.\n\n"));
        assert!(text.contains("\nN8nops-Kind: snapshot\nN8nops-Environment: prod\n"));
        let back = CommitMessage::parse(&text);
        assert_eq!(back, m);
        assert_eq!(back.kind(), Some(CommitKind::Snapshot));
        assert_eq!(back.count(key::WORKFLOWS), 2053);
        assert_eq!(back.get(key::ENVIRONMENT), Some("prod"));
    }

    #[test]
    fn values_stay_on_one_line_and_foreign_messages_parse() {
        let m = CommitMessage::new(CommitKind::Restore, "dev", "x", "")
            .trailer(key::ACTOR, "a\nN8nops-Kind: backup");
        let back = CommitMessage::parse(&m.render());
        assert_eq!(back.kind(), Some(CommitKind::Restore));
        assert_eq!(back.why, "");
        let foreign = CommitMessage::parse("Edit a workflow by hand\n\nBecause.\n");
        assert_eq!(foreign.subject, "Edit a workflow by hand");
        assert_eq!(foreign.why, "Because.");
        assert!(foreign.trailers.is_empty() && foreign.kind().is_none());
        assert_eq!(CommitMessage::parse("").subject, "");
    }

    #[test]
    fn snapshot_ids_name_env_and_utc_time() {
        let id = snapshot_id("prod", 1_795_000_000_000);
        assert_eq!(id, "prod/20261118-110640");
        assert_eq!(snapshot_env(&id), Some("prod"));
        assert_eq!(snapshot_env("snapshots/prod/20261118-110640"), Some("prod"));
        assert_eq!(snapshot_env("abc123"), None);
    }
}
