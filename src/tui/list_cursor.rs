//! The cursor of a list pane: which row is selected and which is first on screen,
//! moved by the keymap's moves (`j k g G ctrl-d ctrl-u`).

use super::action::Action;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    /// The first row on screen.
    pub offset: usize,
    /// Rows on screen at the last draw, for page moves.
    pub page: usize,
}

impl ListCursor {
    /// The moves this understands, for a pane's `actions()`.
    pub const MOVES: [Action; 6] = [
        Action::Down,
        Action::Up,
        Action::Top,
        Action::Bottom,
        Action::PageDown,
        Action::PageUp,
    ];

    /// Applies a move over `len` rows; true when `action` was a move.
    pub fn apply(&mut self, action: Action, len: usize) -> bool {
        let last = len.saturating_sub(1);
        let page = self.page.max(1);
        self.selected = match action {
            Action::Down => (self.selected + 1).min(last),
            Action::Up => self.selected.saturating_sub(1),
            Action::Top => 0,
            Action::Bottom => last,
            Action::PageDown => (self.selected + page).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            _ => return false,
        };
        true
    }

    /// Keeps the selection within `len` rows.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Moves the window of `height` rows so the selection is on screen; returns the
    /// range of rows to draw.
    pub fn window(&mut self, height: usize, len: usize) -> std::ops::Range<usize> {
        self.clamp(len);
        self.reveal(height);
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }

    /// Moves the window of `height` rows just enough for the selection to be on
    /// screen, and no more: unlike `window`, it leaves blank rows below the last
    /// one rather than scrolling back up to fill them.
    pub fn reveal(&mut self, height: usize) {
        self.page = height;
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if height > 0 && self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_bounds_and_the_window_follows() {
        let mut c = ListCursor::default();
        assert_eq!(c.window(3, 10), 0..3);
        assert!(c.apply(Action::Bottom, 10));
        assert_eq!(c.selected, 9);
        assert_eq!(c.window(3, 10), 7..10);
        assert!(c.apply(Action::PageUp, 10));
        assert_eq!(c.selected, 6);
        assert_eq!(c.window(3, 10), 6..9);
        c.apply(Action::Down, 10);
        c.apply(Action::Down, 10);
        c.apply(Action::Down, 10);
        c.apply(Action::Down, 10);
        assert_eq!(c.selected, 9);
        assert!(!c.apply(Action::Enter, 10));
        c.clamp(4);
        assert_eq!(c.selected, 3);
        assert_eq!(c.window(3, 4), 1..4);
        let mut empty = ListCursor::default();
        empty.apply(Action::Down, 0);
        assert_eq!((empty.selected, empty.window(5, 0)), (0, 0..0));
    }

    #[test]
    fn reveal_scrolls_only_as_far_as_the_selection() {
        let mut c = ListCursor {
            selected: 9,
            offset: 8,
            page: 0,
        };
        c.reveal(4);
        assert_eq!(
            (c.offset, c.page),
            (8, 4),
            "rows 8 and 9 shown, no scroll back"
        );
        c.selected = 2;
        c.reveal(4);
        assert_eq!(c.offset, 2);
        c.selected = 7;
        c.reveal(4);
        assert_eq!(c.offset, 4);
    }
}
