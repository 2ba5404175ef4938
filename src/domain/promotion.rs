//! The promotion plan: what a promotion from a source environment to a target would do
//! to each workflow, and the hash an approval binds to.
//!
//! Each item comes from facts the service gathers (both sides' fingerprints, the last
//! fingerprint they shared, the diff's risk, the target's id):
//!
//! | status | action |
//! | --- | --- |
//! | ADDED | Create |
//! | MODIFIED | Update |
//! | UNCHANGED | Skip |
//! | TARGET_HOTFIX | Hold, or Update when an override for that workflow was given (recorded in the item) |
//! | DELETED (only in the target) | Skip, or Delete when the request asks for deletions |
//!
//! A promotion does not delete by default: a workflow only in the target may be one
//! made there on purpose, and deleting is the one change a snapshot restore cannot make
//! invisible to the executions and webhooks that used it meanwhile.
//!
//! The plan's [`Plan::hash`] is a SHA-256 over a canonical text of the environments and
//! every item's identity, status, action, fingerprints and override, in sorted order: the
//! order facts arrive in does not change it, any change of either side's fingerprints
//! does. An approval records the hash; before execution the plan is recomputed from
//! fresh facts and an approval whose hash differs is stale (like a Terraform saved plan).

use super::diff::{DiffStatus, Risk, status};
use super::encoding::hex;
use ring::digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// What the promotion does to one workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlanAction {
    /// Create it in the target.
    Create,
    /// Overwrite the target's workflow.
    Update,
    /// Delete it from the target (only when asked).
    Delete,
    /// Nothing to do: unchanged, or only in the target.
    Skip,
    /// Not written: the target has a hotfix, and no override was given.
    Hold,
}

impl PlanAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanAction::Create => "CREATE",
            PlanAction::Update => "UPDATE",
            PlanAction::Delete => "DELETE",
            PlanAction::Skip => "SKIP",
            PlanAction::Hold => "HOLD",
        }
    }

    /// The action named by [`PlanAction::as_str`]'s text.
    pub fn parse(text: &str) -> Option<PlanAction> {
        [
            PlanAction::Create,
            PlanAction::Update,
            PlanAction::Delete,
            PlanAction::Skip,
            PlanAction::Hold,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }

    /// Whether the action writes to the target.
    pub fn writes(self) -> bool {
        matches!(
            self,
            PlanAction::Create | PlanAction::Update | PlanAction::Delete
        )
    }
}

impl fmt::Display for PlanAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the service knows about one workflow on both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowFacts {
    pub name: String,
    pub canonical_id: Option<String>,
    /// None where the workflow is not in the source.
    pub source_fingerprint: Option<String>,
    /// None where the workflow is not in the target.
    pub target_fingerprint: Option<String>,
    /// The last fingerprint both sides held (`diff::last_common_fingerprint`).
    pub last_common_fingerprint: Option<String>,
    /// The target's n8n id, where it has the workflow.
    pub target_id: Option<String>,
    /// The source's n8n id, where it has the workflow.
    #[serde(default)]
    pub source_id: Option<String>,
    /// The diff's overall risk, where there is a diff.
    pub risk: Option<Risk>,
}

/// What to plan: the environments and the choices that change actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRequest {
    /// The pipeline stage, when the promotion runs through one.
    pub stage: Option<String>,
    pub source_env: String,
    pub target_env: String,
    /// Workflows (canonical id or name) whose TARGET_HOTFIX may be overwritten: the
    /// explicit, recorded choice the issue asks for.
    pub hotfix_overrides: BTreeSet<String>,
    /// Delete workflows only in the target (off by default, see the module's doc).
    pub delete_missing: bool,
}

/// One workflow's line in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub name: String,
    pub canonical_id: Option<String>,
    pub status: DiffStatus,
    pub risk: Option<Risk>,
    pub source_fingerprint: Option<String>,
    pub target_fingerprint: Option<String>,
    pub target_id: Option<String>,
    /// The source's n8n id (not part of the hash: ids are not what an approval judges).
    #[serde(default)]
    pub source_id: Option<String>,
    pub action: PlanAction,
    /// The target's hotfix is overwritten by an explicit override (only ever true on a
    /// TARGET_HOTFIX item).
    pub hotfix_override: bool,
}

impl PlanItem {
    /// The workflow's identity in messages: its name, with its canonical id when known.
    pub fn label(&self) -> String {
        match &self.canonical_id {
            Some(id) => format!("'{}' ({id})", self.name),
            None => format!("'{}'", self.name),
        }
    }

    /// The canonical text of the item for the plan's hash: a JSON array, so no name can
    /// forge a field boundary.
    fn canonical_line(&self) -> String {
        serde_json::json!([
            self.name,
            self.canonical_id,
            self.status.as_str(),
            self.action.as_str(),
            self.source_fingerprint,
            self.target_fingerprint,
            self.hotfix_override,
        ])
        .to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("cannot plan {workflow} {action} in {env}: the target's id of the workflow is unknown")]
    NoTargetId {
        workflow: String,
        action: PlanAction,
        env: String,
    },
    #[error("cannot plan a promotion from {env} to itself")]
    SameEnvironment { env: String },
}

/// How many items of each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCounts {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub skip: usize,
    pub hold: usize,
}

/// How many items of each diff status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub added: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub modified: usize,
    pub target_hotfix: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub by_action: ActionCounts,
    pub by_status: StatusCounts,
    /// Items whose hotfix is overwritten by an override.
    pub overrides: usize,
}

/// A promotion plan. Items are sorted by name, canonical id, then fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub stage: Option<String>,
    pub source_env: String,
    pub target_env: String,
    pub items: Vec<PlanItem>,
    /// Hex SHA-256 of the plan's canonical text (see the module's doc).
    pub hash: String,
}

/// The action for a status, and whether a hotfix override was used.
fn action_for(status: DiffStatus, overridden: bool, delete_missing: bool) -> (PlanAction, bool) {
    match status {
        DiffStatus::Added => (PlanAction::Create, false),
        DiffStatus::Modified => (PlanAction::Update, false),
        DiffStatus::Unchanged => (PlanAction::Skip, false),
        DiffStatus::TargetHotfix if overridden => (PlanAction::Update, true),
        DiffStatus::TargetHotfix => (PlanAction::Hold, false),
        DiffStatus::Deleted if delete_missing => (PlanAction::Delete, false),
        DiffStatus::Deleted => (PlanAction::Skip, false),
    }
}

impl Plan {
    /// The plan for `request` from `facts` (in any order).
    pub fn build(request: &PlanRequest, facts: &[WorkflowFacts]) -> Result<Plan, PlanError> {
        if request.source_env == request.target_env {
            return Err(PlanError::SameEnvironment {
                env: request.source_env.clone(),
            });
        }
        let mut items = facts
            .iter()
            .map(|f| {
                let status = status(
                    f.source_fingerprint.as_deref(),
                    f.target_fingerprint.as_deref(),
                    f.last_common_fingerprint.as_deref(),
                );
                let overridden = request.hotfix_overrides.contains(&f.name)
                    || f.canonical_id
                        .as_ref()
                        .is_some_and(|id| request.hotfix_overrides.contains(id));
                let (action, hotfix_override) =
                    action_for(status, overridden, request.delete_missing);
                let item = PlanItem {
                    name: f.name.clone(),
                    canonical_id: f.canonical_id.clone(),
                    status,
                    risk: f.risk,
                    source_fingerprint: f.source_fingerprint.clone(),
                    target_fingerprint: f.target_fingerprint.clone(),
                    target_id: f.target_id.clone(),
                    source_id: f.source_id.clone(),
                    action,
                    hotfix_override,
                };
                if matches!(action, PlanAction::Update | PlanAction::Delete)
                    && item.target_id.is_none()
                {
                    return Err(PlanError::NoTargetId {
                        workflow: item.label(),
                        action,
                        env: request.target_env.clone(),
                    });
                }
                Ok(item)
            })
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_by(|a, b| {
            (
                &a.name,
                &a.canonical_id,
                &a.source_fingerprint,
                &a.target_fingerprint,
            )
                .cmp(&(
                    &b.name,
                    &b.canonical_id,
                    &b.source_fingerprint,
                    &b.target_fingerprint,
                ))
        });
        let mut plan = Plan {
            stage: request.stage.clone(),
            source_env: request.source_env.clone(),
            target_env: request.target_env.clone(),
            items,
            hash: String::new(),
        };
        plan.hash = plan.compute_hash();
        Ok(plan)
    }

    /// The canonical text the hash is taken over: one JSON line for the environments
    /// and stage, then one per item, the item lines sorted.
    pub fn canonical_text(&self) -> String {
        let mut lines: Vec<String> = self.items.iter().map(PlanItem::canonical_line).collect();
        lines.sort();
        let head = serde_json::json!([self.stage, self.source_env, self.target_env]).to_string();
        let mut text = head;
        for line in lines {
            text.push('\n');
            text.push_str(&line);
        }
        text
    }

    /// Hex SHA-256 of [`Plan::canonical_text`].
    pub fn compute_hash(&self) -> String {
        hex(digest::digest(&digest::SHA256, self.canonical_text().as_bytes()).as_ref())
    }

    /// Whether the stored hash still matches the plan's content (a stored plan not
    /// tampered with or corrupted).
    pub fn verify(&self) -> bool {
        self.hash == self.compute_hash()
    }

    /// Whether an approval of this plan no longer holds for `current`, the plan
    /// recomputed from fresh facts: any change of either side's fingerprints, of a
    /// status, action or override.
    pub fn is_stale(&self, current: &Plan) -> bool {
        is_stale_hash(&self.hash, current)
    }

    /// The items that write to the target.
    pub fn writes(&self) -> impl Iterator<Item = &PlanItem> {
        self.items.iter().filter(|i| i.action.writes())
    }

    /// Items held because of a target hotfix: each needs an override to be promoted.
    pub fn held(&self) -> impl Iterator<Item = &PlanItem> {
        self.items.iter().filter(|i| i.action == PlanAction::Hold)
    }

    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for item in &self.items {
            let a = &mut s.by_action;
            *match item.action {
                PlanAction::Create => &mut a.create,
                PlanAction::Update => &mut a.update,
                PlanAction::Delete => &mut a.delete,
                PlanAction::Skip => &mut a.skip,
                PlanAction::Hold => &mut a.hold,
            } += 1;
            let st = &mut s.by_status;
            *match item.status {
                DiffStatus::Added => &mut st.added,
                DiffStatus::Deleted => &mut st.deleted,
                DiffStatus::Unchanged => &mut st.unchanged,
                DiffStatus::Modified => &mut st.modified,
                DiffStatus::TargetHotfix => &mut st.target_hotfix,
            } += 1;
            s.overrides += usize::from(item.hotfix_override);
        }
        s
    }
}

/// Whether an approval given for `approved_hash` is stale against `current`, the plan
/// recomputed from fresh facts just before execution.
pub fn is_stale_hash(approved_hash: &str, current: &Plan) -> bool {
    approved_hash != current.hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(name: &str, s: Option<&str>, t: Option<&str>, common: Option<&str>) -> WorkflowFacts {
        WorkflowFacts {
            name: name.into(),
            canonical_id: Some(name.to_lowercase()),
            source_fingerprint: s.map(str::to_owned),
            target_fingerprint: t.map(str::to_owned),
            last_common_fingerprint: common.map(str::to_owned),
            target_id: t.map(|_| format!("t-{name}")),
            source_id: s.map(|_| format!("s-{name}")),
            risk: Some(Risk::Medium),
        }
    }

    fn request() -> PlanRequest {
        PlanRequest {
            stage: Some("dev->prod".into()),
            source_env: "dev".into(),
            target_env: "prod".into(),
            ..PlanRequest::default()
        }
    }

    fn facts() -> Vec<WorkflowFacts> {
        vec![
            fact("New", Some("n1"), None, None),
            fact("Changed", Some("c2"), Some("c1"), Some("c1")),
            fact("Same", Some("s1"), Some("s1"), Some("s1")),
            fact("Fixed", Some("f2"), Some("fh"), Some("f1")),
            fact("OnlyProd", None, Some("o1"), None),
        ]
    }

    fn action_of(plan: &Plan, name: &str) -> (DiffStatus, PlanAction, bool) {
        let i = plan.items.iter().find(|i| i.name == name).unwrap();
        (i.status, i.action, i.hotfix_override)
    }

    #[test]
    fn actions_by_status() {
        let plan = Plan::build(&request(), &facts()).unwrap();
        use DiffStatus::*;
        use PlanAction::*;
        assert_eq!(action_of(&plan, "New"), (Added, Create, false));
        assert_eq!(action_of(&plan, "Changed"), (Modified, Update, false));
        assert_eq!(action_of(&plan, "Same"), (Unchanged, Skip, false));
        assert_eq!(action_of(&plan, "Fixed"), (TargetHotfix, Hold, false));
        assert_eq!(action_of(&plan, "OnlyProd"), (Deleted, Skip, false));
        let names: Vec<&str> = plan.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["Changed", "Fixed", "New", "OnlyProd", "Same"]);
        assert_eq!(plan.held().count(), 1);
        assert_eq!(plan.writes().count(), 2);
        assert!(plan.verify());
        let s = plan.summary();
        assert_eq!(
            s.by_action,
            ActionCounts {
                create: 1,
                update: 1,
                delete: 0,
                skip: 2,
                hold: 1
            }
        );
        assert_eq!(
            s.by_status,
            StatusCounts {
                added: 1,
                deleted: 1,
                unchanged: 1,
                modified: 1,
                target_hotfix: 1
            }
        );
        assert_eq!(s.overrides, 0);
    }

    #[test]
    fn hotfix_is_never_overwritten_without_its_own_override() {
        let mut req = request();
        // Overrides for other workflows do not reach it.
        req.hotfix_overrides = ["Changed".to_owned(), "new".to_owned()].into();
        let plan = Plan::build(&req, &facts()).unwrap();
        assert_eq!(
            action_of(&plan, "Fixed"),
            (DiffStatus::TargetHotfix, PlanAction::Hold, false)
        );
        // An override on a workflow that is no hotfix is not recorded.
        assert_eq!(
            action_of(&plan, "Changed"),
            (DiffStatus::Modified, PlanAction::Update, false)
        );
        for given in ["Fixed", "fixed"] {
            // By name or by canonical id.
            req.hotfix_overrides = [given.to_owned()].into();
            let over = Plan::build(&req, &facts()).unwrap();
            assert_eq!(
                action_of(&over, "Fixed"),
                (DiffStatus::TargetHotfix, PlanAction::Update, true)
            );
            assert_eq!(over.summary().overrides, 1);
            assert_ne!(
                over.hash, plan.hash,
                "the override is part of what is approved"
            );
        }
    }

    #[test]
    fn deletes_only_when_asked() {
        let mut req = request();
        req.delete_missing = true;
        let plan = Plan::build(&req, &facts()).unwrap();
        assert_eq!(
            action_of(&plan, "OnlyProd"),
            (DiffStatus::Deleted, PlanAction::Delete, false)
        );
        assert_eq!(plan.summary().by_action.delete, 1);
    }

    #[test]
    fn errors_name_the_workflow_and_environment() {
        let mut f = fact("Changed", Some("c2"), Some("c1"), Some("c1"));
        f.target_id = None;
        let err = Plan::build(&request(), &[f]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot plan 'Changed' (changed) UPDATE in prod: the target's id of the workflow is unknown"
        );
        let mut req = request();
        req.target_env = "dev".into();
        assert_eq!(
            Plan::build(&req, &[]).unwrap_err(),
            PlanError::SameEnvironment { env: "dev".into() }
        );
    }

    #[test]
    fn hash_ignores_input_order() {
        let plan = Plan::build(&request(), &facts()).unwrap();
        let mut reversed = facts();
        reversed.reverse();
        assert_eq!(Plan::build(&request(), &reversed).unwrap(), plan);
        let mut rotated = facts();
        rotated.rotate_left(2);
        assert_eq!(Plan::build(&request(), &rotated).unwrap().hash, plan.hash);
        assert_eq!(plan.hash.len(), 64);
    }

    #[test]
    fn any_fingerprint_change_makes_the_approval_stale() {
        let approved = Plan::build(&request(), &facts()).unwrap();
        let n = facts().len();
        for i in 0..n {
            for side in ["source", "target"] {
                let mut changed = facts();
                let f = &mut changed[i];
                let fp = if side == "source" {
                    &mut f.source_fingerprint
                } else {
                    &mut f.target_fingerprint
                };
                *fp = Some(format!("{}-changed", fp.clone().unwrap_or_default()));
                if f.target_fingerprint.is_some() && f.target_id.is_none() {
                    f.target_id = Some("t".into());
                }
                let current = Plan::build(&request(), &changed).unwrap();
                assert!(
                    approved.is_stale(&current),
                    "{side} fingerprint of {} changed",
                    changed[i].name
                );
                assert!(is_stale_hash(&approved.hash, &current));
            }
        }
        // A workflow appearing or disappearing on either side, or another environment.
        let mut fewer = facts();
        fewer.pop();
        assert!(approved.is_stale(&Plan::build(&request(), &fewer).unwrap()));
        let mut req = request();
        req.target_env = "staging".into();
        assert!(approved.is_stale(&Plan::build(&req, &facts()).unwrap()));
        // Fresh facts that did not change keep the approval.
        assert!(!approved.is_stale(&Plan::build(&request(), &facts()).unwrap()));
        // Risk and the target's id are not part of what is approved.
        let mut other = facts();
        other[0].risk = Some(Risk::High);
        assert!(!approved.is_stale(&Plan::build(&request(), &other).unwrap()));
    }

    #[test]
    fn a_tampered_plan_fails_verification() {
        let mut plan = Plan::build(&request(), &facts()).unwrap();
        plan.items[1].action = PlanAction::Update;
        assert!(!plan.verify());
    }
}
