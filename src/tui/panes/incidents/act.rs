//! What can be done to an incident, the question asked first where it changes an
//! instance or the canonical state, the request sent, and how the answer reads.
//!
//! What is offered is the service's word (`IncidentView.offered`): the pane lists those
//! actions and no others. Revert asks first (on production, or an environment whose
//! class is not known, type its name) and starts a restore job; accept asks first.
//! Acknowledge, assign, notes and resolve change only the incident.

use super::Msg;
use super::format::named;
use crate::domain::drift::DriftStatus;
use crate::domain::environment::EnvClass;
use crate::domain::incident::Severity;
use crate::service::{
    IncidentChange, IncidentRemediated, IncidentUpdate, IncidentView, Offered, OpsResult,
};
use crate::tui::action::Action;
use crate::tui::pane::{Confirm, Cx};

/// The actions the service offers for an incident, in the footer's order.
pub(super) fn offered(i: &IncidentView) -> Vec<Action> {
    let Offered {
        acknowledge,
        resolve,
        note,
        assign,
        severity: _,
        revert,
        accept,
        promote,
        diff,
    } = i.offered;
    [
        (acknowledge, Action::Acknowledge),
        (resolve, Action::Resolve),
        (note, Action::Note),
        (assign, Action::Assign),
        (diff, Action::IncidentDiff),
        (revert, Action::Revert),
        (accept, Action::Accept),
        (promote, Action::Promote),
    ]
    .into_iter()
    .filter_map(|(on, action)| on.then_some(action))
    .collect()
}

/// Whether a revert asks for the environment's name: production, or a class not known
/// (the environment is gone), which is treated as production.
fn asks_for_name(i: &IncidentView) -> bool {
    i.env_class.is_none_or(|c| c == EnvClass::Production)
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

/// Asks before a revert or an accept; the answer comes back as `Msg::Confirmed`.
pub(super) fn ask(verb: Verb, i: &IncidentView, cx: &mut Cx) {
    let what = named(i);
    let workflow = i.workflow.as_deref().unwrap_or("the workflow");
    let (title, message, type_name) = match verb {
        Verb::Revert => {
            let by_name = asks_for_name(i);
            let how = match i.drift_status {
                Some(DriftStatus::Missing) => "created again",
                _ => "put back",
            };
            let ask_name = if by_name {
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
                by_name,
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
