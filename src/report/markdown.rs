//! `summary.md`: the verdict and the counts, the failures grouped by scenario, then one table
//! per API with each trial's outcome and its first failure or reason.
//!
//! ```markdown
//! # sn-conform: FAILED: 305 passed, 4 failed, 0 errors, 0 ignored, 0 warned (309 trials)
//! sn-conform 0.1.0, run of 2026-11-24T06:59:08Z, against http://127.0.0.1:40155 (embedded mock)
//!
//! ## Failures
//! | scenario | outcome | variants | first message |
//! |---|---|---|---|
//! | awa_inbox_actions/accept::accepts a pending work item | failed | all 4 variants | specs/…:41: step … |
//!
//! ## awa_inbox_actions
//! | trial | outcome | detail |
//! |---|---|---|
//! | accept::accepts a pending work item[v1] | passed | |
//! ```

use std::fmt::Write;

use super::{RunReport, Verdict};

pub fn render(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# sn-conform: {}: {} passed, {} failed, {} errors, {} flaky, {} ignored, {} warned ({} trials)\n",
        report.headline(),
        s.passed,
        s.failed,
        s.error,
        s.flaky,
        s.ignored,
        s.warned,
        s.total
    );
    let _ = writeln!(
        out,
        "{}, run of {}, against {} ({})\n",
        report.tool, report.date, report.base_url, report.target_kind
    );
    if let Some(reason) = &report.stopped {
        let _ = writeln!(
            out,
            "**The run stopped before the suite:** {}\n",
            cell(reason)
        );
    }
    failures(report, &mut out);
    if !report.tokens.is_empty() {
        let _ = writeln!(out, "## OAuth tokens\n");
        let _ = writeln!(
            out,
            "The run's own tokens did not live as documented; it kept going as said:\n"
        );
        for note in &report.tokens {
            let _ = writeln!(out, "- {}", cell(&note.to_string()));
        }
        out.push('\n');
    }
    about(report, &mut out);
    trials(report, &mut out);
    out
}

/// The failed and broken trials, one row per scenario.
fn failures(report: &RunReport, out: &mut String) {
    let groups = report.failure_groups();
    if !groups.is_empty() {
        let _ = writeln!(out, "## Failures\n");
        let _ = writeln!(out, "| scenario | outcome | variants | first message |");
        let _ = writeln!(out, "|---|---|---|---|");
        for g in &groups {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&g.scenario),
                g.outcome.as_str(),
                cell(&g.variants_text()),
                cell(&g.first_message)
            );
        }
        out.push('\n');
    }
}

/// The selection, what the run left on the instance, what the doctor found, and what was left
/// out.
fn about(report: &RunReport, out: &mut String) {
    if let Some(note) = report.selection.describe() {
        let _ = writeln!(out, "Note: {}.\n", cell(&note));
    }
    let r = &report.records;
    let _ = writeln!(
        out,
        "Records: {} created{}, {} left on the instance; {} setting change(s), {} not restored.{}\n",
        r.created,
        if r.by_instance > 0 {
            format!(" ({} by the instance)", r.by_instance)
        } else {
            String::new()
        },
        r.left,
        r.settings_changed,
        r.settings_left,
        match (&r.ledger, r.left + r.settings_left) {
            (Some(ledger), 1..) => format!(" Run `sn-conform cleanup {ledger}`."),
            _ => String::new(),
        }
    );
    if let Some(doctor) = &report.doctor {
        let _ = writeln!(out, "Doctor: {}\n", doctor.counts_line());
        for check in doctor
            .checks
            .iter()
            .filter(|c| c.status != crate::report::doctor::CheckStatus::Passed)
        {
            let _ = writeln!(
                out,
                "- **{}** ({:?}): {}",
                cell(&check.title),
                check.status,
                cell(&check.detail)
            );
        }
        out.push('\n');
    }
    let left_out = report.left_out();
    if !left_out.is_empty() {
        let _ = writeln!(out, "Left out:\n");
        for (reason, count) in &left_out {
            let _ = writeln!(out, "- {count} trial(s): {}", cell(reason));
        }
        out.push('\n');
    }
}

/// One table per API: each trial's verdict and its first failure or reason.
fn trials(report: &RunReport, out: &mut String) {
    for (api, trials) in report.by_api() {
        let _ = writeln!(out, "## {api}\n");
        let _ = writeln!(out, "| trial | outcome | detail |");
        let _ = writeln!(out, "|---|---|---|");
        for t in trials {
            let short_name = t
                .name
                .split_once('/')
                .map_or(t.name.as_str(), |(_, rest)| rest);
            let detail = match t.outcome {
                Verdict::Passed => t
                    .warnings()
                    .first()
                    .map_or(String::new(), |w| format!("warning: {w}")),
                Verdict::Ignored | Verdict::NotRun => t.reason.clone().unwrap_or_default(),
                Verdict::Failed | Verdict::Error => t.found.first_failure().unwrap_or_default(),
                Verdict::Flaky => format!(
                    "passed on attempt {}; first: {}",
                    t.attempts.len() + 1,
                    t.attempts
                        .first()
                        .and_then(|a| a.found.first_failure())
                        .unwrap_or_default()
                ),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(short_name),
                t.outcome.as_str(),
                cell(&detail)
            );
        }
        out.push('\n');
    }
    if let Some(coverage) = &report.coverage {
        let _ = writeln!(out, "## Coverage of the documented cases\n");
        out.push_str(&coverage.markdown());
    }
}

/// Table cells cannot hold `|` or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
