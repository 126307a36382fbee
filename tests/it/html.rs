//! report.html: one self-contained file under 2 MB for the full suite, every value escaped,
//! failures first, and the diff and history shown when given. (Its behaviour in a browser is
//! checked by scripts/html-check, which CI runs.)

use sn_conform::mock::Fault;
use sn_conform::report::diff::{Diff, DiffOptions};
use sn_conform::report::history::{History, HistoryEntry};
use sn_conform::report::{write_all_redacted, Extras};

fn html_of(report: &sn_conform::report::RunReport, extras: &Extras<'_>) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_all_redacted(report, dir.path(), extras, |t| t.to_string()).unwrap();
    std::fs::read_to_string(dir.path().join("report.html")).unwrap()
}

#[test]
fn the_full_suite_makes_one_small_self_contained_page_with_failures_first() {
    let clean = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let mut report = crate::common::run_report(
        crate::common::mock_with(&[Fault::AcceptWrongStatus]),
        |_| {},
    );
    // A value that would be markup if it were pasted in.
    report.trials[0]
        .found
        .findings
        .push(sn_conform::report::Finding::recorded(
            "<script>alert(1)</script> & \"quoted\"".into(),
            sn_conform::report::Level::Must,
        ));
    report.trials[0].outcome = sn_conform::report::Verdict::Failed;
    let diff = Diff::between(&clean, &report, DiffOptions::default());
    let history = History {
        entries: vec![HistoryEntry::of(&clean), HistoryEntry::of(&report)],
        warnings: Vec::new(),
    };
    let html = html_of(
        &report,
        &Extras {
            diff: Some(&diff),
            history: Some(&history),
        },
    );
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched: no external script, style sheet, image or font.
    for fetch in ["<script src", "<link", "<img", "url(", "@import"] {
        assert!(!html.contains(fetch), "the page fetches something: {fetch}");
    }
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;quoted&quot;"));
    assert!(!html.contains("template error"));
    // The verdict, then what changed, then the history, then the trials, failures first.
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("no {needle} in the page"))
    };
    assert!(at("<header class=\"FAILED\">") < at("id=\"diff\""));
    assert!(at("id=\"diff\"") < at("id=\"history\""));
    assert!(at("id=\"history\"") < at("id=\"trials\""));
    assert!(
        html.contains("Since the baseline: 5 regressions"),
        "diff headline"
    );
    let first_trial = &html[at("<details class=\"trial ")..];
    assert!(first_trial.starts_with("<details class=\"trial failed\""));
    let passed = at("<details class=\"trial passed\"");
    let failed_after_passed = html[passed..].contains("<details class=\"trial failed\"");
    assert!(
        !failed_after_passed,
        "a failed trial is listed after a passed one"
    );
    assert!(html.contains("id=\"coverage\"") && html.contains("id=\"timings\""));
}

#[test]
fn without_a_baseline_or_history_those_sections_are_absent() {
    let report = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let html = html_of(&report, &Extras::default());
    assert!(html.contains("<header class=\"PASSED\">"));
    assert!(!html.contains("id=\"diff\""));
    assert!(!html.contains("id=\"history\""));
    assert!(!html.contains("id=\"failures\""));
}

#[test]
fn warned_trials_have_their_own_count_badge_and_filter() {
    let report =
        crate::common::run_report(crate::common::mock_with(&[Fault::MessagesReworded]), |_| {});
    let warned = report
        .trials
        .iter()
        .filter(|t| t.outcome == sn_conform::report::Verdict::Passed && !t.warnings().is_empty())
        .count();
    assert!(warned > 0);
    let page = html_of(&report, &Extras::default());
    assert!(
        page.contains(&format!("<span class=\"o-warned\">{warned} warned</span>")),
        "the count"
    );
    assert_eq!(
        page.matches("data-outcome=\"warned\"").count(),
        warned,
        "one warned trial element each"
    );
    assert!(page.contains("<span class=\"badge o-warned\">warned</span>"));
    assert!(page.contains("class=\"f-outcome\" value=\"warned\" checked"));
    // A documented case whose passing trials all warned is a warned chip in the matrix.
    assert!(
        page.contains("<span class=\"chip warned\""),
        "no warned chip"
    );
    // The clean passes are counted apart.
    let passed = report.summary.passed - warned;
    assert!(page.contains(&format!("<span class=\"o-passed\">{passed} passed</span>")));
}
