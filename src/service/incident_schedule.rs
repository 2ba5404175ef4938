//! The incident schedule, while a long-running face (the TUI, later the server) is up:
//! a sweep every `incidents.sweep_secs` (SLA escalations, acknowledgement timeouts,
//! failing-execution thresholds, retention, due notifications). Off when read-only.

use super::local::LocalOps;
use std::time::Duration;
use tokio::task::JoinHandle;

impl LocalOps {
    /// Starts the schedule in the background; abort the handle to stop it.
    pub fn spawn_incident_schedule(&self) -> JoinHandle<()> {
        let ops = self.clone();
        let every = Duration::from_secs(self.settings.incidents.sweep_secs.max(1));
        tokio::spawn(async move { ops.run_incident_schedule(every).await })
    }

    /// Sweeps every `every` until aborted; returns at once when read-only. A sweep that
    /// fails is logged and the next one tries again.
    pub(super) async fn run_incident_schedule(self, every: Duration) {
        if self.settings.readonly {
            return;
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            match self.sweep_incidents().await {
                Ok(report) => {
                    if report != Default::default() {
                        tracing::info!(?report, "incident sweep");
                    }
                }
                Err(e) => tracing::error!(error = %e.message, "the incident sweep failed"),
            }
        }
    }
}
