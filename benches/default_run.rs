//! The default run as a user starts it: the whole `sn-conform run` process against the
//! built-in mock (load, plan, doctor, every trial including the expired-token one, whose
//! token the mock ends in its tables, clean-up, the four reports), at one and at two trial
//! threads.
//!
//! `cargo bench --bench default_run` (`SN_BENCH_ROUNDS`, default 15, after one round that is
//! not counted; verdicts on the medians). Targets: the two-thread run (the default against
//! the built-in mock is four) at most 0.5 s; one thread / two threads at least 1.7x.

use std::process::Command;
use std::time::Instant;

/// Seconds one whole `sn-conform run` takes on `threads` trial threads.
fn once(threads: usize, reports: &std::path::Path) -> f64 {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args([
            "run",
            "-q",
            "--test-threads",
            &threads.to_string(),
            "--report-dir",
        ])
        .arg(reports)
        .output()
        .expect("sn-conform starts");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "the default run did not pass: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    seconds
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("SN_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let reports = std::env::temp_dir().join(format!("sn-conform-bench-{}", std::process::id()));
    once(2, &reports);
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        one.push(once(1, &reports));
        two.push(once(2, &reports));
        println!(
            "round {round}: 1 thread {:.3} s, 2 threads {:.3} s",
            one[round], two[round]
        );
    }
    let _ = std::fs::remove_dir_all(&reports);
    let (one, two) = (median(one), median(two));
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!("default run (whole process, built-in mock), medians of {rounds} rounds:");
    println!(
        "  2 threads              {two:.3} s   target <= 0.5 s   {}",
        verdict(two <= 0.5)
    );
    println!(
        "  1 thread / 2 threads   {:.2}x     target >= 1.7x    {}",
        one / two,
        verdict(one / two >= 1.7)
    );
}
