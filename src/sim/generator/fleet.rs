//! Fleets: the same workflows in development, staging and production, with the drift
//! real fleets have.

use super::*;

/// Three environments of one fleet and how they differ.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub development: Vec<Value>,
    pub staging: Vec<Value>,
    pub production: Vec<Value>,
    /// The differences put in on purpose, for tests and the demo.
    pub drift: Vec<Drift>,
}

/// One deliberate difference between environments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub kind: DriftKind,
    /// The workflow's name.
    pub workflow: String,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftKind {
    /// New work, not promoted anywhere yet.
    OnlyInDevelopment,
    /// Changed in development, not promoted.
    ChangedInDevelopment,
    /// Changed in development and promoted to staging, not to production.
    InStagingNotProduction,
    /// A parameter hot-fixed in production only.
    HotfixInProduction,
    /// A node renamed in development.
    RenamedNodeInDevelopment,
}

/// A generated fleet of `count` production workflows, with drift. Each
/// environment has its own credential ids for the same credential names.
pub fn generate_fleet(seed: u64, count: usize) -> Fleet {
    let mut rng = Rng::new(seed);
    let pool = credential_pool(&mut rng);
    let mut names = HashSet::new();
    let production: Vec<Value> = (0..count)
        .map(|_| generate_workflow(&mut rng, &pool, &mut names))
        .collect();
    let mut fleet = with_drift(production, &mut rng, &pool, &mut names);
    for env in [&mut fleet.development, &mut fleet.staging] {
        let ids: HashMap<String, String> =
            pool.iter().map(|c| (c.id.clone(), rng.nanoid())).collect();
        for w in env.iter_mut() {
            rebind_credentials(w, &ids);
        }
    }
    fleet
}

/// A fleet built from given workflows (e.g. a seeded corpus): they are
/// production; development and staging get the same drift as [`generate_fleet`].
pub fn fleet_from(workflows: Vec<Value>, seed: u64) -> Fleet {
    let mut rng = Rng::new(seed);
    let pool = credential_pool(&mut rng);
    let mut names: HashSet<String> = workflows
        .iter()
        .filter_map(|w| w["name"].as_str().map(str::to_owned))
        .collect();
    with_drift(workflows, &mut rng, &pool, &mut names)
}

fn with_drift(
    production: Vec<Value>,
    rng: &mut Rng,
    pool: &[PoolCredential],
    names: &mut HashSet<String>,
) -> Fleet {
    let mut staging = production.clone();
    let mut development = production.clone();
    let mut drift = Vec::new();
    let n = production.len();
    let mut production = production;

    // Distinct workflows for each kind of drift, in a seeded order.
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.index(i + 1));
    }
    let editable: Vec<usize> = order
        .into_iter()
        .filter(|&i| editable_node(&production[i]).is_some())
        .collect();
    let mut candidates = editable.into_iter();
    let changed = (n / 25).clamp(1, 12);

    for k in 0..changed {
        let Some(i) = candidates.next() else { break };
        if let Some(detail) = tweak_parameter(&mut development[i], rng, "dev") {
            let name = workflow_name_of(&development[i]);
            if k == 0 {
                staging[i] = development[i].clone();
                drift.push(Drift {
                    kind: DriftKind::InStagingNotProduction,
                    workflow: name,
                    detail,
                });
            } else {
                drift.push(Drift {
                    kind: DriftKind::ChangedInDevelopment,
                    workflow: name,
                    detail,
                });
            }
        }
    }
    for _ in 0..2 {
        let Some(i) = candidates.next() else { break };
        if let Some(detail) = tweak_parameter(&mut production[i], rng, "hotfix") {
            drift.push(Drift {
                kind: DriftKind::HotfixInProduction,
                workflow: workflow_name_of(&production[i]),
                detail,
            });
        }
    }
    if let Some(i) = candidates.next()
        && let Some(detail) = rename_node(&mut development[i])
    {
        drift.push(Drift {
            kind: DriftKind::RenamedNodeInDevelopment,
            workflow: workflow_name_of(&development[i]),
            detail,
        });
    }
    for _ in 0..(n / 30).clamp(2, 10) {
        let w = generate_workflow(rng, pool, names);
        drift.push(Drift {
            kind: DriftKind::OnlyInDevelopment,
            workflow: workflow_name_of(&w),
            detail: "new workflow".into(),
        });
        development.push(w);
    }
    // Development instances rarely run their copies on a schedule.
    for w in development.iter_mut() {
        if rng.chance(0.65)
            && let Some(o) = w.as_object_mut()
        {
            o.remove("active");
        }
    }
    Fleet {
        development,
        staging,
        production,
        drift,
    }
}

pub(super) fn workflow_name_of(w: &Value) -> String {
    w["name"].as_str().unwrap_or_default().to_owned()
}

/// The index of the first node that is neither a trigger nor a sticky note and
/// has parameters to change.
fn editable_node(w: &Value) -> Option<usize> {
    w["nodes"].as_array()?.iter().position(|n| {
        let t = n["type"].as_str().unwrap_or_default();
        !t.ends_with("stickyNote")
            && !t.ends_with("Trigger")
            && !is_trigger_type(t)
            && n["parameters"].is_object()
            && n["name"].is_string()
    })
}

/// Changes one parameter of one node, the way a person edits a workflow.
fn tweak_parameter(w: &mut Value, rng: &mut Rng, label: &str) -> Option<String> {
    let i = editable_node(w)?;
    let node = w["nodes"].get_mut(i)?;
    let name = node["name"].as_str().unwrap_or_default().to_owned();
    let parameters = node["parameters"].as_object_mut()?;
    let string_key = parameters
        .iter()
        .find(|(_, v)| v.is_string())
        .map(|(k, _)| k.clone());
    let detail = match string_key {
        Some(key) => {
            let old = parameters[&key].as_str().unwrap_or_default().to_owned();
            let new = if old.contains("://") {
                format!(
                    "{old}{}v={label}{}",
                    if old.contains('?') { "&" } else { "?" },
                    rng.between(2, 9)
                )
            } else {
                format!("{old} ({label} {})", rng.between(2, 9))
            };
            parameters.insert(key.clone(), json!(new));
            format!("node \"{name}\": parameter {key} changed")
        }
        None => {
            let timeout = 1000 * rng.between(5, 60);
            let options = parameters.entry("options").or_insert_with(|| json!({}));
            if let Some(o) = options.as_object_mut() {
                o.insert("timeout".into(), json!(timeout));
            } else {
                parameters.insert("timeout".into(), json!(timeout));
            }
            format!("node \"{name}\": timeout set to {timeout} ms")
        }
    };
    Some(detail)
}

/// Renames one node and rewires the connections that name it.
fn rename_node(w: &mut Value) -> Option<String> {
    let i = editable_node(w)?;
    let old = w["nodes"][i]["name"].as_str()?.to_owned();
    let taken: HashSet<String> = w["nodes"]
        .as_array()?
        .iter()
        .filter_map(|n| n["name"].as_str().map(str::to_owned))
        .collect();
    let mut new = format!("{old} (renamed)");
    let mut n = 2;
    while taken.contains(&new) {
        new = format!("{old} (renamed {n})");
        n += 1;
    }
    w["nodes"][i]["name"] = json!(new);
    if let Some(connections) = w["connections"].as_object_mut() {
        if let Some(outgoing) = connections.remove(&old) {
            connections.insert(new.clone(), outgoing);
        }
        for outputs in connections.values_mut() {
            for target in outputs
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                for branch in target.as_array_mut().into_iter().flatten() {
                    for link in branch.as_array_mut().into_iter().flatten() {
                        if link["node"] == old.as_str() {
                            link["node"] = json!(new);
                        }
                    }
                }
            }
        }
    }
    Some(format!("node \"{old}\" renamed to \"{new}\""))
}

/// Points node credentials at another instance's ids for the same credentials.
fn rebind_credentials(w: &mut Value, ids: &HashMap<String, String>) {
    for node in w["nodes"].as_array_mut().into_iter().flatten() {
        for reference in node
            .get_mut("credentials")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|c| c.values_mut())
        {
            if let Some(new) = reference["id"].as_str().and_then(|id| ids.get(id)) {
                reference["id"] = json!(new);
            }
        }
    }
}
