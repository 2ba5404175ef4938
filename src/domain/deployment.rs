//! Deployments (promotions) and their states: the state machine, what startup does
//! with one found running, and the approval rule.
//!
//! | from | event | to |
//! | --- | --- | --- |
//! | PENDING | Submit (no approval required) | APPROVED |
//! | PENDING | RequireApproval | PENDING_APPROVAL |
//! | PENDING_APPROVAL | Approve / Reject | APPROVED / REJECTED |
//! | PENDING_APPROVAL, APPROVED | Invalidate (the plan is stale) | PENDING |
//! | APPROVED | Start | RUNNING |
//! | RUNNING | Complete | COMPLETED |
//! | RUNNING | Fail, Interrupted | ROLLING_BACK |
//! | ROLLING_BACK | Interrupted (stopped again) | ROLLING_BACK |
//! | ROLLING_BACK | RolledBack / RollbackFailed | FAILED / ROLLBACK_FAILED |
//! | ROLLBACK_FAILED | RetryRollback | ROLLING_BACK |
//! | PENDING, PENDING_APPROVAL, APPROVED | Cancel | CANCELLED |
//!
//! Anything else is an [`InvalidTransition`]. Final: COMPLETED, FAILED, REJECTED,
//! CANCELLED. ROLLBACK_FAILED is not final: it needs a person.
//!
//! FAILED means the target was rolled back to its snapshot and verified. Rolling a
//! COMPLETED deployment back by request is a new promotion of its snapshot, not a
//! transition of this one.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A deployment's state. PENDING -> PENDING_APPROVAL -> APPROVED -> RUNNING ->
/// COMPLETED, or FAILED (rolled back), REJECTED, CANCELLED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentState {
    Pending,
    PendingApproval,
    Approved,
    Running,
    Completed,
    /// It failed and the target was rolled back to its snapshot.
    Failed,
    Rejected,
    Cancelled,
    /// A step failed or the run was interrupted: the target is being restored to the
    /// snapshot taken before the first write. Found at startup, the rollback resumes.
    RollingBack,
    /// The rollback itself could not complete or verify: the target may differ from its
    /// snapshot. Needs a person; `RetryRollback` tries again.
    RollbackFailed,
}

/// What happens to a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentEvent {
    /// Preflight passed and no approval is required.
    Submit,
    /// Preflight passed and the gates ask for approval.
    RequireApproval,
    /// The approval rule ([`approval_status`]) is met for the current plan hash.
    Approve,
    Reject,
    /// The plan is stale (either side changed): recompute it and submit again.
    Invalidate,
    /// Execution begins (now, or at its scheduled time, after the gates again).
    Start,
    /// Every workflow written and verified.
    Complete,
    /// A step failed: roll back.
    Fail,
    /// Found RUNNING or ROLLING_BACK at startup: n8nops stopped mid-way.
    Interrupted,
    /// The target was restored to its snapshot and verified.
    RolledBack,
    /// The rollback could not complete or verify.
    RollbackFailed,
    RetryRollback,
    Cancel,
}

impl DeploymentState {
    pub const ALL: [DeploymentState; 10] = [
        DeploymentState::Pending,
        DeploymentState::PendingApproval,
        DeploymentState::Approved,
        DeploymentState::Running,
        DeploymentState::Completed,
        DeploymentState::Failed,
        DeploymentState::Rejected,
        DeploymentState::Cancelled,
        DeploymentState::RollingBack,
        DeploymentState::RollbackFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Pending => "PENDING",
            DeploymentState::PendingApproval => "PENDING_APPROVAL",
            DeploymentState::Approved => "APPROVED",
            DeploymentState::Running => "RUNNING",
            DeploymentState::Completed => "COMPLETED",
            DeploymentState::Failed => "FAILED",
            DeploymentState::Rejected => "REJECTED",
            DeploymentState::Cancelled => "CANCELLED",
            DeploymentState::RollingBack => "ROLLING_BACK",
            DeploymentState::RollbackFailed => "ROLLBACK_FAILED",
        }
    }

    /// The state after `event`, or the error naming both.
    pub fn next(self, event: DeploymentEvent) -> Result<DeploymentState, InvalidTransition> {
        use DeploymentEvent as E;
        use DeploymentState as S;
        let next = match (self, event) {
            (S::Pending, E::Submit) => S::Approved,
            (S::Pending, E::RequireApproval) => S::PendingApproval,
            (S::PendingApproval, E::Approve) => S::Approved,
            (S::PendingApproval, E::Reject) => S::Rejected,
            (S::PendingApproval | S::Approved, E::Invalidate) => S::Pending,
            (S::Approved, E::Start) => S::Running,
            (S::Running, E::Complete) => S::Completed,
            (S::Running, E::Fail | E::Interrupted) => S::RollingBack,
            (S::RollingBack, E::Interrupted) => S::RollingBack,
            (S::RollingBack, E::RolledBack) => S::Failed,
            (S::RollingBack, E::RollbackFailed) => S::RollbackFailed,
            (S::RollbackFailed, E::RetryRollback) => S::RollingBack,
            (s, E::Cancel) if s.is_cancellable() => S::Cancelled,
            (from, event) => return Err(InvalidTransition { from, event }),
        };
        Ok(next)
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeploymentState::Completed
                | DeploymentState::Failed
                | DeploymentState::Rejected
                | DeploymentState::Cancelled
        )
    }

    /// Not started yet: PENDING, PENDING_APPROVAL and APPROVED (an approved deployment
    /// may wait for its scheduled time).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            DeploymentState::Pending | DeploymentState::PendingApproval | DeploymentState::Approved
        )
    }

    /// Only a deployment that has not started can be cancelled: once it writes, the way
    /// out is the rollback.
    pub fn is_cancellable(self) -> bool {
        self.is_pending()
    }

    /// What startup does with a deployment in this state.
    pub fn on_startup(self) -> StartupAction {
        match self {
            // The process that ran it is gone: whatever it wrote is undone.
            DeploymentState::Running | DeploymentState::RollingBack => StartupAction::Rollback,
            _ => StartupAction::Nothing,
        }
    }
}

impl fmt::Display for DeploymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DeploymentEvent {
    pub const ALL: [DeploymentEvent; 13] = [
        DeploymentEvent::Submit,
        DeploymentEvent::RequireApproval,
        DeploymentEvent::Approve,
        DeploymentEvent::Reject,
        DeploymentEvent::Invalidate,
        DeploymentEvent::Start,
        DeploymentEvent::Complete,
        DeploymentEvent::Fail,
        DeploymentEvent::Interrupted,
        DeploymentEvent::RolledBack,
        DeploymentEvent::RollbackFailed,
        DeploymentEvent::RetryRollback,
        DeploymentEvent::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentEvent::Submit => "submit",
            DeploymentEvent::RequireApproval => "require approval",
            DeploymentEvent::Approve => "approve",
            DeploymentEvent::Reject => "reject",
            DeploymentEvent::Invalidate => "invalidate",
            DeploymentEvent::Start => "start",
            DeploymentEvent::Complete => "complete",
            DeploymentEvent::Fail => "fail",
            DeploymentEvent::Interrupted => "interrupted",
            DeploymentEvent::RolledBack => "rolled back",
            DeploymentEvent::RollbackFailed => "rollback failed",
            DeploymentEvent::RetryRollback => "retry rollback",
            DeploymentEvent::Cancel => "cancel",
        }
    }
}

impl fmt::Display for DeploymentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What startup does with a deployment it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartupAction {
    Nothing,
    /// It was interrupted: send `Interrupted`, then roll the target back to the
    /// deployment's snapshot and verify (`RolledBack` / `RollbackFailed`).
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a deployment in state {from} cannot {event}")]
pub struct InvalidTransition {
    pub from: DeploymentState,
    pub event: DeploymentEvent,
}

/// One approval: who approved which plan hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub approver: String,
    pub plan_hash: String,
}

/// Where the approvals of a deployment stand against its current plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStatus {
    pub approved: bool,
    pub required: usize,
    /// Distinct approvers of the current plan hash, other than the requester, sorted.
    pub counted: Vec<String>,
    /// Approvers whose only approvals are of another plan hash (stale), sorted.
    pub stale: Vec<String>,
    /// The requester approved their own deployment: it does not count.
    pub self_approved: bool,
}

/// The approval rule: approved when `required` distinct approvers other than the
/// requester approved `plan_hash`. An approval of another hash is stale and does not
/// count; approving twice counts once. Zero required is approved at once.
pub fn approval_status(
    requester: &str,
    required: usize,
    plan_hash: &str,
    approvals: &[Approval],
) -> ApprovalStatus {
    let mut counted = BTreeSet::new();
    let mut others = BTreeSet::new();
    let mut self_approved = false;
    for a in approvals {
        if a.approver == requester {
            self_approved = true;
        } else if a.plan_hash == plan_hash {
            counted.insert(a.approver.clone());
        } else {
            others.insert(a.approver.clone());
        }
    }
    let stale = others.difference(&counted).cloned().collect();
    ApprovalStatus {
        approved: counted.len() >= required,
        required,
        counted: counted.into_iter().collect(),
        stale,
        self_approved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeploymentEvent as E;
    use DeploymentState as S;

    /// Every valid transition; every other (state, event) pair must be refused.
    const VALID: &[(S, E, S)] = &[
        (S::Pending, E::Submit, S::Approved),
        (S::Pending, E::RequireApproval, S::PendingApproval),
        (S::Pending, E::Cancel, S::Cancelled),
        (S::PendingApproval, E::Approve, S::Approved),
        (S::PendingApproval, E::Reject, S::Rejected),
        (S::PendingApproval, E::Invalidate, S::Pending),
        (S::PendingApproval, E::Cancel, S::Cancelled),
        (S::Approved, E::Start, S::Running),
        (S::Approved, E::Invalidate, S::Pending),
        (S::Approved, E::Cancel, S::Cancelled),
        (S::Running, E::Complete, S::Completed),
        (S::Running, E::Fail, S::RollingBack),
        (S::Running, E::Interrupted, S::RollingBack),
        (S::RollingBack, E::Interrupted, S::RollingBack),
        (S::RollingBack, E::RolledBack, S::Failed),
        (S::RollingBack, E::RollbackFailed, S::RollbackFailed),
        (S::RollbackFailed, E::RetryRollback, S::RollingBack),
    ];

    #[test]
    fn transitions_table() {
        let mut invalid = 0;
        for from in S::ALL {
            for event in E::ALL {
                let expected = VALID
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match (from.next(event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {event}"),
                    (Err(err), None) => {
                        invalid += 1;
                        assert_eq!(err, InvalidTransition { from, event });
                    }
                    (got, want) => panic!("{from} + {event}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(invalid, S::ALL.len() * E::ALL.len() - VALID.len());
        assert_eq!(
            S::Completed.next(E::Cancel).unwrap_err().to_string(),
            "a deployment in state COMPLETED cannot cancel"
        );
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in S::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(E::ALL.iter().all(|e| s.next(*e).is_err()), "{s}");
        }
        let finals: Vec<S> = S::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [S::Completed, S::Failed, S::Rejected, S::Cancelled]);
    }

    #[test]
    fn only_pending_ones_can_be_cancelled() {
        let cancellable: Vec<S> = S::ALL.into_iter().filter(|s| s.is_cancellable()).collect();
        assert_eq!(cancellable, [S::Pending, S::PendingApproval, S::Approved]);
        assert!(S::Running.next(E::Cancel).is_err());
    }

    #[test]
    fn a_running_deployment_found_at_startup_is_rolled_back() {
        assert_eq!(S::Running.on_startup(), StartupAction::Rollback);
        assert_eq!(S::RollingBack.on_startup(), StartupAction::Rollback);
        for s in S::ALL
            .into_iter()
            .filter(|s| !matches!(s, S::Running | S::RollingBack))
        {
            assert_eq!(s.on_startup(), StartupAction::Nothing, "{s}");
        }
        // The path startup takes: interrupted, rolled back, failed.
        let s = S::Running.next(E::Interrupted).unwrap();
        let s = s.next(E::Interrupted).unwrap();
        assert_eq!(s.next(E::RolledBack).unwrap(), S::Failed);
    }

    #[test]
    fn states_serialize_screaming() {
        for s in S::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    fn approval(who: &str, hash: &str) -> Approval {
        Approval {
            approver: who.into(),
            plan_hash: hash.into(),
        }
    }

    #[test]
    fn approvals_count_distinct_others_on_the_current_hash() {
        let approvals = [
            approval("alice", "h2"),
            approval("alice", "h2"),
            approval("req", "h2"),
            approval("bob", "h1"),
            approval("carol", "h1"),
            approval("carol", "h2"),
        ];
        let st = approval_status("req", 2, "h2", &approvals);
        assert!(st.approved);
        assert_eq!(st.counted, ["alice", "carol"]);
        assert_eq!(st.stale, ["bob"]);
        assert!(st.self_approved);
        // Three needed: a duplicate, the requester and a stale approval do not make it.
        assert!(!approval_status("req", 3, "h2", &approvals).approved);
        // After the plan changed, every approval is stale.
        let st = approval_status("req", 1, "h3", &approvals);
        assert!(!st.approved);
        assert!(st.counted.is_empty());
        assert_eq!(st.stale, ["alice", "bob", "carol"]);
        // None required.
        assert!(approval_status("req", 0, "h3", &[]).approved);
        // Only the requester approved.
        assert!(!approval_status("req", 1, "h2", &[approval("req", "h2")]).approved);
    }
}
