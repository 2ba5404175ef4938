//! The promotion wizard: stage, workflows, review, credentials, gates, confirm, progress,
//! result, one screen each.
//!
//! 1. **Stage**: a pipeline's stage (`pipeline: from -> to`) or any source and target
//!    (the default gates). Opened with a source and target (`Nav::Promote`), the stage
//!    is chosen and the step skipped; with only a source (`Nav::Env`), it is preselected.
//!    Opened from an incident (`p` there), a promotion into the incident's environment
//!    names it (`DeploymentCreate.incident`): the confirm step says so, and the
//!    incident's timeline records the deployment.
//! 2. **Workflows**: every workflow that differs (a preflight of all of them), with its
//!    status, risk and action. `space` marks (none marked: all are promoted), `ctrl-a`
//!    marks all; `e` on a TARGET_HOTFIX row records the explicit override that lets the
//!    promotion overwrite the target's fix (HOLD becomes UPDATE).
//! 3. **Review**: the preflight of what was chosen, with its counts; `enter` opens the
//!    side-by-side diff (target against source) in the Diff pane, and `esc` there comes
//!    back here with everything kept.
//! 4. **Credentials**: how each credential the written workflows use maps to the
//!    target; `e` edits the mapping of one (the request's own table) and rechecks.
//! 5. **Gates**: each gate with PASS/FAIL, the target class's policy, the preflight's
//!    notes; `space` acknowledges the drift of a workflow the promotion overwrites.
//! 6. **Confirm**: what will happen, in words; `p` asks, and on production only the
//!    environment's name typed in full says yes. Read-only refuses here.
//! 7. **Progress**: the deployment's job, followed through its events (phases, each
//!    workflow's last log line, the log's tail); a deployment waiting for approvals says
//!    how many, and `enter` opens it in the Deployments pane.
//! 8. **Result**: the deployment's final state, each workflow's outcome, its snapshot,
//!    commit and whether it was rolled back.
//!
//! `p` (or `l`) moves on (it is the "promote" key: on the last question it promotes);
//! `esc` (or `h`) steps back keeping every choice. `/` filters the workflows step. Every
//! service answer carries a generation: an answer to a request overtaken by a newer one
//! is dropped.

mod checks;
mod choices;
mod draw;
mod draw_checks;
mod draw_plan;
mod draw_run;
mod draw_stage;
mod fetch;
mod plan;
mod run;
mod stage;
mod steps;

use crate::service::{
    DeploymentCreate, DeploymentCreated, DeploymentDetail, EnvView, Event, EventBody, JobDetail,
    JobStarted, OpsResult, PipelineView, Preflight, PromoteRequest, WorkflowRef,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use checks::CredentialEdit;
use choices::Choices;
use crossterm::event::KeyEvent;
use fetch::Fetch;
use ratatui::Frame;
use ratatui::layout::Rect;
use run::Run;
use stage::{Fixing, StageRow, Wanted};
use steps::Step;

/// Results of spawned work and confirmed actions.
enum Msg {
    /// The pipelines and environments the stage step lists.
    Stages {
        generation: u64,
        pipelines: OpsResult<Vec<PipelineView>>,
        envs: OpsResult<Vec<EnvView>>,
    },
    /// A preflight: of every differing workflow (`Slot::Candidates`) or of the chosen
    /// ones (`Slot::Chosen`).
    Preflight {
        slot: Slot,
        generation: u64,
        req: PromoteRequest,
        result: OpsResult<Preflight>,
    },
    /// The source's id of a workflow, to open its diff.
    SourceResolved {
        name: String,
        target: Option<WorkflowRef>,
        result: OpsResult<Vec<WorkflowRef>>,
    },
    /// The person said yes to the question: promote (`create` is what was asked).
    PromoteConfirmed { create: DeploymentCreate },
    Promoted {
        run: u64,
        result: OpsResult<DeploymentCreated>,
    },
    /// The job's state and log from the store, for what its events did not say.
    Job {
        run: u64,
        result: OpsResult<JobDetail>,
    },
    /// The deployment after its job finished.
    Finished {
        run: u64,
        result: OpsResult<DeploymentDetail>,
    },
    /// A drift check of the target started from the gates step.
    DriftStarted { result: OpsResult<JobStarted> },
}

/// Which preflight an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Candidates,
    Chosen,
}

/// The promotion wizard pane.
#[derive(Default)]
pub struct PromotePane {
    step: Step,
    /// Counter behind every generation this pane hands out.
    generation: u64,
    // ---- stage ----
    stages: Fetch<Vec<StageRow>>,
    /// The pipelines could not be listed (the pairs of environments still are).
    pipelines_error: Option<String>,
    /// The environments as last listed (classes for production, the pairs).
    envs: Vec<EnvView>,
    stage_cursor: ListCursor,
    /// Where the wizard was opened to go, applied when the stages arrive.
    wanted: Option<Wanted>,
    // ---- choices, kept across steps ----
    choices: Choices,
    /// Workflows the opener named, marked once the differing ones are listed.
    premark: Vec<String>,
    /// Workflows the opener named that do not differ (so are not listed).
    unmatched: Vec<String>,
    /// The incident the wizard was opened to fix, if any.
    fixing: Option<Fixing>,
    // ---- workflows ----
    candidates: Fetch<Preflight>,
    filter: Filter,
    /// Indexes into the candidates' plan items the filter lets through.
    visible: Vec<usize>,
    wf_cursor: ListCursor,
    // ---- review, credentials, gates, confirm ----
    chosen: Fetch<Preflight>,
    /// The request `chosen` answers.
    chosen_req: Option<PromoteRequest>,
    review_cursor: ListCursor,
    cred_cursor: ListCursor,
    gate_cursor: ListCursor,
    edit: Option<CredentialEdit>,
    // ---- progress and result ----
    run: Option<Run>,
    /// The service refused the last promotion (shown on the confirm step).
    promote_error: Option<String>,
    result_cursor: ListCursor,
    /// The drift check of the target the gates step started, until it finishes.
    drift_job: Option<String>,
}

impl PromotePane {
    pub fn new() -> Self {
        Self::default()
    }

    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// The incident a promotion along the chosen route fixes: the one the wizard was
    /// opened from, when the route goes into its environment.
    fn fixes(&self) -> Option<i64> {
        let route = self.choices.route.as_ref()?;
        self.fixing
            .as_ref()
            .filter(|f| f.env == route.to)
            .map(|f| f.incident)
    }

    /// The cursor of the step on screen and how many rows it moves over.
    fn step_cursor(&mut self) -> Option<(&mut ListCursor, usize)> {
        let len = match self.step {
            Step::Stage => self.stages.ready().map_or(0, Vec::len),
            Step::Workflows => self.visible.len(),
            Step::Review => self.chosen.ready().map_or(0, |p| p.plan.items.len()),
            Step::Credentials => self
                .chosen
                .ready()
                .map_or(0, |p| checks::cred_rows(p).len()),
            Step::Gates => self.chosen.ready().map_or(0, |p| checks::ack_rows(p).len()),
            Step::Result => self
                .run
                .as_ref()
                .and_then(|r| r.result.ready())
                .map_or(0, |d| d.items.len()),
            Step::Confirm | Step::Progress => return None,
        };
        let cursor = match self.step {
            Step::Stage => &mut self.stage_cursor,
            Step::Workflows => &mut self.wf_cursor,
            Step::Review => &mut self.review_cursor,
            Step::Credentials => &mut self.cred_cursor,
            Step::Gates => &mut self.gate_cursor,
            Step::Result => &mut self.result_cursor,
            Step::Confirm | Step::Progress => return None,
        };
        Some((cursor, len))
    }

    /// `p` (or `l`): the next step, once this one has what it needs.
    fn forward(&mut self, cx: &mut Cx) {
        match self.step {
            Step::Stage => self.choose_stage(cx),
            Step::Workflows => self.open_review(cx),
            Step::Review | Step::Credentials | Step::Gates => {
                if self.chosen.ready().is_none() {
                    cx.info("The preflight has not answered yet.");
                    return;
                }
                if let Some(next) = self.step.next() {
                    self.step = next;
                }
            }
            Step::Confirm => self.ask(cx),
            Step::Progress | Step::Result => {}
        }
    }

    /// `ctrl-r`: asks again what the step shows.
    fn refresh(&mut self, cx: &mut Cx) {
        match self.step {
            Step::Stage => self.load_stages(cx),
            Step::Workflows => self.load_candidates(cx),
            Step::Review | Step::Credentials | Step::Gates | Step::Confirm => {
                self.load_chosen(true, cx)
            }
            Step::Progress | Step::Result => self.reload_run(cx),
        }
    }
}

impl Pane for PromotePane {
    fn kind(&self) -> PaneKind {
        PaneKind::Promote
    }

    fn actions(&self) -> Vec<Action> {
        if self.edit.is_some() {
            return Vec::new();
        }
        let moves = ListCursor::MOVES.to_vec();
        let mut actions = Vec::new();
        match self.step {
            Step::Stage => {
                actions = moves;
                actions.extend([Action::Enter, Action::Refresh]);
            }
            Step::Workflows => {
                actions = moves;
                actions.extend([Action::Mark, Action::MarkAll]);
                if self.candidates.ready().is_some_and(plan::has_hotfix) {
                    actions.push(Action::Edit);
                }
                actions.extend([Action::Enter, Action::Promote, Action::Refresh]);
            }
            Step::Review => {
                actions = moves;
                actions.extend([Action::Enter, Action::Promote, Action::Refresh]);
            }
            Step::Credentials => {
                actions = moves;
                actions.extend([Action::Edit, Action::Promote, Action::Refresh]);
            }
            Step::Gates => {
                actions = moves;
                actions.extend([
                    Action::Mark,
                    Action::DriftCheck,
                    Action::Promote,
                    Action::Refresh,
                ]);
            }
            Step::Confirm => actions.extend([Action::Promote, Action::Refresh]),
            Step::Progress => actions.extend([Action::Enter, Action::Refresh]),
            Step::Result => {
                actions = moves;
                actions.extend([Action::Enter, Action::Refresh]);
            }
        }
        actions.extend([Action::Left, Action::Right]);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        if self.envs.is_empty() && !ui.envs.is_empty() {
            self.envs = ui.envs.to_vec();
        }
        draw::draw(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if let Some((cursor, len)) = self.step_cursor()
            && cursor.apply(action, len)
        {
            return;
        }
        match (self.step, action) {
            (_, Action::Right) => self.forward(cx),
            (_, Action::Left) => {
                self.back();
            }
            (_, Action::Refresh) => self.refresh(cx),
            (_, Action::Promote) if self.step != Step::Stage => self.forward(cx),
            (Step::Stage, Action::Enter) => self.choose_stage(cx),
            (Step::Workflows, Action::Mark) => self.toggle_mark(),
            (Step::Workflows, Action::MarkAll) => self.mark_all(),
            (Step::Workflows, Action::Edit) => self.toggle_override(cx),
            (Step::Workflows | Step::Review, Action::Enter) => self.open_diff(cx),
            (Step::Credentials, Action::Edit) => self.start_edit(cx),
            (Step::Gates, Action::Mark) => self.toggle_ack(cx),
            (Step::Gates, Action::DriftCheck) => self.check_drift(cx),
            (Step::Confirm, Action::Enter) => self.ask(cx),
            (Step::Progress | Step::Result, Action::Enter) => self.open_deployment(cx),
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Msg>() else {
            return;
        };
        match *msg {
            Msg::Stages {
                generation,
                pipelines,
                envs,
            } => self.stages_loaded(generation, pipelines, envs, cx),
            Msg::Preflight {
                slot,
                generation,
                req,
                result,
            } => self.preflight_answered(slot, generation, req, result),
            Msg::SourceResolved {
                name,
                target,
                result,
            } => plan::open_resolved(&name, target, result, cx),
            Msg::PromoteConfirmed { create } => self.promote(create, cx),
            Msg::Promoted { run, result } => self.promoted(run, result, cx),
            Msg::Job { run, result } => self.job_read(run, result, cx),
            Msg::Finished { run, result } => self.finished(run, result, cx),
            Msg::DriftStarted { result } => match result {
                Ok(started) => self.drift_job = Some(started.job_id),
                Err(e) => cx.error(format!("the drift check did not start: {e}")),
            },
        }
    }

    fn on_open(&mut self, nav: Nav, cx: &mut Cx) {
        match nav {
            Nav::Promote {
                from,
                to,
                workflows,
                incident,
            } => {
                let fixing = incident
                    .zip(to.clone())
                    .map(|(incident, env)| Fixing { incident, env });
                self.start(
                    Some(Wanted {
                        from,
                        to,
                        workflows,
                    }),
                    fixing,
                    cx,
                )
            }
            Nav::Env(from) => self.start(
                Some(Wanted {
                    from: Some(from),
                    to: None,
                    workflows: Vec::new(),
                }),
                None,
                cx,
            ),
            _ if self.stages.ready().is_none() && !self.stages.loading => self.load_stages(cx),
            _ => {}
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        if self.drift_job.as_deref() == Some(event.job_id.as_str())
            && let EventBody::Finished { error, .. } = &event.body
        {
            self.drift_job = None;
            match error {
                None => cx.info("Drift checked: the gates are judged again."),
                Some(e) => cx.error(format!("the drift check failed: {e}")),
            }
            self.load_chosen(true, cx);
            return;
        }
        self.job_event(event, cx);
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    fn captures_input(&self) -> bool {
        self.edit.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        self.edit_key(key, cx);
    }

    /// `esc`: the previous step, every choice kept. From a finished promotion (or one
    /// waiting for approvals), the stage step for a new one (the stage still selected);
    /// while one runs, or on the first step, out of the pane.
    fn back(&mut self) -> bool {
        match self.step {
            Step::Stage => false,
            Step::Progress if self.run.as_ref().is_some_and(Run::is_running) => false,
            Step::Progress | Step::Result => {
                self.new_promotion();
                true
            }
            step => {
                if let Some(previous) = step.previous() {
                    self.step = previous;
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests;
