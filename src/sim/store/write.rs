//! How a workflow write is stored: node ids added, credential references
//! repaired, and the body's own text kept where it can be.

use super::Store;
use crate::sim::error::ApiError;
use crate::sim::json::{Json, RawObject, null, raw_of, to_json};
use crate::sim::runs::RunProfile;
use crate::sim::workflows;
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;

/// The parts of a body as a write stores them.
pub(super) struct Written {
    pub(super) nodes: Json,
    pub(super) connections: Json,
    /// `None` when the body has no `staticData` (an update keeps the old one).
    pub(super) static_data: Option<Json>,
    pub(super) triggers: u32,
    pub(super) profile: Arc<RunProfile>,
}

/// The members of a write kept as text.
#[derive(serde::Deserialize)]
struct RawBody {
    #[serde(default)]
    nodes: Vec<RawObject>,
    connections: Option<Box<RawValue>>,
    #[serde(rename = "staticData")]
    static_data: Option<Box<RawValue>>,
}

impl Store {
    /// The stored parts of a write: node ids added and credential references
    /// repaired as n8n does. When the body's text is given (writes over HTTP),
    /// everything else is kept exactly as sent: numbers digit for digit and key
    /// order, which a round trip through `serde_json::Value` would not keep.
    pub(super) fn prepare(
        &mut self,
        body: &Value,
        text: Option<&[u8]>,
    ) -> Result<Written, ApiError> {
        let original = body
            .get("nodes")
            .cloned()
            .unwrap_or_else(|| Value::Array(Vec::new()));
        let mut nodes = original.clone();
        self.credentials.repair_references(&mut nodes)?;
        let connections = body.get("connections").unwrap_or(&Value::Null);
        let triggers = workflows::count_triggers(&nodes);
        let profile = Arc::new(RunProfile::of(&nodes, connections));
        let new_ids: Vec<Option<String>> = workflows::node_list(&nodes)
            .map(|n| {
                let has_id = n
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                (!has_id).then(|| self.rng.uuid())
            })
            .collect();
        let raw = text.and_then(|t| serde_json::from_slice::<RawBody>(t).ok());
        let (nodes_json, connections_json, static_data) = match raw {
            Some(raw) if raw.nodes.len() == new_ids.len() => {
                let mut raw_nodes = raw.nodes;
                for (i, node) in raw_nodes.iter_mut().enumerate() {
                    let repaired = nodes.get(i).and_then(|n| n.get("credentials"));
                    if repaired != original.get(i).and_then(|n| n.get("credentials")) {
                        node.set("credentials", raw_of(&repaired));
                    }
                    if let Some(Some(id)) = new_ids.get(i) {
                        node.set("id", raw_of(id));
                    }
                }
                let stored = |raw: Option<Box<RawValue>>| raw.map(Json::from).unwrap_or_else(null);
                let static_data = body.get("staticData").map(|_| stored(raw.static_data));
                (
                    Json::from(raw_of(&raw_nodes)),
                    stored(raw.connections),
                    static_data,
                )
            }
            _ => {
                if let Some(items) = nodes.as_array_mut() {
                    let objects = items.iter_mut().filter_map(Value::as_object_mut);
                    for (node, id) in objects.zip(&new_ids) {
                        if let Some(id) = id {
                            node.insert("id".into(), Value::String(id.clone()));
                        }
                    }
                }
                (
                    to_json(&nodes),
                    to_json(connections),
                    body.get("staticData").map(to_json),
                )
            }
        };
        Ok(Written {
            nodes: nodes_json,
            connections: connections_json,
            static_data,
            triggers,
            profile,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_ids_are_added_where_missing_with_or_without_the_text() {
        let body = json!({"name": "n", "connections": {}, "settings": {},
            "nodes": [{"name": "a"}, {"name": "b", "id": "keep"}, {"name": "c", "id": ""}]});
        let text = serde_json::to_vec(&body).unwrap();
        let mut s = Store::new(1, &[], 10);
        for text in [None, Some(text.as_slice())] {
            let w = s.create_workflow(&body, text).unwrap();
            let nodes = crate::sim::json::parse(&w.nodes);
            assert_eq!(nodes[1]["id"], "keep");
            assert_eq!(nodes[0]["id"].as_str().map(str::len), Some(36));
            assert_eq!(nodes[2]["id"].as_str().map(str::len), Some(36));
        }
    }
}
