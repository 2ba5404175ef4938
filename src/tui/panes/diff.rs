//! The Diff pane: the side-by-side semantic diff of two workflows. (Placeholder until built.)

use crate::tui::action::Action;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

#[derive(Debug, Default)]
pub struct DiffPane {}

impl DiffPane {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Pane for DiffPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Diff
    }

    fn actions(&self) -> Vec<Action> {
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, ui: &Ui) {
        frame.render_widget(Paragraph::new("not built yet").style(ui.theme.muted), area);
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) {}

    fn on_msg(&mut self, _msg: PaneMsg, _cx: &mut Cx) {}

    fn on_open(&mut self, _nav: Nav, _cx: &mut Cx) {}
}
