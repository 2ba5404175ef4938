//! The service tests' fixture: simulated n8n instances registered as environments of a
//! `LocalOps` on a temporary store.
//!
//! ```ignore
//! let f = Fixture::builder()
//!     .env("dev", EnvClass::Development, generated(11, 30))
//!     .env("prod", EnvClass::Production, generated(12, 30))
//!     .build()
//!     .await;
//! let job = sync(&f.ops, SyncRequest::default()).await;
//! f.sim("prod").set_faults(faults);
//! ```

use super::{
    BackupReport, BackupRequest, DriftCheckRequest, DriftReport, EnvAdd, JobView, LocalOps, Ops,
    Secret, Settings, SnapshotView, SyncRequest, follow_job,
};
use crate::domain::environment::EnvClass;
use crate::domain::job::JobState;
use crate::domain::policy::Policy;
use crate::sim::{self, SimHandle, SimOptions};
use crate::store::test_support::{self, TestStore};
use std::time::Duration;

/// The API key the simulators of `generated` accept.
pub const KEY: &str = "sim-test-key-1234";

/// Settings for `actor` that give up fast: one retry, a short backoff and timeout.
pub fn settings(actor: &str) -> Settings {
    let mut settings = Settings::from_config(&Default::default());
    settings.actor = actor.into();
    settings.client.max_retries = 1;
    settings.client.backoff_base = Duration::from_millis(5);
    settings.client.timeout = Duration::from_secs(2);
    settings
}

/// A simulator of `workflows` workflows generated from `seed`, accepting `KEY`.
pub fn generated(seed: u64, workflows: usize) -> SimOptions {
    SimOptions {
        api_key: KEY.into(),
        seed,
        workflows: sim::generator::generate(seed, workflows),
        ..SimOptions::default()
    }
}

/// Environment `name` at `url`, reached with `KEY`.
pub fn env_add(name: &str, url: &str, class: EnvClass) -> EnvAdd {
    EnvAdd {
        name: name.into(),
        url: url.into(),
        class,
        api_key: Secret::new(KEY),
        git_repo: None,
        git_branch: None,
    }
}

/// Runs a sync and follows it to its end.
pub async fn sync(ops: &LocalOps, req: SyncRequest) -> JobView {
    let events = ops.subscribe();
    let started = ops.sync(req).await.expect("start sync");
    follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("follow sync")
}

/// Backs `env` up (fetched fresh and recorded as a snapshot; the job must succeed):
/// its snapshot. After it, nothing in `env` drifts.
pub async fn backup(ops: &LocalOps, env: &str) -> SnapshotView {
    let events = ops.subscribe();
    let started = ops
        .backup(BackupRequest {
            envs: vec![env.to_owned()],
        })
        .await
        .expect("start the backup");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("follow the backup");
    assert_eq!(
        job.state,
        JobState::Succeeded,
        "backup of {env}: {:?}",
        job.error
    );
    let report: BackupReport =
        serde_json::from_value(job.result.expect("a backup report")).expect("a backup report");
    assert_eq!(report.snapshots.len(), 1, "{env} was recorded: {report:?}");
    report.snapshots.into_iter().next().expect("a snapshot")
}

/// Runs a drift check to its end: the job and its report.
pub async fn drift_check(ops: &LocalOps, envs: &[&str], fetch: bool) -> (JobView, DriftReport) {
    let events = ops.subscribe();
    let started = ops
        .drift_check(DriftCheckRequest {
            envs: envs.iter().map(|e| e.to_string()).collect(),
            fetch,
        })
        .await
        .expect("start the drift check");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("follow the drift check");
    let report = serde_json::from_value(job.result.clone().expect("a drift report"))
        .expect("a drift report");
    (job, report)
}

pub struct Fixture {
    pub ops: LocalOps,
    /// One simulator per environment, in the order they were added.
    pub sims: Vec<SimHandle>,
    pub store: TestStore,
    /// The environments' names, beside `sims`.
    names: Vec<String>,
    /// Holds the canonical repository (`settings.git.path`) for the fixture's life.
    pub git_dir: tempfile::TempDir,
}

impl Fixture {
    /// Operated by "tester", on a temporary SQLite store, with no environment yet.
    pub fn builder() -> FixtureBuilder {
        FixtureBuilder {
            settings: settings("tester"),
            store: None,
            envs: Vec::new(),
        }
    }

    /// The simulator behind environment `env`.
    pub fn sim(&self, env: &str) -> &SimHandle {
        let index = self.names.iter().position(|n| n == env);
        &self.sims[index.unwrap_or_else(|| panic!("no environment {env} in the fixture"))]
    }
}

pub struct FixtureBuilder {
    settings: Settings,
    store: Option<TestStore>,
    envs: Vec<(String, EnvClass, SimOptions)>,
}

impl FixtureBuilder {
    pub fn actor(mut self, actor: &str) -> Self {
        self.settings.actor = actor.into();
        self
    }

    /// Git settings (a remote, a path of the test's own).
    pub fn git(mut self, git: crate::config::GitConfig) -> Self {
        self.settings.git = git;
        self
    }

    pub fn policy(mut self, policy: Policy) -> Self {
        self.settings.policy = policy;
        self
    }

    /// This store instead of a new SQLite one (to run a test on every backend).
    pub fn store(mut self, store: TestStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Environment `name`, served by a simulator started with `options` (and
    /// registered with its API key).
    pub fn env(mut self, name: &str, class: EnvClass, options: SimOptions) -> Self {
        self.envs.push((name.into(), class, options));
        self
    }

    /// Starts the simulators and registers them, in the order given.
    pub async fn build(self) -> Fixture {
        let store = match self.store {
            Some(store) => store,
            None => test_support::sqlite().await,
        };
        let git_dir = tempfile::tempdir().expect("a temporary directory for Git");
        let mut settings = self.settings;
        if settings.git.path.is_none() {
            settings.git.path = Some(git_dir.path().join("canonical.git"));
        }
        let ops = LocalOps::new(store.store.clone(), settings)
            .await
            .expect("ops");
        let mut sims = Vec::new();
        let mut names = Vec::new();
        for (name, class, options) in self.envs {
            let key = Secret::new(options.api_key.clone());
            let sim = sim::start(options).await.expect("start the simulator");
            let add = EnvAdd {
                api_key: key,
                ..env_add(&name, &sim.url, class)
            };
            ops.env_add(add).await.expect("add env");
            sims.push(sim);
            names.push(name);
        }
        Fixture {
            ops,
            sims,
            store,
            names,
            git_dir,
        }
    }
}
