//! Time windows: when a stage may deploy. Cron-style allow and deny expressions read
//! in the window's IANA time zone (DST by chrono-tz: a local time skipped by a spring
//! change never matches; one repeated by an autumn change matches both times).

use super::cron::{CronError, CronExpr};
use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How far `next_allowed` looks ahead: 8 days covers every weekly window.
pub const LOOKAHEAD_MINUTES: i64 = 8 * 24 * 60;

/// The windows as configured. A deny that matches beats any allow; with no allow list
/// everything not denied is allowed; with one, only the times it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    /// IANA name, e.g. "Europe/Berlin", "America/New_York", "UTC".
    pub timezone: String,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WindowError {
    #[error("unknown time zone '{0}' (use an IANA name such as Europe/Berlin or UTC)")]
    Timezone(String),
    #[error("{list}: {source}")]
    Cron {
        /// "allow" or "deny".
        list: &'static str,
        source: CronError,
    },
}

/// Whether deploying is allowed at a moment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowDecision {
    pub allowed: bool,
    pub reason: String,
}

/// Windows with their zone and expressions parsed: what to keep when deciding often.
#[derive(Debug, Clone)]
pub struct CompiledWindows {
    tz: Tz,
    allow: Vec<CronExpr>,
    deny: Vec<CronExpr>,
}

impl Windows {
    pub fn compile(&self) -> Result<CompiledWindows, WindowError> {
        let tz: Tz = self
            .timezone
            .parse()
            .map_err(|_| WindowError::Timezone(self.timezone.clone()))?;
        let parse = |list: &'static str, exprs: &[String]| {
            exprs
                .iter()
                .map(|e| CronExpr::parse(e).map_err(|source| WindowError::Cron { list, source }))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(CompiledWindows {
            tz,
            allow: parse("allow", &self.allow)?,
            deny: parse("deny", &self.deny)?,
        })
    }

    /// Decides at `now`; windows that do not parse allow nothing (the reason says why).
    pub fn decide(&self, now: DateTime<Utc>) -> WindowDecision {
        match self.compile() {
            Ok(c) => c.decide(now),
            Err(e) => WindowDecision {
                allowed: false,
                reason: format!("invalid time window: {e}"),
            },
        }
    }

    /// The first minute at or after `now` that is allowed (`now` itself when allowed),
    /// within [`LOOKAHEAD_MINUTES`]; None when there is none or the windows are invalid.
    pub fn next_allowed(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.compile().ok()?.next_allowed(now)
    }
}

impl CompiledWindows {
    pub fn decide(&self, now: DateTime<Utc>) -> WindowDecision {
        let local = now.with_timezone(&self.tz);
        let wall = local.naive_local();
        let when = format!("{} {}", local.format("%a %Y-%m-%d %H:%M"), self.tz.name());
        if let Some(d) = self.deny.iter().find(|d| d.matches(&wall)) {
            return WindowDecision {
                allowed: false,
                reason: format!("{when} is in deny window '{}'", d.as_str()),
            };
        }
        if self.allow.is_empty() {
            return WindowDecision {
                allowed: true,
                reason: format!("{when} is in no deny window"),
            };
        }
        match self.allow.iter().find(|a| a.matches(&wall)) {
            Some(a) => WindowDecision {
                allowed: true,
                reason: format!("{when} is in allow window '{}'", a.as_str()),
            },
            None => WindowDecision {
                allowed: false,
                reason: format!(
                    "{when} is outside every allow window ({})",
                    self.allow
                        .iter()
                        .map(|a| format!("'{}'", a.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        }
    }

    /// See [`Windows::next_allowed`]. Searches minute by minute.
    pub fn next_allowed(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.decide(now).allowed {
            return Some(now);
        }
        let start = now.duration_trunc(Duration::minutes(1)).ok()?;
        (1..=LOOKAHEAD_MINUTES)
            .map(|m| start + Duration::minutes(m))
            .find(|t| self.decide(*t).allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn windows(tz: &str, allow: &[&str], deny: &[&str]) -> Windows {
        Windows {
            timezone: tz.into(),
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn office_hours_follow_the_local_clock_across_the_dst_change() {
        // Europe/Berlin moves from UTC+1 to UTC+2 on Sunday 2025-03-30.
        let w = windows("Europe/Berlin", &["* 9-16 * * mon-fri"], &[]);
        // Friday before: 08:30 UTC = 09:30 local (in); 16:30 UTC = 17:30 (out).
        assert!(w.decide(utc(2025, 3, 28, 8, 30)).allowed);
        assert!(!w.decide(utc(2025, 3, 28, 16, 30)).allowed);
        assert!(!w.decide(utc(2025, 3, 28, 7, 30)).allowed);
        // Monday after: 07:30 UTC = 09:30 local (in); 15:30 UTC = 17:30 (out).
        assert!(w.decide(utc(2025, 3, 31, 7, 30)).allowed);
        assert!(!w.decide(utc(2025, 3, 31, 15, 30)).allowed);
        assert!(w.decide(utc(2025, 3, 31, 14, 59)).allowed);
        let d = w.decide(utc(2025, 3, 31, 7, 30));
        assert!(
            d.reason.contains("Mon 2025-03-31 09:30 Europe/Berlin"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn a_skipped_local_hour_never_matches_and_a_repeated_one_matches_twice() {
        // America/New_York: 02:00-02:59 is skipped on 2025-03-09, repeated on 2025-11-02.
        let w = windows("America/New_York", &["* 2 * * *"], &[]);
        // 06:30 UTC on 03-09 is 01:30 EST, 07:30 UTC is 03:30 EDT.
        assert!(!w.decide(utc(2025, 3, 9, 6, 30)).allowed);
        assert!(!w.decide(utc(2025, 3, 9, 7, 30)).allowed);
        // 01:00-01:59 happens twice on 2025-11-02: 05:30 UTC is 01:30 EDT, 06:30 UTC is
        // 01:30 EST; 07:30 UTC is 02:30 EST.
        let w1 = windows("America/New_York", &["* 1 * * *"], &[]);
        assert!(w1.decide(utc(2025, 11, 2, 5, 30)).allowed);
        assert!(w1.decide(utc(2025, 11, 2, 6, 30)).allowed);
        assert!(!w1.decide(utc(2025, 11, 2, 7, 30)).allowed);
        assert!(w.decide(utc(2025, 11, 2, 7, 30)).allowed);
        // The next 02:00 after the skipped one is the following day, 02:00 EDT = 06:00 UTC.
        assert_eq!(
            w.next_allowed(utc(2025, 3, 9, 6, 30)),
            Some(utc(2025, 3, 10, 6, 0))
        );
    }

    #[test]
    fn a_deny_beats_an_allow() {
        let w = windows("UTC", &["* * * * *"], &["* 12 * * *"]);
        assert!(w.decide(utc(2025, 6, 2, 11, 59)).allowed);
        let d = w.decide(utc(2025, 6, 2, 12, 0));
        assert!(!d.allowed);
        assert!(
            d.reason.contains("deny window '* 12 * * *'"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn weekends_denied_without_an_allow_list() {
        let w = windows("Europe/Berlin", &[], &["* * * * sat,sun"]);
        // Friday 2025-06-06 23:30 UTC is Saturday 01:30 in Berlin.
        assert!(!w.decide(utc(2025, 6, 6, 23, 30)).allowed);
        assert!(w.decide(utc(2025, 6, 6, 21, 59)).allowed);
        assert!(!w.decide(utc(2025, 6, 8, 12, 0)).allowed, "Sunday");
        assert!(
            w.decide(utc(2025, 6, 9, 0, 0)).allowed,
            "Monday 02:00 local"
        );
        // Next allowed from Saturday noon: Sunday 22:00 UTC = Monday 00:00 local.
        assert_eq!(
            w.next_allowed(utc(2025, 6, 7, 12, 0)),
            Some(utc(2025, 6, 8, 22, 0))
        );
    }

    #[test]
    fn with_an_allow_list_only_matching_times_are_allowed() {
        let w = windows("UTC", &["0-29 10 * * *", "* 14 * * *"], &[]);
        assert!(w.decide(utc(2025, 6, 2, 10, 29)).allowed);
        let d = w.decide(utc(2025, 6, 2, 10, 30));
        assert!(!d.allowed);
        assert!(
            d.reason.contains("outside every allow window"),
            "{}",
            d.reason
        );
        assert!(w.decide(utc(2025, 6, 2, 14, 0)).allowed);
        // Allowed now: now itself, seconds kept.
        let now = Utc.with_ymd_and_hms(2025, 6, 2, 14, 5, 42).unwrap();
        assert_eq!(w.next_allowed(now), Some(now));
        // Not allowed: the start of the next allowed minute.
        let now = Utc.with_ymd_and_hms(2025, 6, 2, 10, 30, 10).unwrap();
        assert_eq!(w.next_allowed(now), Some(utc(2025, 6, 2, 14, 0)));
    }

    #[test]
    fn nothing_allowed_within_the_lookahead_is_none() {
        // February 30th never happens.
        let w = windows("UTC", &["* * 30 feb *"], &[]);
        assert_eq!(w.next_allowed(utc(2025, 1, 1, 0, 0)), None);
        let w = windows("UTC", &[], &["* * * * *"]);
        assert_eq!(w.next_allowed(utc(2025, 1, 1, 0, 0)), None);
    }

    #[test]
    fn invalid_windows_allow_nothing_and_say_why() {
        let w = windows("Mars/Olympus", &[], &[]);
        assert_eq!(
            w.compile().unwrap_err(),
            WindowError::Timezone("Mars/Olympus".into())
        );
        let d = w.decide(utc(2025, 1, 1, 0, 0));
        assert!(
            !d.allowed && d.reason.contains("Mars/Olympus"),
            "{}",
            d.reason
        );
        let w = windows("UTC", &["* * * *"], &[]);
        let err = w.compile().unwrap_err().to_string();
        assert!(
            err.starts_with("allow: invalid cron expression '* * * *'"),
            "{err}"
        );
        let w = windows("UTC", &[], &["* * * * funday"]);
        let err = w.compile().unwrap_err().to_string();
        assert!(
            err.contains("deny:") && err.contains("day-of-week"),
            "{err}"
        );
    }
}
