//! The catalogue of documented cases (`specs/catalogue.yaml`): every operation with its
//! methods, URL forms, documented status codes and named cases. Scenarios name the cases they
//! cover; `coverage` and the reports measure the suite against it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::source::assets::{AssetDir, AssetFile};
use crate::source::lines::LineIndex;
use crate::source::{yaml, SourceError};

/// The catalogue's file name inside the spec directory.
pub const CATALOGUE_FILE: &str = "catalogue.yaml";

/// Every documented operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalogue {
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub api: String,
    pub operation: String,
    pub summary: String,
    pub methods: Vec<String>,
    pub urls: Vec<String>,
    pub statuses: Vec<Status>,
    pub cases: Vec<Case>,
}

impl Operation {
    /// `api/operation`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.api, self.operation)
    }

    pub fn case(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }
}

/// A status code the document lists for the operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub code: u16,
    pub description: String,
    /// False for a status no input can provoke on a faithful instance; `reason` says why.
    #[serde(default = "yes")]
    pub provokable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// Where a case comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Stated by the operation's API document.
    Document,
    /// A platform convention the document relies on.
    Platform,
    /// A reading of a silent or contradictory document, recorded in `specs/NOTES.md`.
    Decision,
}

/// One documented behaviour of an operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub status: u16,
    pub source: Source,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    operations: Vec<Operation>,
}

impl Catalogue {
    /// The catalogue of a spec directory, checked for consistency.
    pub fn from_dir(specs: &AssetDir) -> Result<Self, Vec<SourceError>> {
        let file = specs
            .files
            .iter()
            .find(|f| f.relative == CATALOGUE_FILE)
            .ok_or_else(|| {
                vec![SourceError {
                    file: specs.origin.clone(),
                    line: 0,
                    message: format!(
                        "no {CATALOGUE_FILE}: the catalogue of documented cases is required"
                    ),
                }]
            })?;
        Self::from_file(file)
    }

    pub fn from_file(file: &AssetFile) -> Result<Self, Vec<SourceError>> {
        let lines = LineIndex::new(&file.text);
        let raw: RawCatalogue = yaml::parse(file, &lines, None)?;
        let mut errors = Vec::new();
        let mut error = |path: String, message: String| {
            errors.push(SourceError {
                file: file.display.clone(),
                line: lines.line(&path),
                message,
            })
        };
        let mut seen = BTreeSet::new();
        for (i, op) in raw.operations.iter().enumerate() {
            let path = format!("operations[{i}]");
            if !seen.insert(op.id()) {
                error(
                    path.clone(),
                    format!("operation {} is listed twice", op.id()),
                );
            }
            let codes: BTreeMap<u16, &Status> = op.statuses.iter().map(|s| (s.code, s)).collect();
            let mut case_ids = BTreeSet::new();
            for (j, case) in op.cases.iter().enumerate() {
                let cpath = format!("{path}.cases[{j}]");
                if !case_ids.insert(case.id.as_str()) {
                    error(
                        cpath.clone(),
                        format!("case `{}` is listed twice in {}", case.id, op.id()),
                    );
                }
                match codes.get(&case.status) {
                    None => error(
                        cpath,
                        format!(
                            "case `{}` has status {}, which {} does not list",
                            case.id,
                            case.status,
                            op.id()
                        ),
                    ),
                    Some(status) if !status.provokable => error(
                        cpath,
                        format!(
                            "case `{}` has status {}, which is marked not provokable",
                            case.id, case.status
                        ),
                    ),
                    _ => {}
                }
            }
            for (j, status) in op.statuses.iter().enumerate() {
                let spath = format!("{path}.statuses[{j}]");
                let has_case = op.cases.iter().any(|c| c.status == status.code);
                if status.provokable && !has_case {
                    error(spath, format!("status {} of {} has no case: add one, or mark it `provokable: false` with a reason", status.code, op.id()));
                } else if !status.provokable && status.reason.as_deref().is_none_or(str::is_empty) {
                    error(
                        spath,
                        format!(
                            "status {} of {} is not provokable but gives no reason",
                            status.code,
                            op.id()
                        ),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(Catalogue {
                operations: raw.operations,
            })
        } else {
            Err(errors)
        }
    }

    pub fn operation(&self, api: &str, operation: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.api == api && o.operation == operation)
    }
}
