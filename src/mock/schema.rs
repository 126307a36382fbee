//! What every table has besides the columns its dictionary lists ([`super::dictionary`]):
//! the system fields the mock maintains, and the dictionary row a fault leaves out.

/// Fields every record has, maintained by the mock on insert and update.
pub const SYSTEM_FIELDS: &[&str] = &[
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
];

/// The dictionary row a fault removes, to prove that `doctor` notices a missing field.
pub const FAULT_MISSING_FIELD: (&str, &str) = ("awa_work_item", "rejected");
