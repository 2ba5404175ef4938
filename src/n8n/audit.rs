//! The security audit (`POST /audit`).

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::client::{ApiRequest, N8nClient};
use super::error::N8nError;

/// Options of the audit; the default audits every category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditOptions {
    /// Days without an execution after which a workflow counts as abandoned.
    pub days_abandoned_workflow: Option<u32>,
    /// Some of `credentials`, `database`, `nodes`, `filesystem`, `instance`.
    pub categories: Vec<String>,
}

impl N8nClient {
    /// Runs n8n's security audit and returns its report as n8n sent it.
    pub async fn audit(&self, opts: &AuditOptions) -> Result<Value, N8nError> {
        let mut additional = Map::new();
        if let Some(days) = opts.days_abandoned_workflow {
            additional.insert("daysAbandonedWorkflow".into(), json!(days));
        }
        if !opts.categories.is_empty() {
            additional.insert("categories".into(), json!(opts.categories));
        }
        let body = json!({ "additionalOptions": additional });
        self.call_json(ApiRequest::api(Method::POST, "/audit").json(&body))
            .await
    }
}
