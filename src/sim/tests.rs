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
    let config: Value = serde_json::from_slice(&cursor::base64_decode(encoded).unwrap()).unwrap();
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
async fn executions_newest_first_with_string_ids() {
    let api = Api::start(SimOptions {
        workflows: generator::generate(21, 12),
        seed_executions: 200,
        ..SimOptions::default()
    })
    .await;
    let (_, first) = api.get("/executions?limit=10").await;
    let ids: Vec<u64> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 10);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let cursor = first["nextCursor"].as_str().unwrap();
    let (_, second) = api.get(&format!("/executions?cursor={cursor}")).await;
    let next: u64 = second["data"][0]["id"].as_str().unwrap().parse().unwrap();
    assert!(next < ids[9]);
    let all = api.all("/executions", 25).await;
    assert!(all.len() >= 190, "running ones are hidden unless asked for");
    assert!(
        all.iter()
            .all(|e| e["workflowId"].is_string() && e.get("data").is_none())
    );

    // An error execution names its failing node, which belongs to the workflow.
    let (_, errors) = api.get("/executions?status=error&limit=5").await;
    let error = &errors["data"][0];
    assert_eq!(error["status"], "error");
    assert_eq!(error["finished"], false);
    let (_, detail) = api
        .get(&format!(
            "/executions/{}?includeData=true",
            error["id"].as_str().unwrap()
        ))
        .await;
    let result = &detail["data"]["resultData"];
    let failing = result["error"]["node"]["name"].as_str().unwrap();
    assert_eq!(result["lastNodeExecuted"], failing);
    assert!(!result["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(result["runData"][failing][0]["executionStatus"], "error");
    let names: Vec<&str> = detail["workflowData"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert!(names.contains(&failing));
    assert_eq!(api.get("/executions?status=bogus").await.0, 400);
    assert_eq!(
        api.get("/executions/abc").await,
        (400, json!({"message": "request/params/id must be number"}))
    );
    assert_eq!(api.get("/executions/99999").await.0, 404);
    let wf = error["workflowId"].as_str().unwrap();
    let (_, of_one) = api.get(&format!("/executions?workflowId={wf}")).await;
    assert!(
        of_one["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["workflowId"] == wf)
    );
}

#[tokio::test]
async fn retry_and_delete_executions() {
    let api = Api::start(SimOptions {
        workflows: vec![workflow("A", true)],
        ..SimOptions::default()
    })
    .await;
    let wf = api.handle.workflow_ids()[0].clone();
    let ok = api
        .handle
        .add_execution(&wf, ExecutionStatus::Success)
        .unwrap();
    let failed = api
        .handle
        .add_execution(&wf, ExecutionStatus::Error)
        .unwrap();
    let running = api
        .handle
        .add_execution(&wf, ExecutionStatus::Running)
        .unwrap();
    let waiting = api
        .handle
        .add_execution(&wf, ExecutionStatus::Waiting)
        .unwrap();
    assert_eq!(
        api.post(&format!("/executions/{ok}/retry"), json!({}))
            .await,
        (
            400,
            json!({"message": "The execution succeeded, so it cannot be retried."})
        )
    );
    assert_eq!(
        api.post(&format!("/executions/{running}/retry"), json!({}))
            .await
            .0,
        409
    );
    assert_eq!(
        api.post(&format!("/executions/{waiting}/retry"), json!({}))
            .await
            .0,
        409
    );
    assert_eq!(
        api.post("/executions/999/retry", json!({})).await,
        (
            404,
            json!({"message": "The execution with the ID \"999\" does not exist."})
        )
    );
    let (status, retried) = api
        .post(&format!("/executions/{failed}/retry"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (retried["mode"].as_str(), retried["retryOf"].as_u64()),
        (Some("retry"), Some(failed))
    );
    let new_id = retried["id"].as_str().unwrap();
    let (_, listed) = api.get("/executions?status=running").await;
    let entry = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == new_id)
        .cloned()
        .unwrap();
    assert_eq!(entry["retryOf"], failed.to_string());
    assert_eq!(
        api.delete(&format!("/executions/{running}")).await,
        (400, json!({"message": "Cannot delete a running execution"}))
    );
    let (status, deleted) = api.delete(&format!("/executions/{ok}")).await;
    assert_eq!(
        (status, deleted["id"].as_u64()),
        (200, Some(ok)),
        "n8n sends the deleted id back as a number"
    );
    assert_eq!(api.get(&format!("/executions/{ok}")).await.0, 404);
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

#[tokio::test]
async fn background_traffic_creates_executions() {
    let api = Api::start(SimOptions {
        workflows: generator::generate(5, 10),
        executions_per_minute: 12_000,
        ..SimOptions::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(api.handle.execution_count() > 0);
    api.handle.shutdown().await;
}

// ---- faults, observed through a real client ----

#[tokio::test]
async fn fault_status_nth_and_after() {
    let api = Api::start(SimOptions {
        workflows: vec![workflow("A", false)],
        ..SimOptions::default()
    })
    .await;
    api.handle
        .set_faults(Fault::status(503).on("/api/v1/workflows").nth(2));
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(api.get("/workflows").await.0);
    }
    assert_eq!(statuses, [200, 503, 200]);
    assert_eq!(api.get("/tags").await.0, 200, "other paths are untouched");
    api.handle.set_faults(Fault::status(500).after(1));
    assert_eq!(
        (
            api.get("/tags").await.0,
            api.get("/tags").await.0,
            api.get("/users").await.0
        ),
        (200, 500, 500)
    );
    api.handle.clear_faults();
    assert_eq!(api.get("/tags").await.0, 200);
}

#[tokio::test]
async fn faults_set_at_start() {
    let api = Api::start(SimOptions {
        faults: Fault::status(502).on("/healthz").into(),
        ..SimOptions::default()
    })
    .await;
    let health = format!("{}/healthz", api.handle.url);
    assert_eq!(api.client.get(&health).send().await.unwrap().status(), 502);
    api.handle.clear_faults();
    assert_eq!(api.client.get(&health).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn fault_latency() {
    let api = Api::empty().await;
    api.handle
        .set_faults(Fault::latency(Duration::from_millis(300)).on("/api/v1/tags"));
    let started = Instant::now();
    assert_eq!(api.get("/tags").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn fault_drop_connection_mid_body_fails_the_client() {
    let workflows: Vec<Value> = (0..20).map(|i| workflow(&format!("W{i}"), false)).collect();
    let api = Api::start(SimOptions {
        workflows,
        ..SimOptions::default()
    })
    .await;
    api.handle
        .set_faults(Fault::drop_after(100).on("/api/v1/workflows"));
    let response = api
        .client
        .get(api.url("/workflows"))
        .header("X-N8N-API-KEY", &api.handle.api_key)
        .send()
        .await;
    let body = match response {
        Ok(r) => {
            assert_eq!(r.status(), 200, "headers arrive before the drop");
            r.bytes().await
        }
        Err(e) => Err(e),
    };
    assert!(body.is_err(), "reading the body fails: {body:?}");
    // The next request (a new connection) works again once faults are cleared.
    api.handle.clear_faults();
    assert_eq!(api.get("/workflows").await.0, 200);
}

#[tokio::test]
async fn fault_truncated_json() {
    let api = Api::start(SimOptions {
        workflows: vec![workflow("A", false)],
        ..SimOptions::default()
    })
    .await;
    api.handle
        .set_faults(Fault::truncate(40).on("/api/v1/workflows"));
    let r = api
        .client
        .get(api.url("/workflows"))
        .header("X-N8N-API-KEY", &api.handle.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("a complete HTTP answer");
    assert_eq!(bytes.len(), 40);
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());
}

#[tokio::test]
async fn fault_at_page_k_both_ways() {
    let workflows: Vec<Value> = (0..10).map(|i| workflow(&format!("W{i}"), false)).collect();
    let api = Api::start(SimOptions {
        workflows,
        ..SimOptions::default()
    })
    .await;
    api.handle
        .set_faults(Fault::fail_at_page(2, PageFailure::ServerError).on("/api/v1/workflows"));
    let (_, page1) = api.get("/workflows?limit=4").await;
    let cursor = page1["nextCursor"].as_str().unwrap().to_owned();
    let (status, body) = api
        .get(&format!("/workflows?limit=4&cursor={cursor}"))
        .await;
    assert_eq!(status, 500);
    assert!(body["message"].is_string());

    api.handle.set_faults(
        Fault::fail_at_page(2, PageFailure::DropConnection)
            .on("/api/v1/workflows")
            .nth(1),
    );
    let url = api.url(&format!("/workflows?limit=4&cursor={cursor}"));
    let send = || {
        api.client
            .get(&url)
            .header("X-N8N-API-KEY", &api.handle.api_key)
            .send()
    };
    let body = match send().await {
        Ok(r) => r.bytes().await,
        Err(e) => Err(e),
    };
    assert!(body.is_err(), "page 2 drops the connection");
    // Only the first time: a retry of page 2 gets through, as does page 3.
    let retry: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(retry["data"][0]["name"], "W4");

    // Execution lists page by id and fail the same way.
    let wf = api.handle.workflow_ids()[0].clone();
    for _ in 0..6 {
        api.handle
            .add_execution(&wf, ExecutionStatus::Success)
            .unwrap();
    }
    api.handle
        .set_faults(Fault::fail_at_page(3, PageFailure::ServerError).on("/api/v1/executions"));
    let (_, p1) = api.get("/executions?limit=2").await;
    let (s2, p2) = api
        .get(&format!(
            "/executions?limit=2&cursor={}",
            p1["nextCursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s2, 200);
    let (s3, _) = api
        .get(&format!(
            "/executions?limit=2&cursor={}",
            p2["nextCursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s3, 500);
}

// ---- the real corpus ----

/// Files of ../shared/corpus a real n8n 1.123.0 refuses when sent their writable
/// body (`domain::writable::writable_body`), with its message. Measured with
/// POST /api/v1/workflows (tests/e2e_real_n8n.rs checks the same against n8n).
const CORPUS_REJECTED: &[(&str, &str)] = &[
    (
        "Manual/0302_Manual_N8Ntrainingcustomerdatastore_Automate_Triggered.json",
        "request/body/nodes/0 must NOT have additional properties",
    ),
    (
        "Splitout/0645_Splitout_Code_Sync_Webhook.json",
        "request/body/nodes/1 must NOT have additional properties",
    ),
    (
        "Wait/0620_Wait_Slack_Automate_Webhook.json",
        "request/body/nodes/0 must NOT have additional properties",
    ),
    (
        "Wait/0621_Wait_Slack_Monitor_Webhook.json",
        "request/body/nodes/1 must NOT have additional properties",
    ),
    (
        "Wait/0627_Wait_Splitout_Create_Scheduled.json",
        "request/body/nodes/2 must NOT have additional properties",
    ),
    (
        "Webhook/0581_Webhook_Slack_Create_Webhook.json",
        "request/body/nodes/13 must NOT have additional properties",
    ),
    (
        "Webhook/1733_Webhook_Slack_Automate_Webhook.json",
        "request/body/nodes/13 must NOT have additional properties",
    ),
    (
        "Whatsapp/1521_Whatsapp_Stickynote_Automation_Webhook.json",
        "request/body/nodes/0/waitBetweenTries must be number",
    ),
];

#[tokio::test]
async fn corpus_seeds_exactly_as_real_n8n_accepts_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED corpus_seeds_exactly_as_real_n8n_accepts_it: {} does not exist",
            dir.display()
        );
        return;
    }
    let report = load_seed_dir(&dir).unwrap();
    let mut rejected: Vec<(String, String)> = report
        .rejected
        .iter()
        .map(|(f, r)| {
            (
                f.strip_prefix(&dir)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .into_owned(),
                r.clone(),
            )
        })
        .collect();
    rejected.sort();
    let expected: Vec<(String, String)> = CORPUS_REJECTED
        .iter()
        .map(|(f, r)| (f.to_string(), r.to_string()))
        .collect();
    assert_eq!(rejected, expected);
    assert_eq!(report.workflows.len(), 2_053);
    assert_eq!(report.workflows.len() + report.rejected.len(), 2_061);

    // All accepted ones seed and page back out.
    let api = Api::start(SimOptions {
        workflows: report.workflows,
        ..SimOptions::default()
    })
    .await;
    let all = api.all("/workflows", 250).await;
    assert_eq!(all.len(), 2_053);
}
