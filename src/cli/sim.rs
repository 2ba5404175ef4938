//! `n8nops sim serve`: a simulated n8n public API on loopback.

use super::args::{SimCommand, SimServeArgs};
use crate::sim::{self, SimOptions};
use anyhow::{Context as _, Result};

pub async fn run(cmd: SimCommand) -> Result<()> {
    let SimCommand::Serve(args) = cmd;
    serve(args).await
}

async fn serve(args: SimServeArgs) -> Result<()> {
    let api_key = match &args.api_key_env {
        Some(var) => std::env::var(var)
            .with_context(|| format!("--api-key-env {var}: that variable is not set"))?,
        // The simulator's default key, printed below.
        None => SimOptions::default().api_key,
    };
    let workflows = match &args.seed_from {
        Some(dir) => {
            let report = sim::load_seed_dir(dir)?;
            for (file, reason) in &report.rejected {
                eprintln!("skipped {}: {reason}", file.display());
            }
            report.workflows
        }
        None => sim::generator::generate(args.seed, args.workflows),
    };
    let count = workflows.len();
    let opts = SimOptions {
        api_key: api_key.clone(),
        seed: args.seed,
        workflows,
        executions_per_minute: args.executions_per_minute,
        ..SimOptions::default()
    };
    eprintln!(
        "simulated n8n with {count} workflows on http://127.0.0.1:{} (Ctrl-C to stop)",
        args.port
    );
    if args.api_key_env.is_none() {
        eprintln!("API key: {api_key}");
    }
    sim::serve(args.port, opts).await?;
    Ok(())
}
