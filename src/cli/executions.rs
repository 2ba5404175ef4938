//! `n8nops executions ...`: executions polled live from the environments.

use super::Context;
use crate::service::Ops;
use anyhow::{Result, bail};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ExecutionsCommand {
    /// Recent executions across environments, newest first
    #[command(alias = "ls")]
    List,
}

pub async fn run(_ctx: &Context, _ops: &dyn Ops, _cmd: ExecutionsCommand) -> Result<()> {
    bail!("executions are not built yet")
}
