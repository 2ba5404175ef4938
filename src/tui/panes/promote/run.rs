//! Steps 6 to 8: the question (on production, the environment's name typed in full),
//! the promotion's job followed through its events, and the deployment as it ended.
//!
//! Events of the job can arrive before `promote` answers with its id: while that call
//! is out, events of jobs not known are kept (a bounded few) and replayed once the id
//! is known. The job is also read from the store once, for whatever its events did
//! not say before the wizard was listening.
//!
//! The job reports phases (`fetching`, `automatic snapshot`, `writing`, …) as progress
//! events; while writing, each event is named after the workflow just written, which
//! marks that workflow done. Each workflow also shows the last log line naming it.

use super::choices::Route;
use super::fetch::Fetch;
use super::{Msg, PromotePane, Step};
use crate::domain::deployment::DeploymentState;
use crate::domain::environment::EnvClass;
use crate::domain::job::{JobState, LogLevel};
use crate::domain::promotion::{Plan, PlanSummary};
use crate::service::{
    DeploymentCreate, DeploymentCreated, DeploymentDetail, Event, EventBody, JobDetail, OpsResult,
    Preflight, PromotionReport,
};
use crate::tui::pane::{Confirm, Cx, Nav, PaneKind};
use std::collections::{BTreeSet, VecDeque};

/// The phase the job writes workflows in: its later progress events are named after
/// each workflow written, and count towards this one.
const WRITING: &str = "writing";
/// Log lines kept for the tail.
const LOG_KEEP: usize = 200;
/// Events of unknown jobs kept while `promote` has not answered.
const EARLY_KEEP: usize = 256;

/// One phase of the job as its progress events report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Phase {
    pub name: String,
    pub done: u64,
    pub total: u64,
}

/// A promotion from the moment it was confirmed.
pub(super) struct Run {
    /// Answers about another run (an older one) are dropped.
    pub generation: u64,
    /// None while `promote` has not answered.
    pub created: Option<Box<DeploymentCreated>>,
    pub job_id: Option<String>,
    /// Phases in the order first seen.
    pub phases: Vec<Phase>,
    /// Workflows the job reported written (a progress event named after each).
    pub written: BTreeSet<String>,
    pub log: VecDeque<(LogLevel, String)>,
    /// Set when the job finished.
    pub job_state: Option<JobState>,
    pub job_error: Option<String>,
    /// The job's result, when it is a promotion report.
    pub report: Option<Box<PromotionReport>>,
    /// The deployment read after the job finished (or on `ctrl-r`).
    pub result: Fetch<DeploymentDetail>,
    early: Vec<Event>,
}

impl Run {
    pub(super) fn new(generation: u64) -> Run {
        Run {
            generation,
            created: None,
            job_id: None,
            phases: Vec::new(),
            written: BTreeSet::new(),
            log: VecDeque::new(),
            job_state: None,
            job_error: None,
            report: None,
            result: Fetch::default(),
            early: Vec::new(),
        }
    }

    /// `promote` is out, or its job has not finished.
    pub fn is_running(&self) -> bool {
        self.created.is_none() || (self.job_id.is_some() && self.job_state.is_none())
    }

    pub fn deployment_id(&self) -> Option<&str> {
        self.created.as_ref().map(|c| c.deployment.id.as_str())
    }

    /// Applies one event of the job; true when it says the job finished.
    pub(super) fn apply(&mut self, event: &Event) -> bool {
        match &event.body {
            EventBody::Started { .. } => false,
            EventBody::Progress { phase, done, total } => {
                // While writing, the phase is the workflow just written.
                let workflow = self
                    .created
                    .as_ref()
                    .is_some_and(|c| c.preflight.plan.writes().any(|i| i.name == *phase));
                let name = if workflow {
                    self.written.insert(phase.clone());
                    WRITING
                } else {
                    phase.as_str()
                };
                match self.phases.iter_mut().find(|p| p.name == name) {
                    Some(p) => (p.done, p.total) = (*done, *total),
                    None => self.phases.push(Phase {
                        name: name.to_owned(),
                        done: *done,
                        total: *total,
                    }),
                }
                false
            }
            EventBody::Log { level, message } => {
                self.push_log(*level, message.clone());
                false
            }
            EventBody::Finished {
                state,
                result,
                error,
            } => {
                self.finish(*state, result.clone(), error.clone());
                true
            }
            EventBody::Incident { .. } => false,
        }
    }

    fn push_log(&mut self, level: LogLevel, message: String) {
        self.log.push_back((level, message));
        while self.log.len() > LOG_KEEP {
            self.log.pop_front();
        }
    }

    fn finish(
        &mut self,
        state: JobState,
        result: Option<serde_json::Value>,
        error: Option<String>,
    ) {
        self.job_state = Some(state);
        self.job_error = error;
        self.report = result
            .and_then(|v| serde_json::from_value::<PromotionReport>(v).ok())
            .map(Box::new);
    }

    /// The last log line that names `workflow`: how far that workflow got.
    pub fn last_word_on(&self, workflow: &str) -> Option<&(LogLevel, String)> {
        self.log.iter().rev().find(|(_, m)| m.contains(workflow))
    }
}

/// "2 to create · 3 to update · 1 held", what a plan does.
pub(super) fn summary_words(summary: &PlanSummary) -> String {
    let a = &summary.by_action;
    let mut parts: Vec<String> = [
        (a.create, "to create"),
        (a.update, "to update"),
        (a.delete, "to delete"),
        (a.hold, "held (TARGET_HOTFIX kept)"),
        (a.skip, "skipped"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| format!("{n} {w}"))
    .collect();
    if summary.overrides > 0 {
        parts.push(format!(
            "{} hotfix(es) overwritten by override",
            summary.overrides
        ));
    }
    if parts.is_empty() {
        "no workflow".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// What promoting does, in words, for the confirm step and the question; `fixes`: the
/// incident it fixes.
pub(super) fn what_happens(
    route: &Route,
    preflight: &Preflight,
    fixes: Option<i64>,
) -> Vec<String> {
    let plan: &Plan = &preflight.plan;
    let writes = plan.writes().count();
    let via = match &route.pipeline {
        Some(p) => format!(" through pipeline {p}"),
        None => " (no pipeline: the default gates)".to_owned(),
    };
    let mut lines = vec![
        format!(
            "Promote {writes} workflow(s) from {} to {}{via}: {}.",
            route.from,
            route.to,
            summary_words(&plan.summary())
        ),
        format!(
            "{} is snapshotted first; if any write or check fails, it is rolled back to that snapshot.",
            route.to
        ),
    ];
    let approvals = preflight.stage.as_ref().map_or(0, |s| s.gates.approvals);
    if approvals > 0 {
        lines.push(format!(
            "The stage needs {approvals} approval(s) from people other than you: the deployment waits as PENDING_APPROVAL until then."
        ));
    } else {
        lines.push("No approval is needed: it runs at once.".to_owned());
    }
    let failing: Vec<&str> = preflight
        .gates
        .iter()
        .filter(|g| !g.passed && g.gate != crate::domain::pipeline::GateKind::Approvals)
        .map(|g| g.gate.as_str())
        .collect();
    if !failing.is_empty() {
        lines.push(format!(
            "The {} gate(s) fail: the service may refuse it (see Gates).",
            failing.join(", ")
        ));
    }
    if let Some(id) = fixes {
        lines.push(format!(
            "It fixes incident #{id}: the incident's timeline records the deployment."
        ));
    }
    lines
}

impl PromotePane {
    /// Whether `env` is production, or not known (then it is treated as production).
    pub(super) fn is_production(&self, env: &str) -> bool {
        self.envs
            .iter()
            .find(|e| e.name == env)
            .is_none_or(|e| e.class == EnvClass::Production)
    }

    /// `p` on the confirm step: the question, whose yes promotes exactly what the
    /// preflight showed.
    pub(super) fn ask(&mut self, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only: the wizard previews, nothing is promoted");
            return;
        }
        if self.run.is_some() {
            cx.info("The promotion is already on its way.");
            return;
        }
        if self.chosen.loading {
            cx.info("The preflight is being rechecked: wait for it.");
            return;
        }
        if let Some(e) = &self.chosen.error {
            cx.error(format!(
                "The last preflight failed ({e}): ctrl-r tries again."
            ));
            return;
        }
        let (Some(preflight), Some(req), Some(route)) = (
            self.chosen.ready(),
            self.choices.request(),
            self.choices.route.clone(),
        ) else {
            return;
        };
        if self.chosen_req.as_ref() != Some(&req) {
            cx.info("The choices changed since the preflight: rechecking.");
            self.load_chosen(true, cx);
            return;
        }
        let writes = preflight.plan.writes().count();
        if writes == 0 {
            cx.info(format!(
                "Nothing to write to {}: every chosen workflow is held or left as it is.",
                route.to
            ));
            return;
        }
        let production = self.is_production(&route.to);
        let fixes = self.fixes();
        let message = what_happens(&route, preflight, fixes).join(" ");
        cx.confirm(Confirm {
            title: format!("Promote {writes} workflow(s) to {}?", route.to),
            message,
            type_to_confirm: production.then(|| route.to.clone()),
            payload: Box::new(Msg::PromoteConfirmed {
                create: DeploymentCreate {
                    request: req,
                    scheduled_for: None,
                    note: None,
                    reviewed_hash: Some(preflight.plan.hash.clone()),
                    incident: fixes,
                },
            }),
        });
    }

    /// The person said yes: promote, unless read-only or the choices moved meanwhile.
    pub(super) fn promote(&mut self, create: DeploymentCreate, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only: nothing is promoted");
            return;
        }
        if self.step != Step::Confirm
            || self.run.is_some()
            || self.choices.request().as_ref() != Some(&create.request)
        {
            cx.info("The choices changed while asking: nothing was promoted, ask again.");
            return;
        }
        let generation = self.next_generation();
        self.promote_error = None;
        self.run = Some(Run::new(generation));
        cx.spawn(move |ops| async move {
            Msg::Promoted {
                run: generation,
                result: ops.promote(create).await,
            }
        });
    }

    fn run_mut(&mut self, generation: u64) -> Option<&mut Run> {
        self.run.as_mut().filter(|r| r.generation == generation)
    }

    pub(super) fn promoted(
        &mut self,
        generation: u64,
        result: OpsResult<DeploymentCreated>,
        cx: &mut Cx,
    ) {
        let Some(run) = self.run_mut(generation) else {
            return;
        };
        let created = match result {
            Ok(created) => created,
            Err(e) => {
                self.run = None;
                self.promote_error = Some(e.to_string());
                return;
            }
        };
        run.job_id = created.job_id.clone();
        run.created = Some(Box::new(created));
        let early = std::mem::take(&mut run.early);
        let mut finished = false;
        if let Some(job) = run.job_id.clone() {
            for event in early.iter().filter(|e| e.job_id == job) {
                finished |= run.apply(event);
            }
        }
        self.step = Step::Progress;
        match self.run.as_ref().and_then(|r| r.job_id.clone()) {
            Some(_) if finished => self.read_deployment(cx),
            Some(job) => cx.spawn(move |ops| async move {
                Msg::Job {
                    run: generation,
                    result: ops.job_get(job).await,
                }
            }),
            None => {}
        }
    }

    /// A service event: the job's, or (before its id is known) maybe the job's.
    pub(super) fn job_event(&mut self, event: &Event, cx: &mut Cx) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let finished = match &run.job_id {
            Some(job) if *job == event.job_id && run.job_state.is_none() => run.apply(event),
            None if run.created.is_none() && run.early.len() < EARLY_KEEP => {
                run.early.push(event.clone());
                false
            }
            _ => false,
        };
        if finished {
            self.read_deployment(cx);
        }
    }

    /// The job as the store has it: fills in the log and phase the events did not
    /// bring, and notices a job that finished before the wizard listened.
    pub(super) fn job_read(&mut self, generation: u64, result: OpsResult<JobDetail>, cx: &mut Cx) {
        let Some(run) = self.run_mut(generation) else {
            return;
        };
        let Ok(detail) = result else {
            // The events still come; the store's copy only fills gaps.
            return;
        };
        if run.log.is_empty() {
            let skip = detail.logs.len().saturating_sub(LOG_KEEP);
            for line in detail.logs.into_iter().skip(skip) {
                run.push_log(line.level, line.message);
            }
        }
        if run.phases.is_empty()
            && let Some(phase) = detail.job.phase
        {
            run.phases.push(Phase {
                name: phase,
                done: u64::try_from(detail.job.done).unwrap_or(0),
                total: u64::try_from(detail.job.total).unwrap_or(0),
            });
        }
        if run.job_state.is_none() && detail.job.state.is_finished() {
            run.finish(detail.job.state, detail.job.result, detail.job.error);
            self.read_deployment(cx);
        }
    }

    /// Reads the deployment (after its job, or on `ctrl-r`).
    fn read_deployment(&mut self, cx: &mut Cx) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let Some(id) = run.deployment_id().map(str::to_owned) else {
            return;
        };
        let generation = run.generation;
        run.result.start(generation, true);
        cx.spawn(move |ops| async move {
            Msg::Finished {
                run: generation,
                result: ops.deployment_show(id).await,
            }
        });
    }

    /// The deployment read: a final one is the result; one still waiting (approvals,
    /// a scheduled time) stays on the progress step, and a job it started is followed.
    pub(super) fn finished(
        &mut self,
        generation: u64,
        result: OpsResult<DeploymentDetail>,
        cx: &mut Cx,
    ) {
        let Some(run) = self.run_mut(generation) else {
            return;
        };
        if !run.result.accept(generation, result) {
            return;
        }
        let Some(detail) = run.result.ready() else {
            return;
        };
        let state = detail.deployment.state;
        let job = detail.deployment.job_id.clone();
        if let Some(created) = run.created.as_mut() {
            created.deployment = detail.deployment.clone();
        }
        if state.is_final() || state == DeploymentState::RollbackFailed {
            self.step = Step::Result;
        } else if run.job_id.is_none()
            && let Some(job) = job
        {
            // Approved (or its time came) since: its job runs now.
            run.job_id = Some(job.clone());
            cx.spawn(move |ops| async move {
                Msg::Job {
                    run: generation,
                    result: ops.job_get(job).await,
                }
            });
        }
    }

    /// `ctrl-r` on progress or result: the deployment read again.
    pub(super) fn reload_run(&mut self, cx: &mut Cx) {
        if self.run.as_ref().is_some_and(|r| r.created.is_some()) {
            self.read_deployment(cx);
        }
    }

    /// `enter` on progress or result: the deployment in the Deployments pane.
    pub(super) fn open_deployment(&mut self, cx: &mut Cx) {
        if let Some(id) = self.run.as_ref().and_then(Run::deployment_id) {
            cx.open(PaneKind::Deployments, Nav::Deployment(id.to_owned()));
        }
    }
}
