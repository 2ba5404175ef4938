//! The Executions pane: one live stream of executions across every environment.
//!
//! Each environment is polled incrementally (per-environment cursors) when a tick finds
//! a poll due. New executions go into a ring buffer of at most `buffer` rows, newest
//! first, so memory stays bounded however long the pane runs. Each poll also brings
//! the running executions and news of the rows held as unfinished: those rows are
//! replaced where they are, so a long run shows while it runs and when it ends. A
//! burst too large for one poll is caught up on only in part, and the pane says how
//! many executions it had to skip. Following keeps the cursor on the newest; paused,
//! the view stays where it is and new rows are counted.
//! `enter` opens an execution's detail (failing node, error, node runs); a failed one
//! can be retried after a confirmation.

mod draw;
#[cfg(test)]
mod tests;

use crate::service::{
    EnvProblem, ExecutionDetail, ExecutionRef, ExecutionView, ExecutionsPage, ExecutionsQuery,
    OpsResult, newest_first,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Confirm, Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Executions asked of each environment on the first poll (later polls catch up
/// on everything newer, up to the service's cap).
const POLL_LIMIT: usize = 100;

/// Statuses n8n gives executions (what `:status` accepts).
const STATUSES: [&str; 8] = [
    "canceled", "crashed", "error", "new", "running", "success", "unknown", "waiting",
];

/// What spawned work and confirmations send back.
enum Msg {
    Polled {
        generation: u64,
        result: OpsResult<ExecutionsPage>,
    },
    Detail {
        generation: u64,
        result: OpsResult<ExecutionDetail>,
    },
    /// The person said yes to a retry.
    RetryConfirmed(ExecutionRef),
    Retried {
        target: ExecutionRef,
        result: OpsResult<ExecutionView>,
    },
}

/// An open execution detail.
struct Detail {
    execution: ExecutionView,
    generation: u64,
    state: DetailState,
    scroll: u16,
}

enum DetailState {
    Loading,
    Loaded(Box<ExecutionDetail>),
    Failed(String),
}

/// Filters set by `:` commands, on top of the `/` filter.
#[derive(Debug, Default, Clone, PartialEq)]
struct Only {
    env: Option<String>,
    status: Option<String>,
    workflow: Option<Filter>,
}

pub struct ExecutionsPane {
    buffer: usize,
    poll_every: Duration,
    /// Newest first; never longer than `buffer`.
    rows: VecDeque<ExecutionView>,
    cursors: BTreeMap<String, String>,
    /// Environments the last poll could not read.
    problems: Vec<EnvProblem>,
    /// Per environment, how many older executions bursts made the polls skip, at
    /// most (`None`: some, but n8n's ids did not tell how many).
    skipped: BTreeMap<String, Option<u64>>,
    /// The last poll failed as a whole.
    failure: Option<String>,
    /// Bumped to drop the results of polls started before it.
    generation: u64,
    polling: bool,
    polled_once: bool,
    last_poll: Option<Instant>,
    paused: bool,
    /// Rows that came in (and pass the filters) while paused.
    unseen: usize,
    /// Index into the filtered rows, the first one on screen, and the rows shown at
    /// the last draw (for page moves).
    cursor: ListCursor,
    filter: Filter,
    only: Only,
    detail: Option<Detail>,
    detail_generation: u64,
}

impl ExecutionsPane {
    /// `buffer`: the most executions kept; `poll_every`: time between polls.
    pub fn new(buffer: usize, poll_every: Duration) -> Self {
        ExecutionsPane {
            buffer: buffer.max(1),
            poll_every,
            rows: VecDeque::new(),
            cursors: BTreeMap::new(),
            problems: Vec::new(),
            skipped: BTreeMap::new(),
            failure: None,
            generation: 0,
            polling: false,
            polled_once: false,
            last_poll: None,
            paused: false,
            unseen: 0,
            cursor: ListCursor {
                page: 10,
                ..ListCursor::default()
            },
            filter: Filter::default(),
            only: Only::default(),
            detail: None,
            detail_generation: 0,
        }
    }

    /// The query of the next poll: everything newer than what the buffer holds,
    /// and news of the rows it holds as unfinished.
    fn query(&self) -> ExecutionsQuery {
        let mut unfinished: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for e in self.rows.iter().filter(|e| e.unfinished()) {
            unfinished
                .entry(e.env.clone())
                .or_default()
                .insert(e.id.clone(), e.status.clone());
        }
        ExecutionsQuery {
            envs: Vec::new(),
            after: self.cursors.clone(),
            limit: POLL_LIMIT.min(self.buffer),
            status: None,
            workflow_id: None,
            unfinished,
        }
    }

    /// Starts a poll when none is running and the last one is old enough.
    fn tick(&mut self, now: Instant, cx: &mut Cx) {
        let due = self
            .last_poll
            .is_none_or(|last| now.saturating_duration_since(last) >= self.poll_every);
        if due && !self.polling {
            self.poll(now, cx);
        }
    }

    fn poll(&mut self, now: Instant, cx: &mut Cx) {
        self.polling = true;
        self.last_poll = Some(now);
        let generation = self.generation;
        let query = self.query();
        cx.spawn(move |ops| async move {
            Msg::Polled {
                generation,
                result: ops.executions_poll(query).await,
            }
        });
    }

    /// Forgets everything and polls afresh; polls already running are ignored.
    fn restart(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.rows.clear();
        self.cursors.clear();
        self.problems.clear();
        self.skipped.clear();
        self.failure = None;
        self.polled_once = false;
        self.unseen = 0;
        self.cursor.selected = 0;
        self.cursor.offset = 0;
        self.poll(Instant::now(), cx);
    }

    fn polled(&mut self, result: OpsResult<ExecutionsPage>, cx: &mut Cx) {
        self.polling = false;
        self.polled_once = true;
        match result {
            Ok(page) => {
                self.failure = None;
                self.problems = page.errors;
                self.cursors = page.cursors;
                for gap in page.gaps {
                    let total = self.skipped.entry(gap.env).or_insert(Some(0));
                    *total = total.zip(gap.at_most).map(|(sum, more)| sum + more);
                }
                let open = self
                    .detail
                    .as_ref()
                    .map(|d| (d.execution.env.clone(), d.execution.id.clone()));
                if !page.gone.is_empty() {
                    self.rows
                        .retain(|e| !page.gone.iter().any(|g| g.env == e.env && g.id == e.id));
                }
                self.take(page.executions);
                if let Some((env, id)) = open {
                    self.follow_detail(&env, &id, cx);
                }
            }
            Err(e) => self.failure = Some(e.message),
        }
    }

    /// Puts a poll's executions in: a row already held is replaced where it is, a
    /// new one goes where it belongs (newest first), and the oldest beyond the
    /// buffer are dropped. Following, the cursor goes to the newest; paused, the
    /// cursor stays on its row and the view does not move.
    fn take(&mut self, incoming: Vec<ExecutionView>) {
        let anchors = self.paused.then(|| {
            (
                self.key_at(self.cursor.selected),
                self.key_at(self.cursor.offset),
            )
        });
        let mut fresh = Vec::new();
        let mut replaced = Vec::new();
        {
            let held: HashMap<(&str, &str), usize> = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, e)| ((e.env.as_str(), e.id.as_str()), i))
                .collect();
            for e in incoming {
                match held.get(&(e.env.as_str(), e.id.as_str())) {
                    Some(&i) => replaced.push((i, e)),
                    None => fresh.push(e),
                }
            }
        }
        for (i, e) in replaced {
            self.rows[i] = e;
        }
        fresh.sort_by(newest_first);
        let shown = self.merge(fresh);
        match anchors {
            Some((selected, top)) => {
                self.unseen += shown;
                let visible = self.visible();
                let position = |key: Option<(String, String)>| {
                    let (env, id) = key?;
                    visible
                        .iter()
                        .position(|&i| self.rows[i].env == env && self.rows[i].id == id)
                };
                if let Some(at) = position(selected) {
                    self.cursor.selected = at;
                }
                if let Some(at) = position(top) {
                    self.cursor.offset = at;
                }
            }
            None => {
                self.cursor.selected = 0;
                self.cursor.offset = 0;
            }
        }
        self.clamp();
    }

    /// Merges new rows (newest first) into the buffer, keeping at most `buffer`;
    /// returns how many of those kept pass the filters.
    fn merge(&mut self, fresh: Vec<ExecutionView>) -> usize {
        if fresh.is_empty() {
            return 0;
        }
        let held = std::mem::take(&mut self.rows);
        let mut rows = VecDeque::with_capacity((held.len() + fresh.len()).min(self.buffer));
        let (mut held, mut fresh) = (held.into_iter().peekable(), fresh.into_iter().peekable());
        let mut shown = 0;
        while rows.len() < self.buffer {
            let take_fresh = match (fresh.peek(), held.peek()) {
                (Some(new), Some(old)) => newest_first(new, old) != Ordering::Greater,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if take_fresh {
                fresh.next()
            } else {
                held.next()
            };
            if let Some(e) = next {
                if take_fresh && self.passes(&e) {
                    shown += 1;
                }
                rows.push_back(e);
            }
        }
        self.rows = rows;
        shown
    }

    /// The key (environment, id) of the row at this position among those shown.
    fn key_at(&self, position: usize) -> Option<(String, String)> {
        let index = *self.visible().get(position)?;
        let e = self.rows.get(index)?;
        Some((e.env.clone(), e.id.clone()))
    }

    /// An open detail follows its execution: when a poll brings it with another
    /// status (a run that ended), the detail is read again.
    fn follow_detail(&mut self, env: &str, id: &str, cx: &mut Cx) {
        let Some(now) = self.rows.iter().find(|e| e.env == env && e.id == id) else {
            return;
        };
        let Some(detail) = &mut self.detail else {
            return;
        };
        if detail.execution.status == now.status {
            return;
        }
        detail.execution = now.clone();
        self.detail_generation += 1;
        detail.generation = self.detail_generation;
        let generation = detail.generation;
        let target = ExecutionRef {
            env: env.to_owned(),
            id: id.to_owned(),
        };
        cx.spawn(move |ops| async move {
            Msg::Detail {
                generation,
                result: ops.execution_get(target).await,
            }
        });
    }

    /// Whether a row passes the `/` filter and the `:` filters.
    fn passes(&self, e: &ExecutionView) -> bool {
        let only = &self.only;
        only.env
            .as_ref()
            .is_none_or(|env| e.env.eq_ignore_ascii_case(env))
            && only.status.as_ref().is_none_or(|s| e.status == *s)
            && only.workflow.as_ref().is_none_or(|w| {
                e.workflow_id.as_deref() == Some(w.text.as_str())
                    || w.matches(e.workflow_name.as_deref().unwrap_or_default())
            })
            && self.filter.matches_any([
                e.env.as_str(),
                e.id.as_str(),
                e.status.as_str(),
                e.workflow_name.as_deref().unwrap_or_default(),
                e.workflow_id.as_deref().unwrap_or_default(),
                e.mode.as_deref().unwrap_or_default(),
            ])
    }

    /// Indexes (into `rows`) of the rows that pass the filters, newest first.
    fn visible(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.passes(&self.rows[i]))
            .collect()
    }

    fn clamp(&mut self) {
        let len = self.visible().len();
        self.cursor.selected = self.cursor.selected.min(len.saturating_sub(1));
        self.cursor.offset = self.cursor.offset.min(self.cursor.selected);
    }

    /// The execution under the cursor (or the open detail's).
    fn target(&self) -> Option<&ExecutionView> {
        if let Some(detail) = &self.detail {
            return Some(&detail.execution);
        }
        let index = *self.visible().get(self.cursor.selected)?;
        self.rows.get(index)
    }

    fn filters_changed(&mut self) {
        self.cursor.selected = 0;
        self.cursor.offset = 0;
        self.unseen = 0;
        self.clamp();
    }

    fn set_following(&mut self, follow: bool) {
        self.paused = !follow;
        if follow {
            self.unseen = 0;
            self.cursor.selected = 0;
            self.cursor.offset = 0;
        }
    }

    /// Moves the cursor; moving away from the newest stops following.
    fn move_cursor(&mut self, action: Action) {
        self.cursor.apply(action, self.visible().len());
        if self.cursor.selected > 0 {
            self.paused = true;
        }
    }

    fn open_detail(&mut self, cx: &mut Cx) {
        let Some(execution) = self.target().cloned() else {
            return;
        };
        self.detail_generation += 1;
        let generation = self.detail_generation;
        let target = ExecutionRef {
            env: execution.env.clone(),
            id: execution.id.clone(),
        };
        self.detail = Some(Detail {
            execution,
            generation,
            state: DetailState::Loading,
            scroll: 0,
        });
        cx.spawn(move |ops| async move {
            Msg::Detail {
                generation,
                result: ops.execution_get(target).await,
            }
        });
    }

    fn ask_retry(&mut self, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only mode: retrying executions is turned off");
            return;
        }
        let Some(e) = self.target() else { return };
        if !e.failed() {
            cx.info(format!(
                "execution {} in {} did not fail ({}): nothing to retry",
                e.id, e.env, e.status
            ));
            return;
        }
        let workflow = e
            .workflow_name
            .clone()
            .or_else(|| e.workflow_id.clone())
            .unwrap_or_else(|| "an unknown workflow".into());
        let target = ExecutionRef {
            env: e.env.clone(),
            id: e.id.clone(),
        };
        cx.confirm(Confirm {
            title: "Retry execution".into(),
            message: format!(
                "Run failed execution {} of '{workflow}' in {} again?",
                e.id, e.env
            ),
            type_to_confirm: None,
            payload: Box::new(Msg::RetryConfirmed(target)),
        });
    }

    fn retry(&mut self, target: ExecutionRef, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only mode: retrying executions is turned off");
            return;
        }
        cx.spawn(move |ops| async move {
            let result = ops.execution_retry(target.clone()).await;
            Msg::Retried { target, result }
        });
    }

    /// One of the `:` filters: no argument clears it.
    fn command_filter(&mut self, name: &str, arg: &str, cx: &mut Cx) {
        let arg = arg.trim();
        let value = (!arg.is_empty()).then(|| arg.to_owned());
        match name {
            "status" => {
                let value = value.map(|s| s.to_lowercase());
                if let Some(s) = &value
                    && !STATUSES.contains(&s.as_str())
                {
                    cx.error(format!(
                        "unknown status '{s}': one of {}",
                        STATUSES.join(", ")
                    ));
                    return;
                }
                self.only.status = value;
            }
            "environment" => self.only.env = value,
            "workflow" => self.only.workflow = value.map(|w| Filter::parse(&w)),
            "clear" => self.only = Only::default(),
            _ => return,
        }
        self.filters_changed();
    }
}

impl Pane for ExecutionsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Executions
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = if self.detail.is_some() {
            vec![Action::Down, Action::Up]
        } else {
            let mut actions = ListCursor::MOVES.to_vec();
            actions.extend([Action::Enter, Action::Pause, Action::Refresh]);
            actions
        };
        if self.target().is_some_and(ExecutionView::failed) {
            actions.push(Action::Retry);
        }
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        draw::draw(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if let Some(detail) = &mut self.detail {
            match action {
                Action::Down => detail.scroll = detail.scroll.saturating_add(1),
                Action::Up => detail.scroll = detail.scroll.saturating_sub(1),
                Action::Retry => self.ask_retry(cx),
                _ => {}
            }
            return;
        }
        match action {
            a if ListCursor::MOVES.contains(&a) => self.move_cursor(a),
            Action::Enter => self.open_detail(cx),
            Action::Pause => self.set_following(self.paused),
            Action::Refresh => self.restart(cx),
            Action::Retry => self.ask_retry(cx),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Msg>() else {
            return;
        };
        match *msg {
            Msg::Polled { generation, result } => {
                if generation == self.generation {
                    self.polled(result, cx);
                }
            }
            Msg::Detail { generation, result } => {
                if let Some(detail) = &mut self.detail
                    && detail.generation == generation
                {
                    detail.state = match result {
                        Ok(loaded) => DetailState::Loaded(Box::new(loaded)),
                        Err(e) => DetailState::Failed(e.message),
                    };
                }
            }
            Msg::RetryConfirmed(target) => self.retry(target, cx),
            Msg::Retried { target, result } => match result {
                Ok(new) => cx.info(format!(
                    "{}: execution {} retried as execution {} ({})",
                    target.env, target.id, new.id, new.status
                )),
                Err(e) => cx.error(e.message),
            },
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        if !self.polled_once && !self.polling {
            self.poll(Instant::now(), cx);
        }
    }

    fn on_tick(&mut self, cx: &mut Cx) {
        self.tick(Instant::now(), cx);
    }

    fn set_filter(&mut self, filter: Filter) {
        if filter != self.filter {
            self.filter = filter;
            self.filters_changed();
        }
    }

    fn back(&mut self) -> bool {
        self.detail.take().is_some()
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "status",
                "show only executions with this status, e.g. `status error` (none: any)",
            ),
            (
                "environment",
                "show only this environment's executions (none: all)",
            ),
            (
                "workflow",
                "show only workflows whose name contains this, or with this id (none: all)",
            ),
            ("clear", "drop the status, environment and workflow filters"),
        ]
    }

    fn on_command(&mut self, name: &str, arg: &str, cx: &mut Cx) {
        self.command_filter(name, arg, cx);
    }
}
