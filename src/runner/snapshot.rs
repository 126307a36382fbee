//! `sn-conform snapshot`: an instance's own dictionary for the tables the mock serves, read
//! with GET requests only (`sys_db_object`, `sys_dictionary`, `sys_choice`, `sys_number`,
//! `v_plugin`), through the run's client and its limits, and written as a dictionary file the
//! mock serves (`sn-conform mock --dictionary FILE`): a twin of that instance's shape.
//!
//! What the file cannot hold is said, not guessed: a reference to a table outside the snapshot
//! becomes text, a scripted default (`javascript:`) is left out, a table the instance lacks is
//! named; each is a note.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::client::{Client, Journal, Mode};
use super::error::RequestError;
use crate::mock::dictionary::{
    ChoiceDef, ColumnDef, Dictionary, DictionaryError, DictionaryFile, NumberDef, PluginDef,
    TableDef, DICTIONARY_FORMAT,
};
use crate::report::Origin;
use crate::spec::Auth;

/// Rows read per request.
const PAGE: usize = 1000;

/// How many levels of parents are followed at most (the platform's deepest are a few).
const MAX_DEPTH: usize = 16;

/// A snapshot: the dictionary file, and what it could not hold.
#[derive(Debug)]
pub struct Snapshot {
    pub file: DictionaryFile,
    pub notes: Vec<String>,
}

/// Why there is no snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("reading {table} answered {status}: {detail}")]
    Refused {
        table: String,
        status: u16,
        detail: String,
    },
    #[error("the instance answered something that is not the platform's: {0}")]
    Foreign(String),
    #[error("none of the tables asked for is on the instance ({0})")]
    NoTables(String),
    #[error("the snapshot does not make a dictionary the mock can serve: {0}")]
    Inconsistent(#[from] DictionaryError),
}

/// One table as `sys_db_object` describes it.
struct Object {
    sys_id: String,
    label: String,
    parent_id: String,
}

/// Reads the dictionary of `tables` (and the tables they extend) from the instance `client`
/// talks to; `plugins` are the plugin ids whose state is recorded.
pub(super) async fn read(
    client: &Client,
    tables: &[String],
    plugins: &[PluginDef],
    source: &str,
) -> Result<Snapshot, SnapshotError> {
    let reader = Reader { client };
    let mut notes = Vec::new();
    let mut objects: BTreeMap<String, Object> = BTreeMap::new();
    let listed = reader
        .list(
            "sys_db_object",
            &format!("nameIN{}", tables.join(",")),
            "sys_id,name,label,super_class",
        )
        .await?
        .ok_or_else(|| SnapshotError::NoTables(tables.join(", ")))?;
    add_objects(&mut objects, listed);
    for table in tables.iter().filter(|t| !objects.contains_key(*t)) {
        notes.push(format!("the instance has no table `{table}`: left out"));
    }
    if objects.is_empty() {
        return Err(SnapshotError::NoTables(tables.join(", ")));
    }
    // The tables they extend, level by level.
    for _ in 0..MAX_DEPTH {
        let known: BTreeSet<&str> = objects.values().map(|o| o.sys_id.as_str()).collect();
        let missing: BTreeSet<String> = objects
            .values()
            .map(|o| o.parent_id.clone())
            .filter(|p| !p.is_empty() && !known.contains(p.as_str()))
            .collect();
        if missing.is_empty() {
            break;
        }
        let ids: Vec<String> = missing.into_iter().collect();
        let parents = reader
            .list(
                "sys_db_object",
                &format!("sys_idIN{}", ids.join(",")),
                "sys_id,name,label,super_class",
            )
            .await?
            .unwrap_or_default();
        if parents.is_empty() {
            break;
        }
        add_objects(&mut objects, parents);
    }
    let names: Vec<String> = objects.keys().cloned().collect();
    let within = format!("nameIN{}", names.join(","));
    let columns = reader
        .list(
            "sys_dictionary",
            &within,
            "name,element,internal_type,reference,display,default_value",
        )
        .await?
        .unwrap_or_default();
    let choices = reader
        .list(
            "sys_choice",
            &within,
            "name,element,value,label,sequence,inactive",
        )
        .await?
        .unwrap_or_default();
    let numbers = reader
        .list(
            "sys_number",
            &format!("categoryIN{}", names.join(",")),
            "category,prefix,maximum_digits,number",
        )
        .await?;
    if numbers.is_none() {
        notes.push("sys_number could not be read: no table is numbered".into());
    }
    let found_plugins = reader
        .list(
            "v_plugin",
            &format!(
                "idIN{}",
                plugins
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "id,name,active",
        )
        .await?
        .unwrap_or_default();
    let by_id: BTreeMap<&str, &str> = objects
        .iter()
        .map(|(name, o)| (o.sys_id.as_str(), name.as_str()))
        .collect();
    let mut order: Vec<String> = tables
        .iter()
        .filter(|t| objects.contains_key(*t))
        .cloned()
        .collect();
    order.extend(names.iter().filter(|n| !tables.contains(n)).cloned());
    let mut defs: Vec<TableDef> = Vec::new();
    for name in &order {
        let object = &objects[name];
        let parent = by_id.get(object.parent_id.as_str()).map(|p| p.to_string());
        let mut def = TableDef {
            name: name.clone(),
            label: object.label.clone(),
            parent,
            source: source.to_string(),
            display: String::new(),
            number: numbers
                .iter()
                .flatten()
                .find(|r| text(r, "category") == name)
                .map(|r| NumberDef {
                    prefix: text(r, "prefix").to_string(),
                    digits: text(r, "maximum_digits").parse().unwrap_or(7),
                    start: text(r, "number").parse().unwrap_or(0),
                }),
            columns: Vec::new(),
        };
        let mut own_display = None;
        for row in columns.iter().filter(|r| text(r, "name") == name) {
            let element = text(row, "element");
            if element.is_empty() {
                continue;
            }
            if text(row, "display") == "true" {
                own_display = Some(element.to_string());
            }
            if crate::mock::SYSTEM_FIELDS.contains(&element) {
                continue;
            }
            def.columns
                .push(column(name, row, &choices, &names, &mut notes));
        }
        def.display = own_display.unwrap_or_default();
        defs.push(def);
    }
    resolve_displays(&mut defs);
    add_choice_overrides(&mut defs, &choices);
    let file = DictionaryFile {
        format: DICTIONARY_FORMAT,
        tables: defs,
        plugins: found_plugins
            .iter()
            .filter(|p| text(p, "active") == "active" || text(p, "active") == "true")
            .map(|p| PluginDef {
                id: text(p, "id").to_string(),
                name: text(p, "name").to_string(),
            })
            .collect(),
    };
    // The mock must be able to serve it.
    Dictionary::from_file(file.clone(), "the snapshot")?;
    Ok(Snapshot { file, notes })
}

fn add_objects(objects: &mut BTreeMap<String, Object>, rows: Vec<Map<String, Value>>) {
    for row in rows {
        let name = text(&row, "name").to_string();
        if name.is_empty() {
            continue;
        }
        objects.insert(
            name,
            Object {
                sys_id: text(&row, "sys_id").to_string(),
                label: text(&row, "label").to_string(),
                parent_id: text(&row, "super_class").to_string(),
            },
        );
    }
}

/// One column from its `sys_dictionary` row and its `sys_choice` rows.
fn column(
    table: &str,
    row: &Map<String, Value>,
    choices: &[Map<String, Value>],
    names: &[String],
    notes: &mut Vec<String>,
) -> ColumnDef {
    let element = text(row, "element");
    let reference = Some(text(row, "reference"))
        .filter(|r| !r.is_empty())
        .and_then(|r| {
            if names.iter().any(|n| n == r) {
                Some(r.to_string())
            } else {
                notes.push(format!(
                    "{table}.{element} refers to `{r}`, outside the snapshot: served as text"
                ));
                None
            }
        });
    let default = Some(text(row, "default_value"))
        .filter(|d| !d.is_empty())
        .and_then(|d| {
            if d.starts_with("javascript:") {
                notes.push(format!(
                    "{table}.{element} has a scripted default: left out"
                ));
                None
            } else {
                Some(d.to_string())
            }
        });
    ColumnDef {
        name: element.to_string(),
        kind: Some(text(row, "internal_type"))
            .filter(|k| !k.is_empty())
            .unwrap_or("string")
            .to_string(),
        reference,
        default,
        choices: choices_of(choices, table, element),
    }
}

/// The active `sys_choice` rows of `table`'s `element`, by sequence where the instance gives
/// one, else in the order it answered.
fn choices_of(choices: &[Map<String, Value>], table: &str, element: &str) -> Vec<ChoiceDef> {
    let mut own: Vec<&Map<String, Value>> = choices
        .iter()
        .filter(|c| {
            text(c, "name") == table
                && text(c, "element") == element
                && text(c, "inactive") != "true"
        })
        .collect();
    own.sort_by_key(|c| text(c, "sequence").parse::<i64>().unwrap_or(i64::MAX));
    own.into_iter()
        .map(|c| ChoiceDef {
            value: text(c, "value").to_string(),
            label: text(c, "label").to_string(),
        })
        .collect()
}

/// A child table's own choices for a column it inherits (incident's `state` offers New,
/// In Progress, ... where task's offers Open, ...): on an instance they are `sys_choice` rows
/// of the child with no `sys_dictionary` row of its own, so the column is listed again on the
/// child with those choices.
fn add_choice_overrides(defs: &mut [TableDef], choices: &[Map<String, Value>]) {
    let by_name: BTreeMap<String, TableDef> =
        defs.iter().map(|d| (d.name.clone(), d.clone())).collect();
    for def in defs.iter_mut() {
        let elements: BTreeSet<&str> = choices
            .iter()
            .filter(|c| text(c, "name") == def.name && text(c, "inactive") != "true")
            .map(|c| text(c, "element"))
            .collect();
        for element in elements {
            if def.columns.iter().any(|c| c.name == element) {
                continue;
            }
            // The nearest ancestor's column, with the child's choices.
            let mut parent = def.parent.clone();
            let mut inherited = None;
            while let Some(name) = parent {
                let Some(ancestor) = by_name.get(&name) else {
                    break;
                };
                if let Some(c) = ancestor.columns.iter().find(|c| c.name == element) {
                    inherited = Some(c.clone());
                    break;
                }
                parent = ancestor.parent.clone();
            }
            let Some(mut column) = inherited else {
                continue;
            };
            column.choices = choices_of(choices, &def.name, element);
            def.columns.push(column);
        }
    }
}

/// A table without a display column of its own shows its parent's; failing that the platform's
/// fallbacks, `name`, then `number`, then the sys_id.
fn resolve_displays(defs: &mut [TableDef]) {
    for _ in 0..MAX_DEPTH {
        let known: BTreeMap<String, String> = defs
            .iter()
            .filter(|d| !d.display.is_empty())
            .map(|d| (d.name.clone(), d.display.clone()))
            .collect();
        let mut changed = false;
        for def in defs.iter_mut().filter(|d| d.display.is_empty()) {
            if let Some(display) = def.parent.as_ref().and_then(|p| known.get(p)) {
                def.display = display.clone();
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let columns: BTreeMap<String, Vec<String>> = defs
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect();
    for def in defs.iter_mut().filter(|d| d.display.is_empty()) {
        let has = |name: &str| columns[&def.name].iter().any(|c| c == name);
        def.display = if has("name") {
            "name".into()
        } else if has("number") {
            "number".into()
        } else {
            "sys_id".into()
        };
    }
}

fn text<'a>(row: &'a Map<String, Value>, field: &str) -> &'a str {
    row.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Sends the snapshot's GET requests (their exchanges are not reported).
struct Reader<'a> {
    client: &'a Client,
}

impl Reader<'_> {
    /// Every row of `table` matching `query`, page by page; `None` when the table cannot be
    /// read (an instance without it, or without the right to read it).
    async fn list(
        &self,
        table: &str,
        query: &str,
        fields: &str,
    ) -> Result<Option<Vec<Map<String, Value>>>, SnapshotError> {
        let mut rows = Vec::new();
        loop {
            let encoded = serde_urlencoded::to_string([
                ("sysparm_query", query),
                ("sysparm_fields", fields),
                ("sysparm_exclude_reference_link", "true"),
                ("sysparm_limit", &PAGE.to_string()),
                ("sysparm_offset", &rows.len().to_string()),
            ])
            .unwrap_or_default();
            let url = format!(
                "{}/api/now/table/{table}?{encoded}",
                self.client.target.base_url
            );
            let origin = Origin::Doctor {
                what: format!("snapshot of {table}"),
            };
            let outgoing = self.client.outgoing("GET", url, origin, Auth::Default);
            let mut journal = Journal::new(Mode::Abandonable);
            let answer = self.client.send(outgoing, &mut journal).await?;
            if let Some(foreign) = super::foreign::answer_not_the_platform(&answer) {
                return Err(SnapshotError::Foreign(foreign.to_string()));
            }
            match answer.status {
                200 => {}
                // No such table, or no right to read it: the caller says what that leaves out.
                400 | 403 | 404 => return Ok(None),
                status => {
                    return Err(SnapshotError::Refused {
                        table: table.to_string(),
                        status,
                        detail: answer.text.chars().take(200).collect(),
                    })
                }
            }
            let page: Vec<Map<String, Value>> = answer
                .result()
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(|r| r.as_object().cloned()).collect())
                .unwrap_or_default();
            let full = page.len() == PAGE;
            rows.extend(page);
            if !full {
                return Ok(Some(rows));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_childs_own_choices_for_an_inherited_column_become_a_column_of_its_own() {
        let column = |name: &str| ColumnDef {
            name: name.into(),
            kind: "integer".into(),
            reference: None,
            default: Some("1".into()),
            choices: vec![ChoiceDef {
                value: "1".into(),
                label: "Open".into(),
            }],
        };
        let table = |name: &str, parent: Option<&str>, columns: Vec<ColumnDef>| TableDef {
            name: name.into(),
            label: name.into(),
            parent: parent.map(str::to_string),
            source: String::new(),
            display: "sys_id".into(),
            number: None,
            columns,
        };
        let mut defs = vec![
            table("task", None, vec![column("state")]),
            table("incident", Some("task"), Vec::new()),
        ];
        let choices = vec![
            row(
                json!({"name": "incident", "element": "state", "value": "1", "label": "New", "sequence": "2"}),
            ),
            row(
                json!({"name": "incident", "element": "state", "value": "2", "label": "In Progress", "sequence": "1"}),
            ),
            row(
                json!({"name": "incident", "element": "state", "value": "9", "label": "Gone", "inactive": "true"}),
            ),
            row(json!({"name": "incident", "element": "nothing", "value": "x", "label": "X"})),
        ];
        add_choice_overrides(&mut defs, &choices);
        let incident = &defs[1];
        assert_eq!(incident.columns.len(), 1, "only a column the parent has");
        let state = &incident.columns[0];
        assert_eq!(
            (state.kind.as_str(), state.default.as_deref()),
            ("integer", Some("1"))
        );
        let labels: Vec<&str> = state.choices.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            ["In Progress", "New"],
            "by sequence, the inactive one left out"
        );
        assert_eq!(
            defs[0].columns[0].choices[0].label, "Open",
            "the parent keeps its own"
        );
    }
}
