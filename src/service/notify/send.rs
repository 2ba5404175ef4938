//! One POST of a notification, and what is recorded of its failure: the webhook's
//! name and origin (scheme, host, port: `WebhookConfig::origin`) with the status or
//! transport error, never the URL's path or query, where incoming-webhook tokens live.

use crate::config::WebhookConfig;
use reqwest::Url;
use std::sync::OnceLock;
use std::time::Duration;

/// The whole request, answer included.
pub(crate) const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Characters of an error answer's body kept in the recorded error.
const BODY_CHARS: usize = 200;

/// The HTTP client of every notification (its connections are reused), or why it
/// could not be built.
fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(POST_TIMEOUT)
                .connect_timeout(POST_TIMEOUT)
                // A webhook that redirects is misconfigured: say so (as its 3xx)
                // rather than send the body elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("n8nops/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("cannot build an HTTP client: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// POSTs `body` (JSON) to `hook`. Ok on a 2xx answer; otherwise the error to record.
pub(crate) async fn post(hook: &WebhookConfig, body: &str) -> Result<(), String> {
    let who = format!("webhook '{}' ({})", hook.name, hook.origin());
    let url = match Url::parse(hook.url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => return Err(format!("{who}: not an http(s) URL")),
    };
    let client = client().map_err(|e| format!("{who}: {e}"))?;
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(e) => return Err(scrub(&format!("{who}: {}", transport(e)), &hook.url)),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // A few bytes of the answer say why (Slack answers `invalid_token`, `no_service`).
    let mut bytes = Vec::new();
    while bytes.len() < 4 * BODY_CHARS {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let text: String = text.chars().take(BODY_CHARS).collect();
    let answer = match text.is_empty() {
        true => format!("{who}: answered {status}"),
        false => format!("{who}: answered {status}: {text}"),
    };
    Err(scrub(&answer, &hook.url))
}

/// A transport error in words, without its URL, with its causes.
fn transport(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", POST_TIMEOUT.as_secs());
    }
    let connect = e.is_connect();
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    match connect {
        true => format!("cannot connect: {text}"),
        false => text,
    }
}

/// `text` with the URL's path, query, fragment and any credentials masked, in case
/// an error or an answer repeated them.
fn scrub(text: &str, url: &str) -> String {
    let mut out = text.replace(url.trim(), "***");
    if let Ok(u) = Url::parse(url.trim()) {
        let secrets = [
            Some(u.path()).filter(|p| p.len() > 1),
            u.query(),
            u.fragment(),
            u.password(),
            Some(u.username()),
        ];
        for secret in secrets.into_iter().flatten().filter(|s| s.len() > 3) {
            out = out.replace(secret, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_masks_path_query_and_credentials() {
        let url = "https://bot:pass1234@hooks.example.com/services/T0/B0/SECRET?token=abcd";
        let text = format!("failed for {url} at /services/T0/B0/SECRET with token=abcd pass1234");
        let out = scrub(&text, url);
        for secret in ["SECRET", "token=abcd", "pass1234"] {
            assert!(!out.contains(secret), "{out}");
        }
        assert!(out.starts_with("failed for ***"), "{out}");
    }
}
