//! Promotion preflight: the plan, gate results, credential mapping and diffs of a
//! promotion, computed from the store and changing nothing.
//!
//! Everything is read from the last synced state of both environments (nothing is
//! fetched; the preflight's notes say when each side was synced). Workflows pair by
//! canonical id where both sides are mapped in the canonical state, else by name
//! ([`pairing`]). Per pair: both fingerprints, the last fingerprint both sides held
//! (from the change history, as the environment diff finds it), the structural diff
//! target -> source and its risk; then [`Plan::build`].
//!
//! Gates are judged on: the target's latest drift check (a target never checked makes
//! every workflow to overwrite UNKNOWN, which no acknowledgement passes: run a drift
//! check first), the credentials the written workflows use against the target's (as
//! the last sync gathered them), no approvals yet, the requester (`settings.actor`),
//! the current time, and no validation outcome: a custom validation runs before
//! execution, never at preflight, since a command or HTTP check may have effects.
//! When the target's class blocks promotions at a severity (the incident policy in
//! force), its open incidents are judged too ([`incidents`]): the incidents gate comes
//! right after the drift gate (first when that is off). A run judges every gate again.

mod incidents;
mod pairing;
mod policy_lines;

use super::local::LocalOps;
use super::types::*;
use super::{ErrorKind, OpsError, OpsResult};
use crate::domain::credential_map::{
    CredentialResolution, TargetCredential, resolve, used_credentials,
};
use crate::domain::diff::{DiffStatus, Side, WorkflowDiff, diff, last_common_fingerprint, status};
use crate::domain::drift::DriftStatus;
use crate::domain::normalize::normalize;
use crate::domain::pipeline::{
    DriftFact, GateFacts, GateKind, Gates, Stage, ValidationOutcome, evaluate_all,
};
use crate::domain::promotion::{Plan, PlanAction, PlanItem, PlanRequest, WorkflowFacts};
use crate::domain::workflow::CredentialRef;
use crate::store::environments::{self, EnvRow};
use crate::store::{drift as drift_store, history, inventory, workflows};
use chrono::{TimeZone, Utc};
use pairing::Paired;
use serde_json::Value;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a selected workflow brings beyond its facts: its diff and source body.
struct Loaded {
    diff: WorkflowDiff,
    /// The source's raw body (for the credentials it uses); None when only in the target.
    source_raw: Option<Value>,
}

/// The identity of a plan item, to find what was loaded for it after sorting.
type ItemKey = (String, Option<String>, Option<String>, Option<String>);

fn item_key(i: &PlanItem) -> ItemKey {
    (
        i.name.clone(),
        i.canonical_id.clone(),
        i.source_fingerprint.clone(),
        i.target_fingerprint.clone(),
    )
}

/// What the gates are judged on beyond the store: known at execution, not at preflight.
#[derive(Debug, Clone, Default)]
pub(super) struct GateInputs {
    /// Who asked for the promotion (default: this service's actor).
    pub requester: Option<String>,
    /// Who approved the current plan.
    pub approvers: Vec<String>,
    /// The custom validation's outcome, once run.
    pub validation: Option<ValidationOutcome>,
}

impl LocalOps {
    pub(super) async fn preflight(&self, req: PromoteRequest) -> OpsResult<Preflight> {
        self.preflight_with(req, GateInputs::default()).await
    }

    /// The preflight with the gates judged on `inputs` too.
    pub(super) async fn preflight_with(
        &self,
        req: PromoteRequest,
        inputs: GateInputs,
    ) -> OpsResult<Preflight> {
        if req.from == req.to {
            return Err(OpsError::invalid(format!(
                "cannot promote from '{}' to itself",
                req.from
            )));
        }
        let mut conn = self.store.conn().await?;
        let source_env = environments::get(&mut conn, &req.from).await?;
        let target_env = environments::get(&mut conn, &req.to).await?;
        let (stage, named_stage) = self.stage_of(&req).await?;
        drop(conn);

        let (source_ids, target_ids) = self.canonical_ids(&req.from, &req.to).await?;
        let mut conn = self.store.conn().await?;
        let list = |env: &str| workflows::Filter {
            env: Some(env.to_owned()),
            active: None,
        };
        let source_rows = workflows::list(&mut conn, &list(&req.from)).await?;
        let target_rows = workflows::list(&mut conn, &list(&req.to)).await?;
        let pairs = pairing::pair(source_rows, target_rows, &source_ids, &target_ids);
        let source_history = history::fingerprints(&mut conn, source_env.id, None).await?;
        let target_history = history::fingerprints(&mut conn, target_env.id, None).await?;

        let mut facts = Vec::new();
        for p in &pairs {
            facts.push(facts_of(p, &source_history, &target_history));
        }
        let selected = select(&req, &pairs, &facts)?;

        // Diffs (and risk) of every selected workflow that differs.
        let mut loaded: HashMap<ItemKey, Loaded> = HashMap::new();
        let mut chosen = Vec::new();
        for i in selected {
            let (p, mut f) = (&pairs[i], facts[i].clone());
            let st = status(
                f.source_fingerprint.as_deref(),
                f.target_fingerprint.as_deref(),
                f.last_common_fingerprint.as_deref(),
            );
            if st != DiffStatus::Unchanged {
                let source = load(&mut conn, p.source.as_ref()).await?;
                let target = load(&mut conn, p.target.as_ref()).await?;
                let source_raw = source.as_ref().map(|(raw, _)| raw.clone());
                let side = |s: Option<(Value, Value)>| match s {
                    Some((raw, normalized)) => Side::new(normalized, Some(&raw)),
                    None => Side::new(normalize(&Value::Null), None),
                };
                let d = diff(&side(target), &side(source));
                f.risk = d.risk;
                let key = (
                    f.name.clone(),
                    f.canonical_id.clone(),
                    f.source_fingerprint.clone(),
                    f.target_fingerprint.clone(),
                );
                loaded.insert(
                    key,
                    Loaded {
                        diff: d,
                        source_raw,
                    },
                );
            }
            chosen.push(f);
        }

        let plan_request = PlanRequest {
            stage: named_stage
                .as_ref()
                .map(|(p, s)| format!("{p}: {}", s.label())),
            source_env: req.from.clone(),
            target_env: req.to.clone(),
            hotfix_overrides: req.hotfix_overrides.iter().cloned().collect(),
            delete_missing: req.delete_missing,
        };
        let plan =
            Plan::build(&plan_request, &chosen).map_err(|e| OpsError::invalid(e.to_string()))?;
        let keys = map_keys(&plan);

        // Diffs and credentials of what writes.
        let target_creds = inventory::credentials(&mut conn, target_env.id).await?;
        let table: Vec<TargetCredential> = target_creds
            .iter()
            .map(|c| TargetCredential {
                cred_type: c.cred_type.clone(),
                name: c.name.clone(),
                id: c.n8n_id.clone(),
            })
            .collect();
        let mut diffs = BTreeMap::new();
        let mut credentials: BTreeMap<String, Vec<CredentialResolution>> = BTreeMap::new();
        let mut required: BTreeSet<CredentialRef> = BTreeSet::new();
        for (item, key) in plan.items.iter().zip(&keys) {
            if !item.action.writes() {
                continue;
            }
            let Some(l) = loaded.get(&item_key(item)) else {
                continue;
            };
            diffs.insert(key.clone(), l.diff.clone());
            if !matches!(item.action, PlanAction::Create | PlanAction::Update) {
                continue;
            }
            let Some(raw) = &l.source_raw else { continue };
            let used = used_credentials(raw);
            required.extend(used.iter().map(|c| CredentialRef {
                id: None,
                name: c.name.clone(),
                cred_type: c.cred_type.clone(),
            }));
            let resolved = resolve(&req.to, &used, &table, &stage.credentials).map_err(|e| {
                OpsError::new(
                    ErrorKind::Conflict,
                    format!("workflow {}: {e}", item.label()),
                )
            })?;
            credentials.insert(key.clone(), resolved);
        }

        // Gates.
        let mut notes = synced_notes(&source_env, &target_env);
        let checks = drift_store::latest(&mut conn, Some(&req.to)).await?;
        let incidents_gate = self
            .incidents_gate_of(&mut conn, &req.to, target_env.class, &plan)
            .await?;
        drop(conn);
        let check = checks.into_iter().next();
        if check.is_none() {
            notes.push(format!(
                "no drift check of '{}' has run: the workflows it would overwrite are UNKNOWN to the drift gate; run a drift check first",
                req.to
            ));
        }
        let drift = drift_facts(&plan, &keys, check.as_ref().map(|(_, r)| r.as_slice()));
        let mut acknowledged: BTreeSet<String> = req.acknowledged_drift.iter().cloned().collect();
        for (item, key) in plan.items.iter().zip(&keys) {
            if req
                .acknowledged_drift
                .iter()
                .any(|a| *a == item.name || item.canonical_id.as_deref() == Some(a.as_str()))
            {
                acknowledged.insert(key.clone());
            }
        }
        let required: Vec<CredentialRef> = required.into_iter().collect();
        let target_refs: Vec<CredentialRef> = target_creds
            .iter()
            .map(|c| CredentialRef {
                id: c.n8n_id.clone(),
                name: c.name.clone(),
                cred_type: c.cred_type.clone(),
            })
            .collect();
        let gate_facts = GateFacts {
            drift: &drift,
            acknowledged: &acknowledged,
            required_credentials: &required,
            target_credentials: &target_refs,
            approvers: &inputs.approvers,
            requester: inputs.requester.as_deref().unwrap_or(&self.settings.actor),
            now: Utc::now(),
            validation: inputs.validation.as_ref(),
        };
        let mut gates = evaluate_all(&stage, &gate_facts);
        if let Some(g) = incidents_gate {
            let after_drift = gates
                .iter()
                .position(|g| g.gate == GateKind::Drift)
                .map_or(0, |i| i + 1);
            gates.insert(after_drift, g);
        }
        if let Some(v) = stage
            .gates
            .validation
            .as_ref()
            .filter(|_| inputs.validation.is_none())
        {
            notes.push(format!(
                "the custom validation ({}) runs before execution, not at preflight",
                v.describe()
            ));
        }

        let deletes = plan.items.iter().any(|i| i.action == PlanAction::Delete);
        let policy = policy_lines::policy_lines(
            &self.settings.policy,
            &stage,
            &req.to,
            target_env.class,
            deletes,
        );
        Ok(Preflight {
            plan,
            stage: named_stage.map(|(_, s)| s),
            gates,
            credentials,
            policy,
            diffs,
            notes,
        })
    }

    /// The stage to promote through: the named pipeline's (config first, then store)
    /// `from -> to` stage, with the pipeline's name; else a default stage.
    pub(super) async fn stage_of(
        &self,
        req: &PromoteRequest,
    ) -> OpsResult<(Stage, Option<(String, Stage)>)> {
        let (mut stage, named) = self.pipeline_stage(req).await?;
        // The request's own mappings win over the stage's table.
        stage.credentials.extend(req.credentials.clone());
        Ok((stage, named))
    }

    /// The named pipeline's stage as configured, or a default one.
    async fn pipeline_stage(
        &self,
        req: &PromoteRequest,
    ) -> OpsResult<(Stage, Option<(String, Stage)>)> {
        let Some(name) = &req.pipeline else {
            let stage = Stage {
                from: req.from.clone(),
                to: req.to.clone(),
                gates: Gates::default(),
                activation: Default::default(),
                credentials: BTreeMap::new(),
            };
            return Ok((stage, None));
        };
        let pipeline = self.show_pipeline(name).await?.pipeline;
        let stage = pipeline.stage(&req.from, &req.to).cloned().ok_or_else(|| {
            OpsError::not_found(format!(
                "pipeline '{name}' has no stage {} -> {}",
                req.from, req.to
            ))
        })?;
        Ok((stage.clone(), Some((name.clone(), stage))))
    }

    /// n8n id -> canonical id of each environment, from the canonical state at the
    /// branch head. Empty when no repository exists yet (opening one would create it,
    /// and a preflight changes nothing).
    async fn canonical_ids(
        &self,
        source: &str,
        target: &str,
    ) -> OpsResult<(HashMap<String, String>, HashMap<String, String>)> {
        let state = self.canonical_if_any().await?;
        let ids = |env: &str| -> HashMap<String, String> {
            state
                .mapping(env)
                .workflows
                .iter()
                .map(|(id, w)| (w.n8n_id.clone(), id.clone()))
                .collect()
        };
        Ok((ids(source), ids(target)))
    }
}

/// The facts of one pair from the store (risk is set later, from its diff).
fn facts_of(
    p: &Paired,
    source_history: &HashMap<String, Vec<String>>,
    target_history: &HashMap<String, Vec<String>>,
) -> WorkflowFacts {
    fn past<'h>(
        row: Option<&workflows::WorkflowRow>,
        h: &'h HashMap<String, Vec<String>>,
    ) -> Vec<&'h str> {
        row.and_then(|r| h.get(&r.n8n_id))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
    let s = past(p.source.as_ref(), source_history);
    let t = past(p.target.as_ref(), target_history);
    WorkflowFacts {
        name: p.name().to_owned(),
        canonical_id: p.canonical_id.clone(),
        source_fingerprint: p.source.as_ref().map(|r| r.fingerprint.clone()),
        target_fingerprint: p.target.as_ref().map(|r| r.fingerprint.clone()),
        last_common_fingerprint: last_common_fingerprint(&s, &t).map(str::to_owned),
        target_id: p.target.as_ref().map(|r| r.n8n_id.clone()),
        source_id: p.source.as_ref().map(|r| r.n8n_id.clone()),
        risk: None,
    }
}

/// Indexes of the pairs to plan: those the request names (names or canonical ids;
/// unknown ones are refused), else every one that differs.
fn select(
    req: &PromoteRequest,
    pairs: &[Paired],
    facts: &[WorkflowFacts],
) -> OpsResult<Vec<usize>> {
    if req.workflows.is_empty() {
        return Ok(facts
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                status(
                    f.source_fingerprint.as_deref(),
                    f.target_fingerprint.as_deref(),
                    f.last_common_fingerprint.as_deref(),
                )
                .differs()
            })
            .map(|(i, _)| i)
            .collect());
    }
    let unknown: Vec<String> = req
        .workflows
        .iter()
        .filter(|w| !pairs.iter().any(|p| p.answers_to(w)))
        .map(|w| format!("'{w}'"))
        .collect();
    if !unknown.is_empty() {
        return Err(OpsError::invalid(format!(
            "no workflow named {} in '{}' or '{}' (as last synced)",
            unknown.join(", "),
            req.from,
            req.to
        )));
    }
    Ok((0..pairs.len())
        .filter(|&i| req.workflows.iter().any(|w| pairs[i].answers_to(w)))
        .collect())
}

/// The key of each plan item in the preflight's maps: its name, or where two items share
/// a name, the name with the canonical id (else the target's id) in brackets.
pub(super) fn map_keys(plan: &Plan) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for i in &plan.items {
        *count.entry(i.name.as_str()).or_default() += 1;
    }
    plan.items
        .iter()
        .map(|i| {
            if count[i.name.as_str()] == 1 {
                return i.name.clone();
            }
            match i.canonical_id.as_ref().or(i.target_id.as_ref()) {
                Some(id) => format!("{} [{id}]", i.name),
                None => format!("{} [new]", i.name),
            }
        })
        .collect()
}

/// The drift facts of the items that overwrite or delete a target workflow: its status
/// in the target's latest check (absent from it = IN_SYNC, since a check stores only
/// the rest), UNKNOWN for all when the target was never checked.
fn drift_facts(
    plan: &Plan,
    keys: &[String],
    results: Option<&[drift_store::DriftResultRow]>,
) -> Vec<DriftFact> {
    plan.items
        .iter()
        .zip(keys)
        .filter(|(i, _)| matches!(i.action, PlanAction::Update | PlanAction::Delete))
        .map(|(i, key)| {
            let status = match results {
                None => DriftStatus::Unknown,
                Some(rows) => rows
                    .iter()
                    .find(|r| {
                        r.n8n_id.is_some() && r.n8n_id == i.target_id
                            || r.canonical_id.is_some() && r.canonical_id == i.canonical_id
                    })
                    .map_or(DriftStatus::InSync, |r| r.status),
            };
            DriftFact {
                workflow: key.clone(),
                status,
            }
        })
        .collect()
}

/// Says which synced state the preflight was computed from.
fn synced_notes(source: &EnvRow, target: &EnvRow) -> Vec<String> {
    let when = |env: &EnvRow| match env
        .last_sync_at
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    {
        Some(t) => format!(
            "'{}' as last synced at {}",
            env.name,
            t.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => format!("'{}' never synced (no workflows known)", env.name),
    };
    vec![format!(
        "computed from the store: {} and {}; nothing was fetched (sync first for the instances' current state)",
        when(source),
        when(target)
    )]
}

/// A stored workflow's raw and normalized bodies, or nothing for an absent side.
async fn load(
    conn: &mut AnyConnection,
    row: Option<&workflows::WorkflowRow>,
) -> OpsResult<Option<(Value, Value)>> {
    let Some(row) = row else { return Ok(None) };
    let (_, raw, normalized) = workflows::get(conn, &row.env, &row.n8n_id)
        .await?
        .ok_or_else(|| {
            OpsError::not_found(format!(
                "workflow '{}' ({}) left '{}' while the preflight read it",
                row.name, row.n8n_id, row.env
            ))
        })?;
    let parse = |text: &str, what: &str| {
        serde_json::from_str::<Value>(text).map_err(|e| {
            OpsError::new(
                ErrorKind::Store,
                format!(
                    "stored {what} JSON of workflow '{}' ({}) in '{}' is damaged: {e}",
                    row.name, row.n8n_id, row.env
                ),
            )
        })
    };
    Ok(Some((
        parse(&raw, "raw")?,
        parse(&normalized, "normalized")?,
    )))
}
