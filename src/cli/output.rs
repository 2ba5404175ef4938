//! Output: aligned tables for people, JSON for machines, a progress line on a TTY.

use serde::Serialize;
use std::io::{IsTerminal, Write};

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}

/// Prints rows under headers, columns aligned; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", columns(headers, rows, ""));
}

/// Rows of aligned text under headers (none when `headers` is empty), as
/// [`table`] prints them; the last column is not padded.
pub fn columns(headers: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let n = rows
        .iter()
        .map(Vec::len)
        .chain([headers.len()])
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; n];
    let cells = headers.iter().copied().enumerate().chain(
        rows.iter()
            .flat_map(|r| r.iter().map(String::as_str).enumerate()),
    );
    for (i, cell) in cells {
        widths[i] = widths[i].max(cell.chars().count());
    }
    let line = |cells: &[&str]| {
        let mut out = String::from(indent);
        let last = cells.len().saturating_sub(1);
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = *w));
            }
        }
        format!("{}\n", out.trim_end())
    };
    let mut out = if headers.is_empty() {
        String::new()
    } else {
        line(headers)
    };
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells));
    }
    out
}

/// A one-line progress display on stderr, shown only when stderr is a terminal.
pub struct Progress {
    enabled: bool,
    shown: bool,
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    pub fn update(&mut self, done: u64, total: u64, phase: &str) {
        if !self.enabled {
            return;
        }
        let bar = if total > 0 {
            let width = 20usize;
            let filled = ((done as f64 / total as f64) * width as f64).round() as usize;
            format!(
                "[{}{}] {done}/{total} ",
                "#".repeat(filled.min(width)),
                "-".repeat(width - filled.min(width))
            )
        } else {
            String::new()
        };
        let mut text = format!("{bar}{phase}");
        text.truncate(100);
        eprint!("\r\x1b[2K{text}");
        self.shown = true;
    }

    /// Prints a line above the progress display.
    pub fn line(&mut self, text: &str) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
        eprintln!("{text}");
    }

    pub fn finish(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }
}

/// `2026-11-22 16:38` in UTC, or `-`.
pub fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}
