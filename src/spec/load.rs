//! Turns raw spec files into validated scenarios, refusing every mistake with its file, line
//! and cause before anything is sent.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::catalogue::{Catalogue, CATALOGUE_FILE};
use super::checker::{is_identifier, is_method, Checker, BUILT_IN_VARS};
use super::model::*;
use super::raw::*;
use super::scope::{self, Declared, Scope};
use crate::schemas::{ListSplit, SchemaSet};
use crate::source::assets::{AssetDir, AssetFile};
use crate::source::lines::LineIndex;
use crate::source::yaml::{self, ListSchema, Schema};
use crate::source::SourceError;

/// The schema every spec file must meet before the deeper checks.
pub const SCENARIO_SCHEMA: &str = "scenario.schema.json";

/// Loads every spec file of `specs` (all but the catalogue) against `schemas` and
/// `catalogue`. Either the whole suite, or every mistake found.
pub fn load_suite(
    specs: &AssetDir,
    schemas: &SchemaSet,
    catalogue: &Catalogue,
) -> Result<Suite, Vec<SourceError>> {
    let mut errors = Vec::new();
    let mut scenarios = Vec::new();
    let mut operations: BTreeMap<(String, String), String> = BTreeMap::new();
    if !schemas.has(SCENARIO_SCHEMA) {
        return Err(vec![SourceError {
            file: specs.origin.clone(),
            line: 0,
            message: format!(
                "the schema directory lacks {SCENARIO_SCHEMA}, which every spec file is checked against"
            ),
        }]);
    }
    let split = schemas
        .split_list(SCENARIO_SCHEMA, "scenarios")
        .map_err(|message| {
            vec![SourceError {
                file: specs.origin.clone(),
                line: 0,
                message,
            }]
        })?;
    let files: Vec<&AssetFile> = specs
        .files
        .iter()
        .filter(|f| f.relative != CATALOGUE_FILE)
        .collect();
    // Each file is read on its own: every other file on a second thread, the results taken
    // in file order.
    let loaded = crate::source::split::map_on_two(&files, |file| {
        load_file(file, schemas, &split, catalogue)
    });
    for (file, result) in files.iter().copied().zip(loaded) {
        match result {
            Ok((api, operation, mut found)) => {
                if let Some(first) =
                    operations.insert((api.clone(), operation.clone()), file.display.clone())
                {
                    errors.push(SourceError {
                        file: file.display.clone(),
                        line: LineIndex::new(&file.text).line("operation"),
                        message: format!(
                            "operation {api}/{operation} is already defined in {first}"
                        ),
                    });
                }
                scenarios.append(&mut found);
            }
            Err(mut found) => errors.append(&mut found),
        }
    }
    if files.is_empty() {
        errors.push(SourceError {
            file: specs.origin.clone(),
            line: 0,
            message: "no spec files (*.yaml) found".into(),
        });
    }
    if errors.is_empty() {
        scenarios
            .sort_by(|a, b| (&a.api, &a.operation, &a.name).cmp(&(&b.api, &b.operation, &b.name)));
        Ok(Suite { scenarios })
    } else {
        Err(errors)
    }
}

/// One spec file: its api, operation and scenarios, or its mistakes. `split` is the scenario
/// schema taken apart at its list of scenarios ([`SchemaSet::split_list`]).
pub fn load_file(
    file: &AssetFile,
    schemas: &SchemaSet,
    split: &ListSplit,
    catalogue: &Catalogue,
) -> Result<(String, String, Vec<Scenario>), Vec<SourceError>> {
    let lines = LineIndex::new(&file.text);
    let (mut raw, scenarios): (RawSpecFile, _) =
        yaml::parse_list(file, &lines, &ScenarioSchema(split))?;
    raw.scenarios = scenarios;
    let mut checker = Checker {
        file,
        lines,
        schema_names: schemas.names(),
        catalogue,
        errors: Vec::new(),
    };
    let scenarios = spec_file(&mut checker, &raw);
    if checker.errors.is_empty() {
        Ok((raw.api, raw.operation, scenarios))
    } else {
        Err(checker.errors)
    }
}

/// The scenario schema as the YAML reader checks spec files against it: where the schema can
/// only say that a value is not valid, a malformed matcher says what is wrong with it.
struct ScenarioSchema<'a, 'b>(&'a ListSplit<'b>);

impl Schema for ScenarioSchema<'_, '_> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn violations(&self, instance: &Value) -> Vec<(String, String)> {
        self.0.violations(instance)
    }

    fn property_names(&self) -> BTreeSet<String> {
        self.0.property_names()
    }

    fn top_level_keys(&self) -> Vec<String> {
        self.0.top_level_keys()
    }

    fn explain(&self, node: &Value) -> Option<String> {
        super::matcher::validate(node, "$").err()
    }
}

impl ListSchema for ScenarioSchema<'_, '_> {
    fn key(&self) -> &str {
        self.0.key()
    }

    fn root_violations(&self, instance: &Value) -> Vec<(String, String)> {
        self.0.root_violations(instance)
    }

    fn item_violations(&self, item: &Value) -> Vec<(String, String)> {
        self.0.item_violations(item)
    }
}

fn spec_file(c: &mut Checker<'_>, raw: &RawSpecFile) -> Vec<Scenario> {
    for (field, value) in [("api", &raw.api), ("operation", &raw.operation)] {
        if !is_identifier(value) {
            c.error(
                field,
                format!("`{field}` must be a lowercase identifier ([a-z0-9_]+), not `{value}`"),
            );
        }
    }
    if c.catalogue.operation(&raw.api, &raw.operation).is_none() {
        c.error(
            "operation",
            format!(
                "{}/{} is not an operation of the catalogue ({})",
                raw.api,
                raw.operation,
                crate::spec::catalogue::CATALOGUE_FILE
            ),
        );
    }
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, scenario) in raw.scenarios.iter().enumerate() {
        let path = format!("scenarios[{i}]");
        if !names.insert(scenario.name.clone()) {
            c.error(
                &format!("{path}.name"),
                format!("duplicate scenario name `{}`", scenario.name),
            );
        }
        if let Some(s) = self::scenario(c, raw, scenario, &path) {
            out.push(s);
        }
    }
    if raw.scenarios.is_empty() {
        c.error("scenarios", "a spec file needs at least one scenario");
    }
    out
}

fn scenario(
    c: &mut Checker<'_>,
    file: &RawSpecFile,
    raw: &RawScenario,
    path: &str,
) -> Option<Scenario> {
    let before = c.errors.len();
    if raw.name.trim().is_empty() || raw.name.contains(['[', ']']) || raw.name.contains("::") {
        c.error(
            &format!("{path}.name"),
            "a scenario name must be non-empty and contain no `[`, `]` or `::`",
        );
    }
    covers(c, file, raw, path);
    let variants_raw = raw
        .variants
        .clone()
        .unwrap_or_else(|| file.variants.clone());
    let variants = variants(c, &variants_raw, &format!("{path}.variants"));
    let requirements: BTreeSet<Requirement> = raw
        .requires
        .iter()
        .map(|r| match r {
            RawRequirement::NoroleAccount => Requirement::NoroleAccount,
            RawRequirement::ConfigChanges => Requirement::ConfigChanges,
            RawRequirement::UserName => Requirement::UserName,
            RawRequirement::Oauth => Requirement::OAuth,
        })
        .collect();

    let mut defined: BTreeSet<String> = BUILT_IN_VARS.iter().map(|s| s.to_string()).collect();
    if variants_raw.method.is_some() {
        defined.insert("method".into());
    }
    let (mut fixtures, exclusive) = fixtures(c, raw, path, &requirements, &mut defined);
    let steps = steps(c, raw, path, &requirements, &mut defined);
    if c.errors.len() > before {
        return None;
    }
    if !sharing(c, raw, path, &mut fixtures, &steps) {
        return None;
    }
    Some(Scenario {
        file: c.file.display.clone(),
        line: c.lines.line(path),
        api: file.api.clone(),
        operation: file.operation.clone(),
        name: raw.name.clone(),
        covers: raw.covers.clone(),
        description: raw.description.clone(),
        tags: raw.tags.clone(),
        level: match raw.level {
            Some(RawLevel::Should) => Level::Should,
            _ => Level::Must,
        },
        requirements,
        exclusive,
        variants,
        fixtures,
        steps,
    })
}

/// A scenario's fixtures, each defining `{{id.field}}` for what follows; whether one of
/// them changes an instance-wide setting (the scenario is then exclusive).
fn fixtures(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    path: &str,
    requirements: &BTreeSet<Requirement>,
    defined: &mut BTreeSet<String>,
) -> (Vec<Fixture>, bool) {
    let mut fixture_ids = HashSet::new();
    let mut fixtures = Vec::new();
    let mut exclusive = false;
    for (i, fixture) in raw.fixtures.iter().enumerate() {
        let fpath = format!("{path}.fixtures[{i}]");
        if let Some(f) = self::fixture(c, fixture, &fpath, defined) {
            match &f {
                Fixture::Create { id, .. } | Fixture::Lookup { id, .. } => {
                    if !fixture_ids.insert(id.clone()) || BUILT_IN_VARS.contains(&id.as_str()) {
                        c.error(
                            &format!("{fpath}.id"),
                            format!("fixture id `{id}` is already defined"),
                        );
                    }
                    defined.insert(format!("{id}.*"));
                }
                Fixture::Property { .. } => {
                    exclusive = true;
                    if !requirements.contains(&Requirement::ConfigChanges) {
                        c.error(&fpath, "a property fixture changes instance-wide state: add `requires: [config_changes]` to the scenario");
                    }
                }
            }
            fixtures.push(f);
        }
    }

    (fixtures, exclusive)
}

/// A scenario's steps, each capture defining a name for the steps after it.
fn steps(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    path: &str,
    requirements: &BTreeSet<Requirement>,
    defined: &mut BTreeSet<String>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut step_names = HashSet::new();
    for (i, step) in raw.steps.iter().enumerate() {
        let spath = format!("{path}.steps[{i}]");
        // Messages, reports and the diff's pairing of answers name a step by its name.
        if !step_names.insert(step.name.clone()) {
            c.error(
                &format!("{spath}.name"),
                format!("duplicate step name `{}` in this scenario", step.name),
            );
        }
        if let Some(s) = super::steps::step(c, step, &spath, defined, requirements) {
            steps.push(s);
        }
    }
    if raw.steps.is_empty() {
        c.error(
            &format!("{path}.steps"),
            "a scenario needs at least one step",
        );
    }
    steps
}

/// Decides which fixtures a run shares ([`scope::derive`]) and records it on them; `false`
/// when a declared `scope: run` cannot hold (each is an error).
fn sharing(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    path: &str,
    fixtures: &mut [Fixture],
    steps: &[Step],
) -> bool {
    // Every fixture was valid, so `fixtures` and `raw.fixtures` line up.
    let declared: Vec<Option<Declared>> = raw
        .fixtures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f.scope.map(|s| Declared {
                scope: match s {
                    RawScope::Run => Scope::Run,
                    RawScope::Trial => Scope::Trial,
                },
                line: c.lines.line(&format!("{path}.fixtures[{i}].scope")),
            })
        })
        .collect();
    match scope::derive(fixtures, &declared, steps) {
        Ok(decisions) => {
            for (fixture, decision) in fixtures.iter_mut().zip(decisions) {
                if let (Fixture::Create { sharing, .. }, Some(decision)) = (fixture, decision) {
                    *sharing = decision;
                }
            }
        }
        Err(conflicts) => {
            for conflict in conflicts {
                c.error(
                    &format!("{path}.fixtures[{}].scope", conflict.index),
                    conflict.message,
                );
            }
            return false;
        }
    }
    true
}

/// Every scenario names at least one case, and only cases the catalogue has.
fn covers(c: &mut Checker<'_>, file: &RawSpecFile, raw: &RawScenario, path: &str) {
    let Some(operation) = c.catalogue.operation(&file.api, &file.operation) else {
        return; // reported once for the whole file
    };
    if raw.covers.is_empty() {
        let known: Vec<_> = operation.cases.iter().map(|c| c.id.as_str()).collect();
        c.error(path, format!("name the documented case(s) this scenario covers: `covers: [...]` with ids of {}: {}", operation.id(), known.join(", ")));
    }
    for (i, id) in raw.covers.iter().enumerate() {
        if operation.case(id).is_none() {
            let known: Vec<_> = operation.cases.iter().map(|c| c.id.as_str()).collect();
            c.error(
                &format!("{path}.covers[{i}]"),
                format!(
                    "the catalogue has no case `{id}` for {}{}; known: {}",
                    operation.id(),
                    crate::source::suggest::hint(id, known.iter().copied()),
                    known.join(", ")
                ),
            );
        }
    }
}

fn variants(c: &mut Checker<'_>, raw: &RawVariants, path: &str) -> Vec<Variant> {
    let urls: Vec<Option<RawUrlForm>> = match &raw.url {
        Some(list) if list.is_empty() => {
            c.error(&format!("{path}.url"), "`url` needs at least one form");
            vec![None]
        }
        Some(list) => list.iter().copied().map(Some).collect(),
        None => vec![None],
    };
    let methods: Vec<Option<String>> = match &raw.method {
        Some(list) if list.is_empty() => {
            c.error(
                &format!("{path}.method"),
                "`method` needs at least one method",
            );
            vec![None]
        }
        Some(list) => list.iter().cloned().map(Some).collect(),
        None => vec![None],
    };
    for m in methods.iter().flatten() {
        if !is_method(m) {
            c.error(
                &format!("{path}.method"),
                format!("`{m}` is not an HTTP method"),
            );
        }
    }
    let formats: Vec<Format> = match &raw.format {
        Some(list) if list.is_empty() => {
            c.error(
                &format!("{path}.format"),
                "`format` needs at least one format",
            );
            vec![Format::Json]
        }
        Some(list) => list
            .iter()
            .map(|f| match f {
                RawFormat::Json => Format::Json,
                RawFormat::Xml => Format::Xml,
            })
            .collect(),
        None => vec![Format::Json],
    };
    let mut out = Vec::new();
    for method in &methods {
        for url in &urls {
            for format in &formats {
                let mut vars = BTreeMap::new();
                let mut label = Vec::new();
                if let Some(m) = method {
                    vars.insert("method".to_string(), m.clone());
                    if methods.len() > 1 {
                        label.push(m.clone());
                    }
                }
                let prefix = match url {
                    Some(RawUrlForm::V1) => "/api/now/v1",
                    _ => "/api/now",
                };
                vars.insert("api".to_string(), prefix.to_string());
                if urls.len() > 1 {
                    label.push(match url {
                        Some(RawUrlForm::V1) => "v1".to_string(),
                        _ => "default".to_string(),
                    });
                }
                if formats.len() > 1 {
                    label.push(format.name().to_string());
                }
                out.push(Variant {
                    label: label.join(" "),
                    vars,
                    format: *format,
                });
            }
        }
    }
    out
}

/// A property fixture: a setting changed for the scenario.
fn property(
    c: &mut Checker<'_>,
    raw: &RawFixture,
    name: &str,
    path: &str,
    line: usize,
) -> Option<Fixture> {
    if raw.id.is_some() || raw.fields.is_some() || raw.query.is_some() || raw.scope.is_some() {
        c.error(path, "a property fixture takes only `property` and `value`");
    }
    let Some(value) = &raw.value else {
        c.error(path, "a property fixture needs `value`");
        return None;
    };
    Some(Fixture::Property {
        name: name.to_string(),
        value: value.clone(),
        line,
    })
}

fn fixture(
    c: &mut Checker<'_>,
    raw: &RawFixture,
    path: &str,
    defined: &BTreeSet<String>,
) -> Option<Fixture> {
    let kinds = [
        raw.create.is_some(),
        raw.lookup.is_some(),
        raw.property.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        c.error(
            path,
            "a fixture needs exactly one of `create: TABLE`, `lookup: TABLE` or `property: NAME`",
        );
        return None;
    }
    let line = c.lines.line(path);
    if let Some(name) = &raw.property {
        return property(c, raw, name, path, line);
    }
    if raw.value.is_some() {
        c.error(
            &format!("{path}.value"),
            "`value` belongs to property fixtures",
        );
    }
    if raw.scope.is_some() && raw.create.is_none() {
        c.error(
            &format!("{path}.scope"),
            "`scope` belongs to create fixtures (a lookup or a property is never created)",
        );
    }
    let Some(id) = raw.id.clone() else {
        c.error(
            path,
            "this fixture needs an `id` to refer to it as {{ID.field}}",
        );
        return None;
    };
    if !is_identifier(&id) {
        c.error(
            &format!("{path}.id"),
            format!("fixture id `{id}` must match [a-z0-9_]+"),
        );
    }
    if let Some(table) = &raw.create {
        if raw.query.is_some() {
            c.error(
                &format!("{path}.query"),
                "`query` belongs to lookup fixtures",
            );
        }
        let fields = raw.fields.clone().unwrap_or_default();
        super::steps::templates(
            c,
            &Value::Object(fields.clone()),
            &format!("{path}.fields"),
            defined,
        );
        return Some(Fixture::Create {
            id,
            table: table.clone(),
            fields,
            line,
            // Decided once the scenario's fixtures and steps are all known.
            sharing: Default::default(),
        });
    }
    let table = raw.lookup.clone().unwrap_or_default();
    if raw.fields.is_some() {
        c.error(
            &format!("{path}.fields"),
            "`fields` belongs to create fixtures",
        );
    }
    let Some(query) = raw.query.clone() else {
        c.error(
            path,
            "a lookup fixture needs `query: field=value^field=value`",
        );
        return None;
    };
    super::steps::templates(
        c,
        &Value::String(query.clone()),
        &format!("{path}.query"),
        defined,
    );
    Some(Fixture::Lookup {
        id,
        table,
        query,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::assets::AssetFile;
    use crate::source::lines::LineIndex;
    use crate::source::yaml::parse_list;
    use crate::spec::raw::{RawScenario, RawSpecFile};

    fn read(text: &str) -> Result<(RawSpecFile, Vec<RawScenario>), Vec<String>> {
        let dir = crate::source::assets::schemas(Some("schemas".as_ref())).unwrap();
        let schemas = SchemaSet::compile(&dir).unwrap();
        let split = schemas.split_list(SCENARIO_SCHEMA, "scenarios").unwrap();
        let file = AssetFile {
            relative: "t.yaml".into(),
            display: "t.yaml".into(),
            text: text.into(),
        };
        parse_list(&file, &LineIndex::new(text), &ScenarioSchema(&split))
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }

    const STEP: &str =
        "steps: [{name: s, request: {method: GET, path: /x}, expect: {status: 200}}]";

    #[test]
    fn scenarios_are_read_one_by_one_with_their_merge_keys() {
        let text = format!(
            "api: a\noperation: b\nshared:\n  base: &base {{covers: [c], {STEP}}}\n  named: &named {{<<: *base, name: first}}\nscenarios:\n  - *named\n  - {{<<: *base, name: second}}\n"
        );
        let (header, scenarios) = read(&text).unwrap();
        assert_eq!((header.api.as_str(), header.operation.as_str()), ("a", "b"));
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["first", "second"]);
        // The anchor that merges another holds both its own keys and the merged ones.
        assert_eq!(scenarios[0].covers, ["c"]);
    }

    #[test]
    fn a_list_that_comes_in_through_a_merge_key_of_the_root_is_read_too() {
        let text = format!(
            "shared: &top\n  scenarios: [{{name: only, covers: [c], {STEP}}}]\n<<: *top\napi: a\noperation: b\n"
        );
        let (_, scenarios) = read(&text).unwrap();
        assert_eq!(scenarios.len(), 1);
        assert_eq!(scenarios[0].name, "only");
    }

    #[test]
    fn a_mistake_in_one_scenario_is_named_at_its_line_with_its_path() {
        let text = format!(
            "api: a\noperation: b\nscenarios:\n  - {{name: ok, covers: [c], {STEP}}}\n  - name: bad\n    covers: [c]\n    stpes: []\n"
        );
        let errors = read(&text).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("t.yaml:5: scenarios[1]: \"steps\" is a required"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("t.yaml:7: scenarios[1]: unknown key `stpes`"),
            "{errors:?}"
        );
        // And the root's own schema still sees the list: an empty one is refused.
        let errors = read("api: a\noperation: b\nscenarios: []\n").unwrap_err();
        assert!(errors[0].starts_with("t.yaml:3: scenarios: "), "{errors:?}");
    }

    #[test]
    fn a_merge_key_of_something_else_than_mappings_is_refused_at_its_line() {
        let text = format!(
            "api: a\noperation: b\nscenarios:\n  - {{name: ok, covers: [c], {STEP}}}\n  - name: bad\n    <<: [1]\n"
        );
        let errors = read(&text).unwrap_err();
        assert_eq!(
            errors,
            ["t.yaml:6: a merge key (<<) lists a scalar, where only mappings can be merged"]
        );
    }
}
