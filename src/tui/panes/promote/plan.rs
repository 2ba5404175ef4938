//! Steps 2 and 3: the workflows to promote (marks and hotfix overrides over the
//! preflight of everything that differs) and the review (the preflight of what was
//! chosen), each opening a workflow's diff in the Diff pane.

use super::choices::{Choices, answers_to, item_id};
use super::{Msg, PromotePane, Slot, Step};
use crate::domain::diff::DiffStatus;
use crate::domain::promotion::{PlanAction, PlanItem};
use crate::service::{OpsResult, Preflight, PromoteRequest, WorkflowRef};
use crate::tui::pane::{Cx, Nav, PaneKind};

/// Whether any listed workflow has a hotfix in the target (so `e` means something).
pub(super) fn has_hotfix(preflight: &Preflight) -> bool {
    preflight
        .plan
        .items
        .iter()
        .any(|i| i.status == DiffStatus::TargetHotfix)
}

/// The action a candidate will have with the override chosen here (the candidates'
/// preflight is asked without overrides, so they hold).
pub(super) fn action_with(
    item: &PlanItem,
    overrides: &std::collections::BTreeSet<String>,
) -> PlanAction {
    if item.status == DiffStatus::TargetHotfix && overrides.contains(&item_id(item)) {
        PlanAction::Update
    } else {
        item.action
    }
}

/// Opens the diff once the source's id is known.
pub(super) fn open_resolved(
    name: &str,
    target: Option<WorkflowRef>,
    result: OpsResult<Vec<WorkflowRef>>,
    cx: &mut Cx,
) {
    match result {
        Ok(refs) => {
            let source = refs.into_iter().next();
            if source.is_none() && target.is_none() {
                cx.error(format!("'{name}' is on neither side: no diff to show"));
                return;
            }
            cx.open(
                PaneKind::Diff,
                Nav::Diff {
                    a: target,
                    b: source,
                },
            );
        }
        Err(e) => cx.error(format!("diff of '{name}' not opened: {e}")),
    }
}

impl PromotePane {
    fn spawn_preflight(&mut self, slot: Slot, req: PromoteRequest, keep: bool, cx: &mut Cx) {
        let generation = self.next_generation();
        match slot {
            Slot::Candidates => self.candidates.start(generation, keep),
            Slot::Chosen => self.chosen.start(generation, keep),
        }
        cx.spawn(move |ops| async move {
            Msg::Preflight {
                slot,
                generation,
                result: ops.promotion_preflight(req.clone()).await,
                req,
            }
        });
    }

    /// The preflight of every workflow that differs on the route.
    pub(super) fn load_candidates(&mut self, cx: &mut Cx) {
        if let Some(req) = self.choices.candidates_request() {
            self.spawn_preflight(Slot::Candidates, req, true, cx);
        }
    }

    /// The preflight of the promotion as chosen; with `keep`, what it said last stays
    /// on screen meanwhile (a recheck after an edit).
    pub(super) fn load_chosen(&mut self, keep: bool, cx: &mut Cx) {
        if let Some(req) = self.choices.request() {
            self.spawn_preflight(Slot::Chosen, req, keep, cx);
        }
    }

    pub(super) fn preflight_answered(
        &mut self,
        slot: Slot,
        generation: u64,
        req: PromoteRequest,
        result: OpsResult<Preflight>,
    ) {
        match slot {
            Slot::Candidates => {
                if self.candidates.accept(generation, result) {
                    self.candidates_arrived();
                }
            }
            Slot::Chosen => {
                if self.chosen.accept(generation, result) && self.chosen.error.is_none() {
                    self.chosen_req = Some(req);
                }
            }
        }
    }

    /// Marks what the opener named, forgets marks and overrides of workflows that no
    /// longer differ, and lists the rows.
    fn candidates_arrived(&mut self) {
        let Some(preflight) = self.candidates.ready() else {
            return;
        };
        let items = &preflight.plan.items;
        for given in std::mem::take(&mut self.premark) {
            match items.iter().find(|i| answers_to(i, &given)) {
                Some(item) => {
                    self.choices.marks.insert(item_id(item));
                }
                None => self.unmatched.push(given),
            }
        }
        let listed: std::collections::BTreeSet<String> = items.iter().map(item_id).collect();
        self.choices.marks.retain(|m| listed.contains(m));
        self.choices.overrides.retain(|m| listed.contains(m));
        self.refilter();
    }

    /// The candidates the `/` filter lets through.
    pub(super) fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self.candidates.ready().map_or_else(Vec::new, |p| {
            p.plan
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| {
                    filter.matches_any([
                        i.name.as_str(),
                        i.canonical_id.as_deref().unwrap_or(""),
                        i.status.as_str(),
                        i.action.as_str(),
                    ])
                })
                .map(|(n, _)| n)
                .collect()
        });
        self.wf_cursor.clamp(self.visible.len());
    }

    fn selected_candidate(&self) -> Option<&PlanItem> {
        let &i = self.visible.get(self.wf_cursor.selected)?;
        self.candidates.ready()?.plan.items.get(i)
    }

    /// `space`: marks or unmarks the selected workflow.
    pub(super) fn toggle_mark(&mut self) {
        let Some(id) = self.selected_candidate().map(item_id) else {
            return;
        };
        Choices::toggle(&mut self.choices.marks, id);
    }

    /// `ctrl-a`: marks every listed workflow, or unmarks them when all are marked.
    pub(super) fn mark_all(&mut self) {
        let Some(preflight) = self.candidates.ready() else {
            return;
        };
        let ids: Vec<String> = self
            .visible
            .iter()
            .filter_map(|&i| preflight.plan.items.get(i))
            .map(item_id)
            .collect();
        let marks = &mut self.choices.marks;
        if ids.iter().all(|id| marks.contains(id)) {
            for id in &ids {
                marks.remove(id);
            }
        } else {
            marks.extend(ids);
        }
    }

    /// `e` on a TARGET_HOTFIX row: records (or withdraws) the explicit choice to
    /// overwrite the target's fix. With other rows marked, it is marked too: an
    /// override says the person wants it promoted.
    pub(super) fn toggle_override(&mut self, cx: &mut Cx) {
        let Some(item) = self.selected_candidate() else {
            return;
        };
        let (id, name, status) = (item_id(item), item.name.clone(), item.status);
        let to = self
            .choices
            .route
            .as_ref()
            .map_or_else(String::new, |r| r.to.clone());
        if status != DiffStatus::TargetHotfix {
            cx.info(format!(
                "'{name}' is {status}: only a TARGET_HOTFIX workflow needs an override"
            ));
            return;
        }
        if Choices::toggle(&mut self.choices.overrides, id.clone()) {
            if !self.choices.marks.is_empty() {
                self.choices.marks.insert(id);
            }
            cx.info(format!(
                "Override recorded: '{name}' overwrites the hotfix in {to}"
            ));
        } else {
            cx.info(format!(
                "Override withdrawn: '{name}' is held, {to}'s fix kept"
            ));
        }
    }

    /// `p` on the workflows: the review, asking the preflight of what was chosen
    /// (unless it already answered exactly that).
    pub(super) fn open_review(&mut self, cx: &mut Cx) {
        let Some(preflight) = self.candidates.ready() else {
            cx.info("The workflows are still being compared.");
            return;
        };
        if preflight.plan.items.is_empty() {
            cx.info(format!(
                "Nothing differs between {} and {}: nothing to promote.",
                preflight.plan.source_env, preflight.plan.target_env
            ));
            return;
        }
        self.step = Step::Review;
        let Some(req) = self.choices.request() else {
            return;
        };
        let answered = self.chosen_req.as_ref() == Some(&req)
            && self.chosen.ready().is_some()
            && self.chosen.error.is_none()
            && !self.chosen.loading;
        if !answered {
            // Other workflows: what the review showed no longer applies.
            let same_workflows = self.chosen_req.as_ref().is_some_and(|r| {
                r.workflows == req.workflows && r.hotfix_overrides == req.hotfix_overrides
            });
            self.spawn_preflight(Slot::Chosen, req, same_workflows, cx);
        }
    }

    /// `enter` on a workflow: its diff, target against source, in the Diff pane. The
    /// source's id is the plan's, else found by the workflow's name; a workflow only in
    /// the target has no source side.
    pub(super) fn open_diff(&mut self, cx: &mut Cx) {
        let item = match self.step {
            Step::Workflows => self.selected_candidate(),
            Step::Review => self
                .chosen
                .ready()
                .and_then(|p| p.plan.items.get(self.review_cursor.selected)),
            _ => None,
        };
        let (Some(item), Some(route)) = (item, self.choices.route.as_ref()) else {
            return;
        };
        let target = item.target_id.as_ref().map(|id| WorkflowRef {
            env: route.to.clone(),
            id: id.clone(),
        });
        let source = item.source_id.as_ref().map(|id| WorkflowRef {
            env: route.from.clone(),
            id: id.clone(),
        });
        // Only in the target, or the source's id known: open it at once.
        if item.status == DiffStatus::Deleted || source.is_some() {
            cx.open(
                PaneKind::Diff,
                Nav::Diff {
                    a: target,
                    b: source,
                },
            );
            return;
        }
        let (from, name) = (route.from.clone(), item.name.clone());
        cx.spawn(move |ops| async move {
            Msg::SourceResolved {
                result: ops.workflows_resolve(from, vec![name.clone()]).await,
                name,
                target,
            }
        });
    }
}
