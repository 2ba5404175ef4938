//! What list panes draw alike around their rows: the title with counts, `/` filter and
//! refresh mark, the bordered block, and what shows instead of rows before the first
//! load, when there is nothing at all and when nothing matches the filter.

use super::action::Action;
use super::filter::Filter;
use super::theme::Theme;
use super::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// ` Jobs 3 of 12 /sync refreshing… `: a list's name, then (once loaded) how many rows
/// it shows of how many, the `/` filter, and whether a reload is under way.
pub struct ListTitle<'a> {
    pub name: &'a str,
    /// Rows shown and rows in all; None before the first load.
    pub counts: Option<(usize, usize)>,
    /// Follows the counts, e.g. `" entries"`; may be empty.
    pub unit: &'a str,
    pub filter: &'a Filter,
    pub refreshing: bool,
}

impl ListTitle<'_> {
    pub fn line(&self, theme: &Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(format!(" {} ", self.name), theme.title)];
        if let Some((shown, total)) = self.counts {
            let unit = self.unit;
            let count = if shown == total {
                format!("{total}{unit} ")
            } else {
                format!("{shown} of {total}{unit} ")
            };
            spans.push(Span::styled(count, theme.muted));
        }
        if !self.filter.is_empty() {
            spans.push(Span::styled(
                format!("/{} ", self.filter.text),
                theme.accent,
            ));
        }
        if self.refreshing {
            spans.push(Span::styled("refreshing… ", theme.muted));
        }
        Line::from(spans)
    }
}

/// What a list shows until its first load: `loading`, or, when the load failed,
/// `failed` with the error and the key that tries again.
pub fn first_load(error: Option<&str>, loading: &str, failed: &str, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    match error {
        Some(error) => vec![
            Line::styled(format!("{failed}: {error}"), theme.error),
            Line::styled(
                format!("{} tries again.", ui.keymap.hint(Action::Refresh)),
                theme.muted,
            ),
        ],
        None => vec![Line::styled(loading.to_owned(), theme.muted)],
    }
}

/// What a list says when it has no rows to show.
pub struct Wording<'a> {
    /// Before the first load answers, e.g. `"Loading jobs…"`.
    pub loading: &'a str,
    /// Before the error of a failed first load, e.g. `"Could not load the jobs"`.
    pub failed: &'a str,
    /// When there is nothing at all.
    pub empty: &'a str,
    /// One row, for `No job matches /sync.`
    pub row: &'a str,
}

/// The lines shown instead of rows, or None when there are rows to draw. The title's
/// counts say whether the list is loaded (`None` before the first load); `error` is the
/// first load's failure.
pub fn placeholder(
    title: &ListTitle,
    error: Option<&str>,
    wording: &Wording,
    ui: &Ui,
) -> Option<Vec<Line<'static>>> {
    let muted = ui.theme.muted;
    match title.counts {
        None => Some(first_load(error, wording.loading, wording.failed, ui)),
        Some((_, 0)) => Some(vec![Line::styled(wording.empty.to_owned(), muted)]),
        Some((0, _)) => Some(vec![Line::styled(
            format!("No {} matches /{}.", wording.row, title.filter.text),
            muted,
        )]),
        Some(_) => None,
    }
}

/// Draws a list's bordered block under its title, and returns the inside for the rows;
/// when there are none to show (see `placeholder`), says why there and returns None.
pub fn framed(
    frame: &mut Frame,
    area: Rect,
    title: &ListTitle,
    error: Option<&str>,
    wording: &Wording,
    ui: &Ui,
) -> Option<Rect> {
    let block = Block::bordered()
        .border_style(ui.theme.border)
        .title(title.line(ui.theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match placeholder(title, error, wording, ui) {
        Some(lines) => {
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
            None
        }
        None => Some(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::Fixture;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_title_shows_counts_filter_and_refresh() {
        let theme = Theme::default();
        let filter = Filter::parse("sync");
        let mut title = ListTitle {
            name: "Jobs",
            counts: None,
            unit: "",
            filter: &Filter::default(),
            refreshing: false,
        };
        assert_eq!(text(&title.line(&theme)), " Jobs ");
        title.counts = Some((12, 12));
        assert_eq!(text(&title.line(&theme)), " Jobs 12 ");
        title.counts = Some((3, 12));
        title.unit = " entries";
        title.filter = &filter;
        title.refreshing = true;
        assert_eq!(
            text(&title.line(&theme)),
            " Jobs 3 of 12 entries /sync refreshing… "
        );
    }

    #[test]
    fn before_the_first_load_it_says_loading_or_how_to_retry() {
        let fixture = Fixture::default();
        let ui = fixture.ui();
        let loading = first_load(None, "Loading jobs…", "Could not load the jobs", &ui);
        assert_eq!(
            loading.iter().map(text).collect::<Vec<_>>(),
            ["Loading jobs…"]
        );
        let failed = first_load(Some("timeout"), "Loading…", "Could not load the jobs", &ui);
        let failed: Vec<String> = failed.iter().map(text).collect();
        assert_eq!(failed[0], "Could not load the jobs: timeout");
        assert!(failed[1].ends_with(" tries again."), "{failed:?}");
    }

    #[test]
    fn the_placeholder_follows_load_totals_and_filter() {
        let fixture = Fixture::default();
        let ui = fixture.ui();
        let filter = Filter::parse("sync");
        let wording = Wording {
            loading: "Loading jobs…",
            failed: "Could not load the jobs",
            empty: "No jobs yet.",
            row: "job",
        };
        let mut title = ListTitle {
            name: "Jobs",
            counts: None,
            unit: "",
            filter: &filter,
            refreshing: false,
        };
        let said = |title: &ListTitle| {
            placeholder(title, None, &wording, &ui)
                .map(|lines| lines.iter().map(text).collect::<Vec<_>>())
        };
        assert_eq!(said(&title), Some(vec!["Loading jobs…".to_owned()]));
        title.counts = Some((0, 0));
        assert_eq!(said(&title), Some(vec!["No jobs yet.".to_owned()]));
        title.counts = Some((0, 4));
        assert_eq!(said(&title), Some(vec!["No job matches /sync.".to_owned()]));
        title.counts = Some((1, 4));
        assert_eq!(said(&title), None);
    }
}
