//! The coverage matrix as the reports see it: each documented case of the catalogue, the
//! scenarios and trials that exercise it, and (after a run) how they ended. Built by
//! [`crate::coverage`]; rendered here as text (the `coverage` command) and Markdown.
//!
//! ```text
//! awa_inbox_actions/reject_reasons  GET /api/now/awa/inbox/actions/reject_reasons/{channel_id} ...
//!   200 listed_by_order        lists the channel's reasons by order (2 trials)
//!   404 unknown_channel        NOT COVERED
//!   status 500: not provokable: No documented input makes a faithful instance fail unexpectedly.
//! ```

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::catalogue::Source;

/// The matrix of one suite (and optionally one run) against the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matrix {
    pub operations: Vec<OperationCoverage>,
    pub cases_total: usize,
    pub cases_covered: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperationCoverage {
    /// `api/operation`.
    pub operation: String,
    pub methods: Vec<String>,
    pub urls: Vec<String>,
    pub cases: Vec<CaseCoverage>,
    pub statuses: Vec<StatusCoverage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseCoverage {
    pub id: String,
    pub status: u16,
    pub source: Source,
    pub summary: String,
    /// Scenario names that name this case in `covers`.
    pub scenarios: Vec<String>,
    /// Their trial names, one per variant.
    pub trials: Vec<String>,
    /// After a run: how its trials ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<CaseRun>,
}

/// Outcome counts of a case's trials in one run, and the verdict a reader wants first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaseRun {
    /// `failed` if any trial failed, else `error` if any broke, else `passed` if any passed,
    /// else `ignored`, else `not run` (filtered out).
    pub verdict: String,
    pub passed: usize,
    pub failed: usize,
    pub error: usize,
    pub ignored: usize,
    /// Trials that failed, then passed when retried.
    #[serde(default)]
    pub flaky: usize,
    pub not_run: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusCoverage {
    pub code: u16,
    pub description: String,
    pub provokable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether a scenario covers a case with this status.
    pub covered: bool,
}

impl Matrix {
    /// Every documented case that no scenario covers, as `operation case (status)`.
    pub fn gaps(&self) -> Vec<String> {
        self.operations
            .iter()
            .flat_map(|op| {
                op.cases
                    .iter()
                    .filter(|c| c.scenarios.is_empty())
                    .map(move |c| format!("{} {} ({})", op.operation, c.id, c.status))
            })
            .collect()
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        for op in &self.operations {
            let _ = writeln!(
                out,
                "{}  {} {}",
                op.operation,
                op.methods.join("|"),
                op.urls.join(" ")
            );
            for c in &op.cases {
                let what = if c.scenarios.is_empty() {
                    "NOT COVERED".to_string()
                } else {
                    format!("{} ({} trials)", c.scenarios.join("; "), c.trials.len())
                };
                let run = c
                    .run
                    .as_ref()
                    .map_or(String::new(), |r| format!("  [{}]", r.verdict));
                let _ = writeln!(out, "  {} {:28} {what}{run}", c.status, c.id);
            }
            for s in &op.statuses {
                if !s.provokable {
                    let _ = writeln!(
                        out,
                        "  status {}: not provokable: {}",
                        s.code,
                        s.reason.as_deref().unwrap_or("")
                    );
                } else if !s.covered {
                    let _ = writeln!(out, "  status {}: NOT COVERED", s.code);
                }
            }
        }
        let _ = writeln!(
            out,
            "{} of {} documented cases covered",
            self.cases_covered, self.cases_total
        );
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for op in &self.operations {
            let ran = op.cases.iter().any(|c| c.run.is_some());
            let _ = writeln!(
                out,
                "### {}\n\n`{}` {}\n",
                op.operation,
                op.methods.join("`, `"),
                op.urls
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let _ = writeln!(
                out,
                "| status | case | source | scenarios | trials |{}",
                if ran { " outcome |" } else { "" }
            );
            let _ = writeln!(
                out,
                "|---|---|---|---|---|{}",
                if ran { "---|" } else { "" }
            );
            for c in &op.cases {
                let scenarios = if c.scenarios.is_empty() {
                    "**not covered**".to_string()
                } else {
                    c.scenarios.join("; ")
                };
                let source = match c.source {
                    Source::Document => "document",
                    Source::Platform => "platform",
                    Source::Decision => "decision",
                };
                let run = c
                    .run
                    .as_ref()
                    .map_or(String::new(), |r| format!(" {} |", r.verdict));
                let _ = writeln!(
                    out,
                    "| {} | {} | {source} | {} | {} |{run}",
                    c.status,
                    c.id,
                    scenarios.replace('|', "\\|"),
                    c.trials.len()
                );
            }
            let unprovokable: Vec<String> = op
                .statuses
                .iter()
                .filter(|s| !s.provokable)
                .map(|s| format!("{} ({})", s.code, s.reason.as_deref().unwrap_or("")))
                .collect();
            if !unprovokable.is_empty() {
                let _ = writeln!(out, "\nNot provokable: {}", unprovokable.join("; "));
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} of {} documented cases covered.",
            self.cases_covered, self.cases_total
        );
        out
    }
}
