//! The clean-up ledger against a served mock: a run killed with SIGKILL mid-way is undone by
//! `sn-conform cleanup` on its ledger (the mock's tables end exactly as they were), a second
//! cleanup finds nothing to do, and a run stopped with SIGTERM cleans up by itself.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::dump;
use crate::common::process::{MockProcess, BIN};

fn start_run(url: &str, reports: &Path, filter: Option<&str>) -> Child {
    let mut command = Command::new(BIN);
    command
        .args([
            "run",
            "--base-url",
            url,
            "--user",
            "admin",
            "--password",
            "admin",
        ])
        .args(["--norole-user", "no.role", "--norole-password", "no.role"])
        .args([
            "--report-dir",
            reports.to_str().unwrap(),
            "-q",
            "--no-doctor",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(filter) = filter {
        command.arg(filter);
    }
    command.spawn().unwrap()
}

/// Waits until the ledger holds `n` lines with `event` (at most 60 s).
fn wait_for(ledger: &Path, event: &str, n: usize) {
    let needle = format!("\"event\":\"{event}\"");
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let text = std::fs::read_to_string(ledger).unwrap_or_default();
        if text.matches(&needle).count() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the ledger never held {n} {event} entries");
}

fn cleanup(ledger: &Path) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(["cleanup", ledger.to_str().unwrap(), "--user", "admin"])
        .env("SN_PASSWORD", "admin")
        .env_remove("SN_BASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_run_killed_with_sigkill_is_undone_by_cleanup_on_its_ledger() {
    // Slow answers, so that the kill lands while records (then a changed setting) are in
    // place. The ledger names a change before its request is sent, so the kill waits for
    // that request to land (less than one more answer).
    for (latency, filter, event, n, settle) in [
        ("20", None, "created", 25, 60),
        ("200", Some("AWA disabled"), "changed", 1, 320),
    ] {
        let mock = MockProcess::start(&["--latency", latency]);
        let before = dump(&mock.url);
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.jsonl");
        let mut run = start_run(&mock.url, dir.path(), filter);
        wait_for(&ledger, event, n);
        std::thread::sleep(Duration::from_millis(settle));
        run.kill().unwrap(); // SIGKILL: no teardown, no sweep
        run.wait().unwrap();
        let killed = dump(&mock.url);
        assert_ne!(
            killed, before,
            "the kill left nothing to clean up; the test proves nothing"
        );

        // The next run sees the ledger before anything else, stops, and names the command.
        let next = Command::new(BIN)
            .args(["run", "--base-url", &mock.url, "--user", "admin"])
            .args(["--password", "admin", "--report-dir"])
            .arg(dir.path())
            .env_remove("SN_BASE_URL")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&next.stderr);
        assert_eq!(next.status.code(), Some(3), "{said}");
        let command = format!("run `sn-conform cleanup {}` first", ledger.display());
        assert_eq!(said.trim().lines().count(), 1, "{said}");
        assert!(said.trim().ends_with(&command), "{said}");
        assert_eq!(dump(&mock.url), killed, "the stopped run changed the mock");
        // The doctor reads the same ledger: a setting left changed names the command too.
        let doctor = Command::new(BIN)
            .args(["doctor", "--base-url", &mock.url, "--user", "admin"])
            .args(["--password", "admin", "--report-dir"])
            .arg(dir.path())
            .env_remove("SN_BASE_URL")
            .output()
            .unwrap();
        let told = String::from_utf8_lossy(&doctor.stdout);
        let warned = String::from_utf8_lossy(&doctor.stderr);
        assert!(warned.contains(&command), "{warned}");
        if event == "changed" {
            assert!(
                told.contains(&format!(
                    "a run that was stopped left it changed: run `sn-conform cleanup {}`",
                    ledger.display()
                )),
                "{told}"
            );
        }

        let (code, out, err) = cleanup(&ledger);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("deleted ") || out.contains("restored "),
            "{out}"
        );
        assert_eq!(
            dump(&mock.url),
            before,
            "cleanup left the mock changed:\n{out}"
        );

        // Idempotent: a second cleanup finds nothing to do and changes nothing.
        let (code, out, err) = cleanup(&ledger);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("nothing to clean up"), "{out}");
        assert_eq!(dump(&mock.url), before);
    }
}

#[cfg(unix)]
#[test]
fn a_run_stopped_with_sigterm_deletes_what_it_created_and_exits_143() {
    let mock = MockProcess::start(&["--latency", "20"]);
    let before = dump(&mock.url);
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let mut run = start_run(&mock.url, dir.path(), None);
    wait_for(&ledger, "created", 25);
    let status = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = run.wait().unwrap().code();
    assert_eq!(code, Some(143));
    assert_eq!(dump(&mock.url), before, "SIGTERM left records behind");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["records"]["left"], 0, "{}", report["records"]);
    assert!(report["records"]["created"].as_u64().unwrap() >= 25);
    let (_, out, _) = cleanup(&ledger);
    assert!(out.contains("nothing to clean up"), "{out}");
}
