//! The harness's own cost: the full suite against the in-process mock at one and two
//! threads, against the same requests replayed by a bare reqwest loop (one request after
//! another, as one thread of trials sends them) against a fresh in-process mock. The replay
//! sends what the one-thread run sent, in its order, with the same headers and bodies, and
//! reads each answer whole; it checks nothing.
//!
//! `cargo bench --bench local` (`SN_BENCH_ROUNDS`, default 15, after one round that is not
//! counted; the verdicts are on the medians, the quickest rounds are printed beside them).
//! Targets: one thread within 1.3x of the replay; two threads at least 1.7x faster than one.

use std::time::Instant;

use sn_conform::mock::{Mock, MockOptions, RunningMock};
use sn_conform::report::{ExchangeRecord, Verdict};
use sn_conform::runner::{Plan, Run};
use sn_conform::target::Target;

mod support;

/// One full run on `threads` threads: seconds from the first trial to the last record
/// deleted, and every exchange in the order the trials sent them.
fn harness(threads: usize) -> (f64, Vec<ExchangeRecord>) {
    let inputs = sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref()))
        .expect("the repository's specs load");
    let target = Target::mock(
        "http://127.0.0.1:0",
        std::time::Duration::from_secs(10),
        false,
    );
    let mock = Mock::new(MockOptions {
        token_lifetime: std::time::Duration::from_secs(1),
        ..MockOptions::default()
    });
    let run = Run::prepare(inputs, Plan::embedded(target, mock)).expect("the run starts");
    // The expired-token trial waits for a token to expire: a wait of the mock's, not the
    // harness's, and no request; it is left out of the timed run.
    let args = libtest_mimic::Arguments {
        skip: vec!["an expired bearer token".into()],
        ..Default::default()
    };
    let started = Instant::now();
    run.run_selected(&args, threads);
    let report = run.finish();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        report.trials.iter().all(|t| t.outcome == Verdict::Passed) && report.trials.len() > 300,
        "the suite must pass to be timed"
    );
    let mut exchanges: Vec<ExchangeRecord> = report
        .trials
        .into_iter()
        .flat_map(|t| t.exchanges)
        .collect();
    exchanges.sort_by(|a, b| a.started_at_ms.total_cmp(&b.started_at_ms));
    (seconds, exchanges)
}

/// A request to replay: method, URL, headers, body.
type Replayed = (
    reqwest::Method,
    String,
    Vec<(String, String)>,
    Option<String>,
);

/// The same requests by a bare reqwest client, `loops` of them at a time (each loop one
/// request after another: every `loops`-th request); seconds taken.
fn replay(exchanges: &[ExchangeRecord], loops: usize) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions::default()))
            .await
            .expect("the mock starts");
        let client = reqwest::Client::new();
        // The recorded URLs name the run's mock; the replay's has another port.
        let requests: Vec<Replayed> = exchanges
            .iter()
            .map(|x| {
                let path = x.url.splitn(4, '/').nth(3).unwrap_or("");
                (
                    x.method.parse().expect("a method"),
                    format!("{}/{path}", mock.base_url),
                    x.request_headers
                        .iter()
                        .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
                        .cloned()
                        .collect(),
                    x.request_body.clone(),
                )
            })
            .collect();
        let started = Instant::now();
        let one_loop = |k: usize| {
            let client = &client;
            let mine: Vec<Replayed> = requests.iter().skip(k).step_by(loops).cloned().collect();
            async move {
                for (method, url, headers, body) in mine {
                    let mut request = client
                        .request(method, url)
                        .basic_auth("admin", Some("admin"));
                    for (k, v) in headers {
                        request = request.header(k, v);
                    }
                    if let Some(body) = body {
                        request = request.body(body);
                    }
                    let answer = request.send().await.expect("the mock answers");
                    let _ = answer.bytes().await.expect("a body");
                }
            }
        };
        futures_util::future::join_all((0..loops).map(one_loop)).await;
        let seconds = started.elapsed().as_secs_f64();
        mock.stop().await;
        seconds
    })
}

fn main() {
    let rounds = support::rounds(15);
    // One round first that is not counted: the first runs of a process (pages faulted in,
    // allocator arenas grown, the machine's clock ramping up) are slower than the rest, for the
    // harness and the bare replay alike (BENCHMARKS.md says by how much).
    let _ = harness(1);
    let (mut one, mut two, mut bare, mut bare2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut requests = 0;
    for round in 0..rounds {
        let (t1, exchanges) = harness(1);
        let (t2, _) = harness(2);
        let tb = replay(&exchanges, 1);
        let tb2 = replay(&exchanges, 2);
        requests = exchanges.len();
        println!(
            "round {round}: 1 thread {t1:.3} s, 2 threads {t2:.3} s, bare replay of its {requests} requests {tb:.3} s, two at a time {tb2:.3} s"
        );
        bare2.push(tb2);
        one.push(t1);
        two.push(t2);
        bare.push(tb);
    }
    // Runs this short are disturbed by anything else on the machine, from one round to the
    // next (BENCHMARKS.md). The verdicts are on the medians of the rounds (each
    // kind measured in every round, one after another, so that a slow stretch of the machine
    // touches them alike); the quickest rounds are printed beside them. A ratio of quickest
    // rounds pairs two outliers: one 1-thread round quicker than every bare replay decided
    // it on its own.
    let (t1, t2, tb, tb2) = (
        support::median(one.clone()),
        support::median(two.clone()),
        support::median(bare.clone()),
        support::median(bare2.clone()),
    );
    println!("local (in-process mock, {requests} requests), medians of {rounds} rounds:");
    println!(
        "  1 thread / bare replay   {:5.2}x   target <= 1.3x   {}",
        t1 / tb,
        support::verdict(t1 / tb <= 1.3)
    );
    println!(
        "  1 thread / 2 threads     {:5.2}x   target >= 1.7x   {}",
        t1 / t2,
        support::verdict(t1 / t2 >= 1.7)
    );
    println!(
        "  (the bare replay, one at a time / two at a time: {:.2}x: what this machine gives two request loops beside the mock)",
        tb / tb2
    );
    let (q1, q2, qb) = (
        support::least(one),
        support::least(two),
        support::least(bare),
    );
    println!(
        "local, quickest of {rounds} rounds (for comparison): 1 thread / bare {:.2}x, 1 thread / 2 threads {:.2}x",
        q1 / qb,
        q1 / q2
    );
}
