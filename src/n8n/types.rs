//! What the public API returns, as serde types tolerant to extra fields,
//! ids given as numbers, and timestamps that do not parse.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    pub name: String,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub is_pending: bool,
    /// `global:owner`, `global:admin`, `global:member`.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Credential metadata; n8n never returns the secret data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An execution; `data` is present only when asked for (`includeData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default, deserialize_with = "id_string_or_empty")]
    pub workflow_id: String,
    #[serde(default)]
    pub status: ExecutionStatus,
    /// `manual`, `trigger`, `webhook`, `retry`, ...
    #[serde(default, deserialize_with = "string_or_empty")]
    pub mode: String,
    #[serde(default)]
    pub finished: bool,
    #[serde(default, deserialize_with = "lenient_time")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub stopped_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub wait_till: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_id_string")]
    pub retry_of: Option<String>,
    #[serde(default, deserialize_with = "opt_id_string")]
    pub retry_success_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// Why an execution failed, as far as its data tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionFailure {
    /// The failing node, or else the last node that ran.
    pub node: Option<String>,
    pub message: String,
    pub description: Option<String>,
}

impl Execution {
    /// The failing node and error message from `data.resultData.error`,
    /// falling back to the error of `lastNodeExecuted`'s last run. `None`
    /// without data or without an error in it.
    pub fn failure(&self) -> Option<ExecutionFailure> {
        let result = self.data.as_ref()?.get("resultData")?;
        let last_node = result.get("lastNodeExecuted").and_then(Value::as_str);
        let last_run_error = || {
            result
                .get("runData")?
                .get(last_node?)?
                .as_array()?
                .last()?
                .get("error")
        };
        let error = result
            .get("error")
            .filter(|e| e.is_object())
            .or_else(last_run_error)?;
        let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
        let node = match error.get("node") {
            Some(Value::String(name)) => Some(name.clone()),
            Some(node) => node.get("name").and_then(Value::as_str).map(str::to_owned),
            None => None,
        }
        .or_else(|| last_node.map(str::to_owned));
        Some(ExecutionFailure {
            node,
            message: text("message").unwrap_or_else(|| "unknown error".to_owned()),
            description: text("description"),
        })
    }
}

/// An execution's status; statuses this client does not know are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Option<String>", into = "String")]
pub enum ExecutionStatus {
    Canceled,
    Crashed,
    Error,
    New,
    Running,
    Success,
    #[default]
    Unknown,
    Waiting,
    Other(String),
}

impl ExecutionStatus {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Canceled => "canceled",
            Self::Crashed => "crashed",
            Self::Error => "error",
            Self::New => "new",
            Self::Running => "running",
            Self::Success => "success",
            Self::Unknown => "unknown",
            Self::Waiting => "waiting",
            Self::Other(s) => s,
        }
    }

    /// Whether the execution has ended (it will not change any more).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Canceled | Self::Crashed | Self::Error | Self::Success
        )
    }
}

impl From<Option<String>> for ExecutionStatus {
    fn from(s: Option<String>) -> Self {
        match s.as_deref() {
            Some("canceled") => Self::Canceled,
            Some("crashed") => Self::Crashed,
            Some("error") => Self::Error,
            Some("new") => Self::New,
            Some("running") => Self::Running,
            Some("success") => Self::Success,
            Some("unknown") | None => Self::Unknown,
            Some("waiting") => Self::Waiting,
            Some(_) => Self::Other(s.unwrap_or_default()),
        }
    }
}

impl From<ExecutionStatus> for String {
    fn from(s: ExecutionStatus) -> Self {
        s.as_str().to_owned()
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An id given as a JSON string or number, as a string.
pub(crate) fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_id_string(d)?.ok_or_else(|| de::Error::custom("id is null"))
}

fn id_string_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_id_string(d)?.unwrap_or_default())
}

pub(crate) fn opt_id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct IdVisitor;
    impl<'de> Visitor<'de> for IdVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an id as a string or a number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(IdVisitor)
}

/// A string, with null read as empty.
fn string_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A timestamp; null, a missing field or one that does not parse is `None`
/// rather than a failure of the whole record.
pub(crate) fn lenient_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => parse_time(&s),
        _ => None,
    })
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn execution_tolerates_numbers_nulls_and_extra_fields() {
        let e: Execution = serde_json::from_value(json!({
            "id": 1000, "workflowId": 42, "status": "error", "mode": "trigger",
            "finished": false, "startedAt": "2025-01-02T03:04:05.678Z",
            "stoppedAt": null, "waitTill": "garbage", "retryOf": "999",
            "retrySuccessId": null, "customData": {}, "addedIn2x": [1, 2]
        }))
        .unwrap();
        assert_eq!(e.id, "1000");
        assert_eq!(e.workflow_id, "42");
        assert_eq!(e.status, ExecutionStatus::Error);
        assert_eq!(e.retry_of.as_deref(), Some("999"));
        assert_eq!(e.stopped_at, None);
        assert_eq!(e.wait_till, None);
        assert_eq!(
            e.started_at.map(|t| t.timestamp_millis()),
            Some(1_735_787_045_678)
        );
        assert!(e.data.is_none());
    }

    #[test]
    fn execution_round_trips_through_serde() {
        let e: Execution = serde_json::from_value(json!({
            "id": "7", "workflowId": "w1", "status": "queued", "mode": "manual",
            "finished": true, "startedAt": "2025-01-02T03:04:05Z", "data": {"a": 1}
        }))
        .unwrap();
        assert_eq!(e.status, ExecutionStatus::Other("queued".into()));
        let back: Execution = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn execution_status_defaults_and_names() {
        let e: Execution = serde_json::from_value(json!({"id": "1", "status": null})).unwrap();
        assert_eq!(e.status, ExecutionStatus::Unknown);
        assert_eq!(ExecutionStatus::Canceled.to_string(), "canceled");
        assert!(ExecutionStatus::Success.is_final() && !ExecutionStatus::Waiting.is_final());
    }

    #[test]
    fn failure_from_result_data_error() {
        let e: Execution = serde_json::from_value(json!({
            "id": "1", "status": "error",
            "data": {"resultData": {
                "lastNodeExecuted": "HTTP Request",
                "error": {"message": "Bad gateway", "description": "502 from upstream",
                          "node": {"name": "HTTP Request", "type": "n8n-nodes-base.httpRequest"}},
                "runData": {}
            }}
        }))
        .unwrap();
        assert_eq!(
            e.failure(),
            Some(ExecutionFailure {
                node: Some("HTTP Request".into()),
                message: "Bad gateway".into(),
                description: Some("502 from upstream".into()),
            })
        );
    }

    #[test]
    fn failure_falls_back_to_last_node_run() {
        let e: Execution = serde_json::from_value(json!({
            "id": "1", "status": "error",
            "data": {"resultData": {
                "lastNodeExecuted": "Code",
                "runData": {"Code": [{"error": {"message": "boom"}}]}
            }}
        }))
        .unwrap();
        let failure = e.failure().unwrap();
        assert_eq!(failure.node.as_deref(), Some("Code"));
        assert_eq!(failure.message, "boom");
    }

    #[test]
    fn no_failure_without_data_or_error() {
        let ok: Execution = serde_json::from_value(json!({
            "id": "1", "data": {"resultData": {"lastNodeExecuted": "Code", "runData": {"Code": [{}]}}}
        }))
        .unwrap();
        assert_eq!(ok.failure(), None);
        let bare: Execution = serde_json::from_value(json!({"id": "1", "data": "odd"})).unwrap();
        assert_eq!(bare.failure(), None);
    }

    #[test]
    fn tags_users_credentials_accept_numeric_ids_and_extras() {
        let t: Tag =
            serde_json::from_value(json!({"id": 3, "name": "prod", "usageCount": 2})).unwrap();
        assert_eq!(t.id, "3");
        let u: User = serde_json::from_value(json!({
            "id": "u1", "email": "a@b.c", "firstName": null, "role": "global:owner", "extra": true
        }))
        .unwrap();
        assert_eq!(u.role.as_deref(), Some("global:owner"));
        let c: Credential = serde_json::from_value(json!({
            "id": "c1", "name": "GitHub", "type": "githubApi", "isManaged": false
        }))
        .unwrap();
        assert_eq!(c.kind, "githubApi");
        assert!(serde_json::from_value::<Tag>(json!({"id": null, "name": "x"})).is_err());
    }
}
