//! Seed data: records a team loads into the mock at start (`sn-conform mock --seed FILE`), so
//! that it develops against its own channels, reasons, agents and work items. One list per
//! table; every value is a string (numbers and booleans become their text); a `sys_id` given
//! as 32 lowercase hex characters is kept, so seed records can refer to each other.
//!
//! ```yaml
//! awa_service_channel:
//!   - {sys_id: 0123456789abcdef0123456789abcdef, name: Chat}
//! awa_reject_reason:
//!   - {reason: Busy, order: 1, service_channel: 0123456789abcdef0123456789abcdef}
//! ```
//!
//! A table the mock does not have, or a field its table does not define, is refused with the
//! file and line.

use serde_json::{Map, Value};

use super::dictionary::Dictionary;
use crate::source::lines::LineIndex;
use crate::source::SourceError;

/// The records of a seed file, in file order: (table, fields).
pub type Seed = Vec<(String, Map<String, Value>)>;

/// Reads and checks the seed file at `path`.
pub fn load(path: &std::path::Path, dictionary: &Dictionary) -> Result<Seed, Vec<SourceError>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![SourceError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read the seed file: {e}"),
        }]
    })?;
    parse(&file, &text, dictionary)
}

/// [`load`] on text already read.
pub fn parse(file: &str, text: &str, dictionary: &Dictionary) -> Result<Seed, Vec<SourceError>> {
    let lines = LineIndex::new(text);
    let error = |path: &str, message: String| SourceError {
        file: file.to_string(),
        line: lines.line(path),
        message,
    };
    let document: Value = match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Null) => return Ok(Vec::new()),
        Ok(value) => serde_json::to_value(value).map_err(|e| vec![error("", e.to_string())])?,
        Err(e) => {
            return Err(vec![SourceError {
                file: file.to_string(),
                line: e.location().map_or(1, |l| l.line()),
                message: format!("not YAML: {e}"),
            }])
        }
    };
    let Value::Object(tables) = document else {
        return Err(vec![error(
            "",
            "a seed file maps table names to lists of records".into(),
        )]);
    };
    let mut errors = Vec::new();
    let mut seed = Vec::new();
    for (table, records) in tables {
        let Some(fields) = dictionary.fields_of(&table) else {
            errors.push(error(&table, format!("the mock has no table `{table}`")));
            continue;
        };
        let Value::Array(records) = records else {
            errors.push(error(
                &table,
                format!("`{table}` must be a list of records"),
            ));
            continue;
        };
        for (i, record) in records.into_iter().enumerate() {
            let path = format!("{table}[{i}]");
            let Value::Object(record) = record else {
                errors.push(error(&path, "a record is a map of field to value".into()));
                continue;
            };
            for (field, value) in &record {
                if !fields.contains(&field.as_str()) {
                    errors.push(error(
                        &format!("{path}.{field}"),
                        format!(
                            "{table} has no field `{field}`{}; its fields: {}",
                            crate::source::suggest::hint(field, fields.iter().copied()),
                            fields.join(", ")
                        ),
                    ));
                }
                if value.is_object() || value.is_array() {
                    errors.push(error(
                        &format!("{path}.{field}"),
                        "a field's value is a string, a number or a boolean".into(),
                    ));
                }
            }
            if let Some(id) = record.get("sys_id") {
                if !id.as_str().is_some_and(crate::platform::sys_id::is_sys_id) {
                    errors.push(error(
                        &format!("{path}.sys_id"),
                        "a sys_id is 32 lowercase hex characters".into(),
                    ));
                }
            }
            seed.push((table.clone(), record));
        }
    }
    if errors.is_empty() {
        Ok(seed)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_and_mistakes_named_with_their_lines() {
        let dictionary = Dictionary::built_in();
        let seed = parse(
            "seed.yaml",
            "awa_service_channel:\n  - {sys_id: 0123456789abcdef0123456789abcdef, name: Chat}\nawa_reject_reason:\n  - {reason: Busy, order: 1}\n",
            &dictionary,
        )
        .unwrap();
        assert_eq!(seed.len(), 2);
        assert_eq!(seed[1].1["order"], 1);

        let errors = parse(
            "seed.yaml",
            "awa_service_channel:\n  - {name: Chat}\n  - {nmae: Email}\nno_table:\n  - {a: b}\n",
            &dictionary,
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|e| e.starts_with("seed.yaml:3:")
                && e.contains("no field `nmae` (did you mean `name`?)")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|e| e.starts_with("seed.yaml:4:") && e.contains("no table `no_table`")),
            "{text:?}"
        );
    }
}
