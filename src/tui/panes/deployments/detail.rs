//! One deployment opened: its record, loaded from the service, with a cursor over its
//! workflows. `enter` on a workflow opens the Diff pane on its two sides (the source's
//! and the target's workflow as last synced); a workflow with neither side to address
//! has only the diff stored with the deployment, shown under the list.

use crate::service::{DeploymentDetail, DeploymentItemView, WorkflowRef};
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Cx, Nav, PaneKind};

pub(super) enum DetailState {
    Loading,
    Failed(String),
    Ready(Box<DeploymentDetail>),
}

pub(super) struct DetailView {
    pub id: String,
    /// Of the load in flight; older answers are dropped.
    pub generation: u64,
    pub state: DetailState,
    /// Over the deployment's workflows.
    pub cursor: ListCursor,
}

impl DetailView {
    pub fn new(id: String) -> DetailView {
        DetailView {
            id,
            generation: 0,
            state: DetailState::Loading,
            cursor: ListCursor::default(),
        }
    }

    pub fn ready(&self) -> Option<&DeploymentDetail> {
        match &self.state {
            DetailState::Ready(d) => Some(d),
            _ => None,
        }
    }

    /// Takes a fresh load, the cursor staying on the same workflow.
    pub fn show(&mut self, detail: DeploymentDetail) {
        let selected = self.selected().map(|i| i.pos);
        self.id = detail.deployment.id.clone();
        self.state = DetailState::Ready(Box::new(detail));
        if let Some(pos) = selected
            && let Some(at) = self
                .ready()
                .and_then(|d| d.items.iter().position(|i| i.pos == pos))
        {
            self.cursor.selected = at;
        }
        self.cursor.clamp(self.items_len());
    }

    /// A failed load: shown only while nothing loaded before.
    pub fn failed(&mut self, error: String) {
        if self.ready().is_none() {
            self.state = DetailState::Failed(error);
        }
    }

    pub fn items_len(&self) -> usize {
        self.ready().map_or(0, |d| d.items.len())
    }

    pub fn selected(&self) -> Option<&DeploymentItemView> {
        self.ready().and_then(|d| d.items.get(self.cursor.selected))
    }

    /// The selected workflow's two sides, source first, when either can be addressed.
    pub fn sides(&self) -> Option<(Option<WorkflowRef>, Option<WorkflowRef>)> {
        let detail = self.ready()?;
        let item = self.selected()?;
        let side = |env: &str, id: &Option<String>| {
            id.as_ref().map(|id| WorkflowRef {
                env: env.to_owned(),
                id: id.clone(),
            })
        };
        let a = side(&detail.deployment.source_env, &item.source_id);
        let b = side(&detail.deployment.target_env, &item.target_id);
        (a.is_some() || b.is_some()).then_some((a, b))
    }

    /// `enter` on a workflow: the Diff pane on its sides, or where its stored diff is.
    pub fn open_item(&self, cx: &mut Cx) {
        let Some(item) = self.selected() else {
            return;
        };
        match self.sides() {
            Some((a, b)) => cx.open(PaneKind::Diff, Nav::Diff { a, b }),
            None if item.diff.is_some() => cx.info(format!(
                "'{}' is in neither environment now: what the deployment applied is shown under the list",
                item.name
            )),
            None => cx.info(format!(
                "'{}' is in neither environment now and the deployment stored no diff of it",
                item.name
            )),
        }
    }
}
