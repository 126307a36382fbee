//! The end of a run on the terminal: the failures grouped by scenario, the flaky trials, the
//! verdict and counts, what the run created and left, what it left out and why, and how many
//! requests it kept in flight.
//!
//! ```text
//! failures (1 scenario(s), 4 trial(s)):
//!   FAILED awa_inbox_actions/accept::accepts a pending work item (all 4 variants)
//!       specs/awa_inbox_actions/accept.yaml:45: step "accept the work item": status: expected 200, got 201 (body: …)
//! sn-conform: FAILED: 311 passed, 4 failed, 0 errors, 0 ignored, 0 warned of 315 trials
//! records: 344 created (12 by the instance), 0 left
//! in flight: settled at 16 (started at 8, cap 32, range 8-16; 0 answer(s) 429, 0 slowed); 1097 requests (40 of them batches of 120 reads and deletes), 3.5 per trial, 4 trials at once
//! ```

use std::fmt::Write;

use colored::Colorize;

use super::{RunReport, Verdict};

/// The lines that end a run, each ending in a newline.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    failures(report, &mut out);
    warned(report, &mut out);
    flaky(report, &mut out);
    retried(report, &mut out);
    let s = &report.summary;
    let _ = writeln!(
        out,
        "sn-conform: {}: {} passed, {} failed, {} errors, {} ignored, {}{} warned of {} trials",
        match report.headline() {
            "PASSED" => "PASSED".green(),
            other => other.red(),
        },
        s.passed.to_string().green(),
        s.failed.to_string().red(),
        s.error.to_string().yellow(),
        s.ignored,
        if s.flaky > 0 {
            format!("{} flaky, ", s.flaky.to_string().yellow())
        } else {
            String::new()
        },
        s.warned,
        s.total
    );
    if let Some(note) = report.selection.describe() {
        let _ = writeln!(out, "note: {note}");
    }
    let r = &report.records;
    let _ = writeln!(
        out,
        "records: {} created ({} by the instance), {} left{}",
        r.created,
        r.by_instance,
        r.left,
        match (&r.ledger, r.left + r.settings_left) {
            (Some(ledger), 1..) => format!(
                "; settings left: {}; run `sn-conform cleanup {ledger}`",
                r.settings_left
            ),
            _ => String::new(),
        }
    );
    for (reason, count) in report.left_out() {
        let _ = writeln!(out, "  left out: {count} trial(s): {reason}");
    }
    for note in &report.tokens {
        let _ = writeln!(out, "{} OAuth {note}", "warning:".yellow());
    }
    if let Some(c) = &report.concurrency {
        let _ = writeln!(out, "{}", c.describe(s.total));
    }
    out
}

/// The failed and broken trials, one group per scenario.
fn failures(report: &RunReport, out: &mut String) {
    let groups = report.failure_groups();
    if groups.is_empty() {
        return;
    }
    let trials: usize = groups.iter().map(|g| g.variants.len()).sum();
    let _ = writeln!(
        out,
        "\nfailures ({} scenario(s), {trials} trial(s)):",
        groups.len()
    );
    for g in &groups {
        let variants = g.variants_text();
        let _ = writeln!(
            out,
            "  {} {}{}\n      {}",
            match g.outcome {
                Verdict::Failed => "FAILED".red(),
                _ => "ERROR".yellow(),
            },
            g.scenario,
            if variants.is_empty() {
                String::new()
            } else {
                format!(" ({variants})")
            },
            g.first_message
        );
    }
    out.push('\n');
}

/// The trials that passed with warnings (a `should` that did not hold), one group per
/// scenario: the first warning, with what the instance answered.
fn warned(report: &RunReport, out: &mut String) {
    let mut groups: Vec<(String, usize, String)> = Vec::new();
    for t in report.trials.iter().filter(|t| !t.outcome.is_bad()) {
        let Some(first) = t.warnings().into_iter().next() else {
            continue;
        };
        let scenario = t.scenario_key();
        match groups.iter_mut().find(|(s, ..)| *s == scenario) {
            Some((_, n, _)) => *n += 1,
            None => groups.push((scenario, 1, first)),
        }
    }
    if groups.is_empty() {
        return;
    }
    let trials: usize = groups.iter().map(|(_, n, _)| n).sum();
    let _ = writeln!(
        out,
        "\nwarnings ({} scenario(s), {trials} trial(s)): should-level checks that did not hold; they fail only under --strict",
        groups.len()
    );
    for (scenario, n, first) in &groups {
        let _ = writeln!(
            out,
            "  {} {scenario} ({n} trial(s))\n      {first}",
            "WARNED".yellow()
        );
    }
}

/// How many trials were run again (`--retries`), and how many passed on a later attempt.
fn retried(report: &RunReport, out: &mut String) {
    let retried = report
        .trials
        .iter()
        .filter(|t| !t.attempts.is_empty())
        .count();
    if retried > 0 {
        let _ = writeln!(
            out,
            "retries: {retried} trial(s) run more than once ({} passed when retried)",
            report.summary.flaky
        );
    }
}

/// The trials that failed, then passed when retried.
fn flaky(report: &RunReport, out: &mut String) {
    let flaky: Vec<&str> = report
        .trials
        .iter()
        .filter(|t| t.outcome == Verdict::Flaky)
        .map(|t| t.name.as_str())
        .collect();
    if !flaky.is_empty() {
        let _ = writeln!(
            out,
            "\nflaky ({}): failed, then passed when retried\n  {}",
            flaky.len(),
            flaky.join("\n  ")
        );
    }
}
