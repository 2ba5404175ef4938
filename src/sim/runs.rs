//! What one simulated run of a workflow looked like: which nodes ran, in which
//! order, where it failed and with which error, and the execution `data` n8n
//! returns with `includeData=true`.
//!
//! Only a seed and the failure are stored per execution; the data is rebuilt on
//! demand from the workflow version the run used, deterministically.

use super::json::{Json, Ts, parse};
use super::rng::Rng;
use super::workflows::{is_trigger_type, node_list};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet, VecDeque};

/// Longest run path synthesized (keeps `includeData` answers bounded).
const MAX_PATH: usize = 60;

/// Where and how a run failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub node: String,
    pub message: String,
    /// `NodeApiError` or `NodeOperationError`.
    pub class: &'static str,
    pub http_code: Option<&'static str>,
}

/// What planning a run needs to know about one workflow version, worked out
/// once when the version is saved (so recording an execution parses nothing).
#[derive(Debug, Default, PartialEq)]
pub struct RunProfile {
    /// The nodes a run passes through, in order, with their types.
    pub path: Vec<(String, String)>,
    /// Starts from a webhook-style node (runs have mode `webhook`).
    pub webhook: bool,
    /// Starts from another trigger (runs have mode `trigger`).
    pub trigger: bool,
}

impl RunProfile {
    pub fn of(nodes: &Value, connections: &Value) -> RunProfile {
        let types: HashMap<&str, &str> = node_list(nodes)
            .filter_map(|n| Some((n.get("name")?.as_str()?, n.get("type")?.as_str()?)))
            .collect();
        let path = run_path(nodes, connections)
            .into_iter()
            .map(|name| {
                let t = types
                    .get(name.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_owned();
                (name, t)
            })
            .collect();
        RunProfile {
            path,
            webhook: types.values().any(|t| super::workflows::is_webhook_type(t)),
            trigger: types.values().any(|t| is_trigger_type(t)),
        }
    }
}

/// The nodes a run would pass through, from its start node along the `main`
/// connections (breadth first), without sticky notes and disabled nodes.
pub fn run_path(nodes: &Value, connections: &Value) -> Vec<String> {
    let runnable: Vec<&Map<String, Value>> = node_list(nodes)
        .filter(|n| {
            !n.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("stickyNote"))
        })
        .filter(|n| n.get("disabled") != Some(&Value::Bool(true)))
        .collect();
    let name = |n: &Map<String, Value>| n.get("name").and_then(Value::as_str).map(str::to_owned);
    let node_type = |n: &&Map<String, Value>| {
        n.get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let start = runnable
        .iter()
        .find(|n| is_trigger_type(&node_type(n)))
        .or_else(|| runnable.iter().find(|n| node_type(n).ends_with("Trigger")))
        .or_else(|| runnable.first());
    let Some(start) = start.and_then(|n| name(n)) else {
        return Vec::new();
    };
    let known: HashSet<String> = runnable.iter().filter_map(|n| name(n)).collect();
    let mut seen = HashSet::from([start.clone()]);
    let mut order = Vec::new();
    let mut queue = VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        order.push(current.clone());
        if order.len() >= MAX_PATH {
            break;
        }
        let outputs = connections
            .get(&current)
            .and_then(|c| c.get("main"))
            .and_then(Value::as_array);
        for target in outputs
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            if let Some(next) = target.get("node").and_then(Value::as_str)
                && known.contains(next)
                && seen.insert(next.to_owned())
            {
                queue.push_back(next.to_owned());
            }
        }
    }
    order
}

/// Picks the failing node of an errored run and a realistic error for its type.
pub fn choose_failure(profile: &RunProfile, rng: &mut Rng) -> Option<Failure> {
    let path = &profile.path;
    let candidates = if path.len() > 1 {
        &path[1..]
    } else {
        &path[..]
    };
    // Nodes that talk to the outside world fail far more often.
    let weight = |t: &str| {
        if t.contains("httpRequest")
            || t.contains("code")
            || t.contains("function")
            || !t.starts_with("n8n-nodes-base.")
        {
            4
        } else if is_core(t) {
            1
        } else {
            3
        }
    };
    let total: u64 = candidates.iter().map(|(_, t)| weight(t)).sum();
    let mut roll = rng.below(total);
    let (node, node_type) = candidates.iter().find(|(_, t)| {
        let w = weight(t);
        if roll < w {
            true
        } else {
            roll -= w;
            false
        }
    })?;
    let (message, class, http_code) = error_for(node_type, rng);
    Some(Failure {
        node: node.clone(),
        message: message.to_owned(),
        class,
        http_code,
    })
}

fn is_core(node_type: &str) -> bool {
    [
        ".if",
        ".switch",
        ".set",
        ".merge",
        ".noOp",
        ".wait",
        ".splitInBatches",
        ".filter",
        ".aggregate",
        ".splitOut",
    ]
    .iter()
    .any(|s| node_type.ends_with(s))
}

fn error_for(node_type: &str, rng: &mut Rng) -> (&'static str, &'static str, Option<&'static str>) {
    const HTTP: &[(&str, Option<&str>)] = &[
        (
            "The resource you are requesting could not be found",
            Some("404"),
        ),
        ("Bad request - please check your parameters", Some("400")),
        (
            "Authorization failed - please check your credentials",
            Some("401"),
        ),
        (
            "The service was not able to process your request",
            Some("500"),
        ),
        (
            "Service unavailable - try again later or consider setting this node to retry automatically (in the node settings)",
            Some("503"),
        ),
        (
            "The service is receiving too many requests from you",
            Some("429"),
        ),
        (
            "The connection to the server was closed unexpectedly, perhaps it is offline. You can retry the request immediately or wait and retry later.",
            None,
        ),
        ("timeout of 300000ms exceeded", None),
        ("getaddrinfo ENOTFOUND api.internal.example", None),
    ];
    const CODE: &[&str] = &[
        "Cannot read properties of undefined (reading 'id') [line 4]",
        "items is not defined [line 2]",
        "Unexpected token '}' [line 12]",
        "Code doesn't return items properly",
        "Cannot read properties of null (reading 'map') [line 7]",
        "JSON.parse: Unexpected end of JSON input [line 3]",
    ];
    const DATABASE: &[&str] = &[
        "duplicate key value violates unique constraint \"orders_pkey\"",
        "relation \"customers\" does not exist",
        "Connection terminated due to connection timeout",
        "deadlock detected",
    ];
    const CORE: &[&str] = &[
        "Wrong type: 'abc' is a string but was expecting a number [condition 0, item 0]",
        "Referenced node is unexecuted",
        "Invalid expression",
    ];
    const APP: &[(&str, Option<&str>)] = &[
        ("Forbidden - perhaps check your credentials?", Some("403")),
        (
            "The resource you are requesting could not be found",
            Some("404"),
        ),
        (
            "Authorization failed - please check your credentials",
            Some("401"),
        ),
        (
            "The service is receiving too many requests from you",
            Some("429"),
        ),
        ("Bad request - please check your parameters", Some("400")),
        (
            "Service unavailable - try again later or consider setting this node to retry automatically (in the node settings)",
            Some("503"),
        ),
    ];
    if node_type.contains("code") || node_type.contains("function") {
        return (
            rng.pick_or(CODE, "Unknown error"),
            "NodeOperationError",
            None,
        );
    }
    if ["postgres", "mySql", "mongoDb", "microsoftSql", "redis"]
        .iter()
        .any(|d| node_type.ends_with(d))
    {
        return (
            rng.pick_or(DATABASE, "Unknown error"),
            "NodeOperationError",
            None,
        );
    }
    if is_core(node_type) {
        return (
            rng.pick_or(CORE, "Unknown error"),
            "NodeOperationError",
            None,
        );
    }
    let table = if node_type.contains("httpRequest") {
        HTTP
    } else {
        APP
    };
    let (message, code) = rng.pick_or(table, ("Unknown error", None));
    (message, "NodeApiError", code)
}

/// What `data` describes: how far the run got and how it ended.
pub struct RunShape<'a> {
    pub started_at: Ts,
    pub mode: &'a str,
    pub seed: u64,
    pub failure: Option<&'a Failure>,
    /// Still going (running or waiting): only part of the path has run.
    pub unfinished: bool,
}

/// The `data` object of an execution, rebuilt from the workflow version it ran.
pub fn execution_data(nodes_json: &Json, connections_json: &Json, shape: &RunShape<'_>) -> Value {
    let nodes = parse(nodes_json);
    let connections = parse(connections_json);
    let by_name: HashMap<&str, &Map<String, Value>> = node_list(&nodes)
        .filter_map(|n| Some((n.get("name")?.as_str()?, n)))
        .collect();
    let mut path = run_path(&nodes, &connections);
    let mut rng = Rng::new(shape.seed);
    if let Some(f) = shape.failure
        && let Some(i) = path.iter().position(|n| *n == f.node)
    {
        path.truncate(i + 1);
    }
    if shape.unfinished && path.len() > 1 {
        let keep = 1 + rng.index(path.len() - 1);
        path.truncate(keep);
    }

    let mut run_data = Map::new();
    let mut clock = shape.started_at.millis();
    let mut previous: Option<&str> = None;
    let mut error = Value::Null;
    for (index, name) in path.iter().enumerate() {
        let took = rng.between(0, 120) as i64;
        let source = match previous {
            Some(p) => json!([{ "previousNode": p }]),
            None => json!([]),
        };
        let node_json = by_name
            .get(name.as_str())
            .map(|n| Value::Object((*n).clone()))
            .unwrap_or(Value::Null);
        let failed = shape.failure.filter(|f| f.node == *name);
        let mut entry = json!({
            "startTime": clock,
            "executionIndex": index,
            "source": source,
            "hints": [],
            "executionTime": took,
            "executionStatus": if failed.is_some() { "error" } else { "success" },
        });
        if let Some(f) = failed {
            error = error_object(f, node_json, clock + took);
            entry["error"] = error.clone();
        } else {
            entry["data"] = json!({ "main": [items(&mut rng, index)] });
        }
        run_data.insert(name.clone(), json!([entry]));
        clock += took + rng.between(0, 5) as i64;
        previous = Some(name);
    }

    let mut result = json!({ "runData": run_data });
    if let Some(last) = path.last() {
        result["lastNodeExecuted"] = json!(last);
    }
    if !error.is_null() {
        result["error"] = error;
    }
    let stack = match (shape.failure, path.last()) {
        (Some(f), Some(last)) if *last == f.node => {
            let node = by_name
                .get(last.as_str())
                .map(|n| Value::Object((*n).clone()))
                .unwrap_or(Value::Null);
            let source = if path.len() > 1 {
                json!({ "main": [{ "previousNode": path[path.len() - 2] }] })
            } else {
                Value::Null
            };
            json!([{ "node": node, "data": { "main": [items(&mut rng, 0)] }, "source": source }])
        }
        _ => json!([]),
    };
    json!({
        "version": 1,
        "startData": {},
        "resultData": result,
        "executionData": {
            "contextData": {},
            "nodeExecutionStack": stack,
            "metadata": {},
            "waitingExecution": {},
            "waitingExecutionSource": {},
            "runtimeData": { "version": 1, "establishedAt": shape.started_at.millis(), "source": shape.mode },
        },
    })
}

fn error_object(f: &Failure, node: Value, timestamp: i64) -> Value {
    let node_type = node
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("n8n-nodes-base.noOp")
        .to_owned();
    let file = node_type.rsplit('.').next().unwrap_or("Node");
    let mut error = json!({
        "level": "error",
        "tags": {},
        "description": null,
        "context": {},
        "timestamp": timestamp,
        "node": node,
        "name": f.class,
        "message": f.message,
        "stack": format!(
            "{}: {}\n    at ExecuteContext.execute (/usr/local/lib/node_modules/n8n/node_modules/n8n-nodes-base/dist/nodes/{file}.node.js:1:1)\n    at WorkflowExecute.executeNode (/usr/local/lib/node_modules/n8n/node_modules/n8n-core/dist/execution-engine/workflow-execute.js:1045:31)",
            f.class, f.message
        ),
    });
    if let Some(code) = f.http_code {
        error["httpCode"] = json!(code);
    }
    error
}

/// A few plausible output items of one node.
fn items(rng: &mut Rng, index: usize) -> Value {
    const STATUS: &[&str] = &["ok", "created", "updated", "queued", "skipped"];
    let count = 1 + rng.index(3);
    Value::Array(
        (0..count)
            .map(|i| {
                json!({
                    "json": {
                        "id": 1000 + rng.below(90_000),
                        "status": rng.pick_or(STATUS, "ok"),
                        "step": index,
                        "amount": (rng.below(100_000) as f64) / 100.0,
                    },
                    "pairedItem": { "item": i },
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::json::to_json;

    fn sample() -> (Value, Value) {
        let nodes = json!([
            {"name": "Note", "type": "n8n-nodes-base.stickyNote", "parameters": {}},
            {"name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {}},
            {"name": "If", "type": "n8n-nodes-base.if", "parameters": {}},
            {"name": "Call API", "type": "n8n-nodes-base.httpRequest", "parameters": {}},
            {"name": "Skip", "type": "n8n-nodes-base.noOp", "disabled": true, "parameters": {}},
            {"name": "Done", "type": "n8n-nodes-base.set", "parameters": {}}
        ]);
        let connections = json!({
            "Hook": {"main": [[{"node": "If", "type": "main", "index": 0}]]},
            "If": {"main": [[{"node": "Call API", "type": "main", "index": 0}], [{"node": "Skip", "type": "main", "index": 0}]]},
            "Call API": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}
        });
        (nodes, connections)
    }

    #[test]
    fn path_follows_connections_from_the_trigger() {
        let (nodes, connections) = sample();
        assert_eq!(
            run_path(&nodes, &connections),
            ["Hook", "If", "Call API", "Done"]
        );
    }

    #[test]
    fn failures_name_a_node_on_the_path() {
        let (nodes, connections) = sample();
        let profile = RunProfile::of(&nodes, &connections);
        assert!(profile.webhook && profile.trigger);
        let names: Vec<&String> = profile.path.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Hook", "If", "Call API", "Done"]);
        for seed in 0..50 {
            let f = choose_failure(&profile, &mut Rng::new(seed)).unwrap();
            assert!(names[1..].contains(&&f.node));
            assert!(!f.message.is_empty());
        }
    }

    #[test]
    fn data_of_a_failed_run() {
        let (nodes, connections) = sample();
        let failure = Failure {
            node: "Call API".into(),
            message: "Bad request - please check your parameters".into(),
            class: "NodeApiError",
            http_code: Some("400"),
        };
        let shape = RunShape {
            started_at: Ts::now(),
            mode: "webhook",
            seed: 1,
            failure: Some(&failure),
            unfinished: false,
        };
        let data = execution_data(&to_json(&nodes), &to_json(&connections), &shape);
        let result = &data["resultData"];
        assert_eq!(result["lastNodeExecuted"], "Call API");
        assert_eq!(
            result["error"]["message"],
            "Bad request - please check your parameters"
        );
        assert_eq!(result["error"]["node"]["name"], "Call API");
        assert_eq!(result["runData"]["Call API"][0]["executionStatus"], "error");
        assert!(result["runData"].get("Done").is_none());
        assert_eq!(result["runData"]["Hook"][0]["executionStatus"], "success");
    }
}
