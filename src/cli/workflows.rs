//! `n8nops workflows ...`

use super::args::{WorkflowsCommand, WorkflowsListArgs};
use super::context::Context;
use super::output::{self, table};
use crate::service::{Ops, WorkflowQuery, WorkflowRef};
use anyhow::Result;

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: WorkflowsCommand) -> Result<()> {
    match cmd {
        WorkflowsCommand::List(args) => list(ctx, ops, args).await,
        WorkflowsCommand::Show { env, id } => {
            let detail = ops.workflow_get(WorkflowRef { env, id }).await?;
            if ctx.json {
                return output::json(&detail);
            }
            let s = &detail.summary;
            println!("{} ({} in {})", s.name, s.id, s.env);
            println!("active:       {}", s.active);
            println!("tags:         {}", s.tags.join(", "));
            println!("nodes:        {}", s.nodes);
            println!("fingerprint:  {}", s.fingerprint);
            println!("updated:      {}", s.updated_at.as_deref().unwrap_or("-"));
            println!("node types:   {}", detail.node_types.join(", "));
            for c in &detail.credentials {
                println!("credential:   {} ({})", c.name, c.cred_type);
            }
            Ok(())
        }
    }
}

async fn list(ctx: &Context, ops: &dyn Ops, args: WorkflowsListArgs) -> Result<()> {
    let active = match (args.active, args.inactive) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let list = ops
        .workflows_list(WorkflowQuery {
            env: args.env,
            search: args.search,
            tag: args.tag,
            active,
        })
        .await?;
    if ctx.json {
        return output::json(&list);
    }
    let rows = list
        .iter()
        .map(|w| {
            vec![
                w.env.clone(),
                w.id.clone(),
                w.name.clone(),
                if w.active { "yes".into() } else { "no".into() },
                w.nodes.to_string(),
                w.fingerprint[..12.min(w.fingerprint.len())].to_string(),
                w.tags.join(","),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &[
            "ENV",
            "ID",
            "NAME",
            "ACTIVE",
            "NODES",
            "FINGERPRINT",
            "TAGS",
        ],
        &rows,
    );
    eprintln!("{} workflows", list.len());
    Ok(())
}
