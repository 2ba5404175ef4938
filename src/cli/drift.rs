//! `n8nops drift check|show`: how the live environments differ from the canonical state.
//!
//! `drift check --exit-code`: 0 every workflow IN_SYNC, 1 any DRIFTED, MISSING or
//! UNTRACKED, 2 an error or any UNKNOWN. An environment that could not be checked is an
//! error (exit 2) with or without `--exit-code`, after the report is printed.

use super::context::Context;
use super::diff::Differences;
use super::follow::follow;
use super::output;
use crate::domain::drift::DriftStatus;
use crate::service::{DriftCheckRequest, DriftCounts, DriftItem, DriftReport, EnvDrift, Ops};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum DriftCommand {
    /// Fetch environments and compare them with the canonical state (all when none named)
    Check(DriftCheckArgs),
    /// The latest stored check of each environment (or the one named)
    Show {
        /// Environment
        env: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DriftCheckArgs {
    /// Environments to check [default: all]
    pub envs: Vec<String>,
    /// Exit 1 when anything drifted, is missing or untracked, 0 when all is in sync (2 stays an error)
    #[arg(long)]
    pub exit_code: bool,
    /// Compare with the last sync instead of fetching first
    #[arg(long)]
    pub no_fetch: bool,
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: DriftCommand) -> Result<()> {
    match cmd {
        DriftCommand::Check(args) => check(ctx, ops, args).await,
        DriftCommand::Show { env } => {
            let envs = ops.drift_latest(env).await?;
            if ctx.json {
                return output::json(&envs);
            }
            if envs.is_empty() {
                println!("No drift check yet. Run one with: n8nops drift check");
                return Ok(());
            }
            print!("{}", render(&envs));
            Ok(())
        }
    }
}

async fn check(ctx: &Context, ops: &dyn Ops, args: DriftCheckArgs) -> Result<()> {
    let events = ops.subscribe();
    let started = ops
        .drift_check(DriftCheckRequest {
            envs: args.envs,
            fetch: !args.no_fetch,
        })
        .await?;
    let report: DriftReport = follow(ctx, ops, events, &started)
        .await?
        .into_result("the drift check")?;
    if ctx.json {
        output::json(&report)?;
    } else {
        print!("{}", render(&report.envs));
    }
    match report.exit_code() {
        0 => Ok(()),
        1 if args.exit_code => Err(Differences.into()),
        1 => Ok(()),
        _ => bail!("{}", unchecked(&report)),
    }
}

/// Why the check is an error: the environments that could not be checked.
fn unchecked(report: &DriftReport) -> String {
    let envs: Vec<String> = report
        .envs
        .iter()
        .filter(|e| e.error.is_some() || e.counts.unknown > 0)
        .map(|e| match &e.error {
            // Service errors usually name the environment already.
            Some(error) if error.contains(&e.env) => error.clone(),
            Some(error) => format!("{}: {error}", e.env),
            None => format!("{}: {} workflows UNKNOWN", e.env, e.counts.unknown),
        })
        .collect();
    format!("drift could not be checked: {}", envs.join("; "))
}

/// Per environment: its counts, then each workflow not IN_SYNC (with what changed, for
/// DRIFTED ones).
fn render(envs: &[EnvDrift]) -> String {
    let mut out = String::new();
    for e in envs {
        out.push_str(&format!(
            "{}  checked {} UTC  {}\n",
            e.env,
            output::time(Some(e.checked_at)),
            counts(&e.counts)
        ));
        if let Some(error) = &e.error {
            out.push_str(&format!("  could not be checked: {error}\n"));
        }
        let width = e
            .items
            .iter()
            .map(|i| i.status.as_str().len())
            .max()
            .unwrap_or(0);
        for item in &e.items {
            render_item(&mut out, item, width);
        }
    }
    out
}

fn render_item(out: &mut String, item: &DriftItem, width: usize) {
    let ids = match (&item.canonical_id, &item.n8n_id) {
        (Some(c), Some(n)) => format!("  ({c}, n8n {n})"),
        (Some(c), None) => format!("  ({c})"),
        (None, Some(n)) => format!("  (n8n {n})"),
        (None, None) => String::new(),
    };
    let summary = item
        .summary
        .as_ref()
        .filter(|_| item.status == DriftStatus::Drifted);
    let mut head = format!("  {:<width$}  {}{ids}", item.status.as_str(), item.name);
    if let Some(s) = summary {
        let mut parts = vec![format!(
            "{} change{}",
            s.changes,
            if s.changes == 1 { "" } else { "s" }
        )];
        if let Some(risk) = s.risk {
            parts.push(format!("risk {risk}"));
        }
        head.push_str(&format!("  {}", parts.join(" · ")));
    }
    out.push_str(&head);
    out.push('\n');
    for line in summary.iter().flat_map(|s| &s.lines) {
        out.push_str(&format!("  {:width$}    {line}\n", ""));
    }
}

/// `40 in sync · 1 drifted · 0 missing · 1 untracked · 0 unknown`.
fn counts(c: &DriftCounts) -> String {
    format!(
        "{} in sync · {} drifted · {} missing · {} untracked · {} unknown",
        c.in_sync, c.drifted, c.missing, c.untracked, c.unknown
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::diff::Risk;
    use crate::service::DriftSummary;
    use chrono::TimeZone;

    fn item(status: DriftStatus, name: &str) -> DriftItem {
        DriftItem {
            status,
            canonical_id: (status != DriftStatus::Untracked).then(|| name.to_lowercase()),
            n8n_id: (status != DriftStatus::Missing).then(|| "12".into()),
            name: name.into(),
            expected: None,
            live: None,
            summary: None,
        }
    }

    fn sample() -> Vec<EnvDrift> {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 15, 0).unwrap();
        let mut drifted = item(DriftStatus::Drifted, "Orders");
        drifted.summary = Some(DriftSummary {
            changes: 2,
            risk: Some(Risk::High),
            renamed_from: Some("Order sync".into()),
            lines: vec![
                "node 'HTTP' parameters.url changed".into(),
                "workflow renamed".into(),
            ],
        });
        vec![
            EnvDrift {
                env: "prod".into(),
                checked_at: at,
                error: None,
                counts: DriftCounts {
                    in_sync: 40,
                    drifted: 1,
                    missing: 1,
                    untracked: 1,
                    unknown: 0,
                },
                items: vec![
                    drifted,
                    item(DriftStatus::Missing, "Billing"),
                    item(DriftStatus::Untracked, "Scratch"),
                ],
            },
            EnvDrift {
                env: "staging".into(),
                checked_at: at,
                error: Some("staging: connection refused".into()),
                counts: DriftCounts {
                    unknown: 1,
                    ..DriftCounts::default()
                },
                items: vec![item(DriftStatus::Unknown, "Orders")],
            },
        ]
    }

    #[test]
    fn each_environment_gives_counts_then_what_is_not_in_sync() {
        insta::assert_snapshot!(render(&sample()), @r"
        prod  checked 2026-03-01 10:15 UTC  40 in sync · 1 drifted · 1 missing · 1 untracked · 0 unknown
          DRIFTED    Orders  (orders, n8n 12)  2 changes · risk HIGH
                       node 'HTTP' parameters.url changed
                       workflow renamed
          MISSING    Billing  (billing)
          UNTRACKED  Scratch  (n8n 12)
        staging  checked 2026-03-01 10:15 UTC  0 in sync · 0 drifted · 0 missing · 0 untracked · 1 unknown
          could not be checked: staging: connection refused
          UNKNOWN  Orders  (orders, n8n 12)
        ");
    }

    #[test]
    fn an_unreachable_environment_is_named_in_the_error() {
        let report = DriftReport { envs: sample() };
        assert_eq!(report.exit_code(), 2);
        assert_eq!(
            unchecked(&report),
            "drift could not be checked: staging: connection refused"
        );
    }
}
