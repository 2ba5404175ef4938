//! `n8nops executions ...`: executions polled live from the environments.

use super::Context;
use super::output::{self, table};
use crate::service::{
    EnvProblem, ExecutionDetail, ExecutionGap, ExecutionRef, ExecutionView, ExecutionsPage,
    ExecutionsQuery, Ops, short_duration,
};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use std::collections::BTreeMap;
use std::time::Duration;

/// Per environment, executions shown unfinished: id -> status.
type Unfinished = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Subcommand)]
pub enum ExecutionsCommand {
    /// Recent executions across environments, newest first
    #[command(alias = "ls")]
    List(FilterArgs),
    /// One execution: its failing node, the error and the nodes that ran
    Show { env: String, id: String },
    /// Run a failed execution again
    Retry { env: String, id: String },
    /// Follow new executions until interrupted (poll interval: tui.executions_poll_secs)
    Tail(FilterArgs),
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this environment (repeatable); all when none
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Only this status: canceled, error, running, success, waiting
    #[arg(long)]
    pub status: Option<String>,
    /// Only this workflow (its n8n id)
    #[arg(long, value_name = "ID")]
    pub workflow: Option<String>,
    /// Most executions per environment (for tail: shown at start)
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

impl FilterArgs {
    fn query(&self, after: BTreeMap<String, String>, unfinished: Unfinished) -> ExecutionsQuery {
        ExecutionsQuery {
            envs: self.envs.clone(),
            after,
            limit: self.limit.max(1),
            status: self.status.clone(),
            workflow_id: self.workflow.clone(),
            unfinished,
        }
    }
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: ExecutionsCommand) -> Result<()> {
    match cmd {
        ExecutionsCommand::List(args) => list(ctx, ops, &args).await,
        ExecutionsCommand::Show { env, id } => {
            let detail = ops.execution_get(ExecutionRef { env, id }).await?;
            if ctx.json {
                return output::json(&detail);
            }
            print_detail(&detail);
            Ok(())
        }
        ExecutionsCommand::Retry { env, id } => {
            let new = ops
                .execution_retry(ExecutionRef {
                    env: env.clone(),
                    id: id.clone(),
                })
                .await?;
            if ctx.json {
                return output::json(&new);
            }
            println!(
                "retried execution {id} of {env} as execution {} ({})",
                new.id, new.status
            );
            Ok(())
        }
        ExecutionsCommand::Tail(args) => {
            let every = Duration::from_secs(ctx.config.tui.executions_poll_secs.max(1));
            tail(ctx, ops, &args, every).await
        }
    }
}

async fn list(ctx: &Context, ops: &dyn Ops, args: &FilterArgs) -> Result<()> {
    let page = ops
        .executions_poll(args.query(BTreeMap::new(), Unfinished::new()))
        .await?;
    if ctx.json {
        output::json(&page)?;
    } else {
        let rows: Vec<Vec<String>> = page.executions.iter().map(|e| row(e).to_vec()).collect();
        table(
            &[
                "STARTED (UTC)",
                "ENV",
                "ID",
                "WORKFLOW",
                "STATUS",
                "MODE",
                "DURATION",
            ],
            &rows,
        );
    }
    report_problems(&page.errors);
    if !page.errors.is_empty() {
        let envs: Vec<&str> = page.errors.iter().map(|p| p.env.as_str()).collect();
        bail!("could not poll {}", envs.join(", "));
    }
    Ok(())
}

/// Prints the latest executions, then each new one as it comes, oldest first like
/// `tail -f` (one JSON object a line with `--json`); a run is printed again when
/// it ends. A problem with an environment is told once, and again when it
/// changes or clears; executions a burst made it skip are told too.
async fn tail(ctx: &Context, ops: &dyn Ops, args: &FilterArgs, every: Duration) -> Result<()> {
    let mut cursors = BTreeMap::new();
    let mut unfinished = Unfinished::new();
    let mut problems: BTreeMap<String, String> = BTreeMap::new();
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // One listener for the whole run, so a Ctrl-C during a poll is not lost.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = &mut interrupted => return Ok(()),
        }
        let query = args.query(cursors.clone(), unfinished.clone());
        let page = tokio::select! {
            page = ops.executions_poll(query) => page?,
            _ = &mut interrupted => return Ok(()),
        };
        hold_unfinished(&mut unfinished, &page);
        for gap in &page.gaps {
            eprintln!("n8nops: {}: {}", gap.env, skipped(gap));
        }
        for e in page.executions.iter().rev() {
            if ctx.json {
                println!("{}", serde_json::to_string(e)?);
            } else {
                println!("{}", tail_line(e));
            }
        }
        cursors = page.cursors;
        let now: BTreeMap<String, String> = page
            .errors
            .into_iter()
            .map(|p| (p.env, p.message))
            .collect();
        for (env, message) in &now {
            if problems.get(env) != Some(message) {
                eprintln!("n8nops: {env}: {message}");
            }
        }
        for env in problems.keys().filter(|env| !now.contains_key(*env)) {
            eprintln!("n8nops: {env}: answering again");
        }
        problems = now;
    }
}

/// Keeps track of the executions shown unfinished, so the next poll asks about them.
fn hold_unfinished(unfinished: &mut Unfinished, page: &ExecutionsPage) {
    for e in &page.executions {
        let env = unfinished.entry(e.env.clone()).or_default();
        if e.unfinished() {
            env.insert(e.id.clone(), e.status.clone());
        } else {
            env.remove(&e.id);
        }
    }
    for gone in &page.gone {
        if let Some(env) = unfinished.get_mut(&gone.env) {
            env.remove(&gone.id);
        }
    }
    unfinished.retain(|_, held| !held.is_empty());
}

/// `up to 1200 older executions skipped (ids 101 to 1301): too many at once`
fn skipped(gap: &ExecutionGap) -> String {
    let count = gap.at_most.map_or_else(
        || "older executions".into(),
        |n| format!("up to {n} older executions"),
    );
    format!(
        "{count} skipped (ids after {} to {}): too many at once",
        gap.after, gap.until
    )
}

fn row(e: &ExecutionView) -> [String; 7] {
    [
        e.started_at
            .map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
        e.env.clone(),
        e.id.clone(),
        workflow_label(e),
        e.status.clone(),
        e.mode.clone().unwrap_or_else(|| "-".into()),
        e.duration_ms().map_or_else(|| "-".into(), short_duration),
    ]
}

/// A row of `tail`, in columns wide enough for most values (no header: it scrolls).
fn tail_line(e: &ExecutionView) -> String {
    let [started, env, id, workflow, status, mode, duration] = row(e);
    format!("{started:<19}  {env:<12}  {id:>8}  {workflow:<36}  {status:<8}  {mode:<8}  {duration}")
}

/// The workflow's name where the store knows it, else its id.
fn workflow_label(e: &ExecutionView) -> String {
    match (&e.workflow_name, &e.workflow_id) {
        (Some(name), _) => name.clone(),
        (None, Some(id)) => format!("({id})"),
        (None, None) => "-".into(),
    }
}

fn report_problems(problems: &[EnvProblem]) {
    for p in problems {
        eprintln!("n8nops: {}: {}", p.env, p.message);
    }
}

fn print_detail(d: &ExecutionDetail) {
    let e = &d.execution;
    println!("execution {} in {}: {}", e.id, e.env, e.status);
    println!("workflow:   {}", workflow_label(e));
    println!("mode:       {}", e.mode.as_deref().unwrap_or("-"));
    let started = e
        .started_at
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string());
    println!("started:    {}", started.as_deref().unwrap_or("-"));
    println!(
        "duration:   {}",
        e.duration_ms().map_or_else(|| "-".into(), short_duration)
    );
    if let Some(original) = &e.retry_of {
        println!("retry of:   {original}");
    }
    if let Some(node) = &d.failing_node {
        println!("failed at:  {node}");
    }
    if let Some(message) = &d.error_message {
        println!("error:      {message}");
    }
    if d.nodes.is_empty() {
        return;
    }
    println!();
    let rows: Vec<Vec<String>> = d
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            vec![
                (i + 1).to_string(),
                n.node.clone(),
                n.status.clone(),
                n.duration_ms.map_or_else(|| "-".into(), short_duration),
                n.items.map_or_else(|| "-".into(), |i| i.to_string()),
            ]
        })
        .collect();
    table(&["#", "NODE", "STATUS", "TIME", "ITEMS"], &rows);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(env: &str, id: &str, status: &str) -> ExecutionView {
        ExecutionView {
            env: env.into(),
            id: id.into(),
            workflow_id: None,
            workflow_name: None,
            status: status.into(),
            mode: None,
            started_at: None,
            stopped_at: None,
            retry_of: None,
        }
    }

    fn page(executions: Vec<ExecutionView>, gone: Vec<ExecutionRef>) -> ExecutionsPage {
        ExecutionsPage {
            executions,
            cursors: BTreeMap::new(),
            errors: Vec::new(),
            gaps: Vec::new(),
            gone,
        }
    }

    #[test]
    fn tail_follows_what_it_showed_unfinished() {
        let mut held = Unfinished::new();
        let first = page(
            vec![
                exec("dev", "7", "running"),
                exec("dev", "8", "success"),
                exec("prod", "3", "waiting"),
            ],
            Vec::new(),
        );
        hold_unfinished(&mut held, &first);
        assert_eq!(held["dev"].get("7").map(String::as_str), Some("running"));
        assert_eq!(held["prod"].get("3").map(String::as_str), Some("waiting"));
        assert!(!held["dev"].contains_key("8"));

        let gone = ExecutionRef {
            env: "prod".into(),
            id: "3".into(),
        };
        hold_unfinished(
            &mut held,
            &page(vec![exec("dev", "7", "error")], vec![gone]),
        );
        assert!(held.is_empty(), "{held:?}");
    }

    #[test]
    fn skipped_bursts_say_how_many_at_most() {
        let gap = ExecutionGap {
            env: "prod".into(),
            after: "100".into(),
            until: "340".into(),
            at_most: Some(240),
        };
        assert_eq!(
            skipped(&gap),
            "up to 240 older executions skipped (ids after 100 to 340): too many at once"
        );
    }
}
