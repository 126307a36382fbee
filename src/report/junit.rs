//! `junit.xml`, written with quick-junit: one test suite per API, one test case per trial.
//! A deviation is a `<failure>`, a broken exchange an `<error>`, an ignored trial `<skipped>`;
//! a run that stopped before the suite is one `<error>` case that names the reason.
//!
//! ```xml
//! <testsuites name="sn-conform" tests="3" failures="1" errors="0">
//!   <testsuite name="awa_inbox_actions" tests="3" ...>
//!     <testcase name="awa_inbox_actions/accept::accepts a pending work item[v1]" classname="awa_inbox_actions/accept" time="0.004"/>
//!     <testcase name="..."><failure type="deviation" message="status: expected 200, got 201">...</failure></testcase>
//!     <testcase name="..."><skipped message="needs an account without awa_integration_user: ..."/></testcase>
//!   </testsuite>
//! </testsuites>
//! ```

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, Verdict};

pub fn render(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut junit = Report::new("sn-conform");
    let started = i64::try_from(report.started_at)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.fixed_offset());
    if let Some(started) = started {
        junit.set_timestamp(started);
    }
    junit.set_time(Duration::from_secs_f64(report.duration_ms / 1000.0));
    for (api, trials) in report.by_api() {
        let mut suite = TestSuite::new(api);
        if let Some(started) = started {
            suite.set_timestamp(started);
        }
        suite.add_property(Property::new("tool", report.tool.as_str()));
        suite.add_property(Property::new("date", report.date.as_str()));
        suite.add_property(Property::new("target", report.base_url.as_str()));
        for trial in trials {
            let status = match trial.outcome {
                Verdict::Passed => TestCaseStatus::success(),
                // Surefire's flaky form: a success with the failed attempts as reruns.
                Verdict::Flaky => {
                    let mut s = TestCaseStatus::success();
                    for attempt in &trial.attempts {
                        let kind = if attempt.outcome == Verdict::Error {
                            NonSuccessKind::Error
                        } else {
                            NonSuccessKind::Failure
                        };
                        let mut rerun = quick_junit::TestRerun::new(kind);
                        if let Some(first) = attempt.found.first_failure() {
                            rerun.set_message(first);
                        }
                        s.add_rerun(rerun);
                    }
                    s
                }
                Verdict::Ignored | Verdict::NotRun => {
                    let mut s = TestCaseStatus::skipped();
                    if let Some(reason) = &trial.reason {
                        s.set_message(reason.as_str());
                    }
                    s
                }
                Verdict::Failed | Verdict::Error => {
                    let (kind, label) = if trial.outcome == Verdict::Failed {
                        (NonSuccessKind::Failure, "deviation")
                    } else {
                        (NonSuccessKind::Error, "exchange")
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    s.set_type(label);
                    let failures = trial.failures();
                    if let Some(first) = failures.first() {
                        s.set_message(first.as_str());
                    }
                    s.set_description(failures.join("\n"));
                    s
                }
            };
            let mut case = TestCase::new(trial.name.as_str(), status);
            case.set_classname(format!("{}/{}", trial.api, trial.operation));
            case.set_time(Duration::from_secs_f64(trial.duration_ms / 1000.0));
            let warnings = trial.warnings();
            if !warnings.is_empty() {
                case.set_system_err(format!("warnings:\n{}", warnings.join("\n")));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    if let Some(reason) = &report.stopped {
        junit.add_test_suite(stopped_suite(report, reason));
    }
    junit.to_string()
}

/// A run that stopped before the suite has no trials: one error case names why, so that a
/// CI dashboard shows the reason rather than an empty, green suite.
fn stopped_suite(report: &RunReport, reason: &str) -> TestSuite {
    let mut suite = TestSuite::new("sn-conform");
    suite.add_property(Property::new("tool", report.tool.as_str()));
    suite.add_property(Property::new("target", report.base_url.as_str()));
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_type("stopped");
    status.set_message(reason);
    let mut case = TestCase::new("the run stopped before the suite", status);
    case.set_classname("sn-conform");
    suite.add_test_case(case);
    suite
}
