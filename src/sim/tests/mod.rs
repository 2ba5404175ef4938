//! End-to-end tests of the simulator through a real HTTP client (reqwest), as
//! n8nops' own client sees it. Expected answers were captured from a real n8n 1.123.0.

use super::*;
use reqwest::{Client, Method};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

struct Api {
    handle: SimHandle,
    client: Client,
}

impl Api {
    async fn start(opts: SimOptions) -> Api {
        let handle = start(opts).await.expect("simulator starts");
        Api {
            handle,
            client: Client::new(),
        }
    }

    async fn empty() -> Api {
        Api::start(SimOptions::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.handle.url)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("X-N8N-API-KEY", &self.handle.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body is read");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Every item of a paginated list, following `nextCursor`.
    async fn all(&self, path: &str, limit: u32) -> Vec<Value> {
        let mut items = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = format!("{path}{sep}limit={limit}");
        loop {
            let (status, page) = self.get(&next).await;
            assert_eq!(status, 200, "{page}");
            items.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_str() {
                Some(cursor) => next = format!("{path}{sep}limit={limit}&cursor={cursor}"),
                None => return items,
            }
        }
    }
}

fn workflow(name: &str, trigger: bool) -> Value {
    let mut nodes = vec![json!({
        "name": "Set", "type": "n8n-nodes-base.set", "typeVersion": 3.4, "position": [200, 0], "parameters": {}
    })];
    let mut connections = json!({});
    if trigger {
        nodes.insert(0, json!({
            "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2, "position": [0, 0],
            "parameters": {"path": "p", "httpMethod": "POST"}, "webhookId": "11111111-2222-3333-4444-555555555555"
        }));
        connections = json!({"Webhook": {"main": [[{"node": "Set", "type": "main", "index": 0}]]}});
    }
    json!({"name": name, "nodes": nodes, "connections": connections, "settings": {"executionOrder": "v1"}})
}

#[tokio::test]
async fn api_key_routes_and_methods() {
    let api = Api::empty().await;
    let client = &api.client;
    let r = client.get(api.url("/workflows")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"message": "'X-N8N-API-KEY' header required"})
    );
    let r = client
        .get(api.url("/workflows"))
        .header("X-N8N-API-KEY", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"message": "unauthorized"})
    );
    // Routing comes before the key check, as in n8n.
    let r = client.get(api.url("/nope")).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()),
        (404, json!({"message": "not found"}))
    );
    assert_eq!(
        api.get("/credentials").await,
        (405, json!({"message": "GET method not allowed"}))
    );
    assert_eq!(
        api.call(Method::PATCH, "/workflows", None).await,
        (405, json!({"message": "PATCH method not allowed"}))
    );
    assert_eq!(
        api.get("/workflows/nope").await,
        (404, json!({"message": "Not Found"}))
    );
    assert_eq!(
        api.get("/workflows?foo=1").await,
        (400, json!({"message": "Unknown query parameter 'foo'"}))
    );
    assert_eq!(api.get("/variables").await.0, 403);

    // Outside the API: health, public settings (no version), the editor page (version).
    let r = client
        .get(format!("{}/healthz", api.handle.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    let r = client
        .get(format!("{}/rest/settings", api.handle.url))
        .send()
        .await
        .unwrap();
    let settings: Value = r.json().await.unwrap();
    assert_eq!(settings["data"]["settingsMode"], "public");
    assert!(
        settings["data"].get("versionCli").is_none(),
        "n8n shows no version to anonymous clients"
    );
    let page = client
        .get(&api.handle.url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("n8n:config:sentry\" content=\"").unwrap() + 28;
    let encoded = &page[start..start + page[start..].find('"').unwrap()];
    let config: Value =
        serde_json::from_slice(&crate::domain::encoding::base64_decode(encoded).unwrap()).unwrap();
    assert_eq!(config["release"], "n8n@1.123.0");
    assert!(api.handle.request_count() >= 10);
}

#[tokio::test]
async fn write_validation_answers_like_n8n() {
    let api = Api::empty().await;
    let cases = [
        (json!({"id": "x"}), "request/body/id is read-only"),
        (json!({"active": true}), "request/body/active is read-only"),
        (json!({"tags": []}), "request/body/tags is read-only"),
        (
            json!({"pinData": {}}),
            "request/body must NOT have additional properties",
        ),
        (
            json!({"versionId": "v"}),
            "request/body must NOT have additional properties",
        ),
        (
            json!({"meta": {}}),
            "request/body must NOT have additional properties",
        ),
        (
            json!({"description": "d"}),
            "request/body must NOT have additional properties",
        ),
        (
            json!({"settings": {"maxExecutions": 5}}),
            "request/body/settings must NOT have additional properties",
        ),
        (
            json!({"nodes": [{"name": "A"}, {"name": "B"}, {"name": "C"}, {"disabled": "yes"}]}),
            "request/body/nodes/3/disabled must be boolean",
        ),
        (
            json!({"nodes": [{"name": "A", "color": "#ff0000"}]}),
            "request/body/nodes/0 must NOT have additional properties",
        ),
        (
            json!({"nodes": [{"typeVersion": "2"}]}),
            "request/body/nodes/0/typeVersion must be number",
        ),
    ];
    for (extra, message) in cases {
        let mut body = workflow("v", false);
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        assert_eq!(
            api.post("/workflows", body).await,
            (400, json!({ "message": message }))
        );
    }
    let mut body = workflow("v", false);
    body.as_object_mut().unwrap().remove("settings");
    assert_eq!(
        api.post("/workflows", body).await.1["message"],
        "request/body must have required property 'settings'"
    );
    let r = api
        .client
        .post(api.url("/workflows"))
        .header("X-N8N-API-KEY", &api.handle.api_key)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(api.handle.workflow_count(), 0);
}

#[tokio::test]
async fn workflow_lifecycle() {
    let api = Api::empty().await;
    let mut body = workflow("Orders", true);
    body["nodes"][1].as_object_mut().unwrap().remove("id");
    let (status, created) = api.post("/workflows", body.clone()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(created["active"], false);
    assert_eq!(created["versionCounter"], 1);
    assert_eq!(created["isArchived"], false);
    assert_eq!(
        created["settings"],
        json!({"executionOrder": "v1", "callerPolicy": "workflowsFromSameOwner", "availableInMCP": false})
    );
    assert_eq!(created["versionId"].as_str().map(str::len), Some(36));
    assert!(
        created["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"].as_str().is_some_and(|s| s.len() == 36))
    );
    assert!(created.get("shared").is_none() && created.get("tags").is_none());
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));

    let (_, got) = api.get(&format!("/workflows/{id}")).await;
    assert_eq!(got["shared"][0]["role"], "workflow:owner");
    assert_eq!(got["tags"], json!([]));
    assert_eq!(got["pinData"], Value::Null);
    let (_, got) = api
        .get(&format!("/workflows/{id}?excludePinnedData=true"))
        .await;
    assert!(got.get("pinData").is_none());

    // Every PUT is a new version, even with the same body; settings merge.
    let mut same = body.clone();
    same["settings"] = json!({});
    let (status, updated) = api.put(&format!("/workflows/{id}"), same.clone()).await;
    assert_eq!(status, 200);
    assert_ne!(updated["versionId"], created["versionId"]);
    assert_eq!(updated["versionCounter"], 2);
    assert_eq!(updated["settings"]["executionOrder"], "v1");
    let (_, again) = api.put(&format!("/workflows/{id}"), same).await;
    assert_ne!(again["versionId"], updated["versionId"]);
    assert_eq!(api.put("/workflows/nope", body.clone()).await.0, 404);

    // Activation needs a trigger.
    let (_, activated) = api
        .post(&format!("/workflows/{id}/activate"), json!({}))
        .await;
    assert_eq!(activated["active"], true);
    assert_eq!(activated["activeVersionId"], activated["versionId"]);
    assert!(activated.get("shared").is_none() && activated.get("tags").is_none());
    // Activating an active workflow answers with it as loaded: `shared`, no `tags`.
    let (_, again) = api
        .post(&format!("/workflows/{id}/activate"), json!({}))
        .await;
    assert_eq!(again["shared"][0]["project"]["type"], "personal");
    assert!(again.get("tags").is_none());
    let plain = api
        .post("/workflows", workflow("No trigger", false))
        .await
        .1;
    let plain_id = plain["id"].as_str().unwrap();
    let (status, refused) = api
        .post(&format!("/workflows/{plain_id}/activate"), json!({}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["message"],
        format!(
            "Workflow \"No trigger\" (ID: {plain_id}) has no node to start the workflow - at least one trigger, poller or webhook node is required"
        )
    );
    let (_, deactivated) = api
        .post(&format!("/workflows/{id}/deactivate"), json!({}))
        .await;
    assert_eq!(deactivated["active"], false);
    assert_eq!(deactivated["activeVersion"], Value::Null);
    assert_eq!(deactivated["shared"][0]["role"], "workflow:owner");
    assert!(deactivated.get("tags").is_none());

    // DELETE answers with the deleted workflow.
    let (status, deleted) = api.delete(&format!("/workflows/{plain_id}")).await;
    assert_eq!(
        (status, deleted["name"].as_str()),
        (200, Some("No trigger"))
    );
    assert_eq!(api.delete(&format!("/workflows/{plain_id}")).await.0, 404);

    // Direct access for tests: an edit "in the UI" is a new version seen by the API.
    api.handle
        .edit_workflow(&id, |w| w["name"] = json!("Orders (edited)"))
        .unwrap();
    let (_, edited) = api.get(&format!("/workflows/{id}")).await;
    assert_eq!(edited["name"], "Orders (edited)");
    assert_ne!(edited["versionId"], again["versionId"]);
    assert!(
        api.handle
            .edit_workflow(&id, |w| w["pinData"] = json!({}))
            .is_err()
    );
}

#[tokio::test]
async fn writes_keep_the_text_as_sent() {
    let api = Api::empty().await;
    // Numbers digit for digit and key order, with the node id appended (as n8n does).
    let text = r#"{"name":"t","nodes":[{"type":"n8n-nodes-base.stickyNote","name":"Note","parameters":{"width":225.41119920533646,"height":1008.8561536646063,"content":"x"},"position":[-20,1e2]}],"connections":{"Note":{"main":[[]]}},"settings":{}}"#;
    let r = api
        .client
        .post(api.url("/workflows"))
        .header("X-N8N-API-KEY", &api.handle.api_key)
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let r = api
        .client
        .get(api.url(&format!("/workflows/{id}")))
        .header("X-N8N-API-KEY", &api.handle.api_key)
        .send()
        .await
        .unwrap();
    let got = r.text().await.unwrap();
    let node_id = created["nodes"][0]["id"].as_str().unwrap();
    assert!(
        got.contains(&format!(r#""nodes":[{{"type":"n8n-nodes-base.stickyNote","name":"Note","parameters":{{"width":225.41119920533646,"height":1008.8561536646063,"content":"x"}},"position":[-20,1e2],"id":"{node_id}"}}]"#)),
        "{got}"
    );
    assert!(got.contains(r#""connections":{"Note":{"main":[[]]}}"#));
}

#[tokio::test]
async fn workflow_pages_and_cursors() {
    let workflows: Vec<Value> = (0..7).map(|i| workflow(&format!("W{i}"), false)).collect();
    let api = Api::start(SimOptions {
        workflows,
        ..SimOptions::default()
    })
    .await;
    let (_, first) = api.get("/workflows?limit=3").await;
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    let cursor = first["nextCursor"].as_str().unwrap();
    assert_eq!(
        cursor::decode(cursor),
        Ok(cursor::Cursor::Offset {
            offset: 3,
            limit: Some(3)
        })
    );
    let names: Vec<String> = api
        .all("/workflows", 3)
        .await
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, (0..7).map(|i| format!("W{i}")).collect::<Vec<_>>());
    let (_, last) = api.get("/workflows?limit=7").await;
    assert_eq!(last["nextCursor"], Value::Null);
    assert_eq!(
        api.get("/workflows").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        7,
        "default limit is 100"
    );
    assert_eq!(api.get("/workflows?limit=250").await.0, 200);
    assert_eq!(
        api.get("/workflows?limit=251").await,
        (
            400,
            json!({"message": "request/query/limit must be <= 250"})
        )
    );
    assert_eq!(
        api.get("/workflows?cursor=abc").await,
        (400, json!({"message": "An invalid cursor was provided"}))
    );
    assert_eq!(
        api.get("/workflows?name=w3").await.1["data"][0]["name"],
        "W3"
    );
}

#[tokio::test]
async fn tags_and_workflow_tags() {
    let api = Api::start(SimOptions {
        workflows: vec![workflow("A", true), workflow("B", true)],
        ..SimOptions::default()
    })
    .await;
    let (status, prod) = api.post("/tags", json!({"name": "prod"})).await;
    assert_eq!(status, 201);
    assert_eq!(
        api.post("/tags", json!({"name": "prod"})).await,
        (409, json!({"message": "Tag already exists"}))
    );
    let (_, crm) = api.post("/tags", json!({"name": "crm"})).await;
    assert_eq!(
        api.put(
            &format!("/tags/{}", crm["id"].as_str().unwrap()),
            json!({"name": "prod"})
        )
        .await
        .0,
        409
    );
    let (_, renamed) = api
        .put(
            &format!("/tags/{}", crm["id"].as_str().unwrap()),
            json!({"name": "sales"}),
        )
        .await;
    assert_eq!(renamed["name"], "sales");
    let ids = api.handle.workflow_ids();
    let (status, set) = api
        .put(
            &format!("/workflows/{}/tags", ids[0]),
            json!([{"id": prod["id"]}, {"id": crm["id"]}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(set.as_array().unwrap().len(), 2);
    api.put(
        &format!("/workflows/{}/tags", ids[1]),
        json!([{"id": prod["id"]}]),
    )
    .await;
    assert_eq!(
        api.put(
            &format!("/workflows/{}/tags", ids[1]),
            json!([{"id": "nope"}])
        )
        .await,
        (404, json!({"message": "Some tags not found"}))
    );
    let count = |v: Value| v["data"].as_array().unwrap().len();
    assert_eq!(count(api.get("/workflows?tags=prod").await.1), 2);
    assert_eq!(
        count(api.get("/workflows?tags=prod,sales").await.1),
        1,
        "tags filter is AND"
    );
    assert_eq!(count(api.get("/workflows?tags=nothing").await.1), 0);
    assert_eq!(
        api.get(&format!("/workflows/{}/tags", ids[0])).await.1[1]["name"],
        "sales"
    );
    let (_, tags) = api.get("/tags?limit=1").await;
    assert!(tags["nextCursor"].is_string());
    assert_eq!(
        api.delete(&format!("/tags/{}", prod["id"].as_str().unwrap()))
            .await
            .0,
        200
    );
    assert_eq!(
        api.get(&format!("/workflows/{}/tags", ids[0]))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn credentials_users_audit() {
    let api = Api::empty().await;
    let (status, created) = api.post("/credentials", json!({"name": "Ops token", "type": "httpHeaderAuth", "data": {"name": "X-Token", "value": "s3cret"}})).await;
    assert_eq!(status, 200);
    assert!(created.get("data").is_none());
    let cred_id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.post(
            "/credentials",
            json!({"name": "x", "type": "nopeApi", "data": {}})
        )
        .await
        .1["message"],
        "req.body.type is not a known type"
    );
    assert_eq!(
        api.get("/credentials/schema/httpHeaderAuth").await.1["type"],
        "object"
    );
    assert_eq!(api.get("/credentials/schema/nopeApi").await.0, 404);

    // A node credential with an unknown id is bound to the one credential of that name and type.
    let mut body = workflow("Uses creds", false);
    body["nodes"][0]["credentials"] =
        json!({"httpHeaderAuth": {"id": "fromAnotherInstance", "name": "Ops token"}});
    let (_, w) = api.post("/workflows", body).await;
    assert_eq!(
        w["nodes"][0]["credentials"]["httpHeaderAuth"],
        json!({"id": cred_id, "name": "Ops token"})
    );

    let (_, audit) = api.post("/audit", json!({})).await;
    assert!(audit.is_object() || audit == json!([]));
    let (status, deleted) = api.delete(&format!("/credentials/{cred_id}")).await;
    assert_eq!((status, deleted["name"].as_str()), (200, Some("Ops token")));
    assert_eq!(api.delete(&format!("/credentials/{cred_id}")).await.0, 404);

    let (_, users) = api.get("/users?includeRole=true").await;
    assert_eq!(users["data"][0]["role"], "global:owner");
    assert_eq!(users["nextCursor"], Value::Null);
    let email = users["data"][0]["email"].as_str().unwrap();
    assert_eq!(api.get(&format!("/users/{email}")).await.0, 200);
}

#[tokio::test]
async fn seeding_applies_tags_activation_and_credentials() {
    let fleet = generator::generate_fleet(9, 30);
    let expected_active = fleet
        .production
        .iter()
        .filter(|w| w["active"] == true)
        .count();
    let api = Api::start(SimOptions {
        workflows: fleet.production.clone(),
        ..SimOptions::default()
    })
    .await;
    assert_eq!(api.handle.workflow_count(), 30);
    let active = api.all("/workflows?active=true", 100).await;
    assert_eq!(active.len(), expected_active);
    assert!(
        api.get("/tags").await.1["data"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(api.handle.credential_count() > 0);
    let bad = SimOptions {
        workflows: vec![json!({"name": "x", "nodes": [{"meta": {}}], "connections": {}})],
        ..SimOptions::default()
    };
    assert!(matches!(
        start(bad).await,
        Err(SimError::Seed { index: 0, .. })
    ));
}

#[tokio::test]
async fn same_seed_same_instance() {
    let opts = || SimOptions {
        seed: 42,
        workflows: generator::generate(4, 8),
        seed_executions: 30,
        ..SimOptions::default()
    };
    let (a, b) = (Api::start(opts()).await, Api::start(opts()).await);
    assert_eq!(a.handle.workflow_ids(), b.handle.workflow_ids());
    let strip = |mut v: Vec<Value>| {
        for e in &mut v {
            let o = e.as_object_mut().unwrap();
            for k in ["startedAt", "stoppedAt", "waitTill"] {
                o.remove(k);
            }
        }
        v
    };
    assert_eq!(
        strip(a.all("/executions", 50).await),
        strip(b.all("/executions", 50).await)
    );
}

mod corpus;
mod executions;
mod faults;
