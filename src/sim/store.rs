//! The in-memory state of one simulated instance and every operation on it.
//!
//! Plain data behind one lock (held by `server::Sim`): workflows in insertion
//! order with an index by id, tags, credentials, users and the execution log.
//! Operations return `ApiError`s with n8n's statuses and messages, so the HTTP
//! layer stays a thin translation.
//!
//! Here: the state, workflow writes, activation and tags. Beside it:
//! `write` (how a body is stored), `filter` (`GET /workflows` filters) and
//! `executions` (runs, retries, pages).

mod executions;
mod filter;
mod write;

pub use filter::WorkflowFilter;

use super::credentials::Credentials;
use super::error::ApiError;
use super::executions::ExecutionLog;
use super::json::{self, Ts, null, to_json};
use super::rng::Rng;
use super::tags::Tags;
use super::users::{SimUser, Users};
use super::validate;
use super::workflows::{self, RenderContext, View, Workflow};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What `POST /workflows/{id}/activate|deactivate` answers: the workflow as n8n
/// shows it there (read before the saves that follow the change) and in which shape.
#[derive(Debug)]
pub struct Toggled {
    pub shown: Workflow,
    pub view: View,
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
    use crate::sim::json;
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

    /// Creates a workflow from [`body`] and returns its id.
    pub(in crate::sim::store) fn create(s: &mut Store, name: &str) -> String {
        s.create_workflow(&body(name, true), None)
            .unwrap()
            .id
            .clone()
    }

    #[test]
    fn create_update_activate() {
        let mut s = Store::new(1, &[], 100);
        let id = create(&mut s, "a");
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
}
