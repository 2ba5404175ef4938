//! `n8nops info`: every path and setting in use.

use super::context::Context;
use super::output;
use crate::store::sealed::MASTER_KEY_ENV;
use anyhow::Result;
use serde::Serialize;

#[derive(Serialize)]
struct Info {
    version: &'static str,
    config_file: String,
    config_file_exists: bool,
    config_source: crate::config::Source,
    data_dir: String,
    data_source: crate::config::Source,
    store: String,
    master_key: String,
    log_file: String,
}

pub fn run(ctx: &Context) -> Result<()> {
    let master_key = match std::env::var(MASTER_KEY_ENV) {
        Ok(_) => format!("from {MASTER_KEY_ENV}"),
        Err(_) => ctx.paths.key_file().display().to_string(),
    };
    let info = Info {
        version: env!("CARGO_PKG_VERSION"),
        config_file: ctx.paths.config_file.display().to_string(),
        config_file_exists: ctx.paths.config_file.exists(),
        config_source: ctx.paths.config_source,
        data_dir: ctx.paths.data_dir.display().to_string(),
        data_source: ctx.paths.data_source,
        store: ctx.describe_store()?,
        master_key,
        log_file: ctx.paths.log_file().display().to_string(),
    };
    if ctx.json {
        return output::json(&info);
    }
    let source = |s: crate::config::Source| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    println!("n8nops {}", info.version);
    println!(
        "config file:  {} ({}{})",
        info.config_file,
        source(info.config_source),
        if info.config_file_exists {
            ""
        } else {
            ", not present: defaults in use"
        }
    );
    println!(
        "data dir:     {} ({})",
        info.data_dir,
        source(info.data_source)
    );
    println!("store:        {}", info.store);
    println!("master key:   {}", info.master_key);
    println!("log file:     {}", info.log_file);
    Ok(())
}
