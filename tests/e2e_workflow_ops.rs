//! End to end against a real n8n 1.123.0 (scripts/test.sh starts one and sets
//! N8NOPS_E2E_N8N_URL / N8NOPS_E2E_N8N_API_KEY): the policy-checked workflow operations
//! through `LocalOps`, each checked in n8n itself and in the store.
//!
//! The one instance is registered twice, as "e2e-dev" (development: everything allowed)
//! and "e2e-prod" (production: activate, deactivate and delete need an approval that
//! someone else grants; tags and uploads are blocked). "alice" operates, "bob" grants,
//! both on the same store. The instance may hold other workflows (the corpus test
//! imports 2,053 into it): this test creates its own, under names carrying a mark unique
//! to the run, touches only those, and deletes whatever it created at the end.

#[path = "support/workflows.rs"]
mod workflows;
use workflows::manual_workflow;
#[path = "support/real_n8n.rs"]
mod real_n8n;

use futures_util::FutureExt;
use n8nops::domain::environment::EnvClass;
use n8nops::domain::normalize::fingerprint;
use n8nops::n8n::{ClientOptions, N8nClient, N8nErrorKind, WorkflowFilter};
use n8nops::service::{
    ApprovalDecision, ApprovalQuery, ApprovalState, AuditEntry, AuditQuery, DownloadRequest,
    EnvAdd, ErrorKind, LocalOps, OpOutcome, Ops, Secret, Settings, SyncReport, SyncRequest,
    UploadFile, UploadReport, UploadRequest, WorkflowAction, WorkflowOpRequest, WorkflowOpResult,
    WorkflowQuery, WorkflowRef, WorkflowSummary, follow_job,
};
use n8nops::store::audit::Outcome;
use n8nops::store::{SecretBox, Store};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

const DEV: &str = "e2e-dev";
const PROD: &str = "e2e-prod";

/// A mark unique to this run, in every workflow and tag name the test creates.
fn run_mark() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or_default();
    format!("{:08x}", nanos ^ std::process::id().rotate_left(16))
}

/// A workflow n8n agrees to activate: a Schedule Trigger (hourly) into a No-Op.
fn schedule_workflow(name: &str) -> Value {
    json!({
        "name": name,
        "nodes": [
            {
                "id": "0d6f2c4e-1b6a-4d8e-9a51-5c2f0e7b9a01",
                "name": "Schedule Trigger",
                "type": "n8n-nodes-base.scheduleTrigger",
                "typeVersion": 1.2,
                "position": [0, 0],
                "parameters": {"rule": {"interval": [{"field": "hours"}]}}
            },
            {
                "id": "0d6f2c4e-1b6a-4d8e-9a51-5c2f0e7b9a02",
                "name": "Done",
                "type": "n8n-nodes-base.noOp",
                "typeVersion": 1,
                "position": [220, 0],
                "parameters": {}
            }
        ],
        "connections": {
            "Schedule Trigger": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}
        },
        "settings": {"executionOrder": "v1"}
    })
}

/// A ZIP of `(name, contents)` entries.
fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

/// The entries of a ZIP, path -> text.
fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable ZIP");
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("zip entry");
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("UTF-8 entry");
        let name = entry.name().expect("entry name").into_owned();
        out.insert(name, text);
    }
    out
}

fn target(env: &str, id: &str) -> WorkflowRef {
    WorkflowRef {
        env: env.into(),
        id: id.into(),
    }
}

/// The names of a run's workflows and tags.
struct Names {
    mark: String,
}

impl Names {
    fn workflow(&self, what: &str) -> String {
        format!("n8nops-e2e-{}-{what}", self.mark)
    }

    /// n8n allows 24 characters: `e2e-<8 hex>-<what>`.
    fn tag(&self, what: &str) -> String {
        format!("e2e-{}-{what}", self.mark)
    }
}

struct E2e {
    alice: LocalOps,
    bob: LocalOps,
    /// The same instance, read directly: what n8n really holds.
    n8n: N8nClient,
    names: Names,
    _data: tempfile::TempDir,
}

impl E2e {
    async fn new(url: &str, key: &str) -> E2e {
        let data = tempfile::tempdir().expect("temp dir");
        let store = Store::open_sqlite(
            &data.path().join("n8nops.db"),
            SecretBox::from_key(&[7; 32]),
        )
        .await
        .expect("store");
        let settings = |actor: &str| Settings {
            actor: actor.into(),
            ..Settings::from_config(&Default::default())
        };
        let alice = LocalOps::new(store.clone(), settings("alice"))
            .await
            .expect("ops for alice");
        let bob = LocalOps::new(store, settings("bob"))
            .await
            .expect("ops for bob");
        for (name, class) in [(DEV, EnvClass::Development), (PROD, EnvClass::Production)] {
            alice
                .env_add(EnvAdd {
                    name: name.into(),
                    url: url.into(),
                    class,
                    api_key: Secret::new(key.to_owned()),
                    git_repo: None,
                    git_branch: None,
                })
                .await
                .unwrap_or_else(|e| panic!("adding {name}: {e}"));
        }
        let n8n = N8nClient::new("e2e", url, key, ClientOptions::default()).expect("client");
        E2e {
            alice,
            bob,
            n8n,
            names: Names { mark: run_mark() },
            _data: data,
        }
    }

    /// The workflow as n8n holds it now, None when n8n does not have it.
    async fn served(&self, id: &str) -> Option<Value> {
        match self.n8n.get_workflow(id).await {
            Ok(record) => Some(record.value().expect("workflow JSON")),
            Err(e) if e.kind() == N8nErrorKind::NotFound => None,
            Err(e) => panic!("reading workflow {id} from n8n: {e}"),
        }
    }

    async fn served_tags(&self, id: &str) -> Vec<String> {
        let mut tags: Vec<String> = self
            .n8n
            .get_workflow_tags(id)
            .await
            .unwrap_or_else(|e| panic!("tags of {id}: {e}"))
            .into_iter()
            .map(|t| t.name)
            .collect();
        tags.sort();
        tags
    }

    /// This run's workflows n8n holds, by name.
    async fn served_names(&self) -> Vec<String> {
        let filter = WorkflowFilter {
            name: Some(self.names.mark.clone()),
            ..WorkflowFilter::default()
        };
        let mut names: Vec<String> = self
            .n8n
            .all_workflows(&filter)
            .await
            .expect("list workflows")
            .into_iter()
            .map(|w| w.name)
            .collect();
        names.sort();
        names
    }

    async fn stored(&self, env: &str, id: &str) -> Option<WorkflowSummary> {
        self.alice
            .workflows_list(WorkflowQuery {
                env: Some(env.into()),
                search: Some(self.names.mark.clone()),
                ..WorkflowQuery::default()
            })
            .await
            .expect("list stored workflows")
            .into_iter()
            .find(|w| w.id == id)
    }

    async fn stored_some(&self, env: &str, id: &str) -> WorkflowSummary {
        self.stored(env, id)
            .await
            .unwrap_or_else(|| panic!("workflow {id} is not in the store for {env}"))
    }

    async fn sync(&self, envs: &[&str]) -> SyncReport {
        let events = self.alice.subscribe();
        let started = self
            .alice
            .sync(SyncRequest {
                envs: envs.iter().map(|e| e.to_string()).collect(),
                ..SyncRequest::default()
            })
            .await
            .expect("start sync");
        let job = follow_job(&self.alice, events, &started.job_id, |_| {})
            .await
            .expect("follow sync");
        assert!(job.error.is_none(), "sync failed: {:?}", job.error);
        let report: SyncReport =
            serde_json::from_value(job.result.expect("sync result")).expect("a sync report");
        for env in &report.envs {
            assert!(env.ok, "sync of {} failed: {:?}", env.env, env.error);
        }
        report
    }

    /// Runs one action on one workflow as `who`.
    async fn op(&self, who: &LocalOps, action: WorkflowAction, env: &str, id: &str) -> OpOutcome {
        let report = who
            .workflow_op(WorkflowOpRequest {
                action,
                targets: vec![target(env, id)],
                confirmed: false,
            })
            .await
            .expect("workflow op");
        let [WorkflowOpResult { outcome, .. }] =
            <[_; 1]>::try_from(report.results).unwrap_or_else(|r| panic!("one result, got {r:?}"));
        outcome
    }

    async fn upload(&self, env: &str, files: Vec<UploadFile>) -> UploadReport {
        self.alice
            .workflows_upload(UploadRequest {
                env: env.into(),
                files,
                confirmed: false,
            })
            .await
            .expect("upload")
    }

    /// The one pending approval of `env`.
    async fn pending(&self, env: &str) -> i64 {
        let pending = self
            .alice
            .approvals_list(ApprovalQuery {
                state: Some(ApprovalState::Pending),
                env: Some(env.into()),
            })
            .await
            .expect("approvals");
        assert_eq!(pending.len(), 1, "one pending approval: {pending:?}");
        pending[0].id
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        self.alice
            .audit_list(AuditQuery {
                env: None,
                limit: Some(1000),
            })
            .await
            .expect("audit")
    }

    /// Deletes every workflow and tag of this run from n8n; says what it could not.
    async fn clean_up(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let filter = WorkflowFilter {
            name: Some(self.names.mark.clone()),
            ..WorkflowFilter::default()
        };
        match self.n8n.all_workflows(&filter).await {
            Ok(left) => {
                for w in left {
                    if let Err(e) = self.n8n.delete_workflow(&w.id).await {
                        problems.push(format!("deleting workflow {} ({}): {e}", w.id, w.name));
                    }
                }
            }
            Err(e) => problems.push(format!("listing workflows: {e}")),
        }
        match self.n8n.all_tags().await {
            Ok(tags) => {
                for t in tags.iter().filter(|t| t.name.contains(&self.names.mark)) {
                    if let Err(e) = self.n8n.delete_tag(&t.id).await {
                        problems.push(format!("deleting tag {}: {e}", t.name));
                    }
                }
            }
            Err(e) => problems.push(format!("listing tags: {e}")),
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_operations_against_a_real_n8n() {
    let Some((url, key)) = real_n8n::real_n8n() else {
        return;
    };
    let e2e = E2e::new(&url, &key).await;
    let ran = std::panic::AssertUnwindSafe(scenario(&e2e))
        .catch_unwind()
        .await;
    let cleaned = e2e.clean_up().await;
    if let Err(panic) = ran {
        std::panic::resume_unwind(panic);
    }
    if let Err(problems) = cleaned {
        panic!("cleaning up n8n failed:\n{problems}");
    }
    assert!(
        e2e.served_names().await.is_empty(),
        "workflows of this run are left in n8n"
    );
}

/// The same scenario against the simulator: it must behave as the real n8n does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_operations_against_the_simulator() {
    let sim = n8nops::sim::start(n8nops::sim::SimOptions::default())
        .await
        .expect("simulator");
    let e2e = E2e::new(&sim.url, &sim.api_key).await;
    scenario(&e2e).await;
    e2e.clean_up().await.expect("clean up");
    sim.shutdown().await;
}

/// Ids of the workflows the scenario creates.
struct Created {
    /// The Schedule Trigger workflow, uploaded as JSON.
    schedule: String,
    /// The manual-trigger workflow, the good file of the ZIP.
    manual: String,
}

async fn scenario(e2e: &E2e) {
    let created = upload(e2e).await;
    sync_both(e2e, &created).await;
    activate_and_deactivate(e2e, &created).await;
    tag(e2e, &created).await;
    download(e2e, &created).await;
    approvals(e2e, &created).await;
    let restored = soft_delete_and_restore(e2e, &created).await;
    hard_delete(e2e, &created, &restored).await;
    audit(e2e).await;
}

/// A JSON file and a ZIP of one good and one bad file into dev; the bad one's
/// refusal in n8n's words; nothing into prod.
async fn upload(e2e: &E2e) -> Created {
    let schedule = schedule_workflow(&e2e.names.workflow("schedule"));
    let report = e2e
        .upload(
            DEV,
            vec![UploadFile {
                name: "schedule.json".into(),
                bytes: serde_json::to_vec(&schedule).expect("json"),
            }],
        )
        .await;
    assert_eq!(report.outcome, OpOutcome::Done);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.accepted.len(), 1);
    let schedule_id = report.accepted[0].id.clone();
    assert_eq!(report.accepted[0].file, "schedule.json");
    let served = e2e.served(&schedule_id).await.expect("created in n8n");
    assert_eq!(served["name"], schedule["name"]);
    assert_eq!(served["active"], json!(false));
    assert_eq!(fingerprint(&served), fingerprint(&schedule));
    let stored = e2e.stored_some(DEV, &schedule_id).await;
    assert_eq!(stored.fingerprint, fingerprint(&schedule));
    assert!(!stored.active);

    // A node property n8n does not know: n8n's validator refuses the file.
    let manual = manual_workflow(&e2e.names.workflow("manual"));
    let mut bad = manual_workflow(&e2e.names.workflow("refused"));
    bad["nodes"][1]["notAProperty"] = json!(true);
    let zip = zip_of(&[
        ("good.json", serde_json::to_vec(&manual).expect("json")),
        ("bad.json", serde_json::to_vec(&bad).expect("json")),
    ]);
    let report = e2e
        .upload(
            DEV,
            vec![UploadFile {
                name: "batch.zip".into(),
                bytes: zip,
            }],
        )
        .await;
    assert_eq!(report.outcome, OpOutcome::Done);
    assert_eq!(report.accepted.len(), 1, "{report:?}");
    assert_eq!(report.accepted[0].file, "batch.zip/good.json");
    assert_eq!(report.accepted[0].name, e2e.names.workflow("manual"));
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    let rejected = &report.rejected[0];
    eprintln!("upload refusal: {}", rejected.reason);
    assert_eq!(rejected.file, "batch.zip/bad.json");
    assert!(
        rejected.reason.contains("n8n refused it")
            && rejected
                .reason
                .contains("must NOT have additional properties"),
        "the reason should be n8n's: {}",
        rejected.reason
    );
    let manual_id = report.accepted[0].id.clone();
    let served = e2e.served(&manual_id).await.expect("created in n8n");
    assert_eq!(fingerprint(&served), fingerprint(&manual));
    assert_eq!(
        e2e.stored_some(DEV, &manual_id).await.fingerprint,
        fingerprint(&manual)
    );
    assert_eq!(
        e2e.served_names().await,
        [e2e.names.workflow("manual"), e2e.names.workflow("schedule")],
        "the refused file created nothing"
    );

    // Production blocks uploads: nothing reaches n8n.
    let report = e2e
        .upload(
            PROD,
            vec![UploadFile {
                name: "prod.json".into(),
                bytes: serde_json::to_vec(&schedule_workflow(&e2e.names.workflow("prod")))
                    .expect("json"),
            }],
        )
        .await;
    assert!(
        matches!(report.outcome, OpOutcome::Blocked { .. }),
        "{report:?}"
    );
    assert!(report.accepted.is_empty());
    assert_eq!(
        e2e.served_names().await.len(),
        2,
        "nothing uploaded to prod"
    );
    Created {
        schedule: schedule_id,
        manual: manual_id,
    }
}

/// Both registrations see the uploaded workflows, with n8n's fingerprints.
async fn sync_both(e2e: &E2e, created: &Created) {
    let report = e2e.sync(&[DEV, PROD]).await;
    assert_eq!(report.envs.len(), 2);
    for env in &report.envs {
        assert!(env.workflows.unwrap_or_default() >= 2, "{env:?}");
    }
    for id in [&created.schedule, &created.manual] {
        let served = e2e.served(id).await.expect("in n8n");
        for env in [DEV, PROD] {
            let stored = e2e.stored_some(env, id).await;
            assert_eq!(stored.fingerprint, fingerprint(&served), "{env} {id}");
            assert_eq!(stored.name, served["name"].as_str().unwrap_or_default());
        }
    }
}

async fn activate_and_deactivate(e2e: &E2e, created: &Created) {
    let done = e2e
        .op(&e2e.alice, WorkflowAction::Activate, DEV, &created.schedule)
        .await;
    assert_eq!(done, OpOutcome::Done);
    let served = e2e.served(&created.schedule).await.expect("in n8n");
    assert_eq!(served["active"], json!(true));
    assert!(e2e.stored_some(DEV, &created.schedule).await.active);

    // n8n refuses to activate a workflow without a trigger it can run: its reason comes back.
    let refused = e2e
        .op(&e2e.alice, WorkflowAction::Activate, DEV, &created.manual)
        .await;
    let OpOutcome::Failed { error } = refused else {
        panic!("activating a manual-trigger workflow should fail, got {refused:?}");
    };
    eprintln!("activation refusal: {error}");
    assert!(error.contains("e2e"), "names the environment: {error}");
    assert!(
        error.to_lowercase().contains("trigger"),
        "n8n's reason: {error}"
    );
    assert_eq!(
        e2e.served(&created.manual).await.expect("in n8n")["active"],
        json!(false)
    );
    assert!(!e2e.stored_some(DEV, &created.manual).await.active);

    let done = e2e
        .op(
            &e2e.alice,
            WorkflowAction::Deactivate,
            DEV,
            &created.schedule,
        )
        .await;
    assert_eq!(done, OpOutcome::Done);
    let served = e2e.served(&created.schedule).await.expect("in n8n");
    assert_eq!(served["active"], json!(false));
    let stored = e2e.stored_some(DEV, &created.schedule).await;
    assert!(!stored.active);
    assert_eq!(stored.fingerprint, fingerprint(&served));
}

async fn tag(e2e: &E2e, created: &Created) {
    let (first, second) = (e2e.names.tag("a"), e2e.names.tag("b"));
    let add = WorkflowAction::Tag {
        add: vec![first.clone(), second.clone()],
        remove: vec![],
    };
    assert_eq!(
        e2e.op(&e2e.alice, add, DEV, &created.schedule).await,
        OpOutcome::Done
    );
    assert_eq!(
        e2e.served_tags(&created.schedule).await,
        [first.clone(), second.clone()]
    );
    let mut stored = e2e.stored_some(DEV, &created.schedule).await.tags;
    stored.sort();
    assert_eq!(stored, [first.clone(), second.clone()]);

    // n8n trims tag names: padded names mean the same tags.
    let remove = WorkflowAction::Tag {
        add: vec![format!(" {second}\t")],
        remove: vec![format!(" {first} ")],
    };
    assert_eq!(
        e2e.op(&e2e.alice, remove, DEV, &created.schedule).await,
        OpOutcome::Done
    );
    assert_eq!(e2e.served_tags(&created.schedule).await, [second.as_str()]);
    assert_eq!(
        e2e.stored_some(DEV, &created.schedule).await.tags,
        [second.as_str()]
    );
    // The tag itself stays in n8n: only the workflow lost it.
    let all = e2e.n8n.all_tags().await.expect("tags");
    assert!(all.iter().any(|t| t.name == first));
}

async fn download(e2e: &E2e, created: &Created) {
    let result = e2e
        .alice
        .workflows_download(DownloadRequest {
            targets: vec![target(DEV, &created.schedule), target(DEV, &created.manual)],
        })
        .await
        .expect("download");
    assert_eq!(result.workflows, 2);
    assert!(
        result.file_name.starts_with("e2e-dev-workflows-") && result.file_name.ends_with(".zip"),
        "{}",
        result.file_name
    );
    let entries = unzip(&result.zip);
    let paths: Vec<&String> = entries.keys().collect();
    let want = [
        format!("{DEV}/{}.json", e2e.names.workflow("manual")),
        format!("{DEV}/{}.json", e2e.names.workflow("schedule")),
    ];
    assert_eq!(paths, want.iter().collect::<Vec<_>>());
    for (id, path) in [(&created.manual, &want[0]), (&created.schedule, &want[1])] {
        let doc: Value = serde_json::from_str(&entries[path]).expect("JSON in the ZIP");
        assert_eq!(doc["id"], json!(id));
        let served = e2e.served(id).await.expect("in n8n");
        assert_eq!(fingerprint(&doc), fingerprint(&served), "{path}");
    }
    let schedule: Value = serde_json::from_str(&entries[&want[1]]).expect("JSON");
    let tags: Vec<&str> = schedule["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tags, [e2e.names.tag("b")], "the download is as last stored");
}

/// In production: activate waits for an approval that alice may not grant herself
/// and bob does; a rejected deactivate never runs; tags are blocked.
async fn approvals(e2e: &E2e, created: &Created) {
    let id = &created.schedule;
    let held = e2e.op(&e2e.alice, WorkflowAction::Activate, PROD, id).await;
    let OpOutcome::PendingApproval { approval_id, .. } = held else {
        panic!("activate in production should wait for an approval, got {held:?}");
    };
    assert_eq!(e2e.pending(PROD).await, approval_id);
    assert_eq!(
        e2e.served(id).await.expect("in n8n")["active"],
        json!(false),
        "nothing runs before the grant"
    );

    let own = e2e
        .alice
        .approval_decide(ApprovalDecision {
            id: approval_id,
            approve: true,
            note: None,
            self_approve: true,
        })
        .await
        .expect_err("no self-approval in production");
    assert_eq!(own.kind, ErrorKind::Forbidden, "{own}");
    assert_eq!(
        e2e.served(id).await.expect("in n8n")["active"],
        json!(false)
    );

    let granted = e2e
        .bob
        .approval_decide(ApprovalDecision {
            id: approval_id,
            approve: true,
            note: Some("checked".into()),
            self_approve: false,
        })
        .await
        .expect("bob grants");
    assert_eq!(granted.state, ApprovalState::Approved);
    assert_eq!(granted.decided_by.as_deref(), Some("bob"));
    let results = granted.result.expect("the run's result").results;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].outcome, OpOutcome::Done);
    assert_eq!(e2e.served(id).await.expect("in n8n")["active"], json!(true));
    assert!(e2e.stored_some(PROD, id).await.active);

    let held = e2e
        .op(&e2e.alice, WorkflowAction::Deactivate, PROD, id)
        .await;
    let OpOutcome::PendingApproval { approval_id, .. } = held else {
        panic!("deactivate in production should wait for an approval, got {held:?}");
    };
    let rejected = e2e
        .bob
        .approval_decide(ApprovalDecision {
            id: approval_id,
            approve: false,
            note: Some("not now".into()),
            self_approve: false,
        })
        .await
        .expect("bob rejects");
    assert_eq!(rejected.state, ApprovalState::Rejected);
    assert!(rejected.result.is_none());
    assert_eq!(
        e2e.served(id).await.expect("in n8n")["active"],
        json!(true),
        "a rejected deactivate never runs"
    );

    let tag = WorkflowAction::Tag {
        add: vec![e2e.names.tag("prod")],
        remove: vec![],
    };
    let blocked = e2e.op(&e2e.alice, tag, PROD, id).await;
    assert!(
        matches!(blocked, OpOutcome::Blocked { .. }),
        "tags are blocked in production: {blocked:?}"
    );
    assert_eq!(e2e.served_tags(id).await, [e2e.names.tag("b")]);
}

/// Soft delete of the (active, tagged) schedule workflow, then its restore: the same
/// fingerprint, its tag and its active state back in n8n under a new id.
async fn soft_delete_and_restore(e2e: &E2e, created: &Created) -> String {
    let id = &created.schedule;
    let before = e2e.served(id).await.expect("in n8n");
    assert_eq!(before["active"], json!(true));
    let done = e2e
        .op(&e2e.alice, WorkflowAction::Delete { hard: false }, DEV, id)
        .await;
    assert_eq!(done, OpOutcome::Done);
    assert!(
        e2e.served(id).await.is_none(),
        "soft delete removes it from n8n"
    );
    assert!(e2e.stored(DEV, id).await.is_none());
    let trash = e2e.alice.trash_list(Some(DEV.into())).await.expect("trash");
    assert_eq!(trash.len(), 1, "{trash:?}");
    assert_eq!(trash[0].workflow_id, *id);
    assert_eq!(trash[0].name, e2e.names.workflow("schedule"));
    assert_eq!(trash[0].deleted_by, "alice");

    let restored = e2e
        .alice
        .trash_restore(trash[0].id, false)
        .await
        .expect("restore");
    assert_eq!(restored.outcome, OpOutcome::Done, "{restored:?}");
    let new_id = restored.target.id.clone();
    assert_ne!(new_id, *id, "n8n gives a restored workflow a new id");
    let after = e2e.served(&new_id).await.expect("back in n8n");
    assert_eq!(after["name"], before["name"]);
    assert_eq!(fingerprint(&after), fingerprint(&before));
    assert_eq!(after["active"], json!(true), "active again, as it was");
    assert_eq!(e2e.served_tags(&new_id).await, [e2e.names.tag("b")]);
    let stored = e2e.stored_some(DEV, &new_id).await;
    assert_eq!(stored.fingerprint, fingerprint(&before));
    assert!(stored.active);
    assert_eq!(stored.tags, [e2e.names.tag("b")]);
    assert!(
        e2e.alice
            .trash_list(Some(DEV.into()))
            .await
            .expect("trash")
            .is_empty(),
        "the restore empties its trash entry"
    );
    new_id
}

/// Hard deletes: the restored workflow in production once bob grants it, the manual one
/// in dev at once. Both really gone from n8n, neither kept in the trash.
async fn hard_delete(e2e: &E2e, created: &Created, restored: &str) {
    // Prod still holds the old id: a sync brings the restored one in.
    let report = e2e.sync(&[PROD]).await;
    assert!(
        report.envs[0].added >= 1 && report.envs[0].removed >= 1,
        "{report:?}"
    );
    assert!(e2e.stored(PROD, &created.schedule).await.is_none());
    e2e.stored_some(PROD, restored).await;

    let hard = WorkflowAction::Delete { hard: true };
    let held = e2e.op(&e2e.alice, hard.clone(), PROD, restored).await;
    let OpOutcome::PendingApproval { approval_id, .. } = held else {
        panic!("delete in production should wait for an approval, got {held:?}");
    };
    assert!(e2e.served(restored).await.is_some(), "held until granted");
    let granted = e2e
        .bob
        .approval_decide(ApprovalDecision {
            id: approval_id,
            approve: true,
            note: None,
            self_approve: false,
        })
        .await
        .expect("bob grants");
    assert_eq!(granted.state, ApprovalState::Approved, "{granted:?}");
    assert!(e2e.served(restored).await.is_none(), "really gone from n8n");
    assert!(e2e.stored(PROD, restored).await.is_none());

    let done = e2e.op(&e2e.alice, hard, DEV, &created.manual).await;
    assert_eq!(done, OpOutcome::Done);
    assert!(
        e2e.served(&created.manual).await.is_none(),
        "really gone from n8n"
    );
    assert!(e2e.stored(DEV, &created.manual).await.is_none());
    assert!(e2e.alice.trash_list(None).await.expect("trash").is_empty());
    assert!(e2e.served_names().await.is_empty());
}

/// Every operation left its audit event, by the person who acted.
async fn audit(e2e: &E2e) {
    let entries = e2e.audit();
    let entries = entries.await;
    let has = |actor: &str, action: &str, env: &str, outcome: Outcome, detail: &str| {
        entries.iter().any(|e| {
            e.actor == actor
                && e.action == action
                && e.env.as_deref() == Some(env)
                && e.outcome == outcome
                && e.detail.as_deref().is_some_and(|d| d.contains(detail))
        })
    };
    let expected = [
        (
            "alice",
            "workflow.upload",
            DEV,
            Outcome::Ok,
            "from schedule.json",
        ),
        (
            "alice",
            "workflow.upload",
            DEV,
            Outcome::Ok,
            "from batch.zip/good.json",
        ),
        (
            "alice",
            "workflow.upload",
            DEV,
            Outcome::Error,
            "batch.zip/bad.json: n8n refused it",
        ),
        ("alice", "workflow.upload", PROD, Outcome::Error, "blocked"),
        ("alice", "workflow.activate", DEV, Outcome::Ok, "activated"),
        ("alice", "workflow.activate", DEV, Outcome::Error, ""),
        (
            "alice",
            "workflow.deactivate",
            DEV,
            Outcome::Ok,
            "deactivated",
        ),
        ("alice", "workflow.tag", DEV, Outcome::Ok, "+e2e-"),
        ("alice", "workflow.tag", DEV, Outcome::Ok, "-e2e-"),
        ("alice", "workflow.tag", PROD, Outcome::Error, "blocked"),
        (
            "alice",
            "workflow.download",
            DEV,
            Outcome::Ok,
            "2 workflows",
        ),
        ("alice", "approval.request", PROD, Outcome::Ok, "activate"),
        ("alice", "approval.request", PROD, Outcome::Ok, "deactivate"),
        (
            "alice",
            "approval.request",
            PROD,
            Outcome::Ok,
            "hard delete",
        ),
        (
            "alice",
            "approval.grant",
            PROD,
            Outcome::Error,
            "self-approval",
        ),
        ("bob", "approval.grant", PROD, Outcome::Ok, "note: checked"),
        ("bob", "approval.reject", PROD, Outcome::Ok, "note: not now"),
        ("bob", "workflow.activate", PROD, Outcome::Ok, "(approval #"),
        ("alice", "workflow.delete", DEV, Outcome::Ok, "soft delete"),
        (
            "alice",
            "workflow.restore",
            DEV,
            Outcome::Ok,
            "activated again",
        ),
        ("bob", "workflow.delete", PROD, Outcome::Ok, "hard delete"),
        ("alice", "workflow.delete", DEV, Outcome::Ok, "hard delete"),
    ];
    let missing: Vec<String> = expected
        .iter()
        .filter(|(actor, action, env, outcome, detail)| !has(actor, action, env, *outcome, detail))
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(
        missing.is_empty(),
        "missing audit entries:\n{}\nthe log:\n{}",
        missing.join("\n"),
        entries
            .iter()
            .map(|e| format!(
                "{} {} {:?} {:?} {:?}",
                e.actor, e.action, e.env, e.outcome, e.detail
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // A rejected approval runs nothing: no deactivate in production.
    assert!(
        !entries
            .iter()
            .any(|e| e.action == "workflow.deactivate" && e.env.as_deref() == Some(PROD)),
        "a rejected approval ran"
    );
}
