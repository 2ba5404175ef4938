//! The promotion wizard: stage, workflows, review, credentials, gates, confirm, progress, result.

use crate::tui::action::Action;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

#[derive(Default)]
pub struct PromotePane {}

impl PromotePane {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Pane for PromotePane {
    fn kind(&self) -> PaneKind {
        PaneKind::Promote
    }

    fn actions(&self) -> Vec<Action> {
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, _ui: &Ui) {
        let block = Block::bordered().title(" Promote ");
        frame.render_widget(Paragraph::new("not built yet").block(block), area);
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) {}

    fn on_msg(&mut self, _msg: PaneMsg, _cx: &mut Cx) {}

    fn on_open(&mut self, _nav: Nav, _cx: &mut Cx) {}
}
