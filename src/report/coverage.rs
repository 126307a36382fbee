//! Coverage: the catalogue's documented cases against the scenarios that exercise them, and,
//! after a run, how those trials ended. A provokable case with no scenario is a gap; a
//! documented status no input can provoke is listed with its reason, never dropped. Built
//! from the catalogue and the suite (and a run's results); rendered as text (the `coverage`
//! command) and Markdown.
//!
//! ```text
//! awa_inbox_actions/reject_reasons  GET /api/now/awa/inbox/actions/reject_reasons/{channel_id} ...
//!   200 listed_by_order        lists the channel's reasons by order (2 trials)
//!   404 unknown_channel        NOT COVERED
//!   status 500: not provokable: No documented input makes a faithful instance fail unexpectedly.
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::{TrialResult, Verdict};
use crate::spec::catalogue::{Catalogue, Source};
use crate::spec::Suite;

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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseRun {
    /// `failed` if any trial failed, else `error` if any broke, else `flaky` if any was, else
    /// `passed` if any passed, else `ignored`, else `not run` (filtered out).
    pub verdict: Verdict,
    pub passed: usize,
    pub failed: usize,
    pub error: usize,
    pub ignored: usize,
    /// Trials that failed, then passed when retried.
    #[serde(default)]
    pub flaky: usize,
    pub not_run: usize,
    /// Passed trials with a warning (counted in `passed` too): the matrix shows the case as
    /// warned rather than passed when every passing trial of it warned.
    #[serde(default)]
    pub warned: usize,
}

impl CaseRun {
    /// The word the matrix shows: "warned" for a passed case whose passing trials all
    /// warned, else the verdict.
    pub fn shown(&self) -> String {
        if self.verdict == Verdict::Passed && self.warned > 0 && self.warned == self.passed {
            "warned".into()
        } else {
            self.verdict.to_string()
        }
    }
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

impl Matrix {
    /// The coverage of `suite`; with `results`, also how each case's trials ended.
    pub fn build(catalogue: &Catalogue, suite: &Suite, results: Option<&[TrialResult]>) -> Self {
        let outcomes: Option<BTreeMap<&str, (Verdict, bool)>> = results.map(|rs| {
            rs.iter()
                .map(|r| (r.name.as_str(), (r.outcome, !r.found.warnings().is_empty())))
                .collect()
        });
        let mut operations = Vec::new();
        let (mut total, mut covered) = (0, 0);
        for op in &catalogue.operations {
            let scenarios: Vec<_> = suite
                .scenarios
                .iter()
                .filter(|s| s.api == op.api && s.operation == op.operation)
                .collect();
            let cases: Vec<CaseCoverage> = op
                .cases
                .iter()
                .map(|case| {
                    let covering: Vec<_> = scenarios
                        .iter()
                        .filter(|s| s.covers.iter().any(|c| c == &case.id))
                        .collect();
                    let trials: Vec<String> = covering
                        .iter()
                        .flat_map(|s| s.variants.iter().map(|v| s.trial_name(v)))
                        .collect();
                    let run = outcomes.as_ref().map(|o| case_run(&trials, o));
                    CaseCoverage {
                        id: case.id.clone(),
                        status: case.status,
                        source: case.source,
                        summary: case.summary.clone(),
                        scenarios: covering.iter().map(|s| s.name.clone()).collect(),
                        trials,
                        run,
                    }
                })
                .collect();
            total += cases.len();
            covered += cases.iter().filter(|c| !c.scenarios.is_empty()).count();
            let statuses = op
                .statuses
                .iter()
                .map(|s| StatusCoverage {
                    code: s.code,
                    description: s.description.clone(),
                    provokable: s.provokable,
                    reason: s.reason.clone(),
                    covered: cases
                        .iter()
                        .any(|c| c.status == s.code && !c.scenarios.is_empty()),
                })
                .collect();
            operations.push(OperationCoverage {
                operation: op.id(),
                methods: op.methods.clone(),
                urls: op.urls.clone(),
                cases,
                statuses,
            });
        }
        Matrix {
            operations,
            cases_total: total,
            cases_covered: covered,
        }
    }
}

fn case_run(trials: &[String], outcomes: &BTreeMap<&str, (Verdict, bool)>) -> CaseRun {
    let mut run = CaseRun {
        verdict: Verdict::NotRun,
        passed: 0,
        failed: 0,
        error: 0,
        ignored: 0,
        flaky: 0,
        not_run: 0,
        warned: 0,
    };
    for t in trials {
        let got = outcomes.get(t.as_str());
        if got == Some(&(Verdict::Passed, true)) {
            run.warned += 1;
        }
        match got.map(|(verdict, _)| verdict) {
            Some(Verdict::Passed) => run.passed += 1,
            Some(Verdict::Failed) => run.failed += 1,
            Some(Verdict::Error) => run.error += 1,
            Some(Verdict::Ignored) => run.ignored += 1,
            Some(Verdict::Flaky) => run.flaky += 1,
            Some(Verdict::NotRun) | None => run.not_run += 1,
        }
    }
    run.verdict = if run.failed > 0 {
        Verdict::Failed
    } else if run.error > 0 {
        Verdict::Error
    } else if run.flaky > 0 {
        Verdict::Flaky
    } else if run.passed > 0 {
        Verdict::Passed
    } else if run.ignored > 0 {
        Verdict::Ignored
    } else {
        Verdict::NotRun
    };
    run
}
