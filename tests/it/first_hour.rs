//! What a new user meets first: a `--help` without libtest's no-op flags and with every exit
//! status, `run --version`, failures listed first on the terminal and at the top of every
//! report, the run's date and tool version in every report, and a filtered run that says it
//! covers part of the suite (and a `diff` that notices).

use std::process::Command;

use crate::common::process::BIN;

fn sn_conform(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_shows_only_what_does_something_and_every_exit_status() {
    for args in [&["--help"][..], &["run", "--help"]] {
        let (code, out, _) = sn_conform(args);
        assert_eq!(code, Some(0));
        for noise in [
            "--bench",
            "--nocapture",
            "--show-output",
            "--logfile",
            "-Z <",
            "Usefull",
            "Run ignored tests",
        ] {
            assert!(!out.contains(noise), "{args:?} shows {noise:?}");
        }
        for status in [
            "0 every trial",
            "1 a trial failed",
            "2 the specs",
            "3 the target is unusable",
            "130 Ctrl-C",
            "143 SIGTERM",
            "141 stdout closed",
        ] {
            assert!(out.contains(status), "{args:?} lacks {status:?}");
        }
    }
    let (code, out, _) = sn_conform(&["run", "--version"]);
    assert_eq!(code, Some(0));
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
    // A hidden libtest flag is accepted and harmless: --bench still runs the trials.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = sn_conform(&[
        "run",
        "--bench",
        "--nocapture",
        "--no-doctor",
        "--report-dir",
        dir.path().to_str().unwrap(),
        "reject_reasons::unknown channel",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("4 passed"), "{out}");
}

#[test]
fn a_failing_run_shows_its_failures_first_everywhere_with_date_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().to_str().unwrap();
    let (code, out, _) = sn_conform(&[
        "run",
        "--mock-fault",
        "accept-wrong-status",
        "--mock-fault",
        "messages-reworded",
        "--no-doctor",
        "--report-dir",
        reports,
        "awa_inbox_actions/accept",
    ]);
    assert_eq!(code, Some(1), "{out}");
    // The terminal: the failures again after the trial lines, then the verdict with warnings.
    let listing = out
        .find("failures (1 scenario(s), 4 trial(s)):")
        .expect(&out);
    assert!(
        out.rfind("test awa_inbox_actions/accept::").unwrap() < listing,
        "{out}"
    );
    assert!(
        out[listing..]
            .contains("awa_inbox_actions/accept::accepts a pending work item (all 4 variants)"),
        "{out}"
    );
    assert!(
        out[listing..].contains("status: expected 200, got 201"),
        "{out}"
    );
    let summary = out
        .lines()
        .find(|l| l.starts_with("sn-conform: FAILED:"))
        .expect(&out);
    assert!(
        summary.contains("4 failed") && summary.contains(" warned of "),
        "{summary}"
    );
    assert!(
        !summary.contains(" 0 warned"),
        "the reworded messages warn: {summary}"
    );
    let note = regex::Regex::new(r"note: a filtered run: the reports cover (\d+) of the suite's (\d+) trials \(filter `awa_inbox_actions/accept`\)").unwrap();
    let counts = note.captures(&out).expect(&out);
    assert!(counts[1].parse::<u32>().unwrap() < counts[2].parse::<u32>().unwrap());

    let iso = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    let version = format!("sn-conform {}", env!("CARGO_PKG_VERSION"));
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let md = read("summary.md");
    assert!(md.starts_with("# sn-conform: FAILED: "), "{md}");
    assert!(md.contains(&version) && iso.is_match(&md[..300]), "{md}");
    assert!(md.find("## Failures").unwrap() < md.find("## awa_inbox_actions").unwrap());
    let html = read("report.html");
    let banner = html
        .find("<header class=\"FAILED\">")
        .expect("a verdict banner");
    let failures = html.find("<h2>Failures</h2>").expect("a failures list");
    assert!(banner < failures && failures < html.find("<h2>Trials</h2>").unwrap());
    assert!(html.contains(&version) && iso.is_match(&html));
    // The coverage matrix, as summary.md has it: the broken case shows failed.
    assert!(html.contains("<h2>Coverage: "));
    assert!(
        html.contains("<span class=\"chip failed\" title=\"200 "),
        "the accepted case is coloured failed"
    );
    let json: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    assert!(iso.is_match(json["date"].as_str().unwrap()));
    assert!(json["started_at"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(json["selection"]["filtered"], true);
    let junit = read("junit.xml");
    assert!(
        junit.contains("timestamp=\"") && junit.contains(&version),
        "{junit}"
    );
}

#[test]
fn diff_says_when_two_reports_ran_different_selections() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for (reports, filter) in [
        (&a, "reject_reasons::unknown channel"),
        (&b, "reject_reasons::no credentials"),
    ] {
        let (code, out, _) = sn_conform(&[
            "run",
            "--no-doctor",
            "--report-dir",
            reports.to_str().unwrap(),
            filter,
        ]);
        assert_eq!(code, Some(0), "{out}");
    }
    let (code, out, _) = sn_conform(&[
        "diff",
        a.join("report.json").to_str().unwrap(),
        b.join("report.json").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("\nnote: the two reports did not run the same selection"),
        "{out}"
    );
    assert!(
        out.contains("(filter `reject_reasons::unknown channel`)"),
        "{out}"
    );
    let (_, same, _) = sn_conform(&[
        "diff",
        a.join("report.json").to_str().unwrap(),
        a.join("report.json").to_str().unwrap(),
    ]);
    assert!(!same.contains("note:"), "{same}");
}
