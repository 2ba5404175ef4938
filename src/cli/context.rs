//! From flags and config to a running `LocalOps`: the wiring every face shares.

use super::args::Cli;
use crate::config::{Config, Paths};
use crate::service::{LocalOps, Settings};
use crate::store::sealed::KeySource;
use crate::store::{Backend, SecretBox, Store, redact_url};
use anyhow::{Context as _, Result, bail};
use std::path::PathBuf;

pub const DATABASE_URL_ENV: &str = "N8NOPS_DATABASE_URL";

pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub json: bool,
    pub verbose: u8,
    /// `--readonly`: the service refuses every change, whichever verb asks.
    pub readonly: bool,
}

/// Where the store lives, resolved.
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Context {
    pub fn load(cli: &Cli) -> Result<Context> {
        let (config_file, config_source) = Paths::config_file(cli.config.as_deref())?;
        let config = Config::load(&config_file)?;
        let paths = Paths::resolve(
            config_file,
            config_source,
            cli.data_dir.as_deref(),
            config.data_dir.as_deref(),
        )?;
        Ok(Context {
            paths,
            config,
            json: cli.json,
            verbose: cli.verbose,
            readonly: cli.readonly,
        })
    }

    pub fn store_location(&self) -> Result<StoreLocation> {
        if let Some(url) = std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|u| !u.is_empty())
        {
            return Ok(StoreLocation::Postgres(url));
        }
        match self.config.store.backend {
            Backend::Sqlite => Ok(StoreLocation::Sqlite(
                self.config
                    .store
                    .sqlite_path
                    .clone()
                    .unwrap_or_else(|| self.paths.sqlite_file()),
            )),
            Backend::Postgres => match &self.config.store.url {
                Some(url) => Ok(StoreLocation::Postgres(url.clone())),
                None => bail!(
                    "{}: store.backend is \"postgres\" but neither store.url nor {DATABASE_URL_ENV} gives a URL",
                    self.paths.config_file.display()
                ),
            },
        }
    }

    pub fn describe_store(&self) -> Result<String> {
        Ok(match self.store_location()? {
            StoreLocation::Sqlite(p) => format!("sqlite {}", p.display()),
            StoreLocation::Postgres(url) => format!("postgres {}", redact_url(&url)),
        })
    }

    pub fn secrets(&self) -> Result<(SecretBox, KeySource)> {
        Ok(SecretBox::load_or_create(&self.paths.key_file())?)
    }

    pub async fn open_store(&self) -> Result<Store> {
        let (secrets, _) = self.secrets()?;
        let store = match self.store_location()? {
            StoreLocation::Sqlite(path) => Store::open_sqlite(&path, secrets).await?,
            StoreLocation::Postgres(url) => Store::open_postgres(&url, secrets).await?,
        };
        Ok(store)
    }

    pub async fn open_ops(&self) -> Result<LocalOps> {
        let store = self.open_store().await.context("opening the store")?;
        let mut settings = Settings {
            readonly: self.readonly,
            ..Settings::from_config(&self.config)
        };
        if settings.git.path.is_none() {
            settings.git.path = Some(self.paths.data_dir.join("canonical.git"));
        }
        Ok(LocalOps::new(store, settings).await?)
    }
}
