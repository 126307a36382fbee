//! The JSON Schemas of `schemas/`, compiled once per run (draft 2020-12).
//!
//! Files refer to each other with relative `$ref`s (`"common.schema.json#/$defs/sys_id"`):
//! every file is registered under `https://sn-conform.invalid/schemas/<relative path>` and
//! compiled with that base URI, so references resolve without any network access.

use std::collections::{BTreeMap, BTreeSet};

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use crate::source::assets::{location, AssetDir, AssetFile};
use crate::source::json::{child_path, pointer_to_path};
use crate::source::lines::LineIndex;
use crate::source::yaml;

const BASE: &str = "https://sn-conform.invalid/schemas/";

/// A compiled validator per schema file.
pub struct SchemaSet {
    validators: BTreeMap<String, Validator>,
    /// Every property name each schema file names anywhere: the vocabulary of "did you mean".
    properties: BTreeMap<String, BTreeSet<String>>,
    /// The parsed files, by relative path, for walking a body along its schema.
    documents: BTreeMap<String, Value>,
    /// Every file, for compiling parts of them later ([`SchemaSet::split_list`]).
    registry: Registry<'static>,
}

/// A schema file taken apart at one list of its root object: the file with that list's items
/// left unchecked, and the schema of one item. A document checked with both (each item on its
/// own, the root with its items replaced by placeholders) gets the violations, at the same
/// places and in the same words, that the whole file gives it.
pub struct ListSplit<'a> {
    set: &'a SchemaSet,
    name: String,
    key: String,
    whole: &'a Validator,
    root: Validator,
    item: Validator,
}

impl yaml::Schema for ListSplit<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn violations(&self, instance: &Value) -> Vec<(String, String)> {
        errors_of(self.whole, instance)
    }

    fn property_names(&self) -> BTreeSet<String> {
        self.set.property_names(&self.name)
    }

    fn top_level_keys(&self) -> Vec<String> {
        self.set.top_level_keys(&self.name)
    }
}

impl yaml::ListSchema for ListSplit<'_> {
    fn key(&self) -> &str {
        &self.key
    }

    fn root_violations(&self, instance: &Value) -> Vec<(String, String)> {
        errors_of(&self.root, instance)
    }

    fn item_violations(&self, item: &Value) -> Vec<(String, String)> {
        errors_of(&self.item, item)
    }
}

/// One schema of a set, as the YAML reader checks a document against it.
pub struct Named<'a> {
    set: &'a SchemaSet,
    name: &'a str,
}

impl yaml::Schema for Named<'_> {
    fn name(&self) -> &str {
        self.name
    }

    fn violations(&self, instance: &Value) -> Vec<(String, String)> {
        self.set.violations(self.name, instance)
    }

    fn property_names(&self) -> BTreeSet<String> {
        self.set.property_names(self.name)
    }

    fn top_level_keys(&self) -> Vec<String> {
        self.set.top_level_keys(self.name)
    }
}

fn errors_of(validator: &Validator, instance: &Value) -> Vec<(String, String)> {
    validator
        .iter_errors(instance)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect()
}

/// A schema file that does not parse or compile.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {message}")]
pub struct SchemaError {
    pub file: String,
    pub message: String,
}

/// A validator per document, in their order. Compiling is most of a run's start: every
/// other file is compiled on a second thread.
fn compile_all(
    documents: &[(&AssetFile, Value)],
    registry: &Registry<'static>,
) -> Vec<Result<Validator, jsonschema::ValidationError<'static>>> {
    let compile = |(file, doc): &(&AssetFile, Value)| {
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_base_uri(format!("{BASE}{}", file.relative))
            .with_registry(registry)
            .build(doc)
    };
    crate::source::split::map_on_two(documents, compile)
}

impl SchemaSet {
    /// Parses and compiles every file of `dir`; every broken file is reported.
    pub fn compile(dir: &AssetDir) -> Result<Self, Vec<SchemaError>> {
        let mut errors = Vec::new();
        let mut documents = Vec::new();
        for file in &dir.files {
            match serde_json::from_str::<Value>(&file.text) {
                Ok(doc) => documents.push((file, doc)),
                Err(e) => errors.push(SchemaError {
                    file: location(&file.display, e.line()),
                    message: format!("not valid JSON: {e}"),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // A `$ref` to a file that is not there is named at its line, before the registry
        // would report it without one.
        let known: BTreeSet<&str> = documents.iter().map(|(f, _)| f.relative.as_str()).collect();
        for (file, doc) in &documents {
            let mut refs = Vec::new();
            refs_of(doc, "", &mut refs);
            let lines = LineIndex::new(&file.text);
            for (pointer, reference) in refs {
                let target_file = match reference.split_once('#') {
                    Some(("", _)) => continue,
                    Some((path, _)) => join(&file.relative, path),
                    None => join(&file.relative, &reference),
                };
                if !known.contains(target_file.as_str()) {
                    errors.push(SchemaError {
                        file: location(&file.display, lines.line(&pointer_to_path(&pointer))),
                        message: format!(
                            "$ref `{reference}` names {target_file}, which {} does not have",
                            dir.origin
                        ),
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let resources = documents
            .iter()
            .map(|(file, doc)| (format!("{BASE}{}", file.relative), doc.clone()));
        let registry = Registry::new()
            .extend(resources)
            .and_then(|r| r.prepare())
            .map_err(|e| {
                vec![SchemaError {
                    file: dir.origin.clone(),
                    message: format!("cannot register the schemas: {e}"),
                }]
            })?;
        let mut validators = BTreeMap::new();
        let mut properties = BTreeMap::new();
        let registry: Registry<'static> = registry;
        let mut built = compile_all(&documents, &registry).into_iter();
        for (file, doc) in &documents {
            let mut names = BTreeSet::new();
            property_names(doc, &mut names);
            properties.insert(file.relative.clone(), names);
            let Some(built) = built.next() else { continue };
            match built {
                Ok(v) => {
                    validators.insert(file.relative.clone(), v);
                }
                Err(e) => errors.push(SchemaError {
                    file: location(
                        &file.display,
                        LineIndex::new(&file.text)
                            .line(&pointer_to_path(&e.instance_path().to_string())),
                    ),
                    message: format!("is not a valid JSON Schema: {e}"),
                }),
            }
        }
        if errors.is_empty() {
            Ok(Self {
                validators,
                properties,
                documents: documents
                    .into_iter()
                    .map(|(file, doc)| (file.relative.clone(), doc))
                    .collect(),
                registry,
            })
        } else {
            Err(errors)
        }
    }

    /// Every property name schema `name` knows, at any depth.
    pub fn property_names(&self, name: &str) -> BTreeSet<String> {
        self.properties.get(name).cloned().unwrap_or_default()
    }

    /// The keys the root `properties` of schema `name` lists, in order.
    pub fn top_level_keys(&self, name: &str) -> Vec<String> {
        self.documents
            .get(name)
            .and_then(|d| d.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The schema file names a step may refer to.
    pub fn names(&self) -> BTreeSet<String> {
        self.validators.keys().cloned().collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// Every violation of schema `name` by `instance`: its JSON pointer and message.
    pub fn violations(&self, name: &str, instance: &Value) -> Vec<(String, String)> {
        let Some(validator) = self.validators.get(name) else {
            return vec![(String::new(), format!("schema `{name}` is not loaded"))];
        };
        errors_of(validator, instance)
    }

    /// Schema `name`, for the YAML reader to check a document against.
    pub fn named<'a>(&'a self, name: &'a str) -> Named<'a> {
        Named { set: self, name }
    }

    /// Schema `name` taken apart at the list `key` of its root object (see [`ListSplit`]), so
    /// that a long list can be checked one item at a time as it is read.
    pub fn split_list(&self, name: &str, key: &str) -> Result<ListSplit<'_>, String> {
        let whole = self
            .validators
            .get(name)
            .ok_or_else(|| format!("schema `{name}` is not loaded"))?;
        let document = self
            .documents
            .get(name)
            .ok_or_else(|| format!("schema `{name}` is not loaded"))?;
        // Placeholders stand in for the items when the root is checked: a keyword that looks
        // at the items together (`uniqueItems`, `contains`) would judge the placeholders.
        let list = document
            .pointer(&format!("/properties/{key}"))
            .and_then(Value::as_object);
        let judged = [
            "type",
            "minItems",
            "maxItems",
            "items",
            "description",
            "title",
        ];
        if let Some(other) = list.and_then(|l| l.keys().find(|k| !judged.contains(&k.as_str()))) {
            return Err(format!(
                "{name}: `properties.{key}` has `{other}`, which cannot be checked one item at a time"
            ));
        }
        let mut root = document.clone();
        let items = root
            .pointer_mut(&format!("/properties/{key}/items"))
            .ok_or_else(|| format!("{name} has no `properties.{key}.items`"))?;
        *items = Value::Bool(true);
        // The item's schema is a reference into the file, from a document of its own address
        // (under the file's own, the reference would point into the reference).
        let build = |schema: &Value, base: String| {
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_base_uri(base)
                .with_registry(&self.registry)
                .build(schema)
                .map_err(|e| format!("{name}: {e}"))
        };
        Ok(ListSplit {
            set: self,
            whole,
            name: name.to_string(),
            key: key.to_string(),
            root: build(&root, format!("{BASE}{name}"))?,
            item: build(
                &serde_json::json!({
                    "$ref": format!("{BASE}{name}#/properties/{key}/items")
                }),
                format!("{BASE}{name}/{key}/item"),
            )?,
        })
    }

    /// Every violation of schema `name` by `instance`, as `path: message` lines.
    pub fn check(&self, name: &str, instance: &Value) -> Vec<String> {
        self.violations(name, instance)
            .into_iter()
            .map(|(pointer, message)| format!("${}: {message}", pointer.replace('/', ".")))
            .collect()
    }
}

impl SchemaSet {
    /// The field paths of `body` (paths as [`child_path`] writes them) that schema `name`
    /// does not name: a key that no `properties` of the schema at that point lists and no
    /// `additionalProperties` schema admits. Only the first such path of a subtree is listed.
    pub fn undocumented(&self, name: &str, body: &Value) -> Vec<String> {
        let Some(doc) = self.documents.get(name) else {
            return Vec::new();
        };
        let mut out = BTreeSet::new();
        self.walk_unnamed(vec![(name.to_string(), doc)], body, "", &mut out, 0);
        out.into_iter().collect()
    }

    fn walk_unnamed(
        &self,
        schemas: Vec<(String, &Value)>,
        body: &Value,
        path: &str,
        out: &mut BTreeSet<String>,
        depth: usize,
    ) {
        if depth > 8 || out.len() > 100 {
            return;
        }
        let mut expanded = Vec::new();
        for (file, schema) in schemas {
            self.expand(&file, schema, &mut expanded, 0);
        }
        match body {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_path = child_path(path, key);
                    let children: Vec<(String, &Value)> = expanded
                        .iter()
                        .filter_map(|(file, s)| {
                            let named = s.get("properties").and_then(|p| p.get(key));
                            let admitted = s.get("additionalProperties").filter(|a| a.is_object());
                            named.or(admitted).map(|c| (file.clone(), c))
                        })
                        .collect();
                    if children.is_empty() {
                        out.insert(child_path);
                    } else {
                        self.walk_unnamed(children, child, &child_path, out, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                let children: Vec<(String, &Value)> = expanded
                    .iter()
                    .filter_map(|(file, s)| s.get("items").map(|c| (file.clone(), c)))
                    .collect();
                if !children.is_empty() {
                    let child_path = format!("{path}[]");
                    for item in items {
                        self.walk_unnamed(children.clone(), item, &child_path, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// `schema` and every schema it stands for: its `$ref` target and the branches of
    /// `allOf`, `anyOf`, `oneOf`, `then` and `else`, each with the file it lives in.
    fn expand<'a>(
        &'a self,
        file: &str,
        schema: &'a Value,
        out: &mut Vec<(String, &'a Value)>,
        depth: usize,
    ) {
        if depth > 16 || !schema.is_object() {
            return;
        }
        out.push((file.to_string(), schema));
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let (target_file, pointer) = match reference.split_once('#') {
                Some(("", pointer)) => (file.to_string(), pointer),
                Some((path, pointer)) => (join(file, path), pointer),
                None => (join(file, reference), ""),
            };
            if let Some(target) = self
                .documents
                .get(&target_file)
                .and_then(|doc| doc.pointer(pointer))
            {
                self.expand(&target_file, target, out, depth + 1);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for branch in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.expand(file, branch, out, depth + 1);
            }
        }
        for key in ["then", "else"] {
            if let Some(branch) = schema.get(key) {
                self.expand(file, branch, out, depth + 1);
            }
        }
    }
}

/// Every `$ref` of a schema document: (JSON pointer of the `$ref` key, its value).
fn refs_of(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => out.push((here, r.clone())),
                    _ => refs_of(child, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refs_of(item, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The relative path `reference` names, seen from the file `from` (`table/record.schema.json`
/// and `../common.schema.json` give `common.schema.json`).
fn join(from: &str, reference: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for piece in reference.split('/') {
        match piece {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The keys of every `properties` object in a schema document.
fn property_names(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "properties" {
                    if let Value::Object(props) = child {
                        out.extend(props.keys().cloned());
                    }
                }
                property_names(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| property_names(v, out)),
        _ => {}
    }
}
