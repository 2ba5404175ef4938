//! Approvals: operations the policy holds until someone grants them. An approval keeps
//! the exact request that runs when granted: a workflow operation, an upload or a
//! restore from the trash. The person who asked may grant it only
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

/// The request an approval holds. Rows written before approvals held uploads and
/// restores keep a bare workflow operation, read as one.
fn held_request(row: &ApprovalRow) -> OpsResult<HeldRequest> {
    serde_json::from_str(&row.request)
        .or_else(|e| {
            serde_json::from_str::<WorkflowOpRequest>(&row.request)
                .map(HeldRequest::WorkflowOp)
                .map_err(|_| e)
        })
        .map_err(|e| damaged(&format!("the request of approval #{}: {e}", row.id)))
}

fn view(row: ApprovalRow) -> OpsResult<ApprovalView> {
    let request = held_request(&row)?;
    let bad_result =
        |e: serde_json::Error| damaged(&format!("the result of approval #{}: {e}", row.id));
    let (mut result, mut upload_result) = (None, None);
    if let Some(text) = row.result.as_deref() {
        match request {
            HeldRequest::Upload(_) => {
                upload_result = Some(serde_json::from_str(text).map_err(bad_result)?)
            }
            _ => result = Some(serde_json::from_str(text).map_err(bad_result)?),
        }
    }
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
        upload_result,
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
        let request = HeldRequest::WorkflowOp(WorkflowOpRequest {
            action: action.clone(),
            targets,
            confirmed: true,
        });
        self.hold(env, &request, &summary, single.as_deref()).await
    }

    /// Records a pending approval holding `request` and audits it; returns its id.
    pub(super) async fn hold(
        &self,
        env: &EnvRow,
        request: &HeldRequest,
        summary: &str,
        workflow: Option<&str>,
    ) -> OpsResult<i64> {
        let request = serde_json::to_string(request)
            .map_err(|e| OpsError::internal(format!("encoding an approval request: {e}")))?;
        let mut tx = self.store.begin().await?;
        let new = NewApproval {
            env: &env.name,
            request: &request,
            summary,
            requested_by: &self.settings.actor,
        };
        let id = store::insert(&mut tx, &new, now_ms()).await?;
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action: "approval.request",
            env: Some(&env.name),
            workflow,
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

    /// Runs a granted approval's request and records what it did. A run that could
    /// not start (the environment or the trash entry gone) is recorded as failed.
    async fn run_granted(&self, row: &ApprovalRow) -> OpsResult<()> {
        let asked = Asked::Granted { approval: row.id };
        let (done, result) = match held_request(row)? {
            HeldRequest::WorkflowOp(request) => {
                let report = self
                    .rule_and_run(&request.action, request.targets, asked)
                    .await?;
                let done = report.results.iter().all(|r| r.outcome == OpOutcome::Done);
                (done, encode(&report)?)
            }
            HeldRequest::Upload(request) => {
                let env = request.env.clone();
                let report =
                    self.upload_as(request, asked)
                        .await
                        .unwrap_or_else(|err| UploadReport {
                            env,
                            outcome: OpOutcome::Failed { error: err.message },
                            accepted: Vec::new(),
                            rejected: Vec::new(),
                        });
                let done = report.outcome == OpOutcome::Done && report.rejected.is_empty();
                (done, encode(&report)?)
            }
            HeldRequest::Restore {
                trash_id,
                workflow_id,
                name,
            } => {
                let ran = self
                    .restore_as(trash_id, asked)
                    .await
                    .unwrap_or_else(|err| WorkflowOpResult {
                        target: WorkflowRef {
                            env: row.env.clone(),
                            id: workflow_id,
                        },
                        name: Some(name),
                        outcome: OpOutcome::Failed { error: err.message },
                    });
                let done = ran.outcome == OpOutcome::Done;
                (done, encode(&WorkflowOpReport { results: vec![ran] })?)
            }
        };
        let state = if done { store::APPROVED } else { store::FAILED };
        let mut conn = self.store.conn().await?;
        store::finish(&mut conn, row.id, state, &result).await?;
        Ok(())
    }
}

fn encode(result: &impl serde::Serialize) -> OpsResult<String> {
    serde_json::to_string(result)
        .map_err(|e| OpsError::internal(format!("encoding an approval result: {e}")))
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

    fn row(request: &str) -> ApprovalRow {
        ApprovalRow {
            id: 1,
            env: "prod".into(),
            request: request.into(),
            summary: String::new(),
            requested_by: "alice".into(),
            requested_at: 0,
            state: store::PENDING.into(),
            decided_by: None,
            decided_at: None,
            note: None,
            result: None,
        }
    }

    #[test]
    fn held_requests_round_trip_and_older_bare_requests_still_read() {
        let bare = r#"{"action":{"kind":"activate"},"targets":[{"env":"prod","id":"w0"}],"confirmed":true}"#;
        let HeldRequest::WorkflowOp(op) = held_request(&row(bare)).unwrap() else {
            panic!("a bare request is a workflow operation");
        };
        assert_eq!(op.action, WorkflowAction::Activate);
        assert_eq!(op.targets, refs(1));
        let restore = HeldRequest::Restore {
            trash_id: 3,
            workflow_id: "w1".into(),
            name: "Billing".into(),
        };
        let upload = HeldRequest::Upload(UploadRequest {
            env: "prod".into(),
            files: vec![UploadFile {
                name: "a.json".into(),
                bytes: b"{}".to_vec(),
            }],
            confirmed: false,
        });
        for held in [HeldRequest::WorkflowOp(op), restore, upload] {
            let json = serde_json::to_string(&held).unwrap();
            assert_eq!(held_request(&row(&json)).unwrap(), held, "{json}");
        }
        let err = held_request(&row(r#"{"held":"launch"}"#)).unwrap_err();
        assert!(err.message.contains("approval #1"), "{}", err.message);
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
