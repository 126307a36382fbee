//! The command line: `run` (the default), `mock` and `lint`, with every `run` option also
//! read from its environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::mock::Fault;

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
    /// Validate spec and schema files; send nothing. Exits 2 on any mistake.
    Lint(LintArgs),
    /// The documented operation x case matrix and its gaps. Exits 1 when a documented case
    /// that can be provoked has no scenario.
    Coverage(CoverageArgs),
    /// Compare two report.json files: regressions, fixes, new and removed trials. Exits 1
    /// when a trial that passed in the baseline no longer does.
    Diff(DiffArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Instance to test, e.g. https://dev12345.service-now.com. Absent: the built-in mock,
    /// started in-process on 127.0.0.1 with a free port.
    #[arg(long, env = "SN_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// User of the main account (Basic auth). It must hold awa_integration_user and may
    /// write the fixture tables.
    #[arg(long, env = "SN_USER", value_name = "USER")]
    pub user: Option<String>,

    /// Password of the main account. Never printed or stored in reports.
    #[arg(
        long,
        env = "SN_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Bearer token for the main account, instead of --user/--password.
    #[arg(long, env = "SN_TOKEN", value_name = "TOKEN", hide_env_values = true, conflicts_with_all = ["user", "password"])]
    pub token: Option<String>,

    /// An account without awa_integration_user, for the 403 cases. Absent: those scenarios are
    /// ignored with that reason.
    #[arg(
        long,
        env = "SN_NOROLE_USER",
        value_name = "USER",
        requires = "norole_password"
    )]
    pub norole_user: Option<String>,

    /// Password of the no-role account.
    #[arg(
        long,
        env = "SN_NOROLE_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        requires = "norole_user"
    )]
    pub norole_password: Option<String>,

    /// Run scenarios that change instance-wide settings (glide.awa.enabled) and restore them
    /// after. Always on for the built-in mock.
    #[arg(long, env = "SN_ALLOW_CONFIG_CHANGES")]
    pub allow_config_changes: bool,

    /// Where report.json, junit.xml, summary.md and report.html are written.
    #[arg(
        long,
        env = "SN_REPORT_DIR",
        value_name = "DIR",
        default_value = "reports"
    )]
    pub report_dir: PathBuf,

    /// Seconds to wait for each request before it counts as an error.
    #[arg(long, env = "SN_TIMEOUT", value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,

    /// Scenario directory. Default: ./specs when present, else the copy built into the binary.
    #[arg(long, env = "SN_SPECS", value_name = "DIR")]
    pub specs: Option<PathBuf>,

    /// Schema directory. Default: ./schemas when present, else the copy built into the binary.
    #[arg(long, env = "SN_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    /// Treat `should` checks (message wording, header details) as failures, not warnings.
    #[arg(long, env = "SN_STRICT")]
    pub strict: bool,

    /// Use an existing record instead of creating one for every fixture of TABLE (repeatable,
    /// or comma-separated in SN_PIN), for tables the main account may read but not write.
    /// Pinned records are never changed or deleted by the fixtures.
    #[arg(
        long = "pin",
        env = "SN_PIN",
        value_name = "TABLE=SYS_ID",
        value_delimiter = ','
    )]
    pub pins: Vec<String>,

    /// Faults to switch on in the built-in mock (testing the harness itself).
    #[arg(long = "mock-fault", value_name = "NAME", hide = true)]
    pub mock_faults: Vec<Fault>,

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
    /// Break one documented behaviour on purpose (repeatable), to check that the suite
    /// notices. `--fault list` names them all.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// Spec files or directories to check (default: the spec directory).
    pub paths: Vec<PathBuf>,
    /// Scenario directory. Default: ./specs when present, else the built-in copy.
    #[arg(long, env = "SN_SPECS", value_name = "DIR")]
    pub specs: Option<PathBuf>,
    /// Schema directory. Default: ./schemas when present, else the built-in copy.
    #[arg(long, env = "SN_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The earlier run's report.json.
    pub baseline: PathBuf,
    /// The later run's report.json.
    pub current: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct CoverageArgs {
    /// Scenario directory (with catalogue.yaml). Default: ./specs when present, else the
    /// built-in copy.
    #[arg(long, env = "SN_SPECS", value_name = "DIR")]
    pub specs: Option<PathBuf>,
    /// Schema directory. Default: ./schemas when present, else the built-in copy.
    #[arg(long, env = "SN_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Text)]
    pub format: CoverageFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CoverageFormat {
    Text,
    Markdown,
    Json,
}
