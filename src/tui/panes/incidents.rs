//! The Incidents pane: triage from the keyboard. The open incidents, worst first as the
//! service orders them (severity, then age), with their environment, workflow, state,
//! age, SLA countdown and assignee. `/` narrows with tokens (`sev:critical`,
//! `sev:high+`, `state:ack`, `env:prod`, `kind:drift`, `assignee:none`) and free text,
//! `!` inverting; `:all` lists resolved incidents too, `:open` only open ones again.
//!
//! On the selected incident (or the open one, after `enter`): `a` acknowledges, `r`
//! resolves with a note and `n` adds one (a multi-line editor, `ctrl-s` sends), `o`
//! assigns, `d` opens the side-by-side diff of its canonical and live versions, `R`
//! reverts the workflow to its canonical state (asks; production by its name), `A`
//! accepts the live change into the canonical state (asks), `p` opens the promotion
//! wizard on the stage into its environment with the workflow marked (a promotion
//! there names the incident, whose timeline records it), and
//! `:severity LEVEL` sets its severity by hand. Only what the service offers for the
//! incident (`IncidentView.offered`) is offered.
//! `m` shows MTTA and MTTR per environment and severity (`t`: 7, 30 or 90 days), `P`
//! the policy as TOML (admins edit and save it; others read it).
//!
//! The list and the open incident reload after each change, at the next tick after an
//! incident event, and every `AUTO_REFRESH`.

mod act;
mod assign;
mod detail;
mod format;
mod list;
mod metrics;
mod narrow;
mod notes;
mod policy;

use crate::domain::incident::Severity;
use crate::service::{
    DiffRequest, Event, EventBody, FixPromotion, IncidentDetail, IncidentPolicyView, IncidentQuery,
    IncidentStats, IncidentView, OpsResult,
};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Confirm, Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use act::{Outcome, Request, Verb};
use assign::{AssignEvent, AssignPrompt};
use crossterm::event::KeyEvent;
use detail::DetailView;
use metrics::MetricsView;
use narrow::Narrowing;
use notes::{NoteEditor, NoteEvent, Purpose};
use policy::{PolicyEditor, PolicyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use std::time::{Duration, Instant};

/// Incidents read per load.
const LIMIT: usize = 500;
/// Changes made elsewhere may leave no event here: look again this often while open.
const AUTO_REFRESH: Duration = Duration::from_secs(30);
/// Lines a page move scrolls the read-only policy by.
const POLICY_PAGE: u16 = 10;
/// What read-only mode says when a change is asked for.
const READ_ONLY: &str =
    "read-only: incidents are not acknowledged, resolved, assigned or remediated";

/// Results of spawned work and confirmed actions.
enum Msg {
    Listed {
        generation: u64,
        /// What was asked; tests read it.
        #[cfg_attr(not(test), allow(dead_code))]
        query: IncidentQuery,
        result: OpsResult<Vec<IncidentView>>,
    },
    /// Boxed: an incident's timeline is large beside the other messages.
    Detail {
        generation: u64,
        result: OpsResult<Box<IncidentDetail>>,
    },
    /// The person said yes: send it.
    Confirmed(Request),
    /// The service answered a request.
    Done {
        request: Request,
        outcome: Box<Outcome>,
    },
    /// What to compare for `d`.
    Diff {
        id: i64,
        result: OpsResult<DiffRequest>,
    },
    /// Where the fix would be promoted from, for `p`.
    Fix {
        id: i64,
        result: OpsResult<FixPromotion>,
    },
    Stats {
        generation: u64,
        result: OpsResult<IncidentStats>,
    },
    Policy {
        generation: u64,
        result: OpsResult<IncidentPolicyView>,
    },
    PolicySaved {
        editor: u64,
        result: OpsResult<IncidentPolicyView>,
    },
    /// The person agreed to drop a note or the policy's changes.
    DiscardNote {
        editor: u64,
    },
    DiscardPolicy {
        editor: u64,
    },
}

#[derive(Default)]
pub struct IncidentsPane {
    /// Worst first, as the service lists them.
    incidents: Vec<IncidentView>,
    /// Indexes into `incidents` the `/` filter lets through.
    visible: Vec<usize>,
    loaded: bool,
    loading: bool,
    error: Option<String>,
    generation: u64,
    last_load: Option<Instant>,
    cursor: ListCursor,
    filter: Filter,
    narrowing: Narrowing,
    /// `:all`: resolved incidents are listed too.
    resolved_too: bool,
    detail: Option<DetailView>,
    detail_generation: u64,
    note: Option<NoteEditor>,
    assign: Option<AssignPrompt>,
    metrics: Option<MetricsView>,
    policy: Option<PolicyEditor>,
    /// Numbers editors and the loads of the metrics and the policy, so answers to an
    /// earlier one are told apart.
    serial: u64,
    /// An incident event came: reload at the next tick.
    stale: bool,
}

impl IncidentsPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `incidents` as a finished load does (the pane's own loads and tests).
    fn listed(&mut self, incidents: Vec<IncidentView>) {
        let selected = self.selected().map(|i| i.id);
        self.incidents = incidents;
        self.loaded = true;
        self.error = None;
        self.refilter();
        if let Some(id) = selected
            && let Some(at) = self
                .visible
                .iter()
                .position(|&i| self.incidents[i].id == id)
        {
            self.cursor.selected = at;
        }
    }

    fn query(&self) -> IncidentQuery {
        IncidentQuery {
            all: self.resolved_too,
            limit: Some(LIMIT),
            ..IncidentQuery::default()
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        self.last_load = Some(Instant::now());
        let generation = self.generation;
        let query = self.query();
        cx.spawn(move |ops| async move {
            Msg::Listed {
                generation,
                result: ops.incidents_list(query.clone()).await,
                query,
            }
        });
    }

    /// Reloads the list and the open incident.
    fn reload(&mut self, cx: &mut Cx) {
        self.load(cx);
        self.load_detail(cx);
    }

    fn refilter(&mut self) {
        let narrowing = &self.narrowing;
        self.visible = self
            .incidents
            .iter()
            .enumerate()
            .filter(|(_, i)| narrowing.matches(i))
            .map(|(at, _)| at)
            .collect();
        self.cursor.clamp(self.visible.len());
    }

    fn selected(&self) -> Option<&IncidentView> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.incidents.get(i))
    }

    /// The incident the keys act on: the open one (as it last loaded, else as the list
    /// has it), or the selected row.
    fn target(&self) -> Option<&IncidentView> {
        match &self.detail {
            Some(view) => view
                .ready()
                .map(|d| &d.incident)
                .or_else(|| self.incidents.iter().find(|i| i.id == view.id)),
            None => self.selected(),
        }
    }

    fn open_detail(&mut self, id: i64, cx: &mut Cx) {
        self.detail = Some(DetailView::new(id));
        self.load_detail(cx);
    }

    /// (Re)loads the open incident; what it shows stays until the answer comes.
    fn load_detail(&mut self, cx: &mut Cx) {
        let Some(view) = &mut self.detail else {
            return;
        };
        self.detail_generation += 1;
        view.generation = self.detail_generation;
        let (generation, id) = (view.generation, view.id);
        cx.spawn(move |ops| async move {
            Msg::Detail {
                generation,
                result: ops.incident_show(id).await.map(Box::new),
            }
        });
    }

    fn detailed(&mut self, generation: u64, result: OpsResult<Box<IncidentDetail>>, cx: &mut Cx) {
        let Some(view) = self.detail.as_mut().filter(|v| v.generation == generation) else {
            return;
        };
        match result {
            Ok(detail) => view.show(*detail),
            Err(e) if view.ready().is_some() => {
                cx.error(format!("incident #{} not refreshed: {e}", view.id));
            }
            Err(e) => view.failed(e.to_string()),
        }
    }

    fn load_metrics(&mut self, cx: &mut Cx) {
        let generation = self.next_serial();
        let Some(view) = &mut self.metrics else {
            return;
        };
        view.generation = generation;
        view.state = metrics::MetricsState::Loading;
        let query = view.query();
        cx.spawn(move |ops| async move {
            Msg::Stats {
                generation,
                result: ops.incidents_stats(query).await,
            }
        });
    }

    fn load_policy(&mut self, cx: &mut Cx) {
        let generation = self.next_serial();
        let Some(editor) = &mut self.policy else {
            return;
        };
        editor.generation = generation;
        cx.spawn(move |ops| async move {
            Msg::Policy {
                generation,
                result: ops.incident_policy().await,
            }
        });
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// One of the incident's actions (offered for it: checked by the caller).
    fn act(&mut self, action: Action, i: IncidentView, cx: &mut Cx) {
        match action {
            Action::Acknowledge => act::send(Request::new(&i, Verb::Acknowledge), cx),
            Action::Resolve | Action::Note => {
                let purpose = if action == Action::Resolve {
                    Purpose::Resolve
                } else {
                    Purpose::Note
                };
                let id = self.next_serial();
                self.note = Some(NoteEditor::new(id, i, purpose));
            }
            Action::Assign => self.assign = Some(AssignPrompt::new(i)),
            Action::Revert => act::ask(Verb::Revert, &i, cx),
            Action::Accept => act::ask(Verb::Accept, &i, cx),
            Action::IncidentDiff => {
                let id = i.id;
                cx.spawn(move |ops| async move {
                    Msg::Diff {
                        id,
                        result: ops.incident_diff(id).await,
                    }
                });
            }
            Action::Promote => {
                let id = i.id;
                cx.spawn(move |ops| async move {
                    Msg::Fix {
                        id,
                        result: ops.incident_fix_promotion(id).await,
                    }
                });
            }
            _ => {}
        }
    }

    /// The answer to a request: said, the note editor closed (or told why not), and
    /// what is shown reloaded.
    fn done(&mut self, request: Request, outcome: Outcome, cx: &mut Cx) {
        let result = act::answered(&request, outcome, cx);
        if let Some(editor) = request.editor
            && let Some(note) = self.note.as_mut().filter(|n| n.id == editor)
        {
            match result {
                Ok(()) => self.note = None,
                Err(e) => note.fail(e),
            }
        }
        self.reload(cx);
    }

    fn on_fix(&mut self, id: i64, result: OpsResult<FixPromotion>, cx: &mut Cx) {
        match result {
            Ok(fix) => {
                if fix.from.is_none() {
                    cx.info(format!(
                        "no pipeline stage leads into {}: choose where the fix comes from",
                        fix.to
                    ));
                }
                cx.open(
                    PaneKind::Promote,
                    Nav::Promote {
                        from: fix.from,
                        to: Some(fix.to),
                        workflows: fix.workflows,
                        incident: Some(id),
                    },
                );
            }
            Err(e) => cx.error(format!("no promotion of the fix for incident #{id}: {e}")),
        }
    }

    fn on_policy_saved(&mut self, editor: u64, result: OpsResult<IncidentPolicyView>, cx: &mut Cx) {
        let current = self.policy.as_mut().filter(|p| p.id == editor);
        match (result, current) {
            (Ok(view), current) => {
                cx.info(format!(
                    "saved the incident policy: in force now (from the {})",
                    view.source
                ));
                if current.is_some() {
                    self.policy = None;
                }
            }
            (Err(e), Some(policy)) => policy.fail(policy::refusal(&e.message)),
            (Err(e), None) => cx.error(format!("incident policy not saved: {e}")),
        }
    }

    /// The note editor's keys.
    fn note_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(note) = self.note.as_mut() else {
            return;
        };
        match note.on_key(key) {
            NoteEvent::None => {}
            NoteEvent::Cancel => self.note = None,
            NoteEvent::AskDiscard => cx.confirm(Confirm {
                title: "Drop the note".to_owned(),
                message: format!(
                    "Close the editor and drop what you typed for incident {}? Nothing was sent.",
                    format::named(&note.incident)
                ),
                type_to_confirm: None,
                payload: Box::new(Msg::DiscardNote { editor: note.id }),
            }),
            NoteEvent::Send(text) => {
                if cx.readonly {
                    note.sending = false;
                    cx.error(READ_ONLY);
                    return;
                }
                let verb = match note.purpose {
                    Purpose::Resolve => Verb::Resolve(text),
                    Purpose::Note => Verb::Note(text),
                };
                let mut request = Request::new(&note.incident, verb);
                request.editor = Some(note.id);
                act::send(request, cx);
            }
        }
    }

    fn assign_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(prompt) = self.assign.as_mut() else {
            return;
        };
        match prompt.on_key(key) {
            AssignEvent::None => {}
            AssignEvent::Cancel => self.assign = None,
            AssignEvent::Send(user) => {
                let request = Request::new(&prompt.incident, Verb::Assign(user));
                self.assign = None;
                if cx.readonly {
                    cx.error(READ_ONLY);
                    return;
                }
                act::send(request, cx);
            }
        }
    }

    fn policy_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(editor) = self.policy.as_mut() else {
            return;
        };
        match editor.on_key(key) {
            PolicyEvent::None => {}
            PolicyEvent::Close => self.policy = None,
            PolicyEvent::AskDiscard => cx.confirm(Confirm {
                title: "Discard changes".to_owned(),
                message: "Close the policy editor and drop your changes? Nothing was saved."
                    .to_owned(),
                type_to_confirm: None,
                payload: Box::new(Msg::DiscardPolicy { editor: editor.id }),
            }),
            PolicyEvent::Save(text) => {
                if cx.readonly {
                    editor.saving = false;
                    cx.error("read-only: the incident policy is not changed");
                    return;
                }
                let id = editor.id;
                cx.spawn(move |ops| async move {
                    Msg::PolicySaved {
                        editor: id,
                        result: ops.incident_policy_put(Some(text)).await,
                    }
                });
            }
        }
    }

    /// `:severity LEVEL` on the incident the keys act on.
    fn set_severity(&mut self, arg: &str, cx: &mut Cx) {
        if cx.readonly {
            cx.error(READ_ONLY);
            return;
        }
        let Some(severity) = Severity::parse(arg) else {
            cx.error(format!(
                "no severity '{arg}' (there are: critical, high, medium, low)"
            ));
            return;
        };
        match self.target() {
            Some(i) if i.offered.severity => {
                act::send(Request::new(i, Verb::Severity(severity)), cx);
            }
            Some(i) => cx.error(format!(
                "the severity of incident {} cannot be set now (it is {})",
                format::named(i),
                i.state
            )),
            None => cx.error("no incident selected"),
        }
    }
}

impl Pane for IncidentsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Incidents
    }

    fn actions(&self) -> Vec<Action> {
        if self.captures_input() {
            return Vec::new();
        }
        let mut actions = ListCursor::MOVES.to_vec();
        if self.policy.is_some() {
            actions.push(Action::Refresh);
            return actions;
        }
        if self.metrics.is_some() {
            actions.extend([Action::Period, Action::Refresh]);
            return actions;
        }
        if self.detail.is_none() && !self.visible.is_empty() {
            actions.push(Action::Enter);
        }
        if let Some(i) = self.target() {
            actions.extend(act::offered(i));
        }
        if self.detail.is_none() {
            actions.extend([Action::Metrics, Action::Policy]);
        }
        actions.push(Action::Refresh);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        if let Some(editor) = &mut self.policy {
            editor.draw(frame, area, ui);
            return;
        }
        match (&mut self.metrics, &mut self.detail) {
            (Some(view), _) => metrics::draw(view, frame, area, ui),
            (None, Some(view)) => detail::draw(view, frame, area, ui),
            (None, None) => list::draw_list(self, frame, area, ui),
        }
        if let Some(note) = &mut self.note {
            note.draw(frame, area, ui.theme);
        }
        if let Some(prompt) = &mut self.assign {
            prompt.draw(frame, area, ui.theme);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if cx.readonly && action.is_mutating() {
            cx.error(READ_ONLY);
            return;
        }
        if let Some(editor) = &mut self.policy {
            match action {
                Action::Down => editor.scroll(true, 1),
                Action::Up => editor.scroll(false, 1),
                Action::PageDown | Action::Bottom => editor.scroll(true, POLICY_PAGE),
                Action::PageUp | Action::Top => editor.scroll(false, POLICY_PAGE),
                Action::Refresh => self.load_policy(cx),
                _ => {}
            }
            return;
        }
        if let Some(view) = &mut self.metrics {
            let len = view.scroll_len();
            if view.scroll.apply(action, len) {
                return;
            }
            match action {
                Action::Period => {
                    view.next_period();
                    self.load_metrics(cx);
                }
                Action::Refresh => self.load_metrics(cx),
                _ => {}
            }
            return;
        }
        if let Some(view) = &mut self.detail {
            let len = view.scroll_len();
            if view.scroll.apply(action, len) {
                return;
            }
        } else if self.cursor.apply(action, self.visible.len()) {
            return;
        }
        match action {
            Action::Enter if self.detail.is_none() => {
                if let Some(id) = self.selected().map(|i| i.id) {
                    self.open_detail(id, cx);
                }
            }
            Action::Refresh => self.reload(cx),
            Action::Metrics if self.detail.is_none() => {
                self.metrics = Some(MetricsView::new());
                self.load_metrics(cx);
            }
            Action::Policy if self.detail.is_none() => {
                let id = self.next_serial();
                self.policy = Some(PolicyEditor::new(id));
                self.load_policy(cx);
            }
            a => {
                if let Some(i) = self.target().cloned()
                    && act::offered(&i).contains(&a)
                {
                    self.act(a, i, cx);
                }
            }
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
                    Ok(incidents) => self.listed(incidents),
                    Err(e) if self.loaded => cx.error(format!("incidents not refreshed: {e}")),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Msg::Detail { generation, result } => self.detailed(generation, result, cx),
            Msg::Confirmed(request) => {
                if cx.readonly {
                    cx.error(READ_ONLY);
                    return;
                }
                act::send(request, cx);
            }
            Msg::Done { request, outcome } => self.done(request, *outcome, cx),
            Msg::Diff { id, result } => match result {
                Ok(request) => cx.open(PaneKind::Diff, Nav::Compare(Box::new(request))),
                Err(e) => cx.error(format!("no diff for incident #{id}: {e}")),
            },
            Msg::Fix { id, result } => self.on_fix(id, result, cx),
            Msg::Stats { generation, result } => {
                if let Some(view) = self.metrics.as_mut().filter(|v| v.generation == generation) {
                    view.loaded(result);
                }
            }
            Msg::Policy { generation, result } => {
                if let Some(editor) = self.policy.as_mut().filter(|p| p.generation == generation) {
                    match result {
                        Ok(view) => editor.show(view, cx.readonly),
                        Err(e) => editor.failed(e.to_string()),
                    }
                }
            }
            Msg::PolicySaved { editor, result } => self.on_policy_saved(editor, result, cx),
            Msg::DiscardNote { editor } => {
                if self.note.as_ref().is_some_and(|n| n.id == editor) {
                    self.note = None;
                }
            }
            Msg::DiscardPolicy { editor } => {
                if self.policy.as_ref().is_some_and(|p| p.id == editor) {
                    self.policy = None;
                }
            }
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        if !self.loading {
            self.reload(cx);
        }
    }

    fn on_event(&mut self, event: &Event, _cx: &mut Cx) {
        if matches!(event.body, EventBody::Incident { .. }) {
            self.stale = true;
        }
    }

    fn on_tick(&mut self, cx: &mut Cx) {
        let due = self.last_load.is_none_or(|at| at.elapsed() >= AUTO_REFRESH);
        if self.loaded && !self.loading && (self.stale || due) {
            self.stale = false;
            self.reload(cx);
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.narrowing = Narrowing::parse(&filter);
        self.filter = filter;
        self.refilter();
    }

    fn captures_input(&self) -> bool {
        self.note.is_some()
            || self.assign.is_some()
            || self.policy.as_ref().is_some_and(PolicyEditor::editing)
    }

    fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        if self.assign.is_some() {
            self.assign_key(key, cx);
        } else if self.note.is_some() {
            self.note_key(key, cx);
        } else if self.policy.is_some() {
            self.policy_key(key, cx);
        }
    }

    fn input_hints(&self) -> Vec<(&'static str, &'static str)> {
        if let Some(prompt) = &self.assign {
            prompt.hints()
        } else if let Some(note) = &self.note {
            note.hints()
        } else if let Some(editor) = &self.policy {
            editor.hints()
        } else {
            Vec::new()
        }
    }

    /// `esc` closes the policy, the metrics or the open incident, in that order.
    fn back(&mut self) -> bool {
        self.policy.take().is_some()
            || self.metrics.take().is_some()
            || self.detail.take().is_some()
    }

    fn commands(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("all", "list resolved incidents too"),
            ("open", "list open incidents only (the default)"),
            (
                "severity",
                "severity LEVEL: set the selected incident's severity by hand (critical, high, medium, low)",
            ),
        ]
    }

    fn on_command(&mut self, name: &str, arg: &str, cx: &mut Cx) {
        match name {
            "all" | "open" => {
                self.resolved_too = name == "all";
                self.detail = None;
                self.cursor = ListCursor::default();
                self.load(cx);
            }
            "severity" => self.set_severity(arg.trim(), cx),
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
