//! Edits people make to a workflow, applied to a copy: the diff's tests check each is
//! reported as what it is, and the benchmarks diff the corpus against such copies.

use serde_json::{Value, json};

/// One kind of edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Rename a node (connections follow, as in n8n's editor).
    RenameNode,
    /// Add a parameter to a node.
    ChangeParameter,
    /// Point a node at another credential.
    SwapCredential,
    /// Send one link to another node (whatever its source is named: many exports key
    /// connections by node id).
    RewireConnection,
    /// Move a node on the canvas.
    MoveNode,
}

impl Mutation {
    pub const ALL: [Mutation; 5] = [
        Mutation::RenameNode,
        Mutation::ChangeParameter,
        Mutation::SwapCredential,
        Mutation::RewireConnection,
        Mutation::MoveNode,
    ];
}

/// What an applied mutation touched, for a test to check the diff against.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub mutation: Mutation,
    /// The node's name before the edit (the link's source, for a rewire).
    pub node: String,
    /// Its name after (differs only for a rename).
    pub new_name: String,
    /// For a rewire: the old and new target.
    pub rewired: Option<(String, String)>,
}

/// A copy of `workflow` with `mutation` applied to the node `pick` selects, or None
/// when the workflow has nothing it applies to (no credentials to swap, ...).
pub fn mutate(workflow: &Value, mutation: Mutation, pick: usize) -> Option<(Value, Applied)> {
    let mut w = workflow.clone();
    let nodes = w.get("nodes")?.as_array()?;
    let names: Vec<String> = nodes
        .iter()
        .filter_map(|n| n.get("name")?.as_str().map(str::to_owned))
        .collect();
    if names.is_empty() || names.len() != nodes.len() {
        return None;
    }
    let unique = |name: &str| names.iter().filter(|n| *n == name).count() == 1;
    let applied = |node: &str| Applied {
        mutation,
        node: node.to_owned(),
        new_name: node.to_owned(),
        rewired: None,
    };
    match mutation {
        Mutation::RenameNode => {
            let k = pick % names.len();
            let old = names[k].clone();
            if !unique(&old) {
                return None;
            }
            let new = format!("{old} (renamed)");
            if names.contains(&new) {
                return None;
            }
            w["nodes"][k]["name"] = json!(new);
            rename_in_connections(&mut w, &old, &new);
            Some((
                w,
                Applied {
                    new_name: new,
                    ..applied(&old)
                },
            ))
        }
        Mutation::ChangeParameter => {
            let k = pick % names.len();
            if !unique(&names[k]) {
                return None;
            }
            let node = w["nodes"].get_mut(k)?.as_object_mut()?;
            let params = node.entry("parameters").or_insert_with(|| json!({}));
            params
                .as_object_mut()?
                .insert("zzMutated".into(), json!("a changed value"));
            Some((w, applied(&names[k])))
        }
        Mutation::SwapCredential => {
            let count = names.len();
            let k = (0..count).map(|d| (pick + d) % count).find(|&k| {
                unique(&names[k])
                    && w["nodes"][k]
                        .get("credentials")
                        .and_then(Value::as_object)
                        .is_some_and(|c| c.values().any(Value::is_object))
            })?;
            let creds = w["nodes"][k]["credentials"].as_object_mut()?;
            let reference = creds.values_mut().find(|r| r.is_object())?;
            let name = reference.get("name").and_then(Value::as_str).unwrap_or("");
            *reference = json!({"id": "swapped-credential", "name": format!("{name} (another)")});
            Some((w, applied(&names[k])))
        }
        Mutation::RewireConnection => {
            let sources: Vec<String> = w
                .get("connections")?
                .as_object()?
                .iter()
                .filter(|(_, v)| first_main_target(v).is_some())
                .map(|(s, _)| s.clone())
                .collect();
            let source = sources.get(pick % sources.len().max(1))?.clone();
            let link = w["connections"][&source]["main"]
                .as_array_mut()?
                .iter_mut()
                .find_map(|o| o.as_array_mut().filter(|l| !l.is_empty()))?
                .get_mut(0)?;
            let old_target = link.get("node")?.as_str()?.to_owned();
            let new_target = names
                .iter()
                .cycle()
                .skip(pick % names.len())
                .take(names.len())
                .find(|n| **n != old_target && **n != source)?
                .clone();
            link["node"] = json!(new_target);
            Some((
                w,
                Applied {
                    rewired: Some((old_target, new_target)),
                    ..applied(&source)
                },
            ))
        }
        Mutation::MoveNode => {
            let k = pick % names.len();
            let node = w["nodes"].get_mut(k)?;
            let (x, y) = match node.get("position").and_then(Value::as_array) {
                Some(p) if p.len() == 2 => (p[0].as_f64()?, p[1].as_f64()?),
                _ => (0.0, 0.0),
            };
            node["position"] = json!([x + 120.0, y + 60.0]);
            Some((w, applied(&names[k])))
        }
    }
}

fn first_main_target(source: &Value) -> Option<&str> {
    source
        .get("main")?
        .as_array()?
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .find_map(|l| l.get("node")?.as_str())
}

/// Renames a node in the connections: as a source and as a target.
fn rename_in_connections(w: &mut Value, old: &str, new: &str) {
    let Some(conns) = w.get_mut("connections").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(v) = conns.remove(old) {
        conns.insert(new.to_owned(), v);
    }
    for kinds in conns.values_mut().filter_map(Value::as_object_mut) {
        for outputs in kinds.values_mut().filter_map(Value::as_array_mut) {
            for links in outputs.iter_mut().filter_map(Value::as_array_mut) {
                for link in links {
                    if link.get("node").and_then(Value::as_str) == Some(old) {
                        link["node"] = json!(new);
                    }
                }
            }
        }
    }
}
