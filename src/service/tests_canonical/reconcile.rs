//! Reconcile: nothing to say after a snapshot; then a live change, a document edited in
//! Git, a workflow gone from the instance and a document removed in Git, each reported.

use super::*;
use crate::domain::canonical::{self, workflow_path};
use crate::domain::normalize::fingerprint;

#[tokio::test]
async fn reconcile_reports_where_git_records_and_live_disagree() {
    let f = fixture(&[
        ("dev", EnvClass::Development, generated(51, 3)),
        ("prod", EnvClass::Production, generated(52, 6)),
    ])
    .await;
    snapshot(&f, "prod", None).await;
    let report = f
        .ops
        .reconcile(ReconcileRequest { pull: true })
        .await
        .unwrap();
    assert_eq!(report.pulled.as_deref(), Some("no remote configured"));
    assert!(report.rows.is_empty(), "{:#?}", report.rows);
    let head = repo(&f).await.head().unwrap().unwrap();
    assert_eq!(report.head.as_deref(), Some(head.id.as_str()));

    let mapping = mapping_at(&f, "prod", None).await;
    let entries: Vec<(String, canonical::MappedWorkflow)> = mapping
        .workflows
        .iter()
        .map(|(id, m)| (id.clone(), m.clone()))
        .collect();
    let (drifted, edited, gone, removed) = (&entries[0], &entries[1], &entries[2], &entries[3]);

    // Live: one edited, one deleted, then synced (not recorded).
    let sim = f.sim("prod");
    sim.edit_workflow(&drifted.1.n8n_id, |wf| {
        wf["nodes"][0]["parameters"]["drift"] = json!(true)
    })
    .unwrap();
    assert!(sim.delete_workflow(&gone.1.n8n_id));
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert!(job.error.is_none(), "{:?}", job.error);

    // Git: one document changed by hand, one removed.
    let git = repo(&f).await;
    let path = workflow_path(&edited.0);
    let mut doc: serde_json::Value =
        serde_json::from_slice(&git.read(None, &path).unwrap().unwrap()).unwrap();
    doc["settings"]["timezone"] = json!("Pacific/Chatham");
    let edited_fp = fingerprint(&doc);
    assert_ne!(edited_fp, edited.1.fingerprint);
    let by_hand = commit_by_hand(
        &f,
        Change {
            writes: vec![(path, canonical::render(&doc).into_bytes())],
            deletes: vec![workflow_path(&removed.0)],
            message: "Edit a workflow in review".into(),
            ..Default::default()
        },
    )
    .await;

    let report = f.ops.reconcile(ReconcileRequest::default()).await.unwrap();
    assert_eq!(report.pulled, None);
    assert_eq!(report.head.as_deref(), Some(by_hand.as_str()));
    let problems: Vec<(&str, &str)> = report
        .rows
        .iter()
        .map(|r| (r.canonical_id.as_str(), r.problem.as_str()))
        .collect();
    let mut expected = [
        (
            drifted.0.as_str(),
            drifted.1.name.as_str(),
            "prod: live differs from recorded (drift)".to_owned(),
        ),
        (
            edited.0.as_str(),
            edited.1.name.as_str(),
            "edited in Git, not deployed anywhere".to_owned(),
        ),
        (
            gone.0.as_str(),
            gone.1.name.as_str(),
            "missing in prod".to_owned(),
        ),
        (
            removed.0.as_str(),
            removed.1.name.as_str(),
            format!("no workflows/{}.json", removed.0),
        ),
    ];
    expected.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let expected: Vec<(&str, &str)> = expected
        .iter()
        .map(|(id, _, p)| (*id, p.as_str()))
        .collect();
    assert_eq!(problems, expected, "sorted by name");

    let row = |id: &str| report.rows.iter().find(|r| r.canonical_id == id).unwrap();
    let cell = &row(&drifted.0).envs[0];
    assert_eq!(cell.env, "prod");
    assert_eq!(cell.recorded.as_ref(), Some(&drifted.1.fingerprint));
    assert_ne!(cell.live, cell.recorded);
    assert!(cell.live.is_some());
    assert_eq!(row(&edited.0).git.as_ref(), Some(&edited_fp));
    assert_eq!(row(&gone.0).envs[0].live, None);
    assert_eq!(row(&removed.0).git, None);
    // The untouched ones and dev (no mapping) say nothing.
    assert_eq!(report.rows.len(), 4);
}
