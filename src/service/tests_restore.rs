//! Restore against simulated instances: the plan after hand changes, a dry run that
//! changes nothing, a restore verified workflow by workflow and recorded in Git with
//! what it replaced, the rollback of a restore, a partial restore, a restore into an
//! empty environment, credentials bound by name and type, and a write n8n fails.

use super::test_fixture::{Fixture, KEY, backup, generated, sync};
use super::*;
use crate::domain::canonical::EnvMapping;
use crate::domain::commit::{CommitKind, CommitMessage, key};
use crate::domain::environment::EnvClass;
use crate::domain::job::JobState;
use crate::domain::normalize::fingerprint;
use crate::git::CommitInfo;
use crate::n8n::{ClientOptions, N8nClient};
use crate::sim::{Fault, SimHandle};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A workflow as the comparisons see it: name, fingerprint, active, sorted tags.
type Seen = (String, String, bool, Vec<String>);

/// Instances registered (in the order given) and synced once.
async fn fixture(envs: &[(&str, u64, usize)]) -> Fixture {
    let mut builder = Fixture::builder();
    for (name, seed, count) in envs {
        builder = builder.env(name, EnvClass::Production, generated(*seed, *count));
    }
    let f = builder.build().await;
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert!(job.error.is_none(), "first sync: {:?}", job.error);
    f
}

/// Follows a job started just now (`events` taken before it) to its end.
async fn finish(f: &Fixture, events: EventStream, started: JobStarted) -> JobView {
    follow_job(&f.ops, events, &started.job_id, |_| {})
        .await
        .expect("follow the job")
}

fn request(env: &str, snapshot: Option<&str>, workflows: &[&str]) -> RestoreRequest {
    RestoreRequest {
        env: env.into(),
        snapshot: snapshot.map(str::to_owned),
        workflows: workflows.iter().map(|w| w.to_string()).collect(),
        dry_run: false,
        confirmed: true,
    }
}

/// Runs a confirmed restore to its end: the job and its report.
async fn restore(f: &Fixture, req: RestoreRequest) -> (JobView, RestoreReport) {
    let events = f.ops.subscribe();
    let started = f.ops.restore(req).await.expect("start the restore");
    let job = finish(f, events, started).await;
    assert_eq!(job.kind, "restore");
    let value = job
        .result
        .clone()
        .unwrap_or_else(|| panic!("the restore has no report: {:?}", job.error));
    (
        job,
        serde_json::from_value(value).expect("a restore report"),
    )
}

fn seen(name: &str, fp: &str, active: bool, tags: &[String]) -> Seen {
    let mut tags = tags.to_vec();
    tags.sort();
    (name.into(), fp.into(), active, tags)
}

/// What the instance holds now, every workflow.
fn live(sim: &SimHandle) -> BTreeSet<Seen> {
    sim.workflow_ids()
        .iter()
        .map(|id| {
            let w = sim.workflow(id).expect("listed workflow");
            let tags: Vec<String> = w["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            seen(
                w["name"].as_str().unwrap(),
                &fingerprint(&w),
                w["active"] == json!(true),
                &tags,
            )
        })
        .collect()
}

/// What a mapping records, every workflow.
fn recorded(m: &EnvMapping) -> BTreeSet<Seen> {
    m.workflows
        .values()
        .map(|w| seen(&w.name, &w.fingerprint, w.active, &w.tags))
        .collect()
}

async fn mapping_at(f: &Fixture, rev: Option<&str>, env: &str) -> EnvMapping {
    f.ops
        .canonical_at(rev.map(str::to_owned))
        .await
        .expect("read the canonical state")
        .mapping(env)
}

async fn head(f: &Fixture) -> Option<CommitInfo> {
    f.ops.with_git(|git| Ok(git.head()?)).await.unwrap()
}

/// The head commit (the restore's) and the automatic snapshot `replaced`: a restore
/// point beside the branch, made on the commit the restore's own commit follows, so
/// what it holds was not accepted as canonical.
async fn last_two(f: &Fixture, replaced: &str) -> (CommitInfo, CommitInfo) {
    let replaced = replaced.to_owned();
    f.ops
        .with_git(move |git| {
            let head = git.head()?.expect("a head");
            let parent = git.resolve(&format!("{}~1", head.id))?;
            let point = git.resolve(&format!("snapshots/{replaced}"))?;
            let point_parent = git.resolve(&format!("{}~1", point.id))?;
            assert_eq!(
                point_parent.id, parent.id,
                "the restore point and the restore both follow the same branch commit"
            );
            assert_ne!(
                point.id, parent.id,
                "the branch never held the restore point"
            );
            Ok((head, point))
        })
        .await
        .unwrap()
}

/// The workflow of `sim` with this name: (id, GET body).
fn named(sim: &SimHandle, name: &str) -> (String, Value) {
    let id = sim
        .workflow_id_by_name(name)
        .unwrap_or_else(|| panic!("no workflow '{name}'"));
    let body = sim.workflow(&id).unwrap();
    (id, body)
}

/// Changes a parameter of the first node that has parameters.
fn change_parameter(sim: &SimHandle, id: &str, value: &str) {
    sim.edit_workflow(id, |w| {
        let node = w["nodes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|n| n["parameters"].is_object())
            .expect("a node with parameters");
        node["parameters"]["n8nopsProbe"] = json!(value);
    })
    .expect("edit by hand");
}

/// The scenario's hand changes in `env`: a parameter, a rename, a delete (an active,
/// tagged workflow) and a workflow added. Returns the names (changed, renamed-from,
/// renamed-to, deleted, added).
struct HandChanges {
    changed: String,
    renamed_from: String,
    renamed_to: String,
    deleted: String,
    added: String,
}

fn hand_changes(sim: &SimHandle) -> HandChanges {
    let all: Vec<Value> = sim
        .workflow_ids()
        .iter()
        .map(|id| sim.workflow(id).unwrap())
        .collect();
    let name = |w: &Value| w["name"].as_str().unwrap().to_owned();
    let deleted = all
        .iter()
        .find(|w| w["active"] == json!(true) && w["tags"].as_array().is_some_and(|t| !t.is_empty()))
        .map(name)
        .expect("an active, tagged workflow");
    let others: Vec<String> = all.iter().map(name).filter(|n| *n != deleted).collect();
    let (changed, renamed_from) = (others[0].clone(), others[1].clone());
    let renamed_to = format!("{renamed_from} (renamed by hand)");
    change_parameter(sim, &named(sim, &changed).0, "by hand");
    let to = renamed_to.clone();
    sim.edit_workflow(&named(sim, &renamed_from).0, |w| w["name"] = json!(to))
        .expect("rename by hand");
    assert!(sim.delete_workflow(&named(sim, &deleted).0));
    let added = "Added by hand".to_owned();
    sim.create_workflow(&json!({
        "name": added,
        "nodes": [{"id": "h1", "name": "Start", "type": "n8n-nodes-base.manualTrigger",
                   "typeVersion": 1, "position": [0, 0], "parameters": {}}],
        "connections": {},
        "settings": {}
    }))
    .expect("add by hand");
    HandChanges {
        changed,
        renamed_from,
        renamed_to,
        deleted,
        added,
    }
}

fn by_action(plan: &[RestoreItem], action: RestoreAction) -> Vec<&str> {
    plan.iter()
        .filter(|i| i.action == action)
        .map(|i| i.name.as_str())
        .collect()
}

#[tokio::test]
async fn a_restore_puts_the_snapshot_back_verified_recorded_and_undoable() {
    let f = fixture(&[("prod", 51, 12)]).await;
    let sim = f.sim("prod");
    let taken = backup(&f.ops, "prod").await;
    let at_backup = mapping_at(&f, Some(&taken.commit), "prod").await;
    assert_eq!(
        recorded(&at_backup),
        live(sim),
        "a backup records the live state"
    );
    let hand = hand_changes(sim);
    let after_hand = live(sim);

    // The plan: exactly the hand changes, each with what it does.
    let plan = f
        .ops
        .restore_plan(RestoreRequest {
            dry_run: true,
            confirmed: false,
            ..request("prod", None, &[])
        })
        .await
        .expect("plan");
    assert_eq!(plan.snapshot.id, taken.id, "latest is the backup");
    let mut updated = by_action(&plan.items, RestoreAction::Update);
    updated.sort();
    let mut expected = vec![hand.changed.as_str(), hand.renamed_from.as_str()];
    expected.sort();
    assert_eq!(updated, expected);
    assert_eq!(
        by_action(&plan.items, RestoreAction::Create),
        [hand.deleted.as_str()]
    );
    assert_eq!(
        by_action(&plan.items, RestoreAction::Delete),
        [hand.added.as_str()]
    );
    assert_eq!(
        by_action(&plan.items, RestoreAction::Unchanged).len(),
        12 - 3,
        "{plan:#?}"
    );
    let names: Vec<&str> = plan.items.iter().map(|i| i.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    for item in plan
        .items
        .iter()
        .filter(|i| i.action == RestoreAction::Update)
    {
        let diff = item.diff.as_ref().expect("an update shows its diff");
        assert!(!diff.is_empty(), "{}: an empty diff", item.name);
        assert!(item.n8n_id.is_some());
    }
    let rename = plan
        .items
        .iter()
        .find(|i| i.name == hand.renamed_from)
        .unwrap();
    let renamed = rename
        .diff
        .as_ref()
        .unwrap()
        .name
        .as_ref()
        .expect("a name change");
    assert_eq!(renamed.before, json!(hand.renamed_to));
    assert_eq!(renamed.after, json!(hand.renamed_from));

    // A dry run and an unconfirmed restore change nothing.
    let git_before = head(&f).await;
    for (req, says) in [
        (
            RestoreRequest {
                dry_run: true,
                ..request("prod", None, &[])
            },
            "dry run",
        ),
        (
            RestoreRequest {
                confirmed: false,
                ..request("prod", None, &[])
            },
            "a restore needs confirmation (--yes)",
        ),
    ] {
        let err = f.ops.restore(req).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert!(err.message.contains(says), "{}", err.message);
    }
    assert_eq!(live(sim), after_hand, "the plan changed the instance");
    assert_eq!(head(&f).await, git_before, "the plan committed");

    // The restore: every item verified, the instance as the backup holds it.
    let (job, report) = restore(&f, request("prod", Some(&taken.id), &[])).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert!(report.ok(), "{report:#?}");
    assert!(
        report.items.iter().all(|i| i.ok && i.verified),
        "{report:#?}"
    );
    assert_eq!(live(sim), recorded(&at_backup));
    let trash = f.ops.trash_list(Some("prod".into())).await.unwrap();
    assert_eq!(
        trash.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        [hand.added.as_str()],
        "the workflow added by hand is in the trash"
    );
    // Drift-free: the mapping at the head is what each live workflow is.
    let now = mapping_at(&f, None, "prod").await;
    assert_eq!(now.workflows.len(), sim.workflow_count());
    for (id, m) in &now.workflows {
        let w = sim
            .workflow(&m.n8n_id)
            .unwrap_or_else(|| panic!("{id} is not live"));
        assert_eq!(fingerprint(&w), m.fingerprint, "{id}");
    }
    // Canonical ids survive: the re-created workflow keeps its id.
    assert_eq!(
        now.workflows.keys().collect::<Vec<_>>(),
        at_backup.workflows.keys().collect::<Vec<_>>()
    );

    // Git: the automatic snapshot, then the restore with Source and Replaces.
    let replaced = report.replaced.clone().expect("an automatic snapshot");
    let (restore_commit, auto) = last_two(&f, &replaced).await;
    assert_eq!(report.commit.as_deref(), Some(restore_commit.id.as_str()));
    let msg = CommitMessage::parse(&restore_commit.message);
    assert_eq!(msg.kind(), Some(CommitKind::Restore));
    assert_eq!(msg.get(key::SOURCE), Some(taken.id.as_str()));
    assert_eq!(msg.get(key::REPLACES), Some(replaced.as_str()));
    let auto_msg = CommitMessage::parse(&auto.message);
    assert_eq!(auto_msg.kind(), Some(CommitKind::Snapshot));
    assert_eq!(auto_msg.get(key::SNAPSHOT), Some(replaced.as_str()));
    assert!(
        auto.message.contains(&format!(
            "Automatic snapshot before restoring {} into prod.",
            taken.id
        )),
        "{}",
        auto.message
    );
    let auto_snapshot = f.ops.find_snapshot(&replaced, None).await.unwrap();
    assert_eq!(auto_snapshot.commit, auto.id);
    assert_eq!(
        recorded(&mapping_at(&f, Some(&auto.id), "prod").await),
        after_hand,
        "the automatic snapshot holds the state the restore replaced"
    );

    // Restoring what it replaced rolls the restore back: the hand changes return.
    let (job, rollback) = restore(&f, request("prod", Some(&replaced), &[])).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert!(rollback.ok(), "{rollback:#?}");
    assert_eq!(live(sim), after_hand);
    let deleted = rollback
        .items
        .iter()
        .find(|i| i.action == RestoreAction::Delete)
        .expect("the re-created workflow goes again");
    assert_eq!(deleted.name, hand.deleted);
}

#[tokio::test]
async fn a_partial_restore_touches_only_what_it_names() {
    let f = fixture(&[("prod", 52, 10)]).await;
    let sim = f.sim("prod");
    let taken = backup(&f.ops, "prod").await;
    let at_backup = mapping_at(&f, Some(&taken.commit), "prod").await;
    let hand = hand_changes(sim);
    let after_hand = live(sim);
    let after_hand_recorded = after_hand.clone();

    let err = f
        .ops
        .restore_plan(request("prod", None, &["No such workflow", &hand.changed]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("'No such workflow'"),
        "{}",
        err.message
    );

    let plan = f
        .ops
        .restore_plan(request("prod", None, &[&hand.changed]))
        .await
        .unwrap();
    assert_eq!(plan.items.len(), 1, "{plan:#?}");
    assert_eq!(plan.items[0].action, RestoreAction::Update);

    let (job, report) = restore(&f, request("prod", None, &[&hand.changed])).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.items.len(), 1);
    let id = report.items[0].canonical_id.clone().unwrap();
    // That workflow is back; every other hand change stays.
    let (_, restored) = named(sim, &hand.changed);
    assert_eq!(fingerprint(&restored), at_backup.workflows[&id].fingerprint);
    let mut expected: BTreeSet<Seen> = after_hand
        .into_iter()
        .filter(|s| s.0 != hand.changed)
        .collect();
    let m = &at_backup.workflows[&id];
    expected.insert(seen(&m.name, &m.fingerprint, m.active, &m.tags));
    assert_eq!(live(sim), expected);
    assert!(sim.workflow_id_by_name(&hand.renamed_to).is_some());
    assert!(sim.workflow_id_by_name(&hand.renamed_from).is_none());
    assert!(sim.workflow_id_by_name(&hand.deleted).is_none());
    assert!(sim.workflow_id_by_name(&hand.added).is_some());
    assert!(
        f.ops
            .trash_list(Some("prod".into()))
            .await
            .unwrap()
            .is_empty()
    );
    // The canonical state did not move: the workflow is back to what it records, and
    // the other hand changes are still drift. The automatic snapshot is a restore point
    // beside the branch, holding the state the restore replaced.
    assert_eq!(report.commit, None, "nothing new to record: {report:#?}");
    assert_eq!(head(&f).await.expect("a head").id, taken.commit);
    assert_eq!(mapping_at(&f, None, "prod").await, at_backup);
    let replaced = report.replaced.clone().expect("an automatic snapshot");
    let point = f.ops.find_snapshot(&replaced, None).await.unwrap();
    let before = mapping_at(&f, Some(&point.commit), "prod").await;
    assert_ne!(before.workflows[&id].fingerprint, m.fingerprint);
    assert_eq!(
        recorded(&before),
        after_hand_recorded,
        "the restore point holds what the restore replaced"
    );
}

#[tokio::test]
async fn another_environments_snapshot_fills_an_empty_one() {
    let f = fixture(&[("dev", 53, 10), ("fresh", 54, 0)]).await;
    let taken = backup(&f.ops, "dev").await;
    let dev = mapping_at(&f, Some(&taken.commit), "dev").await;
    // The empty environment has no snapshot: `latest` says so.
    let err = f
        .ops
        .restore_plan(request("fresh", None, &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("fresh"), "{}", err.message);

    let plan = f
        .ops
        .restore_plan(request("fresh", Some(&taken.id), &[]))
        .await
        .unwrap();
    assert_eq!(plan.items.len(), 10);
    assert!(plan.items.iter().all(|i| i.action == RestoreAction::Create));

    let (job, report) = restore(&f, request("fresh", Some(&taken.id), &[])).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert!(
        report.items.iter().all(|i| i.ok && i.verified),
        "{report:#?}"
    );
    assert_eq!(live(f.sim("fresh")), recorded(&dev));
    // The same canonical ids, now mapped to the new environment's n8n ids.
    let fresh = mapping_at(&f, None, "fresh").await;
    assert_eq!(
        fresh.workflows.keys().collect::<Vec<_>>(),
        dev.workflows.keys().collect::<Vec<_>>()
    );
    for (id, m) in &fresh.workflows {
        assert_eq!(m.fingerprint, dev.workflows[id].fingerprint, "{id}");
        assert!(f.sim("fresh").workflow(&m.n8n_id).is_some(), "{id}");
    }
}

#[tokio::test]
async fn credentials_are_bound_by_name_and_type_not_to_the_first_of_the_type() {
    let f = fixture(&[("prod", 55, 6)]).await;
    let sim = f.sim("prod");
    let client = N8nClient::new("prod", &sim.url, KEY, ClientOptions::default()).unwrap();
    let data = json!({"name": "X-Key", "value": "secret"});
    client
        .create_credential("Alpha", "httpHeaderAuth", &data)
        .await
        .unwrap();
    let zeta = client
        .create_credential("Zeta", "httpHeaderAuth", &data)
        .await
        .unwrap();
    let id = sim.workflow_ids()[0].clone();
    let before = sim.workflow(&id).unwrap();
    let name = before["name"].as_str().unwrap().to_owned();
    let node_name = before["nodes"][0]["name"].clone();
    let zeta_ref = json!({"id": zeta.id, "name": "Zeta"});
    let reference = zeta_ref.clone();
    sim.edit_workflow(&id, |w| {
        w["nodes"][0]["credentials"] = json!({"httpHeaderAuth": reference});
    })
    .unwrap();
    let job = sync(&f.ops, SyncRequest::default()).await;
    assert!(job.error.is_none(), "{:?}", job.error);
    let taken = backup(&f.ops, "prod").await;
    change_parameter(sim, &id, "by hand");

    let (job, report) = restore(&f, request("prod", Some(&taken.id), &[&name])).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert!(report.items[0].verified, "{report:#?}");
    let w = sim.workflow(&id).unwrap();
    let node = w["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == node_name)
        .expect("the node is there");
    assert_eq!(node["credentials"]["httpHeaderAuth"], zeta_ref);
}

#[tokio::test]
async fn a_write_n8n_fails_is_that_workflows_error_and_nothing_else_is_lost() {
    let f = fixture(&[("prod", 56, 8)]).await;
    let sim = f.sim("prod");
    let taken = backup(&f.ops, "prod").await;
    let at_backup = mapping_at(&f, Some(&taken.commit), "prod").await;
    let ids = sim.workflow_ids();
    let names: Vec<String> = ids
        .iter()
        .map(|id| {
            sim.workflow(id).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    change_parameter(sim, &ids[0], "by hand");
    change_parameter(sim, &ids[1], "by hand");
    let broken = sim.workflow(&ids[0]).unwrap();
    sim.set_faults(Fault::status(500).on(&format!("/api/v1/workflows/{}", ids[0])));

    let (job, report) = restore(&f, request("prod", Some(&taken.id), &[])).await;
    sim.clear_faults();
    assert_eq!(job.state, JobState::Failed);
    assert!(!report.ok());
    let error = job.error.clone().unwrap();
    assert!(error.contains(&format!("'{}'", names[0])), "{error}");
    assert!(error.contains("1 of 8"), "{error}");
    let failed = report.items.iter().find(|i| i.name == names[0]).unwrap();
    assert!(!failed.ok && !failed.verified);
    let item_error = failed.error.as_deref().unwrap();
    assert!(
        item_error.contains(&names[0]) && item_error.contains("prod"),
        "{item_error}"
    );
    for item in report.items.iter().filter(|i| i.name != names[0]) {
        assert!(item.ok && item.verified, "{item:#?}");
    }
    // The other change is restored; the failed workflow is as it was; nothing trashed.
    let restored = sim.workflow(&ids[1]).unwrap();
    let id1 = at_backup.by_n8n_id()[ids[1].as_str()].to_owned();
    assert_eq!(
        fingerprint(&restored),
        at_backup.workflows[&id1].fingerprint
    );
    assert_eq!(
        fingerprint(&sim.workflow(&ids[0]).unwrap()),
        fingerprint(&broken)
    );
    assert_eq!(sim.workflow_count(), 8);
    assert!(
        f.ops
            .trash_list(Some("prod".into()))
            .await
            .unwrap()
            .is_empty()
    );
    // Recorded as it is: the failed workflow's entry holds its live state.
    let now = mapping_at(&f, None, "prod").await;
    let id0 = at_backup.by_n8n_id()[ids[0].as_str()].to_owned();
    assert_eq!(now.workflows[&id0].fingerprint, fingerprint(&broken));
    assert!(report.commit.is_some() && report.replaced.is_some());
}
