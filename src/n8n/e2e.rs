//! End-to-end tests against the throw-away real n8n that scripts/test.sh
//! starts (N8NOPS_E2E_N8N_URL, N8NOPS_E2E_N8N_API_KEY); without one they
//! print that they skipped (and fail under N8NOPS_REQUIRE_N8N=1).

use serde_json::json;

use super::{ClientOptions, ExecutionFilter, N8nClient, N8nError, WorkflowFilter};

fn real_client() -> Option<N8nClient> {
    let (Ok(url), Ok(key)) = (
        std::env::var("N8NOPS_E2E_N8N_URL"),
        std::env::var("N8NOPS_E2E_N8N_API_KEY"),
    ) else {
        assert!(
            std::env::var("N8NOPS_REQUIRE_N8N").as_deref() != Ok("1"),
            "N8NOPS_REQUIRE_N8N=1 but N8NOPS_E2E_N8N_URL is not set"
        );
        eprintln!("SKIPPED (real n8n): N8NOPS_E2E_N8N_URL is not set; run scripts/test.sh");
        return None;
    };
    Some(N8nClient::new("real", &url, &key, ClientOptions::default()).expect("valid client"))
}

/// Credentials, tags, a failing webhook workflow, its execution and retry.
#[tokio::test]
async fn real_n8n_lifecycle() {
    let Some(c) = real_client() else { return };
    let suffix = std::process::id();

    // A credential named in a node by a bare string maps to its id.
    let schema = c.get_credential_schema("githubApi").await.unwrap();
    assert!(schema.get("properties").is_some(), "{schema}");
    let cred_name = format!("n8nops-e2e-{suffix}");
    let data = json!({"server": "https://api.github.com", "user": "u", "accessToken": "t"});
    let cred = c
        .create_credential(&cred_name, "githubApi", &data)
        .await
        .unwrap();
    let workflow = json!({
        "name": format!("n8nops-e2e-{suffix}"), "id": "x", "active": true, "tags": [],
        "nodes": [
            {"id": "a", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
             "position": [0, 0], "webhookId": format!("e2e-{suffix}"),
             "parameters": {"path": format!("n8nops-e2e-{suffix}"), "httpMethod": "GET"}},
            {"id": "b", "name": "Boom", "type": "n8n-nodes-base.code", "typeVersion": 2,
             "position": [200, 0], "parameters": {"jsCode": "throw new Error('kaboom');"}},
            {"id": "g", "name": "GitHub", "type": "n8n-nodes-base.github", "typeVersion": 1,
             "position": [400, 0], "parameters": {}, "credentials": {"githubApi": cred_name}}
        ],
        "connections": {"Webhook": {"main": [[{"node": "Boom", "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1", "maxExecutions": 3}, "pinData": {}
    });
    let created = c.create_workflow(&workflow).await.unwrap();
    assert!(!created.active, "create forces inactive");
    assert_eq!(
        created.value().unwrap()["nodes"][2]["credentials"]["githubApi"]["id"],
        json!(cred.id)
    );

    // Tags.
    let tag = c.create_tag(&format!("e2e-{suffix}")).await.unwrap();
    let set = c
        .set_workflow_tags(&created.id, std::slice::from_ref(&tag.id))
        .await
        .unwrap();
    assert_eq!(set[0].name, tag.name);
    assert_eq!(c.get_workflow_tags(&created.id).await.unwrap(), set);
    let filter = WorkflowFilter {
        tags: vec![tag.name.clone()],
        ..WorkflowFilter::default()
    };
    let tagged = c.all_workflows(&filter).await.unwrap();
    assert_eq!(
        tagged.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        [created.id.as_str()]
    );

    // Run it through its webhook; it fails in "Boom".
    let activated = c.activate_workflow(&created.id).await.unwrap();
    assert!(activated.active);
    let hook = format!("{}/webhook/n8nops-e2e-{suffix}", c.base_url());
    reqwest::get(&hook).await.unwrap();
    let by_workflow = ExecutionFilter {
        workflow_id: Some(created.id.clone()),
        include_data: true,
        ..ExecutionFilter::default()
    };
    let mut runs = Vec::new();
    for _ in 0..50 {
        runs = c.recent_executions(&by_workflow, 5, None).await.unwrap();
        if runs.first().is_some_and(|e| e.status.is_final()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let run = runs.first().expect("an execution");
    let failure = run.failure().expect("a failure");
    assert_eq!(failure.node.as_deref(), Some("Boom"));
    assert!(failure.message.contains("kaboom"), "{failure:?}");
    let retried = c.retry_execution(&run.id).await.unwrap();
    assert_eq!(retried.retry_of.as_deref(), Some(run.id.as_str()));
    assert_eq!(c.get_execution(&run.id, false).await.unwrap().id, run.id);
    assert_eq!(
        c.delete_execution(&retried.id).await.unwrap().id,
        retried.id
    );

    // Clean up.
    c.deactivate_workflow(&created.id).await.unwrap();
    c.delete_workflow(&created.id).await.unwrap();
    let err = c.get_workflow(&created.id).await.unwrap_err();
    assert!(matches!(err, N8nError::NotFound { .. }), "{err}");
    c.delete_tag(&tag.id).await.unwrap();
    assert_eq!(c.delete_credential(&cred.id).await.unwrap().id, cred.id);
}
