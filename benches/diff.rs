//! The semantic diff over the corpus, against difftastic on the same pairs of files,
//! and the render time of one diff frame.
//!
//!     cargo bench --bench diff        (or: scripts/bench.sh diff)
//!
//! Each corpus workflow is diffed against a copy with every edit of
//! `domain::diff::mutate` that applies to it (a rename, a parameter, a credential, a
//! rewired link, a moved node). difftastic (`difft`, looked for in
//! ~/.cache/n8nops/difft/bin, then on PATH; `N8NOPS_DIFFT` names another) diffs the
//! same pairs, written to a temp dir as pretty JSON.

use n8nops::domain::diff::mutate::{Mutation, mutate};
use n8nops::domain::diff::{Side, diff, diff_raw, text_diff};
use n8nops::service::{DiffDocument, DiffReport};
use n8nops::tui::keymap::Keymap;
use n8nops::tui::pane::Pane;
use n8nops::tui::panes::diff::DiffPane;
use n8nops::tui::theme::Theme;
use n8nops::tui::ui::Ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let Some(corpus) = load_corpus() else {
        return;
    };
    let pairs: Vec<(Value, Value)> = corpus
        .iter()
        .enumerate()
        .map(|(k, (_, w))| (w.clone(), mutated(w, k)))
        .collect();
    let bytes: usize = corpus.iter().map(|(t, _)| t.len()).sum();
    println!(
        "{} corpus workflows ({:.1} MB), each against a mutated copy\n",
        pairs.len(),
        bytes as f64 / 1e6
    );

    let biggest = (0..corpus.len()).max_by_key(|&k| corpus[k].0.len());
    let most_nodes = (0..corpus.len()).max_by_key(|&k| node_count(&corpus[k].1));
    for (what, k) in [("in bytes", biggest), ("in nodes", most_nodes)] {
        if let Some(k) = k {
            one_pair(what, &corpus[k].0, &pairs[k]);
        }
    }
    whole_corpus(&pairs);
    render_frames();
}

/// Every edit that applies, one after the other.
fn mutated(workflow: &Value, k: usize) -> Value {
    let mut w = workflow.clone();
    for m in Mutation::ALL {
        if let Some((next, _)) = mutate(&w, m, k) {
            w = next;
        }
    }
    w
}

fn load_corpus() -> Option<Vec<(String, Value)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return None;
    }
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                files.push((path, text));
            }
        }
    }
    files.sort();
    Some(
        files
            .into_iter()
            .filter_map(|(_, t)| serde_json::from_str(&t).ok().map(|v| (t, v)))
            .collect(),
    )
}

/// Median wall time of `runs` calls.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn node_count(w: &Value) -> usize {
    w["nodes"].as_array().map_or(0, Vec::len)
}

/// One corpus workflow (`file` is its file's text) against its mutated copy. Both
/// sides are given to both tools as pretty JSON written the same way (keys sorted), so
/// that only the edits differ.
fn one_pair(what: &str, file: &str, (a, b): &(Value, Value)) {
    println!(
        "The largest corpus workflow {what}: {:.0} KB, {} nodes",
        file.len() as f64 / 1e3,
        node_count(a)
    );
    let (sa, sb) = (Side::from_raw(a), Side::from_raw(b));
    let d = diff(&sa, &sb);
    println!(
        "  the diff: {} node changes, {} link changes, risk {:?}",
        d.nodes.len(),
        d.connections.len(),
        d.risk
    );
    let engine = median(301, || {
        std::hint::black_box(diff(&sa, &sb));
    });
    let raw = median(101, || {
        std::hint::black_box(diff_raw(a, b));
    });
    let a_text = serde_json::to_string_pretty(a).unwrap_or_default();
    let b_text = serde_json::to_string_pretty(b).unwrap_or_default();
    let from_text = median(51, || {
        let x: Value = serde_json::from_str(&a_text).unwrap_or_default();
        let y: Value = serde_json::from_str(&b_text).unwrap_or_default();
        std::hint::black_box(diff_raw(&x, &y));
    });
    let text = median(21, || {
        std::hint::black_box(text_diff(
            sa.normalized(),
            sb.normalized(),
            Duration::from_secs(5),
        ));
    });
    println!(
        "  structural diff, normalized sides in hand (median of 301): {}",
        ms(engine)
    );
    println!(
        "  normalize both + diff, from parsed JSON (median of 101):  {}",
        ms(raw)
    );
    println!(
        "  parse both + normalize + diff, from text (median of 51): {}",
        ms(from_text)
    );
    println!(
        "  text view (pretty JSON, line + word diff) (median of 21): {}",
        ms(text)
    );
    if let Some(difft) = difft() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (pa, pb) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&pa, &a_text).expect("write");
        std::fs::write(&pb, &b_text).expect("write");
        let t = median(5, || run_difft(&difft, &pa, &pb));
        println!(
            "  difftastic on the same two files, one process (median of 5): {} ({:.0}x ours from text)",
            ms(t),
            t.as_secs_f64() / from_text.as_secs_f64()
        );
    }
    println!();
}

fn whole_corpus(pairs: &[(Value, Value)]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).expect("mkdir");
    std::fs::create_dir_all(&dir_b).expect("mkdir");
    let mut files = Vec::new();
    for (k, (a, b)) in pairs.iter().enumerate() {
        let name = format!("{k:04}.json");
        let (pa, pb) = (dir_a.join(&name), dir_b.join(&name));
        std::fs::write(&pa, serde_json::to_string_pretty(a).unwrap_or_default()).expect("write");
        std::fs::write(&pb, serde_json::to_string_pretty(b).unwrap_or_default()).expect("write");
        files.push((pa, pb));
    }
    let sides: Vec<(Side, Side)> = pairs
        .iter()
        .map(|(a, b)| (Side::from_raw(a), Side::from_raw(b)))
        .collect();
    let engine = median(9, || {
        for (a, b) in &sides {
            std::hint::black_box(diff(a, b));
        }
    });
    let from_files = median(5, || {
        for (pa, pb) in &files {
            let read = |p: &PathBuf| -> Value {
                serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_default())
                    .unwrap_or_default()
            };
            std::hint::black_box(diff_raw(&read(pa), &read(pb)));
        }
    });
    let n = pairs.len() as f64;
    let diffs: Vec<_> = sides.iter().map(|(a, b)| diff(a, b)).collect();
    println!(
        "All {} corpus workflows against their mutated copies:",
        pairs.len()
    );
    println!(
        "  the diffs: {} node changes ({} renames), {} link changes, {} of risk HIGH",
        diffs.iter().map(|d| d.nodes.len()).sum::<usize>(),
        diffs
            .iter()
            .flat_map(|d| &d.nodes)
            .filter(|n| n.old_name.is_some())
            .count(),
        diffs.iter().map(|d| d.connections.len()).sum::<usize>(),
        diffs
            .iter()
            .filter(|d| d.risk == Some(n8nops::domain::diff::Risk::High))
            .count()
    );
    println!(
        "  structural diffs, normalized sides in hand (median of 9): {}",
        ms(engine)
    );
    println!(
        "  read + parse + normalize + diff, from the files difftastic gets (median of 5): {} ({:.3} ms a pair)",
        ms(from_files),
        from_files.as_secs_f64() * 1e3 / n
    );
    let Some(difft) = difft() else {
        println!(
            "  difftastic: ABSENT (cargo install difftastic --locked --root ~/.cache/n8nops/difft)\n"
        );
        return;
    };
    let version = Command::new(&difft)
        .arg("--version")
        .output()
        .map(|o| {
            let out = String::from_utf8_lossy(&o.stdout);
            out.lines().next().unwrap_or("").trim().to_owned()
        })
        .unwrap_or_default();
    // One process over both directories: difftastic's own fastest way over many files.
    let one = median(3, || run_difft(&difft, &dir_a, &dir_b));
    // One process per pair, on a sample (startup included, as a script would pay it).
    let step = (files.len() / 200).max(1);
    let sample: Vec<&(PathBuf, PathBuf)> = files.iter().step_by(step).collect();
    let start = Instant::now();
    for (pa, pb) in &sample {
        run_difft(&difft, pa, pb);
    }
    let per_pair = start.elapsed().as_secs_f64() / sample.len() as f64;
    let ours_per_pair = from_files.as_secs_f64() / n;
    println!("  {version}, display inline, no colour, output discarded:");
    println!(
        "    one process over the two directories (median of 3): {} ({:.3} ms a pair) -> ours {:.0}x faster",
        ms(one),
        one.as_secs_f64() * 1e3 / n,
        one.as_secs_f64() / from_files.as_secs_f64()
    );
    println!(
        "    one process per pair ({} pairs, every {step}th): {:.3} ms a pair -> ours {:.0}x faster",
        sample.len(),
        per_pair * 1e3,
        per_pair / ours_per_pair
    );
    println!();
}

fn difft() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("N8NOPS_DIFFT") {
        return Some(PathBuf::from(p));
    }
    let cached = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/n8nops/difft/bin/difft"))
        .filter(|p| p.is_file());
    cached.or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("difft"))
                .find(|p| p.is_file())
        })
    })
}

fn run_difft(difft: &Path, a: &Path, b: &Path) {
    let status = Command::new(difft)
        .args(["--color", "never", "--display", "inline"])
        .arg(a)
        .arg(b)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(e) = status {
        eprintln!("difft failed to run: {e}");
    }
}

/// A workflow of `nodes` Set nodes whose every parameter value differs on the other side.
fn big(nodes: usize, salt: &str) -> Value {
    let nodes: Vec<Value> = (0..nodes)
        .map(|i| {
            json!({"id": i.to_string(), "name": format!("Node {i:05}"), "type": "n8n-nodes-base.set",
                   "typeVersion": 3, "position": [i, 0],
                   "parameters": {"value": format!("{salt}{}", i % 5), "keep": "same"}})
        })
        .collect();
    json!({"name": "Big", "nodes": nodes, "connections": {}, "settings": {}})
}

fn render_frames() {
    let theme = Theme::default();
    let keymap = Keymap::default();
    let health = HashMap::new();
    let ui = Ui {
        theme: &theme,
        keymap: &keymap,
        readonly: false,
        now: chrono::Utc::now(),
        envs: &[],
        health: &health,
    };
    println!("One diff frame (ratatui TestBackend), median of 200 frames:");
    for nodes in [560, 5_600] {
        let doc = |label: &str, workflow| DiffDocument {
            label: label.into(),
            workflow,
        };
        let report =
            DiffReport::of_documents(&doc("a", big(nodes, "x")), &doc("b", big(nodes, "y")), true);
        let lines = report.workflows[0].text.as_ref().map_or(0, |t| t.new.len());
        let mut pane = DiffPane::with_report(report);
        for (width, height) in [(80u16, 24u16), (200, 50)] {
            let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
            let t = median(200, || {
                terminal
                    .draw(|frame| {
                        let area = frame.area();
                        pane.draw(frame, area, &ui);
                    })
                    .expect("draw");
            });
            println!("  {lines:>6}-line diff at {width}x{height}: {}", ms(t));
        }
    }
}
