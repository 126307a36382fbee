//! `schemas/openapi.yaml`: it parses as OpenAPI 3.1, every `$ref` resolves (inside the file
//! or into the JSON Schemas beside it), and every operation, method, URL form and status code
//! of the catalogue appears in it.

use std::path::Path;

use serde_json::Value;
use sn_conform::inputs::openapi::check;
use sn_conform::source::assets::{read_dir_tree, AssetFile};
use sn_conform::spec::catalogue::Catalogue;

fn openapi() -> Value {
    let text = std::fs::read_to_string("schemas/openapi.yaml").unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml parses");
    serde_json::to_value(yaml).unwrap()
}

#[test]
fn it_is_openapi_3_1_with_basic_and_bearer_and_refers_to_every_response_schema() {
    let doc = openapi();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let mut found = Vec::new();
    sn_conform::inputs::openapi::collect_refs(&doc, &mut found);
    assert!(found.len() > 50, "only {} $refs", found.len());
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

fn inputs() -> (AssetFile, sn_conform::source::assets::AssetDir, Catalogue) {
    let openapi = sn_conform::source::assets::openapi(Some(Path::new("schemas")))
        .unwrap()
        .expect("schemas/openapi.yaml");
    let schemas = read_dir_tree(Path::new("schemas"), &["json"]).unwrap();
    let catalogue =
        Catalogue::from_dir(&read_dir_tree(Path::new("specs"), &["yaml"]).unwrap()).unwrap();
    (openapi, schemas, catalogue)
}

#[test]
fn every_ref_resolves_and_every_catalogue_operation_and_status_appears() {
    let (openapi, schemas, catalogue) = inputs();
    let problems = check(&openapi, &schemas, &catalogue);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_broken_ref_or_a_missing_status_is_found() {
    let (mut openapi, schemas, catalogue) = inputs();
    openapi.text = openapi
        .text
        .replacen("./awa_inbox_actions/accept_result.schema.json", "./awa_inbox_actions/acept_result.schema.json", 1)
        .replacen("\"404\": {$ref: \"#/components/responses/NotFound\"}\n          \"500\": {$ref: \"#/components/responses/ServerError\"}\n\n    Accept:", "\"500\": {$ref: \"#/components/responses/ServerError\"}\n\n    Accept:", 1);
    let problems = check(&openapi, &schemas, &catalogue);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("acept_result.schema.json` does not resolve")),
        "{problems:#?}"
    );
    assert!(problems.iter().any(|p| p.contains("awa_inbox_actions/reject_reasons: GET /api/now/awa/inbox/actions/reject_reasons/{channel_id} lacks status 404")), "{problems:#?}");
}

#[test]
fn the_table_parameter_lists_exactly_the_tables_the_mock_serves() {
    let doc = openapi();
    let listed: Vec<&str> = doc["components"]["parameters"]["table"]["schema"]["enum"]
        .as_array()
        .expect("an enum of table names")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let dictionary = sn_conform::mock::Dictionary::built_in();
    let mut served = dictionary.table_names();
    let mut sorted = listed.clone();
    served.sort_unstable();
    sorted.sort_unstable();
    assert_eq!(sorted, served);
}
