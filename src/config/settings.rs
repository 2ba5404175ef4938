//! The TOML configuration. Every key is optional; config.example.toml documents them all.

use crate::store::Backend;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "no home directory found: set --config and --data-dir (or N8NOPS_CONFIG and N8NOPS_DATA_DIR)"
    )]
    NoHome,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Who the audit log names for actions taken from this machine (default: $USER).
    pub actor: Option<String>,
    /// Where data lives when neither --data-dir nor N8NOPS_DATA_DIR says.
    pub data_dir: Option<PathBuf>,
    pub store: StoreConfig,
    pub n8n: N8nConfig,
    pub sync: SyncConfig,
    pub log: LogConfig,
    pub tui: TuiConfig,
    /// The canonical state's Git repository.
    pub git: GitConfig,
    /// Scheduled drift checks.
    pub drift: DriftConfig,
    /// Key overrides: action name -> keys, e.g. `quit = ["q", "ctrl-c"]`.
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
    /// Per environment class: what workflow operations may do.
    pub policy: crate::domain::policy::Policy,
    /// Promotion pipelines (`[[pipelines]]`); none by default.
    pub pipelines: Vec<crate::domain::pipeline::Pipeline>,
    /// Incidents: policy, notifications, who may edit the policy.
    pub incidents: IncidentsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    pub backend: Backend,
    /// PostgreSQL URL when backend = "postgres" (N8NOPS_DATABASE_URL overrides it).
    pub url: Option<String>,
    /// SQLite file; default: n8nops.db in the data dir.
    pub sqlite_path: Option<PathBuf>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: Backend::Sqlite,
            url: None,
            sqlite_path: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct N8nConfig {
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Requests in flight at once per instance.
    pub max_concurrency: usize,
    /// Writes in flight at once per instance (n8n on its legacy single-connection
    /// SQLite needs 1; pooled SQLite and PostgreSQL take more).
    pub max_concurrent_writes: usize,
    /// Retries of idempotent requests on 429, 5xx and transport errors.
    pub max_retries: u32,
}

impl Default for N8nConfig {
    fn default() -> Self {
        N8nConfig {
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_concurrency: 4,
            max_concurrent_writes: 1,
            max_retries: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Environments synced at once.
    pub concurrency: usize,
    /// Most recent executions fetched per environment by a sync.
    pub executions_limit: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            concurrency: 4,
            executions_limit: 250,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Level for the log file when neither -v nor RUST_LOG says: error, warn, info, debug, trace.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// A theme in themes/ (dark, light, high-contrast) or a path to a theme file.
    pub theme: String,
    /// Seconds between connection checks of every environment.
    pub heartbeat_secs: u64,
    /// Seconds between polls of each environment's executions in the tail.
    pub executions_poll_secs: u64,
    /// Executions the tail keeps in memory; older ones drop off.
    pub executions_buffer: usize,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            theme: "dark".into(),
            heartbeat_secs: 5,
            executions_poll_secs: 3,
            executions_buffer: 2000,
        }
    }
}

/// `[incidents]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentsConfig {
    /// Seconds between sweeps: SLA breaches and escalations, acknowledgement timeouts,
    /// failing-execution thresholds, retention, and due notifications.
    pub sweep_secs: u64,
    /// Who may edit the incident policy from the TUI (actor names); empty: anyone who
    /// runs n8nops on this machine.
    pub admins: Vec<String>,
    /// Per environment class, the thresholds and retention (`[incidents.policy.production]`...).
    pub policy: crate::domain::incident::IncidentPolicy,
    /// Where notifications go (`[[incidents.webhooks]]`).
    pub webhooks: Vec<WebhookConfig>,
    /// Attempts per notification before it is given up (the first included).
    pub max_attempts: u32,
    /// The first retry waits this long; each next one twice as long.
    pub backoff_secs: u64,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig {
            sweep_secs: 60,
            admins: Vec::new(),
            policy: Default::default(),
            webhooks: Vec::new(),
            max_attempts: 6,
            backoff_secs: 10,
        }
    }
}

/// One notification target. Its Debug shows the URL's origin only (the path and query
/// of an incoming webhook are its token), so `Settings` may be logged.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// What the delivery records call it; unique among the webhooks.
    pub name: String,
    /// The incoming-webhook URL. It often holds a token: it is never logged or shown
    /// past its host.
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
}

impl WebhookConfig {
    /// `scheme://host[:port]` of the URL, or a placeholder when it does not parse:
    /// all that messages and logs may show of it.
    pub fn origin(&self) -> String {
        match reqwest::Url::parse(self.url.trim()) {
            Ok(u) => match (u.host_str(), u.port()) {
                (Some(host), Some(port)) => format!("{}://{host}:{port}", u.scheme()),
                (Some(host), None) => format!("{}://{host}", u.scheme()),
                (None, _) => format!("{}: URL", u.scheme()),
            },
            Err(_) => "an unparsable URL".to_owned(),
        }
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &format_args!("{}/***", self.origin()))
            .field("format", &self.format)
            .finish()
    }
}

/// The JSON body a webhook gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Slack's incoming-webhook JSON (`text` and `blocks`); Mattermost, Rocket.Chat
    /// and others accept it too.
    #[default]
    Slack,
    /// The incident and the event as plain JSON.
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitConfig {
    /// The local (bare) repository; default: canonical.git in the data dir.
    pub path: Option<PathBuf>,
    pub branch: String,
    /// A remote to push to (ssh or https URL, or a path); an environment's own
    /// `git_repo` is pushed to as well.
    pub remote: Option<String>,
    /// Push after every commit (a failed push is reported and retried on the next one).
    pub push: bool,
    /// SSH key file for ssh remotes; without it the ssh agent is asked.
    pub ssh_key: Option<PathBuf>,
    /// User name sent with the token on https remotes (the token itself is kept sealed
    /// in the store: `n8nops git token`).
    pub username: String,
    /// The commits' author e-mail (the name is the actor).
    pub author_email: String,
}

impl Default for GitConfig {
    fn default() -> Self {
        GitConfig {
            path: None,
            branch: "main".into(),
            remote: None,
            push: true,
            ssh_key: None,
            username: "git".into(),
            author_email: "n8nops@localhost".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftConfig {
    /// Minutes between scheduled checks of each environment, per class; 0 turns the
    /// schedule off for that class. The schedule runs while the TUI (or server) runs.
    pub development_mins: u64,
    pub staging_mins: u64,
    pub production_mins: u64,
    /// Each interval is moved by up to this share of itself, at random, so that
    /// environments are not all checked at once (0.0 to 0.5).
    pub jitter: f64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            development_mins: 0,
            staging_mins: 60,
            production_mins: 15,
            jitter: 0.1,
        }
    }
}

impl Config {
    /// Reads the file when it exists; a missing file means every default.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if self.n8n.max_concurrency == 0 || self.n8n.max_concurrent_writes == 0 {
            return Err(
                "n8n.max_concurrency and n8n.max_concurrent_writes must be at least 1".into(),
            );
        }
        if self.sync.concurrency == 0 {
            return Err("sync.concurrency must be at least 1".into());
        }
        if self.n8n.timeout_secs == 0 || self.n8n.connect_timeout_secs == 0 {
            return Err("n8n timeouts must be at least 1 second".into());
        }
        if self.tui.heartbeat_secs == 0 || self.tui.executions_poll_secs == 0 {
            return Err(
                "tui.heartbeat_secs and tui.executions_poll_secs must be at least 1".into(),
            );
        }
        if self.tui.executions_buffer == 0 {
            return Err("tui.executions_buffer must be at least 1".into());
        }
        if !(0.0..=0.5).contains(&self.drift.jitter) {
            return Err("drift.jitter must be between 0.0 and 0.5".into());
        }
        if self.git.branch.trim().is_empty() {
            return Err("git.branch must not be empty".into());
        }
        self.incidents
            .policy
            .validate()
            .map_err(|e| format!("incidents.policy: {e}"))?;
        if self.incidents.sweep_secs == 0 || self.incidents.max_attempts == 0 {
            return Err(
                "incidents.sweep_secs and incidents.max_attempts must be at least 1".into(),
            );
        }
        let hooks = &self.incidents.webhooks;
        for (i, w) in hooks.iter().enumerate() {
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                return Err(format!(
                    "incidents.webhooks '{}': the url must start with http:// or https://",
                    w.name
                ));
            }
            // Deliveries name their webhook: two of one name would share them.
            if hooks[..i].iter().any(|other| other.name == w.name) {
                return Err(format!(
                    "incidents.webhooks: two webhooks are named '{}': give each its own name",
                    w.name
                ));
            }
        }
        crate::domain::pipeline::validate_pipelines(&self.pipelines)
            .map_err(|e| format!("pipelines: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::{Activation, Gates, Validation};

    #[test]
    fn the_example_config_parses_and_matches_the_defaults_it_documents() {
        let text = include_str!("../../config.example.toml");
        let parsed = Config::parse(text, Path::new("config.example.toml")).unwrap();
        assert_eq!(
            parsed,
            Config::default(),
            "config.example.toml must show the defaults"
        );
    }

    #[test]
    fn every_commented_example_key_is_a_real_key() {
        // `# key = value` lines are the optional keys, `# [table]` and `# [[table]]`
        // lines the headers of commented examples; uncommented they must parse.
        let is_header = |rest: &str| {
            let name = rest.trim_start_matches('[').trim_end_matches(']');
            rest.starts_with('[')
                && rest.ends_with(']')
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        let text: String = include_str!("../../config.example.toml")
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if is_header(rest)
                        || rest
                            .split_once(" = ")
                            .is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let parsed = Config::parse(&text, Path::new("config.example.toml")).unwrap();
        assert!(parsed.actor.is_some() && parsed.data_dir.is_some());
        assert!(parsed.store.url.is_some() && parsed.store.sqlite_path.is_some());
        assert!(parsed.git.path.is_some() && parsed.git.remote.is_some());
        assert!(parsed.git.ssh_key.is_some());
        // The commented pipeline example: every part of it present.
        let release = parsed
            .pipelines
            .iter()
            .find(|p| p.name == "release")
            .expect("the example pipeline 'release'");
        assert_eq!(release.stages.len(), 2);
        let prod = &release.stages[1];
        assert_eq!(prod.activation, Activation::FollowSource);
        assert!(prod.gates.approvals > 0 && !prod.credentials.is_empty());
        let windows = prod.gates.windows.as_ref().expect("windows");
        assert!(!windows.allow.is_empty() && !windows.deny.is_empty());
        assert!(matches!(
            prod.gates.validation,
            Some(Validation::Command { .. })
        ));
        let http = release.stages[0].gates.validation.as_ref();
        assert!(matches!(http, Some(Validation::Http { .. })), "{http:?}");
    }

    #[test]
    fn a_config_with_pipelines_round_trips_through_toml() {
        let text = "[[pipelines]]
name = \"release\"
description = \"to production\"

[[pipelines.stages]]
from = \"staging\"
to = \"production\"
activation = \"follow_source\"

[pipelines.stages.credentials]
\"slackApi:dev-alerts\" = \"prod-alerts\"

[pipelines.stages.gates]
approvals = 1

[pipelines.stages.gates.windows]
timezone = \"UTC\"
deny = [\"* * * * sat,sun\"]

[pipelines.stages.gates.validation]
kind = \"command\"
command = [\"./smoke.sh\"]

[[pipelines]]
name = \"hotfix\"

[[pipelines.stages]]
from = \"development\"
to = \"production\"
";
        let parsed = Config::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(parsed.pipelines.len(), 2);
        let stage = &parsed.pipelines[0].stages[0];
        assert!(
            stage.gates.drift && stage.gates.credentials,
            "defaults kept"
        );
        assert_eq!(stage.gates.approvals, 1);
        assert_eq!(parsed.pipelines[1].stages[0].gates, Gates::default());
        let again = toml::to_string(&parsed).unwrap();
        assert_eq!(Config::parse(&again, Path::new("c.toml")).unwrap(), parsed);
    }

    #[test]
    fn a_zero_ttl_is_refused_naming_its_key() {
        let err = Config::parse(
            "[incidents.policy.production.ttl_hours]\ncritical = 0\n",
            Path::new("/etc/n8nops.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/etc/n8nops.toml") && err.contains("production.ttl_hours.critical"),
            "{err}"
        );
    }

    #[test]
    fn invalid_pipelines_are_refused_naming_the_pipeline() {
        let path = Path::new("/etc/n8nops.toml");
        let err = Config::parse(
            "[[pipelines]]\nname = \"release\"\n[[pipelines.stages]]\nfrom = \"prod\"\nto = \"prod\"\n",
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/etc/n8nops.toml")
                && err.contains("pipeline 'release', stage 1 (prod -> prod)"),
            "{err}"
        );
        let err = Config::parse(
            "[[pipelines]]\nname = \"r\"\n[[pipelines.stages]]\nfrom = \"a\"\nto = \"b\"\n[pipelines.stages.gates.windows]\ntimezone = \"UTC\"\nallow = [\"* * * *\"]\n",
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("pipeline 'r'") && err.contains("'* * * *'"),
            "{err}"
        );
        let err = Config::parse(
            "[[pipelines]]\nname = \"r\"\n[[pipelines.stages]]\nfrom = \"a\"\nto = \"b\"\nactivation = \"always\"\n",
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("activation") || err.contains("always"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let path = Path::new("/etc/n8nops.toml");
        let err = Config::parse("[n8n]\ntimeout_secs = \"soon\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/etc/n8nops.toml") && err.contains("timeout_secs"),
            "{err}"
        );
        let err = Config::parse("[sync]\nconcurency = 2\n", path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("concurency"), "{err}");
        let err = Config::parse("[n8n]\nmax_concurrency = 0\n", path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_concurrency"), "{err}");
    }

    #[test]
    fn two_webhooks_of_one_name_are_refused_naming_it() {
        let path = Path::new("/etc/n8nops.toml");
        let hooks = "[[incidents.webhooks]]\nname = \"on-call\"\nurl = \"https://a.example/x\"\n\
             [[incidents.webhooks]]\nname = \"team\"\nurl = \"https://b.example/y\"\n";
        assert!(Config::parse(hooks, path).is_ok());
        let twice = format!(
            "{hooks}[[incidents.webhooks]]\nname = \"on-call\"\nurl = \"https://c.example/z\"\nformat = \"json\"\n"
        );
        let err = Config::parse(&twice, path).unwrap_err().to_string();
        assert!(
            err.contains("/etc/n8nops.toml") && err.contains("two webhooks are named 'on-call'"),
            "{err}"
        );
    }

    #[test]
    fn a_webhook_shows_only_its_origin_when_debugged() {
        let hook = WebhookConfig {
            name: "on-call".into(),
            url: "https://bot:pw@hooks.slack.com:8443/services/T0/B0/SECRET?token=abc".into(),
            format: WebhookFormat::Slack,
        };
        assert_eq!(hook.origin(), "https://hooks.slack.com:8443");
        let config = Config {
            incidents: IncidentsConfig {
                webhooks: vec![hook],
                ..IncidentsConfig::default()
            },
            ..Config::default()
        };
        for text in [format!("{config:?}"), format!("{config:#?}")] {
            assert!(text.contains("https://hooks.slack.com:8443/***"), "{text}");
            assert!(text.contains("on-call") && text.contains("Slack"), "{text}");
            for secret in ["SECRET", "token", "services", "bot", "pw@"] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
        let bad = WebhookConfig {
            name: "bad".into(),
            url: "not a url/SECRET".into(),
            format: WebhookFormat::Json,
        };
        assert_eq!(bad.origin(), "an unparsable URL");
        assert!(!format!("{bad:?}").contains("SECRET"));
        let plain = WebhookConfig {
            url: "http://127.0.0.1/hook".into(),
            ..bad
        };
        assert_eq!(plain.origin(), "http://127.0.0.1");
    }

    #[test]
    fn a_missing_file_means_defaults() {
        assert_eq!(
            Config::load(Path::new("/nonexistent/n8nops.toml")).unwrap(),
            Config::default()
        );
    }
}
