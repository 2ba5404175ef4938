//! Executions: the bounded log, how new ones are planned (status, mode,
//! duration), how running ones settle, and n8n's JSON shapes for them.

use super::json::{Json, Ts};
use super::rng::Rng;
use super::runs::{self, Failure, RunProfile, RunShape};
use super::workflows::Workflow;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Canceled,
    Crashed,
    Error,
    New,
    Running,
    Success,
    Unknown,
    Waiting,
}

impl Status {
    /// The values `GET /executions?status=` accepts.
    pub const FILTERABLE: [&'static str; 5] =
        ["canceled", "error", "running", "success", "waiting"];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Canceled => "canceled",
            Status::Crashed => "crashed",
            Status::Error => "error",
            Status::New => "new",
            Status::Running => "running",
            Status::Success => "success",
            Status::Unknown => "unknown",
            Status::Waiting => "waiting",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "canceled" => Status::Canceled,
            "crashed" => Status::Crashed,
            "error" => Status::Error,
            "new" => Status::New,
            "running" => Status::Running,
            "success" => Status::Success,
            "unknown" => Status::Unknown,
            "waiting" => Status::Waiting,
            _ => return None,
        })
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How a run was started (`mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Manual,
    Trigger,
    Webhook,
    Retry,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Manual => "manual",
            Mode::Trigger => "trigger",
            Mode::Webhook => "webhook",
            Mode::Retry => "retry",
        }
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The workflow version a run used (n8n keeps it as `workflowData`).
#[derive(Debug)]
pub struct Snapshot {
    pub workflow_id: String,
    pub name: String,
    pub active: bool,
    pub active_version_id: Option<String>,
    pub nodes: Json,
    pub connections: Json,
    pub settings: Json,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub profile: Arc<RunProfile>,
}

impl Snapshot {
    pub fn of(w: &Workflow) -> Arc<Snapshot> {
        Arc::new(Snapshot {
            workflow_id: w.id.clone(),
            name: w.name.clone(),
            active: w.active,
            active_version_id: w.active_version.as_ref().map(|v| v.version_id.clone()),
            nodes: w.nodes.clone(),
            connections: w.connections.clone(),
            settings: w.settings.clone(),
            created_at: w.created_at,
            updated_at: w.updated_at,
            profile: w.profile.clone(),
        })
    }
}

/// How a running or waiting execution will end.
#[derive(Clone, Debug)]
pub struct Pending {
    pub at: Ts,
    pub status: Status,
    pub failure: Option<Failure>,
}

#[derive(Clone, Debug)]
pub struct Execution {
    pub id: u64,
    pub status: Status,
    pub mode: Mode,
    pub retry_of: Option<u64>,
    pub retry_success_id: Option<u64>,
    pub created_at: Ts,
    pub started_at: Ts,
    pub stopped_at: Option<Ts>,
    pub wait_till: Option<Ts>,
    pub snapshot: Arc<Snapshot>,
    pub failure: Option<Failure>,
    pub pending: Option<Pending>,
    /// Seeds the synthesized `data`.
    pub seed: u64,
}

impl Execution {
    pub fn workflow_id(&self) -> &str {
        &self.snapshot.workflow_id
    }

    pub fn finished(&self) -> bool {
        self.status == Status::Success
    }

    /// The `data` object (`includeData=true`).
    pub fn data(&self) -> Value {
        let shape = RunShape {
            started_at: self.started_at,
            mode: self.mode.as_str(),
            seed: self.seed,
            failure: self.failure.as_ref(),
            unfinished: matches!(self.status, Status::Running | Status::Waiting),
        };
        runs::execution_data(&self.snapshot.nodes, &self.snapshot.connections, &shape)
    }

    fn workflow_data(&self) -> Value {
        let s = &self.snapshot;
        json!({
            "id": s.workflow_id,
            "name": s.name,
            "active": s.active,
            "activeVersionId": s.active_version_id,
            "isArchived": false,
            "createdAt": s.created_at,
            "updatedAt": s.updated_at,
            "nodes": &*s.nodes,
            "connections": &*s.connections,
            "settings": &*s.settings,
            "staticData": {},
            "pinData": null,
        })
    }

    /// The JSON of this execution for one endpoint.
    pub fn view(&self, view: ExecView, include_data: bool) -> ExecutionView<'_> {
        let full = view != ExecView::List;
        ExecutionView {
            id: match view {
                ExecView::Deleted => Id::Number(self.id),
                _ => Id::Text(self.id),
            },
            finished: self.finished(),
            mode: self.mode,
            retry_of: self.retry_of.map(Id::Text),
            retry_success_id: self.retry_success_id.map(Id::Text),
            status: self.status,
            created_at: full.then_some(self.created_at),
            started_at: self.started_at,
            stopped_at: self.stopped_at,
            deleted_at: full.then_some(()),
            workflow_id: self.workflow_id(),
            wait_till: self.wait_till,
            data: include_data.then(|| self.data()),
            workflow_data: include_data.then(|| self.workflow_data()),
            custom_data: include_data.then(|| json!({})),
        }
    }

    /// The answer to `POST /executions/{id}/retry` (its own shape in n8n).
    pub fn retry_view(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "mode": self.mode,
            "startedAt": self.started_at,
            "workflowId": self.workflow_id(),
            "finished": self.finished(),
            "retryOf": self.retry_of,
            "status": self.status,
            "waitTill": self.wait_till,
            "data": self.data(),
            "workflowData": self.workflow_data(),
            "customData": {},
        })
    }

    /// Ends a running or waiting execution now with `status` (and, when it failed,
    /// `failure`), whatever its planned end. Ended ones stay as they are.
    pub fn finish(&mut self, now: Ts, status: Status, failure: Option<Failure>) -> bool {
        if !matches!(self.status, Status::Running | Status::Waiting | Status::New) {
            return false;
        }
        self.pending = Some(Pending {
            at: now,
            status,
            failure,
        });
        self.settle(now)
    }

    /// Ends a running or waiting execution whose time has come.
    pub fn settle(&mut self, now: Ts) -> bool {
        let due = self.pending.as_ref().is_some_and(|p| p.at <= now);
        if !due {
            return false;
        }
        if let Some(p) = self.pending.take() {
            self.status = p.status;
            self.failure = p.failure;
            self.stopped_at = Some(p.at);
            self.wait_till = None;
        }
        true
    }
}

/// Which endpoint an execution is answered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecView {
    List,
    Get,
    /// `DELETE`: like `Get`, but n8n sends the id back as a number.
    Deleted,
}

/// Ids are strings in n8n's answers, except in a few places where they are numbers.
#[derive(Clone, Copy, Debug)]
enum Id {
    Text(u64),
    Number(u64),
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Id::Text(id) => s.collect_str(id),
            Id::Number(id) => s.serialize_u64(*id),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView<'a> {
    id: Id,
    finished: bool,
    mode: Mode,
    retry_of: Option<Id>,
    retry_success_id: Option<Id>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<Ts>,
    started_at: Ts,
    stopped_at: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<()>,
    workflow_id: &'a str,
    wait_till: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_data: Option<Value>,
}

/// Filters of `GET /executions`.
#[derive(Clone, Debug, Default)]
pub struct ExecFilter {
    pub status: Option<Status>,
    pub workflow_id: Option<String>,
}

impl ExecFilter {
    fn matches(&self, e: &Execution) -> bool {
        // Like n8n, running executions only show when asked for by status.
        let status_ok = match self.status {
            Some(s) => e.status == s,
            None => e.status != Status::Running,
        };
        status_ok
            && self
                .workflow_id
                .as_deref()
                .is_none_or(|w| e.workflow_id() == w)
    }
}

/// The executions of an instance, oldest first, at most `cap` of them (the oldest
/// are dropped first). Ids only grow, so the log stays sorted by id.
#[derive(Debug)]
pub struct ExecutionLog {
    items: VecDeque<Execution>,
    next_id: u64,
    cap: usize,
    /// Ids of running and waiting executions, so settling does not scan the log.
    pending: Vec<u64>,
}

impl ExecutionLog {
    pub fn new(cap: usize) -> Self {
        Self {
            items: VecDeque::new(),
            next_id: 1,
            cap: cap.max(1),
            pending: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn push(&mut self, execution: Execution) {
        if execution.pending.is_some() {
            self.pending.push(execution.id);
        }
        self.items.push_back(execution);
        while self.items.len() > self.cap {
            self.items.pop_front();
        }
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.items.binary_search_by_key(&id, |e| e.id).ok()
    }

    pub fn get(&self, id: u64) -> Option<&Execution> {
        self.position(id).and_then(|i| self.items.get(i))
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Execution> {
        self.position(id).and_then(|i| self.items.get_mut(i))
    }

    pub fn remove(&mut self, id: u64) -> Option<Execution> {
        self.position(id).and_then(|i| self.items.remove(i))
    }

    pub fn retain(&mut self, keep: impl FnMut(&Execution) -> bool) {
        self.items.retain(keep);
    }

    #[cfg(test)]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Execution> {
        self.items.iter()
    }

    /// A page, newest first, of executions older than `before` (n8n's `lastId`),
    /// and whether more match after it.
    pub fn page(
        &self,
        filter: &ExecFilter,
        before: Option<u64>,
        limit: usize,
    ) -> (Vec<&Execution>, bool) {
        let end = match before {
            Some(id) => self.items.partition_point(|e| e.id < id),
            None => self.items.len(),
        };
        let mut matching = self.items.range(..end).rev().filter(|e| filter.matches(e));
        let page: Vec<&Execution> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        (page, more)
    }

    /// Ends every running or waiting execution that is due; returns the ids that
    /// ended (so retries can be linked to their originals).
    pub fn settle(&mut self, now: Ts) -> Vec<(u64, Status)> {
        let mut ended = Vec::new();
        let mut still = Vec::with_capacity(self.pending.len());
        for id in std::mem::take(&mut self.pending) {
            let Some(e) = self.get_mut(id) else { continue };
            if e.settle(now) {
                ended.push((id, e.status));
            } else if e.pending.is_some() {
                still.push(id);
            }
        }
        self.pending = still;
        ended
    }

    /// Ends a running or waiting execution now (see [`Execution::finish`]); `None`
    /// when there is no such execution or it had already ended.
    pub fn finish(
        &mut self,
        id: u64,
        now: Ts,
        status: Status,
        failure: Option<Failure>,
    ) -> Option<(u64, Status)> {
        let e = self.get_mut(id)?;
        e.finish(now, status, failure).then_some((id, status))
    }

    /// Links finished retries to the executions they retried (`retrySuccessId`).
    pub fn link_retries(&mut self, ended: &[(u64, Status)]) {
        for &(id, status) in ended {
            if status != Status::Success {
                continue;
            }
            let original = self.get(id).and_then(|e| e.retry_of);
            if let Some(e) = original.and_then(|o| self.get_mut(o)) {
                e.retry_success_id = Some(id);
            }
        }
    }
}

/// Draws how a new run of a workflow goes. `at` is when it starts; `forced`
/// fixes the status (tests, retries). Running and waiting runs get a `Pending`
/// end unless they start in the past far enough to have ended.
pub fn plan(
    id: u64,
    snapshot: Arc<Snapshot>,
    rng: &mut Rng,
    at: Ts,
    mode: Option<Mode>,
    forced: Option<Status>,
) -> Execution {
    let status = forced.unwrap_or_else(|| draw_status(rng));
    let duration = rng.run_duration_ms() as i64;
    let mode = mode.unwrap_or_else(|| mode_of(&snapshot.profile, snapshot.active, rng));
    let seed = rng.next_u64();
    let mut e = Execution {
        id,
        status,
        mode,
        retry_of: None,
        retry_success_id: None,
        created_at: at.plus_ms(-(rng.between(1, 40) as i64)),
        started_at: at,
        stopped_at: Some(at.plus_ms(duration)),
        wait_till: None,
        snapshot,
        failure: None,
        pending: None,
        seed,
    };
    match status {
        Status::Error | Status::Crashed => {
            e.failure = runs::choose_failure(&e.snapshot.profile, rng)
        }
        Status::Running => {
            let end = if rng.chance(0.85) {
                Status::Success
            } else {
                Status::Error
            };
            let failure = (end == Status::Error)
                .then(|| runs::choose_failure(&e.snapshot.profile, rng))
                .flatten();
            e.stopped_at = None;
            e.pending = Some(Pending {
                at: at.plus_ms(duration.max(2_000)),
                status: end,
                failure,
            });
        }
        Status::Waiting => {
            let until = at.plus_ms(rng.between(30_000, 3_600_000) as i64);
            e.wait_till = Some(until);
            e.pending = Some(Pending {
                at: until,
                status: Status::Success,
                failure: None,
            });
        }
        _ => {}
    }
    e
}

fn draw_status(rng: &mut Rng) -> Status {
    let roll = rng.unit();
    if roll < 0.86 {
        Status::Success
    } else if roll < 0.96 {
        Status::Error
    } else if roll < 0.975 {
        Status::Running
    } else if roll < 0.99 {
        Status::Waiting
    } else {
        Status::Canceled
    }
}

/// Webhook-started workflows run in `webhook` mode, other triggers in `trigger`
/// mode; inactive workflows only run by hand.
fn mode_of(profile: &RunProfile, active: bool, rng: &mut Rng) -> Mode {
    if !active || rng.chance(0.03) {
        Mode::Manual
    } else if profile.webhook {
        Mode::Webhook
    } else if profile.trigger {
        Mode::Trigger
    } else {
        Mode::Manual
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::json::to_json;

    fn snapshot() -> Arc<Snapshot> {
        let nodes = json!([
            {"name": "Hook", "type": "n8n-nodes-base.webhook"},
            {"name": "Call", "type": "n8n-nodes-base.httpRequest"}
        ]);
        let connections =
            json!({"Hook": {"main": [[{"node": "Call", "type": "main", "index": 0}]]}});
        Arc::new(Snapshot {
            workflow_id: "w1".into(),
            name: "W".into(),
            active: true,
            active_version_id: None,
            nodes: to_json(&nodes),
            connections: to_json(&connections),
            settings: to_json(&json!({})),
            created_at: Ts::now(),
            updated_at: Ts::now(),
            profile: Arc::new(RunProfile::of(&nodes, &connections)),
        })
    }

    fn log_with(statuses: &[Status]) -> ExecutionLog {
        let mut log = ExecutionLog::new(100);
        let mut rng = Rng::new(1);
        for s in statuses {
            let id = log.next_id();
            log.push(plan(id, snapshot(), &mut rng, Ts::now(), None, Some(*s)));
        }
        log
    }

    #[test]
    fn pages_newest_first_and_hides_running() {
        use Status::*;
        let log = log_with(&[Success, Error, Running, Success, Waiting]);
        let all = ExecFilter::default();
        let (page, more) = log.page(&all, None, 2);
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [5, 4]);
        assert!(more);
        let (page, more) = log.page(&all, Some(4), 2);
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [2, 1]);
        assert!(!more);
        let running = ExecFilter {
            status: Some(Running),
            ..Default::default()
        };
        assert_eq!(log.page(&running, None, 10).0.len(), 1);
    }

    #[test]
    fn cap_drops_the_oldest() {
        let mut log = ExecutionLog::new(3);
        let mut rng = Rng::new(2);
        for _ in 0..5 {
            let id = log.next_id();
            log.push(plan(id, snapshot(), &mut rng, Ts::now(), None, None));
        }
        assert_eq!(log.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4, 5]);
        assert!(log.get(1).is_none());
        assert!(log.get(4).is_some());
    }

    #[test]
    fn errors_carry_a_failing_node_and_ids_are_strings() {
        let log = log_with(&[Status::Error]);
        let e = log.get(1).unwrap();
        assert_eq!(e.failure.as_ref().map(|f| f.node.as_str()), Some("Call"));
        let v = serde_json::to_value(e.view(ExecView::List, false)).unwrap();
        assert_eq!(v["id"], "1");
        assert_eq!(v["finished"], false);
        assert!(v.get("data").is_none());
        let v = serde_json::to_value(e.view(ExecView::Deleted, false)).unwrap();
        assert_eq!(v["id"], 1);
    }

    #[test]
    fn running_executions_settle() {
        let mut log = log_with(&[Status::Running]);
        assert_eq!(log.get(1).unwrap().stopped_at, None);
        let ended = log.settle(Ts::now().plus_ms(24 * 3_600_000));
        assert_eq!(ended.len(), 1);
        let e = log.get(1).unwrap();
        assert!(matches!(e.status, Status::Success | Status::Error));
        assert!(e.stopped_at.is_some());
    }
}
