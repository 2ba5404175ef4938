//! What can be done to an incident in its state, the question asked first where it
//! changes an instance or the canonical state, the request sent, and how the answer
//! reads.
//!
//! | incident | offered |
//! | --- | --- |
//! | OPEN | acknowledge, resolve, note, assign; drift: diff, accept live, revert (not UNTRACKED); a workflow: promote the fix |
//! | ACKNOWLEDGED | the same without acknowledge |
//! | RESOLVED | note; drift: diff |
//!
//! Revert asks first (production: type its name) and starts a restore job; accept asks
//! first. Acknowledge, assign, notes and resolve change only the incident.

use super::Msg;
use super::format::named;
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::{IncidentKind, IncidentState, Severity};
use crate::service::{
    EnvView, IncidentChange, IncidentRemediated, IncidentUpdate, IncidentView, OpsResult,
};
use crate::tui::action::Action;
use crate::tui::pane::{Confirm, Cx};

/// The actions an incident offers, in the footer's order.
pub(super) fn offered(i: &IncidentView) -> Vec<Action> {
    let drift = i.kind == IncidentKind::Drift;
    let mut actions = Vec::new();
    if i.state == IncidentState::Open {
        actions.push(Action::Acknowledge);
    }
    if i.state.is_open() {
        actions.push(Action::Resolve);
    }
    actions.push(Action::Note);
    if i.state.is_open() {
        actions.push(Action::Assign);
    }
    if drift {
        actions.push(Action::IncidentDiff);
    }
    if drift && i.state.is_open() {
        if revertible(i) {
            actions.push(Action::Revert);
        }
        actions.push(Action::Accept);
    }
    if i.state.is_open() && i.workflow.is_some() {
        actions.push(Action::Promote);
    }
    actions
}

/// A drift incident the canonical state knows (DRIFTED or MISSING): an UNTRACKED
/// workflow has no canonical version to go back to.
fn revertible(i: &IncidentView) -> bool {
    i.canonical_id.is_some() && i.drift_status != Some(DriftStatus::Untracked)
}

/// What is asked of the service about one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verb {
    Acknowledge,
    Resolve(String),
    Note(String),
    /// None unassigns.
    Assign(Option<String>),
    Severity(Severity),
    Revert,
    Accept,
}

impl Verb {
    fn word(&self) -> &'static str {
        match self {
            Verb::Acknowledge => "acknowledge",
            Verb::Resolve(_) => "resolve",
            Verb::Note(_) => "add a note to",
            Verb::Assign(_) => "assign",
            Verb::Severity(_) => "change the severity of",
            Verb::Revert => "revert",
            Verb::Accept => "accept the live change of",
        }
    }
}

/// One request about one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Request {
    pub id: i64,
    /// `#4 'Order sync' in production`, for messages.
    pub named: String,
    pub verb: Verb,
    /// The note editor it came from (its answer closes it, or shows there).
    pub editor: Option<u64>,
}

impl Request {
    pub fn new(i: &IncidentView, verb: Verb) -> Request {
        Request {
            id: i.id,
            named: named(i),
            verb,
            editor: None,
        }
    }
}

/// What the service answered.
pub(super) enum Outcome {
    Updated(OpsResult<IncidentView>),
    Remediated(OpsResult<IncidentRemediated>),
}

fn is_production(env: &str, envs: &[EnvView]) -> bool {
    envs.iter()
        .any(|e| e.name == env && e.class == EnvClass::Production)
}

/// Asks before a revert or an accept; the answer comes back as `Msg::Confirmed`.
pub(super) fn ask(verb: Verb, i: &IncidentView, envs: &[EnvView], cx: &mut Cx) {
    let what = named(i);
    let workflow = i.workflow.as_deref().unwrap_or("the workflow");
    let (title, message, type_name) = match verb {
        Verb::Revert => {
            let production = is_production(&i.env, envs);
            let how = match i.drift_status {
                Some(DriftStatus::Missing) => "created again",
                _ => "put back",
            };
            let ask_name = if production {
                " Type its name to confirm."
            } else {
                ""
            };
            (
                format!("Revert incident #{}", i.id),
                format!(
                    "'{workflow}' is {how} in {} as the canonical state has it (incident {what}). \
                     {} is snapshotted first; the live change is lost from the instance. \
                     The incident resolves when the restore succeeds.{ask_name}",
                    i.env, i.env
                ),
                production,
            )
        }
        Verb::Accept => (
            format!("Accept incident #{}", i.id),
            format!(
                "Take the live '{workflow}' of {} into the canonical state (a commit naming you), \
                 and resolve incident {what}? The instance is not changed.",
                i.env
            ),
            false,
        ),
        _ => return,
    };
    cx.confirm(Confirm {
        title,
        message,
        type_to_confirm: type_name.then(|| i.env.clone()),
        payload: Box::new(Msg::Confirmed(Request::new(i, verb))),
    });
}

/// Sends a request (confirmed where it needed to be).
pub(super) fn send(request: Request, cx: &mut Cx) {
    cx.spawn(move |ops| async move {
        let id = request.id;
        let update = |change| IncidentUpdate { id, change };
        let outcome = match &request.verb {
            Verb::Acknowledge => Outcome::Updated(
                ops.incident_update(update(IncidentChange::Acknowledge { note: None }))
                    .await,
            ),
            Verb::Resolve(note) => Outcome::Updated(
                ops.incident_update(update(IncidentChange::Resolve { note: note.clone() }))
                    .await,
            ),
            Verb::Note(text) => Outcome::Updated(
                ops.incident_update(update(IncidentChange::Note { text: text.clone() }))
                    .await,
            ),
            Verb::Assign(user) => Outcome::Updated(
                ops.incident_update(update(IncidentChange::Assign { user: user.clone() }))
                    .await,
            ),
            Verb::Severity(severity) => Outcome::Updated(
                ops.incident_update(update(IncidentChange::Severity {
                    severity: *severity,
                }))
                .await,
            ),
            Verb::Revert => Outcome::Remediated(ops.incident_revert(id, true).await),
            Verb::Accept => Outcome::Remediated(ops.incident_accept(id).await),
        };
        Msg::Done {
            request,
            outcome: Box::new(outcome),
        }
    });
}

/// Says how it went; the error when it failed (a note editor keeps it to show).
pub(super) fn answered(request: &Request, outcome: Outcome, cx: &mut Cx) -> Result<(), String> {
    let what = &request.named;
    let said = match outcome {
        Outcome::Updated(Ok(i)) => match &request.verb {
            Verb::Acknowledge => format!("acknowledged incident {what}"),
            Verb::Resolve(_) => format!("resolved incident {what}"),
            Verb::Note(_) => format!("noted on incident {what}"),
            Verb::Assign(Some(user)) => format!("assigned incident {what} to {user}"),
            Verb::Assign(None) => format!("unassigned incident {what}"),
            Verb::Severity(_) => format!("incident {what} is now {}", i.severity),
            Verb::Revert | Verb::Accept => format!("incident {what}: {}", i.state),
        },
        Outcome::Remediated(Ok(done)) => match (&request.verb, &done.job_id, &done.commit) {
            (Verb::Revert, Some(job), _) => format!(
                "reverting incident {what} to canonical: restore job {job} (snapshot first; \
                 the incident resolves when it succeeds)"
            ),
            (Verb::Accept, _, Some(commit)) => format!(
                "accepted the live change of incident {what}: commit {}; resolved",
                commit.get(..12).unwrap_or(commit)
            ),
            _ => format!("incident {what}: {}", done.incident.state),
        },
        Outcome::Updated(Err(e)) | Outcome::Remediated(Err(e)) => {
            let message = format!("could not {} incident {what}: {e}", request.verb.word());
            cx.error(message.clone());
            return Err(e.message);
        }
    };
    cx.info(said);
    Ok(())
}
