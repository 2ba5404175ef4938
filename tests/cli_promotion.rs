//! The promotion verbs (`promote`, `deployments`, and deployments in `approvals`), run
//! as the real binary against simulated instances of one generated fleet (development,
//! staging, production) in a throw-away data dir: a dry run that syncs first and prints
//! the preflight, the refusals without `--yes`, the empty lists, how an approval id is
//! told from a deployment id, and a promotion run to its end then shown.

use n8nops::sim::generator::{DriftKind, Fleet, generate_fleet};
use n8nops::sim::{self, SimHandle, SimOptions};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY: &str = "cli-promotion-sim-key";

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

/// Runs `n8nops ARGS` on `dir` as alice, stdin closed (no terminal to ask on).
async fn n8nops(dir: &Path, args: &[&str]) -> Run {
    n8nops_as(dir, "alice", args).await
}

/// Runs `n8nops ARGS` on `dir` as `user`, stdin closed.
async fn n8nops_as(dir: &Path, user: &str, args: &[&str]) -> Run {
    let user = user.to_owned();
    let dir = dir.to_owned();
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

async fn start_sim(seed: u64, workflows: Vec<Value>) -> SimHandle {
    sim::start(SimOptions {
        api_key: KEY.into(),
        seed,
        workflows,
        executions_per_minute: 0,
        ..SimOptions::default()
    })
    .await
    .expect("start the simulator")
}

/// A fleet's instances registered as environments and synced once.
struct Setup {
    fleet: Fleet,
    dev: SimHandle,
    stage: SimHandle,
    prod: SimHandle,
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
}

async fn setup(seed: u64) -> Setup {
    let fleet = generate_fleet(seed, 30);
    let dev = start_sim(seed, fleet.development.clone()).await;
    let stage = start_sim(seed + 1, fleet.staging.clone()).await;
    let prod = start_sim(seed + 2, fleet.production.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    for (name, class, sim) in [
        ("dev", "development", &dev),
        ("stage", "staging", &stage),
        ("prod", "production", &prod),
    ] {
        n8nops(
            &dir,
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
        .await
        .expect(0, "env add");
    }
    n8nops(&dir, &["sync"]).await.expect(0, "sync");
    Setup {
        fleet,
        dev,
        stage,
        prod,
        _tmp: tmp,
        dir,
    }
}

/// The names of the fleet's workflows with this kind of drift.
fn drifted(fleet: &Fleet, kind: DriftKind) -> Vec<String> {
    fleet
        .drift
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.workflow.clone())
        .collect()
}

fn names(sim: &SimHandle) -> Vec<String> {
    sim.workflow_ids()
        .into_iter()
        .filter_map(|id| sim.workflow(&id))
        .filter_map(|w| w["name"].as_str().map(str::to_owned))
        .collect()
}

/// A workflow new to staging whose credentials all exist there, from the dry run's
/// JSON.
async fn promotable(dir: &Path) -> String {
    let preflight = n8nops(
        dir,
        &[
            "--json",
            "promote",
            "--from",
            "dev",
            "--to",
            "stage",
            "--dry-run",
        ],
    )
    .await
    .expect(0, "promote --dry-run")
    .json();
    preflight["plan"]["items"]
        .as_array()
        .expect("plan items")
        .iter()
        .filter(|i| i["status"] == "ADDED")
        .filter_map(|i| i["name"].as_str())
        .find(|n| {
            preflight["credentials"][*n]
                .as_array()
                .is_none_or(|c| c.iter().all(|r| r["resolution"]["kind"] != "missing"))
        })
        .unwrap_or_else(|| panic!("an added workflow with its credentials: {preflight}"))
        .to_owned()
}

/// The line of the plan table naming `name`, split into its columns.
fn plan_row<'a>(stdout: &'a str, name: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{name}  ")))
        .unwrap_or_else(|| panic!("no plan row for '{name}' in:\n{stdout}"))
        .strip_prefix(name)
        .unwrap_or_default()
        .split_whitespace()
        .collect()
}

/// The preflight of a dry run, the refusals without `--yes`, and how ids are told apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_syncs_and_prints_the_preflight_and_writing_needs_yes() {
    let s = setup(61).await;
    let dir = &s.dir;
    let prod_before = s.prod.workflow_count();
    let only_in_dev = drifted(&s.fleet, DriftKind::OnlyInDevelopment);
    // Changed in dev (and staging), not in prod.
    let changed_in_dev = drifted(&s.fleet, DriftKind::InStagingNotProduction);
    assert!(!only_in_dev.is_empty() && !changed_in_dev.is_empty());

    // Made in dev after the last sync: only a dry run that syncs first can see it.
    let created: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/workflows", s.dev.url))
        .header("X-N8N-API-KEY", KEY)
        .json(&json!({
            "name": "Made after the sync",
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
        .send()
        .await
        .expect("reach the simulator")
        .json()
        .await
        .expect("a JSON body");
    assert!(created["id"].is_string(), "{created}");

    // Without --yes nothing is asked, planned or written.
    let run = n8nops(dir, &["promote", "--from", "dev", "--to", "prod"])
        .await
        .expect(2, "promote without --yes");
    assert!(
        run.stderr
            .contains("needs confirmation (--yes); --dry-run shows the plan"),
        "{}",
        run.stderr
    );
    let run = n8nops(dir, &["deployments", "rollback", "dep-1"])
        .await
        .expect(2, "rollback without --yes");
    assert!(
        run.stderr.contains("needs confirmation (--yes)"),
        "{}",
        run.stderr
    );

    let run = n8nops(
        dir,
        &["promote", "--from", "dev", "--to", "prod", "--dry-run"],
    )
    .await
    .expect(0, "promote --dry-run");
    let out = &run.stdout;
    assert!(out.starts_with("Promote dev -> prod: +"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["NAME", "STATUS", "ACTION", "RISK"]),
        "{out}"
    );
    for name in only_in_dev
        .iter()
        .map(String::as_str)
        .chain(["Made after the sync"])
    {
        assert_eq!(
            plan_row(out, name)[..2],
            ["ADDED", "CREATE"],
            "{name}: {out}"
        );
    }
    for name in &changed_in_dev {
        let row = plan_row(out, name);
        assert_eq!(row[..2], ["MODIFIED", "UPDATE"], "{name}: {out}");
    }
    // prod was never checked for drift: the workflows to overwrite are UNKNOWN.
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("FAIL  drift")),
        "{out}"
    );
    assert!(out.contains("\nCredentials:\n"), "{out}");
    assert!(out.contains("\nPolicy:\n"), "{out}");
    assert!(out.contains("in prod (production)"), "{out}");
    assert!(out.contains("no drift check of 'prod' has run"), "{out}");
    assert_eq!(
        s.prod.workflow_count(),
        prod_before,
        "a dry run writes nothing"
    );

    // The same as JSON: the Preflight, narrowed to one workflow.
    let name = &only_in_dev[0];
    let preflight = n8nops(
        dir,
        &[
            "--json",
            "promote",
            "--from",
            "dev",
            "--to",
            "prod",
            "--workflow",
            name,
            "--dry-run",
        ],
    )
    .await
    .expect(0, "promote --dry-run --json")
    .json();
    let items = preflight["plan"]["items"].as_array().expect("plan items");
    assert_eq!(items.len(), 1, "{preflight}");
    assert_eq!(items[0]["name"], json!(name));
    assert_eq!(items[0]["status"], "ADDED");
    assert_eq!(items[0]["action"], "CREATE");
    assert_eq!(preflight["plan"]["source_env"], "dev");
    assert_eq!(preflight["plan"]["target_env"], "prod");
    assert!(preflight["gates"].is_array(), "{preflight}");

    // An unknown workflow is refused, naming it.
    let run = n8nops(
        dir,
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "prod",
            "-w",
            "No such",
            "--dry-run",
        ],
    )
    .await
    .expect(2, "an unknown workflow");
    assert!(run.stderr.contains("'No such'"), "{}", run.stderr);

    // A number is a policy approval; anything else goes to the deployments.
    let run = n8nops(dir, &["approvals", "approve", "999"])
        .await
        .expect(2, "an unknown approval");
    assert!(run.stderr.contains("no approval #999"), "{}", run.stderr);
    let run = n8nops(dir, &["approvals", "reject", "#998"])
        .await
        .expect(2, "an unknown approval");
    assert!(run.stderr.contains("no approval #998"), "{}", run.stderr);
    let run = n8nops(dir, &["approvals", "approve", "dep-nope"])
        .await
        .expect(2, "an unknown deployment");
    assert!(!run.stderr.contains("invalid value"), "{}", run.stderr);
    assert!(!run.stderr.contains("no approval"), "{}", run.stderr);
    assert!(
        run.stderr.contains("no deployment dep-nope"),
        "{}",
        run.stderr
    );
    let run = n8nops(dir, &["approvals", "reject", "dep-nope"])
        .await
        .expect(2, "an unknown deployment");
    assert!(
        run.stderr.contains("no deployment dep-nope"),
        "{}",
        run.stderr
    );
    assert_eq!(s.stage.workflow_count(), s.fleet.staging.len());
}

/// Empty lists (`deployments_list`), and a recovery with nothing to recover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lists_start_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = n8nops(dir, &["deployments", "list"])
        .await
        .expect(0, "deployments list");
    assert!(
        run.stdout.starts_with("No deployments match."),
        "{}",
        run.stdout
    );
    let list = n8nops(
        dir,
        &["--json", "deployments", "list", "--state", "completed"],
    )
    .await
    .expect(0, "deployments list --json")
    .json();
    assert_eq!(list, json!([]));
    let run = n8nops(dir, &["approvals", "list"])
        .await
        .expect(0, "approvals list");
    assert_eq!(
        run.stdout.split_whitespace().collect::<Vec<_>>(),
        ["ID", "ENV", "STATE", "BY", "REQUESTED", "WHAT"]
    );
    let list = n8nops(dir, &["--json", "approvals", "list", "--all"])
        .await
        .expect(0, "approvals list --json")
        .json();
    assert_eq!(list, json!([]));
    let run = n8nops(dir, &["deployments", "recover"])
        .await
        .expect(0, "deployments recover");
    assert!(run.stdout.contains("nothing to recover"), "{}", run.stdout);
}

/// A promotion run to its end, then listed and shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_yes_runs_it_and_deployments_show_it() {
    let s = setup(71).await;
    let dir = &s.dir;
    let name = promotable(dir).await;
    assert!(!names(&s.stage).contains(&name));

    let out = n8nops(
        dir,
        &[
            "--json", "promote", "--from", "dev", "--to", "stage", "-w", &name, "--yes", "--note",
            "first",
        ],
    )
    .await
    .expect(0, "promote --yes")
    .json();
    let id = out["created"]["deployment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a deployment id: {out}"))
        .to_owned();
    assert_eq!(out["report"]["state"], "COMPLETED", "{out}");
    assert_eq!(out["report"]["items"][0]["name"], json!(name));
    assert_eq!(out["report"]["items"][0]["outcome"], "ok");
    assert!(names(&s.stage).contains(&name), "written to staging");

    let run = n8nops(dir, &["deployments", "list", "--env", "stage"])
        .await
        .expect(0, "deployments list");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} listed:\n{}", run.stdout));
    assert!(row.contains("COMPLETED"), "{row}");
    assert!(row.contains("dev -> stage"), "{row}");
    assert!(row.contains("+1 ~0 -0"), "{row}");

    let run = n8nops(dir, &["deployments", "show", &id, "--diff"])
        .await
        .expect(0, "deployments show");
    assert!(
        run.stdout
            .starts_with(&format!("Deployment {id}  COMPLETED")),
        "{}",
        run.stdout
    );
    let item = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name}  ")))
        .unwrap_or_else(|| panic!("{name} shown:\n{}", run.stdout));
    assert!(item.contains("ADDED") && item.contains("CREATE") && item.contains("ok"));
    let detail = n8nops(dir, &["--json", "deployments", "show", &id])
        .await
        .expect(0, "deployments show --json")
        .json();
    assert_eq!(detail["deployment"]["state"], "COMPLETED");
    assert_eq!(detail["items"][0]["name"], json!(name));
    assert_eq!(detail["request"]["workflows"], json!([name]));

    // Rolled back: a new deployment puts staging back as its snapshot held it.
    let run = n8nops(dir, &["deployments", "rollback", &id, "--yes"])
        .await
        .expect(0, "deployments rollback");
    assert!(
        run.stdout
            .starts_with(&format!("Rolling deployment {id} back")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("): COMPLETED"), "{}", run.stdout);
    assert!(!names(&s.stage).contains(&name), "gone from staging again");
    assert_eq!(s.prod.workflow_count(), s.fleet.production.len());
}

/// A stage that wants an approval: the deployment waits in `approvals list`, its
/// requester cannot approve it, someone else can, and then it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_waits_for_an_approval_from_someone_else() {
    let s = setup(81).await;
    let dir = &s.dir;
    std::fs::write(
        dir.join("config.toml"),
        r#"
[[pipelines]]
name = "release"

[[pipelines.stages]]
from = "dev"
to = "stage"

[pipelines.stages.gates]
approvals = 1
"#,
    )
    .unwrap();
    let name = promotable(dir).await;
    let run = n8nops(
        dir,
        &[
            "promote",
            "--pipeline",
            "release",
            "--from",
            "dev",
            "--to",
            "stage",
            "-w",
            &name,
            "--yes",
        ],
    )
    .await
    .expect(0, "promote into a stage wanting an approval");
    let first = run.stdout.lines().next().unwrap_or_default();
    let id = first
        .strip_prefix("Deployment ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("a deployment line: {}", run.stdout))
        .to_owned();
    assert!(first.contains("PENDING_APPROVAL"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("from someone other than alice (0 so far)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("Approve with: n8nops approvals approve {id}")),
        "{}",
        run.stdout
    );
    assert!(!names(&s.stage).contains(&name), "nothing written yet");

    let run = n8nops(dir, &["approvals", "list"])
        .await
        .expect(0, "approvals list");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} waits:\n{}", run.stdout));
    assert!(row.contains("pending"), "{row}");
    assert!(row.contains("promote dev -> stage: +1 ~0 -0"), "{row}");
    let list = n8nops(dir, &["--json", "approvals", "list"])
        .await
        .expect(0, "approvals list --json")
        .json();
    assert_eq!(list[0]["deployment"]["id"], json!(id), "{list}");

    // The requester's own approval is refused; bob's runs it.
    n8nops(dir, &["approvals", "approve", &id])
        .await
        .expect(2, "self-approval");
    assert!(!names(&s.stage).contains(&name));
    let run = n8nops_as(dir, "bob", &["approvals", "approve", &id, "--note", "ok"])
        .await
        .expect(0, "bob approves");
    assert!(
        run.stdout
            .contains(&format!("Deployment {id} (dev -> stage): COMPLETED")),
        "{}",
        run.stdout
    );
    assert!(names(&s.stage).contains(&name), "written once approved");
    let run = n8nops(dir, &["approvals", "list"])
        .await
        .expect(0, "approvals list");
    assert!(!run.stdout.contains(&id), "{}", run.stdout);
    let detail = n8nops(dir, &["--json", "deployments", "show", &id])
        .await
        .expect(0, "deployments show")
        .json();
    assert_eq!(detail["decisions"][0]["actor"], "bob", "{detail}");
    assert_eq!(detail["decisions"][0]["note"], "ok");
}
