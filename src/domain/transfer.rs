//! Workflows moving in and out as files: what an uploaded JSON document must look like
//! before it is sent to n8n, and how downloaded workflows are named in an archive.

use serde_json::Value;
use std::collections::HashSet;

/// The workflows in one JSON document, each labelled for messages: a workflow object is
/// labelled `file`; an array of them (as `n8n export:workflow --all` writes) gives
/// `file#1`, `file#2`, ... Each is checked with [`check_workflow`].
pub fn workflows_in(file: &str, text: &[u8]) -> Vec<(String, Result<Value, String>)> {
    let value: Value = match serde_json::from_slice(text) {
        Ok(v) => v,
        Err(e) => return vec![(file.to_owned(), Err(format!("not valid JSON: {e}")))],
    };
    match value {
        Value::Array(items) if items.is_empty() => {
            vec![(
                file.to_owned(),
                Err("an empty list: no workflow in it".into()),
            )]
        }
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (format!("{file}#{}", i + 1), checked(item)))
            .collect(),
        other => vec![(file.to_owned(), checked(other))],
    }
}

fn checked(workflow: Value) -> Result<Value, String> {
    check_workflow(&workflow).map(|()| workflow)
}

/// The shape n8n needs to create a workflow: an object with a non-empty `name`, a
/// `nodes` array of objects each with a string `name` and `type`, and a `connections`
/// object. Anything subtler is left for n8n to refuse, in its own words.
pub fn check_workflow(workflow: &Value) -> Result<(), String> {
    let Some(fields) = workflow.as_object() else {
        return Err(format!(
            "a workflow is a JSON object, not {}",
            kind(workflow)
        ));
    };
    match fields.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => {}
        Some(Value::String(_)) => return Err("`name` is empty".into()),
        Some(other) => return Err(format!("`name` is {}, not a string", kind(other))),
        None => return Err("no `name`".into()),
    }
    let nodes = match fields.get("nodes") {
        Some(Value::Array(nodes)) => nodes,
        Some(other) => return Err(format!("`nodes` is {}, not an array", kind(other))),
        None => return Err("no `nodes` array".into()),
    };
    for (i, node) in nodes.iter().enumerate() {
        let field = |key: &str| node.get(key).and_then(Value::as_str);
        if !node.is_object() {
            return Err(format!("node {} is {}, not an object", i + 1, kind(node)));
        }
        if field("name").is_none_or(str::is_empty) {
            return Err(format!("node {} has no `name`", i + 1));
        }
        if field("type").is_none_or(str::is_empty) {
            let name = field("name").unwrap_or_default();
            return Err(format!("node {} ('{name}') has no `type`", i + 1));
        }
    }
    match fields.get("connections") {
        Some(Value::Object(_)) => Ok(()),
        Some(other) => Err(format!("`connections` is {}, not an object", kind(other))),
        None => Err("no `connections` object".into()),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Longest file name stem kept, in characters.
const MAX_STEM: usize = 100;

/// A workflow name as a file name stem safe on every common file system: path
/// separators, characters Windows refuses and control characters become `_`, leading
/// and trailing dots and spaces go, and it is cut to 100 characters. Empty becomes
/// `workflow`.
pub fn safe_stem(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .take(MAX_STEM)
        .collect();
    let trimmed = replaced.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        "workflow".into()
    } else {
        trimmed.to_owned()
    }
}

/// Paths in an archive, `<env>/<name>.json`, one per (env, name, id) in order, unique
/// even on case-insensitive file systems: a name taken already gets its workflow id
/// appended (`Name (id).json`), and a counter if even that is taken.
pub fn archive_paths<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut paths = Vec::new();
    for (env, name, id) in items {
        let dir = safe_stem(env);
        let stem = safe_stem(name);
        let mut candidates = [stem.clone(), format!("{stem} ({})", safe_stem(id))]
            .into_iter()
            .chain((2..).map(|n| format!("{stem} ({}) {n}", safe_stem(id))))
            .map(|stem| format!("{dir}/{stem}.json"));
        let path = candidates
            .find(|p| !taken.contains(&p.to_lowercase()))
            .unwrap_or_default();
        taken.insert(path.to_lowercase());
        paths.push(path);
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"name": "Flow", "nodes": [{"name": "Start", "type": "n8n-nodes-base.manualTrigger"}],
               "connections": {}})
    }

    #[test]
    fn accepts_a_workflow_and_refuses_wrong_shapes_with_the_reason() {
        assert_eq!(check_workflow(&good()), Ok(()));
        let cases = [
            (json!([1]), "a workflow is a JSON object, not an array"),
            (json!({"nodes": [], "connections": {}}), "no `name`"),
            (
                json!({"name": " ", "nodes": [], "connections": {}}),
                "`name` is empty",
            ),
            (
                json!({"name": 3, "nodes": [], "connections": {}}),
                "`name` is a number, not a string",
            ),
            (json!({"name": "x", "connections": {}}), "no `nodes` array"),
            (
                json!({"name": "x", "nodes": {}, "connections": {}}),
                "`nodes` is an object, not an array",
            ),
            (
                json!({"name": "x", "nodes": ["a"], "connections": {}}),
                "node 1 is a string, not an object",
            ),
            (
                json!({"name": "x", "nodes": [{"type": "t"}], "connections": {}}),
                "node 1 has no `name`",
            ),
            (
                json!({"name": "x", "nodes": [{"name": "A"}], "connections": {}}),
                "node 1 ('A') has no `type`",
            ),
            (json!({"name": "x", "nodes": []}), "no `connections` object"),
            (
                json!({"name": "x", "nodes": [], "connections": []}),
                "`connections` is an array, not an object",
            ),
        ];
        for (workflow, reason) in cases {
            assert_eq!(
                check_workflow(&workflow),
                Err(reason.to_owned()),
                "{workflow}"
            );
        }
    }

    #[test]
    fn a_document_holds_one_workflow_or_a_list() {
        let one = workflows_in("a.json", good().to_string().as_bytes());
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, "a.json");
        assert!(one[0].1.is_ok());

        let list = json!([good(), {"name": "bad"}]).to_string();
        let two = workflows_in("all.json", list.as_bytes());
        assert_eq!(two[0].0, "all.json#1");
        assert!(two[0].1.is_ok());
        assert_eq!(
            two[1],
            ("all.json#2".into(), Err("no `nodes` array".into()))
        );

        let broken = workflows_in("b.json", b"{\"name\": ");
        assert!(
            broken[0]
                .1
                .as_ref()
                .unwrap_err()
                .starts_with("not valid JSON")
        );
        assert_eq!(
            workflows_in("e.json", b"[]")[0].1,
            Err("an empty list: no workflow in it".into())
        );
    }

    #[test]
    fn names_are_safe_and_unique() {
        assert_eq!(safe_stem("a/b\\c: d?"), "a_b_c_ d_");
        assert_eq!(safe_stem("  ..hidden.. "), "hidden");
        assert_eq!(safe_stem("..."), "workflow");
        assert_eq!(safe_stem("tab\there"), "tab_here");
        assert_eq!(safe_stem(&"é".repeat(300)).chars().count(), MAX_STEM);
        let paths = archive_paths([
            ("prod", "Sync", "1"),
            ("prod", "sync", "2"),
            ("prod", "Sync", "2"),
            ("dev", "Sync", "1"),
            ("prod", "../x", "3"),
        ]);
        assert_eq!(
            paths,
            [
                "prod/Sync.json",
                "prod/sync (2).json",
                "prod/Sync (2) 2.json",
                "dev/Sync.json",
                "prod/_x.json",
            ]
        );
    }
}
