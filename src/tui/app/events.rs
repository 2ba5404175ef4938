//! What happens without a key: service events (the header's running jobs and open
//! incidents), ticks (flashes expiring, heartbeats), and the shell's own work: the
//! environments, their health, the jobs already running and the open incidents.

use super::{App, Spawned, Target};
use crate::domain::job::JobState;
use crate::service::{
    ConnectionTest, EnvView, Event, EventBody, IncidentQuery, IncidentView, JobDetail, JobView,
    OpsResult,
};
use crate::tui::header::{IncidentNotice, RunningJob};
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
    /// The open incidents, for the header; `generation` tells the newest load's answer
    /// from an older one still in flight.
    Incidents {
        generation: u64,
        result: OpsResult<Vec<IncidentView>>,
    },
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
            EventBody::Log { .. } => {}
            EventBody::Incident {
                id,
                env,
                workflow,
                severity,
                state,
                change,
            } => self.incidents.on_change(
                IncidentNotice {
                    id: *id,
                    env,
                    workflow: workflow.as_deref(),
                    severity: *severity,
                    state: *state,
                    change: *change,
                },
                Instant::now(),
            ),
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
        self.incidents.expire(now);
        if self
            .last_heartbeat
            .is_none_or(|last| now.saturating_duration_since(last) >= self.heartbeat)
        {
            self.last_heartbeat = Some(now);
            let names: Vec<String> = self.envs.iter().map(|e| e.name.clone()).collect();
            for name in names {
                self.check(name);
            }
            // Resolved by retention or missed events, or a first load that failed: the
            // service's count is the truth, asked again at every heartbeat.
            self.load_incidents();
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

    /// The open incidents, for the header's count.
    pub(super) fn load_incidents(&mut self) {
        self.incidents_generation += 1;
        let generation = self.incidents_generation;
        let ops = self.ops.clone();
        self.spawn_shell(async move {
            ShellMsg::Incidents {
                generation,
                result: ops.incidents_list(IncidentQuery::default()).await,
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
            ShellMsg::Incidents { generation, .. } if generation != self.incidents_generation => {}
            ShellMsg::Incidents {
                result: Ok(incidents),
                ..
            } => self.incidents.seed(&incidents),
            // The header keeps what it had rather than an error (the pane says why);
            // the next heartbeat asks again.
            ShellMsg::Incidents { result: Err(e), .. } => {
                tracing::warn!("the header could not count the open incidents: {e}");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{EventKind, IncidentState, Severity};
    use crate::tui::app::AppOptions;
    use crate::tui::keymap::Keymap;
    use crate::tui::panes::incidents::IncidentsPane;
    use crate::tui::testing::{self, Harness, NARROW, WIDE};
    use crate::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::time::Duration;

    async fn app() -> (App, Harness) {
        let h = Harness::new().await;
        let mut app = App::new(
            h.ops.clone(),
            AppOptions {
                readonly: false,
                theme: Theme::default(),
                keymap: Keymap::default(),
                heartbeat: Duration::from_secs(5),
            },
            vec![Box::new(IncidentsPane::new())],
        );
        app.start();
        // The shell's first loads, answered by the (empty) service.
        for spawned in app.take_spawned() {
            let msg = spawned.work.await;
            app.deliver(spawned.target, msg);
        }
        app.envs = testing::envs();
        app.health = testing::health();
        (app, h)
    }

    fn incident(id: i64, severity: Severity, state: IncidentState, change: EventKind) -> Event {
        testing::event(
            &format!("incident-{id}"),
            EventBody::Incident {
                id,
                env: "production".into(),
                workflow: Some("Order sync".into()),
                severity,
                state,
                change,
            },
        )
    }

    fn render(app: &mut App, (width, height): (u16, u16)) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| app.draw(f, testing::now())).unwrap();
        testing::screen_text(terminal.backend())
    }

    /// The header's first row.
    fn header(screen: &str) -> &str {
        screen.lines().next().unwrap_or("")
    }

    fn open_incident(id: i64, severity: Severity) -> IncidentView {
        crate::tui::panes::incidents::tests::incident(
            id,
            severity,
            "production",
            Some("Order sync"),
            10,
            60,
        )
    }

    /// Runs the shell's spawned work; an answer to a count of the open incidents is
    /// replaced by `count(generation)`. How many counts were asked.
    async fn settle(app: &mut App, count: impl Fn(u64) -> OpsResult<Vec<IncidentView>>) -> usize {
        let mut counts = 0;
        for spawned in app.take_spawned() {
            let msg = spawned.work.await;
            let msg = match msg.downcast::<ShellMsg>() {
                Ok(shell) => match *shell {
                    ShellMsg::Incidents { generation, .. } => {
                        counts += 1;
                        Box::new(ShellMsg::Incidents {
                            generation,
                            result: count(generation),
                        }) as PaneMsg
                    }
                    other => Box::new(other) as PaneMsg,
                },
                Err(other) => other,
            };
            app.deliver(spawned.target, msg);
        }
        counts
    }

    #[tokio::test]
    async fn the_header_counts_again_at_every_heartbeat_even_after_a_failed_count() {
        let h = Harness::new().await;
        let heartbeat = Duration::from_secs(5);
        let mut app = App::new(
            h.ops.clone(),
            AppOptions {
                readonly: false,
                theme: Theme::default(),
                keymap: Keymap::default(),
                heartbeat,
            },
            vec![Box::new(IncidentsPane::new())],
        );
        app.start();
        let failed = |_| {
            Err(crate::service::OpsError::new(
                crate::service::ErrorKind::Store,
                "the store is locked",
            ))
        };
        assert_eq!(settle(&mut app, failed).await, 1, "counted at start");
        assert!(!app.incidents.loaded(), "the first count failed");
        let start = Instant::now();
        app.on_tick(start);
        let first = app.incidents_generation;
        // Another heartbeat before the first answer came: both are asked.
        app.on_tick(start + heartbeat);
        let second = app.incidents_generation;
        assert!(second > first, "asked again at the next heartbeat");
        // The newer answer counts; the older one, coming after it, is dropped.
        let answer = move |generation| {
            Ok(if generation == second {
                vec![
                    open_incident(4, Severity::High),
                    open_incident(5, Severity::Critical),
                ]
            } else {
                vec![open_incident(4, Severity::High)]
            })
        };
        let mut spawned = app.take_spawned();
        spawned.reverse();
        for s in spawned {
            app.spawned.push(s);
        }
        assert_eq!(settle(&mut app, answer).await, 2, "one count per heartbeat");
        assert!(app.incidents.loaded());
        assert_eq!(
            (app.incidents.open_count(), app.incidents.worst()),
            (2, Some(Severity::Critical)),
            "the newest count is the truth"
        );
        let top = render(&mut app, NARROW);
        assert!(header(&top).contains("▲ 2 incidents  CRITICAL"), "{top}");
        // A count that fails later keeps what the header shows; the next heartbeat asks.
        app.on_tick(start + heartbeat * 2);
        assert_eq!(settle(&mut app, failed).await, 1);
        assert_eq!(app.incidents.open_count(), 2);
        app.on_tick(start + heartbeat * 3);
        assert_eq!(settle(&mut app, |_| Ok(Vec::new())).await, 1);
        assert_eq!(app.incidents.open_count(), 0, "all resolved meanwhile");
    }

    #[tokio::test]
    async fn an_incident_event_updates_the_header_and_a_new_one_flashes() {
        let (mut app, _h) = app().await;
        assert!(
            app.incidents.loaded(),
            "the open incidents were counted at start"
        );
        let screen = render(&mut app, NARROW);
        assert!(!header(&screen).contains("incident"), "none open: {screen}");

        app.on_event(&incident(
            4,
            Severity::High,
            IncidentState::Open,
            EventKind::Opened,
        ));
        app.on_event(&incident(
            5,
            Severity::Critical,
            IncidentState::Open,
            EventKind::Opened,
        ));
        let narrow = render(&mut app, NARROW);
        let wide = render(&mut app, WIDE);
        insta::assert_snapshot!("header_incidents_narrow", narrow);
        insta::assert_snapshot!("header_incidents_wide", wide);
        for screen in [&narrow, &wide] {
            let top = header(screen);
            assert!(
                top.contains("NEW critical #5 production 'Order sync'"),
                "{top}"
            );
            assert!(top.contains("▲ 2 incidents  CRITICAL"), "{top}");
        }
        // The flash goes; the count stays, and follows resolutions.
        app.on_tick(Instant::now() + crate::tui::header::incidents::ARRIVAL_FOR);
        app.on_event(&incident(
            5,
            Severity::Critical,
            IncidentState::Resolved,
            EventKind::Resolved,
        ));
        let top = render(&mut app, NARROW);
        let top = header(&top);
        assert!(!top.contains("NEW"), "{top}");
        assert!(top.contains("▲ 1 incident  HIGH"), "{top}");
        // The pane hears of it too: it reloads at its next tick.
        assert_eq!(app.current_kind(), Some(PaneKind::Incidents));
    }
}
