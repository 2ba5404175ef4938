//! The TUI as a person meets it, in a pseudo-terminal at 200x60, over a store holding
//! 10,000 workflows across 5 environments (5 simulators of 2,000 generated workflows
//! each, synced by `n8nops sync`): time to the first frame and to the first frame with
//! the environments loaded, key-press-to-screen latency (`:` opening the command line,
//! `j` moving in the matrix; keys 60 ms apart), the time the matrix takes to load, and
//! the TUI's peak resident memory.
//!
//!     cargo bench --bench tui_startup

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

fn main() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut sims: Vec<Child> = Vec::new();
    for (i, (name, class)) in ENVS.iter().enumerate() {
        let port = free_port();
        sims.push(
            Command::new(BIN)
                .args(["sim", "serve", "--port", &port.to_string()])
                .args(["--workflows", &PER_ENV.to_string()])
                .args(["--seed", &(i + 1).to_string()])
                .args(["--executions-per-minute", "0"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start n8nops sim serve"),
        );
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(&url);
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
        PER_ENV * ENVS.len(),
        ENVS.len(),
        SIZE.0,
        SIZE.1
    );

    let runs: Vec<Run> = (0..3).map(|_| run_tui(data.path())).collect();
    let first = median(runs.iter().map(|r| r.first_frame).collect());
    let with_envs = median(runs.iter().map(|r| r.envs_frame).collect());
    let matrix = median(runs.iter().map(|r| r.matrix_loaded).collect());
    let command: Vec<Duration> = runs.iter().flat_map(|r| r.command.clone()).collect();
    let moves: Vec<Duration> = runs.iter().flat_map(|r| r.moves.clone()).collect();
    let peak = runs.iter().map(|r| r.peak_rss_mib).fold(0.0, f64::max);
    println!("medians of {} runs, each a fresh process:", runs.len());
    println!("  first frame after start:            {}", ms(first));
    println!("  first frame with the environments:  {}", ms(with_envs));
    println!("  matrix loaded (10,000 rows):        {}", ms(matrix));
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
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: SIZE.1,
            cols: SIZE.0,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(data);
    cmd.arg("--config");
    cmd.arg(data.join("none.toml"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    let start = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("spawn the TUI");
    drop(pty.slave);
    let pid = child.process_id().expect("pid");
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let mut writer = pty.master.take_writer().expect("writer");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        nonzero(SIZE.1),
        nonzero(SIZE.0),
        0,
    )));
    let sink = parser.clone();
    std::thread::spawn(move || {
        let _master = pty.master;
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    let screen = || parser.lock().unwrap().screen().contents();
    let wait = |what: &str, ready: &dyn Fn(&str) -> bool| -> String {
        let since = Instant::now();
        loop {
            let s = screen();
            if ready(&s) {
                return s;
            }
            assert!(
                since.elapsed() < Duration::from_secs(120),
                "timed out waiting for {what}:\n{s}"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
    };
    let mut send = |keys: &str| {
        writer.write_all(keys.as_bytes()).expect("write");
        writer.flush().expect("flush");
    };

    wait("the first frame", &|s| s.contains("1 Environments"));
    let first_frame = start.elapsed();
    wait("the environments", &|s| {
        let header = s.lines().next().unwrap_or("");
        ENVS.iter().all(|(name, _)| header.contains(name))
    });
    let envs_frame = start.elapsed();

    let mut command = Vec::new();
    for _ in 0..PRESSES {
        std::thread::sleep(TYPING);
        let t = Instant::now();
        send(":");
        wait("the command line", &|s| s.contains("enter run"));
        command.push(t.elapsed());
        std::thread::sleep(TYPING);
        send("\x1b");
        wait("the command line to close", &|s| !s.contains("enter run"));
    }

    let t = Instant::now();
    send("3");
    let mut last = wait("the matrix", &|s| status_line(s).is_some());
    let matrix_loaded = t.elapsed();
    let mut moves = Vec::new();
    for _ in 0..PRESSES {
        let before = status_line(&last);
        std::thread::sleep(TYPING);
        let t = Instant::now();
        send("j");
        last = wait("the cursor to move", &|s| {
            status_line(s).is_some() && status_line(s) != before
        });
        moves.push(t.elapsed());
    }

    let peak_rss_mib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0);
    send("q");
    let _ = child.wait();
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn wait_ready(url: &str) {
    for _ in 0..1200 {
        let ok = Command::new("curl")
            .args(["-fsS", "-o", "/dev/null", "-H"])
            .arg(format!("X-N8N-API-KEY: {KEY}"))
            .arg(format!("{url}/api/v1/workflows?limit=1"))
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the simulator did not come up on {url}");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(v: &[Duration], p: usize) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[(v.len() - 1) * p / 100]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal size above zero")
}
