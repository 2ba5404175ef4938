//! What list panes draw alike around their rows: the title with counts, `/` filter and
//! refresh mark, and the lines shown instead of rows until the first load.

use super::action::Action;
use super::filter::Filter;
use super::theme::Theme;
use super::ui::Ui;
use ratatui::text::{Line, Span};

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
}
