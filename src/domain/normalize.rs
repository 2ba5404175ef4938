//! The normalized form of a workflow and its fingerprint.
//!
//! Two instances holding "the same" workflow return different JSON: ids, versions,
//! timestamps, positions, credential ids and server-added defaults all vary. The
//! normalized form keeps only what has meaning, in a canonical order, so that the same
//! workflow on two instances (or in a file and on an instance) has the same fingerprint,
//! and any meaningful change changes it.

use super::encoding::hex;
use super::workflow::id_string;
use super::writable::{COSMETIC_NODE_KEYS, SETTINGS_KEYS};
use ring::digest;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Node fields that vary between instances without meaning.
const VOLATILE_NODE_FIELDS: &[&str] = &["id", "position", "createdAt", "updatedAt"];

/// The normalized form: `{name, nodes (sorted by name), connections, settings}`.
///
/// Dropped: workflow ids, versions, timestamps, activation, tags, sharing, meta,
/// staticData, pinData, node ids, positions and colours, credential ids (a credential is
/// referenced by type and name), `cachedResult*` in resource locators, settings n8n
/// does not accept, unset settings (null, `"DEFAULT"`) and server-added defaults. Kept although it looks like an id:
/// node `webhookId`. Whole-valued floats become integers (`1.0` and `1` are equal).
pub fn normalize(workflow: &Value) -> Value {
    let mut out = Map::new();
    let name = workflow.get("name").cloned().unwrap_or(Value::Null);
    out.insert("name".into(), canonical_value(&name));
    out.insert("nodes".into(), normalize_nodes(workflow.get("nodes")));
    out.insert(
        "connections".into(),
        normalize_connections(workflow.get("connections")),
    );
    out.insert(
        "settings".into(),
        normalize_settings(workflow.get("settings")),
    );
    Value::Object(out)
}

/// Hex SHA-256 of the canonical JSON of the normalized form.
pub fn fingerprint(workflow: &Value) -> String {
    fingerprint_normalized(&normalize(workflow))
}

/// Fingerprint of a value that is already normalized.
pub fn fingerprint_normalized(normalized: &Value) -> String {
    fingerprint_canonical(&canonical_json(normalized))
}

/// Fingerprint from the canonical JSON text of a normalized form (saves serializing twice).
pub fn fingerprint_canonical(canonical: &str) -> String {
    hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

/// Compact JSON with object keys sorted, whatever map type serde_json was built with.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(4096);
    write_canonical(value, &mut out);
    // Only JSON text was written: valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Pretty, key-sorted JSON: the form people read and review.
pub fn pretty_json(value: &Value) -> String {
    let sorted = sort_keys(value);
    serde_json::to_string_pretty(&sorted).unwrap_or_else(|_| canonical_json(value))
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sort_keys(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            out.push(b'{');
            let sorted = map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b);
            if sorted {
                for (i, (k, v)) in map.iter().enumerate() {
                    write_member(i, k, v, out);
                }
            } else {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                for (i, k) in keys.into_iter().enumerate() {
                    write_member(i, k, &map[k], out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        // serde_json's escaping and number format are the canonical ones; writing to
        // a Vec cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

fn write_member(i: usize, key: &str, value: &Value, out: &mut Vec<u8>) {
    if i > 0 {
        out.push(b',');
    }
    let _ = serde_json::to_writer(&mut *out, key);
    out.push(b':');
    write_canonical(value, out);
}

/// Numbers canonicalized and `cachedResult*` keys (UI caches of resource locators) dropped.
fn canonical_value(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with("cachedResult"))
                .map(|(k, v)| (k.clone(), canonical_value(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical_value).collect()),
        Value::Number(n) => canonical_number(n),
        other => other.clone(),
    }
}

fn canonical_number(n: &serde_json::Number) -> Value {
    if n.is_f64()
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.0e15
    {
        return Value::from(f as i64);
    }
    Value::Number(n.clone())
}

fn normalize_nodes(nodes: Option<&Value>) -> Value {
    let Some(Value::Array(nodes)) = nodes else {
        return Value::Array(Vec::new());
    };
    let names = credential_names(nodes);
    let mut out: Vec<Value> = nodes.iter().map(|n| normalize_node(n, &names)).collect();
    out.sort_by(|a, b| node_sort_key(a).cmp(node_sort_key(b)));
    Value::Array(out)
}

fn node_sort_key(node: &Value) -> &str {
    node.get("name").and_then(Value::as_str).unwrap_or("")
}

/// (credential type, id) -> the name n8n keeps for it. n8n gives every node that
/// references one credential the name the first such node (in node order) gives it.
type CredentialNames<'a> = HashMap<(&'a str, String), &'a Value>;

fn credential_names(nodes: &[Value]) -> CredentialNames<'_> {
    let mut names = CredentialNames::new();
    for creds in nodes
        .iter()
        .filter_map(|n| n.get("credentials").and_then(Value::as_object))
    {
        for (cred_type, reference) in creds {
            if let (Some(id), Some(name)) = (
                reference.get("id").and_then(id_string),
                reference.get("name"),
            ) {
                names.entry((cred_type.as_str(), id)).or_insert(name);
            }
        }
    }
    names
}

fn normalize_node(node: &Value, names: &CredentialNames<'_>) -> Value {
    let Value::Object(map) = node else {
        return canonical_value(node);
    };
    let mut out = Map::new();
    for (key, value) in map {
        if VOLATILE_NODE_FIELDS.contains(&key.as_str())
            || COSMETIC_NODE_KEYS.contains(&key.as_str())
            || is_node_default(key, value)
        {
            continue;
        }
        let value = if key == "credentials" {
            normalize_credentials(value, names)
        } else {
            canonical_value(value)
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// `{type: {id, name}}` (or a bare name string) becomes `{type: {name}}`: credential ids
/// differ per instance, and n8n itself resolves an unknown id by name and type.
fn normalize_credentials(credentials: &Value, names: &CredentialNames<'_>) -> Value {
    let Value::Object(map) = credentials else {
        return canonical_value(credentials);
    };
    let out = map
        .iter()
        .map(|(cred_type, reference)| {
            let name = match reference {
                Value::String(name) => Value::String(name.clone()),
                Value::Object(r) => {
                    let shared = r
                        .get("id")
                        .and_then(id_string)
                        .and_then(|id| names.get(&(cred_type.as_str(), id)));
                    shared
                        .copied()
                        .or(r.get("name"))
                        .cloned()
                        .unwrap_or(Value::Null)
                }
                other => canonical_value(other),
            };
            let mut entry = Map::new();
            entry.insert("name".into(), name);
            (cred_type.clone(), Value::Object(entry))
        })
        .collect();
    Value::Object(out)
}

/// Connections keyed by source node name; trailing empty outputs and sources with no
/// links removed (they mean nothing and some exporters write them).
fn normalize_connections(connections: Option<&Value>) -> Value {
    let Some(Value::Object(sources)) = connections else {
        return Value::Object(Map::new());
    };
    let mut out = Map::new();
    for (source, kinds) in sources {
        let Value::Object(kinds) = kinds else {
            out.insert(source.clone(), canonical_value(kinds));
            continue;
        };
        let mut kept = Map::new();
        for (kind, outputs) in kinds {
            let Value::Array(outputs) = outputs else {
                kept.insert(kind.clone(), canonical_value(outputs));
                continue;
            };
            let mut outputs: Vec<Value> = outputs.iter().map(canonical_value).collect();
            while outputs
                .last()
                .is_some_and(|o| o.is_null() || o.as_array().is_some_and(Vec::is_empty))
            {
                outputs.pop();
            }
            if !outputs.is_empty() {
                kept.insert(kind.clone(), Value::Array(outputs));
            }
        }
        if !kept.is_empty() {
            out.insert(source.clone(), Value::Object(kept));
        }
    }
    Value::Object(out)
}

fn normalize_settings(settings: Option<&Value>) -> Value {
    let Some(Value::Object(map)) = settings else {
        return Value::Object(Map::new());
    };
    let out = map
        .iter()
        .filter(|(k, v)| {
            SETTINGS_KEYS.contains(&k.as_str()) && !is_unset(v) && !is_server_setting_default(k, v)
        })
        .map(|(k, v)| (k.clone(), canonical_value(v)))
        .collect();
    Value::Object(out)
}

/// Node fields whose default value means the same as their absence.
fn is_node_default(key: &str, value: &Value) -> bool {
    match key {
        "disabled" | "alwaysOutputData" | "executeOnce" | "retryOnFail" | "notesInFlow"
        | "continueOnFail" => value == &Value::Bool(false),
        "notes" => value.as_str() == Some(""),
        "onError" => value.as_str() == Some("stopWorkflow"),
        "credentials" => value.as_object().is_some_and(Map::is_empty),
        _ => false,
    }
}

/// A setting left null or `"DEFAULT"` (the editor's "use the instance default") is not set.
fn is_unset(value: &Value) -> bool {
    value.is_null() || value.as_str() == Some("DEFAULT")
}

/// Settings n8n adds on create when absent: equal to these, they carry no meaning.
fn is_server_setting_default(key: &str, value: &Value) -> bool {
    match key {
        "callerPolicy" => value.as_str() == Some("workflowsFromSameOwner"),
        "availableInMCP" => value == &Value::Bool(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn workflow() -> Value {
        json!({
            "id": "aB3", "name": "Orders sync", "active": true, "versionId": "v1",
            "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "2025-01-02T00:00:00.000Z",
            "tags": [{"id": "9", "name": "billing"}], "meta": {"instanceId": "abc"},
            "pinData": {}, "staticData": {"lastId": 4},
            "settings": {"executionOrder": "v1", "callerPolicy": "workflowsFromSameOwner", "availableInMCP": false},
            "nodes": [
                {"id": "n1", "name": "Hook", "type": "n8n-nodes-base.webhook", "typeVersion": 2.0,
                 "position": [0, 0], "webhookId": "w-1", "parameters": {"path": "orders"}},
                {"id": "n2", "name": "Sheet", "type": "n8n-nodes-base.googleSheets", "typeVersion": 4.5,
                 "position": [200, 0], "disabled": false,
                 "credentials": {"googleSheetsOAuth2Api": {"id": "c1", "name": "Sheets"}},
                 "parameters": {"documentId": {"__rl": true, "value": "doc", "mode": "list",
                     "cachedResultName": "Orders", "cachedResultUrl": "https://x"}}}
            ],
            "connections": {"Hook": {"main": [[{"node": "Sheet", "type": "main", "index": 0}], []]}}
        })
    }

    #[test]
    fn volatile_fields_are_dropped() {
        let n = normalize(&workflow());
        assert_eq!(n.as_object().unwrap().len(), 4);
        assert_eq!(n["settings"], json!({"executionOrder": "v1"}));
        let sheet = &n["nodes"][1];
        assert_eq!(sheet["name"], "Sheet");
        assert!(sheet.get("id").is_none() && sheet.get("position").is_none());
        assert!(sheet.get("disabled").is_none());
        assert_eq!(
            sheet["credentials"],
            json!({"googleSheetsOAuth2Api": {"name": "Sheets"}})
        );
        assert_eq!(
            sheet["parameters"]["documentId"],
            json!({"__rl": true, "value": "doc", "mode": "list"})
        );
        assert_eq!(n["nodes"][0]["typeVersion"], json!(2));
        assert_eq!(n["nodes"][0]["webhookId"], "w-1");
        assert_eq!(
            n["connections"]["Hook"]["main"].as_array().unwrap().len(),
            1
        );
    }

    #[test]
    fn bare_string_credentials_equal_object_ones() {
        let mut a = workflow();
        a["nodes"][1]["credentials"] = json!({"googleSheetsOAuth2Api": "Sheets"});
        assert_eq!(fingerprint(&a), fingerprint(&workflow()));
    }

    #[test]
    fn one_credential_id_takes_the_first_nodes_name_as_n8n_does() {
        let wf = |second: &str| {
            json!({"name": "x", "nodes": [
                {"name": "B", "type": "t", "credentials": {"slackApi": {"id": "7", "name": "Slack"}}},
                {"name": "A", "type": "t", "credentials": {"slackApi": {"id": "7", "name": second}}}
            ]})
        };
        assert_eq!(fingerprint(&wf("Slack 2")), fingerprint(&wf("Slack")));
        assert_eq!(
            normalize(&wf("Slack 2"))["nodes"][0]["credentials"]["slackApi"]["name"],
            "Slack"
        );
    }

    #[test]
    fn fingerprint_is_hex_sha256() {
        let f = fingerprint(&workflow());
        assert_eq!(f.len(), 64);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": {"z": 1, "a": [ {"y": 1, "x": 2} ]}, "a": "q\"uote"});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":"q\"uote","b":{"a":[{"x":2,"y":1}],"z":1}}"#
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        for v in [
            json!(null),
            json!([1, 2]),
            json!({"nodes": "x", "connections": [1], "settings": 3}),
            json!({"nodes": [1, null, {"credentials": 5}]}),
        ] {
            let _ = fingerprint(&v);
        }
    }

    // ---- property tests ----

    fn arb_param() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::from),
            (-1000i64..1000).prop_map(Value::from),
            "[a-z ]{0,12}".prop_map(Value::from),
            "[a-z]{1,6}".prop_map(|s| Value::from(format!("={{{{ $json.{s} }}}}"))),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_workflow() -> impl Strategy<Value = Value> {
        let node = (
            "[a-z]{1,8}",
            prop::sample::select(vec![
                "n8n-nodes-base.set",
                "n8n-nodes-base.httpRequest",
                "n8n-nodes-base.if",
                "n8n-nodes-base.code",
            ]),
            1u32..5,
            prop::collection::btree_map("[a-z]{1,6}", arb_param(), 0..4),
            prop::option::of("[A-Z][a-z]{2,6}"),
        );
        (prop::collection::vec(node, 1..8), "[A-Za-z ]{1,20}").prop_map(|(nodes, name)| {
            let mut seen = std::collections::HashSet::new();
            let nodes: Vec<Value> = nodes
                .into_iter()
                .enumerate()
                .filter(|(_, n)| seen.insert(n.0.clone()))
                .map(|(i, (n, t, v, params, cred))| {
                    let mut node = json!({"id": format!("id-{i}"), "name": n, "type": t, "typeVersion": v,
                        "position": [i * 100, 0], "parameters": Value::Object(params.into_iter().collect())});
                    if let Some(c) = cred {
                        node["credentials"] = json!({"httpBasicAuth": {"id": format!("c{i}"), "name": c}});
                    }
                    node
                })
                .collect();
            let names: Vec<String> = nodes.iter().map(|n| n["name"].as_str().unwrap().to_string()).collect();
            let mut connections = serde_json::Map::new();
            for pair in names.windows(2) {
                connections.insert(pair[0].clone(), json!({"main": [[{"node": pair[1], "type": "main", "index": 0}]]}));
            }
            json!({"name": name, "nodes": nodes, "connections": connections, "settings": {"executionOrder": "v1"}})
        })
    }

    /// What another instance (or time) does to the same workflow without changing it.
    fn instance_noise(wf: &Value, salt: u64) -> Value {
        let mut w = wf.clone();
        w["id"] = json!(format!("other-{salt}"));
        w["versionId"] = json!(format!("v-{salt}"));
        w["updatedAt"] = json!("2026-01-01T00:00:00.000Z");
        w["active"] = json!(salt.is_multiple_of(2));
        w["meta"] = json!({"instanceId": salt.to_string()});
        w["settings"]["callerPolicy"] = json!("workflowsFromSameOwner");
        w["settings"]["availableInMCP"] = json!(false);
        let nodes = w["nodes"].as_array_mut().unwrap();
        for (i, n) in nodes.iter_mut().enumerate() {
            n["id"] = json!(format!("{salt}-{i}"));
            n["position"] = json!([salt as i64, i as i64 * 7]);
            if let Some(creds) = n.get_mut("credentials").and_then(Value::as_object_mut) {
                for r in creds.values_mut() {
                    r["id"] = json!(format!("{salt}-{}", r["id"].as_str().unwrap_or("")));
                }
            }
        }
        nodes.reverse();
        w
    }

    proptest! {
        #[test]
        fn normalize_is_idempotent(wf in arb_workflow()) {
            let once = normalize(&wf);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn two_instances_copies_fingerprint_equal(wf in arb_workflow(), salt in any::<u64>()) {
            prop_assert_eq!(fingerprint(&instance_noise(&wf, salt)), fingerprint(&wf));
        }

        #[test]
        fn meaningful_changes_change_the_fingerprint(wf in arb_workflow(), pick in 0usize..64, which in 0u8..7) {
            let before = fingerprint(&wf);
            let mut w = wf.clone();
            let count = w["nodes"].as_array().unwrap().len();
            let node = &mut w["nodes"][pick % count];
            match which {
                0 => node["name"] = json!(format!("{}-renamed", node["name"].as_str().unwrap())),
                1 => node["typeVersion"] = json!(node["typeVersion"].as_u64().unwrap() + 10),
                2 => node["parameters"]["zzChanged"] = json!("new value"),
                3 => node["credentials"] = json!({"httpBasicAuth": {"id": "x", "name": "Another credential"}}),
                4 => node["disabled"] = json!(true),
                5 => node["webhookId"] = json!("new-webhook"),
                _ => w["connections"]["zz-new-source"] = json!({"main": [[{"node": "x", "type": "main", "index": 0}]]}),
            }
            prop_assert_ne!(fingerprint(&w), before);
        }
    }
}
