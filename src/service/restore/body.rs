//! The body a restore writes: the snapshot's document made ready for the target
//! instance. Pure.
//!
//! A document keeps each node credential as `{type: {name}}`: normalization drops
//! credential ids, which differ per instance. n8n (1.123, and the simulator with it)
//! reads such a reference badly: a reference with no `id` key is looked up by an
//! undefined id, which binds it to the FIRST credential of the type, whatever its
//! name. So every reference gets an `id`: the target's own id for that type and name
//! when the target's stored credentials know exactly one, else `null`, which n8n
//! resolves by name and type (the one credential of that name) or keeps as given.

use crate::store::inventory::CredentialRow;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// An environment's credential ids by (type, name), where exactly one id is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(in crate::service) struct CredentialIds {
    ids: HashMap<(String, String), String>,
}

impl CredentialIds {
    /// From the credentials a sync stored (listed by the API, or referenced by nodes).
    /// A type and name with two different ids is left out: n8n then decides by name.
    pub(in crate::service) fn from_rows(rows: &[CredentialRow]) -> CredentialIds {
        let mut seen: HashMap<(String, String), Option<String>> = HashMap::new();
        for row in rows {
            let Some(id) = row.n8n_id.as_ref().filter(|id| !id.is_empty()) else {
                continue;
            };
            let key = (row.cred_type.clone(), row.name.clone());
            seen.entry(key)
                .and_modify(|known| {
                    if known.as_ref() != Some(id) {
                        *known = None;
                    }
                })
                .or_insert_with(|| Some(id.clone()));
        }
        CredentialIds {
            ids: seen
                .into_iter()
                .filter_map(|(key, id)| Some((key, id?)))
                .collect(),
        }
    }

    fn get(&self, cred_type: &str, name: &str) -> Option<&str> {
        self.ids
            .get(&(cred_type.to_owned(), name.to_owned()))
            .map(String::as_str)
    }
}

/// The document to write into the target: each node credential given an `id` (see
/// the module's doc), and, for an update, each node the id its namesake has in the
/// live workflow (`live`), so n8n keeps its node identities. Neither changes the
/// fingerprint: normalization drops node and credential ids.
pub(in crate::service) fn restore_body(
    document: &Value,
    creds: &CredentialIds,
    live: Option<&Value>,
) -> Value {
    let live_ids: HashMap<&str, &Value> = live
        .and_then(|l| l.get("nodes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n.get("name")?.as_str()?, n.get("id")?)))
        .collect();
    let mut body = document.clone();
    let Some(nodes) = body.get_mut("nodes").and_then(Value::as_array_mut) else {
        return body;
    };
    for node in nodes.iter_mut().filter_map(Value::as_object_mut) {
        let name = node.get("name").and_then(Value::as_str).map(str::to_owned);
        if !node.contains_key("id")
            && let Some(id) = name.as_deref().and_then(|n| live_ids.get(n))
        {
            node.insert("id".into(), (*id).clone());
        }
        if let Some(Value::Object(refs)) = node.get_mut("credentials") {
            with_ids(refs, creds);
        }
    }
    body
}

fn with_ids(refs: &mut Map<String, Value>, creds: &CredentialIds) {
    for (cred_type, reference) in refs.iter_mut() {
        let Value::Object(r) = reference else {
            continue;
        };
        if r.contains_key("id") {
            continue;
        }
        let id = r
            .get("name")
            .and_then(Value::as_str)
            .and_then(|name| creds.get(cred_type, name));
        r.insert(
            "id".into(),
            id.map_or(Value::Null, |id| Value::String(id.to_owned())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::normalize::fingerprint;
    use serde_json::json;

    fn row(id: Option<&str>, name: &str, cred_type: &str) -> CredentialRow {
        CredentialRow {
            n8n_id: id.map(str::to_owned),
            name: name.into(),
            cred_type: cred_type.into(),
            source: "nodes".into(),
            used_by: 1,
        }
    }

    fn document() -> Value {
        json!({
            "name": "Orders",
            "nodes": [
                {"name": "HTTP", "type": "n8n-nodes-base.httpRequest", "position": [0, 0],
                 "credentials": {"httpHeaderAuth": {"name": "Shop"},
                                 "httpBasicAuth": {"name": "Twice"},
                                 "slackApi": {"name": "Unknown"}}},
                {"name": "Start", "type": "n8n-nodes-base.manualTrigger", "position": [0, 0]}
            ],
            "connections": {},
            "settings": {}
        })
    }

    #[test]
    fn every_credential_gets_the_targets_id_or_null() {
        let creds = CredentialIds::from_rows(&[
            row(Some("7"), "Shop", "httpHeaderAuth"),
            row(Some("8"), "Shop", "slackApi"),
            row(Some("1"), "Twice", "httpBasicAuth"),
            row(Some("2"), "Twice", "httpBasicAuth"),
            row(None, "Unknown", "slackApi"),
        ]);
        let body = restore_body(&document(), &creds, None);
        let refs = &body["nodes"][0]["credentials"];
        assert_eq!(refs["httpHeaderAuth"], json!({"id": "7", "name": "Shop"}));
        // Two ids for one type and name: n8n decides by name.
        assert_eq!(refs["httpBasicAuth"], json!({"id": null, "name": "Twice"}));
        assert_eq!(refs["slackApi"], json!({"id": null, "name": "Unknown"}));
        assert_eq!(fingerprint(&body), fingerprint(&document()));
    }

    #[test]
    fn an_update_keeps_the_live_node_ids() {
        let live =
            json!({"nodes": [{"name": "Start", "id": "n-1"}, {"name": "Gone", "id": "n-2"}]});
        let body = restore_body(&document(), &CredentialIds::default(), Some(&live));
        assert_eq!(body["nodes"][1]["id"], "n-1");
        assert!(body["nodes"][0].get("id").is_none());
        assert_eq!(fingerprint(&body), fingerprint(&document()));
        // Ids and references already given are kept.
        let again = restore_body(&body, &CredentialIds::default(), None);
        assert_eq!(again, body);
    }
}
