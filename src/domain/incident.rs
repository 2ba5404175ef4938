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
/// as HIGH, UNTRACKED as at least MEDIUM, a DRIFTED workflow without a risk as LOW) placed by
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
            .unwrap_or(i64::MAX)
            .saturating_mul(HOUR_MS)
    }
}

/// The incident rules of one environment class. Read within an `IncidentPolicy`, a class
/// section names only the keys it changes: the others keep that class's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassPolicy {
    /// Hours an incident of each severity may stay unresolved before it breaches its SLA.
    pub ttl_hours: Ttl,
    /// Minutes an acknowledged incident may stay untouched before it reopens; 0: never.
    pub ack_timeout_mins: u64,
    /// Promotions into an environment of this class are refused while it has an open
    /// incident at or above this severity (on workflows the promotion does not write);
    /// None: never refused, written `"never"` (TOML has no null).
    #[serde(with = "block_at")]
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

/// `block_promotions_at` as text: a severity, or `"never"` for None (TOML cannot write a
/// missing value, and a missing key means "the class's default"). Reads `"never"`,
/// `"none"`, `"off"` and null as None, and a severity in any case.
mod block_at {
    use super::Severity;
    use serde::{Deserialize, Deserializer, Serializer};

    pub const NEVER: &str = "never";

    pub fn serialize<S: Serializer>(value: &Option<Severity>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.map_or(NEVER, Severity::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Severity>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        if ["never", "none", "off"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(text.trim()))
        {
            return Ok(None);
        }
        Severity::parse(&text).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown severity '{text}': expected critical, high, medium, low or never"
            ))
        })
    }

    /// For a key that may be absent: Some(the value) when present.
    pub fn deserialize_present<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Severity>>, D::Error> {
        deserialize(d).map(Some)
    }
}

/// A class section as written: the keys it names, over that class's defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ClassPolicyText {
    ttl_hours: Option<Ttl>,
    ack_timeout_mins: Option<u64>,
    #[serde(deserialize_with = "block_at::deserialize_present")]
    block_promotions_at: Option<Option<Severity>>,
    notify_at: Option<Severity>,
}

impl ClassPolicyText {
    fn over(self, class: EnvClass) -> ClassPolicy {
        let base = ClassPolicy::default_for(class);
        ClassPolicy {
            ttl_hours: self.ttl_hours.unwrap_or(base.ttl_hours),
            ack_timeout_mins: self.ack_timeout_mins.unwrap_or(base.ack_timeout_mins),
            block_promotions_at: self.block_promotions_at.unwrap_or(base.block_promotions_at),
            notify_at: self.notify_at.unwrap_or(base.notify_at),
        }
    }
}

/// The policy as written: missing keys keep the defaults of their class.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct IncidentPolicyText {
    development: ClassPolicyText,
    staging: ClassPolicyText,
    production: ClassPolicyText,
    executions: FailureThresholds,
    retention_days: Option<u64>,
    drift_history_days: Option<u64>,
}

impl From<IncidentPolicyText> for IncidentPolicy {
    fn from(t: IncidentPolicyText) -> Self {
        let defaults = IncidentPolicy::default();
        IncidentPolicy {
            development: t.development.over(EnvClass::Development),
            staging: t.staging.over(EnvClass::Staging),
            production: t.production.over(EnvClass::Production),
            executions: t.executions,
            retention_days: t.retention_days.unwrap_or(defaults.retention_days),
            drift_history_days: t.drift_history_days.unwrap_or(defaults.drift_history_days),
        }
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
/// (the store then keeps the whole policy). A class section names only the keys it
/// changes; the others keep that class's defaults (not another class's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "IncidentPolicyText")]
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

    /// Parses the policy from TOML (the editor's text) and checks it ([`Self::validate`]);
    /// the error names the line, or the key whose value is refused.
    pub fn from_toml(text: &str) -> Result<IncidentPolicy, String> {
        let policy: IncidentPolicy = toml::from_str(text).map_err(|e| e.to_string())?;
        policy.validate()?;
        Ok(policy)
    }

    /// [`Self::from_toml`] for an editor: the error's message and, when the text does
    /// not parse as a policy, the 1-based line and column where it stops (a refusal of
    /// [`Self::validate`] names its key instead).
    pub fn from_toml_at(text: &str) -> Result<IncidentPolicy, (String, Option<(usize, usize)>)> {
        let policy: IncidentPolicy = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|span| line_column(text, span.start));
            (e.message().trim().to_owned(), at)
        })?;
        policy.validate().map_err(|e| (e, None))?;
        Ok(policy)
    }

    /// What the types cannot say: every TTL is at least an hour (a TTL of 0 would
    /// breach, escalate and notify at every sweep), and a failing-execution threshold
    /// that is on has a window to count in. The error names the key, as written in
    /// the policy (`production.ttl_hours.critical`).
    pub fn validate(&self) -> Result<(), String> {
        for class in EnvClass::ALL {
            let ttl = &self.class(class).ttl_hours;
            for (severity, hours) in [
                ("critical", ttl.critical),
                ("high", ttl.high),
                ("medium", ttl.medium),
                ("low", ttl.low),
            ] {
                if hours == 0 {
                    return Err(format!(
                        "{}.ttl_hours.{severity} is 0: a TTL is at least 1 hour (with 0 an incident would breach and notify at every sweep)",
                        class_key(class)
                    ));
                }
            }
        }
        let t = &self.executions;
        if t.window_mins == 0 && (t.per_workflow > 0 || t.per_environment > 0) {
            return Err(
                "executions.window_mins is 0: failures are counted within a window of at least 1 minute (set per_workflow and per_environment to 0 to turn the thresholds off)"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// The policy as TOML, every key written (what the editor starts from); the error
    /// says why it could not be written.
    pub fn try_to_toml(&self) -> Result<String, String> {
        toml::to_string_pretty(self)
            .map_err(|e| format!("the incident policy cannot be written as TOML: {e}"))
    }

    /// [`Self::try_to_toml`] for display: should it ever fail, the text is a TOML
    /// comment saying why (never an empty text that would read as the defaults
    /// without a word).
    pub fn to_toml(&self) -> String {
        self.try_to_toml()
            .unwrap_or_else(|e| format!("# {}\n", e.replace('\n', " ")))
    }
}

/// The 1-based line and column of byte `offset` of `text` (columns in characters).
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The section of `class` in the policy's TOML.
fn class_key(class: EnvClass) -> &'static str {
    match class {
        EnvClass::Development => "development",
        EnvClass::Staging => "staging",
        EnvClass::Production => "production",
    }
}

/// What people do to an incident: the lifecycle's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Acknowledge,
    Resolve,
    Note,
    Assign,
    SetSeverity,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Acknowledge,
        Action::Resolve,
        Action::Note,
        Action::Assign,
        Action::SetSeverity,
    ];
}

/// Why the lifecycle refuses an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A resolved incident only takes notes.
    Resolved,
    /// Acknowledging an incident already acknowledged.
    AlreadyAcknowledged,
}

/// The state an incident in `state` is in after `action`, or why the action is
/// refused: a resolved incident takes notes only; acknowledging needs OPEN; resolving
/// works from OPEN and ACKNOWLEDGED; notes, assignments and severities keep the state.
/// Reopening is the clock's ([`due`]), never a person's action.
pub fn transition(state: IncidentState, action: Action) -> Result<IncidentState, Refusal> {
    match (state, action) {
        (_, Action::Note) => Ok(state),
        (IncidentState::Resolved, _) => Err(Refusal::Resolved),
        (IncidentState::Acknowledged, Action::Acknowledge) => Err(Refusal::AlreadyAcknowledged),
        (IncidentState::Open, Action::Acknowledge) => Ok(IncidentState::Acknowledged),
        (_, Action::Resolve) => Ok(IncidentState::Resolved),
        (_, Action::Assign | Action::SetSeverity) => Ok(state),
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
        .unwrap_or(i64::MAX)
        .saturating_mul(60_000);
    if clock.state == IncidentState::Acknowledged
        && timeout > 0
        && now >= clock.last_activity_at.saturating_add(timeout)
    {
        return Some(Due::Reopen);
    }
    None
}

/// The SLA countdown as people read it: `23h12m` left, `45m`, `2d3h`; past the
/// deadline `BREACHED +2h`. `left_ms` is the deadline minus now.
pub fn sla_countdown(left_ms: i64) -> String {
    if left_ms < 0 {
        format!("BREACHED +{}", short_duration(left_ms.saturating_neg()))
    } else {
        short_duration(left_ms)
    }
}

/// A duration in its two largest units: `2d3h`, `23h12m`, `45m`, `30s`.
pub fn short_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m:02}m"),
        (d, h, _) => format!("{d}d{h}h"),
    }
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
                .filter_map(|i| Some(i.acknowledged_at?.saturating_sub(i.opened_at)))
                .collect();
            let mut ttr: Vec<i64> = list
                .iter()
                .filter_map(|i| Some(i.resolved_at?.saturating_sub(i.opened_at)))
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

#[cfg(test)]
mod tests;
