//! A promotion started to fix an incident (`DeploymentCreate.incident`): the incident
//! is checked before anything is recorded, and its timeline gets a
//! `promotion_started` entry naming the deployment, in the transaction that records
//! the deployment.

use super::super::local::LocalOps;
use super::super::{ErrorKind, OpsError, OpsResult};
use super::views::Reference;
use super::{load, record_event, rules};
use crate::domain::incident::EventKind;
use crate::store::incidents::IncidentRow;
use sqlx::AnyConnection;

impl LocalOps {
    /// The incident a promotion says it fixes; Invalid naming it when there is none.
    pub(in crate::service) async fn incident_fixed_by(&self, id: i64) -> OpsResult<IncidentRow> {
        let mut conn = self.store.conn().await?;
        load(&mut conn, id).await.map_err(|e| match e.kind {
            ErrorKind::NotFound => OpsError::invalid(format!(
                "the promotion names incident #{id} as the one it fixes, but there is no incident #{id}"
            )),
            _ => e,
        })
    }

    /// Records on incident `id`, in the caller's transaction, that deployment
    /// `deployment` (`from` -> `to`) was started at `at` to fix it; returns the
    /// incident, to announce once committed ([`Self::announce_promotion`]). How
    /// messages name it is `rules::named`.
    pub(in crate::service) async fn record_promotion_started(
        &self,
        conn: &mut AnyConnection,
        id: i64,
        deployment: &str,
        from: &str,
        to: &str,
        at: i64,
    ) -> OpsResult<(IncidentRow, String)> {
        let row = load(conn, id).await?;
        let text =
            format!("promotion of the fix from {from} to {to} started: deployment {deployment}");
        record_event(
            conn,
            &row,
            at,
            &self.settings.actor,
            EventKind::PromotionStarted,
            Some(text),
            Some(Reference::deployment(deployment)),
        )
        .await?;
        let named = rules::named(&row);
        Ok((row, named))
    }

    /// Announces on the bus that a promotion started for the incident (committed).
    pub(in crate::service) fn announce_promotion(&self, row: &IncidentRow) {
        self.publish_incident(row, EventKind::PromotionStarted);
    }
}
