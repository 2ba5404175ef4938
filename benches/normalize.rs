//! CPU cost of what a sync does to each new workflow, over the corpus: parse the raw
//! body, normalize, write the canonical text, hash both.
//!
//!     cargo bench --bench normalize

use n8nops::domain::normalize::{canonical_json, fingerprint_canonical, normalize};
use std::time::Instant;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    let mut texts = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            eprintln!("SKIPPED: {} is absent", dir.display());
            return;
        };
        for e in entries.flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if let Ok(t) = std::fs::read_to_string(e.path()) {
                texts.push(t);
            }
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let step = |name: &str, f: &dyn Fn(&str) -> usize| {
        let start = Instant::now();
        let mut sink = 0;
        for _ in 0..5 {
            for t in &texts {
                sink += f(t);
            }
        }
        let per_run = start.elapsed().as_secs_f64() / 5.0;
        println!(
            "{name:<44} {:>7.1} ms per corpus ({:.0} MB/s) [{sink}]",
            per_run * 1e3,
            bytes as f64 / per_run / 1e6
        );
    };
    println!("{} workflows, {:.1} MB", texts.len(), bytes as f64 / 1e6);
    step("hash raw (sha-256)", &|t| fingerprint_canonical(t).len());
    step("parse to a tree", &|t| {
        serde_json::from_str::<serde_json::Value>(t).map_or(0, |v| v.is_object() as usize)
    });
    step("parse + normalize", &|t| {
        serde_json::from_str::<serde_json::Value>(t)
            .map_or(0, |v| normalize(&v).is_object() as usize)
    });
    step("parse + normalize + canonical text", &|t| {
        serde_json::from_str::<serde_json::Value>(t)
            .map_or(0, |v| canonical_json(&normalize(&v)).len())
    });
    step("parse + normalize + canonical + hash (all)", &|t| {
        serde_json::from_str::<serde_json::Value>(t).map_or(0, |v| {
            fingerprint_canonical(&canonical_json(&normalize(&v))).len()
        })
    });
}
