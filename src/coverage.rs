//! Coverage: the catalogue's documented cases against the scenarios that exercise them, and,
//! after a run, how those trials ended. A provokable case with no scenario is a gap; a
//! documented status no input can provoke is listed with its reason, never dropped.
//!
//! ```text
//! awa_inbox_actions/reject_reasons  GET /api/now/awa/inbox/actions/reject_reasons/{channel_id} ...
//!   200 listed_by_order        lists the channel's reasons by order (2 trials)
//!   404 unknown_channel        NOT COVERED
//!   status 500: not provokable: No documented input makes a faithful instance fail unexpectedly.
//! ```

use std::collections::BTreeMap;

use crate::catalogue::Catalogue;
pub use crate::report::{CaseCoverage, CaseRun, Matrix, OperationCoverage, StatusCoverage};
use crate::report::{Outcome, TrialResult};
use crate::spec::Suite;

impl Matrix {
    /// The coverage of `suite`; with `results`, also how each case's trials ended.
    pub fn build(catalogue: &Catalogue, suite: &Suite, results: Option<&[TrialResult]>) -> Self {
        let outcomes: Option<BTreeMap<&str, Outcome>> =
            results.map(|rs| rs.iter().map(|r| (r.name.as_str(), r.outcome)).collect());
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

fn case_run(trials: &[String], outcomes: &BTreeMap<&str, Outcome>) -> CaseRun {
    let mut run = CaseRun::default();
    for t in trials {
        match outcomes.get(t.as_str()) {
            Some(Outcome::Passed) => run.passed += 1,
            Some(Outcome::Failed) => run.failed += 1,
            Some(Outcome::Error) => run.error += 1,
            Some(Outcome::Ignored) => run.ignored += 1,
            Some(Outcome::Flaky) => run.flaky += 1,
            None => run.not_run += 1,
        }
    }
    run.verdict = if run.failed > 0 {
        "failed"
    } else if run.error > 0 {
        "error"
    } else if run.flaky > 0 {
        "flaky"
    } else if run.passed > 0 {
        "passed"
    } else if run.ignored > 0 {
        "ignored"
    } else {
        "not run"
    }
    .to_string();
    run
}
