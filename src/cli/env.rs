//! `n8nops env ...`

use super::args::{EnvAddArgs, EnvCommand, EnvEditArgs};
use super::context::Context;
use super::output::{self, table};
use crate::service::{EnvAdd, EnvUpdate, EnvView, Ops, Secret};
use anyhow::{Context as _, Result, bail};
use std::io::{BufRead, IsTerminal, Write};

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: EnvCommand) -> Result<()> {
    match cmd {
        EnvCommand::Add(args) => add(ctx, ops, args).await,
        EnvCommand::Edit(args) => edit(ctx, ops, args).await,
        EnvCommand::List => {
            let envs = ops.env_list().await?;
            if ctx.json {
                return output::json(&envs);
            }
            if envs.is_empty() {
                println!(
                    "No environments yet. Add one with: n8nops env add NAME --url URL --class CLASS"
                );
                return Ok(());
            }
            let rows = envs
                .iter()
                .map(|e| {
                    vec![
                        e.name.clone(),
                        e.class.to_string(),
                        e.url.clone(),
                        format!("{} ({} active)", e.counts.workflows, e.counts.active),
                        output::time(e.last_sync_at),
                    ]
                })
                .collect::<Vec<_>>();
            table(&["NAME", "CLASS", "URL", "WORKFLOWS", "LAST SYNC"], &rows);
            Ok(())
        }
        EnvCommand::Show { name } => {
            let env = ops.env_show(name).await?;
            if ctx.json {
                return output::json(&env);
            }
            print_env(&env);
            Ok(())
        }
        EnvCommand::Test { name } => {
            let test = ops.env_test(name).await?;
            if ctx.json {
                output::json(&test)?;
            } else if test.ok {
                println!(
                    "{}: ok, n8n {} (API {}), credentials {}listable, {} ms",
                    test.env,
                    test.version.as_deref().unwrap_or("version unknown"),
                    test.api_generation.as_deref().unwrap_or("?"),
                    if test.can_list_credentials {
                        ""
                    } else {
                        "not "
                    },
                    test.latency_ms.unwrap_or_default()
                );
            }
            if !test.ok {
                bail!(
                    "{}",
                    test.message
                        .unwrap_or_else(|| format!("{}: connection test failed", test.env))
                );
            }
            Ok(())
        }
        EnvCommand::Rm { name, yes } => {
            if !yes {
                confirm_by_name(&name)?;
            }
            ops.env_remove(name.clone()).await?;
            if ctx.json {
                return output::json(&serde_json::json!({"removed": name}));
            }
            println!("Removed environment '{name}' and everything synced from it.");
            Ok(())
        }
        EnvCommand::Inventory { name } => {
            let inv = ops.env_inventory(name).await?;
            if ctx.json {
                return output::json(&inv);
            }
            println!(
                "{}: {} credentials, {} tags, {} users, {} executions",
                inv.env,
                inv.credentials.len(),
                inv.tags.len(),
                inv.users.len(),
                inv.executions.len()
            );
            let rows = inv
                .credentials
                .iter()
                .map(|c| {
                    vec![
                        c.cred_type.clone(),
                        c.name.clone(),
                        c.n8n_id.clone().unwrap_or_else(|| "-".into()),
                        c.source.clone(),
                        c.used_by.to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            if !rows.is_empty() {
                println!();
                table(&["TYPE", "CREDENTIAL", "ID", "SOURCE", "USED BY"], &rows);
            }
            Ok(())
        }
    }
}

async fn add(ctx: &Context, ops: &dyn Ops, args: EnvAddArgs) -> Result<()> {
    let class = args.class.parse().map_err(anyhow::Error::msg)?;
    let api_key = read_api_key(args.api_key_env.as_deref(), &args.name)?;
    let env = ops
        .env_add(EnvAdd {
            name: args.name,
            url: args.url,
            class,
            api_key,
            git_repo: args.git_repo,
            git_branch: args.git_branch,
        })
        .await?;
    if ctx.json {
        return output::json(&env);
    }
    println!(
        "Added {} ({}, {}). Next: n8nops env test {} && n8nops sync {}",
        env.name, env.class, env.url, env.name, env.name
    );
    Ok(())
}

async fn edit(ctx: &Context, ops: &dyn Ops, args: EnvEditArgs) -> Result<()> {
    let class = args
        .class
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let api_key = if args.api_key_env.is_some() || args.api_key_stdin {
        Some(read_api_key(args.api_key_env.as_deref(), &args.name)?)
    } else {
        None
    };
    let env = ops
        .env_update(EnvUpdate {
            name: args.name,
            url: args.url,
            class,
            api_key,
            git_repo: args.git_repo.map(Some),
            git_branch: args.git_branch.map(Some),
        })
        .await?;
    if ctx.json {
        return output::json(&env);
    }
    print_env(&env);
    Ok(())
}

fn print_env(e: &EnvView) {
    println!("name:         {}", e.name);
    println!("class:        {}", e.class);
    println!("url:          {}", e.url);
    println!("api key:      (stored encrypted)");
    println!(
        "git:          {} {}",
        e.git_repo.as_deref().unwrap_or("-"),
        e.git_branch.as_deref().unwrap_or("")
    );
    println!(
        "workflows:    {} ({} active)",
        e.counts.workflows, e.counts.active
    );
    println!(
        "inventory:    {} credentials, {} tags, {} users, {} executions",
        e.counts.credentials, e.counts.tags, e.counts.users, e.counts.executions
    );
    println!("last sync:    {}", output::time(e.last_sync_at));
    println!("created:      {}", output::time(Some(e.created_at)));
    println!("updated:      {}", output::time(Some(e.updated_at)));
}

/// The key from `--api-key-env VAR`, else from stdin (a no-echo prompt on a TTY).
/// Never from an argument: it would show in `ps`.
fn read_api_key(var: Option<&str>, env_name: &str) -> Result<Secret> {
    let key = match var {
        Some(var) => std::env::var(var)
            .with_context(|| format!("--api-key-env {var}: that variable is not set"))?,
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("API key for {env_name}: "))
                .context("reading the API key from the terminal")?
        }
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the API key from stdin")?;
            line
        }
    };
    let key = key.trim();
    if key.is_empty() {
        bail!("no API key given for {env_name}: pass --api-key-env VAR or type it on stdin");
    }
    Ok(Secret::new(key))
}

/// Removing an environment is destructive: the user types its name.
fn confirm_by_name(name: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to remove '{name}' without confirmation: pass --yes");
    }
    eprint!("This removes '{name}' and everything synced from it. Type its name to confirm: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != name {
        bail!("not confirmed: nothing removed");
    }
    Ok(())
}
