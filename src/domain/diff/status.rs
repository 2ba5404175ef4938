//! The diff status of a workflow between a source (the new side, what would be
//! promoted) and a target (the old side, what it would overwrite).

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiffStatus {
    /// Only in the source.
    Added,
    /// Only in the target.
    Deleted,
    Unchanged,
    /// The source moved on since the target last matched it.
    Modified,
    /// The target changed since it last matched the source: promoting would overwrite
    /// someone's fix there.
    TargetHotfix,
}

impl DiffStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffStatus::Added => "ADDED",
            DiffStatus::Deleted => "DELETED",
            DiffStatus::Unchanged => "UNCHANGED",
            DiffStatus::Modified => "MODIFIED",
            DiffStatus::TargetHotfix => "TARGET_HOTFIX",
        }
    }

    /// The status named by [`DiffStatus::as_str`]'s text.
    pub fn parse(text: &str) -> Option<DiffStatus> {
        [
            DiffStatus::Added,
            DiffStatus::Deleted,
            DiffStatus::Unchanged,
            DiffStatus::Modified,
            DiffStatus::TargetHotfix,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether the two sides differ (anything but UNCHANGED).
    pub fn differs(self) -> bool {
        self != DiffStatus::Unchanged
    }
}

impl fmt::Display for DiffStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status from each side's fingerprint (None where the workflow is absent) and the
/// last fingerprint both sides were known to share. Absent on both sides is UNCHANGED.
pub fn status(source: Option<&str>, target: Option<&str>, last_common: Option<&str>) -> DiffStatus {
    match (source, target) {
        (None, None) => DiffStatus::Unchanged,
        (Some(_), None) => DiffStatus::Added,
        (None, Some(_)) => DiffStatus::Deleted,
        (Some(s), Some(t)) if s == t => DiffStatus::Unchanged,
        (Some(_), Some(t)) => match last_common {
            Some(common) if common != t => DiffStatus::TargetHotfix,
            _ => DiffStatus::Modified,
        },
    }
}

/// The last fingerprint both sides held: the newest of the target's fingerprints (its
/// history, oldest first) that the source also held at some time. Ordering by the
/// target's history means a source that reverted to an old version still reads as
/// MODIFIED, not as a hotfix on the target.
pub fn last_common_fingerprint<'a>(
    source_history: &[&str],
    target_history: &[&'a str],
) -> Option<&'a str> {
    let source: HashSet<&str> = source_history.iter().copied().collect();
    target_history
        .iter()
        .rev()
        .copied()
        .find(|f| source.contains(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(status(Some("a"), None, None), DiffStatus::Added);
        assert_eq!(status(None, Some("a"), None), DiffStatus::Deleted);
        assert_eq!(
            status(Some("a"), Some("a"), Some("x")),
            DiffStatus::Unchanged
        );
        assert_eq!(
            status(Some("b"), Some("a"), Some("a")),
            DiffStatus::Modified
        );
        assert_eq!(status(Some("b"), Some("a"), None), DiffStatus::Modified);
        assert_eq!(
            status(Some("b"), Some("h"), Some("a")),
            DiffStatus::TargetHotfix
        );
        assert_eq!(DiffStatus::TargetHotfix.to_string(), "TARGET_HOTFIX");
    }

    #[test]
    fn last_common_follows_the_targets_history() {
        // Promoted F then G; the target was then fixed by hand (H).
        let common = last_common_fingerprint(&["F", "G"], &["F", "G", "H"]);
        assert_eq!(common, Some("G"));
        assert_eq!(
            status(Some("G"), Some("H"), common),
            DiffStatus::TargetHotfix
        );
        // The source reverted to F: promoting F over G overwrites no fix.
        let common = last_common_fingerprint(&["F", "G", "F"], &["F", "G"]);
        assert_eq!(common, Some("G"));
        assert_eq!(status(Some("F"), Some("G"), common), DiffStatus::Modified);
        // Never the same.
        assert_eq!(last_common_fingerprint(&["A"], &["B"]), None);
    }
}
