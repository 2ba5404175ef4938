//! `n8nops demo`: three simulated instances (development, staging, production) with
//! realistic workflows and some drift between them, registered as environments in a
//! throw-away data dir and synced; then the TUI on them, or with `--print` a summary.

use super::args::DemoArgs;
use super::output::table;
use crate::config::Config;
use crate::domain::environment::EnvClass;
use crate::domain::matrix::{self, Cell, Entry};
use crate::service::{
    BackupRequest, DriftCheckRequest, EnvAdd, LocalOps, Ops, Secret, Settings, SyncRequest,
    WorkflowQuery, follow_job,
};
use crate::sim::{self, SimOptions};
use crate::store::{SecretBox, Store};
use crate::tui::TuiOptions;
use anyhow::{Context as _, Result, bail};
use std::sync::Arc;

/// Opens the TUI on the fleet, or with `--print` (or `--json`) prints it and exits.
pub async fn run(json: bool, verbose: u8, readonly: bool, args: DemoArgs) -> Result<()> {
    // Settled first, so a bad theme fails before anything starts.
    let tui = if args.print || json {
        None
    } else {
        super::require_terminal("`n8nops demo --print` prints the fleet instead")?;
        Some(TuiOptions::from_config(&Config::default(), readonly)?)
    };
    let data_dir = std::env::temp_dir().join(format!("n8nops-demo-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    super::logging::init(&data_dir.join("n8nops.log"), verbose, "info");
    let result = demo(json, tui, &data_dir, args).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

async fn demo(
    json: bool,
    tui: Option<TuiOptions>,
    data_dir: &std::path::Path,
    args: DemoArgs,
) -> Result<()> {
    let fleet = match &args.seed_from {
        Some(dir) => {
            let report = sim::load_seed_dir(dir)?;
            if !json {
                eprintln!(
                    "{} workflows from {} ({} skipped)",
                    report.workflows.len(),
                    dir.display(),
                    report.rejected.len()
                );
            }
            sim::generator::fleet_from(report.workflows, 7)
        }
        None => sim::generator::generate_fleet(7, args.workflows),
    };
    let instances = [
        ("development", EnvClass::Development, fleet.development),
        ("staging", EnvClass::Staging, fleet.staging),
        ("production", EnvClass::Production, fleet.production),
    ];

    let store = Store::open_sqlite(
        &data_dir.join("n8nops.db"),
        SecretBox::load_or_create(&data_dir.join("master.key"))?.0,
    )
    .await?;
    let mut settings = Settings {
        actor: "demo".into(),
        ..Settings::from_config(&Default::default())
    };
    settings.git.path = Some(data_dir.join("canonical.git"));
    let ops = LocalOps::new(store, settings).await?;
    let mut sims = Vec::new();
    for (i, (name, class, workflows)) in instances.into_iter().enumerate() {
        let key = format!("demo-{name}-key");
        let handle = sim::start(SimOptions {
            api_key: key.clone(),
            seed: 100 + i as u64,
            workflows,
            seed_executions: 300,
            executions_per_minute: 120,
            ..SimOptions::default()
        })
        .await?;
        ops.env_add(EnvAdd {
            name: name.into(),
            url: handle.url.clone(),
            class,
            api_key: Secret::new(key),
            git_repo: None,
            git_branch: None,
        })
        .await?;
        sims.push(handle);
    }

    if let Some(options) = tui {
        // The sync runs as a job the TUI shows as it goes; then a backup gives every
        // environment a canonical state and production a hand change, so incidents
        // arrive while you look.
        let started = ops.sync(SyncRequest::default()).await?;
        let readonly = options.readonly;
        let staging = (!readonly).then(|| {
            let ops = ops.clone();
            let (url, key) = (sims[2].url.clone(), sims[2].api_key.clone());
            tokio::spawn(async move {
                if let Err(e) = stage_incidents(&ops, &started.job_id, &url, &key).await {
                    tracing::warn!(error = %e, "demo: the production incidents were not staged");
                }
            })
        });
        let schedules = super::spawn_schedules(&ops, readonly);
        let result = crate::tui::run(Arc::new(ops), options).await;
        for task in schedules.into_iter().chain(staging) {
            task.abort();
        }
        for handle in sims {
            handle.shutdown().await;
        }
        return result;
    }

    let events = ops.subscribe();
    let started = ops.sync(SyncRequest::default()).await?;
    let job = follow_job(&ops, events, &started.job_id, |_| {}).await?;
    if let Some(error) = job.error {
        bail!("demo sync failed: {error}");
    }
    let envs = ops.env_list().await?;
    let workflows = ops.workflows_list(WorkflowQuery::default()).await?;
    if json {
        return super::output::json(
            &serde_json::json!({ "environments": envs, "workflows": workflows }),
        );
    }

    println!(
        "Demo fleet: three simulated n8n instances, synced into a throw-away store ({})\n",
        data_dir.display()
    );
    let rows = envs
        .iter()
        .map(|e| {
            vec![
                e.name.clone(),
                e.class.to_string(),
                e.url.clone(),
                e.counts.workflows.to_string(),
                e.counts.active.to_string(),
                e.counts.credentials.to_string(),
                e.counts.executions.to_string(),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &[
            "ENV",
            "CLASS",
            "URL",
            "WORKFLOWS",
            "ACTIVE",
            "CREDENTIALS",
            "EXECUTIONS",
        ],
        &rows,
    );

    // A first look at the matrix: workflows by name, and where they differ.
    let env_names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
    let matrix = matrix::build(
        &env_names,
        workflows.iter().map(|w| Entry {
            env: &w.env,
            name: &w.name,
            id: &w.id,
            fingerprint: &w.fingerprint,
            active: w.active,
        }),
    );
    let total = matrix.len();
    let rows: Vec<Vec<String>> = matrix
        .into_iter()
        .filter(|r| r.differs() || r.is_missing_somewhere())
        .map(|r| {
            let missing_somewhere = r.is_missing_somewhere();
            let differs = r.differs();
            std::iter::once(r.name)
                .chain(r.cells.into_iter().map(|c| match c {
                    Cell::Missing => "missing".into(),
                    Cell::Present(p) if differs => {
                        format!("differs {}", &p.fingerprint[..8.min(p.fingerprint.len())])
                    }
                    Cell::Present(_) if missing_somewhere => "present".into(),
                    Cell::Present(_) => "same".into(),
                }))
                .collect()
        })
        .collect();
    println!(
        "\n{total} workflows in all; {} are missing somewhere or differ:\n",
        rows.len()
    );
    let mut headers = vec!["WORKFLOW"];
    headers.extend(env_names.iter().copied());
    table(&headers, &rows);
    println!("\n`n8nops demo` without --print opens the TUI on this fleet.");
    for handle in sims {
        handle.shutdown().await;
    }
    Ok(())
}

/// After the sync `sync_job`: a backup (every environment's canonical state), then two
/// changes made by hand through its API (a workflow's connections removed: HIGH risk,
/// so a critical incident; another renamed), then a drift check, which raises them.
async fn stage_incidents(ops: &LocalOps, sync_job: &str, url: &str, key: &str) -> Result<()> {
    use crate::n8n::{ClientOptions, N8nClient, WorkflowFilter};
    let follow = |job: String| async move {
        let job = follow_job(ops, ops.subscribe(), &job, |_| {}).await?;
        match job.error {
            Some(e) => bail!("{}: {e}", job.title),
            None => Ok(()),
        }
    };
    follow(sync_job.to_owned()).await?;
    // Every environment, so the same workflow has one canonical id everywhere.
    let backup = ops.backup(BackupRequest::default()).await?;
    follow(backup.job_id).await?;

    let client = N8nClient::new("production", url, key, ClientOptions::default())?;
    let mut live = client.all_workflows(&WorkflowFilter::default()).await?;
    live.sort_by(|a, b| a.name.cmp(&b.name));
    let connected = live.iter().find(|w| {
        serde_json::from_str::<serde_json::Value>(w.raw.get())
            .is_ok_and(|v| v["connections"].as_object().is_some_and(|c| !c.is_empty()))
    });
    if let Some(w) = connected {
        let mut body: serde_json::Value = serde_json::from_str(w.raw.get())?;
        body["connections"] = serde_json::json!({});
        client.update_workflow(&w.id, &body).await?;
    }
    if let Some(w) = live
        .iter()
        .rev()
        .find(|w| Some(&w.id) != connected.map(|c| &c.id))
    {
        let mut body: serde_json::Value = serde_json::from_str(w.raw.get())?;
        body["name"] = serde_json::json!(format!("{} (hotfix)", w.name));
        client.update_workflow(&w.id, &body).await?;
    }
    let check = ops
        .drift_check(DriftCheckRequest {
            envs: vec!["production".into()],
            fetch: true,
        })
        .await?;
    follow(check.job_id).await
}
