//! The client handle: one per n8n instance, cheap to clone.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderValue;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::error::{Endpoint, N8nError, looks_like_html};
use super::options::ClientOptions;

/// The public API's root below the instance URL.
pub(crate) const API_ROOT: &str = "/api/v1";

/// A client of one n8n instance's public API v1.
///
/// Clones share the connection pool and the concurrency limit.
#[derive(Clone)]
pub struct N8nClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) env: String,
    /// Normalized instance root, no trailing slash: `https://host/n8n`.
    pub(crate) base: String,
    pub(crate) api_key: HeaderValue,
    pub(crate) http: reqwest::Client,
    pub(crate) permits: Semaphore,
    pub(crate) write_permits: Semaphore,
    pub(crate) opts: ClientOptions,
}

impl N8nClient {
    /// Builds a client for the instance at `base_url` (`http://127.0.0.1:5678`;
    /// a trailing slash or a pasted `/api/v1` suffix is tolerated).
    pub fn new(
        env_name: &str,
        base_url: &str,
        api_key: &str,
        opts: ClientOptions,
    ) -> Result<Self, N8nError> {
        let base = normalize_base_url(base_url).map_err(|reason| N8nError::InvalidUrl {
            env: env_name.to_owned(),
            url: redact_url(base_url),
            reason,
        })?;
        let config_error = |detail: &str| N8nError::Config {
            env: env_name.to_owned(),
            detail: detail.to_owned(),
        };
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err(config_error("the API key is empty"));
        }
        // n8n's keys are JWTs; anything else is a paste gone wrong.
        if !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(config_error(
                "the API key holds spaces or characters other than printable ASCII",
            ));
        }
        let mut api_key = HeaderValue::from_str(api_key)
            .map_err(|_| config_error("the API key cannot be sent as a header"))?;
        api_key.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.connect_timeout)
            .user_agent(opts.user_agent.clone())
            // A redirect would carry the key header to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config_error(&format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                env: env_name.to_owned(),
                base,
                api_key,
                http,
                permits: Semaphore::new(opts.max_concurrency.max(1)),
                write_permits: Semaphore::new(opts.max_concurrent_writes.max(1)),
                opts,
            }),
        })
    }

    /// The environment name errors and logs carry.
    pub fn env(&self) -> &str {
        &self.inner.env
    }

    /// The normalized instance URL, with any password in it hidden.
    pub fn base_url(&self) -> String {
        redact_url(&self.inner.base)
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.opts
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path)
    }

    /// Removes the API key from a text that came from the network or from
    /// an underlying library, in case a server or proxy echoed it.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match self.inner.api_key.to_str() {
            Ok(key) if text.contains(key) => text.replace(key, "[redacted]"),
            _ => text.to_owned(),
        }
    }

    /// Sends `req` and decodes its JSON answer.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        req: ApiRequest,
    ) -> Result<T, N8nError> {
        let reply = self.execute(&req).await?;
        self.decode(&req.endpoint(), &reply)
    }

    /// Decodes a whole JSON body, telling an HTML page (not n8n) from broken
    /// JSON (invalid body).
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        reply: &Reply,
    ) -> Result<T, N8nError> {
        if looks_like_html(&reply.body) {
            return Err(self.not_n8n(endpoint, reply.status, "an HTML page instead of JSON"));
        }
        serde_json::from_slice(&reply.body)
            .map_err(|e| self.invalid_body(endpoint, reply.status, &e))
    }

    pub(crate) fn not_n8n(&self, endpoint: &Endpoint, status: u16, detail: &str) -> N8nError {
        N8nError::NotN8n {
            env: self.inner.env.clone(),
            endpoint: endpoint.clone(),
            status,
            detail: self.scrub(detail),
        }
    }

    pub(crate) fn invalid_body(
        &self,
        endpoint: &Endpoint,
        status: u16,
        error: &serde_json::Error,
    ) -> N8nError {
        let what = if error.is_eof() {
            "truncated JSON"
        } else if error.is_syntax() {
            "invalid JSON"
        } else {
            "unexpected JSON"
        };
        N8nError::InvalidBody {
            env: self.inner.env.clone(),
            endpoint: endpoint.clone(),
            status,
            detail: self.scrub(&format!("{what}: {error}")),
        }
    }
}

impl fmt::Debug for N8nClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("N8nClient")
            .field("env", &self.inner.env)
            .field("base_url", &self.base_url())
            .field("api_key", &"[redacted]")
            .field("opts", &self.inner.opts)
            .finish()
    }
}

/// One request to the instance. `path` is from the instance root.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// What a 404 means: `Some("workflow \"42\"")` names a missing resource;
    /// `None` (lists, the API root) means no n8n API answers here.
    pub resource: Option<String>,
    /// Whether to send the API key (not for `/rest/settings`).
    pub authenticated: bool,
}

impl ApiRequest {
    /// A request to `/api/v1{path}`.
    pub fn api(method: Method, path: &str) -> Self {
        Self {
            method,
            path: format!("{API_ROOT}{path}"),
            query: Vec::new(),
            body: None,
            resource: None,
            authenticated: true,
        }
    }

    pub fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self
    }

    pub fn resource(mut self, resource: String) -> Self {
        self.resource = Some(resource);
        self
    }

    pub fn endpoint(&self) -> Endpoint {
        Endpoint::new(self.method.clone(), self.path.clone())
    }
}

/// A response read to its end.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// Time of the last attempt alone, from sending to the last body byte.
    pub elapsed: std::time::Duration,
    pub retry_after: Option<std::time::Duration>,
    pub location: Option<String>,
}

/// Percent-encodes one path segment (an id or a type name).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `http(s)://host[:port][/prefix]` without a trailing slash, `/api/v1`,
/// query or fragment.
fn normalize_base_url(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("no host".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a query or fragment has no place in an instance URL".to_owned());
    }
    let mut path = url.path().trim_end_matches('/');
    if let Some(prefix) = path.strip_suffix(API_ROOT) {
        path = prefix.trim_end_matches('/');
    }
    let mut root = url.clone();
    root.set_path("");
    Ok(format!("{}{}", root.as_str().trim_end_matches('/'), path))
}

/// The URL with any password replaced, for messages and Debug.
fn redact_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) if url.password().is_some() => {
            // Cannot fail: a URL with a password has a host.
            let _ = url.set_password(Some("***"));
            let text = url.to_string();
            match raw.trim().ends_with('/') {
                true => text,
                false => text.trim_end_matches('/').to_owned(),
            }
        }
        Ok(_) => raw.trim().to_owned(),
        Err(_) if raw.contains('@') => "[unparsable URL with credentials]".to_owned(),
        Err(_) => raw.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str) -> Result<N8nClient, N8nError> {
        N8nClient::new("dev", url, "secret-key-123", ClientOptions::default())
    }

    #[test]
    fn base_url_is_normalized() {
        for (given, want) in [
            ("http://127.0.0.1:5678", "http://127.0.0.1:5678"),
            ("http://127.0.0.1:5678/", "http://127.0.0.1:5678"),
            ("  http://127.0.0.1:5678/api/v1/ ", "http://127.0.0.1:5678"),
            ("https://example.com/n8n/api/v1", "https://example.com/n8n"),
            ("https://example.com/n8n//", "https://example.com/n8n"),
            ("HTTPS://Example.COM", "https://example.com"),
        ] {
            assert_eq!(normalize_base_url(given).as_deref(), Ok(want), "{given}");
        }
    }

    #[test]
    fn bad_urls_are_refused_naming_env_and_url() {
        for bad in [
            "ftp://host",
            "localhost:5678",
            "",
            "http://",
            "http://h/?a=1",
            "not a url",
        ] {
            let err = client(bad).unwrap_err();
            assert!(matches!(err, N8nError::InvalidUrl { .. }), "{bad}: {err}");
            let text = err.to_string();
            assert!(text.starts_with("dev: invalid n8n URL"), "{text}");
            assert!(text.contains(&format!("{:?}", bad.trim())), "{text}");
        }
    }

    #[test]
    fn passwords_in_urls_are_hidden() {
        let c = client("https://ops:hunter2@example.com/").unwrap();
        assert_eq!(c.base_url(), "https://ops:***@example.com");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn debug_redacts_the_key() {
        let c = client("http://127.0.0.1:5678").unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("secret-key-123"), "{debug}");
        assert!(debug.contains("[redacted]"));
        assert_eq!(c.scrub("echo secret-key-123!"), "echo [redacted]!");
    }

    #[test]
    fn empty_or_unprintable_keys_are_refused() {
        for key in ["", "  ", "abc\ndef", "abc def", "clé"] {
            let err = N8nClient::new("dev", "http://h", key, ClientOptions::default()).unwrap_err();
            assert!(matches!(err, N8nError::Config { .. }), "{err}");
            assert!(!err.to_string().contains("abc"));
        }
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(seg("aB3-_.~"), "aB3-_.~");
        assert_eq!(seg("a/b c?"), "a%2Fb%20c%3F");
    }
}
