//! Planning a restore: which snapshot workflows, matched to which live workflows of
//! the target, and what happens to each (the preview the person confirms).

use super::super::jobs::JobCtx;
use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{ErrorKind, OpsError, OpsResult};
use crate::domain::canonical::{EnvMapping, MappedWorkflow};
use crate::domain::diff::diff_raw;
use crate::domain::job::LogLevel;
use crate::domain::sync::SyncKind;
use crate::store::environments::EnvRow;
use crate::store::workflows;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a restore fetches of the target: its workflows, and the credentials and tags
/// the writes refer to by name.
pub(in crate::service) const FETCH: [SyncKind; 3] =
    [SyncKind::Workflows, SyncKind::Credentials, SyncKind::Tags];

/// A live workflow of the target, as the fresh sync stored it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LiveRow {
    pub n8n_id: String,
    pub name: String,
    pub fingerprint: String,
    pub active: bool,
    pub tags: Vec<String>,
}

/// A snapshot workflow the restore puts back.
#[derive(Debug, Clone)]
pub(super) struct Wanted {
    pub canonical_id: String,
    /// As the snapshot's mapping records it (name, fingerprint, active, tags).
    pub mapped: MappedWorkflow,
    /// The recorded document.
    pub document: Value,
}

/// One thing the restore does.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub item: RestoreItem,
    /// The snapshot's version; None for a delete.
    pub wanted: Option<Wanted>,
    /// The live workflow it updates or deletes.
    pub live: Option<LiveRow>,
    /// That workflow's body as n8n returned it (updates only).
    pub live_raw: Option<Value>,
}

/// A restore planned against the target's live state.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub env: EnvRow,
    pub snapshot: SnapshotView,
    /// No workflow named: the whole environment (live ones the snapshot lacks go).
    pub whole: bool,
    /// Sorted by name.
    pub steps: Vec<Step>,
}

impl Planned {
    pub fn plan(&self) -> RestorePlan {
        RestorePlan {
            env: self.env.name.clone(),
            snapshot: self.snapshot.clone(),
            items: self.steps.iter().map(|s| s.item.clone()).collect(),
        }
    }

    pub fn count(&self, action: RestoreAction) -> usize {
        self.steps
            .iter()
            .filter(|s| s.item.action == action)
            .count()
    }
}

impl LocalOps {
    /// Plans restoring `snapshot` (or the workflows of it `given` names) into `env`:
    /// reads the snapshot, fetches `env` (a sync, reported in `ctx`), then matches.
    pub(super) async fn plan_in(
        &self,
        ctx: &JobCtx,
        env: &EnvRow,
        snapshot: SnapshotView,
        given: &[String],
    ) -> OpsResult<Planned> {
        let state = self.canonical_at(Some(snapshot.commit.clone())).await?;
        let mapping = state.mappings.get(&snapshot.env).ok_or_else(|| {
            OpsError::new(
                ErrorKind::Store,
                format!(
                    "snapshot {} holds no mapping of '{}' (environments/{}.json is missing at commit {})",
                    snapshot.id, snapshot.env, snapshot.env, snapshot.commit
                ),
            )
        })?;
        let chosen = select(mapping, given, &snapshot.id)?;
        let documents = self
            .documents(chosen.iter().map(|(_, m)| m.blob.clone()).collect())
            .await?;
        let wanted: Vec<Wanted> = chosen
            .into_iter()
            .zip(documents)
            .map(|((canonical_id, mapped), document)| Wanted {
                canonical_id,
                mapped,
                document,
            })
            .collect();
        let synced = self.sync_env(ctx, env, &FETCH).await;
        if let Some(error) = synced.error {
            return Err(OpsError::new(
                ErrorKind::Upstream,
                format!(
                    "the restore of '{}' cannot be planned: fetching it failed: {error}",
                    env.name
                ),
            ));
        }
        let live = self.live_rows(env).await?;
        let target = self.canonical_at(None).await?.mapping(&env.name);
        let matches = match_live(&wanted, &live, &target, snapshot.env == env.name);
        // The bodies of the live workflows that will be rewritten: for the diffs, and
        // to keep their node ids.
        let mut raws = HashMap::new();
        {
            let mut conn = self.store.conn().await?;
            for (w, m) in wanted.iter().zip(&matches) {
                let Some(l) = m.map(|j| &live[j]) else {
                    continue;
                };
                if l.fingerprint == w.mapped.fingerprint {
                    continue;
                }
                let (_, raw, _) = workflows::get(&mut conn, &env.name, &l.n8n_id)
                    .await?
                    .ok_or_else(|| {
                        OpsError::new(
                            ErrorKind::Store,
                            format!(
                                "workflow '{}' ({}) of '{}' vanished from the store while planning: plan again",
                                l.name, l.n8n_id, env.name
                            ),
                        )
                    })?;
                let raw: Value = serde_json::from_str(&raw).map_err(|e| {
                    OpsError::new(
                        ErrorKind::Store,
                        format!(
                            "the stored body of workflow '{}' of '{}' is not JSON: {e}",
                            l.name, env.name
                        ),
                    )
                })?;
                raws.insert(l.n8n_id.clone(), raw);
            }
        }
        let whole = given.is_empty();
        let steps = steps(wanted, &live, &matches, &target, whole, raws);
        let planned = Planned {
            env: env.clone(),
            snapshot,
            whole,
            steps,
        };
        ctx.log(
            LogLevel::Info,
            format!(
                "{}: restore from {} planned: {} to create, {} to update, {} to delete, {} unchanged",
                env.name,
                planned.snapshot.id,
                planned.count(RestoreAction::Create),
                planned.count(RestoreAction::Update),
                planned.count(RestoreAction::Delete),
                planned.count(RestoreAction::Unchanged),
            ),
        )
        .await;
        Ok(planned)
    }

    /// The live workflows of `env` as the store holds them.
    async fn live_rows(&self, env: &EnvRow) -> OpsResult<Vec<LiveRow>> {
        let mut conn = self.store.conn().await?;
        let filter = workflows::Filter {
            env: Some(env.name.clone()),
            active: None,
        };
        let mut rows = Vec::new();
        workflows::visit(&mut conn, &filter, |row| {
            rows.push(LiveRow {
                n8n_id: row.n8n_id,
                name: row.name,
                fingerprint: row.fingerprint,
                active: row.active,
                tags: row.tags,
            })
        })
        .await?;
        Ok(rows)
    }
}

/// The snapshot workflows to restore, by canonical id: all of them, or those `given`
/// names by canonical id or exact name. Unknown or ambiguous names are refused, all
/// named in one error.
pub(super) fn select(
    mapping: &EnvMapping,
    given: &[String],
    snapshot: &str,
) -> OpsResult<Vec<(String, MappedWorkflow)>> {
    if given.is_empty() {
        return Ok(mapping
            .workflows
            .iter()
            .map(|(id, m)| (id.clone(), m.clone()))
            .collect());
    }
    let mut picked: BTreeMap<String, MappedWorkflow> = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut ambiguous = Vec::new();
    for g in given {
        let g = g.trim();
        if let Some(m) = mapping.workflows.get(g) {
            picked.insert(g.to_owned(), m.clone());
            continue;
        }
        let named: Vec<(&String, &MappedWorkflow)> = mapping
            .workflows
            .iter()
            .filter(|(_, m)| m.name == g)
            .collect();
        match named.as_slice() {
            [] => unknown.push(format!("'{g}'")),
            [(id, m)] => {
                picked.insert((*id).clone(), (*m).clone());
            }
            several => {
                let ids: Vec<&str> = several.iter().map(|(id, _)| id.as_str()).collect();
                ambiguous.push(format!("'{g}' (canonical ids {})", ids.join(", ")));
            }
        }
    }
    let mut problems = Vec::new();
    if !unknown.is_empty() {
        problems.push(format!(
            "snapshot {snapshot} holds no workflow {}",
            unknown.join(", ")
        ));
    }
    if !ambiguous.is_empty() {
        problems.push(format!(
            "several workflows of snapshot {snapshot} are named {}: give the canonical id",
            ambiguous.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(OpsError::invalid(format!(
            "{} (`n8nops snapshot show {snapshot}` lists its workflows)",
            problems.join("; ")
        )));
    }
    Ok(picked.into_iter().collect())
}

/// The live workflow (index into `live`) each wanted workflow restores into, each live
/// workflow used once: first the one the target's own mapping gives its canonical id,
/// then (restoring an environment's own snapshot) the one with the snapshot's n8n id,
/// then the first one with its exact name.
pub(super) fn match_live(
    wanted: &[Wanted],
    live: &[LiveRow],
    target: &EnvMapping,
    same_env: bool,
) -> Vec<Option<usize>> {
    let by_id: HashMap<&str, usize> = live
        .iter()
        .enumerate()
        .map(|(j, l)| (l.n8n_id.as_str(), j))
        .collect();
    let mut claimed: HashSet<usize> = HashSet::new();
    let mut out: Vec<Option<usize>> = vec![None; wanted.len()];
    let mut pass = |pick: &dyn Fn(&Wanted, &HashSet<usize>) -> Option<usize>,
                    out: &mut Vec<Option<usize>>| {
        for (i, w) in wanted.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            if let Some(j) = pick(w, &claimed) {
                claimed.insert(j);
                out[i] = Some(j);
            }
        }
    };
    pass(
        &|w, claimed| {
            let mapped = target.workflows.get(&w.canonical_id)?;
            by_id
                .get(mapped.n8n_id.as_str())
                .copied()
                .filter(|j| !claimed.contains(j))
        },
        &mut out,
    );
    if same_env {
        pass(
            &|w, claimed| {
                by_id
                    .get(w.mapped.n8n_id.as_str())
                    .copied()
                    .filter(|j| !claimed.contains(j))
            },
            &mut out,
        );
    }
    pass(
        &|w, claimed| {
            live.iter()
                .enumerate()
                .find(|(j, l)| l.name == w.mapped.name && !claimed.contains(j))
                .map(|(j, _)| j)
        },
        &mut out,
    );
    out
}

/// The steps, sorted by name: per wanted workflow CREATE (no match), UNCHANGED (same
/// fingerprint, active state and tags), else UPDATE (with the diff live -> snapshot
/// when the bodies differ; without one when only the active state or tags do); and
/// for a whole-environment restore, DELETE for each live workflow nothing matched.
pub(super) fn steps(
    wanted: Vec<Wanted>,
    live: &[LiveRow],
    matches: &[Option<usize>],
    target: &EnvMapping,
    whole: bool,
    mut raws: HashMap<String, Value>,
) -> Vec<Step> {
    let mut steps = Vec::with_capacity(wanted.len());
    for (w, m) in wanted.into_iter().zip(matches) {
        let l = m.map(|j| live[j].clone());
        let (action, diff, live_raw) = match &l {
            None => (RestoreAction::Create, None, None),
            Some(l) if l.fingerprint != w.mapped.fingerprint => {
                let raw = raws.remove(&l.n8n_id);
                let diff = raw.as_ref().map(|r| diff_raw(r, &w.document));
                (RestoreAction::Update, diff, raw)
            }
            Some(l) if l.active != w.mapped.active || !same_tags(&l.tags, &w.mapped.tags) => {
                (RestoreAction::Update, None, None)
            }
            Some(_) => (RestoreAction::Unchanged, None, None),
        };
        steps.push(Step {
            item: RestoreItem {
                canonical_id: Some(w.canonical_id.clone()),
                name: w.mapped.name.clone(),
                action,
                n8n_id: l.as_ref().map(|l| l.n8n_id.clone()),
                diff,
            },
            wanted: Some(w),
            live: l,
            live_raw,
        });
    }
    if whole {
        let used: HashSet<usize> = matches.iter().flatten().copied().collect();
        let ids = target.by_n8n_id();
        for (j, l) in live.iter().enumerate() {
            if used.contains(&j) {
                continue;
            }
            steps.push(Step {
                item: RestoreItem {
                    canonical_id: ids.get(l.n8n_id.as_str()).map(|s| s.to_string()),
                    name: l.name.clone(),
                    action: RestoreAction::Delete,
                    n8n_id: Some(l.n8n_id.clone()),
                    diff: None,
                },
                wanted: None,
                live: Some(l.clone()),
                live_raw: None,
            });
        }
    }
    steps.sort_by(|a, b| {
        (&a.item.name, &a.item.canonical_id, &a.item.n8n_id).cmp(&(
            &b.item.name,
            &b.item.canonical_id,
            &b.item.n8n_id,
        ))
    });
    steps
}

/// Tag lists equal as sets (n8n keeps no order).
pub(in crate::service) fn same_tags(a: &[String], b: &[String]) -> bool {
    let a: HashSet<&str> = a.iter().map(String::as_str).collect();
    let b: HashSet<&str> = b.iter().map(String::as_str).collect();
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapped(n8n_id: &str, name: &str, fingerprint: &str) -> MappedWorkflow {
        MappedWorkflow {
            n8n_id: n8n_id.into(),
            name: name.into(),
            fingerprint: fingerprint.into(),
            blob: format!("blob-{n8n_id}"),
            active: false,
            tags: vec![],
        }
    }

    fn wanted(id: &str, n8n_id: &str, name: &str) -> Wanted {
        Wanted {
            canonical_id: id.into(),
            mapped: mapped(n8n_id, name, &format!("fp-{id}")),
            document: json!({"name": name, "nodes": [], "connections": {}, "settings": {}}),
        }
    }

    fn live(n8n_id: &str, name: &str, fingerprint: &str) -> LiveRow {
        LiveRow {
            n8n_id: n8n_id.into(),
            name: name.into(),
            fingerprint: fingerprint.into(),
            active: false,
            tags: vec![],
        }
    }

    fn mapping(env: &str, entries: &[(&str, MappedWorkflow)]) -> EnvMapping {
        let mut m = EnvMapping::new(env);
        for (id, w) in entries {
            m.workflows.insert((*id).into(), w.clone());
        }
        m
    }

    #[test]
    fn selection_takes_ids_and_exact_names_and_names_every_unknown() {
        let m = mapping(
            "prod",
            &[
                ("orders", mapped("1", "Orders", "a")),
                ("billing", mapped("2", "Billing", "b")),
                ("billing-2", mapped("3", "Billing", "c")),
            ],
        );
        let all = select(&m, &[], "prod/x").unwrap();
        assert_eq!(all.len(), 3);
        let some = select(&m, &["Orders".into(), "billing-2".into()], "prod/x").unwrap();
        let ids: Vec<&str> = some.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["billing-2", "orders"]);
        let err = select(
            &m,
            &["nope".into(), "orders".into(), "Gone".into()],
            "prod/x",
        )
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert!(err.message.contains("'nope', 'Gone'"), "{}", err.message);
        assert!(err.message.contains("prod/x"), "{}", err.message);
        let err = select(&m, &["Billing".into()], "prod/x").unwrap_err();
        assert!(
            err.message.contains("billing, billing-2"),
            "{}",
            err.message
        );
        // Names are exact: case matters.
        assert!(select(&m, &["ORDERS".into()], "prod/x").is_err());
    }

    #[test]
    fn matching_prefers_the_targets_mapping_then_the_id_then_the_name() {
        let w = vec![
            wanted("orders", "1", "Orders"),
            wanted("billing", "2", "Billing"),
            wanted("alerts", "3", "Alerts"),
            wanted("new", "4", "New"),
        ];
        let l = vec![
            live("10", "Orders renamed", "x"),
            live("2", "Billing", "y"),
            live("30", "Alerts", "z"),
            live("40", "Billing", "w"),
        ];
        // The target maps `orders` to 10 and (stale) `billing` to 99.
        let target = mapping(
            "prod",
            &[
                ("orders", mapped("10", "Orders", "x")),
                ("billing", mapped("99", "Billing", "y")),
            ],
        );
        assert_eq!(
            match_live(&w, &l, &target, true),
            [Some(0), Some(1), Some(2), None]
        );
        // Another environment's snapshot: its n8n ids mean nothing here; names do.
        assert_eq!(
            match_live(&w, &l, &target, false),
            [Some(0), Some(1), Some(2), None]
        );
        let empty = EnvMapping::new("prod");
        assert_eq!(
            match_live(&w, &l, &empty, false),
            [None, Some(1), Some(2), None]
        );
        // A live workflow is used once.
        let twice = vec![wanted("a", "1", "Billing"), wanted("b", "2", "Billing")];
        let one = vec![live("5", "Billing", "f")];
        assert_eq!(match_live(&twice, &one, &empty, false), [Some(0), None]);
    }

    #[test]
    fn steps_say_what_happens_to_each_and_delete_only_for_a_whole_restore() {
        let mut w = vec![
            wanted("same", "1", "Same"),
            wanted("changed", "2", "Changed"),
            wanted("gone", "3", "Gone"),
            wanted("state", "4", "State"),
        ];
        w[3].mapped.active = true;
        let l = vec![
            live("1", "Same", "fp-same"),
            live("2", "Changed", "other"),
            live("9", "Extra", "e"),
            live("4", "State", "fp-state"),
        ];
        let target = mapping("prod", &[("extra", mapped("9", "Extra", "e"))]);
        let matches = match_live(&w, &l, &target, true);
        let raws = HashMap::from([(
            "2".to_owned(),
            json!({"name": "Changed", "nodes": [{"name": "A", "type": "t", "parameters": {"x": 1}}],
                   "connections": {}, "settings": {}}),
        )]);
        let all = steps(w.clone(), &l, &matches, &target, true, raws.clone());
        let got: Vec<(&str, RestoreAction, Option<&str>)> = all
            .iter()
            .map(|s| {
                (
                    s.item.name.as_str(),
                    s.item.action,
                    s.item.n8n_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Changed", RestoreAction::Update, Some("2")),
                ("Extra", RestoreAction::Delete, Some("9")),
                ("Gone", RestoreAction::Create, None),
                ("Same", RestoreAction::Unchanged, Some("1")),
                ("State", RestoreAction::Update, Some("4")),
            ]
        );
        let changed = &all[0];
        let diff = changed
            .item
            .diff
            .as_ref()
            .expect("a diff for a changed body");
        assert!(!diff.is_empty());
        assert!(changed.live_raw.is_some());
        assert_eq!(all[1].item.canonical_id.as_deref(), Some("extra"));
        // Only the active state differs: an update without a diff.
        assert!(all[4].item.diff.is_none());
        let partial = steps(w, &l, &matches, &target, false, raws);
        assert!(
            partial
                .iter()
                .all(|s| s.item.action != RestoreAction::Delete)
        );
        assert_eq!(partial.len(), 4);
    }
}
