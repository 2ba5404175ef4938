//! Shared by the benchmarks: timing, peak memory, a throw-away LocalOps, a simulator
//! to wait for.
#![allow(dead_code)]

use n8nops::service::{LocalOps, Ops, Settings, SyncReport, SyncRequest, follow_job};
use n8nops::store::{SecretBox, Store};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub async fn local_ops(dir: &std::path::Path) -> LocalOps {
    let store = Store::open_sqlite(&dir.join("n8nops.db"), SecretBox::from_key(&[5; 32]))
        .await
        .expect("store");
    LocalOps::new(store, Settings::from_config(&Default::default()))
        .await
        .expect("ops")
}

pub async fn sync_all(ops: &LocalOps) -> (Duration, SyncReport) {
    let start = Instant::now();
    let events = ops.subscribe();
    let started = ops.sync(SyncRequest::default()).await.expect("sync");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("job");
    assert!(job.error.is_none(), "sync failed: {:?}", job.error);
    (
        start.elapsed(),
        serde_json::from_value(job.result.expect("result")).expect("report"),
    )
}

/// Peak resident memory of this process so far, in MiB (Linux: VmHWM).
pub fn peak_rss_mib() -> f64 {
    read_peak_rss_mib("/proc/self/status").unwrap_or(0.0)
}

/// Peak resident memory of process `pid` so far, in MiB (Linux: VmHWM); `None` once it
/// has gone or where /proc does not say.
pub fn peak_rss_mib_of(pid: u32) -> Option<f64> {
    read_peak_rss_mib(&format!("/proc/{pid}/status"))
}

fn read_peak_rss_mib(status_file: &str) -> Option<f64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak counter that `peak_rss_mib` reads (Linux: clear_refs 5).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for a server to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits (up to two minutes) until the n8n at `url` answers a workflows request made
/// with API key `key`; panics naming `url` if it never does. Asks with curl, so a
/// benchmark needs no HTTP client of its own.
pub fn wait_ready(url: &str, key: &str) {
    for _ in 0..1200 {
        let ok = Command::new("curl")
            .args(["-fsS", "-o", "/dev/null", "-H"])
            .arg(format!("X-N8N-API-KEY: {key}"))
            .arg(format!("{url}/api/v1/workflows?limit=1"))
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the simulator did not come up on {url}");
}

/// Starts a job with `start`, follows it to its end and returns its result.
pub async fn run_job<T: serde::de::DeserializeOwned>(
    ops: &LocalOps,
    start: impl std::future::Future<Output = n8nops::service::OpsResult<n8nops::service::JobStarted>>,
) -> T {
    let events = ops.subscribe();
    let started = start.await.expect("start the job");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("job");
    assert!(job.error.is_none(), "job failed: {:?}", job.error);
    serde_json::from_value(job.result.expect("a result")).expect("the job's result")
}

/// GET every page of /workflows at limit 250 and read the bodies; no JSON work but
/// finding the cursor: the time and the bytes read.
pub async fn raw_fetch(http: &reqwest::Client, url: &str, key: &str) -> (Duration, usize) {
    let start = Instant::now();
    let mut cursor: Option<String> = None;
    let mut bytes = 0;
    loop {
        let mut req = http
            .get(format!("{url}/api/v1/workflows"))
            .header("X-N8N-API-KEY", key)
            .query(&[("limit", "250")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let body = req
            .send()
            .await
            .expect("raw fetch")
            .bytes()
            .await
            .expect("raw body");
        bytes += body.len();
        cursor = find_next_cursor(&body);
        if cursor.is_none() {
            break;
        }
    }
    (start.elapsed(), bytes)
}

/// The `nextCursor` value: n8n writes it last, so look from the end.
fn find_next_cursor(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let at = text.rfind("\"nextCursor\":")?;
    let rest = text[at + 13..].trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// Resident memory of this process now, in MiB (Linux: VmRSS).
pub fn current_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Bytes of the files under `dir`.
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
