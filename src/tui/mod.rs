//! The TUI face: one tokio loop over terminal input, service events and a tick; panes
//! draw from plain state; keys become actions through the keymap.

pub mod action;
pub mod filter;
pub mod keymap;
pub mod pane;
pub mod panes;
pub mod theme;
pub mod ui;

#[cfg(test)]
pub mod testing;
