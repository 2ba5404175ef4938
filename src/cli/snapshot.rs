//! `n8nops snapshot create|list|show|diff`: an environment's complete state as a
//! commit and a tag in the canonical repository.

use super::context::Context;
use super::follow::follow;
use super::output::{self, table};
use crate::domain::diff::{DiffStatus, WorkflowDiff};
use crate::service::{
    Ops, SnapshotCreate, SnapshotDetail, SnapshotDiff, SnapshotView, SnapshotWorkflow,
};
use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Fetch an environment and commit its complete state as a snapshot
    Create {
        /// Environment
        env: String,
        /// Why (kept in the commit message)
        #[arg(short, long, value_name = "MSG")]
        message: Option<String>,
    },
    /// Snapshots, newest first
    #[command(alias = "ls")]
    List {
        /// Only this environment's
        env: Option<String>,
    },
    /// One snapshot: who, when, why, counts, commit, and its workflows
    Show {
        /// A snapshot id (`ENV/YYYYMMDD-HHMMSS`), tag or commit
        id: String,
    },
    /// Compare two snapshots, A the older side
    Diff {
        a: String,
        b: String,
        /// List unchanged workflows too
        #[arg(long)]
        all: bool,
    },
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: SnapshotCommand) -> Result<()> {
    match cmd {
        SnapshotCommand::Create { env, message } => {
            let events = ops.subscribe();
            let started = ops.snapshot_create(SnapshotCreate { env, message }).await?;
            let snapshot: SnapshotView = follow(ctx, ops, events, &started)
                .await?
                .into_result("the snapshot")?;
            if ctx.json {
                return output::json(&snapshot);
            }
            println!("{}", created_line(&snapshot));
            Ok(())
        }
        SnapshotCommand::List { env } => {
            let list = ops.snapshot_list(env).await?;
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                println!("No snapshots yet. Take one with: n8nops snapshot create ENV -m MSG");
                return Ok(());
            }
            table(
                &[
                    "ID",
                    "KIND",
                    "WHEN (UTC)",
                    "BY",
                    "WORKFLOWS",
                    "CHANGES",
                    "MESSAGE",
                ],
                &list_rows(&list),
            );
            Ok(())
        }
        SnapshotCommand::Show { id } => {
            let detail = ops.snapshot_show(id).await?;
            if ctx.json {
                return output::json(&detail);
            }
            print!("{}", metadata(&detail.snapshot));
            print_workflows(&detail);
            Ok(())
        }
        SnapshotCommand::Diff { a, b, all } => {
            let diff = ops.snapshot_diff(a, b).await?;
            if ctx.json {
                return output::json(&diff);
            }
            print!("{}", render_diff(&diff, all));
            Ok(())
        }
    }
}

/// `Snapshot prod/20260301-101500 (commit 1a2b3c4d5e6f): 42 workflows, +1 ~2 -0`
pub fn created_line(s: &SnapshotView) -> String {
    format!(
        "Snapshot {} (commit {}): {}, {}",
        s.id,
        short_commit(&s.commit),
        plural(s.workflows, "workflow"),
        changes(s)
    )
}

/// `+1 ~2 -0`: added, changed and removed against the environment's previous recording.
pub fn changes(s: &SnapshotView) -> String {
    format!("+{} ~{} -{}", s.added, s.changed, s.removed)
}

fn list_rows(list: &[SnapshotView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.kind.as_str().into(),
                output::time(Some(s.at)),
                s.actor.clone(),
                s.workflows.to_string(),
                changes(s),
                first_line(&s.message, 60),
            ]
        })
        .collect()
}

/// Who, when, why, counts and commit, a line each.
fn metadata(s: &SnapshotView) -> String {
    let mut out = String::new();
    let mut line = |key: &str, value: &str| out.push_str(&format!("{key:<11}{value}\n"));
    line("snapshot", &s.id);
    line("kind", s.kind.as_str());
    line("when", &format!("{} UTC", output::time(Some(s.at))));
    line("by", &s.actor);
    line("why", &first_line(&s.message, usize::MAX));
    line(
        "workflows",
        &format!(
            "{} ({} against the previous recording)",
            s.workflows,
            changes(s)
        ),
    );
    line("commit", &s.commit);
    line("job", s.job_id.as_deref().unwrap_or("-"));
    out
}

fn print_workflows(detail: &SnapshotDetail) {
    if detail.workflows.is_empty() {
        println!("\nNo workflows.");
        return;
    }
    println!();
    table(
        &[
            "CANONICAL ID",
            "NAME",
            "N8N ID",
            "ACTIVE",
            "FINGERPRINT",
            "TAGS",
        ],
        &workflow_rows(&detail.workflows),
    );
}

fn workflow_rows(workflows: &[SnapshotWorkflow]) -> Vec<Vec<String>> {
    workflows
        .iter()
        .map(|w| {
            vec![
                w.canonical_id.clone(),
                w.name.clone(),
                w.n8n_id.clone(),
                if w.active { "yes".into() } else { "no".into() },
                short_fingerprint(&w.fingerprint),
                w.tags.join(","),
            ]
        })
        .collect()
}

/// A line per workflow that differs (every one with `all`), under a tally, as
/// `n8nops diff` prints environments.
fn render_diff(diff: &SnapshotDiff, all: bool) -> String {
    let mut out = format!("{} -> {}: ", diff.a.id, diff.b.id);
    let statuses: Vec<DiffStatus> = diff.workflows.iter().map(|w| w.status).collect();
    out.push_str(&tally(&statuses));
    out.push('\n');
    let shown: Vec<_> = diff
        .workflows
        .iter()
        .filter(|w| all || w.status.differs())
        .collect();
    let width = shown
        .iter()
        .map(|w| w.status.as_str().len())
        .max()
        .unwrap_or(0);
    for w in shown {
        let summary = w
            .diff
            .as_ref()
            .map(|d| format!("  {}", diff_line(d)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<width$}  {}{summary}\n",
            w.status.as_str(),
            w.name
        ));
    }
    out
}

/// `3 workflows: 1 unchanged, 1 modified, 1 added`.
fn tally(statuses: &[DiffStatus]) -> String {
    if statuses.is_empty() {
        return "no workflows".into();
    }
    let parts: Vec<String> = [
        DiffStatus::Unchanged,
        DiffStatus::Modified,
        DiffStatus::TargetHotfix,
        DiffStatus::Added,
        DiffStatus::Deleted,
    ]
    .into_iter()
    .filter_map(|status| {
        let n = statuses.iter().filter(|s| **s == status).count();
        (n > 0).then(|| format!("{n} {}", status.as_str().to_lowercase().replace('_', " ")))
    })
    .collect();
    format!(
        "{}: {}",
        plural(statuses.len(), "workflow"),
        parts.join(", ")
    )
}

/// A workflow diff in one line: `3 nodes +1 ~2 · 1 link change · renamed · risk HIGH`
/// (node marks: `+` added, `-` removed, `»` renamed, `~` modified; cosmetic changes
/// left out).
pub fn diff_line(d: &WorkflowDiff) -> String {
    let c = d.node_counts(false);
    let nodes = c.added + c.removed + c.renamed + c.modified;
    let mut parts = Vec::new();
    if nodes > 0 {
        let marks: Vec<String> = [
            (c.added, "+"),
            (c.removed, "-"),
            (c.renamed, "»"),
            (c.modified, "~"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, mark)| format!("{mark}{n}"))
        .collect();
        parts.push(format!("{} {}", plural(nodes, "node"), marks.join(" ")));
    }
    if !d.connections.is_empty() {
        parts.push(plural(d.connections.len(), "link change"));
    }
    if !d.settings.is_empty() {
        parts.push(plural(d.settings.len(), "setting"));
    }
    if d.name.is_some() {
        parts.push("renamed".into());
    }
    if let Some(risk) = d.risk {
        parts.push(format!("risk {risk}"));
    }
    if parts.is_empty() {
        return "no meaningful changes".into();
    }
    parts.join(" · ")
}

/// `1 workflow`, `2 workflows`.
pub fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The first 12 characters of a commit id.
pub fn short_commit(commit: &str) -> String {
    commit.chars().take(12).collect()
}

fn short_fingerprint(fingerprint: &str) -> String {
    fingerprint.chars().take(12).collect()
}

/// The first line of `text`, cut to `max` characters with an ellipsis.
fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::commit::CommitKind;
    use crate::domain::diff::{NodeChangeKind, NodeDiff, Risk, Why};
    use crate::service::SnapshotDiffEntry;
    use chrono::TimeZone;

    pub fn view(id: &str, kind: CommitKind) -> SnapshotView {
        SnapshotView {
            id: id.into(),
            env: id.split('/').next().unwrap_or("prod").into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            kind,
            message: "Before the Q3 migration\nwith more words".into(),
            actor: "alice".into(),
            at: chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 15, 0).unwrap(),
            workflows: 42,
            added: 1,
            changed: 2,
            removed: 0,
            job_id: Some("j-7".into()),
        }
    }

    pub fn node(kind: NodeChangeKind, name: &str, risk: Risk) -> NodeDiff {
        NodeDiff {
            kind,
            name: name.into(),
            old_name: None,
            node_type: "n8n-nodes-base.httpRequest".into(),
            old_index: None,
            new_index: None,
            changes: vec![],
            risk,
            why: Why::Parameter,
            cosmetic: false,
        }
    }

    /// Two modified nodes and an added one, high risk.
    pub fn sample_diff() -> WorkflowDiff {
        WorkflowDiff {
            nodes: vec![
                node(NodeChangeKind::Added, "Slack", Risk::Medium),
                node(NodeChangeKind::Modified, "Fetch", Risk::High),
                node(NodeChangeKind::Modified, "Set", Risk::Low),
            ],
            risk: Some(Risk::High),
            ..WorkflowDiff::default()
        }
    }

    #[test]
    fn a_created_snapshot_is_one_line_with_its_counts() {
        let s = view("prod/20260301-101500", CommitKind::Snapshot);
        assert_eq!(
            created_line(&s),
            "Snapshot prod/20260301-101500 (commit 0123456789ab): 42 workflows, +1 ~2 -0"
        );
    }

    #[test]
    fn the_list_shows_kind_time_actor_counts_and_the_first_line_of_why() {
        let rows = list_rows(&[view("prod/20260301-101500", CommitKind::Backup)]);
        assert_eq!(
            rows,
            vec![vec![
                "prod/20260301-101500".to_string(),
                "backup".into(),
                "2026-03-01 10:15".into(),
                "alice".into(),
                "42".into(),
                "+1 ~2 -0".into(),
                "Before the Q3 migration".into(),
            ]]
        );
    }

    #[test]
    fn show_says_who_when_why_counts_and_commit() {
        let text = metadata(&view("prod/20260301-101500", CommitKind::Snapshot));
        insta::assert_snapshot!(text, @r"
        snapshot   prod/20260301-101500
        kind       snapshot
        when       2026-03-01 10:15 UTC
        by         alice
        why        Before the Q3 migration
        workflows  42 (+1 ~2 -0 against the previous recording)
        commit     0123456789abcdef0123456789abcdef01234567
        job        j-7
        ");
    }

    #[test]
    fn a_diff_line_counts_node_changes_and_gives_the_risk() {
        assert_eq!(diff_line(&sample_diff()), "3 nodes +1 ~2 · risk HIGH");
        assert_eq!(diff_line(&WorkflowDiff::default()), "no meaningful changes");
    }

    #[test]
    fn a_snapshot_diff_lists_what_differs_under_a_tally() {
        let entry = |name: &str, status, diff| SnapshotDiffEntry {
            canonical_id: name.to_lowercase(),
            name: name.into(),
            status,
            diff,
        };
        let diff = SnapshotDiff {
            a: view("prod/20260301-101500", CommitKind::Snapshot),
            b: view("prod/20260302-090000", CommitKind::Backup),
            workflows: vec![
                entry("Billing", DiffStatus::Unchanged, None),
                entry("New", DiffStatus::Added, None),
                entry("Old", DiffStatus::Deleted, None),
                entry("Orders", DiffStatus::Modified, Some(sample_diff())),
            ],
        };
        insta::assert_snapshot!(render_diff(&diff, false), @r"
        prod/20260301-101500 -> prod/20260302-090000: 4 workflows: 1 unchanged, 1 modified, 1 added, 1 deleted
        ADDED     New
        DELETED   Old
        MODIFIED  Orders  3 nodes +1 ~2 · risk HIGH
        ");
        assert!(render_diff(&diff, true).contains("UNCHANGED  Billing\n"));
    }
}
