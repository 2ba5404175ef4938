//! Step 1: where to promote. Every pipeline's stages, then every ordered pair of
//! environments (promoted with the default gates); where the wizard was opened to go
//! is preselected, or chosen outright when it named both ends.

use super::choices::{Choices, Route};
use super::{Msg, PromotePane, Step};
use crate::domain::pipeline::{Activation, Stage};
use crate::service::{EnvView, OpsResult, PipelineView};
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::Cx;

/// One choice of the stage step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StageRow {
    pub route: Route,
    /// The pipeline's stage (its gates); None for a plain pair of environments.
    pub stage: Option<Stage>,
}

/// Where the wizard was opened to go (`Nav::Promote`, `Nav::Env`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Wanted {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Names or canonical ids to mark once the differing workflows are listed.
    pub workflows: Vec<String>,
}

/// The incident the wizard was opened to fix (`p` on an incident), kept while it is
/// open: a promotion into the incident's environment names it
/// (`DeploymentCreate.incident`), so the incident's timeline records the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fixing {
    pub incident: i64,
    /// The incident's environment (the target it was opened with).
    pub env: String,
}

/// The pipelines' stages in their order, then each ordered pair of `envs`.
pub(super) fn rows(pipelines: &[PipelineView], envs: &[EnvView]) -> Vec<StageRow> {
    let mut rows: Vec<StageRow> = pipelines
        .iter()
        .flat_map(|p| {
            p.pipeline.stages.iter().map(|s| StageRow {
                route: Route {
                    pipeline: Some(p.pipeline.name.clone()),
                    from: s.from.clone(),
                    to: s.to.clone(),
                },
                stage: Some(s.clone()),
            })
        })
        .collect();
    for from in envs {
        for to in envs.iter().filter(|to| to.name != from.name) {
            rows.push(StageRow {
                route: Route {
                    pipeline: None,
                    from: from.name.clone(),
                    to: to.name.clone(),
                },
                stage: None,
            });
        }
    }
    rows
}

/// "drift · credentials · 2 approvals · windows", what a stage checks.
pub(super) fn gates_summary(stage: &Stage) -> String {
    let g = &stage.gates;
    let mut parts = Vec::new();
    if g.drift {
        parts.push("drift".to_owned());
    }
    if g.credentials {
        parts.push("credentials".to_owned());
    }
    match g.approvals {
        0 => {}
        1 => parts.push("1 approval".to_owned()),
        n => parts.push(format!("{n} approvals")),
    }
    if g.windows.is_some() {
        parts.push("windows".to_owned());
    }
    if let Some(v) = &g.validation {
        parts.push(format!("validation ({})", v.describe()));
    }
    if stage.activation == Activation::FollowSource {
        parts.push("activation follows the source".to_owned());
    }
    if parts.is_empty() {
        "no gates".to_owned()
    } else {
        parts.join(" · ")
    }
}

impl PromotePane {
    /// A fresh wizard (the stage list reloaded), going where `wanted` says. A promotion
    /// still running goes on without the wizard watching it.
    pub(super) fn start(&mut self, wanted: Option<Wanted>, fixing: Option<Fixing>, cx: &mut Cx) {
        if let Some(run) = self.run.as_ref().filter(|r| r.is_running()) {
            let which = run.deployment_id().map_or_else(
                || "The last promotion".to_owned(),
                |id| format!("Deployment {id}"),
            );
            cx.info(format!(
                "{which} keeps running: the Deployments pane follows it."
            ));
        }
        *self = PromotePane {
            generation: self.generation,
            envs: std::mem::take(&mut self.envs),
            filter: std::mem::take(&mut self.filter),
            wanted,
            fixing,
            ..PromotePane::default()
        };
        self.load_stages(cx);
    }

    /// After a promotion: back to the stage step (its row still selected), choices
    /// cleared for the next one.
    pub(super) fn new_promotion(&mut self) {
        self.run = None;
        self.promote_error = None;
        self.choices = Choices::default();
        self.candidates.clear();
        self.chosen.clear();
        self.chosen_req = None;
        self.visible.clear();
        self.wf_cursor = ListCursor::default();
        self.review_cursor = ListCursor::default();
        self.cred_cursor = ListCursor::default();
        self.gate_cursor = ListCursor::default();
        self.result_cursor = ListCursor::default();
        self.step = Step::Stage;
    }

    pub(super) fn load_stages(&mut self, cx: &mut Cx) {
        let generation = self.next_generation();
        self.stages.start(generation, true);
        cx.spawn(move |ops| async move {
            let (pipelines, envs) = tokio::join!(ops.pipelines_list(), ops.env_list());
            Msg::Stages {
                generation,
                pipelines,
                envs,
            }
        });
    }

    pub(super) fn stages_loaded(
        &mut self,
        generation: u64,
        pipelines: OpsResult<Vec<PipelineView>>,
        envs: OpsResult<Vec<EnvView>>,
        cx: &mut Cx,
    ) {
        let selected = self
            .stages
            .ready()
            .and_then(|rows| rows.get(self.stage_cursor.selected))
            .map(|row| row.route.clone());
        let envs_known = envs.is_ok();
        let result = match (pipelines, envs) {
            (Err(p), Err(e)) => Err(crate::service::OpsError::new(
                e.kind,
                format!("environments: {e}; pipelines: {p}"),
            )),
            (pipelines, envs) => {
                if let Ok(envs) = &envs {
                    self.envs = envs.clone();
                }
                self.pipelines_error = pipelines.as_ref().err().map(|e| e.to_string());
                let pipelines = pipelines.unwrap_or_default();
                Ok(rows(&pipelines, envs.as_deref().unwrap_or(&[])))
            }
        };
        if !self.stages.accept(generation, result) {
            return;
        }
        let Some(rows) = self.stages.ready() else {
            return;
        };
        // A reload keeps the row that was selected.
        if let Some(route) = selected
            && let Some(at) = rows.iter().position(|r| r.route == route)
        {
            self.stage_cursor.selected = at;
        }
        if let Some(wanted) = self.wanted.take() {
            self.go_where_wanted(wanted, envs_known, cx);
        }
    }

    /// Preselects the stage the opener named; with both ends named, chooses it (a
    /// pipeline's stage first) and goes on to the workflows.
    fn go_where_wanted(&mut self, wanted: Wanted, envs_known: bool, cx: &mut Cx) {
        let rows = self.stages.ready().map(Vec::as_slice).unwrap_or(&[]);
        let fits = |r: &StageRow| {
            wanted.from.as_ref().is_none_or(|f| *f == r.route.from)
                && wanted.to.as_ref().is_none_or(|t| *t == r.route.to)
        };
        let found = rows.iter().position(fits);
        if let Some(at) = found {
            self.stage_cursor.selected = at;
        }
        self.premark = wanted.workflows;
        match (wanted.from, wanted.to) {
            (Some(_), Some(_)) if found.is_some() => self.choose_stage(cx),
            // The environments could not be listed: try the pair as given.
            (Some(from), Some(to)) if !envs_known => {
                self.choices.set_route(Route {
                    pipeline: None,
                    from,
                    to,
                });
                self.step = Step::Workflows;
                self.load_candidates(cx);
            }
            (Some(from), to) if found.is_none() => cx.info(format!(
                "No stage from {from}{}: choose one here.",
                to.map(|t| format!(" to {t}")).unwrap_or_default()
            )),
            _ => {}
        }
    }

    /// `enter` on a stage: it becomes the route, and the differing workflows load.
    pub(super) fn choose_stage(&mut self, cx: &mut Cx) {
        let Some(route) = self
            .stages
            .ready()
            .and_then(|rows| rows.get(self.stage_cursor.selected))
            .map(|row| row.route.clone())
        else {
            return;
        };
        if self.choices.route.as_ref() != Some(&route) {
            self.choices.set_route(route);
            self.candidates.clear();
            self.chosen.clear();
            self.chosen_req = None;
            self.unmatched.clear();
            self.wf_cursor = ListCursor::default();
            self.review_cursor = ListCursor::default();
        }
        self.step = Step::Workflows;
        self.load_candidates(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::release;
    use super::*;
    use crate::domain::pipeline::{Gates, Validation};
    use crate::tui::testing;

    #[test]
    fn pipeline_stages_come_first_then_every_pair() {
        let rows = rows(&[release()], &testing::envs());
        assert_eq!(rows.len(), 2 + 6);
        assert_eq!(rows[1].route.pipeline.as_deref(), Some("release"));
        assert_eq!(
            (rows[1].route.from.as_str(), rows[1].route.to.as_str()),
            ("staging", "production")
        );
        assert!(rows[2..].iter().all(|r| r.stage.is_none()));
        assert!(rows.iter().all(|r| r.route.from != r.route.to));
    }

    #[test]
    fn gates_read_as_words() {
        let mut stage = release().pipeline.stages[1].clone();
        assert_eq!(gates_summary(&stage), "drift · credentials · 2 approvals");
        stage.gates = Gates {
            drift: false,
            credentials: false,
            approvals: 0,
            windows: None,
            validation: None,
        };
        assert_eq!(gates_summary(&stage), "no gates");
        stage.gates.validation = Some(Validation::Http {
            url: "https://ci.example/ok".into(),
            method: "GET".into(),
            expect_status: 200,
            timeout_secs: 30,
        });
        assert_eq!(
            gates_summary(&stage),
            "validation (GET https://ci.example/ok)"
        );
    }
}
