//! Environment operations: add, update, list, show, test, remove.

use super::local::LocalOps;
use super::types::*;
use super::{OpsError, OpsResult};
use crate::domain::environment::{normalize_base_url, validate_env_name};
use crate::n8n::N8nErrorKind;
use crate::store::environments::{self, EnvPatch, EnvRow, NewEnv};
use crate::store::{inventory, workflows};
use sqlx::AnyConnection;

impl LocalOps {
    pub(super) async fn add_env(&self, req: EnvAdd) -> OpsResult<EnvView> {
        let name = req.name.clone();
        let checked = validate_env_name(&req.name)
            .and_then(|_| normalize_base_url(&req.url))
            .and_then(|url| non_empty_key(req.api_key.expose()).map(|_| url));
        let url = match checked {
            Ok(url) => url,
            Err(message) => {
                let err = OpsError::invalid(message);
                self.audit_failure("env.add", Some(&name), &err).await;
                return Err(err);
            }
        };
        let store = self.store.clone();
        let env = NewEnv {
            name: req.name,
            base_url: url,
            api_key: req.api_key.expose().to_owned(),
            class: req.class,
            git_repo: req.git_repo,
            git_branch: req.git_branch,
        };
        let row = self
            .audited("env.add", Some(&name), move |conn| {
                Box::pin(async move {
                    let row = environments::insert(conn, store.secrets(), &env).await?;
                    let detail = format!("class {}, url {}", row.class, row.base_url);
                    Ok((row, Some(detail)))
                })
            })
            .await?;
        self.view(row).await
    }

    pub(super) async fn update_env(&self, req: EnvUpdate) -> OpsResult<EnvView> {
        let name = req.name.clone();
        let url = match req.url.as_deref().map(normalize_base_url).transpose() {
            Ok(url) => url,
            Err(message) => {
                let err = OpsError::invalid(message);
                self.audit_failure("env.update", Some(&name), &err).await;
                return Err(err);
            }
        };
        if let Some(key) = &req.api_key
            && let Err(message) = non_empty_key(key.expose())
        {
            return Err(OpsError::invalid(message));
        }
        let mut changed: Vec<&str> = Vec::new();
        for (set, field) in [
            (url.is_some(), "url"),
            (req.class.is_some(), "class"),
            (req.api_key.is_some(), "api key"),
            (req.git_repo.is_some(), "git repo"),
            (req.git_branch.is_some(), "git branch"),
        ] {
            if set {
                changed.push(field);
            }
        }
        let detail = format!(
            "changed: {}",
            if changed.is_empty() {
                "nothing".into()
            } else {
                changed.join(", ")
            }
        );
        let patch = EnvPatch {
            base_url: url,
            api_key: req.api_key.map(|k| k.expose().to_owned()),
            class: req.class,
            git_repo: req.git_repo,
            git_branch: req.git_branch,
        };
        let store = self.store.clone();
        let row = self
            .audited("env.update", Some(&name), move |conn| {
                Box::pin(async move {
                    let row =
                        environments::update(conn, store.secrets(), &req.name, &patch).await?;
                    Ok((row, Some(detail)))
                })
            })
            .await?;
        self.forget_client(&name);
        self.view(row).await
    }

    pub(super) async fn list_envs(&self) -> OpsResult<Vec<EnvView>> {
        let mut conn = self.store.conn().await?;
        let rows = environments::list(&mut conn).await?;
        let counts = workflows::counts(&mut conn).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let wf = counts.get(&row.id).copied().unwrap_or_default();
            views.push(view_with(&mut conn, row, wf).await?);
        }
        // Promotion order: development first, production last; then by name.
        views.sort_by(|a, b| (a.class, &a.name).cmp(&(b.class, &b.name)));
        Ok(views)
    }

    pub(super) async fn show_env(&self, name: &str) -> OpsResult<EnvView> {
        let mut conn = self.store.conn().await?;
        let row = environments::get(&mut conn, name).await?;
        drop(conn);
        self.view(row).await
    }

    pub(super) async fn remove_env(&self, name: &str) -> OpsResult<()> {
        let owned = name.to_owned();
        self.audited("env.remove", Some(name), move |conn| {
            Box::pin(async move {
                let row = environments::delete(conn, &owned).await?;
                Ok(((), Some(format!("removed {} ({})", row.name, row.base_url))))
            })
        })
        .await?;
        self.forget_client(name);
        Ok(())
    }

    pub(super) async fn inventory(&self, name: &str) -> OpsResult<EnvInventory> {
        let mut conn = self.store.conn().await?;
        let env = environments::get(&mut conn, name).await?;
        Ok(EnvInventory {
            env: env.name,
            credentials: inventory::credentials(&mut conn, env.id).await?,
            tags: inventory::tags(&mut conn, env.id).await?,
            users: inventory::users(&mut conn, env.id).await?,
            executions: inventory::executions(&mut conn, env.id, 1000).await?,
        })
    }

    pub(super) async fn test_env(&self, name: &str) -> OpsResult<ConnectionTest> {
        let mut conn = self.store.conn().await?;
        let env = environments::get(&mut conn, name).await?;
        drop(conn);
        let client = self.client(&env).await?;
        let mut test = ConnectionTest {
            env: env.name.clone(),
            url: env.base_url.clone(),
            ok: false,
            reachable: false,
            key_accepted: false,
            version: None,
            api_generation: None,
            can_list_credentials: false,
            latency_ms: None,
            problem: None,
            message: None,
        };
        match client.probe().await {
            Ok(report) => {
                test.ok = true;
                test.reachable = true;
                test.key_accepted = true;
                test.version = report.version;
                test.api_generation = Some(report.api_generation.to_string());
                test.can_list_credentials = report.can_list_credentials;
                test.latency_ms = Some(report.latency_ms);
            }
            Err(err) => {
                let problem = match err.kind() {
                    N8nErrorKind::Unreachable => ConnectionProblem::Unreachable,
                    N8nErrorKind::Timeout => ConnectionProblem::Timeout,
                    N8nErrorKind::Tls => ConnectionProblem::Tls,
                    N8nErrorKind::Unauthorized => ConnectionProblem::WrongKey,
                    N8nErrorKind::NotN8n => ConnectionProblem::NotN8n,
                    _ => ConnectionProblem::Other,
                };
                test.reachable = !matches!(
                    problem,
                    ConnectionProblem::Unreachable
                        | ConnectionProblem::Timeout
                        | ConnectionProblem::Tls
                );
                test.problem = Some(problem);
                test.message = Some(err.to_string());
            }
        }
        Ok(test)
    }

    async fn view(&self, row: EnvRow) -> OpsResult<EnvView> {
        let mut conn = self.store.conn().await?;
        let wf = workflows::counts(&mut conn)
            .await?
            .get(&row.id)
            .copied()
            .unwrap_or_default();
        view_with(&mut conn, row, wf).await
    }
}

fn non_empty_key(key: &str) -> Result<(), String> {
    if key.trim().is_empty() {
        return Err("the API key is empty".into());
    }
    Ok(())
}

async fn view_with(
    conn: &mut AnyConnection,
    row: EnvRow,
    (workflows, active): (i64, i64),
) -> OpsResult<EnvView> {
    let [credentials, tags, users, executions] = inventory::counts(conn, row.id).await?;
    Ok(EnvView {
        name: row.name,
        url: row.base_url,
        class: row.class,
        git_repo: row.git_repo,
        git_branch: row.git_branch,
        created_at: time_from_ms(row.created_at),
        updated_at: time_from_ms(row.updated_at),
        last_sync_at: row.last_sync_at.map(time_from_ms),
        counts: EnvCounts {
            workflows,
            active,
            credentials,
            tags,
            users,
            executions,
        },
    })
}
