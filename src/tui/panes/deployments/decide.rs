//! What can be done to a deployment in its state, the question asked first, the
//! request sent once the person said yes, and how the answer reads.
//!
//! | state | offered |
//! | --- | --- |
//! | PENDING_APPROVAL | approve, reject, cancel, replan |
//! | PENDING, APPROVED | cancel, replan |
//! | COMPLETED | roll back |
//! | anything else | nothing |

use super::Msg;
use crate::domain::deployment::DeploymentState;
use crate::domain::environment::EnvClass;
use crate::domain::promotion::PlanSummary;
use crate::service::{
    DeploymentCreated, DeploymentDecided, DeploymentDecision, DeploymentStarted, DeploymentView,
    EnvView, OpsResult,
};
use crate::tui::action::Action;
use crate::tui::pane::{Confirm, Cx};

/// The actions a deployment in `state` offers.
pub(super) fn allowed(state: DeploymentState) -> Vec<Action> {
    let mut actions = Vec::new();
    if state == DeploymentState::PendingApproval {
        actions.extend([Action::Approve, Action::Reject]);
    }
    if state.is_cancellable() {
        actions.push(Action::CancelDeployment);
    }
    if state.is_pending() {
        actions.push(Action::Replan);
    }
    if state == DeploymentState::Completed {
        actions.push(Action::Rollback);
    }
    actions
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Approve,
    Reject,
    Cancel,
    Replan,
    Rollback,
}

impl Verb {
    fn of(action: Action) -> Option<Verb> {
        Some(match action {
            Action::Approve => Verb::Approve,
            Action::Reject => Verb::Reject,
            Action::CancelDeployment => Verb::Cancel,
            Action::Replan => Verb::Replan,
            Action::Rollback => Verb::Rollback,
            _ => return None,
        })
    }

    fn word(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Reject => "reject",
            Verb::Cancel => "cancel",
            Verb::Replan => "replan",
            Verb::Rollback => "roll back",
        }
    }
}

/// One request about one deployment, as confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Request {
    pub verb: Verb,
    pub id: String,
    /// "staging -> production", for messages.
    pub route: String,
}

/// What the service answered.
pub(super) enum Outcome {
    Decided(OpsResult<DeploymentDecided>),
    Cancelled(OpsResult<DeploymentView>),
    /// Boxed: a replan's answer carries its whole preflight.
    Replanned(OpsResult<Box<DeploymentCreated>>),
    RolledBack(OpsResult<DeploymentStarted>),
}

/// "2 to create, 3 to update, 1 to delete" (what writes), or "nothing to write".
pub(super) fn writes(summary: &PlanSummary) -> String {
    let a = &summary.by_action;
    let parts: Vec<String> = [
        (a.create, "to create"),
        (a.update, "to update"),
        (a.delete, "to delete"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "nothing to write".to_owned()
    } else {
        parts.join(", ")
    }
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn is_production(env: &str, envs: &[EnvView]) -> bool {
    envs.iter()
        .any(|e| e.name == env && e.class == EnvClass::Production)
}

/// Asks before `action` on `d`. `counted` is the approvals the open detail counts (the
/// list's view has them too; the detail's are fresher).
pub(super) fn ask(
    action: Action,
    d: &DeploymentView,
    counted: Option<usize>,
    envs: &[EnvView],
    cx: &mut Cx,
) {
    let Some(verb) = Verb::of(action) else {
        return;
    };
    let route = super::draw::route(d);
    let request = Request {
        verb,
        id: d.id.clone(),
        route: route.clone(),
    };
    let production = is_production(&d.target_env, envs);
    let approvals = &d.approvals;
    let counted = counted.unwrap_or(approvals.counted.len());
    let (title, message, type_name) = match verb {
        Verb::Approve => {
            let completes = counted + 1 >= approvals.required;
            let then = match (completes, d.scheduled_for) {
                (true, Some(at)) => format!(
                    "Yours completes the approvals: it runs at {}.",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                (true, None) => format!(
                    "Yours completes the approvals: it runs at once, writing to {}.",
                    d.target_env
                ),
                (false, _) => format!(
                    "{} of {} approvals with yours.",
                    counted + 1,
                    approvals.required
                ),
            };
            (
                format!("Approve deployment {}", d.id),
                format!(
                    "Approve promoting {route} ({}) as planned (plan {})? Your approval counts \
                     for this plan only. {then}",
                    writes(&d.summary),
                    short_hash(&d.plan_hash)
                ),
                completes && d.scheduled_for.is_none() && production,
            )
        }
        Verb::Reject => (
            format!("Reject deployment {}", d.id),
            format!(
                "Reject promoting {route} ({})? It will not run; promoting again makes a new \
                 deployment.",
                writes(&d.summary)
            ),
            false,
        ),
        Verb::Cancel => (
            format!("Cancel deployment {}", d.id),
            format!(
                "Cancel promoting {route} ({}, {})? Nothing was written; it will not run.",
                writes(&d.summary),
                d.state
            ),
            false,
        ),
        Verb::Replan => {
            if counted == 0 {
                send(request, cx);
                return;
            }
            (
                format!("Replan deployment {}", d.id),
                format!(
                    "Fetch {} and {} again and plan {route} anew? The {counted} approval{} \
                     given so far no longer count{}.",
                    d.source_env,
                    d.target_env,
                    if counted == 1 { "" } else { "s" },
                    if counted == 1 { "s" } else { "" },
                ),
                false,
            )
        }
        Verb::Rollback => {
            let snapshot = d
                .snapshot
                .as_deref()
                .map_or("the snapshot".to_owned(), |s| format!("snapshot {s}"));
            let ask_name = if production {
                " Type its name to confirm."
            } else {
                ""
            };
            (
                format!("Roll back deployment {}", d.id),
                format!(
                    "Put the workflows deployment {} wrote to {} back as {snapshot} holds them \
                     (those it created go to the trash)? This runs as a new deployment.{ask_name}",
                    d.id, d.target_env
                ),
                production,
            )
        }
    };
    cx.confirm(Confirm {
        title,
        message,
        type_to_confirm: type_name.then(|| d.target_env.clone()),
        payload: Box::new(Msg::Confirmed(request)),
    });
}

/// Sends a confirmed request.
pub(super) fn send(request: Request, cx: &mut Cx) {
    cx.spawn(move |ops| async move {
        let id = request.id.clone();
        let outcome = match request.verb {
            Verb::Approve | Verb::Reject => Outcome::Decided(
                ops.deployment_decide(DeploymentDecision {
                    id,
                    approve: request.verb == Verb::Approve,
                    note: None,
                })
                .await,
            ),
            Verb::Cancel => Outcome::Cancelled(ops.deployment_cancel(id).await),
            Verb::Replan => Outcome::Replanned(ops.deployment_replan(id).await.map(Box::new)),
            Verb::Rollback => Outcome::RolledBack(ops.deployment_rollback(id).await),
        };
        Msg::Done {
            request,
            outcome: Box::new(outcome),
        }
    });
}

/// Says how it went; returns the job the request started (to watch) and the
/// deployment it recorded anew (a replan's), if any.
pub(super) fn answered(
    request: &Request,
    outcome: Outcome,
    cx: &mut Cx,
) -> (Option<String>, Option<String>) {
    let id = &request.id;
    let failed = |e: &dyn std::fmt::Display, cx: &mut Cx| {
        cx.error(format!(
            "could not {} deployment {id} ({}): {e}",
            request.verb.word(),
            request.route
        ));
    };
    match outcome {
        Outcome::Decided(Ok(decided)) => {
            let d = &decided.deployment;
            let message = match (&decided.job_id, request.verb) {
                (_, Verb::Reject) => format!("rejected deployment {id} ({})", request.route),
                (Some(job), _) => format!(
                    "approved deployment {id}: promoting {} as job {job}",
                    request.route
                ),
                (None, _) if d.state == DeploymentState::Approved => match d.scheduled_for {
                    Some(at) => format!(
                        "approved deployment {id}: it runs at {}",
                        at.format("%Y-%m-%d %H:%M UTC")
                    ),
                    None => format!("approved deployment {id}"),
                },
                (None, _) => format!(
                    "approved deployment {id}: {} of {} approvals",
                    d.approvals.counted.len(),
                    d.approvals.required
                ),
            };
            cx.info(message);
            (decided.job_id, None)
        }
        Outcome::Cancelled(Ok(_)) => {
            cx.info(format!("cancelled deployment {id} ({})", request.route));
            (None, None)
        }
        Outcome::Replanned(Ok(created)) => {
            let d = &created.deployment;
            let mut message = format!(
                "replanned deployment {id}: plan {}, {}",
                short_hash(&d.plan_hash),
                writes(&d.summary)
            );
            if d.id != *id {
                message.push_str(&format!(" (now deployment {})", d.id));
            }
            match &created.job_id {
                Some(job) => message.push_str(&format!("; running as job {job}")),
                None if d.approvals.required > 0 => message.push_str("; approvals start again"),
                None => {}
            }
            cx.info(message);
            (created.job_id.clone(), (d.id != *id).then(|| d.id.clone()))
        }
        Outcome::RolledBack(Ok(started)) => {
            cx.info(format!(
                "rolling back deployment {id} ({}): deployment {}, job {}",
                request.route, started.deployment_id, started.job_id
            ));
            (Some(started.job_id), None)
        }
        Outcome::Decided(Err(e)) => {
            failed(&e, cx);
            (None, None)
        }
        Outcome::Cancelled(Err(e)) => {
            failed(&e, cx);
            (None, None)
        }
        Outcome::Replanned(Err(e)) => {
            failed(&e, cx);
            (None, None)
        }
        Outcome::RolledBack(Err(e)) => {
            failed(&e, cx);
            (None, None)
        }
    }
}
