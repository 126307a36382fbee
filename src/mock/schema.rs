//! What the mock's tables are made of, as the platform describes its own: the tables, the
//! fields of each (with a parent table, as `incident` extends `task`), their references,
//! defaults and display fields, the choice lists and the plugins. Data only: at start
//! [`super::metadata`] writes it into `sys_db_object`, `sys_dictionary`, `sys_choice` and
//! `v_plugin`, so that `sn-conform doctor` reads the mock exactly as it reads an instance.

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
    ("interaction_json_blob", None, &["value"]),
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
            match reference_target(&table, segment) {
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

/// Tables the mock knows, with the reference fields of each (field, referenced table).
pub const TABLES: &[(&str, &[(&str, &str)])] = &[
    ("sys_user", &[]),
    ("sys_properties", &[]),
    ("awa_service_channel", &[]),
    ("awa_queue", &[]),
    (
        "awa_reject_reason",
        &[("service_channel", "awa_service_channel")],
    ),
    (
        "awa_work_item",
        &[("assigned_to", "sys_user"), ("queue", "awa_queue")],
    ),
    (
        "interaction",
        &[
            ("closed_by", "sys_user"),
            ("opened_for", "sys_user"),
            ("assigned_to", "sys_user"),
        ],
    ),
    ("interaction_json_blob", &[]),
    ("live_group_profile", &[]),
    (
        "sys_cs_conversation_member",
        &[("member", "sys_user"), ("conversation", "interaction")],
    ),
    ("incident", &[]),
    ("task", &[("assigned_to", "sys_user")]),
    ("sys_db_object", &[("super_class", "sys_db_object")]),
    ("sys_dictionary", &[]),
    ("sys_choice", &[]),
    ("sys_user_role", &[]),
    (
        "sys_user_has_role",
        &[("user", "sys_user"), ("role", "sys_user_role")],
    ),
    ("v_plugin", &[]),
];

/// The names of the tables the mock knows.
pub const TABLE_NAMES: [&str; TABLES.len()] = {
    let mut names = [""; TABLES.len()];
    let mut i = 0;
    while i < TABLES.len() {
        names[i] = TABLES[i].0;
        i += 1;
    }
    names
};

/// Values a new record of a table starts with when the caller leaves them out.
pub fn defaults(table: &str) -> &'static [(&'static str, &'static str)] {
    match table {
        "sys_user" => &[("active", "true")],
        "awa_service_channel" => &[("active", "true")],
        "awa_work_item" => &[
            ("rejected", "false"),
            ("assigned_to", ""),
            ("state", "queued"),
        ],
        "sys_cs_conversation_member" => &[("active", "true"), ("member_type", "observer")],
        _ => &[],
    }
}

/// The referenced table of `field` in `table`, if it is a reference field.
pub fn reference_target(table: &str, field: &str) -> Option<&'static str> {
    TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .and_then(|(_, refs)| refs.iter().find(|(f, _)| *f == field))
        .map(|(_, target)| *target)
}

/// Whether the mock serves `table` through the Table API.
pub fn is_known_table(table: &str) -> bool {
    TABLES.iter().any(|(name, _)| *name == table)
}
