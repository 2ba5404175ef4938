//! `n8nops jobs ...` and `n8nops audit ...`

use super::args::{AuditCommand, JobsCommand};
use super::context::Context;
use super::output::{self, table};
use crate::service::{AuditQuery, JobQuery, Ops};
use anyhow::Result;

pub async fn run_jobs(ctx: &Context, ops: &dyn Ops, cmd: JobsCommand) -> Result<()> {
    match cmd {
        JobsCommand::List { limit } => {
            let jobs = ops.jobs_list(JobQuery { limit: Some(limit) }).await?;
            if ctx.json {
                return output::json(&jobs);
            }
            let rows = jobs
                .iter()
                .map(|j| {
                    vec![
                        j.id.clone(),
                        j.kind.clone(),
                        j.state.as_str().into(),
                        j.actor.clone(),
                        output::time(Some(j.created_at)),
                        j.title.clone(),
                    ]
                })
                .collect::<Vec<_>>();
            table(&["ID", "KIND", "STATE", "BY", "CREATED", "TITLE"], &rows);
            Ok(())
        }
        JobsCommand::Show { id } => {
            let detail = ops.job_get(id).await?;
            if ctx.json {
                return output::json(&detail);
            }
            let j = &detail.job;
            println!(
                "{} {} ({}), by {}",
                j.id,
                j.title,
                j.state.as_str(),
                j.actor
            );
            if let Some(e) = &j.error {
                println!("error: {e}");
            }
            for line in &detail.logs {
                println!(
                    "{} {:5} {}",
                    line.at.format("%H:%M:%S"),
                    line.level.as_str(),
                    line.message
                );
            }
            Ok(())
        }
    }
}

pub async fn run_audit(ctx: &Context, ops: &dyn Ops, cmd: AuditCommand) -> Result<()> {
    let AuditCommand::List { env, limit } = cmd;
    let events = ops
        .audit_list(AuditQuery {
            env,
            limit: Some(limit),
        })
        .await?;
    if ctx.json {
        return output::json(&events);
    }
    let rows = events
        .iter()
        .map(|a| {
            vec![
                a.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                a.actor.clone(),
                a.action.clone(),
                a.env.clone().unwrap_or_else(|| "-".into()),
                format!("{:?}", a.outcome).to_lowercase(),
                a.detail.clone().unwrap_or_default(),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &["WHEN (UTC)", "WHO", "ACTION", "ENV", "OUTCOME", "DETAIL"],
        &rows,
    );
    Ok(())
}
