//! The real binary in a pseudo-terminal: `n8nops demo` opens the TUI on the simulated
//! fleet; the test navigates to the matrix, filters it, opens a workflow and quits,
//! reading the screen through a vt100 parser at each step, then checks the terminal
//! was given back (main screen, cursor shown, canonical mode and echo back on).
//!
//! Run: `cargo test --test tui_pty -- --nocapture` (prints the timings it saw).

#![cfg(unix)]

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROWS: u16 = 24;
const COLS: u16 = 80;
/// Generous: the machine running the tests may be slow and busy.
const PATIENCE: Duration = Duration::from_secs(120);

/// A program in a pseudo-terminal, its output parsed as a terminal would.
struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _tmp: tempfile::TempDir,
}

impl Session {
    /// Runs `n8nops demo`, then `stty -a`, so the terminal's modes after n8nops exits
    /// are on screen.
    fn start(workflows: usize) -> Session {
        let tmp = tempfile::tempdir().expect("temp dir");
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new("sh");
        cmd.args([
            "-c",
            r#""$0" demo --workflows "$1"; echo "n8nops exited $?"; stty -a"#,
            env!("CARGO_BIN_EXE_n8nops"),
            &workflows.to_string(),
        ]);
        cmd.env("TERM", "xterm-256color");
        cmd.env("TMPDIR", tmp.path());
        cmd.env("HOME", tmp.path());
        cmd.env("XDG_CONFIG_HOME", tmp.path().join("config"));
        cmd.env("XDG_DATA_HOME", tmp.path().join("data"));
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("RUST_LOG");
        let child = pty.slave.spawn_command(cmd).expect("spawn n8nops");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            nonzero(ROWS),
            nonzero(COLS),
            0,
        )));
        let sink = parser.clone();
        std::thread::spawn(move || {
            // Keeps the master open for as long as output comes.
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Session {
            parser,
            writer,
            child,
            _tmp: tmp,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn send(&mut self, bytes: &str) {
        self.writer
            .write_all(bytes.as_bytes())
            .expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// Polls the screen until `ready` holds; fails showing the last screen.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> (String, Duration) {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return (screen, started.elapsed());
            }
            if started.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// The matrix's status line names the workflow under the cursor: "NAME in ENV: ...".
fn workflow_under_cursor(screen: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let line = line.trim_matches(|c: char| c == '│' || c.is_whitespace());
        let (name, _) = line.split_once(" in development: ")?;
        Some(name.trim().to_owned())
    })
}

#[test]
fn demo_opens_navigates_filters_opens_a_workflow_and_gives_the_terminal_back() {
    let started = Instant::now();
    let mut s = Session::start(12);

    let (_, first) = s.wait_for("the first frame", |sc| {
        sc.contains("n8nops") && sc.contains("1 Environments") && sc.contains("? help")
    });
    println!(
        "first frame after {:?} (demo setup included)",
        started.elapsed()
    );
    assert!(s.parser.lock().unwrap().screen().alternate_screen());
    let _ = first;
    s.wait_for("every environment in the header", |sc| {
        ["development", "staging", "production"]
            .iter()
            .all(|env| sc.lines().next().is_some_and(|l| l.contains(env)))
    });

    // `:matrix`, with the synced workflows in it.
    s.send(":");
    let (_, latency) = s.wait_for("the command line", |sc| {
        sc.contains("enter run") && sc.contains("commands")
    });
    println!("key press to screen: {latency:?}");
    s.send("matrix\r");
    let (matrix, _) = s.wait_for("the matrix with workflows", |sc| {
        sc.contains(" Matrix ") && workflow_under_cursor(sc).is_some()
    });
    let name = workflow_under_cursor(&matrix).expect("a workflow under the cursor");
    println!("workflow under the cursor: {name}");

    // `/name`: the matrix narrows to it.
    s.send("/");
    s.wait_for("the filter line", |sc| sc.contains("enter keep"));
    s.send(&name);
    s.send("\r");
    let (filtered, _) = s.wait_for("the filtered matrix", |sc| {
        sc.contains(&format!("/{name}")) && sc.contains(" of ") && !sc.contains("enter keep")
    });
    assert!(filtered.contains(&name), "{filtered}");

    // `enter`: the workflow opens in the catalog.
    s.send("\r");
    let (detail, _) = s.wait_for("the workflow opened", |sc| {
        sc.contains("Workflow detail") && sc.contains(&name)
    });
    assert!(detail.contains(&name), "{detail}");

    // `q`: gone, and the terminal as it was.
    s.send("q");
    let (after, _) = s.wait_for("n8nops to exit and stty to report", |sc| {
        sc.contains("n8nops exited") && sc.contains("speed")
    });
    assert!(after.contains("n8nops exited 0"), "{after}");
    let screen = s.parser.lock().unwrap();
    let screen = screen.screen();
    assert!(!screen.alternate_screen(), "left the alternate screen");
    assert!(!screen.hide_cursor(), "the cursor is visible again");
    let modes: Vec<&str> = after.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.contains(&mode) && !modes.contains(&format!("-{mode}").as_str()),
            "{mode} is back on (raw mode is off):\n{after}"
        );
    }
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal size above zero")
}
