//! The Jobs pane: background jobs (syncs and other long work) with their state and
//! progress, and the selected job's log lines streaming in as they happen. `enter`
//! opens a job with its full log from the store.
//!
//! Service events keep rows and logs live; the store fills in what happened before
//! this pane was watching (the list on open, a job's log the first time it is
//! selected). Each job keeps at most `LOG_KEEP` live lines.

mod draw;

use crate::domain::job::JobState;
use crate::service::{Event, EventBody, JobDetail, JobLogLine, JobQuery, JobView, OpsResult};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use draw::{draw_detail, draw_list};
use ratatui::Frame;
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet, VecDeque};

/// Jobs listed, newest first.
const LIST_LIMIT: usize = 200;
/// Live log lines kept per job (the full log is one `enter` away).
const LOG_KEEP: usize = 500;

enum Msg {
    Listed {
        generation: u64,
        result: OpsResult<Vec<JobView>>,
    },
    /// A job's stored log, to complete the live one.
    Log {
        job_id: String,
        result: OpsResult<JobDetail>,
    },
    Detail {
        generation: u64,
        result: OpsResult<JobDetail>,
    },
}

/// A job opened with `enter`.
struct Detail {
    job_id: String,
    generation: u64,
    state: DetailState,
    scroll: usize,
    /// Log rows on screen at the last draw.
    page: usize,
}

enum DetailState {
    Loading,
    Loaded(Box<JobDetail>),
    Failed(String),
}

#[derive(Default)]
pub struct JobsPane {
    /// Newest first.
    jobs: Vec<JobView>,
    /// Indexes into `jobs` the filter lets through.
    visible: Vec<usize>,
    loaded: bool,
    loading: bool,
    error: Option<String>,
    generation: u64,
    cursor: ListCursor,
    filter: Filter,
    /// Live log lines per job.
    logs: HashMap<String, VecDeque<JobLogLine>>,
    /// Jobs whose log is complete here: seen from their start, or fetched.
    complete: HashSet<String>,
    /// Jobs whose stored log is being fetched.
    fetching: HashSet<String>,
    detail: Option<Detail>,
    detail_generation: u64,
}

impl JobsPane {
    pub fn new() -> Self {
        Self::default()
    }

    fn load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        let generation = self.generation;
        cx.spawn(move |ops| async move {
            Msg::Listed {
                generation,
                result: ops
                    .jobs_list(JobQuery {
                        limit: Some(LIST_LIMIT),
                    })
                    .await,
            }
        });
    }

    /// Takes a fresh list, keeping live progress the store has not caught up with and
    /// the cursor on the same job.
    fn listed(&mut self, mut jobs: Vec<JobView>, cx: &mut Cx) {
        let selected = self.selected().map(|j| j.id.clone());
        for job in &mut jobs {
            if let Some(live) = self.jobs.iter().find(|j| j.id == job.id)
                && job.state == JobState::Running
                && live.done > job.done
            {
                job.done = live.done;
                job.total = live.total;
                job.phase = live.phase.clone();
            }
        }
        self.jobs = jobs;
        let ids: HashSet<&str> = self.jobs.iter().map(|j| j.id.as_str()).collect();
        self.logs.retain(|id, _| ids.contains(id.as_str()));
        self.complete.retain(|id| ids.contains(id.as_str()));
        self.loaded = true;
        self.error = None;
        self.refilter();
        if let Some(id) = selected
            && let Some(pos) = self.visible.iter().position(|&i| self.jobs[i].id == id)
        {
            self.cursor.selected = pos;
        }
        self.fetch_log(cx);
    }

    fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| {
                filter.matches_any([
                    j.title.as_str(),
                    j.kind.as_str(),
                    j.state.as_str(),
                    j.actor.as_str(),
                    j.id.as_str(),
                ])
            })
            .map(|(i, _)| i)
            .collect();
        self.cursor.clamp(self.visible.len());
    }

    fn selected(&self) -> Option<&JobView> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.jobs.get(i))
    }

    /// Fetches the selected job's stored log unless it is complete here already.
    fn fetch_log(&mut self, cx: &mut Cx) {
        let Some(id) = self.selected().map(|j| j.id.clone()) else {
            return;
        };
        if self.complete.contains(&id) || !self.fetching.insert(id.clone()) {
            return;
        }
        cx.spawn(move |ops| async move {
            let result = ops.job_get(id.clone()).await;
            Msg::Log { job_id: id, result }
        });
    }

    fn open_detail(&mut self, cx: &mut Cx) {
        let Some(id) = self.selected().map(|j| j.id.clone()) else {
            return;
        };
        self.detail_generation += 1;
        let generation = self.detail_generation;
        self.detail = Some(Detail {
            job_id: id.clone(),
            generation,
            state: DetailState::Loading,
            scroll: 0,
            page: 0,
        });
        cx.spawn(move |ops| async move {
            Msg::Detail {
                generation,
                result: ops.job_get(id).await,
            }
        });
    }

    fn job_mut(&mut self, id: &str) -> Option<&mut JobView> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }
}

/// The stored log (complete up to when it was read) followed by the live lines it
/// does not have yet: the live lines are a tail of the same sequence, so the longest
/// end of `stored` that starts `live` is where they overlap.
fn merge_logs(stored: Vec<JobLogLine>, live: &VecDeque<JobLogLine>) -> VecDeque<JobLogLine> {
    let same = |a: &JobLogLine, b: &JobLogLine| a.level == b.level && a.message == b.message;
    let overlap = (0..=stored.len().min(live.len()))
        .rev()
        .find(|&k| {
            stored[stored.len() - k..]
                .iter()
                .zip(live.iter())
                .all(|(a, b)| same(a, b))
        })
        .unwrap_or(0);
    let mut merged: VecDeque<JobLogLine> = stored.into();
    merged.extend(live.iter().skip(overlap).cloned());
    while merged.len() > LOG_KEEP {
        merged.pop_front();
    }
    merged
}

impl Pane for JobsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Jobs
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = ListCursor::MOVES.to_vec();
        if self.detail.is_none() {
            actions.push(Action::Enter);
        }
        actions.push(Action::Refresh);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        if self.detail.is_some() {
            draw_detail(self, frame, area, ui);
        } else {
            draw_list(self, frame, area, ui);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if let Some(detail) = &mut self.detail {
            if action == Action::Refresh {
                self.open_detail(cx);
                return;
            }
            let lines = match &detail.state {
                DetailState::Loaded(d) => d.logs.len(),
                _ => 0,
            };
            // Scrolling: the "rows" are the possible first lines on screen.
            let mut scroll = ListCursor {
                selected: detail.scroll,
                offset: 0,
                page: detail.page,
            };
            scroll.apply(action, lines.saturating_sub(detail.page) + 1);
            detail.scroll = scroll.selected;
            return;
        }
        if self.cursor.apply(action, self.visible.len()) {
            self.fetch_log(cx);
            return;
        }
        match action {
            Action::Enter => self.open_detail(cx),
            Action::Refresh => self.load(cx),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Msg>() else {
            return;
        };
        match *msg {
            Msg::Listed { generation, .. } if generation != self.generation => {}
            Msg::Listed { result, .. } => {
                self.loading = false;
                match result {
                    Ok(jobs) => self.listed(jobs, cx),
                    Err(e) => self.error = Some(e.message),
                }
            }
            Msg::Log { job_id, result } => {
                self.fetching.remove(&job_id);
                match result {
                    Ok(detail) => {
                        let live = self.logs.remove(&job_id).unwrap_or_default();
                        self.logs
                            .insert(job_id.clone(), merge_logs(detail.logs, &live));
                        self.complete.insert(job_id);
                    }
                    Err(e) => cx.error(format!("Could not read the log of job {job_id}: {e}")),
                }
            }
            Msg::Detail { generation, result } => {
                if let Some(detail) = &mut self.detail
                    && detail.generation == generation
                {
                    detail.state = match result {
                        Ok(d) => DetailState::Loaded(Box::new(d)),
                        Err(e) => DetailState::Failed(e.message),
                    };
                }
            }
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        let id = event.job_id.as_str();
        match &event.body {
            EventBody::Started { kind, title } => {
                if self.job_mut(id).is_none() {
                    // Selection stays on the same job as rows shift down.
                    let selected = self.selected().map(|j| j.id.clone());
                    self.jobs.insert(
                        0,
                        JobView {
                            id: id.to_owned(),
                            kind: kind.clone(),
                            title: title.clone(),
                            state: JobState::Running,
                            actor: String::new(),
                            phase: None,
                            done: 0,
                            total: 0,
                            created_at: event.at,
                            started_at: Some(event.at),
                            finished_at: None,
                            result: None,
                            error: None,
                        },
                    );
                    self.jobs.truncate(LIST_LIMIT);
                    self.refilter();
                    if let Some(sel) = selected
                        && let Some(pos) = self.visible.iter().position(|&i| self.jobs[i].id == sel)
                    {
                        self.cursor.selected = pos;
                    }
                }
                self.complete.insert(id.to_owned());
                if self.loaded {
                    self.load(cx);
                }
            }
            EventBody::Progress { phase, done, total } => {
                if let Some(job) = self.job_mut(id) {
                    job.state = JobState::Running;
                    job.phase = Some(phase.clone());
                    job.done = *done as i64;
                    job.total = *total as i64;
                }
            }
            EventBody::Log { level, message } => {
                let line = JobLogLine {
                    at: event.at,
                    level: *level,
                    message: message.clone(),
                };
                if let Some(detail) = &mut self.detail
                    && detail.job_id == id
                    && let DetailState::Loaded(d) = &mut detail.state
                {
                    d.logs.push(line.clone());
                }
                let log = self.logs.entry(id.to_owned()).or_default();
                log.push_back(line);
                if log.len() > LOG_KEEP {
                    log.pop_front();
                }
            }
            EventBody::Finished {
                state,
                result,
                error,
            } => {
                if let Some(job) = self.job_mut(id) {
                    job.state = *state;
                    job.result = result.clone();
                    job.error = error.clone();
                    job.finished_at = Some(event.at);
                }
                if let Some(detail) = &mut self.detail
                    && detail.job_id == id
                    && let DetailState::Loaded(d) = &mut detail.state
                {
                    d.job.state = *state;
                    d.job.error = error.clone();
                    d.job.finished_at = Some(event.at);
                }
                if self.loaded {
                    self.load(cx);
                }
            }
            EventBody::Incident { .. } => {}
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    fn back(&mut self) -> bool {
        self.detail.take().is_some()
    }
}

#[cfg(test)]
mod tests;
