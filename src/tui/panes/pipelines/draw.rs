//! Drawing the pipeline list, and how the list and the detail write a pipeline's
//! source and stages.

use super::PipelinesPane;
use crate::domain::pipeline::Pipeline;
use crate::service::PipelineSource;
use crate::tui::action::Action;
use crate::tui::list_view::{ListTitle, Wording, framed};
use crate::tui::ui::{Ui, age, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const SOURCE_W: u16 = 8;
const UPDATED_W: u16 = 20;
/// Names as wide as the widest, within.
const MAX_NAME: u16 = 24;
/// Stages as wide as the widest, within.
const MAX_STAGES: u16 = 48;

pub(super) fn source_label(source: PipelineSource) -> &'static str {
    match source {
        PipelineSource::Config => "config",
        PipelineSource::Store => "store",
    }
}

/// "development -> staging -> production" when the stages chain; else each stage,
/// comma-separated ("staging -> prod-eu, staging -> prod-us").
pub(super) fn stages_label(p: &Pipeline) -> String {
    let chains = p.stages.windows(2).all(|w| w[0].to == w[1].from);
    match p.stages.first() {
        Some(first) if chains => {
            let mut envs = vec![first.from.as_str()];
            envs.extend(p.stages.iter().map(|s| s.to.as_str()));
            envs.join(" -> ")
        }
        _ => p
            .stages
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub(super) fn draw_list(pane: &mut PipelinesPane, frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let title = ListTitle {
        name: "Pipelines",
        counts: pane
            .loaded
            .then_some((pane.visible.len(), pane.pipelines.len())),
        unit: "",
        filter: &pane.filter,
        refreshing: pane.loading && pane.loaded,
    };
    let empty = if ui.readonly {
        "No pipelines. They are defined in the config file ([[pipelines]]).".to_owned()
    } else {
        format!(
            "No pipelines yet. {} adds one here; the config file can define them too ([[pipelines]]).",
            ui.keymap.hint(Action::Add)
        )
    };
    let wording = Wording {
        loading: "Loading pipelines…",
        failed: "Could not load the pipelines",
        empty: &empty,
        row: "pipeline",
    };
    let Some(inner) = framed(frame, area, &title, pane.error.as_deref(), &wording, ui) else {
        return;
    };
    let wide = inner.width >= 120;
    let widest = |f: &dyn Fn(usize) -> usize, min: u16, max: u16| {
        pane.visible
            .iter()
            .map(|&i| f(i))
            .max()
            .map_or(min, |w| u16::try_from(w + 1).unwrap_or(max))
            .clamp(min, max)
    };
    let name_w = widest(
        &|i| pane.pipelines[i].pipeline.name.chars().count(),
        6,
        MAX_NAME,
    );
    let stages_w = widest(
        &|i| stages_label(&pane.pipelines[i].pipeline).chars().count(),
        8,
        MAX_STAGES,
    );
    let mut widths = vec![name_w, SOURCE_W, stages_w];
    if wide {
        widths.push(UPDATED_W);
    }
    let fixed: u16 = widths.iter().sum();
    widths.push(inner.width.saturating_sub(fixed).max(8));
    let line = |cells: Vec<(String, Style)>| -> Line<'static> {
        Line::from(
            cells
                .into_iter()
                .zip(&widths)
                .map(|((text, style), w)| Span::styled(fit(&text, usize::from(*w)), style))
                .collect::<Vec<_>>(),
        )
    };
    let mut header = vec!["NAME", "SOURCE", "STAGES"];
    if wide {
        header.push("SAVED");
    }
    header.push("DESCRIPTION");
    let mut lines = vec![line(
        header
            .into_iter()
            .map(|h| (h.to_owned(), theme.muted))
            .collect(),
    )];
    let height = usize::from(inner.height.saturating_sub(1));
    let range = pane.cursor.window(height, pane.visible.len());
    for (pos, &i) in pane.visible[range.clone()].iter().enumerate() {
        let view = &pane.pipelines[i];
        let source_style = match view.source {
            PipelineSource::Config => theme.muted,
            PipelineSource::Store => theme.accent,
        };
        let mut cells = vec![
            (view.pipeline.name.clone(), theme.base),
            (source_label(view.source).to_owned(), source_style),
            (stages_label(&view.pipeline), theme.base),
        ];
        if wide {
            let saved = match (&view.updated_by, view.updated_at) {
                (Some(by), Some(at)) => format!("{by} {}", age(at, ui.now)),
                (Some(by), None) => by.clone(),
                _ => String::new(),
            };
            cells.push((saved, theme.muted));
        }
        cells.push((view.pipeline.description.clone(), theme.muted));
        let mut row = line(cells);
        if range.start + pos == pane.cursor.selected {
            row = row.patch_style(theme.selected);
        }
        lines.push(row);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
