//! Write validation of request bodies, reproducing n8n 1.123.0's OpenAPI validator
//! (express-openapi-validator over ajv): the same checks, the same order, and the
//! same first message (`request/body/nodes/3/disabled must be boolean`).
//!
//! ajv stops at the first failure. Per object it checks `type`, then `required`,
//! then `additionalProperties`, then each declared property in schema order (its
//! type before `readOnly`), whatever order the body's keys come in. Everything
//! here was confirmed against a real n8n 1.123.0.

use serde_json::{Map, Value};

/// Top-level properties the workflow schema declares, in schema order.
const WORKFLOW_PROPS: &[&str] = &[
    "id",
    "name",
    "active",
    "createdAt",
    "updatedAt",
    "nodes",
    "connections",
    "settings",
    "staticData",
    "tags",
    "shared",
    "activeVersion",
];
/// Required top-level properties, in the order ajv reports them.
const WORKFLOW_REQUIRED: &[&str] = &["name", "nodes", "connections", "settings"];

/// Node properties in schema order with their types.
const NODE_PROPS: &[(&str, Kind)] = &[
    ("id", Kind::String),
    ("name", Kind::String),
    ("webhookId", Kind::String),
    ("disabled", Kind::Boolean),
    ("notesInFlow", Kind::Boolean),
    ("notes", Kind::String),
    ("type", Kind::String),
    ("typeVersion", Kind::Number),
    ("executeOnce", Kind::Boolean),
    ("alwaysOutputData", Kind::Boolean),
    ("retryOnFail", Kind::Boolean),
    ("maxTries", Kind::Number),
    ("waitBetweenTries", Kind::Number),
    ("continueOnFail", Kind::Boolean),
    ("onError", Kind::String),
    ("position", Kind::NumberArray),
    ("parameters", Kind::Object),
    ("credentials", Kind::Object),
    ("createdAt", Kind::ReadOnlyString),
    ("updatedAt", Kind::ReadOnlyString),
];

/// Workflow settings in schema order with their types.
const SETTINGS_PROPS: &[(&str, Kind)] = &[
    ("saveExecutionProgress", Kind::Boolean),
    ("saveManualExecutions", Kind::Boolean),
    ("saveDataErrorExecution", Kind::Enum(&["all", "none"])),
    ("saveDataSuccessExecution", Kind::Enum(&["all", "none"])),
    ("executionTimeout", Kind::Number),
    ("errorWorkflow", Kind::String),
    ("timezone", Kind::String),
    ("executionOrder", Kind::String),
    (
        "callerPolicy",
        Kind::Enum(&[
            "any",
            "none",
            "workflowsFromAList",
            "workflowsFromSameOwner",
        ]),
    ),
    ("callerIds", Kind::String),
    ("timeSavedPerExecution", Kind::Number),
    ("availableInMCP", Kind::Boolean),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    String,
    Boolean,
    Number,
    Object,
    NumberArray,
    Enum(&'static [&'static str]),
    /// A string the client may not send (`createdAt` of a node).
    ReadOnlyString,
}

/// Validates a `POST /workflows` or `PUT /workflows/{id}` body.
pub fn workflow_body(body: &Value) -> Result<(), String> {
    let path = "request/body";
    let object = as_object(body, path)?;
    for key in WORKFLOW_REQUIRED {
        if !object.contains_key(*key) {
            return Err(format!("{path} must have required property '{key}'"));
        }
    }
    no_additional(object, |k| WORKFLOW_PROPS.contains(&k), path)?;
    for key in WORKFLOW_PROPS {
        let Some(value) = object.get(*key) else {
            continue;
        };
        let here = format!("{path}/{key}");
        match *key {
            "id" | "createdAt" | "updatedAt" => read_only(value, "string", &here)?,
            "active" => read_only(value, "boolean", &here)?,
            "tags" => read_only(value, "array", &here)?,
            "name" => check(value, Kind::String, &here)?,
            "nodes" => nodes(value, &here)?,
            "connections" => check(value, Kind::Object, &here)?,
            "settings" => settings(value, &here)?,
            "staticData" => static_data(value, &here)?,
            "shared" if !value.is_array() => return Err(format!("{here} must be array")),
            "activeVersion" if !value.is_null() => return Err(format!("{here} is read-only")),
            _ => {}
        }
    }
    Ok(())
}

fn nodes(value: &Value, path: &str) -> Result<(), String> {
    let Value::Array(items) = value else {
        return Err(format!("{path} must be array"));
    };
    for (i, node) in items.iter().enumerate() {
        let here = format!("{path}/{i}");
        let object = as_object(node, &here)?;
        properties(object, NODE_PROPS, &here)?;
    }
    Ok(())
}

fn settings(value: &Value, path: &str) -> Result<(), String> {
    let object = as_object(value, path)?;
    properties(object, SETTINGS_PROPS, path)
}

/// `additionalProperties: false` then each declared property in order.
fn properties(
    object: &Map<String, Value>,
    props: &[(&str, Kind)],
    path: &str,
) -> Result<(), String> {
    no_additional(object, |k| props.iter().any(|(p, _)| *p == k), path)?;
    for (key, kind) in props {
        if let Some(value) = object.get(*key) {
            check(value, *kind, &format!("{path}/{key}"))?;
        }
    }
    Ok(())
}

fn check(value: &Value, kind: Kind, path: &str) -> Result<(), String> {
    let ok = match kind {
        Kind::String => value.is_string(),
        Kind::Boolean => value.is_boolean(),
        Kind::Number => value.is_number(),
        Kind::Object => value.is_object(),
        Kind::ReadOnlyString => return read_only(value, "string", path),
        Kind::NumberArray => {
            let Value::Array(items) = value else {
                return Err(format!("{path} must be array"));
            };
            if let Some(i) = items.iter().position(|v| !v.is_number()) {
                return Err(format!("{path}/{i} must be number"));
            }
            true
        }
        Kind::Enum(allowed) => {
            let Value::String(s) = value else {
                return Err(format!("{path} must be string"));
            };
            if !allowed.contains(&s.as_str()) {
                return Err(format!(
                    "{path} must be equal to one of the allowed values: {}",
                    allowed.join(", ")
                ));
            }
            true
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{path} must be {}", kind_name(kind)))
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::String | Kind::Enum(_) | Kind::ReadOnlyString => "string",
        Kind::Boolean => "boolean",
        Kind::Number => "number",
        Kind::Object => "object",
        Kind::NumberArray => "array",
    }
}

/// A `readOnly` property: its type is checked first (so `null` fails as a type
/// error), then any value is refused.
fn read_only(value: &Value, type_name: &str, path: &str) -> Result<(), String> {
    let type_ok = match type_name {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        _ => true,
    };
    if !type_ok {
        return Err(format!("{path} must be {type_name}"));
    }
    Err(format!("{path} is read-only"))
}

/// `staticData` is `anyOf: [JSON string or null, object or null]`; ajv reports
/// every branch's failure and then the `anyOf` itself.
fn static_data(value: &Value, path: &str) -> Result<(), String> {
    match value {
        Value::Null | Value::Object(_) => Ok(()),
        Value::String(s) if serde_json::from_str::<Value>(s).is_ok() => Ok(()),
        Value::String(_) => Err(format!(
            "{path} must match format \"jsonString\", {path} must be object, {path} must match a schema in anyOf"
        )),
        _ => Err(format!(
            "{path} must be string, {path} must be object, {path} must match a schema in anyOf"
        )),
    }
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{path} must be object"))
}

fn no_additional(
    object: &Map<String, Value>,
    allowed: impl Fn(&str) -> bool,
    path: &str,
) -> Result<(), String> {
    if object.keys().any(|k| !allowed(k)) {
        return Err(format!("{path} must NOT have additional properties"));
    }
    Ok(())
}

/// Validates a `POST /tags` or `PUT /tags/{id}` body (the tag schema).
pub fn tag_body(body: &Value) -> Result<&str, String> {
    let path = "request/body";
    let object = as_object(body, path)?;
    if !object.contains_key("name") {
        return Err(format!("{path} must have required property 'name'"));
    }
    no_additional(
        object,
        |k| ["id", "name", "createdAt", "updatedAt"].contains(&k),
        path,
    )?;
    if let Some(id) = object.get("id") {
        read_only(id, "string", &format!("{path}/id"))?;
    }
    let name = object.get("name").and_then(Value::as_str);
    let Some(name) = name else {
        return Err(format!("{path}/name must be string"));
    };
    for key in ["createdAt", "updatedAt"] {
        if let Some(v) = object.get(key) {
            read_only(v, "string", &format!("{path}/{key}"))?;
        }
    }
    Ok(name)
}

/// Validates a `PUT /workflows/{id}/tags` body and returns the tag ids.
pub fn tag_ids_body(body: &Value) -> Result<Vec<String>, String> {
    let path = "request/body";
    let Value::Array(items) = body else {
        return Err(format!("{path} must be array"));
    };
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = format!("{path}/{i}");
        let object = as_object(item, &here)?;
        match object.get("id") {
            None => return Err(format!("{here} must have required property 'id'")),
            Some(Value::String(id)) => ids.push(id.clone()),
            Some(_) => return Err(format!("{here}/id must be string")),
        }
    }
    Ok(ids)
}

/// Validates a `POST /credentials` body and returns `(name, type, data)`.
pub fn credential_body(body: &Value) -> Result<(&str, &str, &Map<String, Value>), String> {
    let path = "request/body";
    let object = as_object(body, path)?;
    for key in ["name", "type", "data"] {
        if !object.contains_key(key) {
            return Err(format!("{path} must have required property '{key}'"));
        }
    }
    if let Some(id) = object.get("id") {
        read_only(id, "string", &format!("{path}/id"))?;
    }
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or(format!("{path}/name must be string"))?;
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or(format!("{path}/type must be string"))?;
    let data = object
        .get("data")
        .and_then(Value::as_object)
        .ok_or(format!("{path}/data must be object"))?;
    Ok((name, kind, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"name": "t", "nodes": [], "connections": {}, "settings": {}})
    }

    fn with(extra: Value) -> Value {
        let mut body = base();
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        body
    }

    fn err(body: Value) -> String {
        workflow_body(&body).expect_err("should be rejected")
    }

    // Every expected message below was answered by a real n8n 1.123.0.
    #[test]
    fn top_level_messages() {
        assert!(workflow_body(&base()).is_ok());
        assert_eq!(
            err(with(json!({"id": "abc"}))),
            "request/body/id is read-only"
        );
        assert_eq!(
            err(with(json!({"id": null}))),
            "request/body/id must be string"
        );
        assert_eq!(
            err(with(json!({"active": false}))),
            "request/body/active is read-only"
        );
        assert_eq!(
            err(with(json!({"tags": []}))),
            "request/body/tags is read-only"
        );
        assert_eq!(
            err(with(json!({"createdAt": "2020"}))),
            "request/body/createdAt is read-only"
        );
        assert_eq!(
            err(with(json!({"activeVersion": {}}))),
            "request/body/activeVersion is read-only"
        );
        for field in ["pinData", "versionId", "meta", "description", "foo"] {
            assert_eq!(
                err(with(json!({ field: {} }))),
                "request/body must NOT have additional properties"
            );
        }
        // additionalProperties is checked before the read-only properties.
        assert_eq!(
            err(with(json!({"id": "a", "pinData": {}}))),
            "request/body must NOT have additional properties"
        );
        assert_eq!(
            err(with(json!({"name": 1}))),
            "request/body/name must be string"
        );
        assert_eq!(
            err(with(json!({"name": null}))),
            "request/body/name must be string"
        );
        assert_eq!(
            err(with(json!({"nodes": {}}))),
            "request/body/nodes must be array"
        );
        assert_eq!(
            err(with(json!({"connections": []}))),
            "request/body/connections must be object"
        );
        assert_eq!(
            err(with(json!({"settings": null}))),
            "request/body/settings must be object"
        );
        assert_eq!(err(json!([])), "request/body must be object");
        assert!(workflow_body(&with(json!({"shared": []}))).is_ok());
    }

    #[test]
    fn required_before_everything_else() {
        for key in ["name", "nodes", "connections", "settings"] {
            let mut body = base();
            body.as_object_mut().map(|o| o.remove(key));
            body.as_object_mut()
                .map(|o| o.insert("pinData".into(), json!({})));
            assert_eq!(
                err(body),
                format!("request/body must have required property '{key}'")
            );
        }
        // Properties are checked in schema order: name before settings.
        assert_eq!(
            err(json!({"settings": {"foo": 1}, "name": 1, "nodes": [], "connections": {}})),
            "request/body/name must be string"
        );
    }

    #[test]
    fn node_messages() {
        let node = |n: Value| err(with(json!({ "nodes": [{"name": "ok"}, n] })));
        assert_eq!(node(json!(1)), "request/body/nodes/1 must be object");
        assert_eq!(
            node(json!({"name": 1})),
            "request/body/nodes/1/name must be string"
        );
        assert_eq!(
            node(json!({"typeVersion": "1"})),
            "request/body/nodes/1/typeVersion must be number"
        );
        assert_eq!(
            node(json!({"disabled": "true"})),
            "request/body/nodes/1/disabled must be boolean"
        );
        assert_eq!(
            node(json!({"waitBetweenTries": null})),
            "request/body/nodes/1/waitBetweenTries must be number"
        );
        assert_eq!(
            node(json!({"position": ["a"]})),
            "request/body/nodes/1/position/0 must be number"
        );
        assert_eq!(
            node(json!({"parameters": []})),
            "request/body/nodes/1/parameters must be object"
        );
        assert_eq!(
            node(json!({"credentials": "x"})),
            "request/body/nodes/1/credentials must be object"
        );
        assert_eq!(
            node(json!({"createdAt": "x"})),
            "request/body/nodes/1/createdAt is read-only"
        );
        for extra in ["color", "extendsCredential", "meta", "stickyNote"] {
            assert_eq!(
                node(json!({ extra: "x", "name": 2 })),
                "request/body/nodes/1 must NOT have additional properties"
            );
        }
        // Schema order inside a node: disabled comes before typeVersion.
        assert_eq!(
            node(json!({"typeVersion": "x", "disabled": "y"})),
            "request/body/nodes/1/disabled must be boolean"
        );
        let ok = json!({"id": "a", "name": "n", "type": "t", "typeVersion": 1.2, "position": [1, 2, 3],
            "parameters": {}, "credentials": {"a": "b"}, "continueOnFail": true, "notesInFlow": false});
        assert!(workflow_body(&with(json!({ "nodes": [ok, {}] }))).is_ok());
    }

    #[test]
    fn settings_messages() {
        let s = |v: Value| err(with(json!({ "settings": v })));
        assert_eq!(
            s(json!({"foo": 1})),
            "request/body/settings must NOT have additional properties"
        );
        assert_eq!(
            s(json!({"saveDataErrorExecution": "x"})),
            "request/body/settings/saveDataErrorExecution must be equal to one of the allowed values: all, none"
        );
        assert_eq!(
            s(json!({"callerPolicy": "x"})),
            "request/body/settings/callerPolicy must be equal to one of the allowed values: any, none, workflowsFromAList, workflowsFromSameOwner"
        );
        assert_eq!(
            s(json!({"executionTimeout": "x"})),
            "request/body/settings/executionTimeout must be number"
        );
        assert_eq!(
            s(json!({"saveExecutionProgress": "DEFAULT"})),
            "request/body/settings/saveExecutionProgress must be boolean"
        );
        assert_eq!(
            s(json!({"errorWorkflow": null})),
            "request/body/settings/errorWorkflow must be string"
        );
        assert!(workflow_body(&with(json!({"settings": {"executionOrder": "v1", "availableInMCP": true, "timeSavedPerExecution": 3}}))).is_ok());
    }

    #[test]
    fn static_data_messages() {
        assert!(workflow_body(&with(json!({"staticData": null}))).is_ok());
        assert!(workflow_body(&with(json!({"staticData": "{}"}))).is_ok());
        assert!(workflow_body(&with(json!({"staticData": {"a": 1}}))).is_ok());
        assert_eq!(
            err(with(json!({"staticData": "x"}))),
            "request/body/staticData must match format \"jsonString\", request/body/staticData must be object, request/body/staticData must match a schema in anyOf"
        );
        assert_eq!(
            err(with(json!({"staticData": 1}))),
            "request/body/staticData must be string, request/body/staticData must be object, request/body/staticData must match a schema in anyOf"
        );
    }

    #[test]
    fn tag_bodies() {
        assert_eq!(tag_body(&json!({"name": "prod"})), Ok("prod"));
        assert_eq!(
            tag_body(&json!({})).unwrap_err(),
            "request/body must have required property 'name'"
        );
        assert_eq!(
            tag_body(&json!({"name": "x", "id": "a"})).unwrap_err(),
            "request/body/id is read-only"
        );
        assert_eq!(
            tag_ids_body(&json!([{"id": "a"}])),
            Ok(vec!["a".to_string()])
        );
        assert_eq!(
            tag_ids_body(&json!({"id": "x"})).unwrap_err(),
            "request/body must be array"
        );
        assert_eq!(
            tag_ids_body(&json!([{"name": "x"}])).unwrap_err(),
            "request/body/0 must have required property 'id'"
        );
    }

    #[test]
    fn credential_bodies() {
        assert!(
            credential_body(&json!({"name": "a", "type": "httpHeaderAuth", "data": {}})).is_ok()
        );
        assert_eq!(
            credential_body(&json!({"name": "a", "type": "x"})).unwrap_err(),
            "request/body must have required property 'data'"
        );
    }

    #[test]
    fn settings_schema_matches_the_writable_rule() {
        let mut schema: Vec<&str> = SETTINGS_PROPS.iter().map(|(k, _)| *k).collect();
        let mut rule = crate::domain::writable::SETTINGS_KEYS.to_vec();
        schema.sort();
        rule.sort();
        assert_eq!(schema, rule);
    }
}
