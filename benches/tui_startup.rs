//! The TUI as a person meets it, in a pseudo-terminal at 200x60, over a store holding
//! 10,000 workflows across 5 environments (5 simulators of 2,000 generated workflows
//! each by default, synced by `n8nops sync`): time to the first frame and to the first frame with
//! the environments loaded, key-press-to-screen latency (`:` opening the command line,
//! `j` moving in the matrix; keys 60 ms apart), the time the matrix takes to load, and
//! the TUI's peak resident memory.
//!
//!     cargo bench --bench tui_startup
//!
//! N8NOPS_BENCH_PER_ENV sets another number of workflows per environment.

mod common;
#[path = "../tests/support/pty.rs"]
mod pty;

use portable_pty::CommandBuilder;
use pty::Session;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Workflows per environment unless N8NOPS_BENCH_PER_ENV says otherwise.
const PER_ENV: usize = 2_000;
const ENVS: [(&str, &str); 5] = [
    ("dev", "development"),
    ("qa", "development"),
    ("stage", "staging"),
    ("prod-eu", "production"),
    ("prod-us", "production"),
];
const KEY: &str = "n8nops-sim-key";
const BIN: &str = env!("CARGO_BIN_EXE_n8nops");
const SIZE: (u16, u16) = (200, 60);
const PRESSES: usize = 30;
/// Time between key presses, about a fast typist's: frames are capped at 60 a second,
/// so keys closer together than 16 ms wait for the next frame by design.
const TYPING: Duration = Duration::from_millis(60);
/// Generous: the machine may be slow and busy.
const PATIENCE: Duration = Duration::from_secs(120);
/// Fine enough to time key-to-screen latency to half a millisecond.
const POLL: Duration = Duration::from_micros(500);

fn main() {
    let per_env = per_env();
    println!("workflows per environment: {per_env} (N8NOPS_BENCH_PER_ENV; default {PER_ENV})");
    let data = tempfile::tempdir().expect("tempdir");
    let mut sims: Vec<Child> = Vec::new();
    for (i, (name, class)) in ENVS.iter().enumerate() {
        let port = common::free_port();
        sims.push(
            Command::new(BIN)
                .args(["sim", "serve", "--port", &port.to_string()])
                .args(["--workflows", &per_env.to_string()])
                .args(["--seed", &(i + 1).to_string()])
                .args(["--executions-per-minute", "0"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start n8nops sim serve"),
        );
        let url = format!("http://127.0.0.1:{port}");
        common::wait_ready(&url, KEY);
        let added = n8nops(data.path())
            .args(["env", "add", name, "--url", &url, "--class", class])
            .args(["--api-key-env", "SIM_KEY"])
            .status()
            .expect("env add");
        assert!(added.success(), "env add {name}");
    }
    let synced = n8nops(data.path()).arg("sync").status().expect("sync");
    assert!(synced.success(), "sync");
    println!(
        "store: {} workflows across {} environments; terminal {}x{}",
        per_env * ENVS.len(),
        ENVS.len(),
        SIZE.0,
        SIZE.1
    );

    let runs: Vec<Run> = (0..3).map(|_| run_tui(data.path())).collect();
    let first = common::median(runs.iter().map(|r| r.first_frame).collect());
    let with_envs = common::median(runs.iter().map(|r| r.envs_frame).collect());
    let matrix = common::median(runs.iter().map(|r| r.matrix_loaded).collect());
    let command: Vec<Duration> = runs.iter().flat_map(|r| r.command.clone()).collect();
    let moves: Vec<Duration> = runs.iter().flat_map(|r| r.moves.clone()).collect();
    let peak = runs.iter().map(|r| r.peak_rss_mib).fold(0.0, f64::max);
    println!("medians of {} runs, each a fresh process:", runs.len());
    println!("  first frame after start:            {}", ms(first));
    println!("  first frame with the environments:  {}", ms(with_envs));
    println!(
        "  {:<36}{}",
        format!("matrix loaded ({} workflows):", per_env * ENVS.len()),
        ms(matrix)
    );
    println!(
        "  key to screen, `:` command line:    median {}, p95 {}",
        ms(percentile(&command, 50)),
        ms(percentile(&command, 95))
    );
    println!(
        "  key to screen, `j` in the matrix:   median {}, p95 {}",
        ms(percentile(&moves, 50)),
        ms(percentile(&moves, 95))
    );
    println!("  peak RSS of the TUI:                {peak:.0} MiB");
    for mut sim in sims {
        let _ = sim.kill();
        let _ = sim.wait();
    }
}

struct Run {
    first_frame: Duration,
    envs_frame: Duration,
    matrix_loaded: Duration,
    command: Vec<Duration>,
    moves: Vec<Duration>,
    peak_rss_mib: f64,
}

fn run_tui(data: &std::path::Path) -> Run {
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(data);
    cmd.arg("--config");
    cmd.arg(data.join("none.toml"));
    cmd.env_remove("NO_COLOR");
    let mut s = Session::spawn(cmd, SIZE.1, SIZE.0).polling_every(POLL);
    let start = s.spawned_at();
    let pid = s.pid().expect("pid");

    s.wait_for("the first frame", PATIENCE, |sc| {
        sc.contains("1 Environments")
    });
    let first_frame = start.elapsed();
    s.wait_for("the environments", PATIENCE, |sc| {
        let header = sc.lines().next().unwrap_or("");
        ENVS.iter().all(|(name, _)| header.contains(name))
    });
    let envs_frame = start.elapsed();

    let mut command = Vec::new();
    for _ in 0..PRESSES {
        std::thread::sleep(TYPING);
        let t = Instant::now();
        s.send(":");
        s.wait_for("the command line", PATIENCE, |sc| sc.contains("enter run"));
        command.push(t.elapsed());
        std::thread::sleep(TYPING);
        s.send("\x1b");
        s.wait_for("the command line to close", PATIENCE, |sc| {
            !sc.contains("enter run")
        });
    }

    let t = Instant::now();
    s.send("3");
    let (mut last, _) = s.wait_for("the matrix", PATIENCE, |sc| status_line(sc).is_some());
    let matrix_loaded = t.elapsed();
    let mut moves = Vec::new();
    for _ in 0..PRESSES {
        let before = status_line(&last);
        std::thread::sleep(TYPING);
        let t = Instant::now();
        s.send("j");
        (last, _) = s.wait_for("the cursor to move", PATIENCE, |sc| {
            status_line(sc).is_some() && status_line(sc) != before
        });
        moves.push(t.elapsed());
    }

    let peak_rss_mib = common::peak_rss_mib_of(pid).unwrap_or(0.0);
    s.send("q");
    let _ = s.wait_exit(PATIENCE);
    Run {
        first_frame,
        envs_frame,
        matrix_loaded,
        command,
        moves,
        peak_rss_mib,
    }
}

/// The matrix's status line ("NAME in ENV: ...") for the row under the cursor.
fn status_line(screen: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.contains(" in dev: "))
        .map(str::to_owned)
}

fn n8nops(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(data.join("none.toml"))
        .env("SIM_KEY", KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn percentile(v: &[Duration], p: usize) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[(v.len() - 1) * p / 100]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Workflows per environment: N8NOPS_BENCH_PER_ENV, or PER_ENV. Exits naming the
/// variable when it is not a number above PRESSES (the cursor must have room to move).
fn per_env() -> usize {
    let Some(raw) = std::env::var_os("N8NOPS_BENCH_PER_ENV") else {
        return PER_ENV;
    };
    match raw.to_str().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if n > PRESSES => n,
        _ => {
            eprintln!("N8NOPS_BENCH_PER_ENV must be a whole number above {PRESSES}, got {raw:?}");
            std::process::exit(2);
        }
    }
}
