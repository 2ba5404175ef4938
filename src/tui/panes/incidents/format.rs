//! How the incident panes write what they show: the SLA countdown and durations as
//! the domain writes them everywhere (`23h12m`, `BREACHED +2h00m`, `2d3h`), short ages,
//! states, an incident named in messages, and text wrapped to a width (notes are shown
//! whole, over as many lines as they take).

use crate::domain::incident::{IncidentState, short_duration, sla_countdown};
use crate::service::{IncidentView, Time};
use crate::tui::theme::Theme;
use ratatui::style::Style;

/// A span in its largest unit: `45s`, `12m`, `3h`, `2d` (an age in a narrow column).
fn largest_unit(ms: i64) -> String {
    let s = ms.max(0) / 1_000;
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Time since `at`: `now`, `5m`, `3h`, `2d`.
pub(super) fn since(at: Time, now: Time) -> String {
    let ms = (now - at).num_milliseconds();
    if ms < 60_000 {
        "now".to_owned()
    } else {
        largest_unit(ms)
    }
}

/// What is left of an incident's SLA and its style: `23h12m` (the warning colour in
/// its last hour), `BREACHED +2h00m` past it (the high-risk colour), `—` once resolved.
pub(super) fn sla(i: &IncidentView, now: Time, theme: &Theme) -> (String, Style) {
    if i.state == IncidentState::Resolved {
        return ("—".to_owned(), theme.muted);
    }
    let left = (i.sla_deadline - now).num_milliseconds();
    let style = if left < 0 {
        theme.risk_high
    } else if left < 3_600_000 {
        theme.warn
    } else {
        theme.base
    };
    (sla_countdown(left), style)
}

/// A duration of the metrics (milliseconds): `42s`, `12m`, `3h05m`, `2d4h`.
pub(super) fn duration(ms: i64) -> String {
    short_duration(ms)
}

/// The state as the narrow list writes it: `OPEN`, `ACKED`, `RESOLVED`.
pub(super) fn state_short(state: IncidentState) -> &'static str {
    match state {
        IncidentState::Open => "OPEN",
        IncidentState::Acknowledged => "ACKED",
        IncidentState::Resolved => "RESOLVED",
    }
}

pub(super) fn state_style(state: IncidentState, theme: &Theme) -> Style {
    match state {
        IncidentState::Open => theme.warn,
        IncidentState::Acknowledged => theme.info,
        IncidentState::Resolved => theme.ok,
    }
}

/// The workflow, or `(all workflows)` for an environment-wide incident.
pub(super) fn workflow(i: &IncidentView) -> String {
    match &i.workflow {
        Some(name) => name.clone(),
        None => "(all workflows)".to_owned(),
    }
}

/// `#4 'Order sync' in production`, for questions and messages.
pub(super) fn named(i: &IncidentView) -> String {
    match &i.workflow {
        Some(name) => format!("#{} '{name}' in {}", i.id, i.env),
        None => format!("#{} (all of {})", i.id, i.env),
    }
}

/// `2026-11-22 11:55`.
pub(super) fn clock(at: Time) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// `text` in lines of at most `width` characters: each of its own lines kept, words
/// moved whole to the next line, a word longer than the width cut.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        let mut used = 0;
        for word in line.split(' ') {
            let w = word.chars().count();
            if used > 0 && used + 1 + w > width {
                out.push(std::mem::take(&mut current));
                used = 0;
            }
            if w > width {
                // Too long for any line: cut into pieces, the last one continued.
                let chars: Vec<char> = word.chars().collect();
                let mut pieces = chars.chunks(width).map(|c| c.iter().collect::<String>());
                let mut last = pieces.next().unwrap_or_default();
                for piece in pieces {
                    out.push(std::mem::replace(&mut last, piece));
                }
                used = last.chars().count();
                current = last;
                continue;
            }
            if used > 0 {
                current.push(' ');
                used += 1;
            }
            current.push_str(word);
            used += w;
        }
        out.push(current);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sla_reads_as_the_domain_writes_it() {
        let theme = Theme::default();
        let now = crate::tui::testing::now();
        let mut i = super::super::tests::incident(
            12,
            crate::domain::incident::Severity::High,
            "production",
            Some("Order sync"),
            180,
            -125,
        );
        assert_eq!(
            sla(&i, now, &theme),
            ("BREACHED +2h05m".into(), theme.risk_high)
        );
        i.sla_deadline = now + chrono::Duration::minutes(45);
        assert_eq!(sla(&i, now, &theme), ("45m".into(), theme.warn));
        i.sla_deadline = now + chrono::Duration::minutes(23 * 60 + 12);
        assert_eq!(sla(&i, now, &theme), ("23h12m".into(), theme.base));
        i.state = IncidentState::Resolved;
        assert_eq!(sla(&i, now, &theme), ("—".into(), theme.muted));
        assert_eq!(duration(42_000), "42s");
        assert_eq!(duration(65 * 60_000), "1h05m");
        assert_eq!(largest_unit(2 * 3_600_000 + 5), "2h");
    }

    #[test]
    fn wrapping_keeps_lines_and_moves_words_whole() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("first\n\nthird line", 20), ["first", "", "third line"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), [""]);
        for line in wrap("a sentence with a verylongwordthatdoesnotfit in it", 10) {
            assert!(line.chars().count() <= 10, "{line}");
        }
    }
}
