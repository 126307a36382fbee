//! The command line's arguments: `run` (the default), `mock`, `lint`, `coverage`, `diff`,
//! `compare`, `history`, `doctor` and `cleanup`. Every `run` option is also read from its
//! environment variable; options several subcommands take are declared once and flattened
//! (the target's in [`crate::target::resolve`], the input directories in [`InputArgs`], the
//! judging of a diff in [`JudgeArgs`]).

use std::path::PathBuf;

use crate::report::diff::FailOn;
use crate::report::Format;
use clap::{Args, Parser, Subcommand};

use crate::mock::Fault;
use crate::target::resolve::TargetArgs;

/// Conformance harness for ServiceNow's Conversation Member, Interaction Management and AWA
/// Inbox Actions REST APIs.
///
/// With no arguments it starts its built-in mock instance on a free loopback port, runs the
/// whole suite against it and writes reports/report.json, junit.xml, summary.md and
/// report.html. Give --base-url and credentials to run the same suite against a real instance.
#[derive(Debug, Parser)]
#[command(name = "sn-conform", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

// Parsed once per process; boxing would only complicate clap's derive.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite (the default when no subcommand is given).
    Run(RunArgs),
    /// Serve the mock instance until Ctrl-C.
    Mock(MockArgs),
    /// Validate spec, schema and catalogue files, target profiles, and that every documented
    /// case has a scenario; send nothing. Exits 2 on any mistake.
    Lint(LintArgs),
    /// The documented operation x case matrix and its gaps. Exits 1 when a documented case
    /// that can be provoked has no scenario.
    Coverage(CoverageArgs),
    /// Compare two report.json files: regressions, fixes, flaky, still failing, newly run, no
    /// longer run, added and removed trials and documented cases, and drift of the answers.
    /// Exits 1 when `--fail-on` says so (by default: a trial that passed no longer does).
    Diff(DiffArgs),
    /// Run the suite against two targets side by side and list every documented case where
    /// they answer differently (outcome, status, content type, body shape). Exits 1 when they
    /// differ: the check that keeps a mock honest against a real instance.
    Compare(CompareArgs),
    /// The trend per documented case from a history file (`run --history FILE`): the last
    /// runs as a row of marks, since when a case fails, how often it is flaky.
    History(HistoryArgs),
    /// Check, before a run, every assumption the scenarios make about the instance: accounts
    /// and roles, plugins, tables, fields, choice values, glide.awa.enabled, permission to
    /// create and delete. Exits 0 when no check fails, 1 otherwise.
    Doctor(DoctorArgs),
    /// Read an instance's own dictionary (tables, columns, references, choices, numbering,
    /// with GET requests only) and write it as a file `sn-conform mock --dictionary FILE`
    /// serves: a mock shaped like that instance. Without a target it reads the built-in mock.
    Snapshot(SnapshotArgs),
    /// Print a completion script for a shell (bash, zsh, fish, powershell, elvish): for
    /// example `sn-conform completions bash > /etc/bash_completion.d/sn-conform`.
    Completions(CompletionsArgs),
    /// Write the man pages (sn-conform.1, and sn-conform-SUBCOMMAND.1 for each subcommand).
    Man(ManArgs),
    /// Delete what a killed run left behind, from its ledger (reports/ledger.jsonl), and
    /// restore the settings it changed. Safe to repeat. Exits 1 when something could not be
    /// put back.
    Cleanup(CleanupArgs),
}

/// Where the scenarios and schemas are read from: declared once, flattened into every
/// subcommand that loads them.
#[derive(Debug, Clone, Default, Args)]
pub struct InputArgs {
    /// Scenario directory (with catalogue.yaml). Default: ./specs when present, else the copy
    /// built into the binary.
    #[arg(long, env = "SN_SPECS", value_name = "DIR")]
    pub specs: Option<PathBuf>,
    /// Schema directory. Default: ./schemas when present, else the copy built into the binary.
    #[arg(long, env = "SN_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

impl InputArgs {
    /// The suite, its schemas and the catalogue from these directories.
    pub fn load(&self) -> Result<crate::inputs::Inputs, crate::inputs::InputErrors> {
        crate::inputs::load(self.specs.as_deref(), self.schemas.as_deref())
    }
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The first target: a target profile (YAML file), a base URL (with the credential
    /// options and variables `run` takes), or `mock` for the built-in mock.
    #[arg(long, value_name = "TARGET")]
    pub a: String,
    /// The second target, in the same forms.
    #[arg(long, value_name = "TARGET")]
    pub b: String,
    /// Credentials and settings for a side given as a base URL (a profile names its own).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where each side's reports are written (DIR/a, DIR/b) and the comparison
    /// (compare.md, compare.json).
    #[arg(long, value_name = "DIR", default_value = "reports/compare")]
    pub report_dir: PathBuf,
    /// Trials at once on each side.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub threads: usize,
    /// Skip the doctor's checks on both sides.
    #[arg(long)]
    pub no_doctor: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Faults to switch on in a side given as `mock` (testing the harness itself).
    #[arg(long = "mock-fault-a", value_name = "NAME", hide = true)]
    pub mock_faults_a: Vec<Fault>,
    #[arg(long = "mock-fault-b", value_name = "NAME", hide = true)]
    pub mock_faults_b: Vec<Fault>,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The history file `run --history` appends to.
    pub file: PathBuf,
    /// How many of the latest runs to show.
    #[arg(long, default_value_t = 14, value_name = "N")]
    pub last: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format: a table, or JSON for tools.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
    /// The report directory of the runs: a stopped run's ledger there (ledger.jsonl) is read,
    /// never written, and what it left is named with the command that puts it back.
    #[arg(
        long,
        env = "SN_REPORT_DIR",
        value_name = "DIR",
        default_value = "reports"
    )]
    pub report_dir: PathBuf,
    #[command(flatten)]
    pub inputs: InputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// The directory the pages are written to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where the dictionary file is written (YAML).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// A table to read (repeatable); the tables it extends come with it. Default: every table
    /// of the built-in dictionary (the suite's, and those common clients touch).
    #[arg(long = "table", value_name = "TABLE")]
    pub tables: Vec<String>,
    #[command(flatten)]
    pub inputs: InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct CleanupArgs {
    /// The ledger of the run to clean up after.
    #[arg(value_name = "LEDGER")]
    pub ledger: PathBuf,
    /// The instance and credentials (the base URL defaults to the one the ledger names).
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub inputs: InputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Where report.json, junit.xml, summary.md and report.html are written.
    #[arg(
        long,
        env = "SN_REPORT_DIR",
        value_name = "DIR",
        default_value = "reports"
    )]
    pub report_dir: PathBuf,

    #[command(flatten)]
    pub inputs: InputArgs,

    /// Treat `should` checks (message wording, header details) as failures, not warnings.
    #[arg(long, env = "SN_STRICT")]
    pub strict: bool,

    /// Skip the doctor's checks before the trials (see `sn-conform doctor`).
    #[arg(long, env = "SN_NO_DOCTOR")]
    pub no_doctor: bool,

    /// Run a trial that failed or broke again, with fresh fixtures, up to N more times; one
    /// that then passes is reported `flaky` (with every attempt kept) and fails the run only
    /// under `--fail-on flaky` or `any`.
    #[arg(long, env = "SN_RETRIES", value_name = "N", default_value_t = 0)]
    pub retries: usize,

    /// The previous run's report.json: the run ends with what changed since (`sn-conform
    /// diff`), writes it to diff.md and diff.json, and `--fail-on` judges that change
    /// instead of the run alone.
    #[arg(long, env = "SN_BASELINE", value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Append one JSON line for this run (time, target, tool, counts, each documented case's
    /// verdict, each operation's median latency) to FILE; see `sn-conform history`.
    #[arg(long, env = "SN_HISTORY", value_name = "FILE")]
    pub history: Option<PathBuf>,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Faults to switch on in the built-in mock (testing the harness itself).
    #[arg(long = "mock-fault", value_name = "NAME", hide = true)]
    pub mock_faults: Vec<Fault>,

    /// The built-in mock as a remote instance: a delay added to every answer, `MS` or
    /// `MS±JITTER` (as `sn-conform mock --latency`).
    #[arg(long, value_name = "MS[±JITTER]", value_parser = crate::mock::parse_latency)]
    pub mock_latency: Option<crate::mock::Latency>,

    /// The built-in mock serves at most N requests at once (as `sn-conform mock
    /// --max-concurrent`).
    #[arg(long, value_name = "N")]
    pub mock_max_concurrent: Option<usize>,

    /// The built-in mock answers 429 past N requests a second (as `sn-conform mock
    /// --rate-limit`).
    #[arg(long, value_name = "N/s", value_parser = crate::mock::parse_rate)]
    pub mock_rate_limit: Option<u32>,

    /// libtest's own options: a name FILTER, --exact, --skip, --list, --ignored,
    /// --include-ignored, --test-threads N, -q, --color.
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Password of the built-in `admin` account (default: admin).
    #[arg(long, env = "SN_MOCK_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Password of the built-in `awa.integration` account (default: awa.integration).
    #[arg(long, env = "SN_MOCK_AWA_PASSWORD", hide_env_values = true)]
    pub awa_password: Option<String>,
    /// Password of the built-in `no.role` account (default: no.role).
    #[arg(long, env = "SN_MOCK_NOROLE_PASSWORD", hide_env_values = true)]
    pub norole_password: Option<String>,
    /// Seconds an OAuth access token is accepted after it is issued.
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_lifetime: u64,
    /// Secret of the mock's OAuth client `sn-conform` (default: sn-conform).
    #[arg(long, env = "SN_MOCK_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub oauth_client_secret: Option<String>,
    /// Serve https with a self-signed certificate made at start (for localhost and
    /// 127.0.0.1), written to --cert-out for clients to trust.
    #[arg(long)]
    pub tls: bool,
    /// Where --tls writes its certificate (PEM). Default: sn-conform-mock.pem in the system's
    /// temporary directory.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Records to load at start (YAML: one list of records per table). POST /sn-conform/reset
    /// (admin) puts the mock back to them.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// The tables to serve: a dictionary file (YAML, the form of
    /// `dictionaries/built-in.yaml`: each table's parent, display column and columns with their
    /// types, references, defaults and choices). Default: the built-in one.
    #[arg(long, value_name = "FILE")]
    pub dictionary: Option<PathBuf>,
    /// The largest request body accepted, in bytes; a larger one is answered 413 in the
    /// platform's envelope.
    #[arg(long, value_name = "BYTES", default_value_t = crate::mock::DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// The largest request head (header names and values), in bytes; more is answered 431.
    #[arg(long, value_name = "BYTES", default_value_t = crate::mock::DEFAULT_MAX_HEADER_BYTES)]
    pub max_header_bytes: usize,
    /// The longest request URI (path and query), in bytes; longer is answered 414.
    #[arg(long, value_name = "BYTES", default_value_t = crate::mock::DEFAULT_MAX_URI_BYTES)]
    pub max_uri_bytes: usize,
    /// The most records a table may hold; an insert past it is answered 403.
    #[arg(long, value_name = "N", default_value_t = crate::mock::DEFAULT_MAX_RECORDS)]
    pub max_records: usize,
    /// Delay added to every answer, like a remote instance: `MS` or `MS±JITTER`
    /// (e.g. 100±20; `+-` works too).
    #[arg(long, value_name = "MS[±JITTER]", value_parser = crate::mock::parse_latency)]
    pub latency: Option<crate::mock::Latency>,
    /// Serve at most N requests at once; the others wait their turn, as the platform's API
    /// semaphore makes them (latency included).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub max_concurrent: Option<usize>,
    /// Accept at most N requests per second (`N` or `N/s`); past it, answer 429 with
    /// `Retry-After` and the `X-RateLimit-*` headers, as the platform's rate limit rules do.
    #[arg(long, value_name = "N/s", value_parser = crate::mock::parse_rate)]
    pub rate_limit: Option<u32>,
    /// Break one documented behaviour on purpose (repeatable), to check that the suite
    /// notices. `--fault list` names them all.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// Spec files or directories to check (default: the spec directory).
    pub paths: Vec<PathBuf>,
    /// Target profiles to check too (repeatable). Default: every targets/*.yaml of the
    /// current directory, when linting the default specs.
    #[arg(long = "target", value_name = "FILE")]
    pub targets: Vec<PathBuf>,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// For every scenario, say which fixtures a run creates once and shares between trials
    /// and which each trial creates for itself, and why (a fixture's `scope:`, or what the
    /// steps do with it).
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The earlier run's report.json.
    pub baseline: PathBuf,
    /// The later run's report.json.
    pub current: PathBuf,
    /// Output format; the Markdown is what a CI job posts as a comment or job summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

/// How a comparison with a baseline is judged (shared by `diff` and `run --baseline`).
#[derive(Debug, Clone, Args)]
pub struct JudgeArgs {
    /// What makes the exit status 1. With a baseline: `regression` (a trial passed before and
    /// fails now), `flaky` (that, or a trial that passed only when retried), `any` (that, or a
    /// trial still failing, a newly run one failing, or drift), `none`. Without one, every
    /// failed or broken trial counts as a regression.
    #[arg(long, value_enum, default_value_t = FailOn::Regression)]
    pub fail_on: FailOn,
    /// An operation has drifted `slower` when its median latency is more than this factor of
    /// the baseline's (and more than 50 ms slower).
    #[arg(long, default_value_t = 2.0, value_name = "FACTOR")]
    pub latency_threshold: f64,
}

impl JudgeArgs {
    pub fn options(&self) -> crate::report::diff::DiffOptions {
        crate::report::diff::DiffOptions {
            latency_threshold: self.latency_threshold,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
