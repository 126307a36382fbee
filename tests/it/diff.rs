//! `diff` and `run --baseline`: each category of change, the exit status under `--fail-on`,
//! and drift that the suite itself does not fail on.

use std::process::Command;

use sn_conform::mock::Fault;
use sn_conform::report::diff::{Change, Diff, DiffOptions, DriftKind, FailOn};
use sn_conform::report::{
    Attempt, Checked, Finding, Found, Level, Place, RunReport, TargetKind, TrialResult, Verdict,
};

fn trial(name: &str, outcome: Verdict) -> TrialResult {
    let (path, scenario) = name.split_once("::").unwrap();
    let (api, operation) = path.split_once('/').unwrap();
    TrialResult {
        name: name.to_string(),
        api: api.to_string(),
        operation: operation.to_string(),
        scenario: scenario.to_string(),
        variant: String::new(),
        file: "specs/x.yaml".into(),
        line: 1,
        outcome,
        reason: (outcome == Verdict::Ignored).then(|| "a reason".to_string()),
        duration_ms: 1.0,
        found: if outcome.is_bad() {
            Found {
                findings: vec![Finding::new(Checked::Status, Level::Must, "200", "500")
                    .with_context("{}")
                    .placed(&Place::Step {
                        file: "specs/x.yaml".into(),
                        line: 3,
                        name: "ask".into(),
                    })],
                ..Found::default()
            }
        } else {
            Found::default()
        },
        exchanges: Vec::new(),
        attempts: if outcome == Verdict::Flaky {
            vec![Attempt {
                outcome: Verdict::Failed,
                duration_ms: 1.0,
                found: Found {
                    findings: vec![Finding::recorded("first attempt".into(), Level::Must)],
                    ..Found::default()
                },
                exchanges: Vec::new(),
            }]
        } else {
            Vec::new()
        },
    }
}

fn report(trials: Vec<TrialResult>) -> RunReport {
    RunReport::new(
        "http://127.0.0.1:1".into(),
        TargetKind::EmbeddedMock,
        0,
        1.0,
        false,
        trials,
    )
}

#[test]
fn every_category_is_told_apart() {
    use Verdict::*;
    let pairs: Vec<(&str, Option<Verdict>, Option<Verdict>, Change)> = vec![
        (
            "a/op::regressed",
            Some(Passed),
            Some(Failed),
            Change::Regression,
        ),
        ("a/op::broke", Some(Passed), Some(Error), Change::Regression),
        (
            "a/op::was flaky now fails",
            Some(Flaky),
            Some(Failed),
            Change::Regression,
        ),
        ("a/op::fixed", Some(Failed), Some(Passed), Change::Fixed),
        (
            "a/op::still",
            Some(Error),
            Some(Failed),
            Change::StillFailing,
        ),
        ("a/op::flaky", Some(Passed), Some(Flaky), Change::Flaky),
        (
            "a/op::newly run",
            Some(Ignored),
            Some(Passed),
            Change::NewlyRun,
        ),
        (
            "a/op::newly run failing",
            Some(Ignored),
            Some(Failed),
            Change::NewlyRun,
        ),
        (
            "a/op::no longer",
            Some(Passed),
            Some(Ignored),
            Change::NoLongerRun,
        ),
        ("a/op::added", None, Some(Passed), Change::Added),
        ("a/op::removed", Some(Failed), None, Change::Removed),
        ("a/op::same", Some(Passed), Some(Passed), Change::Unchanged),
        (
            "a/op::same ignored",
            Some(Ignored),
            Some(Ignored),
            Change::Unchanged,
        ),
    ];
    let before = report(
        pairs
            .iter()
            .filter_map(|(n, b, _, _)| b.map(|o| trial(n, o)))
            .collect(),
    );
    let now = report(
        pairs
            .iter()
            .filter_map(|(n, _, a, _)| a.map(|o| trial(n, o)))
            .collect(),
    );
    let diff = Diff::between(&before, &now, DiffOptions::default());
    for (name, _, _, expected) in &pairs {
        let got = diff
            .trials
            .iter()
            .find(|e| e.name == *name)
            .map_or(Change::Unchanged, |e| e.change);
        assert_eq!(got, *expected, "{name}");
    }
    assert!(diff.fails(FailOn::Regression));
    assert!(!diff.fails(FailOn::None));
    let regression = &diff.trials_in(Change::Regression)[0];
    assert_eq!(
        regression.message.as_deref(),
        Some("specs/x.yaml:3: step \"ask\": status: expected 200, got 500 (body: {})")
    );

    // Without regressions, flaky and any still tell a flaky or failing run apart.
    let calm_before = report(vec![trial("a/op::x", Passed), trial("a/op::y", Failed)]);
    let flaky = report(vec![trial("a/op::x", Flaky), trial("a/op::y", Passed)]);
    let diff = Diff::between(&calm_before, &flaky, DiffOptions::default());
    assert!(!diff.fails(FailOn::Regression));
    assert!(diff.fails(FailOn::Flaky));
    let still = report(vec![trial("a/op::x", Passed), trial("a/op::y", Failed)]);
    let diff = Diff::between(&calm_before, &still, DiffOptions::default());
    assert!(!diff.fails(FailOn::Flaky));
    assert!(diff.fails(FailOn::Any));
    assert_eq!(diff.headline(), "1 still failing");
}

fn write(dir: &std::path::Path, name: &str, report: &RunReport) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, sn_conform::report::to_json(report)).unwrap();
    path
}

fn diff_cli(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(crate::common::process::BIN)
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_fault_diffed_against_a_clean_baseline_shows_exactly_its_regressions() {
    let clean = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let faulty = crate::common::run_report(
        crate::common::mock_with(&[Fault::AcceptWrongStatus]),
        |_| {},
    );
    let failing: Vec<&str> = faulty
        .trials
        .iter()
        .filter(|t| t.outcome.is_bad())
        .map(|t| t.name.as_str())
        .collect();
    assert!(!failing.is_empty());
    let diff = Diff::between(&clean, &faulty, DiffOptions::default());
    let regressions: Vec<&str> = diff
        .trials_in(Change::Regression)
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(regressions, failing);
    // Every other trial is unchanged: a regression is all the fault did.
    assert_eq!(diff.trials.len(), regressions.len(), "{:#?}", diff.trials);
    assert!(diff
        .cases_in(Change::Regression)
        .iter()
        .all(|c| c.name.starts_with("awa_inbox_actions/accept::")));

    let dir = tempfile::tempdir().unwrap();
    let before = write(dir.path(), "before.json", &clean);
    let after = write(dir.path(), "after.json", &faulty);
    let (code, text) = diff_cli(&[before.as_os_str(), after.as_os_str()]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!(
            "regressions: passed before, fail now ({} trials",
            regressions.len()
        )),
        "{text}"
    );
    let (code, _) = diff_cli(&[
        before.as_os_str(),
        after.as_os_str(),
        "--fail-on".as_ref(),
        "none".as_ref(),
    ]);
    assert_eq!(code, 0);
    let (code, json) = diff_cli(&[
        after.as_os_str(),
        before.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 0, "the reverse direction only fixes");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["trials"].as_array().unwrap().len(),
        regressions.len(),
        "{json}"
    );
    assert!(json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["change"] == "fixed"));
}

#[test]
fn drift_is_reported_while_every_trial_still_passes() {
    let clean = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let drifted = crate::common::run_report(
        crate::common::mock_with(&[Fault::InteractionDrifts]),
        |_| {},
    );
    assert_eq!(drifted.summary.failed + drifted.summary.error, 0);
    let diff = Diff::between(&clean, &drifted, DiffOptions::default());
    assert!(diff.trials.is_empty(), "{:#?}", diff.trials);
    assert!(!diff.fails(FailOn::Regression));
    assert!(diff.fails(FailOn::Any));
    let has = |operation: &str, kind: DriftKind, path: &str, now: &str| {
        diff.drift
            .iter()
            .any(|d| d.operation == operation && d.kind == kind && d.path == path && d.now == now)
    };
    for operation in ["interaction/create", "interaction/close"] {
        assert!(
            has(
                operation,
                DriftKind::FieldRetyped,
                "result.context",
                "string"
            ),
            "{operation}: {:#?}",
            diff.drift
        );
        assert!(
            has(
                operation,
                DriftKind::FieldUndocumented,
                "result.x_trace_id",
                "string"
            ),
            "{operation}: {:#?}",
            diff.drift
        );
    }
    // Only the interaction answers drifted, and each drift names its documented cases.
    assert!(diff
        .drift
        .iter()
        .all(|d| d.operation.starts_with("interaction/") && !d.cases.is_empty()));
    // A faithful run against another faithful run does not drift.
    let again = crate::common::run_report(crate::common::mock_with(&[]), |_| {});
    let calm = Diff::between(&clean, &again, DiffOptions::default());
    assert!(calm.drift.is_empty(), "{:#?}", calm.drift);
    assert!(calm.trials.is_empty());
}
