//! `compare`: the mock against the mock with one fault lists exactly the documented cases
//! that fault touches, and nothing when both are faithful.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::process::{MockProcess, BIN};
use sn_conform::mock::Fault;
use sn_conform::report::compare::Comparison;
use sn_conform::report::{RunReport, Verdict};

/// The documented cases whose trials do not pass in `report`.
fn failing_cases(report: &RunReport) -> BTreeSet<String> {
    report
        .coverage
        .iter()
        .flat_map(|m| &m.operations)
        .flat_map(|op| {
            op.cases.iter().filter_map(move |c| {
                let verdict = c.run.as_ref()?.verdict;
                verdict
                    .is_bad()
                    .then(|| format!("{}::{}", op.operation, c.id))
            })
        })
        .collect()
}

#[test]
fn each_fault_shows_as_exactly_the_cases_it_touches() {
    let clean = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let again = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let calm = Comparison::between(&clean, &again);
    assert!(!calm.differs(), "{}", calm.text());
    for fault in [
        Fault::AcceptWrongStatus,
        Fault::DropKeepsActive,
        Fault::RejectUnknownAgent400,
        Fault::InteractionNumberMissing,
    ] {
        let faulty = crate::common::run_report(crate::common::mock_with(&[fault]), |_| {});
        let touched = failing_cases(&faulty);
        assert!(!touched.is_empty(), "{fault}");
        let listed: BTreeSet<String> = Comparison::between(&clean, &faulty)
            .cases
            .into_iter()
            .map(|c| c.case)
            .collect();
        assert_eq!(listed, touched, "{fault}");
    }
    // A fault the suite passes shows as what drifted, in the cases that drifted.
    let drifted = crate::common::run_report(
        crate::common::mock_with(&[Fault::InteractionDrifts]),
        |_| {},
    );
    let comparison = Comparison::between(&clean, &drifted);
    assert!(comparison.differs());
    assert!(comparison
        .cases
        .iter()
        .all(|c| c.case.starts_with("interaction/")
            && c.a == Some(Verdict::Passed)
            && c.b == Some(Verdict::Passed)));
    assert!(comparison.cases.iter().any(|c| c
        .differences
        .iter()
        .any(|d| d.contains("result.context") && d.contains("object on a, string on b"))));
    // Each side is named for what it showed, not as a change from one to the other.
    assert!(
        comparison.cases.iter().any(|c| c
            .differences
            .iter()
            .any(|d| d.starts_with("undocumented field ")
                && d.ends_with(": absent on a, present (string) on b"))),
        "{}",
        comparison.text()
    );
}

#[test]
fn the_command_compares_two_instances_by_url_and_exits_1_when_they_differ() {
    let faithful = MockProcess::start(&[]);
    let faulty = MockProcess::start(&["--fault", "accept-wrong-status"]);
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "compare",
            "--a",
            &faithful.url,
            "--b",
            &faulty.url,
            "--user",
            "admin",
            "--password",
            "admin",
            "--norole-user",
            "no.role",
            "--norole-password",
            "no.role",
            "--allow-config-changes",
            "--report-dir",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cases: Vec<&str> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    assert_eq!(cases, ["awa_inbox_actions/accept::accepted"], "{json}");
    for side in ["a", "b"] {
        assert!(dir.path().join(side).join("report.json").is_file());
    }
    assert!(std::fs::read_to_string(dir.path().join("compare.md"))
        .unwrap()
        .contains("`awa_inbox_actions/accept::accepted`"));
}
