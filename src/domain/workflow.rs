//! What can be read off a workflow's JSON without any IO: node types, triggers,
//! credentials referenced, and the catalog search.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A credential as the nodes of a workflow reference it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CredentialRef {
    /// n8n's id on that instance, when the node carries one.
    pub id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub cred_type: String,
}

fn nodes(workflow: &Value) -> impl Iterator<Item = &Value> {
    workflow
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The distinct node types of a workflow, sorted.
pub fn node_types(workflow: &Value) -> Vec<String> {
    let mut types: Vec<String> = nodes(workflow)
        .filter_map(|n| n.get("type").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    types.sort();
    types.dedup();
    types
}

/// How many nodes a workflow has (sticky notes included).
pub fn node_count(workflow: &Value) -> usize {
    nodes(workflow).count()
}

/// Whether a node type starts a workflow (what n8n requires to activate one).
pub fn is_trigger_type(node_type: &str) -> bool {
    let short = node_type.rsplit('.').next().unwrap_or(node_type);
    short.ends_with("Trigger")
        || matches!(
            short,
            "webhook" | "cron" | "interval" | "formTrigger" | "emailReadImap" | "mcpTrigger"
        )
}

/// Whether the workflow has at least one enabled trigger node.
pub fn has_trigger(workflow: &Value) -> bool {
    nodes(workflow).any(|n| {
        let enabled = n.get("disabled").and_then(Value::as_bool) != Some(true);
        enabled
            && n.get("type")
                .and_then(Value::as_str)
                .is_some_and(is_trigger_type)
    })
}

/// Every credential the workflow's nodes reference, deduplicated and sorted.
/// Accepts `{type: {id, name}}` and the bare `{type: "name"}` some exports carry.
pub fn credential_refs(workflow: &Value) -> Vec<CredentialRef> {
    let mut refs: Vec<CredentialRef> = nodes(workflow)
        .filter_map(|n| n.get("credentials").and_then(Value::as_object))
        .flat_map(|creds| creds.iter())
        .filter_map(|(cred_type, r)| {
            let (id, name) = match r {
                Value::String(name) => (None, name.clone()),
                Value::Object(o) => (
                    o.get("id").and_then(id_string),
                    o.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ),
                _ => return None,
            };
            Some(CredentialRef {
                id,
                name,
                cred_type: cred_type.clone(),
            })
        })
        .collect();
    refs.sort();
    refs.dedup();
    refs
}

/// n8n ids are strings, but some versions and exports write numbers.
pub fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Catalog search: a case-insensitive substring of the name or of any node type.
/// `node_types` is what `node_types()` returned for the same workflow.
pub fn matches_search(name: &str, node_types: &[String], needle: &str) -> bool {
    let needle = needle.trim().to_lowercase();
    needle.is_empty()
        || name.to_lowercase().contains(&needle)
        || node_types
            .iter()
            .any(|t| t.to_lowercase().contains(&needle))
}

/// Each given id or exact name as an id, among the `(id, name)` pairs an environment
/// holds. An exact id wins; a name must name one workflow; anything else is passed on
/// as an id for n8n to judge.
pub fn resolve_ids<'a>(
    env: &str,
    given: &[String],
    held: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Result<Vec<String>, String> {
    given
        .iter()
        .map(|g| {
            if held.clone().any(|(id, _)| id == g) {
                return Ok(g.clone());
            }
            let named: Vec<&str> = held
                .clone()
                .filter(|(_, name)| name == g)
                .map(|(id, _)| id)
                .collect();
            match named.as_slice() {
                [] => Ok(g.clone()),
                [id] => Ok((*id).to_owned()),
                ids => Err(format!(
                    "'{g}' names {} workflows in {env} ({}): give an id",
                    ids.len(),
                    ids.join(", ")
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_and_exact_names_resolve_to_ids() {
        let held = [
            ("a1", "Billing"),
            ("b2", "Twice"),
            ("c3", "Twice"),
            ("d4", "a1"),
        ];
        let ids = |given: &[&str]| {
            let given: Vec<String> = given.iter().map(|g| g.to_string()).collect();
            super::resolve_ids("prod", &given, held.iter().copied())
        };
        assert_eq!(ids(&["Billing", "b2", "zz"]).unwrap(), ["a1", "b2", "zz"]);
        assert_eq!(ids(&["a1"]).unwrap(), ["a1"], "an id wins over a name");
        let err = ids(&["Twice"]).unwrap_err();
        assert_eq!(
            err,
            "'Twice' names 2 workflows in prod (b2, c3): give an id"
        );
    }

    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({"name": "Orders", "nodes": [
            {"name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {}},
            {"name": "Slack", "type": "n8n-nodes-base.slack",
             "credentials": {"slackApi": {"id": "7", "name": "Ops Slack"}}},
            {"name": "AI", "type": "n8n-nodes-base.openAi", "credentials": {"openAiApi": "OpenAI"}},
            {"name": "Slack 2", "type": "n8n-nodes-base.slack",
             "credentials": {"slackApi": {"id": "7", "name": "Ops Slack"}}}
        ]})
    }

    #[test]
    fn reads_types_triggers_and_credentials() {
        let wf = sample();
        assert_eq!(node_types(&wf).len(), 3);
        assert!(has_trigger(&wf));
        let refs = credential_refs(&wf);
        assert_eq!(refs.len(), 2);
        assert!(refs.contains(&CredentialRef {
            id: None,
            name: "OpenAI".into(),
            cred_type: "openAiApi".into()
        }));
        assert!(refs.contains(&CredentialRef {
            id: Some("7".into()),
            name: "Ops Slack".into(),
            cred_type: "slackApi".into()
        }));
    }

    #[test]
    fn disabled_trigger_does_not_count() {
        let wf = json!({"nodes": [{"name": "T", "type": "n8n-nodes-base.scheduleTrigger", "disabled": true}]});
        assert!(!has_trigger(&wf));
        assert!(is_trigger_type("@n8n/n8n-nodes-langchain.chatTrigger"));
        assert!(!is_trigger_type("n8n-nodes-base.httpRequest"));
    }

    #[test]
    fn search_matches_name_or_node_type() {
        let types = node_types(&sample());
        assert!(matches_search("Orders", &types, "ord"));
        assert!(matches_search("Orders", &types, "SLACK"));
        assert!(!matches_search("Orders", &types, "postgres"));
        assert!(matches_search("Orders", &types, " "));
    }
}
