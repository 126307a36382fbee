//! The runner: one tokio runtime, one HTTP client and one collector for the whole run, and a
//! libtest-mimic trial per scenario and variant.

mod cancel;
mod checks;
mod execute;
mod fixtures;
mod http;
mod target;

use std::sync::{Arc, Mutex, RwLock};

use libtest_mimic::{Completion, Failed, Trial};

use crate::report::{Outcome, TrialResult};
use crate::schema_set::SchemaSet;
use crate::spec::{Scenario, Suite, Variant};

pub use cancel::Cancel;
pub use target::{Credentials, Target};

/// What every trial of a run shares.
pub struct RunContext {
    pub target: Target,
    pub client: reqwest::Client,
    pub schemas: SchemaSet,
    pub runtime: tokio::runtime::Handle,
    /// Read by every trial, written by the ones that change instance-wide settings.
    pub isolation: RwLock<()>,
    /// Every finished trial's result, for the reports.
    pub results: Mutex<Vec<TrialResult>>,
    /// Part of every fixture name, so runs never collide.
    pub run_id: String,
    /// Set by Ctrl-C: trials not yet started are ignored, running ones stop and clean up.
    pub cancel: Arc<Cancel>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl RunContext {
    pub fn new(
        target: Target,
        schemas: SchemaSet,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .timeout(target.timeout)
            .connect_timeout(target.timeout)
            .user_agent(concat!("sn-conform/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            target,
            client,
            schemas,
            runtime,
            isolation: RwLock::new(()),
            results: Mutex::new(Vec::new()),
            run_id: crate::sys_id::fresh()[..10].to_string(),
            cancel: Arc::new(Cancel::default()),
        })
    }

    /// Runs one trial and keeps its result.
    pub fn run_trial(&self, scenario: &Scenario, variant: &Variant) -> TrialResult {
        let result = self.execute(scenario, variant);
        self.results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(result.clone());
        result
    }

    /// The collected results, sorted by trial name.
    pub fn take_results(&self) -> Vec<TrialResult> {
        let mut results =
            std::mem::take(&mut *self.results.lock().unwrap_or_else(|p| p.into_inner()));
        results.sort_by(|a, b| a.name.cmp(&b.name));
        results
    }
}

/// One libtest-mimic trial per scenario and variant, sorted by name.
pub fn trials(ctx: &Arc<RunContext>, suite: &Suite) -> Vec<Trial> {
    let mut out: Vec<Trial> = suite
        .scenarios
        .iter()
        .flat_map(|scenario| {
            let scenario = Arc::new(scenario.clone());
            (0..scenario.variants.len()).map(move |i| {
                let ctx = Arc::clone(ctx);
                let scenario = Arc::clone(&scenario);
                let name = scenario.trial_name(&scenario.variants[i]);
                Trial::ignorable_test(name, move || {
                    let result = ctx.run_trial(&scenario, &scenario.variants[i]);
                    completion(&result)
                })
            })
        })
        .collect();
    out.sort_by(|a, b| a.name().cmp(b.name()));
    out
}

fn completion(result: &TrialResult) -> Result<Completion, Failed> {
    match result.outcome {
        Outcome::Passed => Ok(Completion::Completed),
        Outcome::Ignored => Ok(Completion::ignored_with(
            result.reason.clone().unwrap_or_default(),
        )),
        Outcome::Failed | Outcome::Error => {
            let label = if result.outcome == Outcome::Error {
                "ERROR (the harness could not complete the exchange)"
            } else {
                "FAILED (the instance deviated from the documents)"
            };
            let mut text = format!("{label}\n  {}", result.failures.join("\n  "));
            if !result.warnings.is_empty() {
                text.push_str(&format!(
                    "\n  warnings:\n    {}",
                    result.warnings.join("\n    ")
                ));
            }
            Err(Failed::from(text))
        }
    }
}

/// Runs every trial of `suite` on `threads` threads without libtest's printing, for tests and
/// embedding; results sorted by name.
pub fn run_all(ctx: &Arc<RunContext>, suite: &Suite, threads: usize) -> Vec<TrialResult> {
    let work: Vec<(&Scenario, &Variant)> = suite
        .scenarios
        .iter()
        .flat_map(|s| s.variants.iter().map(move |v| (s, v)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((scenario, variant)) = work.get(i) else {
                    break;
                };
                ctx.run_trial(scenario, variant);
            });
        }
    });
    ctx.take_results()
}
