//! Helpers shared by the integration tests: run the suite in-process against a mock.

pub mod process;

use std::time::Duration;

use sn_conform::mock::{Fault, Mock, MockOptions};
use sn_conform::report::{RunReport, TrialResult};
use sn_conform::runner::{Plan, Run};
use sn_conform::schemas::SchemaSet;
use sn_conform::spec::Suite;
use sn_conform::target::Target;

/// The suite and schemas of this repository.
pub fn load() -> (Suite, SchemaSet) {
    let inputs = sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref()))
        .unwrap_or_else(|e| panic!("the repository's specs must load:\n{e}"));
    (inputs.suite, inputs.schemas)
}

/// A target for a mock at `base_url` with the built-in accounts.
pub fn mock_target(base_url: &str, with_norole: bool) -> Target {
    let mut target = Target::mock(base_url, Duration::from_secs(10), false);
    if !with_norole {
        target.norole = None;
    }
    target
}

/// Copies a directory tree, for tests that change a copy of `specs/` or `schemas/`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The mock's default options, its admin account's password set to `password`.
pub fn admin_password(password: &str) -> MockOptions {
    let defaults = MockOptions::default();
    MockOptions {
        accounts: defaults
            .accounts
            .iter()
            .cloned()
            .map(|mut a| {
                if a.user_name == "admin" {
                    a.password = password.into();
                }
                a
            })
            .collect(),
        ..defaults
    }
}

/// Runs the whole suite against a fresh mock with `faults` switched on.
pub fn run_against_mock(faults: &[Fault], with_norole: bool) -> Vec<TrialResult> {
    run_with(faults, |target| {
        if !with_norole {
            target.norole = None;
        }
    })
}

/// Runs the whole suite against a fresh mock with `faults`, the target first changed by
/// `adjust` (to drop an account, forbid config changes, turn on `--strict`, ...).
pub fn run_with(faults: &[Fault], adjust: impl FnOnce(&mut Target)) -> Vec<TrialResult> {
    run_on(mock_with(faults), adjust)
}

/// A mock with `faults`, whose OAuth tokens live one second (so that the expired-token
/// scenario runs without a long wait).
pub fn mock_with(faults: &[Fault]) -> Mock {
    Mock::new(MockOptions {
        faults: faults.iter().copied().collect(),
        token_lifetime: Duration::from_secs(1),
        ..MockOptions::default()
    })
}

/// Runs the whole suite against `mock` (a handle the caller keeps, to look at its tables),
/// through the same run object `sn-conform run` uses.
pub fn run_on(mock: Mock, adjust: impl FnOnce(&mut Target)) -> Vec<TrialResult> {
    run_report(mock, adjust).trials
}

/// Like [`run_on`], the whole report.
pub fn run_report(mock: Mock, adjust: impl FnOnce(&mut Target)) -> RunReport {
    let inputs = sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref()))
        .unwrap_or_else(|e| panic!("the repository's specs must load:\n{e}"));
    let mut target = mock_target("http://127.0.0.1:0", true);
    adjust(&mut target);
    let run = Run::prepare(inputs, Plan::embedded(target, mock)).expect("the run starts");
    run.run_quietly(8);
    run.finish()
}

/// The whole report of a run against `mock` that retries a failed trial up to `retries` times.
pub fn run_report_with_retries(mock: Mock, retries: usize) -> RunReport {
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let target = mock_target("http://127.0.0.1:0", true);
    let run = Run::prepare(inputs, Plan::embedded(target, mock).with_retries(retries)).unwrap();
    run.run_quietly(4);
    run.finish()
}

/// Inserts `body` into `table` of the instance at `base` through the Table API as `admin`
/// (the mock's default account); the answer's body.
pub fn insert(
    runtime: &tokio::runtime::Runtime,
    base: &str,
    table: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/api/now/table/{table}"))
            .basic_auth("admin", Some("admin"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

/// How many records each table of the mock holds, to see that a run left nothing behind.
pub fn record_counts(mock: &Mock) -> Vec<(String, usize)> {
    mock.options()
        .dictionary
        .table_names()
        .into_iter()
        .map(|t| (t.to_string(), mock.store().with(|s| s.find(t, &[]).len())))
        .collect()
}

/// Every table of the mock as the set of its sys_ids, and the value of glide.awa.enabled.
pub fn dump(
    base: &str,
) -> (
    std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    String,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut tables = std::collections::BTreeMap::new();
        let mut awa = String::new();
        for table in sn_conform::mock::Dictionary::built_in().table_names() {
            let body: serde_json::Value = client
                .get(format!("{base}/api/now/table/{table}"))
                .basic_auth("admin", Some("admin"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let mut ids = std::collections::BTreeSet::new();
            for record in body["result"].as_array().unwrap() {
                ids.insert(record["sys_id"].as_str().unwrap().to_string());
                if record["name"] == "glide.awa.enabled" {
                    awa = record["value"].as_str().unwrap().to_string();
                }
            }
            tables.insert(table.to_string(), ids);
        }
        (tables, awa)
    })
}

/// A multi-thread tokio runtime with `workers` workers and every driver, for the tests that
/// serve a mock (or a misbehaving server) in process.
pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}
