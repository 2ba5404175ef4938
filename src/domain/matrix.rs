//! The cross-environment matrix: one row per workflow identity (its name, until
//! canonical identity lands), one cell per environment, telling whether the workflow is
//! there and whether its fingerprint matches the other environments'.

use std::collections::{BTreeMap, BTreeSet};

/// One cell of a matrix row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Missing,
    /// Present with the same fingerprint in every environment that has it.
    Same {
        fingerprint: String,
    },
    /// Present, and another environment holds a different fingerprint.
    Differs {
        fingerprint: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// One cell per environment, in the order the environments were given.
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn is_missing_somewhere(&self) -> bool {
        self.cells.contains(&Cell::Missing)
    }

    pub fn differs(&self) -> bool {
        self.cells.iter().any(|c| matches!(c, Cell::Differs { .. }))
    }
}

/// Builds the rows, sorted by name, from (environment, workflow name, fingerprint)
/// triples. When one environment holds two workflows of one name, the first wins.
pub fn build<'a>(
    envs: &[&str],
    workflows: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Vec<Row> {
    let mut by_name: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for (env, name, fingerprint) in workflows {
        by_name
            .entry(name)
            .or_default()
            .entry(env)
            .or_insert(fingerprint);
    }
    by_name
        .into_iter()
        .map(|(name, present)| {
            let distinct: BTreeSet<&&str> = present.values().collect();
            let cells = envs
                .iter()
                .map(|env| match present.get(env) {
                    None => Cell::Missing,
                    Some(fp) if distinct.len() > 1 => Cell::Differs {
                        fingerprint: fp.to_string(),
                    },
                    Some(fp) => Cell::Same {
                        fingerprint: fp.to_string(),
                    },
                })
                .collect();
            Row {
                name: name.to_owned(),
                cells,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_say_missing_same_or_differs() {
        let envs = ["dev", "prod"];
        let rows = build(
            &envs,
            [
                ("dev", "A", "f1"),
                ("prod", "A", "f1"),
                ("dev", "B", "f2"),
                ("prod", "B", "f3"),
                ("dev", "C", "f4"),
            ],
        );
        assert_eq!(rows.len(), 3);
        assert!(!rows[0].differs() && !rows[0].is_missing_somewhere());
        assert!(rows[1].differs());
        assert_eq!(
            rows[1].cells[1],
            Cell::Differs {
                fingerprint: "f3".into()
            }
        );
        assert!(rows[2].is_missing_somewhere() && !rows[2].differs());
        assert_eq!(
            rows[2].cells,
            vec![
                Cell::Same {
                    fingerprint: "f4".into()
                },
                Cell::Missing
            ]
        );
    }
}
