//! The incidents gate of a preflight: the target's open incidents against its class's
//! `block_promotions_at` (the incident policy in force), those on workflows the plan
//! writes left out, since the promotion is their fix.

use super::super::OpsResult;
use super::super::local::LocalOps;
use crate::domain::environment::EnvClass;
use crate::domain::pipeline::GateResult;
use crate::domain::pipeline::gates::{IncidentFact, incidents_gate};
use crate::domain::promotion::{Plan, PlanItem};
use crate::store::incidents::{self as incidents_store, IncidentRow};
use sqlx::AnyConnection;

impl LocalOps {
    /// The incidents gate of a promotion into `target` (of `class`), judged on its open
    /// incidents now; None when the class blocks promotions at no severity.
    pub(super) async fn incidents_gate_of(
        &self,
        conn: &mut AnyConnection,
        target: &str,
        class: EnvClass,
        plan: &Plan,
    ) -> OpsResult<Option<GateResult>> {
        let (policy, _) = self.policy_in_force(conn).await?;
        let Some(at) = policy.class(class).block_promotions_at else {
            return Ok(None);
        };
        let open = incidents_store::open(conn, Some(target)).await?;
        Ok(Some(incidents_gate(&facts(&open, plan), at)))
    }
}

/// The gate's facts of the open incidents: each marked written when the plan writes
/// its workflow (same canonical id, same n8n id in the target, or same name).
/// Resolved rows are left out, should any be given.
fn facts(open: &[IncidentRow], plan: &Plan) -> Vec<IncidentFact> {
    let written: Vec<&PlanItem> = plan.writes().collect();
    open.iter()
        .filter(|r| r.state.is_open())
        .map(|r| IncidentFact {
            id: r.id,
            severity: r.severity,
            kind: r.kind,
            workflow: r.workflow.clone(),
            written: written.iter().any(|i| writes(i, r)),
        })
        .collect()
}

/// Whether plan item `i` writes the workflow of incident `r`. A whole-environment
/// incident (no workflow) is never written.
fn writes(i: &PlanItem, r: &IncidentRow) -> bool {
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    same(&r.canonical_id, &i.canonical_id)
        || same(&r.n8n_id, &i.target_id)
        || r.workflow.as_deref() == Some(i.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::diff::DiffStatus;
    use crate::domain::incident::{IncidentKind, IncidentState, Severity};
    use crate::domain::promotion::PlanAction;

    fn row(
        id: i64,
        workflow: Option<&str>,
        canonical: Option<&str>,
        n8n: Option<&str>,
    ) -> IncidentRow {
        IncidentRow {
            id,
            env: "prod".into(),
            kind: IncidentKind::Drift,
            key: canonical.unwrap_or("*").into(),
            canonical_id: canonical.map(str::to_owned),
            n8n_id: n8n.map(str::to_owned),
            workflow: workflow.map(str::to_owned),
            severity: Severity::Critical,
            severity_manual: false,
            state: IncidentState::Open,
            opened_at: 0,
            opened_by: "n8nops".into(),
            acknowledged_at: None,
            acknowledged_by: None,
            first_acknowledged_at: None,
            resolved_at: None,
            resolved_by: None,
            resolution: None,
            assignee: None,
            sla_started_at: 0,
            breached_at: None,
            escalations: 0,
            last_activity_at: 0,
            drift_status: None,
            risk: None,
            fingerprint: None,
            summary: None,
            updated_at: 0,
            version: 1,
        }
    }

    fn item(
        name: &str,
        canonical: Option<&str>,
        target: Option<&str>,
        action: PlanAction,
    ) -> PlanItem {
        PlanItem {
            name: name.into(),
            canonical_id: canonical.map(str::to_owned),
            status: DiffStatus::Modified,
            risk: None,
            source_fingerprint: None,
            target_fingerprint: None,
            target_id: target.map(str::to_owned),
            source_id: None,
            action,
            hotfix_override: false,
        }
    }

    fn plan(items: Vec<PlanItem>) -> Plan {
        Plan {
            stage: None,
            source_env: "dev".into(),
            target_env: "prod".into(),
            items,
            hash: String::new(),
        }
    }

    #[test]
    fn an_incident_is_written_by_canonical_id_n8n_id_or_name() {
        let p = plan(vec![
            item("Orders", Some("c-orders"), Some("11"), PlanAction::Update),
            item("Renamed", None, Some("22"), PlanAction::Update),
            item("Fresh", None, None, PlanAction::Create),
            item("Held", Some("c-held"), Some("33"), PlanAction::Hold),
        ]);
        let open = [
            row(1, Some("Orders (old name)"), Some("c-orders"), Some("99")),
            row(2, Some("Other name"), None, Some("22")),
            row(3, Some("Fresh"), None, None),
            row(4, Some("Held"), Some("c-held"), Some("33")),
            row(5, None, None, None),
        ];
        let written: Vec<(i64, bool)> =
            facts(&open, &p).iter().map(|f| (f.id, f.written)).collect();
        assert_eq!(
            written,
            [(1, true), (2, true), (3, true), (4, false), (5, false)],
            "a held item writes nothing; a whole-environment incident is never written"
        );
    }

    #[test]
    fn resolved_rows_are_left_out() {
        let mut resolved = row(7, Some("Orders"), None, None);
        resolved.state = IncidentState::Resolved;
        assert!(facts(&[resolved], &plan(vec![])).is_empty());
    }
}
