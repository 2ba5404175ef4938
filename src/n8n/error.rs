//! Typed errors of the n8n client. Each names the environment, the endpoint
//! (method and path, never the query) and, for HTTP answers, the status.
//!
//! Nothing here ever holds the API key: texts taken from the network are
//! scrubbed of it before they are stored (see `N8nClient::scrub`).

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};

/// The request an error is about: `GET /api/v1/workflows/42`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: Method,
    /// Path from the instance root, without the query string.
    pub path: String,
}

impl Endpoint {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum N8nError {
    #[error("{env}: invalid n8n URL {url:?}: {reason}")]
    InvalidUrl {
        env: String,
        url: String,
        reason: String,
    },

    #[error("{env}: invalid client configuration: {detail}")]
    Config { env: String, detail: String },

    #[error("{env}: {endpoint}: n8n is unreachable: {detail}")]
    Unreachable {
        env: String,
        endpoint: Endpoint,
        detail: String,
    },

    #[error("{env}: {endpoint}: no answer within {} ms ({phase} timeout)", .after.as_millis())]
    Timeout {
        env: String,
        endpoint: Endpoint,
        /// `connect` or `request`.
        phase: &'static str,
        after: Duration,
    },

    #[error("{env}: {endpoint}: TLS error: {detail}")]
    Tls {
        env: String,
        endpoint: Endpoint,
        detail: String,
    },

    /// The connection broke: reset, closed early, or the body was cut mid-way.
    #[error("{env}: {endpoint}: connection broken: {detail}")]
    Transport {
        env: String,
        endpoint: Endpoint,
        detail: String,
    },

    #[error("{env}: {endpoint}: the API key was rejected (401): {message}")]
    Unauthorized {
        env: String,
        endpoint: Endpoint,
        message: String,
    },

    #[error(
        "{env}: {endpoint}: forbidden (403), the key lacks the scope or the feature needs a licence: {message}"
    )]
    Forbidden {
        env: String,
        endpoint: Endpoint,
        message: String,
    },

    #[error("{env}: {endpoint}: {resource} not found (404): {message}")]
    NotFound {
        env: String,
        endpoint: Endpoint,
        /// What was looked for, e.g. `workflow "42"`.
        resource: String,
        message: String,
    },

    /// A 400: n8n's validator refused the body or the query.
    #[error("{env}: {endpoint}: n8n rejected the request as invalid (400): {message}")]
    Validation {
        env: String,
        endpoint: Endpoint,
        message: String,
    },

    /// Any other 4xx, e.g. 409 when retrying an execution that cannot be.
    #[error("{env}: {endpoint}: n8n refused the request ({status}): {message}")]
    Rejected {
        env: String,
        endpoint: Endpoint,
        status: u16,
        message: String,
    },

    #[error("{env}: {endpoint}: rate limited (429){}", retry_hint(.retry_after))]
    RateLimited {
        env: String,
        endpoint: Endpoint,
        retry_after: Option<Duration>,
    },

    #[error("{env}: {endpoint}: n8n server error ({status}): {message}")]
    Server {
        env: String,
        endpoint: Endpoint,
        status: u16,
        message: String,
    },

    /// Whatever answered is not n8n's public API: an HTML page, JSON of
    /// another shape, or no `/api/v1` at all.
    #[error("{env}: {endpoint}: this is not n8n's public API ({status}): {detail}")]
    NotN8n {
        env: String,
        endpoint: Endpoint,
        status: u16,
        detail: String,
    },

    /// The body arrived whole but could not be read: truncated or invalid
    /// JSON, or an item of an unexpected shape.
    #[error("{env}: {endpoint}: invalid response body ({status}): {detail}")]
    InvalidBody {
        env: String,
        endpoint: Endpoint,
        status: u16,
        detail: String,
    },
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(", retry after {} s", d.as_secs()),
        None => String::new(),
    }
}

/// A flat, serializable classification of [`N8nError`], for exit codes,
/// status columns and the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum N8nErrorKind {
    InvalidUrl,
    Config,
    Unreachable,
    Timeout,
    Tls,
    Transport,
    Unauthorized,
    Forbidden,
    NotFound,
    Validation,
    Rejected,
    RateLimited,
    Server,
    NotN8n,
    InvalidBody,
}

impl N8nError {
    pub fn kind(&self) -> N8nErrorKind {
        match self {
            Self::InvalidUrl { .. } => N8nErrorKind::InvalidUrl,
            Self::Config { .. } => N8nErrorKind::Config,
            Self::Unreachable { .. } => N8nErrorKind::Unreachable,
            Self::Timeout { .. } => N8nErrorKind::Timeout,
            Self::Tls { .. } => N8nErrorKind::Tls,
            Self::Transport { .. } => N8nErrorKind::Transport,
            Self::Unauthorized { .. } => N8nErrorKind::Unauthorized,
            Self::Forbidden { .. } => N8nErrorKind::Forbidden,
            Self::NotFound { .. } => N8nErrorKind::NotFound,
            Self::Validation { .. } => N8nErrorKind::Validation,
            Self::Rejected { .. } => N8nErrorKind::Rejected,
            Self::RateLimited { .. } => N8nErrorKind::RateLimited,
            Self::Server { .. } => N8nErrorKind::Server,
            Self::NotN8n { .. } => N8nErrorKind::NotN8n,
            Self::InvalidBody { .. } => N8nErrorKind::InvalidBody,
        }
    }

    /// The environment the error happened in.
    pub fn env(&self) -> &str {
        match self {
            Self::InvalidUrl { env, .. }
            | Self::Config { env, .. }
            | Self::Unreachable { env, .. }
            | Self::Timeout { env, .. }
            | Self::Tls { env, .. }
            | Self::Transport { env, .. }
            | Self::Unauthorized { env, .. }
            | Self::Forbidden { env, .. }
            | Self::NotFound { env, .. }
            | Self::Validation { env, .. }
            | Self::Rejected { env, .. }
            | Self::RateLimited { env, .. }
            | Self::Server { env, .. }
            | Self::NotN8n { env, .. }
            | Self::InvalidBody { env, .. } => env,
        }
    }

    /// The request the error is about; `None` for construction errors.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            Self::InvalidUrl { .. } | Self::Config { .. } => None,
            Self::Unreachable { endpoint, .. }
            | Self::Timeout { endpoint, .. }
            | Self::Tls { endpoint, .. }
            | Self::Transport { endpoint, .. }
            | Self::Unauthorized { endpoint, .. }
            | Self::Forbidden { endpoint, .. }
            | Self::NotFound { endpoint, .. }
            | Self::Validation { endpoint, .. }
            | Self::Rejected { endpoint, .. }
            | Self::RateLimited { endpoint, .. }
            | Self::Server { endpoint, .. }
            | Self::NotN8n { endpoint, .. }
            | Self::InvalidBody { endpoint, .. } => Some(endpoint),
        }
    }

    /// The HTTP status n8n (or whatever answered) sent, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Validation { .. } => Some(400),
            Self::RateLimited { .. } => Some(429),
            Self::Rejected { status, .. }
            | Self::Server { status, .. }
            | Self::NotN8n { status, .. }
            | Self::InvalidBody { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The most useful short text of an error body: n8n's `{"message": ...}`,
/// the title of an HTML page, or the start of the text.
pub(crate) fn body_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    if let Ok(m) = serde_json::from_slice::<Message>(body) {
        return m.message;
    }
    let text = String::from_utf8_lossy(body);
    if looks_like_html(body) {
        return match html_title(&text) {
            Some(title) => format!("an HTML page titled {title:?}"),
            None => "an HTML page".to_owned(),
        };
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None if text.is_empty() => "(empty body)".to_owned(),
        None => text,
    }
}

pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = text.get(open_end..close)?.trim();
    (!title.is_empty()).then(|| title.chars().take(120).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_message_prefers_n8n_message() {
        assert_eq!(
            body_message(br#"{"message":"is read-only"}"#),
            "is read-only"
        );
    }

    #[test]
    fn body_message_names_html_pages_by_title() {
        let page = b"\n<!DOCTYPE html><html><head><TITLE> Login </TITLE></head></html>";
        assert_eq!(body_message(page), "an HTML page titled \"Login\"");
        assert_eq!(body_message(b"<html></html>"), "an HTML page");
    }

    #[test]
    fn body_message_cuts_long_text_on_a_char_boundary() {
        let text = "é".repeat(500);
        let msg = body_message(text.as_bytes());
        assert!(msg.ends_with("...") && msg.chars().count() == 203);
        assert_eq!(body_message(b"  "), "(empty body)");
    }

    #[test]
    fn display_names_env_endpoint_and_status() {
        let e = N8nError::Server {
            env: "prod".into(),
            endpoint: Endpoint::new(Method::GET, "/api/v1/workflows"),
            status: 502,
            message: "bad gateway".into(),
        };
        assert_eq!(
            e.to_string(),
            "prod: GET /api/v1/workflows: n8n server error (502): bad gateway"
        );
        assert_eq!(e.status(), Some(502));
        assert_eq!(e.kind(), N8nErrorKind::Server);
    }
}
