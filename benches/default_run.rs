//! The default run as a user starts it: the whole `sn-conform run` process against the
//! built-in mock (load, plan, doctor, every trial including the expired-token one, whose
//! token the mock ends in its tables, clean-up, the four reports), at one and at two trial
//! threads.
//!
//! `cargo bench --bench default_run` (`SN_BENCH_ROUNDS`, default 15, after one round that is
//! not counted; verdicts on the medians). Targets: the two-thread run (the default against
//! the built-in mock is four) at most 0.5 s; one thread / two threads at least 1.7x.
//!
//! Beside the verdicts it splits each run in two, from report.json's `duration_ms`: the part
//! more threads can share (the trials and the clean-up after them) and the rest of the
//! process (loading the specs and schemas, the doctor, writing the reports, start and exit),
//! which runs the same however many trial threads there are. It prints the ratio the whole
//! process would reach if the shared part halved exactly at two threads while the rest stayed
//! as measured: the most the process can gain from a second thread on this machine.

use std::process::Command;
use std::time::Instant;

/// One whole `sn-conform run` on `threads` trial threads: seconds in all, and seconds of its
/// trials and the clean-up after them (report.json's `duration_ms`).
fn once(threads: usize, reports: &std::path::Path) -> (f64, f64) {
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
    let report = std::fs::read(reports.join("report.json")).expect("the run wrote report.json");
    let report: serde_json::Value = serde_json::from_slice(&report).expect("report.json is JSON");
    let trials_ms = report["duration_ms"]
        .as_f64()
        .expect("report.json has duration_ms");
    (seconds, trials_ms / 1000.0)
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
    let (mut one_trials, mut two_trials) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (whole, trials) = once(1, &reports);
        one.push(whole);
        one_trials.push(trials);
        let (whole, trials) = once(2, &reports);
        two.push(whole);
        two_trials.push(trials);
        println!(
            "round {round}: 1 thread {:.3} s (trials {:.3} s), 2 threads {:.3} s (trials {:.3} s)",
            one[round], one_trials[round], two[round], two_trials[round]
        );
    }
    let _ = std::fs::remove_dir_all(&reports);
    // The rest of each run: the whole minus its trials, paired round by round.
    let rest = |wholes: &[f64], trials: &[f64]| -> Vec<f64> {
        wholes.iter().zip(trials).map(|(w, t)| w - t).collect()
    };
    let (one_rest, two_rest) = (rest(&one, &one_trials), rest(&two, &two_trials));
    let (one, two) = (median(one), median(two));
    let (one_trials, two_trials) = (median(one_trials), median(two_trials));
    let (one_rest, two_rest) = (median(one_rest), median(two_rest));
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
    println!("where the time goes (medians):");
    println!(
        "  trials and clean-up    1 thread {one_trials:.3} s, 2 threads {two_trials:.3} s ({:.2}x)",
        one_trials / two_trials
    );
    println!(
        "  the rest of the process  1 thread {one_rest:.3} s, 2 threads {two_rest:.3} s (loading, doctor, reports, start and exit)"
    );
    println!(
        "  with the trials exactly twice as fast at 2 threads and the rest as measured, the whole process would be {:.2}x",
        (one_rest + one_trials) / (two_rest + one_trials / 2.0)
    );
}
