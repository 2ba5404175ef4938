//! Incidents: severity, lifecycle, SLA and escalation, and the MTTA/MTTR maths.
//!
//! An incident is raised by a drift (a workflow DRIFTED, MISSING or UNTRACKED in an
//! environment) or by failing executions past a threshold, one open incident per
//! environment, workflow and kind. Its severity comes from the environment class and
//! the diff's risk (production + HIGH = critical) unless someone set it by hand. Each
//! severity has a time to live (TTL): past it the incident is in SLA breach and
//! escalates (severity up one level, a notification again, a fresh TTL at the new
//! level). An acknowledged incident left untouched longer than the acknowledgement
//! timeout reopens. Everything here is pure: time is passed in, in milliseconds.

use super::diff::Risk;
use super::drift::DriftStatus;
use super::environment::EnvClass;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// How bad an incident is; `Critical` is the worst. Ordered worst last (`Low < Critical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Worst first: the order the triage list sorts by.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// `critical`, `high`, `medium`, `low` (the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity `as_str` gives `text` for, any case; None for other text.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// One level up; critical stays critical.
    pub fn up(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncidentState {
    Open,
    Acknowledged,
    Resolved,
}

impl IncidentState {
    pub const ALL: [IncidentState; 3] = [
        IncidentState::Open,
        IncidentState::Acknowledged,
        IncidentState::Resolved,
    ];

    /// `OPEN`, `ACKNOWLEDGED`, `RESOLVED` (the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "OPEN",
            IncidentState::Acknowledged => "ACKNOWLEDGED",
            IncidentState::Resolved => "RESOLVED",
        }
    }

    /// Any case; `ack` and `acked` are ACKNOWLEDGED.
    pub fn parse(text: &str) -> Option<IncidentState> {
        let t = text.trim().to_ascii_uppercase();
        match t.as_str() {
            "ACK" | "ACKED" => Some(IncidentState::Acknowledged),
            _ => IncidentState::ALL.into_iter().find(|s| s.as_str() == t),
        }
    }

    /// OPEN and ACKNOWLEDGED are both still open (not resolved).
    pub fn is_open(self) -> bool {
        self != IncidentState::Resolved
    }
}

impl fmt::Display for IncidentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What raised an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// A workflow DRIFTED, MISSING or UNTRACKED at a drift check.
    Drift,
    /// Failing executions of one workflow (or of a whole environment, workflow None)
    /// past the configured threshold.
    Executions,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Drift => "drift",
            IncidentKind::Executions => "executions",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentKind> {
        [IncidentKind::Drift, IncidentKind::Executions]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// What happened to an incident: one entry of its timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    /// The drift (or the failure count) changed while open; the entry keeps the diff.
    Changed,
    Acknowledged,
    /// Back to OPEN: the acknowledgement timed out, or someone reopened it.
    Reopened,
    /// Past its TTL: severity up one level.
    Escalated,
    /// Severity set by hand.
    SeverityChanged,
    Assigned,
    Note,
    /// Reverted to its canonical state from the incident (a restore job).
    Reverted,
    /// The live change accepted into the canonical state (a commit).
    Accepted,
    /// A promotion of the fix started from the incident.
    PromotionStarted,
    Resolved,
    /// Resolved because the drift (or the failures) went away.
    AutoResolved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Changed => "changed",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Reopened => "reopened",
            EventKind::Escalated => "escalated",
            EventKind::SeverityChanged => "severity_changed",
            EventKind::Assigned => "assigned",
            EventKind::Note => "note",
            EventKind::Reverted => "reverted",
            EventKind::Accepted => "accepted",
            EventKind::PromotionStarted => "promotion_started",
            EventKind::Resolved => "resolved",
            EventKind::AutoResolved => "auto_resolved",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }
}

/// The severity a drift gets before anyone changes it: the diff's risk (MISSING counts
/// as HIGH, UNTRACKED as MEDIUM, a DRIFTED workflow without a risk as LOW) placed by
/// the environment class. Production: HIGH critical, MEDIUM high, LOW medium. Staging:
/// HIGH high, MEDIUM medium, LOW low. Development: HIGH medium, else low.
pub fn drift_severity(class: EnvClass, status: DriftStatus, risk: Option<Risk>) -> Severity {
    let risk = match status {
        DriftStatus::Missing => Risk::High,
        DriftStatus::Untracked => risk.unwrap_or(Risk::Medium).max(Risk::Medium),
        _ => risk.unwrap_or(Risk::Low),
    };
    match (class, risk) {
        (EnvClass::Production, Risk::High) => Severity::Critical,
        (EnvClass::Production, Risk::Medium) | (EnvClass::Staging, Risk::High) => Severity::High,
        (EnvClass::Production, Risk::Low)
        | (EnvClass::Staging, Risk::Medium)
        | (EnvClass::Development, Risk::High) => Severity::Medium,
        _ => Severity::Low,
    }
}

/// Failing executions: production high, staging medium, development low.
pub fn executions_severity(class: EnvClass) -> Severity {
    match class {
        EnvClass::Production => Severity::High,
        EnvClass::Staging => Severity::Medium,
        EnvClass::Development => Severity::Low,
    }
}

/// TTL per severity, in hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ttl {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

impl Default for Ttl {
    fn default() -> Self {
        Ttl {
            critical: 24,
            high: 48,
            medium: 72,
            low: 168,
        }
    }
}

impl Ttl {
    /// The TTL of `severity` in milliseconds.
    pub fn ms(&self, severity: Severity) -> i64 {
        let hours = match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        };
        i64::try_from(hours)
            .unwrap_or(i64::MAX / HOUR_MS)
            .saturating_mul(HOUR_MS)
    }
}

/// The incident rules of one environment class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassPolicy {
    /// Hours an incident of each severity may stay unresolved before it breaches its SLA.
    pub ttl_hours: Ttl,
    /// Minutes an acknowledged incident may stay untouched before it reopens; 0: never.
    pub ack_timeout_mins: u64,
    /// Promotions into an environment of this class are refused while it has an open
    /// incident at or above this severity (on workflows the promotion does not write);
    /// None: never refused.
    pub block_promotions_at: Option<Severity>,
    /// Notifications go out for incidents at or above this severity.
    pub notify_at: Severity,
}

impl ClassPolicy {
    /// The product's defaults for `class`: production blocks promotions at high and
    /// notifies from medium, staging blocks at critical and notifies from high,
    /// development never blocks and notifies from critical. Acknowledgements time out
    /// after 4 h (production), 8 h (staging), 24 h (development).
    pub fn default_for(class: EnvClass) -> ClassPolicy {
        let (ack, block, notify) = match class {
            EnvClass::Production => (240, Some(Severity::High), Severity::Medium),
            EnvClass::Staging => (480, Some(Severity::Critical), Severity::High),
            EnvClass::Development => (1440, None, Severity::Critical),
        };
        ClassPolicy {
            ttl_hours: Ttl::default(),
            ack_timeout_mins: ack,
            block_promotions_at: block,
            notify_at: notify,
        }
    }
}

impl Default for ClassPolicy {
    fn default() -> Self {
        ClassPolicy::default_for(EnvClass::Production)
    }
}

/// Raise an executions incident when this many executions failed within the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailureThresholds {
    /// Failed executions of one workflow within the window; 0: off.
    pub per_workflow: u64,
    /// Failed executions of all workflows of an environment within the window; 0: off.
    pub per_environment: u64,
    pub window_mins: u64,
}

impl Default for FailureThresholds {
    fn default() -> Self {
        FailureThresholds {
            per_workflow: 5,
            per_environment: 20,
            window_mins: 60,
        }
    }
}

/// Every incident rule: per environment class, with the thresholds and retention.
/// Kept in the config (`[incidents.policy]`) and overridable from the TUI by admins
/// (the store then keeps the whole policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentPolicy {
    pub development: ClassPolicy,
    pub staging: ClassPolicy,
    pub production: ClassPolicy,
    pub executions: FailureThresholds,
    /// Days a resolved incident is kept; 0: forever.
    pub retention_days: u64,
    /// Days of drift check history kept; 0: forever.
    pub drift_history_days: u64,
}

impl Default for IncidentPolicy {
    fn default() -> Self {
        IncidentPolicy {
            development: ClassPolicy::default_for(EnvClass::Development),
            staging: ClassPolicy::default_for(EnvClass::Staging),
            production: ClassPolicy::default_for(EnvClass::Production),
            executions: FailureThresholds::default(),
            retention_days: 90,
            drift_history_days: 30,
        }
    }
}

impl IncidentPolicy {
    pub fn class(&self, class: EnvClass) -> &ClassPolicy {
        match class {
            EnvClass::Development => &self.development,
            EnvClass::Staging => &self.staging,
            EnvClass::Production => &self.production,
        }
    }

    /// Parses the policy from TOML (the editor's text); the error names the line.
    pub fn from_toml(text: &str) -> Result<IncidentPolicy, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The policy as TOML, every key written (what the editor starts from).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// The clock-related facts of one open incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub state: IncidentState,
    pub severity: Severity,
    /// When its current TTL started: opened, or its last escalation.
    pub sla_started_at: i64,
    /// When someone last acted on it (acknowledged, noted, assigned...).
    pub last_activity_at: i64,
}

/// When the SLA of an incident in this clock state ends (ms).
pub fn sla_deadline(clock: &Clock, policy: &ClassPolicy) -> i64 {
    clock
        .sla_started_at
        .saturating_add(policy.ttl_hours.ms(clock.severity))
}

/// What the clock does to an incident at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Past its TTL: escalate to `to` (the same severity when already critical: then
    /// it is only marked as breached), with a fresh TTL from `now`.
    Breach { to: Severity },
    /// Acknowledged and untouched past the timeout: back to OPEN.
    Reopen,
}

/// What is due for one open incident at `now` (a resolved one: nothing). A breach
/// comes before a reopen when both are due; at most one per call, so a sweep that runs
/// late escalates one level per sweep, never several at once.
pub fn due(clock: &Clock, policy: &ClassPolicy, now: i64) -> Option<Due> {
    if !clock.state.is_open() {
        return None;
    }
    if now >= sla_deadline(clock, policy) {
        return Some(Due::Breach {
            to: clock.severity.up(),
        });
    }
    let timeout = i64::try_from(policy.ack_timeout_mins)
        .unwrap_or(i64::MAX / 60_000)
        .saturating_mul(60_000);
    if clock.state == IncidentState::Acknowledged
        && timeout > 0
        && now >= clock.last_activity_at.saturating_add(timeout)
    {
        return Some(Due::Reopen);
    }
    None
}

/// Whether a notification goes out for an incident of `severity` under `policy`.
pub fn notifies(policy: &ClassPolicy, severity: Severity) -> bool {
    severity >= policy.notify_at
}

/// The facts of one incident the metrics need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lived {
    pub env: String,
    pub severity: Severity,
    pub opened_at: i64,
    /// The first acknowledgement, if any.
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

/// Mean, median and 90th percentile of some durations (ms); None without any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    pub count: usize,
    pub mean_ms: i64,
    pub p50_ms: i64,
    pub p90_ms: i64,
}

/// The metrics of one environment and severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsRow {
    pub env: String,
    pub severity: Severity,
    /// Incidents opened within the period.
    pub opened: usize,
    /// Of those, how many are resolved.
    pub resolved: usize,
    /// Time to acknowledge (opened -> first acknowledged).
    pub mtta: Option<Spread>,
    /// Time to resolve (opened -> resolved).
    pub mttr: Option<Spread>,
}

/// The spread of `values` (nearest-rank percentiles); None when empty.
pub fn spread(values: &mut [i64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let rank = |p: usize| values[((p * n).div_ceil(100)).clamp(1, n) - 1];
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    Some(Spread {
        count: n,
        mean_ms: i64::try_from(sum / n as i128).unwrap_or(i64::MAX),
        p50_ms: rank(50),
        p90_ms: rank(90),
    })
}

/// MTTA and MTTR per environment and severity of the incidents opened within
/// `[from, to)`, sorted by environment then severity (worst first).
pub fn stats(incidents: &[Lived], from: i64, to: i64) -> Vec<StatsRow> {
    let mut groups: BTreeMap<(String, std::cmp::Reverse<Severity>), Vec<&Lived>> = BTreeMap::new();
    for i in incidents
        .iter()
        .filter(|i| i.opened_at >= from && i.opened_at < to)
    {
        groups
            .entry((i.env.clone(), std::cmp::Reverse(i.severity)))
            .or_default()
            .push(i);
    }
    groups
        .into_iter()
        .map(|((env, severity), list)| {
            let mut tta: Vec<i64> = list
                .iter()
                .filter_map(|i| Some(i.acknowledged_at? - i.opened_at))
                .collect();
            let mut ttr: Vec<i64> = list
                .iter()
                .filter_map(|i| Some(i.resolved_at? - i.opened_at))
                .collect();
            StatsRow {
                env,
                severity: severity.0,
                opened: list.len(),
                resolved: ttr.len(),
                mtta: spread(&mut tta),
                mttr: spread(&mut ttr),
            }
        })
        .collect()
}
