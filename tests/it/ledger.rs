//! The clean-up ledger against a served mock: a run killed with SIGKILL mid-way is undone by
//! `sn-conform cleanup` on its ledger (the mock's tables end exactly as they were), a second
//! cleanup finds nothing to do, and a run stopped with SIGTERM cleans up by itself. A ledger
//! that lists an interaction but not what the instance made with it (a run killed in
//! between) is swept whole, newest first, in Batch API requests.

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

#[test]
fn cleanup_learns_what_the_instance_made_and_deletes_newest_first_in_batches() {
    // A run killed between inserting an interaction and learning what the instance made with
    // it: the ledger lists the interaction (and a user made before it), not its documents.
    let runtime = crate::common::runtime(2);
    let mock = sn_conform::mock::Mock::new(Default::default());
    let before = crate::common::record_counts(&mock);
    let running = runtime
        .block_on(sn_conform::mock::RunningMock::start(mock.clone()))
        .unwrap();
    let insert = |table: &str, body: serde_json::Value| -> String {
        let answer = crate::common::insert(&runtime, &running.base_url, table, body);
        answer["result"]["sys_id"].as_str().unwrap().to_string()
    };
    let user = insert("sys_user", serde_json::json!({"user_name": "swept.agent"}));
    let interaction = insert("interaction", serde_json::json!({"state": "new"}));
    assert_ne!(crate::common::record_counts(&mock), before);
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let line = |table: &str, sys_id: &str| {
        format!(
            r#"{{"event":"created","table":"{table}","sys_id":"{sys_id}","scenario":"","trial":"a/b::killed","at":"1796598841.684"}}"#
        )
    };
    std::fs::write(
        &ledger,
        format!(
            "{}\n{}\n{}\n",
            format_args!(
                r#"{{"event":"run","base_url":"{}","run_id":"killed","tool":"sn-conform test","at":"1796598840.952"}}"#,
                running.base_url
            ),
            line("sys_user", &user),
            line("interaction", &interaction)
        ),
    )
    .unwrap();
    let target = crate::common::mock_target(&running.base_url, false);
    let (sweep, _) = sn_conform::runner::cleanup(target, &ledger).unwrap();
    assert!(sweep.problems.is_empty(), "{:?}", sweep.problems);
    assert_eq!(sweep.deleted.len(), 4, "{:?}", sweep.deleted);
    assert_eq!(
        crate::common::record_counts(&mock),
        before,
        "cleanup left records behind"
    );
    // Newest first, each record before what the instance made with it; all in one batch.
    let deletes: Vec<(&str, Option<&str>)> = sweep
        .exchanges
        .iter()
        .filter(|x| x.method == "DELETE")
        .map(|x| (x.url.as_str(), x.batch.as_deref()))
        .collect();
    let tables: Vec<&str> = deletes
        .iter()
        .map(|(url, _)| url.split('/').rev().nth(1).unwrap())
        .collect();
    assert_eq!(
        tables,
        [
            "interaction",
            "interaction_json_blob",
            "live_group_profile",
            "sys_user"
        ]
    );
    assert!(deletes[0].1.is_some(), "{deletes:?}");
    assert!(
        deletes.iter().all(|(_, b)| *b == deletes[0].1),
        "{deletes:?}"
    );
    runtime.block_on(running.stop());
}
