//! Drift compare of 10,000 workflows in each of three environments already in the store:
//! three simulators (a generated fleet: development, staging and production, with the
//! drift the generator puts between them) are synced and backed up, then drift checks
//! compare the last sync with the canonical state (`fetch = false`: no instance is
//! asked). Timed through the service in this process (median of 7), and as the real
//! binary (`n8nops drift check --no-fetch`, fresh processes: wall time and peak memory).
//! A second case drifts 100 production workflows by hand first.
//!
//!     scripts/bench.sh drift        (= cargo bench --bench drift)
//!
//! N8NOPS_BENCH_PER_ENV changes the 10,000.

mod common;

use n8nops::domain::environment::EnvClass;
use n8nops::service::{
    BackupReport, BackupRequest, DriftCheckRequest, DriftCounts, DriftReport, EnvAdd, LocalOps,
    Ops, Secret, Settings,
};
use n8nops::sim::{self, SimHandle, SimOptions};
use n8nops::store::{SecretBox, Store};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "n8nops-bench-drift-key";
const RUNS: usize = 7;
const CLI_RUNS: usize = 3;
const BIN: &str = env!("CARGO_BIN_EXE_n8nops");

#[tokio::main]
async fn main() {
    let per_env: usize = std::env::var("N8NOPS_BENCH_PER_ENV")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let fleet = sim::generator::generate_fleet(1, per_env);
    let envs = [
        ("development", EnvClass::Development, fleet.development),
        ("staging", EnvClass::Staging, fleet.staging),
        ("production", EnvClass::Production, fleet.production),
    ];
    let data = tempfile::tempdir().expect("tempdir");
    let ops = open_ops(data.path()).await;
    let mut sims: Vec<SimHandle> = Vec::new();
    let mut total = 0;
    for (name, class, workflows) in envs {
        total += workflows.len();
        let sim = sim::start(SimOptions {
            api_key: KEY.into(),
            workflows,
            executions_per_minute: 0,
            ..SimOptions::default()
        })
        .await
        .expect("start a simulator");
        ops.env_add(EnvAdd {
            name: name.into(),
            url: sim.url.clone(),
            class,
            api_key: Secret::new(KEY),
            git_repo: None,
            git_branch: None,
        })
        .await
        .expect("env add");
        sims.push(sim);
    }
    eprintln!(
        "fleet of {total} workflows generated and served in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (sync, _) = common::sync_all(&ops).await;
    let t = Instant::now();
    let backup: BackupReport = common::run_job(&ops, ops.backup(BackupRequest::default())).await;
    let backup_time = t.elapsed();
    assert!(backup.failures.is_empty(), "{:?}", backup.failures);
    println!(
        "data: {total} workflows in 3 environments (generated fleet, seed 1, {per_env} in production); first sync {:.1} s, backup (3 snapshots) {:.1} s",
        sync.as_secs_f64(),
        backup_time.as_secs_f64()
    );
    println!(
        "canonical repository after the backup: {:.1} MB",
        common::dir_size(&data.path().join("canonical.git")) as f64 / 1e6
    );

    // All in sync.
    let rss_before = common::current_rss_mib();
    common::reset_peak_rss();
    let (median, min, max, counts) = time_checks(&ops).await;
    let peak = common::peak_rss_mib();
    assert_eq!(
        counts,
        DriftCounts {
            in_sync: total,
            ..DriftCounts::default()
        },
        "right after a backup everything is in sync"
    );
    println!(
        "drift compare of {total} workflows in 3 environments, all in sync (service, median of {RUNS}): {:.3} s (min {:.3}, max {:.3})",
        median.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    );
    println!(
        "  memory: this process {rss_before:.0} MiB before (it holds the three simulators), peak {peak:.0} MiB during the checks (+{:.0} MiB)",
        peak - rss_before
    );
    let (wall, cli_peak) = cli_checks(data.path()).await;
    println!(
        "  as `n8nops drift check --no-fetch --json`, a fresh process each (median of {CLI_RUNS}): {:.3} s wall, peak RSS {cli_peak:.0} MiB",
        wall.as_secs_f64()
    );

    // 100 production workflows changed by hand (a parameter), then synced.
    let prod = &sims[2];
    let ids = prod.workflow_ids();
    for id in ids.iter().step_by((ids.len() / 100).max(1)).take(100) {
        prod.edit_workflow(id, |w| {
            w["nodes"][0]["parameters"]["n8nopsBenchDrift"] = json!("changed by hand");
        })
        .expect("edit in the simulator");
    }
    common::sync_all(&ops).await;
    let (median, min, max, counts) = time_checks(&ops).await;
    assert_eq!(counts.drifted, 100, "{counts:?}");
    println!(
        "drift compare, same with 100 production workflows drifted (diffs included; median of {RUNS}): {:.3} s (min {:.3}, max {:.3})",
        median.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    );
    println!(
        "peak RSS of this process over the run: {:.0} MiB",
        common::peak_rss_mib()
    );
    for sim in sims {
        sim.shutdown().await;
    }
}

/// Ops on `dir` laid out as the CLI's data dir (master.key, n8nops.db, canonical.git),
/// so the binary can run on the same store.
async fn open_ops(dir: &Path) -> LocalOps {
    let (secrets, _) = SecretBox::load_or_create(&dir.join("master.key")).expect("master key");
    let store = Store::open_sqlite(&dir.join("n8nops.db"), secrets)
        .await
        .expect("store");
    let mut settings = Settings::from_config(&Default::default());
    settings.git.path = Some(dir.join("canonical.git"));
    LocalOps::new(store, settings).await.expect("ops")
}

/// RUNS drift checks of every environment without fetching: median, min, max, and the
/// counts summed over the environments (the same every run).
async fn time_checks(ops: &LocalOps) -> (Duration, Duration, Duration, DriftCounts) {
    let mut times = Vec::new();
    let mut counts = DriftCounts::default();
    for _ in 0..RUNS {
        let t = Instant::now();
        let report: DriftReport = common::run_job(
            ops,
            ops.drift_check(DriftCheckRequest {
                envs: Vec::new(),
                fetch: false,
            }),
        )
        .await;
        times.push(t.elapsed());
        counts = DriftCounts::default();
        for env in &report.envs {
            assert!(env.error.is_none(), "{}: {:?}", env.env, env.error);
            counts.in_sync += env.counts.in_sync;
            counts.drifted += env.counts.drifted;
            counts.missing += env.counts.missing;
            counts.untracked += env.counts.untracked;
            counts.unknown += env.counts.unknown;
        }
    }
    times.sort();
    let (min, max) = (times[0], times[RUNS - 1]);
    (common::median(times), min, max, counts)
}

/// The binary's drift check, CLI_RUNS fresh processes on the same data dir: median wall
/// time and the highest peak RSS.
async fn cli_checks(data: &Path) -> (Duration, f64) {
    let data = data.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut walls = Vec::new();
        let mut peak = 0.0f64;
        for _ in 0..CLI_RUNS {
            let mut cmd = Command::new(BIN);
            cmd.arg("--data-dir")
                .arg(&data)
                .arg("--config")
                .arg(data.join("none.toml"))
                .args(["--json", "drift", "check", "--no-fetch"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let (wall, mib) = measure(cmd);
            walls.push(wall);
            peak = peak.max(mib);
        }
        (common::median(walls), peak)
    })
    .await
    .expect("the CLI runs")
}

/// Runs a command to its end: wall time and peak resident memory in MiB (VmHWM, read
/// from /proc while it runs: it only grows, so the last reading is the peak).
fn measure(mut cmd: Command) -> (Duration, f64) {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("run n8nops");
    let mut peak = 0.0f64;
    loop {
        if let Some(mib) = common::peak_rss_mib_of(child.id()) {
            peak = peak.max(mib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "n8nops drift check failed: {status}");
            return (start.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
