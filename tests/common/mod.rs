//! Helpers shared by the integration tests: run the suite in-process against a mock.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sn_conform::mock::{Fault, Mock, MockOptions, RunningMock};
use sn_conform::report::TrialResult;
use sn_conform::runner::{self, Credentials, RunContext, Target};
use sn_conform::schema_set::SchemaSet;
use sn_conform::spec::Suite;

/// The suite and schemas of this repository.
pub fn load() -> (Suite, SchemaSet) {
    let inputs = sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref()))
        .unwrap_or_else(|e| panic!("the repository's specs must load:\n{e}"));
    (inputs.suite, inputs.schemas)
}

/// A target for a mock at `base_url` with the built-in accounts.
pub fn mock_target(base_url: &str, with_norole: bool) -> Target {
    Target {
        base_url: base_url.to_string(),
        main: Credentials::Basic {
            user: "admin".into(),
            password: "admin".into(),
        },
        norole: with_norole.then(|| Credentials::Basic {
            user: "no.role".into(),
            password: "no.role".into(),
        }),
        allow_config_changes: true,
        timeout: Duration::from_secs(10),
        strict: false,
        kind: "embedded mock",
        pins: Default::default(),
    }
}

/// Runs the whole suite against a fresh mock with `faults` switched on.
pub fn run_against_mock(faults: &[Fault], with_norole: bool) -> Vec<TrialResult> {
    run_against_mock_with(faults, with_norole, false)
}

/// [`run_against_mock`], with `should` checks failing trials when `strict`.
pub fn run_against_mock_with(
    faults: &[Fault],
    with_norole: bool,
    strict: bool,
) -> Vec<TrialResult> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mock = Mock::new(MockOptions {
        faults: faults.iter().copied().collect(),
        ..MockOptions::default()
    });
    let running = runtime
        .block_on(RunningMock::start(mock))
        .expect("the mock binds a loopback port");
    let (suite, schemas) = load();
    let mut target = mock_target(&running.base_url, with_norole);
    target.strict = strict;
    let ctx = Arc::new(RunContext::new(target, schemas, runtime.handle().clone()).expect("client"));
    let results = runner::run_all(&ctx, &suite, 8);
    runtime.block_on(running.stop());
    results
}
