//! Credentials across environments: which exist where, and which workflows use each.
//!
//! Built from what the last sync of each environment stored: the credential inventory
//! (listed by the API where the instance allows it, otherwise gathered from the
//! workflows' nodes) and each stored workflow's credential references.
//!
//! Health is not part of the matrix: n8n 1.x's public API can neither list credentials
//! nor test one (testing a credential is an editor-only endpoint), so there is nothing
//! to check it with.

use super::local::LocalOps;
use super::{ErrorKind, OpsError, OpsResult};
use crate::store::{environments, inventory, workflows};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsMatrix {
    /// Environments in promotion order (development first, then by name), as
    /// `env_list` sorts them.
    pub envs: Vec<String>,
    /// One row per (type, name) found in any environment, by type then name.
    pub rows: Vec<CredentialsMatrixRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsMatrixRow {
    pub cred_type: String,
    pub name: String,
    /// One cell per environment, in `CredentialsMatrix::envs` order.
    pub cells: Vec<CredentialCell>,
}

/// How n8nops learnt a credential exists in an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// The instance listed it (n8n 2.x API).
    Listed,
    /// Only workflow nodes reference it (n8n 1.x cannot list credentials).
    Nodes,
}

/// One credential in one environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialCell {
    /// The environment's inventory holds it. A credential workflows reference but the
    /// instance did not list is not present (`workflows` says who needs it).
    pub present: bool,
    /// n8n ids it has there (more than one when names repeat), from the inventory and
    /// the workflows' references.
    pub ids: Vec<String>,
    /// How it was learnt; `None` when not present.
    pub source: Option<CredentialSource>,
    /// Stored workflows of the environment that use it, by name.
    pub workflows: Vec<String>,
}

impl CredentialCell {
    /// How many workflows use it.
    pub fn used_by(&self) -> usize {
        self.workflows.len()
    }
}

fn parse_source(env: &str, row: &inventory::CredentialRow) -> OpsResult<CredentialSource> {
    match row.source.as_str() {
        "api" => Ok(CredentialSource::Listed),
        "nodes" => Ok(CredentialSource::Nodes),
        other => Err(OpsError::new(
            ErrorKind::Store,
            format!(
                "credential '{}' ({}) of '{env}' has an unknown source '{other}' in the store",
                row.name, row.cred_type
            ),
        )),
    }
}

/// The cell of environment `i` (of `count`) in the row of `key`, made when new.
fn cell(
    cells: &mut BTreeMap<(String, String), Vec<CredentialCell>>,
    key: (String, String),
    i: usize,
    count: usize,
) -> &mut CredentialCell {
    &mut cells
        .entry(key)
        .or_insert_with(|| vec![CredentialCell::default(); count])[i]
}

impl LocalOps {
    pub(super) async fn build_credentials_matrix(&self) -> OpsResult<CredentialsMatrix> {
        let mut conn = self.store.conn().await?;
        let mut envs = environments::list(&mut conn).await?;
        envs.sort_by(|a, b| (a.class, &a.name).cmp(&(b.class, &b.name)));
        let count = envs.len();
        // (type, name) -> one cell per environment.
        let mut cells: BTreeMap<(String, String), Vec<CredentialCell>> = BTreeMap::new();
        for (i, env) in envs.iter().enumerate() {
            for row in inventory::credentials(&mut conn, env.id).await? {
                let source = parse_source(&env.name, &row)?;
                let c = cell(&mut cells, (row.cred_type, row.name), i, count);
                c.present = true;
                // Listed beats learnt from nodes when both rows exist.
                if c.source != Some(CredentialSource::Listed) {
                    c.source = Some(source);
                }
                c.ids.extend(row.n8n_id);
            }
            for stored in workflows::stored(&mut conn, env.id).await?.into_values() {
                for r in stored.credentials {
                    let c = cell(&mut cells, (r.cred_type, r.name), i, count);
                    c.ids.extend(r.id);
                    c.workflows.push(stored.name.clone());
                }
            }
        }
        let rows = cells
            .into_iter()
            .map(|((cred_type, name), mut cells)| {
                for c in &mut cells {
                    c.ids = std::mem::take(&mut c.ids)
                        .into_iter()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    c.workflows.sort();
                }
                CredentialsMatrixRow {
                    cred_type,
                    name,
                    cells,
                }
            })
            .collect();
        Ok(CredentialsMatrix {
            envs: envs.into_iter().map(|e| e.name).collect(),
            rows,
        })
    }
}
