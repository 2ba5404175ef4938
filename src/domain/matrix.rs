//! The cross-environment matrix: one row per workflow identity (its name, until
//! canonical identity lands), one cell per environment, telling whether the workflow is
//! there, whether it is active, and whether its fingerprint matches the other
//! environments'.

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
}

impl Cell {
    pub fn present(&self) -> Option<&Present> {
        match self {
            Cell::Missing => None,
            Cell::Present(p) => Some(p),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
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

/// Builds the rows, sorted by name (case-insensitively), with a cell for each of `envs`.
/// Workflows of environments not in `envs` are left out. When one environment holds
/// two workflows of one name, the first wins.
pub fn build<'a>(envs: &[&str], workflows: impl IntoIterator<Item = Entry<'a>>) -> Vec<Row> {
    let mut column: HashMap<&str, usize> = HashMap::with_capacity(envs.len());
    for (i, env) in envs.iter().enumerate() {
        column.entry(env).or_insert(i);
    }
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    let mut slots: Vec<(&str, Vec<Option<Entry>>)> = Vec::new();
    for entry in workflows {
        let Some(&col) = column.get(entry.env) else {
            continue;
        };
        let row = *row_of.entry(entry.name).or_insert_with(|| {
            slots.push((entry.name, vec![None; envs.len()]));
            slots.len() - 1
        });
        slots[row].1[col].get_or_insert(entry);
    }
    slots.sort_unstable_by(|a, b| name_order(a.0, b.0));
    slots
        .into_iter()
        .map(|(name, entries)| row(name, entries))
        .collect()
}

fn row(name: &str, entries: Vec<Option<Entry>>) -> Row {
    let mut distinct: Vec<&str> = Vec::new();
    let cells = entries
        .into_iter()
        .map(|slot| match slot {
            None => Cell::Missing,
            Some(e) => {
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
                })
            }
        })
        .collect();
    Row {
        name: name.to_owned(),
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
}
