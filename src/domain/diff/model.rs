//! The structural diff of two workflows: what changed, node by node, with the risk of
//! each change. Plain serde types: the service sends them to every face unchanged.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// How dangerous a change is to promote without a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "LOW",
            Risk::Medium => "MEDIUM",
            Risk::High => "HIGH",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a change has the risk it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// A node or the workflow was renamed, nothing else.
    Rename,
    /// Positions, notes, sticky notes: the canvas, not the behaviour.
    Cosmetic,
    /// A parameter of an ordinary node.
    Parameter,
    /// A `={{ }}` expression was written, changed or removed.
    Expression,
    Credential,
    /// A node that starts the workflow (its webhook path, schedule, ...).
    Trigger,
    HttpRequest,
    Code,
    /// IF, Switch, Filter: where items go.
    Routing,
    /// Links between nodes.
    Connection,
    /// The node became another kind of node.
    NodeType,
    /// The node's type version (n8n changes behaviour between versions).
    Version,
    Disabled,
    /// `webhookId`: the production webhook URL.
    Webhook,
    /// onError, continueOnFail, retryOnFail, maxTries, waitBetweenTries.
    ErrorHandling,
    /// A node's own settings (alwaysOutputData, executeOnce, ...).
    NodeSetting,
    /// A workflow setting.
    Setting,
    /// A node added or removed.
    Node,
}

impl Why {
    pub fn label(self) -> &'static str {
        match self {
            Why::Rename => "rename",
            Why::Cosmetic => "cosmetic",
            Why::Parameter => "parameter",
            Why::Expression => "expression",
            Why::Credential => "credential",
            Why::Trigger => "trigger",
            Why::HttpRequest => "HTTP request",
            Why::Code => "code",
            Why::Routing => "routing",
            Why::Connection => "connection",
            Why::NodeType => "node type",
            Why::Version => "type version",
            Why::Disabled => "disabled",
            Why::Webhook => "webhook",
            Why::ErrorHandling => "error handling",
            Why::NodeSetting => "node setting",
            Why::Setting => "setting",
            Why::Node => "node",
        }
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What happened to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeChangeKind {
    Added,
    Removed,
    /// Matched by id or by content under another name; `changes` may hold more than the name.
    Renamed,
    Modified,
}

/// Which part of a node a change touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Type,
    TypeVersion,
    /// A value under `parameters`; the change's path says which.
    Parameter,
    Credentials,
    Disabled,
    /// onError, continueOnFail, retryOnFail, maxTries, waitBetweenTries.
    ErrorHandling,
    /// alwaysOutputData, executeOnce.
    NodeSetting,
    WebhookId,
    /// notes, notesInFlow.
    Notes,
    Position,
    /// Any other node property.
    Other,
}

/// One changed value. `before`/`after` are None where the value is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: Field,
    /// Where the value sits in the node: `parameters.options.timeout`,
    /// `parameters.rules.values[2].outputKey`, `credentials.slackApi`, `onError`.
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub risk: Risk,
    pub why: Why,
    /// Shown only on request (positions, notes, sticky notes).
    pub cosmetic: bool,
}

/// A node that differs between the two sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDiff {
    pub kind: NodeChangeKind,
    /// The node's name on the new side (on the old side when it was removed).
    pub name: String,
    /// Its name on the old side, when it was renamed.
    pub old_name: Option<String>,
    pub node_type: String,
    /// Its index in the old and new normalized `nodes` arrays (to find it in the text).
    pub old_index: Option<usize>,
    pub new_index: Option<usize>,
    /// Per-field changes; for an added or removed node, empty.
    pub changes: Vec<FieldChange>,
    pub risk: Risk,
    pub why: Why,
    /// Every change here is cosmetic: hidden by default.
    pub cosmetic: bool,
}

impl NodeDiff {
    /// Only its position changed: the layout, which the fingerprint ignores.
    pub fn is_layout_only(&self) -> bool {
        self.kind == NodeChangeKind::Modified
            && self.changes.iter().all(|c| c.field == Field::Position)
    }
}

/// One link from an output of a node to an input of another.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    /// Source node (named as on the new side when it was renamed).
    pub from: String,
    /// `main`, `ai_tool`, `ai_languageModel`, ...
    pub output_type: String,
    pub output: u64,
    pub to: String,
    pub input_type: String,
    pub input: u64,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}[{}] -> {}",
            self.from, self.output_type, self.output, self.to
        )?;
        if self.input_type != self.output_type || self.input != 0 {
            write!(f, " {}[{}]", self.input_type, self.input)?;
        }
        Ok(())
    }
}

/// A change to the connections between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ConnectionChange {
    Added {
        link: Link,
    },
    Removed {
        link: Link,
    },
    /// The same links out of one output, in another order (the order n8n runs them in).
    Reordered {
        from: String,
        output_type: String,
        output: u64,
    },
    /// A node's connections in a shape n8n does not write, changed: compared as values.
    Malformed {
        from: String,
        before: Option<Value>,
        after: Option<Value>,
    },
}

impl ConnectionChange {
    pub fn risk(&self) -> Risk {
        match self {
            ConnectionChange::Reordered { .. } => Risk::Medium,
            _ => Risk::High,
        }
    }

    /// The node the change starts from (named as on the new side).
    pub fn from(&self) -> &str {
        match self {
            ConnectionChange::Added { link } | ConnectionChange::Removed { link } => &link.from,
            ConnectionChange::Reordered { from, .. } | ConnectionChange::Malformed { from, .. } => {
                from
            }
        }
    }
}

/// A workflow setting that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingChange {
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub risk: Risk,
}

/// The workflow's own name, when it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameChange {
    pub before: Value,
    pub after: Value,
}

/// Everything that differs between two workflows, old side to new side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDiff {
    pub name: Option<NameChange>,
    /// Sorted by the node's name.
    pub nodes: Vec<NodeDiff>,
    pub connections: Vec<ConnectionChange>,
    pub settings: Vec<SettingChange>,
    /// The highest risk of every change but the layout; None when nothing else changed.
    pub risk: Option<Risk>,
}

impl WorkflowDiff {
    /// Nothing changed but node positions (which the fingerprint ignores too): empty
    /// exactly when both sides have the same fingerprint.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.connections.is_empty()
            && self.settings.is_empty()
            && self.nodes.iter().all(NodeDiff::is_layout_only)
    }

    /// "renamed · 3 nodes · 2 links · 1 setting" (or "layout only"), for a row in a
    /// list; cosmetic node changes are not counted.
    pub fn brief(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if self.name.is_some() {
            parts.push("renamed".to_owned());
        }
        let nodes = self.visible_nodes(false).count();
        if nodes > 0 {
            parts.push(plural(nodes, "node"));
        }
        if !self.connections.is_empty() {
            parts.push(plural(self.connections.len(), "link"));
        }
        if !self.settings.is_empty() {
            parts.push(plural(self.settings.len(), "setting"));
        }
        if parts.is_empty() {
            parts.push("layout only".to_owned());
        }
        parts.join(" · ")
    }

    /// [`WorkflowDiff::brief`] with the overall risk: "3 nodes · 2 links · HIGH".
    pub fn brief_with_risk(&self) -> String {
        match self.risk {
            Some(risk) => format!("{} · {}", self.brief(), risk.as_str()),
            None => self.brief(),
        }
    }

    /// Node diffs a person sees: cosmetic ones only when asked for.
    pub fn visible_nodes(&self, cosmetic: bool) -> impl Iterator<Item = &NodeDiff> {
        self.nodes.iter().filter(move |n| cosmetic || !n.cosmetic)
    }

    /// How many node diffs are cosmetic only (hidden by default).
    pub fn cosmetic_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.cosmetic).count()
    }

    /// Counts of added, removed, renamed and modified nodes (cosmetic ones included
    /// only when asked for).
    pub fn node_counts(&self, cosmetic: bool) -> NodeCounts {
        let mut c = NodeCounts::default();
        for n in self.visible_nodes(cosmetic) {
            match n.kind {
                NodeChangeKind::Added => c.added += 1,
                NodeChangeKind::Removed => c.removed += 1,
                NodeChangeKind::Renamed => c.renamed += 1,
                NodeChangeKind::Modified => c.modified += 1,
            }
        }
        c
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCounts {
    pub added: usize,
    pub removed: usize,
    pub renamed: usize,
    pub modified: usize,
}
