//! Executions: list (also bounded, for an incremental tail), get, delete,
//! retry.

use reqwest::Method;
use serde_json::json;

use super::client::{ApiRequest, N8nClient, seg};
use super::error::N8nError;
use super::paginate::{PAGE_LIMIT, Pager, decode_item};
use super::types::{Execution, ExecutionStatus};

/// Filters of `GET /executions`; the default lists everything, without data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilter {
    /// n8n filters on canceled, error, running, success and waiting.
    pub status: Option<ExecutionStatus>,
    pub workflow_id: Option<String>,
    pub project_id: Option<String>,
    /// Include each execution's full `data` (large).
    pub include_data: bool,
}

impl ExecutionFilter {
    fn apply(&self, mut req: ApiRequest) -> ApiRequest {
        if let Some(status) = &self.status {
            req = req.query("status", status.as_str());
        }
        if let Some(workflow) = &self.workflow_id {
            req = req.query("workflowId", workflow);
        }
        if let Some(project) = &self.project_id {
            req = req.query("projectId", project);
        }
        if self.include_data {
            req = req.query("includeData", true);
        }
        req
    }
}

fn execution(id: &str) -> String {
    format!("execution {id:?}")
}

impl N8nClient {
    /// Executions page by page, newest first (250 a page).
    pub fn executions(&self, filter: &ExecutionFilter) -> Pager<Execution> {
        let req = filter.apply(ApiRequest::api(Method::GET, "/executions"));
        Pager::new(self.clone(), req, decode_item)
    }

    pub async fn all_executions(
        &self,
        filter: &ExecutionFilter,
    ) -> Result<Vec<Execution>, N8nError> {
        self.executions(filter).collect_all().await
    }

    /// The newest executions, newest first: at most `max`, and only those
    /// newer than `seen` (the newest id a previous call returned), for an
    /// incremental tail. Ids are compared as numbers when both are, so a
    /// deleted `seen` still stops the walk.
    pub async fn recent_executions(
        &self,
        filter: &ExecutionFilter,
        max: usize,
        seen: Option<&str>,
    ) -> Result<Vec<Execution>, N8nError> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let mut pager = self.executions(filter).with_limit(max.min(PAGE_LIMIT));
        while let Some(page) = pager.next_page().await? {
            for execution in page.items {
                if seen.is_some_and(|seen| is_at_or_before(&execution.id, seen)) {
                    return Ok(out);
                }
                out.push(execution);
                if out.len() == max {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    pub async fn get_execution(&self, id: &str, include_data: bool) -> Result<Execution, N8nError> {
        let mut req = ApiRequest::api(Method::GET, &format!("/executions/{}", seg(id)));
        if include_data {
            req = req.query("includeData", true);
        }
        self.call_json(req.resource(execution(id))).await
    }

    /// Deletes an execution and returns it as it was.
    pub async fn delete_execution(&self, id: &str) -> Result<Execution, N8nError> {
        let req = ApiRequest::api(Method::DELETE, &format!("/executions/{}", seg(id)));
        self.call_json(req.resource(execution(id))).await
    }

    /// Runs a failed execution again; returns the new execution. n8n
    /// answers 409 for queued or aborted runs. Never retried.
    pub async fn retry_execution(&self, id: &str) -> Result<Execution, N8nError> {
        let req = ApiRequest::api(Method::POST, &format!("/executions/{}/retry", seg(id)))
            .json(&json!({}))
            .resource(execution(id));
        self.call_json(req).await
    }
}

/// Whether execution `id` is `seen` or older than it.
fn is_at_or_before(id: &str, seen: &str) -> bool {
    match (id.parse::<u64>(), seen.parse::<u64>()) {
        (Ok(id), Ok(seen)) => id <= seen,
        _ => id == seen,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::Query;
    use axum::routing::get;
    use serde_json::json;

    use super::super::testkit::{client, json, serve};
    use super::*;

    /// Executions 1..=600, newest first, paged by id like n8n.
    fn six_hundred(limits: Arc<Mutex<Vec<String>>>) -> Router {
        Router::new().route(
            "/api/v1/executions",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let limits = limits.clone();
                async move {
                    let limit: u64 = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
                    limits.lock().unwrap().push(q.get("limit").cloned().unwrap_or_default());
                    let top: u64 = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(600);
                    let ids: Vec<u64> = (1..=top).rev().take(limit as usize).collect();
                    let next = ids.last().filter(|&&last| last > 1).map(|last| (last - 1).to_string());
                    let data: Vec<_> = ids
                        .iter()
                        .map(|id| json!({"id": id.to_string(), "workflowId": "w", "status": "success"}))
                        .collect();
                    json(200, &json!({"data": data, "nextCursor": next}))
                }
            }),
        )
    }

    #[tokio::test]
    async fn recent_stops_after_max() {
        let limits = Arc::default();
        let server = serve(six_hundred(Arc::clone(&limits))).await;
        let c = client(&server.url);
        let got = c
            .recent_executions(&ExecutionFilter::default(), 300, None)
            .await
            .unwrap();
        assert_eq!(got.len(), 300);
        assert_eq!((got[0].id.as_str(), got[299].id.as_str()), ("600", "301"));
        assert_eq!(*limits.lock().unwrap(), ["250", "250"]);
        assert!(
            c.recent_executions(&ExecutionFilter::default(), 0, None)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn recent_stops_at_an_id_already_seen() {
        let server = serve(six_hundred(Arc::default())).await;
        let c = client(&server.url);
        let got = c
            .recent_executions(&ExecutionFilter::default(), 1000, Some("590"))
            .await
            .unwrap();
        let ids: Vec<_> = got.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "600", "599", "598", "597", "596", "595", "594", "593", "592", "591"
            ]
        );
        let all = c.all_executions(&ExecutionFilter::default()).await.unwrap();
        assert_eq!(all.len(), 600);
    }

    #[test]
    fn seen_ids_compare_numerically_when_they_can() {
        assert!(is_at_or_before("100", "100"));
        assert!(is_at_or_before("99", "100"));
        assert!(!is_at_or_before("101", "100"));
        assert!(!is_at_or_before("9", "10a"));
        assert!(is_at_or_before("abc", "abc"));
    }
}
