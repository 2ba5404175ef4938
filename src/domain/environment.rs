//! Environments: their class and the rules for their names and URLs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an environment is for; production is treated with the most care everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvClass {
    Development,
    Staging,
    Production,
}

impl EnvClass {
    pub const ALL: [EnvClass; 3] = [
        EnvClass::Development,
        EnvClass::Staging,
        EnvClass::Production,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnvClass::Development => "development",
            EnvClass::Staging => "staging",
            EnvClass::Production => "production",
        }
    }
}

impl fmt::Display for EnvClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EnvClass {
    type Err = String;

    /// Accepts the full names and the usual short forms (dev, stage, prod).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(EnvClass::Development),
            "staging" | "stage" | "stg" => Ok(EnvClass::Staging),
            "production" | "prod" => Ok(EnvClass::Production),
            other => Err(format!(
                "unknown environment class '{other}': expected development, staging or production"
            )),
        }
    }
}

/// Checks an environment name: 1-63 characters, letters, digits, `-`, `_` and `.`,
/// starting with a letter or digit (it is used in commands, file names and Git refs).
pub fn validate_env_name(name: &str) -> Result<(), String> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 63 || !valid_chars || !starts_well {
        return Err(format!(
            "invalid environment name '{name}': use 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit"
        ));
    }
    Ok(())
}

/// Checks and tidies a base URL: http(s), a host, no query; a trailing `/` or a pasted
/// `/api/v1` suffix is removed.
pub fn normalize_base_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim();
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("invalid URL '{trimmed}': it must start with http:// or https://")
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("invalid URL '{trimmed}': it has no host"));
    }
    if rest.contains('?') || rest.contains('#') {
        return Err(format!(
            "invalid URL '{trimmed}': remove the query or fragment"
        ));
    }
    let mut base = trimmed.trim_end_matches('/').to_string();
    for suffix in ["/api/v1", "/api"] {
        if let Some(stripped) = base.strip_suffix(suffix) {
            base = stripped.trim_end_matches('/').to_string();
        }
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_parse_long_and_short_forms() {
        assert_eq!("prod".parse::<EnvClass>(), Ok(EnvClass::Production));
        assert_eq!("Staging".parse::<EnvClass>(), Ok(EnvClass::Staging));
        assert_eq!("dev".parse::<EnvClass>(), Ok(EnvClass::Development));
        assert!("qa".parse::<EnvClass>().unwrap_err().contains("'qa'"));
    }

    #[test]
    fn names_are_checked() {
        assert!(validate_env_name("prod-eu.1").is_ok());
        for bad in ["", "-x", "a b", "a/b", &"x".repeat(64)] {
            assert!(validate_env_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn urls_are_tidied_and_checked() {
        assert_eq!(
            normalize_base_url("http://h:5678/").unwrap(),
            "http://h:5678"
        );
        assert_eq!(
            normalize_base_url("https://n8n.example/api/v1/").unwrap(),
            "https://n8n.example"
        );
        assert_eq!(
            normalize_base_url("https://x.test/n8n").unwrap(),
            "https://x.test/n8n"
        );
        assert!(
            normalize_base_url("ftp://h")
                .unwrap_err()
                .contains("http://")
        );
        assert!(
            normalize_base_url("http://")
                .unwrap_err()
                .contains("no host")
        );
        assert!(normalize_base_url("http://h/?a=1").is_err());
    }
}
