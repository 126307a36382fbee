//! `sn-conform run`: load, check, run every trial through libtest-mimic, write the reports.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use colored::Colorize;

use super::RunArgs;
use crate::coverage::Matrix;
use crate::inputs;
use crate::mock::{Mock, MockOptions, RunningMock};
use crate::report::{self, RunReport};
use crate::runner::{self, Credentials, RunContext, Target};

/// Exit status after Ctrl-C, as shells report a SIGINT death.
const EXIT_INTERRUPTED: u8 = 130;

/// Exit status when stdout closed before every trial ran, as a SIGPIPE death reports.
const EXIT_OUTPUT_CLOSED: u8 = 141;

/// The longest the preflight request waits.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);

/// Threads when `--test-threads` is not given: requests wait on the network, not the CPU.
const DEFAULT_THREADS: usize = 4;

pub fn run(mut args: RunArgs) -> anyhow::Result<ExitCode> {
    let inputs::Inputs {
        suite,
        schemas,
        catalogue,
    } = match inputs::load(args.specs.as_deref(), args.schemas.as_deref()) {
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;

    let (target, embedded) = match args.base_url.clone() {
        // Listing sends nothing, so it needs no credentials and starts no mock.
        _ if args.libtest.list => (embedded_target(&args, "http://127.0.0.1:0"), None),
        Some(url) => {
            let mut target = instance_target(&args, &url)?;
            runtime.block_on(preflight(&mut target));
            (target, None)
        }
        None => {
            let mock = Mock::new(MockOptions {
                faults: args.mock_faults.iter().copied().collect(),
                ..MockOptions::default()
            });
            let running = runtime
                .block_on(RunningMock::start(mock))
                .context("cannot start the built-in mock on 127.0.0.1")?;
            (embedded_target(&args, &running.base_url), Some(running))
        }
    };
    let base_url = target.base_url.clone();
    let kind = target.kind;
    let strict = target.strict;
    let ctx = Arc::new(RunContext::new(target, schemas, runtime.handle().clone())?);

    let cancel = Arc::clone(&ctx.cancel);
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: stopping the running trials and cleaning up their fixtures (Ctrl-C again to quit at once)");
            cancel.cancel();
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted twice: quitting without cleaning up");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });

    if args.libtest.test_threads.is_none() {
        args.libtest.test_threads = Some(DEFAULT_THREADS);
    }
    let listing = args.libtest.list;
    // With libtest's JSON event stream on stdout, the harness's own lines go to stderr.
    let json_events = matches!(
        args.libtest.format,
        Some(libtest_mimic::FormatSetting::Json)
    );
    if listing {
        return Ok(list(&args.libtest, runner::trials(&ctx, &suite)));
    }
    say(
        json_events,
        format_args!("sn-conform: running against {base_url} ({kind})"),
    );
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let clock = Instant::now();
    let trials = runner::trials(&ctx, &suite);
    // libtest-mimic's printer panics when stdout goes away (`sn-conform | head`). Its worker
    // threads are scoped, so every trial still finishes and cleans up before the panic reaches
    // here; the reports are then written from the collected results as usual.
    let selected = trials
        .iter()
        .filter(|t| !args.libtest.is_filtered_out(t))
        .count();
    let printed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        libtest_mimic::run(&args.libtest, trials)
    }));
    let duration_ms = clock.elapsed().as_secs_f64() * 1000.0;

    if let Some(mock) = embedded {
        runtime.block_on(mock.stop());
    }
    let results = ctx.take_results();
    let coverage = Matrix::build(&catalogue, &suite, Some(&results));
    let report = RunReport::new(base_url, kind, started_at, duration_ms, strict, results)
        .with_coverage(coverage);
    let written = report::write_all(&report, &args.report_dir)?;
    let s = &report.summary;
    say(
        json_events,
        format_args!(
            "sn-conform: {} passed, {} failed, {} errors, {} ignored of {} trials",
            s.passed.to_string().green(),
            s.failed.to_string().red(),
            s.error.to_string().yellow(),
            s.ignored,
            s.total
        ),
    );
    let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    say(json_events, format_args!("reports: {}", paths.join(", ")));
    runtime.shutdown_timeout(Duration::from_secs(1));
    if ctx.cancel.is_cancelled() {
        eprintln!("interrupted: the reports hold the trials that finished");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let failed = match &printed {
        Ok(conclusion) => conclusion.has_failed(),
        // The output closed before every selected trial ran: say so, the Unix way.
        Err(_) if s.total < selected => {
            eprintln!(
                "sn-conform: output closed after {} of {selected} trials; the reports hold those",
                s.total
            );
            return Ok(ExitCode::from(EXIT_OUTPUT_CLOSED));
        }
        Err(_) => s.failed + s.error > 0,
    };
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One request before the trials: says early when the instance cannot be reached or refuses
/// the credentials, and recognises an sn-conform mock (its `Server` header), whose
/// instance-wide settings may change without `--allow-config-changes`.
async fn preflight(target: &mut Target) {
    let url = format!(
        "{}/api/now/table/sys_properties?sysparm_query=name%3Dglide.awa.enabled&sysparm_fields=name,value&sysparm_limit=1",
        target.base_url
    );
    // A warning is all the preflight gives, so it waits less than the trials do.
    let client = reqwest::Client::builder()
        .timeout(target.timeout.min(PREFLIGHT_TIMEOUT))
        .build();
    let mut request = match client {
        Ok(client) => client.get(&url).header("accept", "application/json"),
        Err(_) => return,
    };
    if let Some(auth) = target.authorization(crate::spec::Auth::Default) {
        request = request.header("authorization", auth);
    }
    match request.send().await {
        Err(e) => eprintln!(
            "{} cannot reach {}: {e}; every trial will report the error",
            "warning:".yellow(),
            target.base_url
        ),
        Ok(answer) => {
            if answer.status().as_u16() == 401 {
                eprintln!(
                    "{} {} refuses the main account's credentials (401)",
                    "warning:".yellow(),
                    target.base_url
                );
            }
            let server = answer
                .headers()
                .get(reqwest::header::SERVER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if server.starts_with("sn-conform-mock/") && !target.allow_config_changes {
                eprintln!("sn-conform: the target is an sn-conform mock ({server}); running the scenarios that change its settings too");
                target.allow_config_changes = true;
            }
        }
    }
}

fn embedded_target(args: &RunArgs, base_url: &str) -> Target {
    Target::mock(
        base_url,
        Duration::from_secs(args.timeout.max(1)),
        args.strict,
    )
}

fn instance_target(args: &RunArgs, url: &str) -> anyhow::Result<Target> {
    let parsed =
        reqwest::Url::parse(url).with_context(|| format!("--base-url `{url}` is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        bail!("--base-url `{url}` must be an http:// or https:// URL with a host");
    }
    if !args.mock_faults.is_empty() {
        bail!("--mock-fault applies only to the built-in mock, not to --base-url");
    }
    let main = match (&args.token, &args.user, &args.password) {
        (Some(token), _, _) => Credentials::Bearer(token.clone()),
        (None, Some(user), Some(password)) => Credentials::Basic {
            user: user.clone(),
            password: password.clone(),
        },
        (None, Some(_), None) => bail!("--user needs --password (or SN_PASSWORD)"),
        _ => bail!("--base-url needs credentials: --user and --password, or --token"),
    };
    let norole = match (&args.norole_user, &args.norole_password) {
        (Some(user), Some(password)) => Some(Credentials::Basic {
            user: user.clone(),
            password: password.clone(),
        }),
        _ => None,
    };
    Ok(Target {
        base_url: url.trim_end_matches('/').to_string(),
        main,
        norole,
        allow_config_changes: args.allow_config_changes,
        timeout: Duration::from_secs(args.timeout.max(1)),
        strict: args.strict,
        kind: "instance",
        pins: parse_pins(&args.pins)?,
    })
}

/// `TABLE=SYS_ID` pairs, each a table name and a sys_id.
fn parse_pins(pins: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pin in pins {
        let Some((table, sys_id)) = pin.split_once('=') else {
            bail!("--pin `{pin}` must be TABLE=SYS_ID");
        };
        let table_ok = !table.is_empty()
            && table
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !table_ok || !crate::spec::matcher::is_sys_id(sys_id) {
            bail!("--pin `{pin}`: expected a table name and a 32-character lowercase hex sys_id");
        }
        if out.insert(table.to_string(), sys_id.to_string()).is_some() {
            bail!("--pin names table `{table}` twice");
        }
    }
    Ok(out)
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
