//! Approvals: operations the policy holds until someone grants them. An approval keeps
//! the exact request that runs when granted. The person who asked may grant it only
//! with `self_approve`, and only where their environment class permits self-approval.
//! A decision lands at most once, however many people decide at the same moment.

use super::local::LocalOps;
use super::types::*;
use super::workflow_ops::{Asked, describe};
use super::{ErrorKind, OpsError, OpsResult};
use crate::store::approvals::{self as store, ApprovalRow, NewApproval};
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::environments::{self, EnvRow};
use crate::store::now_ms;

/// How many workflow names a summary spells out.
const NAMED_IN_SUMMARY: usize = 3;

/// `activate 'Billing sync' in prod`, `soft delete 5 workflows in prod: 'A', 'B', 'C' and 2 more`.
fn summary(
    action: &WorkflowAction,
    env: &str,
    targets: &[WorkflowRef],
    names: &[Option<String>],
) -> String {
    let label = |i: usize| match names.get(i).cloned().flatten() {
        Some(name) => format!("'{name}'"),
        None => format!("workflow {}", targets[i].id),
    };
    let what = describe(action);
    if targets.len() == 1 {
        return format!("{what} {} in {env}", label(0));
    }
    let named: Vec<String> = (0..targets.len().min(NAMED_IN_SUMMARY))
        .map(label)
        .collect();
    let rest = targets.len().saturating_sub(NAMED_IN_SUMMARY);
    let mut list = named.join(", ");
    if rest > 0 {
        list.push_str(&format!(" and {rest} more"));
    }
    format!("{what} {} workflows in {env}: {list}", targets.len())
}

fn state_name(state: ApprovalState) -> &'static str {
    match state {
        ApprovalState::Pending => store::PENDING,
        ApprovalState::Approved => store::APPROVED,
        ApprovalState::Rejected => store::REJECTED,
        ApprovalState::Failed => store::FAILED,
    }
}

fn parse_state(text: &str) -> OpsResult<ApprovalState> {
    [
        ApprovalState::Pending,
        ApprovalState::Approved,
        ApprovalState::Rejected,
        ApprovalState::Failed,
    ]
    .into_iter()
    .find(|s| state_name(*s) == text)
    .ok_or_else(|| damaged(&format!("unknown approval state '{text}'")))
}

fn damaged(what: &str) -> OpsError {
    OpsError::new(
        ErrorKind::Store,
        format!("corrupt data in the store: {what}"),
    )
}

fn view(row: ApprovalRow) -> OpsResult<ApprovalView> {
    let request = serde_json::from_str(&row.request)
        .map_err(|e| damaged(&format!("the request of approval #{}: {e}", row.id)))?;
    let result = row
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| damaged(&format!("the result of approval #{}: {e}", row.id)))?;
    Ok(ApprovalView {
        id: row.id,
        env: row.env,
        request,
        summary: row.summary,
        requested_by: row.requested_by,
        requested_at: time_from_ms(row.requested_at),
        state: parse_state(&row.state)?,
        decided_by: row.decided_by,
        decided_at: row.decided_at.map(time_from_ms),
        note: row.note,
        result,
    })
}

impl LocalOps {
    pub(super) async fn list_approvals(
        &self,
        query: &ApprovalQuery,
    ) -> OpsResult<Vec<ApprovalView>> {
        let mut conn = self.store.conn().await?;
        let rows =
            store::list(&mut conn, query.state.map(state_name), query.env.as_deref()).await?;
        rows.into_iter().map(view).collect()
    }

    /// Records a pending approval for `targets` (all in `env`) and audits the request.
    pub(super) async fn request_approval(
        &self,
        env: &EnvRow,
        action: &WorkflowAction,
        targets: Vec<WorkflowRef>,
        names: &[Option<String>],
    ) -> OpsResult<i64> {
        let summary = summary(action, &env.name, &targets, names);
        let single = (targets.len() == 1).then(|| targets[0].id.clone());
        let request = WorkflowOpRequest {
            action: action.clone(),
            targets,
            confirmed: true,
        };
        let request = serde_json::to_string(&request)
            .map_err(|e| OpsError::internal(format!("encoding an approval request: {e}")))?;
        let mut tx = self.store.begin().await?;
        let new = NewApproval {
            env: &env.name,
            request: &request,
            summary: &summary,
            requested_by: &self.settings.actor,
        };
        let id = store::insert(&mut tx, &new, now_ms()).await?;
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action: "approval.request",
            env: Some(&env.name),
            workflow: single.as_deref(),
            outcome: Outcome::Ok,
            detail: Some(format!("#{id}: {summary}")),
        };
        audit::record(&mut tx, &event).await?;
        tx.commit().await.map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!("{}: committing approval request: {e}", env.name),
            )
        })?;
        Ok(id)
    }

    pub(super) async fn decide_approval(
        &self,
        decision: ApprovalDecision,
    ) -> OpsResult<ApprovalView> {
        let action = if decision.approve {
            "approval.grant"
        } else {
            "approval.reject"
        };
        let mut conn = self.store.conn().await?;
        let row = store::get(&mut conn, decision.id)
            .await?
            .ok_or_else(|| OpsError::not_found(format!("no approval #{}", decision.id)))?;
        let env = environments::find(&mut conn, &row.env).await?;
        drop(conn);
        let refused = |kind, message: String| OpsError::new(kind, message);
        let checked = if row.state != store::PENDING {
            Err(refused(
                ErrorKind::Conflict,
                format!("approval #{} is already {}", row.id, row.state),
            ))
        } else if decision.approve {
            self.may_grant(&row, env.as_ref(), decision.self_approve)
        } else {
            Ok(())
        };
        if let Err(err) = checked {
            self.audit_refusal(action, &row.env, None, &err.message)
                .await;
            return Err(err);
        }
        let state = if decision.approve {
            store::APPROVED
        } else {
            store::REJECTED
        };
        let decided = self
            .record_decision(&row, action, state, decision.note.as_deref())
            .await;
        match decided {
            Ok(true) => {}
            Ok(false) => {
                let err = refused(
                    ErrorKind::Conflict,
                    format!("approval #{} was decided by someone else first", row.id),
                );
                self.audit_refusal(action, &row.env, None, &err.message)
                    .await;
                return Err(err);
            }
            Err(err) => {
                self.audit_refusal(action, &row.env, None, &err.message)
                    .await;
                return Err(err);
            }
        }
        if decision.approve {
            self.run_granted(&row).await?;
        }
        let mut conn = self.store.conn().await?;
        let row = store::get(&mut conn, decision.id)
            .await?
            .ok_or_else(|| OpsError::not_found(format!("no approval #{}", decision.id)))?;
        view(row)
    }

    /// Whether the acting person may grant this approval.
    fn may_grant(
        &self,
        row: &ApprovalRow,
        env: Option<&EnvRow>,
        self_approve: bool,
    ) -> OpsResult<()> {
        if row.requested_by != self.settings.actor {
            return Ok(());
        }
        let forbidden = |message: String| OpsError::new(ErrorKind::Forbidden, message);
        let Some(env) = env else {
            return Err(forbidden(format!(
                "approval #{} is for '{}', which no longer exists",
                row.id, row.env
            )));
        };
        if !self.settings.policy.class(env.class).self_approval {
            return Err(forbidden(format!(
                "you requested approval #{}, and self-approval is not permitted in {} ({}): someone else must grant it",
                row.id, env.name, env.class
            )));
        }
        if !self_approve {
            return Err(forbidden(format!(
                "you requested approval #{}: grant it yourself only on purpose (self-approve, `--yes`), or let someone else",
                row.id
            )));
        }
        Ok(())
    }

    /// Moves a pending approval to `state` with its audit event; false when someone
    /// decided it first.
    async fn record_decision(
        &self,
        row: &ApprovalRow,
        action: &str,
        state: &str,
        note: Option<&str>,
    ) -> OpsResult<bool> {
        let mut tx = self.store.begin().await?;
        let decision = store::Decision {
            state,
            decided_by: &self.settings.actor,
            note,
        };
        if !store::decide(&mut tx, row.id, &decision, now_ms()).await? {
            return Ok(false);
        }
        let mut detail = format!("#{}: {}", row.id, row.summary);
        if let Some(note) = note {
            detail.push_str(&format!(" (note: {note})"));
        }
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action,
            env: Some(&row.env),
            workflow: None,
            outcome: Outcome::Ok,
            detail: Some(detail),
        };
        audit::record(&mut tx, &event).await?;
        tx.commit().await.map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!("committing the decision on approval #{}: {e}", row.id),
            )
        })?;
        Ok(true)
    }

    /// Runs a granted approval's request and records what it did.
    async fn run_granted(&self, row: &ApprovalRow) -> OpsResult<()> {
        let request: WorkflowOpRequest = serde_json::from_str(&row.request)
            .map_err(|e| damaged(&format!("the request of approval #{}: {e}", row.id)))?;
        let report = self
            .rule_and_run(
                &request.action,
                request.targets,
                Asked::Granted { approval: row.id },
            )
            .await?;
        let all_done = report.results.iter().all(|r| r.outcome == OpOutcome::Done);
        let state = if all_done {
            store::APPROVED
        } else {
            store::FAILED
        };
        let result = serde_json::to_string(&report)
            .map_err(|e| OpsError::internal(format!("encoding an approval result: {e}")))?;
        let mut conn = self.store.conn().await?;
        store::finish(&mut conn, row.id, state, &result).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(n: usize) -> Vec<WorkflowRef> {
        (0..n)
            .map(|i| WorkflowRef {
                env: "prod".into(),
                id: format!("w{i}"),
            })
            .collect()
    }

    #[test]
    fn summaries_name_the_action_the_environment_and_a_few_workflows() {
        let one = summary(
            &WorkflowAction::Activate,
            "prod",
            &refs(1),
            &[Some("Billing".into())],
        );
        assert_eq!(one, "activate 'Billing' in prod");
        let names = vec![
            Some("A".into()),
            None,
            Some("C".into()),
            Some("D".into()),
            None,
        ];
        let many = summary(
            &WorkflowAction::Delete { hard: false },
            "prod",
            &refs(5),
            &names,
        );
        assert_eq!(
            many,
            "soft delete 5 workflows in prod: 'A', workflow w1, 'C' and 2 more"
        );
        let tag = WorkflowAction::Tag {
            add: vec!["ops".into()],
            remove: vec!["old".into()],
        };
        assert_eq!(
            summary(&tag, "prod", &refs(1), &[None]),
            "tag (+ops, -old) workflow w0 in prod"
        );
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for state in [
            ApprovalState::Pending,
            ApprovalState::Approved,
            ApprovalState::Rejected,
            ApprovalState::Failed,
        ] {
            assert_eq!(parse_state(state_name(state)).unwrap(), state);
        }
        assert!(parse_state("maybe").is_err());
    }
}
