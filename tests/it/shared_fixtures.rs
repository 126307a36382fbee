//! Records shared by the run: fixtures no step changes are created once and used by every
//! trial that needs the same record, and they are deleted at the end of the run (also when
//! the run is stopped by Ctrl-C) through the ledger, so nothing is left behind.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::process::{MockProcess, BIN};
use sn_conform::report::Verdict;
use sn_conform::runner::{Entry, Plan, Run};

/// The sys_ids of the records the run created as shared fixtures (from the exchanges that
/// inserted them), with their table.
fn shared_records(report: &sn_conform::report::RunReport) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for trial in &report.trials {
        for x in &trial.exchanges {
            if x.method == "POST" && x.origin.to_string().starts_with("shared fixture") {
                let body: serde_json::Value =
                    serde_json::from_str(x.request_body.as_deref().unwrap_or("{}")).unwrap();
                let table = x.url.split("/table/").nth(1).unwrap().split('?').next();
                out.insert(
                    body["sys_id"].as_str().unwrap().to_string(),
                    table.unwrap().to_string(),
                );
            }
        }
    }
    out
}

#[test]
fn shared_fixtures_serve_many_trials_and_are_deleted_at_the_end_of_the_run() {
    let mock = crate::common::mock_with(&[]);
    let before = crate::common::record_counts(&mock);
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let target = crate::common::mock_target("http://127.0.0.1:0", true);
    let run = Run::prepare(
        inputs,
        Plan::embedded(target, mock.clone()).with_ledger(ledger.clone()),
    )
    .unwrap();
    run.run_quietly(8);
    let report = run.finish();
    assert!(report.trials.iter().all(|t| t.outcome == Verdict::Passed));

    let shared = shared_records(&report);
    assert!(
        shared.len() >= 10,
        "the run shares its unchanged fixtures: {shared:?}"
    );
    // Each shared record is used by several trials: its sys_id is in the requests of more
    // than one trial.
    let mut users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for trial in &report.trials {
        for x in &trial.exchanges {
            let sent = format!("{} {}", x.url, x.request_body.as_deref().unwrap_or(""));
            for id in shared.keys().filter(|id| sent.contains(id.as_str())) {
                users.entry(id).or_default().insert(&trial.name);
            }
        }
    }
    let widely_used = users.values().filter(|t| t.len() >= 4).count();
    assert!(
        widely_used * 2 >= shared.len(),
        "most shared records serve four trials or more: {users:?}"
    );
    // No trial deletes a shared record: the end of the run does, and the ledger says so.
    for trial in &report.trials {
        for x in trial.exchanges.iter().filter(|x| x.method == "DELETE") {
            assert!(
                !shared.keys().any(|id| x.url.contains(id.as_str())),
                "{} deleted a shared record: {}",
                trial.name,
                x.url
            );
        }
    }
    let (_, entries) = sn_conform::runner::Ledger::open(&ledger).unwrap();
    let deleted: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Deleted { sys_id, .. } => Some(sys_id.as_str()),
            _ => None,
        })
        .collect();
    for (id, table) in &shared {
        assert!(deleted.contains(id.as_str()), "{table}/{id} never deleted");
        assert!(
            mock.store().with(|s| s.get(table, id).is_none()),
            "{table}/{id} still exists"
        );
    }
    assert_eq!(
        crate::common::record_counts(&mock),
        before,
        "records were left"
    );
    assert_eq!(report.records.left, 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_still_deletes_the_shared_fixtures() {
    // Slow answers, so that the interrupt lands while shared records exist and trials that
    // use them are in flight.
    let mock = MockProcess::start(&["--latency", "20"]);
    let before = crate::common::dump(&mock.url);
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let mut run = Command::new(BIN)
        .args(["run", "--base-url", &mock.url, "--user", "admin"])
        .args(["--password", "admin", "--no-doctor", "-q"])
        .args(["--report-dir", dir.path().to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until records were created and deleted (trials finished while shared records
    // still exist), then interrupt.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&ledger).unwrap_or_default();
        if text.matches("\"event\":\"deleted\"").count() >= 20 {
            break;
        }
        assert!(Instant::now() < until, "the run never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    let during = crate::common::dump(&mock.url);
    assert_ne!(during, before, "nothing existed when interrupted");
    let status = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(run.wait().unwrap().code(), Some(130));
    assert_eq!(
        crate::common::dump(&mock.url),
        before,
        "Ctrl-C left records behind"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["records"]["left"], 0, "{}", report["records"]);
    let shared_made = report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["exchanges"].as_array().unwrap())
        .filter(|x| {
            x["method"] == "POST" && x["during"].as_str().unwrap().starts_with("shared fixture")
        })
        .count();
    assert!(
        shared_made > 0,
        "the interrupted run had made no shared record"
    );
}
