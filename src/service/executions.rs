//! The live execution tail: incremental polls of every environment, detail and retry.
//!
//! Executions are read live from n8n, never from the store; only workflow names come
//! from the store (those of the last sync).

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::n8n::{Execution, ExecutionFilter, ExecutionStatus, N8nClient, N8nError};
use crate::store::environments::{self, EnvRow};
use crate::store::workflows;
use futures_util::future::join_all;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Executions per environment on a first poll when the query does not say.
pub const DEFAULT_POLL_LIMIT: usize = 50;
/// The most per environment in one poll: on a first poll whatever the query says,
/// and with a cursor how many newer ones are caught up on before a gap is left.
pub const MAX_POLL_LIMIT: usize = 1000;
/// The most running (or waiting) executions read per environment in one poll.
const MAX_UNFINISHED: usize = 250;
/// The most held executions read one by one per environment in one poll; the
/// others wait for the next poll.
const MAX_REREAD: usize = 25;
/// The audit action of a retry.
pub const RETRY_ACTION: &str = "execution.retry";

/// The statuses n8n's `GET /executions?status=` accepts.
const FILTERABLE: [&str; 5] = ["canceled", "error", "running", "success", "waiting"];

/// What one environment answered to a poll.
struct EnvPoll {
    executions: Vec<ExecutionView>,
    cursor: Option<String>,
    gap: Option<ExecutionGap>,
    gone: Vec<String>,
}

impl LocalOps {
    pub(super) async fn poll_executions(
        &self,
        query: ExecutionsQuery,
    ) -> OpsResult<ExecutionsPage> {
        let filter = ExecutionFilter {
            status: query.status.as_deref().map(status_filter).transpose()?,
            workflow_id: query.workflow_id.clone().filter(|w| !w.is_empty()),
            ..ExecutionFilter::default()
        };
        let limit = match query.limit {
            0 => DEFAULT_POLL_LIMIT,
            n => n.min(MAX_POLL_LIMIT),
        };
        let envs = self.envs_named(&query.envs).await?;
        let none_held = BTreeMap::new();
        let polls = envs.iter().map(|env| {
            let after = query.after.get(&env.name).map(String::as_str);
            let held = query.unfinished.get(&env.name).unwrap_or(&none_held);
            self.poll_env(env, &filter, limit, after, held)
        });
        let results = join_all(polls).await;

        let mut page = ExecutionsPage {
            executions: Vec::new(),
            cursors: BTreeMap::new(),
            errors: Vec::new(),
            gaps: Vec::new(),
            gone: Vec::new(),
        };
        for (env, result) in envs.iter().zip(results) {
            match result {
                Ok(polled) => {
                    if let Some(cursor) = polled.cursor {
                        page.cursors.insert(env.name.clone(), cursor);
                    }
                    page.executions.extend(polled.executions);
                    page.gaps.extend(polled.gap);
                    page.gone
                        .extend(polled.gone.into_iter().map(|id| ExecutionRef {
                            env: env.name.clone(),
                            id,
                        }));
                }
                Err(e) => {
                    if let Some(cursor) = query.after.get(&env.name) {
                        page.cursors.insert(env.name.clone(), cursor.clone());
                    }
                    page.errors.push(EnvProblem {
                        env: env.name.clone(),
                        message: without_env(&env.name, &e.message),
                    });
                }
            }
        }
        page.executions.sort_by(newest_first);
        Ok(page)
    }

    pub(super) async fn get_execution(&self, r: &ExecutionRef) -> OpsResult<ExecutionDetail> {
        let (env, client) = self.env_client(&r.env).await?;
        let execution = client
            .get_execution(&r.id, true)
            .await
            .map_err(|e| execution_error("reading", r, e))?;
        let failure = execution.failure();
        let nodes = execution.data.as_ref().map(node_runs).unwrap_or_default();
        let names = self
            .workflow_names(&env, [execution.workflow_id.clone()])
            .await?;
        Ok(ExecutionDetail {
            execution: view(&env.name, execution, &names),
            failing_node: failure.as_ref().and_then(|f| f.node.clone()),
            error_message: failure.map(|f| f.message),
            nodes,
        })
    }

    pub(super) async fn retry_execution(&self, r: &ExecutionRef) -> OpsResult<ExecutionView> {
        let (env, client) = match self.env_client(&r.env).await {
            Ok(found) => found,
            Err(err) => {
                let err = OpsError::new(
                    err.kind,
                    format!(
                        "cannot retry execution {} of {}: {}",
                        r.id, r.env, err.message
                    ),
                );
                self.audit_failure(RETRY_ACTION, Some(&r.env), &err).await;
                return Err(err);
            }
        };
        let target = r.clone();
        let retried = self
            .audited(RETRY_ACTION, Some(&r.env), move |_conn| {
                Box::pin(async move {
                    let new = client
                        .retry_execution(&target.id)
                        .await
                        .map_err(|e| execution_error("retrying", &target, e))?;
                    let detail = format!(
                        "execution {} of workflow {} retried as {} ({})",
                        target.id, new.workflow_id, new.id, new.status
                    );
                    Ok((new, Some(detail)))
                })
            })
            .await?;
        let names = self
            .workflow_names(&env, [retried.workflow_id.clone()])
            .await?;
        Ok(view(&env.name, retried, &names))
    }

    /// The named environments (all when `names` is empty); an unknown name is an error.
    async fn envs_named(&self, names: &[String]) -> OpsResult<Vec<EnvRow>> {
        let mut conn = self.store.conn().await?;
        if names.is_empty() {
            return Ok(environments::list(&mut conn).await?);
        }
        let mut envs: Vec<EnvRow> = Vec::with_capacity(names.len());
        for name in names {
            if envs.iter().all(|e| &e.name != name) {
                envs.push(environments::get(&mut conn, name).await?);
            }
        }
        Ok(envs)
    }

    async fn env_client(&self, name: &str) -> OpsResult<(EnvRow, N8nClient)> {
        let env = {
            let mut conn = self.store.conn().await?;
            environments::get(&mut conn, name).await?
        };
        let client = self.client(&env).await?;
        Ok((env, client))
    }

    /// One environment's news: executions newer than `after`; the running ones,
    /// which n8n lists only when asked for by status (so a run that outlasts a
    /// poll is seen while it runs); and those the caller holds as unfinished
    /// (`held`, id -> status) whose status changed, so one is seen when it ends.
    ///
    /// Running ones are asked for after the newer ones, so a run left out of the
    /// first list as running is in the second, unless it ended in the moment
    /// between the two requests.
    async fn poll_env(
        &self,
        env: &EnvRow,
        filter: &ExecutionFilter,
        limit: usize,
        after: Option<&str>,
        held: &BTreeMap<String, String>,
    ) -> OpsResult<EnvPoll> {
        let client = self.client(env).await?;
        let (newer, skipped) = newer_than(&client, filter, limit, after).await?;
        let cursor = newer
            .iter()
            .map(|e| e.id.as_str())
            .chain(after)
            .max_by(|a, b| compare_ids(a, b))
            .map(str::to_owned);
        let gap = after.zip(skipped).map(|(after, until)| ExecutionGap {
            env: env.name.clone(),
            at_most: after
                .parse::<u64>()
                .ok()
                .zip(until.parse::<u64>().ok())
                .map(|(a, u)| u.saturating_sub(a)),
            after: after.to_owned(),
            until,
        });

        let mut news = News::new(held);
        for e in newer {
            news.put(e);
        }
        if filter.status.is_none() {
            let running = with_status(filter, ExecutionStatus::Running);
            for e in client
                .recent_executions(&running, MAX_UNFINISHED, None)
                .await?
            {
                news.put_if_changed(e);
            }
        }
        if news.unresolved().next().is_some() {
            let waiting = with_status(filter, ExecutionStatus::Waiting);
            for e in client
                .recent_executions(&waiting, MAX_UNFINISHED, None)
                .await?
            {
                if held.contains_key(&e.id) {
                    news.put_if_changed(e);
                }
            }
        }
        // The held ones in neither list have ended (or are gone): read each.
        let mut reread: Vec<String> = news.unresolved().cloned().collect();
        reread.sort_by(|a, b| compare_ids(b, a));
        reread.truncate(MAX_REREAD);
        let reads = join_all(reread.iter().map(|id| client.get_execution(id, false))).await;
        let mut gone = Vec::new();
        for (id, read) in reread.into_iter().zip(reads) {
            match read {
                Ok(e) => news.put_if_changed(e),
                Err(N8nError::NotFound { .. }) => gone.push(id),
                Err(e) => return Err(e.into()),
            }
        }

        let names = self
            .workflow_names(env, news.found.iter().map(|e| e.workflow_id.clone()))
            .await?;
        Ok(EnvPoll {
            executions: news
                .found
                .into_iter()
                .map(|e| view(&env.name, e, &names))
                .collect(),
            cursor,
            gap,
            gone,
        })
    }

    /// Stored names of these workflows of `env`, by n8n id.
    async fn workflow_names(
        &self,
        env: &EnvRow,
        ids: impl IntoIterator<Item = String>,
    ) -> OpsResult<HashMap<String, String>> {
        let mut ids: Vec<String> = ids.into_iter().filter(|id| !id.is_empty()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.store.conn().await?;
        Ok(workflows::names(&mut conn, env.id, &ids).await?)
    }
}

/// Executions newer than `after`, newest first: without a cursor the latest
/// `limit`; with one, all of them up to [`MAX_POLL_LIMIT`], and then the id of
/// the newest one left out when there were more.
async fn newer_than(
    client: &N8nClient,
    filter: &ExecutionFilter,
    limit: usize,
    after: Option<&str>,
) -> Result<(Vec<Execution>, Option<String>), N8nError> {
    let Some(after) = after else {
        return Ok((client.recent_executions(filter, limit, None).await?, None));
    };
    let mut found = client
        .recent_executions(filter, MAX_POLL_LIMIT + 1, Some(after))
        .await?;
    let skipped = if found.len() > MAX_POLL_LIMIT {
        found.pop().map(|e| e.id)
    } else {
        None
    };
    Ok((found, skipped))
}

fn with_status(filter: &ExecutionFilter, status: ExecutionStatus) -> ExecutionFilter {
    ExecutionFilter {
        status: Some(status),
        ..filter.clone()
    }
}

/// What one poll found in one environment, once per execution: a later read of
/// an execution replaces an earlier one (executions only move on).
struct News<'a> {
    /// What the caller holds as unfinished: id -> status.
    held: &'a BTreeMap<String, String>,
    found: Vec<Execution>,
    at: HashMap<String, usize>,
    /// Every id read, put or not.
    seen: HashSet<String>,
}

impl<'a> News<'a> {
    fn new(held: &'a BTreeMap<String, String>) -> Self {
        News {
            held,
            found: Vec::new(),
            at: HashMap::new(),
            seen: HashSet::new(),
        }
    }

    fn put(&mut self, e: Execution) {
        self.seen.insert(e.id.clone());
        match self.at.get(&e.id) {
            Some(&i) => self.found[i] = e,
            None => {
                self.at.insert(e.id.clone(), self.found.len());
                self.found.push(e);
            }
        }
    }

    /// Puts an execution unless the caller holds it with this very status.
    fn put_if_changed(&mut self, e: Execution) {
        if self.held.get(&e.id).map(String::as_str) == Some(e.status.as_str()) {
            self.seen.insert(e.id);
        } else {
            self.put(e);
        }
    }

    /// Held executions not read yet.
    fn unresolved(&self) -> impl Iterator<Item = &String> {
        self.held.keys().filter(|id| !self.seen.contains(*id))
    }
}

impl ExecutionView {
    /// Still going: it may change, so a tail keeps asking about it.
    pub fn unfinished(&self) -> bool {
        matches!(self.status.as_str(), "new" | "running" | "waiting")
    }

    /// How long it ran; `None` while it runs or when n8n did not say.
    pub fn duration_ms(&self) -> Option<i64> {
        let (start, stop) = (self.started_at?, self.stopped_at?);
        Some((stop - start).num_milliseconds().max(0))
    }

    /// Ended in failure: what a retry is for.
    pub fn failed(&self) -> bool {
        matches!(self.status.as_str(), "error" | "crashed")
    }
}

/// `850ms`, `12.3s`, `4m05s`, `2h03m`: short enough for a table column.
pub fn short_duration(ms: i64) -> String {
    let secs = ms / 1000;
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}.{}s", secs, (ms % 1000) / 100)
    } else if ms < 3_600_000 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

fn status_filter(status: &str) -> OpsResult<ExecutionStatus> {
    if FILTERABLE.contains(&status) {
        Ok(ExecutionStatus::from(Some(status.to_owned())))
    } else {
        Err(OpsError::invalid(format!(
            "unknown execution status filter '{status}': use one of {}",
            FILTERABLE.join(", ")
        )))
    }
}

fn view(env: &str, e: Execution, names: &HashMap<String, String>) -> ExecutionView {
    let workflow_id = Some(e.workflow_id).filter(|w| !w.is_empty());
    ExecutionView {
        env: env.to_owned(),
        workflow_name: workflow_id.as_ref().and_then(|w| names.get(w).cloned()),
        workflow_id,
        id: e.id,
        status: e.status.as_str().to_owned(),
        mode: Some(e.mode).filter(|m| !m.is_empty()),
        started_at: e.started_at,
        stopped_at: e.stopped_at,
        retry_of: e.retry_of,
    }
}

/// An n8n failure about one execution, with the kind a caller can act on.
fn execution_error(doing: &str, r: &ExecutionRef, e: N8nError) -> OpsError {
    let kind = match &e {
        N8nError::NotFound { .. } => ErrorKind::NotFound,
        N8nError::Rejected { status: 409, .. } => ErrorKind::Conflict,
        N8nError::Validation { .. } => ErrorKind::Invalid,
        _ => ErrorKind::Upstream,
    };
    let problem = without_env(&r.env, &e.to_string());
    OpsError::new(
        kind,
        format!("{doing} execution {} of {}: {problem}", r.id, r.env),
    )
}

/// Client errors start with the environment's name; a problem listed under its
/// environment does not need it twice.
fn without_env(env: &str, message: &str) -> String {
    message
        .strip_prefix(env)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(message)
        .to_owned()
}

/// Execution ids are increasing integers as strings: compared as numbers when they
/// are, as text otherwise.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
    }
}

/// Newest first: by start time, then id, then environment (so the order is total).
pub fn newest_first(a: &ExecutionView, b: &ExecutionView) -> Ordering {
    b.started_at
        .cmp(&a.started_at)
        .then_with(|| compare_ids(&b.id, &a.id))
        .then_with(|| a.env.cmp(&b.env))
}

/// The node runs recorded in an execution's `data`, in the order they ran.
fn node_runs(data: &Value) -> Vec<ExecutionNodeRun> {
    let Some(run_data) = data
        .get("resultData")
        .and_then(|r| r.get("runData"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut runs: Vec<((i64, i64), ExecutionNodeRun)> = Vec::new();
    for (node, node_runs) in run_data {
        for run in node_runs.as_array().into_iter().flatten() {
            let int = |key: &str| run.get(key).and_then(Value::as_i64);
            let status = run
                .get("executionStatus")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    if run.get("error").is_some_and(|e| !e.is_null()) {
                        "error".into()
                    } else {
                        "success".into()
                    }
                });
            let order = (
                int("startTime").unwrap_or(i64::MAX),
                int("executionIndex").unwrap_or(i64::MAX),
            );
            runs.push((
                order,
                ExecutionNodeRun {
                    node: node.clone(),
                    status,
                    duration_ms: int("executionTime"),
                    items: output_items(run),
                },
            ));
        }
    }
    runs.sort_by_key(|(order, _)| *order);
    runs.into_iter().map(|(_, run)| run).collect()
}

/// Items a node run put out, over all its outputs; `None` when it put out nothing.
fn output_items(run: &Value) -> Option<i64> {
    let outputs = run.get("data")?.get("main")?.as_array()?;
    let count = outputs
        .iter()
        .filter_map(Value::as_array)
        .map(|items| items.len() as i64)
        .sum();
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(id: &str, env: &str, secs: Option<i64>) -> ExecutionView {
        ExecutionView {
            env: env.into(),
            id: id.into(),
            workflow_id: None,
            workflow_name: None,
            status: "success".into(),
            mode: None,
            started_at: secs.map(|s| time_from_ms(s * 1000)),
            stopped_at: None,
            retry_of: None,
        }
    }

    #[test]
    fn durations_are_short() {
        let cases = [
            (0, "0ms"),
            (850, "850ms"),
            (12_345, "12.3s"),
            (245_000, "4m05s"),
            (7_380_000, "2h03m"),
        ];
        for (ms, text) in cases {
            assert_eq!(short_duration(ms), text);
        }
        let mut e = at("1", "dev", Some(10));
        assert_eq!(e.duration_ms(), None, "still running");
        e.stopped_at = Some(time_from_ms(12_500));
        assert_eq!(e.duration_ms(), Some(2_500));
    }

    #[test]
    fn ids_compare_as_numbers() {
        assert_eq!(compare_ids("10", "9"), Ordering::Greater);
        assert_eq!(compare_ids("9", "9"), Ordering::Equal);
        assert_eq!(compare_ids("abc", "abd"), Ordering::Less);
    }

    #[test]
    fn newest_first_by_time_then_id() {
        let mut list = [
            at("9", "dev", Some(100)),
            at("10", "dev", Some(100)),
            at("3", "prod", Some(200)),
            at("50", "prod", None),
        ];
        list.sort_by(newest_first);
        let order: Vec<_> = list.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(order, ["3", "10", "9", "50"]);
    }

    #[test]
    fn node_runs_in_the_order_they_ran() {
        let data = json!({"resultData": {"runData": {
            "B": [{"startTime": 20, "executionIndex": 1, "executionTime": 7,
                   "executionStatus": "success", "data": {"main": [[{}, {}], [{}]]}}],
            "A": [{"startTime": 10, "executionIndex": 0, "executionTime": 3,
                   "executionStatus": "success", "data": {"main": [[{}]]}}],
            "C": [{"startTime": 30, "executionIndex": 2, "error": {"message": "boom"}}]
        }}});
        let runs = node_runs(&data);
        let names: Vec<_> = runs.iter().map(|r| r.node.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(runs[1].items, Some(3));
        assert_eq!(runs[1].duration_ms, Some(7));
        assert_eq!((runs[2].status.as_str(), runs[2].items), ("error", None));
        assert!(node_runs(&json!({})).is_empty());
    }

    #[test]
    fn status_filters_are_those_n8n_accepts() {
        assert_eq!(status_filter("error").unwrap(), ExecutionStatus::Error);
        let err = status_filter("crashed").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert!(err.message.contains("crashed"));
    }

    #[test]
    fn env_prefix_is_dropped_once() {
        assert_eq!(without_env("prod", "prod: GET x: down"), "GET x: down");
        assert_eq!(without_env("prod", "production: down"), "production: down");
    }
}
