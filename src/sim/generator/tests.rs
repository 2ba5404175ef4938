use super::fleet::workflow_name_of;
use super::*;
use crate::domain::writable::writable_body;
use crate::sim::validate;

#[test]
fn generated_workflows_pass_n8n_validation() {
    for seed in 0..40 {
        for w in generate(seed, 25) {
            let body = writable_body(&w);
            assert_eq!(
                validate::workflow_body(&body),
                Ok(()),
                "seed {seed}: {}",
                w["name"]
            );
            // Cutting down removed nothing but `active` and `tags`.
            let mut rest = w.clone();
            if let Some(o) = rest.as_object_mut() {
                o.remove("active");
                o.remove("tags");
            }
            assert_eq!(rest, body);
        }
    }
}

#[test]
fn deterministic_from_the_seed() {
    assert_eq!(generate(7, 20), generate(7, 20));
    assert_ne!(generate(7, 20), generate(8, 20));
}

#[test]
fn graphs_are_well_formed() {
    let workflows = generate(11, 200);
    let sizes: Vec<usize> = workflows
        .iter()
        .map(|w| w["nodes"].as_array().map_or(0, Vec::len))
        .collect();
    assert!(
        sizes.iter().filter(|&&s| (5..=40).contains(&s)).count() > 140,
        "most have 5-40 nodes"
    );
    assert!(sizes.iter().any(|&s| s >= 100), "some are large");
    let mut types = HashSet::new();
    for w in &workflows {
        let nodes = w["nodes"].as_array().unwrap();
        let names: HashSet<&str> = nodes.iter().filter_map(|n| n["name"].as_str()).collect();
        assert_eq!(
            names.len(),
            nodes.len(),
            "node names are unique in {}",
            w["name"]
        );
        for (source, outputs) in w["connections"].as_object().unwrap() {
            assert!(
                names.contains(source.as_str()),
                "connection from unknown node {source}"
            );
            for branch in outputs["main"].as_array().unwrap() {
                for link in branch.as_array().unwrap() {
                    assert!(names.contains(link["node"].as_str().unwrap()));
                }
            }
        }
        for n in nodes {
            types.insert(n["type"].as_str().unwrap().to_owned());
            assert_eq!(n["position"].as_array().map(Vec::len), Some(2));
        }
        assert_eq!(w["settings"]["executionOrder"], "v1");
    }
    for t in [
        "n8n-nodes-base.webhook",
        "n8n-nodes-base.scheduleTrigger",
        "n8n-nodes-base.httpRequest",
        "n8n-nodes-base.code",
        "n8n-nodes-base.if",
        "n8n-nodes-base.switch",
        "n8n-nodes-base.merge",
        "n8n-nodes-base.set",
        "n8n-nodes-base.stickyNote",
        "n8n-nodes-base.slack",
    ] {
        assert!(types.contains(t), "{t} is generated");
    }
    // IF nodes route to more than one output somewhere.
    let multi_output = workflows.iter().any(|w| {
        w["connections"]
            .as_object()
            .unwrap()
            .values()
            .any(|o| o["main"].as_array().is_some_and(|m| m.len() > 1))
    });
    assert!(multi_output);
    // Credentials come from a small pool: names recur.
    let mut names = HashMap::new();
    for w in &workflows {
        for n in w["nodes"].as_array().unwrap() {
            for c in n["credentials"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values())
            {
                *names
                    .entry(c["name"].as_str().unwrap().to_owned())
                    .or_insert(0) += 1;
            }
        }
    }
    assert!(names.len() <= POOL.len());
    assert!(names.values().any(|&c| c > 10));
    let expressions = workflows
        .iter()
        .any(|w| w.to_string().contains("={{ $json."));
    assert!(expressions);
}

#[test]
fn fleets_drift_realistically() {
    let fleet = generate_fleet(3, 60);
    let names = |ws: &[Value]| ws.iter().map(workflow_name_of).collect::<HashSet<_>>();
    let (dev, stg, prod) = (
        names(&fleet.development),
        names(&fleet.staging),
        names(&fleet.production),
    );
    assert_eq!(stg, prod);
    let only_dev: Vec<_> = dev.difference(&prod).collect();
    assert!(only_dev.len() >= 2);
    let by_name = |ws: &[Value]| {
        ws.iter()
            .map(|w| (workflow_name_of(w), writable_body(w)))
            .collect::<HashMap<_, _>>()
    };
    let (d, s, p) = (
        by_name(&fleet.development),
        by_name(&fleet.staging),
        by_name(&fleet.production),
    );
    let kinds: Vec<DriftKind> = fleet.drift.iter().map(|d| d.kind).collect();
    for kind in [
        DriftKind::OnlyInDevelopment,
        DriftKind::ChangedInDevelopment,
        DriftKind::InStagingNotProduction,
        DriftKind::HotfixInProduction,
        DriftKind::RenamedNodeInDevelopment,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} present");
    }
    // Every piece of drift shows where it should, ignoring credential ids.
    let strip = |v: &Value| {
        let mut v = v.clone();
        for n in v["nodes"].as_array_mut().into_iter().flatten() {
            for c in n
                .get_mut("credentials")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|c| c.values_mut())
            {
                c.as_object_mut().map(|o| o.remove("id"));
            }
        }
        v
    };
    for drift in &fleet.drift {
        let w = &drift.workflow;
        match drift.kind {
            DriftKind::OnlyInDevelopment => assert!(d.contains_key(w) && !p.contains_key(w)),
            DriftKind::ChangedInDevelopment | DriftKind::RenamedNodeInDevelopment => {
                assert_ne!(strip(&d[w]), strip(&p[w]));
                assert_eq!(strip(&s[w]), strip(&p[w]));
            }
            DriftKind::InStagingNotProduction => {
                assert_eq!(strip(&d[w]), strip(&s[w]));
                assert_ne!(strip(&s[w]), strip(&p[w]));
            }
            DriftKind::HotfixInProduction => {
                assert_eq!(strip(&d[w]), strip(&s[w]));
                assert_ne!(strip(&s[w]), strip(&p[w]));
            }
        }
    }
    // The other workflows are equal everywhere (but for credential ids).
    let drifted: HashSet<&String> = fleet.drift.iter().map(|d| &d.workflow).collect();
    let equal = p
        .keys()
        .filter(|w| !drifted.contains(w))
        .all(|w| strip(&p[w]) == strip(&s[w]) && strip(&p[w]) == strip(&d[w]));
    assert!(equal);
    // Each environment has its own credential ids.
    let ids = |ws: &[Value]| -> HashSet<String> {
        ws.iter()
            .flat_map(|w| w["nodes"].as_array().cloned().unwrap_or_default())
            .flat_map(|n| {
                n["credentials"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
                    .into_values()
            })
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(ids(&fleet.production).is_disjoint(&ids(&fleet.development)));
    // All of it is still valid.
    for w in fleet
        .development
        .iter()
        .chain(&fleet.staging)
        .chain(&fleet.production)
    {
        assert_eq!(validate::workflow_body(&writable_body(w)), Ok(()));
    }
}

#[test]
fn fleet_from_given_workflows() {
    let base = generate(5, 10);
    let fleet = fleet_from(base.clone(), 7);
    assert_eq!(fleet.production.len(), 10);
    assert!(fleet.development.len() > 10);
    assert!(
        fleet
            .drift
            .iter()
            .any(|d| d.kind == DriftKind::RenamedNodeInDevelopment)
    );
}
