//! Diffs between stored workflows, whole environments or documents (files), on the
//! normalized form.
//!
//! Direction: `a` is the old side, `b` the new one, as in `diff a b`. For statuses, `b`
//! is the source of a promotion and `a` its target: ADDED means only in `b`, and
//! TARGET_HOTFIX means `a` changed since it last matched `b`.

use super::local::LocalOps;
use super::types::WorkflowRef;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::diff::text::DEFAULT_TIMEOUT;
use crate::domain::diff::{
    DiffStatus, Side, TextDiff, WorkflowDiff, diff, last_common_fingerprint, status, text_diff,
};
use crate::domain::normalize::{fingerprint_normalized, normalize};
use crate::store::{environments, history, workflows};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// What to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffRequest {
    /// Two stored workflows; either may be absent (the other is then all added or
    /// all removed). `text` asks for the text view too.
    Workflows {
        a: Option<WorkflowRef>,
        b: Option<WorkflowRef>,
        #[serde(default)]
        text: bool,
    },
    /// Every workflow of two environments, paired by name, or only the one named.
    Envs {
        a: String,
        b: String,
        workflow: Option<String>,
    },
    /// Two workflow documents (files), as n8n exports them.
    Documents {
        a: DiffDocument,
        b: DiffDocument,
        #[serde(default)]
        text: bool,
    },
}

/// A workflow that is not in the store: a file, or a body in hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffDocument {
    /// What to call it (a file name).
    pub label: String,
    pub workflow: Value,
}

/// The diff of one workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffEntry {
    pub name: String,
    /// Where each side is stored (None for documents and absent sides).
    pub a: Option<WorkflowRef>,
    pub b: Option<WorkflowRef>,
    pub status: DiffStatus,
    pub a_fingerprint: Option<String>,
    pub b_fingerprint: Option<String>,
    /// The last fingerprint both sides held, when the history knows one.
    pub last_common: Option<String>,
    /// The structural diff, `a` to `b`. For environments, only where both sides exist
    /// and differ; for single workflows and documents, always (an absent side is empty).
    pub diff: Option<WorkflowDiff>,
    /// The text view, when asked for.
    pub text: Option<TextDiff>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffReport {
    /// What each side is: an environment (`(absent)` for a missing side) or a file.
    pub a: String,
    pub b: String,
    /// Sorted by name.
    pub workflows: Vec<DiffEntry>,
}

impl DiffReport {
    /// Whether any workflow differs (what `--exit-code` reports).
    pub fn differs(&self) -> bool {
        self.workflows.iter().any(|w| w.status.differs())
    }

    /// The diff of two documents: needs no store, so the CLI runs it without one.
    pub fn of_documents(a: &DiffDocument, b: &DiffDocument, text: bool) -> DiffReport {
        let name = b
            .workflow
            .get("name")
            .or_else(|| a.workflow.get("name"))
            .and_then(Value::as_str)
            .unwrap_or(&b.label)
            .to_owned();
        let side_a = Side::from_raw(&a.workflow);
        let side_b = Side::from_raw(&b.workflow);
        DiffReport {
            a: a.label.clone(),
            b: b.label.clone(),
            workflows: vec![entry(
                name,
                (None, Some(side_a)),
                (None, Some(side_b)),
                None,
                text,
            )],
        }
    }
}

/// A side as loaded: where it is stored and its normalized form with raw metadata.
type Loaded = (Option<WorkflowRef>, Option<Side>);

/// Builds the entry of one workflow from its two sides (either may be absent).
fn entry(name: String, a: Loaded, b: Loaded, last_common: Option<String>, text: bool) -> DiffEntry {
    let (a_ref, a_side) = a;
    let (b_ref, b_side) = b;
    let a_fp = a_side
        .as_ref()
        .map(|s| fingerprint_normalized(s.normalized()));
    let b_fp = b_side
        .as_ref()
        .map(|s| fingerprint_normalized(s.normalized()));
    let status = status(b_fp.as_deref(), a_fp.as_deref(), last_common.as_deref());
    let empty = || Side::new(normalize(&Value::Null), None);
    let (old, new) = (a_side.unwrap_or_else(empty), b_side.unwrap_or_else(empty));
    DiffEntry {
        name,
        a: a_ref,
        b: b_ref,
        status,
        a_fingerprint: a_fp,
        b_fingerprint: b_fp,
        last_common,
        diff: Some(diff(&old, &new)),
        text: text.then(|| text_diff(old.normalized(), new.normalized(), DEFAULT_TIMEOUT)),
    }
}

impl LocalOps {
    pub(super) async fn run_diff(&self, req: DiffRequest) -> OpsResult<DiffReport> {
        match req {
            DiffRequest::Documents { a, b, text } => Ok(DiffReport::of_documents(&a, &b, text)),
            DiffRequest::Workflows { a, b, text } => self.diff_workflows(a, b, text).await,
            DiffRequest::Envs { a, b, workflow } => {
                self.diff_envs(&a, &b, workflow.as_deref()).await
            }
        }
    }

    async fn diff_workflows(
        &self,
        a: Option<WorkflowRef>,
        b: Option<WorkflowRef>,
        text: bool,
    ) -> OpsResult<DiffReport> {
        if a.is_none() && b.is_none() {
            return Err(OpsError::invalid("a diff needs at least one workflow"));
        }
        let mut conn = self.store.conn().await?;
        let label = |r: &Option<WorkflowRef>| {
            r.as_ref()
                .map_or_else(|| "(absent)".to_owned(), |r| r.env.clone())
        };
        let (a_label, b_label) = (label(&a), label(&b));
        let (a_name, a_side) = load_ref(&mut conn, a.as_ref()).await?;
        let (b_name, b_side) = load_ref(&mut conn, b.as_ref()).await?;
        let a_history = history_of(&mut conn, a.as_ref()).await?;
        let b_history = history_of(&mut conn, b.as_ref()).await?;
        let last_common = common(&b_history, &a_history);
        let name = b_name.or(a_name).unwrap_or_default();
        Ok(DiffReport {
            a: a_label,
            b: b_label,
            workflows: vec![entry(name, (a, a_side), (b, b_side), last_common, text)],
        })
    }

    async fn diff_envs(&self, a: &str, b: &str, only: Option<&str>) -> OpsResult<DiffReport> {
        let mut conn = self.store.conn().await?;
        let env_a = environments::get(&mut conn, a).await?;
        let env_b = environments::get(&mut conn, b).await?;
        let list = |env: &str| workflows::Filter {
            env: Some(env.to_owned()),
            active: None,
        };
        let keep = |w: &workflows::WorkflowRow| only.is_none_or(|n| w.name == n);
        let rows_a: Vec<_> = workflows::list(&mut conn, &list(a))
            .await?
            .into_iter()
            .filter(keep)
            .collect();
        let rows_b: Vec<_> = workflows::list(&mut conn, &list(b))
            .await?
            .into_iter()
            .filter(keep)
            .collect();
        if let Some(name) = only
            && rows_a.is_empty()
            && rows_b.is_empty()
        {
            return Err(OpsError::not_found(format!(
                "no workflow named '{name}' in '{a}' or '{b}'"
            )));
        }
        let history_a = history::fingerprints(&mut conn, env_a.id, None).await?;
        let history_b = history::fingerprints(&mut conn, env_b.id, None).await?;
        let mut out = Vec::new();
        for (name, x, y) in pair_by_name(rows_a, rows_b) {
            let past = |row: &Option<workflows::WorkflowRow>, history: &HashMap<_, Vec<_>>| {
                row.as_ref()
                    .and_then(|r| history.get(&r.n8n_id))
                    .cloned()
                    .unwrap_or_default()
            };
            let last_common = common(&past(&y, &history_b), &past(&x, &history_a));
            out.push(pair_entry(&mut conn, name, x, y, last_common).await?);
        }
        Ok(DiffReport {
            a: a.to_owned(),
            b: b.to_owned(),
            workflows: out,
        })
    }
}

/// The entry of a pair of stored workflows (either may be absent); the bodies are
/// read only when both exist and differ.
async fn pair_entry(
    conn: &mut AnyConnection,
    name: String,
    x: Option<workflows::WorkflowRow>,
    y: Option<workflows::WorkflowRow>,
    last_common: Option<String>,
) -> OpsResult<DiffEntry> {
    let fingerprint =
        |r: &Option<workflows::WorkflowRow>| r.as_ref().map(|r| r.fingerprint.clone());
    let (a_fp, b_fp) = (fingerprint(&x), fingerprint(&y));
    let st = status(b_fp.as_deref(), a_fp.as_deref(), last_common.as_deref());
    let to_ref = |r: Option<workflows::WorkflowRow>| {
        r.map(|r| WorkflowRef {
            env: r.env,
            id: r.n8n_id,
        })
    };
    let (a, b) = (to_ref(x), to_ref(y));
    if a.is_some() && b.is_some() && matches!(st, DiffStatus::Modified | DiffStatus::TargetHotfix) {
        let (_, a_side) = load_ref(conn, a.as_ref()).await?;
        let (_, b_side) = load_ref(conn, b.as_ref()).await?;
        return Ok(entry(name, (a, a_side), (b, b_side), last_common, false));
    }
    Ok(DiffEntry {
        name,
        a,
        b,
        status: st,
        a_fingerprint: a_fp,
        b_fingerprint: b_fp,
        last_common,
        diff: None,
        text: None,
    })
}

fn common(source: &[String], target: &[String]) -> Option<String> {
    let source: Vec<&str> = source.iter().map(String::as_str).collect();
    let target: Vec<&str> = target.iter().map(String::as_str).collect();
    last_common_fingerprint(&source, &target).map(str::to_owned)
}

/// A stored workflow's name and side, or nothing for an absent side.
async fn load_ref(
    conn: &mut AnyConnection,
    r: Option<&WorkflowRef>,
) -> OpsResult<(Option<String>, Option<Side>)> {
    let Some(r) = r else {
        return Ok((None, None));
    };
    environments::get(conn, &r.env).await?;
    let (row, raw, normalized) = workflows::get(conn, &r.env, &r.id).await?.ok_or_else(|| {
        OpsError::not_found(format!("no workflow with id {} in '{}'", r.id, r.env))
    })?;
    let parse = |text: &str, what: &str| {
        serde_json::from_str::<Value>(text).map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!(
                    "stored {what} JSON of workflow '{}' ({}) in '{}' is damaged: {e}",
                    row.name, r.id, r.env
                ),
            )
        })
    };
    let raw = parse(&raw, "raw")?;
    let normalized = parse(&normalized, "normalized")?;
    Ok((
        Some(row.name.clone()),
        Some(Side::new(normalized, Some(&raw))),
    ))
}

async fn history_of(conn: &mut AnyConnection, r: Option<&WorkflowRef>) -> OpsResult<Vec<String>> {
    let Some(r) = r else {
        return Ok(Vec::new());
    };
    let env = environments::get(conn, &r.env).await?;
    let mut all = history::fingerprints(conn, env.id, Some(&r.id)).await?;
    Ok(all.remove(&r.id).unwrap_or_default())
}

/// Workflows of two environments paired by name. Where a name is on several
/// workflows of one environment, equal fingerprints pair first, then the rest in id
/// order; what is left over is unpaired. Sorted by name.
pub(super) fn pair_by_name<T: Named>(a: Vec<T>, b: Vec<T>) -> Vec<(String, Option<T>, Option<T>)> {
    let mut groups: BTreeMap<String, (Vec<T>, Vec<T>)> = BTreeMap::new();
    for w in a {
        groups.entry(w.name().to_owned()).or_default().0.push(w);
    }
    for w in b {
        groups.entry(w.name().to_owned()).or_default().1.push(w);
    }
    let mut out = Vec::new();
    for (name, (mut xs, mut ys)) in groups {
        if xs.len() == 1 && ys.len() <= 1 || xs.is_empty() && ys.len() == 1 {
            out.push((name, xs.pop(), ys.pop()));
            continue;
        }
        xs.sort_by(|p, q| p.id().cmp(q.id()));
        ys.sort_by(|p, q| p.id().cmp(q.id()));
        let mut pairs: Vec<(Option<T>, Option<T>)> = Vec::new();
        let mut rest_x = Vec::new();
        for x in xs {
            match ys.iter().position(|y| y.fingerprint() == x.fingerprint()) {
                Some(k) => pairs.push((Some(x), Some(ys.remove(k)))),
                None => rest_x.push(x),
            }
        }
        let mut rest_y = ys.into_iter();
        for x in rest_x {
            pairs.push((Some(x), rest_y.next()));
        }
        pairs.extend(rest_y.map(|y| (None, Some(y))));
        out.extend(pairs.into_iter().map(|(x, y)| (name.clone(), x, y)));
    }
    out
}

/// What pairing needs of a stored workflow.
pub(super) trait Named {
    fn name(&self) -> &str;
    fn id(&self) -> &str;
    fn fingerprint(&self) -> &str;
}

impl Named for workflows::WorkflowRow {
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> &str {
        &self.n8n_id
    }
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

#[cfg(test)]
mod tests;
