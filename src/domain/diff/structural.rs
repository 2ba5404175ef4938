//! The structural diff: nodes matched by name, then by id, then by identical content
//! (so a rename is a rename, not a removal plus an addition), compared field by field;
//! connections compared as links, renamed nodes followed; settings compared key by key.

use super::model::*;
use super::risk::{NodeClass, field_of, field_risk, node_risk};
use super::side::Side;
use super::values::{ValueDiff, diff_values, push_key};
use crate::domain::normalize::canonical_json;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Everything that differs from `old` to `new`.
pub fn diff(old: &Side, new: &Side) -> WorkflowDiff {
    let (a, b) = (old.nodes(), new.nodes());
    let matching = match_nodes(old, new);
    let mut nodes = Vec::new();
    for &(i, j) in &matching.pairs {
        if let Some(d) = node_diff(old, new, i, j) {
            nodes.push(d);
        }
    }
    nodes.extend(
        matching
            .removed
            .iter()
            .map(|&i| whole_node(&a[i], NodeChangeKind::Removed, i)),
    );
    nodes.extend(
        matching
            .added
            .iter()
            .map(|&j| whole_node(&b[j], NodeChangeKind::Added, j)),
    );
    nodes.sort_by(|x, y| x.name.cmp(&y.name).then(x.old_index.cmp(&y.old_index)));

    let renames: HashMap<&str, &str> = matching
        .pairs
        .iter()
        .filter_map(|&(i, j)| Some((name_of(&a[i])?, name_of(&b[j])?)))
        .filter(|(x, y)| x != y)
        .collect();
    let connections = diff_connections(
        old.normalized().get("connections"),
        new.normalized().get("connections"),
        &renames,
    );
    let settings = diff_settings(
        old.normalized().get("settings"),
        new.normalized().get("settings"),
    );
    let name = match (old.normalized().get("name"), new.normalized().get("name")) {
        (x, y) if x == y => None,
        (x, y) => Some(NameChange {
            before: x.cloned().unwrap_or(Value::Null),
            after: y.cloned().unwrap_or(Value::Null),
        }),
    };

    let risk = nodes
        .iter()
        .filter(|n| !n.is_layout_only())
        .map(|n| n.risk)
        .chain(connections.iter().map(ConnectionChange::risk))
        .chain(settings.iter().map(|s| s.risk))
        .chain(name.iter().map(|_| Risk::Low))
        .max();
    WorkflowDiff {
        name,
        nodes,
        connections,
        settings,
        risk,
    }
}

fn name_of(node: &Value) -> Option<&str> {
    node.get("name").and_then(Value::as_str)
}

fn type_of(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Which old node is which new node.
#[derive(Debug, Default)]
struct Matching {
    /// (old index, new index)
    pairs: Vec<(usize, usize)>,
    removed: Vec<usize>,
    added: Vec<usize>,
}

fn match_nodes(old: &Side, new: &Side) -> Matching {
    let (a, b) = (old.nodes(), new.nodes());
    let key = |n: &Value| name_of(n).unwrap_or("").to_owned();
    let mut old_of_new: Vec<Option<usize>> = vec![None; b.len()];
    let mut matched_old = vec![false; a.len()];

    // 1. By name. Both sides are sorted by name: a merge; duplicates pair in order.
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match key(&a[i]).cmp(&key(&b[j])) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                old_of_new[j] = Some(i);
                matched_old[i] = true;
                i += 1;
                j += 1;
            }
        }
    }

    // 2. By node id, among those left.
    let by_id: HashMap<&str, usize> = (0..b.len())
        .filter(|&j| old_of_new[j].is_none())
        .filter_map(|j| Some((new.meta(j)?.id.as_deref()?, j)))
        .collect();
    for (i, matched) in matched_old.iter_mut().enumerate() {
        if *matched {
            continue;
        }
        let Some(id) = old.meta(i).and_then(|m| m.id.as_deref()) else {
            continue;
        };
        if let Some(&j) = by_id.get(id)
            && old_of_new[j].is_none()
        {
            old_of_new[j] = Some(i);
            *matched = true;
        }
    }

    // 3. By identical content under another name, where that is unambiguous (an
    //    instance that gave the node a new id, a copy pasted in the editor).
    let content = |n: &Value| match n {
        Value::Object(map) => {
            let rest: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "name")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Some(canonical_json(&Value::Object(rest)))
        }
        _ => None,
    };
    let mut left_new: HashMap<String, Vec<usize>> = HashMap::new();
    for j in (0..b.len()).filter(|&j| old_of_new[j].is_none()) {
        if let Some(c) = content(&b[j]) {
            left_new.entry(c).or_default().push(j);
        }
    }
    if !left_new.is_empty() {
        let mut left_old: HashMap<String, Vec<usize>> = HashMap::new();
        for i in (0..a.len()).filter(|&i| !matched_old[i]) {
            if let Some(c) = content(&a[i]) {
                left_old.entry(c).or_default().push(i);
            }
        }
        for (c, olds) in left_old {
            if let (&[i], Some(&[j])) = (olds.as_slice(), left_new.get(&c).map(Vec::as_slice)) {
                old_of_new[j] = Some(i);
                matched_old[i] = true;
            }
        }
    }

    let mut m = Matching::default();
    for (j, i) in old_of_new.iter().enumerate() {
        match i {
            Some(i) => m.pairs.push((*i, j)),
            None => m.added.push(j),
        }
    }
    m.removed = (0..a.len()).filter(|&i| !matched_old[i]).collect();
    m
}

/// An added or removed node, whole.
fn whole_node(node: &Value, kind: NodeChangeKind, index: usize) -> NodeDiff {
    let node_type = type_of(node).to_owned();
    let (risk, why, cosmetic) = node_risk(NodeClass::of(&node_type), node);
    let (old_index, new_index) = match kind {
        NodeChangeKind::Removed => (Some(index), None),
        _ => (None, Some(index)),
    };
    NodeDiff {
        kind,
        name: name_of(node).unwrap_or("").to_owned(),
        old_name: None,
        node_type,
        old_index,
        new_index,
        changes: Vec::new(),
        risk,
        why,
        cosmetic,
    }
}

/// What changed in a matched node, or None when nothing did.
fn node_diff(old: &Side, new: &Side, i: usize, j: usize) -> Option<NodeDiff> {
    let (x, y) = (&old.nodes()[i], &new.nodes()[j]);
    let position = match (old.meta(i), new.meta(j)) {
        (Some(p), Some(q)) if p.position != q.position => Some((&p.position, &q.position)),
        _ => None,
    };
    if x == y && position.is_none() {
        return None;
    }
    let class = NodeClass::of(type_of(y));
    let mut raw: Vec<(&str, ValueDiff)> = Vec::new();
    match (x, y) {
        (Value::Object(p), Value::Object(q)) => {
            let mut keys: Vec<&String> = p.keys().chain(q.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (before, after) = (p.get(key), q.get(key));
                if before == after {
                    continue;
                }
                let mut path = String::new();
                push_key(&mut path, key);
                let mut found = Vec::new();
                if matches!(key.as_str(), "parameters" | "credentials") {
                    diff_values(&mut path, before, after, &mut found);
                } else {
                    found.push(ValueDiff {
                        path,
                        before: before.cloned(),
                        after: after.cloned(),
                    });
                }
                raw.extend(found.into_iter().map(|d| (key.as_str(), d)));
            }
        }
        _ if x != y => raw.push((
            "",
            ValueDiff {
                path: String::new(),
                before: Some(x.clone()),
                after: Some(y.clone()),
            },
        )),
        _ => {}
    }
    let mut changes: Vec<FieldChange> = raw
        .into_iter()
        .map(|(key, d)| {
            let field = field_of(key);
            let (risk, why, cosmetic) =
                field_risk(class, field, d.before.as_ref(), d.after.as_ref());
            FieldChange {
                field,
                path: d.path,
                before: d.before,
                after: d.after,
                risk,
                why,
                cosmetic,
            }
        })
        .collect();
    if let Some((before, after)) = position {
        changes.push(FieldChange {
            field: Field::Position,
            path: "position".into(),
            before: before.clone(),
            after: after.clone(),
            risk: Risk::Low,
            why: Why::Cosmetic,
            cosmetic: true,
        });
    }
    // The riskiest change speaks for the node: behaviour before cosmetics, the most
    // specific reason, then the first.
    let top = changes
        .iter()
        .rev()
        .max_by_key(|c| (c.risk, !c.cosmetic, specificity(c.why)))?;
    let (risk, why) = (top.risk, top.why);
    let (old_name, new_name) = (name_of(x).unwrap_or(""), name_of(y).unwrap_or(""));
    let renamed = old_name != new_name;
    Some(NodeDiff {
        kind: if renamed {
            NodeChangeKind::Renamed
        } else {
            NodeChangeKind::Modified
        },
        name: new_name.to_owned(),
        old_name: renamed.then(|| old_name.to_owned()),
        node_type: type_of(y).to_owned(),
        old_index: Some(i),
        new_index: Some(j),
        cosmetic: changes.iter().all(|c| c.cosmetic),
        changes,
        risk,
        why,
    })
}

/// Among changes of one risk, how much a reason says (a credential or an expression
/// says more than "a change to an HTTP request node").
fn specificity(why: Why) -> u8 {
    match why {
        Why::Credential | Why::Expression => 3,
        Why::Webhook | Why::NodeType => 2,
        Why::Trigger | Why::HttpRequest | Why::Code | Why::Routing => 1,
        _ => 0,
    }
}

// ---- connections ----

/// (output type, output index) -> its links in order: (target, input type, input index).
type Slots = BTreeMap<(String, u64), Vec<(String, String, u64)>>;

/// A source node's connections as links, or None when they are not in the shape n8n
/// writes (then they are compared as values). `rename` maps old names to new ones.
fn parse_slots(value: &Value, rename: &dyn Fn(&str) -> String) -> Option<Slots> {
    let mut slots = Slots::new();
    for (output_type, outputs) in value.as_object()? {
        for (output, links) in outputs.as_array()?.iter().enumerate() {
            let mut parsed = Vec::new();
            for link in links.as_array()? {
                let link = link.as_object()?;
                if link.len() != 3 {
                    return None;
                }
                let to = link.get("node")?.as_str()?;
                let input_type = link.get("type")?.as_str()?;
                let input = link.get("index")?.as_u64()?;
                parsed.push((rename(to), input_type.to_owned(), input));
            }
            if !parsed.is_empty() {
                slots.insert((output_type.clone(), output as u64), parsed);
            }
        }
    }
    Some(slots)
}

fn diff_connections(
    old: Option<&Value>,
    new: Option<&Value>,
    renames: &HashMap<&str, &str>,
) -> Vec<ConnectionChange> {
    let empty = Map::new();
    let old = old.and_then(Value::as_object).unwrap_or(&empty);
    let new = new.and_then(Value::as_object).unwrap_or(&empty);
    let rename = |n: &str| renames.get(n).copied().unwrap_or(n).to_owned();
    let keep = |n: &str| n.to_owned();

    // Source name (new-side naming) -> (old value, new value).
    let mut sources: BTreeMap<String, (Option<&Value>, Option<&Value>)> = BTreeMap::new();
    for (source, value) in old {
        sources.entry(rename(source)).or_default().0 = Some(value);
    }
    for (source, value) in new {
        sources.entry(source.clone()).or_default().1 = Some(value);
    }

    let mut out = Vec::new();
    for (from, (x, y)) in sources {
        let px = x.map(|v| parse_slots(v, &rename));
        let py = y.map(|v| parse_slots(v, &keep));
        let (sx, sy) = match (px, py) {
            (Some(None), _) | (_, Some(None)) => {
                if x != y {
                    out.push(ConnectionChange::Malformed {
                        from,
                        before: x.cloned(),
                        after: y.cloned(),
                    });
                }
                continue;
            }
            (sx, sy) => (
                sx.flatten().unwrap_or_default(),
                sy.flatten().unwrap_or_default(),
            ),
        };
        let keys: BTreeSet<&(String, u64)> = sx.keys().chain(sy.keys()).collect();
        for key in keys {
            let (lx, ly) = (
                sx.get(key).map(Vec::as_slice).unwrap_or(&[]),
                sy.get(key).map(Vec::as_slice).unwrap_or(&[]),
            );
            if lx == ly {
                continue;
            }
            let link = |(to, input_type, input): &(String, String, u64)| Link {
                from: from.clone(),
                output_type: key.0.clone(),
                output: key.1,
                to: to.clone(),
                input_type: input_type.clone(),
                input: *input,
            };
            let removed = multiset_minus(lx, ly);
            let added = multiset_minus(ly, lx);
            if removed.is_empty() && added.is_empty() {
                out.push(ConnectionChange::Reordered {
                    from: from.clone(),
                    output_type: key.0.clone(),
                    output: key.1,
                });
            }
            out.extend(
                removed
                    .into_iter()
                    .map(|l| ConnectionChange::Removed { link: link(l) }),
            );
            out.extend(
                added
                    .into_iter()
                    .map(|l| ConnectionChange::Added { link: link(l) }),
            );
        }
    }
    out
}

/// The items of `a` not in `b`, counting repeats.
fn multiset_minus<'a, T: PartialEq>(a: &'a [T], b: &[T]) -> Vec<&'a T> {
    let mut used = vec![false; b.len()];
    a.iter()
        .filter(|x| match (0..b.len()).find(|&k| !used[k] && b[k] == **x) {
            Some(k) => {
                used[k] = true;
                false
            }
            None => true,
        })
        .collect()
}

// ---- settings ----

fn diff_settings(old: Option<&Value>, new: Option<&Value>) -> Vec<SettingChange> {
    let empty = Map::new();
    let old = old.and_then(Value::as_object).unwrap_or(&empty);
    let new = new.and_then(Value::as_object).unwrap_or(&empty);
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| SettingChange {
            key: k.clone(),
            before: old.get(k).cloned(),
            after: new.get(k).cloned(),
            risk: Risk::Medium,
        })
        .collect()
}
