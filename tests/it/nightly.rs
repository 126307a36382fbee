//! What a nightly run needs beyond one run: retries that tell a flaky trial from a failing
//! one, a history that survives a corrupt line, and `run --baseline` judged by `--fail-on`.

use std::path::Path;
use std::process::Command;

use sn_conform::mock::Fault;
use sn_conform::report::Verdict;
use sn_conform::runner::{Plan, Run};

#[test]
fn a_trial_that_fails_once_and_then_passes_is_flaky_with_its_attempts_kept() {
    let report = crate::common::run_report_with_retries(
        crate::common::mock_with(&[Fault::FirstAcceptFails]),
        2,
    );
    let flaky: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t.outcome == Verdict::Flaky)
        .collect();
    assert_eq!(flaky.len(), 1, "{:#?}", report.summary);
    let trial = flaky[0];
    assert!(
        trial.name.starts_with("awa_inbox_actions/accept::"),
        "{}",
        trial.name
    );
    assert_eq!(trial.attempts.len(), 1);
    let first = &trial.attempts[0];
    assert_eq!(first.outcome, Verdict::Failed);
    assert!(
        first.failures()[0].contains("got 503"),
        "{:?}",
        first.failures()
    );
    assert!(!first.exchanges.is_empty());
    assert!(trial.failures().is_empty());
    assert_eq!(report.summary.flaky, 1);
    assert_eq!(report.summary.failed + report.summary.error, 0);
    // The report still matches its schema with the attempts in it.
    let schemas = sn_conform::schemas::SchemaSet::compile(
        &sn_conform::source::assets::schemas(Some("schemas".as_ref())).unwrap(),
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&sn_conform::report::to_json(&report)).unwrap();
    assert_eq!(
        schemas.check("report.schema.json", &json),
        Vec::<String>::new()
    );

    // Without retries the same fault is a failure.
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let target = crate::common::mock_target("http://127.0.0.1:0", true);
    let run = Run::prepare(
        inputs,
        Plan::embedded(target, crate::common::mock_with(&[Fault::FirstAcceptFails])),
    )
    .unwrap();
    run.run_quietly(4);
    let report = run.finish();
    assert_eq!(report.summary.failed, 1);
    assert_eq!(report.summary.flaky, 0);
}

fn sn_conform(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(crate::common::process::BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SN_REPORT_DIR", dir.join("unused"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn history_is_appended_read_past_a_corrupt_line_and_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    let h = history.to_str().unwrap();
    let first = dir.path().join("first");
    let (code, _, err) = sn_conform(
        &[
            "run",
            "-q",
            "--report-dir",
            first.to_str().unwrap(),
            "--history",
            h,
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    // A run killed mid-write leaves half a line.
    let mut text = std::fs::read_to_string(&history).unwrap();
    assert_eq!(text.lines().count(), 1);
    text.push_str("{\"date\": \"2026-");
    std::fs::write(&history, &text).unwrap();
    let second = dir.path().join("second");
    let (code, _, err) = sn_conform(
        &[
            "run",
            "-q",
            "--mock-fault",
            "accept-wrong-status",
            "--report-dir",
            second.to_str().unwrap(),
            "--history",
            h,
        ],
        dir.path(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("history.jsonl:2: skipped a line"), "{err}");
    let after = std::fs::read_to_string(&history).unwrap();
    assert!(after.starts_with(&text), "the history was rewritten");
    assert_eq!(after.lines().count(), 3);

    let (code, out, err) = sn_conform(&["history", h], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("history.jsonl:2: skipped a line"), "{err}");
    assert!(out.starts_with("2 run(s) in the history"), "{out}");
    let accepted = out
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("awa_inbox_actions/accept::accepted ")
        })
        .unwrap_or_else(|| panic!("{out}"));
    assert!(accepted.contains(".F"), "{accepted}");
    assert!(accepted.contains("failing since"), "{accepted}");
    // Failing cases come first.
    assert!(
        out.lines().nth(2).unwrap().contains("failing since"),
        "{out}"
    );

    let (code, json, _) = sn_conform(
        &["history", h, "--format", "json", "--last", "1"],
        dir.path(),
    );
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["runs"], 2);
    assert_eq!(json["skipped_lines"].as_array().unwrap().len(), 1);
    assert!(json["cases"].as_array().unwrap().iter().all(|c| c["marks"]
        .as_str()
        .unwrap()
        .chars()
        .count()
        == 1));

    // `run --baseline`: the change is judged, and written beside the reports.
    let third = dir.path().join("third");
    let baseline = first.join("report.json");
    let args = |fail_on: &'static str| {
        vec![
            "run".to_string(),
            "-q".into(),
            "--mock-fault".into(),
            "accept-wrong-status".into(),
            "--report-dir".into(),
            third.to_str().unwrap().into(),
            "--baseline".into(),
            baseline.to_str().unwrap().into(),
            "--fail-on".into(),
            fail_on.into(),
        ]
    };
    let as_refs = |v: &Vec<String>| v.iter().map(String::clone).collect::<Vec<_>>();
    let regression = as_refs(&args("regression"));
    let (code, out, _) = sn_conform(
        &regression.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(code, 1);
    assert!(out.contains("sn-conform diff: 4 regression"), "{out}");
    let md = std::fs::read_to_string(third.join("diff.md")).unwrap();
    assert!(md.starts_with("## sn-conform diff: 4 regression"), "{md}");
    let none = as_refs(&args("none"));
    let (code, ..) = sn_conform(
        &none.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(code, 0);
}

#[test]
fn a_run_off_a_terminal_shows_plain_progress_lines_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(crate::common::process::BIN)
        .args(["run", "--mock-fault", "accept-wrong-status", "--report-dir"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    // A line each tenth of the run and one at the end, not one per trial.
    assert!((5..=15).contains(&lines.len()), "{err}");
    let last = regex::Regex::new(r"^progress: (\d+)/(\d+) trials done, 4 failed, 0 to go$")
        .unwrap()
        .captures(lines.last().unwrap())
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(last[1], last[2]);
    assert!(
        lines[1].contains(" left"),
        "an estimate of the time left: {err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "no escape codes off a terminal: {err}"
    );
}

#[test]
fn a_run_against_a_slow_rate_limited_built_in_mock_waits_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(crate::common::process::BIN)
        .args([
            "run",
            "-q",
            "--no-doctor",
            "--mock-latency",
            "10",
            "--mock-max-concurrent",
            "2",
            "--mock-rate-limit",
            "3/s",
            "--report-dir",
        ])
        .arg(dir.path())
        .arg("reject_reasons::lists the channel's reasons by order[default json]")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    // The run kept to the mock's rate: it waits whenever the mock says its second is spent
    // (X-RateLimit-Remaining: 0) or refuses a request (429, waited out as told), so its
    // requests spread over at least one second per three.
    let mut starts: Vec<f64> = report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["exchanges"].as_array().unwrap())
        .filter(|x| x["status"] != 429)
        .map(|x| x["started_at_ms"].as_f64().unwrap())
        .collect();
    starts.sort_by(f64::total_cmp);
    let answered = starts.len();
    assert!(answered >= 6, "the trial sends at least six requests");
    let span = starts[answered - 1] - starts[0];
    let seconds = (answered as f64 / 3.0).ceil() - 1.0;
    assert!(
        span >= seconds * 900.0,
        "{answered} requests at 3 a second in {span} ms"
    );
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(report["records"]["left"], 0);
}
