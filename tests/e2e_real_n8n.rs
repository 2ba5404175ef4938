//! End to end against a real n8n 1.123.0 (scripts/test.sh starts one and sets
//! N8NOPS_E2E_N8N_URL / N8NOPS_E2E_N8N_API_KEY): import the corpus through the public
//! API, sync it with n8nops, and check that every importable workflow came back with the
//! fingerprint of the file it was imported from, and that each invalid file got one
//! clear error.

use n8nops::domain::environment::EnvClass;
use n8nops::domain::normalize::fingerprint;
use n8nops::n8n::{ClientOptions, N8nClient};
use n8nops::service::{
    EnvAdd, LocalOps, Ops, Secret, Settings, SyncReport, SyncRequest, WorkflowQuery, follow_job,
};
use n8nops::store::{SecretBox, Store};
use std::collections::HashMap;
use std::path::PathBuf;

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/real_n8n.rs"]
mod real_n8n;
use corpus::{corpus_dir, corpus_files, ensure_corpus};
use real_n8n::real_n8n;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_round_trips_through_a_real_n8n() {
    let Some((url, key)) = real_n8n() else { return };
    let Some(dir) = corpus_dir() else { return };
    let files = corpus_files(&dir);
    assert_eq!(files.len(), 2061, "the corpus should hold 2,061 workflows");

    let client = N8nClient::new("e2e", &url, &key, ClientOptions::default()).unwrap();
    // Import through the public API, one at a time, what the instance does not hold
    // yet (another test may have imported it already); refused files are sent again.
    let results: Vec<(PathBuf, serde_json::Value, Result<String, String>)> =
        ensure_corpus(&client, files)
            .await
            .into_iter()
            .map(|i| (i.path, i.value, i.outcome))
            .collect();

    let rejected: Vec<&(PathBuf, serde_json::Value, Result<String, String>)> =
        results.iter().filter(|r| r.2.is_err()).collect();
    for (path, _, err) in &rejected {
        eprintln!("rejected {}: {}", path.display(), err.as_ref().unwrap_err());
    }
    assert_eq!(
        rejected.len(),
        8,
        "n8n's validator rejects exactly 8 corpus files"
    );
    for (_, _, err) in &rejected {
        let message = err.as_ref().unwrap_err();
        assert!(
            message.contains("e2e") && message.contains("request/body"),
            "unclear error: {message}"
        );
    }

    // Sync with n8nops and compare each imported workflow with its file.
    let data = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(
        &data.path().join("n8nops.db"),
        SecretBox::from_key(&[9; 32]),
    )
    .await
    .unwrap();
    let ops = LocalOps::new(store, Settings::from_config(&Default::default()))
        .await
        .unwrap();
    ops.env_add(EnvAdd {
        name: "real".into(),
        url: url.clone(),
        class: EnvClass::Production,
        api_key: Secret::new(key.clone()),
        git_repo: None,
        git_branch: None,
    })
    .await
    .unwrap();
    let events = ops.subscribe();
    let started = ops.sync(SyncRequest::default()).await.unwrap();
    let job = follow_job(&ops, events, &started.job_id, |_| {})
        .await
        .unwrap();
    assert!(job.error.is_none(), "sync failed: {:?}", job.error);
    let report: SyncReport = serde_json::from_value(job.result.unwrap()).unwrap();
    assert!(report.envs[0].workflows.unwrap() >= 2053);

    let stored: HashMap<String, String> = ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|w| (w.id, w.fingerprint))
        .collect();
    let mut mismatches = Vec::new();
    for (path, value, outcome) in &results {
        let Ok(id) = outcome else { continue };
        match stored.get(id) {
            Some(fp) if *fp == fingerprint(value) => {}
            Some(_) => {
                mismatches.push(format!("{} (id {id}): fingerprint differs", path.display()))
            }
            None => mismatches.push(format!("{} (id {id}): not synced", path.display())),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of 2053 differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
