//! Reading one YAML file of `specs/` into raw types, with every error located by line.
//!
//! Merge keys (`<<: *anchor`) are applied first, then the merged value is checked against a
//! JSON Schema when one is given (the scenario format), then deserialized; the path of a
//! structural error (from serde_path_to_error or the schema's instance path) is mapped back to
//! a line through the [`LineIndex`].

use serde::de::DeserializeOwned;

use super::lines::LineIndex;
use super::SpecError;
use crate::assets::AssetFile;
use crate::schema_set::SchemaSet;

/// Parses `file` as `T`; `schema` names a schema of `schemas` the merged document must meet.
pub fn parse<T: DeserializeOwned>(
    file: &AssetFile,
    lines: &LineIndex,
    schema: Option<(&SchemaSet, &str)>,
) -> Result<T, Vec<SpecError>> {
    let error = |line: usize, message: String| SpecError {
        file: file.display.clone(),
        line,
        message,
    };
    let mut value: serde_yaml::Value = serde_yaml::from_str(&file.text).map_err(|e| {
        vec![error(
            e.location().map_or(1, |l| l.line()),
            yaml_message(&e),
        )]
    })?;
    value.apply_merge().map_err(|e| {
        vec![error(
            1,
            format!("cannot apply a merge key: {}", yaml_message(&e)),
        )]
    })?;
    if let Some((schemas, name)) = schema {
        let json = serde_json::to_value(&value)
            .map_err(|e| vec![error(1, format!("not representable as JSON: {e}"))])?;
        let mut violations = schemas.violations(name, &json);
        // One mistake, one message: a `oneOf` that failed because of a precise mistake
        // (an unknown key, a wrong type) repeats it as a dump of the whole node; drop those
        // whenever a precise message is there.
        let is_dump = |m: &str| {
            m.starts_with('{') || m.starts_with('[') || m.contains("is not valid under any of")
        };
        if violations.iter().any(|(_, m)| !is_dump(m)) {
            violations.retain(|(_, m)| !is_dump(m));
        }
        let vocabulary = schemas.property_names(name);
        if !violations.is_empty() {
            return Err(violations
                .into_iter()
                .map(|(pointer, message)| {
                    // An unknown key: say which, and the known key it is closest to.
                    let message = match unexpected_key(&message) {
                        Some(key) => format!(
                            "unknown key `{key}`{}",
                            crate::suggest::hint(key, vocabulary.iter().map(String::as_str))
                        ),
                        // A dump is all the schema says; a malformed matcher can say more.
                        None if is_dump(&message) => json
                            .pointer(&pointer)
                            .and_then(|node| super::matcher::validate(node, "$").err())
                            .map_or_else(
                                || match json.pointer(&pointer) {
                                    // The whole file: say what it must be.
                                    Some(root) if pointer.is_empty() && !root.is_object() => {
                                        format!(
                                            "the file holds a list or a value ({}), where a map of keys ({}) belongs",
                                            crate::report::shape::type_name(root),
                                            vocabulary_top(schemas, name)
                                        )
                                    }
                                    node => format!(
                                        "{} is not valid here",
                                        node.map_or_else(
                                            || "this value".into(),
                                            super::matcher::short
                                        )
                                    ),
                                },
                                |e| e.trim_start_matches("$: ").to_string(),
                            ),
                        None => message,
                    };
                    let path = pointer_to_path(&pointer);
                    let shown = if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path}: ")
                    };
                    // An unknown key is best shown on its own line.
                    let line = message
                        .strip_prefix("unknown key `")
                        .and_then(|rest| rest.split('`').next())
                        .map_or_else(
                            || lines.line(&path),
                            |key| lines.line(&join_path(&path, key)),
                        );
                    error(line, format!("{shown}{message} ({name})"))
                })
                .collect());
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = yaml_message(e.inner());
        // An unknown key is best shown on its own line, when the index has it.
        let line = unknown_field(&message)
            .map(|field| join_path(&path, field))
            .map_or_else(|| lines.line(&path), |p| lines.line(&p));
        let shown = if path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        vec![error(line, format!("{shown}{message}"))]
    })
}

/// The top-level keys schema `name` allows, for a file that is not a map at all.
fn vocabulary_top(schemas: &crate::schema_set::SchemaSet, name: &str) -> String {
    schemas.top_level_keys(name).join(", ")
}

/// `/scenarios/0/steps/1` as `scenarios[0].steps[1]`, the index's path form.
pub(crate) fn pointer_to_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            path = join_path(&path, &segment);
        }
    }
    path
}

/// The first key named by jsonschema's "Additional properties are not allowed ('k' was
/// unexpected)".
fn unexpected_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("Additional properties are not allowed ('")?;
    rest.split('\'').next()
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// serde_yaml's message without its trailing position (the line is reported separately).
fn yaml_message(error: &serde_yaml::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pointers_become_index_paths() {
        assert_eq!(
            super::pointer_to_path("/scenarios/0/steps/12/request"),
            "scenarios[0].steps[12].request"
        );
        assert_eq!(super::pointer_to_path(""), "");
    }
}
