//! The cross-environment matrix: one row per workflow identity, one cell per
//! environment, telling whether the workflow is there, whether it is active, whether
//! its fingerprint matches the other environments' and what the last drift check said.
//!
//! Identity is canonical where the canonical state knows the workflow: its cells are
//! the workflows mapped to one canonical id, whatever each is called today (a renamed
//! workflow stays on its row). Workflows the canonical state does not know (untracked)
//! are grouped by name on rows of their own, marked untracked. A store without
//! canonical state has only untracked rows: one per name, as before canonical identity.

use crate::domain::drift::DriftStatus;
use std::cmp::Ordering;
use std::collections::HashMap;

/// One stored workflow, as the matrix places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub env: &'a str,
    pub name: &'a str,
    /// The workflow's id in its environment.
    pub id: &'a str,
    pub fingerprint: &'a str,
    pub active: bool,
}

/// A stored workflow with what the canonical state says of it. A bare `Entry` is an
/// untracked workflow never drift-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed<'a> {
    pub entry: Entry<'a>,
    /// Its canonical workflow; None when it is untracked.
    pub canonical: Option<&'a str>,
    /// Its status at its environment's last drift check (None: never checked).
    pub drift: Option<DriftStatus>,
}

impl<'a> From<Entry<'a>> for Placed<'a> {
    fn from(entry: Entry<'a>) -> Self {
        Placed {
            entry,
            canonical: None,
            drift: None,
        }
    }
}

/// What a row stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowId {
    /// One canonical workflow, by its canonical id.
    Canonical(String),
    /// Untracked workflows of one name.
    Untracked(String),
}

/// One cell of a matrix row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Missing,
    Present(Present),
}

/// A workflow present in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub id: String,
    pub fingerprint: String,
    pub active: bool,
    /// Which version of the row this is: the row's distinct fingerprints numbered from 0
    /// in column order. Cells of one row with the same variant hold the same workflow.
    pub variant: usize,
    /// Its status at its environment's last drift check (None: never checked).
    pub drift: Option<DriftStatus>,
    /// Its name here, when it is not the row's (renamed in this environment).
    pub name: Option<String>,
}

impl Cell {
    pub fn present(&self) -> Option<&Present> {
        match self {
            Cell::Missing => None,
            Cell::Present(p) => Some(p),
        }
    }

    /// The drift status of a present cell.
    pub fn drift(&self) -> Option<DriftStatus> {
        self.present().and_then(|p| p.drift)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: RowId,
    /// What the row is called: the name most of its cells have (the first
    /// environment's on a tie); for untracked rows, the name they share.
    pub name: String,
    /// One cell per environment, in the order the environments were given.
    pub cells: Vec<Cell>,
    /// How many distinct fingerprints the present cells hold.
    pub variants: usize,
}

impl Row {
    pub fn is_missing_somewhere(&self) -> bool {
        self.cells.contains(&Cell::Missing)
    }

    /// Two environments that have the workflow hold different versions of it.
    pub fn differs(&self) -> bool {
        self.variants > 1
    }

    /// The canonical state does not know these workflows.
    pub fn is_untracked(&self) -> bool {
        matches!(self.id, RowId::Untracked(_))
    }

    pub fn canonical_id(&self) -> Option<&str> {
        match &self.id {
            RowId::Canonical(id) => Some(id),
            RowId::Untracked(_) => None,
        }
    }

    /// Some cell had `status` at its environment's last drift check.
    pub fn has_drift(&self, status: DriftStatus) -> bool {
        self.cells.iter().any(|c| c.drift() == Some(status))
    }

    /// The first two cells (column indexes) holding different versions, if any.
    pub fn first_difference(&self) -> Option<(usize, usize)> {
        let mut present = self
            .cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.present().map(|p| (i, p.variant)));
        let (first, variant) = present.next()?;
        let (second, _) = present.find(|&(_, v)| v != variant)?;
        Some((first, second))
    }
}

/// A row's identity while building, borrowed from the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Canonical(&'a str),
    Untracked(&'a str),
}

impl Key<'_> {
    fn order(&self) -> (bool, &str) {
        match *self {
            Key::Canonical(id) => (false, id),
            Key::Untracked(name) => (true, name),
        }
    }
}

/// Builds the rows with a cell for each of `envs`, sorted by row name
/// (case-insensitively), a tracked row before an untracked one of the same name.
/// Workflows of environments not in `envs` are left out. When one environment holds two
/// workflows of one row (one canonical id, or one untracked name), the first wins.
pub fn build<'a, W: Into<Placed<'a>>>(
    envs: &[&str],
    workflows: impl IntoIterator<Item = W>,
) -> Vec<Row> {
    let mut column: HashMap<&str, usize> = HashMap::with_capacity(envs.len());
    for (i, env) in envs.iter().enumerate() {
        column.entry(env).or_insert(i);
    }
    let mut row_of: HashMap<Key, usize> = HashMap::new();
    let mut slots: Vec<(Key, Vec<Option<Placed>>)> = Vec::new();
    for placed in workflows {
        let placed: Placed = placed.into();
        let Some(&col) = column.get(placed.entry.env) else {
            continue;
        };
        let key = match placed.canonical {
            Some(id) => Key::Canonical(id),
            None => Key::Untracked(placed.entry.name),
        };
        let row = *row_of.entry(key).or_insert_with(|| {
            slots.push((key, vec![None; envs.len()]));
            slots.len() - 1
        });
        slots[row].1[col].get_or_insert(placed);
    }
    let mut labelled: Vec<(&str, Key, Vec<Option<Placed>>)> = slots
        .into_iter()
        .map(|(key, entries)| {
            let label = match key {
                Key::Untracked(name) => name,
                Key::Canonical(id) => common_name(&entries).unwrap_or(id),
            };
            (label, key, entries)
        })
        .collect();
    labelled
        .sort_unstable_by(|a, b| name_order(a.0, b.0).then_with(|| a.1.order().cmp(&b.1.order())));
    labelled
        .into_iter()
        .map(|(label, key, entries)| row(label, key, entries))
        .collect()
}

/// The name most entries have; on a tie, the one of the first column among them.
fn common_name<'a>(entries: &[Option<Placed<'a>>]) -> Option<&'a str> {
    let names: Vec<&str> = entries.iter().flatten().map(|p| p.entry.name).collect();
    let mut best: Option<(&str, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        // Counted at its first occurrence only, so the earliest wins a tie.
        if names[..i].contains(name) {
            continue;
        }
        let count = names[i..].iter().filter(|n| *n == name).count();
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((name, count));
        }
    }
    best.map(|(name, _)| name)
}

fn row(label: &str, key: Key, entries: Vec<Option<Placed>>) -> Row {
    let mut distinct: Vec<&str> = Vec::new();
    let cells = entries
        .into_iter()
        .map(|slot| match slot {
            None => Cell::Missing,
            Some(Placed {
                entry: e, drift, ..
            }) => {
                let variant = match distinct.iter().position(|f| *f == e.fingerprint) {
                    Some(v) => v,
                    None => {
                        distinct.push(e.fingerprint);
                        distinct.len() - 1
                    }
                };
                Cell::Present(Present {
                    id: e.id.to_owned(),
                    fingerprint: e.fingerprint.to_owned(),
                    active: e.active,
                    variant,
                    drift,
                    name: (e.name != label).then(|| e.name.to_owned()),
                })
            }
        })
        .collect();
    let id = match key {
        Key::Canonical(id) => RowId::Canonical(id.to_owned()),
        Key::Untracked(name) => RowId::Untracked(name.to_owned()),
    };
    Row {
        id,
        name: label.to_owned(),
        cells,
        variants: distinct.len(),
    }
}

/// Case-insensitive, then exact, so "alpha" sits next to "Alpha" and the order is total.
fn name_order(a: &str, b: &str) -> Ordering {
    let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<Vec<_>>();
    if a.is_ascii() && b.is_ascii() {
        let ord = a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
        return ord.then_with(|| a.cmp(b));
    }
    lower(a).cmp(&lower(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(env: &'a str, name: &'a str, fingerprint: &'a str) -> Entry<'a> {
        Entry {
            env,
            name,
            id: "1",
            fingerprint,
            active: false,
        }
    }

    fn tracked<'a>(env: &'a str, canonical: &'a str, name: &'a str, id: &'a str) -> Placed<'a> {
        Placed {
            entry: Entry {
                env,
                name,
                id,
                fingerprint: "f",
                active: true,
            },
            canonical: Some(canonical),
            drift: Some(DriftStatus::InSync),
        }
    }

    #[test]
    fn cells_say_missing_same_or_differs() {
        let envs = ["dev", "prod"];
        let rows = build(
            &envs,
            [
                entry("dev", "A", "f1"),
                entry("prod", "A", "f1"),
                entry("dev", "B", "f2"),
                entry("prod", "B", "f3"),
                entry("dev", "C", "f4"),
            ],
        );
        assert_eq!(rows.len(), 3);
        assert!(!rows[0].differs() && !rows[0].is_missing_somewhere());
        assert!(rows[1].differs());
        assert_eq!(rows[1].cells[1].present().map(|p| p.variant), Some(1));
        assert_eq!(rows[1].first_difference(), Some((0, 1)));
        assert!(rows[2].is_missing_somewhere() && !rows[2].differs());
        assert_eq!(rows[2].cells[1], Cell::Missing);
        assert_eq!(rows[2].first_difference(), None);
    }

    #[test]
    fn variants_group_equal_fingerprints_and_active_is_kept() {
        let envs = ["dev", "staging", "prod"];
        let rows = build(
            &envs,
            [
                Entry {
                    env: "prod",
                    name: "W",
                    id: "p9",
                    fingerprint: "old",
                    active: true,
                },
                entry("dev", "W", "new"),
                entry("staging", "W", "new"),
            ],
        );
        let cells: Vec<_> = rows[0].cells.iter().map(|c| c.present().unwrap()).collect();
        assert_eq!(
            cells.iter().map(|p| p.variant).collect::<Vec<_>>(),
            [0, 0, 1]
        );
        assert_eq!(rows[0].variants, 2);
        assert!(cells[2].active && !cells[0].active);
        assert_eq!(cells[2].id, "p9");
        // dev and staging agree; the first difference is dev against prod.
        assert_eq!(rows[0].first_difference(), Some((0, 2)));
    }

    #[test]
    fn first_of_a_name_wins_and_unknown_envs_are_left_out() {
        let rows = build(
            &["dev"],
            [
                entry("dev", "A", "f1"),
                entry("dev", "A", "f2"),
                entry("qa", "B", "f3"),
            ],
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells[0].present().unwrap().fingerprint, "f1");
        assert!(!rows[0].differs());
    }

    #[test]
    fn rows_sort_by_name_ignoring_case() {
        let rows = build(
            &["dev"],
            [
                entry("dev", "beta", "f"),
                entry("dev", "Alpha", "f"),
                entry("dev", "alpha", "f"),
                entry("dev", "Été", "f"),
                entry("dev", "été 2", "f"),
            ],
        );
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "alpha", "beta", "Été", "été 2"]);
    }

    #[test]
    fn builds_ten_thousand_rows_by_ten_environments() {
        let envs: Vec<String> = (0..10).map(|i| format!("env{i}")).collect();
        let env_refs: Vec<&str> = envs.iter().map(String::as_str).collect();
        let names: Vec<String> = (0..10_000).map(|i| format!("workflow {i:05}")).collect();
        let fingerprints = ["a", "b"];
        let entries = names.iter().enumerate().flat_map(|(i, name)| {
            env_refs
                .iter()
                .enumerate()
                .filter(move |(e, _)| (i + e) % 7 != 0 || *e == 9)
                .map(move |(e, env)| Entry {
                    env,
                    name,
                    id: "x",
                    fingerprint: fingerprints[usize::from(i % 5 == 0 && e == 9)],
                    active: e % 2 == 0,
                })
        });
        let rows = build(&env_refs, entries);
        assert_eq!(rows.len(), 10_000);
        assert!(rows.iter().all(|r| r.cells.len() == 10));
        assert_eq!(rows.iter().filter(|r| r.differs()).count(), 2_000);
    }

    #[test]
    fn a_renamed_workflow_stays_on_its_canonical_row_named_as_most_cells_are() {
        let envs = ["dev", "staging", "prod"];
        let rows = build(
            &envs,
            [
                tracked("dev", "order-sync", "Order sync v2", "d1"),
                tracked("staging", "order-sync", "Order sync", "s1"),
                tracked("prod", "order-sync", "Order sync", "p1"),
                tracked("dev", "billing", "Billing", "d2"),
            ],
        );
        assert_eq!(rows.len(), 2);
        let order = &rows[1];
        assert_eq!(order.id, RowId::Canonical("order-sync".into()));
        assert_eq!(order.name, "Order sync");
        assert_eq!(order.canonical_id(), Some("order-sync"));
        assert!(!order.is_untracked() && !order.is_missing_somewhere());
        let dev = order.cells[0].present().unwrap();
        assert_eq!(dev.name.as_deref(), Some("Order sync v2"), "renamed in dev");
        assert_eq!(order.cells[1].present().unwrap().name, None);
        // A tie goes to the first environment's name.
        let rows = build(
            &envs,
            [
                tracked("prod", "x", "Zeta", "p"),
                tracked("dev", "x", "Alpha", "d"),
            ],
        );
        assert_eq!(rows[0].name, "Alpha");
    }

    #[test]
    fn untracked_workflows_are_grouped_by_name_apart_from_canonical_rows() {
        let envs = ["dev", "prod"];
        let mut untracked = Placed::from(entry("prod", "Order sync", "f9"));
        untracked.drift = Some(DriftStatus::Untracked);
        let mut drifted = tracked("prod", "billing", "Billing", "p2");
        drifted.drift = Some(DriftStatus::Drifted);
        let rows = build(
            &envs,
            [
                untracked,
                tracked("dev", "order-sync", "Order sync", "d1"),
                entry("dev", "Order sync", "f8").into(),
                drifted,
            ],
        );
        let ids: Vec<_> = rows.iter().map(|r| &r.id).collect();
        assert_eq!(
            ids,
            [
                &RowId::Canonical("billing".into()),
                &RowId::Canonical("order-sync".into()),
                &RowId::Untracked("Order sync".into()),
            ],
            "by name; the tracked row first"
        );
        assert!(rows[2].is_untracked() && rows[2].canonical_id().is_none());
        assert_eq!(rows[2].cells[1].drift(), Some(DriftStatus::Untracked));
        assert!(rows[2].has_drift(DriftStatus::Untracked));
        assert!(rows[2].differs(), "f8 in dev, f9 in prod");
        assert_eq!(rows[1].cells[1], Cell::Missing);
        assert!(rows[0].has_drift(DriftStatus::Drifted));
        assert!(!rows[1].has_drift(DriftStatus::Drifted));
    }

    #[test]
    fn without_canonical_state_rows_are_the_names_all_untracked() {
        let rows = build(
            &["dev", "prod"],
            [
                entry("dev", "B", "f1"),
                entry("prod", "B", "f1"),
                entry("dev", "A", "f2"),
            ],
        );
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        assert!(rows.iter().all(Row::is_untracked));
        assert!(!rows[1].differs() && !rows[1].is_missing_somewhere());
    }
}
