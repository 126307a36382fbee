//! What the benchmarks share: running the release binary, reading its report, timing,
//! medians, and a line of the printed summary.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The release binary cargo built for the benchmarks.
pub const BIN: &str = env!("CARGO_BIN_EXE_sn-conform");

/// How many rounds each measurement takes (`SN_BENCH_ROUNDS`, default `default`).
pub fn rounds(default: usize) -> usize {
    std::env::var("SN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `sn-conform ARGS` with its reports in `dir`; returns the wall time and report.json.
pub fn run_cli(args: &[&str], dir: &Path) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .args([
            "--report-dir",
            dir.to_str().expect("a UTF-8 temp path"),
            "-q",
        ])
        .output()
        .expect("sn-conform runs");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "sn-conform {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    (
        took,
        serde_json::from_str(&text).expect("report.json is JSON"),
    )
}

/// The least of `values`.
pub fn least(values: Vec<f64>) -> f64 {
    values.into_iter().fold(f64::INFINITY, f64::min)
}

/// `verdict` for a ratio against its target: `ok` or `MISSED`.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "ok"
    } else {
        "MISSED"
    }
}

/// Whether `program` is on the PATH (wrk answers `--version` with its usage and status 1,
/// so only whether it starts counts).
pub fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}
