//! Credential remapping for a promotion: which of the target's credentials each
//! credential a workflow uses becomes, and the workflow rewritten to point at them.
//!
//! A credential is known across environments by its type and name; ids are per
//! instance. Each credential a workflow's nodes use is resolved against the target's
//! credentials (gathered from its nodes in n8n 1.x, which lists none) and the stage's
//! [`MappingTable`]:
//!
//! 1. [`Resolution::Mapped`]: the table names a target credential for it, and the target
//!    has exactly that (same type, the table's name). A table entry whose credential the
//!    target lacks is [`Resolution::Missing`]: an explicit mapping is never replaced by a
//!    same-name guess.
//! 2. [`Resolution::SameName`]: the target has a credential of the same type and name.
//! 3. [`Resolution::Missing`] when neither.
//!
//! Two target credentials with the same type and name but different ids make that
//! credential ambiguous: an error naming both ids, since binding to either would be a
//! guess.
//!
//! After [`remap`], verification compares the re-fetched target against
//! [`expected_fingerprint`] of the remapped body (not the source's fingerprint): a
//! mapping renames credentials, and normalization keeps credential names.

use super::normalize::fingerprint;
use super::workflow::id_string;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A credential as workflows know it across environments: type and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CredentialKey {
    #[serde(rename = "type")]
    pub cred_type: String,
    pub name: String,
}

impl CredentialKey {
    pub fn new(cred_type: &str, name: &str) -> CredentialKey {
        CredentialKey {
            cred_type: cred_type.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// A credential that exists in the target environment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TargetCredential {
    #[serde(rename = "type")]
    pub cred_type: String,
    pub name: String,
    /// The target's id for it; None when only its name is known (n8n then binds the
    /// reference by type and name on write).
    pub id: Option<String>,
}

/// A stage's mapping table: source credential -> the name of the target credential
/// (of the same type) it becomes.
///
/// Keys are `"type:name"` (`"slackApi:Dev Slack"`) or, for every type at once, a plain
/// `"name"` (`"Dev Slack"`). The typed key wins over the plain one. Keys are looked up,
/// never split, so names may contain `:`; n8n credential types never do.
pub type MappingTable = BTreeMap<String, String>;

/// The typed key of [`MappingTable`] for a credential: `"type:name"`.
pub fn mapping_key(cred_type: &str, name: &str) -> String {
    format!("{cred_type}:{name}")
}

/// The target credential name the table gives a source credential: the typed key
/// first, then the plain name.
pub fn mapped_name<'a>(table: &'a MappingTable, source: &CredentialKey) -> Option<&'a str> {
    table
        .get(&mapping_key(&source.cred_type, &source.name))
        .or_else(|| table.get(&source.name))
        .map(String::as_str)
}

/// How one source credential is found in the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// Through the stage's mapping table.
    Mapped { target: TargetCredential },
    /// The target has a credential of the same type and name.
    SameName { target: TargetCredential },
    /// The target has no such credential. `wanted` is the table's name when a mapping
    /// pointed at a credential the target lacks.
    Missing { wanted: Option<String> },
}

impl Resolution {
    /// The target credential, unless missing.
    pub fn target(&self) -> Option<&TargetCredential> {
        match self {
            Resolution::Mapped { target } | Resolution::SameName { target } => Some(target),
            Resolution::Missing { .. } => None,
        }
    }
}

/// A source credential and how it resolves in the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialResolution {
    pub source: CredentialKey,
    pub resolution: Resolution,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialMapError {
    #[error(
        "credential '{name}' of type {cred_type} is ambiguous in {env}: ids {} share that type and name",
        ids.join(", ")
    )]
    Ambiguous {
        env: String,
        cred_type: String,
        name: String,
        ids: Vec<String>,
    },
}

/// (credential type, id) -> the name n8n keeps for it: the name the first node (in node
/// order) gives it. The same rule as normalization, so the credentials used and the
/// ones remapped are the ones the fingerprint sees.
fn shared_names(nodes: &[Value]) -> HashMap<(String, String), String> {
    let mut names = HashMap::new();
    for creds in nodes
        .iter()
        .filter_map(|n| n.get("credentials").and_then(Value::as_object))
    {
        for (cred_type, reference) in creds {
            if let (Some(id), Some(name)) = (
                reference.get("id").and_then(id_string),
                reference.get("name").and_then(Value::as_str),
            ) {
                names
                    .entry((cred_type.clone(), id))
                    .or_insert_with(|| name.to_owned());
            }
        }
    }
    names
}

/// The name a node's credential reference stands for: `{id, name}`, `{name}` or a bare
/// name string. None for anything else (left as it is).
fn reference_name(
    cred_type: &str,
    reference: &Value,
    names: &HashMap<(String, String), String>,
) -> Option<String> {
    match reference {
        Value::String(name) => Some(name.clone()),
        Value::Object(r) => {
            let shared = r
                .get("id")
                .and_then(id_string)
                .and_then(|id| names.get(&(cred_type.to_owned(), id)));
            shared
                .cloned()
                .or_else(|| r.get("name").and_then(Value::as_str).map(str::to_owned))
        }
        _ => None,
    }
}

fn nodes(workflow: &Value) -> &[Value] {
    workflow
        .get("nodes")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The credentials a workflow's nodes use, by type and name, deduplicated and sorted.
pub fn used_credentials(workflow: &Value) -> Vec<CredentialKey> {
    let nodes = nodes(workflow);
    let names = shared_names(nodes);
    let used: BTreeSet<CredentialKey> = nodes
        .iter()
        .filter_map(|n| n.get("credentials").and_then(Value::as_object))
        .flat_map(|creds| creds.iter())
        .filter_map(|(cred_type, r)| {
            Some(CredentialKey {
                cred_type: cred_type.clone(),
                name: reference_name(cred_type, r, &names)?,
            })
        })
        .collect();
    used.into_iter().collect()
}

/// Resolves each of `used` against the credentials of `target_env` and the stage's
/// table (see the module's doc). Entries of `target` that repeat one id, or that carry
/// no id beside one that has one, are the same credential, not an ambiguity.
pub fn resolve(
    target_env: &str,
    used: &[CredentialKey],
    target: &[TargetCredential],
    table: &MappingTable,
) -> Result<Vec<CredentialResolution>, CredentialMapError> {
    let mut by_key: HashMap<(&str, &str), Vec<&TargetCredential>> = HashMap::new();
    for t in target {
        by_key
            .entry((t.cred_type.as_str(), t.name.as_str()))
            .or_default()
            .push(t);
    }
    let find =
        |cred_type: &str, name: &str| -> Result<Option<TargetCredential>, CredentialMapError> {
            let Some(found) = by_key.get(&(cred_type, name)) else {
                return Ok(None);
            };
            let ids: BTreeSet<&str> = found.iter().filter_map(|t| t.id.as_deref()).collect();
            if ids.len() > 1 {
                return Err(CredentialMapError::Ambiguous {
                    env: target_env.to_owned(),
                    cred_type: cred_type.to_owned(),
                    name: name.to_owned(),
                    ids: ids.into_iter().map(str::to_owned).collect(),
                });
            }
            Ok(Some(TargetCredential {
                cred_type: cred_type.to_owned(),
                name: name.to_owned(),
                id: ids.into_iter().next().map(str::to_owned),
            }))
        };
    used.iter()
        .map(|source| {
            let resolution = match mapped_name(table, source) {
                Some(wanted) => match find(&source.cred_type, wanted)? {
                    Some(target) => Resolution::Mapped { target },
                    None => Resolution::Missing {
                        wanted: Some(wanted.to_owned()),
                    },
                },
                None => match find(&source.cred_type, &source.name)? {
                    Some(target) => Resolution::SameName { target },
                    None => Resolution::Missing { wanted: None },
                },
            };
            Ok(CredentialResolution {
                source: source.clone(),
                resolution,
            })
        })
        .collect()
}

/// The source credentials the target lacks (what fails the credential gate).
pub fn missing(resolutions: &[CredentialResolution]) -> Vec<&CredentialKey> {
    resolutions
        .iter()
        .filter(|r| r.resolution.target().is_none())
        .map(|r| &r.source)
        .collect()
}

/// `workflow` with every node credential pointing at the target's: `{id, name}` of the
/// resolved target credential (`id` null when the target's id is unknown). A credential
/// that is missing, or absent from `resolutions`, keeps its name with `id` null: a
/// source id means nothing in the target (and may name another credential there), and
/// n8n binds a null id by type and name. Everything else is left as it is.
pub fn remap(workflow: &Value, resolutions: &[CredentialResolution]) -> Value {
    let targets: HashMap<&CredentialKey, &TargetCredential> = resolutions
        .iter()
        .filter_map(|r| Some((&r.source, r.resolution.target()?)))
        .collect();
    let names = shared_names(nodes(workflow));
    let mut out = workflow.clone();
    let Some(nodes) = out.get_mut("nodes").and_then(Value::as_array_mut) else {
        return out;
    };
    for node in nodes.iter_mut() {
        let Some(Value::Object(refs)) = node.get_mut("credentials") else {
            continue;
        };
        for (cred_type, reference) in refs.iter_mut() {
            let Some(name) = reference_name(cred_type, reference, &names) else {
                continue;
            };
            let key = CredentialKey {
                cred_type: cred_type.clone(),
                name,
            };
            let (id, name) = match targets.get(&key) {
                Some(t) => (t.id.clone(), t.name.clone()),
                None => (None, key.name),
            };
            let mut r = Map::new();
            r.insert("id".into(), id.map_or(Value::Null, Value::String));
            r.insert("name".into(), Value::String(name));
            *reference = Value::Object(r);
        }
    }
    out
}

/// The fingerprint the target must show after the remapped body is written: the
/// fingerprint of that body, so verification compares like with like.
pub fn expected_fingerprint(remapped: &Value) -> String {
    fingerprint(remapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(cred_type: &str, name: &str, id: Option<&str>) -> TargetCredential {
        TargetCredential {
            cred_type: cred_type.into(),
            name: name.into(),
            id: id.map(str::to_owned),
        }
    }

    /// A source workflow as the development instance returns it.
    fn source() -> Value {
        json!({
            "id": "dev-1", "name": "Orders", "active": true,
            "nodes": [
                {"id": "a", "name": "Slack", "type": "n8n-nodes-base.slack", "position": [0, 0],
                 "credentials": {"slackApi": {"id": "11", "name": "Dev Slack"}}},
                {"id": "b", "name": "Slack 2", "type": "n8n-nodes-base.slack", "position": [9, 9],
                 "credentials": {"slackApi": {"id": "11", "name": "stale name"}}},
                {"id": "c", "name": "DB", "type": "n8n-nodes-base.postgres", "position": [1, 1],
                 "credentials": {"postgres": {"id": "12", "name": "Orders DB"}}},
                {"id": "d", "name": "AI", "type": "n8n-nodes-base.openAi", "position": [2, 2],
                 "credentials": {"openAiApi": "OpenAI"}},
                {"id": "e", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "position": [3, 3]}
            ],
            "connections": {}, "settings": {}
        })
    }

    fn table() -> MappingTable {
        MappingTable::from([("slackApi:Dev Slack".to_owned(), "Prod Slack".to_owned())])
    }

    fn prod() -> Vec<TargetCredential> {
        vec![
            target("slackApi", "Prod Slack", Some("71")),
            target("slackApi", "Dev Slack", Some("70")),
            target("postgres", "Orders DB", Some("72")),
            target("postgres", "Orders DB", None),
        ]
    }

    #[test]
    fn used_credentials_follow_normalization_names() {
        assert_eq!(
            used_credentials(&source()),
            vec![
                CredentialKey::new("openAiApi", "OpenAI"),
                CredentialKey::new("postgres", "Orders DB"),
                CredentialKey::new("slackApi", "Dev Slack"),
            ]
        );
    }

    #[test]
    fn resolves_mapped_same_name_and_missing() {
        let used = used_credentials(&source());
        let got = resolve("prod", &used, &prod(), &table()).unwrap();
        let by: HashMap<&str, &Resolution> = got
            .iter()
            .map(|r| (r.source.name.as_str(), &r.resolution))
            .collect();
        // The table wins over the same-named "Dev Slack" the target also has.
        assert_eq!(
            by["Dev Slack"],
            &Resolution::Mapped {
                target: target("slackApi", "Prod Slack", Some("71"))
            }
        );
        // A row without an id beside one with an id is the same credential.
        assert_eq!(
            by["Orders DB"],
            &Resolution::SameName {
                target: target("postgres", "Orders DB", Some("72"))
            }
        );
        assert_eq!(by["OpenAI"], &Resolution::Missing { wanted: None });
        assert_eq!(
            missing(&got),
            vec![&CredentialKey::new("openAiApi", "OpenAI")]
        );
    }

    #[test]
    fn table_keys_typed_then_plain_name() {
        let key = CredentialKey::new("slackApi", "Dev: Slack");
        let mut t = MappingTable::from([("Dev: Slack".to_owned(), "plain".to_owned())]);
        assert_eq!(mapped_name(&t, &key), Some("plain"));
        t.insert(mapping_key("slackApi", "Dev: Slack"), "typed".into());
        assert_eq!(mapped_name(&t, &key), Some("typed"));
        assert_eq!(mapped_name(&t, &CredentialKey::new("x", "other")), None);
        // A mapping to a credential the target lacks is missing, not a same-name guess.
        let got = resolve(
            "prod",
            std::slice::from_ref(&key),
            &[target("slackApi", "Dev: Slack", Some("1"))],
            &t,
        )
        .unwrap();
        assert_eq!(
            got[0].resolution,
            Resolution::Missing {
                wanted: Some("typed".into())
            }
        );
    }

    #[test]
    fn ambiguity_is_an_error_naming_both() {
        let used = [CredentialKey::new("postgres", "Orders DB")];
        let creds = [
            target("postgres", "Orders DB", Some("5")),
            target("postgres", "Orders DB", Some("4")),
            target("postgres", "Orders DB", Some("5")),
        ];
        let err = resolve("prod", &used, &creds, &MappingTable::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credential 'Orders DB' of type postgres is ambiguous in prod: ids 4, 5 share that type and name"
        );
        // The ambiguity only matters to a workflow that uses that credential.
        let other = [CredentialKey::new("slackApi", "Orders DB")];
        assert!(resolve("prod", &other, &creds, &MappingTable::new()).is_ok());
    }

    #[test]
    fn remap_points_every_node_at_the_target() {
        let used = used_credentials(&source());
        let res = resolve("prod", &used, &prod(), &table()).unwrap();
        let body = remap(&source(), &res);
        let nodes = &body["nodes"];
        assert_eq!(
            nodes[0]["credentials"]["slackApi"],
            json!({"id": "71", "name": "Prod Slack"})
        );
        // The node with the stale name follows its id's shared name, then the table.
        assert_eq!(
            nodes[1]["credentials"]["slackApi"],
            json!({"id": "71", "name": "Prod Slack"})
        );
        assert_eq!(
            nodes[2]["credentials"]["postgres"],
            json!({"id": "72", "name": "Orders DB"})
        );
        // Missing: the source id is dropped, the name kept for n8n to bind.
        assert_eq!(
            nodes[3]["credentials"]["openAiApi"],
            json!({"id": null, "name": "OpenAI"})
        );
        assert!(nodes[4].get("credentials").is_none());
        // Nothing else changed.
        assert_eq!(body["nodes"][0]["position"], json!([0, 0]));
        assert_eq!(body["id"], "dev-1");
        // Without resolutions, every source id is still dropped.
        let bare = remap(&source(), &[]);
        assert_eq!(
            bare["nodes"][0]["credentials"]["slackApi"],
            json!({"id": null, "name": "Dev Slack"})
        );
    }

    #[test]
    fn remapped_fingerprint_matches_the_target_side() {
        let used = used_credentials(&source());
        let res = resolve("prod", &used, &prod(), &table()).unwrap();
        let body = remap(&source(), &res);
        // The same workflow as production holds it: its own ids, positions and
        // credential ids, the production credential names.
        let in_prod = json!({
            "id": "prod-9", "name": "Orders", "active": false, "versionId": "v7",
            "nodes": [
                {"id": "x1", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "position": [30, 30]},
                {"id": "x2", "name": "AI", "type": "n8n-nodes-base.openAi", "position": [20, 20],
                 "credentials": {"openAiApi": {"id": "99", "name": "OpenAI"}}},
                {"id": "x3", "name": "DB", "type": "n8n-nodes-base.postgres", "position": [10, 10],
                 "credentials": {"postgres": {"id": "72", "name": "Orders DB"}}},
                {"id": "x4", "name": "Slack 2", "type": "n8n-nodes-base.slack", "position": [9, 9],
                 "credentials": {"slackApi": {"id": "71", "name": "Prod Slack"}}},
                {"id": "x5", "name": "Slack", "type": "n8n-nodes-base.slack", "position": [0, 0],
                 "credentials": {"slackApi": {"id": "71", "name": "Prod Slack"}}}
            ],
            "connections": {}, "settings": {}
        });
        assert_eq!(expected_fingerprint(&body), fingerprint(&in_prod));
        // The mapping renamed a credential: the source's own fingerprint differs.
        assert_ne!(expected_fingerprint(&body), fingerprint(&source()));
    }
}
