//! The whole suite against the embedded mock: it passes when the mock is faithful, and each
//! single fault of the mock makes at least one scenario fail.

use sn_conform::mock::Fault;
use sn_conform::mock::{Mock, MockOptions};
use sn_conform::report::coverage::Matrix;
use sn_conform::report::{RunReport, Verdict};

#[test]
fn the_suite_passes_against_the_faithful_mock() {
    let results = crate::common::run_against_mock(&[], true);
    assert!(results.len() > 100, "only {} trials ran", results.len());
    let bad: Vec<String> = results
        .iter()
        .filter(|r| r.outcome != Verdict::Passed || !r.warnings().is_empty())
        .map(|r| {
            format!(
                "{} {:?}: {:?} {:?}",
                r.name,
                r.outcome,
                r.failures(),
                r.warnings()
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "trials that did not pass cleanly:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_single_fault_fails_at_least_one_scenario() {
    let faults: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| !f.is_should_level() && !f.is_metadata_only() && !f.is_drift_only())
        .collect();
    // Each fault's run mostly waits (on the expired token above all): a few at a time.
    let missed: Vec<String> = faults
        .chunks(4)
        .flat_map(|chunk| {
            std::thread::scope(|scope| {
                let runs: Vec<_> = chunk
                    .iter()
                    .map(|fault| scope.spawn(move || fault_missed(*fault)))
                    .collect();
                runs.into_iter()
                    .map(|run| run.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect();
    assert!(Fault::ALL.len() >= 12, "at least 12 faults are required");
    assert!(
        missed.is_empty(),
        "faults no scenario noticed:\n{}",
        missed.join("\n")
    );
}

/// Runs the suite against a mock with `fault`: the fault's description when no trial failed;
/// panics when the run broke instead of failing, left records behind, or failed without
/// saying where.
fn fault_missed(fault: Fault) -> Option<String> {
    let mock = crate::common::mock_with(&[fault]);
    let before = crate::common::record_counts(&mock);
    let results = crate::common::run_on(mock.clone(), |_| {});
    // A deviating instance must not make the harness leave records behind.
    assert_eq!(
        crate::common::record_counts(&mock),
        before,
        "{fault}: records were left behind"
    );
    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.outcome == Verdict::Failed)
        .collect();
    let errors: Vec<_> = results
        .iter()
        .filter(|r| r.outcome == Verdict::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "fault {fault} made exchanges break instead of fail: {:?}",
        errors.iter().map(|e| e.failures()).collect::<Vec<_>>()
    );
    let Some(first) = failed.first() else {
        return Some(format!("{fault} ({})", fault.description()));
    };
    // A failure must say what differed, where.
    let message = &first.failures()[0];
    assert!(
        message.contains(".yaml:"),
        "{fault}: message lacks file:line: {message}"
    );
    None
}

#[test]
fn without_the_norole_account_its_scenarios_are_ignored_with_the_reason() {
    let results = crate::common::run_against_mock(&[], false);
    let ignored: Vec<_> = results
        .iter()
        .filter(|r| r.outcome == Verdict::Ignored)
        .collect();
    assert!(!ignored.is_empty());
    for r in &ignored {
        assert!(
            r.name.contains("without awa_integration_user"),
            "{} was ignored",
            r.name
        );
        assert!(
            r.reason.as_deref().unwrap_or("").contains("--norole-user"),
            "{:?}",
            r.reason
        );
    }
    assert!(results.iter().all(|r| r.outcome != Verdict::Failed));
}

#[test]
fn the_json_report_matches_its_schema_and_redacts_credentials() {
    let results = crate::common::run_against_mock(&[], false);
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let coverage = Matrix::build(&inputs.catalogue, &inputs.suite, Some(&results));
    let report = RunReport::new(
        "http://127.0.0.1:1".into(),
        sn_conform::report::TargetKind::EmbeddedMock,
        0,
        1.0,
        false,
        results,
    )
    .with_coverage(coverage);
    let json: serde_json::Value =
        serde_json::from_str(&sn_conform::report::to_json(&report)).unwrap();
    let (_, schemas) = crate::common::load();
    let violations = schemas.check("report.schema.json", &json);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(
        json["summary"]["total"],
        json["trials"].as_array().unwrap().len()
    );
    let text = json.to_string();
    // base64("admin:admin")
    assert!(
        !text.contains("YWRtaW46YWRtaW4="),
        "a Basic credential leaked into the report"
    );
    // Without the no-role account its cases are reported as ignored, the rest as passed.
    let cases: Vec<&serde_json::Value> = json["coverage"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["cases"].as_array().unwrap())
        .collect();
    assert_eq!(
        cases.len() as u64,
        json["coverage"]["cases_total"].as_u64().unwrap()
    );
    for case in cases {
        let expected = if case["id"] == "no_role" {
            "ignored"
        } else {
            "passed"
        };
        assert_eq!(case["run"]["verdict"], expected, "{case}");
    }
    assert!(text.contains("[redacted]"));
    // The trials are in name order.
    let names: Vec<&str> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn should_level_deviations_warn_and_fail_only_under_strict() {
    for fault in Fault::ALL.iter().filter(|f| f.is_should_level()) {
        let lenient = crate::common::run_against_mock(&[*fault], true);
        assert!(
            lenient.iter().all(|r| r.outcome == Verdict::Passed),
            "{fault}: a wording change failed a trial without --strict"
        );
        let warned = lenient.iter().filter(|r| !r.warnings().is_empty()).count();
        assert!(warned > 0, "{fault}: no warning at all");
        let message = &lenient
            .iter()
            .find(|r| !r.warnings().is_empty())
            .unwrap()
            .warnings()[0];
        let expected = match fault {
            Fault::MessagesReworded => "$.error.",
            Fault::JsonCharsetLatin1 => "charset=ISO-8859-1",
            Fault::UnauthenticatedWithoutChallenge => "www-authenticate",
            Fault::MethodNotAllowedWithoutAllow => "allow",
            _ => "",
        };
        assert!(message.contains(expected), "{fault}: {message}");

        let strict = crate::common::run_with(&[*fault], |target| target.strict = true);
        let failed = strict
            .iter()
            .filter(|r| r.outcome == Verdict::Failed)
            .count();
        assert_eq!(
            failed, warned,
            "{fault}: under --strict every warned trial fails"
        );
    }
}

#[test]
fn without_permission_config_change_scenarios_are_ignored_with_the_reason() {
    let results = crate::common::run_with(&[], |target| target.allow_config_changes = false);
    let ignored: Vec<_> = results
        .iter()
        .filter(|r| r.outcome == Verdict::Ignored)
        .collect();
    assert_eq!(
        ignored.len(),
        12,
        "{:?}",
        ignored.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    for r in ignored {
        assert!(r.name.contains("::AWA disabled["), "{}", r.name);
        assert!(r
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("--allow-config-changes"));
        // Nothing was sent for an ignored trial.
        assert!(r.exchanges.is_empty());
    }
}

#[test]
fn the_suite_passes_as_the_awa_integration_account() {
    // Not only admin: an account holding just awa_integration_user is let through.
    let results = crate::common::run_with(&[], |target| {
        target.main = sn_conform::target::Credentials::Basic {
            user: "awa.integration".into(),
            password: "awa.integration".into(),
        };
    });
    let bad: Vec<_> = results
        .iter()
        .filter(|r| r.outcome != Verdict::Passed)
        .map(|r| format!("{}: {:?}", r.name, r.failures()))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn fixtures_and_created_records_are_deleted_whatever_happened() {
    // A faithful run, and one where many steps fail half-way (fixtures made, later checks failing).
    for faults in [
        vec![],
        vec![
            Fault::AcceptWrongStatus,
            Fault::DropKeepsActive,
            Fault::InteractionIgnoresQueue,
        ],
    ] {
        let mock = Mock::new(MockOptions {
            faults: faults.iter().copied().collect(),
            ..MockOptions::default()
        });
        let before = crate::common::record_counts(&mock);
        let results = crate::common::run_on(mock.clone(), |_| {});
        assert_eq!(results.len(), 316);
        assert_eq!(
            crate::common::record_counts(&mock),
            before,
            "records were left behind (faults {faults:?})"
        );
        // The property the AWA-disabled scenarios changed is back to true.
        let value = mock.store().with(|s| {
            s.find(
                "sys_properties",
                &[("name".into(), "glide.awa.enabled".into())],
            )[0]["value"]
                .clone()
        });
        assert_eq!(value, "true");
        assert!(
            results.iter().all(|r| r.warnings().is_empty()),
            "cleanup problems were reported"
        );
    }
}

#[test]
fn the_trials_that_change_settings_run_in_one_exclusive_phase() {
    let mock = crate::common::mock_with(&[]);
    let results = crate::common::run_on(mock.clone(), |_| {});
    // Every change of the property, over the whole run: set once, restored once.
    let mut changes: Vec<_> = results
        .iter()
        .flat_map(|r| r.exchanges.iter().map(move |x| (r, x)))
        .filter(|(_, x)| x.method == "PATCH" && x.url.contains("/table/sys_properties/"))
        .collect();
    changes.sort_by(|a, b| a.1.started_at_ms.total_cmp(&b.1.started_at_ms));
    assert_eq!(
        changes.len(),
        2,
        "the property is changed once and put back once: {:?}",
        changes
            .iter()
            .map(|(r, x)| format!("{} {}", r.name, x.origin))
            .collect::<Vec<_>>()
    );
    assert!(matches!(
        changes[0].1.origin,
        sn_conform::report::Origin::Setting { .. }
    ));
    assert!(matches!(
        changes[1].1.origin,
        sn_conform::report::Origin::Restore { .. }
    ));
    let in_phase: Vec<_> = results
        .iter()
        .filter(|r| r.name.contains("::AWA disabled["))
        .collect();
    assert_eq!(in_phase.len(), 12);
    // The phase: from its first exchange (reading the property) to its last (putting it
    // back), which are the phase's own.
    let exchanges = || in_phase.iter().flat_map(|r| r.exchanges.iter());
    let start = exchanges()
        .map(|x| x.started_at_ms)
        .fold(f64::INFINITY, f64::min);
    let end = exchanges()
        .map(|x| x.started_at_ms + x.duration_ms)
        .fold(0.0, f64::max);
    assert_eq!(changes[1].1.started_at_ms + changes[1].1.duration_ms, end);
    for trial in &in_phase {
        assert_eq!(trial.outcome, Verdict::Passed, "{}", trial.name);
        // The property was off before the trial's operation was asked.
        let set = changes[0].1.started_at_ms + changes[0].1.duration_ms;
        assert!(trial
            .exchanges
            .iter()
            .filter(|x| x.url.contains("/awa/inbox/actions/"))
            .all(|x| x.started_at_ms >= set));
    }
    // The phase's trials ran side by side: the phase is shorter than its trials one after
    // another would be (each waits on its own requests; none waits for another).
    let serial: f64 = in_phase.iter().map(|r| r.duration_ms).sum();
    assert!(
        end - start < serial,
        "phase {}ms, trials {serial}ms",
        end - start
    );
    for other in results
        .iter()
        .filter(|r| !r.name.contains("::AWA disabled["))
    {
        for x in &other.exchanges {
            let overlaps = x.started_at_ms < end && x.started_at_ms + x.duration_ms > start;
            assert!(
                !overlaps,
                "{} sent {} {} during the exclusive phase",
                other.name, x.method, x.url
            );
        }
    }
    let value = mock.store().with(|s| {
        s.find(
            "sys_properties",
            &[("name".into(), "glide.awa.enabled".into())],
        )[0]["value"]
            .clone()
    });
    assert_eq!(value, "true");
}
