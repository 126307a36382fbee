//! JSON paths and values as messages show them: a JSON pointer as the path form the line
//! index reads (`/scenarios/0/steps/1` is `scenarios[0].steps[1]`), a key's path under its
//! parent, a value's JSON type name, and a value cut short for one line.

use serde_json::Value;

/// `/scenarios/0/steps/1` as `scenarios[0].steps[1]`, the path form of [`super::lines`].
///
/// ```
/// use sn_conform::source::json::pointer_to_path;
/// assert_eq!(pointer_to_path("/scenarios/0/steps/1/a~1b"), "scenarios[0].steps[1].a/b");
/// ```
pub fn pointer_to_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            path = child_path(&path, &segment);
        }
    }
    path
}

/// The path of field `key` under `path` (`result` and `sys_id` give `result.sys_id`).
pub fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON type name of `value`, as JSON Schema names it (`integer` is a `number`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value as compact JSON, cut to a readable length.
pub fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}
