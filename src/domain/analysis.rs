//! What a workflow does, read off its JSON: triggers, HTTP calls, code nodes,
//! credentials, connections (dangling ones flagged) and a complexity score. Pure: any
//! JSON value is accepted, whatever its shape; what cannot be read is left out.

use super::workflow::{CredentialRef, credential_refs, is_trigger_type};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

const STICKY_NOTE: &str = "n8n-nodes-base.stickyNote";

/// One node, as the detail view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub disabled: bool,
}

impl NodeInfo {
    /// Sticky notes annotate the canvas; they never run and are never connected.
    pub fn is_sticky_note(&self) -> bool {
        self.node_type == STICKY_NOTE
    }
}

/// A node that starts the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub node: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub disabled: bool,
}

/// An HTTP request a node makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpCall {
    pub node: String,
    /// Upper case; `GET` when the node leaves it to n8n's default.
    pub method: String,
    /// As written, without the leading `=` of an expression; empty when absent.
    pub url: String,
    /// The URL is an n8n expression (`={{ ... }}`), computed at run time.
    pub expression: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeLanguage {
    JavaScript,
    Python,
}

impl CodeLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeLanguage::JavaScript => "JavaScript",
            CodeLanguage::Python => "Python",
        }
    }
}

/// A node that runs code written into the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeNode {
    pub node: String,
    pub language: CodeLanguage,
    /// Lines that are not blank.
    pub lines: usize,
}

/// One connection, as n8n stores it: from a node's output to a node's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub from: String,
    pub to: String,
    /// `main` for data; AI sub-nodes use `ai_tool`, `ai_languageModel`...
    pub kind: String,
    /// Which output of `from` (IF and Switch nodes have several).
    pub output: usize,
    /// Which input of `to` (Merge nodes have several).
    pub input: usize,
    /// `from` names no node of the workflow.
    pub from_missing: bool,
    /// `to` names no node of the workflow.
    pub to_missing: bool,
}

impl Connection {
    /// Either end names no node: the connection can never carry data.
    pub fn is_dangling(&self) -> bool {
        self.from_missing || self.to_missing
    }
}

/// How hard a workflow is to follow, with the parts it is summed from:
///
/// `score = nodes + 2·extra_paths + 3·code_nodes + ⌈code_lines / 20⌉ + http_calls`
///
/// - `nodes`: nodes that run (sticky notes left out);
/// - `extra_paths`: the graph's cyclomatic number `E − N + P` over connections
///   between existing nodes (`E` distinct node pairs, `N` nodes, `P` connected
///   groups): 0 for a straight line or a tree, one more for each branch that
///   joins again or loops back;
/// - `code_nodes`, `code_lines`: code written into the workflow (non-blank lines);
/// - `http_calls`: HTTP request nodes, each one a dependency on another system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Complexity {
    pub score: usize,
    pub nodes: usize,
    pub extra_paths: usize,
    pub code_nodes: usize,
    pub code_lines: usize,
    pub http_calls: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplexityLevel {
    Low,
    Medium,
    High,
}

impl Complexity {
    /// Below 15 low, below 40 medium, else high.
    pub fn level(&self) -> ComplexityLevel {
        match self.score {
            0..15 => ComplexityLevel::Low,
            15..40 => ComplexityLevel::Medium,
            _ => ComplexityLevel::High,
        }
    }
}

/// Everything read off one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Analysis {
    /// In the order of the workflow's `nodes`.
    pub nodes: Vec<NodeInfo>,
    pub triggers: Vec<Trigger>,
    pub http_calls: Vec<HttpCall>,
    pub code_nodes: Vec<CodeNode>,
    pub credentials: Vec<CredentialRef>,
    /// In the order of the workflow's `connections`.
    pub connections: Vec<Connection>,
    pub complexity: Complexity,
}

impl Analysis {
    pub fn dangling(&self) -> impl Iterator<Item = &Connection> {
        self.connections.iter().filter(|c| c.is_dangling())
    }

    pub fn dangling_count(&self) -> usize {
        self.dangling().count()
    }
}

pub fn analyze(workflow: &Value) -> Analysis {
    let node_values: Vec<&Value> = workflow
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|n| n.is_object())
        .collect();
    let nodes: Vec<NodeInfo> = node_values.iter().map(|n| node_info(n)).collect();
    let triggers = nodes
        .iter()
        .filter(|n| is_trigger_type(&n.node_type))
        .map(|n| Trigger {
            node: n.name.clone(),
            node_type: n.node_type.clone(),
            disabled: n.disabled,
        })
        .collect();
    let http_calls: Vec<HttpCall> = node_values.iter().filter_map(|n| http_call(n)).collect();
    let code_nodes: Vec<CodeNode> = node_values.iter().filter_map(|n| code_node(n)).collect();
    let names: HashSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let connections = connections(workflow.get("connections"), &names);
    let complexity = complexity(&nodes, &connections, &code_nodes, http_calls.len());
    Analysis {
        triggers,
        http_calls,
        code_nodes,
        credentials: credential_refs(workflow),
        connections,
        complexity,
        nodes,
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn node_info(node: &Value) -> NodeInfo {
    NodeInfo {
        name: str_field(node, "name").unwrap_or_default().to_owned(),
        node_type: str_field(node, "type").unwrap_or_default().to_owned(),
        disabled: node.get("disabled").and_then(Value::as_bool) == Some(true),
    }
}

/// The node type's last part: `n8n-nodes-base.httpRequest` -> `httpRequest`.
pub fn short_type(node_type: &str) -> &str {
    node_type.rsplit('.').next().unwrap_or(node_type)
}

fn http_call(node: &Value) -> Option<HttpCall> {
    let node_type = str_field(node, "type")?;
    if !matches!(
        short_type(node_type),
        "httpRequest" | "httpRequestTool" | "toolHttpRequest"
    ) {
        return None;
    }
    let params = node.get("parameters");
    let param = |key| params.and_then(|p| str_field(p, key));
    // Version 1 of the node calls it `requestMethod`.
    let method = param("method")
        .or_else(|| param("requestMethod"))
        .unwrap_or("GET")
        .to_uppercase();
    let raw_url = param("url").unwrap_or_default();
    let (url, expression) = match raw_url.strip_prefix('=') {
        Some(rest) => (rest, true),
        None => (raw_url, false),
    };
    Some(HttpCall {
        node: str_field(node, "name").unwrap_or_default().to_owned(),
        method,
        url: url.to_owned(),
        expression,
    })
}

fn code_node(node: &Value) -> Option<CodeNode> {
    let node_type = str_field(node, "type")?;
    let params = node.get("parameters");
    let param = |key| params.and_then(|p| str_field(p, key));
    let (language, code) = match short_type(node_type) {
        "code" | "toolCode" => match param("language") {
            Some(lang) if lang.starts_with("python") => (CodeLanguage::Python, param("pythonCode")),
            _ => (CodeLanguage::JavaScript, param("jsCode")),
        },
        "function" | "functionItem" => (CodeLanguage::JavaScript, param("functionCode")),
        _ => return None,
    };
    let lines = code
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    Some(CodeNode {
        node: str_field(node, "name").unwrap_or_default().to_owned(),
        language,
        lines,
    })
}

/// `{"<from>": {"<kind>": [[{"node": "<to>", "index": <input>}, ...], ...]}}`, the
/// outer list's index being the output. Entries of any other shape are skipped.
fn connections(value: Option<&Value>, names: &HashSet<&str>) -> Vec<Connection> {
    let mut out = Vec::new();
    let Some(sources) = value.and_then(Value::as_object) else {
        return out;
    };
    for (from, kinds) in sources {
        let Some(kinds) = kinds.as_object() else {
            continue;
        };
        for (kind, outputs) in kinds {
            let Some(outputs) = outputs.as_array() else {
                continue;
            };
            for (output, targets) in outputs.iter().enumerate() {
                // n8n writes `null` for an output with nothing connected.
                let Some(targets) = targets.as_array() else {
                    continue;
                };
                for target in targets {
                    let Some(to) = str_field(target, "node") else {
                        continue;
                    };
                    let input = target
                        .get("index")
                        .and_then(Value::as_u64)
                        .and_then(|i| usize::try_from(i).ok())
                        .unwrap_or(0);
                    out.push(Connection {
                        from: from.clone(),
                        to: to.to_owned(),
                        kind: kind.clone(),
                        output,
                        input,
                        from_missing: !names.contains(from.as_str()),
                        to_missing: !names.contains(to),
                    });
                }
            }
        }
    }
    out
}

fn complexity(
    nodes: &[NodeInfo],
    connections: &[Connection],
    code_nodes: &[CodeNode],
    http_calls: usize,
) -> Complexity {
    let working: Vec<&str> = nodes
        .iter()
        .filter(|n| !n.is_sticky_note())
        .map(|n| n.name.as_str())
        .collect();
    let index: HashMap<&str, usize> = working.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let pairs: BTreeSet<(usize, usize)> = connections
        .iter()
        .filter_map(|c| Some((*index.get(c.from.as_str())?, *index.get(c.to.as_str())?)))
        .collect();
    let groups = count_groups(working.len(), &pairs);
    let extra_paths = (pairs.len() + groups).saturating_sub(working.len());
    let code_lines: usize = code_nodes.iter().map(|c| c.lines).sum();
    let score = working.len()
        + 2 * extra_paths
        + 3 * code_nodes.len()
        + code_lines.div_ceil(20)
        + http_calls;
    Complexity {
        score,
        nodes: working.len(),
        extra_paths,
        code_nodes: code_nodes.len(),
        code_lines,
        http_calls,
    }
}

/// Connected groups of `n` nodes joined by `pairs` (direction ignored): union-find.
fn count_groups(n: usize, pairs: &BTreeSet<(usize, usize)>) -> usize {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..n).collect();
    let mut groups = n;
    for &(a, b) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
            groups -= 1;
        }
    }
    groups
}

/// The real workflows of ../shared/corpus/workflows for tests, which skip (saying so)
/// where the corpus is absent.
#[cfg(test)]
pub(crate) mod corpus {
    use serde_json::Value;
    use std::path::{Path, PathBuf};

    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows")
    }

    /// Every corpus file as (path under the corpus, JSON), sorted by path; `None`
    /// (and a SKIPPED line naming `test`) when the corpus is absent.
    pub fn workflows(test: &str) -> Option<Vec<(String, Value)>> {
        let dir = dir();
        if !dir.is_dir() {
            eprintln!("SKIPPED {test}: {} does not exist", dir.display());
            return None;
        }
        let mut paths = Vec::new();
        let mut pending = vec![dir.clone()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d)
                .expect("corpus dir readable")
                .flatten()
            {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let files = paths
            .into_iter()
            .map(|p| {
                let name = p.strip_prefix(&dir).unwrap_or(&p).display().to_string();
                let text = std::fs::read_to_string(&p).expect("corpus file readable");
                let json = serde_json::from_str(&text).unwrap_or(Value::Null);
                (name, json)
            })
            .collect();
        Some(files)
    }

    /// One corpus file by its path under the corpus; `None` (and a SKIPPED line) when
    /// it is absent.
    pub fn workflow(test: &str, name: &str) -> Option<Value> {
        let path = dir().join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("SKIPPED {test}: {} does not exist", path.display());
            return None;
        };
        Some(serde_json::from_str(&text).expect("corpus file is JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fan_out() -> Value {
        json!({
            "name": "Orders",
            "nodes": [
                {"name": "Hook", "type": "n8n-nodes-base.webhook"},
                {"name": "Route", "type": "n8n-nodes-base.switch"},
                {"name": "Fetch", "type": "n8n-nodes-base.httpRequest",
                 "parameters": {"method": "post", "url": "=https://api.example.com/{{ $json.id }}"}},
                {"name": "Legacy", "type": "n8n-nodes-base.httpRequest", "typeVersion": 1,
                 "parameters": {"requestMethod": "PUT", "url": "https://legacy.example.com/x"}},
                {"name": "Shape", "type": "n8n-nodes-base.code",
                 "parameters": {"jsCode": "const a = 1;\n\n  return items;\n"}},
                {"name": "Py", "type": "n8n-nodes-base.code", "disabled": true,
                 "parameters": {"language": "pythonNative", "pythonCode": "x = 1\nreturn _input.all()"}},
                {"name": "Old", "type": "n8n-nodes-base.function",
                 "parameters": {"functionCode": "return items;"}},
                {"name": "Merge", "type": "n8n-nodes-base.merge"},
                {"name": "Note", "type": "n8n-nodes-base.stickyNote"}
            ],
            "connections": {
                "Hook": {"main": [[{"node": "Route", "type": "main", "index": 0}]]},
                "Route": {"main": [
                    [{"node": "Fetch", "type": "main", "index": 0}],
                    null,
                    [{"node": "Legacy", "type": "main", "index": 0}]
                ]},
                "Fetch": {"main": [[{"node": "Merge", "type": "main", "index": 0}]]},
                "Legacy": {"main": [[{"node": "Merge", "type": "main", "index": 1},
                                     {"node": "Gone", "type": "main", "index": 0}]]},
                "Ghost": {"main": [[{"node": "Shape", "type": "main", "index": 0}]]}
            }
        })
    }

    #[test]
    fn reads_triggers_http_calls_and_code() {
        let a = analyze(&fan_out());
        assert_eq!(a.nodes.len(), 9);
        assert_eq!(a.triggers.len(), 1);
        assert_eq!(a.triggers[0].node, "Hook");
        assert_eq!(
            a.http_calls,
            vec![
                HttpCall {
                    node: "Fetch".into(),
                    method: "POST".into(),
                    url: "https://api.example.com/{{ $json.id }}".into(),
                    expression: true,
                },
                HttpCall {
                    node: "Legacy".into(),
                    method: "PUT".into(),
                    url: "https://legacy.example.com/x".into(),
                    expression: false,
                },
            ]
        );
        let code: Vec<(&str, CodeLanguage, usize)> = a
            .code_nodes
            .iter()
            .map(|c| (c.node.as_str(), c.language, c.lines))
            .collect();
        assert_eq!(
            code,
            vec![
                ("Shape", CodeLanguage::JavaScript, 2),
                ("Py", CodeLanguage::Python, 2),
                ("Old", CodeLanguage::JavaScript, 1),
            ]
        );
    }

    #[test]
    fn reads_connections_with_outputs_and_flags_dangling_ones() {
        let a = analyze(&fan_out());
        assert_eq!(a.connections.len(), 7);
        let legacy = a
            .connections
            .iter()
            .find(|c| c.from == "Route" && c.to == "Legacy")
            .expect("Route -> Legacy");
        assert_eq!((legacy.output, legacy.input), (2, 0));
        let dangling: Vec<(&str, &str, bool, bool)> = a
            .dangling()
            .map(|c| (c.from.as_str(), c.to.as_str(), c.from_missing, c.to_missing))
            .collect();
        assert_eq!(
            dangling,
            vec![
                ("Ghost", "Shape", true, false),
                ("Legacy", "Gone", false, true),
            ]
        );
    }

    #[test]
    fn complexity_follows_the_documented_formula() {
        let c = analyze(&fan_out()).complexity;
        // 8 working nodes; pairs Hook-Route, Route-Fetch, Route-Legacy, Fetch-Merge,
        // Legacy-Merge: 5 edges, groups {Hook..Merge}, {Shape}, {Py}, {Old} = 4.
        assert_eq!(c.nodes, 8);
        assert_eq!(c.extra_paths, 1);
        assert_eq!((c.code_nodes, c.code_lines, c.http_calls), (3, 5, 2));
        assert_eq!(c.score, 8 + 2 + 9 + 1 + 2);
        assert_eq!(c.level(), ComplexityLevel::Medium);
    }

    #[test]
    fn a_straight_line_has_no_extra_paths() {
        let wf = json!({
            "nodes": [{"name": "A", "type": "x.manualTrigger"}, {"name": "B", "type": "x.set"}],
            "connections": {"A": {"main": [[{"node": "B", "index": 0}]]}}
        });
        let c = analyze(&wf).complexity;
        assert_eq!((c.nodes, c.extra_paths, c.score), (2, 0, 2));
        assert_eq!(c.level(), ComplexityLevel::Low);
    }

    #[test]
    fn any_shape_is_accepted() {
        for wf in [
            json!(null),
            json!([1, 2]),
            json!({"nodes": "x", "connections": [1]}),
            json!({"nodes": [1, null, {"name": 5}], "connections": {"A": 3, "B": {"main": 4},
                   "C": {"main": [[{"node": 7}, 8, {"node": "C", "index": -1}]]}}}),
        ] {
            let a = analyze(&wf);
            assert!(a.connections.iter().all(|c| c.to == "C"));
        }
    }

    /// Every workflow of ../shared/corpus/workflows is analysed without a panic, and
    /// the connections that name no node are flagged (the corpus has many).
    #[test]
    fn corpus_never_panics_and_flags_dangling_connections() {
        let Some(files) = corpus::workflows("corpus_never_panics_and_flags_dangling_connections")
        else {
            return;
        };
        let (mut dangling, mut connected) = (0, 0);
        for (path, workflow) in files {
            let a = analyze(&workflow);
            let names: HashSet<&str> = a.nodes.iter().map(|n| n.name.as_str()).collect();
            for c in &a.connections {
                assert_eq!(c.from_missing, !names.contains(c.from.as_str()), "{path}");
                assert_eq!(c.to_missing, !names.contains(c.to.as_str()), "{path}");
            }
            if a.dangling_count() > 0 {
                dangling += 1;
            }
            if a.connections.iter().any(|c| !c.is_dangling()) {
                connected += 1;
            }
            assert!(a.complexity.score >= a.complexity.nodes, "{path}");
        }
        assert!(
            dangling > 0,
            "the corpus has workflows with dangling connections"
        );
        assert!(
            connected > 0,
            "the corpus has workflows with real connections"
        );
    }
}
