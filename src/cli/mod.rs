//! The command-line edge: argument types and one module per subcommand. Errors become
//! messages and exit codes here: 0 every trial that ran passed; 1 a trial failed or broke, or
//! the doctor failed a check; 2 invalid specs, schemas, profile or options (nothing was
//! sent); 3 the target is unusable (unreachable, credentials refused: nothing was changed on
//! it); 130 and 143 a run stopped by Ctrl-C or SIGTERM; 141 stdout closed before every trial
//! ran. The subcommands share what lives below `cli/` (the runner, the reports, the target's
//! options), never each other.

mod args;
mod cleanup;
mod compare;
mod coverage;
mod diff;
mod docs;
mod doctor;
mod history;
mod lint;
mod mock;
mod progress;
mod run;
mod snapshot;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use crate::report::Format;
pub use crate::target::resolve::TargetArgs;
pub use args::{
    CleanupArgs, Cli, Command, CompareArgs, CompletionsArgs, CoverageArgs, DiffArgs, DoctorArgs,
    DoctorFormat, HistoryArgs, InputArgs, JudgeArgs, LintArgs, ManArgs, MockArgs, RunArgs,
    SnapshotArgs,
};

/// Exit status for invalid input: specs, schemas or options.
pub const EXIT_INVALID: u8 = 2;

/// Exit status when the target cannot be used at all (unreachable, credentials refused):
/// the run stopped before creating anything.
pub const EXIT_UNUSABLE: u8 = 3;

/// Parses the process arguments and runs the chosen subcommand.
pub fn main() -> ExitCode {
    quiet_broken_pipe_panics();
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let outcome = match cli.command {
        None => run::run(cli.run),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Mock(args)) => mock::serve(args),
        Some(Command::Lint(args)) => lint::lint(args),
        Some(Command::Diff(args)) => diff::diff(args),
        Some(Command::History(args)) => history::history(args),
        Some(Command::Compare(args)) => compare::compare(args),
        Some(Command::Coverage(args)) => coverage::coverage(args),
        Some(Command::Cleanup(args)) => cleanup::cleanup(args),
        Some(Command::Doctor(args)) => doctor::doctor(args),
        Some(Command::Snapshot(args)) => snapshot::snapshot(args),
        Some(Command::Completions(args)) => docs::completions(&args),
        Some(Command::Man(args)) => docs::man(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{} {error:#}", colored::Colorize::red("error:"));
            ExitCode::from(EXIT_INVALID)
        }
    }
}

/// clap's default layout. libtest-mimic's flattened arguments bring a bare template of their
/// own (no program name, no description), which this puts back.
const HELP_TEMPLATE: &str =
    "{before-help}{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}";

const AFTER_HELP: &str = "Exit status: 0 every trial that ran passed; 1 a trial failed (or the \
doctor failed a check); 2 the specs, schemas, profile or options are invalid (nothing was sent); \
3 the target is unusable: unreachable or credentials refused (nothing was changed on it); \
130 Ctrl-C and 143 SIGTERM (what the run created was deleted; the reports hold what finished); \
141 stdout closed before every trial ran.\nBuilt-in mock accounts: admin, awa.integration, \
no.role, each with its user name as password; OAuth client sn-conform, secret sn-conform.";

/// The command with the help layout restored on the top level and on `run`, and libtest's
/// arguments described for this tool.
pub fn command() -> clap::Command {
    let version = crate::VERSION;
    tame_libtest(
        Cli::command()
            .version(version)
            .help_template(HELP_TEMPLATE)
            .after_help(AFTER_HELP)
            .disable_version_flag(false),
    )
    .mut_subcommand("run", |c| {
        tame_libtest(
            c.help_template(HELP_TEMPLATE)
                .after_help(AFTER_HELP)
                .version(version)
                .bin_name("sn-conform run")
                .disable_version_flag(false),
        )
    })
}

/// libtest's arguments, flattened from libtest-mimic: the ones that do nothing here are
/// hidden (still accepted, so a test runner's habits do no harm), the others are described
/// in this tool's words.
fn tame_libtest(command: clap::Command) -> clap::Command {
    let hidden = [
        "test",
        "bench",
        "nocapture",
        "show_output",
        "logfile",
        "unstable_flags",
    ];
    let described: [(&str, &str); 10] = [
        ("filter", "Run only the trials whose name contains FILTER (`accept`, `reject_reasons::unknown channel`); the reports then cover part of the suite"),
        ("exact", "Match FILTER and --skip against whole trial names"),
        ("skip", "Leave out the trials whose name contains FILTER (repeatable)"),
        ("list", "List the trials the filters select, one `name: test` line each; sends nothing"),
        ("ignored", "Run only trials ignored by declaration; none are (requirements are checked as each trial runs, so its reason shows), so this selects nothing"),
        ("include_ignored", "Accepted for libtest's sake; every trial already runs, or says why it is ignored"),
        ("quiet", "One character per trial instead of one line"),
        ("test_threads", "Trials run at once (default: 32 against an instance or a mock slowed with --mock-latency, --mock-max-concurrent or --mock-rate-limit, never more than --max-in-flight; 4 against the built-in mock; or the profile's test_threads)"),
        ("color", "Colour of the trial lines: auto (on a terminal), always or never"),
        ("format", "Trial lines as pretty (a line each), terse (a character each) or json (libtest's events, with -Z unstable-options; the harness's own lines then go to stderr)"),
    ];
    let mut command = command;
    for id in hidden {
        command = command.mut_arg(id, |a| a.hide(true));
    }
    for (id, help) in described {
        command = command.mut_arg(id, |a| {
            let a = a.help(help).long_help(help);
            if matches!(id, "color" | "format") {
                a.hide_possible_values(true)
            } else {
                a
            }
        });
    }
    command
}

/// Many mistakes (`file:line: cause` each) as one error, a line each, for the exit-2 path.
pub(crate) fn all_errors<E: std::fmt::Display>(errors: &[E]) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// Writes `text` to stdout. A reader that went away (`sn-conform coverage | head`) ends the
/// output quietly instead of panicking as `print!` does.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A reader that goes away mid-run makes libtest-mimic's printer panic; that panic is caught
/// (see `run`), so its message and backtrace would only be noise. Every other panic is
/// reported as usual.
fn quiet_broken_pipe_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !payload.contains("BrokenPipe") && !payload.contains("Broken pipe") {
            default(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        super::command().debug_assert();
    }

    /// The help texts are written out by hand (a doc comment cannot name a constant): they
    /// must still say the defaults the code uses.
    #[test]
    fn the_help_states_the_defaults_the_code_uses() {
        let mut command = super::command();
        let Some(run) = command.find_subcommand_mut("run") else {
            panic!("there is a run subcommand");
        };
        let help = run.render_long_help().to_string();
        let threads = format!(
            "default: {} against an instance",
            super::run::DEFAULT_INSTANCE_THREADS
        );
        let mock = format!(
            "; {} against the built-in mock",
            super::run::DEFAULT_THREADS
        );
        let in_flight = format!(
            "Requests in flight at most (default {})",
            crate::target::DEFAULT_MAX_IN_FLIGHT
        );
        for wanted in [threads, mock, in_flight] {
            assert!(help.contains(&wanted), "`{wanted}` is not in:\n{help}");
        }
    }
}
