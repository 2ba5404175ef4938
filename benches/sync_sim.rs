//! Sync of 10,000 generated workflows from the simulator: workflows per second and
//! peak memory. The simulator runs as a separate process (`n8nops sim serve`) so that
//! the peak resident memory measured here is n8nops' own.
//!
//!     cargo bench --bench sync_sim

mod common;

use n8nops::domain::environment::EnvClass;
use n8nops::service::{EnvAdd, Ops, Secret};
use std::process::{Command, Stdio};
use std::time::Duration;

const WORKFLOWS: usize = 10_000;
const KEY: &str = "n8nops-sim-key";

#[tokio::main]
async fn main() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut sim = Command::new(env!("CARGO_BIN_EXE_n8nops"))
        .args(["sim", "serve", "--port", &port.to_string(), "--workflows", &WORKFLOWS.to_string(), "--executions-per-minute", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start n8nops sim serve");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let ops = common::local_ops(dir.path()).await;
    ops.env_add(EnvAdd { name: "sim".into(), url: url.clone(), class: EnvClass::Staging, api_key: Secret::new(KEY), git_repo: None, git_branch: None })
        .await
        .expect("env add");
    let before = common::peak_rss_mib();
    let mut times = Vec::new();
    for _ in 0..3 {
        let (t, report) = common::sync_all(&ops).await;
        assert_eq!(report.envs[0].workflows, Some(WORKFLOWS));
        times.push(t);
    }
    let median = common::median(times);
    println!("workflows: {WORKFLOWS} (generated, seed 1), full sync (median of 3): {:.2} s", median.as_secs_f64());
    println!("throughput: {:.0} workflows/s", WORKFLOWS as f64 / median.as_secs_f64());
    println!("peak RSS: {:.0} MiB (before the first sync: {before:.0} MiB)", common::peak_rss_mib());
    let _ = sim.kill();
}

async fn wait_ready(url: &str) {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{url}/api/v1/workflows?limit=1")).header("X-N8N-API-KEY", KEY).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the simulator did not come up on {url}");
}
