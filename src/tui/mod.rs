//! The TUI face: one tokio loop over terminal input, service events and a tick; panes
//! draw from plain state; keys become actions through the keymap.

pub mod action;
pub mod app;
mod command_line;
mod confirm;
pub mod filter;
mod footer;
mod header;
mod help;
mod input_line;
pub mod keymap;
pub mod list_cursor;
pub mod list_view;
pub mod pane;
pub mod panes;
mod run;
pub mod sync_watch;
mod terminal;
pub mod theme;
pub mod ui;

#[cfg(test)]
pub mod testing;

pub use run::{TuiOptions, panes, run};
