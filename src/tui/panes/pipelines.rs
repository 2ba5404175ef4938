//! The Pipelines pane: pipelines, their stages and gates, edited in place.

use crate::tui::action::Action;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

#[derive(Default)]
pub struct PipelinesPane {}

impl PipelinesPane {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Pane for PipelinesPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Pipelines
    }

    fn actions(&self) -> Vec<Action> {
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, _ui: &Ui) {
        let block = Block::bordered().title(" Pipelines ");
        frame.render_widget(Paragraph::new("not built yet").block(block), area);
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) {}

    fn on_msg(&mut self, _msg: PaneMsg, _cx: &mut Cx) {}

    fn on_open(&mut self, _nav: Nav, _cx: &mut Cx) {}
}
