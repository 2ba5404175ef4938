//! The corpus (../shared/corpus, 2,061 real workflows; n8n 1.123.0 refuses 8 of them)
//! and the one way the tests and benchmarks put it into a real n8n: through the public
//! API, one workflow at a time.
//!
//! Test binaries run one after the other against the same instance, so a test that
//! needs the corpus calls [`ensure_corpus`]: it imports only the files the instance
//! does not hold yet (matched by fingerprint), and the files n8n refuses are sent again
//! each time, so each caller still sees their errors.
#![allow(dead_code)]

use futures_util::StreamExt;
use n8nops::domain::normalize::fingerprint;
use n8nops::n8n::{N8nClient, writable_body};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Files in the corpus.
pub const FILES: usize = 2061;
/// Files n8n 1.123.0 accepts.
pub const IMPORTABLE: usize = 2053;

/// The corpus's workflow folder, or None (after saying so) when ../shared is absent.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED (corpus): {} is absent", dir.display());
        None
    }
}

/// Every `.json` file under `dir`, sorted.
pub fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display()));
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// One corpus file and the workflow it is in the instance.
pub struct Imported {
    pub path: PathBuf,
    /// The file's JSON.
    pub value: Value,
    /// The n8n id of the workflow holding it, or n8n's error (its message) when n8n
    /// refused the file.
    pub outcome: Result<String, String>,
    /// Created by this call (false: the instance held it already).
    pub created: bool,
}

/// Creates a workflow from each file, one at a time: n8n 1.123.0 on SQLite fails
/// concurrent creates ("no such savepoint", "cannot start a transaction within a
/// transaction").
pub async fn import_files(client: &N8nClient, files: Vec<PathBuf>) -> Vec<Imported> {
    futures_util::stream::iter(files)
        .map(|path| {
            let client = client.clone();
            async move {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                let value: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
                let created = client.create_workflow(&writable_body(&value)).await;
                let outcome = created.map(|w| w.id).map_err(|e| e.to_string());
                Imported {
                    path,
                    value,
                    created: outcome.is_ok(),
                    outcome,
                }
            }
        })
        .buffered(1)
        .collect()
        .await
}

/// Makes sure the instance holds every file of the corpus: each file is matched to a
/// live workflow with its fingerprint (each live workflow to one file at most), and
/// only the files left are imported. Returns every file, sorted by path.
pub async fn ensure_corpus(client: &N8nClient, files: Vec<PathBuf>) -> Vec<Imported> {
    let live = client
        .all_workflows(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("listing the workflows of {}: {e}", client.base_url()));
    let mut by_fingerprint: HashMap<String, Vec<String>> = HashMap::new();
    for w in live {
        let value = w
            .value()
            .unwrap_or_else(|e| panic!("workflow {} from n8n: {e}", w.id));
        by_fingerprint
            .entry(fingerprint(&value))
            .or_default()
            .push(w.id);
    }
    let mut held = Vec::new();
    let mut missing = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        match by_fingerprint
            .get_mut(&fingerprint(&value))
            .and_then(Vec::pop)
        {
            Some(id) => held.push(Imported {
                path,
                value,
                outcome: Ok(id),
                created: false,
            }),
            None => missing.push(path),
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "importing {} corpus files into {} ({} held already)...",
            missing.len(),
            client.base_url(),
            held.len()
        );
    }
    let mut all = held;
    all.extend(import_files(client, missing).await);
    all.sort_by(|a, b| a.path.cmp(&b.path));
    all
}
