//! The scenario file exactly as written in YAML. Nothing here is trusted yet: the loader
//! turns these types into the validated model of [`super::model`].
//!
//! Unknown keys are refused (`deny_unknown_fields`), so a misspelt key is an error with its
//! line, never a silently ignored expectation.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One file of `specs/`: the scenarios of one operation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpecFile {
    pub api: String,
    pub operation: String,
    #[serde(default)]
    pub variants: RawVariants,
    /// Free-form YAML for anchors (`&name`) that scenarios reuse with aliases (`*name`).
    #[serde(default, rename = "shared")]
    pub _shared: Option<Value>,
    /// Read one at a time, apart from the rest of the file ([`super::yaml::parse_list`]).
    #[serde(skip)]
    pub scenarios: Vec<RawScenario>,
}

/// The axes a scenario is multiplied along.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariants {
    /// URL forms: `default` (`/api/now/...`) and `v1` (`/api/now/v1/...`).
    pub url: Option<Vec<RawUrlForm>>,
    /// HTTP methods of the operation, for documents that show more than one.
    pub method: Option<Vec<String>>,
    /// Body formats: `json` and `xml` (request bodies, `Accept`, and the answer).
    pub format: Option<Vec<RawFormat>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawFormat {
    Json,
    Xml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawUrlForm {
    Default,
    V1,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    /// Ids of the catalogue cases of this operation that the scenario exercises.
    #[serde(default)]
    pub covers: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Free labels a target profile can skip by (`skip: [{tag: auth, reason: ...}]`).
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub level: Option<RawLevel>,
    #[serde(default)]
    pub requires: Vec<RawRequirement>,
    #[serde(default)]
    pub variants: Option<RawVariants>,
    #[serde(default)]
    pub fixtures: Vec<RawFixture>,
    pub steps: Vec<RawStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawLevel {
    Must,
    Should,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawRequirement {
    /// The no-role account (`--norole-user`).
    NoroleAccount,
    /// Permission to change instance-wide settings (`--allow-config-changes`).
    ConfigChanges,
    /// The main account's user name (Basic auth rather than a bare token).
    UserName,
    /// OAuth client credentials, for tokens of the run's own (`--oauth-client-id`).
    Oauth,
}

/// A record the scenario needs: created, looked up, or a property set for its duration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFixture {
    #[serde(default)]
    pub id: Option<String>,
    /// Table to create a record in (deleted after the scenario).
    #[serde(default)]
    pub create: Option<String>,
    #[serde(default)]
    pub fields: Option<Map<String, Value>>,
    /// Table to find an existing record in (left alone after the scenario).
    #[serde(default)]
    pub lookup: Option<String>,
    /// `field=value` conditions joined by `^`, for `lookup`.
    #[serde(default)]
    pub query: Option<String>,
    /// A `sys_properties` name to set for the scenario and restore after.
    #[serde(default)]
    pub property: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    /// `run` (created once and shared) or `trial` (each trial's own), for `create`; derived
    /// when absent (see `spec::scope`).
    #[serde(default)]
    pub scope: Option<RawScope>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawScope {
    Run,
    Trial,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: String,
    #[serde(default)]
    pub request: Option<RawRequest>,
    #[serde(default)]
    pub expect: Option<RawExpect>,
    /// Variable name to JSON pointer into the response body.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Records the operation may have created, found by JSON pointer in its answer (whatever
    /// its status) and deleted with the fixtures.
    #[serde(default)]
    pub cleanup: Vec<RawCleanup>,
    /// Read a record back through the Table API and check its fields.
    #[serde(default)]
    pub record: Option<RawRecordCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub auth: Option<RawAuth>,
    #[serde(default)]
    pub json: Option<Value>,
    #[serde(default)]
    pub raw: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawAuth {
    Default,
    None,
    WrongPassword,
    Norole,
    WrongToken,
    ExpiredToken,
    RefreshedToken,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub status: u16,
    #[serde(default)]
    pub headers: Map<String, Value>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub body: Option<Value>,
    /// Objects in `body` must have no keys beyond the expected ones.
    #[serde(default)]
    pub exact: bool,
    /// Checks reported as warnings (failures only under `--strict`).
    #[serde(default)]
    pub should: Option<RawShould>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShould {
    #[serde(default)]
    pub headers: Map<String, Value>,
    #[serde(default)]
    pub body: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCleanup {
    pub table: String,
    /// JSON pointer to the sys_id in the answer; nothing there, nothing to delete.
    pub pointer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecordCheck {
    pub table: String,
    pub sys_id: String,
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub holds: Option<Map<String, Value>>,
}
