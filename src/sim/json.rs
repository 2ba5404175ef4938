//! Stored JSON and timestamps.
//!
//! Workflow parts (nodes, connections, settings) are kept as serialized JSON text
//! (`RawValue`) behind an `Arc`: a page of 250 workflows is then written by copying
//! bytes instead of re-serializing trees, the text is far smaller than a
//! `serde_json::Value`, and executions share the nodes of the version they ran.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Immutable, shareable JSON text.
pub type Json = Arc<RawValue>;

/// Serializes a value once into shareable JSON text.
pub fn to_json(value: &Value) -> Json {
    match serde_json::value::to_raw_value(value) {
        Ok(raw) => Arc::from(raw),
        // Only maps with non-string keys fail, which a `Value` cannot hold.
        Err(_) => null(),
    }
}

/// JSON `null` as stored text.
pub fn null() -> Json {
    Arc::from(RawValue::NULL.to_owned())
}

/// Parses stored JSON text back into a tree (for rare, non-hot paths).
pub fn parse(json: &RawValue) -> Value {
    serde_json::from_str(json.get()).unwrap_or(Value::Null)
}

/// A timestamp written the way n8n writes them: `2026-11-22T16:40:29.766Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub DateTime<Utc>);

impl Ts {
    pub fn now() -> Self {
        Ts(Utc::now())
    }

    pub fn to_iso(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn plus_ms(self, ms: i64) -> Ts {
        Ts(self.0 + chrono::Duration::milliseconds(ms))
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }
}

/// A JSON object kept member by member as text, in order: lets a write keep
/// exactly what the client sent (numbers digit for digit, key order) while a
/// few members are replaced, as n8n does when it adds node ids.
#[derive(Debug, Default)]
pub struct RawObject(pub Vec<(String, Box<RawValue>)>);

impl RawObject {
    /// Replaces a member in place, or appends it.
    pub fn set(&mut self, key: &str, value: Box<RawValue>) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = RawObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(entry);
                }
                Ok(RawObject(members))
            }
        }
        d.deserialize_map(Members)
    }
}

impl Serialize for RawObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Stores serialized text, or `null` if it cannot be.
pub fn raw_of<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_look_like_n8n() {
        let t = Ts(Utc.with_ymd_and_hms(2026, 11, 22, 16, 40, 29).unwrap()
            + chrono::Duration::milliseconds(766));
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-22T16:40:29.766Z\""
        );
        assert_eq!(t.to_iso(), "2026-11-22T16:40:29.766Z");
    }

    #[test]
    fn raw_objects_keep_text_and_order() {
        let text = r#"{"z":1008.8561536646063,"a":{"b":[1,2]},"id":""}"#;
        let mut o: RawObject = serde_json::from_str(text).unwrap();
        o.set("id", raw_of("new"));
        o.set("extra", raw_of(&true));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"z":1008.8561536646063,"a":{"b":[1,2]},"id":"new","extra":true}"#
        );
    }

    #[test]
    fn raw_json_round_trips() {
        let v = serde_json::json!({"a": [1, 2, {"b": null}]});
        assert_eq!(parse(&to_json(&v)), v);
        assert_eq!(null().get(), "null");
    }
}
