//! Onboarding from the matrix: the untracked workflow under the cursor (or every
//! marked untracked cell, one job per environment), or every untracked workflow of the
//! cursor's environment after a confirmation. Each is one `Ops::onboard` job.

use super::{MatrixMsg, MatrixPane};
use crate::domain::matrix::RowId;
use crate::service::{JobStarted, OnboardRequest, OpsResult};
use crate::tui::pane::{Confirm, Cx};
use std::collections::BTreeMap;

impl MatrixPane {
    /// Onboards the marked cells, or else the cell under the cursor. Cells of tracked
    /// rows and missing cells are skipped, and said so when nothing is left.
    pub(super) fn onboard(&mut self, cx: &mut Cx) {
        let cells: Vec<(RowId, String)> = if self.marks.is_empty() {
            match (self.current_row(), self.current_env()) {
                (Some(row), Some(env)) => vec![(row.id.clone(), env.to_owned())],
                _ => return,
            }
        } else {
            self.marks
                .iter()
                .map(|m| (m.row.clone(), m.env.clone()))
                .collect()
        };
        // Per environment: (n8n id, name) of each untracked workflow to onboard.
        let mut by_env: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut skipped = Vec::new();
        for (id, env) in cells {
            let Some(row) = self.grid.rows.iter().find(|r| r.id == id) else {
                continue;
            };
            let col = self.grid.columns.iter().position(|c| c.name == env);
            let present = col.and_then(|c| row.cells.get(c)).and_then(|c| c.present());
            match (row.canonical_id(), present) {
                (Some(canonical), _) => skipped.push(format!(
                    "'{}' is tracked already (canonical id {canonical})",
                    row.name
                )),
                (None, None) => skipped.push(format!("'{}' is not in {env}", row.name)),
                (None, Some(p)) => by_env
                    .entry(env)
                    .or_default()
                    .push((p.id.clone(), row.name.clone())),
            }
        }
        if by_env.is_empty() {
            match skipped.as_slice() {
                [one] => cx.info(format!("{one}: nothing to onboard")),
                _ => cx.info("No untracked workflow among the marked cells: nothing to onboard"),
            }
            return;
        }
        for (env, workflows) in by_env {
            let what = match workflows.as_slice() {
                [(_, name)] => format!("'{name}'"),
                many => format!("{} workflows", many.len()),
            };
            let req = OnboardRequest {
                env,
                workflows: workflows.into_iter().map(|(id, _)| id).collect(),
                all: false,
            };
            spawn_onboard(req, what, cx);
        }
        self.marks.clear();
    }

    /// Asks before onboarding every untracked workflow of the cursor's environment.
    pub(super) fn confirm_onboard_all(&mut self, cx: &mut Cx) {
        let Some(env) = self.current_env().map(str::to_owned) else {
            return;
        };
        let col = self.col;
        let count = self
            .grid
            .rows
            .iter()
            .filter(|r| r.is_untracked())
            .filter(|r| r.cells.get(col).and_then(|c| c.present()).is_some())
            .count();
        if count == 0 {
            cx.info(format!(
                "No untracked workflow in {env} (as of its last sync): nothing to onboard"
            ));
            return;
        }
        let what = if count == 1 {
            "the untracked workflow".to_owned()
        } else {
            format!("all {count} untracked workflows")
        };
        cx.confirm(Confirm {
            title: format!("Onboard {what} of {env}?"),
            message: format!(
                "Each gets a canonical id (joining the canonical workflow of the same name \
                 when another environment has one) and is recorded in Git, as one job. \
                 Nothing changes in {env} itself."
            ),
            type_to_confirm: None,
            payload: Box::new(MatrixMsg::OnboardAllConfirmed { env }),
        });
    }

    /// The person said yes: every untracked workflow of `env`, as the service sees it.
    pub(super) fn onboard_all(&mut self, env: String, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only: nothing is onboarded");
            return;
        }
        let what = "every untracked workflow".to_owned();
        let req = OnboardRequest {
            env,
            workflows: Vec::new(),
            all: true,
        };
        spawn_onboard(req, what, cx);
    }

    pub(super) fn onboarding(
        &mut self,
        req: OnboardRequest,
        what: String,
        result: OpsResult<JobStarted>,
        cx: &mut Cx,
    ) {
        match result {
            Ok(started) => cx.info(format!(
                "onboarding {what} in {}: job {} (the Jobs pane shows progress)",
                req.env, started.job_id
            )),
            Err(e) => cx.error(format!("{what} in {} not onboarded: {e}", req.env)),
        }
    }
}

fn spawn_onboard(req: OnboardRequest, what: String, cx: &mut Cx) {
    cx.spawn(move |ops| async move {
        let result = ops.onboard(req.clone()).await;
        MatrixMsg::Onboarding { req, what, result }
    });
}
