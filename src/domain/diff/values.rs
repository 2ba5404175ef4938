//! Differences between two JSON values, each with the path of the value that changed:
//! `options.timeout`, `rules.values[2].outputKey`, `headers["Content-Type"]`.

use crate::domain::normalize::canonical_json;
use serde_json::Value;
use similar::{Algorithm, DiffTag, capture_diff_slices};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// One changed value; None where it is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDiff {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Appends to `out` every difference between `a` and `b`, with paths under `path`.
/// Objects are compared key by key, arrays element by element (aligned by a diff of
/// their elements when their lengths differ); anything else is compared whole.
pub fn diff_values(
    path: &mut String,
    a: Option<&Value>,
    b: Option<&Value>,
    out: &mut Vec<ValueDiff>,
) {
    match (a, b) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let len = path.len();
                push_key(path, key);
                diff_values(path, a.get(key), b.get(key), out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => diff_arrays(path, a, b, out),
        (None, None) => {}
        (a, b) => out.push(ValueDiff {
            path: path.clone(),
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

fn diff_arrays(path: &mut String, a: &[Value], b: &[Value], out: &mut Vec<ValueDiff>) {
    let mut at = |path: &mut String, i: usize, x: Option<&Value>, y: Option<&Value>| {
        let len = path.len();
        push_index(path, i);
        diff_values(path, x, y, out);
        path.truncate(len);
    };
    if a.len() == b.len() {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            at(path, i, Some(x), Some(y));
        }
        return;
    }
    // Lengths differ: align equal elements so one insertion is one change, not a shift.
    let ha: Vec<u64> = a.iter().map(value_hash).collect();
    let hb: Vec<u64> = b.iter().map(value_hash).collect();
    for op in capture_diff_slices(Algorithm::Myers, &ha, &hb) {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {}
            DiffTag::Delete => {
                for i in old {
                    at(path, i, Some(&a[i]), None);
                }
            }
            DiffTag::Insert => {
                for j in new {
                    at(path, j, None, Some(&b[j]));
                }
            }
            DiffTag::Replace => {
                let paired = old.len().min(new.len());
                for k in 0..paired {
                    at(
                        path,
                        new.start + k,
                        Some(&a[old.start + k]),
                        Some(&b[new.start + k]),
                    );
                }
                for (i, x) in a.iter().enumerate().take(old.end).skip(old.start + paired) {
                    at(path, i, Some(x), None);
                }
                for (j, y) in b.iter().enumerate().take(new.end).skip(new.start + paired) {
                    at(path, j, None, Some(y));
                }
            }
        }
    }
}

fn value_hash(value: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    match value {
        Value::String(s) => s.hash(&mut h),
        other => canonical_json(other).hash(&mut h),
    }
    h.finish()
}

/// `.key`, or `["key"]` for a key that is not a plain identifier.
pub fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Value::String(key.to_owned()).to_string());
        path.push(']');
    }
}

fn push_index(path: &mut String, i: usize) {
    path.push('[');
    path.push_str(&i.to_string());
    path.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diffs(a: Value, b: Value) -> Vec<(String, Option<Value>, Option<Value>)> {
        let mut out = Vec::new();
        diff_values(&mut "parameters".into(), Some(&a), Some(&b), &mut out);
        out.into_iter()
            .map(|d| (d.path, d.before, d.after))
            .collect()
    }

    #[test]
    fn paths_name_each_changed_leaf() {
        let d = diffs(
            json!({"url": "a", "options": {"timeout": 1, "keep": true}, "Content-Type": "x"}),
            json!({"url": "b", "options": {"timeout": 2, "keep": true}, "new": 1}),
        );
        assert_eq!(
            d,
            vec![
                (
                    "parameters[\"Content-Type\"]".into(),
                    Some(json!("x")),
                    None
                ),
                ("parameters.new".into(), None, Some(json!(1))),
                (
                    "parameters.options.timeout".into(),
                    Some(json!(1)),
                    Some(json!(2))
                ),
                ("parameters.url".into(), Some(json!("a")), Some(json!("b"))),
            ]
        );
    }

    #[test]
    fn an_inserted_array_element_is_one_change() {
        let d = diffs(
            json!({"rules": [{"k": 1}, {"k": 2}, {"k": 3}]}),
            json!({"rules": [{"k": 0}, {"k": 1}, {"k": 2}, {"k": 3}]}),
        );
        assert_eq!(
            d,
            vec![("parameters.rules[0]".into(), None, Some(json!({"k": 0})))]
        );
        let d = diffs(json!([1, 2]), json!([1, 3]));
        assert_eq!(
            d,
            vec![("parameters[1]".into(), Some(json!(2)), Some(json!(3)))]
        );
        let d = diffs(json!([1, 2, 3]), json!([1, 9]));
        assert_eq!(d.len(), 2, "{d:?}");
    }

    #[test]
    fn type_changes_are_whole() {
        let d = diffs(json!({"a": [1]}), json!({"a": "x"}));
        assert_eq!(
            d,
            vec![("parameters.a".into(), Some(json!([1])), Some(json!("x")))]
        );
    }
}
