use super::test_support::*;
use super::{Change, GitStore};
use std::time::Instant;
#[test]
fn tmp_timing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let body = "x".repeat(3000);
    let writes: Vec<(String, Vec<u8>)> = (0..10_000).map(|i| (format!("workflows/wf-{i:05}.json"), format!("{{\"i\":{i},\"b\":\"{body}\"}}\n").into_bytes())).collect();
    let t = Instant::now();
    store.commit(&Change { writes: writes.clone(), message: "m".into(), ..Change::default() }).unwrap();
    eprintln!("TIMING 10000 new files: {:?}", t.elapsed());
    let t = Instant::now();
    store.commit(&Change { writes: writes.clone(), message: "m".into(), ..Change::default() }).unwrap();
    eprintln!("TIMING 10000 unchanged files given: {:?}", t.elapsed());
    let t = Instant::now();
    store.commit(&change(&[("workflows/wf-00042.json", "changed")], &[], "m")).unwrap().unwrap();
    eprintln!("TIMING 1 changed among 10000: {:?}", t.elapsed());
    let w2: Vec<(String, Vec<u8>)> = (0..2000).map(|i| (format!("workflows/wf-{i:05}.json"), format!("{{\"v\":2,\"i\":{i},\"b\":\"{body}\"}}\n").into_bytes())).collect();
    let t = Instant::now();
    store.commit(&Change { writes: w2, message: "m".into(), ..Change::default() }).unwrap().unwrap();
    eprintln!("TIMING 2000 changed among 10000: {:?}", t.elapsed());
    let t = Instant::now();
    let e = store.entries(None, "workflows").unwrap();
    eprintln!("TIMING entries 10000: {:?}", t.elapsed());
    let t = Instant::now();
    for (_, id) in e.iter().take(2000) { store.blob(id).unwrap(); }
    eprintln!("TIMING 2000 blob reads: {:?}", t.elapsed());
    let _ = GitStore::blob_id(b"");
}
