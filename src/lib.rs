//! n8nops: a keyboard-driven console for operating fleets of n8n instances.
//!
//! Layers (arrows point inward only, see DESIGN.md):
//! faces (`cli`, later `tui` and `server`) -> `service` -> adapters (`n8n`, `store`, `sim`) -> `domain`.

pub mod cli;
pub mod config;
pub mod domain;
pub mod git;
pub mod n8n;
pub mod service;
pub mod sim;
pub mod store;
pub mod tui;
