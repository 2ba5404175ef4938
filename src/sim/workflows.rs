//! The stored workflow, the rules n8n applies to one (ids, settings defaults,
//! triggers) and the JSON shapes it is answered in.
//!
//! n8n answers each endpoint with a slightly different shape; they were captured
//! from a real 1.123.0 and are reproduced by [`View`].

use super::json::{Json, Ts, to_json};
use super::runs::RunProfile;
use super::tags::{TagView, Tags};
use super::users::Owner;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::sync::Arc;

/// One workflow as the simulated instance stores it.
#[derive(Clone, Debug)]
pub struct Workflow {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub nodes: Json,
    pub connections: Json,
    pub settings: Json,
    pub static_data: Json,
    pub version_id: String,
    pub active_version: Option<ActiveVersion>,
    pub version_counter: u64,
    /// `triggerCount` as n8n reports it (set on activation).
    pub trigger_count: u32,
    /// Enabled nodes of the current version that can start it.
    pub triggers: u32,
    /// How runs of the current version go.
    pub profile: Arc<RunProfile>,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// When the owner's sharing row was made (shown in `shared`).
    pub shared_at: Ts,
    /// Tag ids, in the order they were set.
    pub tags: Vec<String>,
}

/// The published version of an active workflow (`activeVersion`).
#[derive(Clone, Debug)]
pub struct ActiveVersion {
    pub version_id: String,
    pub created_at: Ts,
    pub nodes: Json,
    pub connections: Json,
}

/// Which endpoint a workflow is answered from; each has its own shape in n8n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// `POST /workflows`: no `shared`, `tags` or `activeVersion`.
    Create,
    /// `GET /workflows/{id}`: everything, `shared` with its project.
    Get { exclude_pinned_data: bool },
    /// `PUT /workflows/{id}`: no `shared` or `activeVersion`.
    Update,
    /// `DELETE /workflows/{id}`: `shared` with its project, no `tags` or `activeVersion`.
    Delete,
    /// `POST .../activate` of an inactive workflow: no `shared` or `tags`.
    Activate,
    /// `POST .../deactivate`, and `.../activate` of an active workflow: the workflow
    /// as loaded for the change, `shared` with its project, no `tags`.
    Loaded,
    /// One item of `GET /workflows`: no `description` or `versionCounter`.
    List { exclude_pinned_data: bool },
}

/// Everything besides the workflow itself that its JSON shows.
pub struct RenderContext<'a> {
    pub tags: &'a Tags,
    pub owner: &'a Owner,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowView<'a> {
    updated_at: Ts,
    created_at: Ts,
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<()>,
    active: bool,
    is_archived: bool,
    nodes: &'a RawValue,
    connections: &'a RawValue,
    settings: &'a RawValue,
    static_data: &'a RawValue,
    meta: (),
    #[serde(skip_serializing_if = "Option::is_none")]
    pin_data: Option<()>,
    version_id: &'a str,
    active_version_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_counter: Option<u64>,
    trigger_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    shared: Option<[SharedView<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<TagView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_version: Option<Option<ActiveVersionView<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SharedView<'a> {
    updated_at: Ts,
    created_at: Ts,
    role: &'static str,
    workflow_id: &'a str,
    project_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActiveVersionView<'a> {
    updated_at: Ts,
    created_at: Ts,
    version_id: &'a str,
    workflow_id: &'a str,
    nodes: &'a RawValue,
    connections: &'a RawValue,
    authors: &'a str,
    name: (),
    description: (),
}

impl Workflow {
    /// The JSON view of this workflow for one endpoint.
    pub fn view<'a>(&'a self, view: View, cx: &RenderContext<'a>) -> WorkflowView<'a> {
        let list = matches!(view, View::List { .. });
        let shared = |with_project: bool| {
            [SharedView {
                updated_at: self.shared_at,
                created_at: self.shared_at,
                role: "workflow:owner",
                workflow_id: &self.id,
                project_id: &cx.owner.project_id,
                project: with_project.then_some(&*cx.owner.project_json),
            }]
        };
        let active_version = || {
            self.active_version.as_ref().map(|v| ActiveVersionView {
                updated_at: v.created_at,
                created_at: v.created_at,
                version_id: &v.version_id,
                workflow_id: &self.id,
                nodes: &v.nodes,
                connections: &v.connections,
                authors: &cx.owner.full_name,
                name: (),
                description: (),
            })
        };
        WorkflowView {
            updated_at: self.updated_at,
            created_at: self.created_at,
            id: &self.id,
            name: &self.name,
            description: (!list).then_some(()),
            active: self.active,
            is_archived: false,
            nodes: &self.nodes,
            connections: &self.connections,
            settings: &self.settings,
            static_data: &self.static_data,
            meta: (),
            pin_data: (!matches!(
                view,
                View::Get {
                    exclude_pinned_data: true
                } | View::List {
                    exclude_pinned_data: true
                }
            ))
            .then_some(()),
            version_id: &self.version_id,
            active_version_id: self.active_version.as_ref().map(|v| v.version_id.as_str()),
            version_counter: (!list).then_some(self.version_counter),
            trigger_count: self.trigger_count,
            shared: match view {
                View::Get { .. } | View::Delete | View::Loaded => Some(shared(true)),
                View::List { .. } => Some(shared(false)),
                _ => None,
            },
            tags: matches!(view, View::Get { .. } | View::Update | View::List { .. })
                .then(|| cx.tags.views(&self.tags)),
            active_version: matches!(
                view,
                View::Get { .. } | View::Activate | View::Loaded | View::List { .. }
            )
            .then(active_version),
        }
    }

    /// Publishes the current version (activation).
    pub fn publish(&mut self, now: Ts) {
        self.active = true;
        self.active_version = Some(ActiveVersion {
            version_id: self.version_id.clone(),
            created_at: now,
            nodes: self.nodes.clone(),
            connections: self.connections.clone(),
        });
    }

    pub fn unpublish(&mut self) {
        self.active = false;
        self.active_version = None;
    }
}

/// Node types n8n can start an active workflow from, besides every `...Trigger`.
const STARTERS: &[&str] = &[
    "n8n-nodes-base.webhook",
    "n8n-nodes-base.cron",
    "n8n-nodes-base.interval",
    "n8n-nodes-base.emailReadImap",
];

/// `...Trigger` nodes that only start a workflow by hand or from another workflow.
const NOT_STARTERS: &[&str] = &[
    "n8n-nodes-base.manualTrigger",
    "n8n-nodes-base.executeWorkflowTrigger",
    "n8n-nodes-base.errorTrigger",
    "n8n-nodes-base.evaluationTrigger",
    "@n8n/n8n-nodes-langchain.manualChatTrigger",
];

/// Whether a node type can start an active workflow (a trigger, poller or webhook).
pub fn is_trigger_type(node_type: &str) -> bool {
    STARTERS.contains(&node_type)
        || (node_type.ends_with("Trigger") && !NOT_STARTERS.contains(&node_type))
}

/// Whether a node type is a webhook-style entry point (its runs have mode `webhook`).
pub fn is_webhook_type(node_type: &str) -> bool {
    matches!(
        node_type,
        "n8n-nodes-base.webhook"
            | "n8n-nodes-base.formTrigger"
            | "@n8n/n8n-nodes-langchain.chatTrigger"
    )
}

/// How many enabled nodes of a node list can start the workflow.
pub fn count_triggers(nodes: &Value) -> u32 {
    node_list(nodes)
        .filter(|n| n.get("disabled") != Some(&Value::Bool(true)))
        .filter(|n| {
            n.get("type")
                .and_then(Value::as_str)
                .is_some_and(is_trigger_type)
        })
        .count() as u32
}

/// The node objects of a `nodes` array (anything else yields nothing).
pub fn node_list(nodes: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    nodes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The static data after activation, when a Schedule Trigger changes it: each
/// enabled one keeps its schedule under `node:<name>`, and sets `recurrenceRules`
/// to `[]` there when absent. None when nothing changes.
pub fn schedule_static_data(nodes: &Value, static_data: &Value) -> Option<Value> {
    let mut data = static_data.as_object().cloned().unwrap_or_default();
    let mut changed = false;
    let schedules = node_list(nodes)
        .filter(|n| n.get("disabled") != Some(&Value::Bool(true)))
        .filter(|n| n.get("type").and_then(Value::as_str) == Some(SCHEDULE_TRIGGER))
        .filter_map(|n| n.get("name").and_then(Value::as_str));
    for name in schedules {
        let slot = data
            .entry(format!("node:{name}"))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(node_data) = slot
            && !node_data.contains_key("recurrenceRules")
        {
            node_data.insert("recurrenceRules".into(), Value::Array(Vec::new()));
            changed = true;
        }
    }
    changed.then_some(Value::Object(data))
}

const SCHEDULE_TRIGGER: &str = "n8n-nodes-base.scheduleTrigger";

/// Adds the settings defaults n8n's validator fills in when they are absent.
pub fn with_settings_defaults(settings: &Value) -> Map<String, Value> {
    let mut map = settings.as_object().cloned().unwrap_or_default();
    map.entry("callerPolicy")
        .or_insert_with(|| Value::String("workflowsFromSameOwner".into()));
    map.entry("availableInMCP").or_insert(Value::Bool(false));
    map
}

/// Settings of an update: the stored ones overlaid with the new ones (after
/// defaults), which is how n8n merges them.
pub fn merged_settings(old: &RawValue, new: &Value) -> Json {
    let mut merged: Map<String, Value> = serde_json::from_str(old.get()).unwrap_or_default();
    merged.extend(with_settings_defaults(new));
    to_json(&Value::Object(merged))
}

/// The message n8n gives when activating a workflow that cannot start.
pub fn no_trigger_message(name: &str, id: &str) -> String {
    format!(
        "Workflow \"{name}\" (ID: {id}) has no node to start the workflow - at least one trigger, poller or webhook node is required"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triggers_as_n8n_counts_them() {
        // Checked against a real n8n: these can activate ...
        for t in [
            "n8n-nodes-base.webhook",
            "n8n-nodes-base.scheduleTrigger",
            "n8n-nodes-base.cron",
            "n8n-nodes-base.interval",
            "n8n-nodes-base.formTrigger",
            "n8n-nodes-base.slackTrigger",
            "n8n-nodes-base.gmailTrigger",
            "@n8n/n8n-nodes-langchain.chatTrigger",
        ] {
            assert!(is_trigger_type(t), "{t}");
        }
        // ... and these cannot.
        for t in [
            "n8n-nodes-base.manualTrigger",
            "n8n-nodes-base.executeWorkflowTrigger",
            "n8n-nodes-base.errorTrigger",
            "n8n-nodes-base.set",
        ] {
            assert!(!is_trigger_type(t), "{t}");
        }
        let nodes = json!([
            {"type": "n8n-nodes-base.webhook"},
            {"type": "n8n-nodes-base.scheduleTrigger", "disabled": true},
            {"type": "n8n-nodes-base.code"}
        ]);
        assert_eq!(count_triggers(&nodes), 1);
    }

    #[test]
    fn schedule_triggers_set_up_their_static_data_as_n8n_does() {
        let schedule = |name: &str| json!({"name": name, "type": SCHEDULE_TRIGGER});
        let nodes = json!([
            schedule("S1"),
            schedule("S2"),
            {"name": "S3", "type": SCHEDULE_TRIGGER, "disabled": true},
            {"name": "Hook", "type": "n8n-nodes-base.webhook"}
        ]);
        assert_eq!(
            schedule_static_data(&nodes, &Value::Null),
            Some(json!({"node:S1": {"recurrenceRules": []}, "node:S2": {"recurrenceRules": []}}))
        );
        let kept = json!({"node:S1": {"recurrenceRules": [3], "x": 1}, "global": {"a": 1}});
        assert_eq!(schedule_static_data(&json!([schedule("S1")]), &kept), None);
        assert_eq!(
            schedule_static_data(
                &json!([{"name": "Hook", "type": "n8n-nodes-base.webhook"}]),
                &Value::Null
            ),
            None
        );
    }

    #[test]
    fn settings_defaults_and_merge() {
        let s = with_settings_defaults(&json!({"executionOrder": "v1", "callerPolicy": "any"}));
        assert_eq!(s["callerPolicy"], "any");
        assert_eq!(s["availableInMCP"], false);
        let old = to_json(&json!({"timezone": "UTC", "callerPolicy": "any"}));
        let merged = super::super::json::parse(&merged_settings(&old, &json!({})));
        assert_eq!(
            merged,
            json!({"timezone": "UTC", "callerPolicy": "workflowsFromSameOwner", "availableInMCP": false})
        );
    }
}
