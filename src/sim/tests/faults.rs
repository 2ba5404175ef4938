//! Faults, observed through a real client.

use super::*;

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
