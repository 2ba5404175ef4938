//! `n8nops approvals ...`: operations the policy holds until someone grants them.

use super::Context;
use crate::service::Ops;
use anyhow::{Result, bail};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Pending approvals
    #[command(alias = "ls")]
    List,
}

pub async fn run(_ctx: &Context, _ops: &dyn Ops, _cmd: ApprovalsCommand) -> Result<()> {
    bail!("approvals are not built yet")
}
