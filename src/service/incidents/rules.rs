//! What may be done to an incident, ruled in one place: the lifecycle's changes (the
//! domain's [`transition`]), revert, accept, diff and the fix promotion. The
//! operations refuse by these rules and the views offer by them ([`offered`]), so a
//! face never offers what the service would refuse.

use super::super::types::Offered;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::{described, when};
use crate::domain::incident::{Action, IncidentKind, IncidentState, Refusal, transition};
use crate::store::incidents::IncidentRow;

/// How messages name an incident: `incident #4 ('Orders' in 'prod')`.
pub(super) fn named(row: &IncidentRow) -> String {
    format!("incident #{} {}", row.id, described(row))
}

/// The workflow's name in messages (its key when it has none).
pub(super) fn workflow_name(row: &IncidentRow) -> String {
    row.workflow.clone().unwrap_or_else(|| row.key.clone())
}

/// The state `row` is in after `action`, or the lifecycle's refusal in words
/// (Conflict, naming the incident).
pub(super) fn lifecycle(row: &IncidentRow, action: Action) -> OpsResult<IncidentState> {
    transition(row.state, action).map_err(|refusal| {
        let message = match refusal {
            Refusal::Resolved => format!(
                "{} is resolved (by {} at {}): only notes can be added to it",
                named(row),
                row.resolved_by.as_deref().unwrap_or("someone"),
                row.resolved_at.map(when).unwrap_or_default()
            ),
            Refusal::AlreadyAcknowledged => format!(
                "{} is already acknowledged by {}",
                named(row),
                row.acknowledged_by.as_deref().unwrap_or("someone")
            ),
        };
        OpsError::new(ErrorKind::Conflict, message)
    })
}

/// The error of an operation on a kind of incident it does not apply to.
pub(super) fn not_for(row: &IncidentRow, what: &str) -> OpsError {
    OpsError::invalid(format!(
        "{} is about failing executions: it cannot be {what}",
        named(row)
    ))
}

/// A drift incident still open, or why it cannot be `what`.
fn open_drift(row: &IncidentRow, what: &str) -> OpsResult<()> {
    if row.kind != IncidentKind::Drift {
        return Err(not_for(row, what));
    }
    if row.state == IncidentState::Resolved {
        return Err(OpsError::new(
            ErrorKind::Conflict,
            format!("{} is resolved: it cannot be {what}", named(row)),
        ));
    }
    Ok(())
}

/// The canonical id a revert puts back: an open drift incident with a canonical
/// version (DRIFTED, MISSING). UNTRACKED workflows have none.
pub(super) fn revert_target(row: &IncidentRow) -> OpsResult<String> {
    open_drift(row, "reverted")?;
    row.canonical_id.clone().ok_or_else(|| {
        OpsError::invalid(format!(
            "incident #{}: '{}' is not in the canonical state of '{}': accept it instead, or delete it",
            row.id,
            workflow_name(row),
            row.env
        ))
    })
}

/// The n8n id an accept records: an open drift incident on a workflow n8n knows (or
/// knew, for a MISSING one).
pub(super) fn accept_target(row: &IncidentRow) -> OpsResult<String> {
    open_drift(row, "accepted")?;
    row.n8n_id.clone().ok_or_else(|| {
        OpsError::invalid(format!(
            "incident #{}: '{}' has no n8n id to accept",
            row.id,
            workflow_name(row)
        ))
    })
}

/// Drift incidents have a diff (canonical against live), open or resolved.
pub(super) fn diffable(row: &IncidentRow) -> OpsResult<()> {
    match row.kind {
        IncidentKind::Drift => Ok(()),
        IncidentKind::Executions => Err(not_for(row, "diffed")),
    }
}

/// What a face may offer on `row`; `promotable`: a pipeline stage leads into its
/// environment (a fix can be promoted while it is open).
pub(super) fn offered(row: &IncidentRow, promotable: bool) -> Offered {
    let may = |action: Action| transition(row.state, action).is_ok();
    Offered {
        acknowledge: may(Action::Acknowledge),
        resolve: may(Action::Resolve),
        note: may(Action::Note),
        assign: may(Action::Assign),
        severity: may(Action::SetSeverity),
        revert: revert_target(row).is_ok(),
        accept: accept_target(row).is_ok(),
        promote: promotable && row.state.is_open(),
        diff: diffable(row).is_ok(),
    }
}
