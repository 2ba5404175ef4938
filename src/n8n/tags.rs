//! Tags: list, get, create, rename, delete.

use reqwest::Method;
use serde_json::json;

use super::client::{ApiRequest, N8nClient, seg};
use super::error::N8nError;
use super::paginate::{Pager, decode_item};
use super::types::Tag;

fn tag(id: &str) -> String {
    format!("tag {id:?}")
}

impl N8nClient {
    pub fn tags(&self) -> Pager<Tag> {
        Pager::new(
            self.clone(),
            ApiRequest::api(Method::GET, "/tags"),
            decode_item,
        )
    }

    pub async fn all_tags(&self) -> Result<Vec<Tag>, N8nError> {
        self.tags().collect_all().await
    }

    pub async fn get_tag(&self, id: &str) -> Result<Tag, N8nError> {
        let req = ApiRequest::api(Method::GET, &format!("/tags/{}", seg(id)));
        self.call_json(req.resource(tag(id))).await
    }

    /// Creates a tag; n8n answers 409 when the name exists. Never retried.
    pub async fn create_tag(&self, name: &str) -> Result<Tag, N8nError> {
        let req = ApiRequest::api(Method::POST, "/tags").json(&json!({ "name": name }));
        self.call_json(req).await
    }

    pub async fn update_tag(&self, id: &str, name: &str) -> Result<Tag, N8nError> {
        let req = ApiRequest::api(Method::PUT, &format!("/tags/{}", seg(id)))
            .json(&json!({ "name": name }))
            .resource(tag(id));
        self.call_json(req).await
    }

    /// Deletes a tag and returns it as it was.
    pub async fn delete_tag(&self, id: &str) -> Result<Tag, N8nError> {
        let req = ApiRequest::api(Method::DELETE, &format!("/tags/{}", seg(id)));
        self.call_json(req.resource(tag(id))).await
    }
}
