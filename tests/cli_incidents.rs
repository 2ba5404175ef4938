//! `n8nops incidents ...` run as the real binary against a simulated production
//! instance in a throw-away data dir: a backup makes its workflows canonical, two are
//! changed by hand, a drift check opens an incident for each; then the incidents are
//! listed, shown, acknowledged, noted (multi-line), assigned, their severity set,
//! resolved, reverted (first without --yes: nothing changes), with `--json` and the
//! errors (exit 2, naming what was wrong); the metrics, a sweep and the policy; a
//! sweep that cannot reach the instance prints what failed and exits 2.

use n8nops::sim::{self, SimHandle, SimOptions};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY: &str = "cli-incidents-sim-key";
const ENV: &str = "prod";

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

/// Workflows of the sim with a node that is not a sticky note: (id, name, node index).
fn editable_workflows(sim: &SimHandle) -> Vec<(String, String, usize)> {
    sim.workflow_ids()
        .into_iter()
        .filter_map(|id| sim.workflow(&id))
        .filter_map(|w| {
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
        .collect()
}

fn probe(sim: &SimHandle, id: &str, node: usize) -> Value {
    sim.workflow(id).expect("the workflow")["nodes"][node]["parameters"]["n8nopsProbe"].clone()
}

/// The incident of `name` in a `--json incidents list`.
fn incident_of<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|i| i["workflow"] == json!(name))
        .unwrap_or_else(|| panic!("no incident on '{name}' in {list}"))
}

/// The line of the list table naming `name`, split into its columns.
fn row_of<'a>(stdout: &'a str, name: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .find(|l| l.contains(&format!("  {name}  ")))
        .unwrap_or_else(|| panic!("no row for '{name}' in:\n{stdout}"))
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// `23h59m`, `1d`...: the SLA countdown of a fresh incident, not breached.
fn is_countdown(cell: &str) -> bool {
    !cell.is_empty()
        && !cell.starts_with("BREACHED")
        && cell
            .chars()
            .all(|c| c.is_ascii_digit() || "dhms".contains(c))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_from_the_command_line() {
    let prod = sim::start(SimOptions {
        api_key: KEY.into(),
        seed: 71,
        workflows: sim::generator::generate(71, 12),
        executions_per_minute: 0,
        ..SimOptions::default()
    })
    .await
    .expect("start the simulator");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    n8nops(
        dir,
        &[
            "env",
            "add",
            ENV,
            "--url",
            &prod.url,
            "--class",
            "production",
            "--api-key-env",
            "SIM_KEY",
        ],
    )
    .await
    .expect(0, "env add");
    n8nops(dir, &["sync"]).await.expect(0, "sync");
    n8nops(dir, &["backup"]).await.expect(0, "backup");
    n8nops(dir, &["drift", "check"])
        .await
        .expect(0, "drift check after the backup");

    // Nothing drifts: no incidents.
    let run = n8nops(dir, &["incidents", "list"])
        .await
        .expect(0, "incidents list, none");
    assert!(run.stdout.contains("No incidents match."), "{}", run.stdout);
    let list = n8nops(dir, &["--json", "incidents", "list"])
        .await
        .expect(0, "incidents list --json, none")
        .json();
    assert_eq!(list, json!([]));

    // Two production workflows changed by hand: the drift check opens one incident each.
    let editable = editable_workflows(&prod);
    let [(a_id, a, a_node), (b_id, b, b_node)] = [editable[0].clone(), editable[1].clone()];
    for (id, node) in [(&a_id, a_node), (&b_id, b_node)] {
        prod.edit_workflow(id, |w| {
            w["nodes"][node]["parameters"]["n8nopsProbe"] = json!("changed by hand");
        })
        .unwrap();
    }
    n8nops(dir, &["drift", "check", ENV])
        .await
        .expect(0, "drift check after the changes");
    let list = n8nops(dir, &["--json", "incidents", "list"])
        .await
        .expect(0, "incidents list --json")
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let (ia, ib) = (incident_of(&list, &a), incident_of(&list, &b));
    for i in [ia, ib] {
        assert_eq!(i["env"], ENV, "{i}");
        assert_eq!(i["state"], "OPEN", "{i}");
        assert_eq!(i["kind"], "drift", "{i}");
        assert_eq!(i["drift_status"], "DRIFTED", "{i}");
    }
    let id_a = ia["id"].as_i64().expect("an id").to_string();
    let id_b = ib["id"].as_i64().expect("an id").to_string();
    let severity_a = ia["severity"].as_str().expect("a severity").to_owned();

    // The table: ID, SEV, ENV, WORKFLOW, STATE, AGE, SLA, ASSIGNEE.
    let run = n8nops(dir, &["incidents", "list"])
        .await
        .expect(0, "incidents list");
    let header: Vec<&str> = run
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "ID", "SEV", "ENV", "WORKFLOW", "STATE", "AGE", "SLA", "ASSIGNEE"
        ]
    );
    let row = row_of(&run.stdout, &a);
    assert_eq!(&row[..5], [id_a.as_str(), &severity_a, ENV, &a, "OPEN"]);
    assert!(is_countdown(row[6]), "SLA countdown: {row:?}");
    assert_eq!(row[7], "-", "{row:?}");

    // Show: the incident, its timeline.
    let run = n8nops(dir, &["incidents", "show", &id_a])
        .await
        .expect(0, "incidents show");
    assert!(
        run.stdout.starts_with(&format!(
            "Incident #{id_a}  {severity_a}  OPEN  (drift, DRIFTED"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("workflow '{a}' in {ENV}")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nTimeline:\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  n8nops  opened\n"), "{}", run.stdout);

    // Acknowledge with a note, a multi-line note, assign, unassign, severity by hand.
    let run = n8nops(dir, &["incidents", "ack", &id_a, "--note", "looking"])
        .await
        .expect(0, "incidents ack");
    assert!(run.stdout.contains("ACKNOWLEDGED"), "{}", run.stdout);
    n8nops(
        dir,
        &[
            "incidents",
            "note",
            &id_a,
            "first line\nsecond line of the note",
        ],
    )
    .await
    .expect(0, "incidents note");
    let assigned = n8nops(dir, &["--json", "incidents", "assign", &id_a, "carol"])
        .await
        .expect(0, "incidents assign")
        .json();
    assert_eq!(assigned["assignee"], "carol", "{assigned}");
    let run = n8nops(dir, &["incidents", "list"])
        .await
        .expect(0, "incidents list after assigning");
    let row = row_of(&run.stdout, &a);
    assert_eq!((row[4], row[7]), ("ACKNOWLEDGED", "carol"), "{row:?}");
    let run = n8nops(dir, &["incidents", "show", &id_a])
        .await
        .expect(0, "incidents show after the note");
    assert!(
        run.stdout
            .contains("  alice  note\n      first line\n      second line of the note\n"),
        "the note whole:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("assignee: carol"), "{}", run.stdout);
    let unassigned = n8nops(dir, &["--json", "incidents", "assign", &id_a, "--none"])
        .await
        .expect(0, "incidents assign --none")
        .json();
    assert_eq!(unassigned["assignee"], Value::Null, "{unassigned}");
    let lowered = n8nops(dir, &["--json", "incidents", "severity", &id_a, "low"])
        .await
        .expect(0, "incidents severity")
        .json();
    assert_eq!(
        (&lowered["severity"], &lowered["severity_manual"]),
        (&json!("low"), &json!(true)),
        "{lowered}"
    );
    let detail = n8nops(dir, &["--json", "incidents", "show", &id_a])
        .await
        .expect(0, "incidents show --json")
        .json();
    assert_eq!(detail["incident"]["acknowledged_by"], "alice", "{detail}");
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in [
        "opened",
        "acknowledged",
        "note",
        "assigned",
        "severity_changed",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }

    // Resolve: a note is required, then it is no longer listed as open.
    n8nops(dir, &["incidents", "resolve", &id_a])
        .await
        .expect(2, "resolve without --note");
    let run = n8nops(dir, &["incidents", "resolve", &id_a, "--note", " "])
        .await
        .expect(2, "resolve with an empty note");
    assert!(run.stderr.contains(&format!("#{id_a}")), "{}", run.stderr);
    let run = n8nops(
        dir,
        &["incidents", "resolve", &id_a, "--note", "put back by hand"],
    )
    .await
    .expect(0, "incidents resolve");
    assert!(run.stdout.contains("RESOLVED"), "{}", run.stdout);
    let open = n8nops(dir, &["--json", "incidents", "list"])
        .await
        .expect(0, "incidents list after resolving")
        .json();
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["workflow"], json!(b), "{open}");
    let all = n8nops(dir, &["--json", "incidents", "list", "--all"])
        .await
        .expect(0, "incidents list --all")
        .json();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let resolved = n8nops(dir, &["--json", "incidents", "list", "--state", "resolved"])
        .await
        .expect(0, "incidents list --state resolved")
        .json();
    assert_eq!(incident_of(&resolved, &a)["resolved_by"], "alice");
    assert_eq!(incident_of(&resolved, &a)["resolution"], "put back by hand");

    // Errors: exit 2 with what was wrong.
    let run = n8nops(dir, &["incidents", "ack", &id_a])
        .await
        .expect(2, "acknowledging a resolved incident");
    assert!(run.stderr.contains(&format!("#{id_a}")), "{}", run.stderr);
    let run = n8nops(dir, &["incidents", "show", "9999"])
        .await
        .expect(2, "an unknown incident");
    assert!(run.stderr.contains("no incident #9999"), "{}", run.stderr);
    let run = n8nops(dir, &["--json", "incidents", "show", "9999"])
        .await
        .expect(2, "an unknown incident, --json");
    let err: Value = serde_json::from_str(&run.stderr).expect("a JSON error on stderr");
    assert!(
        err["error"].as_str().unwrap().contains("no incident #9999"),
        "{err}"
    );
    n8nops(dir, &["incidents", "list", "--state", "closed"])
        .await
        .expect(2, "an unknown state");

    // Revert without --yes: what it would do, nothing changed.
    let run = n8nops(dir, &["incidents", "revert", &id_b])
        .await
        .expect(0, "incidents revert without --yes");
    assert!(
        run.stdout.contains(&format!("restore '{b}' in {ENV}"))
            && run.stdout.contains("Nothing was changed"),
        "{}",
        run.stdout
    );
    assert_eq!(probe(&prod, &b_id, b_node), json!("changed by hand"));
    let still = n8nops(dir, &["--json", "incidents", "show", &id_b])
        .await
        .expect(0, "incidents show after the plan")
        .json();
    assert_eq!(still["incident"]["state"], "OPEN", "{still}");

    // With --yes: the workflow is back to canonical and the incident resolves.
    let run = n8nops(dir, &["incidents", "revert", &id_b, "--yes"])
        .await
        .expect(0, "incidents revert --yes");
    assert!(run.stdout.contains("verified"), "{}", run.stdout);
    assert!(run.stdout.contains("RESOLVED"), "{}", run.stdout);
    assert_eq!(probe(&prod, &b_id, b_node), Value::Null, "reverted");
    n8nops(dir, &["incidents", "revert", &id_b, "--yes"])
        .await
        .expect(2, "reverting a resolved incident");
    let run = n8nops(dir, &["incidents", "revert", &id_b])
        .await
        .expect(2, "planning the revert of a resolved incident");
    assert!(
        run.stderr.contains(&format!("incident #{id_b}")) && run.stderr.contains("resolved"),
        "{}",
        run.stderr
    );

    // The metrics, a sweep and the policy.
    let run = n8nops(dir, &["incidents", "stats", "--days", "1"])
        .await
        .expect(0, "incidents stats");
    assert!(run.stdout.contains("MTTA"), "{}", run.stdout);
    assert!(
        run.stdout.lines().any(|l| l.starts_with(ENV)),
        "{}",
        run.stdout
    );
    let stats = n8nops(dir, &["--json", "incidents", "stats", "--env", ENV])
        .await
        .expect(0, "incidents stats --json")
        .json();
    let opened: u64 = stats["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["opened"].as_u64())
        .sum();
    assert_eq!(opened, 2, "{stats}");
    let run = n8nops(dir, &["incidents", "sweep"])
        .await
        .expect(0, "incidents sweep");
    assert!(run.stdout.starts_with("Swept:"), "{}", run.stdout);
    let run = n8nops(dir, &["incidents", "policy"])
        .await
        .expect(0, "incidents policy");
    assert!(run.stdout.contains("config file"), "{}", run.stdout);
    assert!(run.stdout.contains("[production]"), "{}", run.stdout);

    // A sweep that cannot do everything prints what failed, a line each, and exits 2.
    prod.set_faults(sim::Fault::status(500));
    let run = n8nops(dir, &["incidents", "sweep"])
        .await
        .expect(2, "a sweep with an environment that fails");
    assert!(run.stdout.starts_with("Swept:"), "{}", run.stdout);
    let failed: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.ends_with("failure:"))
        .skip(1)
        .collect();
    assert_eq!(failed.len(), 1, "{}", run.stdout);
    assert!(
        failed[0].starts_with("  ") && failed[0].contains(&format!("'{ENV}'")),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("the sweep could not do everything: 1 failure"),
        "{}",
        run.stderr
    );
    let run = n8nops(dir, &["--json", "incidents", "sweep"])
        .await
        .expect(2, "a sweep with an environment that fails, as JSON");
    let report = run.json();
    let failures = report["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{report}");
    assert!(
        failures[0].as_str().unwrap().contains(&format!("'{ENV}'")),
        "{report}"
    );
    prod.clear_faults();
    n8nops(dir, &["incidents", "sweep"])
        .await
        .expect(0, "the environment answers again");
}
