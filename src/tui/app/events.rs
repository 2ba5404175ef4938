//! What happens without a key: service events (the header's running jobs), ticks
//! (flashes expiring, heartbeats), and the shell's own work: the environments, their
//! health and the jobs already running.

use super::{App, Spawned, Target};
use crate::domain::job::JobState;
use crate::service::{ConnectionTest, EnvView, Event, EventBody, JobDetail, JobView, OpsResult};
use crate::tui::header::RunningJob;
use crate::tui::pane::{PaneKind, PaneMsg};
use crate::tui::ui::Health;
use std::time::Instant;

/// Finished jobs remembered, so a late answer cannot bring one back to the header.
const FINISHED_KEPT: usize = 64;

/// Results of the shell's own work.
pub(super) enum ShellMsg {
    Envs {
        generation: u64,
        result: OpsResult<Vec<EnvView>>,
    },
    Health {
        env: String,
        result: OpsResult<ConnectionTest>,
    },
    /// Jobs already running when the shell started (their start event came before).
    Jobs(OpsResult<Vec<JobView>>),
    /// A job the shell never saw start, read after it finished.
    Finished(OpsResult<JobDetail>),
}

impl App {
    /// A service event: the header's jobs, then every pane.
    pub fn on_event(&mut self, event: &Event) {
        match &event.body {
            EventBody::Started { title, .. } => {
                if !self.jobs.iter().any(|j| j.id == event.job_id) {
                    self.jobs.push(RunningJob {
                        id: event.job_id.clone(),
                        title: title.clone(),
                        done: 0,
                        total: 0,
                    });
                }
            }
            EventBody::Progress { done, total, .. } => {
                match self.jobs.iter_mut().find(|j| j.id == event.job_id) {
                    Some(job) => {
                        job.done = *done;
                        job.total = *total;
                    }
                    // Its start was missed (the event stream lagged).
                    None => self.jobs.push(RunningJob {
                        id: event.job_id.clone(),
                        title: format!("job {}", event.job_id),
                        done: *done,
                        total: *total,
                    }),
                }
            }
            EventBody::Log { .. } | EventBody::Incident { .. } => {}
            EventBody::Finished { state, error, .. } => {
                let known = self.jobs.iter().position(|j| j.id == event.job_id);
                match known {
                    Some(i) => {
                        let title = self.jobs.remove(i).title;
                        self.job_finished(&title, *state, error.as_deref());
                    }
                    // Started before the shell was watching: its title is in the store.
                    None => {
                        let (ops, id) = (self.ops.clone(), event.job_id.clone());
                        self.spawn_shell(async move { ShellMsg::Finished(ops.job_get(id).await) });
                    }
                }
                if self.current_kind() != Some(PaneKind::Jobs) {
                    self.unseen += 1;
                }
                self.finished.push_back(event.job_id.clone());
                if self.finished.len() > FINISHED_KEPT {
                    self.finished.pop_front();
                }
                self.load_envs();
            }
        }
        for index in 0..self.panes.len() {
            self.with_pane(index, |p, cx| p.on_event(event, cx));
        }
    }

    /// About every second: flashes expire, heartbeats fall due, opened panes tick.
    pub fn on_tick(&mut self, now: Instant) {
        if self.flash.as_ref().is_some_and(|f| f.until <= now) {
            self.flash = None;
        }
        if self
            .last_heartbeat
            .is_none_or(|last| now.saturating_duration_since(last) >= self.heartbeat)
        {
            self.last_heartbeat = Some(now);
            let names: Vec<String> = self.envs.iter().map(|e| e.name.clone()).collect();
            for name in names {
                self.check(name);
            }
        }
        for index in 0..self.panes.len() {
            if self.opened[index] {
                self.with_pane(index, |p, cx| p.on_tick(cx));
            }
        }
    }

    pub(super) fn spawn_shell(&mut self, work: impl Future<Output = ShellMsg> + Send + 'static) {
        self.spawned.push(Spawned {
            target: Target::Shell,
            work: Box::pin(async move { Box::new(work.await) as PaneMsg }),
        });
    }

    pub(super) fn load_envs(&mut self) {
        self.envs_generation += 1;
        let generation = self.envs_generation;
        let ops = self.ops.clone();
        self.spawn_shell(async move {
            ShellMsg::Envs {
                generation,
                result: ops.env_list().await,
            }
        });
    }

    /// Tests one environment's connection unless a test of it is still running.
    pub(super) fn check(&mut self, env: String) {
        if !self.checking.insert(env.clone()) {
            return;
        }
        let ops = self.ops.clone();
        self.spawn_shell(async move {
            let result = ops.env_test(env.clone()).await;
            ShellMsg::Health { env, result }
        });
    }

    pub(super) fn on_shell_msg(&mut self, msg: ShellMsg) {
        match msg {
            ShellMsg::Envs { generation, .. } if generation != self.envs_generation => {}
            ShellMsg::Envs {
                result: Ok(envs), ..
            } => {
                let new: Vec<String> = envs
                    .iter()
                    .filter(|e| !self.health.contains_key(&e.name))
                    .map(|e| e.name.clone())
                    .collect();
                self.health
                    .retain(|name, _| envs.iter().any(|e| &e.name == name));
                if let Some(focus) = &self.focus
                    && !envs.iter().any(|e| &e.name == focus)
                {
                    self.focus = None;
                }
                self.envs = envs;
                for name in new {
                    self.health.insert(name.clone(), Health::Unknown);
                    self.check(name);
                }
            }
            ShellMsg::Envs { result: Err(e), .. } => {
                self.flash_error(format!("Could not load the environments: {e}"));
            }
            ShellMsg::Jobs(Ok(jobs)) => {
                // Newest first: the header lists them oldest first.
                for job in jobs.into_iter().rev() {
                    let known =
                        self.jobs.iter().any(|j| j.id == job.id) || self.finished.contains(&job.id);
                    if !job.state.is_finished() && !known {
                        self.jobs.push(RunningJob {
                            id: job.id,
                            title: job.title,
                            done: u64::try_from(job.done).unwrap_or(0),
                            total: u64::try_from(job.total).unwrap_or(0),
                        });
                    }
                }
            }
            ShellMsg::Finished(Ok(detail)) => {
                let job = detail.job;
                self.job_finished(&job.title, job.state, job.error.as_deref());
            }
            ShellMsg::Finished(Err(e)) => {
                self.flash_error(format!("A job finished but could not be read: {e}"));
            }
            ShellMsg::Jobs(Err(e)) => {
                self.flash_error(format!("Could not list the running jobs: {e}"));
            }
            ShellMsg::Health { env, result } => {
                self.checking.remove(&env);
                if !self.envs.iter().any(|e| e.name == env) {
                    return;
                }
                let health = match result {
                    Ok(test) if test.ok => Health::Up {
                        latency_ms: test.latency_ms.unwrap_or(0),
                        version: test.version,
                    },
                    Ok(test) => Health::Down {
                        problem: test
                            .message
                            .unwrap_or_else(|| "the connection test failed".into()),
                    },
                    Err(e) => Health::Down { problem: e.message },
                };
                self.health.insert(env, health);
            }
        }
    }

    pub(super) fn job_finished(&mut self, title: &str, state: JobState, error: Option<&str>) {
        match error {
            Some(error) => self.flash_error(format!("{title} {}: {error}", state.as_str())),
            None => self.flash_info(format!("{title}: {}", state.as_str())),
        }
    }
}
