//! What a trial found, as values: each check that did not hold ([`Finding`]: where, what was
//! checked, expected, actual, level), why the harness could not ask ([`Broken`]: where, a
//! typed [`Cause`], the detail), and what could not be put back after it
//! ([`CleanupProblem`]). The checks return these; the reporters format them (the Hurl way).
//!
//! ```text
//! specs/awa_inbox_actions/accept.yaml:45: step "accept the work item": status: expected 200, got 201 (body: {"result":{}})
//! ```
//! is a [`Finding`] at that step, of the status, expected `200`, actual `201`, level `must`.
//!
//! `report.json` keeps each trial's messages as before (`failures`, `warnings`) and adds these
//! values beside them (`findings`, `broken`, `cleanup`); a report written before them reads
//! back with each message as a finding [`Checked::Recorded`] by an earlier release.

use serde::{Deserialize, Serialize};

use crate::source::assets::location;
pub use crate::spec::Level;

/// Where in a scenario something happened: the spec file and line of a step or a fixture,
/// and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    Step {
        file: String,
        line: usize,
        name: String,
    },
    Fixture {
        file: String,
        line: usize,
        id: String,
    },
    /// A property fixture: an instance-wide setting.
    Setting {
        file: String,
        line: usize,
        name: String,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Step { file, line, name } => {
                write!(f, "{}: step \"{name}\"", location(file, *line))
            }
            Place::Fixture { file, line, id } => {
                write!(f, "{}: fixture `{id}`", location(file, *line))
            }
            Place::Setting { file, line, name } => {
                write!(f, "{}: fixture {name}", location(file, *line))
            }
        }
    }
}

/// What a check looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Checked {
    /// The answer's status.
    Status,
    /// A header of the answer (lower case).
    Header { name: String },
    /// A value of the answer's body, at a JSON path (`$.result.order`).
    Body { path: String },
    /// The answer's body against a JSON Schema, at a JSON path.
    Schema { schema: String, path: String },
    /// A record read back through the Table API (the read itself).
    ReadBack { table: String, sys_id: String },
    /// A field of a record read back.
    Field {
        table: String,
        sys_id: String,
        field: String,
    },
    /// A value a step captures from its answer for later steps.
    Capture { name: String, pointer: String },
    /// A field of an OAuth token answer (or its status, `field: status`), at one step of a
    /// token's life.
    Token { step: TokenStep, field: String },
    /// A check recorded by an earlier release, whose reports kept only its message.
    Recorded { message: String },
}

/// A step of an OAuth token's life, as findings and the run's token notes name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStep {
    /// `grant_type=password`: a token for the account's user and password.
    PasswordGrant,
    /// `grant_type=refresh_token`: a new token for the refresh token of an earlier one.
    RefreshGrant,
    /// A token living as long as its answer's `expires_in` said.
    Expiry,
}

impl std::fmt::Display for TokenStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenStep::PasswordGrant => "password grant",
            TokenStep::RefreshGrant => "refresh grant",
            TokenStep::Expiry => "expiry",
        })
    }
}

/// One check that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The step it was made in (none for a finding read from an earlier release's report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Place>,
    pub checked: Checked,
    /// `must` fails the trial; `should` warns (and fails under `--strict`).
    pub level: Level,
    #[serde(default)]
    pub expected: String,
    #[serde(default)]
    pub actual: String,
    /// More about the answer, for the reader (the body of an unexpected status).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context: String,
}

impl Finding {
    /// A finding of `checked`, not yet placed.
    pub fn new(
        checked: Checked,
        level: Level,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            at: None,
            checked,
            level,
            expected: expected.into(),
            actual: actual.into(),
            context: String::new(),
        }
    }

    /// A message of an earlier release's report, as a finding.
    pub fn recorded(message: String, level: Level) -> Self {
        Self::new(Checked::Recorded { message }, level, "", "")
    }

    /// The finding with `context` for the reader.
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    /// The finding made at `place`.
    pub fn placed(mut self, place: &Place) -> Self {
        self.at = Some(place.clone());
        self
    }

    /// What was checked, as a message names it (`status`, `header content-type`,
    /// `$.result.order`, `record awa_work_item/…: field state`).
    pub fn subject(&self) -> String {
        match &self.checked {
            Checked::Status => "status".into(),
            Checked::Header { name } => format!("header {name}"),
            Checked::Body { path } => path.clone(),
            Checked::Schema { schema, path } => format!("schema {schema}: {path}"),
            Checked::ReadBack { table, sys_id } => format!("record {table}/{sys_id}"),
            Checked::Field {
                table,
                sys_id,
                field,
            } => format!("record {table}/{sys_id}: field {field}"),
            Checked::Capture { name, .. } => format!("capture {name}"),
            Checked::Token { step, field } => format!("{step}: {field}"),
            Checked::Recorded { .. } => String::new(),
        }
    }

    /// Whether it compares an expected value to an actual one (a schema violation, a record
    /// that could not be read back, a missing capture and an earlier release's message do
    /// not).
    pub fn is_comparison(&self) -> bool {
        matches!(
            self.checked,
            Checked::Status
                | Checked::Header { .. }
                | Checked::Body { .. }
                | Checked::Field { .. }
                | Checked::Token { .. }
        )
    }

    /// The message without its place.
    pub fn message(&self) -> String {
        let subject = self.subject();
        match &self.checked {
            Checked::Recorded { message } => message.clone(),
            Checked::Status => format!(
                "{subject}: expected {}, got {} (body: {})",
                self.expected, self.actual, self.context
            ),
            Checked::Schema { .. } => format!("{subject}: {}", self.actual),
            Checked::ReadBack { .. } => format!(
                "{subject}: reading it back answered {} ({})",
                self.actual, self.context
            ),
            Checked::Capture { pointer, .. } => {
                format!("{subject}: the body has nothing at {pointer}")
            }
            Checked::Header { .. }
            | Checked::Body { .. }
            | Checked::Field { .. }
            | Checked::Token { .. } => {
                format!("{subject}: expected {}, got {}", self.expected, self.actual)
            }
        }
    }

    /// Every text of the finding passed through `f` (to redact secrets).
    pub fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        for text in [&mut self.expected, &mut self.actual, &mut self.context] {
            *text = f(text);
        }
        if let Checked::Recorded { message } = &mut self.checked {
            *message = f(message);
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message()),
            None => f.write_str(&self.message()),
        }
    }
}

/// Why the harness could not ask, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A stop signal came before the request was sent.
    NeverSent,
    /// A stop signal came while the request was in flight.
    Abandoned,
    /// A request's method is not an HTTP method.
    NotAMethod,
    /// The instance's certificate is not trusted.
    Tls,
    /// The host name does not resolve.
    Dns,
    /// No answer within the timeout.
    TimedOut,
    /// The connection could not be made.
    Connect,
    /// The request failed otherwise on its way.
    Transport,
    /// The answer's body is larger than `--max-body`.
    TooLarge,
    /// The answer's body could not be read to its end.
    BodyRead,
    /// The answer's body is not UTF-8.
    NotUtf8,
    /// The run had no OAuth token to send.
    NoToken,
    /// A template names a variable the trial does not have.
    UndefinedVariable,
    /// The answer's body is needed and does not read in its declared format.
    UnreadableAnswer,
    /// The ledger could not be written.
    Ledger,
    /// The Table API refused a fixture's record.
    FixtureNotCreated,
    /// A pinned record could not be read.
    PinnedUnreadable,
    /// A lookup fixture found no record.
    NoMatch,
    /// An instance-wide setting could not be changed.
    SettingRefused,
    /// The harness panicked.
    Panicked,
    /// A stop signal came before the steps were done.
    Interrupted,
    /// Recorded by an earlier release, whose reports kept only the message.
    Recorded,
}

/// A trial that could not ask: where, why by kind, and the detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Broken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Place>,
    pub cause: Cause,
    pub detail: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

/// What could not be put back after a trial, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupProblem {
    pub subject: PutBack,
    pub message: String,
}

/// What a clean-up problem concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PutBack {
    /// A record the run created.
    Record { table: String, sys_id: String },
    /// An instance-wide setting the run changed.
    Setting { name: String },
    /// The ledger, which could not be written.
    Ledger,
}

impl std::fmt::Display for CleanupProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Everything one attempt at a trial found: why it broke (if it did), the checks that did
/// not hold, what could not be put back after it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub broken: Option<Broken>,
    pub findings: Vec<Finding>,
    pub cleanup: Vec<CleanupProblem>,
    /// Under `--strict`, `should` findings and clean-up problems fail the trial too.
    pub strict: bool,
}

/// One thing a trial found, for a reporter to show.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Broken(&'a Broken),
    Finding(&'a Finding),
    Cleanup(&'a CleanupProblem),
}

impl std::fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Item::Broken(b) => b.fmt(f),
            Item::Finding(x) => x.fmt(f),
            Item::Cleanup(c) => c.fmt(f),
        }
    }
}

impl Found {
    /// What fails the trial: why it broke, then its `must` findings (under `--strict`, when
    /// there is neither, what warns).
    pub fn failing(&self) -> Vec<Item<'_>> {
        let mut out: Vec<Item<'_>> = self.broken.iter().map(Item::Broken).collect();
        out.extend(
            self.findings
                .iter()
                .filter(|f| f.level == Level::Must)
                .map(Item::Finding),
        );
        if out.is_empty() && self.strict {
            return self.warning();
        }
        out
    }

    /// What warns: its `should` findings, then what could not be put back.
    pub fn warning(&self) -> Vec<Item<'_>> {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Should)
            .map(Item::Finding)
            .chain(self.cleanup.iter().map(Item::Cleanup))
            .collect()
    }

    /// [`Found::failing`] as messages.
    pub fn failures(&self) -> Vec<String> {
        self.failing().iter().map(ToString::to_string).collect()
    }

    /// [`Found::warning`] as messages.
    pub fn warnings(&self) -> Vec<String> {
        self.warning().iter().map(ToString::to_string).collect()
    }

    pub fn has_warnings(&self) -> bool {
        !self.cleanup.is_empty() || self.findings.iter().any(|f| f.level == Level::Should)
    }

    /// The first message that fails the trial, if any.
    pub fn first_failure(&self) -> Option<String> {
        self.failures().into_iter().next()
    }

    /// An earlier release's messages read back: for a trial that broke, the first failure is
    /// why; the others are `must` findings, the warnings `should` ones.
    pub fn recorded(broke: bool, failures: Vec<String>, warnings: Vec<String>) -> Self {
        let mut failures = failures.into_iter();
        let broken = if broke {
            failures.next().map(|detail| Broken {
                at: None,
                cause: Cause::Recorded,
                detail,
            })
        } else {
            None
        };
        let mut findings: Vec<Finding> = failures
            .map(|m| Finding::recorded(m, Level::Must))
            .collect();
        // Under --strict an earlier release listed the warnings as the failures too.
        let strict_copy = findings
            .iter()
            .map(Finding::message)
            .eq(warnings.iter().cloned());
        if strict_copy && broken.is_none() && !findings.is_empty() {
            findings.clear();
        }
        findings.extend(
            warnings
                .into_iter()
                .map(|m| Finding::recorded(m, Level::Should)),
        );
        Found {
            broken,
            strict: strict_copy && !findings.is_empty(),
            findings,
            cleanup: Vec::new(),
        }
    }

    /// Every text passed through `f` (to redact secrets).
    pub fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        if let Some(b) = &mut self.broken {
            b.detail = f(&b.detail);
        }
        for finding in &mut self.findings {
            finding.map_text(f);
        }
        for problem in &mut self.cleanup {
            problem.message = f(&problem.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Place {
        Place::Step {
            file: "specs/a.yaml".into(),
            line: 9,
            name: "accept".into(),
        }
    }

    #[test]
    fn findings_read_as_the_checks_have_always_worded_them() {
        let status = Finding::new(Checked::Status, Level::Must, "200", "201")
            .with_context("{}")
            .placed(&at());
        assert_eq!(
            status.to_string(),
            "specs/a.yaml:9: step \"accept\": status: expected 200, got 201 (body: {})"
        );
        let field = Finding::new(
            Checked::Field {
                table: "t".into(),
                sys_id: "i".into(),
                field: "state".into(),
            },
            Level::Must,
            "\"accepted\"",
            "\"queued\"",
        );
        assert_eq!(
            field.message(),
            "record t/i: field state: expected \"accepted\", got \"queued\""
        );
        assert!(field.is_comparison());
    }

    #[test]
    fn strict_fails_on_warnings_only_when_nothing_else_fails() {
        let should = Finding::new(
            Checked::Body {
                path: "$.error.detail".into(),
            },
            Level::Should,
            "\"a\"",
            "\"b\"",
        );
        let mut found = Found {
            findings: vec![should.clone()],
            ..Found::default()
        };
        assert!(found.failures().is_empty());
        found.strict = true;
        assert_eq!(found.failures(), found.warnings());
        found.findings.push(Finding {
            level: Level::Must,
            ..should
        });
        assert_eq!(found.failures().len(), 1);
    }

    #[test]
    fn an_earlier_releases_messages_read_back_as_they_were() {
        let found = Found::recorded(true, vec!["why".into(), "also".into()], vec!["warn".into()]);
        assert_eq!(found.failures(), ["why", "also"]);
        assert_eq!(found.warnings(), ["warn"]);
        // A strict run listed its warnings as its failures as well.
        let strict = Found::recorded(false, vec!["w".into()], vec!["w".into()]);
        assert_eq!(
            (strict.failures(), strict.warnings()),
            (vec!["w".to_string()], vec!["w".to_string()])
        );
    }
}
