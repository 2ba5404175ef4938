//! Starting, driving and stopping a simulated instance.

use super::activity;
use super::error::{ApiError, SimError};
use super::executions::Status;
use super::faults::{FaultState, Faults};
use super::json::{Ts, parse};
use super::routes;
use super::seed;
use super::store::Store;
use super::users::SimUser;
use super::workflows::View;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to start a simulated instance. `SimOptions::default()` is an empty
/// 1.123.0 instance with key `n8nops-sim-key` on an ephemeral port.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The `X-N8N-API-KEY` it accepts.
    pub api_key: String,
    /// The n8n version it reports (in the editor page).
    pub version: String,
    /// Seeds ids and execution traffic; the same seed gives the same instance.
    pub seed: u64,
    /// Workflows to create at start: bodies or exports (cut down as when seeding,
    /// with `active` and `tags` applied). One n8n would refuse fails the start.
    pub workflows: Vec<Value>,
    /// Past executions to record at start, spread over the last day.
    pub seed_executions: usize,
    /// New executions a minute from a background task; 0 for none.
    pub executions_per_minute: u32,
    /// The most executions kept; the oldest are dropped first.
    pub max_executions: usize,
    /// Faults in force from the start.
    pub faults: Faults,
    /// Users besides the seeded owner.
    pub users: Vec<SimUser>,
    /// A fixed port on 127.0.0.1; `None` picks a free one.
    pub port: Option<u16>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            api_key: "n8nops-sim-key".into(),
            version: "1.123.0".into(),
            seed: 1,
            workflows: Vec::new(),
            seed_executions: 0,
            executions_per_minute: 0,
            max_executions: 10_000,
            faults: Faults::none(),
            users: Vec::new(),
            port: None,
        }
    }
}

/// The state one server shares between its handlers, its background task and its handle.
pub struct Sim {
    store: RwLock<Store>,
    pub(crate) faults: FaultState,
    pub(crate) api_key: String,
    pub(crate) version: String,
    pub(crate) requests: AtomicU64,
}

impl Sim {
    /// A simulated instance with its seed workflows and executions in place.
    /// The seed workflows are consumed one by one, so their trees are freed as
    /// the (much smaller) stored form is built.
    pub fn new(opts: &mut SimOptions) -> Result<Sim, SimError> {
        let mut store = Store::new(opts.seed, &opts.users, opts.max_executions);
        for (index, export) in std::mem::take(&mut opts.workflows).into_iter().enumerate() {
            seed_one(&mut store, index, &export)?;
        }
        activity::seed_past(&mut store, opts.seed_executions);
        Ok(Sim {
            store: RwLock::new(store),
            faults: FaultState::new(opts.faults.clone()),
            api_key: opts.api_key.clone(),
            version: opts.version.clone(),
            requests: AtomicU64::new(0),
        })
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Creates one seed workflow as a user would: create, tag, activate.
fn seed_one(store: &mut Store, index: usize, export: &Value) -> Result<(), SimError> {
    let body = crate::domain::writable::writable_body(export);
    let (active, tags) = seed::extras(export);
    store.adopt_credentials(&body);
    let refused = |message: String| SimError::Seed {
        index,
        name: export
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        message,
    };
    let id = store
        .create_workflow(&body, None)
        .map_err(|e| refused(e.message))?
        .id
        .clone();
    if !tags.is_empty() {
        let mut ids = Vec::new();
        for name in &tags {
            if let Some(tag_id) = store.tags.ensure(name, &mut store.rng) {
                ids.push(tag_id);
            }
        }
        store
            .set_workflow_tags(&id, ids)
            .map_err(|e| refused(e.message))?;
    }
    if active {
        // Like a person activating after import: without a trigger it stays inactive.
        let _ = store.activate(&id);
    }
    Ok(())
}

/// A running simulated instance. Dropping it stops the server too; `shutdown`
/// also waits for it.
pub struct SimHandle {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub api_key: String,
    pub port: u16,
    sim: Arc<Sim>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts a simulated instance on 127.0.0.1 (port from the options, else a free one).
pub async fn start(mut opts: SimOptions) -> Result<SimHandle, SimError> {
    let sim = Arc::new(Sim::new(&mut opts)?);
    let addr = format!("127.0.0.1:{}", opts.port.unwrap_or(0));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| SimError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?
        .port();
    let (stop, stopped) = watch::channel(false);
    let app = routes::router(sim.clone());
    let mut server_stop = stopped.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.changed().await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!("simulated n8n on port {port} stopped: {e}");
        }
    });
    let mut tasks = vec![server];
    if opts.executions_per_minute > 0 {
        tasks.push(tokio::spawn(activity::run(
            sim.clone(),
            opts.executions_per_minute,
            stopped,
        )));
    }
    tracing::debug!(
        port,
        workflows = sim.read().workflow_count(),
        "simulated n8n started"
    );
    Ok(SimHandle {
        url: format!("http://127.0.0.1:{port}"),
        api_key: opts.api_key,
        port,
        sim,
        stop,
        tasks,
    })
}

/// Runs a simulated instance on `port` until Ctrl-C (`n8nops sim serve`).
pub async fn serve(port: u16, opts: SimOptions) -> Result<(), SimError> {
    let handle = start(SimOptions {
        port: Some(port),
        ..opts
    })
    .await?;
    tokio::signal::ctrl_c().await.map_err(SimError::Serve)?;
    handle.shutdown().await;
    Ok(())
}

impl SimHandle {
    /// Replaces the faults in force (their counters start again).
    pub fn set_faults(&self, faults: impl Into<Faults>) {
        self.sim.faults.set(faults.into());
    }

    pub fn clear_faults(&self) {
        self.sim.faults.set(Faults::none());
    }

    /// Requests received so far, faulted ones included.
    pub fn request_count(&self) -> u64 {
        self.sim.requests.load(Ordering::Relaxed)
    }

    pub fn workflow_count(&self) -> usize {
        self.sim.read().workflow_count()
    }

    pub fn execution_count(&self) -> usize {
        self.sim.read().executions.len()
    }

    /// Credentials on the instance (those seeded workflows refer to, plus created ones).
    pub fn credential_count(&self) -> usize {
        self.sim.read().credentials.len()
    }

    /// Workflow ids in the order the API lists them.
    pub fn workflow_ids(&self) -> Vec<String> {
        self.sim
            .read()
            .workflows()
            .iter()
            .map(|w| w.id.clone())
            .collect()
    }

    /// Id of the first workflow with this name.
    pub fn workflow_id_by_name(&self, name: &str) -> Option<String> {
        self.sim
            .read()
            .workflows()
            .iter()
            .find(|w| w.name == name)
            .map(|w| w.id.clone())
    }

    /// A workflow as `GET /workflows/{id}` returns it.
    pub fn workflow(&self, id: &str) -> Option<Value> {
        let store = self.sim.read();
        let w = store.workflow(id)?;
        serde_json::to_value(w.view(
            View::Get {
                exclude_pinned_data: false,
            },
            &store.render_context(),
        ))
        .ok()
    }

    /// Creates a workflow as `POST /workflows` would; returns its id.
    pub fn create_workflow(&self, body: &Value) -> Result<String, SimError> {
        Ok(self.sim.write().create_workflow(body, None)?.id.clone())
    }

    /// Edits a workflow as someone in the editor would: `edit` changes its
    /// writable body (`name`, `nodes`, `connections`, `settings`, `staticData`),
    /// which is then saved like a `PUT` (new `versionId`, validation included).
    pub fn edit_workflow(&self, id: &str, edit: impl FnOnce(&mut Value)) -> Result<(), SimError> {
        let mut store = self.sim.write();
        let w = store.workflow(id).ok_or_else(ApiError::not_found)?;
        let mut body = Map::new();
        body.insert("name".into(), Value::String(w.name.clone()));
        body.insert("nodes".into(), parse(&w.nodes));
        body.insert("connections".into(), parse(&w.connections));
        body.insert("settings".into(), parse(&w.settings));
        body.insert("staticData".into(), parse(&w.static_data));
        let mut body = Value::Object(body);
        edit(&mut body);
        store.update_workflow(id, &body, None)?;
        Ok(())
    }

    pub fn delete_workflow(&self, id: &str) -> bool {
        self.sim.write().delete_workflow(id).is_some()
    }

    /// Activates or deactivates, with the API's rules (no trigger, no activation).
    pub fn set_active(&self, id: &str, active: bool) -> Result<(), SimError> {
        let mut store = self.sim.write();
        if active {
            store.activate(id)?;
        } else {
            store.deactivate(id)?;
        }
        Ok(())
    }

    /// Records an execution of a workflow with a given status, starting now.
    pub fn add_execution(&self, workflow_id: &str, status: Status) -> Result<u64, SimError> {
        Ok(self
            .sim
            .write()
            .run_workflow(workflow_id, Ts::now(), Some(status))?)
    }

    /// Starts a run of a workflow now that stays `running` (listed only with
    /// `status=running`, like n8n) until [`SimHandle::finish_execution`] ends it.
    pub fn start_execution(&self, workflow_id: &str) -> Result<u64, SimError> {
        Ok(self.sim.write().hold_running(workflow_id)?)
    }

    /// Ends a running or waiting execution now with this status.
    pub fn finish_execution(&self, id: u64, status: Status) -> Result<(), SimError> {
        Ok(self.sim.write().finish_execution(id, status)?)
    }

    /// Records `count` executions now, as the background traffic would.
    pub fn run_executions(&self, count: usize) -> Vec<u64> {
        let mut store = self.sim.write();
        (0..count)
            .filter_map(|_| {
                let id = store.pick_workflow_to_run()?;
                store.run_workflow(&id, Ts::now(), None).ok()
            })
            .collect()
    }

    /// Stops the server and the background task, and waits for them (briefly:
    /// connections a client keeps open are not waited for).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
