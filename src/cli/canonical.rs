//! `n8nops untracked list`, `onboard`, `backup` and `reconcile`: the canonical state's
//! identity of workflows, and recording environments into it.

use super::context::Context;
use super::follow::follow;
use super::output::{self, table};
use super::snapshot::{changes, plural, short_commit};
use crate::service::{
    BackupReport, BackupRequest, OnboardReport, OnboardRequest, Ops, ReconcileReport,
    ReconcileRequest, UntrackedWorkflow,
};
use anyhow::{Result, bail};
use clap::{ArgGroup, Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum UntrackedCommand {
    /// Live workflows (as last synced) the canonical state does not know
    #[command(alias = "ls")]
    List {
        /// Only this environment's [default: all]
        env: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["workflows", "all"])))]
pub struct OnboardArgs {
    /// Environment
    pub env: String,
    /// Untracked workflows to onboard, by n8n id or exact name
    #[arg(long = "workflow", short = 'w', value_name = "W", num_args = 1..)]
    pub workflows: Vec<String>,
    /// Every untracked workflow of the environment
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Environments to back up [default: all]
    pub envs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Fetch the Git remote and fast-forward the branch first
    #[arg(long)]
    pub pull: bool,
}

pub async fn run_untracked(ctx: &Context, ops: &dyn Ops, cmd: UntrackedCommand) -> Result<()> {
    let UntrackedCommand::List { env } = cmd;
    let list = ops.untracked_list(env).await?;
    if ctx.json {
        return output::json(&list);
    }
    if list.is_empty() {
        println!("No untracked workflows: the canonical state knows every synced workflow.");
        return Ok(());
    }
    table(
        &["ENV", "N8N ID", "NAME", "ACTIVE", "FINGERPRINT"],
        &untracked_rows(&list),
    );
    eprintln!(
        "{}; onboard them with: n8nops onboard ENV --workflow W... | --all",
        plural(list.len(), "untracked workflow")
    );
    Ok(())
}

fn untracked_rows(list: &[UntrackedWorkflow]) -> Vec<Vec<String>> {
    list.iter()
        .map(|w| {
            vec![
                w.env.clone(),
                w.n8n_id.clone(),
                w.name.clone(),
                if w.active { "yes".into() } else { "no".into() },
                w.fingerprint.chars().take(12).collect(),
            ]
        })
        .collect()
}

pub async fn run_onboard(ctx: &Context, ops: &dyn Ops, args: OnboardArgs) -> Result<()> {
    let events = ops.subscribe();
    let started = ops
        .onboard(OnboardRequest {
            env: args.env,
            workflows: args.workflows,
            all: args.all,
        })
        .await?;
    let report: OnboardReport = follow(ctx, ops, events, &started)
        .await?
        .into_result("onboarding")?;
    if ctx.json {
        return output::json(&report);
    }
    println!("{}", onboarded_line(&report));
    if !report.onboarded.is_empty() {
        table(
            &["CANONICAL ID", "N8N ID", "NAME", "LINKED"],
            &onboarded_rows(&report),
        );
    }
    Ok(())
}

fn onboarded_line(report: &OnboardReport) -> String {
    match &report.commit {
        _ if report.onboarded.is_empty() => {
            format!("Nothing to onboard in {}.", report.env)
        }
        Some(commit) => format!(
            "Onboarded {} of {} (commit {}):",
            plural(report.onboarded.len(), "workflow"),
            report.env,
            short_commit(commit)
        ),
        None => format!(
            "Onboarded {} of {}:",
            plural(report.onboarded.len(), "workflow"),
            report.env
        ),
    }
}

/// LINKED: it joined a canonical workflow another environment already had.
fn onboarded_rows(report: &OnboardReport) -> Vec<Vec<String>> {
    report
        .onboarded
        .iter()
        .map(|o| {
            vec![
                o.canonical_id.clone(),
                o.n8n_id.clone(),
                o.name.clone(),
                if o.linked { "yes".into() } else { "new".into() },
            ]
        })
        .collect()
}

pub async fn run_backup(ctx: &Context, ops: &dyn Ops, args: BackupArgs) -> Result<()> {
    let events = ops.subscribe();
    let started = ops.backup(BackupRequest { envs: args.envs }).await?;
    let finished = follow::<BackupReport>(ctx, ops, events, &started).await?;
    if let Some(report) = &finished.result {
        if ctx.json {
            output::json(report)?;
        } else {
            print!("{}", render_backup(report));
        }
    }
    let report = finished.into_result("the backup")?;
    if !report.failures.is_empty() {
        let envs: Vec<&str> = report.failures.iter().map(|f| f.env.as_str()).collect();
        bail!(
            "the backup failed for {} of {}: {}",
            plural(envs.len(), "environment"),
            report.snapshots.len() + envs.len(),
            envs.join(", ")
        );
    }
    Ok(())
}

/// A line per snapshot taken, then one per environment that failed.
fn render_backup(report: &BackupReport) -> String {
    let mut out = String::new();
    for s in &report.snapshots {
        out.push_str(&format!(
            "{}  {}, {}  commit {}\n",
            s.id,
            plural(s.workflows, "workflow"),
            changes(s),
            short_commit(&s.commit)
        ));
    }
    for f in &report.failures {
        out.push_str(&format!("{}  FAILED: {}\n", f.env, f.message));
    }
    if report.snapshots.is_empty() && report.failures.is_empty() {
        out.push_str("No environments to back up.\n");
    }
    out
}

pub async fn run_reconcile(ctx: &Context, ops: &dyn Ops, args: ReconcileArgs) -> Result<()> {
    let report = ops.reconcile(ReconcileRequest { pull: args.pull }).await?;
    if ctx.json {
        return output::json(&report);
    }
    print!("{}", render_reconcile(&report));
    Ok(())
}

/// The head (and what the pull did), then each disagreement: the canonical workflow,
/// what is wrong, and its fingerprint in Git and in each environment.
fn render_reconcile(report: &ReconcileReport) -> String {
    let fp = |f: &Option<String>| {
        f.as_deref()
            .map_or_else(|| "-".to_owned(), |f| f.chars().take(12).collect())
    };
    let mut out = format!(
        "head {}\n",
        report
            .head
            .as_deref()
            .map_or_else(|| "(no commits yet)".to_owned(), short_commit)
    );
    if let Some(pulled) = &report.pulled {
        out.push_str(&format!("pull: {pulled}\n"));
    }
    if report.rows.is_empty() {
        out.push_str("Git, the recorded mappings and the live environments agree.\n");
        return out;
    }
    out.push_str(&format!(
        "{} where they disagree:\n",
        plural(report.rows.len(), "workflow")
    ));
    for row in &report.rows {
        let width = row
            .envs
            .iter()
            .map(|c| c.env.chars().count())
            .max()
            .unwrap_or(0)
            .max(3);
        out.push_str(&format!(
            "{} ({}): {}\n",
            row.name, row.canonical_id, row.problem
        ));
        out.push_str(&format!("  {:<width$}  {}\n", "git", fp(&row.git)));
        for c in &row.envs {
            out.push_str(&format!(
                "  {:<width$}  recorded {:<12}  live {}\n",
                c.env,
                fp(&c.recorded),
                fp(&c.live)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::snapshot::tests::view;
    use crate::domain::commit::CommitKind;
    use crate::service::{EnvProblem, Onboarded, ReconcileCell, ReconcileRow};

    #[test]
    fn untracked_rows_give_env_id_name_and_a_short_fingerprint() {
        let rows = untracked_rows(&[UntrackedWorkflow {
            env: "prod".into(),
            n8n_id: "40".into(),
            name: "Scratch".into(),
            active: false,
            fingerprint: "abcdef0123456789abcdef".into(),
        }]);
        assert_eq!(rows[0], ["prod", "40", "Scratch", "no", "abcdef012345"]);
    }

    #[test]
    fn onboarding_names_the_commit_and_which_workflows_were_linked() {
        let report = OnboardReport {
            env: "prod".into(),
            onboarded: vec![
                Onboarded {
                    canonical_id: "order-sync".into(),
                    n8n_id: "12".into(),
                    name: "Order sync".into(),
                    linked: true,
                },
                Onboarded {
                    canonical_id: "scratch".into(),
                    n8n_id: "40".into(),
                    name: "Scratch".into(),
                    linked: false,
                },
            ],
            commit: Some("0123456789abcdef".into()),
        };
        assert_eq!(
            onboarded_line(&report),
            "Onboarded 2 workflows of prod (commit 0123456789ab):"
        );
        assert_eq!(onboarded_rows(&report)[0][3], "yes");
        assert_eq!(onboarded_rows(&report)[1][3], "new");
        let empty = OnboardReport {
            onboarded: vec![],
            commit: None,
            ..report
        };
        assert_eq!(onboarded_line(&empty), "Nothing to onboard in prod.");
    }

    #[test]
    fn a_backup_prints_each_snapshot_and_each_failure() {
        let report = BackupReport {
            snapshots: vec![view("prod/20260301-101500", CommitKind::Backup)],
            failures: vec![EnvProblem {
                env: "staging".into(),
                message: "staging: connection refused".into(),
            }],
        };
        insta::assert_snapshot!(render_backup(&report), @r"
        prod/20260301-101500  42 workflows, +1 ~2 -0  commit 0123456789ab
        staging  FAILED: staging: connection refused
        ");
    }

    #[test]
    fn reconcile_says_they_agree_or_shows_each_disagreement() {
        let agree = ReconcileReport {
            head: Some("0123456789abcdef".into()),
            pulled: None,
            rows: vec![],
        };
        assert_eq!(
            render_reconcile(&agree),
            "head 0123456789ab\nGit, the recorded mappings and the live environments agree.\n"
        );
        let report = ReconcileReport {
            head: None,
            pulled: Some("fast-forwarded to 89abcdef".into()),
            rows: vec![ReconcileRow {
                canonical_id: "order-sync".into(),
                name: "Order sync".into(),
                git: Some("aaaaaaaaaaaaaaaa".into()),
                envs: vec![
                    ReconcileCell {
                        env: "prod".into(),
                        recorded: Some("aaaaaaaaaaaaaaaa".into()),
                        live: Some("bbbbbbbbbbbbbbbb".into()),
                    },
                    ReconcileCell {
                        env: "staging".into(),
                        recorded: None,
                        live: None,
                    },
                ],
                problem: "live differs from recorded in prod".into(),
            }],
        };
        insta::assert_snapshot!(render_reconcile(&report), @r"
        head (no commits yet)
        pull: fast-forwarded to 89abcdef
        1 workflow where they disagree:
        Order sync (order-sync): live differs from recorded in prod
          git      aaaaaaaaaaaa
          prod     recorded aaaaaaaaaaaa  live bbbbbbbbbbbb
          staging  recorded -             live -
        ");
    }
}
