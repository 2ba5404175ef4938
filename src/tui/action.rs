//! Everything a key can mean. The keymap binds keys to actions; panes say which actions
//! work where they are, so the footer and `?` help are generated, never written by hand.

use serde::{Deserialize, Serialize};

/// One thing a person can do with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // ---- the shell ----
    Quit,
    Help,
    /// Open the `:` command line.
    Command,
    /// Open the `/` filter line (`!` inverts).
    Filter,
    Back,
    NextPane,
    PrevPane,
    Pane1,
    Pane2,
    Pane3,
    Pane4,
    Pane5,
    Pane6,
    Pane7,
    Pane8,
    Pane9,
    // ---- moving ----
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Left,
    Right,
    /// Drill in: open the selected row.
    Enter,
    /// Mark the selected row for a bulk action.
    Mark,
    MarkAll,
    Refresh,
    // ---- environments ----
    Add,
    Edit,
    Test,
    Sync,
    Delete,
    /// Compare the environment's live workflows with the canonical state.
    DriftCheck,
    /// Drift check of every environment.
    DriftCheckAll,
    /// Snapshot the environment's complete state (a backup).
    Backup,
    /// Open the environment's snapshots.
    Snapshots,
    // ---- workflows ----
    Activate,
    Deactivate,
    HardDelete,
    Upload,
    Download,
    Tag,
    /// Draw the selected workflow's node graph.
    Graph,
    /// Open the diff of the selected workflow (or the two marked cells).
    Diff,
    // ---- matrix ----
    ToggleDiffers,
    ToggleMissing,
    /// Only rows of workflows the canonical state does not know.
    ToggleUntracked,
    /// Make the selected untracked workflow(s) canonical.
    Onboard,
    /// Onboard every untracked workflow of the environment.
    OnboardAll,
    // ---- snapshots ----
    /// Take a snapshot, with a message.
    SnapshotCreate,
    /// Compare two snapshots (the marked one with the selected one).
    Compare,
    /// Restore an environment from the selected snapshot, after a preview.
    Restore,
    // ---- promotions ----
    /// Open the promotion wizard with the marked (or selected) workflows.
    Promote,
    /// Approve the selected deployment's current plan.
    Approve,
    /// Reject the selected deployment.
    Reject,
    /// Cancel a deployment that has not started.
    CancelDeployment,
    /// Roll a completed deployment back to its snapshot.
    Rollback,
    /// Recompute a pending deployment's plan (when it went stale).
    Replan,
    // ---- incidents ----
    /// Acknowledge the selected incident (someone is on it).
    Acknowledge,
    /// Resolve the selected incident, with a note saying how.
    Resolve,
    /// Add a note (multi-line) to the selected incident's timeline.
    Note,
    /// Assign the selected incident to someone (empty unassigns).
    Assign,
    /// Open the incident's side-by-side diff: canonical against live.
    IncidentDiff,
    /// Put the incident's workflow back as the canonical state has it (a restore).
    Revert,
    /// Take the live change of the incident's workflow into the canonical state.
    Accept,
    /// MTTA and MTTR per environment and severity.
    Metrics,
    /// The incident policy (TOML), editable by admins.
    Policy,
    /// The metrics' period: 7, 30 or 90 days.
    Period,
    // ---- executions ----
    Pause,
    Retry,
    // ---- diff ----
    NextHunk,
    PrevHunk,
    /// Next changed node (in the summary and the text).
    NextNode,
    PrevNode,
    /// Side by side or unified.
    ToggleUnified,
    /// Show or hide cosmetic changes (positions, notes, sticky notes).
    ToggleCosmetic,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::Command,
        Action::Filter,
        Action::Back,
        Action::NextPane,
        Action::PrevPane,
        Action::Pane1,
        Action::Pane2,
        Action::Pane3,
        Action::Pane4,
        Action::Pane5,
        Action::Pane6,
        Action::Pane7,
        Action::Pane8,
        Action::Pane9,
        Action::Down,
        Action::Up,
        Action::Top,
        Action::Bottom,
        Action::PageDown,
        Action::PageUp,
        Action::Left,
        Action::Right,
        Action::Enter,
        Action::Mark,
        Action::MarkAll,
        Action::Refresh,
        Action::Add,
        Action::Edit,
        Action::Test,
        Action::Sync,
        Action::Delete,
        Action::DriftCheck,
        Action::DriftCheckAll,
        Action::Backup,
        Action::Snapshots,
        Action::Activate,
        Action::Deactivate,
        Action::HardDelete,
        Action::Upload,
        Action::Download,
        Action::Tag,
        Action::Graph,
        Action::Diff,
        Action::ToggleDiffers,
        Action::ToggleMissing,
        Action::ToggleUntracked,
        Action::Onboard,
        Action::OnboardAll,
        Action::SnapshotCreate,
        Action::Compare,
        Action::Restore,
        Action::Promote,
        Action::Approve,
        Action::Reject,
        Action::CancelDeployment,
        Action::Rollback,
        Action::Replan,
        Action::Acknowledge,
        Action::Resolve,
        Action::Note,
        Action::Assign,
        Action::IncidentDiff,
        Action::Revert,
        Action::Accept,
        Action::Metrics,
        Action::Policy,
        Action::Period,
        Action::Pause,
        Action::Retry,
        Action::NextHunk,
        Action::PrevHunk,
        Action::NextNode,
        Action::PrevNode,
        Action::ToggleUnified,
        Action::ToggleCosmetic,
    ];

    /// The name used in the config's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Command => "command",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Pane1 => "pane_1",
            Action::Pane2 => "pane_2",
            Action::Pane3 => "pane_3",
            Action::Pane4 => "pane_4",
            Action::Pane5 => "pane_5",
            Action::Pane6 => "pane_6",
            Action::Pane7 => "pane_7",
            Action::Pane8 => "pane_8",
            Action::Pane9 => "pane_9",
            Action::Down => "down",
            Action::Up => "up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Left => "left",
            Action::Right => "right",
            Action::Enter => "enter",
            Action::Mark => "mark",
            Action::MarkAll => "mark_all",
            Action::Refresh => "refresh",
            Action::Add => "add",
            Action::Edit => "edit",
            Action::Test => "test",
            Action::Sync => "sync",
            Action::Delete => "delete",
            Action::DriftCheck => "drift_check",
            Action::DriftCheckAll => "drift_check_all",
            Action::Backup => "backup",
            Action::Snapshots => "snapshots",
            Action::Activate => "activate",
            Action::Deactivate => "deactivate",
            Action::HardDelete => "hard_delete",
            Action::Upload => "upload",
            Action::Download => "download",
            Action::Tag => "tag",
            Action::Graph => "graph",
            Action::Diff => "diff",
            Action::ToggleDiffers => "toggle_differs",
            Action::ToggleMissing => "toggle_missing",
            Action::ToggleUntracked => "toggle_untracked",
            Action::Onboard => "onboard",
            Action::OnboardAll => "onboard_all",
            Action::SnapshotCreate => "snapshot_create",
            Action::Compare => "compare",
            Action::Restore => "restore",
            Action::Promote => "promote",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::CancelDeployment => "cancel_deployment",
            Action::Rollback => "rollback",
            Action::Replan => "replan",
            Action::Acknowledge => "acknowledge",
            Action::Resolve => "resolve",
            Action::Note => "note",
            Action::Assign => "assign",
            Action::IncidentDiff => "incident_diff",
            Action::Revert => "revert",
            Action::Accept => "accept",
            Action::Metrics => "metrics",
            Action::Policy => "policy",
            Action::Period => "period",
            Action::Pause => "pause",
            Action::Retry => "retry",
            Action::NextHunk => "next_hunk",
            Action::PrevHunk => "prev_hunk",
            Action::NextNode => "next_node",
            Action::PrevNode => "prev_node",
            Action::ToggleUnified => "toggle_unified",
            Action::ToggleCosmetic => "toggle_cosmetic",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The short word the footer shows.
    pub fn label(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Command => "command",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::NextPane => "next pane",
            Action::PrevPane => "prev pane",
            Action::Pane1 => "pane 1",
            Action::Pane2 => "pane 2",
            Action::Pane3 => "pane 3",
            Action::Pane4 => "pane 4",
            Action::Pane5 => "pane 5",
            Action::Pane6 => "pane 6",
            Action::Pane7 => "pane 7",
            Action::Pane8 => "pane 8",
            Action::Pane9 => "pane 9",
            Action::Down => "down",
            Action::Up => "up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Left => "left",
            Action::Right => "right",
            Action::Enter => "open",
            Action::Mark => "mark",
            Action::MarkAll => "mark all",
            Action::Refresh => "refresh",
            Action::Add => "add",
            Action::Edit => "edit",
            Action::Test => "test",
            Action::Sync => "sync",
            Action::Delete => "delete",
            Action::DriftCheck => "check drift",
            Action::DriftCheckAll => "check drift everywhere",
            Action::Backup => "backup",
            Action::Snapshots => "snapshots",
            Action::Activate => "activate",
            Action::Deactivate => "deactivate",
            Action::HardDelete => "delete for good",
            Action::Upload => "upload",
            Action::Download => "download",
            Action::Tag => "tag",
            Action::Graph => "graph",
            Action::Diff => "diff",
            Action::ToggleDiffers => "differs only",
            Action::ToggleMissing => "missing only",
            Action::ToggleUntracked => "untracked only",
            Action::Onboard => "onboard",
            Action::OnboardAll => "onboard all",
            Action::SnapshotCreate => "new snapshot",
            Action::Compare => "compare marked",
            Action::Restore => "restore",
            Action::Promote => "promote",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::CancelDeployment => "cancel",
            Action::Rollback => "roll back",
            Action::Replan => "replan",
            Action::Acknowledge => "ack",
            Action::Resolve => "resolve",
            Action::Note => "note",
            Action::Assign => "assign",
            Action::IncidentDiff => "diff",
            Action::Revert => "revert",
            Action::Accept => "accept live",
            Action::Metrics => "metrics",
            Action::Policy => "policy",
            Action::Period => "period",
            Action::Pause => "pause/follow",
            Action::Retry => "retry",
            Action::NextHunk => "next hunk",
            Action::PrevHunk => "prev hunk",
            Action::NextNode => "next node",
            Action::PrevNode => "prev node",
            Action::ToggleUnified => "unified/side by side",
            Action::ToggleCosmetic => "cosmetic",
        }
    }

    /// Changes an instance or the store: hidden from hints and refused in `--readonly`.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::Add
                | Action::Edit
                | Action::Sync
                | Action::Delete
                | Action::Activate
                | Action::Deactivate
                | Action::HardDelete
                | Action::Upload
                | Action::Tag
                | Action::Retry
                | Action::DriftCheck
                | Action::DriftCheckAll
                | Action::Backup
                | Action::Onboard
                | Action::OnboardAll
                | Action::SnapshotCreate
                | Action::Restore
                | Action::Approve
                | Action::Reject
                | Action::CancelDeployment
                | Action::Rollback
                | Action::Replan
                | Action::Acknowledge
                | Action::Resolve
                | Action::Note
                | Action::Assign
                | Action::Revert
                | Action::Accept
        )
    }

    /// The pane index a `PaneN` action jumps to (0-based).
    pub fn pane_index(self) -> Option<usize> {
        let n = match self {
            Action::Pane1 => 0,
            Action::Pane2 => 1,
            Action::Pane3 => 2,
            Action::Pane4 => 3,
            Action::Pane5 => 4,
            Action::Pane6 => 5,
            Action::Pane7 => 6,
            Action::Pane8 => 7,
            Action::Pane9 => 8,
            _ => return None,
        };
        Some(n)
    }

    /// Default keys, written as in the config (`"ctrl-d"`, `"G"`, `"enter"`).
    pub fn default_keys(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q", "ctrl-c"],
            Action::Help => &["?"],
            Action::Command => &[":"],
            Action::Filter => &["/"],
            Action::Back => &["esc"],
            Action::NextPane => &["tab"],
            Action::PrevPane => &["backtab"],
            Action::Pane1 => &["1"],
            Action::Pane2 => &["2"],
            Action::Pane3 => &["3"],
            Action::Pane4 => &["4"],
            Action::Pane5 => &["5"],
            Action::Pane6 => &["6"],
            Action::Pane7 => &["7"],
            Action::Pane8 => &["8"],
            Action::Pane9 => &["9"],
            Action::Down => &["j", "down"],
            Action::Up => &["k", "up"],
            Action::Top => &["g", "home"],
            Action::Bottom => &["G", "end"],
            Action::PageDown => &["ctrl-d", "pagedown"],
            Action::PageUp => &["ctrl-u", "pageup"],
            Action::Left => &["h", "left"],
            Action::Right => &["l", "right"],
            Action::Enter => &["enter"],
            Action::Mark => &["space"],
            Action::MarkAll => &["ctrl-a"],
            Action::Refresh => &["ctrl-r"],
            Action::Add => &["a"],
            Action::Edit => &["e"],
            Action::Test => &["t"],
            Action::Sync => &["s"],
            Action::Delete => &["d"],
            Action::DriftCheck => &["c"],
            Action::DriftCheckAll => &["C"],
            Action::Backup => &["b"],
            Action::Snapshots => &["S"],
            Action::Activate => &["A"],
            Action::Deactivate => &["X"],
            Action::HardDelete => &["D"],
            Action::Upload => &["u"],
            Action::Download => &["w"],
            Action::Tag => &["T"],
            Action::Graph => &["v"],
            Action::Diff => &["="],
            Action::ToggleDiffers => &["f"],
            Action::ToggleMissing => &["m"],
            Action::ToggleUntracked => &["u"],
            Action::Onboard => &["o"],
            Action::OnboardAll => &["O"],
            Action::SnapshotCreate => &["c"],
            Action::Compare => &["d", "="],
            Action::Restore => &["r"],
            Action::Promote => &["p"],
            Action::Approve => &["A"],
            Action::Reject => &["X"],
            Action::CancelDeployment => &["x"],
            Action::Rollback => &["r"],
            Action::Replan => &["P"],
            Action::Acknowledge => &["a"],
            Action::Resolve => &["r"],
            Action::Note => &["n"],
            Action::Assign => &["o"],
            Action::IncidentDiff => &["d"],
            Action::Revert => &["R"],
            Action::Accept => &["A"],
            Action::Metrics => &["m"],
            Action::Policy => &["P"],
            Action::Period => &["t"],
            Action::Pause => &["p"],
            Action::Retry => &["R"],
            Action::NextHunk => &["n"],
            Action::PrevHunk => &["N"],
            Action::NextNode => &["]"],
            Action::PrevNode => &["["],
            Action::ToggleUnified => &["u"],
            Action::ToggleCosmetic => &["c"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names = std::collections::HashSet::new();
        for &action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert!(names.insert(action.name()), "{} twice", action.name());
            assert!(
                !action.default_keys().is_empty(),
                "{} has no key",
                action.name()
            );
        }
    }

    /// README's key table stays true: every action is there with its default keys.
    #[test]
    fn the_readme_lists_every_action_with_its_default_keys() {
        let readme = include_str!("../../README.md");
        for &action in Action::ALL {
            let name = format!("`{}`", action.name());
            let row = readme
                .lines()
                .find(|l| l.starts_with('|') && l.contains(&name))
                .unwrap_or_else(|| panic!("README's key table has no row for {name}"));
            for key in action.default_keys() {
                assert!(
                    row.contains(&format!("`{key}`")),
                    "README's row for {name} does not show its key `{key}`: {row}"
                );
            }
        }
    }
}
