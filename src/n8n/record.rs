//! A workflow exactly as n8n sent it, with the few typed fields callers need.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde_json::Value;
use serde_json::value::RawValue;

use super::types::parse_time;

/// One workflow: its raw JSON text byte for byte as n8n sent it (for
/// storage and fingerprints) and typed fields; [`WorkflowRecord::value`]
/// parses the rest when it is needed.
///
/// Unknown fields are kept in `raw` and `value`; nothing but a missing or
/// null `id` makes a workflow unreadable.
#[derive(Clone)]
pub struct WorkflowRecord {
    pub id: String,
    pub name: String,
    pub active: bool,
    /// Tag names, in n8n's order.
    pub tags: Vec<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub raw: Box<RawValue>,
}

/// The few top-level fields read eagerly; everything else (nodes can be
/// megabytes) is skipped without building a tree, and parsed only when asked.
#[derive(serde::Deserialize)]
struct Header {
    id: Option<Value>,
    name: Option<Value>,
    active: Option<Value>,
    tags: Option<Value>,
    #[serde(rename = "updatedAt")]
    updated_at: Option<Value>,
}

impl WorkflowRecord {
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, serde_json::Error> {
        let header: Header = serde_json::from_str(raw.get())?;
        let id = match header.id {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(serde_json::Error::custom("workflow without an id")),
        };
        let tags = header
            .tags
            .as_ref()
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str).or_else(|| t.as_str()))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            id,
            name: header
                .name
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            active: header
                .active
                .as_ref()
                .and_then(Value::as_bool)
                .unwrap_or(false),
            tags,
            updated_at: header
                .updated_at
                .as_ref()
                .and_then(Value::as_str)
                .and_then(parse_time),
            raw,
        })
    }

    /// The whole workflow as a JSON tree, parsed from the raw text on each call.
    pub fn value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.raw.get())
    }

    /// Reads a workflow from its JSON text, keeping the text as it is.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        Self::from_raw(RawValue::from_string(text.to_owned())?)
    }

    /// The JSON text exactly as n8n sent it.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }
}

impl fmt::Debug for WorkflowRecord {
    /// Leaves out the body, which can be megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("active", &self.active)
            .field("tags", &self.tags)
            .field("updated_at", &self.updated_at)
            .field("raw_len", &self.raw.get().len())
            .finish()
    }
}

impl PartialEq for WorkflowRecord {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_raw_text_and_reads_typed_fields() {
        let text = r#"{"id":"abc","name":"Hello",  "active":true,"tags":[{"id":"1","name":"prod"},{"id":2,"name":"eu"}],"updatedAt":"2025-03-04T05:06:07.000Z","nodes":[],"activeVersionId":"v9","newIn3x":{"x":1}}"#;
        let w = WorkflowRecord::from_json(text).unwrap();
        assert_eq!(w.raw_json(), text);
        assert_eq!(w.id, "abc");
        assert_eq!(w.name, "Hello");
        assert!(w.active);
        assert_eq!(w.tags, ["prod", "eu"]);
        assert_eq!(w.updated_at.map(|t| t.timestamp()), Some(1_741_064_767));
        assert_eq!(w.value().unwrap()["newIn3x"]["x"], 1);
    }

    #[test]
    fn numeric_ids_and_missing_fields_are_tolerated() {
        let w = WorkflowRecord::from_json(r#"{"id": 17}"#).unwrap();
        assert_eq!(w.id, "17");
        assert_eq!(w.name, "");
        assert!(!w.active && w.tags.is_empty() && w.updated_at.is_none());
        let w =
            WorkflowRecord::from_json(r#"{"id":"1","updatedAt":"yesterday","tags":null}"#).unwrap();
        assert!(w.updated_at.is_none() && w.tags.is_empty());
    }

    #[test]
    fn a_workflow_needs_an_id() {
        assert!(WorkflowRecord::from_json(r#"{"name":"x"}"#).is_err());
        assert!(WorkflowRecord::from_json(r#"{"id":null}"#).is_err());
        assert!(WorkflowRecord::from_json(r#"{"id":"1""#).is_err());
        assert!(WorkflowRecord::from_json("[1]").is_err());
    }

    #[test]
    fn debug_leaves_out_the_body() {
        let w = WorkflowRecord::from_json(r#"{"id":"1","nodes":[{"parameters":{"secret":"s3"}}]}"#)
            .unwrap();
        assert!(!format!("{w:?}").contains("s3"));
    }
}
