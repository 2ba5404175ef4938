//! Canonical workflows: the documents kept in Git, their ids, and the mapping files that
//! say which n8n workflow of an environment each one is.
//!
//! A canonical id is a slug of the workflow's name when it was first onboarded
//! (`order-sync`, then `order-sync-2`), kept through renames: the identity of "the same
//! workflow" across environments, independent of n8n ids and of licensed features.

use super::normalize::{normalize, pretty_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Where canonical workflow documents live in the repository.
pub const WORKFLOWS_DIR: &str = "workflows";
/// Where environment mapping files live in the repository.
pub const ENVIRONMENTS_DIR: &str = "environments";
/// Longest slug before a collision suffix.
const MAX_SLUG: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("{path}: not a workflow document: {message}")]
    Document { path: String, message: String },
    #[error("{path}: not a mapping file: {message}")]
    Mapping { path: String, message: String },
}

/// `workflows/<id>.json`
pub fn workflow_path(id: &str) -> String {
    format!("{WORKFLOWS_DIR}/{id}.json")
}

/// `environments/<env>.json`
pub fn mapping_path(env: &str) -> String {
    format!("{ENVIRONMENTS_DIR}/{env}.json")
}

/// The canonical id of a file in `workflows/` (None for anything but `<id>.json`).
pub fn id_of_file(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(".json").filter(|id| !id.is_empty())
}

/// The document kept for a workflow: its normalized form plus each node's position, so a
/// restore keeps the layout. Normalization ignores positions, so the document's
/// fingerprint is the workflow's.
pub fn document(raw: &Value) -> Value {
    let mut doc = normalize(raw);
    let positions: HashMap<&str, &Value> = raw
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n.get("name")?.as_str()?, n.get("position")?)))
        .collect();
    if let Some(nodes) = doc.get_mut("nodes").and_then(Value::as_array_mut) {
        for node in nodes {
            let name = node.get("name").and_then(Value::as_str).map(str::to_owned);
            if let (Some(name), Some(obj)) = (name, node.as_object_mut())
                && let Some(position) = positions.get(name.as_str())
            {
                obj.insert("position".into(), (*position).clone());
            }
        }
    }
    doc
}

/// The document as a file: pretty, key-sorted JSON with a final newline.
pub fn render(document: &Value) -> String {
    let mut text = pretty_json(document);
    text.push('\n');
    text
}

/// Reads a document file back; `path` names it in the error.
pub fn parse_document(bytes: &[u8], path: &str) -> Result<Value, CanonicalError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| CanonicalError::Document {
        path: path.into(),
        message: e.to_string(),
    })?;
    let has = |key: &str| value.get(key).is_some();
    if !value.is_object() || !has("nodes") || !has("name") {
        return Err(CanonicalError::Document {
            path: path.into(),
            message: "expected an object with name and nodes".into(),
        });
    }
    Ok(value)
}

/// A slug of a workflow name: lowercase ASCII letters and digits joined by `-`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len().min(MAX_SLUG));
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            if slug.len() >= MAX_SLUG {
                break;
            }
            slug.push(c);
        } else {
            dash = true;
        }
    }
    if slug.is_empty() {
        "workflow".into()
    } else {
        slug
    }
}

/// A new canonical id for `name`: its slug, or the slug with `-2`, `-3`... when taken.
pub fn assign_id(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let slug = slugify(name);
    if !taken(&slug) {
        return slug;
    }
    (2..)
        .map(|n| format!("{slug}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or(slug)
}

/// One canonical workflow as an environment holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappedWorkflow {
    pub n8n_id: String,
    pub name: String,
    /// The last deployed or recorded fingerprint.
    pub fingerprint: String,
    /// Git blob id of the document as recorded: finds that exact version later.
    pub blob: String,
    pub active: bool,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An environment's mapping file: canonical id -> the workflow it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvMapping {
    pub environment: String,
    #[serde(default)]
    pub workflows: BTreeMap<String, MappedWorkflow>,
}

impl EnvMapping {
    pub fn new(env: &str) -> EnvMapping {
        EnvMapping {
            environment: env.into(),
            workflows: BTreeMap::new(),
        }
    }

    /// Reads a mapping file; `path` names it in the error. The file must be the named
    /// environment's.
    pub fn parse(bytes: &[u8], path: &str, env: &str) -> Result<EnvMapping, CanonicalError> {
        let mapping: EnvMapping =
            serde_json::from_slice(bytes).map_err(|e| CanonicalError::Mapping {
                path: path.into(),
                message: e.to_string(),
            })?;
        if mapping.environment != env {
            return Err(CanonicalError::Mapping {
                path: path.into(),
                message: format!(
                    "it is the mapping of '{}', expected '{env}'",
                    mapping.environment
                ),
            });
        }
        Ok(mapping)
    }

    /// Pretty, key-sorted JSON with a final newline.
    pub fn render(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut text = pretty_json(&value);
        text.push('\n');
        text
    }

    /// n8n id -> canonical id.
    pub fn by_n8n_id(&self) -> HashMap<&str, &str> {
        self.workflows
            .iter()
            .map(|(id, w)| (w.n8n_id.as_str(), id.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::normalize::fingerprint;
    use serde_json::json;

    fn raw() -> Value {
        json!({
            "id": "17", "name": "Order sync", "active": true, "versionId": "v9",
            "nodes": [
                {"id": "a", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
                 "position": [100, 200], "parameters": {"path": "orders"}, "webhookId": "w-1"},
                {"id": "b", "name": "HTTP", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
                 "position": [300, 200], "parameters": {"url": "https://example.com"},
                 "credentials": {"httpBasicAuth": {"id": "9", "name": "Shop"}}}
            ],
            "connections": {"Webhook": {"main": [[{"node": "HTTP", "type": "main", "index": 0}]]}},
            "settings": {"executionOrder": "v1"},
            "staticData": {"last": 1}
        })
    }

    #[test]
    fn a_document_keeps_positions_and_fingerprints_like_the_workflow() {
        let doc = document(&raw());
        assert_eq!(fingerprint(&doc), fingerprint(&raw()));
        assert_eq!(doc["nodes"][0]["name"], "HTTP");
        assert_eq!(doc["nodes"][0]["position"], json!([300, 200]));
        assert_eq!(doc["nodes"][1]["position"], json!([100, 200]));
        assert!(doc.get("id").is_none() && doc.get("staticData").is_none());
        // Documenting again changes nothing.
        assert_eq!(document(&doc), doc);
    }

    #[test]
    fn rendering_is_pretty_sorted_and_parses_back() {
        let doc = document(&raw());
        let text = render(&doc);
        assert!(text.ends_with("}\n") && text.contains("\n  \"connections\": {"));
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(
            parse_document(text.as_bytes(), "workflows/order-sync.json").unwrap(),
            doc
        );
        let err = parse_document(b"{\"nodes\": ", "workflows/x.json").unwrap_err();
        assert!(err.to_string().contains("workflows/x.json"), "{err}");
        let err = parse_document(b"[1]", "workflows/y.json").unwrap_err();
        assert!(err.to_string().contains("workflows/y.json"), "{err}");
    }

    #[test]
    fn slugs_are_readable_and_ids_unique() {
        assert_eq!(slugify("Order sync (v2)!"), "order-sync-v2");
        assert_eq!(slugify("  Ünïcode — names  "), "n-code-names");
        assert_eq!(slugify("***"), "workflow");
        assert_eq!(slugify(&"x".repeat(200)).len(), MAX_SLUG);
        let taken = ["order-sync", "order-sync-2"];
        assert_eq!(
            assign_id("Order Sync", |s| taken.contains(&s)),
            "order-sync-3"
        );
        assert_eq!(assign_id("Invoices", |s| taken.contains(&s)), "invoices");
    }

    #[test]
    fn mapping_files_round_trip_and_name_their_environment() {
        let mut m = EnvMapping::new("prod");
        m.workflows.insert(
            "order-sync".into(),
            MappedWorkflow {
                n8n_id: "17".into(),
                name: "Order sync".into(),
                fingerprint: "ab".into(),
                blob: "cd".into(),
                active: true,
                tags: vec!["shop".into()],
            },
        );
        let text = m.render();
        assert!(text.contains("\"n8nId\": \"17\""), "{text}");
        assert_eq!(
            EnvMapping::parse(text.as_bytes(), "environments/prod.json", "prod").unwrap(),
            m
        );
        let err = EnvMapping::parse(text.as_bytes(), "environments/dev.json", "dev").unwrap_err();
        assert!(
            err.to_string().contains("environments/dev.json") && err.to_string().contains("'prod'")
        );
        let err = EnvMapping::parse(b"{}", "environments/prod.json", "prod").unwrap_err();
        assert!(err.to_string().contains("environments/prod.json"), "{err}");
        assert_eq!(m.by_n8n_id().get("17"), Some(&"order-sync"));
    }
}
