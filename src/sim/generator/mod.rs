//! The project's own generator of realistic n8n workflows, deterministic from a
//! seed (the real corpus may not be copied into the repository).
//!
//! A workflow starts at a trigger (webhook, schedule, manual, form or an app
//! trigger) and grows a graph of HTTP requests with expressions, Code nodes, IF
//! and Switch routing over several outputs, Set and Merge nodes, and app nodes
//! holding credentials from a small pool shared by the fleet; sticky notes sit
//! beside it. Most workflows have 5-40 nodes, some 100-300.
//!
//! Output values are exports: the writable body (`name`, `nodes`, `connections`,
//! `settings`) plus `active` and `tags` (names), which seeding applies.
//! [`generate_fleet`] makes three environments with realistic drift.

use super::rng::Rng;
use super::workflows::is_trigger_type;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

/// A credential of the shared pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolCredential {
    pub kind: &'static str,
    pub name: &'static str,
    pub id: String,
}

/// The credentials a fleet's workflows use (`type` and `name` recur across workflows).
pub fn credential_pool(rng: &mut Rng) -> Vec<PoolCredential> {
    POOL.iter()
        .map(|(kind, name)| PoolCredential {
            kind,
            name,
            id: rng.nanoid(),
        })
        .collect()
}

const POOL: &[(&str, &str)] = &[
    ("slackApi", "Slack Bot (ops)"),
    ("slackApi", "Slack - alerts"),
    ("googleSheetsOAuth2Api", "Google Sheets - Finance"),
    ("postgres", "Postgres prod (read-only)"),
    ("postgres", "Postgres analytics"),
    ("githubApi", "GitHub - acme bot"),
    ("notionApi", "Notion workspace"),
    ("airtableTokenApi", "Airtable - CRM base"),
    ("hubspotOAuth2Api", "HubSpot"),
    ("openAiApi", "OpenAI - team key"),
    ("telegramApi", "Telegram bot"),
    ("jiraSoftwareCloudApi", "Jira Cloud"),
    ("gmailOAuth2", "Gmail - support@"),
    ("httpHeaderAuth", "Internal API token"),
    ("httpHeaderAuth", "Billing API key"),
];

/// `count` workflows for one instance.
pub fn generate(seed: u64, count: usize) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let pool = credential_pool(&mut rng);
    let mut names = HashSet::new();
    (0..count)
        .map(|_| generate_workflow(&mut rng, &pool, &mut names))
        .collect()
}

/// One workflow. `taken` keeps names unique across a batch.
pub fn generate_workflow(
    rng: &mut Rng,
    pool: &[PoolCredential],
    taken: &mut HashSet<String>,
) -> Value {
    let name = workflow_name(rng, taken);
    let size = draw_size(rng);
    let mut b = Builder::new(rng, pool);
    b.build(size);
    let active = b.activatable && b.rng.chance(0.7);
    let tags = tags_for(b.rng, &name);
    let settings = settings(b.rng);
    let Builder {
        nodes, connections, ..
    } = b;
    let mut w = json!({
        "name": name,
        "nodes": nodes,
        "connections": connections,
        "settings": settings,
        "tags": tags,
    });
    if active {
        w["active"] = json!(true);
    }
    w
}

fn draw_size(rng: &mut Rng) -> usize {
    let roll = rng.unit();
    if roll < 0.82 {
        // Skewed towards small workflows.
        5 + (35.0 * rng.unit().powf(1.6)) as usize
    } else if roll < 0.96 {
        rng.between(40, 100) as usize
    } else {
        rng.between(100, 300) as usize
    }
}

const DOMAINS: &[&str] = &[
    "Billing",
    "CRM",
    "Support",
    "Marketing",
    "Ops",
    "Finance",
    "HR",
    "Sales",
    "Data",
    "Security",
    "Inventory",
    "Onboarding",
];
const ACTIONS: &[&str] = &[
    "sync invoices to Sheets",
    "import new leads",
    "triage tickets",
    "daily digest",
    "alert on failed payments",
    "enrich contacts",
    "weekly report",
    "backup to S3",
    "notify on deploy",
    "cleanup stale records",
    "route webhooks",
    "score leads",
    "reconcile orders",
    "post standup summary",
    "escalate SLA breaches",
    "refresh dashboards",
    "provision accounts",
    "archive old files",
    "sync Jira issues",
    "summarize feedback with AI",
];

fn workflow_name(rng: &mut Rng, taken: &mut HashSet<String>) -> String {
    let base = format!(
        "{} - {}",
        rng.pick_or(DOMAINS, "Ops"),
        rng.pick_or(ACTIONS, "daily digest")
    );
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base} #{n}");
        n += 1;
    }
    name
}

const TAGS: &[&str] = &[
    "production",
    "billing",
    "crm",
    "ops",
    "marketing",
    "alerts",
    "etl",
    "internal",
    "beta",
    "support",
    "finance",
    "reporting",
];

fn tags_for(rng: &mut Rng, name: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let domain = name.split(" - ").next().unwrap_or_default().to_lowercase();
    if TAGS.contains(&domain.as_str()) && rng.chance(0.6) {
        tags.push(domain);
    }
    for _ in 0..rng.below(3) {
        let t = rng.pick_or(TAGS, "ops").to_owned();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

fn settings(rng: &mut Rng) -> Value {
    let mut s = json!({ "executionOrder": "v1" });
    if rng.chance(0.2) {
        s["saveManualExecutions"] = json!(true);
    }
    if rng.chance(0.1) {
        s["timezone"] = json!(rng.pick_or(&["Europe/Berlin", "America/New_York", "UTC"], "UTC"));
    }
    if rng.chance(0.1) {
        s["saveDataSuccessExecution"] = json!("none");
    }
    if rng.chance(0.05) {
        s["callerPolicy"] = json!("workflowsFromSameOwner");
    }
    s
}

/// An output of a placed node that nothing is connected to yet.
#[derive(Clone, Debug)]
struct Open {
    node: String,
    output: usize,
    depth: i64,
    lane: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Http,
    Code,
    If,
    Switch,
    Set,
    Merge,
    NoOp,
    Wait,
    Filter,
    App,
}

mod fleet;
mod nodes;

use nodes::Builder;
#[cfg(test)]
mod tests;

pub use fleet::{Drift, DriftKind, Fleet, fleet_from, generate_fleet};
