//! Snapshots (what a commit holds, its tag and trailers), listing, showing and diffing
//! them, and backups where one environment fails.

use super::*;
use crate::domain::canonical::{self, WORKFLOWS_DIR, workflow_path};
use crate::domain::commit::{CommitKind, TAG_PREFIX};
use crate::domain::diff::DiffStatus;
use crate::domain::normalize::fingerprint;
use crate::sim::Fault;
use crate::store::audit::Outcome;

#[tokio::test]
async fn a_snapshot_commits_every_workflow_with_a_tag_and_trailers() {
    let f = fixture(&[("prod", EnvClass::Production, generated(31, 12))]).await;
    let (view, job) = snapshot(&f, "prod", Some("Before the spring release")).await;

    assert_eq!(view.env, "prod");
    assert!(view.id.starts_with("prod/"), "{}", view.id);
    assert_eq!(view.kind, CommitKind::Snapshot);
    assert_eq!(view.message, "Before the spring release");
    assert_eq!(view.actor, "tester");
    assert_eq!(view.job_id.as_deref(), Some(job.id.as_str()));
    assert_eq!(
        (view.workflows, view.added, view.changed, view.removed),
        (12, 12, 0, 0)
    );

    let git = repo(&f).await;
    let head = git.head().unwrap().expect("a commit");
    assert_eq!(head.id, view.commit);
    let tags = git.tags(TAG_PREFIX).unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, format!("{TAG_PREFIX}{}", view.id));
    assert_eq!(tags[0].commit.id, view.commit);
    for trailer in [
        "N8nops-Kind: snapshot".to_owned(),
        "N8nops-Environment: prod".to_owned(),
        "N8nops-Workflows: 12".to_owned(),
        format!("N8nops-Job: {}", job.id),
        "N8nops-Actor: tester".to_owned(),
        format!("N8nops-Snapshot: {}", view.id),
    ] {
        assert!(
            head.message.lines().any(|l| l == trailer),
            "{trailer} in\n{}",
            head.message
        );
    }
    assert!(head.subject().starts_with("snapshot: prod, 12 workflows"));

    // One document per workflow, pretty and key-sorted, and a mapping naming each.
    let mapping = mapping_at(&f, "prod", None).await;
    assert_eq!(mapping.workflows.len(), 12);
    let files = git.entries(None, WORKFLOWS_DIR).unwrap();
    assert_eq!(files.len(), 12);
    let stored = workflows(&f, "prod").await;
    for (id, m) in &mapping.workflows {
        assert!(
            id.starts_with(&canonical::slugify(&m.name)),
            "{id} is a slug of {}",
            m.name
        );
        let path = workflow_path(id);
        let text = String::from_utf8(git.read(None, &path).unwrap().expect(&path)).unwrap();
        let served = f.sim("prod").workflow(&m.n8n_id).expect("served");
        assert_eq!(
            text,
            canonical::render(&canonical::document(&served)),
            "{path}"
        );
        assert!(text.starts_with("{\n  \"connections\": "), "{path}: {text}");
        let (_, blob) = files
            .iter()
            .find(|(file, _)| *file == format!("{id}.json"))
            .expect("listed");
        assert_eq!(&m.blob, blob, "{id}: the mapping's blob is the file's");
        let row = stored.iter().find(|w| w.id == m.n8n_id).expect("stored");
        assert_eq!(m.fingerprint, row.fingerprint, "{id}");
        assert_eq!(fingerprint(&served), m.fingerprint, "{id}");
        assert_eq!(
            (&m.name, m.active, &m.tags),
            (&row.name, row.active, &row.tags)
        );
    }
    let raw =
        String::from_utf8(git.read(None, "environments/prod.json").unwrap().unwrap()).unwrap();
    assert!(
        raw.contains("\"n8nId\": ") && raw.contains("\"blob\": "),
        "{raw}"
    );
    assert!(git.read(None, "README.md").unwrap().is_some());

    let audit = audited(&f, "snapshot.create").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].outcome, Outcome::Ok);
    assert_eq!(audit[0].env.as_deref(), Some("prod"));
    assert!(audit[0].detail.as_deref().unwrap().contains(&view.id));
}

#[tokio::test]
async fn snapshots_are_listed_newest_first_shown_and_diffed() {
    let f = fixture(&[("prod", EnvClass::Production, generated(32, 8))]).await;
    let (first, _) = snapshot(&f, "prod", None).await;
    assert_eq!(first.message, "Snapshot of prod taken by tester.");

    let sim = f.sim("prod");
    let edited = sim.workflow_ids()[3].clone();
    sim.edit_workflow(&edited, |wf| {
        wf["nodes"][0]["parameters"]["edited"] = json!("by hand")
    })
    .unwrap();
    let (second, _) = snapshot(&f, "prod", None).await;
    assert_eq!(
        (
            second.workflows,
            second.added,
            second.changed,
            second.removed
        ),
        (8, 0, 1, 0)
    );
    assert_ne!(first.id, second.id);

    let listed = f.ops.snapshot_list(Some("prod".into())).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [second.id.as_str(), first.id.as_str()]);
    assert_eq!(f.ops.snapshot_list(None).await.unwrap().len(), 2);
    assert!(
        f.ops
            .snapshot_list(Some("dev".into()))
            .await
            .unwrap()
            .is_empty()
    );

    // Show: the first snapshot still holds the workflow as it was.
    let shown = f.ops.snapshot_show(first.id.clone()).await.unwrap();
    assert_eq!(shown.snapshot, first);
    assert_eq!(shown.workflows.len(), 8);
    let names: Vec<&str> = shown.workflows.iter().map(|w| w.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    let then = shown.workflows.iter().find(|w| w.n8n_id == edited).unwrap();
    let now = workflows(&f, "prod").await;
    let now = now.iter().find(|w| w.id == edited).unwrap();
    assert_ne!(then.fingerprint, now.fingerprint);
    let later = f.ops.snapshot_show(second.id.clone()).await.unwrap();
    let after = later.workflows.iter().find(|w| w.n8n_id == edited).unwrap();
    assert_eq!(after.fingerprint, now.fingerprint);
    let err = f
        .ops
        .snapshot_show("prod/19990101-000000".into())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    // Diff, given newest first: the older one is still `a`.
    let diff = f
        .ops
        .snapshot_diff(second.id.clone(), first.id.clone())
        .await
        .unwrap();
    assert_eq!(
        (diff.a.id.as_str(), diff.b.id.as_str()),
        (first.id.as_str(), second.id.as_str())
    );
    assert_eq!(diff.workflows.len(), 8);
    let changed: Vec<&SnapshotDiffEntry> = diff
        .workflows
        .iter()
        .filter(|w| w.status != DiffStatus::Unchanged)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].status, DiffStatus::Modified);
    assert_eq!(changed[0].canonical_id, then.canonical_id);
    let node_diff = changed[0]
        .diff
        .as_ref()
        .expect("a modified workflow has a diff");
    let paths: Vec<&str> = node_diff
        .nodes
        .iter()
        .flat_map(|n| n.changes.iter().map(|c| c.path.as_str()))
        .collect();
    assert_eq!(paths, ["parameters.edited"], "{node_diff:?}");
    assert!(
        diff.workflows
            .iter()
            .all(|w| w.status != DiffStatus::Unchanged || w.diff.is_none())
    );
}

#[tokio::test]
async fn a_diff_of_snapshots_reports_added_and_deleted_workflows() {
    let f = fixture(&[("prod", EnvClass::Production, generated(33, 5))]).await;
    let (first, _) = snapshot(&f, "prod", None).await;
    let sim = f.sim("prod");
    let gone = sim.workflow_ids()[0].clone();
    let gone_name = sim.workflow(&gone).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sim.delete_workflow(&gone));
    let body = crate::domain::writable::writable_body(&crate::sim::generator::generate(99, 1)[0]);
    let new_name = body["name"].as_str().unwrap().to_owned();
    sim.create_workflow(&body).unwrap();
    let (second, _) = snapshot(&f, "prod", None).await;
    assert_eq!((second.added, second.changed, second.removed), (1, 0, 1));

    let diff = f.ops.snapshot_diff(first.id, second.id).await.unwrap();
    let status = |name: &str| {
        diff.workflows
            .iter()
            .find(|w| w.name == name)
            .map(|w| (w.status, w.diff.is_some()))
    };
    assert_eq!(status(&gone_name), Some((DiffStatus::Deleted, false)));
    assert_eq!(status(&new_name), Some((DiffStatus::Added, false)));
    assert_eq!(diff.workflows.len(), 6);
}

#[tokio::test]
async fn a_backup_goes_on_when_one_environment_fails_and_leaves_its_mapping() {
    let f = fixture(&[
        ("dev", EnvClass::Development, generated(34, 6)),
        ("prod", EnvClass::Production, generated(35, 7)),
    ])
    .await;
    let (before, _) = snapshot(&f, "prod", None).await;
    let mapping_before = mapping_at(&f, "prod", None).await;
    let sim = f.sim("prod");
    let id = sim.workflow_ids()[0].clone();
    sim.edit_workflow(&id, |wf| wf["nodes"][0]["parameters"]["x"] = json!(1))
        .unwrap();
    sim.set_faults(Fault::status(500).on("/api/v1/workflows"));

    let events = f.ops.subscribe();
    let started = f
        .ops
        .backup(BackupRequest {
            envs: vec!["dev".into(), "prod".into()],
        })
        .await
        .unwrap();
    let job = finish(&f, events, started).await;
    assert_eq!(job.kind, "backup");
    let error = job.error.clone().expect("the job failed for prod");
    assert!(error.contains("prod"), "{error}");
    let report: BackupReport = result(&job);
    assert_eq!(report.snapshots.len(), 1);
    assert_eq!(report.snapshots[0].env, "dev");
    assert_eq!(report.snapshots[0].kind, CommitKind::Backup);
    assert_eq!(report.snapshots[0].workflows, 6);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].env, "prod");
    assert!(
        report.failures[0].message.contains("prod"),
        "{:?}",
        report.failures
    );

    // prod's mapping is as the earlier snapshot left it; its snapshots are unchanged.
    assert_eq!(mapping_at(&f, "prod", None).await, mapping_before);
    let prod = f.ops.snapshot_list(Some("prod".into())).await.unwrap();
    assert_eq!(prod, [before]);
    assert_eq!(mapping_at(&f, "dev", None).await.workflows.len(), 6);

    let audit = audited(&f, "backup").await;
    let outcome = |env: &str| {
        audit
            .iter()
            .find(|a| a.env.as_deref() == Some(env))
            .map(|a| a.outcome)
    };
    assert_eq!(outcome("dev"), Some(Outcome::Ok));
    assert_eq!(outcome("prod"), Some(Outcome::Error));

    // Unknown environments are refused before a job starts.
    let err = f
        .ops
        .backup(BackupRequest {
            envs: vec!["nope".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("'nope'"), "{err}");
}

#[tokio::test]
async fn a_rename_keeps_the_canonical_id() {
    let f = fixture(&[("prod", EnvClass::Production, generated(36, 4))]).await;
    snapshot(&f, "prod", None).await;
    let before = mapping_at(&f, "prod", None).await;
    let sim = f.sim("prod");
    let id = sim.workflow_ids()[1].clone();
    let (canonical_id, old) = before
        .workflows
        .iter()
        .find(|(_, m)| m.n8n_id == id)
        .map(|(c, m)| (c.clone(), m.clone()))
        .unwrap();
    sim.edit_workflow(&id, |wf| wf["name"] = json!("Renamed by hand"))
        .unwrap();
    let (view, _) = snapshot(&f, "prod", None).await;
    assert_eq!((view.added, view.changed, view.removed), (0, 1, 0));

    let after = mapping_at(&f, "prod", None).await;
    let ids: Vec<&String> = after.workflows.keys().collect();
    assert_eq!(ids, before.workflows.keys().collect::<Vec<_>>());
    let m = &after.workflows[&canonical_id];
    assert_eq!(
        (m.n8n_id.as_str(), m.name.as_str()),
        (id.as_str(), "Renamed by hand")
    );
    assert_ne!(m.fingerprint, old.fingerprint);
    let doc = repo(&f)
        .await
        .read(None, &workflow_path(&canonical_id))
        .unwrap()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    assert_eq!(doc["name"], "Renamed by hand");
}

#[tokio::test]
async fn a_document_leaves_the_branch_when_no_environment_maps_it_any_more() {
    let f = fixture(&[
        ("dev", EnvClass::Development, generated(34, 3)),
        ("prod", EnvClass::Production, generated(34, 3)),
    ])
    .await;
    snapshot(&f, "dev", None).await;
    snapshot(&f, "prod", None).await;
    let state = f.ops.canonical_at(None).await.unwrap();
    let (id, entry) = state.mappings["dev"].workflows.iter().next().unwrap();
    let (id, dev_n8n) = (id.clone(), entry.n8n_id.clone());
    let prod_n8n = state.mappings["prod"].workflows[&id].n8n_id.clone();
    async fn held(f: &Fixture, id: &str) -> bool {
        let state = f.ops.canonical_at(None).await.unwrap();
        state.documents.contains_key(id)
    }

    assert!(f.sim("dev").delete_workflow(&dev_n8n));
    snapshot(&f, "dev", None).await;
    assert!(
        held(&f, &id).await,
        "prod still maps {id}: its document stays"
    );

    assert!(f.sim("prod").delete_workflow(&prod_n8n));
    let (second, _) = snapshot(&f, "prod", None).await;
    assert_eq!(second.removed, 1);
    assert!(
        !held(&f, &id).await,
        "nobody maps {id}: its document left the branch"
    );
    // The snapshot before still finds it.
    let first_prod = &f.ops.snapshot_list(Some("prod".into())).await.unwrap()[1];
    let detail = f.ops.snapshot_show(first_prod.id.clone()).await.unwrap();
    assert!(detail.workflows.iter().any(|w| w.canonical_id == id));
}
