//! `sn-conform doctor` and the checks `run` makes first: a faithful mock passes them all; a
//! mock whose dictionary lacks a field fails the check that names it, and a run leaves out
//! exactly the trials that need it; an unusable target stops the run before anything is
//! created; a failed check never comes from an empty answer alone.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::process::{MockProcess, BIN};
use sn_conform::mock::{Fault, Mock, MockOptions, RunningMock};
use sn_conform::report::doctor::CheckStatus;
use sn_conform::report::Verdict;
use sn_conform::runner::{Plan, Run};
use sn_conform::target::Credentials;

fn sn_conform(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ADMIN: [&str; 8] = [
    "--user",
    "admin",
    "--password",
    "admin",
    "--norole-user",
    "no.role",
    "--norole-password",
    "no.role",
];

#[test]
fn doctor_passes_against_the_mock_and_names_a_missing_field_with_its_scenarios() {
    let mock = MockProcess::start(&[]);
    let (code, out, err) = sn_conform(&[&["doctor", "--base-url", &mock.url], &ADMIN[..]].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" 0 failed, 0 could not check"), "{out}");

    let (code, out, err) = sn_conform(
        &[
            &["doctor", "--format", "json", "--base-url", &mock.url],
            &ADMIN[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks = json["checks"].as_array().unwrap();
    assert!(checks.len() > 40, "{}", checks.len());
    assert!(checks.iter().all(|c| c["status"] == "passed"));

    let faulty = MockProcess::start(&["--fault", "dictionary-missing-field"]);
    let (code, out, err) =
        sn_conform(&[&["doctor", "--base-url", &faulty.url], &ADMIN[..]].concat());
    assert_eq!(code, 1, "{out}{err}");
    let failed: Vec<&str> = out.lines().filter(|l| l.contains("FAILED")).collect();
    assert_eq!(failed.len(), 1, "{out}");
    assert!(failed[0].contains("field awa_work_item.rejected"), "{out}");
    assert!(
        out.contains("needed by 22 scenario(s): awa_inbox_actions/accept::"),
        "{out}"
    );
    // The JSON names every scenario that needs it.
    let (code, out, _) = sn_conform(
        &[
            &["doctor", "--format", "json", "--base-url", &faulty.url],
            &ADMIN[..],
        ]
        .concat(),
    );
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let check = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "failed")
        .unwrap();
    assert_eq!(check["id"], "field:awa_work_item.rejected");
    let scenarios = check["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 22);
    assert!(scenarios
        .iter()
        .any(|s| s == "awa_inbox_actions/reject::rejects a pending work item"));
}

#[test]
fn a_run_leaves_out_exactly_the_trials_a_failed_check_concerns() {
    let mock = crate::common::mock_with(&[Fault::DictionaryMissingField]);
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let needing: Vec<String> = inputs
        .suite
        .scenarios
        .iter()
        .filter(|s| {
            s.table_fields()
                .get("awa_work_item")
                .is_some_and(|f| f.contains("rejected"))
        })
        .map(|s| s.key())
        .collect();
    assert!(!needing.is_empty());
    let target = crate::common::mock_target("http://127.0.0.1:0", true);
    let run = Run::prepare(inputs, Plan::embedded(target, mock).with_doctor(true)).unwrap();
    run.run_quietly(8);
    let report = run.finish();
    let doctor = report.doctor.as_ref().expect("the doctor ran");
    assert_eq!(doctor.count(CheckStatus::Failed), 1);
    // Every trial that ran passed, yet the run exits 1: the headline says so too.
    assert_eq!(report.verdict(), Verdict::Failed);
    let headline = sn_conform::report::terminal::summary(&report);
    assert!(!headline.contains("PASSED"), "{headline}");
    for t in &report.trials {
        let key = format!("{}/{}::{}", t.api, t.operation, t.scenario);
        if needing.contains(&key) {
            assert_eq!(t.outcome, Verdict::Ignored, "{}", t.name);
            let reason = t.reason.as_deref().unwrap_or("");
            assert!(
                reason.starts_with("doctor: field awa_work_item.rejected"),
                "{reason}"
            );
        } else {
            assert_eq!(t.outcome, Verdict::Passed, "{} {:?}", t.name, t.failures());
        }
    }
}

#[test]
fn a_no_role_account_that_holds_the_role_fails_its_check_on_positive_evidence() {
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let mut target = crate::common::mock_target("http://127.0.0.1:0", true);
    target.norole = Some(Credentials::Basic {
        user: "awa.integration".into(),
        password: "awa.integration".into(),
    });
    let run = Run::prepare(
        inputs,
        Plan::embedded(target, crate::common::mock_with(&[])).with_doctor(true),
    )
    .unwrap();
    let diagnosis = run.diagnosis().unwrap().clone();
    let check = diagnosis
        .checks
        .iter()
        .find(|c| c.id == "role:norole")
        .unwrap();
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert!(check
        .scenarios
        .iter()
        .all(|s| s.contains("without awa_integration_user")));
    drop(run);

    // A main account whose roles cannot be seen (it has none listed) is "could not check",
    // never a failure: the platform hides rows without saying so.
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let mut target = crate::common::mock_target("http://127.0.0.1:0", true);
    target.main = Credentials::Basic {
        user: "no.role".into(),
        password: "no.role".into(),
    };
    let run = Run::prepare(
        inputs,
        Plan::embedded(target, crate::common::mock_with(&[])).with_doctor(true),
    )
    .unwrap();
    let check = run
        .diagnosis()
        .unwrap()
        .checks
        .iter()
        .find(|c| c.id == "role:main")
        .unwrap()
        .clone();
    assert_eq!(check.status, CheckStatus::CouldNotCheck, "{check:?}");
}

#[test]
fn an_unusable_target_stops_the_run_with_exit_3_before_anything_is_created() {
    // Nothing listens: one line, exit 3, fast.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, out, err) = sn_conform(&[
        "run",
        "--base-url",
        &url,
        "--user",
        "u",
        "--password",
        "secret-pw",
        "--report-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        err.contains("cannot reach") && err.contains("nothing was created or changed"),
        "{err}"
    );

    // Credentials refused: the mock sees nothing but the doctor's first GET.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mock = Mock::new(MockOptions::default());
    let running = runtime.block_on(RunningMock::start(mock.clone())).unwrap();
    let (code, _, err) = sn_conform(&[
        "run",
        "--base-url",
        &running.base_url,
        "--user",
        "admin",
        "--password",
        "wrong",
        "--report-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("refuses the main account's credentials"),
        "{err}"
    );
    let methods = mock.requests_by_method();
    assert_eq!(
        methods.keys().collect::<Vec<_>>(),
        vec!["GET"],
        "{methods:?}"
    );
    runtime.block_on(running.stop());
}

#[test]
fn every_pinned_record_is_read_and_a_404_fails_its_check_with_the_scenarios_pinned_to_it() {
    let mock = crate::common::mock_with(&[]);
    let existing = mock
        .store()
        .with(|s| s.find("sys_user", &[]))
        .first()
        .and_then(|r| r.get("sys_id"))
        .and_then(serde_json::Value::as_str)
        .expect("the mock holds users")
        .to_string();
    let missing = "0123456789abcdef0123456789abcdef";
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let mut target = crate::common::mock_target("http://127.0.0.1:0", true);
    target.pins.insert("incident".into(), missing.into());
    target.pins.insert("sys_user".into(), existing.clone());
    let run = Run::prepare(inputs, Plan::embedded(target, mock).with_doctor(true)).unwrap();
    let doctor = run.diagnosis().expect("the doctor ran").clone();
    let _ = run.finish();
    let find = |id: String| {
        doctor
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}: {}", doctor.text(true)))
            .clone()
    };
    let gone = find(format!("pin:incident.{missing}"));
    assert_eq!(gone.status, CheckStatus::Failed, "{}", doctor.text(true));
    assert!(gone.detail.contains("(404)"), "{}", gone.detail);
    assert!(
        gone.scenarios
            .iter()
            .any(|s| s == "awa_inbox_actions/reject::rejects a pending work item"),
        "{:?}",
        gone.scenarios
    );
    let there = find(format!("pin:sys_user.{existing}"));
    assert_eq!(there.status, CheckStatus::Passed, "{}", there.detail);
}

#[test]
fn a_failed_check_whose_scenarios_the_profile_skips_is_shown_and_fails_nothing() {
    use sn_conform::target::profile::{Selector, Skip};
    let mock = crate::common::mock_with(&[Fault::DictionaryMissingField]);
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let mut target = crate::common::mock_target("http://127.0.0.1:0", true);
    target.skips = inputs
        .suite
        .scenarios
        .iter()
        .filter(|s| {
            s.table_fields()
                .get("awa_work_item")
                .is_some_and(|f| f.contains("rejected"))
        })
        .map(|s| Skip {
            selector: Selector::Scenario(s.key()),
            reason: "this instance has no rejected field".into(),
            at: "profile.yaml:9".into(),
        })
        .collect();
    assert!(!target.skips.is_empty());
    let run = Run::prepare(inputs, Plan::embedded(target, mock).with_doctor(true)).unwrap();
    run.run_quietly(8);
    let report = run.finish();
    let doctor = report.doctor.as_ref().expect("the doctor ran");
    assert_eq!(
        doctor.count(CheckStatus::Failed),
        0,
        "{}",
        doctor.text(true)
    );
    assert_eq!(doctor.count(CheckStatus::Skipped), 1);
    let text = doctor.text(false);
    assert!(
        text.contains("skipped") && text.contains("field awa_work_item.rejected"),
        "{text}"
    );
    assert!(text.contains("skipped by the target profile"), "{text}");
    assert_eq!(report.verdict(), Verdict::Passed);
    assert!(report
        .trials
        .iter()
        .filter(|t| t.outcome == Verdict::Ignored)
        .all(|t| t.reason.as_deref().is_some_and(|r| r
            .starts_with("skipped by the target profile")
            || !r.starts_with("doctor:"))));
}
