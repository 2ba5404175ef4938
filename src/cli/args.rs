//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "n8nops",
    version,
    about = "Operate fleets of n8n instances from the terminal"
)]
pub struct Cli {
    /// Config file [env: N8NOPS_CONFIG] [default: the XDG config dir's n8nops/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data dir for the SQLite file, master key and log [env: N8NOPS_DATA_DIR] [default: the XDG data dir's n8nops/]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine output: JSON on stdout, errors on stderr
    #[arg(long, global = true)]
    pub json: bool,
    /// Hide and refuse every action that changes an instance or the store
    #[arg(long, global = true)]
    pub readonly: bool,
    /// More detail in the log file (-v debug, -vv trace); RUST_LOG also works
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage environments (connected n8n instances)
    #[command(subcommand)]
    Env(EnvCommand),
    /// Fetch environments' state into the store (all environments when none named)
    Sync(SyncArgs),
    /// Browse synced workflows
    #[command(subcommand, alias = "wf")]
    Workflows(WorkflowsCommand),
    /// Background jobs and their logs
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// The audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Operations the policy holds and deployments waiting for approval: list, approve, reject
    #[command(subcommand)]
    Approvals(super::approvals::ApprovalsCommand),
    /// Executions, polled live from the environments
    #[command(subcommand, alias = "exec")]
    Executions(super::executions::ExecutionsCommand),
    /// Semantic diff of workflows between environments or files
    Diff(super::diff::DiffArgs),
    /// Snapshots of an environment's complete state: create, list, show, diff
    #[command(subcommand)]
    Snapshot(super::snapshot::SnapshotCommand),
    /// Put an environment (or some workflows) back as a snapshot holds it, plan first
    Restore(super::restore::RestoreArgs),
    /// Live workflows the canonical state does not know
    #[command(subcommand)]
    Untracked(super::canonical::UntrackedCommand),
    /// Give untracked workflows a canonical identity (--workflow W... or --all)
    Onboard(super::canonical::OnboardArgs),
    /// Snapshot environments' current state (all when none named)
    Backup(super::canonical::BackupArgs),
    /// Drift between the canonical state and the live environments
    #[command(subcommand)]
    Drift(super::drift::DriftCommand),
    /// Promotion pipelines (from the config and the store): list, show
    #[command(subcommand)]
    Pipelines(super::pipelines::PipelinesCommand),
    /// Promote workflows from one environment to another (--dry-run shows the plan)
    Promote(super::promote::PromoteArgs),
    /// Promotions recorded: list, show, cancel, rollback, replan, run-due, recover
    #[command(subcommand, alias = "deploys")]
    Deployments(super::deployments::DeploymentsCommand),
    /// Incidents raised by drift and failing executions: list, show, ack, note, assign,
    /// resolve, severity, revert, accept, stats, sweep, policy
    #[command(subcommand, alias = "inc")]
    Incidents(super::incidents::IncidentsCommand),
    /// Credentials per environment and across them: list, matrix
    #[command(subcommand, alias = "creds")]
    Credentials(super::credentials::CredentialsCommand),
    /// Where Git, the recorded mappings and the live environments disagree
    Reconcile(super::canonical::ReconcileArgs),
    /// The canonical Git repository: status, push, token
    #[command(subcommand)]
    Git(super::git::GitCommand),
    /// Print every path and setting in use
    Info,
    /// A simulated n8n public API
    #[command(subcommand)]
    Sim(SimCommand),
    /// Three simulated instances (development, staging, production) to try n8nops on
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Add an environment; the API key comes from --api-key-env or stdin, never an argument
    Add(EnvAddArgs),
    /// Change an environment's URL, class, key or Git settings
    Edit(EnvEditArgs),
    /// List environments
    #[command(alias = "ls")]
    List,
    /// Show one environment
    Show { name: String },
    /// Test the connection: reachability, key, version, API generation, latency
    Test { name: String },
    /// Remove an environment and everything synced from it
    #[command(alias = "remove")]
    Rm {
        name: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// What the last sync stored: credentials, tags, users, executions
    Inventory { name: String },
}

#[derive(Debug, Args)]
pub struct EnvAddArgs {
    pub name: String,
    /// Base URL of the instance, e.g. https://n8n.example.com
    #[arg(long)]
    pub url: String,
    /// development, staging or production (dev, stage, prod)
    #[arg(long)]
    pub class: String,
    /// Read the API key from this environment variable instead of stdin
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Git repository holding this environment's canonical state
    #[arg(long, value_name = "URL")]
    pub git_repo: Option<String>,
    #[arg(long, value_name = "BRANCH", requires = "git_repo")]
    pub git_branch: Option<String>,
}

#[derive(Debug, Args)]
pub struct EnvEditArgs {
    pub name: String,
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub class: Option<String>,
    /// Replace the API key with the one in this environment variable
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Replace the API key with one read from stdin
    #[arg(long, conflicts_with = "api_key_env")]
    pub api_key_stdin: bool,
    #[arg(long, value_name = "URL")]
    pub git_repo: Option<String>,
    #[arg(long, value_name = "BRANCH")]
    pub git_branch: Option<String>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Environments to sync [default: all]
    pub envs: Vec<String>,
    /// Only these kinds, comma-separated: workflows,credentials,tags,users,executions
    #[arg(long, value_name = "KINDS")]
    pub only: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum WorkflowsCommand {
    /// List synced workflows
    #[command(alias = "ls")]
    List(WorkflowsListArgs),
    /// Show one workflow: summary, node types, credentials (--json adds its JSON)
    Show {
        /// Environment
        env: String,
        /// n8n workflow id
        id: String,
    },
    /// Activate workflows (checked against the environment's policy)
    Activate(super::workflows::TargetArgs),
    /// Deactivate workflows (checked against the environment's policy)
    Deactivate(super::workflows::TargetArgs),
    /// Delete workflows; kept in the trash (restorable) unless --hard
    #[command(alias = "rm")]
    Delete {
        #[command(flatten)]
        targets: super::workflows::TargetArgs,
        /// Delete for good: nothing is kept
        #[arg(long)]
        hard: bool,
    },
    /// Add or remove tags (created in n8n when new)
    Tag {
        #[command(flatten)]
        targets: super::workflows::TargetArgs,
        /// A tag to add (repeatable)
        #[arg(long = "add", value_name = "TAG")]
        add: Vec<String>,
        /// A tag to remove (repeatable)
        #[arg(long = "remove", value_name = "TAG")]
        remove: Vec<String>,
    },
    /// Create workflows from JSON files or ZIPs of them
    Upload {
        /// Environment
        env: String,
        /// Workflow JSON files or ZIPs of them
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Confirm where the policy warns
        #[arg(short, long)]
        yes: bool,
    },
    /// Download workflows as a ZIP of <env>/<name>.json (all of ENV's when no ID is given)
    Download {
        /// Environment
        env: String,
        /// Workflow ids or exact names [default: all]
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Where to write the ZIP [default: <env>-workflows-<time>.zip here]
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Soft-deleted workflows, newest first
    Trash {
        #[arg(long)]
        env: Option<String>,
    },
    /// Re-create a soft-deleted workflow from the trash (it gets a new id)
    Restore {
        /// Its number in `workflows trash`
        trash_id: i64,
        /// Confirm where the policy warns
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct WorkflowsListArgs {
    #[arg(long)]
    pub env: Option<String>,
    /// Matches names and node types
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long, conflicts_with = "inactive")]
    pub active: bool,
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Recent jobs, newest first
    #[command(alias = "ls")]
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One job with its log
    Show { id: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Audit events, newest first
    #[command(alias = "ls")]
    List {
        #[arg(long)]
        env: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a simulated n8n on 127.0.0.1 until interrupted
    Serve(SimServeArgs),
}

#[derive(Debug, Args)]
pub struct SimServeArgs {
    #[arg(long, default_value_t = 5678)]
    pub port: u16,
    /// Seed from a folder of workflow JSON files instead of generated workflows
    #[arg(long, value_name = "DIR")]
    pub seed_from: Option<PathBuf>,
    /// How many workflows to generate when not seeding from a folder
    #[arg(long, default_value_t = 50)]
    pub workflows: usize,
    /// Read the API key to require from this variable [default: a fixed demo key, printed]
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Seed of the generator
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Executions generated per minute
    #[arg(long, default_value_t = 30)]
    pub executions_per_minute: u32,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed the instances from a folder of workflow JSON files instead of generated ones
    #[arg(long, value_name = "DIR")]
    pub seed_from: Option<PathBuf>,
    /// Workflows per generated instance
    #[arg(long, default_value_t = 60)]
    pub workflows: usize,
    /// Print the synced fleet and exit instead of opening the TUI
    #[arg(long)]
    pub print: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::canonical::UntrackedCommand;
    use crate::cli::drift::DriftCommand;
    use crate::cli::git::GitCommand;
    use crate::cli::snapshot::SnapshotCommand;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("n8nops").chain(args.iter().copied()))?;
        Ok(cli.command.expect("a verb"))
    }

    fn parses(args: &[&str]) -> Command {
        parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn refused(args: &[&str]) -> clap::error::ErrorKind {
        match parse(args) {
            Ok(command) => panic!("{args:?} parsed as {command:?}"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn snapshot_verbs() {
        let Command::Snapshot(SnapshotCommand::Create { env, message }) =
            parses(&["snapshot", "create", "prod", "-m", "before the migration"])
        else {
            panic!("snapshot create")
        };
        assert_eq!(
            (env.as_str(), message.as_deref()),
            ("prod", Some("before the migration"))
        );
        assert!(matches!(
            parses(&["snapshot", "create", "prod"]),
            Command::Snapshot(SnapshotCommand::Create { message: None, .. })
        ));
        assert_eq!(
            refused(&["snapshot", "create"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert!(matches!(
            parses(&["snapshot", "list"]),
            Command::Snapshot(SnapshotCommand::List { env: None })
        ));
        assert!(matches!(
            parses(&["--json", "snapshot", "ls", "prod"]),
            Command::Snapshot(SnapshotCommand::List { env: Some(_) })
        ));
        assert!(matches!(
            parses(&["snapshot", "show", "prod/20260301-101500"]),
            Command::Snapshot(SnapshotCommand::Show { .. })
        ));
        let Command::Snapshot(SnapshotCommand::Diff { a, b, all }) =
            parses(&["snapshot", "diff", "prod/1", "prod/2", "--json"])
        else {
            panic!("snapshot diff")
        };
        assert_eq!((a.as_str(), b.as_str(), all), ("prod/1", "prod/2", false));
        assert_eq!(
            refused(&["snapshot", "diff", "prod/1"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn restore_takes_a_snapshot_workflows_dry_run_and_yes() {
        let Command::Restore(args) = parses(&["restore", "prod"]) else {
            panic!("restore")
        };
        assert_eq!(args.env, "prod");
        assert_eq!(args.snapshot, None);
        assert!(args.workflows.is_empty() && !args.dry_run && !args.yes);

        let Command::Restore(args) = parses(&[
            "restore",
            "prod",
            "--snapshot",
            "latest",
            "--workflow",
            "Orders",
            "Billing",
            "-w",
            "order-sync",
            "--dry-run",
            "--yes",
        ]) else {
            panic!("restore")
        };
        assert_eq!(args.snapshot.as_deref(), Some("latest"));
        assert_eq!(args.workflows, ["Orders", "Billing", "order-sync"]);
        assert!(args.dry_run && args.yes, "--dry-run with --yes is fine");
        assert_eq!(
            refused(&["restore"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            refused(&["restore", "prod", "--workflow"]),
            clap::error::ErrorKind::InvalidValue
        );
    }

    #[test]
    fn onboard_needs_workflows_or_all_and_not_both() {
        let Command::Onboard(args) = parses(&["onboard", "prod", "--workflow", "12", "Orders"])
        else {
            panic!("onboard")
        };
        assert_eq!(args.workflows, ["12", "Orders"]);
        assert!(!args.all);
        let Command::Onboard(args) = parses(&["onboard", "prod", "--all", "--json"]) else {
            panic!("onboard")
        };
        assert!(args.all && args.workflows.is_empty());
        assert_eq!(
            refused(&["onboard", "prod"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            refused(&["onboard", "prod", "--all", "--workflow", "12"]),
            clap::error::ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn untracked_backup_and_reconcile() {
        assert!(matches!(
            parses(&["untracked", "list"]),
            Command::Untracked(UntrackedCommand::List { env: None })
        ));
        assert!(matches!(
            parses(&["untracked", "ls", "prod"]),
            Command::Untracked(UntrackedCommand::List { env: Some(_) })
        ));
        let Command::Backup(args) = parses(&["backup"]) else {
            panic!("backup")
        };
        assert!(args.envs.is_empty());
        let Command::Backup(args) = parses(&["backup", "prod", "staging"]) else {
            panic!("backup")
        };
        assert_eq!(args.envs, ["prod", "staging"]);
        assert!(matches!(
            parses(&["reconcile", "--pull", "--json"]),
            Command::Reconcile(super::super::canonical::ReconcileArgs { pull: true })
        ));
    }

    #[test]
    fn drift_check_and_show() {
        let Command::Drift(DriftCommand::Check(args)) = parses(&[
            "drift",
            "check",
            "prod",
            "staging",
            "--exit-code",
            "--no-fetch",
            "--json",
        ]) else {
            panic!("drift check")
        };
        assert_eq!(args.envs, ["prod", "staging"]);
        assert!(args.exit_code && args.no_fetch);
        let Command::Drift(DriftCommand::Check(args)) = parses(&["drift", "check"]) else {
            panic!("drift check")
        };
        assert!(args.envs.is_empty() && !args.exit_code && !args.no_fetch);
        assert!(matches!(
            parses(&["drift", "show", "prod"]),
            Command::Drift(DriftCommand::Show { env: Some(_) })
        ));
        assert_eq!(
            refused(&["drift"]),
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
    }

    #[test]
    fn git_status_push_and_token() {
        assert!(matches!(
            parses(&["git", "status"]),
            Command::Git(GitCommand::Status)
        ));
        assert!(matches!(
            parses(&["git", "push"]),
            Command::Git(GitCommand::Push)
        ));
        assert!(matches!(
            parses(&["git", "token"]),
            Command::Git(GitCommand::Token { clear: false })
        ));
        assert!(matches!(
            parses(&["git", "token", "--clear"]),
            Command::Git(GitCommand::Token { clear: true })
        ));
        // The token is never an argument: it would show in `ps`.
        assert_eq!(
            refused(&["git", "token", "ghp_secret"]),
            clap::error::ErrorKind::UnknownArgument
        );
    }

    #[test]
    fn pipelines_list_and_show() {
        use crate::cli::pipelines::PipelinesCommand;
        assert!(matches!(
            parses(&["pipelines", "list"]),
            Command::Pipelines(PipelinesCommand::List)
        ));
        assert!(matches!(
            parses(&["pipelines", "ls"]),
            Command::Pipelines(PipelinesCommand::List)
        ));
        let Command::Pipelines(PipelinesCommand::Show { name }) =
            parses(&["pipelines", "show", "main", "--json"])
        else {
            panic!("pipelines show")
        };
        assert_eq!(name, "main");
        assert_eq!(
            refused(&["pipelines", "show"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn credentials_matrix_and_list() {
        use crate::cli::credentials::CredentialsCommand;
        assert!(matches!(
            parses(&["credentials", "matrix"]),
            Command::Credentials(CredentialsCommand::Matrix)
        ));
        assert!(matches!(
            parses(&["creds", "list"]),
            Command::Credentials(CredentialsCommand::List { env: None })
        ));
        let Command::Credentials(CredentialsCommand::List { env }) =
            parses(&["credentials", "list", "--env", "prod"])
        else {
            panic!("credentials list --env")
        };
        assert_eq!(env.as_deref(), Some("prod"));
        assert_eq!(
            refused(&["credentials", "list", "prod"]),
            clap::error::ErrorKind::UnknownArgument
        );
    }
}
