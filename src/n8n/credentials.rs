//! Credentials: create, delete, schema by type, and list where the instance
//! has it (1.x has none: `GET /credentials` answers 405).

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{ApiRequest, N8nClient, seg};
use super::error::N8nError;
use super::paginate::{Pager, decode_item};
use super::types::Credential;

impl N8nClient {
    /// Every credential's metadata, or `None` when the instance cannot list
    /// credentials (404 or 405 on `GET /credentials`, as on n8n 1.x).
    pub async fn list_credentials(&self) -> Result<Option<Vec<Credential>>, N8nError> {
        let req = ApiRequest::api(Method::GET, "/credentials");
        match Pager::new(self.clone(), req, decode_item)
            .collect_all()
            .await
        {
            Ok(all) => Ok(Some(all)),
            Err(e) if is_unsupported(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a credential. `data` holds the secret fields its type's
    /// schema asks for; n8n never returns them. Never retried.
    pub async fn create_credential(
        &self,
        name: &str,
        kind: &str,
        data: &Value,
    ) -> Result<Credential, N8nError> {
        let body = json!({ "name": name, "type": kind, "data": data });
        let req = ApiRequest::api(Method::POST, "/credentials").json(&body);
        self.call_json(req).await
    }

    /// Deletes a credential and returns its metadata. n8n 1.123 answers
    /// without the `id`; it is filled in from the request.
    pub async fn delete_credential(&self, id: &str) -> Result<Credential, N8nError> {
        let req = ApiRequest::api(Method::DELETE, &format!("/credentials/{}", seg(id)))
            .resource(format!("credential {id:?}"));
        let endpoint = req.endpoint();
        let mut deleted: Value = self.call_json(req).await?;
        if let Value::Object(fields) = &mut deleted {
            fields.entry("id").or_insert_with(|| json!(id));
        }
        serde_json::from_value(deleted).map_err(|e| self.invalid_body(&endpoint, 200, &e))
    }

    /// The JSON schema of a credential type's data (`githubApi`, ...).
    pub async fn get_credential_schema(&self, kind: &str) -> Result<Value, N8nError> {
        let req = ApiRequest::api(Method::GET, &format!("/credentials/schema/{}", seg(kind)))
            .resource(format!("credential type {kind:?}"));
        self.call_json(req).await
    }
}

/// The answers of an instance without a credentials list.
pub(crate) fn is_unsupported(e: &N8nError) -> bool {
    matches!(
        e,
        N8nError::NotN8n { status: 404, .. } | N8nError::Rejected { status: 405, .. }
    )
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use serde_json::json;

    use super::super::testkit::{client, json, serve};

    #[tokio::test]
    async fn no_list_on_1x_is_none() {
        let app = Router::new().route(
            "/api/v1/credentials",
            get(|| async { json(405, &json!({"message": "GET method not allowed"})) }),
        );
        let server = serve(app).await;
        assert_eq!(client(&server.url).list_credentials().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_deleted_credential_keeps_its_id() {
        // As n8n 1.123 answers a delete: everything but the id.
        let app = Router::new().route(
            "/api/v1/credentials/{id}",
            axum::routing::delete(|| async {
                json(
                    200,
                    &json!({"name": "tmp", "type": "githubApi", "isManaged": false}),
                )
            }),
        );
        let server = serve(app).await;
        let deleted = client(&server.url).delete_credential("c9").await.unwrap();
        assert_eq!((deleted.id.as_str(), deleted.name.as_str()), ("c9", "tmp"));
    }

    #[tokio::test]
    async fn a_list_is_read_where_there_is_one() {
        let app = Router::new().route(
            "/api/v1/credentials",
            get(|| async {
                json(200, &json!({"data": [{"id": "c1", "name": "GitHub", "type": "githubApi"}], "nextCursor": null}))
            }),
        );
        let server = serve(app).await;
        let list = client(&server.url)
            .list_credentials()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (list[0].name.as_str(), list[0].kind.as_str()),
            ("GitHub", "githubApi")
        );
    }
}
