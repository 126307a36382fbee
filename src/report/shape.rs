//! The shape of an answer body: each field path and its JSON type, recorded with every
//! exchange so that two runs can be compared for drift without parsing bodies again.
//!
//! Paths join object keys with `.` and stand for every item of an array with `[]`:
//! `{"result": [{"sys_id": "…"}]}` has the shape `result: array`, `result[]: object`,
//! `result[].sys_id: string`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::source::json::{child_path, type_name};

/// Field path to JSON type name.
pub type Shape = BTreeMap<String, String>;

/// Paths deeper than this are not recorded: answers of these APIs are shallow, and a
/// pathological body must not make the report huge.
const MAX_DEPTH: usize = 8;
/// At most this many paths per answer, for the same reason.
const MAX_PATHS: usize = 400;

/// The shape of `body`. An array's items are merged: a path some item has is in the shape;
/// where items disagree on a type, the first item's type is kept.
pub fn shape_of(body: &Value) -> Shape {
    let mut shape = Shape::new();
    walk(body, "", 0, &mut shape);
    shape
}

fn walk(value: &Value, path: &str, depth: usize, shape: &mut Shape) {
    if shape.len() >= MAX_PATHS {
        return;
    }
    if !path.is_empty() {
        shape
            .entry(path.to_string())
            .or_insert_with(|| type_name(value).to_string());
    }
    if depth >= MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                walk(child, &child_path(path, key), depth + 1, shape);
            }
        }
        Value::Array(items) => {
            let child_path = format!("{path}[]");
            for item in items {
                walk(item, &child_path, depth + 1, shape);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_join_keys_and_merge_array_items() {
        let shape = shape_of(&json!({
            "result": [{"sys_id": "a", "order": 1}, {"sys_id": "b", "extra": null}],
            "status": "ok"
        }));
        let expected: Vec<(&str, &str)> = vec![
            ("result", "array"),
            ("result[]", "object"),
            ("result[].extra", "null"),
            ("result[].order", "number"),
            ("result[].sys_id", "string"),
            ("status", "string"),
        ];
        let got: Vec<(&str, &str)> = shape
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_scalar_body_has_no_paths_and_deep_bodies_are_cut() {
        assert!(shape_of(&json!("text")).is_empty());
        let mut deep = json!(1);
        for _ in 0..20 {
            deep = json!({ "a": deep });
        }
        let shape = shape_of(&deep);
        assert_eq!(shape.len(), MAX_DEPTH);
    }
}
