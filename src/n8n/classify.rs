//! Telling failures apart: a transport error or a non-2xx answer becomes
//! the [`N8nError`] that says what went wrong.

use std::error::Error as _;
use std::io;

use reqwest::Url;

use super::client::{ApiRequest, N8nClient, Reply};
use super::error::{Endpoint, N8nError, body_message, looks_like_html};
use super::transport::Failure;

impl N8nClient {
    /// Names a failure to send or to read, and says whether another attempt
    /// may succeed (not after a timeout, a TLS error or an unknown host).
    pub(super) fn transport_failure(&self, endpoint: &Endpoint, e: &reqwest::Error) -> Failure {
        let env = self.inner.env.clone();
        let endpoint = endpoint.clone();
        let chain = self.scrub(&error_chain(e));
        let lower = chain.to_ascii_lowercase();
        let host = self.authority();
        let opts = &self.inner.opts;
        let fail = |error, retryable| Failure { error, retryable };

        if e.is_timeout() {
            let (phase, after) = if e.is_connect() {
                ("connect", opts.connect_timeout)
            } else {
                ("request", opts.timeout)
            };
            return fail(
                N8nError::Timeout {
                    env,
                    endpoint,
                    phase,
                    after,
                },
                false,
            );
        }
        if [
            "certificate",
            "tls",
            "handshake",
            "corrupt message",
            "fatal alert",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            return fail(
                N8nError::Tls {
                    env,
                    endpoint,
                    detail: chain,
                },
                false,
            );
        }
        if lower.contains("invalid http version") || lower.contains("invalid status") {
            let detail = if self.inner.base.starts_with("http://") {
                format!("{host} does not answer in HTTP; does it expect https://? ({chain})")
            } else {
                chain
            };
            return fail(
                N8nError::Tls {
                    env,
                    endpoint,
                    detail,
                },
                false,
            );
        }
        if e.is_connect() {
            let (detail, retryable) =
                if lower.contains("dns error") || lower.contains("failed to lookup address") {
                    (
                        format!("cannot resolve the host of {host} ({chain})"),
                        false,
                    )
                } else if io_kind(e) == Some(io::ErrorKind::ConnectionRefused) {
                    (format!("connection refused by {host}"), true)
                } else {
                    (format!("cannot connect to {host} ({chain})"), true)
                };
            return fail(
                N8nError::Unreachable {
                    env,
                    endpoint,
                    detail,
                },
                retryable,
            );
        }
        let detail = if e.is_body() || e.is_decode() {
            format!("the response body was cut off mid-way ({chain})")
        } else {
            chain
        };
        // Reset connections, early closes and cut bodies: worth another try.
        fail(
            N8nError::Transport {
                env,
                endpoint,
                detail,
            },
            !e.is_builder(),
        )
    }

    /// The error for a non-2xx reply, after retries.
    pub(super) fn status_error(
        &self,
        req: &ApiRequest,
        endpoint: &Endpoint,
        reply: &Reply,
    ) -> N8nError {
        let env = self.inner.env.clone();
        let endpoint = endpoint.clone();
        let message = self.scrub(&body_message(&reply.body));
        let html = looks_like_html(&reply.body);
        match reply.status {
            300..=399 => {
                let to = reply.location.as_deref().unwrap_or("(no Location)");
                self.not_n8n(
                    &endpoint,
                    reply.status,
                    &format!("redirected to {to}; configure the final URL instead"),
                )
            }
            400 if !html => N8nError::Validation {
                env,
                endpoint,
                message,
            },
            401 => N8nError::Unauthorized {
                env,
                endpoint,
                message,
            },
            403 => N8nError::Forbidden {
                env,
                endpoint,
                message,
            },
            404 => match (&req.resource, html) {
                (Some(resource), false) => N8nError::NotFound {
                    env,
                    endpoint,
                    resource: resource.clone(),
                    message,
                },
                _ => self.not_n8n(
                    &endpoint,
                    404,
                    &format!("no n8n public API answers here (is the URL right and the API enabled?): {message}"),
                ),
            },
            429 => N8nError::RateLimited {
                env,
                endpoint,
                retry_after: reply.retry_after,
            },
            status @ 500.. => N8nError::Server {
                env,
                endpoint,
                status,
                message,
            },
            status if html => self.not_n8n(&endpoint, status, &message),
            status => N8nError::Rejected {
                env,
                endpoint,
                status,
                message,
            },
        }
    }

    /// `host:port` of the instance, without credentials, for messages.
    fn authority(&self) -> String {
        Url::parse(&self.inner.base)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_owned();
                Some(match u.port_or_known_default() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .unwrap_or_else(|| "the instance".to_owned())
    }
}

/// The messages of an error and its sources, without the URL reqwest adds
/// (it could carry credentials or query values).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(err) = source {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = err.source();
    }
    if parts.is_empty() {
        // reqwest's own text ends with " for url (...)".
        let text = e.to_string();
        parts.push(
            text.split(" for url (")
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    parts.join(": ")
}

fn io_kind(e: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::http::HeaderMap;
    use axum::routing::get;
    use serde_json::json;

    use super::super::testkit::{KEY, assert_clean, client, fast_opts, has_key, json, raw, serve};
    use super::super::{ClientOptions, N8nClient, N8nError, WorkflowFilter};

    fn page() -> serde_json::Value {
        json!({"data": [{"id": "1", "name": "one"}], "nextCursor": null})
    }

    #[tokio::test]
    async fn truncated_json_is_an_invalid_body() {
        let app = Router::new().route(
            "/api/v1/workflows/{id}",
            get(|| async { raw(200, "application/json", r#"{"id":"1","nodes":[{"na"#) }),
        );
        let server = serve(app).await;
        let err = client(&server.url).get_workflow("1").await.unwrap_err();
        assert!(
            matches!(err, N8nError::InvalidBody { status: 200, .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with(
                "test-env: GET /api/v1/workflows/1: invalid response body (200): truncated JSON"
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_401_is_a_wrong_key() {
        let app = Router::new().route(
            "/api/v1/workflows",
            get(|headers: HeaderMap| async move {
                match has_key(&headers) {
                    true => json(200, &page()),
                    false => json(401, &json!({"message": "unauthorized"})),
                }
            }),
        );
        let server = serve(app).await;
        let wrong = N8nClient::new("test-env", &server.url, "not-the-key", fast_opts()).unwrap();
        let err = wrong
            .all_workflows(&WorkflowFilter::default())
            .await
            .unwrap_err();
        assert!(matches!(err, N8nError::Unauthorized { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "test-env: GET /api/v1/workflows: the API key was rejected (401): unauthorized"
        );
        assert!(
            client(&server.url)
                .all_workflows(&WorkflowFilter::default())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_html_page_is_not_n8n() {
        let app = Router::new().fallback(|| async {
            raw(
                200,
                "text/html",
                "<!doctype html><html><head><title>Welcome to nginx!</title></head></html>",
            )
        });
        let server = serve(app).await;
        let c = client(&server.url);
        let err = c
            .all_workflows(&WorkflowFilter::default())
            .await
            .unwrap_err();
        assert!(matches!(err, N8nError::NotN8n { .. }), "{err}");
        assert!(err.to_string().contains("not n8n's public API"), "{err}");
        let err = c.get_workflow("1").await.unwrap_err();
        assert!(matches!(err, N8nError::NotN8n { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_404_names_the_resource_or_means_no_api() {
        let app = Router::new()
            .route(
                "/api/v1/workflows/{id}",
                get(|| async { json(404, &json!({"message": "Not Found"})) }),
            )
            .fallback(|| async { json(404, &json!({"message": "not found"})) });
        let server = serve(app).await;
        let c = client(&server.url);
        let err = c.get_workflow("abc").await.unwrap_err();
        assert!(matches!(err, N8nError::NotFound { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "test-env: GET /api/v1/workflows/abc: workflow \"abc\" not found (404): Not Found"
        );
        let err = c.all_tags().await.unwrap_err();
        assert!(matches!(err, N8nError::NotN8n { status: 404, .. }), "{err}");
    }

    #[tokio::test]
    async fn a_400_carries_n8n_message() {
        let app = Router::new().route(
            "/api/v1/workflows/{id}",
            axum::routing::put(|| async {
                json(
                    400,
                    &json!({"message": "request/body must NOT have additional properties"}),
                )
            }),
        );
        let server = serve(app).await;
        let err = client(&server.url)
            .update_workflow("1", &json!({"name": "x"}))
            .await
            .unwrap_err();
        assert!(matches!(err, N8nError::Validation { .. }), "{err}");
        assert!(
            err.to_string()
                .ends_with("(400): request/body must NOT have additional properties")
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let app = Router::new().fallback(|| async {
            let mut r = raw(301, "text/plain", "");
            r.headers_mut()
                .insert("location", "https://elsewhere.example/".parse().unwrap());
            r
        });
        let server = serve(app).await;
        let err = client(&server.url).get_workflow("1").await.unwrap_err();
        assert!(matches!(err, N8nError::NotN8n { status: 301, .. }), "{err}");
        assert!(
            err.to_string().contains("https://elsewhere.example/"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn connection_refused_is_unreachable() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = client(&format!("http://{addr}")).probe().await.unwrap_err();
        assert!(matches!(err, N8nError::Unreachable { .. }), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("connection refused by {addr}")),
            "{err}"
        );
        assert_clean(&err);
    }

    #[tokio::test]
    async fn a_slow_server_is_a_timeout() {
        let app = Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            json(200, &page())
        });
        let server = serve(app).await;
        let opts = ClientOptions {
            timeout: Duration::from_millis(200),
            ..fast_opts()
        };
        let c = N8nClient::new("test-env", &server.url, KEY, opts).unwrap();
        let err = c.probe().await.unwrap_err();
        assert!(
            matches!(
                err,
                N8nError::Timeout {
                    phase: "request",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "test-env: GET /api/v1/workflows: no answer within 200 ms (request timeout)"
        );
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_is_a_tls_error() {
        let server = serve(Router::new().fallback(|| async { json(200, &page()) })).await;
        let url = server.url.replace("http://", "https://");
        let err = client(&url).probe().await.unwrap_err();
        assert!(matches!(err, N8nError::Tls { .. }), "{err}");
        assert_clean(&err);
    }

    #[tokio::test]
    async fn http_to_a_tls_port_is_a_tls_error() {
        // Answers any request with a TLS alert record, as a TLS-only port does.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                    .await;
            }
        });
        let err = client(&format!("http://{addr}")).probe().await.unwrap_err();
        task.abort();
        assert!(matches!(err, N8nError::Tls { .. }), "{err}");
        assert!(err.to_string().contains("https://"), "{err}");
    }

    #[tokio::test]
    async fn the_key_never_shows_even_when_echoed() {
        let app = Router::new().fallback(|headers: HeaderMap| async move {
            let key = headers
                .get("x-n8n-api-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            json(400, &json!({"message": format!("bad key {key}")}))
        });
        let server = serve(app).await;
        let c = client(&server.url);
        assert!(!format!("{c:?}").contains(KEY));
        let err = c.get_tag("1").await.unwrap_err();
        assert_clean(&err);
        assert!(err.to_string().contains("bad key [redacted]"), "{err}");
    }
}
