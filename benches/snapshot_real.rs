//! A snapshot of a real n8n holding the corpus, fetched over the API and committed to
//! Git, against n8n's own `n8n export:workflow --all --separate` run on the same
//! instance (its data folder, while it runs) in the same run; and a drift check of that
//! instance (fetch included) against a raw fetch of all its workflows.
//!
//!     scripts/bench.sh snapshot
//!
//! Needs N8NOPS_BENCH_N8N_URL and N8NOPS_BENCH_N8N_API_KEY (the instance), and
//! N8NOPS_BENCH_N8N_DIR (the data folder scripts/n8n.sh started it with) for n8n's
//! export; imports the corpus from ../shared/corpus first when the instance lacks it.
//!
//! Each round: n8n's export into an empty folder; a first snapshot (a fresh store and a
//! fresh repository: the environment is fetched into an empty store and every workflow
//! committed); a second snapshot on the same store and repository (a re-fetch, then a
//! commit of what changed, here nothing, and its tag). Then drift checks, each paired
//! with a raw fetch.

mod common;
#[path = "../tests/support/corpus.rs"]
mod corpus;

use n8nops::domain::environment::EnvClass;
use n8nops::n8n::{ClientOptions, N8nClient};
use n8nops::service::{
    DriftCheckRequest, DriftReport, EnvAdd, LocalOps, Ops, Secret, Settings, SnapshotCreate,
    SnapshotView,
};
use n8nops::store::{SecretBox, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const DRIFT_RUNS: usize = 9;
const ENV: &str = "real";

#[tokio::main]
async fn main() {
    let (Ok(url), Ok(key)) = (
        std::env::var("N8NOPS_BENCH_N8N_URL"),
        std::env::var("N8NOPS_BENCH_N8N_API_KEY"),
    ) else {
        eprintln!(
            "SKIPPED: set N8NOPS_BENCH_N8N_URL and N8NOPS_BENCH_N8N_API_KEY (scripts/bench.sh snapshot does)"
        );
        return;
    };
    let n8n_dir = std::env::var_os("N8NOPS_BENCH_N8N_DIR").map(PathBuf::from);
    if n8n_dir.is_none() {
        eprintln!(
            "N8NOPS_BENCH_N8N_DIR is not set: n8n's own export is skipped (scripts/bench.sh snapshot sets it)"
        );
    }
    let client = N8nClient::new("bench", &url, &key, ClientOptions::default()).expect("client");
    if let Some(dir) = corpus::corpus_dir() {
        corpus::ensure_corpus(&client, corpus::corpus_files(&dir)).await;
    }
    let workflows = client
        .all_workflows(&Default::default())
        .await
        .expect("list the workflows")
        .len();

    let (mut exports, mut firsts, mut seconds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut first_ratios, mut second_ratios) = (Vec::new(), Vec::new());
    let mut repo_bytes = 0;
    let mut export_bytes = 0;
    let mut last = None;
    let mut syncs = Vec::new();
    // Memory in the first round only: freed memory stays with the process, so later
    // rounds would read the first one's high-water mark.
    let (mut rss_before, mut first_peak, mut second_peak) = (0.0f64, 0.0f64, 0.0f64);
    for round in 0..ROUNDS {
        let export = match &n8n_dir {
            Some(dir) => {
                let out = tempfile::tempdir().expect("tempdir");
                let (t, files) = n8n_export(dir, out.path()).await;
                assert_eq!(files, workflows, "n8n's export wrote one file per workflow");
                export_bytes = common::dir_size(out.path());
                Some(t)
            }
            None => None,
        };
        // Where a first snapshot's time goes: the same fetch into an empty store alone.
        let sync_dir = tempfile::tempdir().expect("tempdir");
        let sync_ops = open_ops(sync_dir.path(), &url, &key).await;
        let (sync, _) = common::sync_all(&sync_ops).await;
        drop(sync_ops);
        syncs.push(sync);

        let data = tempfile::tempdir().expect("tempdir");
        let ops = open_ops(data.path(), &url, &key).await;
        if round == 0 {
            rss_before = common::current_rss_mib();
            common::reset_peak_rss();
        }
        let (first, view) = snapshot(&ops).await;
        if round == 0 {
            first_peak = common::peak_rss_mib();
        }
        assert_eq!(
            view.workflows, workflows,
            "the snapshot holds every workflow"
        );
        repo_bytes = common::dir_size(&data.path().join("canonical.git"));
        if round == 0 {
            common::reset_peak_rss();
        }
        let (second, view) = snapshot(&ops).await;
        if round == 0 {
            second_peak = common::peak_rss_mib();
        }
        assert_eq!(view.workflows, workflows);
        eprintln!(
            "round {}: n8n export {}, first sync alone {:.3} s, first snapshot {:.3} s, second {:.3} s",
            round + 1,
            export.map_or("skipped".into(), |t| format!("{:.3} s", t.as_secs_f64())),
            sync.as_secs_f64(),
            first.as_secs_f64(),
            second.as_secs_f64()
        );
        if let Some(e) = export {
            exports.push(e);
            first_ratios.push(first.as_secs_f64() / e.as_secs_f64());
            second_ratios.push(second.as_secs_f64() / e.as_secs_f64());
        }
        firsts.push(first);
        seconds.push(second);
        last = Some((data, ops));
    }
    let (_data, ops) = last.expect("a store");

    let http = reqwest::Client::new();
    let (mut raws, mut drifts, mut drift_ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..DRIFT_RUNS {
        let r = common::raw_fetch(&http, &url, &key).await.0;
        let t = Instant::now();
        let report: DriftReport = common::run_job(
            &ops,
            ops.drift_check(DriftCheckRequest {
                envs: vec![ENV.into()],
                fetch: true,
            }),
        )
        .await;
        let d = t.elapsed();
        assert_eq!(
            report.envs[0].counts.in_sync, workflows,
            "an unchanged instance is all in sync: {:?}",
            report.envs[0].counts
        );
        eprintln!(
            "pair: raw {:.3} s, drift check {:.3} s",
            r.as_secs_f64(),
            d.as_secs_f64()
        );
        raws.push(r);
        drifts.push(d);
        drift_ratios.push(d.as_secs_f64() / r.as_secs_f64());
    }

    println!("workflows in the instance: {workflows}");
    if !exports.is_empty() {
        println!(
            "n8n export:workflow --all --separate (median of {ROUNDS}, process start included): {:.3} s, {:.1} MB written",
            common::median(exports).as_secs_f64(),
            export_bytes as f64 / 1e6
        );
    }
    println!(
        "first snapshot, fresh store and repository (median of {ROUNDS}): {:.3} s, repository {:.1} MB",
        common::median(firsts).as_secs_f64(),
        repo_bytes as f64 / 1e6
    );
    println!(
        "  of which the fetch: a first sync alone into a fresh store (median of {ROUNDS}): {:.3} s",
        common::median(syncs).as_secs_f64()
    );
    println!(
        "second snapshot, same store and repository (median of {ROUNDS}): {:.3} s",
        common::median(seconds).as_secs_f64()
    );
    println!(
        "memory (first round): RSS {rss_before:.0} MiB before the first snapshot, peak {first_peak:.0} MiB during it, {second_peak:.0} MiB during the second"
    );
    if !first_ratios.is_empty() {
        println!(
            "ratio first snapshot / n8n export (median of {ROUNDS} pairs): {:.2}x",
            median_f(first_ratios)
        );
        println!(
            "ratio second snapshot / n8n export (median of {ROUNDS} pairs): {:.2}x",
            median_f(second_ratios)
        );
    }
    println!(
        "raw fetch of all workflows (median of {DRIFT_RUNS}): {:.3} s",
        common::median(raws).as_secs_f64()
    );
    println!(
        "drift check with fetch (median of {DRIFT_RUNS}): {:.3} s",
        common::median(drifts).as_secs_f64()
    );
    println!(
        "ratio drift check / raw fetch (median of {DRIFT_RUNS} pairs): {:.2}x",
        median_f(drift_ratios)
    );
    println!(
        "peak RSS of this process over the run: {:.0} MiB",
        common::peak_rss_mib()
    );
}

/// A fresh store and repository in `dir` with the instance as environment ENV.
async fn open_ops(dir: &Path, url: &str, key: &str) -> LocalOps {
    let store = Store::open_sqlite(&dir.join("n8nops.db"), SecretBox::from_key(&[5; 32]))
        .await
        .expect("store");
    let mut settings = Settings::from_config(&Default::default());
    settings.git.path = Some(dir.join("canonical.git"));
    let ops = LocalOps::new(store, settings).await.expect("ops");
    ops.env_add(EnvAdd {
        name: ENV.into(),
        url: url.into(),
        class: EnvClass::Production,
        api_key: Secret::new(key.to_owned()),
        git_repo: None,
        git_branch: None,
    })
    .await
    .expect("env add");
    ops
}

async fn snapshot(ops: &LocalOps) -> (Duration, SnapshotView) {
    let t = Instant::now();
    let view: SnapshotView = common::run_job(
        ops,
        ops.snapshot_create(SnapshotCreate {
            env: ENV.into(),
            message: Some("benchmark".into()),
        }),
    )
    .await;
    (t.elapsed(), view)
}

/// `n8n export:workflow --all --separate --output=OUT` on the instance's data folder,
/// through scripts/n8n.sh (the same environment the instance runs with): its time
/// and the files it wrote.
async fn n8n_export(n8n_dir: &Path, out: &Path) -> (Duration, usize) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/n8n.sh");
    let mut cmd = Command::new(script);
    cmd.arg("cli")
        .arg(n8n_dir)
        .args(["export:workflow", "--all", "--separate"])
        .arg(format!("--output={}/", out.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = out.to_owned();
    tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let run = cmd.output().expect("run n8n export:workflow");
        let took = t.elapsed();
        assert!(
            run.status.success(),
            "n8n export:workflow failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let files = std::fs::read_dir(&out)
            .expect("the export folder")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count();
        (took, files)
    })
    .await
    .expect("the export")
}

fn median_f(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
