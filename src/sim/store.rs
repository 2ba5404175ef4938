//! The in-memory state of one simulated instance and every operation on it.
//!
//! Plain data behind one lock (held by `server::Sim`): workflows in insertion
//! order with an index by id, tags, credentials, users and the execution log.
//! Operations return `ApiError`s with n8n's statuses and messages, so the HTTP
//! layer stays a thin translation.

use super::credentials::Credentials;
use super::error::ApiError;
use super::executions::{self, ExecFilter, Execution, ExecutionLog, Mode, Snapshot, Status};
use super::json::{self, Json, RawObject, Ts, null, raw_of, to_json};
use super::rng::Rng;
use super::runs::{self, RunProfile};
use super::tags::Tags;
use super::users::{SimUser, Users};
use super::validate;
use super::workflows::{self, RenderContext, View, Workflow};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What `POST /workflows/{id}/activate|deactivate` answers: the workflow as n8n
/// shows it there (read before the saves that follow the change) and in which shape.
#[derive(Debug)]
pub struct Toggled {
    pub shown: Workflow,
    pub view: View,
}

/// The parts of a body as a write stores them.
struct Written {
    nodes: Json,
    connections: Json,
    /// `None` when the body has no `staticData` (an update keeps the old one).
    static_data: Option<Json>,
    triggers: u32,
    profile: Arc<RunProfile>,
}

/// The members of a write kept as text.
#[derive(serde::Deserialize)]
struct RawBody {
    #[serde(default)]
    nodes: Vec<RawObject>,
    connections: Option<Box<RawValue>>,
    #[serde(rename = "staticData")]
    static_data: Option<Box<RawValue>>,
}

/// Filters of `GET /workflows`.
#[derive(Clone, Debug, Default)]
pub struct WorkflowFilter {
    pub active: Option<bool>,
    pub name: Option<String>,
    /// Tag names, all of which a workflow must carry.
    pub tags: Option<Vec<String>>,
    pub project_id: Option<String>,
}

pub struct Store {
    /// Ids, version ids and node ids.
    pub rng: Rng,
    /// Everything about executions (a separate stream, so API traffic does not
    /// change which executions a seed produces).
    pub exec_rng: Rng,
    workflows: Vec<Workflow>,
    index: HashMap<String, usize>,
    pub tags: Tags,
    pub credentials: Credentials,
    pub users: Users,
    pub executions: ExecutionLog,
}

impl Store {
    pub fn new(seed: u64, users: &[SimUser], max_executions: usize) -> Self {
        let mut rng = Rng::new(seed);
        let exec_rng = rng.fork();
        let users = Users::new(users, &mut rng);
        Store {
            rng,
            exec_rng,
            workflows: Vec::new(),
            index: HashMap::new(),
            tags: Tags::default(),
            credentials: Credentials::default(),
            users,
            executions: ExecutionLog::new(max_executions),
        }
    }

    pub fn render_context(&self) -> RenderContext<'_> {
        RenderContext {
            tags: &self.tags,
            owner: &self.users.owner,
        }
    }

    pub fn workflow_count(&self) -> usize {
        self.workflows.len()
    }

    pub fn workflows(&self) -> &[Workflow] {
        &self.workflows
    }

    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.index.get(id).and_then(|&i| self.workflows.get(i))
    }

    fn workflow_mut(&mut self, id: &str) -> Result<&mut Workflow, ApiError> {
        let i = *self.index.get(id).ok_or_else(ApiError::not_found)?;
        self.workflows.get_mut(i).ok_or_else(ApiError::not_found)
    }

    fn new_workflow_id(&mut self) -> String {
        loop {
            let id = self.rng.nanoid();
            if !self.index.contains_key(&id) {
                return id;
            }
        }
    }

    /// The stored parts of a write: node ids added and credential references
    /// repaired as n8n does. When the body's text is given (writes over HTTP),
    /// everything else is kept exactly as sent: numbers digit for digit and key
    /// order, which a round trip through `serde_json::Value` would not keep.
    fn prepare(&mut self, body: &Value, text: Option<&[u8]>) -> Result<Written, ApiError> {
        let original = body
            .get("nodes")
            .cloned()
            .unwrap_or_else(|| Value::Array(Vec::new()));
        let mut nodes = original.clone();
        self.credentials.repair_references(&mut nodes)?;
        let connections = body.get("connections").unwrap_or(&Value::Null);
        let triggers = workflows::count_triggers(&nodes);
        let profile = Arc::new(RunProfile::of(&nodes, connections));
        let new_ids: Vec<Option<String>> = workflows::node_list(&nodes)
            .map(|n| {
                let has_id = n
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                (!has_id).then(|| self.rng.uuid())
            })
            .collect();
        let raw = text.and_then(|t| serde_json::from_slice::<RawBody>(t).ok());
        let (nodes_json, connections_json, static_data) = match raw {
            Some(raw) if raw.nodes.len() == new_ids.len() => {
                let mut raw_nodes = raw.nodes;
                for (i, node) in raw_nodes.iter_mut().enumerate() {
                    let repaired = nodes.get(i).and_then(|n| n.get("credentials"));
                    if repaired != original.get(i).and_then(|n| n.get("credentials")) {
                        node.set("credentials", raw_of(&repaired));
                    }
                    if let Some(Some(id)) = new_ids.get(i) {
                        node.set("id", raw_of(id));
                    }
                }
                let stored = |raw: Option<Box<RawValue>>| raw.map(Json::from).unwrap_or_else(null);
                let static_data = body.get("staticData").map(|_| stored(raw.static_data));
                (
                    Json::from(raw_of(&raw_nodes)),
                    stored(raw.connections),
                    static_data,
                )
            }
            _ => {
                if let Some(items) = nodes.as_array_mut() {
                    let objects = items.iter_mut().filter_map(Value::as_object_mut);
                    for (node, id) in objects.zip(&new_ids) {
                        if let Some(id) = id {
                            node.insert("id".into(), Value::String(id.clone()));
                        }
                    }
                }
                (
                    to_json(&nodes),
                    to_json(connections),
                    body.get("staticData").map(to_json),
                )
            }
        };
        Ok(Written {
            nodes: nodes_json,
            connections: connections_json,
            static_data,
            triggers,
            profile,
        })
    }

    /// `POST /workflows`. `text` is the body as sent, when there is one.
    pub fn create_workflow(
        &mut self,
        body: &Value,
        text: Option<&[u8]>,
    ) -> Result<&Workflow, ApiError> {
        validate::workflow_body(body).map_err(ApiError::bad_request)?;
        let written = self.prepare(body, text)?;
        let now = Ts::now();
        let settings =
            workflows::with_settings_defaults(body.get("settings").unwrap_or(&Value::Null));
        let workflow = Workflow {
            id: self.new_workflow_id(),
            name: body
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            active: false,
            triggers: written.triggers,
            profile: written.profile,
            nodes: written.nodes,
            connections: written.connections,
            settings: to_json(&Value::Object(settings)),
            static_data: written.static_data.unwrap_or_else(null),
            version_id: self.rng.uuid(),
            active_version: None,
            version_counter: 1,
            trigger_count: 0,
            created_at: now,
            updated_at: now,
            shared_at: now,
            tags: Vec::new(),
        };
        self.index.insert(workflow.id.clone(), self.workflows.len());
        self.workflows.push(workflow);
        Ok(&self.workflows[self.workflows.len() - 1])
    }

    /// `PUT /workflows/{id}`. Every update gets a new `versionId`. An active
    /// workflow is republished, or, when the update leaves it without a trigger,
    /// deactivated and answered with n8n's 400 (the update itself is kept).
    pub fn update_workflow(
        &mut self,
        id: &str,
        body: &Value,
        text: Option<&[u8]>,
    ) -> Result<&Workflow, ApiError> {
        validate::workflow_body(body).map_err(ApiError::bad_request)?;
        if !self.index.contains_key(id) {
            return Err(ApiError::not_found());
        }
        let written = self.prepare(body, text)?;
        let version_id = self.rng.uuid();
        let now = Ts::now();
        let w = self.workflow_mut(id)?;
        w.name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        w.triggers = written.triggers;
        w.profile = written.profile;
        w.nodes = written.nodes;
        w.connections = written.connections;
        w.settings =
            workflows::merged_settings(&w.settings, body.get("settings").unwrap_or(&Value::Null));
        if let Some(static_data) = written.static_data {
            w.static_data = static_data;
        }
        w.version_id = version_id;
        w.version_counter += 1;
        w.updated_at = now;
        if w.active {
            if w.triggers == 0 {
                w.unpublish();
                return Err(ApiError::bad_request(workflows::no_trigger_message(
                    &w.name, &w.id,
                )));
            }
            w.publish(now);
        }
        Ok(w)
    }

    /// `DELETE /workflows/{id}`: the workflow as it was. Its executions go with it.
    pub fn delete_workflow(&mut self, id: &str) -> Option<Workflow> {
        let i = self.index.remove(id)?;
        let removed = self.workflows.remove(i);
        self.executions.retain(|e| e.workflow_id() != id);
        for (j, w) in self.workflows.iter().enumerate().skip(i) {
            self.index.insert(w.id.clone(), j);
        }
        Some(removed)
    }

    /// `POST /workflows/{id}/activate`. Activating an active workflow changes nothing.
    pub fn activate(&mut self, id: &str) -> Result<Toggled, ApiError> {
        let w = self.workflow_mut(id)?;
        if w.active {
            return Ok(Toggled {
                shown: w.clone(),
                view: View::Loaded,
            });
        }
        let triggers = w.triggers;
        if triggers == 0 {
            return Err(ApiError::bad_request(workflows::no_trigger_message(
                &w.name, &w.id,
            )));
        }
        w.publish(Ts::now());
        w.version_counter += 1;
        // n8n answers with the workflow as it published it; the trigger count, and the
        // static data Schedule Triggers set up, are saved after: one save each.
        let shown = w.clone();
        w.trigger_count = triggers;
        w.version_counter += 1;
        let static_data = json::parse(&w.static_data);
        if let Some(data) = workflows::schedule_static_data(&json::parse(&w.nodes), &static_data) {
            w.static_data = to_json(&data);
            w.version_counter += 1;
        }
        Ok(Toggled {
            shown,
            view: View::Activate,
        })
    }

    /// `POST /workflows/{id}/deactivate`. Deactivating an inactive workflow changes nothing.
    pub fn deactivate(&mut self, id: &str) -> Result<Toggled, ApiError> {
        let w = self.workflow_mut(id)?;
        if !w.active {
            return Ok(Toggled {
                shown: w.clone(),
                view: View::Loaded,
            });
        }
        w.unpublish();
        // n8n answers before the save that counts the deactivation.
        let shown = w.clone();
        w.version_counter += 1;
        Ok(Toggled {
            shown,
            view: View::Loaded,
        })
    }

    /// `PUT /workflows/{id}/tags`.
    pub fn set_workflow_tags(
        &mut self,
        id: &str,
        tag_ids: Vec<String>,
    ) -> Result<&Workflow, ApiError> {
        if !self.index.contains_key(id) {
            return Err(ApiError::not_found());
        }
        if tag_ids.iter().any(|t| self.tags.get(t).is_none()) {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "Some tags not found",
            ));
        }
        let mut unique = Vec::with_capacity(tag_ids.len());
        for t in tag_ids {
            if !unique.contains(&t) {
                unique.push(t);
            }
        }
        let w = self.workflow_mut(id)?;
        w.tags = unique;
        Ok(w)
    }

    /// Deletes a tag and unlinks it from every workflow.
    pub fn delete_tag(&mut self, id: &str) -> Option<super::tags::Tag> {
        let tag = self.tags.remove(id)?;
        for w in &mut self.workflows {
            w.tags.retain(|t| t != id);
        }
        Some(tag)
    }

    /// The workflows matching `GET /workflows` filters, in insertion order.
    pub fn filter_workflows(&self, filter: &WorkflowFilter) -> Vec<&Workflow> {
        if filter
            .project_id
            .as_deref()
            .is_some_and(|p| p != self.users.owner.project_id)
        {
            return Vec::new();
        }
        // n8n intersects the workflows of the named tags that exist; unknown
        // names are ignored, and if none exists nothing matches.
        let tag_ids: Option<Vec<&str>> = filter.tags.as_ref().map(|names| {
            names
                .iter()
                .filter_map(|n| self.tags.by_name(n))
                .map(|t| t.id.as_str())
                .collect()
        });
        let needle = filter.name.as_ref().map(|n| n.trim().to_lowercase());
        self.workflows
            .iter()
            .filter(|w| {
                filter
                    .active
                    .is_none_or(|a| w.active_version.is_some() == a)
            })
            .filter(|w| {
                needle
                    .as_deref()
                    .is_none_or(|n| w.name.to_lowercase().contains(n))
            })
            .filter(|w| match &tag_ids {
                None => true,
                Some(ids) => !ids.is_empty() && ids.iter().all(|id| w.tags.iter().any(|t| t == id)),
            })
            .collect()
    }

    // ---- executions ----

    /// Ends running and waiting executions that are due.
    pub fn settle_executions(&mut self, now: Ts) {
        let ended = self.executions.settle(now);
        self.executions.link_retries(&ended);
    }

    /// Records a run of workflow `id` starting at `at`.
    pub fn run_workflow(
        &mut self,
        id: &str,
        at: Ts,
        status: Option<Status>,
    ) -> Result<u64, ApiError> {
        let snapshot = Snapshot::of(self.workflow(id).ok_or_else(ApiError::not_found)?);
        let exec_id = self.executions.next_id();
        let mut e = executions::plan(exec_id, snapshot, &mut self.exec_rng, at, None, status);
        // A run that started long ago has ended by now.
        e.settle(Ts::now());
        self.executions.push(e);
        Ok(exec_id)
    }

    /// Records a run of workflow `id` starting now that stays running until
    /// [`Store::finish_execution`] ends it (a long run, for tests).
    pub fn hold_running(&mut self, id: &str) -> Result<u64, ApiError> {
        let snapshot = Snapshot::of(self.workflow(id).ok_or_else(ApiError::not_found)?);
        let exec_id = self.executions.next_id();
        let mut e = executions::plan(
            exec_id,
            snapshot,
            &mut self.exec_rng,
            Ts::now(),
            None,
            Some(Status::Running),
        );
        e.pending = None;
        self.executions.push(e);
        Ok(exec_id)
    }

    /// Ends running or waiting execution `id` now with `status`; a failed one gets
    /// a failing node and error like any other. 404 when it does not exist, 409
    /// when it has already ended.
    pub fn finish_execution(&mut self, id: u64, status: Status) -> Result<(), ApiError> {
        let e = self.executions.get(id).ok_or_else(ApiError::not_found)?;
        let failure = match status {
            Status::Error | Status::Crashed => {
                let profile = e.snapshot.profile.clone();
                runs::choose_failure(&profile, &mut self.exec_rng)
            }
            _ => None,
        };
        let ended = self
            .executions
            .finish(id, Ts::now(), status, failure)
            .ok_or_else(|| ApiError::conflict(format!("Execution {id} has already ended")))?;
        self.executions.link_retries(&[ended]);
        Ok(())
    }

    /// Picks a workflow for the next simulated run: mostly active ones, now and
    /// then an inactive one run by hand.
    pub fn pick_workflow_to_run(&mut self) -> Option<String> {
        if self.workflows.is_empty() {
            return None;
        }
        let active: Vec<usize> = (0..self.workflows.len())
            .filter(|&i| self.workflows[i].active)
            .collect();
        let i = if !active.is_empty() && self.exec_rng.chance(0.9) {
            active[self.exec_rng.index(active.len())]
        } else {
            self.exec_rng.index(self.workflows.len())
        };
        self.workflows.get(i).map(|w| w.id.clone())
    }

    /// `DELETE /executions/{id}`.
    pub fn delete_execution(&mut self, id: u64) -> Result<Execution, ApiError> {
        let e = self.executions.get(id).ok_or_else(ApiError::not_found)?;
        if e.status == Status::Running {
            return Err(ApiError::bad_request("Cannot delete a running execution"));
        }
        self.executions.remove(id).ok_or_else(ApiError::not_found)
    }

    /// `POST /executions/{id}/retry`: a new execution in `retry` mode of the same
    /// workflow version, running at first.
    pub fn retry_execution(&mut self, id: u64) -> Result<&Execution, ApiError> {
        let original = self.executions.get(id).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                format!("The execution with the ID \"{id}\" does not exist."),
            )
        })?;
        match original.status {
            Status::Success => {
                return Err(ApiError::bad_request(
                    "The execution succeeded, so it cannot be retried.",
                ));
            }
            Status::Running | Status::Waiting | Status::New => {
                return Err(ApiError::conflict(
                    "Execution is queued to run (not yet started) so it cannot be retried",
                ));
            }
            _ => {}
        }
        let snapshot = original.snapshot.clone();
        let new_id = self.executions.next_id();
        let mut e = executions::plan(
            new_id,
            snapshot,
            &mut self.exec_rng,
            Ts::now(),
            Some(Mode::Retry),
            Some(Status::Running),
        );
        e.retry_of = Some(id);
        self.executions.push(e);
        self.executions.get(new_id).ok_or_else(ApiError::not_found)
    }

    /// The page of `GET /executions` (newest first) and the id to continue from.
    pub fn execution_page(
        &self,
        filter: &ExecFilter,
        before: Option<u64>,
        limit: usize,
    ) -> (Vec<&Execution>, bool) {
        self.executions.page(filter, before, limit)
    }

    /// Credentials that seeded workflows refer to by id are made to exist.
    pub fn adopt_credentials(&mut self, body: &Value) {
        for node in workflows::node_list(body.get("nodes").unwrap_or(&Value::Null)) {
            let Some(creds) = node.get("credentials").and_then(Value::as_object) else {
                continue;
            };
            for (kind, reference) in creds {
                let id = reference
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty());
                let name = reference.get("name").and_then(Value::as_str);
                if let (Some(id), Some(name)) = (id, name)
                    && self.credentials.get(id).is_none()
                {
                    self.credentials.insert(id.to_owned(), name, kind);
                }
            }
        }
    }

    /// Names of the credential ids used by any workflow (for the audit).
    pub fn used_credential_ids(&self, only_active: bool) -> HashSet<String> {
        let mut used = HashSet::new();
        for w in self.workflows.iter().filter(|w| !only_active || w.active) {
            let nodes = super::json::parse(&w.nodes);
            for node in workflows::node_list(&nodes) {
                let Some(creds) = node.get("credentials").and_then(Value::as_object) else {
                    continue;
                };
                used.extend(
                    creds
                        .values()
                        .filter_map(|c| c.get("id")?.as_str().map(str::to_owned)),
                );
            }
        }
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(name: &str, trigger: bool) -> Value {
        let mut nodes = vec![
            json!({"name": "Set", "type": "n8n-nodes-base.set", "typeVersion": 3.4, "position": [200, 0], "parameters": {}}),
        ];
        if trigger {
            nodes.insert(0, json!({"name": "Hook", "type": "n8n-nodes-base.webhook", "typeVersion": 2, "position": [0, 0], "parameters": {"path": "x"}}));
        }
        json!({"name": name, "nodes": nodes, "connections": {}, "settings": {"executionOrder": "v1"}})
    }

    #[test]
    fn create_update_activate() {
        let mut s = Store::new(1, &[], 100);
        let id = s
            .create_workflow(&body("a", true), None)
            .unwrap()
            .id
            .clone();
        let w = s.workflow(&id).unwrap();
        assert!(!w.active);
        assert_eq!(w.version_counter, 1);
        let v1 = w.version_id.clone();
        let v2 = s
            .update_workflow(&id, &body("a", true), None)
            .unwrap()
            .version_id
            .clone();
        assert_ne!(v1, v2, "every PUT makes a new versionId");
        assert!(s.activate(&id).unwrap().shown.active);
        // Removing the trigger of an active workflow deactivates it with a 400.
        let e = s.update_workflow(&id, &body("a", false), None).unwrap_err();
        assert!(e.message.contains("has no node to start the workflow"));
        assert!(!s.workflow(&id).unwrap().active);
        assert_eq!(s.activate(&id).unwrap_err().status, 400);
        assert_eq!(s.activate("nope").unwrap_err().status, 404);
    }

    /// The answers and saves of (de)activation, as a real 1.123.0 gives them.
    #[test]
    fn activation_answers_before_its_saves_and_schedules_set_up_static_data() {
        let mut s = Store::new(1, &[], 10);
        let body = json!({"name": "s", "connections": {}, "settings": {}, "nodes": [
            {"name": "Hourly", "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": 1.2,
             "position": [0, 0], "parameters": {}}
        ]});
        let id = s.create_workflow(&body, None).unwrap().id.clone();
        let counters = |w: &Workflow| (w.active, w.version_counter, w.trigger_count);
        let on = s.activate(&id).unwrap();
        assert_eq!(on.view, View::Activate);
        assert_eq!(counters(&on.shown), (true, 2, 0));
        assert_eq!(json::parse(&on.shown.static_data), Value::Null);
        let w = s.workflow(&id).unwrap();
        assert_eq!(counters(w), (true, 4, 1));
        assert_eq!(
            json::parse(&w.static_data),
            json!({"node:Hourly": {"recurrenceRules": []}})
        );
        let again = s.activate(&id).unwrap();
        assert_eq!(
            (again.view, counters(&again.shown)),
            (View::Loaded, (true, 4, 1))
        );
        let off = s.deactivate(&id).unwrap();
        assert_eq!(
            (off.view, counters(&off.shown)),
            (View::Loaded, (false, 4, 1))
        );
        assert_eq!(counters(s.workflow(&id).unwrap()), (false, 5, 1));
        let again = s.deactivate(&id).unwrap();
        assert_eq!(
            (again.view, counters(&again.shown)),
            (View::Loaded, (false, 5, 1))
        );
        // The static data is set up already: one save fewer.
        assert_eq!(counters(&s.activate(&id).unwrap().shown), (true, 6, 1));
        assert_eq!(counters(s.workflow(&id).unwrap()), (true, 7, 1));
    }

    #[test]
    fn node_ids_are_added_where_missing_with_or_without_the_text() {
        let body = json!({"name": "n", "connections": {}, "settings": {},
            "nodes": [{"name": "a"}, {"name": "b", "id": "keep"}, {"name": "c", "id": ""}]});
        let text = serde_json::to_vec(&body).unwrap();
        let mut s = Store::new(1, &[], 10);
        for text in [None, Some(text.as_slice())] {
            let w = s.create_workflow(&body, text).unwrap();
            let nodes = crate::sim::json::parse(&w.nodes);
            assert_eq!(nodes[1]["id"], "keep");
            assert_eq!(nodes[0]["id"].as_str().map(str::len), Some(36));
            assert_eq!(nodes[2]["id"].as_str().map(str::len), Some(36));
        }
    }

    #[test]
    fn filters() {
        let mut s = Store::new(1, &[], 100);
        let a = s
            .create_workflow(&body("Billing sync", true), None)
            .unwrap()
            .id
            .clone();
        let b = s
            .create_workflow(&body("CRM import", true), None)
            .unwrap()
            .id
            .clone();
        let mut rng = Rng::new(5);
        let prod = s.tags.create("prod", &mut rng).unwrap().id.clone();
        let crm = s.tags.create("crm", &mut rng).unwrap().id.clone();
        s.set_workflow_tags(&a, vec![prod.clone()]).unwrap();
        s.set_workflow_tags(&b, vec![prod.clone(), crm.clone()])
            .unwrap();
        s.activate(&b).unwrap();
        let names = |f: WorkflowFilter| {
            s.filter_workflows(&f)
                .iter()
                .map(|w| w.name.clone())
                .collect::<Vec<_>>()
        };
        let tags = |t: &[&str]| Some(t.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            names(WorkflowFilter {
                tags: tags(&["prod"]),
                ..Default::default()
            }),
            ["Billing sync", "CRM import"]
        );
        assert_eq!(
            names(WorkflowFilter {
                tags: tags(&["prod", "crm"]),
                ..Default::default()
            }),
            ["CRM import"]
        );
        assert_eq!(
            names(WorkflowFilter {
                tags: tags(&["crm", "nonexistent"]),
                ..Default::default()
            }),
            ["CRM import"]
        );
        assert!(
            names(WorkflowFilter {
                tags: tags(&["nonexistent"]),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            names(WorkflowFilter {
                active: Some(true),
                ..Default::default()
            }),
            ["CRM import"]
        );
        assert_eq!(
            names(WorkflowFilter {
                name: Some(" billing ".into()),
                ..Default::default()
            }),
            ["Billing sync"]
        );
        assert!(
            names(WorkflowFilter {
                project_id: Some("other".into()),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            s.set_workflow_tags(&a, vec!["nope".into()])
                .unwrap_err()
                .message,
            "Some tags not found"
        );
    }

    #[test]
    fn retry_rules() {
        let mut s = Store::new(1, &[], 100);
        let id = s
            .create_workflow(&body("a", true), None)
            .unwrap()
            .id
            .clone();
        let ok = s
            .run_workflow(&id, Ts::now(), Some(Status::Success))
            .unwrap();
        let failed = s.run_workflow(&id, Ts::now(), Some(Status::Error)).unwrap();
        let running = s
            .run_workflow(&id, Ts::now(), Some(Status::Running))
            .unwrap();
        assert_eq!(s.retry_execution(ok).unwrap_err().status, 400);
        assert_eq!(s.retry_execution(running).unwrap_err().status, 409);
        assert_eq!(s.retry_execution(999).unwrap_err().status, 404);
        let retry = s.retry_execution(failed).unwrap();
        assert_eq!(
            (retry.retry_of, retry.mode, retry.status),
            (Some(failed), Mode::Retry, Status::Running)
        );
        assert_eq!(
            s.delete_execution(running).unwrap_err().message,
            "Cannot delete a running execution"
        );
        assert!(s.delete_execution(ok).is_ok());
    }
}
