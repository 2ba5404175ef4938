//! The incident policy in force: the one edited from the TUI (kept in the store) while
//! there is one that still parses, else the config's `[incidents.policy]`. Only
//! `incidents.admins` may edit it (anyone when that list is empty).

use super::super::local::LocalOps;
use super::super::types::*;
use super::super::{ErrorKind, OpsError, OpsResult};
use crate::domain::incident::IncidentPolicy;
use crate::store::incidents::{self as store, StoredPolicy};
use crate::store::now_ms;
use sqlx::AnyConnection;

/// The audit action of an edit.
const ACTION: &str = "incident.policy";

impl LocalOps {
    /// The policy in force, and the stored one it comes from (None: the config's). A
    /// stored policy that no longer parses or holds (written by another version) is
    /// logged and the config's applies.
    pub(in crate::service) async fn policy_in_force(
        &self,
        conn: &mut AnyConnection,
    ) -> OpsResult<(IncidentPolicy, Option<StoredPolicy>)> {
        match store::policy_get(conn).await? {
            Some(stored) => match IncidentPolicy::from_toml(&stored.body) {
                Ok(policy) => Ok((policy, Some(stored))),
                Err(e) => {
                    tracing::error!(
                        updated_by = %stored.updated_by,
                        error = %e,
                        "the stored incident policy does not parse: the config's applies"
                    );
                    Ok((self.settings.incidents.policy.clone(), None))
                }
            },
            None => Ok((self.settings.incidents.policy.clone(), None)),
        }
    }

    /// Whether this service's actor may edit the policy.
    fn may_edit_policy(&self) -> bool {
        let admins = &self.settings.incidents.admins;
        admins.is_empty() || admins.contains(&self.settings.actor)
    }

    pub(in crate::service) async fn policy_view(&self) -> OpsResult<IncidentPolicyView> {
        let mut conn = self.store.conn().await?;
        let (policy, stored) = self.policy_in_force(&mut conn).await?;
        drop(conn);
        let toml = match &stored {
            Some(s) => s.body.clone(),
            None => policy.try_to_toml().map_err(OpsError::internal)?,
        };
        Ok(IncidentPolicyView {
            toml,
            policy,
            source: if stored.is_some() { "store" } else { "config" }.to_owned(),
            updated_by: stored.as_ref().map(|s| s.updated_by.clone()),
            updated_at: stored.as_ref().map(|s| time_from_ms(s.updated_at)),
            editable: self.may_edit_policy(),
        })
    }

    /// Stores `toml` as the policy in force (None: forgets the stored one, and the
    /// config's applies again). Refused to anyone not in `incidents.admins`; a text
    /// that does not parse is refused with the line at fault, one that parses but
    /// does not hold (a TTL of 0) with the key at fault. Audited, refusals too.
    pub(in crate::service) async fn put_policy(
        &self,
        toml: Option<String>,
    ) -> OpsResult<IncidentPolicyView> {
        let allowed = self.may_edit_policy();
        let actor = self.settings.actor.clone();
        let admins = self.settings.incidents.admins.join(", ");
        let at = now_ms();
        self.audited(ACTION, None, move |conn| {
            Box::pin(async move {
                if !allowed {
                    return Err(OpsError::new(
                        ErrorKind::Forbidden,
                        format!(
                            "'{actor}' may not edit the incident policy: only its admins ({admins}) may (incidents.admins in the config)"
                        ),
                    ));
                }
                let Some(text) = toml else {
                    store::policy_clear(conn).await?;
                    return Ok((
                        (),
                        Some("cleared the edited incident policy: the config's applies".into()),
                    ));
                };
                IncidentPolicy::from_toml(&text).map_err(|e| {
                    OpsError::invalid(format!("the incident policy is not valid: {e}"))
                })?;
                let stored = StoredPolicy {
                    body: text,
                    updated_by: actor,
                    updated_at: at,
                };
                store::policy_put(conn, &stored).await?;
                Ok(((), Some("stored an edited incident policy".into())))
            })
        })
        .await?;
        self.policy_view().await
    }
}
