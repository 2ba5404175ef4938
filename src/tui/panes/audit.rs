//! The Audit pane: who did what, where and how it went, newest first. The `/` filter
//! matches every column; the selected entry's full detail shows below the list.
//! Reloads when a job finishes, every `AUTO_REFRESH` while open, and on `ctrl-r`.

use crate::service::{AuditEntry, AuditQuery, Event, EventBody, OpsResult};
use crate::store::audit::Outcome;
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::list_view::{ListTitle, Wording, framed};
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::{Ui, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use std::time::{Duration, Instant};

/// Entries read per load.
const LIMIT: usize = 1000;
/// Operations that are not jobs leave no event behind: look again this often.
const AUTO_REFRESH: Duration = Duration::from_secs(10);

struct Loaded {
    generation: u64,
    result: OpsResult<Vec<AuditEntry>>,
}

#[derive(Default)]
pub struct AuditPane {
    /// Newest first.
    entries: Vec<AuditEntry>,
    /// Indexes into `entries` the filter lets through.
    visible: Vec<usize>,
    loaded: bool,
    loading: bool,
    error: Option<String>,
    generation: u64,
    last_load: Option<Instant>,
    cursor: ListCursor,
    filter: Filter,
}

impl AuditPane {
    pub fn new() -> Self {
        Self::default()
    }

    fn load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        self.last_load = Some(Instant::now());
        let generation = self.generation;
        cx.spawn(move |ops| async move {
            Loaded {
                generation,
                result: ops
                    .audit_list(AuditQuery {
                        env: None,
                        limit: Some(LIMIT),
                    })
                    .await,
            }
        });
    }

    /// Takes fresh entries, the cursor staying on the entry it was on.
    fn show(&mut self, entries: Vec<AuditEntry>) {
        let selected = self.selected().map(|e| e.id);
        self.entries = entries;
        self.entries
            .sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        self.loaded = true;
        self.error = None;
        self.refilter();
        if let Some(id) = selected
            && let Some(pos) = self.visible.iter().position(|&i| self.entries[i].id == id)
        {
            self.cursor.selected = pos;
        }
    }

    fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                filter.matches_any([
                    e.actor.as_str(),
                    e.action.as_str(),
                    e.env.as_deref().unwrap_or(""),
                    e.workflow.as_deref().unwrap_or(""),
                    outcome_word(e.outcome),
                    e.detail.as_deref().unwrap_or(""),
                ])
            })
            .map(|(i, _)| i)
            .collect();
        self.cursor.clamp(self.visible.len());
    }

    fn selected(&self) -> Option<&AuditEntry> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.entries.get(i))
    }
}

impl Pane for AuditPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Audit
    }

    fn actions(&self) -> Vec<Action> {
        let mut actions = ListCursor::MOVES.to_vec();
        actions.push(Action::Refresh);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        draw(self, frame, area, ui);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if !self.cursor.apply(action, self.visible.len()) && action == Action::Refresh {
            self.load(cx);
        }
    }

    fn on_msg(&mut self, msg: PaneMsg, _cx: &mut Cx) {
        let Ok(msg) = msg.downcast::<Loaded>() else {
            return;
        };
        if msg.generation != self.generation {
            return;
        }
        self.loading = false;
        match msg.result {
            Ok(entries) => self.show(entries),
            Err(e) => self.error = Some(e.message),
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_event(&mut self, event: &Event, cx: &mut Cx) {
        if matches!(event.body, EventBody::Finished { .. }) && self.last_load.is_some() {
            self.load(cx);
        }
    }

    fn on_tick(&mut self, cx: &mut Cx) {
        let due = self
            .last_load
            .is_some_and(|last| last.elapsed() >= AUTO_REFRESH);
        if due && !self.loading {
            self.load(cx);
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "ok",
        Outcome::Error => "error",
    }
}

// ---- drawing ----

const TIME_W: usize = 15;
const ACTOR_W: usize = 10;
const ACTION_W: usize = 18;
const ENV_W: usize = 13;
const OUTCOME_W: usize = 8;

fn draw(pane: &mut AuditPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let title = ListTitle {
        name: "Audit",
        counts: pane
            .loaded
            .then_some((pane.visible.len(), pane.entries.len())),
        unit: " entries",
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let wording = Wording {
        loading: "Loading the audit log…",
        failed: "Could not load the audit log",
        empty: "Nothing audited yet. Every change n8nops makes (environments, syncs, workflow operations) is recorded here.",
        row: "entry",
    };
    let Some(inner) = framed(frame, area, &title, pane.error.as_deref(), &wording, ui) else {
        return;
    };

    let detail_height = 4.min(inner.height.saturating_sub(2));
    let [list, detail] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(detail_height)]).areas(inner);
    let wide = list.width >= 120;
    let fixed = TIME_W + ACTOR_W + ACTION_W + ENV_W + OUTCOME_W;
    let rest = usize::from(list.width).saturating_sub(fixed);
    // On wide screens the rest is shared by workflow and detail.
    let (workflow_w, detail_w) = if wide {
        (rest.min(40), rest.saturating_sub(rest.min(40)))
    } else {
        (rest, 0)
    };
    let cells = |cols: Vec<(String, Style)>| -> Line<'static> {
        let widths = [
            TIME_W, ACTOR_W, ACTION_W, ENV_W, OUTCOME_W, workflow_w, detail_w,
        ];
        Line::from(
            cols.into_iter()
                .zip(widths)
                .filter(|(_, w)| *w > 0)
                .map(|((text, style), w)| Span::styled(fit(&text, w), style))
                .collect::<Vec<_>>(),
        )
    };
    let mut lines = vec![cells(
        [
            "TIME", "ACTOR", "ACTION", "ENV", "OUTCOME", "WORKFLOW", "DETAIL",
        ]
        .into_iter()
        .map(|h| (h.to_owned(), theme.muted))
        .collect(),
    )];
    let height = usize::from(list.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &i) in pane.visible[range.clone()].iter().enumerate() {
        let e = &pane.entries[i];
        let env_style = e
            .env
            .as_ref()
            .and_then(|name| ui.envs.iter().find(|v| &v.name == name))
            .map_or(theme.base, |v| theme.class(v.class));
        let (outcome, outcome_style) = match e.outcome {
            Outcome::Ok => ("✔ ok", theme.ok),
            Outcome::Error => ("✖ error", theme.error),
        };
        let mut line = cells(vec![
            (e.at.format("%m-%d %H:%M:%S").to_string(), theme.muted),
            (e.actor.clone(), theme.base),
            (e.action.clone(), theme.accent),
            (e.env.clone().unwrap_or_else(|| "-".into()), env_style),
            (outcome.to_owned(), outcome_style),
            (e.workflow.clone().unwrap_or_default(), theme.base),
            (e.detail.clone().unwrap_or_default(), theme.muted),
        ]);
        if range.start + pos == pane.cursor.selected {
            line = line.patch_style(theme.selected);
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), list);

    if let Some(e) = pane.selected()
        && detail.height > 0
    {
        let text = match (&e.workflow, &e.detail) {
            (Some(w), Some(d)) => format!("{w}: {d}"),
            (Some(w), None) => w.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => "(no detail)".into(),
        };
        let block = Block::new()
            .borders(ratatui::widgets::Borders::TOP)
            .border_style(theme.border)
            .title(Span::styled(
                format!(" #{} {} by {} ", e.id, e.action, e.actor),
                theme.muted,
            ));
        frame.render_widget(
            Paragraph::new(Line::raw(text))
                .wrap(Wrap { trim: true })
                .block(block),
            detail,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::{Fixture, Harness, NARROW, WIDE, now};

    fn entry(
        id: i64,
        minutes_ago: i64,
        action: &str,
        env: Option<&str>,
        outcome: Outcome,
    ) -> AuditEntry {
        AuditEntry {
            id,
            at: now() - chrono::Duration::minutes(minutes_ago),
            actor: "tester".into(),
            action: action.into(),
            env: env.map(str::to_owned),
            workflow: (action.starts_with("workflow")).then(|| "Post orders to Slack".into()),
            outcome,
            detail: match outcome {
                Outcome::Ok => None,
                Outcome::Error => Some("blocked by policy: upload is blocked on production".into()),
            },
        }
    }

    fn sample() -> Vec<AuditEntry> {
        // Out of order on purpose: the pane sorts newest first.
        vec![
            entry(1, 90, "env.add", Some("development"), Outcome::Ok),
            entry(3, 10, "workflow.upload", Some("production"), Outcome::Error),
            entry(2, 30, "sync", Some("staging"), Outcome::Ok),
            entry(4, 2, "workflow.activate", Some("staging"), Outcome::Ok),
        ]
    }

    fn loaded(pane: &mut AuditPane, h: &mut Harness, result: OpsResult<Vec<AuditEntry>>) {
        pane.generation += 1;
        let generation = pane.generation;
        pane.on_msg(Box::new(Loaded { generation, result }), &mut h.cx());
    }

    #[tokio::test]
    async fn snapshots_newest_first_with_the_selected_detail() {
        let mut h = Harness::new().await;
        let mut pane = AuditPane::new();
        loaded(&mut pane, &mut h, Ok(sample()));
        let ids: Vec<i64> = pane.visible.iter().map(|&i| pane.entries[i].id).collect();
        assert_eq!(ids, [4, 3, 2, 1]);
        pane.on_action(Action::Down, &mut h.cx());
        let f = Fixture::default();
        insta::assert_snapshot!("audit_narrow", f.render(&mut pane, NARROW));
        insta::assert_snapshot!("audit_wide", f.render(&mut pane, WIDE));
    }

    #[tokio::test]
    async fn snapshots_of_loading_empty_and_error() {
        let f = Fixture::default();
        let mut h = Harness::new().await;
        let mut pane = AuditPane::new();
        pane.on_open(Nav::Show, &mut h.cx());
        insta::assert_snapshot!("audit_loading_narrow", f.render(&mut pane, NARROW));
        insta::assert_snapshot!("audit_loading_wide", f.render(&mut pane, WIDE));
        for msg in h.run_spawned().await {
            pane.on_msg(msg, &mut h.cx());
        }
        assert!(pane.loaded, "the real (empty) store answered");
        insta::assert_snapshot!("audit_empty_narrow", f.render(&mut pane, NARROW));
        insta::assert_snapshot!("audit_empty_wide", f.render(&mut pane, WIDE));

        let mut pane = AuditPane::new();
        let error = crate::service::OpsError::new(crate::service::ErrorKind::Store, "disk full");
        loaded(&mut pane, &mut h, Err(error));
        insta::assert_snapshot!("audit_error_narrow", f.render(&mut pane, NARROW));
        insta::assert_snapshot!("audit_error_wide", f.render(&mut pane, WIDE));
    }

    #[tokio::test]
    async fn the_filter_matches_any_column_and_inverts() {
        let mut h = Harness::new().await;
        let mut pane = AuditPane::new();
        loaded(&mut pane, &mut h, Ok(sample()));
        pane.set_filter(Filter::parse("policy"));
        assert_eq!(pane.visible.len(), 1);
        pane.set_filter(Filter::parse("!staging"));
        assert_eq!(pane.visible.len(), 2);
        let screen = Fixture::default().render(&mut pane, NARROW);
        assert!(screen.contains("/!staging"), "{screen}");
        pane.set_filter(Filter::parse("nothing like this"));
        let screen = Fixture::default().render(&mut pane, NARROW);
        assert!(screen.contains("No entry matches"), "{screen}");
    }

    #[tokio::test]
    async fn stale_answers_are_dropped_and_the_cursor_stays_on_its_entry() {
        let mut h = Harness::new().await;
        let mut pane = AuditPane::new();
        loaded(&mut pane, &mut h, Ok(sample()));
        pane.on_action(Action::Bottom, &mut h.cx());
        assert_eq!(pane.selected().map(|e| e.id), Some(1));
        let mut newer = sample();
        newer.push(entry(5, 1, "sync", None, Outcome::Ok));
        loaded(&mut pane, &mut h, Ok(newer));
        assert_eq!(pane.selected().map(|e| e.id), Some(1));
        pane.on_msg(
            Box::new(Loaded {
                generation: pane.generation - 1,
                result: Ok(Vec::new()),
            }),
            &mut h.cx(),
        );
        assert_eq!(pane.entries.len(), 5, "an older answer is ignored");
    }
}
