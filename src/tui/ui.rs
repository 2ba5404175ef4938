//! What every pane may read while drawing: theme, keymap, mode, the environments and
//! their health, and the time (passed in, so snapshots are stable).

use super::keymap::Keymap;
use super::theme::Theme;
use crate::service::{EnvView, Time};
use std::collections::HashMap;

/// An environment's last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not checked yet.
    Unknown,
    Up {
        latency_ms: u64,
        version: Option<String>,
    },
    Down {
        problem: String,
    },
}

pub struct Ui<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub readonly: bool,
    pub now: Time,
    pub envs: &'a [EnvView],
    pub health: &'a HashMap<String, Health>,
}

/// Cuts `text` to `max` characters, `…` marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` cut or padded to a table column of `width` cells, keeping one space
/// before the next column.
pub fn fit(text: &str, width: usize) -> String {
    let cut = shorten(text, width.saturating_sub(1));
    format!("{cut:<width$}")
}

/// `▰▰▰▱▱`: `done` of `total` in `width` cells.
pub fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        0
    } else {
        ((done.min(total) as f64 / total as f64) * width as f64).round() as usize
    };
    "▰".repeat(filled) + &"▱".repeat(width - filled)
}

/// How long ago `at` was, in its largest unit: "just now", "5m ago", "3h ago", "2d ago".
pub fn age(at: Time, now: Time) -> String {
    let seconds = (now - at).num_seconds().max(0);
    match seconds {
        0..60 => "just now".to_string(),
        60..3_600 => format!("{}m ago", seconds / 60),
        3_600..86_400 => format!("{}h ago", seconds / 3_600),
        _ => format!("{}d ago", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_largest_unit() {
        use chrono::Duration;
        let now = crate::tui::testing::now();
        let ago = |d: Duration| age(now - d, now);
        assert_eq!(ago(Duration::seconds(5)), "just now");
        assert_eq!(ago(Duration::minutes(5)), "5m ago");
        assert_eq!(ago(Duration::hours(3)), "3h ago");
        assert_eq!(ago(Duration::days(2)), "2d ago");
        assert_eq!(ago(-Duration::minutes(1)), "just now");
    }

    #[test]
    fn bars_cuts_and_columns() {
        assert_eq!(bar(0, 4, 4), "▱▱▱▱");
        assert_eq!(bar(2, 4, 4), "▰▰▱▱");
        assert_eq!(bar(9, 4, 4), "▰▰▰▰");
        assert_eq!(bar(1, 0, 3), "▱▱▱");
        assert_eq!(shorten("production", 5), "prod…");
        assert_eq!(shorten("dev", 5), "dev");
        assert_eq!(fit("staging", 6), "stag… ");
        assert_eq!(fit("dev", 6), "dev   ");
    }
}
