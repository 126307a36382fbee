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
        let violations = schemas.violations(name, &json);
        if !violations.is_empty() {
            return Err(violations
                .into_iter()
                .map(|(pointer, message)| {
                    let path = pointer_to_path(&pointer);
                    let shown = if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path}: ")
                    };
                    // An unexpected key is best shown on its own line.
                    let line = unexpected_key(&message).map_or_else(
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

/// `/scenarios/0/steps/1` as `scenarios[0].steps[1]`, the index's path form.
fn pointer_to_path(pointer: &str) -> String {
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
