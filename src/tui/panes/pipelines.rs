//! The Pipelines pane: every pipeline (the config's and the store's) with its stages;
//! `enter` opens one: each stage's gates in words, its activation policy and its
//! credential mapping. `a` adds and `e` edits a pipeline in an editor holding it as
//! TOML (a new one starts from a commented template): `ctrl-s` saves through the
//! service, errors show under the text with their line and nothing typed is lost;
//! `esc` asks before dropping changes. `d` deletes a store pipeline after asking.
//! Config pipelines are read-only here: they change with the config file.

mod detail;
mod draw;
mod editor;
mod toml_text;

use crate::service::{EnvView, OpsResult, PipelineSource, PipelineView};
use crate::tui::action::Action;
use crate::tui::filter::Filter;
use crate::tui::list_cursor::ListCursor;
use crate::tui::pane::{Confirm, Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use crossterm::event::KeyEvent;
use detail::DetailView;
use editor::{Editor, EditorEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

/// Results of spawned work and confirmed actions.
enum Msg {
    Listed {
        generation: u64,
        result: OpsResult<Vec<PipelineView>>,
    },
    Saved {
        editor: u64,
        result: OpsResult<PipelineView>,
    },
    /// The person agreed to drop the editor's changes.
    Discard {
        editor: u64,
    },
    DeleteConfirmed {
        name: String,
    },
    Deleted {
        name: String,
        result: OpsResult<()>,
    },
}

/// What to say of a config pipeline asked to change.
fn read_only(name: &str) -> String {
    format!("pipeline '{name}' is defined in the config file; edit it there")
}

#[derive(Default)]
pub struct PipelinesPane {
    /// By name, as the service lists them.
    pipelines: Vec<PipelineView>,
    /// Indexes into `pipelines` the filter lets through.
    visible: Vec<usize>,
    loaded: bool,
    loading: bool,
    error: Option<String>,
    generation: u64,
    cursor: ListCursor,
    filter: Filter,
    detail: Option<DetailView>,
    editor: Option<Editor>,
    editors_opened: u64,
    /// Put the cursor on this pipeline when the next load lists it (a saved one).
    select: Option<String>,
    /// The environments as of the last draw, for a new pipeline's template.
    envs: Vec<EnvView>,
}

impl PipelinesPane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `pipelines` as a finished load does (the pane's own loads and tests).
    fn listed(&mut self, pipelines: Vec<PipelineView>) {
        let selected = self
            .select
            .take()
            .or_else(|| self.selected().map(|p| p.pipeline.name.clone()));
        self.pipelines = pipelines;
        self.loaded = true;
        self.error = None;
        self.refilter();
        if let Some(name) = selected
            && let Some(at) = self
                .visible
                .iter()
                .position(|&i| self.pipelines[i].pipeline.name == name)
        {
            self.cursor.selected = at;
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        self.generation += 1;
        self.loading = true;
        let generation = self.generation;
        cx.spawn(move |ops| async move {
            Msg::Listed {
                generation,
                result: ops.pipelines_list().await,
            }
        });
    }

    fn refilter(&mut self) {
        let filter = &self.filter;
        self.visible = self
            .pipelines
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                filter.matches_any([
                    p.pipeline.name.as_str(),
                    draw::source_label(p.source),
                    draw::stages_label(&p.pipeline).as_str(),
                    p.pipeline.description.as_str(),
                ])
            })
            .map(|(i, _)| i)
            .collect();
        self.cursor.clamp(self.visible.len());
    }

    fn selected(&self) -> Option<&PipelineView> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.pipelines.get(i))
    }

    /// The pipeline the keys act on: the open detail's, or the selected row.
    fn target(&self) -> Option<&PipelineView> {
        match &self.detail {
            Some(view) => self.pipelines.iter().find(|p| p.pipeline.name == view.name),
            None => self.selected(),
        }
    }

    fn open_editor(&mut self, editing: Option<&PipelineView>, cx: &mut Cx) {
        let text = match editing {
            Some(view) => match toml_text::to_text(&view.pipeline) {
                Ok(text) => text,
                Err(e) => {
                    cx.error(e);
                    return;
                }
            },
            None => toml_text::template(&self.envs),
        };
        self.editors_opened += 1;
        let name = editing.map(|v| v.pipeline.name.clone());
        self.editor = Some(Editor::new(self.editors_opened, name, &text));
    }

    fn edit(&mut self, cx: &mut Cx) {
        let Some(view) = self.target().cloned() else {
            return;
        };
        if view.source == PipelineSource::Config {
            cx.info(read_only(&view.pipeline.name));
            return;
        }
        self.open_editor(Some(&view), cx);
    }

    fn delete(&mut self, cx: &mut Cx) {
        let Some(view) = self.target() else {
            return;
        };
        let name = view.pipeline.name.clone();
        if view.source == PipelineSource::Config {
            cx.info(read_only(&name));
            return;
        }
        cx.confirm(Confirm {
            title: format!("Delete pipeline {name}"),
            message: format!(
                "Delete pipeline '{name}' ({})? Promotions can no longer go through it; \
                 deployments already recorded keep their history.",
                draw::stages_label(&view.pipeline)
            ),
            type_to_confirm: None,
            payload: Box::new(Msg::DeleteConfirmed { name }),
        });
    }

    fn saved(&mut self, editor: u64, result: OpsResult<PipelineView>, cx: &mut Cx) {
        let current = self.editor.as_mut().filter(|e| e.id == editor);
        match (result, current) {
            (Ok(view), current) => {
                let name = view.pipeline.name.clone();
                let renamed_from = current
                    .as_ref()
                    .and_then(|e| e.editing.clone())
                    .filter(|old| *old != name);
                if current.is_some() {
                    self.editor = None;
                }
                let mut message = format!(
                    "saved pipeline '{name}' ({})",
                    draw::stages_label(&view.pipeline)
                );
                if let Some(old) = renamed_from {
                    message.push_str(&format!("; '{old}' is kept under its name (d deletes it)"));
                }
                cx.info(message);
                if let Some(view) = &mut self.detail {
                    view.name = name.clone();
                }
                self.select = Some(name);
                self.load(cx);
            }
            (Err(e), Some(editor)) => {
                let error = toml_text::refusal(&editor.text(), &e.message);
                editor.fail(error);
            }
            (Err(e), None) => cx.error(format!("pipeline not saved: {e}")),
        }
    }
}

impl Pane for PipelinesPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Pipelines
    }

    fn actions(&self) -> Vec<Action> {
        if self.editor.is_some() {
            return Vec::new();
        }
        let mut actions = ListCursor::MOVES.to_vec();
        if self.detail.is_none() {
            if !self.visible.is_empty() {
                actions.push(Action::Enter);
            }
            actions.push(Action::Add);
        }
        if self.target().is_some() {
            actions.extend([Action::Edit, Action::Delete]);
        }
        actions.push(Action::Refresh);
        actions
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        if self.envs != ui.envs {
            self.envs = ui.envs.to_vec();
        }
        if let Some(editor) = &mut self.editor {
            editor.draw(frame, area, ui.theme);
            return;
        }
        match &mut self.detail {
            Some(view) => {
                let pipeline = self.pipelines.iter().find(|p| p.pipeline.name == view.name);
                detail::draw(view, pipeline, frame, area, ui);
            }
            None => draw::draw_list(self, frame, area, ui),
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) {
        if cx.readonly && action.is_mutating() {
            cx.error("read-only: pipelines are not added, edited or deleted");
            return;
        }
        if let Some(view) = &mut self.detail {
            let len = view.scroll_len();
            if view.cursor.apply(action, len) {
                return;
            }
        } else if self.cursor.apply(action, self.visible.len()) {
            return;
        }
        match action {
            Action::Enter if self.detail.is_none() => {
                if let Some(name) = self.selected().map(|p| p.pipeline.name.clone()) {
                    self.detail = Some(DetailView::new(name));
                }
            }
            Action::Add => self.open_editor(None, cx),
            Action::Edit => self.edit(cx),
            Action::Delete => self.delete(cx),
            Action::Refresh => self.load(cx),
            _ => {}
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
                    Ok(pipelines) => self.listed(pipelines),
                    Err(e) if self.loaded => cx.error(format!("pipelines not refreshed: {e}")),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Msg::Saved { editor, result } => self.saved(editor, result, cx),
            Msg::Discard { editor } => {
                if self.editor.as_ref().is_some_and(|e| e.id == editor) {
                    self.editor = None;
                }
            }
            Msg::DeleteConfirmed { name } => {
                if cx.readonly {
                    cx.error("read-only: pipelines are not added, edited or deleted");
                    return;
                }
                cx.spawn(move |ops| async move {
                    let result = ops.pipeline_delete(name.clone()).await;
                    Msg::Deleted { name, result }
                });
            }
            Msg::Deleted { name, result } => match result {
                Ok(()) => {
                    cx.info(format!("deleted pipeline '{name}'"));
                    if self.detail.as_ref().is_some_and(|v| v.name == name) {
                        self.detail = None;
                    }
                    self.load(cx);
                }
                Err(e) => cx.error(format!("pipeline '{name}' not deleted: {e}")),
            },
        }
    }

    fn on_open(&mut self, _nav: Nav, cx: &mut Cx) {
        if !self.loading {
            self.load(cx);
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.refilter();
    }

    fn captures_input(&self) -> bool {
        self.editor.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        match editor.on_key(key) {
            EditorEvent::None => {}
            EditorEvent::Close => self.editor = None,
            EditorEvent::AskDiscard => {
                let what = match &editor.editing {
                    Some(name) => format!("your changes to pipeline '{name}'"),
                    None => "the new pipeline".to_owned(),
                };
                cx.confirm(Confirm {
                    title: "Discard changes".to_owned(),
                    message: format!("Close the editor and drop {what}? Nothing was saved."),
                    type_to_confirm: None,
                    payload: Box::new(Msg::Discard { editor: editor.id }),
                });
            }
            EditorEvent::Save(pipeline) => {
                if cx.readonly {
                    editor.saving = false;
                    cx.error("read-only: pipelines are not added, edited or deleted");
                    return;
                }
                let id = editor.id;
                cx.spawn(move |ops| async move {
                    Msg::Saved {
                        editor: id,
                        result: ops.pipeline_put(pipeline).await,
                    }
                });
            }
        }
    }

    /// `esc` closes the detail (the editor takes its own `esc`).
    fn back(&mut self) -> bool {
        self.detail.take().is_some()
    }
}

#[cfg(test)]
mod tests;
