//! Property tests of the structural diff, and the whole corpus against mutated copies.

use super::mutate::{Applied, Mutation, mutate};
use super::risk::NodeClass;
use super::*;
use crate::domain::normalize::fingerprint;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;

/// Checks that `diff` reports `applied` as what it is: the right kind, field and risk.
fn check(before: &Value, d: &WorkflowDiff, applied: &Applied) -> Result<(), String> {
    let node_type = before["nodes"]
        .as_array()
        .and_then(|ns| ns.iter().find(|n| n["name"] == applied.node.as_str()))
        .and_then(|n| n["type"].as_str())
        .unwrap_or("")
        .to_owned();
    let class = NodeClass::of(&node_type);
    let find = |name: &str| d.nodes.iter().find(|n| n.name == name);
    match applied.mutation {
        Mutation::RenameNode => {
            let n = find(&applied.new_name).ok_or("the renamed node is not reported")?;
            // Renaming a sticky note is cosmetic; any other rename is a LOW rename.
            let why = if class == NodeClass::StickyNote {
                Why::Cosmetic
            } else {
                Why::Rename
            };
            if n.kind != NodeChangeKind::Renamed
                || n.old_name.as_deref() != Some(applied.node.as_str())
                || n.risk != Risk::Low
                || n.why != why
                || n.changes
                    .iter()
                    .any(|c| !matches!(c.field, Field::Name | Field::Position))
            {
                return Err(format!("rename reported as {n:?}"));
            }
            if !d.connections.is_empty() || d.nodes.len() != 1 || d.risk != Some(Risk::Low) {
                return Err(format!(
                    "a rename alone should be LOW and nothing else: {d:?}"
                ));
            }
        }
        Mutation::ChangeParameter => {
            let n = find(&applied.node).ok_or("the changed node is not reported")?;
            let c = n
                .changes
                .iter()
                .find(|c| c.path == "parameters.zzMutated")
                .ok_or(format!("no change at parameters.zzMutated: {n:?}"))?;
            let expected = match class {
                NodeClass::StickyNote => Risk::Low,
                NodeClass::Plain => Risk::Medium,
                _ => Risk::High,
            };
            if n.kind != NodeChangeKind::Modified
                || c.field != Field::Parameter
                || c.risk != expected
            {
                return Err(format!(
                    "parameter change reported as {c:?} in {n:?} ({node_type})"
                ));
            }
            if c.before.is_some() || c.after != Some(json!("a changed value")) {
                return Err(format!("wrong values: {c:?}"));
            }
        }
        Mutation::SwapCredential => {
            let n = find(&applied.node).ok_or("the node is not reported")?;
            let c = n
                .changes
                .iter()
                .find(|c| c.field == Field::Credentials)
                .ok_or(format!("no credential change: {n:?}"))?;
            let expected = match class {
                NodeClass::StickyNote => (Risk::Low, Why::Cosmetic),
                _ => (Risk::High, Why::Credential),
            };
            if (c.risk, c.why) != expected || n.risk != expected.0 {
                return Err(format!("credential swap reported as {c:?}"));
            }
        }
        Mutation::RewireConnection => {
            let (old, new) = applied.rewired.clone().ok_or("no rewire recorded")?;
            let is = |c: &ConnectionChange, added: bool, to: &str| match c {
                ConnectionChange::Added { link } if added => {
                    link.from == applied.node && link.to == to
                }
                ConnectionChange::Removed { link } if !added => {
                    link.from == applied.node && link.to == to
                }
                _ => false,
            };
            if !d.connections.iter().any(|c| is(c, false, &old))
                || !d.connections.iter().any(|c| is(c, true, &new))
            {
                return Err(format!(
                    "rewire {old} -> {new} reported as {:?}",
                    d.connections
                ));
            }
            if d.risk != Some(Risk::High) || !d.nodes.is_empty() {
                return Err(format!(
                    "a rewire alone should be HIGH, nodes untouched: {d:?}"
                ));
            }
        }
        Mutation::MoveNode => {
            let n = find(&applied.node).ok_or("the moved node is not reported")?;
            if !n.is_layout_only() || !n.cosmetic || n.risk != Risk::Low || !d.is_empty() {
                return Err(format!("a move reported as {n:?}"));
            }
        }
    }
    Ok(())
}

// ---- generators (after those of domain::normalize's tests, with more node kinds) ----

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
        "[A-Z][a-z]{0,7}",
        prop::sample::select(vec![
            "n8n-nodes-base.set",
            "n8n-nodes-base.httpRequest",
            "n8n-nodes-base.if",
            "n8n-nodes-base.code",
            "n8n-nodes-base.slack",
            "n8n-nodes-base.webhook",
            "n8n-nodes-base.stickyNote",
        ]),
        1u32..5,
        prop::collection::btree_map("[a-z]{1,6}", arb_param(), 0..4),
        prop::option::of("[A-Z][a-z]{2,6}"),
        prop::option::of(prop::sample::select(vec![
            "continueRegularOutput",
            "stopWorkflow",
        ])),
    );
    (
        prop::collection::vec(node, 1..9),
        "[A-Za-z ]{1,20}",
        prop::collection::vec((0usize..9, 0usize..9), 0..12),
    )
        .prop_map(|(nodes, name, extra_links)| {
            let mut seen = std::collections::HashSet::new();
            let nodes: Vec<Value> = nodes
                .into_iter()
                .filter(|n| seen.insert(n.0.clone()))
                .enumerate()
                .map(|(i, (n, t, v, params, cred, on_error))| {
                    let mut node = json!({"id": format!("id-{i}"), "name": n, "type": t, "typeVersion": v,
                        "position": [i * 100, 0], "parameters": Value::Object(params.into_iter().collect())});
                    if let Some(c) = cred {
                        node["credentials"] = json!({"httpBasicAuth": {"id": format!("c{i}"), "name": c}});
                    }
                    if let Some(e) = on_error {
                        node["onError"] = json!(e);
                    }
                    node
                })
                .collect();
            let names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
            let mut connections = serde_json::Map::new();
            let mut link = |from: &str, to: &str| {
                let entry = connections
                    .entry(from.to_owned())
                    .or_insert_with(|| json!({"main": [[]]}));
                entry["main"][0]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"node": to, "type": "main", "index": 0}));
            };
            for pair in names.windows(2) {
                link(pair[0], pair[1]);
            }
            for (x, y) in extra_links {
                link(names[x % names.len()], names[y % names.len()]);
            }
            json!({"name": name, "nodes": nodes, "connections": connections,
                   "settings": {"executionOrder": "v1"}})
        })
}

/// Another instance's copy of the same workflow: ids, positions, order all differ.
fn instance_copy(wf: &Value) -> Value {
    let mut w = wf.clone();
    w["id"] = json!("elsewhere");
    w["active"] = json!(true);
    let nodes = w["nodes"].as_array_mut().unwrap();
    for (i, n) in nodes.iter_mut().enumerate() {
        n["position"] = json!([i * 7, 3]);
    }
    nodes.reverse();
    w
}

/// Edits that may or may not change meaning, to probe "empty iff same fingerprint".
fn any_edit(wf: &Value, which: u8, pick: usize) -> Value {
    let mut w = wf.clone();
    let count = w["nodes"].as_array().unwrap().len();
    let k = pick % count;
    match which {
        0 => w = instance_copy(&w),
        1 => w["nodes"][k]["notes"] = json!("a note"),
        2 => w["nodes"][k]["notes"] = json!(""),
        3 => w["nodes"][k]["disabled"] = json!(pick.is_multiple_of(2)),
        4 => w["nodes"][k]["typeVersion"] = json!(2.0),
        5 => w["settings"]["timezone"] = json!("Europe/Paris"),
        6 => w["settings"]["callerPolicy"] = json!("workflowsFromSameOwner"),
        7 => w["name"] = json!("another name"),
        8 => {
            if let Some(m) = w["connections"].as_object_mut() {
                for v in m.values_mut() {
                    if let Some(l) = v["main"][0].as_array_mut() {
                        l.reverse();
                    }
                }
            }
        }
        9 => w["nodes"][k]["parameters"] = json!({}),
        10 => w["nodes"][k]["webhookId"] = json!("hook"),
        _ => {
            let m = Mutation::ALL[pick % Mutation::ALL.len()];
            if let Some((m, _)) = mutate(&w, m, pick) {
                w = m;
            }
        }
    }
    w
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn a_workflow_against_itself_is_empty(wf in arb_workflow()) {
        let d = diff_raw(&wf, &wf);
        prop_assert!(d.is_empty() && d.nodes.is_empty() && d.risk.is_none(), "{:?}", d);
        let d = diff_raw(&wf, &instance_copy(&wf));
        prop_assert!(d.is_empty() && d.risk.is_none(), "{:?}", d);
    }

    #[test]
    fn empty_exactly_when_fingerprints_are_equal(wf in arb_workflow(), which in 0u8..14, pick in 0usize..64) {
        let other = any_edit(&wf, which, pick);
        let d = diff_raw(&wf, &other);
        prop_assert_eq!(d.is_empty(), fingerprint(&wf) == fingerprint(&other), "{:?}", d);
        prop_assert_eq!(d.risk.is_none(), d.is_empty());
    }

    #[test]
    fn unrelated_workflows_are_empty_only_when_equal(a in arb_workflow(), b in arb_workflow()) {
        prop_assert_eq!(diff_raw(&a, &b).is_empty(), fingerprint(&a) == fingerprint(&b));
    }

    #[test]
    fn each_mutation_is_reported_as_what_it_is(wf in arb_workflow(), which in 0usize..5, pick in 0usize..64) {
        let mutation = Mutation::ALL[which];
        if let Some((after, applied)) = mutate(&wf, mutation, pick) {
            let d = diff_raw(&wf, &after);
            let checked = check(&wf, &d, &applied);
            prop_assert!(checked.is_ok(), "{:?}: {}", mutation, checked.unwrap_err());
        }
    }

    #[test]
    fn renamed_nodes_without_ids_are_matched_by_content(wf in arb_workflow(), pick in 0usize..64) {
        let strip = |w: &Value| {
            let mut w = w.clone();
            for n in w["nodes"].as_array_mut().unwrap() {
                n.as_object_mut().unwrap().remove("id");
            }
            w
        };
        if let Some((after, applied)) = mutate(&wf, Mutation::RenameNode, pick) {
            let (before, after) = (strip(&wf), strip(&after));
            let d = diff_raw(&before, &after);
            // Content is unambiguous unless another node is identical but for its name.
            let twins = before["nodes"].as_array().unwrap().iter().filter(|n| {
                let mut n = (*n).clone();
                n["name"] = json!("");
                let mut m = before["nodes"].as_array().unwrap().iter().find(|x| x["name"] == applied.node.as_str()).unwrap().clone();
                m["name"] = json!("");
                n == m
            }).count();
            if twins == 1 {
                let checked = check(&before, &d, &applied);
                prop_assert!(checked.is_ok(), "{}", checked.unwrap_err());
            }
        }
    }
}

#[test]
fn a_rename_with_other_edits_is_one_renamed_node() {
    let before = json!({"name": "w", "nodes": [
        {"id": "1", "name": "Fetch", "type": "n8n-nodes-base.httpRequest", "parameters": {"url": "http://a"}},
        {"id": "2", "name": "Log", "type": "n8n-nodes-base.set", "parameters": {}}
    ], "connections": {"Fetch": {"main": [[{"node": "Log", "type": "main", "index": 0}]]}}});
    let mut after = before.clone();
    after["nodes"][0]["name"] = json!("Fetch orders");
    after["nodes"][0]["parameters"]["url"] = json!("={{ $json.url }}");
    after["connections"] =
        json!({"Fetch orders": {"main": [[{"node": "Log", "type": "main", "index": 0}]]}});
    let d = diff_raw(&before, &after);
    assert_eq!(d.nodes.len(), 1, "{d:?}");
    let n = &d.nodes[0];
    assert_eq!(
        (n.kind, n.risk, n.why),
        (NodeChangeKind::Renamed, Risk::High, Why::Expression)
    );
    assert!(d.connections.is_empty(), "{:?}", d.connections);
    let url = n
        .changes
        .iter()
        .find(|c| c.path == "parameters.url")
        .unwrap();
    assert_eq!(url.after, Some(json!("={{ $json.url }}")));
}

#[test]
fn settings_error_handling_and_added_nodes() {
    let before = json!({"name": "w", "settings": {"executionTimeout": 60}, "nodes": [
        {"name": "A", "type": "n8n-nodes-base.set", "parameters": {}}
    ]});
    let mut after = before.clone();
    after["settings"]["executionTimeout"] = json!(600);
    after["nodes"][0]["onError"] = json!("continueRegularOutput");
    after["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Note", "type": "n8n-nodes-base.stickyNote", "parameters": {"content": "hi"}}));
    let d = diff_raw(&before, &after);
    assert_eq!(d.settings.len(), 1);
    assert_eq!(d.settings[0].risk, Risk::Medium);
    let a = d.nodes.iter().find(|n| n.name == "A").unwrap();
    assert_eq!((a.risk, a.why), (Risk::Medium, Why::ErrorHandling));
    let note = d.nodes.iter().find(|n| n.name == "Note").unwrap();
    assert!(note.kind == NodeChangeKind::Added && note.cosmetic);
    assert_eq!(d.cosmetic_count(), 1);
    assert_eq!(d.visible_nodes(false).count(), 1);
    assert_eq!(d.risk, Some(Risk::Medium));
}

#[test]
fn malformed_connections_are_compared_as_values() {
    let before =
        json!({"name": "w", "nodes": [], "connections": {"A": {"main": [[{"node": "B"}]]}}});
    let mut after = before.clone();
    after["connections"]["A"]["main"][0][0]["node"] = json!("C");
    let d = diff_raw(&before, &after);
    assert!(
        matches!(d.connections[0], ConnectionChange::Malformed { .. }),
        "{d:?}"
    );
    assert!(diff_raw(&before, &before).is_empty());
}

/// The corpus files, or None (with a SKIPPED note) when the corpus is absent.
fn corpus(test: &str) -> Option<Vec<(String, Value)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if !dir.is_dir() {
        eprintln!("SKIPPED {test}: {} does not exist", dir.display());
        return None;
    }
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(value) = serde_json::from_str::<Value>(&text)
            {
                files.push((path.display().to_string(), value));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Some(files)
}

#[test]
fn every_corpus_workflow_against_mutated_copies() {
    let Some(files) = corpus("every_corpus_workflow_against_mutated_copies") else {
        return;
    };
    let mut failures = Vec::new();
    let mut applied = [0usize; Mutation::ALL.len()];
    for (k, (file, wf)) in files.iter().enumerate() {
        if !diff_raw(wf, wf).nodes.is_empty() {
            failures.push(format!("{file}: differs from itself"));
        }
        for (m, mutation) in Mutation::ALL.into_iter().enumerate() {
            let Some((after, edit)) = mutate(wf, mutation, k) else {
                continue;
            };
            applied[m] += 1;
            let d = diff_raw(wf, &after);
            if let Err(e) = check(wf, &d, &edit) {
                failures.push(format!("{file}: {mutation:?} of '{}': {e}", edit.node));
            }
            if d.is_empty() != (fingerprint(wf) == fingerprint(&after)) {
                failures.push(format!(
                    "{file}: {mutation:?}: empty disagrees with the fingerprint"
                ));
            }
        }
    }
    assert!(
        files.len() > 2000,
        "only {} corpus files parsed",
        files.len()
    );
    // Each kind applies to most workflows (not all have credentials or links).
    eprintln!("mutations applied, by kind: {applied:?}");
    assert!(
        applied.iter().all(|&n| n > 1000),
        "too few applied: {applied:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

#[test]
fn corpus_text_diffs_locate_every_node() {
    let Some(files) = corpus("corpus_text_diffs_locate_every_node") else {
        return;
    };
    for (k, (file, wf)) in files.iter().enumerate().step_by(7) {
        let Some((after, _)) = mutate(wf, Mutation::ChangeParameter, k) else {
            continue;
        };
        let (a, b) = (Side::from_raw(wf), Side::from_raw(&after));
        let t = text_diff(
            a.normalized(),
            b.normalized(),
            std::time::Duration::from_secs(5),
        );
        assert_eq!(t.old_nodes.len(), a.nodes().len(), "{file}");
        assert_eq!(t.new_nodes.len(), b.nodes().len(), "{file}");
        assert!(!t.hunks.is_empty(), "{file}");
    }
}
