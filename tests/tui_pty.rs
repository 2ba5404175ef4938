//! The real binary in a pseudo-terminal: `n8nops demo` opens the TUI on the simulated
//! fleet; the test navigates to the matrix, filters it, opens a workflow and quits,
//! reading the screen through a vt100 parser at each step, then checks the terminal
//! was given back (main screen, cursor shown, canonical mode and echo back on).
//!
//! Run: `cargo test --test tui_pty -- --nocapture` (prints the timings it saw).

#![cfg(unix)]

#[path = "support/pty.rs"]
mod pty;

use portable_pty::CommandBuilder;
use pty::Session;
use std::time::{Duration, Instant};

const ROWS: u16 = 24;
const COLS: u16 = 80;
/// Generous: the machine running the tests may be slow and busy.
const PATIENCE: Duration = Duration::from_secs(120);
/// Spares the busy machine's CPU for n8nops while waiting.
const POLL: Duration = Duration::from_millis(20);

/// Runs `n8nops demo`, then `stty -a`, so the terminal's modes after n8nops exits are
/// on screen. The temp dir holds its home and data; keep it until the session ends.
fn start(workflows: usize) -> (tempfile::TempDir, Session) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut cmd = CommandBuilder::new("sh");
    cmd.args([
        "-c",
        r#""$0" demo --workflows "$1"; echo "n8nops exited $?"; stty -a"#,
        env!("CARGO_BIN_EXE_n8nops"),
        &workflows.to_string(),
    ]);
    cmd.env("TMPDIR", tmp.path());
    cmd.env("HOME", tmp.path());
    cmd.env("XDG_CONFIG_HOME", tmp.path().join("config"));
    cmd.env("XDG_DATA_HOME", tmp.path().join("data"));
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("RUST_LOG");
    let session = Session::spawn(cmd, ROWS, COLS).polling_every(POLL);
    (tmp, session)
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
    // `_tmp` is declared first so it outlives (is dropped after) the session.
    let (_tmp, mut s) = start(12);

    s.wait_for("the first frame", PATIENCE, |sc| {
        sc.contains("n8nops") && sc.contains("1 Environments") && sc.contains("? help")
    });
    println!(
        "first frame after {:?} (demo setup included)",
        started.elapsed()
    );
    assert!(s.with_screen(|screen| screen.alternate_screen()));
    // Every environment listed. (Not read from the header: at 80 columns the incidents
    // the demo raises meanwhile take the room its environment names had.)
    s.wait_for("every environment listed", PATIENCE, |sc| {
        ["development", "staging", "production"]
            .iter()
            .all(|env| sc.lines().skip(2).any(|l| l.contains(env)))
    });

    // `:matrix`, with the synced workflows in it.
    s.send(":");
    let (_, latency) = s.wait_for("the command line", PATIENCE, |sc| {
        sc.contains("enter run") && sc.contains("commands")
    });
    println!("key press to screen: {latency:?}");
    s.send("matrix\r");
    let (matrix, _) = s.wait_for("the matrix with workflows", PATIENCE, |sc| {
        sc.contains(" Matrix ") && workflow_under_cursor(sc).is_some()
    });
    let name = workflow_under_cursor(&matrix).expect("a workflow under the cursor");
    println!("workflow under the cursor: {name}");

    // `/name`: the matrix narrows to it.
    s.send("/");
    s.wait_for("the filter line", PATIENCE, |sc| sc.contains("enter keep"));
    s.send(&name);
    s.send("\r");
    let (filtered, _) = s.wait_for("the filtered matrix", PATIENCE, |sc| {
        sc.contains(&format!("/{name}")) && sc.contains(" of ") && !sc.contains("enter keep")
    });
    assert!(filtered.contains(&name), "{filtered}");

    // `enter`: the workflow opens in the catalog.
    s.send("\r");
    let (detail, _) = s.wait_for("the workflow opened", PATIENCE, |sc| {
        sc.contains("Workflow detail") && sc.contains(&name)
    });
    assert!(detail.contains(&name), "{detail}");

    // `q`: gone, and the terminal as it was.
    s.send("q");
    let (after, _) = s.wait_for("n8nops to exit and stty to report", PATIENCE, |sc| {
        sc.contains("n8nops exited") && sc.contains("speed")
    });
    assert!(after.contains("n8nops exited 0"), "{after}");
    let (alternate, hidden) =
        s.with_screen(|screen| (screen.alternate_screen(), screen.hide_cursor()));
    assert!(!alternate, "left the alternate screen");
    assert!(!hidden, "the cursor is visible again");
    let modes: Vec<&str> = after.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.contains(&mode) && !modes.contains(&format!("-{mode}").as_str()),
            "{mode} is back on (raw mode is off):\n{after}"
        );
    }
}

/// The demo stages production incidents after its sync (a snapshot, then changes made
/// by hand, then a drift check): a critical one is triaged end to end with keys only.
#[test]
fn an_incident_is_triaged_from_the_keyboard_acknowledged_and_reverted() {
    let (_tmp, mut s) = start(12);
    // (Failing simulated executions may raise incidents of their own meanwhile.)
    s.wait_for("a critical incident in the header", PATIENCE, |sc| {
        sc.lines()
            .next()
            .is_some_and(|l| l.contains("incidents") && l.contains("CRITICAL"))
    });

    // `:inc`: the triage list, worst first.
    s.send(":inc\r");
    let (list, _) = s.wait_for("the triage list", PATIENCE, |sc| {
        sc.contains("Incidents ") && sc.contains("SEVERITY") && sc.contains("CRITICAL")
    });
    let first = list
        .lines()
        .find(|l| l.contains("CRITICAL") || l.contains("HIGH") || l.contains("MEDIUM"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        first.contains("CRITICAL") && first.contains("production"),
        "production's critical incident first: {list}"
    );

    // `enter`: its detail; `a`: acknowledged.
    s.send("\r");
    s.wait_for("the incident's detail", PATIENCE, |sc| {
        sc.contains("Incident #") && sc.contains("Timeline")
    });
    s.send("a");
    s.wait_for("the incident acknowledged", PATIENCE, |sc| {
        sc.contains("ACKNOWLEDGED") && sc.contains("acknowledged incident #")
    });

    // `R`: a revert to canonical, confirmed by typing production's name.
    s.send("R");
    s.wait_for("the revert's confirmation", PATIENCE, |sc| {
        sc.contains("Type production to confirm")
    });
    s.send("production\r");
    let (resolved, _) = s.wait_for("the incident resolved by the revert", PATIENCE, |sc| {
        sc.contains("RESOLVED") && sc.contains("reverted to canonical")
    });
    assert!(resolved.contains("CRITICAL"), "{resolved}");

    // `esc`: the list no longer holds it, and the header has no critical one left.
    s.send("\x1b");
    s.wait_for("no critical incident left", PATIENCE, |sc| {
        sc.contains("SEVERITY")
            && !sc.contains("CRITICAL")
            && sc.lines().next().is_some_and(|l| !l.contains("CRITICAL"))
    });

    s.send("q");
    let (after, _) = s.wait_for("n8nops to exit", PATIENCE, |sc| {
        sc.contains("n8nops exited")
    });
    assert!(after.contains("n8nops exited 0"), "{after}");
}
