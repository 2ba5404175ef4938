//! The risk of a change.
//!
//! - LOW: a rename and nothing else; cosmetic changes (positions, notes, sticky notes).
//! - MEDIUM: error handling, node and workflow settings, type versions, disabling a node,
//!   parameters of ordinary nodes, adding or removing an ordinary node.
//! - HIGH: credentials, expressions (`={{ }}`), webhook ids, node types, routing
//!   (connections, IF, Switch, Filter), and any other change to a trigger, HTTP request
//!   or code node.

use super::model::{Field, Risk, Why};
use crate::domain::workflow::is_trigger_type;
use serde_json::Value;

/// What kind of node a change touches, as far as risk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeClass {
    Trigger,
    HttpRequest,
    Code,
    Routing,
    /// A canvas annotation: everything about it is cosmetic.
    StickyNote,
    Plain,
}

impl NodeClass {
    pub fn of(node_type: &str) -> NodeClass {
        let short = node_type.rsplit('.').next().unwrap_or(node_type);
        match short {
            "stickyNote" => NodeClass::StickyNote,
            "if" | "switch" | "filter" => NodeClass::Routing,
            "code" | "function" | "functionItem" | "executeCommand" | "toolCode" | "ssh" => {
                NodeClass::Code
            }
            s if s.starts_with("httpRequest") || s == "toolHttpRequest" => NodeClass::HttpRequest,
            s if is_trigger_type(s) => NodeClass::Trigger,
            _ => NodeClass::Plain,
        }
    }

    /// The reason any behavioural change to such a node is HIGH, if it is.
    fn high(self) -> Option<Why> {
        match self {
            NodeClass::Trigger => Some(Why::Trigger),
            NodeClass::HttpRequest => Some(Why::HttpRequest),
            NodeClass::Code => Some(Why::Code),
            NodeClass::Routing => Some(Why::Routing),
            NodeClass::StickyNote | NodeClass::Plain => None,
        }
    }
}

/// n8n evaluates a parameter string that starts with `=` as an expression.
pub fn is_expression(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.starts_with('='))
}

/// Whether a value holds an expression anywhere (for values added or removed whole).
pub fn has_expression(value: &Value) -> bool {
    match value {
        Value::String(_) => is_expression(value),
        Value::Array(items) => items.iter().any(has_expression),
        Value::Object(map) => map.values().any(has_expression),
        _ => false,
    }
}

/// Which field a top-level node property is.
pub fn field_of(key: &str) -> Field {
    match key {
        "name" => Field::Name,
        "type" => Field::Type,
        "typeVersion" => Field::TypeVersion,
        "parameters" => Field::Parameter,
        "credentials" => Field::Credentials,
        "disabled" => Field::Disabled,
        "onError" | "continueOnFail" | "retryOnFail" | "maxTries" | "waitBetweenTries" => {
            Field::ErrorHandling
        }
        "alwaysOutputData" | "executeOnce" => Field::NodeSetting,
        "webhookId" => Field::WebhookId,
        "notes" | "notesInFlow" => Field::Notes,
        "position" => Field::Position,
        _ => Field::Other,
    }
}

/// The risk of one changed value of a node of class `class`, and whether it is cosmetic.
pub fn field_risk(
    class: NodeClass,
    field: Field,
    before: Option<&Value>,
    after: Option<&Value>,
) -> (Risk, Why, bool) {
    if class == NodeClass::StickyNote {
        return (Risk::Low, Why::Cosmetic, true);
    }
    let escalate = |why: Why| match class.high() {
        Some(high) => (Risk::High, high, false),
        None => (Risk::Medium, why, false),
    };
    match field {
        Field::Position | Field::Notes => (Risk::Low, Why::Cosmetic, true),
        Field::Name => (Risk::Low, Why::Rename, false),
        Field::Credentials => (Risk::High, Why::Credential, false),
        Field::WebhookId => (Risk::High, Why::Webhook, false),
        Field::Type => (Risk::High, Why::NodeType, false),
        Field::ErrorHandling => (Risk::Medium, Why::ErrorHandling, false),
        Field::NodeSetting => (Risk::Medium, Why::NodeSetting, false),
        Field::Parameter => {
            let expression =
                before.is_some_and(has_expression) || after.is_some_and(has_expression);
            if expression {
                (Risk::High, Why::Expression, false)
            } else {
                escalate(Why::Parameter)
            }
        }
        Field::TypeVersion => escalate(Why::Version),
        Field::Disabled => escalate(Why::Disabled),
        Field::Other => escalate(Why::Parameter),
    }
}

/// The risk of adding or removing a whole node, and whether it is cosmetic.
pub fn node_risk(class: NodeClass, node: &Value) -> (Risk, Why, bool) {
    if class == NodeClass::StickyNote {
        return (Risk::Low, Why::Cosmetic, true);
    }
    if let Some(why) = class.high() {
        return (Risk::High, why, false);
    }
    let has_credentials = node
        .get("credentials")
        .and_then(Value::as_object)
        .is_some_and(|c| !c.is_empty());
    if has_credentials {
        return (Risk::High, Why::Credential, false);
    }
    if node.get("parameters").is_some_and(has_expression) {
        return (Risk::High, Why::Expression, false);
    }
    (Risk::Medium, Why::Node, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_classes() {
        assert_eq!(NodeClass::of("n8n-nodes-base.webhook"), NodeClass::Trigger);
        assert_eq!(
            NodeClass::of("@n8n/n8n-nodes-langchain.chatTrigger"),
            NodeClass::Trigger
        );
        assert_eq!(
            NodeClass::of("n8n-nodes-base.httpRequest"),
            NodeClass::HttpRequest
        );
        assert_eq!(
            NodeClass::of("n8n-nodes-base.httpRequestTool"),
            NodeClass::HttpRequest
        );
        assert_eq!(NodeClass::of("n8n-nodes-base.code"), NodeClass::Code);
        assert_eq!(NodeClass::of("n8n-nodes-base.switch"), NodeClass::Routing);
        assert_eq!(
            NodeClass::of("n8n-nodes-base.stickyNote"),
            NodeClass::StickyNote
        );
        assert_eq!(NodeClass::of("n8n-nodes-base.slack"), NodeClass::Plain);
    }

    #[test]
    fn parameter_risk_follows_expressions_and_node_class() {
        let plain = |b: Value, a: Value| {
            field_risk(NodeClass::Plain, Field::Parameter, Some(&b), Some(&a)).0
        };
        assert_eq!(plain(json!("a"), json!("b")), Risk::Medium);
        assert_eq!(plain(json!("a"), json!("={{ $json.x }}")), Risk::High);
        assert_eq!(plain(json!({"x": "={{1}}"}), json!(null)), Risk::High);
        let http = field_risk(
            NodeClass::HttpRequest,
            Field::Parameter,
            Some(&json!(1)),
            Some(&json!(2)),
        );
        assert_eq!(http, (Risk::High, Why::HttpRequest, false));
        let onerror = field_risk(NodeClass::Code, Field::ErrorHandling, None, None);
        assert_eq!(onerror.0, Risk::Medium);
        let sticky = field_risk(NodeClass::StickyNote, Field::Parameter, None, None);
        assert_eq!(sticky, (Risk::Low, Why::Cosmetic, true));
    }

    #[test]
    fn whole_node_risk() {
        let slack =
            json!({"type": "n8n-nodes-base.slack", "credentials": {"slackApi": {"name": "x"}}});
        assert_eq!(node_risk(NodeClass::Plain, &slack).1, Why::Credential);
        let set = json!({"type": "n8n-nodes-base.set", "parameters": {"v": 1}});
        assert_eq!(node_risk(NodeClass::Plain, &set).0, Risk::Medium);
        assert_eq!(node_risk(NodeClass::Trigger, &set).0, Risk::High);
    }
}
