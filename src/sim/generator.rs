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

struct Builder<'a> {
    rng: &'a mut Rng,
    pool: &'a [PoolCredential],
    nodes: Vec<Value>,
    names: HashSet<String>,
    connections: Map<String, Value>,
    open: Vec<Open>,
    next_lane: i64,
    activatable: bool,
}

impl<'a> Builder<'a> {
    fn new(rng: &'a mut Rng, pool: &'a [PoolCredential]) -> Self {
        Builder {
            rng,
            pool,
            nodes: Vec::new(),
            names: HashSet::new(),
            connections: Map::new(),
            open: Vec::new(),
            next_lane: 1,
            activatable: false,
        }
    }

    fn build(&mut self, size: usize) {
        let stickies = if size >= 6 {
            1 + size / 12
        } else {
            usize::from(self.rng.chance(0.3))
        };
        let body = size.saturating_sub(stickies).max(2);
        let trigger = self.trigger();
        self.activatable = trigger
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(is_trigger_type);
        let trigger_name = self.place(trigger, 0, 0);
        self.open.push(Open {
            node: trigger_name,
            output: 0,
            depth: 0,
            lane: 0,
        });
        while self.nodes.len() < body {
            self.grow();
        }
        for i in 0..stickies {
            self.sticky(i);
        }
    }

    /// Adds one node after an open output.
    fn grow(&mut self) {
        let from = if self.open.is_empty() {
            // Everything is wired: continue after the last node placed.
            let last = self
                .nodes
                .last()
                .and_then(|n| n["name"].as_str())
                .unwrap_or_default()
                .to_owned();
            Open {
                node: last,
                output: 0,
                depth: self.nodes.len() as i64,
                lane: 0,
            }
        } else {
            let i = if self.rng.chance(0.7) {
                self.open.len() - 1
            } else {
                self.rng.index(self.open.len())
            };
            // Now and then one output feeds two nodes.
            if self.rng.chance(0.08) {
                self.open[i].clone()
            } else {
                self.open.remove(i)
            }
        };
        let mut kind = self.kind();
        if kind == Kind::Merge && self.open.is_empty() {
            kind = Kind::Set;
        }
        let node = self.node(kind);
        let depth = from.depth + 1;
        let name = self.place(node, depth, from.lane);
        self.connect(&from.node, from.output, &name, 0);
        if kind == Kind::Merge {
            let other = self.open.remove(self.rng.index(self.open.len()));
            self.connect(&other.node, other.output, &name, 1);
        }
        let outputs = match kind {
            Kind::If => 2,
            Kind::Switch => self.switch_outputs(&name),
            _ => 1,
        };
        for output in 0..outputs {
            let lane = if output == 0 {
                from.lane
            } else {
                self.next_lane += 1;
                self.next_lane - 1
            };
            // Not every branch continues: some outputs end the flow.
            if output == 0 || self.rng.chance(0.8) {
                self.open.push(Open {
                    node: name.clone(),
                    output,
                    depth,
                    lane,
                });
            }
        }
    }

    fn switch_outputs(&self, name: &str) -> usize {
        self.nodes
            .iter()
            .find(|n| n["name"] == name)
            .and_then(|n| n["parameters"]["rules"]["values"].as_array())
            .map_or(2, Vec::len)
    }

    fn kind(&mut self) -> Kind {
        const WEIGHTS: &[(Kind, u64)] = &[
            (Kind::App, 28),
            (Kind::Http, 18),
            (Kind::Set, 13),
            (Kind::Code, 12),
            (Kind::If, 9),
            (Kind::Switch, 4),
            (Kind::Merge, 4),
            (Kind::Filter, 5),
            (Kind::NoOp, 3),
            (Kind::Wait, 3),
        ];
        let total: u64 = WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.below(total);
        for (kind, w) in WEIGHTS {
            if roll < *w {
                return *kind;
            }
            roll -= w;
        }
        Kind::Set
    }

    /// Gives the node a unique name and a position, and adds it.
    fn place(&mut self, mut node: Value, depth: i64, lane: i64) -> String {
        let base = node["name"].as_str().unwrap_or("Node").to_owned();
        let mut name = base.clone();
        let mut n = 1;
        while !self.names.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        node["name"] = json!(name);
        node["position"] = json!([240 + depth * 220, 300 + lane * 180]);
        node["id"] = json!(self.rng.uuid());
        self.nodes.push(node);
        name
    }

    fn connect(&mut self, from: &str, output: usize, to: &str, input: usize) {
        let entry = self
            .connections
            .entry(from.to_owned())
            .or_insert_with(|| json!({ "main": [] }));
        let Some(main) = entry.get_mut("main").and_then(Value::as_array_mut) else {
            return;
        };
        while main.len() <= output {
            main.push(json!([]));
        }
        if let Some(targets) = main[output].as_array_mut() {
            targets.push(json!({ "node": to, "type": "main", "index": input }));
        }
    }

    fn credential(&mut self, kind: &str) -> Option<Value> {
        let matching: Vec<&PoolCredential> = self.pool.iter().filter(|c| c.kind == kind).collect();
        let c = self.rng.pick(&matching)?;
        Some(json!({ kind: { "id": c.id, "name": c.name } }))
    }

    fn trigger(&mut self) -> Value {
        let roll = self.rng.below(100);
        let slug = format!(
            "{}-{}",
            self.rng.pick_or(
                &["orders", "leads", "tickets", "deploys", "events"],
                "events"
            ),
            &self.rng.uuid()[..8]
        );
        match roll {
            0..=27 => json!({
                "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
                "parameters": { "httpMethod": "POST", "path": slug, "responseMode": "onReceived", "options": {} },
                "webhookId": self.rng.uuid(),
            }),
            28..=57 => {
                let rule = if self.rng.chance(0.5) {
                    json!({ "field": "hours", "hoursInterval": self.rng.between(1, 12) })
                } else {
                    json!({ "field": "cronExpression", "expression": format!("0 {} * * 1-5", self.rng.between(6, 18)) })
                };
                json!({
                    "name": "Schedule Trigger", "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": 1.2,
                    "parameters": { "rule": { "interval": [rule] } },
                })
            }
            58..=69 => json!({
                "name": "When clicking ‘Execute workflow’", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
                "parameters": {},
            }),
            70..=74 => json!({
                "name": "On form submission", "type": "n8n-nodes-base.formTrigger", "typeVersion": 2.2,
                "parameters": {
                    "formTitle": "Contact us",
                    "formFields": { "values": [
                        { "fieldLabel": "Email", "fieldType": "email", "requiredField": true },
                        { "fieldLabel": "Message", "fieldType": "textarea" }
                    ] },
                    "options": {}
                },
                "webhookId": self.rng.uuid(),
            }),
            75..=77 => json!({
                "name": "Cron", "type": "n8n-nodes-base.cron", "typeVersion": 1,
                "parameters": { "triggerTimes": { "item": [{ "hour": self.rng.between(0, 23) }] } },
            }),
            78..=81 => json!({
                "name": "When Executed by Another Workflow", "type": "n8n-nodes-base.executeWorkflowTrigger",
                "typeVersion": 1.1, "parameters": { "inputSource": "passthrough" },
            }),
            82..=87 => {
                let mut n = json!({
                    "name": "GitHub Trigger", "type": "n8n-nodes-base.githubTrigger", "typeVersion": 1,
                    "parameters": { "owner": "acme", "repository": "platform", "events": ["push", "pull_request"] },
                    "webhookId": self.rng.uuid(),
                });
                if let Some(c) = self.credential("githubApi") {
                    n["credentials"] = c;
                }
                n
            }
            88..=93 => {
                let mut n = json!({
                    "name": "Slack Trigger", "type": "n8n-nodes-base.slackTrigger", "typeVersion": 1,
                    "parameters": { "trigger": ["message"], "watchWorkspace": true, "options": {} },
                    "webhookId": self.rng.uuid(),
                });
                if let Some(c) = self.credential("slackApi") {
                    n["credentials"] = c;
                }
                n
            }
            _ => {
                let mut n = json!({
                    "name": "Gmail Trigger", "type": "n8n-nodes-base.gmailTrigger", "typeVersion": 1.2,
                    "parameters": { "pollTimes": { "item": [{ "mode": "everyMinute" }] }, "simple": true, "filters": {}, "options": {} },
                });
                if let Some(c) = self.credential("gmailOAuth2") {
                    n["credentials"] = c;
                }
                n
            }
        }
    }

    fn node(&mut self, kind: Kind) -> Value {
        let object = self.rng.pick_or(
            &[
                "order", "lead", "ticket", "invoice", "customer", "event", "user",
            ],
            "item",
        );
        let field = self.rng.pick_or(
            &[
                "id",
                "email",
                "status",
                "amount",
                "region",
                "priority",
                "createdAt",
            ],
            "id",
        );
        match kind {
            Kind::Http => self.http(object, field),
            Kind::Code => json!({
                "name": self.rng.pick_or(&["Code", "Transform data", "Normalize payload", "Parse response", "Build summary"], "Code"),
                "type": "n8n-nodes-base.code", "typeVersion": 2,
                "parameters": { "jsCode": js_code(self.rng, object, field) },
            }),
            Kind::If => json!({
                "name": self.rng.pick_or(&["If", "Is valid?", "Has email?", "Status is active?", "Amount over limit?"], "If"),
                "type": "n8n-nodes-base.if", "typeVersion": 2.2,
                "parameters": { "conditions": condition(self.rng, field), "options": {} },
            }),
            Kind::Filter => json!({
                "name": self.rng.pick_or(&["Filter", "Keep new records", "Only paid"], "Filter"),
                "type": "n8n-nodes-base.filter", "typeVersion": 2.2,
                "parameters": { "conditions": condition(self.rng, field), "options": {} },
            }),
            Kind::Switch => {
                let values = ["high", "normal", "low", "eu", "us", "apac"];
                let count = self.rng.between(2, 4) as usize;
                let rules: Vec<Value> = (0..count)
                    .map(|i| {
                        let value = values[(i + self.rng.index(2)) % values.len()];
                        let mut c = condition(self.rng, field);
                        c["conditions"][0]["rightValue"] = json!(value);
                        json!({ "conditions": c, "renameOutput": true, "outputKey": value })
                    })
                    .collect();
                json!({
                    "name": self.rng.pick_or(&["Switch", "Route by type", "Route by region", "Route by priority"], "Switch"),
                    "type": "n8n-nodes-base.switch", "typeVersion": 3.2,
                    "parameters": { "rules": { "values": rules }, "options": {} },
                })
            }
            Kind::Set => {
                let count = self.rng.between(1, 4);
                let assignments: Vec<Value> = (0..count)
                    .map(|i| {
                        let f = ["customerId", "email", "total", "region", "source", "receivedAt"][(i as usize) % 6];
                        json!({ "id": self.rng.uuid(), "name": f, "value": format!("={{{{ $json.{f} }}}}"), "type": "string" })
                    })
                    .collect();
                json!({
                    "name": self.rng.pick_or(&["Edit Fields", "Set fields", "Map fields", "Prepare payload"], "Edit Fields"),
                    "type": "n8n-nodes-base.set", "typeVersion": 3.4,
                    "parameters": { "assignments": { "assignments": assignments }, "options": {} },
                })
            }
            Kind::Merge => json!({
                "name": self.rng.pick_or(&["Merge", "Merge results", "Combine data"], "Merge"),
                "type": "n8n-nodes-base.merge", "typeVersion": 3,
                "parameters": if self.rng.chance(0.5) { json!({ "mode": "combine", "combineBy": "combineByPosition", "options": {} }) } else { json!({}) },
            }),
            Kind::NoOp => json!({
                "name": "No Operation, do nothing", "type": "n8n-nodes-base.noOp", "typeVersion": 1, "parameters": {},
            }),
            Kind::Wait => json!({
                "name": self.rng.pick_or(&["Wait", "Wait for rate limit"], "Wait"),
                "type": "n8n-nodes-base.wait", "typeVersion": 1.1,
                "parameters": { "amount": self.rng.between(1, 30) },
                "webhookId": self.rng.uuid(),
            }),
            Kind::App => self.app(object),
        }
    }

    fn http(&mut self, object: &str, field: &str) -> Value {
        let post = self.rng.chance(0.4);
        let host = self.rng.pick_or(
            &[
                "api.acme.io",
                "billing.internal",
                "crm.example.com",
                "hooks.partner.net",
            ],
            "api.acme.io",
        );
        let mut parameters = json!({
            "method": if post { "POST" } else { "GET" },
            "url": format!("=https://{host}/v1/{object}s/{{{{ $json.{field} }}}}"),
            "options": {},
        });
        if self.rng.chance(0.4) {
            parameters["sendQuery"] = json!(true);
            parameters["queryParameters"] =
                json!({ "parameters": [{ "name": "limit", "value": "={{ $json.limit || 50 }}" }] });
        }
        if post {
            parameters["sendBody"] = json!(true);
            parameters["specifyBody"] = json!("json");
            parameters["jsonBody"] = json!("={{ JSON.stringify($json) }}");
        }
        let mut node = json!({
            "name": self.rng.pick_or(&["HTTP Request", "Fetch record", "Call API", "Post update", "Get details"], "HTTP Request"),
            "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
        });
        if self.rng.chance(0.5) {
            parameters["authentication"] = json!("genericCredentialType");
            parameters["genericAuthType"] = json!("httpHeaderAuth");
            if let Some(c) = self.credential("httpHeaderAuth") {
                node["credentials"] = c;
            }
        }
        node["parameters"] = parameters;
        if self.rng.chance(0.15) {
            node["retryOnFail"] = json!(true);
            node["maxTries"] = json!(3);
            node["waitBetweenTries"] = json!(2000);
        }
        if self.rng.chance(0.1) {
            node["onError"] = json!("continueRegularOutput");
        }
        node
    }

    fn app(&mut self, object: &str) -> Value {
        let channel = format!("C0{}", self.rng.between(100_000, 999_999));
        let (name, node_type, version, cred, parameters): (&str, &str, f64, &str, Value) =
            match self.rng.below(11) {
                0 => (
                    "Slack",
                    "n8n-nodes-base.slack",
                    2.2,
                    "slackApi",
                    json!({
                        "select": "channel",
                        "channelId": { "__rl": true, "value": channel, "mode": "list", "cachedResultName": "#alerts" },
                        "text": format!("=New {object} {{{{ $json.id }}}} needs attention"),
                        "otherOptions": {}
                    }),
                ),
                1 => (
                    "Google Sheets",
                    "n8n-nodes-base.googleSheets",
                    4.5,
                    "googleSheetsOAuth2Api",
                    json!({
                        "operation": "append",
                        "documentId": { "__rl": true, "value": format!("1{}", &self.rng.nanoid()), "mode": "list", "cachedResultName": "Finance 2025" },
                        "sheetName": { "__rl": true, "value": "gid=0", "mode": "list", "cachedResultName": "Sheet1" },
                        "columns": { "mappingMode": "autoMapInputData", "value": {}, "matchingColumns": [], "schema": [] },
                        "options": {}
                    }),
                ),
                2 => (
                    "Postgres",
                    "n8n-nodes-base.postgres",
                    2.5,
                    "postgres",
                    json!({
                        "operation": "executeQuery",
                        "query": format!("SELECT id, email, total FROM {object}s WHERE updated_at > $1 LIMIT 500"),
                        "options": { "queryReplacement": "={{ $json.since }}" }
                    }),
                ),
                3 => (
                    "GitHub",
                    "n8n-nodes-base.github",
                    1.0,
                    "githubApi",
                    json!({
                        "owner": "acme", "repository": "platform",
                        "title": format!("={{{{ $json.title || 'New {object}' }}}}"),
                        "body": "={{ $json.description }}", "labels": [], "assignees": []
                    }),
                ),
                4 => (
                    "Notion",
                    "n8n-nodes-base.notion",
                    2.2,
                    "notionApi",
                    json!({
                        "resource": "databasePage",
                        "databaseId": { "__rl": true, "value": self.rng.uuid(), "mode": "list", "cachedResultName": "Tasks" },
                        "title": "={{ $json.title }}", "propertiesUi": { "propertyValues": [] }
                    }),
                ),
                5 => (
                    "Airtable",
                    "n8n-nodes-base.airtable",
                    2.1,
                    "airtableTokenApi",
                    json!({
                        "operation": "create",
                        "base": { "__rl": true, "value": format!("app{}", &self.rng.nanoid()[..14]), "mode": "list" },
                        "table": { "__rl": true, "value": format!("tbl{}", &self.rng.nanoid()[..14]), "mode": "list" },
                        "columns": { "mappingMode": "autoMapInputData", "value": {} }, "options": {}
                    }),
                ),
                6 => (
                    "HubSpot",
                    "n8n-nodes-base.hubspot",
                    2.1,
                    "hubspotOAuth2Api",
                    json!({
                        "authentication": "oAuth2", "resource": "contact", "operation": "upsert",
                        "email": "={{ $json.email }}", "additionalFields": {}
                    }),
                ),
                7 => (
                    "OpenAI",
                    "@n8n/n8n-nodes-langchain.openAi",
                    1.8,
                    "openAiApi",
                    json!({
                        "modelId": { "__rl": true, "value": "gpt-4o-mini", "mode": "list", "cachedResultName": "GPT-4O-MINI" },
                        "messages": { "values": [{ "content": format!("=Summarize this {object} in two sentences: {{{{ $json.text }}}}") }] },
                        "options": {}
                    }),
                ),
                8 => (
                    "Telegram",
                    "n8n-nodes-base.telegram",
                    1.2,
                    "telegramApi",
                    json!({
                        "chatId": "={{ $json.chatId }}", "text": "={{ $json.message }}", "additionalFields": {}
                    }),
                ),
                9 => (
                    "Jira Software",
                    "n8n-nodes-base.jira",
                    1.0,
                    "jiraSoftwareCloudApi",
                    json!({
                        "project": { "__rl": true, "value": "10001", "mode": "list", "cachedResultName": "OPS" },
                        "issueType": { "__rl": true, "value": "10004", "mode": "list", "cachedResultName": "Bug" },
                        "summary": format!("={{{{ $json.title || 'Problem with {object}' }}}}"), "additionalFields": {}
                    }),
                ),
                _ => (
                    "Gmail",
                    "n8n-nodes-base.gmail",
                    2.1,
                    "gmailOAuth2",
                    json!({
                        "sendTo": "={{ $json.email }}",
                        "subject": format!("=Your {object} {{{{ $json.id }}}}"),
                        "message": "=Hi {{ $json.firstName }},\n\nthanks, we are on it.",
                        "options": {}
                    }),
                ),
            };
        let mut node = json!({ "name": name, "type": node_type, "typeVersion": version, "parameters": parameters });
        if let Some(c) = self.credential(cred) {
            node["credentials"] = c;
        }
        node
    }

    fn sticky(&mut self, i: usize) {
        const NOTES: &[&str] = &[
            "## How this works\nRuns on the trigger, enriches each record and posts the result.",
            "## Setup\n1. Connect the credentials\n2. Adjust the schedule\n3. Activate",
            "### Careful\nThe API rate-limits at 10 requests per second.",
            "## Owner\nPlatform team, ask in #automation before changing.",
        ];
        let note = json!({
            "name": "Sticky Note",
            "type": "n8n-nodes-base.stickyNote",
            "typeVersion": 1,
            "parameters": {
                "content": self.rng.pick_or(NOTES, NOTES[0]),
                "height": 200 + 20 * self.rng.below(10),
                "width": 260 + 20 * self.rng.below(10),
                "color": self.rng.between(1, 7),
            },
        });
        self.place(note, i as i64 * 3, -2);
    }
}

fn condition(rng: &mut Rng, field: &str) -> Value {
    let (right, operator) = match field {
        "amount" => (
            json!(rng.between(100, 5000)),
            json!({ "type": "number", "operation": "gt" }),
        ),
        "email" => (
            json!(""),
            json!({ "type": "string", "operation": "exists", "singleValue": true }),
        ),
        _ => (
            json!(rng.pick_or(&["active", "paid", "open", "urgent"], "active")),
            json!({ "type": "string", "operation": "equals" }),
        ),
    };
    json!({
        "options": { "caseSensitive": true, "leftValue": "", "typeValidation": "strict", "version": 2 },
        "conditions": [{ "id": rng.uuid(), "leftValue": format!("={{{{ $json.{field} }}}}"), "rightValue": right, "operator": operator }],
        "combinator": "and"
    })
}

fn js_code(rng: &mut Rng, object: &str, field: &str) -> String {
    match rng.below(4) {
        0 => format!(
            "// Normalize incoming {object}s\nconst out = [];\nfor (const item of $input.all()) {{\n  const data = item.json;\n  out.push({{ json: {{ id: data.id, {field}: data.{field} ?? null, email: (data.email || '').toLowerCase() }} }});\n}}\nreturn out;"
        ),
        1 => format!(
            "// Drop {object}s we have already seen\nconst seen = $getWorkflowStaticData('global');\nseen.ids = seen.ids || [];\nconst fresh = $input.all().filter(i => !seen.ids.includes(i.json.id));\nseen.ids.push(...fresh.map(i => i.json.id));\nreturn fresh;"
        ),
        2 => format!(
            "// Totals per {field}\nconst totals = {{}};\nfor (const item of $input.all()) {{\n  const key = item.json.{field} || 'unknown';\n  totals[key] = (totals[key] || 0) + Number(item.json.amount || 0);\n}}\nreturn Object.entries(totals).map(([key, total]) => ({{ json: {{ key, total }} }}));"
        ),
        _ => format!(
            "const items = $input.all();\nconst threshold = {};\nreturn items\n  .filter(i => Number(i.json.amount) > threshold)\n  .map(i => ({{ json: {{ ...i.json, flagged: true, reason: 'amount over ' + threshold }} }}));",
            rng.between(100, 10_000)
        ),
    }
}

// ---- fleets ----

/// Three environments of one fleet and how they differ.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub development: Vec<Value>,
    pub staging: Vec<Value>,
    pub production: Vec<Value>,
    /// The differences put in on purpose, for tests and the demo.
    pub drift: Vec<Drift>,
}

/// One deliberate difference between environments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub kind: DriftKind,
    /// The workflow's name.
    pub workflow: String,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftKind {
    /// New work, not promoted anywhere yet.
    OnlyInDevelopment,
    /// Changed in development, not promoted.
    ChangedInDevelopment,
    /// Changed in development and promoted to staging, not to production.
    InStagingNotProduction,
    /// A parameter hot-fixed in production only.
    HotfixInProduction,
    /// A node renamed in development.
    RenamedNodeInDevelopment,
}

/// A generated fleet of `count` production workflows, with drift. Each
/// environment has its own credential ids for the same credential names.
pub fn generate_fleet(seed: u64, count: usize) -> Fleet {
    let mut rng = Rng::new(seed);
    let pool = credential_pool(&mut rng);
    let mut names = HashSet::new();
    let production: Vec<Value> = (0..count)
        .map(|_| generate_workflow(&mut rng, &pool, &mut names))
        .collect();
    let mut fleet = with_drift(production, &mut rng, &pool, &mut names);
    for env in [&mut fleet.development, &mut fleet.staging] {
        let ids: HashMap<String, String> =
            pool.iter().map(|c| (c.id.clone(), rng.nanoid())).collect();
        for w in env.iter_mut() {
            rebind_credentials(w, &ids);
        }
    }
    fleet
}

/// A fleet built from given workflows (e.g. a seeded corpus): they are
/// production; development and staging get the same drift as [`generate_fleet`].
pub fn fleet_from(workflows: Vec<Value>, seed: u64) -> Fleet {
    let mut rng = Rng::new(seed);
    let pool = credential_pool(&mut rng);
    let mut names: HashSet<String> = workflows
        .iter()
        .filter_map(|w| w["name"].as_str().map(str::to_owned))
        .collect();
    with_drift(workflows, &mut rng, &pool, &mut names)
}

fn with_drift(
    production: Vec<Value>,
    rng: &mut Rng,
    pool: &[PoolCredential],
    names: &mut HashSet<String>,
) -> Fleet {
    let mut staging = production.clone();
    let mut development = production.clone();
    let mut drift = Vec::new();
    let n = production.len();
    let mut production = production;

    // Distinct workflows for each kind of drift, in a seeded order.
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.index(i + 1));
    }
    let editable: Vec<usize> = order
        .into_iter()
        .filter(|&i| editable_node(&production[i]).is_some())
        .collect();
    let mut candidates = editable.into_iter();
    let changed = (n / 25).clamp(1, 12);

    for k in 0..changed {
        let Some(i) = candidates.next() else { break };
        if let Some(detail) = tweak_parameter(&mut development[i], rng, "dev") {
            let name = workflow_name_of(&development[i]);
            if k == 0 {
                staging[i] = development[i].clone();
                drift.push(Drift {
                    kind: DriftKind::InStagingNotProduction,
                    workflow: name,
                    detail,
                });
            } else {
                drift.push(Drift {
                    kind: DriftKind::ChangedInDevelopment,
                    workflow: name,
                    detail,
                });
            }
        }
    }
    for _ in 0..2 {
        let Some(i) = candidates.next() else { break };
        if let Some(detail) = tweak_parameter(&mut production[i], rng, "hotfix") {
            drift.push(Drift {
                kind: DriftKind::HotfixInProduction,
                workflow: workflow_name_of(&production[i]),
                detail,
            });
        }
    }
    if let Some(i) = candidates.next()
        && let Some(detail) = rename_node(&mut development[i])
    {
        drift.push(Drift {
            kind: DriftKind::RenamedNodeInDevelopment,
            workflow: workflow_name_of(&development[i]),
            detail,
        });
    }
    for _ in 0..(n / 30).clamp(2, 10) {
        let w = generate_workflow(rng, pool, names);
        drift.push(Drift {
            kind: DriftKind::OnlyInDevelopment,
            workflow: workflow_name_of(&w),
            detail: "new workflow".into(),
        });
        development.push(w);
    }
    // Development instances rarely run their copies on a schedule.
    for w in development.iter_mut() {
        if rng.chance(0.65)
            && let Some(o) = w.as_object_mut()
        {
            o.remove("active");
        }
    }
    Fleet {
        development,
        staging,
        production,
        drift,
    }
}

fn workflow_name_of(w: &Value) -> String {
    w["name"].as_str().unwrap_or_default().to_owned()
}

/// The index of the first node that is neither a trigger nor a sticky note and
/// has parameters to change.
fn editable_node(w: &Value) -> Option<usize> {
    w["nodes"].as_array()?.iter().position(|n| {
        let t = n["type"].as_str().unwrap_or_default();
        !t.ends_with("stickyNote")
            && !t.ends_with("Trigger")
            && !is_trigger_type(t)
            && n["parameters"].is_object()
            && n["name"].is_string()
    })
}

/// Changes one parameter of one node, the way a person edits a workflow.
fn tweak_parameter(w: &mut Value, rng: &mut Rng, label: &str) -> Option<String> {
    let i = editable_node(w)?;
    let node = w["nodes"].get_mut(i)?;
    let name = node["name"].as_str().unwrap_or_default().to_owned();
    let parameters = node["parameters"].as_object_mut()?;
    let string_key = parameters
        .iter()
        .find(|(_, v)| v.is_string())
        .map(|(k, _)| k.clone());
    let detail = match string_key {
        Some(key) => {
            let old = parameters[&key].as_str().unwrap_or_default().to_owned();
            let new = if old.contains("://") {
                format!(
                    "{old}{}v={label}{}",
                    if old.contains('?') { "&" } else { "?" },
                    rng.between(2, 9)
                )
            } else {
                format!("{old} ({label} {})", rng.between(2, 9))
            };
            parameters.insert(key.clone(), json!(new));
            format!("node \"{name}\": parameter {key} changed")
        }
        None => {
            let timeout = 1000 * rng.between(5, 60);
            let options = parameters.entry("options").or_insert_with(|| json!({}));
            if let Some(o) = options.as_object_mut() {
                o.insert("timeout".into(), json!(timeout));
            } else {
                parameters.insert("timeout".into(), json!(timeout));
            }
            format!("node \"{name}\": timeout set to {timeout} ms")
        }
    };
    Some(detail)
}

/// Renames one node and rewires the connections that name it.
fn rename_node(w: &mut Value) -> Option<String> {
    let i = editable_node(w)?;
    let old = w["nodes"][i]["name"].as_str()?.to_owned();
    let taken: HashSet<String> = w["nodes"]
        .as_array()?
        .iter()
        .filter_map(|n| n["name"].as_str().map(str::to_owned))
        .collect();
    let mut new = format!("{old} (renamed)");
    let mut n = 2;
    while taken.contains(&new) {
        new = format!("{old} (renamed {n})");
        n += 1;
    }
    w["nodes"][i]["name"] = json!(new);
    if let Some(connections) = w["connections"].as_object_mut() {
        if let Some(outgoing) = connections.remove(&old) {
            connections.insert(new.clone(), outgoing);
        }
        for outputs in connections.values_mut() {
            for target in outputs
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                for branch in target.as_array_mut().into_iter().flatten() {
                    for link in branch.as_array_mut().into_iter().flatten() {
                        if link["node"] == old.as_str() {
                            link["node"] = json!(new);
                        }
                    }
                }
            }
        }
    }
    Some(format!("node \"{old}\" renamed to \"{new}\""))
}

/// Points node credentials at another instance's ids for the same credentials.
fn rebind_credentials(w: &mut Value, ids: &HashMap<String, String>) {
    for node in w["nodes"].as_array_mut().into_iter().flatten() {
        for reference in node
            .get_mut("credentials")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|c| c.values_mut())
        {
            if let Some(new) = reference["id"].as_str().and_then(|id| ids.get(id)) {
                reference["id"] = json!(new);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::writable::writable_body;
    use crate::sim::validate;

    #[test]
    fn generated_workflows_pass_n8n_validation() {
        for seed in 0..40 {
            for w in generate(seed, 25) {
                let body = writable_body(&w);
                assert_eq!(
                    validate::workflow_body(&body),
                    Ok(()),
                    "seed {seed}: {}",
                    w["name"]
                );
                // Cutting down removed nothing but `active` and `tags`.
                let mut rest = w.clone();
                if let Some(o) = rest.as_object_mut() {
                    o.remove("active");
                    o.remove("tags");
                }
                assert_eq!(rest, body);
            }
        }
    }

    #[test]
    fn deterministic_from_the_seed() {
        assert_eq!(generate(7, 20), generate(7, 20));
        assert_ne!(generate(7, 20), generate(8, 20));
    }

    #[test]
    fn graphs_are_well_formed() {
        let workflows = generate(11, 200);
        let sizes: Vec<usize> = workflows
            .iter()
            .map(|w| w["nodes"].as_array().map_or(0, Vec::len))
            .collect();
        assert!(
            sizes.iter().filter(|&&s| (5..=40).contains(&s)).count() > 140,
            "most have 5-40 nodes"
        );
        assert!(sizes.iter().any(|&s| s >= 100), "some are large");
        let mut types = HashSet::new();
        for w in &workflows {
            let nodes = w["nodes"].as_array().unwrap();
            let names: HashSet<&str> = nodes.iter().filter_map(|n| n["name"].as_str()).collect();
            assert_eq!(
                names.len(),
                nodes.len(),
                "node names are unique in {}",
                w["name"]
            );
            for (source, outputs) in w["connections"].as_object().unwrap() {
                assert!(
                    names.contains(source.as_str()),
                    "connection from unknown node {source}"
                );
                for branch in outputs["main"].as_array().unwrap() {
                    for link in branch.as_array().unwrap() {
                        assert!(names.contains(link["node"].as_str().unwrap()));
                    }
                }
            }
            for n in nodes {
                types.insert(n["type"].as_str().unwrap().to_owned());
                assert_eq!(n["position"].as_array().map(Vec::len), Some(2));
            }
            assert_eq!(w["settings"]["executionOrder"], "v1");
        }
        for t in [
            "n8n-nodes-base.webhook",
            "n8n-nodes-base.scheduleTrigger",
            "n8n-nodes-base.httpRequest",
            "n8n-nodes-base.code",
            "n8n-nodes-base.if",
            "n8n-nodes-base.switch",
            "n8n-nodes-base.merge",
            "n8n-nodes-base.set",
            "n8n-nodes-base.stickyNote",
            "n8n-nodes-base.slack",
        ] {
            assert!(types.contains(t), "{t} is generated");
        }
        // IF nodes route to more than one output somewhere.
        let multi_output = workflows.iter().any(|w| {
            w["connections"]
                .as_object()
                .unwrap()
                .values()
                .any(|o| o["main"].as_array().is_some_and(|m| m.len() > 1))
        });
        assert!(multi_output);
        // Credentials come from a small pool: names recur.
        let mut names = HashMap::new();
        for w in &workflows {
            for n in w["nodes"].as_array().unwrap() {
                for c in n["credentials"]
                    .as_object()
                    .into_iter()
                    .flat_map(|c| c.values())
                {
                    *names
                        .entry(c["name"].as_str().unwrap().to_owned())
                        .or_insert(0) += 1;
                }
            }
        }
        assert!(names.len() <= POOL.len());
        assert!(names.values().any(|&c| c > 10));
        let expressions = workflows
            .iter()
            .any(|w| w.to_string().contains("={{ $json."));
        assert!(expressions);
    }

    #[test]
    fn fleets_drift_realistically() {
        let fleet = generate_fleet(3, 60);
        let names = |ws: &[Value]| ws.iter().map(workflow_name_of).collect::<HashSet<_>>();
        let (dev, stg, prod) = (
            names(&fleet.development),
            names(&fleet.staging),
            names(&fleet.production),
        );
        assert_eq!(stg, prod);
        let only_dev: Vec<_> = dev.difference(&prod).collect();
        assert!(only_dev.len() >= 2);
        let by_name = |ws: &[Value]| {
            ws.iter()
                .map(|w| (workflow_name_of(w), writable_body(w)))
                .collect::<HashMap<_, _>>()
        };
        let (d, s, p) = (
            by_name(&fleet.development),
            by_name(&fleet.staging),
            by_name(&fleet.production),
        );
        let kinds: Vec<DriftKind> = fleet.drift.iter().map(|d| d.kind).collect();
        for kind in [
            DriftKind::OnlyInDevelopment,
            DriftKind::ChangedInDevelopment,
            DriftKind::InStagingNotProduction,
            DriftKind::HotfixInProduction,
            DriftKind::RenamedNodeInDevelopment,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} present");
        }
        // Every piece of drift shows where it should, ignoring credential ids.
        let strip = |v: &Value| {
            let mut v = v.clone();
            for n in v["nodes"].as_array_mut().into_iter().flatten() {
                for c in n
                    .get_mut("credentials")
                    .and_then(Value::as_object_mut)
                    .into_iter()
                    .flat_map(|c| c.values_mut())
                {
                    c.as_object_mut().map(|o| o.remove("id"));
                }
            }
            v
        };
        for drift in &fleet.drift {
            let w = &drift.workflow;
            match drift.kind {
                DriftKind::OnlyInDevelopment => assert!(d.contains_key(w) && !p.contains_key(w)),
                DriftKind::ChangedInDevelopment | DriftKind::RenamedNodeInDevelopment => {
                    assert_ne!(strip(&d[w]), strip(&p[w]));
                    assert_eq!(strip(&s[w]), strip(&p[w]));
                }
                DriftKind::InStagingNotProduction => {
                    assert_eq!(strip(&d[w]), strip(&s[w]));
                    assert_ne!(strip(&s[w]), strip(&p[w]));
                }
                DriftKind::HotfixInProduction => {
                    assert_eq!(strip(&d[w]), strip(&s[w]));
                    assert_ne!(strip(&s[w]), strip(&p[w]));
                }
            }
        }
        // The other workflows are equal everywhere (but for credential ids).
        let drifted: HashSet<&String> = fleet.drift.iter().map(|d| &d.workflow).collect();
        let equal = p
            .keys()
            .filter(|w| !drifted.contains(w))
            .all(|w| strip(&p[w]) == strip(&s[w]) && strip(&p[w]) == strip(&d[w]));
        assert!(equal);
        // Each environment has its own credential ids.
        let ids = |ws: &[Value]| -> HashSet<String> {
            ws.iter()
                .flat_map(|w| w["nodes"].as_array().cloned().unwrap_or_default())
                .flat_map(|n| {
                    n["credentials"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default()
                        .into_values()
                })
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        };
        assert!(ids(&fleet.production).is_disjoint(&ids(&fleet.development)));
        // All of it is still valid.
        for w in fleet
            .development
            .iter()
            .chain(&fleet.staging)
            .chain(&fleet.production)
        {
            assert_eq!(validate::workflow_body(&writable_body(w)), Ok(()));
        }
    }

    #[test]
    fn fleet_from_given_workflows() {
        let base = generate(5, 10);
        let fleet = fleet_from(base.clone(), 7);
        assert_eq!(fleet.production.len(), 10);
        assert!(fleet.development.len() > 10);
        assert!(
            fleet
                .drift
                .iter()
                .any(|d| d.kind == DriftKind::RenamedNodeInDevelopment)
        );
    }
}
