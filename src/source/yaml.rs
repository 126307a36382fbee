//! Reading one YAML file of `specs/` into raw types, with every error located by line.
//!
//! The YAML is read straight into JSON values; merge keys (`<<: *anchor`) are applied, the
//! merged value is checked against a JSON Schema when one is given (the scenario format), then
//! deserialized; the path of a structural error (from serde_path_to_error or the schema's
//! instance path) is mapped back to a line through the [`LineIndex`].
//!
//! A spec file's scenarios are read one at a time ([`parse_list`]): each is merged, checked
//! and deserialized as soon as the parser has it, while it is still in the processor's cache,
//! and dropped; a file of a thousand scenarios never exists as one tree of values.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::assets::AssetFile;
use super::json::{child_path, pointer_to_path, short, type_name};
use super::lines::LineIndex;
use super::SourceError;

/// A schema a document is checked against as it is read (the loaders pass one of
/// `crate::schemas`): its violations, each a JSON pointer and a message, and the names it
/// knows, for messages.
pub trait Schema {
    /// The schema's name, shown after each of its messages.
    fn name(&self) -> &str;
    fn violations(&self, instance: &Value) -> Vec<(String, String)>;
    /// Every property name the schema knows, at any depth: the vocabulary of "did you mean".
    fn property_names(&self) -> BTreeSet<String>;
    /// The keys of the root's `properties`, in order.
    fn top_level_keys(&self) -> Vec<String>;
    /// What is wrong with `node`, when the schema could only say that it is not valid (a
    /// failed `oneOf`); `None` leaves the schema's own words.
    fn explain(&self, _node: &Value) -> Option<String> {
        None
    }
}

/// A schema taken apart at one list of its root object, so that the list is checked one
/// item at a time as it is read: the root's own keywords, and the schema of one item.
pub trait ListSchema: Schema {
    /// The key of the list in the root object.
    fn key(&self) -> &str;
    /// The violations of the root's own keywords (each item of the list is taken as valid).
    fn root_violations(&self, instance: &Value) -> Vec<(String, String)>;
    /// The violations of one item of the list, their pointers relative to the item.
    fn item_violations(&self, item: &Value) -> Vec<(String, String)>;
}

/// Parses `file` as `T`; `schema` is a schema the merged document must meet.
pub fn parse<T: DeserializeOwned>(
    file: &AssetFile,
    lines: &LineIndex,
    schema: Option<&dyn Schema>,
) -> Result<T, Vec<SourceError>> {
    let json = document(file, lines)?;
    if let Some(schema) = schema {
        let mut violations = Violations::new(schema);
        violations.add(schema.violations(&json), &json, "");
        violations.into_result(file, lines)?;
    }
    deserialize(json, "").map_err(|e| vec![e.located(file, lines)])
}

/// Parses `file` as a `H` whose list under `split.key()` holds `I`s, checked against the
/// schema `split` was taken from; the list is read one item at a time (see the module's
/// comment). The mistakes are those [`parse`] would find, in the same words and at the same
/// lines.
pub fn parse_list<H: DeserializeOwned, I: DeserializeOwned>(
    file: &AssetFile,
    lines: &LineIndex,
    split: &dyn ListSchema,
) -> Result<(H, Vec<I>), Vec<SourceError>> {
    check_duplicates(file, lines)?;
    let mut stream = Stream {
        split,
        violations: Violations::new(split),
        merge_error: None,
        first_error: None,
        items: Vec::new(),
        streamed: false,
    };
    let top = Top(&mut stream)
        .deserialize(serde_yaml::Deserializer::from_str(&file.text))
        .map_err(|e| vec![yaml_error(file, &e)])?;
    let Some(header) = top else {
        // Not a map of keys: there is no list to stream, and the whole schema says what is
        // wrong with the file.
        return parse::<H>(file, lines, Some(split)).map(|h| (h, Vec::new()));
    };
    let mut root = Value::Object(header);
    if let Err(e) = merge(&mut root) {
        stream.merge_error.get_or_insert(e);
    }
    // A list that came in through a merge key of the root itself.
    if !stream.streamed {
        if let Some(Value::Array(items)) = root.get_mut(split.key()) {
            let items = std::mem::take(items);
            let count = items.len();
            for (index, item) in items.into_iter().enumerate() {
                stream.take(index, item);
            }
            root[&split.key()] = placeholders(count);
        }
    }
    if let Some((path, message)) = stream.merge_error {
        return Err(vec![error(file, lines.line(&path), message)]);
    }
    let mut violations = Violations::new(split);
    violations.add(split.root_violations(&root), &root, "");
    violations.found.append(&mut stream.violations.found);
    violations.into_result(file, lines)?;
    if let Some(list) = root.as_object_mut() {
        list.shift_remove(split.key());
    }
    let header = deserialize::<H>(root, "").map_err(|e| vec![e.located(file, lines)])?;
    match stream.first_error {
        Some(e) => Err(vec![e.located(file, lines)]),
        None => Ok((header, stream.items)),
    }
}

/// What stands in for a list's items once they have been read: the root's own schema sees a
/// list of that length (`minItems`), whose items it does not look into.
fn placeholders(count: usize) -> Value {
    Value::Array(vec![Value::Null; count])
}

/// The document as one JSON value, its merge keys applied.
fn document(file: &AssetFile, lines: &LineIndex) -> Result<Value, Vec<SourceError>> {
    // Straight into JSON values: the one tree the schema checks and the types are read from
    // (a YAML tree converted to JSON would be two copies of every scenario, which on a large
    // suite costs more in the allocator than the parsing itself).
    let mut json: Value =
        serde_yaml::from_str(&file.text).map_err(|e| vec![yaml_error(file, &e)])?;
    check_duplicates(file, lines)?;
    merge(&mut json).map_err(|(path, message)| vec![error(file, lines.line(&path), message)])?;
    Ok(json)
}

/// JSON maps keep one entry per key, so a key written twice is refused here, by the index of
/// the text, rather than silently keeping the second.
fn check_duplicates(file: &AssetFile, lines: &LineIndex) -> Result<(), Vec<SourceError>> {
    if lines.duplicates().is_empty() {
        return Ok(());
    }
    Err(lines
        .duplicates()
        .iter()
        .map(|(line, path)| error(file, *line, format!("{path}: this key is written twice")))
        .collect())
}

fn error(file: &AssetFile, line: usize, message: String) -> SourceError {
    SourceError {
        file: file.display.clone(),
        line,
        message,
    }
}

fn yaml_error(file: &AssetFile, e: &serde_yaml::Error) -> SourceError {
    error(file, e.location().map_or(1, |l| l.line()), yaml_message(e))
}

/// The state of one streamed file: what its items gave so far.
struct Stream<'a, I> {
    split: &'a dyn ListSchema,
    violations: Violations<'a>,
    merge_error: Option<(String, String)>,
    /// The first item that met the schema and still did not deserialize.
    first_error: Option<Unreadable>,
    items: Vec<I>,
    /// Whether the list was read as it was parsed (not found under a merge key).
    streamed: bool,
}

impl<I: DeserializeOwned> Stream<'_, I> {
    /// One item of the list, as parsed: merged, checked, read.
    fn take(&mut self, index: usize, mut item: Value) {
        if self.merge_error.is_some() {
            return;
        }
        let path = format!("{}[{index}]", self.split.key());
        if let Err((inner, message)) = merge(&mut item) {
            self.merge_error = Some((within(&path, &inner), message));
            return;
        }
        let found = self.split.item_violations(&item);
        if !found.is_empty() {
            let prefix = format!("/{}/{index}", self.split.key());
            self.violations.add(found, &item, &prefix);
            return;
        }
        // Once anything is wrong only the schema's findings are reported, as for a whole file.
        if self.violations.found.is_empty() && self.first_error.is_none() {
            match deserialize::<I>(item, &path) {
                Ok(read) => self.items.push(read),
                Err(e) => self.first_error = Some(e),
            }
        }
    }
}

/// The document's root: a map of keys, whose list is streamed, or `None` for anything else.
struct Top<'s, 'a, I>(&'s mut Stream<'a, I>);

impl<'de, I: DeserializeOwned> DeserializeSeed<'de> for Top<'_, '_, I> {
    type Value = Option<Map<String, Value>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, I: DeserializeOwned> Visitor<'de> for Top<'_, '_, I> {
    type Value = Option<Map<String, Value>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == self.0.split.key() {
                map.next_value_seed(List(&mut *self.0))?
            } else {
                map.next_value::<Value>()?
            };
            header.insert(key, value);
        }
        Ok(Some(header))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The streamed list: each item is handed to the stream as it is parsed, and the list left in
/// the root is its placeholders. Anything but a list is kept as it is, for the schema.
struct List<'s, 'a, I>(&'s mut Stream<'a, I>);

impl<'de, I: DeserializeOwned> DeserializeSeed<'de> for List<'_, '_, I> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, I: DeserializeOwned> Visitor<'de> for List<'_, '_, I> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut count = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            self.0.take(count, item);
            count += 1;
        }
        self.0.streamed = true;
        Ok(placeholders(count))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// `inner` (a path within an item) under the item's own path `outer`.
fn within(outer: &str, inner: &str) -> String {
    if inner.is_empty() || inner.starts_with('[') {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}

/// A value that met its schema and still did not deserialize: the path and serde's message.
struct Unreadable {
    path: String,
    message: String,
}

impl Unreadable {
    fn located(self, file: &AssetFile, lines: &LineIndex) -> SourceError {
        // An unknown key is best shown on its own line, when the index has it.
        let line = unknown_field(&self.message)
            .map(|field| child_path(&self.path, field))
            .map_or_else(|| lines.line(&self.path), |p| lines.line(&p));
        let shown = if self.path.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.path)
        };
        error(file, line, format!("{shown}{}", self.message))
    }
}

/// Reads `value` as `T`; `outer` is the path of `value` in its document.
fn deserialize<T: DeserializeOwned>(value: Value, outer: &str) -> Result<T, Unreadable> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Unreadable {
            path: if outer.is_empty() {
                path
            } else {
                within(outer, &path)
            },
            message: e.inner().to_string(),
        }
    })
}

/// One violation of a schema, its message already in the loader's words.
struct Described {
    pointer: String,
    message: String,
    /// Whether jsonschema's message was a dump of the node (a failed `oneOf`, say).
    dump: bool,
}

/// The violations of one document, gathered from its parts.
struct Violations<'a> {
    schema: &'a dyn Schema,
    vocabulary: Option<BTreeSet<String>>,
    found: Vec<Described>,
}

impl<'a> Violations<'a> {
    fn new(schema: &'a dyn Schema) -> Self {
        Self {
            schema,
            vocabulary: None,
            found: Vec::new(),
        }
    }

    /// The violations of `node`, which sits at pointer `prefix` of the document.
    fn add(&mut self, violations: Vec<(String, String)>, node: &Value, prefix: &str) {
        for (inner, message) in violations {
            let pointer = format!("{prefix}{inner}");
            let dump = is_dump(&message);
            let message = match unexpected_key(&message) {
                // An unknown key: say which, and the known key it is closest to.
                Some(key) => {
                    let vocabulary = self
                        .vocabulary
                        .get_or_insert_with(|| self.schema.property_names());
                    format!(
                        "unknown key `{key}`{}",
                        super::suggest::hint(key, vocabulary.iter().map(String::as_str))
                    )
                }
                // A dump is all the schema says; a malformed matcher can say more.
                None if dump => node
                    .pointer(&inner)
                    .and_then(|at| self.schema.explain(at))
                    .map_or_else(
                        || match node.pointer(&inner) {
                            // The whole file: say what it must be.
                            Some(root) if pointer.is_empty() && !root.is_object() => format!(
                                "the file holds a list or a value ({}), where a map of keys ({}) belongs",
                                type_name(root),
                                self.schema.top_level_keys().join(", ")
                            ),
                            at => format!(
                                "{} is not valid here",
                                at.map_or_else(|| "this value".into(), short)
                            ),
                        },
                        |e| e.trim_start_matches("$: ").to_string(),
                    ),
                None => message,
            };
            self.found.push(Described {
                pointer,
                message,
                dump,
            });
        }
    }

    /// Nothing found, or every mistake with its line.
    fn into_result(mut self, file: &AssetFile, lines: &LineIndex) -> Result<(), Vec<SourceError>> {
        if self.found.is_empty() {
            return Ok(());
        }
        // One mistake, one message: a `oneOf` that failed because of a precise mistake (an
        // unknown key, a wrong type) repeats it as a dump of the whole node; drop those
        // whenever a precise message is there.
        if self.found.iter().any(|d| !d.dump) {
            self.found.retain(|d| !d.dump);
        }
        Err(self
            .found
            .into_iter()
            .map(
                |Described {
                     pointer, message, ..
                 }| {
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
                            |key| lines.line(&child_path(&path, key)),
                        );
                    error(
                        file,
                        line,
                        format!("{shown}{message} ({})", self.schema.name()),
                    )
                },
            )
            .collect())
    }
}

fn is_dump(message: &str) -> bool {
    message.starts_with('{')
        || message.starts_with('[')
        || message.contains("is not valid under any of")
}

/// Applies YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) throughout `value`: a mapping
/// takes each key of the merged mappings it does not have itself, the first mapping of a
/// list winning. A mistake is the path of the merge key and what is wrong with it.
fn merge(value: &mut serde_json::Value) -> Result<(), (String, String)> {
    merge_node(value).map_err(|(mut segments, message)| {
        // The path is gathered on the way out, so that a document without mistakes (every
        // run) builds no path at all.
        segments.reverse();
        let mut path = String::new();
        for segment in segments {
            match segment {
                Segment::Key(key) => path = child_path(&path, &key),
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        (path, message)
    })
}

enum Segment {
    Key(String),
    Index(usize),
}

type MergeError = (Vec<Segment>, String);

fn merge_node(node: &mut serde_json::Value) -> Result<(), MergeError> {
    use serde_json::Value;
    let children = |map: &mut serde_json::Map<String, Value>| -> Result<(), MergeError> {
        for (key, child) in map.iter_mut() {
            merge_node(child).map_err(|(mut segments, message)| {
                segments.push(Segment::Key(key.clone()));
                (segments, message)
            })?;
        }
        Ok(())
    };
    let described = |what: &Value| match what {
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
        _ => "a scalar",
    };
    match node {
        Value::Object(map) => {
            if let Some(merged) = map.get("<<") {
                let wrong = match merged {
                    Value::Object(_) => None,
                    Value::Array(list) => list.iter().find(|v| !v.is_object()).map(|other| {
                        format!(
                            "a merge key (<<) lists {}, where only mappings can be merged",
                            described(other)
                        )
                    }),
                    other => Some(format!(
                        "a merge key (<<) holds {}, where a mapping or a list of mappings belongs",
                        described(other)
                    )),
                };
                if let Some(message) = wrong {
                    return Err((vec![Segment::Key("<<".into())], message));
                }
                let mut merged = map.shift_remove("<<");
                children(map)?;
                // The merged mappings' own merge keys first (an anchor that merges another).
                if let Some(merged) = merged.as_mut() {
                    merge_node(merged).map_err(|(mut segments, message)| {
                        segments.push(Segment::Key("<<".into()));
                        (segments, message)
                    })?;
                }
                let sources = match merged {
                    Some(Value::Object(one)) => vec![one],
                    Some(Value::Array(list)) => list
                        .into_iter()
                        .filter_map(|v| match v {
                            Value::Object(one) => Some(one),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                for source in sources {
                    for (key, item) in source {
                        map.entry(key).or_insert(item);
                    }
                }
            } else {
                children(map)?;
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                merge_node(child).map_err(|(mut segments, message)| {
                    segments.push(Segment::Index(i));
                    (segments, message)
                })?;
            }
        }
        _ => {}
    }
    Ok(())
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

/// serde_yaml's message without its trailing position (the line is reported separately).
fn yaml_message(error: &serde_yaml::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}
