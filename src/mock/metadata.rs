//! The metadata tables of the mock, filled at start from [`super::schema`] and the accounts:
//! `sys_db_object`, `sys_dictionary`, `sys_choice`, `v_plugin`, `sys_user_role` and
//! `sys_user_has_role`, so that `sn-conform doctor` reads the mock exactly as it reads an
//! instance.

use serde_json::{json, Map, Value};

use super::auth::{Account, ROLE_ADMIN, ROLE_AWA_INTEGRATION};
use super::fault::{Fault, FaultSet};
use super::schema::{reference_target, CHOICES, FAULT_MISSING_FIELD, PLUGINS, TABLE_FIELDS};
use super::store::Tables;

/// Fills the metadata tables for `accounts`; `faults` may leave out a dictionary row.
pub fn describe(tables: &mut Tables, accounts: &[Account], faults: &FaultSet) {
    let mut ids = std::collections::HashMap::new();
    for (name, _, _) in TABLE_FIELDS {
        let record = tables.insert("sys_db_object", &fields(&[("name", name), ("label", name)]));
        ids.insert(
            *name,
            record["sys_id"].as_str().unwrap_or_default().to_string(),
        );
    }
    for (name, parent, own) in TABLE_FIELDS {
        if let (Some(parent), Some(id)) = (parent, ids.get(name)) {
            tables.set("sys_db_object", id, "super_class", &ids[parent]);
        }
        for field in own.iter().chain(["sys_id"].iter()) {
            let missing =
                faults.has(Fault::DictionaryMissingField) && (*name, *field) == FAULT_MISSING_FIELD;
            if missing {
                continue;
            }
            let reference = reference_target(name, field).unwrap_or("");
            let kind = if reference.is_empty() {
                "string"
            } else {
                "reference"
            };
            tables.insert(
                "sys_dictionary",
                &fields(&[
                    ("name", name),
                    ("element", field),
                    ("internal_type", kind),
                    ("reference", reference),
                ]),
            );
        }
    }
    for (table, field, values) in CHOICES {
        for value in *values {
            tables.insert(
                "sys_choice",
                &fields(&[
                    ("name", table),
                    ("element", field),
                    ("value", value),
                    ("label", value),
                ]),
            );
        }
    }
    for (id, name) in PLUGINS {
        tables.insert(
            "v_plugin",
            &fields(&[("id", id), ("name", name), ("active", "active")]),
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
