//! Small workflows the end-to-end tests create in a real n8n.
#![allow(dead_code)]

use serde_json::{Value, json};

/// A workflow n8n creates but will not activate: only a manual trigger.
pub fn manual_workflow(name: &str) -> Value {
    json!({
        "name": name,
        "nodes": [
            {
                "name": "When clicking 'Execute workflow'",
                "type": "n8n-nodes-base.manualTrigger",
                "typeVersion": 1,
                "position": [0, 0],
                "parameters": {}
            },
            {
                "name": "Done",
                "type": "n8n-nodes-base.noOp",
                "typeVersion": 1,
                "position": [220, 0],
                "parameters": {}
            }
        ],
        "connections": {
            "When clicking 'Execute workflow'": {
                "main": [[{"node": "Done", "type": "main", "index": 0}]]
            }
        },
        "settings": {}
    })
}
