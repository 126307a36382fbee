//! Scenarios as trials: one libtest-mimic trial per scenario and variant, sorted by name, or
//! all of them on a few threads without libtest's printing (for tests and embedding).

use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};

use super::context::RunContext;
use crate::report::{Outcome, TrialResult};
use crate::spec::{Scenario, Suite, Variant};

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
        // A flaky trial passed in the end; whether that fails the run is `--fail-on`'s call.
        Outcome::Passed | Outcome::Flaky => Ok(Completion::Completed),
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

/// Runs the trials of `suite` that `selected` accepts (by trial name) on `threads` threads
/// without libtest's printing; the results go to the run's collector.
pub fn run_all(
    ctx: &Arc<RunContext>,
    suite: &Suite,
    threads: usize,
    selected: impl Fn(&str) -> bool + Sync,
) {
    let mut work: Vec<(&Scenario, &Variant)> = suite
        .scenarios
        .iter()
        .flat_map(|s| s.variants.iter().map(move |v| (s, v)))
        .filter(|(s, v)| selected(&s.trial_name(v)))
        .collect();
    // In name order, as libtest runs them.
    work.sort_by_cached_key(|(s, v)| s.trial_name(v));
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
}
