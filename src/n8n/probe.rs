//! The connection probe: is the instance there, is the key good, which n8n
//! is it, and how fast does it answer.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{ApiRequest, N8nClient};
use super::error::N8nError;
use super::paginate::parse_page;

/// What a successful probe learnt about an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub env: String,
    /// The instance URL, with any password hidden.
    pub base_url: String,
    /// Always true in a report `probe()` returns: an unreachable instance or
    /// a rejected key is an error. Kept so a stored report reads alone.
    pub reachable: bool,
    pub key_accepted: bool,
    /// n8n's version (`1.123.0`) when the instance reveals it.
    pub version: Option<String>,
    pub api_generation: ApiGeneration,
    /// `GET /api/v1/credentials` answers 200 (not on 1.x).
    pub can_list_credentials: bool,
    /// Round trip of one authenticated `GET /api/v1/workflows?limit=1`.
    pub latency_ms: u64,
}

/// The major line of n8n, which decides the API's quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiGeneration {
    #[serde(rename = "1.x")]
    V1,
    #[serde(rename = "2.x")]
    V2,
    #[serde(rename = "unknown")]
    Unknown,
}

impl ApiGeneration {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "1.x",
            Self::V2 => "2.x",
            Self::Unknown => "unknown",
        }
    }

    /// From the version's major when known; else from features: only 2.x
    /// lists credentials and gives workflows an `activeVersionId`.
    fn infer(version: Option<&str>, credentials_listable: bool, has_active_version: bool) -> Self {
        let major = version.and_then(|v| v.trim_start_matches('v').split('.').next()?.parse().ok());
        match major {
            Some(0 | 1) => Self::V1,
            Some(2) => Self::V2,
            Some(_) => Self::Unknown,
            None if credentials_listable || has_active_version => Self::V2,
            None => Self::V1,
        }
    }
}

impl fmt::Display for ApiGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl N8nClient {
    /// Probes the instance. A wrong key, a wrong URL, something that is not
    /// n8n, TLS trouble and timeouts are each their own [`N8nError`].
    pub async fn probe(&self) -> Result<ProbeReport, N8nError> {
        let req = ApiRequest::api(Method::GET, "/workflows").query("limit", 1);
        let endpoint = req.endpoint();
        let reply = self.execute(&req).await?;
        let page = parse_page(self, &endpoint, &reply, |raw| {
            serde_json::from_str::<Value>(raw.get())
        })?;
        let has_active_version = page
            .items
            .first()
            .is_some_and(|w| w.get("activeVersionId").is_some());
        let (version, can_list_credentials) =
            tokio::join!(self.instance_version(), self.credentials_listable());
        Ok(ProbeReport {
            env: self.env().to_owned(),
            base_url: self.base_url(),
            reachable: true,
            key_accepted: true,
            api_generation: ApiGeneration::infer(
                version.as_deref(),
                can_list_credentials,
                has_active_version,
            ),
            version,
            can_list_credentials,
            latency_ms: reply.elapsed.as_millis() as u64,
        })
    }

    async fn credentials_listable(&self) -> bool {
        let req = ApiRequest::api(Method::GET, "/credentials").query("limit", 1);
        self.execute(&req)
            .await
            .is_ok_and(|reply| reply.status == 200)
    }

    /// `data.versionCli` of `/rest/settings` (older instances show it to
    /// anyone), else the release in the editor page's Sentry config
    /// (`n8n@1.123.0`, shown by 1.x and 2.x while the editor is served).
    async fn instance_version(&self) -> Option<String> {
        let settings = self.unauthenticated_get("/rest/settings").await;
        let from_settings = settings
            .and_then(|body| serde_json::from_slice::<Value>(&body).ok())
            .and_then(|v| v.pointer("/data/versionCli")?.as_str().map(str::to_owned));
        if from_settings.is_some() {
            return from_settings;
        }
        let page = self.unauthenticated_get("/").await?;
        version_from_editor_page(&String::from_utf8_lossy(&page))
    }

    /// A best-effort GET without the key: the body of a 2xx, else nothing.
    async fn unauthenticated_get(&self, path: &str) -> Option<Vec<u8>> {
        let req = ApiRequest {
            path: path.to_owned(),
            authenticated: false,
            ..ApiRequest::api(Method::GET, "")
        };
        self.execute(&req).await.ok().map(|reply| reply.body)
    }
}

fn version_from_editor_page(html: &str) -> Option<String> {
    const MARK: &str = "name=\"n8n:config:sentry\" content=\"";
    let start = html.find(MARK)? + MARK.len();
    let encoded = &html[start..start + html[start..].find('"')?];
    let config: Value =
        serde_json::from_slice(&crate::domain::encoding::base64_decode(encoded)?).ok()?;
    let release = config.get("release")?.as_str()?;
    let version = release.strip_prefix("n8n@")?;
    version
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        .then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::HeaderMap;
    use axum::routing::get;
    use serde_json::json;

    use super::super::testkit::{assert_clean, client, fast_opts, has_key, json, raw, serve};
    use super::super::{ClientOptions, WorkflowFilter};
    use super::*;

    const EDITOR_1123: &str = r#"<!DOCTYPE html><html><head><meta name="n8n:config:sentry" content="eyJkc24iOiIiLCJlbnZpcm9ubWVudCI6ImRldmVsb3BtZW50IiwicmVsZWFzZSI6Im44bkAxLjEyMy4wIn0="></head></html>"#;

    /// A fake n8n: `settings` is `/rest/settings`' data, `workflow` the one
    /// listed workflow, `credentials_status` what `GET /credentials` answers,
    /// `editor` the page at `/` (none: 404).
    fn fake_n8n(
        settings: Value,
        workflow: Value,
        credentials_status: u16,
        editor: Option<&'static str>,
    ) -> Router {
        Router::new()
            .route(
                "/api/v1/workflows",
                get(move |headers: HeaderMap| {
                    let workflow = workflow.clone();
                    async move {
                        if !has_key(&headers) {
                            return json(401, &json!({"message": "unauthorized"}));
                        }
                        json(200, &json!({"data": [workflow], "nextCursor": "more"}))
                    }
                }),
            )
            .route(
                "/api/v1/credentials",
                get(move || async move {
                    match credentials_status {
                        200 => json(200, &json!({"data": [], "nextCursor": null})),
                        status => json(status, &json!({"message": "GET method not allowed"})),
                    }
                }),
            )
            .route(
                "/rest/settings",
                get(move || {
                    let settings = settings.clone();
                    async move { json(200, &json!({ "data": settings })) }
                }),
            )
            .route(
                "/",
                get(move || async move {
                    match editor {
                        Some(page) => raw(200, "text/html", page),
                        None => raw(404, "text/plain", "no editor"),
                    }
                }),
            )
    }

    #[tokio::test]
    async fn probes_a_1x_instance() {
        let server = serve(fake_n8n(
            json!({"settingsMode": "public"}),
            json!({"id": "1", "name": "w", "active": false}),
            405,
            Some(EDITOR_1123),
        ))
        .await;
        let report = client(&server.url).probe().await.unwrap();
        assert_eq!(
            report.version.as_deref(),
            Some("1.123.0"),
            "from the editor page"
        );
        assert_eq!(report.api_generation, ApiGeneration::V1);
        assert!(!report.can_list_credentials);
        assert!(report.reachable && report.key_accepted);
        assert_eq!(report.env, "test-env");
        assert_eq!(report.base_url, server.url);
    }

    #[tokio::test]
    async fn probes_a_2x_instance() {
        let server = serve(fake_n8n(
            json!({"versionCli": "2.40.7"}),
            json!({"id": "1", "name": "w", "active": true, "activeVersionId": "v2"}),
            200,
            Some("<html>2.x editor</html>"),
        ))
        .await;
        let report = client(&server.url).probe().await.unwrap();
        assert_eq!(report.version.as_deref(), Some("2.40.7"));
        assert_eq!(report.api_generation, ApiGeneration::V2);
        assert!(report.can_list_credentials);
        assert_eq!(
            serde_json::to_value(&report).unwrap()["api_generation"],
            "2.x"
        );
    }

    #[tokio::test]
    async fn without_a_version_the_generation_comes_from_features() {
        let app = fake_n8n(
            json!({}),
            json!({"id": "1", "activeVersionId": null}),
            404,
            None,
        );
        let server = serve(app).await;
        let report = client(&server.url).probe().await.unwrap();
        assert_eq!(report.version, None);
        assert_eq!(report.api_generation, ApiGeneration::V2);
    }

    #[tokio::test]
    async fn probe_errors_are_distinct() {
        let server = serve(fake_n8n(json!({}), json!({"id": "1"}), 405, None)).await;
        let wrong = N8nClient::new("test-env", &server.url, "wrong", fast_opts()).unwrap();
        let err = wrong.probe().await.unwrap_err();
        assert!(matches!(err, N8nError::Unauthorized { .. }), "{err}");

        let other =
            serve(Router::new().fallback(|| async { json(200, &json!({"status": "ok"})) })).await;
        let err = client(&other.url).probe().await.unwrap_err();
        assert!(matches!(err, N8nError::NotN8n { .. }), "{err}");
        assert!(err.to_string().contains("{data, nextCursor}"), "{err}");
        assert_clean(&err);

        let none = serve(Router::new()).await;
        let err = client(&none.url).probe().await.unwrap_err();
        assert!(matches!(err, N8nError::NotN8n { status: 404, .. }), "{err}");
    }

    /// Runs against a real n8n when N8NOPS_E2E_N8N_URL and N8NOPS_E2E_N8N_API_KEY are set
    /// (scripts/n8n.sh start prints them); read-only.
    #[tokio::test]
    async fn real_n8n_probe_and_list() {
        let (Ok(url), Ok(key)) = (
            std::env::var("N8NOPS_E2E_N8N_URL"),
            std::env::var("N8NOPS_E2E_N8N_API_KEY"),
        ) else {
            eprintln!(
                "SKIPPED (real n8n): set N8NOPS_E2E_N8N_URL and N8NOPS_E2E_N8N_API_KEY (scripts/test.sh does)"
            );
            return;
        };
        let c = N8nClient::new("real", &url, &key, ClientOptions::default()).unwrap();
        let report = c.probe().await.unwrap();
        eprintln!("real n8n: {report:?}");
        assert!(report.version.is_some(), "1.x and 2.x reveal their version");
        let workflows = c.all_workflows(&WorkflowFilter::default()).await.unwrap();
        for w in &workflows {
            assert_eq!(w.value().unwrap()["id"], w.id.as_str());
        }
        c.all_tags().await.unwrap();
        assert!(
            !c.all_users().await.unwrap().is_empty(),
            "there is an owner"
        );
        let creds = c.list_credentials().await.unwrap();
        assert_eq!(creds.is_some(), report.can_list_credentials);
        c.recent_executions(&Default::default(), 10, None)
            .await
            .unwrap();
        let err = c.get_workflow("n8nops-no-such-workflow").await.unwrap_err();
        assert!(matches!(err, N8nError::NotFound { .. }), "{err}");
        let wrong = N8nClient::new("real", &url, "wrong-key", ClientOptions::default()).unwrap();
        let err = wrong.probe().await.unwrap_err();
        assert!(matches!(err, N8nError::Unauthorized { .. }), "{err}");
        assert!(!err.to_string().contains(&key) && !format!("{c:?}").contains(&key));
    }

    #[test]
    fn generation_from_version_then_features() {
        use ApiGeneration::*;
        assert_eq!(ApiGeneration::infer(Some("1.123.0"), true, true), V1);
        assert_eq!(ApiGeneration::infer(Some("2.40.7"), false, false), V2);
        assert_eq!(ApiGeneration::infer(Some("3.0.0"), false, false), Unknown);
        assert_eq!(ApiGeneration::infer(None, true, false), V2);
        assert_eq!(ApiGeneration::infer(None, false, true), V2);
        assert_eq!(ApiGeneration::infer(None, false, false), V1);
        assert_eq!(ApiGeneration::infer(Some("garbage"), false, false), V1);
    }

    #[test]
    fn version_from_the_editor_page() {
        // As served by n8n 1.123.0.
        let page = r#"<head><meta name="n8n:config:sentry" content="eyJkc24iOiIiLCJlbnZpcm9ubWVudCI6ImRldmVsb3BtZW50IiwicmVsZWFzZSI6Im44bkAxLjEyMy4wIn0="></head>"#;
        assert_eq!(version_from_editor_page(page).as_deref(), Some("1.123.0"));
        assert_eq!(version_from_editor_page("<html></html>"), None);
        let broken = r#"<meta name="n8n:config:sentry" content="!!">"#;
        assert_eq!(version_from_editor_page(broken), None);
    }
}
