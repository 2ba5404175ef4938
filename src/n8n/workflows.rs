//! Workflows: list, get, create, update, delete, (de)activate, tags.

use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::client::{ApiRequest, N8nClient, seg};
use super::error::N8nError;
use super::paginate::Pager;
use super::record::WorkflowRecord;
use super::types::Tag;
use crate::domain::writable::writable_body;

/// Filters of `GET /workflows`; the default lists everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowFilter {
    pub active: Option<bool>,
    /// Tag names; a workflow must carry all of them.
    pub tags: Vec<String>,
    pub name: Option<String>,
    pub project_id: Option<String>,
    pub exclude_pinned_data: bool,
}

impl WorkflowFilter {
    fn apply(&self, mut req: ApiRequest) -> ApiRequest {
        if let Some(active) = self.active {
            req = req.query("active", active);
        }
        if !self.tags.is_empty() {
            req = req.query("tags", self.tags.join(","));
        }
        if let Some(name) = &self.name {
            req = req.query("name", name);
        }
        if let Some(project) = &self.project_id {
            req = req.query("projectId", project);
        }
        if self.exclude_pinned_data {
            req = req.query("excludePinnedData", true);
        }
        req
    }
}

fn workflow(id: &str) -> String {
    format!("workflow {id:?}")
}

fn decode_workflow(raw: &RawValue) -> Result<WorkflowRecord, serde_json::Error> {
    WorkflowRecord::from_raw(raw.to_owned())
}

impl N8nClient {
    /// Workflows page by page (250 a page).
    pub fn workflows(&self, filter: &WorkflowFilter) -> Pager<WorkflowRecord> {
        let req = filter.apply(ApiRequest::api(Method::GET, "/workflows"));
        Pager::new(self.clone(), req, decode_workflow)
    }

    pub async fn all_workflows(
        &self,
        filter: &WorkflowFilter,
    ) -> Result<Vec<WorkflowRecord>, N8nError> {
        self.workflows(filter).collect_all().await
    }

    pub async fn get_workflow(&self, id: &str) -> Result<WorkflowRecord, N8nError> {
        let req = ApiRequest::api(Method::GET, &format!("/workflows/{}", seg(id)));
        self.call_workflow(req.resource(workflow(id))).await
    }

    /// Creates a workflow from any workflow JSON, sending only
    /// [`writable_body`]. n8n creates it inactive. Never retried.
    pub async fn create_workflow(&self, workflow: &Value) -> Result<WorkflowRecord, N8nError> {
        let req = ApiRequest::api(Method::POST, "/workflows").json(&writable_body(workflow));
        self.call_workflow(req).await
    }

    /// Replaces a workflow with the writable part of `workflow`. Each call
    /// makes a new `versionId`, even with an identical body.
    pub async fn update_workflow(
        &self,
        id: &str,
        workflow_json: &Value,
    ) -> Result<WorkflowRecord, N8nError> {
        let req = ApiRequest::api(Method::PUT, &format!("/workflows/{}", seg(id)))
            .json(&writable_body(workflow_json))
            .resource(workflow(id));
        self.call_workflow(req).await
    }

    /// Deletes a workflow and returns it as it was.
    pub async fn delete_workflow(&self, id: &str) -> Result<WorkflowRecord, N8nError> {
        let req = ApiRequest::api(Method::DELETE, &format!("/workflows/{}", seg(id)));
        self.call_workflow(req.resource(workflow(id))).await
    }

    /// Activates a workflow; n8n answers 400 when it has no trigger.
    pub async fn activate_workflow(&self, id: &str) -> Result<WorkflowRecord, N8nError> {
        let req = ApiRequest::api(Method::POST, &format!("/workflows/{}/activate", seg(id)));
        self.call_workflow(req.resource(workflow(id))).await
    }

    pub async fn deactivate_workflow(&self, id: &str) -> Result<WorkflowRecord, N8nError> {
        let req = ApiRequest::api(Method::POST, &format!("/workflows/{}/deactivate", seg(id)));
        self.call_workflow(req.resource(workflow(id))).await
    }

    pub async fn get_workflow_tags(&self, id: &str) -> Result<Vec<Tag>, N8nError> {
        let req = ApiRequest::api(Method::GET, &format!("/workflows/{}/tags", seg(id)));
        self.call_json(req.resource(workflow(id))).await
    }

    /// Replaces a workflow's tags with the tags of these ids; returns them.
    pub async fn set_workflow_tags(
        &self,
        id: &str,
        tag_ids: &[String],
    ) -> Result<Vec<Tag>, N8nError> {
        let body: Vec<Value> = tag_ids.iter().map(|t| json!({ "id": t })).collect();
        let req = ApiRequest::api(Method::PUT, &format!("/workflows/{}/tags", seg(id)))
            .json(&Value::Array(body))
            .resource(workflow(id));
        self.call_json(req).await
    }

    async fn call_workflow(&self, req: ApiRequest) -> Result<WorkflowRecord, N8nError> {
        let endpoint = req.endpoint();
        let reply = self.execute(&req).await?;
        let raw: Box<RawValue> = self.decode(&endpoint, &reply)?;
        WorkflowRecord::from_raw(raw).map_err(|e| self.invalid_body(&endpoint, reply.status, &e))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Bytes;
    use axum::routing::{post, put};
    use serde_json::{Value, json};

    use super::super::testkit::{client, json, serve};

    type Bodies = Arc<Mutex<Vec<Value>>>;

    /// Echoes each body back as a stored workflow, recording it.
    fn echo(
        bodies: Bodies,
    ) -> impl Fn(Bytes) -> std::future::Ready<axum::response::Response> + Clone {
        move |body: Bytes| {
            let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            bodies.lock().unwrap().push(v.clone());
            if let Value::Object(m) = &mut v {
                m.insert("id".into(), json!("new1"));
                m.insert("active".into(), json!(false));
            }
            std::future::ready(json(200, &v))
        }
    }

    #[tokio::test]
    async fn create_and_update_send_only_the_writable_body() {
        let bodies = Bodies::default();
        let app = Router::new()
            .route("/api/v1/workflows", post(echo(bodies.clone())))
            .route("/api/v1/workflows/{id}", put(echo(bodies.clone())));
        let server = serve(app).await;
        let c = client(&server.url);
        let export = json!({
            "id": "9", "name": "Flow", "active": true, "tags": [{"name": "t"}],
            "pinData": {}, "versionId": "v", "meta": {}, "nodes": [], "connections": {}
        });
        let created = c.create_workflow(&export).await.unwrap();
        assert_eq!(
            (created.id.as_str(), created.name.as_str()),
            ("new1", "Flow")
        );
        c.update_workflow("new1", &export).await.unwrap();
        let want = json!({"name": "Flow", "nodes": [], "connections": {}, "settings": {}});
        assert_eq!(*bodies.lock().unwrap(), [want.clone(), want]);
    }

    #[tokio::test]
    async fn set_tags_sends_ids() {
        let bodies = Bodies::default();
        let b = bodies.clone();
        let app = Router::new().route(
            "/api/v1/workflows/{id}/tags",
            put(move |body: Bytes| {
                let b = b.clone();
                async move {
                    b.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                    json(
                        200,
                        &json!([{"id": "1", "name": "prod"}, {"id": 2, "name": "eu"}]),
                    )
                }
            }),
        );
        let server = serve(app).await;
        let tags = client(&server.url)
            .set_workflow_tags("w1", &["1".into(), "2".into()])
            .await
            .unwrap();
        assert_eq!(tags[1].id, "2");
        assert_eq!(bodies.lock().unwrap()[0], json!([{"id": "1"}, {"id": "2"}]));
    }
}
