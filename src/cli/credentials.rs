//! `n8nops credentials ...`: credential metadata per environment, and which exist where.

use super::Context;
use super::output::{self, table};
use crate::service::{CredentialsMatrix, Ops};
use crate::store::inventory::CredentialRow;
use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Which credentials exist in which environment, and how many workflows use each
    Matrix,
    /// Credentials (metadata only) of every environment, or of one
    #[command(alias = "ls")]
    List {
        #[arg(long)]
        env: Option<String>,
    },
}

/// A credential of an environment, as `credentials list` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct EnvCredential {
    env: String,
    #[serde(flatten)]
    credential: CredentialRow,
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: CredentialsCommand) -> Result<()> {
    match cmd {
        CredentialsCommand::Matrix => {
            let matrix = ops.credentials_matrix().await?;
            if ctx.json {
                return output::json(&matrix);
            }
            if matrix.rows.is_empty() {
                println!("No credentials known yet. Sync the environments first: n8nops sync");
                return Ok(());
            }
            let (headers, rows) = matrix_table(&matrix);
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            table(&headers, &rows);
            println!();
            println!(
                "✓ N: exists, N workflows use it;  ·: absent;  ✗ N: absent, yet N workflows use it"
            );
            Ok(())
        }
        CredentialsCommand::List { env } => {
            let envs = match env {
                Some(e) => vec![e],
                None => ops.env_list().await?.into_iter().map(|e| e.name).collect(),
            };
            let mut list = Vec::new();
            for env in envs {
                let inventory = ops.env_inventory(env).await?;
                list.extend(inventory.credentials.into_iter().map(|c| EnvCredential {
                    env: inventory.env.clone(),
                    credential: c,
                }));
            }
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                println!("No credentials known yet. Sync the environments first: n8nops sync");
                return Ok(());
            }
            table(
                &["ENV", "TYPE", "CREDENTIAL", "ID", "SOURCE", "USED BY"],
                &list_rows(&list),
            );
            Ok(())
        }
    }
}

/// Headers (type, credential, one per environment) and a row per credential whose
/// environment cells read `✓ N` (exists, used by N workflows), `·` (absent), or
/// `✗ N` (absent, yet N workflows reference it).
fn matrix_table(matrix: &CredentialsMatrix) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers = vec!["TYPE".to_string(), "CREDENTIAL".to_string()];
    headers.extend(matrix.envs.iter().cloned());
    let rows = matrix
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![r.cred_type.clone(), r.name.clone()];
            row.extend(r.cells.iter().map(|c| match (c.present, c.used_by()) {
                (true, n) => format!("✓ {n}"),
                (false, 0) => "·".to_string(),
                (false, n) => format!("✗ {n}"),
            }));
            row
        })
        .collect();
    (headers, rows)
}

fn list_rows(list: &[EnvCredential]) -> Vec<Vec<String>> {
    list.iter()
        .map(|e| {
            let c = &e.credential;
            vec![
                e.env.clone(),
                c.cred_type.clone(),
                c.name.clone(),
                c.n8n_id.clone().unwrap_or_else(|| "-".into()),
                match c.source.as_str() {
                    "api" => "listed".to_string(),
                    "nodes" => "from nodes".to_string(),
                    other => other.to_string(),
                },
                c.used_by.to_string(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matrix_cells_mark_presence_and_usage_per_environment() {
        // Built from JSON: the cell type is not re-exported by the service's types.
        let matrix: CredentialsMatrix = serde_json::from_value(json!({
            "envs": ["dev", "prod"],
            "rows": [
                {"cred_type": "slackApi", "name": "Alerts", "cells": [
                    {"present": true, "ids": ["1"], "source": "nodes", "workflows": ["A", "B"]},
                    {"present": false, "ids": [], "source": null, "workflows": []}
                ]},
                {"cred_type": "httpHeaderAuth", "name": "Token", "cells": [
                    {"present": true, "ids": ["2"], "source": "listed", "workflows": []},
                    {"present": false, "ids": [], "source": null, "workflows": ["C"]}
                ]}
            ]
        }))
        .unwrap();
        let (headers, rows) = matrix_table(&matrix);
        assert_eq!(headers, ["TYPE", "CREDENTIAL", "dev", "prod"]);
        assert_eq!(
            rows,
            vec![
                vec!["slackApi", "Alerts", "✓ 2", "·"],
                vec!["httpHeaderAuth", "Token", "✓ 0", "✗ 1"],
            ]
        );
    }

    #[test]
    fn list_rows_name_the_environment_and_how_each_was_learnt() {
        let rows = list_rows(&[EnvCredential {
            env: "prod".into(),
            credential: CredentialRow {
                n8n_id: None,
                name: "Alerts".into(),
                cred_type: "slackApi".into(),
                source: "nodes".into(),
                used_by: 3,
            },
        }]);
        assert_eq!(
            rows,
            vec![vec!["prod", "slackApi", "Alerts", "-", "from nodes", "3"]]
        );
        let json = serde_json::to_value(EnvCredential {
            env: "prod".into(),
            credential: CredentialRow {
                n8n_id: Some("7".into()),
                name: "Alerts".into(),
                cred_type: "slackApi".into(),
                source: "api".into(),
                used_by: 0,
            },
        })
        .unwrap();
        assert_eq!(json["env"], "prod");
        assert_eq!(json["type"], "slackApi");
        assert_eq!(json["n8n_id"], "7");
    }
}
