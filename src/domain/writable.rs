//! The body n8n accepts on create and update, cut from any workflow JSON
//! (a GET answer, an export, a corpus file).
//!
//! n8n's validator refuses read-only fields (`id`, `active`, `tags`) and
//! unknown ones (`pinData`, `versionId`, `meta`, `description`, unknown keys
//! inside `settings` or a node), so a GET body cannot be PUT back as it is.

use serde_json::{Map, Value, json};

/// Top-level fields n8n accepts on write.
pub const WORKFLOW_KEYS: &[&str] = &["name", "nodes", "connections", "settings", "staticData"];

/// `settings` keys in the public API schema (n8n 1.123).
pub const SETTINGS_KEYS: &[&str] = &[
    "saveExecutionProgress",
    "saveManualExecutions",
    "saveDataErrorExecution",
    "saveDataSuccessExecution",
    "executionTimeout",
    "errorWorkflow",
    "timezone",
    "executionOrder",
    "callerPolicy",
    "callerIds",
    "timeSavedPerExecution",
    "availableInMCP",
];

/// Node properties n8n accepts on write. Not `color` (a 400 on 1.123);
/// `continueOnFail` is deprecated but accepted.
pub const NODE_KEYS: &[&str] = &[
    "id",
    "name",
    "type",
    "typeVersion",
    "position",
    "parameters",
    "credentials",
    "disabled",
    "notes",
    "notesInFlow",
    "webhookId",
    "retryOnFail",
    "maxTries",
    "waitBetweenTries",
    "alwaysOutputData",
    "executeOnce",
    "onError",
    "continueOnFail",
];

/// Node properties some exports carry that only style the canvas. n8n refuses
/// them on write; they carry no meaning, so they are dropped.
pub const COSMETIC_NODE_KEYS: &[&str] = &["color"];

/// The writable part of `workflow`: only [`WORKFLOW_KEYS`], `settings`
/// defaulting to `{}` and cut to [`SETTINGS_KEYS`], cosmetic node properties
/// dropped, and credentials given as a bare name rewritten to
/// `{"id": null, "name": name}`.
///
/// Any other node property outside [`NODE_KEYS`] is sent as it is: it may carry
/// meaning (`extendsCredential`, say), so n8n's validator refuses it with a
/// clear message rather than n8nops dropping it silently.
///
/// Settings left null or `"DEFAULT"` (n8n's editor writes that for "use the
/// instance default") and `staticData` given as null or `""` are dropped:
/// each means "not set", and n8n's validator refuses most of them. Values of the wrong type elsewhere are kept, so n8n can say
/// what is wrong. The function is pure and idempotent.
pub fn writable_body(workflow: &Value) -> Value {
    let mut body = Map::new();
    if let Some(source) = workflow.as_object() {
        for &key in WORKFLOW_KEYS {
            if let Some(value) = source.get(key) {
                body.insert(key.to_owned(), value.clone());
            }
        }
    }
    // "No static data" is written as null or "" by some exports; n8n
    // refuses "" (not a JSON string), and both mean none.
    if body
        .get("staticData")
        .is_some_and(|d| d.is_null() || d == "")
    {
        body.remove("staticData");
    }
    let settings = match body.remove("settings") {
        Some(Value::Object(settings)) => writable_settings(settings),
        _ => Map::new(),
    };
    body.insert("settings".to_owned(), Value::Object(settings));
    if let Some(Value::Array(nodes)) = body.get_mut("nodes") {
        for node in nodes.iter_mut() {
            if let Value::Object(fields) = node {
                *fields = writable_node(std::mem::take(fields));
            }
        }
    }
    Value::Object(body)
}

fn writable_settings(settings: Map<String, Value>) -> Map<String, Value> {
    settings
        .into_iter()
        .filter(|(key, value)| {
            SETTINGS_KEYS.contains(&key.as_str()) && !value.is_null() && value != "DEFAULT"
        })
        .collect()
}

fn writable_node(node: Map<String, Value>) -> Map<String, Value> {
    node.into_iter()
        .filter(|(key, _)| !COSMETIC_NODE_KEYS.contains(&key.as_str()))
        .map(|(key, value)| match (key.as_str(), value) {
            ("credentials", Value::Object(creds)) => {
                (key, Value::Object(writable_credentials(creds)))
            }
            (_, value) => (key, value),
        })
        .collect()
}

/// Old exports name a node's credential by a bare string. n8n reads a
/// credential whose `id` is null by name and type, and maps it to the one
/// local credential with that name; `{"name": ..}` alone would instead be
/// looked up by an undefined id.
fn writable_credentials(creds: Map<String, Value>) -> Map<String, Value> {
    creds
        .into_iter()
        .map(|(kind, value)| match value {
            Value::String(name) => (kind, json!({ "id": null, "name": name })),
            other => (kind, other),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like the corpus files: everything n8n refuses on write.
    fn corpus_like() -> Value {
        json!({
            "id": "8", "name": "Slack alert", "active": true,
            "tags": [{"id": "1", "name": "ops"}], "description": "d",
            "meta": {"instanceId": "abc"}, "pinData": {}, "versionId": "v1", "staticData": "",
            "triggerCount": 1, "createdAt": "2024-01-01T00:00:00Z", "notes": "top",
            "settings": {
                "executionOrder": "v1", "saveManualExecutions": true,
                "callerPolicy": "workflowsFromSameOwner", "errorWorkflow": null,
                "timezone": "", "executionTimeout": 3600, "maxExecutions": 1000,
                "retryOnFail": true, "retryCount": 3, "retryDelay": 1000,
                "saveExecutionProgress": "DEFAULT"
            },
            "nodes": [{
                "id": "n1", "name": "Slack", "type": "n8n-nodes-base.slack",
                "typeVersion": 1, "position": [100, 200], "parameters": {"channel": "#ops"},
                "credentials": {"slackApi": "Extranet-md", "githubApi": {"id": "5", "name": "GitHub"}},
                "notes": "", "notesInFlow": true, "color": "#FF0000",
                "extendsCredential": "x", "stickyNote": 1, "continueOnFail": true,
                "createdAt": "2024-01-01T00:00:00Z"
            }, "not a node"],
            "connections": {"Slack": {"main": [[]]}}
        })
    }

    #[test]
    fn keeps_what_n8n_accepts_and_what_has_meaning() {
        let body = writable_body(&corpus_like());
        assert_eq!(
            body,
            json!({
                "name": "Slack alert",
                "settings": {
                    "executionOrder": "v1", "saveManualExecutions": true,
                    "callerPolicy": "workflowsFromSameOwner", "timezone": "",
                    "executionTimeout": 3600
                },
                "nodes": [{
                    "id": "n1", "name": "Slack", "type": "n8n-nodes-base.slack",
                    "typeVersion": 1, "position": [100, 200], "parameters": {"channel": "#ops"},
                    "credentials": {
                        "slackApi": {"id": null, "name": "Extranet-md"},
                        "githubApi": {"id": "5", "name": "GitHub"}
                    },
                    "notes": "", "notesInFlow": true, "continueOnFail": true,
                    "extendsCredential": "x", "stickyNote": 1,
                    "createdAt": "2024-01-01T00:00:00Z"
                }, "not a node"],
                "connections": {"Slack": {"main": [[]]}}
            })
        );
    }

    #[test]
    fn settings_default_to_empty_and_static_data_is_kept() {
        let body = writable_body(&json!({"name": "x", "nodes": [], "connections": {},
                                          "staticData": {"lastId": 1}}));
        assert_eq!(body["settings"], json!({}));
        assert_eq!(body["staticData"], json!({"lastId": 1}));
        assert_eq!(
            writable_body(&json!({"settings": "odd"}))["settings"],
            json!({})
        );
    }

    #[test]
    fn is_idempotent_and_total() {
        let once = writable_body(&corpus_like());
        assert_eq!(writable_body(&once), once);
        for odd in [
            Value::Null,
            json!([1]),
            json!("s"),
            json!({"nodes": {"a": 1}}),
        ] {
            assert!(writable_body(&odd)["settings"].is_object());
        }
    }
}
