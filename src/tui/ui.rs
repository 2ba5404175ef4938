//! What every pane may read while drawing: theme, keymap, mode, the environments and
//! their health, and the time (passed in, so snapshots are stable).

use super::keymap::Keymap;
use super::theme::Theme;
use crate::service::{EnvView, Time};
use std::collections::HashMap;

/// An environment's last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not checked yet.
    Unknown,
    Up {
        latency_ms: u64,
        version: Option<String>,
    },
    Down {
        problem: String,
    },
}

pub struct Ui<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub readonly: bool,
    pub now: Time,
    pub envs: &'a [EnvView],
    pub health: &'a HashMap<String, Health>,
}
