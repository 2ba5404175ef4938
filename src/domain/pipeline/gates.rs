//! Gate evaluation: pure functions over the facts the service gathers (drift statuses,
//! credentials, approvals, the time, a validation's outcome, the target's open
//! incidents).

use super::window::Windows;
use super::{Stage, Validation};
use crate::domain::drift::DriftStatus;
use crate::domain::incident::{IncidentKind, Severity};
use crate::domain::workflow::CredentialRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    Drift,
    Credentials,
    Approvals,
    Windows,
    Validation,
    /// Open incidents of the target at or above its class's `block_promotions_at`.
    Incidents,
}

impl GateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GateKind::Drift => "drift",
            GateKind::Credentials => "credentials",
            GateKind::Approvals => "approvals",
            GateKind::Windows => "windows",
            GateKind::Validation => "validation",
            GateKind::Incidents => "incidents",
        }
    }
}

impl std::fmt::Display for GateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateResult {
    pub gate: GateKind,
    pub passed: bool,
    pub detail: String,
}

/// Whether every gate passed (true for no gates).
pub fn all_passed(results: &[GateResult]) -> bool {
    results.iter().all(|r| r.passed)
}

/// A workflow to deploy that exists (or existed) in the target, with its drift status
/// there. Workflows new to the target are not listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftFact {
    /// How the requester names it when acknowledging (the service's choice; the
    /// canonical id is the stable one).
    pub workflow: String,
    pub status: DriftStatus,
}

/// Drift gate: every workflow IN_SYNC in the target, or its drift acknowledged.
/// DRIFTED, MISSING and UNTRACKED can be acknowledged; UNKNOWN (the target could not
/// be checked) cannot.
pub fn drift_gate(facts: &[DriftFact], acknowledged: &BTreeSet<String>) -> GateResult {
    let mut blocking = Vec::new();
    let mut acked = 0;
    for f in facts {
        match f.status {
            DriftStatus::InSync => {}
            DriftStatus::Unknown => blocking.push(format!("{} (unknown: not checked)", f.workflow)),
            _ if acknowledged.contains(&f.workflow) => acked += 1,
            s => blocking.push(format!("{} ({})", f.workflow, status_name(s))),
        }
    }
    let passed = blocking.is_empty();
    let detail = if !passed {
        format!(
            "{} workflow(s) not in sync in the target and not acknowledged: {}",
            blocking.len(),
            blocking.join(", ")
        )
    } else if acked > 0 {
        format!("in sync, {acked} drifted workflow(s) acknowledged")
    } else {
        "the target is in sync".to_owned()
    };
    GateResult {
        gate: GateKind::Drift,
        passed,
        detail,
    }
}

fn status_name(s: DriftStatus) -> &'static str {
    match s {
        DriftStatus::InSync => "IN_SYNC",
        DriftStatus::Drifted => "DRIFTED",
        DriftStatus::Missing => "MISSING",
        DriftStatus::Untracked => "UNTRACKED",
        DriftStatus::Unknown => "UNKNOWN",
    }
}

/// An open (OPEN or ACKNOWLEDGED) incident of the target, as the incidents gate
/// weighs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFact {
    pub id: i64,
    pub severity: Severity,
    pub kind: IncidentKind,
    /// The workflow's name; None for a whole-environment incident.
    pub workflow: Option<String>,
    /// On a workflow the promotion writes: the promotion is its fix, so it never blocks.
    pub written: bool,
}

impl IncidentFact {
    /// `#4 critical 'Orders' (drift)`; a whole-environment incident says so.
    pub fn label(&self) -> String {
        let what = match &self.workflow {
            Some(w) => format!("'{w}'"),
            None => "the whole environment".to_owned(),
        };
        format!(
            "#{} {} {what} ({})",
            self.id,
            self.severity,
            self.kind.as_str()
        )
    }
}

/// Incidents gate: no open incident of the target at or above `at`, other than those
/// on workflows the promotion writes. The blocking ones are named, worst first, then
/// by id. The service adds this gate only when the target's class sets
/// `block_promotions_at`.
pub fn incidents_gate(open: &[IncidentFact], at: Severity) -> GateResult {
    let mut blocking: Vec<&IncidentFact> = open
        .iter()
        .filter(|i| !i.written && i.severity >= at)
        .collect();
    blocking.sort_by_key(|i| (std::cmp::Reverse(i.severity), i.id));
    let passed = blocking.is_empty();
    let detail = if !passed {
        let names: Vec<String> = blocking.iter().map(|i| i.label()).collect();
        format!(
            "{} open incident(s) at or above {at} in the target: {}; resolve them first (or promote their fix)",
            blocking.len(),
            names.join(", ")
        )
    } else {
        let written = open.iter().filter(|i| i.written).count();
        let below = open
            .iter()
            .filter(|i| !i.written && i.severity < at)
            .count();
        let mut besides = Vec::new();
        if written > 0 {
            besides.push(format!(
                "{written} on workflow(s) this promotion writes, which it fixes"
            ));
        }
        if below > 0 {
            besides.push(format!("{below} below {at}"));
        }
        if besides.is_empty() {
            format!("no open incident at or above {at} in the target")
        } else {
            format!(
                "no open incident at or above {at} in the target to block it ({})",
                besides.join("; ")
            )
        }
    };
    GateResult {
        gate: GateKind::Incidents,
        passed,
        detail,
    }
}

/// A credential the workflows use that the target lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingCredential {
    /// As the source workflows reference it.
    pub source: CredentialRef,
    /// The name looked for in the target (mapped, else the same name), same type.
    pub target_name: String,
}

/// The required credentials with no credential of the same type and (mapped) name in
/// the target, in the order given.
pub fn missing_credentials(
    stage: &Stage,
    required: &[CredentialRef],
    target: &[CredentialRef],
) -> Vec<MissingCredential> {
    required
        .iter()
        .filter_map(|r| {
            let name = stage.target_credential_name(r);
            let present = target
                .iter()
                .any(|t| t.cred_type == r.cred_type && t.name == name);
            (!present).then(|| MissingCredential {
                source: r.clone(),
                target_name: name.to_owned(),
            })
        })
        .collect()
}

/// Credentials gate: every credential the workflows use exists in the target.
pub fn credentials_gate(
    stage: &Stage,
    required: &[CredentialRef],
    target: &[CredentialRef],
) -> GateResult {
    let missing = missing_credentials(stage, required, target);
    let detail = if missing.is_empty() {
        format!("all {} credential(s) exist in the target", required.len())
    } else {
        let list: Vec<String> = missing
            .iter()
            .map(|m| {
                if m.target_name == m.source.name {
                    format!("{} '{}'", m.source.cred_type, m.source.name)
                } else {
                    format!(
                        "{} '{}' (mapped to '{}')",
                        m.source.cred_type, m.source.name, m.target_name
                    )
                }
            })
            .collect();
        format!("missing in the target: {}", list.join(", "))
    };
    GateResult {
        gate: GateKind::Credentials,
        passed: missing.is_empty(),
        detail,
    }
}

/// Approvals gate: `required` distinct approvers other than the requester.
pub fn approvals_gate(approvers: &[String], requester: &str, required: u32) -> GateResult {
    let counted: BTreeSet<&str> = approvers
        .iter()
        .map(String::as_str)
        .filter(|a| *a != requester)
        .collect();
    let have = counted.len();
    let passed = have >= required as usize;
    let detail = if required == 0 {
        "no approval required".to_owned()
    } else {
        let who = if counted.is_empty() {
            String::new()
        } else {
            format!(" ({})", counted.into_iter().collect::<Vec<_>>().join(", "))
        };
        let self_note = if approvers.iter().any(|a| a == requester) {
            "; the requester's own approval does not count"
        } else {
            ""
        };
        format!("{have} of {required} approval(s){who}{self_note}")
    };
    GateResult {
        gate: GateKind::Approvals,
        passed,
        detail,
    }
}

/// Windows gate: decided at `now`.
pub fn windows_gate(windows: &Windows, now: DateTime<Utc>) -> GateResult {
    let d = windows.decide(now);
    GateResult {
        gate: GateKind::Windows,
        passed: d.allowed,
        detail: d.reason,
    }
}

/// What running a validation gave; the service runs it, the domain judges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ValidationOutcome {
    /// The command ended; `code` is None when a signal killed it. `output` is the tail
    /// of what it printed (the service bounds it).
    Exited { code: Option<i32>, output: String },
    /// The HTTP check answered with this status.
    Responded { status: u16 },
    /// It ran past its timeout and was stopped.
    TimedOut,
    /// It could not be run: the command did not start, the request did not connect.
    Error { message: String },
}

/// Longest command output a gate detail quotes (its tail).
const OUTPUT_TAIL_CHARS: usize = 400;

/// Validation gate: a command passes on exit code 0, an HTTP check on its expected
/// status; no outcome yet (not run) fails.
pub fn validation_gate(validation: &Validation, outcome: Option<&ValidationOutcome>) -> GateResult {
    let what = validation.describe();
    let (passed, detail) = match (validation, outcome) {
        (_, None) => (false, format!("{what} has not run")),
        (_, Some(ValidationOutcome::TimedOut)) => (
            false,
            format!("{what} timed out after {}s", validation.timeout_secs()),
        ),
        (_, Some(ValidationOutcome::Error { message })) => {
            (false, format!("{what} could not run: {message}"))
        }
        (Validation::Command { .. }, Some(ValidationOutcome::Exited { code, output })) => {
            let tail = tail(output.trim_end(), OUTPUT_TAIL_CHARS);
            let said = if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            };
            match code {
                Some(0) => (true, format!("{what} exited 0")),
                Some(c) => (false, format!("{what} exited {c}{said}")),
                None => (false, format!("{what} was killed by a signal{said}")),
            }
        }
        (Validation::Http { expect_status, .. }, Some(ValidationOutcome::Responded { status })) => {
            if status == expect_status {
                (true, format!("{what} answered {status}"))
            } else {
                (
                    false,
                    format!("{what} answered {status}, expected {expect_status}"),
                )
            }
        }
        (_, Some(other)) => (
            false,
            format!("{what}: outcome {other:?} does not fit this kind of check"),
        ),
    };
    GateResult {
        gate: GateKind::Validation,
        passed,
        detail,
    }
}

fn tail(s: &str, max_chars: usize) -> String {
    let count = s.chars().count();
    if count <= max_chars {
        s.to_owned()
    } else {
        let rest: String = s.chars().skip(count - max_chars).collect();
        format!("...{rest}")
    }
}

/// Everything the gates of one stage are judged on.
#[derive(Debug, Clone)]
pub struct GateFacts<'a> {
    pub drift: &'a [DriftFact],
    pub acknowledged: &'a BTreeSet<String>,
    /// Every credential the workflows to deploy reference.
    pub required_credentials: &'a [CredentialRef],
    /// The target environment's credentials (type and name matter).
    pub target_credentials: &'a [CredentialRef],
    pub approvers: &'a [String],
    pub requester: &'a str,
    pub now: DateTime<Utc>,
    pub validation: Option<&'a ValidationOutcome>,
}

/// The results of the gates the stage turns on, in the order drift, credentials,
/// approvals, windows, validation. Gates turned off give no result.
pub fn evaluate_all(stage: &Stage, facts: &GateFacts<'_>) -> Vec<GateResult> {
    let g = &stage.gates;
    let mut out = Vec::new();
    if g.drift {
        out.push(drift_gate(facts.drift, facts.acknowledged));
    }
    if g.credentials {
        out.push(credentials_gate(
            stage,
            facts.required_credentials,
            facts.target_credentials,
        ));
    }
    if g.approvals > 0 {
        out.push(approvals_gate(
            facts.approvers,
            facts.requester,
            g.approvals,
        ));
    }
    if let Some(w) = &g.windows {
        out.push(windows_gate(w, facts.now));
    }
    if let Some(v) = &g.validation {
        out.push(validation_gate(v, facts.validation));
    }
    out
}

#[cfg(test)]
mod incidents_tests {
    use super::*;

    fn fact(id: i64, severity: Severity, workflow: Option<&str>, written: bool) -> IncidentFact {
        IncidentFact {
            id,
            severity,
            kind: IncidentKind::Drift,
            workflow: workflow.map(str::to_owned),
            written,
        }
    }

    #[test]
    fn incidents_at_or_above_the_level_block_worst_first() {
        let mut whole = fact(9, Severity::High, None, false);
        whole.kind = IncidentKind::Executions;
        let open = [
            fact(2, Severity::Medium, Some("Billing"), false),
            whole,
            fact(4, Severity::Critical, Some("Orders"), false),
        ];
        let r = incidents_gate(&open, Severity::High);
        assert_eq!(r.gate, GateKind::Incidents);
        assert!(!r.passed);
        assert_eq!(
            r.detail,
            "2 open incident(s) at or above high in the target: #4 critical 'Orders' (drift), \
             #9 high the whole environment (executions); resolve them first (or promote their fix)"
        );
        // At critical only the critical one blocks.
        let r = incidents_gate(&open, Severity::Critical);
        assert!(
            !r.passed && r.detail.starts_with("1 open incident(s)"),
            "{r:?}"
        );
        assert!(!r.detail.contains("#9"), "{r:?}");
    }

    #[test]
    fn incidents_on_written_workflows_and_below_the_level_pass() {
        let open = [
            fact(4, Severity::Critical, Some("Orders"), true),
            fact(5, Severity::Low, Some("Billing"), false),
        ];
        let r = incidents_gate(&open, Severity::High);
        assert!(r.passed, "{r:?}");
        assert_eq!(
            r.detail,
            "no open incident at or above high in the target to block it \
             (1 on workflow(s) this promotion writes, which it fixes; 1 below high)"
        );
        let r = incidents_gate(&[], Severity::Medium);
        assert!(r.passed);
        assert_eq!(
            r.detail,
            "no open incident at or above medium in the target"
        );
    }
}
