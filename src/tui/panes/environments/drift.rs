//! Drift in the environments pane: each environment's latest drift check as the table
//! and the details say it ("3 drifted · 1 untracked · 12m ago", "in sync · 2m ago",
//! "unknown: <why>", "never checked"), and the checks running now.

use crate::service::{EnvDrift, Time};
use crate::tui::theme::Theme;
use crate::tui::ui::age;
use ratatui::style::Style;
use std::collections::{HashMap, HashSet};

/// Names of a workflow's drift in the details, at most this many.
const ITEMS_SHOWN: usize = 3;

/// The latest drift check of every environment, as last read from the service.
#[derive(Debug, Default)]
pub(super) enum DriftChecks {
    /// Not read yet.
    #[default]
    NotLoaded,
    /// Reading them failed (e.g. no canonical state yet).
    Failed(String),
    Loaded(HashMap<String, EnvDrift>),
}

/// What the pane knows of drift: the stored checks and the ones running.
#[derive(Debug, Default)]
pub(super) struct DriftState {
    pub checks: DriftChecks,
    /// Bumped per read; older answers are dropped.
    pub generation: u64,
    /// Running drift check jobs and the environments each covers.
    pub running: HashMap<String, Vec<String>>,
    /// Environments a running check covers ("all" checks are expanded when started).
    pub checking: HashSet<String>,
}

impl DriftState {
    pub fn started(&mut self, job_id: String, envs: Vec<String>) {
        self.checking.extend(envs.iter().cloned());
        self.running.insert(job_id, envs);
    }

    /// A job finished: true when it was one of the running checks.
    pub fn finished(&mut self, job_id: &str) -> bool {
        if self.running.remove(job_id).is_none() {
            return false;
        }
        self.checking = self.running.values().flatten().cloned().collect();
        true
    }

    fn of(&self, env: &str) -> Option<&EnvDrift> {
        match &self.checks {
            DriftChecks::Loaded(map) => map.get(env),
            _ => None,
        }
    }

    /// What the table's drift column says of `env`: short when narrow.
    pub fn cell(&self, env: &str, wide: bool, now: Time, theme: &Theme) -> (String, Style) {
        if self.checking.contains(env) {
            return ("checking…".into(), theme.accent);
        }
        if let DriftChecks::Failed(_) = self.checks {
            return ("n/a".into(), theme.muted);
        }
        if let DriftChecks::NotLoaded = self.checks {
            return ("…".into(), theme.muted);
        }
        let look = look(self.of(env));
        let style = look.style(theme);
        let text = if wide { look.long(now) } else { look.short() };
        (text, style)
    }

    /// The details' drift line of `env`, and the first workflows not in sync.
    pub fn detail(&self, env: &str, now: Time, theme: &Theme) -> (String, Style, Option<String>) {
        let checking = self.checking.contains(env);
        let (text, style) = match &self.checks {
            DriftChecks::NotLoaded => ("reading…".to_owned(), theme.muted),
            DriftChecks::Failed(e) => (format!("could not be read: {e}"), theme.error),
            DriftChecks::Loaded(_) => {
                let look = look(self.of(env));
                (look.long(now), look.style(theme))
            }
        };
        let text = if checking {
            format!("checking now… (last: {text})")
        } else {
            text
        };
        let items = self.of(env).filter(|d| !d.items.is_empty()).map(|d| {
            let mut names: Vec<String> = d
                .items
                .iter()
                .take(ITEMS_SHOWN)
                .map(|i| format!("{} ({})", i.name, i.status.as_str().to_lowercase()))
                .collect();
            if d.items.len() > ITEMS_SHOWN {
                names.push(format!("{} more", d.items.len() - ITEMS_SHOWN));
            }
            names.join(" · ")
        });
        let style = if checking { theme.accent } else { style };
        (text, style, items)
    }
}

/// An environment's drift, in the forms the pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Look<'a> {
    Never,
    /// The environment could not be reached at the last check.
    Unknown(&'a str),
    InSync(Time),
    /// Counts of what is not in sync, with their words, and when.
    Differs(Vec<(usize, &'static str)>, Time),
}

fn look(drift: Option<&EnvDrift>) -> Look<'_> {
    let Some(drift) = drift else {
        return Look::Never;
    };
    if let Some(error) = &drift.error {
        return Look::Unknown(error);
    }
    let c = &drift.counts;
    let parts: Vec<(usize, &'static str)> = [
        (c.drifted, "drifted"),
        (c.missing, "missing"),
        (c.untracked, "untracked"),
        (c.unknown, "unknown"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .collect();
    if parts.is_empty() {
        Look::InSync(drift.checked_at)
    } else {
        Look::Differs(parts, drift.checked_at)
    }
}

impl Look<'_> {
    /// "3 drifted · 1 untracked · 12m ago", "in sync · 2m ago", "unknown: <why>",
    /// "never checked".
    fn long(&self, now: Time) -> String {
        match self {
            Look::Never => "never checked".into(),
            Look::Unknown(error) => format!("unknown: {error}"),
            Look::InSync(at) => format!("in sync · {}", age(*at, now)),
            Look::Differs(parts, at) => {
                let mut words: Vec<String> =
                    parts.iter().map(|(n, w)| format!("{n} {w}")).collect();
                words.push(age(*at, now));
                words.join(" · ")
            }
        }
    }

    /// At most 13 cells: "3 drifted", "4 out of sync", "in sync", "unknown", "never".
    fn short(&self) -> String {
        match self {
            Look::Never => "never".into(),
            Look::Unknown(_) => "unknown".into(),
            Look::InSync(_) => "in sync".into(),
            Look::Differs(parts, _) => match parts.as_slice() {
                [(n, word)] => format!("{n} {word}"),
                many => format!("{} out of sync", many.iter().map(|(n, _)| n).sum::<usize>()),
            },
        }
    }

    fn style(&self, theme: &Theme) -> Style {
        match self {
            Look::Never => theme.muted,
            Look::Unknown(_) => theme.error,
            Look::InSync(_) => theme.ok,
            Look::Differs(..) => theme.warn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::DriftCounts;
    use crate::tui::testing::now;
    use chrono::Duration;

    fn drift(counts: DriftCounts, error: Option<&str>, minutes_ago: i64) -> EnvDrift {
        EnvDrift {
            env: "production".into(),
            checked_at: now() - Duration::minutes(minutes_ago),
            error: error.map(str::to_owned),
            counts,
            items: Vec::new(),
        }
    }

    #[test]
    fn each_form_reads_long_and_short() {
        let counts = |drifted, missing, untracked| DriftCounts {
            in_sync: 12,
            drifted,
            missing,
            untracked,
            unknown: 0,
        };
        let cases = [
            (None, "never checked", "never"),
            (
                Some(drift(counts(0, 0, 0), None, 2)),
                "in sync · 2m ago",
                "in sync",
            ),
            (
                Some(drift(counts(3, 0, 1), None, 12)),
                "3 drifted · 1 untracked · 12m ago",
                "4 out of sync",
            ),
            (
                Some(drift(counts(0, 2, 0), None, 90)),
                "2 missing · 1h ago",
                "2 missing",
            ),
            (
                Some(drift(counts(0, 0, 0), Some("connection refused"), 5)),
                "unknown: connection refused",
                "unknown",
            ),
        ];
        for (drift, long, short) in cases {
            let look = look(drift.as_ref());
            assert_eq!(look.long(now()), long);
            assert_eq!(look.short(), short);
            assert!(look.short().chars().count() <= 13);
        }
    }

    #[test]
    fn a_finished_check_stops_only_its_environments_checking() {
        let mut state = DriftState::default();
        state.started("job-1".into(), vec!["dev".into(), "prod".into()]);
        state.started("job-2".into(), vec!["prod".into()]);
        assert!(!state.finished("job-9"));
        assert!(state.finished("job-1"));
        assert!(state.checking.contains("prod") && !state.checking.contains("dev"));
        assert!(state.finished("job-2"));
        assert!(state.checking.is_empty());
    }
}
