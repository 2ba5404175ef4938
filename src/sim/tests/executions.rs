//! Executions: listing, data, retry, deletion and the background traffic.

use super::*;

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

#[tokio::test]
async fn a_held_run_stays_running_until_finished() {
    let api = Api::start(SimOptions {
        workflows: vec![workflow("A", true)],
        ..SimOptions::default()
    })
    .await;
    let wf = api.handle.workflow_ids()[0].clone();
    let long = api.handle.start_execution(&wf).unwrap();
    let later = api
        .handle
        .add_execution(&wf, ExecutionStatus::Success)
        .unwrap();
    let listed_ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, listed) = api.get("/executions").await;
    assert_eq!(
        listed_ids(&listed),
        [later.to_string()],
        "running is left out"
    );
    let (_, running) = api.get("/executions?status=running").await;
    assert_eq!(listed_ids(&running), [long.to_string()]);
    assert!(running["data"][0]["stoppedAt"].is_null());

    api.handle
        .finish_execution(long, ExecutionStatus::Error)
        .unwrap();
    let (_, listed) = api.get("/executions").await;
    assert_eq!(listed_ids(&listed), [later.to_string(), long.to_string()]);
    let (_, running) = api.get("/executions?status=running").await;
    assert!(listed_ids(&running).is_empty());
    let (_, ended) = api
        .get(&format!("/executions/{long}?includeData=true"))
        .await;
    assert_eq!(ended["status"], "error");
    assert!(ended["stoppedAt"].is_string());
    assert!(ended["data"]["resultData"]["error"]["message"].is_string());
    assert!(
        api.handle
            .finish_execution(long, ExecutionStatus::Success)
            .is_err(),
        "an ended run stays ended"
    );
}
