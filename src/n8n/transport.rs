//! Sending one request: the concurrency permits, and the attempts with
//! their retries (`classify` names what went wrong).

use std::time::Instant;

use chrono::Utc;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Method, Response};
use tracing::{Instrument, debug};

use super::client::{ApiRequest, N8nClient, Reply};
use super::error::{Endpoint, N8nError};
use super::retry::{
    MAX_RETRY_AFTER, backoff, is_idempotent, is_retryable_status, parse_retry_after,
};

/// A body larger than this is refused rather than held in memory.
const MAX_BODY_BYTES: usize = 1 << 30;

const API_KEY_HEADER: &str = "X-N8N-API-KEY";

/// A failed attempt and whether another one may succeed.
pub(super) struct Failure {
    pub(super) error: N8nError,
    pub(super) retryable: bool,
}

impl N8nClient {
    /// Sends `req`, retrying idempotent requests on 429, 5xx and broken
    /// connections. Returns the 2xx reply read to its end, or the error.
    pub(crate) async fn execute(&self, req: &ApiRequest) -> Result<Reply, N8nError> {
        let endpoint = req.endpoint();
        let span = tracing::debug_span!(
            "n8n_request",
            env = %self.inner.env,
            method = %req.method,
            path = %req.path,
        );
        self.execute_with_retries(req, &endpoint)
            .instrument(span)
            .await
    }

    async fn execute_with_retries(
        &self,
        req: &ApiRequest,
        endpoint: &Endpoint,
    ) -> Result<Reply, N8nError> {
        let opts = &self.inner.opts;
        let max_retries = if is_idempotent(&req.method) {
            opts.max_retries
        } else {
            0
        };
        let mut retry = 0;
        loop {
            let outcome = self.attempt(req, endpoint, retry + 1).await;
            let wait = match &outcome {
                Ok(reply) if is_retryable_status(reply.status) => match reply.retry_after {
                    Some(after) if after > MAX_RETRY_AFTER => None,
                    Some(after) => Some(after.max(backoff(opts.backoff_base, retry))),
                    None => Some(backoff(opts.backoff_base, retry)),
                },
                Ok(_) => None,
                Err(failure) => failure.retryable.then(|| backoff(opts.backoff_base, retry)),
            };
            match wait {
                Some(wait) if retry < max_retries => {
                    debug!(wait_ms = wait.as_millis() as u64, "retrying n8n request");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                _ => {
                    return match outcome {
                        Ok(reply) if (200..300).contains(&reply.status) => Ok(reply),
                        Ok(reply) => Err(self.status_error(req, endpoint, &reply)),
                        Err(failure) => Err(failure.error),
                    };
                }
            }
        }
    }

    /// One attempt: waits for a permit, sends, and reads the whole body
    /// (a body cut mid-way fails the attempt).
    async fn attempt(
        &self,
        req: &ApiRequest,
        endpoint: &Endpoint,
        attempt: u32,
    ) -> Result<Reply, Failure> {
        // The semaphores are never closed; were they, requests would go
        // unthrottled. A write waits for its write permit first, so it holds
        // no general permit while queued behind other writes.
        let _write_permit = match req.method {
            Method::GET | Method::HEAD => None,
            _ => self.inner.write_permits.acquire().await.ok(),
        };
        let _permit = self.inner.permits.acquire().await.ok();
        let started = Instant::now();
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), self.url(&req.path))
            .header(ACCEPT, "application/json");
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if req.authenticated {
            builder = builder.header(API_KEY_HEADER, self.inner.api_key.clone());
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let result = match builder.send().await {
            Ok(response) => self.read(response, endpoint, started).await,
            Err(e) => Err(self.transport_failure(endpoint, &e)),
        };
        let ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(reply) => debug!(attempt, status = reply.status, ms, "n8n response"),
            Err(failure) => debug!(attempt, ms, error = %failure.error, "n8n request failed"),
        }
        result
    }

    async fn read(
        &self,
        mut response: Response,
        endpoint: &Endpoint,
        started: Instant,
    ) -> Result<Reply, Failure> {
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header(RETRY_AFTER).and_then(|v| parse_retry_after(&v, Utc::now()));
        let location = header(LOCATION);
        let capacity = response.content_length().unwrap_or(0).min(64 << 20) as usize;
        let mut body = Vec::with_capacity(capacity);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY_BYTES => {
                    let error = N8nError::InvalidBody {
                        env: self.inner.env.clone(),
                        endpoint: endpoint.clone(),
                        status,
                        detail: format!("larger than {} MiB", MAX_BODY_BYTES >> 20),
                    };
                    return Err(Failure {
                        error,
                        retryable: false,
                    });
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => return Err(self.transport_failure(endpoint, &e)),
            }
        }
        Ok(Reply {
            status,
            body,
            elapsed: started.elapsed(),
            retry_after,
            location,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::routing::{get, post};
    use futures_util::future::join_all;
    use serde_json::json;

    use super::super::testkit::{Hits, KEY, assert_clean, client, fast_opts, json, raw, serve};
    use super::super::{ClientOptions, N8nClient, N8nError, WorkflowFilter};

    fn page() -> serde_json::Value {
        json!({"data": [{"id": "1", "name": "one"}], "nextCursor": null})
    }

    #[tokio::test]
    async fn retries_500_and_429_then_succeeds() {
        let hits = Hits::default();
        let h = hits.clone();
        let app = Router::new().route(
            "/api/v1/workflows",
            get(move || {
                let h = h.clone();
                async move {
                    match h.bump() {
                        0 => json(500, &json!({"message": "db busy"})),
                        1 => {
                            let mut r = json(429, &json!({"message": "slow down"}));
                            r.headers_mut().insert("retry-after", "0".parse().unwrap());
                            r
                        }
                        2 => json(503, &json!({"message": "restarting"})),
                        _ => json(200, &page()),
                    }
                }
            }),
        );
        let server = serve(app).await;
        let all = client(&server.url)
            .all_workflows(&WorkflowFilter::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(hits.get(), 4, "three failures, then the answer");
    }

    #[tokio::test]
    async fn gives_up_after_max_retries_with_a_server_error() {
        let hits = Hits::default();
        let h = hits.clone();
        let app = Router::new().route(
            "/api/v1/workflows/{id}",
            get(move || {
                let h = h.clone();
                async move {
                    h.bump();
                    json(502, &json!({"message": "bad gateway"}))
                }
            }),
        );
        let server = serve(app).await;
        let err = client(&server.url).get_workflow("7").await.unwrap_err();
        assert_eq!(hits.get(), 4, "1 attempt + 3 retries");
        assert!(matches!(err, N8nError::Server { status: 502, .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "test-env: GET /api/v1/workflows/7: n8n server error (502): bad gateway"
        );
    }

    #[tokio::test]
    async fn honours_retry_after() {
        let hits = Hits::default();
        let h = hits.clone();
        let app = Router::new().route(
            "/api/v1/tags",
            get(move || {
                let h = h.clone();
                async move {
                    if h.bump() == 0 {
                        let mut r = json(429, &json!({"message": "slow down"}));
                        r.headers_mut().insert("retry-after", "1".parse().unwrap());
                        r
                    } else {
                        json(200, &json!({"data": [], "nextCursor": null}))
                    }
                }
            }),
        );
        let server = serve(app).await;
        let started = std::time::Instant::now();
        client(&server.url).all_tags().await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited {:?}",
            started.elapsed()
        );
        assert_eq!(hits.get(), 2);
    }

    #[tokio::test]
    async fn never_retries_a_create() {
        let hits = Hits::default();
        let h = hits.clone();
        let app = Router::new().route(
            "/api/v1/workflows",
            post(move || {
                let h = h.clone();
                async move {
                    h.bump();
                    json(503, &json!({"message": "unavailable"}))
                }
            }),
        );
        let server = serve(app).await;
        let err = client(&server.url)
            .create_workflow(&json!({"name": "x", "nodes": [], "connections": {}}))
            .await
            .unwrap_err();
        assert_eq!(hits.get(), 1, "POST is sent once");
        assert!(matches!(err, N8nError::Server { status: 503, .. }), "{err}");
        assert_clean(&err);
    }

    /// Answers with the start of a list, then breaks the connection, for
    /// the first `cut` requests; whole answers after that.
    fn cutting_server(hits: Hits, cut: usize) -> Router {
        Router::new().route(
            "/api/v1/workflows",
            get(move || {
                let h = hits.clone();
                async move {
                    if h.bump() >= cut {
                        return json(200, &page());
                    }
                    // The head and the first bytes go out before the cut.
                    let chunks = futures_util::stream::unfold(0, |step| async move {
                        match step {
                            0 => {
                                Some((Ok(Bytes::from_static(br#"{"data":[{"id":"1","name":"#)), 1))
                            }
                            1 => {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                Some((Err(std::io::Error::other("cut")), 2))
                            }
                            _ => None,
                        }
                    });
                    raw(200, "application/json", Body::from_stream(chunks))
                }
            }),
        )
    }

    #[tokio::test]
    async fn a_body_cut_mid_way_is_retried() {
        let hits = Hits::default();
        let server = serve(cutting_server(hits.clone(), 2)).await;
        let all = client(&server.url)
            .all_workflows(&WorkflowFilter::default())
            .await
            .unwrap();
        assert_eq!(all[0].name, "one");
        assert_eq!(hits.get(), 3);
    }

    #[tokio::test]
    async fn a_body_always_cut_is_a_transport_error() {
        let hits = Hits::default();
        let server = serve(cutting_server(hits.clone(), usize::MAX)).await;
        let err = client(&server.url)
            .all_workflows(&WorkflowFilter::default())
            .await
            .unwrap_err();
        assert_eq!(hits.get(), 4);
        assert!(matches!(err, N8nError::Transport { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with("test-env: GET /api/v1/workflows: connection broken"),
            "{text}"
        );
        assert!(text.contains("cut off mid-way"), "{text}");
        assert!(!text.contains("limit="), "no query in errors: {text}");
        assert_clean(&err);
    }

    /// Serves `GET` and `PUT /api/v1/tags/{id}` slowly, recording the
    /// peak number of requests in flight.
    fn gauge_server(peak: Arc<AtomicUsize>) -> Router {
        let in_flight = Hits::default();
        let handler = move || {
            let (f, p) = (in_flight.clone(), peak.clone());
            async move {
                p.fetch_max(f.bump() + 1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                f.drop_one();
                json(200, &json!({"id": "1", "name": "t"}))
            }
        };
        Router::new().route("/api/v1/tags/{id}", get(handler.clone()).put(handler))
    }

    #[tokio::test]
    async fn concurrency_is_bounded_per_client() {
        let peak = Arc::new(AtomicUsize::new(0));
        let server = serve(gauge_server(peak.clone())).await;
        let opts = ClientOptions {
            max_concurrency: 2,
            ..fast_opts()
        };
        let c = N8nClient::new("test-env", &server.url, KEY, opts).unwrap();
        let results = join_all((0..8).map(|_| c.get_tag("1"))).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn writes_go_one_at_a_time_by_default() {
        let peak = Arc::new(AtomicUsize::new(0));
        let server = serve(gauge_server(peak.clone())).await;
        let c = client(&server.url);
        let results = join_all((0..6).map(|_| c.update_tag("1", "t"))).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(peak.load(Ordering::SeqCst), 1);
    }
}
