//! `sn-conform run`: the arguments become a plan, the runner's [`Run`] does the rest, and this
//! module prints its notices and summary and writes the reports.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use colored::Colorize;

use super::RunArgs;
use crate::report;
use crate::report::diff::FailOn;
use crate::runner::{BuiltInMock, Notice, Plan, Run};
use crate::target::Target;

/// Exit status after Ctrl-C, as shells report a SIGINT death (143 after SIGTERM).
const EXIT_INTERRUPTED: u8 = 130;

/// Exit status when stdout closed before every trial ran, as a SIGPIPE death reports.
const EXIT_OUTPUT_CLOSED: u8 = 141;

/// Threads when `--test-threads` is not given, against the built-in mock: its answers take
/// microseconds, so more threads than cores only take turns.
pub(super) const DEFAULT_THREADS: usize = 4;

/// Threads when `--test-threads` is not given, against an instance: each trial mostly waits
/// on its answers, so as many trials run at once as requests may be in flight (the limiter,
/// `--max-in-flight`, decides how many are).
pub(super) const DEFAULT_INSTANCE_THREADS: usize = crate::target::DEFAULT_MAX_IN_FLIGHT;

pub fn run(mut args: RunArgs) -> anyhow::Result<ExitCode> {
    // libtest's --bench would select benchmarks only (there are none) and --test is the
    // default: both are accepted and mean nothing here.
    args.libtest.bench = false;
    args.libtest.test = false;
    let inputs = match args.inputs.load() {
        Ok(loaded) => loaded,
        Err(errors) => {
            for line in &errors.0 {
                eprintln!("{} {line}", "error:".red());
            }
            eprintln!(
                "{} mistake(s) in the specs or schemas; nothing was sent",
                errors.0.len()
            );
            return Ok(ExitCode::from(super::EXIT_INVALID));
        }
    };
    // Listing sends nothing, so it needs no credentials and starts no mock.
    if args.libtest.list {
        let target = Target::mock("http://127.0.0.1:0", Duration::from_secs(1), false);
        let run = Run::for_listing(inputs, target)?;
        return Ok(list(&args.libtest, run.trials()));
    }
    let resolved = args
        .target
        .resolve(&inputs.schemas, &inputs.suite, args.strict)?;
    let mock = BuiltInMock {
        faults: args.mock_faults.clone(),
        latency: args.mock_latency,
        max_concurrent: args.mock_max_concurrent,
        rate_limit: args.mock_rate_limit,
    };
    if args.libtest.test_threads.is_none() {
        // The built-in mock made slow on purpose stands for an instance.
        let default = if !resolved.embedded || mock.is_remote() {
            DEFAULT_INSTANCE_THREADS.min(resolved.target.max_in_flight)
        } else {
            DEFAULT_THREADS
        };
        args.libtest.test_threads = Some(resolved.test_threads.unwrap_or(default));
    }
    let plan = Plan::resolved(resolved, mock)?
        .with_ledger(args.report_dir.join("ledger.jsonl"))
        .with_doctor(!args.no_doctor);
    // An unwritable report directory, or a baseline or history that does not read, is found
    // now, before anything is sent.
    report::check_dir(&args.report_dir)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|path| report::read(path, &inputs.schemas))
        .transpose()?;
    let history = args
        .history
        .as_deref()
        .map(report::history::read)
        .transpose()?;
    for warning in history.iter().flat_map(|h| &h.warnings) {
        eprintln!("{} {warning}", "warning:".yellow());
    }
    let run = Run::prepare(inputs, plan.with_retries(args.retries))?;
    let doctor_failed = run
        .diagnosis()
        .map_or(0, |d| d.count(crate::report::doctor::CheckStatus::Failed));
    // With libtest's JSON event stream on stdout, the harness's own lines go to stderr.
    let json_events = matches!(
        args.libtest.format,
        Some(libtest_mimic::FormatSetting::Json)
    );
    // Everything printed passes the run's secrets first.
    let secrets = run.secrets();
    let redact = |text: &str| secrets.redact(text);
    if let Some(diagnosis) = run.diagnosis() {
        if let Some(blocking) = diagnosis.blocking() {
            // One line: what is wrong, what to do, and that nothing was changed.
            eprintln!(
                "{} {}; {}; nothing was created or changed on the target",
                "error:".red(),
                redact(&blocking.detail),
                blocking.advice.as_deref().unwrap_or("check the target")
            );
            return Ok(ExitCode::from(super::EXIT_UNUSABLE));
        }
        eprint!("doctor: {}", redact(&diagnosis.text(false)));
    }
    for notice in run.notices() {
        match notice {
            Notice::Warning(text) => eprintln!("{} {}", "warning:".yellow(), redact(text)),
            Notice::Info(text) => eprintln!("sn-conform: {}", redact(text)),
        }
    }
    run.stop_on_signals(i32::from(EXIT_INTERRUPTED));
    let target = run.target();
    say(
        json_events,
        format_args!(
            "sn-conform: running against {} ({})",
            target.base_url, target.kind
        ),
    );
    let selected = run
        .trials()
        .iter()
        .filter(|t| !args.libtest.is_filtered_out(t))
        .count();
    // On a terminal (and unless libtest's own format is asked for) one progress line replaces
    // libtest's line per trial; elsewhere libtest prints as usual and a plain progress line
    // comes every tenth of the run.
    let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let own_printer = terminal && args.libtest.format.is_none() && !args.libtest.quiet;
    let progress = std::sync::Arc::new(super::progress::Progress::new(selected, terminal));
    if !json_events {
        let progress = std::sync::Arc::clone(&progress);
        run.on_trial_done(move |result| progress.trial_done(result));
    }
    let printed = if own_printer {
        run.run_selected(
            &args.libtest,
            args.libtest.test_threads.unwrap_or(DEFAULT_THREADS),
        );
        progress.finish();
        None
    } else {
        run.run_with_printer(&args.libtest)
    };
    let stopped_by = run.stopped_by();
    let report = run.finish();
    let diff = baseline
        .as_ref()
        .map(|b| report::diff::Diff::between(b, &report, args.judge.options()));
    // The page shows the history with this run in it (made only when there is a history).
    let entry = args
        .history
        .as_ref()
        .map(|_| report::history::HistoryEntry::of(&report));
    let history = history.map(|mut h| {
        h.entries.extend(entry.clone());
        h
    });
    let extras = report::Extras {
        diff: diff.as_ref(),
        history: history.as_ref(),
    };
    let written = report::write_all_redacted(&report, &args.report_dir, &extras, |text| {
        secrets.redact(text)
    })?;
    let groups = report.failure_groups();
    if !groups.is_empty() {
        let trials: usize = groups.iter().map(|g| g.variants.len()).sum();
        let mut text = format!(
            "\nfailures ({} scenario(s), {trials} trial(s)):\n",
            groups.len()
        );
        for g in &groups {
            let variants = g.variants_text();
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!(
                    "  {} {}{}\n      {}\n",
                    match g.outcome {
                        report::Verdict::Failed => "FAILED".red(),
                        _ => "ERROR".yellow(),
                    },
                    g.scenario,
                    if variants.is_empty() {
                        String::new()
                    } else {
                        format!(" ({variants})")
                    },
                    g.first_message
                ),
            );
        }
        say(json_events, format_args!("{text}"));
    }
    let flaky: Vec<&str> = report
        .trials
        .iter()
        .filter(|t| t.outcome == report::Verdict::Flaky)
        .map(|t| t.name.as_str())
        .collect();
    if !flaky.is_empty() {
        say(
            json_events,
            format_args!(
                "\nflaky ({}): failed, then passed when retried\n  {}",
                flaky.len(),
                flaky.join("\n  ")
            ),
        );
    }
    let s = &report.summary;
    say(
        json_events,
        format_args!(
            "sn-conform: {}: {} passed, {} failed, {} errors, {} ignored, {}{} warned of {} trials",
            match report.verdict() {
                report::Verdict::Passed => "PASSED".green(),
                _ => "FAILED".red(),
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
        ),
    );
    if let Some(note) = report.selection.describe() {
        say(json_events, format_args!("note: {note}"));
    }
    let r = &report.records;
    say(
        json_events,
        format_args!(
            "records: {} created, {} left{}",
            r.created,
            r.left,
            match (&r.ledger, r.left + r.settings_left) {
                (Some(ledger), 1..) => format!(
                    "; settings left: {}; run `sn-conform cleanup {ledger}`",
                    r.settings_left
                ),
                _ => String::new(),
            }
        ),
    );
    for (reason, count) in report.left_out() {
        say(
            json_events,
            format_args!("  left out: {count} trial(s): {reason}"),
        );
    }
    if let Some(c) = &report.concurrency {
        say(json_events, format_args!("{}", c.describe(s.total)));
    }
    let mut paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    if let Some(diff) = &diff {
        say(json_events, format_args!("\n{}", diff.text().trim_end()));
        for (name, format) in [
            ("diff.md", report::Format::Markdown),
            ("diff.json", report::Format::Json),
        ] {
            let path = args.report_dir.join(name);
            let text = diff.render(format, args.judge.fail_on);
            std::fs::write(&path, secrets.redact(&text))
                .with_context(|| format!("cannot write {}", path.display()))?;
            paths.push(path.display().to_string());
        }
    }
    if let (Some(path), Some(entry)) = (&args.history, &entry) {
        report::history::append(path, entry)?;
        paths.push(format!("{} (appended)", path.display()));
    }
    say(json_events, format_args!("reports: {}", paths.join(", ")));
    if let Some(signal) = stopped_by {
        eprintln!("interrupted: the reports hold the trials that finished");
        return Ok(ExitCode::from(128 + signal));
    }
    let failed = match &printed {
        Some(conclusion) => conclusion.has_failed(),
        // The output closed before every selected trial ran: say so, the Unix way.
        None if !own_printer && s.total < selected => {
            eprintln!(
                "sn-conform: output closed after {} of {selected} trials; the reports hold those",
                s.total
            );
            return Ok(ExitCode::from(EXIT_OUTPUT_CLOSED));
        }
        None => s.failed + s.error > 0,
    };
    if doctor_failed > 0 {
        eprintln!(
            "{} the doctor found {doctor_failed} failed check(s); the trials that depend on them were left out (see above, or run `sn-conform doctor`)",
            "error:".red()
        );
    }
    // `--fail-on` judges the change since the baseline, or without one the run itself.
    let judged = match (&diff, args.judge.fail_on) {
        (Some(diff), fail_on) => diff.fails(fail_on),
        (None, FailOn::None) => false,
        (None, FailOn::Regression) => failed,
        (None, FailOn::Flaky | FailOn::Any) => failed || s.flaky > 0,
    };
    Ok(if judged || doctor_failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line of the harness's own output: on stdout, or on stderr when stdout carries
/// libtest's JSON events.
fn say(to_stderr: bool, line: std::fmt::Arguments<'_>) {
    if to_stderr {
        eprintln!("{line}");
    } else {
        super::emit(&format!("{line}\n"));
    }
}

/// `--list`: the trials libtest's filter options select, as `name: test` lines like libtest
/// prints them. Written here rather than by libtest-mimic, whose printer panics when the
/// reader goes away (`sn-conform --list | head`); a closed pipe simply ends the list.
fn list(args: &libtest_mimic::Arguments, trials: Vec<libtest_mimic::Trial>) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for trial in trials.iter().filter(|t| !args.is_filtered_out(t)) {
        if args.ignored && !trial.has_ignored_flag() {
            continue;
        }
        if writeln!(out, "{}: test", trial.name()).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}
