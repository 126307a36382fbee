//! The metadata tables of the mock, filled at start from its dictionary and the accounts:
//! `sys_db_object`, `sys_dictionary`, `sys_choice`, `sys_number`, `v_plugin`, `sys_user_role`
//! and `sys_user_has_role`, so that `sn-conform doctor` reads the mock exactly as it reads an
//! instance.

use serde_json::{json, Map, Value};

use super::auth::{Account, ROLE_ADMIN, ROLE_AWA_INTEGRATION};
use super::fault::{Fault, FaultSet};
use super::schema::FAULT_MISSING_FIELD;
use super::store::Tables;

/// Fills the metadata tables from the tables' dictionary and `accounts`; `faults` may leave
/// out a dictionary row.
pub fn describe(tables: &mut Tables, accounts: &[Account], faults: &FaultSet) {
    let dictionary = std::sync::Arc::clone(tables.dictionary());
    let file = dictionary.file();
    let mut ids = std::collections::HashMap::new();
    for table in &file.tables {
        let record = tables.insert(
            "sys_db_object",
            &fields(&[("name", &table.name), ("label", &table.label)]),
        );
        ids.insert(
            table.name.as_str(),
            record["sys_id"].as_str().unwrap_or_default().to_string(),
        );
    }
    for table in &file.tables {
        let name = table.name.as_str();
        if let (Some(parent), Some(id)) = (&table.parent, ids.get(name)) {
            tables.set("sys_db_object", id, "super_class", &ids[parent.as_str()]);
        }
        for column in &table.columns {
            let missing = faults.has(Fault::DictionaryMissingField)
                && (name, column.name.as_str()) == FAULT_MISSING_FIELD;
            if missing {
                continue;
            }
            let display = if column.name == table.display {
                "true"
            } else {
                "false"
            };
            tables.insert(
                "sys_dictionary",
                &fields(&[
                    ("name", name),
                    ("element", &column.name),
                    ("internal_type", &column.kind),
                    ("reference", column.reference.as_deref().unwrap_or("")),
                    ("display", display),
                    ("default_value", column.default.as_deref().unwrap_or("")),
                ]),
            );
        }
        tables.insert(
            "sys_dictionary",
            &fields(&[
                ("name", name),
                ("element", "sys_id"),
                ("internal_type", "GUID"),
                ("reference", ""),
                (
                    "display",
                    if table.display == "sys_id" {
                        "true"
                    } else {
                        "false"
                    },
                ),
                ("default_value", ""),
            ]),
        );
        if let (Some(number), true) = (&table.number, dictionary.is_known_table("sys_number")) {
            tables.insert(
                "sys_number",
                &fields(&[
                    ("category", name),
                    ("prefix", &number.prefix),
                    ("maximum_digits", &number.digits.to_string()),
                    ("number", &number.start.to_string()),
                ]),
            );
        }
        for column in &table.columns {
            for choice in &column.choices {
                tables.insert(
                    "sys_choice",
                    &fields(&[
                        ("name", name),
                        ("element", &column.name),
                        ("value", &choice.value),
                        ("label", &choice.label),
                    ]),
                );
            }
        }
    }
    for plugin in &file.plugins {
        tables.insert(
            "v_plugin",
            &fields(&[
                ("id", &plugin.id),
                ("name", &plugin.name),
                ("active", "active"),
            ]),
        );
    }
    let mut roles = std::collections::HashMap::new();
    for role in [ROLE_ADMIN, ROLE_AWA_INTEGRATION] {
        let record = tables.insert("sys_user_role", &fields(&[("name", role)]));
        roles.insert(
            role,
            record["sys_id"].as_str().unwrap_or_default().to_string(),
        );
    }
    for account in accounts {
        let user = tables.find(
            "sys_user",
            &[("user_name".into(), account.user_name.clone())],
        );
        let Some(user) = user.first().and_then(|u| u["sys_id"].as_str()) else {
            continue;
        };
        for role in &account.roles {
            if let Some(role) = roles.get(role) {
                tables.insert(
                    "sys_user_has_role",
                    &fields(&[("user", user), ("role", role), ("state", "active")]),
                );
            }
        }
    }
}

fn fields(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}
