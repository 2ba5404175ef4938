//! `n8nops incidents ...`: the incidents drift and failing executions raised, triaged
//! from the command line: list, show, acknowledge, note, assign, resolve, set the
//! severity, revert to canonical or accept the live change, the metrics, a sweep and
//! the policy in force. Each verb is one `Ops` call (a revert follows its restore job);
//! `--json` prints the result as JSON; errors exit 2 with what was wrong, and so does a
//! sweep that could not do everything (after printing what failed). What a revert may
//! do is the service's word (`IncidentView.offered`).

mod render;

use super::Context;
use super::deployments::recover_interrupted;
use super::follow::follow;
use super::output;
use crate::domain::incident::{IncidentState, Severity};
use crate::service::{
    IncidentChange, IncidentQuery, IncidentStatsQuery, IncidentUpdate, IncidentView, Ops,
    RestoreReport,
};
use anyhow::{Result, bail};
use chrono::Utc;
use clap::Subcommand;
pub use render::*;
use serde::Serialize;
use std::io::Read;

#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// Incidents, worst severity first then oldest (the open ones unless --state or --all)
    #[command(alias = "ls")]
    List(ListArgs),
    /// One incident: its facts, timeline (notes whole) and notifications
    Show { id: i64 },
    /// Acknowledge an open incident (OPEN -> ACKNOWLEDGED)
    Ack {
        id: i64,
        /// A note to add with it
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Resolve an incident, saying how
    Resolve {
        id: i64,
        /// How it was resolved (required; `-` reads it from stdin)
        #[arg(long, value_name = "TEXT")]
        note: String,
    },
    /// Add a note to the timeline (quote a multi-line one, or `-` reads it from stdin)
    Note { id: i64, text: String },
    /// Assign an incident to someone (--none unassigns)
    Assign {
        id: i64,
        #[arg(required_unless_present = "none", conflicts_with = "none")]
        user: Option<String>,
        /// Unassign
        #[arg(long)]
        none: bool,
    },
    /// Set the severity by hand (critical, high, medium, low); the SLA restarts
    Severity {
        id: i64,
        #[arg(value_parser = parse_severity)]
        level: Severity,
    },
    /// Revert the workflow to its canonical version (snapshot first); without --yes,
    /// say what it would do and change nothing
    Revert {
        id: i64,
        /// Do it
        #[arg(short, long)]
        yes: bool,
    },
    /// Accept the live change into the canonical state (a commit naming you) and resolve
    Accept { id: i64 },
    /// MTTA and MTTR (mean, p50, p90) per environment and severity
    Stats {
        /// Incidents opened in the last N days
        #[arg(long, default_value_t = 30, value_name = "N")]
        days: u32,
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
    },
    /// Run one sweep now: SLA escalations, acknowledgement timeouts, failure
    /// thresholds, retention, due notifications
    Sweep,
    /// The incident policy in force (TOML) and where it comes from
    Policy,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// OPEN, ACKNOWLEDGED (ack) or RESOLVED; repeatable or comma-separated
    #[arg(long, value_name = "S", value_parser = parse_state, value_delimiter = ',')]
    pub state: Vec<IncidentState>,
    /// critical, high, medium or low; repeatable or comma-separated
    #[arg(long, value_name = "S", value_parser = parse_severity, value_delimiter = ',')]
    pub severity: Vec<Severity>,
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// In the workflow name, environment or assignee (any case)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Every state, resolved ones included
    #[arg(long, conflicts_with = "state")]
    pub all: bool,
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `--state`: a state by name, any case (`ack` for ACKNOWLEDGED).
pub fn parse_state(text: &str) -> Result<IncidentState, String> {
    IncidentState::parse(text).ok_or_else(|| {
        format!("no incident state '{text}'; one of OPEN, ACKNOWLEDGED (ack), RESOLVED")
    })
}

/// A severity by name, any case.
pub fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text)
        .ok_or_else(|| format!("no severity '{text}'; one of critical, high, medium, low"))
}

/// `text`, or stdin read whole when it is `-` (a note too long for an argument).
fn text_or_stdin(text: String) -> Result<String> {
    if text != "-" {
        return Ok(text);
    }
    let mut read = String::new();
    std::io::stdin().read_to_string(&mut read)?;
    Ok(read.trim_end_matches('\n').to_owned())
}

/// What `revert --yes` did: the incident after its restore job, and the job's report.
#[derive(Debug, Serialize)]
pub struct Reverted {
    pub incident: IncidentView,
    pub job_id: Option<String>,
    pub report: Option<RestoreReport>,
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: IncidentsCommand) -> Result<()> {
    let now = Utc::now();
    match cmd {
        IncidentsCommand::List(args) => {
            let query = IncidentQuery {
                states: args.state,
                severities: args.severity,
                env: args.env,
                text: args.search,
                all: args.all,
                limit: args.limit,
            };
            let list = ops.incidents_list(query).await?;
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                println!("No incidents match.");
                return Ok(());
            }
            print!("{}", render_list(&list, now));
            Ok(())
        }
        IncidentsCommand::Show { id } => {
            let detail = ops.incident_show(id).await?;
            if ctx.json {
                return output::json(&detail);
            }
            print!("{}", render_detail(&detail, now));
            Ok(())
        }
        IncidentsCommand::Ack { id, note } => {
            let note = note.map(text_or_stdin).transpose()?;
            change(ctx, ops, id, IncidentChange::Acknowledge { note }).await
        }
        IncidentsCommand::Resolve { id, note } => {
            let note = text_or_stdin(note)?;
            change(ctx, ops, id, IncidentChange::Resolve { note }).await
        }
        IncidentsCommand::Note { id, text } => {
            let text = text_or_stdin(text)?;
            change(ctx, ops, id, IncidentChange::Note { text }).await
        }
        IncidentsCommand::Assign { id, user, none } => {
            let user = if none { None } else { user };
            change(ctx, ops, id, IncidentChange::Assign { user }).await
        }
        IncidentsCommand::Severity { id, level } => {
            change(ctx, ops, id, IncidentChange::Severity { severity: level }).await
        }
        IncidentsCommand::Revert { id, yes } => revert(ctx, ops, id, yes).await,
        IncidentsCommand::Accept { id } => {
            recover_interrupted(ctx, ops).await?;
            let done = ops.incident_accept(id).await?;
            if ctx.json {
                return output::json(&done);
            }
            let i = &done.incident;
            let commit = done
                .commit
                .as_deref()
                .map(|c| format!(" (commit {})", super::snapshot::short_commit(c)))
                .unwrap_or_default();
            println!(
                "Accepted the live '{}' of {} into the canonical state{commit}.",
                workflow_cell(i),
                i.env
            );
            print!("{}", render_changed(i));
            Ok(())
        }
        IncidentsCommand::Stats { days, env } => {
            let query = IncidentStatsQuery {
                from: Some(now - chrono::Duration::days(i64::from(days))),
                to: Some(now),
                env,
            };
            let stats = ops.incidents_stats(query).await?;
            if ctx.json {
                return output::json(&stats);
            }
            print!("{}", render_stats(&stats));
            Ok(())
        }
        IncidentsCommand::Sweep => {
            let report = ops.incidents_sweep().await?;
            if ctx.json {
                output::json(&report)?;
            } else {
                print!("{}", render_sweep(&report));
            }
            // What it could not do was printed (a line each); it is an error all the same.
            if !report.failures.is_empty() {
                bail!(
                    "the sweep could not do everything: {}",
                    super::snapshot::plural(report.failures.len(), "failure")
                );
            }
            Ok(())
        }
        IncidentsCommand::Policy => {
            let view = ops.incident_policy().await?;
            if ctx.json {
                return output::json(&view);
            }
            print!("{}", render_policy(&view));
            Ok(())
        }
    }
}

/// One lifecycle change, and where the incident stands after it.
async fn change(ctx: &Context, ops: &dyn Ops, id: i64, change: IncidentChange) -> Result<()> {
    let view = ops.incident_update(IncidentUpdate { id, change }).await?;
    if ctx.json {
        return output::json(&view);
    }
    print!("{}", render_changed(&view));
    Ok(())
}

/// `revert ID`: without `yes`, what it would do; with it, the restore job followed to
/// its end, then the incident (resolved when the restore succeeded). Exit 2 when it
/// did not resolve.
async fn revert(ctx: &Context, ops: &dyn Ops, id: i64, yes: bool) -> Result<()> {
    if !yes {
        let incident = ops.incident_show(id).await?.incident;
        if !incident.offered.revert {
            // The service says why not (it checks everything before the confirmation).
            ops.incident_revert(id, false).await?;
            bail!("incident #{id} cannot be reverted");
        }
        if ctx.json {
            return output::json(&incident);
        }
        print!("{}", render_revert_plan(&incident));
        return Ok(());
    }
    recover_interrupted(ctx, ops).await?;
    let events = ops.subscribe();
    let started = ops.incident_revert(id, true).await?;
    let report = match &started.job_id {
        Some(job_id) => {
            if !ctx.json {
                println!("Reverting incident #{id} (restore job {job_id}) ...");
            }
            let job = crate::service::JobStarted {
                job_id: job_id.clone(),
            };
            follow::<RestoreReport>(ctx, ops, events, &job)
                .await?
                .result
        }
        None => None,
    };
    let incident = ops.incident_show(id).await?.incident;
    let resolved = incident.state == IncidentState::Resolved;
    if ctx.json {
        output::json(&Reverted {
            incident,
            job_id: started.job_id,
            report,
        })?;
    } else {
        if let Some(r) = &report {
            print!("{}", render_restore(r));
        }
        print!("{}", render_changed(&incident));
    }
    if !resolved {
        bail!(
            "the revert of incident #{id} did not resolve it: `n8nops incidents show {id}` says why"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use crate::cli::args::Command;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<IncidentsCommand, clap::Error> {
        let cli = Cli::try_parse_from(
            ["n8nops", "incidents"]
                .into_iter()
                .chain(args.iter().copied()),
        )?;
        match cli.command {
            Some(Command::Incidents(cmd)) => Ok(cmd),
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    fn refused(args: &[&str]) -> clap::error::ErrorKind {
        match parse(args) {
            Ok(cmd) => panic!("{args:?} parsed as {cmd:?}"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn list_filters_repeat_or_take_commas() {
        let Ok(IncidentsCommand::List(a)) = parse(&[
            "list",
            "--state",
            "open,ack",
            "--severity",
            "CRITICAL",
            "--severity",
            "high",
            "--env",
            "prod",
        ]) else {
            panic!("list")
        };
        assert_eq!(a.state, [IncidentState::Open, IncidentState::Acknowledged]);
        assert_eq!(a.severity, [Severity::Critical, Severity::High]);
        assert_eq!(a.env.as_deref(), Some("prod"));
        assert!(!a.all);
        let Ok(IncidentsCommand::List(a)) = parse(&["ls", "--all", "--json"]) else {
            panic!("ls --all")
        };
        assert!(a.all && a.state.is_empty());
        assert_eq!(
            refused(&["list", "--state", "closed"]),
            clap::error::ErrorKind::ValueValidation
        );
        assert_eq!(
            refused(&["list", "--severity", "urgent"]),
            clap::error::ErrorKind::ValueValidation
        );
        assert_eq!(
            refused(&["list", "--all", "--state", "open"]),
            clap::error::ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn lifecycle_verbs() {
        assert!(matches!(
            parse(&["show", "4"]),
            Ok(IncidentsCommand::Show { id: 4 })
        ));
        assert_eq!(
            refused(&["show", "four"]),
            clap::error::ErrorKind::ValueValidation
        );
        let Ok(IncidentsCommand::Ack { id: 4, note }) = parse(&["ack", "4", "--note", "on it"])
        else {
            panic!("ack")
        };
        assert_eq!(note.as_deref(), Some("on it"));
        assert!(matches!(
            parse(&["ack", "4"]),
            Ok(IncidentsCommand::Ack { note: None, .. })
        ));
        // A resolution needs its note.
        assert_eq!(
            refused(&["resolve", "4"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        let Ok(IncidentsCommand::Note { text, .. }) = parse(&["note", "4", "line 1\nline 2"])
        else {
            panic!("note")
        };
        assert_eq!(text, "line 1\nline 2");
        let Ok(IncidentsCommand::Assign { user, none, .. }) = parse(&["assign", "4", "carol"])
        else {
            panic!("assign")
        };
        assert_eq!((user.as_deref(), none), (Some("carol"), false));
        assert!(matches!(
            parse(&["assign", "4", "--none"]),
            Ok(IncidentsCommand::Assign {
                user: None,
                none: true,
                ..
            })
        ));
        assert_eq!(
            refused(&["assign", "4"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            refused(&["assign", "4", "carol", "--none"]),
            clap::error::ErrorKind::ArgumentConflict
        );
        assert!(matches!(
            parse(&["severity", "4", "Medium"]),
            Ok(IncidentsCommand::Severity {
                level: Severity::Medium,
                ..
            })
        ));
    }

    #[test]
    fn remediation_stats_sweep_and_policy() {
        assert!(matches!(
            parse(&["revert", "4"]),
            Ok(IncidentsCommand::Revert { id: 4, yes: false })
        ));
        assert!(matches!(
            parse(&["revert", "4", "-y"]),
            Ok(IncidentsCommand::Revert { yes: true, .. })
        ));
        assert!(matches!(
            parse(&["accept", "4"]),
            Ok(IncidentsCommand::Accept { id: 4 })
        ));
        let Ok(IncidentsCommand::Stats { days, env }) = parse(&["stats"]) else {
            panic!("stats")
        };
        assert_eq!((days, env), (30, None));
        let Ok(IncidentsCommand::Stats { days, env }) =
            parse(&["stats", "--days", "7", "--env", "prod"])
        else {
            panic!("stats")
        };
        assert_eq!((days, env.as_deref()), (7, Some("prod")));
        assert!(matches!(parse(&["sweep"]), Ok(IncidentsCommand::Sweep)));
        assert!(matches!(parse(&["policy"]), Ok(IncidentsCommand::Policy)));
    }
}
