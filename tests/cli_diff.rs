//! `n8nops diff --files` through the built binary: exit codes 0 / 1 / 2 with
//! `--exit-code`, the structural result with `--json`, and no store touched.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

fn workflow(url: &str) -> Value {
    json!({
        "name": "Orders", "id": "x1", "active": false,
        "nodes": [
            {"id": "1", "name": "Hook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
             "position": [0, 0], "webhookId": "w-1", "parameters": {"path": "orders"}},
            {"id": "2", "name": "Fetch", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
             "position": [200, 0], "parameters": {"url": url}}
        ],
        "connections": {"Hook": {"main": [[{"node": "Fetch", "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1"}
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.display().to_string()
}

/// Runs `n8nops` with a home and data dir of its own, so no real store is touched.
fn n8nops(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_n8nops"))
        .args(args)
        .env("HOME", home)
        .env("N8NOPS_DATA_DIR", home.join("data"))
        .env("N8NOPS_CONFIG", home.join("config.toml"))
        .env("NO_COLOR", "1")
        .env_remove("N8NOPS_DATABASE_URL")
        .output()
        .expect("run n8nops")
}

#[test]
fn diff_files_exit_codes_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = write(home, "a.json", &workflow("https://example.com/a"));
    let mut moved = workflow("https://example.com/a");
    moved["nodes"][1]["position"] = json!([400, 80]);
    moved["id"] = json!("elsewhere");
    let same = write(home, "same.json", &moved);
    let b = write(home, "b.json", &workflow("={{ $json.url }}"));

    // Nothing but the layout and ids differs: 0.
    let out = n8nops(home, &["diff", "--files", &a, &same, "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("UNCHANGED"));

    // A changed URL: 1 with --exit-code, 0 without.
    let out = n8nops(home, &["diff", "--files", &a, &b, "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MODIFIED  Orders  risk HIGH"), "{text}");
    assert!(text.contains("parameters.url"), "{text}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = n8nops(home, &["diff", "--files", &a, &b]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // --json: the structural result.
    let out = n8nops(home, &["diff", "--files", &a, &b, "--json", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let entry = &report["workflows"][0];
    assert_eq!(entry["status"], "MODIFIED");
    assert_eq!(entry["diff"]["risk"], "high");
    let node = &entry["diff"]["nodes"][0];
    assert_eq!(node["name"], "Fetch");
    assert_eq!(node["changes"][0]["path"], "parameters.url");
    assert_eq!(node["changes"][0]["after"], "={{ $json.url }}");

    // Errors: 2, naming the file.
    let missing = home.join("missing.json").display().to_string();
    let out = n8nops(home, &["diff", "--files", &a, &missing, "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
    let not_json = home.join("not.json");
    std::fs::write(&not_json, "{ nope").unwrap();
    let out = n8nops(
        home,
        &[
            "diff",
            "--files",
            &a,
            &not_json.display().to_string(),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err: Value = serde_json::from_slice(&out.stderr).expect("a JSON error on stderr");
    assert!(err["error"].as_str().unwrap().contains("not.json"), "{err}");

    // No store, key or log was created for any of it.
    assert!(!home.join("data").exists());
}
