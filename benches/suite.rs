//! How fast the whole suite runs against the in-process mock: trials per second and the
//! spread of single exchanges. Run on demand with `cargo bench --bench suite`; the number of
//! rounds comes from `SN_BENCH_ROUNDS` (default 5).

use std::time::Instant;

use sn_conform::mock::{Mock, MockOptions};
use sn_conform::report::Outcome;
use sn_conform::runner::{Plan, Run, Target};

fn main() {
    let rounds: usize = std::env::var("SN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut exchange_ms: Vec<f64> = Vec::new();
    let mut trial_rates = Vec::new();
    for round in 0..rounds {
        let inputs = sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref()))
            .expect("the repository's specs load");
        let target = Target::mock(
            "http://127.0.0.1:0",
            std::time::Duration::from_secs(10),
            false,
        );
        let run = Run::prepare(
            inputs,
            Plan::embedded(target, Mock::new(MockOptions::default())),
        )
        .expect("the run starts");
        let started = Instant::now();
        run.run_quietly(4);
        let seconds = started.elapsed().as_secs_f64();
        let results = run.finish().trials;
        assert!(
            results.iter().all(|r| r.outcome == Outcome::Passed),
            "the suite must pass to be timed"
        );
        let rate = results.len() as f64 / seconds;
        trial_rates.push(rate);
        exchange_ms.extend(
            results
                .iter()
                .flat_map(|r| r.exchanges.iter().map(|x| x.duration_ms)),
        );
        println!(
            "round {round}: {} trials in {seconds:.3} s ({rate:.0} trials/s)",
            results.len()
        );
    }
    exchange_ms.sort_by(f64::total_cmp);
    let pick = |q: f64| exchange_ms[((exchange_ms.len() - 1) as f64 * q) as usize];
    trial_rates.sort_by(f64::total_cmp);
    println!(
        "median {:.0} trials/s; {} exchanges: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        trial_rates[trial_rates.len() / 2],
        exchange_ms.len(),
        pick(0.5),
        pick(0.95),
        pick(1.0)
    );
}
