//! Shared by the benchmarks: timing, peak memory, a throw-away LocalOps.
#![allow(dead_code)]

use n8nops::service::{LocalOps, Ops, Settings, SyncReport, SyncRequest, follow_job};
use n8nops::store::{SecretBox, Store};
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
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak counter that `peak_rss_mib` reads (Linux: clear_refs 5).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}
