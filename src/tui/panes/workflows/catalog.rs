//! The catalog: every stored workflow, narrowed by environment, tag, active state and
//! the `/` filter (names here, node types through the service's search), with the
//! cursor, scrolling and the rows marked for bulk operations. Filtering runs once per
//! change; drawing builds only the rows on screen.

use crate::domain::sync::Change;
use crate::service::{Time, WorkflowRef, WorkflowSummary};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, age};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, Widget};
use std::collections::{BTreeSet, HashSet};

/// A workflow's key: (environment, id).
pub(super) type Key = (String, String);

fn key(w: &WorkflowSummary) -> Key {
    (w.env.clone(), w.id.clone())
}

/// From this width the tags column is shown.
const TAGS_FROM: u16 = 100;

/// Workflows the service matched by node type for one search text.
#[derive(Debug, Default)]
pub(super) struct NodeHits {
    pub needle: String,
    pub keys: HashSet<Key>,
}

#[derive(Debug, Default)]
pub(super) struct Catalog {
    /// As loaded, sorted by name then environment.
    pub rows: Vec<WorkflowSummary>,
    /// Indexes into `rows` that pass the filters.
    pub visible: Vec<usize>,
    /// Over `visible`.
    pub cursor: ListCursor,
    pub env: Option<String>,
    pub tag: Option<String>,
    pub active: Option<bool>,
    pub filter: Filter,
    pub node_hits: Option<NodeHits>,
    pub marks: BTreeSet<Key>,
}

impl Catalog {
    /// Shows a new load, keeping the cursor on the same workflow and the marks that
    /// still exist.
    pub fn show(&mut self, mut rows: Vec<WorkflowSummary>) {
        let current = self.current().map(key);
        rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.env.cmp(&b.env)));
        self.rows = rows;
        let present: HashSet<Key> = self.rows.iter().map(key).collect();
        self.marks.retain(|k| present.contains(k));
        self.refilter();
        if let Some(current) = current
            && let Some(i) = self
                .visible
                .iter()
                .position(|&r| key(&self.rows[r]) == current)
        {
            self.cursor.selected = i;
        }
    }

    /// The `/` filter's text without its `!`: what the service is asked to search.
    pub fn needle(&self) -> String {
        let text = self.filter.text.trim();
        text.strip_prefix('!').unwrap_or(text).trim().to_owned()
    }

    pub fn refilter(&mut self) {
        let current = self.visible.get(self.cursor.selected).copied();
        let positive = Filter::parse(&self.needle());
        let hits = self
            .node_hits
            .as_ref()
            .filter(|h| h.needle == self.needle())
            .map(|h| &h.keys);
        let text_passes = |w: &WorkflowSummary| {
            if positive.is_empty() {
                return true;
            }
            let hit = positive.matches(&w.name)
                || hits.is_some_and(|k| k.contains(&(w.env.clone(), w.id.clone())));
            hit != self.filter.invert
        };
        self.visible = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, w)| self.env.as_ref().is_none_or(|e| *e == w.env))
            .filter(|(_, w)| self.active.is_none_or(|a| a == w.active))
            .filter(|(_, w)| {
                self.tag
                    .as_ref()
                    .is_none_or(|t| w.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            })
            .filter(|(_, w)| text_passes(w))
            .map(|(i, _)| i)
            .collect();
        if let Some(row) = current {
            self.cursor.selected = self.visible.binary_search(&row).unwrap_or_else(|i| i);
        }
        self.cursor.clamp(self.visible.len());
    }

    pub fn current(&self) -> Option<&WorkflowSummary> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.rows.get(i))
    }

    /// Applies a cursor move (`j k g G ctrl-d ctrl-u`); false when `action` is none.
    pub fn apply(&mut self, action: Action) -> bool {
        self.cursor.apply(action, self.visible.len())
    }

    pub fn toggle_mark(&mut self) {
        let Some(k) = self.current().map(key) else {
            return;
        };
        if !self.marks.remove(&k) {
            self.marks.insert(k);
        }
        self.apply(Action::Down);
    }

    /// Marks every row that passes the filters, or clears the marks when all are.
    pub fn toggle_mark_all(&mut self) {
        let keys: Vec<Key> = self.visible.iter().map(|&i| key(&self.rows[i])).collect();
        if keys.iter().all(|k| self.marks.contains(k)) {
            self.marks.clear();
        } else {
            self.marks.extend(keys);
        }
    }

    /// The workflows an operation applies to: the marked ones (in list order), else
    /// the one under the cursor.
    pub fn targets(&self) -> Vec<(WorkflowRef, String)> {
        let named = |w: &WorkflowSummary| {
            (
                WorkflowRef {
                    env: w.env.clone(),
                    id: w.id.clone(),
                },
                w.name.clone(),
            )
        };
        if self.marks.is_empty() {
            return self.current().map(named).into_iter().collect();
        }
        self.rows
            .iter()
            .filter(|w| self.marks.contains(&key(w)))
            .map(named)
            .collect()
    }

    pub fn name_of(&self, target: &WorkflowRef) -> Option<&str> {
        self.rows
            .iter()
            .find(|w| w.env == target.env && w.id == target.id)
            .map(|w| w.name.as_str())
    }

    /// Draws the header and the rows on screen into `area`.
    pub fn draw(&mut self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let theme = ui.theme;
        let height = usize::from(area.height.saturating_sub(1));
        let on_screen = self.cursor.window(height, self.visible.len());

        let wide = area.width >= TAGS_FROM;
        let env_width = ui
            .envs
            .iter()
            .map(|e| Span::raw(e.name.as_str()).width())
            .max()
            .unwrap_or(11)
            .clamp(3, 14) as u16;
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(env_width),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(5),
        ];
        if wide {
            widths.push(Constraint::Length(24));
        }
        widths.extend([Constraint::Length(8), Constraint::Length(18)]);

        let mut header = vec!["", "ENV", "", "NAME", "NODES"];
        if wide {
            header.push("TAGS");
        }
        header.extend(["UPDATED", "LAST CHANGE"]);
        let header = Row::new(header).style(theme.muted);

        let first = on_screen.start;
        let rows: Vec<Row> = self.visible[on_screen]
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                let w = &self.rows[r];
                let selected = first + i == self.cursor.selected;
                self.row(w, selected, wide, ui)
            })
            .collect();
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
    }

    fn row<'a>(&self, w: &'a WorkflowSummary, selected: bool, wide: bool, ui: &Ui) -> Row<'a> {
        let theme = ui.theme;
        let marked = self.marks.contains(&(w.env.clone(), w.id.clone()));
        let class = ui
            .envs
            .iter()
            .find(|e| e.name == w.env)
            .map_or(theme.base, |e| theme.class(e.class));
        let (active, active_style) = if w.active {
            ("●", theme.ok)
        } else {
            ("○", theme.muted)
        };
        let mut cells = vec![
            Cell::from(Span::styled(if marked { "*" } else { " " }, theme.marked)),
            Cell::from(Span::styled(w.env.as_str(), class)),
            Cell::from(Span::styled(active, active_style)),
            Cell::from(Span::styled(
                w.name.as_str(),
                if marked { theme.marked } else { Style::new() },
            )),
            Cell::from(Line::from(w.nodes.to_string()).right_aligned()),
        ];
        if wide {
            let tags: Vec<String> = w.tags.iter().map(|t| format!("#{t}")).collect();
            cells.push(Cell::from(Span::styled(tags.join(" "), theme.accent)));
        }
        cells.push(Cell::from(Span::styled(
            iso_age(w.updated_at.as_deref(), ui.now),
            theme.muted,
        )));
        cells.push(Cell::from(change(w, ui.now, theme)));
        let row = Row::new(cells);
        if selected {
            row.style(theme.selected)
        } else {
            row
        }
    }
}

fn change<'a>(w: &WorkflowSummary, now: Time, theme: &Theme) -> Line<'a> {
    let style = match w.change {
        Change::Added => theme.added,
        Change::Changed => theme.changed,
        Change::Removed => theme.removed,
        Change::Unchanged => theme.muted,
    };
    Line::from(vec![
        Span::styled(w.change.as_str(), style),
        Span::styled(format!(" {}", age(w.stored_at, now)), theme.muted),
    ])
}

/// The age of an RFC 3339 time as n8n writes it; unreadable ones as written.
pub(super) fn iso_age(at: Option<&str>, now: Time) -> String {
    match at {
        None => "—".to_string(),
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => age(t.with_timezone(&chrono::Utc), now),
            Err(_) => text.chars().take(10).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::now;

    #[test]
    fn n8n_times_read_as_ages() {
        assert_eq!(iso_age(Some("2026-11-22T10:00:00.000Z"), now()), "2h ago");
        assert_eq!(iso_age(Some("yesterday, roughly"), now()), "yesterday,");
        assert_eq!(iso_age(None, now()), "—");
    }
}
