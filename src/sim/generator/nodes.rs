//! Building one workflow node by node: triggers, HTTP calls, code, routing, app nodes
//! with credentials, sticky notes, and the connections between them.

use super::*;

pub(super) struct Builder<'a> {
    pub(super) rng: &'a mut Rng,
    pub(super) pool: &'a [PoolCredential],
    pub(super) nodes: Vec<Value>,
    pub(super) names: HashSet<String>,
    pub(super) connections: Map<String, Value>,
    pub(super) open: Vec<Open>,
    pub(super) next_lane: i64,
    pub(super) activatable: bool,
}

impl<'a> Builder<'a> {
    pub(super) fn new(rng: &'a mut Rng, pool: &'a [PoolCredential]) -> Self {
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

    pub(super) fn build(&mut self, size: usize) {
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
