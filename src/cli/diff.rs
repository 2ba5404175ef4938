//! `n8nops diff`: semantic diff of workflows between environments or files.

use super::Context;
use crate::service::Ops;
use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct DiffArgs {}

pub async fn run(_ctx: &Context, _ops: &dyn Ops, _args: DiffArgs) -> Result<()> {
    bail!("diff is not built yet")
}
