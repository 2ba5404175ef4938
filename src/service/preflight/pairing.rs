//! Pairing a promotion's source and target workflows: by canonical id where both sides
//! are mapped in the canonical state, else by name.

use super::super::diff::pair_by_name;
use crate::store::workflows::WorkflowRow;
use std::collections::{BTreeMap, HashMap};

/// One workflow of a promotion: its row on either side (at least one is present).
#[derive(Debug, Clone)]
pub(in crate::service) struct Paired {
    pub source: Option<WorkflowRow>,
    pub target: Option<WorkflowRow>,
    /// The canonical id, where either side is mapped (the source's first).
    pub canonical_id: Option<String>,
}

impl Paired {
    /// The workflow's name: the source's (what will be written), else the target's.
    pub fn name(&self) -> &str {
        self.source
            .as_ref()
            .or(self.target.as_ref())
            .map_or("", |r| r.name.as_str())
    }

    /// Whether `token` (a name or canonical id) names this workflow.
    pub fn answers_to(&self, token: &str) -> bool {
        self.canonical_id.as_deref() == Some(token)
            || self.source.as_ref().is_some_and(|r| r.name == token)
            || self.target.as_ref().is_some_and(|r| r.name == token)
    }
}

/// Pairs `source` and `target` rows. `source_ids` and `target_ids` map each side's n8n
/// ids to canonical ids. Rows mapped on both sides to the same canonical id pair first
/// (so a rename on one side keeps the pair); the rest pair by name, except that two rows
/// mapped to different canonical ids are different workflows and stay apart.
pub(in crate::service) fn pair(
    source: Vec<WorkflowRow>,
    target: Vec<WorkflowRow>,
    source_ids: &HashMap<String, String>,
    target_ids: &HashMap<String, String>,
) -> Vec<Paired> {
    let id_of = |ids: &HashMap<String, String>, r: &WorkflowRow| ids.get(&r.n8n_id).cloned();
    let mut target_by_id: BTreeMap<String, WorkflowRow> = BTreeMap::new();
    let mut target_rest = Vec::new();
    for t in target {
        match id_of(target_ids, &t) {
            Some(id) if !target_by_id.contains_key(&id) => {
                target_by_id.insert(id, t);
            }
            _ => target_rest.push(t),
        }
    }
    let mut out = Vec::new();
    let mut source_rest = Vec::new();
    for s in source {
        let id = id_of(source_ids, &s);
        match id.as_ref().and_then(|id| target_by_id.remove(id)) {
            Some(t) => out.push(Paired {
                source: Some(s),
                target: Some(t),
                canonical_id: id,
            }),
            None => source_rest.push(s),
        }
    }
    target_rest.extend(target_by_id.into_values());
    for (_, s, t) in pair_by_name(source_rest, target_rest) {
        let s_id = s.as_ref().and_then(|r| id_of(source_ids, r));
        let t_id = t.as_ref().and_then(|r| id_of(target_ids, r));
        if let (Some(a), Some(b)) = (&s_id, &t_id)
            && a != b
        {
            out.push(Paired {
                source: s,
                target: None,
                canonical_id: s_id,
            });
            out.push(Paired {
                source: None,
                target: t,
                canonical_id: t_id,
            });
            continue;
        }
        out.push(Paired {
            source: s,
            target: t,
            canonical_id: s_id.or(t_id),
        });
    }
    out.sort_by(|a, b| a.name().cmp(b.name()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::Change;

    fn row(env: &str, id: &str, name: &str, fp: &str) -> WorkflowRow {
        WorkflowRow {
            env: env.into(),
            n8n_id: id.into(),
            name: name.into(),
            active: false,
            tags: vec![],
            node_count: 1,
            node_types: vec![],
            fingerprint: fp.into(),
            updated_at: None,
            stored_at: 0,
            change: Change::Unchanged,
        }
    }

    fn ids(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn canonical_ids_first_then_names_and_distinct_ids_stay_apart() {
        let source = vec![
            row("dev", "1", "Orders v2", "a"),
            row("dev", "2", "Billing", "b"),
            row("dev", "3", "Reports", "c"),
            row("dev", "4", "New", "d"),
        ];
        let target = vec![
            row("prod", "71", "Orders", "a0"),
            row("prod", "72", "Billing", "b0"),
            row("prod", "73", "Reports", "c0"),
        ];
        let s_ids = ids(&[("1", "orders"), ("3", "reports")]);
        let t_ids = ids(&[("71", "orders"), ("73", "reports-2")]);
        let got: Vec<(Option<String>, Option<String>, Option<String>)> =
            pair(source, target, &s_ids, &t_ids)
                .into_iter()
                .map(|p| {
                    (
                        p.source.map(|r| r.n8n_id),
                        p.target.map(|r| r.n8n_id),
                        p.canonical_id,
                    )
                })
                .collect();
        let s = |x: &str| Some(x.to_owned());
        assert_eq!(
            got,
            vec![
                // Unmapped on both sides: by name.
                (s("2"), s("72"), None),
                (s("4"), None, None),
                // Renamed in the source, same canonical id.
                (s("1"), s("71"), s("orders")),
                // Same name, different canonical ids: two workflows.
                (s("3"), None, s("reports")),
                (None, s("73"), s("reports-2")),
            ]
        );
    }
}
