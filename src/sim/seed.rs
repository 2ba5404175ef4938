//! Seeding a simulator from workflow exports (files or values).
//!
//! An export (what n8n's UI or CLI writes, or what `GET /workflows/{id}` returns)
//! carries fields the public API refuses on write. Seeding does what n8nops does
//! against a real n8n: cut the export down to its writable body
//! (`domain::writable::writable_body`), then validate that body exactly as n8n
//! would. What n8n would refuse is reported with its message, never imported
//! silently.
//!
//! Besides the body, an accepted workflow keeps two fields of its export that
//! seeding applies afterwards, as a person would: `active` (activated when the
//! workflow has a trigger) and `tags` (tag names, created as needed).

use super::error::SimError;
use super::validate;
use crate::domain::writable::writable_body;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The outcome of reading a folder of exports.
#[derive(Debug, Default)]
pub struct SeedReport {
    /// Accepted workflows: writable body plus `active`/`tags` when the export had them.
    pub workflows: Vec<Value>,
    /// Files (or array entries, as `file#index`) a real n8n would refuse, with its message.
    pub rejected: Vec<(PathBuf, String)>,
}

/// Reads every `*.json` file under `dir` (recursively, in path order). A file may
/// hold one workflow or an array of them (`n8n export:workflow --all`).
pub fn load_seed_dir(dir: &Path) -> Result<SeedReport, SimError> {
    let mut files = Vec::new();
    collect_json_files(dir, &mut files)?;
    files.sort();
    let mut report = SeedReport::default();
    for file in files {
        let value = match std::fs::read(&file) {
            Err(e) => {
                report.rejected.push((file, format!("cannot read: {e}")));
                continue;
            }
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    report.rejected.push((file, format!("not valid JSON: {e}")));
                    continue;
                }
            },
        };
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let label = PathBuf::from(format!("{}#{i}", file.display()));
                    accept(&mut report, label, item);
                }
            }
            other => accept(&mut report, file, &other),
        }
    }
    Ok(report)
}

fn accept(report: &mut SeedReport, file: PathBuf, export: &Value) {
    match check(export) {
        Ok(()) => report.workflows.push(cut_down(export)),
        Err(reason) => report.rejected.push((file, reason)),
    }
}

/// Why n8n would refuse this export once cut down, if it would.
pub fn check(export: &Value) -> Result<(), String> {
    if !export.is_object() {
        return Err("not a workflow: expected a JSON object".into());
    }
    validate::workflow_body(&writable_body(export))
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SimError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SimError::Read {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| SimError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            collect_json_files(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// What seeding applies after creating a workflow: whether to activate it and
/// which tags (by name) it carries.
pub fn extras(export: &Value) -> (bool, Vec<String>) {
    let active = export.get("active") == Some(&Value::Bool(true));
    let tags = export
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| match t {
                    Value::String(name) => Some(name.clone()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                })
                .filter(|n| !n.trim().is_empty())
                .collect()
        })
        .unwrap_or_default();
    (active, tags)
}

/// The writable body plus `active` and `tags` (names), the form seed workflows take.
pub fn cut_down(export: &Value) -> Value {
    let mut body = writable_body(export);
    let (active, tags) = extras(export);
    if let Some(o) = body.as_object_mut() {
        if active {
            o.insert("active".into(), Value::Bool(true));
        }
        if !tags.is_empty() {
            o.insert("tags".into(), tags.into_iter().map(Value::String).collect());
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exports_are_cut_down_to_what_n8n_accepts() {
        let export = json!({
            "id": "abc", "active": true, "tags": ["ops", {"id": "1", "name": "billing"}], "meta": {}, "pinData": {},
            "versionId": "v", "description": "d", "name": "W",
            "nodes": [{"name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {}, "credentials": {"httpHeaderAuth": "Token"}}],
            "connections": {},
            "settings": {"executionOrder": "v1", "errorWorkflow": null, "maxExecutions": 1000, "retryOnFail": true}
        });
        assert_eq!(check(&export), Ok(()));
        let cut = cut_down(&export);
        assert_eq!(cut["settings"], json!({"executionOrder": "v1"}));
        assert_eq!(cut["active"], true);
        assert_eq!(cut["tags"], json!(["ops", "billing"]));
        assert!(cut.get("pinData").is_none() && cut.get("id").is_none());
        assert_eq!(validate::workflow_body(&writable_body(&cut)), Ok(()));
    }

    #[test]
    fn refusals_carry_n8n_messages() {
        let export = json!({"name": "W", "connections": {},
            "nodes": [{"name": "A", "type": "t", "typeVersion": 1, "position": [0, 0], "parameters": {}, "extendsCredential": "x"}]});
        assert_eq!(
            check(&export).unwrap_err(),
            "request/body/nodes/0 must NOT have additional properties"
        );
        let export = json!({"name": "W", "nodes": [], "connections": {}, "settings": {"saveExecutionProgress": "yes"}});
        assert_eq!(
            check(&export).unwrap_err(),
            "request/body/settings/saveExecutionProgress must be boolean"
        );
        assert!(check(&json!([])).is_err());
    }

    #[test]
    fn reads_folders_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join("ok.json"),
            r#"{"name":"ok","nodes":[],"connections":{}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("bad.json"),
            r#"{"name":"bad","nodes":[{"meta":{}}],"connections":{}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        std::fs::write(
            dir.path().join("all.json"),
            r#"[{"name":"x","nodes":[],"connections":{}}, 3]"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let report = load_seed_dir(dir.path()).unwrap();
        let names: Vec<&str> = report
            .workflows
            .iter()
            .filter_map(|w| w["name"].as_str())
            .collect();
        assert_eq!(names, ["ok", "x"]);
        assert_eq!(report.rejected.len(), 3);
        assert!(
            report
                .rejected
                .iter()
                .any(|(f, r)| f.ends_with("bad.json") && r.contains("additional properties"))
        );
        assert!(
            report
                .rejected
                .iter()
                .any(|(f, r)| f.ends_with("broken.json") && r.starts_with("not valid JSON"))
        );
        assert!(
            report
                .rejected
                .iter()
                .any(|(f, _)| f.to_string_lossy().ends_with("all.json#1"))
        );
        assert!(load_seed_dir(&dir.path().join("missing")).is_err());
    }
}
