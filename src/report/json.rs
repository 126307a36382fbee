//! `report.json`: the whole run model as JSON, described by `schemas/report.schema.json`.
//!
//! ```json
//! {"format": 2, "tool": "sn-conform 0.1.0", "base_url": "http://127.0.0.1:40155",
//!  "target_kind": "embedded mock", "started_at": 1795000000, "duration_ms": 812.4,
//!  "strict": false,
//!  "summary": {"passed": 119, "failed": 1, "error": 0, "ignored": 0, "total": 120, ...},
//!  "trials": [{"name": "awa_inbox_actions/accept::accepts a pending work item[default json]",
//!              "outcome": "failed", "duration_ms": 3.1,
//!              "failures": ["specs/awa_inbox_actions/accept.yaml:45: step \"accept the work item\": status: expected 200, got 201 (body: {…})"],
//!              "warnings": [],
//!              "findings": [{"at": {"kind": "step", "file": "specs/awa_inbox_actions/accept.yaml", "line": 45, "name": "accept the work item"},
//!                            "checked": {"kind": "status"}, "level": "must",
//!                            "expected": "200", "actual": "201", "context": "{…}"}],
//!              "exchanges": [{"during": "step \"accept the work item\"",
//!                             "origin": {"kind": "step", "name": "accept the work item"}, ...}]}]}
//! ```
//!
//! A report reads back with [`read`] whatever release wrote it (see
//! [`super::REPORT_FORMAT`]).

use std::path::Path;

use super::{ReportError, RunReport};
use crate::schemas::SchemaSet;

pub fn render(report: &RunReport) -> String {
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// See [`super::read`].
pub fn read(path: &Path, schemas: &SchemaSet) -> Result<RunReport, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| ReportError::NotJson {
            path: path.to_path_buf(),
            source,
        })?;
    // A newer format may mean things this release would misread: say so rather than guess.
    if let Some(found) = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .filter(|f| *f > u64::from(super::REPORT_FORMAT))
    {
        return Err(ReportError::TooNew {
            path: path.to_path_buf(),
            found,
        });
    }
    let violations = schemas.check("report.schema.json", &value);
    if !violations.is_empty() {
        return Err(ReportError::NotAReport {
            path: path.to_path_buf(),
            violations,
        });
    }
    serde_json::from_value(value).map_err(|source| ReportError::Unreadable {
        path: path.to_path_buf(),
        source,
    })
}
