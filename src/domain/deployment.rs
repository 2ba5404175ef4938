//! Deployments (promotions) and their states.

use serde::{Deserialize, Serialize};

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
}
