//! One side of a diff: the normalized workflow, plus what normalization drops but the
//! diff needs from the raw JSON: each node's id (to match renamed nodes) and position
//! (reported as a cosmetic change).

use crate::domain::normalize::normalize;
use crate::domain::workflow::id_string;
use serde_json::Value;

/// What the raw JSON knows of a node that the normalized form dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeMeta {
    pub id: Option<String>,
    pub position: Option<Value>,
}

/// A workflow ready to diff. `meta[i]` belongs to `normalized.nodes[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    normalized: Value,
    meta: Vec<NodeMeta>,
}

static NO_NODES: Vec<Value> = Vec::new();

impl Side {
    /// From a workflow as n8n (or a file) has it.
    pub fn from_raw(raw: &Value) -> Side {
        Side::new(normalize(raw), Some(raw))
    }

    /// From a normalized workflow and, when there is one, the raw JSON it came from.
    /// Raw JSON that does not match `normalized` node for node is ignored.
    pub fn new(normalized: Value, raw: Option<&Value>) -> Side {
        let meta = raw
            .map(|raw| node_meta(&normalized, raw))
            .unwrap_or_default();
        Side { normalized, meta }
    }

    pub fn normalized(&self) -> &Value {
        &self.normalized
    }

    /// The normalized nodes, sorted by name.
    pub fn nodes(&self) -> &[Value] {
        self.normalized
            .get("nodes")
            .and_then(Value::as_array)
            .unwrap_or(&NO_NODES)
    }

    pub fn meta(&self, index: usize) -> Option<&NodeMeta> {
        self.meta.get(index)
    }
}

/// The sort key normalization orders nodes by (raw and normalized agree on it).
fn name_key(node: &Value) -> &str {
    node.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Raw nodes in the normalized order: normalization sorts nodes by name with a stable
/// sort, so sorting the raw nodes the same way lines them up index for index.
fn node_meta(normalized: &Value, raw: &Value) -> Vec<NodeMeta> {
    let Some(raw_nodes) = raw.get("nodes").and_then(Value::as_array) else {
        return Vec::new();
    };
    let Some(norm_nodes) = normalized.get("nodes").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut sorted: Vec<&Value> = raw_nodes.iter().collect();
    sorted.sort_by(|a, b| name_key(a).cmp(name_key(b)));
    let aligned = sorted.len() == norm_nodes.len()
        && sorted
            .iter()
            .zip(norm_nodes)
            .all(|(r, n)| name_key(r) == name_key(n));
    if !aligned {
        return Vec::new();
    }
    sorted
        .into_iter()
        .map(|n| NodeMeta {
            id: n.get("id").and_then(id_string),
            position: n.get("position").cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_and_positions_line_up_with_the_sorted_nodes() {
        let raw = json!({"name": "w", "nodes": [
            {"id": "2", "name": "B", "type": "t", "position": [1, 2]},
            {"id": "1", "name": "A", "type": "t", "position": [3, 4]}
        ]});
        let side = Side::from_raw(&raw);
        assert_eq!(side.nodes()[0]["name"], "A");
        assert_eq!(side.meta(0).unwrap().id.as_deref(), Some("1"));
        assert_eq!(side.meta(1).unwrap().position, Some(json!([1, 2])));
    }

    #[test]
    fn raw_json_of_another_workflow_is_ignored() {
        let normalized = normalize(&json!({"nodes": [{"name": "A", "type": "t"}]}));
        let other = json!({"nodes": [{"id": "9", "name": "Z", "type": "t"}]});
        let side = Side::new(normalized, Some(&other));
        assert!(side.meta(0).is_none());
        assert!(Side::new(json!(null), None).nodes().is_empty());
    }
}
