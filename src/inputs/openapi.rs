//! Checks of `schemas/openapi.yaml` against the rest of the project: it is OpenAPI 3.1, every
//! `$ref` resolves (inside the file, or into the JSON Schemas beside it), and every operation,
//! method, URL form and status code of the catalogue appears in it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::source::assets::{AssetDir, AssetFile};
use crate::spec::catalogue::Catalogue;

/// Every problem found, one line each, prefixed with the file.
pub fn check(openapi: &AssetFile, schemas: &AssetDir, catalogue: &Catalogue) -> Vec<String> {
    let at = |message: String| format!("{}: {message}", openapi.display);
    let doc: Value = match serde_yaml::from_str::<serde_yaml::Value>(&openapi.text)
        .map_err(|e| e.to_string())
        .and_then(|y| serde_json::to_value(y).map_err(|e| e.to_string()))
    {
        Ok(doc) => doc,
        Err(e) => return vec![at(format!("does not parse: {e}"))],
    };
    let mut problems = Vec::new();
    if !doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1"))
    {
        problems.push(at("`openapi` must be 3.1.x".into()));
    }
    let files: BTreeMap<&str, &str> = schemas
        .files
        .iter()
        .map(|f| (f.relative.as_str(), f.text.as_str()))
        .collect();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for reference in &refs {
        if resolve(&doc, &files, reference).is_none() {
            problems.push(at(format!("`$ref: {reference}` does not resolve")));
        }
    }
    for op in &catalogue.operations {
        for url in &op.urls {
            let Some(item) = path_item(&doc, &files, url) else {
                problems.push(at(format!("{}: no path {url}", op.id())));
                continue;
            };
            for method in &op.methods {
                let Some(operation) = item.get(method.to_ascii_lowercase()) else {
                    problems.push(at(format!("{}: {url} has no {method}", op.id())));
                    continue;
                };
                if operation["x-sn-conform-operation"] != op.id().as_str() {
                    problems.push(at(format!(
                        "{method} {url}: x-sn-conform-operation is not {}",
                        op.id()
                    )));
                }
                for status in &op.statuses {
                    if operation["responses"]
                        .get(status.code.to_string())
                        .is_none()
                    {
                        problems.push(at(format!(
                            "{}: {method} {url} lacks status {}",
                            op.id(),
                            status.code
                        )));
                    }
                }
            }
        }
    }
    problems
}

/// Every `$ref` string of the document.
pub fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The value a `$ref` names: `#/pointer` inside the document, `file.json#/pointer` in the
/// schema files.
fn resolve(doc: &Value, files: &BTreeMap<&str, &str>, reference: &str) -> Option<Value> {
    let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let target = if file.is_empty() {
        doc.clone()
    } else {
        let text = files.get(file.trim_start_matches("./"))?;
        serde_json::from_str(text).ok()?
    };
    target.pointer(fragment).cloned()
}

/// A path item, following its `$ref`.
fn path_item(doc: &Value, files: &BTreeMap<&str, &str>, url: &str) -> Option<Value> {
    let item = doc["paths"].get(url)?;
    match item.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, files, r),
        None => Some(item.clone()),
    }
}
