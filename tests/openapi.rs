//! `schemas/openapi.yaml`: it parses as OpenAPI 3.1, every `$ref` resolves (inside the file
//! or into the JSON Schemas beside it), and every operation, method, URL form and status code
//! of the catalogue appears in it.

use std::path::Path;

use serde_json::Value;
use sn_conform::assets::read_dir_tree;
use sn_conform::catalogue::Catalogue;

fn openapi() -> Value {
    let text = std::fs::read_to_string("schemas/openapi.yaml").unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml parses");
    serde_json::to_value(yaml).unwrap()
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The value a `$ref` of openapi.yaml names, if it resolves.
fn resolve(doc: &Value, reference: &str) -> Option<Value> {
    let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let target = if file.is_empty() {
        doc.clone()
    } else {
        let path = Path::new("schemas").join(file);
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?
    };
    target.pointer(fragment).cloned()
}

/// A path item, following its `$ref`.
fn path_item(doc: &Value, url: &str) -> Option<Value> {
    let item = doc["paths"].get(url)?;
    match item.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, r),
        None => Some(item.clone()),
    }
}

#[test]
fn it_is_openapi_3_1_and_every_ref_resolves() {
    let doc = openapi();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50, "only {} $refs", found.len());
    let broken: Vec<&String> = found
        .iter()
        .filter(|r| resolve(&doc, r).is_none())
        .collect();
    assert!(broken.is_empty(), "unresolved $refs: {broken:?}");
    // The response schemas are referenced, never copied: every JSON Schema file of a
    // response body is named by a $ref.
    for file in [
        "error.schema.json",
        "conversation_member/member_result.schema.json",
        "interaction/interaction_result.schema.json",
        "awa_inbox_actions/reject_reasons_result.schema.json",
        "awa_inbox_actions/accept_result.schema.json",
        "awa_inbox_actions/reject_result.schema.json",
        "table/record.schema.json",
        "table/list.schema.json",
    ] {
        assert!(
            found
                .iter()
                .any(|r| r.trim_start_matches("./").starts_with(file)),
            "{file} is not referenced"
        );
    }
}

#[test]
fn every_catalogue_operation_and_status_appears() {
    let doc = openapi();
    let catalogue =
        Catalogue::from_dir(&read_dir_tree(Path::new("specs"), &["yaml"]).unwrap()).unwrap();
    for op in &catalogue.operations {
        for url in &op.urls {
            let item = path_item(&doc, url).unwrap_or_else(|| panic!("{}: no path {url}", op.id()));
            for method in &op.methods {
                let operation = item
                    .get(method.to_ascii_lowercase())
                    .unwrap_or_else(|| panic!("{}: {url} has no {method}", op.id()));
                assert_eq!(
                    operation["x-sn-conform-operation"],
                    op.id().as_str(),
                    "{method} {url}"
                );
                for status in &op.statuses {
                    let code = status.code.to_string();
                    assert!(
                        operation["responses"].get(&code).is_some(),
                        "{}: {method} {url} lacks status {code}",
                        op.id()
                    );
                }
            }
        }
    }
}
