//! n8n's public API called by hand, as a person with an API key would: what the
//! promotion tests and benchmarks use to set up, change and inspect real instances
//! without going through n8nops.
#![allow(dead_code)]

use n8nops::domain::normalize::fingerprint;
use n8nops::domain::writable::writable_body;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One live workflow as the comparisons need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub name: String,
    pub fingerprint: String,
    pub active: bool,
}

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    pub url: String,
    pub key: String,
}

impl Api {
    pub fn new(url: &str, key: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            url: url.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        }
    }

    /// `method path` with `body`; the status and the text of the answer.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (reqwest::StatusCode, String) {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.url))
            .header("X-N8N-API-KEY", &self.key);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path} on {}: {e}", self.url));
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// `method path` with `body`, which must succeed; its JSON answer.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
        let (status, text) = self.send(method.clone(), path, body).await;
        assert!(
            status.is_success(),
            "{method} {path} on {}: {status}: {text}",
            self.url
        );
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} on {}: not JSON ({e}): {text}", self.url))
    }

    /// A workflow, or None when n8n has no such id.
    pub async fn get(&self, id: &str) -> Option<Value> {
        let (status, text) = self
            .send(reqwest::Method::GET, &format!("/workflows/{id}"), None)
            .await;
        if status == reqwest::StatusCode::NOT_FOUND {
            return None;
        }
        assert!(
            status.is_success(),
            "GET workflow {id} on {}: {status}: {text}",
            self.url
        );
        Some(serde_json::from_str(&text).expect("a workflow's JSON"))
    }

    /// Creates a workflow from any workflow JSON (cut to what n8n accepts).
    pub async fn create(&self, workflow: &Value) -> Result<Value, String> {
        let (status, text) = self
            .send(
                reqwest::Method::POST,
                "/workflows",
                Some(&writable_body(workflow)),
            )
            .await;
        if !status.is_success() {
            return Err(format!("{status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))
    }

    /// Replaces a workflow's body (cut to what n8n accepts).
    pub async fn put(&self, id: &str, workflow: &Value) -> Value {
        self.call(
            reqwest::Method::PUT,
            &format!("/workflows/{id}"),
            Some(&writable_body(workflow)),
        )
        .await
    }

    pub async fn delete(&self, id: &str) {
        self.call(reqwest::Method::DELETE, &format!("/workflows/{id}"), None)
            .await;
    }

    pub async fn activate(&self, id: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            &format!("/workflows/{id}/activate"),
            None,
        )
        .await
    }

    /// Every workflow as listed (pages of 250).
    pub async fn all(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = "/workflows?limit=250".to_owned();
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let mut page = self.call(reqwest::Method::GET, &path, None).await;
            if let Some(data) = page["data"].as_array_mut() {
                out.append(data);
            }
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                return out;
            }
        }
    }

    /// Every workflow: id -> name, fingerprint, active.
    pub async fn live(&self) -> BTreeMap<String, Live> {
        self.all()
            .await
            .iter()
            .map(|w| {
                let id = w["id"].as_str().expect("a workflow id").to_owned();
                let live = Live {
                    name: w["name"].as_str().unwrap_or_default().to_owned(),
                    fingerprint: fingerprint(w),
                    active: w["active"].as_bool().unwrap_or(false),
                };
                (id, live)
            })
            .collect()
    }

    /// The ids of the workflows whose name starts with `prefix`.
    pub async fn ids_named(&self, prefix: &str) -> Vec<String> {
        self.live()
            .await
            .into_iter()
            .filter(|(_, w)| w.name.starts_with(prefix))
            .map(|(id, _)| id)
            .collect()
    }

    /// Creates a credential; its id.
    pub async fn create_credential(&self, name: &str, kind: &str, data: &Value) -> String {
        let created = self
            .call(
                reqwest::Method::POST,
                "/credentials",
                Some(&json!({ "name": name, "type": kind, "data": data })),
            )
            .await;
        created["id"]
            .as_str()
            .unwrap_or_else(|| panic!("a credential id from {}: {created}", self.url))
            .to_owned()
    }

    /// Deletes a credential; false when n8n did not (already gone, or refused).
    pub async fn delete_credential(&self, id: &str) -> bool {
        let (status, _) = self
            .send(reqwest::Method::DELETE, &format!("/credentials/{id}"), None)
            .await;
        status.is_success()
    }
}
