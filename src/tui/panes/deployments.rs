//! The Deployments pane: promotions, newest first, with their state, route, pipeline,
//! requester and what they write. `/` filters every column; `:state S`,
//! `:environment E`, `:pipeline P` and `:by WHO` narrow what the service lists (`:all`
//! clears them; `:env` is the shell's, opening the environments). `enter` opens one: its fields, where its approvals stand, each workflow's
//! action, status and outcome (`enter` on a workflow opens the side-by-side diff of its
//! two sides), and a running one's job progress.
//!
//! Only what the deployment's state allows is offered: approve and reject a
//! PENDING_APPROVAL one, cancel and replan one that has not started, roll a COMPLETED
//! one back. Each asks first (rolling production back, or an approval that starts a run
//! in production, by typing the environment's name). The list and the open detail
//! reload when a deployment's job finishes, every `AUTO_REFRESH` (approvals given
//! elsewhere leave no event behind) and on `ctrl-r`.

mod decide;
mod detail;
mod draw;
mod draw_detail;
mod progress;

use crate::domain::deployment::DeploymentState;
use crate::service::{
    DeploymentDetail, DeploymentQuery, DeploymentView, EnvView, Event, JobDetail, OpsResult,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use decide::{Outcome, Request};
use detail::DetailView;
use progress::JobProgress;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::time::{Duration, Instant};

/// Deployments read per load.
const LIMIT: usize = 500;
/// Decisions made elsewhere leave no event: look again this often while open.
const AUTO_REFRESH: Duration = Duration::from_secs(15);

/// Results of spawned work and confirmed actions.
enum Msg {
    Listed {
        generation: u64,
        /// What was asked (the `:` narrowing in force then); tests read it.
        #[cfg_attr(not(test), allow(dead_code))]
        query: DeploymentQuery,
        result: OpsResult<Vec<DeploymentView>>,
    },
    /// Boxed: a deployment's record is large beside the other messages.
    Detail {
        generation: u64,
        result: OpsResult<Box<DeploymentDetail>>,
    },
    /// A running deployment's job, read once to show its progress before events come.
    JobRead {
        job_id: String,
        result: OpsResult<JobDetail>,
    },
    /// The person said yes: send it.
    Confirmed(Request),
    /// The service answered a request (boxed: the answers are large).
    Done {
        request: Request,
        outcome: Box<Outcome>,
    },
}

#[derive(Default)]
pub struct DeploymentsPane {
    /// The `:` narrowing, sent to the service.
    query: DeploymentQuery,
    /// Newest first, as the service lists them.
    deployments: Vec<DeploymentView>,
    /// Indexes into `deployments` the `/` filter lets through.
    visible: Vec<usize>,
    loaded: bool,
    loading: bool,
    error: Option<String>,
    generation: u64,
    last_load: Option<Instant>,
    cursor: ListCursor,
    filter: Filter,
    detail: Option<DetailView>,
    detail_generation: u64,
    jobs: JobProgress,
    /// The environments as of the last draw: which targets are production.
    envs: Vec<EnvView>,
}

impl DeploymentsPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `deployments` as a finished load does (the pane's own loads and tests).
    fn listed(&mut self, deployments: Vec<DeploymentView>) {
        let selected = self.selected().map(|d| d.id.clone());
        self.deployments = deployments;
        self.loaded = true;
        self.error = None;
        self.refilter();
        if let Some(id) = selected
            && let Some(at) = self
                .visible
                .iter()
                .position(|&i| self.deployments[i].id == id)
        {
            self.cursor.selected = at;
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        self.last_load = Some(Instant::now());
        let generation = self.generation;
        let query = DeploymentQuery {
            limit: Some(LIMIT),
            ..self.query.clone()
        };
        cx.spawn(move |ops| async move {
            Msg::Listed {
                generation,
                result: ops.deployments_list(query.clone()).await,
                query,
            }
        });
    }

    /// Reloads the list and the open detail.
    fn reload(&mut self, cx: &mut Cx) {
        self.load(cx);
        self.load_detail(cx);
    }

    fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self
            .deployments
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                filter.matches_any([
                    d.id.as_str(),
                    d.state.as_str(),
                    d.source_env.as_str(),
                    d.target_env.as_str(),
                    draw::route(d).as_str(),
                    d.pipeline.as_deref().unwrap_or(""),
                    d.stage.as_deref().unwrap_or(""),
                    d.requested_by.as_str(),
                    draw::summary(d, None).as_str(),
                    d.error.as_deref().unwrap_or(""),
                ])
            })
            .map(|(i, _)| i)
            .collect();
        self.cursor.clamp(self.visible.len());
    }

    fn selected(&self) -> Option<&DeploymentView> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.deployments.get(i))
    }

    /// The deployment the keys act on: the open detail's (as it last loaded, else as
    /// the list has it), or the selected row.
    fn target(&self) -> Option<&DeploymentView> {
        match &self.detail {
            Some(view) => view
                .ready()
                .map(|d| &d.deployment)
                .or_else(|| self.deployments.iter().find(|d| d.id == view.id)),
            None => self.selected(),
        }
    }

    fn open_detail(&mut self, id: String, cx: &mut Cx) {
        self.detail = Some(DetailView::new(id));
        self.load_detail(cx);
    }

    /// (Re)loads the open detail; what it shows stays until the answer comes.
    fn load_detail(&mut self, cx: &mut Cx) {
        let Some(view) = &mut self.detail else {
            return;
        };
        self.detail_generation += 1;
        view.generation = self.detail_generation;
        let (generation, id) = (view.generation, view.id.clone());
        cx.spawn(move |ops| async move {
            Msg::Detail {
                generation,
                result: ops.deployment_show(id).await.map(Box::new),
            }
        });
    }

    fn detailed(&mut self, generation: u64, result: OpsResult<Box<DeploymentDetail>>, cx: &mut Cx) {
        let Some(view) = self.detail.as_mut().filter(|v| v.generation == generation) else {
            return;
        };
        let running = match result {
            Ok(detail) => {
                let running = running_job(&detail.deployment);
                view.show(*detail);
                running
            }
            Err(e) if view.ready().is_some() => {
                cx.error(format!("deployment {} not refreshed: {e}", view.id));
                None
            }
            Err(e) => {
                view.failed(e.to_string());
                None
            }
        };
        if let Some(job_id) = running.filter(|j| !self.jobs.knows(j)) {
            cx.spawn(move |ops| async move {
                Msg::JobRead {
                    result: ops.job_get(job_id.clone()).await,
                    job_id,
                }
            });
        }
    }

    /// Whether `state` lets `action` be taken (the keys offered for it).
    fn allows(&self, action: Action) -> bool {
        self.target()
            .is_some_and(|d| decide::allowed(d.state).contains(&action))
    }
}

/// The job of a deployment whose job is under way.
fn running_job(d: &DeploymentView) -> Option<String> {
    matches!(
        d.state,
        DeploymentState::Running | DeploymentState::RollingBack
    )
    .then(|| d.job_id.clone())
    .flatten()
}

/// A state as typed after `:state`: any case, `-` or `_` or spaces between words.
fn parse_state(text: &str) -> Option<DeploymentState> {
    let wanted: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    DeploymentState::ALL
        .into_iter()
        .find(|s| s.as_str() == wanted)
}

impl Pane for DeploymentsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Deployments
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = ListCursor::MOVES.to_vec();
        let on_one = match &self.detail {
            Some(view) => view.items_len() > 0,
            None => !self.visible.is_empty(),
        };
        if on_one {
            actions.push(Action::Enter);
        }
        if let Some(d) = self.target() {
            actions.extend(decide::allowed(d.state));
        }
        actions.push(Action::Refresh);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        if self.envs != ui.envs {
            self.envs = ui.envs.to_vec();
        }
        match &mut self.detail {
            Some(view) => draw_detail::draw(view, &self.jobs, frame, area, ui),
            None => draw::draw_list(self, frame, area, ui),
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if cx.readonly && action.is_mutating() {
            cx.error("read-only: deployments are not approved, cancelled or rolled back");
            return;
        }
        if let Some(view) = &mut self.detail {
            let len = view.items_len();
            if view.cursor.apply(action, len) {
                return;
            }
        } else if self.cursor.apply(action, self.visible.len()) {
            return;
        }
        match action {
            Action::Enter => match &self.detail {
                Some(view) => view.open_item(cx),
                None => {
                    if let Some(id) = self.selected().map(|d| d.id.clone()) {
                        self.open_detail(id, cx);
                    }
                }
            },
            Action::Refresh => self.reload(cx),
            a if self.allows(a) => {
                if let Some(d) = self.target().cloned() {
                    let counted = self
                        .detail
                        .as_ref()
                        .and_then(|v| v.ready())
                        .map(|detail| detail.deployment.approvals.counted.len());
                    decide::ask(a, &d, counted, &self.envs, cx);
                }
            }
            _ => {}
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Msg>() else {
            return;
        };
        match *msg {
            Msg::Listed { generation, .. } if generation != self.generation => {}
            Msg::Listed { result, .. } => {
                self.loading = false;
                match result {
                    Ok(deployments) => self.listed(deployments),
                    Err(e) if self.loaded => cx.error(format!("deployments not refreshed: {e}")),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Msg::Detail { generation, result } => self.detailed(generation, result, cx),
            Msg::JobRead { job_id, result } => {
                // Events are fresher than the read: it only fills a gap.
                if let Ok(detail) = result {
                    self.jobs.seed(&job_id, &detail);
                }
            }
            Msg::Confirmed(request) => {
                if cx.readonly {
                    cx.error("read-only: deployments are not approved, cancelled or rolled back");
                    return;
                }
                decide::send(request, cx);
            }
            Msg::Done { request, outcome } => {
                let (job, opened) = decide::answered(&request, *outcome, cx);
                if let Some(job) = job {
                    self.jobs.watch(job);
                }
                // A replan may record the deployment anew: the detail follows it.
                if let (Some(new_id), Some(view)) = (opened, &mut self.detail)
                    && view.id == request.id
                {
                    view.id = new_id;
                }
                self.reload(cx);
            }
        }
    }

    fn on_open(&mut self, nav: Nav, cx: &mut Cx) {
        if let Nav::Deployment(id) = nav {
            self.open_detail(id, cx);
        }
        if !self.loading {
            self.load(cx);
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        let deployments = &self.deployments;
        let detail_job = self
            .detail
            .as_ref()
            .and_then(|v| v.ready())
            .and_then(|d| d.deployment.job_id.clone());
        let finished = self.jobs.on_event(event, |job| {
            detail_job.as_deref() == Some(job)
                || deployments.iter().any(|d| d.job_id.as_deref() == Some(job))
        });
        if finished && (self.loaded || self.loading) {
            self.reload(cx);
        }
    }

    fn on_tick(&mut self, cx: &mut Cx) {
        let due = self.last_load.is_none_or(|at| at.elapsed() >= AUTO_REFRESH);
        if self.loaded && !self.loading && due {
            self.reload(cx);
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    /// `esc` closes the detail.
    fn back(&mut self) -> bool {
        self.detail.take().is_some()
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "state",
                "state S: only deployments in state S (pending_approval, running, failed…); alone clears it",
            ),
            (
                "environment",
                "environment E: only deployments from or to E; alone clears it",
            ),
            (
                "pipeline",
                "pipeline P: only deployments through P; alone clears it",
            ),
            (
                "by",
                "by WHO: only deployments WHO requested; alone clears it",
            ),
            (
                "all",
                "clear the state, environment, pipeline and requester narrowing",
            ),
        ]
    }

    fn on_command(&mut self, name: &str, arg: &str, cx: &mut Cx) {
        let arg = arg.trim();
        let value = (!arg.is_empty()).then(|| arg.to_owned());
        match name {
            "state" => match value {
                None => self.query.state = None,
                Some(text) => match parse_state(&text) {
                    Some(state) => self.query.state = Some(state),
                    None => {
                        let known: Vec<String> = DeploymentState::ALL
                            .iter()
                            .map(|s| s.as_str().to_lowercase())
                            .collect();
                        cx.error(format!(
                            "no deployment state '{text}' (there are: {})",
                            known.join(", ")
                        ));
                        return;
                    }
                },
            },
            "environment" => self.query.env = value,
            "pipeline" => self.query.pipeline = value,
            "by" => self.query.requested_by = value,
            "all" => self.query = DeploymentQuery::default(),
            _ => return,
        }
        self.detail = None;
        self.cursor = ListCursor::default();
        self.load(cx);
    }
}

#[cfg(test)]
mod tests;
