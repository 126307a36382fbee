//! A run that cannot succeed stops before it creates anything, with one line that says what
//! to do and a distinct exit status: 3 when the target is unusable, 2 when an option is wrong.
//! The mock counts what reached it: at most the pre-run check's GETs, never a fixture.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::process::BIN;
use sn_conform::mock::{Mock, MockOptions, RunningMock};

/// Runs `sn-conform run ARGS` against a fresh in-process mock ({url} in ARGS is its base URL);
/// returns the exit code, stderr, the time taken and the mock's request counts.
fn against_mock(args: &[&str]) -> (Option<i32>, String, Duration, Vec<String>) {
    let runtime = crate::common::runtime(1);
    let mock = Mock::new(MockOptions::default());
    let running = runtime.block_on(RunningMock::start(mock.clone())).unwrap();
    let reports = tempfile::tempdir().unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("{url}", &running.base_url)
                .replace("{reports}", reports.path().to_str().unwrap())
        })
        .collect();
    let started = Instant::now();
    let out = Command::new(BIN)
        .arg("run")
        .args(&args)
        .env_remove("SN_BASE_URL")
        .output()
        .unwrap();
    let took = started.elapsed();
    runtime.block_on(running.stop());
    let seen = mock
        .requests_by_method()
        .into_iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
        seen,
    )
}

const ACCOUNTS: [&str; 4] = ["--user", "admin", "--password", "admin"];

#[test]
fn each_mistake_ends_fast_in_one_line_with_its_own_exit_status_and_creates_nothing() {
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        // Credentials refused, main and no-role account.
        (
            vec![
                "--base-url",
                "{url}",
                "--user",
                "admin",
                "--password",
                "wrong",
            ],
            3,
            "refuses the main account's credentials",
        ),
        (
            [
                &["--base-url", "{url}"][..],
                &ACCOUNTS,
                &["--norole-user", "no.role", "--norole-password", "wrong"],
            ]
            .concat(),
            3,
            "refuses the credentials of no.role",
        ),
        // A base URL that is not the instance's root, or has no scheme.
        (
            [&["--base-url", "{url}/api/now"][..], &ACCOUNTS].concat(),
            2,
            "drop /api/now from --base-url",
        ),
        (
            [&["--base-url", "127.0.0.1:9"][..], &ACCOUNTS].concat(),
            2,
            "add https://",
        ),
        // A report directory that cannot be written, and a zero timeout.
        (
            [
                &["--base-url", "{url}", "--report-dir", "/proc/sn-conform/x"][..],
                &ACCOUNTS,
            ]
            .concat(),
            2,
            "cannot write the report directory /proc/sn-conform/x",
        ),
        (
            [&["--base-url", "{url}", "--timeout", "0"][..], &ACCOUNTS].concat(),
            2,
            "--timeout must be at least 1 second",
        ),
        // Nothing listening, and a host name that does not resolve.
        (
            [&["--base-url", "http://127.0.0.1:9"][..], &ACCOUNTS].concat(),
            3,
            "could not connect",
        ),
        (
            [
                &["--base-url", "https://nonexistent.invalid"][..],
                &ACCOUNTS,
            ]
            .concat(),
            3,
            "cannot resolve the host name (DNS)",
        ),
    ];
    for (args, code, line) in cases {
        let mut args = args.clone();
        if !args.contains(&"--report-dir") {
            args.extend(["--report-dir", "{reports}"]);
        }
        let (got, err, took, seen) = against_mock(&args);
        assert_eq!(got, Some(code), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got:\n{err}");
        assert!(lines[0].contains(line), "{args:?}: {err}");
        assert!(took < Duration::from_secs(2), "{args:?} took {took:?}");
        // At most the pre-run check's reads reached the target; never a fixture.
        assert!(
            seen.iter().all(|s| s.starts_with("GET ")),
            "{args:?} sent {seen:?}"
        );
    }
}
