//! The README's full scenario example stays valid: it is linted like any spec file.

use std::path::Path;

use sn_conform::assets::read_dir_tree;
use sn_conform::catalogue::Catalogue;
use sn_conform::schema_set::SchemaSet;
use sn_conform::spec::load_suite;

#[test]
fn the_readme_example_passes_lint() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("A complete file:\n\n```yaml\n")
        .expect("the README shows a full example");
    let body = &readme[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let example = &body[..body.find("```").unwrap()];

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accept.yaml"), example).unwrap();
    let schemas = SchemaSet::compile(&read_dir_tree(Path::new("schemas"), &["json"]).unwrap())
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let specs = read_dir_tree(dir.path(), &["yaml"]).unwrap();
    let catalogue = Catalogue::from_dir(&read_dir_tree(Path::new("specs"), &["yaml"]).unwrap())
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let suite = load_suite(&specs, &schemas, &catalogue).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(suite.scenarios.len(), 2);
}
