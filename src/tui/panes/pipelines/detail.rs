//! One pipeline opened: where it is defined, then each stage with its gates in words,
//! its activation policy and its credential mapping table. The lines are built from the
//! listed pipeline at each draw and scrolled with the list moves.

use super::draw::{source_label, stages_label};
use crate::domain::pipeline::{Activation, Gates, Pipeline, Stage, Validation};
use crate::service::{PipelineSource, PipelineView};
use crate::tui::action::Action;
use crate::tui::list_cursor::ListCursor;
use crate::tui::theme::Theme;
use crate::tui::ui::{Ui, age, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The gate names' column.
const LABEL_W: usize = 13;

pub(super) struct DetailView {
    pub name: String,
    /// `cursor.selected` is the first line on screen.
    pub cursor: ListCursor,
    /// Lines at the last draw.
    pub len: usize,
}

impl DetailView {
    pub fn new(name: String) -> DetailView {
        DetailView {
            name,
            cursor: ListCursor::default(),
            len: 0,
        }
    }

    /// The possible first lines on screen, for the moves.
    pub fn scroll_len(&self) -> usize {
        self.len.saturating_sub(self.cursor.page) + 1
    }
}

/// Where it is defined and who saved it.
fn origin(view: &PipelineView, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    match view.source {
        PipelineSource::Config => vec![Line::styled(
            "defined in the config file; edit it there (read-only here)",
            theme.warn,
        )],
        PipelineSource::Store => {
            let mut text = "kept in the n8nops store".to_owned();
            if let Some(by) = &view.updated_by {
                text.push_str(&format!(" · saved by {by}"));
            }
            if let Some(at) = view.updated_at {
                text.push_str(&format!(" {}", age(at, ui.now)));
            }
            vec![Line::styled(text, theme.muted)]
        }
    }
}

fn row(label: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("   {}", fit(label, LABEL_W)), theme.muted),
        Span::raw(value),
    ])
}

/// The gates of a stage, one line each.
fn gate_lines(stage: &Stage, theme: &Theme) -> Vec<Line<'static>> {
    let Gates {
        drift,
        credentials,
        approvals,
        windows,
        validation,
    } = &stage.gates;
    let to = &stage.to;
    let mut lines = vec![
        row(
            "drift",
            if *drift {
                format!("on: {to} in sync, or its drifted workflows acknowledged")
            } else {
                "off".to_owned()
            },
            theme,
        ),
        row(
            "credentials",
            if *credentials {
                format!("on: every credential used must exist in {to} (same type)")
            } else {
                "off".to_owned()
            },
            theme,
        ),
        row(
            "approvals",
            match approvals {
                0 => "none".to_owned(),
                1 => "1 from someone other than the requester".to_owned(),
                n => format!("{n} from people other than the requester"),
            },
            theme,
        ),
    ];
    match windows {
        None => lines.push(row("windows", "none: any time".to_owned(), theme)),
        Some(w) => {
            let list = |exprs: &[String]| {
                if exprs.is_empty() {
                    "—".to_owned()
                } else {
                    exprs.join(", ")
                }
            };
            lines.push(row("windows", format!("in {}", w.timezone), theme));
            lines.push(row(
                "",
                format!(
                    "allow {}",
                    if w.allow.is_empty() {
                        "any time not denied".to_owned()
                    } else {
                        list(&w.allow)
                    }
                ),
                theme,
            ));
            if !w.deny.is_empty() {
                lines.push(row(
                    "",
                    format!("deny {} (a deny beats an allow)", list(&w.deny)),
                    theme,
                ));
            }
        }
    }
    lines.push(row(
        "validation",
        match validation {
            None => "none".to_owned(),
            Some(v @ Validation::Http { expect_status, .. }) => format!(
                "{} expects {expect_status} (timeout {}s)",
                v.describe(),
                v.timeout_secs()
            ),
            Some(v) => format!("{} exits 0 (timeout {}s)", v.describe(), v.timeout_secs()),
        },
        theme,
    ));
    lines
}

/// Every line of a pipeline's detail.
pub(super) fn lines(view: &PipelineView, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let Pipeline {
        name: _,
        description,
        stages,
    } = &view.pipeline;
    let mut lines = origin(view, ui);
    if !description.is_empty() {
        lines.push(Line::raw(description.clone()));
    }
    lines.push(Line::from(vec![
        Span::styled("stages ", theme.muted),
        Span::styled(stages_label(&view.pipeline), theme.accent),
    ]));
    for (i, stage) in stages.iter().enumerate() {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled(format!("{}. ", i + 1), theme.muted),
            Span::styled(stage.label(), theme.title),
        ]));
        lines.extend(gate_lines(stage, theme));
        lines.push(row(
            "activation",
            match stage.activation {
                Activation::KeepTarget => {
                    format!(
                        "keep {}'s state (a new workflow arrives inactive)",
                        stage.to
                    )
                }
                Activation::FollowSource => format!("follow {}'s state", stage.from),
            },
            theme,
        ));
        if stage.credentials.is_empty() {
            lines.push(row(
                "mapping",
                format!("none: credentials keep their names in {}", stage.to),
                theme,
            ));
        } else {
            lines.push(row(
                "mapping",
                format!("{} → {}", stage.from, stage.to),
                theme,
            ));
            let width = stage
                .credentials
                .keys()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(6, 40)
                + 2;
            lines.push(Line::styled(
                format!(
                    "   {}{}",
                    " ".repeat(LABEL_W),
                    fit("SOURCE", width) + "TARGET"
                ),
                theme.muted,
            ));
            for (source, target) in &stage.credentials {
                lines.push(Line::raw(format!(
                    "   {}{}{target}",
                    " ".repeat(LABEL_W),
                    fit(source, width)
                )));
            }
        }
    }
    lines
}

pub(super) fn draw(
    view: &mut DetailView,
    pipeline: Option<&PipelineView>,
    frame: &mut Frame,
    area: Rect,
    ui: &Ui,
) {
    let theme = ui.theme;
    let mut title = vec![
        Span::styled(" Pipeline ", theme.title),
        Span::styled(format!("{} ", view.name), theme.accent),
    ];
    if let Some(p) = pipeline {
        title.push(Span::styled(
            format!("· {} ", source_label(p.source)),
            theme.muted,
        ));
    }
    let mut hint = Vec::new();
    if pipeline.is_some_and(|p| p.source == PipelineSource::Store) && !ui.readonly {
        for action in [Action::Edit, Action::Delete] {
            hint.push(format!("{} {}", ui.keymap.hint(action), action.label()));
        }
    }
    hint.push(format!("{} back", ui.keymap.hint(Action::Back)));
    let block = Block::bordered()
        .border_style(theme.border_focus)
        .title(Line::from(title))
        .title_bottom(Span::styled(format!(" {} ", hint.join(" · ")), theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = match pipeline {
        Some(p) => lines(p, ui),
        None => vec![Line::styled(
            format!("Pipeline '{}' is no longer listed.", view.name),
            theme.muted,
        )],
    };
    view.len = all.len();
    let height = usize::from(inner.height);
    view.cursor.page = height;
    let first = view.cursor.selected.min(all.len().saturating_sub(height));
    view.cursor.selected = first;
    let shown: Vec<Line> = all.into_iter().skip(first).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
