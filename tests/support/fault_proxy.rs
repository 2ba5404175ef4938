//! A small HTTP proxy in front of a real n8n that forwards everything, except one
//! workflow write it is told to fail: a fault injected into a real instance.
//!
//! Writes are `POST /api/v1/workflows` (create) and `PUT /api/v1/workflows/{id}`
//! (update); tags and activation are not counted. Once armed with a [`Fault`], the
//! proxy counts the writes it sees and fails the first one that comes after
//! `after_writes` others and matches `method`: either without passing it on, or after
//! n8n did it (the answer lost on its way back, the harder case: n8n holds what the
//! caller believes failed). A fault fires once.
//!
//! It also times every request it passes on ([`FaultProxy::timings`]), to see where a
//! client's time goes at the instance.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// Which write to fail, and how.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Writes let through first.
    pub after_writes: usize,
    /// Only a write of this method fails (None: any write).
    pub method: Option<Method>,
    /// The status answered instead of n8n's.
    pub status: u16,
    /// Pass the write on to n8n first, then answer `status` anyway.
    pub forward_first: bool,
}

/// One request passed on to n8n.
#[derive(Debug, Clone)]
pub struct Timing {
    pub method: Method,
    pub path: String,
    pub status: u16,
    /// When it arrived, from the proxy's start.
    pub at: std::time::Duration,
    /// From its arrival to n8n's whole answer.
    pub took: std::time::Duration,
}

#[derive(Default)]
struct Armed {
    fault: Option<Fault>,
    /// Writes seen since armed: "METHOD path -> status".
    writes: Vec<String>,
    /// The write that was failed.
    fired: Option<String>,
}

struct Shared {
    target: String,
    http: reqwest::Client,
    armed: Mutex<Armed>,
    started: std::time::Instant,
    timings: Mutex<Vec<Timing>>,
}

pub struct FaultProxy {
    /// The proxy's base URL, to register instead of the instance's.
    pub url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `target` (an n8n base URL) on a free loopback port.
    pub async fn start(target: &str) -> FaultProxy {
        let shared = Arc::new(Shared {
            target: target.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            armed: Mutex::new(Armed::default()),
            started: std::time::Instant::now(),
            timings: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the proxy");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the proxy's address")
        );
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy {
            url,
            shared,
            server,
        }
    }

    /// Arms `fault`, counting writes from zero.
    pub fn arm(&self, fault: Fault) {
        *self.lock() = Armed {
            fault: Some(fault),
            ..Armed::default()
        };
    }

    /// The write that was failed, once it was.
    pub fn fired(&self) -> Option<String> {
        self.lock().fired.clone()
    }

    /// The writes seen since armed, in order: "METHOD path -> status".
    pub fn writes(&self) -> Vec<String> {
        self.lock().writes.clone()
    }

    /// Time since the proxy started (the clock of [`Timing::at`]).
    pub fn elapsed(&self) -> std::time::Duration {
        self.shared.started.elapsed()
    }

    /// Every request passed on since the last call, in the order they arrived.
    pub fn take_timings(&self) -> Vec<Timing> {
        let mut all = std::mem::take(
            &mut *self
                .shared
                .timings
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        all.sort_by_key(|t| t.at);
        all
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Armed> {
        self.shared.armed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn is_write(method: &Method, path: &str) -> bool {
    match (method, path.strip_prefix("/api/v1/workflows")) {
        (&Method::POST, Some("")) => true,
        (&Method::PUT, Some(rest)) => rest
            .strip_prefix('/')
            .is_some_and(|id| !id.is_empty() && !id.contains('/')),
        _ => false,
    }
}

/// What the proxy does with one write: let it through, or fail it (and whether n8n
/// sees it first).
enum Verdict {
    Pass,
    Fail { status: u16, forward_first: bool },
}

fn judge(shared: &Shared, method: &Method, path: &str) -> Verdict {
    if !is_write(method, path) {
        return Verdict::Pass;
    }
    let mut armed = shared.armed.lock().unwrap_or_else(|p| p.into_inner());
    let seen = armed.writes.len();
    let fires = armed
        .fault
        .as_ref()
        .is_some_and(|f| seen >= f.after_writes && f.method.as_ref().is_none_or(|m| m == method));
    if !fires {
        return Verdict::Pass;
    }
    let fault = armed.fault.take().expect("a fault that fires");
    armed.fired = Some(format!("{method} {path} (write {})", seen + 1));
    Verdict::Fail {
        status: fault.status,
        forward_first: fault.forward_first,
    }
}

async fn forward(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let arrived = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), usize::MAX).await {
        Ok(b) => b,
        Err(e) => return plain(StatusCode::BAD_GATEWAY, &format!("proxy: body: {e}")),
    };
    let verdict = judge(&shared, &method, &path);
    let passed = match verdict {
        Verdict::Fail {
            forward_first: false,
            ..
        } => None,
        _ => {
            let answer = send(&shared, &method, &path_and_query, &headers, body).await;
            let timing = Timing {
                method: method.clone(),
                path: path.clone(),
                status: answer.status().as_u16(),
                at: arrived.duration_since(shared.started),
                took: arrived.elapsed(),
            };
            shared
                .timings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(timing);
            Some(answer)
        }
    };
    let answer = match (verdict, passed) {
        (Verdict::Fail { status, .. }, _) => injected(status),
        (Verdict::Pass, Some(answer)) => answer,
        (Verdict::Pass, None) => unreachable!("a write let through is sent"),
    };
    if is_write(&method, &path) {
        let mut armed = shared.armed.lock().unwrap_or_else(|p| p.into_inner());
        armed
            .writes
            .push(format!("{method} {path} -> {}", answer.status().as_u16()));
    }
    answer
}

async fn send(
    shared: &Shared,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut req = shared
        .http
        .request(method.clone(), format!("{}{path_and_query}", shared.target));
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => return plain(StatusCode::BAD_GATEWAY, &format!("proxy: {e}")),
    };
    let status = resp.status();
    let content_type = resp.headers().get("content-type").cloned();
    let bytes = resp.bytes().await.unwrap_or_default();
    let mut out = Response::builder().status(status);
    if let Some(ct) = content_type {
        out = out.header("content-type", ct);
    }
    out.body(Body::from(bytes))
        .unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "proxy: a response"))
}

fn injected(status: u16) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"message":"fault injected by the test's proxy"}"#,
        ))
        .expect("an injected response")
}

fn plain(status: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(status)
        .body(Body::from(text.to_owned()))
        .expect("a response")
}
