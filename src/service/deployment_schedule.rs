//! The deployment schedule, while a long-running face (the TUI, later the server) is
//! up: at start, deployments a dead process left running are rolled back; then every
//! `DUE_EVERY`, scheduled deployments whose time has come are started.

use super::local::LocalOps;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often scheduled deployments are looked for.
const DUE_EVERY: Duration = Duration::from_secs(30);

impl LocalOps {
    /// Starts the schedule in the background; off when read-only. Abort the handle to
    /// stop it (runs it started go on as jobs).
    pub fn spawn_deployment_schedule(&self) -> JoinHandle<()> {
        let ops = self.clone();
        tokio::spawn(async move { ops.run_deployment_schedule(DUE_EVERY).await })
    }

    pub(super) async fn run_deployment_schedule(self, every: Duration) {
        if self.settings.readonly {
            return;
        }
        match self.recover_deployments().await {
            Ok(started) => {
                for s in started {
                    tracing::warn!(deployment = %s.deployment_id, job = %s.job_id, "an interrupted deployment is being rolled back");
                }
            }
            Err(e) => {
                tracing::error!(error = %e.message, "looking for interrupted deployments failed")
            }
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            match self.run_due_deployments().await {
                Ok(started) => {
                    for s in started {
                        tracing::info!(deployment = %s.deployment_id, job = %s.job_id, "a scheduled deployment started");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e.message, "starting scheduled deployments failed")
                }
            }
        }
    }
}
