//! Scheduled drift checks: per environment class, an interval with jitter.
//!
//! [`DriftPlan`] is the timing, pure and tested without waiting: given the environments
//! and the time, which are due (each waits `next_delay(interval, jitter, random)` from
//! when it was first seen or last started). The task around it
//! (`LocalOps::spawn_drift_schedule`) re-reads the environment list every round, so
//! added and removed environments are picked up, starts each due environment's check
//! as a drift job (fetch first), and never starts a second check of an environment
//! whose last one is still running.

use super::drift::DriftDone;
use super::local::LocalOps;
use super::types::DriftCheckRequest;
use crate::config::DriftConfig;
use crate::domain::drift::next_delay;
use crate::domain::environment::EnvClass;
use crate::sim::Rng;
use crate::store::environments::{self, EnvRow};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One minute of the schedule (the config counts in minutes).
const MINUTE: Duration = Duration::from_secs(60);

/// The wait between checks of environments of `class`; None when the class is off (0).
pub(super) fn class_interval(
    cfg: &DriftConfig,
    class: EnvClass,
    minute: Duration,
) -> Option<Duration> {
    let mins = match class {
        EnvClass::Development => cfg.development_mins,
        EnvClass::Staging => cfg.staging_mins,
        EnvClass::Production => cfg.production_mins,
    };
    (mins > 0).then(|| minute.saturating_mul(u32::try_from(mins).unwrap_or(u32::MAX)))
}

/// When one environment is next due, and the interval that was computed with.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    interval: Duration,
    due: Duration,
}

/// Which environments are due, with times as offsets from the schedule's start.
#[derive(Debug, Clone)]
pub(super) struct DriftPlan {
    cfg: DriftConfig,
    /// The length of a configured minute (shorter in tests).
    minute: Duration,
    slots: BTreeMap<String, Slot>,
}

impl DriftPlan {
    pub fn new(cfg: DriftConfig, minute: Duration) -> DriftPlan {
        DriftPlan {
            cfg,
            minute,
            slots: BTreeMap::new(),
        }
    }

    /// True when no class is scheduled at all.
    pub fn off(&self) -> bool {
        EnvClass::ALL
            .iter()
            .all(|c| class_interval(&self.cfg, *c, self.minute).is_none())
    }

    /// Brings the plan to `envs` at `now` and returns the environments to check now,
    /// by name. An environment seen for the first time (or whose class changed
    /// interval) waits a whole jittered interval first; a removed one, or one of a
    /// class that is off, is forgotten. A due environment is scheduled again from now,
    /// and left out when it is in `running` (its previous check is not over).
    pub fn due(
        &mut self,
        envs: &[(String, EnvClass)],
        now: Duration,
        running: &HashSet<String>,
        random: &mut impl FnMut() -> f64,
    ) -> Vec<String> {
        let (cfg, minute) = (&self.cfg, self.minute);
        self.slots.retain(|name, _| {
            envs.iter()
                .any(|(n, c)| n == name && class_interval(cfg, *c, minute).is_some())
        });
        let mut due = Vec::new();
        for (name, class) in envs {
            let Some(interval) = class_interval(cfg, *class, minute) else {
                continue;
            };
            let next =
                |random: &mut dyn FnMut() -> f64| now + next_delay(interval, cfg.jitter, random());
            match self.slots.get_mut(name) {
                Some(slot) if slot.interval == interval => {
                    if slot.due <= now {
                        slot.due = next(random);
                        if !running.contains(name) {
                            due.push(name.clone());
                        }
                    }
                }
                Some(slot) => {
                    *slot = Slot {
                        interval,
                        due: next(random),
                    };
                }
                None => {
                    let slot = Slot {
                        interval,
                        due: next(random),
                    };
                    self.slots.insert(name.clone(), slot);
                }
            }
        }
        due.sort();
        due.dedup();
        due
    }

    /// When the next environment is due, if any is scheduled.
    pub fn next_due(&self) -> Option<Duration> {
        self.slots.values().map(|s| s.due).min()
    }
}

impl LocalOps {
    /// Starts the drift schedule in the background: each environment of a class with
    /// an interval (`[drift]`; development is off by default) is checked every
    /// interval, moved by the jitter. Off when read-only. Abort the handle to stop it.
    pub fn spawn_drift_schedule(&self) -> JoinHandle<()> {
        self.spawn_drift_schedule_scaled(MINUTE)
    }

    /// The schedule with `minute` the length of a configured minute: end-to-end tests
    /// run it in seconds. Faces use [`LocalOps::spawn_drift_schedule`].
    #[doc(hidden)]
    pub fn spawn_drift_schedule_scaled(&self, minute: Duration) -> JoinHandle<()> {
        let ops = self.clone();
        let rng = Rng::new(seed());
        tokio::spawn(async move { ops.run_drift_schedule(minute, rng).await })
    }

    /// The schedule's loop, with `minute` the length of a configured minute.
    pub(super) async fn run_drift_schedule(self, minute: Duration, mut rng: Rng) {
        if self.settings.readonly {
            tracing::info!("scheduled drift checks are off: n8nops runs read-only");
            return;
        }
        let mut plan = DriftPlan::new(self.settings.drift.clone(), minute);
        if plan.off() {
            tracing::info!("scheduled drift checks are off for every environment class");
            return;
        }
        let start = tokio::time::Instant::now();
        let running: Arc<Mutex<HashSet<String>>> = Arc::default();
        loop {
            match self.schedule_envs().await {
                Ok(envs) => {
                    let classes: Vec<(String, EnvClass)> =
                        envs.iter().map(|e| (e.name.clone(), e.class)).collect();
                    let busy = lock(&running).clone();
                    let due = plan.due(&classes, start.elapsed(), &busy, &mut || rng.unit());
                    for name in due {
                        if let Some(env) = envs.iter().find(|e| e.name == name) {
                            self.start_scheduled(env.clone(), running.clone());
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "scheduled drift checks: cannot read the environments");
                }
            }
            // Wake for the next due check, and at least every minute to pick up
            // environments added or changed meanwhile.
            let wait = plan
                .next_due()
                .map(|due| due.saturating_sub(start.elapsed()))
                .unwrap_or(minute)
                .min(minute);
            tokio::time::sleep(wait).await;
        }
    }

    async fn schedule_envs(&self) -> Result<Vec<EnvRow>, crate::store::StoreError> {
        let mut conn = self.store.conn().await?;
        environments::list(&mut conn).await
    }

    /// Runs one scheduled check of `env` in the background; `running` holds its name
    /// until the check's job has ended.
    fn start_scheduled(&self, env: EnvRow, running: Arc<Mutex<HashSet<String>>>) {
        let name = env.name.clone();
        lock(&running).insert(name.clone());
        let ops = self.clone();
        tokio::spawn(async move {
            let (tx, rx) = oneshot::channel::<DriftDone>();
            let req = DriftCheckRequest {
                envs: vec![name.clone()],
                fetch: true,
            };
            match ops
                .spawn_drift_job(vec![env], req, "scheduled drift check", Some(tx))
                .await
            {
                Ok(job_id) => match rx.await {
                    Ok(done) => log_done(&name, &done),
                    Err(_) => {
                        tracing::warn!(env = %name, job = %job_id, "scheduled drift check ended without a result")
                    }
                },
                Err(e) => {
                    tracing::warn!(env = %name, error = %e, "scheduled drift check could not start")
                }
            }
            lock(&running).remove(&name);
        });
    }
}

fn log_done(env: &str, done: &DriftDone) {
    if let Some(error) = &done.error {
        tracing::warn!(env, job = %done.job_id, error = %error, "scheduled drift check failed");
        return;
    }
    for e in done.report.iter().flat_map(|r| &r.envs) {
        match &e.error {
            Some(error) => {
                tracing::warn!(env = %e.env, job = %done.job_id, error = %error, "scheduled drift check: environment unreachable, its workflows are UNKNOWN")
            }
            None => tracing::info!(
                env = %e.env,
                job = %done.job_id,
                in_sync = e.counts.in_sync,
                drifted = e.counts.drifted,
                missing = e.counts.missing,
                untracked = e.counts.untracked,
                "scheduled drift check done"
            ),
        }
    }
}

fn lock(set: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    set.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A seed for the jitter: from the system's randomness, else the clock.
fn seed() -> u64 {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => crate::store::now_ms().unsigned_abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dev: u64, staging: u64, prod: u64, jitter: f64) -> DriftConfig {
        DriftConfig {
            development_mins: dev,
            staging_mins: staging,
            production_mins: prod,
            jitter,
        }
    }

    fn envs(list: &[(&str, EnvClass)]) -> Vec<(String, EnvClass)> {
        list.iter().map(|(n, c)| (n.to_string(), *c)).collect()
    }

    fn mins(m: u64) -> Duration {
        MINUTE * m as u32
    }

    /// Steps the plan minute by minute from `from` to `to` (inclusive), returning
    /// (minute, env) for each check started.
    fn run(
        plan: &mut DriftPlan,
        envs: &[(String, EnvClass)],
        from: u64,
        to: u64,
        running: &HashSet<String>,
        rng: &mut Rng,
    ) -> Vec<(u64, String)> {
        let mut started = Vec::new();
        for m in from..=to {
            for name in plan.due(envs, mins(m), running, &mut || rng.unit()) {
                started.push((m, name));
            }
        }
        started
    }

    #[test]
    fn each_class_is_checked_at_its_interval_and_development_is_off_by_default() {
        let mut plan = DriftPlan::new(DriftConfig::default(), MINUTE);
        let list = envs(&[
            ("dev", EnvClass::Development),
            ("stage", EnvClass::Staging),
            ("prod", EnvClass::Production),
        ]);
        let mut rng = Rng::new(7);
        let started = run(&mut plan, &list, 0, 180, &HashSet::new(), &mut rng);
        let of = |env: &str| -> Vec<u64> {
            started
                .iter()
                .filter(|(_, e)| e == env)
                .map(|(m, _)| *m)
                .collect()
        };
        assert!(of("dev").is_empty(), "development is off by default");
        // Production every 15 minutes ± 10%: 1.5 minutes either way, rounded up to
        // the minute steps of this test.
        let prod = of("prod");
        assert!((10..=13).contains(&prod.len()), "{prod:?}");
        assert!(prod[0] >= 14 && prod[0] <= 17, "{prod:?}");
        for pair in prod.windows(2) {
            assert!((14..=17).contains(&(pair[1] - pair[0])), "{prod:?}");
        }
        let stage = of("stage");
        assert!((2..=3).contains(&stage.len()), "{stage:?}");
        assert!(stage[0] >= 54 && stage[0] <= 67, "{stage:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_times_and_jitter_spreads_them() {
        let list = envs(&[
            ("a", EnvClass::Production),
            ("b", EnvClass::Production),
            ("c", EnvClass::Production),
        ]);
        let times = |seed: u64, jitter: f64| {
            let mut plan = DriftPlan::new(cfg(0, 0, 60, jitter), Duration::from_secs(1));
            let mut rng = Rng::new(seed);
            plan.due(&list, Duration::ZERO, &HashSet::new(), &mut || rng.unit());
            plan.slots.values().map(|s| s.due).collect::<Vec<_>>()
        };
        assert_eq!(times(3, 0.1), times(3, 0.1));
        let spread = times(3, 0.5);
        assert!(
            spread
                .iter()
                .all(|d| *d >= Duration::from_secs(30) && *d <= Duration::from_secs(90))
        );
        assert!(spread.windows(2).any(|w| w[0] != w[1]), "{spread:?}");
        assert!(times(3, 0.0).iter().all(|d| *d == Duration::from_secs(60)));
    }

    #[test]
    fn added_removed_and_reclassed_environments_are_picked_up() {
        let mut plan = DriftPlan::new(cfg(0, 30, 10, 0.0), MINUTE);
        let mut r = || 0.5;
        let none = HashSet::new();
        let mut list = envs(&[("prod", EnvClass::Production)]);
        assert!(
            plan.due(&list, mins(0), &none, &mut r).is_empty(),
            "waits first"
        );
        assert_eq!(plan.due(&list, mins(10), &none, &mut r), vec!["prod"]);
        // Added at minute 12: due 10 minutes later, not at once.
        list.push(("prod2".into(), EnvClass::Production));
        assert!(plan.due(&list, mins(12), &none, &mut r).is_empty());
        assert_eq!(plan.due(&list, mins(20), &none, &mut r), vec!["prod"]);
        assert_eq!(plan.due(&list, mins(22), &none, &mut r), vec!["prod2"]);
        // Removed: forgotten, never due again.
        list.retain(|(n, _)| n != "prod");
        assert!(plan.due(&list, mins(30), &none, &mut r).is_empty());
        assert_eq!(plan.slots.keys().collect::<Vec<_>>(), vec!["prod2"]);
        // prod2 becomes development (off): forgotten; staging: a 30-minute wait.
        list[0].1 = EnvClass::Development;
        assert!(plan.due(&list, mins(32), &none, &mut r).is_empty());
        assert_eq!(plan.next_due(), None);
        list[0].1 = EnvClass::Staging;
        assert!(plan.due(&list, mins(33), &none, &mut r).is_empty());
        assert_eq!(plan.next_due(), Some(mins(63)));
        assert_eq!(plan.due(&list, mins(63), &none, &mut r), vec!["prod2"]);
    }

    #[test]
    fn a_check_still_running_is_not_started_again() {
        let mut plan = DriftPlan::new(cfg(0, 0, 10, 0.0), MINUTE);
        let mut r = || 0.5;
        let list = envs(&[
            ("prod", EnvClass::Production),
            ("prod2", EnvClass::Production),
        ]);
        let running: HashSet<String> = ["prod".to_string()].into();
        plan.due(&list, mins(0), &running, &mut r);
        assert_eq!(plan.due(&list, mins(10), &running, &mut r), vec!["prod2"]);
        // Its turn is skipped, not queued: the next is one interval later.
        assert_eq!(plan.next_due(), Some(mins(20)));
        assert_eq!(
            plan.due(&list, mins(20), &HashSet::new(), &mut r),
            vec!["prod", "prod2"]
        );
    }

    #[test]
    fn no_interval_anywhere_turns_the_schedule_off() {
        assert!(DriftPlan::new(cfg(0, 0, 0, 0.1), MINUTE).off());
        assert!(!DriftPlan::new(DriftConfig::default(), MINUTE).off());
        assert_eq!(
            class_interval(&DriftConfig::default(), EnvClass::Production, MINUTE),
            Some(mins(15))
        );
        assert_eq!(
            class_interval(&DriftConfig::default(), EnvClass::Development, MINUTE),
            None
        );
    }
}
