//! Tiny in-process fake servers for the client's tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::{ClientOptions, N8nClient, N8nError};

pub(crate) const KEY: &str = "n8n-test-key-5f1d0c";

/// A server on 127.0.0.1 that stops when dropped.
pub(crate) struct FakeServer {
    pub url: String,
    task: JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn serve(router: Router) -> FakeServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    FakeServer {
        url: format!("http://{addr}"),
        task,
    }
}

/// Options that keep tests quick: millisecond backoff, short timeouts.
pub(crate) fn fast_opts() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(1),
        ..ClientOptions::default()
    }
}

pub(crate) fn client(url: &str) -> N8nClient {
    N8nClient::new("test-env", url, KEY, fast_opts()).expect("valid client")
}

pub(crate) fn json(status: u16, body: &Value) -> Response {
    raw(status, "application/json", body.to_string())
}

pub(crate) fn raw(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("valid status"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("valid response")
}

pub(crate) fn has_key(headers: &HeaderMap) -> bool {
    headers.get("x-n8n-api-key").and_then(|v| v.to_str().ok()) == Some(KEY)
}

/// Counts requests a handler saw.
#[derive(Clone, Default)]
pub(crate) struct Hits(Arc<AtomicUsize>);

impl Hits {
    /// Counts one more hit and returns how many there were before it.
    pub fn bump(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }

    /// Counts one hit less (for in-flight gauges).
    pub fn drop_one(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The error names the environment, and neither its text nor its Debug
/// form holds the key.
pub(crate) fn assert_clean(err: &N8nError) {
    let (text, debug) = (err.to_string(), format!("{err:?}"));
    assert!(text.starts_with("test-env: "), "{text}");
    assert!(!text.contains(KEY) && !debug.contains(KEY), "{debug}");
}
