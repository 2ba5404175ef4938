//! The incident metrics: MTTA and MTTR (mean, p50, p90) per environment and severity of
//! the incidents opened within a period (the last 30 days by default), and per
//! severity across every environment.

use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{OpsError, OpsResult};
use super::DAY_MS;
use crate::domain::incident::{Lived, stats};
use crate::store::incidents as store;
use crate::store::now_ms;

/// The period when none is given: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// What the totals' rows name as their environment.
pub(in crate::service) const ALL_ENVS: &str = "all";

impl LocalOps {
    pub(in crate::service) async fn incident_stats(
        &self,
        q: &IncidentStatsQuery,
    ) -> OpsResult<IncidentStats> {
        self.stats_at(q, now_ms()).await
    }

    /// The metrics with `now` (ms) as the default end of the period. An environment
    /// that is not known (and had no incidents) is NotFound, naming it.
    pub(in crate::service) async fn stats_at(
        &self,
        q: &IncidentStatsQuery,
        now: i64,
    ) -> OpsResult<IncidentStats> {
        let to = q.to.map_or(now, |t| t.timestamp_millis());
        let from = q
            .from
            .map_or(to.saturating_sub(DEFAULT_DAYS * DAY_MS), |t| {
                t.timestamp_millis()
            });
        if from >= to {
            return Err(OpsError::invalid(format!(
                "the period of the incident metrics is empty: {} is not before {}",
                time_from_ms(from),
                time_from_ms(to)
            )));
        }
        let mut conn = self.store.conn().await?;
        let lived = store::lived(&mut conn, from, to, q.env.as_deref()).await?;
        drop(conn);
        self.stats_env_known(q.env.as_deref(), !lived.is_empty())
            .await?;
        let rows = stats(&lived, from, to);
        let all: Vec<Lived> = lived
            .into_iter()
            .map(|l| Lived {
                env: ALL_ENVS.to_owned(),
                ..l
            })
            .collect();
        Ok(IncidentStats {
            from: time_from_ms(from),
            to: time_from_ms(to),
            rows,
            totals: stats(&all, from, to),
        })
    }
}
