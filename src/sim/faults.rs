//! Fault injection: status codes, latency, connections dropped mid-body,
//! truncated JSON and failures at page K of a list, for all requests or those
//! under a path prefix, always, only the Nth time, or after N times.
//!
//! Faults are set at start (`SimOptions::faults`) and replaced at runtime
//! (`SimHandle::set_faults`); replacing them resets their counters.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::error::{json_response, message_body};
use super::server::Sim;

/// A set of faults; the default injects nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub rules: Vec<Fault>,
}

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a fault (builder style).
    pub fn with(mut self, fault: Fault) -> Self {
        self.rules.push(fault);
        self
    }
}

impl From<Fault> for Faults {
    fn from(fault: Fault) -> Self {
        Faults { rules: vec![fault] }
    }
}

impl From<Vec<Fault>> for Faults {
    fn from(rules: Vec<Fault>) -> Self {
        Faults { rules }
    }
}

/// One fault: what happens, to which requests, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Requests whose path starts with this, e.g. `/api/v1/workflows`; `None` is every request.
    pub path_prefix: Option<String>,
    /// Only requests of this method (`POST`); `None` is every method.
    pub method: Option<String>,
    pub when: When,
}

/// Which of the matching requests a fault hits (counted per fault, from 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum When {
    #[default]
    Always,
    /// Only the Nth matching request.
    Nth(u64),
    /// Every matching request after the first N.
    After(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Answer with this status and `{"message": ...}` instead of handling the request.
    Status(u16),
    /// Wait this long before handling the request.
    Latency(Duration),
    /// Send the first N bytes of the body, then drop the connection.
    DropAfterBytes(usize),
    /// A complete HTTP answer whose body is only the first N bytes (invalid JSON).
    TruncateBody(usize),
    /// Fail page `page` (1-based) of a paginated list.
    FailAtPage { page: u32, how: PageFailure },
}

/// How a list page fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageFailure {
    /// Half the page is sent, then the connection drops.
    DropConnection,
    /// A 500 with `{"message": ...}`.
    ServerError,
}

impl Fault {
    fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            path_prefix: None,
            method: None,
            when: When::Always,
        }
    }

    pub fn status(code: u16) -> Self {
        Self::new(FaultKind::Status(code))
    }

    pub fn latency(delay: Duration) -> Self {
        Self::new(FaultKind::Latency(delay))
    }

    pub fn drop_after(bytes: usize) -> Self {
        Self::new(FaultKind::DropAfterBytes(bytes))
    }

    pub fn truncate(bytes: usize) -> Self {
        Self::new(FaultKind::TruncateBody(bytes))
    }

    pub fn fail_at_page(page: u32, how: PageFailure) -> Self {
        Self::new(FaultKind::FailAtPage { page, how })
    }

    /// Only requests under this path prefix.
    pub fn on(mut self, prefix: &str) -> Self {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    /// Only requests of this method (`"POST"`, `"PUT"`).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only the Nth matching request (1-based).
    pub fn nth(mut self, n: u64) -> Self {
        self.when = When::Nth(n);
        self
    }

    /// Only matching requests after the first `n`.
    pub fn after(mut self, n: u64) -> Self {
        self.when = When::After(n);
        self
    }

    fn applies_to(&self, method: &str, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|p| path.starts_with(p))
            && self.method.as_deref().is_none_or(|m| m == method)
    }
}

/// Faults in force with their hit counters.
#[derive(Debug, Default)]
struct Active {
    rules: Vec<(Fault, AtomicU64)>,
}

impl Active {
    /// Counts a matching request for rule `i` and says whether the fault fires.
    fn fires(&self, i: usize) -> bool {
        let Some((fault, count)) = self.rules.get(i) else {
            return false;
        };
        let n = count.fetch_add(1, Ordering::Relaxed) + 1;
        match fault.when {
            When::Always => true,
            When::Nth(k) => n == k,
            When::After(k) => n > k,
        }
    }
}

/// The runtime side of faults, shared by the server and the handle.
#[derive(Debug, Default)]
pub struct FaultState {
    active: RwLock<Arc<Active>>,
}

/// What the middleware does to one request.
#[derive(Debug, Default)]
struct Decision {
    latency: Duration,
    status: Option<u16>,
    body: Option<FaultKind>,
}

impl FaultState {
    pub fn new(faults: Faults) -> Self {
        let state = FaultState::default();
        state.set(faults);
        state
    }

    pub fn set(&self, faults: Faults) {
        let active = Active {
            rules: faults
                .rules
                .into_iter()
                .map(|f| (f, AtomicU64::new(0)))
                .collect(),
        };
        *self.active.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(active);
    }

    fn current(&self) -> Arc<Active> {
        self.active
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn decide(&self, method: &str, path: &str) -> Decision {
        let active = self.current();
        let mut decision = Decision::default();
        for (i, (fault, _)) in active.rules.iter().enumerate() {
            if matches!(fault.kind, FaultKind::FailAtPage { .. })
                || !fault.applies_to(method, path)
                || !active.fires(i)
            {
                continue;
            }
            match &fault.kind {
                FaultKind::Latency(d) => decision.latency += *d,
                FaultKind::Status(code) => {
                    decision.status.get_or_insert(*code);
                }
                kind @ (FaultKind::DropAfterBytes(_) | FaultKind::TruncateBody(_)) => {
                    decision.body.get_or_insert(kind.clone());
                }
                FaultKind::FailAtPage { .. } => {}
            }
        }
        decision
    }

    /// Whether page `page` of the list at `path` is to fail, and how.
    pub fn page_failure(&self, path: &str, page: u64) -> Option<PageFailure> {
        let active = self.current();
        let mut failure = None;
        for (i, (fault, _)) in active.rules.iter().enumerate() {
            if let FaultKind::FailAtPage { page: k, how } = fault.kind
                && u64::from(k) == page
                && fault.applies_to("GET", path)
                && active.fires(i)
            {
                failure.get_or_insert(how);
            }
        }
        failure
    }
}

/// The middleware in front of every route: counts requests and applies faults.
pub async fn layer(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    sim.requests.fetch_add(1, Ordering::Relaxed);
    let decision = sim
        .faults
        .decide(request.method().as_str(), request.uri().path());
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    if let Some(code) = decision.status {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let reason = status.canonical_reason().unwrap_or("Injected fault");
        return json_response(status, message_body(reason));
    }
    let response = next.run(request).await;
    match decision.body {
        Some(FaultKind::DropAfterBytes(n)) => {
            with_body(response, |b| Cut::Drop(n.min(b.len().saturating_sub(1)))).await
        }
        Some(FaultKind::TruncateBody(n)) => {
            with_body(response, |b| {
                Cut::Truncate(n.min(b.len().saturating_sub(1)))
            })
            .await
        }
        _ => response,
    }
}

enum Cut {
    Drop(usize),
    Truncate(usize),
}

async fn with_body(response: Response, cut: impl FnOnce(&Bytes) -> Cut) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let response = Response::from_parts(parts, Body::empty());
    match cut(&bytes) {
        Cut::Drop(keep) => dropped_after(response, bytes, keep),
        Cut::Truncate(keep) => {
            let (mut parts, _) = response.into_parts();
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(keep));
            Response::from_parts(parts, Body::from(bytes.slice(..keep)))
        }
    }
}

/// A response that announces the whole body, sends `keep` bytes of it and then
/// fails the stream, which makes the server abort the connection mid-body.
pub fn dropped_after(response: Response, bytes: Bytes, keep: usize) -> Response {
    let (mut parts, _) = response.into_parts();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let head = bytes.slice(..keep.min(bytes.len()));
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(head),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection dropped",
        )),
    ];
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_rules() {
        let state = FaultState::new(
            Faults::none()
                .with(Fault::status(503).on("/api/v1/workflows").nth(2))
                .with(Fault::status(500).on("/api/v1/tags").after(1)),
        );
        let statuses = |path: &str| {
            (0..3)
                .map(|_| state.decide("GET", path).status)
                .collect::<Vec<_>>()
        };
        assert_eq!(statuses("/api/v1/workflows"), [None, Some(503), None]);
        assert_eq!(statuses("/api/v1/tags"), [None, Some(500), Some(500)]);
        assert_eq!(statuses("/api/v1/users"), [None, None, None]);
        // Replacing faults resets the counters.
        state.set(Fault::status(503).nth(1).into());
        assert_eq!(state.decide("GET", "/x").status, Some(503));
        assert_eq!(state.decide("GET", "/x").status, None);
    }

    #[test]
    fn page_rules() {
        let state = FaultState::new(
            Fault::fail_at_page(2, PageFailure::ServerError)
                .on("/api/v1/workflows")
                .nth(1)
                .into(),
        );
        assert_eq!(state.page_failure("/api/v1/workflows", 1), None);
        assert_eq!(state.page_failure("/api/v1/executions", 2), None);
        assert_eq!(
            state.page_failure("/api/v1/workflows", 2),
            Some(PageFailure::ServerError)
        );
        // Only the first time page 2 is fetched: a retry gets through.
        assert_eq!(state.page_failure("/api/v1/workflows", 2), None);
        assert_eq!(state.decide("GET", "/api/v1/workflows").status, None);
    }
}
