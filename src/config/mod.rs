//! Configuration (a TOML file) and the paths n8nops uses.

mod paths;
mod settings;

pub use paths::{Paths, Source};
pub use settings::{
    Config, ConfigError, DriftConfig, GitConfig, IncidentsConfig, LogConfig, N8nConfig,
    StoreConfig, SyncConfig, WebhookConfig, WebhookFormat,
};
