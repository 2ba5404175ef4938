//! `POST /audit`: a security audit in n8n's report shape, computed from the
//! simulated instance (unused credentials, risky nodes, SQL with expressions,
//! unprotected webhooks, filesystem access). n8n answers `[]` when nothing is found.

use super::store::Store;
use super::workflows::node_list;
use serde_json::{Map, Value, json};

pub const CATEGORIES: [&str; 5] = ["credentials", "database", "nodes", "filesystem", "instance"];

/// The categories asked for in the body (`additionalOptions.categories`), all by default.
pub fn categories(body: &Value) -> Result<Vec<String>, String> {
    let options = match body.get("additionalOptions") {
        None | Some(Value::Null) => return Ok(all()),
        Some(Value::Object(o)) => o,
        Some(_) => return Err("request/body/additionalOptions must be object".into()),
    };
    match options.get("categories") {
        None => Ok(all()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| match c.as_str() {
                Some(s) if CATEGORIES.contains(&s) => Ok(s.to_owned()),
                _ => Err(format!(
                    "request/body/additionalOptions/categories/{i} must be equal to one of the allowed values: {}",
                    CATEGORIES.join(", ")
                )),
            })
            .collect(),
        Some(_) => Err("request/body/additionalOptions/categories must be array".into()),
    }
}

fn all() -> Vec<String> {
    CATEGORIES.iter().map(|s| (*s).to_owned()).collect()
}

const RISKY_NODES: &[&str] = &[
    "n8n-nodes-base.executeCommand",
    "n8n-nodes-base.code",
    "n8n-nodes-base.function",
    "n8n-nodes-base.functionItem",
    "n8n-nodes-base.httpRequest",
    "n8n-nodes-base.ssh",
    "n8n-nodes-base.ftp",
];
const SQL_NODES: &[&str] = &[
    "n8n-nodes-base.postgres",
    "n8n-nodes-base.mySql",
    "n8n-nodes-base.microsoftSql",
];
const FILE_NODES: &[&str] = &[
    "n8n-nodes-base.readBinaryFile",
    "n8n-nodes-base.readBinaryFiles",
    "n8n-nodes-base.writeBinaryFile",
    "n8n-nodes-base.readWriteFile",
];

pub fn report(store: &Store, categories: &[String]) -> Value {
    let wants = |c: &str| categories.iter().any(|x| x == c);
    let mut risky = Vec::new();
    let mut sql = Vec::new();
    let mut files = Vec::new();
    let mut webhooks = Vec::new();
    for w in store.workflows() {
        let nodes = super::json::parse(&w.nodes);
        for node in node_list(&nodes) {
            let kind = node.get("type").and_then(Value::as_str).unwrap_or_default();
            let location = || {
                json!({
                    "kind": "node", "workflowId": w.id, "workflowName": w.name,
                    "nodeId": node.get("id"), "nodeName": node.get("name"), "nodeType": kind,
                })
            };
            let parameters = node.get("parameters").cloned().unwrap_or(Value::Null);
            if RISKY_NODES.contains(&kind) {
                risky.push(location());
            }
            if SQL_NODES.contains(&kind)
                && parameters
                    .get("query")
                    .and_then(Value::as_str)
                    .is_some_and(|q| q.starts_with('=') || q.contains("{{"))
            {
                sql.push(location());
            }
            if FILE_NODES.contains(&kind) {
                files.push(location());
            }
            let unauthenticated = parameters
                .get("authentication")
                .and_then(Value::as_str)
                .is_none_or(|a| a == "none");
            if kind == "n8n-nodes-base.webhook" && unauthenticated {
                webhooks.push(location());
            }
        }
    }

    let mut reports = Map::new();
    if wants("credentials") {
        let used = store.used_credential_ids(false);
        let used_active = store.used_credential_ids(true);
        let location = |c: &super::credentials::Credential| json!({"kind": "credential", "id": c.id, "name": c.name});
        let unused: Vec<Value> = store
            .credentials
            .all()
            .filter(|c| !used.contains(&c.id))
            .map(location)
            .collect();
        let inactive: Vec<Value> = store
            .credentials
            .all()
            .filter(|c| !used_active.contains(&c.id))
            .map(location)
            .collect();
        let sections: Vec<Value> = [
            ("Credentials not used in any workflow", "These credentials are not used in any workflow.", unused),
            ("Credentials not used in any active workflow", "These credentials are not used in active workflows.", inactive),
        ]
        .into_iter()
        .filter(|(_, _, l)| !l.is_empty())
        .map(|(title, what, location)| {
            section(
                title,
                &format!("{what} Keeping unused credentials in your instance is an unneeded security risk."),
                "Consider deleting these credentials if you no longer need them.",
                location,
            )
        })
        .collect();
        insert(
            &mut reports,
            "Credentials Risk Report",
            "credentials",
            sections,
        );
    }
    if wants("database") && !sql.is_empty() {
        let s = section(
            "Expressions in \"Execute Query\" fields in SQL nodes",
            "This SQL node has an expression in the \"Query\" field of an \"Execute Query\" operation. Building a SQL query with an expression may lead to a SQL injection attack.",
            "Consider using the \"Query Parameters\" field to pass parameters to the query, or validating the input of the expression in the \"Query\" field.",
            sql,
        );
        insert(&mut reports, "Database Risk Report", "database", vec![s]);
    }
    if wants("filesystem") && !files.is_empty() {
        let s = section(
            "Nodes that interact with the filesystem",
            "This node reads from and writes to any accessible file in the host filesystem. Sensitive file content may be manipulated through a node operation.",
            "Consider protecting any sensitive files in the host filesystem, or refactoring the workflow so that it does not require host filesystem interaction.",
            files,
        );
        insert(
            &mut reports,
            "Filesystem Risk Report",
            "filesystem",
            vec![s],
        );
    }
    if wants("nodes") && !risky.is_empty() {
        let s = section(
            "Official risky nodes",
            "These nodes are part of n8n's official nodes and may be used to fetch and run any arbitrary code in the host system. This may lead to exploits such as remote code execution.",
            "Consider reviewing the parameters in these nodes, replacing them with app nodes where possible, and not loading unneeded node types with the NODES_EXCLUDE environment variable.",
            risky,
        );
        insert(&mut reports, "Nodes Risk Report", "nodes", vec![s]);
    }
    if wants("instance") && !webhooks.is_empty() {
        let s = section(
            "Unprotected webhooks in instance",
            "This webhook node has the \"Authentication\" field set to \"None\" and is not directly connected to a node to validate the payload. Every unprotected webhook allows your workflow to be called by any third party who knows the webhook URL.",
            "Consider setting the \"Authentication\" field to an option other than \"None\", or validating the payload with one of the following nodes.",
            webhooks,
        );
        insert(&mut reports, "Instance Risk Report", "instance", vec![s]);
    }
    if reports.is_empty() {
        json!([])
    } else {
        Value::Object(reports)
    }
}

fn section(title: &str, description: &str, recommendation: &str, location: Vec<Value>) -> Value {
    json!({ "title": title, "description": description, "recommendation": recommendation, "location": location })
}

fn insert(reports: &mut Map<String, Value>, name: &str, risk: &str, sections: Vec<Value>) {
    if !sections.is_empty() {
        reports.insert(
            name.to_owned(),
            json!({ "risk": risk, "sections": sections }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_from_body() {
        assert_eq!(categories(&json!({})).unwrap().len(), 5);
        assert_eq!(
            categories(&json!({"additionalOptions": {"categories": ["nodes"]}})).unwrap(),
            ["nodes"]
        );
        assert!(categories(&json!({"additionalOptions": {"categories": ["nope"]}})).is_err());
    }

    #[test]
    fn empty_instance_has_no_findings() {
        let store = Store::new(1, &[], 10);
        assert_eq!(report(&store, &all()), json!([]));
    }
}
