//! Corpus-derived workflows for the promotion tests against real instances: copies of
//! corpus files under names unique to the run, whose credentials are renamed to be
//! unique to the run too and created in each instance (so each instance has its own
//! ids for them), and the credential data n8n 1.123 accepts for the types used.
#![allow(dead_code)]

use super::n8n_api::Api;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// (credential type, name).
pub type CredKey = (String, String);

/// Data n8n 1.123 accepts on `POST /credentials` for the types the tests use (their
/// schemas' conditionals make some fields required that look optional).
pub fn credential_data(kind: &str) -> Option<Value> {
    Some(match kind {
        "openAiApi" => json!({"apiKey": "sk-n8nops-e2e", "header": false}),
        "httpHeaderAuth" => json!({"name": "X-N8nops-E2e", "value": "e2e"}),
        "httpBasicAuth" => json!({"user": "e2e", "password": "e2e"}),
        "httpQueryAuth" => json!({"name": "key", "value": "e2e"}),
        "telegramApi" => json!({"accessToken": "123:e2e"}),
        "slackApi" => json!({"accessToken": "xoxb-e2e", "signatureSecret": "e2e"}),
        "notionApi" => json!({"apiKey": "secret_e2e"}),
        _ => return None,
    })
}

/// A corpus file.
pub struct CorpusFile {
    pub path: PathBuf,
    pub value: Value,
}

/// The credentials a workflow's nodes name, by type and name; None when one is not a
/// `{id?, name}` object (a bare name, no name) or of a type without [`credential_data`].
pub fn usable_credentials(workflow: &Value) -> Option<BTreeSet<CredKey>> {
    let mut out = BTreeSet::new();
    for node in workflow["nodes"].as_array()? {
        let Some(creds) = node.get("credentials") else {
            continue;
        };
        for (kind, reference) in creds.as_object()? {
            let name = reference.get("name")?.as_str()?;
            credential_data(kind)?;
            out.insert((kind.clone(), name.to_owned()));
        }
    }
    Some(out)
}

/// Corpus files whose credentials the tests can create, split into those using some
/// and those using none; each list sorted by path.
pub fn candidates(files: &[PathBuf]) -> (Vec<CorpusFile>, Vec<CorpusFile>) {
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for path in files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        if value["nodes"].as_array().is_none_or(|n| n.is_empty()) {
            continue;
        }
        match usable_credentials(&value) {
            Some(c) if c.is_empty() => without.push(CorpusFile {
                path: path.clone(),
                value,
            }),
            Some(_) => with.push(CorpusFile {
                path: path.clone(),
                value,
            }),
            None => {}
        }
    }
    (with, without)
}

/// `n` of `files`, spread evenly over the list (so not all from one folder).
pub fn spread(files: &[CorpusFile], n: usize) -> Vec<&CorpusFile> {
    assert!(
        files.len() >= n,
        "{n} wanted, {} corpus files fit",
        files.len()
    );
    let stride = files.len() / n;
    (0..n).map(|i| &files[i * stride]).collect()
}

/// The run's name for a corpus credential name.
pub fn run_credential_name(name: &str, mark: &str) -> String {
    format!("{name} [e2e {mark}]")
}

/// A copy of `workflow` named `name`, each node credential `(type, n)` replaced by
/// `{id, name}` of `(type, run_credential_name(n))` in `ids`.
pub fn copy_of(workflow: &Value, name: &str, mark: &str, ids: &BTreeMap<CredKey, String>) -> Value {
    let mut out = workflow.clone();
    out["name"] = json!(name);
    if let Some(nodes) = out["nodes"].as_array_mut() {
        for node in nodes {
            let Some(creds) = node.get_mut("credentials").and_then(Value::as_object_mut) else {
                continue;
            };
            for (kind, reference) in creds.iter_mut() {
                let old = reference["name"].as_str().unwrap_or_default();
                let new = run_credential_name(old, mark);
                let id = ids
                    .get(&(kind.clone(), new.clone()))
                    .unwrap_or_else(|| panic!("no credential {kind} '{new}' created"));
                *reference = json!({"id": id, "name": new});
            }
        }
    }
    out
}

/// Each credential of `keys` (already renamed for the run) created in `api`: their ids.
/// Each id is also pushed to `created` as soon as it exists, for the clean-up.
pub async fn create_credentials(
    api: &Api,
    keys: &BTreeSet<CredKey>,
    created: &std::sync::Mutex<Vec<(Api, String)>>,
) -> BTreeMap<CredKey, String> {
    let mut ids = BTreeMap::new();
    for (kind, name) in keys {
        let data = credential_data(kind).unwrap_or_else(|| panic!("no data for {kind}"));
        let id = api.create_credential(name, kind, &data).await;
        created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((api.clone(), id.clone()));
        ids.insert((kind.clone(), name.clone()), id);
    }
    ids
}

/// A workflow that only references credentials: one no-op node per credential. n8n
/// 1.x lists no credentials, so an instance's credentials are known to n8nops only
/// through the workflows whose nodes use them; this makes those of `ids` known.
pub fn carrier(name: &str, ids: &BTreeMap<CredKey, String>) -> Value {
    let nodes: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, ((kind, cred), id))| {
            json!({
                "name": format!("uses {i}"),
                "type": "n8n-nodes-base.noOp",
                "typeVersion": 1,
                "position": [i as i64 * 220, 0],
                "parameters": {},
                "credentials": {kind.as_str(): {"id": id, "name": cred}}
            })
        })
        .collect();
    json!({"name": name, "nodes": nodes, "connections": {}, "settings": {}})
}

/// A workflow n8n can activate without reaching anything: a schedule trigger that
/// fires once a year, and a no-op.
pub fn yearly_workflow(name: &str) -> Value {
    json!({
        "name": name,
        "nodes": [
            {
                "name": "Once a year",
                "type": "n8n-nodes-base.scheduleTrigger",
                "typeVersion": 1.2,
                "position": [0, 0],
                "parameters": {"rule": {"interval": [
                    {"field": "cronExpression", "expression": "0 0 1 1 *"}
                ]}}
            },
            {
                "name": "Done",
                "type": "n8n-nodes-base.noOp",
                "typeVersion": 1,
                "position": [220, 0],
                "parameters": {}
            }
        ],
        "connections": {
            "Once a year": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}
        },
        "settings": {}
    })
}

/// `workflow` with a note on its first node: a change n8nops sees (notes are part of
/// the normalized form) and that runs nothing differently.
pub fn with_note(workflow: &Value, note: &str) -> Value {
    let mut out = workflow.clone();
    if let Some(first) = out["nodes"].get_mut(0) {
        first["notes"] = json!(note);
    }
    out
}
