//! Where n8nops keeps things: the config file in the XDG config dir and data (SQLite
//! file, master key, log) in the XDG data dir, each overridable by flag or variable.

use super::ConfigError;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub const CONFIG_ENV: &str = "N8NOPS_CONFIG";
pub const DATA_DIR_ENV: &str = "N8NOPS_DATA_DIR";

/// Where a path came from, for `n8nops info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Flag,
    Env,
    ConfigFile,
    Default,
}

#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    pub config_file: PathBuf,
    pub config_source: Source,
    pub data_dir: PathBuf,
    pub data_source: Source,
}

impl Paths {
    /// The config file: `--config`, else `N8NOPS_CONFIG`, else the XDG config dir.
    pub fn config_file(flag: Option<&Path>) -> Result<(PathBuf, Source), ConfigError> {
        if let Some(p) = flag {
            return Ok((p.to_owned(), Source::Flag));
        }
        if let Some(p) = env_path(CONFIG_ENV) {
            return Ok((p, Source::Env));
        }
        let dirs = project_dirs()?;
        Ok((dirs.config_dir().join("config.toml"), Source::Default))
    }

    /// The data dir: `--data-dir`, else `N8NOPS_DATA_DIR`, else the config's `data_dir`,
    /// else the XDG data dir.
    pub fn resolve(
        config_file: PathBuf,
        config_source: Source,
        data_flag: Option<&Path>,
        config_data_dir: Option<&Path>,
    ) -> Result<Paths, ConfigError> {
        let (data_dir, data_source) = if let Some(p) = data_flag {
            (p.to_owned(), Source::Flag)
        } else if let Some(p) = env_path(DATA_DIR_ENV) {
            (p, Source::Env)
        } else if let Some(p) = config_data_dir {
            (p.to_owned(), Source::ConfigFile)
        } else {
            (project_dirs()?.data_dir().to_owned(), Source::Default)
        };
        Ok(Paths {
            config_file,
            config_source,
            data_dir,
            data_source,
        })
    }

    pub fn sqlite_file(&self) -> PathBuf {
        self.data_dir.join("n8nops.db")
    }

    pub fn key_file(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("n8nops.log")
    }
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn project_dirs() -> Result<directories::ProjectDirs, ConfigError> {
    directories::ProjectDirs::from("", "", "n8nops").ok_or(ConfigError::NoHome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_config_file() {
        let p = Paths::resolve(
            "/c.toml".into(),
            Source::Flag,
            Some(Path::new("/flag")),
            Some(Path::new("/cfg")),
        )
        .unwrap();
        assert_eq!(
            (p.data_dir.as_path(), p.data_source),
            (Path::new("/flag"), Source::Flag)
        );
        assert_eq!(p.key_file(), Path::new("/flag/master.key"));
        assert_eq!(p.sqlite_file(), Path::new("/flag/n8nops.db"));
    }
}
