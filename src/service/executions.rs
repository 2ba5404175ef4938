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
use std::collections::{BTreeMap, HashMap};

/// Executions per environment in one poll when the query does not say.
pub const DEFAULT_POLL_LIMIT: usize = 50;
/// The most per environment in one poll, whatever the query says.
pub const MAX_POLL_LIMIT: usize = 1000;
/// The audit action of a retry.
pub const RETRY_ACTION: &str = "execution.retry";

/// The statuses n8n's `GET /executions?status=` accepts.
const FILTERABLE: [&str; 5] = ["canceled", "error", "running", "success", "waiting"];

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
        let polls = envs.iter().map(|env| {
            let after = query.after.get(&env.name).map(String::as_str);
            self.poll_env(env, &filter, limit, after)
        });
        let results = join_all(polls).await;

        let mut page = ExecutionsPage {
            executions: Vec::new(),
            cursors: BTreeMap::new(),
            errors: Vec::new(),
        };
        for (env, result) in envs.iter().zip(results) {
            let previous = query.after.get(&env.name).cloned();
            match result {
                Ok(views) => {
                    let newest = views.iter().map(|v| v.id.clone()).chain(previous);
                    if let Some(cursor) = newest.max_by(|a, b| compare_ids(a, b)) {
                        page.cursors.insert(env.name.clone(), cursor);
                    }
                    page.executions.extend(views);
                }
                Err(e) => {
                    if let Some(cursor) = previous {
                        page.cursors.insert(env.name.clone(), cursor);
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

    /// One environment's executions newer than `after`, newest first, with names.
    async fn poll_env(
        &self,
        env: &EnvRow,
        filter: &ExecutionFilter,
        limit: usize,
        after: Option<&str>,
    ) -> OpsResult<Vec<ExecutionView>> {
        let client = self.client(env).await?;
        let executions = client.recent_executions(filter, limit, after).await?;
        let names = self
            .workflow_names(env, executions.iter().map(|e| e.workflow_id.clone()))
            .await?;
        Ok(executions
            .into_iter()
            .map(|e| view(&env.name, e, &names))
            .collect())
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

impl ExecutionView {
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
