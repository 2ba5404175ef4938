//! End to end against two real n8n 1.123.0 (scripts/test.sh starts both): the canonical
//! state in Git, drift and restore, on the whole corpus.
//!
//! The first instance (N8NOPS_E2E_N8N_URL) holds the corpus (imported here when it does
//! not yet) and is registered as "prod" (production) in a throw-away store whose
//! repository pushes to a local bare repository. A backup, then a drift check that finds
//! nothing (zero false drift over the whole corpus); then five changes made by hand
//! through n8n's REST API (a parameter, a credential, a rename, a new workflow, a
//! delete), which the next check must find exactly; a restore from the backup, planned
//! then run, every item verified; and a check that finds nothing again. Then the whole
//! snapshot is restored into the second instance (N8NOPS_E2E_N8N2_URL, fresh), as
//! "fresh": every workflow created and equal by fingerprint.
//!
//! Other tests use the first instance too (one test binary runs at a time): this one
//! counts what the instance holds when it starts instead of assuming a total, makes its
//! assertions about its own workflows, and puts back what it changed at the end, even
//! when it fails.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/workflows.rs"]
mod workflows;
use workflows::manual_workflow;
#[path = "support/real_n8n.rs"]
mod real_n8n;

use corpus::Imported;
use futures_util::FutureExt;
use n8nops::domain::commit::CommitKind;
use n8nops::domain::drift::DriftStatus;
use n8nops::domain::environment::EnvClass;
use n8nops::domain::normalize::fingerprint;
use n8nops::service::{
    BackupReport, BackupRequest, DriftCheckRequest, DriftCounts, DriftReport, EnvAdd, EnvDrift,
    JobStarted, LocalOps, Ops, OpsResult, RestoreAction, RestorePlan, RestoreReport,
    RestoreRequest, Secret, Settings, SnapshotView, follow_job,
};
use n8nops::store::{SecretBox, Store};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

const PROD: &str = "prod";
const FRESH: &str = "fresh";

/// n8n's public API, called by hand (what a person with an API key does).
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Api {
    fn new(url: &str, key: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            url: url.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.url))
            .header("X-N8N-API-KEY", &self.key);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path} on {}: {e}", self.url));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "{method} {path} on {}: {status}: {text}",
            self.url
        );
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} on {}: not JSON ({e}): {text}", self.url))
    }

    async fn get(&self, id: &str) -> Option<Value> {
        let resp = self
            .http
            .get(format!("{}/api/v1/workflows/{id}", self.url))
            .header("X-N8N-API-KEY", &self.key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET workflow {id} on {}: {e}", self.url));
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return None;
        }
        assert!(
            resp.status().is_success(),
            "GET workflow {id} on {}: {}",
            self.url,
            resp.status()
        );
        Some(resp.json().await.expect("a workflow's JSON"))
    }

    /// PUT accepts only these five fields (../shared/n8n/README.md).
    async fn put(&self, id: &str, workflow: &Value) -> Value {
        let body = json!({
            "name": workflow["name"],
            "nodes": workflow["nodes"],
            "connections": workflow["connections"],
            "settings": workflow["settings"],
            "staticData": workflow["staticData"],
        });
        self.call(
            reqwest::Method::PUT,
            &format!("/workflows/{id}"),
            Some(&body),
        )
        .await
    }

    async fn post(&self, workflow: &Value) -> Value {
        self.call(reqwest::Method::POST, "/workflows", Some(workflow))
            .await
    }

    async fn delete(&self, id: &str) {
        self.call(reqwest::Method::DELETE, &format!("/workflows/{id}"), None)
            .await;
    }

    /// Every workflow: id -> (name, fingerprint).
    async fn live(&self) -> BTreeMap<String, (String, String)> {
        let mut out = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = "/workflows?limit=250".to_owned();
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = self.call(reqwest::Method::GET, &path, None).await;
            for w in page["data"].as_array().expect("a page of workflows") {
                let id = w["id"].as_str().expect("a workflow id").to_owned();
                let name = w["name"].as_str().unwrap_or_default().to_owned();
                out.insert(id, (name, fingerprint(w)));
            }
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                return out;
            }
        }
    }
}

/// A mark unique to this run, in the name of the workflow it creates.
fn run_mark() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or_default();
    format!("{:08x}", nanos ^ std::process::id().rotate_left(16))
}

/// Runs a job to its end and reads its result.
async fn job<T: DeserializeOwned>(
    ops: &LocalOps,
    what: &str,
    start: impl Future<Output = OpsResult<JobStarted>>,
) -> T {
    let events = ops.subscribe();
    let begun = std::time::Instant::now();
    let started = start
        .await
        .unwrap_or_else(|e| panic!("starting {what}: {e}"));
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .unwrap_or_else(|e| panic!("following {what}: {e}"));
    assert!(job.error.is_none(), "{what} failed: {:?}", job.error);
    eprintln!("{what}: {:.1} s", begun.elapsed().as_secs_f64());
    let result = job
        .result
        .unwrap_or_else(|| panic!("{what}: the job has no result"));
    serde_json::from_value(result.clone())
        .unwrap_or_else(|e| panic!("{what}: unexpected result ({e}): {result}"))
}

/// A store of its own, with its repository pushing to a bare repository beside it.
struct Canonical {
    ops: LocalOps,
    remote: PathBuf,
    _data: tempfile::TempDir,
}

impl Canonical {
    async fn new() -> Canonical {
        let data = tempfile::tempdir().expect("temp dir");
        let remote = data.path().join("remote.git");
        git2::Repository::init_bare(&remote).expect("a bare repository as the remote");
        let store = Store::open_sqlite(
            &data.path().join("n8nops.db"),
            SecretBox::from_key(&[3; 32]),
        )
        .await
        .expect("store");
        let mut settings = Settings::from_config(&Default::default());
        settings.actor = "e2e-git".into();
        settings.git.path = Some(data.path().join("canonical.git"));
        settings.git.remote = Some(remote.display().to_string());
        settings.git.push = true;
        let ops = LocalOps::new(store, settings).await.expect("ops");
        Canonical {
            ops,
            remote,
            _data: data,
        }
    }

    async fn add(&self, name: &str, class: EnvClass, url: &str, key: &str) {
        self.ops
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

    async fn drift(&self, env: &str) -> (EnvDrift, i32) {
        let report: DriftReport = job(
            &self.ops,
            &format!("drift check of {env}"),
            self.ops.drift_check(DriftCheckRequest {
                envs: vec![env.into()],
                fetch: true,
            }),
        )
        .await;
        let code = report.exit_code();
        let [drift] = <[EnvDrift; 1]>::try_from(report.envs)
            .unwrap_or_else(|e| panic!("one environment in the drift report, got {e:?}"));
        assert_eq!(drift.env, env);
        assert!(drift.error.is_none(), "{env}: {:?}", drift.error);
        (drift, code)
    }

    fn restore_request(&self, env: &str, snapshot: &str) -> RestoreRequest {
        RestoreRequest {
            env: env.into(),
            snapshot: Some(snapshot.into()),
            workflows: Vec::new(),
            dry_run: false,
            confirmed: true,
        }
    }
}

fn all_in_sync(n: usize) -> DriftCounts {
    DriftCounts {
        in_sync: n,
        ..DriftCounts::default()
    }
}

/// The workflows changed by hand, picked among the corpus workflows the instance holds
/// as imported; those whose name is unique in the instance first (an instance other
/// tests imported the corpus into twice has none).
struct Picks {
    /// A parameter changed.
    a: Imported,
    /// A node's credential changed (name and id).
    b: Imported,
    /// Renamed.
    c: Imported,
    /// Deleted.
    e: Imported,
}

impl Picks {
    fn choose(corpus: Vec<Imported>, live: &BTreeMap<String, (String, String)>) -> Picks {
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (name, _) in live.values() {
            *names.entry(name).or_default() += 1;
        }
        let mut candidates: Vec<Imported> = corpus
            .into_iter()
            .filter(|i| {
                i.outcome.as_ref().is_ok_and(|id| {
                    live.get(id)
                        .is_some_and(|(_, fp)| *fp == fingerprint(&i.value))
                })
            })
            .collect();
        let unique = |i: &Imported| {
            let name = i.outcome.as_ref().ok().and_then(|id| live.get(id));
            name.is_some_and(|(name, _)| names.get(name.as_str()) == Some(&1))
        };
        candidates.sort_by_key(|i| !unique(i));
        let mut take = |what: &str, fits: &dyn Fn(&Value) -> bool| -> Imported {
            let at = candidates
                .iter()
                .position(|i| fits(&i.value))
                .unwrap_or_else(|| panic!("no corpus workflow fits {what}"));
            candidates.remove(at)
        };
        let a = take("a parameter change", &|w| string_parameter(w).is_some());
        let b = take("a credential change", &|w| credential_node(w).is_some());
        let c = take("a rename", &|_| true);
        let e = take("a delete", &|_| true);
        Picks { a, b, c, e }
    }
}

fn id_of(i: &Imported) -> String {
    i.outcome.clone().expect("an imported workflow")
}

fn name_of(w: &Value) -> String {
    w["name"].as_str().unwrap_or_default().to_owned()
}

/// (node index, parameter key) of the first top-level string parameter.
fn string_parameter(w: &Value) -> Option<(usize, String)> {
    w["nodes"]
        .as_array()?
        .iter()
        .enumerate()
        .find_map(|(i, n)| {
            let params = n["parameters"].as_object()?;
            params
                .iter()
                .find(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty() && s.len() < 200))
                .map(|(k, _)| (i, k.clone()))
        })
}

/// (node index, credential type) of the first node with a credential.
fn credential_node(w: &Value) -> Option<(usize, String)> {
    w["nodes"]
        .as_array()?
        .iter()
        .enumerate()
        .find_map(|(i, n)| {
            let creds = n["credentials"].as_object()?;
            let (kind, cred) = creds.iter().next()?;
            cred.get("name")?.as_str()?;
            Some((i, kind.clone()))
        })
}

/// What the test changed in the first instance, to put back at the end.
#[derive(Default)]
struct Changes {
    /// n8n id -> the body before the change (A, B, C).
    edited: Vec<(String, Value)>,
    /// The workflow created by hand (D).
    created: Option<String>,
    /// The body of the deleted workflow (E).
    deleted: Option<Value>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_drift_restore_and_restore_into_a_fresh_instance() {
    let Some((url, key)) = real_n8n::real_n8n() else {
        return;
    };
    let Some(dir) = corpus::corpus_dir() else {
        return;
    };
    let second = real_n8n::second_real_n8n();
    let api = Api::new(&url, &key);
    let client =
        n8nops::n8n::N8nClient::new("e2e", &url, &key, Default::default()).expect("n8n client");
    let files = corpus::corpus_files(&dir);
    assert_eq!(files.len(), corpus::FILES, "the corpus's files");
    let imported = corpus::ensure_corpus(&client, files).await;
    let held = imported.iter().filter(|i| i.outcome.is_ok()).count();
    assert_eq!(held, corpus::IMPORTABLE, "corpus workflows in the instance");

    let changes = std::sync::Mutex::new(Changes::default());
    let outcome = AssertUnwindSafe(scenario(&api, imported, second, &changes))
        .catch_unwind()
        .await;
    put_back(
        &api,
        changes.into_inner().unwrap_or_else(|p| p.into_inner()),
    )
    .await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(
    api: &Api,
    imported: Vec<Imported>,
    second: Option<(String, String)>,
    changes: &std::sync::Mutex<Changes>,
) {
    let canonical = Canonical::new().await;
    canonical
        .add(PROD, EnvClass::Production, &api.url, &api.key)
        .await;
    let ops = &canonical.ops;

    // What the instance holds before anything: the corpus and whatever else is there.
    let before = api.live().await;
    let n = before.len();
    eprintln!("the first instance holds {n} workflows");
    let picks = Picks::choose(imported, &before);
    for (what, pick) in [
        ("A (parameter)", &picks.a),
        ("B (credential)", &picks.b),
        ("C (rename)", &picks.c),
        ("E (delete)", &picks.e),
    ] {
        eprintln!("{what}: {}", pick.path.display());
    }

    // Backup: one snapshot of prod holding every live workflow.
    let backup: BackupReport = job(
        ops,
        "backup of prod",
        ops.backup(BackupRequest {
            envs: vec![PROD.into()],
        }),
    )
    .await;
    assert!(backup.failures.is_empty(), "{:?}", backup.failures);
    let [snapshot] = <[SnapshotView; 1]>::try_from(backup.snapshots)
        .unwrap_or_else(|s| panic!("one snapshot, got {s:?}"));
    assert_eq!(snapshot.env, PROD);
    assert_eq!(snapshot.kind, CommitKind::Backup);
    assert_eq!(snapshot.workflows, n, "workflows in the backup");
    let detail = ops
        .snapshot_show(snapshot.id.clone())
        .await
        .expect("snapshot show");
    assert_eq!(detail.workflows.len(), n);
    let recorded: BTreeMap<String, (String, String)> = detail
        .workflows
        .iter()
        .map(|w| (w.n8n_id.clone(), (w.name.clone(), w.fingerprint.clone())))
        .collect();
    assert_eq!(
        recorded, before,
        "the snapshot records every live workflow with its live name and fingerprint"
    );
    let canonical_id: HashMap<String, String> = detail
        .workflows
        .iter()
        .map(|w| (w.n8n_id.clone(), w.canonical_id.clone()))
        .collect();

    // Zero false drift over the whole instance.
    let (drift, code) = canonical.drift(PROD).await;
    assert_eq!(
        drift.counts,
        all_in_sync(n),
        "right after a backup nothing drifts: {:?}",
        drift.items
    );
    assert!(drift.items.is_empty(), "{:?}", drift.items);
    assert_eq!(code, 0);

    // Five changes by hand, through n8n's API.
    let (a, b, c, e) = (
        id_of(&picks.a),
        id_of(&picks.b),
        id_of(&picks.c),
        id_of(&picks.e),
    );
    let c_name = name_of(&picks.c.value);
    let edit = |id: &str, body: Value| {
        changes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .edited
            .push((id.to_owned(), body));
    };

    let mut body_a = api.get(&a).await.expect("workflow A");
    edit(&a, body_a.clone());
    let (node, param) = string_parameter(&body_a).expect("a string parameter");
    let old = body_a["nodes"][node]["parameters"][&param]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    body_a["nodes"][node]["parameters"][&param] = json!(format!("{old} (changed by hand)"));
    api.put(&a, &body_a).await;

    let mut body_b = api.get(&b).await.expect("workflow B");
    edit(&b, body_b.clone());
    let (node, kind) = credential_node(&body_b).expect("a node with a credential");
    body_b["nodes"][node]["credentials"][&kind] =
        json!({"id": "n8nopsE2eOther1", "name": "n8nops e2e other account"});
    let put_b = api.put(&b, &body_b).await;
    assert_eq!(
        put_b["nodes"][node]["credentials"][&kind]["name"], "n8nops e2e other account",
        "n8n kept the credential given"
    );

    let mut body_c = api.get(&c).await.expect("workflow C");
    edit(&c, body_c.clone());
    body_c["name"] = json!(format!("{c_name} (renamed by hand)"));
    api.put(&c, &body_c).await;

    let d_name = format!("n8nops-e2e-git-{} untracked", run_mark());
    let created = api.post(&manual_workflow(&d_name)).await;
    let d = created["id"].as_str().expect("D's id").to_owned();
    changes.lock().unwrap_or_else(|p| p.into_inner()).created = Some(d.clone());

    let body_e = api.get(&e).await.expect("workflow E");
    changes.lock().unwrap_or_else(|p| p.into_inner()).deleted = Some(body_e);
    api.delete(&e).await;

    // The check finds exactly those.
    let (drift, code) = canonical.drift(PROD).await;
    let found: BTreeSet<(DriftStatus, Option<String>)> = drift
        .items
        .iter()
        .map(|i| (i.status, i.n8n_id.clone()))
        .collect();
    let expected: BTreeSet<(DriftStatus, Option<String>)> = [
        (DriftStatus::Drifted, Some(a.clone())),
        (DriftStatus::Drifted, Some(b.clone())),
        (DriftStatus::Drifted, Some(c.clone())),
        (DriftStatus::Untracked, Some(d.clone())),
        (DriftStatus::Missing, Some(e.clone())),
    ]
    .into();
    assert_eq!(found, expected, "what the check found: {:#?}", drift.items);
    assert_eq!(drift.items.len(), 5, "{:#?}", drift.items);
    assert_eq!(
        drift.counts,
        DriftCounts {
            in_sync: n - 4,
            drifted: 3,
            missing: 1,
            untracked: 1,
            unknown: 0,
        }
    );
    assert_eq!(code, 1);
    for item in &drift.items {
        let n8n_id = item.n8n_id.as_deref().unwrap_or_default();
        match item.status {
            DriftStatus::Drifted => {
                let summary = item
                    .summary
                    .as_ref()
                    .unwrap_or_else(|| panic!("a summary for {n8n_id}: {item:?}"));
                assert!(summary.changes >= 1, "{item:?}");
                assert_eq!(item.canonical_id.as_ref(), canonical_id.get(n8n_id));
                assert_eq!(item.expected.as_ref(), Some(&before[n8n_id].1));
                assert_ne!(item.live, item.expected, "{item:?}");
                if n8n_id == c {
                    assert_eq!(
                        summary.renamed_from.as_deref(),
                        Some(c_name.as_str()),
                        "C's summary says it was renamed: {summary:?}"
                    );
                } else {
                    assert_eq!(summary.renamed_from, None, "{item:?}");
                }
            }
            DriftStatus::Missing => {
                assert_eq!(item.canonical_id.as_ref(), canonical_id.get(&e));
                assert_eq!(item.name, name_of(&picks.e.value));
            }
            DriftStatus::Untracked => {
                assert_eq!(item.canonical_id, None);
                assert_eq!(item.name, d_name);
            }
            other => panic!("unexpected {other:?}: {item:?}"),
        }
    }

    // The restore's plan: update A, B, C; create E; delete D; nothing else.
    let plan = ops
        .restore_plan(RestoreRequest {
            dry_run: true,
            confirmed: false,
            ..canonical.restore_request(PROD, &snapshot.id)
        })
        .await
        .expect("restore plan");
    assert_eq!(plan.env, PROD);
    assert_eq!(plan.snapshot.id, snapshot.id);
    let planned = changed_items(&plan);
    let expected: BTreeSet<(String, String)> = [
        (act(RestoreAction::Update), canonical_id[&a].clone()),
        (act(RestoreAction::Update), canonical_id[&b].clone()),
        (act(RestoreAction::Update), canonical_id[&c].clone()),
        (act(RestoreAction::Create), canonical_id[&e].clone()),
        (act(RestoreAction::Delete), format!("n8n:{d}")),
    ]
    .into();
    assert_eq!(planned, expected, "the plan: {:#?}", not_unchanged(&plan));
    assert_eq!(
        plan.items.len(),
        n + 1,
        "every snapshot workflow and the untracked one"
    );
    for item in &plan.items {
        match item.action {
            RestoreAction::Update => assert!(
                item.diff.is_some() && item.n8n_id.is_some(),
                "an update names the live workflow and shows its diff: {item:?}"
            ),
            RestoreAction::Delete => assert_eq!(item.n8n_id.as_deref(), Some(d.as_str())),
            _ => {}
        }
    }

    // Run it.
    let report: RestoreReport = job(
        ops,
        "restore of prod",
        ops.restore(canonical.restore_request(PROD, &snapshot.id)),
    )
    .await;
    assert_eq!(report.env, PROD);
    assert_eq!(report.snapshot, snapshot.id);
    assert!(report.commit.is_some(), "the restore is recorded");
    let replaced = report
        .replaced
        .clone()
        .expect("a snapshot taken before the restore");
    for item in &report.items {
        assert!(item.ok, "{item:?}");
        if item.action != RestoreAction::Delete {
            assert!(item.verified, "verified by fingerprint: {item:?}");
        }
    }
    assert!(report.ok());
    let done: BTreeSet<(String, String)> = report
        .items
        .iter()
        .filter(|i| i.action != RestoreAction::Unchanged)
        .map(|i| {
            let who = match (&i.canonical_id, &i.n8n_id) {
                (Some(id), _) if i.action != RestoreAction::Delete => id.clone(),
                (_, Some(n8n)) => format!("n8n:{n8n}"),
                _ => panic!("an item without ids: {i:?}"),
            };
            (act(i.action), who)
        })
        .collect();
    assert_eq!(done, expected, "what the restore did: {:#?}", report.items);

    // In n8n: A, B, C as recorded; E back (a new id) as recorded; D gone.
    let after = api.live().await;
    for id in [&a, &b, &c] {
        assert_eq!(after.get(id), before.get(id), "workflow {id} restored");
    }
    assert!(!after.contains_key(&d), "D was deleted");
    assert!(!after.contains_key(&e), "E's old id does not come back");
    let e_new = report
        .items
        .iter()
        .find(|i| i.action == RestoreAction::Create)
        .and_then(|i| i.n8n_id.clone())
        .expect("E's new id");
    assert_eq!(after.get(&e_new), before.get(&e), "E recreated as recorded");
    assert_eq!(after.len(), n);
    {
        let mut changes = changes.lock().unwrap_or_else(|p| p.into_inner());
        changes.created = None;
        changes.deleted = None;
    }

    let (drift, code) = canonical.drift(PROD).await;
    assert_eq!(
        drift.counts,
        all_in_sync(n),
        "after the restore nothing drifts: {:#?}",
        drift.items
    );
    assert_eq!(code, 0);

    // The remote holds the branch and the snapshot tags.
    let status = ops.git_status().await.expect("git status");
    assert!(
        status
            .remotes
            .iter()
            .all(|r| r.error.is_none() && r.ahead == Some(0)),
        "every remote is up to date: {:?}",
        status.remotes
    );
    let remote_head = ref_target(&canonical.remote, &format!("refs/heads/{}", status.branch))
        .expect("the branch on the remote");
    assert_eq!(Some(remote_head), status.head, "the remote's branch");
    for id in [&snapshot.id, &replaced] {
        assert!(
            ref_target(&canonical.remote, &format!("refs/tags/snapshots/{id}")).is_some(),
            "snapshot {id} is tagged on the remote"
        );
    }
    let listed: Vec<String> = ops
        .snapshot_list(Some(PROD.into()))
        .await
        .expect("snapshot list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(
        listed.contains(&snapshot.id) && listed.contains(&replaced),
        "{listed:?}"
    );

    // The whole snapshot into the second, fresh instance.
    let Some((url2, key2)) = second else { return };
    let api2 = Api::new(&url2, &key2);
    let leftover = api2.live().await;
    if !leftover.is_empty() {
        eprintln!(
            "the second instance holds {} workflows from an earlier run: deleting them",
            leftover.len()
        );
        for id in leftover.keys() {
            api2.delete(id).await;
        }
    }
    canonical.add(FRESH, EnvClass::Staging, &url2, &key2).await;
    let plan = ops
        .restore_plan(RestoreRequest {
            dry_run: true,
            confirmed: false,
            ..canonical.restore_request(FRESH, &snapshot.id)
        })
        .await
        .expect("restore plan into fresh");
    assert_eq!(plan.items.len(), n, "every workflow of the snapshot");
    assert!(
        plan.items.iter().all(|i| i.action == RestoreAction::Create),
        "into an empty instance everything is created: {:#?}",
        not_unchanged(&plan)
    );
    let report: RestoreReport = job(
        ops,
        "restore of prod's snapshot into fresh",
        ops.restore(canonical.restore_request(FRESH, &snapshot.id)),
    )
    .await;
    assert_eq!(report.items.len(), snapshot.workflows);
    let failed: Vec<_> = report
        .items
        .iter()
        .filter(|i| !(i.ok && i.verified && i.action == RestoreAction::Create))
        .collect();
    assert!(
        failed.is_empty(),
        "{} not created and verified: {failed:#?}",
        failed.len()
    );
    let mut want: Vec<&str> = before.values().map(|(_, fp)| fp.as_str()).collect();
    let restored = api2.live().await;
    let mut got: Vec<&str> = restored.values().map(|(_, fp)| fp.as_str()).collect();
    want.sort_unstable();
    got.sort_unstable();
    assert!(
        want == got,
        "the fresh instance holds the snapshot's workflows, equal by fingerprint ({} vs {})",
        got.len(),
        want.len()
    );
    let (drift, code) = canonical.drift(FRESH).await;
    assert_eq!(drift.counts, all_in_sync(n), "{:#?}", drift.items);
    assert_eq!(code, 0);
}

/// The plan's items that change something, as (action, canonical id), or `n8n:<id>`
/// for a delete.
fn changed_items(plan: &RestorePlan) -> BTreeSet<(String, String)> {
    not_unchanged(plan)
        .into_iter()
        .map(|i| {
            let who = match (&i.canonical_id, &i.n8n_id) {
                (Some(id), _) if i.action != RestoreAction::Delete => id.clone(),
                (_, Some(n8n)) => format!("n8n:{n8n}"),
                _ => panic!("a plan item without ids: {i:?}"),
            };
            (act(i.action), who)
        })
        .collect()
}

fn not_unchanged(plan: &RestorePlan) -> Vec<&n8nops::service::RestoreItem> {
    plan.items
        .iter()
        .filter(|i| i.action != RestoreAction::Unchanged)
        .collect()
}

fn act(action: RestoreAction) -> String {
    format!("{action:?}")
}

/// The commit a reference of the bare repository at `repo` points to.
fn ref_target(repo: &Path, name: &str) -> Option<String> {
    let repo = git2::Repository::open_bare(repo).expect("the bare remote");
    let reference = repo.find_reference(name).ok()?;
    let commit = reference.peel_to_commit().ok()?;
    Some(commit.id().to_string())
}

/// Puts the first instance back as the test found it: the edited workflows' bodies,
/// the deleted one re-created, the created one deleted (each only where still needed).
async fn put_back(api: &Api, changes: Changes) {
    for (id, body) in changes.edited {
        match api.get(&id).await {
            Some(live) if fingerprint(&live) != fingerprint(&body) => {
                eprintln!("putting workflow {id} back");
                api.put(&id, &body).await;
            }
            _ => {}
        }
    }
    if let Some(id) = changes.created
        && api.get(&id).await.is_some()
    {
        eprintln!("deleting workflow {id}, created by the test");
        api.delete(&id).await;
    }
    if let Some(body) = changes.deleted {
        let want = fingerprint(&body);
        if !api.live().await.values().any(|(_, fp)| *fp == want) {
            eprintln!("re-creating workflow {:?}", body["name"]);
            api.post(&json!({
                "name": body["name"],
                "nodes": body["nodes"],
                "connections": body["connections"],
                "settings": body["settings"],
                "staticData": body["staticData"],
            }))
            .await;
        }
    }
}
