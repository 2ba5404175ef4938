//! `n8nops sync`

use super::args::SyncArgs;
use super::context::Context;
use super::output::{self, Progress, table};
use crate::domain::sync::parse_kinds;
use crate::service::{EventBody, Ops, SyncReport, SyncRequest, follow_job};
use anyhow::{Result, bail};

pub async fn run(ctx: &Context, ops: &dyn Ops, args: SyncArgs) -> Result<()> {
    let kinds = match &args.only {
        Some(list) => parse_kinds(list).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let events = ops.subscribe();
    let started = ops
        .sync(SyncRequest {
            envs: args.envs,
            kinds,
        })
        .await?;
    let mut progress = Progress::new();
    let job = follow_job(ops, events, &started.job_id, |event| match &event.body {
        EventBody::Progress { phase, done, total } => progress.update(*done, *total, phase),
        EventBody::Log { message, .. } if !ctx.json => progress.line(message),
        _ => {}
    })
    .await?;
    progress.finish();
    let report: Option<SyncReport> = job
        .result
        .clone()
        .and_then(|r| serde_json::from_value(r).ok());
    match &report {
        Some(report) if ctx.json => output::json(report)?,
        Some(report) => print_report(report),
        None => {}
    }
    if let Some(error) = job.error {
        bail!("sync failed: {error}");
    }
    Ok(())
}

fn print_report(report: &SyncReport) {
    let n = |v: Option<usize>| v.map_or_else(|| "-".into(), |v| v.to_string());
    let rows = report
        .envs
        .iter()
        .map(|r| {
            vec![
                r.env.clone(),
                if r.ok { "ok".into() } else { "FAILED".into() },
                n(r.workflows),
                format!("+{} ~{} -{}", r.added, r.changed, r.removed),
                n(r.credentials),
                n(r.tags),
                n(r.users),
                n(r.executions),
                format!("{:.2}s", r.seconds),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &[
            "ENV",
            "STATUS",
            "WORKFLOWS",
            "CHANGES",
            "CREDENTIALS",
            "TAGS",
            "USERS",
            "EXECUTIONS",
            "TIME",
        ],
        &rows,
    );
}
