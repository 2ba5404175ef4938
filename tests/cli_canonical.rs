//! The canonical-state verbs, run as the real binary against a simulated instance in a
//! throw-away data dir: untracked workflows, a backup, drift found after a change made
//! by hand through the instance's API, a restore from the backup (planned, refused
//! without a terminal, then confirmed) after which nothing drifts, onboarding, and an
//! unreachable environment.

use n8nops::domain::writable::writable_body;
use n8nops::sim::{self, SimHandle, SimOptions};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY: &str = "cli-canonical-sim-key";
const ENV: &str = "stage";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }

    /// Asserts the exit code, showing both streams when it differs.
    fn expect(self, code: i32, what: &str) -> Run {
        assert_eq!(
            self.code, code,
            "{what}: exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Runs `n8nops ARGS` on `dir`, stdin closed (no terminal to ask on).
async fn n8nops(dir: &Path, args: &[&str]) -> Run {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out: Output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_n8nops"))
            .arg("--config")
            .arg(dir.join("config.toml"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(&args)
            .env("USER", "alice")
            .env("SIM_KEY", KEY)
            .env("NO_COLOR", "1")
            .env_remove("N8NOPS_DATABASE_URL")
            .env_remove("N8NOPS_MASTER_KEY")
            .env_remove("N8NOPS_GIT_TOKEN")
            .stdin(Stdio::null())
            .output()
            .expect("run n8nops")
    })
    .await
    .expect("join");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn start_sim(seed: u64, workflows: usize) -> SimHandle {
    sim::start(SimOptions {
        api_key: KEY.into(),
        seed,
        workflows: sim::generator::generate(seed, workflows),
        executions_per_minute: 0,
        ..SimOptions::default()
    })
    .await
    .expect("start the simulator")
}

/// The instance's public API, as a person with a script would use it.
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(sim: &SimHandle) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", sim.url),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request
            .header("X-N8N-API-KEY", KEY)
            .send()
            .await
            .expect("reach the simulator");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    async fn get(&self, id: &str) -> Value {
        self.send(self.http.get(format!("{}/workflows/{id}", self.base)))
            .await
    }

    async fn put(&self, id: &str, body: &Value) -> Value {
        self.send(
            self.http
                .put(format!("{}/workflows/{id}", self.base))
                .json(body),
        )
        .await
    }

    async fn create(&self, body: &Value) -> Value {
        self.send(
            self.http
                .post(format!("{}/workflows", self.base))
                .json(body),
        )
        .await
    }
}

/// A workflow of the sim with a node that is not a sticky note: (id, name, node index).
fn editable_workflow(sim: &SimHandle) -> (String, String, usize) {
    sim.workflow_ids()
        .into_iter()
        .filter_map(|id| sim.workflow(&id))
        .find_map(|w| {
            let index = w["nodes"]
                .as_array()?
                .iter()
                .position(|n| n["type"] != "n8n-nodes-base.stickyNote")?;
            Some((
                w["id"].as_str()?.to_owned(),
                w["name"].as_str()?.to_owned(),
                index,
            ))
        })
        .expect("a workflow with a node")
}

/// A TCP port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    port
}

fn items_of(report: &Value) -> &Vec<Value> {
    report["envs"][0]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a drift report with items: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_drift_restore_and_onboard_against_the_simulator() {
    let stage = start_sim(51, 12).await;
    let api = Api::new(&stage);
    let count = stage.workflow_count();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    n8nops(
        dir,
        &[
            "env",
            "add",
            ENV,
            "--url",
            &stage.url,
            "--class",
            "staging",
            "--api-key-env",
            "SIM_KEY",
        ],
    )
    .await
    .expect(0, "env add");
    n8nops(dir, &["sync"]).await.expect(0, "sync");

    // Nothing is canonical yet: every synced workflow is untracked.
    let untracked = n8nops(dir, &["--json", "untracked", "list", ENV])
        .await
        .expect(0, "untracked list")
        .json();
    let untracked = untracked.as_array().expect("a list");
    assert_eq!(untracked.len(), count, "{untracked:?}");
    assert!(untracked.iter().all(|w| w["env"] == ENV));

    // A backup records the complete state: one snapshot, nothing untracked after it.
    let backup = n8nops(dir, &["--json", "backup"])
        .await
        .expect(0, "backup")
        .json();
    assert_eq!(backup["failures"], json!([]), "{backup}");
    let snapshots = backup["snapshots"].as_array().expect("snapshots");
    assert_eq!(snapshots.len(), 1, "{backup}");
    let backup_id = snapshots[0]["id"].as_str().expect("an id").to_owned();
    assert!(backup_id.starts_with("stage/"), "{backup_id}");
    assert_eq!(snapshots[0]["kind"], "backup");
    assert_eq!(snapshots[0]["workflows"], json!(count));
    let run = n8nops(dir, &["untracked", "list"])
        .await
        .expect(0, "untracked list");
    assert!(
        run.stdout.contains("No untracked workflows"),
        "{}",
        run.stdout
    );

    let run = n8nops(dir, &["--json", "drift", "check", "--exit-code"])
        .await
        .expect(0, "drift check right after the backup");
    let report = run.json();
    assert_eq!(
        report["envs"][0]["counts"]["in_sync"],
        json!(count),
        "{report}"
    );
    assert_eq!(items_of(&report).len(), 0, "{report}");

    // Someone changes a parameter by hand, through the instance's API.
    let (id, name, node) = editable_workflow(&stage);
    let mut body = writable_body(&api.get(&id).await);
    body["nodes"][node]["parameters"]["n8nopsProbe"] = json!("changed by hand");
    api.put(&id, &body).await;

    let run = n8nops(dir, &["--json", "drift", "check", "--exit-code"])
        .await
        .expect(1, "drift check after the change");
    let report = run.json();
    let items = items_of(&report);
    assert_eq!(items.len(), 1, "exactly the changed workflow: {report}");
    assert_eq!(items[0]["status"], "DRIFTED");
    assert_eq!(items[0]["name"], json!(name));
    assert_eq!(items[0]["n8n_id"], json!(id));
    assert_eq!(report["envs"][0]["counts"]["drifted"], json!(1));
    // Without --exit-code, drift is reported, not an error; the text names it.
    let run = n8nops(dir, &["drift", "check", ENV])
        .await
        .expect(0, "drift check, plain");
    assert!(run.stdout.contains("DRIFTED"), "{}", run.stdout);
    assert!(run.stdout.contains(&name), "{}", run.stdout);
    let run = n8nops(dir, &["drift", "show", ENV])
        .await
        .expect(0, "drift show");
    assert!(run.stdout.contains(&name), "{}", run.stdout);

    // The backup is listed and shown.
    let list = n8nops(dir, &["--json", "snapshot", "list", ENV])
        .await
        .expect(0, "snapshot list")
        .json();
    assert!(
        list.as_array()
            .expect("a list")
            .iter()
            .any(|s| s["id"] == json!(backup_id) && s["kind"] == "backup"),
        "{list}"
    );
    let run = n8nops(dir, &["snapshot", "list"])
        .await
        .expect(0, "snapshot list, plain");
    assert!(run.stdout.contains(&backup_id), "{}", run.stdout);
    let run = n8nops(dir, &["snapshot", "show", &backup_id])
        .await
        .expect(0, "snapshot show");
    assert!(run.stdout.contains("backup"), "{}", run.stdout);
    assert!(run.stdout.contains(&name), "{}", run.stdout);

    // The plan: the changed workflow is updated, every other one is unchanged.
    let run = n8nops(dir, &["restore", ENV, "--dry-run"])
        .await
        .expect(0, "restore --dry-run");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&name))
        .unwrap_or_else(|| panic!("the plan names {name}: {}", run.stdout));
    assert!(line.trim_start().starts_with("update"), "{line}");
    let plan = n8nops(dir, &["--json", "restore", ENV, "--dry-run"])
        .await
        .expect(0, "restore --dry-run --json")
        .json();
    let items = plan["items"].as_array().expect("items");
    let changed: Vec<&Value> = items
        .iter()
        .filter(|i| i["action"] != "unchanged")
        .collect();
    assert_eq!(changed.len(), 1, "{plan}");
    assert_eq!(changed[0]["action"], "update");
    assert_eq!(changed[0]["name"], json!(name));
    assert_eq!(plan["snapshot"]["id"], json!(backup_id));

    // No terminal to ask on and no --yes: refused, nothing changed.
    let run = n8nops(dir, &["restore", ENV])
        .await
        .expect(2, "restore without --yes");
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(
        stage.workflow(&id).unwrap()["nodes"][node]["parameters"]["n8nopsProbe"],
        "changed by hand"
    );

    let report = n8nops(dir, &["--json", "restore", ENV, "--yes"])
        .await
        .expect(0, "restore --yes")
        .json();
    assert_eq!(report["snapshot"], json!(backup_id), "{report}");
    let restored: Vec<&Value> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["name"] == json!(name))
        .collect();
    assert_eq!(restored.len(), 1, "{report}");
    assert_eq!(restored[0]["ok"], json!(true), "{report}");
    assert_eq!(restored[0]["verified"], json!(true), "{report}");
    let replaced = report["replaced"]
        .as_str()
        .expect("the snapshot taken before");
    assert!(
        stage.workflow(&id).unwrap()["nodes"][node]["parameters"]
            .get("n8nopsProbe")
            .is_none(),
        "the hand-made change is gone"
    );
    let list = n8nops(dir, &["--json", "snapshot", "list", ENV])
        .await
        .expect(0, "snapshot list after the restore")
        .json();
    assert!(
        list.as_array()
            .expect("a list")
            .iter()
            .any(|s| s["id"] == json!(replaced)),
        "the rollback point is a snapshot: {list}"
    );

    let run = n8nops(dir, &["--json", "drift", "check", "--exit-code"])
        .await
        .expect(0, "drift check after the restore");
    assert_eq!(items_of(&run.json()).len(), 0, "{}", run.stdout);

    let run = n8nops(dir, &["reconcile"]).await.expect(0, "reconcile");
    assert!(run.stdout.contains("agree"), "{}", run.stdout);
    let status = n8nops(dir, &["--json", "git", "status"])
        .await
        .expect(0, "git status")
        .json();
    assert!(status["head"].is_string(), "{status}");

    // A new workflow made by hand is untracked until onboarded.
    let created = api
        .create(&json!({
            "name": "Made by hand",
            "nodes": [{
                "id": "0f5532f9-36ba-4bef-86c7-30d607400b15",
                "name": "Start",
                "type": "n8n-nodes-base.manualTrigger",
                "typeVersion": 1,
                "position": [0, 0],
                "parameters": {}
            }],
            "connections": {},
            "settings": {}
        }))
        .await;
    let new_id = created["id"].as_str().expect("an id").to_owned();
    let run = n8nops(dir, &["--json", "drift", "check", "--exit-code"])
        .await
        .expect(1, "drift check with a new workflow");
    let items = items_of(&run.json()).clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["status"], "UNTRACKED");
    assert_eq!(items[0]["n8n_id"], json!(new_id));
    let listed = n8nops(dir, &["--json", "untracked", "list", ENV])
        .await
        .expect(0, "untracked list")
        .json();
    assert_eq!(listed[0]["name"], "Made by hand", "{listed}");
    n8nops(dir, &["onboard", ENV])
        .await
        .expect(2, "onboard without --workflow or --all");
    let onboarded = n8nops(
        dir,
        &["--json", "onboard", ENV, "--workflow", "Made by hand"],
    )
    .await
    .expect(0, "onboard")
    .json();
    assert_eq!(
        onboarded["onboarded"][0]["n8n_id"],
        json!(new_id),
        "{onboarded}"
    );
    n8nops(dir, &["drift", "check", "--exit-code"])
        .await
        .expect(0, "drift check after onboarding");

    // An environment nobody answers for: exit 2, with or without --exit-code.
    let url = format!("http://127.0.0.1:{}", closed_port());
    n8nops(
        dir,
        &[
            "env",
            "add",
            "gone",
            "--url",
            &url,
            "--class",
            "development",
            "--api-key-env",
            "SIM_KEY",
        ],
    )
    .await
    .expect(0, "env add gone");
    let run = n8nops(dir, &["drift", "check", "gone", "--exit-code"])
        .await
        .expect(2, "drift check of an unreachable environment");
    assert!(run.stderr.contains("gone"), "{}", run.stderr);
    n8nops(dir, &["drift", "check", "gone"]).await.expect(
        2,
        "drift check of an unreachable environment, no --exit-code",
    );
}
