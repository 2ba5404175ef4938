//! The Jobs pane: background jobs (syncs and other long work) with their state and
//! progress, and the selected job's log lines streaming in as they happen. `enter`
//! opens a job with its full log from the store.
//!
//! Service events keep rows and logs live; the store fills in what happened before
//! this pane was watching (the list on open, a job's log the first time it is
//! selected). Each job keeps at most `LOG_KEEP` live lines.

use crate::domain::job::{JobState, LogLevel};
use crate::service::{Event, EventBody, JobDetail, JobLogLine, JobQuery, JobView, OpsResult, Time};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::list_view::{ListTitle, first_load};
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
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

// ---- drawing ----

fn draw_list(pane: &mut JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let title = ListTitle {
        name: "Jobs",
        counts: pane.loaded.then_some((pane.visible.len(), pane.jobs.len())),
        unit: "",
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(title.line(theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let message = if !pane.loaded {
        Some(first_load(
            pane.error.as_deref(),
            "Loading jobs…",
            "Could not load the jobs",
            ui,
        ))
    } else if pane.jobs.is_empty() {
        Some(vec![Line::styled(
            "No jobs yet. Syncs and other long work show here as they run, with their logs.",
            theme.muted,
        )])
    } else if pane.visible.is_empty() {
        Some(vec![Line::styled(
            format!("No job matches /{}.", pane.filter.text),
            theme.muted,
        )])
    } else {
        None
    };
    if let Some(lines) = message {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }

    let log_height = (inner.height * 2 / 5)
        .max(3)
        .min(inner.height.saturating_sub(2));
    let [list, log] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(log_height)]).areas(inner);
    draw_rows(pane, frame, list, ui);
    draw_live_log(pane, frame, log, ui);
}

/// Column widths: state, title, progress, started, then on wide screens phase, actor, id.
struct Columns {
    title: u16,
    wide: bool,
}

const STATE_W: u16 = 12;
const PROGRESS_W: u16 = 16;
const STARTED_W: u16 = 9;
const PHASE_W: u16 = 14;
const ACTOR_W: u16 = 10;
const ID_W: u16 = 23;

impl Columns {
    fn new(width: u16) -> Columns {
        let wide = width >= 120;
        let fixed =
            STATE_W + PROGRESS_W + STARTED_W + if wide { PHASE_W + ACTOR_W + ID_W } else { 0 };
        Columns {
            title: width.saturating_sub(fixed + 1).max(8),
            wide,
        }
    }

    fn line<'a>(&self, cells: Vec<(String, Style)>) -> Line<'a> {
        let widths = self.widths();
        Line::from(
            cells
                .into_iter()
                .zip(widths)
                .map(|((text, style), w)| Span::styled(fit(&text, usize::from(w)), style))
                .collect::<Vec<_>>(),
        )
    }

    fn widths(&self) -> Vec<u16> {
        let mut w = vec![STATE_W, self.title, PROGRESS_W];
        if self.wide {
            w.push(PHASE_W);
        }
        w.push(STARTED_W);
        if self.wide {
            w.extend([ACTOR_W, ID_W]);
        }
        w
    }
}

fn draw_rows(pane: &mut JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let cols = Columns::new(area.width);
    let mut header = vec![
        ("STATE".to_owned(), theme.muted),
        ("TITLE".to_owned(), theme.muted),
        ("PROGRESS".to_owned(), theme.muted),
    ];
    if cols.wide {
        header.push(("PHASE".to_owned(), theme.muted));
    }
    header.push(("STARTED".to_owned(), theme.muted));
    if cols.wide {
        header.extend([
            ("ACTOR".to_owned(), theme.muted),
            ("ID".to_owned(), theme.muted),
        ]);
    }
    let mut lines = vec![cols.line(header)];
    let height = usize::from(area.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &i) in pane.visible[range.clone()].iter().enumerate() {
        let job = &pane.jobs[i];
        let (icon, style) = state_look(job.state, theme);
        let mut cells = vec![
            (format!("{icon} {}", job.state.as_str()), style),
            (job.title.clone(), theme.base),
            (progress(job), theme.accent),
        ];
        if cols.wide {
            cells.push((job.phase.clone().unwrap_or_default(), theme.muted));
        }
        cells.push((
            crate::tui::ui::age(job.started_at.unwrap_or(job.created_at), ui.now),
            theme.muted,
        ));
        if cols.wide {
            cells.extend([
                (job.actor.clone(), theme.muted),
                (job.id.clone(), theme.muted),
            ]);
        }
        let mut line = cols.line(cells);
        if range.start + pos == pane.cursor.selected {
            line = line.patch_style(theme.selected);
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_live_log(pane: &JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let Some(job) = pane.selected() else {
        return;
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(" Log ", theme.title),
            Span::styled(format!("{} ", job.title), theme.muted),
        ]))
        .title_bottom(Span::styled(
            format!(" {} full log ", ui.keymap.hint(Action::Enter)),
            theme.muted,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let empty = VecDeque::new();
    let log = pane.logs.get(&job.id).unwrap_or(&empty);
    let lines: Vec<Line> = if log.is_empty() {
        let text = if pane.fetching.contains(&job.id) {
            "Reading the log…"
        } else {
            "No log lines yet."
        };
        vec![Line::styled(text, theme.muted)]
    } else {
        let rows = usize::from(inner.height);
        log.iter()
            .skip(log.len().saturating_sub(rows))
            .map(|l| log_line(l, theme))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_detail(pane: &mut JobsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let Some(detail) = &mut pane.detail else {
        return;
    };
    let listed = pane.jobs.iter().find(|j| j.id == detail.job_id);
    let title = match (&detail.state, listed) {
        (DetailState::Loaded(d), _) => d.job.title.clone(),
        (_, Some(job)) => job.title.clone(),
        _ => detail.job_id.clone(),
    };
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(vec![
            Span::styled(" Job ", theme.title),
            Span::styled(format!("{title} "), theme.accent),
        ]))
        .title_bottom(Span::styled(
            format!(" {} back ", ui.keymap.hint(Action::Back)),
            theme.muted,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let d = match &detail.state {
        DetailState::Loading => {
            frame.render_widget(
                Paragraph::new(Line::styled("Loading the job…", theme.muted)),
                inner,
            );
            return;
        }
        DetailState::Failed(error) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("Could not load job {}: {error}", detail.job_id),
                    theme.error,
                ))
                .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        DetailState::Loaded(d) => d,
    };
    let job = &d.job;
    let (icon, style) = state_look(job.state, theme);
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.muted),
            Span::raw(value),
        ])
    };
    let mut head = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "state"), theme.muted),
            Span::styled(format!("{icon} {}", job.state.as_str()), style),
            Span::styled(format!("   {}", progress(job)), theme.accent),
            Span::styled(
                job.phase
                    .as_ref()
                    .map(|p| format!("  {p}"))
                    .unwrap_or_default(),
                theme.muted,
            ),
        ]),
        field("id", format!("{} ({})", job.id, job.kind)),
        field(
            "by",
            if job.actor.is_empty() {
                "-".into()
            } else {
                job.actor.clone()
            },
        ),
        field(
            "ran",
            format!(
                "{} → {}",
                time(job.started_at.unwrap_or(job.created_at)),
                job.finished_at.map_or_else(|| "…".into(), time)
            ),
        ),
    ];
    if let Some(error) = &job.error {
        head.push(Line::from(vec![
            Span::styled(format!("{:<10}", "error"), theme.muted),
            Span::styled(error.clone(), theme.error),
        ]));
    }
    head.push(Line::styled(
        format!("── log: {} lines ──", d.logs.len()),
        theme.muted,
    ));
    let head_height = (head.len() as u16).min(inner.height);
    let [top, rest] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    let page = usize::from(rest.height);
    detail.page = page;
    detail.scroll = detail.scroll.min(d.logs.len().saturating_sub(page));
    let lines: Vec<Line> = d
        .logs
        .iter()
        .skip(detail.scroll)
        .take(page)
        .map(|l| log_line(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), rest);
}

fn log_line<'a>(line: &JobLogLine, theme: &Theme) -> Line<'a> {
    let style = match line.level {
        LogLevel::Info => theme.base,
        LogLevel::Warn => theme.warn,
        LogLevel::Error => theme.error,
    };
    Line::from(vec![
        Span::styled(line.at.format("%H:%M:%S ").to_string(), theme.muted),
        Span::styled(format!("{:<5} ", line.level.as_str()), style),
        Span::styled(line.message.clone(), style),
    ])
}

fn state_look(state: JobState, theme: &Theme) -> (&'static str, Style) {
    match state {
        JobState::Queued => ("◷", theme.muted),
        JobState::Running => ("⟳", theme.accent),
        JobState::Succeeded => ("✔", theme.ok),
        JobState::Failed => ("✖", theme.error),
        JobState::Interrupted => ("!", theme.warn),
    }
}

/// `▰▰▰▱▱▱▱▱  37%`, or the count when there is no total yet.
fn progress(job: &JobView) -> String {
    if job.total <= 0 {
        return match job.state {
            JobState::Succeeded => "done".into(),
            JobState::Running | JobState::Queued => "…".into(),
            _ => String::new(),
        };
    }
    let done = job.done.clamp(0, job.total) as u64;
    let total = job.total as u64;
    let pct = done * 100 / total;
    format!("{} {pct:>3}%", crate::tui::ui::bar(done, total, 10))
}

fn time(t: Time) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests;
