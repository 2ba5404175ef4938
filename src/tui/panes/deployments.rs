//! The Deployments pane: promotions with their state, approvals and results.

use crate::tui::action::Action;
use crate::tui::pane::{Cx, Nav, Pane, PaneKind, PaneMsg};
use crate::tui::ui::Ui;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

#[derive(Default)]
pub struct DeploymentsPane {}

impl DeploymentsPane {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Pane for DeploymentsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Deployments
    }

    fn actions(&self) -> Vec<Action> {
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, _ui: &Ui) {
        let block = Block::bordered().title(" Deployments ");
        frame.render_widget(Paragraph::new("not built yet").block(block), area);
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) {}

    fn on_msg(&mut self, _msg: PaneMsg, _cx: &mut Cx) {}

    fn on_open(&mut self, _nav: Nav, _cx: &mut Cx) {}
}
