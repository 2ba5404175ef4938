//! A promotion of every importable corpus workflow from a real n8n holding the corpus
//! (the source) into an empty real n8n (the target), against the plain sequential
//! import of the same workflows into the same empty target through the public API, in
//! the same run.
//!
//!     scripts/bench.sh promotion
//!
//! Needs N8NOPS_BENCH_N8N_URL / _API_KEY (the source; the corpus is imported into it
//! from ../shared/corpus when it lacks it) and N8NOPS_BENCH_N8N2_URL / _API_KEY (the
//! target; emptied first). N8NOPS_BENCH_RUNS changes the number of runs (3), and
//! N8NOPS_BENCH_WRITES the writes the promotion keeps in flight (4; both instances run
//! n8n's pooled SQLite, `DB_SQLITE_POOL_SIZE`, set by scripts/bench.sh, which takes
//! concurrent writes).
//!
//! Each run times, in alternating order (run 1 import first, run 2 promotion first, ...),
//! each starting from an empty target:
//! - the import: `POST /api/v1/workflows` of each source workflow's writable body
//!   (`writable_body` of its GET body, serialized before the clock starts), one after
//!   the other: the least a script can do;
//! - the promotion: `promote` through the service, from the request to the deployment
//!   COMPLETED (its job finished), with a fresh store that had synced both instances
//!   once before (as a store in use has). It goes through a pipeline stage with the drift
//!   and credentials gates off: the corpus's credentials do not exist in the target
//!   (n8n 1.x cannot list them, and the gate would refuse), and every item is a create,
//!   which the drift gate does not judge.
//!
//! After each, the target must hold the source's workflows, equal by fingerprint; then
//! it is emptied (not timed). The promotion's own breakdown comes from its events
//! (the first event of each phase). Then one more promotion, not in the ratios, with the
//! target registered through a timing proxy (tests/support/fault_proxy.rs, no fault):
//! how much of its writing phase n8n spent on creates, on the re-fetch that verifies
//! them, and on nothing n8n was asked.

mod common;
#[path = "../tests/support/corpus.rs"]
mod corpus;
#[path = "../tests/support/fault_proxy.rs"]
mod fault_proxy;
#[path = "../tests/support/n8n_api.rs"]
mod n8n_api;

use n8n_api::Api;
use n8nops::domain::deployment::DeploymentState;
use n8nops::domain::environment::EnvClass;
use n8nops::domain::normalize::fingerprint;
use n8nops::domain::pipeline::{Gates, Pipeline, Stage};
use n8nops::domain::writable::writable_body;
use n8nops::n8n::{ClientOptions, N8nClient};
use n8nops::service::{
    DeploymentCreate, EnvAdd, EventBody, ItemOutcome, LocalOps, Ops, PromoteRequest,
    PromotionReport, Secret, Settings, SyncRequest, follow_job,
};
use n8nops::store::{SecretBox, Store};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SOURCE: &str = "source";
const TARGET: &str = "target";
const PIPELINE: &str = "bench";

/// The run job's phases, in the order they come, as its progress events name them.
const PHASES: &[(&str, &str)] = &[
    ("fetching", "fetch both again"),
    ("checking the plan and gates", "plan and gates again"),
    ("automatic snapshot", "snapshot of the target"),
    ("writing", "writes"),
    ("verifying", "verification (one re-fetch)"),
    ("recording", "recording (commit)"),
];

#[tokio::main]
async fn main() {
    let vars = [
        "N8NOPS_BENCH_N8N_URL",
        "N8NOPS_BENCH_N8N_API_KEY",
        "N8NOPS_BENCH_N8N2_URL",
        "N8NOPS_BENCH_N8N2_API_KEY",
    ]
    .map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    let [Some(url), Some(key), Some(url2), Some(key2)] = vars else {
        eprintln!(
            "SKIPPED: set N8NOPS_BENCH_N8N_URL, N8NOPS_BENCH_N8N_API_KEY, N8NOPS_BENCH_N8N2_URL and N8NOPS_BENCH_N8N2_API_KEY (scripts/bench.sh promotion does)"
        );
        return;
    };
    let runs: usize = std::env::var("N8NOPS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let client = N8nClient::new("bench", &url, &key, ClientOptions::default()).expect("client");
    if let Some(dir) = corpus::corpus_dir() {
        corpus::ensure_corpus(&client, corpus::corpus_files(&dir)).await;
    }
    let source = Api::new(&url, &key);
    let target = Api::new(&url2, &key2);
    let workflows = source.all().await;
    let n = workflows.len();
    let mut want: Vec<String> = workflows.iter().map(fingerprint).collect();
    want.sort_unstable();
    let bodies: Vec<String> = workflows
        .iter()
        .map(|w| serde_json::to_string(&writable_body(w)).expect("a body"))
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();
    drop(workflows);
    empty(&target).await;
    println!(
        "source: {n} workflows ({:.1} MB of writable bodies); target empty",
        bytes as f64 / 1e6
    );

    let http = reqwest::Client::new();
    let mut rows = Vec::new();
    for run in 0..runs {
        let import_first = run % 2 == 0;
        let (mut import, mut promotion) = (None, None);
        for step in 0..2 {
            if (step == 0) == import_first {
                let t = raw_import(&http, &url2, &key2, &bodies).await;
                eprintln!("run {}: import {:.1} s", run + 1, t.as_secs_f64());
                import = Some(t);
            } else {
                let p = promote_all(&url, &key, &url2, &key2, n).await;
                eprintln!(
                    "run {}: promotion {:.1} s: {}",
                    run + 1,
                    p.total.as_secs_f64(),
                    p.breakdown_line()
                );
                promotion = Some(p);
            }
            assert_eq!(
                held(&target).await,
                want,
                "the target holds the source's workflows, equal by fingerprint"
            );
            empty(&target).await;
        }
        rows.push((
            run + 1,
            import_first,
            import.expect("timed"),
            promotion.expect("timed"),
        ));
    }

    println!("workflows promoted and imported per run: {n}");
    println!("| run | order | import | promotion | ratio |");
    println!("| --- | --- | --- | --- | --- |");
    let mut ratios = Vec::new();
    for (run, import_first, import, p) in &rows {
        let ratio = p.total.as_secs_f64() / import.as_secs_f64();
        ratios.push(ratio);
        println!(
            "| {run} | {} | {:.1} s | {:.1} s | **{ratio:.2}x** |",
            if *import_first {
                "import first"
            } else {
                "promotion first"
            },
            import.as_secs_f64(),
            p.total.as_secs_f64()
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "ratio promotion / import, median of {}: {:.2}x (goal: at most 1.0x)",
        ratios.len(),
        ratios[ratios.len() / 2]
    );
    println!("promotion breakdown per run (seconds):");
    let mut header = vec!["request (fetch both)", "request (plan, record)"];
    header.extend(PHASES.iter().map(|(_, label)| *label));
    println!("| run | {} | total |", header.join(" | "));
    println!("|{}", " --- |".repeat(header.len() + 2));
    for (run, _, _, p) in &rows {
        let cells: Vec<String> = p
            .spans
            .iter()
            .map(|(_, d)| format!("{:.1}", d.as_secs_f64()))
            .collect();
        println!(
            "| {run} | {} | {:.1} |",
            cells.join(" | "),
            p.total.as_secs_f64()
        );
    }
    diagnose(&url, &key, &url2, &key2, n, &target, &want).await;
    println!(
        "peak RSS of this process over the run: {:.0} MiB",
        common::peak_rss_mib()
    );
}

/// One more promotion with the target behind a timing proxy: where its writing phase
/// went at the instance.
async fn diagnose(
    url: &str,
    key: &str,
    url2: &str,
    key2: &str,
    n: usize,
    target: &Api,
    want: &[String],
) {
    let proxy = fault_proxy::FaultProxy::start(url2).await;
    let p = promote_all(url, key, &proxy.url, key2, n).await;
    let timings = proxy.take_timings();
    // The proxy's clock, at the request.
    let base = proxy.elapsed().saturating_sub(p.start.elapsed());
    assert_eq!(
        held(target).await,
        want,
        "the target holds the source's workflows"
    );
    empty(target).await;
    let (from, to) = (base + p.writing.0, base + p.writing.1);
    let promoting: Vec<&fault_proxy::Timing> = timings.iter().filter(|t| t.at >= base).collect();
    let class = |t: &fault_proxy::Timing| -> &'static str {
        let rest = t.path.strip_prefix("/api/v1/workflows");
        match (t.method.as_str(), rest) {
            ("POST", Some("")) => "POST /workflows (create)",
            ("GET", Some("")) => "GET /workflows (a page of the list)",
            ("GET", Some(r)) if !r.trim_start_matches('/').contains('/') => "GET /workflows/{id}",
            (_, Some(_)) => "other workflow requests",
            _ => "other requests",
        }
    };
    let mut by: BTreeMap<&str, (usize, Duration)> = BTreeMap::new();
    for t in &promoting {
        let e = by.entry(class(t)).or_default();
        e.0 += 1;
        e.1 += t.took;
    }
    let creating: Duration = promoting
        .iter()
        .filter(|t| t.at >= from && t.at < to && class(t) == "POST /workflows (create)")
        .map(|t| t.took)
        .sum();
    let wall = to.saturating_sub(from);
    println!(
        "diagnostic promotion through a timing proxy (not in the ratios): {:.1} s in all, writing phase {:.1} s ({})",
        p.total.as_secs_f64(),
        wall.as_secs_f64(),
        p.breakdown_line()
    );
    println!("its run's log (but the line of each workflow), seconds from the request:");
    for (at, line) in &p.log {
        println!("  {:7.2}  {line}", at.as_secs_f64());
    }
    println!("| requests to the target from the request on | count | time at n8n (sum) | mean |");
    println!("| --- | --- | --- | --- |");
    for (what, (count, sum)) in &by {
        println!(
            "| {what} | {count} | {:.1} s | {:.1} ms |",
            sum.as_secs_f64(),
            sum.as_secs_f64() * 1e3 / *count as f64
        );
    }
    println!(
        "writing phase with no create in flight (n8nops's own work and waits): {:.1} s of {:.1} s ({:.1} ms a workflow)",
        wall.saturating_sub(creating).as_secs_f64(),
        wall.as_secs_f64(),
        wall.saturating_sub(creating).as_secs_f64() * 1e3 / n as f64
    );
}

/// `POST /api/v1/workflows` of each body, one after the other: the time.
async fn raw_import(http: &reqwest::Client, url: &str, key: &str, bodies: &[String]) -> Duration {
    let endpoint = format!("{url}/api/v1/workflows");
    let start = Instant::now();
    for body in bodies {
        let resp = http
            .post(&endpoint)
            .header("X-N8N-API-KEY", key)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("POST a workflow");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "import: {status}: {text}");
    }
    start.elapsed()
}

/// What one promotion took, in all and by phase.
struct Timed {
    total: Duration,
    /// (phase, duration) in order: the request's fetch, the request's planning and
    /// recording, then each of [`PHASES`].
    spans: Vec<(String, Duration)>,
    /// When the request was made.
    start: Instant,
    /// The writing phase, from the request (start, end).
    writing: (Duration, Duration),
    /// The run job's log lines but those of single workflows, each from the request.
    log: Vec<(Duration, String)>,
}

impl Timed {
    fn breakdown_line(&self) -> String {
        self.spans
            .iter()
            .map(|(p, d)| format!("{p} {:.1} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every source workflow promoted into the empty target by a fresh store that synced
/// both once: the time from the request to the deployment COMPLETED.
async fn promote_all(url: &str, key: &str, url2: &str, key2: &str, n: usize) -> Timed {
    let dir = tempfile::tempdir().expect("tempdir");
    let ops = open_ops(dir.path(), url, key, url2, key2).await;
    let _: n8nops::service::SyncReport =
        common::run_job(&ops, ops.sync(SyncRequest::default())).await;

    // Each event with when it arrived, and the kind of the job it belongs to.
    let seen: Arc<Mutex<Vec<(n8nops::service::Time, String, EventBody)>>> = Arc::default();
    let kinds: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let events = ops.subscribe();
    let fetch_events = ops.subscribe();
    let watcher = {
        let (seen, kinds) = (seen.clone(), kinds.clone());
        tokio::spawn(record_events(fetch_events, seen, kinds))
    };
    let start = Instant::now();
    let start_at = chrono::Utc::now();
    let created = ops
        .promote(DeploymentCreate {
            request: PromoteRequest {
                pipeline: Some(PIPELINE.into()),
                from: SOURCE.into(),
                to: TARGET.into(),
                ..PromoteRequest::default()
            },
            ..DeploymentCreate::default()
        })
        .await
        .unwrap_or_else(|e| panic!("promote: {e}"));
    let requested = start.elapsed();
    let job_id = created.job_id.clone().expect("it runs at once");
    let job = follow_job(&ops, events, &job_id, |_| {})
        .await
        .expect("follow the promotion");
    let total = start.elapsed();
    watcher.abort();
    assert!(job.error.is_none(), "the promotion failed: {:?}", job.error);
    let report: PromotionReport =
        serde_json::from_value(job.result.clone().expect("a report")).expect("a report");
    assert_eq!(report.state, DeploymentState::Completed);
    assert_eq!(report.items.len(), n, "every workflow promoted");
    assert!(
        report
            .items
            .iter()
            .all(|i| i.outcome == Some(ItemOutcome::Ok)),
        "every workflow written and verified"
    );

    // The request: its fetch job, then the rest (plan, recording the deployment).
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let kinds = kinds.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // Event times are when the service published them.
    let since = |at: &n8nops::service::Time| (*at - start_at).to_std().unwrap_or_default();
    let fetch_end = seen
        .iter()
        .find(|(_, job, body)| {
            kinds.get(job).map(String::as_str) == Some("promote-fetch")
                && matches!(body, EventBody::Finished { .. })
        })
        .map(|(at, _, _)| since(at))
        .unwrap_or_default();
    let mut spans = vec![
        ("request: fetch both".to_owned(), fetch_end),
        (
            "request: plan, record".to_owned(),
            requested.saturating_sub(fetch_end),
        ),
    ];
    // The run: from the first event of each phase to the first of the next.
    let firsts: Vec<Duration> = PHASES
        .iter()
        .map(|(phase, _)| {
            seen.iter()
                .find(|(_, job, body)| {
                    *job == job_id
                        && matches!(body, EventBody::Progress { phase: p, .. } if p == phase)
                })
                .map(|(at, _, _)| since(at))
                .unwrap_or(requested)
        })
        .collect();
    let mut writing = (Duration::ZERO, Duration::ZERO);
    for (i, (phase, label)) in PHASES.iter().enumerate() {
        let end = firsts.get(i + 1).copied().unwrap_or(total);
        spans.push(((*label).to_owned(), end.saturating_sub(firsts[i])));
        if *phase == "writing" {
            writing = (firsts[i], end);
        }
    }
    let log = ops
        .job_get(job_id.clone())
        .await
        .map(|d| d.logs)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| !l.message.contains("written and verified"))
        .map(|l| (since(&l.at), l.message))
        .collect();
    Timed {
        total,
        start,
        spans,
        writing,
        log,
    }
}

async fn record_events(
    mut events: n8nops::service::EventStream,
    seen: Arc<Mutex<Vec<(n8nops::service::Time, String, EventBody)>>>,
    kinds: Arc<Mutex<BTreeMap<String, String>>>,
) {
    use futures_util::StreamExt;
    while let Some(e) = events.next().await {
        if let EventBody::Started { kind, .. } = &e.body {
            kinds
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(e.job_id.clone(), kind.clone());
        }
        // Per-workflow progress and log lines are not needed: only phase changes.
        let keep = match &e.body {
            EventBody::Log { .. } => false,
            EventBody::Progress { phase, .. } => PHASES.iter().any(|(p, _)| p == phase),
            _ => true,
        };
        if keep {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((e.at, e.job_id.clone(), e.body));
        }
    }
}

/// Writes in flight during the promotion (N8NOPS_BENCH_WRITES, 4 by default).
fn bench_writes() -> usize {
    std::env::var("N8NOPS_BENCH_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(4)
}

/// A fresh store with the source and the target, and the bench pipeline.
async fn open_ops(dir: &Path, url: &str, key: &str, url2: &str, key2: &str) -> LocalOps {
    let store = Store::open_sqlite(&dir.join("n8nops.db"), SecretBox::from_key(&[5; 32]))
        .await
        .expect("store");
    let mut settings = Settings::from_config(&Default::default());
    settings.actor = "bench".into();
    settings.git.path = Some(dir.join("canonical.git"));
    // Both instances run n8n's pooled SQLite (scripts/bench.sh), which takes concurrent
    // writes: the promotion keeps this many in flight.
    settings.client.max_concurrent_writes = bench_writes();
    settings.pipelines = vec![Pipeline {
        name: PIPELINE.into(),
        description: "the benchmark's: no drift or credentials gate".into(),
        stages: vec![Stage {
            from: SOURCE.into(),
            to: TARGET.into(),
            gates: Gates {
                drift: false,
                credentials: false,
                ..Gates::default()
            },
            activation: Default::default(),
            credentials: BTreeMap::new(),
        }],
    }];
    let ops = LocalOps::new(store, settings).await.expect("ops");
    for (name, url, key, class) in [
        (SOURCE, url, key, EnvClass::Development),
        (TARGET, url2, key2, EnvClass::Production),
    ] {
        ops.env_add(EnvAdd {
            name: name.into(),
            url: url.into(),
            class,
            api_key: Secret::new(key.to_owned()),
            git_repo: None,
            git_branch: None,
        })
        .await
        .expect("env add");
    }
    ops
}

/// The target's fingerprints, sorted.
async fn held(target: &Api) -> Vec<String> {
    let mut got: Vec<String> = target
        .live()
        .await
        .into_values()
        .map(|w| w.fingerprint)
        .collect();
    got.sort_unstable();
    got
}

/// Deletes every workflow of `api`, one at a time.
async fn empty(api: &Api) {
    let ids: Vec<String> = api.live().await.into_keys().collect();
    if !ids.is_empty() {
        eprintln!("emptying the target: {} workflows", ids.len());
    }
    for id in ids {
        api.delete(&id).await;
    }
    assert!(api.live().await.is_empty(), "the target is empty");
}
