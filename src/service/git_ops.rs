//! The repository as the faces see it: status, push, the https token.

use super::Secret;
use super::canonical_state::GIT_TOKEN;
use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::git::{PushOutcome, RemoteState};
use crate::store::audit::{self, NewAuditEvent, Outcome};
use crate::store::secrets;

/// The audit actions.
const PUSH_ACTION: &str = "git.push";
const TOKEN_ACTION: &str = "git.token";

impl LocalOps {
    /// Where the repository is, its head, and how far each remote is behind.
    pub(super) async fn git_status_view(&self) -> OpsResult<GitStatus> {
        self.with_git(|git| {
            let head = git.head()?;
            let remotes = git
                .remote_status()?
                .into_iter()
                .map(remote_status)
                .collect();
            Ok(GitStatus {
                path: git.path().display().to_string(),
                branch: git.branch().to_owned(),
                head_subject: head.as_ref().map(|c| c.subject().to_owned()),
                head: head.map(|c| c.id),
                remotes,
            })
        })
        .await
    }

    /// Pushes to every remote. A remote that fails is in the report (the commits stay
    /// here and the next push retries them); only a repository failure is an error.
    pub(super) async fn push_git(&self) -> OpsResult<PushReport> {
        let pushed = self
            .with_git(|git| {
                let outcomes = git.push(None)?;
                let states = git.remote_status()?;
                Ok(push_report(outcomes, states))
            })
            .await;
        let report = match pushed {
            Ok(report) => report,
            Err(e) => {
                self.audit_failure(PUSH_ACTION, None, &e).await;
                return Err(e);
            }
        };
        let detail = if report.remotes.is_empty() {
            "no remote configured".to_owned()
        } else {
            report
                .remotes
                .iter()
                .map(|r| match &r.error {
                    None => format!("{} ({}) ok", r.name, r.url),
                    Some(e) => format!("{} ({}) failed: {e}", r.name, r.url),
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let event = NewAuditEvent {
            actor: &self.settings.actor,
            action: PUSH_ACTION,
            env: None,
            workflow: None,
            outcome: if report.ok() {
                Outcome::Ok
            } else {
                Outcome::Error
            },
            detail: Some(detail),
        };
        let mut conn = self.store.conn().await?;
        audit::record(&mut conn, &event).await?;
        Ok(report)
    }

    /// Keeps the token sealed in the store (Some) or forgets it (None). The audit event
    /// says which, never the value.
    pub(super) async fn set_git_token(&self, token: Option<Secret>) -> OpsResult<()> {
        let value = match token {
            Some(t) if t.expose().trim().is_empty() => {
                return Err(OpsError::invalid(
                    "the Git token is empty: give one, or clear the token instead",
                ));
            }
            Some(t) => Some(t.expose().trim().to_owned()),
            None => None,
        };
        let store = self.store.clone();
        self.audited(TOKEN_ACTION, None, move |conn| {
            Box::pin(async move {
                let detail = match value {
                    Some(value) => {
                        secrets::set(conn, store.secrets(), GIT_TOKEN, &value).await?;
                        "token set"
                    }
                    None if secrets::clear(conn, GIT_TOKEN).await? => "token cleared",
                    None => "no token was set",
                };
                Ok(((), Some(detail.to_owned())))
            })
        })
        .await
    }
}

fn remote_status((spec, ahead, error): RemoteState) -> RemoteStatus {
    RemoteStatus {
        name: spec.name,
        url: spec.url,
        ahead,
        error,
    }
}

/// Each push outcome with how far its remote is behind now.
fn push_report(outcomes: Vec<PushOutcome>, states: Vec<RemoteState>) -> PushReport {
    let remotes = outcomes
        .into_iter()
        .map(|o| {
            let ahead = states
                .iter()
                .find(|(spec, _, _)| spec.name == o.remote)
                .and_then(|(_, ahead, _)| *ahead);
            RemoteStatus {
                name: o.remote,
                url: o.url,
                ahead,
                error: o.error,
            }
        })
        .collect();
    PushReport { remotes }
}
