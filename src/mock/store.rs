//! The mock's in-memory tables: a cheap clone handle over plain records.
//!
//! Every field value is a string, as on the platform; references are stored as the target
//! sys_id and rendered as `{link, value}` by the Table API. What each table holds (its fields,
//! references and defaults) is [`super::schema`]'s. A `std::sync::RwLock` guards the tables
//! because no handler holds the lock across an `.await`: each operation takes the lock, reads
//! or writes, and lets go, so concurrent requests see whole operations, never halves, and
//! readers do not wait for each other.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

use super::dictionary::Dictionary;
use super::schema::SYSTEM_FIELDS;

/// One record: field name to string value, `sys_id` included.
pub type Record = Map<String, Value>;

/// Handle to the tables; clones share the same data.
///
/// A `std::sync::RwLock`: no guard is held across an `.await`, and the paths every request
/// takes (the caller's account, the AWA switch, a list) only read, so they need not wait for
/// each other.
#[derive(Clone, Default)]
pub struct Store {
    shared: Arc<RwLock<Tables>>,
}

#[derive(Clone)]
pub struct Tables {
    /// What each table holds: its fields, references and defaults.
    dictionary: Arc<Dictionary>,
    // Ordered maps, not hash maps: a request looks tables up several times, and a few
    // comparisons of short names cost less than hashing the name each time.
    tables: BTreeMap<String, BTreeMap<String, Record>>,
    /// Insertion order per table, so lists come back in creation order as on the platform.
    order: BTreeMap<String, Vec<String>>,
    /// The last number given per numbered table (see [`Dictionary::number`]).
    numbers: BTreeMap<String, u64>,
    /// Access token to (user name, expiry).
    tokens: HashMap<String, (String, std::time::Instant)>,
    /// Refresh token to user name.
    refresh_tokens: HashMap<String, String>,
}

impl Default for Tables {
    fn default() -> Self {
        Self {
            dictionary: Dictionary::built_in(),
            tables: BTreeMap::new(),
            order: BTreeMap::new(),
            numbers: BTreeMap::new(),
            tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
        }
    }
}

impl Store {
    /// Empty tables shaped by `dictionary`.
    pub fn new(dictionary: Arc<Dictionary>) -> Self {
        Self {
            shared: Arc::new(RwLock::new(Tables {
                dictionary,
                ..Tables::default()
            })),
        }
    }

    /// Runs `f` with the tables locked for writing. Keep `f` short and free of `.await`.
    pub fn with<R>(&self, f: impl FnOnce(&mut Tables) -> R) -> R {
        // A panic in another handler cannot leave a table half-written (every write is a
        // single map insert), so a poisoned lock is still safe to use.
        let mut guard = self.shared.write().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Runs `f` with the tables locked for reading, beside other readers.
    pub fn read<R>(&self, f: impl FnOnce(&Tables) -> R) -> R {
        let guard = self.shared.read().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }
}

impl Tables {
    /// What the tables hold.
    pub fn dictionary(&self) -> &Arc<Dictionary> {
        &self.dictionary
    }

    /// A fresh 32-character lowercase hex sys_id.
    pub fn new_sys_id(&mut self) -> String {
        crate::platform::sys_id::fresh()
    }

    /// The value of `path` in `record` of `table`, following references through dots
    /// (`assigned_to.user_name`); empty when a link is missing.
    pub fn walk(&self, table: &str, record: &Record, path: &str) -> String {
        let mut table = table.to_string();
        let mut record = record;
        let mut segments = path.split('.').peekable();
        while let Some(segment) = segments.next() {
            let value = field_str(record, segment);
            if segments.peek().is_none() {
                return value.to_string();
            }
            let Some(target) = self.dictionary.reference_target(&table, segment) else {
                return String::new();
            };
            let Some(next) = self.get(target, value) else {
                return String::new();
            };
            table = target.to_string();
            record = next;
        }
        String::new()
    }

    /// Like [`Tables::insert`], on behalf of `user` (kept in `sys_created_by`), keeping only
    /// the fields the table defines, as the platform's Table API does.
    pub fn insert_as(&mut self, table: &str, fields: &Map<String, Value>, user: &str) -> Record {
        let dictionary = Arc::clone(&self.dictionary);
        let known = dictionary.fields_of(table);
        let kept: Map<String, Value> = fields
            .iter()
            .filter(|(name, _)| {
                known.as_ref().is_none_or(|k| k.contains(&name.as_str()))
                    && !matches!(
                        name.as_str(),
                        "sys_created_on"
                            | "sys_created_by"
                            | "sys_updated_on"
                            | "sys_updated_by"
                            | "sys_mod_count"
                    )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let record = self.insert(table, &kept);
        let sys_id = field_str(&record, "sys_id").to_string();
        for field in ["sys_created_by", "sys_updated_by"] {
            self.set(table, &sys_id, field, user);
        }
        self.get(table, &sys_id).cloned().unwrap_or(record)
    }

    /// Like [`Tables::update`], on behalf of `user`, keeping only the fields the table
    /// defines and counting the change.
    pub fn update_as(
        &mut self,
        table: &str,
        sys_id: &str,
        fields: &Map<String, Value>,
        user: &str,
    ) -> Option<Record> {
        let dictionary = Arc::clone(&self.dictionary);
        let known = dictionary.fields_of(table);
        let kept: Map<String, Value> = fields
            .iter()
            .filter(|(name, _)| {
                known.as_ref().is_none_or(|k| k.contains(&name.as_str()))
                    && !SYSTEM_FIELDS.contains(&name.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.update(table, sys_id, &kept)?;
        self.set(table, sys_id, "sys_updated_by", user);
        self.get(table, sys_id).cloned()
    }

    /// Inserts a record built from `fields` (values turned into strings) and returns it. A
    /// `sys_id` given as 32 lowercase hex characters, and not taken, is kept, as the platform
    /// keeps it; any other is replaced by a fresh one.
    pub fn insert(&mut self, table: &str, fields: &Map<String, Value>) -> Record {
        let given = fields
            .get("sys_id")
            .and_then(Value::as_str)
            .filter(|id| crate::platform::sys_id::is_sys_id(id) && self.get(table, id).is_none());
        let sys_id = match given {
            Some(id) => id.to_string(),
            None => self.new_sys_id(),
        };
        let mut record = Record::new();
        record.insert("sys_id".into(), Value::String(sys_id.clone()));
        let now = now();
        for (name, value) in [
            ("sys_created_on", now.as_str()),
            ("sys_updated_on", now.as_str()),
            ("sys_created_by", "system"),
            ("sys_updated_by", "system"),
            ("sys_mod_count", "0"),
        ] {
            record.insert(name.into(), Value::String(value.into()));
        }
        for (name, value) in self.dictionary.defaults(table) {
            record.insert(name.into(), Value::String(value.into()));
        }
        for (name, value) in fields {
            if name != "sys_id" {
                record.insert(name.clone(), Value::String(as_field_string(value)));
            }
        }
        // The platform numbers the records of a numbered table, whoever inserts them.
        if field_str(&record, "number").is_empty() {
            if let Some(number) = self.next_number(table) {
                record.insert("number".into(), Value::String(number));
            }
        }
        self.complete(table, &mut record);
        self.tables
            .entry(table.to_string())
            .or_default()
            .insert(sys_id.clone(), record.clone());
        self.order
            .entry(table.to_string())
            .or_default()
            .push(sys_id);
        record
    }

    /// What the platform fills in itself: every column of the table (`""` when empty, as an
    /// instance answers every column), the record's class on a table that has one, and a
    /// user's name from its first and last names when none is given.
    fn complete(&self, table: &str, record: &mut Record) {
        if let Some(columns) = self.dictionary.fields_of(table) {
            for column in columns {
                record
                    .entry(column.to_string())
                    .or_insert_with(|| Value::String(String::new()));
            }
        }
        if field_str(record, "sys_class_name").is_empty() && record.contains_key("sys_class_name") {
            record.insert("sys_class_name".into(), Value::String(table.to_string()));
        }
        if table == "sys_user" {
            let name = format!(
                "{} {}",
                field_str(record, "first_name"),
                field_str(record, "last_name")
            );
            if field_str(record, "name").is_empty() && !name.trim().is_empty() {
                record.insert("name".into(), Value::String(name.trim().to_string()));
            }
        }
    }

    /// The table that holds record `sys_id` of `table` (itself, or one extending it).
    fn holder(&self, table: &str, sys_id: &str) -> Option<String> {
        self.dictionary
            .family(table)
            .into_iter()
            .find(|t| {
                self.tables
                    .get(*t)
                    .is_some_and(|rows| rows.contains_key(sys_id))
            })
            .map(str::to_string)
    }

    pub fn get(&self, table: &str, sys_id: &str) -> Option<&Record> {
        let holder = self.holder(table, sys_id)?;
        self.tables.get(&holder).and_then(|t| t.get(sys_id))
    }

    /// Sets fields of an existing record; `None` when there is no such record.
    pub fn update(
        &mut self,
        table: &str,
        sys_id: &str,
        fields: &Map<String, Value>,
    ) -> Option<Record> {
        let holder = self.holder(table, sys_id)?;
        let renamed = table == "sys_user"
            && !fields.contains_key("name")
            && (fields.contains_key("first_name") || fields.contains_key("last_name"));
        let record = self.tables.get_mut(&holder)?.get_mut(sys_id)?;
        if renamed {
            record.insert("name".into(), Value::String(String::new()));
        }
        for (name, value) in fields {
            if name != "sys_id" {
                record.insert(name.clone(), Value::String(as_field_string(value)));
            }
        }
        touch(record);
        let mut record = record.clone();
        self.complete(&holder, &mut record);
        self.tables
            .get_mut(&holder)?
            .insert(sys_id.to_string(), record.clone());
        Some(record)
    }

    pub fn set(&mut self, table: &str, sys_id: &str, field: &str, value: &str) -> Option<()> {
        let holder = self.holder(table, sys_id)?;
        let record = self.tables.get_mut(&holder)?.get_mut(sys_id)?;
        record.insert(field.into(), Value::String(value.into()));
        Some(())
    }

    pub fn delete(&mut self, table: &str, sys_id: &str) -> bool {
        let Some(table) = self.holder(table, sys_id) else {
            return false;
        };
        let table = table.as_str();
        let removed = self
            .tables
            .get_mut(table)
            .and_then(|t| t.remove(sys_id))
            .is_some();
        if removed {
            if let Some(order) = self.order.get_mut(table) {
                order.retain(|id| id != sys_id);
            }
        }
        removed
    }

    /// Records of `table` (and of the tables extending it, after its own) in creation order
    /// whose fields equal every `(field, value)` pair.
    pub fn find(&self, table: &str, conditions: &[(String, String)]) -> Vec<Record> {
        let mut out = Vec::new();
        for member in self.dictionary.family(table) {
            let (Some(rows), Some(order)) = (self.tables.get(member), self.order.get(member))
            else {
                continue;
            };
            out.extend(
                order
                    .iter()
                    .filter_map(|id| rows.get(id))
                    .filter(|record| {
                        conditions
                            .iter()
                            .all(|(field, value)| field_str(record, field) == value)
                    })
                    .cloned(),
            );
        }
        out
    }

    /// Like [`Tables::find`], the records borrowed rather than copied: for the paths every
    /// request takes (the caller's account, the AWA switch, a channel's reasons).
    pub fn matching<'t: 'c, 'c>(
        &'t self,
        table: &str,
        conditions: &'c [(&'c str, &'c str)],
    ) -> impl Iterator<Item = &'t Record> + 'c {
        let rows = self.tables.get(table);
        self.order
            .get(table)
            .into_iter()
            .flatten()
            .filter_map(move |id| rows.and_then(|r| r.get(id)))
            .filter(move |record| {
                conditions
                    .iter()
                    .all(|(field, value)| field_str(record, field) == *value)
            })
    }

    /// The next number of `table` (its prefix and digits, `INC0010001`), when the dictionary
    /// numbers it.
    pub fn next_number(&mut self, table: &str) -> Option<String> {
        let dictionary = Arc::clone(&self.dictionary);
        let def = dictionary.number(table)?;
        let last = self.numbers.entry(table.to_string()).or_insert(def.start);
        *last += 1;
        Some(format!(
            "{}{:0width$}",
            def.prefix,
            last,
            width = def.digits
        ))
    }

    pub fn add_token(&mut self, token: String, user_name: String, expires: std::time::Instant) {
        // Expired tokens go, so that a long-lived mock does not grow without bound.
        let now = std::time::Instant::now();
        self.tokens.retain(|_, (_, until)| *until > now);
        self.tokens.insert(token, (user_name, expires));
    }

    /// Ends an access token's life now (as if its lifetime had passed).
    pub fn expire_token(&mut self, token: &str) {
        if let Some((_, until)) = self.tokens.get_mut(token) {
            *until = std::time::Instant::now();
        }
    }

    /// The user an access token was issued to, while it has not expired.
    pub fn token_user(&self, token: &str) -> Option<String> {
        self.tokens
            .get(token)
            .filter(|(_, until)| *until > std::time::Instant::now())
            .map(|(user, _)| user.clone())
    }

    /// Puts every table back as `initial` holds them; issued tokens stay valid.
    pub fn reset_to(&mut self, initial: &Tables) {
        self.tables = initial.tables.clone();
        self.order = initial.order.clone();
        self.numbers = initial.numbers.clone();
    }

    /// How many records all tables hold.
    /// How many records `table` holds.
    pub fn count(&self, table: &str) -> usize {
        self.tables.get(table).map_or(0, BTreeMap::len)
    }

    pub fn record_count(&self) -> usize {
        self.tables.values().map(|t| t.len()).sum()
    }

    /// Forgets every access token, as a restart or a revocation would.
    pub fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }

    pub fn add_refresh(&mut self, token: String, user_name: String) {
        self.refresh_tokens.insert(token, user_name);
    }

    pub fn refresh_user(&self, token: &str) -> Option<String> {
        self.refresh_tokens.get(token).cloned()
    }
}

/// Now as the platform writes date-times: `YYYY-MM-DD HH:MM:SS`, UTC.
fn now() -> String {
    // From the system clock without chrono's `clock` feature (which brings time zones).
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(seconds)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Marks a record changed: `sys_updated_on` now, `sys_mod_count` one more.
fn touch(record: &mut Record) {
    let count = field_str(record, "sys_mod_count")
        .parse::<u64>()
        .unwrap_or(0)
        + 1;
    record.insert("sys_mod_count".into(), Value::String(count.to_string()));
    record.insert("sys_updated_on".into(), Value::String(now()));
}

/// A field of a record as a string; absent fields read as empty, as on the platform.
///
/// Found by comparing names in order rather than through the map's hash: a record has a few
/// dozen fields at most, and every request reads several fields of several records.
pub fn field_str<'a>(record: &'a Record, field: &str) -> &'a str {
    record
        .iter()
        .find(|(name, _)| name.as_str() == field)
        .and_then(|(_, value)| value.as_str())
        .unwrap_or("")
}

/// The platform stores every field as a string; JSON numbers and booleans become their text.
fn as_field_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        // A reference given as `{value: id}` (as the Table API renders it) stores the id.
        Value::Object(map) => map
            .get("value")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string()),
        other => other.to_string(),
    }
}
