//! `schemas/scenario.schema.json` describes the scenario format: every spec file of the
//! repository meets it and carries the editor modeline, and typical mistakes break it at the
//! right place.

use std::path::Path;

use serde_json::{json, Value};
use sn_conform::schemas::SchemaSet;
use sn_conform::source::assets::read_dir_tree;

const MODELINE: &str = "# yaml-language-server: $schema=../../schemas/scenario.schema.json";

fn schemas() -> SchemaSet {
    SchemaSet::compile(&read_dir_tree(Path::new("schemas"), &["json"]).unwrap()).unwrap()
}

fn merged(text: &str) -> Value {
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    yaml.apply_merge().unwrap();
    serde_json::to_value(yaml).unwrap()
}

#[test]
fn every_spec_file_meets_the_schema_and_names_it() {
    let schemas = schemas();
    let specs = read_dir_tree(Path::new("specs"), &["yaml"]).unwrap();
    let mut checked = 0;
    for file in specs
        .files
        .iter()
        .filter(|f| f.relative != "catalogue.yaml")
    {
        assert!(
            file.text.starts_with(MODELINE),
            "{} lacks the modeline",
            file.display
        );
        let violations = schemas.check("scenario.schema.json", &merged(&file.text));
        assert!(violations.is_empty(), "{}: {violations:#?}", file.display);
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn typical_mistakes_break_the_schema_where_they_are() {
    let schemas = schemas();
    let valid = json!({
        "api": "awa_inbox_actions", "operation": "accept",
        "scenarios": [{
            "name": "accepts", "covers": ["accepted"],
            "steps": [{"name": "s", "request": {"method": "POST", "path": "/api/now/x"}, "expect": {"status": 200}}]
        }]
    });
    assert!(schemas.check("scenario.schema.json", &valid).is_empty());
    let cases = [
        ("/scenarios/0/steps/0/expect/status", json!("ok")),
        ("/scenarios/0/steps/0/request/method", json!("FETCH")),
        ("/scenarios/0/steps/0/request/auth", json!("root")),
        ("/scenarios/0/covers", json!([])),
        ("/scenarios/0/requires", json!(["admin"])),
        ("/variants", json!({"url": ["v2"]})),
    ];
    for (pointer, value) in cases {
        let mut doc = valid.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        doc.pointer_mut(parent).unwrap()[key] = value.clone();
        let violations = schemas.violations("scenario.schema.json", &doc);
        assert!(
            violations.iter().any(|(at, _)| at.starts_with(parent)),
            "{pointer} = {value} was not refused there: {violations:?}"
        );
    }
    // A step with both a request and a record check is refused.
    let mut doc = valid.clone();
    doc["scenarios"][0]["steps"][0]["record"] = json!({"table": "t", "sys_id": "x", "fields": {}});
    assert!(!schemas.violations("scenario.schema.json", &doc).is_empty());
}
