//! Target profiles: one YAML file per instance (`--target FILE`, `SN_TARGET`) naming its base
//! URL, the environment variables that hold its credentials, pinned fixtures, what to skip
//! there and why, and the run's settings. `targets/example.yaml` documents every key and
//! `schemas/target.schema.json` describes the file.
//!
//! A profile never holds a secret. A key that would (`password:`, `client_secret:`,
//! `token:`) is refused with its line, and so is a `*_env` value that is not an environment
//! variable name; the refused value is never repeated in the message.
//!
//! ```yaml
//! base_url: https://dev12345.service-now.com
//! credentials: {user_env: SN_USER, password_env: SN_PASSWORD}
//! fixtures: {channel: 0123456789abcdef0123456789abcdef}
//! skip:
//!   - {operation: awa_inbox_actions/accept, reason: work items are routed by a live queue here}
//! read_only: true
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::schemas::SchemaSet;
use crate::source::assets::AssetFile;
use crate::source::lines::LineIndex;
use crate::source::SourceError;
use crate::spec::{Scenario, Suite};

/// The schema a profile must meet.
pub const TARGET_SCHEMA: &str = "target.schema.json";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    credentials: CredentialVars,
    #[serde(default)]
    fixtures: BTreeMap<String, String>,
    #[serde(default)]
    tables: BTreeMap<String, String>,
    #[serde(default)]
    skip: Vec<RawSkip>,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    test_threads: Option<usize>,
    #[serde(default)]
    allow_config_changes: Option<bool>,
    #[serde(default)]
    read_only: Option<bool>,
}

/// The environment variables that hold each credential.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialVars {
    pub user_env: Option<String>,
    pub password_env: Option<String>,
    pub token_env: Option<String>,
    pub norole_user_env: Option<String>,
    pub norole_password_env: Option<String>,
    pub oauth_client_id_env: Option<String>,
    pub oauth_client_secret_env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkip {
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    reason: String,
}

/// What a skip entry selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `api/operation`.
    Operation(String),
    /// `api/operation::name`, or a bare name matching that scenario in any operation.
    Scenario(String),
    Tag(String),
}

impl Selector {
    pub fn matches(&self, scenario: &Scenario) -> bool {
        match self {
            Selector::Operation(op) => format!("{}/{}", scenario.api, scenario.operation) == *op,
            Selector::Scenario(name) => {
                scenario.name == *name
                    || format!("{}/{}::{}", scenario.api, scenario.operation, scenario.name)
                        == *name
            }
            Selector::Tag(tag) => scenario.tags.iter().any(|t| t == tag),
        }
    }
}

/// Scenarios not to run on this target, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub selector: Selector,
    pub reason: String,
    /// Where the entry is, for messages.
    pub at: String,
}

/// A validated profile. Every field is optional: command-line options fill in or override.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The file as messages name it.
    pub file: String,
    pub base_url: Option<String>,
    pub credentials: CredentialVars,
    /// Fixture id to the sys_id of the record used instead of creating one.
    pub fixture_pins: BTreeMap<String, String>,
    /// Table to the sys_id of the record every fixture of that table uses.
    pub table_pins: BTreeMap<String, String>,
    pub skips: Vec<Skip>,
    pub timeout: Option<u64>,
    pub test_threads: Option<usize>,
    pub allow_config_changes: Option<bool>,
    pub read_only: Option<bool>,
    lines: LineIndex,
}

/// Reads and checks the profile at `path`: its YAML, the secret rule, its schema, and (with
/// `suite`) that every pinned fixture, skipped operation, scenario and tag exists.
pub fn load(
    path: &Path,
    schemas: &SchemaSet,
    suite: Option<&Suite>,
) -> Result<Profile, Vec<SourceError>> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![SourceError {
            file: display.clone(),
            line: 0,
            message: format!("cannot read the target profile: {e}"),
        }]
    })?;
    parse(&display, &text, schemas, suite)
}

/// [`load`] on text already read; `file` names it in messages.
pub fn parse(
    file: &str,
    text: &str,
    schemas: &SchemaSet,
    suite: Option<&Suite>,
) -> Result<Profile, Vec<SourceError>> {
    let lines = LineIndex::new(text);
    let error = |line: usize, message: String| SourceError {
        file: file.to_string(),
        line,
        message,
    };
    // The secret rule first, on the bare YAML: a schema message could repeat the value.
    if let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(text) {
        let mut found = Vec::new();
        secrets_in(&value, "", &mut found);
        if !found.is_empty() {
            return Err(found
                .into_iter()
                .map(|(path, message)| error(lines.line(&path), message))
                .collect());
        }
    }
    let asset = AssetFile {
        relative: file.to_string(),
        display: file.to_string(),
        text: text.to_string(),
    };
    let raw: RawProfile = if text.trim().is_empty() {
        RawProfile::default()
    } else {
        crate::source::yaml::parse(&asset, &lines, Some(&schemas.named(TARGET_SCHEMA)))?
    };
    let mut errors = Vec::new();
    let mut skips = Vec::new();
    for (i, entry) in raw.skip.into_iter().enumerate() {
        let path = format!("skip[{i}]");
        let selector = match (entry.operation, entry.scenario, entry.tag) {
            (Some(op), None, None) => Selector::Operation(op),
            (None, Some(s), None) => Selector::Scenario(s),
            (None, None, Some(t)) => Selector::Tag(t),
            _ => {
                errors.push(error(
                    lines.line(&path),
                    "a skip entry names exactly one of `operation`, `scenario` or `tag`, with a `reason`".into(),
                ));
                continue;
            }
        };
        if entry.reason.trim().is_empty() {
            errors.push(error(
                lines.line(&format!("{path}.reason")),
                "a skip entry needs a reason, shown beside the ignored trials".into(),
            ));
        }
        skips.push(Skip {
            selector,
            reason: entry.reason,
            at: format!("{file}:{}", lines.line(&path)),
        });
    }
    let profile = Profile {
        file: file.to_string(),
        base_url: raw.base_url.map(|u| u.trim_end_matches('/').to_string()),
        credentials: raw.credentials,
        fixture_pins: raw.fixtures,
        table_pins: raw.tables,
        skips,
        timeout: raw.timeout,
        test_threads: raw.test_threads,
        allow_config_changes: raw.allow_config_changes,
        read_only: raw.read_only,
        lines,
    };
    if let Some(suite) = suite {
        errors.extend(profile.check_against(suite));
    }
    if errors.is_empty() {
        Ok(profile)
    } else {
        Err(errors)
    }
}

impl Profile {
    /// The line of a key path in the file (`credentials.password_env`, `skip[2]`).
    pub fn line(&self, path: &str) -> usize {
        self.lines.line(path)
    }

    /// `file:line` of a key path, for messages.
    pub fn at(&self, path: &str) -> String {
        format!("{}:{}", self.file, self.line(path))
    }

    /// Every pin, skip and tag that names nothing in `suite`.
    pub fn check_against(&self, suite: &Suite) -> Vec<SourceError> {
        let mut errors = Vec::new();
        let mut push = |path: &str, message: String| {
            errors.push(SourceError {
                file: self.file.clone(),
                line: self.line(path),
                message,
            })
        };
        let fixture_ids: std::collections::BTreeSet<&str> = suite
            .scenarios
            .iter()
            .flat_map(|s| s.fixtures.iter().filter_map(|f| f.created_id()))
            .collect();
        for id in self.fixture_pins.keys() {
            if !fixture_ids.contains(id.as_str()) {
                push(
                    &format!("fixtures.{id}"),
                    format!(
                        "no scenario creates a fixture `{id}`; fixture ids: {}",
                        fixture_ids.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        let tables: std::collections::BTreeSet<&str> = suite
            .scenarios
            .iter()
            .flat_map(|s| s.fixtures.iter().filter_map(|f| f.created_table()))
            .collect();
        for table in self.table_pins.keys() {
            if !tables.contains(table.as_str()) {
                push(
                    &format!("tables.{table}"),
                    format!(
                        "no fixture is created in table `{table}`; fixture tables: {}",
                        tables.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        for (i, skip) in self.skips.iter().enumerate() {
            if !suite.scenarios.iter().any(|s| skip.selector.matches(s)) {
                let what = match &skip.selector {
                    Selector::Operation(op) => format!("operation `{op}`"),
                    Selector::Scenario(name) => format!("scenario `{name}`"),
                    Selector::Tag(tag) => format!("tag `{tag}`"),
                };
                push(
                    &format!("skip[{i}]"),
                    format!("the suite has no {what} to skip"),
                );
            }
        }
        errors
    }
}

/// Whether a key names something secret that a profile must not hold.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    !key.ends_with("_env")
        && ["password", "secret", "token", "passwd"]
            .iter()
            .any(|w| key.contains(w))
}

/// Every key of `value` that would hold a secret, and every `*_env` value that is not an
/// environment variable name, as (path, message); values are never quoted.
fn secrets_in(value: &serde_yaml::Value, path: &str, found: &mut Vec<(String, String)>) {
    let serde_yaml::Value::Mapping(map) = value else {
        return;
    };
    for (key, child) in map {
        let Some(key) = key.as_str() else { continue };
        let here = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        if is_secret_key(key) && path != "skip" {
            found.push((
                here.clone(),
                format!("`{key}` would hold a secret, which a profile never does: name the environment variable that holds it with `credentials.{}`", env_key_for(key)),
            ));
            continue;
        }
        if key.ends_with("_env") {
            let ok = child.as_str().is_some_and(is_env_name);
            if !ok {
                found.push((
                    here.clone(),
                    format!("`{key}` must be the name of an environment variable (letters, digits and `_`); a profile never holds the secret itself"),
                ));
            }
            continue;
        }
        secrets_in(child, &here, found);
    }
}

/// The `*_env` key that names the variable for a secret given under `key`.
fn env_key_for(key: &str) -> &'static str {
    let key = key.to_ascii_lowercase();
    match () {
        _ if key.contains("norole") => "norole_password_env",
        _ if key.contains("secret") => "oauth_client_secret_env",
        _ if key.contains("token") => "token_env",
        _ => "password_env",
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> SchemaSet {
        let dir = crate::source::assets::schemas(Some("schemas".as_ref())).unwrap();
        SchemaSet::compile(&dir).unwrap()
    }

    #[test]
    fn a_literal_secret_is_refused_with_its_line_and_never_repeated() {
        let text = "base_url: https://x.service-now.com\ncredentials:\n  user_env: SN_USER\n  password: hunter2-very-secret\n";
        let errors = parse("t.yaml", text, &schemas(), None).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 4);
        assert!(errors[0].message.contains("password_env"), "{errors:?}");
        assert!(!errors[0].message.contains("hunter2"));

        let text = "credentials:\n  password_env: \"hunter2 very secret!\"\n";
        let errors = parse("t.yaml", text, &schemas(), None).unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(!format!("{errors:?}").contains("hunter2"));
    }

    #[test]
    fn the_example_profile_is_safe_to_copy() {
        let text = std::fs::read_to_string("targets/example.yaml").unwrap();
        let p = parse("targets/example.yaml", &text, &schemas(), None).unwrap();
        assert!(
            p.fixture_pins.is_empty(),
            "a pin is active: {:?}",
            p.fixture_pins
        );
        assert!(
            p.table_pins.is_empty(),
            "a pin is active: {:?}",
            p.table_pins
        );
        assert!(p.skips.is_empty(), "a skip is active");
        assert_eq!((p.test_threads, p.timeout), (None, None));
        assert_eq!(p.read_only, None);
        // OAuth variables, once named, must be set: a copy must not need them.
        assert!(p.credentials.oauth_client_id_env.is_none());
        assert!(p.credentials.oauth_client_secret_env.is_none());
        // The stated defaults are the code's.
        let threads = format!("default {}", crate::target::DEFAULT_MAX_IN_FLIGHT);
        assert!(text.contains(&threads), "{threads}");
        assert!(text.contains(&format!(
            "default {}",
            crate::target::resolve::DEFAULT_TIMEOUT
        )));
    }

    #[test]
    fn a_valid_profile_reads_every_key() {
        let text = "base_url: https://x.service-now.com/\ncredentials: {user_env: A, password_env: B}\nfixtures: {agent: 0123456789abcdef0123456789abcdef}\nskip:\n  - {tag: auth, reason: shared instance}\ntimeout: 9\ntest_threads: 2\nread_only: true\n";
        let p = parse("t.yaml", text, &schemas(), None).unwrap();
        assert_eq!(p.base_url.as_deref(), Some("https://x.service-now.com"));
        assert_eq!(p.credentials.password_env.as_deref(), Some("B"));
        assert_eq!(p.fixture_pins.len(), 1);
        assert_eq!(p.skips[0].selector, Selector::Tag("auth".into()));
        assert_eq!(p.skips[0].at, "t.yaml:5");
        assert_eq!(
            (p.timeout, p.test_threads, p.read_only),
            (Some(9), Some(2), Some(true))
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_their_lines() {
        let errors = parse("t.yaml", "base_url: x\n", &schemas(), None).unwrap_err();
        assert_eq!(errors[0].line, 1, "{errors:?}");
        let errors = parse("t.yaml", "timeout: 3\nthreads: 2\n", &schemas(), None).unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
        let errors = parse(
            "t.yaml",
            "skip:\n  - {operation: a/b, tag: c, reason: d}\n",
            &schemas(),
            None,
        )
        .unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
    }
}
