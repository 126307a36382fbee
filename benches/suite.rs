//! How fast the whole suite runs against the in-process mock: trials per second and the
//! spread of single exchanges. Run on demand with `cargo bench --bench suite`; the number of
//! rounds comes from `SN_BENCH_ROUNDS` (default 5).

use std::sync::Arc;
use std::time::Instant;

use sn_conform::mock::{Mock, MockOptions, RunningMock};
use sn_conform::report::Outcome;
use sn_conform::runner::{self, RunContext, Target};

fn main() {
    let rounds: usize = std::env::var("SN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let inputs = sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref()))
        .expect("the repository's specs load");
    let mut exchange_ms: Vec<f64> = Vec::new();
    let mut trial_rates = Vec::new();
    for round in 0..rounds {
        let running = runtime
            .block_on(RunningMock::start(Mock::new(MockOptions::default())))
            .expect("the mock binds a loopback port");
        let target = Target::mock(&running.base_url, std::time::Duration::from_secs(10), false);
        let schemas = sn_conform::schema_set::SchemaSet::compile(
            &sn_conform::assets::schemas(Some("schemas".as_ref())).expect("schemas"),
        )
        .expect("schemas compile");
        let ctx =
            Arc::new(RunContext::new(target, schemas, runtime.handle().clone()).expect("client"));
        let started = Instant::now();
        let results = runner::run_all(&ctx, &inputs.suite, 4);
        let seconds = started.elapsed().as_secs_f64();
        runtime.block_on(running.stop());
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
