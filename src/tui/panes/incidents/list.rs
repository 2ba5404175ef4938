//! Drawing the triage list, worst first as the service orders it: severity (critical
//! white on red), environment, workflow, state, age, SLA countdown, assignee; wide
//! screens add the id, the kind and what changed. The selected incident's particulars
//! are under the list.

use super::IncidentsPane;
use super::format::{clock, named, since, sla, state_short, state_style, workflow};
use crate::domain::incident::IncidentKind;
use crate::service::IncidentView;
use crate::tui::action::Action;
use crate::tui::header::severity_style;
use crate::tui::list_view::{ListTitle, Wording, framed};
use crate::tui::ui::{Ui, age, fit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// "CRITICAL" and a space.
const SEV_W: u16 = 9;
/// "RESOLVED" and a space; "ACKNOWLEDGED" and a space on wide screens.
const STATE_W: u16 = 9;
const STATE_WIDE_W: u16 = 13;
const AGE_W: u16 = 5;
/// The SLA column as wide as its widest cell, within: "BREACHED +23h59m" and a space.
const SLA_W: u16 = 17;
const ASSIGNEE_W: u16 = 10;
/// "#12345" and a space.
const ID_W: u16 = 7;
/// "executions" and a space.
const KIND_W: u16 = 11;
/// Environments as wide as the widest, within.
const MAX_ENV: u16 = 14;
/// Wide screens: the workflow column as wide as the widest name, within.
const MAX_WORKFLOW: u16 = 40;
/// The selected incident's particulars under the list.
const DETAILS_HEIGHT: u16 = 3;
/// Wide from this width: id, kind and what changed.
const WIDE_FROM: u16 = 120;

/// What changed, in a few words: `DRIFTED · HIGH · node 'HTTP' parameters.url changed`.
pub(super) fn what(i: &IncidentView) -> String {
    let mut parts = Vec::new();
    if let Some(status) = i.drift_status {
        parts.push(status.as_str().to_owned());
    }
    if let Some(risk) = i.risk {
        parts.push(risk.as_str().to_owned());
    }
    if let Some(line) = i.summary.as_ref().and_then(|s| s.lines.first()) {
        parts.push(line.clone());
    }
    if let Some(failures) = &i.failures {
        parts.push(failures.clone());
    }
    parts.join(" · ")
}

pub(super) fn draw_list(pane: &mut IncidentsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let name = if pane.resolved_too {
        "Incidents · resolved too"
    } else {
        "Incidents"
    };
    let title = ListTitle {
        name,
        counts: pane
            .loaded
            .then_some((pane.visible.len(), pane.incidents.len())),
        unit: if pane.resolved_too { "" } else { " open" },
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let empty = if pane.resolved_too {
        "No incidents recorded.".to_owned()
    } else {
        "No open incidents. Drift checks and failing executions raise them; :all lists \
         resolved ones too."
            .to_owned()
    };
    let row_word = if pane.narrowing.wants_resolved() && !pane.resolved_too {
        "open incident (:all lists resolved ones too)"
    } else {
        "incident"
    };
    let wording = Wording {
        loading: "Loading incidents…",
        failed: "Could not load the incidents",
        empty: &empty,
        row: row_word,
    };
    let Some(inner) = framed(frame, area, &title, pane.error.as_deref(), &wording, ui) else {
        return;
    };
    let details_height = if inner.height >= 8 {
        DETAILS_HEIGHT + 1
    } else {
        0
    };
    let [list, details] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(details_height)]).areas(inner);
    rows(pane, frame, list, ui);
    if !details.is_empty()
        && let Some(i) = pane.selected()
    {
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(ui.theme.border);
        frame.render_widget(Paragraph::new(particulars(i, ui)).block(block), details);
    }
}

fn rows(pane: &mut IncidentsPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let wide = area.width >= WIDE_FROM;
    let widest = |f: &dyn Fn(&IncidentView) -> usize, min: u16, max: u16| {
        pane.visible
            .iter()
            .map(|&i| f(&pane.incidents[i]))
            .max()
            .map_or(min, |w| u16::try_from(w + 1).unwrap_or(max))
            .clamp(min, max)
    };
    let env_w = widest(&|i| i.env.chars().count(), 4, MAX_ENV);
    let sla_w = widest(&|i| sla(i, ui.now, theme).0.chars().count(), 4, SLA_W);
    let state_w = if wide { STATE_WIDE_W } else { STATE_W };
    let mut widths = Vec::new();
    if wide {
        widths.push(ID_W);
    }
    widths.extend([SEV_W, env_w]);
    let fixed_after = if wide {
        KIND_W + state_w + AGE_W + sla_w + ASSIGNEE_W
    } else {
        state_w + AGE_W + sla_w + ASSIGNEE_W
    };
    let used: u16 = widths.iter().sum::<u16>() + fixed_after;
    let workflow_w = if wide {
        widest(&|i| workflow(i).chars().count(), 10, MAX_WORKFLOW)
    } else {
        area.width.saturating_sub(used).max(8)
    };
    widths.push(workflow_w);
    if wide {
        widths.push(KIND_W);
    }
    widths.extend([state_w, AGE_W, sla_w, ASSIGNEE_W]);
    if wide {
        let fixed: u16 = widths.iter().sum();
        widths.push(area.width.saturating_sub(fixed).max(8));
    }
    let line = |cells: Vec<(String, Style)>| -> Line<'static> {
        Line::from(
            cells
                .into_iter()
                .zip(&widths)
                .map(|((text, style), w)| Span::styled(fit(&text, usize::from(*w)), style))
                .collect::<Vec<_>>(),
        )
    };
    let mut header = Vec::new();
    if wide {
        header.push("ID");
    }
    header.extend(["SEVERITY", "ENV", "WORKFLOW"]);
    if wide {
        header.push("KIND");
    }
    header.extend(["STATE", "AGE", "SLA", "ASSIGNEE"]);
    if wide {
        header.push("WHAT");
    }
    let mut lines = vec![line(
        header
            .into_iter()
            .map(|h| (h.to_owned(), theme.muted))
            .collect(),
    )];
    let height = usize::from(area.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &at) in pane.visible[range.clone()].iter().enumerate() {
        let i = &pane.incidents[at];
        let mut cells = Vec::new();
        if wide {
            cells.push((format!("#{}", i.id), theme.muted));
        }
        cells.push((
            i.severity.as_str().to_uppercase(),
            severity_style(i.severity, theme),
        ));
        let env_style = i.env_class.map_or(theme.base, |c| theme.class(c));
        cells.push((i.env.clone(), env_style));
        cells.push((workflow(i), theme.base));
        if wide {
            cells.push((i.kind.as_str().to_owned(), theme.muted));
        }
        let state = if wide {
            i.state.as_str()
        } else {
            state_short(i.state)
        };
        cells.push((state.to_owned(), state_style(i.state, theme)));
        cells.push((since(i.opened_at, ui.now), theme.muted));
        cells.push(sla(i, ui.now, theme));
        cells.push((
            i.assignee.clone().unwrap_or_else(|| "—".into()),
            if i.assignee.is_some() {
                theme.base
            } else {
                theme.muted
            },
        ));
        if wide {
            cells.push((what(i), theme.muted));
        }
        let mut row = line(cells);
        if range.start + pos == pane.cursor.selected {
            // The severity keeps its colours: critical stays unmistakable on the cursor.
            let skip = usize::from(wide);
            for (n, span) in row.spans.iter_mut().enumerate() {
                if n != skip {
                    span.style = span.style.patch(theme.selected);
                }
            }
        }
        lines.push(row);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The selected incident in full, under the list.
fn particulars(i: &IncidentView, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let mut first = vec![
        Span::styled(named(i), theme.accent),
        Span::styled(" · ", theme.muted),
        Span::raw(i.kind.as_str()),
    ];
    if i.kind == IncidentKind::Drift
        && let Some(status) = i.drift_status
    {
        first.push(Span::raw(format!(" {}", status.as_str())));
    }
    if let Some(risk) = i.risk {
        first.push(Span::styled(
            format!(" · risk {}", risk.as_str()),
            theme.risk(risk),
        ));
    }
    if i.escalations > 0 {
        first.push(Span::styled(
            format!(" · escalated {}×", i.escalations),
            theme.warn,
        ));
    }
    let mut second = format!("opened {}", age(i.opened_at, ui.now));
    if let (Some(by), Some(at)) = (&i.acknowledged_by, i.acknowledged_at) {
        second.push_str(&format!(" · acked by {by} {}", age(at, ui.now)));
    }
    if let (Some(by), Some(at)) = (&i.resolved_by, i.resolved_at) {
        second.push_str(&format!(" · resolved by {by} {}", age(at, ui.now)));
    }
    if i.state.is_open() {
        let past = if i.sla_deadline < ui.now {
            "breached its SLA, due"
        } else {
            "SLA due"
        };
        second.push_str(&format!(" · {past} {}", clock(i.sla_deadline)));
    }
    let third = match (&i.summary, &i.failures, &i.resolution) {
        (_, _, Some(r)) if !i.state.is_open() => Line::styled(r.clone(), theme.ok),
        (Some(s), _, _) => Line::styled(
            s.lines
                .first()
                .cloned()
                .unwrap_or_else(|| format!("{} changes", s.changes)),
            theme.muted,
        ),
        (None, Some(f), _) => Line::styled(f.clone(), theme.muted),
        _ => Line::styled(
            format!("{} opens it", ui.keymap.hint(Action::Enter)),
            theme.muted,
        ),
    };
    vec![Line::from(first), Line::raw(second), third]
}
