//! The command-line face: clap arguments turned into `Ops` calls. Exit codes: 0 ok,
//! 2 error (1 is kept for "differences found" with `--exit-code`: `diff`, `drift check`).

mod approvals;
mod args;
mod canonical;
mod context;
mod credentials;
mod demo;
mod deployments;
mod diff;
mod drift;
mod env;
mod executions;
mod follow;
mod git;
mod incidents;
mod info;
mod jobs;
mod logging;
mod output;
mod pipelines;
mod promote;
mod restore;
mod sim;
mod snapshot;
mod sync;
mod workflows;

pub use args::Cli;
pub use context::Context;

use args::Command;
use clap::Parser;
use std::process::ExitCode;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(
                json,
                &anyhow::anyhow!("cannot start the async runtime: {e}"),
            );
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // `--exit-code` found differences: reported, not an error.
        Err(e) if e.is::<diff::Differences>() => ExitCode::from(1),
        Err(e) => fail(json, &e),
    }
}

fn fail(json: bool, e: &anyhow::Error) -> ExitCode {
    tracing::error!("{e:#}");
    if json {
        eprintln!("{}", serde_json::json!({ "error": format!("{e:#}") }));
    } else {
        eprintln!("n8nops: {e:#}");
    }
    ExitCode::from(2)
}

async fn run(mut cli: Cli) -> anyhow::Result<()> {
    let Some(command) = cli.command.take() else {
        return tui(&cli).await;
    };
    // The simulator and the demo set up their own data; they need no config.
    match command {
        Command::Sim(cmd) => return sim::run(cmd).await,
        Command::Demo(args) => {
            return demo::run(cli.json, cli.verbose, cli.readonly, args).await;
        }
        // Two files need no store and no environment.
        Command::Diff(args) if args.files.is_some() => return diff::run_files(cli.json, args),
        _ => {}
    }
    let ctx = Context::load(&cli)?;
    logging::init(&ctx.paths.log_file(), ctx.verbose, &ctx.config.log.level);
    if let Command::Info = command {
        return info::run(&ctx);
    }
    let ops = ctx.open_ops().await?;
    let result = verb(&ctx, &ops, command).await;
    // No notifier runs in a CLI process: what this verb enqueued (an incident raised by
    // a drift check, an acknowledgement, an escalation of the sweep) goes out now, or
    // waits for the next n8nops process that sends. Nothing when it enqueued nothing.
    ops.flush_notifications(NOTIFY_BEFORE_EXIT).await;
    result
}

/// How long a verb's process waits at most for its notifications to be sent.
const NOTIFY_BEFORE_EXIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs one verb that works on the store.
async fn verb(
    ctx: &Context,
    ops: &crate::service::LocalOps,
    command: Command,
) -> anyhow::Result<()> {
    match command {
        Command::Env(cmd) => env::run(ctx, ops, cmd).await,
        Command::Sync(args) => sync::run(ctx, ops, args).await,
        Command::Workflows(cmd) => workflows::run(ctx, ops, cmd).await,
        Command::Jobs(cmd) => jobs::run_jobs(ctx, ops, cmd).await,
        Command::Audit(cmd) => jobs::run_audit(ctx, ops, cmd).await,
        Command::Approvals(cmd) => approvals::run(ctx, ops, cmd).await,
        Command::Executions(cmd) => executions::run(ctx, ops, cmd).await,
        Command::Diff(args) => diff::run(ctx, ops, args).await,
        Command::Snapshot(cmd) => snapshot::run(ctx, ops, cmd).await,
        Command::Restore(args) => restore::run(ctx, ops, args).await,
        Command::Untracked(cmd) => canonical::run_untracked(ctx, ops, cmd).await,
        Command::Onboard(args) => canonical::run_onboard(ctx, ops, args).await,
        Command::Backup(args) => canonical::run_backup(ctx, ops, args).await,
        Command::Drift(cmd) => drift::run(ctx, ops, cmd).await,
        Command::Reconcile(args) => canonical::run_reconcile(ctx, ops, args).await,
        Command::Git(cmd) => git::run(ctx, ops, cmd).await,
        Command::Pipelines(cmd) => pipelines::run(ctx, ops, cmd).await,
        Command::Credentials(cmd) => credentials::run(ctx, ops, cmd).await,
        Command::Promote(args) => promote::run(ctx, ops, args).await,
        Command::Deployments(cmd) => deployments::run(ctx, ops, cmd).await,
        Command::Incidents(cmd) => incidents::run(ctx, ops, cmd).await,
        Command::Info | Command::Sim(_) | Command::Demo(_) => Ok(()),
    }
}

/// The TUI draws on stdin/stdout; without a terminal there, say what to do instead.
fn require_terminal(instead: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the TUI needs a terminal; without one, {instead}");
    }
    Ok(())
}

/// What runs in the background while the TUI does (nothing in read-only mode: each
/// fetches, stores or sends): scheduled drift checks, interrupted deployments'
/// rollbacks and scheduled deployments, incident sweeps and notifications.
pub(crate) fn spawn_schedules(
    ops: &crate::service::LocalOps,
    readonly: bool,
) -> Vec<tokio::task::JoinHandle<()>> {
    if readonly {
        return Vec::new();
    }
    vec![
        ops.spawn_drift_schedule(),
        ops.spawn_deployment_schedule(),
        ops.spawn_incident_schedule(),
        ops.spawn_notifier(),
    ]
}

/// No verb: the TUI on the configured store.
async fn tui(cli: &Cli) -> anyhow::Result<()> {
    use anyhow::Context as _;
    require_terminal("use the verbs (`n8nops --help` lists them)")?;
    let ctx = Context::load(cli)?;
    logging::init(&ctx.paths.log_file(), ctx.verbose, &ctx.config.log.level);
    let options = crate::tui::TuiOptions::from_config(&ctx.config, cli.readonly)
        .with_context(|| format!("config file {}", ctx.paths.config_file.display()))?;
    let ops = ctx.open_ops().await?;
    let schedules = spawn_schedules(&ops, cli.readonly);
    let result = crate::tui::run(std::sync::Arc::new(ops), options).await;
    for schedule in schedules {
        schedule.abort();
    }
    result
}
