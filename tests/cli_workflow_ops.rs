//! The `workflows` and `approvals` verbs, run as the real binary against two simulated
//! instances (development and production) in a throw-away data dir: an operation by
//! name, a production delete held for approval and granted by someone else, a refused
//! confirmation when no terminal can ask, and a download.

use n8nops::sim::{self, SimHandle, SimOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KEY: &str = "cli-test-sim-key";

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
}

/// Runs `n8nops ARGS` on `dir` as `user`, stdin closed (no terminal to ask on).
async fn n8nops(dir: &Path, user: &str, args: &[&str]) -> Run {
    let dir = dir.to_owned();
    let user = user.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out: Output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_n8nops"))
            .arg("--config")
            .arg(dir.join("config.toml"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(&args)
            .env("USER", &user)
            .env("SIM_KEY", KEY)
            .env_remove("N8NOPS_DATABASE_URL")
            .env_remove("N8NOPS_MASTER_KEY")
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

async fn start_sim(seed: u64) -> SimHandle {
    sim::start(SimOptions {
        api_key: KEY.into(),
        seed,
        workflows: sim::generator::generate(seed, 20),
        ..SimOptions::default()
    })
    .await
    .expect("start the simulator")
}

/// An active workflow of the sim (one n8n agrees to activate): (id, name).
fn active_workflow(sim: &SimHandle) -> (String, String) {
    sim.workflow_ids()
        .into_iter()
        .filter_map(|id| sim.workflow(&id))
        .find(|w| w["active"] == Value::Bool(true))
        .map(|w| {
            (
                w["id"].as_str().unwrap().to_owned(),
                w["name"].as_str().unwrap().to_owned(),
            )
        })
        .expect("an active workflow")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_verbs_against_the_simulator() {
    let dev = start_sim(31).await;
    let prod = start_sim(32).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_owned();
    for (name, class, sim) in [("dev", "development", &dev), ("prod", "production", &prod)] {
        let run = n8nops(
            &dir,
            "alice",
            &[
                "env",
                "add",
                name,
                "--url",
                &sim.url,
                "--class",
                class,
                "--api-key-env",
                "SIM_KEY",
            ],
        )
        .await;
        assert_eq!(run.code, 0, "env add {name}: {}", run.stderr);
    }
    let run = n8nops(&dir, "alice", &["sync"]).await;
    assert_eq!(run.code, 0, "sync: {}", run.stderr);

    // Deactivate by exact name.
    let (id, name) = active_workflow(&dev);
    let run = n8nops(
        &dir,
        "alice",
        &["--json", "workflows", "deactivate", "dev", &name],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        report["results"][0]["target"]["id"],
        Value::String(id.clone())
    );
    assert_eq!(report["results"][0]["outcome"]["outcome"], "done");
    assert_eq!(dev.workflow(&id).unwrap()["active"], Value::Bool(false));

    // A production delete waits for approval; the requester cannot grant it there.
    let (prod_id, _) = active_workflow(&prod);
    let run = n8nops(
        &dir,
        "alice",
        &["--json", "workflows", "delete", "prod", &prod_id, "--yes"],
    )
    .await;
    assert_eq!(run.code, 0, "pending is not a failure: {}", run.stderr);
    let outcome = &run.json()["results"][0]["outcome"];
    assert_eq!(outcome["outcome"], "pending_approval");
    assert!(
        run.stderr.contains("self-approval is not permitted"),
        "{}",
        run.stderr
    );
    let approval = outcome["approval_id"].as_i64().unwrap().to_string();
    let run = n8nops(&dir, "alice", &["--json", "approvals", "list"]).await;
    assert_eq!(run.json().as_array().unwrap().len(), 1);
    let run = n8nops(&dir, "alice", &["approvals", "approve", &approval, "--yes"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(prod.workflow(&prod_id).is_some());

    // Someone else grants it; it runs.
    let run = n8nops(
        &dir,
        "bob",
        &["--json", "approvals", "approve", &approval, "--note", "ok"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let view = run.json();
    assert_eq!(view["state"], "approved");
    assert_eq!(view["decided_by"], "bob");
    assert!(prod.workflow(&prod_id).is_none());
    let run = n8nops(
        &dir,
        "bob",
        &["--json", "workflows", "trash", "--env", "prod"],
    )
    .await;
    assert_eq!(run.json()[0]["workflow_id"], Value::String(prod_id.clone()));

    // Blocked: exit 2 with the reason.
    let run = n8nops(
        &dir,
        "alice",
        &[
            "workflows",
            "tag",
            "prod",
            &active_workflow(&prod).0,
            "--add",
            "x",
        ],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("blocked"), "{}", run.stdout);

    // Download all of dev.
    let zip = dir.join("dev.zip");
    let run = n8nops(
        &dir,
        "alice",
        &["workflows", "download", "dev", "-o", zip.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&zip).unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(archive.len(), dev.workflow_count());

    // The audit log names the workflow.
    let run = n8nops(&dir, "alice", &["--json", "audit", "list", "--env", "dev"]).await;
    let audit = run.json();
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "workflow.deactivate")
        .expect("audited");
    assert_eq!(entry["workflow"], Value::String(id));
    assert_eq!(entry["actor"], "alice");
}

/// Where the policy warns and no terminal can ask, the command refuses (exit 2) and
/// changes nothing; `--yes` goes ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_without_a_terminal_is_refused() {
    let stage = start_sim(33).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let url = stage.url.clone();
    let run = n8nops(
        dir,
        "alice",
        &[
            "env",
            "add",
            "stage",
            "--url",
            &url,
            "--class",
            "staging",
            "--api-key-env",
            "SIM_KEY",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(n8nops(dir, "alice", &["sync"]).await.code, 0);
    let (id, _) = active_workflow(&stage);
    let run = n8nops(dir, "alice", &["workflows", "delete", "stage", &id]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.contains("not confirmed"), "{}", run.stdout);
    assert!(stage.workflow(&id).is_some());
    let run = n8nops(
        dir,
        "alice",
        &["workflows", "delete", "stage", &id, "--yes"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(stage.workflow(&id).is_none());
}
