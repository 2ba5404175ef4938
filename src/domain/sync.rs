//! What a sync fetches, and how it classifies each workflow against the last sync.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// One kind of data a sync can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncKind {
    Workflows,
    Credentials,
    Tags,
    Users,
    Executions,
}

impl SyncKind {
    pub const ALL: [SyncKind; 5] = [
        SyncKind::Workflows,
        SyncKind::Credentials,
        SyncKind::Tags,
        SyncKind::Users,
        SyncKind::Executions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Workflows => "workflows",
            SyncKind::Credentials => "credentials",
            SyncKind::Tags => "tags",
            SyncKind::Users => "users",
            SyncKind::Executions => "executions",
        }
    }
}

impl fmt::Display for SyncKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SyncKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SyncKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown sync kind '{s}': expected workflows, credentials, tags, users or executions")
            })
    }
}

/// Parses `workflows,credentials` into a sorted, deduplicated list.
pub fn parse_kinds(list: &str) -> Result<Vec<SyncKind>, String> {
    let mut kinds = list
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<SyncKind>, _>>()?;
    if kinds.is_empty() {
        return Err(
            "no sync kind given: expected workflows, credentials, tags, users or executions".into(),
        );
    }
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

/// How a workflow changed since the previous sync of its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Changed,
    Unchanged,
    Removed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
            Change::Removed => "removed",
        }
    }
}

/// Counts of a sync's workflow changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

/// Classifies the new set (n8n id -> fingerprint) against the previous one: each new
/// id is added, changed or unchanged; each previous id that is gone is removed.
pub fn classify_changes<'a>(
    previous: &HashMap<String, String>,
    current: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<(String, Change)>, ChangeCounts) {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut counts = ChangeCounts::default();
    for (id, fingerprint) in current {
        seen.insert(id);
        let change = match previous.get(id) {
            None => Change::Added,
            Some(old) if old == fingerprint => Change::Unchanged,
            Some(_) => Change::Changed,
        };
        match change {
            Change::Added => counts.added += 1,
            Change::Changed => counts.changed += 1,
            _ => {}
        }
        out.push((id.to_owned(), change));
    }
    let mut removed: Vec<&String> = previous
        .keys()
        .filter(|id| !seen.contains(id.as_str()))
        .collect();
    removed.sort();
    for id in removed {
        counts.removed += 1;
        out.push((id.clone(), Change::Removed));
    }
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        assert_eq!(
            parse_kinds("tags, workflows,tags").unwrap(),
            vec![SyncKind::Workflows, SyncKind::Tags]
        );
        assert!(
            parse_kinds("workflows,secrets")
                .unwrap_err()
                .contains("'secrets'")
        );
        assert!(parse_kinds("").is_err());
    }

    #[test]
    fn changes_are_classified() {
        let previous: HashMap<String, String> = [("1", "a"), ("2", "b"), ("3", "c")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (changes, counts) = classify_changes(&previous, [("1", "a"), ("2", "B"), ("4", "d")]);
        assert_eq!(
            counts,
            ChangeCounts {
                added: 1,
                changed: 1,
                removed: 1
            }
        );
        assert!(changes.contains(&("3".into(), Change::Removed)));
        assert!(changes.contains(&("1".into(), Change::Unchanged)));
        assert!(changes.contains(&("4".into(), Change::Added)));
    }
}
