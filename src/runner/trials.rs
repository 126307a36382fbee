//! Scenarios as trials: one libtest-mimic trial per scenario and variant, sorted by name, or
//! all of them on a few threads without libtest's printing (for tests and embedding).
//!
//! Before running, the phases are armed with the selected trials that change instance-wide
//! settings, and those trials are handed out first (see [`super::phase`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial as LibtestTrial};

use super::services::Services;
use crate::report::{TrialResult, Verdict};
use crate::spec::{Scenario, Suite, Variant};

/// Something told of each trial as it finishes (progress on the terminal).
pub type Observer = Arc<dyn Fn(&TrialResult) + Send + Sync>;

/// Runs one trial and keeps its result; tells `observer` of it first.
fn run_one(
    services: &Services,
    scenario: &Scenario,
    variant: &Variant,
    observer: Option<&Observer>,
) -> Result<Completion, Failed> {
    let result = super::trial::Trial::new(services, scenario, variant).run();
    if let Some(observe) = observer {
        observe(&result);
    }
    let completion = completion(&result);
    // The result itself (exchanges and all) goes to the collector, not copied.
    services.results.push(result);
    completion
}

/// One libtest-mimic trial per scenario and variant, sorted by name.
pub fn trials(
    services: &Arc<Services>,
    suite: &Suite,
    observer: Option<Observer>,
) -> Vec<LibtestTrial> {
    let mut out: Vec<LibtestTrial> = suite
        .scenarios
        .iter()
        .flat_map(|scenario| {
            let scenario = Arc::new(scenario.clone());
            let observer = observer.clone();
            (0..scenario.variants.len()).map(move |i| {
                let services = Arc::clone(services);
                let scenario = Arc::clone(&scenario);
                let observer = observer.clone();
                let name = scenario.trial_name(&scenario.variants[i]);
                LibtestTrial::ignorable_test(name, move || {
                    run_one(
                        &services,
                        &scenario,
                        &scenario.variants[i],
                        observer.as_ref(),
                    )
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
        Verdict::Passed | Verdict::Flaky => Ok(Completion::Completed),
        Verdict::Ignored | Verdict::NotRun => Ok(Completion::ignored_with(
            result.reason.clone().unwrap_or_default(),
        )),
        Verdict::Failed | Verdict::Error => {
            let label = if result.outcome == Verdict::Error {
                "ERROR (the harness could not complete the exchange)"
            } else {
                "FAILED (the instance deviated from the documents)"
            };
            let mut text = format!("{label}\n  {}", result.failures().join("\n  "));
            let warnings = result.warnings();
            if !warnings.is_empty() {
                text.push_str(&format!("\n  warnings:\n    {}", warnings.join("\n    ")));
            }
            Err(Failed::from(text))
        }
    }
}

/// A trial's place in the run order: its phase (`usize::MAX` for none), then its position
/// within its operation's trials spread over the run (0 to 1, as a fraction of a million).
type Place = (usize, u64);

/// Arms the run's phases with the trials `selected` accepts (by name) that change
/// instance-wide settings, and returns the place of each selected trial in the run order:
/// each phase's trials first, then every other trial. Within those, each operation's trials
/// are spread evenly over the run rather than run one operation after another, so that a
/// record leased to one trial at a time (see [`crate::spec::scope`]) is wanted by fewer trials
/// at once, and fewer such records are made.
pub fn arm_phases(
    services: &Services,
    suite: &Suite,
    selected: impl Fn(&str) -> bool,
) -> HashMap<String, Place> {
    let mut phases: Vec<(Vec<(String, String)>, usize)> = Vec::new();
    // (phase, operation) -> its selected trial names.
    let mut groups: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for scenario in &suite.scenarios {
        let phase = if scenario.exclusive {
            let settings = scenario.settings();
            Some(match phases.iter().position(|(s, _)| *s == settings) {
                Some(i) => i,
                None => {
                    phases.push((settings, 0));
                    phases.len() - 1
                }
            })
        } else {
            None
        };
        for variant in &scenario.variants {
            let name = scenario.trial_name(variant);
            if !selected(&name) {
                continue;
            }
            if let Some(i) = phase {
                phases[i].1 += 1;
            }
            let operation = format!("{}/{}", scenario.api, scenario.operation);
            groups
                .entry((phase.unwrap_or(usize::MAX), operation))
                .or_default()
                .push(name);
        }
    }
    services.phases.arm(phases);
    let mut places = HashMap::new();
    for ((phase, _), mut names) in groups {
        names.sort();
        let n = names.len() as u64;
        for (i, name) in names.into_iter().enumerate() {
            places.insert(name, (phase, (2 * i as u64 + 1) * 500_000 / n));
        }
    }
    places
}

/// Sorts trials into run order (see [`arm_phases`]); trials without a place go last.
pub fn run_order(trials: &mut [LibtestTrial], places: &HashMap<String, Place>, suite: &Suite) {
    let waiting = waits_for_expired_token(suite);
    let place = |t: &LibtestTrial| {
        let place = places
            .get(t.name())
            .copied()
            .unwrap_or((usize::MAX, u64::MAX));
        // Last of its phase (or of the trials in none), not merely last of its spread slot.
        (place.0, waiting.contains(t.name()), place.1)
    };
    trials.sort_by(|a, b| place(a).cmp(&place(b)).then_with(|| a.name().cmp(b.name())));
}

/// The trials that wait for the run's expired token: last among the trials of their place, so
/// that the token's lifetime passes while the others run instead of holding a thread.
pub(super) fn waits_for_expired_token(suite: &Suite) -> std::collections::HashSet<String> {
    suite
        .scenarios
        .iter()
        .filter(|s| s.uses_auth(crate::spec::Auth::ExpiredToken))
        .flat_map(|s| s.variants.iter().map(|v| s.trial_name(v)))
        .collect()
}

/// Runs the trials of `suite` that `selected` accepts (by trial name) on `threads` threads
/// without libtest's printing; the results go to the run's collector.
pub fn run_all(
    services: &Services,
    suite: &Suite,
    threads: usize,
    selected: impl Fn(&str) -> bool + Sync,
    observer: Option<&Observer>,
) {
    let mut work: Vec<(&Scenario, &Variant)> = suite
        .scenarios
        .iter()
        .flat_map(|s| s.variants.iter().map(move |v| (s, v)))
        .filter(|(s, v)| selected(&s.trial_name(v)))
        .collect();
    let places = arm_phases(services, suite, &selected);
    let waiting = waits_for_expired_token(suite);
    work.sort_by_cached_key(|(s, v)| {
        let name = s.trial_name(v);
        let (phase, spread) = places.get(&name).copied().unwrap_or((usize::MAX, u64::MAX));
        (phase, waiting.contains(&name), spread, name)
    });
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((scenario, variant)) = work.get(i) else {
                    break;
                };
                let _ = run_one(services, scenario, variant, observer);
            });
        }
    });
}
