//! The mock's tables as data: a dictionary file (the built-in one is
//! `dictionaries/built-in.yaml`) names each table's parent, label, display column and columns,
//! each column's type, reference, default and choices, and the plugins. Everything the mock
//! knows of a table's shape is read from here: which fields a write keeps, the references a
//! dot-walk follows, the display values, the defaults, and the metadata tables
//! (`sys_db_object`, `sys_dictionary`, `sys_choice`, `v_plugin`) the doctor reads.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::schema::SYSTEM_FIELDS;

/// The built-in dictionary's text, compiled in.
const BUILT_IN: &str = include_str!("../../dictionaries/built-in.yaml");

/// The format of dictionary files this release reads and writes.
pub const DICTIONARY_FORMAT: u32 = 1;

/// A dictionary file, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DictionaryFile {
    pub format: u32,
    pub tables: Vec<TableDef>,
    #[serde(default)]
    pub plugins: Vec<PluginDef>,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    pub name: String,
    pub label: String,
    /// The table it extends, whose columns it inherits (`incident` extends `task`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Where its shape comes from (a documentation page, the seeds, or a snapshot).
    #[serde(default)]
    pub source: String,
    /// The column whose value stands for a record (its display value).
    pub display: String,
    /// How new records are numbered (`INC0010001`), when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<NumberDef>,
    pub columns: Vec<ColumnDef>,
}

/// A table's numbering, as the platform's `sys_number` holds it: the prefix, the digits after
/// it, and the number the count starts after (`start: 10000` makes the first `0010001`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberDef {
    pub prefix: String,
    pub digits: usize,
    #[serde(default)]
    pub start: u64,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    pub name: String,
    /// The platform's internal type (`string`, `reference`, `boolean`, ...).
    #[serde(rename = "type", default = "string_type")]
    pub kind: String,
    /// For a reference: the table it refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The value a new record gets when the caller leaves the column out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ChoiceDef>,
}

fn string_type() -> String {
    "string".into()
}

/// One value of a choice column, and its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceDef {
    pub value: String,
    pub label: String,
}

/// A plugin the instance has active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginDef {
    pub id: String,
    pub name: String,
}

/// Why a dictionary file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    #[error("{origin}: {message}")]
    Unreadable { origin: String, message: String },
    #[error("{origin}: {message}")]
    Inconsistent { origin: String, message: String },
}

/// A dictionary checked and indexed for the mock.
#[derive(Debug)]
pub struct Dictionary {
    file: DictionaryFile,
    index: HashMap<String, usize>,
    /// Each table and the tables extending it, itself first: worked out once, since the
    /// store asks it on every record it reads.
    families: HashMap<String, Vec<String>>,
}

impl Dictionary {
    /// The built-in dictionary, parsed once.
    pub fn built_in() -> Arc<Dictionary> {
        static BUILT: OnceLock<Arc<Dictionary>> = OnceLock::new();
        Arc::clone(BUILT.get_or_init(|| {
            // Checked by the tests on every change: a built-in file that does not read is a
            // bug of this release, not an input.
            Arc::new(
                Dictionary::parse(BUILT_IN, "dictionaries/built-in.yaml")
                    .unwrap_or_else(|e| panic!("the built-in dictionary: {e}")),
            )
        }))
    }

    /// Reads a dictionary file's text; `origin` names it in errors (with the line, for YAML
    /// that does not read).
    pub fn parse(text: &str, origin: &str) -> Result<Self, DictionaryError> {
        let file: DictionaryFile =
            serde_yaml::from_str(text).map_err(|e| DictionaryError::Unreadable {
                origin: match e.location() {
                    Some(at) => format!("{origin}:{}", at.line()),
                    None => origin.to_string(),
                },
                message: e.to_string(),
            })?;
        Self::from_file(file, origin)
    }

    /// Checks `file`: a known format, each table once, parents and references naming tables
    /// of the file, display columns among the table's columns, no parent loop.
    pub fn from_file(file: DictionaryFile, origin: &str) -> Result<Self, DictionaryError> {
        let wrong = |message: String| DictionaryError::Inconsistent {
            origin: origin.to_string(),
            message,
        };
        if file.format != DICTIONARY_FORMAT {
            return Err(wrong(format!(
                "format {} is not one this release reads ({DICTIONARY_FORMAT})",
                file.format
            )));
        }
        let mut index = HashMap::new();
        for (i, table) in file.tables.iter().enumerate() {
            if index.insert(table.name.clone(), i).is_some() {
                return Err(wrong(format!("table `{}` is listed twice", table.name)));
            }
        }
        let mut dictionary = Self {
            file,
            index,
            families: HashMap::new(),
        };
        for table in &dictionary.file.tables {
            if let Some(parent) = &table.parent {
                if !dictionary.index.contains_key(parent) {
                    return Err(wrong(format!(
                        "table `{}` extends `{parent}`, which the file does not list",
                        table.name
                    )));
                }
            }
            for column in &table.columns {
                if let Some(target) = &column.reference {
                    if !dictionary.index.contains_key(target) {
                        return Err(wrong(format!(
                            "column `{}.{}` refers to `{target}`, which the file does not list",
                            table.name, column.name
                        )));
                    }
                }
            }
            if dictionary.lineage(&table.name).len() > dictionary.file.tables.len() {
                return Err(wrong(format!("table `{}` extends itself", table.name)));
            }
            let fields = dictionary.fields_of(&table.name).unwrap_or_default();
            if !fields.contains(&table.display.as_str()) {
                return Err(wrong(format!(
                    "table `{}` is displayed by `{}`, which is not one of its columns",
                    table.name, table.display
                )));
            }
        }
        dictionary.families = dictionary
            .file
            .tables
            .iter()
            .map(|t| {
                let mut family = vec![t.name.clone()];
                family.extend(
                    dictionary
                        .file
                        .tables
                        .iter()
                        .filter(|o| o.name != t.name && dictionary.extends(&o.name, &t.name))
                        .map(|o| o.name.clone()),
                );
                (t.name.clone(), family)
            })
            .collect();
        Ok(dictionary)
    }

    /// `table` and every table that extends it, itself first (an incident is a task too);
    /// just `table` for one the dictionary does not list.
    pub fn family<'a>(&'a self, table: &'a str) -> Vec<&'a str> {
        match self.families.get(table) {
            Some(family) => family.iter().map(String::as_str).collect(),
            None => vec![table],
        }
    }

    /// The file it was read from.
    pub fn file(&self) -> &DictionaryFile {
        &self.file
    }

    /// Every table's name, in the file's order.
    pub fn table_names(&self) -> Vec<&str> {
        self.file.tables.iter().map(|t| t.name.as_str()).collect()
    }

    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.index.get(name).map(|&i| &self.file.tables[i])
    }

    /// Whether the mock serves `table` through the Table API.
    pub fn is_known_table(&self, table: &str) -> bool {
        self.index.contains_key(table)
    }

    /// `table` and its ancestors, nearest first (bounded: a loop stops after every table).
    fn lineage(&self, table: &str) -> Vec<&TableDef> {
        let mut out = Vec::new();
        let mut current = self.table(table);
        while let Some(t) = current {
            out.push(t);
            if out.len() > self.file.tables.len() {
                break;
            }
            current = t.parent.as_deref().and_then(|p| self.table(p));
        }
        out
    }

    /// Whether `table` extends `ancestor` (directly or through other tables).
    pub fn extends(&self, table: &str, ancestor: &str) -> bool {
        self.lineage(table)
            .iter()
            .skip(1)
            .any(|t| t.name == ancestor)
    }

    /// The column `field` of `table` or of a table it extends.
    pub fn column(&self, table: &str, field: &str) -> Option<&ColumnDef> {
        self.lineage(table)
            .into_iter()
            .find_map(|t| t.columns.iter().find(|c| c.name == field))
    }

    /// The fields of `table`: the system fields, its own, and its parents'; `None` for a
    /// table the dictionary does not list.
    pub fn fields_of(&self, table: &str) -> Option<Vec<&str>> {
        let lineage = self.lineage(table);
        if lineage.is_empty() {
            return None;
        }
        let mut out: Vec<&str> = SYSTEM_FIELDS.to_vec();
        for t in lineage {
            for c in &t.columns {
                // A child may list a parent's column again, with choices of its own.
                if !out.contains(&c.name.as_str()) {
                    out.push(c.name.as_str());
                }
            }
        }
        Some(out)
    }

    /// Whether `field` (possibly dot-walked through references) names a field of `table`.
    pub fn has_field(&self, table: &str, field: &str) -> bool {
        let mut table = table.to_string();
        let segments: Vec<&str> = field.split('.').collect();
        for (i, segment) in segments.iter().enumerate() {
            let Some(fields) = self.fields_of(&table) else {
                return false;
            };
            if !fields.contains(segment) {
                return false;
            }
            if i + 1 < segments.len() {
                match self.reference_target(&table, segment) {
                    Some(target) => table = target.to_string(),
                    None => return false,
                }
            }
        }
        true
    }

    /// The column whose value stands for a record of `table` (its display value).
    pub fn display_field(&self, table: &str) -> &str {
        self.table(table).map_or("name", |t| t.display.as_str())
    }

    /// The table `field` of `table` refers to, if it is a reference.
    pub fn reference_target(&self, table: &str, field: &str) -> Option<&str> {
        self.column(table, field)?.reference.as_deref()
    }

    /// How new records of `table` itself are numbered, if they are.
    pub fn number(&self, table: &str) -> Option<&NumberDef> {
        self.table(table)?.number.as_ref()
    }

    /// The values a new record of `table` starts with when the caller leaves them out.
    pub fn defaults(&self, table: &str) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for t in self.lineage(table) {
            for c in &t.columns {
                if let Some(value) = &c.default {
                    if !out.iter().any(|(name, _)| *name == c.name) {
                        out.push((c.name.as_str(), value.as_str()));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_dictionary_reads_and_describes_the_suites_tables() {
        let d = Dictionary::built_in();
        for table in [
            "awa_work_item",
            "awa_reject_reason",
            "interaction",
            "sys_cs_conversation_member",
            "sys_user",
            "task",
            "incident",
        ] {
            assert!(d.is_known_table(table), "{table}");
        }
        // incident extends task: its columns, references and display.
        let fields = d.fields_of("incident").unwrap();
        assert!(fields.contains(&"short_description") && fields.contains(&"caller_id"));
        assert_eq!(
            d.reference_target("incident", "assigned_to"),
            Some("sys_user")
        );
        assert!(d.has_field("awa_work_item", "assigned_to.user_name"));
        assert!(!d.has_field("awa_work_item", "assigned_to.nothing"));
        assert_eq!(d.display_field("awa_reject_reason"), "reason");
        assert!(d.defaults("awa_work_item").contains(&("state", "queued")));
        assert!(d.fields_of("no_such_table").is_none());
        assert_eq!(d.family("task"), ["task", "incident"]);
        assert_eq!(d.family("incident"), ["incident"]);
        assert_eq!(d.family("no_such_table"), ["no_such_table"]);
    }

    #[test]
    fn an_inconsistent_file_is_refused_with_what_is_wrong() {
        let cases = [
            ("format: 2\ntables: []\n", "format 2"),
            (
                "format: 1\ntables:\n  - {name: a, label: A, display: x, columns: [{name: x}]}\n  - {name: a, label: A, display: x, columns: [{name: x}]}\n",
                "listed twice",
            ),
            (
                "format: 1\ntables:\n  - {name: a, label: A, parent: b, display: x, columns: [{name: x}]}\n",
                "extends `b`",
            ),
            (
                "format: 1\ntables:\n  - {name: a, label: A, display: x, columns: [{name: x, type: reference, reference: nowhere}]}\n",
                "refers to `nowhere`",
            ),
            (
                "format: 1\ntables:\n  - {name: a, label: A, parent: a, display: x, columns: [{name: x}]}\n",
                "extends itself",
            ),
            (
                "format: 1\ntables:\n  - {name: a, label: A, display: y, columns: [{name: x}]}\n",
                "displayed by `y`",
            ),
            ("format: 1\ntables:\n  - {name: a, colour: red}\n", "f.yaml:3"),
        ];
        for (text, expected) in cases {
            let error = Dictionary::parse(text, "f.yaml").unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
