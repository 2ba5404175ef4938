//! Pipelines: the config's and the store's, listed, shown, saved and deleted.
//!
//! Config pipelines are read-only here (they change with the config file); the store
//! holds the ones made in n8nops. A name belongs to one of them: saving a store
//! pipeline under a config pipeline's name is a conflict, and a config pipeline cannot
//! be deleted from n8nops.

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::pipeline::Pipeline;
use crate::store::{self, environments, pipelines};
use std::collections::BTreeSet;

/// A stored definition as a view; a definition that does not parse (or does not name
/// its own row) is a store error naming the pipeline.
fn stored_view(row: pipelines::PipelineRow) -> OpsResult<PipelineView> {
    let pipeline: Pipeline = serde_json::from_str(&row.definition).map_err(|e| {
        OpsError::new(
            ErrorKind::Store,
            format!(
                "the stored pipeline '{}' is corrupt: {e}; save it again or delete it",
                row.name
            ),
        )
    })?;
    if pipeline.name != row.name {
        return Err(OpsError::new(
            ErrorKind::Store,
            format!(
                "the stored pipeline '{}' is corrupt: its definition is named '{}'",
                row.name, pipeline.name
            ),
        ));
    }
    Ok(PipelineView {
        pipeline,
        source: PipelineSource::Store,
        updated_by: Some(row.updated_by),
        updated_at: Some(time_from_ms(row.updated_at)),
    })
}

fn config_view(pipeline: &Pipeline) -> PipelineView {
    PipelineView {
        pipeline: pipeline.clone(),
        source: PipelineSource::Config,
        updated_by: None,
        updated_at: None,
    }
}

fn config_refusal(name: &str, doing: &str) -> String {
    format!(
        "pipeline '{name}' is defined in the config file and cannot be {doing} from n8nops; \
         edit the config file instead"
    )
}

impl LocalOps {
    fn config_pipeline(&self, name: &str) -> Option<&Pipeline> {
        self.settings.pipelines.iter().find(|p| p.name == name)
    }

    /// Config pipelines and stored ones, by name. A stored pipeline that shares a
    /// config pipeline's name (saved before the config gained it) is hidden: the
    /// config's wins, as it does in `show`.
    pub(super) async fn list_pipelines(&self) -> OpsResult<Vec<PipelineView>> {
        let mut conn = self.store.conn().await?;
        let rows = pipelines::list(&mut conn).await?;
        drop(conn);
        let mut views: Vec<PipelineView> =
            self.settings.pipelines.iter().map(config_view).collect();
        for row in rows {
            if self.config_pipeline(&row.name).is_some() {
                tracing::warn!(
                    pipeline = %row.name,
                    "a stored pipeline is hidden by the config pipeline of the same name"
                );
                continue;
            }
            views.push(stored_view(row)?);
        }
        views.sort_by(|a, b| a.pipeline.name.cmp(&b.pipeline.name));
        Ok(views)
    }

    pub(super) async fn show_pipeline(&self, name: &str) -> OpsResult<PipelineView> {
        if let Some(p) = self.config_pipeline(name) {
            return Ok(config_view(p));
        }
        let mut conn = self.store.conn().await?;
        match pipelines::get(&mut conn, name).await? {
            Some(row) => stored_view(row),
            None => Err(OpsError::not_found(format!(
                "no pipeline named '{name}' (n8nops pipelines list shows them)"
            ))),
        }
    }

    /// Validates `pipeline` (its rules, and that every environment its stages name
    /// exists) and stores it, replacing a stored one of the same name. Audited as
    /// `pipeline.put`, refusals included.
    pub(super) async fn put_pipeline(&self, pipeline: Pipeline) -> OpsResult<PipelineView> {
        let in_config = self.config_pipeline(&pipeline.name).is_some();
        let actor = self.settings.actor.clone();
        self.audited("pipeline.put", None, move |conn| {
            Box::pin(async move {
                if in_config {
                    return Err(OpsError::new(
                        ErrorKind::Conflict,
                        config_refusal(&pipeline.name, "replaced"),
                    ));
                }
                pipeline
                    .validate()
                    .map_err(|e| OpsError::invalid(e.to_string()))?;
                let known: BTreeSet<String> = environments::list(conn)
                    .await?
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                let unknown: BTreeSet<&str> = pipeline
                    .stages
                    .iter()
                    .flat_map(|s| [s.from.as_str(), s.to.as_str()])
                    .filter(|env| !known.contains(*env))
                    .collect();
                if !unknown.is_empty() {
                    let names: Vec<String> = unknown.iter().map(|e| format!("'{e}'")).collect();
                    return Err(OpsError::invalid(format!(
                        "pipeline '{}' names unknown environment{} {} (n8nops env list shows them)",
                        pipeline.name,
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", ")
                    )));
                }
                let json = serde_json::to_string(&pipeline).map_err(|e| {
                    OpsError::internal(format!("encoding pipeline '{}': {e}", pipeline.name))
                })?;
                let at = store::now_ms();
                pipelines::put(conn, &pipeline.name, &json, &actor, at).await?;
                let detail = format!(
                    "saved pipeline '{}' ({})",
                    pipeline.name,
                    pipeline
                        .stages
                        .iter()
                        .map(|s| s.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let view = PipelineView {
                    pipeline,
                    source: PipelineSource::Store,
                    updated_by: Some(actor),
                    updated_at: Some(time_from_ms(at)),
                };
                Ok((view, Some(detail)))
            })
        })
        .await
    }

    /// Deletes a stored pipeline; a config one is refused (Forbidden), an unknown name
    /// is NotFound. Audited as `pipeline.delete`.
    pub(super) async fn delete_pipeline(&self, name: &str) -> OpsResult<()> {
        let in_config = self.config_pipeline(name).is_some();
        let name = name.to_owned();
        self.audited("pipeline.delete", None, move |conn| {
            Box::pin(async move {
                if in_config {
                    return Err(OpsError::new(
                        ErrorKind::Forbidden,
                        config_refusal(&name, "deleted"),
                    ));
                }
                if !pipelines::delete(conn, &name).await? {
                    return Err(OpsError::not_found(format!(
                        "no stored pipeline named '{name}' to delete"
                    )));
                }
                Ok(((), Some(format!("deleted pipeline '{name}'"))))
            })
        })
        .await
    }
}
