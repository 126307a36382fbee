//! Reports and history files written by the release before the typed result model (format 1,
//! in `tests/data/format-1`: an all-passing run, a run with failures, warnings, a flaky trial
//! and trials left out by the doctor, a run whose trials broke, a `--strict` run, and the
//! history those runs appended) still load in `diff`, `history`, `--baseline` and `compare`,
//! and read back with the same messages, verdicts and reports.

use std::path::Path;
use std::process::Command;

use sn_conform::report::diff::{Change, Diff, DiffOptions};
use sn_conform::report::{self, Cause, Checked, Origin, RunReport, Verdict};
use sn_conform::schemas::SchemaSet;

use crate::common::process::BIN;

const DATA: &str = "tests/data/format-1";

fn schemas() -> SchemaSet {
    crate::common::load().1
}

fn old(name: &str) -> RunReport {
    report::read(&Path::new(DATA).join(name), &schemas())
        .unwrap_or_else(|e| panic!("{name} must load: {e}"))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_old_report_reads_back_with_its_messages_verdicts_and_origins() {
    for name in [
        "report-passed.json",
        "report-failed.json",
        "report-errors.json",
        "report-strict.json",
    ] {
        let report = old(name);
        assert_eq!(report.format, 1, "{name}");
        let original = json(&Path::new(DATA).join(name));
        let again: serde_json::Value = serde_json::from_str(&report::to_json(&report)).unwrap();
        assert_eq!(again["format"], report::REPORT_FORMAT, "{name}");
        let trials = original["trials"].as_array().unwrap();
        assert_eq!(trials.len(), report.trials.len(), "{name}");
        for (was, now) in trials.iter().zip(&again["trials"].as_array().unwrap()[..]) {
            let trial = was["name"].as_str().unwrap();
            // Every message, verdict and origin in words is what the old release wrote.
            for key in ["name", "outcome", "reason", "failures", "warnings"] {
                assert_eq!(was[key], now[key], "{name}: {trial}: {key}");
            }
            for (a, b) in was["attempts"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(now["attempts"].as_array().into_iter().flatten())
            {
                assert_eq!(a["failures"], b["failures"], "{name}: {trial}: attempt");
            }
            let during = |t: &serde_json::Value| -> Vec<serde_json::Value> {
                t["exchanges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["during"].clone())
                    .collect()
            };
            assert_eq!(during(was), during(now), "{name}: {trial}");
        }
        // And the file written now meets the schema, like the old one did.
        let violations = schemas().check("report.schema.json", &again);
        assert!(violations.is_empty(), "{name}: {violations:?}");
    }
}

#[test]
fn old_messages_become_findings_and_causes_recorded_by_an_earlier_release() {
    let errors = old("report-errors.json");
    let broke = &errors.trials[0];
    assert_eq!(broke.outcome, Verdict::Error);
    let broken = broke.found.broken.as_ref().unwrap();
    assert_eq!(broken.cause, Cause::Recorded);
    assert!(broken.detail.contains("timed out"), "{}", broken.detail);
    // Where each exchange came from is read back from its words.
    assert!(broke
        .exchanges
        .iter()
        .all(|x| matches!(x.origin, Origin::Step { .. })));
    let failed = old("report-failed.json");
    let deviated = failed
        .trials
        .iter()
        .find(|t| t.outcome == Verdict::Failed)
        .unwrap();
    assert!(deviated
        .found
        .findings
        .iter()
        .all(|f| matches!(f.checked, Checked::Recorded { .. })));
    assert!(failed
        .trials
        .iter()
        .flat_map(|t| &t.exchanges)
        .any(|x| matches!(x.origin, Origin::Fixture { shared: true, .. })));
    // A --strict run listed its warnings as its failures too; read back, it still does.
    let strict = old("report-strict.json");
    for t in &strict.trials {
        assert_eq!(t.outcome, Verdict::Failed);
        assert_eq!(t.failures(), t.warnings(), "{}", t.name);
    }
}

#[test]
fn junit_of_an_old_report_is_what_the_old_release_wrote() {
    for (name, junit, summary) in [
        ("report-passed.json", "r1-junit.xml", "r1-summary.md"),
        ("report-failed.json", "r2-junit.xml", "r2-summary.md"),
        ("report-errors.json", "r3-junit.xml", "r3-summary.md"),
        ("report-strict.json", "r4-junit.xml", "r4-summary.md"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        report::write_all(&old(name), dir.path()).unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(
            read(&dir.path().join("junit.xml")),
            read(&Path::new(DATA).join(junit)),
            "{name}"
        );
        // The summary gained the flaky count in its first line; the rest is as it was.
        let now = read(&dir.path().join("summary.md"));
        let was = read(&Path::new(DATA).join(summary));
        let (head_now, rest_now) = now.split_once('\n').unwrap();
        let (head_was, rest_was) = was.split_once('\n').unwrap();
        assert_eq!(rest_now, rest_was, "{name}");
        let flaky = old(name).summary.flaky;
        assert_eq!(
            head_now,
            head_was.replacen(" errors, ", &format!(" errors, {flaky} flaky, "), 1),
            "{name}"
        );
    }
}

#[test]
fn an_old_baseline_diffs_against_an_old_run_and_a_new_one() {
    let passed = old("report-passed.json");
    let failed = old("report-failed.json");
    let diff = Diff::between(&passed, &failed, DiffOptions::default());
    assert!(!diff.trials_in(Change::Regression).is_empty());
    assert!(!diff.trials_in(Change::Flaky).is_empty());
    assert!(!diff.cases_in(Change::Regression).is_empty());
    // The regression's message is the old run's first failure.
    let regression = diff.trials_in(Change::Regression)[0];
    let trial = failed
        .trials
        .iter()
        .find(|t| t.name == regression.name)
        .unwrap();
    assert_eq!(regression.message, trial.failures().first().cloned());
    // `sn-conform diff` on the two files, as a nightly job runs it.
    let out = Command::new(BIN)
        .args(["diff", &format!("{DATA}/report-passed.json")])
        .arg(format!("{DATA}/report-failed.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("regression"), "{text}");
}

#[test]
fn a_run_takes_an_old_report_as_its_baseline_and_an_old_history_as_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    std::fs::copy(Path::new(DATA).join("history.jsonl"), &history).unwrap();
    let out = Command::new(BIN)
        .args(["run", "--report-dir"])
        .arg(dir.path().join("reports"))
        .args(["--baseline", &format!("{DATA}/report-passed.json")])
        .arg("--history")
        .arg(&history)
        .args(["accept::accepts", "--skip", "v1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let read = report::history::read(&history).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.entries.len(), 4);
    assert_eq!(
        read.entries.iter().map(|e| e.format).collect::<Vec<_>>(),
        [1, 1, 1, report::history::HISTORY_FORMAT]
    );
    let trends = report::history::trends(&read, 10);
    let accepted = trends
        .iter()
        .find(|t| t.case == "awa_inbox_actions/accept::accepted")
        .unwrap();
    assert_eq!(accepted.marks.chars().count(), 4);
    // `sn-conform history` reads the mixed file.
    let out = Command::new(BIN)
        .arg("history")
        .arg(&history)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 run(s) in the history"));
}

#[test]
fn a_report_of_this_format_reads_back_whole() {
    let report = crate::common::run_report(
        crate::common::mock_with(&[
            sn_conform::mock::Fault::AcceptWrongStatus,
            sn_conform::mock::Fault::MessagesReworded,
        ]),
        |_| {},
    );
    let back: RunReport = serde_json::from_str(&report::to_json(&report)).unwrap();
    assert_eq!(back.format, report::REPORT_FORMAT);
    assert_eq!(back.trials, report.trials);
    assert!(back
        .trials
        .iter()
        .any(|t| t.found.findings.iter().any(|f| f.at.is_some())));
}

#[test]
fn a_report_of_a_newer_format_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut value = json(&Path::new(DATA).join("report-passed.json"));
    value["format"] = 99.into();
    let path = dir.path().join("report.json");
    std::fs::write(&path, value.to_string()).unwrap();
    let error = report::read(&path, &schemas()).unwrap_err().to_string();
    assert!(
        error.contains("newer sn-conform (report format 99)"),
        "{error}"
    );
}
