//! Warnings are visible: a run whose instance words its errors differently passes, and its
//! end on the terminal lists the warned trials (the check and the answer) after the failures,
//! and says when trials were retried.

use sn_conform::mock::Fault;
use sn_conform::report::terminal;

#[test]
fn the_terminal_lists_warned_trials_with_the_check_that_did_not_hold() {
    let report =
        crate::common::run_report(crate::common::mock_with(&[Fault::MessagesReworded]), |_| {});
    assert!(report.summary.warned > 0);
    let text = terminal::summary(&report);
    let header = text
        .lines()
        .find(|l| l.starts_with("warnings ("))
        .unwrap_or_else(|| panic!("no warnings section:\n{text}"));
    assert!(header.contains("fail only under --strict"), "{header}");
    let warned: usize = text.lines().filter(|l| l.contains("WARNED")).count();
    assert!(warned > 0, "{text}");
    // Each warned scenario shows its first warning: the body path and what came back.
    assert!(text.contains("$.error.message"), "{text}");
    assert!(text.contains("got"), "{text}");
    // Before the verdict line, which still says PASSED.
    let verdict = text.find("sn-conform: PASSED").expect("PASSED");
    assert!(text.find("warnings (").unwrap() < verdict);
}

#[test]
fn the_terminal_says_when_trials_were_retried() {
    let report = crate::common::run_report_with_retries(
        crate::common::mock_with(&[Fault::FirstAcceptFails]),
        1,
    );
    let text = terminal::summary(&report);
    assert!(report.summary.flaky > 0, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("retries: "))
        .unwrap_or_else(|| panic!("no retries line:\n{text}"));
    assert!(line.contains("passed when retried"), "{line}");

    let clean = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    assert!(!terminal::summary(&clean).contains("retries: "));
}
