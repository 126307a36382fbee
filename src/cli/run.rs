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
use crate::runner::{BuiltInMock, Notice, Plan, PrepareError, Run};
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
    let started = Started::now();
    let inputs = match load_inputs(&args) {
        Ok(inputs) => inputs,
        Err(reason) => {
            started.report_stop(&args, reason);
            return Ok(ExitCode::from(super::EXIT_INVALID));
        }
    };
    // Listing sends nothing, so it needs no credentials and starts no mock.
    if args.libtest.list {
        let target = Target::mock("http://127.0.0.1:0", Duration::from_secs(1), false);
        let run = Run::for_listing(inputs, target)?;
        return Ok(list(&args.libtest, run.trials()));
    }
    // A mistake found before the suite still leaves reports that say why (when the report
    // directory can be written), then ends the run as it would have anyway.
    let plan = match plan(&mut args, &inputs) {
        Ok(plan) => plan,
        Err(e) => return Err(started.stopped_by_error(&args, e)),
    };
    // An unwritable report directory, or a baseline or history that does not read, is found
    // now, before anything is sent.
    report::check_dir(&args.report_dir)?;
    let earlier = match Earlier::read(&args, &inputs) {
        Ok(earlier) => earlier,
        Err(e) => return Err(started.stopped_by_error(&args, e)),
    };
    let run = match prepare(&args, &started, inputs, plan)? {
        Ok(run) => run,
        Err(code) => return Ok(code),
    };
    // With libtest's JSON event stream on stdout, the harness's own lines go to stderr.
    let out = Output {
        to_stderr: matches!(
            args.libtest.format,
            Some(libtest_mimic::FormatSetting::Json)
        ),
        secrets: run.secrets(),
    };
    if let Some(reason) = preamble(&run, &out) {
        let mut report = run.finish();
        report.stopped = Some(reason);
        write_stopped(&args, &report, &out);
        return Ok(ExitCode::from(super::EXIT_UNUSABLE));
    }
    let doctor_failed = run
        .diagnosis()
        .map_or(0, |d| d.count(crate::report::doctor::CheckStatus::Failed));
    let ran = run_trials(&run, &args, &out);
    let stopped_by = run.stopped_by();
    let report = run.finish();
    let written = write_reports(&args, &report, earlier, &out)?;
    out.say(format_args!(
        "{}",
        report::terminal::summary(&report).trim_end()
    ));
    if let Some(diff) = &written.diff {
        out.say(format_args!("\n{}", diff.text().trim_end()));
    }
    out.say(format_args!("reports: {}", written.paths.join(", ")));
    if let Some(signal) = stopped_by {
        eprintln!("interrupted: the reports hold the trials that finished");
        return Ok(ExitCode::from(128 + signal));
    }
    let summary = report.summary.clone();
    // The process ends next: the report's many small allocations (every exchange of every
    // trial) go with it instead of being freed one by one, a few milliseconds of a default
    // run that takes a tenth of a second.
    std::mem::forget(report);
    let s = &summary;
    let failed = match &ran.printed {
        Some(conclusion) => conclusion.has_failed(),
        // The output closed before every selected trial ran: say so, the Unix way.
        None if !ran.own_printer && s.total < ran.selected => {
            eprintln!(
                "sn-conform: output closed after {} of {} trials; the reports hold those",
                s.total, ran.selected
            );
            return Ok(ExitCode::from(EXIT_OUTPUT_CLOSED));
        }
        None => s.failed + s.error > 0,
    };
    Ok(exit_status(&args, &written, failed, s.flaky, doctor_failed))
}

/// 1 when `--fail-on` judges the run failed (the change since the baseline, or without one
/// the run itself) or the doctor failed a check; else 0.
fn exit_status(
    args: &RunArgs,
    written: &Written,
    failed: bool,
    flaky: usize,
    doctor_failed: usize,
) -> ExitCode {
    if doctor_failed > 0 {
        eprintln!(
            "{} the doctor found {doctor_failed} failed check(s); the trials that depend on them were left out (see above, or run `sn-conform doctor`)",
            "error:".red()
        );
    }
    let judged = match (&written.diff, args.judge.fail_on) {
        (Some(diff), fail_on) => diff.fails(fail_on),
        (None, FailOn::None) => false,
        (None, FailOn::Regression) => failed,
        (None, FailOn::Flaky | FailOn::Any) => failed || flaky > 0,
    };
    if judged || doctor_failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The prepared run; or the exit status when an earlier run's ledger lists what it left (that
/// is put back first: exit 3); or the error that stopped it. Either way a stop leaves reports.
fn prepare(
    args: &RunArgs,
    started: &Started,
    inputs: crate::inputs::Inputs,
    plan: Plan,
) -> anyhow::Result<Result<Run, ExitCode>> {
    match Run::prepare(inputs, plan.with_retries(args.retries)) {
        Ok(run) => Ok(Ok(run)),
        Err(PrepareError::LeftBehind(left)) => {
            eprintln!("{} {left}", "error:".red());
            started.report_stop(args, left.to_string());
            Ok(Err(ExitCode::from(super::EXIT_UNUSABLE)))
        }
        Err(e) => Err(started.stopped_by_error(args, e.into())),
    }
}

/// The specs and schemas, or every mistake in them printed and the reason the run stops.
fn load_inputs(args: &RunArgs) -> Result<crate::inputs::Inputs, String> {
    args.inputs.load().map_err(|errors| {
        for line in &errors.0 {
            eprintln!("{} {line}", "error:".red());
        }
        let count = format!(
            "{} mistake(s) in the specs or schemas; nothing was sent",
            errors.0.len()
        );
        eprintln!("{count}");
        match errors.0.first() {
            Some(first) => format!("{count} (the first: {first})"),
            None => count,
        }
    })
}

/// When the run started, for the report of a run that stops before the suite.
struct Started(u64);

impl Started {
    fn now() -> Self {
        Self(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// Writes the reports of a run stopped by `error` (when the directory can be written)
    /// and gives the error back, for the caller to print and exit 2 with.
    fn stopped_by_error(&self, args: &RunArgs, error: anyhow::Error) -> anyhow::Error {
        self.report_stop(args, format!("{error:#}"));
        error
    }

    /// Writes `report.json`, `junit.xml`, `summary.md` and `report.html` of a run that stopped
    /// before a run was prepared, for `reason`; quietly nothing when the report directory
    /// cannot be written (the error said so already, or will).
    fn report_stop(&self, args: &RunArgs, reason: String) {
        let (base_url, kind) = match &args.target.base_url {
            Some(url) => (url.clone(), report::TargetKind::Instance),
            None => (
                "(built-in mock)".to_string(),
                report::TargetKind::EmbeddedMock,
            ),
        };
        let report =
            report::RunReport::stopped_before_suite(base_url, kind, self.0, args.strict, reason);
        if report::check_dir(&args.report_dir).is_err() {
            return;
        }
        let out = Output {
            to_stderr: true,
            secrets: std::sync::Arc::new(given_secrets(&args.target)),
        };
        write_stopped(args, &report, &out);
    }
}

/// The secrets given on the command line or in the environment, for text written before a
/// run (which knows every secret of its target) exists.
fn given_secrets(target: &crate::target::resolve::TargetArgs) -> crate::runner::Secrets {
    let secrets = crate::runner::Secrets::default();
    for secret in [
        &target.password,
        &target.token,
        &target.oauth_client_secret,
        &target.norole_password,
    ]
    .into_iter()
    .flatten()
    {
        secrets.add(secret);
    }
    if let (Some(user), Some(password)) = (&target.user, &target.password) {
        secrets.add_basic(user, password);
    }
    if let (Some(user), Some(password)) = (&target.norole_user, &target.norole_password) {
        secrets.add_basic(user, password);
    }
    secrets
}

/// The reports of a run that stopped before the suite; the diff and the history are left
/// alone (a stop says nothing about the instance's behaviour).
fn write_stopped(args: &RunArgs, report: &report::RunReport, out: &Output) {
    match report::write_all_redacted(report, &args.report_dir, &report::Extras::default(), |t| {
        out.redact(t)
    }) {
        Ok(paths) => {
            let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            println!("reports: {}", paths.join(", "));
        }
        Err(e) => eprintln!("{} {e}", "warning:".yellow()),
    }
}

/// What to run against, and with how many trials at once when `--test-threads` does not
/// say (which it then does).
fn plan(args: &mut RunArgs, inputs: &crate::inputs::Inputs) -> anyhow::Result<Plan> {
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
    Ok(Plan::resolved(resolved, mock)?
        .with_ledger(args.report_dir.join("ledger.jsonl"))
        .with_doctor(!args.no_doctor))
}

/// What earlier runs left for this one: the baseline to diff against, the history to
/// append to.
struct Earlier {
    baseline: Option<report::RunReport>,
    history: Option<report::history::History>,
}

impl Earlier {
    fn read(args: &RunArgs, inputs: &crate::inputs::Inputs) -> anyhow::Result<Self> {
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
        Ok(Self { baseline, history })
    }
}

/// Where the harness's own lines go, every one passed through the run's secrets first.
struct Output {
    /// Stdout carries libtest's JSON events: the harness's lines go to stderr.
    to_stderr: bool,
    secrets: std::sync::Arc<crate::runner::Secrets>,
}

impl Output {
    /// One line of the harness's own output.
    fn say(&self, line: std::fmt::Arguments<'_>) {
        let line = self.secrets.redact(&line.to_string());
        if self.to_stderr {
            eprintln!("{line}");
        } else {
            super::emit(&format!("{line}\n"));
        }
    }

    fn redact(&self, text: &str) -> String {
        self.secrets.redact(text)
    }
}

/// What the doctor found and what preparing the run noticed; the reason the run stops (exit
/// 3) when the target cannot be used at all, printed as one line.
fn preamble(run: &Run, out: &Output) -> Option<String> {
    if let Some(reason) = run.unusable() {
        let reason = out.redact(&reason);
        // One line: what is wrong, what to do, and that nothing was changed.
        eprintln!(
            "{} {reason}; nothing was created or changed on the target",
            "error:".red(),
        );
        return Some(reason);
    }
    if let Some(diagnosis) = run.diagnosis() {
        eprint!("doctor: {}", out.redact(&diagnosis.text(false)));
    }
    for notice in run.notices() {
        match notice {
            Notice::Warning(text) => eprintln!("{} {}", "warning:".yellow(), out.redact(text)),
            Notice::Info(text) => eprintln!("sn-conform: {}", out.redact(text)),
        }
    }
    None
}

/// How the trials ran: libtest's conclusion (none when its printer was not used or gave up),
/// whether the run printed its own progress line, and how many trials were selected.
struct Ran {
    printed: Option<libtest_mimic::Conclusion>,
    own_printer: bool,
    selected: usize,
}

/// Runs the selected trials: on a terminal (unless libtest's own format is asked for) with
/// one progress line instead of libtest's line per trial; elsewhere with libtest's printer
/// and a plain progress line every tenth of the run.
fn run_trials(run: &Run, args: &RunArgs, out: &Output) -> Ran {
    run.stop_on_signals(i32::from(EXIT_INTERRUPTED));
    let target = run.target();
    out.say(format_args!(
        "sn-conform: running against {} ({})",
        target.base_url, target.kind
    ));
    let selected = run
        .trials()
        .iter()
        .filter(|t| !args.libtest.is_filtered_out(t))
        .count();
    let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let own_printer = terminal && args.libtest.format.is_none() && !args.libtest.quiet;
    let progress = std::sync::Arc::new(super::progress::Progress::new(selected, terminal));
    if !out.to_stderr {
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
    Ran {
        printed,
        own_printer,
        selected,
    }
}

/// What the reports written say beyond the run: the diff with the baseline, and the files.
struct Written {
    diff: Option<report::diff::Diff>,
    paths: Vec<String>,
}

/// Writes the four reports (the page with the diff and the history in it), the diff's own
/// files, and the run's line in the history.
fn write_reports(
    args: &RunArgs,
    report: &report::RunReport,
    earlier: Earlier,
    out: &Output,
) -> anyhow::Result<Written> {
    let diff = earlier
        .baseline
        .as_ref()
        .map(|b| report::diff::Diff::between(b, report, args.judge.options()));
    // The page shows the history with this run in it (made only when there is a history).
    let entry = args
        .history
        .as_ref()
        .map(|_| report::history::HistoryEntry::of(report));
    let history = earlier.history.map(|mut h| {
        h.entries.extend(entry.clone());
        h
    });
    let extras = report::Extras {
        diff: diff.as_ref(),
        history: history.as_ref(),
    };
    let written = report::write_all_redacted(report, &args.report_dir, &extras, |t| out.redact(t))?;
    let mut paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    if let Some(diff) = &diff {
        for (name, format) in [
            ("diff.md", report::Format::Markdown),
            ("diff.json", report::Format::Json),
        ] {
            let path = args.report_dir.join(name);
            let text = diff.render(format, args.judge.fail_on);
            std::fs::write(&path, out.redact(&text))
                .with_context(|| format!("cannot write {}", path.display()))?;
            paths.push(path.display().to_string());
        }
    }
    if let (Some(path), Some(entry)) = (&args.history, &entry) {
        report::history::append(path, entry)?;
        paths.push(format!("{} (appended)", path.display()));
    }
    Ok(Written { diff, paths })
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
