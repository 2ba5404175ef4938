//! Full sync of a real n8n holding the corpus, against a raw fetch of all its workflows
//! (pages of 250, bodies read, nothing parsed), measured in the same run.
//!
//!     scripts/bench.sh real
//!
//! Needs N8NOPS_BENCH_N8N_URL and N8NOPS_BENCH_N8N_API_KEY; imports the corpus from
//! ../shared/corpus first when the instance holds fewer than 2,053 workflows.

mod common;

use futures_util::StreamExt;
use n8nops::domain::environment::EnvClass;
use n8nops::n8n::{ClientOptions, N8nClient, writable_body};
use n8nops::service::{EnvAdd, Ops, Secret};
use std::time::{Duration, Instant};

const RUNS: usize = 9;
const FIRST_RUNS: usize = 5;

#[tokio::main]
async fn main() {
    let (Ok(url), Ok(key)) = (
        std::env::var("N8NOPS_BENCH_N8N_URL"),
        std::env::var("N8NOPS_BENCH_N8N_API_KEY"),
    ) else {
        eprintln!(
            "set N8NOPS_BENCH_N8N_URL and N8NOPS_BENCH_N8N_API_KEY (scripts/bench.sh real does)"
        );
        std::process::exit(2);
    };
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let client = N8nClient::new("bench", &url, &key, ClientOptions::default()).expect("client");
    import_corpus_if_needed(&client).await;

    let http = reqwest::Client::new();
    // First syncs, each into a fresh empty store, each paired with a raw fetch.
    let mut dirs = Vec::new();
    let (mut firsts, mut first_ratios) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    let mut workflows = 0;
    for _ in 0..FIRST_RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        let ops = common::local_ops(dir.path()).await;
        ops.env_add(EnvAdd {
            name: "real".into(),
            url: url.clone(),
            class: EnvClass::Production,
            api_key: Secret::new(key.clone()),
            git_repo: None,
            git_branch: None,
        })
        .await
        .expect("env add");
        let (r, b) = common::raw_fetch(&http, &url, &key).await;
        let (t, report) = common::sync_all(&ops).await;
        eprintln!(
            "first-sync pair: raw {:.3} s, sync {:.3} s",
            r.as_secs_f64(),
            t.as_secs_f64()
        );
        bytes = b;
        workflows = report.envs[0].workflows.unwrap_or_default();
        firsts.push(t);
        first_ratios.push(t.as_secs_f64() / r.as_secs_f64());
        dirs.push((dir, ops));
    }
    first_ratios.sort_by(f64::total_cmp);
    let (_, ops) = dirs.pop().expect("a store");
    let (mut raw, mut sync, mut ratios, mut everything) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        everything.push(raw_fetch_everything(&http, &url, &key).await);
        let t = Instant::now();
        let n = client
            .workflows(&Default::default())
            .collect_all()
            .await
            .expect("client fetch")
            .len();
        eprintln!(
            "client fetch of {n} workflows, pages decoded, nothing else: {:.3} s",
            t.elapsed().as_secs_f64()
        );
        let r = common::raw_fetch(&http, &url, &key).await.0;
        let s = common::sync_all(&ops).await.0;
        eprintln!(
            "pair: raw {:.3} s, sync {:.3} s",
            r.as_secs_f64(),
            s.as_secs_f64()
        );
        raw.push(r);
        sync.push(s);
        ratios.push(s.as_secs_f64() / r.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let (raw_m, sync_m) = (common::median(raw), common::median(sync));
    println!(
        "workflows: {workflows}, JSON fetched per raw run: {:.1} MB",
        bytes as f64 / 1e6
    );
    println!(
        "raw fetch of everything a full sync asks for (workflows, executions, users, tags, credentials; median of {RUNS}): {:.3} s",
        common::median(everything).as_secs_f64()
    );
    println!(
        "first sync into an empty store (median of {FIRST_RUNS}, each into a fresh store): {:.3} s",
        common::median(firsts).as_secs_f64()
    );
    println!("raw fetch (median of {RUNS}): {:.3} s", raw_m.as_secs_f64());
    println!(
        "full re-sync (median of {RUNS}): {:.3} s",
        sync_m.as_secs_f64()
    );
    println!(
        "ratio full re-sync / raw fetch (median of the {RUNS} paired runs): {:.2}x",
        ratios[RUNS / 2]
    );
    println!(
        "ratio first sync / raw fetch (median of the {FIRST_RUNS} paired runs): {:.2}x",
        first_ratios[FIRST_RUNS / 2]
    );
    println!(
        "peak RSS of this process: {:.0} MiB",
        common::peak_rss_mib()
    );
}

/// What a full sync asks n8n for, fetched raw and concurrently as the sync does.
async fn raw_fetch_everything(http: &reqwest::Client, url: &str, key: &str) -> Duration {
    let start = Instant::now();
    let get = |path: &'static str| {
        let req = http
            .get(format!("{url}/api/v1/{path}"))
            .header("X-N8N-API-KEY", key);
        async move {
            req.send()
                .await
                .expect("raw fetch")
                .bytes()
                .await
                .expect("raw body")
                .len()
        }
    };
    let _ = tokio::join!(
        common::raw_fetch(http, url, key),
        get("executions?limit=250"),
        get("users?limit=250"),
        get("tags?limit=250"),
        get("credentials?limit=250"),
    );
    start.elapsed()
}

async fn import_corpus_if_needed(client: &N8nClient) {
    let existing = client
        .workflows(&Default::default())
        .collect_all()
        .await
        .expect("list")
        .len();
    if existing >= 2053 {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .flatten()
        {
            if e.path().is_dir() {
                stack.push(e.path())
            } else if e.path().extension().is_some_and(|x| x == "json") {
                files.push(e.path())
            }
        }
    }
    eprintln!(
        "importing {} corpus files into the instance...",
        files.len()
    );
    let ok = futures_util::stream::iter(files)
        .map(|p| async move {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).ok()?).ok()?;
            client.create_workflow(&writable_body(&v)).await.ok()
        })
        .buffered(1)
        .filter(|r| std::future::ready(r.is_some()))
        .count()
        .await;
    eprintln!("imported {ok}");
}
