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
mod tests {
    use super::*;
    use DriftStatus::{Drifted, Missing, Untracked};
    use EnvClass::{Development, Production, Staging};
    use Severity::{Critical, High, Low, Medium};
    use proptest::prelude::*;

    const H: i64 = HOUR_MS;
    const MIN: i64 = 60_000;

    fn clock(state: IncidentState, severity: Severity, sla: i64, activity: i64) -> Clock {
        Clock {
            state,
            severity,
            sla_started_at: sla,
            last_activity_at: activity,
        }
    }

    fn lived(
        env: &str,
        severity: Severity,
        opened: i64,
        ack: Option<i64>,
        res: Option<i64>,
    ) -> Lived {
        Lived {
            env: env.into(),
            severity,
            opened_at: opened,
            acknowledged_at: ack,
            resolved_at: res,
        }
    }

    fn arb_severity() -> impl Strategy<Value = Severity> {
        prop::sample::select(Severity::ALL.to_vec())
    }

    fn arb_state() -> impl Strategy<Value = IncidentState> {
        prop::sample::select(IncidentState::ALL.to_vec())
    }

    fn arb_class() -> impl Strategy<Value = EnvClass> {
        prop::sample::select(EnvClass::ALL.to_vec())
    }

    fn arb_risk() -> impl Strategy<Value = Option<Risk>> {
        prop::option::of(prop::sample::select(vec![
            Risk::Low,
            Risk::Medium,
            Risk::High,
        ]))
    }

    fn arb_policy() -> impl Strategy<Value = ClassPolicy> {
        (
            (0u64..400, 0u64..400, 0u64..400, 0u64..400),
            prop_oneof![Just(0u64), 1u64..10_000],
            prop::option::of(arb_severity()),
            arb_severity(),
        )
            .prop_map(|((c, h, m, l), ack, block, notify)| ClassPolicy {
                ttl_hours: Ttl {
                    critical: c,
                    high: h,
                    medium: m,
                    low: l,
                },
                ack_timeout_mins: ack,
                block_promotions_at: block,
                notify_at: notify,
            })
    }

    fn arb_clock() -> impl Strategy<Value = Clock> {
        (
            arb_state(),
            arb_severity(),
            -1_000_000_000_000i64..4_000_000_000_000,
            -1_000_000_000_000i64..4_000_000_000_000,
        )
            .prop_map(|(state, severity, sla, activity)| clock(state, severity, sla, activity))
    }

    /// The nearest-rank percentile by its definition: the smallest value with at least
    /// p% of the values at or below it.
    fn nearest_rank(values: &[i64], p: usize) -> i64 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        *sorted
            .iter()
            .find(|v| sorted.iter().filter(|w| w <= v).count() * 100 >= p * sorted.len())
            .unwrap()
    }

    #[test]
    fn drift_severity_follows_the_class_and_risk_table() {
        use Risk::{High as RH, Low as RL, Medium as RM};
        // DRIFTED: the diff's risk (none counts as LOW) placed by the class.
        let table = [
            (Production, Some(RH), Critical),
            (Production, Some(RM), High),
            (Production, Some(RL), Medium),
            (Production, None, Medium),
            (Staging, Some(RH), High),
            (Staging, Some(RM), Medium),
            (Staging, Some(RL), Low),
            (Staging, None, Low),
            (Development, Some(RH), Medium),
            (Development, Some(RM), Low),
            (Development, Some(RL), Low),
            (Development, None, Low),
        ];
        for (class, risk, expected) in table {
            assert_eq!(
                drift_severity(class, Drifted, risk),
                expected,
                "{class} DRIFTED {risk:?}"
            );
        }
        // MISSING counts as HIGH, whatever risk comes with it.
        for risk in [None, Some(RL), Some(RM), Some(RH)] {
            assert_eq!(drift_severity(Production, Missing, risk), Critical);
            assert_eq!(drift_severity(Staging, Missing, risk), High);
            assert_eq!(drift_severity(Development, Missing, risk), Medium);
        }
        // UNTRACKED counts as MEDIUM at least; a higher risk is kept.
        for risk in [None, Some(RL), Some(RM)] {
            assert_eq!(
                drift_severity(Production, Untracked, risk),
                High,
                "{risk:?}"
            );
            assert_eq!(drift_severity(Staging, Untracked, risk), Medium, "{risk:?}");
            assert_eq!(
                drift_severity(Development, Untracked, risk),
                Low,
                "{risk:?}"
            );
        }
        assert_eq!(drift_severity(Production, Untracked, Some(RH)), Critical);
        assert_eq!(drift_severity(Staging, Untracked, Some(RH)), High);
        assert_eq!(drift_severity(Development, Untracked, Some(RH)), Medium);
    }

    #[test]
    fn executions_severity_by_class() {
        assert_eq!(executions_severity(Production), High);
        assert_eq!(executions_severity(Staging), Medium);
        assert_eq!(executions_severity(Development), Low);
    }

    #[test]
    fn severity_order_text_and_up() {
        assert!(Low < Medium && Medium < High && High < Critical);
        assert_eq!(Severity::ALL, [Critical, High, Medium, Low], "worst first");
        assert_eq!(Low.up(), Medium);
        assert_eq!(Medium.up(), High);
        assert_eq!(High.up(), Critical);
        assert_eq!(Critical.up(), Critical, "critical stays critical");
        for s in Severity::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert_eq!(Severity::parse("CRITICAL"), Some(Critical));
        assert_eq!(Severity::parse("  High\n"), Some(High));
        for bad in ["", "crit", "severe", "highest", "1", "low low"] {
            assert_eq!(Severity::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn incident_state_text_and_parse() {
        for s in IncidentState::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(IncidentState::parse(s.as_str()), Some(s));
            assert_eq!(IncidentState::parse(&s.as_str().to_lowercase()), Some(s));
        }
        use IncidentState::*;
        for (text, expected) in [
            ("open", Some(Open)),
            (" Resolved ", Some(Resolved)),
            ("ack", Some(Acknowledged)),
            ("ACKED", Some(Acknowledged)),
            ("Acknowledged", Some(Acknowledged)),
            ("closed", None),
            ("acknowledge", None),
            ("", None),
        ] {
            assert_eq!(IncidentState::parse(text), expected, "{text:?}");
        }
        assert!(Open.is_open() && Acknowledged.is_open() && !Resolved.is_open());
    }

    #[test]
    fn kinds_text_is_their_serde_form() {
        for k in [IncidentKind::Drift, IncidentKind::Executions] {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
            assert_eq!(IncidentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(IncidentKind::parse("Drift"), None);
        use EventKind::*;
        let all = [
            Opened,
            Changed,
            Acknowledged,
            Reopened,
            Escalated,
            SeverityChanged,
            Assigned,
            Note,
            Reverted,
            Accepted,
            PromotionStarted,
            Resolved,
            AutoResolved,
        ];
        for k in all {
            // Exhaustive: a new kind must be listed above.
            match k {
                Opened | Changed | Acknowledged | Reopened | Escalated | SeverityChanged
                | Assigned | Note | Reverted | Accepted | PromotionStarted | Resolved
                | AutoResolved => {}
            }
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SeverityChanged.as_str(), "severity_changed");
        assert_eq!(EventKind::parse("AutoResolved"), None);
        assert_eq!(EventKind::parse(""), None);
    }

    #[test]
    fn ttl_in_milliseconds() {
        let ttl = Ttl::default();
        assert_eq!(ttl.ms(Critical), 24 * H);
        assert_eq!(ttl.ms(High), 48 * H);
        assert_eq!(ttl.ms(Medium), 72 * H);
        assert_eq!(ttl.ms(Low), 168 * H);
        let custom = Ttl {
            critical: 1,
            high: 0,
            medium: 5,
            low: u64::MAX,
        };
        assert_eq!(custom.ms(Critical), H);
        assert_eq!(custom.ms(High), 0);
        assert_eq!(custom.ms(Medium), 5 * H);
        assert_eq!(custom.ms(Low), i64::MAX, "saturates");
    }

    #[test]
    fn sla_deadline_is_the_start_plus_the_ttl_of_the_severity() {
        let policy = ClassPolicy::default_for(Production);
        let c = clock(IncidentState::Open, Critical, 1_000, 0);
        assert_eq!(sla_deadline(&c, &policy), 1_000 + 24 * H);
        let c = clock(IncidentState::Acknowledged, Low, 5_000, 9_000);
        assert_eq!(sla_deadline(&c, &policy), 5_000 + 168 * H);
        let c = clock(IncidentState::Open, High, i64::MAX - 10, 0);
        assert_eq!(sla_deadline(&c, &policy), i64::MAX, "saturates");
    }

    #[test]
    fn due_breaches_at_the_deadline_one_level_up() {
        let policy = ClassPolicy::default_for(Production);
        let c = clock(IncidentState::Open, High, 0, 0);
        assert_eq!(due(&c, &policy, 48 * H - 1), None);
        assert_eq!(due(&c, &policy, 48 * H), Some(Due::Breach { to: Critical }));
        assert_eq!(
            due(&c, &policy, 1_000 * H),
            Some(Due::Breach { to: Critical }),
            "one level however late"
        );
        // Already critical: marked breached, stays critical.
        let c = clock(IncidentState::Open, Critical, 0, 0);
        assert_eq!(due(&c, &policy, 24 * H), Some(Due::Breach { to: Critical }));
        // A sweep long overdue escalates one level, then the new level gets a full TTL.
        let mut c = clock(IncidentState::Open, Low, 0, 0);
        let now = 10_000 * H;
        assert_eq!(due(&c, &policy, now), Some(Due::Breach { to: Medium }));
        c.severity = Medium;
        c.sla_started_at = now;
        assert_eq!(
            due(&c, &policy, now),
            None,
            "a fresh TTL from the escalation"
        );
        assert_eq!(due(&c, &policy, now + 72 * H - 1), None);
        assert_eq!(
            due(&c, &policy, now + 72 * H),
            Some(Due::Breach { to: High })
        );
    }

    #[test]
    fn due_reopens_an_acknowledged_incident_left_untouched() {
        let policy = ClassPolicy::default_for(Production); // 240 min
        let c = clock(IncidentState::Acknowledged, Medium, 0, 1_000);
        assert_eq!(due(&c, &policy, 1_000 + 240 * MIN - 1), None);
        assert_eq!(due(&c, &policy, 1_000 + 240 * MIN), Some(Due::Reopen));
        // OPEN never "reopens".
        let c = clock(IncidentState::Open, Medium, 0, 1_000);
        assert_eq!(due(&c, &policy, 1_000 + 240 * MIN), None);
        // A timeout of 0 never reopens.
        let never = ClassPolicy {
            ack_timeout_mins: 0,
            ..policy.clone()
        };
        let c = clock(IncidentState::Acknowledged, Low, 0, 0);
        assert_eq!(due(&c, &never, 100 * H), None);
        // Both due: the breach comes first; the reopen is left for the next call.
        let c = clock(IncidentState::Acknowledged, Medium, 0, 0);
        assert_eq!(due(&c, &policy, 72 * H), Some(Due::Breach { to: High }));
        let after = Clock {
            severity: High,
            sla_started_at: 72 * H,
            ..c
        };
        assert_eq!(due(&after, &policy, 72 * H), Some(Due::Reopen));
    }

    #[test]
    fn resolved_incidents_are_never_due() {
        let policy = ClassPolicy::default_for(Production);
        let c = clock(IncidentState::Resolved, Low, 0, 0);
        assert_eq!(due(&c, &policy, i64::MAX), None);
    }

    #[test]
    fn notifications_from_the_class_threshold_up() {
        let prod = ClassPolicy::default_for(Production);
        assert!(!notifies(&prod, Low));
        assert!(notifies(&prod, Medium) && notifies(&prod, Critical));
        let dev = ClassPolicy::default_for(Development);
        assert!(!notifies(&dev, High) && notifies(&dev, Critical));
    }

    #[test]
    fn spread_is_mean_and_nearest_rank_percentiles() {
        assert_eq!(spread(&mut []), None);
        assert_eq!(
            spread(&mut [7]),
            Some(Spread {
                count: 1,
                mean_ms: 7,
                p50_ms: 7,
                p90_ms: 7
            })
        );
        assert_eq!(
            spread(&mut [20, 10]),
            Some(Spread {
                count: 2,
                mean_ms: 15,
                p50_ms: 10,
                p90_ms: 20
            }),
            "p50 of two is the lower"
        );
        let mut ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
        assert_eq!(
            spread(&mut ten),
            Some(Spread {
                count: 10,
                mean_ms: 5,
                p50_ms: 5,
                p90_ms: 9
            }),
            "mean 5.5 truncates"
        );
        let mut eleven: Vec<i64> = (1..=11).map(|v| v * 100).collect();
        let s = spread(&mut eleven).unwrap();
        assert_eq!((s.p50_ms, s.p90_ms, s.mean_ms), (600, 1_000, 600));
        let mut huge = [i64::MAX, i64::MAX];
        assert_eq!(spread(&mut huge).unwrap().mean_ms, i64::MAX, "no overflow");
    }

    #[test]
    fn stats_group_by_environment_and_severity_within_the_period() {
        let incidents = [
            lived("prod", High, 1_000, Some(1_100), Some(2_000)),
            lived("prod", Critical, 1_500, Some(1_600), None),
            lived("dev", Low, 2_000, None, Some(5_000)),
            lived("prod", High, 3_000, Some(3_300), Some(3_500)),
            lived("prod", High, 3_500, None, None),
            // Outside [1000, 4000).
            lived("prod", High, 999, Some(1_000), Some(1_000)),
            lived("prod", Low, 4_000, Some(4_001), Some(4_002)),
        ];
        let rows = stats(&incidents, 1_000, 4_000);
        let keys: Vec<(&str, Severity)> =
            rows.iter().map(|r| (r.env.as_str(), r.severity)).collect();
        assert_eq!(
            keys,
            [("dev", Low), ("prod", Critical), ("prod", High)],
            "environment, then worst first"
        );
        let dev = &rows[0];
        assert_eq!((dev.opened, dev.resolved, dev.mtta), (1, 1, None));
        assert_eq!(dev.mttr.unwrap().mean_ms, 3_000);
        let crit = &rows[1];
        assert_eq!((crit.opened, crit.resolved, crit.mttr), (1, 0, None));
        assert_eq!(crit.mtta.unwrap().p90_ms, 100);
        let high = &rows[2];
        assert_eq!((high.opened, high.resolved), (3, 2));
        assert_eq!(
            high.mtta,
            Some(Spread {
                count: 2,
                mean_ms: 200,
                p50_ms: 100,
                p90_ms: 300
            })
        );
        assert_eq!(
            high.mttr,
            Some(Spread {
                count: 2,
                mean_ms: 750,
                p50_ms: 500,
                p90_ms: 1_000
            })
        );
        assert!(stats(&incidents, 5_000, 6_000).is_empty());
        assert!(
            stats(&incidents, 4_000, 1_000).is_empty(),
            "an empty period"
        );
    }

    #[test]
    fn the_policy_round_trips_through_toml() {
        let policy = IncidentPolicy::default();
        let text = policy.to_toml();
        assert!(text.contains("block_promotions_at = \"never\""), "{text}");
        assert_eq!(IncidentPolicy::from_toml(&text).unwrap(), policy, "{text}");

        let mut custom = IncidentPolicy::default();
        custom.production.block_promotions_at = None;
        custom.development.block_promotions_at = Some(Low);
        custom.staging.ttl_hours.critical = 2;
        custom.executions.per_workflow = 0;
        custom.retention_days = 0;
        let text = custom.to_toml();
        assert_eq!(IncidentPolicy::from_toml(&text).unwrap(), custom, "{text}");
        // Through JSON too (the service sends it to remote faces).
        let json = serde_json::to_string(&custom).unwrap();
        assert_eq!(
            serde_json::from_str::<IncidentPolicy>(&json).unwrap(),
            custom
        );
    }

    #[test]
    fn a_class_section_keeps_that_classs_defaults() {
        let policy = IncidentPolicy::from_toml(
            "retention_days = 7\n\
             [development]\nack_timeout_mins = 60\n\
             [staging.ttl_hours]\ncritical = 4\n\
             [production]\nblock_promotions_at = \"Never\"\n",
        )
        .unwrap();
        let defaults = IncidentPolicy::default();
        assert_eq!(
            policy.development,
            ClassPolicy {
                ack_timeout_mins: 60,
                ..ClassPolicy::default_for(Development)
            }
        );
        assert_eq!(
            policy.development.block_promotions_at, None,
            "not production's"
        );
        assert_eq!(
            policy.staging.ttl_hours,
            Ttl {
                critical: 4,
                ..Ttl::default()
            }
        );
        assert_eq!(policy.staging.notify_at, High);
        assert_eq!(
            policy.production,
            ClassPolicy {
                block_promotions_at: None,
                ..ClassPolicy::default_for(Production)
            }
        );
        assert_eq!(policy.retention_days, 7);
        assert_eq!(policy.drift_history_days, defaults.drift_history_days);
        assert_eq!(policy.executions, defaults.executions);
        assert_eq!(IncidentPolicy::from_toml("").unwrap(), defaults);
        let null =
            serde_json::from_str::<IncidentPolicy>(r#"{"staging":{"block_promotions_at":null}}"#)
                .unwrap();
        assert_eq!(null.staging.block_promotions_at, None);
    }

    #[test]
    fn a_bad_policy_is_refused_naming_the_line() {
        for (text, line, words) in [
            (
                "retention_days = 7\n[production]\nnotify_at = \"loud\"\n",
                "line 3",
                "loud",
            ),
            (
                "[staging]\nblock_promotions_at = \"sometimes\"\n",
                "line 2",
                "sometimes",
            ),
            ("[production]\nttl = 3\n", "line 2", "ttl"),
            ("[qa]\n", "line 1", "qa"),
        ] {
            let err = IncidentPolicy::from_toml(text).unwrap_err();
            assert!(err.contains(line) && err.contains(words), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_zero_ttl_or_a_window_of_nothing_is_refused_naming_the_key() {
        assert_eq!(IncidentPolicy::default().validate(), Ok(()));
        for (text, key) in [
            (
                "[production.ttl_hours]\ncritical = 0\n",
                "production.ttl_hours.critical",
            ),
            (
                "[staging]\nttl_hours = { low = 0 }\n",
                "staging.ttl_hours.low",
            ),
            (
                "[development.ttl_hours]\nhigh = 0\nmedium = 0\n",
                "development.ttl_hours.high",
            ),
            ("[executions]\nwindow_mins = 0\n", "executions.window_mins"),
        ] {
            let err = IncidentPolicy::from_toml(text).unwrap_err();
            assert!(err.contains(key), "{text:?}: {err}");
            assert!(err.contains(" is 0"), "{text:?}: {err}");
        }
        // A window of 0 with the thresholds off is no threshold at all: fine.
        let off = "[executions]\nwindow_mins = 0\nper_workflow = 0\nper_environment = 0\n";
        assert!(IncidentPolicy::from_toml(off).is_ok());
        // The policy as written is valid TOML of itself, never an empty text.
        let text = IncidentPolicy::default().try_to_toml().unwrap();
        assert!(text.contains("[production.ttl_hours]"), "{text}");
        assert_eq!(IncidentPolicy::default().to_toml(), text);
    }

    #[test]
    fn the_lifecycle_transitions() {
        use Action::*;
        use IncidentState::{Acknowledged, Open, Resolved};
        let table = [
            (Open, Acknowledge, Ok(Acknowledged)),
            (Acknowledged, Acknowledge, Err(Refusal::AlreadyAcknowledged)),
            (Resolved, Acknowledge, Err(Refusal::Resolved)),
            (Open, Resolve, Ok(Resolved)),
            (Acknowledged, Resolve, Ok(Resolved)),
            (Resolved, Resolve, Err(Refusal::Resolved)),
            (Open, Note, Ok(Open)),
            (Acknowledged, Note, Ok(Acknowledged)),
            (Resolved, Note, Ok(Resolved)),
            (Open, Assign, Ok(Open)),
            (Acknowledged, Assign, Ok(Acknowledged)),
            (Resolved, Assign, Err(Refusal::Resolved)),
            (Open, SetSeverity, Ok(Open)),
            (Acknowledged, SetSeverity, Ok(Acknowledged)),
            (Resolved, SetSeverity, Err(Refusal::Resolved)),
        ];
        assert_eq!(table.len(), IncidentState::ALL.len() * Action::ALL.len());
        for (state, action, expected) in table {
            assert_eq!(transition(state, action), expected, "{state} {action:?}");
        }
    }

    fn arb_ttl() -> impl Strategy<Value = Ttl> {
        (0u64..3, 0u64..3, 0u64..3, 0u64..3).prop_map(|(c, h, m, l)| Ttl {
            critical: c,
            high: h,
            medium: m,
            low: l,
        })
    }

    proptest! {
        #[test]
        fn severity_parse_ignores_case_and_spaces(s in arb_severity(), mask in any::<u16>(), pad in 0usize..3) {
            let text: String = s.as_str().chars().enumerate().map(|(i, c)| {
                if mask & (1 << (i % 16)) != 0 { c.to_ascii_uppercase() } else { c }
            }).collect();
            let padded = format!("{}{text}{}", " ".repeat(pad), "\t".repeat(pad));
            prop_assert_eq!(Severity::parse(&padded), Some(s));
            prop_assert_eq!(IncidentState::parse(&format!(" {} ", s.as_str())), None);
        }

        #[test]
        fn up_is_one_level_and_never_down(s in arb_severity()) {
            let up = s.up();
            prop_assert!(up >= s);
            prop_assert_eq!(up == s, s == Critical);
            let rank = |x: Severity| Severity::ALL.iter().rev().position(|y| *y == x).unwrap();
            prop_assert!(rank(up) - rank(s) <= 1);
        }

        #[test]
        fn drift_severity_never_falls_with_more_risk_or_a_stricter_class(
            class in arb_class(), other in arb_class(), a in arb_risk(), b in arb_risk(),
        ) {
            for status in [Drifted, Missing, Untracked] {
                if a <= b {
                    prop_assert!(drift_severity(class, status, a) <= drift_severity(class, status, b));
                }
                if class <= other {
                    prop_assert!(drift_severity(class, status, a) <= drift_severity(other, status, a));
                }
            }
            prop_assert_eq!(drift_severity(class, Missing, a), drift_severity(class, Drifted, Some(Risk::High)));
            prop_assert!(drift_severity(class, Untracked, a) >= drift_severity(class, Drifted, Some(Risk::Medium)));
        }

        #[test]
        fn ttl_ms_never_panics_and_is_hours(hours in any::<u64>(), s in arb_severity()) {
            let ttl = Ttl { critical: hours, high: hours, medium: hours, low: hours };
            let ms = ttl.ms(s);
            prop_assert!(ms >= 0);
            match i64::try_from(hours).ok().and_then(|h| h.checked_mul(H)) {
                Some(exact) => prop_assert_eq!(ms, exact),
                None => prop_assert_eq!(ms, i64::MAX),
            }
        }

        #[test]
        fn due_follows_its_rules(c in arb_clock(), policy in arb_policy(), now in -1_000_000_000_000i64..5_000_000_000_000) {
            let got = due(&c, &policy, now);
            let deadline = sla_deadline(&c, &policy);
            prop_assert_eq!(deadline, c.sla_started_at.saturating_add(policy.ttl_hours.ms(c.severity)));
            if c.state == IncidentState::Resolved {
                prop_assert_eq!(got, None);
            } else if now >= deadline {
                // Breach before reopen, one level at a time.
                prop_assert_eq!(got, Some(Due::Breach { to: c.severity.up() }));
            } else {
                let reopen = c.state == IncidentState::Acknowledged
                    && policy.ack_timeout_mins > 0
                    && now >= c.last_activity_at + policy.ack_timeout_mins as i64 * MIN;
                prop_assert_eq!(got, reopen.then_some(Due::Reopen));
            }
            if policy.ack_timeout_mins == 0 {
                prop_assert_ne!(got, Some(Due::Reopen));
            }
        }

        #[test]
        fn validation_refuses_exactly_the_zero_ttls(dev in arb_ttl(), staging in arb_ttl(), prod in arb_ttl()) {
            let mut policy = IncidentPolicy::default();
            policy.development.ttl_hours = dev;
            policy.staging.ttl_hours = staging;
            policy.production.ttl_hours = prod;
            let zero = [dev, staging, prod]
                .iter()
                .any(|t| [t.critical, t.high, t.medium, t.low].contains(&0));
            let checked = policy.validate();
            prop_assert_eq!(checked.is_err(), zero, "{:?}", checked);
            // What validation lets through round-trips through the editor's text.
            if !zero {
                prop_assert_eq!(IncidentPolicy::from_toml(&policy.to_toml()), Ok(policy));
            }
        }

        #[test]
        fn under_a_valid_policy_one_breach_is_due_per_ttl(
            c in arb_clock(), hours in (1u64..400, 1u64..400, 1u64..400, 1u64..400), class in arb_class(), now in 0i64..4_000_000_000_000,
        ) {
            let ttl = Ttl { critical: hours.0, high: hours.1, medium: hours.2, low: hours.3 };
            let mut policy = IncidentPolicy::default();
            policy.production.ttl_hours = ttl;
            policy.staging.ttl_hours = ttl;
            policy.development.ttl_hours = ttl;
            prop_assert_eq!(policy.validate(), Ok(()));
            let class_policy = policy.class(class);
            // What a breach leaves behind: the next level, its TTL starting now.
            if let Some(Due::Breach { to }) = due(&c, class_policy, now) {
                let after = Clock { severity: to, sla_started_at: now, ..c };
                let breach = |at| matches!(due(&after, class_policy, at), Some(Due::Breach { .. }));
                prop_assert!(!breach(now), "breached again at once");
                prop_assert!(!breach(now + HOUR_MS - 1), "breached again within the hour");
            }
        }

        #[test]
        fn only_a_resolve_resolves_and_a_resolved_incident_takes_notes_only(
            state in arb_state(), i in 0usize..5,
        ) {
            let action = Action::ALL[i];
            match transition(state, action) {
                Ok(next) => {
                    prop_assert_eq!(next == IncidentState::Resolved, action == Action::Resolve || state == IncidentState::Resolved);
                    if state == IncidentState::Resolved {
                        prop_assert_eq!(action, Action::Note);
                    }
                    if action == Action::Acknowledge {
                        prop_assert_eq!((state, next), (IncidentState::Open, IncidentState::Acknowledged));
                    }
                }
                Err(Refusal::Resolved) => prop_assert!(state == IncidentState::Resolved && action != Action::Note),
                Err(Refusal::AlreadyAcknowledged) => {
                    prop_assert_eq!((state, action), (IncidentState::Acknowledged, Action::Acknowledge));
                }
            }
        }

        #[test]
        fn spread_matches_the_definitions(mut values in prop::collection::vec(-1_000_000_000i64..1_000_000_000_000, 1..60)) {
            let original = values.clone();
            let s = spread(&mut values).unwrap();
            prop_assert_eq!(s.count, original.len());
            prop_assert_eq!(s.p50_ms, nearest_rank(&original, 50));
            prop_assert_eq!(s.p90_ms, nearest_rank(&original, 90));
            prop_assert!(s.p50_ms <= s.p90_ms);
            let sum: i128 = original.iter().map(|v| i128::from(*v)).sum();
            prop_assert_eq!(i128::from(s.mean_ms), sum / original.len() as i128);
            let (min, max) = (*original.iter().min().unwrap(), *original.iter().max().unwrap());
            prop_assert!(min <= s.mean_ms && s.mean_ms <= max);
        }

        #[test]
        fn stats_count_every_incident_of_the_period_once(
            raw in prop::collection::vec(
                (0usize..3, arb_severity(), 0i64..10_000, prop::option::of(0i64..5_000), prop::option::of(0i64..5_000)),
                0..40,
            ),
            from in 0i64..5_000,
            len in 0i64..10_000,
        ) {
            let envs = ["dev", "prod", "staging"];
            let incidents: Vec<Lived> = raw
                .iter()
                .map(|(e, s, at, ack, res)| lived(envs[*e], *s, *at, ack.map(|d| at + d), res.map(|d| at + d)))
                .collect();
            let to = from + len;
            let rows = stats(&incidents, from, to);
            let inside: Vec<&Lived> = incidents.iter().filter(|i| i.opened_at >= from && i.opened_at < to).collect();
            prop_assert_eq!(rows.iter().map(|r| r.opened).sum::<usize>(), inside.len());
            prop_assert_eq!(
                rows.iter().map(|r| r.resolved).sum::<usize>(),
                inside.iter().filter(|i| i.resolved_at.is_some()).count()
            );
            // Sorted by environment, then worst first, each group once.
            for pair in rows.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                prop_assert!(a.env < b.env || (a.env == b.env && a.severity > b.severity));
            }
            for r in &rows {
                let group: Vec<&&Lived> = inside.iter().filter(|i| i.env == r.env && i.severity == r.severity).collect();
                prop_assert_eq!(r.opened, group.len());
                prop_assert!(r.opened > 0);
                prop_assert_eq!(r.mtta.map_or(0, |s| s.count), group.iter().filter(|i| i.acknowledged_at.is_some()).count());
                prop_assert_eq!(r.mttr.map_or(0, |s| s.count), r.resolved);
            }
        }
    }
}
