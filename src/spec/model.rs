//! Validated scenarios: what the runner executes. Every value here passed the loader's checks,
//! so templates name defined variables, schemas exist and matchers are well formed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::matcher::Expected;
use super::template::{JsonTemplate, Template};

/// Whether a failed check fails the scenario (`must`) or is reported as a warning (`should`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
}

/// Something the target must provide for a scenario to run; otherwise it is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requirement {
    NoroleAccount,
    ConfigChanges,
    UserName,
    OAuth,
}

impl Requirement {
    /// Why a scenario with this requirement is ignored when the target lacks it.
    pub fn missing_reason(self) -> &'static str {
        match self {
            Requirement::NoroleAccount => {
                "needs an account without awa_integration_user: pass --norole-user and --norole-password"
            }
            Requirement::ConfigChanges => {
                "changes an instance-wide setting: pass --allow-config-changes"
            }
            Requirement::UserName => {
                "needs the main account's user name: pass --user and --password instead of --token"
            }
            Requirement::OAuth => {
                "needs OAuth client credentials to get tokens of its own: pass --oauth-client-id and --oauth-client-secret with --user and --password"
            }
        }
    }
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The main account.
    Default,
    /// No `Authorization` header.
    None,
    /// The main user name with a wrong password (or a bogus bearer token).
    WrongPassword,
    /// The account without `awa_integration_user`.
    Norole,
    /// A bearer token the instance never issued.
    WrongToken,
    /// An OAuth token of the run's own, issued by the instance and expired.
    ExpiredToken,
    /// An OAuth token of the run's own, renewed with the refresh grant.
    RefreshedToken,
}

impl Auth {
    /// Its name in specs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Auth::Default => "default",
            Auth::None => "none",
            Auth::WrongPassword => "wrong_password",
            Auth::Norole => "norole",
            Auth::WrongToken => "wrong_token",
            Auth::ExpiredToken => "expired_token",
            Auth::RefreshedToken => "refreshed_token",
        }
    }

    /// Whether it is a token the run gets for the request itself (the token answers are then
    /// checked as part of the step).
    pub fn is_own_token(self) -> bool {
        matches!(self, Auth::ExpiredToken | Auth::RefreshedToken)
    }
}

/// All scenarios of the suite, sorted by trial name.
#[derive(Debug, Default)]
pub struct Suite {
    pub scenarios: Vec<Scenario>,
}

/// One named sequence of steps against one operation.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The spec file as shown in messages, e.g. `specs/awa_inbox_actions/accept.yaml`.
    pub file: String,
    pub line: usize,
    pub api: String,
    pub operation: String,
    pub name: String,
    /// Catalogue case ids of this operation that the scenario exercises.
    pub covers: Vec<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub level: Level,
    pub requirements: BTreeSet<Requirement>,
    /// Changes instance-wide state: no other trial may run at the same time.
    pub exclusive: bool,
    pub variants: Vec<Variant>,
    pub fixtures: Vec<Fixture>,
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The first thing the scenario would write to the instance in `variant`, or `None` when
    /// it only reads: a fixture created (unless `pinned(fixture id, table)` says an existing
    /// record stands in), a property set, a request step whose method is not GET or HEAD.
    pub fn first_write(
        &self,
        variant: &Variant,
        pinned: impl Fn(&str, &str) -> bool,
    ) -> Option<String> {
        for fixture in &self.fixtures {
            match fixture {
                Fixture::Create { id, table, .. } if !pinned(id, table) => {
                    return Some(format!("fixture `{id}` creates a {table} record"));
                }
                Fixture::Property { name, .. } => return Some(format!("sets {name}")),
                _ => {}
            }
        }
        for step in &self.steps {
            if let Action::Request { request, .. } = &step.action {
                let method = request
                    .method
                    .render(&variant.vars)
                    .unwrap_or_else(|_| request.method.source().to_string());
                if !matches!(method.as_str(), "GET" | "HEAD") {
                    return Some(format!("step \"{}\" sends {method}", step.name));
                }
            }
        }
        None
    }

    /// The instance-wide settings the scenario needs for its steps, as `(name, value)`, in
    /// its order (its property fixtures).
    pub fn settings(&self) -> Vec<(String, String)> {
        self.fixtures
            .iter()
            .filter_map(|f| match f {
                Fixture::Property { name, value, .. } => Some((name.clone(), value.clone())),
                _ => None,
            })
            .collect()
    }

    /// `api/operation::name`: how a scenario is named across operations.
    pub fn key(&self) -> String {
        format!("{}/{}::{}", self.api, self.operation, self.name)
    }

    /// The tables the scenario writes or reads through the Table API, each with the fields it
    /// names (fixture fields, lookup conditions, record checks; `sys_id` left out).
    pub fn table_fields(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut add = |table: &str, fields: &mut dyn Iterator<Item = &str>| {
            let entry = out.entry(table.to_string()).or_default();
            for field in fields.filter(|f| *f != "sys_id" && !f.is_empty()) {
                entry.insert(field.to_string());
            }
        };
        for fixture in &self.fixtures {
            match fixture {
                Fixture::Create { table, fields, .. } => {
                    add(table, &mut fields.keys().map(String::as_str))
                }
                Fixture::Lookup { table, query, .. } => add(
                    table,
                    &mut query
                        .split('^')
                        .map(|c| c.split(['=', '!', '<', '>']).next().unwrap_or("")),
                ),
                Fixture::Property { .. } => {
                    add("sys_properties", &mut ["name", "value"].into_iter())
                }
            }
        }
        for step in &self.steps {
            match &step.action {
                Action::Record(check) => add(
                    &check.table,
                    &mut check.field_map().keys().map(String::as_str),
                ),
                Action::Request { cleanup, .. } => {
                    for (table, _) in cleanup {
                        add(table, &mut std::iter::empty());
                    }
                }
            }
        }
        out
    }

    /// The literal values the scenario writes to or expects in `table`.`field` (templates
    /// and matchers left out): what a choice list must offer.
    pub fn field_values(&self, table: &str, field: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut take = |value: Option<&Value>| {
            if let Some(Value::String(v)) = value {
                if !v.contains("{{") {
                    out.insert(v.clone());
                }
            }
        };
        for fixture in &self.fixtures {
            if let Fixture::Create {
                table: t, fields, ..
            } = fixture
            {
                if t == table {
                    take(fields.get(field));
                }
            }
        }
        for step in &self.steps {
            if let Action::Record(check) = &step.action {
                if check.table == table {
                    take(check.field_map().get(field));
                }
            }
        }
        out
    }

    /// Whether any request step sends `auth`.
    pub fn uses_auth(&self, auth: Auth) -> bool {
        self.steps.iter().any(|s| match &s.action {
            Action::Request { request, .. } => request.auth == auth,
            Action::Record(_) => false,
        })
    }

    /// `<api>/<operation>::<scenario>[<variant>]`, the variant part only when there is one.
    pub fn trial_name(&self, variant: &Variant) -> String {
        let base = format!("{}/{}::{}", self.api, self.operation, self.name);
        if variant.label.is_empty() {
            base
        } else {
            format!("{base}[{}]", variant.label)
        }
    }
}

/// One point of the variant axes: its label, the variables it sets (`api`, `method`), and
/// the body format of its request steps.
#[derive(Debug, Clone)]
pub struct Variant {
    pub label: String,
    pub vars: BTreeMap<String, String>,
    pub format: Format,
}

/// The body format a variant's request steps ask for and send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }

    /// The media type of the format.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Fixture {
    /// A record created through the Table API before the steps and deleted after them.
    Create {
        id: String,
        table: String,
        fields: Map<String, Value>,
        line: usize,
        /// Created once for the run and shared, or for each trial; and why.
        sharing: Sharing,
    },
    /// An existing record, found by `field=value` conditions, never deleted.
    Lookup {
        id: String,
        table: String,
        query: String,
        line: usize,
    },
    /// A `sys_properties` value set for the scenario and restored after it.
    Property {
        name: String,
        value: String,
        line: usize,
    },
}

impl Fixture {
    /// The id of a fixture that creates a record (or uses a pinned one).
    pub fn created_id(&self) -> Option<&str> {
        match self {
            Fixture::Create { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The table a fixture creates a record in.
    pub fn created_table(&self) -> Option<&str> {
        match self {
            Fixture::Create { table, .. } => Some(table),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub line: usize,
    pub action: Action,
}

// Steps are built once per run and never moved in bulk, so the size gap costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Action {
    Request {
        request: Request,
        expect: Expectation,
        captures: Vec<(String, String)>,
        /// (table, JSON pointer to the sys_id in the answer) of records the operation may
        /// have created.
        cleanup: Vec<(String, String)>,
    },
    Record(RecordCheck),
}

/// A request step's request, its templates found at load.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Template,
    pub path: Template,
    pub query: Vec<(String, Template)>,
    pub headers: Vec<(String, Template)>,
    pub auth: Auth,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(JsonTemplate),
    /// Sent as is with `Content-Type: application/json`, for malformed input.
    Raw(Template),
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub status: u16,
    pub headers: Vec<HeaderCheck>,
    pub schema: Option<String>,
    pub body: Vec<BodyCheck>,
}

#[derive(Debug, Clone)]
pub struct HeaderCheck {
    pub name: String,
    /// A string, or a matcher (see [`super::matcher`]), compiled.
    pub expected: Expected,
    pub level: Level,
}

#[derive(Debug, Clone)]
pub struct BodyCheck {
    pub expected: Expected,
    pub exact: bool,
    pub level: Level,
}

#[derive(Debug, Clone)]
pub struct RecordCheck {
    pub table: String,
    pub sys_id: Template,
    /// The fields expected of the record: an object, compiled.
    pub fields: Expected,
    /// A map some field of the record must hold as JSON text, whatever that field is called
    /// (a document whose columns are not documented: an interaction's context record).
    pub holds: Option<Map<String, Value>>,
}

impl RecordCheck {
    /// The fields as the spec wrote them.
    pub fn field_map(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.fields
            .source()
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }
}

/// Whether a fixture is created for each trial or once for the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// Created once and used by every trial that needs it, at the same time.
    Run,
    /// Created when no free one is left and used by one trial at a time: kept for the run,
    /// lent to a trial and given back after its teardown.
    Lease,
    /// Created and deleted by each trial.
    #[default]
    Trial,
}

/// The decision for one `create` fixture and why it was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sharing {
    pub scope: Scope,
    pub why: String,
    /// Identifies the record among every scenario's fixtures (same key, same record); only
    /// meaningful for [`Scope::Run`].
    pub key: String,
    /// Whether the fixture's definition uses a variant's variables (`api`, `method`): then each
    /// variant has a record of its own.
    pub per_variant: bool,
}
