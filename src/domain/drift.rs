//! Drift: how an environment's live workflows compare with its canonical mapping.

use super::canonical::EnvMapping;
use super::diff::{NodeChangeKind, Risk, WorkflowDiff};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// A workflow's drift status in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DriftStatus {
    /// Live equals the canonical (last recorded) version.
    InSync,
    /// Live differs from the canonical version.
    Drifted,
    /// Canonical says it should be there; it is not.
    Missing,
    /// Live, unknown to the canonical state.
    Untracked,
    /// The environment could not be reached.
    Unknown,
}

/// A live workflow as the store holds it after a sync.
#[derive(Debug, Clone, Copy)]
pub struct Live<'a> {
    pub n8n_id: &'a str,
    pub name: &'a str,
    pub fingerprint: &'a str,
}

/// One workflow compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub status: DriftStatus,
    pub canonical_id: Option<String>,
    pub n8n_id: Option<String>,
    /// The live name when live, else the recorded one.
    pub name: String,
    pub expected: Option<String>,
    pub live: Option<String>,
}

/// Compares an environment's live workflows with its mapping: every mapped and every
/// live workflow once, sorted by status then name. Identity is the n8n id the mapping
/// recorded, so a renamed workflow is DRIFTED, and a deleted then re-created one is
/// MISSING plus UNTRACKED.
pub fn compare(mapping: &EnvMapping, live: &[Live<'_>]) -> Vec<Compared> {
    let by_id: std::collections::HashMap<&str, &Live<'_>> =
        live.iter().map(|l| (l.n8n_id, l)).collect();
    let mut mapped: HashSet<&str> = HashSet::with_capacity(mapping.workflows.len());
    let mut out = Vec::with_capacity(mapping.workflows.len().max(live.len()));
    for (id, m) in &mapping.workflows {
        mapped.insert(m.n8n_id.as_str());
        let (status, name, live_fp) = match by_id.get(m.n8n_id.as_str()) {
            Some(l) if l.fingerprint == m.fingerprint => {
                (DriftStatus::InSync, l.name, Some(l.fingerprint))
            }
            Some(l) => (DriftStatus::Drifted, l.name, Some(l.fingerprint)),
            None => (DriftStatus::Missing, m.name.as_str(), None),
        };
        out.push(Compared {
            status,
            canonical_id: Some(id.clone()),
            n8n_id: Some(m.n8n_id.clone()),
            name: name.to_owned(),
            expected: Some(m.fingerprint.clone()),
            live: live_fp.map(str::to_owned),
        });
    }
    for l in live.iter().filter(|l| !mapped.contains(l.n8n_id)) {
        out.push(Compared {
            status: DriftStatus::Untracked,
            canonical_id: None,
            n8n_id: Some(l.n8n_id.to_owned()),
            name: l.name.to_owned(),
            expected: None,
            live: Some(l.fingerprint.to_owned()),
        });
    }
    sort(&mut out);
    out
}

/// An environment that could not be fetched: every mapped workflow UNKNOWN.
pub fn unknown(mapping: &EnvMapping) -> Vec<Compared> {
    let mut out: Vec<Compared> = mapping
        .workflows
        .iter()
        .map(|(id, m)| Compared {
            status: DriftStatus::Unknown,
            canonical_id: Some(id.clone()),
            n8n_id: Some(m.n8n_id.clone()),
            name: m.name.clone(),
            expected: Some(m.fingerprint.clone()),
            live: None,
        })
        .collect();
    sort(&mut out);
    out
}

fn sort(items: &mut [Compared]) {
    items.sort_by(|a, b| (a.status, &a.name, &a.n8n_id).cmp(&(b.status, &b.name, &b.n8n_id)));
}

/// What a drift changed, in a few short lines, from the diff of the canonical version
/// (old side) to the live one (new side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub changes: usize,
    pub risk: Option<Risk>,
    pub renamed_from: Option<String>,
    pub lines: Vec<String>,
}

pub fn summarize(diff: &WorkflowDiff, max_lines: usize) -> Summary {
    let mut lines = Vec::new();
    let renamed_from = diff.name.as_ref().map(|n| text(&n.before));
    if let Some(n) = &diff.name {
        lines.push(format!(
            "renamed from {} to {}",
            text(&n.before),
            text(&n.after)
        ));
    }
    for node in diff.visible_nodes(false) {
        let what = match node.kind {
            NodeChangeKind::Added => format!("node '{}' added", node.name),
            NodeChangeKind::Removed => format!("node '{}' removed", node.name),
            NodeChangeKind::Renamed => format!(
                "node '{}' renamed to '{}'",
                node.old_name.as_deref().unwrap_or("?"),
                node.name
            ),
            NodeChangeKind::Modified => {
                let paths: Vec<&str> = node
                    .changes
                    .iter()
                    .filter(|c| !c.cosmetic)
                    .map(|c| c.path.as_str())
                    .collect();
                format!("node '{}' changed: {}", node.name, paths.join(", "))
            }
        };
        lines.push(what);
    }
    if !diff.connections.is_empty() {
        lines.push(format!("{} connection change(s)", diff.connections.len()));
    }
    for s in &diff.settings {
        lines.push(format!("setting {} changed", s.key));
    }
    let changes = lines.len();
    if lines.len() > max_lines {
        let more = lines.len() - max_lines + 1;
        lines.truncate(max_lines - 1);
        lines.push(format!("and {more} more"));
    }
    Summary {
        changes,
        risk: diff.risk,
        renamed_from,
        lines,
    }
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

/// The wait before an environment's next scheduled check: `interval` moved by up to
/// `jitter` of itself, `random` in [0, 1) choosing where.
pub fn next_delay(interval: Duration, jitter: f64, random: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 0.5);
    let factor = 1.0 + jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
    interval.mul_f64(factor)
}

impl DriftStatus {
    pub const ALL: [DriftStatus; 5] = [
        DriftStatus::InSync,
        DriftStatus::Drifted,
        DriftStatus::Missing,
        DriftStatus::Untracked,
        DriftStatus::Unknown,
    ];

    /// The status as text, the same as its serde form (`IN_SYNC`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DriftStatus::InSync => "IN_SYNC",
            DriftStatus::Drifted => "DRIFTED",
            DriftStatus::Missing => "MISSING",
            DriftStatus::Untracked => "UNTRACKED",
            DriftStatus::Unknown => "UNKNOWN",
        }
    }

    /// The status `as_str` gives this text for; None for any other text.
    pub fn parse(text: &str) -> Option<DriftStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::canonical::MappedWorkflow;
    use crate::domain::diff::{Side, diff};
    use serde_json::json;

    fn mapping(entries: &[(&str, &str, &str, &str)]) -> EnvMapping {
        let mut m = EnvMapping::new("prod");
        for (id, n8n, name, fp) in entries {
            m.workflows.insert(
                id.to_string(),
                MappedWorkflow {
                    n8n_id: n8n.to_string(),
                    name: name.to_string(),
                    fingerprint: fp.to_string(),
                    blob: "b".into(),
                    active: false,
                    tags: vec![],
                },
            );
        }
        m
    }

    fn live<'a>(n8n_id: &'a str, name: &'a str, fingerprint: &'a str) -> Live<'a> {
        Live {
            n8n_id,
            name,
            fingerprint,
        }
    }

    #[test]
    fn every_status_is_found_by_n8n_id() {
        let m = mapping(&[
            ("same", "1", "Same", "f1"),
            ("edited", "2", "Edited", "f2"),
            ("renamed", "3", "Old name", "f3"),
            ("gone", "4", "Gone", "f4"),
            ("recreated", "5", "Recreated", "f5"),
        ]);
        let l = [
            live("1", "Same", "f1"),
            live("2", "Edited", "f2x"),
            live("3", "New name", "f3x"),
            live("9", "Recreated", "f5"),
            live("8", "Brand new", "f8"),
        ];
        let compared = compare(&m, &l);
        let got: Vec<(DriftStatus, &str, Option<&str>)> = compared
            .iter()
            .map(|c| (c.status, c.name.as_str(), c.canonical_id.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (DriftStatus::InSync, "Same", Some("same")),
                (DriftStatus::Drifted, "Edited", Some("edited")),
                (DriftStatus::Drifted, "New name", Some("renamed")),
                (DriftStatus::Missing, "Gone", Some("gone")),
                (DriftStatus::Missing, "Recreated", Some("recreated")),
                (DriftStatus::Untracked, "Brand new", None),
                (DriftStatus::Untracked, "Recreated", None),
            ]
        );
        let unknown = unknown(&m);
        assert_eq!(unknown.len(), 5);
        assert!(
            unknown
                .iter()
                .all(|c| c.status == DriftStatus::Unknown && c.live.is_none())
        );
    }

    #[test]
    fn an_empty_mapping_makes_everything_untracked_and_nothing_live_is_in_sync() {
        let got = compare(&EnvMapping::new("dev"), &[live("1", "A", "f")]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, DriftStatus::Untracked);
        assert!(compare(&mapping(&[]), &[]).is_empty());
    }

    #[test]
    fn summaries_say_what_changed_in_few_lines() {
        let old = Side::from_raw(&json!({"name": "Orders", "nodes": [
            {"name": "HTTP", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4,
             "parameters": {"url": "https://a.example"}}], "connections": {}, "settings": {}}));
        let new = Side::from_raw(&json!({"name": "Orders v2", "nodes": [
            {"name": "HTTP", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4,
             "parameters": {"url": "https://b.example"}},
            {"name": "Set", "type": "n8n-nodes-base.set", "typeVersion": 3, "parameters": {}}],
            "connections": {}, "settings": {}}));
        let s = summarize(&diff(&old, &new), 10);
        assert_eq!(s.renamed_from.as_deref(), Some("Orders"));
        assert_eq!(
            s.lines,
            vec![
                "renamed from Orders to Orders v2".to_owned(),
                "node 'HTTP' changed: parameters.url".to_owned(),
                "node 'Set' added".to_owned(),
            ]
        );
        assert_eq!(s.changes, 3);
        let short = summarize(&diff(&old, &new), 2);
        assert_eq!(
            short.lines,
            vec!["renamed from Orders to Orders v2", "and 2 more"]
        );
        assert_eq!(short.changes, 3);
    }

    #[test]
    fn scheduled_delays_stay_within_the_jitter() {
        let hour = Duration::from_secs(3600);
        assert_eq!(next_delay(hour, 0.1, 0.5), hour);
        assert_eq!(next_delay(hour, 0.1, 0.0), Duration::from_secs(3240));
        assert_eq!(next_delay(hour, 0.1, 1.0), Duration::from_secs(3960));
        assert_eq!(next_delay(hour, 9.0, 1.0), Duration::from_secs(5400));
    }
}
