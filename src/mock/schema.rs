//! What the mock's tables are made of, as the platform describes its own: the fields of each
//! table (with a parent table, as `incident` extends `task`), the choice lists, the roles and
//! the plugins. At start they fill `sys_db_object`, `sys_dictionary`, `sys_choice`,
//! `sys_user_role`, `sys_user_has_role` and `v_plugin`, so that `sn-conform doctor` reads the
//! mock exactly as it reads an instance.

use serde_json::{json, Map, Value};

use super::auth::Account;
use super::fault::{Fault, FaultSet};
use super::store::Tables;

/// Each table: its parent (whose fields it inherits) and its own fields.
pub const TABLE_FIELDS: &[(&str, Option<&str>, &[&str])] = &[
    (
        "sys_user",
        None,
        &["user_name", "first_name", "last_name", "active", "email"],
    ),
    (
        "sys_properties",
        None,
        &["name", "value", "type", "description"],
    ),
    ("awa_service_channel", None, &["name", "active"]),
    ("awa_queue", None, &["name", "active", "service_channel"]),
    (
        "awa_reject_reason",
        None,
        &["reason", "order", "service_channel"],
    ),
    (
        "awa_work_item",
        None,
        &[
            "assigned_to",
            "state",
            "document_table",
            "document_id",
            "rejected",
            "queue",
        ],
    ),
    (
        "interaction",
        None,
        &[
            "number",
            "state",
            "queue",
            "channel",
            "opened_for",
            "closed_by",
            "assigned_to",
            "context_table",
            "context_document",
            "channel_metadata_table",
            "channel_metadata_document",
        ],
    ),
    ("interaction_json_blob", None, &["data"]),
    ("live_group_profile", None, &["name"]),
    (
        "sys_cs_conversation_member",
        None,
        &["conversation", "member", "member_type", "active"],
    ),
    (
        "task",
        None,
        &[
            "number",
            "short_description",
            "state",
            "assigned_to",
            "active",
        ],
    ),
    ("incident", Some("task"), &["category", "caller_id"]),
    ("sys_db_object", None, &["name", "label", "super_class"]),
    (
        "sys_dictionary",
        None,
        &["name", "element", "internal_type", "reference"],
    ),
    ("sys_choice", None, &["name", "element", "value", "label"]),
    ("sys_user_role", None, &["name", "description"]),
    ("sys_user_has_role", None, &["user", "role", "state"]),
    ("v_plugin", None, &["id", "name", "active"]),
];

/// Fields every record has, maintained by the mock on insert and update.
pub const SYSTEM_FIELDS: &[&str] = &[
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
];

/// The fields of `table`: its own, its parents', and the system fields; `None` for a table
/// the mock does not describe.
pub fn fields_of(table: &str) -> Option<Vec<&'static str>> {
    let mut out: Vec<&'static str> = SYSTEM_FIELDS.to_vec();
    let mut current = Some(table);
    let mut found = false;
    while let Some(name) = current {
        let Some((_, parent, own)) = TABLE_FIELDS.iter().find(|(n, _, _)| *n == name) else {
            break;
        };
        found = true;
        out.extend(own.iter().copied());
        current = *parent;
    }
    found.then_some(out)
}

/// Whether `field` (possibly dot-walked through references) names a field of `table`.
pub fn has_field(table: &str, field: &str) -> bool {
    let mut table = table.to_string();
    let segments: Vec<&str> = field.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let Some(fields) = fields_of(&table) else {
            return false;
        };
        if !fields.contains(segment) {
            return false;
        }
        if i + 1 < segments.len() {
            match super::store::reference_target(&table, segment) {
                Some(target) => table = target.to_string(),
                None => return false,
            }
        }
    }
    true
}

/// The field whose value stands for a record of `table` (its display value).
pub fn display_field(table: &str) -> &'static str {
    match table {
        "sys_user" => "user_name",
        "awa_reject_reason" => "reason",
        "interaction" | "incident" | "task" => "number",
        "sys_dictionary" => "element",
        "sys_choice" => "label",
        "v_plugin" => "id",
        "sys_user_has_role" => "role",
        "interaction_json_blob" => "sys_id",
        "sys_cs_conversation_member" => "member",
        "awa_work_item" => "document_id",
        _ => "name",
    }
}

/// Choice lists: table, field, values.
pub const CHOICES: &[(&str, &str, &[&str])] = &[
    (
        "awa_work_item",
        "state",
        &["queued", "pending_accept", "accepted", "cancelled"],
    ),
    (
        "sys_cs_conversation_member",
        "member_type",
        &["observer", "private_fulfiller", "public_fulfiller"],
    ),
    (
        "interaction",
        "state",
        &["new", "queued", "closed_complete"],
    ),
];

/// The plugins the three APIs come with, all active on the mock.
pub const PLUGINS: &[(&str, &str)] = &[
    ("com.glide.awa", "Advanced Work Assignment"),
    ("com.glide.interaction", "Interaction Management"),
];

/// The dictionary row a fault removes, to prove that `doctor` notices a missing field.
pub const FAULT_MISSING_FIELD: (&str, &str) = ("awa_work_item", "rejected");

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
            let reference = super::store::reference_target(name, field).unwrap_or("");
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
    for role in [super::auth::ROLE_ADMIN, super::auth::ROLE_AWA_INTEGRATION] {
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
