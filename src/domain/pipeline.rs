//! Promotion pipelines: named, ordered stages (source environment -> target
//! environment), each with its gates, activation policy and credential mapping.
//!
//! Stages need not form a chain: `development -> staging` then `staging -> production`
//! is the usual shape, but a fan-out (`staging -> prod-eu`, `staging -> prod-us`) is
//! allowed too. Within one pipeline a (from, to) pair appears once. Whether the named
//! environments exist is checked where they are known (the service), not here.

pub mod cron;
pub mod gates;
pub mod window;

pub use cron::{CronError, CronExpr};
pub use gates::{
    DriftFact, GateFacts, GateKind, GateResult, MissingCredential, ValidationOutcome, all_passed,
    approvals_gate, credentials_gate, drift_gate, evaluate_all, missing_credentials,
    validation_gate, windows_gate,
};
pub use window::{CompiledWindows, WindowDecision, WindowError, Windows};

use crate::domain::environment::validate_env_name;
use crate::domain::workflow::CredentialRef;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Source environment.
    pub from: String,
    /// Target environment.
    pub to: String,
    #[serde(default)]
    pub gates: Gates,
    #[serde(default)]
    pub activation: Activation,
    /// Source credential -> the target credential (its name, same type) to use instead.
    /// A key is `"type:name"` (e.g. `"slackApi:Dev alerts"`) or just `"name"`; the
    /// `type:name` key wins when both match. Credentials not mapped keep their name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, String>,
}

/// What a promoted workflow's active flag becomes in the target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Keep the target's state (a new workflow arrives inactive).
    #[default]
    KeepTarget,
    /// Take the source's state.
    FollowSource,
}

/// A stage's gates. Omitted, drift and credential checks are on and the rest off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gates {
    /// The target must be IN_SYNC, or the drifted workflows acknowledged.
    pub drift: bool,
    /// Every credential the workflows use exists in the target (by type and mapped or
    /// same name).
    pub credentials: bool,
    /// Approvals needed from users other than the requester; 0 = none.
    pub approvals: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<Windows>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
}

impl Default for Gates {
    fn default() -> Self {
        Gates {
            drift: true,
            credentials: true,
            approvals: 0,
            windows: None,
            validation: None,
        }
    }
}

/// A custom check run before deploying; the service runs it, its exit code or HTTP
/// status decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Validation {
    /// A program and its arguments (no shell); passes on exit code 0.
    Command {
        command: Vec<String>,
        #[serde(default = "default_timeout_secs")]
        timeout_secs: u64,
    },
    /// An HTTP request; passes when the status is `expect_status`.
    Http {
        url: String,
        #[serde(default = "default_method")]
        method: String,
        #[serde(default = "default_expect_status")]
        expect_status: u16,
        #[serde(default = "default_timeout_secs")]
        timeout_secs: u64,
    },
}

fn default_timeout_secs() -> u64 {
    30
}
fn default_method() -> String {
    "GET".into()
}
fn default_expect_status() -> u16 {
    200
}

const HTTP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl Validation {
    pub fn timeout_secs(&self) -> u64 {
        match self {
            Validation::Command { timeout_secs, .. } | Validation::Http { timeout_secs, .. } => {
                *timeout_secs
            }
        }
    }

    /// A short description for gate details: `command 'x y'`, `GET https://...`.
    pub fn describe(&self) -> String {
        match self {
            Validation::Command { command, .. } => format!("command '{}'", command.join(" ")),
            Validation::Http { url, method, .. } => format!("{method} {}", without_userinfo(url)),
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.timeout_secs() == 0 {
            return Err("validation timeout_secs must be at least 1".into());
        }
        match self {
            Validation::Command { command, .. } => {
                if command.first().is_none_or(|c| c.trim().is_empty()) {
                    return Err("validation command must name a program".into());
                }
            }
            Validation::Http {
                url,
                method,
                expect_status,
                ..
            } => {
                if !(url.starts_with("http://") || url.starts_with("https://"))
                    || url
                        .split_once("://")
                        .is_some_and(|(_, rest)| rest.is_empty())
                {
                    return Err(format!("validation url '{url}' must be an http(s) URL"));
                }
                if !HTTP_METHODS.contains(&method.as_str()) {
                    return Err(format!(
                        "validation method '{method}' must be one of {}",
                        HTTP_METHODS.join(", ")
                    ));
                }
                if !(100..=599).contains(expect_status) {
                    return Err(format!(
                        "validation expect_status {expect_status} is not an HTTP status"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `url` without its `user:password@`, so a description never shows a secret.
pub fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

impl Stage {
    /// "from -> to", how errors and lists name a stage.
    pub fn label(&self) -> String {
        format!("{} -> {}", self.from, self.to)
    }

    /// The name of the target credential to use for a source credential: the mapping's
    /// `type:name` entry, else its `name` entry, else the same name.
    pub fn target_credential_name<'a>(&'a self, source: &'a CredentialRef) -> &'a str {
        self.credentials
            .get(&format!("{}:{}", source.cred_type, source.name))
            .or_else(|| self.credentials.get(&source.name))
            .map(String::as_str)
            .unwrap_or(&source.name)
    }
}

/// A pipeline that does not hold together; names the pipeline and, where it is one,
/// the stage (its 1-based position and `from -> to`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PipelineError {
    #[error("a pipeline has an empty name")]
    EmptyName,
    #[error("pipeline '{0}' is defined more than once")]
    Duplicate(String),
    #[error("pipeline '{0}' has no stages")]
    NoStages(String),
    #[error("pipeline '{pipeline}', stage {index} ({stage}): {message}")]
    Stage {
        pipeline: String,
        index: usize,
        stage: String,
        message: String,
    },
}

impl Pipeline {
    /// Finds a stage by source and target.
    pub fn stage(&self, from: &str, to: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.from == from && s.to == to)
    }

    pub fn validate(&self) -> Result<(), PipelineError> {
        if self.name.trim().is_empty() {
            return Err(PipelineError::EmptyName);
        }
        if self.stages.is_empty() {
            return Err(PipelineError::NoStages(self.name.clone()));
        }
        let mut pairs = BTreeSet::new();
        for (i, stage) in self.stages.iter().enumerate() {
            let err = |message: String| PipelineError::Stage {
                pipeline: self.name.clone(),
                index: i + 1,
                stage: stage.label(),
                message,
            };
            validate_env_name(&stage.from).map_err(|m| err(format!("from: {m}")))?;
            validate_env_name(&stage.to).map_err(|m| err(format!("to: {m}")))?;
            if stage.from == stage.to {
                return Err(err("from and to are the same environment".into()));
            }
            if !pairs.insert((&stage.from, &stage.to)) {
                return Err(err("the same from -> to appears twice".into()));
            }
            if let Some((k, _)) = stage
                .credentials
                .iter()
                .find(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
            {
                return Err(err(format!(
                    "credential mapping '{k}' has an empty source or target name"
                )));
            }
            if let Some(w) = &stage.gates.windows {
                w.compile().map_err(|e| err(format!("windows: {e}")))?;
            }
            if let Some(v) = &stage.gates.validation {
                v.check().map_err(err)?;
            }
        }
        Ok(())
    }
}

/// Validates each pipeline and that no two share a name.
pub fn validate_pipelines(pipelines: &[Pipeline]) -> Result<(), PipelineError> {
    let mut names = BTreeSet::new();
    for p in pipelines {
        p.validate()?;
        if !names.insert(p.name.as_str()) {
            return Err(PipelineError::Duplicate(p.name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
