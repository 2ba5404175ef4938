//! Pipelines (config and store merged, validation, conflicts, refusals, audit) and the
//! credentials matrix over two simulated instances.

use super::credentials_matrix::{CredentialCell, CredentialSource};
use super::test_fixture::{Fixture, KEY, sync};
use super::*;
use crate::domain::environment::EnvClass;
use crate::domain::pipeline::{Gates, Pipeline, Stage};
use crate::sim::SimOptions;
use crate::store::audit::Outcome;
use serde_json::{Value, json};

fn stage(from: &str, to: &str) -> Stage {
    Stage {
        from: from.into(),
        to: to.into(),
        gates: Gates::default(),
        activation: Default::default(),
        credentials: Default::default(),
    }
}

fn pipeline(name: &str, stages: &[(&str, &str)]) -> Pipeline {
    Pipeline {
        name: name.into(),
        description: format!("{name} pipeline"),
        stages: stages.iter().map(|(f, t)| stage(f, t)).collect(),
    }
}

fn empty_sim(seed: u64) -> SimOptions {
    SimOptions {
        api_key: KEY.into(),
        seed,
        ..SimOptions::default()
    }
}

/// dev, staging and prod (no workflows), with the config pipeline `alpha`.
async fn fixture() -> (Fixture, LocalOps) {
    let f = Fixture::builder()
        .env("dev", EnvClass::Development, empty_sim(1))
        .env("staging", EnvClass::Staging, empty_sim(2))
        .env("prod", EnvClass::Production, empty_sim(3))
        .build()
        .await;
    let mut ops = f.ops.clone();
    ops.settings.pipelines = vec![pipeline("alpha", &[("dev", "staging")])];
    (f, ops)
}

fn names(list: &[PipelineView]) -> Vec<(&str, PipelineSource)> {
    list.iter()
        .map(|v| (v.pipeline.name.as_str(), v.source))
        .collect()
}

/// (action, outcome, detail) of the audit events whose action starts with "pipeline.",
/// oldest first.
async fn pipeline_audit(ops: &LocalOps) -> Vec<(String, Outcome, String)> {
    let mut events: Vec<_> = ops
        .audit_list(AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("pipeline."))
        .collect();
    events.sort_by_key(|e| e.id);
    events
        .into_iter()
        .map(|e| (e.action, e.outcome, e.detail.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn list_merges_config_and_store_pipelines_by_name() {
    let (_f, ops) = fixture().await;
    let saved = ops
        .pipeline_put(pipeline("beta", &[("staging", "prod")]))
        .await
        .unwrap();
    assert_eq!(saved.source, PipelineSource::Store);
    assert_eq!(saved.updated_by.as_deref(), Some("tester"));
    ops.pipeline_put(pipeline("aardvark", &[("dev", "prod")]))
        .await
        .unwrap();
    let list = ops.pipelines_list().await.unwrap();
    assert_eq!(
        names(&list),
        [
            ("aardvark", PipelineSource::Store),
            ("alpha", PipelineSource::Config),
            ("beta", PipelineSource::Store),
        ]
    );
    // A stored pipeline comes back as it was saved, with who and when.
    let beta = ops.pipeline_show("beta".into()).await.unwrap();
    assert_eq!(beta, saved);
    assert_eq!(beta.pipeline, pipeline("beta", &[("staging", "prod")]));
    let alpha = ops.pipeline_show("alpha".into()).await.unwrap();
    assert_eq!(alpha.source, PipelineSource::Config);
    assert_eq!(alpha.updated_by, None);
    let err = ops.pipeline_show("nope".into()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("'nope'"), "{}", err.message);
    // Saving again replaces it.
    let mut changed = pipeline("beta", &[("staging", "prod")]);
    changed.description = "changed".into();
    ops.pipeline_put(changed).await.unwrap();
    let beta = ops.pipeline_show("beta".into()).await.unwrap();
    assert_eq!(beta.pipeline.description, "changed");
    assert_eq!(ops.pipelines_list().await.unwrap().len(), 3);
}

#[tokio::test]
async fn put_refuses_invalid_pipelines_and_unknown_environments() {
    let (_f, ops) = fixture().await;
    let err = ops
        .pipeline_put(pipeline("loop", &[("dev", "dev")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("pipeline 'loop'") && err.message.contains("same environment"),
        "{}",
        err.message
    );
    let err = ops.pipeline_put(pipeline("none", &[])).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(err.message.contains("no stages"), "{}", err.message);
    let err = ops
        .pipeline_put(pipeline(
            "far",
            &[("dev", "qa"), ("qa", "eu-prod"), ("dev", "prod")],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("'far'")
            && err.message.contains("'eu-prod', 'qa'")
            && !err.message.contains("'dev'"),
        "{}",
        err.message
    );
    // Nothing was stored.
    assert_eq!(
        names(&ops.pipelines_list().await.unwrap()),
        [("alpha", PipelineSource::Config)]
    );
}

#[tokio::test]
async fn a_config_pipeline_can_be_neither_replaced_nor_deleted() {
    let (_f, ops) = fixture().await;
    let err = ops
        .pipeline_put(pipeline("alpha", &[("staging", "prod")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert!(
        err.message.contains("'alpha'") && err.message.contains("defined in the config"),
        "{}",
        err.message
    );
    let err = ops.pipeline_delete("alpha".into()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(
        err.message.contains("defined in the config"),
        "{}",
        err.message
    );
    let err = ops.pipeline_delete("ghost".into()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("'ghost'"), "{}", err.message);
    // The config pipeline is untouched.
    let alpha = ops.pipeline_show("alpha".into()).await.unwrap();
    assert_eq!(alpha.pipeline, pipeline("alpha", &[("dev", "staging")]));
}

#[tokio::test]
async fn delete_removes_a_stored_pipeline_and_everything_is_audited() {
    let (_f, ops) = fixture().await;
    ops.pipeline_put(pipeline("beta", &[("dev", "staging"), ("staging", "prod")]))
        .await
        .unwrap();
    ops.pipeline_put(pipeline("alpha", &[("dev", "prod")]))
        .await
        .unwrap_err();
    ops.pipeline_delete("beta".into()).await.unwrap();
    assert_eq!(
        ops.pipeline_show("beta".into()).await.unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(ops.pipelines_list().await.unwrap().len(), 1);
    let audit = pipeline_audit(&ops).await;
    let summary: Vec<(&str, Outcome)> = audit.iter().map(|(a, o, _)| (a.as_str(), *o)).collect();
    assert_eq!(
        summary,
        [
            ("pipeline.put", Outcome::Ok),
            ("pipeline.put", Outcome::Error),
            ("pipeline.delete", Outcome::Ok),
        ]
    );
    assert!(
        audit[0].2.contains("'beta'") && audit[0].2.contains("dev -> staging, staging -> prod"),
        "{}",
        audit[0].2
    );
    assert!(
        audit[1].2.contains("defined in the config"),
        "{}",
        audit[1].2
    );
    assert_eq!(audit[2].2, "deleted pipeline 'beta'");
}

#[tokio::test]
async fn read_only_refuses_saving_and_deleting() {
    let (_f, mut ops) = fixture().await;
    ops.settings.readonly = true;
    let err = ops
        .pipeline_put(pipeline("beta", &[("dev", "prod")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert_eq!(
        ops.pipeline_delete("beta".into()).await.unwrap_err().kind,
        ErrorKind::Forbidden
    );
    assert_eq!(ops.pipelines_list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_corrupt_stored_pipeline_is_a_store_error_naming_it() {
    let (f, ops) = fixture().await;
    let mut conn = f.store.store.conn().await.unwrap();
    crate::store::pipelines::put(&mut conn, "broken", "{not json", "someone", 0)
        .await
        .unwrap();
    drop(conn);
    let err = ops.pipeline_show("broken".into()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Store);
    assert!(err.message.contains("'broken'"), "{}", err.message);
    let err = ops.pipelines_list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Store);
    assert!(err.message.contains("'broken'"), "{}", err.message);
    // It can still be deleted, which mends the list.
    ops.pipeline_delete("broken".into()).await.unwrap();
    assert_eq!(ops.pipelines_list().await.unwrap().len(), 1);
}

// ---- credentials matrix ----

/// A workflow whose one node per credential uses it: `(type, name)`.
fn workflow(name: &str, credentials: &[(&str, &str)]) -> Value {
    let nodes: Vec<Value> = credentials
        .iter()
        .enumerate()
        .map(|(i, (cred_type, cred_name))| {
            json!({
                "id": format!("n{i}"),
                "name": format!("Node {i}"),
                "type": "n8n-nodes-base.httpRequest",
                "typeVersion": 4,
                "position": [i as i64 * 200, 0],
                "parameters": {},
                "credentials": {*cred_type: {"id": format!("{name}-{i}"), "name": cred_name}},
            })
        })
        .chain(std::iter::once(json!({
            "id": "start",
            "name": "Start",
            "type": "n8n-nodes-base.manualTrigger",
            "typeVersion": 1,
            "position": [0, 200],
            "parameters": {},
        })))
        .collect();
    json!({"name": name, "nodes": nodes, "connections": {}, "settings": {"executionOrder": "v1"}})
}

fn sim_with(seed: u64, workflows: Vec<Value>) -> SimOptions {
    SimOptions {
        workflows,
        ..empty_sim(seed)
    }
}

#[tokio::test]
async fn credentials_matrix_shows_where_each_exists_and_who_uses_it() {
    // prod is added first: the matrix still puts dev (development) before it.
    let f = Fixture::builder()
        .env(
            "prod",
            EnvClass::Production,
            sim_with(5, vec![workflow("Billing", &[("slackApi", "Alerts")])]),
        )
        .env(
            "dev",
            EnvClass::Development,
            sim_with(
                4,
                vec![
                    workflow(
                        "Billing",
                        &[("slackApi", "Alerts"), ("httpHeaderAuth", "Token")],
                    ),
                    workflow("Reports", &[("slackApi", "Alerts")]),
                    workflow("Plain", &[]),
                ],
            ),
        )
        .build()
        .await;
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert!(job.error.is_none(), "{:?}", job.error);
    let matrix = f.ops.credentials_matrix().await.unwrap();
    assert_eq!(matrix.envs, ["dev", "prod"]);
    let keys: Vec<(&str, &str)> = matrix
        .rows
        .iter()
        .map(|r| (r.cred_type.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(keys, [("httpHeaderAuth", "Token"), ("slackApi", "Alerts")]);
    let token = &matrix.rows[0];
    assert_eq!(
        token.cells[0],
        CredentialCell {
            present: true,
            ids: vec!["Billing-1".into()],
            source: Some(CredentialSource::Nodes),
            workflows: vec!["Billing".into()],
        }
    );
    // Only in dev: absent from prod, and nothing there uses it.
    assert_eq!(token.cells[1], CredentialCell::default());
    let alerts = &matrix.rows[1];
    assert!(alerts.cells.iter().all(|c| c.present));
    assert_eq!(alerts.cells[0].workflows, ["Billing", "Reports"]);
    assert_eq!(alerts.cells[0].used_by(), 2);
    assert_eq!(alerts.cells[0].ids, ["Billing-0", "Reports-0"]);
    assert_eq!(alerts.cells[1].workflows, ["Billing"]);
    assert_eq!(alerts.cells[1].used_by(), 1);
}

#[tokio::test]
async fn credentials_matrix_of_nothing_synced_is_empty() {
    let (f, _) = fixture().await;
    let matrix = f.ops.credentials_matrix().await.unwrap();
    assert_eq!(matrix.envs, ["dev", "staging", "prod"]);
    assert!(matrix.rows.is_empty());
}
